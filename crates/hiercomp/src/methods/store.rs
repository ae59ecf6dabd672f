//! Method `store`: no modelling; blocks are framed and checksummed as they are.

use crate::codec::{Codec, Params};
use crate::error::{Error, Result};
use std::ops::RangeInclusive;

/// The codec of method `store` (id 0).
#[derive(Debug, Clone, Copy, Default)]
pub struct StoreCodec;

impl Codec for StoreCodec {
    fn id(&self) -> u8 {
        0
    }
    fn name(&self) -> &'static str {
        "store"
    }
    fn description(&self) -> &'static str {
        "no compression; blocks stored and checksummed"
    }
    fn levels(&self) -> RangeInclusive<u8> {
        0..=0
    }
    fn default_level(&self) -> u8 {
        0
    }
    fn memory(&self, _level: u8, _len: usize) -> Result<usize> {
        Ok(0)
    }
    /// The block itself, which the container then stores (coded output is kept only when
    /// smaller).
    fn encode_block(
        &self,
        _level: u8,
        _params: &Params,
        data: &[u8],
        progress: &mut dyn FnMut(usize),
    ) -> Result<Vec<u8>> {
        progress(data.len());
        Ok(data.to_vec())
    }
    fn decode_block(
        &self,
        _level: u8,
        _params: &Params,
        _payload: &[u8],
        _out: &mut [u8],
        _progress: &mut dyn FnMut(usize),
    ) -> Result<()> {
        Err(Error::Corrupt(
            "a store container holds stored blocks only".into(),
        ))
    }
}
