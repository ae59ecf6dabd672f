//! The Tweedie calibrator: Midicoth's "micro-diffusion" denoising step, per binary decision.
//!
//! Tweedie's formula says that the best correction of a noisy estimate is its expected
//! residual given what is observed. Midicoth applies it to each node of the binary tree of
//! a byte: cells indexed by the node's context keep running sums of the predictions `Σp`,
//! the outcomes `Σy` (hits), the count `n` and the squared error `Σ(y − p)²`. The cell's
//! correction is the mean residual `δ = Σy/n − Σp/n`, shrunk by its signal-to-noise ratio
//! `min(1, SNR/4)` with `SNR = |δ| / (σ/√n)`, so that a correction is only trusted once it
//! stands out of the noise. Applied `K` times in a row (each step with its own table, the
//! next step seeing the corrected probability), it is the "diffusion" of the paper.
//!
//! Here the cells are indexed by (step, bit position in the byte, an agreement/confidence
//! class supplied by the caller — e.g. whether the match model agrees — and one of 20 bins
//! of the stretched probability). All sums are integers and the square root is an integer
//! square root, so encoder and decoder agree exactly.

use crate::stretch;

/// Number of logit bins per cell row.
pub const LOGIT_BINS: usize = 20;

#[derive(Debug, Clone, Copy, Default)]
struct Cell {
    /// Σp, 16-bit probabilities.
    sum_p: i64,
    /// Σy · 65536.
    hits: i64,
    /// Σ(y − p)², in 16-bit units squared, scaled down by 2^8.
    sq_err: i64,
    n: i64,
}

/// The Tweedie calibrator.
#[derive(Debug, Clone)]
pub struct TweedieCalibrator {
    steps: usize,
    classes: usize,
    cells: Vec<Cell>,
    used: Vec<(usize, i32)>,
    max_n: i64,
}

impl TweedieCalibrator {
    /// `steps` refinement steps (Midicoth uses 3) over `classes` agreement classes;
    /// statistics are halved when a cell's count reaches `max_n` (keeps it adaptive).
    pub fn new(steps: usize, classes: usize, max_n: u32) -> Self {
        let steps = steps.clamp(1, 8);
        let classes = classes.max(1);
        Self {
            steps,
            classes,
            cells: vec![Cell::default(); steps * 8 * classes * LOGIT_BINS],
            used: Vec::with_capacity(steps),
            max_n: max_n.max(16) as i64,
        }
    }

    fn bin(p16: i32) -> usize {
        let s = stretch(p16 >> 4) + 2048; // 1..4095
        ((s as usize) * LOGIT_BINS / 4096).min(LOGIT_BINS - 1)
    }

    /// Refines the 16-bit probability `p16` of the bit at `bit_pos` (0‥7) under agreement
    /// class `class`; returns the corrected 16-bit probability.
    pub fn refine(&mut self, p16: i32, bit_pos: u32, class: usize) -> i32 {
        self.used.clear();
        let mut p = p16.clamp(1, 65535);
        for k in 0..self.steps {
            let idx = ((k * 8 + bit_pos as usize % 8) * self.classes + class % self.classes)
                * LOGIT_BINS
                + Self::bin(p);
            self.used.push((idx, p));
            let c = &self.cells[idx];
            if c.n >= 32 {
                let delta = (c.hits - c.sum_p) / c.n; // mean residual, 16-bit units
                // Residual variance: E[r²] − δ², E[r²] = sq_err·2^8/n.
                let var = ((c.sq_err << 8) / c.n - delta * delta).max(1);
                let se = ((var / c.n).max(1) as u64).isqrt() as i64; // σ/√n
                // shrink = min(1, |δ| / (4·se)), applied as δ·shrink.
                let corr = if delta.abs() >= 4 * se {
                    delta
                } else {
                    delta * delta.abs() / (4 * se)
                };
                p = (p as i64 + corr).clamp(1, 65535) as i32;
            }
        }
        p
    }

    /// Learns the coded bit for every step of the last [`refine`](Self::refine).
    pub fn update(&mut self, bit: bool) {
        let y = if bit { 65536i64 } else { 0 };
        for &(idx, p) in &self.used {
            let c = &mut self.cells[idx];
            let r = y - p as i64;
            c.sum_p += p as i64;
            c.hits += y;
            c.sq_err += (r * r) >> 8;
            c.n += 1;
            if c.n >= self.max_n {
                c.sum_p /= 2;
                c.hits /= 2;
                c.sq_err /= 2;
                c.n /= 2;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corrects_a_biased_predictor() {
        // The predictor says 0.5 but ones occur 80% of the time: the calibrator learns it.
        let mut t = TweedieCalibrator::new(3, 1, 4096);
        let mut s = 1u32;
        let mut last = 0;
        for _ in 0..20_000 {
            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let bit = (s >> 8) % 10 < 8;
            last = t.refine(32768, 0, 0);
            t.update(bit);
        }
        assert!((last - 52429).abs() < 2500, "{last}");
    }

    #[test]
    fn leaves_a_calibrated_predictor_alone() {
        let mut t = TweedieCalibrator::new(3, 1, 4096);
        let mut s = 7u32;
        let mut worst = 0;
        for i in 0..50_000 {
            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let bit = (s >> 8) % 4 == 0; // exactly p = 0.25
            let p = t.refine(16384, 0, 0);
            if i > 10_000 {
                worst = worst.max((p - 16384).abs());
            }
            t.update(bit);
        }
        // Shrinkage keeps noise-level corrections small.
        assert!(worst < 2000, "{worst}");
    }
}
