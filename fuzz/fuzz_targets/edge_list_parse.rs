#![no_main]
//! Fuzz target: see `hiercomp::fuzz::edge_list_parse`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| hiercomp::fuzz::edge_list_parse(data));
