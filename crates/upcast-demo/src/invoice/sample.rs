//! Deterministic invoices of the three benchmark sizes.

use super::{InvoiceV1, LineV1};

/// The payload sizes of the benches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Size {
    /// Five fields and no lines: about 150 bytes.
    Small,
    /// Ten lines: about 1 KB.
    Medium,
    /// About 64 KB.
    Large,
}

impl Size {
    /// Every size, smallest first.
    pub const ALL: [Size; 3] = [Size::Small, Size::Medium, Size::Large];

    /// How many lines an invoice of this size has.
    pub fn lines(self) -> usize {
        match self {
            Size::Small => 0,
            Size::Medium => 10,
            Size::Large => 690,
        }
    }

    /// The name used in bench ids: `small`, `medium`, `large`.
    pub fn name(self) -> &'static str {
        match self {
            Size::Small => "small",
            Size::Medium => "medium",
            Size::Large => "large",
        }
    }
}

/// A version 1 invoice of `size`, the same every time.
///
/// ```
/// use upcast_demo::invoice::{Size, sample};
/// let medium = serde_json::to_vec(&sample(Size::Medium)).unwrap();
/// assert!((900..1_200).contains(&medium.len()), "{}", medium.len());
/// let large = serde_json::to_vec(&sample(Size::Large)).unwrap();
/// assert!((60_000..68_000).contains(&large.len()), "{}", large.len());
/// ```
pub fn sample(size: Size) -> InvoiceV1 {
    let lines = (0..size.lines())
        .map(|i| LineV1 {
            sku: format!("SKU-{:05}", 10_007 * (i + 1) % 100_000),
            description: format!("Walnut desk lamp, model {}", i % 17),
            qty: (i % 4) as u32 + 1,
            price: ((i * 377) % 20_000) as f64 / 100.0 + 4.99,
        })
        .collect();
    InvoiceV1 {
        number: 20_190_001,
        customer: "Ada Lovelace".to_owned(),
        issued: "2019-03-04".to_owned(),
        lines,
        notes: "Thank you for your order.\nPayable within 30 days.".to_owned(),
    }
}
