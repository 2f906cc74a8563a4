//! Progress for long steps: an indicatif bar on a terminal, plain periodic log lines otherwise.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// Progress of one step over a known number of records.
pub struct Progress {
    bar: Option<ProgressBar>,
    label: String,
    total: u64,
    done: u64,
    last_line: Instant,
    started: Instant,
}

impl Progress {
    /// Start a step called `label` over `total` records; `quiet` shows nothing.
    pub fn new(label: &str, total: u64, quiet: bool) -> Self {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new(total);
            let style = ProgressStyle::with_template(
                "{msg:>10} [{bar:40}] {pos}/{len} ({per_sec}, eta {eta})",
            )
            .map(|s| s.progress_chars("=> "))
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar.set_message(label.to_string());
            bar
        });
        Progress {
            bar,
            label: label.to_string(),
            total,
            done: 0,
            last_line: Instant::now(),
            started: Instant::now(),
        }
    }

    /// Count `n` more records.
    pub fn inc(&mut self, n: u64) {
        self.done += n;
        match &self.bar {
            Some(bar) => bar.inc(n),
            None => {
                if self.last_line.elapsed() >= Duration::from_secs(5) {
                    self.last_line = Instant::now();
                    tracing::info!("{}: {}/{}", self.label, self.done, self.total);
                }
            }
        }
    }

    /// Close the bar; returns the elapsed time.
    pub fn finish(self) -> Duration {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        self.started.elapsed()
    }
}
