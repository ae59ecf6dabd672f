//! Canonical, length-limited Huffman coding of bytes with a one-lookup table decoder.
//!
//! Code lengths are at most [`MAX_BITS`] (12), so one 4096-entry table decodes any symbol
//! in a single lookup. Bits are written least-significant first into 64-bit words, and the
//! decoder refills its 64-bit buffer eight bytes at a time, decoding four symbols per
//! refill. A table is described by its 256 code lengths (4 bits each, 128 bytes).
//!
//! [`decode_interleaved`] follows four streams at once and looks up *pairs*: a second
//! table ([`HuffmanCode::pair_table`]) gives, per 12-bit window, every whole code that
//! starts it (one or two), so skewed data such as exponents (codes of 2–4 bits) decodes
//! about two symbols per lookup.

use crate::{Error, Result};

/// Longest code, in bits.
pub const MAX_BITS: u32 = 12;
/// Bytes of a serialized table (256 lengths, 4 bits each).
pub const TABLE_BYTES: usize = 128;

/// A Huffman code for the 256 byte values.
#[derive(Debug, Clone)]
pub struct HuffmanCode {
    lens: [u8; 256],
    /// Codes with their bits reversed (written LSB first).
    codes: [u16; 256],
}

impl HuffmanCode {
    /// The optimal code lengths for `freq`, limited to [`MAX_BITS`] by flattening the
    /// counts until the tree is shallow enough.
    pub fn from_frequencies(freq: &[u64; 256]) -> Self {
        let mut f: Vec<u64> = freq.to_vec();
        if f.iter().all(|&v| v == 0) {
            f[0] = 1; // an empty input still gets a valid (unused) code
        }
        loop {
            let depths = tree_depths(&f);
            if depths.iter().all(|&l| l as u32 <= MAX_BITS) {
                let mut lens = [0u8; 256];
                lens.copy_from_slice(&depths);
                return Self::from_lengths(&lens).expect("Huffman tree depths satisfy Kraft");
            }
            for v in f.iter_mut().filter(|v| **v > 0) {
                *v = (*v >> 1) | 1;
            }
        }
    }

    /// A code from its lengths (0 = symbol unused). Fails when the lengths oversubscribe
    /// the code space (Kraft sum above 1), exceed [`MAX_BITS`], or are all zero.
    pub fn from_lengths(lens: &[u8; 256]) -> Result<Self> {
        let mut count = [0u32; MAX_BITS as usize + 1];
        for &l in lens {
            if l as u32 > MAX_BITS {
                return Err(Error::Corrupt("Huffman code length above the limit"));
            }
            count[l as usize] += 1;
        }
        count[0] = 0;
        let kraft: u32 = (1..=MAX_BITS as usize)
            .map(|l| count[l] << (MAX_BITS as usize - l))
            .sum();
        if kraft == 0 || kraft > 1 << MAX_BITS {
            return Err(Error::Corrupt(
                "Huffman code lengths violate the Kraft inequality",
            ));
        }
        let mut next = [0u32; MAX_BITS as usize + 2];
        let mut code = 0u32;
        for l in 1..=MAX_BITS as usize {
            code = (code + count[l - 1]) << 1;
            next[l] = code;
        }
        let mut codes = [0u16; 256];
        for (s, &l) in lens.iter().enumerate() {
            if l > 0 {
                let c = next[l as usize];
                next[l as usize] += 1;
                codes[s] = (c.reverse_bits() >> (32 - l as u32)) as u16;
            }
        }
        Ok(Self { lens: *lens, codes })
    }

    /// The code length of each symbol.
    pub fn lengths(&self) -> &[u8; 256] {
        &self.lens
    }

    /// Total coded size in bits of data with these symbol frequencies.
    pub fn cost_bits(&self, freq: &[u64; 256]) -> u64 {
        freq.iter()
            .zip(&self.lens)
            .map(|(&f, &l)| f * l as u64)
            .sum()
    }

    /// Appends the 128-byte description of the code.
    pub fn write_table(&self, out: &mut Vec<u8>) {
        for pair in self.lens.chunks_exact(2) {
            out.push(pair[0] | (pair[1] << 4));
        }
    }

    /// Reads a code written by [`write_table`](Self::write_table).
    pub fn read_table(bytes: &[u8]) -> Result<Self> {
        let t = bytes
            .get(..TABLE_BYTES)
            .ok_or(Error::Incomplete("Huffman table"))?;
        let mut lens = [0u8; 256];
        for (i, &b) in t.iter().enumerate() {
            lens[2 * i] = b & 15;
            lens[2 * i + 1] = b >> 4;
        }
        Self::from_lengths(&lens)
    }

    /// Codes `symbols`, appending the bit stream (padded to a byte) to `out`.
    pub fn encode(&self, symbols: &[u8], out: &mut Vec<u8>) {
        out.reserve(symbols.len() / 2 + 8);
        let mut buf = 0u64;
        let mut n = 0u32;
        for pair in symbols.chunks(2) {
            for &s in pair {
                buf |= (self.codes[s as usize] as u64) << n;
                n += self.lens[s as usize] as u32;
            }
            // At most 31 old bits and 2 × 12 new ones: the 64-bit buffer never overflows.
            if n >= 32 {
                out.extend_from_slice(&(buf as u32).to_le_bytes());
                buf >>= 32;
                n -= 32;
            }
        }
        while n > 0 {
            out.push(buf as u8);
            buf >>= 8;
            n = n.saturating_sub(8);
        }
    }

    /// The decoding table: for every `MAX_BITS`-bit window, `symbol | length << 8`
    /// (length 0 marks a window no code starts).
    pub fn decode_table(&self) -> Vec<u16> {
        let mut t = vec![0u16; 1 << MAX_BITS];
        for s in 0..256 {
            let l = self.lens[s] as u32;
            if l == 0 {
                continue;
            }
            let c = self.codes[s] as usize;
            for k in 0..1usize << (MAX_BITS - l) {
                t[c | (k << l)] = s as u16 | ((l as u16) << 8);
            }
        }
        t
    }

    /// The two-symbol decoding table: for every `MAX_BITS`-bit window, the symbols that
    /// start it — `first | second << 8 | count << 16 | bits << 24`, where `count` is 2 when
    /// a second whole code fits in the window, 1 when only the first does and 0 (with
    /// `bits` 0) when no code starts the window.
    pub fn pair_table(&self) -> Box<[u32; 1 << MAX_BITS]> {
        let single = self.decode_table();
        let mut t = Box::new([0u32; 1 << MAX_BITS]);
        for (w, e) in t.iter_mut().enumerate() {
            let a = single[w];
            let la = (a >> 8) as u32;
            if la == 0 {
                continue;
            }
            let b = single[w >> la];
            let lb = (b >> 8) as u32;
            *e = if lb != 0 && la + lb <= MAX_BITS {
                (a & 0xff) as u32 | ((b & 0xff) as u32) << 8 | 2 << 16 | (la + lb) << 24
            } else {
                (a & 0xff) as u32 | 1 << 16 | la << 24
            };
        }
        t
    }

    /// Decodes exactly `out.len()` symbols from `bits`, which must hold nothing more than
    /// the coded stream and its padding.
    pub fn decode(&self, bits: &[u8], out: &mut [u8]) -> Result<()> {
        decode_with_table(&self.decode_table(), bits, out)
    }
}

/// Decodes with a table from [`HuffmanCode::decode_table`].
pub fn decode_with_table(table: &[u16], bits: &[u8], out: &mut [u8]) -> Result<()> {
    const MASK: u64 = (1 << MAX_BITS) - 1;
    let mut buf = 0u64;
    let mut n = 0u32; // valid bits in buf
    let mut pos = 0usize; // next byte of `bits` (may run past the end: zero padding)
    let mut invalid = false;
    let mut chunks = out.chunks_exact_mut(4);
    for quad in &mut chunks {
        // Refill to at least 56 bits.
        if let Some(w) = bits.get(pos..pos + 8) {
            buf |= u64::from_le_bytes(w.try_into().expect("8 bytes")) << n;
            pos += ((63 - n) >> 3) as usize;
            n |= 56;
        } else {
            while n <= 56 {
                buf |= (bits.get(pos).copied().unwrap_or(0) as u64) << n;
                pos += 1;
                n += 8;
            }
        }
        for o in quad.iter_mut() {
            let e = table[(buf & MASK) as usize];
            let l = (e >> 8) as u32;
            invalid |= l == 0;
            *o = e as u8;
            buf >>= l;
            n -= l;
        }
    }
    for o in chunks.into_remainder() {
        while n <= 56 {
            buf |= (bits.get(pos).copied().unwrap_or(0) as u64) << n;
            pos += 1;
            n += 8;
        }
        let e = table[(buf & MASK) as usize];
        let l = (e >> 8) as u32;
        invalid |= l == 0;
        *o = e as u8;
        buf >>= l;
        n -= l;
    }
    if invalid {
        return Err(Error::Corrupt("invalid Huffman code in the bit stream"));
    }
    let consumed = pos as u64 * 8 - n as u64;
    if consumed > bits.len() as u64 * 8 {
        return Err(Error::Incomplete("Huffman bit stream"));
    }
    if consumed.div_ceil(8) != bits.len() as u64 {
        return Err(Error::Corrupt(
            "trailing bytes after the Huffman bit stream",
        ));
    }
    Ok(())
}

/// Depths of the leaves of a Huffman tree for `freq` (0 for unused symbols; a lone symbol
/// gets depth 1).
fn tree_depths(freq: &[u64]) -> Vec<u8> {
    let mut leaves: Vec<(u64, usize)> = freq
        .iter()
        .enumerate()
        .filter(|(_, f)| **f > 0)
        .map(|(s, &f)| (f, s))
        .collect();
    let mut depth = vec![0u8; freq.len()];
    match leaves.len() {
        0 => return depth,
        1 => {
            depth[leaves[0].1] = 1;
            return depth;
        }
        _ => {}
    }
    leaves.sort_unstable();
    // Two-queue construction: leaves in order, internal nodes in creation order.
    let m = leaves.len();
    let mut weight: Vec<u64> = leaves.iter().map(|l| l.0).collect();
    let mut parent = vec![usize::MAX; 2 * m - 1];
    let (mut li, mut ni) = (0usize, m);
    let take = |weight: &Vec<u64>, li: &mut usize, ni: &mut usize, len: usize| -> usize {
        if *li < m && (*ni >= len || weight[*li] <= weight[*ni]) {
            *li += 1;
            *li - 1
        } else {
            *ni += 1;
            *ni - 1
        }
    };
    for _ in 0..m - 1 {
        let len = weight.len();
        let a = take(&weight, &mut li, &mut ni, len);
        let b = take(&weight, &mut li, &mut ni, len);
        let id = weight.len();
        weight.push(weight[a] + weight[b]);
        parent[a] = id;
        parent[b] = id;
    }
    // Depths top-down: the root is the last node.
    let mut d = vec![0u8; 2 * m - 1];
    for i in (0..2 * m - 2).rev() {
        d[i] = d[parent[i]].saturating_add(1);
    }
    for (i, &(_, s)) in leaves.iter().enumerate() {
        depth[s] = d[i];
    }
    depth
}

#[cfg(test)]
mod tests {
    use super::*;

    fn freq_of(data: &[u8]) -> [u64; 256] {
        let mut f = [0u64; 256];
        for &b in data {
            f[b as usize] += 1;
        }
        f
    }

    #[test]
    fn roundtrip_and_near_entropy() {
        let mut s = 12345u32;
        let data: Vec<u8> = (0..100_000)
            .map(|_| {
                s = s.wrapping_mul(1_103_515_245).wrapping_add(12345);
                // Geometric-like: mostly small values.
                ((s >> 16) as u16).trailing_zeros() as u8 + 120
            })
            .collect();
        let f = freq_of(&data);
        let code = HuffmanCode::from_frequencies(&f);
        let mut out = Vec::new();
        code.encode(&data, &mut out);
        let mut back = vec![0u8; data.len()];
        code.decode(&out, &mut back).unwrap();
        assert_eq!(back, data);
        let n = data.len() as f64;
        let entropy: f64 = f
            .iter()
            .filter(|&&c| c > 0)
            .map(|&c| -(c as f64) * (c as f64 / n).log2())
            .sum();
        assert!((out.len() * 8) as f64 <= entropy * 1.03 + 64.0);
    }

    #[test]
    fn lengths_are_limited_even_for_fibonacci_counts() {
        let mut f = [0u64; 256];
        let (mut a, mut b) = (1u64, 1u64);
        for v in f.iter_mut().take(40) {
            *v = a;
            (a, b) = (b, a + b);
        }
        let code = HuffmanCode::from_frequencies(&f);
        assert!(code.lengths().iter().all(|&l| l as u32 <= MAX_BITS));
        assert!(code.lengths()[..40].iter().all(|&l| l > 0));
        // Long codes back to back: the encoder's buffer must not overflow.
        let data: Vec<u8> = (0..10_000u32).map(|i| (i * 7 % 40) as u8).collect();
        let mut out = Vec::new();
        code.encode(&data, &mut out);
        let mut back = vec![0u8; data.len()];
        code.decode(&out, &mut back).unwrap();
        assert_eq!(back, data);
    }

    #[test]
    fn tables_roundtrip_and_bad_tables_fail() {
        let code = HuffmanCode::from_frequencies(&freq_of(b"hello huffman world"));
        let mut t = Vec::new();
        code.write_table(&mut t);
        assert_eq!(t.len(), TABLE_BYTES);
        assert_eq!(
            HuffmanCode::read_table(&t).unwrap().lengths(),
            code.lengths()
        );
        assert!(HuffmanCode::read_table(&t[..100]).is_err());
        assert!(HuffmanCode::read_table(&[0x11; 128]).is_err()); // 256 codes of length 1
        assert!(HuffmanCode::read_table(&[0; 128]).is_err());
    }

    #[test]
    fn single_symbol_and_truncation() {
        let data = vec![7u8; 1000];
        let code = HuffmanCode::from_frequencies(&freq_of(&data));
        let mut out = Vec::new();
        code.encode(&data, &mut out);
        assert_eq!(out.len(), 125);
        let mut back = vec![0u8; 1000];
        code.decode(&out, &mut back).unwrap();
        assert_eq!(back, data);
        assert!(code.decode(&out[..124], &mut back).is_err());
        let mut long = out.clone();
        long.push(0);
        assert!(code.decode(&long, &mut back).is_err());
    }
}

/// Number of interleaved streams of [`encode_interleaved`].
pub const STREAMS: usize = 4;

/// Codes `symbols` as [`STREAMS`] independent bit streams over contiguous quarters, so that
/// the decoder can follow four dependency chains at once: `STREAMS` × u32 LE stream lengths,
/// then the streams.
pub fn encode_interleaved(code: &HuffmanCode, symbols: &[u8], out: &mut Vec<u8>) {
    let q = symbols.len().div_ceil(STREAMS);
    let mut streams: Vec<Vec<u8>> = Vec::with_capacity(STREAMS);
    for s in 0..STREAMS {
        let part = &symbols[(s * q).min(symbols.len())..((s + 1) * q).min(symbols.len())];
        let mut v = Vec::new();
        code.encode(part, &mut v);
        streams.push(v);
    }
    for v in &streams {
        out.extend_from_slice(&(v.len() as u32).to_le_bytes());
    }
    for v in &streams {
        out.extend_from_slice(v);
    }
}

/// One bit stream being decoded.
struct Cursor<'a> {
    bits: &'a [u8],
    buf: u64,
    n: u32,
    pos: usize,
}

impl Cursor<'_> {
    #[inline(always)]
    fn refill(&mut self) {
        if let Some(w) = self.bits.get(self.pos..self.pos + 8) {
            self.buf |= u64::from_le_bytes(w.try_into().expect("8 bytes")) << self.n;
            self.pos += ((63 - self.n) >> 3) as usize;
            self.n |= 56;
        } else {
            while self.n <= 56 {
                self.buf |= (self.bits.get(self.pos).copied().unwrap_or(0) as u64) << self.n;
                self.pos += 1;
                self.n += 8;
            }
        }
    }

    /// Decodes one symbol; returns it with its length (0 = invalid code).
    #[inline(always)]
    fn decode(&mut self, table: &[u16; 1 << MAX_BITS]) -> (u8, u32) {
        let e = table[(self.buf & ((1 << MAX_BITS) - 1)) as usize];
        let l = (e >> 8) as u32;
        self.buf >>= l;
        self.n -= l;
        (e as u8, l)
    }

    /// Decodes one or two symbols into `out[0..2]`; returns how many (0 = invalid code).
    /// `out[1]` may be overwritten even when one symbol is decoded.
    #[inline(always)]
    fn decode_pair(&mut self, table: &[u32; 1 << MAX_BITS], out: &mut [u8]) -> usize {
        let e = table[(self.buf & ((1 << MAX_BITS) - 1)) as usize];
        let l = e >> 24;
        self.buf >>= l;
        self.n -= l;
        out[0] = e as u8;
        out[1] = (e >> 8) as u8;
        ((e >> 16) & 3) as usize
    }

    fn finish(&self) -> Result<()> {
        let consumed = self.pos as u64 * 8 - self.n as u64;
        if consumed > self.bits.len() as u64 * 8 {
            return Err(Error::Incomplete("Huffman bit stream"));
        }
        if consumed.div_ceil(8) != self.bits.len() as u64 {
            return Err(Error::Corrupt(
                "trailing bytes after the Huffman bit stream",
            ));
        }
        Ok(())
    }
}

/// Decodes the output of [`encode_interleaved`] (exactly `data`, nothing after it) into
/// `out`, whose length is the number of symbols.
pub fn decode_interleaved(code: &HuffmanCode, data: &[u8], out: &mut [u8]) -> Result<()> {
    let lens = data
        .get(..4 * STREAMS)
        .ok_or(Error::Incomplete("stream lengths"))?;
    let mut at = 4 * STREAMS;
    let mut cursors = Vec::with_capacity(STREAMS);
    for l in lens.chunks_exact(4) {
        let l = u32::from_le_bytes(l.try_into().expect("4 bytes")) as usize;
        let bits = at
            .checked_add(l)
            .and_then(|e| data.get(at..e))
            .ok_or(Error::Incomplete("Huffman stream"))?;
        cursors.push(Cursor {
            bits,
            buf: 0,
            n: 0,
            pos: 0,
        });
        at += l;
    }
    if at != data.len() {
        return Err(Error::Corrupt("trailing bytes after the Huffman streams"));
    }
    let table: Box<[u16; 1 << MAX_BITS]> = code
        .decode_table()
        .into_boxed_slice()
        .try_into()
        .expect("table of 2^MAX_BITS entries");
    let pairs = code.pair_table();
    let n = out.len();
    let q = n.div_ceil(STREAMS);
    let [c0, c1, c2, c3] = &mut cursors[..] else {
        unreachable!("four streams")
    };
    let (o0, rest) = out.split_at_mut(q.min(n));
    let (o1, rest) = rest.split_at_mut(q.min(rest.len()));
    let (o2, o3) = rest.split_at_mut(q.min(rest.len()));
    // Fast rounds: per stream one refill (≥ 56 bits) and four pair lookups (≤ 48 bits, ≤ 8
    // symbols), while every stream has room for 8 more symbols.
    let mut k = [0usize; STREAMS];
    let room = [o0.len(), o1.len(), o2.len(), o3.len()];
    while (0..STREAMS).all(|i| k[i] + 8 <= room[i]) {
        c0.refill();
        c1.refill();
        c2.refill();
        c3.refill();
        let mut stuck = false;
        for _ in 0..4 {
            let d = c0.decode_pair(&pairs, &mut o0[k[0]..k[0] + 2]);
            k[0] += d;
            stuck |= d == 0;
            let d = c1.decode_pair(&pairs, &mut o1[k[1]..k[1] + 2]);
            k[1] += d;
            stuck |= d == 0;
            let d = c2.decode_pair(&pairs, &mut o2[k[2]..k[2] + 2]);
            k[2] += d;
            stuck |= d == 0;
            let d = c3.decode_pair(&pairs, &mut o3[k[3]..k[3] + 2]);
            k[3] += d;
            stuck |= d == 0;
        }
        if stuck {
            return Err(Error::Corrupt("invalid Huffman code in the bit stream"));
        }
    }
    let mut bad = 0u32;
    for ((c, o), k) in [(c0, o0), (c1, o1), (c2, o2), (c3, o3)].into_iter().zip(k) {
        for slot in o.iter_mut().skip(k) {
            c.refill();
            let (s, l) = c.decode(&table);
            *slot = s;
            bad |= (l == 0) as u32;
        }
        c.finish()?;
    }
    if bad != 0 {
        return Err(Error::Corrupt("invalid Huffman code in the bit stream"));
    }
    Ok(())
}

#[cfg(test)]
mod interleaved_tests {
    use super::*;
    use quickcheck::quickcheck;

    quickcheck! {
        /// Both stream layouts roundtrip any (skewed) bytes; truncation is an error.
        fn interleaved_roundtrip(data: Vec<u8>, skew: u8) -> bool {
            let data: Vec<u8> = data.iter().map(|&b| if b % 5 == 0 { b } else { b % (skew | 1) }).collect();
            let mut f = [0u64; 256];
            for &b in &data { f[b as usize] += 1; }
            let code = HuffmanCode::from_frequencies(&f);
            let mut out = Vec::new();
            encode_interleaved(&code, &data, &mut out);
            let mut back = vec![0u8; data.len()];
            let mut single = Vec::new();
            code.encode(&data, &mut single);
            let single_ok = code.decode(&single, &mut back).is_ok() && back == data;
            let ok = single_ok && decode_interleaved(&code, &out, &mut back).is_ok() && back == data;
            // Truncation is an error, never a panic.
            let cut = decode_interleaved(&code, &out[..out.len().saturating_sub(1)], &mut back).is_err();
            ok && (data.is_empty() || cut)
        }
    }
}
