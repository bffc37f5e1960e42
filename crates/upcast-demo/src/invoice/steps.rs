//! The four invoice steps, shared by upcast and by the hand-written baseline.

use super::{Invoice, InvoiceV1, InvoiceV2, InvoiceV3, InvoiceV4, Line, Totals};

/// Euros to cents, rounding; a negative or non-finite price is no price and becomes 0.
pub(crate) fn cents(euros: f64) -> u64 {
    let cents = (euros * 100.0).round();
    if cents.is_finite() && cents > 0.0 {
        cents as u64
    } else {
        0
    }
}

#[upcast::register]
impl From<InvoiceV1> for InvoiceV2 {
    fn from(v1: InvoiceV1) -> Self {
        InvoiceV2 {
            number: v1.number,
            bill_to: v1.customer,
            issued: v1.issued,
            lines: v1.lines,
            notes: v1.notes,
        }
    }
}

#[upcast::register]
impl From<InvoiceV2> for InvoiceV3 {
    fn from(v2: InvoiceV2) -> Self {
        let lines = v2
            .lines
            .into_iter()
            .map(|l| Line {
                sku: l.sku,
                description: l.description,
                qty: l.qty,
                unit_price_cents: cents(l.price),
            })
            .collect();
        InvoiceV3 {
            number: v2.number,
            bill_to: v2.bill_to,
            issued: v2.issued,
            lines,
            currency: "EUR".to_owned(),
            notes: v2.notes,
        }
    }
}

#[upcast::register]
impl From<InvoiceV3> for InvoiceV4 {
    fn from(v3: InvoiceV3) -> Self {
        let notes = v3.notes.lines().map(str::to_owned).collect();
        InvoiceV4 {
            number: v3.number,
            bill_to: v3.bill_to,
            issued: v3.issued,
            lines: v3.lines,
            currency: v3.currency,
            notes,
        }
    }
}

#[upcast::register]
impl From<InvoiceV4> for Invoice {
    fn from(v4: InvoiceV4) -> Self {
        let totals = Totals::of(&v4.lines);
        Invoice {
            number: v4.number,
            bill_to: v4.bill_to,
            issued: v4.issued,
            lines: v4.lines,
            currency: v4.currency,
            notes: v4.notes,
            totals,
        }
    }
}
