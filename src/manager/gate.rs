//! The concurrency gate: at most `limit` requests in flight, where `limit` adapts — multiplicative decrease on
//! rate-limit answers or rising latency, additive increase after a run of successes (AIMD) — and requests of
//! conversations already under way go before the first requests of new ones.

use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::Notify;

struct State {
    limit: f64,
    in_flight: usize,
    waiting_high: usize,
    successes: usize,
    latency_floor_ms: f64,
    latency_avg_ms: f64,
}

/// An adaptive concurrency limit with two priorities.
pub struct Gate {
    state: Mutex<State>,
    notify: Notify,
    max: usize,
    adaptive: bool,
}

/// A slot in flight; dropping it frees the slot.
pub struct Permit<'a> {
    gate: &'a Gate,
}

impl Gate {
    /// A gate allowing `max` requests in flight; `adaptive` turns AIMD on.
    pub fn new(max: usize, adaptive: bool) -> Self {
        Gate {
            state: Mutex::new(State {
                limit: max as f64,
                in_flight: 0,
                waiting_high: 0,
                successes: 0,
                latency_floor_ms: f64::MAX,
                latency_avg_ms: 0.0,
            }),
            notify: Notify::new(),
            max: max.max(1),
            adaptive,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Wait for a slot. `high` marks a request of a conversation already under way.
    pub async fn acquire(&self, high: bool) -> Permit<'_> {
        let mut registered = false;
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let mut s = self.lock();
                let room = s.in_flight < (s.limit.floor() as usize).max(1);
                if room && (high || s.waiting_high == 0) {
                    s.in_flight += 1;
                    if registered {
                        s.waiting_high -= 1;
                    }
                    let more_room = s.in_flight < (s.limit.floor() as usize).max(1);
                    drop(s);
                    if more_room {
                        // Pass the wake-up on: there is room for another waiter too.
                        self.notify.notify_one();
                    }
                    return Permit { gate: self };
                }
                if room {
                    // Room, but reserved for a conversation under way: hand the wake-up to the next waiter.
                    drop(s);
                    self.notify.notify_one();
                } else if high && !registered {
                    s.waiting_high += 1;
                    registered = true;
                }
            }
            notified.await;
        }
    }

    /// A request succeeded after `latency`: grow the limit by one after `limit` successes in a row, and shrink it
    /// when latency climbs far above its floor (a server that slows down instead of saying 429).
    pub fn success(&self, latency: Duration) {
        if !self.adaptive {
            return;
        }
        let ms = latency.as_secs_f64() * 1000.0;
        let mut s = self.lock();
        s.latency_floor_ms = s.latency_floor_ms.min(ms.max(0.1));
        s.latency_avg_ms = if s.latency_avg_ms == 0.0 {
            ms
        } else {
            0.9 * s.latency_avg_ms + 0.1 * ms
        };
        if s.latency_avg_ms > 4.0 * s.latency_floor_ms && s.latency_avg_ms > 50.0 && s.limit > 1.0 {
            s.limit = (s.limit * 0.9).max(1.0);
            s.latency_floor_ms *= 1.05;
            s.successes = 0;
            return;
        }
        s.successes += 1;
        if s.successes as f64 >= s.limit {
            s.limit = (s.limit + 1.0).min(self.max as f64);
            s.successes = 0;
            drop(s);
            self.notify.notify_one();
        }
    }

    /// The server said 429: shrink the limit by a quarter.
    pub fn rate_limited(&self) {
        if !self.adaptive {
            return;
        }
        let mut s = self.lock();
        s.limit = (s.limit * 0.75).max(1.0);
        s.successes = 0;
    }

    /// The current limit.
    pub fn limit(&self) -> f64 {
        self.lock().limit
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        self.gate.lock().in_flight -= 1;
        // Wake one waiter (not all: thousands may wait, and waking them all costs CPU per request).
        self.gate.notify.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn limit_shrinks_on_429_and_grows_back() {
        let gate = Gate::new(8, true);
        gate.rate_limited();
        assert_eq!(gate.limit(), 6.0);
        for _ in 0..6 {
            gate.success(Duration::from_millis(10));
        }
        assert_eq!(gate.limit(), 7.0);
        for _ in 0..100 {
            gate.rate_limited();
        }
        assert_eq!(gate.limit(), 1.0);
    }

    #[test]
    fn a_server_that_slows_down_without_429s_shrinks_the_limit() {
        let gate = Gate::new(32, true);
        for _ in 0..50 {
            gate.success(Duration::from_millis(40));
        }
        assert_eq!(gate.limit(), 32.0, "steady latency keeps the limit");
        // vLLM-style saturation: the answers take ten times as long, and no 429 ever comes.
        for _ in 0..30 {
            gate.success(Duration::from_millis(400));
        }
        let shrunk = gate.limit();
        assert!(shrunk < 16.0, "{shrunk}");
        // Not adaptive: the limit stays where it was set.
        let fixed = Gate::new(32, false);
        for _ in 0..30 {
            fixed.success(Duration::from_millis(400));
        }
        assert_eq!(fixed.limit(), 32.0);
    }

    #[tokio::test]
    async fn in_flight_never_exceeds_the_limit_and_high_priority_goes_first() {
        let gate = std::sync::Arc::new(Gate::new(1, false));
        let first = gate.acquire(false).await;
        let order = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (g1, o1) = (gate.clone(), order.clone());
        let low = tokio::spawn(async move {
            let _p = g1.acquire(false).await;
            o1.lock().unwrap().push("low");
        });
        tokio::task::yield_now().await;
        let (g2, o2) = (gate.clone(), order.clone());
        let high = tokio::spawn(async move {
            let _p = g2.acquire(true).await;
            o2.lock().unwrap().push("high");
        });
        tokio::task::yield_now().await;
        drop(first);
        high.await.unwrap();
        low.await.unwrap();
        assert_eq!(*order.lock().unwrap(), vec!["high", "low"]);
    }
}
