//! Bit I/O: a bit writer and a bounds-checked bit reader, MSB-first, with Elias-gamma codes.
//!
//! What a hand-made binary format needs to pack fixed-width fields and gamma-coded integers
//! (graph summaries, tables). The reader never reads past its input: running out is
//! [`Error::Incomplete`] naming the field being read.
//!
//! ```
//! use arith_coder::bits::{BitReader, BitWriter, width_for};
//!
//! let mut w = BitWriter::default();
//! w.gamma(5);
//! w.put(9, width_for(16));
//! w.bit(true);
//! let bytes = w.finish();
//! let mut r = BitReader::new(&bytes);
//! assert_eq!(r.gamma("count")?, 5);
//! assert_eq!(r.get(4, "field")?, 9);
//! assert!(r.bit("flag")?);
//! # Ok::<(), arith_coder::Error>(())
//! ```

use crate::{Error, Result};

/// Appends bits MSB-first into bytes.
#[derive(Default)]
pub struct BitWriter {
    bytes: Vec<u8>,
    acc: u64,
    nacc: u32,
    bits: u64,
}

impl BitWriter {
    /// Appends the low `width` (≤ 64) bits of `value`, most significant first.
    pub fn put(&mut self, value: u64, width: u32) {
        debug_assert!(width <= 64);
        self.bits += u64::from(width);
        let mut width = width;
        while width > 0 {
            let take = width.min(32);
            let chunk = (value >> (width - take)) & ((1u64 << take) - 1);
            self.acc = (self.acc << take) | chunk;
            self.nacc += take;
            width -= take;
            while self.nacc >= 8 {
                self.nacc -= 8;
                self.bytes.push((self.acc >> self.nacc) as u8);
            }
            self.acc &= (1u64 << self.nacc) - 1;
        }
    }

    /// Appends one bit.
    pub fn bit(&mut self, b: bool) {
        self.put(u64::from(b), 1);
    }

    /// Elias gamma code of `x >= 1`.
    pub fn gamma(&mut self, x: u64) {
        debug_assert!(x >= 1);
        let len = 64 - x.leading_zeros();
        self.put(0, len - 1);
        self.put(x, len);
    }

    /// Bits written so far.
    pub fn bits(&self) -> u64 {
        self.bits
    }

    /// The bytes, the last one padded with zero bits.
    pub fn finish(mut self) -> Vec<u8> {
        if self.nacc > 0 {
            let pad = 8 - self.nacc;
            self.put(0, pad);
        }
        self.bytes
    }
}

/// Reads what [`BitWriter`] wrote; never reads past the end.
pub struct BitReader<'a> {
    bytes: &'a [u8],
    pos: u64,
}

impl<'a> BitReader<'a> {
    /// A reader at the first bit of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        BitReader { bytes, pos: 0 }
    }

    /// Bits left to read.
    pub fn remaining(&self) -> u64 {
        self.bytes.len() as u64 * 8 - self.pos
    }

    /// Reads a `width`-bit field (`what` names it in the error).
    pub fn get(&mut self, width: u32, what: &'static str) -> Result<u64> {
        if u64::from(width) > self.remaining() {
            return Err(Error::Incomplete(what));
        }
        let mut v = 0u64;
        for _ in 0..width {
            let byte = self.bytes[(self.pos / 8) as usize];
            let bit = (byte >> (7 - (self.pos % 8))) & 1;
            v = (v << 1) | u64::from(bit);
            self.pos += 1;
        }
        Ok(v)
    }

    /// Reads one bit.
    pub fn bit(&mut self, what: &'static str) -> Result<bool> {
        Ok(self.get(1, what)? == 1)
    }

    /// Reads an Elias gamma code (a value ≥ 1).
    pub fn gamma(&mut self, what: &'static str) -> Result<u64> {
        let mut zeros = 0u32;
        while !self.bit(what)? {
            zeros += 1;
            if zeros > 63 {
                return Err(Error::Corrupt("Elias-gamma code longer than 64 bits"));
            }
        }
        let rest = self.get(zeros, what)?;
        Ok((1u64 << zeros) | rest)
    }
}

/// Bits needed to write any value in `0..range` (0 when `range <= 1`).
pub fn width_for(range: u64) -> u32 {
    if range <= 1 {
        0
    } else {
        64 - (range - 1).leading_zeros()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gamma_and_fixed_roundtrip() {
        let mut w = BitWriter::default();
        let vals = [1u64, 2, 3, 7, 8, 1000, u64::MAX >> 1, u64::MAX];
        for &v in &vals {
            w.gamma(v);
            w.put(v & 0x1f, 5);
            w.put(v, 64);
        }
        let bits = w.bits();
        let bytes = w.finish();
        assert_eq!(bytes.len() as u64, bits.div_ceil(8));
        let mut r = BitReader::new(&bytes);
        for &v in &vals {
            assert_eq!(r.gamma("g").unwrap(), v);
            assert_eq!(r.get(5, "f").unwrap(), v & 0x1f);
            assert_eq!(r.get(64, "f").unwrap(), v);
        }
        assert!(r.get(9, "end").is_err());
        assert_eq!(width_for(1), 0);
        assert_eq!(width_for(2), 1);
        assert_eq!(width_for(5), 3);
        assert_eq!(width_for(8), 3);
    }
}
