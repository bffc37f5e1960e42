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

struct Wrapper<T>(T);

#[upcast::register]
impl<T> From<Wrapper<T>> for UserV2 {
    fn from(_: Wrapper<T>) -> Self {
        UserV2 { name: String::new() }
    }
}

fn main() {}
