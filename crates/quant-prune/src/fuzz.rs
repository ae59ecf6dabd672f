//! Harness logic of the cargo-fuzz targets of this crate (feature `fuzz`).
//!
//! Each target in `fuzz/fuzz_targets/` is one line calling a function here, so the same
//! checks also run in ordinary tests.

use crate::gguf::Gguf;

/// GGUF parse of arbitrary bytes, then dequantization of every tensor it describes: must
/// return errors or values, never panic, and produce exactly `n_values` values.
pub fn gguf_parse(data: &[u8]) {
    if let Ok(g) = Gguf::parse(data) {
        for t in &g.tensors {
            if let Ok(v) = g.dequantize(t) {
                assert_eq!(v.len() as u64, t.n_values);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn gguf_parse_survives_garbage() {
        use rand_xoshiro::rand_core::{RngCore, SeedableRng};
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(0x9e37_79b9);
        for len in 0..512 {
            let mut data = b"GGUF\x03\0\0\0".to_vec();
            for _ in 0..len {
                let x = rng.next_u64();
                data.push((x >> 56) as u8 & if len % 3 == 0 { 0x03 } else { 0xff });
            }
            super::gguf_parse(&data);
        }
    }
}
