//! Format stability: containers written by earlier versions decode byte-exactly, and the
//! current encoder still writes exactly the same bytes.
//!
//! `tests/golden/` holds small inputs and the containers an earlier version made of them
//! (the list is in [`CASES`]). Every future version must decode them to their inputs; and as
//! long as no method's output is meant to change, it must write them byte for byte (one
//! exception, checked below: an explicit `float` dtype is now recorded in the header). To add
//! a case, run with `HIERCOMP_BLESS=1`: missing files are written, existing ones never.

use hiercomp::graph as slugger;
use hiercomp::graph_summary::{Graph, Slugger};
use hiercomp::quant_prune::float::FloatDtype;
use hiercomp::{CompressOptions, Method, compress, decompress};
use std::path::{Path, PathBuf};

/// How a golden container was made.
#[derive(Clone, Copy)]
enum Make {
    /// `compress` with the method, level, block size log2 and optional dtype.
    Bytes(Method, u8, u8, Option<FloatDtype>),
    /// A SLUGGER summary (default parameters) of the edge list, at the container level.
    Slugger(u8),
}

/// (input file, container file, how).
const CASES: &[(&str, &str, Make)] = &[
    (
        "prose.txt",
        "prose.store.hcz",
        Make::Bytes(Method::STORE, 0, 24, None),
    ),
    (
        "prose.txt",
        "prose.cm1.hcz",
        Make::Bytes(Method::CM, 1, 24, None),
    ),
    (
        "prose.txt",
        "prose.cm2.hcz",
        Make::Bytes(Method::CM, 2, 24, None),
    ),
    (
        "prose.txt",
        "prose.cm3.hcz",
        Make::Bytes(Method::CM, 3, 24, None),
    ),
    (
        "prose.txt",
        "prose.cm4.hcz",
        Make::Bytes(Method::CM, 4, 24, None),
    ),
    (
        "prose.txt",
        "prose.cm5.hcz",
        Make::Bytes(Method::CM, 5, 24, None),
    ),
    (
        "prose.txt",
        "prose.cm6.hcz",
        Make::Bytes(Method::CM, 6, 24, None),
    ),
    (
        "prose.txt",
        "prose.cm7.hcz",
        Make::Bytes(Method::CM, 7, 24, None),
    ),
    (
        "prose.txt",
        "prose.cm8.hcz",
        Make::Bytes(Method::CM, 8, 24, None),
    ),
    (
        "prose.txt",
        "prose.cm9.hcz",
        Make::Bytes(Method::CM, 9, 24, None),
    ),
    (
        "table.csv",
        "table.cm1.hcz",
        Make::Bytes(Method::CM, 1, 24, None),
    ),
    (
        "table.csv",
        "table.cm5.hcz",
        Make::Bytes(Method::CM, 5, 24, None),
    ),
    (
        "table.csv",
        "table.cm7.hcz",
        Make::Bytes(Method::CM, 7, 24, None),
    ),
    (
        "table.csv",
        "table.cm9.hcz",
        Make::Bytes(Method::CM, 9, 24, None),
    ),
    (
        "random.bin",
        "random.cm5.hcz",
        Make::Bytes(Method::CM, 5, 24, None),
    ),
    (
        "empty.bin",
        "empty.cm5.hcz",
        Make::Bytes(Method::CM, 5, 24, None),
    ),
    (
        "long.txt",
        "long.cm2.b16.hcz",
        Make::Bytes(Method::CM, 2, 16, None),
    ),
    (
        "long.txt",
        "long.cm9.b16.hcz",
        Make::Bytes(Method::CM, 9, 16, None),
    ),
    (
        "weights.safetensors",
        "weights.float.hcz",
        Make::Bytes(Method::FLOAT, 1, 24, None),
    ),
    (
        "weights.safetensors",
        "weights.cm9.hcz",
        Make::Bytes(Method::CM, 9, 24, None),
    ),
    (
        "f32.bin",
        "f32.float.hcz",
        Make::Bytes(Method::FLOAT, 1, 24, Some(FloatDtype::F32)),
    ),
    (
        "bf16.bin",
        "bf16.float.hcz",
        Make::Bytes(Method::FLOAT, 1, 24, Some(FloatDtype::Bf16)),
    ),
    (
        "f32.bin",
        "f32.float-bytes.hcz",
        Make::Bytes(Method::FLOAT, 1, 24, None),
    ),
    ("graph.txt", "graph.slugger0.hcz", Make::Slugger(0)),
    ("graph.txt", "graph.slugger5.hcz", Make::Slugger(5)),
];

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

fn bless() -> bool {
    std::env::var_os("HIERCOMP_BLESS").is_some_and(|v| v == "1")
}

fn read(name: &str) -> Vec<u8> {
    let p = dir().join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// What the current code writes for a case.
fn make(input: &[u8], how: Make) -> Vec<u8> {
    match how {
        Make::Bytes(method, level, block_log, dtype) => {
            let mut opts = CompressOptions::new(method)
                .level(level)
                .block_log(block_log);
            if let Some(d) = dtype {
                opts = opts.param("dtype", d.name()).unwrap();
            }
            compress(input, &opts).unwrap()
        }
        Make::Slugger(level) => {
            let (g, _) = Graph::read_edge_list(input).unwrap();
            let s = Slugger::default().summarize(&g);
            slugger::to_container_level(&s, level).unwrap()
        }
    }
}

#[test]
fn golden_containers_decode_and_encode_byte_exactly() {
    let mut missing = Vec::new();
    for &(input, container, how) in CASES {
        let data = read(input);
        let path = dir().join(container);
        let Ok(golden) = std::fs::read(&path) else {
            if bless() {
                std::fs::write(&path, make(&data, how)).unwrap();
                continue;
            }
            missing.push(container);
            continue;
        };
        match how {
            Make::Bytes(..) => assert_eq!(decompress(&golden).unwrap(), data, "{container}"),
            Make::Slugger(_) => {
                let (g, _) = Graph::read_edge_list(&data[..]).unwrap();
                let s = slugger::from_container(&golden).unwrap();
                assert_eq!(s.restore().unwrap(), g, "{container}");
            }
        }
        let made = make(&data, how);
        if let Make::Bytes(_, _, _, Some(_)) = how {
            // An explicit `float` dtype is now recorded in the header's parameter field
            // (bytes 10-11, version 1; containers before it hold zeros there, and still
            // decode): those two bytes and the header checksum differ, nothing else.
            assert_eq!(golden[10..12], [0, 0], "{container}");
            assert_eq!(made[10], 1, "{container}: parameter-field version");
            assert!(made[..10] == golden[..10] && made[12..20] == golden[12..20]);
            assert!(
                made[24..] == golden[24..],
                "{container}: the encoder's output changed"
            );
        } else {
            assert!(made == golden, "{container}: the encoder's output changed");
        }
    }
    assert!(missing.is_empty(), "golden files missing: {missing:?}");
}
