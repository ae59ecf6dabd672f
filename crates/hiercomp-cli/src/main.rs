//! The `hiercomp` command-line tool. See the crate README for the commands.

mod graph;
mod samples;

use clap::{Args, Parser, Subcommand};
use hiercomp::{CompressOptions, Limits, Method};
use indicatif::{ProgressBar, ProgressStyle};
use std::fs::{self, File};
use std::io::{self, BufReader, BufWriter, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Suffix of hiercomp containers.
const SUFFIX: &str = "hcz";
/// Inputs smaller than this get no progress bar.
const PROGRESS_MIN_BYTES: u64 = 1 << 20;

#[derive(Parser)]
#[command(
    name = "hiercomp",
    version,
    about = "Hierarchical and structured compression",
    long_about = "Hierarchical and structured compression.\n\nCompressed files use the .hcz \
                  container; `hiercomp methods` lists the methods and `hiercomp tour` runs \
                  them all on built-in samples."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compress a file (or stdin) into a .hcz container.
    Compress(CompressArgs),
    /// Decompress a .hcz container.
    Decompress(CommonArgs),
    /// Run every method on built-in sample data and print a table.
    Tour,
    /// List the methods with their ids and levels.
    Methods,
    /// Lossless graph summarization (SLUGGER): summarize, restore, verify, stats.
    #[command(subcommand)]
    Graph(graph::GraphCommand),
    /// Language-model evaluation (`hiercomp lm ppl …`): runs the `hiercomp-lm` binary of
    /// the unpublished `lm-eval` crate, found next to this one or on the PATH.
    #[command(disable_help_flag = true)]
    Lm {
        /// Arguments for `hiercomp-lm` (e.g. `ppl --tokens 1024 --json`).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<std::ffi::OsString>,
    },
}

#[derive(Args)]
struct CommonArgs {
    /// Input file; `-` or nothing reads stdin.
    file: Option<PathBuf>,
    /// Output file (default: derived from the input name).
    #[arg(short, long, conflicts_with = "stdout")]
    output: Option<PathBuf>,
    /// Write to stdout.
    #[arg(short = 'c', long = "stdout")]
    stdout: bool,
    /// Keep the input file (by default it is removed after success, as xz does).
    #[arg(short, long)]
    keep: bool,
    /// Overwrite an existing output file.
    #[arg(short, long)]
    force: bool,
    /// Print one JSON object with the figures of the run on stdout.
    #[arg(long, conflicts_with = "stdout")]
    json: bool,
}

#[derive(Args)]
struct CompressArgs {
    /// Method (see `hiercomp methods`).
    #[arg(short, long, default_value = "cm")]
    method: String,
    /// Level (default: the method's default).
    #[arg(short, long)]
    level: Option<u8>,
    /// With `-m float`: the input is a flat array of f32, f16, bf16 (or bytes); without it,
    /// safetensors files are recognised by their header.
    #[arg(long, value_name = "DTYPE")]
    dtype: Option<String>,
    /// A parameter the method declares, `NAME=VALUE` (see `hiercomp methods`); repeatable.
    #[arg(long = "param", value_name = "NAME=VALUE")]
    params: Vec<String>,
    #[command(flatten)]
    common: CommonArgs,
}

type BoxError = Box<dyn std::error::Error>;

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Compress(a) => compress(&a),
        Command::Decompress(a) => decompress(&a),
        Command::Tour => samples::tour(),
        Command::Graph(g) => graph::run(g),
        Command::Lm { args } => run_lm(&args),
        Command::Methods => {
            methods();
            Ok(())
        }
    };
    if let Err(e) = result {
        eprintln!("hiercomp: error: {e}");
        std::process::exit(1);
    }
}

/// Runs `hiercomp-lm` (next to this executable, else on the PATH) with `args` and exits
/// with its status.
fn run_lm(args: &[std::ffi::OsString]) -> Result<(), BoxError> {
    let name = format!("hiercomp-lm{}", std::env::consts::EXE_SUFFIX);
    let beside = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.join(&name)))
        .filter(|p| p.is_file());
    let program = beside.unwrap_or_else(|| PathBuf::from(&name));
    let status = std::process::Command::new(&program)
        .args(args)
        .status()
        .map_err(|e| {
            format!(
                "{}: {e} (build it with `cargo build --release -p lm-eval`)",
                program.display()
            )
        })?;
    if !status.success() {
        std::process::exit(status.code().unwrap_or(1));
    }
    Ok(())
}

fn methods() {
    println!(
        "{:<8} {:>3} {:<8} {:>7}  description",
        "method", "id", "levels", "default"
    );
    for m in Method::all() {
        let l = m.levels();
        println!(
            "{:<8} {:>3} {:<8} {:>7}  {}",
            m.name(),
            m.id(),
            format!("{}-{}", l.start(), l.end()),
            m.default_level(),
            m.description()
        );
        for p in m.params() {
            println!(
                "{:<29}--param {}={} (default {}): {}",
                "",
                p.name,
                p.choices.join("|"),
                p.choices[0],
                p.description
            );
        }
    }
}

/// Where the bytes come from and go to.
struct Plan {
    input: Option<PathBuf>,
    output: Option<PathBuf>,
    input_len: Option<u64>,
}

fn is_stdin(p: &Option<PathBuf>) -> bool {
    p.as_deref().is_none_or(|p| p == Path::new("-"))
}

fn plan(
    a: &CommonArgs,
    derive: impl Fn(&Path) -> Result<PathBuf, BoxError>,
) -> Result<Plan, BoxError> {
    let input = (!is_stdin(&a.file)).then(|| a.file.clone()).flatten();
    let input_len = match &input {
        Some(p) => {
            let md = fs::metadata(p).map_err(|e| format!("{}: {e}", p.display()))?;
            if !md.is_file() {
                return Err(format!("{}: not a regular file", p.display()).into());
            }
            Some(md.len())
        }
        None => None,
    };
    let output = if a.stdout {
        None
    } else if let Some(o) = &a.output {
        (o != Path::new("-")).then(|| o.clone())
    } else {
        match &input {
            Some(p) => Some(derive(p)?),
            None => None,
        }
    };
    if let Some(o) = &output {
        if input.as_ref().is_some_and(|i| i == o) {
            return Err("input and output are the same file".into());
        }
        if o.exists() && !a.force {
            return Err(format!("{} already exists; use -f to overwrite", o.display()).into());
        }
    }
    if output.is_none() && a.json {
        return Err("--json needs an output file (stdout carries the JSON)".into());
    }
    Ok(Plan {
        input,
        output,
        input_len,
    })
}

/// A temporary file next to `target`, renamed onto it by [`TempOutput::commit`] and removed
/// if dropped before, so that errors leave no partial output behind.
struct TempOutput {
    tmp: PathBuf,
    target: PathBuf,
    committed: bool,
}

impl TempOutput {
    fn create(target: &Path) -> Result<(Self, File), BoxError> {
        let name = target
            .file_name()
            .ok_or_else(|| format!("{}: not a file name", target.display()))?;
        let mut tmp_name = std::ffi::OsString::from(".");
        tmp_name.push(name);
        tmp_name.push(format!(".tmp{}", std::process::id()));
        let tmp = target.with_file_name(tmp_name);
        let file = File::create(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
        Ok((
            Self {
                tmp,
                target: target.to_path_buf(),
                committed: false,
            },
            file,
        ))
    }

    fn commit(mut self) -> Result<(), BoxError> {
        fs::rename(&self.tmp, &self.target)
            .map_err(|e| format!("{}: {e}", self.target.display()))?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for TempOutput {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

fn progress_bar(len: Option<u64>) -> Option<ProgressBar> {
    let len = len?;
    if len < PROGRESS_MIN_BYTES || !io::stderr().is_terminal() {
        return None;
    }
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] [{bar:40}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    Some(pb)
}

/// Runs `work` from the plan's input to its output (a temporary file committed on success).
/// Writes `path` through a temporary file next to it (buffered, synced, then renamed onto
/// it): on any error `path` is left as it was.
pub(crate) fn write_atomically<T>(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<T, BoxError>,
) -> Result<T, BoxError> {
    let (tmp, file) = TempOutput::create(path)?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    let out = write(&mut w)?;
    let file = w.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    tmp.commit()?;
    Ok(out)
}

fn run(
    p: &Plan,
    work: impl FnOnce(&mut dyn Read, &mut dyn Write) -> Result<hiercomp::Stats, hiercomp::Error>,
) -> Result<hiercomp::Stats, BoxError> {
    let mut input: Box<dyn Read> = match &p.input {
        Some(path) => Box::new(BufReader::with_capacity(
            1 << 20,
            File::open(path).map_err(|e| format!("{}: {e}", path.display()))?,
        )),
        None => Box::new(io::stdin().lock()),
    };
    match &p.output {
        Some(target) => write_atomically(target, |w| Ok(work(&mut input, w)?)),
        None => {
            let stdout = io::stdout();
            let mut w = BufWriter::new(stdout.lock());
            let stats = work(&mut input, &mut w)?;
            w.flush()?;
            Ok(stats)
        }
    }
}

/// What one compress or decompress run did, for the JSON report.
struct Report {
    command: &'static str,
    method: Method,
    level: u8,
    stats: hiercomp::Stats,
    seconds: f64,
}

/// What `compress --json` and `decompress --json` print: one object per run.
#[derive(serde::Serialize)]
struct RunReport<'a> {
    command: &'a str,
    method: &'a str,
    level: u8,
    input: Option<String>,
    output: Option<String>,
    input_bytes: u64,
    output_bytes: u64,
    bits_per_byte: f64,
    seconds: f64,
    mb_per_s: f64,
}

fn finish(a: &CommonArgs, p: &Plan, r: &Report) -> Result<(), BoxError> {
    if !a.keep && p.output.is_some() {
        if let Some(i) = &p.input {
            fs::remove_file(i).map_err(|e| format!("{}: {e}", i.display()))?;
        }
    }
    let raw = r.stats.raw_bytes;
    let coded = r.stats.container_bytes;
    let (in_bytes, out_bytes) = if r.command == "compress" {
        (raw, coded)
    } else {
        (coded, raw)
    };
    let bpb = if raw == 0 {
        0.0
    } else {
        coded as f64 * 8.0 / raw as f64
    };
    if a.json {
        let v = RunReport {
            command: r.command,
            method: r.method.name(),
            level: r.level,
            input: p.input.as_ref().map(|x| x.display().to_string()),
            output: p.output.as_ref().map(|x| x.display().to_string()),
            input_bytes: in_bytes,
            output_bytes: out_bytes,
            bits_per_byte: bpb,
            seconds: r.seconds,
            mb_per_s: raw as f64 / r.seconds.max(1e-9) / 1e6,
        };
        println!("{}", serde_json::to_string(&v)?);
    }
    Ok(())
}

fn compress(a: &CompressArgs) -> Result<(), BoxError> {
    let method = Method::from_name(&a.method)?;
    if method == Method::SLUGGER {
        return Err(
            "slugger summarizes graphs: use `hiercomp graph summarize EDGES -o OUT.hcz`".into(),
        );
    }
    let level = a.level.unwrap_or(method.default_level());
    method.check_level(level)?;
    let mut opts = CompressOptions::new(method).level(level);
    if let Some(d) = &a.dtype {
        if method != Method::FLOAT {
            return Err("--dtype applies to -m float only".into());
        }
        let d = hiercomp::quant_prune::float::FloatDtype::from_name(d)?;
        opts = opts.param("dtype", d.name())?;
    }
    for kv in &a.params {
        let (name, value) = kv
            .split_once('=')
            .ok_or_else(|| format!("--param {kv:?}: expected NAME=VALUE"))?;
        opts = opts.param(name, value)?;
    }
    let p = plan(&a.common, |i| {
        let mut s = i.as_os_str().to_owned();
        s.push(".");
        s.push(SUFFIX);
        Ok(PathBuf::from(s))
    })?;
    let pb = progress_bar(p.input_len);
    let t = Instant::now();
    let stats = run(&p, |r, w| {
        hiercomp::compress_stream(r, w, &opts, p.input_len, &mut |done| {
            if let Some(pb) = &pb {
                pb.set_position(done);
            }
        })
    })?;
    if let Some(pb) = pb {
        pb.finish_and_clear();
    }
    let report = Report {
        command: "compress",
        method,
        level,
        stats,
        seconds: t.elapsed().as_secs_f64(),
    };
    finish(&a.common, &p, &report)
}

fn decompress(a: &CommonArgs) -> Result<(), BoxError> {
    let p = plan(a, |i| match (i.extension(), i.file_stem()) {
        (Some(ext), Some(stem)) if ext == SUFFIX => Ok(i.with_file_name(stem)),
        _ => Err(format!(
            "{}: unknown suffix (expected .{SUFFIX}); use -o or -c",
            i.display()
        )
        .into()),
    })?;
    // Read the header first to size the progress bar and fail fast on foreign files.
    let header = match &p.input {
        Some(path) => {
            let mut h = [0u8; hiercomp::container::HEADER_LEN];
            let n = File::open(path)
                .and_then(|mut f| f.read(&mut h))
                .map_err(|e| format!("{}: {e}", path.display()))?;
            Some(hiercomp::Header::parse(&h[..n]).map_err(|e| format!("{}: {e}", path.display()))?)
        }
        None => None,
    };
    if header.is_some_and(|h| h.method == Method::SLUGGER) {
        return Err(
            "this container holds a graph summary: use `hiercomp graph restore FILE -o EDGES`"
                .into(),
        );
    }
    let pb = progress_bar(header.and_then(|h| h.original_len));
    let t = Instant::now();
    let stats = run(&p, |r, w| {
        hiercomp::decompress_stream(r, w, &Limits::default(), &mut |done| {
            if let Some(pb) = &pb {
                pb.set_position(done);
            }
        })
    })
    .map_err(|e| match &p.input {
        Some(path) => format!("{}: {e}", path.display()).into(),
        None => e,
    })?;
    if let Some(pb) = pb {
        pb.finish_and_clear();
    }
    let report = Report {
        command: "decompress",
        method: stats.method.unwrap_or(Method::STORE),
        level: stats.level,
        stats,
        seconds: t.elapsed().as_secs_f64(),
    };
    finish(a, &p, &report)
}
