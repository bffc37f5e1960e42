//! `invoice`: five versions of a record with a list, the benchmark's subject.
//!
//! - 1: `number`, `customer`, `issued`, `lines` (float prices), `notes`;
//! - 2: `customer` renamed to `bill_to`;
//! - 3: prices as integer cents with a currency;
//! - 4: `notes` split into one entry per line;
//! - 5: a nested `totals` structure computed from the lines.
//!
//! Its size grows with its lines, so one kind gives the small, medium and large payloads
//! of the benches (see [`sample`]).

mod sample;
mod steps;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use sample::{Size, sample};
pub(crate) use steps::cents;

/// Version 1.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema, upcast::Versioned)]
#[versioned(kind = "invoice", version = 1)]
pub struct InvoiceV1 {
    /// Invoice number.
    pub number: u64,
    /// Who pays.
    pub customer: String,
    /// Date of issue, `YYYY-MM-DD`.
    pub issued: String,
    /// What is billed.
    pub lines: Vec<LineV1>,
    /// Free text, lines separated by `\n`.
    pub notes: String,
}

/// A line of versions 1 and 2.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LineV1 {
    /// Product SKU.
    pub sku: String,
    /// What it is.
    pub description: String,
    /// Quantity.
    pub qty: u32,
    /// Unit price in euros.
    pub price: f64,
}

/// Version 2: `customer` is `bill_to`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema, upcast::Versioned)]
#[versioned(kind = "invoice", version = 2)]
pub struct InvoiceV2 {
    /// Invoice number.
    pub number: u64,
    /// Who pays.
    pub bill_to: String,
    /// Date of issue, `YYYY-MM-DD`.
    pub issued: String,
    /// What is billed.
    pub lines: Vec<LineV1>,
    /// Free text, lines separated by `\n`.
    pub notes: String,
}

/// Version 3: integer cents.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema, upcast::Versioned)]
#[versioned(kind = "invoice", version = 3)]
pub struct InvoiceV3 {
    /// Invoice number.
    pub number: u64,
    /// Who pays.
    pub bill_to: String,
    /// Date of issue, `YYYY-MM-DD`.
    pub issued: String,
    /// What is billed.
    pub lines: Vec<Line>,
    /// ISO 4217 currency code.
    pub currency: String,
    /// Free text, lines separated by `\n`.
    pub notes: String,
}

/// A line of versions 3 to 5.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Line {
    /// Product SKU.
    pub sku: String,
    /// What it is.
    pub description: String,
    /// Quantity.
    pub qty: u32,
    /// Unit price in cents.
    pub unit_price_cents: u64,
}

/// Version 4: notes as a list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema, upcast::Versioned)]
#[versioned(kind = "invoice", version = 4)]
pub struct InvoiceV4 {
    /// Invoice number.
    pub number: u64,
    /// Who pays.
    pub bill_to: String,
    /// Date of issue, `YYYY-MM-DD`.
    pub issued: String,
    /// What is billed.
    pub lines: Vec<Line>,
    /// ISO 4217 currency code.
    pub currency: String,
    /// Free text, one entry per line.
    pub notes: Vec<String>,
}

/// Version 5, current: with totals.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema, upcast::Versioned)]
#[versioned(kind = "invoice", version = 5)]
pub struct Invoice {
    /// Invoice number.
    pub number: u64,
    /// Who pays.
    pub bill_to: String,
    /// Date of issue, `YYYY-MM-DD`.
    pub issued: String,
    /// What is billed.
    pub lines: Vec<Line>,
    /// ISO 4217 currency code.
    pub currency: String,
    /// Free text, one entry per line.
    pub notes: Vec<String>,
    /// Sums of the lines.
    pub totals: Totals,
}

/// The sums of an invoice, in cents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Totals {
    /// Before tax.
    pub net_cents: u64,
    /// The tax.
    pub tax_cents: u64,
    /// After tax.
    pub gross_cents: u64,
}

/// The tax rate, in basis points (20%).
pub const TAX_BASIS_POINTS: u64 = 2_000;

impl Totals {
    /// The totals of `lines` at [`TAX_BASIS_POINTS`].
    ///
    /// ```
    /// use upcast_demo::invoice::{Line, Totals};
    /// let line = Line { sku: "S".into(), description: "d".into(), qty: 2, unit_price_cents: 500 };
    /// assert_eq!(Totals::of(&[line]).gross_cents, 1_200);
    /// ```
    pub fn of(lines: &[Line]) -> Totals {
        let net_cents: u64 = lines
            .iter()
            .map(|l| l.unit_price_cents * u64::from(l.qty))
            .sum();
        let tax_cents = (net_cents * TAX_BASIS_POINTS + 5_000) / 10_000;
        Totals {
            net_cents,
            tax_cents,
            gross_cents: net_cents + tax_cents,
        }
    }
}
