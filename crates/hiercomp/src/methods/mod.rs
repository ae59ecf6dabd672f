//! The documented methods, one module per paper, and the registry that names them.
//!
//! A method here is glue: it composes the building blocks into a block codec. The
//! container ([`crate::container`]) frames, checks and streams the blocks.

pub mod cm;
pub mod float;
pub mod slugger;

use crate::{Error, Result};

/// A compression method of the container format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Method {
    /// No modelling: blocks are stored as they are.
    Store,
    /// Bitwise context mixing ([`cm`]).
    Cm,
    /// Lossless model-weight coding: byte planes with Huffman-coded exponents ([`float`]).
    Float,
    /// A lossless hierarchical graph summary ([`slugger`]): the container holds the
    /// summary's binary encoding; `hiercomp graph restore` rebuilds the edge list.
    Slugger,
}

impl Method {
    /// Every method, in id order.
    pub const ALL: &'static [Method] = &[Method::Store, Method::Cm, Method::Float, Method::Slugger];

    /// The method id written in the container header.
    pub fn id(self) -> u8 {
        match self {
            Method::Store => 0,
            Method::Cm => 1,
            Method::Float => 2,
            Method::Slugger => 3,
        }
    }

    /// The method of a container id.
    pub fn from_id(id: u8) -> Result<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|m| m.id() == id)
            .ok_or(Error::UnknownMethod(id))
    }

    /// The method's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Method::Store => "store",
            Method::Cm => "cm",
            Method::Float => "float",
            Method::Slugger => "slugger",
        }
    }

    /// The method called `name`.
    pub fn from_name(name: &str) -> Result<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|m| m.name().eq_ignore_ascii_case(name))
            .ok_or_else(|| Error::UnknownMethodName(name.to_string()))
    }

    /// One line on what the method does.
    pub fn description(self) -> &'static str {
        match self {
            Method::Store => "no compression; blocks stored and checksummed",
            Method::Cm => {
                "bitwise context mixing: order-N, word, sparse and match models, \
                           2-layer logistic mixer, APM/SSE, binary arithmetic coder"
            }
            Method::Float => {
                "model weights: safetensors-aware f32/f16/bf16 byte planes with \
                 Huffman-coded exponents, parallel chunks"
            }
            Method::Slugger => {
                "graphs (`hiercomp graph summarize`): SLUGGER lossless hierarchical \
                 summary, supernode forest with positive and negative edges"
            }
        }
    }

    /// Accepted levels, lowest to highest.
    pub fn levels(self) -> std::ops::RangeInclusive<u8> {
        match self {
            Method::Store => 0..=0,
            Method::Cm => cm::MIN_LEVEL..=cm::MAX_LEVEL,
            Method::Float => 1..=1,
            Method::Slugger => 0..=cm::MAX_LEVEL,
        }
    }

    /// The level used when none is given.
    pub fn default_level(self) -> u8 {
        match self {
            Method::Store => 0,
            Method::Cm => cm::DEFAULT_LEVEL,
            Method::Float => 1,
            Method::Slugger => slugger::DEFAULT_LEVEL,
        }
    }

    /// Checks that `level` is one of [`levels`](Self::levels).
    pub fn check_level(self, level: u8) -> Result<()> {
        if self.levels().contains(&level) {
            Ok(())
        } else {
            Err(Error::InvalidLevel {
                method: self.name(),
                level,
            })
        }
    }

    /// Peak memory in bytes the method needs for a block of `len` bytes at `level`.
    pub fn memory(self, level: u8, len: usize) -> Result<usize> {
        match self {
            Method::Store => Ok(0),
            Method::Slugger if level == 0 => Ok(0),
            Method::Slugger => Ok(cm::CmConfig::for_level(level)?.memory(len)),
            Method::Cm => Ok(cm::CmConfig::for_level(level)?.memory(len)),
            Method::Float => Ok(cm::CmConfig::for_level(1)?.memory(float::SMALL_SEGMENT) + 2 * len),
        }
    }

    /// Codes one block (a `float` block as one byte segment; the container passes the
    /// layout of tensors through [`float::encode_block`] instead).
    pub fn encode_block(
        self,
        data: &[u8],
        level: u8,
        progress: &mut dyn FnMut(usize),
    ) -> Result<Vec<u8>> {
        match self {
            Method::Store => {
                progress(data.len());
                Ok(data.to_vec())
            }
            // Level 0 stores the summary's encoding; levels 1-9 code it with `cm`.
            Method::Slugger if level == 0 => {
                progress(data.len());
                Ok(data.to_vec())
            }
            Method::Slugger => cm::encode_block(data, level, progress),
            Method::Cm => cm::encode_block(data, level, progress),
            Method::Float => float::encode_block(
                data,
                &[(data.len(), quant_prune::float::FloatDtype::Bytes)],
                progress,
            ),
        }
    }

    /// Decodes one block of `raw_len` bytes from exactly `payload`.
    pub fn decode_block(
        self,
        payload: &[u8],
        raw_len: usize,
        level: u8,
        progress: &mut dyn FnMut(usize),
    ) -> Result<Vec<u8>> {
        let mut out = vec![0u8; raw_len];
        self.decode_block_into(payload, level, &mut out, progress)?;
        Ok(out)
    }

    /// Decodes one block from exactly `payload` into `out`, whose length is the block's
    /// raw length.
    pub fn decode_block_into(
        self,
        payload: &[u8],
        level: u8,
        out: &mut [u8],
        progress: &mut dyn FnMut(usize),
    ) -> Result<()> {
        let raw_len = out.len();
        match self {
            Method::Slugger if level == 0 => {
                return Err(Error::Corrupt(
                    "a level-0 slugger container holds stored blocks only".into(),
                ));
            }
            Method::Slugger | Method::Cm => {
                out.copy_from_slice(&cm::decode_block(payload, raw_len, level, progress)?)
            }
            Method::Store => {
                if payload.len() != raw_len {
                    return Err(Error::Corrupt("stored block length mismatch".into()));
                }
                out.copy_from_slice(payload);
                progress(raw_len);
            }
            Method::Float => float::decode_block_into(payload, out, progress)?,
        }
        Ok(())
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Method {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::from_name(s)
    }
}
