//! The results of the comparison binaries as data: one struct per report, written with
//! `--json FILE`, read back by `render-results`, which prints them as Markdown tables.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::{RunInfo, Sample};

/// Any report; the JSON carries the binary's name in a `"report"` field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "report", rename_all = "kebab-case")]
pub enum Report {
    /// From `text-peers`.
    TextPeers(TextPeersReport),
    /// From `float-peers`.
    FloatPeers(FloatPeersReport),
    /// From `graph-peers`.
    GraphPeers(GraphPeersReport),
}

impl Report {
    /// The report as Markdown: a provenance line, then its tables.
    pub fn markdown(&self) -> String {
        match self {
            Report::TextPeers(r) => r.markdown(),
            Report::FloatPeers(r) => r.markdown(),
            Report::GraphPeers(r) => r.markdown(),
        }
    }
}

/// How a contender was run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunMode {
    /// A separate program on files: the times include process start-up and file I/O.
    Process,
    /// A library call on bytes in memory.
    InProcess,
}

/// One row of a comparison: what ran and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contender {
    /// The row label.
    pub name: String,
    /// Whether this is hiercomp (as opposed to a peer).
    pub ours: bool,
    /// Process or in-process.
    pub mode: RunMode,
    /// The command line (for a process) or the call (in process) that compresses.
    pub what: String,
    /// The program's version banner or the library's version, when known.
    pub version: Option<String>,
}

/// Size and speed of one contender on one input (or on a corpus, summed over its files).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    /// The contender's name.
    pub contender: String,
    /// Compressed bytes.
    pub bytes: u64,
    /// Compressed / original bytes; `None` for an empty input.
    pub ratio: Option<f64>,
    /// Compressed bits per original byte; `None` for an empty input.
    pub bits_per_byte: Option<f64>,
    /// Compression wall time, seconds (best of the repetitions; for a corpus, the sum of
    /// the files' best times).
    pub compress_s: f64,
    /// Decompression wall time, seconds, likewise.
    pub decompress_s: f64,
    /// Original MB (10^6 bytes) per second of compression; `None` for zero time.
    pub compress_mb_s: Option<f64>,
    /// Original MB per second of decompression; `None` for zero time.
    pub decompress_mb_s: Option<f64>,
}

impl Figures {
    /// The figures of `sample` on `original` input bytes.
    pub fn new(contender: &str, original: u64, sample: Sample) -> Self {
        let per = |x: f64| (original > 0).then(|| x / original as f64);
        let speed = |s: f64| (s > 0.0).then(|| original as f64 / 1e6 / s);
        let compress_s = sample.compress.as_secs_f64();
        let decompress_s = sample.decompress.as_secs_f64();
        Self {
            contender: contender.to_string(),
            bytes: sample.bytes,
            ratio: per(sample.bytes as f64),
            bits_per_byte: per(8.0 * sample.bytes as f64),
            compress_s,
            decompress_s,
            compress_mb_s: speed(compress_s),
            decompress_mb_s: speed(decompress_s),
        }
    }
}

/// `text-peers`: hiercomp's `cm` against general-purpose compressors, per corpus.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextPeersReport {
    /// Provenance.
    pub run: RunInfo,
    /// Every time is the best of this many repetitions, contenders alternating.
    pub repeat: usize,
    /// The rows, in the order of every `results` list below.
    pub contenders: Vec<Contender>,
    /// Notes printed with the report (tools skipped, how times were taken).
    pub notes: Vec<String>,
    /// One entry per corpus.
    pub corpora: Vec<TextCorpus>,
}

/// One corpus of `text-peers`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextCorpus {
    /// The folder's name, or `files` for loose files.
    pub name: String,
    /// The folder.
    pub path: Option<String>,
    /// Original bytes over all files.
    pub input_bytes: u64,
    /// Each contender's sums over the files.
    pub totals: Vec<Figures>,
    /// Each file.
    pub files: Vec<TextFile>,
    /// Total size of each of ours over each peer's.
    pub ratios: Vec<SizeRatio>,
}

/// One file of a `text-peers` corpus.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextFile {
    /// The file name.
    pub name: String,
    /// Original bytes.
    pub size: u64,
    /// One entry per contender.
    pub results: Vec<Figures>,
}

/// `ours` total bytes / `peer` total bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SizeRatio {
    /// Our contender.
    pub ours: String,
    /// The peer.
    pub peer: String,
    /// The size ratio (below 1: ours is smaller).
    pub ratio: f64,
}

/// `float-peers`: lossless coding of model weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FloatPeersReport {
    /// Provenance.
    pub run: RunInfo,
    /// Every time is the best of this many repetitions, contenders alternating.
    pub repeat: usize,
    /// Where the models were read.
    pub models_dir: String,
    /// The `--only` filter, if any.
    pub only: Option<String>,
    /// Whether the slow peers were skipped (`--fast`).
    pub fast: bool,
    /// The rows, in the order of every `results` list below.
    pub contenders: Vec<Contender>,
    /// One entry per array.
    pub data_sets: Vec<FloatDataSet>,
}

/// One array of `float-peers`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FloatDataSet {
    /// What the array is.
    pub title: String,
    /// Its element type (`F32`, `Bf16`, `F16`).
    pub dtype: String,
    /// Original bytes.
    pub bytes: u64,
    /// One entry per contender.
    pub results: Vec<Figures>,
}

/// `graph-peers`: SLUGGER summaries next to published and recorded reference figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GraphPeersReport {
    /// Provenance.
    pub run: RunInfo,
    /// Summarization times are the best of this many repetitions (1 and 2 threads
    /// alternating).
    pub repeat: usize,
    /// SLUGGER iterations (T).
    pub iterations: u32,
    /// SLUGGER seed.
    pub seed: u64,
    /// The folder holding the graphs.
    pub data_dir: String,
    /// What the reference columns are (published figures; recorded, not same-run, Java
    /// figures).
    pub references: String,
    /// One entry per graph.
    pub graphs: Vec<GraphRow>,
}

/// A figure of the official Java SLUGGER recorded by an earlier session on this machine:
/// not run again by `graph-peers`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedJava {
    /// Relative size `(|P+| + |P−| + |H|) / |E|`.
    pub relative_size: f64,
    /// Wall seconds including JVM start.
    pub seconds: f64,
    /// When it was recorded (ISO 8601 date).
    pub recorded: String,
    /// `recorded DATE, not a same-run peer`.
    pub note: String,
}

/// One graph of `graph-peers`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GraphRow {
    /// Short name (`protein`).
    pub graph: String,
    /// Nodes.
    pub nodes: u64,
    /// Undirected edges.
    pub edges: u64,
    /// `|P+|`.
    pub p_plus: u64,
    /// `|P−|`.
    pub p_minus: u64,
    /// `|H|`.
    pub h_edges: u64,
    /// `(|P+| + |P−| + |H|) / |E|`.
    pub relative_size: f64,
    /// The SLUGGER paper's relative size (published).
    pub paper_slugger: Option<f64>,
    /// SWeG's relative size in the SLUGGER paper (published).
    pub paper_sweg: Option<f64>,
    /// The official Java code's figures, recorded earlier (not run now).
    pub java: Option<RecordedJava>,
    /// Summarization on 1 thread, seconds.
    pub seconds_1_thread: f64,
    /// Summarization on 2 threads, seconds.
    pub seconds_2_threads: f64,
    /// 1-thread seconds per million edges.
    pub seconds_per_million_edges: f64,
    /// Bit-packed summary bits per edge.
    pub bits_per_edge: f64,
    /// Published reference for the bits of this graph, if any (WebGraph for cnr-2000).
    pub bits_reference: Option<String>,
    /// The `.hcz` container's bytes.
    pub container_bytes: u64,
    /// The `.hcz` container's bits per edge.
    pub container_bits_per_edge: f64,
    /// `2·log2|V|`, the bits per edge of a plain edge list.
    pub two_log2_nodes: f64,
    /// Whether the summary restored the graph exactly.
    pub exact: bool,
}

/// `x` with `digits` decimals, or `—`.
fn opt(x: Option<f64>, digits: usize) -> String {
    x.map_or("—".into(), |v| format!("{v:.digits$}"))
}

/// The provenance sentence above every rendered table.
fn provenance(run: &RunInfo, repeat: usize) -> String {
    format!(
        "Measured {} at commit `{}` on {} ({} CPUs, {}); times are the best of {repeat}, \
         contenders alternating within each repetition. Command: `{}`\n",
        run.date_utc,
        run.commit_label(),
        run.machine.cpu_model.as_deref().unwrap_or("an unknown CPU"),
        run.machine.cores,
        run.machine.os,
        run.command_line
    )
}

impl TextPeersReport {
    /// Per corpus: a totals table (bytes, bits per byte, MB/s both ways) and the size
    /// ratios of ours over the peers.
    pub fn markdown(&self) -> String {
        let mut s = provenance(&self.run, self.repeat);
        if !self.notes.is_empty() {
            s.push('\n');
        }
        for note in &self.notes {
            let _ = writeln!(s, "- {note}");
        }
        for c in &self.corpora {
            let _ = writeln!(
                s,
                "\n**{}** ({} file(s), {} bytes)\n\n| tool | run as | bytes | bits/byte | compress MB/s | decompress MB/s |\n|---|---|---:|---:|---:|---:|",
                c.name,
                c.files.len(),
                c.input_bytes
            );
            for (t, who) in c.totals.iter().zip(&self.contenders) {
                let mode = match who.mode {
                    RunMode::Process => "process",
                    RunMode::InProcess => "in process",
                };
                let name = if who.ours {
                    format!("**{}**", t.contender)
                } else {
                    t.contender.clone()
                };
                let _ = writeln!(
                    s,
                    "| {name} | {mode} | {} | {} | {} | {} |",
                    t.bytes,
                    opt(t.bits_per_byte, 3),
                    opt(t.compress_mb_s, 2),
                    opt(t.decompress_mb_s, 2)
                );
            }
            if !c.ratios.is_empty() {
                let ratios: Vec<String> = c
                    .ratios
                    .iter()
                    .map(|r| format!("{} / {} = {:.3}", r.ours, r.peer, r.ratio))
                    .collect();
                let _ = writeln!(s, "\nSize ratios: {}.", ratios.join("; "));
            }
        }
        s
    }
}

impl FloatPeersReport {
    /// Per array: bytes, ratio and MB/s both ways of every contender.
    pub fn markdown(&self) -> String {
        let mut s = provenance(&self.run, self.repeat);
        for d in &self.data_sets {
            let _ = writeln!(
                s,
                "\n**{}** ({} bytes, {})\n\n| tool | bytes | ratio | compress MB/s | decompress MB/s |\n|---|---:|---:|---:|---:|",
                d.title, d.bytes, d.dtype
            );
            for r in &d.results {
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {} | {} |",
                    r.contender,
                    r.bytes,
                    r.ratio.map_or("—".into(), |x| format!("{:.2}%", 100.0 * x)),
                    opt(r.compress_mb_s, 1),
                    opt(r.decompress_mb_s, 1)
                );
            }
        }
        s
    }
}

impl GraphPeersReport {
    /// The table of `docs/methods/slugger.md`.
    pub fn markdown(&self) -> String {
        let mut s = provenance(&self.run, self.repeat);
        let _ = writeln!(
            s,
            "SLUGGER T = {}, seed {}. {}\n",
            self.iterations, self.seed, self.references
        );
        let recorded = self
            .graphs
            .iter()
            .find_map(|g| g.java.as_ref().map(|j| j.recorded.clone()))
            .unwrap_or_else(|| "—".into());
        let _ = writeln!(
            s,
            "| graph | nodes | edges | P+ | P− | H | relative size | paper SLUGGER / SWeG | Java (recorded {recorded}, not a same-run peer) | Java s (recorded {recorded}) | s (1 thr) | s (2 thr) | s per M edges | bits/edge | .hcz bits/edge | 2·log2\\|V\\| | exact |\n|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
        );
        for g in &self.graphs {
            let bits = match &g.bits_reference {
                Some(r) => format!("{:.3} ({r})", g.bits_per_edge),
                None => format!("{:.3}", g.bits_per_edge),
            };
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {:.4} | {} / {} | {} | {} | {:.2} | {:.2} | {:.2} | {bits} | {:.3} | {:.1} | {} |",
                g.graph,
                g.nodes,
                g.edges,
                g.p_plus,
                g.p_minus,
                g.h_edges,
                g.relative_size,
                opt(g.paper_slugger, 3),
                opt(g.paper_sweg, 3),
                opt(g.java.as_ref().map(|j| j.relative_size), 4),
                opt(g.java.as_ref().map(|j| j.seconds), 1),
                g.seconds_1_thread,
                g.seconds_2_threads,
                g.seconds_per_million_edges,
                g.container_bits_per_edge,
                g.two_log2_nodes,
                g.exact
            );
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Machine;
    use std::time::Duration;

    fn run_info() -> RunInfo {
        RunInfo {
            date_utc: "2026-12-03T15:10:00Z".into(),
            git_commit: Some("0bab1270000000000000".into()),
            git_dirty: Some(false),
            machine: Machine {
                cpu_model: Some("Test CPU".into()),
                cores: 2,
                os: "TestOS".into(),
                arch: "x86_64".into(),
            },
            argv: vec!["text-peers".into(), "a b".into()],
            command_line: "text-peers 'a b'".into(),
        }
    }

    #[test]
    fn figures_derive_ratios_and_speeds() {
        let f = Figures::new(
            "cm-9",
            2_000_000,
            Sample {
                bytes: 500_000,
                compress: Duration::from_millis(500),
                decompress: Duration::ZERO,
            },
        );
        assert_eq!(f.ratio, Some(0.25));
        assert_eq!(f.bits_per_byte, Some(2.0));
        assert_eq!(f.compress_mb_s, Some(4.0));
        assert_eq!(f.decompress_mb_s, None);
        assert_eq!(Figures::new("x", 0, Sample::ZERO).ratio, None);
    }

    #[test]
    fn reports_round_trip_through_tagged_json_and_render() {
        let totals = vec![Figures::new(
            "cm-9",
            1000,
            Sample {
                bytes: 250,
                compress: Duration::from_millis(1),
                decompress: Duration::from_millis(2),
            },
        )];
        let report = Report::TextPeers(TextPeersReport {
            run: run_info(),
            repeat: 3,
            contenders: vec![Contender {
                name: "cm-9".into(),
                ours: true,
                mode: RunMode::Process,
                what: "hiercomp compress -m cm -l 9".into(),
                version: None,
            }],
            notes: vec![],
            corpora: vec![TextCorpus {
                name: "books".into(),
                path: None,
                input_bytes: 1000,
                totals: totals.clone(),
                files: vec![TextFile {
                    name: "a".into(),
                    size: 1000,
                    results: totals,
                }],
                ratios: vec![SizeRatio {
                    ours: "cm-9".into(),
                    peer: "zpaq-m5".into(),
                    ratio: 0.9,
                }],
            }],
        });
        let json = serde_json::to_string(&report).unwrap();
        assert!(json.starts_with(r#"{"report":"text-peers","#), "{json}");
        let back: Report = serde_json::from_str(&json).unwrap();
        assert_eq!(back, report);
        let md = back.markdown();
        assert!(md.contains("at commit `0bab12700000`"), "{md}");
        assert!(md.contains("best of 3"), "{md}");
        assert!(
            md.contains("| **cm-9** | process | 250 | 2.000 | 1.00 | 0.50 |"),
            "{md}"
        );
        assert!(md.contains("cm-9 / zpaq-m5 = 0.900"), "{md}");
    }

    #[test]
    fn graph_table_labels_java_as_recorded() {
        let report = GraphPeersReport {
            run: run_info(),
            repeat: 1,
            iterations: 20,
            seed: 0,
            data_dir: "graphs".into(),
            references: "refs".into(),
            graphs: vec![GraphRow {
                graph: "protein".into(),
                nodes: 10,
                edges: 20,
                p_plus: 1,
                p_minus: 2,
                h_edges: 3,
                relative_size: 0.3,
                paper_slugger: Some(0.094),
                paper_sweg: None,
                java: Some(RecordedJava {
                    relative_size: 0.0947,
                    seconds: 2.0,
                    recorded: "2026-11-29".into(),
                    note: "recorded 2026-11-29, not a same-run peer".into(),
                }),
                seconds_1_thread: 0.5,
                seconds_2_threads: 0.25,
                seconds_per_million_edges: 1.0,
                bits_per_edge: 1.5,
                bits_reference: None,
                container_bytes: 4,
                container_bits_per_edge: 1.6,
                two_log2_nodes: 6.6,
                exact: true,
            }],
        };
        let md = report.markdown();
        assert!(
            md.contains(
                "| Java (recorded 2026-11-29, not a same-run peer) | Java s (recorded 2026-11-29) |"
            ),
            "{md}"
        );
        assert!(md.contains("| 0.094 / — | 0.0947 | 2.0 |"), "{md}");
    }
}
