//! The lean predictor: a small, fixed context-mixing pipeline built for speed.

use crate::arch::prefetch;
use crate::counter::{AdaptiveMap, slot};
use crate::hashed::{hash64, nibble_slot};
use crate::matcher::len_bucket;
use crate::{Apm, BitPredictor, History, squash, stretch};

/// Bytes hashed by the lean match model to find a match (and its minimum length).
pub const LEAN_MATCH_MIN: usize = 6;

/// Bit position at which the low nibble's lines are prefetched (0‥3).
const PREFETCH_LOW: u32 = 3;
/// Bit position at which the next byte's lines are prefetched (4‥7).
const PREFETCH_NEXT: u32 = 7;

/// Most hashed orders a [`LeanPredictor`] runs.
pub const LEAN_MAX_HASHED: usize = 4;

/// Mixer inputs: order 1, up to four hashed orders, two from the match model, bias.
const N: usize = 8;

/// Configuration of a [`LeanPredictor`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeanConfig {
    /// Orders of the hashed contexts (each 2‥8, at most [`LEAN_MAX_HASHED`]).
    pub hashed: Vec<usize>,
    /// Buckets per hashed table, log2.
    pub table_bits: u32,
    /// Match-model table size, log2 (0 turns the match model off).
    pub match_bits: u32,
    /// Count limit of the slots (at most 63).
    pub limit: u32,
    /// Mixer learning rate, in the units of [`Mixer`](crate::Mixer) (1/16 steps).
    pub lr: i32,
    /// Whether an order-1 APM refines the mixer output.
    pub apm: bool,
    /// Whether the mixer has a second weight set, chosen by the previous byte and the bit
    /// position (≈ 1.3% smaller, ≈ 12% slower).
    pub two_sets: bool,
}

/// The unhashed context of order `o` (3‥8) from the last eight bytes.
#[inline(always)]
fn order_context(o: usize, c4: u32, c8: u32) -> u64 {
    if o <= 4 {
        c4 as u64 & ((1u64 << (8 * o)) - 1)
    } else {
        c4 as u64 | ((c8 as u64 & ((1u64 << (8 * (o - 4))) - 1)) << 32)
    }
}

/// The lean match model: positions of 6-byte contexts, the expected byte while it agrees.
#[derive(Debug, Clone)]
struct LeanMatch {
    table: Vec<u32>,
    shift: u32,
    ptr: usize,
    len: usize,
    /// The expected byte with a leading 1 (`0x100 | byte`), or 0 for none.
    expected: u32,
    map: AdaptiveMap,
}

impl LeanMatch {
    fn new(bits: u32) -> Self {
        let bits = bits.clamp(4, 28);
        let table = vec![0; 1 << bits];
        crate::arch::advise_huge_pages(&table);
        Self {
            table,
            shift: 64 - bits,
            ptr: 0,
            len: 0,
            expected: 0,
            map: AdaptiveMap::new(64 * 2, 1023),
        }
    }

    /// The table index of the context whose last bytes are `c4` and `c8`.
    #[inline(always)]
    fn index(&self, c4: u32, c8: u32) -> usize {
        let key = (c4 as u64) | ((c8 as u64 & 0xffff) << 32);
        (key.wrapping_add(1).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> self.shift) as usize
    }

    fn byte_boundary(&mut self, h: &History) {
        let pos = h.pos();
        if self.len > 0 {
            if h.at(self.ptr) == Some(h.back(1)) {
                self.len = (self.len + 1).min(65_535);
                self.ptr += 1;
            } else {
                self.len = 0;
            }
        }
        if pos >= LEAN_MATCH_MIN {
            let i = self.index(h.c4(), h.c8());
            if self.len == 0 {
                let cand = self.table[i] as usize;
                if cand > 0 && cand < pos {
                    let mut l = 0;
                    while l < 64 && l < cand {
                        match h.at(cand - 1 - l) {
                            Some(b) if b == h.back(l + 1) => l += 1,
                            _ => break,
                        }
                    }
                    if l >= LEAN_MATCH_MIN {
                        self.len = l;
                        self.ptr = cand;
                    }
                }
            }
            self.table[i] = pos as u32;
        }
        self.expected = if self.len > 0 {
            h.at(self.ptr).map_or(0, |b| 0x100 | b as u32)
        } else {
            0
        };
    }

    /// Adds the two match inputs for the next bit; returns the match state: 0 for none,
    /// else 1‥3 by length (under 16, under 32, longer).
    #[inline]
    fn predict(&mut self, h: &History, x: &mut [i32]) -> usize {
        if self.expected != 0 && self.expected >> (8 - h.bit_pos()) != h.c0() {
            self.expected = 0;
        }
        if self.expected == 0 {
            x[0] = 0;
            x[1] = 0;
            return 0;
        }
        let bit = (self.expected >> (7 - h.bit_pos())) & 1;
        let lb = len_bucket(self.len);
        x[0] = stretch(self.map.p(lb * 2 + bit as usize));
        let strength = (lb as i32 * 64).min(1024);
        x[1] = if bit == 1 { strength } else { -strength };
        1 + usize::from(self.len >= 16) + usize::from(self.len >= 32)
    }

    #[inline]
    fn update(&mut self, bit: bool) {
        if self.expected != 0 {
            self.map.update(bit);
        }
    }
}

/// Cache lines of 16 slots, stored XOR [`slot::INIT`] so that a zeroed (lazily mapped)
/// allocation is a table of fresh slots, and aligned to 64 bytes.
#[derive(Debug, Clone)]
struct Lines {
    v: Vec<u32>,
    base: usize,
}

impl Lines {
    fn zeroed(lines: usize) -> Self {
        // One line more than needed, to start on a 64-byte boundary.
        let v = vec![0u32; (lines + 1) * 16];
        // Zeroed memory is mapped lazily: the advice comes before the first write.
        crate::arch::advise_huge_pages(&v);
        let base = (64 - v.as_ptr() as usize % 64) % 64 / 4;
        Self { v, base }
    }

    /// The index of slot 0 of line `line`.
    #[inline(always)]
    fn start(&self, line: usize) -> usize {
        self.base + line * 16
    }

    /// The slot at index `i`.
    #[inline(always)]
    fn get(&self, i: usize) -> u32 {
        self.v[i] ^ slot::INIT
    }

    #[inline(always)]
    fn learn(&mut self, i: usize, bit: bool, limit: u32) {
        let mut s = self.v[i] ^ slot::INIT;
        slot::update_lean(&mut s, bit, limit);
        self.v[i] = s ^ slot::INIT;
    }

    #[inline(always)]
    fn prefetch(&self, i: usize) {
        prefetch(&self.v[i]);
    }
}

/// A hashed table of nibble lines: direct-mapped, slot 0 holds a 32-bit check, a line
/// whose check differs is reset and taken (no probing, so a line's address is known
/// from the hash alone and can be prefetched).
#[derive(Debug, Clone)]
struct HashedLines {
    lines: Lines,
    shift: u32,
}

/// Mixes a context into a hash whose top bits index a table and whose low 32 bits check.
#[inline(always)]
fn mix(x: u64) -> u64 {
    let x = x.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (x ^ (x >> 32)).wrapping_mul(0xd6e8_feb8_6659_fd93)
}

impl HashedLines {
    fn new(bits: u32) -> Self {
        let bits = bits.clamp(4, 26);
        Self {
            lines: Lines::zeroed(1 << bits),
            shift: 64 - bits,
        }
    }

    #[inline(always)]
    fn line_of(&self, hash: u64) -> usize {
        self.lines.start((hash >> self.shift) as usize)
    }

    /// The line of `hash` (its slot-0 index), reset if another context held it.
    #[inline(always)]
    fn claim(&mut self, hash: u64) -> usize {
        let i = self.line_of(hash);
        let check = hash as u32 | 1;
        if self.lines.v[i] != check {
            self.lines.v[i..i + 16].fill(0);
            self.lines.v[i] = check;
        }
        i
    }
}

/// [`LeanPredictor`] is what `cm -l 1` and `-l 2` run. It keeps the ideas of the full
/// pipeline (adaptive slots per tree node, a match model, logistic mixing) but drops
/// everything whose cost per bit is large for what it buys:
///
/// * order 1 is a *direct* table indexed by the previous byte and the partial byte;
/// * up to four orders from 2 up are hashed into tables of 64-byte nibble lines that are
///   *direct-mapped*: a line holds a 32-bit check and the 15 slots of a nibble, and a line
///   whose check differs is simply reset and taken (no probing, no priorities). A line's
///   address then follows from the hash alone, so it is prefetched two ways ahead: at bit
///   3 the two lines the low nibble can need, at bit 7 the two lines each order can need
///   at the next byte (see `arch`). Memory stalls were half of the time before;
/// * the match model hashes the last [`LEAN_MATCH_MIN`] bytes in O(1) from the history's
///   packed bytes (no window walk), and offers the expected bit with a confidence learnt
///   per match length;
/// * the mixer is integer: fixed-size inputs, 16.16 fixed-point weights, one weight set
///   chosen by the partial byte and the match state (and optionally a second one chosen by
///   the previous byte and the bit position), exact on every platform;
/// * optionally an order-1 [`Apm`](crate::Apm) refines the mixed probability.
///
/// Each slot is the crate's [`slot`](crate::slot) format, updated without its bit history (which only
/// the full pipeline's state maps read). Tables store slots XOR [`slot::INIT`](crate::slot::INIT), so that
/// a zeroed allocation (which the allocator maps lazily) is a table of fresh slots.
#[derive(Debug, Clone)]
pub struct LeanPredictor {
    h: History,
    limit: u32,
    o1: Vec<u32>,
    tables: Vec<HashedLines>,
    orders: Vec<usize>,
    seeds: Vec<u64>,
    hashes: [u64; LEAN_MAX_HASHED],
    lines: [usize; LEAN_MAX_HASHED],
    slot: usize,
    matcher: Option<LeanMatch>,
    weights: Vec<[i32; N]>,
    set: usize,
    set2: usize,
    two_sets: bool,
    p1: i32,
    p2: i32,
    x: [i32; N],
    pm: i32,
    lr: i32,
    lr_now: i32,
    apm: Option<Apm>,
    p16: i32,
}

impl LeanPredictor {
    /// A predictor with `cfg`; the history remembers `2^history_bits` bytes.
    pub fn new(cfg: &LeanConfig, history_bits: u32) -> Self {
        let orders: Vec<usize> = cfg
            .hashed
            .iter()
            .take(LEAN_MAX_HASHED)
            .map(|&o| o.clamp(2, 8))
            .collect();
        let w0 = (2 << 16) / (N as i32 - 1);
        let mut w = [w0; N];
        w[N - 1] = 0;
        let mut me = Self {
            h: History::new(history_bits),
            limit: cfg.limit.min(slot::MAX_COUNT),
            o1: vec![0; 1 << 16],
            tables: orders
                .iter()
                .map(|_| HashedLines::new(cfg.table_bits))
                .collect(),
            seeds: orders.iter().map(|&o| hash64(o as u64 + 1)).collect(),
            orders,
            hashes: [0; LEAN_MAX_HASHED],
            lines: [0; LEAN_MAX_HASHED],
            slot: 1,
            matcher: (cfg.match_bits > 0).then(|| LeanMatch::new(cfg.match_bits)),
            weights: vec![w; if cfg.two_sets { 1024 + 2048 } else { 1024 }],
            two_sets: cfg.two_sets,
            set2: 0,
            p1: 2048,
            p2: 2048,
            set: 0,
            x: [0; N],
            pm: 2048,
            lr: cfg.lr.max(1),
            lr_now: 4 * cfg.lr.max(1),
            apm: cfg.apm.then(|| Apm::new(1 << 16, 6)),
            p16: 32768,
        };
        me.byte_boundary();
        me
    }

    /// Model memory in bytes for `cfg` (tables, match model, mixer; the history excluded).
    pub fn memory(cfg: &LeanConfig) -> usize {
        let hashed = cfg.hashed.len().min(LEAN_MAX_HASHED) << (cfg.table_bits.clamp(4, 26) + 6);
        let matcher = if cfg.match_bits > 0 {
            4 << cfg.match_bits.clamp(4, 28)
        } else {
            0
        };
        let apm = if cfg.apm { (1 << 16) * 33 * 2 } else { 0 };
        (1 << 16) * 4 + hashed + matcher + apm + if cfg.two_sets { 3072 } else { 1024 } * N * 4
    }

    /// The coding history.
    pub fn history(&self) -> &History {
        &self.h
    }

    /// The hash of order `k`'s context for the last bytes `c4`, `c8`.
    #[inline(always)]
    fn byte_hash(&self, k: usize, c4: u32, c8: u32) -> u64 {
        mix(order_context(self.orders[k], c4, c8) ^ self.seeds[k])
    }

    /// New contexts after a whole byte.
    fn byte_boundary(&mut self) {
        let (c4, c8) = (self.h.c4(), self.h.c8());
        for k in 0..self.orders.len() {
            self.hashes[k] = self.byte_hash(k, c4, c8);
            self.lines[k] = self.tables[k].claim(self.hashes[k]);
        }
        if let Some(m) = &mut self.matcher {
            m.byte_boundary(&self.h);
        }
        // Decay of the mixer's learning rate, 4× at the start (as in `Mixer`).
        let t = self.h.pos().min(1 << 24) as i64 * 8;
        self.lr_now = self.lr + ((3 * self.lr as i64 * (1 << 17)) / ((1 << 17) + t)) as i32;
    }

    /// `Σ wᵢ·xᵢ` in the stretched domain (16.16 weights), clamped to ±2047.
    #[inline(always)]
    fn dot(w: &[i32; N], x: &[i32; N]) -> i32 {
        let mut dot = 0i64;
        for i in 0..N {
            dot += w[i] as i64 * x[i] as i64;
        }
        (dot >> 16).clamp(-2047, 2047) as i32
    }

    /// One gradient step of a weight set towards `bit`, from its prediction `p` (12-bit):
    /// `w += η·(bit − p)·x` with η = `lr`·2⁻³⁰, as in [`Mixer`](crate::Mixer).
    #[inline(always)]
    fn train(w: &mut [i32; N], x: &[i32; N], bit: bool, p: i32, lr: i32) {
        let err = (((bit as i32) << 12) - p) * lr;
        for i in 0..N {
            w[i] += (x[i] * err) >> 14;
        }
    }

    /// The 16-bit probability (`32..=65503`) that the next bit is 1.
    #[inline]
    pub fn p16(&mut self) -> u32 {
        let h = &self.h;
        let c0 = h.c0();
        let bp = h.bit_pos();
        if bp == 4 {
            for k in 0..self.orders.len() {
                self.lines[k] = self.tables[k].claim(mix(self.hashes[k] ^ c0 as u64));
            }
        } else if bp == PREFETCH_LOW {
            // The low nibble's lines, for every way the high nibble can still end.
            let shift = 4 - PREFETCH_LOW;
            for n in 0..1 << shift {
                let c = (c0 << shift) | n;
                for k in 0..self.orders.len() {
                    let t = &self.tables[k];
                    t.lines.prefetch(t.line_of(mix(self.hashes[k] ^ c as u64)));
                }
            }
        } else if bp == PREFETCH_NEXT {
            // The next byte's lines, for every way this byte can still end.
            let (c4, c8) = (h.c4(), h.c8());
            let c8n = (c8 << 8) | (c4 >> 24);
            let shift = 8 - PREFETCH_NEXT;
            for n in 0..1 << shift {
                let c4n = (c4 << 8) | ((c0 << shift | n) & 255);
                for k in 0..self.orders.len() {
                    let t = &self.tables[k];
                    t.lines.prefetch(t.line_of(self.byte_hash(k, c4n, c8n)));
                }
                if let Some(m) = &self.matcher {
                    prefetch(&m.table[m.index(c4n, c8n)]);
                }
            }
        }
        let ns = nibble_slot(c0, bp);
        self.slot = ns;
        let x = &mut self.x;
        x[0] = stretch(slot::p12(
            self.o1[((h.c4() as usize & 255) << 8) | c0 as usize] ^ slot::INIT,
        ));
        for k in 0..LEAN_MAX_HASHED {
            x[1 + k] = if k < self.orders.len() {
                stretch(slot::p12(self.tables[k].lines.get(self.lines[k] + ns)))
            } else {
                0
            };
        }
        let matching = match &mut self.matcher {
            Some(m) => m.predict(h, &mut x[5..7]),
            None => 0,
        };
        x[7] = 256;
        self.set = (c0 as usize) | (matching << 8);
        let d = Self::dot(&self.weights[self.set], x);
        self.pm = if self.two_sets {
            // A second weight set chosen by the previous byte and the bit position; the
            // two outputs are averaged in the logistic domain, each set learns alone.
            self.set2 = 1024 + (((h.c4() as usize) & 255) << 3 | bp as usize);
            let d2 = Self::dot(&self.weights[self.set2], x);
            self.p1 = squash(d);
            self.p2 = squash(d2);
            squash((d + d2) >> 1)
        } else {
            self.p1 = squash(d);
            self.p1
        };
        self.p16 = match &mut self.apm {
            Some(a) => {
                let pa = a.refine(self.pm, (c0 as usize) | ((h.c4() as usize & 255) << 8));
                (self.pm * 16 + pa * 3) >> 2
            }
            None => self.pm * 16,
        };
        self.p16.clamp(32, 65535 - 32) as u32
    }

    /// Learns the coded bit and moves on to the next.
    #[inline]
    pub fn update(&mut self, bit: bool) {
        Self::train(
            &mut self.weights[self.set],
            &self.x,
            bit,
            self.p1,
            self.lr_now,
        );
        if self.two_sets {
            Self::train(
                &mut self.weights[self.set2],
                &self.x,
                bit,
                self.p2,
                self.lr_now,
            );
        }
        let limit = self.limit;
        let c0 = self.h.c0() as usize;
        let o1 = &mut self.o1[((self.h.c4() as usize & 255) << 8) | c0];
        let mut s = *o1 ^ slot::INIT;
        slot::update_lean(&mut s, bit, limit);
        *o1 = s ^ slot::INIT;
        for k in 0..self.orders.len() {
            self.tables[k]
                .lines
                .learn(self.lines[k] + self.slot, bit, limit);
        }
        if let Some(m) = &mut self.matcher {
            m.update(bit);
        }
        if let Some(a) = &mut self.apm {
            a.update(bit);
        }
        self.h.update(bit);
        if self.h.bit_pos() == 0 {
            self.byte_boundary();
        }
    }
}

impl BitPredictor for LeanPredictor {
    fn p1(&mut self) -> u16 {
        (self.p16() >> 4).clamp(1, 4095) as u16
    }

    fn update(&mut self, bit: bool) {
        LeanPredictor::update(self, bit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learns_repetitive_text() {
        let cfg = LeanConfig {
            hashed: vec![3, 4],
            table_bits: 12,
            match_bits: 12,
            limit: 63,
            lr: 4,
            apm: true,
            two_sets: true,
        };
        let mut m = LeanPredictor::new(&cfg, 16);
        let text = b"the quick brown fox jumps over the lazy dog. ".repeat(40);
        let mut bits = 0.0;
        for &byte in &text {
            for i in (0..8).rev() {
                let bit = (byte >> i) & 1 == 1;
                let p = m.p16() as f64 / 65536.0;
                bits -= if bit { p } else { 1.0 - p }.log2();
                m.update(bit);
            }
        }
        assert!(
            bits / (text.len() as f64) < 0.5,
            "{}",
            bits / text.len() as f64
        );
    }
}
