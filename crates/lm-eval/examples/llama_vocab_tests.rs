//! Runs llama.cpp's vocabulary tests against our tokenizer.
//!
//! llama.cpp's repository keeps vocabulary-only GGUF files, `models/ggml-vocab-NAME.gguf`,
//! each with test strings (`.gguf.inp`, separated by `\n__ggml_vocab_test__\n`) and the
//! reference tokenizer's ids for them (`.gguf.out`, one line per string). Point this at a
//! folder holding some of them:
//!
//! ```text
//! cargo run -p lm-eval --release --example llama_vocab_tests -- DIR
//! ```
//!
//! Each vocabulary is reported as parsed-and-refused (a tokenizer or pre-tokenizer we do
//! not implement: the error says which) or with its count of matching strings. Exits with
//! an error if a vocabulary we accept gives different ids for any string.

use lm_eval::Tokenizer;
use quant_prune::gguf::Gguf;
use std::path::{Path, PathBuf};

type BoxResult<T> = Result<T, Box<dyn std::error::Error>>;

/// A test string and the token ids the reference gives it.
type Case = (String, Vec<u32>);

fn main() {
    if let Err(e) = try_main() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn try_main() -> BoxResult<()> {
    let dir = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .ok_or("usage: llama_vocab_tests DIR")?;
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "gguf"))
        .collect();
    files.sort();
    let mut failed = 0;
    for path in &files {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let bytes = std::fs::read(path)?;
        let gguf = match Gguf::parse(&bytes) {
            Ok(g) => g,
            Err(e) => {
                println!("{name}: does not parse: {e}");
                failed += 1;
                continue;
            }
        };
        let pre = gguf
            .get("tokenizer.ggml.pre")
            .and_then(|v| v.as_str())
            .unwrap_or("-");
        let tokenizer = match Tokenizer::from_gguf(&gguf) {
            Ok(t) => t,
            Err(e) => {
                println!("{name} (pre {pre}): parsed, refused: {e}");
                continue;
            }
        };
        let Some(cases) = read_cases(path)? else {
            println!("{name} (pre {pre}): parsed, accepted, no .inp/.out to check");
            continue;
        };
        let mut matching = 0;
        for (text, want) in &cases {
            let got = tokenizer.encode(text);
            if &got == want {
                matching += 1;
            } else {
                println!("  {name}: {text:?}\n    ours {got:?}\n    want {want:?}");
            }
        }
        println!(
            "{name} (pre {pre}): parsed, accepted, {matching}/{} strings match",
            cases.len()
        );
        if matching != cases.len() {
            failed += 1;
        }
    }
    if failed > 0 {
        return Err(format!("{failed} vocabularies failed").into());
    }
    Ok(())
}

/// The `(text, ids)` pairs of `path.inp` and `path.out`, if both exist.
fn read_cases(path: &Path) -> BoxResult<Option<Vec<Case>>> {
    let with = |ext: &str| {
        let mut p = path.as_os_str().to_owned();
        p.push(ext);
        PathBuf::from(p)
    };
    let (inp, out) = (with(".inp"), with(".out"));
    if !inp.is_file() || !out.is_file() {
        return Ok(None);
    }
    let inp = std::fs::read_to_string(inp)?;
    let out = std::fs::read_to_string(out)?;
    // As llama.cpp's test reads them: a separator at the very end closes the last string.
    let mut texts: Vec<&str> = inp.split("\n__ggml_vocab_test__\n").collect();
    if texts.last() == Some(&"") {
        texts.pop();
    }
    let ids = out
        .lines()
        .map(|l| {
            l.split_whitespace()
                .map(str::parse)
                .collect::<Result<Vec<u32>, _>>()
        })
        .collect::<Result<Vec<_>, _>>()?;
    if texts.len() != ids.len() {
        return Err(format!(
            "{}: {} strings, {} id lines",
            path.display(),
            texts.len(),
            ids.len()
        )
        .into());
    }
    Ok(Some(
        texts.into_iter().map(str::to_owned).zip(ids).collect(),
    ))
}
