//! `text-peers`: hiercomp's `cm` method against the usual general-purpose compressors.
//!
//! ```text
//! cargo run --release -p benches --bin text-peers -- [--levels 5,9] [--no-external] \
//!     [--json FILE] DIR_OR_FILE...
//! ```
//!
//! Every folder given is a corpus: each regular file directly in it (not recursive, sorted
//! by name) is compressed and decompressed, one file at a time, by every tool. Files
//! named directly on the command line form one more corpus, `files`.
//!
//! The tools:
//!
//! | row | what runs |
//! |---|---|
//! | `cm-N` | [`hiercomp::compress`] with `cm` at level `N`, one row per `--levels` entry |
//! | `zstd-19` | `zstd::bulk`, level 19 (in process) |
//! | `xz-9e` | `liblzma`, preset `9 \| PRESET_EXTREME` (in process) |
//! | `bzip2-9` | `bzip2`, `Compression::best()` (in process) |
//! | `brotli-11` | `brotli`, quality 11, lgwin 24 (in process) |
//! | `7zz-ppmd` | `7zz a -t7z -m0=PPMd:mem=1g:o=32 -mx=9`, whole archive size (external) |
//! | `zpaq-m5` | `zpaq a … -m5`, whole archive size (external) |
//!
//! Every tool's output is decompressed and compared with the input byte for byte; any
//! mismatch ends the run with an error and a non-zero exit status. External tools are run
//! when found on `PATH` (and not disabled with `--no-external`); their timings include
//! process start-up and writing the archive and the extracted file to a temporary folder,
//! and their sizes include the archive's headers (file name, attributes), so they are
//! slightly pessimistic on small files.
//!
//! The report gives, per corpus, a summary (total bytes, bits per byte, compress and
//! decompress speed in MB/s, MB = 10^6 bytes), the compressed size of every file under
//! every tool, and the ratio of each `cm` level's total to each peer's. `--json FILE`
//! writes every per-file measurement as JSON.

use std::error::Error;
use std::fmt::Write as _;
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Parser;
use hiercomp::{CompressOptions, Method};
use serde_json::{Value, json};

/// Results of this binary's helpers.
type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// Command line.
#[derive(Debug, Parser)]
#[command(about = "Compare hiercomp's cm method with zstd, xz, bzip2, brotli, 7-Zip PPMd and zpaq")]
struct Args {
    /// cm levels to run (1..=9), comma separated.
    #[arg(long, value_delimiter = ',', default_value = "5,9")]
    levels: Vec<u8>,
    /// Skip the external tools (7zz, zpaq) even when they are installed.
    #[arg(long)]
    no_external: bool,
    /// Write every per-file measurement as JSON to this file.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Folders (each one a corpus, non-recursive) or single files.
    #[arg(required = true, value_name = "DIR_OR_FILE")]
    paths: Vec<PathBuf>,
}

/// One compressor configuration, a row of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tool {
    /// hiercomp `cm` at a level.
    Cm(u8),
    /// zstd level 19.
    Zstd,
    /// xz preset 9, extreme.
    Xz,
    /// bzip2 block size 900k.
    Bzip2,
    /// brotli quality 11, window 2^24.
    Brotli,
    /// 7-Zip's PPMd, external `7zz`.
    SevenZip,
    /// zpaq method 5, external `zpaq`.
    Zpaq,
}

impl Tool {
    /// The row label.
    fn name(self) -> String {
        match self {
            Tool::Cm(level) => format!("cm-{level}"),
            Tool::Zstd => "zstd-19".into(),
            Tool::Xz => "xz-9e".into(),
            Tool::Bzip2 => "bzip2-9".into(),
            Tool::Brotli => "brotli-11".into(),
            Tool::SevenZip => "7zz-ppmd".into(),
            Tool::Zpaq => "zpaq-m5".into(),
        }
    }

    /// The program an external tool runs, `None` for in-process tools.
    fn program(self) -> Option<&'static str> {
        match self {
            Tool::SevenZip => Some("7zz"),
            Tool::Zpaq => Some("zpaq"),
            _ => None,
        }
    }
}

/// One tool on one file.
#[derive(Debug, Clone, Copy)]
struct Measurement {
    /// Compressed size in bytes.
    bytes: u64,
    /// Compression wall time.
    compress: Duration,
    /// Decompression wall time.
    decompress: Duration,
}

/// One input file and its results, in the order of the tools.
#[derive(Debug)]
struct FileResult {
    name: String,
    size: u64,
    results: Vec<Measurement>,
}

/// A folder (or the loose files of the command line) and its results.
#[derive(Debug)]
struct Corpus {
    name: String,
    path: Option<PathBuf>,
    files: Vec<PathBuf>,
    results: Vec<FileResult>,
}

/// A temporary folder, removed (with its contents) when dropped.
struct TempDir(PathBuf);

impl TempDir {
    /// Creates a folder with a unique name under [`std::env::temp_dir`].
    fn new() -> Result<Self> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let path = std::env::temp_dir().join(format!(
            "hiercomp-text-peers-{}-{nanos}",
            std::process::id()
        ));
        fs::create_dir(&path)
            .map_err(|e| format!("cannot create temporary folder {}: {e}", path.display()))?;
        Ok(Self(path))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        // Best effort: a leftover folder in the temp dir is not worth failing over.
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn main() -> ExitCode {
    match try_main() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("text-peers: error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn try_main() -> Result<()> {
    let args = Args::parse();
    if let Some(bad) = args.levels.iter().find(|&&l| !(1..=9).contains(&l)) {
        return Err(format!("cm level {bad} is not in 1..=9").into());
    }
    let mut corpora = collect_corpora(&args.paths)?;

    let command_line = shell_words(std::env::args());
    let machine = Machine::detect();
    println!("command: {command_line}");
    println!(
        "machine: {} | {} CPUs | {}",
        machine.arch,
        machine.cpus,
        machine.cpu_model.as_deref().unwrap_or("CPU model unknown")
    );

    let mut tools: Vec<Tool> = args.levels.iter().map(|&l| Tool::Cm(l)).collect();
    tools.extend([Tool::Zstd, Tool::Xz, Tool::Bzip2, Tool::Brotli]);
    for tool in [Tool::SevenZip, Tool::Zpaq] {
        let program = tool.program().unwrap_or_default();
        if args.no_external {
            println!("note: {} skipped (--no-external)", tool.name());
        } else if !is_installed(program) {
            println!(
                "note: {} skipped ({program} not found on PATH)",
                tool.name()
            );
        } else {
            tools.push(tool);
        }
    }
    println!(
        "note: external tools' timings include process start-up and temporary files; \
         their sizes are whole archives"
    );

    let tmp = TempDir::new()?;
    for corpus in &mut corpora {
        for path in &corpus.files {
            let data =
                fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let name = file_name(path);
            eprint!("{}/{name}:", corpus.name);
            let mut results = Vec::with_capacity(tools.len());
            for &tool in &tools {
                eprint!(" {}", tool.name());
                let _ = io::stderr().flush();
                let m = run_tool(tool, &data, path, tmp.path())
                    .map_err(|e| format!("{} on {}: {e}", tool.name(), path.display()))?;
                results.push(m);
            }
            eprintln!();
            corpus.results.push(FileResult {
                name,
                size: data.len() as u64,
                results,
            });
        }
        print!("{}", report(corpus, &tools));
    }

    if let Some(json_path) = &args.json {
        let doc = to_json(&command_line, &machine, &tools, &corpora);
        let text = serde_json::to_string_pretty(&doc)?;
        fs::write(json_path, text + "\n")
            .map_err(|e| format!("cannot write {}: {e}", json_path.display()))?;
        println!("\nwrote {}", json_path.display());
    }
    Ok(())
}

/// Folders become corpora of their files; loose files are gathered into one corpus.
fn collect_corpora(paths: &[PathBuf]) -> Result<Vec<Corpus>> {
    let mut corpora = Vec::new();
    let mut loose = Vec::new();
    for path in paths {
        let meta =
            fs::metadata(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        if meta.is_dir() {
            let mut files = Vec::new();
            let entries =
                fs::read_dir(path).map_err(|e| format!("cannot list {}: {e}", path.display()))?;
            for entry in entries {
                let entry = entry.map_err(|e| format!("cannot list {}: {e}", path.display()))?;
                // `metadata` follows symbolic links, so a link to a file counts as a file.
                if fs::metadata(entry.path()).is_ok_and(|m| m.is_file()) {
                    files.push(entry.path());
                }
            }
            files.sort();
            if files.is_empty() {
                return Err(format!("{} has no files", path.display()).into());
            }
            corpora.push(Corpus {
                name: file_name(path),
                path: Some(path.clone()),
                files,
                results: Vec::new(),
            });
        } else {
            loose.push(path.clone());
        }
    }
    if !loose.is_empty() {
        corpora.push(Corpus {
            name: "files".into(),
            path: None,
            files: loose,
            results: Vec::new(),
        });
    }
    Ok(corpora)
}

/// The last component of `path`, for display.
fn file_name(path: &Path) -> String {
    path.file_name()
        .unwrap_or(path.as_os_str())
        .to_string_lossy()
        .into_owned()
}

/// Runs `tool` on `data` (read from `path`), checks the round trip, and times both ways.
fn run_tool(tool: Tool, data: &[u8], path: &Path, tmp: &Path) -> Result<Measurement> {
    let (packed_len, compress, unpacked, decompress) = match tool {
        Tool::SevenZip => return run_7zz(data, path, tmp),
        Tool::Zpaq => return run_zpaq(data, path, tmp),
        Tool::Cm(level) => {
            let opts = CompressOptions::new(Method::CM).level(level);
            let (packed, c) = timed(|| hiercomp::compress(data, &opts))?;
            let (unpacked, d) = timed(|| hiercomp::decompress(&packed))?;
            (packed.len(), c, unpacked, d)
        }
        Tool::Zstd => {
            let (packed, c) = timed(|| zstd::bulk::compress(data, 19))?;
            let (unpacked, d) = timed(|| zstd::bulk::decompress(&packed, data.len()))?;
            (packed.len(), c, unpacked, d)
        }
        Tool::Xz => {
            let preset = 9 | liblzma::stream::PRESET_EXTREME;
            let (packed, c) = timed(|| liblzma::encode_all(data, preset))?;
            let (unpacked, d) = timed(|| liblzma::decode_all(packed.as_slice()))?;
            (packed.len(), c, unpacked, d)
        }
        Tool::Bzip2 => {
            let (packed, c) = timed(|| {
                read_all(bzip2::read::BzEncoder::new(
                    data,
                    bzip2::Compression::best(),
                ))
            })?;
            let (unpacked, d) = timed(|| read_all(bzip2::read::BzDecoder::new(packed.as_slice())))?;
            (packed.len(), c, unpacked, d)
        }
        Tool::Brotli => {
            let params = brotli::enc::BrotliEncoderParams {
                quality: 11,
                lgwin: 24,
                size_hint: data.len(),
                ..Default::default()
            };
            let (packed, c) = timed(|| {
                let mut out = Vec::new();
                brotli::BrotliCompress(&mut &data[..], &mut out, &params).map(|_| out)
            })?;
            let (unpacked, d) = timed(|| {
                let mut out = Vec::with_capacity(data.len());
                brotli::BrotliDecompress(&mut packed.as_slice(), &mut out).map(|()| out)
            })?;
            (packed.len(), c, unpacked, d)
        }
    };
    check_roundtrip(data, &unpacked)?;
    Ok(Measurement {
        bytes: packed_len as u64,
        compress,
        decompress,
    })
}

/// Runs `f` once and returns its value with the wall time it took.
fn timed<T, E: Into<Box<dyn Error>>>(
    f: impl FnOnce() -> std::result::Result<T, E>,
) -> Result<(T, Duration)> {
    let start = Instant::now();
    let value = f().map_err(Into::into)?;
    Ok((value, start.elapsed()))
}

/// Reads a reader to its end.
fn read_all(mut r: impl Read) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    r.read_to_end(&mut out)?;
    Ok(out)
}

/// An error unless `got` is exactly `want`.
fn check_roundtrip(want: &[u8], got: &[u8]) -> Result<()> {
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

/// Whether `program` can be started (a `which`-like check).
fn is_installed(program: &str) -> bool {
    Command::new(program)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// Runs `program` with `args` in `dir`, failing with its stderr unless it exits with 0;
/// returns its stdout.
fn run_program(program: &str, args: &[&std::ffi::OsStr], dir: &Path) -> Result<Vec<u8>> {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(format!("{program} failed ({}): {}", out.status, stderr.trim()).into());
    }
    Ok(out.stdout)
}

/// The folder holding `path` and its name in it: external tools run in that folder on the
/// bare name, so the archives store a short name.
fn split_path(path: &Path) -> Result<(PathBuf, &std::ffi::OsStr)> {
    let name = path
        .file_name()
        .ok_or_else(|| format!("{} has no file name", path.display()))?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((dir, name))
}

/// Removes `path` if it exists.
fn remove_if_exists(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("cannot remove {}: {e}", path.display()).into()),
    }
}

/// 7-Zip PPMd, order 32, 1 GiB model: archive size; decompression to stdout.
fn run_7zz(data: &[u8], path: &Path, tmp: &Path) -> Result<Measurement> {
    let (dir, name) = split_path(path)?;
    let archive = tmp.join("out.7z");
    remove_if_exists(&archive)?;
    let a = archive.as_os_str();
    let start = Instant::now();
    run_program(
        "7zz",
        &[
            "a".as_ref(),
            "-t7z".as_ref(),
            "-m0=PPMd:mem=1g:o=32".as_ref(),
            "-mx=9".as_ref(),
            "-bso0".as_ref(),
            "-bsp0".as_ref(),
            a,
            name,
        ],
        &dir,
    )?;
    let compress = start.elapsed();
    let bytes = archive_len(&archive)?;
    let start = Instant::now();
    let unpacked = run_program("7zz", &["e".as_ref(), "-so".as_ref(), a], tmp)?;
    let decompress = start.elapsed();
    check_roundtrip(data, &unpacked)?;
    remove_if_exists(&archive)?;
    Ok(Measurement {
        bytes,
        compress,
        decompress,
    })
}

/// zpaq method 5: archive size; extraction into a fresh folder.
fn run_zpaq(data: &[u8], path: &Path, tmp: &Path) -> Result<Measurement> {
    let (dir, name) = split_path(path)?;
    let archive = tmp.join("out.zpaq");
    let out_dir = tmp.join("zpaq-out");
    remove_if_exists(&archive)?;
    if out_dir.exists() {
        fs::remove_dir_all(&out_dir)
            .map_err(|e| format!("cannot remove {}: {e}", out_dir.display()))?;
    }
    let a = archive.as_os_str();
    let start = Instant::now();
    run_program("zpaq", &["a".as_ref(), a, name, "-m5".as_ref()], &dir)?;
    let compress = start.elapsed();
    let bytes = archive_len(&archive)?;
    let start = Instant::now();
    run_program(
        "zpaq",
        &["x".as_ref(), a, "-to".as_ref(), out_dir.as_os_str()],
        tmp,
    )?;
    let decompress = start.elapsed();
    let extracted = out_dir.join(name);
    let unpacked =
        fs::read(&extracted).map_err(|e| format!("cannot read {}: {e}", extracted.display()))?;
    check_roundtrip(data, &unpacked)?;
    remove_if_exists(&archive)?;
    fs::remove_dir_all(&out_dir)
        .map_err(|e| format!("cannot remove {}: {e}", out_dir.display()))?;
    Ok(Measurement {
        bytes,
        compress,
        decompress,
    })
}

/// The size of an archive an external tool wrote.
fn archive_len(path: &Path) -> Result<u64> {
    Ok(fs::metadata(path)
        .map_err(|e| format!("no archive at {}: {e}", path.display()))?
        .len())
}

/// Where the numbers were measured.
#[derive(Debug)]
struct Machine {
    arch: String,
    cpus: usize,
    cpu_model: Option<String>,
}

impl Machine {
    fn detect() -> Self {
        let arch = Command::new("uname")
            .arg("-m")
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| std::env::consts::ARCH.to_string());
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        let cpu_model = fs::read_to_string("/proc/cpuinfo").ok().and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        });
        Self {
            arch,
            cpus,
            cpu_model,
        }
    }
}

/// The command line, with arguments quoted where a shell would need it.
fn shell_words(args: impl Iterator<Item = String>) -> String {
    args.map(|a| {
        let plain = !a.is_empty()
            && a.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./=,:+@%".contains(c));
        if plain {
            a
        } else {
            format!("'{}'", a.replace('\'', r"'\''"))
        }
    })
    .collect::<Vec<_>>()
    .join(" ")
}

/// MB/s (10^6 bytes per second) of `bytes` processed in `time`.
fn mb_per_s(bytes: u64, time: Duration) -> String {
    let s = time.as_secs_f64();
    if s > 0.0 {
        format!("{:.2}", bytes as f64 / 1e6 / s)
    } else {
        "-".into()
    }
}

/// Bits per input byte.
fn bpb(packed: u64, original: u64) -> String {
    if original > 0 {
        format!("{:.3}", 8.0 * packed as f64 / original as f64)
    } else {
        "-".into()
    }
}

/// The three tables of one corpus.
fn report(corpus: &Corpus, tools: &[Tool]) -> String {
    let names: Vec<String> = tools.iter().map(|t| t.name()).collect();
    let total_in: u64 = corpus.results.iter().map(|f| f.size).sum();
    let totals: Vec<Measurement> = (0..tools.len())
        .map(|i| {
            corpus.results.iter().fold(
                Measurement {
                    bytes: 0,
                    compress: Duration::ZERO,
                    decompress: Duration::ZERO,
                },
                |acc, f| Measurement {
                    bytes: acc.bytes + f.results[i].bytes,
                    compress: acc.compress + f.results[i].compress,
                    decompress: acc.decompress + f.results[i].decompress,
                },
            )
        })
        .collect();

    let mut s = String::new();
    let where_ = corpus
        .path
        .as_ref()
        .map_or(String::new(), |p| format!(" ({})", p.display()));
    let _ = writeln!(
        s,
        "\n== corpus {}{where_}: {} files, {total_in} bytes ==\n",
        corpus.name,
        corpus.results.len()
    );
    let tool_w = names.iter().map(String::len).max().unwrap_or(4).max(4);
    let _ = writeln!(
        s,
        "{:<tool_w$}  {:>12}  {:>7}  {:>10}  {:>10}",
        "tool", "bytes", "bpb", "comp MB/s", "dec MB/s"
    );
    for (name, t) in names.iter().zip(&totals) {
        let _ = writeln!(
            s,
            "{name:<tool_w$}  {:>12}  {:>7}  {:>10}  {:>10}",
            t.bytes,
            bpb(t.bytes, total_in),
            mb_per_s(total_in, t.compress),
            mb_per_s(total_in, t.decompress)
        );
    }

    let file_w = corpus
        .results
        .iter()
        .map(|f| f.name.len())
        .max()
        .unwrap_or(4)
        .max(5);
    let col_w: Vec<usize> = names.iter().map(|n| n.len().max(9)).collect();
    let _ = write!(s, "\n{:<file_w$}  {:>9}", "file", "size");
    for (name, w) in names.iter().zip(&col_w) {
        let _ = write!(s, "  {name:>w$}");
    }
    s.push('\n');
    for f in &corpus.results {
        let _ = write!(s, "{:<file_w$}  {:>9}", f.name, f.size);
        for (m, w) in f.results.iter().zip(&col_w) {
            let _ = write!(s, "  {:>w$}", m.bytes);
        }
        s.push('\n');
    }
    let _ = write!(s, "{:<file_w$}  {:>9}", "total", total_in);
    for (t, w) in totals.iter().zip(&col_w) {
        let _ = write!(s, "  {:>w$}", t.bytes);
    }
    s.push_str("\n\n");

    for (i, tool) in tools.iter().enumerate() {
        if !matches!(tool, Tool::Cm(_)) {
            continue;
        }
        for (j, peer) in tools.iter().enumerate() {
            if matches!(peer, Tool::Cm(_)) || totals[j].bytes == 0 {
                continue;
            }
            let _ = writeln!(
                s,
                "{} / {} = {:.3}",
                names[i],
                names[j],
                totals[i].bytes as f64 / totals[j].bytes as f64
            );
        }
    }
    s
}

/// All measurements as one JSON document.
fn to_json(command: &str, machine: &Machine, tools: &[Tool], corpora: &[Corpus]) -> Value {
    let corpora: Vec<Value> = corpora
        .iter()
        .map(|c| {
            let files: Vec<Value> = c
                .results
                .iter()
                .map(|f| {
                    let results: Vec<Value> = tools
                        .iter()
                        .zip(&f.results)
                        .map(|(t, m)| {
                            json!({
                                "tool": t.name(),
                                "bytes": m.bytes,
                                "bits_per_byte": if f.size > 0 {
                                    8.0 * m.bytes as f64 / f.size as f64
                                } else {
                                    0.0
                                },
                                "compress_s": m.compress.as_secs_f64(),
                                "decompress_s": m.decompress.as_secs_f64(),
                            })
                        })
                        .collect();
                    json!({ "name": f.name, "size": f.size, "results": results })
                })
                .collect();
            json!({
                "name": c.name,
                "path": c.path.as_ref().map(|p| p.display().to_string()),
                "files": files,
            })
        })
        .collect();
    json!({
        "command": command,
        "machine": {
            "arch": machine.arch,
            "cpus": machine.cpus,
            "cpu_model": machine.cpu_model,
        },
        "tools": tools.iter().map(|t| t.name()).collect::<Vec<_>>(),
        "corpora": corpora,
    })
}
