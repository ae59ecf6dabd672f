//! Online bit predictors for hiercomp — the modelling half of bitwise context mixing.
//!
//! A byte is coded as 8 binary decisions along [`hier_tree::BitTree::BYTE`]. Before each
//! decision every [`ContextModel`] reads the shared [`History`] and adds its opinion — one
//! or more *stretched* probabilities ([`stretch`]) — to the mixer's [`Inputs`]; a [`Mixer`]
//! combines them with weights learnt online; [`Apm`] stages refine the result under small
//! contexts, and the [`TweedieCalibrator`] corrects what bias is left; an arithmetic coder
//! spends `−log2 p` bits on the actual bit; then every model
//! learns the bit ([`ContextModel::update`]) and the history moves on
//! ([`History::update`]).
//!
//! The models: [`OrderN`] (hashed order-N contexts), [`WordModel`] (current and previous
//! word), [`SparseModel`] (skip contexts), [`RecordModel`] (column contexts of tables and
//! images), [`TextModel`] (line column and markup nesting), [`MatchModel`] (longest recent match). Each is
//! usable alone through [`Standalone`], which turns a model into a [`BitPredictor`].
//! [`LeanPredictor`] is a complete, fixed pipeline built for speed (what `cm -l 1` runs).
//! [`cm`] composes everything into the complete coder of the `cm` method — level
//! configurations, table sizing, the composed predictor and the block coder — usable with
//! `arith-coder` alone; [`code_symbol`] is its bit loop, a symbol walked down a
//! [`hier_tree::SymbolTree`], shared by costing, encoding and decoding.
//! [`ContextBank`] holds many hashed contexts side by side and predicts and learns every
//! bit for all of them at once (what `cm -l 3` to `-l 9` run their contexts through: the
//! models hash, the bank does the rest, with the same results as a [`HashedContext`] each).
//!
//! The crate's only `unsafe` code is in one private module, `arch`: software prefetch,
//! huge-page advice for the big tables, the AVX copies of the mixer's loops and the AVX2
//! loops of the [`ContextBank`] (chosen at run time, bit-identical to the baseline ones).
//! None of it changes a prediction.
//!
//! All arithmetic is fixed point, except the mixer's `f32` sums, which run in a fixed order
//! (see [`Mixer`]): an encoder and a decoder make bit-identical predictions on
//! every platform, which lossless coding requires.
//!
//! # Quick start: an order-2 model predicting text
//! ```
//! use ctx_models::{BitPredictor, OrderN, Standalone};
//!
//! let mut model = Standalone::new(OrderN::new(2, 12, 255));
//! let text = b"abracadabra abracadabra abracadabra";
//! let mut bits = 0.0;
//! for &byte in text {
//!     for i in (0..8).rev() {
//!         let bit = (byte >> i) & 1 == 1;
//!         let p1 = model.p1() as f64 / 4096.0;
//!         bits -= if bit { p1 } else { 1.0 - p1 }.log2();
//!         model.update(bit);
//!     }
//! }
//! // It learns: far fewer than 8 bits per byte.
//! assert!(bits / (text.len() as f64) < 5.0);
//! ```
#![deny(unsafe_code)]
#![deny(missing_docs)]

mod arch;
mod bank;
pub mod cm;
mod coding;
mod counter;
mod hashed;
mod history;
mod lean;
mod logistic;
mod matcher;
mod mixer;
mod record;
mod text;
mod tweedie;
mod word;

pub use arch::advise_huge_pages;
pub use bank::ContextBank;
pub use coding::{TreePredictor, code_symbol};
pub use counter::{
    AdaptiveMap, COUNTER_INIT, MAX_LIMIT, counter_count, counter_p12, counter_p16, counter_update,
    slot,
};
pub use hashed::{ContextTable, HashedContext, INPUTS_PER_CONTEXT, OrderN, hash_combine, hash64};
pub use history::History;
pub use lean::{LEAN_MATCH_MIN, LEAN_MAX_HASHED, LeanConfig, LeanPredictor};
pub use logistic::{squash, stretch};
pub use matcher::MatchModel;
pub use mixer::{Apm, MAX_MIXER_SELECTORS, Mixer};
pub use record::RecordModel;
pub use text::TextModel;
pub use tweedie::{LOGIT_BINS, TweedieCalibrator};
pub use word::{SparseModel, WordModel};

/// Errors of this crate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A model configuration that cannot be built.
    #[error("invalid model configuration: {0}")]
    InvalidConfig(String),
    /// A level that `cm` does not have (see [`cm::CmConfig::for_level`]).
    #[error("cm has no level {0}")]
    InvalidLevel(u8),
    /// Coded data that cannot be decoded.
    #[error("corrupt data: {0}")]
    Corrupt(String),
    /// The arithmetic decoder ran out of input.
    #[error(transparent)]
    Coder(#[from] arith_coder::Error),
}

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, Error>;

/// Predicts one bit at a time and learns from it.
pub trait BitPredictor {
    /// The probability that the next bit is 1, 12-bit (`1..=4095`).
    fn p1(&mut self) -> u16;
    /// Learns the bit that was actually coded and moves on to the next.
    fn update(&mut self, bit: bool);
}

/// A model that contributes stretched predictions to a mixer.
///
/// Protocol per bit: `predict` (the model reads `h`, recomputes its byte contexts when
/// `h.bit_pos() == 0`, and adds exactly [`inputs`](Self::inputs) values), then — after the
/// bit is coded — `update` with the same `h`, then the driver calls `h.update(bit)`.
pub trait ContextModel {
    /// How many inputs [`predict`](Self::predict) adds.
    fn inputs(&self) -> usize;
    /// Optional, before [`predict`](Self::predict) for the same bit: a model may set its
    /// byte contexts here and start its memory lookups (prefetch), so that a driver which
    /// prepares every model before predicting with any overlaps the cache misses of all
    /// models. `predict` gives the same result whether or not `prepare` was called.
    #[inline]
    fn prepare(&mut self, h: &History) {
        let _ = h;
    }
    /// Adds this model's inputs for the next bit.
    fn predict(&mut self, h: &History, x: &mut Inputs);
    /// Learns the coded bit.
    fn update(&mut self, h: &History, bit: bool);
}

/// The mixer inputs of one bit: stretched probabilities, fixed capacity.
#[derive(Debug, Clone)]
pub struct Inputs {
    /// The inputs in `x[..n]`; `x[n..]` is room kept from earlier bits (stale values).
    x: Vec<i32>,
    n: usize,
}

impl Inputs {
    /// Room for `n` inputs plus the mixer's bias.
    pub fn with_capacity(n: usize) -> Self {
        Self {
            x: vec![0; n + 1],
            n: 0,
        }
    }
    /// `k` more inputs, to be written by the caller: `x[n..n + k]`, grown if needed.
    #[inline(always)]
    fn grow(&mut self, k: usize) -> &mut [i32] {
        let (start, end) = (self.n, self.n + k);
        if end > self.x.len() {
            self.x.resize(end, 0);
        }
        self.n = end;
        &mut self.x[start..end]
    }
    /// Adds one stretched value.
    #[inline(always)]
    pub fn add(&mut self, v: i32) {
        if self.n < self.x.len() {
            self.x[self.n] = v;
            self.n += 1;
        } else {
            self.grow(1)[0] = v;
        }
    }
    /// Adds three stretched values: one capacity check instead of three, which lets the
    /// compiler keep a model's state in registers across them (≈ 5% of the time of
    /// `cm -l 9`, whose contexts add three inputs each).
    #[inline(always)]
    pub fn add3(&mut self, v: [i32; 3]) {
        self.grow(3).copy_from_slice(&v);
    }
    /// Adds stretched values.
    #[inline(always)]
    pub fn add_slice(&mut self, v: &[i32]) {
        self.grow(v.len()).copy_from_slice(v);
    }
    /// Adds `n` inputs and returns them to be written in place (what a [`ContextBank`]
    /// does with its inputs, instead of copying them in). Their values are unspecified
    /// (left from earlier bits, not cleared, which would cost a `memset` per bit): the
    /// caller writes every one.
    #[inline(always)]
    pub(crate) fn add_overwritten(&mut self, n: usize) -> &mut [i32] {
        self.grow(n)
    }
    /// Removes all inputs (start of a bit).
    #[inline(always)]
    pub fn clear(&mut self) {
        self.n = 0;
    }
    /// The inputs so far.
    #[inline(always)]
    pub fn as_slice(&self) -> &[i32] {
        &self.x[..self.n]
    }
    /// Number of inputs.
    pub fn len(&self) -> usize {
        self.n
    }
    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }
}

/// Any [`ContextModel`] on its own: its own history, a mixer over its inputs with weights
/// selected by bit position, and the result as a [`BitPredictor`].
#[derive(Debug, Clone)]
pub struct Standalone<M> {
    model: M,
    history: History,
    mixer: Mixer,
    x: Inputs,
}

impl<M: ContextModel> Standalone<M> {
    /// Wraps `model` with a 16 MiB history.
    pub fn new(model: M) -> Self {
        let n = model.inputs();
        Self {
            model,
            history: History::new(24),
            mixer: Mixer::new(n, &[256], 1, 16),
            x: Inputs::with_capacity(n),
        }
    }
    /// The wrapped model.
    pub fn model(&self) -> &M {
        &self.model
    }
}

impl<M: ContextModel> BitPredictor for Standalone<M> {
    fn p1(&mut self) -> u16 {
        self.x.clear();
        self.model.predict(&self.history, &mut self.x);
        self.mixer
            .mix(&mut self.x, &[self.history.c0() as usize], 0)
            .clamp(1, 4095) as u16
    }

    fn update(&mut self, bit: bool) {
        self.mixer.update(&self.x, bit);
        self.model.update(&self.history, bit);
        self.history.update(bit);
    }
}
