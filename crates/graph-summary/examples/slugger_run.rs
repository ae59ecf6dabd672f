//! Summarizes every graph given on the command line and prints size and time.
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
        if std::env::var_os("ANALYZE").is_some() {
            let total = s.parents().len();
            let n = s.leaves() as usize;
            let mut kids = vec![0usize; total];
            for &p in s.parents() {
                if p != u32::MAX {
                    kids[p as usize] += 1;
                }
            }
            let mut deg = vec![0usize; total];
            for &(a, b) in s.p_plus().iter().chain(s.p_minus()) {
                deg[a as usize] += 1;
                if a != b {
                    deg[b as usize] += 1;
                }
            }
            let mut hist = std::collections::BTreeMap::new();
            for x in n..total {
                *hist
                    .entry((kids[x].min(9), deg[x].min(9), s.parents()[x] == u32::MAX))
                    .or_insert(0) += 1;
            }
            println!("(children, edges, root) -> count: {hist:?}");
            let leaf_edges = s
                .p_plus()
                .iter()
                .filter(|&&(a, b)| (a as usize) < n && (b as usize) < n)
                .count();
            println!(
                "leaf-leaf p+ {leaf_edges}; leaves with parent {}",
                (0..n).filter(|&x| s.parents()[x] != u32::MAX).count()
            );
        }
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
