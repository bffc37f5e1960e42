#[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
#[versioned(kind = "user", version = 1, formats = ["postcard", "protobuf"])]
struct User {
    name: String,
}

fn main() {}
