//! The `view` command: write the run folder's static viewer and print the page to open.

use std::path::PathBuf;

use clap::Args;

use super::global::Global;
use super::print;
use crate::Result;

#[derive(Debug, Args)]
pub struct ViewArgs {
    /// The run folder (default: --out).
    #[arg(value_name = "DIR")]
    dir: Option<PathBuf>,
}

/// `musegen view [DIR]`.
pub fn view(g: &Global, args: &ViewArgs) -> Result<()> {
    let dir = args.dir.clone().unwrap_or_else(|| g.dir());
    if !dir.is_dir() {
        return Err(crate::Error::input(
            &dir,
            None,
            None,
            "no such run folder (run `musegen run --out DIR` first)",
        ));
    }
    let _lock = g.lock(&dir, "musegen view")?;
    let report = crate::view::write_view(&dir)?;
    print::line(
        g.json,
        &format!(
            "view      {} conversations ({} generated, {} imported), {} pairs -> {}",
            report.conversations,
            report.generated,
            report.imported,
            report.pairs,
            report.index.display()
        ),
        &report,
    )
}
