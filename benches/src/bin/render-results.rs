//! `render-results`: the Markdown tables of a result file written by `text-peers`,
//! `float-peers` or `graph-peers` with `--json FILE`.
//!
//! ```text
//! cargo run --release -p benches --bin render-results -- docs/results/text-peers.json
//! ```
//!
//! The tables of the README and of the method pages are pasted from this output, so each
//! figure there can be traced to a committed JSON file under `docs/results/` (with its
//! date, commit, machine and command).

use std::path::PathBuf;
use std::process::ExitCode;

use benches::report::Report;
use clap::Parser;

/// Command line.
#[derive(Debug, Parser)]
#[command(about = "Render a text-peers, float-peers or graph-peers JSON result as Markdown")]
struct Args {
    /// A JSON file written with `--json FILE`.
    #[arg(value_name = "FILE")]
    file: PathBuf,
}

fn main() -> ExitCode {
    match try_main() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("render-results: error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn try_main() -> benches::Result<()> {
    let args = Args::parse();
    let text = std::fs::read_to_string(&args.file)
        .map_err(|e| format!("cannot read {}: {e}", args.file.display()))?;
    let report: Report = serde_json::from_str(&text)
        .map_err(|e| format!("{}: not a result file: {e}", args.file.display()))?;
    print!("{}", report.markdown());
    Ok(())
}
