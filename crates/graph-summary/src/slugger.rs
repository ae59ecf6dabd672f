//! SLUGGER: lossless hierarchical graph summarization (Lee, Ko, Shin, ICDE 2022).
//!
//! ## Algorithm
//! Every node starts as its own root supernode. For `t = 1..=T`:
//! 1. **Candidate groups.** Each root gets a min-hash *shingle*: the smallest random hash
//!    over its leaves' neighbourhoods — closed (the leaves included, as in the paper) in
//!    odd iterations, open (neighbours only, which groups "twins" with the same neighbours
//!    but no edge between them) in even ones. Roots with equal shingles form a group; groups
//!    larger than [`Slugger::max_group`] are re-split with fresh hashes (up to
//!    [`Slugger::max_split_steps`] times), then cut into chunks.
//! 2. **Greedy merges.** In a group, pick a root `A` at random, find the `B` maximizing
//!    `saving = 1 − cost(A∪B) / (cost(A) + cost(B) − cost(A,B))` (with a reduction of at
//!    least two edges, the two new hierarchy edges), and merge when `saving ≥ θ(t) =
//!    1/(1+t)` (`θ = 0` at `t = T`); the merged root stays in the group, otherwise `A`
//!    leaves it.
//!
//! Merging `A` and `B` makes a new root `M` with children `A` and `B`, and re-encodes
//! the edges between `M` and every neighbouring root `U` optimally over the two subtrees
//! (memoized): for a pair of supernodes `(x, y)` this crate keeps `c0(x, y)`, the fewest
//! edges that encode the leaf pairs of `x × y` when nothing above covers them, and
//! `c1(x, y)`, the fewest when an edge above already covers them all. With `x` the
//! younger of the two and `x₁, x₂` its children,
//!
//! ```text
//! c0(x, y) = min( c0(x₁, y) + c0(x₂, y),  1 + c1(x₁, y) + c1(x₂, y) )   // p-edge (x, y)
//! c1(x, y) = min( c1(x₁, y) + c1(x₂, y),  1 + c0(x₁, y) + c0(x₂, y) )   // n-edge (x, y)
//! ```
//!
//! with `c0 = a(u, v)`, `c1 = 1 − a(u, v)` for two leaves and `c0 = 0`, `c1 = 1` for a
//! pair without any edge; the block inside `M` splits into `M₁×M₁`, `M₂×M₂` and `M₁×M₂`.
//! The cost of a merge is therefore exact, not estimated, and the final edges are read off
//! the memo by following the choices down from every pair of roots.
//!
//! 3. **Pruning** (after the last iteration): supernodes without edges are dropped (their
//!    children move up), and a root with exactly one edge hands it down to its children
//!    when that is cheaper. Choosing between the hierarchical and a flat encoding per pair
//!    of root trees is part of the `c0`/`c1` recursion above (a flat listing is one of the
//!    choices it weighs).
//!
//! ## Determinism and threads
//! All randomness comes from [`Slugger::seed`] (each group gets its own stream). Groups
//! are processed in fixed batches of 128, in rounds: every group of the batch picks a root
//! and scores its partners against the state at the start of the round — in parallel over
//! groups (or over the candidates of a lone big group) — then the chosen merges are applied
//! in group order with exact costs. Shingles, extraction and restore are parallel too. The
//! summary is the same for a seed whatever the number of threads.

use crate::refine::{Forest, PairMap};
use crate::summary::NO_PARENT;
use crate::{Graph, Result, SluggerSummary};
use rand_xoshiro::SplitMix64;
use rand_xoshiro::rand_core::{RngCore, SeedableRng};
use rayon::prelude::*;

/// Configuration of the SLUGGER summarizer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slugger {
    /// Number of iterations `T` (the paper uses 20).
    pub iterations: u32,
    /// Seed of every random choice.
    pub seed: u64,
    /// Largest candidate group (the paper uses 500).
    pub max_group: usize,
    /// How many times an oversized group is re-split with fresh hashes before it is cut.
    pub max_split_steps: u32,
}

impl Default for Slugger {
    fn default() -> Self {
        Slugger {
            iterations: 20,
            seed: 0,
            max_group: 500,
            max_split_steps: 10,
        }
    }
}

/// Statistics of one run, for reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunStats {
    /// Merges performed.
    pub merges: u64,
    /// Candidate pairs scored.
    pub pairs_scored: u64,
    /// Summary cost before pruning (edges from the memo + all hierarchy edges).
    pub cost_before_pruning: u64,
}

const NONE: u32 = u32::MAX;

/// How many levels of a younger neighbour's subtree a merge may split into.
const SPLIT_DEPTH: u32 = 3;

/// Memo of one pair `(x, partner)`, `x` the younger: its costs and choices.
#[derive(Debug, Clone, Copy)]
struct Rec {
    partner: u32,
    c0: u32,
    c1: u32,
    /// Bit 0/1: an edge on the pair when the value from above is 0/1. Bit 2/3: after
    /// that, split the *older* node (not the younger) when the value is 0/1.
    bits: u8,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    nbr: u32,
    c0: u32,
    c1: u32,
    /// When `nbr` is a supernode younger than the list's owner: `(c0, c1)` of the owner
    /// with `nbr`'s left child, then with its right child (zeros otherwise).
    kids: [u32; 4],
}

/// SplitMix64 (the workspace's generator, from `rand_xoshiro`): small, fast and good enough
/// for sampling and hashing; with the bounded draw the summarizer uses.
struct Rng(SplitMix64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(SplitMix64::seed_from_u64(seed))
    }

    fn next(&mut self) -> u64 {
        self.0.next_u64()
    }

    fn below(&mut self, n: usize) -> usize {
        (((self.next() >> 32) * n as u64) >> 32) as usize
    }
}

#[inline]
fn combine(a0: u32, a1: u32, b0: u32, b1: u32) -> (u32, u32, u8) {
    choose(a0 + b0, a1 + b1, NEVER, NEVER)
}

/// A split that is not available.
const NEVER: u32 = u32::MAX / 4;

/// Like [`combine`] with a second way to split the pair: `(y0, y1)` splitting the
/// younger node, `(o0, o1)` the older one; bits 2/3 record when the older won.
#[inline]
fn choose(y0: u32, y1: u32, o0: u32, o1: u32) -> (u32, u32, u8) {
    let (s0, old0) = if o0 < y0 { (o0, true) } else { (y0, false) };
    let (s1, old1) = if o1 < y1 { (o1, true) } else { (y1, false) };
    let m0 = s0.min(1 + s1);
    let m1 = s1.min(1 + s0);
    let bits = u8::from(1 + s1 < s0)
        | (u8::from(1 + s0 < s1) << 1)
        | (u8::from(old0) << 2)
        | (u8::from(old1) << 3);
    (m0, m1, bits)
}

/// Merged-pair value when only one side has edges to `U` (the other side's block is
/// empty: `c0 = 0`, `c1 = 1`).
#[inline]
fn single(a0: u32, a1: u32) -> u32 {
    a0.min(2 + a1)
}

/// Dense arrays describing one root `A`: the pair costs of its neighbours.
#[derive(Default)]
struct Scratch {
    stamp: Vec<u32>,
    c0: Vec<u32>,
    c1: Vec<u32>,
    kids: Vec<[u32; 4]>,
    cur: u32,
}

impl Scratch {
    fn bump(&mut self) {
        self.cur = self.cur.wrapping_add(1);
        if self.cur == 0 {
            self.stamp.fill(0);
            self.cur = 1;
        }
    }

    /// Loads `a`'s entries (skipping stale ones); returns (cost(A), Σ single).
    fn load(&mut self, st: &State<'_>, a: u32) -> (i64, i64) {
        let cap = st.parent.len();
        if self.stamp.len() < cap {
            self.stamp.resize(cap, 0);
            self.c0.resize(cap, 0);
            self.c1.resize(cap, 0);
            self.kids.resize(cap, [0; 4]);
        }
        self.bump();
        let mut sum0 = 0i64;
        let mut single_sum = 0i64;
        for e in &st.adj[a as usize] {
            if !st.is_root(e.nbr) {
                continue;
            }
            let u = e.nbr as usize;
            self.stamp[u] = self.cur;
            self.c0[u] = e.c0;
            self.c1[u] = e.c1;
            self.kids[u] = e.kids;
            sum0 += i64::from(e.c0);
            single_sum += i64::from(single(e.c0, e.c1));
        }
        (sum0 + i64::from(st.self0[a as usize]), single_sum)
    }

    #[inline]
    fn get(&self, u: u32) -> Option<(u32, u32)> {
        (self.stamp[u as usize] == self.cur).then(|| (self.c0[u as usize], self.c1[u as usize]))
    }

    #[inline]
    fn has(&self, u: u32) -> bool {
        self.stamp[u as usize] == self.cur
    }
}

thread_local! {
    /// Each worker thread's scratch for scoring groups in parallel.
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

/// One candidate group being processed: its roots, its random stream, and the pick of
/// the current round with the best partner found.
struct GroupRun {
    q: Vec<u32>,
    rng: Rng,
    pick: u32,
    best: Option<(usize, f64)>,
}

/// The candidate with the largest saving among those reducing at least two edges (the two
/// hierarchy edges a merge adds); ties go to the first.
fn best_of(scores: impl Iterator<Item = Score>) -> Option<(usize, f64)> {
    let mut best: Option<(usize, f64)> = None;
    for (i, s) in scores.enumerate() {
        if s.reduction < 2 || s.before <= 0 {
            continue;
        }
        let saving = s.reduction as f64 / s.before as f64;
        if best.is_none_or(|(_, b)| saving > b) {
            best = Some((i, saving));
        }
    }
    best
}

struct State<'g> {
    g: &'g Graph,
    n: usize,
    parent: Vec<u32>,
    left: Vec<u32>,
    right: Vec<u32>,
    first_leaf: Vec<u32>,
    last_leaf: Vec<u32>,
    next_leaf: Vec<u32>,
    adj: Vec<Vec<Entry>>,
    self0: Vec<u32>,
    self1: Vec<u32>,
    /// For supernode `n + i`: (older partner, choice bits) of every non-empty pair made
    /// when it was created, sorted by partner.
    rec: Vec<Vec<Rec>>,
    self_bits: Vec<u8>,
    next_id: u32,
    /// Scratch of the sequential path (the `A` being merged).
    sc: Scratch,
    stats: RunStats,
}

/// What scoring a candidate `B` against the loaded `A` found.
#[derive(Clone, Copy)]
struct Score {
    reduction: i64,
    before: i64,
}

impl<'g> State<'g> {
    fn new(g: &'g Graph) -> Self {
        let n = g.num_nodes() as usize;
        let cap = (2 * n).max(1);
        let adj = (0..n as u32)
            .into_par_iter()
            .map(|u| {
                g.neighbors(u)
                    .iter()
                    .map(|&v| Entry {
                        nbr: v,
                        c0: 1,
                        c1: 0,
                        kids: [0; 4],
                    })
                    .collect()
            })
            .collect::<Vec<_>>();
        let mut adj = adj;
        adj.resize_with(cap, Vec::new);
        State {
            g,
            n,
            parent: vec![NONE; cap],
            left: vec![NONE; cap],
            right: vec![NONE; cap],
            first_leaf: (0..cap as u32)
                .map(|i| if (i as usize) < n { i } else { NONE })
                .collect(),
            last_leaf: (0..cap as u32)
                .map(|i| if (i as usize) < n { i } else { NONE })
                .collect(),
            next_leaf: vec![NONE; n],
            adj,
            self0: vec![0; cap],
            self1: vec![0; cap],
            rec: Vec::new(),
            self_bits: Vec::new(),
            next_id: n as u32,
            sc: Scratch::default(),
            stats: RunStats::default(),
        }
    }

    #[inline]
    fn is_root(&self, x: u32) -> bool {
        self.parent[x as usize] == NONE
    }

    fn clean(&mut self, x: u32) {
        let parent = &self.parent;
        self.adj[x as usize].retain(|e| parent[e.nbr as usize] == NONE);
    }

    /// Loads `a` into the sequential scratch.
    fn load(&mut self, a: u32) -> (i64, i64) {
        self.clean(a);
        let mut sc = std::mem::take(&mut self.sc);
        let r = sc.load(self, a);
        self.sc = sc;
        r
    }

    /// Scores merging the loaded `a` with `b` (read-only).
    fn score(&self, sc: &Scratch, a: u32, b: u32, cost_a: i64, single_a: i64) -> Score {
        let (ab0, ab1) = sc.get(b).unwrap_or((0, 1));
        let mut after = single_a;
        if sc.has(b) {
            after -= i64::from(single(ab0, ab1));
        }
        let mut sum_b = 0i64;
        for e in &self.adj[b as usize] {
            if !self.is_root(e.nbr) {
                continue;
            }
            sum_b += i64::from(e.c0);
            if e.nbr == a {
                continue;
            }
            match sc.get(e.nbr) {
                Some((a0, a1)) => {
                    let (mut m0, _, _) = combine(a0, a1, e.c0, e.c1);
                    if e.nbr > a && e.nbr > b && e.nbr as usize >= self.n {
                        // Split on the neighbour's side; both lists know the child pairs.
                        let ak = &sc.kids[e.nbr as usize];
                        let bk = &e.kids;
                        let (l0, l1, _) = combine(ak[0], ak[1], bk[0], bk[1]);
                        let (r0, r1, _) = combine(ak[2], ak[3], bk[2], bk[3]);
                        m0 = choose(a0 + e.c0, a1 + e.c1, l0 + r0, l1 + r1).0;
                    }
                    after += i64::from(m0) - i64::from(single(a0, a1));
                }
                None => after += i64::from(single(e.c0, e.c1)),
            }
        }
        let (s0, _, _) = combine(
            self.self0[a as usize] + self.self0[b as usize],
            self.self1[a as usize] + self.self1[b as usize],
            ab0,
            ab1,
        );
        after += i64::from(s0);
        let before = cost_a + sum_b + i64::from(self.self0[b as usize]) - i64::from(ab0);
        Score {
            reduction: before - after,
            before,
        }
    }

    /// Merges roots `a` (loaded in the scratch) and `b` into a new root.
    fn merge(&mut self, a: u32, b: u32) -> u32 {
        self.clean(b);
        let m = self.next_id;
        self.next_id += 1;
        let (mi, ai, bi) = (m as usize, a as usize, b as usize);
        self.parent[ai] = m;
        self.parent[bi] = m;
        self.left[mi] = a;
        self.right[mi] = b;
        self.first_leaf[mi] = self.first_leaf[ai];
        self.last_leaf[mi] = self.last_leaf[bi];
        self.next_leaf[self.last_leaf[ai] as usize] = self.first_leaf[bi];
        let (ab0, ab1) = self.sc.get(b).unwrap_or((0, 1));
        let adj_a = std::mem::take(&mut self.adj[ai]);
        let adj_b = std::mem::take(&mut self.adj[bi]);
        let mut list = Vec::with_capacity(adj_a.len() + adj_b.len());
        let mut rec = Vec::with_capacity(adj_a.len() + adj_b.len());
        for e in &adj_b {
            if e.nbr == a {
                continue;
            }
            let (a0, a1) = match self.sc.get(e.nbr) {
                Some(v) => {
                    self.sc.stamp[e.nbr as usize] = 0;
                    v
                }
                None => (0, 1),
            };
            self.pair_after_merge(a, b, e.nbr, [a0, a1, e.c0, e.c1], &mut list, &mut rec);
        }
        for e in &adj_a {
            if e.nbr == b || !self.sc.has(e.nbr) {
                continue;
            }
            self.pair_after_merge(a, b, e.nbr, [e.c0, e.c1, 0, 1], &mut list, &mut rec);
        }
        for e in &list {
            self.adj[e.nbr as usize].push(Entry {
                nbr: m,
                c0: e.c0,
                c1: e.c1,
                kids: e.kids,
            });
        }
        for e in &mut list {
            e.kids = [0; 4];
        }
        let (s0, s1, sbits) = combine(
            self.self0[ai] + self.self0[bi],
            self.self1[ai] + self.self1[bi],
            ab0,
            ab1,
        );
        self.self0[mi] = s0;
        self.self1[mi] = s1;
        self.adj[mi] = list;
        rec.sort_unstable_by_key(|r| r.partner);
        self.rec.push(rec);
        self.self_bits.push(sbits);
        self.stats.merges += 1;
        // The scratch no longer describes a root.
        self.sc.bump();
        m
    }

    /// The memo of the pair `(x, y)` (any order, `x != y`); `None` when no edge joins
    /// them. Valid for pairs that were both roots when the younger was made. Two leaves
    /// have an implicit record: an edge gives `c0 = 1`, `c1 = 0`, a p-edge at `c = 0`.
    fn memo(&self, x: u32, y: u32) -> Option<Rec> {
        let (x, y) = (x.max(y), x.min(y));
        if (x as usize) < self.n {
            return self.g.has_edge(x, y).then_some(Rec {
                partner: y,
                c0: 1,
                c1: 0,
                bits: 0b01,
            });
        }
        let rec = &self.rec[x as usize - self.n];
        rec.binary_search_by_key(&y, |r| r.partner)
            .ok()
            .map(|i| rec[i])
    }

    /// Costs `(c0, c1)` of the pair `(x, y)`; see [`State::memo`].
    fn vals(&self, x: u32, y: u32) -> Option<(u32, u32)> {
        self.memo(x, y).map(|r| (r.c0, r.c1))
    }

    /// `(c0, c1, bits)` of the pair `(a ∪ b, y)` (`None` when no edge joins them),
    /// splitting `y` instead of the new node where that is cheaper and `y` is a supernode
    /// younger than both `a` and `b`, down to `depth` levels of `y`'s subtree. Memo
    /// records of the child pairs a chosen split uses are appended to `out`.
    fn deep_pair(
        &self,
        a: u32,
        b: u32,
        y: u32,
        depth: u32,
        out: &mut Vec<Rec>,
    ) -> Option<(u32, u32, u8)> {
        let va = self.vals(a, y);
        let vb = self.vals(b, y);
        if va.is_none() && vb.is_none() {
            return None;
        }
        let (a0, a1) = va.unwrap_or((0, 1));
        let (b0, b1) = vb.unwrap_or((0, 1));
        Some(self.split_either(a, b, y, a0 + b0, a1 + b1, depth, out))
    }

    /// Chooses between splitting the new node (sums `y0`, `y1`) and splitting `y`.
    #[allow(clippy::too_many_arguments)]
    fn split_either(
        &self,
        a: u32,
        b: u32,
        y: u32,
        y0: u32,
        y1: u32,
        depth: u32,
        out: &mut Vec<Rec>,
    ) -> (u32, u32, u8) {
        if depth == 0 || (y as usize) < self.n || y < a || y < b {
            return choose(y0, y1, NEVER, NEVER);
        }
        let mark = out.len();
        let (mut o0, mut o1) = (0, 0);
        for ch in [self.left[y as usize], self.right[y as usize]] {
            match self.deep_pair(a, b, ch, depth - 1, out) {
                Some((k0, k1, kb)) => {
                    o0 += k0;
                    o1 += k1;
                    out.push(Rec {
                        partner: ch,
                        c0: k0,
                        c1: k1,
                        bits: kb,
                    });
                }
                None => o1 += 1,
            }
        }
        let r = choose(y0, y1, o0, o1);
        if r.2 & 0b1100 == 0 {
            out.truncate(mark);
        }
        r
    }

    /// Memoizes the pair `(a ∪ b, u)`; `ab` holds `(c0, c1)` of `(a, u)` then `(b, u)`.
    fn pair_after_merge(
        &self,
        a: u32,
        b: u32,
        u: u32,
        ab: [u32; 4],
        list: &mut Vec<Entry>,
        rec: &mut Vec<Rec>,
    ) {
        let (m0, m1, bits) =
            self.split_either(a, b, u, ab[0] + ab[2], ab[1] + ab[3], SPLIT_DEPTH, rec);
        // `kids` here is for the entry `u` gets (the pairs of `u` with `a` and `b`).
        list.push(Entry {
            nbr: u,
            c0: m0,
            c1: m1,
            kids: ab,
        });
        rec.push(Rec {
            partner: u,
            c0: m0,
            c1: m1,
            bits,
        });
    }

    /// Min-hash of the root's leaves' neighbourhoods: closed (leaves included) or open.
    fn shingle(&self, x: u32, h: &[u64], closed: bool) -> u64 {
        let mut best = u64::MAX;
        let mut v = self.first_leaf[x as usize];
        while v != NONE {
            if closed {
                best = best.min(h[v as usize]);
            }
            for &w in self.g.neighbors(v) {
                best = best.min(h[w as usize]);
            }
            if v == self.last_leaf[x as usize] {
                break;
            }
            v = self.next_leaf[v as usize];
        }
        best
    }

    /// Splits the roots into candidate groups (min-hash shingles, recursive re-splitting).
    fn divide(&self, roots: &[u32], rng: &mut Rng, cfg: &Slugger, closed: bool) -> Vec<Vec<u32>> {
        let mut groups = Vec::new();
        let mut pending: Vec<Vec<u32>> = vec![roots.to_vec()];
        let mut h = vec![0u64; self.n];
        for step in 0..=cfg.max_split_steps {
            if pending.is_empty() {
                break;
            }
            if step == cfg.max_split_steps {
                for p in pending.drain(..) {
                    groups.extend(p.chunks(cfg.max_group.max(2)).map(<[u32]>::to_vec));
                }
                break;
            }
            for x in h.iter_mut() {
                *x = rng.next();
            }
            let mut next = Vec::new();
            for p in pending.drain(..) {
                let mut keyed: Vec<(u64, u32)> = p
                    .par_iter()
                    .map(|&x| (self.shingle(x, &h, closed), x))
                    .collect();
                keyed.par_sort_unstable();
                let mut i = 0;
                while i < keyed.len() {
                    let mut j = i + 1;
                    while j < keyed.len() && keyed[j].0 == keyed[i].0 {
                        j += 1;
                    }
                    let run: Vec<u32> = keyed[i..j].iter().map(|k| k.1).collect();
                    if run.len() <= cfg.max_group.max(2) {
                        if run.len() > 1 {
                            groups.push(run);
                        }
                    } else {
                        next.push(run);
                    }
                    i = j;
                }
            }
            pending = next;
        }
        groups
    }

    /// Picks a root of `g` at random and scores every other member against it (read-only,
    /// with this thread's scratch).
    fn decide(&self, g: &mut GroupRun) -> u64 {
        let a = g.q.swap_remove(g.rng.below(g.q.len()));
        g.pick = a;
        SCRATCH.with(|cell| {
            let mut sc = cell.borrow_mut();
            let (cost_a, single_a) = sc.load(self, a);
            g.best = best_of(g.q.iter().map(|&b| self.score(&sc, a, b, cost_a, single_a)));
        });
        g.q.len() as u64
    }

    /// Processes candidate groups in rounds: in each round every group picks a root and
    /// scores its partners against the state at the start of the round (in parallel over
    /// groups), then the chosen merges are applied in group order with exact costs. The
    /// result depends on the seed only, never on the number of threads.
    fn run_groups(&mut self, groups: Vec<Vec<u32>>, theta: f64, rng: &mut Rng) {
        // Groups go in fixed batches (independent of the thread count) so that the lists
        // a batch touches stay in cache across its rounds.
        const BATCH: usize = 128;
        let mut groups = groups.into_iter().filter(|q| q.len() > 1).peekable();
        while groups.peek().is_some() {
            let batch: Vec<Vec<u32>> = groups.by_ref().take(BATCH).collect();
            self.run_batch(batch, theta, rng);
        }
    }

    fn run_batch(&mut self, groups: Vec<Vec<u32>>, theta: f64, rng: &mut Rng) {
        // Below this many neighbour entries to read in a round, scoring stays on one
        // thread (a parallel round costs a synchronization).
        const PAR_WORK: usize = 32_768;
        let mut active: Vec<GroupRun> = groups
            .into_iter()
            .filter(|q| q.len() > 1)
            .map(|q| GroupRun {
                q,
                rng: Rng::new(rng.next()),
                pick: NONE,
                best: None,
            })
            .collect();
        let threads = rayon::current_num_threads();
        let mut scores: Vec<Score> = Vec::new();
        while !active.is_empty() {
            let work: usize = if threads > 1 {
                active
                    .iter()
                    .flat_map(|g| &g.q)
                    .map(|&b| self.adj[b as usize].len())
                    .sum()
            } else {
                0
            };
            if active.len() == 1 && threads > 1 && work >= PAR_WORK {
                // One big group: parallel over its candidates instead.
                let g = &mut active[0];
                let a = g.q.swap_remove(g.rng.below(g.q.len()));
                g.pick = a;
                let (cost_a, single_a) = self.load(a);
                let this = &*self;
                g.q.par_iter()
                    .map(|&b| this.score(&this.sc, a, b, cost_a, single_a))
                    .collect_into_vec(&mut scores);
                g.best = best_of(scores.iter().copied());
                self.stats.pairs_scored += g.q.len() as u64;
            } else {
                let this = &*self;
                let scored: u64 = if threads > 1 && work >= PAR_WORK {
                    active.par_iter_mut().map(|g| this.decide(g)).sum()
                } else {
                    active.iter_mut().map(|g| this.decide(g)).sum()
                };
                self.stats.pairs_scored += scored;
            }
            for g in &mut active {
                // Drop the pick's stale entries (as the sequential path's `load` does).
                self.clean(g.pick);
                if let Some((i, saving)) = g.best.take() {
                    if saving >= theta {
                        let (a, b) = (g.pick, g.q[i]);
                        self.load(a);
                        g.q[i] = self.merge(a, b);
                    }
                }
            }
            active.retain(|g| g.q.len() > 1);
        }
    }

    /// Choice bits of the pair `(x, y)`; see [`State::memo`].
    fn bits(&self, x: u32, y: u32) -> Option<u8> {
        self.memo(x, y).map(|r| r.bits)
    }

    /// Reads the edges off the memo, following the choices from every pair of roots
    /// (roots in parallel, concatenated in id order).
    fn extract(&self) -> Vec<(u32, u32, bool)> {
        let roots: Vec<u32> = (0..self.next_id).filter(|&r| self.is_root(r)).collect();
        roots
            .par_chunks(256)
            .map(|chunk| {
                let mut out = Vec::new();
                let mut stack = Vec::new();
                for &r in chunk {
                    self.extract_root(r, &mut stack, &mut out);
                }
                out
            })
            .collect::<Vec<_>>()
            .concat()
    }

    /// The edges of root `r`: inside it, and to every older root.
    fn extract_root(
        &self,
        r: u32,
        stack: &mut Vec<(u32, u32, u8)>,
        out: &mut Vec<(u32, u32, bool)>,
    ) {
        // (x, y, inherited value); x >= y; x == y means the block inside x.
        stack.push((r, r, 0));
        for e in &self.adj[r as usize] {
            if e.nbr < r && self.is_root(e.nbr) {
                stack.push((r, e.nbr, 0));
            }
        }
        while let Some((x, y, mut c)) = stack.pop() {
            if x == y {
                if (x as usize) < self.n {
                    continue;
                }
                let bits = self.self_bits[x as usize - self.n];
                if bits >> c & 1 == 1 {
                    out.push((x, x, c == 0));
                    c ^= 1;
                }
                let (l, rr) = (self.left[x as usize], self.right[x as usize]);
                stack.push((l, l, c));
                stack.push((rr, rr, c));
                self.push_pair(stack, out, rr.max(l), rr.min(l), c);
                continue;
            }
            let bits = self.bits(x, y).expect("pairs on the stack are non-empty");
            if bits >> c & 1 == 1 {
                out.push((x, y, c == 0));
                c ^= 1;
            }
            if (x as usize) < self.n {
                debug_assert_eq!(c, 1, "leaf pair left unresolved");
                continue;
            }
            if bits >> (2 + c) & 1 == 1 {
                for ch in [self.left[y as usize], self.right[y as usize]] {
                    self.push_pair(stack, out, x.max(ch), x.min(ch), c);
                }
            } else {
                for ch in [self.left[x as usize], self.right[x as usize]] {
                    self.push_pair(stack, out, ch.max(y), ch.min(y), c);
                }
            }
        }
    }

    fn push_pair(
        &self,
        stack: &mut Vec<(u32, u32, u8)>,
        out: &mut Vec<(u32, u32, bool)>,
        x: u32,
        y: u32,
        c: u8,
    ) {
        if self.bits(x, y).is_some() {
            stack.push((x, y, c));
        } else if c == 1 {
            // An empty block under a p-edge: one n-edge cancels it.
            out.push((x, y, false));
        }
    }
}

impl crate::Summarizer for Slugger {
    type Summary = SluggerSummary;
    /// [`Slugger::summarize`]: never fails.
    fn summarize(&self, g: &Graph) -> Result<SluggerSummary> {
        Ok(Slugger::summarize(self, g))
    }
}

impl Slugger {
    /// Summarizes `g`.
    pub fn summarize(&self, g: &Graph) -> SluggerSummary {
        self.summarize_with(g, &mut |_, _| {}).0
    }

    /// Summarizes `g`, calling `progress(t, T)` after each iteration, and returns the run's
    /// statistics too.
    pub fn summarize_with(
        &self,
        g: &Graph,
        progress: &mut dyn FnMut(u32, u32),
    ) -> (SluggerSummary, RunStats) {
        let mut st = State::new(g);
        let mut rng = Rng::new(self.seed ^ 0x5EED_51D6_6E40_0000);
        let t_max = self.iterations;
        for t in 1..=t_max {
            let roots: Vec<u32> = (0..st.next_id).filter(|&x| st.is_root(x)).collect();
            // Drop stale neighbour entries once per iteration.
            {
                let parent = &st.parent;
                st.adj.par_iter_mut().for_each(|l| {
                    if !l.is_empty() {
                        l.retain(|e| parent[e.nbr as usize] == NONE);
                    }
                });
            }
            let groups = st.divide(&roots, &mut rng, self, t % 2 == 1);
            let theta = if t < t_max {
                1.0 / (1.0 + f64::from(t))
            } else {
                0.0
            };
            st.run_groups(groups, theta, &mut rng);
            progress(t, t_max);
        }
        let edges = st.extract();
        let total = st.next_id as usize;
        st.stats.cost_before_pruning = edges.len() as u64 + (total - st.n) as u64 * 2;
        let summary = prune(&st, edges);
        (summary, st.stats)
    }
}

/// Drops supernodes without edges, then improves locally ([`crate::refine`]): supernodes
/// that cost more than they save are dissolved (a root with one edge hands it down to its
/// children, the paper's second pruning step, is one case) and edges shared by all children
/// are lifted.
fn prune(st: &State<'_>, edges: Vec<(u32, u32, bool)>) -> SluggerSummary {
    let n = st.n;
    let total = st.next_id as usize;
    let mut map: PairMap<i8> = PairMap::default();
    let mut has_edge = vec![false; total];
    for &(a, b, s) in &edges {
        map.insert((a.min(b), a.max(b)), if s { 1 } else { -1 });
        has_edge[a as usize] = true;
        has_edge[b as usize] = true;
    }
    let alive: Vec<bool> = (0..total).map(|x| x < n || has_edge[x]).collect();
    let mut up = vec![NONE; total];
    for x in (0..total).rev() {
        let p = st.parent[x];
        if p != NONE {
            up[x] = if alive[p as usize] { p } else { up[p as usize] };
        }
    }
    let mut forest = Forest::new(n, up, alive, map);
    forest.improve(4);
    // Renumber kept supernodes in creation order (parents stay above children).
    let mut new_id = vec![NONE; total];
    let mut next = n as u32;
    for (x, id) in new_id.iter_mut().enumerate() {
        if x < n {
            *id = x as u32;
        } else if forest.alive[x] {
            *id = next;
            next += 1;
        }
    }
    let mut parent = vec![NO_PARENT; next as usize];
    for x in 0..total {
        if forest.alive[x] && forest.parent[x] != NONE {
            parent[new_id[x] as usize] = new_id[forest.parent[x] as usize];
        }
    }
    let mut p_plus = Vec::new();
    let mut p_minus = Vec::new();
    for (&(a, b), &s) in &forest.edges {
        let e = (new_id[a as usize], new_id[b as usize]);
        if s > 0 {
            p_plus.push(e)
        } else {
            p_minus.push(e)
        }
    }
    SluggerSummary::new(
        n as u32,
        parent,
        p_plus,
        p_minus,
        st.g.original_ids().to_vec(),
    )
    .expect("pruned summary is well formed")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(g: &Graph, cfg: &Slugger) -> SluggerSummary {
        let s = cfg.summarize(g);
        assert_eq!(&s.restore().unwrap(), g);
        s
    }

    #[test]
    fn clique_collapses_to_one_loop() {
        let mut edges = Vec::new();
        for u in 0..20u32 {
            for v in u + 1..20 {
                edges.push((u, v));
            }
        }
        let g = Graph::from_dense_edges(20, &edges).unwrap();
        let s = check(&g, &Slugger::default());
        // One self-loop plus at most the hierarchy over 20 leaves.
        assert!(s.cost() <= 1 + 20 + 19, "cost {}", s.cost());
        assert!(s.cost() < g.num_edges() / 4);
    }

    #[test]
    fn biclique_and_star() {
        let mut edges = Vec::new();
        for u in 0..10u32 {
            for v in 10..25u32 {
                edges.push((u, v));
            }
        }
        for v in 26..60u32 {
            edges.push((25, v));
        }
        let g = Graph::from_dense_edges(60, &edges).unwrap();
        let s = check(&g, &Slugger::default());
        assert!(s.cost() < g.num_edges() / 2, "cost {}", s.cost());
    }

    #[test]
    fn same_seed_same_summary() {
        let mut rng = Rng::new(7);
        let mut edges = Vec::new();
        for _ in 0..3000 {
            let u = rng.below(300) as u32;
            let v = (u / 30) * 30 + rng.below(30) as u32;
            edges.push((u, v));
        }
        let g = Graph::from_dense_edges(300, &edges).unwrap();
        let cfg = Slugger::default();
        let a = check(&g, &cfg);
        let b = check(&g, &cfg);
        assert_eq!(a, b);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let c = pool.install(|| cfg.summarize(&g));
        assert_eq!(a, c);
    }
}
