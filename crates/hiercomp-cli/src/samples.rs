//! `hiercomp tour`: every method on built-in sample data.
//!
//! The samples are generated deterministically (`hiercomp::samples`), so the tour runs
//! anywhere: prose-like text, this crate's own source code, a numeric table (CSV), random
//! bytes (incompressible) and a small safetensors file of f32 weights. When the shared
//! corpora are present (`HIERCOMP_DATA`, or `../shared/data`), `alice29.txt` joins them.
//! The graph methods run on a generated graph (and `ca-grqc.txt` from the shared data).

use hiercomp::samples::{prose, random, safetensors_weights, table};
use hiercomp::{CompressOptions, Method, compress, decompress};
use std::path::PathBuf;
use std::time::Instant;

type BoxError = Box<dyn std::error::Error>;

fn data_dir() -> PathBuf {
    std::env::var_os("HIERCOMP_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../shared/data"))
}

fn shared_sample() -> Option<(String, Vec<u8>)> {
    let path = data_dir().join("text/canterbury/alice29.txt");
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

/// Runs every byte method on every sample and every graph method on a sample graph,
/// checks every roundtrip, prints a table.
pub fn tour() -> Result<(), BoxError> {
    let mut failures = byte_tour()?;
    failures += graph_tour()?;
    if failures > 0 {
        return Err(format!("{failures} roundtrip(s) failed").into());
    }
    Ok(())
}

/// The graph methods on a generated graph (and `ca-grqc.txt` from the shared data when
/// present): summary size, container size at each level, exact restore.
fn graph_tour() -> Result<usize, BoxError> {
    use hiercomp::graph_summary::{Graph, GraphSummary, Slugger, Summarizer};
    let mut graphs = vec![(
        "communities (generated)".to_string(),
        Graph::from_dense_edges(1200, &hiercomp::samples::graph(40, 30, 5))?,
    )];
    let shared = data_dir().join("graphs/ca-grqc.txt");
    if let Ok((g, _)) = Graph::read_edge_list_file(&shared) {
        graphs.push(("ca-grqc.txt".to_string(), g));
    }
    println!(
        "\n{:<26} {:>7} {:>8}  {:<12} {:>9} {:>8} {:>12} {:>8}  restore",
        "graph", "nodes", "edges", "method", "rel. size", "seconds", "container", "bits/edge"
    );
    let mut failures = 0;
    for (name, g) in graphs {
        let m = Method::SLUGGER;
        let t = Instant::now();
        let summary = Summarizer::summarize(&Slugger::default(), &g)?;
        let secs = t.elapsed().as_secs_f64();
        for level in [*m.levels().start(), m.default_level()] {
            let hcz = hiercomp::graph::to_container_level(&summary, level)?;
            let ok = hiercomp::graph::from_container(&hcz)
                .and_then(|s| Ok(GraphSummary::restore(&s)?))
                .is_ok_and(|back| back == g);
            failures += usize::from(!ok);
            println!(
                "{:<26} {:>7} {:>8}  {:<12} {:>9.4} {:>8.3} {:>12} {:>8.2}  {}",
                name,
                g.num_nodes(),
                g.num_edges(),
                format!("{m} -l {level}"),
                summary.relative_size(g.num_edges()),
                secs,
                hcz.len(),
                hcz.len() as f64 * 8.0 / g.num_edges().max(1) as f64,
                if ok { "ok" } else { "FAILED" }
            );
        }
    }
    Ok(failures)
}

/// Every byte method on every sample; returns the number of failed roundtrips.
fn byte_tour() -> Result<usize, BoxError> {
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
    Ok(failures)
}
