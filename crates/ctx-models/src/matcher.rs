//! The match model.

use crate::counter::AdaptiveMap;
use crate::hashed::hash64;
use crate::{ContextModel, History, Inputs, stretch};

/// Longest match kept in the length count.
const MAX_LEN: usize = 65_535;

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
    ptr: usize,
    len: usize,
    expected: Option<u8>,
    map: AdaptiveMap,
    bucket: usize,
    byte_map: AdaptiveMap,
}

/// Quantizes a match length into 0‥15.
#[inline]
fn len_bucket(len: usize) -> usize {
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

    fn window_hash(h: &History, n: usize) -> u64 {
        let mut x = n as u64;
        for i in 1..=n {
            x = x.wrapping_mul(0x100_0000_01b3) ^ h.back(i) as u64;
        }
        hash64(x)
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
        for n in [self.long_len, self.min_len] {
            if pos < n {
                continue;
            }
            let slot = Self::window_hash(h, n) as usize & self.mask;
            if self.len == 0 {
                let cand = self.table[slot] as usize;
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
            self.table[slot] = pos as u32;
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
