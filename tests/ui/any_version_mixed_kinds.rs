use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, JsonSchema, upcast::Versioned)]
#[versioned(kind = "user", version = 1)]
struct UserV1 {
    name: String,
}

#[derive(Serialize, Deserialize, JsonSchema, upcast::Versioned)]
#[versioned(kind = "account", version = 2)]
struct AccountV2 {
    name: String,
}

#[upcast::register]
impl From<UserV1> for AccountV2 {
    fn from(v1: UserV1) -> Self {
        AccountV2 { name: v1.name }
    }
}

#[derive(upcast::AnyVersion)]
enum AnyUser {
    V1(UserV1),
    V2(AccountV2),
}

fn main() {}
