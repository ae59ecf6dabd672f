#![no_main]
//! Fuzz target: see `hiercomp::fuzz::float_decode`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| hiercomp::fuzz::float_decode(data));
