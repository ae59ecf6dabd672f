//! Quantization, pruning and lossless float coding for hiercomp.
//!
//! Today this crate holds the lossless side: [`float`] codes arrays of `f32`, `f16` and
//! `bf16` values (model weights) by splitting each value into an exponent symbol, which is
//! Huffman-coded ([`arith_coder::huffman`]) — for `f32`, the exponent with two mantissa bits
//! coded with static rANS ([`arith_coder::rans`]) — and stored sign/mantissa byte planes. [`gguf`] reads
//! llama.cpp's GGUF files and dequantizes their block formats (F32, F16, BF16, Q4_0, Q4_1,
//! Q8_0, Q4_K, Q6_K). The quantizers and pruners of the architecture arrive with their issues.
//!
//! ```
//! use quant_prune::float::{FloatDtype, decode, encode};
//!
//! let weights: Vec<f32> = (0..10_000).map(|i| ((i as f32) * 0.37).sin() * 0.02).collect();
//! let bytes: Vec<u8> = weights.iter().flat_map(|w| w.to_le_bytes()).collect();
//! let packed = encode(&bytes, FloatDtype::F32);
//! assert!(packed.len() < bytes.len());
//! assert_eq!(decode(&packed, FloatDtype::F32, bytes.len())?, bytes);
//! # Ok::<(), quant_prune::Error>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod float;
#[cfg(any(test, feature = "fuzz"))]
pub mod fuzz;
pub mod gguf;

/// Errors of this crate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Coded data ends too early.
    #[error("truncated data: {0}")]
    Truncated(&'static str),
    /// Coded data that cannot be valid.
    #[error("corrupt data: {0}")]
    Corrupt(&'static str),
    /// A dtype name this crate does not know.
    #[error("unknown dtype {0:?} (expected f32, f16, bf16 or bytes)")]
    UnknownDtype(String),
    /// A GGUF/ggml tensor type this crate cannot size or dequantize (its ggml id).
    #[error("unsupported ggml tensor type {0}")]
    UnsupportedType(u32),
    /// An error of an entropy coder of [`arith_coder`] other than truncated or corrupt data.
    #[error(transparent)]
    Coder(arith_coder::Error),
}

impl From<arith_coder::Error> for Error {
    fn from(e: arith_coder::Error) -> Self {
        match e {
            arith_coder::Error::Incomplete(what) => Error::Truncated(what),
            arith_coder::Error::Corrupt(what) => Error::Corrupt(what),
            e => Error::Coder(e),
        }
    }
}

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, Error>;
