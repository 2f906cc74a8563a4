//! Rate-limit hints from response headers: `Retry-After`, `retry-after-ms`, `x-ratelimit-reset-*`, `x-ratelimit-remaining-*`.

use std::time::Duration;

/// What the server said about when to come back and how much is left.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RateHints {
    /// `retry-after-ms` or `Retry-After` (seconds).
    pub retry_after: Option<Duration>,
    /// `x-ratelimit-reset-requests`.
    pub reset_requests: Option<Duration>,
    /// `x-ratelimit-reset-tokens`.
    pub reset_tokens: Option<Duration>,
    /// `x-ratelimit-remaining-requests`.
    pub remaining_requests: Option<u64>,
    /// `x-ratelimit-remaining-tokens`.
    pub remaining_tokens: Option<u64>,
}

impl RateHints {
    /// Read the hints from a header lookup (`name` is lowercase).
    pub fn from_headers(get: impl Fn(&str) -> Option<String>) -> Self {
        let retry_after = get("retry-after-ms")
            .and_then(|v| v.trim().parse::<f64>().ok())
            .map(|ms| Duration::from_secs_f64(ms.max(0.0) / 1000.0))
            .or_else(|| {
                get("retry-after")
                    .and_then(|v| v.trim().parse::<f64>().ok())
                    .map(|s| Duration::from_secs_f64(s.max(0.0)))
            });
        RateHints {
            retry_after,
            reset_requests: get("x-ratelimit-reset-requests").and_then(|v| parse_duration(&v)),
            reset_tokens: get("x-ratelimit-reset-tokens").and_then(|v| parse_duration(&v)),
            remaining_requests: get("x-ratelimit-remaining-requests")
                .and_then(|v| v.trim().parse().ok()),
            remaining_tokens: get("x-ratelimit-remaining-tokens")
                .and_then(|v| v.trim().parse().ok()),
        }
    }

    /// How long to wait before retrying: the explicit retry-after, else the longer reset when nothing remains.
    pub fn wait(&self) -> Option<Duration> {
        if self.retry_after.is_some() {
            return self.retry_after;
        }
        let requests = self
            .reset_requests
            .filter(|_| self.remaining_requests == Some(0));
        let tokens = self
            .reset_tokens
            .filter(|_| self.remaining_tokens == Some(0));
        match (requests, tokens) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b).or(self.reset_requests),
        }
    }
}

/// OpenAI's reset format: `1s`, `6m0s`, `20ms`, `1h2m3.5s`, or plain seconds.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let t = text.trim();
    if let Ok(secs) = t.parse::<f64>() {
        return Some(Duration::from_secs_f64(secs.max(0.0)));
    }
    let mut total = 0.0;
    let mut number = String::new();
    let mut chars = t.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            number.push(c);
            continue;
        }
        let value: f64 = number.parse().ok()?;
        number.clear();
        let unit = match c {
            'h' => 3600.0,
            'm' if chars.peek() == Some(&'s') => {
                chars.next();
                0.001
            }
            'm' => 60.0,
            's' => 1.0,
            _ => return None,
        };
        total += value * unit;
        any = true;
    }
    (any && number.is_empty()).then(|| Duration::from_secs_f64(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_openai_format() {
        assert_eq!(parse_duration("1s"), Some(Duration::from_secs(1)));
        assert_eq!(parse_duration("6m0s"), Some(Duration::from_secs(360)));
        assert_eq!(parse_duration("20ms"), Some(Duration::from_millis(20)));
        assert_eq!(
            parse_duration("1h2m3.5s"),
            Some(Duration::from_secs_f64(3723.5))
        );
        assert_eq!(parse_duration("2.5"), Some(Duration::from_secs_f64(2.5)));
        assert_eq!(parse_duration("soon"), None);
    }

    #[test]
    fn retry_after_ms_wins_then_resets_when_exhausted() {
        let h = RateHints::from_headers(|n| match n {
            "retry-after-ms" => Some("250".into()),
            "retry-after" => Some("3".into()),
            _ => None,
        });
        assert_eq!(h.wait(), Some(Duration::from_millis(250)));
        let h = RateHints::from_headers(|n| match n {
            "x-ratelimit-remaining-requests" => Some("0".into()),
            "x-ratelimit-reset-requests" => Some("2s".into()),
            "x-ratelimit-reset-tokens" => Some("500ms".into()),
            "x-ratelimit-remaining-tokens" => Some("10".into()),
            _ => None,
        });
        assert_eq!(h.wait(), Some(Duration::from_secs(2)));
    }
}
