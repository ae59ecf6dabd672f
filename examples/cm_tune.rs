//! Tuning aid for `cm`: prints the ideal cost (bits per byte) of files under a level's
//! configuration with overrides from the environment (`LR`, `LIMIT`, `TB` (table bits), `TWEEDIE`
//! (calibrator steps), `SEL` (mixer selectors), and
//! `WORD`, `SPARSE`,
//! `RECORD`, `APM`, `MATCH` set to 0 or 1 for ablations); `MEM=1` also prints
//! each level's model memory for a 16 MiB block.
//!
//! ```text
//! LR=4 cargo run --release -p hiercomp-examples --example cm_tune -- LEVEL FILE...
//! ```

use hiercomp::methods::cm::{CmConfig, cost_bits};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let level: u8 = args.next().ok_or("usage: cm_tune LEVEL FILE...")?.parse()?;
    let mut cfg = CmConfig::for_level(level)?;
    if std::env::var_os("MEM").is_some() {
        for l in 1..=9 {
            let m = CmConfig::for_level(l)?.memory(16 << 20);
            println!(
                "level {l}: {:.0} MiB for a 16 MiB block",
                m as f64 / (1 << 20) as f64
            );
        }
    }
    if let Ok(v) = std::env::var("LR") {
        cfg.lr = v.parse()?;
    }
    let flag = |name: &str, v: &mut bool| {
        if let Ok(s) = std::env::var(name) {
            *v = s == "1";
        }
    };
    flag("WORD", &mut cfg.word);
    flag("SPARSE", &mut cfg.sparse);
    flag("RECORD", &mut cfg.record);
    flag("APM", &mut cfg.apm);
    flag("LEAN", &mut cfg.lean);
    if std::env::var("MATCH").is_ok_and(|s| s == "0") {
        cfg.match_bits = 0;
    }
    if let Ok(v) = std::env::var("TWEEDIE") {
        cfg.tweedie = v.parse()?;
    }
    if let Ok(v) = std::env::var("SEL") {
        cfg.selectors = v.parse()?;
    }
    if let Ok(v) = std::env::var("TB") {
        cfg.table_bits = v.parse()?;
    }
    if let Ok(v) = std::env::var("LIMIT") {
        cfg.limit = v.parse()?;
    }
    let (mut tb, mut tn) = (0.0, 0usize);
    for f in args {
        let data = std::fs::read(&f)?;
        let t = std::time::Instant::now();
        let bits = cost_bits(&data, &cfg);
        println!(
            "{f}: {:.4} bpb {:.0} bytes {:.2} MB/s",
            bits / data.len() as f64,
            bits / 8.0,
            data.len() as f64 / t.elapsed().as_secs_f64() / 1e6
        );
        tb += bits;
        tn += data.len();
    }
    println!("total: {:.4} bpb", tb / tn.max(1) as f64);
    Ok(())
}
