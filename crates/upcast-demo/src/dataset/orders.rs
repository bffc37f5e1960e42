//! `orders.jsonl`: inline order records, from untagged 2018 rows to version 3.

use rand::RngExt;
use serde_json::{Value, json};

use super::words::moment;
use super::{CUSTOMERS, Rng};
use crate::order::{Line, Status, TAG_FIELD};

/// The line of the order a 2018 script refunded by entering a negative price.
const NEGATIVE_PRICE_AT: usize = 4_321;

pub(super) fn generate(rng: &mut Rng, count: usize) -> String {
    let mut out = String::new();
    for line in 0..count {
        let order_id = 100_000 + line as u64;
        let record = match rng.random_range(0..100) {
            _ if line == NEGATIVE_PRICE_AT => legacy(rng, order_id, true),
            0..30 => legacy(rng, order_id, false),
            30..65 => tagged(rng, order_id, 2),
            _ => tagged(rng, order_id, 3),
        };
        out.push_str(&record);
        out.push('\n');
    }
    out
}

fn lines(rng: &mut Rng) -> Vec<Line> {
    (0..rng.random_range(1..=5))
        .map(|_| Line {
            sku: format!("SKU-{:05}", rng.random_range(1..20_000)),
            quantity: rng.random_range(1..=4),
            unit_price_cents: rng.random_range(199..15_000),
        })
        .collect()
}

/// A row from before versioning: no tag, float euros (totals summed in floating point, as
/// the old code did), a local timestamp.
fn legacy(rng: &mut Rng, order_id: u64, negative_price: bool) -> String {
    let lines = lines(rng);
    let items: Vec<Value> = lines
        .iter()
        .enumerate()
        .map(|(index, line)| {
            let mut price = line.unit_price_cents as f64 / 100.0;
            if negative_price && index == 0 {
                price = -price;
            }
            json!({"sku": line.sku, "qty": line.quantity, "price": price})
        })
        .collect();
    let total: f64 = items
        .iter()
        .map(|item| item["price"].as_f64().unwrap_or(0.0) * item["qty"].as_f64().unwrap_or(0.0))
        .sum();
    let (date, time) = moment(rng, 2018);
    let customer_id = rng.random_range(1..=CUSTOMERS);
    format!(
        r#"{{"order_id":{order_id},"customer_id":{customer_id},"items":{},"total":{},"placed_at":"{date} {time}"}}"#,
        Value::Array(items),
        json!(total)
    )
}

/// A tagged row, the tag first as upcast writes it, or last for the share written by the
/// warehouse service.
fn tagged(rng: &mut Rng, order_id: u64, version: u64) -> String {
    let lines = lines(rng);
    let total_cents: u64 = lines
        .iter()
        .map(|l| l.unit_price_cents * u64::from(l.quantity))
        .sum();
    let year = if version == 2 {
        2020
    } else {
        2022 + rng.random_range(0..4)
    };
    let (date, time) = moment(rng, year);
    let customer_id = rng.random_range(1..=CUSTOMERS);
    let customer = match version {
        2 => json!(customer_id),
        _ => json!(format!("cus_{customer_id:06}")),
    };
    let mut body = format!(
        r#""order_id":{order_id},"customer_id":{customer},"lines":{},"total_cents":{total_cents},"currency":"EUR","placed_at":"{date}T{time}Z""#,
        json!(lines)
    );
    if version == 3 {
        let status = [
            Status::Placed,
            Status::Paid,
            Status::Shipped,
            Status::Cancelled,
        ][rng.random_range(0..4)];
        body.push_str(&format!(r#","status":{}"#, json!(status)));
    }
    if rng.random_bool(0.1) {
        format!(r#"{{{body},"{TAG_FIELD}":{version}}}"#)
    } else {
        format!(r#"{{"{TAG_FIELD}":{version},{body}}}"#)
    }
}
