//! Loading `f32`/`f16`/`bf16` tensors of a safetensors file as `f32`.

use crate::{Error, Result};
use half::{bf16, f16};
use safetensors::{Dtype, SafeTensors};

/// One tensor of a safetensors file, converted to `f32`.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedTensor {
    /// Tensor name.
    pub name: String,
    /// Shape, outermost first (row-major).
    pub shape: Vec<usize>,
    /// The stored dtype (`F32`, `F16` or `BF16`).
    pub dtype: Dtype,
    /// The values, row-major.
    pub values: Vec<f32>,
}

/// Every floating-point tensor of a safetensors file held in `bytes`, sorted by name.
/// The `safetensors` crate validates the header and every tensor's extent before we
/// convert; tensors of other dtypes (integer buffers such as BERT's `position_ids`, FP8,
/// f64) are not weights and are left out.
pub fn load_safetensors(bytes: &[u8]) -> Result<Vec<NamedTensor>> {
    let file =
        SafeTensors::deserialize(bytes).map_err(|e| Error::Model(format!("safetensors: {e}")))?;
    let mut out: Vec<NamedTensor> = file
        .tensors()
        .into_iter()
        .filter(|(_, view)| matches!(view.dtype(), Dtype::F32 | Dtype::F16 | Dtype::BF16))
        .map(|(name, view)| {
            let data = view.data();
            let values: Vec<f32> = match view.dtype() {
                Dtype::F32 => f32_values(data),
                Dtype::F16 => data
                    .chunks_exact(2)
                    .map(|b| f16::from_le_bytes([b[0], b[1]]).to_f32())
                    .collect(),
                Dtype::BF16 => data
                    .chunks_exact(2)
                    .map(|b| bf16::from_le_bytes([b[0], b[1]]).to_f32())
                    .collect(),
                other => {
                    return Err(Error::Model(format!(
                        "safetensors: tensor {name} has dtype {other:?}, not f32/f16/bf16"
                    )));
                }
            };
            Ok(NamedTensor {
                shape: view.shape().to_vec(),
                dtype: view.dtype(),
                values,
                name,
            })
        })
        .collect::<Result<_>>()?;
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Little-endian `f32` bytes as values: on a little-endian machine a cast, copied into
/// aligned memory (safetensors aligns no tensor to 4 bytes, so the bytes may not be).
fn f32_values(data: &[u8]) -> Vec<f32> {
    if cfg!(target_endian = "little") {
        bytemuck::pod_collect_to_vec(data)
    } else {
        data.chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use safetensors::tensor::TensorView;

    #[test]
    fn converts_each_float_dtype_and_rejects_bad_files() {
        let f32s: Vec<u8> = [1.5f32, -2.0]
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect();
        let f16s: Vec<u8> = [f16::from_f32(0.25), f16::from_f32(-4.0), f16::from_f32(8.0)]
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect();
        let bf16s: Vec<u8> = [bf16::from_f32(3.0)]
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect();
        let tensors = [
            ("a", TensorView::new(Dtype::F32, vec![2], &f32s).unwrap()),
            ("b", TensorView::new(Dtype::F16, vec![3, 1], &f16s).unwrap()),
            ("c", TensorView::new(Dtype::BF16, vec![1], &bf16s).unwrap()),
        ];
        let bytes = safetensors::serialize(tensors, &None).unwrap();
        let t = load_safetensors(&bytes).unwrap();
        assert_eq!(
            t.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
            ["a", "b", "c"]
        );
        assert_eq!(t[0].values, [1.5, -2.0]);
        assert_eq!(
            (t[1].shape.as_slice(), t[1].values.as_slice()),
            (&[3, 1][..], &[0.25, -4.0, 8.0][..])
        );
        assert_eq!(t[2].values, [3.0]);
        for n in 0..bytes.len() {
            assert!(load_safetensors(&bytes[..n]).is_err(), "prefix {n}");
        }
        let ints = [0u8; 4];
        let bad = safetensors::serialize(
            [("i", TensorView::new(Dtype::I32, vec![1], &ints).unwrap())],
            &None,
        )
        .unwrap();
        assert_eq!(load_safetensors(&bad).unwrap(), []);
    }
}
