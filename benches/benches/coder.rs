//! Micro-benchmarks of the coding pipeline, one layer at a time.
//!
//! ```text
//! cargo bench -p benches --bench coder
//! ```
//!
//! * `binary_coder`: [`BinaryEncoder`] / [`BinaryDecoder`] at 16-bit precision on 1M bits
//!   drawn with skewed pseudo-random probabilities (throughput in elements = coded bits).
//! * `order_n`: a [`Standalone`] order-2 [`OrderN`] model predicting and learning every
//!   bit of 64 KiB of generated pseudo-text.
//! * `cm`: [`hiercomp::compress`] with `cm` at levels 1 and 5 on the same text.
//!
//! Everything is generated deterministically (a seeded xoshiro generator), so runs are comparable.

use std::hint::black_box;
use std::time::Duration;

use arith_coder::{BinaryDecoder, BinaryEncoder, BitDecoder, BitEncoder};
use criterion::{Criterion, Throughput};
use ctx_models::{BitPredictor, OrderN, Standalone};
use hiercomp::{CompressOptions, Method};

/// Bits coded by the `binary_coder` group.
const BITS: usize = 1 << 20;
/// Bytes of pseudo-text for the model and `cm` groups.
const TEXT_LEN: usize = 64 << 10;

/// The workspace's seeded generator.
struct XorShift(rand_xoshiro::Xoshiro256PlusPlus);

impl XorShift {
    fn new(seed: u64) -> Self {
        use rand_xoshiro::rand_core::SeedableRng;
        XorShift(rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed))
    }
    fn next(&mut self) -> u64 {
        use rand_xoshiro::rand_core::RngCore;
        self.0.next_u64()
    }
}

/// `BITS` (bit, P(1) in 1/65536) pairs. Probabilities are skewed towards the ends, as a
/// good model's are, and each bit is drawn from its own probability, so the coder sees
/// realistic (compressible) input.
fn skewed_bits() -> Vec<(bool, u32)> {
    let mut rng = XorShift::new(0x9e37_79b9_7f4a_7c15);
    (0..BITS)
        .map(|_| {
            // The cube of a uniform value in [0, 1) sits near 0 most of the time; mirror
            // half of them to sit near 1.
            let u = (rng.next() >> 40) as f64 / (1u64 << 24) as f64;
            let q = u * u * u;
            let p = if rng.next() & 1 == 0 { q } else { 1.0 - q };
            let p1 = ((p * 65536.0) as u32).clamp(1, 65535);
            let bit = ((rng.next() >> 48) as u32) < p1;
            (bit, p1)
        })
        .collect()
}

/// `TEXT_LEN` bytes of generated prose (the tour's sample generator).
fn pseudo_text() -> Vec<u8> {
    hiercomp::samples::prose(TEXT_LEN, 0x2545_f491_4f6c_dd1d)
}

fn binary_coder(c: &mut Criterion) {
    let bits = skewed_bits();
    let encoded = {
        let mut enc = BinaryEncoder::<16>::new();
        for &(bit, p1) in &bits {
            enc.encode(bit, p1);
        }
        enc.finish()
    };
    // Sanity: the benchmark measures a working round trip.
    let mut dec = BinaryDecoder::<16>::new(&encoded);
    assert!(bits.iter().all(|&(bit, p1)| dec.decode(p1) == bit));

    let mut g = c.benchmark_group("binary_coder");
    g.throughput(Throughput::Elements(BITS as u64));
    g.bench_function("encode_1M_bits", |b| {
        b.iter(|| {
            let mut enc = BinaryEncoder::<16>::new();
            for &(bit, p1) in &bits {
                enc.encode(bit, p1);
            }
            black_box(enc.finish())
        });
    });
    g.bench_function("decode_1M_bits", |b| {
        b.iter(|| {
            let mut dec = BinaryDecoder::<16>::new(black_box(&encoded));
            let mut ones = 0u32;
            for &(_, p1) in &bits {
                ones += u32::from(dec.decode(p1));
            }
            black_box(ones)
        });
    });
    g.finish();
}

fn order_n(c: &mut Criterion) {
    let text = pseudo_text();
    let mut g = c.benchmark_group("order_n");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("order2_predict_update_64KiB", |b| {
        b.iter(|| {
            let mut model = Standalone::new(OrderN::new(2, 18, 255));
            let mut p_sum = 0u64;
            for &byte in black_box(&text) {
                for k in (0..8).rev() {
                    p_sum += u64::from(model.p1());
                    model.update((byte >> k) & 1 == 1);
                }
            }
            black_box(p_sum)
        });
    });
    g.finish();
}

fn cm(c: &mut Criterion) {
    let text = pseudo_text();
    let mut g = c.benchmark_group("cm");
    g.throughput(Throughput::Bytes(text.len() as u64));
    for level in [1u8, 5] {
        let opts = CompressOptions::new(Method::CM).level(level);
        g.bench_function(format!("compress_level{level}_64KiB"), |b| {
            b.iter(|| hiercomp::compress(black_box(&text), &opts).expect("cm compresses"));
        });
    }
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
}

// Written out rather than with `criterion_group!`/`criterion_main!`, whose generated
// `pub fn` would trip the workspace's `missing_docs` lint.
fn main() {
    let mut c = config().configure_from_args();
    binary_coder(&mut c);
    order_n(&mut c);
    cm(&mut c);
    c.final_summary();
}
