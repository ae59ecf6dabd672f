//! Hierarchies for hiercomp.
//!
//! [`BitTree`] writes a symbol of a `2^k` alphabet as a path of `k` binary decisions, most
//! significant bit first. Internal nodes are numbered heap-style: the root is 1 and the
//! children of `n` are `2n` (bit 0, "left") and `2n + 1` (bit 1, "right"); after `d`
//! decisions the node index is `1` followed by the `d` bits seen, which is exactly the
//! partial-symbol context (`c0`) that bitwise context-mixing models index their tables with.
//! Leaves are `2^k ..= 2^(k+1) − 1`, and leaf `2^k + s` is symbol `s`.
//!
//! A `2^k`-way distribution and the `2^k − 1` node probabilities `P(right | node)` carry the
//! same information; [`BitTree::node_probabilities`] and [`BitTree::distribution`] convert
//! one into the other.
//!
//! [`SymbolTree`] is the decomposition as a trait: what a bitwise coder walks (the `cm`
//! coder of `ctx-models` codes every symbol through it), so the same predictor and coder code
//! bytes, 4-bit quantization indices or 16-bit token ids. [`BitTree`] implements it for any
//! alphabet of `2^1` to `2^16` symbols.
//!
//! ```
//! use hier_tree::BitTree;
//!
//! let tree = BitTree::BYTE;
//! let path: Vec<(usize, bool)> = tree.path(0b1010_0000).collect();
//! assert_eq!(path[0], (1, true)); // at the root, go right
//! assert_eq!(path[1], (3, false)); // node 3 = "1" seen, go left
//! assert_eq!(tree.symbol_of_leaf(tree.leaf(0b1010_0000)), Some(0b1010_0000));
//!
//! let mut dist = vec![0.0; 256];
//! dist[b'e' as usize] = 0.75;
//! dist[b'a' as usize] = 0.25;
//! let nodes = tree.node_probabilities(&dist)?;
//! let back = tree.distribution(&nodes)?;
//! assert!((back[b'e' as usize] - 0.75).abs() < 1e-12);
//! # Ok::<(), hier_tree::Error>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

/// Errors of this crate.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A tree depth outside `1..=16`.
    #[error("a BitTree has 1 to 16 levels, not {0}")]
    BadDepth(u32),
    /// A slice of the wrong length for this tree.
    #[error("expected {expected} values, got {got}")]
    WrongLength {
        /// The length this tree needs.
        expected: usize,
        /// The length given.
        got: usize,
    },
    /// A probability or mass that is negative, not finite, or above 1 where 1 is the limit.
    #[error("invalid probability or mass {value} at index {index}")]
    InvalidValue {
        /// Where it was found.
        index: usize,
        /// The value.
        value: f64,
    },
}

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, Error>;

/// A complete binary tree over an alphabet of `2^depth` symbols.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BitTree {
    depth: u32,
}

impl BitTree {
    /// The tree of bytes: 8 levels, 255 internal nodes.
    pub const BYTE: BitTree = BitTree { depth: 8 };

    /// A tree with `depth` levels (alphabet of `2^depth` symbols), `depth` in `1..=16`.
    pub fn new(depth: u32) -> Result<Self> {
        if (1..=16).contains(&depth) {
            Ok(Self { depth })
        } else {
            Err(Error::BadDepth(depth))
        }
    }

    /// Number of binary decisions per symbol.
    pub fn depth(&self) -> u32 {
        self.depth
    }

    /// Number of symbols, `2^depth`.
    pub fn alphabet_size(&self) -> usize {
        1 << self.depth
    }

    /// Number of internal nodes, `2^depth − 1`; their indices are `1..2^depth`.
    pub fn node_count(&self) -> usize {
        self.alphabet_size() - 1
    }

    /// The child of `node` taken by `bit`.
    #[inline]
    pub fn child(node: usize, bit: bool) -> usize {
        2 * node + bit as usize
    }

    /// The level of `node` (root = 0), i.e. how many decisions lead to it.
    #[inline]
    pub fn level(node: usize) -> u32 {
        usize::BITS - 1 - node.max(1).leading_zeros()
    }

    /// Whether `node` is a leaf (a complete symbol) of this tree.
    #[inline]
    pub fn is_leaf(&self, node: usize) -> bool {
        node >= self.alphabet_size()
    }

    /// The leaf of `symbol` (bits above `depth` are ignored).
    #[inline]
    pub fn leaf(&self, symbol: usize) -> usize {
        self.alphabet_size() | (symbol & (self.alphabet_size() - 1))
    }

    /// The symbol of a leaf, or `None` if `node` is not a leaf of this tree.
    #[inline]
    pub fn symbol_of_leaf(&self, node: usize) -> Option<usize> {
        (self.is_leaf(node) && node < 2 * self.alphabet_size()).then(|| node - self.alphabet_size())
    }

    /// The decisions that spell `symbol`: `(node, bit)` pairs from the root down.
    pub fn path(&self, symbol: usize) -> impl Iterator<Item = (usize, bool)> + use<> {
        let depth = self.depth;
        let symbol = symbol & ((1 << depth) - 1);
        (0..depth).map(move |i| {
            let node = (1 << i) | (symbol >> (depth - i));
            (node, (symbol >> (depth - 1 - i)) & 1 == 1)
        })
    }

    /// Per-node probabilities `P(right | node)` of a distribution over the alphabet.
    ///
    /// `dist` holds non-negative masses (not necessarily normalised). The result has
    /// `2^depth` entries indexed by node; entry 0 is unused (0.0). A node whose subtree has
    /// zero mass gets 0.5.
    pub fn node_probabilities(&self, dist: &[f64]) -> Result<Vec<f64>> {
        let n = self.alphabet_size();
        if dist.len() != n {
            return Err(Error::WrongLength {
                expected: n,
                got: dist.len(),
            });
        }
        if let Some((index, &value)) = dist
            .iter()
            .enumerate()
            .find(|&(_, v)| !v.is_finite() || *v < 0.0)
        {
            return Err(Error::InvalidValue { index, value });
        }
        // mass[node] for every node, leaves included, built bottom-up.
        let mut mass = vec![0.0; 2 * n];
        mass[n..].copy_from_slice(dist);
        for node in (1..n).rev() {
            mass[node] = mass[2 * node] + mass[2 * node + 1];
        }
        let mut p = vec![0.0; n];
        for node in 1..n {
            p[node] = if mass[node] > 0.0 {
                mass[2 * node + 1] / mass[node]
            } else {
                0.5
            };
        }
        Ok(p)
    }

    /// The distribution over the alphabet given per-node probabilities `P(right | node)`
    /// (indexed by node, entry 0 ignored): each symbol's probability is the product along
    /// its path.
    pub fn distribution(&self, node_p: &[f64]) -> Result<Vec<f64>> {
        let n = self.alphabet_size();
        if node_p.len() != n {
            return Err(Error::WrongLength {
                expected: n,
                got: node_p.len(),
            });
        }
        if let Some((index, &value)) = node_p
            .iter()
            .enumerate()
            .skip(1)
            .find(|&(_, v)| !v.is_finite() || !(0.0..=1.0).contains(v))
        {
            return Err(Error::InvalidValue { index, value });
        }
        let mut mass = vec![0.0; 2 * n];
        mass[1] = 1.0;
        for node in 1..n {
            mass[2 * node + 1] = mass[node] * node_p[node];
            mass[2 * node] = mass[node] * (1.0 - node_p[node]);
        }
        Ok(mass[n..].to_vec())
    }
}

/// A symbol as a path of binary decisions from a root: what a bitwise coder walks.
///
/// A coder starts at [`ROOT`](Self::ROOT), takes [`decision`](Self::decision)`(symbol,
/// level)` at each of the [`depth`](Self::depth) levels (an encoder, which knows the symbol)
/// or reads it from the coded stream (a decoder), and moves to [`child`](Self::child); after
/// `depth` decisions the node is a leaf and [`symbol`](Self::symbol) names it. Node indices
/// are partial symbols (the decisions so far, after a leading 1), so a model can index its
/// tables with them. Implementations are small and `Copy`; coders are generic over them, so
/// a constant tree (such as [`BitTree::BYTE`]) compiles to the same loop as one written by
/// hand.
///
/// ```
/// use hier_tree::{BitTree, SymbolTree};
///
/// // A 16-bit token id through the tree of 2^16 symbols, and back.
/// let tree = BitTree::new(16)?;
/// let token = 40_961;
/// let mut node = BitTree::ROOT;
/// for level in 0..tree.depth() {
///     node = tree.child(node, tree.decision(token, level));
/// }
/// assert_eq!(tree.symbol(node), token);
/// # Ok::<(), hier_tree::Error>(())
/// ```
pub trait SymbolTree {
    /// The root node.
    const ROOT: usize = 1;
    /// Binary decisions per symbol.
    fn depth(&self) -> u32;
    /// The decision taken at `level` (root = 0) on the path of `symbol`.
    fn decision(&self, symbol: u32, level: u32) -> bool;
    /// The node that `bit` leads to from `node`.
    #[inline(always)]
    fn child(&self, node: usize, bit: bool) -> usize {
        2 * node + bit as usize
    }
    /// The symbol of `leaf`, the node reached after [`depth`](Self::depth) decisions.
    fn symbol(&self, leaf: usize) -> u32;
}

impl SymbolTree for BitTree {
    #[inline(always)]
    fn depth(&self) -> u32 {
        self.depth
    }

    #[inline(always)]
    fn decision(&self, symbol: u32, level: u32) -> bool {
        (symbol >> (self.depth - 1 - level)) & 1 == 1
    }

    #[inline(always)]
    fn symbol(&self, leaf: usize) -> u32 {
        (leaf & (self.alphabet_size() - 1)) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quickcheck::quickcheck;

    #[test]
    fn node_index_is_partial_symbol() {
        let t = BitTree::BYTE;
        for s in 0..256 {
            let mut node = 1;
            for (i, (n, bit)) in t.path(s).enumerate() {
                assert_eq!(n, node);
                assert_eq!(BitTree::level(n), i as u32);
                node = BitTree::child(node, bit);
            }
            assert_eq!(node, t.leaf(s));
            assert_eq!(t.symbol_of_leaf(node), Some(s));
        }
        assert_eq!(t.symbol_of_leaf(3), None);
        assert_eq!(t.symbol_of_leaf(512), None);
        assert_eq!(t.node_count(), 255);
    }

    #[test]
    fn symbol_tree_walks_every_alphabet() {
        for depth in [1, 4, 8, 12, 16] {
            let t = BitTree::new(depth).unwrap();
            for s in [0u32, 1, (1 << depth) - 1, 0x5a5a & ((1 << depth) - 1)] {
                let mut node = BitTree::ROOT;
                for (level, (n, bit)) in t.path(s as usize).enumerate() {
                    assert_eq!(node, n);
                    assert_eq!(t.decision(s, level as u32), bit);
                    node = SymbolTree::child(&t, node, bit);
                }
                assert_eq!(t.symbol(node), s, "depth {depth}");
            }
        }
    }

    #[test]
    fn bad_inputs_are_errors() {
        assert_eq!(BitTree::new(0), Err(Error::BadDepth(0)));
        assert!(BitTree::new(17).is_err());
        let t = BitTree::new(2).unwrap();
        assert!(t.node_probabilities(&[1.0, 2.0]).is_err());
        assert!(t.node_probabilities(&[1.0, -2.0, 0.0, 0.0]).is_err());
        assert!(t.distribution(&[0.0, 0.5, 1.5, 0.5]).is_err());
        assert!(t.distribution(&[0.0, 0.5, f64::NAN, 0.5]).is_err());
    }

    #[test]
    fn zero_mass_subtree_gets_one_half() {
        let t = BitTree::new(2).unwrap();
        let p = t.node_probabilities(&[1.0, 0.0, 0.0, 0.0]).unwrap();
        assert_eq!(p, vec![0.0, 0.0, 0.0, 0.5]);
    }

    quickcheck! {
        fn distribution_roundtrips(raw: Vec<u32>, depth: u8) -> bool {
            let t = BitTree::new(depth as u32 % 8 + 1).unwrap();
            let n = t.alphabet_size();
            let mut dist: Vec<f64> = (0..n).map(|i| raw.get(i).copied().unwrap_or(1) as f64 + 0.5).collect();
            let total: f64 = dist.iter().sum();
            dist.iter_mut().for_each(|v| *v /= total);
            let back = t.distribution(&t.node_probabilities(&dist).unwrap()).unwrap();
            back.iter().zip(&dist).all(|(a, b)| (a - b).abs() <= 1e-12)
        }

        fn node_probabilities_roundtrip(raw: Vec<u16>) -> bool {
            let t = BitTree::new(6).unwrap();
            let mut p: Vec<f64> = (0..64).map(|i| raw.get(i).copied().unwrap_or(3) as f64 / 65535.0).collect();
            // Only nodes that carry mass are recoverable; keep all strictly inside (0, 1).
            p.iter_mut().for_each(|v| *v = v.clamp(1e-3, 1.0 - 1e-3));
            p[0] = 0.0;
            let back = t.node_probabilities(&t.distribution(&p).unwrap()).unwrap();
            back.iter().zip(&p).skip(1).all(|(a, b)| (a - b).abs() <= 1e-9)
        }
    }
}
