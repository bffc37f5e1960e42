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

#[upcast::register(downcast)]
impl upcast::Upcast for UserV1 {
    type Next = UserV2;
    fn upcast(self, _: &upcast::Context) -> Result<UserV2, upcast::UpcastError> {
        Ok(UserV2 { name: self.name })
    }
}

fn main() {}
