//! Graph summarization for hiercomp: graphs in CSR form, loaders, and SLUGGER.
//!
//! - [`Graph`]: an undirected simple graph with dense `u32` ids, read from SNAP-style edge
//!   lists ([`Graph::read_edge_list`]) or, with the `webgraph` feature, from WebGraph
//!   BVGraph files (`Graph::read_webgraph`), and written back as an edge list.
//! - [`SluggerSummary`]: the *hierarchical graph summarization model* of SLUGGER (Lee, Ko, Shin,
//!   ICDE 2022): supernodes form a forest (`H`, parent–child edges), and positive (`P+`) and
//!   negative (`P−`) edges join any two supernodes, self-loops included. Leaves `u ≠ v` are
//!   adjacent exactly when the p-edges minus the n-edges between an ancestor-or-self of `u`
//!   and an ancestor-or-self of `v` sum to one. [`SluggerSummary::restore`] rebuilds the graph;
//!   [`SluggerSummary::to_bytes`]/[`SluggerSummary::from_bytes`] are its compact binary encoding.
//! - [`Slugger`]: the summarizer — min-hash candidate groups, greedy merges with the
//!   `θ(t) = 1/(1+t)` schedule, memoized re-encoding of merged subtrees, pruning.
//! - [`Summarizer`] and [`GraphSummary`]: what every summarizer and its summaries offer —
//!   a summary that reports its cost in bits and restores a graph (exactly, for lossless
//!   ones such as SLUGGER's; an approximation, for lossy ones).
//!
//! ```
//! use graph_summary::{Graph, Slugger};
//!
//! // Two 4-cliques joined by a complete bipartite graph, minus one edge.
//! let mut edges = Vec::new();
//! for u in 0..8u32 {
//!     for v in u + 1..8 {
//!         if (u, v) != (0, 7) {
//!             edges.push((u, v));
//!         }
//!     }
//! }
//! let g = Graph::from_dense_edges(8, &edges)?;
//! let summary = Slugger::default().summarize(&g);
//! assert!(summary.cost() < g.num_edges());
//! assert_eq!(summary.restore()?, g);
//! let bytes = summary.to_bytes()?;
//! assert_eq!(graph_summary::SluggerSummary::from_bytes(&bytes)?.restore()?, g);
//! # Ok::<(), graph_summary::Error>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod graph;
mod refine;
pub mod slugger;
pub mod summary;

pub use graph::{Graph, LoadStats};
pub use slugger::Slugger;
pub use summary::SluggerSummary;

/// A summary of a graph: its size, and the graph it stands for.
pub trait GraphSummary {
    /// The size of the summary's encoding in bits: what a summarizer trades against
    /// accuracy, and what a container stores before any entropy coding.
    fn cost_bits(&self) -> u64;
    /// The graph the summary describes: the original for a lossless summary, the closest
    /// simple graph it stands for for a lossy one.
    fn restore(&self) -> Result<Graph>;
}

/// Summarizes graphs.
///
/// ```
/// use graph_summary::{Graph, GraphSummary, Slugger, Summarizer};
///
/// fn report<S: Summarizer>(s: &S, g: &Graph) -> graph_summary::Result<u64> {
///     let summary = s.summarize(g)?;
///     assert_eq!(summary.restore()?.num_nodes(), g.num_nodes());
///     Ok(summary.cost_bits())
/// }
/// let g = Graph::from_dense_edges(4, &[(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)])?;
/// assert!(report(&Slugger::default(), &g)? > 0);
/// # Ok::<(), graph_summary::Error>(())
/// ```
pub trait Summarizer {
    /// The summaries it makes.
    type Summary: GraphSummary;
    /// Summarizes `g`.
    fn summarize(&self, g: &Graph) -> Result<Self::Summary>;
}

/// Errors of this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing failed.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// An edge-list line that is not `u v` (line numbers start at 1; 0 = not from a file).
    #[error("line {line}: {reason}")]
    Malformed {
        /// 1-based line number.
        line: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// A size beyond what this crate handles.
    #[error("{what} {value} is too large")]
    TooLarge {
        /// The quantity.
        what: &'static str,
        /// Its value.
        value: u64,
    },
    /// Encoded summary bytes that end too early.
    #[error("truncated summary: {0}")]
    Truncated(&'static str),
    /// Encoded summary bytes that cannot be valid.
    #[error("corrupt summary: {0}")]
    Corrupt(String),
    /// A summary whose edges do not describe a simple graph.
    #[error("inconsistent summary: {0}")]
    Inconsistent(String),
    /// The WebGraph reader failed.
    #[error("webgraph: {0}")]
    WebGraph(String),
}

impl From<arith_coder::Error> for Error {
    fn from(e: arith_coder::Error) -> Self {
        match e {
            arith_coder::Error::Incomplete(what) => Error::Truncated(what),
            e => Error::Corrupt(e.to_string()),
        }
    }
}

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, Error>;
