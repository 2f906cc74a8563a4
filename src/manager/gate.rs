//! The concurrency gate: at most `limit` requests in flight, where `limit` comes from the adaptive controller
//! ([`super::adapt`]: the request rate times the latency observed, cut on 429s and on real saturation, under the
//! `limits.concurrency` ceiling), and requests of conversations already under way go before the first requests of
//! new ones.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use super::adapt::{Adaptive, Change};

struct State {
    in_flight: usize,
    waiting_high: usize,
    control: Adaptive,
    first: Option<Instant>,
}

/// An adaptive concurrency limit with two priorities.
pub struct Gate {
    state: Mutex<State>,
    notify: Notify,
    max: usize,
    adaptive: bool,
    rate_per_sec: f64,
}

/// A slot in flight; dropping it frees the slot.
pub struct Permit<'a> {
    gate: &'a Gate,
}

/// How many times a request of a new conversation lets a conversation under way go first before it takes a free
/// slot itself.
const MAX_DEFERRALS: u32 = 8;

impl Gate {
    /// A gate allowing `max` requests in flight; with `adaptive`, the limit follows `rate_per_sec` (the pace the
    /// rate limiter allows) times the latency observed, and shrinks on 429s and saturation.
    pub fn new(max: usize, adaptive: bool, rate_per_sec: f64) -> Self {
        Gate {
            state: Mutex::new(State {
                in_flight: 0,
                waiting_high: 0,
                control: Adaptive::new(max),
                first: None,
            }),
            notify: Notify::new(),
            max: max.max(1),
            adaptive,
            rate_per_sec,
        }
    }

    /// Forget what the adaptive limit learnt (a new stage's requests have latencies of their own); requests in
    /// flight keep their slots.
    pub fn relearn(&self) {
        let mut s = self.lock();
        s.control = Adaptive::new(self.max);
        s.first = None;
        drop(s);
        self.notify.notify_waiters();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn limit_of(&self, s: &State) -> usize {
        if !self.adaptive {
            return self.max;
        }
        let elapsed = s.first.map_or(Duration::ZERO, |t| t.elapsed());
        s.control.limit(self.rate_per_sec, elapsed)
    }

    /// Wait for a slot. `high` marks a request of a conversation already under way.
    pub async fn acquire(&self, high: bool) -> Permit<'_> {
        let mut registered = false;
        // Times this (low) request found room reserved for a conversation under way and passed the wake-up on.
        // After a few it takes the room anyway: the reservation orders requests, it must never starve one (two
        // low waiters handing a wake-up back and forth while the high one is not woken would spin for ever).
        let mut deferred = 0u32;
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let mut s = self.lock();
                s.first.get_or_insert_with(Instant::now);
                let limit = self.limit_of(&s);
                let room = s.in_flight < limit;
                if room && (high || s.waiting_high == 0 || deferred >= MAX_DEFERRALS) {
                    s.in_flight += 1;
                    if registered {
                        s.waiting_high -= 1;
                    }
                    let more_room = s.in_flight < limit;
                    drop(s);
                    if more_room {
                        // Pass the wake-up on: there is room for another waiter too.
                        self.notify.notify_one();
                    }
                    return Permit { gate: self };
                }
                if room {
                    // Room, but reserved for a conversation under way: hand the wake-up to the next waiter.
                    deferred += 1;
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

    /// A request succeeded after `latency` (the server's time, not the wait for a slot).
    pub fn success(&self, latency: Duration) {
        if !self.adaptive {
            return;
        }
        let mut s = self.lock();
        let current = self.limit_of(&s);
        let change = s.control.success(latency, current);
        drop(s);
        match change {
            Change::Grew => self.notify.notify_one(),
            Change::Cut => {
                tracing::debug!("answers slowing down: concurrency cut to {}", self.limit())
            }
            Change::None => {}
        }
    }

    /// The server said 429: shrink the limit by a quarter.
    pub fn rate_limited(&self) {
        if !self.adaptive {
            return;
        }
        let mut s = self.lock();
        let current = self.limit_of(&s);
        s.control.rate_limited(current);
    }

    /// Wake a waiter when the limit has room (it grows with time while the first answers are awaited).
    pub fn wake_if_room(&self) {
        let s = self.lock();
        let room = s.in_flight < self.limit_of(&s);
        drop(s);
        if room {
            self.notify.notify_one();
        }
    }

    /// The current limit.
    pub fn limit(&self) -> f64 {
        let s = self.lock();
        self.limit_of(&s) as f64
    }

    /// Requests holding a slot now (in flight, or waiting for the rate limiter).
    pub fn in_flight(&self) -> usize {
        self.lock().in_flight
    }

    /// The mean latency observed lately, once known.
    pub fn mean_latency(&self) -> Option<Duration> {
        self.lock().control.mean_latency()
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

    #[test]
    fn a_429_shrinks_the_limit_and_a_fixed_gate_never_moves() {
        let gate = Gate::new(8, true, 1e6);
        gate.rate_limited();
        assert_eq!(gate.limit(), 6.0);
        for _ in 0..100 {
            gate.rate_limited();
        }
        assert_eq!(gate.limit(), 1.0);
        let fixed = Gate::new(32, false, 1.0);
        fixed.rate_limited();
        for _ in 0..300 {
            fixed.success(Duration::from_millis(400));
        }
        assert_eq!(fixed.limit(), 32.0);
    }

    #[tokio::test]
    async fn in_flight_never_exceeds_the_limit_and_high_priority_goes_first() {
        let gate = std::sync::Arc::new(Gate::new(1, false, 1.0));
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
