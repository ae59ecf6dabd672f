//! The llama architecture in `f32`: weights, forward pass, named linear layers.

use crate::linear::{Dense, Linear, matmul_transposed};
use crate::{Error, Result};
use kv_cache::{KvCache, KvConfig, Rope};
use quant_prune::gguf::Gguf;
use rayon::prelude::*;

/// Hyper-parameters of a llama model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LlamaConfig {
    /// Transformer blocks.
    pub n_layers: usize,
    /// Width of the residual stream.
    pub dim: usize,
    /// Hidden width of the SwiGLU MLP.
    pub ffn_dim: usize,
    /// Query heads.
    pub n_heads: usize,
    /// Key/value heads (grouped-query attention when fewer than query heads).
    pub n_kv_heads: usize,
    /// Vocabulary size.
    pub vocab_size: usize,
    /// RoPE base θ.
    pub rope_theta: f64,
    /// RMSNorm ε.
    pub norm_eps: f32,
}

impl LlamaConfig {
    /// Values per attention head.
    pub fn head_dim(&self) -> usize {
        self.dim / self.n_heads
    }

    /// The KV cache shape this model needs.
    pub fn kv_config(&self) -> KvConfig {
        KvConfig {
            n_layers: self.n_layers,
            n_kv_heads: self.n_kv_heads,
            head_dim: self.head_dim(),
        }
    }
}

/// Which linear layer of a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinearKind {
    /// Query projection.
    QProj,
    /// Key projection.
    KProj,
    /// Value projection.
    VProj,
    /// Attention output projection.
    OProj,
    /// MLP gate projection (through SiLU).
    GateProj,
    /// MLP up projection.
    UpProj,
    /// MLP down projection.
    DownProj,
}

impl LinearKind {
    /// All kinds, in block order.
    pub const ALL: [LinearKind; 7] = [
        Self::QProj,
        Self::KProj,
        Self::VProj,
        Self::OProj,
        Self::GateProj,
        Self::UpProj,
        Self::DownProj,
    ];

    /// The Hugging Face name (`q_proj` …).
    pub fn name(self) -> &'static str {
        match self {
            Self::QProj => "q_proj",
            Self::KProj => "k_proj",
            Self::VProj => "v_proj",
            Self::OProj => "o_proj",
            Self::GateProj => "gate_proj",
            Self::UpProj => "up_proj",
            Self::DownProj => "down_proj",
        }
    }

    fn gguf_name(self) -> &'static str {
        match self {
            Self::QProj => "attn_q",
            Self::KProj => "attn_k",
            Self::VProj => "attn_v",
            Self::OProj => "attn_output",
            Self::GateProj => "ffn_gate",
            Self::UpProj => "ffn_up",
            Self::DownProj => "ffn_down",
        }
    }

    /// The activation a layer of this kind reads. Layers reading the same activation
    /// (q/k/v; gate/up) share calibration statistics.
    pub fn input(self) -> LinearInput {
        match self {
            Self::QProj | Self::KProj | Self::VProj => LinearInput::AttnNorm,
            Self::OProj => LinearInput::AttnOut,
            Self::GateProj | Self::UpProj => LinearInput::FfnNorm,
            Self::DownProj => LinearInput::FfnHidden,
        }
    }
}

/// The four distinct activations the linear layers of a block read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LinearInput {
    /// RMSNorm output before attention (input of q/k/v).
    AttnNorm,
    /// Attention output, heads concatenated (input of o_proj).
    AttnOut,
    /// RMSNorm output before the MLP (input of gate/up).
    FfnNorm,
    /// `silu(gate) · up` (input of down_proj).
    FfnHidden,
}

/// One transformer block.
#[derive(Debug, Clone)]
pub struct Block {
    attn_norm: Vec<f32>,
    ffn_norm: Vec<f32>,
    linears: [Linear; 7],
}

impl Block {
    fn linear(&self, kind: LinearKind) -> &Linear {
        &self.linears[kind as usize]
    }
}

/// Receives the activations entering each linear layer during a forward pass
/// (calibration capture).
pub trait ActivationHook {
    /// `x` holds `rows` rows of the input of the layers of `input` in block `layer`.
    fn linear_input(&mut self, layer: usize, input: LinearInput, x: &[f32], rows: usize);
}

/// A llama-architecture model with `f32` weights.
#[derive(Debug, Clone)]
pub struct Llama {
    config: LlamaConfig,
    token_embedding: Vec<f32>,
    /// `None`: tied to the token embedding.
    output: Option<Vec<f32>>,
    output_norm: Vec<f32>,
    blocks: Vec<Block>,
    rope: Rope,
}

impl Llama {
    /// Loads a llama GGUF file, dequantizing every weight to `f32` once; every linear
    /// layer starts as a [`Dense`] weight.
    pub fn from_gguf(gguf: &Gguf<'_>) -> Result<Self> {
        let arch = gguf.get("general.architecture").and_then(|v| v.as_str());
        if arch != Some("llama") {
            return Err(Error::Model(format!("architecture {arch:?} is not llama")));
        }
        let int = |key: &str| -> Result<usize> {
            gguf.get(key)
                .and_then(|v| v.as_u64())
                .map(|v| v as usize)
                .ok_or_else(|| Error::Model(format!("missing {key}")))
        };
        let float =
            |key: &str, default: f64| gguf.get(key).and_then(|v| v.as_f64()).unwrap_or(default);
        let token_embedding_info = gguf
            .tensor("token_embd.weight")
            .ok_or_else(|| Error::Model("missing token_embd.weight".into()))?;
        let config = LlamaConfig {
            n_layers: int("llama.block_count")?,
            dim: int("llama.embedding_length")?,
            ffn_dim: int("llama.feed_forward_length")?,
            n_heads: int("llama.attention.head_count")?,
            n_kv_heads: int("llama.attention.head_count_kv")?,
            vocab_size: token_embedding_info.dims.get(1).copied().unwrap_or(0) as usize,
            rope_theta: float("llama.rope.freq_base", 10_000.0),
            norm_eps: float("llama.attention.layer_norm_rms_epsilon", 1e-5) as f32,
        };
        let c = config;
        if c.n_heads == 0
            || c.n_kv_heads == 0
            || c.dim % c.n_heads != 0
            || c.n_heads % c.n_kv_heads != 0
            || c.head_dim() % 2 != 0
        {
            return Err(Error::Model(format!("inconsistent head counts: {c:?}")));
        }
        let load = |name: &str, dims: &[usize]| -> Result<Vec<f32>> {
            let t = gguf
                .tensor(name)
                .ok_or_else(|| Error::Model(format!("missing tensor {name}")))?;
            let want: Vec<u64> = dims.iter().map(|&d| d as u64).collect();
            if t.dims != want {
                return Err(Error::Shape(format!(
                    "{name}: dims {:?}, expected {want:?}",
                    t.dims
                )));
            }
            Ok(gguf.dequantize(t)?)
        };
        let kv_dim = c.n_kv_heads * c.head_dim();
        let blocks = (0..c.n_layers)
            .map(|i| -> Result<Block> {
                let linear = |kind: LinearKind| -> Result<Linear> {
                    let (out_features, in_features) = match kind {
                        LinearKind::QProj | LinearKind::OProj => (c.dim, c.dim),
                        LinearKind::KProj | LinearKind::VProj => (kv_dim, c.dim),
                        LinearKind::GateProj | LinearKind::UpProj => (c.ffn_dim, c.dim),
                        LinearKind::DownProj => (c.dim, c.ffn_dim),
                    };
                    let weight = load(
                        &format!("blk.{i}.{}.weight", kind.gguf_name()),
                        &[in_features, out_features],
                    )?;
                    Ok(Linear::dense(
                        format!("layers.{i}.{}", kind.name()),
                        Dense::new(out_features, in_features, weight)?,
                    ))
                };
                Ok(Block {
                    attn_norm: load(&format!("blk.{i}.attn_norm.weight"), &[c.dim])?,
                    ffn_norm: load(&format!("blk.{i}.ffn_norm.weight"), &[c.dim])?,
                    linears: [
                        linear(LinearKind::QProj)?,
                        linear(LinearKind::KProj)?,
                        linear(LinearKind::VProj)?,
                        linear(LinearKind::OProj)?,
                        linear(LinearKind::GateProj)?,
                        linear(LinearKind::UpProj)?,
                        linear(LinearKind::DownProj)?,
                    ],
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let output = match gguf.tensor("output.weight") {
            Some(_) => Some(load("output.weight", &[c.dim, c.vocab_size])?),
            None => None,
        };
        Ok(Self {
            token_embedding: load("token_embd.weight", &[c.dim, c.vocab_size])?,
            output,
            output_norm: load("output_norm.weight", &[c.dim])?,
            blocks,
            rope: Rope::new(c.rope_theta, c.head_dim()),
            config,
        })
    }

    /// The hyper-parameters.
    pub fn config(&self) -> &LlamaConfig {
        &self.config
    }

    /// The RoPE the model rotates queries and keys with.
    pub fn rope(&self) -> &Rope {
        &self.rope
    }

    /// Every linear layer, block by block in [`LinearKind::ALL`] order.
    pub fn linears(&self) -> impl Iterator<Item = &Linear> {
        self.blocks.iter().flat_map(|b| b.linears.iter())
    }

    /// Every linear layer, mutably.
    pub fn linears_mut(&mut self) -> impl Iterator<Item = &mut Linear> {
        self.blocks.iter_mut().flat_map(|b| b.linears.iter_mut())
    }

    /// The linear layer of block `layer` and `kind`.
    pub fn linear(&self, layer: usize, kind: LinearKind) -> Option<&Linear> {
        self.blocks.get(layer).map(|b| b.linear(kind))
    }

    /// The linear layer of block `layer` and `kind`, mutably.
    pub fn linear_mut(&mut self, layer: usize, kind: LinearKind) -> Option<&mut Linear> {
        self.blocks
            .get_mut(layer)
            .map(|b| &mut b.linears[kind as usize])
    }

    /// The linear layer called `name` (`layers.{i}.{q_proj|…|down_proj}`).
    pub fn linear_by_name(&self, name: &str) -> Option<&Linear> {
        let (layer, kind) = parse_linear_name(name)?;
        self.linear(layer, kind)
    }

    /// The linear layer called `name`, mutably.
    pub fn linear_by_name_mut(&mut self, name: &str) -> Option<&mut Linear> {
        let (layer, kind) = parse_linear_name(name)?;
        self.linear_mut(layer, kind)
    }

    /// Parameters in total (embedding counted once when tied).
    pub fn params(&self) -> usize {
        let norms = self
            .blocks
            .iter()
            .map(|b| b.attn_norm.len() + b.ffn_norm.len())
            .sum::<usize>();
        self.linears().map(Linear::params).sum::<usize>()
            + norms
            + self.output_norm.len()
            + self.token_embedding.len()
            + self.output.as_ref().map_or(0, Vec::len)
    }

    /// Runs `tokens` (token indices `first_token..`; RoPE positions from
    /// [`KvCache::next_positions`], by default the same) through the
    /// model, appending their keys and values to `cache`, and returns the logits,
    /// `tokens.len() × vocab_size` row-major. Call it with the whole sequence (batched,
    /// causal mask), token by token, or in chunks; the results agree.
    pub fn forward(
        &self,
        tokens: &[u32],
        first_token: u32,
        cache: &mut impl KvCache,
    ) -> Result<Vec<f32>> {
        let hidden = self.forward_hidden(tokens, first_token, cache, None)?;
        Ok(self.logits(&hidden, tokens.len()))
    }

    /// [`Self::forward`] without the output projection, reporting every linear layer's
    /// input to `hook`; returns the final normalized hidden states.
    pub fn forward_hidden(
        &self,
        tokens: &[u32],
        first_token: u32,
        cache: &mut impl KvCache,
        mut hook: Option<&mut dyn ActivationHook>,
    ) -> Result<Vec<f32>> {
        let c = &self.config;
        let t = tokens.len();
        if cache.config() != &c.kv_config() {
            return Err(Error::Shape(
                "KV cache shape differs from the model's".into(),
            ));
        }
        let (d, hd) = (c.dim, c.head_dim());
        let mut x = Vec::with_capacity(t * d);
        for &tok in tokens {
            let row = self
                .token_embedding
                .get(tok as usize * d..(tok as usize + 1) * d)
                .ok_or(Error::Token(tok))?;
            x.extend_from_slice(row);
        }
        let token_ids: Vec<u32> = (0..t as u32).map(|i| first_token + i).collect();
        // RoPE positions come from the cache: token indices, unless its policy renumbers.
        let positions = cache.next_positions(&token_ids);
        if positions.len() != t {
            return Err(Error::Shape(
                "KV cache gave the wrong number of positions".into(),
            ));
        }
        let cos_sin: Vec<Vec<(f32, f32)>> = positions
            .iter()
            .map(|&p| self.rope.cos_sin(p.into()))
            .collect();
        let group = c.n_heads / c.n_kv_heads;
        for (l, block) in self.blocks.iter().enumerate() {
            let h = rms_norm(&x, &block.attn_norm, c.norm_eps);
            if let Some(hook) = hook.as_deref_mut() {
                hook.linear_input(l, LinearInput::AttnNorm, &h, t);
            }
            let mut q = block.linear(LinearKind::QProj).forward(&h, t);
            let mut k = block.linear(LinearKind::KProj).forward(&h, t);
            let v = block.linear(LinearKind::VProj).forward(&h, t);
            for (row, cs) in q.chunks_exact_mut(d).zip(&cos_sin) {
                Rope::apply(row, cs);
            }
            let kv_dim = c.n_kv_heads * hd;
            for (row, cs) in k.chunks_exact_mut(kv_dim).zip(&cos_sin) {
                Rope::apply(row, cs);
            }
            let mut attn = vec![0.0f32; t * d];
            for g in 0..c.n_kv_heads {
                let gather = |src: &[f32], width: usize, head: usize| -> Vec<f32> {
                    src.chunks_exact(width)
                        .flat_map(|row| &row[head * hd..(head + 1) * hd])
                        .copied()
                        .collect()
                };
                let keys = gather(&k, kv_dim, g);
                let values = gather(&v, kv_dim, g);
                cache.append(l, g, &token_ids, &positions, &keys, &values)?;
                let queries: Vec<f32> = (g * group..(g + 1) * group)
                    .flat_map(|head| gather(&q, d, head))
                    .collect();
                let mut out = vec![0.0f32; queries.len()];
                cache.attend(l, g, &token_ids, &queries, &mut out)?;
                for (j, head) in (g * group..(g + 1) * group).enumerate() {
                    for (i, row) in attn.chunks_exact_mut(d).enumerate() {
                        row[head * hd..(head + 1) * hd]
                            .copy_from_slice(&out[(j * t + i) * hd..(j * t + i + 1) * hd]);
                    }
                }
            }
            if let Some(hook) = hook.as_deref_mut() {
                hook.linear_input(l, LinearInput::AttnOut, &attn, t);
            }
            let o = block.linear(LinearKind::OProj).forward(&attn, t);
            x.iter_mut().zip(&o).for_each(|(a, b)| *a += b);
            let h = rms_norm(&x, &block.ffn_norm, c.norm_eps);
            if let Some(hook) = hook.as_deref_mut() {
                hook.linear_input(l, LinearInput::FfnNorm, &h, t);
            }
            let mut gate = block.linear(LinearKind::GateProj).forward(&h, t);
            let up = block.linear(LinearKind::UpProj).forward(&h, t);
            gate.par_iter_mut()
                .zip(&up)
                .for_each(|(g, u)| *g = *g / (1.0 + (-*g).exp()) * u);
            if let Some(hook) = hook.as_deref_mut() {
                hook.linear_input(l, LinearInput::FfnHidden, &gate, t);
            }
            let down = block.linear(LinearKind::DownProj).forward(&gate, t);
            x.iter_mut().zip(&down).for_each(|(a, b)| *a += b);
        }
        cache.compact()?;
        Ok(rms_norm(&x, &self.output_norm, c.norm_eps))
    }

    /// Logits (`rows × vocab_size`) of final normalized hidden states.
    pub fn logits(&self, hidden: &[f32], rows: usize) -> Vec<f32> {
        let w = self.output.as_deref().unwrap_or(&self.token_embedding);
        let mut out = vec![0.0; rows * self.config.vocab_size];
        matmul_transposed(
            &mut out,
            hidden,
            w,
            rows,
            self.config.vocab_size,
            self.config.dim,
        );
        out
    }
}

/// `layers.{i}.{kind}` → `(i, kind)`.
pub fn parse_linear_name(name: &str) -> Option<(usize, LinearKind)> {
    let rest = name.strip_prefix("layers.")?;
    let (layer, kind) = rest.split_once('.')?;
    let kind = LinearKind::ALL.into_iter().find(|k| k.name() == kind)?;
    Some((layer.parse().ok()?, kind))
}

/// Row-wise RMSNorm: `x / √(mean(x²) + ε) · w`.
fn rms_norm(x: &[f32], w: &[f32], eps: f32) -> Vec<f32> {
    let d = w.len();
    let mut out = vec![0.0; x.len()];
    out.par_chunks_exact_mut(d)
        .zip(x.par_chunks_exact(d))
        .for_each(|(o, r)| {
            let ms = r.iter().map(|v| v * v).sum::<f32>() / d as f32;
            let inv = 1.0 / (ms + eps).sqrt();
            o.iter_mut()
                .zip(r)
                .zip(w)
                .for_each(|((o, r), w)| *o = r * inv * w);
        });
    out
}
