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

#[upcast::register(downcast)]
impl From<UserV3> for UserV2 {
    fn from(v3: UserV3) -> Self {
        UserV2 { name: v3.name }
    }
}

#[upcast::register(downcast)]
impl From<UserV3> for UserV1 {
    fn from(v3: UserV3) -> Self {
        UserV1 { name: v3.name }
    }
}

fn main() {}
