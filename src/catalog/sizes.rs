//! Sizes as shoppers say them: the size system each persona's country uses and the charts that convert the catalog's
//! sized values ("US 9") into it ("UK 8", "EU 42.5"), from `profiles/sizes.toml` (`[sizes] local` switches it).
//!
//! Like money, a size is decided in the catalog's value everywhere (slots, filters, the review, stats); a
//! [`LocalSizes`] converts one into the shopper's system only to write it, and never guesses: a value no chart row
//! lists, or one the charts that could apply disagree on, stays as the catalog writes it.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use crate::config::SizesConfig;
use crate::data;
use crate::{Error, Result};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SizesFile {
    systems: Vec<String>,
    #[serde(default)]
    countries: HashMap<String, String>,
    #[serde(default)]
    charts: Vec<ChartRow>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChartRow {
    name: String,
    path: Vec<String>,
    #[serde(default)]
    department: Option<String>,
    /// The system whose sizes the catalog writes as bare numbers ("8" for a dress that is a "US 8").
    #[serde(default)]
    catalog: Option<String>,
    systems: Vec<String>,
    rows: Vec<Vec<String>>,
}

/// One conversion chart: the items it applies to and its sizes, one row per size, one column per system of the table
/// (`None` where the chart gives no size in that system).
#[derive(Debug, Clone)]
pub struct Chart {
    /// Lowercase segments of the full category path of the items it applies to (consecutive, anywhere in the path).
    path: Vec<String>,
    /// The department (a name of `catalog/departments.toml`) a shopper names for these items.
    department: Option<String>,
    rows: Vec<Vec<Option<String>>>,
    /// When the catalog writes these sizes as bare numbers: the index of their system, and each row's number in it
    /// ("8" of "US 8").
    bare: Option<(usize, Vec<String>)>,
    /// The first bytes, lowercased, of every size [`Chart::row`] matches, a bit each: most values an item lists
    /// (colours, materials) are told apart from sizes by their first letter alone.
    firsts: [u64; 4],
}

impl Chart {
    /// The chart with the set of first bytes its sizes open with.
    fn new(
        path: Vec<String>,
        department: Option<String>,
        rows: Vec<Vec<Option<String>>>,
        bare: Option<(usize, Vec<String>)>,
    ) -> Self {
        let mut firsts = [0u64; 4];
        let sizes: Vec<&String> = match &bare {
            Some((_, numbers)) => numbers.iter().collect(),
            None => rows.iter().flatten().flatten().collect(),
        };
        for size in sizes {
            if let Some(&b) = size.as_bytes().first() {
                let b = b.to_ascii_lowercase();
                firsts[usize::from(b >> 6)] |= 1 << (b & 63);
            }
        }
        Chart {
            path,
            department,
            rows,
            bare,
            firsts,
        }
    }

    /// Whether some size of the chart may be `value` (trimmed): one opens with its first byte, in any case.
    fn may_list(&self, value: &str) -> bool {
        value.as_bytes().first().is_some_and(|&b| {
            let b = b.to_ascii_lowercase();
            self.firsts[usize::from(b >> 6)] & (1 << (b & 63)) != 0
        })
    }

    /// The row that lists `value` (trimmed) as the catalog writes it: one of its sizes ("US 9", any case), or, for a
    /// chart whose sizes the catalog writes bare, the bare number only ("8": a "US 8" there is another chart's size,
    /// a shoe's).
    fn row(&self, value: &str) -> Option<&[Option<String>]> {
        if !self.may_list(value) {
            return None;
        }
        let at = match &self.bare {
            Some((_, numbers)) => numbers.iter().position(|n| n == value),
            None => self
                .rows
                .iter()
                .position(|r| r.iter().flatten().any(|s| s.eq_ignore_ascii_case(value))),
        }?;
        Some(&self.rows[at])
    }

    /// Whether the catalog writes this chart's sizes in system `i` as bare numbers.
    fn bare_in(&self, i: usize) -> bool {
        self.bare.as_ref().is_some_and(|(b, _)| *b == i)
    }

    /// Whether `path` (an item's full category path) holds the chart's path as consecutive segments: ["Men", "Shoes"]
    /// holds ["Footwear", "Men", "Shoes", "Oxfords"] as it would an imported catalog's ["Clothing, Shoes & Jewelry",
    /// "Men", "Shoes", "Boots"].
    fn holds<'p>(&self, path: impl Iterator<Item = &'p str> + Clone) -> bool {
        let mut rest = path;
        loop {
            let mut here = rest.clone();
            if self
                .path
                .iter()
                .all(|a| here.next().is_some_and(|b| a.eq_ignore_ascii_case(b)))
            {
                return true;
            }
            if rest.next().is_none() {
                return false;
            }
        }
    }
}

/// The size systems and charts of `profiles/sizes.toml`, and which system each country uses.
#[derive(Debug, Clone)]
pub struct Sizes {
    systems: Vec<String>,
    charts: Vec<Chart>,
    countries: HashMap<String, u8>,
    local: bool,
}

impl Sizes {
    /// The table (`tables_dir/sizes.toml` over the embedded one), on or off by `cfg`; a malformed table is an error
    /// naming the file and the field.
    pub fn load(tables_dir: Option<&Path>, cfg: &SizesConfig) -> Result<Self> {
        let (parsed, origin): (SizesFile, _) = data::profile_table(tables_dir, "sizes.toml")?;
        Self::from_file(parsed, cfg, &origin)
    }

    fn from_file(parsed: SizesFile, cfg: &SizesConfig, origin: &str) -> Result<Self> {
        let bad = |field: String, why: String| Error::data(origin, format!("{field}: {why}"));
        let systems = parsed.systems;
        for (i, s) in systems.iter().enumerate() {
            if s.is_empty() || !s.chars().all(|c| c.is_ascii_uppercase()) {
                return Err(bad(
                    format!("systems[{i}]"),
                    format!("{s:?} is not a size system: write it in capitals, like \"UK\""),
                ));
            }
            if systems[..i].contains(s) {
                return Err(bad(format!("systems[{i}]"), format!("{s} is listed twice")));
            }
        }
        if systems.len() > usize::from(u8::MAX) {
            return Err(bad("systems".into(), "too many systems".into()));
        }
        let index = |s: &str| systems.iter().position(|x| x == s);
        let listed = systems.join(", ");
        let mut countries = HashMap::new();
        for (country, system) in parsed.countries {
            let Some(i) = index(&system) else {
                return Err(bad(
                    format!("countries.\"{country}\""),
                    format!("{system} is not one of `systems` ({listed})"),
                ));
            };
            countries.insert(country, i as u8);
        }
        let departments = crate::catalog::department::embedded();
        let mut charts = Vec::with_capacity(parsed.charts.len());
        for (c, chart) in parsed.charts.into_iter().enumerate() {
            let at = |field: &str| format!("charts[{c}] ({}).{field}", chart.name);
            if chart.path.is_empty() || chart.path.iter().any(|p| p.trim().is_empty()) {
                return Err(bad(
                    at("path"),
                    "name the start of a category path, like [\"Men\", \"Shoes\"]".into(),
                ));
            }
            if let Some(d) = &chart.department
                && !departments.iter().any(|x| x.name == *d)
            {
                return Err(bad(
                    at("department"),
                    format!("{d:?} is not a department of catalog/departments.toml"),
                ));
            }
            let mut columns = Vec::with_capacity(chart.systems.len());
            for (j, s) in chart.systems.iter().enumerate() {
                match index(s) {
                    Some(i) if !columns.contains(&i) => columns.push(i),
                    Some(_) => {
                        return Err(bad(
                            at(&format!("systems[{j}]")),
                            format!("{s} is listed twice"),
                        ));
                    }
                    None => {
                        return Err(bad(
                            at(&format!("systems[{j}]")),
                            format!("{s} is not one of `systems` ({listed})"),
                        ));
                    }
                }
            }
            let bare_system = match &chart.catalog {
                None => None,
                Some(s) => match chart.systems.iter().position(|x| x == s) {
                    Some(_) => index(s),
                    None => {
                        return Err(bad(
                            at("catalog"),
                            format!("{s} is not one of the chart's `systems`"),
                        ));
                    }
                },
            };
            let mut rows: Vec<Vec<Option<String>>> = Vec::with_capacity(chart.rows.len());
            for (r, row) in chart.rows.iter().enumerate() {
                let field = at(&format!("rows[{r}]"));
                if row.len() != columns.len() {
                    return Err(bad(
                        field,
                        format!("has {} sizes for {} systems", row.len(), columns.len()),
                    ));
                }
                let mut out = vec![None; systems.len()];
                for (cell, &i) in row.iter().zip(&columns) {
                    let cell = cell.trim();
                    if cell.is_empty() {
                        continue;
                    }
                    let system = &systems[i];
                    let number = cell
                        .strip_prefix(system.as_str())
                        .and_then(|n| n.strip_prefix(' '));
                    if !number
                        .is_some_and(|n| n.parse::<f64>().is_ok_and(|x| x.is_finite() && x >= 0.0))
                    {
                        return Err(bad(
                            field,
                            format!(
                                "{cell:?} is not written \"{system} <number>\" (its column is {system})"
                            ),
                        ));
                    }
                    if rows
                        .iter()
                        .any(|earlier| earlier[i].as_deref() == Some(cell))
                    {
                        return Err(bad(
                            field,
                            format!("{cell} is in two rows: a shopper would hear two sizes as one"),
                        ));
                    }
                    out[i] = Some(cell.to_string());
                }
                rows.push(out);
            }
            let bare = match bare_system {
                None => None,
                Some(b) => {
                    let mut numbers = Vec::with_capacity(rows.len());
                    for (r, row) in rows.iter().enumerate() {
                        let Some(cell) = &row[b] else {
                            return Err(bad(
                                at(&format!("rows[{r}]")),
                                format!("has no {} size, the catalog's (`catalog`)", systems[b]),
                            ));
                        };
                        numbers.push(cell[systems[b].len() + 1..].to_string());
                    }
                    Some((b, numbers))
                }
            };
            charts.push(Chart::new(
                chart.path.iter().map(|p| p.trim().to_lowercase()).collect(),
                chart.department,
                rows,
                bare,
            ));
        }
        Ok(Sizes {
            systems,
            charts,
            countries,
            local: cfg.local,
        })
    }

    /// The embedded table (`profiles/sizes.toml` as built in), for readers of dialogues that have no config at hand
    /// (the review's masks); `None` only if the embedded table were broken, which a unit test rules out.
    pub fn embedded() -> Option<&'static Sizes> {
        static EMBEDDED: std::sync::LazyLock<Option<Sizes>> =
            std::sync::LazyLock::new(|| Sizes::load(None, &SizesConfig::default()).ok());
        EMBEDDED.as_ref()
    }

    /// Every way a chart for an item at `path` writes the catalog size `value`, in any system ("US 9", "UK 8",
    /// "EU 42.5", "JP 27"): the forms a dialogue may say it in, whoever the shopper.
    pub fn forms<'p>(
        &self,
        path: impl Iterator<Item = &'p str> + Clone,
        value: &str,
    ) -> impl Iterator<Item = &str> {
        let value = value.trim().to_string();
        self.charts
            .iter()
            .filter(move |c| c.holds(path.clone()))
            .filter_map(move |c| c.row(&value))
            .flat_map(|r| r.iter().flatten().map(String::as_str))
    }

    /// The sizes of a persona living in `country`: its system when local sizes are on and the table lists the
    /// country, else the catalog's (no conversion).
    pub fn for_country(&self, country: Option<&str>) -> LocalSizes<'_> {
        let system = country
            .filter(|_| self.local)
            .and_then(|c| self.countries.get(c).copied());
        LocalSizes {
            charts: &self.charts,
            systems: &self.systems,
            system,
        }
    }

    /// The sizes the shopper of `profile` says, by the country they live in.
    pub fn for_profile(&self, profile: &crate::model::Profile) -> LocalSizes<'_> {
        self.for_country(
            profile
                .persona
                .location
                .as_ref()
                .map(|l| l.country.as_str()),
        )
    }
}

/// How one shopper's sizes are written: the system of their country, with the charts to convert into it. Small and
/// `Copy`, so a conversation carries it by value.
#[derive(Debug, Clone, Copy)]
pub struct LocalSizes<'a> {
    charts: &'a [Chart],
    systems: &'a [String],
    system: Option<u8>,
}

impl LocalSizes<'static> {
    /// Sizes as the catalog writes them, as every size was written before local sizes.
    pub const CATALOG: LocalSizes<'static> = LocalSizes {
        charts: &[],
        systems: &[],
        system: None,
    };
}

impl<'a> LocalSizes<'a> {
    /// The system sizes are said in ("UK"), when it is not simply the catalog's writing.
    pub fn system(&self) -> Option<&'a str> {
        self.system
            .and_then(|i| self.systems.get(usize::from(i)))
            .map(String::as_str)
    }

    /// The catalog size `value` ("US 9") of an item whose full category path is `path`, in this system ("UK 8"),
    /// when a chart for that path lists it and differs; `None` keeps the catalog's value.
    pub fn for_path<'p>(
        &self,
        path: impl Iterator<Item = &'p str> + Clone,
        value: &str,
    ) -> Option<&'a str> {
        self.convert(|c| c.holds(path.clone()), value)
    }

    /// The catalog size `value` said before any item is in view, for a shopper of `department` (a name of
    /// `catalog/departments.toml`; `None`: not said): converted only when every chart that could apply agrees. A
    /// bare number ("8") is converted only by the chart of the department named: without it, it could be any
    /// department's size.
    pub fn for_department(&self, department: Option<&str>, value: &str) -> Option<&'a str> {
        self.convert(
            |c| match department {
                Some(d) => c.department.as_deref() == Some(d),
                None => c.bare.is_none(),
            },
            value,
        )
    }

    fn convert(&self, applies: impl Fn(&Chart) -> bool, value: &str) -> Option<&'a str> {
        let system = usize::from(self.system?);
        let value = value.trim();
        // Most values are no size of any chart: said so before a chart's items are matched.
        if !self.charts.iter().any(|c| c.may_list(value)) {
            return None;
        }
        let mut found: Option<&'a str> = None;
        for chart in self.charts.iter().filter(|c| applies(c)) {
            let Some(row) = chart.row(value) else {
                continue;
            };
            // The shopper counts in the system the catalog writes bare: "8" is said as it is.
            if chart.bare_in(system) {
                return None;
            }
            let local = row[system].as_deref()?;
            match found {
                Some(f) if f != local => return None,
                _ => found = Some(local),
            }
        }
        found.filter(|f| !f.eq_ignore_ascii_case(value))
    }
}

#[cfg(test)]
mod tests;
