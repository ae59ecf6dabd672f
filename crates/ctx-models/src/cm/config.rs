//! What each level of `cm` turns on, and how big its tables are for a block.

use crate::{Error, LeanConfig, LeanPredictor, Result};
#[cfg(doc)]
use {
    super::LARGE_BLOCK,
    crate::{Mixer, RecordModel, SparseModel, TextModel, WordModel},
};

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
            _ => return Err(Error::InvalidLevel(level)),
        })
    }

    /// The [`LeanConfig`] of a fast level for a block of `len` bytes.
    pub(super) fn lean_config(&self, len: usize) -> LeanConfig {
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
    pub(super) fn order_bits(&self, order: usize, len: usize) -> u32 {
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
    pub(super) fn high_bits(&self, len: usize) -> u32 {
        self.bits_for(len, self.table_bits + self.high_extra)
    }

    /// Buckets (log2) of each word table.
    pub(super) fn word_bits(&self, len: usize) -> u32 {
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
    pub(super) fn sparse_bits(&self, len: usize) -> u32 {
        self.bits_for(len, self.table_bits.saturating_sub(self.sparse_less))
    }

    /// Buckets (log2) of each record and text-layout table.
    pub(super) fn side_bits(&self, len: usize) -> u32 {
        self.bits_for(len, self.table_bits)
            .saturating_sub(self.side_less)
            .max(10)
    }

    /// Memory of the hashed context tables for a block of `len` bytes.
    pub(super) fn table_memory(&self, len: usize) -> usize {
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
    pub(super) fn word_count(&self) -> usize {
        (self.word_contexts & 0b1111).count_ones() as usize
    }

    /// Number of record contexts used.
    pub(super) fn record_count(&self) -> usize {
        (self.record_contexts & 0b1111).count_ones() as usize
    }

    /// Number of text-layout contexts used.
    pub(super) fn text_count(&self) -> usize {
        (self.text_contexts & 0b11111).count_ones() as usize
    }

    /// Table size (log2 buckets) for a block of `len` bytes, one bucket per
    /// `2^bucket_bytes` bytes and at most `2^cap`: each byte touches two buckets per
    /// context, but many contexts repeat. One bucket per two bytes gains 0.5% on
    /// Canterbury and 0.35% on Calgary at `-l 9` against one per four (one per byte gains
    /// another 0.2%, at twice the memory); measured with `cm_tune`. Levels 3–8 take one per
    /// two, level 9 one per four, for speed.
    pub(super) fn bits_for(&self, len: usize, cap: u32) -> u32 {
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
pub(super) const HIGH_ORDER: usize = 5;

/// `bits` halved `less` times, at least 2^10 buckets.
pub(super) fn halved(bits: u32, less: u32) -> u32 {
    bits.saturating_sub(less).max(10)
}

/// An estimate of the number of distinct 8-byte strings in `data`, see [`distinct_windows`].
pub(super) fn distinct_order8(data: &[u8]) -> usize {
    distinct_windows::<1>(data)
}

/// An estimate of the number of distinct `8 · W`-byte strings (windows) in `data`: the
/// distinct ones among those whose hash falls in one eighth of the hash space (a bitmap of
/// their hashes, with a first-order correction for bits set twice), times 8.
pub(super) fn distinct_windows<const W: usize>(data: &[u8]) -> usize {
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

pub(super) fn history_bits(len: usize) -> u32 {
    len.max(16)
        .next_power_of_two()
        .trailing_zeros()
        .clamp(4, 30)
}
