//! Harness logic of the cargo-fuzz targets (feature `fuzz`).
//!
//! Each target in `fuzz/fuzz_targets/` is one line calling a function here, so the same
//! checks also run in ordinary tests over a corpus of damaged containers.

use crate::container::{CompressOptions, Limits, decompress_with_limits};
use crate::methods::{Method, cm};

/// Limits that keep one fuzz iteration fast.
pub const FUZZ_LIMITS: Limits = Limits {
    max_output: 1 << 20,
    max_memory: 64 << 20,
};

/// The fuzz targets whose harness is in this module, with [`seeds`] for each.
pub const TARGETS: &[&str] = &[
    "container_decode",
    "cm_decode",
    "roundtrip",
    "float_decode",
    "float_roundtrip",
    "slugger_decode",
    "slugger_roundtrip",
    "edge_list_parse",
];

/// A small corpus of valid inputs for `target` (one of [`TARGETS`]): what `fuzz/seeds/`
/// holds, so that a fuzzer starts from inputs that reach deep into the decoders rather
/// than from bytes every header check rejects.
pub fn seeds(target: &str) -> Vec<Vec<u8>> {
    use crate::samples::{prose, safetensors_weights, table};
    let text = prose(3000, 5);
    let csv = table(40, 3);
    let weights: Vec<u8> = safetensors_weights(1, 9)[..4096].to_vec();
    let graph = {
        let mut g = b"# seed\n".to_vec();
        for u in 0..12u32 {
            for v in u + 1..12 {
                if (u * 7 + v * 3) % 4 != 0 {
                    g.extend_from_slice(format!("{u}\t{v}\n").as_bytes());
                }
            }
        }
        g
    };
    let container = |data: &[u8], m: Method, level: u8| {
        crate::compress(data, &CompressOptions::new(m).level(level)).expect("valid options")
    };
    match target {
        "container_decode" => vec![
            container(&text, Method::CM, 1),
            container(&text, Method::CM, 5),
            container(&csv, Method::CM, 9),
            container(&text, Method::STORE, 0),
            container(&weights, Method::FLOAT, 1),
        ],
        "cm_decode" => [1u8, 2, 3, 5, 7, 9]
            .iter()
            .map(|&level| {
                let raw = &text[..1000 + 200 * usize::from(level)];
                let mut seed = (raw.len() as u16).to_le_bytes().to_vec();
                seed.push(level);
                seed.extend(cm::encode_block(raw, level, &mut |_| {}).expect("valid level"));
                seed
            })
            .collect(),
        "roundtrip" => vec![
            [&[0x11u8][..], &text[..1500]].concat(),
            [&[0x52u8][..], &csv[..]].concat(),
            [&[0x02u8][..], &weights[..2048]].concat(),
        ],
        "float_decode" => {
            let mut seed = (weights.len() as u16).to_le_bytes().to_vec();
            let segments = [(weights.len(), quant_prune::float::FloatDtype::F32)];
            seed.extend(
                crate::methods::float::encode_block(&weights, &segments, &mut |_| {})
                    .expect("segments cover the block"),
            );
            vec![seed]
        }
        "float_roundtrip" => vec![
            [&[1u8][..], &weights[..2048]].concat(),
            [&[3u8][..], &weights[..1024]].concat(),
        ],
        "slugger_decode" => {
            let (g, _) = graph_summary::Graph::read_edge_list(&graph[..]).expect("valid graph");
            let s = graph_summary::Slugger::default().summarize(&g);
            vec![
                crate::graph::to_container(&s).expect("encode"),
                s.to_bytes().expect("encode"),
            ]
        }
        "slugger_roundtrip" => vec![(0u8..40).flat_map(|i| [i % 9, (i * 5 + 3) % 13]).collect()],
        "edge_list_parse" => vec![graph],
        _ => Vec::new(),
    }
}

/// Container decode of arbitrary bytes: must return (an error or data), never panic.
pub fn container_decode(data: &[u8]) {
    let _ = decompress_with_limits(data, &FUZZ_LIMITS);
}

/// `cm` block decode of arbitrary bytes: the first two bytes choose the raw length (up to
/// 4 KiB, to keep iterations fast), the third the level; the rest is the payload.
pub fn cm_decode(data: &[u8]) {
    if data.len() < 3 {
        return;
    }
    let raw_len = u16::from_le_bytes([data[0], data[1]]) as usize % 4096;
    let level = data[2] % (cm::MAX_LEVEL + 2); // includes invalid levels
    if let Ok(out) = cm::decode_block(&data[3..], raw_len, level, &mut |_| {}) {
        assert_eq!(out.len(), raw_len);
    }
}

/// Roundtrip of arbitrary input: the first byte picks method and level, the rest is the
/// data, compressed with 64 KiB blocks so several blocks occur.
pub fn roundtrip(data: &[u8]) {
    let (sel, body) = match data.split_first() {
        Some((&s, b)) => (s, b),
        None => (0, data),
    };
    let all: Vec<Method> = Method::all().collect();
    let method = all[sel as usize % all.len()];
    let levels = method.levels();
    let level = levels.start() + (sel >> 4) % (levels.end() - levels.start() + 1);
    let opts = CompressOptions::new(method).level(level).block_log(16);
    let packed = crate::compress(body, &opts).expect("compression of valid options succeeds");
    let back = decompress_with_limits(&packed, &Limits::default()).expect("own output decodes");
    assert_eq!(back, body);
}

/// `float` block decode of arbitrary bytes: the first two bytes choose the raw length (up
/// to 64 KiB); the rest is the payload.
pub fn float_decode(data: &[u8]) {
    if data.len() < 2 {
        return;
    }
    let raw_len = u16::from_le_bytes([data[0], data[1]]) as usize;
    if let Ok(out) = crate::methods::float::decode_block(&data[2..], raw_len, &mut |_| {}) {
        assert_eq!(out.len(), raw_len);
    }
}

/// Roundtrip of arbitrary float arrays: the first byte picks the dtype; the rest is the
/// array (any bit patterns: NaN payloads, ±0, infinities, subnormals), coded directly and
/// through a container.
pub fn float_roundtrip(data: &[u8]) {
    use quant_prune::float::{FloatDtype, decode, encode};
    let (sel, body) = match data.split_first() {
        Some((&s, b)) => (s, b),
        None => return,
    };
    let dtype = FloatDtype::ALL[sel as usize % FloatDtype::ALL.len()];
    let packed = encode(body, dtype);
    assert_eq!(
        decode(&packed, dtype, body.len()).expect("own output decodes"),
        body
    );
    let opts = CompressOptions::new(Method::FLOAT)
        .param("dtype", dtype.name())
        .expect("float declares dtype")
        .block_log(16);
    let c = crate::compress(body, &opts).expect("compression of valid options succeeds");
    assert_eq!(
        decompress_with_limits(&c, &Limits::default()).expect("own output decodes"),
        body
    );
}

/// Graph-summary decode of arbitrary bytes, as a container and as a bare summary
/// encoding: must return an error or a summary, never panic; a decoded summary with
/// little restore work is restored too (an error or a graph).
pub fn slugger_decode(data: &[u8]) {
    let _ = crate::graph::from_container(data);
    if let Ok(s) = graph_summary::SluggerSummary::from_bytes(data) {
        if s.restore_work() <= 1 << 20 {
            let _ = s.restore();
        }
    }
}

/// Summarize-and-restore of a graph made from arbitrary bytes (pairs of bytes are edges
/// over at most 256 nodes; the first byte picks the seed): the summary, through the
/// container, must restore the graph exactly.
pub fn slugger_roundtrip(data: &[u8]) {
    let Some((&seed, body)) = data.split_first() else {
        return;
    };
    let edges: Vec<(u64, u64)> = body
        .chunks_exact(2)
        .map(|c| (u64::from(c[0]), u64::from(c[1])))
        .collect();
    let (g, _) = graph_summary::Graph::from_edges(&edges).expect("small graph");
    let cfg = graph_summary::Slugger {
        iterations: 5,
        seed: u64::from(seed),
        ..graph_summary::Slugger::default()
    };
    let s = cfg.summarize(&g);
    let hcz = crate::graph::to_container(&s).expect("encode");
    let back = crate::graph::from_container(&hcz).expect("own container decodes");
    assert_eq!(back.restore().expect("restore"), g);
}

/// SNAP edge-list loading of arbitrary bytes: an error or a graph, never a panic; a
/// graph written back as an edge list reads back as the same graph.
pub fn edge_list_parse(data: &[u8]) {
    if let Ok((g, _)) = graph_summary::Graph::read_edge_list(data) {
        let mut out = Vec::new();
        g.write_edge_list(&mut out)
            .expect("writing to memory succeeds");
        let (back, _) = graph_summary::Graph::read_edge_list(&out[..]).expect("own output parses");
        assert_eq!(back, g);
    }
}
