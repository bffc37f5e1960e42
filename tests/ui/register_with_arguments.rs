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

#[upcast::register(fallible)]
impl From<UserV1> for UserV2 {
    fn from(v1: UserV1) -> Self {
        UserV2 { name: v1.name }
    }
}

fn main() {}
