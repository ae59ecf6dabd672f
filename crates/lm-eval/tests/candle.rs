//! Correctness against a peer: candle's `quantized_llama` on the same token ids.
//!
//! candle multiplies Q4_1 weights with activations quantized to Q8_1 unless
//! `CANDLE_DEQUANTIZE_ALL` is set, in which case it dequantizes every weight to `f32` as
//! we do; the test runs itself again with that variable so the two compute the same
//! function. Needs the model (see `lm_eval::model_path_or_skip`).

use candle_core::quantized::gguf_file;
use candle_core::{Device, Tensor};
use candle_transformers::models::quantized_llama::ModelWeights;
use lm_eval::{LanguageModel, SMOLLM2_FILE, model_path_or_skip, vim_manual_text};

const TEST: &str = "logits_match_candle_on_the_first_64_positions";

#[test]
fn logits_match_candle_on_the_first_64_positions() -> Result<(), Box<dyn std::error::Error>> {
    let Some(path) = model_path_or_skip(TEST, SMOLLM2_FILE) else {
        return Ok(());
    };
    if std::env::var_os("CANDLE_DEQUANTIZE_ALL").is_none() {
        let status = std::process::Command::new(std::env::current_exe()?)
            .args(["--exact", TEST, "--nocapture"])
            .env("CANDLE_DEQUANTIZE_ALL", "1")
            .status()?;
        assert!(
            status.success(),
            "the run with CANDLE_DEQUANTIZE_ALL=1 failed"
        );
        return Ok(());
    }
    let lm = LanguageModel::load(&path)?;
    let mut ids = lm.tokenizer.encode(&vim_manual_text()?);
    ids.truncate(64);
    let vocab = lm.model.config().vocab_size;
    let ours = lm.model.forward(&ids, 0, &mut lm.full_cache())?;

    let mut file = std::fs::File::open(&path)?;
    let content = gguf_file::Content::read(&mut file)?;
    let mut peer = ModelWeights::from_gguf(content, &mut file, &Device::Cpu)?;
    let argmax = |v: &[f32]| {
        v.iter()
            .enumerate()
            .fold(
                (0, f32::NEG_INFINITY),
                |b, (i, &x)| if x > b.1 { (i, x) } else { b },
            )
            .0
    };
    let mut worst = 0.0f32;
    for (pos, &tok) in ids.iter().enumerate() {
        let input = Tensor::new(&[tok], &Device::Cpu)?.unsqueeze(0)?;
        let theirs: Vec<f32> = peer.forward(&input, pos)?.squeeze(0)?.to_vec1()?;
        let row = &ours[pos * vocab..(pos + 1) * vocab];
        assert_eq!(theirs.len(), vocab);
        let diff = row
            .iter()
            .zip(&theirs)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        worst = worst.max(diff);
        assert!(diff <= 1e-2, "position {pos}: max |Δlogit| = {diff}");
        assert_eq!(
            argmax(row),
            argmax(&theirs),
            "argmax differs at position {pos}"
        );
    }
    eprintln!("max |Δlogit| over 64 positions: {worst:.2e}");
    Ok(())
}

/// Our k-quant dequantization against candle's on blocks candle quantized (no model needed).
#[test]
fn k_quant_dequantization_matches_candle() -> Result<(), Box<dyn std::error::Error>> {
    use candle_core::quantized::{GgmlDType, QTensor};
    use quant_prune::gguf::{GgmlType, dequantize};
    let values: Vec<f32> = (0..4096)
        .map(|i| ((i as f32) * 0.731).sin() * (1.0 + (i % 97) as f32 / 13.0))
        .collect();
    let tensor = Tensor::from_vec(values, (16, 256), &Device::Cpu)?;
    for (theirs, ours) in [
        (GgmlDType::Q4K, GgmlType::Q4K),
        (GgmlDType::Q6K, GgmlType::Q6K),
        (GgmlDType::Q4_1, GgmlType::Q4_1),
        (GgmlDType::Q8_0, GgmlType::Q8_0),
    ] {
        let q = QTensor::quantize(&tensor, theirs)?;
        let want: Vec<f32> = q.dequantize(&Device::Cpu)?.flatten_all()?.to_vec1()?;
        let got = dequantize(ours, &q.data()?)?;
        assert_eq!(got.len(), want.len());
        for (i, (a, b)) in got.iter().zip(&want).enumerate() {
            assert!(
                (a - b).abs() <= 1e-6 * b.abs().max(1.0),
                "{ours:?} value {i}: {a} vs {b}"
            );
        }
    }
    Ok(())
}
