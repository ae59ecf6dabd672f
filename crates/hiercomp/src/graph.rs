//! Graph summaries in the container: [`to_container`] writes a SLUGGER summary as a `.hcz`
//! container of method `slugger`, [`from_container`] reads it back with every check.
//! (an example is in [`crate::methods::slugger`]).

use crate::codec::Method;
use crate::container::{CompressOptions, HEADER_LEN, Header, compress, decompress};
use crate::error::{Error, Result};
pub use crate::methods::slugger::DEFAULT_LEVEL;
use graph_summary::SluggerSummary;

/// Writes `summary` as a `.hcz` container of method `slugger` at [`DEFAULT_LEVEL`].
pub fn to_container(summary: &SluggerSummary) -> Result<Vec<u8>> {
    to_container_level(summary, DEFAULT_LEVEL)
}

/// Writes `summary` as a `.hcz` container of method `slugger`; `level` 0 stores the
/// encoding, 1–9 code it with `cm` at that level.
pub fn to_container_level(summary: &SluggerSummary, level: u8) -> Result<Vec<u8>> {
    let bytes = summary.to_bytes()?;
    compress(&bytes, &CompressOptions::new(Method::SLUGGER).level(level))
}

/// Reads a summary from a `.hcz` container of method `slugger`: every checksum of the
/// container and every field of the summary is checked.
pub fn from_container(container: &[u8]) -> Result<SluggerSummary> {
    let header = Header::parse(&container[..container.len().min(HEADER_LEN)])?;
    if header.method != Method::SLUGGER {
        return Err(Error::WrongMethod {
            expected: Method::SLUGGER.name(),
            found: header.method.name(),
        });
    }
    let bytes = decompress(container)?;
    Ok(SluggerSummary::from_bytes(&bytes)?)
}
