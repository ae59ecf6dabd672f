//! Adaptive probability counters.
//!
//! A counter is one `u32`: a 22-bit probability that the next bit is 1 in the high bits and
//! a 10-bit count `n` in the low bits. Learning a bit moves the probability towards it by
//! `1 / (n + 1.5)` — an exact running frequency while `n` is small — and `n` grows up to a
//! `limit`, after which the counter keeps adapting at rate `1 / (limit + 1.5)`. A low limit
//! tracks non-stationary data; a high one averages.

/// A fresh counter: probability 1/2, count 0.
pub const COUNTER_INIT: u32 = 1 << 31;

/// The largest usable count limit.
pub const MAX_LIMIT: u32 = 1023;

pub(crate) static RECIP: [u32; 1024] = {
    let mut t = [0u32; 1024];
    let mut n = 0;
    while n < 1024 {
        // 65536 / (n + 1.5)
        t[n] = 65536 * 2 / (2 * n as u32 + 3);
        n += 1;
    }
    t
};

/// The counter's probability of a 1, 12-bit.
#[inline(always)]
pub fn counter_p12(c: u32) -> i32 {
    (c >> 20) as i32
}

/// The counter's probability of a 1, 16-bit.
#[inline(always)]
pub fn counter_p16(c: u32) -> i32 {
    (c >> 16) as i32
}

/// How many bits the counter has learnt, saturated at its limit.
#[inline(always)]
pub fn counter_count(c: u32) -> u32 {
    c & 1023
}

/// Learns `bit`; `limit` (at most [`MAX_LIMIT`]) caps the count.
#[inline(always)]
pub fn counter_update(c: &mut u32, bit: bool, limit: u32) {
    let n = *c & 1023;
    let p = (*c >> 10) as i64;
    let target = if bit { (1i64 << 22) - 1 } else { 0 };
    let p = p + (((target - p) * RECIP[n as usize] as i64) >> 16);
    let n = if n < limit {
        n + 1
    } else {
        limit.min(MAX_LIMIT)
    };
    *c = ((p as u32) << 10) | n;
}

/// A table of counters indexed directly by a small context (adaptive "state map").
#[derive(Debug, Clone)]
pub struct AdaptiveMap {
    t: Vec<u32>,
    limit: u32,
    idx: usize,
}

impl AdaptiveMap {
    /// `n` counters starting at 1/2, with count limit `limit`.
    pub fn new(n: usize, limit: u32) -> Self {
        Self {
            t: vec![COUNTER_INIT; n.max(1)],
            limit: limit.min(MAX_LIMIT),
            idx: 0,
        }
    }

    /// The 12-bit probability under context `cx` (taken modulo the table size); remembers
    /// `cx` for [`update`](Self::update).
    #[inline]
    pub fn p(&mut self, cx: usize) -> i32 {
        self.idx = if cx < self.t.len() {
            cx
        } else {
            cx % self.t.len()
        };
        counter_p12(self.t[self.idx])
    }

    /// Learns `bit` in the context of the last [`p`](Self::p).
    #[inline]
    pub fn update(&mut self, bit: bool) {
        counter_update(&mut self.t[self.idx], bit, self.limit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_frequencies_then_adapts() {
        let mut c = COUNTER_INIT;
        for i in 0..30 {
            counter_update(&mut c, i % 3 == 0, 1023);
        }
        // 10 ones of 30: close to 1/3.
        let p = counter_p12(c);
        assert!((p - 1365).abs() < 80, "{p}");
        assert_eq!(counter_count(c), 30);
        // With a low limit, a run of zeros pulls it down fast.
        let mut d = c & !1023 | 4;
        for _ in 0..20 {
            counter_update(&mut d, false, 4);
        }
        assert!(counter_p12(d) < 50);
        assert_eq!(counter_count(d), 4);
    }

    #[test]
    fn never_leaves_the_unit_interval() {
        let mut c = COUNTER_INIT;
        for _ in 0..10_000 {
            counter_update(&mut c, true, 0);
        }
        assert!(counter_p16(c) <= 65535);
        for _ in 0..10_000 {
            counter_update(&mut c, false, 0);
        }
        assert!(counter_p16(c) >= 0);
    }
}

/// Context slots: an adaptive probability together with a small *bit history*.
///
/// A slot is one `u32`: a 16-bit probability of a 1 (bits 16‥31), a 6-bit count that sets
/// its learning rate (bits 8‥13, rate `1/(n + 1.5)`, `n ≤ 63`), and an 8-bit bit-history
/// state (bits 0‥7): how many zeros and ones this context has seen, each capped at 7 and
/// discounted when the other bit occurs (`n ← ⌈n/2⌉` once above 2), plus the last two bits.
/// The state is not a probability: a per-model [`AdaptiveMap`] learns what each state
/// predicts ("indirect" modelling), which catches deterministic contexts and recent
/// changes that a single running average blurs.
pub mod slot {
    use super::RECIP;

    /// A fresh slot: p = 1/2, count 0, empty history.
    pub const INIT: u32 = 1 << 31;
    /// The largest count.
    pub const MAX_COUNT: u32 = 63;

    /// The slot's direct probability of a 1, 12-bit.
    #[inline(always)]
    pub fn p12(s: u32) -> i32 {
        (s >> 20) as i32
    }

    /// The slot's count (0‥63).
    #[inline(always)]
    pub fn count(s: u32) -> u32 {
        (s >> 8) & 63
    }

    /// The slot's bit-history state (0‥255).
    #[inline(always)]
    pub fn state(s: u32) -> usize {
        (s & 255) as usize
    }

    /// The next bit-history state after `bit`.
    #[inline(always)]
    pub fn next_state(st: usize, bit: bool) -> usize {
        NEXT_STATE[(st & 255) * 2 + bit as usize] as usize
    }

    /// [`next_state`] for every state and bit, computed once at compile time (a lookup
    /// instead of a few branches per slot and bit).
    /// [`NEXT_STATE`] widened to `u32`, for the vector loops of the context bank.
    pub(crate) static NEXT_STATE32: [u32; 512] = {
        let mut t = [0u32; 512];
        let mut i = 0;
        while i < 512 {
            t[i] = NEXT_STATE[i] as u32;
            i += 1;
        }
        t
    };

    const NEXT_STATE: [u8; 512] = {
        let mut t = [0u8; 512];
        let mut i = 0;
        while i < 512 {
            t[i] = next_state_of(i / 2, i % 2 == 1) as u8;
            i += 1;
        }
        t
    };

    const fn next_state_of(st: usize, bit: bool) -> usize {
        let (mut n0, mut n1, h) = (st >> 5, (st >> 2) & 7, st & 3);
        if bit {
            n1 = if n1 < 7 { n1 + 1 } else { 7 };
            if n0 > 2 {
                n0 = n0.div_ceil(2);
            }
        } else {
            n0 = if n0 < 7 { n0 + 1 } else { 7 };
            if n1 > 2 {
                n1 = n1.div_ceil(2);
            }
        }
        (n0 << 5) | (n1 << 2) | ((h << 1) & 3) | bit as usize
    }

    /// Learns `bit` in the probability and count only, leaving the bit-history state
    /// as it is (for predictors that never read it); `limit` as in [`update`].
    #[inline(always)]
    pub fn update_lean(s: &mut u32, bit: bool, limit: u32) {
        let n = count(*s);
        let p = (*s >> 16) as i32;
        let target = if bit { 65535 } else { 0 };
        let p = p + (((target - p) as i64 * RECIP[n as usize] as i64) >> 16) as i32;
        let n = (n + 1).min(limit.min(MAX_COUNT));
        *s = ((p as u32) << 16) | (n << 8) | (*s & 255);
    }

    /// Learns `bit`; `limit` caps the count (at most [`MAX_COUNT`]).
    #[inline(always)]
    pub fn update(s: &mut u32, bit: bool, limit: u32) {
        let n = count(*s);
        let p = (*s >> 16) as i32;
        let target = if bit { 65535 } else { 0 };
        let p = p + (((target - p) as i64 * RECIP[n as usize] as i64) >> 16) as i32;
        let n = if n < limit.min(MAX_COUNT) {
            n + 1
        } else {
            limit.min(MAX_COUNT)
        };
        *s = ((p as u32) << 16) | (n << 8) | next_state(state(*s), bit) as u32;
    }
}

#[cfg(test)]
mod slot_tests {
    use super::slot;

    #[test]
    fn history_counts_discount_and_remember_the_last_bits() {
        let mut st = 0;
        for _ in 0..10 {
            st = slot::next_state(st, true);
        }
        assert_eq!((st >> 5, (st >> 2) & 7, st & 3), (0, 7, 3));
        st = slot::next_state(st, false);
        assert_eq!((st >> 5, (st >> 2) & 7, st & 3), (1, 4, 2));
        let mut s = slot::INIT;
        for _ in 0..100 {
            slot::update(&mut s, false, 63);
        }
        assert!(slot::p12(s) < 100);
        assert_eq!(slot::count(s), 63);
        assert_eq!(slot::state(s) >> 5, 7);
    }
}
