//! `graph-peers`: SLUGGER summaries of the graphs under `../shared/data/graphs`, next to
//! reference figures: the SLUGGER paper's (SLUGGER and SWeG, published) and the official
//! Java code's, *recorded* on this machine on 2026-11-29 by an earlier session and not run
//! again here (so not a same-run peer).
//!
//! ```text
//! cargo run --release -p benches --bin graph-peers -- [--iterations T] [--seed S] \
//!     [--repeat N] [--graphs protein,ca-grqc] [--data DIR] [--json FILE]
//! ```
//!
//! For each graph: nodes, edges, `|P+|`, `|P−|`, `|H|`, relative size
//! `(|P+| + |P−| + |H|) / |E|`, the reference figures, the summarization time on 1 and on
//! 2 threads (same summary: the run checks it; best of `--repeat`, the two alternating),
//! seconds per million edges, the encoded summary's bits per edge (bit-packed, and in the
//! `.hcz` container at the default level, `cm`-coded) next to `2·log2|V|` (and, for
//! cnr-2000, WebGraph's 2.897 bits per link), and an exact-restore check. Times exclude
//! loading, encoding and verifying. The graphs are read from `--data DIR`/graphs, else
//! `$HIERCOMP_DATA/graphs`, else `../shared/data/graphs`. `--json FILE` writes the whole
//! result, with the date, commit, machine and command line, as a
//! [`benches::report::GraphPeersReport`] (render it with `render-results`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use benches::report::{GraphPeersReport, GraphRow, RecordedJava, Report};
use benches::{Result, RunInfo, write_json};
use clap::Parser;
use hiercomp::graph_summary::{Graph, Slugger};

/// When the Java figures below were recorded: the official Java SLUGGER was run on this
/// machine (optimized mode, wall time including JVM start) and its figures written into
/// the issue by an earlier session; they entered the repository with this binary in
/// commit 46f5842 (2026-11-29), and `docs/methods/slugger.md` quotes them from there.
const JAVA_RECORDED: &str = "2026-11-29";

/// The reference figures of one graph.
struct Reference {
    /// Path under the graphs folder.
    file: &'static str,
    /// The SLUGGER paper's relative size.
    paper_slugger: Option<f64>,
    /// SWeG's relative size in the SLUGGER paper.
    paper_sweg: Option<f64>,
    /// The official Java code's (relative size, seconds), recorded on [`JAVA_RECORDED`].
    java: Option<(f64, f64)>,
    /// A published bits-per-edge reference.
    bits: Option<&'static str>,
}

const GRAPHS: &[Reference] = &[
    Reference {
        file: "protein.txt",
        paper_slugger: Some(0.094),
        paper_sweg: Some(0.134),
        java: Some((0.0947, 2.0)),
        bits: None,
    },
    Reference {
        file: "ego-facebook.txt",
        paper_slugger: Some(0.429),
        paper_sweg: Some(0.526),
        java: Some((0.4293, 2.4)),
        bits: None,
    },
    Reference {
        file: "as-caida.txt",
        paper_slugger: Some(0.835),
        paper_sweg: Some(0.929),
        java: Some((0.8395, 2.3)),
        bits: None,
    },
    Reference {
        file: "ca-grqc.txt",
        paper_slugger: None,
        paper_sweg: None,
        java: Some((0.6225, 0.5)),
        bits: None,
    },
    Reference {
        file: "ca-hepph.txt",
        paper_slugger: None,
        paper_sweg: None,
        java: Some((0.2911, 2.6)),
        bits: None,
    },
    Reference {
        file: "power-grid.txt",
        paper_slugger: None,
        paper_sweg: None,
        java: Some((0.9850, 0.6)),
        bits: None,
    },
    Reference {
        file: "blogcatalog.txt",
        paper_slugger: None,
        paper_sweg: None,
        java: Some((0.7673, 27.3)),
        bits: None,
    },
    Reference {
        file: "cnr-2000/cnr-2000",
        paper_slugger: None,
        paper_sweg: None,
        java: None,
        bits: Some("WebGraph 2.897/link, 9.32 Mbit"),
    },
];

impl Reference {
    /// The short name: `protein`, `cnr-2000`.
    fn name(&self) -> &'static str {
        let f = self.file.trim_end_matches(".txt");
        f.rsplit('/').next().unwrap_or(f)
    }
}

/// Command line.
#[derive(Debug, Parser)]
#[command(
    about = "SLUGGER summaries of the shared graphs next to the paper's and the recorded Java figures"
)]
struct Args {
    /// SLUGGER iterations T [default: the summarizer's default].
    #[arg(long, value_name = "T")]
    iterations: Option<u32>,
    /// Seed of every random choice [default: the summarizer's default].
    #[arg(long, value_name = "S")]
    seed: Option<u64>,
    /// Best of this many summarizations on 1 and on 2 threads, alternating.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    repeat: u32,
    /// Only these graphs (short names, comma separated: protein, ego-facebook, as-caida,
    /// ca-grqc, ca-hepph, power-grid, blogcatalog, cnr-2000) [default: all].
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    graphs: Vec<String>,
    /// Data folder holding `graphs/` [default: $HIERCOMP_DATA, else ../shared/data].
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// Write the whole result (with date, commit, machine, command) as JSON to this file.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
}

fn main() -> ExitCode {
    match try_main() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("graph-peers: error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn try_main() -> Result<()> {
    let args = Args::parse();
    let mut cfg = Slugger::default();
    if let Some(t) = args.iterations {
        cfg.iterations = t;
    }
    if let Some(s) = args.seed {
        cfg.seed = s;
    }
    let known: Vec<&str> = GRAPHS.iter().map(Reference::name).collect();
    if let Some(bad) = args.graphs.iter().find(|g| !known.contains(&g.as_str())) {
        return Err(format!("unknown graph {bad} (known: {})", known.join(", ")).into());
    }
    let dir = args
        .data
        .clone()
        .or_else(|| std::env::var_os("HIERCOMP_DATA").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("../shared/data"))
        .join("graphs");
    let run = RunInfo::collect();
    let repeat = args.repeat as usize;
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build()?;
    let two = rayon::ThreadPoolBuilder::new().num_threads(2).build()?;
    let mut rows = Vec::new();
    for r in GRAPHS {
        let name = r.name();
        if !args.graphs.is_empty() && !args.graphs.iter().any(|g| g == name) {
            continue;
        }
        let path = dir.join(r.file);
        let (g, _) = if r.file.ends_with(".txt") {
            Graph::read_edge_list_file(&path)
        } else {
            Graph::read_webgraph(&path)
        }
        .map_err(|e| format!("{}: {e}", path.display()))?;
        eprint!("{name}:");
        let (mut secs1, mut secs2) = (f64::INFINITY, f64::INFINITY);
        let mut summary = None;
        for _ in 0..repeat {
            let t = Instant::now();
            let s1 = one.install(|| cfg.summarize(&g));
            secs1 = secs1.min(t.elapsed().as_secs_f64());
            let t = Instant::now();
            let s2 = two.install(|| cfg.summarize(&g));
            secs2 = secs2.min(t.elapsed().as_secs_f64());
            eprint!(" {secs1:.2} s / {secs2:.2} s");
            if s1 != s2 {
                return Err(format!("{name}: 1 and 2 threads gave different summaries").into());
            }
            if summary.as_ref().is_some_and(|s| *s != s1) {
                return Err(format!("{name}: the summary changed between repetitions").into());
            }
            summary = Some(s1);
        }
        eprintln!();
        let s1 = summary.ok_or("no repetition ran")?;
        let exact = s1.restore()? == g;
        if !exact {
            return Err(format!("{name}: summary does not restore the graph").into());
        }
        let e = g.num_edges();
        let hcz = hiercomp::graph::to_container(&s1)?;
        rows.push(GraphRow {
            graph: name.to_string(),
            nodes: u64::from(g.num_nodes()),
            edges: e,
            p_plus: s1.p_plus().len() as u64,
            p_minus: s1.p_minus().len() as u64,
            h_edges: s1.h_edges(),
            relative_size: s1.relative_size(e),
            paper_slugger: r.paper_slugger,
            paper_sweg: r.paper_sweg,
            java: r.java.map(|(relative_size, seconds)| RecordedJava {
                relative_size,
                seconds,
                recorded: JAVA_RECORDED.into(),
                note: format!("recorded {JAVA_RECORDED}, not a same-run peer"),
            }),
            seconds_1_thread: secs1,
            seconds_2_threads: secs2,
            seconds_per_million_edges: secs1 / (e as f64 / 1e6),
            bits_per_edge: s1.structure_bits() as f64 / e as f64,
            bits_reference: r.bits.map(str::to_string),
            container_bytes: hcz.len() as u64,
            container_bits_per_edge: hcz.len() as f64 * 8.0 / e as f64,
            two_log2_nodes: 2.0 * f64::from(g.num_nodes()).log2(),
            exact,
        });
    }
    let report = GraphPeersReport {
        run,
        repeat,
        iterations: cfg.iterations,
        seed: cfg.seed,
        data_dir: dir.display().to_string(),
        references: format!(
            "Paper columns: figures published in the SLUGGER paper. Java columns: the \
             official Java code (optimized mode, wall time including JVM start) recorded \
             on this machine on {JAVA_RECORDED}, not a same-run peer."
        ),
        graphs: rows,
    };
    print!("{}", report.markdown());
    if let Some(path) = &args.json {
        write_json(path, &Report::GraphPeers(report))?;
        println!("\nwrote {}", path.display());
    }
    Ok(())
}
