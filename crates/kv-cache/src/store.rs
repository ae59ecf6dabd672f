//! Dense storage of one layer's KV head.

use crate::{Compaction, Error, Result, Rope};

/// The entries of one layer's KV head: rotated keys, values, token indices, RoPE
/// positions, and (when the policy asks for them) running attention statistics.
///
/// Entries are kept in increasing token order, which lets causal masking be a prefix.
#[derive(Debug, Clone, Default)]
pub struct HeadStore {
    head_dim: usize,
    keys: Vec<f32>,
    values: Vec<f32>,
    tokens: Vec<u32>,
    positions: Vec<u32>,
    attention_sum: Vec<f32>,
    attention_count: Vec<u32>,
}

impl HeadStore {
    /// An empty store of `head_dim`-dimensional keys and values.
    pub fn new(head_dim: usize) -> Self {
        Self {
            head_dim,
            ..Self::default()
        }
    }

    /// Dimension of a key or value.
    pub fn head_dim(&self) -> usize {
        self.head_dim
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Whether the store holds nothing.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// Keys, `len × head_dim`, row-major, rotated with [`Self::positions`].
    pub fn keys(&self) -> &[f32] {
        &self.keys
    }

    /// Values, `len × head_dim`, row-major.
    pub fn values(&self) -> &[f32] {
        &self.values
    }

    /// Token index of each entry (strictly increasing).
    pub fn tokens(&self) -> &[u32] {
        &self.tokens
    }

    /// RoPE position each key is rotated with.
    pub fn positions(&self) -> &[u32] {
        &self.positions
    }

    /// Sum of the attention probabilities each entry received, over every query row that
    /// saw it (empty when the policy does not track attention).
    pub fn attention_sum(&self) -> &[f32] {
        &self.attention_sum
    }

    /// Number of query rows that could see each entry (empty when not tracked).
    pub fn attention_count(&self) -> &[u32] {
        &self.attention_count
    }

    /// Bytes held by the entries and their metadata.
    pub fn bytes(&self) -> usize {
        4 * (self.keys.len()
            + self.values.len()
            + self.tokens.len()
            + self.positions.len()
            + self.attention_sum.len()
            + self.attention_count.len())
    }

    /// Drops every entry.
    pub fn clear(&mut self) {
        self.keys.clear();
        self.values.clear();
        self.tokens.clear();
        self.positions.clear();
        self.attention_sum.clear();
        self.attention_count.clear();
    }

    /// Appends entries; see [`crate::KvCache::append`].
    pub fn append(
        &mut self,
        tokens: &[u32],
        positions: &[u32],
        keys: &[f32],
        values: &[f32],
        track_attention: bool,
    ) -> Result<()> {
        let n = tokens.len();
        if positions.len() != n || keys.len() != n * self.head_dim || values.len() != keys.len() {
            return Err(Error::Shape("tokens, positions, keys and values disagree"));
        }
        let mut last = self.tokens.last().copied();
        for &t in tokens {
            if last.is_some_and(|l| t <= l) {
                return Err(Error::TokenOrder);
            }
            last = Some(t);
        }
        self.tokens.extend_from_slice(tokens);
        self.positions.extend_from_slice(positions);
        self.keys.extend_from_slice(keys);
        self.values.extend_from_slice(values);
        if track_attention {
            self.attention_sum.resize(self.tokens.len(), 0.0);
            self.attention_count.resize(self.tokens.len(), 0);
        }
        Ok(())
    }

    /// Adds one `attend` call's probabilities (rows of `len` values, the query tokens
    /// repeating per head) to the statistics.
    pub(crate) fn accumulate(&mut self, query_tokens: &[u32], probs: &[f32]) {
        let n = self.len();
        if n == 0 || query_tokens.is_empty() {
            return;
        }
        self.attention_sum.resize(n, 0.0);
        self.attention_count.resize(n, 0);
        for (r, row) in probs.chunks_exact(n).enumerate() {
            let qt = query_tokens[r % query_tokens.len()];
            let visible = self.tokens.partition_point(|&t| t <= qt);
            let sums = self.attention_sum[..visible].iter_mut();
            for ((sum, count), p) in sums.zip(&mut self.attention_count[..visible]).zip(row) {
                *sum += p;
                *count += 1;
            }
        }
    }

    /// Gives entry `index` the RoPE position `position`, rotating its key by the
    /// difference.
    pub fn renumber(&mut self, rope: &Rope, index: usize, position: u32) -> Result<()> {
        let d = self.head_dim;
        let from = *self
            .positions
            .get(index)
            .ok_or(Error::Shape("entry index out of range"))?;
        if rope.head_dim() != d {
            return Err(Error::Shape("rope and store head dims differ"));
        }
        rope.rotate(
            &mut self.keys[index * d..(index + 1) * d],
            i64::from(position) - i64::from(from),
        );
        self.positions[index] = position;
        Ok(())
    }

    /// Applies a compaction: merges first (in order), then keeps only `plan.keep`, then
    /// renumbers the kept entries if `plan.positions` says so (which needs `rope`).
    pub fn apply(&mut self, plan: &Compaction, rope: Option<&Rope>) -> Result<()> {
        let n = self.len();
        if !plan.positions.is_empty() {
            if plan.positions.len() != plan.keep.len() {
                return Err(Error::InvalidPlan("one new position per kept entry"));
            }
            if rope.is_none_or(|r| r.head_dim() != self.head_dim) {
                return Err(Error::InvalidPlan("renumbering needs the model's Rope"));
            }
        }
        if plan.keep.windows(2).any(|w| w[0] >= w[1]) || plan.keep.last().is_some_and(|&k| k >= n) {
            return Err(Error::InvalidPlan(
                "keep must be increasing indices below len",
            ));
        }
        for m in &plan.merges {
            if m.from >= n
                || m.into >= n
                || m.from == m.into
                || plan.keep.binary_search(&m.into).is_err()
            {
                return Err(Error::InvalidPlan(
                    "a merge must go from an entry into a kept entry",
                ));
            }
            if !(0.0..=1.0).contains(&m.weight) {
                return Err(Error::InvalidPlan("merge weight outside [0, 1]"));
            }
        }
        let d = self.head_dim;
        for m in &plan.merges {
            for data in [&mut self.keys, &mut self.values] {
                for i in 0..d {
                    let src = data[m.from * d + i];
                    let dst = &mut data[m.into * d + i];
                    *dst += m.weight * (src - *dst);
                }
            }
            if !self.attention_sum.is_empty() {
                self.attention_sum[m.into] += self.attention_sum[m.from];
                self.attention_count[m.into] += self.attention_count[m.from];
            }
        }
        let keep_rows = |v: &mut Vec<f32>| {
            let mut w = 0;
            for &k in &plan.keep {
                v.copy_within(k * d..(k + 1) * d, w * d);
                w += 1;
            }
            v.truncate(w * d);
        };
        keep_rows(&mut self.keys);
        keep_rows(&mut self.values);
        fn keep_items<T: Copy>(v: &mut Vec<T>, keep: &[usize]) {
            if v.is_empty() {
                return;
            }
            for (w, &k) in keep.iter().enumerate() {
                v[w] = v[k];
            }
            v.truncate(keep.len());
        }
        keep_items(&mut self.tokens, &plan.keep);
        keep_items(&mut self.positions, &plan.keep);
        keep_items(&mut self.attention_sum, &plan.keep);
        keep_items(&mut self.attention_count, &plan.keep);
        if let Some(rope) = rope {
            for (i, &p) in plan.positions.iter().enumerate() {
                self.renumber(rope, i, p)?;
            }
        }
        Ok(())
    }
}
