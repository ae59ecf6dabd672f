//! The facade's error type.

/// Errors of the facade: everything a container or a method can report.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input does not start with `HCZ\0`.
    #[error("not a hiercomp container (wrong magic bytes)")]
    BadMagic,
    /// A container of a format version this library does not know.
    #[error("unsupported container format version {0}")]
    UnsupportedVersion(u8),
    /// A method id this library does not know.
    #[error("unknown method id {0}")]
    UnknownMethod(u8),
    /// A method name this library does not know.
    #[error("unknown method {0:?} (see `hiercomp methods`)")]
    UnknownMethodName(String),
    /// A level the method does not have.
    #[error("method {method} has no level {level}")]
    InvalidLevel {
        /// The method.
        method: &'static str,
        /// The level asked for.
        level: u8,
    },
    /// A method parameter that the method does not declare, or a value it does not take.
    #[error("invalid method parameter: {0}")]
    InvalidParameter(String),
    /// Reserved bits that must be zero are not.
    #[error("reserved bits set in the {what}")]
    ReservedBitsSet {
        /// Where.
        what: &'static str,
    },
    /// The header checksum does not match.
    #[error("container header checksum mismatch")]
    HeaderChecksum,
    /// A block's checksum (header and payload) does not match.
    #[error("checksum mismatch in block {block}")]
    BlockChecksum {
        /// Index of the block.
        block: u64,
    },
    /// Decoded bytes do not match their checksum.
    #[error("decoded data checksum mismatch in block {block}")]
    ContentChecksum {
        /// Index of the block (the number of data blocks for the end block).
        block: u64,
    },
    /// The input ends too early.
    #[error("truncated container: {what} is incomplete")]
    Truncated {
        /// What was being read.
        what: &'static str,
    },
    /// A length that the format or the input cannot justify.
    #[error("absurd {what}: {value} (at most {max})")]
    AbsurdLength {
        /// Which length.
        what: &'static str,
        /// Its value.
        value: u64,
        /// The largest acceptable value.
        max: u64,
    },
    /// A graph or graph-summary error.
    #[error(transparent)]
    Graph(#[from] graph_summary::Error),
    /// A container of another method than the one expected.
    #[error("expected a {expected} container, found {found}")]
    WrongMethod {
        /// The method wanted.
        expected: &'static str,
        /// The method found.
        found: &'static str,
    },
    /// A total length different from the one announced.
    #[error("length mismatch: expected {expected} bytes, got {actual}")]
    LengthMismatch {
        /// The announced length.
        expected: u64,
        /// The actual length.
        actual: u64,
    },
    /// The container asks for more than the caller's [`Limits`](crate::Limits) allow.
    #[error("{what} of {value} exceeds the limit of {limit}")]
    LimitExceeded {
        /// What.
        what: &'static str,
        /// Requested.
        value: u64,
        /// Allowed.
        limit: u64,
    },
    /// Bytes after the end block.
    #[error("trailing data after the end of the container")]
    TrailingData,
    /// Coded data that cannot be decoded.
    #[error("corrupt data: {0}")]
    Corrupt(String),
    /// An error of the entropy coder (e.g. a truncated payload).
    #[error(transparent)]
    Coder(#[from] arith_coder::Error),
    /// An I/O error of the reader or writer.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, Error>;

/// `cm`'s errors: a level it does not have, an exhausted arithmetic decoder, or corrupt data.
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
