//! Method `cm`: bitwise context mixing.
//!
//! Each byte is coded as 8 binary decisions along [`hier_tree::BitTree::BYTE`] with a
//! 32-bit binary arithmetic coder ([`arith_coder::BinaryEncoder`], 16-bit probabilities).
//! Levels 1–2 run [`LeanPredictor`], a fixed pipeline built for speed (direct order 1,
//! direct-mapped hashed orders with prefetch, a lean match model, an integer mixer). From
//! level 3 the probability of each bit comes from:
//!
//! 1. order-N hashed context models ([`ctx_models::OrderN`]), N from 0 up to 8 by level,
//!    each slot holding an adaptive probability and a bit history read through a learnt
//!    state map;
//! 2. a word model (current word; + previous word; + two previous words; + the word two
//!    back);
//! 3. from level 5 record (column) contexts and the text-layout model
//!    ([`ctx_models::TextModel`]: line column, enclosing markup element, and what followed
//!    the last one and two bytes before), sparse (skip) contexts from level 7;
//! 4. a match model (the byte after the longest recent match, and that byte as a context);
//! 5. a two-layer logistic [`Mixer`] whose first-layer weight sets are selected by the
//!    partial byte, the match state, the previous byte, how many orders know the context,
//!    and the record column (fewer selectors at low levels and at level 9);
//! 6. three [`Apm`] stages under order-0, order-1 and hashed order-2 contexts, averaged
//!    with the mixer output;
//! 7. at levels 6–8, one step of the [`TweedieCalibrator`].
//!
//! At each byte boundary the models of items 1–3 compute their contexts' hashes
//! ([`ContextModel::prepare`]) and hand them to one [`ContextBank`], which holds the slots
//! and state maps of all of them side by side, prefetches their buckets together (so that
//! the cache misses of all models overlap) and predicts and learns every bit for all of
//! them in a few loops (in AVX2 where the CPU has it, with the same results). The
//! encoder, which knows each byte before coding it, tells the model, which then asks for
//! the low nibble's buckets at the byte's first bit and for each next bit's APM rows a bit
//! early; no prediction reads what it was told, so the decoder predicts the same without.
//!
//! Everything is integer arithmetic except the mixer's `f32` sums, which run in a fixed
//! order, so the decoder reproduces every prediction exactly on any platform. Models are
//! rebuilt for each container block, so blocks are independent. Hash tables are sized to
//! the block (one bucket per two bytes, capped by the level; orders 0 and 1 small, orders
//! from 5 up and the word model doubled at level 9, where the tables with few distinct
//! contexts — orders 2 and 3, sparse, record, text layout — are smaller), which bounds
//! memory by the input as
//! well as by the level; [`CmConfig::memory`] states it. Blocks over [`LARGE_BLOCK`] bytes
//! use a lower mixer learning rate. The design, the ablation
//! and the measurements are in `docs/methods/cm.md`.

use crate::{Error, Result};
use arith_coder::{BinaryDecoder, BinaryEncoder, BitDecoder, BitEncoder};
use ctx_models::{
    Apm, ContextBank, ContextModel, History, INPUTS_PER_CONTEXT, Inputs, LeanConfig, LeanPredictor,
    MatchModel, Mixer, OrderN, RecordModel, SparseModel, TextModel, TweedieCalibrator, WordModel,
};

/// Lowest level of `cm`.
pub const MIN_LEVEL: u8 = 1;
/// Highest level of `cm`.
pub const MAX_LEVEL: u8 = 9;
/// The level used when none is given.
pub const DEFAULT_LEVEL: u8 = 5;

/// Blocks longer than this use [`CmConfig::lr_large`].
pub const LARGE_BLOCK: usize = 2 << 20;

/// Progress is reported after every this many bytes.
const PROGRESS_STEP: usize = 1 << 16;

/// What a level turns on, and how big its tables are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CmConfig {
    /// Orders of the hashed context models.
    pub orders: Vec<usize>,
    /// Buckets per context table, log2 (before sizing to the block).
    pub table_bits: u32,
    /// Count limit of the context counters.
    pub limit: u32,
    /// Whether the word model is on.
    pub word: bool,
    /// Which of the word model's four contexts are used, bit `i` for the `i`-th of
    /// [`WordModel::context_hashes`] (word; word + previous word; word + two previous
    /// words; word + the word two back).
    pub word_contexts: u8,
    /// Whether the sparse model is on.
    pub sparse: bool,
    /// The sparse model's patterns (distances back, see [`SparseModel`]).
    pub sparse_patterns: Vec<Vec<usize>>,
    /// Whether the record (column) model is on.
    pub record: bool,
    /// Which of the record model's four contexts are used, bit `i` for the `i`-th of
    /// [`RecordModel::context_hashes`] (byte above; above + left; above + two above;
    /// above + above-right). With none, the model still finds the record length for the
    /// column selector.
    pub record_contexts: u8,
    /// Whether the text-layout model (line column, markup nesting) is on.
    pub text: bool,
    /// Which of the text-layout model's five contexts are used, bit `i` for the `i`-th of
    /// [`TextModel::context_hashes`] (column + last byte; column + last two bytes;
    /// element; the two indirect contexts).
    pub text_contexts: u8,
    /// Match-model hash table size, log2; 0 turns the match model off.
    pub match_bits: u32,
    /// Minimum match length of the match model.
    pub match_min: usize,
    /// Whether the APM stages are on.
    pub apm: bool,
    /// Mixer learning rate.
    pub lr: i32,
    /// Mixer learning rate for blocks of more than [`LARGE_BLOCK`] bytes: long stationary
    /// data (a 10 MB novel) gains from averaging over more bits.
    pub lr_large: i32,
    /// Layer-1 mixer errors (12-bit probability units) too small to train on, see
    /// [`Mixer::with_skip`].
    pub mixer_skip: i32,
    /// Steps of the Tweedie calibrator after the APMs; 0 turns it off.
    pub tweedie: usize,
    /// Whether the order-N models run lean (one input each, no bit-history map).
    pub lean: bool,
    /// Number of mixer weight-set selectors (1‥5): partial byte; match state × known
    /// orders × bit position; previous byte; known orders × bit position; record column ×
    /// bit position.
    pub selectors: usize,
    /// Extra buckets (log2) for the tables of orders 5 and up and of the word model.
    pub high_extra: u32,
    /// Extra buckets (log2) for the word model's tables, on top of `high_extra`.
    pub word_extra: u32,
    /// Input bytes per table bucket, log2: tables get one bucket per `2^bucket_bytes`
    /// bytes of the block, up to their caps.
    pub bucket_bytes: u32,
    /// Fewer buckets (log2) for the sparse tables.
    pub sparse_less: u32,
    /// Fewer buckets (log2) for the tables of orders 2 and 3, which have far fewer
    /// distinct contexts than the table size allows (order 2 at most 65,536 × 17 nibble
    /// contexts, a few thousand in text).
    pub low_less: [u32; 2],
    /// Fewer buckets (log2) for the record and text-layout tables (contexts of a
    /// column, a cell, a markup element: few distinct ones).
    pub side_less: u32,
    /// Whether the tables of orders 5 and up and of the word model are sized to the block's
    /// distinct order-8 contexts as well as to its length (see [`CmConfig::high_less`]):
    /// a redundant block (xml) gets them up to 4× smaller than a text of its length.
    pub sized_to_contexts: bool,
    /// Whether the level runs the dedicated lean pipeline ([`LeanPredictor`]): a direct
    /// order 1, the orders of `orders` above 1 hashed (at most four), the lean match model,
    /// an integer mixer with a second weight set when `selectors > 1`, an order-1 APM when
    /// `apm`; `word`, `sparse`, `record`, `tweedie` and `lean` are ignored.
    pub fast: bool,
}

impl CmConfig {
    /// The configuration of `level` (1‥9).
    pub fn for_level(level: u8) -> Result<Self> {
        let c = |orders: &[usize], table_bits, word, sparse, match_bits, apm| CmConfig {
            record: level >= 5,
            // The Tweedie step measured +0.01–0.02% (see the ablation); level 9, which has
            // a speed target, goes without it.
            tweedie: usize::from((6..=8).contains(&level)),
            text: level >= 5,
            // Level 9 leaves out the four contexts whose removal cost least
            // (`cm_tune` on seven files, each removed alone: 0.03–0.05%; together
            // +0.16%, the first MB of dickens and of xml +0.07%), ≈ 4% of the time each:
            // word + two previous words, the record's byte above and above + left, and
            // the column with the last two bytes.
            word_contexts: if level == 9 { 0b1011 } else { 0b1111 },
            record_contexts: if level == 9 { 0b1100 } else { 0b1111 },
            text_contexts: if level == 9 { 0b11101 } else { 0b11111 },
            lean: level <= 2,
            selectors: match level {
                1 | 2 => 1,
                3 | 4 => 2,
                9 => 3,
                _ => 5,
            },
            orders: orders.to_vec(),
            table_bits,
            limit: 63,
            word,
            sparse,
            match_bits,
            match_min: 6,
            apm,
            lr: if level <= 4 { 4 } else { 2 },
            lr_large: if level <= 4 { 4 } else { 1 },
            // Measured at level 9: 0.12% smaller on Canterbury + Calgary, 0.26% on a mixed
            // set (kennedy.xls 1.8%); see `Mixer::with_skip`.
            mixer_skip: 64,
            // Level 9 trades ratio margin for speed where the targets leave it (see
            // "Levels and memory" in docs/methods/cm.md): tables of orders 5 and 8 and of
            // the word model four times as big, which only large blocks fill (dickens +
            // xml 0.3% smaller), paying for order 6 and the sparse contexts (off at level
            // 9; 16 contexts are two whole 8-lane chunks of the bank's loops), and one
            // bucket per four bytes (8% less time on Calgary; no change on blocks over
            // 4 MiB).
            high_extra: if level == 9 { 2 } else { 0 },
            word_extra: 0,
            // Level 1, the fast level, one per eight: on small files the first touch of
            // its tables and their cache misses are much of its time (whole Calgary,
            // `cm_tune 1`, wall time of alternated runs: one per two → one per four
            // 1.13–1.19 → 0.99–1.02 s, one per four → one per eight 1.15 → 1.03–1.04 s;
            // size +1.7% in all, Canterbury +2.3%; blocks of 2 MiB and more do not change).
            bucket_bytes: match level {
                1 => 3,
                9 => 2,
                _ => 1,
            },
            // Level 9's smaller tables cost, together, +0.09% on Canterbury, +0.11% on
            // Calgary and +0.06% on dickens + xml (text-peers), for half the table memory
            // of a 1 MB block: memory the kernel clears on first touch, 0.35–1.2 s of such
            // a block's 3.5–4.4 s on our VM before, under 0.1 s after.
            sparse_less: if level == 9 { 3 } else { 0 },
            low_less: if level == 9 { [3, 1] } else { [0, 0] },
            side_less: if level == 9 { 2 } else { 0 },
            fast: level <= 2,
            sized_to_contexts: level == 9,
            // The three of the six default patterns that pay most (each of the others
            // gains under 0.03%, and every context costs ≈ 4% of the time at level 9).
            sparse_patterns: vec![vec![4], vec![2, 3], vec![1, 3]],
        };
        Ok(match level {
            // The lean pipeline adapts faster: lower count limit, higher mixer rate
            // (tuned with `cm_tune` on Canterbury and Calgary files).
            1 => CmConfig {
                limit: 20,
                lr: 8,
                lr_large: 8,
                ..c(&[1, 2, 3, 4], 18, false, false, 18, false)
            },
            2 => CmConfig {
                limit: 20,
                lr: 8,
                selectors: 2,
                ..c(&[1, 2, 3, 4, 6], 18, false, false, 18, true)
            },
            3 => c(&[1, 2, 3, 4], 18, true, false, 20, true),
            4 => c(&[0, 1, 2, 3, 4, 6], 18, true, false, 20, true),
            5 => c(&[0, 1, 2, 3, 4, 6], 18, true, false, 22, true),
            6 => c(&[0, 1, 2, 3, 4, 5, 6, 8], 18, true, false, 22, true),
            7 => c(&[0, 1, 2, 3, 4, 5, 6, 8], 18, true, true, 22, true),
            8 => c(&[0, 1, 2, 3, 4, 5, 6, 7, 8], 18, true, true, 22, true),
            // Level 9 has a speed target: orders 6 and 7, the column selector (each ≤ 0.03%
            // on Canterbury and Calgary) and the Tweedie step give way to bigger tables.
            9 => c(&[0, 1, 2, 3, 4, 5, 8], 19, true, false, 22, true),
            _ => {
                return Err(Error::InvalidLevel {
                    method: "cm",
                    level,
                });
            }
        })
    }

    /// The [`LeanConfig`] of a fast level for a block of `len` bytes.
    fn lean_config(&self, len: usize) -> LeanConfig {
        LeanConfig {
            hashed: self.orders.iter().copied().filter(|&o| o > 1).collect(),
            table_bits: self.bits_for(len, self.table_bits),
            match_bits: if self.match_bits > 0 {
                self.bits_for(len, self.match_bits)
            } else {
                0
            },
            limit: self.limit,
            lr: self.lr,
            apm: self.apm,
            two_sets: self.selectors > 1,
        }
    }

    /// Buckets (log2) of the order-`order` table for a block of `len` bytes. Orders 0 and
    /// 1 have at most 17 and 4,352 nibble contexts, so small tables hold them all; orders
    /// from 5 up, whose contexts are the most numerous, get `high_extra` more bits.
    fn order_bits(&self, order: usize, len: usize) -> u32 {
        let tb = self.bits_for(len, self.table_bits);
        match order {
            0 => tb.min(8),
            1 => tb.min(14),
            2 | 3 => tb.saturating_sub(self.low_less[order - 2]).max(10),
            HIGH_ORDER.. => self.high_bits(len),
            _ => tb,
        }
    }

    /// Buckets (log2) of the tables with the most contexts: orders from 5 up and the word
    /// model's.
    fn high_bits(&self, len: usize) -> u32 {
        self.bits_for(len, self.table_bits + self.high_extra)
    }

    /// Buckets (log2) of each word table.
    fn word_bits(&self, len: usize) -> u32 {
        self.bits_for(len, self.table_bits + self.high_extra + self.word_extra)
    }

    /// How many times (0‥[`MAX_HIGH_LESS`]) to halve the tables of orders 5 and up and of
    /// the word model for `data`, where [`sized_to_contexts`](Self::sized_to_contexts):
    /// while half the table still has 1.5 buckets per distinct order-8 context of the block
    /// (counted on a 1/8 sample of the contexts, by their hash), and once more where the
    /// distinct 16-byte contexts are under 1.5 per bucket of the table that leaves. Text
    /// keeps the size its length gives (the first 5.3 MB of dickens has 1.6 M distinct
    /// order-8 contexts, the whole of it 2.5 M: one table of 2^21 buckets); xml, as long,
    /// has 0.58 M (2^20) and only 1.16 M distinct 16-byte contexts (2^19), for 0.15% more
    /// output than at 2^21 and 490 MiB less memory to clear; reymont (0.81 M and 4.0 M)
    /// keeps 2^21, where 2^20 would cost it 0.28%.
    pub fn high_less(&self, data: &[u8]) -> u8 {
        if !self.sized_to_contexts || self.fast || data.len() < 1 << 16 {
            return 0;
        }
        let distinct = distinct_order8(data);
        let mut bits = self.high_bits(data.len());
        let mut less = 0;
        while less < MAX_HIGH_LESS && bits > 10 && 3 * distinct <= 1 << bits {
            bits -= 1;
            less += 1;
        }
        // Once more where even the 16-byte contexts are few (under 1.5 per bucket of the
        // table as it stands): long repeated runs, whose order-8 contexts keep predicting
        // the same bytes.
        if less < MAX_HIGH_LESS && bits > 10 && 2 * distinct_windows::<2>(data) < 3 << bits {
            less += 1;
        }
        less
    }

    /// Buckets (log2) of each sparse table.
    fn sparse_bits(&self, len: usize) -> u32 {
        self.bits_for(len, self.table_bits.saturating_sub(self.sparse_less))
    }

    /// Buckets (log2) of each record and text-layout table.
    fn side_bits(&self, len: usize) -> u32 {
        self.bits_for(len, self.table_bits)
            .saturating_sub(self.side_less)
            .max(10)
    }

    /// Memory of the hashed context tables for a block of `len` bytes.
    fn table_memory(&self, len: usize) -> usize {
        let bucket = |bits: u32| 1usize << (bits + 6);
        let words = if self.word { self.word_count() } else { 0 };
        let others = if self.record { self.record_count() } else { 0 }
            + if self.text { self.text_count() } else { 0 };
        let sparse = if self.sparse {
            self.sparse_patterns.len()
        } else {
            0
        };
        self.orders
            .iter()
            .map(|&o| bucket(self.order_bits(o, len)))
            .sum::<usize>()
            + words * bucket(self.word_bits(len))
            + others * bucket(self.side_bits(len))
            + sparse * bucket(self.sparse_bits(len))
    }

    /// Number of word contexts used.
    fn word_count(&self) -> usize {
        (self.word_contexts & 0b1111).count_ones() as usize
    }

    /// Number of record contexts used.
    fn record_count(&self) -> usize {
        (self.record_contexts & 0b1111).count_ones() as usize
    }

    /// Number of text-layout contexts used.
    fn text_count(&self) -> usize {
        (self.text_contexts & 0b11111).count_ones() as usize
    }

    /// Table size (log2 buckets) for a block of `len` bytes, one bucket per
    /// `2^bucket_bytes` bytes and at most `2^cap`: each byte touches two buckets per
    /// context, but many contexts repeat. One bucket per two bytes gains 0.5% on
    /// Canterbury and 0.35% on Calgary at `-l 9` against one per four (one per byte gains
    /// another 0.2%, at twice the memory); measured with `cm_tune`. Levels 3–8 take one per
    /// two, level 9 one per four, for speed.
    fn bits_for(&self, len: usize, cap: u32) -> u32 {
        let need = (len >> self.bucket_bytes.min(30))
            .max(1)
            .next_power_of_two()
            .trailing_zeros();
        cap.min(need).max(10)
    }

    /// Peak model memory in bytes for a block of `len` bytes (tables, history, mixer).
    pub fn memory(&self, len: usize) -> usize {
        if self.fast {
            return LeanPredictor::memory(&self.lean_config(len)) + (1usize << history_bits(len));
        }
        let tables = self.table_memory(len);
        let matcher = if self.match_bits > 0 {
            // position table + the match-byte map
            (4usize << self.bits_for(len, self.match_bits)) + (1 << 20)
        } else {
            0
        };
        let history = 1usize << history_bits(len);
        let apm = if self.apm {
            (256 + 2 * 65536) * 33 * 2
        } else {
            0
        };
        tables + matcher + history + apm + (1 << 20)
    }
}

/// The most [`CmConfig::high_less`] can be (also what a decoder accepts).
pub const MAX_HIGH_LESS: u8 = 2;

/// The lowest order whose table is one of the "high" tables (`high_extra`, `high_less`).
const HIGH_ORDER: usize = 5;

/// `bits` halved `less` times, at least 2^10 buckets.
fn halved(bits: u32, less: u32) -> u32 {
    bits.saturating_sub(less).max(10)
}

/// An estimate of the number of distinct 8-byte strings in `data`, see [`distinct_windows`].
fn distinct_order8(data: &[u8]) -> usize {
    distinct_windows::<1>(data)
}

/// An estimate of the number of distinct `8 · W`-byte strings (windows) in `data`: the
/// distinct ones among those whose hash falls in one eighth of the hash space (a bitmap of
/// their hashes, with a first-order correction for bits set twice), times 8.
fn distinct_windows<const W: usize>(data: &[u8]) -> usize {
    const BITS: u32 = 22;
    let mut seen = vec![0u64; 1 << (BITS - 6)];
    let mut set = 0usize;
    for w in data.windows(8 * W) {
        let mut h = 0u64;
        for part in w.chunks_exact(8) {
            let v = u64::from_le_bytes(part.try_into().expect("8 bytes"));
            h = (h ^ v).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
        if h >> 61 != 0 {
            continue;
        }
        let b = (h >> (61 - BITS)) as usize & ((1 << BITS) - 1);
        let (word, bit) = (b >> 6, 1u64 << (b & 63));
        set += usize::from(seen[word] & bit == 0);
        seen[word] |= bit;
    }
    // Bits set by two strings: ≈ set² / (2 · 2^BITS).
    8 * (set + set * set / (2 << BITS))
}

fn history_bits(len: usize) -> u32 {
    len.max(16)
        .next_power_of_two()
        .trailing_zeros()
        .clamp(4, 30)
}

/// A block model: predicts each bit (16-bit probability), then learns it.
trait BlockModel {
    /// The byte about to be coded, where the caller knows it (the encoder): lets the model
    /// prefetch exactly what it will need. Never changes a prediction.
    fn hint(&mut self, _byte: u8) {}
    fn p(&mut self) -> u32;
    fn update(&mut self, bit: bool);
}

impl BlockModel for LeanPredictor {
    #[inline(always)]
    fn p(&mut self) -> u32 {
        self.p16()
    }
    #[inline(always)]
    fn update(&mut self, bit: bool) {
        LeanPredictor::update(self, bit);
    }
}

impl BlockModel for CmModel {
    #[inline(always)]
    fn hint(&mut self, byte: u8) {
        self.hint = Some(byte);
    }
    #[inline(always)]
    fn p(&mut self) -> u32 {
        CmModel::p(self)
    }
    #[inline(always)]
    fn update(&mut self, bit: bool) {
        CmModel::update(self, bit);
    }
}

/// Runs `f` with the model of `cfg` for a block of `len` bytes (monomorphised per model).
macro_rules! with_model {
    ($cfg:expr, $len:expr, $less:expr, |$m:ident| $body:expr) => {{
        let (cfg, len) = ($cfg, $len);
        if cfg.fast {
            let mut $m = LeanPredictor::new(&cfg.lean_config(len), history_bits(len));
            $body
        } else {
            let mut $m = CmModel::new(cfg, len, $less);
            $body
        }
    }};
}

/// Table size (log2 buckets) of a model whose contexts live in the [`ContextBank`]: the
/// model only computes their hashes.
const BANKED: u32 = 2;

/// The composed model of one block.
struct CmModel {
    h: History,
    orders: Vec<OrderN>,
    /// Whether the order contexts are in `bank` (not with lean orders, which add one input
    /// each and predict on their own).
    banked_orders: bool,
    /// The slots of every hashed context — orders (when banked), word, sparse, record,
    /// text layout, in this order — predicted and updated together.
    bank: ContextBank,
    /// For each context the models hash (orders when banked, word, sparse, record, text
    /// layout, in this order), whether it is in the bank.
    in_bank: Vec<bool>,
    word: Option<WordModel>,
    sparse: Option<SparseModel>,
    record: Option<RecordModel>,
    text: Option<TextModel>,
    matcher: Option<MatchModel>,
    mixer: Mixer,
    apm: Option<(Apm, Apm, Apm)>,
    tweedie: Option<TweedieCalibrator>,
    x: Inputs,
    column: usize,
    /// Whether the contexts of the current byte are set (by `update` of the last bit).
    prepared: bool,
    /// The bank's contexts of the orders from 2 up (bit `i` for context `i`), whose known
    /// slots are counted for a mixer selector, when the orders are banked.
    known_mask: u32,
    /// The last byte, and the last two bytes placed for the APM contexts (`c1 << 8`,
    /// `c1 << 8 ^ c2 << 16`): set at each byte boundary.
    c1: usize,
    c12: [usize; 2],
    /// The byte being coded, where the encoder said it ([`BlockModel::hint`]): what to
    /// prefetch early. Never read by a prediction.
    hint: Option<u8>,
}

impl CmModel {
    fn new(cfg: &CmConfig, len: usize, high_less: u8) -> Self {
        let high_less = u32::from(high_less.min(MAX_HIGH_LESS));
        let banked_orders = !cfg.lean;
        let orders: Vec<OrderN> = cfg
            .orders
            .iter()
            .map(|&o| {
                if cfg.lean {
                    OrderN::lean(o, cfg.order_bits(o, len), cfg.limit)
                } else {
                    OrderN::new(o, BANKED, cfg.limit)
                }
            })
            .collect();
        // The bank's tables, one per context, in the order of the inputs.
        let mut bits = Vec::new();
        let mut in_bank = Vec::new();
        let mut take = |mask: u8, n: usize, b: u32| {
            for i in 0..n {
                let used = mask >> i & 1 == 1;
                in_bank.push(used);
                if used {
                    bits.push(b);
                }
            }
        };
        if banked_orders {
            for &o in &cfg.orders {
                let b = cfg.order_bits(o, len);
                take(
                    1,
                    1,
                    if o >= HIGH_ORDER {
                        halved(b, high_less)
                    } else {
                        b
                    },
                );
            }
        }
        let word = cfg.word.then(|| {
            take(cfg.word_contexts, 4, halved(cfg.word_bits(len), high_less));
            WordModel::new(BANKED, cfg.limit)
        });
        let sparse = cfg.sparse.then(|| {
            for _ in &cfg.sparse_patterns {
                take(1, 1, cfg.sparse_bits(len));
            }
            SparseModel::new(cfg.sparse_patterns.clone(), BANKED, cfg.limit)
        });
        let record = cfg.record.then(|| {
            take(cfg.record_contexts, 4, cfg.side_bits(len));
            RecordModel::new(BANKED, cfg.limit)
        });
        let text = cfg.text.then(|| {
            take(cfg.text_contexts, 5, cfg.side_bits(len));
            TextModel::new(BANKED, cfg.limit)
        });
        let bank = ContextBank::new(&bits, cfg.limit);
        let matcher = (cfg.match_bits > 0)
            .then(|| MatchModel::new(cfg.bits_for(len, cfg.match_bits), cfg.match_min));
        // Every banked context adds `INPUTS_PER_CONTEXT` inputs; lean orders predict alone.
        let mut n = bank.len() * INPUTS_PER_CONTEXT;
        if !banked_orders {
            n += orders.iter().map(ContextModel::inputs).sum::<usize>();
        }
        n += matcher.as_ref().map_or(0, ContextModel::inputs);
        Self {
            h: History::new(history_bits(len)),
            orders,
            banked_orders,
            bank,
            in_bank,
            word,
            sparse,
            record,
            text,
            matcher,
            mixer: Mixer::new(
                n,
                &[256, 16 * 8 * 8, 256, 16 * 8, 64 * 8][..cfg.selectors.clamp(1, 5)],
                16,
                if len > LARGE_BLOCK {
                    cfg.lr_large
                } else {
                    cfg.lr
                },
            )
            .with_skip(cfg.mixer_skip),
            apm: cfg
                .apm
                .then(|| (Apm::new(256, 6), Apm::new(65536, 5), Apm::new(65536, 5))),
            tweedie: (cfg.tweedie > 0).then(|| TweedieCalibrator::new(cfg.tweedie, 3, 1 << 14)),
            x: Inputs::with_capacity(n),
            column: 0,
            prepared: false,
            known_mask: if banked_orders {
                (cfg.orders.iter().enumerate())
                    .filter(|&(i, &o)| o >= 2 && i < 32)
                    .fold(0, |m, (i, _)| m | 1 << i)
            } else {
                0
            },
            c1: 0,
            c12: [0; 2],
            hint: None,
        }
    }

    /// At a byte boundary: every model hashes its contexts from the history and the bank
    /// takes the hashes (and prefetches their buckets).
    fn set_contexts(&mut self) {
        let h = &self.h;
        let (bank, in_bank) = (&mut self.bank, &self.in_bank[..]);
        // `k` walks the contexts in the order of `in_bank`, `i` the bank's contexts.
        let (mut k, mut i) = (0, 0);
        let mut put = |hash: u64| {
            if in_bank.get(k).copied().unwrap_or(false) {
                bank.set_context(i, hash);
                i += 1;
            }
            k += 1;
        };
        if self.banked_orders {
            for m in &self.orders {
                put(OrderN::context_hash(m.order(), h));
            }
        } else {
            for m in &mut self.orders {
                m.prepare(h);
            }
        }
        // The other models, each of its own type, in the order of `in_bank`.
        macro_rules! hash_model {
            ($($m:ident),*) => {$(
                if let Some(m) = &mut self.$m {
                    m.prepare(h);
                    m.context_hashes().for_each(&mut put);
                }
            )*};
        }
        hash_model!(word, sparse, record, text);
    }

    /// The contexts of the order-1 and hashed order-2 APMs for the partial byte `c0` of
    /// the current byte.
    #[inline(always)]
    fn apm_contexts(&self, c0: usize) -> [usize; 2] {
        [
            c0 | self.c12[0],
            (c0 ^ self.c12[1]).wrapping_mul(0x9e37) >> 8,
        ]
    }

    /// The 16-bit probability that the next bit is 1.
    #[inline]
    fn p(&mut self) -> u32 {
        // At a byte boundary every model hashes its contexts and the bank prefetches all
        // their buckets before any lookup, so that the cache misses overlap. This normally
        // happens in `update` of the byte's last bit, before the rest of its learning, so
        // that the misses also overlap that work; here only for the first byte.
        if self.h.bit_pos() == 0 {
            if !self.prepared {
                self.set_contexts();
            }
            self.prepared = false;
            let (c1, c2) = (self.h.back(1) as usize, self.h.back(2) as usize);
            self.c1 = c1;
            self.c12 = [c1 << 8, (c1 << 8) ^ (c2 << 16)];
        }
        let h = &self.h;
        self.x.clear();
        let c0 = h.c0() as usize;
        let c1 = self.c1;
        let apm_cx = self.apm_contexts(c0);
        if let Some((_, a2, a3)) = &self.apm {
            // Their rows are needed after mixing: ask for them now; the encoder, which
            // knows the byte, asks for the next bit's rows a bit early.
            match self.hint {
                Some(byte) => {
                    if h.bit_pos() == 0 {
                        a2.prefetch(apm_cx[0]);
                        a3.prefetch(apm_cx[1]);
                    }
                    if h.bit_pos() < 7 {
                        // The partial byte of the next bit.
                        let next = self.apm_contexts((byte as usize | 256) >> (7 - h.bit_pos()));
                        a2.prefetch(next[0]);
                        a3.prefetch(next[1]);
                    }
                }
                None => {
                    a2.prefetch(apm_cx[0]);
                    a3.prefetch(apm_cx[1]);
                }
            }
        }
        // The buckets the low nibble will use: the encoder knows them at the first bit;
        // the decoder asks at bit 3 for both ways the nibble can still go.
        match self.hint {
            Some(byte) if h.bit_pos() == 0 => {
                self.bank.prefetch_known_nibble(16 | u32::from(byte >> 4));
            }
            None if h.bit_pos() == 3 => self.bank.prefetch_nibble(h),
            _ => {}
        }
        if h.bit_pos() == 3 && !self.banked_orders {
            for m in &mut self.orders {
                m.prepare(h);
            }
        }
        if !self.banked_orders {
            for m in &mut self.orders {
                m.predict(h, &mut self.x);
            }
        }
        self.bank.predict(h, &mut self.x);
        let mstate = match &mut self.matcher {
            Some(m) => {
                m.predict(h, &mut self.x);
                m.state()
            }
            None => 0,
        };
        let known = if self.banked_orders {
            self.bank.known_count(self.known_mask) as usize
        } else {
            self.orders
                .iter()
                .filter(|o| o.order() >= 2 && o.known())
                .count()
        };
        // Column within the detected record (0 without one), with the bit position; a
        // division, so once per byte.
        if h.bit_pos() == 0 {
            self.column = match &self.record {
                Some(r) if r.record_len() > 0 => 1 + (h.pos() % r.record_len()).min(62),
                _ => 0,
            };
        }
        let column = self.column;
        let ctxs = [
            c0,
            (mstate * 8 + known.min(7)) * 8 + h.bit_pos() as usize,
            c1,
            known.min(15) * 8 + h.bit_pos() as usize,
            column * 8 + h.bit_pos() as usize,
        ];
        let pm = self.mixer.mix(&mut self.x, &ctxs, mstate);
        let p16 = match &mut self.apm {
            Some((a1, a2, a3)) => {
                // The APMs take the mixer's output before it was squashed.
                let st = self.mixer.st();
                let p1 = a1.refine_stretched(st, c0);
                let p2 = a2.refine_stretched(st, apm_cx[0]);
                let p3 = a3.refine_stretched(st, apm_cx[1]);
                (pm * 16 + p1 + p2 * 3 + p3 * 3) >> 3
            }
            None => pm * 16,
        };
        let p16 = match &mut self.tweedie {
            Some(t) => {
                // Agreement class: no match prediction, match agrees with p, or disagrees.
                let bp = self.h.bit_pos();
                let class = match self.matcher.as_ref().and_then(MatchModel::expected_byte) {
                    Some(e) if (e >> (7 - bp)) & 1 == u8::from(p16 >= 32768) => 1,
                    Some(_) => 2,
                    None => 0,
                };
                t.refine(p16, bp, class)
            }
            None => p16,
        };
        p16.clamp(32, 65535 - 32) as u32
    }

    #[inline]
    fn update(&mut self, bit: bool) {
        if let Some(m) = &mut self.matcher {
            m.update(&self.h, bit);
        }
        let last_bit = self.h.bit_pos() == 7;
        self.h.update(bit);
        if last_bit {
            // The next byte's buckets are asked for before the rest of the learning.
            self.set_contexts();
            self.prepared = true;
        }
        let h = &self.h;
        self.mixer.update(&self.x, bit);
        if !self.banked_orders {
            for m in &mut self.orders {
                m.update(h, bit);
            }
        }
        self.bank.update(bit);
        if let Some((a1, a2, a3)) = &mut self.apm {
            a1.update(bit);
            a2.update(bit);
            a3.update(bit);
        }
        if let Some(t) = &mut self.tweedie {
            t.update(bit);
        }
    }
}

/// Compresses one block at `level`; `progress` receives the number of bytes done so far.
///
/// The payload is one byte — how many times the block's largest tables were halved, see
/// [`CmConfig::high_less`] — then the arithmetic-coded bits.
pub fn encode_block(data: &[u8], level: u8, progress: &mut dyn FnMut(usize)) -> Result<Vec<u8>> {
    encode_block_with(data, &CmConfig::for_level(level)?, progress)
}

/// The ideal coding cost in bits of `data` under configuration `cfg`, without running the
/// coder: what ablations and tuning measure.
pub fn cost_bits(data: &[u8], cfg: &CmConfig) -> f64 {
    let less = cfg.high_less(data);
    with_model!(cfg, data.len(), less, |model| cost_with(data, &mut model)) + 8.0
}

fn cost_with(data: &[u8], model: &mut impl BlockModel) -> f64 {
    let mut meter = arith_coder::CostMeter::<16>::default();
    for &byte in data {
        model.hint(byte);
        for k in (0..8).rev() {
            let bit = (byte >> k) & 1 == 1;
            meter.encode(bit, model.p());
            model.update(bit);
        }
    }
    meter.bits()
}

/// Compresses one block with an explicit configuration (for experiments; the container
/// only records levels, so decode with [`decode_block_with`] and the same `cfg`).
pub fn encode_block_with(
    data: &[u8],
    cfg: &CmConfig,
    progress: &mut dyn FnMut(usize),
) -> Result<Vec<u8>> {
    // The payload starts with the table size chosen for this block (see
    // `CmConfig::high_less`): a decoder cannot count the contexts before decoding them.
    let less = cfg.high_less(data);
    with_model!(cfg, data.len(), less, |model| encode_with(
        data, less, &mut model, progress
    ))
}

fn encode_with(
    data: &[u8],
    high_less: u8,
    model: &mut impl BlockModel,
    progress: &mut dyn FnMut(usize),
) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(data.len() / 3 + 16);
    out.push(high_less);
    let mut enc = BinaryEncoder::<16>::with_output(out);
    for (i, &byte) in data.iter().enumerate() {
        model.hint(byte);
        for k in (0..8).rev() {
            let bit = (byte >> k) & 1 == 1;
            enc.encode(bit, model.p());
            model.update(bit);
        }
        if (i + 1) % PROGRESS_STEP == 0 {
            progress(i + 1);
        }
    }
    progress(data.len());
    Ok(enc.finish())
}

/// Decompresses one block of `raw_len` bytes coded at `level` from exactly `payload`.
///
/// Fails (never panics) on truncated or trailing payload bytes; corrupted payloads decode
/// to wrong bytes, which the container's checksums catch.
pub fn decode_block(
    payload: &[u8],
    raw_len: usize,
    level: u8,
    progress: &mut dyn FnMut(usize),
) -> Result<Vec<u8>> {
    decode_block_with(payload, raw_len, &CmConfig::for_level(level)?, progress)
}

/// Decompresses one block coded by [`encode_block_with`] with the same `cfg`.
pub fn decode_block_with(
    payload: &[u8],
    raw_len: usize,
    cfg: &CmConfig,
    progress: &mut dyn FnMut(usize),
) -> Result<Vec<u8>> {
    let Some((&less, payload)) = payload.split_first() else {
        return Err(Error::Corrupt("cm payload is empty".into()));
    };
    if less > MAX_HIGH_LESS || (less > 0 && !cfg.sized_to_contexts) {
        return Err(Error::Corrupt(format!(
            "cm payload asks for tables {less} times halved"
        )));
    }
    with_model!(cfg, raw_len, less, |model| decode_with(
        payload, raw_len, &mut model, progress
    ))
}

fn decode_with(
    payload: &[u8],
    raw_len: usize,
    model: &mut impl BlockModel,
    progress: &mut dyn FnMut(usize),
) -> Result<Vec<u8>> {
    let mut dec = BinaryDecoder::<16>::new(payload);
    // Grow with the output instead of trusting `raw_len` up front.
    let mut out = Vec::with_capacity(raw_len.min(1 << 20));
    for i in 0..raw_len {
        let mut c = 1u32;
        for _ in 0..8 {
            let bit = dec.decode(model.p());
            model.update(bit);
            c = (c << 1) | bit as u32;
        }
        out.push(c as u8);
        if (i + 1) % 4096 == 0 {
            dec.check()?;
        }
        if (i + 1) % PROGRESS_STEP == 0 {
            progress(i + 1);
        }
    }
    let used = dec.finish()?;
    if used != payload.len() {
        return Err(Error::Corrupt(format!(
            "cm payload has {} trailing byte(s)",
            payload.len() - used
        )));
    }
    progress(raw_len);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_per_level_is_bounded() {
        let block = 16 << 20;
        let mut last = 0;
        for level in MIN_LEVEL..=MAX_LEVEL {
            let m = CmConfig::for_level(level).unwrap().memory(block);
            assert!(m >= last, "memory grows with the level");
            assert!(m <= 1 << 30, "level {level}: {} MiB", m >> 20);
            last = m;
        }
        // Small inputs get small tables.
        assert!(CmConfig::for_level(9).unwrap().memory(4096) < 16 << 20);
        // Contexts left out take no table.
        let all = CmConfig {
            word_contexts: 0b1111,
            record_contexts: 0b1111,
            text_contexts: 0b11111,
            ..CmConfig::for_level(9).unwrap()
        };
        let nine = CmConfig::for_level(9).unwrap();
        assert!(nine.memory(block) < all.memory(block));
        assert_eq!(
            all.memory(block) - nine.memory(block),
            (1 << (all.word_bits(block) + 6)) + 3 * (1 << (all.side_bits(block) + 6))
        );
        assert!(CmConfig::for_level(0).is_err() && CmConfig::for_level(10).is_err());
    }

    /// A xorshift32 generator of test data.
    fn xorshift(mut s: u32) -> impl FnMut() -> u32 {
        move || {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            s
        }
    }

    #[test]
    fn garbage_payloads_never_panic() {
        let mut next = xorshift(0x2545_f491);
        let garbage: Vec<u8> = (0..3000).map(|_| next() as u8).collect();
        for level in MIN_LEVEL..=MAX_LEVEL {
            for len in [0, 1, 100, 5000] {
                // Wrong bytes or an error, never a panic.
                let _ = decode_block(&garbage[..len.min(garbage.len())], len, level, &mut |_| {});
            }
        }
    }

    #[test]
    fn context_masks_roundtrip() {
        // Every model on with none of its contexts, and with some, codes losslessly.
        let data = b"<a><b>12,34,56\n78,90,12\n</b></a> the cat sat on the mat ".repeat(30);
        for (w, r, t) in [(0, 0, 0), (0b0101, 0b1010, 0b10101)] {
            let cfg = CmConfig {
                word_contexts: w,
                record_contexts: r,
                text_contexts: t,
                ..CmConfig::for_level(9).unwrap()
            };
            let packed = encode_block_with(&data, &cfg, &mut |_| {}).unwrap();
            assert!(packed.len() < data.len() / 4, "{}", packed.len());
            let back = decode_block_with(&packed, data.len(), &cfg, &mut |_| {}).unwrap();
            assert_eq!(back, data);
        }
    }

    #[test]
    fn lean_levels_roundtrip() {
        let data: Vec<u8> = (0..20_000u32)
            .map(|i| (i * 7 % 251) as u8 ^ (i / 1000) as u8)
            .chain(b"the quick brown fox ".repeat(200))
            .collect();
        for level in [1, 2] {
            let packed = encode_block(&data, level, &mut |_| {}).unwrap();
            assert!(
                packed.len() < data.len() / 4,
                "level {level}: {}",
                packed.len()
            );
            assert_eq!(
                decode_block(&packed, data.len(), level, &mut |_| {}).unwrap(),
                data
            );
        }
    }

    #[test]
    fn truncated_and_padded_payloads_are_errors() {
        let data = b"abcabcabcabd".repeat(100);
        let packed = encode_block(&data, 4, &mut |_| {}).unwrap();
        assert_eq!(
            decode_block(&packed, data.len(), 4, &mut |_| {}).unwrap(),
            data
        );
        assert!(decode_block(&packed[..packed.len() - 1], data.len(), 4, &mut |_| {}).is_err());
        let mut long = packed.clone();
        long.push(0);
        assert!(decode_block(&long, data.len(), 4, &mut |_| {}).is_err());
    }

    #[test]
    fn the_encoders_hint_changes_no_prediction() {
        // Text with repeats (matches, known contexts) and noise (misses, replacements).
        let mut next = xorshift(77);
        let mut data = b"<item id=\"1\">the cat sat on the mat</item>\n".repeat(200);
        data.extend((0..20_000).map(|_| (next() >> 24) as u8));
        let cfg = CmConfig::for_level(9).unwrap();
        let mut hinted = CmModel::new(&cfg, data.len(), 0);
        let mut plain = CmModel::new(&cfg, data.len(), 0);
        for &byte in &data {
            hinted.hint(byte);
            for k in (0..8).rev() {
                let bit = (byte >> k) & 1 == 1;
                assert_eq!(BlockModel::p(&mut hinted), BlockModel::p(&mut plain));
                BlockModel::update(&mut hinted, bit);
                BlockModel::update(&mut plain, bit);
            }
        }
    }

    #[test]
    fn redundant_blocks_get_smaller_high_tables_and_roundtrip() {
        let cfg = CmConfig::for_level(9).unwrap();
        // 96 kB: a random-looking block has ~96 k distinct order-8 contexts, a 1 kB piece
        // repeated has ~1 k.
        let mut next = xorshift(0x9e37_79b9);
        let noise: Vec<u8> = (0..96 * 1024).map(|_| (next() >> 24) as u8).collect();
        let repeated = noise[..1024].repeat(96);
        assert_eq!(cfg.high_less(&noise), 0);
        assert_eq!(cfg.high_less(&repeated), MAX_HIGH_LESS);
        let est = distinct_order8(&noise);
        assert!((80_000..115_000).contains(&est), "{est}");
        // Other levels never change their tables.
        assert_eq!(CmConfig::for_level(8).unwrap().high_less(&repeated), 0);

        let packed = encode_block_with(&repeated, &cfg, &mut |_| {}).unwrap();
        assert_eq!(packed[0], MAX_HIGH_LESS);
        assert!(packed.len() < 1500, "{}", packed.len());
        let back = decode_block_with(&packed, repeated.len(), &cfg, &mut |_| {}).unwrap();
        assert_eq!(back, repeated);
        // The header is checked: an unknown size, or a size at a level that does not
        // resize, is an error; so is a payload without it.
        let mut bad = packed.clone();
        bad[0] = MAX_HIGH_LESS + 1;
        assert!(decode_block_with(&bad, repeated.len(), &cfg, &mut |_| {}).is_err());
        let level8 = CmConfig::for_level(8).unwrap();
        assert!(decode_block_with(&packed, repeated.len(), &level8, &mut |_| {}).is_err());
        assert!(decode_block_with(&[], 0, &cfg, &mut |_| {}).is_err());
    }
}
