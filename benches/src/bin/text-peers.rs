//! `text-peers`: hiercomp's `cm` method against the usual general-purpose compressors.
//!
//! ```text
//! cargo build --release -p hiercomp-cli -p benches
//! target/release/text-peers [--levels 5,9] [--repeat N] [--no-external] \
//!     [--hiercomp PATH] [--json FILE] DIR_OR_FILE...
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
//! | `cm-N` | the `hiercomp` binary: `hiercomp compress -m cm -l N` to a `.hcz` file, `hiercomp decompress` of it to a file (external), one row per `--levels` entry |
//! | `cm-N (in-process)` | [`hiercomp::compress`] / [`hiercomp::decompress`] with `cm` at level `N` on bytes in memory |
//! | `zstd-19` | `zstd::bulk`, level 19 (in process) |
//! | `xz-9e` | `liblzma`, preset `9 \| PRESET_EXTREME` (in process) |
//! | `bzip2-9` | `bzip2`, `Compression::best()` (in process) |
//! | `brotli-11` | `brotli`, quality 11, lgwin 24 (in process) |
//! | `7zz-ppmd` | `7zz a -t7z -m0=PPMd:mem=1g:o=32 -mx=9`, whole archive size (external) |
//! | `zpaq-m5` | `zpaq a … -m5`, whole archive size (external) |
//!
//! `cm-N` is timed exactly as `7zz` and `zpaq` are: a process started on a file, its
//! times including process start-up and writing its output to a temporary folder, its
//! size the size of the file it wrote. (`hiercomp` also syncs each file it writes to disk
//! before renaming it into place; the peers do not, so this is pessimistic for `cm-N`.)
//! The `hiercomp` binary is looked for next to this executable (`target/release/hiercomp`,
//! built by `cargo build --release -p hiercomp-cli`) unless `--hiercomp PATH` names one;
//! the run stops with an error when it is missing. The in-process row is the same codec
//! without the process and the files, as the in-process peers are measured.
//!
//! Every time is the best of `--repeat N` runs (default 1), the same for every tool: each
//! repetition runs every tool once on the file, in the order of the table, before the next
//! repetition starts. Compressed sizes must be the same in every repetition.
//!
//! Every tool's output is decompressed and compared with the input byte for byte; any
//! mismatch ends the run with an error and a non-zero exit status. External peers are run
//! when found on `PATH` (and not disabled with `--no-external`); their sizes include the
//! archive's headers (file name, attributes), so they are slightly pessimistic on small
//! files.
//!
//! The report gives, per corpus, a summary (total bytes, bits per byte, compress and
//! decompress speed in MB/s, MB = 10^6 bytes), the compressed size of every file under
//! every tool, and the ratio of each `cm` row's total to each peer's. `--json FILE` writes
//! all of it, with the date, commit, machine and command line, as a
//! [`benches::report::TextPeersReport`] (render it with `render-results`).

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use benches::report::{
    Contender, Figures, Report, RunMode, SizeRatio, TextCorpus, TextFile, TextPeersReport,
};
use benches::{
    Result, RunInfo, Sample, TempDir, best_of_interleaved, check_roundtrip, collect_corpora,
    file_name, timed, write_json,
};
use clap::Parser;
use hiercomp::{CompressOptions, Method};

/// Command line.
#[derive(Debug, Parser)]
#[command(about = "Compare hiercomp's cm method with zstd, xz, bzip2, brotli, 7-Zip PPMd and zpaq")]
struct Args {
    /// cm levels to run (1..=9), comma separated.
    #[arg(long, value_delimiter = ',', default_value = "5,9")]
    levels: Vec<u8>,
    /// Best of this many runs for every tool (ours and the peers alike), the tools
    /// alternating within each run.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    repeat: u32,
    /// Skip the external peers (7zz, zpaq) even when they are installed.
    #[arg(long)]
    no_external: bool,
    /// The `hiercomp` binary [default: `hiercomp` next to this executable].
    #[arg(long, value_name = "PATH")]
    hiercomp: Option<PathBuf>,
    /// Write the whole result (with date, commit, machine, command) as JSON to this file.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Folders (each one a corpus, non-recursive) or single files.
    #[arg(required = true, value_name = "DIR_OR_FILE")]
    paths: Vec<PathBuf>,
}

/// One compressor configuration, a row of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tool {
    /// hiercomp `cm` at a level, the `hiercomp` binary on files.
    Cm(u8),
    /// hiercomp `cm` at a level, library calls in this process.
    CmInProcess(u8),
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
            Tool::CmInProcess(level) => format!("cm-{level} (in-process)"),
            Tool::Zstd => "zstd-19".into(),
            Tool::Xz => "xz-9e".into(),
            Tool::Bzip2 => "bzip2-9".into(),
            Tool::Brotli => "brotli-11".into(),
            Tool::SevenZip => "7zz-ppmd".into(),
            Tool::Zpaq => "zpaq-m5".into(),
        }
    }

    /// Whether the row is hiercomp.
    fn ours(self) -> bool {
        matches!(self, Tool::Cm(_) | Tool::CmInProcess(_))
    }

    /// The row's description for the JSON report.
    fn contender(self, hiercomp: Option<&HiercompBinary>) -> Contender {
        let (mode, what, version) = match self {
            Tool::Cm(level) => (
                RunMode::Process,
                format!(
                    "{} compress -m cm -l {level} -k -f -o OUT.hcz FILE; \
                     {0} decompress -k -f -o OUT OUT.hcz",
                    hiercomp.map_or("hiercomp".into(), |h| h.path.display().to_string())
                ),
                hiercomp.and_then(|h| h.version.clone()),
            ),
            Tool::CmInProcess(level) => (
                RunMode::InProcess,
                format!(
                    "hiercomp::compress(CompressOptions::new(Method::CM).level({level})); \
                     hiercomp::decompress"
                ),
                Some(format!("hiercomp {}", env!("CARGO_PKG_VERSION"))),
            ),
            Tool::Zstd => (
                RunMode::InProcess,
                "zstd::bulk::compress(level 19)".into(),
                None,
            ),
            Tool::Xz => (
                RunMode::InProcess,
                "liblzma::encode_all(9 | PRESET_EXTREME)".into(),
                None,
            ),
            Tool::Bzip2 => (
                RunMode::InProcess,
                "bzip2::read::BzEncoder(Compression::best())".into(),
                None,
            ),
            Tool::Brotli => (
                RunMode::InProcess,
                "brotli::BrotliCompress(quality 11, lgwin 24)".into(),
                None,
            ),
            Tool::SevenZip => (
                RunMode::Process,
                "7zz a -t7z -m0=PPMd:mem=1g:o=32 -mx=9 OUT.7z FILE; 7zz e -so OUT.7z".into(),
                version_banner("7zz"),
            ),
            Tool::Zpaq => (
                RunMode::Process,
                "zpaq a OUT.zpaq FILE -m5; zpaq x OUT.zpaq -to DIR".into(),
                version_banner("zpaq"),
            ),
        };
        Contender {
            name: self.name(),
            ours: self.ours(),
            mode,
            what,
            version,
        }
    }
}

/// The `hiercomp` executable that the `cm-N` rows run.
#[derive(Debug)]
struct HiercompBinary {
    path: PathBuf,
    version: Option<String>,
}

impl HiercompBinary {
    /// `flag`, or `hiercomp` next to this executable; an error naming the build command
    /// when it is missing or does not start.
    fn find(flag: Option<&Path>) -> Result<Self> {
        let path = match flag {
            Some(p) => p.to_path_buf(),
            None => {
                let exe = std::env::current_exe()
                    .map_err(|e| format!("cannot locate this executable: {e}"))?;
                exe.parent()
                    .unwrap_or(Path::new("."))
                    .join(format!("hiercomp{}", std::env::consts::EXE_SUFFIX))
            }
        };
        let how = "build it with `cargo build --release -p hiercomp-cli` or pass --hiercomp PATH";
        if !path.is_file() {
            return Err(format!("no hiercomp binary at {}: {how}", path.display()).into());
        }
        let out = Command::new(&path)
            .arg("--version")
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run {}: {e} ({how})", path.display()))?;
        if !out.status.success() {
            return Err(format!(
                "{} --version failed ({}); is it the hiercomp CLI? {how}",
                path.display(),
                out.status
            )
            .into());
        }
        let version = first_line(&out.stdout);
        Ok(Self { path, version })
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
    let repeat = args.repeat as usize;
    let corpora = collect_corpora(&args.paths)?;
    let hiercomp = if args.levels.is_empty() {
        None
    } else {
        Some(HiercompBinary::find(args.hiercomp.as_deref())?)
    };

    let run = RunInfo::collect();
    print!("{}", run.header());

    let mut tools: Vec<Tool> = Vec::new();
    for &l in &args.levels {
        tools.extend([Tool::Cm(l), Tool::CmInProcess(l)]);
    }
    tools.extend([Tool::Zstd, Tool::Xz, Tool::Bzip2, Tool::Brotli]);
    let mut notes = Vec::new();
    for tool in [Tool::SevenZip, Tool::Zpaq] {
        let program = program(tool);
        if args.no_external {
            notes.push(format!("{} skipped (--no-external)", tool.name()));
        } else if !is_installed(program) {
            notes.push(format!(
                "{} skipped ({program} not found on PATH)",
                tool.name()
            ));
        } else {
            tools.push(tool);
        }
    }
    if let Some(h) = &hiercomp {
        notes.push(format!(
            "cm-N runs {} ({}) as a process on files, like 7zz and zpaq; cm-N (in-process) \
             calls the library compiled into this binary",
            h.path.display(),
            h.version.as_deref().unwrap_or("version unknown")
        ));
    }
    notes.push(
        "process rows' timings include process start-up and temporary files; 7zz and zpaq \
         sizes are whole archives"
            .into(),
    );
    notes.push(format!(
        "times: best of {repeat} for every tool, the tools alternating within each repetition"
    ));
    for note in &notes {
        println!("note: {note}");
    }

    let names: Vec<String> = tools.iter().map(|t| t.name()).collect();
    let tmp = TempDir::new("hiercomp-text-peers")?;
    let mut reports = Vec::with_capacity(corpora.len());
    for corpus in &corpora {
        let mut files = Vec::with_capacity(corpus.files.len());
        let mut totals = vec![Sample::ZERO; tools.len()];
        for path in &corpus.files {
            let data =
                fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let name = file_name(path);
            eprint!("{}/{name}:", corpus.name);
            let samples = best_of_interleaved(repeat, &names, |i| {
                eprint!(" {}", names[i]);
                let _ = io::stderr().flush();
                run_tool(tools[i], hiercomp.as_ref(), &data, path, tmp.path())
                    .map_err(|e| format!("{} on {}: {e}", names[i], path.display()).into())
            })?;
            eprintln!();
            for (t, s) in totals.iter_mut().zip(&samples) {
                *t = *t + *s;
            }
            let size = data.len() as u64;
            files.push(TextFile {
                name,
                size,
                results: names
                    .iter()
                    .zip(&samples)
                    .map(|(n, s)| Figures::new(n, size, *s))
                    .collect(),
            });
        }
        let input_bytes: u64 = files.iter().map(|f| f.size).sum();
        let totals: Vec<Figures> = names
            .iter()
            .zip(&totals)
            .map(|(n, s)| Figures::new(n, input_bytes, *s))
            .collect();
        let mut ratios = Vec::new();
        for (tool, ours) in tools.iter().zip(&totals) {
            if !tool.ours() {
                continue;
            }
            for (peer_tool, peer) in tools.iter().zip(&totals) {
                if peer_tool.ours() || peer.bytes == 0 {
                    continue;
                }
                ratios.push(SizeRatio {
                    ours: ours.contender.clone(),
                    peer: peer.contender.clone(),
                    ratio: ours.bytes as f64 / peer.bytes as f64,
                });
            }
        }
        let report = TextCorpus {
            name: corpus.name.clone(),
            path: corpus.path.as_ref().map(|p| p.display().to_string()),
            input_bytes,
            totals,
            files,
            ratios,
        };
        print!("{}", render_corpus(&report, &tools));
        reports.push(report);
    }

    if let Some(json_path) = &args.json {
        let report = Report::TextPeers(TextPeersReport {
            run,
            repeat,
            contenders: tools
                .iter()
                .map(|t| t.contender(hiercomp.as_ref()))
                .collect(),
            notes,
            corpora: reports,
        });
        write_json(json_path, &report)?;
        println!("\nwrote {}", json_path.display());
    }
    Ok(())
}

/// Runs `tool` once on `data` (read from `path`), checks the round trip, and times both
/// ways.
fn run_tool(
    tool: Tool,
    hiercomp: Option<&HiercompBinary>,
    data: &[u8],
    path: &Path,
    tmp: &Path,
) -> Result<Sample> {
    let (packed_len, compress, unpacked, decompress) = match tool {
        Tool::Cm(level) => {
            let bin = hiercomp.ok_or("no hiercomp binary")?;
            return run_hiercomp(&bin.path, level, data, path, tmp);
        }
        Tool::SevenZip => return run_7zz(data, path, tmp),
        Tool::Zpaq => return run_zpaq(data, path, tmp),
        Tool::CmInProcess(level) => {
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
    Ok(Sample {
        bytes: packed_len as u64,
        compress,
        decompress,
    })
}

/// Reads a reader to its end.
fn read_all(mut r: impl Read) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    r.read_to_end(&mut out)?;
    Ok(out)
}

/// The program an external peer runs.
fn program(tool: Tool) -> &'static str {
    match tool {
        Tool::SevenZip => "7zz",
        Tool::Zpaq => "zpaq",
        _ => "",
    }
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

/// The first non-empty line `program` prints when run without arguments (7zz and zpaq
/// print their version there).
fn version_banner(program: &str) -> Option<String> {
    let out = Command::new(program).stdin(Stdio::null()).output().ok()?;
    first_line(&out.stdout).or_else(|| first_line(&out.stderr))
}

/// The first non-empty line of `bytes`, trimmed.
fn first_line(bytes: &[u8]) -> Option<String> {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(str::to_string)
}

/// Runs `program` with `args` in `dir`, failing with its stderr unless it exits with 0;
/// returns its stdout.
fn run_program(program: &Path, args: &[&OsStr], dir: &Path) -> Result<Vec<u8>> {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", program.display()))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(format!(
            "{} failed ({}): {}",
            program.display(),
            out.status,
            stderr.trim()
        )
        .into());
    }
    Ok(out.stdout)
}

/// The folder holding `path` and its name in it: external tools run in that folder on the
/// bare name, so the archives store a short name.
fn split_path(path: &Path) -> Result<(PathBuf, &OsStr)> {
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

/// The size of a file an external tool wrote.
fn output_len(path: &Path) -> Result<u64> {
    Ok(fs::metadata(path)
        .map_err(|e| format!("no output at {}: {e}", path.display()))?
        .len())
}

/// The `hiercomp` binary, `cm` at `level`: compresses the file to `tmp/out.hcz`,
/// decompresses that to `tmp/out.dec`; size of the `.hcz` file.
fn run_hiercomp(bin: &Path, level: u8, data: &[u8], path: &Path, tmp: &Path) -> Result<Sample> {
    let (dir, name) = split_path(path)?;
    let packed = tmp.join("out.hcz");
    let unpacked = tmp.join("out.dec");
    remove_if_exists(&packed)?;
    remove_if_exists(&unpacked)?;
    let level = level.to_string();
    let start = Instant::now();
    run_program(
        bin,
        &[
            "compress".as_ref(),
            "-m".as_ref(),
            "cm".as_ref(),
            "-l".as_ref(),
            level.as_ref(),
            "-k".as_ref(),
            "-f".as_ref(),
            "-o".as_ref(),
            packed.as_os_str(),
            name,
        ],
        &dir,
    )?;
    let compress = start.elapsed();
    let bytes = output_len(&packed)?;
    let start = Instant::now();
    run_program(
        bin,
        &[
            "decompress".as_ref(),
            "-k".as_ref(),
            "-f".as_ref(),
            "-o".as_ref(),
            unpacked.as_os_str(),
            packed.as_os_str(),
        ],
        tmp,
    )?;
    let decompress = start.elapsed();
    let back =
        fs::read(&unpacked).map_err(|e| format!("cannot read {}: {e}", unpacked.display()))?;
    check_roundtrip(data, &back)?;
    remove_if_exists(&packed)?;
    remove_if_exists(&unpacked)?;
    Ok(Sample {
        bytes,
        compress,
        decompress,
    })
}

/// 7-Zip PPMd, order 32, 1 GiB model: archive size; decompression to stdout.
fn run_7zz(data: &[u8], path: &Path, tmp: &Path) -> Result<Sample> {
    let (dir, name) = split_path(path)?;
    let archive = tmp.join("out.7z");
    remove_if_exists(&archive)?;
    let a = archive.as_os_str();
    let start = Instant::now();
    run_program(
        Path::new("7zz"),
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
    let bytes = output_len(&archive)?;
    let start = Instant::now();
    let unpacked = run_program(Path::new("7zz"), &["e".as_ref(), "-so".as_ref(), a], tmp)?;
    let decompress = start.elapsed();
    check_roundtrip(data, &unpacked)?;
    remove_if_exists(&archive)?;
    Ok(Sample {
        bytes,
        compress,
        decompress,
    })
}

/// zpaq method 5: archive size; extraction into a fresh folder.
fn run_zpaq(data: &[u8], path: &Path, tmp: &Path) -> Result<Sample> {
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
    run_program(
        Path::new("zpaq"),
        &["a".as_ref(), a, name, "-m5".as_ref()],
        &dir,
    )?;
    let compress = start.elapsed();
    let bytes = output_len(&archive)?;
    let start = Instant::now();
    run_program(
        Path::new("zpaq"),
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
    Ok(Sample {
        bytes,
        compress,
        decompress,
    })
}

/// `x` with `digits` decimals, or `-`.
fn opt(x: Option<f64>, digits: usize) -> String {
    x.map_or("-".into(), |v| format!("{v:.digits$}"))
}

/// The three tables of one corpus, and a note where a level's process and in-process
/// sizes differ (the `hiercomp` binary then comes from another build than this one).
fn render_corpus(corpus: &TextCorpus, tools: &[Tool]) -> String {
    let mut s = String::new();
    let where_ = corpus
        .path
        .as_ref()
        .map_or(String::new(), |p| format!(" ({p})"));
    let _ = writeln!(
        s,
        "\n== corpus {}{where_}: {} files, {} bytes ==\n",
        corpus.name,
        corpus.files.len(),
        corpus.input_bytes
    );
    let names: Vec<&str> = corpus.totals.iter().map(|t| t.contender.as_str()).collect();
    let tool_w = names.iter().map(|n| n.len()).max().unwrap_or(4).max(4);
    let _ = writeln!(
        s,
        "{:<tool_w$}  {:>12}  {:>7}  {:>10}  {:>10}",
        "tool", "bytes", "bpb", "comp MB/s", "dec MB/s"
    );
    for t in &corpus.totals {
        let _ = writeln!(
            s,
            "{:<tool_w$}  {:>12}  {:>7}  {:>10}  {:>10}",
            t.contender,
            t.bytes,
            opt(t.bits_per_byte, 3),
            opt(t.compress_mb_s, 2),
            opt(t.decompress_mb_s, 2)
        );
    }

    let file_w = corpus
        .files
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
    for f in &corpus.files {
        let _ = write!(s, "{:<file_w$}  {:>9}", f.name, f.size);
        for (m, w) in f.results.iter().zip(&col_w) {
            let _ = write!(s, "  {:>w$}", m.bytes);
        }
        s.push('\n');
    }
    let _ = write!(s, "{:<file_w$}  {:>9}", "total", corpus.input_bytes);
    for (t, w) in corpus.totals.iter().zip(&col_w) {
        let _ = write!(s, "  {:>w$}", t.bytes);
    }
    s.push_str("\n\n");

    for r in &corpus.ratios {
        let _ = writeln!(s, "{} / {} = {:.3}", r.ours, r.peer, r.ratio);
    }
    for (i, tool) in tools.iter().enumerate() {
        let Tool::Cm(level) = *tool else { continue };
        let Some(j) = tools.iter().position(|&t| t == Tool::CmInProcess(level)) else {
            continue;
        };
        let (a, b) = (&corpus.totals[i], &corpus.totals[j]);
        if a.bytes != b.bytes {
            let _ = writeln!(
                s,
                "note: {} wrote {} bytes, {} {} bytes: the hiercomp binary may come from \
                 another build than this one",
                a.contender, a.bytes, b.contender, b.bytes
            );
        }
    }
    s
}
