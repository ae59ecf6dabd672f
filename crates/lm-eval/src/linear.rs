//! Linear layers whose weight is a *representation* that computes its own product.
//!
//! A compression method replaces a layer's weight with the form it stores (dense,
//! low-rank factors, quantized blocks, a sparse matrix) and the forward pass runs that
//! form: `y = x Wᵀ` is computed by the representation itself, so a compressed model runs
//! compressed, and its bytes and its speed are the compressed ones.
//!
//! # Why a trait object
//!
//! [`LinearWeight`] is a trait and a [`Linear`] holds an `Arc<dyn LinearWeight>` rather
//! than an enum of the known forms:
//!
//! - representations belong with their data: quantized blocks come from `quant-prune`,
//!   factors from `lowrank-svd`, and the facade's methods compose them; a trait lets each
//!   be added where it lives (and tests plug in their own) without `lm-eval` naming them;
//! - the call is at the edge of a whole matrix product (seven per block per forward pass,
//!   each at least `rows × in × out` multiply-adds), so dynamic dispatch costs nothing
//!   measurable; the hot loops stay inside each representation, monomorphic;
//! - `Arc` rather than `Box`: representations are immutable once built (a layer changes
//!   by replacing its representation), so cloning a model shares every weight it has not
//!   replaced instead of copying it.

use crate::{Error, Result};
use faer::{Accum, MatMut, MatRef, Par};
use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

/// The weight of a linear layer, `out × in`, in whatever form it is stored.
///
/// Implementations compute the layer's product themselves ([`forward`](Self::forward))
/// and can expand to the dense matrix ([`to_dense`](Self::to_dense)) for methods that
/// need it.
pub trait LinearWeight: fmt::Debug + Send + Sync {
    /// `(out_features, in_features)`.
    fn shape(&self) -> (usize, usize);

    /// Number of values it stores (for a dense weight, `out × in`; for factors, the
    /// factors' entries).
    fn params(&self) -> usize;

    /// Bytes it stores, metadata (scales, indices, shapes of parts) included.
    fn bytes(&self) -> usize;

    /// `out (rows × out_features) = x (rows × in_features) · Wᵀ`, both row-major; `out`
    /// is overwritten. [`Linear`] checks both lengths before calling.
    fn forward(&self, x: &[f32], rows: usize, out: &mut [f32]);

    /// The dense weight, row-major `out × in`.
    fn to_dense(&self) -> Vec<f32>;

    /// The dense weight without a copy, when that is how it is stored.
    fn as_dense(&self) -> Option<&[f32]> {
        None
    }
}

/// A dense `f32` weight, row-major `out × in`: the representation every layer loads as.
#[derive(Clone, PartialEq)]
pub struct Dense {
    out_features: usize,
    in_features: usize,
    values: Vec<f32>,
}

impl Dense {
    /// A dense weight of `out_features` rows of `in_features` values.
    pub fn new(out_features: usize, in_features: usize, values: Vec<f32>) -> Result<Self> {
        if Some(values.len()) != out_features.checked_mul(in_features) {
            return Err(Error::Shape(format!(
                "dense weight of {} values, expected {out_features}×{in_features}",
                values.len()
            )));
        }
        Ok(Self {
            out_features,
            in_features,
            values,
        })
    }

    /// The values, row-major `out × in`.
    pub fn values(&self) -> &[f32] {
        &self.values
    }

    /// The values, row-major `out × in`, by value.
    pub fn into_values(self) -> Vec<f32> {
        self.values
    }
}

/// Only the shape: a weight's values are too many to print.
impl fmt::Debug for Dense {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Dense({}×{})", self.out_features, self.in_features)
    }
}

impl LinearWeight for Dense {
    fn shape(&self) -> (usize, usize) {
        (self.out_features, self.in_features)
    }

    fn params(&self) -> usize {
        self.values.len()
    }

    fn bytes(&self) -> usize {
        self.values.len() * size_of::<f32>()
    }

    fn forward(&self, x: &[f32], rows: usize, out: &mut [f32]) {
        matmul_transposed(
            out,
            x,
            &self.values,
            rows,
            self.out_features,
            self.in_features,
        );
    }

    fn to_dense(&self) -> Vec<f32> {
        self.values.clone()
    }

    fn as_dense(&self) -> Option<&[f32]> {
        Some(&self.values)
    }
}

/// `c (m × n) = a (m × k) · bᵀ` with `b` row-major `n × k`, on the global rayon pool.
pub(crate) fn matmul_transposed(c: &mut [f32], a: &[f32], b: &[f32], m: usize, n: usize, k: usize) {
    faer::linalg::matmul::matmul(
        MatMut::from_row_major_slice_mut(c, m, n),
        Accum::Replace,
        MatRef::from_row_major_slice(a, m, k),
        MatRef::from_row_major_slice(b, n, k).transpose(),
        1.0,
        Par::rayon(0),
    );
}

/// A named linear layer `y = W x`; its weight is any [`LinearWeight`] of its shape.
#[derive(Debug, Clone)]
pub struct Linear {
    name: String,
    out_features: usize,
    in_features: usize,
    weight: Arc<dyn LinearWeight>,
}

impl Linear {
    /// A layer called `name` with a dense weight.
    pub(crate) fn dense(name: String, weight: Dense) -> Self {
        let (out_features, in_features) = weight.shape();
        Self {
            name,
            out_features,
            in_features,
            weight: Arc::new(weight),
        }
    }

    /// Name, `layers.{i}.{kind}` (e.g. `layers.3.q_proj`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `(out_features, in_features)`.
    pub fn shape(&self) -> (usize, usize) {
        (self.out_features, self.in_features)
    }

    /// Values the weight's representation stores.
    pub fn params(&self) -> usize {
        self.weight.params()
    }

    /// Bytes the weight's representation stores.
    pub fn bytes(&self) -> usize {
        self.weight.bytes()
    }

    /// The weight's representation.
    pub fn representation(&self) -> &dyn LinearWeight {
        &*self.weight
    }

    /// The weight, row-major `out × in`: borrowed when it is stored dense, expanded
    /// otherwise.
    pub fn weight(&self) -> Cow<'_, [f32]> {
        match self.weight.as_dense() {
            Some(w) => Cow::Borrowed(w),
            None => Cow::Owned(self.weight.to_dense()),
        }
    }

    /// Replaces the weight with a dense one of the same shape, e.g. a
    /// quantized-then-dequantized or low-rank reconstruction.
    pub fn set_weight(&mut self, weight: Vec<f32>) -> Result<()> {
        let dense = Dense::new(self.out_features, self.in_features, weight)
            .map_err(|e| Error::Shape(format!("{}: {e}", self.name)))?;
        self.weight = Arc::new(dense);
        Ok(())
    }

    /// Replaces the weight with `weight`, which the forward pass then runs as it is
    /// stored. An error if its shape differs from the layer's.
    pub fn set_representation(&mut self, weight: impl LinearWeight + 'static) -> Result<()> {
        if weight.shape() != self.shape() {
            return Err(Error::Shape(format!(
                "{}: representation of shape {:?}, expected {:?}",
                self.name,
                weight.shape(),
                self.shape()
            )));
        }
        self.weight = Arc::new(weight);
        Ok(())
    }

    /// `y (rows × out) = x (rows × in) · Wᵀ`, computed by the representation.
    pub(crate) fn forward(&self, x: &[f32], rows: usize) -> Vec<f32> {
        assert_eq!(
            x.len(),
            rows * self.in_features,
            "{}: input size",
            self.name
        );
        let mut y = vec![0.0; rows * self.out_features];
        self.weight.forward(x, rows, &mut y);
        y
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_forward_is_x_times_w_transposed() {
        // W (3 × 2), x (2 × 2).
        let w = Dense::new(3, 2, vec![1.0, 2.0, 0.0, -1.0, 0.5, 0.25]).unwrap();
        let l = Linear::dense("t".into(), w);
        let y = l.forward(&[1.0, 1.0, 2.0, -4.0], 2);
        assert_eq!(y, [3.0, -1.0, 0.75, -6.0, 4.0, 0.0]);
        assert_eq!((l.shape(), l.params(), l.bytes()), ((3, 2), 6, 24));
        assert!(matches!(l.weight(), Cow::Borrowed(_)));
    }

    #[test]
    fn wrong_shapes_are_errors() {
        assert!(Dense::new(2, 3, vec![0.0; 5]).is_err());
        assert!(Dense::new(usize::MAX, 2, vec![]).is_err());
        let mut l = Linear::dense(
            "layers.0.q_proj".into(),
            Dense::new(2, 3, vec![0.0; 6]).unwrap(),
        );
        let e = l.set_weight(vec![0.0; 5]).unwrap_err().to_string();
        assert!(e.contains("layers.0.q_proj"), "{e}");
        assert!(
            l.set_representation(Dense::new(3, 2, vec![0.0; 6]).unwrap())
                .is_err()
        );
        l.set_representation(Dense::new(2, 3, vec![1.0; 6]).unwrap())
            .unwrap();
        assert_eq!(&*l.weight(), &[1.0; 6]);
    }

    /// `W = u vᵀ` stored as its two factors.
    #[derive(Debug)]
    struct RankOne {
        u: Vec<f32>,
        v: Vec<f32>,
    }

    impl LinearWeight for RankOne {
        fn shape(&self) -> (usize, usize) {
            (self.u.len(), self.v.len())
        }
        fn params(&self) -> usize {
            self.u.len() + self.v.len()
        }
        fn bytes(&self) -> usize {
            4 * self.params()
        }
        fn forward(&self, x: &[f32], _rows: usize, out: &mut [f32]) {
            for (xr, yr) in x
                .chunks_exact(self.v.len())
                .zip(out.chunks_exact_mut(self.u.len()))
            {
                let s: f32 = xr.iter().zip(&self.v).map(|(a, b)| a * b).sum();
                yr.iter_mut().zip(&self.u).for_each(|(y, u)| *y = s * u);
            }
        }
        fn to_dense(&self) -> Vec<f32> {
            self.u
                .iter()
                .flat_map(|u| self.v.iter().map(move |v| u * v))
                .collect()
        }
    }

    #[test]
    fn a_custom_representation_runs_and_reports_its_own_size() {
        let mut l = Linear::dense("t".into(), Dense::new(3, 2, vec![0.0; 6]).unwrap());
        l.set_representation(RankOne {
            u: vec![1.0, -2.0, 3.0],
            v: vec![0.5, 4.0],
        })
        .unwrap();
        assert_eq!((l.params(), l.bytes()), (5, 20));
        assert_eq!(&*l.weight(), &[0.5, 4.0, -1.0, -8.0, 1.5, 12.0]);
        assert!(matches!(l.weight(), Cow::Owned(_)));
        // x = [2, 1]: v·x = 5.
        assert_eq!(l.forward(&[2.0, 1.0], 1), [5.0, -10.0, 15.0]);
    }
}
