//! The manager's running figures, for the run panel and the log: atomic counters of requests sent and answered,
//! in flight, 429s, retries, failures, cache hits, tokens and cost, and a sliding minute of requests and tokens
//! (sixty one-second buckets) for the rates against the RPM and TPM limits. The clock is injected, so the window
//! arithmetic is tested without waiting.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::progress::RunSnapshot;

/// Seconds in the sliding window.
const WINDOW: usize = 60;

/// Time since the meter started; tests hand in a clock they move by hand.
pub type MeterClock = Arc<dyn Fn() -> Duration + Send + Sync>;

/// Requests and tokens of the last minute, one bucket per second.
#[derive(Debug, Clone)]
pub struct Window {
    /// For each bucket: the second it counts (since the start), its requests, its tokens.
    buckets: [(u64, u64, u64); WINDOW],
}

impl Default for Window {
    fn default() -> Self {
        Window {
            buckets: [(u64::MAX, 0, 0); WINDOW],
        }
    }
}

impl Window {
    /// Count `requests` and `tokens` at `now` (time since the start).
    pub fn add(&mut self, now: Duration, requests: u64, tokens: u64) {
        let second = now.as_secs();
        let bucket = &mut self.buckets[(second % WINDOW as u64) as usize];
        if bucket.0 != second {
            *bucket = (second, 0, 0);
        }
        bucket.1 += requests;
        bucket.2 += tokens;
    }

    /// Requests and tokens per minute at `now`: what the buckets of the last 60 seconds hold (the current second
    /// included), scaled up to a minute while less than a minute has passed since the start.
    pub fn per_minute(&self, now: Duration) -> (f64, f64) {
        let second = now.as_secs();
        let oldest = second.saturating_sub(WINDOW as u64 - 1);
        let (requests, tokens) = self
            .buckets
            .iter()
            .filter(|(s, _, _)| *s != u64::MAX && *s >= oldest && *s <= second)
            .fold((0u64, 0u64), |(r, t), (_, br, bt)| (r + br, t + bt));
        // The window covers a whole minute once a minute has passed; before, the time since the start (at least a
        // second, so that the first request does not read as thousands a minute).
        let covered = now.as_secs_f64().clamp(1.0, WINDOW as f64);
        let scale = WINDOW as f64 / covered;
        (requests as f64 * scale, tokens as f64 * scale)
    }
}

/// The limits in force beside the figures.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Limits {
    /// Requests per minute (`limits.rpm`).
    pub rpm: u32,
    /// Tokens per minute (`limits.tpm`).
    pub tpm: u32,
    /// Concurrency ceiling (`limits.concurrency`).
    pub concurrency: usize,
}

/// The counts of [`Meter`] and what the gate says at one moment (for a benchmark or a test to read).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MeterReading {
    /// Requests sent to a server (attempts, retries included; cache hits are not sent).
    pub sent: u64,
    /// Answers received (failed attempts included).
    pub answered: u64,
    /// 429 answers received.
    pub rate_limited: u64,
    /// Attempts that were retried.
    pub retries: u64,
    /// Requests holding a concurrency slot (at the server, or waiting for the rate limiter).
    pub in_flight: usize,
    /// The concurrency limit in force.
    pub limit: usize,
    /// The mean latency observed lately, in milliseconds, once known.
    pub mean_latency_ms: Option<f64>,
}

/// The running figures of one manager.
pub struct Meter {
    clock: MeterClock,
    window: Mutex<Window>,
    sent: AtomicU64,
    answered: AtomicU64,
    in_flight: AtomicU64,
    cached: AtomicU64,
    rate_limited: AtomicU64,
    retries: AtomicU64,
    failures: AtomicU64,
    tokens: AtomicU64,
    /// Cost in billionths of a dollar (atomics hold integers).
    cost_nano_usd: AtomicU64,
}

impl Default for Meter {
    fn default() -> Self {
        let started = Instant::now();
        Self::with_clock(Arc::new(move || started.elapsed()))
    }
}

impl Meter {
    /// A meter reading time from `clock`.
    pub fn with_clock(clock: MeterClock) -> Self {
        Meter {
            clock,
            window: Mutex::new(Window::default()),
            sent: AtomicU64::new(0),
            answered: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
            cached: AtomicU64::new(0),
            rate_limited: AtomicU64::new(0),
            retries: AtomicU64::new(0),
            failures: AtomicU64::new(0),
            tokens: AtomicU64::new(0),
            cost_nano_usd: AtomicU64::new(0),
        }
    }

    fn window(&self) -> std::sync::MutexGuard<'_, Window> {
        self.window.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A request left for the server.
    pub fn sent(&self) {
        self.sent.fetch_add(1, Ordering::Relaxed);
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        self.window().add((self.clock)(), 1, 0);
    }

    /// The server answered (`tokens` as it counted them, `cost_usd` what they cost), or the attempt failed
    /// (`tokens` 0).
    pub fn answered(&self, tokens: u64, cost_usd: f64) {
        self.answered.fetch_add(1, Ordering::Relaxed);
        let _ = self
            .in_flight
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                Some(n.saturating_sub(1))
            });
        if tokens > 0 {
            self.tokens.fetch_add(tokens, Ordering::Relaxed);
            self.window().add((self.clock)(), 0, tokens);
        }
        if cost_usd > 0.0 && cost_usd.is_finite() {
            self.cost_nano_usd
                .fetch_add((cost_usd * 1e9).round() as u64, Ordering::Relaxed);
        }
    }

    /// An answer came from the response cache.
    pub fn cached(&self) {
        self.cached.fetch_add(1, Ordering::Relaxed);
    }

    /// The server said 429.
    pub fn rate_limited(&self) {
        self.rate_limited.fetch_add(1, Ordering::Relaxed);
    }

    /// An attempt is retried.
    pub fn retried(&self) {
        self.retries.fetch_add(1, Ordering::Relaxed);
    }

    /// A request failed for good.
    pub fn failed(&self) {
        self.failures.fetch_add(1, Ordering::Relaxed);
    }

    /// The figures now, beside `limits` and the concurrency limit in force (`concurrency`).
    pub fn snapshot(&self, limits: Limits, concurrency: f64) -> RunSnapshot {
        let (requests_per_min, tokens_per_min) = self.window().per_minute((self.clock)());
        RunSnapshot {
            requests_per_min,
            rpm_limit: limits.rpm,
            tokens_per_min,
            tpm_limit: limits.tpm,
            in_flight: self.in_flight.load(Ordering::Relaxed),
            concurrency,
            concurrency_max: limits.concurrency,
            sent: self.sent.load(Ordering::Relaxed),
            cached: self.cached.load(Ordering::Relaxed),
            rate_limited: self.rate_limited.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            failures: self.failures.load(Ordering::Relaxed),
            cost_usd: self.cost_nano_usd.load(Ordering::Relaxed) as f64 / 1e9,
        }
    }

    /// The counts (the gate's fields left at their defaults).
    pub fn read(&self) -> MeterReading {
        MeterReading {
            sent: self.sent.load(Ordering::Relaxed),
            answered: self.answered.load(Ordering::Relaxed),
            rate_limited: self.rate_limited.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            ..MeterReading::default()
        }
    }

    /// Tokens answered since the start.
    pub fn tokens(&self) -> u64 {
        self.tokens.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A clock moved by hand, in milliseconds.
    fn manual() -> (Arc<AtomicU64>, MeterClock) {
        let ms = Arc::new(AtomicU64::new(0));
        let read = ms.clone();
        (
            ms,
            Arc::new(move || Duration::from_millis(read.load(Ordering::Relaxed))),
        )
    }

    #[test]
    fn the_window_holds_the_last_minute_and_scales_a_young_run_up_to_one() {
        let mut w = Window::default();
        // Ten requests in the first half second: a young run reads per minute from its first (whole) second.
        for _ in 0..10 {
            w.add(Duration::from_millis(500), 1, 100);
        }
        assert_eq!(w.per_minute(Duration::from_millis(500)), (600.0, 60_000.0));
        // At 30 s: 10 requests over 30 s are 20 a minute.
        assert_eq!(w.per_minute(Duration::from_secs(30)), (20.0, 2_000.0));
        // One request every second from 1 s to 89 s: past the first minute the window holds exactly 60 of them.
        for s in 1..90 {
            w.add(Duration::from_secs(s), 1, 10);
        }
        assert_eq!(w.per_minute(Duration::from_millis(89_999)), (60.0, 600.0));
        // Nothing for two minutes: the old buckets are stale, and nothing is counted.
        assert_eq!(w.per_minute(Duration::from_secs(300)), (0.0, 0.0));
        // A bucket reused a minute later starts from zero.
        w.add(Duration::from_secs(300), 5, 0);
        assert_eq!(w.per_minute(Duration::from_secs(300)).0, 5.0);
    }

    #[test]
    fn the_meter_counts_what_the_manager_tells_it() {
        let (ms, clock) = manual();
        let meter = Meter::with_clock(clock);
        let limits = Limits {
            rpm: 3000,
            tpm: 1_000_000,
            concurrency: 64,
        };
        for _ in 0..3 {
            meter.sent();
        }
        ms.store(2_000, Ordering::Relaxed);
        meter.answered(1_000, 0.25);
        meter.rate_limited();
        meter.retried();
        meter.answered(0, 0.0);
        meter.failed();
        meter.cached();
        let s = meter.snapshot(limits, 48.0);
        assert_eq!(s.sent, 3);
        assert_eq!(s.in_flight, 1);
        assert_eq!(
            (s.rate_limited, s.retries, s.failures, s.cached),
            (1, 1, 1, 1)
        );
        assert!((s.cost_usd - 0.25).abs() < 1e-9);
        // Three requests and 1,000 tokens in the first two seconds.
        assert_eq!(s.requests_per_min, 90.0);
        assert_eq!(s.tokens_per_min, 30_000.0);
        assert_eq!(
            (s.rpm_limit, s.tpm_limit, s.concurrency_max),
            (3000, 1_000_000, 64)
        );
        assert_eq!(s.concurrency, 48.0);
        assert_eq!(meter.tokens(), 1_000);
        // A minute and a half later nothing is in the window, and the counts stay.
        ms.store(92_000, Ordering::Relaxed);
        let later = meter.snapshot(limits, 48.0);
        assert_eq!((later.requests_per_min, later.tokens_per_min), (0.0, 0.0));
        assert_eq!(later.sent, 3);
        // More answers than sends (never expected) do not wrap the in-flight count.
        meter.answered(0, 0.0);
        meter.answered(0, 0.0);
        assert_eq!(meter.snapshot(limits, 48.0).in_flight, 0);
    }
}
