//! A bank of hashed contexts predicted and updated together.
//!
//! [`HashedContext`] is one context with its own table and state map; a composed model
//! with two dozen of them spends most of its time in their per-bit work, one context at a
//! time. A [`ContextBank`] holds the same state for many contexts side by side — one table
//! each, the slots read this bit in one array, all state maps in one array — so that the
//! per-bit work runs as two loops over contiguous data: the lookups, then the arithmetic.
//! Context `i` of a bank predicts exactly what a [`HashedContext`] given the same hashes
//! predicts and adds the same three inputs, laid out planar: for `n` contexts, input `i`
//! is context `i`'s first, input `n + i` its second, input `2n + i` its third (so that
//! 8 contexts' inputs are three vector stores).

use crate::counter::{COUNTER_INIT, slot};
use crate::hashed::{find_bucket, nibble_hash, nibble_slot, prefetch_bucket};
use crate::{History, Inputs};

/// State-map rows per context: 256 bit-history states × 8 bit positions.
pub(crate) const STATES: usize = 256 * 8;

/// Many hashed contexts with the behaviour of [`HashedContext`](crate::HashedContext),
/// stored side by side.
///
/// All tables live in one allocation (each laid out as a
/// [`ContextTable`](crate::ContextTable), on a 64-byte boundary), so that a context's slot
/// is one index into it: the slots of a bit are read in one loop (one gather per 8 contexts
/// with AVX2) and written back in another.
#[derive(Debug, Clone)]
pub struct ContextBank {
    /// The tables of all contexts, one after another.
    arena: Vec<u32>,
    /// Per context: the index in `arena` of slot 0 of bucket 0, and the buckets − 1.
    start: Vec<usize>,
    mask: Vec<usize>,
    hash: Vec<u64>,
    /// Per context: the index in `arena` of slot 0 of the current bucket.
    at: Vec<u32>,
    /// The slot each context read for the current bit.
    last: Vec<u32>,
    /// Bit `i`: whether context `i`'s slot in `last` has a count (the first 32 contexts).
    known: u32,
    /// The slots after learning the bit.
    next: Vec<u32>,
    /// Whether the AVX2 loops run (same results, see `arch`).
    avx2: bool,
    /// Index in `states` of the state-map counter each context read for the current bit.
    sx: Vec<u32>,
    /// The state-map counter each context read for the current bit, and the same after
    /// learning the bit.
    sv: Vec<u32>,
    sv_next: Vec<u32>,
    /// The state maps of all contexts, [`STATES`] counters each.
    states: Vec<u32>,
    limit: u32,
    /// The node index (1‥15) of the current bit in its nibble.
    slot: usize,
    /// Whether the hashes are set but their buckets not yet looked up.
    pending: bool,
}

impl ContextBank {
    /// A bank of one context per entry of `table_bits` (each over `2^bits` buckets, `bits`
    /// clamped to `2..=26` as for [`ContextTable`](crate::ContextTable)), with count limit
    /// `limit` (at most 63) for the direct probabilities of their slots.
    ///
    /// # Panics
    /// If the tables together hold `2^32` slots or more (256 GiB).
    pub fn new(table_bits: &[u32], limit: u32) -> Self {
        let n = table_bits.len();
        let buckets: Vec<usize> = table_bits.iter().map(|&b| 1 << b.clamp(2, 26)).collect();
        // One bucket more than needed, to start on a 64-byte boundary.
        let len = (buckets.iter().sum::<usize>() + 1) * 16;
        assert!(len <= u32::MAX as usize, "context bank of {len} slots");
        let arena = vec![0u32; len];
        // Zeroed memory is mapped lazily: the advice comes before the first write.
        crate::arch::advise_huge_pages(&arena);
        let mut next_start = (64 - arena.as_ptr() as usize % 64) % 64 / 4;
        let start = buckets
            .iter()
            .map(|&b| {
                let s = next_start;
                next_start += b * 16;
                s
            })
            .collect::<Vec<_>>();
        Self {
            at: start.iter().map(|&s| s as u32).collect(),
            start,
            mask: buckets.iter().map(|&b| b - 1).collect(),
            arena,
            hash: vec![0; n],
            last: vec![slot::INIT; n],
            next: vec![slot::INIT; n],
            known: 0,
            avx2: crate::arch::has_avx2(),
            sx: vec![0; n],
            sv: vec![0; n],
            sv_next: vec![0; n],
            states: vec![COUNTER_INIT; n * STATES],
            limit,
            slot: 1,
            pending: false,
        }
    }

    /// Number of contexts.
    pub fn len(&self) -> usize {
        self.start.len()
    }

    /// Whether the bank has no contexts.
    pub fn is_empty(&self) -> bool {
        self.start.is_empty()
    }

    /// Memory used, in bytes.
    pub fn memory(&self) -> usize {
        (self.arena.len() + self.states.len()) * 4
    }

    /// Sets the hash of context `i` for the next byte (at a byte boundary, before
    /// predicting) and prefetches its bucket. Every context must be set before each byte.
    #[inline]
    pub fn set_context(&mut self, i: usize, hash: u64) {
        self.hash[i] = hash;
        prefetch_bucket(&self.arena, self.start[i], self.mask[i], hash);
        self.pending = true;
    }

    /// At bit position 3, prefetches the buckets that the low nibble may use.
    #[inline]
    pub fn prefetch_nibble(&self, h: &History) {
        if h.bit_pos() == 3 {
            let c0 = (h.c0() << 1) as u64;
            for ((&s, &m), &hash) in self.start.iter().zip(&self.mask).zip(&self.hash) {
                prefetch_bucket(&self.arena, s, m, nibble_hash(hash, c0));
                prefetch_bucket(&self.arena, s, m, nibble_hash(hash, c0 | 1));
            }
        }
    }

    /// Prefetches the buckets of the low nibble whose high nibble is already known, `c0`
    /// = `1hhhh`: what an encoder, which knows the byte, can ask for at the byte's first
    /// bit, where a decoder asks for the two ways the nibble can go at its fourth. A hint,
    /// as the others: nothing changes.
    #[inline]
    pub fn prefetch_known_nibble(&self, c0: u32) {
        for ((&s, &m), &hash) in self.start.iter().zip(&self.mask).zip(&self.hash) {
            prefetch_bucket(&self.arena, s, m, nibble_hash(hash, c0 as u64));
        }
    }

    /// Whether context `i`'s slot for the current bit has learnt anything (valid after
    /// [`predict`](Self::predict)).
    #[inline(always)]
    pub fn known(&self, i: usize) -> bool {
        slot::count(self.last[i]) != 0
    }

    /// How many of the contexts in `mask` (bit `i` for context `i`, the first 32) have
    /// learnt something in the current bit's slot: [`known`](Self::known) for many at
    /// once (valid after [`predict`](Self::predict)).
    #[inline(always)]
    pub fn known_count(&self, mask: u32) -> u32 {
        (self.known & mask).count_ones()
    }

    /// Looks up each context's bucket for `hash(i)`.
    #[inline]
    fn find_all(&mut self, hash: impl Fn(u64) -> u64) {
        for (((at, &s), &m), &h) in self
            .at
            .iter_mut()
            .zip(&self.start)
            .zip(&self.mask)
            .zip(&self.hash)
        {
            let b = find_bucket(&mut self.arena, s, m, hash(h));
            *at = (s + b * 16) as u32;
        }
    }

    /// Looks up every context's slot for the next bit and adds three inputs per context,
    /// as [`HashedContext::predict`](crate::HashedContext::predict) does, planar (see the
    /// module documentation).
    #[inline]
    pub fn predict(&mut self, h: &History, x: &mut Inputs) {
        let bp = h.bit_pos();
        if self.pending {
            self.pending = false;
            self.find_all(|h| h);
        }
        if bp == 4 {
            let c0 = h.c0() as u64;
            self.find_all(|h| nibble_hash(h, c0));
        }
        let slot = nibble_slot(h.c0(), bp);
        self.slot = slot;
        self.known = crate::arch::bank_slots(
            &self.arena,
            &self.at,
            slot as u32,
            &mut self.last,
            self.avx2,
        );
        crate::arch::bank_inputs(
            &self.last,
            &self.states,
            256 * bp,
            &mut self.sx,
            &mut self.sv,
            x.add_overwritten(3 * self.last.len()),
            self.avx2,
        );
    }

    /// Learns the coded bit in every context.
    #[inline]
    pub fn update(&mut self, bit: bool) {
        let slot = self.slot;
        crate::arch::slot_updates(&self.last, &mut self.next, bit, self.limit, self.avx2);
        crate::arch::state_updates(&self.last, &self.sv, &mut self.sv_next, bit, self.avx2);
        for ((&sx, &v), (&at, &s)) in self
            .sx
            .iter()
            .zip(&self.sv_next)
            .zip(self.at.iter().zip(&self.next))
        {
            self.states[sx as usize] = v;
            self.arena[at as usize + slot] = s ^ slot::INIT;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::HashedContext;

    #[test]
    fn predicts_and_learns_exactly_as_hashed_contexts() {
        // 19 contexts: two whole 8-lane chunks (the AVX2 loops where the CPU has AVX2)
        // and a remainder (the scalar loops); 37: past the 32 of the known mask.
        for n in [19, 37] {
            bank_matches_hashed_contexts(n);
        }
    }

    fn bank_matches_hashed_contexts(n: usize) {
        let text = b"the cat sat on the mat; the cat ate the rat. ".repeat(40);
        let bits: Vec<u32> = (0..n as u32).map(|i| 10 + i % 3).collect();
        let mut bank = ContextBank::new(&bits, 40);
        let mut single: Vec<HashedContext> =
            bits.iter().map(|&b| HashedContext::new(b, 40)).collect();
        let mut h = History::new(16);
        let (mut xb, mut xs) = (Inputs::with_capacity(57), Inputs::with_capacity(57));
        for (pos, &byte) in text.iter().enumerate() {
            for (i, c) in single.iter_mut().enumerate() {
                let hash = crate::hash64((pos % (3 + i)) as u64 + 1000 * h.back(i % 4) as u64);
                c.set_context(hash);
                bank.set_context(i, hash);
            }
            for k in (0..8).rev() {
                xb.clear();
                xs.clear();
                bank.predict(&h, &mut xb);
                for c in &mut single {
                    c.predict(&h, &mut xs);
                }
                // The bank's inputs are planar: all first inputs, all second, all third.
                let n = bits.len();
                let planar: Vec<i32> = (0..3 * n)
                    .map(|j| xs.as_slice()[3 * (j % n) + j / n])
                    .collect();
                assert_eq!(xb.as_slice(), planar, "byte {pos} bit {k}");
                for (i, c) in single.iter().enumerate() {
                    assert_eq!(bank.known(i), c.known());
                }
                let known_low = single.iter().take(32).filter(|c| c.known()).count();
                assert_eq!(bank.known_count(u32::MAX) as usize, known_low);
                let bit = (byte >> k) & 1 == 1;
                bank.update(bit);
                for c in &mut single {
                    c.update(bit);
                }
                h.update(bit);
            }
        }
    }
}
