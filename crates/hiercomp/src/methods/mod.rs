//! The documented methods, one module per paper, and the registry that names them.
//!
//! A method here is glue: a [`Codec`] that composes the building blocks into a block
//! codec. The container ([`crate::container`]) frames, checks and streams the blocks and
//! finds the codec by the header's id in [`REGISTRY`].

pub mod cm;
pub mod float;
pub mod slugger;
pub mod store;

use crate::codec::Codec;
pub use crate::codec::Method;
use crate::error::{Error, Result};

/// Every method's codec, in id order: the registry of the container format.
pub static REGISTRY: [&dyn Codec; 4] = [
    &store::StoreCodec,
    &cm::CmCodec,
    &float::FloatCodec,
    &slugger::SluggerCodec,
];

impl Method {
    /// No modelling: blocks are stored as they are ([`store`]).
    pub const STORE: Method = Method(&store::StoreCodec);
    /// Bitwise context mixing ([`cm`]).
    pub const CM: Method = Method(&cm::CmCodec);
    /// Lossless model-weight coding: byte planes with Huffman-coded exponents ([`float`]).
    pub const FLOAT: Method = Method(&float::FloatCodec);
    /// A lossless hierarchical graph summary ([`slugger`]): the container holds the
    /// summary's binary encoding; `hiercomp graph restore` rebuilds the edge list.
    pub const SLUGGER: Method = Method(&slugger::SluggerCodec);

    /// Every method, in id order.
    pub fn all() -> impl Iterator<Item = Method> {
        REGISTRY.iter().map(|&c| Method(c))
    }

    /// The method of a container id.
    pub fn from_id(id: u8) -> Result<Self> {
        Self::all()
            .find(|m| m.id() == id)
            .ok_or(Error::UnknownMethod(id))
    }

    /// The method called `name` (case-insensitive).
    pub fn from_name(name: &str) -> Result<Self> {
        Self::all()
            .find(|m| m.name().eq_ignore_ascii_case(name))
            .ok_or_else(|| Error::UnknownMethodName(name.to_string()))
    }
}

impl std::str::FromStr for Method {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::from_name(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registry_is_consistent() {
        for (i, m) in Method::all().enumerate() {
            assert_eq!(usize::from(m.id()), i, "ids in order, no gaps");
            assert_eq!(Method::from_id(m.id()).unwrap(), m);
            assert_eq!(Method::from_name(&m.name().to_uppercase()).unwrap(), m);
            assert!(m.levels().contains(&m.default_level()));
            assert!(m.params().len() <= crate::codec::MAX_PARAMS);
            let bits: u32 = m.params().iter().map(|p| p.bits()).sum();
            assert!(bits <= 8, "{m}: parameters fit in one byte");
        }
        assert!(Method::from_id(200).is_err());
        assert!(Method::from_name("zip").is_err());
    }
}
