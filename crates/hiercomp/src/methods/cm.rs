//! Method `cm`: bitwise context mixing.
//!
//! The coder — level configurations, table sizing, the composed predictor, the block coder
//! — is [`ctx_models::cm`]; this module puts its blocks in the container: the header's level
//! picks the [`CmConfig`], and each block is coded independently. Design, ablation and
//! measurements: `docs/methods/cm.md`.

use crate::codec::{Codec, Params};
use crate::error::Result;
pub use ctx_models::cm::{
    CmConfig, DEFAULT_LEVEL, LARGE_BLOCK, MAX_HIGH_LESS, MAX_LEVEL, MIN_LEVEL, cost_bits,
};
use std::ops::RangeInclusive;

/// Compresses one block at `level`; `progress` receives the number of bytes done so far.
///
/// The payload format is [`ctx_models::cm::encode`]'s.
pub fn encode_block(data: &[u8], level: u8, progress: &mut dyn FnMut(usize)) -> Result<Vec<u8>> {
    encode_block_with(data, &CmConfig::for_level(level)?, progress)
}

/// Compresses one block with an explicit configuration (for experiments; the container
/// only records levels, so decode with [`decode_block_with`] and the same `cfg`).
pub fn encode_block_with(
    data: &[u8],
    cfg: &CmConfig,
    progress: &mut dyn FnMut(usize),
) -> Result<Vec<u8>> {
    Ok(ctx_models::cm::encode(data, cfg, progress)?)
}

/// Decompresses one block of `raw_len` bytes coded at `level` from exactly `payload`.
///
/// Fails (never panics) on truncated or trailing payload bytes; corrupted payloads decode
/// to wrong bytes, which the container's checksums catch.
pub fn decode_block(
    payload: &[u8],
    raw_len: usize,
    level: u8,
    progress: &mut dyn FnMut(usize),
) -> Result<Vec<u8>> {
    decode_block_with(payload, raw_len, &CmConfig::for_level(level)?, progress)
}

/// Decompresses one block coded by [`encode_block_with`] with the same `cfg`.
pub fn decode_block_with(
    payload: &[u8],
    raw_len: usize,
    cfg: &CmConfig,
    progress: &mut dyn FnMut(usize),
) -> Result<Vec<u8>> {
    Ok(ctx_models::cm::decode(payload, raw_len, cfg, progress)?)
}

/// The codec of method `cm` (id 1): each block coded alone at the header's level.
#[derive(Debug, Clone, Copy, Default)]
pub struct CmCodec;

impl Codec for CmCodec {
    fn id(&self) -> u8 {
        1
    }
    fn name(&self) -> &'static str {
        "cm"
    }
    fn description(&self) -> &'static str {
        "bitwise context mixing: order-N, word, sparse and match models, \
         2-layer logistic mixer, APM/SSE, binary arithmetic coder"
    }
    fn levels(&self) -> RangeInclusive<u8> {
        MIN_LEVEL..=MAX_LEVEL
    }
    fn default_level(&self) -> u8 {
        DEFAULT_LEVEL
    }
    fn memory(&self, level: u8, len: usize) -> Result<usize> {
        Ok(CmConfig::for_level(level)?.memory(len))
    }
    fn encode_block(
        &self,
        level: u8,
        _params: &Params,
        data: &[u8],
        progress: &mut dyn FnMut(usize),
    ) -> Result<Vec<u8>> {
        encode_block(data, level, progress)
    }
    fn decode_block(
        &self,
        level: u8,
        _params: &Params,
        payload: &[u8],
        out: &mut [u8],
        progress: &mut dyn FnMut(usize),
    ) -> Result<()> {
        out.copy_from_slice(&decode_block(payload, out.len(), level, progress)?);
        Ok(())
    }
}
