//! hiercomp: hierarchical and structured compression.
//!
//! This crate is the facade of the hiercomp workspace. It re-exports the building blocks
//! and composes them into the documented methods, one per paper, behind one container
//! format:
//!
//! | building block | what it provides |
//! |---|---|
//! | [`hier_tree`] | symbols as paths in a binary tree: the [`hier_tree::SymbolTree`] trait, [`hier_tree::BitTree`] |
//! | [`arith_coder`] | binary arithmetic coder, multi-symbol range coder, Huffman, rANS, bit I/O |
//! | [`ctx_models`] | online bit predictors (order-N, word, sparse, record, match, mixer, APM, Tweedie) and the complete `cm` coder, [`ctx_models::cm`] |
//! | [`quant_prune`] | lossless float byte-plane coding, GGUF reading |
//! | [`graph_summary`] | graphs (CSR), SNAP/WebGraph loaders, the [`graph_summary::Summarizer`] trait, SLUGGER |
//!
//! The facade adds no algorithm: [`codec`] is what a method is to the container (the
//! [`Codec`] trait, typed parameters), [`methods`] holds one glue module per method and the
//! static [`methods::REGISTRY`], [`container`] frames blocks, [`graph`] puts graph summaries
//! in containers.
//!
//! | method | module | status |
//! |---|---|---|
//! | `store` | [`methods::store`] | framing and checksums only |
//! | `cm` | [`methods::cm`] | bitwise context mixing |
//! | `float` | [`methods::float`] | model weights: safetensors-aware byte planes, Huffman exponents |
//! | `slugger` | [`methods::slugger`] | lossless hierarchical graph summarization (SLUGGER) |
//!
//! Every artifact starts with the same header; the byte layout, the checks and the limits
//! are documented in [`container`].
//!
//! # Dependencies the design names, and where they are used
//! `rand_xoshiro` is the workspace's one seeded generator (SLUGGER's SplitMix64, samples,
//! tests); the `safetensors` crate reads and writes safetensors headers and files; `serde`
//! derives every `--json` report; `bytemuck` casts tensor bytes in `lm-eval`. Not used yet,
//! and why: `num-traits` — no code is generic over f32/f64/f16 today (the low-rank and
//! quantizer issues bring the first); `smallvec` and `hashbrown` — no profile has shown a
//! neighbour list or memo table where they pay (SLUGGER's lists are flat vectors reused
//! across iterations); `bincode` — no cache of derived data exists yet; when one does, it
//! goes behind one function and never becomes a file format users keep (RUSTSEC-2025-0141 is
//! recorded in `deny.toml`).
//!
//! # Quick start
//! ```
//! use hiercomp::{CompressOptions, Method, compress, decompress};
//!
//! let text = b"It was the best of times, it was the worst of times, it was the age of \
//!              wisdom, it was the age of foolishness, it was the epoch of belief";
//! let packed = compress(text, &CompressOptions::new(Method::CM).level(3))?;
//! assert_eq!(decompress(&packed)?, text);
//!
//! // Damage is detected, never returned as data.
//! let mut bad = packed.clone();
//! let last = bad.len() - 30;
//! bad[last] ^= 1;
//! assert!(decompress(&bad).is_err());
//! # Ok::<(), hiercomp::Error>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod codec;
pub mod container;
mod error;
#[cfg(any(test, feature = "fuzz"))]
pub mod fuzz;
pub mod graph;
pub mod methods;
pub mod samples;

pub use arith_coder;
pub use ctx_models;
pub use graph_summary;
pub use hier_tree;
pub use quant_prune;

pub use codec::{Codec, Method, ParamSpec, Params};
pub use container::{
    CompressOptions, Header, Limits, Stats, compress, compress_stream, decompress,
    decompress_stream, decompress_with_limits,
};
pub use error::{Error, Result};

/// `cm` at its default level: the registry's general-purpose method. (Here, at the root,
/// so that neither the container nor the registry names the other.)
impl Default for CompressOptions {
    fn default() -> Self {
        Self::new(Method::CM)
    }
}
