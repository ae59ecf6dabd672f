//! Where, when, from which commit and with which command a result was measured.

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// The provenance of one run of a comparison binary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    /// When the run started, UTC, ISO 8601 (`2026-12-03T15:10:00Z`).
    pub date_utc: String,
    /// `git rev-parse HEAD` of the repository the binary was built in, at run time;
    /// `None` when git or the repository is not available.
    pub git_commit: Option<String>,
    /// Whether tracked files differed from that commit (`git status --porcelain
    /// --untracked-files=no` printed anything); `None` when unknown.
    pub git_dirty: Option<bool>,
    /// The machine.
    pub machine: Machine,
    /// The arguments exactly as the process received them, program first.
    pub argv: Vec<String>,
    /// The same, quoted for a POSIX shell, to copy and run again.
    pub command_line: String,
}

/// The machine a run measured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Machine {
    /// The first `model name` of `/proc/cpuinfo`.
    pub cpu_model: Option<String>,
    /// CPUs this process may use ([`std::thread::available_parallelism`]).
    pub cores: usize,
    /// `PRETTY_NAME` of `/etc/os-release` and the kernel release, or the OS family.
    pub os: String,
    /// The CPU architecture (`x86_64`, `aarch64`).
    pub arch: String,
}

impl RunInfo {
    /// The provenance of the current process, with the git state of the repository this
    /// crate was built from (falling back to the current folder).
    pub fn collect() -> Self {
        let argv: Vec<String> = std::env::args().collect();
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
        let repo = if repo.is_dir() { repo } else { Path::new(".") };
        let git_commit = git(repo, &["rev-parse", "HEAD"]).filter(|s| !s.is_empty());
        let git_dirty = git_commit.as_ref().and_then(|_| {
            git(repo, &["status", "--porcelain", "--untracked-files=no"]).map(|s| !s.is_empty())
        });
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Self {
            date_utc: utc_iso8601(secs),
            git_commit,
            git_dirty,
            machine: Machine::detect(),
            command_line: shell_words(&argv),
            argv,
        }
    }

    /// The commit, shortened to 12 hex digits, with `-dirty` when the tree was dirty.
    pub fn commit_label(&self) -> String {
        match (&self.git_commit, self.git_dirty) {
            (Some(c), dirty) => {
                let short: String = c.chars().take(12).collect();
                if dirty == Some(true) {
                    format!("{short}-dirty")
                } else {
                    short
                }
            }
            (None, _) => "unknown commit".into(),
        }
    }

    /// Three lines for the top of a printed report: command, machine, date and commit.
    pub fn header(&self) -> String {
        format!(
            "command: {}\nmachine: {} | {} | {} CPUs | {}\ndate: {} | commit {}\n",
            self.command_line,
            self.machine.arch,
            self.machine.os,
            self.machine.cores,
            self.machine
                .cpu_model
                .as_deref()
                .unwrap_or("CPU model unknown"),
            self.date_utc,
            self.commit_label()
        )
    }
}

impl Machine {
    /// Reads the machine's description from `/proc` and `/etc`.
    pub fn detect() -> Self {
        let cpu_model = fs::read_to_string("/proc/cpuinfo").ok().and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        });
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let pretty = fs::read_to_string("/etc/os-release").ok().and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("PRETTY_NAME="))
                .map(|v| v.trim().trim_matches('"').to_string())
        });
        let kernel = fs::read_to_string("/proc/sys/kernel/osrelease")
            .ok()
            .map(|s| s.trim().to_string());
        let os = match (pretty, kernel) {
            (Some(p), Some(k)) => format!("{p} (kernel {k})"),
            (Some(p), None) => p,
            (None, Some(k)) => format!("{} (kernel {k})", std::env::consts::OS),
            (None, None) => std::env::consts::OS.to_string(),
        };
        Self {
            cpu_model,
            cores,
            os,
            arch: std::env::consts::ARCH.to_string(),
        }
    }
}

/// Runs `git -C repo args…`; its trimmed stdout when it succeeds.
fn git(repo: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    Some(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// `secs` after the Unix epoch as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn utc_iso8601(secs: u64) -> String {
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`, restricted to days on or after the epoch).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    // Shift the epoch to 0000-03-01, so a leap day is the last day of its year.
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

/// Arguments joined with spaces, each quoted where a POSIX shell would need it.
pub fn shell_words(args: &[String]) -> String {
    args.iter()
        .map(|a| {
            let plain = !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=,:+@%".contains(c));
            if plain {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_match_known_instants() {
        assert_eq!(utc_iso8601(0), "1970-01-01T00:00:00Z");
        // 2000-02-29 (a leap day of a year divisible by 400) at 12:34:56.
        assert_eq!(utc_iso8601(951_827_696), "2000-02-29T12:34:56Z");
        assert_eq!(utc_iso8601(4_107_542_399), "2100-02-28T23:59:59Z");
        // 2100 is not a leap year: the next second is March 1st.
        assert_eq!(utc_iso8601(4_107_542_400), "2100-03-01T00:00:00Z");
        assert_eq!(utc_iso8601(1_798_761_599), "2026-12-31T23:59:59Z");
    }

    #[test]
    fn shell_words_quote_only_what_needs_it() {
        let args = ["text-peers", "--levels", "5,9", "my file", "it's", ""].map(String::from);
        assert_eq!(
            shell_words(&args),
            r"text-peers --levels 5,9 'my file' 'it'\''s' ''"
        );
    }

    #[test]
    fn commit_label_marks_dirty_trees() {
        let mut info = RunInfo::collect();
        info.git_commit = Some("0123456789abcdef0123".into());
        info.git_dirty = Some(true);
        assert_eq!(info.commit_label(), "0123456789ab-dirty");
        info.git_dirty = Some(false);
        assert_eq!(info.commit_label(), "0123456789ab");
        info.git_commit = None;
        assert_eq!(info.commit_label(), "unknown commit");
    }
}
