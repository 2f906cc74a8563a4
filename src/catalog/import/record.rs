//! One record as an input format hands it over, before validation: where it starts, the id its container gave
//! it, and its fields.

use serde_json::{Map, Value};

/// One record read from the input, before validation.
pub struct RawRecord {
    /// 1-based line where the record starts.
    pub line: usize,
    /// The id given by the container (MUSE object key), if any.
    pub id_hint: Option<String>,
    /// The fields.
    pub fields: Map<String, Value>,
}
