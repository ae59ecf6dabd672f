#![no_main]
//! Fuzz target: see `hiercomp::fuzz::slugger_decode`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| hiercomp::fuzz::slugger_decode(data));
