//! Turning one loosely typed input record (JSON object or CSV row) into an `Item`, or the reason it is skipped.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::model::Item;

/// Why a row was skipped: the field and what was wrong with it.
#[derive(Debug, Clone, PartialEq)]
pub struct Skip {
    /// The offending field.
    pub field: String,
    /// What was wrong.
    pub reason: String,
}

impl Skip {
    fn new(field: &str, reason: impl Into<String>) -> Self {
        Skip {
            field: field.to_string(),
            reason: reason.into(),
        }
    }
}

const ID_KEYS: &[&str] = &["id", "item_id", "asin", "parent_asin"];
const KNOWN: &[&str] = &[
    "id",
    "item_id",
    "asin",
    "parent_asin",
    "title",
    "description",
    "features",
    "categories",
    "category",
    "category_path",
    "price",
    "rating",
    "average_rating",
    "details",
    "images",
    "image",
    "new_description",
];

/// Whether `key` is one of the item fields the importers understand (as opposed to an extra detail column).
pub fn is_known(key: &str) -> bool {
    KNOWN.contains(&key)
}

/// Build an item from a JSON object. `id_hint` is the key of a MUSE id → item object; `max_chars` bounds every text field.
/// With `extra_as_details`, unknown scalar fields become details (CSV columns).
pub fn item_from_object(
    id_hint: Option<&str>,
    obj: &Map<String, Value>,
    max_chars: usize,
    extra_as_details: bool,
) -> Result<Item, Skip> {
    let id = match id_hint {
        Some(id) => id.trim().to_string(),
        None => id_field(obj)?,
    };
    if id.is_empty() {
        return Err(Skip::new("id", "missing id"));
    }
    check_len("id", &id, max_chars.min(512))?;
    let title = match obj.get("title") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
        Some(Value::String(_)) | Some(Value::Null) | None => {
            return Err(Skip::new("title", "missing title"));
        }
        Some(other) => {
            return Err(Skip::new(
                "title",
                format!("expected text, got {}", kind(other)),
            ));
        }
    };
    check_len("title", &title, max_chars)?;
    let description = text_list(obj.get("description"), "description", None, max_chars)?;
    let features = text_list(obj.get("features"), "features", Some('|'), max_chars)?;
    let categories = match first(obj, &["categories", "category", "category_path"]) {
        Some((key, v)) => text_list(Some(v), key, Some('>'), max_chars)?,
        None => Vec::new(),
    };
    let price = number(obj.get("price"), "price", 0.0, f64::MAX, "bad price")?;
    let rating = match first(obj, &["rating", "average_rating"]) {
        Some((key, v)) => number(Some(v), key, 0.0, 5.0, "bad rating")?,
        None => None,
    };
    let mut details = details(obj.get("details"), max_chars)?;
    if extra_as_details {
        for (k, v) in obj {
            if KNOWN.contains(&k.as_str()) {
                continue;
            }
            if let Some(text) = scalar_text(v).filter(|t| !t.is_empty()) {
                check_len(k, &text, max_chars)?;
                details.insert(k.clone(), text);
            }
        }
    }
    let images = match first(obj, &["images", "image"]) {
        Some((key, v)) => text_list(Some(v), key, Some('|'), max_chars)?,
        None => Vec::new(),
    };
    let new_description = match obj.get("new_description") {
        Some(Value::String(s)) if !s.trim().is_empty() => {
            check_len("new_description", s, max_chars)?;
            Some(s.clone())
        }
        Some(Value::String(_)) | Some(Value::Null) | None => None,
        Some(other) => {
            return Err(Skip::new(
                "new_description",
                format!("expected text, got {}", kind(other)),
            ));
        }
    };
    Ok(Item {
        id,
        title,
        description,
        features,
        categories,
        price,
        rating,
        details,
        images,
        new_description,
    })
}

fn id_field(obj: &Map<String, Value>) -> Result<String, Skip> {
    match first(obj, ID_KEYS) {
        Some((_, Value::String(s))) => Ok(s.trim().to_string()),
        Some((_, Value::Number(n))) => Ok(n.to_string()),
        Some((key, Value::Null)) | Some((key, Value::Bool(_))) => Err(Skip::new(key, "missing id")),
        Some((key, other)) => Err(Skip::new(
            key,
            format!("expected text, got {}", kind(other)),
        )),
        None => Err(Skip::new("id", "missing id")),
    }
}

fn first<'a>(
    obj: &'a Map<String, Value>,
    keys: &[&'static str],
) -> Option<(&'static str, &'a Value)> {
    keys.iter()
        .find_map(|k| obj.get(*k).filter(|v| !v.is_null()).map(|v| (*k, v)))
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn check_len(field: &str, text: &str, max_chars: usize) -> Result<(), Skip> {
    if text.len() > max_chars && text.chars().count() > max_chars {
        return Err(Skip::new(
            field,
            format!("longer than {max_chars} characters"),
        ));
    }
    Ok(())
}

/// A list of texts: a JSON array of strings, or a string (a JSON array in text, or split on `sep`).
fn text_list(
    v: Option<&Value>,
    field: &str,
    sep: Option<char>,
    max_chars: usize,
) -> Result<Vec<String>, Skip> {
    let mut out = Vec::new();
    match v {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) => {
            let s = s.trim();
            if let Some(Value::Array(items)) = s
                .starts_with('[')
                .then(|| serde_json::from_str::<Value>(s).ok())
                .flatten()
            {
                return text_list(Some(&Value::Array(items)), field, None, max_chars);
            }
            let parts: Vec<&str> = match sep {
                Some(c) => s.split(c).collect(),
                None => vec![s],
            };
            out.extend(
                parts
                    .into_iter()
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(String::from),
            );
        }
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                match item {
                    Value::String(s) if !s.trim().is_empty() => out.push(s.trim().to_string()),
                    Value::String(_) | Value::Null => {}
                    Value::Number(n) => out.push(n.to_string()),
                    other => {
                        return Err(Skip::new(
                            field,
                            format!("element {i}: expected text, got {}", kind(other)),
                        ));
                    }
                }
            }
        }
        Some(other) => {
            return Err(Skip::new(
                field,
                format!("expected text or a list of texts, got {}", kind(other)),
            ));
        }
    }
    for text in &out {
        check_len(field, text, max_chars)?;
    }
    Ok(out)
}

/// A number in [lo, hi]: a JSON number, or text such as "$1,299.00"; empty or null means unknown.
fn number(
    v: Option<&Value>,
    field: &str,
    lo: f64,
    hi: f64,
    what: &str,
) -> Result<Option<f64>, Skip> {
    let x = match v {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => {
            let t: String = s
                .trim()
                .chars()
                .filter(|c| !matches!(c, '$' | ',' | '€' | '£' | ' '))
                .collect();
            if t.is_empty() || t.eq_ignore_ascii_case("none") || t.eq_ignore_ascii_case("null") {
                return Ok(None);
            }
            t.parse::<f64>().ok()
        }
        Some(other) => {
            return Err(Skip::new(
                field,
                format!("{what}: expected a number, got {}", kind(other)),
            ));
        }
    };
    match x {
        Some(x) if x.is_finite() && x >= lo && x <= hi => Ok(Some(x)),
        _ => {
            let shown = v.map(|v| v.to_string()).unwrap_or_default();
            let shown: String = shown.chars().take(40).collect();
            Err(Skip::new(field, format!("{what} {shown}")))
        }
    }
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().filter_map(scalar_text).collect();
            Some(parts.join(", "))
        }
        _ => None,
    }
}

fn details(v: Option<&Value>, max_chars: usize) -> Result<BTreeMap<String, String>, Skip> {
    let mut out = BTreeMap::new();
    match v {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (k, v) in map {
                if let Some(text) = scalar_text(v).filter(|t| !t.is_empty()) {
                    check_len("details", &text, max_chars)?;
                    out.insert(k.trim().to_string(), text);
                }
            }
        }
        Some(Value::String(s)) if s.trim().is_empty() => {}
        Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
            Ok(obj @ Value::Object(_)) => return details(Some(&obj), max_chars),
            _ => return Err(Skip::new("details", "expected a JSON object")),
        },
        Some(other) => {
            return Err(Skip::new(
                "details",
                format!("expected an object, got {}", kind(other)),
            ));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn muse_item_maps_field_by_field() {
        let o = obj(json!({
            "title": "Pant", "description": ["A"], "features": ["B"],
            "categories": ["X", "Y"], "price": 48.5, "average_rating": 4.5,
            "details": {"Department": "Mens", "Weight": 3}, "images": "images_main/1.jpg",
            "new_description": "N", "item_id": "1"
        }));
        let item = item_from_object(Some("1"), &o, 1000, false).unwrap();
        assert_eq!(item.price, Some(48.5));
        assert_eq!(item.rating, Some(4.5));
        assert_eq!(item.images, vec!["images_main/1.jpg"]);
        assert_eq!(item.details["Weight"], "3");
        assert_eq!(item.categories, vec!["X", "Y"]);
    }

    #[test]
    fn skip_reasons_name_the_field() {
        let cases = [
            (json!({"id": "1"}), "title", "missing title"),
            (json!({"id": "1", "title": 5}), "title", "expected text"),
            (json!({"title": "t"}), "id", "missing id"),
            (
                json!({"id": "1", "title": "t", "price": "abc"}),
                "price",
                "bad price",
            ),
            (
                json!({"id": "1", "title": "t", "price": -3}),
                "price",
                "bad price",
            ),
            (
                json!({"id": "1", "title": "t", "rating": 9}),
                "rating",
                "bad rating",
            ),
            (
                json!({"id": "1", "title": "t", "features": [{}]}),
                "features",
                "element 0",
            ),
            (
                json!({"id": "1", "title": "t", "details": 3}),
                "details",
                "expected an object",
            ),
            (
                json!({"id": "1", "title": "x".repeat(50)}),
                "title",
                "longer than 20",
            ),
        ];
        for (v, field, reason) in cases {
            let skip = item_from_object(None, &obj(v.clone()), 20, false).unwrap_err();
            assert_eq!(skip.field, field, "{v}");
            assert!(skip.reason.contains(reason), "{v}: {}", skip.reason);
        }
    }

    #[test]
    fn text_forms_of_csv_cells_are_understood() {
        let o = obj(json!({
            "id": "7", "title": "Boot", "price": "$1,299.00", "categories": "Shoes > Boots",
            "features": "Warm | Dry", "details": "{\"Color\": \"red\"}", "colour": "red", "price_band": ""
        }));
        let item = item_from_object(None, &o, 1000, true).unwrap();
        assert_eq!(item.price, Some(1299.0));
        assert_eq!(item.categories, vec!["Shoes", "Boots"]);
        assert_eq!(item.features, vec!["Warm", "Dry"]);
        assert_eq!(item.details["Color"], "red");
        assert_eq!(item.details["colour"], "red");
        assert!(!item.details.contains_key("price_band"));
        let empty_price = obj(json!({"id": "8", "title": "T", "price": ""}));
        assert_eq!(
            item_from_object(None, &empty_price, 100, true)
                .unwrap()
                .price,
            None
        );
    }
}
