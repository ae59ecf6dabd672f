//! Tuning aid for `cm`: prints the ideal cost (bits per byte) of files under a level's
//! configuration, with overrides from the environment:
//!
//! - `LR` (mixer rate), `LIMIT` (count limit), `SKIP` (mixer errors too small to train on),
//!   `SEL` (mixer selectors), `TWEEDIE` (calibrator steps);
//! - `ORDERS` (comma-separated), `SPAT` (sparse patterns, `;`-separated lists of distances
//!   such as `4;2,3;1,3`), `WMASK`, `RMASK`, `TMASK` (which word, record and text-layout
//!   contexts are used, in binary, as `1011`);
//! - table sizes: `TB` (table bits), `MB` (match table bits), `HX` (extra bits for orders
//!   5+ and words), `WX` (extra bits for words), `BPB` (log2 input bytes per bucket), `SL`
//!   (fewer bits for sparse), `LOW` (fewer bits for orders 2 and 3, as `3,1`), `SIDE` (fewer
//!   bits for the record and text-layout tables);
//! - `WORD`, `SPARSE`, `RECORD`, `TEXT`, `APM`, `MATCH`, `LEAN`, `FAST` set to 0 or 1 for
//!   ablations.
//!
//! `MEM=1` also prints each level's model memory for a 16 MiB block; `SPEED=1` runs the
//! real coder (compress, decompress, compare) and prints sizes and speeds instead of ideal
//! costs.
//!
//! ```text
//! LR=4 cargo run --release -p hiercomp-examples --example cm_tune -- LEVEL FILE...
//! ```

use hiercomp::methods::cm::{CmConfig, cost_bits, decode_block_with, encode_block_with};

/// Sets `field` from the environment variable `name` where it is set.
fn number<T>(name: &str, field: &mut T) -> Result<(), Box<dyn std::error::Error>>
where
    T: std::str::FromStr,
    T::Err: std::error::Error + 'static,
{
    if let Ok(v) = std::env::var(name) {
        *field = v.parse()?;
    }
    Ok(())
}

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
        cfg.lr_large = cfg.lr;
    }
    let flag = |name: &str, v: &mut bool| {
        if let Ok(s) = std::env::var(name) {
            *v = s == "1";
        }
    };
    flag("WORD", &mut cfg.word);
    flag("SPARSE", &mut cfg.sparse);
    flag("RECORD", &mut cfg.record);
    flag("TEXT", &mut cfg.text);
    flag("APM", &mut cfg.apm);
    flag("LEAN", &mut cfg.lean);
    if std::env::var("MATCH").is_ok_and(|s| s == "0") {
        cfg.match_bits = 0;
    }
    number("TWEEDIE", &mut cfg.tweedie)?;
    number("SEL", &mut cfg.selectors)?;
    for (name, mask) in [
        ("WMASK", &mut cfg.word_contexts),
        ("RMASK", &mut cfg.record_contexts),
        ("TMASK", &mut cfg.text_contexts),
    ] {
        if let Ok(v) = std::env::var(name) {
            *mask = u8::from_str_radix(&v, 2)?;
        }
    }
    number("SKIP", &mut cfg.mixer_skip)?;
    number("WX", &mut cfg.word_extra)?;
    number("BPB", &mut cfg.bucket_bytes)?;
    number("HX", &mut cfg.high_extra)?;
    number("SL", &mut cfg.sparse_less)?;
    number("SIDE", &mut cfg.side_less)?;
    if let Ok(v) = std::env::var("LOW") {
        let l: Vec<u32> = v.split(',').map(str::parse).collect::<Result<_, _>>()?;
        if let [a, b] = l[..] {
            cfg.low_less = [a, b];
        } else {
            return Err("LOW takes two numbers, as 3,1".into());
        }
    }
    number("TB", &mut cfg.table_bits)?;
    if let Ok(v) = std::env::var("ORDERS") {
        cfg.orders = v.split(',').map(str::parse).collect::<Result<_, _>>()?;
    }
    flag("FAST", &mut cfg.fast);
    if let Ok(v) = std::env::var("SPAT") {
        cfg.sparse_patterns = v
            .split(';')
            .map(|p| p.split(',').map(str::parse).collect::<Result<_, _>>())
            .collect::<Result<_, _>>()?;
    }
    number("MB", &mut cfg.match_bits)?;
    number("LIMIT", &mut cfg.limit)?;
    let (mut tb, mut tn) = (0.0, 0usize);
    let speed = std::env::var_os("SPEED").is_some();
    let (mut tc, mut td) = (0.0, 0.0);
    for f in args {
        let data = std::fs::read(&f)?;
        if speed {
            // Real coding: compress, then decompress and compare.
            let t = std::time::Instant::now();
            let packed = encode_block_with(&data, &cfg, &mut |_| {})?;
            let c = t.elapsed().as_secs_f64();
            let t = std::time::Instant::now();
            let back = decode_block_with(&packed, data.len(), &cfg, &mut |_| {})?;
            let d = t.elapsed().as_secs_f64();
            assert!(back == data, "{f}: roundtrip mismatch");
            println!(
                "{f}: {:.4} bpb {} bytes comp {:.2} MB/s dec {:.2} MB/s",
                packed.len() as f64 * 8.0 / data.len() as f64,
                packed.len(),
                data.len() as f64 / c / 1e6,
                data.len() as f64 / d / 1e6
            );
            tb += packed.len() as f64 * 8.0;
            tn += data.len();
            tc += c;
            td += d;
            continue;
        }
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
    if speed {
        println!(
            "total: comp {:.2} MB/s dec {:.2} MB/s",
            tn as f64 / tc / 1e6,
            tn as f64 / td / 1e6
        );
    }
    Ok(())
}
