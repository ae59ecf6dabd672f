//! Method `slugger`: lossless hierarchical graph summarization (Lee, Ko, Shin, ICDE 2022).
//!
//! This module is the method's [`Codec`] (how the container codes a summary's bytes);
//! [`crate::graph`] writes and reads whole summaries.
//!
//! The algorithm and the model live in [`graph_summary`] ([`graph_summary::Slugger`],
//! [`graph_summary::SluggerSummary`]); this module puts a summary in the `.hcz` container: the
//! header names method `slugger` (id 3), and the content is the summary's compact binary
//! encoding ([`graph_summary::SluggerSummary::to_bytes`], byte table in
//! [`graph_summary::summary`]), in checksummed blocks that are stored (level 0) or coded
//! with the `cm` context-mixing coder at the header's level (1–9; default
//! [`DEFAULT_LEVEL`]): the bit-packed encoding still has redundancy that `cm` removes
//! (cnr-2000: 1.29 MB stored, 0.94 MB at level 5).
//!
//! ```
//! use hiercomp::graph_summary::{Graph, Slugger};
//! use hiercomp::graph;
//!
//! // A 6-clique and a star on 6 more nodes.
//! let mut edges = Vec::new();
//! for u in 0..6u32 {
//!     for v in u + 1..6 {
//!         edges.push((u, v));
//!     }
//! }
//! edges.extend((7..12).map(|v| (6u32, v)));
//! let g = Graph::from_dense_edges(12, &edges)?;
//! let summary = Slugger::default().summarize(&g);
//! let hcz = graph::to_container(&summary)?;
//! let back = graph::from_container(&hcz)?;
//! assert_eq!(back.restore()?, g);
//! # Ok::<(), hiercomp::Error>(())
//! ```

use crate::codec::{Codec, Params};
use crate::error::{Error, Result};
use crate::methods::cm;
use std::ops::RangeInclusive;

/// Level used by [`crate::graph::to_container`]: the summary's bytes coded with `cm -l 5`.
pub const DEFAULT_LEVEL: u8 = 5;

/// The codec of method `slugger` (id 3): level 0 stores the summary's encoding, levels 1–9
/// code it with `cm` at that level.
#[derive(Debug, Clone, Copy, Default)]
pub struct SluggerCodec;

impl Codec for SluggerCodec {
    fn id(&self) -> u8 {
        3
    }
    fn name(&self) -> &'static str {
        "slugger"
    }
    fn description(&self) -> &'static str {
        "graphs (`hiercomp graph summarize`): SLUGGER lossless hierarchical \
         summary, supernode forest with positive and negative edges"
    }
    fn levels(&self) -> RangeInclusive<u8> {
        0..=cm::MAX_LEVEL
    }
    fn default_level(&self) -> u8 {
        DEFAULT_LEVEL
    }
    fn memory(&self, level: u8, len: usize) -> Result<usize> {
        if level == 0 {
            return Ok(0);
        }
        cm::CmCodec.memory(level, len)
    }
    fn encode_block(
        &self,
        level: u8,
        params: &Params,
        data: &[u8],
        progress: &mut dyn FnMut(usize),
    ) -> Result<Vec<u8>> {
        if level == 0 {
            // Stored by the container (coded output is kept only when smaller).
            progress(data.len());
            return Ok(data.to_vec());
        }
        cm::CmCodec.encode_block(level, params, data, progress)
    }
    fn decode_block(
        &self,
        level: u8,
        params: &Params,
        payload: &[u8],
        out: &mut [u8],
        progress: &mut dyn FnMut(usize),
    ) -> Result<()> {
        if level == 0 {
            return Err(Error::Corrupt(
                "a level-0 slugger container holds stored blocks only".into(),
            ));
        }
        cm::CmCodec.decode_block(level, params, payload, out, progress)
    }
}
