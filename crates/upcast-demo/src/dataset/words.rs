//! Names, places and words the generator draws from.

use rand::RngExt;
use rand::seq::IndexedRandom;

use super::Rng;
use crate::customer::COUNTRIES;

const FIRST: &[&str] = &[
    "Ada",
    "Alan",
    "Grace",
    "Edsger",
    "Barbara",
    "Donald",
    "Margaret",
    "Ken",
    "Frances",
    "John",
    "Radia",
    "Tim",
    "Hedy",
    "Linus",
    "Katherine",
    "Dennis",
    "Sophie",
    "Niklaus",
    "Mary Ann",
    "Jean-Luc",
    "Anna Maria",
    "Björn",
    "Zoë",
    "José",
    "Chiara",
    "Aiko",
];

const LAST: &[&str] = &[
    "Lovelace",
    "Turing",
    "Hopper",
    "Dijkstra",
    "Liskov",
    "Knuth",
    "Hamilton",
    "Thompson",
    "Allen",
    "Backus",
    "Perlman",
    "Berners-Lee",
    "Lamarr",
    "Torvalds",
    "Johnson",
    "Ritchie",
    "Wilson",
    "Wirth",
    "Smith",
    "van Rossum",
    "Müller",
    "García",
    "Rossi",
    "Tanaka",
];

/// Single-word names, which the v2 -> v3 split must keep whole.
const MONONYMS: &[&str] = &["Plato", "Cher", "Pelé", "Björk"];

const CITIES: &[&str] = &[
    "Vienna",
    "Brussels",
    "Toronto",
    "Copenhagen",
    "Helsinki",
    "Lyon",
    "Berlin",
    "Dublin",
    "Milan",
    "Osaka",
    "Utrecht",
    "Bergen",
    "Kraków",
    "Porto",
    "Seville",
    "Malmö",
    "Basel",
    "Leeds",
    "Portland",
];

const DOMAINS: &[&str] = &["example.com", "example.org", "example.net", "mail.example"];

const ADJECTIVES: &[&str] = &[
    "Walnut", "Oak", "Linen", "Copper", "Ceramic", "Wool", "Bamboo", "Steel", "Glass", "Cork",
];

const NOUNS: &[&str] = &[
    "Desk Lamp",
    "Bookshelf",
    "Throw",
    "Kettle",
    "Mug",
    "Rug",
    "Cutting Board",
    "Stool",
    "Vase",
    "Notebook",
    "Planter",
    "Side Table",
];

const TAGS: &[&str] = &[
    "home", "kitchen", "office", "gift", "sale", "new", "eco", "handmade",
];

pub(super) fn pick<'a>(rng: &mut Rng, words: &[&'a str]) -> &'a str {
    words.choose(rng).copied().unwrap_or_default()
}

/// A full name as the 2019 form stored it, sometimes a mononym.
pub(super) fn full_name(rng: &mut Rng) -> String {
    if rng.random_bool(0.03) {
        return pick(rng, MONONYMS).to_owned();
    }
    format!("{} {}", pick(rng, FIRST), pick(rng, LAST))
}

pub(super) fn email(rng: &mut Rng, name: &str) -> String {
    let local: String = name
        .to_lowercase()
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '.' })
        .collect();
    format!("{local}{}@{}", rng.random_range(1..100), pick(rng, DOMAINS))
}

/// A city and the country name customers typed for it.
pub(super) fn place(rng: &mut Rng) -> (String, String) {
    let index = rng.random_range(0..COUNTRIES.len().min(CITIES.len()));
    let city = CITIES.get(index).copied().unwrap_or("Vienna");
    let country = COUNTRIES.get(index).map_or("Austria", |(name, _)| name);
    (city.to_owned(), country.to_owned())
}

pub(super) fn product_title(rng: &mut Rng) -> String {
    format!("{} {}", pick(rng, ADJECTIVES), pick(rng, NOUNS))
}

pub(super) fn tags(rng: &mut Rng) -> Vec<String> {
    let count = rng.random_range(0..=3);
    TAGS.sample(rng, count)
        .map(|tag| (*tag).to_owned())
        .collect()
}

/// A timestamp in `year`, as `YYYY-MM-DD`, `HH:MM:SS`.
pub(super) fn moment(rng: &mut Rng, year: u32) -> (String, String) {
    let date = format!(
        "{year}-{:02}-{:02}",
        rng.random_range(1..=12),
        rng.random_range(1..=28)
    );
    let time = format!(
        "{:02}:{:02}:{:02}",
        rng.random_range(0..24),
        rng.random_range(0..60),
        rng.random_range(0..60)
    );
    (date, time)
}
