//! Entropy coders for hiercomp.
//!
//! The coders of the workspace, each usable alone:
//!
//! * [`BinaryEncoder`] / [`BinaryDecoder`] — a carry-less binary arithmetic coder over a
//!   32-bit range. Each call codes one bit with the probability `p1` that the bit is 1,
//!   given in fixed point with `PREC` bits (12 or 16, a const generic). This is the coder
//!   behind bitwise context mixing: the model predicts, the coder spends `−log2 p` bits.
//! * [`RangeEncoder`] / [`RangeDecoder`] — a multi-symbol range coder over cumulative
//!   frequencies (totals up to 2^16) with carry propagation, and [`AdaptiveFrequencies`], a
//!   simple adaptive model for small alphabets.
//! * [`huffman`] — canonical length-limited Huffman codes of bytes with table decoding and
//!   four interleaved streams.
//! * [`rans`] — static interleaved rANS of a symbol plus raw bits per value.
//! * [`bits`] — bit I/O: fixed-width fields and Elias-gamma codes, bounds-checked.
//!
//! Models are kept apart from coders: the coders take probabilities or frequencies and know
//! nothing of where they came from. The traits [`BitEncoder`] and [`BitDecoder`] let model
//! code be generic over the coder (or over [`CostMeter`], which only sums the ideal cost);
//! [`BinaryCoder`] covers both sides, so one loop serves costing, encoding and decoding.
//!
//! # Robustness
//! Decoders never read past their input. When a decoder runs out of input it feeds zeros,
//! remembers it, and reports [`Error::Truncated`] from [`BinaryDecoder::check`] /
//! [`BinaryDecoder::finish`]; the per-bit hot path stays branch-light and infallible. No
//! input makes a decoder panic.
//!
//! # Quick start
//! ```
//! use arith_coder::{BinaryDecoder, BinaryEncoder, BitDecoder, BitEncoder};
//!
//! let bits = [true, false, false, true, true, true, false, true];
//! let p1 = 40_000; // P(bit = 1) = 40000 / 65536
//! let mut enc = BinaryEncoder::<16>::new();
//! for &b in &bits {
//!     enc.encode(b, p1);
//! }
//! let bytes = enc.finish();
//!
//! let mut dec = BinaryDecoder::<16>::new(&bytes);
//! let decoded: Vec<bool> = (0..bits.len()).map(|_| dec.decode(p1)).collect();
//! assert_eq!(decoded, bits);
//! assert_eq!(dec.finish()?, bytes.len()); // every byte consumed, none missing
//! # Ok::<(), arith_coder::Error>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod binary;
pub mod bits;
pub mod huffman;
mod range;
pub mod rans;

pub use binary::{
    BinaryCoder, BinaryDecoder, BinaryEncoder, BitDecoder, BitEncoder, CostMeter, ideal_cost_bits,
};
pub use range::{AdaptiveFrequencies, MAX_TOTAL, RangeDecoder, RangeEncoder};

/// Errors of the coders in this crate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The decoder needed more bytes than the input holds.
    #[error("arithmetic-coded data is truncated: {missing} byte(s) missing")]
    Truncated {
        /// How many bytes past the end the decoder had to read.
        missing: usize,
    },
    /// A frequency triple that no coder can code: zero frequency, `cum + freq > total`, or a
    /// total of zero or above [`MAX_TOTAL`].
    #[error("invalid frequencies: cum {cum}, freq {freq}, total {total}")]
    InvalidFrequency {
        /// Cumulative frequency of the symbols below.
        cum: u32,
        /// Frequency of the symbol.
        freq: u32,
        /// Total of all frequencies.
        total: u32,
    },
    /// A symbol outside the alphabet of a model.
    #[error("symbol {symbol} outside an alphabet of {alphabet}")]
    SymbolOutOfRange {
        /// The symbol.
        symbol: usize,
        /// The size of the alphabet.
        alphabet: usize,
    },
    /// Coded data (a table, a stream, a field) ends before what it must hold.
    #[error("truncated data: {0}")]
    Incomplete(&'static str),
    /// The coded stream is not valid (for example a range-coder stream whose first byte is
    /// not zero).
    #[error("corrupt coded data: {0}")]
    Corrupt(&'static str),
}

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, Error>;
