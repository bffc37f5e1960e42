//! `product`: evolved by minor versions only, so one type reads them all.
//!
//! - 1.0.0: `sku`, `title`, `price_cents`;
//! - 1.1.0: an optional `description`;
//! - 1.2.0: `tags`, empty when absent.
//!
//! Each addition has a serde default, so [`Product`], declared `1.2.0`, reads 1.0.0 and
//! 1.1.0 data directly: no step, no registry lookup beyond the range check. The frozen
//! schemas of 1.0.0 and 1.1.0 let the CI check prove the additions compatible.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A product of the catalogue, version 1.2.0.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema, upcast::Versioned)]
#[versioned(kind = "product", version = "1.2.0")]
pub struct Product {
    /// Stock keeping unit, `SKU-` and five digits.
    pub sku: String,
    /// Display title.
    pub title: String,
    /// Price in euro cents.
    pub price_cents: u64,
    /// Long description (since 1.1.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Search tags (since 1.2.0).
    #[serde(default)]
    pub tags: Vec<String>,
}
