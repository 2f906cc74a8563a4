//! The synthetic clock. Each conversation's session starts at a moment drawn from (run seed, conversation id): a day
//! of `[start_date, start_date + days)` weighted by its weekday, an hour weighted by the daily curve, a uniform
//! millisecond in that hour. Each turn happens at the previous turn's time (the session start for the first) plus
//! its recorded `latency_ms`, so times never go backwards within a conversation. All times are UTC, in
//! milliseconds since 1970-01-01.

use crate::config::{AnalyticsConfig, Date};
use crate::model::Turn;
use crate::rng::{Rng, Weighted};
use crate::{Error, Result};

const DAY_MS: i64 = 86_400_000;
const HOUR_MS: i64 = 3_600_000;

/// Draws session starts from the configured arrival pattern.
#[derive(Debug, Clone)]
pub struct Clock {
    start: Date,
    day_table: Weighted,
    hour_table: Weighted,
}

impl Clock {
    /// The clock of `config` (already validated; an impossible table is a config error all the same).
    pub fn new(config: &AnalyticsConfig) -> Result<Clock> {
        let start = config.start_date;
        let day_table = Weighted::new((0..i64::from(config.days.get())).map(|d| {
            let weekday = Date {
                days: start.days + d,
            }
            .weekday() as usize;
            config.weekday_weights.get(weekday).copied().unwrap_or(0.0)
        }));
        let hour_table = Weighted::new(config.hour_weights.iter().copied());
        match (day_table, hour_table) {
            (Some(day_table), Some(hour_table)) if hour_table.len() == 24 => Ok(Clock {
                start,
                day_table,
                hour_table,
            }),
            _ => Err(Error::Config(
                "`export.analytics` gives no day or hour of the span a weight > 0".into(),
            )),
        }
    }

    /// When the session of conversation `id` starts under run `seed`.
    pub fn session_start(&self, seed: u64, id: &str) -> i64 {
        let mut rng = Rng::for_record(seed, "analytics.session", id);
        let day = self.day_table.sample(&mut rng) as i64;
        let hour = self.hour_table.sample(&mut rng) as i64;
        let within = rng.below(HOUR_MS as usize) as i64;
        (self.start.days + day) * DAY_MS + hour * HOUR_MS + within
    }
}

/// The time of each turn: the previous one's (or `start`) plus the turn's latency.
pub fn turn_times(start: i64, turns: &[Turn]) -> Vec<i64> {
    let mut at = start;
    turns
        .iter()
        .map(|t| {
            at += i64::from(t.latency_ms);
            at
        })
        .collect()
}

/// The calendar day of `ms`.
pub fn date_of(ms: i64) -> Date {
    Date {
        days: ms.div_euclid(DAY_MS),
    }
}

/// The hour of the day (0–23) of `ms`.
pub fn hour_of(ms: i64) -> u32 {
    (ms.rem_euclid(DAY_MS) / HOUR_MS) as u32
}

/// ISO weekday of `ms`: Monday = 1 … Sunday = 7.
pub fn iso_weekday(ms: i64) -> u32 {
    date_of(ms).weekday() + 1
}

/// `ms` as RFC 3339 UTC with milliseconds: `2026-01-05T08:13:02.117Z` (fixed width, so text order is time order).
pub fn rfc3339(ms: i64) -> String {
    let day = date_of(ms);
    let rem = ms.rem_euclid(DAY_MS);
    format!(
        "{day}T{:02}:{:02}:{:02}.{:03}Z",
        rem / HOUR_MS,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Action, Role};

    fn turn(latency_ms: u32) -> Turn {
        Turn {
            role: Role::User,
            action: Action::Message,
            text: "hi".into(),
            items: vec![],
            images: vec![],
            slots: vec![],
            query: None,
            latency_ms,
            first_token_ms: None,
        }
    }

    #[test]
    fn times_are_formatted_and_accumulate_latency() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59.999Z");
        let start = Date::parse("2026-01-05").unwrap().days * DAY_MS + 8 * HOUR_MS + 1234;
        assert_eq!(rfc3339(start), "2026-01-05T08:00:01.234Z");
        assert_eq!(hour_of(start), 8);
        assert_eq!(iso_weekday(start), 1);
        let times = turn_times(start, &[turn(1000), turn(0), turn(59_000)]);
        assert_eq!(times, vec![start + 1000, start + 1000, start + 60_000]);
    }

    #[test]
    fn sessions_follow_the_weights_and_stay_in_the_span() {
        let mut hour_weights = vec![0.0; 24];
        hour_weights[9] = 1.0;
        hour_weights[20] = 3.0;
        let cfg = AnalyticsConfig {
            hour_weights,
            weekday_weights: vec![1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0],
            ..AnalyticsConfig::default()
        };
        let clock = Clock::new(&cfg).unwrap();
        let first = cfg.start_date.days * DAY_MS;
        let end = first + i64::from(cfg.days.get()) * DAY_MS;
        let mut evening = 0;
        for i in 0..4000 {
            let id = format!("c{i:08}");
            let t = clock.session_start(7, &id);
            assert_eq!(t, clock.session_start(7, &id), "deterministic");
            assert!((first..end).contains(&t));
            let hour = hour_of(t);
            assert!(hour == 9 || hour == 20, "{hour}");
            assert!(iso_weekday(t) <= 5, "no weekend sessions");
            evening += usize::from(hour == 20);
        }
        let share = evening as f64 / 4000.0;
        assert!((share - 0.75).abs() < 0.03, "{share}");
        assert_ne!(clock.session_start(7, "a"), clock.session_start(8, "a"));
    }
}
