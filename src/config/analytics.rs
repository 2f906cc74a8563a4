//! `[export.analytics]`: the synthetic clock of the analytics exports (when sessions start: a span of days, a daily
//! curve and a weekly one) and the StoryBot account name, plus the civil-date arithmetic the clock needs.

use std::fmt;
use std::num::NonZeroU32;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Settings of the analytics exports (`musegen export turns|tables|star|storybot`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct AnalyticsConfig {
    /// First day sessions may start on (`YYYY-MM-DD`, UTC).
    #[schemars(with = "String")]
    pub start_date: Date,
    /// Days in the span: sessions start in [start_date, start_date + days).
    pub days: NonZeroU32,
    /// Relative chance of a session starting in each hour of the day, 00:00 UTC first (24 weights, >= 0, not all 0).
    pub hour_weights: Vec<f64>,
    /// Relative chance of a session starting on each day of the week, Monday first (7 weights, >= 0, not all 0).
    pub weekday_weights: Vec<f64>,
    /// StoryBot export: the recommender's `screen_name`.
    pub storybot_bot_name: String,
}

/// An online shop's day: quiet at night, a morning rise, a lunch bump and the evening peak.
pub const DEFAULT_HOUR_WEIGHTS: [f64; 24] = [
    0.8, 0.5, 0.3, 0.2, 0.2, 0.3, 0.6, 1.0, 1.5, 2.0, 2.3, 2.5, 2.8, 2.6, 2.4, 2.3, 2.4, 2.6, 2.9,
    3.2, 3.4, 3.0, 2.2, 1.4,
];

/// Slightly busier towards the weekend.
pub const DEFAULT_WEEKDAY_WEIGHTS: [f64; 7] = [1.0, 1.0, 1.0, 1.05, 1.1, 1.3, 1.25];

impl Default for AnalyticsConfig {
    fn default() -> Self {
        AnalyticsConfig {
            start_date: Date::from_civil(2026, 1, 5).unwrap_or(Date { days: 0 }),
            days: NonZeroU32::MIN.saturating_add(27),
            hour_weights: DEFAULT_HOUR_WEIGHTS.to_vec(),
            weekday_weights: DEFAULT_WEEKDAY_WEIGHTS.to_vec(),
            storybot_bot_name: "MuseBot".into(),
        }
    }
}

impl AnalyticsConfig {
    /// Second-pass checks: weight counts and values, a day of the span with a positive weekday weight, a bot name.
    pub fn validate(&self) -> crate::Result<()> {
        let bad = |key: &str, why: &str| {
            Err(crate::Error::Config(format!(
                "`export.analytics.{key}` {why}"
            )))
        };
        for (key, weights, n) in [
            ("hour_weights", &self.hour_weights, 24),
            ("weekday_weights", &self.weekday_weights, 7),
        ] {
            if weights.len() != n {
                return bad(
                    key,
                    &format!("holds {n} weights (it has {})", weights.len()),
                );
            }
            if weights.iter().any(|w| !(w.is_finite() && *w >= 0.0)) {
                return bad(key, "holds weights that are finite numbers >= 0");
            }
            if weights.iter().sum::<f64>() <= 0.0 {
                return bad(key, "must have at least one weight > 0");
            }
        }
        if self.days.get() > 36_600 {
            return bad("days", "must be at most 36600 (a century)");
        }
        if self.start_date.days + i64::from(self.days.get()) > Date::MAX_DAYS {
            return bad("days", "runs past the year 9999");
        }
        let open = (0..i64::from(self.days.get()).min(7)).any(|d| {
            let day = Date {
                days: self.start_date.days + d,
            };
            self.weekday_weights[day.weekday() as usize] > 0.0
        });
        if !open {
            return bad(
                "weekday_weights",
                "gives every day of the span [start_date, start_date + days) weight 0",
            );
        }
        if self.storybot_bot_name.trim().is_empty() {
            return bad("storybot_bot_name", "must not be empty");
        }
        Ok(())
    }
}

/// A calendar day (proleptic Gregorian, UTC), stored as days since 1970-01-01; written `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Date {
    /// Days since 1970-01-01 (negative before it).
    pub days: i64,
}

impl Date {
    /// Days from 1970-01-01 to 9999-12-31.
    pub const MAX_DAYS: i64 = 2_932_896;

    /// The date `year-month-day`, when it exists (years 1 to 9999).
    pub fn from_civil(year: i64, month: u32, day: u32) -> Option<Date> {
        if !(1..=9999).contains(&year) || !(1..=12).contains(&month) || day == 0 {
            return None;
        }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let month_days = [
            31,
            if leap { 29 } else { 28 },
            31,
            30,
            31,
            30,
            31,
            31,
            30,
            31,
            30,
            31,
        ];
        if day > month_days[(month - 1) as usize] {
            return None;
        }
        // Howard Hinnant's days_from_civil.
        let y = if month <= 2 { year - 1 } else { year };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        Some(Date {
            days: era * 146_097 + doe - 719_468,
        })
    }

    /// (year, month, day).
    pub fn civil(self) -> (i64, u32, u32) {
        // Howard Hinnant's civil_from_days.
        let z = self.days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i64::from(month <= 2);
        (year, month, day)
    }

    /// Day of the week, Monday = 0 … Sunday = 6.
    pub fn weekday(self) -> u32 {
        // 1970-01-01 was a Thursday.
        (self.days + 3).rem_euclid(7) as u32
    }

    /// Parse `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Result<Date, String> {
        let t = text.trim();
        let parts: Vec<&str> = t.split('-').collect();
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        let [y, m, d] = parts.as_slice() else {
            return Err(format!("`{text}` is not a date: expected YYYY-MM-DD"));
        };
        if !(digits(y, 4) && digits(m, 2) && digits(d, 2)) {
            return Err(format!("`{text}` is not a date: expected YYYY-MM-DD"));
        }
        let (y, m, d) = (
            y.parse().unwrap_or(0),
            m.parse().unwrap_or(0),
            d.parse().unwrap_or(0),
        );
        Date::from_civil(y, m, d).ok_or_else(|| format!("`{text}` is not a day of the calendar"))
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.civil();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl TryFrom<String> for Date {
    type Error = String;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        Date::parse(&text)
    }
}

impl From<Date> for String {
    fn from(d: Date) -> String {
        d.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_round_trip_and_know_their_weekday() {
        assert_eq!(Date::from_civil(1970, 1, 1), Some(Date { days: 0 }));
        let d = Date::parse("2026-01-05").unwrap();
        assert_eq!(d.to_string(), "2026-01-05");
        assert_eq!(d.weekday(), 0, "2026-01-05 is a Monday");
        assert_eq!(Date::parse("2024-02-29").unwrap().weekday(), 3);
        for days in [-700_000, -1, 0, 59, 60, 10_957, 20_000, Date::MAX_DAYS] {
            let date = Date { days };
            let (y, m, dd) = date.civil();
            assert_eq!(Date::from_civil(y, m, dd), Some(date), "{days}");
        }
        assert_eq!(
            Date {
                days: Date::MAX_DAYS
            }
            .to_string(),
            "9999-12-31"
        );
        for bad in [
            "2026-02-29",
            "2026-13-01",
            "2026-1-5",
            "05/01/2026",
            "",
            "2026-00-10",
        ] {
            assert!(Date::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn validation_names_the_key() {
        let mut c = AnalyticsConfig::default();
        assert!(c.validate().is_ok());
        c.hour_weights.pop();
        let err = c.validate().unwrap_err().to_string();
        assert!(err.contains("export.analytics.hour_weights"), "{err}");
        assert!(err.contains("24"), "{err}");
        let c = AnalyticsConfig {
            weekday_weights: vec![0.0; 7],
            ..AnalyticsConfig::default()
        };
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .contains("weekday_weights")
        );
        let mut c = AnalyticsConfig::default();
        c.hour_weights[3] = -1.0;
        assert!(c.validate().is_err());
        // A one-day span on a Sunday with Sunday weight 0.
        let mut c = AnalyticsConfig {
            start_date: Date::parse("2026-01-11").unwrap(),
            days: NonZeroU32::MIN,
            ..AnalyticsConfig::default()
        };
        c.weekday_weights[6] = 0.0;
        assert!(c.validate().unwrap_err().to_string().contains("span"));
    }
}
