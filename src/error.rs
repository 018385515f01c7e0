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

/// `return Err(usage!("..."))`: an [`anyhow::Error`] wrapping a [`UsageError`].
#[macro_export]
macro_rules! usage {
    ($($arg:tt)*) => { anyhow::Error::new($crate::error::UsageError(format!($($arg)*))) };
}

/// Whether any error in the chain is a [`UsageError`].
pub fn is_usage(err: &anyhow::Error) -> bool {
    err.chain().any(|e| e.is::<UsageError>())
}
