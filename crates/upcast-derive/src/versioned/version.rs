//! Checks a declared version at compile time, with the same rules as `upcast::Version`.

/// Parses `2`, `2.1`, `2.1.0` or a full semver version, as `upcast::Version::parse` does.
pub(crate) fn check(text: &str) -> Result<semver::Version, String> {
    let core_end = text.find(['-', '+']).unwrap_or(text.len());
    let (core, suffix) = text.split_at(core_end);
    let padded = match core.matches('.').count() {
        0 => format!("{core}.0.0{suffix}"),
        1 => format!("{core}.0{suffix}"),
        _ => text.to_owned(),
    };
    semver::Version::parse(&padded).map_err(|error| error.to_string())
}
