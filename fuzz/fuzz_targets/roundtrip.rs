#![no_main]
//! Fuzz target: see `hiercomp::fuzz::roundtrip`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| hiercomp::fuzz::roundtrip(data));
