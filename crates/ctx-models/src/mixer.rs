//! Logistic mixing.
//!
//! Layer 1 holds several *selectors*; each picks one weight vector by its own small context
//! (the partial byte, the match state, …) and computes `Σ wᵢ·xᵢ` over the stretched inputs.
//! Layer 2 mixes the selectors' outputs with one more weight vector. Every weight vector
//! learns online by gradient descent on coding cost: `w += η·(bit − p)·x`, the gradient of
//! −log2 p for a logistic model. See [`Mixer`] for why its `f32` arithmetic is still
//! reproducible bit for bit.

// Lanes of the dot products: sums run in this many interleaved accumulators, combined in a
// fixed order, so the loops use SIMD (AVX where the CPU has it, see `arch`) while the
// result stays exactly reproducible.
use crate::arch::LANES;
use crate::{Inputs, squash, stretch};

/// A two-layer logistic mixer.
///
/// Weights and sums are `f32`. IEEE 754 addition and multiplication are correctly rounded
/// and Rust never fuses or reorders them, so with the fixed summation order of
/// eight accumulators every platform computes bit-identical predictions — the property a
/// lossless coder needs — while the loops vectorise.
#[derive(Debug, Clone)]
pub struct Mixer {
    n: usize,
    stride: usize,
    /// Number of layer-1 selectors (1‥[`MAX_MIXER_SELECTORS`]).
    k: usize,
    /// Per selector: its number of contexts − 1 and the index in `weights` of its first set.
    last_ctx: [usize; MAX_MIXER_SELECTORS],
    offsets: [usize; MAX_MIXER_SELECTORS],
    weights: Vec<f32>,
    xf: Vec<f32>,
    /// Per layer-1 selector (the first `k`): the index in `weights` of the set it
    /// chose for the current bit, that set's output in the stretched domain, and squashed.
    selected: [usize; MAX_MIXER_SELECTORS],
    outf: [f32; MAX_MIXER_SELECTORS],
    out_p: [i32; MAX_MIXER_SELECTORS],
    final_w: Vec<f32>,
    final_sets: usize,
    final_sel: usize,
    pr: i32,
    /// `pr` in the stretched domain.
    st: i32,
    lr: i32,
    lr_final: i32,
    updates: u32,
    /// η of the current 64 updates.
    scale: f32,
    /// Layer-1 weight sets whose error is at most this (12-bit probability units) do not
    /// learn, see [`with_skip`](Self::with_skip).
    skip: i32,
    /// Whether the AVX versions of the loops run (same results, see `arch`).
    avx: bool,
}

/// The most layer-1 selectors a [`Mixer`] takes.
pub const MAX_MIXER_SELECTORS: usize = 8;

/// Runs `$self.$f::<K>(args)` with `K` the mixer's number of selectors (1‥8), so that the
/// per-bit loops over the selectors have a fixed length.
macro_rules! by_selectors {
    ($self:ident.$f:ident($($a:expr),*)) => {
        match $self.k {
            1 => $self.$f::<1>($($a),*),
            2 => $self.$f::<2>($($a),*),
            3 => $self.$f::<3>($($a),*),
            4 => $self.$f::<4>($($a),*),
            5 => $self.$f::<5>($($a),*),
            6 => $self.$f::<6>($($a),*),
            7 => $self.$f::<7>($($a),*),
            _ => $self.$f::<8>($($a),*),
        }
    };
}

impl Mixer {
    /// A mixer over `n_inputs` inputs with one layer-1 selector per entry of `selector_sizes`
    /// (the number of contexts that selector distinguishes), and a layer 2 whose weight
    /// vector is chosen among `final_sets`. `lr` is the learning rate in 1/16 steps
    /// (around 4‥64; 16 means η ≈ 1/64 in real units). The rate starts 4× higher and decays
    /// towards `lr` over the first few hundred thousand bits, so that fresh weights move fast
    /// and settled ones are not shaken by noise.
    ///
    /// No selectors at all means one selector of one context (a single weight set).
    ///
    /// # Panics
    /// With more than [`MAX_MIXER_SELECTORS`] selectors.
    pub fn new(n_inputs: usize, selector_sizes: &[usize], final_sets: usize, lr: i32) -> Self {
        assert!(
            selector_sizes.len() <= MAX_MIXER_SELECTORS,
            "a mixer takes at most {MAX_MIXER_SELECTORS} selectors, not {}",
            selector_sizes.len()
        );
        let selector_sizes = if selector_sizes.is_empty() {
            &[1][..]
        } else {
            selector_sizes
        };
        let n = n_inputs + 1; // + bias input
        let stride = n.div_ceil(LANES) * LANES;
        let mut offsets = [0; MAX_MIXER_SELECTORS];
        let mut last_ctx = [0; MAX_MIXER_SELECTORS];
        let mut total = 0;
        for (i, &s) in selector_sizes.iter().enumerate() {
            offsets[i] = total;
            last_ctx[i] = s.max(1) - 1;
            total += s.max(1) * stride;
        }
        let k = selector_sizes.len().max(1);
        let w0 = 2.0 / n_inputs.max(1) as f32;
        let mut weights = vec![w0; total];
        // Padding lanes stay zero (their inputs are zero too).
        for set in weights.chunks_exact_mut(stride) {
            set[n..].fill(0.0);
        }
        Self {
            n,
            stride,
            k: selector_sizes.len(),
            last_ctx,
            offsets,
            weights,
            xf: vec![0.0; stride],
            selected: [0; MAX_MIXER_SELECTORS],
            outf: [0.0; MAX_MIXER_SELECTORS],
            out_p: [2048; MAX_MIXER_SELECTORS],
            final_w: vec![1.0 / k as f32; k * final_sets.max(1)],
            final_sets: final_sets.max(1),
            final_sel: 0,
            pr: 2048,
            st: 0,
            lr,
            lr_final: lr.max(2) / 2,
            updates: 0,
            scale: 0.0,
            skip: 0,
            avx: crate::arch::has_avx(),
        }
    }

    /// Leaves a layer-1 weight set untrained on a bit where its own prediction was within
    /// `err` of the coded bit (in 12-bit probability units; 0, the default, trains on every
    /// error but a zero one).
    ///
    /// A set whose inputs are saturated predicts at most 4095/4096 and so sees an error of
    /// at least 1 on every bit it gets right: trained on it, its weights keep growing along
    /// inputs that are already decisive, and it becomes overconfident where the data
    /// changes. Skipping the small errors stops that drift. Measured for `cm -l 9` with
    /// `err` = 64: Canterbury and Calgary 0.12% smaller, kennedy.xls 1.8%, the first 1.5 MB
    /// of Silesia xml 0.8% (see `docs/methods/cm.md`).
    pub fn with_skip(mut self, err: i32) -> Self {
        self.skip = err.max(0);
        self
    }

    /// Number of inputs expected (not counting the bias).
    pub fn inputs(&self) -> usize {
        self.n - 1
    }

    /// Memory used by the weights, in bytes.
    pub fn memory(&self) -> usize {
        (self.weights.len() + self.final_w.len()) * 4
    }

    #[inline(always)]
    fn to_stretch(d: f32) -> i32 {
        if d.is_nan() {
            0
        } else {
            d.clamp(-2047.0, 2047.0) as i32
        }
    }

    /// Mixes `x` (exactly [`inputs`](Self::inputs) values; a bias is appended here) with
    /// the weight sets chosen by `contexts` (one per selector, each capped to its size − 1)
    /// and the layer-2 set `final_ctx` (capped likewise); returns a 12-bit probability of
    /// a 1.
    pub fn mix(&mut self, x: &mut Inputs, contexts: &[usize], final_ctx: usize) -> i32 {
        x.add(256);
        let xs = x.as_slice();
        debug_assert_eq!(xs.len(), self.n);
        let xs = &xs[..xs.len().min(self.n)];
        by_selectors!(self.mix_k(xs, contexts, final_ctx))
    }

    /// [`mix`](Self::mix) with `K` selectors.
    #[inline(always)]
    fn mix_k<const K: usize>(&mut self, xs: &[i32], contexts: &[usize], final_ctx: usize) -> i32 {
        let stride = self.stride;
        let sel: [usize; K] = std::array::from_fn(|k| {
            let c = contexts.get(k).copied().unwrap_or(0).min(self.last_ctx[k]);
            self.offsets[k] + c * stride
        });
        let dots = crate::arch::mix_sets(xs, &mut self.xf, &self.weights, sel, self.avx);
        let outf = dots.map(|f| Self::to_stretch(f) as f32);
        self.selected[..K].copy_from_slice(&sel);
        self.outf[..K].copy_from_slice(&outf);
        for (p, &f) in self.out_p[..K].iter_mut().zip(&outf) {
            *p = squash(f as i32);
        }
        self.final_sel = final_ctx.min(self.final_sets - 1) * K;
        let w = &self.final_w[self.final_sel..self.final_sel + K];
        let mut d = 0f32;
        for (w, x) in w.iter().zip(&outf) {
            d += w * x;
        }
        self.st = Self::to_stretch(d);
        self.pr = squash(self.st);
        self.pr
    }

    /// The last mixed probability in the stretched domain (what [`mix`](Self::mix)
    /// squashed).
    pub fn st(&self) -> i32 {
        self.st
    }

    /// The last mixed probability, 12-bit.
    pub fn p(&self) -> i32 {
        self.pr
    }

    /// Learns `bit` for the inputs of the last [`mix`](Self::mix).
    pub fn update(&mut self, _x: &Inputs, bit: bool) {
        let y = (bit as i32) << 12;
        // lr · (1 + 3·D/(D + t)), D = 2^17 bits; η = lr · 2^-30 per stretch unit and
        // 12-bit probability unit (the scale of the former 16.16 fixed-point mixer).
        // The rate is recomputed every 64 bits (a division per bit cost ≈ 3% at `cm -l 9`).
        if self.updates % 64 == 0 {
            let lr = self.lr
                + ((3 * self.lr as i64 * (1 << 17)) / ((1 << 17) + self.updates as i64 + 1)) as i32;
            self.scale = lr as f32 * (1.0 / (1u64 << 30) as f32);
        }
        self.updates = self.updates.saturating_add(1);
        by_selectors!(self.train_k(y))
    }

    /// The training of [`update`](Self::update) with `K` selectors.
    #[inline(always)]
    fn train_k<const K: usize>(&mut self, y: i32) {
        let scale = self.scale;
        let sel: [usize; K] = std::array::from_fn(|k| self.selected[k]);
        let err: [f32; K] = std::array::from_fn(|k| {
            let err = y - self.out_p[k];
            if err.abs() <= self.skip {
                0.0
            } else {
                err as f32 * scale
            }
        });
        crate::arch::train_sets(&mut self.weights, sel, err, &self.xf, self.avx);
        let e = (y - self.pr) as f32 * (self.lr_final as f32 * (1.0 / (1u64 << 30) as f32));
        let s = self.final_sel;
        for (w, x) in self.final_w[s..s + K].iter_mut().zip(&self.outf[..K]) {
            *w += x * e;
        }
    }
}

/// An adaptive probability map (APM, also "SSE"): refines a probability under a context.
///
/// For each context it keeps 33 probabilities at evenly spaced points of the stretched
/// input; the output interpolates the two points around the input, and learning moves both
/// towards the coded bit in proportion to their interpolation weights.
#[derive(Debug, Clone)]
pub struct Apm {
    t: Vec<u16>,
    /// Number of contexts − 1 when it is a power of two (a mask), else 0.
    mask: usize,
    idx: usize,
    w: i32,
    rate: u32,
}

impl Apm {
    /// An APM over `contexts` contexts; `rate` (4‥8) sets the learning speed `2^-rate`.
    pub fn new(contexts: usize, rate: u32) -> Self {
        let mut t = Vec::with_capacity(contexts.max(1) * 33);
        // Big APMs are read at random: huge pages, advised before the first write.
        crate::arch::advise_huge_pages(t.spare_capacity_mut());
        // Every context starts as the identity: one row, copied.
        let row: [u16; 33] = std::array::from_fn(|j| (squash((j as i32 - 16) * 128) * 16) as u16);
        for _ in 0..contexts.max(1) {
            t.extend_from_slice(&row);
        }
        let n = contexts.max(1);
        Self {
            t,
            mask: if n.is_power_of_two() { n - 1 } else { 0 },
            idx: 0,
            w: 0,
            rate: rate.clamp(1, 12),
        }
    }

    /// Hints the memory system that [`refine`](Self::refine) will read context `cx` soon
    /// (its 33 points span two cache lines); changes nothing.
    #[inline]
    pub fn prefetch(&self, cx: usize) {
        let i = self.row(cx);
        crate::arch::prefetch(&self.t[i]);
        crate::arch::prefetch(&self.t[i + 32]);
    }

    /// The index of the first point of context `cx` (taken modulo the number of contexts).
    #[inline(always)]
    fn row(&self, cx: usize) -> usize {
        let cx = if self.mask != 0 {
            cx & self.mask
        } else {
            cx % (self.t.len() / 33)
        };
        cx * 33
    }

    /// Refines the 12-bit probability `p` under context `cx` (modulo the number of
    /// contexts); returns a 16-bit probability.
    #[inline]
    pub fn refine(&mut self, p: i32, cx: usize) -> i32 {
        self.refine_stretched(stretch(p), cx)
    }

    /// [`refine`](Self::refine) of a probability given stretched (`st`, clamped to ±2047):
    /// saves the table lookup when the caller has it in that domain.
    #[inline]
    pub fn refine_stretched(&mut self, st: i32, cx: usize) -> i32 {
        let s = st.clamp(-2047, 2047) + 2048; // 1..4095
        let lo = (s >> 7) as usize;
        self.w = s & 127;
        self.idx = self.row(cx) + lo;
        (self.t[self.idx] as i32 * (128 - self.w) + self.t[self.idx + 1] as i32 * self.w) >> 7
    }

    /// Learns `bit` for the last [`refine`](Self::refine).
    #[inline]
    pub fn update(&mut self, bit: bool) {
        let target = if bit { 65535 } else { 0 };
        for (i, w) in [(self.idx, 128 - self.w), (self.idx + 1, self.w)] {
            let v = self.t[i] as i32;
            let nv = v + (((target - v) * w) >> (7 + self.rate));
            self.t[i] = nv.clamp(0, 65535) as u16;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mixer_learns_which_input_to_trust() {
        // Input 0 always tells the truth, input 1 always lies.
        let mut m = Mixer::new(2, &[1], 1, 16);
        let mut x = Inputs::with_capacity(2);
        let mut p_last = 0;
        for i in 0..4000 {
            let bit = i % 3 != 0;
            let truth = if bit { 600 } else { -600 };
            x.clear();
            x.add(truth);
            x.add(-truth);
            let p = m.mix(&mut x, &[0], 0);
            if i > 3990 {
                p_last = if bit { p } else { 4096 - p };
            }
            m.update(&x, bit);
        }
        assert!(p_last > 3500, "{p_last}");
    }

    #[test]
    fn skipped_errors_leave_the_weights_alone() {
        // Layer 1 learns nothing when every error is skipped, and learns when none is.
        let run = |skip: i32| {
            let mut m = Mixer::new(2, &[1], 1, 16).with_skip(skip);
            let start = m.weights.clone();
            let mut x = Inputs::with_capacity(2);
            for i in 0..2000 {
                x.clear();
                x.add(300);
                x.add(-300);
                m.mix(&mut x, &[0], 0);
                m.update(&x, i % 4 != 0);
            }
            m.weights != start
        };
        assert!(!run(4096));
        assert!(run(0));
    }

    #[test]
    fn apm_learns_a_miscalibrated_input() {
        // The input claims 0.9, the truth is 0.5.
        let mut a = Apm::new(1, 6);
        let p_in = 3686;
        let mut out = 0;
        for i in 0..20_000 {
            out = a.refine(p_in, 0);
            a.update(i % 2 == 0);
        }
        assert!((out - 32768).abs() < 4000, "{out}");
    }
}
