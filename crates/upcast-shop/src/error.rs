//! What the shop reports when something fails.

use std::fmt;

/// A failure of the shop: a store's error, or a request or setting it refuses.
///
/// ```
/// let error = upcast_shop::ShopError::Refused("`share` must be between 0.0 and 1.0".into());
/// assert_eq!(error.to_string(), "`share` must be between 0.0 and 1.0");
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum ShopError {
    /// A store failed (the database's words inside).
    Store(upcast_migrate::Error),
    /// A request or setting the shop refuses, and why.
    Refused(String),
    /// The listener or the terminal failed.
    Io(std::io::Error),
}

impl fmt::Display for ShopError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShopError::Store(error) => error.fmt(f),
            ShopError::Refused(why) => f.write_str(why),
            ShopError::Io(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for ShopError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ShopError::Store(error) => Some(error),
            ShopError::Io(error) => Some(error),
            ShopError::Refused(_) => None,
        }
    }
}

impl From<upcast_migrate::Error> for ShopError {
    fn from(error: upcast_migrate::Error) -> Self {
        ShopError::Store(error)
    }
}

impl From<std::io::Error> for ShopError {
    fn from(error: std::io::Error) -> Self {
        ShopError::Io(error)
    }
}

impl From<sqlx::Error> for ShopError {
    fn from(error: sqlx::Error) -> Self {
        ShopError::Store(upcast_migrate::Error::database(error.to_string()))
    }
}
