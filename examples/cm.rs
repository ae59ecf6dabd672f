//! Method `cm`: compress a file with bitwise context mixing, check the roundtrip, and
//! print the ratio.
//!
//! ```text
//! cargo run --release -p hiercomp-examples --example cm -- [FILE] [LEVEL]
//! ```
//! Without a file it compresses its own source.

#[path = "common.rs"]
mod common;

use hiercomp::{CompressOptions, Method};

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
        .unwrap_or(Method::CM.default_level());
    common::run(
        &format!("cm -l {level}"),
        &data,
        &CompressOptions::new(Method::CM).level(level),
    )
}
