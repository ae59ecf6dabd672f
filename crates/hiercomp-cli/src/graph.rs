//! `hiercomp graph …`: lossless graph summarization.

use crate::{BoxError, write_atomically};
use clap::{Args, Subcommand};
use hiercomp::graph_summary::{Graph, LoadStats, Slugger, SluggerSummary};
use hiercomp::methods::slugger;
use indicatif::{ProgressBar, ProgressStyle};
use std::fs;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Subcommand)]
pub(crate) enum GraphCommand {
    /// Summarize a graph losslessly into a .hcz container.
    Summarize(SummarizeArgs),
    /// Rebuild the edge list from a summary.
    Restore(RestoreArgs),
    /// Check that a summary restores exactly the given graph (exit 0 only then).
    Verify(VerifyArgs),
    /// Print node and edge counts and what the loader dropped.
    Stats(StatsArgs),
}

/// Graph input: a SNAP-style edge list, or a WebGraph BVGraph basename (`X` for
/// `X.graph`, `X.offsets`, `X.properties`).
#[derive(Args)]
pub(crate) struct GraphInput {
    /// Edge list (`u v` per line, `#`/`%` comments) or BVGraph basename.
    edges: PathBuf,
}

#[derive(Args)]
pub(crate) struct SummarizeArgs {
    #[command(flatten)]
    input: GraphInput,
    /// Summarization method.
    #[arg(long, default_value = "slugger")]
    method: String,
    /// Iterations T of the merge phase.
    #[arg(long, default_value_t = 20)]
    iterations: u32,
    /// Seed of all random choices (the summary is the same for a seed on any thread count).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Container level: 0 stores the summary's encoding, 1-9 code it with `cm`.
    #[arg(short, long, default_value_t = slugger::DEFAULT_LEVEL)]
    level: u8,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Output container.
    #[arg(short, long)]
    output: PathBuf,
    /// Overwrite an existing output file.
    #[arg(short, long)]
    force: bool,
    /// Print one JSON object with the figures of the run.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub(crate) struct RestoreArgs {
    /// Summary container (.hcz).
    summary: PathBuf,
    /// Output edge list.
    #[arg(short, long)]
    output: PathBuf,
    /// Overwrite an existing output file.
    #[arg(short, long)]
    force: bool,
}

#[derive(Args)]
pub(crate) struct VerifyArgs {
    #[command(flatten)]
    input: GraphInput,
    /// Summary container (.hcz).
    summary: PathBuf,
}

#[derive(Args)]
pub(crate) struct StatsArgs {
    #[command(flatten)]
    input: GraphInput,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(cmd: GraphCommand) -> Result<(), BoxError> {
    match cmd {
        GraphCommand::Summarize(a) => summarize(&a),
        GraphCommand::Restore(a) => restore(&a),
        GraphCommand::Verify(a) => verify(&a),
        GraphCommand::Stats(a) => stats(&a),
    }
}

fn load(input: &GraphInput) -> Result<(Graph, LoadStats), BoxError> {
    let p = &input.edges;
    let mut graph_file = p.as_os_str().to_owned();
    graph_file.push(".graph");
    let bv = p.extension().is_some_and(|e| e == "graph") || Path::new(&graph_file).is_file();
    let r = if bv {
        let base = if p.extension().is_some_and(|e| e == "graph") {
            p.with_extension("")
        } else {
            p.clone()
        };
        Graph::read_webgraph(&base)
    } else {
        Graph::read_edge_list_file(p)
    };
    r.map_err(|e| format!("{}: {e}", p.display()).into())
}

fn read_summary(path: &Path) -> Result<SluggerSummary, BoxError> {
    let bytes = fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    hiercomp::graph::from_container(&bytes).map_err(|e| format!("{}: {e}", path.display()).into())
}

fn check_output(path: &Path, force: bool) -> Result<(), BoxError> {
    if path.exists() && !force {
        return Err(format!("{} already exists; use -f to overwrite", path.display()).into());
    }
    Ok(())
}

fn summarize(a: &SummarizeArgs) -> Result<(), BoxError> {
    if !a.method.eq_ignore_ascii_case("slugger") {
        return Err(format!("unknown graph method {:?} (available: slugger)", a.method).into());
    }
    check_output(&a.output, a.force)?;
    hiercomp::Method::SLUGGER.check_level(a.level)?;
    let (g, _) = load(&a.input)?;
    let cfg = Slugger {
        iterations: a.iterations,
        seed: a.seed,
        ..Slugger::default()
    };
    let pool = {
        let mut b = rayon::ThreadPoolBuilder::new();
        if let Some(t) = a.threads {
            b = b.num_threads(t.max(1));
        }
        b.build()?
    };
    let pb = (std::io::stderr().is_terminal() && g.num_edges() >= 100_000).then(|| {
        let pb = ProgressBar::new(u64::from(a.iterations));
        pb.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] [{bar:40}] iteration {pos}/{len}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        pb
    });
    let t = Instant::now();
    let (summary, _) = pool.install(|| {
        cfg.summarize_with(&g, &mut |it, _| {
            if let Some(pb) = &pb {
                pb.set_position(u64::from(it));
            }
        })
    });
    let seconds = t.elapsed().as_secs_f64();
    if let Some(pb) = pb {
        pb.finish_and_clear();
    }
    let hcz = hiercomp::graph::to_container_level(&summary, a.level)?;
    write_atomically(&a.output, |w| Ok(w.write_all(&hcz)?))?;
    let e = g.num_edges();
    let bits = summary.structure_bits();
    if a.json {
        let v = SummarizeReport {
            command: "graph summarize",
            method: "slugger",
            input: a.input.edges.display().to_string(),
            output: a.output.display().to_string(),
            nodes: g.num_nodes(),
            edges: e,
            p_plus: summary.p_plus().len(),
            p_minus: summary.p_minus().len(),
            h_edges: summary.h_edges(),
            supernodes: summary.supernodes(),
            relative_size: summary.relative_size(e),
            bits,
            bits_per_edge: bits as f64 / e.max(1) as f64,
            container_bytes: hcz.len(),
            container_bits_per_edge: hcz.len() as f64 * 8.0 / e.max(1) as f64,
            level: a.level,
            iterations: a.iterations,
            seed: a.seed,
            threads: pool.current_num_threads(),
            seconds,
        };
        println!("{}", serde_json::to_string(&v)?);
    } else {
        eprintln!(
            "{}: {} nodes, {} edges -> |P+| {} + |P-| {} + |H| {} = {} ({:.4} of |E|), {:.2} bits/edge ({:.2} in the container), {:.2} s",
            a.input.edges.display(),
            g.num_nodes(),
            e,
            summary.p_plus().len(),
            summary.p_minus().len(),
            summary.h_edges(),
            summary.cost(),
            summary.relative_size(e),
            bits as f64 / e.max(1) as f64,
            hcz.len() as f64 * 8.0 / e.max(1) as f64,
            seconds
        );
    }
    Ok(())
}

fn restore(a: &RestoreArgs) -> Result<(), BoxError> {
    check_output(&a.output, a.force)?;
    let g = read_summary(&a.summary)?.restore()?;
    write_atomically(&a.output, |w| Ok(g.write_edge_list(w)?))
}

fn verify(a: &VerifyArgs) -> Result<(), BoxError> {
    let (g, _) = load(&a.input)?;
    let restored = read_summary(&a.summary)?.restore()?;
    if restored.original_ids() != g.original_ids() {
        return Err(format!(
            "node sets differ: graph has {} nodes, summary {}",
            g.num_nodes(),
            restored.num_nodes()
        )
        .into());
    }
    if let Some((u, v)) = g
        .edges()
        .find(|&(u, v)| !restored.has_edge(u, v))
        .or_else(|| restored.edges().find(|&(u, v)| !g.has_edge(u, v)))
    {
        return Err(format!(
            "edge sets differ: ({}, {}) is in one and not the other",
            g.original_id(u),
            g.original_id(v)
        )
        .into());
    }
    println!(
        "identical: {} nodes, {} edges",
        g.num_nodes(),
        g.num_edges()
    );
    Ok(())
}

/// What `graph summarize --json` prints.
#[derive(serde::Serialize)]
struct SummarizeReport {
    command: &'static str,
    method: &'static str,
    input: String,
    output: String,
    nodes: u32,
    edges: u64,
    p_plus: usize,
    p_minus: usize,
    h_edges: u64,
    supernodes: u32,
    relative_size: f64,
    bits: u64,
    bits_per_edge: f64,
    container_bytes: usize,
    container_bits_per_edge: f64,
    level: u8,
    iterations: u32,
    seed: u64,
    threads: usize,
    seconds: f64,
}

/// What `graph stats --json` prints.
#[derive(serde::Serialize)]
struct StatsReport {
    input: String,
    nodes: u32,
    edges: u64,
    max_degree: usize,
    lines: u64,
    comments: u64,
    records: u64,
    self_loops: u64,
    duplicates: u64,
}

fn stats(a: &StatsArgs) -> Result<(), BoxError> {
    let (g, s) = load(&a.input)?;
    let max_degree = (0..g.num_nodes()).map(|u| g.degree(u)).max().unwrap_or(0);
    if a.json {
        let v = StatsReport {
            input: a.input.edges.display().to_string(),
            nodes: g.num_nodes(),
            edges: g.num_edges(),
            max_degree,
            lines: s.lines,
            comments: s.comments,
            records: s.records,
            self_loops: s.self_loops,
            duplicates: s.duplicates,
        };
        println!("{}", serde_json::to_string(&v)?);
    } else {
        println!(
            "{}: {} nodes, {} edges, max degree {}; read {} records ({} self-loops and {} duplicates dropped, {} comment lines)",
            a.input.edges.display(),
            g.num_nodes(),
            g.num_edges(),
            max_degree,
            s.records,
            s.self_loops,
            s.duplicates,
            s.comments
        );
    }
    Ok(())
}
