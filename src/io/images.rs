//! Item images for vision models: a catalog's image reference (an `https:` URL, a `data:` URL, or a local path
//! relative to `catalog.images_dir`) turned into the URL an image content part carries. Local files are read once
//! and sent as base64 `data:` URLs; a missing or unreadable file is skipped with one warning, so a catalog whose
//! images are references only (the sample catalog's) still runs.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use base64::Engine;

/// Files larger than this are not sent (providers refuse images over about 20 MB).
const MAX_IMAGE_BYTES: u64 = 20 * 1024 * 1024;

/// Resolves and encodes image references, remembering each answer.
#[derive(Debug, Default)]
pub struct ImageLoader {
    dir: Option<PathBuf>,
    seen: Mutex<HashMap<String, Option<String>>>,
}

impl ImageLoader {
    /// A loader resolving relative paths against `dir` (the working folder when `None`).
    pub fn new(dir: Option<&Path>) -> Self {
        ImageLoader {
            dir: dir.map(Path::to_path_buf),
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// The URL to send for `reference`, or `None` when it cannot be sent (the reason is logged once).
    pub fn url(&self, reference: &str) -> Option<String> {
        let reference = reference.trim();
        if reference.is_empty() {
            return None;
        }
        if is_remote(reference) {
            return Some(reference.to_string());
        }
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(answer) = seen.get(reference) {
            return answer.clone();
        }
        let path = match &self.dir {
            Some(dir) => dir.join(reference),
            None => PathBuf::from(reference),
        };
        let answer = match encode_file(&path) {
            Ok(url) => Some(url),
            Err(why) => {
                tracing::warn!("image {} not sent: {why}", path.display());
                None
            }
        };
        seen.insert(reference.to_string(), answer.clone());
        answer
    }

    /// The URLs of every reference that can be sent, in order.
    pub fn urls(&self, references: &[String]) -> Vec<String> {
        references.iter().filter_map(|r| self.url(r)).collect()
    }
}

/// Whether a reference is already a URL a provider can fetch or decode.
pub fn is_remote(reference: &str) -> bool {
    let lower = reference.get(..8).unwrap_or(reference).to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://") || lower.starts_with("data:")
}

/// The media type of an image file, from its extension.
fn media_type(path: &Path) -> Option<&'static str> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    Some(match ext.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        _ => return None,
    })
}

fn encode_file(path: &Path) -> Result<String, String> {
    let media = media_type(path).ok_or("not a .jpg, .jpeg, .png, .gif or .webp file")?;
    let size = std::fs::metadata(path).map_err(|e| e.to_string())?.len();
    if size > MAX_IMAGE_BYTES {
        return Err(format!("{size} bytes is over the 20 MiB limit"));
    }
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let data = base64::engine::general_purpose::STANDARD.encode(bytes);
    Ok(format!("data:{media};base64,{data}"))
}

/// The media type and base64 payload of a `data:…;base64,…` URL.
pub fn split_data_url(url: &str) -> Option<(&str, &str)> {
    let rest = url.strip_prefix("data:")?;
    let (head, data) = rest.split_once(',')?;
    let media = head.strip_suffix(";base64")?;
    Some((media, data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_files_become_data_urls_and_urls_pass_through() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("images_main")).unwrap();
        std::fs::write(dir.path().join("images_main/6231.jpg"), [0xff, 0xd8, 0xff]).unwrap();
        let loader = ImageLoader::new(Some(dir.path()));
        let url = loader.url("images_main/6231.jpg").unwrap();
        assert_eq!(url, "data:image/jpeg;base64,/9j/");
        assert_eq!(split_data_url(&url), Some(("image/jpeg", "/9j/")));
        assert_eq!(
            loader.url("https://example.com/a.png").as_deref(),
            Some("https://example.com/a.png")
        );
        assert_eq!(loader.url("images_main/missing.jpg"), None);
        assert_eq!(loader.url("notes.txt"), None);
        assert_eq!(
            loader.urls(&["images_main/6231.jpg".into(), "gone.png".into()]),
            vec![url]
        );
    }
}
