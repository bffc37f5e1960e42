//! The one version grammar of [upcast](https://docs.rs/upcast), shared by the runtime
//! (`upcast::Version::parse`) and the derive (`#[versioned(version = "...")]`), so a version
//! the macro accepts is exactly one the runtime reads.
//!
//! A version is semver with two short forms: `2` means `2.0.0` and `2.1` means `2.1.0`; a
//! pre-release or build suffix may follow any form (`2-rc1` is `2.0.0-rc1`).
//!
//! ```
//! assert_eq!(upcast_version::parse("2.1")?, semver::Version::new(2, 1, 0));
//! assert_eq!(upcast_version::parse("2-rc1")?.to_string(), "2.0.0-rc1");
//! assert!(upcast_version::parse("2.x").is_err());
//! # Ok::<(), String>(())
//! ```

#![warn(missing_docs)]

/// Parses `2`, `2.1`, `2.1.0` or any full semver version such as `2.0.0-rc1+build`.
///
/// The error is semver's description of what is wrong, for a message that quotes the text.
///
/// ```
/// let error = upcast_version::parse("1.2.3.4").unwrap_err();
/// assert!(error.contains("unexpected character"), "{error}");
/// ```
pub fn parse(text: &str) -> Result<semver::Version, String> {
    let core_end = text.find(['-', '+']).unwrap_or(text.len());
    let (core, suffix) = text.split_at(core_end);
    let parsed = match core.matches('.').count() {
        0 => semver::Version::parse(&format!("{core}.0.0{suffix}")),
        1 => semver::Version::parse(&format!("{core}.0{suffix}")),
        _ => semver::Version::parse(text),
    };
    parsed.map_err(|error| error.to_string())
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn short_forms_pad_with_zeros() {
        assert_eq!(parse("2").unwrap().to_string(), "2.0.0");
        assert_eq!(parse("2.1").unwrap().to_string(), "2.1.0");
        assert_eq!(parse("2.1+build").unwrap().to_string(), "2.1.0+build");
        assert_eq!(parse("2.0.0-rc1").unwrap().to_string(), "2.0.0-rc1");
    }

    #[test]
    fn refuses_what_semver_refuses() {
        for bad in ["", "two", "2.x", "1.2.3.4", "-1", "2.", "01"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
