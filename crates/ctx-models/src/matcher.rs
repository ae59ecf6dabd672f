//! The match model.

use crate::counter::AdaptiveMap;
use crate::{ContextModel, History, Inputs, stretch};

/// Base of the rolling window hashes (odd, so that every byte position counts).
const ROLL_BASE: u64 = 0x100_0000_01b3;

/// Longest match kept in the length count.
const MAX_LEN: usize = 65_535;

/// Positions below this are stored with an 8-bit tag of their window's hash (see
/// `MatchModel::byte_boundary`).
const TAGGED: usize = 1 << 24;

/// Predicts that the byte which followed the last occurrence of the recent context follows
/// again.
///
/// Hashes of the last `min_len` bytes (and of a longer window, tried first) index a table
/// of positions in the history. At each byte boundary the model either extends its current
/// match or looks one up and verifies it backwards; while the predicted byte agrees with
/// the bits coded so far, it offers the predicted bit with a confidence learnt per match
/// length (an adaptive map from length bucket × expected bit to probability).
#[derive(Debug, Clone)]
pub struct MatchModel {
    min_len: usize,
    long_len: usize,
    table: Vec<u32>,
    mask: usize,
    shift: u32,
    /// Rolling hashes of the last `long_len` and `min_len` bytes:
    /// `Σᵢ back(i)·B^(i−1)`, `i = 1‥n`, wrapping.
    roll: [u64; 2],
    /// `B^n` for the two windows.
    pow: [u64; 2],
    ptr: usize,
    len: usize,
    expected: Option<u8>,
    map: AdaptiveMap,
    bucket: usize,
    byte_map: AdaptiveMap,
}

/// Quantizes a match length into 0‥15.
#[inline]
pub(crate) fn len_bucket(len: usize) -> usize {
    match len {
        0 => 0,
        1..=7 => len,
        8..=11 => 8,
        12..=15 => 9,
        16..=23 => 10,
        24..=31 => 11,
        32..=63 => 12,
        64..=127 => 13,
        128..=511 => 14,
        _ => 15,
    }
}

impl MatchModel {
    /// A match model with `2^table_bits` hash entries, matching windows of `min_len` bytes
    /// (and `4·min_len`, tried first).
    pub fn new(table_bits: u32, min_len: usize) -> Self {
        let n = 1usize << table_bits.clamp(4, 28);
        let min_len = min_len.clamp(2, 32);
        let table = vec![0; n];
        crate::arch::advise_huge_pages(&table);
        Self {
            min_len,
            long_len: (4 * min_len).min(64),
            table,
            mask: n - 1,
            shift: 64 - n.trailing_zeros(),
            roll: [0; 2],
            pow: [
                ROLL_BASE.wrapping_pow((4 * min_len).min(64) as u32),
                ROLL_BASE.wrapping_pow(min_len as u32),
            ],
            ptr: 0,
            len: 0,
            expected: None,
            map: AdaptiveMap::new(64 * 2, 1023),
            bucket: 0,
            byte_map: AdaptiveMap::new(4 * 256 * 256, 255),
        }
    }

    /// Memory used, in bytes.
    pub fn memory(&self) -> usize {
        self.table.len() * 4 + 4 * 256 * 256 * 4
    }

    /// The current match length in bytes (0 when there is no match).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there is no current match.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// A small context summarising the match state for mixers and APMs: 0 for no match
    /// (or a mispredicted byte), else 1 + the length bucket (1‥15) capped.
    pub fn state(&self) -> usize {
        if self.expected.is_some() {
            len_bucket(self.len).max(1)
        } else {
            0
        }
    }

    /// The byte predicted for the position being coded, if any.
    pub fn expected_byte(&self) -> Option<u8> {
        self.expected
    }

    /// The rolling hash of window `k` after one more byte `byte` (the window's oldest
    /// byte, `leaving`, drops out).
    #[inline(always)]
    fn rolled(&self, k: usize, byte: u8, leaving: u8) -> u64 {
        (self.roll[k].wrapping_mul(ROLL_BASE) + byte as u64)
            .wrapping_sub((leaving as u64).wrapping_mul(self.pow[k]))
    }

    /// The table slot of window `k` with rolling hash `r`.
    #[inline(always)]
    fn slot(&self, k: usize, r: u64) -> usize {
        ((r ^ k as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> self.shift) as usize & self.mask
    }

    /// [`slot`](Self::slot) and 8 further bits of the same hash (below the index bits).
    #[inline(always)]
    fn slot_and_tag(&self, k: usize, r: u64) -> (usize, u32) {
        let x = (r ^ k as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        (
            (x >> self.shift) as usize & self.mask,
            (x >> (self.shift - 8)) as u32 & 255,
        )
    }

    fn byte_boundary(&mut self, h: &History) {
        let pos = h.pos();
        if self.len > 0 {
            // `ptr` pointed at the byte predicted for the position just coded.
            if h.at(self.ptr) == Some(h.back(1)) {
                self.len = (self.len + 1).min(MAX_LEN);
                self.ptr += 1;
            } else {
                self.len = 0;
            }
        }
        let windows = [self.long_len, self.min_len];
        for (k, &n) in windows.iter().enumerate() {
            // Slide the window over the byte just coded.
            self.roll[k] = self.rolled(k, h.back(1), h.back(n + 1));
        }
        // While positions fit in 24 bits, each entry keeps 8 more bits of its window's
        // hash in its top byte: a lookup whose bits differ is another window, skipped
        // without reading the history at the candidate (a cache miss in a long block).
        let tagged = pos < TAGGED;
        for (k, &n) in windows.iter().enumerate() {
            if pos < n {
                continue;
            }
            let (slot, tag) = self.slot_and_tag(k, self.roll[k]);
            let tag = if tagged { tag << 24 } else { 0 };
            if self.len == 0 {
                let e = self.table[slot];
                let cand = match tagged {
                    true if e >> 24 == tag >> 24 => (e & (TAGGED as u32 - 1)) as usize,
                    true => 0,
                    false => e as usize,
                };
                if cand > 0 && cand < pos {
                    // Verify backwards: how many bytes before `cand` equal those before `pos`.
                    let mut l = 0;
                    while l < 400 && l < cand {
                        match h.at(cand - 1 - l) {
                            Some(b) if b == h.back(l + 1) => l += 1,
                            _ => break,
                        }
                    }
                    if l >= self.min_len {
                        self.len = l;
                        self.ptr = cand;
                    }
                }
            }
            self.table[slot] = pos as u32 | tag;
        }
        self.expected = if self.len > 0 { h.at(self.ptr) } else { None };
    }
}

impl ContextModel for MatchModel {
    fn inputs(&self) -> usize {
        3
    }

    fn predict(&mut self, h: &History, x: &mut Inputs) {
        if h.bit_pos() == 0 {
            self.byte_boundary(h);
        } else if h.bit_pos() == 7 {
            // The table slots of the next byte boundary, for both ways this byte can end.
            for bit in 0..2 {
                let byte = ((h.c0() << 1) | bit) as u8;
                for (k, n) in [self.long_len, self.min_len].into_iter().enumerate() {
                    let slot = self.slot(k, self.rolled(k, byte, h.back(n)));
                    crate::arch::prefetch(&self.table[slot]);
                }
            }
        }
        // The predicted byte (and how long the match is) as a context of its own: learns
        // which bytes follow the prediction when it fails, and how reliable it is per byte.
        let lq = match self.len {
            0 => 0,
            1..=15 => 1,
            16..=31 => 2,
            _ => 3,
        };
        let e = self.expected.map_or(0, |e| e as usize);
        let lq = if self.expected.is_some() { lq } else { 0 };
        x.add(stretch(
            self.byte_map.p((lq * 256 + e) * 256 + h.c0() as usize),
        ));
        if let Some(e) = self.expected {
            let bp = h.bit_pos();
            if (e as u32 | 256) >> (8 - bp) != h.c0() {
                self.expected = None;
            }
        }
        match self.expected {
            Some(e) => {
                let bit = (e >> (7 - h.bit_pos())) & 1;
                self.bucket = len_bucket(self.len) * 2 + bit as usize;
                let p = self.map.p(self.bucket);
                let st = stretch(p);
                x.add(st);
                let strength = (len_bucket(self.len) as i32 * 64).min(1024);
                x.add(if bit == 1 { strength } else { -strength });
            }
            None => {
                x.add(0);
                x.add(0);
            }
        }
    }

    fn update(&mut self, _h: &History, bit: bool) {
        if self.expected.is_some() {
            self.map.update(bit);
        }
        self.byte_map.update(bit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `m` over `data`; at every byte boundary calls `check(pos, &m, &h)` after the
    /// model's bookkeeping of that boundary.
    fn run(m: &mut MatchModel, data: &[u8], mut check: impl FnMut(usize, &MatchModel, &History)) {
        let mut h = History::new(20);
        let mut x = Inputs::with_capacity(3);
        for (pos, &byte) in data.iter().enumerate() {
            for k in (0..8).rev() {
                x.clear();
                m.predict(&h, &mut x);
                if k == 7 {
                    check(pos, m, &h);
                }
                let bit = (byte >> k) & 1 == 1;
                m.update(&h, bit);
                h.update(bit);
            }
        }
    }

    /// A xorshift32 byte generator.
    fn noise(n: usize, mut s: u32) -> Vec<u8> {
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                (s >> 24) as u8
            })
            .collect()
    }

    #[test]
    fn predicts_the_second_copy_of_a_repeat() {
        let part = noise(3000, 7);
        let data = [&part[..], &part[..]].concat();
        let mut m = MatchModel::new(16, 6);
        let (mut right, mut wrong) = (0, 0);
        run(&mut m, &data, |pos, m, _| {
            if pos >= part.len() + 40 {
                match m.expected_byte() {
                    Some(e) if e == data[pos] => right += 1,
                    _ => wrong += 1,
                }
            }
        });
        assert!(wrong == 0 && right > 2900, "right {right}, wrong {wrong}");
    }

    #[test]
    fn reports_only_real_matches_when_its_table_overflows() {
        // A 16-entry table over text with many repeats: most lookups find another window's
        // position (or, with the tag, none); every match reported must be real.
        let words = [
            "alpha ",
            "beta ",
            "gamma ",
            "delta ",
            "alpha beta ",
            "gamma delta ",
        ];
        let data: Vec<u8> = (0..4000)
            .flat_map(|i| words[(i * 7 + i / 3) % words.len()].bytes())
            .collect();
        let mut m = MatchModel::new(4, 6);
        let mut matches = 0;
        run(&mut m, &data, |pos, m, h| {
            if !m.is_empty() && m.expected_byte().is_some() {
                matches += 1;
                let len = m.len().min(pos);
                for l in 1..=len {
                    assert_eq!(h.at(m.ptr - l), Some(h.back(l)), "pos {pos}, length {len}");
                }
            }
        });
        assert!(matches > 1000, "{matches} matches");
    }
}
