//! Calibration capture: per linear layer, statistics of the activations it reads.

use crate::model::{ActivationHook, LinearInput, Llama, parse_linear_name};
use crate::{Error, Result};
use faer::{Accum, MatMut, MatRef, Par};
use std::collections::BTreeMap;

/// Input statistics of every linear layer over a calibration run.
///
/// Layers that read the same activation share one entry (q/k/v read the attention norm
/// output, gate/up the MLP norm output), so the 7 layers of a block hold 4 Gram matrices.
#[derive(Debug, Clone, Default)]
pub struct Calibration {
    /// Tokens the statistics cover.
    pub tokens: usize,
    stats: BTreeMap<(usize, LinearInput), InputStats>,
}

#[derive(Debug, Clone)]
struct InputStats {
    dim: usize,
    gram: Vec<f32>,
    abs_sum: Vec<f64>,
}

impl Calibration {
    /// The Gram matrix `XᵀX` (`in × in`, row-major) of the inputs of the layer called
    /// `name` (`layers.{i}.{kind}`), summed over the calibration tokens.
    pub fn gram(&self, name: &str) -> Option<&[f32]> {
        self.stats_of(name).map(|s| s.gram.as_slice())
    }

    /// Mean absolute value of each input channel of the layer called `name`.
    pub fn mean_abs(&self, name: &str) -> Option<Vec<f32>> {
        let n = self.tokens.max(1) as f64;
        self.stats_of(name)
            .map(|s| s.abs_sum.iter().map(|&a| (a / n) as f32).collect())
    }

    /// Input dimension of the layer called `name`.
    pub fn dim(&self, name: &str) -> Option<usize> {
        self.stats_of(name).map(|s| s.dim)
    }

    fn stats_of(&self, name: &str) -> Option<&InputStats> {
        let (layer, kind) = parse_linear_name(name)?;
        self.stats.get(&(layer, kind.input()))
    }
}

impl ActivationHook for Calibration {
    fn linear_input(&mut self, layer: usize, input: LinearInput, x: &[f32], rows: usize) {
        if rows == 0 {
            return;
        }
        let dim = x.len() / rows;
        let s = self
            .stats
            .entry((layer, input))
            .or_insert_with(|| InputStats {
                dim,
                gram: vec![0.0; dim * dim],
                abs_sum: vec![0.0; dim],
            });
        let xm = MatRef::from_row_major_slice(x, rows, dim);
        faer::linalg::matmul::matmul(
            MatMut::from_row_major_slice_mut(&mut s.gram, dim, dim),
            Accum::Add,
            xm.transpose(),
            xm,
            1.0,
            Par::rayon(0),
        );
        for row in x.chunks_exact(dim) {
            s.abs_sum
                .iter_mut()
                .zip(row)
                .for_each(|(a, v)| *a += f64::from(v.abs()));
        }
    }
}

/// Runs `tokens` through `model` in chunks of `chunk` tokens (full KV cache) and returns
/// every linear layer's input statistics.
pub fn calibrate(model: &Llama, tokens: &[u32], chunk: usize) -> Result<Calibration> {
    if chunk == 0 {
        return Err(Error::Argument("calibration chunk must be ≥ 1".into()));
    }
    let mut cal = Calibration::default();
    let mut cache = kv_cache::FullCache::full(model.config().kv_config());
    for (c, part) in tokens.chunks(chunk).enumerate() {
        model.forward_hidden(part, (c * chunk) as u32, &mut cache, Some(&mut cal))?;
    }
    cal.tokens = tokens.len();
    Ok(cal)
}
