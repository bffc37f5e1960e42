use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, JsonSchema, upcast::Versioned)]
#[versioned(kind = "user", version = 1)]
struct UserV1 {
    name: String,
}

#[derive(Serialize, Deserialize, JsonSchema, upcast::Versioned)]
#[versioned(kind = "user", version = 2)]
struct UserV2 {
    name: String,
}

#[derive(Serialize, Deserialize, JsonSchema, upcast::Versioned)]
#[versioned(kind = "user", version = 3)]
struct UserV3 {
    name: String,
}

#[upcast::register]
impl From<UserV1> for UserV2 {
    fn from(v1: UserV1) -> Self {
        UserV2 { name: v1.name }
    }
}

#[upcast::register]
impl From<UserV1> for UserV3 {
    fn from(v1: UserV1) -> Self {
        UserV3 { name: v1.name }
    }
}

fn main() {}
