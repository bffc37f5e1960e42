//! Versions and the tags that carry them in stored data.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::Error;

/// A schema version: a semver version that also parses the short forms `2` and `2.1`.
///
/// An integer `N` means `N.0.0`, `N.M` means `N.M.0`. Display always gives the full form.
///
/// ```
/// use upcast::Version;
///
/// let v: Version = "2.1".parse()?;
/// assert_eq!(v, Version::new(2, 1, 0));
/// assert_eq!(v.to_string(), "2.1.0");
/// # Ok::<(), upcast::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version(semver::Version);

impl Version {
    /// The release version `major.minor.patch`.
    ///
    /// ```
    /// assert_eq!(upcast::Version::new(3, 1, 0).to_string(), "3.1.0");
    /// ```
    pub const fn new(major: u64, minor: u64, patch: u64) -> Self {
        Version(semver::Version::new(major, minor, patch))
    }

    /// Parses `2`, `2.1`, `2.1.0` or any full semver version such as `2.0.0-rc1`.
    ///
    /// ```
    /// assert!(upcast::Version::parse("2.0.0-rc1")?.is_prerelease());
    /// assert!(upcast::Version::parse("two").is_err());
    /// # Ok::<(), upcast::Error>(())
    /// ```
    pub fn parse(text: &str) -> Result<Self, Error> {
        upcast_version::parse(text)
            .map(Version)
            .map_err(|reason| Error::InvalidVersion {
                text: text.to_owned(),
                reason,
            })
    }

    /// The major component.
    ///
    /// ```
    /// assert_eq!(upcast::Version::new(3, 1, 0).major(), 3);
    /// ```
    pub fn major(&self) -> u64 {
        self.0.major
    }

    /// The minor component.
    ///
    /// ```
    /// assert_eq!(upcast::Version::new(3, 1, 0).minor(), 1);
    /// ```
    pub fn minor(&self) -> u64 {
        self.0.minor
    }

    /// The patch component.
    ///
    /// ```
    /// assert_eq!(upcast::Version::new(3, 1, 4).patch(), 4);
    /// ```
    pub fn patch(&self) -> u64 {
        self.0.patch
    }

    /// Whether this is a pre-release such as `2.0.0-rc1`: its own version, never inside the
    /// range of a release type.
    ///
    /// ```
    /// assert!(!upcast::Version::new(2, 0, 0).is_prerelease());
    /// ```
    pub fn is_prerelease(&self) -> bool {
        !self.0.pre.is_empty()
    }

    /// The underlying [`semver::Version`].
    ///
    /// ```
    /// let v = upcast::Version::new(1, 2, 3);
    /// assert_eq!(v.as_semver(), &semver::Version::new(1, 2, 3));
    /// ```
    pub fn as_semver(&self) -> &semver::Version {
        &self.0
    }

    /// Whether data written at `stored` can be read directly by a type declared at `self`.
    ///
    /// This is Cargo's caret rule bounded above by `self`: a type declared `3.1.0` reads
    /// `3.0.0` and `3.1.0` data, a type declared `0.3.2` reads `0.3.0` to `0.3.2`, and a
    /// pre-release only reads itself. Build metadata is ignored.
    ///
    /// ```
    /// use upcast::Version;
    ///
    /// let declared = Version::new(3, 1, 0);
    /// assert!(declared.reads(&Version::new(3, 0, 0)));
    /// assert!(!declared.reads(&Version::new(3, 2, 0)));
    /// assert!(!declared.reads(&Version::new(2, 9, 0)));
    /// ```
    pub fn reads(&self, stored: &Version) -> bool {
        if self.is_prerelease() || stored.is_prerelease() {
            return self.0.cmp_precedence(&stored.0) == Ordering::Equal;
        }
        self.same_range(stored) && stored.0.cmp_precedence(&self.0) != Ordering::Greater
    }

    /// Whether both versions fall in one compatible range (`^3`, `^0.3`, `=0.0.3`).
    pub(crate) fn same_range(&self, other: &Version) -> bool {
        match (self.0.major, self.0.minor) {
            (0, 0) => other.0.major == 0 && other.0.minor == 0 && other.0.patch == self.0.patch,
            (0, minor) => other.0.major == 0 && other.0.minor == minor,
            (major, _) => other.0.major == major,
        }
    }

    /// The release this version is or leads to: `2.7.0` for `2.7.0-rc1`.
    pub(crate) fn release(&self) -> Version {
        Version::new(self.0.major, self.0.minor, self.0.patch)
    }

    /// The compatible range this version opens, in Cargo's notation (`^3`, `^0.3`, `=0.0.3`).
    pub(crate) fn range_name(&self) -> String {
        if self.is_prerelease() {
            return format!("={self}");
        }
        match (self.0.major, self.0.minor) {
            (0, 0) => format!("=0.0.{}", self.0.patch),
            (0, minor) => format!("^0.{minor}"),
            (major, _) => format!("^{major}"),
        }
    }
}

impl FromStr for Version {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Error> {
        Version::parse(text)
    }
}

impl From<semver::Version> for Version {
    fn from(version: semver::Version) -> Self {
        Version(version)
    }
}

impl From<Version> for semver::Version {
    fn from(version: Version) -> Self {
        version.0
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Version({})", self.0)
    }
}

impl Serialize for Version {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Version {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(VersionVisitor)
    }
}

struct VersionVisitor;

impl Visitor<'_> for VersionVisitor {
    type Value = Version;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a version: an integer or a string like \"2.1.0\"")
    }

    fn visit_u64<E: de::Error>(self, major: u64) -> Result<Version, E> {
        Ok(Version::new(major, 0, 0))
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Version, E> {
        Version::parse(text).map_err(E::custom)
    }
}

/// How a type writes its version tag: the form it declared.
///
/// `#[versioned(version = 5)]` declares [`Tag::Number`] and writes `5`;
/// `#[versioned(version = "3.1.0")]` declares [`Tag::Text`] and writes `"3.1.0"`.
///
/// ```
/// use upcast::{Tag, Version};
///
/// assert_eq!(Tag::Number(5).version()?, Version::new(5, 0, 0));
/// assert_eq!(Tag::Text("3.1").version()?, Version::new(3, 1, 0));
/// # Ok::<(), upcast::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tag {
    /// An integer major version, stored as a JSON number.
    Number(u64),
    /// A version string, stored as a JSON string.
    Text(&'static str),
}

impl Tag {
    /// The version this tag stands for.
    ///
    /// ```
    /// assert_eq!(upcast::Tag::Number(2).version()?.to_string(), "2.0.0");
    /// # Ok::<(), upcast::Error>(())
    /// ```
    pub fn version(self) -> Result<Version, Error> {
        match self {
            Tag::Number(major) => Ok(Version::new(major, 0, 0)),
            Tag::Text(text) => Version::parse(text),
        }
    }
}

impl Tag {
    /// Whether this tag stands for exactly `version` (build metadata included).
    ///
    /// ```
    /// use upcast::{Tag, Version};
    ///
    /// assert!(Tag::Number(5).is(&Version::new(5, 0, 0)));
    /// assert!(Tag::Text("3.1").is(&Version::new(3, 1, 0)));
    /// assert!(!Tag::Text("3.1").is(&Version::new(3, 0, 0)));
    /// ```
    pub fn is(self, version: &Version) -> bool {
        match self {
            Tag::Number(major) => *version == Version::new(major, 0, 0),
            Tag::Text(text) => Version::parse(text).is_ok_and(|declared| declared == *version),
        }
    }
}

impl Tag {
    /// Whether `text`, a version kept as text beside a record (a column, a header), is this
    /// tag as its type writes it: `5` for `Tag::Number(5)`, `3.1.0` for `Tag::Text("3.1.0")`.
    ///
    /// ```
    /// use upcast::Tag;
    ///
    /// assert!(Tag::Number(5).is_written_as("5"));
    /// assert!(!Tag::Number(5).is_written_as("5.0.0"));
    /// assert!(Tag::Text("3.1.0").is_written_as("3.1.0") && !Tag::Text("3.1.0").is_written_as("3.1"));
    /// ```
    pub fn is_written_as(self, text: &str) -> bool {
        match self {
            Tag::Number(major) => {
                let canonical = text == "0" || !text.starts_with('0');
                canonical && text.bytes().all(|b| b.is_ascii_digit()) && text.parse() == Ok(major)
            }
            Tag::Text(declared) => declared == text,
        }
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tag::Number(major) => write!(f, "{major}"),
            Tag::Text(text) => f.write_str(text),
        }
    }
}

impl Serialize for Tag {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Tag::Number(major) => serializer.serialize_u64(*major),
            Tag::Text(text) => serializer.serialize_str(text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> Version {
        match Version::parse(text) {
            Ok(version) => version,
            Err(error) => panic!("{error}"),
        }
    }

    #[test]
    fn short_forms_pad_with_zeros() {
        assert_eq!(v("2"), Version::new(2, 0, 0));
        assert_eq!(v("2.1"), Version::new(2, 1, 0));
        assert_eq!(v("2-rc1").to_string(), "2.0.0-rc1");
        assert_eq!(v("2.1+build").to_string(), "2.1.0+build");
    }

    #[test]
    fn bad_versions_name_the_text() {
        let error = Version::parse("2.x").unwrap_err().to_string();
        assert!(error.starts_with("invalid version `2.x`"), "{error}");
        assert!(Version::parse("").is_err());
        assert!(Version::parse("1.2.3.4").is_err());
    }

    #[test]
    fn caret_ranges_are_bounded_by_the_declared_version() {
        assert!(v("3.1").reads(&v("3")));
        assert!(v("3.1").reads(&v("3.1.0+meta")));
        assert!(!v("3.1").reads(&v("3.1.1")));
        assert!(v("0.3.2").reads(&v("0.3.0")));
        assert!(!v("0.3.2").reads(&v("0.2.0")));
        assert!(!v("0.0.3").reads(&v("0.0.2")));
        assert!(!v("2").reads(&v("2.0.0-rc1")));
        assert!(v("2.0.0-rc1").reads(&v("2.0.0-rc1")));
        assert!(!v("2.0.0-rc2").reads(&v("2.0.0-rc1")));
    }

    #[test]
    fn range_names_follow_cargo() {
        assert_eq!(v("3.1").range_name(), "^3");
        assert_eq!(v("0.3.1").range_name(), "^0.3");
        assert_eq!(v("0.0.3").range_name(), "=0.0.3");
        assert_eq!(v("2.0.0-rc1").range_name(), "=2.0.0-rc1");
    }

    #[test]
    fn deserializes_numbers_and_strings() {
        let number: Version = serde_json::from_str("4").unwrap();
        let text: Version = serde_json::from_str("\"4.2\"").unwrap();
        assert_eq!((number, text), (v("4"), v("4.2")));
        assert!(serde_json::from_str::<Version>("4.5").is_err());
    }
}
