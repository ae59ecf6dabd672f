//! Restore is always exact: random graphs (quickcheck) and structured families.

use graph_summary::{Graph, Slugger, SluggerSummary};
use quickcheck::{QuickCheck, TestResult};

fn roundtrip(g: &Graph, cfg: &Slugger) -> SluggerSummary {
    let s = cfg.summarize(g);
    assert_eq!(
        &s.restore().expect("restore"),
        g,
        "summary does not restore the graph"
    );
    let bytes = s.to_bytes().expect("encode");
    let back = SluggerSummary::from_bytes(&bytes).expect("decode");
    assert_eq!(back, s);
    s
}

struct Lcg(u64);
impl Lcg {
    fn below(&mut self, n: u32) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % u64::from(n.max(1))) as u32
    }
}

#[test]
fn random_graphs_restore_exactly() {
    fn prop(edges: Vec<(u8, u8)>, seed: u64, iterations: u8) -> TestResult {
        let edges: Vec<(u64, u64)> = edges
            .into_iter()
            .map(|(a, b)| (u64::from(a % 40), u64::from(b % 40)))
            .collect();
        let Ok((g, _)) = Graph::from_edges(&edges) else {
            return TestResult::discard();
        };
        let cfg = Slugger {
            seed,
            iterations: u32::from(iterations % 6) + 1,
            ..Slugger::default()
        };
        roundtrip(&g, &cfg);
        TestResult::passed()
    }
    QuickCheck::new()
        .tests(300)
        .quickcheck(prop as fn(Vec<(u8, u8)>, u64, u8) -> TestResult);
}

#[test]
fn dense_random_graphs_restore_exactly() {
    // Dense graphs exercise n-edges (complements) and self-loops.
    for seed in 0..20u64 {
        let mut r = Lcg(seed);
        let n = 10 + r.below(50);
        let p = 30 + r.below(70); // percent
        let mut edges = Vec::new();
        for u in 0..n {
            for v in u + 1..n {
                if r.below(100) < p {
                    edges.push((u, v));
                }
            }
        }
        let g = Graph::from_dense_edges(n, &edges).unwrap();
        roundtrip(
            &g,
            &Slugger {
                seed,
                ..Slugger::default()
            },
        );
    }
}

fn clique(nodes: std::ops::Range<u32>, edges: &mut Vec<(u32, u32)>) {
    for u in nodes.clone() {
        for v in u + 1..nodes.end {
            edges.push((u, v));
        }
    }
}

#[test]
fn structured_families_compress_and_restore() {
    // (name, graph, largest acceptable relative size)
    let mut cases: Vec<(&str, Graph, f64)> = Vec::new();
    let mut e = Vec::new();
    clique(0..60, &mut e);
    cases.push(("clique", Graph::from_dense_edges(60, &e).unwrap(), 0.05));
    let mut e = Vec::new();
    for u in 0..30 {
        for v in 30..70 {
            e.push((u, v));
        }
    }
    cases.push(("biclique", Graph::from_dense_edges(70, &e).unwrap(), 0.1));
    let e: Vec<(u32, u32)> = (1..500).map(|v| ((v - 1) / 3, v)).collect();
    cases.push(("tree", Graph::from_dense_edges(500, &e).unwrap(), 1.0));
    let e: Vec<(u32, u32)> = (1..300).map(|v| (0, v)).collect();
    cases.push(("star", Graph::from_dense_edges(300, &e).unwrap(), 1.0));
    // Hierarchical block model: 4 groups of 4 blocks of 16 nodes; edge probability
    // 0.9 inside a block, 0.5 inside a group, 0.02 elsewhere.
    let mut r = Lcg(42);
    let mut e = Vec::new();
    for u in 0..256u32 {
        for v in u + 1..256 {
            let p = if u / 16 == v / 16 {
                90
            } else if u / 64 == v / 64 {
                50
            } else {
                2
            };
            if r.below(100) < p {
                e.push((u, v));
            }
        }
    }
    cases.push((
        "hierarchical blocks",
        Graph::from_dense_edges(256, &e).unwrap(),
        0.75,
    ));
    // Cliques overlapping in a chain, plus a few random edges.
    let mut e = Vec::new();
    for k in 0..10u32 {
        clique(k * 15..k * 15 + 20, &mut e);
    }
    for _ in 0..50 {
        e.push((r.below(165), r.below(165)));
    }
    cases.push((
        "overlapping cliques",
        Graph::from_dense_edges(165, &e).unwrap(),
        0.35,
    ));
    for (name, g, bound) in cases {
        for seed in 0..3 {
            let s = roundtrip(
                &g,
                &Slugger {
                    seed,
                    ..Slugger::default()
                },
            );
            let rel = s.relative_size(g.num_edges());
            assert!(rel <= bound, "{name}: relative size {rel:.3} > {bound}");
        }
    }
}

#[test]
fn any_thread_count_gives_the_same_summary() {
    let mut r = Lcg(9);
    let mut e = Vec::new();
    for _ in 0..20_000 {
        let u = r.below(2000);
        let v = (u / 50) * 50 + r.below(50);
        e.push((u, v));
        e.push((u, r.below(2000)));
    }
    let g = Graph::from_dense_edges(2000, &e).unwrap();
    let cfg = Slugger::default();
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let two = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    let four = rayon::ThreadPoolBuilder::new()
        .num_threads(4)
        .build()
        .unwrap();
    let a = one.install(|| cfg.summarize(&g));
    let b = two.install(|| cfg.summarize(&g));
    let c = four.install(|| cfg.summarize(&g));
    assert_eq!(a, b);
    assert_eq!(a, c);
    assert_eq!(a.restore().unwrap(), g);
}
