//! GGUF v2/v3 reader and dequantization of its block formats.
//!
//! GGUF is llama.cpp's model file: a header, typed metadata, tensor descriptions, then
//! the tensor data, each tensor stored in a *block format* (`Q4_0`, `Q4_1`, `Q8_0`, …)
//! that is itself a quantizer with an exact bit cost, which is why the reader lives in
//! this crate.
//!
//! | offset | field | type |
//! |---|---|---|
//! | 0 | magic `GGUF` | 4 bytes |
//! | 4 | version (2 or 3) | u32 |
//! | 8 | tensor count | u64 |
//! | 16 | metadata count | u64 |
//! | 24 | metadata: key (string), value type (u32), value | … |
//! | … | tensor infos: name, dims (u32 count, u64 each), ggml type (u32), offset (u64) | … |
//! | … | padding to `general.alignment` (default 32), then tensor data | … |
//!
//! A file without tensors (llama.cpp's vocabulary-only `ggml-vocab-*.gguf`) may end
//! anywhere at or after the end of its metadata: its data section is empty, so the
//! padding before it is optional.
//!
//! Strings are a u64 byte length and UTF-8 bytes; arrays are an element type (u32), a
//! u64 length and the elements. All integers are little-endian.
//!
//! The reader works on a byte slice (a file read or mapped by the caller) and borrows
//! tensor data from it. Every count and length is checked against the bytes that remain
//! *before* anything is allocated, so a truncated or hostile file gives an [`Error`],
//! never a panic or an allocation the input cannot justify.
//!
//! ```
//! use quant_prune::gguf::{GgmlType, Gguf};
//!
//! // A file with one 2×2 F32 tensor, built by hand.
//! let mut f = b"GGUF".to_vec();
//! f.extend(3u32.to_le_bytes()); // version
//! f.extend(1u64.to_le_bytes()); // tensors
//! f.extend(0u64.to_le_bytes()); // metadata
//! f.extend(1u64.to_le_bytes()); f.extend(b"w"); // name
//! f.extend(2u32.to_le_bytes()); f.extend(2u64.to_le_bytes()); f.extend(2u64.to_le_bytes());
//! f.extend(0u32.to_le_bytes()); // F32
//! f.extend(0u64.to_le_bytes()); // offset
//! f.resize(f.len().next_multiple_of(32), 0);
//! for x in [1.0f32, 2.0, 3.0, 4.0] { f.extend(x.to_le_bytes()); }
//!
//! let gguf = Gguf::parse(&f)?;
//! let w = gguf.tensor("w").unwrap();
//! assert_eq!((w.ggml_type, w.dims.as_slice()), (GgmlType::F32, &[2u64, 2][..]));
//! assert_eq!(gguf.dequantize(w)?, [1.0, 2.0, 3.0, 4.0]);
//! # Ok::<(), quant_prune::Error>(())
//! ```

use crate::{Error, Result};
use half::{bf16, f16};

/// Most dimensions a GGUF tensor has (ggml's `GGML_MAX_DIMS`).
pub const MAX_DIMS: usize = 4;
/// Alignment of the tensor data when the file does not set `general.alignment`.
pub const DEFAULT_ALIGNMENT: u64 = 32;

/// A parsed GGUF file: metadata and tensor infos, borrowing the tensor data.
#[derive(Debug, Clone)]
pub struct Gguf<'a> {
    /// Format version (2 or 3).
    pub version: u32,
    /// Metadata key/value pairs in file order.
    pub metadata: Vec<(String, MetadataValue)>,
    /// Tensor descriptions in file order.
    pub tensors: Vec<TensorInfo>,
    /// Alignment of the data section and of every tensor's offset.
    pub alignment: u64,
    /// The data section (from the aligned end of the tensor infos to the end of the input).
    data: &'a [u8],
    /// Offset of the data section in the input.
    pub data_offset: usize,
}

/// One metadata value.
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs)] // the variants are the GGUF value types by name
pub enum MetadataValue {
    U8(u8),
    I8(i8),
    U16(u16),
    I16(i16),
    U32(u32),
    I32(i32),
    F32(f32),
    Bool(bool),
    String(String),
    /// An array; GGUF arrays are homogeneous (nested arrays are allowed).
    Array(Vec<MetadataValue>),
    U64(u64),
    I64(i64),
    F64(f64),
}

impl MetadataValue {
    /// The value as an unsigned integer, if it is a non-negative integer of any width.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Self::U8(v) => Some(v.into()),
            Self::U16(v) => Some(v.into()),
            Self::U32(v) => Some(v.into()),
            Self::U64(v) => Some(v),
            Self::I8(v) => u64::try_from(v).ok(),
            Self::I16(v) => u64::try_from(v).ok(),
            Self::I32(v) => u64::try_from(v).ok(),
            Self::I64(v) => u64::try_from(v).ok(),
            _ => None,
        }
    }

    /// The value as a float, if it is a float or an integer.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Self::F32(v) => Some(v.into()),
            Self::F64(v) => Some(v),
            Self::I8(v) => Some(v.into()),
            Self::I16(v) => Some(v.into()),
            Self::I32(v) => Some(v.into()),
            Self::I64(v) => Some(v as f64),
            _ => self.as_u64().map(|v| v as f64),
        }
    }

    /// The value as a string slice.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::String(s) => Some(s),
            _ => None,
        }
    }

    /// The value as a boolean.
    pub fn as_bool(&self) -> Option<bool> {
        match *self {
            Self::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// The value as an array.
    pub fn as_array(&self) -> Option<&[MetadataValue]> {
        match self {
            Self::Array(a) => Some(a),
            _ => None,
        }
    }
}

/// ggml tensor types this reader knows; [`GgmlType::Other`] keeps the raw id of the rest
/// so files using them still parse (their tensors just cannot be dequantized here).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GgmlType {
    /// 32-bit float.
    F32,
    /// IEEE half.
    F16,
    /// bfloat16.
    Bf16,
    /// Blocks of 32: f16 scale `d`, 32 four-bit codes; `x = (q − 8)·d`.
    Q4_0,
    /// Blocks of 32: f16 scale `d` and minimum `m`, 32 four-bit codes; `x = q·d + m`.
    Q4_1,
    /// Blocks of 32: f16 scale `d`, 32 signed bytes; `x = q·d`.
    Q8_0,
    /// Super-blocks of 256: f16 `d` and `dmin`, 8 sub-blocks of 32 with 6-bit scales and
    /// minimums, four-bit codes; `x = d·sc·q − dmin·m` (4.5 bits per value).
    Q4K,
    /// Super-blocks of 256: 16 sub-blocks of 16 with signed 8-bit scales, six-bit codes
    /// (low four bits and high two bits in separate planes), f16 `d`;
    /// `x = d·sc·(q − 32)` (6.5625 bits per value).
    Q6K,
    /// Any other ggml type id.
    Other(u32),
}

impl GgmlType {
    /// The type of a ggml type id.
    pub fn from_id(id: u32) -> Self {
        match id {
            0 => Self::F32,
            1 => Self::F16,
            2 => Self::Q4_0,
            3 => Self::Q4_1,
            8 => Self::Q8_0,
            12 => Self::Q4K,
            14 => Self::Q6K,
            30 => Self::Bf16,
            other => Self::Other(other),
        }
    }

    /// The ggml type id.
    pub fn id(self) -> u32 {
        match self {
            Self::F32 => 0,
            Self::F16 => 1,
            Self::Q4_0 => 2,
            Self::Q4_1 => 3,
            Self::Q8_0 => 8,
            Self::Q4K => 12,
            Self::Q6K => 14,
            Self::Bf16 => 30,
            Self::Other(id) => id,
        }
    }

    /// `(values per block, bytes per block)`, or `None` for types this reader cannot size.
    pub fn block_layout(self) -> Option<(u64, u64)> {
        match self {
            Self::F32 => Some((1, 4)),
            Self::F16 | Self::Bf16 => Some((1, 2)),
            Self::Q4_0 => Some((32, 18)),
            Self::Q4_1 => Some((32, 20)),
            Self::Q8_0 => Some((32, 34)),
            Self::Q4K => Some((256, 144)),
            Self::Q6K => Some((256, 210)),
            Self::Other(_) => None,
        }
    }

    /// Exact storage cost in bits per value (scales included).
    pub fn bits_per_value(self) -> Option<f64> {
        self.block_layout().map(|(n, b)| (b * 8) as f64 / n as f64)
    }
}

/// Description of one tensor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorInfo {
    /// Tensor name, e.g. `blk.0.attn_q.weight`.
    pub name: String,
    /// Dimensions, innermost (contiguous) first, as ggml writes them: a weight with `out`
    /// rows of `in` values has `dims == [in, out]`.
    pub dims: Vec<u64>,
    /// Storage type.
    pub ggml_type: GgmlType,
    /// Offset of the data within the data section.
    pub offset: u64,
    /// Number of values.
    pub n_values: u64,
    /// Bytes of data, when the type's layout is known.
    pub n_bytes: Option<u64>,
}

/// A little-endian reader over a byte slice that never reads past its end.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8]> {
        if n > self.remaining() {
            return Err(Error::Truncated(what));
        }
        let s = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N]> {
        let s = self.take(N, what)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    fn u32(&mut self, what: &'static str) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }

    fn u64(&mut self, what: &'static str) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }

    /// A length that must be at most what remains, divided by the least bytes per item.
    fn count(&mut self, min_item_bytes: usize, what: &'static str) -> Result<usize> {
        let n = self.u64(what)?;
        let fits = (self.remaining() / min_item_bytes.max(1)) as u64;
        if n > fits {
            return Err(Error::Truncated(what));
        }
        Ok(n as usize)
    }

    fn string(&mut self, what: &'static str) -> Result<String> {
        let n = self.count(1, what)?;
        let s = self.take(n, what)?;
        String::from_utf8(s.to_vec()).map_err(|_| Error::Corrupt("GGUF string is not UTF-8"))
    }

    fn value(&mut self, ty: u32, depth: u32) -> Result<MetadataValue> {
        const WHAT: &str = "GGUF metadata value";
        Ok(match ty {
            0 => MetadataValue::U8(self.array::<1>(WHAT)?[0]),
            1 => MetadataValue::I8(self.array::<1>(WHAT)?[0] as i8),
            2 => MetadataValue::U16(u16::from_le_bytes(self.array(WHAT)?)),
            3 => MetadataValue::I16(i16::from_le_bytes(self.array(WHAT)?)),
            4 => MetadataValue::U32(u32::from_le_bytes(self.array(WHAT)?)),
            5 => MetadataValue::I32(i32::from_le_bytes(self.array(WHAT)?)),
            6 => MetadataValue::F32(f32::from_le_bytes(self.array(WHAT)?)),
            7 => match self.array::<1>(WHAT)?[0] {
                0 => MetadataValue::Bool(false),
                1 => MetadataValue::Bool(true),
                _ => return Err(Error::Corrupt("GGUF bool is neither 0 nor 1")),
            },
            8 => MetadataValue::String(self.string(WHAT)?),
            9 => {
                if depth >= 8 {
                    return Err(Error::Corrupt("GGUF arrays nested too deeply"));
                }
                let elem = self.u32("GGUF array type")?;
                let min = value_min_bytes(elem)?;
                let n = self.count(min, "GGUF array length")?;
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(self.value(elem, depth + 1)?);
                }
                MetadataValue::Array(items)
            }
            10 => MetadataValue::U64(u64::from_le_bytes(self.array(WHAT)?)),
            11 => MetadataValue::I64(i64::from_le_bytes(self.array(WHAT)?)),
            12 => MetadataValue::F64(f64::from_le_bytes(self.array(WHAT)?)),
            _ => return Err(Error::Corrupt("unknown GGUF metadata value type")),
        })
    }
}

/// The fewest bytes one value of a metadata type occupies.
fn value_min_bytes(ty: u32) -> Result<usize> {
    Ok(match ty {
        0 | 1 | 7 => 1,
        2 | 3 => 2,
        4..=6 => 4,
        8 => 8,
        9 => 12,
        10..=12 => 8,
        _ => return Err(Error::Corrupt("unknown GGUF metadata value type")),
    })
}

impl<'a> Gguf<'a> {
    /// Parses the header, metadata and tensor infos of a GGUF v2/v3 file held in `bytes`,
    /// and checks that every tensor's data lies inside `bytes`.
    pub fn parse(bytes: &'a [u8]) -> Result<Self> {
        let mut c = Cursor { bytes, pos: 0 };
        if c.take(4, "GGUF magic")? != b"GGUF" {
            return Err(Error::Corrupt("not a GGUF file (bad magic)"));
        }
        let version = c.u32("GGUF version")?;
        if !(2..=3).contains(&version) {
            return Err(Error::Corrupt("unsupported GGUF version (expected 2 or 3)"));
        }
        // A tensor info takes at least 8 + 4 + 4 + 8 bytes, a metadata pair 8 + 4 + 1.
        let n_tensors = c.u64("GGUF tensor count")?;
        let n_kv = c.u64("GGUF metadata count")?;
        let rest = c.remaining() as u64;
        if n_kv > rest / 13 || n_tensors > rest / 24 {
            return Err(Error::Truncated("GGUF counts exceed the file"));
        }
        let mut metadata = Vec::with_capacity(n_kv as usize);
        let mut alignment = DEFAULT_ALIGNMENT;
        for _ in 0..n_kv {
            let key = c.string("GGUF metadata key")?;
            let ty = c.u32("GGUF metadata type")?;
            let value = c.value(ty, 0)?;
            if key == "general.alignment" {
                alignment = value
                    .as_u64()
                    .filter(|a| a.is_power_of_two() && *a <= 1 << 16)
                    .ok_or(Error::Corrupt(
                        "GGUF alignment is not a power of two ≤ 65536",
                    ))?;
            }
            metadata.push((key, value));
        }
        let mut tensors = Vec::with_capacity(n_tensors as usize);
        for _ in 0..n_tensors {
            let name = c.string("GGUF tensor name")?;
            let n_dims = c.u32("GGUF tensor dims")? as usize;
            if n_dims > MAX_DIMS {
                return Err(Error::Corrupt("GGUF tensor has more than 4 dimensions"));
            }
            let mut dims = Vec::with_capacity(n_dims);
            let mut n_values: u64 = 1;
            for _ in 0..n_dims {
                let d = c.u64("GGUF tensor dim")?;
                n_values = n_values
                    .checked_mul(d)
                    .ok_or(Error::Corrupt("GGUF tensor size overflows"))?;
                dims.push(d);
            }
            let ggml_type = GgmlType::from_id(c.u32("GGUF tensor type")?);
            let offset = c.u64("GGUF tensor offset")?;
            if offset % alignment != 0 {
                return Err(Error::Corrupt("GGUF tensor offset is not aligned"));
            }
            let n_bytes = match ggml_type.block_layout() {
                Some((per_block, block_bytes)) => {
                    // Blocks run along the innermost dimension.
                    if dims.first().copied().unwrap_or(1) % per_block != 0 {
                        return Err(Error::Corrupt(
                            "GGUF tensor row is not a whole number of blocks",
                        ));
                    }
                    Some(
                        (n_values / per_block)
                            .checked_mul(block_bytes)
                            .ok_or(Error::Corrupt("GGUF tensor size overflows"))?,
                    )
                }
                None => None,
            };
            tensors.push(TensorInfo {
                name,
                dims,
                ggml_type,
                offset,
                n_values,
                n_bytes,
            });
        }
        let mut data_offset = (c.pos as u64).next_multiple_of(alignment);
        if data_offset > bytes.len() as u64 {
            if !tensors.is_empty() {
                return Err(Error::Truncated("GGUF data section"));
            }
            // No tensors, so the data section is empty and its padding optional:
            // llama.cpp's writer ends vocabulary-only files right after the metadata.
            data_offset = bytes.len() as u64;
        }
        let data = &bytes[data_offset as usize..];
        for t in &tensors {
            if let Some(n) = t.n_bytes {
                let end = t
                    .offset
                    .checked_add(n)
                    .ok_or(Error::Corrupt("GGUF tensor size overflows"))?;
                if end > data.len() as u64 {
                    return Err(Error::Truncated("GGUF tensor data"));
                }
            }
        }
        Ok(Self {
            version,
            metadata,
            tensors,
            alignment,
            data,
            data_offset: data_offset as usize,
        })
    }

    /// The metadata value of `key`.
    pub fn get(&self, key: &str) -> Option<&MetadataValue> {
        self.metadata.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The tensor called `name`.
    pub fn tensor(&self, name: &str) -> Option<&TensorInfo> {
        self.tensors.iter().find(|t| t.name == name)
    }

    /// The stored bytes of a tensor of a known type.
    pub fn tensor_bytes(&self, t: &TensorInfo) -> Result<&'a [u8]> {
        let n = t.n_bytes.ok_or(Error::UnsupportedType(t.ggml_type.id()))?;
        let start = usize::try_from(t.offset).map_err(|_| Error::Truncated("GGUF tensor data"))?;
        let len = usize::try_from(n).map_err(|_| Error::Truncated("GGUF tensor data"))?;
        start
            .checked_add(len)
            .and_then(|end| self.data.get(start..end))
            .ok_or(Error::Truncated("GGUF tensor data"))
    }

    /// A tensor's values as `f32`, in storage order (innermost dimension fastest).
    pub fn dequantize(&self, t: &TensorInfo) -> Result<Vec<f32>> {
        dequantize(t.ggml_type, self.tensor_bytes(t)?)
    }
}

fn f16_at(b: &[u8], i: usize) -> f32 {
    f16::from_le_bytes([b[i], b[i + 1]]).to_f32()
}

/// Dequantizes `bytes` stored as `ty` into `f32` values. The output holds exactly as many
/// values as whole blocks in `bytes`; a partial block is an error.
pub fn dequantize(ty: GgmlType, bytes: &[u8]) -> Result<Vec<f32>> {
    let (per_block, block_bytes) = ty.block_layout().ok_or(Error::UnsupportedType(ty.id()))?;
    let (per_block, block_bytes) = (per_block as usize, block_bytes as usize);
    if bytes.len() % block_bytes != 0 {
        return Err(Error::Truncated("partial GGUF block"));
    }
    let mut out = Vec::with_capacity(bytes.len() / block_bytes * per_block);
    let blocks = bytes.chunks_exact(block_bytes);
    match ty {
        GgmlType::F32 => out.extend(blocks.map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))),
        GgmlType::F16 => out.extend(blocks.map(|b| f16_at(b, 0))),
        GgmlType::Bf16 => out.extend(blocks.map(|b| bf16::from_le_bytes([b[0], b[1]]).to_f32())),
        GgmlType::Q4_0 => {
            for b in blocks {
                let d = f16_at(b, 0);
                let qs = &b[2..18];
                out.extend(qs.iter().map(|&q| ((q & 0xf) as f32 - 8.0) * d));
                out.extend(qs.iter().map(|&q| ((q >> 4) as f32 - 8.0) * d));
            }
        }
        GgmlType::Q4_1 => {
            for b in blocks {
                let (d, m) = (f16_at(b, 0), f16_at(b, 2));
                let qs = &b[4..20];
                out.extend(qs.iter().map(|&q| (q & 0xf) as f32 * d + m));
                out.extend(qs.iter().map(|&q| (q >> 4) as f32 * d + m));
            }
        }
        GgmlType::Q8_0 => {
            for b in blocks {
                let d = f16_at(b, 0);
                out.extend(b[2..34].iter().map(|&q| q as i8 as f32 * d));
            }
        }
        GgmlType::Q4K => blocks.for_each(|b| dequantize_q4k(b, &mut out)),
        GgmlType::Q6K => blocks.for_each(|b| dequantize_q6k(b, &mut out)),
        GgmlType::Other(id) => return Err(Error::UnsupportedType(id)),
    }
    Ok(out)
}

/// Scale and minimum of sub-block `j` of a Q4_K super-block: 6 bits each, packed in 12
/// bytes (sub-blocks 4–7 keep their top two bits in the top bits of bytes 0–7).
fn q4k_scale_min(j: usize, s: &[u8]) -> (f32, f32) {
    let (sc, m) = if j < 4 {
        (s[j] & 63, s[j + 4] & 63)
    } else {
        (
            (s[j + 4] & 0xf) | ((s[j - 4] >> 6) << 4),
            (s[j + 4] >> 4) | ((s[j] >> 6) << 4),
        )
    };
    (sc as f32, m as f32)
}

/// One 144-byte Q4_K super-block: `d`, `dmin`, 12 bytes of scales, 128 bytes of codes
/// (each 32-byte group holds two sub-blocks: low nibbles, then high nibbles).
fn dequantize_q4k(b: &[u8], out: &mut Vec<f32>) {
    let (d, dmin) = (f16_at(b, 0), f16_at(b, 2));
    let scales = &b[4..16];
    for (g, qs) in b[16..144].chunks_exact(32).enumerate() {
        let (sc1, m1) = q4k_scale_min(2 * g, scales);
        let (sc2, m2) = q4k_scale_min(2 * g + 1, scales);
        let (d1, m1, d2, m2) = (d * sc1, dmin * m1, d * sc2, dmin * m2);
        out.extend(qs.iter().map(|&q| d1 * (q & 0xf) as f32 - m1));
        out.extend(qs.iter().map(|&q| d2 * (q >> 4) as f32 - m2));
    }
}

/// One 210-byte Q6_K super-block: 128 bytes of low nibbles, 64 bytes of high bit pairs,
/// 16 signed scales, `d`; two halves of 128 values, each from 64 low and 32 high bytes.
fn dequantize_q6k(b: &[u8], out: &mut Vec<f32>) {
    let d = f16_at(b, 208);
    let scales = &b[192..208];
    for half in 0..2 {
        let ql = &b[64 * half..64 * half + 64];
        let qh = &b[128 + 32 * half..128 + 32 * half + 32];
        let sc = &scales[8 * half..8 * half + 8];
        let mut y = [0.0f32; 128];
        for l in 0..32 {
            let is = l / 16;
            let code = |low: u8, shift: u32| (low | (((qh[l] >> shift) & 3) << 4)) as i32 - 32;
            let q = [
                code(ql[l] & 0xf, 0),
                code(ql[l + 32] & 0xf, 2),
                code(ql[l] >> 4, 4),
                code(ql[l + 32] >> 4, 6),
            ];
            for (k, &qk) in q.iter().enumerate() {
                y[l + 32 * k] = d * f32::from(sc[is + 2 * k] as i8) * qk as f32;
            }
        }
        out.extend_from_slice(&y);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string(f: &mut Vec<u8>, s: &str) {
        f.extend((s.len() as u64).to_le_bytes());
        f.extend(s.as_bytes());
    }

    /// A small file with metadata of every type and one tensor of each supported format.
    pub(crate) fn synthetic() -> Vec<u8> {
        let mut f = b"GGUF".to_vec();
        f.extend(3u32.to_le_bytes());
        f.extend(8u64.to_le_bytes());
        f.extend(15u64.to_le_bytes());
        let scalars: [(&str, u32, Vec<u8>); 12] = [
            ("u8", 0, vec![7]),
            ("i8", 1, vec![0xff]),
            ("u16", 2, 300u16.to_le_bytes().to_vec()),
            ("i16", 3, (-300i16).to_le_bytes().to_vec()),
            ("u32", 4, 70_000u32.to_le_bytes().to_vec()),
            ("i32", 5, (-70_000i32).to_le_bytes().to_vec()),
            ("f32", 6, 1.5f32.to_le_bytes().to_vec()),
            ("bool", 7, vec![1]),
            ("u64", 10, (1u64 << 40).to_le_bytes().to_vec()),
            ("i64", 11, (-1i64).to_le_bytes().to_vec()),
            ("f64", 12, 2.25f64.to_le_bytes().to_vec()),
            ("general.alignment", 4, 32u32.to_le_bytes().to_vec()),
        ];
        for (k, ty, v) in scalars {
            string(&mut f, k);
            f.extend(ty.to_le_bytes());
            f.extend(v);
        }
        string(&mut f, "str");
        f.extend(8u32.to_le_bytes());
        string(&mut f, "héllo");
        string(&mut f, "arr");
        f.extend(9u32.to_le_bytes());
        f.extend(8u32.to_le_bytes());
        f.extend(2u64.to_le_bytes());
        string(&mut f, "a b");
        string(&mut f, "c");
        string(&mut f, "nested");
        f.extend(9u32.to_le_bytes());
        f.extend(9u32.to_le_bytes());
        f.extend(1u64.to_le_bytes());
        f.extend(5u32.to_le_bytes());
        f.extend(2u64.to_le_bytes());
        f.extend(1i32.to_le_bytes());
        f.extend((-2i32).to_le_bytes());

        // Tensor data, laid out first so the infos can point at it.
        let mut data = Vec::new();
        let mut infos = Vec::new();
        let mut add = |name: &str, dims: &[u64], ty: u32, bytes: Vec<u8>| {
            data.resize(data.len().next_multiple_of(32), 0);
            let offset = data.len() as u64;
            data.extend(bytes);
            infos.push((name.to_string(), dims.to_vec(), ty, offset));
        };
        add(
            "f32",
            &[3],
            0,
            [1.0f32, -2.0, 0.5]
                .iter()
                .flat_map(|x| x.to_le_bytes())
                .collect(),
        );
        add(
            "f16",
            &[2],
            1,
            [f16::from_f32(0.25), f16::from_f32(-3.0)]
                .iter()
                .flat_map(|x| x.to_le_bytes())
                .collect(),
        );
        add(
            "bf16",
            &[2],
            30,
            [bf16::from_f32(0.5), bf16::from_f32(-8.0)]
                .iter()
                .flat_map(|x| x.to_le_bytes())
                .collect(),
        );
        let codes: Vec<u8> = (0..16u8).map(|j| j | ((15 - j) << 4)).collect();
        let mut q40 = f16::from_f32(0.5).to_le_bytes().to_vec();
        q40.extend(&codes);
        add("q4_0", &[32], 2, q40);
        let mut q41 = f16::from_f32(0.5).to_le_bytes().to_vec();
        q41.extend(f16::from_f32(-1.0).to_le_bytes());
        q41.extend(&codes);
        add("q4_1", &[32, 1], 3, q41);
        let mut q80 = f16::from_f32(0.25).to_le_bytes().to_vec();
        q80.extend((0..32).map(|j| (j as i8 - 16) as u8));
        add("q8_0", &[32], 8, q80);
        // k-quant super-blocks: all scales 1 (and minimums 0), so values are codes.
        let mut q4k = f16::from_f32(1.0).to_le_bytes().to_vec();
        q4k.extend(f16::from_f32(0.0).to_le_bytes());
        q4k.extend([1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1]);
        q4k.extend((0..128).map(|j| (j % 16) as u8 | (((j + 1) % 16) << 4) as u8));
        add("q4_k", &[256], 12, q4k);
        let mut q6k = vec![0u8; 128]; // low nibbles 0
        q6k.extend([0b1010_1010u8; 64]); // high bits 2 → codes 32 → values 0
        q6k.extend([1u8; 16]);
        q6k.extend(f16::from_f32(0.5).to_le_bytes());
        add("q6_k", &[256], 14, q6k);

        for (name, dims, ty, offset) in infos {
            string(&mut f, &name);
            f.extend((dims.len() as u32).to_le_bytes());
            for d in dims {
                f.extend(d.to_le_bytes());
            }
            f.extend(ty.to_le_bytes());
            f.extend(offset.to_le_bytes());
        }
        f.resize(f.len().next_multiple_of(32), 0);
        f.extend(data);
        f
    }

    #[test]
    fn parses_every_metadata_type_and_format() {
        let f = synthetic();
        let g = Gguf::parse(&f).unwrap();
        assert_eq!(g.version, 3);
        assert_eq!(g.get("u8"), Some(&MetadataValue::U8(7)));
        assert_eq!(g.get("i8"), Some(&MetadataValue::I8(-1)));
        assert_eq!(g.get("u16").unwrap().as_u64(), Some(300));
        assert_eq!(g.get("i16"), Some(&MetadataValue::I16(-300)));
        assert_eq!(g.get("u32").unwrap().as_u64(), Some(70_000));
        assert_eq!(g.get("i32"), Some(&MetadataValue::I32(-70_000)));
        assert_eq!(g.get("f32").unwrap().as_f64(), Some(1.5));
        assert_eq!(g.get("bool").unwrap().as_bool(), Some(true));
        assert_eq!(g.get("u64").unwrap().as_u64(), Some(1 << 40));
        assert_eq!(g.get("i64"), Some(&MetadataValue::I64(-1)));
        assert_eq!(g.get("f64").unwrap().as_f64(), Some(2.25));
        assert_eq!(g.get("str").unwrap().as_str(), Some("héllo"));
        let arr = g.get("arr").unwrap().as_array().unwrap();
        assert_eq!(arr[0].as_str(), Some("a b"));
        assert_eq!(
            g.get("nested"),
            Some(&MetadataValue::Array(vec![MetadataValue::Array(vec![
                MetadataValue::I32(1),
                MetadataValue::I32(-2)
            ])]))
        );
        let deq = |n: &str| g.dequantize(g.tensor(n).unwrap()).unwrap();
        assert_eq!(deq("f32"), [1.0, -2.0, 0.5]);
        assert_eq!(deq("f16"), [0.25, -3.0]);
        assert_eq!(deq("bf16"), [0.5, -8.0]);
        let q40 = deq("q4_0");
        let q41 = deq("q4_1");
        for j in 0..16 {
            assert_eq!(q40[j], (j as f32 - 8.0) * 0.5);
            assert_eq!(q40[j + 16], ((15 - j) as f32 - 8.0) * 0.5);
            assert_eq!(q41[j], j as f32 * 0.5 - 1.0);
            assert_eq!(q41[j + 16], (15 - j) as f32 * 0.5 - 1.0);
        }
        let q80 = deq("q8_0");
        assert_eq!(q80.len(), 32);
        assert!(
            q80.iter()
                .enumerate()
                .all(|(j, &x)| x == (j as f32 - 16.0) * 0.25)
        );
        assert_eq!(g.tensor("q4_1").unwrap().n_values, 32);
        let q4k = deq("q4_k");
        for (j, &x) in q4k.iter().enumerate() {
            let (group, within) = (j / 64, j % 64);
            let byte = group * 32 + within % 32;
            let code = if within < 32 {
                byte % 16
            } else {
                (byte + 1) % 16
            };
            assert_eq!(x, code as f32, "q4_k value {j}");
        }
        assert!(deq("q6_k").iter().all(|&x| x == 0.0));
        assert_eq!(GgmlType::Q4K.bits_per_value(), Some(4.5));
        assert_eq!(GgmlType::Q6K.bits_per_value(), Some(6.5625));
        assert_eq!(GgmlType::Q4_1.bits_per_value(), Some(5.0));
    }

    #[test]
    fn every_truncation_is_an_error() {
        let f = synthetic();
        for n in 0..f.len() {
            assert!(Gguf::parse(&f[..n]).is_err(), "prefix {n} parsed");
        }
    }

    /// A vocabulary-only file as llama.cpp's converter writes it: metadata, no tensors, and
    /// no padding after the metadata.
    fn vocab_only() -> Vec<u8> {
        let mut f = b"GGUF".to_vec();
        f.extend(3u32.to_le_bytes());
        f.extend(0u64.to_le_bytes());
        f.extend(2u64.to_le_bytes());
        string(&mut f, "tokenizer.ggml.model");
        f.extend(8u32.to_le_bytes());
        string(&mut f, "gpt2");
        string(&mut f, "tokenizer.ggml.tokens");
        f.extend(9u32.to_le_bytes());
        f.extend(8u32.to_le_bytes());
        f.extend(3u64.to_le_bytes());
        for t in ["a", "b", "ab"] {
            string(&mut f, t);
        }
        f
    }

    #[test]
    fn files_without_tensors_need_no_padding() {
        let f = vocab_only();
        assert_ne!(
            f.len() % 32,
            0,
            "the test needs an unaligned end of metadata"
        );
        for pad in [0, 1, f.len().next_multiple_of(32) - f.len(), 40] {
            let mut g = f.clone();
            g.resize(f.len() + pad, 0);
            let p = Gguf::parse(&g).unwrap_or_else(|e| panic!("padding {pad}: {e}"));
            assert!(p.tensors.is_empty());
            assert_eq!(
                p.get("tokenizer.ggml.model").unwrap().as_str(),
                Some("gpt2")
            );
            assert_eq!(
                p.get("tokenizer.ggml.tokens")
                    .unwrap()
                    .as_array()
                    .unwrap()
                    .len(),
                3
            );
            assert_eq!(p.data_offset, g.len().min(f.len().next_multiple_of(32)));
        }
        // The metadata itself must be whole.
        for n in 0..f.len() {
            assert!(Gguf::parse(&f[..n]).is_err(), "prefix {n} parsed");
        }
        // With a tensor, the data section (and the padding before it) stays mandatory.
        let mut one = f.clone();
        one[8..16].copy_from_slice(&1u64.to_le_bytes());
        string(&mut one, "t");
        one.extend(1u32.to_le_bytes());
        one.extend(1u64.to_le_bytes());
        one.extend(0u32.to_le_bytes());
        one.extend(0u64.to_le_bytes());
        let end = one.len();
        assert!(matches!(Gguf::parse(&one), Err(Error::Truncated(_))));
        one.resize(end.next_multiple_of(32), 0);
        assert!(matches!(Gguf::parse(&one), Err(Error::Truncated(_))));
        one.extend(2.5f32.to_le_bytes());
        let p = Gguf::parse(&one).unwrap();
        assert_eq!(p.dequantize(&p.tensors[0]).unwrap(), [2.5]);
    }

    #[test]
    fn hostile_counts_are_rejected_without_allocating() {
        let mut f = b"GGUF".to_vec();
        f.extend(3u32.to_le_bytes());
        f.extend(u64::MAX.to_le_bytes());
        f.extend(u64::MAX.to_le_bytes());
        assert!(matches!(Gguf::parse(&f), Err(Error::Truncated(_))));
        // A string array claiming 2^60 elements.
        let mut f = b"GGUF".to_vec();
        f.extend(3u32.to_le_bytes());
        f.extend(0u64.to_le_bytes());
        f.extend(1u64.to_le_bytes());
        string(&mut f, "k");
        f.extend(9u32.to_le_bytes());
        f.extend(8u32.to_le_bytes());
        f.extend((1u64 << 60).to_le_bytes());
        assert!(Gguf::parse(&f).is_err());
        // A tensor whose dims overflow.
        let mut f = b"GGUF".to_vec();
        f.extend(3u32.to_le_bytes());
        f.extend(1u64.to_le_bytes());
        f.extend(0u64.to_le_bytes());
        string(&mut f, "t");
        f.extend(2u32.to_le_bytes());
        f.extend((1u64 << 40).to_le_bytes());
        f.extend((1u64 << 40).to_le_bytes());
        f.extend(0u32.to_le_bytes());
        f.extend(0u64.to_le_bytes());
        assert!(Gguf::parse(&f).is_err());
    }

    #[test]
    fn single_byte_corruptions_never_panic() {
        let f = synthetic();
        for i in 0..f.len() {
            for x in [0x00, 0x01, 0x80, 0xff] {
                let mut g = f.clone();
                g[i] ^= x;
                if let Ok(p) = Gguf::parse(&g) {
                    for t in &p.tensors {
                        let _ = p.dequantize(t);
                    }
                }
            }
        }
    }
}
