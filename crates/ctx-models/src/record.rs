//! The record model: contexts from the same column of the previous rows.

use crate::hashed::{HashedContext, INPUTS_PER_CONTEXT, hash_combine, hash64};
use crate::{ContextModel, History, Inputs};

/// Fewest repeats of a period before it is taken as the record length.
const MIN_REPEATS: u32 = 3;

/// Contexts for tables, fixed-size records and raster images.
///
/// The record length is detected online: whenever a byte value recurs at the same distance
/// as its previous recurrence, that distance gains a vote; a distance confirmed
/// three times in a row becomes the record length (a longer run of confirmations
/// is needed to replace a current one). With a record length `r`, the contexts are the
/// byte above (`r` back), above with the byte to the left, above with the byte above it
/// (`2r` back), and above with its right neighbour (`r − 1` back) — the 2-D neighbourhood
/// of a spreadsheet cell or of a fax pixel byte.
#[derive(Debug, Clone)]
pub struct RecordModel {
    last: Vec<u32>,
    last_dist: Vec<u32>,
    candidate: u32,
    candidate_votes: u32,
    rlen: u32,
    rlen_votes: u32,
    ctxs: [HashedContext; 4],
    /// 1 + the byte position whose contexts are set.
    at: usize,
}

impl RecordModel {
    /// A record model with four tables of `2^table_bits` buckets.
    pub fn new(table_bits: u32, limit: u32) -> Self {
        Self {
            last: vec![0; 256],
            last_dist: vec![0; 256],
            candidate: 0,
            candidate_votes: 0,
            rlen: 0,
            rlen_votes: 0,
            ctxs: std::array::from_fn(|_| HashedContext::new(table_bits, limit)),
            at: 0,
        }
    }

    /// The hashes of the current byte's four contexts (see
    /// [`OrderN::context_hashes`](crate::OrderN::context_hashes)).
    pub fn context_hashes(&self) -> impl Iterator<Item = u64> + '_ {
        self.ctxs.iter().map(HashedContext::hash)
    }

    /// The detected record length (0 while none is known).
    pub fn record_len(&self) -> usize {
        self.rlen as usize
    }

    /// Memory used, in bytes.
    pub fn memory(&self) -> usize {
        self.ctxs.iter().map(HashedContext::memory).sum::<usize>() + 2 * 256 * 4
    }

    fn detect(&mut self, h: &History) {
        let pos = h.pos() as u32;
        let c = h.back(1) as usize;
        let dist = pos.wrapping_sub(self.last[c]);
        if self.last[c] > 0 && dist == self.last_dist[c] && (2..=65536).contains(&dist) {
            if dist == self.candidate {
                self.candidate_votes += 1;
            } else {
                self.candidate = dist;
                self.candidate_votes = 1;
            }
            if dist == self.rlen {
                self.rlen_votes = self.rlen_votes.saturating_add(1);
            } else if self.candidate_votes >= MIN_REPEATS.max(self.rlen_votes / 4) {
                self.rlen = dist;
                self.rlen_votes = self.candidate_votes;
            }
        }
        self.last_dist[c] = dist;
        self.last[c] = pos;
    }
}

impl ContextModel for RecordModel {
    fn inputs(&self) -> usize {
        4 * INPUTS_PER_CONTEXT
    }

    #[inline]
    fn prepare(&mut self, h: &History) {
        if h.bit_pos() == 0 {
            self.set_contexts(h);
        } else {
            for c in &self.ctxs {
                c.prefetch_nibble(h);
            }
        }
    }

    fn predict(&mut self, h: &History, x: &mut Inputs) {
        if h.bit_pos() == 0 {
            self.set_contexts(h);
        }
        for c in &mut self.ctxs {
            c.predict(h, x);
        }
    }

    fn update(&mut self, _h: &History, bit: bool) {
        for c in &mut self.ctxs {
            c.update(bit);
        }
    }
}

impl RecordModel {
    /// Detects the record length and sets the contexts, once per byte.
    fn set_contexts(&mut self, h: &History) {
        if self.at != h.pos() + 1 {
            self.at = h.pos() + 1;
            if h.pos() > 0 {
                self.detect(h);
            }
            let r = self.rlen as usize;
            let above = h.back(r) as u64;
            let base = hash64(0x7ec0_0000 + r as u64);
            let col = (h.pos() % r.max(1)) as u64;
            let ctx = [
                hash_combine(hash_combine(base, above), col.min(255) << 8),
                hash_combine(hash_combine(base ^ 1, above), h.back(1) as u64),
                hash_combine(hash_combine(base ^ 2, above), h.back(2 * r) as u64),
                hash_combine(
                    hash_combine(base ^ 3, above),
                    h.back(r.saturating_sub(1)) as u64,
                ),
            ];
            for (c, v) in self.ctxs.iter_mut().zip(ctx) {
                c.set_context(v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_the_row_length_of_a_table() {
        let mut m = RecordModel::new(10, 255);
        let mut h = History::new(16);
        let mut x = Inputs::with_capacity(12);
        let row = b"12,alpha,0.5,x\n"; // 15 bytes
        for _ in 0..40 {
            for &b in row {
                for k in (0..8).rev() {
                    x.clear();
                    m.predict(&h, &mut x);
                    let bit = (b >> k) & 1 == 1;
                    m.update(&h, bit);
                    h.update(bit);
                }
            }
        }
        assert_eq!(m.record_len(), 15);
    }
}
