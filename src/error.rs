//! The one error distinction callers branch on: a bad request (exit 2) versus a failure while
//! carrying out a good one (exit 1).

use std::fmt;

/// The user asked for something invalid: a flag, a recipe key, an input file that can't be used.
/// `nst` exits with status 2 for these, 1 for everything else.
#[derive(Debug)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// The run was interrupted (SIGINT/SIGTERM); `nst` exits with status 130.
#[derive(Debug)]
pub struct Interrupted {
    /// Where the image reached so far was written, if it was.
    pub saved: Option<std::path::PathBuf>,
}

impl fmt::Display for Interrupted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.saved {
            Some(path) => write!(f, "interrupted; wrote the image so far to {}", path.display()),
            None => f.write_str("interrupted; the unfinished image was not written"),
        }
    }
}

impl std::error::Error for Interrupted {}

/// `return Err(usage!("..."))`: an [`anyhow::Error`] wrapping a [`UsageError`].
#[macro_export]
macro_rules! usage {
    ($($arg:tt)*) => { anyhow::Error::new($crate::error::UsageError(format!($($arg)*))) };
}

/// The exit status for an error: 2 for usage, 130 for an interruption, else 1.
pub fn exit_code(err: &anyhow::Error) -> u8 {
    if err.chain().any(|e| e.is::<Interrupted>()) {
        130
    } else if is_usage(err) {
        2
    } else {
        1
    }
}

/// Whether any error in the chain is a [`UsageError`].
pub fn is_usage(err: &anyhow::Error) -> bool {
    err.chain().any(|e| e.is::<UsageError>())
}
