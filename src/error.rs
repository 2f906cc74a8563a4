//! The crate's error type: typed failures with the file, line and field they concern, and the exit code each one maps to.

use std::path::{Path, PathBuf};

/// Every failure a musegen stage can report.
///
/// Input and config errors (exit code 2) name the file, line and field that is wrong;
/// run errors (exit code 1) say which output could not be written.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A user-supplied input file is malformed.
    #[error("{}", location(path, *line, field.as_deref(), message))]
    Input {
        /// The file that is wrong.
        path: PathBuf,
        /// 1-based line, when known.
        line: Option<usize>,
        /// The field (key, column) that is wrong, when known.
        field: Option<String>,
        /// What was expected.
        message: String,
    },
    /// The configuration (file, `--set` override or command-line flag) is invalid.
    #[error("config: {0}")]
    Config(String),
    /// An input file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// An output file could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The catalog index failed.
    #[error("catalog index {}: {source}", path.display())]
    Index {
        /// The SQLite file.
        path: PathBuf,
        /// The SQLite error.
        source: rusqlite::Error,
    },
    /// An embedded or user-supplied data table is invalid.
    #[error("data file {name}: {message}")]
    Data {
        /// The table's name (or path when overridden).
        name: String,
        /// What is wrong.
        message: String,
    },
    /// The run cannot go on (for example, nothing could be generated).
    #[error("{0}")]
    Run(String),
    /// A condition that stops the whole run, not one record (a rejected API key, an exhausted quota or budget).
    #[error("run stopped: {0}")]
    Stopped(String, StopCause),
    /// Another process is writing the output folder (one writer per folder; see `io::FolderLock`).
    #[error(
        "{} is in use by {holder}: wait for it to end, or write to another --out",
        dir.display()
    )]
    Busy {
        /// The output folder.
        dir: PathBuf,
        /// The process holding it, as it recorded itself.
        holder: String,
    },
}

/// Why a run was stopped, which decides its exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopCause {
    /// The provider refused the key or its permissions, or does not know the model or URL (401, 403, 404): the
    /// config must change (exit 2).
    Refused,
    /// A bad request, an exhausted quota or cost budget (exit 1).
    Other,
}

impl Error {
    /// The process exit code for this error: 2 for bad input or config, 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Input { .. }
            | Error::Config(_)
            | Error::Read { .. }
            | Error::Data { .. }
            | Error::Busy { .. } => 2,
            Error::Stopped(_, StopCause::Refused) => 2,
            Error::Write { .. } | Error::Index { .. } | Error::Run(_) | Error::Stopped(..) => 1,
        }
    }

    /// Build an input error for `path`, optionally at `line` and `field`.
    pub fn input(
        path: &Path,
        line: Option<usize>,
        field: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        Error::Input {
            path: path.to_path_buf(),
            line,
            field: field.map(str::to_string),
            message: message.into(),
        }
    }

    /// Wrap a read failure of `path`.
    pub fn read(path: &Path, source: std::io::Error) -> Self {
        Error::Read {
            path: path.to_path_buf(),
            source,
        }
    }

    /// Wrap a write failure of `path`.
    pub fn write(path: &Path, source: std::io::Error) -> Self {
        Error::Write {
            path: path.to_path_buf(),
            source,
        }
    }

    /// Wrap a SQLite failure on the index at `path`.
    pub fn index(path: &Path, source: rusqlite::Error) -> Self {
        Error::Index {
            path: path.to_path_buf(),
            source,
        }
    }

    /// Build a data-table error.
    pub fn data(name: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Data {
            name: name.into(),
            message: message.into(),
        }
    }
}

fn location(path: &Path, line: Option<usize>, field: Option<&str>, message: &str) -> String {
    let mut out = path.display().to_string();
    if let Some(line) = line {
        out.push_str(&format!(":{line}"));
    }
    if let Some(field) = field {
        out.push_str(&format!(": field `{field}`"));
    }
    out.push_str(": ");
    out.push_str(message);
    out
}

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The 1-based line of byte `offset` in `text`.
pub fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}
