//! `hiercomp tour`: every method on built-in sample data.
//!
//! The samples are made here, deterministically, so the tour runs anywhere: prose-like text
//! (a Zipf-distributed vocabulary with punctuation and line breaks), this crate's own
//! source code, a numeric table (CSV), and random bytes (incompressible). When the shared
//! corpora are present (`HIERCOMP_DATA`, or `../shared/data`), `alice29.txt` joins them.

use hiercomp::{CompressOptions, Method, compress, decompress};
use std::path::PathBuf;
use std::time::Instant;

type BoxError = Box<dyn std::error::Error>;

/// A xorshift64* generator: tiny, deterministic, good enough for sample data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
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
    let mut r = Rng(seed | 1);
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
    let mut r = Rng(seed | 1);
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
    let mut r = Rng(seed | 1);
    (0..len).map(|_| r.next() as u8).collect()
}

fn shared_sample() -> Option<(String, Vec<u8>)> {
    let base = std::env::var_os("HIERCOMP_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../shared/data"));
    let path = base.join("text/canterbury/alice29.txt");
    std::fs::read(&path)
        .ok()
        .map(|d| ("alice29.txt".to_string(), d))
}

/// The samples of the tour, by name.
pub fn samples() -> Vec<(String, Vec<u8>)> {
    let mut v = vec![
        ("prose (generated)".to_string(), prose(100_000, 7)),
        ("rust source (this crate)".to_string(), {
            let mut s = include_bytes!("main.rs").to_vec();
            s.extend_from_slice(include_bytes!("samples.rs"));
            s
        }),
        ("csv table (generated)".to_string(), table(2_000, 11)),
        ("random bytes".to_string(), random(50_000, 13)),
    ];
    v.extend(shared_sample());
    v
}

/// Runs every method on every sample, checks the roundtrip, prints a table.
pub fn tour() -> Result<(), BoxError> {
    let mut runs: Vec<(Method, u8)> = Vec::new();
    for &m in Method::ALL {
        let levels = m.levels();
        let mut ls = vec![*levels.start(), m.default_level(), *levels.end()];
        ls.dedup();
        runs.extend(ls.into_iter().map(|l| (m, l)));
    }
    println!(
        "{:<26} {:>9}  {:<9} {:>9} {:>7} {:>10} {:>10}  roundtrip",
        "sample", "bytes", "method", "output", "bpb", "comp MB/s", "dec MB/s"
    );
    let mut failures = 0;
    for (name, data) in samples() {
        for &(m, level) in &runs {
            let opts = CompressOptions::new(m).level(level);
            let t = Instant::now();
            let packed = compress(&data, &opts)?;
            let ct = t.elapsed().as_secs_f64();
            let t = Instant::now();
            let ok = decompress(&packed).map(|d| d == data).unwrap_or(false);
            let dt = t.elapsed().as_secs_f64();
            failures += usize::from(!ok);
            println!(
                "{:<26} {:>9}  {:<9} {:>9} {:>7.3} {:>10.2} {:>10.2}  {}",
                name,
                data.len(),
                format!("{m} -l {level}"),
                packed.len(),
                packed.len() as f64 * 8.0 / data.len() as f64,
                data.len() as f64 / ct.max(1e-9) / 1e6,
                data.len() as f64 / dt.max(1e-9) / 1e6,
                if ok { "ok" } else { "FAILED" }
            );
        }
    }
    if failures > 0 {
        return Err(format!("{failures} roundtrip(s) failed").into());
    }
    Ok(())
}
