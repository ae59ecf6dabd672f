//! Method `cm`: bitwise context mixing.
//!
//! The coder — level configurations, table sizing, the composed predictor, the block coder
//! — is [`ctx_models::cm`]; this module puts its blocks in the container: the header's level
//! picks the [`CmConfig`], and each block is coded independently. Design, ablation and
//! measurements: `docs/methods/cm.md`.

use crate::{Error, Result};
pub use ctx_models::cm::{
    CmConfig, DEFAULT_LEVEL, LARGE_BLOCK, MAX_HIGH_LESS, MAX_LEVEL, MIN_LEVEL, cost_bits,
};

impl From<ctx_models::Error> for Error {
    fn from(e: ctx_models::Error) -> Self {
        match e {
            ctx_models::Error::InvalidLevel(level) => Error::InvalidLevel {
                method: "cm",
                level,
            },
            ctx_models::Error::Coder(e) => Error::Coder(e),
            e => Error::Corrupt(e.to_string()),
        }
    }
}

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
