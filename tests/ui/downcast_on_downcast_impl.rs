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
impl upcast::Downcast for UserV2 {
    type Prev = UserV1;
    fn downcast(self, _: &upcast::Context) -> Result<UserV1, upcast::UpcastError> {
        Ok(UserV1 { name: self.name })
    }
}

fn main() {}
