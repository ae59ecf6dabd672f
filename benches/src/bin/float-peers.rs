//! `float-peers`: lossless coding of model weights — hiercomp's `float` codec against zstd
//! and xz, in one run.
//!
//! ```text
//! scripts/fetch-models.sh
//! cargo run --release -p benches --bin float-peers -- [--models DIR] [--repeat N] [--only TEXT] [--fast]
//! ```
//!
//! The data (from `HIERCOMP_MODELS` or `models/`):
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
//! roundtrip is verified. Times are the best of `--repeat` runs (default 3). `--only TEXT`
//! runs only the arrays whose title contains `TEXT`; `--fast` skips the slow peers (zstd -19,
//! xz -9) while tuning.

use quant_prune::float::{FloatDtype, decode, encode};
use quant_prune::gguf::{GgmlType, Gguf};
use std::error::Error;
use std::path::PathBuf;
use std::time::Instant;

type Result<T> = std::result::Result<T, Box<dyn Error>>;

fn main() {
    if let Err(e) = try_main() {
        eprintln!("float-peers: error: {e}");
        std::process::exit(1);
    }
}

struct Row {
    name: String,
    bytes: usize,
    comp_mbs: f64,
    dec_mbs: f64,
}

fn best<T>(repeat: usize, mut f: impl FnMut() -> Result<T>) -> Result<(T, f64)> {
    let mut best = f64::INFINITY;
    let mut out = None;
    for _ in 0..repeat.max(1) {
        let t = Instant::now();
        let v = f()?;
        best = best.min(t.elapsed().as_secs_f64());
        out = Some(v);
    }
    Ok((out.expect("at least one run"), best))
}

fn measure(
    name: &str,
    data: &[u8],
    repeat: usize,
    comp: &dyn Fn(&[u8]) -> Result<Vec<u8>>,
    dec: &dyn Fn(&[u8]) -> Result<Vec<u8>>,
) -> Result<Row> {
    let (packed, ct) = best(repeat, || comp(data))?;
    let (back, dt) = best(repeat, || dec(&packed))?;
    if back != data {
        return Err(format!("{name}: roundtrip mismatch").into());
    }
    let mb = data.len() as f64 / 1e6;
    Ok(Row {
        name: name.to_string(),
        bytes: packed.len(),
        comp_mbs: mb / ct,
        dec_mbs: mb / dt,
    })
}

fn try_main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let mut dir =
        std::env::var_os("HIERCOMP_MODELS").map_or_else(|| PathBuf::from("models"), PathBuf::from);
    let mut repeat = 3;
    let mut only: Option<String> = None;
    let mut fast = false;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--models" => dir = PathBuf::from(args.next().ok_or("--models needs a folder")?),
            "--repeat" => repeat = args.next().ok_or("--repeat needs a number")?.parse()?,
            "--fast" => fast = true,
            "--only" => only = Some(args.next().ok_or("--only needs a text")?),
            _ => return Err(format!("unknown argument {a}").into()),
        }
    }
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

    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_default();
    println!(
        "command: {}\nmachine: {} | {} CPUs | {cpu}\ntimes: best of {repeat}; MB = 10^6 bytes of original data\n",
        std::env::args().collect::<Vec<_>>().join(" "),
        std::env::consts::ARCH,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let sets: Vec<(&str, Vec<u8>, FloatDtype)> = vec![
        ("all-MiniLM-L6-v2 fp32", fp32, FloatDtype::F32),
        ("all-MiniLM-L6-v2 bf16", bf16, FloatDtype::Bf16),
        ("all-MiniLM-L6-v2 fp16", fp16, FloatDtype::F16),
        ("SmolLM2-135M GGUF f32 tensors", gguf_f32, FloatDtype::F32),
    ];
    for (title, data, dtype) in &sets {
        if only.as_ref().is_some_and(|o| !title.contains(o.as_str())) {
            continue;
        }
        let dtype = *dtype;
        let mut rows = Vec::new();
        for threads in [1, 2] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()?;
            let plural = if threads > 1 { "s" } else { "" };
            rows.push(measure(
                &format!("codec ({threads} thread{plural})"),
                data,
                repeat,
                &|d| Ok(pool.install(|| encode(d, dtype))),
                &|p| Ok(pool.install(|| decode(p, dtype, data.len()))?),
            )?);
            let opts = hiercomp::CompressOptions::new(hiercomp::Method::FLOAT)
                .param("dtype", dtype.name())?;
            rows.push(measure(
                &format!("-m float ({threads} thread{plural})"),
                data,
                repeat,
                &|d| Ok(pool.install(|| hiercomp::compress(d, &opts))?),
                &|p| Ok(pool.install(|| hiercomp::decompress(p))?),
            )?);
        }
        for level in [3, 19] {
            if fast && level == 19 {
                continue;
            }
            rows.push(measure(
                &format!("zstd -{level}"),
                data,
                if level == 19 { 1 } else { repeat },
                &|d| Ok(zstd::bulk::compress(d, level)?),
                &|p| Ok(zstd::bulk::decompress(p, data.len())?),
            )?);
        }
        if !fast {
            rows.push(measure(
                "xz -9",
                data,
                1,
                &|d| {
                    let mut out = Vec::new();
                    let mut e = liblzma::read::XzEncoder::new(d, 9);
                    std::io::Read::read_to_end(&mut e, &mut out)?;
                    Ok(out)
                },
                &|p| {
                    let mut out = Vec::new();
                    let mut d = liblzma::read::XzDecoder::new(p);
                    std::io::Read::read_to_end(&mut d, &mut out)?;
                    Ok(out)
                },
            )?);
        }
        println!("== {title}: {} bytes ({dtype:?}) ==", data.len());
        println!(
            "{:<22} {:>12} {:>8} {:>11} {:>11}",
            "tool", "bytes", "ratio", "comp MB/s", "dec MB/s"
        );
        for r in &rows {
            println!(
                "{:<22} {:>12} {:>7.2}% {:>11.1} {:>11.1}",
                r.name,
                r.bytes,
                100.0 * r.bytes as f64 / data.len() as f64,
                r.comp_mbs,
                r.dec_mbs
            );
        }
        println!();
    }
    Ok(())
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
