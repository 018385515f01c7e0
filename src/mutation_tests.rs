//! Mutation tests: the recipe parser, the weights loader and the image decoder fed thousands of
//! corrupted variants of valid inputs. Each must return an error or a value, never panic or hang.
//! A stable-toolchain stand-in for cargo-fuzz that CI runs on every change.

use crate::model::weights;
use crate::recipe::PRESETS;
use crate::{fuzzing, image_io};

/// Rounds multiply by `NST_MUTATION_SCALE` (default 1) for long local runs, e.g.
/// `NST_MUTATION_SCALE=100 cargo test --release --lib mutation`.
fn rounds(base: usize) -> usize {
    base * std::env::var("NST_MUTATION_SCALE").ok().and_then(|s| s.parse().ok()).unwrap_or(1)
}

/// Seed for the corruptions: `NST_MUTATION_SEED` varies them between long runs.
fn seed(base: u64) -> u64 {
    base ^ std::env::var("NST_MUTATION_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0)
}

/// xorshift64*: reproducible corruption without a dependency.
struct Mutator(u64);

impl Mutator {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// Flip, overwrite, insert, delete or truncate a few bytes.
    fn mutate(&mut self, input: &[u8], focus: usize) -> Vec<u8> {
        let mut out = input.to_vec();
        for _ in 0..1 + self.below(4) {
            // Most edits land in the first `focus` bytes, where the headers are.
            let span = if self.below(4) == 0 { out.len() } else { focus.min(out.len()) };
            let at = self.below(span);
            let last = out.len().saturating_sub(1);
            let (bit, byte) = (1u8 << self.below(8), self.next() as u8);
            match self.below(5) {
                0 if !out.is_empty() => out[at.min(last)] ^= bit,
                1 if !out.is_empty() => out[at.min(last)] = byte,
                2 => out.insert(at.min(out.len()), byte),
                3 if !out.is_empty() => {
                    out.remove(at.min(last));
                }
                _ => out.truncate(at),
            }
        }
        out
    }
}

#[test]
fn corrupted_recipes_never_panic() {
    let mut m = Mutator(seed(0x5EED));
    let tokens: [&[u8]; 8] = [b"nan", b"-1", b"1e400", b"[layers]", b"relu9_9", b"= {", b"\"", b"\n"];
    for (_, text) in PRESETS {
        for _ in 0..rounds(1500) {
            let mut bytes = m.mutate(text.as_bytes(), text.len());
            if m.below(3) == 0 {
                let at = m.below(bytes.len());
                bytes.splice(at..at, tokens[m.below(tokens.len())].iter().copied());
            }
            fuzzing::recipe(&bytes);
        }
    }
}

#[test]
fn corrupted_weights_never_panic() {
    // The first two layers in the shipped 8-bit format: small, and it exercises every check.
    let full = weights::DEFAULT_WEIGHTS;
    let header_len = u64::from_le_bytes(full[..8].try_into().unwrap_or_default()) as usize;
    let mut m = Mutator(seed(0xC0FFEE));
    for _ in 0..rounds(300) {
        fuzzing::weights(&m.mutate(full, 8 + header_len), 1);
    }
}

#[test]
fn corrupted_images_never_panic() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut m = Mutator(seed(0xBEEF));
    for name in ["cat.png", "night_cafe.jpg"] {
        let original = image_io::load(&examples.join(name), "image").unwrap_or_else(|e| panic!("{e}"));
        // A small re-encoded copy keeps each decode fast.
        let small = original.thumbnail(48, 48);
        let path = dir.path().join(name);
        small.save(&path).unwrap_or_else(|e| panic!("{e}"));
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{e}"));
        for _ in 0..rounds(300) {
            fuzzing::image(&m.mutate(&bytes, 200));
        }
    }
}

/// Every input the cargo-fuzz runs kept (`fuzz/corpus/`), replayed: the short fuzz run CI can do
/// on a stable toolchain, and where a crash the fuzzers find stays as a regression test.
#[test]
fn fuzz_corpus_replays() {
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    let mut replayed = 0;
    for (target, check) in [
        ("recipe", fuzzing::recipe as fn(&[u8])),
        ("weights", |b: &[u8]| fuzzing::weights(b, 0)),
        ("image", fuzzing::image),
    ] {
        let dir = corpus.join(target);
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries {
            let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
            check(&std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())));
            replayed += 1;
        }
    }
    assert!(replayed >= 12, "only {replayed} corpus files");
    // The weights seed must load, or the fuzzer never reaches the code past the header checks.
    let seed = std::fs::read(corpus.join("weights/block1_conv1_q8.safetensors")).unwrap_or_default();
    assert!(weights::parse(&seed, "seed", 0).is_ok());
}
