//! The logistic domain: `stretch(p) = ln(p / (1 − p))` and its inverse `squash`, in fixed
//! point. Probabilities are 12-bit (`0..4096`); stretched values are in `−2047..=2047`,
//! where 256 units are one nat of log-odds.
//!
//! Both tables are built by `const fn` from 33 knots of the logistic curve, so they are the
//! same on every platform (no floating point at run time).

/// `4096 / (1 + e^(−(i − 16) / 2))`, rounded, for `i = 0..=32`.
const KNOTS: [i32; 33] = [
    1, 2, 4, 6, 10, 17, 27, 45, 74, 120, 194, 311, 488, 747, 1102, 1546, 2048, 2550, 2994, 3349,
    3608, 3785, 3902, 3976, 4022, 4051, 4069, 4079, 4086, 4090, 4092, 4094, 4095,
];

const fn squash_interp(d: i32) -> i32 {
    if d > 2047 {
        return 4095;
    }
    if d < -2047 {
        return 1;
    }
    let w = d & 127;
    let i = ((d >> 7) + 16) as usize;
    (KNOTS[i] * (128 - w) + KNOTS[i + 1] * w + 64) >> 7
}

const SQUASH: [u16; 4096] = {
    let mut t = [0u16; 4096];
    let mut i = 0;
    while i < 4096 {
        t[i] = squash_interp(i as i32 - 2048) as u16;
        i += 1;
    }
    t
};

/// Two entries of padding (2047) after the 4096: a 32-bit vector gather of the last entry
/// (see `arch`) reads two bytes past it.
pub(crate) static STRETCH: [i16; 4098] = {
    // Inverse of squash: for each p, the smallest d with squash(d) >= p.
    let mut t = [0i16; 4098];
    let mut pi = 0;
    let mut d = -2047;
    while d <= 2047 {
        let v = squash_interp(d);
        while pi <= v {
            t[pi as usize] = d as i16;
            pi += 1;
        }
        d += 1;
    }
    while pi < 4098 {
        t[pi as usize] = 2047;
        pi += 1;
    }
    t
};

/// The logistic function: a stretched value (clamped to ±2047) to a 12-bit probability in
/// `1..=4095`.
#[inline(always)]
pub fn squash(d: i32) -> i32 {
    SQUASH[(d.clamp(-2047, 2047) + 2048) as usize] as i32
}

/// The logit: a 12-bit probability to a stretched value in `−2047..=2047`.
#[inline(always)]
pub fn stretch(p: i32) -> i32 {
    STRETCH[p.clamp(0, 4095) as usize] as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn squash_is_monotone_and_symmetric() {
        for d in -2046..2047 {
            assert!(squash(d) <= squash(d + 1));
            assert!((squash(d) + squash(-d) - 4096).abs() <= 1, "{d}");
        }
        assert_eq!(squash(0), 2048);
    }

    #[test]
    fn stretch_inverts_squash() {
        for p in 1..4096 {
            let d = stretch(p);
            assert!(squash(d) >= p, "{p}");
            assert!(d == -2047 || squash(d - 1) < p);
        }
        // The curve matches the real logit within the knots' resolution.
        for p in [100, 1000, 2048, 3000, 4000] {
            let exact = ((p as f64 / 4096.0) / (1.0 - p as f64 / 4096.0)).ln() * 256.0;
            assert!(
                (stretch(p) as f64 - exact).abs() < 24.0,
                "{p}: {} vs {exact}",
                stretch(p)
            );
        }
    }
}
