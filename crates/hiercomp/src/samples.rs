//! Deterministic sample data for the tour, examples, tests and benches.
//!
//! Generated, not copied: prose-like text (a Zipf-distributed vocabulary with punctuation
//! and line breaks), a numeric CSV table, random bytes, and a small safetensors file of f32
//! weights. The same seed gives the same bytes on every platform.

use rand_xoshiro::Xoshiro256PlusPlus;
use rand_xoshiro::rand_core::{RngCore, SeedableRng};

/// The workspace's seeded generator (`rand_xoshiro`), with the draws the samples use.
struct Rng(Xoshiro256PlusPlus);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(Xoshiro256PlusPlus::seed_from_u64(seed))
    }
    fn next(&mut self) -> u64 {
        self.0.next_u64()
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

const WORDS: &[&str] = &[
    "the",
    "of",
    "and",
    "to",
    "a",
    "in",
    "that",
    "it",
    "was",
    "he",
    "for",
    "on",
    "are",
    "as",
    "with",
    "his",
    "they",
    "at",
    "be",
    "this",
    "from",
    "have",
    "or",
    "by",
    "one",
    "had",
    "not",
    "but",
    "what",
    "all",
    "were",
    "when",
    "we",
    "there",
    "can",
    "an",
    "your",
    "which",
    "their",
    "said",
    "if",
    "do",
    "will",
    "each",
    "about",
    "how",
    "up",
    "out",
    "them",
    "then",
    "she",
    "many",
    "some",
    "so",
    "these",
    "would",
    "other",
    "into",
    "has",
    "more",
    "her",
    "two",
    "like",
    "him",
    "see",
    "time",
    "could",
    "no",
    "make",
    "than",
    "first",
    "been",
    "its",
    "who",
    "now",
    "people",
    "my",
    "made",
    "over",
    "did",
    "down",
    "only",
    "way",
    "find",
    "use",
    "may",
    "water",
    "long",
    "little",
    "very",
    "after",
    "words",
    "called",
    "just",
    "where",
    "most",
    "know",
    "river",
    "garden",
    "compression",
    "hierarchy",
    "window",
    "morning",
    "letter",
];

/// Prose-like text: Zipf-distributed words, sentences, paragraphs.
pub fn prose(len: usize, seed: u64) -> Vec<u8> {
    let mut r = Rng::new(seed);
    let mut out = Vec::with_capacity(len + 64);
    let mut capital = true;
    let mut col = 0;
    while out.len() < len {
        // Zipf-like: rank ≈ n^(u²) favours the first words.
        let u = r.below(1000) as f64 / 1000.0;
        let rank = ((WORDS.len() as f64).powf(u * u) as usize).saturating_sub(1);
        let w = WORDS[rank.min(WORDS.len() - 1)];
        if capital {
            out.push(w.as_bytes()[0].to_ascii_uppercase());
            out.extend_from_slice(&w.as_bytes()[1..]);
            capital = false;
        } else {
            out.extend_from_slice(w.as_bytes());
        }
        col += w.len() + 1;
        match r.below(20) {
            0 => {
                out.extend_from_slice(b".");
                capital = true;
            }
            1 => out.extend_from_slice(b","),
            _ => {}
        }
        if col > 66 {
            out.push(b'\n');
            col = 0;
            if r.below(12) == 0 {
                out.push(b'\n');
            }
        } else {
            out.push(b' ');
        }
    }
    out.truncate(len);
    out
}

/// A numeric table: ids, dates, readings with a drift, categories.
pub fn table(rows: usize, seed: u64) -> Vec<u8> {
    let mut r = Rng::new(seed);
    let mut out = b"id,date,station,temperature,pressure,status\n".to_vec();
    let mut t = 150i64;
    let mut p = 10130i64;
    for i in 0..rows {
        t += r.below(7) as i64 - 3;
        p += r.below(5) as i64 - 2;
        let day = 1 + i / 24 % 28;
        let station = ["north", "south", "east", "west"][r.below(4) as usize];
        let status = if r.below(50) == 0 { "FAULT" } else { "ok" };
        out.extend_from_slice(
            format!(
                "{},2026-11-{day:02} {:02}:00,{station},{}.{},{}.{},{status}\n",
                1000 + i,
                i % 24,
                t / 10,
                t.rem_euclid(10),
                p / 10,
                p % 10
            )
            .as_bytes(),
        );
    }
    out
}

/// Uniformly random bytes.
pub fn random(len: usize, seed: u64) -> Vec<u8> {
    let mut r = Rng::new(seed);
    (0..len).map(|_| r.next() as u8).collect()
}

/// A small safetensors file with `layers` f32 weight matrices of 256 × 256 values
/// (roughly Gaussian, like trained weights: a sum of four uniforms, scaled per layer) and a
/// bias vector each.
pub fn safetensors_weights(layers: usize, seed: u64) -> Vec<u8> {
    use safetensors::{Dtype, tensor::TensorView};
    let mut r = Rng::new(seed);
    let mut tensors: Vec<(String, Vec<usize>, Vec<u8>)> = Vec::new();
    for l in 0..layers {
        let scale = 0.02 * (1.0 + l as f32 * 0.5);
        for (name, shape) in [("weight", vec![256usize, 256]), ("bias", vec![256])] {
            let n: usize = shape.iter().product();
            let values: Vec<f32> = (0..n)
                .map(|_| {
                    let s: f32 = (0..4)
                        .map(|_| (r.next() >> 40) as f32 / (1u64 << 24) as f32 - 0.5)
                        .sum();
                    s * scale
                })
                .collect();
            let bytes = values.iter().flat_map(|v| v.to_le_bytes()).collect();
            tensors.push((format!("layers.{l}.{name}"), shape, bytes));
        }
    }
    let views = tensors.iter().map(|(name, shape, bytes)| {
        let view = TensorView::new(Dtype::F32, shape.clone(), bytes).expect("shape matches data");
        (name.as_str(), view)
    });
    safetensors::serialize(views, &None).expect("in-memory safetensors")
}

/// A graph with the structure summarizers find in real networks: `communities` dense groups
/// of `size` nodes (each pair joined with probability 0.6), a hub joined to a tenth of all
/// nodes, and sparse random edges between groups. Edges `(u, v)`, `u < v`, no duplicates.
pub fn graph(communities: u32, size: u32, seed: u64) -> Vec<(u32, u32)> {
    let mut r = Rng::new(seed);
    let n = communities * size;
    let mut edges = std::collections::BTreeSet::new();
    for c in 0..communities {
        for u in c * size..(c + 1) * size {
            for v in u + 1..(c + 1) * size {
                if r.below(10) < 6 {
                    edges.insert((u, v));
                }
            }
        }
    }
    for v in 1..n {
        if r.below(10) == 0 {
            edges.insert((0, v));
        }
    }
    for _ in 0..n {
        let (a, b) = (r.below(u64::from(n)) as u32, r.below(u64::from(n)) as u32);
        if a != b {
            edges.insert((a.min(b), a.max(b)));
        }
    }
    edges.into_iter().collect()
}
