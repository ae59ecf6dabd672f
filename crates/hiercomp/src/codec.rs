//! What a method is to the container: the [`Codec`] trait, its typed [`Params`], and the
//! [`Method`] handle that names one codec of the registry ([`crate::methods`]).
//!
//! The container ([`crate::container`]) frames, checks and streams blocks; it knows no
//! method by name. Everything method-specific — levels, parameters, memory, how a block is
//! coded — comes through this trait, so a new method is one type implementing it and one
//! line in the registry.
//!
//! ## Parameters in the header
//! A codec declares its parameters ([`ParamSpec`]): each is a choice among named values,
//! the first being the default. The container header's two parameter bytes hold them:
//!
//! | byte | meaning |
//! |---:|---|
//! | 10 | parameter-field version: 0 = every parameter at its default (byte 11 is 0), 1 = typed values in byte 11 |
//! | 11 | version 1: the choice index of each declared parameter, packed from the least significant bit in declaration order, each in as many bits as its number of choices needs |
//!
//! Containers written before parameters existed have both bytes zero, which is version 0:
//! they still decode. A container whose parameters are all at their defaults is written as
//! version 0, so such output is what it was before.

use crate::error::{Error, Result};
use std::ops::RangeInclusive;

/// One parameter a codec declares: a choice among named values; the first is the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParamSpec {
    /// Its name (`--param NAME=VALUE` on the command line).
    pub name: &'static str,
    /// What it does.
    pub description: &'static str,
    /// The values it takes; index 0 is the default.
    pub choices: &'static [&'static str],
}

impl ParamSpec {
    /// Bits its choice index takes in the header.
    pub fn bits(&self) -> u32 {
        usize::BITS - (self.choices.len().max(2) - 1).leading_zeros()
    }
}

/// The most parameters a codec may declare.
pub const MAX_PARAMS: usize = 4;

/// Values of a codec's parameters: a choice index for each one it declares, in order (0 =
/// the default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Params {
    choices: [u8; MAX_PARAMS],
}

impl Params {
    /// Every parameter at its default.
    pub const DEFAULT: Params = Params {
        choices: [0; MAX_PARAMS],
    };

    /// The choice index of the `i`-th declared parameter.
    pub fn choice(&self, i: usize) -> u8 {
        self.choices.get(i).copied().unwrap_or(0)
    }

    /// Whether every parameter is at its default.
    pub fn is_default(&self) -> bool {
        self.choices == [0; MAX_PARAMS]
    }

    /// These values with parameter `name` of `specs` set to `value`.
    pub fn with(mut self, specs: &[ParamSpec], name: &str, value: &str) -> Result<Self> {
        let unknown = || Error::InvalidParameter(format!("no parameter {name:?}"));
        let i = specs
            .iter()
            .position(|s| s.name == name)
            .ok_or_else(unknown)?;
        let spec = &specs[i];
        let k = spec
            .choices
            .iter()
            .position(|c| c.eq_ignore_ascii_case(value))
            .ok_or_else(|| {
                Error::InvalidParameter(format!(
                    "{name} takes {}, not {value:?}",
                    spec.choices.join(", ")
                ))
            })?;
        self.choices[i] = k as u8;
        Ok(self)
    }

    /// The named value of each declared parameter.
    pub fn describe(&self, specs: &[ParamSpec]) -> Vec<(&'static str, &'static str)> {
        specs
            .iter()
            .enumerate()
            .map(|(i, s)| {
                (
                    s.name,
                    s.choices[usize::from(self.choice(i)).min(s.choices.len() - 1)],
                )
            })
            .collect()
    }

    /// The header's two parameter bytes (see the [module docs](self)).
    pub fn to_header(&self, specs: &[ParamSpec]) -> [u8; 2] {
        if self.is_default() {
            return [0, 0];
        }
        let mut packed = 0u32;
        let mut shift = 0;
        for (i, s) in specs.iter().enumerate() {
            packed |= u32::from(self.choice(i)) << shift;
            shift += s.bits();
        }
        [1, packed as u8]
    }

    /// Reads the header's two parameter bytes against `specs`.
    pub fn from_header(bytes: [u8; 2], specs: &[ParamSpec]) -> Result<Self> {
        match bytes {
            [0, 0] => Ok(Self::DEFAULT),
            [0, _] => Err(Error::ReservedBitsSet {
                what: "method parameters (version 0)",
            }),
            [1, packed] => {
                let mut p = Self::DEFAULT;
                let mut rest = u32::from(packed);
                for (i, s) in specs.iter().enumerate() {
                    let k = rest & ((1 << s.bits()) - 1);
                    if k as usize >= s.choices.len() {
                        return Err(Error::InvalidParameter(format!(
                            "{} has no choice {k}",
                            s.name
                        )));
                    }
                    p.choices[i] = k as u8;
                    rest >>= s.bits();
                }
                if rest != 0 {
                    return Err(Error::ReservedBitsSet {
                        what: "method parameters",
                    });
                }
                Ok(p)
            }
            [v, _] => Err(Error::InvalidParameter(format!(
                "unknown parameter-field version {v}"
            ))),
        }
    }
}

/// Codes the blocks of one container: made by [`Codec::encoder`], fed every block in order.
///
/// Most codecs code each block alone; one that learns something from the start of its
/// input (the tensor layout of a safetensors file, say) keeps it here.
pub trait BlockEncoder {
    /// Codes the block `data`, which starts at byte `offset` of the input; `progress`
    /// receives the number of the block's bytes done so far.
    fn encode_block(
        &mut self,
        offset: u64,
        data: &[u8],
        progress: &mut dyn FnMut(usize),
    ) -> Result<Vec<u8>>;
}

/// A compression method as the container sees it.
///
/// Blocks are independent: the container may decode any block with only the header's
/// level and parameters. A codec's output for a block is kept only when it is smaller than
/// the block; otherwise the container stores the block as it is.
pub trait Codec: Send + Sync + 'static {
    /// Its id in the container header (unique in the registry, stable forever).
    fn id(&self) -> u8;
    /// Its name on the command line.
    fn name(&self) -> &'static str;
    /// One line on what it does.
    fn description(&self) -> &'static str;
    /// Accepted levels, lowest to highest.
    fn levels(&self) -> RangeInclusive<u8>;
    /// The level used when none is given.
    fn default_level(&self) -> u8;
    /// The parameters it declares (at most [`MAX_PARAMS`], packed into 8 bits).
    fn params(&self) -> &'static [ParamSpec] {
        &[]
    }
    /// Peak memory in bytes it needs to code or decode a block of `len` bytes at `level`.
    fn memory(&self, level: u8, len: usize) -> Result<usize>;
    /// Codes one block on its own.
    fn encode_block(
        &self,
        level: u8,
        params: &Params,
        data: &[u8],
        progress: &mut dyn FnMut(usize),
    ) -> Result<Vec<u8>>;
    /// The encoder of one container's blocks; by default every block through
    /// [`encode_block`](Self::encode_block).
    fn encoder<'a>(&'a self, level: u8, params: &Params) -> Result<Box<dyn BlockEncoder + 'a>> {
        struct EachBlock<'a, C: ?Sized> {
            codec: &'a C,
            level: u8,
            params: Params,
        }
        impl<C: Codec + ?Sized> BlockEncoder for EachBlock<'_, C> {
            fn encode_block(
                &mut self,
                _offset: u64,
                data: &[u8],
                progress: &mut dyn FnMut(usize),
            ) -> Result<Vec<u8>> {
                self.codec
                    .encode_block(self.level, &self.params, data, progress)
            }
        }
        Ok(Box::new(EachBlock {
            codec: self,
            level,
            params: *params,
        }))
    }
    /// Decodes one block from exactly `payload` into `out`, whose length is the block's
    /// raw length. Never panics; returns an error on any payload it cannot decode.
    fn decode_block(
        &self,
        level: u8,
        params: &Params,
        payload: &[u8],
        out: &mut [u8],
        progress: &mut dyn FnMut(usize),
    ) -> Result<()>;
}

/// A method of the registry: a handle on its [`Codec`], compared by id.
#[derive(Clone, Copy)]
pub struct Method(pub(crate) &'static dyn Codec);

impl Method {
    /// The codec behind it.
    pub fn codec(self) -> &'static dyn Codec {
        self.0
    }

    /// The method id written in the container header.
    pub fn id(self) -> u8 {
        self.0.id()
    }

    /// The method's name on the command line.
    pub fn name(self) -> &'static str {
        self.0.name()
    }

    /// One line on what the method does.
    pub fn description(self) -> &'static str {
        self.0.description()
    }

    /// Accepted levels, lowest to highest.
    pub fn levels(self) -> RangeInclusive<u8> {
        self.0.levels()
    }

    /// The level used when none is given.
    pub fn default_level(self) -> u8 {
        self.0.default_level()
    }

    /// The parameters the method declares.
    pub fn params(self) -> &'static [ParamSpec] {
        self.0.params()
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
        self.0.memory(level, len)
    }
}

impl PartialEq for Method {
    fn eq(&self, other: &Self) -> bool {
        self.id() == other.id()
    }
}

impl Eq for Method {}

impl std::hash::Hash for Method {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.id().hash(state);
    }
}

impl std::fmt::Debug for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Method({})", self.name())
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPECS: &[ParamSpec] = &[
        ParamSpec {
            name: "dtype",
            description: "",
            choices: &["auto", "f32", "f16", "bf16", "bytes"],
        },
        ParamSpec {
            name: "mode",
            description: "",
            choices: &["a", "b"],
        },
    ];

    #[test]
    fn parameters_roundtrip_through_the_header() {
        assert_eq!(Params::DEFAULT.to_header(SPECS), [0, 0]);
        let p = Params::DEFAULT
            .with(SPECS, "dtype", "BF16")
            .unwrap()
            .with(SPECS, "mode", "b")
            .unwrap();
        let h = p.to_header(SPECS);
        assert_eq!(h, [1, 3 | 1 << 3]);
        assert_eq!(Params::from_header(h, SPECS).unwrap(), p);
        assert_eq!(p.describe(SPECS), vec![("dtype", "bf16"), ("mode", "b")]);
        // Unknown names and values, out-of-range choices, stray bits, unknown versions.
        assert!(Params::DEFAULT.with(SPECS, "nope", "a").is_err());
        assert!(Params::DEFAULT.with(SPECS, "dtype", "f64").is_err());
        assert!(Params::from_header([1, 7], SPECS).is_err());
        assert!(Params::from_header([1, 1 << 5], SPECS).is_err());
        assert!(Params::from_header([0, 1], SPECS).is_err());
        assert!(Params::from_header([2, 0], SPECS).is_err());
        assert!(Params::from_header([1, 1], &[]).is_err());
    }
}
