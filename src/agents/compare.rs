//! How a recommended item differs from the target, and whether it meets the user's requirements: the ground truth
//! the simulated user rejects and accepts on, and that grounding checks read later.

use crate::catalog::MemoryCatalog;
use crate::catalog::money::Money;
use crate::model::Requirement;

/// One concrete difference: the target has `wanted` where the item has `got`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// Attribute key (`category`, `price_high`, `color`, `feature` …).
    pub attribute: String,
    /// The target's value (for `price_high`, the budget).
    pub wanted: String,
    /// The item's value (empty for a missing feature).
    pub got: String,
    /// Whether the attribute is one of the user's requirements.
    pub required: bool,
}

/// Attributes compared beyond the requirements, most telling first; sizes and ids are personal, not hints.
const HINT_ORDER: [&str; 12] = [
    "color",
    "material",
    "style",
    "fit",
    "pattern",
    "sleeve_length",
    "heel_height",
    "closure",
    "finish",
    "connectivity",
    "genre",
    "format",
];

/// Every difference between `item` and `target`, in the order a user would raise them:
/// category, price over budget, unmet requirements, then other attributes (hints at the target). `budget` is in the
/// catalog's currency (the comparison is made there); a price difference is written in the shopper's `money`.
pub fn differences(
    cat: &MemoryCatalog,
    target: u32,
    item: u32,
    budget: Option<f64>,
    requirements: &[Requirement],
    money: Money<'_>,
) -> Vec<Difference> {
    let mut out = Vec::new();
    if cat.leaf(target) != cat.leaf(item) {
        out.push(Difference {
            attribute: "category".into(),
            wanted: cat.leaf(target).to_string(),
            got: cat.leaf(item).to_string(),
            required: true,
        });
    }
    if let (Some(b), Some(p)) = (budget, cat.item(item).price)
        && p > b
    {
        out.push(Difference {
            attribute: "price_high".into(),
            wanted: money.write(b),
            got: money.write(p),
            required: true,
        });
    }
    for r in requirements {
        if r.attribute == "feature" {
            let f = r.value.to_lowercase();
            if !cat.has_feature(item, &f) {
                out.push(Difference {
                    attribute: "feature".into(),
                    wanted: f,
                    got: String::new(),
                    required: true,
                });
            }
        } else if let Some(wanted) = cat.value(target, &r.attribute) {
            let got = cat.value(item, &r.attribute).unwrap_or("");
            if got != wanted && !out.iter().any(|d| d.attribute == r.attribute) {
                out.push(Difference {
                    attribute: r.attribute.clone(),
                    wanted: wanted.to_string(),
                    got: got.to_string(),
                    required: true,
                });
            }
        }
    }
    for key in HINT_ORDER {
        if out.iter().any(|d| d.attribute == key) {
            continue;
        }
        if let (Some(w), Some(g)) = (cat.value(target, key), cat.value(item, key))
            && w != g
        {
            out.push(Difference {
                attribute: key.to_string(),
                wanted: w.to_string(),
                got: g.to_string(),
                required: false,
            });
        }
    }
    out
}

/// Whether `item` meets every requirement, sits in the target's leaf category and within budget.
/// Free-text requirements (imported MUSE scenarios) cannot be checked, so only the target itself meets them.
pub fn satisfies(
    cat: &MemoryCatalog,
    target: u32,
    item: u32,
    budget: Option<f64>,
    requirements: &[Requirement],
) -> bool {
    if item == target {
        return true;
    }
    // An equivalent sits in the target's full category path (the same leaf under another department is another
    // item: a women's sneaker is no equivalent of a men's).
    if cat.leaf(target) != cat.leaf(item) || !cat.path(target).eq(cat.path(item)) {
        return false;
    }
    if let (Some(b), Some(p)) = (budget, cat.item(item).price)
        && p > b
    {
        return false;
    }
    !requirements.is_empty()
        && requirements.iter().all(|r| match r.attribute.as_str() {
            "feature" => cat.has_feature(item, &r.value.to_lowercase()),
            "text" => false,
            key => cat.value(item, key) == Some(r.value.to_lowercase().as_str()),
        })
}
