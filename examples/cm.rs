//! Method `cm`: compress a file with bitwise context mixing, check the roundtrip, and
//! print the ratio.
//!
//! ```text
//! cargo run --release -p hiercomp-examples --example cm -- [FILE] [LEVEL]
//! ```
//! Without a file it compresses its own source.

use hiercomp::{CompressOptions, Method, compress, decompress};
use std::time::Instant;

fn main() {
    if let Err(e) = try_main() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn try_main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let data = match args.next() {
        Some(path) => std::fs::read(path)?,
        None => include_bytes!("cm.rs").to_vec(),
    };
    let level: u8 = args
        .next()
        .map(|l| l.parse())
        .transpose()?
        .unwrap_or(Method::Cm.default_level());
    let t = Instant::now();
    let packed = compress(&data, &CompressOptions::new(Method::Cm).level(level))?;
    let ct = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let back = decompress(&packed)?;
    let dt = t.elapsed().as_secs_f64();
    if back != data {
        return Err("roundtrip mismatch".into());
    }
    println!(
        "cm -l {level}: {} -> {} bytes, {:.4} bits/byte, compress {:.2} MB/s, decompress {:.2} MB/s",
        data.len(),
        packed.len(),
        packed.len() as f64 * 8.0 / data.len().max(1) as f64,
        data.len() as f64 / ct / 1e6,
        data.len() as f64 / dt / 1e6
    );
    Ok(())
}
