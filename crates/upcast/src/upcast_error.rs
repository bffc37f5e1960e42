//! The error a step returns.

use std::error::Error as StdError;
use std::fmt;

/// Why a step could not convert a record. The read that ran the step fails with
/// [`Error::Step`](crate::Error::Step), which keeps this message and names the kind and
/// versions.
///
/// Any standard error converts into it, so `?` works inside a step:
///
/// ```
/// use upcast::UpcastError;
///
/// fn cents(text: &str) -> Result<u64, UpcastError> {
///     if text.is_empty() {
///         return Err(UpcastError::new("empty price"));
///     }
///     Ok(text.parse::<u64>()?)
/// }
///
/// assert_eq!(cents("").unwrap_err().to_string(), "empty price");
/// assert_eq!(cents("x").unwrap_err().to_string(), "invalid digit found in string");
/// ```
pub struct UpcastError {
    inner: Box<dyn StdError + Send + Sync + 'static>,
}

impl UpcastError {
    /// An error with this message.
    ///
    /// ```
    /// let error = upcast::UpcastError::new("unknown country `Atlantis`");
    /// assert_eq!(error.to_string(), "unknown country `Atlantis`");
    /// ```
    pub fn new(message: impl Into<String>) -> Self {
        UpcastError {
            inner: message.into().into(),
        }
    }

    /// The error as a standard error, to inspect or downcast.
    ///
    /// ```
    /// let error = upcast::UpcastError::from("x".parse::<u8>().unwrap_err());
    /// assert!(error.as_error().is::<std::num::ParseIntError>());
    /// ```
    pub fn as_error(&self) -> &(dyn StdError + Send + Sync + 'static) {
        &*self.inner
    }

    pub(crate) fn into_boxed(self) -> Box<dyn StdError + Send + Sync + 'static> {
        self.inner
    }
}

// No `impl Error for UpcastError`: it would overlap this blanket `From`, the impl that lets
// `?` lift any error inside a step (the same trade as `anyhow::Error`).
impl<E: StdError + Send + Sync + 'static> From<E> for UpcastError {
    fn from(error: E) -> Self {
        UpcastError {
            inner: Box::new(error),
        }
    }
}

impl fmt::Display for UpcastError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.inner, f)
    }
}

impl fmt::Debug for UpcastError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.inner, f)
    }
}
