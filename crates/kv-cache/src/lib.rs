//! KV caches for transformer attention, with pluggable policies that decide which entries
//! stay when the cache is held to a budget.
//!
//! A decoder-only transformer keeps, per layer and per key/value head, the keys and values
//! of every past token. Methods that shrink that cache (StreamingLLM, H2O, TOVA, SnapKV,
//! TreeKV, EMS, …) differ only in *which* entries they keep, *how* they merge the others,
//! and *how* entries are stored; the model does not care. So the model talks to one small
//! trait, [`KvCache`]:
//!
//! - [`KvCache::append`] new keys (already rotated by RoPE) and values of one layer and KV
//!   head, each with its token index (causal order) and its RoPE position;
//! - [`KvCache::attend`] with the queries of the query heads that share that KV head
//!   (grouped-query attention): the cache computes the attention, and since it sees the
//!   attention probabilities it can keep statistics on them for its policy;
//! - [`KvCache::compact`] to the budget (evictions and merges), between steps;
//! - [`KvCache::bytes`] reports the true bytes held, metadata included.
//!
//! A method implements [`KvPolicy`]: it may [`observe`](KvPolicy::observe) the attention
//! probabilities and it [`plans`](KvPolicy::plan) a [`Compaction`] (entries kept, entries
//! merged into kept ones) for one head's [`HeadStore`]. [`PolicyCache`] applies any policy
//! to dense `f32` storage; [`FullCache`] (keep everything) is the baseline every method is
//! measured against.
//!
//! ## Positions and RoPE
//! Keys are stored rotated (as the model computed them), together with the position they
//! were rotated with, so attention over the cache needs no further rotation. A policy that
//! renumbers positions (StreamingLLM gives the kept window contiguous positions) puts the
//! new positions in its [`Compaction`], and the cache ([`PolicyCache::with_rope`]) rotates
//! each kept key by the position difference ([`HeadStore::renumber`]): a RoPE rotation by
//! `p` followed by one by `q − p` is the rotation by `q`. New tokens get their positions
//! from [`KvCache::next_positions`] (the policy's numbering). [`Rope`] is the one
//! implementation of the rotation, shared with the model so both agree.
//!
//! ```
//! use kv_cache::{FullCache, KvCache, KvConfig};
//!
//! let config = KvConfig { n_layers: 1, n_kv_heads: 1, head_dim: 2 };
//! let mut cache = FullCache::full(config);
//! // Two tokens: keys e₀ and e₁, values 10 and 20 (in both channels).
//! cache.append(0, 0, &[0, 1], &[0, 1], &[1.0, 0.0, 0.0, 1.0], &[10.0, 10.0, 20.0, 20.0])?;
//! // One query head, one query at token 1 that looks like e₀ strongly.
//! let mut out = [0.0; 2];
//! cache.attend(0, 0, &[1], &[50.0, 0.0], &mut out)?;
//! assert!((out[0] - 10.0).abs() < 1e-3);
//! assert_eq!(cache.len(0, 0), 2);
//! # Ok::<(), kv_cache::Error>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod rope;
mod store;

pub use rope::Rope;
pub use store::HeadStore;

use faer::{Accum, MatMut, MatRef, Par};

/// Errors of this crate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A layer or KV head index beyond the configuration.
    #[error("layer {layer} / kv head {kv_head} out of range")]
    OutOfRange {
        /// Layer asked for.
        layer: usize,
        /// KV head asked for.
        kv_head: usize,
    },
    /// Slices whose lengths do not agree with each other or with the head dimension.
    #[error("shape mismatch: {0}")]
    Shape(&'static str),
    /// Tokens appended out of causal order.
    #[error("token indices must increase across appends")]
    TokenOrder,
    /// A compaction plan that does not describe the store it is applied to.
    #[error("invalid compaction plan: {0}")]
    InvalidPlan(&'static str),
}

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, Error>;

/// Shape of a cache: layers, KV heads per layer, values per key/value vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KvConfig {
    /// Number of transformer layers.
    pub n_layers: usize,
    /// Number of key/value heads per layer.
    pub n_kv_heads: usize,
    /// Dimension of one key (and value) vector.
    pub head_dim: usize,
}

/// What the model needs from a KV cache. See the [crate docs](crate).
pub trait KvCache {
    /// The cache's shape.
    fn config(&self) -> &KvConfig;

    /// The RoPE positions to rotate the queries and keys of new tokens with (the same for
    /// every layer and head). The default is the token index; a cache whose policy
    /// renumbers kept entries (StreamingLLM) continues its own numbering instead.
    fn next_positions(&self, tokens: &[u32]) -> Vec<u32> {
        tokens.to_vec()
    }

    /// Appends `tokens.len()` entries to one layer's KV head: token indices (strictly
    /// increasing, and above every token already held), the RoPE positions the keys were
    /// rotated with, and the keys and values (`head_dim` values each, row after row).
    fn append(
        &mut self,
        layer: usize,
        kv_head: usize,
        tokens: &[u32],
        positions: &[u32],
        keys: &[f32],
        values: &[f32],
    ) -> Result<()>;

    /// Causal attention of queries over one layer's KV head. `queries` holds
    /// `n_heads × query_tokens.len()` rows of `head_dim` values: the query heads that
    /// share this KV head, one after the other, each with one row per query token (already
    /// rotated). A query sees the entries whose token index is ≤ its own. `out` receives
    /// the attention outputs in the same layout.
    fn attend(
        &mut self,
        layer: usize,
        kv_head: usize,
        query_tokens: &[u32],
        queries: &[f32],
        out: &mut [f32],
    ) -> Result<()>;

    /// Brings every head down to the cache's budget (evictions and merges). The full
    /// cache does nothing.
    fn compact(&mut self) -> Result<()> {
        Ok(())
    }

    /// Entries held by one layer's KV head.
    fn len(&self, layer: usize, kv_head: usize) -> usize;

    /// Whether one layer's KV head holds nothing.
    fn is_empty(&self, layer: usize, kv_head: usize) -> bool {
        self.len(layer, kv_head) == 0
    }

    /// True bytes held: keys, values, positions, token indices and policy statistics.
    fn bytes(&self) -> usize;

    /// Drops every entry (a new sequence starts).
    fn clear(&mut self);
}

/// A merge of an evicted entry into a kept one: the kept key and value move towards the
/// evicted ones by `weight` (`kept ← kept + weight·(evicted − kept)`), so `weight = 0.5`
/// averages two entries and `weight = 1/(n+1)` keeps a running mean of `n + 1`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Merge {
    /// Index (in the store before compaction) of the entry that is merged away.
    pub from: usize,
    /// Index (in the store before compaction) of the kept entry that absorbs it.
    pub into: usize,
    /// Share of the evicted entry in the result, in `[0, 1]`.
    pub weight: f32,
}

/// What a policy decides for one head: which entries stay and which are merged.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Compaction {
    /// Indices of the kept entries, strictly increasing.
    pub keep: Vec<usize>,
    /// Merges of dropped entries into kept ones, applied in order before dropping.
    pub merges: Vec<Merge>,
    /// New RoPE positions of the kept entries (one per `keep`), or empty to keep theirs.
    /// Keys are rotated by the difference, which needs the cache's [`Rope`].
    pub positions: Vec<u32>,
}

/// A cache-compression method: which entries stay when a head is over its budget.
pub trait KvPolicy {
    /// Whether the store should keep running attention statistics
    /// ([`HeadStore::attention_sum`], [`HeadStore::attention_count`]) for this policy.
    fn tracks_attention(&self) -> bool {
        true
    }

    /// Sees the attention probabilities of one `attend` call after the store's running
    /// statistics were updated: `probs` holds one row of `store.len()` values per query row
    /// (same row order as the queries), zeros where the causal mask hid an entry.
    fn observe(&mut self, layer: usize, kv_head: usize, store: &HeadStore, probs: &[f32]) {
        let _ = (layer, kv_head, store, probs);
    }

    /// RoPE positions of new tokens, given the entries the first head holds; see
    /// [`KvCache::next_positions`]. Default: the token indices.
    fn next_positions(&self, held: usize, tokens: &[u32]) -> Vec<u32> {
        let _ = held;
        tokens.to_vec()
    }

    /// The compaction of one head that holds more than `budget` entries.
    fn plan(
        &mut self,
        layer: usize,
        kv_head: usize,
        store: &HeadStore,
        budget: usize,
    ) -> Compaction;
}

/// The policy that never drops anything.
#[derive(Debug, Clone, Copy, Default)]
pub struct KeepAll;

impl KvPolicy for KeepAll {
    fn tracks_attention(&self) -> bool {
        false
    }

    fn plan(&mut self, _: usize, _: usize, store: &HeadStore, _: usize) -> Compaction {
        Compaction {
            keep: (0..store.len()).collect(),
            ..Compaction::default()
        }
    }
}

/// A cache of dense `f32` entries held to a budget per head by a [`KvPolicy`].
#[derive(Debug, Clone)]
pub struct PolicyCache<P> {
    config: KvConfig,
    heads: Vec<HeadStore>,
    policy: P,
    budget: Option<usize>,
    rope: Option<Rope>,
}

/// The full cache: every entry kept, no statistics. The baseline of every method.
pub type FullCache = PolicyCache<KeepAll>;

impl FullCache {
    /// A full cache of the given shape.
    pub fn full(config: KvConfig) -> Self {
        Self::new(config, KeepAll, None)
    }
}

impl<P: KvPolicy> PolicyCache<P> {
    /// A cache applying `policy`, holding each head to `budget` entries after
    /// [`KvCache::compact`] (`None`: unbounded).
    pub fn new(config: KvConfig, policy: P, budget: Option<usize>) -> Self {
        let heads = (0..config.n_layers * config.n_kv_heads)
            .map(|_| HeadStore::new(config.head_dim))
            .collect();
        Self {
            config,
            heads,
            policy,
            budget,
            rope: None,
        }
    }

    /// Gives the cache the model's RoPE, which policies that renumber positions need.
    pub fn with_rope(mut self, rope: Rope) -> Self {
        self.rope = Some(rope);
        self
    }

    /// The policy.
    pub fn policy(&self) -> &P {
        &self.policy
    }

    /// The budget per head.
    pub fn budget(&self) -> Option<usize> {
        self.budget
    }

    /// The store of one layer's KV head.
    pub fn head(&self, layer: usize, kv_head: usize) -> Result<&HeadStore> {
        let i = self.index(layer, kv_head)?;
        Ok(&self.heads[i])
    }

    fn index(&self, layer: usize, kv_head: usize) -> Result<usize> {
        if layer >= self.config.n_layers || kv_head >= self.config.n_kv_heads {
            return Err(Error::OutOfRange { layer, kv_head });
        }
        Ok(layer * self.config.n_kv_heads + kv_head)
    }
}

impl<P: KvPolicy> KvCache for PolicyCache<P> {
    fn config(&self) -> &KvConfig {
        &self.config
    }

    fn next_positions(&self, tokens: &[u32]) -> Vec<u32> {
        let held = self.heads.first().map_or(0, HeadStore::len);
        self.policy.next_positions(held, tokens)
    }

    fn append(
        &mut self,
        layer: usize,
        kv_head: usize,
        tokens: &[u32],
        positions: &[u32],
        keys: &[f32],
        values: &[f32],
    ) -> Result<()> {
        let i = self.index(layer, kv_head)?;
        let track = self.policy.tracks_attention();
        self.heads[i].append(tokens, positions, keys, values, track)
    }

    fn attend(
        &mut self,
        layer: usize,
        kv_head: usize,
        query_tokens: &[u32],
        queries: &[f32],
        out: &mut [f32],
    ) -> Result<()> {
        let i = self.index(layer, kv_head)?;
        let store = &mut self.heads[i];
        let probs = attention(store, query_tokens, queries, out)?;
        if self.policy.tracks_attention() {
            store.accumulate(query_tokens, &probs);
            self.policy.observe(layer, kv_head, store, &probs);
        }
        Ok(())
    }

    fn compact(&mut self) -> Result<()> {
        let Some(budget) = self.budget else {
            return Ok(());
        };
        for (i, store) in self.heads.iter_mut().enumerate() {
            if store.len() > budget {
                let (layer, kv_head) = (i / self.config.n_kv_heads, i % self.config.n_kv_heads);
                let plan = self.policy.plan(layer, kv_head, store, budget);
                store.apply(&plan, self.rope.as_ref())?;
            }
        }
        Ok(())
    }

    fn len(&self, layer: usize, kv_head: usize) -> usize {
        self.index(layer, kv_head)
            .map_or(0, |i| self.heads[i].len())
    }

    fn bytes(&self) -> usize {
        self.heads.iter().map(HeadStore::bytes).sum()
    }

    fn clear(&mut self) {
        for h in &mut self.heads {
            h.clear();
        }
    }
}

/// Dense causal attention of `queries` (rows of `head_dim`, any number of heads × query
/// tokens, the query tokens repeating per head) over `store`; writes `out` and returns the
/// probabilities (one row of `store.len()` per query row).
///
/// Scores are `q·k/√d`; entries whose token index exceeds the query's are masked. Matrix
/// products go through `faer` (parallel on the global rayon pool for large products).
pub fn attention(
    store: &HeadStore,
    query_tokens: &[u32],
    queries: &[f32],
    out: &mut [f32],
) -> Result<Vec<f32>> {
    let d = store.head_dim();
    let t = query_tokens.len();
    if d == 0 || t == 0 || queries.len() % (d * t) != 0 || out.len() != queries.len() {
        return Err(Error::Shape(
            "queries/out must be heads × tokens × head_dim",
        ));
    }
    let rows = queries.len() / d;
    let n = store.len();
    let mut probs = vec![0.0f32; rows * n];
    if n == 0 {
        out.fill(0.0);
        return Ok(probs);
    }
    let par = if rows * n * d >= 1 << 18 {
        Par::rayon(0)
    } else {
        Par::Seq
    };
    let scale = 1.0 / (d as f32).sqrt();
    faer::linalg::matmul::matmul(
        MatMut::from_row_major_slice_mut(&mut probs, rows, n),
        Accum::Replace,
        MatRef::from_row_major_slice(queries, rows, d),
        MatRef::from_row_major_slice(store.keys(), n, d).transpose(),
        scale,
        par,
    );
    let tokens = store.tokens();
    for (r, row) in probs.chunks_exact_mut(n).enumerate() {
        let visible = tokens.partition_point(|&tok| tok <= query_tokens[r % t]);
        let (seen, hidden) = row.split_at_mut(visible);
        hidden.fill(0.0);
        softmax(seen);
    }
    faer::linalg::matmul::matmul(
        MatMut::from_row_major_slice_mut(out, rows, d),
        Accum::Replace,
        MatRef::from_row_major_slice(&probs, rows, n),
        MatRef::from_row_major_slice(store.values(), n, d),
        1.0,
        par,
    );
    Ok(probs)
}

/// In-place softmax; an empty slice stays empty.
fn softmax(x: &mut [f32]) {
    let max = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for v in x.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    let inv = 1.0 / sum;
    x.iter_mut().for_each(|v| *v *= inv);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lcg(seed: &mut u64) -> f32 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((*seed >> 40) as f32 / (1u64 << 24) as f32) - 0.5
    }

    /// Naive causal attention of one query row over (tokens, keys, values).
    fn naive(
        q: &[f32],
        qt: u32,
        tokens: &[u32],
        keys: &[f32],
        values: &[f32],
        d: usize,
    ) -> Vec<f32> {
        let scores: Vec<f64> = tokens
            .iter()
            .enumerate()
            .filter(|(_, t)| **t <= qt)
            .map(|(j, _)| {
                (0..d).map(|i| (q[i] * keys[j * d + i]) as f64).sum::<f64>() / (d as f64).sqrt()
            })
            .collect();
        let m = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let w: Vec<f64> = scores.iter().map(|s| (s - m).exp()).collect();
        let z: f64 = w.iter().sum();
        (0..d)
            .map(|i| {
                (w.iter()
                    .enumerate()
                    .map(|(j, wj)| wj * values[j * d + i] as f64)
                    .sum::<f64>()
                    / z) as f32
            })
            .collect()
    }

    #[test]
    fn chunked_attention_matches_naive_causal_attention() {
        let d = 8;
        let mut seed = 7;
        let config = KvConfig {
            n_layers: 2,
            n_kv_heads: 2,
            head_dim: d,
        };
        let mut cache = FullCache::full(config);
        let (mut all_t, mut all_k, mut all_v) = (vec![], vec![], vec![]);
        // Chunks of 5, 1 and 3 tokens, two query heads per KV head.
        for chunk in [5u32, 1, 3] {
            let start = all_t.len() as u32;
            let tokens: Vec<u32> = (start..start + chunk).collect();
            let k: Vec<f32> = (0..chunk as usize * d)
                .map(|_| lcg(&mut seed) * 4.0)
                .collect();
            let v: Vec<f32> = (0..chunk as usize * d).map(|_| lcg(&mut seed)).collect();
            cache.append(1, 1, &tokens, &tokens, &k, &v).unwrap();
            all_t.extend(&tokens);
            all_k.extend(&k);
            all_v.extend(&v);
            let q: Vec<f32> = (0..2 * chunk as usize * d)
                .map(|_| lcg(&mut seed) * 4.0)
                .collect();
            let mut out = vec![0.0; q.len()];
            cache.attend(1, 1, &tokens, &q, &mut out).unwrap();
            for (r, (qr, or)) in q.chunks(d).zip(out.chunks(d)).enumerate() {
                let want = naive(qr, tokens[r % tokens.len()], &all_t, &all_k, &all_v, d);
                for (a, b) in or.iter().zip(&want) {
                    assert!((a - b).abs() < 1e-5, "{a} vs {b}");
                }
            }
        }
        assert_eq!(cache.len(1, 1), 9);
        assert_eq!(cache.len(0, 0), 0);
        // 9 entries × (2·8 f32 + token + position).
        assert_eq!(cache.bytes(), 9 * (2 * 8 * 4 + 8));
        assert!(
            cache
                .append(1, 1, &[3], &[3], &[0.0; 8], &[0.0; 8])
                .is_err()
        );
        assert!(
            cache
                .append(2, 0, &[9], &[9], &[0.0; 8], &[0.0; 8])
                .is_err()
        );
        assert!(
            cache
                .append(0, 0, &[9], &[9], &[0.0; 7], &[0.0; 8])
                .is_err()
        );
        cache.clear();
        assert_eq!(cache.bytes(), 0);
    }

    /// Keeps the most recent `budget` entries, merging the evicted ones into the oldest
    /// kept entry as a running mean.
    struct RecentMerge;

    impl KvPolicy for RecentMerge {
        fn plan(&mut self, _: usize, _: usize, store: &HeadStore, budget: usize) -> Compaction {
            let first = store.len() - budget;
            Compaction {
                keep: (first..store.len()).collect(),
                merges: (0..first)
                    .map(|from| Merge {
                        from,
                        into: first,
                        weight: 0.5,
                    })
                    .collect(),
                ..Compaction::default()
            }
        }
    }

    #[test]
    fn policy_compaction_evicts_merges_and_tracks_attention() {
        let config = KvConfig {
            n_layers: 1,
            n_kv_heads: 1,
            head_dim: 1,
        };
        let mut cache = PolicyCache::new(config, RecentMerge, Some(2));
        cache
            .append(
                0,
                0,
                &[0, 1, 2],
                &[0, 1, 2],
                &[0.0, 0.0, 0.0],
                &[4.0, 8.0, 16.0],
            )
            .unwrap();
        let mut out = [0.0; 1];
        cache.attend(0, 0, &[2], &[0.0], &mut out).unwrap();
        assert!((out[0] - 28.0 / 3.0).abs() < 1e-5);
        let h = cache.head(0, 0).unwrap();
        assert_eq!(h.attention_count(), [1, 1, 1]);
        assert!(
            h.attention_sum()
                .iter()
                .all(|s| (s - 1.0 / 3.0).abs() < 1e-6)
        );
        cache.compact().unwrap();
        let h = cache.head(0, 0).unwrap();
        // 8 absorbs 4 (weight 1/2) → 6; then 16 stays.
        assert_eq!(h.values(), [6.0, 16.0]);
        assert_eq!(h.tokens(), [1, 2]);
        assert!((h.attention_sum()[0] - 2.0 / 3.0).abs() < 1e-6);
        assert_eq!(cache.len(0, 0), 2);
        // Statistics count towards the bytes: 2 × (2 f32 + 2 u32 + f32 sum + u32 count).
        assert_eq!(cache.bytes(), 2 * 24);
    }

    #[test]
    fn invalid_plans_are_errors() {
        let mut s = HeadStore::new(1);
        s.append(&[0, 1], &[0, 1], &[1.0, 2.0], &[1.0, 2.0], false)
            .unwrap();
        let bad = [
            Compaction {
                keep: vec![1, 0],
                ..Compaction::default()
            },
            Compaction {
                keep: vec![2],
                ..Compaction::default()
            },
            Compaction {
                keep: vec![0, 1],
                positions: vec![0],
                ..Compaction::default()
            },
            Compaction {
                keep: vec![0],
                merges: vec![Merge {
                    from: 1,
                    into: 1,
                    weight: 0.5,
                }],
                ..Compaction::default()
            },
            Compaction {
                keep: vec![0],
                merges: vec![Merge {
                    from: 5,
                    into: 0,
                    weight: 0.5,
                }],
                ..Compaction::default()
            },
        ];
        for plan in bad {
            assert!(s.apply(&plan, None).is_err(), "{plan:?}");
        }
        // Renumbering without a RoPE of the right size.
        let renumber = Compaction {
            keep: vec![1],
            positions: vec![0],
            ..Compaction::default()
        };
        assert!(s.apply(&renumber, None).is_err());
        assert!(s.apply(&renumber, Some(&Rope::new(1e4, 4))).is_err());
        assert_eq!(s.len(), 2);
    }

    #[test]
    fn statistics_follow_the_causal_mask() {
        let config = KvConfig {
            n_layers: 1,
            n_kv_heads: 1,
            head_dim: 2,
        };
        let mut cache = PolicyCache::new(config, RecentMerge, None);
        let kv = [0.0f32; 6];
        cache
            .append(0, 0, &[0, 1, 2], &[0, 1, 2], &kv, &kv)
            .unwrap();
        // Two query heads over tokens 0, 1, 2: entry j is seen by 2·(3 − j) rows.
        let mut out = [0.0; 12];
        cache
            .attend(0, 0, &[0, 1, 2], &[0.0; 12], &mut out)
            .unwrap();
        let h = cache.head(0, 0).unwrap();
        assert_eq!(h.attention_count(), [6, 4, 2]);
        let want = [
            2.0 * (1.0 + 0.5 + 1.0 / 3.0),
            2.0 * (0.5 + 1.0 / 3.0),
            2.0 / 3.0,
        ];
        for (a, b) in h.attention_sum().iter().zip(want) {
            assert!((a - b).abs() < 1e-5, "{a} vs {b}");
        }
    }

    /// StreamingLLM's shape: one sink and a recent window, positions renumbered to be
    /// contiguous inside the cache, new tokens continuing from the cache length.
    struct SinkWindow;

    impl KvPolicy for SinkWindow {
        fn tracks_attention(&self) -> bool {
            false
        }

        fn next_positions(&self, held: usize, tokens: &[u32]) -> Vec<u32> {
            (held as u32..).take(tokens.len()).collect()
        }

        fn plan(&mut self, _: usize, _: usize, store: &HeadStore, budget: usize) -> Compaction {
            let keep: Vec<usize> = std::iter::once(0)
                .chain(store.len() - (budget - 1)..store.len())
                .collect();
            Compaction {
                positions: (0..keep.len() as u32).collect(),
                keep,
                ..Compaction::default()
            }
        }
    }

    #[test]
    fn renumbering_policies_rotate_kept_keys_and_continue_positions() {
        let d = 4;
        let rope = Rope::new(10_000.0, d);
        let config = KvConfig {
            n_layers: 1,
            n_kv_heads: 1,
            head_dim: d,
        };
        let mut cache = PolicyCache::new(config, SinkWindow, Some(3)).with_rope(rope.clone());
        let raw: Vec<f32> = (0..6 * d).map(|i| (i as f32 * 0.37).sin()).collect();
        let mut next_token = 0u32;
        for chunk in [4usize, 2] {
            let tokens: Vec<u32> = (next_token..next_token + chunk as u32).collect();
            let positions = cache.next_positions(&tokens);
            let mut keys = raw[next_token as usize * d..(next_token as usize + chunk) * d].to_vec();
            for (k, &p) in keys.chunks_exact_mut(d).zip(&positions) {
                rope.rotate(k, p.into());
            }
            cache
                .append(0, 0, &tokens, &positions, &keys, &keys)
                .unwrap();
            cache.compact().unwrap();
            next_token += chunk as u32;
        }
        // After 4 tokens: keep 0, 2, 3 at positions 0, 1, 2; the next two get 3 and 4;
        // after compaction: tokens 0, 4, 5 at positions 0, 1, 2.
        let h = cache.head(0, 0).unwrap();
        assert_eq!(h.tokens(), [0, 4, 5]);
        assert_eq!(h.positions(), [0, 1, 2]);
        for (i, &t) in h.tokens().iter().enumerate() {
            let mut want = raw[t as usize * d..(t as usize + 1) * d].to_vec();
            rope.rotate(&mut want, i as i64);
            for (a, b) in h.keys()[i * d..(i + 1) * d].iter().zip(&want) {
                assert!((a - b).abs() < 1e-5, "token {t}: {a} vs {b}");
            }
        }
        assert_eq!(cache.next_positions(&[6]), [3]);
    }
}
