//! The `hiercomp` binary end to end: every shared text file roundtrips; bad input exits
//! non-zero with one line and leaves no output behind.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hiercomp"))
}

fn data_dir() -> PathBuf {
    std::env::var_os("HIERCOMP_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"))
        })
}

/// A fresh scratch directory, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Self {
        let p = std::env::temp_dir().join(format!("hiercomp-cli-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Self(p)
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
    fn entries(&self) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(&self.0)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run(args: &[&str], cwd: &Path) -> Output {
    bin()
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run hiercomp")
}

fn assert_one_line_error(o: &Output) {
    assert!(!o.status.success(), "expected failure");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "stderr: {err}");
    assert!(err.starts_with("hiercomp: error:"), "stderr: {err}");
    assert!(!err.contains("panicked"));
}

#[test]
fn every_text_file_roundtrips_through_the_cli() {
    let s = Scratch::new("all");
    let mut n = 0;
    for corpus in ["canterbury", "calgary", "silesia"] {
        let dir = data_dir().join("text").join(corpus);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e} (set HIERCOMP_DATA)", dir.display()))
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for f in files {
            let name = format!("{corpus}-{}", f.file_name().unwrap().to_string_lossy());
            let packed = s.path(&format!("{name}.hcz"));
            let back = s.path(&name);
            let o = run(
                &[
                    "compress",
                    "-l",
                    "1",
                    "-k",
                    "-o",
                    packed.to_str().unwrap(),
                    f.to_str().unwrap(),
                ],
                &s.0,
            );
            assert!(
                o.status.success(),
                "{}: {}",
                f.display(),
                String::from_utf8_lossy(&o.stderr)
            );
            let o = run(&["decompress", packed.to_str().unwrap()], &s.0);
            assert!(
                o.status.success(),
                "{}: {}",
                f.display(),
                String::from_utf8_lossy(&o.stderr)
            );
            assert!(!packed.exists(), "decompress without -k removes its input");
            assert!(
                std::fs::read(&back).unwrap() == std::fs::read(&f).unwrap(),
                "{} differs",
                f.display()
            );
            std::fs::remove_file(&back).unwrap();
            n += 1;
        }
    }
    assert_eq!(n, 11 + 18 + 7);
}

#[test]
fn default_names_keep_force_and_json() {
    let s = Scratch::new("names");
    let f = s.path("a.txt");
    std::fs::write(&f, b"hello hello hello hello world\n".repeat(100)).unwrap();
    let o = run(&["compress", "-k", "--json", "a.txt"], &s.0);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON object");
    assert_eq!(v["method"], "cm");
    assert_eq!(v["input_bytes"], 3000);
    let out = v["output_bytes"].as_u64().unwrap();
    assert_eq!(out, std::fs::metadata(s.path("a.txt.hcz")).unwrap().len());
    assert!((v["bits_per_byte"].as_f64().unwrap() - out as f64 * 8.0 / 3000.0).abs() < 1e-9);
    assert!(v["seconds"].as_f64().unwrap() >= 0.0);
    assert!(f.exists(), "-k keeps the input");

    // Refuses to overwrite without -f, and leaves the existing file alone.
    let before = std::fs::read(s.path("a.txt.hcz")).unwrap();
    let o = run(&["compress", "-k", "-l", "1", "a.txt"], &s.0);
    assert_one_line_error(&o);
    assert_eq!(std::fs::read(s.path("a.txt.hcz")).unwrap(), before);
    let o = run(&["compress", "-f", "-l", "1", "a.txt"], &s.0);
    assert!(o.status.success());
    assert!(!f.exists(), "without -k the input is removed, as xz does");
    assert_ne!(std::fs::read(s.path("a.txt.hcz")).unwrap(), before);

    let o = run(&["decompress", "a.txt.hcz", "--json"], &s.0);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["output_bytes"], 3000);
    assert_eq!(v["level"], 1);
    assert_eq!(
        std::fs::read(&f).unwrap(),
        b"hello hello hello hello world\n".repeat(100)
    );
    assert_eq!(s.entries(), vec!["a.txt"]);
}

#[test]
fn pipes_through_stdin_and_stdout() {
    let data = b"stream me through a pipe, please; stream me again.\n".repeat(50);
    let mut child = bin()
        .args(["compress", "-c", "-m", "cm", "-l", "2"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(&data).unwrap();
    let packed = child.wait_with_output().unwrap();
    assert!(packed.status.success());
    assert!(packed.stdout.len() < data.len() / 4);
    let mut child = bin()
        .args(["decompress", "-c", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&packed.stdout)
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(out.stdout, data);
}

#[test]
fn bad_containers_fail_cleanly_without_output() {
    let s = Scratch::new("bad");
    let text = b"The quick brown fox jumps over the lazy dog. ".repeat(200);
    std::fs::write(s.path("t"), &text).unwrap();
    assert!(run(&["compress", "-k", "t"], &s.0).status.success());
    let good = std::fs::read(s.path("t.hcz")).unwrap();
    std::fs::remove_file(s.path("t.hcz")).unwrap();

    let mut corrupt = good.clone();
    let mid = corrupt.len() / 2;
    corrupt[mid] ^= 0x10;
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("corrupt.hcz", corrupt),
        ("truncated.hcz", good[..good.len() - 7].to_vec()),
        (
            "foreign.hcz",
            b"#!/bin/sh\necho this is not a container\n".to_vec(),
        ),
        ("empty.hcz", Vec::new()),
    ];
    for (name, bytes) in cases {
        std::fs::write(s.path(name), &bytes).unwrap();
        let o = run(&["decompress", name], &s.0);
        assert_one_line_error(&o);
        let stem = name.trim_end_matches(".hcz");
        assert!(!s.path(stem).exists(), "{name}: partial output left behind");
        assert!(
            s.path(name).exists(),
            "{name}: input removed after a failure"
        );
    }
    // Only the damaged inputs remain: no temporary files.
    assert_eq!(
        s.entries(),
        vec![
            "corrupt.hcz",
            "empty.hcz",
            "foreign.hcz",
            "t",
            "truncated.hcz"
        ]
    );

    // Usage errors.
    assert_one_line_error(&run(&["decompress", "t"], &s.0)); // no .hcz suffix
    assert_one_line_error(&run(&["compress", "-m", "nope", "t"], &s.0));
    assert_one_line_error(&run(&["compress", "-l", "12", "t"], &s.0));
    assert_one_line_error(&run(&["compress", "missing-file"], &s.0));
}

#[test]
fn methods_and_tour_run() {
    let o = bin().arg("methods").output().unwrap();
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("cm") && text.contains("store"));
    let o = bin().arg("tour").output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("cm -l 9") && !text.contains("FAILED"));
}

#[test]
fn graph_summarize_restore_verify() {
    let s = Scratch::new("graph");
    let graphs = data_dir().join("graphs");
    let grqc = graphs.join("ca-grqc.txt");
    let grqc = grqc.to_str().unwrap();
    let out = s.path("g.hcz");
    let o = run(
        &[
            "graph",
            "summarize",
            grqc,
            "-o",
            out.to_str().unwrap(),
            "--json",
            "--threads",
            "1",
        ],
        &s.0,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for key in [
        "nodes",
        "edges",
        "p_plus",
        "p_minus",
        "h_edges",
        "relative_size",
        "bits",
        "seconds",
    ] {
        assert!(v.get(key).is_some(), "missing {key} in {v}");
    }
    assert_eq!(v["nodes"], 5241);
    assert_eq!(v["edges"], 14484);
    let cost = v["p_plus"].as_u64().unwrap()
        + v["p_minus"].as_u64().unwrap()
        + v["h_edges"].as_u64().unwrap();
    assert!((v["relative_size"].as_f64().unwrap() - cost as f64 / 14484.0).abs() < 1e-12);
    // Same seed, other thread count: the same bytes.
    let out2 = s.path("g2.hcz");
    let o = run(
        &[
            "graph",
            "summarize",
            grqc,
            "-o",
            out2.to_str().unwrap(),
            "--threads",
            "2",
        ],
        &s.0,
    );
    assert!(o.status.success());
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&out2).unwrap());
    // Exit 0 only when identical.
    let o = run(&["graph", "verify", grqc, out.to_str().unwrap()], &s.0);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let other = graphs.join("power-grid.txt");
    assert_one_line_error(&run(
        &[
            "graph",
            "verify",
            other.to_str().unwrap(),
            out.to_str().unwrap(),
        ],
        &s.0,
    ));
    // Restore reproduces the input's edge lines.
    let restored = s.path("g.txt");
    let restore_args = [
        "graph",
        "restore",
        out.to_str().unwrap(),
        "-o",
        restored.to_str().unwrap(),
    ];
    let o = run(&restore_args, &s.0);
    assert!(o.status.success());
    let edges = |p: &Path| -> Vec<String> {
        std::fs::read_to_string(p)
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(edges(&restored), edges(Path::new(grqc)));
    // Refuses to overwrite; plain decompress points to graph restore.
    assert_one_line_error(&run(&restore_args, &s.0));
    assert_one_line_error(&run(
        &[
            "decompress",
            out.to_str().unwrap(),
            "-o",
            s.path("x").to_str().unwrap(),
        ],
        &s.0,
    ));
    assert_one_line_error(&run(
        &[
            "compress",
            "-m",
            "slugger",
            grqc,
            "-k",
            "-o",
            s.path("y").to_str().unwrap(),
        ],
        &s.0,
    ));
}

#[test]
fn graph_errors_are_one_line() {
    let s = Scratch::new("graph-errors");
    let bad = s.path("bad.txt");
    std::fs::write(&bad, "# ok\n1 2\n3 x\n").unwrap();
    let o = run(&["graph", "stats", bad.to_str().unwrap()], &s.0);
    assert_one_line_error(&o);
    assert!(String::from_utf8_lossy(&o.stderr).contains("line 3"));
    let o = run(
        &[
            "graph",
            "summarize",
            bad.to_str().unwrap(),
            "-o",
            s.path("o.hcz").to_str().unwrap(),
        ],
        &s.0,
    );
    assert_one_line_error(&o);
    assert!(!s.path("o.hcz").exists());
    let junk = s.path("junk.hcz");
    std::fs::write(&junk, b"HCZ\0garbage").unwrap();
    assert_one_line_error(&run(
        &[
            "graph",
            "restore",
            junk.to_str().unwrap(),
            "-o",
            s.path("r.txt").to_str().unwrap(),
        ],
        &s.0,
    ));
    assert!(!s.path("r.txt").exists());
    let ok = s.path("ok.txt");
    std::fs::write(&ok, "1 2\n2 1\n3 3\n2 3\n").unwrap();
    let o = run(&["graph", "stats", ok.to_str().unwrap(), "--json"], &s.0);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        (v["nodes"].as_u64(), v["edges"].as_u64()),
        (Some(3), Some(2))
    );
    assert_eq!(
        (v["self_loops"].as_u64(), v["duplicates"].as_u64()),
        (Some(1), Some(1))
    );
}

#[test]
fn lm_forwards_to_hiercomp_lm() {
    let s = Scratch::new("lm");
    let o = run(&["lm", "--help"], &s.0);
    if o.status.success() {
        assert!(String::from_utf8_lossy(&o.stdout).contains("ppl"));
    } else {
        assert_one_line_error(&o);
        assert!(String::from_utf8_lossy(&o.stderr).contains("hiercomp-lm"));
    }
}
