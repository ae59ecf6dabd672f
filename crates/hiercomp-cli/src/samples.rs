//! `hiercomp tour`: every method on built-in sample data.
//!
//! The samples are generated deterministically (`hiercomp::samples`), so the tour runs
//! anywhere: prose-like text, this crate's own source code, a numeric table (CSV), random
//! bytes (incompressible) and a small safetensors file of f32 weights. When the shared
//! corpora are present (`HIERCOMP_DATA`, or `../shared/data`), `alice29.txt` joins them.

use hiercomp::samples::{prose, random, safetensors_weights, table};
use hiercomp::{CompressOptions, Method, compress, decompress};
use std::path::PathBuf;
use std::time::Instant;

type BoxError = Box<dyn std::error::Error>;

fn shared_sample() -> Option<(String, Vec<u8>)> {
    let base = std::env::var_os("HIERCOMP_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../shared/data"));
    let path = base.join("text/canterbury/alice29.txt");
    std::fs::read(&path)
        .ok()
        .map(|d| ("alice29.txt".to_string(), d))
}

/// The samples of the tour, by name.
pub fn samples() -> Vec<(String, Vec<u8>)> {
    let mut v = vec![
        ("prose (generated)".to_string(), prose(100_000, 7)),
        ("rust source (this crate)".to_string(), {
            let mut s = include_bytes!("main.rs").to_vec();
            s.extend_from_slice(include_bytes!("samples.rs"));
            s
        }),
        ("csv table (generated)".to_string(), table(2_000, 11)),
        ("random bytes".to_string(), random(50_000, 13)),
        (
            "f32 weights (safetensors)".to_string(),
            safetensors_weights(4, 17),
        ),
    ];
    v.extend(shared_sample());
    v
}

/// Runs every byte method on every sample, checks the roundtrip, prints a table. Graph
/// methods (`slugger`) take graphs, not bytes: `hiercomp graph` runs them.
pub fn tour() -> Result<(), BoxError> {
    let mut runs: Vec<(Method, u8)> = Vec::new();
    for m in Method::all().filter(|&m| m != Method::SLUGGER) {
        let levels = m.levels();
        let mut ls = vec![*levels.start(), m.default_level(), *levels.end()];
        ls.dedup();
        runs.extend(ls.into_iter().map(|l| (m, l)));
    }
    println!(
        "{:<26} {:>9}  {:<9} {:>9} {:>7} {:>10} {:>10}  roundtrip",
        "sample", "bytes", "method", "output", "bpb", "comp MB/s", "dec MB/s"
    );
    let mut failures = 0;
    for (name, data) in samples() {
        for &(m, level) in &runs {
            let opts = CompressOptions::new(m).level(level);
            let t = Instant::now();
            let packed = compress(&data, &opts)?;
            let ct = t.elapsed().as_secs_f64();
            let t = Instant::now();
            let ok = decompress(&packed).map(|d| d == data).unwrap_or(false);
            let dt = t.elapsed().as_secs_f64();
            failures += usize::from(!ok);
            println!(
                "{:<26} {:>9}  {:<9} {:>9} {:>7.3} {:>10.2} {:>10.2}  {}",
                name,
                data.len(),
                format!("{m} -l {level}"),
                packed.len(),
                packed.len() as f64 * 8.0 / data.len() as f64,
                data.len() as f64 / ct.max(1e-9) / 1e6,
                data.len() as f64 / dt.max(1e-9) / 1e6,
                if ok { "ok" } else { "FAILED" }
            );
        }
    }
    if failures > 0 {
        return Err(format!("{failures} roundtrip(s) failed").into());
    }
    Ok(())
}
