#![no_main]
//! Fuzz target: see `hiercomp::fuzz::container_decode`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| hiercomp::fuzz::container_decode(data));
