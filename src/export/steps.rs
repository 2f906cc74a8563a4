//! The timing of each export step: rows written and seconds, logged as the step ends (`-v`, `--log-file`) and kept
//! in the report of `export all` for its summary lines.

use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::Result;
use crate::progress::{STAGE_TARGET, rate};

/// One export step.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ExportStep {
    /// The step (`sft`, `dpo`, `analytics`, `card` …).
    pub name: String,
    /// Rows written (samples, pairs, table rows), counted once over the formats.
    pub rows: u64,
    /// Seconds taken.
    pub seconds: f64,
}

impl ExportStep {
    /// `sft 1,234 rows in 0.4s (3,085/s)`.
    pub fn line(&self) -> String {
        format!(
            "{} {}",
            self.name,
            rate::summary(self.rows, "rows", self.seconds)
        )
    }
}

/// Run the step `name`, count its rows with `rows`, log its closing line, and return its result with its timing.
pub fn timed<T>(
    name: &str,
    step: impl FnOnce() -> Result<T>,
    rows: impl FnOnce(&T) -> u64,
) -> Result<(T, ExportStep)> {
    let started = Instant::now();
    let out = step()?;
    let timing = ExportStep {
        name: name.to_string(),
        rows: rows(&out),
        seconds: started.elapsed().as_secs_f64(),
    };
    tracing::info!(
        target: STAGE_TARGET,
        "export {name}: {}",
        rate::summary(timing.rows, "rows written", timing.seconds)
    );
    Ok((out, timing))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_keeps_its_result_and_counts_its_rows() {
        let (v, step) = timed("sft", || Ok(vec![1, 2, 3]), |v| v.len() as u64).unwrap();
        assert_eq!(v, vec![1, 2, 3]);
        assert_eq!((step.name.as_str(), step.rows), ("sft", 3));
        assert!(step.seconds >= 0.0);
        assert!(step.line().starts_with("sft 3 rows in "), "{}", step.line());
        assert!(timed("dpo", || Err::<(), _>(crate::Error::Run("x".into())), |_| 0).is_err());
    }
}
