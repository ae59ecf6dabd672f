//! Software prefetch: the one place where this crate uses `unsafe`.
//!
//! Context tables are far larger than the caches, so each context costs a cache miss per
//! nibble. The predictors know the candidate addresses a few bits before they need them
//! (the two or four ways a nibble can still end), and ask the memory system for them
//! early with [`prefetch`]. A prefetch is only a hint: it never faults, never changes
//! memory and never changes a result, so coding stays bit-exact whether or not it runs
//! (it is a no-op off x86-64 and under miri).
//!
//! Measured on `cm -l 1` (book1, kennedy.xls, news…): see `docs/methods/cm.md`.
#![allow(unsafe_code)]

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

#[cfg(test)]
mod tests {
    #[test]
    fn prefetch_is_only_a_hint() {
        let v = vec![7u32; 1024];
        for x in &v {
            super::prefetch(x);
        }
        assert!(v.iter().all(|&x| x == 7));
    }
}
