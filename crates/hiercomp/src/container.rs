//! The `.hcz` container: one framing for every artifact hiercomp writes.
//!
//! A container is a header, a sequence of blocks, and an end block. All integers are
//! little-endian; all checksums are CRC32C (Castagnoli).
//!
//! ## Header (24 bytes)
//!
//! | offset | size | field | rule |
//! |---:|---:|---|---|
//! | 0 | 4 | magic `48 43 5A 00` (`"HCZ\0"`) | else [`Error::BadMagic`] |
//! | 4 | 1 | format version | `1`; else [`Error::UnsupportedVersion`] |
//! | 5 | 1 | method id ([`Method::id`]) | in the registry ([`crate::methods::REGISTRY`]); else [`Error::UnknownMethod`] |
//! | 6 | 1 | level | in the method's levels; else [`Error::InvalidLevel`] |
//! | 7 | 1 | block size, log2 | `16..=24` (64 KiB … 16 MiB) |
//! | 8 | 2 | flags | reserved, must be 0 |
//! | 10 | 2 | method parameters: version, then the values the method declares ([`crate::codec`]) | else [`Error::InvalidParameter`] or [`Error::ReservedBitsSet`] |
//! | 12 | 8 | original length in bytes | `u64::MAX` when unknown (streamed input) |
//! | 20 | 4 | CRC32C of bytes 0‥20 | else [`Error::HeaderChecksum`] |
//!
//! ## Block (20-byte block header, then the payload)
//!
//! | offset | size | field | rule |
//! |---:|---:|---|---|
//! | 0 | 1 | kind: 0 = coded by the method, 1 = stored, 2 = end | else [`Error::Corrupt`] |
//! | 1 | 3 | reserved | must be 0 |
//! | 4 | 4 | raw length | ≤ block size; 0 only for the end block |
//! | 8 | 4 | payload length | stored: = raw length; coded: < raw length; end: 0 |
//! | 12 | 4 | CRC32C of the raw bytes (end block: of the whole original content) | else [`Error::ContentChecksum`] |
//! | 16 | 4 | CRC32C of block-header bytes 0‥16 and the payload | else [`Error::BlockChecksum`] |
//!
//! A block whose coded payload would not be smaller than its raw bytes is stored instead,
//! so the container never grows its input by more than the header, 20 bytes per block and
//! the end block. Blocks are independent: each one's model starts fresh.
//!
//! ## Decoding rules
//! (Fuzzing builds, `cfg(fuzzing)`, skip the checksums so that mutated inputs reach the
//! decoders; nothing else changes.)
//! The block checksum is verified *before* a payload is decoded (garbage is never fed to a
//! model), the content checksum after. The sum of raw lengths must equal a known original
//! length, and nothing may follow the end block. Allocations are bounded by the block size
//! (16 MiB at most) per block; [`Limits`] caps output size and model memory.

use crate::codec::Method;
use crate::codec::Params;
use crate::error::{Error, Result};
use rayon::prelude::*;
use std::io::{Read, Write};

/// The four magic bytes that start every container.
pub const MAGIC: [u8; 4] = *b"HCZ\0";
/// The format version this library writes and reads.
pub const VERSION: u8 = 1;
/// Size of the container header.
pub const HEADER_LEN: usize = 24;
/// Size of a block header.
pub const BLOCK_HEADER_LEN: usize = 20;
/// Default block size, log2 (16 MiB).
pub const DEFAULT_BLOCK_LOG: u8 = 24;
/// Smallest and largest block size, log2.
pub const BLOCK_LOG_RANGE: std::ops::RangeInclusive<u8> = 16..=24;

/// Whether decoders verify checksums: always, except in fuzzing builds (`cfg(fuzzing)`,
/// set by cargo-fuzz), where a checksum would reject every mutated input before a decoder
/// sees it — as zstd does in its fuzzing builds. Lengths, limits and every other check stay.
const CHECKSUMS: bool = !cfg!(fuzzing);

const KIND_CODED: u8 = 0;
const KIND_STORED: u8 = 1;
const KIND_END: u8 = 2;

/// How to compress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompressOptions {
    /// The method.
    pub method: Method,
    /// The level (see [`Method::levels`]).
    pub level: u8,
    /// Block size, log2, in [`BLOCK_LOG_RANGE`].
    pub block_log: u8,
    /// The values of the method's parameters ([`Method::params`]), recorded in the header.
    pub params: Params,
}

impl CompressOptions {
    /// `method` at its default level with 16 MiB blocks.
    pub fn new(method: Method) -> Self {
        Self {
            method,
            level: method.default_level(),
            block_log: DEFAULT_BLOCK_LOG,
            params: Params::DEFAULT,
        }
    }

    /// The same options with the method's parameter `name` set to `value` (one of the
    /// choices the method declares, see `hiercomp methods`).
    ///
    /// ```
    /// use hiercomp::{CompressOptions, Method};
    /// let opts = CompressOptions::new(Method::FLOAT).param("dtype", "bf16")?;
    /// assert!(CompressOptions::new(Method::FLOAT).param("dtype", "f64").is_err());
    /// assert!(CompressOptions::new(Method::CM).param("dtype", "f32").is_err());
    /// # Ok::<(), hiercomp::Error>(())
    /// ```
    pub fn param(mut self, name: &str, value: &str) -> Result<Self> {
        self.params = self.params.with(self.method.params(), name, value)?;
        Ok(self)
    }

    /// The same options at `level`.
    pub fn level(mut self, level: u8) -> Self {
        self.level = level;
        self
    }

    /// The same options with blocks of `2^block_log` bytes.
    pub fn block_log(mut self, block_log: u8) -> Self {
        self.block_log = block_log;
        self
    }

    fn validate(&self) -> Result<()> {
        self.method.check_level(self.level)?;
        if !BLOCK_LOG_RANGE.contains(&self.block_log) {
            return Err(Error::AbsurdLength {
                what: "block size log2",
                value: self.block_log as u64,
                max: *BLOCK_LOG_RANGE.end() as u64,
            });
        }
        Ok(())
    }
}

/// Caps a decoder applies to what a container asks of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most bytes the container may decode to.
    pub max_output: u64,
    /// Most model memory one block may need (see [`Method::memory`]).
    pub max_memory: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_output: u64::MAX,
            max_memory: 2 << 30,
        }
    }
}

/// The parsed container header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// The method.
    pub method: Method,
    /// The level.
    pub level: u8,
    /// Block size, log2.
    pub block_log: u8,
    /// The method's parameters.
    pub params: Params,
    /// The original length, if it was known when compressing.
    pub original_len: Option<u64>,
}

impl Header {
    /// The header's 24 bytes.
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut b = [0u8; HEADER_LEN];
        b[0..4].copy_from_slice(&MAGIC);
        b[4] = VERSION;
        b[5] = self.method.id();
        b[6] = self.level;
        b[7] = self.block_log;
        b[10..12].copy_from_slice(&self.params.to_header(self.method.params()));
        b[12..20].copy_from_slice(&self.original_len.unwrap_or(u64::MAX).to_le_bytes());
        let crc = crc32c::crc32c(&b[..20]);
        b[20..24].copy_from_slice(&crc.to_le_bytes());
        b
    }

    /// Parses and checks a header.
    pub fn parse(b: &[u8]) -> Result<Self> {
        if b.len() < 4 || b[..4] != MAGIC {
            // A short foreign file is "not ours" rather than "truncated".
            if b.len() >= 4 || !MAGIC.starts_with(b) {
                return Err(Error::BadMagic);
            }
        }
        if b.len() < HEADER_LEN {
            return Err(Error::Truncated { what: "header" });
        }
        if b[4] != VERSION {
            return Err(Error::UnsupportedVersion(b[4]));
        }
        let stored = u32::from_le_bytes(b[20..24].try_into().expect("4 bytes"));
        if CHECKSUMS && crc32c::crc32c(&b[..20]) != stored {
            return Err(Error::HeaderChecksum);
        }
        if b[8..10] != [0; 2] {
            return Err(Error::ReservedBitsSet {
                what: "header flags",
            });
        }
        let method = Method::from_id(b[5])?;
        let level = b[6];
        method.check_level(level)?;
        let params = Params::from_header([b[10], b[11]], method.params())?;
        let block_log = b[7];
        if !BLOCK_LOG_RANGE.contains(&block_log) {
            return Err(Error::AbsurdLength {
                what: "block size log2",
                value: block_log as u64,
                max: *BLOCK_LOG_RANGE.end() as u64,
            });
        }
        let len = u64::from_le_bytes(b[12..20].try_into().expect("8 bytes"));
        Ok(Self {
            method,
            level,
            block_log,
            params,
            original_len: (len != u64::MAX).then_some(len),
        })
    }
}

/// What a compression or decompression did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    /// The method of the container.
    pub method: Option<Method>,
    /// The level of the container.
    pub level: u8,
    /// Uncompressed bytes.
    pub raw_bytes: u64,
    /// Container bytes.
    pub container_bytes: u64,
    /// Number of data blocks.
    pub blocks: u64,
}

fn read_full<R: Read>(r: &mut R, buf: &mut [u8]) -> Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::Io(e)),
        }
    }
    Ok(n)
}

/// CRC32C of `data` continuing `crc`; large inputs are checksummed in 1 MiB pieces in
/// parallel (rayon) and the pieces combined, so checksums do not serialize multi-threaded
/// coding.
fn crc_append(crc: u32, data: &[u8]) -> u32 {
    const PIECE: usize = 1 << 20;
    if data.len() < 2 * PIECE {
        return crc32c::crc32c_append(crc, data);
    }
    let parts: Vec<(u32, usize)> = data
        .par_chunks(PIECE)
        .map(|p| (crc32c::crc32c(p), p.len()))
        .collect();
    parts
        .into_iter()
        .fold(crc, |acc, (c, len)| crc32c::crc32c_combine(acc, c, len))
}

fn block_header(kind: u8, raw_len: u32, payload: &[u8], raw_crc: u32) -> [u8; BLOCK_HEADER_LEN] {
    let mut h = [0u8; BLOCK_HEADER_LEN];
    h[0] = kind;
    h[4..8].copy_from_slice(&raw_len.to_le_bytes());
    h[8..12].copy_from_slice(&(payload.len() as u32).to_le_bytes());
    h[12..16].copy_from_slice(&raw_crc.to_le_bytes());
    let crc = crc_append(crc32c::crc32c(&h[..16]), payload);
    h[16..20].copy_from_slice(&crc.to_le_bytes());
    h
}

/// Compresses everything `input` yields into `output`.
///
/// `original_len` is written in the header when known (it is checked on decompression);
/// `progress` receives the number of input bytes done so far.
pub fn compress_stream<R: Read, W: Write>(
    mut input: R,
    mut output: W,
    opts: &CompressOptions,
    original_len: Option<u64>,
    progress: &mut dyn FnMut(u64),
) -> Result<Stats> {
    opts.validate()?;
    let header = Header {
        method: opts.method,
        level: opts.level,
        block_log: opts.block_log,
        params: opts.params,
        original_len,
    };
    output.write_all(&header.to_bytes())?;
    let mut stats = Stats {
        method: Some(opts.method),
        level: opts.level,
        container_bytes: HEADER_LEN as u64,
        ..Stats::default()
    };
    let block_size = 1usize << opts.block_log;
    let mut buf = vec![0u8; block_size.min(original_len.map_or(block_size, |l| l.max(1) as usize))];
    let mut total_crc = 0u32;
    let mut encoder = opts.method.codec().encoder(opts.level, &opts.params)?;
    loop {
        let n = read_full(&mut input, &mut buf)?;
        if n == 0 {
            break;
        }
        let raw = &buf[..n];
        let done = stats.raw_bytes;
        let coded = encoder.encode_block(done, raw, &mut |k| progress(done + k as u64))?;
        let raw_crc = crc_append(0, raw);
        total_crc = crc32c::crc32c_combine(total_crc, raw_crc, raw.len());
        let (kind, payload) = if coded.len() < raw.len() {
            (KIND_CODED, &coded[..])
        } else {
            (KIND_STORED, raw)
        };
        output.write_all(&block_header(kind, n as u32, payload, raw_crc))?;
        output.write_all(payload)?;
        stats.raw_bytes += n as u64;
        stats.container_bytes += (BLOCK_HEADER_LEN + payload.len()) as u64;
        stats.blocks += 1;
        if n < buf.len() {
            break;
        }
        if buf.len() < block_size {
            // The length hint was exceeded: the input is longer than announced.
            buf.resize(block_size, 0);
        }
    }
    if let Some(l) = original_len {
        if l != stats.raw_bytes {
            return Err(Error::LengthMismatch {
                expected: l,
                actual: stats.raw_bytes,
            });
        }
    }
    output.write_all(&block_header(KIND_END, 0, &[], total_crc))?;
    stats.container_bytes += BLOCK_HEADER_LEN as u64;
    output.flush()?;
    Ok(stats)
}

/// Where the decoder takes bytes from: a reader (payloads copied into a reused buffer) or
/// a slice in memory (payloads borrowed, no copy).
trait Source {
    /// Fills as much of `buf` as the input holds; returns the count.
    fn read_some(&mut self, buf: &mut [u8]) -> Result<usize>;
    /// The next `len` bytes, or fewer at the end of the input.
    fn payload(&mut self, len: usize) -> Result<&[u8]>;
}

struct ReadSource<R> {
    input: R,
    buf: Vec<u8>,
}

impl<R: Read> Source for ReadSource<R> {
    fn read_some(&mut self, buf: &mut [u8]) -> Result<usize> {
        read_full(&mut self.input, buf)
    }

    fn payload(&mut self, len: usize) -> Result<&[u8]> {
        // `len` is at most the block size (checked by the caller), so reserving it up front
        // is bounded; reading stops at the real end of the input.
        self.buf.clear();
        self.buf.reserve(len);
        (&mut self.input)
            .take(len as u64)
            .read_to_end(&mut self.buf)?;
        Ok(&self.buf)
    }
}

struct SliceSource<'a>(&'a [u8]);

impl Source for SliceSource<'_> {
    fn read_some(&mut self, buf: &mut [u8]) -> Result<usize> {
        let n = buf.len().min(self.0.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }

    fn payload(&mut self, len: usize) -> Result<&[u8]> {
        let (p, rest) = self.0.split_at(len.min(self.0.len()));
        self.0 = rest;
        Ok(p)
    }
}

/// Where decoded blocks go: a writer (through a reused block buffer) or one vector in
/// memory (blocks decoded in place).
trait Sink {
    /// Room for the next block's `len` raw bytes.
    fn room(&mut self, len: usize) -> &mut [u8];
    /// The block in `room` is verified: pass it on.
    fn commit(&mut self) -> Result<()>;
}

struct WriteSink<W> {
    output: W,
    buf: Vec<u8>,
}

impl<W: Write> Sink for WriteSink<W> {
    fn room(&mut self, len: usize) -> &mut [u8] {
        self.buf.resize(len, 0);
        &mut self.buf
    }

    fn commit(&mut self) -> Result<()> {
        Ok(self.output.write_all(&self.buf)?)
    }
}

/// Decodes into `out[..len]`; `out` may be pre-sized (zeroed) to the announced length, so
/// that blocks land in place without growing it.
struct VecSink<'a> {
    out: &'a mut Vec<u8>,
    /// Bytes committed.
    len: usize,
    /// Length of the block in `room`.
    pending: usize,
}

impl Sink for VecSink<'_> {
    fn room(&mut self, len: usize) -> &mut [u8] {
        let end = self.len + len;
        if self.out.len() < end {
            self.out.resize(end, 0);
        }
        self.pending = len;
        &mut self.out[self.len..end]
    }

    fn commit(&mut self) -> Result<()> {
        self.len += self.pending;
        Ok(())
    }
}

/// Decompresses a container from `input` into `output`, block by block.
///
/// Every block is verified before its bytes are written, so `output` only ever receives
/// checked data; on error it may hold the blocks before the bad one (write to a temporary
/// file and rename on success to avoid partial files).
pub fn decompress_stream<R: Read, W: Write>(
    input: R,
    output: W,
    limits: &Limits,
    progress: &mut dyn FnMut(u64),
) -> Result<Stats> {
    let mut sink = WriteSink {
        output,
        buf: Vec::new(),
    };
    let stats = decode_container(
        &mut ReadSource {
            input,
            buf: Vec::new(),
        },
        &mut sink,
        limits,
        progress,
    )?;
    sink.output.flush()?;
    Ok(stats)
}

/// The block loop shared by the streaming and the in-memory decoders.
fn decode_container(
    input: &mut impl Source,
    sink: &mut impl Sink,
    limits: &Limits,
    progress: &mut dyn FnMut(u64),
) -> Result<Stats> {
    let mut hb = [0u8; HEADER_LEN];
    let n = input.read_some(&mut hb)?;
    let header = Header::parse(&hb[..n])?;
    let block_size = 1u64 << header.block_log;
    if let Some(l) = header.original_len {
        if l > limits.max_output {
            return Err(Error::LimitExceeded {
                what: "output length",
                value: l,
                limit: limits.max_output,
            });
        }
    }
    let mut stats = Stats {
        method: Some(header.method),
        level: header.level,
        container_bytes: HEADER_LEN as u64,
        ..Stats::default()
    };
    let mut total_crc = 0u32;
    loop {
        let mut bh = [0u8; BLOCK_HEADER_LEN];
        if input.read_some(&mut bh)? < BLOCK_HEADER_LEN {
            return Err(Error::Truncated {
                what: "block header",
            });
        }
        let kind = bh[0];
        if bh[1..4] != [0; 3] {
            return Err(Error::ReservedBitsSet {
                what: "block header",
            });
        }
        let raw_len = u32::from_le_bytes(bh[4..8].try_into().expect("4 bytes")) as u64;
        let payload_len = u32::from_le_bytes(bh[8..12].try_into().expect("4 bytes")) as u64;
        let raw_crc = u32::from_le_bytes(bh[12..16].try_into().expect("4 bytes"));
        let block_crc = u32::from_le_bytes(bh[16..20].try_into().expect("4 bytes"));
        let max_payload = match kind {
            KIND_CODED => raw_len.saturating_sub(1),
            KIND_STORED => raw_len,
            KIND_END => 0,
            _ => return Err(Error::Corrupt(format!("unknown block kind {kind}"))),
        };
        if raw_len > block_size {
            return Err(Error::AbsurdLength {
                what: "block raw length",
                value: raw_len,
                max: block_size,
            });
        }
        if payload_len > max_payload || (kind == KIND_STORED && payload_len != raw_len) {
            return Err(Error::AbsurdLength {
                what: "block payload length",
                value: payload_len,
                max: max_payload,
            });
        }
        if (kind == KIND_END) != (raw_len == 0) {
            return Err(Error::Corrupt(
                "empty data block or non-empty end block".into(),
            ));
        }
        let payload = input.payload(payload_len as usize)?;
        if (payload.len() as u64) < payload_len {
            return Err(Error::Truncated {
                what: "block payload",
            });
        }
        if CHECKSUMS && crc_append(crc32c::crc32c(&bh[..16]), payload) != block_crc {
            return Err(Error::BlockChecksum {
                block: stats.blocks,
            });
        }
        stats.container_bytes += (BLOCK_HEADER_LEN + payload.len()) as u64;
        if kind == KIND_END {
            if CHECKSUMS && raw_crc != total_crc {
                return Err(Error::ContentChecksum {
                    block: stats.blocks,
                });
            }
            break;
        }
        if stats.raw_bytes + raw_len > limits.max_output
            || header
                .original_len
                .is_some_and(|l| stats.raw_bytes + raw_len > l)
        {
            return Err(Error::LengthMismatch {
                expected: header.original_len.unwrap_or(limits.max_output),
                actual: stats.raw_bytes + raw_len,
            });
        }
        let raw = sink.room(raw_len as usize);
        if kind == KIND_STORED {
            raw.copy_from_slice(payload);
        } else {
            let mem = header.method.memory(header.level, raw_len as usize)?;
            if mem > limits.max_memory {
                return Err(Error::LimitExceeded {
                    what: "model memory",
                    value: mem as u64,
                    limit: limits.max_memory as u64,
                });
            }
            let done = stats.raw_bytes;
            header.method.codec().decode_block(
                header.level,
                &header.params,
                payload,
                raw,
                &mut |k| progress(done + k as u64),
            )?;
        }
        if CHECKSUMS && crc_append(0, raw) != raw_crc {
            return Err(Error::ContentChecksum {
                block: stats.blocks,
            });
        }
        total_crc = crc32c::crc32c_combine(total_crc, raw_crc, raw.len());
        sink.commit()?;
        stats.raw_bytes += raw_len;
        stats.blocks += 1;
    }
    if let Some(l) = header.original_len {
        if l != stats.raw_bytes {
            return Err(Error::LengthMismatch {
                expected: l,
                actual: stats.raw_bytes,
            });
        }
    }
    let mut extra = [0u8; 1];
    if input.read_some(&mut extra)? != 0 {
        return Err(Error::TrailingData);
    }
    Ok(stats)
}

/// Compresses `data` into a new container.
pub fn compress(data: &[u8], opts: &CompressOptions) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(data.len() / 2 + 64);
    compress_stream(data, &mut out, opts, Some(data.len() as u64), &mut |_| {})?;
    Ok(out)
}

/// Decompresses a whole container held in memory, with default [`Limits`].
pub fn decompress(container: &[u8]) -> Result<Vec<u8>> {
    decompress_with_limits(container, &Limits::default())
}

/// Decompresses a whole container held in memory under `limits`.
///
/// Payloads are read in place and blocks decoded straight into the result.
pub fn decompress_with_limits(container: &[u8], limits: &Limits) -> Result<Vec<u8>> {
    // Pre-size to what the header announces (zeroed pages cost nothing until written), but
    // never more than the caller allows or than 64 times the container (a generous bound
    // for real data; more grows as it arrives).
    let announced = Header::parse(container)
        .ok()
        .and_then(|h| h.original_len)
        .unwrap_or(0)
        .min(limits.max_output)
        .min(container.len() as u64 * 64);
    let mut out = vec![0u8; announced as usize];
    // Fresh pages are faulted in as the blocks land: 2 MiB at a time instead of 4 KiB where
    // the kernel allows (a hint; ≈ 1.5× faster decoding of large float files).
    ctx_models::advise_huge_pages(&out);
    let mut sink = VecSink {
        out: &mut out,
        len: 0,
        pending: 0,
    };
    decode_container(&mut SliceSource(container), &mut sink, limits, &mut |_| {})?;
    let len = sink.len;
    out.truncate(len);
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn parallel_crc_equals_the_serial_one() {
        let data: Vec<u8> = (0..5_000_000u32)
            .map(|i| (i * 2_654_435_761) as u8)
            .collect();
        for len in [0, 1, (2 << 20) - 1, 2 << 20, (3 << 20) + 17, data.len()] {
            let d = &data[..len];
            assert_eq!(super::crc_append(0, d), crc32c::crc32c(d), "{len}");
            assert_eq!(
                super::crc_append(0x1234_5678, d),
                crc32c::crc32c_append(0x1234_5678, d)
            );
        }
    }
}
