//! What the run panel shows about requests: a plain snapshot that the request manager fills (this layer knows
//! nothing of the manager), and its one-line rendering.

use std::sync::Arc;

use super::rate::{count, figure, short};

/// The requests of a run at one instant: rates over the last minute against the limits in force, and counts since
/// the run started.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunSnapshot {
    /// Requests sent in the last minute (scaled up to a minute while the run is younger than one).
    pub requests_per_min: f64,
    /// The requests-per-minute limit in force (`limits.rpm`).
    pub rpm_limit: u32,
    /// Tokens (prompt + completion, as the server counted them) answered in the last minute, scaled likewise.
    pub tokens_per_min: f64,
    /// The tokens-per-minute limit in force (`limits.tpm`).
    pub tpm_limit: u32,
    /// Requests sent and not answered yet.
    pub in_flight: u64,
    /// The concurrency limit in force now (the adaptive one when it adapts).
    pub concurrency: f64,
    /// The ceiling of the concurrency limit (`limits.concurrency`).
    pub concurrency_max: usize,
    /// Requests sent.
    pub sent: u64,
    /// Answers taken from the response cache (nothing sent).
    pub cached: u64,
    /// 429 answers.
    pub rate_limited: u64,
    /// Attempts retried.
    pub retries: u64,
    /// Requests that failed for good (after their retries, or at once when retrying could not help).
    pub failures: u64,
    /// What the answers of this run cost, in USD.
    pub cost_usd: f64,
}

/// Something that reads a fresh snapshot when asked (the manager's meter, behind a closure).
pub type SnapshotSource = Arc<dyn Fn() -> RunSnapshot + Send + Sync>;

impl RunSnapshot {
    /// One line: `requests 2,810/min of 3,000 (94%) · tokens 410k/min of 1.00M (41%) · in flight 64/128 · 429s 0 ·
    /// retries 3 · failed 0 · cached 12 · $1.2345`.
    pub fn line(&self) -> String {
        let share = |x: f64, limit: u32| {
            if limit == 0 || limit == u32::MAX {
                String::new()
            } else {
                format!(" ({:.0}%)", 100.0 * x / f64::from(limit))
            }
        };
        let limit = |l: u32, show: fn(u64) -> String| {
            if l == u32::MAX {
                "no limit".to_string()
            } else {
                show(u64::from(l))
            }
        };
        let mut line = format!(
            "requests {}/min of {}{} · tokens {}/min of {}{} · in flight {}/{}",
            figure(self.requests_per_min),
            limit(self.rpm_limit, count),
            share(self.requests_per_min, self.rpm_limit),
            short(self.tokens_per_min.round() as u64),
            limit(self.tpm_limit, short),
            share(self.tokens_per_min, self.tpm_limit),
            self.in_flight,
            self.concurrency.floor() as u64,
        );
        if (self.concurrency.floor() as usize) < self.concurrency_max {
            line.push_str(&format!(" (ceiling {})", self.concurrency_max));
        }
        line.push_str(&format!(
            " · 429s {} · retries {} · failed {}",
            count(self.rate_limited),
            count(self.retries),
            count(self.failures)
        ));
        if self.cached > 0 {
            line.push_str(&format!(" · cached {}", count(self.cached)));
        }
        line.push_str(&format!(" · ${:.4}", self.cost_usd));
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_puts_each_rate_against_its_limit() {
        let s = RunSnapshot {
            requests_per_min: 2810.0,
            rpm_limit: 3000,
            tokens_per_min: 410_000.0,
            tpm_limit: 1_000_000,
            in_flight: 64,
            concurrency: 96.5,
            concurrency_max: 128,
            sent: 10_000,
            cached: 0,
            rate_limited: 2,
            retries: 3,
            failures: 0,
            cost_usd: 1.23456,
        };
        assert_eq!(
            s.line(),
            "requests 2,810/min of 3,000 (94%) · tokens 410k/min of 1.00M (41%) · in flight 64/96 (ceiling 128) · \
             429s 2 · retries 3 · failed 0 · $1.2346"
        );
        let unlimited = RunSnapshot {
            rpm_limit: u32::MAX,
            tpm_limit: u32::MAX,
            concurrency: 8.0,
            concurrency_max: 8,
            cached: 5,
            ..RunSnapshot::default()
        };
        assert_eq!(
            unlimited.line(),
            "requests 0/min of no limit · tokens 0/min of no limit · in flight 0/8 · 429s 0 · retries 0 · failed 0 · \
             cached 5 · $0.0000"
        );
    }
}
