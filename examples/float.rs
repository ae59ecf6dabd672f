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

fn main() {
    if let Err(e) = try_main() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn try_main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let data = match args.first() {
        Some(path) => std::fs::read(path)?,
        None => hiercomp::samples::safetensors_weights(8, 1),
    };
    let mut opts = CompressOptions::new(Method::FLOAT);
    if let Some(pos) = args.iter().position(|a| a == "--dtype") {
        let name = args
            .get(pos + 1)
            .ok_or("--dtype needs f32, f16, bf16 or bytes")?;
        opts = opts.param("dtype", FloatDtype::from_name(name)?.name())?;
    }
    common::run("float", &data, &opts)
}
