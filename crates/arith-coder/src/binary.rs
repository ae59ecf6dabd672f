//! The carry-less binary arithmetic coder.
//!
//! The coder keeps an interval `[x1, x2]` of 32-bit integers. Coding a bit splits the
//! interval at `xmid = x1 + ⌊(x2 − x1)·p1 / 2^PREC⌋`: a 1 keeps `[x1, xmid]`, a 0 keeps
//! `[xmid + 1, x2]`. Whenever the top bytes of `x1` and `x2` agree, that byte is final and
//! is shifted out. No carry can occur, so the encoder writes bytes as soon as they are
//! known. The split uses a 64-bit product, so it is exact for any range and any `PREC ≤ 16`.
//!
//! Flushing writes the four bytes of `x1`; the decoder reads four bytes up front and one
//! per shift, so it consumes exactly the bytes written — a shorter input is detected as
//! truncation, not silently padded.

use crate::{Error, Result};

/// Codes single bits with a given probability of a 1.
///
/// `p1` is `P(bit = 1)` in units of `2^-PRECISION`. Values outside
/// `1 ..= 2^PRECISION − 1` are clamped into it, so that both symbols stay codable.
pub trait BitEncoder {
    /// Fixed-point precision of `p1`, in bits.
    const PRECISION: u32;
    /// Codes `bit` with probability `p1` of a 1.
    fn encode(&mut self, bit: bool, p1: u32);
}

/// Decodes single bits given the same probabilities the encoder used.
pub trait BitDecoder {
    /// Fixed-point precision of `p1`, in bits.
    const PRECISION: u32;
    /// Decodes one bit coded with probability `p1` of a 1.
    fn decode(&mut self, p1: u32) -> bool;
}

/// Either side of a binary coder, seen from a model's loop: an encoder (or the cost meter)
/// codes the caller's bit, a decoder decodes the next one and ignores the caller's; both
/// return the bit that was coded. One generic loop — predict, [`code`](Self::code), learn —
/// then serves costing, encoding and decoding, monomorphised for each.
pub trait BinaryCoder {
    /// Fixed-point precision of `p1`, in bits.
    const PRECISION: u32;
    /// Whether [`code`](Self::code) decodes: a loop may skip what only an encoder needs
    /// (such as finding the bit of a known symbol).
    const DECODES: bool;
    /// Codes `bit` (an encoder) or decodes the next bit (a decoder) with probability `p1`
    /// of a 1; returns the bit.
    fn code(&mut self, bit: bool, p1: u32) -> bool;
}

#[inline(always)]
fn clamp_p<const PREC: u32>(p1: u32) -> u64 {
    p1.clamp(1, (1 << PREC) - 1) as u64
}

#[inline(always)]
fn split<const PREC: u32>(x1: u32, x2: u32, p1: u32) -> u32 {
    let range = (x2 - x1) as u64;
    x1 + ((range * clamp_p::<PREC>(p1)) >> PREC) as u32
}

const fn check_prec(prec: u32) {
    assert!(prec >= 1 && prec <= 16, "PREC must be in 1..=16");
}

/// Carry-less binary arithmetic encoder writing to a `Vec<u8>`.
///
/// `PREC` is the precision of probabilities in bits (12 and 16 are the usual choices).
#[derive(Debug, Clone)]
pub struct BinaryEncoder<const PREC: u32 = 16> {
    x1: u32,
    x2: u32,
    out: Vec<u8>,
}

impl<const PREC: u32> Default for BinaryEncoder<PREC> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const PREC: u32> BinaryEncoder<PREC> {
    const VALID: () = check_prec(PREC);

    /// A new encoder with an empty output buffer.
    pub fn new() -> Self {
        Self::with_output(Vec::new())
    }

    /// A new encoder appending to `out` (which may already hold bytes, e.g. a header).
    pub fn with_output(out: Vec<u8>) -> Self {
        let () = Self::VALID;
        Self {
            x1: 0,
            x2: u32::MAX,
            out,
        }
    }

    /// Bytes written so far (not counting the four flushed by [`finish`](Self::finish)).
    pub fn len(&self) -> usize {
        self.out.len()
    }

    /// Whether nothing has been written yet.
    pub fn is_empty(&self) -> bool {
        self.out.is_empty()
    }

    /// Flushes the final interval and returns the output.
    pub fn finish(mut self) -> Vec<u8> {
        self.out.extend_from_slice(&self.x1.to_be_bytes());
        self.out
    }
}

impl<const PREC: u32> BitEncoder for BinaryEncoder<PREC> {
    const PRECISION: u32 = PREC;

    #[inline]
    fn encode(&mut self, bit: bool, p1: u32) {
        let xmid = split::<PREC>(self.x1, self.x2, p1);
        if bit {
            self.x2 = xmid;
        } else {
            self.x1 = xmid + 1;
        }
        while (self.x1 ^ self.x2) & 0xff00_0000 == 0 {
            self.out.push((self.x2 >> 24) as u8);
            self.x1 <<= 8;
            self.x2 = (self.x2 << 8) | 0xff;
        }
    }
}

impl<const PREC: u32> BinaryCoder for BinaryEncoder<PREC> {
    const PRECISION: u32 = PREC;
    const DECODES: bool = false;
    #[inline(always)]
    fn code(&mut self, bit: bool, p1: u32) -> bool {
        self.encode(bit, p1);
        bit
    }
}

/// Decoder for [`BinaryEncoder`]'s output, reading from a byte slice.
#[derive(Debug, Clone)]
pub struct BinaryDecoder<'a, const PREC: u32 = 16> {
    x1: u32,
    x2: u32,
    x: u32,
    input: &'a [u8],
    pos: usize,
    missing: usize,
}

impl<'a, const PREC: u32> BinaryDecoder<'a, PREC> {
    const VALID: () = check_prec(PREC);

    /// A decoder over `input`, which must start at the first byte the encoder wrote.
    pub fn new(input: &'a [u8]) -> Self {
        let () = Self::VALID;
        let mut d = Self {
            x1: 0,
            x2: u32::MAX,
            x: 0,
            input,
            pos: 0,
            missing: 0,
        };
        for _ in 0..4 {
            d.x = (d.x << 8) | d.next_byte() as u32;
        }
        d
    }

    #[inline(always)]
    fn next_byte(&mut self) -> u8 {
        match self.input.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                b
            }
            None => {
                self.missing += 1;
                0
            }
        }
    }

    /// Bytes of the input consumed so far.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// `Err(Truncated)` if the decoder has already needed bytes past the end of its input.
    ///
    /// Cheap; a decoding loop may call it once per symbol to stop early on bad input.
    #[inline]
    pub fn check(&self) -> Result<()> {
        if self.missing > 0 {
            Err(Error::Truncated {
                missing: self.missing,
            })
        } else {
            Ok(())
        }
    }

    /// Ends decoding: the number of bytes consumed, or `Err(Truncated)`.
    ///
    /// When every bit the encoder coded has been decoded, the count equals the length of
    /// the encoder's output, so a caller can detect trailing bytes too.
    pub fn finish(self) -> Result<usize> {
        self.check().map(|()| self.pos)
    }
}

impl<const PREC: u32> BitDecoder for BinaryDecoder<'_, PREC> {
    const PRECISION: u32 = PREC;

    #[inline]
    fn decode(&mut self, p1: u32) -> bool {
        let xmid = split::<PREC>(self.x1, self.x2, p1);
        let bit = self.x <= xmid;
        if bit {
            self.x2 = xmid;
        } else {
            self.x1 = xmid + 1;
        }
        while (self.x1 ^ self.x2) & 0xff00_0000 == 0 {
            self.x1 <<= 8;
            self.x2 = (self.x2 << 8) | 0xff;
            self.x = (self.x << 8) | self.next_byte() as u32;
        }
        bit
    }
}

impl<const PREC: u32> BinaryCoder for BinaryDecoder<'_, PREC> {
    const PRECISION: u32 = PREC;
    const DECODES: bool = true;
    #[inline(always)]
    fn code(&mut self, _bit: bool, p1: u32) -> bool {
        self.decode(p1)
    }
}

/// The ideal cost in bits of coding `bit` with probability `p1 / 2^prec` of a 1, after
/// the same clamping the coders apply.
pub fn ideal_cost_bits(bit: bool, p1: u32, prec: u32) -> f64 {
    let one = (1u64 << prec) as f64;
    let p = p1.clamp(1, (1 << prec) - 1) as f64 / one;
    if bit { -p.log2() } else { -(1.0 - p).log2() }
}

/// A [`BitEncoder`] that writes nothing and sums the ideal cost of what it is given.
///
/// Lets a model be evaluated (e.g. in an ablation) without running the coder.
#[derive(Debug, Clone, Copy, Default)]
pub struct CostMeter<const PREC: u32 = 16> {
    bits: f64,
    count: u64,
}

impl<const PREC: u32> CostMeter<PREC> {
    /// Total ideal cost so far, in bits.
    pub fn bits(&self) -> f64 {
        self.bits
    }
    /// Number of bits coded so far.
    pub fn count(&self) -> u64 {
        self.count
    }
}

impl<const PREC: u32> BitEncoder for CostMeter<PREC> {
    const PRECISION: u32 = PREC;
    fn encode(&mut self, bit: bool, p1: u32) {
        self.bits += ideal_cost_bits(bit, p1, PREC);
        self.count += 1;
    }
}

impl<const PREC: u32> BinaryCoder for CostMeter<PREC> {
    const PRECISION: u32 = PREC;
    const DECODES: bool = false;
    #[inline(always)]
    fn code(&mut self, bit: bool, p1: u32) -> bool {
        self.encode(bit, p1);
        bit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip<const P: u32>(bits: &[(bool, u32)]) -> (Vec<u8>, f64) {
        let mut enc = BinaryEncoder::<P>::new();
        let mut ideal = 0.0;
        for &(b, p) in bits {
            enc.encode(b, p);
            ideal += ideal_cost_bits(b, p, P);
        }
        let out = enc.finish();
        let mut dec = BinaryDecoder::<P>::new(&out);
        for (i, &(b, p)) in bits.iter().enumerate() {
            assert_eq!(dec.decode(p), b, "bit {i}");
        }
        assert_eq!(dec.finish(), Ok(out.len()));
        (out, ideal)
    }

    #[test]
    fn empty_stream_is_four_bytes() {
        let (out, _) = roundtrip::<16>(&[]);
        assert_eq!(out.len(), 4);
    }

    #[test]
    fn extreme_probabilities_roundtrip() {
        let mut v = Vec::new();
        for i in 0..10_000u32 {
            let p = [0, 1, 65535, 65536, 1 << 20, 32768][i as usize % 6];
            v.push((i % 7 == 0, p));
        }
        roundtrip::<16>(&v);
        let v12: Vec<_> = v.iter().map(|&(b, p)| (b, p >> 4)).collect();
        roundtrip::<12>(&v12);
    }

    #[test]
    fn long_skewed_stream_is_near_ideal() {
        // A deterministic pseudo-random source with well-calibrated probabilities.
        let mut s = 0x1234_5678u32;
        let mut v = Vec::with_capacity(1 << 20);
        for _ in 0..1 << 20 {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            let p = (s >> 16) | 1;
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            let bit = (s >> 16) < p;
            v.push((bit, p));
        }
        let (out, ideal) = roundtrip::<16>(&v);
        let actual = out.len() as f64 * 8.0;
        assert!(actual <= ideal * 1.001 + 64.0, "{actual} vs ideal {ideal}");
    }

    #[test]
    fn truncated_input_is_reported() {
        let bits: Vec<(bool, u32)> = (0..2000).map(|i| (i % 3 == 0, 30000)).collect();
        let mut enc = BinaryEncoder::<16>::new();
        for &(b, p) in &bits {
            enc.encode(b, p);
        }
        let out = enc.finish();
        let cut = &out[..out.len() - 1];
        let mut dec = BinaryDecoder::<16>::new(cut);
        for &(_, p) in &bits {
            dec.decode(p);
        }
        assert!(matches!(dec.finish(), Err(Error::Truncated { .. })));
    }

    #[test]
    fn cost_meter_sums_ideal_cost() {
        let mut m = CostMeter::<12>::default();
        m.encode(true, 2048);
        m.encode(false, 2048);
        assert!((m.bits() - 2.0).abs() < 1e-12);
        assert_eq!(m.count(), 2);
    }
}
