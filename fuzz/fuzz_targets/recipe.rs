//! Any text as a TOML recipe (properties in `src/fuzzing.rs`).
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| nst::fuzzing::recipe(bytes));
