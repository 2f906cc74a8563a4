//! Progress of long steps, and the run panel: on a terminal an indicatif bar (count, rate, ETA) with, for a step
//! that sends requests, a second line of request figures redrawn about once a second; elsewhere one plain log line
//! every few seconds (10 by default) with the same figures; nothing with `--quiet`. Every step ends with a line
//! `label: 20 done in 72.3s (0.28/s, 16.6/min)` in the log.
//!
//! This module sits at the bottom layer: the request figures come as a [`RunSnapshot`] from whatever closure the
//! caller hands to [`Progress::watch`] (the manager's meter), never from the manager itself.

pub mod rate;
pub mod snapshot;

pub use snapshot::{RunSnapshot, SnapshotSource};

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The log target of the periodic plain lines (shown on stderr by default when it is not a terminal).
pub const LINE_TARGET: &str = "musegen::progress";
/// The log target of each step's closing line (shown with `-v`, and always in `--log-file`).
pub const STAGE_TARGET: &str = "musegen::stage";

/// How often the panel is redrawn on a terminal.
const REDRAW: Duration = Duration::from_secs(1);

/// Milliseconds between two plain lines (`--progress-every`).
static PLAIN_EVERY_MS: AtomicU64 = AtomicU64::new(10_000);

/// Set how often a plain progress line is logged when stderr is not a terminal (default 10 s; at least 100 ms).
pub fn set_plain_interval(every: Duration) {
    PLAIN_EVERY_MS.store((every.as_millis() as u64).max(100), Ordering::Relaxed);
}

fn plain_interval() -> Duration {
    Duration::from_millis(PLAIN_EVERY_MS.load(Ordering::Relaxed))
}

/// `--quiet`: no step shows anything, whatever its caller asks.
static QUIET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Show no progress at all in this process (`--quiet`).
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// The bars on stderr, made once a bar is first drawn.
static BARS: OnceLock<MultiProgress> = OnceLock::new();

fn bars() -> &'static MultiProgress {
    BARS.get_or_init(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()))
}

/// Whether progress is drawn as bars (stderr is a terminal) rather than logged as plain lines.
pub fn draws_bars() -> bool {
    std::io::stderr().is_terminal()
}

/// Stderr for the log: a line is written with the bars lifted out of the way and drawn again below it.
pub struct StderrWriter;

impl std::io::Write for StderrWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match BARS.get() {
            Some(bars) => bars.suspend(|| std::io::stderr().write_all(buf))?,
            None => std::io::stderr().write_all(buf)?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// What the ticker and the owner of a [`Progress`] share.
struct Shared {
    label: String,
    total: AtomicU64,
    done: AtomicU64,
    started: Instant,
    bar: Option<ProgressBar>,
    panel: Mutex<Option<ProgressBar>>,
    source: Mutex<Option<SnapshotSource>>,
}

impl Shared {
    fn snapshot(&self) -> Option<RunSnapshot> {
        let source = self
            .source
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        source.map(|s| s())
    }

    /// `0.28/s, 16.6/min · eta 52m10s` (`5.2s in, none done yet` before the first record).
    fn pace(&self) -> String {
        let done = self.done.load(Ordering::Relaxed);
        let total = self.total.load(Ordering::Relaxed);
        let elapsed = self.started.elapsed().as_secs_f64();
        if done == 0 {
            // Nothing to measure a rate on yet: say how long the step has been waiting for its first record.
            return format!("{} in, none done yet", rate::duration(elapsed));
        }
        let mut text = rate::rate(done, elapsed);
        if total > 0 {
            let left = total.saturating_sub(done);
            text.push_str(" · eta ");
            text.push_str(
                &rate::eta(done, left, elapsed).map_or_else(|| "-".into(), rate::duration),
            );
        }
        text
    }

    /// `dialogues 120/1,000 (12%) · 0.28/s, 16.6/min · eta 52m10s | requests …`.
    fn plain_line(&self, snapshot: Option<&RunSnapshot>) -> String {
        let done = self.done.load(Ordering::Relaxed);
        let total = self.total.load(Ordering::Relaxed);
        let mut line = if total > 0 {
            format!(
                "{} {}/{} ({:.0}%) · {}",
                self.label,
                rate::count(done),
                rate::count(total),
                100.0 * done as f64 / total as f64,
                self.pace()
            )
        } else {
            format!("{} {} · {}", self.label, rate::count(done), self.pace())
        };
        if let Some(s) = snapshot {
            line.push_str(" | ");
            line.push_str(&s.line());
        }
        line
    }

    fn redraw(&self, snapshot: Option<&RunSnapshot>) {
        if let Some(bar) = &self.bar {
            bar.set_message(self.pace());
        }
        let panel = self.panel.lock().unwrap_or_else(|p| p.into_inner());
        if let (Some(panel), Some(s)) = (panel.as_ref(), snapshot) {
            panel.set_message(s.line());
        }
    }
}

/// Progress of one step over a number of records (known, or counted as they come when it is 0).
pub struct Progress {
    shared: Arc<Shared>,
    ticker: Option<(mpsc::Sender<()>, JoinHandle<()>)>,
}

fn bar_style(total: u64) -> ProgressStyle {
    let template = if total > 0 {
        "{prefix:>10} [{bar:30}] {pos}/{len} {msg}"
    } else {
        "{prefix:>10} {spinner} {pos} {msg}"
    };
    ProgressStyle::with_template(template)
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
}

impl Progress {
    /// Start a step called `label` over `total` records (0: not known yet); `quiet` shows nothing.
    pub fn new(label: &str, total: u64, quiet: bool) -> Self {
        let quiet = quiet || QUIET.load(Ordering::Relaxed);
        let bar = (!quiet && draws_bars()).then(|| {
            let bar = bars().add(ProgressBar::new(total));
            bar.set_style(bar_style(total));
            bar.set_prefix(label.to_string());
            bar
        });
        let shared = Arc::new(Shared {
            label: label.to_string(),
            total: AtomicU64::new(total),
            done: AtomicU64::new(0),
            started: Instant::now(),
            bar,
            panel: Mutex::new(None),
            source: Mutex::new(None),
        });
        let ticker = (!quiet).then(|| {
            let (stop, stopped) = mpsc::channel::<()>();
            let s = shared.clone();
            let handle = std::thread::spawn(move || tick(&s, &stopped));
            (stop, handle)
        });
        Progress { shared, ticker }
    }

    /// Show the request figures of `source` with this step (a second line on a terminal, the tail of each plain
    /// line otherwise). Steps that send no request never call it, and show their progress alone.
    pub fn watch(&mut self, source: SnapshotSource) {
        *self.shared.source.lock().unwrap_or_else(|p| p.into_inner()) = Some(source);
        if let Some(bar) = &self.shared.bar {
            let panel = bars().insert_after(bar, ProgressBar::new(0));
            panel.set_style(
                ProgressStyle::with_template("{prefix:>10} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            panel.set_prefix("llm");
            *self.shared.panel.lock().unwrap_or_else(|p| p.into_inner()) = Some(panel);
        }
    }

    /// Set the number of records once it is known.
    pub fn set_total(&mut self, total: u64) {
        self.shared.total.store(total, Ordering::Relaxed);
        if let Some(bar) = &self.shared.bar {
            bar.set_style(bar_style(total));
            bar.set_length(total);
        }
    }

    /// Count `n` more records.
    pub fn inc(&mut self, n: u64) {
        self.shared.done.fetch_add(n, Ordering::Relaxed);
        if let Some(bar) = &self.shared.bar {
            bar.inc(n);
        }
    }

    /// Records counted so far.
    pub fn done(&self) -> u64 {
        self.shared.done.load(Ordering::Relaxed)
    }

    /// Close the bars and log the step's closing line; returns the elapsed time.
    pub fn finish(mut self) -> Duration {
        self.stop();
        let elapsed = self.shared.started.elapsed();
        let done = self.done();
        tracing::info!(
            target: STAGE_TARGET,
            "{}: {}",
            self.shared.label,
            rate::summary(done, "done", elapsed.as_secs_f64())
        );
        elapsed
    }

    fn stop(&mut self) {
        if let Some((stop, handle)) = self.ticker.take() {
            drop(stop);
            let _ = handle.join();
        }
        if let Some(bar) = &self.shared.bar {
            bar.finish_and_clear();
            bars().remove(bar);
        }
        if let Some(panel) = self
            .shared
            .panel
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            panel.finish_and_clear();
            bars().remove(&panel);
        }
    }
}

impl Drop for Progress {
    /// A step that ends early (an error) stops its ticker and clears its bars all the same.
    fn drop(&mut self) {
        self.stop();
    }
}

/// The ticker of one step: redraw the bars every second, log a plain line every [`plain_interval`], until the step
/// ends (its sender is dropped).
fn tick(shared: &Shared, stopped: &mpsc::Receiver<()>) {
    let every = plain_interval();
    let wake = if shared.bar.is_some() {
        REDRAW.min(every)
    } else {
        every
    };
    let mut last_line = Instant::now();
    loop {
        match stopped.recv_timeout(wake) {
            Err(RecvTimeoutError::Timeout) => {}
            _ => return,
        }
        let snapshot = shared.snapshot();
        shared.redraw(snapshot.as_ref());
        if last_line.elapsed() + Duration::from_millis(50) >= every {
            last_line = Instant::now();
            tracing::info!(target: LINE_TARGET, "{}", shared.plain_line(snapshot.as_ref()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shared(total: u64, done: u64) -> Shared {
        Shared {
            label: "dialogues".into(),
            total: AtomicU64::new(total),
            done: AtomicU64::new(done),
            started: Instant::now() - Duration::from_secs(100),
            bar: None,
            panel: Mutex::new(None),
            source: Mutex::new(None),
        }
    }

    #[test]
    fn a_plain_line_has_the_count_the_rate_the_eta_and_the_requests() {
        let s = shared(100, 25);
        let line = s.plain_line(None);
        assert!(
            line.starts_with("dialogues 25/100 (25%) · 0.25/s, 15.0/min · eta "),
            "{line}"
        );
        // 75 left at 0.25/s: 300 s.
        assert!(line.ends_with("eta 5m00s"), "{line}");
        let snapshot = RunSnapshot {
            rpm_limit: 60,
            requests_per_min: 30.0,
            ..RunSnapshot::default()
        };
        let line = s.plain_line(Some(&snapshot));
        assert!(line.contains(" | requests 30.0/min of 60 (50%)"), "{line}");
        // An unknown total shows the count and the rate, and no ETA.
        let open = shared(0, 7);
        assert!(
            open.plain_line(None).starts_with("dialogues 7 · 0.070/s"),
            "{}",
            open.plain_line(None)
        );
        assert!(!open.plain_line(None).contains("eta"));
        let waiting = shared(10, 0);
        assert_eq!(
            waiting.plain_line(None),
            "dialogues 0/10 (0%) · 100.0s in, none done yet"
        );
    }

    #[test]
    fn a_quiet_step_counts_and_ends_without_a_ticker() {
        let mut p = Progress::new("review", 0, true);
        assert!(p.ticker.is_none());
        p.set_total(3);
        p.inc(2);
        p.inc(1);
        assert_eq!(p.done(), 3);
        let _ = p.finish();
    }
}
