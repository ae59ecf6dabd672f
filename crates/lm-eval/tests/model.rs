//! Tests on the real SmolLM2-135M model. They fail when
//! `models/SmolLM2-135M-Instruct.Q4_1.gguf` is missing (run `scripts/fetch-models.sh`),
//! unless `HIERCOMP_SKIP_MODEL_TESTS=1`, which skips them with a message.

use kv_cache::KvCache;
use lm_eval::{
    ActivationHook, Dense, LanguageModel, LinearInput, LinearKind, LinearWeight, SMOLLM2_FILE,
    calibrate, model_path_or_skip, perplexity, vim_manual_text,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

fn load(test: &str) -> Option<LanguageModel> {
    let path = model_path_or_skip(test, SMOLLM2_FILE)?;
    Some(LanguageModel::load(&path).expect("the fetched model loads"))
}

fn vim_tokens(lm: &LanguageModel, n: usize) -> Vec<u32> {
    let mut ids = lm
        .tokenizer
        .encode(&vim_manual_text().expect("vim-runtime installed"));
    ids.truncate(n);
    ids
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn tokenizer_roundtrips_and_matches_reference_ids() {
    let Some(lm) = load("tokenizer_roundtrips_and_matches_reference_ids") else {
        return;
    };
    let t = &lm.tokenizer;
    assert_eq!(t.vocab_size(), 49152);
    let text = vim_manual_text().unwrap();
    let ids = t.encode(&text);
    assert_eq!(t.decode(&ids), text);
    for s in ["naïve café — 東京 🦀 x² 12345", "  leading\n\n\ttabs  ", ""] {
        assert_eq!(t.decode(&t.encode(s)), s);
    }
    // Reference ids: Hugging Face `tokenizers` with SmolLM2's vocabulary and merges and
    // the pre-tokenizer Sequence[Digits(individual), ByteLevel].
    assert_eq!(t.encode(REFERENCE_TEXT), REFERENCE_IDS);
    assert_eq!(ids.len(), REFERENCE_VIM_TOKENS);
    assert_eq!(ids[..20], REFERENCE_VIM_PREFIX);
    if let Ok(json) = std::env::var("LM_EVAL_REFERENCE_IDS") {
        // Full comparison against ids dumped by the reference tokenizer.
        let want: Vec<u32> = serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap();
        let first_diff = ids.iter().zip(&want).position(|(a, b)| a != b);
        assert_eq!(first_diff, None, "first differing token");
        assert_eq!(ids.len(), want.len());
    }
}

const REFERENCE_TEXT: &str = "Hello world! It's 2024:   naïve café — 東京 🦀\n\n\tx² = y_1 + 3.14";
const REFERENCE_IDS: [u32; 38] = [
    19556, 905, 17, 657, 506, 216, 34, 32, 34, 36, 42, 256, 15486, 46494, 37366, 1841, 17097, 247,
    126, 16736, 122, 15107, 116, 218, 1116, 197, 104, 19133, 446, 329, 79, 33, 1232, 216, 35, 30,
    33, 36,
];
/// Tokens of usr_01..usr_09 under the reference tokenizer (every id also agrees; checked
/// when this value was recorded).
const REFERENCE_VIM_TOKENS: usize = 44842;
/// The reference's first 20 ids of the vim manual.
const REFERENCE_VIM_PREFIX: [u32; 20] = [
    26, 13586, 79, 32, 33, 30, 9047, 26, 197, 2193, 717, 306, 3586, 216, 41, 30, 32, 30, 216, 8114,
];

#[test]
fn batched_chunked_and_token_by_token_logits_agree() {
    let Some(lm) = load("batched_chunked_and_token_by_token_logits_agree") else {
        return;
    };
    let ids = vim_tokens(&lm, 40);
    let m = &lm.model;
    let mut cache = lm.full_cache();
    let batched = m.forward(&ids, 0, &mut cache).unwrap();
    assert_eq!(cache.len(29, 2), 40);
    for chunk in [1, 7] {
        cache.clear();
        let mut incremental = Vec::new();
        for (c, part) in ids.chunks(chunk).enumerate() {
            incremental.extend(m.forward(part, (c * chunk) as u32, &mut cache).unwrap());
        }
        let diff = max_abs_diff(&batched, &incremental);
        assert!(diff < 2e-3, "chunk {chunk}: max |Δlogit| = {diff}");
    }
    // Bytes held: 30 layers × 3 KV heads × 40 entries × (2·64 f32 + token + position).
    assert_eq!(cache.bytes(), 30 * 3 * 40 * (2 * 64 * 4 + 8));
}

/// Perplexity of the first 512 tokens of the vim user manual, recorded with this
/// implementation (and checked against candle in `tests/candle.rs`).
const PPL_512: f64 = 24.6184;

#[test]
fn perplexity_of_a_fixed_passage_stays_put() {
    let Some(lm) = load("perplexity_of_a_fixed_passage_stays_put") else {
        return;
    };
    let ids = vim_tokens(&lm, 512);
    assert_eq!(ids.len(), 512);
    let mut cache = lm.full_cache();
    let r = perplexity(&lm.model, &ids, 512, &mut cache).unwrap();
    eprintln!("ppl(512) = {:.5} in {:.2} s", r.ppl, r.seconds);
    assert!(
        (r.ppl / PPL_512 - 1.0).abs() < 0.005,
        "ppl {} vs recorded {PPL_512}",
        r.ppl
    );
    assert_eq!((r.tokens, r.predicted), (512, 511));
    // Strided evaluation (chunks of 100) gives the same value.
    cache.clear();
    let s = perplexity(&lm.model, &ids, 100, &mut cache).unwrap();
    assert!((s.nll - r.nll).abs() < 1e-4, "{} vs {}", s.nll, r.nll);
}

#[test]
fn linear_layers_are_reachable_by_name() {
    let Some(mut lm) = load("linear_layers_are_reachable_by_name") else {
        return;
    };
    let m = &lm.model;
    assert_eq!(m.linears().count(), 30 * 7);
    let shapes: Vec<(usize, usize)> = LinearKind::ALL
        .iter()
        .map(|&k| m.linear(0, k).unwrap().shape())
        .collect();
    assert_eq!(
        shapes,
        [
            (576, 576),
            (192, 576),
            (192, 576),
            (576, 576),
            (1536, 576),
            (1536, 576),
            (576, 1536)
        ]
    );
    let linear_params: usize = m.linears().map(|l| l.params()).sum();
    assert_eq!(
        linear_params,
        30 * (2 * 576 * 576 + 2 * 192 * 576 + 3 * 1536 * 576)
    );
    // SmolLM2-135M: 134,515,008 parameters (embedding tied).
    assert_eq!(m.params(), 134_515_008);
    let down = m.linear_by_name("layers.29.down_proj").unwrap();
    assert_eq!(
        (down.name(), down.shape()),
        ("layers.29.down_proj", (576, 1536))
    );
    assert!(m.linear_by_name("layers.30.q_proj").is_none());
    assert!(m.linear_by_name("layers.0.fc1").is_none());

    let ids = vim_tokens(&lm, 16);
    let before = lm.model.forward(&ids, 0, &mut lm.full_cache()).unwrap();
    let l = lm.model.linear_by_name_mut("layers.3.v_proj").unwrap();
    assert!(l.set_weight(vec![0.0; 10]).is_err());
    let zero = vec![0.0; l.params()];
    l.set_weight(zero).unwrap();
    let after = lm.model.forward(&ids, 0, &mut lm.full_cache()).unwrap();
    assert!(max_abs_diff(&before, &after) > 0.1);
}

/// A dense weight that counts the products it computes and the rows they cover.
#[derive(Debug)]
struct Counting {
    inner: Dense,
    calls: Arc<AtomicUsize>,
    rows: Arc<AtomicUsize>,
}

impl LinearWeight for Counting {
    fn shape(&self) -> (usize, usize) {
        self.inner.shape()
    }
    fn params(&self) -> usize {
        self.inner.params()
    }
    fn bytes(&self) -> usize {
        self.inner.bytes()
    }
    fn forward(&self, x: &[f32], rows: usize, out: &mut [f32]) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.rows.fetch_add(rows, Ordering::Relaxed);
        self.inner.forward(x, rows, out);
    }
    fn to_dense(&self) -> Vec<f32> {
        self.inner.to_dense()
    }
}

#[test]
fn a_replaced_representation_runs_in_the_forward_pass() {
    let Some(mut lm) = load("a_replaced_representation_runs_in_the_forward_pass") else {
        return;
    };
    let ids = vim_tokens(&lm, 16);
    let before = lm.model.forward(&ids, 0, &mut lm.full_cache()).unwrap();
    let l = lm.model.linear_by_name_mut("layers.5.up_proj").unwrap();
    let (calls, rows) = (Arc::default(), Arc::default());
    let counting = |w: Vec<f32>, out, inp| Counting {
        inner: Dense::new(out, inp, w).unwrap(),
        calls: Arc::clone(&calls),
        rows: Arc::clone(&rows),
    };
    let w = l.weight().into_owned();
    // The transposed shape has as many values but is refused.
    assert!(
        l.set_representation(counting(w.clone(), 576, 1536))
            .is_err()
    );
    l.set_representation(counting(w, 1536, 576)).unwrap();
    assert!(l.representation().as_dense().is_none());
    assert_eq!((l.params(), l.bytes()), (1536 * 576, 1536 * 576 * 4));
    let batched = lm.model.forward(&ids, 0, &mut lm.full_cache()).unwrap();
    assert_eq!(
        (calls.load(Ordering::Relaxed), rows.load(Ordering::Relaxed)),
        (1, 16)
    );
    // The same product through the wrapper: the same logits, bit for bit.
    assert!(
        before
            .iter()
            .zip(&batched)
            .all(|(a, b)| a.to_bits() == b.to_bits())
    );
    let mut cache = lm.full_cache();
    for (i, &t) in ids.iter().enumerate() {
        lm.model.forward(&[t], i as u32, &mut cache).unwrap();
    }
    assert_eq!(
        (calls.load(Ordering::Relaxed), rows.load(Ordering::Relaxed)),
        (17, 32)
    );
    // Clones share the representation; set_weight makes the layer dense again.
    let mut copy = lm.model.clone();
    copy.forward(&ids, 0, &mut lm.full_cache()).unwrap();
    assert_eq!(calls.load(Ordering::Relaxed), 18);
    let l = copy.linear_by_name_mut("layers.5.up_proj").unwrap();
    l.set_weight(l.weight().into_owned()).unwrap();
    assert!(l.representation().as_dense().is_some());
    copy.forward(&ids, 0, &mut lm.full_cache()).unwrap();
    assert_eq!(calls.load(Ordering::Relaxed), 18);
}

/// Keeps the raw inputs of block 2's MLP down projection.
struct Raw(Vec<f32>);

impl ActivationHook for Raw {
    fn linear_input(&mut self, layer: usize, input: LinearInput, x: &[f32], _rows: usize) {
        if layer == 2 && input == LinearInput::FfnHidden {
            self.0.extend_from_slice(x);
        }
    }
}

#[test]
fn calibration_gram_is_xtx_of_the_layer_inputs() {
    let Some(lm) = load("calibration_gram_is_xtx_of_the_layer_inputs") else {
        return;
    };
    let ids = vim_tokens(&lm, 48);
    let cal = calibrate(&lm.model, &ids, 20).unwrap();
    assert_eq!(cal.tokens, 48);
    let mut raw = Raw(Vec::new());
    lm.model
        .forward_hidden(&ids, 0, &mut lm.full_cache(), Some(&mut raw))
        .unwrap();
    let d = 1536;
    let x = raw.0;
    assert_eq!(x.len(), 48 * d);
    let gram = cal.gram("layers.2.down_proj").unwrap();
    assert_eq!(gram.len(), d * d);
    for (i, j) in [(0, 0), (5, 700), (700, 5), (1535, 1535), (17, 1200)] {
        let want: f64 = x
            .chunks_exact(d)
            .map(|r| f64::from(r[i]) * f64::from(r[j]))
            .sum();
        let got = f64::from(gram[i * d + j]);
        assert!(
            (got - want).abs() <= 1e-3 * want.abs().max(1e-2),
            "({i},{j}): {got} vs {want}"
        );
    }
    let mean_abs = cal.mean_abs("layers.2.down_proj").unwrap();
    let want: f32 = x.chunks_exact(d).map(|r| r[9].abs()).sum::<f32>() / 48.0;
    assert!((mean_abs[9] - want).abs() < 1e-4 * want.max(1.0));
    // q, k and v read the same activation.
    assert_eq!(cal.gram("layers.4.q_proj"), cal.gram("layers.4.v_proj"));
    assert_eq!(cal.dim("layers.4.o_proj"), Some(576));
    assert!(cal.gram("layers.30.q_proj").is_none());
}

#[test]
fn minilm_safetensors_loads() {
    let Some(path) = model_path_or_skip("minilm_safetensors_loads", lm_eval::MINILM_FILE) else {
        return;
    };
    let bytes = std::fs::read(&path).unwrap();
    let tensors = lm_eval::load_safetensors(&bytes).unwrap();
    let emb = tensors
        .iter()
        .find(|t| t.name.ends_with("embeddings.word_embeddings.weight"))
        .expect("word embeddings");
    assert_eq!(emb.shape, [30522, 384]);
    let params: usize = tensors.iter().map(|t| t.values.len()).sum();
    eprintln!(
        "all-MiniLM-L6-v2: {} tensors, {params} parameters",
        tensors.len()
    );
    assert_eq!(params, 22_713_216);
    assert!(
        tensors
            .iter()
            .all(|t| t.values.iter().all(|v| v.is_finite()))
    );
}

/// A StreamingLLM-shaped test policy: 4 sinks and a recent window, positions renumbered
/// inside the cache (the method itself belongs to a later issue; this checks the plumbing).
struct SinksAndWindow;

impl kv_cache::KvPolicy for SinksAndWindow {
    fn tracks_attention(&self) -> bool {
        false
    }

    fn next_positions(&self, held: usize, tokens: &[u32]) -> Vec<u32> {
        (held as u32..).take(tokens.len()).collect()
    }

    fn plan(
        &mut self,
        _: usize,
        _: usize,
        store: &kv_cache::HeadStore,
        budget: usize,
    ) -> kv_cache::Compaction {
        let keep: Vec<usize> = (0..4)
            .chain(store.len() + 4 - budget..store.len())
            .collect();
        kv_cache::Compaction {
            positions: (0..keep.len() as u32).collect(),
            keep,
            ..Default::default()
        }
    }
}

#[test]
fn budgeted_renumbering_cache_runs_through_the_model() {
    let Some(lm) = load("budgeted_renumbering_cache_runs_through_the_model") else {
        return;
    };
    let ids = vim_tokens(&lm, 128);
    let cfg = lm.model.config().kv_config();
    let rope = lm.model.rope().clone();
    let full = perplexity(&lm.model, &ids, 1, &mut lm.full_cache()).unwrap();
    // A budget above the length never compacts: the same numbers as the full cache.
    let mut roomy =
        kv_cache::PolicyCache::new(cfg, SinksAndWindow, Some(128)).with_rope(rope.clone());
    let same = perplexity(&lm.model, &ids, 1, &mut roomy).unwrap();
    assert!((same.nll - full.nll).abs() < 1e-9);
    let mut tight = kv_cache::PolicyCache::new(cfg, SinksAndWindow, Some(32)).with_rope(rope);
    let small = perplexity(&lm.model, &ids, 1, &mut tight).unwrap();
    assert_eq!(tight.len(0, 0), 32);
    assert_eq!(
        tight.head(7, 1).unwrap().positions(),
        (0..32).collect::<Vec<u32>>()
    );
    eprintln!(
        "128 tokens: full cache ppl {:.3}, 4 sinks + 28 recent ppl {:.3}",
        full.ppl, small.ppl
    );
    assert!(small.ppl.is_finite() && small.ppl > full.ppl * 0.98 && small.ppl < full.ppl * 3.0);
    assert!(tight.bytes() < 30 * 3 * 33 * (2 * 64 * 4 + 8));
}
