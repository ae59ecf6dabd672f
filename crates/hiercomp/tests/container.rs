//! The container and the `cm` method against real corpora, damage and hostile headers.

use hiercomp::container::{BLOCK_HEADER_LEN, HEADER_LEN, Header};
use hiercomp::{
    CompressOptions, Error, Limits, Method, compress, decompress, decompress_with_limits,
};
use quickcheck::{QuickCheck, TestResult};
use std::path::PathBuf;

fn data_dir() -> PathBuf {
    std::env::var_os("HIERCOMP_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"))
        })
}

fn corpus(name: &str) -> Vec<(String, Vec<u8>)> {
    let dir = data_dir().join("text").join(name);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e} (set HIERCOMP_DATA)", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect()
}

fn alice() -> Vec<u8> {
    std::fs::read(data_dir().join("text/canterbury/alice29.txt")).expect("alice29.txt")
}

/// The headline claim of `cm -l 9` (README, docs/methods/cm.md): every Canterbury file
/// roundtrips, and the corpus codes to at most 1.00 bit per byte (measured 0.990 on
/// 2026-11-30; containers included).
#[test]
fn cm_level_9_stays_at_most_one_bit_per_byte_on_canterbury() {
    let (mut raw, mut packed) = (0usize, 0usize);
    for (name, data) in corpus("canterbury") {
        let c = compress(&data, &CompressOptions::new(Method::CM).level(9)).unwrap();
        assert_eq!(decompress(&c).unwrap(), data, "{name}");
        raw += data.len();
        packed += c.len();
    }
    let bpb = 8.0 * packed as f64 / raw as f64;
    assert!(bpb <= 1.00, "Canterbury at cm -l 9: {bpb:.4} bits per byte");
}

#[test]
fn canterbury_and_calgary_roundtrip_at_level_1_and_5() {
    for name in ["canterbury", "calgary"] {
        for (file, data) in corpus(name) {
            for level in [1, 5] {
                let packed =
                    compress(&data, &CompressOptions::new(Method::CM).level(level)).unwrap();
                assert_eq!(
                    decompress(&packed).unwrap(),
                    data,
                    "{name}/{file} -l {level}"
                );
                assert!(packed.len() < data.len(), "{file} did not compress");
            }
        }
    }
}

#[test]
fn alice29_regression_size() {
    // Measured 36,932 bytes at level 5 (1.943 bpb); xz -9e gives 48,528. Allow 2% drift.
    let data = alice();
    let packed = compress(&data, &CompressOptions::new(Method::CM)).unwrap();
    assert!(
        packed.len() < 37_700,
        "alice29 -l 5: {} bytes",
        packed.len()
    );
    // Deterministic: the same input gives the same bytes.
    assert_eq!(
        packed,
        compress(&data, &CompressOptions::new(Method::CM)).unwrap()
    );
}

fn small_container() -> (Vec<u8>, Vec<u8>) {
    let data = alice()[..6000].to_vec();
    (
        compress(&data, &CompressOptions::new(Method::CM).level(3)).unwrap(),
        data,
    )
}

#[test]
fn every_single_bit_flip_is_detected() {
    let (packed, _) = small_container();
    for i in 0..packed.len() {
        for bit in [0, 7] {
            let mut bad = packed.clone();
            bad[i] ^= 1 << bit;
            assert!(
                decompress(&bad).is_err(),
                "flip of bit {bit} at byte {i} went unnoticed"
            );
            hiercomp::fuzz::container_decode(&bad);
        }
    }
}

#[test]
fn every_truncation_and_any_trailing_byte_is_an_error() {
    let (packed, _) = small_container();
    for n in 0..packed.len() {
        assert!(
            decompress(&packed[..n]).is_err(),
            "prefix of {n} bytes accepted"
        );
    }
    let mut long = packed.clone();
    long.push(0);
    assert!(matches!(decompress(&long), Err(Error::TrailingData)));
}

/// Rewrites the header checksum so that the field under test is what fails.
fn reseal(mut c: Vec<u8>) -> Vec<u8> {
    let crc = crc32c(&c[..20]);
    c[20..24].copy_from_slice(&crc.to_le_bytes());
    c
}

/// Rewrites the first block's checksum after editing its header.
fn reseal_block(mut c: Vec<u8>) -> Vec<u8> {
    let b = HEADER_LEN;
    let plen = u32::from_le_bytes(c[b + 8..b + 12].try_into().unwrap()) as usize;
    let end = (b + BLOCK_HEADER_LEN + plen).min(c.len());
    let mut crc = crc32c(&c[b..b + 16]);
    crc = crc32c_append(crc, &c[b + BLOCK_HEADER_LEN..end]);
    c[b + 16..b + 20].copy_from_slice(&crc.to_le_bytes());
    c
}

// Small CRC32C (Castagnoli, reflected 0x82F63B78) so the test does not trust the code it tests.
fn crc32c_append(crc: u32, data: &[u8]) -> u32 {
    let mut c = !crc;
    for &b in data {
        c ^= b as u32;
        for _ in 0..8 {
            c = if c & 1 == 1 {
                (c >> 1) ^ 0x82f6_3b78
            } else {
                c >> 1
            };
        }
    }
    !c
}
fn crc32c(data: &[u8]) -> u32 {
    crc32c_append(0, data)
}

#[test]
fn hostile_headers_get_specific_errors() {
    let (packed, _) = small_container();
    assert!(matches!(
        decompress(b"PK\x03\x04 not ours at all, a zip"),
        Err(Error::BadMagic)
    ));
    assert!(matches!(decompress(b""), Err(Error::Truncated { .. })));
    assert!(matches!(decompress(b"HC"), Err(Error::Truncated { .. })));

    let mut c = packed.clone();
    c[4] = 9;
    assert!(matches!(
        decompress(&reseal(c)),
        Err(Error::UnsupportedVersion(9))
    ));
    let mut c = packed.clone();
    c[5] = 200;
    assert!(matches!(
        decompress(&reseal(c)),
        Err(Error::UnknownMethod(200))
    ));
    let mut c = packed.clone();
    c[6] = 42;
    assert!(matches!(
        decompress(&reseal(c)),
        Err(Error::InvalidLevel { level: 42, .. })
    ));
    let mut c = packed.clone();
    c[7] = 40;
    assert!(matches!(
        decompress(&reseal(c)),
        Err(Error::AbsurdLength { .. })
    ));
    let mut c = packed.clone();
    c[9] = 0x80;
    assert!(matches!(
        decompress(&reseal(c)),
        Err(Error::ReservedBitsSet { .. })
    ));
    // An original length of 2^60 bytes: refused by the caller's limit, not allocated.
    let mut c = packed.clone();
    c[12..20].copy_from_slice(&(1u64 << 60).to_le_bytes());
    let limits = Limits {
        max_output: 1 << 30,
        ..Limits::default()
    };
    assert!(matches!(
        decompress_with_limits(&reseal(c.clone()), &limits),
        Err(Error::LimitExceeded { .. })
    ));
    // Without a limit, the mismatch is found when the blocks end.
    assert!(matches!(
        decompress(&reseal(c)),
        Err(Error::LengthMismatch { .. })
    ));

    // Block raw length above the block size, checksums intact.
    let b = HEADER_LEN;
    let mut c = packed.clone();
    c[b + 4..b + 8].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(matches!(
        decompress(&reseal_block(c)),
        Err(Error::AbsurdLength { .. })
    ));
    // A payload length pointing far past the end of the input.
    let mut c = packed.clone();
    c[b + 8..b + 12].copy_from_slice(&5999u32.to_le_bytes());
    assert!(decompress(&reseal_block(c)).is_err());
    // Reserved block bits.
    let mut c = packed.clone();
    c[b + 2] = 1;
    assert!(matches!(
        decompress(&reseal_block(c)),
        Err(Error::ReservedBitsSet { .. })
    ));
    // A wrong content checksum with a valid block checksum: caught after decoding.
    let mut c = packed.clone();
    c[b + 12] ^= 1;
    assert!(matches!(
        decompress(&reseal_block(c)),
        Err(Error::ContentChecksum { .. })
    ));
    // Unknown block kind.
    let mut c = packed;
    c[b] = 7;
    assert!(matches!(
        decompress(&reseal_block(c)),
        Err(Error::Corrupt(_))
    ));
}

#[test]
fn model_memory_limit_is_enforced() {
    let (packed, _) = small_container();
    let limits = Limits {
        max_memory: 1 << 10,
        ..Limits::default()
    };
    assert!(matches!(
        decompress_with_limits(&packed, &limits),
        Err(Error::LimitExceeded { .. })
    ));
}

#[test]
fn header_roundtrips() {
    let h = Header {
        method: Method::CM,
        level: 7,
        block_log: 20,
        params: hiercomp::Params::DEFAULT,
        original_len: Some(12345),
    };
    assert_eq!(Header::parse(&h.to_bytes()).unwrap(), h);
    // A declared parameter is recorded in the header and read back.
    let opts = hiercomp::CompressOptions::new(Method::FLOAT)
        .param("dtype", "bf16")
        .unwrap();
    let f = Header {
        method: Method::FLOAT,
        level: 1,
        params: opts.params,
        ..h
    };
    let bytes = f.to_bytes();
    assert_ne!(bytes[10..12], [0, 0]);
    assert_eq!(Header::parse(&bytes).unwrap(), f);
    // The same bytes under a method that declares no parameter are refused.
    let mut other = bytes;
    other[5] = Method::CM.id();
    let crc = crc32c::crc32c(&other[..20]);
    other[20..24].copy_from_slice(&crc.to_le_bytes());
    assert!(Header::parse(&other).is_err());
    let h = Header {
        original_len: None,
        ..h
    };
    assert_eq!(Header::parse(&h.to_bytes()).unwrap(), h);
}

#[test]
fn random_data_expands_by_at_most_the_framing() {
    let data = hiercomp::samples::random(1 << 20, 0x9e37_79b9);
    let packed = compress(
        &data,
        &CompressOptions::new(Method::CM).level(1).block_log(18),
    )
    .unwrap();
    // 4 blocks of 256 KiB: header + 4 block headers + end block.
    assert_eq!(packed.len(), data.len() + HEADER_LEN + 5 * BLOCK_HEADER_LEN);
    assert!(packed.len() as f64 <= data.len() as f64 * 1.001 + 64.0);
    assert_eq!(decompress(&packed).unwrap(), data);
}

#[test]
fn streams_of_unknown_length_and_many_blocks() {
    let data: Vec<u8> = alice().into_iter().take(200_000).collect();
    let opts = CompressOptions::new(Method::CM).level(2).block_log(16);
    let mut packed = Vec::new();
    let stats =
        hiercomp::compress_stream(&data[..], &mut packed, &opts, None, &mut |_| {}).unwrap();
    assert_eq!(stats.blocks, 3);
    let mut out = Vec::new();
    hiercomp::decompress_stream(&packed[..], &mut out, &Limits::default(), &mut |_| {}).unwrap();
    assert_eq!(out, data);
    // A wrong length announcement is an error, not a silently different container.
    let mut sink = Vec::new();
    assert!(matches!(
        hiercomp::compress_stream(&data[..], &mut sink, &opts, Some(5), &mut |_| {}),
        Err(Error::LengthMismatch { .. })
    ));
    // Swapping two blocks breaks the whole-content checksum even though each block is valid.
    let mut spans = Vec::new();
    let mut at = HEADER_LEN;
    while at < packed.len() {
        let plen = u32::from_le_bytes(packed[at + 8..at + 12].try_into().unwrap()) as usize;
        spans.push(at..at + BLOCK_HEADER_LEN + plen);
        at += BLOCK_HEADER_LEN + plen;
    }
    assert_eq!(spans.len(), 4); // three data blocks and the end block
    let mut swapped = packed[..HEADER_LEN].to_vec();
    for i in [1, 0, 2, 3] {
        swapped.extend_from_slice(&packed[spans[i].clone()]);
    }
    assert!(matches!(
        decompress(&swapped),
        Err(Error::ContentChecksum { .. })
    ));
}

#[test]
fn invalid_options_are_errors() {
    assert!(compress(b"x", &CompressOptions::new(Method::CM).level(0)).is_err());
    assert!(compress(b"x", &CompressOptions::new(Method::CM).level(10)).is_err());
    assert!(compress(b"x", &CompressOptions::new(Method::CM).block_log(8)).is_err());
    assert!(Method::from_name("nope").is_err());
    assert_eq!(Method::from_name("CM").unwrap(), Method::CM);
}

fn prop_roundtrip(data: Vec<u8>, sel: u8) -> TestResult {
    let mut input = vec![sel];
    input.extend_from_slice(&data);
    hiercomp::fuzz::roundtrip(&input);
    TestResult::passed()
}

#[test]
fn any_bytes_roundtrip_with_any_method_and_level() {
    QuickCheck::new()
        .tests(200)
        .quickcheck(prop_roundtrip as fn(Vec<u8>, u8) -> TestResult);
}

fn prop_garbage(data: Vec<u8>) -> bool {
    hiercomp::fuzz::container_decode(&data);
    hiercomp::fuzz::cm_decode(&data);
    let mut framed = b"HCZ\0".to_vec();
    framed.extend_from_slice(&data);
    hiercomp::fuzz::container_decode(&framed);
    true
}

#[test]
fn garbage_never_panics() {
    QuickCheck::new()
        .tests(500)
        .quickcheck(prop_garbage as fn(Vec<u8>) -> bool);
}
