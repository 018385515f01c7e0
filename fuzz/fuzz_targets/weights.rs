//! Any bytes as a weights file, loading VGG19's first layer (properties in `src/fuzzing.rs`).
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| nst::fuzzing::weights(bytes, 0));
