//! One problem the check found.

use std::fmt;
use std::path::PathBuf;

use super::rules::Rule;

/// One problem the check found, with the rule it breaks and where.
///
/// ```
/// use upcast::check::{Finding, SNAPSHOT_MISSING};
///
/// let finding = Finding::new(&SNAPSHOT_MISSING, "user", Some("2.0.0"), "no snapshot");
/// assert_eq!(finding.to_string(), "`user` 2.0.0: no snapshot");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Finding {
    /// The rule broken.
    pub rule: &'static Rule,
    /// The kind concerned.
    pub kind: String,
    /// The version concerned, if one.
    pub version: Option<String>,
    /// The file concerned, if one.
    pub path: Option<PathBuf>,
    /// What is wrong, precisely.
    pub message: String,
}

impl Finding {
    /// A finding of `rule` about `kind` (and `version`).
    ///
    /// See the example on [`Finding`].
    pub fn new(
        rule: &'static Rule,
        kind: &str,
        version: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        Finding {
            rule,
            kind: kind.to_owned(),
            version: version.map(str::to_owned),
            path: None,
            message: message.into(),
        }
    }

    /// The same finding, about the file at `path`.
    ///
    /// ```
    /// # use upcast::check::{Finding, SNAPSHOT_MISSING};
    /// let finding = Finding::new(&SNAPSHOT_MISSING, "user", None, "x").at("schemas/user/2.0.0.json");
    /// assert!(finding.path.is_some());
    /// ```
    pub fn at(self, path: impl Into<PathBuf>) -> Self {
        Finding {
            path: Some(path.into()),
            ..self
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`", self.kind)?;
        if let Some(version) = &self.version {
            write!(f, " {version}")?;
        }
        if let Some(path) = &self.path {
            write!(f, " ({})", path.display())?;
        }
        write!(f, ": {}", self.message)
    }
}
