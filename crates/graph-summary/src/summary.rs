//! The hierarchical graph summarization model and its binary encoding.
//!
//! Node ids `0..leaves` are the graph's nodes (leaves); ids `leaves..leaves+internal` are
//! supernodes, each with a larger id than all of its descendants. `parent[x]` is the parent
//! of node `x` ([`NO_PARENT`] for a root). Edges are pairs `(a, b)` with `a <= b`; `a == b`
//! is a self-loop (all pairs of distinct leaves inside `a`).
//!
//! ## Binary encoding ([`SluggerSummary::to_bytes`])
//! A version byte (`1`), then a bit stream (most significant bit first), gamma = Elias gamma:
//!
//! | field | code |
//! |---|---|
//! | leaves + 1, internal + 1 | gamma, gamma |
//! | original ids | gamma(first + 1), then gamma(difference) — strictly increasing |
//! | per node `x` in id order: has a parent | 1 bit |
//! | … its parent `p` | `p − max(x + 1, leaves)` in fixed width for that range |
//! | `|P+| + 1`, then each p-edge | gamma |
//! | edges, sorted `(a, b)` | gamma(a − previous a + 1); gamma(b − previous b) on the same `a`, else gamma(b − a + 1) |
//! | `|P−| + 1` and n-edges | as p-edges |
//!
//! [`SluggerSummary::structure_bits`] counts the hierarchy and edge fields (not the original ids),
//! which is what "bits per edge" figures compare with `2·log2|V|`.

use crate::{Error, Graph, Result};
use arith_coder::bits::{BitReader, BitWriter, width_for};
use rayon::prelude::*;

/// `parent` value of a root.
pub const NO_PARENT: u32 = u32::MAX;

/// Largest amount of leaf-pair work [`SluggerSummary::restore`] accepts (a bound against hostile
/// summaries whose few edges join huge supernodes).
pub const MAX_RESTORE_WORK: u64 = 1 << 36;

/// A lossless hierarchical summary of an undirected simple graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SluggerSummary {
    leaves: u32,
    parent: Vec<u32>,
    p_plus: Vec<(u32, u32)>,
    p_minus: Vec<(u32, u32)>,
    ids: Vec<u64>,
}

impl SluggerSummary {
    /// Assembles and validates a summary: `parent.len()` nodes of which the first `leaves`
    /// are leaves, `ids` the original id of each leaf (strictly increasing).
    pub fn new(
        leaves: u32,
        parent: Vec<u32>,
        mut p_plus: Vec<(u32, u32)>,
        mut p_minus: Vec<(u32, u32)>,
        ids: Vec<u64>,
    ) -> Result<Self> {
        let total = parent.len() as u64;
        if u64::from(leaves) > total || ids.len() != leaves as usize {
            return Err(Error::Corrupt("leaf count does not match".into()));
        }
        if ids.windows(2).any(|w| w[0] >= w[1]) {
            return Err(Error::Corrupt(
                "original ids not strictly increasing".into(),
            ));
        }
        let mut children = vec![0u32; parent.len()];
        for (x, &p) in parent.iter().enumerate() {
            if p == NO_PARENT {
                continue;
            }
            if u64::from(p) >= total || (p as usize) <= x || p < leaves {
                return Err(Error::Corrupt(format!("node {x} has invalid parent {p}")));
            }
            children[p as usize] += 1;
        }
        if let Some(x) = (leaves as usize..parent.len()).find(|&x| children[x] == 0) {
            return Err(Error::Corrupt(format!("supernode {x} has no children")));
        }
        for list in [&mut p_plus, &mut p_minus] {
            for e in list.iter_mut() {
                if u64::from(e.0.max(e.1)) >= total {
                    return Err(Error::Corrupt(format!("edge {e:?} names an unknown node")));
                }
                *e = (e.0.min(e.1), e.0.max(e.1));
            }
            list.sort_unstable();
            if list.windows(2).any(|w| w[0] == w[1]) {
                return Err(Error::Corrupt("repeated edge".into()));
            }
        }
        Ok(SluggerSummary {
            leaves,
            parent,
            p_plus,
            p_minus,
            ids,
        })
    }

    /// Number of leaves (graph nodes).
    pub fn leaves(&self) -> u32 {
        self.leaves
    }

    /// Number of supernodes (internal nodes of the hierarchy).
    pub fn supernodes(&self) -> u32 {
        self.parent.len() as u32 - self.leaves
    }

    /// Parent of each node ([`NO_PARENT`] for roots).
    pub fn parents(&self) -> &[u32] {
        &self.parent
    }

    /// Positive edges `(a, b)`, `a <= b`.
    pub fn p_plus(&self) -> &[(u32, u32)] {
        &self.p_plus
    }

    /// Negative edges `(a, b)`, `a <= b`.
    pub fn p_minus(&self) -> &[(u32, u32)] {
        &self.p_minus
    }

    /// Number of hierarchy (parent–child) edges, `|H|`.
    pub fn h_edges(&self) -> u64 {
        self.parent.iter().filter(|&&p| p != NO_PARENT).count() as u64
    }

    /// `|P+| + |P−| + |H|`, the size measure of the SLUGGER paper.
    pub fn cost(&self) -> u64 {
        self.p_plus.len() as u64 + self.p_minus.len() as u64 + self.h_edges()
    }

    /// [`SluggerSummary::cost`] divided by the graph's edge count (`edges`).
    pub fn relative_size(&self, edges: u64) -> f64 {
        self.cost() as f64 / edges.max(1) as f64
    }

    /// Leaf counts and the leaf order in which every supernode's leaves are contiguous.
    fn leaf_ranges(&self) -> (Vec<u32>, Vec<u32>, Vec<u32>) {
        let total = self.parent.len();
        let mut size = vec![0u32; total];
        size[..self.leaves as usize].fill(1);
        for x in 0..total {
            let p = self.parent[x];
            if p != NO_PARENT {
                size[p as usize] += size[x];
            }
        }
        let mut start = vec![0u32; total];
        let mut cursor = vec![0u32; total];
        let mut next_root = 0u32;
        for x in (0..total).rev() {
            let p = self.parent[x];
            let s = if p == NO_PARENT {
                let s = next_root;
                next_root += size[x];
                s
            } else {
                let s = cursor[p as usize];
                cursor[p as usize] += size[x];
                s
            };
            start[x] = s;
            cursor[x] = s;
        }
        let mut order = vec![0u32; self.leaves as usize];
        for u in 0..self.leaves {
            order[start[u as usize] as usize] = u;
        }
        (size, start, order)
    }

    /// The leaf-pair work [`SluggerSummary::restore`] would do.
    pub fn restore_work(&self) -> u64 {
        let (size, _, _) = self.leaf_ranges();
        self.p_plus
            .iter()
            .chain(&self.p_minus)
            .map(|&(a, b)| 2 * u64::from(size[a as usize]) * u64::from(size[b as usize]))
            .fold(0u64, u64::saturating_add)
    }

    /// Rebuilds the graph the summary describes.
    ///
    /// Errors when a leaf pair's p-edges minus n-edges is neither 0 nor 1 (the summary
    /// does not describe a simple graph) or when the work would exceed
    /// [`MAX_RESTORE_WORK`].
    pub fn restore(&self) -> Result<Graph> {
        let work = self.restore_work();
        if work > MAX_RESTORE_WORK {
            return Err(Error::TooLarge {
                what: "restore work (leaf pairs)",
                value: work,
            });
        }
        let total = self.parent.len();
        let (size, start, order) = self.leaf_ranges();
        // Incidence lists: for each node, (other end, +1/-1).
        let mut deg = vec![0usize; total + 1];
        for &(a, b) in self.p_plus.iter().chain(&self.p_minus) {
            deg[a as usize + 1] += 1;
            if a != b {
                deg[b as usize + 1] += 1;
            }
        }
        for i in 0..total {
            deg[i + 1] += deg[i];
        }
        let mut fill = deg.clone();
        let mut inc = vec![(0u32, 0i8); deg[total]];
        for (list, s) in [(&self.p_plus, 1i8), (&self.p_minus, -1i8)] {
            for &(a, b) in list.iter() {
                inc[fill[a as usize]] = (b, s);
                fill[a as usize] += 1;
                if a != b {
                    inc[fill[b as usize]] = (a, s);
                    fill[b as usize] += 1;
                }
            }
        }
        let n = self.leaves as usize;
        // Leaves in contiguous ranges, in parallel; each range keeps its own counters.
        let ranges = (rayon::current_num_threads() * 4).clamp(1, n.max(1));
        let per = n.div_ceil(ranges).max(1);
        let parts: Vec<Result<Vec<(u32, u32)>>> = (0..ranges)
            .into_par_iter()
            .map(|k| {
                let lo = (k * per).min(n) as u32;
                let hi = ((k + 1) * per).min(n) as u32;
                let mut arcs = Vec::new();
                if lo == hi {
                    return Ok(arcs);
                }
                let mut count = vec![0i32; n];
                let mut touched: Vec<u32> = Vec::new();
                for u in lo..hi {
                    let mut x = u;
                    loop {
                        for &(y, s) in &inc[deg[x as usize]..deg[x as usize + 1]] {
                            let lo = start[y as usize] as usize;
                            for &v in &order[lo..lo + size[y as usize] as usize] {
                                if count[v as usize] == 0 {
                                    touched.push(v);
                                }
                                count[v as usize] += i32::from(s);
                            }
                        }
                        x = self.parent[x as usize];
                        if x == NO_PARENT {
                            break;
                        }
                    }
                    touched.sort_unstable();
                    for &v in &touched {
                        let c = std::mem::take(&mut count[v as usize]);
                        if v == u {
                            continue;
                        }
                        match c {
                            0 => {}
                            1 => arcs.push((u, v)),
                            _ => {
                                return Err(Error::Inconsistent(format!(
                                    "leaves {u} and {v} get {c} from their ancestors' edges"
                                )));
                            }
                        }
                    }
                    touched.clear();
                }
                Ok(arcs)
            })
            .collect();
        let mut arcs = Vec::new();
        for p in parts {
            arcs.extend(p?);
        }
        let g = Graph::from_dense_edges(self.leaves, &arcs)?;
        g.with_original_ids(self.ids.clone())
    }

    fn write_edges(w: &mut BitWriter, edges: &[(u32, u32)]) {
        w.gamma(edges.len() as u64 + 1);
        let mut prev: Option<(u32, u32)> = None;
        for &(a, b) in edges {
            let pa = prev.map_or(0, |p| p.0);
            w.gamma(u64::from(a - pa) + 1);
            match prev {
                Some((pa, pb)) if pa == a => w.gamma(u64::from(b - pb)),
                _ => w.gamma(u64::from(b - a) + 1),
            }
            prev = Some((a, b));
        }
    }

    fn read_edges(r: &mut BitReader<'_>, total: u64) -> Result<Vec<(u32, u32)>> {
        let m = r.gamma("edge count")? - 1;
        // Each edge takes at least two bits: a count beyond that is a lie.
        if m > r.remaining() / 2 {
            return Err(Error::Corrupt(format!("edge count {m} exceeds the data")));
        }
        let mut edges = Vec::with_capacity(m as usize);
        let mut prev: Option<(u64, u64)> = None;
        for _ in 0..m {
            let pa = prev.map_or(0, |p| p.0);
            let a = pa.saturating_add(r.gamma("edge source")? - 1);
            let b = match prev {
                Some((pa, pb)) if pa == a => pb.saturating_add(r.gamma("edge target")?),
                _ => a.saturating_add(r.gamma("edge target")? - 1),
            };
            if b >= total {
                return Err(Error::Corrupt(format!(
                    "edge ({a}, {b}) beyond {total} nodes"
                )));
            }
            edges.push((a as u32, b as u32));
            prev = Some((a, b));
        }
        Ok(edges)
    }

    /// Writes the compact binary encoding (table in the module docs), returning it with
    /// the number of bits of its structure part (hierarchy and edges, not ids).
    fn encode(&self) -> Result<(Vec<u8>, u64)> {
        let mut w = BitWriter::default();
        let total = self.parent.len() as u64;
        w.gamma(u64::from(self.leaves) + 1);
        w.gamma(total - u64::from(self.leaves) + 1);
        let id_start = w.bits();
        let mut prev = None;
        for &id in &self.ids {
            match prev {
                None => w.gamma(id.checked_add(1).ok_or(Error::TooLarge {
                    what: "original id",
                    value: id,
                })?),
                Some(p) => w.gamma(id - p),
            }
            prev = Some(id);
        }
        let id_bits = w.bits() - id_start;
        for (x, &p) in self.parent.iter().enumerate() {
            w.bit(p != NO_PARENT);
            if p != NO_PARENT {
                let lo = (x as u64 + 1).max(u64::from(self.leaves));
                w.put(u64::from(p) - lo, width_for(total - lo));
            }
        }
        Self::write_edges(&mut w, &self.p_plus);
        Self::write_edges(&mut w, &self.p_minus);
        let structure = w.bits() - id_bits;
        let mut out = vec![1u8];
        out.extend_from_slice(&w.finish());
        Ok((out, structure))
    }

    /// The compact binary encoding (see the module docs).
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        Ok(self.encode()?.0)
    }

    /// Bits of the encoding's hierarchy and edge fields (original ids excluded).
    pub fn structure_bits(&self) -> u64 {
        self.encode().map_or(0, |(_, b)| b)
    }

    /// Decodes [`SluggerSummary::to_bytes`]; truncated, corrupt or hostile input is an error and
    /// allocations are bounded by the input's length.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let (&version, rest) = bytes.split_first().ok_or(Error::Truncated("version"))?;
        if version != 1 {
            return Err(Error::Corrupt(format!("unknown summary version {version}")));
        }
        let mut r = BitReader::new(rest);
        let leaves = r.gamma("leaf count")? - 1;
        let internal = r.gamma("supernode count")? - 1;
        // Every leaf costs at least two bits (an id and a parent flag).
        if leaves > r.remaining() / 2 || leaves > u64::from(u32::MAX - 1) {
            return Err(Error::Corrupt(format!(
                "leaf count {leaves} exceeds the data"
            )));
        }
        if internal > leaves.saturating_sub(1) {
            return Err(Error::Corrupt(format!(
                "{internal} supernodes for {leaves} leaves"
            )));
        }
        let total = leaves + internal;
        let mut ids = Vec::with_capacity(leaves as usize);
        let mut prev: Option<u64> = None;
        for _ in 0..leaves {
            let g = r.gamma("original id")?;
            let id = match prev {
                None => g - 1,
                Some(p) => p
                    .checked_add(g)
                    .ok_or_else(|| Error::Corrupt("original id overflows".into()))?,
            };
            ids.push(id);
            prev = Some(id);
        }
        let mut parent = Vec::with_capacity(total as usize);
        for x in 0..total {
            if r.bit("parent flag")? {
                let lo = (x + 1).max(leaves);
                if lo >= total {
                    return Err(Error::Corrupt(format!("node {x} cannot have a parent")));
                }
                let off = r.get(width_for(total - lo), "parent")?;
                let p = lo + off;
                if p >= total {
                    return Err(Error::Corrupt(format!("node {x}: parent {p} out of range")));
                }
                parent.push(p as u32);
            } else {
                parent.push(NO_PARENT);
            }
        }
        let p_plus = Self::read_edges(&mut r, total)?;
        let p_minus = Self::read_edges(&mut r, total)?;
        if r.remaining() >= 8 {
            return Err(Error::Corrupt("trailing bytes after the summary".into()));
        }
        SluggerSummary::new(leaves as u32, parent, p_plus, p_minus, ids)
    }
}

impl crate::GraphSummary for SluggerSummary {
    /// Bits of [`SluggerSummary::to_bytes`].
    fn cost_bits(&self) -> u64 {
        self.to_bytes().map_or(u64::MAX, |b| 8 * b.len() as u64)
    }
    fn restore(&self) -> Result<Graph> {
        SluggerSummary::restore(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn triangle_plus_pendant() -> SluggerSummary {
        // Leaves 0,1,2 under supernode 4 with a self-loop; leaf 3 joined to 4 minus (2,3).
        SluggerSummary::new(
            4,
            vec![4, 4, 4, NO_PARENT, NO_PARENT],
            vec![(4, 4), (3, 4)],
            vec![(2, 3)],
            vec![10, 11, 12, 13],
        )
        .unwrap()
    }

    #[test]
    fn restore_follows_the_model() {
        let s = triangle_plus_pendant();
        let g = s.restore().unwrap();
        let edges: Vec<_> = g.edges().collect();
        assert_eq!(edges, vec![(0, 1), (0, 2), (0, 3), (1, 2), (1, 3)]);
        assert_eq!(g.original_ids(), &[10, 11, 12, 13]);
        assert_eq!(s.cost(), 3 + 3);
    }

    #[test]
    fn encoding_roundtrips_and_rejects_damage() {
        let s = triangle_plus_pendant();
        let bytes = s.to_bytes().unwrap();
        assert_eq!(SluggerSummary::from_bytes(&bytes).unwrap(), s);
        for cut in 0..bytes.len() {
            assert!(
                SluggerSummary::from_bytes(&bytes[..cut]).is_err(),
                "prefix {cut}"
            );
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(SluggerSummary::from_bytes(&longer).is_err());
    }

    #[test]
    fn inconsistent_summaries_are_errors() {
        let s =
            SluggerSummary::new(2, vec![NO_PARENT; 2], vec![(0, 1)], vec![], vec![0, 1]).unwrap();
        assert!(s.restore().is_ok());
        let twice = SluggerSummary::new(
            2,
            vec![2, 2, NO_PARENT],
            vec![(0, 1), (2, 2)],
            vec![],
            vec![0, 1],
        )
        .unwrap();
        assert!(matches!(twice.restore(), Err(Error::Inconsistent(_))));
        assert!(SluggerSummary::new(2, vec![NO_PARENT, 0], vec![], vec![], vec![0, 1]).is_err());
        assert!(
            SluggerSummary::new(1, vec![NO_PARENT, NO_PARENT], vec![], vec![], vec![0]).is_err()
        );
    }
}
