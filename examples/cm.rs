//! Method `cm`: compress a file with bitwise context mixing, check the roundtrip, and
//! print the ratio.
//!
//! ```text
//! cargo run --release -p hiercomp-examples --example cm -- [FILE] [LEVEL]
//! ```
//! Without a file it compresses its own source.

#[path = "common.rs"]
mod common;

use clap::Parser;
use hiercomp::{CompressOptions, Method};

/// Compress a file with `cm`, check the roundtrip, print the ratio and speed.
#[derive(Parser)]
struct Args {
    /// The file (default: this example's source).
    file: Option<std::path::PathBuf>,
    /// The level, 1-9 (default: the method's default).
    level: Option<u8>,
}

fn main() {
    if let Err(e) = try_main() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn try_main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let data = match &args.file {
        Some(path) => std::fs::read(path)?,
        None => include_bytes!("cm.rs").to_vec(),
    };
    let level = args.level.unwrap_or(Method::CM.default_level());
    common::run(
        &format!("cm -l {level}"),
        &data,
        &CompressOptions::new(Method::CM).level(level),
    )
}
