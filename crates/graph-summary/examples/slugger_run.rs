//! Summarizes every graph given on the command line (edge lists ending in `.txt`, else
//! BVGraph basenames) and prints size, time and an exact-restore check. `T` and `SEED`
//! in the environment set the iterations and the seed.
//!
//! ```text
//! cargo run --release -p graph-summary --features webgraph --example slugger_run -- \
//!     ../shared/data/graphs/protein.txt ../shared/data/graphs/cnr-2000/cnr-2000
//! ```
use graph_summary::{Graph, Slugger};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let t: u32 = std::env::var("T")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let seed: u64 = std::env::var("SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    for path in std::env::args().skip(1) {
        let (g, _) = if path.ends_with(".txt") {
            Graph::read_edge_list_file(&path)?
        } else {
            Graph::read_webgraph(&path)?
        };
        let start = Instant::now();
        let (s, stats) = Slugger {
            iterations: t,
            seed,
            ..Slugger::default()
        }
        .summarize_with(&g, &mut |_, _| {});
        let secs = start.elapsed().as_secs_f64();
        let ok = s.restore()? == g;
        println!(
            "{path}: n {} m {} p+ {} p- {} h {} rel {:.4} (pre-prune {:.4}) merges {} scored {} time {secs:.2}s exact {ok} bits/edge {:.2}",
            g.num_nodes(),
            g.num_edges(),
            s.p_plus().len(),
            s.p_minus().len(),
            s.h_edges(),
            s.relative_size(g.num_edges()),
            stats.cost_before_pruning as f64 / g.num_edges() as f64,
            stats.merges,
            stats.pairs_scored,
            s.structure_bits() as f64 / g.num_edges() as f64
        );
    }
    Ok(())
}
