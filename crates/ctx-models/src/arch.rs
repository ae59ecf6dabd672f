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
//! per lane ([`dot8`], [`train8`]). Compiled for the x86-64 baseline these are two SSE
//! operations per 8 lanes; compiled with AVX enabled, one. Each lane still does the same
//! IEEE-754 multiply and add in the same order (no fused multiply-add: Rust never
//! contracts, and FMA is not enabled), so both versions give bit-identical results and a
//! file coded on one CPU decodes on any other. The AVX version is called only when the
//! CPU reports AVX at run time.
#![allow(unsafe_code)]

/// Lanes of the mixer loops.
pub(crate) const LANES: usize = 8;

/// Whether this CPU runs the AVX versions of the mixer loops.
pub(crate) fn has_avx() -> bool {
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    {
        std::arch::is_x86_feature_detected!("avx")
    }
    #[cfg(not(all(target_arch = "x86_64", not(miri))))]
    false
}

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

#[cfg(all(target_arch = "x86_64", not(miri)))]
#[target_feature(enable = "avx")]
/// # Safety
/// The CPU must have AVX.
unsafe fn dot8_avx(w: &[f32], x: &[f32]) -> [f32; LANES] {
    dot8_generic(w, x)
}

#[cfg(all(target_arch = "x86_64", not(miri)))]
#[target_feature(enable = "avx")]
/// # Safety
/// The CPU must have AVX.
unsafe fn train8_avx(w: &mut [f32], x: &[f32], e: f32) {
    train8_generic(w, x, e)
}

/// Per-lane sums `acc[j] = Σₖ w[8k + j]·x[8k + j]` over the whole 8-lane chunks of `w`
/// and `x`; `avx` must come from [`has_avx`].
#[inline(always)]
pub(crate) fn dot8(w: &[f32], x: &[f32], avx: bool) -> [f32; LANES] {
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    if avx {
        // SAFETY: `avx` is true only when `has_avx` found AVX on this CPU, which is what
        // calling a function compiled with `target_feature(enable = "avx")` requires.
        return unsafe { dot8_avx(w, x) };
    }
    let _ = avx;
    dot8_generic(w, x)
}

/// `w[i] += x[i]·e` over the whole 8-lane chunks; `avx` must come from [`has_avx`].
#[inline(always)]
pub(crate) fn train8(w: &mut [f32], x: &[f32], e: f32, avx: bool) {
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    if avx {
        // SAFETY: as in `dot8`.
        return unsafe { train8_avx(w, x, e) };
    }
    let _ = avx;
    train8_generic(w, x, e)
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

    #[test]
    fn avx_and_baseline_loops_agree_bit_for_bit() {
        let mut s = 12345u32;
        let mut r = || {
            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (s >> 8) as f32 / (1 << 24) as f32 - 0.5
        };
        let w: Vec<f32> = (0..72).map(|_| r()).collect();
        let x: Vec<f32> = (0..72).map(|_| r() * 4000.0).collect();
        let a = dot8(&w, &x, has_avx());
        let b = dot8_generic(&w, &x);
        assert_eq!(a.map(f32::to_bits), b.map(f32::to_bits));
        let (mut w1, mut w2) = (w.clone(), w);
        train8(&mut w1, &x, 1.0e-6, has_avx());
        train8_generic(&mut w2, &x, 1.0e-6);
        assert!(w1.iter().zip(&w2).all(|(a, b)| a.to_bits() == b.to_bits()));
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
