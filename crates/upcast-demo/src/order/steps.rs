//! The steps between order versions.

use std::fmt;

use super::{Line, Order, OrderV1, OrderV2, Status};

/// Why a legacy order cannot be converted: a price that is no amount of money.
#[derive(Debug, Clone, PartialEq)]
pub struct InvalidLegacyOrder {
    order_id: u64,
    price: f64,
}

impl fmt::Display for InvalidLegacyOrder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "order {} has the price {}, expected a non-negative amount",
            self.order_id, self.price
        )
    }
}

impl std::error::Error for InvalidLegacyOrder {}

/// Float euros to integer cents, refusing what no price can be.
fn cents(order_id: u64, euros: f64) -> Result<u64, InvalidLegacyOrder> {
    let cents = (euros * 100.0).round();
    if !cents.is_finite() || cents < 0.0 || cents > u64::MAX as f64 {
        return Err(InvalidLegacyOrder {
            order_id,
            price: euros,
        });
    }
    Ok(cents as u64)
}

/// `2018-05-01 10:22:00` (the shop's clock was UTC) to `2018-05-01T10:22:00Z`.
fn rfc3339(local: &str) -> String {
    match local.split_once(' ') {
        Some((date, time)) => format!("{date}T{time}Z"),
        None => local.to_owned(),
    }
}

/// A fallible step written as `TryFrom`.
#[upcast::register]
impl TryFrom<OrderV1> for OrderV2 {
    type Error = InvalidLegacyOrder;

    fn try_from(v1: OrderV1) -> Result<Self, InvalidLegacyOrder> {
        let lines = v1
            .items
            .iter()
            .map(|item| {
                let unit_price_cents = cents(v1.order_id, item.price)?;
                Ok(Line {
                    sku: item.sku.clone(),
                    quantity: item.qty,
                    unit_price_cents,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(OrderV2 {
            order_id: v1.order_id,
            customer_id: v1.customer_id,
            lines,
            total_cents: cents(v1.order_id, v1.total)?,
            currency: "EUR".to_owned(),
            placed_at: rfc3339(&v1.placed_at),
        })
    }
}

/// Customer ids became strings; orders stored before statuses existed count as placed.
#[upcast::register]
impl From<OrderV2> for Order {
    fn from(v2: OrderV2) -> Self {
        Order {
            order_id: v2.order_id,
            customer_id: format!("cus_{:06}", v2.customer_id),
            lines: v2.lines,
            total_cents: v2.total_cents,
            currency: v2.currency,
            placed_at: v2.placed_at,
            status: Status::Placed,
        }
    }
}
