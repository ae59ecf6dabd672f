//! Shared pieces of the comparison binaries (`text-peers`, `float-peers`, `graph-peers`)
//! and of `render-results`.
//!
//! A comparison is only worth its provenance, so every binary builds its result as one
//! serde struct of [`report`] (wrapped in [`report::Report`], which tags the JSON with the
//! binary's name) and writes it with `--json FILE`. The struct carries a [`RunInfo`]: the
//! UTC date, the git commit (and whether the tree was dirty), the machine and the exact
//! command line. `render-results FILE` turns such a file into the Markdown tables of the
//! README and the method pages, so the committed tables under `docs/` come from committed
//! JSON under `docs/results/` and never from copying numbers by hand.
//!
//! Timing follows one rule for every contender, ours and the peers alike:
//! [`best_of_interleaved`] runs each contender once per repetition, alternating between
//! them within the repetition (so a slow drift of the machine, a neighbour's build, or the
//! page cache warming up touches every contender alike), and keeps the best compress and
//! the best decompress time of each.

pub mod corpus;
pub mod report;
pub mod run_info;
pub mod timing;

pub use corpus::{Corpus, collect_corpora, file_name};
pub use run_info::{Machine, RunInfo};
pub use timing::{Sample, best_of_interleaved, timed};

use std::error::Error;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// Results of the bench helpers: the binaries only print the error and exit.
pub type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// An error unless `got` is exactly `want`, naming the first differing byte.
pub fn check_roundtrip(want: &[u8], got: &[u8]) -> Result<()> {
    if want == got {
        return Ok(());
    }
    let first = want.iter().zip(got).position(|(a, b)| a != b);
    let at = first.unwrap_or(want.len().min(got.len()));
    Err(format!(
        "round trip MISMATCH: decompressed {} bytes, expected {}, first difference at byte {at}",
        got.len(),
        want.len()
    )
    .into())
}

/// Writes `report` as pretty JSON (with a final newline) to `path`.
pub fn write_json(path: &Path, report: &report::Report) -> Result<()> {
    let text = serde_json::to_string_pretty(report)?;
    fs::write(path, text + "\n").map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(())
}

/// A temporary folder, removed (with its contents) when dropped.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    /// Creates a folder with a unique name starting with `prefix` under
    /// [`std::env::temp_dir`].
    pub fn new(prefix: &str) -> Result<Self> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let path = std::env::temp_dir().join(format!("{prefix}-{}-{nanos}", std::process::id()));
        fs::create_dir(&path)
            .map_err(|e| format!("cannot create temporary folder {}: {e}", path.display()))?;
        Ok(Self(path))
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        // Best effort: a leftover folder in the temp dir is not worth failing over.
        let _ = fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_check_names_the_first_difference() {
        assert!(check_roundtrip(b"abc", b"abc").is_ok());
        let e = check_roundtrip(b"abcd", b"abXd").unwrap_err().to_string();
        assert!(e.contains("first difference at byte 2"), "{e}");
        let e = check_roundtrip(b"abcd", b"ab").unwrap_err().to_string();
        assert!(e.contains("decompressed 2 bytes, expected 4"), "{e}");
        assert!(e.contains("at byte 2"), "{e}");
    }

    #[test]
    fn temp_dir_is_removed_on_drop() {
        let dir = TempDir::new("benches-test").unwrap();
        let path = dir.path().to_path_buf();
        fs::write(path.join("f"), b"x").unwrap();
        assert!(path.is_dir());
        drop(dir);
        assert!(!path.exists());
    }
}
