//! Ablation of `cm`: the ideal coding cost of whole corpora under a level's configuration
//! with one component removed (or added, or toggled) at a time, as a markdown table.
//!
//! ```text
//! cargo run --release -p hiercomp-examples --example cm_ablation -- LEVEL DIR...
//! ```
//! Each configuration runs on its own thread (deterministic results; the cost is computed
//! with `arith_coder::CostMeter`, i.e. without the 4-byte flush of the real coder).

use clap::Parser;
use hiercomp::methods::cm::{CmConfig, cost_bits};
use std::path::PathBuf;

/// The ideal coding cost of whole corpora under a level's configuration with one
/// component removed, added or toggled at a time, as a markdown table.
#[derive(Parser)]
struct Args {
    /// The level whose configuration is the baseline, 1-9.
    level: u8,
    /// Corpora: folders whose regular files are coded one by one.
    #[arg(required = true)]
    dirs: Vec<String>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let level = args.level;
    let base = CmConfig::for_level(level)?;
    let mut corpora: Vec<(String, Vec<Vec<u8>>)> = Vec::new();
    for dir in args.dirs {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()?;
        files.retain(|p| p.is_file());
        files.sort();
        let data = files
            .iter()
            .map(std::fs::read)
            .collect::<Result<Vec<_>, _>>()?;
        let name = PathBuf::from(&dir)
            .file_name()
            .map_or(dir.clone(), |n| n.to_string_lossy().into_owned());
        corpora.push((name, data));
    }
    type Edit = fn(&mut CmConfig);
    let variants: Vec<(&str, Edit)> = vec![
        ("full configuration", |_| {}),
        ("− word model", |c| c.word = false),
        ("− sparse contexts", |c| c.sparse = false),
        ("− record model", |c| c.record = false),
        ("− text-layout model", |c| c.text = false),
        ("− match model", |c| c.match_bits = 0),
        ("− orders 5‥8", |c| c.orders.retain(|&o| o <= 4)),
        ("− APM/SSE stages", |c| c.apm = false),
        ("Tweedie calibrator on/off (1 step)", |c| {
            c.tweedie = usize::from(c.tweedie == 0)
        }),
        ("Tweedie with 3 steps", |c| c.tweedie = 3),
        ("1 mixer selector (c0)", |c| c.selectors = 1),
        ("5 mixer selectors", |c| c.selectors = 5),
        ("+ order 7", |c| {
            if !c.orders.contains(&7) {
                c.orders.push(7);
                c.orders.sort_unstable();
            }
        }),
        ("6 sparse patterns (2; 3; 4; 2,3; 2,4; 1,3)", |c| {
            c.sparse_patterns = vec![
                vec![2],
                vec![3],
                vec![4],
                vec![2, 3],
                vec![2, 4],
                vec![1, 3],
            ]
        }),
    ];
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut rows: Vec<(usize, Vec<f64>)> = Vec::new();
    let jobs: Vec<(usize, CmConfig)> = variants
        .iter()
        .enumerate()
        .map(|(i, (_, edit))| {
            let mut c = base.clone();
            edit(&mut c);
            (i, c)
        })
        .collect();
    for chunk in jobs.chunks(threads) {
        let results = std::thread::scope(|s| {
            let handles: Vec<_> = chunk
                .iter()
                .map(|(i, cfg)| {
                    let corpora = &corpora;
                    s.spawn(move || {
                        let bpb = corpora
                            .iter()
                            .map(|(_, files)| {
                                let bits: f64 = files.iter().map(|f| cost_bits(f, cfg)).sum();
                                let n: usize = files.iter().map(Vec::len).sum();
                                bits / n as f64
                            })
                            .collect::<Vec<f64>>();
                        (*i, bpb)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join()).collect::<Vec<_>>()
        });
        for r in results {
            rows.push(r.map_err(|_| "worker panicked")?);
        }
    }
    rows.sort_by_key(|r| r.0);
    print!("| `cm -l {level}` |");
    for (name, _) in &corpora {
        print!(" {name} bpb | Δ |");
    }
    println!();
    print!("|---|");
    for _ in &corpora {
        print!("---:|---:|");
    }
    println!();
    let full = rows[0].1.clone();
    for (i, bpb) in &rows {
        print!("| {} |", variants[*i].0);
        for (k, v) in bpb.iter().enumerate() {
            print!(" {v:.4} | {:+.2}% |", (v / full[k] - 1.0) * 100.0);
        }
        println!();
    }
    Ok(())
}
