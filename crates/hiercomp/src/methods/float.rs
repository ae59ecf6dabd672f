//! Method `float`: lossless coding of model-weight files (ENEC / ZipNN family).
//!
//! The input is cut into *segments* of one element type each, and each segment is coded by
//! [`quant_prune::float`] (exponent symbols Huffman-coded, sign/mantissa planes stored,
//! 128Ki-value chunks in parallel). Where the segments come from:
//!
//! - a **safetensors** file is recognised by its header: the 8-byte length and the JSON
//!   header form one byte segment, every `F32`, `F16` and `BF16` tensor a segment of its
//!   dtype, anything else (integer tensors, gaps) byte segments. The file is restored byte
//!   for byte, header included;
//! - with an explicit dtype (the codec's parameter `dtype`, [`DTYPE`]; recorded in the
//!   container header) the whole input is one array of that dtype;
//! - anything else is one byte segment (Huffman-coded bytes).
//!
//! Small segments (at most [`SMALL_SEGMENT`] bytes: headers, norm vectors, biases) are also
//! tried with `cm -l 1` and keep whichever is smaller: repetitive small tensors (e.g. norm
//! weights equal to 1.0) are far better served by context mixing than by byte planes.
//!
//! ## Block payload
//!
//! | field | size |
//! |---|---|
//! | segment count `s` | u32 LE |
//! | per segment: codec (0‥3 = [`FloatDtype`] id, 0x80 = `cm -l 1`), raw length, payload length | s × (1 + 4 + 4) |
//! | segment payloads | … |

use crate::codec::{BlockEncoder, Codec, ParamSpec, Params};
use crate::error::{Error, Result};
use crate::methods::cm;
use quant_prune::float::{self, FloatDtype};
use std::ops::RangeInclusive;

/// Segments up to this size are also tried with `cm -l 1`.
pub const SMALL_SEGMENT: usize = 1 << 20;
const CODEC_CM: u8 = 0x80;

/// Which dtype every byte of an input has: sorted, non-overlapping `(start, end, dtype)`
/// ranges; bytes outside every range are [`FloatDtype::Bytes`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Layout {
    ranges: Vec<(u64, u64, FloatDtype)>,
    whole: Option<FloatDtype>,
}

impl Layout {
    /// The whole input is one array of `dtype`.
    pub fn flat(dtype: FloatDtype) -> Self {
        Self {
            ranges: Vec::new(),
            whole: Some(dtype),
        }
    }

    /// The layout of a safetensors file whose first bytes are `head` (which must hold the
    /// whole JSON header); `None` if `head` is not the start of a safetensors file.
    pub fn from_safetensors(head: &[u8]) -> Option<Self> {
        // The header: u64 LE length, then that many bytes of JSON mapping tensor names to
        // {dtype, shape, data_offsets} (offsets relative to the end of the header), read
        // with the `safetensors` crate's header types. Its whole-file check does not apply:
        // `head` may be only the first block of a larger file.
        let n = u64::from_le_bytes(head.get(..8)?.try_into().ok()?);
        let json = head.get(8..8usize.checked_add(usize::try_from(n).ok()?)?)?;
        let meta: safetensors::tensor::Metadata = serde_json::from_slice(json).ok()?;
        let base = 8 + n;
        let mut ranges = Vec::new();
        for info in meta.tensors().values() {
            let dtype = match info.dtype {
                safetensors::Dtype::F32 => FloatDtype::F32,
                safetensors::Dtype::F16 => FloatDtype::F16,
                safetensors::Dtype::BF16 => FloatDtype::Bf16,
                _ => continue,
            };
            let (a, b) = (info.data_offsets.0 as u64, info.data_offsets.1 as u64);
            if b > a {
                ranges.push((base.checked_add(a)?, base.checked_add(b)?, dtype));
            }
        }
        ranges.sort_unstable_by_key(|r| r.0);
        // Overlapping ranges are not a valid safetensors file.
        if ranges.windows(2).any(|w| w[0].1 > w[1].0) {
            return None;
        }
        Some(Self {
            ranges,
            whole: None,
        })
    }

    /// The segments `(length, dtype)` of the block `[start, start + len)`, adjacent
    /// segments of the same dtype merged.
    pub fn segments(&self, start: u64, len: usize) -> Vec<(usize, FloatDtype)> {
        if let Some(d) = self.whole {
            return vec![(len, d)];
        }
        let end = start + len as u64;
        let mut out: Vec<(usize, FloatDtype)> = Vec::new();
        let mut push = |n: u64, d: FloatDtype| {
            if n == 0 {
                return;
            }
            match out.last_mut() {
                Some(last) if last.1 == d => last.0 += n as usize,
                _ => out.push((n as usize, d)),
            }
        };
        let mut at = start;
        for &(a, b, d) in &self.ranges {
            if b <= at || a >= end {
                continue;
            }
            let a = a.max(at);
            push(a - at, FloatDtype::Bytes);
            let b = b.min(end);
            // Keep segments aligned to whole values when a tensor is cut by the block.
            push(b - a, d);
            at = b;
        }
        push(end - at, FloatDtype::Bytes);
        out
    }
}

/// Codes one block whose segments are `segments` (lengths summing to `data.len()`).
pub fn encode_block(
    data: &[u8],
    segments: &[(usize, FloatDtype)],
    progress: &mut dyn FnMut(usize),
) -> Result<Vec<u8>> {
    let total: usize = segments.iter().map(|s| s.0).sum();
    if total != data.len() {
        return Err(Error::Corrupt(
            "float segments do not cover the block".into(),
        ));
    }
    // The segment table first (its entries filled in as segments are coded), then the
    // payloads appended straight after it.
    let head = 4 + 9 * segments.len();
    let mut out = Vec::with_capacity(head + data.len() * 7 / 8);
    out.extend_from_slice(&(segments.len() as u32).to_le_bytes());
    out.resize(head, 0);
    let mut at = 0;
    for (k, &(len, dtype)) in segments.iter().enumerate() {
        let seg = &data[at..at + len];
        let mut coded = float::encode(seg, dtype);
        let mut codec = dtype.id();
        if len <= SMALL_SEGMENT {
            let alt = cm::encode_block(seg, 1, &mut |_| {})?;
            if alt.len() < coded.len() {
                coded = alt;
                codec = CODEC_CM;
            }
        }
        let e = &mut out[4 + 9 * k..4 + 9 * (k + 1)];
        e[0] = codec;
        e[1..5].copy_from_slice(&(len as u32).to_le_bytes());
        e[5..9].copy_from_slice(&(coded.len() as u32).to_le_bytes());
        out.extend_from_slice(&coded);
        at += len;
        progress(at);
    }
    Ok(out)
}

/// Decodes one block of `raw_len` bytes from exactly `payload`.
pub fn decode_block(
    payload: &[u8],
    raw_len: usize,
    progress: &mut dyn FnMut(usize),
) -> Result<Vec<u8>> {
    let mut out = vec![0u8; raw_len];
    decode_block_into(payload, &mut out, progress)?;
    Ok(out)
}

/// Decodes one block from exactly `payload` into `out`, whose length is the block's raw
/// length.
pub fn decode_block_into(
    payload: &[u8],
    out: &mut [u8],
    progress: &mut dyn FnMut(usize),
) -> Result<()> {
    let raw_len = out.len();
    let corrupt = |m: &str| Error::Corrupt(format!("float block: {m}"));
    let n = u32::from_le_bytes(
        payload
            .get(..4)
            .ok_or_else(|| corrupt("truncated segment count"))?
            .try_into()
            .expect("4 bytes"),
    ) as usize;
    let table = payload
        .get(
            4..n.checked_mul(9)
                .and_then(|t| t.checked_add(4))
                .ok_or_else(|| corrupt("absurd segment count"))?,
        )
        .ok_or_else(|| corrupt("truncated segment table"))?;
    let mut segs = Vec::with_capacity(n);
    let mut sum = 0usize;
    for e in table.chunks_exact(9) {
        let len = u32::from_le_bytes(e[1..5].try_into().expect("4 bytes")) as usize;
        let plen = u32::from_le_bytes(e[5..9].try_into().expect("4 bytes")) as usize;
        sum = sum
            .checked_add(len)
            .ok_or_else(|| corrupt("segment lengths overflow"))?;
        segs.push((e[0], len, plen));
    }
    if sum != raw_len {
        return Err(corrupt("segment lengths do not add up to the block length"));
    }
    let mut at = 4 + 9 * n;
    let mut done = 0;
    for (codec, len, plen) in segs {
        let p = at
            .checked_add(plen)
            .and_then(|end| payload.get(at..end))
            .ok_or_else(|| corrupt("truncated segment payload"))?;
        at += plen;
        let dst = &mut out[done..done + len];
        if codec == CODEC_CM {
            dst.copy_from_slice(&cm::decode_block(p, len, 1, &mut |_| {})?);
        } else {
            let dtype = FloatDtype::from_id(codec).map_err(|e| corrupt(&e.to_string()))?;
            float::decode_into(p, dtype, dst).map_err(|e| corrupt(&e.to_string()))?;
        }
        done += len;
        progress(done);
    }
    if at != payload.len() {
        return Err(corrupt("trailing bytes"));
    }
    Ok(())
}

/// The parameter of method `float`: the element type of the whole input, or `auto`.
pub const DTYPE: ParamSpec = ParamSpec {
    name: "dtype",
    description: "the whole input is one array of this type; auto recognises safetensors \
                  files and codes anything else as bytes",
    choices: &["auto", "f32", "f16", "bf16", "bytes"],
};

/// The dtype of a [`DTYPE`] choice (`None` = auto).
fn dtype_of(params: &Params) -> Option<FloatDtype> {
    match params.choice(0) {
        1 => Some(FloatDtype::F32),
        2 => Some(FloatDtype::F16),
        3 => Some(FloatDtype::Bf16),
        4 => Some(FloatDtype::Bytes),
        _ => None,
    }
}

/// The codec of method `float` (id 2).
#[derive(Debug, Clone, Copy, Default)]
pub struct FloatCodec;

/// The encoder of one `float` container: the layout comes from the first block (a
/// safetensors header must fit in it) or from the `dtype` parameter.
struct FloatEncoder {
    dtype: Option<FloatDtype>,
    layout: Option<Layout>,
}

impl BlockEncoder for FloatEncoder {
    fn encode_block(
        &mut self,
        offset: u64,
        data: &[u8],
        progress: &mut dyn FnMut(usize),
    ) -> Result<Vec<u8>> {
        let dtype = self.dtype;
        let layout = self.layout.get_or_insert_with(|| match dtype {
            Some(d) => Layout::flat(d),
            None => {
                Layout::from_safetensors(data).unwrap_or_else(|| Layout::flat(FloatDtype::Bytes))
            }
        });
        encode_block(data, &layout.segments(offset, data.len()), progress)
    }
}

impl Codec for FloatCodec {
    fn id(&self) -> u8 {
        2
    }
    fn name(&self) -> &'static str {
        "float"
    }
    fn description(&self) -> &'static str {
        "model weights: safetensors-aware f32/f16/bf16 byte planes with \
         Huffman-coded exponents, parallel chunks"
    }
    fn levels(&self) -> RangeInclusive<u8> {
        1..=1
    }
    fn default_level(&self) -> u8 {
        1
    }
    fn params(&self) -> &'static [ParamSpec] {
        &[DTYPE]
    }
    fn memory(&self, _level: u8, len: usize) -> Result<usize> {
        Ok(cm::CmConfig::for_level(1)?.memory(SMALL_SEGMENT) + 2 * len)
    }
    /// One block alone: the whole block as one segment of the `dtype` parameter's type
    /// (bytes for `auto`: a safetensors layout needs the stream, see [`Codec::encoder`]).
    fn encode_block(
        &self,
        _level: u8,
        params: &Params,
        data: &[u8],
        progress: &mut dyn FnMut(usize),
    ) -> Result<Vec<u8>> {
        let dtype = dtype_of(params).unwrap_or(FloatDtype::Bytes);
        encode_block(data, &[(data.len(), dtype)], progress)
    }
    fn encoder<'a>(&'a self, _level: u8, params: &Params) -> Result<Box<dyn BlockEncoder + 'a>> {
        Ok(Box::new(FloatEncoder {
            dtype: dtype_of(params),
            layout: None,
        }))
    }
    fn decode_block(
        &self,
        _level: u8,
        _params: &Params,
        payload: &[u8],
        out: &mut [u8],
        progress: &mut dyn FnMut(usize),
    ) -> Result<()> {
        decode_block_into(payload, out, progress)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_cuts_blocks_at_tensor_boundaries() {
        let l = Layout {
            ranges: vec![
                (10, 30, FloatDtype::F32),
                (30, 38, FloatDtype::Bf16),
                (50, 60, FloatDtype::F16),
            ],
            whole: None,
        };
        assert_eq!(
            l.segments(0, 64),
            vec![
                (10, FloatDtype::Bytes),
                (20, FloatDtype::F32),
                (8, FloatDtype::Bf16),
                (12, FloatDtype::Bytes),
                (10, FloatDtype::F16),
                (4, FloatDtype::Bytes)
            ]
        );
        assert_eq!(
            l.segments(20, 15),
            vec![(10, FloatDtype::F32), (5, FloatDtype::Bf16)]
        );
        assert_eq!(
            Layout::flat(FloatDtype::F16).segments(7, 9),
            vec![(9, FloatDtype::F16)]
        );
        assert!(Layout::from_safetensors(b"not a safetensors file").is_none());
        let mut st = Vec::new();
        let json = br#"{"__metadata__":{"a":"b"},"w":{"dtype":"BF16","shape":[2],"data_offsets":[4,8]},"i":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}}"#;
        st.extend_from_slice(&(json.len() as u64).to_le_bytes());
        st.extend_from_slice(json);
        let l = Layout::from_safetensors(&st).unwrap();
        let h = st.len();
        assert_eq!(
            l.segments(0, h + 8),
            vec![(h + 4, FloatDtype::Bytes), (4, FloatDtype::Bf16)]
        );
    }
}
