//! Static interleaved rANS for a symbol plus raw bits per value, with table decoding.
//!
//! Each value is a *symbol* from an alphabet of up to 65,536 (of which at most
//! [`MAX_USED`] may occur in one block) and `RAW` uniformly distributed *raw bits*. Both are
//! coded in one rANS step: the symbol with a static frequency table normalized to
//! 2^[`PROB_BITS`], the raw bits as the low bits of the slot, so they cost exactly `RAW` bits
//! and need no second step. States are 64-bit in `[2^31, 2^63)` and renormalize by whole
//! 32-bit words, so one step reads at most one word. Values go round-robin to [`LANES`]
//! states, which gives the decoder independent dependency chains to overlap.
//!
//! Decoding a step is one lookup in a 4,096-entry table whose entries pack the symbol's
//! frequency, the slot's offset inside the symbol's range and the symbol's index.
//!
//! ## Stream
//!
//! | field | size |
//! |---|---|
//! | final encoder states, lane 0 first | [`LANES`] × u64 LE |
//! | renormalization words, in decoding order | u32 LE each |
//!
//! A table ([`RansModel::write_table`]) is: the number of used symbols minus one (u8), then
//! per used symbol in increasing order the gap to the previous symbol minus one (the first:
//! the symbol itself) and the frequency minus one, both as LEB128 varints.

use crate::{Error, Result};

/// Frequencies of a table sum to 2^PROB_BITS.
pub const PROB_BITS: u32 = 12;
/// At most this many distinct symbols per table.
pub const MAX_USED: usize = 256;
/// Interleaved states.
pub const LANES: usize = 4;

const TOTAL: u32 = 1 << PROB_BITS;
const LOW: u64 = 1 << 31;

/// A static frequency table over the symbols that occur.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RansModel {
    /// Used symbols, increasing.
    syms: Vec<u16>,
    /// Normalized frequency of each used symbol (≥ 1, summing to 2^PROB_BITS).
    freq: Vec<u32>,
    /// Start of each used symbol's range of slots.
    cum: Vec<u32>,
}

impl RansModel {
    /// The table for symbol counts `counts[s]` (index = symbol); `None` when no symbol or
    /// more than [`MAX_USED`] symbols occur.
    ///
    /// Frequencies are rounded so as to lose as little as possible: every used symbol gets
    /// at least 1, and the rounding error is moved to where it costs the fewest bits.
    pub fn from_counts(counts: &[u64]) -> Option<Self> {
        let used: Vec<(u16, u64)> = counts
            .iter()
            .enumerate()
            .filter(|&(s, &c)| c > 0 && s <= u16::MAX as usize)
            .map(|(s, &c)| (s as u16, c))
            .collect();
        if used.is_empty() || used.len() > MAX_USED {
            return None;
        }
        let n: u64 = used.iter().map(|u| u.1).sum();
        let mut freq: Vec<u32> = used
            .iter()
            .map(|&(_, c)| ((c as u128 * TOTAL as u128 / n as u128) as u32).max(1))
            .collect();
        let mut sum: i64 = freq.iter().map(|&f| f as i64).sum();
        // Move the remainder one unit at a time to (from) the symbol where it helps (hurts)
        // most: the gain of f → f+1 is c·log2((f+1)/f) ≈ c/f.
        while sum != TOTAL as i64 {
            if sum < TOTAL as i64 {
                let i = (0..used.len())
                    .max_by(|&a, &b| {
                        (used[a].1 as f64 / freq[a] as f64)
                            .total_cmp(&(used[b].1 as f64 / freq[b] as f64))
                    })
                    .expect("non-empty");
                freq[i] += 1;
                sum += 1;
            } else {
                let i = (0..used.len())
                    .filter(|&i| freq[i] > 1)
                    .min_by(|&a, &b| {
                        (used[a].1 as f64 / freq[a] as f64)
                            .total_cmp(&(used[b].1 as f64 / freq[b] as f64))
                    })
                    .expect("more slots than symbols");
                freq[i] -= 1;
                sum -= 1;
            }
        }
        Self::from_parts(used.iter().map(|u| u.0).collect(), freq).ok()
    }

    fn from_parts(syms: Vec<u16>, freq: Vec<u32>) -> Result<Self> {
        if syms.is_empty() || syms.len() > MAX_USED || syms.len() != freq.len() {
            return Err(Error::Corrupt("rANS table of a wrong size"));
        }
        if syms.windows(2).any(|w| w[0] >= w[1]) {
            return Err(Error::Corrupt("rANS symbols not increasing"));
        }
        if freq.iter().any(|&f| f == 0 || f > TOTAL) || freq.iter().sum::<u32>() != TOTAL {
            return Err(Error::Corrupt("rANS frequencies do not sum to the total"));
        }
        let mut cum = Vec::with_capacity(freq.len());
        let mut c = 0;
        for &f in &freq {
            cum.push(c);
            c += f;
        }
        Ok(Self { syms, freq, cum })
    }

    /// The used symbols, increasing.
    pub fn symbols(&self) -> &[u16] {
        &self.syms
    }

    /// Ideal cost in bits of coding symbols with these counts (index = symbol) with this
    /// table, raw bits excluded.
    pub fn cost_bits(&self, counts: &[u64]) -> f64 {
        self.syms
            .iter()
            .zip(&self.freq)
            .map(|(&s, &f)| {
                counts.get(s as usize).copied().unwrap_or(0) as f64
                    * (PROB_BITS as f64 - (f as f64).log2())
            })
            .sum()
    }

    /// Appends the table's description.
    pub fn write_table(&self, out: &mut Vec<u8>) {
        out.push((self.syms.len() - 1) as u8);
        let mut prev: Option<u16> = None;
        for (&s, &f) in self.syms.iter().zip(&self.freq) {
            let gap = match prev {
                None => s as u32,
                Some(p) => (s - p - 1) as u32,
            };
            write_varint(gap, out);
            write_varint(f - 1, out);
            prev = Some(s);
        }
    }

    /// Reads a table written by [`write_table`](Self::write_table), returning it and the
    /// number of bytes it took.
    pub fn read_table(bytes: &[u8]) -> Result<(Self, usize)> {
        let (&k, _) = bytes.split_first().ok_or(Error::Incomplete("rANS table"))?;
        let k = k as usize + 1;
        let mut at = 1;
        let mut syms = Vec::with_capacity(k);
        let mut freq = Vec::with_capacity(k);
        let mut next = 0u32;
        for _ in 0..k {
            let gap = read_varint(bytes, &mut at)?;
            let f = read_varint(bytes, &mut at)?;
            let s = next
                .checked_add(gap)
                .filter(|&s| s <= u16::MAX as u32)
                .ok_or(Error::Corrupt("rANS symbol out of range"))?;
            syms.push(s as u16);
            freq.push(f.checked_add(1).ok_or(Error::Corrupt("rANS frequency"))?);
            next = s + 1;
        }
        Ok((Self::from_parts(syms, freq)?, at))
    }

    /// The decoding table: per slot, `(freq − 1) | offset << 12 | index << 24`.
    fn decode_table(&self) -> Box<[u32; TOTAL as usize]> {
        let mut t = Box::new([0u32; TOTAL as usize]);
        for (i, (&f, &c)) in self.freq.iter().zip(&self.cum).enumerate() {
            for off in 0..f {
                t[(c + off) as usize] = (f - 1) | off << 12 | (i as u32) << 24;
            }
        }
        t
    }
}

fn write_varint(mut v: u32, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn read_varint(bytes: &[u8], at: &mut usize) -> Result<u32> {
    let mut v = 0u32;
    for shift in [0, 7, 14] {
        let b = *bytes.get(*at).ok_or(Error::Incomplete("rANS table"))?;
        *at += 1;
        v |= ((b & 0x7f) as u32) << shift;
        if b < 0x80 {
            return Ok(v);
        }
    }
    Err(Error::Corrupt("rANS table varint too long"))
}

/// The largest symbol that fits a value of [`encode`]/[`decode`] with `raw` raw bits.
pub const fn max_symbol(raw: u32) -> u32 {
    (1 << (16 - raw)) - 1
}

/// Codes `values`, each `symbol << RAW | raw bits`, appending the stream. Every symbol
/// must be one of the model's used symbols.
///
/// # Panics
/// If a value's symbol is not used by `model` (a caller bug, not a data condition).
pub fn encode<const RAW: u32>(model: &RansModel, values: &[u16], out: &mut Vec<u8>) {
    const { assert!(RAW <= 12, "at most 12 raw bits per step") };
    let scale = PROB_BITS + RAW;
    // Per symbol: frequency, start and renormalization bound; unused symbols have freq 0.
    let mut freq = vec![0u64; 1 << (16 - RAW)];
    let mut cum = vec![0u64; 1 << (16 - RAW)];
    for ((&s, &f), &c) in model.syms.iter().zip(&model.freq).zip(&model.cum) {
        freq[s as usize] = f as u64;
        cum[s as usize] = c as u64;
    }
    let bound = (LOW >> scale) << 32;
    let raw_mask = (1u64 << RAW) - 1;
    let mut x = [LOW; LANES];
    // A per-thread word buffer: no fresh (page-faulting) allocation per call.
    thread_local! {
        static WORDS: std::cell::RefCell<Vec<u32>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    WORDS.with_borrow_mut(|words| {
        words.clear();
        for (i, &v) in values.iter().enumerate().rev() {
            let s = (v >> RAW) as usize;
            let lane = &mut x[i % LANES];
            let f = freq[s];
            assert!(f > 0, "symbol {s} is not in the rANS model");
            if *lane >= bound * f {
                words.push(*lane as u32);
                *lane >>= 32;
            }
            let q = *lane / f;
            let rem = *lane - q * f;
            *lane = (q << scale) | ((cum[s] + rem) << RAW) | (v as u64 & raw_mask);
        }
        out.reserve(8 * LANES + 4 * words.len());
        for s in x {
            out.extend_from_slice(&s.to_le_bytes());
        }
        for w in words.iter().rev() {
            out.extend_from_slice(&w.to_le_bytes());
        }
    });
}

/// Decodes `out.len()` values (`symbol << RAW | raw bits`) from exactly `stream`. A stream
/// that ends early, has bytes left over or does not return every state to its initial
/// value is an error (`out` then holds garbage), as is a model whose symbols do not fit
/// in `16 − RAW` bits.
pub fn decode<const RAW: u32>(model: &RansModel, stream: &[u8], out: &mut [u16]) -> Result<()> {
    const { assert!(RAW <= 12, "at most 12 raw bits per step") };
    if model
        .syms
        .last()
        .is_some_and(|&s| s as u32 > max_symbol(RAW))
    {
        return Err(Error::Corrupt("rANS symbol too wide for its raw bits"));
    }
    let scale = PROB_BITS + RAW;
    let table = model.decode_table();
    let head = stream
        .get(..8 * LANES)
        .ok_or(Error::Incomplete("rANS states"))?;
    let mut x = [0u64; LANES];
    for (s, b) in x.iter_mut().zip(head.chunks_exact(8)) {
        *s = u64::from_le_bytes(b.try_into().expect("8 bytes"));
        if *s < LOW || *s >= LOW << 32 {
            return Err(Error::Corrupt("rANS state out of range"));
        }
    }
    let body = &stream[8 * LANES..];
    if body.len() % 4 != 0 {
        return Err(Error::Corrupt("rANS stream of a partial word"));
    }
    // Words are read in place; a read past the end (a truncated stream) yields 0 without
    // a branch on the hot path, and is reported after the loop.
    let real_words = body.len() / 4;
    let last = real_words.saturating_sub(1);
    let read = |p: usize| -> u64 {
        let q = 4 * p.min(last);
        match body.get(q..q + 4) {
            Some(w) if p < real_words => u32::from_le_bytes(w.try_into().expect("4 bytes")) as u64,
            _ => 0,
        }
    };
    // Symbol bits of each used symbol, by index.
    let mut sym = [0u16; MAX_USED];
    for (d, &s) in sym.iter_mut().zip(&model.syms) {
        *d = s << RAW;
    }
    let mut pos = 0usize;
    let slot_mask = (1u64 << scale) - 1;
    let raw_mask = (1u64 << RAW) - 1;
    let step = |lane: &mut u64, pos: &mut usize| -> u16 {
        let slot = *lane & slot_mask;
        let e = table[(slot >> RAW) as usize];
        let f = (e & 0xfff) as u64 + 1;
        let off = ((e >> 12) & 0xfff) as u64;
        let y = f * (*lane >> scale) + off;
        let refill = y < LOW;
        let w = read(*pos);
        *lane = if refill { (y << 32) | w } else { y };
        *pos += refill as usize;
        sym[(e >> 24) as usize] | (slot & raw_mask) as u16
    };
    let mut quads = out.chunks_exact_mut(LANES);
    for o in &mut quads {
        for (o, lane) in o.iter_mut().zip(&mut x) {
            *o = step(lane, &mut pos);
        }
    }
    for (o, lane) in quads.into_remainder().iter_mut().zip(&mut x) {
        *o = step(lane, &mut pos);
    }
    if pos > real_words {
        return Err(Error::Incomplete("rANS stream"));
    }
    if pos < real_words {
        return Err(Error::Corrupt("trailing words after the rANS stream"));
    }
    if x.iter().any(|&s| s != LOW) {
        return Err(Error::Corrupt("rANS states do not return to their start"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use quickcheck::quickcheck;

    fn roundtrip<const RAW: u32>(syms: &[u16], raw: &[u32]) -> (Vec<u8>, RansModel) {
        let mut counts = vec![0u64; 65536];
        for &s in syms {
            counts[s as usize] += 1;
        }
        let model = RansModel::from_counts(&counts).expect("few symbols");
        let values: Vec<u16> = syms
            .iter()
            .zip(raw)
            .map(|(&s, &r)| s << RAW | r as u16)
            .collect();
        let mut out = Vec::new();
        encode::<RAW>(&model, &values, &mut out);
        let mut back = vec![0u16; values.len()];
        decode::<RAW>(&model, &out, &mut back).unwrap();
        assert_eq!(back, values);
        let mut t = Vec::new();
        model.write_table(&mut t);
        let (m2, used) = RansModel::read_table(&t).unwrap();
        assert_eq!((m2, used), (model.clone(), t.len()));
        (out, model)
    }

    #[test]
    fn skewed_symbols_code_near_their_entropy() {
        let mut s = 7u64;
        let n = 200_003;
        let mut syms = Vec::with_capacity(n);
        let mut raw = Vec::with_capacity(n);
        for _ in 0..n {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            syms.push(100 + (s as u16).trailing_zeros().min(12) as u16 * 3);
            raw.push((s >> 40) as u32 & 63);
        }
        let (out, model) = roundtrip::<6>(&syms, &raw);
        let mut counts = vec![0u64; 65536];
        for &x in &syms {
            counts[x as usize] += 1;
        }
        let entropy: f64 = counts
            .iter()
            .filter(|&&c| c > 0)
            .map(|&c| -(c as f64) * (c as f64 / n as f64).log2())
            .sum();
        let ideal = (entropy + 6.0 * n as f64) / 8.0;
        assert!(model.cost_bits(&counts) <= entropy * 1.002 + 64.0);
        assert!(
            (out.len() as f64) < ideal * 1.002 + 64.0,
            "{} bytes vs {ideal}",
            out.len()
        );
    }

    #[test]
    fn single_symbol_and_empty() {
        roundtrip::<0>(&[5; 1000], &[0; 1000]);
        roundtrip::<3>(&[9], &[7]);
        roundtrip::<2>(&[1, 2, 3], &[0, 1, 2]);
        let model = RansModel::from_counts(&[1]).unwrap();
        let mut out = Vec::new();
        encode::<0>(&model, &[], &mut out);
        assert_eq!(out.len(), 8 * LANES);
        decode::<0>(&model, &out, &mut []).unwrap();
        let mut counts = [0u64; 17];
        counts[16] = 1;
        let wide = RansModel::from_counts(&counts).unwrap();
        assert!(decode::<12>(&wide, &out, &mut []).is_err());
        assert!(RansModel::from_counts(&[0, 0]).is_none());
        assert!(RansModel::from_counts(&[1; 257]).is_none());
    }

    #[test]
    fn damaged_streams_and_tables_are_errors() {
        let syms: Vec<u16> = (0..5000u32).map(|i| (i * i % 37) as u16).collect();
        let raw: Vec<u32> = (0..5000u32).map(|i| i % 16).collect();
        let (out, model) = roundtrip::<4>(&syms, &raw);
        for cut in [0, 7, 8 * LANES, out.len() - 4, out.len() - 1] {
            assert!(decode::<4>(&model, &out[..cut], &mut vec![0; syms.len()]).is_err());
        }
        let mut long = out.clone();
        long.extend_from_slice(&[0; 4]);
        assert!(decode::<4>(&model, &long, &mut vec![0; syms.len()]).is_err());
        assert!(decode::<4>(&model, &out, &mut vec![0; syms.len() + 1]).is_err());
        let mut t = Vec::new();
        model.write_table(&mut t);
        for cut in 0..t.len() {
            assert!(RansModel::read_table(&t[..cut]).is_err(), "cut {cut}");
        }
        let mut bad = t.clone();
        bad[2] ^= 0x01; // a frequency: the sum no longer matches
        assert!(RansModel::read_table(&bad).is_err());
    }

    quickcheck! {
        fn any_symbols_roundtrip(syms: Vec<u16>, salt: u32) -> bool {
            let mut syms = syms;
            syms.iter_mut().for_each(|s| *s %= 200);
            let syms: Vec<u16> = syms;
            if syms.is_empty() {
                return true;
            }
            let raw: Vec<u32> = (0..syms.len() as u32).map(|i| (i ^ salt) & 31).collect();
            roundtrip::<5>(&syms, &raw);
            true
        }

        fn any_bytes_never_panic_the_decoder(table: Vec<u8>, stream: Vec<u8>, n: u16) -> bool {
            if let Ok((model, _)) = RansModel::read_table(&table) {
                let _ = decode::<6>(&model, &stream, &mut vec![0; n as usize]);
            }
            true
        }
    }
}
