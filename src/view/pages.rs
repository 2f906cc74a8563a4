//! The viewer's data files: JavaScript files that hand JSON to a global function of the viewer, so that a page
//! opened from `file://` can load them with a `<script>` element (no server, no fetch). Records go out in pages of
//! a fixed size, each page with the item cards its records mention.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{Value, json};

use crate::catalog::Index;
use crate::model::Item;
use crate::{Error, Result};

/// Write `value` as `CALLBACK(page, JSON.parse('…'));` (or `NAME = JSON.parse('…');` when `page` is `None`) to
/// `path`. The JSON goes in a string literal: a browser parses a large JSON string faster than the same data as a
/// script literal, and inside the string nothing of the data can be read as code.
pub fn write_script<T: Serialize>(
    path: &Path,
    callback: &str,
    page: Option<usize>,
    value: &T,
) -> Result<()> {
    let json =
        serde_json::to_vec(value).map_err(|e| Error::write(path, std::io::Error::other(e)))?;
    let file = File::create(path).map_err(|e| Error::write(path, e))?;
    let mut w = BufWriter::with_capacity(1 << 16, file);
    let head = match page {
        Some(n) => format!("{callback}({n}, JSON.parse('"),
        None => format!("{callback} = JSON.parse('"),
    };
    let tail = match page {
        Some(_) => "'));\n",
        None => "');\n",
    };
    let mut body = Vec::with_capacity(json.len() + json.len() / 16);
    for b in json {
        // serde_json writes no raw line break; a quote or a backslash is escaped for the string literal.
        if b == b'\'' || b == b'\\' {
            body.push(b'\\');
        }
        body.push(b);
    }
    w.write_all(head.as_bytes())
        .and_then(|()| w.write_all(&body))
        .and_then(|()| w.write_all(tail.as_bytes()))
        .and_then(|()| w.flush())
        .map_err(|e| Error::write(path, e))
}

/// The item cards, looked up once per id in the catalog (when there is one), with their pictures resolved.
pub struct Cards {
    catalog: Option<Index>,
    dir: PathBuf,
    cache: HashMap<String, Option<Value>>,
}

impl Cards {
    /// Cards from `catalog` (none without one); picture paths are resolved against the run folder `dir`.
    pub fn new(catalog: Option<Index>, dir: &Path) -> Cards {
        Cards {
            catalog,
            dir: dir.to_path_buf(),
            cache: HashMap::new(),
        }
    }

    /// The card of `id`, or `None` when the catalog lacks it.
    pub fn card(&mut self, id: &str) -> Result<Option<Value>> {
        if let Some(c) = self.cache.get(id) {
            return Ok(c.clone());
        }
        let item = match &self.catalog {
            Some(index) => index.get(id)?,
            None => None,
        };
        let card = item.map(|i| card(&i, &self.dir));
        self.cache.insert(id.to_string(), card.clone());
        Ok(card)
    }

    /// The cards of `ids` (those the catalog has), by id.
    pub fn cards<'a>(
        &mut self,
        ids: impl IntoIterator<Item = &'a String>,
    ) -> Result<BTreeMap<String, Value>> {
        let mut out = BTreeMap::new();
        for id in ids {
            if out.contains_key(id) {
                continue;
            }
            if let Some(c) = self.card(id)? {
                out.insert(id.clone(), c);
            }
        }
        Ok(out)
    }
}

/// What the viewer shows of an item.
fn card(item: &Item, dir: &Path) -> Value {
    let image_ref = item.images.first().cloned();
    let image = image_ref.as_deref().and_then(|r| picture_url(r, dir));
    json!({
        "id": item.id,
        "title": item.title,
        "price": item.price,
        "rating": item.rating,
        "categories": item.categories,
        "details": item.details,
        "features": item.features.iter().take(5).collect::<Vec<_>>(),
        "image": image,
        "image_ref": image_ref,
    })
}

/// A picture the viewer can show from `viewer/index.html`: a file that exists (relative to the run folder, or an
/// absolute path), as a URL; `None` for a missing file or a remote address (the viewer uses no network).
pub fn picture_url(reference: &str, dir: &Path) -> Option<String> {
    if reference.contains("://") || reference.starts_with("data:") {
        return None;
    }
    let path = Path::new(reference);
    if path.is_absolute() {
        return path.is_file().then(|| file_url(path));
    }
    if dir.join(path).is_file() {
        let parts: Vec<String> = path
            .components()
            .map(|c| percent_encode(&c.as_os_str().to_string_lossy()))
            .collect();
        return Some(format!("../{}", parts.join("/")));
    }
    None
}

fn file_url(path: &Path) -> String {
    let parts: Vec<String> = path
        .components()
        .filter_map(|c| match c {
            std::path::Component::Normal(s) => Some(percent_encode(&s.to_string_lossy())),
            _ => None,
        })
        .collect();
    format!("file:///{}", parts.join("/"))
}

/// Percent-encode everything but unreserved characters, so a file name cannot break out of a URL.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pictures_resolve_only_to_files_that_exist() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("images")).unwrap();
        std::fs::write(dir.path().join("images/a b\".jpg"), b"x").unwrap();
        assert_eq!(
            picture_url("images/a b\".jpg", dir.path()).as_deref(),
            Some("../images/a%20b%22.jpg")
        );
        assert_eq!(picture_url("images/missing.jpg", dir.path()), None);
        assert_eq!(picture_url("https://example.com/x.jpg", dir.path()), None);
    }

    #[test]
    fn scripts_hand_json_to_the_callback() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.js");
        write_script(&p, "F", Some(3), &json!({"t": "</script> it's \\ \"q\""})).unwrap();
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            r#"F(3, JSON.parse('{"t":"</script> it\'s \\\\ \\"q\\""}'));"#.to_string() + "\n"
        );
        write_script(&p, "window.X", None, &json!([1])).unwrap();
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            "window.X = JSON.parse('[1]');\n"
        );
    }
}
