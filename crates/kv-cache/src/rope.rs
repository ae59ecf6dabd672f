//! Rotary position embedding (RoPE), ggml's "normal" layout.

/// Rotary position embedding over `head_dim` values: the pair `(x[2i], x[2i+1])` is
/// rotated by the angle `p·θ^(−2i/d)` (adjacent pairs, as llama.cpp applies it to llama
/// GGUF files, whose Q/K weights the converter permuted accordingly).
#[derive(Debug, Clone, PartialEq)]
pub struct Rope {
    inv_freq: Vec<f64>,
}

impl Rope {
    /// RoPE with base `theta` (10,000 in the original paper; SmolLM2 uses 100,000) over
    /// `head_dim` values (even).
    pub fn new(theta: f64, head_dim: usize) -> Self {
        let inv_freq = (0..head_dim / 2)
            .map(|i| theta.powf(-2.0 * i as f64 / head_dim as f64))
            .collect();
        Self { inv_freq }
    }

    /// Values per rotated vector.
    pub fn head_dim(&self) -> usize {
        2 * self.inv_freq.len()
    }

    /// `(cos, sin)` of every pair's angle at `position` (negative positions rotate back).
    pub fn cos_sin(&self, position: i64) -> Vec<(f32, f32)> {
        self.inv_freq
            .iter()
            .map(|f| {
                let a = position as f64 * f;
                (a.cos() as f32, a.sin() as f32)
            })
            .collect()
    }

    /// Rotates `x` (one or more vectors of `head_dim` values) with precomputed angles.
    pub fn apply(x: &mut [f32], cos_sin: &[(f32, f32)]) {
        for v in x.chunks_exact_mut(2 * cos_sin.len()) {
            for (pair, &(c, s)) in v.chunks_exact_mut(2).zip(cos_sin) {
                let (a, b) = (pair[0], pair[1]);
                pair[0] = a * c - b * s;
                pair[1] = a * s + b * c;
            }
        }
    }

    /// Rotates `x` by `delta` positions.
    pub fn rotate(&self, x: &mut [f32], delta: i64) {
        Self::apply(x, &self.cos_sin(delta));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotations_compose_and_keep_norms() {
        let rope = Rope::new(100_000.0, 8);
        let x: Vec<f32> = (0..8).map(|i| i as f32 - 3.5).collect();
        let mut a = x.clone();
        rope.rotate(&mut a, 7);
        rope.rotate(&mut a, 5);
        let mut b = x.clone();
        rope.rotate(&mut b, 12);
        for (p, q) in a.iter().zip(&b) {
            assert!((p - q).abs() < 1e-5);
        }
        let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>();
        assert!((norm(&a) - norm(&x)).abs() < 1e-3);
        rope.rotate(&mut a, -12);
        for (p, q) in a.iter().zip(&x) {
            assert!((p - q).abs() < 1e-5);
        }
        // Position 0 is the identity; the first pair turns by exactly p radians.
        let mut c = x.clone();
        rope.rotate(&mut c, 0);
        assert_eq!(c, x);
        let mut e = vec![1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
        rope.rotate(&mut e, 1);
        assert!((e[0] - 1f32.cos()).abs() < 1e-6 && (e[1] - 1f32.sin()).abs() < 1e-6);
    }

    #[test]
    fn renumbering_equals_rotating_at_the_new_position() {
        let rope = Rope::new(10_000.0, 4);
        let raw = [0.3f32, -1.0, 2.0, 0.5];
        let mut at9 = raw;
        rope.rotate(&mut at9, 9);
        let mut s = crate::HeadStore::new(4);
        s.append(&[9], &[9], &at9, &[0.0; 4], false).unwrap();
        s.renumber(&rope, 0, 2).unwrap();
        let mut at2 = raw;
        rope.rotate(&mut at2, 2);
        for (p, q) in s.keys().iter().zip(&at2) {
            assert!((p - q).abs() < 1e-5);
        }
        assert_eq!(s.positions(), [2]);
        assert!(s.renumber(&rope, 1, 0).is_err());
    }
}
