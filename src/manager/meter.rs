//! Counters of the requests the manager sends, for a run panel or a benchmark to read while the run goes on.

use std::sync::atomic::{AtomicU64, Ordering};

/// Running counts, updated as requests go out and come back (relaxed atomics: a reading is a snapshot, not a
/// transaction).
#[derive(Debug, Default)]
pub struct Meter {
    sent: AtomicU64,
    answered: AtomicU64,
    rate_limited: AtomicU64,
    retries: AtomicU64,
}

/// What [`Meter`] and the gate say at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MeterReading {
    /// Requests sent to a server (attempts, retries included; cache hits are not sent).
    pub sent: u64,
    /// Successful answers.
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

impl Meter {
    pub(super) fn sent(&self) {
        self.sent.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn answered(&self) {
        self.answered.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn rate_limited(&self) {
        self.rate_limited.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn retried(&self) {
        self.retries.fetch_add(1, Ordering::Relaxed);
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
}
