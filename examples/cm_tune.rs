//! Tuning aid for `cm`: prints the ideal cost (bits per byte) of files under a level's
//! configuration, with overrides given as flags (`--help` lists them):
//!
//! - mixer and counters: `--lr`, `--limit`, `--mixer-skip`, `--selectors`, `--tweedie`;
//! - contexts: `--orders 1,2,3,4,6`, `--sparse-patterns '4;2,3;1,3'`, and which word,
//!   record and text-layout contexts are used, in binary: `--word-contexts 1011`,
//!   `--record-contexts`, `--text-contexts`;
//! - table sizes: `--table-bits`, `--match-bits`, `--high-extra`, `--word-extra`,
//!   `--bucket-bytes`, `--sparse-less`, `--low-less 3,1`, `--side-less`;
//! - ablations, each `0` or `1`: `--word`, `--sparse`, `--record`, `--text`, `--apm`,
//!   `--lean`, `--fast`; `--no-match` turns the match model off.
//!
//! Each flag also answers to the short name of the environment variable it replaces
//! (`--tb`, `--mb`, `--hx`, `--wx`, `--bpb`, `--sl`, `--low`, `--side`, `--sel`, `--skip`,
//! `--spat`, `--wmask`, `--rmask`, `--tmask`).
//!
//! `--mem` also prints each level's model memory for a 16 MiB block; `--speed` runs the
//! real coder (compress, decompress, compare) and prints sizes and speeds instead of ideal
//! costs.
//!
//! ```text
//! cargo run --release -p hiercomp-examples --example cm_tune -- --lr 4 LEVEL FILE...
//! ```

use std::path::PathBuf;
use std::str::FromStr;

use clap::Parser;
use clap::builder::BoolishValueParser;
use hiercomp::methods::cm::{CmConfig, cost_bits, decode_block_with, encode_block_with};

/// Command line.
#[derive(Debug, Parser)]
#[command(
    about = "Ideal cost (or real coding speed) of files under a cm level's configuration, with overrides"
)]
struct Args {
    /// The level whose configuration is the starting point (1..=9).
    level: u8,
    /// Files to measure.
    files: Vec<PathBuf>,

    /// Also print each level's model memory for a 16 MiB block.
    #[arg(long)]
    mem: bool,
    /// Run the real coder (compress, decompress, compare) and print sizes and speeds
    /// instead of ideal costs.
    #[arg(long)]
    speed: bool,

    /// Mixer learning rate (for small and large blocks alike).
    #[arg(long, help_heading = "Mixer and counters")]
    lr: Option<i32>,
    /// Count limit of the context counters.
    #[arg(long, help_heading = "Mixer and counters")]
    limit: Option<u32>,
    /// Layer-1 mixer errors too small to train on.
    #[arg(long, alias = "skip", help_heading = "Mixer and counters")]
    mixer_skip: Option<i32>,
    /// Number of mixer weight-set selectors (1..=5).
    #[arg(long, alias = "sel", help_heading = "Mixer and counters")]
    selectors: Option<usize>,
    /// Steps of the Tweedie calibrator (0: off).
    #[arg(long, help_heading = "Mixer and counters")]
    tweedie: Option<usize>,

    /// Orders of the hashed context models, comma separated.
    #[arg(long, value_delimiter = ',', help_heading = "Contexts")]
    orders: Option<Vec<usize>>,
    /// Sparse patterns: `;`-separated lists of distances back, as `4;2,3;1,3`.
    #[arg(
        long,
        alias = "spat",
        value_name = "PATTERNS",
        help_heading = "Contexts"
    )]
    sparse_patterns: Option<SparsePatterns>,
    /// Which of the word model's contexts are used, in binary (bit i: context i), as `1011`.
    #[arg(long, alias = "wmask", value_parser = parse_mask, value_name = "BITS", help_heading = "Contexts")]
    word_contexts: Option<u8>,
    /// Which of the record model's contexts are used, in binary.
    #[arg(long, alias = "rmask", value_parser = parse_mask, value_name = "BITS", help_heading = "Contexts")]
    record_contexts: Option<u8>,
    /// Which of the text-layout model's contexts are used, in binary.
    #[arg(long, alias = "tmask", value_parser = parse_mask, value_name = "BITS", help_heading = "Contexts")]
    text_contexts: Option<u8>,

    /// Buckets per context table, log2.
    #[arg(long, alias = "tb", help_heading = "Table sizes")]
    table_bits: Option<u32>,
    /// Match-model table bits (0 turns the match model off).
    #[arg(
        long,
        alias = "mb",
        conflicts_with = "no_match",
        help_heading = "Table sizes"
    )]
    match_bits: Option<u32>,
    /// Extra bits for the tables of orders 5 and up and of the word model.
    #[arg(long, alias = "hx", help_heading = "Table sizes")]
    high_extra: Option<u32>,
    /// Extra bits for the word model's tables.
    #[arg(long, alias = "wx", help_heading = "Table sizes")]
    word_extra: Option<u32>,
    /// Input bytes per table bucket, log2.
    #[arg(long, alias = "bpb", help_heading = "Table sizes")]
    bucket_bytes: Option<u32>,
    /// Fewer bits for the sparse tables.
    #[arg(long, alias = "sl", help_heading = "Table sizes")]
    sparse_less: Option<u32>,
    /// Fewer bits for the tables of orders 2 and 3, as `3,1`.
    #[arg(long, alias = "low", value_parser = parse_pair, value_name = "A,B", help_heading = "Table sizes")]
    low_less: Option<[u32; 2]>,
    /// Fewer bits for the record and text-layout tables.
    #[arg(long, alias = "side", help_heading = "Table sizes")]
    side_less: Option<u32>,

    /// Word model on (1) or off (0).
    #[arg(long, value_parser = BoolishValueParser::new(), value_name = "0|1", help_heading = "Ablations")]
    word: Option<bool>,
    /// Sparse model on (1) or off (0).
    #[arg(long, value_parser = BoolishValueParser::new(), value_name = "0|1", help_heading = "Ablations")]
    sparse: Option<bool>,
    /// Record (column) model on (1) or off (0).
    #[arg(long, value_parser = BoolishValueParser::new(), value_name = "0|1", help_heading = "Ablations")]
    record: Option<bool>,
    /// Text-layout model on (1) or off (0).
    #[arg(long, value_parser = BoolishValueParser::new(), value_name = "0|1", help_heading = "Ablations")]
    text: Option<bool>,
    /// APM stages on (1) or off (0).
    #[arg(long, value_parser = BoolishValueParser::new(), value_name = "0|1", help_heading = "Ablations")]
    apm: Option<bool>,
    /// Lean order-N models on (1) or off (0).
    #[arg(long, value_parser = BoolishValueParser::new(), value_name = "0|1", help_heading = "Ablations")]
    lean: Option<bool>,
    /// The dedicated lean pipeline on (1) or off (0).
    #[arg(long, value_parser = BoolishValueParser::new(), value_name = "0|1", help_heading = "Ablations")]
    fast: Option<bool>,
    /// Turn the match model off.
    #[arg(long, help_heading = "Ablations")]
    no_match: bool,
}

/// Sparse patterns, `;`-separated lists of comma-separated distances.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SparsePatterns(Vec<Vec<usize>>);

impl FromStr for SparsePatterns {
    type Err = std::num::ParseIntError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.split(';')
            .map(|p| p.split(',').map(str::parse).collect::<Result<_, _>>())
            .collect::<Result<_, _>>()
            .map(SparsePatterns)
    }
}

/// A context mask written in binary, as `1011`.
fn parse_mask(s: &str) -> Result<u8, String> {
    u8::from_str_radix(s, 2).map_err(|e| format!("{s:?} is not a binary mask of up to 8 bits: {e}"))
}

/// Two numbers, as `3,1`.
fn parse_pair(s: &str) -> Result<[u32; 2], String> {
    let l: Vec<u32> = s
        .split(',')
        .map(str::parse)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{s:?}: {e}"))?;
    match l[..] {
        [a, b] => Ok([a, b]),
        _ => Err(format!("{s:?}: two numbers expected, as 3,1")),
    }
}

impl Args {
    /// The level's configuration with the overrides applied.
    fn config(&self) -> Result<CmConfig, Box<dyn std::error::Error>> {
        let mut cfg = CmConfig::for_level(self.level)?;
        if let Some(lr) = self.lr {
            cfg.lr = lr;
            cfg.lr_large = lr;
        }
        for (value, field) in [
            (self.word, &mut cfg.word),
            (self.sparse, &mut cfg.sparse),
            (self.record, &mut cfg.record),
            (self.text, &mut cfg.text),
            (self.apm, &mut cfg.apm),
            (self.lean, &mut cfg.lean),
            (self.fast, &mut cfg.fast),
        ] {
            if let Some(v) = value {
                *field = v;
            }
        }
        if self.no_match {
            cfg.match_bits = 0;
        }
        for (value, field) in [
            (self.word_contexts, &mut cfg.word_contexts),
            (self.record_contexts, &mut cfg.record_contexts),
            (self.text_contexts, &mut cfg.text_contexts),
        ] {
            if let Some(v) = value {
                *field = v;
            }
        }
        for (value, field) in [
            (self.limit, &mut cfg.limit),
            (self.word_extra, &mut cfg.word_extra),
            (self.bucket_bytes, &mut cfg.bucket_bytes),
            (self.high_extra, &mut cfg.high_extra),
            (self.sparse_less, &mut cfg.sparse_less),
            (self.side_less, &mut cfg.side_less),
            (self.table_bits, &mut cfg.table_bits),
            (self.match_bits, &mut cfg.match_bits),
        ] {
            if let Some(v) = value {
                *field = v;
            }
        }
        if let Some(v) = self.tweedie {
            cfg.tweedie = v;
        }
        if let Some(v) = self.selectors {
            cfg.selectors = v;
        }
        if let Some(v) = self.mixer_skip {
            cfg.mixer_skip = v;
        }
        if let Some(v) = self.low_less {
            cfg.low_less = v;
        }
        if let Some(v) = &self.orders {
            cfg.orders.clone_from(v);
        }
        if let Some(SparsePatterns(v)) = &self.sparse_patterns {
            cfg.sparse_patterns.clone_from(v);
        }
        Ok(cfg)
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let cfg = args.config()?;
    if args.mem {
        for l in 1..=9 {
            let m = CmConfig::for_level(l)?.memory(16 << 20);
            println!(
                "level {l}: {:.0} MiB for a 16 MiB block",
                m as f64 / (1 << 20) as f64
            );
        }
    }
    let (mut tb, mut tn) = (0.0, 0usize);
    let (mut tc, mut td) = (0.0, 0.0);
    for path in &args.files {
        let f = path.display();
        let data = std::fs::read(path).map_err(|e| format!("{f}: {e}"))?;
        if args.speed {
            // Real coding: compress, then decompress and compare.
            let t = std::time::Instant::now();
            let packed = encode_block_with(&data, &cfg, &mut |_| {})?;
            let c = t.elapsed().as_secs_f64();
            let t = std::time::Instant::now();
            let back = decode_block_with(&packed, data.len(), &cfg, &mut |_| {})?;
            let d = t.elapsed().as_secs_f64();
            if back != data {
                return Err(format!("{f}: roundtrip mismatch").into());
            }
            println!(
                "{f}: {:.4} bpb {} bytes comp {:.2} MB/s dec {:.2} MB/s",
                packed.len() as f64 * 8.0 / data.len() as f64,
                packed.len(),
                data.len() as f64 / c / 1e6,
                data.len() as f64 / d / 1e6
            );
            tb += packed.len() as f64 * 8.0;
            tn += data.len();
            tc += c;
            td += d;
            continue;
        }
        let t = std::time::Instant::now();
        let bits = cost_bits(&data, &cfg);
        println!(
            "{f}: {:.4} bpb {:.0} bytes {:.2} MB/s",
            bits / data.len() as f64,
            bits / 8.0,
            data.len() as f64 / t.elapsed().as_secs_f64() / 1e6
        );
        tb += bits;
        tn += data.len();
    }
    println!("total: {:.4} bpb", tb / tn.max(1) as f64);
    if args.speed {
        println!(
            "total: comp {:.2} MB/s dec {:.2} MB/s",
            tn as f64 / tc / 1e6,
            tn as f64 / td / 1e6
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(extra: &[&str]) -> Args {
        let mut argv = vec!["cm_tune", "5"];
        argv.extend_from_slice(extra);
        Args::try_parse_from(argv).unwrap()
    }

    #[test]
    fn no_flag_keeps_the_level_configuration() {
        let base = CmConfig::for_level(5).unwrap();
        let cfg = parse(&[]).config().unwrap();
        assert_eq!(cfg, base);
    }

    #[test]
    fn flags_and_their_old_short_names_set_the_fields() {
        let cfg = parse(&[
            "--lr",
            "4",
            "--tb",
            "18",
            "--word",
            "0",
            "--apm",
            "1",
            "--wmask",
            "1011",
            "--spat",
            "4;2,3",
            "--low",
            "3,1",
            "--orders",
            "1,2,6",
            "--no-match",
        ])
        .config()
        .unwrap();
        assert_eq!((cfg.lr, cfg.lr_large), (4, 4));
        assert_eq!(cfg.table_bits, 18);
        assert!(!cfg.word && cfg.apm);
        assert_eq!(cfg.word_contexts, 0b1011);
        assert_eq!(cfg.sparse_patterns, [vec![4], vec![2, 3]]);
        assert_eq!(cfg.low_less, [3, 1]);
        assert_eq!(cfg.orders, [1, 2, 6]);
        assert_eq!(cfg.match_bits, 0);
    }

    #[test]
    fn malformed_values_are_rejected() {
        for bad in [
            &["--wmask", "102"][..],
            &["--low", "3"],
            &["--spat", "4;x"],
            &["--word", "maybe"],
            &["--no-match", "--match-bits", "20"],
        ] {
            let mut argv = vec!["cm_tune", "5"];
            argv.extend_from_slice(bad);
            assert!(Args::try_parse_from(argv).is_err(), "{bad:?} accepted");
        }
    }
}
