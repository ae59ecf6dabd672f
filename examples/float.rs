//! Method `float`: lossless coding of model weights.
//!
//! ```text
//! scripts/fetch-models.sh
//! cargo run --release -p hiercomp-examples --example float -- [FILE.safetensors | FILE --dtype bf16]
//! ```
//! Without arguments it codes a generated safetensors file of f32 weights.

#[path = "common.rs"]
mod common;

use hiercomp::quant_prune::float::FloatDtype;
use hiercomp::{CompressOptions, Method};

/// Compress model weights with `float`, check the roundtrip, print the ratio and speed.
#[derive(clap::Parser)]
struct Args {
    /// A safetensors file or flat array (default: generated f32 weights).
    file: Option<std::path::PathBuf>,
    /// The whole input is one array of this type: f32, f16, bf16 or bytes.
    #[arg(long)]
    dtype: Option<String>,
}

fn main() {
    if let Err(e) = try_main() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn try_main() -> Result<(), Box<dyn std::error::Error>> {
    let args = <Args as clap::Parser>::parse();
    let data = match &args.file {
        Some(path) => std::fs::read(path)?,
        None => hiercomp::samples::safetensors_weights(8, 1),
    };
    let mut opts = CompressOptions::new(Method::FLOAT);
    if let Some(name) = &args.dtype {
        opts = opts.param("dtype", FloatDtype::from_name(name)?.name())?;
    }
    common::run("float", &data, &opts)
}
