//! The adaptive concurrency controller: how many requests may be in flight, from the request rate the limits allow,
//! the latency observed, 429s and real saturation. Pure arithmetic over what it is told (no clock of its own), so
//! tests replay latency sequences.
//!
//! The limit is the least of three:
//! - the **ceiling** (`limits.concurrency`);
//! - the **follow target**: Little's law, `rate × mean latency`, with a fifth more and eight slots of slack, so the
//!   rate limiter always has a request waiting; before latencies are known the time since the first request
//!   stands in for the latency (no answer yet means the latency is at least that long), which keeps the target
//!   ahead of what the paced limiter can send;
//! - the **AIMD cap**: cut by a quarter on a 429 and on saturation, grown back by one slot per eighth of the cap
//!   in successes.
//!
//! Saturation is the median of the last [`RECENT`] latencies above [`SATURATED`] × the median of the
//! [`BASELINE`] latencies before them: a server that slows down instead of answering 429. A steady server's spread
//! never trips it: with a lognormal σ of 0.35 the median of 32 draws lies within ±0.08 of the true median in log
//! terms (one standard deviation), and doubling is 0.69 — nine standard deviations. After a cut the window must
//! fill with fresh latencies before the next one, and the baseline moves on with the run, so a server that stays
//! slower is taken as the new normal after a few cuts rather than cut to nothing.

use std::collections::VecDeque;
use std::time::Duration;

/// Latencies the saturation test looks at.
pub const RECENT: usize = 32;
/// Latencies before those that make the baseline.
pub const BASELINE: usize = 256;
/// How far the recent median must rise over the baseline median to count as saturation.
pub const SATURATED: f64 = 2.0;
/// Share of `rate × latency` kept in flight beyond Little's law.
pub const FOLLOW_HEADROOM: f64 = 1.2;
/// Slots kept beyond that, so that a request always waits at the rate limiter.
pub const FOLLOW_SLACK: f64 = 8.0;
/// The latency assumed before any answer, as a floor of the warm-up estimate.
pub const FIRST_GUESS: Duration = Duration::from_secs(1);
/// How much longer than the mean of the first answers the latency is taken to be, for the first three latencies of a
/// run.
pub const WARMUP_BIAS: f64 = 1.25;
/// How often (in observations) the baseline median is computed again.
const BASELINE_REFRESH: usize = 64;

/// What an observation changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Nothing.
    None,
    /// The cap grew by one.
    Grew,
    /// The cap was cut (saturation or 429).
    Cut,
}

/// The controller's state.
#[derive(Debug, Clone)]
pub struct Adaptive {
    ceiling: f64,
    cap: f64,
    successes: usize,
    recent: VecDeque<f64>,
    baseline: VecDeque<f64>,
    sum_ms: f64,
    since_cut: usize,
    baseline_median: Option<f64>,
    since_refresh: usize,
    cuts: u64,
}

impl Adaptive {
    /// A controller that never lets more than `ceiling` requests fly.
    pub fn new(ceiling: usize) -> Self {
        let ceiling = ceiling.max(1) as f64;
        Adaptive {
            ceiling,
            cap: ceiling,
            successes: 0,
            recent: VecDeque::with_capacity(RECENT + 1),
            baseline: VecDeque::with_capacity(BASELINE + 1),
            sum_ms: 0.0,
            since_cut: 0,
            baseline_median: None,
            since_refresh: 0,
            cuts: 0,
        }
    }

    /// A request succeeded after `latency`: watch for saturation, else grow the cap back towards the ceiling.
    pub fn success(&mut self, latency: Duration, current: usize) -> Change {
        let ms = latency.as_secs_f64() * 1000.0;
        self.recent.push_back(ms);
        self.sum_ms += ms;
        if self.recent.len() > RECENT
            && let Some(old) = self.recent.pop_front()
        {
            self.baseline.push_back(old);
            if self.baseline.len() > BASELINE
                && let Some(gone) = self.baseline.pop_front()
            {
                self.sum_ms -= gone;
            }
        }
        self.since_cut += 1;
        self.since_refresh += 1;
        if self.saturated() {
            self.cut(current);
            return Change::Cut;
        }
        if self.cap >= self.ceiling {
            return Change::None;
        }
        self.successes += 1;
        if self.successes as f64 >= (self.cap / 8.0).max(1.0) {
            self.cap = (self.cap + 1.0).min(self.ceiling);
            self.successes = 0;
            return Change::Grew;
        }
        Change::None
    }

    /// The server said 429 while `current` requests were allowed: cut the cap by a quarter.
    pub fn rate_limited(&mut self, current: usize) {
        self.cut(current);
    }

    fn cut(&mut self, current: usize) {
        self.cap = (self.cap.min(current as f64) * 0.75).max(1.0);
        self.successes = 0;
        self.since_cut = 0;
        self.cuts += 1;
    }

    fn saturated(&mut self) -> bool {
        if self.since_cut < RECENT || self.recent.len() < RECENT || self.baseline.len() < RECENT {
            return false;
        }
        let recent = median(self.recent.iter().copied());
        if self.baseline_median.is_none() || self.since_refresh >= BASELINE_REFRESH {
            self.baseline_median = Some(median(self.baseline.iter().copied()));
            self.since_refresh = 0;
        }
        self.baseline_median
            .is_some_and(|base| recent > SATURATED * base && recent > 1.0)
    }

    /// Mean latency over the latencies kept (up to [`RECENT`] + [`BASELINE`]), once there are [`RECENT`] of them.
    pub fn mean_latency(&self) -> Option<Duration> {
        let n = self.recent.len() + self.baseline.len();
        (n >= RECENT).then(|| Duration::from_secs_f64((self.sum_ms / n as f64).max(0.0) / 1000.0))
    }

    /// The in-flight limit for a request rate of `rate_per_sec`, `elapsed` after the first request was sent.
    pub fn limit(&self, rate_per_sec: f64, elapsed: Duration) -> usize {
        let latency = match self.mean_latency() {
            // The first answers of a run are the quick ones (the slow ones are still out): allow for it while the
            // run is young.
            Some(mean) if elapsed < mean.mul_f64(3.0) => mean.mul_f64(WARMUP_BIAS),
            Some(mean) => mean,
            None => {
                // Warm-up: no answer yet (or too few) means the latency is at least the time spent waiting.
                let seen = if self.recent.is_empty() {
                    Duration::ZERO
                } else {
                    Duration::from_secs_f64(self.sum_ms / self.recent.len() as f64 / 1000.0)
                };
                elapsed.max(FIRST_GUESS).max(seen)
            }
        };
        let follow = rate_per_sec * latency.as_secs_f64() * FOLLOW_HEADROOM + FOLLOW_SLACK;
        follow.min(self.cap).min(self.ceiling).floor().max(1.0) as usize
    }

    /// The AIMD cap.
    pub fn cap(&self) -> f64 {
        self.cap
    }

    /// Cuts so far (429s and saturation).
    pub fn cuts(&self) -> u64 {
        self.cuts
    }
}

fn median(values: impl Iterator<Item = f64>) -> f64 {
    let mut v: Vec<f64> = values.collect();
    if v.is_empty() {
        return 0.0;
    }
    let mid = v.len() / 2;
    let (_, m, _) = v.select_nth_unstable_by(mid, f64::total_cmp);
    *m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    fn lognormal(rng: &mut Rng, median_ms: f64, sigma: f64) -> Duration {
        Duration::from_secs_f64(median_ms * (sigma * rng.normal()).exp() / 1000.0)
    }

    #[test]
    fn a_steady_lognormal_server_never_cuts() {
        // The replay of issue 13: 70,000 latencies with σ 0.35; the old rule (average over 4 × the lowest ever seen)
        // cut 158 times and settled near 79 slots.
        for (median_ms, n) in [(300.0, 10_000), (2000.0, 70_000), (5000.0, 10_000)] {
            let mut rng = Rng::from_u64(13);
            let mut a = Adaptive::new(512);
            for _ in 0..n {
                let current = a.limit(50.0, Duration::from_secs(600));
                assert_eq!(
                    a.success(lognormal(&mut rng, median_ms, 0.35), current),
                    Change::None
                );
            }
            assert_eq!(a.cuts(), 0);
            assert_eq!(a.cap(), 512.0);
            // Little's law with headroom: 50 requests a second at a mean of median × e^(σ²/2).
            let mean = median_ms / 1000.0 * (0.35f64 * 0.35 / 2.0).exp();
            let want = 50.0 * mean * FOLLOW_HEADROOM + FOLLOW_SLACK;
            let got = a.limit(50.0, Duration::from_secs(600)) as f64;
            assert!(
                (got - want).abs() / want < 0.06,
                "{median_ms}: {got} vs {want}"
            );
        }
    }

    #[test]
    fn a_saturation_step_cuts_and_the_new_level_becomes_the_baseline() {
        let mut rng = Rng::from_u64(7);
        let mut a = Adaptive::new(64);
        for _ in 0..2_000 {
            a.success(lognormal(&mut rng, 40.0, 0.35), 64);
        }
        assert_eq!(a.cuts(), 0);
        // vLLM-style saturation: the answers take ten times as long, and no 429 ever comes.
        let mut first_cut = None;
        let mut lowest = a.cap();
        for i in 0..2_000 {
            let current = a.limit(1e6, Duration::from_secs(600));
            if a.success(lognormal(&mut rng, 400.0, 0.35), current) == Change::Cut {
                first_cut.get_or_insert(i);
            }
            lowest = lowest.min(a.cap());
        }
        let first_cut = first_cut.unwrap_or(usize::MAX);
        assert!(
            first_cut <= RECENT,
            "cut only after {first_cut} slow answers"
        );
        assert!(lowest < 32.0, "lowest cap {lowest}");
        // The baseline moves on: a server that stays slower stops being cut.
        let cuts = a.cuts();
        assert!(cuts <= 6, "{cuts} cuts");
        for _ in 0..2_000 {
            a.success(lognormal(&mut rng, 400.0, 0.35), 64);
        }
        assert_eq!(a.cuts(), cuts);
    }

    #[test]
    fn a_429_cuts_by_a_quarter_of_what_was_allowed_and_successes_grow_it_back() {
        let mut a = Adaptive::new(256);
        a.rate_limited(40);
        assert_eq!(a.cap(), 30.0);
        assert_eq!(a.limit(1e6, Duration::from_secs(600)), 30);
        for _ in 0..100 {
            a.rate_limited(256);
        }
        assert_eq!(a.cap(), 1.0);
        let mut grew = 0;
        for _ in 0..200 {
            if a.success(Duration::from_millis(300), 1) == Change::Grew {
                grew += 1;
            }
        }
        assert!(grew > 20, "{grew}");
        assert!(a.cap() <= 256.0);
    }

    #[test]
    fn the_limit_follows_rate_times_latency_up_to_the_ceiling() {
        let mut a = Adaptive::new(300);
        for _ in 0..RECENT {
            a.success(Duration::from_secs(2), 300);
        }
        // 50 requests a second at 2 s: 100 in flight, 120 with headroom, + 8.
        let later = Duration::from_secs(600);
        assert_eq!(a.limit(50.0, later), 128);
        assert_eq!(a.limit(500.0, later), 300, "the ceiling holds");
        // Early in the run the first (quick) answers are taken to understate the latency.
        assert_eq!(a.limit(50.0, Duration::from_secs(3)), 158);
    }

    #[test]
    fn before_any_answer_the_limit_grows_with_the_wait() {
        let a = Adaptive::new(1000);
        let at = |secs: f64| a.limit(50.0, Duration::from_secs_f64(secs));
        assert_eq!(at(0.0), 68, "a first guess of one second");
        assert_eq!(at(1.0), 68);
        // Five seconds without an answer: the paced limiter has sent 250, and the gate allows more than that.
        assert!(at(5.0) > 250, "{}", at(5.0));
    }
}
