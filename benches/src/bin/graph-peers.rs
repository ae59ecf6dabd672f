//! `graph-peers`: SLUGGER summaries of every graph under `../shared/data/graphs`, next to
//! the reference figures (the SLUGGER paper, SWeG in that paper, and the official Java
//! code run on this machine as recorded in the issue), in one run.
//!
//! ```text
//! cargo run --release -p benches --bin graph-peers -- [--iterations T] [--seed S] [--json]
//! ```
//!
//! For each graph: nodes, edges, `|P+|`, `|P−|`, `|H|`, relative size
//! `(|P+| + |P−| + |H|) / |E|`, the reference figures, the summarization time on 1 and on
//! 2 threads (same summary: the run checks it), seconds per million edges, the encoded
//! summary's bits per edge (bit-packed, and in the `.hcz` container at the default level,
//! `cm`-coded) next to `2·log2|V|` (and, for cnr-2000, WebGraph's 2.897 bits per link),
//! and an exact-restore check. Times exclude loading, encoding and verifying.

use hiercomp::graph_summary::{Graph, Slugger};
use std::path::PathBuf;
use std::time::Instant;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// (file, paper SLUGGER, paper SWeG, Java relative size, Java seconds).
type Reference = (
    &'static str,
    Option<f64>,
    Option<f64>,
    Option<f64>,
    Option<f64>,
);

const GRAPHS: &[Reference] = &[
    (
        "protein.txt",
        Some(0.094),
        Some(0.134),
        Some(0.0947),
        Some(2.0),
    ),
    (
        "ego-facebook.txt",
        Some(0.429),
        Some(0.526),
        Some(0.4293),
        Some(2.4),
    ),
    (
        "as-caida.txt",
        Some(0.835),
        Some(0.929),
        Some(0.8395),
        Some(2.3),
    ),
    ("ca-grqc.txt", None, None, Some(0.6225), Some(0.5)),
    ("ca-hepph.txt", None, None, Some(0.2911), Some(2.6)),
    ("power-grid.txt", None, None, Some(0.9850), Some(0.6)),
    ("blogcatalog.txt", None, None, Some(0.7673), Some(27.3)),
    ("cnr-2000/cnr-2000", None, None, None, None),
];

fn main() {
    if let Err(e) = try_main() {
        eprintln!("graph-peers: error: {e}");
        std::process::exit(1);
    }
}

fn fmt(x: Option<f64>, digits: usize) -> String {
    x.map_or("—".into(), |v| format!("{v:.digits$}"))
}

fn try_main() -> Result<()> {
    let mut cfg = Slugger::default();
    let mut json = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--iterations" => cfg.iterations = args.next().ok_or("--iterations N")?.parse()?,
            "--seed" => cfg.seed = args.next().ok_or("--seed S")?.parse()?,
            "--json" => json = true,
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let dir = std::env::var_os("HIERCOMP_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../shared/data"))
        .join("graphs");
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build()?;
    let two = rayon::ThreadPoolBuilder::new().num_threads(2).build()?;
    if !json {
        println!(
            "| graph | nodes | edges | P+ | P- | H | relative size | paper SLUGGER / SWeG | Java | Java s | s (1 thr) | s (2 thr) | s per M edges | bits/edge | .hcz bits/edge | 2·log2|V| | exact |"
        );
        println!(
            "|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
        );
    }
    let mut rows = Vec::new();
    for &(file, paper, sweg, java, java_s) in GRAPHS {
        let path = dir.join(file);
        let (g, _) = if file.ends_with(".txt") {
            Graph::read_edge_list_file(&path)
        } else {
            Graph::read_webgraph(&path)
        }
        .map_err(|e| format!("{}: {e}", path.display()))?;
        let t = Instant::now();
        let s1 = one.install(|| cfg.summarize(&g));
        let secs1 = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let s2 = two.install(|| cfg.summarize(&g));
        let secs2 = t.elapsed().as_secs_f64();
        if s1 != s2 {
            return Err(format!("{file}: 1 and 2 threads gave different summaries").into());
        }
        let exact = s1.restore()? == g;
        let e = g.num_edges();
        let rel = s1.relative_size(e);
        let bits = s1.structure_bits() as f64 / e as f64;
        let hcz = hiercomp::graph::to_container(&s1)?;
        let hcz_bits = hcz.len() as f64 * 8.0 / e as f64;
        let name = file
            .trim_end_matches(".txt")
            .rsplit('/')
            .next()
            .unwrap_or(file);
        let per_m = secs1 / (e as f64 / 1e6);
        let log = 2.0 * f64::from(g.num_nodes()).log2();
        let bits_note = if name == "cnr-2000" {
            format!("{bits:.3} (WebGraph 2.897/link, 9.32 Mbit)")
        } else {
            format!("{bits:.3}")
        };
        if !json {
            println!(
                "| {name} | {} | {e} | {} | {} | {} | {rel:.4} | {} / {} | {} | {} | {secs1:.2} | {secs2:.2} | {per_m:.2} | {bits_note} | {hcz_bits:.3} | {log:.1} | {exact} |",
                g.num_nodes(),
                s1.p_plus().len(),
                s1.p_minus().len(),
                s1.h_edges(),
                fmt(paper, 3),
                fmt(sweg, 3),
                fmt(java, 4),
                fmt(java_s, 1),
            );
        }
        rows.push(serde_json::json!({
            "graph": name, "nodes": g.num_nodes(), "edges": e,
            "p_plus": s1.p_plus().len(), "p_minus": s1.p_minus().len(), "h_edges": s1.h_edges(),
            "relative_size": rel, "paper_slugger": paper, "paper_sweg": sweg,
            "java_relative_size": java, "java_seconds": java_s,
            "seconds_1_thread": secs1, "seconds_2_threads": secs2,
            "seconds_per_million_edges": per_m, "bits_per_edge": bits,
            "container_bytes": hcz.len(), "container_bits_per_edge": hcz_bits,
            "two_log2_nodes": log, "exact": exact,
        }));
        if !exact {
            return Err(format!("{name}: summary does not restore the graph").into());
        }
    }
    if json {
        println!("{}", serde_json::Value::Array(rows));
    }
    Ok(())
}
