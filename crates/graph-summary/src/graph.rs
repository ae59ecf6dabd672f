//! Undirected simple graphs in CSR form, their loaders and a writer.
//!
//! A [`Graph`] has dense `u32` node ids `0..n`, each node's neighbours sorted and unique,
//! no self-loops, and every edge stored in both directions. [`Graph::original_id`] maps a
//! dense id back to the id the input used (dense ids follow the order of original ids).

use crate::{Error, Result};
use std::io::{BufRead, Write};

/// An undirected simple graph in compressed sparse row form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Graph {
    offsets: Vec<usize>,
    targets: Vec<u32>,
    ids: Vec<u64>,
}

/// What a loader saw and what it did about it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoadStats {
    /// Lines read (edge-list loaders) or arcs read (WebGraph).
    pub lines: u64,
    /// Comment (`#`, `%`) and blank lines skipped.
    pub comments: u64,
    /// Edge records read, including the ones dropped below.
    pub records: u64,
    /// Self-loops dropped.
    pub self_loops: u64,
    /// Records that repeated an edge already seen (in either direction), dropped.
    pub duplicates: u64,
}

impl Graph {
    /// Builds a graph from edges over original ids. Self-loops and repeated edges (in
    /// either direction) are dropped and counted in the returned [`LoadStats`].
    pub fn from_edges(edges: &[(u64, u64)]) -> Result<(Self, LoadStats)> {
        let mut stats = LoadStats {
            records: edges.len() as u64,
            ..LoadStats::default()
        };
        let mut ids: Vec<u64> = Vec::with_capacity(edges.len() * 2);
        for &(u, v) in edges {
            if u != v {
                ids.push(u);
                ids.push(v);
            }
        }
        ids.sort_unstable();
        ids.dedup();
        if ids.len() > u32::MAX as usize - 1 {
            return Err(Error::TooLarge {
                what: "node count",
                value: ids.len() as u64,
            });
        }
        let dense = |x: u64| ids.binary_search(&x).expect("collected above") as u32;
        let mut arcs: Vec<(u32, u32)> = Vec::with_capacity(edges.len() * 2);
        for &(u, v) in edges {
            if u == v {
                stats.self_loops += 1;
                continue;
            }
            let (a, b) = (dense(u), dense(v));
            arcs.push((a, b));
            arcs.push((b, a));
        }
        arcs.sort_unstable();
        let before = arcs.len();
        arcs.dedup();
        stats.duplicates = ((before - arcs.len()) / 2) as u64;
        Ok((Self::from_sorted_arcs(ids, &arcs), stats))
    }

    /// Builds a graph on dense ids `0..n` from arcs that are sorted, unique, symmetric and
    /// free of self-loops (not checked beyond debug assertions).
    fn from_sorted_arcs(ids: Vec<u64>, arcs: &[(u32, u32)]) -> Self {
        let n = ids.len();
        let mut offsets = vec![0usize; n + 1];
        for &(a, _) in arcs {
            offsets[a as usize + 1] += 1;
        }
        for i in 0..n {
            offsets[i + 1] += offsets[i];
        }
        let targets = arcs.iter().map(|&(_, b)| b).collect();
        Graph {
            offsets,
            targets,
            ids,
        }
    }

    /// Builds a graph on dense ids `0..n` (original ids = dense ids) from undirected
    /// edges; self-loops and repeats are dropped. Ids must be `< n`.
    pub fn from_dense_edges(n: u32, edges: &[(u32, u32)]) -> Result<Self> {
        let mut arcs = Vec::with_capacity(edges.len() * 2);
        for &(u, v) in edges {
            if u >= n || v >= n {
                return Err(Error::Malformed {
                    line: 0,
                    reason: format!("edge ({u}, {v}) names a node >= {n}"),
                });
            }
            if u != v {
                arcs.push((u, v));
                arcs.push((v, u));
            }
        }
        arcs.sort_unstable();
        arcs.dedup();
        Ok(Self::from_sorted_arcs((0..n as u64).collect(), &arcs))
    }

    /// Reads a SNAP-style edge list: `#` or `%` comment lines, then `u v` per line
    /// separated by tabs or spaces. Self-loops, duplicates and both directions are handled
    /// and counted; a line that is not two non-negative integers is an error naming its
    /// line number.
    pub fn read_edge_list<R: BufRead>(mut input: R) -> Result<(Self, LoadStats)> {
        let mut edges = Vec::new();
        let mut line = Vec::new();
        let mut lineno = 0u64;
        let mut comments = 0u64;
        loop {
            line.clear();
            if input.read_until(b'\n', &mut line)? == 0 {
                break;
            }
            lineno += 1;
            let text = trim_ascii(&line);
            if text.is_empty() || text[0] == b'#' || text[0] == b'%' {
                comments += 1;
                continue;
            }
            edges.push(parse_edge(text, lineno)?);
        }
        let (g, mut stats) = Self::from_edges(&edges)?;
        stats.lines = lineno;
        stats.comments = comments;
        Ok((g, stats))
    }

    /// Reads an edge list from a file; see [`Graph::read_edge_list`].
    pub fn read_edge_list_file(path: impl AsRef<std::path::Path>) -> Result<(Self, LoadStats)> {
        let f = std::fs::File::open(path.as_ref())?;
        Self::read_edge_list(std::io::BufReader::with_capacity(1 << 20, f))
    }

    /// Writes the graph as an edge list: one comment line, then `u<TAB>v` with `u < v`
    /// (original ids), sorted.
    pub fn write_edge_list<W: Write>(&self, mut out: W) -> Result<()> {
        writeln!(
            out,
            "# undirected simple graph, {} nodes, {} edges",
            self.num_nodes(),
            self.num_edges()
        )?;
        let mut buf = Vec::with_capacity(1 << 16);
        for u in 0..self.num_nodes() {
            for &v in self.neighbors(u) {
                if v > u {
                    let (a, b) = (self.ids[u as usize], self.ids[v as usize]);
                    buf.extend_from_slice(a.to_string().as_bytes());
                    buf.push(b'\t');
                    buf.extend_from_slice(b.to_string().as_bytes());
                    buf.push(b'\n');
                    if buf.len() > 60_000 {
                        out.write_all(&buf)?;
                        buf.clear();
                    }
                }
            }
        }
        out.write_all(&buf)?;
        out.flush()?;
        Ok(())
    }

    /// Number of nodes.
    pub fn num_nodes(&self) -> u32 {
        self.ids.len() as u32
    }

    /// Number of undirected edges.
    pub fn num_edges(&self) -> u64 {
        self.targets.len() as u64 / 2
    }

    /// Sorted neighbours of `u`.
    pub fn neighbors(&self, u: u32) -> &[u32] {
        &self.targets[self.offsets[u as usize]..self.offsets[u as usize + 1]]
    }

    /// Degree of `u`.
    pub fn degree(&self, u: u32) -> usize {
        self.offsets[u as usize + 1] - self.offsets[u as usize]
    }

    /// Whether `u` and `v` are adjacent (binary search).
    pub fn has_edge(&self, u: u32, v: u32) -> bool {
        self.neighbors(u).binary_search(&v).is_ok()
    }

    /// The id the input used for dense node `u`.
    pub fn original_id(&self, u: u32) -> u64 {
        self.ids[u as usize]
    }

    /// All original ids, in dense order (increasing).
    pub fn original_ids(&self) -> &[u64] {
        &self.ids
    }

    /// Replaces the original ids (one per node, strictly increasing).
    pub fn with_original_ids(mut self, ids: Vec<u64>) -> Result<Self> {
        if ids.len() != self.ids.len() || ids.windows(2).any(|w| w[0] >= w[1]) {
            return Err(Error::Malformed {
                line: 0,
                reason: "original ids must be one per node and strictly increasing".into(),
            });
        }
        self.ids = ids;
        Ok(self)
    }

    /// Iterates over edges `(u, v)` with `u < v` (dense ids).
    pub fn edges(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        (0..self.num_nodes()).flat_map(move |u| {
            self.neighbors(u)
                .iter()
                .copied()
                .filter(move |&v| v > u)
                .map(move |v| (u, v))
        })
    }

    /// Reads a WebGraph BVGraph (`BASENAME.graph`, `.offsets`, `.properties`) sequentially
    /// and symmetrizes it: every arc becomes an undirected edge, self-loops are dropped.
    /// Original ids are the BVGraph node numbers; nodes without any edge are left out.
    #[cfg(feature = "webgraph")]
    pub fn read_webgraph(basename: impl AsRef<std::path::Path>) -> Result<(Self, LoadStats)> {
        use lender::Lender;
        use webgraph::prelude::*;
        let g = BvGraphSeq::with_basename(basename.as_ref())
            .load()
            .map_err(|e| Error::WebGraph(format!("{e:#}")))?;
        let n = g.num_nodes();
        if n > u32::MAX as usize - 1 {
            return Err(Error::TooLarge {
                what: "node count",
                value: n as u64,
            });
        }
        let mut arcs: Vec<(u32, u32)> = Vec::new();
        let mut stats = LoadStats::default();
        let mut it = g.iter();
        while let Some((u, succ)) = it.next() {
            for v in succ {
                stats.records += 1;
                if u == v {
                    stats.self_loops += 1;
                    continue;
                }
                if v >= n {
                    return Err(Error::WebGraph(format!("arc {u} -> {v} beyond {n} nodes")));
                }
                arcs.push((u as u32, v as u32));
                arcs.push((v as u32, u as u32));
            }
        }
        stats.lines = stats.records;
        arcs.sort_unstable();
        let before = arcs.len();
        arcs.dedup();
        // Each reciprocal pair of arcs collapses into one edge.
        stats.duplicates = ((before - arcs.len()) / 2) as u64;
        // Keep only nodes with at least one edge, renumbered densely.
        let mut used = vec![false; n];
        for &(a, _) in &arcs {
            used[a as usize] = true;
        }
        let mut remap = vec![u32::MAX; n];
        let mut ids = Vec::new();
        for (i, &u) in used.iter().enumerate() {
            if u {
                remap[i] = ids.len() as u32;
                ids.push(i as u64);
            }
        }
        for a in &mut arcs {
            *a = (remap[a.0 as usize], remap[a.1 as usize]);
        }
        Ok((Self::from_sorted_arcs(ids, &arcs), stats))
    }
}

fn trim_ascii(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &b[start..end]
}

fn parse_edge(text: &[u8], line: u64) -> Result<(u64, u64)> {
    let mut fields = text
        .split(|c| *c == b' ' || *c == b'\t')
        .filter(|f| !f.is_empty());
    let mut next = |what: &str| -> Result<u64> {
        let f = fields.next().ok_or_else(|| Error::Malformed {
            line,
            reason: format!("missing {what} node id"),
        })?;
        parse_u64(f).ok_or_else(|| Error::Malformed {
            line,
            reason: format!(
                "{what} node id {:?} is not a non-negative integer",
                String::from_utf8_lossy(f)
            ),
        })
    };
    let u = next("first")?;
    let v = next("second")?;
    if let Some(extra) = fields.next() {
        return Err(Error::Malformed {
            line,
            reason: format!(
                "unexpected third field {:?} (expected `u v`)",
                String::from_utf8_lossy(extra)
            ),
        });
    }
    Ok((u, v))
}

fn parse_u64(f: &[u8]) -> Option<u64> {
    if f.is_empty() || f.len() > 20 {
        return None;
    }
    let mut x: u64 = 0;
    for &c in f {
        if !c.is_ascii_digit() {
            return None;
        }
        x = x.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loader_counts_what_it_drops() {
        let text = "# comment\n% other\n\n1 2\n2\t1\n3 3\n2 5\n1  2\n";
        let (g, s) = Graph::read_edge_list(text.as_bytes()).unwrap();
        assert_eq!(g.num_nodes(), 3);
        assert_eq!(g.num_edges(), 2);
        assert_eq!(s.lines, 8);
        assert_eq!(s.comments, 3);
        assert_eq!(s.records, 5);
        assert_eq!(s.self_loops, 1);
        assert_eq!(s.duplicates, 2);
        assert_eq!(g.original_ids(), &[1, 2, 5]);
        assert!(g.has_edge(0, 1) && g.has_edge(1, 2) && !g.has_edge(0, 2));
    }

    #[test]
    fn malformed_lines_name_their_number() {
        for (text, line) in [
            ("1 2\nx 3\n", 2),
            ("1 2\n3\n", 2),
            ("# c\n1 2 3\n", 2),
            ("-1 2\n", 1),
            ("99999999999999999999999 1\n", 1),
        ] {
            match Graph::read_edge_list(text.as_bytes()) {
                Err(Error::Malformed { line: l, .. }) => assert_eq!(l, line, "{text:?}"),
                other => panic!("{text:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn writer_roundtrips() {
        let text = "10 20\n20 30\n10 30\n40 10\n";
        let (g, _) = Graph::read_edge_list(text.as_bytes()).unwrap();
        let mut out = Vec::new();
        g.write_edge_list(&mut out).unwrap();
        let (h, _) = Graph::read_edge_list(&out[..]).unwrap();
        assert_eq!(g, h);
        assert_eq!(
            String::from_utf8(out).unwrap().lines().nth(1),
            Some("10\t20")
        );
    }
}
