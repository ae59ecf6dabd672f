//! A bank of hashed contexts predicted and updated together.
//!
//! [`HashedContext`] is one context with its own table and state map; a composed model
//! with two dozen of them spends most of its time in their per-bit work, one context at a
//! time. A [`ContextBank`] holds the same state for many contexts side by side — one table
//! each, the slots read this bit in one array, all state maps in one array — so that the
//! per-bit work runs as two loops over contiguous data: the lookups, then the arithmetic.
//! Context `i` of a bank predicts exactly what a [`HashedContext`] given the same hashes
//! predicts, and adds the same three inputs in the same order.

use crate::counter::{COUNTER_INIT, slot};
use crate::hashed::{ContextTable, nibble_hash, nibble_slot};
use crate::{History, Inputs};

/// State-map rows per context: 256 bit-history states × 8 bit positions.
pub(crate) const STATES: usize = 256 * 8;

/// Many hashed contexts with the behaviour of [`HashedContext`](crate::HashedContext),
/// stored side by side.
#[derive(Debug, Clone)]
pub struct ContextBank {
    tables: Vec<ContextTable>,
    hash: Vec<u64>,
    bucket: Vec<usize>,
    /// The slot each context read for the current bit.
    last: Vec<u32>,
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
    /// The inputs of the current bit, three per context.
    inputs: Vec<i32>,
    /// The state maps of all contexts, [`STATES`] counters each.
    states: Vec<u32>,
    limit: u32,
    /// The node index (1‥15) of the current bit in its nibble.
    slot: usize,
    /// Whether the hashes are set but their buckets not yet looked up.
    pending: bool,
}

impl ContextBank {
    /// A bank of one context per entry of `table_bits` (each over `2^bits` buckets), with
    /// count limit `limit` (at most 63) for the direct probabilities of their slots.
    pub fn new(table_bits: &[u32], limit: u32) -> Self {
        let n = table_bits.len();
        Self {
            tables: table_bits.iter().map(|&b| ContextTable::new(b)).collect(),
            hash: vec![0; n],
            bucket: vec![0; n],
            last: vec![slot::INIT; n],
            next: vec![slot::INIT; n],
            avx2: crate::arch::has_avx2(),
            sx: vec![0; n],
            inputs: vec![0; 3 * n],
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
        self.tables.len()
    }

    /// Whether the bank has no contexts.
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty()
    }

    /// Memory used, in bytes.
    pub fn memory(&self) -> usize {
        self.tables.iter().map(ContextTable::memory).sum::<usize>() + self.states.len() * 4
    }

    /// Sets the hash of context `i` for the next byte (at a byte boundary, before
    /// predicting) and prefetches its bucket. Every context must be set before each byte.
    #[inline]
    pub fn set_context(&mut self, i: usize, hash: u64) {
        self.hash[i] = hash;
        self.tables[i].prefetch(hash);
        self.pending = true;
    }

    /// At bit position 3, prefetches the buckets that the low nibble may use.
    #[inline]
    pub fn prefetch_nibble(&self, h: &History) {
        if h.bit_pos() == 3 {
            let c0 = (h.c0() << 1) as u64;
            for (t, &hash) in self.tables.iter().zip(&self.hash) {
                t.prefetch(nibble_hash(hash, c0));
                t.prefetch(nibble_hash(hash, c0 | 1));
            }
        }
    }

    /// Whether context `i`'s slot for the current bit has learnt anything (valid after
    /// [`predict`](Self::predict)).
    #[inline(always)]
    pub fn known(&self, i: usize) -> bool {
        slot::count(self.last[i]) != 0
    }

    /// Looks up every context's slot for the next bit and adds three inputs per context,
    /// as [`HashedContext::predict`](crate::HashedContext::predict) does.
    #[inline]
    pub fn predict(&mut self, h: &History, x: &mut Inputs) {
        let bp = h.bit_pos();
        if self.pending {
            self.pending = false;
            for ((t, b), &hash) in self.tables.iter_mut().zip(&mut self.bucket).zip(&self.hash) {
                *b = t.find(hash);
            }
        }
        if bp == 4 {
            let c0 = h.c0() as u64;
            for ((t, b), &hash) in self.tables.iter_mut().zip(&mut self.bucket).zip(&self.hash) {
                *b = t.find(nibble_hash(hash, c0));
            }
        }
        let slot = nibble_slot(h.c0(), bp);
        self.slot = slot;
        for ((t, &b), last) in self.tables.iter().zip(&self.bucket).zip(&mut self.last) {
            *last = t.counter(b, slot);
        }
        crate::arch::bank_inputs(
            &self.last,
            &self.states,
            256 * bp,
            &mut self.sx,
            &mut self.sv,
            &mut self.inputs,
            self.avx2,
        );
        x.add_slice(&self.inputs);
    }

    /// Learns the coded bit in every context.
    #[inline]
    pub fn update(&mut self, bit: bool) {
        let slot = self.slot;
        crate::arch::slot_updates(&self.last, &mut self.next, bit, self.limit, self.avx2);
        crate::arch::state_updates(&self.last, &self.sv, &mut self.sv_next, bit, self.avx2);
        for ((&sx, &v), (t, (&b, &s))) in self.sx.iter().zip(&self.sv_next).zip(
            self.tables
                .iter_mut()
                .zip(self.bucket.iter().zip(&self.next)),
        ) {
            self.states[sx as usize] = v;
            t.set_counter(b, slot, s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::HashedContext;

    #[test]
    fn predicts_and_learns_exactly_as_hashed_contexts() {
        let text = b"the cat sat on the mat; the cat ate the rat. ".repeat(40);
        // 19 contexts: two whole 8-lane chunks (the AVX2 loops where the CPU has AVX2)
        // and a remainder (the scalar loops).
        let bits: Vec<u32> = (0..19).map(|i| 10 + i % 3).collect();
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
                assert_eq!(xb.as_slice(), xs.as_slice(), "byte {pos} bit {k}");
                for (i, c) in single.iter().enumerate() {
                    assert_eq!(bank.known(i), c.known());
                }
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
