//! The one place where this crate uses `unsafe`: software prefetch, and the mixer's
//! 8-lane loops compiled a second time for AVX and chosen at run time.
//!
//! # Prefetch
//! Context tables are far larger than the caches, so each context costs a cache miss per
//! nibble. The predictors know the candidate addresses a few bits before they need them
//! (the two or four ways a nibble can still end), and ask the memory system for them
//! early with [`prefetch`]. A prefetch is only a hint: it never faults, never changes
//! memory and never changes a result, so coding stays bit-exact whether or not it runs
//! (it is a no-op off x86-64 and under miri).
//!
//! Measured in `docs/methods/cm.md` (speed section).
//!
//! # AVX mixer loops
//! The mixer's dot product and training step run over 8 `f32` lanes with one accumulator
//! per lane (`dot8_generic`, `train8_generic`, run for all weight sets of a bit in one
//! [`mix_sets`] and one [`train_sets`]). Compiled for the x86-64 baseline these are two SSE
//! operations per 8 lanes; compiled with AVX enabled, one. Each lane still does the same
//! IEEE-754 multiply and add in the same order (no fused multiply-add: Rust never
//! contracts, and FMA is not enabled), so both versions give bit-identical results and a
//! file coded on one CPU decodes on any other. The AVX version is called only when the
//! CPU reports AVX at run time.
//!
//! # AVX2 context-bank loops
//! The per-bit arithmetic of a [`ContextBank`](crate::ContextBank) — each context's three
//! mixer inputs, its slot update and its state-map update — runs 8 contexts at a time
//! where the CPU reports AVX2 ([`bank_inputs`], [`slot_updates`], [`state_updates`]). It is
//! integer arithmetic chosen to be exact (unsigned 32-bit products where they fit, 64-bit
//! ones where they do not, and the same rounding as the scalar shifts), and the table
//! lookups become gathers; the scalar loops do the rest and run alone without AVX2. Unit
//! tests compare both on every count, state and bit.
#![allow(unsafe_code)]

use crate::bank::STATES;

/// Lanes of the mixer loops.
pub(crate) const LANES: usize = 8;

/// Whether this CPU runs the AVX versions of the mixer loops ([`mix_sets`], [`train_sets`]).
pub(crate) fn has_avx() -> bool {
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    {
        std::arch::is_x86_feature_detected!("avx")
    }
    #[cfg(not(all(target_arch = "x86_64", not(miri))))]
    false
}

/// Per-lane sums `acc[j] = Σₖ w[8k + j]·x[8k + j]` over the whole 8-lane chunks of `w`
/// and `x`.
#[inline(always)]
fn dot8_generic(w: &[f32], x: &[f32]) -> [f32; LANES] {
    let mut acc = [0f32; LANES];
    for (wc, xc) in w.chunks_exact(LANES).zip(x.chunks_exact(LANES)) {
        let wc: &[f32; LANES] = wc.try_into().expect("8 lanes");
        let xc: &[f32; LANES] = xc.try_into().expect("8 lanes");
        for j in 0..LANES {
            acc[j] += wc[j] * xc[j];
        }
    }
    acc
}

/// `w[i] += x[i]·e` over the whole 8-lane chunks.
#[inline(always)]
fn train8_generic(w: &mut [f32], x: &[f32], e: f32) {
    let ec = [e; LANES];
    for (wc, xc) in w.chunks_exact_mut(LANES).zip(x.chunks_exact(LANES)) {
        let wc: &mut [f32; LANES] = wc.try_into().expect("8 lanes");
        let xc: &[f32; LANES] = xc.try_into().expect("8 lanes");
        for j in 0..LANES {
            wc[j] += xc[j] * ec[j];
        }
    }
}

/// The reference sum of one weight set: the 8 lane sums of `dot8_generic`, combined in a
/// fixed order.
#[inline(always)]
fn reduce8(acc: [f32; LANES]) -> f32 {
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]))
}

#[inline(always)]
fn mix_sets_generic<const K: usize>(
    x: &[i32],
    xf: &mut [f32],
    weights: &[f32],
    sel: [usize; K],
) -> [f32; K] {
    let n = x.len().min(xf.len());
    for (f, &v) in xf.iter_mut().zip(x) {
        *f = v as f32;
    }
    let stride = xf.len() / LANES * LANES;
    xf[n..stride.max(n)].fill(0.0);
    sel.map(|s| reduce8(dot8_generic(&weights[s..s + stride], &xf[..stride])))
}

#[inline(always)]
fn train_sets_generic<const K: usize>(
    weights: &mut [f32],
    sel: [usize; K],
    err: [f32; K],
    xf: &[f32],
) {
    let stride = xf.len() / LANES * LANES;
    for (s, e) in sel.into_iter().zip(err) {
        if e != 0.0 {
            train8_generic(&mut weights[s..s + stride], &xf[..stride], e);
        }
    }
}

/// Eight lanes on, then eight off: `TAIL_MASK[8 - k..]` masks the first `k` lanes.
#[cfg(all(target_arch = "x86_64", not(miri)))]
static TAIL_MASK: [i32; 16] = [-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0];

/// [`mix_sets`] with AVX: the same conversions, products and sums, lane by lane, in the
/// same order, with the `K` accumulators in registers.
///
/// # Safety
/// The CPU must have AVX.
#[cfg(all(target_arch = "x86_64", not(miri)))]
#[target_feature(enable = "avx")]
unsafe fn mix_sets_avx<const K: usize>(
    x: &[i32],
    xf: &mut [f32],
    weights: &[f32],
    sel: [usize; K],
) -> [f32; K] {
    use std::arch::x86_64::*;
    let n = x.len().min(xf.len());
    let stride = xf.len() / LANES * LANES;
    let set = sel.map(|s| weights[s..s + stride].as_ptr());
    let (xp, xfp) = (x.as_ptr(), xf.as_mut_ptr());
    let mut acc = [_mm256_setzero_ps(); K];
    let mut c = 0;
    while c < stride {
        // SAFETY: `c + 8 <= stride`, the length of every slice `set` points into and at
        // most that of `xf`; the masked load reads only `x[c..n]` (lanes at or past `n`
        // are masked off and read as 0); unaligned loads and stores.
        unsafe {
            // The chunk's inputs as `f32` (rounded to nearest, as `as f32` does; 0 past
            // the inputs), kept in `xf` for the training pass.
            let xv = if c + LANES <= n {
                _mm256_cvtepi32_ps(_mm256_loadu_si256(xp.add(c).cast()))
            } else if c < n {
                // Lanes `0..n - c` on: 8 − (n − c) entries into [on × 8, off × 8].
                let mask = _mm256_loadu_si256(TAIL_MASK.as_ptr().add(LANES - (n - c)).cast());
                let v = _mm256_maskload_ps(xp.add(c).cast(), mask);
                _mm256_cvtepi32_ps(_mm256_castps_si256(v))
            } else {
                _mm256_setzero_ps()
            };
            _mm256_storeu_ps(xfp.add(c), xv);
            // Each lane multiplies, then adds (no fused multiply-add), in chunk order: the
            // `acc[j] += w[j]·x[j]` of `dot8_generic`.
            for j in 0..K {
                let wv = _mm256_loadu_ps(set[j].add(c));
                acc[j] = _mm256_add_ps(acc[j], _mm256_mul_ps(wv, xv));
            }
        }
        c += LANES;
    }
    // Past the whole chunks (`xf` is not a multiple of 8 long, which the mixer never
    // does): as the baseline, converted but not summed.
    for (f, &v) in xf[stride..].iter_mut().zip(x.get(stride..).unwrap_or(&[])) {
        *f = v as f32;
    }
    // `reduce8`: ((a0 + a4) + (a1 + a5)) + ((a2 + a6) + (a3 + a7)).
    acc.map(|a| {
        let s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps::<1>(a));
        let h = _mm_hadd_ps(s, s);
        _mm_cvtss_f32(_mm_hadd_ps(h, h))
    })
}

/// [`train_sets`] with AVX: each lane computes `w + x·e` as `train8_generic` does.
///
/// # Safety
/// The CPU must have AVX.
#[cfg(all(target_arch = "x86_64", not(miri)))]
#[target_feature(enable = "avx")]
unsafe fn train_sets_avx<const K: usize>(
    weights: &mut [f32],
    sel: [usize; K],
    err: [f32; K],
    xf: &[f32],
) {
    use std::arch::x86_64::*;
    let stride = xf.len() / LANES * LANES;
    let xp = xf.as_ptr();
    for (s, e) in sel.into_iter().zip(err) {
        if e == 0.0 {
            continue;
        }
        let wp = weights[s..s + stride].as_mut_ptr();
        let ev = _mm256_set1_ps(e);
        let mut c = 0;
        while c < stride {
            // SAFETY: `c + 8 <= stride`, the length of the slice `wp` points into and at
            // most that of `xf`; unaligned loads and stores.
            unsafe {
                let d = _mm256_mul_ps(_mm256_loadu_ps(xp.add(c)), ev);
                _mm256_storeu_ps(wp.add(c), _mm256_add_ps(_mm256_loadu_ps(wp.add(c)), d));
            }
            c += LANES;
        }
    }
}

/// The mixing pass of the mixer's first layer for `K` weight sets: `xf` = `x` as `f32`
/// (the first `x.len()` of them, and 0 from there to the last whole 8-lane chunk), then for each `k` the
/// fixed-order dot product (`dot8_generic` and `reduce8`) of `xf` with
/// `weights[sel[k]..sel[k] + xf.len()]`. All in one call with a fixed number of sets, so
/// that the AVX version keeps its accumulators in registers; `avx` must come from
/// [`has_avx`]. The results are those of the baseline loops, bit for bit.
#[inline(always)]
pub(crate) fn mix_sets<const K: usize>(
    x: &[i32],
    xf: &mut [f32],
    weights: &[f32],
    sel: [usize; K],
    avx: bool,
) -> [f32; K] {
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    if avx {
        // SAFETY: `avx` is true only when `has_avx` found AVX on this CPU.
        return unsafe { mix_sets_avx(x, xf, weights, sel) };
    }
    let _ = avx;
    mix_sets_generic(x, xf, weights, sel)
}

/// The training pass of the mixer's first layer: for each `k` with `err[k] != 0`,
/// `weights[sel[k]..][i] += xf[i]·err[k]` (`train8_generic`); `avx` must come from [`has_avx`].
#[inline(always)]
pub(crate) fn train_sets<const K: usize>(
    weights: &mut [f32],
    sel: [usize; K],
    err: [f32; K],
    xf: &[f32],
    avx: bool,
) {
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    if avx {
        // SAFETY: `avx` is true only when `has_avx` found AVX on this CPU.
        return unsafe { train_sets_avx(weights, sel, err, xf) };
    }
    let _ = avx;
    train_sets_generic(weights, sel, err, xf)
}

/// Whether this CPU runs the AVX2 versions of the context-bank loops.
pub(crate) fn has_avx2() -> bool {
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    {
        std::arch::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(all(target_arch = "x86_64", not(miri))))]
    false
}

/// `out[i]` = `last[i]` after [`slot::update`](crate::slot::update) with `bit` and
/// `limit`, for every `i` of the shorter slice; `avx2` must come from [`has_avx2`].
#[inline(always)]
pub(crate) fn slot_updates(last: &[u32], out: &mut [u32], bit: bool, limit: u32, avx2: bool) {
    let n = last.len().min(out.len());
    let mut done = 0;
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    if avx2 {
        // SAFETY: `avx2` is true only when `has_avx2` found AVX2 on this CPU.
        done = unsafe { slot_updates_avx2(&last[..n], &mut out[..n], bit, limit) };
    }
    let _ = avx2;
    for (o, &s) in out[done..n].iter_mut().zip(&last[done..n]) {
        let mut s = s;
        crate::slot::update(&mut s, bit, limit);
        *o = s;
    }
}

/// The whole 8-lane chunks of [`slot_updates`]; returns how many slots it did.
///
/// Lane by lane it computes what `slot::update` does, in 32-bit unsigned arithmetic
/// where that is exact: the probability `p` (16 bits) moves by `(65535 − p)·r >> 16` towards
/// a 1, or by `−⌈p·r / 2^16⌉` (the floor of the negative product) towards a 0, with
/// `r = RECIP[n] ≤ 43,690`, so every product and sum stays below 2^32.
///
/// # Safety
/// The CPU must have AVX2; `last` and `out` must have the same length.
#[cfg(all(target_arch = "x86_64", not(miri)))]
#[target_feature(enable = "avx2")]
unsafe fn slot_updates_avx2(last: &[u32], out: &mut [u32], bit: bool, limit: u32) -> usize {
    use std::arch::x86_64::*;
    let n = last.len().min(out.len()) / 8 * 8;
    let lim = _mm256_set1_epi32(limit.min(crate::slot::MAX_COUNT) as i32);
    let one = _mm256_set1_epi32(1);
    let m63 = _mm256_set1_epi32(63);
    let m255 = _mm256_set1_epi32(255);
    let mffff = _mm256_set1_epi32(0xffff);
    let bitv = _mm256_set1_epi32(i32::from(bit));
    let recip = crate::counter::RECIP.as_ptr().cast::<i32>();
    let next = crate::counter::slot::NEXT_STATE32.as_ptr().cast::<i32>();
    let mut i = 0;
    while i < n {
        // SAFETY: `i + 8 <= n <= len` for both slices; unaligned loads and stores; the
        // gathers read `RECIP[count]` with `count < 64` and `NEXT_STATE32[2·state + bit]`
        // with `state < 256`, inside both tables.
        unsafe {
            let s = _mm256_loadu_si256(last.as_ptr().add(i).cast());
            let p = _mm256_srli_epi32::<16>(s);
            let cnt = _mm256_and_si256(_mm256_srli_epi32::<8>(s), m63);
            let state = _mm256_and_si256(s, m255);
            let r = _mm256_i32gather_epi32::<4>(recip, cnt);
            let p = if bit {
                let up = _mm256_mullo_epi32(_mm256_sub_epi32(mffff, p), r);
                _mm256_add_epi32(p, _mm256_srli_epi32::<16>(up))
            } else {
                let down = _mm256_add_epi32(_mm256_mullo_epi32(p, r), mffff);
                _mm256_sub_epi32(p, _mm256_srli_epi32::<16>(down))
            };
            let cnt = _mm256_min_epu32(_mm256_add_epi32(cnt, one), lim);
            let idx = _mm256_add_epi32(_mm256_slli_epi32::<1>(state), bitv);
            let state = _mm256_i32gather_epi32::<4>(next, idx);
            let v = _mm256_or_si256(
                _mm256_or_si256(_mm256_slli_epi32::<16>(p), _mm256_slli_epi32::<8>(cnt)),
                state,
            );
            _mm256_storeu_si256(out.as_mut_ptr().add(i).cast(), v);
        }
        i += 8;
    }
    n
}

/// `last[i]` = the slot at `arena[at[i] + slot]`, stored XOR [`slot::INIT`](crate::slot::INIT)
/// as in a [`ContextTable`](crate::ContextTable), for every `i` of the shorter of `at` and
/// `last`; returns the mask of the `i` below 32 whose slot has a count (has learnt
/// something, bit `i`). `avx2` must come from [`has_avx2`].
#[inline(always)]
pub(crate) fn bank_slots(
    arena: &[u32],
    at: &[u32],
    slot: u32,
    last: &mut [u32],
    avx2: bool,
) -> u32 {
    let n = at.len().min(last.len());
    let mut done = 0;
    let mut known = 0;
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    if avx2 && arena.len() <= i32::MAX as usize {
        // SAFETY: `avx2` is true only when `has_avx2` found AVX2 on this CPU.
        (done, known) = unsafe { bank_slots_avx2(arena, &at[..n], slot, &mut last[..n]) };
    }
    let _ = avx2;
    for (i, (l, &a)) in last[..n].iter_mut().zip(&at[..n]).enumerate().skip(done) {
        *l = arena[a as usize + slot as usize] ^ crate::slot::INIT;
        if i < 32 {
            known |= u32::from(crate::slot::count(*l) != 0) << i;
        }
    }
    known
}

/// The whole 8-lane chunks of [`bank_slots`]; returns how many it did and their known
/// mask. A lane whose index is outside `arena` (which the bank's invariants rule out)
/// reads 0 instead.
///
/// # Safety
/// The CPU must have AVX2; `at` and `last` must have the same length and `arena` at most
/// `i32::MAX` elements.
#[cfg(all(target_arch = "x86_64", not(miri)))]
#[target_feature(enable = "avx2")]
unsafe fn bank_slots_avx2(arena: &[u32], at: &[u32], slot: u32, last: &mut [u32]) -> (usize, u32) {
    use std::arch::x86_64::*;
    let n = at.len() / 8 * 8;
    let len = _mm256_set1_epi32(arena.len() as i32);
    let slotv = _mm256_set1_epi32(slot as i32);
    let init = _mm256_set1_epi32(crate::slot::INIT as i32);
    let count = _mm256_set1_epi32(63 << 8);
    let mut known = 0u32;
    let mut i = 0;
    while i < n {
        // SAFETY: `i + 8 <= n` for `at` and `last`; the gather reads only the lanes whose
        // index is in `0..arena.len()` (a signed comparison: the length fits `i32`, and an
        // index of 2^31 or more is negative, so out).
        unsafe {
            let idx = _mm256_add_epi32(_mm256_loadu_si256(at.as_ptr().add(i).cast()), slotv);
            let inside = _mm256_and_si256(
                _mm256_cmpgt_epi32(len, idx),
                _mm256_cmpgt_epi32(idx, _mm256_set1_epi32(-1)),
            );
            let c = _mm256_mask_i32gather_epi32::<4>(
                _mm256_setzero_si256(),
                arena.as_ptr().cast(),
                idx,
                inside,
            );
            let v = _mm256_xor_si256(c, init);
            _mm256_storeu_si256(last.as_mut_ptr().add(i).cast(), v);
            // Lanes whose count is 0: all ones; the mask of the others.
            let unknown = _mm256_cmpeq_epi32(_mm256_and_si256(v, count), _mm256_setzero_si256());
            let unknown = _mm256_movemask_ps(_mm256_castsi256_ps(unknown)) as u32;
            if i < 32 {
                known |= (!unknown & 0xff) << i;
            }
        }
        i += 8;
    }
    (n, known)
}

/// The three mixer inputs of every context of a [`ContextBank`](crate::ContextBank) for
/// the current bit, into `out` (`3 · n` values for `n` contexts, planar: every context's
/// first input, then every second, then every third), and the index
/// in `states` of each context's state-map counter into `sx`; see
/// [`HashedContext::predict`](crate::HashedContext::predict) for what they are. `states`
/// holds 2048 counters per context; `row` is 256 × the bit position. `avx2` must come from
/// [`has_avx2`].
#[inline(always)]
pub(crate) fn bank_inputs(
    last: &[u32],
    states: &[u32],
    row: u32,
    sx: &mut [u32],
    sv: &mut [u32],
    out: &mut [i32],
    avx2: bool,
) {
    let n = last.len().min(sx.len()).min(sv.len()).min(out.len() / 3);
    let (last, sx, sv) = (&last[..n], &mut sx[..n], &mut sv[..n]);
    assert!(
        states.len() >= n * STATES && (row as usize) < STATES && n * STATES <= i32::MAX as usize
    );
    let mut done = 0;
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    if avx2 {
        // SAFETY: `avx2` is true only when `has_avx2` found AVX2 on this CPU; the lengths
        // are checked above.
        done =
            unsafe { bank_inputs_avx2(&last[..n], states, row, &mut sx[..n], &mut sv[..n], out) };
    }
    let _ = avx2;
    for i in done..n {
        let c = last[i];
        let st = crate::stretch(crate::slot::p12(c));
        let k = crate::slot::count(c).min(31) as i32;
        sx[i] = (i * STATES) as u32 + crate::slot::state(c) as u32 + row;
        sv[i] = states[sx[i] as usize];
        let ss = if k == 0 {
            0
        } else {
            crate::stretch(crate::counter_p12(sv[i]))
        };
        out[i] = st;
        out[n + i] = (st * k) >> 5;
        out[2 * n + i] = ss;
    }
}

/// `out[i]` = `sv[i]` after [`counter_update`](crate::counter_update) with `bit` and
/// the limit [`MAX_LIMIT`](crate::MAX_LIMIT) where the slot `last[i]` has a count (what
/// a [`HashedContext`](crate::HashedContext) does to its state map), else `sv[i]`; `avx2`
/// must come from [`has_avx2`].
#[inline(always)]
pub(crate) fn state_updates(last: &[u32], sv: &[u32], out: &mut [u32], bit: bool, avx2: bool) {
    let n = last.len().min(sv.len()).min(out.len());
    let mut done = 0;
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    if avx2 {
        // SAFETY: `avx2` is true only when `has_avx2` found AVX2 on this CPU.
        done = unsafe { state_updates_avx2(&last[..n], &sv[..n], &mut out[..n], bit) };
    }
    let _ = avx2;
    for i in done..n {
        let mut c = sv[i];
        if crate::slot::count(last[i]) != 0 {
            crate::counter_update(&mut c, bit, crate::MAX_LIMIT);
        }
        out[i] = c;
    }
}

/// The whole 8-lane chunks of [`state_updates`]; returns how many it did. The 22-bit
/// probability times the reciprocal needs 38 bits: the products are formed in 64-bit
/// halves (even lanes, then odd lanes), as the scalar `i64` arithmetic does, and a move
/// towards 0 rounds the same way as its arithmetic shift (`−⌈p·r / 2^16⌉`).
///
/// # Safety
/// The CPU must have AVX2; the three slices must have the same length.
#[cfg(all(target_arch = "x86_64", not(miri)))]
#[target_feature(enable = "avx2")]
unsafe fn state_updates_avx2(last: &[u32], sv: &[u32], out: &mut [u32], bit: bool) -> usize {
    use std::arch::x86_64::*;
    let n = last.len() / 8 * 8;
    let recip = crate::counter::RECIP.as_ptr().cast::<i32>();
    let m1023 = _mm256_set1_epi32(1023);
    let m63 = _mm256_set1_epi32(63);
    let one = _mm256_set1_epi32(1);
    let zero = _mm256_setzero_si256();
    let top = _mm256_set1_epi32((1 << 22) - 1);
    let round = _mm256_set1_epi64x(65535);
    // r·a >> 16 (or (r·a + 65535) >> 16 when `up` is false), lane by lane in 64 bits.
    let scaled = |a: __m256i, r: __m256i, up: bool| {
        let even = _mm256_mul_epu32(a, r);
        let odd = _mm256_mul_epu32(_mm256_srli_epi64::<32>(a), _mm256_srli_epi64::<32>(r));
        let (even, odd) = if up {
            (even, odd)
        } else {
            (_mm256_add_epi64(even, round), _mm256_add_epi64(odd, round))
        };
        _mm256_blend_epi32::<0b1010_1010>(
            _mm256_srli_epi64::<16>(even),
            _mm256_slli_epi64::<16>(odd),
        )
    };
    let mut i = 0;
    while i < n {
        // SAFETY: `i + 8 <= n` for all three slices; the gather reads `RECIP[count]` with
        // `count < 1024`, inside the table.
        unsafe {
            let c = _mm256_loadu_si256(sv.as_ptr().add(i).cast());
            let s = _mm256_loadu_si256(last.as_ptr().add(i).cast());
            let fresh = _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_srli_epi32::<8>(s), m63), zero);
            let cnt = _mm256_and_si256(c, m1023);
            let p = _mm256_srli_epi32::<10>(c);
            let r = _mm256_i32gather_epi32::<4>(recip, cnt);
            let p = if bit {
                _mm256_add_epi32(p, scaled(_mm256_sub_epi32(top, p), r, true))
            } else {
                _mm256_sub_epi32(p, scaled(p, r, false))
            };
            let cnt = _mm256_min_epu32(_mm256_add_epi32(cnt, one), m1023);
            let v = _mm256_or_si256(_mm256_slli_epi32::<10>(p), cnt);
            // `fresh` is all ones where the slot has no count: the old value stays there.
            let v = _mm256_blendv_epi8(v, c, fresh);
            _mm256_storeu_si256(out.as_mut_ptr().add(i).cast(), v);
        }
        i += 8;
    }
    n
}

/// The whole 8-lane chunks of [`bank_inputs`]; returns how many contexts it did.
///
/// # Safety
/// The CPU must have AVX2; `sx` as long as `last`, `out` at least three times as long,
/// `states` at least 2048 times as long (and under 2^31 counters), `row < 2048`.
#[cfg(all(target_arch = "x86_64", not(miri)))]
#[target_feature(enable = "avx2")]
unsafe fn bank_inputs_avx2(
    last: &[u32],
    states: &[u32],
    row: u32,
    sx: &mut [u32],
    sv: &mut [u32],
    out: &mut [i32],
) -> usize {
    use std::arch::x86_64::*;
    let total = last.len();
    let n = total / 8 * 8;
    let stretch = crate::logistic::STRETCH.as_ptr().cast::<i32>();
    let m63 = _mm256_set1_epi32(63);
    let m31 = _mm256_set1_epi32(31);
    let m255 = _mm256_set1_epi32(255);
    let zero = _mm256_setzero_si256();
    let lane = _mm256_mullo_epi32(
        _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
        _mm256_set1_epi32(STATES as i32),
    );
    let mut i = 0;
    while i < n {
        // SAFETY: `i + 8 <= n <= total` for `last` and `sx`, and `2·total + i + 8 <=
        // 3·total <= out.len()`. The
        // gathers read 32 bits at `STRETCH[p]` for `p < 4096` (the table has two entries of
        // padding, so the two bytes past `p` are inside it) and `states[sx]` with
        // `sx < 2048·(i + 8) <= states.len()`.
        unsafe {
            let c = _mm256_loadu_si256(last.as_ptr().add(i).cast());
            let st = _mm256_i32gather_epi32::<2>(stretch, _mm256_srli_epi32::<20>(c));
            let st = _mm256_srai_epi32::<16>(_mm256_slli_epi32::<16>(st));
            let k = _mm256_min_epi32(_mm256_and_si256(_mm256_srli_epi32::<8>(c), m63), m31);
            let conf = _mm256_srai_epi32::<5>(_mm256_mullo_epi32(st, k));
            let base = _mm256_set1_epi32((i * STATES) as i32 + row as i32);
            let x = _mm256_add_epi32(_mm256_add_epi32(base, lane), _mm256_and_si256(c, m255));
            _mm256_storeu_si256(sx.as_mut_ptr().add(i).cast(), x);
            let sv_ = _mm256_i32gather_epi32::<4>(states.as_ptr().cast(), x);
            _mm256_storeu_si256(sv.as_mut_ptr().add(i).cast(), sv_);
            let sv = sv_;
            let ss = _mm256_i32gather_epi32::<2>(stretch, _mm256_srli_epi32::<20>(sv));
            let ss = _mm256_srai_epi32::<16>(_mm256_slli_epi32::<16>(ss));
            let ss = _mm256_andnot_si256(_mm256_cmpeq_epi32(k, zero), ss);
            let o = out.as_mut_ptr().add(i);
            _mm256_storeu_si256(o.cast(), st);
            _mm256_storeu_si256(o.add(total).cast(), conf);
            _mm256_storeu_si256(o.add(2 * total).cast(), ss);
        }
        i += 8;
    }
    n
}

/// Hints that the cache line holding `*r` will be read soon.
#[inline(always)]
pub(crate) fn prefetch<T>(r: &T) {
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    // SAFETY: `_mm_prefetch` needs the `sse` target feature, which every x86-64 CPU has
    // (it is part of the x86-64 baseline and enabled in every x86-64 target). The
    // instruction only hints the cache: it does not dereference the pointer
    // architecturally, cannot fault, and here points into a live reference anyway.
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>((r as *const T).cast::<i8>());
    }
    #[cfg(not(all(target_arch = "x86_64", not(miri))))]
    let _ = r;
}

/// Asks the kernel to back `v`'s memory with huge pages (Linux transparent huge pages,
/// where enabled for `madvise`); a hint only, it never changes contents. Call it before
/// the memory is first written, so that the pages are faulted in huge.
///
/// Context tables are hundreds of MiB read at random: with 4 KiB pages nearly every lookup
/// also misses the TLB and walks the page table; with 2 MiB pages the TLB covers them.
/// Large fresh output buffers gain too: they are faulted in 2 MiB at a time instead of
/// 4 KiB (the `hiercomp` facade advises the buffer it decompresses into).
pub fn advise_huge_pages<T>(v: &[T]) {
    #[cfg(all(target_os = "linux", not(miri)))]
    {
        const PAGE: usize = 4096;
        let start = v.as_ptr() as usize;
        let end = start + std::mem::size_of_val(v);
        let first = start.div_ceil(PAGE) * PAGE;
        if end >= first + (2 << 20) {
            // SAFETY: `madvise` with `MADV_HUGEPAGE` on whole pages inside `v`'s
            // allocation only changes how the kernel backs them; their contents and
            // validity are unchanged, and it touches nothing outside the allocation.
            unsafe {
                libc::madvise(
                    first as *mut libc::c_void,
                    (end - first) / PAGE * PAGE,
                    libc::MADV_HUGEPAGE,
                );
            }
        }
    }
    #[cfg(not(all(target_os = "linux", not(miri))))]
    let _ = v;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Test data from the workspace's seeded generator.
    fn xorshift(s: u32) -> impl FnMut() -> u32 {
        use rand_xoshiro::rand_core::{RngCore, SeedableRng};
        let mut r = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(u64::from(s));
        move || r.next_u32()
    }

    #[test]
    fn avx_and_baseline_loops_agree_bit_for_bit() {
        let mut s = 12345u32;
        let mut r = || {
            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (s >> 8) as f32 / (1 << 24) as f32 - 0.5
        };
        // Three weight sets of 72 inputs (9 chunks), inputs from i32 values.
        let w: Vec<f32> = (0..3 * 72).map(|_| r()).collect();
        let x: Vec<i32> = (0..70).map(|_| (r() * 4000.0) as i32).collect();
        let sel = [144, 0, 72];
        let (mut xa, mut xb) = (vec![0f32; 72], vec![0f32; 72]);
        let oa = mix_sets(&x, &mut xa, &w, sel, has_avx());
        let ob = mix_sets_generic(&x, &mut xb, &w, sel);
        assert_eq!(oa.map(f32::to_bits), ob.map(f32::to_bits));
        assert_eq!(xa, xb);
        assert!(oa.iter().all(|o| *o != 0.0));
        let err = [1.0e-6, 0.0, -3.0e-6];
        let (mut w1, mut w2) = (w.clone(), w.clone());
        train_sets(&mut w1, sel, err, &xa, has_avx());
        train_sets_generic(&mut w2, sel, err, &xb);
        assert!(w1.iter().zip(&w2).all(|(a, b)| a.to_bits() == b.to_bits()));
        // The set with no error is untouched, the others learnt.
        assert_eq!(w1[..72], w[..72]);
        assert_ne!(w1[72..], w[72..]);
    }

    #[test]
    fn slot_updates_agree_with_the_scalar_update() {
        let mut r = xorshift(987_654_321);
        // Every count, state and bit, and random probabilities including the extremes.
        let mut last: Vec<u32> = (0..64u32 * 256)
            .map(|k| {
                let p = match k % 5 {
                    0 => 0,
                    1 => 65535,
                    _ => r() >> 16,
                };
                (p << 16) | ((k / 256) << 8) | (k % 256)
            })
            .collect();
        last.extend((0..13).map(|_| r()));
        for limit in [0, 1, 20, 63, 1000] {
            for bit in [false, true] {
                let mut a = vec![0; last.len()];
                slot_updates(&last, &mut a, bit, limit, has_avx2());
                let mut b = vec![0; last.len()];
                slot_updates(&last, &mut b, bit, limit, false);
                for (i, &s0) in last.iter().enumerate() {
                    let mut s = s0;
                    crate::slot::update(&mut s, bit, limit);
                    assert_eq!((a[i], b[i]), (s, s), "slot {s0:#x} bit {bit} limit {limit}");
                }
            }
        }
    }

    #[test]
    fn state_updates_agree_with_the_scalar_update() {
        let mut r = xorshift(192_837_465);
        // Counters at every count, at the extremes and at random; slots with and without a
        // count.
        let sv: Vec<u32> = (0..4096u32 + 5)
            .map(|k| match k % 4 {
                0 => (k % 1024) | 0xffff_fc00,
                1 => k % 1024,
                _ => r(),
            })
            .collect();
        let last: Vec<u32> = sv
            .iter()
            .map(|_| r() & !(u32::from(r() % 3 == 0) * 0x3f00))
            .collect();
        for bit in [false, true] {
            let mut a = vec![0; sv.len()];
            state_updates(&last, &sv, &mut a, bit, has_avx2());
            let mut b = vec![0; sv.len()];
            state_updates(&last, &sv, &mut b, bit, false);
            for i in 0..sv.len() {
                let mut c = sv[i];
                if crate::slot::count(last[i]) != 0 {
                    crate::counter_update(&mut c, bit, crate::MAX_LIMIT);
                }
                assert_eq!((a[i], b[i]), (c, c), "counter {:#x} bit {bit}", sv[i]);
            }
        }
    }

    #[test]
    fn bank_slots_agree_with_the_scalar_loop() {
        let mut r = xorshift(31_337);
        let arena: Vec<u32> = (0..4096).map(|_| r()).collect();
        let at: Vec<u32> = (0..21).map(|_| r() % 4080 / 16 * 16).collect();
        for slot in 1..16 {
            let (mut a, mut b) = (vec![0; 21], vec![0; 21]);
            bank_slots(&arena, &at, slot, &mut a, has_avx2());
            bank_slots(&arena, &at, slot, &mut b, false);
            assert_eq!(a, b);
            assert_eq!(a[20], arena[(at[20] + slot) as usize] ^ crate::slot::INIT);
        }
    }

    #[test]
    fn bank_inputs_agree_with_the_scalar_loop() {
        let mut r = xorshift(55_555_555);
        let n = 21; // two 8-lane chunks and a remainder
        let states: Vec<u32> = (0..n * STATES).map(|_| r()).collect();
        for row in [0, 256 * 3, 256 * 7] {
            let last: Vec<u32> = (0..n)
                .map(|_| r() & !(u32::from(r() % 4 == 0) * 0x3f00))
                .collect();
            let (mut sx_a, mut sv_a, mut out_a) = (vec![0; n], vec![0; n], vec![0; 3 * n]);
            let (mut sx_b, mut sv_b, mut out_b) = (vec![0; n], vec![0; n], vec![0; 3 * n]);
            bank_inputs(
                &last,
                &states,
                row,
                &mut sx_a,
                &mut sv_a,
                &mut out_a,
                has_avx2(),
            );
            bank_inputs(&last, &states, row, &mut sx_b, &mut sv_b, &mut out_b, false);
            assert_eq!((sx_a, sv_a, out_a), (sx_b, sv_b, out_b), "row {row}");
        }
    }

    #[test]
    fn prefetch_is_only_a_hint() {
        let v = vec![7u32; 1024];
        for x in &v {
            super::prefetch(x);
        }
        assert!(v.iter().all(|&x| x == 7));
    }
}
