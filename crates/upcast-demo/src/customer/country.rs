//! Country names as customers typed them in 2019, and their ISO 3166-1 alpha-2 codes.

/// The countries the store ships to, by the names the old forms accepted.
pub const COUNTRIES: &[(&str, &str)] = &[
    ("Austria", "AT"),
    ("Belgium", "BE"),
    ("Canada", "CA"),
    ("Denmark", "DK"),
    ("Finland", "FI"),
    ("France", "FR"),
    ("Germany", "DE"),
    ("Ireland", "IE"),
    ("Italy", "IT"),
    ("Japan", "JP"),
    ("Netherlands", "NL"),
    ("Norway", "NO"),
    ("Poland", "PL"),
    ("Portugal", "PT"),
    ("Spain", "ES"),
    ("Sweden", "SE"),
    ("Switzerland", "CH"),
    ("United Kingdom", "GB"),
    ("United States", "US"),
];

/// The ISO code of a country name, ignoring case and surrounding spaces; `None` when the
/// store never shipped there.
///
/// ```
/// assert_eq!(upcast_demo::customer::iso_code(" germany "), Some("DE"));
/// assert_eq!(upcast_demo::customer::iso_code("Atlantis"), None);
/// ```
pub fn iso_code(name: &str) -> Option<&'static str> {
    let name = name.trim();
    COUNTRIES
        .iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(name))
        .map(|(_, code)| *code)
}

/// The name the store uses for an ISO code; `None` for a code it never shipped to.
///
/// ```
/// assert_eq!(upcast_demo::customer::country_name("DE"), Some("Germany"));
/// assert_eq!(upcast_demo::customer::country_name("XX"), None);
/// ```
pub fn country_name(code: &str) -> Option<&'static str> {
    COUNTRIES
        .iter()
        .find(|(_, known)| *known == code)
        .map(|(name, _)| *name)
}
