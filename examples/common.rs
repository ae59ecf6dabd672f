//! What every method example does after choosing its options: compress, decompress,
//! verify, and report size and speed.

use hiercomp::{CompressOptions, compress, decompress};
use std::time::Instant;

/// Compresses `data` with `opts`, checks the roundtrip, and prints one line.
pub fn run(
    label: &str,
    data: &[u8],
    opts: &CompressOptions,
) -> Result<(), Box<dyn std::error::Error>> {
    let t = Instant::now();
    let packed = compress(data, opts)?;
    let ct = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let back = decompress(&packed)?;
    let dt = t.elapsed().as_secs_f64();
    if back != data {
        return Err("roundtrip mismatch".into());
    }
    let n = data.len().max(1) as f64;
    println!(
        "{label}: {} -> {} bytes ({:.2}%, {:.4} bits/byte), compress {:.2} MB/s, decompress {:.2} MB/s",
        data.len(),
        packed.len(),
        100.0 * packed.len() as f64 / n,
        packed.len() as f64 * 8.0 / n,
        n / ct / 1e6,
        n / dt / 1e6
    );
    Ok(())
}
