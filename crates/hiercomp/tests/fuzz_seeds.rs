//! The committed seed corpora of the fuzz targets (`fuzz/seeds/TARGET/`): each seed is
//! what `hiercomp::fuzz::seeds` makes today and passes its harness. With `HIERCOMP_BLESS=1`
//! the folders are written anew.

use std::path::{Path, PathBuf};

fn seed_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/seeds")
        .join(target)
}

fn harness(target: &str) -> fn(&[u8]) {
    match target {
        "container_decode" => hiercomp::fuzz::container_decode,
        "cm_decode" => hiercomp::fuzz::cm_decode,
        "roundtrip" => hiercomp::fuzz::roundtrip,
        "float_decode" => hiercomp::fuzz::float_decode,
        "float_roundtrip" => hiercomp::fuzz::float_roundtrip,
        "slugger_decode" => hiercomp::fuzz::slugger_decode,
        "slugger_roundtrip" => hiercomp::fuzz::slugger_roundtrip,
        "edge_list_parse" => hiercomp::fuzz::edge_list_parse,
        _ => panic!("no harness for {target}"),
    }
}

#[test]
fn committed_seeds_are_current_and_pass_their_harness() {
    let bless = std::env::var_os("HIERCOMP_BLESS").is_some_and(|v| v == "1");
    for &target in hiercomp::fuzz::TARGETS {
        let seeds = hiercomp::fuzz::seeds(target);
        assert!(!seeds.is_empty(), "{target} has seeds");
        let dir = seed_dir(target);
        if bless {
            std::fs::create_dir_all(&dir).unwrap();
        }
        for (i, seed) in seeds.iter().enumerate() {
            assert!(seed.len() <= 16 << 10, "{target}: seeds stay small");
            harness(target)(seed);
            let path = dir.join(format!("seed-{i}"));
            if bless {
                std::fs::write(&path, seed).unwrap();
            }
            let committed = std::fs::read(&path)
                .unwrap_or_else(|e| panic!("{}: {e} (HIERCOMP_BLESS=1 writes it)", path.display()));
            assert!(&committed == seed, "{}: out of date", path.display());
        }
    }
}
