//! Counts, rates and durations as people read them: `20 written in 72.3s (0.28/s, 16.6/min)`, `1.2k`, `52m10s`,
//! with as many digits as the figure deserves (never `0/s` for a slow but moving stage).

/// A figure with sensible precision: whole numbers (with thousands separators) from 100 up, one decimal from 10,
/// two from 1, and two significant digits below 1 (`0.28`, `0.0031`); zero is `0`.
pub fn figure(x: f64) -> String {
    if !x.is_finite() || x <= 0.0 {
        return "0".into();
    }
    if x >= 100.0 {
        return count(x.round() as u64);
    }
    if x >= 10.0 {
        return format!("{x:.1}");
    }
    if x >= 1.0 {
        return format!("{x:.2}");
    }
    // Two significant digits: 0.28, 0.028, 0.0028 …, at most 9 decimals.
    let decimals = ((-x.log10()).floor() as usize + 2).min(9);
    format!("{x:.decimals$}")
}

/// A whole count with thousands separators: `12,345`.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A large count in short form: `950`, `12.3k`, `4.1M`.
pub fn short(n: u64) -> String {
    let x = n as f64;
    if x >= 1e6 {
        format!("{}M", figure(x / 1e6))
    } else if x >= 1e4 {
        format!("{}k", figure(x / 1e3))
    } else {
        count(n)
    }
}

/// The rate of `n` records over `seconds`: `2,345/s`, or per second and per minute when under ten a second
/// (`0.28/s, 16.6/min`); `-` when no time has passed or nothing was done.
pub fn rate(n: u64, seconds: f64) -> String {
    if n == 0 || seconds <= 0.0 || !seconds.is_finite() {
        return "-".into();
    }
    let per_second = n as f64 / seconds;
    if per_second >= 10.0 {
        format!("{}/s", figure(per_second))
    } else {
        format!(
            "{}/s, {}/min",
            figure(per_second),
            figure(per_second * 60.0)
        )
    }
}

/// A duration: `0.4s`, `72.3s` under two minutes, `12m05s` under two hours, `3h07m` beyond.
pub fn duration(seconds: f64) -> String {
    if !seconds.is_finite() || seconds < 0.0 {
        return "-".into();
    }
    if seconds < 120.0 {
        return format!("{seconds:.1}s");
    }
    let s = seconds.round() as u64;
    if s < 7200 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{}h{:02}m", s / 3600, (s % 3600) / 60)
    }
}

/// The closing line of a stage: `20 written in 72.3s (0.28/s, 16.6/min)`.
pub fn summary(n: u64, verb: &str, seconds: f64) -> String {
    format!(
        "{} {verb} in {} ({})",
        count(n),
        duration(seconds),
        rate(n, seconds)
    )
}

/// Time left for `left` records at `done` records per `elapsed` seconds; `None` before the first one.
pub fn eta(done: u64, left: u64, elapsed: f64) -> Option<f64> {
    (done > 0 && elapsed > 0.0).then(|| left as f64 * elapsed / done as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issue_s_run_reads_as_a_rate_not_zero() {
        // Issue 13: "20 written in 72.3s, 0/s".
        assert_eq!(
            summary(20, "written", 72.3),
            "20 written in 72.3s (0.28/s, 16.6/min)"
        );
        assert_eq!(
            summary(120_000, "written", 10.0),
            "120,000 written in 10.0s (12,000/s)"
        );
        assert_eq!(summary(0, "written", 3.0), "0 written in 3.0s (-)");
    }

    #[test]
    fn figures_keep_two_significant_digits_when_small() {
        assert_eq!(figure(0.0), "0");
        assert_eq!(figure(0.2766), "0.28");
        assert_eq!(figure(0.031), "0.031");
        assert_eq!(figure(0.0042), "0.0042");
        assert_eq!(figure(3.456), "3.46");
        assert_eq!(figure(16.596), "16.6");
        assert_eq!(figure(2810.4), "2,810");
        assert_eq!(figure(f64::NAN), "0");
    }

    #[test]
    fn counts_durations_and_eta() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(short(950), "950");
        assert_eq!(short(12_345), "12.3k");
        assert_eq!(short(4_100_000), "4.10M");
        assert_eq!(duration(72.34), "72.3s");
        assert_eq!(duration(725.0), "12m05s");
        assert_eq!(duration(11_220.0), "3h07m");
        assert_eq!(eta(0, 10, 5.0), None);
        assert_eq!(eta(10, 30, 5.0), Some(15.0));
    }
}
