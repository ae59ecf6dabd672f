//! Hashed context tables and the order-N model.
//!
//! A context (a hash of some bytes) predicts the 8 bits of the next byte. Its counters live
//! in a *bucket* of 16 `u32`s — one 64-byte cache line — that serves one nibble: slot 0
//! holds a 16-bit checksum and a 16-bit priority, slots 1‥15 the counters of the nibble's
//! 15 tree nodes. Each byte touches two buckets (high nibble, then low nibble under the
//! high one), found by probing three neighbours for the checksum; on a miss the
//! lowest-priority neighbour is reset and taken, and the others age.

use crate::counter::{AdaptiveMap, slot};
use crate::{ContextModel, History, Inputs, stretch};

/// Mixes a 64-bit value (the finaliser of SplitMix64); used to hash contexts.
#[inline(always)]
pub const fn hash64(mut x: u64) -> u64 {
    x ^= x >> 30;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Combines a running hash with one more value.
#[inline(always)]
pub fn hash_combine(h: u64, v: u64) -> u64 {
    hash64(h.rotate_left(23) ^ v.wrapping_mul(0x9e37_79b9_7f4a_7c15))
}

/// The hash of the low-nibble bucket of context `hash` after the high nibble (`c0` =
/// `1hhhh`): two multiplications, cheaper than [`hash_combine`] and enough here, because
/// `hash` is already mixed; an odd multiplier keeps the 16 nibbles apart in the low
/// (index) bits, and the last product mixes the high (checksum) bits.
#[inline(always)]
pub(crate) fn nibble_hash(hash: u64, c0: u64) -> u64 {
    (hash ^ c0.wrapping_mul(0x9e37_79b9_7f4a_7c15)).wrapping_mul(0xd6e8_feb8_6659_fd93)
}

/// [`ContextTable::prefetch`] on a table of `mask + 1` buckets whose slot 0 of bucket 0 is
/// `v[base]` (so that several tables can share one allocation).
#[inline(always)]
pub(crate) fn prefetch_bucket(v: &[u32], base: usize, mask: usize, hash: u64) {
    let b = hash as usize & mask;
    for i in [b, b ^ 1] {
        crate::arch::prefetch(&v[base + i * 16]);
    }
}

/// [`ContextTable::find`] on a table laid out as for [`prefetch_bucket`].
#[inline(always)]
pub(crate) fn find_bucket(v: &mut [u32], base: usize, mask: usize, hash: u64) -> usize {
    let check = (hash >> 48) as u32 | 1; // never 0, which marks an empty bucket
    let b = hash as usize & mask;
    let (j0, j1) = (base + b * 16, base + (b ^ 1) * 16);
    let (b0, b1) = (v[j0], v[j1]);
    let (hit0, hit1) = (b0 & 0xffff == check, b1 & 0xffff == check);
    if hit0 || hit1 {
        let (i, j, c) = if hit0 { (b, j0, b0) } else { (b ^ 1, j1, b1) };
        v[j] = c + (u32::from(c < 0xffff_0000) << 16);
        return i;
    }
    let (victim, jv, jo, bo) = if b1 >> 16 < b0 >> 16 {
        (b ^ 1, j1, j0, b0)
    } else {
        (b, j0, j1, b1)
    };
    v[jo] = ((bo >> 17) << 16) | (bo & 0xffff);
    v[jv..jv + 16].fill(0);
    v[jv] = check | (1 << 16);
    victim
}

/// A table of nibble buckets addressed by context hashes.
///
/// A bucket is 16 `u32`s, one 64-byte cache line (the table starts on a line boundary, so
/// a bucket never straddles two): slot 0 holds a 16-bit checksum (0 marks an empty
/// bucket) and a 16-bit priority, slots 1‥15 the [`slot`](crate::slot)s of the nibble's
/// tree nodes. Slots are stored XOR [`slot::INIT`], so that zeroed memory is a table of
/// empty buckets with fresh slots: the table is allocated zeroed, which the allocator
/// maps lazily, instead of being filled.
#[derive(Debug, Clone)]
pub struct ContextTable {
    v: Vec<u32>,
    /// Index in `v` of slot 0 of bucket 0 (on a 64-byte boundary).
    base: usize,
    mask: usize,
}

impl ContextTable {
    /// A table of `2^bits` buckets (64 bytes each); `bits` is clamped to `2..=26`.
    pub fn new(bits: u32) -> Self {
        let n = 1usize << bits.clamp(2, 26);
        // One bucket more than needed, to start on a 64-byte boundary.
        let v = vec![0u32; (n + 1) * 16];
        // Zeroed memory is mapped lazily: the advice comes before the first write.
        crate::arch::advise_huge_pages(&v);
        let base = (64 - v.as_ptr() as usize % 64) % 64 / 4;
        Self {
            v,
            base,
            mask: n - 1,
        }
    }

    /// Memory used, in bytes.
    pub fn memory(&self) -> usize {
        self.v.len() * 4
    }

    /// The index in `v` of slot 0 of bucket `b`.
    #[inline(always)]
    fn at(&self, b: usize) -> usize {
        self.base + b * 16
    }

    /// Hints the memory system that [`find`](Self::find) will look up `hash` soon (see
    /// the `arch` module); changes nothing.
    #[inline(always)]
    pub fn prefetch(&self, hash: u64) {
        prefetch_bucket(&self.v, self.base, self.mask, hash);
    }

    /// The bucket for `hash`: found by checksum between two neighbours (the first one
    /// first), or claimed: the neighbour with the lower priority is reset and taken, and
    /// the other ages. Both neighbours are read before deciding, and a hit picks its bucket
    /// by selection rather than a branch per neighbour.
    #[inline]
    pub fn find(&mut self, hash: u64) -> usize {
        find_bucket(&mut self.v, self.base, self.mask, hash)
    }

    /// The slot (see [`slot`](crate::slot)) at index `slot` (1‥15) of bucket `b`.
    #[inline(always)]
    pub fn counter(&self, b: usize, slot: usize) -> u32 {
        self.v[self.at(b) + (slot & 15)] ^ slot::INIT
    }

    /// Stores `value` in the slot at index `slot` (1‥15) of bucket `b`.
    #[inline(always)]
    pub fn set_counter(&mut self, b: usize, slot: usize, value: u32) {
        let j = self.at(b) + (slot & 15);
        self.v[j] = value ^ slot::INIT;
    }
}

/// The node index (1‥15) inside the current nibble for partial byte `c0` at `bit_pos`.
#[inline(always)]
pub(crate) fn nibble_slot(c0: u32, bit_pos: u32) -> usize {
    if bit_pos < 4 {
        c0 as usize
    } else {
        (c0 as usize & ((1 << (bit_pos - 4)) - 1)) | (1 << (bit_pos - 4))
    }
}

/// One hashed context: a byte-level hash set at byte boundaries, counters per bit.
///
/// The building block of [`OrderN`], [`WordModel`](crate::WordModel) and
/// [`SparseModel`](crate::SparseModel): they differ only in the bytes they hash.
#[derive(Debug, Clone)]
pub struct HashedContext {
    table: ContextTable,
    states: AdaptiveMap,
    limit: u32,
    last: u32,
    hash: u64,
    bucket: usize,
    slot: usize,
    /// Whether `hash` is set but its bucket not yet looked up.
    pending: bool,
}

/// Bit position at which [`HashedContext::prefetch_nibble`] asks for the two buckets the
/// low nibble can still need.
const PREFETCH_BIT: u32 = 3;

impl HashedContext {
    /// A context over `2^table_bits` buckets with count limit `limit` (at most 63) for the
    /// direct probabilities of its slots.
    pub fn new(table_bits: u32, limit: u32) -> Self {
        Self {
            table: ContextTable::new(table_bits),
            states: AdaptiveMap::new(crate::bank::STATES, crate::MAX_LIMIT),
            limit,
            last: slot::INIT,
            hash: 0,
            bucket: 0,
            slot: 1,
            pending: false,
        }
    }

    /// Memory used, in bytes.
    pub fn memory(&self) -> usize {
        self.table.memory()
    }

    /// The hash of the current byte's context (as last set).
    #[inline(always)]
    pub fn hash(&self) -> u64 {
        self.hash
    }

    /// Sets the context for the next byte (call at a byte boundary, before predicting).
    /// The bucket is prefetched now and looked up at the first [`counter`](Self::counter),
    /// so that a driver which sets the contexts of all models before predicting with any
    /// overlaps their cache misses.
    #[inline]
    pub fn set_context(&mut self, hash: u64) {
        self.hash = hash;
        self.pending = true;
        // The smallest tables (four buckets: what a model whose contexts a `ContextBank`
        // holds keeps, only for the hash) stay in the cache.
        if self.table.mask > 3 {
            self.table.prefetch(hash);
        }
    }

    /// At bit position 3, prefetches the two buckets that the low nibble may use (a hint
    /// only; anything else does nothing).
    #[inline]
    pub fn prefetch_nibble(&self, h: &History) {
        if h.bit_pos() == PREFETCH_BIT {
            let c0 = (h.c0() << 1) as u64;
            self.table.prefetch(nibble_hash(self.hash, c0));
            self.table.prefetch(nibble_hash(self.hash, c0 | 1));
        }
    }

    /// The slot for the next bit; moves to the low-nibble bucket when `bit_pos` is 4.
    #[inline]
    pub fn counter(&mut self, h: &History) -> u32 {
        if self.pending {
            self.pending = false;
            self.bucket = self.table.find(self.hash);
        }
        if h.bit_pos() == 4 {
            self.bucket = self.table.find(nibble_hash(self.hash, h.c0() as u64));
        }
        self.slot = nibble_slot(h.c0(), h.bit_pos());
        self.last = self.table.counter(self.bucket, self.slot);
        self.last
    }

    /// Whether the slot of the current bit has learnt anything (this context has been
    /// seen at this node before).
    #[inline(always)]
    pub fn known(&self) -> bool {
        slot::count(self.last) != 0
    }

    /// Looks up the slot of the next bit and adds three mixer inputs: the stretched direct
    /// probability, the same scaled by confidence (the slot's count, so that the mixer can
    /// trust well-seen contexts more), and the stretched probability that the slot's
    /// bit-history state predicts.
    #[inline]
    pub fn predict(&mut self, h: &History, x: &mut Inputs) {
        let c = self.counter(h);
        let st = stretch(slot::p12(c));
        let n = slot::count(c).min(31) as i32;
        let sx = slot::state(c) + 256 * h.bit_pos() as usize;
        let ss = if n == 0 {
            0
        } else {
            stretch(self.states.p(sx))
        };
        x.add3([st, (st * n) >> 5, ss]);
    }

    /// Learns the coded bit.
    #[inline]
    pub fn update(&mut self, bit: bool) {
        if slot::count(self.last) != 0 {
            self.states.update(bit);
        }
        let mut s = self.last; // the slot read by `predict`
        slot::update(&mut s, bit, self.limit);
        self.table.set_counter(self.bucket, self.slot, s);
    }

    /// The fast variant of [`predict`](Self::predict): one input, the stretched direct
    /// probability (pair with [`update_lean`](Self::update_lean)).
    #[inline]
    pub fn predict_lean(&mut self, h: &History, x: &mut Inputs) {
        let c = self.counter(h);
        x.add(stretch(slot::p12(c)));
    }

    /// Learns the coded bit without the bit-history state map.
    #[inline]
    pub fn update_lean(&mut self, bit: bool) {
        let mut s = self.last;
        slot::update(&mut s, bit, self.limit);
        self.table.set_counter(self.bucket, self.slot, s);
    }
}

/// Inputs each [`HashedContext`] adds to the mixer.
pub const INPUTS_PER_CONTEXT: usize = 3;

/// The order-N model: the context is the last N bytes (N = 0 … 16).
#[derive(Debug, Clone)]
pub struct OrderN {
    order: usize,
    lean: bool,
    ctx: HashedContext,
    /// 1 + the byte position whose context is set.
    at: usize,
}

impl OrderN {
    /// An order-`order` model over `2^table_bits` buckets, counters limited to `limit`.
    pub fn new(order: usize, table_bits: u32, limit: u32) -> Self {
        Self {
            order: order.min(16),
            lean: false,
            ctx: HashedContext::new(table_bits, limit),
            at: 0,
        }
    }

    /// The fast variant: one mixer input per bit (the direct probability) instead of
    /// [`INPUTS_PER_CONTEXT`], and no bit-history state map.
    pub fn lean(order: usize, table_bits: u32, limit: u32) -> Self {
        Self {
            lean: true,
            ..Self::new(order, table_bits, limit)
        }
    }

    /// The order.
    pub fn order(&self) -> usize {
        self.order
    }

    /// Whether this order's context has been seen at the current node (valid after
    /// `predict`).
    pub fn known(&self) -> bool {
        self.ctx.known()
    }

    /// Memory used, in bytes.
    pub fn memory(&self) -> usize {
        self.ctx.memory()
    }

    /// The hash of the current byte's context, set by
    /// [`prepare`](ContextModel::prepare) or [`predict`](ContextModel::predict) at a
    /// byte boundary: what a [`ContextBank`](crate::ContextBank) is given instead.
    pub fn context_hashes(&self) -> impl Iterator<Item = u64> + '_ {
        std::iter::once(self.ctx.hash())
    }

    /// The hash of the last `order` bytes of `h`: the order's seed combined with the
    /// last four bytes, then with bytes 5 to 8, then (orders 9 and up) byte by byte.
    #[inline]
    pub fn context_hash(order: usize, h: &History) -> u64 {
        let order = order.min(16);
        let x = ORDER_SEEDS[order];
        if order <= 4 {
            let m = if order == 4 {
                u32::MAX
            } else {
                (1u32 << (8 * order)) - 1
            };
            return hash_combine(x, (h.c4() & m) as u64);
        }
        let x = hash_combine(x, h.c4() as u64);
        let m = if order >= 8 {
            u32::MAX
        } else {
            (1u32 << (8 * (order - 4))) - 1
        };
        let mut x = hash_combine(x, (h.c8() & m) as u64);
        for i in 9..=order {
            x = hash_combine(x, h.back(i) as u64);
        }
        x
    }
}

/// The seed of each order's context hash (0‥16).
const ORDER_SEEDS: [u64; 17] = {
    let mut s = [0; 17];
    let mut i = 0;
    while i < 17 {
        s[i] = hash64(i as u64 + 1);
        i += 1;
    }
    s
};

impl ContextModel for OrderN {
    fn inputs(&self) -> usize {
        if self.lean { 1 } else { INPUTS_PER_CONTEXT }
    }

    #[inline]
    fn prepare(&mut self, h: &History) {
        if h.bit_pos() == 0 {
            if self.at != h.pos() + 1 {
                self.at = h.pos() + 1;
                self.ctx.set_context(Self::context_hash(self.order, h));
            }
        } else {
            self.ctx.prefetch_nibble(h);
        }
    }

    #[inline]
    fn predict(&mut self, h: &History, x: &mut Inputs) {
        if h.bit_pos() == 0 && self.at != h.pos() + 1 {
            self.at = h.pos() + 1;
            self.ctx.set_context(Self::context_hash(self.order, h));
        }
        if self.lean {
            self.ctx.predict_lean(h, x);
        } else {
            self.ctx.predict(h, x);
        }
    }

    #[inline]
    fn update(&mut self, _h: &History, bit: bool) {
        if self.lean {
            self.ctx.update_lean(bit);
        } else {
            self.ctx.update(bit);
        }
    }
}
