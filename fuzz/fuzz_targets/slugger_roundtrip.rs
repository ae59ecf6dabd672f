#![no_main]
//! Fuzz target: see `hiercomp::fuzz::slugger_roundtrip`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| hiercomp::fuzz::slugger_roundtrip(data));
