//! The invoice's history as native_model declares it, once per codec: the peer the binary
//! format benches compare upcast with on its own ground (postcard and bincode).
//!
//! Each version wraps the demo's type (`#[serde(transparent)]`, so the payload is the same
//! bytes upcast writes) and upgrades with the demo's own `From` steps. native_model also
//! wants a conversion back for its downgrades; the benches never downgrade, so those
//! refuse.

use std::fmt;

/// native_model's conversion back, which the benches never run.
#[derive(Debug)]
pub struct NoDowngrade;

impl fmt::Display for NoDowngrade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the benches never downgrade")
    }
}

impl std::error::Error for NoDowngrade {}

/// One native_model history of the invoice, in the codec `$codec`.
macro_rules! history {
    ($module:ident, $codec:path, $doc:literal) => {
        #[doc = $doc]
        pub mod $module {
            use native_model::native_model;
            use serde::{Deserialize, Serialize};

            use super::NoDowngrade;
            use crate::invoice::{Invoice, InvoiceV1, InvoiceV2, InvoiceV3, InvoiceV4};

            /// Version 1.
            #[derive(Serialize, Deserialize)]
            #[serde(transparent)]
            #[native_model(id = 1, version = 1, with = $codec)]
            pub struct V1(pub InvoiceV1);

            /// Version 2.
            #[derive(Serialize, Deserialize)]
            #[serde(transparent)]
            #[native_model(id = 1, version = 2, with = $codec, try_from = (V1, NoDowngrade))]
            pub struct V2(pub InvoiceV2);

            /// Version 3.
            #[derive(Serialize, Deserialize)]
            #[serde(transparent)]
            #[native_model(id = 1, version = 3, with = $codec, try_from = (V2, NoDowngrade))]
            pub struct V3(pub InvoiceV3);

            /// Version 4.
            #[derive(Serialize, Deserialize)]
            #[serde(transparent)]
            #[native_model(id = 1, version = 4, with = $codec, try_from = (V3, NoDowngrade))]
            pub struct V4(pub InvoiceV4);

            /// Version 5, the current one.
            #[derive(Serialize, Deserialize)]
            #[serde(transparent)]
            #[native_model(id = 1, version = 5, with = $codec, try_from = (V4, NoDowngrade))]
            pub struct V5(pub Invoice);

            super::steps!(V1 => V2, V2 => V3, V3 => V4, V4 => V5);
        }
    };
}

/// The upgrade `From` step of each pair, and the refused downgrade.
macro_rules! steps {
    ($($old:ident => $new:ident),*) => {$(
        impl TryFrom<$old> for $new {
            type Error = NoDowngrade;
            fn try_from(old: $old) -> Result<Self, NoDowngrade> {
                Ok($new(old.0.into()))
            }
        }

        impl TryFrom<$new> for $old {
            type Error = NoDowngrade;
            fn try_from(_: $new) -> Result<Self, NoDowngrade> {
                Err(NoDowngrade)
            }
        }
    )*};
}

use steps;

history!(
    postcard,
    native_model::postcard_1_0::PostCard,
    "The history in postcard."
);
history!(
    bincode,
    native_model::bincode_2::Bincode,
    "The history in bincode 2 (serde mode, standard configuration)."
);
