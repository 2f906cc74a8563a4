//! Loading the config: the file with file:line errors and "did you mean" hints, then `--set key=value` overrides, then validation.

use std::path::{Path, PathBuf};

use super::Config;
use crate::{Error, Result, error::line_of};

/// The effective config and where it came from.
#[derive(Debug, Clone)]
pub struct LoadedConfig {
    /// The effective config.
    pub config: Config,
    /// The file it was read from, if any.
    pub source: Option<PathBuf>,
}

/// The file read when `--config` is not given and it exists in the working folder.
pub const DEFAULT_FILE: &str = "musegen.toml";

/// Load `path` (or `musegen.toml` if present, or the defaults), apply `overrides` (`key=value`), and validate.
pub fn load(path: Option<&Path>, overrides: &[String]) -> Result<LoadedConfig> {
    let source = match path {
        Some(p) => Some(p.to_path_buf()),
        None => {
            let default = PathBuf::from(DEFAULT_FILE);
            default.is_file().then_some(default)
        }
    };
    let text = match &source {
        Some(p) => std::fs::read_to_string(p).map_err(|e| Error::read(p, e))?,
        None => String::new(),
    };
    let name = source
        .as_deref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "<defaults>".into());
    // Credentials given on the command line are known secrets before anything can echo them.
    for entry in overrides {
        if let Some((key, value)) = entry.split_once('=')
            && (crate::secret::credential_name(key.rsplit('.').next().unwrap_or(key))
                || key.contains(".headers.")
                || crate::secret::looks_like_key(value))
        {
            crate::secret::register(value.trim().trim_matches('"'));
        }
    }
    let mut config: Config = toml::from_str(&text).map_err(|e| file_error(&name, &text, &e))?;
    if !overrides.is_empty() {
        let mut table: toml::Table =
            toml::from_str(&text).map_err(|e| file_error(&name, &text, &e))?;
        for entry in overrides {
            apply_override(&mut table, entry)?;
            let value = toml::Value::Table(table.clone());
            config = value
                .try_into()
                .map_err(|e: toml::de::Error| override_error(entry, &e))?;
        }
    }
    config.register_secrets();
    config.validate()?;
    Ok(LoadedConfig { config, source })
}

/// Apply one `key.path=value` override to a TOML table. The value is read as TOML (numbers, booleans, arrays, quoted strings) or else taken as a plain string.
pub fn apply_override(table: &mut toml::Table, entry: &str) -> Result<()> {
    let Some((key, raw)) = entry.split_once('=') else {
        return Err(Error::Config(format!(
            "--set {entry}: expected key=value, for example --set profiles.count=100"
        )));
    };
    let key = key.trim();
    let parts: Vec<&str> = key.split('.').map(str::trim).collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Err(Error::Config(format!("--set {entry}: empty key segment")));
    }
    let value = parse_value(raw.trim());
    let mut current = table;
    for part in &parts[..parts.len() - 1] {
        let slot = current
            .entry(part.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        current = match slot {
            toml::Value::Table(t) => t,
            _ => {
                return Err(Error::Config(format!(
                    "--set {entry}: `{part}` is a value, not a section"
                )));
            }
        };
    }
    if let Some(last) = parts.last() {
        current.insert(last.to_string(), value);
    }
    Ok(())
}

fn parse_value(raw: &str) -> toml::Value {
    let doc = format!("v = {raw}");
    toml::from_str::<toml::Table>(&doc)
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_string()))
}

fn file_error(name: &str, text: &str, err: &toml::de::Error) -> Error {
    let line = err.span().map(|s| line_of(text, s.start));
    let section = line.and_then(|l| section_at(text, l));
    let message = explain(err.message(), section.as_deref());
    match line {
        Some(l) => Error::Config(format!("{name}:{l}: {message}")),
        None => Error::Config(format!("{name}: {message}")),
    }
}

fn override_error(entry: &str, err: &toml::de::Error) -> Error {
    Error::Config(format!("--set {entry}: {}", explain(err.message(), None)))
}

/// The `[section]` header in force at `line` (1-based), if any.
fn section_at(text: &str, line: usize) -> Option<String> {
    text.lines()
        .take(line)
        .filter_map(|l| {
            let t = l.trim();
            (t.starts_with('[') && !t.starts_with("[[") && t.ends_with(']'))
                .then(|| t.trim_matches(|c| c == '[' || c == ']').trim().to_string())
        })
        .last()
}

/// Rewrite serde's "unknown field" message into one with the key path and a suggestion.
fn explain(message: &str, section: Option<&str>) -> String {
    let message = message.trim();
    let Some(rest) = message.strip_prefix("unknown field `") else {
        return message.to_string();
    };
    let Some((field, expected)) = rest.split_once('`') else {
        return message.to_string();
    };
    let candidates: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    let path = match section {
        Some(s) if !s.is_empty() => format!("{s}.{field}"),
        _ => field.to_string(),
    };
    let mut out = format!("unknown key `{path}`");
    if let Some(best) = suggest(field, &candidates) {
        out.push_str(&format!(" (did you mean `{best}`?)"));
    } else if !candidates.is_empty() {
        out.push_str(&format!("; known keys here: {}", candidates.join(", ")));
    }
    out
}

/// The closest candidate to `word`, if it is close enough to be a likely typo.
pub fn suggest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim::jaro_winkler(word, c), *c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, text: &str) -> PathBuf {
        let p = dir.join("musegen.toml");
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn defaults_load_without_file() {
        let loaded = load(Some(Path::new("/nonexistent/x.toml")), &[]);
        assert!(matches!(loaded, Err(Error::Read { .. })));
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "");
        assert_eq!(load(Some(&p), &[]).unwrap().config, Config::default());
    }

    #[test]
    fn unknown_key_names_line_section_and_suggestion() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "seed = 3\n\n[profiles]\ncount = 5\nrequirments = 2\n",
        );
        let err = load(Some(&p), &[]).unwrap_err().to_string();
        assert!(err.contains("musegen.toml:5:"), "{err}");
        assert!(err.contains("unknown key `profiles.requirments`"), "{err}");
        assert!(err.contains("did you mean `requirements`?"), "{err}");
    }

    #[test]
    fn wrong_type_names_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "seed = \"seven\"\n");
        let err = load(Some(&p), &[]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("musegen.toml:1:"), "{err}");
    }

    #[test]
    fn overrides_apply_in_order_and_are_typed() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "[profiles]\ncount = 5\n");
        let sets = vec![
            "profiles.count=9".to_string(),
            "profiles.dedup.threshold=0.8".to_string(),
            "catalog.sample_dir=some/dir".to_string(),
        ];
        let c = load(Some(&p), &sets).unwrap().config;
        assert_eq!(c.profiles.count.get(), 9);
        assert_eq!(c.profiles.dedup.threshold, 0.8);
        assert_eq!(c.catalog.sample_dir, Some(PathBuf::from("some/dir")));
    }

    #[test]
    fn override_typo_is_reported_with_suggestion() {
        let err = load(None, &["profiles.cuont=3".to_string()])
            .unwrap_err()
            .to_string();
        assert!(err.contains("--set profiles.cuont=3"), "{err}");
        assert!(err.contains("did you mean `count`?"), "{err}");
        let err = load(None, &["seed".to_string()]).unwrap_err().to_string();
        assert!(err.contains("expected key=value"), "{err}");
    }

    #[test]
    fn validation_rejects_out_of_range_values() {
        let err = load(None, &["profiles.dedup.threshold=1.5".to_string()])
            .unwrap_err()
            .to_string();
        assert!(err.contains("profiles.dedup.threshold"), "{err}");
        let err = load(None, &["profiles.count=0".to_string()]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn show_output_reloads_to_the_same_config() {
        let c = load(None, &["seed=11".to_string()]).unwrap().config;
        let text = c.to_toml().unwrap();
        let back: Config = toml::from_str(&text).unwrap();
        assert_eq!(back, c);
    }
}
