//! The measuring instrument of hiercomp's model-compression methods: a real small language
//! model (SmolLM2-135M, llama architecture) run in Rust, its perplexity on real text, and
//! the hooks methods plug into.
//!
//! - [`gguf`](quant_prune::gguf) (in `quant-prune`) reads the model file;
//!   [`Tokenizer`] is its byte-level BPE tokenizer built from the GGUF metadata;
//!   [`load_safetensors`] reads `f32`/`f16`/`bf16` safetensors files (all-MiniLM-L6-v2);
//! - [`Llama`] holds `f32` weights (dequantized once) and runs the forward pass: RMSNorm,
//!   RoPE, grouped-query attention through a [`kv_cache::KvCache`], SwiGLU MLP, tied output
//!   embedding; matrix products through `faer` on the rayon pool;
//! - each [`Linear`] layer's weight is a representation ([`LinearWeight`]; loaded as
//!   [`Dense`]) that computes the layer's product itself, so a compressed layer runs in the
//!   forward pass in the form it is stored;
//! - [`perplexity`] scores a token sequence in chunks of any size (1 = decoding token by
//!   token, the whole sequence = one batched prefill) through any KV cache;
//! - every linear layer is reachable by name ([`Llama::linear_by_name_mut`],
//!   `layers.{i}.{q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj}`) to read or
//!   replace its weight or its representation; [`calibrate`] returns each layer's input Gram matrix `XᵀX` and
//!   per-channel mean |x|, the statistics of GPTQ, AWQ, Wanda and SVD-LLM.
//!
//! Models live in `models/` at the repository root (`scripts/fetch-models.sh`) or in
//! `$HIERCOMP_MODELS`. `docs/lm-eval.md` has the measured figures.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod calibrate;
mod linear;
mod model;
mod safetensors;
mod tokenizer;

pub use calibrate::{Calibration, calibrate};
pub use linear::{Dense, Linear, LinearWeight};
pub use model::{ActivationHook, LinearInput, LinearKind, Llama, LlamaConfig, parse_linear_name};
pub use safetensors::{NamedTensor, load_safetensors};
pub use tokenizer::{PreTokenizer, SpecialTokens, Tokenizer};

use kv_cache::KvCache;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Errors of this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The GGUF file is malformed.
    #[error("GGUF: {0}")]
    Gguf(#[from] quant_prune::Error),
    /// The KV cache refused an operation.
    #[error("KV cache: {0}")]
    KvCache(#[from] kv_cache::Error),
    /// The model file lacks something or describes an unsupported model.
    #[error("model: {0}")]
    Model(String),
    /// Shapes that do not fit together.
    #[error("shape: {0}")]
    Shape(String),
    /// A token id outside the vocabulary.
    #[error("token id {0} outside the vocabulary")]
    Token(u32),
    /// An argument out of its range.
    #[error("invalid argument: {0}")]
    Argument(String),
}

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, Error>;

/// File name of all-MiniLM-L6-v2 as `scripts/fetch-models.sh` stores it.
pub const MINILM_FILE: &str = "all-MiniLM-L6-v2.safetensors";

/// File name of SmolLM2-135M-Instruct (Q4_1) as `scripts/fetch-models.sh` stores it.
pub const SMOLLM2_FILE: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";

/// The models folder: `$HIERCOMP_MODELS`, else `models/` at the repository root.
pub fn models_dir() -> PathBuf {
    std::env::var_os("HIERCOMP_MODELS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models");
            dir.canonicalize().unwrap_or(dir)
        })
}

/// Path of SmolLM2 in [`models_dir`].
pub fn smollm2_path() -> PathBuf {
    models_dir().join(SMOLLM2_FILE)
}

/// The environment variable that lets tests whose model file is missing skip:
/// `HIERCOMP_SKIP_MODEL_TESTS=1`.
pub const SKIP_MODEL_TESTS_ENV: &str = "HIERCOMP_SKIP_MODEL_TESTS";

/// For a test called `test` that needs the model file `file`: its path in [`models_dir`].
///
/// A missing file fails the test loudly (a panic naming the file and
/// `scripts/fetch-models.sh`), so a machine without the models cannot pass the test suite
/// by silently skipping; with `HIERCOMP_SKIP_MODEL_TESTS=1` the test skips instead:
/// this prints `skipped: <test> needs <file> (HIERCOMP_SKIP_MODEL_TESTS=1)` to stderr and
/// returns `None`.
#[track_caller]
pub fn model_path_or_skip(test: &str, file: &str) -> Option<PathBuf> {
    let path = models_dir().join(file);
    if path.is_file() {
        return Some(path);
    }
    if std::env::var_os(SKIP_MODEL_TESTS_ENV).is_some_and(|v| v == "1") {
        eprintln!(
            "skipped: {test} needs {} ({SKIP_MODEL_TESTS_ENV}=1)",
            path.display()
        );
        return None;
    }
    panic!(
        "{test} needs the model file {}: run scripts/fetch-models.sh \
         (or set {SKIP_MODEL_TESTS_ENV}=1 to skip the tests that need it)",
        path.display()
    );
}

/// The vim user manual chapters 1–9 (`usr_01.txt` … `usr_09.txt`) concatenated, from the
/// first `/usr/share/vim/vim*/doc` that has them (vim-runtime).
pub fn vim_manual_text() -> Result<String> {
    let root = Path::new("/usr/share/vim");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)
        .map_err(|source| Error::Io {
            path: root.into(),
            source,
        })?
        .filter_map(|e| e.ok().map(|e| e.path().join("doc")))
        .filter(|d| d.join("usr_01.txt").is_file())
        .collect();
    dirs.sort();
    let dir = dirs.pop().ok_or_else(|| {
        Error::Argument("no /usr/share/vim/vim*/doc/usr_01.txt (install vim-runtime)".into())
    })?;
    let mut text = String::new();
    for i in 1..=9 {
        let path = dir.join(format!("usr_0{i}.txt"));
        let bytes = std::fs::read(&path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        text.push_str(&String::from_utf8_lossy(&bytes));
    }
    Ok(text)
}

/// A model with its tokenizer.
#[derive(Debug, Clone)]
pub struct LanguageModel {
    /// The network.
    pub model: Llama,
    /// The tokenizer.
    pub tokenizer: Tokenizer,
}

impl LanguageModel {
    /// Loads a llama GGUF file (weights dequantized to `f32`; the file's bytes are dropped
    /// after loading).
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.into(),
            source,
        })?;
        let gguf = quant_prune::gguf::Gguf::parse(&bytes)?;
        Ok(Self {
            model: Llama::from_gguf(&gguf)?,
            tokenizer: Tokenizer::from_gguf(&gguf)?,
        })
    }

    /// A fresh full KV cache shaped for this model.
    pub fn full_cache(&self) -> kv_cache::FullCache {
        kv_cache::FullCache::full(self.model.config().kv_config())
    }
}

/// Result of a perplexity run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Perplexity {
    /// Tokens run through the model.
    pub tokens: usize,
    /// Tokens predicted (`tokens − 1`: the first has no context).
    pub predicted: usize,
    /// Mean negative log-likelihood per predicted token, in nats.
    pub nll: f64,
    /// `exp(nll)`.
    pub ppl: f64,
    /// Wall-clock seconds of the forward passes.
    pub seconds: f64,
    /// `tokens / seconds`.
    pub tokens_per_second: f64,
}

/// Perplexity of `tokens` under `model`, fed through `cache` in chunks of `stride` tokens
/// (1: token-by-token decoding; `tokens.len()`: one batched prefill). The cache is used as
/// is (clear it first for a fresh sequence); it may compact itself after each chunk.
pub fn perplexity(
    model: &Llama,
    tokens: &[u32],
    stride: usize,
    cache: &mut impl KvCache,
) -> Result<Perplexity> {
    if tokens.len() < 2 || stride == 0 {
        return Err(Error::Argument(
            "perplexity needs at least 2 tokens and a stride ≥ 1".into(),
        ));
    }
    let vocab = model.config().vocab_size;
    if let Some(&bad) = tokens.iter().find(|&&t| t as usize >= vocab) {
        return Err(Error::Token(bad));
    }
    let start = Instant::now();
    let mut nll = 0.0f64;
    for (c, chunk) in tokens.chunks(stride).enumerate() {
        let first = c * stride;
        let hidden = model.forward_hidden(chunk, first as u32, cache, None)?;
        // Logits a few hundred rows at a time, so long chunks stay small in memory.
        let d = model.config().dim;
        for (s, rows) in hidden.chunks(256 * d).enumerate() {
            let n = rows.len() / d;
            let logits = model.logits(rows, n);
            for (i, row) in logits.chunks_exact(vocab).enumerate() {
                let g = first + s * 256 + i;
                if let Some(&next) = tokens.get(g + 1) {
                    nll += log_sum_exp(row) - f64::from(row[next as usize]);
                }
            }
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    let predicted = tokens.len() - 1;
    let nll = nll / predicted as f64;
    Ok(Perplexity {
        tokens: tokens.len(),
        predicted,
        nll,
        ppl: nll.exp(),
        seconds,
        tokens_per_second: tokens.len() as f64 / seconds,
    })
}

/// `ln Σ exp(x)` in `f64`.
pub fn log_sum_exp(x: &[f32]) -> f64 {
    let max = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    f64::from(max)
        + x.iter()
            .map(|&v| f64::from(v - max).exp())
            .sum::<f64>()
            .ln()
}
