#![no_main]
//! Fuzz target: see `hiercomp::fuzz::cm_decode`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| hiercomp::fuzz::cm_decode(data));
