//! Method `slugger`: lossless hierarchical summarization of a graph.
//!
//! ```text
//! cargo run --release -p hiercomp-examples --example slugger -- [EDGES.txt]
//! ```
//! Without arguments it summarizes `../shared/data/graphs/protein.txt` (or
//! `$HIERCOMP_DATA/graphs/protein.txt`), or a generated graph of overlapping cliques
//! when that file is missing. Prints the summary's size, writes it into a `.hcz`
//! container in memory, reads it back and checks that it restores the graph exactly.

use hiercomp::graph_summary::{Graph, Slugger};
use std::time::Instant;

/// Summarize a graph with SLUGGER, put it in a container, check the exact restore.
#[derive(clap::Parser)]
struct Args {
    /// An edge list (default: protein.txt from the shared data, else a generated graph).
    edges: Option<std::path::PathBuf>,
}

fn main() {
    if let Err(e) = try_main() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn generated() -> Result<Graph, hiercomp::Error> {
    // Ten 20-cliques, each overlapping the next in five nodes.
    let mut edges = Vec::new();
    for k in 0..10u32 {
        for u in k * 15..k * 15 + 20 {
            for v in u + 1..k * 15 + 20 {
                edges.push((u, v));
            }
        }
    }
    Ok(Graph::from_dense_edges(155, &edges)?)
}

fn try_main() -> Result<(), Box<dyn std::error::Error>> {
    let default = std::env::var_os("HIERCOMP_DATA")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| "../shared/data".into())
        .join("graphs/protein.txt");
    let (name, g) = match <Args as clap::Parser>::parse().edges {
        Some(p) => (p.display().to_string(), Graph::read_edge_list_file(&p)?.0),
        None if default.is_file() => (
            default.display().to_string(),
            Graph::read_edge_list_file(&default)?.0,
        ),
        None => ("generated overlapping cliques".to_string(), generated()?),
    };
    let t = Instant::now();
    let summary = Slugger::default().summarize(&g);
    let secs = t.elapsed().as_secs_f64();
    let hcz = hiercomp::graph::to_container(&summary)?;
    let back = hiercomp::graph::from_container(&hcz)?;
    let exact = back.restore()? == g;
    println!("{name}: {} nodes, {} edges", g.num_nodes(), g.num_edges());
    println!(
        "summary: |P+| {} + |P-| {} + |H| {} = {} -> relative size {:.4} in {secs:.2} s",
        summary.p_plus().len(),
        summary.p_minus().len(),
        summary.h_edges(),
        summary.cost(),
        summary.relative_size(g.num_edges())
    );
    println!(
        "container: {} bytes ({:.2} bits per edge); restores exactly: {exact}",
        hcz.len(),
        hcz.len() as f64 * 8.0 / g.num_edges() as f64
    );
    if !exact {
        return Err("summary does not restore the graph".into());
    }
    Ok(())
}
