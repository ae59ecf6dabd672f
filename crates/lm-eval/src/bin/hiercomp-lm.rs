//! `hiercomp-lm`: the language-model harness from the command line.
//!
//! ```text
//! hiercomp-lm ppl [--model PATH] [--text FILE] [--tokens N] [--stride S] [--json]
//! ```
//!
//! It is a binary of `lm-eval` (not a `hiercomp lm` subcommand) because `lm-eval` is not
//! published and the `hiercomp` CLI is.
use clap::{Parser, Subcommand};
use lm_eval::{LanguageModel, perplexity, smollm2_path, vim_manual_text};
use std::path::PathBuf;
use std::time::Instant;

#[derive(Parser)]
#[command(name = "hiercomp-lm", about = "Language-model evaluation for hiercomp")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Perplexity of a text under the model (full KV cache).
    Ppl {
        /// GGUF model (default: models/SmolLM2-135M-Instruct.Q4_1.gguf or $HIERCOMP_MODELS).
        #[arg(long)]
        model: Option<PathBuf>,
        /// Text file (default: vim user manual usr_01..usr_09 concatenated).
        #[arg(long)]
        text: Option<PathBuf>,
        /// Evaluate the first N tokens.
        #[arg(long, default_value_t = 1024)]
        tokens: usize,
        /// Tokens per forward pass (1 = decode token by token; default: all at once).
        #[arg(long)]
        stride: Option<usize>,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
}

/// What `hiercomp-lm ppl --json` prints.
#[derive(serde::Serialize)]
struct PplReport {
    model: String,
    tokens: usize,
    predicted: usize,
    stride: usize,
    nll: f64,
    ppl: f64,
    seconds: f64,
    tokens_per_second: f64,
    load_seconds: f64,
    kv_cache_bytes: usize,
}

fn main() {
    if let Err(e) = try_main() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn try_main() -> Result<(), Box<dyn std::error::Error>> {
    match Cli::parse().command {
        Command::Ppl {
            model,
            text,
            tokens,
            stride,
            json,
        } => {
            let path = model.unwrap_or_else(smollm2_path);
            let t0 = Instant::now();
            let lm = LanguageModel::load(&path)?;
            let load_seconds = t0.elapsed().as_secs_f64();
            let text = match &text {
                Some(p) => String::from_utf8_lossy(
                    &std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))?,
                )
                .into_owned(),
                None => vim_manual_text()?,
            };
            let mut ids = lm.tokenizer.encode(&text);
            ids.truncate(tokens);
            let stride = stride.unwrap_or(ids.len()).max(1);
            let mut cache = lm.full_cache();
            let r = perplexity(&lm.model, &ids, stride, &mut cache)?;
            if json {
                let v = PplReport {
                    model: path.display().to_string(),
                    tokens: r.tokens,
                    predicted: r.predicted,
                    stride,
                    nll: r.nll,
                    ppl: r.ppl,
                    seconds: r.seconds,
                    tokens_per_second: r.tokens_per_second,
                    load_seconds,
                    kv_cache_bytes: kv_cache::KvCache::bytes(&cache),
                };
                println!("{}", serde_json::to_string(&v)?);
            } else {
                println!("model              {}", path.display());
                println!(
                    "tokens             {} ({} predicted, stride {stride})",
                    r.tokens, r.predicted
                );
                println!("nll                {:.5}", r.nll);
                println!("ppl                {:.4}", r.ppl);
                println!(
                    "seconds            {:.3} (load {load_seconds:.2})",
                    r.seconds
                );
                println!("tokens_per_second  {:.1}", r.tokens_per_second);
                println!("kv_cache_bytes     {}", kv_cache::KvCache::bytes(&cache));
            }
        }
    }
    Ok(())
}
