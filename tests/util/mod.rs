//! Running the real `nst` binary in a fresh temporary directory, with a clean environment.
#![allow(dead_code)] // each test binary uses its own part of this module

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct TestDir {
    pub dir: tempfile::TempDir,
}

/// Output of one `nst` run, printed in full when an assertion about it fails.
pub struct Run {
    pub output: Output,
    pub args: Vec<String>,
}

impl Run {
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }
    pub fn code(&self) -> Option<i32> {
        self.output.status.code()
    }
    fn describe(&self) -> String {
        format!(
            "nst {}\nexit: {:?}\nstdout:\n{}\nstderr:\n{}",
            self.args.join(" "),
            self.code(),
            self.stdout(),
            self.stderr()
        )
    }
    pub fn assert_ok(&self) -> &Self {
        assert_eq!(self.code(), Some(0), "{}", self.describe());
        self
    }
    /// Exit `code`, and stderr mentions `needle`; never a panic.
    pub fn assert_fails(&self, code: i32, needle: &str) -> &Self {
        assert_eq!(self.code(), Some(code), "{}", self.describe());
        assert!(self.stderr().contains(needle), "stderr lacks {needle:?}\n{}", self.describe());
        assert!(!self.stderr().contains("panicked"), "{}", self.describe());
        self
    }
}

impl TestDir {
    pub fn new() -> Self {
        TestDir { dir: tempfile::tempdir().expect("temp dir") }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Copy an example image from the repository into the test directory.
    pub fn example(&self, name: &str) -> PathBuf {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(name);
        let dst = self.path(name);
        std::fs::copy(&src, &dst).expect("copy example");
        dst
    }

    /// `nst run -c cat.png -s night_cafe.jpg --device cpu ARGS…` on copies of the examples.
    pub fn run_cat(&self, args: &[&str]) -> Run {
        for name in ["cat.png", "night_cafe.jpg"] {
            if !self.path(name).exists() {
                self.example(name);
            }
        }
        let mut full = vec!["run", "-c", "cat.png", "-s", "night_cafe.jpg", "--device", "cpu"];
        full.extend(args);
        self.nst(&full)
    }

    /// `nst ARGS…` started in the background, its stderr to `stderr`, returned once it has
    /// written `file` (two minutes at most): a run to interrupt mid-way.
    pub fn start_until(&self, args: &[&str], file: &str, stderr: std::process::Stdio) -> std::process::Child {
        let child = Command::new(env!("CARGO_BIN_EXE_nst"))
            .args(args)
            .current_dir(self.dir.path())
            .stderr(stderr)
            .spawn()
            .expect("start nst");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        while !self.path(file).exists() {
            assert!(std::time::Instant::now() < deadline, "no {file} within two minutes");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        child
    }

    /// The RGB bytes of the image `name`.
    pub fn pixels(&self, name: &str) -> Vec<u8> {
        image::open(self.path(name)).expect("an image").to_rgb8().into_raw()
    }

    pub fn nst(&self, args: &[&str]) -> Run {
        self.nst_with_env(&[], args)
    }

    /// `nst ARGS…` with only PATH, HOME and `env` set.
    pub fn nst_with_env(&self, env: &[(&str, &str)], args: &[&str]) -> Run {
        let output = Command::new(env!("CARGO_BIN_EXE_nst"))
            .args(args)
            .current_dir(self.dir.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .envs(env.iter().copied())
            .output()
            .expect("run nst");
        Run { output, args: args.iter().map(|s| s.to_string()).collect() }
    }
}

/// The night café where `cafe_mask` is white and The Starry Night where `starry_mask` is:
/// `-s … -s … --style-mask … --style-mask …`.
pub fn two_masked<'a>(cafe_mask: &'a str, starry_mask: &'a str) -> [&'a str; 8] {
    ["-s", "night_cafe.jpg", "-s", "starry_night.jpg", "--style-mask", cafe_mask, "--style-mask", starry_mask]
}

/// "loss A → B" from the summary line.
pub fn losses(stderr: &str) -> (f64, f64) {
    let line = stderr.lines().find(|l| l.contains(" → ")).unwrap_or_else(|| panic!("no summary in {stderr}"));
    let after = line.split(", loss ").nth(1).expect("loss in summary");
    let mut parts = after.split(" → ");
    let first: f64 = parts.next().unwrap().trim().parse().expect("initial loss");
    let second: f64 = parts.next().unwrap().split(',').next().unwrap().trim().parse().expect("final loss");
    (first, second)
}
