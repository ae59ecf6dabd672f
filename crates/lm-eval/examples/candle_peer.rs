//! Speed and perplexity of our forward pass next to candle's `quantized_llama`, in one run
//! on the same token ids (the first N tokens of the vim user manual, usr_01..usr_09).
//!
//! ```text
//! cargo run -p lm-eval --release --example candle_peer -- [N=1024] [CALIBRATION_TOKENS=512]
//! ```
//!
//! candle runs as shipped (Q4_1 weights × Q8_1 activations), decoding token by token with
//! its own KV cache; its perplexity is computed from the logits it returns at each step.
use candle_core::quantized::gguf_file;
use candle_core::{Device, Tensor};
use candle_transformers::models::quantized_llama::ModelWeights;
use kv_cache::KvCache;
use lm_eval::{LanguageModel, calibrate, log_sum_exp, perplexity, smollm2_path, vim_manual_text};
use std::time::Instant;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn main() {
    if let Err(e) = try_main() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn try_main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().map_or(Ok(1024), |a| a.parse())?;
    let n_cal: usize = args.next().map_or(Ok(512), |a| a.parse())?;
    let path = smollm2_path();
    let t = Instant::now();
    let lm = LanguageModel::load(&path)?;
    let load = t.elapsed().as_secs_f64();
    let mut ids = lm.tokenizer.encode(&vim_manual_text()?);
    ids.truncate(n);
    println!(
        "model {} ({} params), {} tokens of usr_01..09, {} threads",
        path.display(),
        lm.model.params(),
        ids.len(),
        rayon::current_num_threads()
    );
    println!("ours: load {load:.2} s");

    let mut cache = lm.full_cache();
    let prefill = perplexity(&lm.model, &ids, ids.len(), &mut cache)?;
    println!(
        "ours: prefill {} tokens in {:.2} s ({:.0} tok/s), ppl {:.4}",
        ids.len(),
        prefill.seconds,
        prefill.tokens_per_second,
        prefill.ppl
    );
    cache.clear();
    let decode = perplexity(&lm.model, &ids, 1, &mut cache)?;
    println!(
        "ours: decode token by token {:.1} tok/s ({:.2} s), ppl {:.4}",
        decode.tokens_per_second, decode.seconds, decode.ppl
    );
    let cal_ids = &ids[..n_cal.min(ids.len())];
    let t = Instant::now();
    let cal = calibrate(&lm.model, cal_ids, cal_ids.len())?;
    let cal_seconds = t.elapsed().as_secs_f64();
    println!(
        "ours: calibration capture over {} tokens in {cal_seconds:.2} s (grams of 210 layers, {} inputs)",
        cal.tokens,
        4 * lm.model.config().n_layers
    );
    drop(cal);
    let vocab = lm.model.config().vocab_size;
    drop(lm);

    let t = Instant::now();
    let mut file = std::fs::File::open(&path)?;
    let content = gguf_file::Content::read(&mut file)?;
    let mut peer = ModelWeights::from_gguf(content, &mut file, &Device::Cpu)?;
    println!("candle: load {:.2} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let input = Tensor::new(ids.as_slice(), &Device::Cpu)?.unsqueeze(0)?;
    peer.forward(&input, 0)?;
    let candle_prefill = t.elapsed().as_secs_f64();
    println!(
        "candle: prefill {} tokens in {candle_prefill:.2} s ({:.0} tok/s)",
        ids.len(),
        ids.len() as f64 / candle_prefill
    );
    peer.clear_kv_cache();
    let t = Instant::now();
    let mut nll = 0.0;
    for (pos, &tok) in ids.iter().enumerate() {
        let input = Tensor::new(&[tok], &Device::Cpu)?.unsqueeze(0)?;
        let logits: Vec<f32> = peer.forward(&input, pos)?.squeeze(0)?.to_vec1()?;
        assert_eq!(logits.len(), vocab);
        if let Some(&next) = ids.get(pos + 1) {
            nll += log_sum_exp(&logits) - f64::from(logits[next as usize]);
        }
    }
    let candle_decode = t.elapsed().as_secs_f64();
    let candle_ppl = (nll / (ids.len() - 1) as f64).exp();
    let candle_tps = ids.len() as f64 / candle_decode;
    println!(
        "candle: decode token by token {candle_tps:.1} tok/s ({candle_decode:.2} s), ppl {candle_ppl:.4}"
    );
    println!(
        "decode speed ours/candle: {:.2}×; prefill speed ours/candle: {:.2}×",
        decode.tokens_per_second / candle_tps,
        candle_prefill / prefill.seconds
    );
    println!(
        "{}",
        serde_json::json!({
            "tokens": ids.len(),
            "ours": {"ppl": prefill.ppl, "prefill_seconds": prefill.seconds, "decode_tokens_per_second": decode.tokens_per_second, "calibration_seconds": cal_seconds, "calibration_tokens": cal_ids.len()},
            "candle": {"ppl": candle_ppl, "prefill_seconds": candle_prefill, "decode_tokens_per_second": candle_tps},
        })
    );
    Ok(())
}
