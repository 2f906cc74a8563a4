//! Secrets kept off every screen and file: the values known to be credentials (API keys read from the environment,
//! header values, passwords in URLs) and any text shaped like a key are replaced by [`HIDDEN`] wherever musegen
//! shows text: the printed config, `--json` reports, log lines and error messages.
//!
//! Hand-written: what counts as a credential here is musegen's own policy (its config keys, its providers' key
//! shapes), which no crate encodes; the replacement itself is plain string work.

use std::sync::RwLock;

/// What a hidden value is shown as.
pub const HIDDEN: &str = "[hidden]";

/// Known secret values shorter than this are not scrubbed from free text (they would match ordinary words); they
/// are still hidden where they appear as a whole config value.
const MIN_SCRUB_LEN: usize = 6;

/// Prefixes of the key formats providers issue (OpenAI, Anthropic, OpenRouter, Groq, xAI, Hugging Face, GitHub,
/// Google): a token starting with one of these and long enough is a key, wherever it is seen.
const KEY_PREFIXES: [&str; 10] = [
    "sk-",
    "sk_",
    "rk-",
    "gsk_",
    "xai-",
    "hf_",
    "ghp_",
    "gho_",
    "github_pat_",
    "AIza",
];

/// Characters a key token is made of.
fn key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~' | '+' | '/' | '=')
}

/// Secret values registered by this process.
static KNOWN: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Remember `value` as a secret, so that [`scrub`] hides it from any text from now on.
pub fn register(value: &str) {
    let value = value.trim();
    if value.len() < MIN_SCRUB_LEN {
        return;
    }
    // The bare token of an `Authorization: Bearer …` value is a secret on its own too.
    let token = value
        .split_once(' ')
        .map(|(_, t)| t.trim())
        .filter(|t| t.len() >= MIN_SCRUB_LEN);
    if let Ok(mut known) = KNOWN.write() {
        for v in std::iter::once(value).chain(token) {
            if !known.iter().any(|k| k == v) {
                known.push(v.to_string());
                // Longest first, so that a value containing another is replaced whole.
                known.sort_by_key(|k| std::cmp::Reverse(k.len()));
            }
        }
    }
}

/// Register the values of environment variables whose names say they hold credentials (`*_API_KEY`, `*_TOKEN`,
/// `*SECRET*`, `*PASSWORD*`), so that a key is hidden even when it reaches text by a path musegen did not foresee.
/// Short values and paths are left alone: they are not keys, and scrubbing them would garble ordinary text.
pub fn register_environment() {
    for (name, value) in std::env::vars_os() {
        let (Some(name), Some(value)) = (name.to_str(), value.to_str()) else {
            continue;
        };
        let v = value.trim();
        if credential_name(name)
            && v.len() >= 12
            && !v.contains(char::is_whitespace)
            && !v.starts_with('/')
        {
            register(v);
        }
    }
}

/// Whether a variable or field name says it holds a credential: one of its words (split at `_`, `-`, `.`) is
/// `KEY`, `TOKEN`, `SECRET`, `PASSWORD`, `AUTH`, `AUTHORIZATION` or `CREDENTIALS`, and it does not end in `ENV`
/// (`api_key_env` names a variable, it holds no key). `max_tokens` is a count, not a token.
pub fn credential_name(name: &str) -> bool {
    let words: Vec<String> = name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_uppercase)
        .collect();
    let credential = [
        "KEY",
        "APIKEY",
        "TOKEN",
        "SECRET",
        "PASSWORD",
        "PASSWD",
        "AUTH",
        "AUTHORIZATION",
        "CREDENTIAL",
        "CREDENTIALS",
    ];
    words.iter().any(|w| credential.contains(&w.as_str()))
        && words.last().is_none_or(|w| w != "ENV")
}

/// `text` with every registered secret and every key-shaped token replaced by [`HIDDEN`].
pub fn scrub(text: &str) -> String {
    let mut out = text.to_string();
    if let Ok(known) = KNOWN.read() {
        for k in known.iter() {
            if out.contains(k.as_str()) {
                out = out.replace(k.as_str(), HIDDEN);
            }
        }
    }
    hide_key_tokens(&out)
}

/// Replace tokens that start with a provider's key prefix, and the credential after `Bearer ` / `Basic ` (the
/// scheme word stays, so the text still says what was there).
fn hide_key_tokens(text: &str) -> String {
    let token = |from: &str| from.find(|c: char| !key_char(c)).unwrap_or(from.len());
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        let at_boundary = out.chars().next_back().is_none_or(|c| !key_char(c));
        if at_boundary {
            if let Some(scheme) = SCHEMES.iter().find(|s| rest.starts_with(*s)) {
                out.push_str(scheme);
                rest = &rest[scheme.len()..];
                let n = token(rest);
                if n >= 8 && !rest.starts_with(HIDDEN) {
                    out.push_str(HIDDEN);
                    rest = &rest[n..];
                }
                continue;
            }
            if let Some(len) = key_token_len(rest) {
                out.push_str(HIDDEN);
                rest = &rest[len..];
                continue;
            }
        }
        let Some(c) = rest.chars().next() else { break };
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// `Authorization` schemes whose credential follows a space.
const SCHEMES: [&str; 4] = ["Bearer ", "bearer ", "Basic ", "Token "];

/// The length of the provider-key token at the start of `s`, if there is one.
fn key_token_len(s: &str) -> Option<usize> {
    let p = KEY_PREFIXES.iter().find(|p| s.starts_with(*p))?;
    let n = s.find(|c: char| !key_char(c)).unwrap_or(s.len());
    (n >= p.len() + 16).then_some(n)
}

/// Whether a whole config value looks like a credential: a provider key, an `Authorization` value, or a long
/// random-looking token (letters and digits, 32 characters or more, no spaces).
pub fn looks_like_key(value: &str) -> bool {
    let v = value.trim();
    if key_token_len(v) == Some(v.len()) {
        return true;
    }
    if let Some(rest) = SCHEMES.iter().find_map(|s| v.strip_prefix(s)) {
        return !rest.trim().is_empty();
    }
    v.len() >= 32
        && v.chars().all(key_char)
        && v.chars().any(|c| c.is_ascii_digit())
        && v.chars().any(|c| c.is_ascii_alphabetic())
        && !v.contains('/')
}

/// `url` with the password of its user part and the values of credential-named query parameters hidden
/// (`https://user:pass@host/?api-key=…`); other URLs come back as they are.
pub fn hide_in_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, tail) = match rest.find(['/', '?', '#']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let authority = match authority.rsplit_once('@') {
        Some((user, host)) => match user.split_once(':') {
            Some((name, _)) => format!("{name}:{HIDDEN}@{host}"),
            None => format!("{HIDDEN}@{host}"),
        },
        None => authority.to_string(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let query: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((k, _)) if credential_name(k) || k.eq_ignore_ascii_case("sig") => {
                        format!("{k}={HIDDEN}")
                    }
                    _ => pair.to_string(),
                })
                .collect();
            format!("{path}?{}", query.join("&"))
        }
        None => tail.to_string(),
    };
    format!("{scheme}://{authority}{tail}")
}

/// A writer that scrubs what passes through it (the log's writer): a log formatter writes one whole event per
/// call, so a secret is never split across two writes.
pub struct Scrubbed<W>(pub W);

impl<W: std::io::Write> std::io::Write for Scrubbed<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = scrub(&String::from_utf8_lossy(buf));
        self.0.write_all(text.as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_values_and_key_shapes_are_scrubbed() {
        register("Bearer gw-tenant-0123456789");
        let text = "401 from gateway: token gw-tenant-0123456789 rejected; also sk-proj-AbCdEf0123456789xyz and \
                    Authorization: Bearer gw-tenant-0123456789";
        let s = scrub(text);
        assert!(!s.contains("gw-tenant-0123456789"), "{s}");
        assert!(!s.contains("AbCdEf0123456789"), "{s}");
        assert!(s.contains("401 from gateway"), "{s}");
        assert_eq!(
            scrub("header Authorization: Bearer abcdefgh12345 sent"),
            "header Authorization: Bearer [hidden] sent"
        );
        // Ordinary words and short ids stay.
        assert_eq!(
            scrub("the task-oriented sk-1 asked"),
            "the task-oriented sk-1 asked"
        );
        assert_eq!(
            scrub("c00000012 in conversations.jsonl"),
            "c00000012 in conversations.jsonl"
        );
    }

    #[test]
    fn the_log_writer_scrubs_each_event() {
        use std::io::Write;
        register("log-secret-0a0b0c0d0e");
        let mut w = Scrubbed(Vec::new());
        writeln!(w, "WARN request failed: key log-secret-0a0b0c0d0e refused").unwrap();
        let text = String::from_utf8(w.0).unwrap();
        assert_eq!(text, "WARN request failed: key [hidden] refused\n");
    }

    #[test]
    fn key_shaped_config_values_are_recognised() {
        for key in [
            "sk-ant-api03-abcdefghijklmnop",
            "Bearer abc",
            "hf_abcdefghijklmnopqrstu",
            "3f9a1c0b7e2d4a6f8b0c1d2e3f4a5b6c7d8e9f0a",
        ] {
            assert!(looks_like_key(key), "{key}");
        }
        for plain in [
            "gpt-4o-mini",
            "https://api.openai.com/v1",
            "musegen-eval",
            "sk-1",
            "judge",
        ] {
            assert!(!looks_like_key(plain), "{plain}");
        }
    }

    #[test]
    fn url_credentials_are_hidden() {
        assert_eq!(
            hide_in_url("https://me:p4ssw0rd@gw.example.com/v1?api-key=abc&x=1"),
            "https://me:[hidden]@gw.example.com/v1?api-key=[hidden]&x=1"
        );
        assert_eq!(
            hide_in_url("https://api.openai.com/v1"),
            "https://api.openai.com/v1"
        );
    }

    #[test]
    fn credential_names() {
        for n in [
            "OPENAI_API_KEY",
            "HF_TOKEN",
            "x-api-key",
            "Authorization",
            "DB_PASSWORD",
        ] {
            assert!(credential_name(n), "{n}");
        }
        for n in [
            "api_key_env",
            "OPENAI_BASE_URL",
            "HOME",
            "User-Agent",
            "max_tokens",
            "max_tokens_cap",
            "XAUTHORITY",
        ] {
            assert!(!credential_name(n), "{n}");
        }
    }
}
