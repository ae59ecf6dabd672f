//! Property tests: any bits with any probabilities roundtrip, and the coded size stays
//! within 0.1% + a few bytes of the ideal −Σ log2 p.

use arith_coder::{
    BinaryDecoder, BinaryEncoder, BitDecoder, BitEncoder, RangeDecoder, RangeEncoder,
    ideal_cost_bits,
};
use quickcheck::{QuickCheck, TestResult};

fn binary_roundtrip<const P: u32>(bits: Vec<(bool, u16)>) -> TestResult {
    let mut enc = BinaryEncoder::<P>::new();
    let mut ideal = 0.0;
    for &(b, p) in &bits {
        let p = p as u32 >> (16 - P);
        enc.encode(b, p);
        ideal += ideal_cost_bits(b, p, P);
    }
    let out = enc.finish();
    let mut dec = BinaryDecoder::<P>::new(&out);
    for &(b, p) in &bits {
        if dec.decode(p as u32 >> (16 - P)) != b {
            return TestResult::failed();
        }
    }
    if dec.finish() != Ok(out.len()) {
        return TestResult::failed();
    }
    // 4 flushed bytes plus the carry-less coder's rounding loss.
    let bound = ideal * 1.001 + 8.0 * 6.0;
    TestResult::from_bool((out.len() * 8) as f64 <= bound)
}

#[test]
fn binary16_any_bits_any_probabilities() {
    QuickCheck::new()
        .tests(500)
        .max_tests(1000)
        .quickcheck(binary_roundtrip::<16> as fn(Vec<(bool, u16)>) -> TestResult);
}

#[test]
fn binary12_any_bits_any_probabilities() {
    QuickCheck::new()
        .tests(500)
        .max_tests(1000)
        .quickcheck(binary_roundtrip::<12> as fn(Vec<(bool, u16)>) -> TestResult);
}

/// Symbols as (cum, freq, total) drawn from arbitrary u16 triples.
fn range_roundtrip(raw: Vec<(u16, u16, u16)>) -> TestResult {
    let syms: Vec<(u32, u32, u32)> = raw
        .iter()
        .map(|&(a, b, c)| {
            let total = (c as u32 % 65536) + 1;
            let freq = (b as u32 % total) + 1;
            let cum = a as u32 % (total - freq + 1);
            (cum, freq, total)
        })
        .collect();
    let mut enc = RangeEncoder::new();
    let mut ideal = 0.0;
    for &(c, f, t) in &syms {
        enc.encode(c, f, t).unwrap();
        ideal -= (f as f64 / t as f64).log2();
    }
    let out = enc.finish();
    let mut dec = RangeDecoder::new(&out).unwrap();
    for &(c, f, t) in &syms {
        let v = dec.decode_freq(t).unwrap();
        if !(c..c + f).contains(&v) {
            return TestResult::failed();
        }
        dec.decode_update(c, f, t).unwrap();
    }
    if dec.finish() != Ok(out.len()) {
        return TestResult::failed();
    }
    TestResult::from_bool((out.len() * 8) as f64 <= ideal * 1.001 + 8.0 * 6.0)
}

#[test]
fn range_any_frequencies() {
    QuickCheck::new()
        .tests(500)
        .quickcheck(range_roundtrip as fn(Vec<(u16, u16, u16)>) -> TestResult);
}

/// Decoding arbitrary bytes never panics and reports truncation when it reads past them.
fn binary_garbage(bytes: Vec<u8>, probs: Vec<u16>) -> bool {
    let mut dec = BinaryDecoder::<16>::new(&bytes);
    for &p in &probs {
        dec.decode(p as u32);
    }
    match dec.finish() {
        Ok(n) => n <= bytes.len(),
        Err(_) => true,
    }
}

#[test]
fn binary_decoder_survives_garbage() {
    QuickCheck::new()
        .tests(300)
        .quickcheck(binary_garbage as fn(Vec<u8>, Vec<u16>) -> bool);
}
