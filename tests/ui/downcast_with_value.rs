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

#[upcast::register(downcast = true)]
impl From<UserV2> for UserV1 {
    fn from(v2: UserV2) -> Self {
        UserV1 { name: v2.name }
    }
}

fn main() {}
