//! The `slugger` method through the container: exact restore of real graphs, and every
//! kind of damage reported as an error.

use hiercomp::graph::{from_container, to_container};
use hiercomp::graph_summary::{Graph, Slugger, SluggerSummary};
use hiercomp::{CompressOptions, Error, Method, compress};
use quickcheck::QuickCheck;
use std::path::PathBuf;

fn data_dir() -> PathBuf {
    std::env::var_os("HIERCOMP_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"))
        })
}

fn protein() -> (Graph, SluggerSummary, Vec<u8>) {
    let path = data_dir().join("graphs/protein.txt");
    let (g, _) = Graph::read_edge_list_file(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (set HIERCOMP_DATA)", path.display()));
    let s = Slugger::default().summarize(&g);
    let hcz = to_container(&s).unwrap();
    (g, s, hcz)
}

#[test]
fn protein_through_the_container() {
    let (g, s, hcz) = protein();
    let back = from_container(&hcz).unwrap();
    assert_eq!(back, s);
    assert_eq!(back.restore().unwrap(), g);
    // Level 0 is the summary's encoding plus fixed framing (header, one block, end);
    // the default level codes it smaller.
    let stored = hiercomp::graph::to_container_level(&s, 0).unwrap();
    assert_eq!(stored.len(), s.to_bytes().unwrap().len() + 24 + 20 + 20);
    assert_eq!(from_container(&stored).unwrap(), s);
    assert!(
        hcz.len() < stored.len() * 9 / 10,
        "{} vs {}",
        hcz.len(),
        stored.len()
    );
    assert!(s.relative_size(g.num_edges()) < 0.094);
}

#[test]
fn damaged_summaries_are_errors() {
    let (_, _, hcz) = protein();
    for cut in [
        0,
        10,
        24,
        30,
        44,
        hcz.len() / 2,
        hcz.len() - 21,
        hcz.len() - 1,
    ] {
        assert!(from_container(&hcz[..cut]).is_err(), "prefix {cut}");
    }
    let mut rng = 0x1234_5678u64;
    for _ in 0..200 {
        rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1);
        let pos = (rng >> 33) as usize % hcz.len();
        let mut bad = hcz.clone();
        bad[pos] ^= 1 << ((rng >> 20) % 8);
        assert!(
            from_container(&bad).is_err(),
            "bit flip at {pos} not detected"
        );
        hiercomp::fuzz::slugger_decode(&bad);
    }
    let other = compress(b"not a graph", &CompressOptions::new(Method::STORE)).unwrap();
    assert!(matches!(
        from_container(&other),
        Err(Error::WrongMethod { .. })
    ));
    // A well-framed slugger container whose content is not a summary.
    let junk = compress(&[7u8; 100], &CompressOptions::new(Method::SLUGGER).level(0)).unwrap();
    assert!(matches!(from_container(&junk), Err(Error::Graph(_))));
}

#[test]
fn fuzz_harnesses_hold_on_samples() {
    fn prop(data: Vec<u8>) -> bool {
        hiercomp::fuzz::slugger_roundtrip(&data);
        hiercomp::fuzz::slugger_decode(&data);
        true
    }
    QuickCheck::new()
        .tests(200)
        .quickcheck(prop as fn(Vec<u8>) -> bool);
}
