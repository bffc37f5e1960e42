//! `events.jsonl`: customer and product envelopes, as an event store keeps them.

use rand::RngExt;
use serde::Serialize;
use serde_json::json;

use super::words::{email, full_name, moment, place, product_title, tags};
use super::{CUSTOMERS, Rng};
use crate::customer::{
    Address, Customer, CustomerV1, CustomerV2, CustomerV3, CustomerV4, PersonName,
};

/// Lines whose customer lives where the store never shipped: their last step fails.
const JUNK_COUNTRIES: &[(usize, &str)] = &[(1_234, "Atlantis"), (3_210, "Narnia")];

pub(super) fn generate(rng: &mut Rng, count: usize) -> String {
    let mut out = String::new();
    for line in 0..count {
        let id = format!("evt-{:06}", line + 1);
        let record = if rng.random_bool(0.7) {
            customer(rng, &id, line)
        } else {
            product(rng, &id)
        };
        out.push_str(&record);
        out.push('\n');
    }
    out
}

/// An envelope written the way upcast writes it, metadata before the data; or, for a share
/// of the oldest records, the way a key-sorting export tool wrote it.
fn envelope(
    kind: &str,
    tag: serde_json::Value,
    id: &str,
    at: &str,
    data: &impl Serialize,
    sorted: bool,
) -> String {
    let data = serde_json::to_string(data).unwrap_or_default();
    let (kind, id, at) = (json!(kind), json!(id), json!(at));
    if sorted {
        format!(r#"{{"at":{at},"data":{data},"id":{id},"kind":{kind},"version":{tag}}}"#)
    } else {
        format!(r#"{{"kind":{kind},"version":{tag},"id":{id},"at":{at},"data":{data}}}"#)
    }
}

fn customer(rng: &mut Rng, event_id: &str, line: usize) -> String {
    let junk = JUNK_COUNTRIES
        .iter()
        .find(|(at, _)| *at == line)
        .map(|(_, country)| *country);
    let version = match (junk, rng.random_range(0..100)) {
        (Some(_), roll) => 1 + roll % 4,
        (None, 0..15) => 1,
        (None, 15..30) => 2,
        (None, 30..50) => 3,
        (None, 50..70) => 4,
        (None, _) => 5,
    };
    let year = [2019, 2020, 2021, 2022, 2024][version as usize - 1] + rng.random_range(0..2);
    let (date, time) = moment(rng, year);
    let at = format!("{date}T{time}Z");
    let id = rng.random_range(1..=CUSTOMERS);
    let name = full_name(rng);
    let mail = email(rng, &name);
    let (city, mut country) = place(rng);
    if let Some(junk) = junk {
        country = junk.to_owned();
    } else if version <= 2 && rng.random_bool(0.05) {
        country = country.to_lowercase();
    }
    let v1 = CustomerV1 {
        id,
        name,
        mail,
        city,
        country,
    };
    let sorted = version == 1 && rng.random_bool(0.25);
    let tag = json!(version);
    match version {
        1 => envelope("customer", tag, event_id, &at, &v1, sorted),
        2 => envelope(
            "customer",
            tag,
            event_id,
            &at,
            &CustomerV2::from(v1),
            sorted,
        ),
        3 => envelope("customer", tag, event_id, &at, &v3(v1), sorted),
        4 => envelope(
            "customer",
            tag,
            event_id,
            &at,
            &CustomerV4::from(v3(v1)),
            sorted,
        ),
        _ => envelope("customer", tag, event_id, &at, &current(v1, &at), sorted),
    }
}

fn v3(v1: CustomerV1) -> CustomerV3 {
    CustomerV3::from(CustomerV2::from(v1))
}

/// A customer first stored at version 5.
fn current(v1: CustomerV1, at: &str) -> Customer {
    let v4 = CustomerV4::from(v3(v1));
    let country = crate::customer::iso_code(&v4.country).unwrap_or("AT");
    Customer {
        id: v4.id,
        name: PersonName {
            first: v4.first_name,
            last: v4.last_name,
        },
        email: v4.email,
        address: Address {
            city: v4.city,
            country: country.to_owned(),
        },
        since: Some(at.to_owned()),
    }
}

fn product(rng: &mut Rng, event_id: &str) -> String {
    let (tag, year) = match rng.random_range(0..100) {
        0..30 => ("1.0.0", 2019),
        30..60 => ("1.1.0", 2021),
        _ => ("1.2.0", 2023),
    };
    let year = year + rng.random_range(0..2);
    let (date, time) = moment(rng, year);
    let at = format!("{date}T{time}Z");
    let title = product_title(rng);
    let mut data = json!({
        "sku": format!("SKU-{:05}", rng.random_range(1..20_000)),
        "title": title,
        "price_cents": rng.random_range(499..30_000),
    });
    if tag != "1.0.0" && rng.random_bool(0.8) {
        data["description"] = json!(format!("A {} for every day.", title.to_lowercase()));
    }
    if tag == "1.2.0" {
        data["tags"] = json!(tags(rng));
    }
    envelope("product", json!(tag), event_id, &at, &data, false)
}
