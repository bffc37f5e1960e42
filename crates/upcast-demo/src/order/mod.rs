//! `order`: stored inline, the version in a `schema_version` field, with records from
//! before versioning that have no tag at all.
//!
//! - untagged (version 1, 2018): prices as float euros, `items` with `qty`, a local
//!   timestamp `"2018-05-01 10:22:00"`;
//! - 2 (2020): integer cents and a currency, `lines` with `quantity`, RFC 3339 timestamps;
//!   the step refuses negative or non-finite prices;
//! - 3 (2022): customer ids follow the customer's string ids, and an order has a status.

mod steps;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use steps::InvalidLegacyOrder;

/// The field that holds an order's version tag.
pub const TAG_FIELD: &str = "schema_version";

/// The layout orders are stored in.
///
/// ```
/// assert_eq!(upcast_demo::order::layout().tag_field(), Some("schema_version"));
/// ```
pub fn layout() -> upcast::Layout {
    upcast::Layout::inline(TAG_FIELD)
}

/// Version 1: records written before versioning, with no tag.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema, upcast::Versioned)]
#[versioned(kind = "order", version = 1, untagged)]
pub struct OrderV1 {
    /// Order number.
    pub order_id: u64,
    /// Numeric customer id.
    pub customer_id: u64,
    /// What was bought.
    pub items: Vec<ItemV1>,
    /// Total in euros.
    pub total: f64,
    /// Local time, `YYYY-MM-DD HH:MM:SS`.
    pub placed_at: String,
}

/// A line of a version 1 order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ItemV1 {
    /// Product SKU.
    pub sku: String,
    /// Quantity.
    pub qty: u32,
    /// Unit price in euros.
    pub price: f64,
}

/// Version 2: cents, currency, RFC 3339.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema, upcast::Versioned)]
#[versioned(kind = "order", version = 2)]
pub struct OrderV2 {
    /// Order number.
    pub order_id: u64,
    /// Numeric customer id.
    pub customer_id: u64,
    /// What was bought.
    pub lines: Vec<Line>,
    /// Total in cents of `currency`.
    pub total_cents: u64,
    /// ISO 4217 currency code.
    pub currency: String,
    /// When the order was placed, RFC 3339.
    pub placed_at: String,
}

/// A line of an order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Line {
    /// Product SKU.
    pub sku: String,
    /// Quantity.
    pub quantity: u32,
    /// Unit price in cents.
    pub unit_price_cents: u64,
}

/// Version 3, current: string customer ids and a status.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema, upcast::Versioned)]
#[versioned(kind = "order", version = 3)]
pub struct Order {
    /// Order number.
    pub order_id: u64,
    /// The customer's string id, `cus_` and six digits.
    pub customer_id: String,
    /// What was bought.
    pub lines: Vec<Line>,
    /// Total in cents of `currency`.
    pub total_cents: u64,
    /// ISO 4217 currency code.
    pub currency: String,
    /// When the order was placed, RFC 3339.
    pub placed_at: String,
    /// Where the order is in its life.
    #[serde(default)]
    pub status: Status,
}

/// Where an order is in its life.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Placed, not paid.
    #[default]
    Placed,
    /// Paid.
    Paid,
    /// Handed to the carrier.
    Shipped,
    /// Cancelled.
    Cancelled,
}

/// Reads an order stored in any version, in the versioned-schema mode.
#[derive(Debug, upcast::AnyVersion)]
pub enum AnyOrder {
    /// An untagged legacy row.
    V1(OrderV1),
    /// Stored as version 2.
    V2(OrderV2),
    /// Stored as version 3.
    V3(Order),
}
