//! Which item details each attribute is read from (`color` ← Color, Colour …): the `attributes` of the profile
//! tables' `requirements.toml`, the one list both the profiles (requirements) and the catalog in memory (attribute
//! values) use. Only the keys and labels are read here; the profile tables check the rest of the file.

use std::path::Path;

use serde::Deserialize;

use crate::Result;
use crate::data;

#[derive(Deserialize)]
struct LabelsFile {
    attributes: Vec<LabelRow>,
}

#[derive(Deserialize)]
struct LabelRow {
    key: String,
    labels: Vec<String>,
}

/// The attribute keys of `requirements.toml` with the detail labels each is read from, from the embedded profile
/// tables with files of `override_dir` replacing them by name.
pub fn attribute_labels(override_dir: Option<&Path>) -> Result<Vec<(String, Vec<String>)>> {
    let (file, _): (LabelsFile, _) = data::profile_table(override_dir, "requirements.toml")?;
    Ok(file
        .attributes
        .into_iter()
        .map(|a| (a.key, a.labels))
        .collect())
}
