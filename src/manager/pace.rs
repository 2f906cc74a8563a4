//! The request pace: the governor quota every request waits on, from `limits.rpm`, `limits.headroom` and
//! `limits.window`. Requests go out evenly at `rpm × headroom`; the window decides whether the pace may catch up
//! time it lost.
//!
//! A paced sender loses time whenever it wakes late (a timer tick, a busy runtime thread): with no burst the next
//! request is due a period after the late one, so at 50 requests a second, 2 ms late on each is a tenth of the
//! limit gone for good. A burst of `b` lets the pace run up to `b − 1` periods behind and catch up, and the quota's
//! guarantee stays: no span of `w` seconds holds more than `w × rate + b` requests. Under a sliding minute that is
//! `rpm × headroom + b` a minute, within `rpm` when `b` is within the headroom's slack; under per-second slices a
//! second's share is `rpm / 60`, which the paced rate alone already nearly fills, so there the burst stays 1.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::Quota;

use crate::config::RateWindow;

/// The requests per minute actually paced: `rpm × headroom` (headroom clamped to [0.5, 1]), at least one.
pub fn paced_rpm(rpm: NonZeroU32, headroom: f64) -> u32 {
    ((f64::from(rpm.get()) * headroom.clamp(0.5, 1.0)).floor() as u32).max(1)
}

/// How many requests the pace may send at once to catch up lost time: under a sliding minute a tenth of a second's
/// requests (`rpm / 600`), and never more than half the headroom's slack (`(rpm − paced) / 2`: the other half is
/// left for the spread of the requests' transit times, which can bunch them up at the server); 1 (no catch-up)
/// under per-second slices.
pub fn burst(rpm: NonZeroU32, headroom: f64, window: RateWindow) -> u32 {
    match window {
        RateWindow::Second => 1,
        RateWindow::Minute => {
            let paced = paced_rpm(rpm, headroom);
            (paced / 600)
                .min(rpm.get().saturating_sub(paced) / 2)
                .max(1)
        }
    }
}

/// The quota of the request pace: one request every `60 / paced` seconds, with [`burst`].
pub fn request_quota(rpm: NonZeroU32, headroom: f64, window: RateWindow) -> Quota {
    per_minute(paced_rpm(rpm, headroom), burst(rpm, headroom, window))
}

/// A quota of `per_minute` cells a minute, evenly, with `burst` at once.
pub fn per_minute(per_minute: u32, burst: u32) -> Quota {
    Quota::with_period(Duration::from_secs_f64(60.0 / f64::from(per_minute.max(1))))
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN))
}

#[cfg(test)]
mod tests {
    use governor::RateLimiter;
    use governor::clock::{Clock, FakeRelativeClock};

    use super::*;
    use crate::rng::Rng;

    const NANOS: u64 = 1_000_000_000;

    /// One sender pacing itself through `quota` on a fake clock for `seconds`: it asks again as soon as a request
    /// goes, and when told to wait it wakes 0.5–3 ms late (a timer tick and a busy thread), and one wake-up in 1,000
    /// a tenth of a second late (a stall). Returns the send times in nanoseconds.
    fn sends(quota: Quota, seconds: u64) -> Vec<u64> {
        let clock = FakeRelativeClock::default();
        let limiter = RateLimiter::direct_with_clock(quota, clock.clone());
        let mut rng = Rng::from_u64(13);
        let mut now = 0u64;
        let mut sent = Vec::new();
        while now < seconds * NANOS {
            match limiter.check() {
                Ok(()) => sent.push(now),
                Err(not_until) => {
                    let late = if rng.chance(1.0 / 1000.0) {
                        100_000_000
                    } else {
                        rng.uniform(500_000.0, 3_000_000.0) as u64
                    };
                    let wait = not_until.wait_time_from(clock.now()).as_nanos() as u64 + late;
                    clock.advance(Duration::from_nanos(wait));
                    now += wait;
                }
            }
        }
        sent
    }

    /// The most sends in any span of `span` nanoseconds.
    fn most_in_any(sent: &[u64], span: u64) -> usize {
        let mut most = 0;
        let mut first = 0;
        for (last, &t) in sent.iter().enumerate() {
            while t - sent[first] >= span {
                first += 1;
            }
            most = most.max(last + 1 - first);
        }
        most
    }

    #[test]
    fn under_a_sliding_minute_the_pace_catches_up_late_wake_ups_without_passing_the_limit() {
        let rpm = NonZeroU32::new(3000).unwrap();
        assert_eq!(burst(rpm, 0.99, RateWindow::Minute), 4);
        let minutes = 3;
        let caught_up = sends(request_quota(rpm, 0.99, RateWindow::Minute), minutes * 60);
        let even = sends(request_quota(rpm, 0.99, RateWindow::Second), minutes * 60);
        let share = |sent: &[u64]| sent.len() as f64 / (minutes as f64 * 3000.0);
        // Paced at 2,970 a minute, the catching-up pace loses only the stalls longer than its burst (3 periods);
        // the even one loses every late wake-up (~1.75 ms of each 20.2 ms period).
        assert!(
            share(&caught_up) > 0.985,
            "sliding minute: {:.4}",
            share(&caught_up)
        );
        assert!(share(&even) < 0.93, "per second: {:.4}", share(&even));
        // No minute ever holds more than the limit, whatever the stalls.
        let in_a_minute = most_in_any(&caught_up, 60 * NANOS);
        assert!(in_a_minute <= 3000, "{in_a_minute} in one minute");
        assert!(in_a_minute > 2900, "{in_a_minute} in one minute");
    }

    #[test]
    fn under_per_second_slices_no_second_holds_more_than_its_share() {
        // The pace never bursts: after a stall it does not send more than a second's share of the limit in any
        // second (the server test against a per-second count, tests/integration/llm.rs, checks the same on a wire).
        for rpm in [60, 500, 2_300, 3_000, 30_000] {
            let rpm = NonZeroU32::new(rpm).unwrap();
            assert_eq!(burst(rpm, 0.99, RateWindow::Second), 1);
            let sent = sends(request_quota(rpm, 0.99, RateWindow::Second), 20);
            let share = rpm.get().div_ceil(60) as usize;
            let most = most_in_any(&sent, NANOS);
            assert!(most <= share, "{rpm} RPM: {most} in one second");
        }
    }

    #[test]
    fn the_burst_stays_within_the_headrooms_slack() {
        for (rpm, headroom, want) in [
            (500, 0.99, 1),
            (3_000, 0.99, 4),
            (3_000, 1.0, 1),
            (12_000, 0.99, 19),
            (100_000, 0.99, 165),
            (100_000, 0.999, 50),
        ] {
            let rpm = NonZeroU32::new(rpm).unwrap();
            let b = burst(rpm, headroom, RateWindow::Minute);
            assert_eq!(b, want, "{rpm} RPM, headroom {headroom}");
            assert!(paced_rpm(rpm, headroom) + b <= rpm.get() || b == 1);
        }
    }
}
