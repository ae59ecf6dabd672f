//! Logistic mixing.
//!
//! Layer 1 holds several *selectors*; each picks one weight vector by its own small context
//! (the partial byte, the match state, …) and computes `Σ wᵢ·xᵢ` over the stretched inputs.
//! Layer 2 mixes the selectors' outputs with one more weight vector. Every weight vector
//! learns online by gradient descent on coding cost: `w += η·(bit − p)·x`, the gradient of
//! −log2 p for a logistic model. Weights are 16.16 fixed point, sums are 64-bit, so results
//! are identical on every platform.

use crate::{Inputs, squash, stretch};

/// A two-layer logistic mixer.
#[derive(Debug, Clone)]
pub struct Mixer {
    n: usize,
    sizes: Vec<usize>,
    offsets: Vec<usize>,
    weights: Vec<i32>,
    selected: Vec<usize>,
    out: Vec<i32>,
    out_p: Vec<i32>,
    final_w: Vec<i32>,
    final_sets: usize,
    final_sel: usize,
    pr: i32,
    lr: i32,
    lr_final: i32,
}

impl Mixer {
    /// A mixer over `n_inputs` inputs with one layer-1 selector per entry of `selector_sizes`
    /// (the number of contexts that selector distinguishes), and a layer 2 whose weight
    /// vector is chosen among `final_sets`. `lr` is the learning rate in 1/16 steps
    /// (around 4‥64; 16 means η ≈ 1/64 in real units).
    pub fn new(n_inputs: usize, selector_sizes: &[usize], final_sets: usize, lr: i32) -> Self {
        let n = n_inputs + 1; // + bias input
        let mut offsets = Vec::with_capacity(selector_sizes.len());
        let mut total = 0;
        for &s in selector_sizes {
            offsets.push(total);
            total += s.max(1) * n;
        }
        let k = selector_sizes.len().max(1);
        let w0 = (65536 / n_inputs.max(1) as i32).max(1) * 2;
        Self {
            n,
            sizes: selector_sizes.iter().map(|&s| s.max(1)).collect(),
            offsets,
            weights: vec![w0; total],
            selected: vec![0; k],
            out: vec![0; k],
            out_p: vec![2048; k],
            final_w: vec![65536 / k as i32; k * final_sets.max(1)],
            final_sets: final_sets.max(1),
            final_sel: 0,
            pr: 2048,
            lr,
            lr_final: lr.max(2) / 2,
        }
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
    fn dot(w: &[i32], x: &[i32]) -> i32 {
        let s: i64 = w.iter().zip(x).map(|(&w, &x)| w as i64 * x as i64).sum();
        (s >> 16).clamp(-2047, 2047) as i32
    }

    #[inline(always)]
    fn train(w: &mut [i32], x: &[i32], err: i32) {
        for (w, &x) in w.iter_mut().zip(x) {
            *w = (*w as i64 + ((x as i64 * err as i64) >> 14)).clamp(-(1 << 22), 1 << 22) as i32;
        }
    }

    /// Mixes `x` (exactly [`inputs`](Self::inputs) values; a bias is appended here) with
    /// the weight sets chosen by `contexts` (one per selector, each taken modulo its size)
    /// and the layer-2 set `final_ctx`; returns a 12-bit probability of a 1.
    pub fn mix(&mut self, x: &mut Inputs, contexts: &[usize], final_ctx: usize) -> i32 {
        x.add(256);
        let xs = x.as_slice();
        debug_assert_eq!(xs.len(), self.n);
        let n = self.n;
        for (k, sel) in self.selected.iter_mut().enumerate() {
            let c = contexts.get(k).copied().unwrap_or(0) % self.sizes[k];
            *sel = self.offsets[k] + c * n;
            let d = Self::dot(&self.weights[*sel..*sel + n], &xs[..n]);
            self.out[k] = d;
            self.out_p[k] = squash(d);
        }
        let k = self.out.len();
        self.final_sel = (final_ctx % self.final_sets) * k;
        let d = Self::dot(&self.final_w[self.final_sel..self.final_sel + k], &self.out);
        self.pr = squash(d);
        self.pr
    }

    /// The last mixed probability, 12-bit.
    pub fn p(&self) -> i32 {
        self.pr
    }

    /// Learns `bit` for the inputs of the last [`mix`](Self::mix).
    pub fn update(&mut self, x: &Inputs, bit: bool) {
        let y = (bit as i32) << 12;
        let xs = x.as_slice();
        let n = self.n;
        for k in 0..self.selected.len() {
            let err = (y - self.out_p[k]) * self.lr;
            let s = self.selected[k];
            Self::train(&mut self.weights[s..s + n], &xs[..n], err);
        }
        let k = self.out.len();
        let err = (y - self.pr) * self.lr_final;
        let s = self.final_sel;
        Self::train(&mut self.final_w[s..s + k], &self.out, err);
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
    idx: usize,
    w: i32,
    rate: u32,
}

impl Apm {
    /// An APM over `contexts` contexts; `rate` (4‥8) sets the learning speed `2^-rate`.
    pub fn new(contexts: usize, rate: u32) -> Self {
        let mut t = Vec::with_capacity(contexts.max(1) * 33);
        for _ in 0..contexts.max(1) {
            for j in 0..33 {
                t.push((squash((j - 16) * 128) * 16) as u16);
            }
        }
        Self {
            t,
            idx: 0,
            w: 0,
            rate: rate.clamp(1, 12),
        }
    }

    /// Refines the 12-bit probability `p` under context `cx` (modulo the number of
    /// contexts); returns a 16-bit probability.
    #[inline]
    pub fn refine(&mut self, p: i32, cx: usize) -> i32 {
        let s = stretch(p) + 2048; // 1..4095
        let lo = (s >> 7) as usize;
        self.w = s & 127;
        self.idx = (cx % (self.t.len() / 33)) * 33 + lo;
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
