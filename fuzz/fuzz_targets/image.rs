//! Any bytes as an input image (properties in `src/fuzzing.rs`).
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| nst::fuzzing::image(bytes));
