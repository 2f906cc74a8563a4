//! The config as it may be shown: every header value, every key-shaped value and every credential in a URL hidden
//! (`config show`, the dataset card), and those values registered as secrets so that no log line or error message
//! shows them either.

use crate::secret::{self, HIDDEN};

use super::Config;

impl Config {
    /// The effective config as TOML with header values, key-shaped values and URL credentials replaced by
    /// [`HIDDEN`]: what `config show` prints and the dataset card quotes.
    pub fn to_toml_shown(&self) -> crate::Result<String> {
        let mut value = toml::Value::try_from(self)
            .map_err(|e| crate::Error::Config(format!("cannot print the config: {e}")))?;
        hide(&mut value, false);
        toml::to_string_pretty(&value)
            .map_err(|e| crate::Error::Config(format!("cannot print the config: {e}")))
    }

    /// Register the config's credentials with [`secret::register`]: header values that are keys (by the header's
    /// name or the value's shape) and passwords or key parameters in base URLs.
    pub fn register_secrets(&self) {
        for role in [
            &self.roles.user_agent,
            &self.roles.system_agent,
            &self.roles.scenario_writer,
            &self.roles.judge,
        ] {
            for (name, value) in &role.headers {
                if secret::credential_name(name) || secret::looks_like_key(value) {
                    secret::register(value);
                }
            }
            if let Some(url) = &role.base_url {
                register_url_credentials(url);
            }
        }
    }
}

/// Register what [`secret::hide_in_url`] would hide in `url`.
fn register_url_credentials(url: &str) {
    let shown = secret::hide_in_url(url);
    if shown == url {
        return;
    }
    // The hidden parts are the spans where the two texts differ.
    let (a, b) = (url.as_bytes(), shown.as_bytes());
    let mut i = 0;
    let mut j = 0;
    while i < a.len() && j < b.len() {
        if a[i] == b[j] {
            i += 1;
            j += 1;
            continue;
        }
        let end = url[i..]
            .find(['@', '&', '#', '/'])
            .map_or(url.len(), |n| i + n);
        secret::register(&url[i..end]);
        i = end;
        j += HIDDEN.len();
    }
}

/// Hide, in place, every value under a `headers` table and every string that looks like a key or holds a URL
/// credential.
fn hide(value: &mut toml::Value, in_headers: bool) {
    match value {
        toml::Value::String(s) => {
            if in_headers || secret::looks_like_key(s) {
                *s = HIDDEN.into();
            } else if s.contains("://") {
                *s = secret::hide_in_url(s);
            }
        }
        toml::Value::Table(t) => {
            for (k, v) in t.iter_mut() {
                hide(v, in_headers || k == "headers");
            }
        }
        toml::Value::Array(items) => {
            for v in items {
                hide(v, in_headers);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_keys_and_url_credentials_are_hidden() {
        let mut c = Config::default();
        c.roles.judge.headers.insert(
            "Authorization".into(),
            "Bearer sk-live-0123456789abcdefXYZ".into(),
        );
        c.roles
            .judge
            .headers
            .insert("HTTP-Referer".into(), "https://example.org/me".into());
        c.roles.user_agent.base_url = Some("https://bob:hunter2hunter2@gw.example.com/v1".into());
        c.roles.system_agent.organization = Some("sk-proj-0123456789abcdefghij".into());
        let text = c.to_toml_shown().unwrap();
        for leak in [
            "sk-live-0123456789abcdefXYZ",
            "0123456789abcdef",
            "hunter2",
            "example.org/me",
            "sk-proj",
        ] {
            assert!(!text.contains(leak), "{leak} in\n{text}");
        }
        assert!(text.contains("Authorization"), "header names stay: {text}");
        assert!(text.contains("gw.example.com"), "{text}");
        // The shown config still reads back (the same keys, only values hidden).
        let back: Config = toml::from_str(&text).unwrap();
        assert_eq!(back.roles.judge.headers.len(), 2);
    }

    #[test]
    fn registered_credentials_are_scrubbed_from_text() {
        let mut c = Config::default();
        c.roles
            .scenario_writer
            .headers
            .insert("x-api-key".into(), "tenant-key-9f8e7d6c".into());
        c.roles.judge.base_url = Some("https://amy:pw-0a1b2c3d4e@gw.example.com/v1".into());
        c.register_secrets();
        let s = secret::scrub(
            "rejected tenant-key-9f8e7d6c at https://amy:pw-0a1b2c3d4e@gw.example.com/v1",
        );
        assert!(!s.contains("tenant-key-9f8e7d6c"), "{s}");
        assert!(!s.contains("pw-0a1b2c3d4e"), "{s}");
        assert!(s.contains("gw.example.com"), "{s}");
    }
}
