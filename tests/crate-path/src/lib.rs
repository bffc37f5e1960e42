//! Records defined in a crate that reaches upcast only through a re-export (`crate::api`,
//! over a dependency renamed `records_api`), so `::upcast` does not resolve here: every
//! macro must name the path given with `crate = "..."`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// upcast, re-exported as a facade crate would.
pub mod api {
    pub use records_api::*;
}

/// Version 1.
#[derive(Debug, PartialEq, Serialize, Deserialize, JsonSchema, records_api::Versioned)]
#[versioned(kind = "crate_path.user", version = 1, crate = "crate::api")]
pub struct UserV1 {
    /// The whole name.
    pub name: String,
}

/// Version 2.
#[derive(Debug, PartialEq, Serialize, Deserialize, JsonSchema, records_api::Versioned)]
#[versioned(kind = "crate_path.user", version = 2, crate = "crate::api")]
pub struct User {
    /// The whole name.
    pub name: String,
    /// Whether the user administers the store.
    pub admin: bool,
}

#[records_api::register(crate = "crate::api")]
impl From<UserV1> for User {
    fn from(v1: UserV1) -> Self {
        User {
            name: v1.name,
            admin: false,
        }
    }
}

/// Every version of the user.
#[derive(Debug, records_api::AnyVersion)]
#[any_version(crate = "crate::api")]
pub enum AnyUser {
    /// Version 1.
    V1(UserV1),
    /// Version 2.
    V2(User),
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1: &[u8] = br#"{"kind":"crate_path.user","version":1,"data":{"name":"Ada"}}"#;

    #[test]
    fn the_derives_and_the_step_register_through_the_given_path() {
        api::Registry::validate().unwrap();
        let user: User = api::from_slice(V1).unwrap();
        assert_eq!(
            user,
            User {
                name: "Ada".into(),
                admin: false
            }
        );
        assert_eq!(api::Registry::global().versions("crate_path.user").len(), 2);
    }

    #[test]
    fn any_version_reads_through_the_given_path() {
        let any: AnyUser = api::from_slice(V1).unwrap();
        assert!(matches!(any, AnyUser::V1(_)));
        assert!(!any.into_current().unwrap().admin);
    }
}
