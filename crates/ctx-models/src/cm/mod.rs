//! `cm`: the complete bitwise context-mixing coder — level configurations, table sizing,
//! the composed predictor of each level and the block coder — usable with `arith-coder`
//! alone (the `hiercomp` facade only frames its blocks in a container).
//!
//! Each byte is coded as 8 binary decisions along [`hier_tree::BitTree::BYTE`] (through
//! [`code_symbol`], the one loop of costing, encoding and decoding) with a
//! 32-bit binary arithmetic coder ([`arith_coder::BinaryEncoder`], 16-bit probabilities).
//! Levels 1–2 run [`LeanPredictor`], a fixed pipeline built for speed (direct order 1,
//! direct-mapped hashed orders with prefetch, a lean match model, an integer mixer). From
//! level 3 the probability of each bit comes from:
//!
//! 1. order-N hashed context models ([`OrderN`]), N from 0 up to 8 by level,
//!    each slot holding an adaptive probability and a bit history read through a learnt
//!    state map;
//! 2. a word model (current word; + previous word; + two previous words; + the word two
//!    back);
//! 3. from level 5 record (column) contexts and the text-layout model
//!    ([`TextModel`]: line column, enclosing markup element, and what followed
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
//! memory by the input as well as by the level; [`CmConfig::memory`] states it. Blocks over [`LARGE_BLOCK`] bytes
//! use a lower mixer learning rate. The design, the ablation
//! and the measurements are in `docs/methods/cm.md`.
//!
//! # Quick start: compress and decompress with this crate and `arith-coder` only
//! ```
//! use ctx_models::cm::{CmConfig, decode, encode};
//!
//! let text = b"the quick brown fox jumps over the lazy dog; the quick brown fox".repeat(20);
//! let cfg = CmConfig::for_level(5)?;
//! let packed = encode(&text, &cfg, &mut |_| {})?;
//! assert!(packed.len() < text.len() / 10);
//! assert_eq!(decode(&packed, text.len(), &cfg, &mut |_| {})?, text);
//! # Ok::<(), ctx_models::Error>(())
//! ```

mod config;
mod model;

pub use config::{CmConfig, MAX_HIGH_LESS};
pub use model::CmModel;

#[cfg(doc)]
use crate::{Apm, ContextBank, ContextModel, Mixer, OrderN, TextModel, TweedieCalibrator};
use crate::{Error, LeanPredictor, Result, TreePredictor, code_symbol};
use arith_coder::{BinaryDecoder, BinaryEncoder, CostMeter};
use config::history_bits;
use hier_tree::BitTree;

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

/// The tree every byte is coded along.
const BYTES: BitTree = BitTree::BYTE;

impl TreePredictor for LeanPredictor {
    #[inline(always)]
    fn p16(&mut self) -> u32 {
        LeanPredictor::p16(self)
    }
    #[inline(always)]
    fn update(&mut self, bit: bool) {
        LeanPredictor::update(self, bit);
    }
}

/// Runs `$body` with the model of `cfg` for a block of `len` bytes (monomorphised per model).
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

/// The ideal coding cost in bits of `data` under configuration `cfg`, without running the
/// coder: what ablations and tuning measure.
pub fn cost_bits(data: &[u8], cfg: &CmConfig) -> f64 {
    let less = cfg.high_less(data);
    with_model!(cfg, data.len(), less, |model| cost_with(data, &mut model)) + 8.0
}

fn cost_with(data: &[u8], model: &mut impl TreePredictor) -> f64 {
    let mut meter = CostMeter::<16>::default();
    for &byte in data {
        code_symbol(&BYTES, u32::from(byte), model, &mut meter);
    }
    meter.bits()
}

/// Compresses one block of `data` with configuration `cfg`; `progress` receives the number
/// of bytes done so far.
///
/// The payload is one byte — how many times the block's largest tables were halved, see
/// [`CmConfig::high_less`] — then the arithmetic-coded bits. Decode it with [`decode`] and
/// the same configuration.
pub fn encode(data: &[u8], cfg: &CmConfig, progress: &mut dyn FnMut(usize)) -> Result<Vec<u8>> {
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
    model: &mut impl TreePredictor,
    progress: &mut dyn FnMut(usize),
) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(data.len() / 3 + 16);
    out.push(high_less);
    let mut enc = BinaryEncoder::<16>::with_output(out);
    for (i, &byte) in data.iter().enumerate() {
        code_symbol(&BYTES, u32::from(byte), model, &mut enc);
        if (i + 1) % PROGRESS_STEP == 0 {
            progress(i + 1);
        }
    }
    progress(data.len());
    Ok(enc.finish())
}

/// Decompresses one block of `raw_len` bytes coded by [`encode`] with the same `cfg` from
/// exactly `payload`.
///
/// Fails (never panics) on truncated or trailing payload bytes; corrupted payloads decode
/// to wrong bytes, which a caller's checksums catch.
pub fn decode(
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
    model: &mut impl TreePredictor,
    progress: &mut dyn FnMut(usize),
) -> Result<Vec<u8>> {
    let mut dec = BinaryDecoder::<16>::new(payload);
    // Grow with the output instead of trusting `raw_len` up front.
    let mut out = Vec::with_capacity(raw_len.min(1 << 20));
    for i in 0..raw_len {
        out.push(code_symbol(&BYTES, 0, model, &mut dec) as u8);
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
    use super::config::distinct_order8;
    use super::*;

    fn encode_block(data: &[u8], level: u8, p: &mut dyn FnMut(usize)) -> Result<Vec<u8>> {
        encode(data, &CmConfig::for_level(level)?, p)
    }

    fn decode_block(
        payload: &[u8],
        raw_len: usize,
        level: u8,
        p: &mut dyn FnMut(usize),
    ) -> Result<Vec<u8>> {
        decode(payload, raw_len, &CmConfig::for_level(level)?, p)
    }

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

    /// Test data from the workspace's seeded generator.
    fn xorshift(s: u32) -> impl FnMut() -> u32 {
        use rand_xoshiro::rand_core::{RngCore, SeedableRng};
        let mut r = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(u64::from(s));
        move || r.next_u32()
    }

    #[test]
    fn garbage_payloads_never_panic() {
        let mut next = xorshift(0x2545_f491);
        let garbage: Vec<u8> = (0..3000).map(|_| next() as u8).collect();
        for level in MIN_LEVEL..=MAX_LEVEL {
            for len in [0, 1, 100, 5000] {
                // Wrong bytes or an error, never a panic.
                let _ = CmConfig::for_level(level).and_then(|cfg| {
                    decode(&garbage[..len.min(garbage.len())], len, &cfg, &mut |_| {})
                });
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
            let packed = encode(&data, &cfg, &mut |_| {}).unwrap();
            assert!(packed.len() < data.len() / 4, "{}", packed.len());
            let back = decode(&packed, data.len(), &cfg, &mut |_| {}).unwrap();
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
            TreePredictor::hint(&mut hinted, u32::from(byte));
            for k in (0..8).rev() {
                let bit = (byte >> k) & 1 == 1;
                assert_eq!(
                    TreePredictor::p16(&mut hinted),
                    TreePredictor::p16(&mut plain)
                );
                TreePredictor::update(&mut hinted, bit);
                TreePredictor::update(&mut plain, bit);
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

        let packed = encode(&repeated, &cfg, &mut |_| {}).unwrap();
        assert_eq!(packed[0], MAX_HIGH_LESS);
        assert!(packed.len() < 1500, "{}", packed.len());
        let back = decode(&packed, repeated.len(), &cfg, &mut |_| {}).unwrap();
        assert_eq!(back, repeated);
        // The header is checked: an unknown size, or a size at a level that does not
        // resize, is an error; so is a payload without it.
        let mut bad = packed.clone();
        bad[0] = MAX_HIGH_LESS + 1;
        assert!(decode(&bad, repeated.len(), &cfg, &mut |_| {}).is_err());
        let level8 = CmConfig::for_level(8).unwrap();
        assert!(decode(&packed, repeated.len(), &level8, &mut |_| {}).is_err());
        assert!(decode(&[], 0, &cfg, &mut |_| {}).is_err());
    }
}
