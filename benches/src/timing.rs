//! Best-of-N timing with the contenders alternating inside each repetition.

use std::time::{Duration, Instant};

use crate::Result;

/// One contender's round trip on one input: the compressed size and both wall times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    /// Compressed size in bytes.
    pub bytes: u64,
    /// Compression wall time.
    pub compress: Duration,
    /// Decompression wall time.
    pub decompress: Duration,
}

impl Sample {
    /// Zero bytes, zero time: the start of a sum.
    pub const ZERO: Sample = Sample {
        bytes: 0,
        compress: Duration::ZERO,
        decompress: Duration::ZERO,
    };
}

/// The element-wise sum, for corpus totals.
impl std::ops::Add for Sample {
    type Output = Sample;

    fn add(self, other: Sample) -> Sample {
        Sample {
            bytes: self.bytes + other.bytes,
            compress: self.compress + other.compress,
            decompress: self.decompress + other.decompress,
        }
    }
}

/// Runs `f` once and returns its value with the wall time it took.
pub fn timed<T, E: Into<Box<dyn std::error::Error>>>(
    f: impl FnOnce() -> std::result::Result<T, E>,
) -> Result<(T, Duration)> {
    let start = Instant::now();
    let value = f().map_err(Into::into)?;
    Ok((value, start.elapsed()))
}

/// Measures every contender `repeat` times and keeps, for each, its best compress time
/// and its best decompress time (taken independently) with its size.
///
/// Repetition `r` runs `run(0)`, `run(1)`, … `run(names.len() - 1)` before repetition
/// `r + 1` starts, so no contender gets all its repetitions back to back while the
/// machine is in one state. `run(i)` measures contender `i` once (and checks its round
/// trip). A size that changes between repetitions is an error: the codecs are
/// deterministic, and a changing size means the timings describe different work.
/// `names` only label the errors.
pub fn best_of_interleaved<S: AsRef<str>>(
    repeat: usize,
    names: &[S],
    mut run: impl FnMut(usize) -> Result<Sample>,
) -> Result<Vec<Sample>> {
    if repeat == 0 {
        return Err("the number of repetitions must be at least 1".into());
    }
    let mut best: Vec<Option<Sample>> = vec![None; names.len()];
    for _ in 0..repeat {
        for (i, slot) in best.iter_mut().enumerate() {
            let s = run(i)?;
            *slot = Some(match *slot {
                None => s,
                Some(b) if b.bytes != s.bytes => {
                    return Err(format!(
                        "{}: compressed size changed between repetitions ({} then {} bytes)",
                        names[i].as_ref(),
                        b.bytes,
                        s.bytes
                    )
                    .into());
                }
                Some(b) => Sample {
                    bytes: b.bytes,
                    compress: b.compress.min(s.compress),
                    decompress: b.decompress.min(s.decompress),
                },
            });
        }
    }
    // `repeat >= 1`, so every slot was filled.
    Ok(best.into_iter().flatten().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn contenders_alternate_and_best_times_are_kept_independently() {
        // Contender 0: compress best at repetition 1, decompress best at repetition 0.
        let script = [
            [(10, 50, 20), (7, 5, 5)],
            [(10, 30, 40), (7, 6, 4)],
            [(10, 40, 30), (7, 4, 6)],
        ];
        let mut calls = Vec::new();
        let mut rep = 0;
        let best = best_of_interleaved(3, &["a", "b"], |i| {
            calls.push(i);
            let (bytes, c, d) = script[rep][i];
            if i == 1 {
                rep += 1;
            }
            Ok(Sample {
                bytes,
                compress: ms(c),
                decompress: ms(d),
            })
        })
        .unwrap();
        assert_eq!(calls, [0, 1, 0, 1, 0, 1]);
        assert_eq!(
            best,
            [
                Sample {
                    bytes: 10,
                    compress: ms(30),
                    decompress: ms(20)
                },
                Sample {
                    bytes: 7,
                    compress: ms(4),
                    decompress: ms(4)
                },
            ]
        );
    }

    #[test]
    fn samples_add_element_wise() {
        let a = Sample {
            bytes: 3,
            compress: ms(5),
            decompress: ms(7),
        };
        assert_eq!(
            Sample::ZERO + a + a,
            Sample {
                bytes: 6,
                compress: ms(10),
                decompress: ms(14)
            }
        );
    }

    #[test]
    fn a_changing_size_is_an_error_naming_the_contender() {
        let mut n = 0;
        let e = best_of_interleaved(2, &["zpaq"], |_| {
            n += 1;
            Ok(Sample {
                bytes: n,
                compress: ms(1),
                decompress: ms(1),
            })
        })
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("zpaq: compressed size changed"), "{e}");
    }

    #[test]
    fn zero_repetitions_and_errors_are_reported() {
        assert!(best_of_interleaved(0, &["a"], |_| Ok(Sample::ZERO)).is_err());
        let e = best_of_interleaved(1, &["a"], |_| Err("boom".into())).unwrap_err();
        assert_eq!(e.to_string(), "boom");
    }
}
