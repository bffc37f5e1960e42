//! `customer`: five major versions, stored in envelopes.
//!
//! - 1 (2019): `id`, `name`, `mail`, `city`, `country` (a country name);
//! - 2 (2020): `mail` renamed to `email`;
//! - 3 (2021): `name` split into `first_name` and `last_name`;
//! - 4 (2022): numeric `id` became a string id, `cus_000042`;
//! - 5 (2024): `first_name`/`last_name` nested under `name`, `city`/`country` under
//!   `address`, the country name replaced by its ISO 3166 code. This step fails for a
//!   country it does not know, and takes the customer's `since` date from the envelope's
//!   `at` metadata. A downcast leads back to 4, so services can keep writing version 4
//!   during a rollout (it sets aside what version 4 cannot hold).

mod country;
mod steps;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use country::{COUNTRIES, country_name, iso_code};

/// Version 1: the first schema.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema, upcast::Versioned)]
#[versioned(kind = "customer", version = 1)]
pub struct CustomerV1 {
    /// Numeric id.
    pub id: u64,
    /// Full name, "first last".
    pub name: String,
    /// E-mail address.
    pub mail: String,
    /// City.
    pub city: String,
    /// Country name, in English.
    pub country: String,
}

/// Version 2: `mail` is now `email`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema, upcast::Versioned)]
#[versioned(kind = "customer", version = 2)]
pub struct CustomerV2 {
    /// Numeric id.
    pub id: u64,
    /// Full name, "first last".
    pub name: String,
    /// E-mail address.
    pub email: String,
    /// City.
    pub city: String,
    /// Country name, in English.
    pub country: String,
}

/// Version 3: the name is split in two.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema, upcast::Versioned)]
#[versioned(kind = "customer", version = 3)]
pub struct CustomerV3 {
    /// Numeric id.
    pub id: u64,
    /// Given name.
    pub first_name: String,
    /// Family name; empty for mononyms.
    pub last_name: String,
    /// E-mail address.
    pub email: String,
    /// City.
    pub city: String,
    /// Country name, in English.
    pub country: String,
}

/// Version 4: string ids.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema, upcast::Versioned)]
#[versioned(kind = "customer", version = 4)]
pub struct CustomerV4 {
    /// String id, `cus_` and six digits.
    pub id: String,
    /// Given name.
    pub first_name: String,
    /// Family name; empty for mononyms.
    pub last_name: String,
    /// E-mail address.
    pub email: String,
    /// City.
    pub city: String,
    /// Country name, in English.
    pub country: String,
}

/// Version 5, current: nested name and address, ISO country codes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema, upcast::Versioned)]
#[versioned(kind = "customer", version = 5)]
pub struct Customer {
    /// String id, `cus_` and six digits.
    pub id: String,
    /// The customer's name.
    pub name: PersonName,
    /// E-mail address.
    pub email: String,
    /// Postal address.
    pub address: Address,
    /// When the customer record was first stored (RFC 3339), if known.
    #[serde(default)]
    pub since: Option<String>,
}

impl Customer {
    /// A customer made up from `key`, as the shop's service writes them (the walk-through
    /// and the figures).
    ///
    /// ```
    /// let ada = upcast_demo::customer::Customer::sample(7);
    /// assert_eq!((ada.id.as_str(), ada.address.country.as_str()), ("cus_0000007", "GB"));
    /// ```
    pub fn sample(key: i64) -> Customer {
        Customer {
            id: format!("cus_{key:07}"),
            name: PersonName {
                first: "Ada".to_owned(),
                last: format!("Lovelace-{key}"),
            },
            email: format!("ada.{key}@example.org"),
            address: Address {
                city: "London".to_owned(),
                country: "GB".to_owned(),
            },
            since: Some("2026-11-25T00:00:00Z".to_owned()),
        }
    }
}

/// A person's name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PersonName {
    /// Given name.
    pub first: String,
    /// Family name; empty for mononyms.
    pub last: String,
}

/// A postal address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Address {
    /// City.
    pub city: String,
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
}

/// Reads a customer stored in any version, in the versioned-schema mode.
#[derive(Debug, upcast::AnyVersion)]
pub enum AnyCustomer {
    /// Stored as version 1.
    V1(CustomerV1),
    /// Stored as version 2.
    V2(CustomerV2),
    /// Stored as version 3.
    V3(CustomerV3),
    /// Stored as version 4.
    V4(CustomerV4),
    /// Stored as version 5.
    V5(Customer),
}
