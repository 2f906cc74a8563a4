//! Where log lines go: stderr (warnings and the plain progress lines by default, each stage's decisions with -v,
//! every request with -vv, timestamped from -v on, drawn around the progress bars on a terminal), and with
//! `--log-file PATH` a file as well (timestamped, RFC 3339 UTC, uncoloured, at least the -v lines). Secrets are
//! scrubbed from both.

use std::fs::File;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};

use tracing_subscriber::fmt::time::SystemTime;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, filter, fmt};

use crate::progress::{self, StderrWriter};
use crate::secret::Scrubbed;
use crate::{Error, Result};

/// The log file, shared by every event (one whole event per write).
#[derive(Clone)]
struct LogFile(Arc<Mutex<File>>);

impl Write for LogFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .write_all(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).flush()
    }
}

/// What stderr shows at `verbose` (`RUST_LOG` overrides it).
fn stderr_level(verbose: u8, quiet: bool) -> &'static str {
    match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "musegen=warn,musegen::progress=info",
        (false, 1) => "musegen=info",
        (false, 2) => "musegen=debug",
        _ => "musegen=trace",
    }
}

/// What the log file holds at `verbose`: never less than -v.
fn file_level(verbose: u8) -> &'static str {
    match verbose {
        0 | 1 => "musegen=info",
        2 => "musegen=debug",
        _ => "musegen=trace",
    }
}

/// Set up the log for the whole process: `verbose` and `quiet` pick what stderr shows, `log_file` adds a file,
/// `progress_every` is the seconds between plain progress lines.
pub(super) fn init(
    verbose: u8,
    quiet: bool,
    log_file: Option<&Path>,
    progress_every: f64,
) -> Result<()> {
    if !(progress_every.is_finite() && progress_every > 0.0) {
        return Err(Error::Config(format!(
            "--progress-every must be a number of seconds above 0, not {progress_every}"
        )));
    }
    progress::set_quiet(quiet);
    progress::set_plain_interval(std::time::Duration::from_secs_f64(progress_every));
    let file = match log_file {
        Some(path) => Some(LogFile(Arc::new(Mutex::new(
            File::options()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| {
                    Error::Config(format!(
                        "--log-file {}: cannot open it: {e}",
                        path.display()
                    ))
                })?,
        )))),
        None => None,
    };
    let stderr_filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(stderr_level(verbose, quiet)));
    // On a terminal the panel shows what the plain lines say: they go to the log file only.
    let bars = !quiet && progress::draws_bars();
    let no_plain_lines = filter::filter_fn(move |m| !(bars && m.target() == progress::LINE_TARGET));
    let stderr = fmt::layer()
        .with_writer(|| Scrubbed(StderrWriter))
        .with_target(false)
        .with_ansi(std::io::stderr().is_terminal());
    let stderr = if verbose >= 1 {
        stderr.with_timer(SystemTime).boxed()
    } else {
        stderr.without_time().boxed()
    };
    let file_layer = file.map(|f| {
        fmt::layer()
            .with_writer(move || Scrubbed(f.clone()))
            .with_target(false)
            .with_ansi(false)
            .with_timer(SystemTime)
            .with_filter(EnvFilter::new(file_level(verbose)))
    });
    let _ = tracing_subscriber::registry()
        .with(
            stderr
                .with_filter(stderr_filter)
                .with_filter(no_plain_lines),
        )
        .with(file_layer)
        .try_init();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_never_holds_less_than_the_decisions() {
        assert_eq!(file_level(0), "musegen=info");
        assert_eq!(file_level(1), "musegen=info");
        assert_eq!(file_level(2), "musegen=debug");
        assert_eq!(
            stderr_level(0, false),
            "musegen=warn,musegen::progress=info"
        );
        assert_eq!(stderr_level(3, true), "error");
    }
}
