#![no_main]
//! Fuzz target: see `quant_prune::fuzz::gguf_parse`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| quant_prune::fuzz::gguf_parse(data));
