//! `float-peers`: lossless coding of model weights — hiercomp's `float` codec against zstd
//! and xz, in one run.
//!
//! ```text
//! scripts/fetch-models.sh
//! cargo run --release -p benches --bin float-peers -- [--models DIR] [--repeat N] \
//!     [--only TEXT] [--fast] [--json FILE]
//! ```
//!
//! The data (from `--models DIR`, else `HIERCOMP_MODELS`, else `models/`):
//! - all-MiniLM-L6-v2 `model.safetensors`: its f32 tensors as one array (fp32), the same
//!   converted to bf16 and to fp16 here (round to nearest even, `half`);
//! - the f32 tensors of SmolLM2-135M's GGUF (norm weights), found by walking the GGUF
//!   header here.
//!
//! For each array: bytes and ratio (compressed / original), compress and decompress MB/s
//! (MB = 10^6 bytes of original data) on 1 and 2 threads of the bare codec
//! (`quant_prune::float`) and of the `float` method through a whole `.hcz` container
//! (`hiercomp::compress` with the dtype given: checksums, small segments also tried with
//! `cm -l 1`), and of zstd -3, zstd -19 and xz -9 in process (single-threaded). Every
//! roundtrip is verified. Every time, ours and the peers' alike, is the best of `--repeat`
//! runs (default 3), the contenders alternating within each run. `--only TEXT` runs only
//! the arrays whose title contains `TEXT`; `--fast` skips the slow peers (zstd -19, xz -9)
//! while tuning. `--json FILE` writes the whole result, with the date, commit, machine and
//! command line, as a [`benches::report::FloatPeersReport`] (render it with
//! `render-results`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use benches::report::{Contender, Figures, FloatDataSet, FloatPeersReport, Report, RunMode};
use benches::{Result, RunInfo, Sample, best_of_interleaved, write_json};
use clap::Parser;
use quant_prune::float::{FloatDtype, decode, encode};
use quant_prune::gguf::{GgmlType, Gguf};

/// Command line.
#[derive(Debug, Parser)]
#[command(about = "Compare hiercomp's float codec with zstd and xz on model weights")]
struct Args {
    /// Folder holding the models [default: $HIERCOMP_MODELS, else models/].
    #[arg(long, value_name = "DIR")]
    models: Option<PathBuf>,
    /// Best of this many runs for every contender (ours and the peers alike), the
    /// contenders alternating within each run.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    repeat: u32,
    /// Run only the arrays whose title contains this text.
    #[arg(long, value_name = "TEXT")]
    only: Option<String>,
    /// Skip the slow peers (zstd -19, xz -9).
    #[arg(long)]
    fast: bool,
    /// Write the whole result (with date, commit, machine, command) as JSON to this file.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
}

fn main() -> ExitCode {
    match try_main() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("float-peers: error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// A coding direction of one contender.
type Coder<'a> = Box<dyn Fn(&[u8]) -> Result<Vec<u8>> + 'a>;

/// One row: its name, whether it is ours, its call, and its two directions.
struct Row<'a> {
    name: String,
    ours: bool,
    what: String,
    comp: Coder<'a>,
    dec: Coder<'a>,
}

/// Compresses `data` with `row`, decompresses, checks the roundtrip; one sample.
fn measure(row: &Row<'_>, data: &[u8]) -> Result<Sample> {
    let t = Instant::now();
    let packed = (row.comp)(data)?;
    let compress = t.elapsed();
    let t = Instant::now();
    let back = (row.dec)(&packed)?;
    let decompress = t.elapsed();
    if back != data {
        return Err(format!("{}: roundtrip mismatch", row.name).into());
    }
    Ok(Sample {
        bytes: packed.len() as u64,
        compress,
        decompress,
    })
}

/// Reads `r` to its end.
fn read_all(mut r: impl std::io::Read) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    r.read_to_end(&mut out)?;
    Ok(out)
}

fn try_main() -> Result<()> {
    let args = Args::parse();
    let repeat = args.repeat as usize;
    let dir = args.models.clone().unwrap_or_else(|| {
        std::env::var_os("HIERCOMP_MODELS").map_or_else(|| PathBuf::from("models"), PathBuf::from)
    });
    let st_path = dir.join("all-MiniLM-L6-v2.safetensors");
    let st = std::fs::read(&st_path)
        .map_err(|e| format!("{}: {e} (run scripts/fetch-models.sh)", st_path.display()))?;
    let tensors = safetensors::SafeTensors::deserialize(&st)?;
    let mut names: Vec<String> = tensors.names().into_iter().cloned().collect();
    names.sort();
    let mut fp32 = Vec::new();
    for n in &names {
        let t = tensors.tensor(n)?;
        if t.dtype() == safetensors::Dtype::F32 {
            fp32.extend_from_slice(t.data());
        }
    }
    let floats: Vec<f32> = fp32
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let bf16: Vec<u8> = floats
        .iter()
        .flat_map(|&v| half::bf16::from_f32(v).to_le_bytes())
        .collect();
    let fp16: Vec<u8> = floats
        .iter()
        .flat_map(|&v| half::f16::from_f32(v).to_le_bytes())
        .collect();
    let gguf_path = dir.join("SmolLM2-135M-Instruct.Q4_1.gguf");
    let gguf = std::fs::read(&gguf_path).map_err(|e| format!("{}: {e}", gguf_path.display()))?;
    let gguf_f32 = gguf_f32_tensors(&gguf)?;

    let run = RunInfo::collect();
    print!("{}", run.header());
    println!(
        "times: best of {repeat} for every contender, alternating within each run; \
         MB = 10^6 bytes of original data\n"
    );
    let sets: Vec<(&str, Vec<u8>, FloatDtype)> = vec![
        ("all-MiniLM-L6-v2 fp32", fp32, FloatDtype::F32),
        ("all-MiniLM-L6-v2 bf16", bf16, FloatDtype::Bf16),
        ("all-MiniLM-L6-v2 fp16", fp16, FloatDtype::F16),
        ("SmolLM2-135M GGUF f32 tensors", gguf_f32, FloatDtype::F32),
    ];
    let pools = [1, 2].map(|threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map(|pool| (threads, pool))
    });
    let pools = pools
        .into_iter()
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let mut data_sets = Vec::new();
    let mut contenders: Vec<Contender> = Vec::new();
    for (title, data, dtype) in &sets {
        if args
            .only
            .as_ref()
            .is_some_and(|o| !title.contains(o.as_str()))
        {
            continue;
        }
        let (dtype, len) = (*dtype, data.len());
        let opts =
            hiercomp::CompressOptions::new(hiercomp::Method::FLOAT).param("dtype", dtype.name())?;
        let mut rows: Vec<Row<'_>> = Vec::new();
        for (threads, pool) in &pools {
            let plural = if *threads > 1 { "s" } else { "" };
            rows.push(Row {
                name: format!("codec ({threads} thread{plural})"),
                ours: true,
                what: format!(
                    "quant_prune::float::encode(data, {dtype:?}) on {threads} rayon thread{plural}"
                ),
                comp: Box::new(move |d| Ok(pool.install(|| encode(d, dtype)))),
                dec: Box::new(move |p| Ok(pool.install(|| decode(p, dtype, len))?)),
            });
            rows.push(Row {
                name: format!("-m float ({threads} thread{plural})"),
                ours: true,
                what: format!(
                    "hiercomp::compress(CompressOptions::new(Method::FLOAT).param(\"dtype\", \"{}\")) on {threads} rayon thread{plural}",
                    dtype.name()
                ),
                comp: Box::new(move |d| Ok(pool.install(|| hiercomp::compress(d, &opts))?)),
                dec: Box::new(move |p| Ok(pool.install(|| hiercomp::decompress(p))?)),
            });
        }
        for level in [3, 19] {
            if args.fast && level == 19 {
                continue;
            }
            rows.push(Row {
                name: format!("zstd -{level}"),
                ours: false,
                what: format!("zstd::bulk::compress(level {level})"),
                comp: Box::new(move |d| Ok(zstd::bulk::compress(d, level)?)),
                dec: Box::new(move |p| Ok(zstd::bulk::decompress(p, len)?)),
            });
        }
        if !args.fast {
            rows.push(Row {
                name: "xz -9".into(),
                ours: false,
                what: "liblzma::read::XzEncoder(level 9)".into(),
                comp: Box::new(|d| read_all(liblzma::read::XzEncoder::new(d, 9))),
                dec: Box::new(|p| read_all(liblzma::read::XzDecoder::new(p))),
            });
        }
        let row_names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
        eprint!("{title}:");
        let samples = best_of_interleaved(repeat, &row_names, |i| {
            eprint!(" {}", row_names[i]);
            measure(&rows[i], data)
        })?;
        eprintln!();
        if contenders.is_empty() {
            contenders = rows
                .iter()
                .map(|r| Contender {
                    name: r.name.clone(),
                    ours: r.ours,
                    mode: RunMode::InProcess,
                    what: r.what.clone(),
                    version: None,
                })
                .collect();
        }
        let set = FloatDataSet {
            title: title.to_string(),
            dtype: format!("{dtype:?}"),
            bytes: len as u64,
            results: row_names
                .iter()
                .zip(&samples)
                .map(|(n, s)| Figures::new(n, len as u64, *s))
                .collect(),
        };
        print_set(&set);
        data_sets.push(set);
    }
    if data_sets.is_empty() {
        let only = args.only.as_deref().unwrap_or_default();
        return Err(format!("no array's title contains {only:?}").into());
    }
    if let Some(path) = &args.json {
        let report = Report::FloatPeers(FloatPeersReport {
            run,
            repeat,
            models_dir: dir.display().to_string(),
            only: args.only.clone(),
            fast: args.fast,
            contenders,
            data_sets,
        });
        write_json(path, &report)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

/// One array's table.
fn print_set(set: &FloatDataSet) {
    let mbs = |x: Option<f64>| x.map_or("-".into(), |v| format!("{v:.1}"));
    println!("== {}: {} bytes ({}) ==", set.title, set.bytes, set.dtype);
    println!(
        "{:<22} {:>12} {:>8} {:>11} {:>11}",
        "tool", "bytes", "ratio", "comp MB/s", "dec MB/s"
    );
    for r in &set.results {
        println!(
            "{:<22} {:>12} {:>7.2}% {:>11} {:>11}",
            r.contender,
            r.bytes,
            100.0 * r.ratio.unwrap_or(0.0),
            mbs(r.compress_mb_s),
            mbs(r.decompress_mb_s)
        );
    }
    println!();
}

/// The data of every F32 tensor of a GGUF v2/v3 file, concatenated in file order.
fn gguf_f32_tensors(b: &[u8]) -> Result<Vec<u8>> {
    let gguf = Gguf::parse(b)?;
    let mut out = Vec::new();
    for t in gguf.tensors.iter().filter(|t| t.ggml_type == GgmlType::F32) {
        out.extend_from_slice(gguf.tensor_bytes(t)?);
    }
    Ok(out)
}
