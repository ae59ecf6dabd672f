//! Multi-symbol range coder over cumulative frequencies.
//!
//! The encoder keeps a 33-bit `low` and a 32-bit `range`; a symbol with cumulative
//! frequency `cum` and frequency `freq` out of `total` narrows the range to
//! `⌊range/total⌋·[cum, cum + freq)`. Renormalisation shifts out the top byte whenever
//! `range < 2^24`; a carry out of `low` is propagated through the run of pending `0xFF`
//! bytes (the "cache" technique), so the range never degenerates. `total ≤ 2^16` keeps
//! `⌊range/total⌋ ≥ 2^8`, i.e. every symbol of non-zero frequency stays codable.
//!
//! The stream starts with a zero byte (the empty carry cache) and ends with a four-byte
//! flush; the decoder reads exactly as many bytes as were written.

use crate::{Error, Result};

/// The largest `total` of cumulative frequencies the range coder accepts.
pub const MAX_TOTAL: u32 = 1 << 16;

const TOP: u32 = 1 << 24;

#[inline]
fn check_triple(cum: u32, freq: u32, total: u32) -> Result<()> {
    if freq == 0
        || total == 0
        || total > MAX_TOTAL
        || cum.checked_add(freq).is_none_or(|e| e > total)
    {
        return Err(Error::InvalidFrequency { cum, freq, total });
    }
    Ok(())
}

/// Range encoder writing to a `Vec<u8>`.
#[derive(Debug, Clone)]
pub struct RangeEncoder {
    low: u64,
    range: u32,
    cache: u8,
    cache_size: u64,
    out: Vec<u8>,
}

impl Default for RangeEncoder {
    fn default() -> Self {
        Self::new()
    }
}

impl RangeEncoder {
    /// A new encoder with an empty output buffer.
    pub fn new() -> Self {
        Self::with_output(Vec::new())
    }

    /// A new encoder appending to `out`.
    pub fn with_output(out: Vec<u8>) -> Self {
        Self {
            low: 0,
            range: u32::MAX,
            cache: 0,
            cache_size: 1,
            out,
        }
    }

    /// Codes the symbol occupying `[cum, cum + freq)` of `total`.
    #[inline]
    pub fn encode(&mut self, cum: u32, freq: u32, total: u32) -> Result<()> {
        check_triple(cum, freq, total)?;
        let r = self.range / total;
        self.low += r as u64 * cum as u64;
        self.range = r * freq;
        while self.range < TOP {
            self.range <<= 8;
            self.shift_low();
        }
        Ok(())
    }

    fn shift_low(&mut self) {
        if (self.low as u32) < 0xff00_0000 || (self.low >> 32) != 0 {
            let carry = (self.low >> 32) as u8;
            let mut byte = self.cache;
            loop {
                self.out.push(byte.wrapping_add(carry));
                byte = 0xff;
                self.cache_size -= 1;
                if self.cache_size == 0 {
                    break;
                }
            }
            self.cache = (self.low >> 24) as u8;
        }
        self.cache_size += 1;
        self.low = (self.low & 0x00ff_ffff) << 8;
    }

    /// Flushes and returns the output.
    pub fn finish(mut self) -> Vec<u8> {
        for _ in 0..5 {
            self.shift_low();
        }
        self.out
    }
}

/// Decoder for [`RangeEncoder`]'s output.
#[derive(Debug, Clone)]
pub struct RangeDecoder<'a> {
    code: u32,
    range: u32,
    r: u32,
    input: &'a [u8],
    pos: usize,
    missing: usize,
}

impl<'a> RangeDecoder<'a> {
    /// A decoder over `input`. Fails if the stream does not start with the zero byte every
    /// [`RangeEncoder`] stream starts with.
    pub fn new(input: &'a [u8]) -> Result<Self> {
        let mut d = Self {
            code: 0,
            range: u32::MAX,
            r: 1,
            input,
            pos: 0,
            missing: 0,
        };
        if d.next_byte() != 0 {
            return Err(Error::Corrupt(
                "range-coded stream must start with a zero byte",
            ));
        }
        for _ in 0..4 {
            d.code = (d.code << 8) | d.next_byte() as u32;
        }
        Ok(d)
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

    /// The cumulative frequency the next symbol's interval contains, in `0..total`.
    ///
    /// Look up the symbol whose `[cum, cum + freq)` holds it, then call
    /// [`decode_update`](Self::decode_update) with that symbol's `cum` and `freq`.
    #[inline]
    pub fn decode_freq(&mut self, total: u32) -> Result<u32> {
        if total == 0 || total > MAX_TOTAL {
            return Err(Error::InvalidFrequency {
                cum: 0,
                freq: 1,
                total,
            });
        }
        self.r = self.range / total;
        Ok((self.code / self.r).min(total - 1))
    }

    /// Removes the decoded symbol `[cum, cum + freq)` of `total` from the stream.
    #[inline]
    pub fn decode_update(&mut self, cum: u32, freq: u32, total: u32) -> Result<()> {
        check_triple(cum, freq, total)?;
        // `r` is recomputed so that a call without `decode_freq` stays consistent.
        let r = self.range / total;
        self.code = self.code.wrapping_sub(r * cum);
        self.range = r * freq;
        while self.range < TOP {
            self.range <<= 8;
            self.code = (self.code << 8) | self.next_byte() as u32;
        }
        Ok(())
    }

    /// Bytes consumed so far.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// `Err(Truncated)` if the decoder has needed bytes past the end of its input.
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
    pub fn finish(self) -> Result<usize> {
        self.check().map(|()| self.pos)
    }
}

/// An adaptive frequency model over a small alphabet (up to 4096 symbols), for the range
/// coder. Each coded symbol gains `increment`; all counts are halved when the total would
/// pass [`MAX_TOTAL`].
#[derive(Debug, Clone)]
pub struct AdaptiveFrequencies {
    freq: Vec<u32>,
    total: u32,
    increment: u32,
}

impl AdaptiveFrequencies {
    /// A uniform model over `alphabet` symbols.
    pub fn new(alphabet: usize, increment: u32) -> Result<Self> {
        if alphabet == 0 || alphabet > 4096 {
            return Err(Error::SymbolOutOfRange {
                symbol: alphabet,
                alphabet: 4096,
            });
        }
        Ok(Self {
            freq: vec![1; alphabet],
            total: alphabet as u32,
            increment: increment.clamp(1, 1024),
        })
    }

    /// Number of symbols.
    pub fn alphabet(&self) -> usize {
        self.freq.len()
    }

    fn cum_of(&self, symbol: usize) -> u32 {
        self.freq[..symbol].iter().sum()
    }

    fn bump(&mut self, symbol: usize) {
        self.freq[symbol] += self.increment;
        self.total += self.increment;
        if self.total > MAX_TOTAL {
            self.total = 0;
            for f in &mut self.freq {
                *f = f.div_ceil(2);
                self.total += *f;
            }
        }
    }

    /// Codes `symbol` and adapts.
    pub fn encode(&mut self, enc: &mut RangeEncoder, symbol: usize) -> Result<()> {
        if symbol >= self.freq.len() {
            return Err(Error::SymbolOutOfRange {
                symbol,
                alphabet: self.freq.len(),
            });
        }
        enc.encode(self.cum_of(symbol), self.freq[symbol], self.total)?;
        self.bump(symbol);
        Ok(())
    }

    /// Decodes one symbol and adapts.
    pub fn decode(&mut self, dec: &mut RangeDecoder<'_>) -> Result<usize> {
        let target = dec.decode_freq(self.total)?;
        let mut cum = 0;
        let mut symbol = self.freq.len() - 1;
        for (s, &f) in self.freq.iter().enumerate() {
            if target < cum + f {
                symbol = s;
                break;
            }
            cum += f;
        }
        if symbol == self.freq.len() - 1 {
            cum = self.total - self.freq[symbol];
        }
        dec.decode_update(cum, self.freq[symbol], self.total)?;
        self.bump(symbol);
        Ok(symbol)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_triples() {
        let mut e = RangeEncoder::new();
        assert!(e.encode(0, 0, 10).is_err());
        assert!(e.encode(5, 6, 10).is_err());
        assert!(e.encode(0, 1, MAX_TOTAL + 1).is_err());
        assert!(e.encode(u32::MAX, 2, 10).is_err());
    }

    #[test]
    fn adaptive_roundtrip_and_exact_length() {
        let data: Vec<usize> = (0..50_000).map(|i| (i * i + 7 * i) % 13 % 5).collect();
        let mut m = AdaptiveFrequencies::new(5, 24).unwrap();
        let mut e = RangeEncoder::new();
        for &s in &data {
            m.encode(&mut e, s).unwrap();
        }
        let out = e.finish();
        let mut m = AdaptiveFrequencies::new(5, 24).unwrap();
        let mut d = RangeDecoder::new(&out).unwrap();
        for &s in &data {
            assert_eq!(m.decode(&mut d).unwrap(), s);
        }
        assert_eq!(d.finish(), Ok(out.len()));
    }

    #[test]
    fn nonzero_first_byte_is_corrupt() {
        assert!(RangeDecoder::new(&[1, 2, 3, 4, 5]).is_err());
    }
}
