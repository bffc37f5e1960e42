#[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
#[versioned(kind = "user", version = 1, id = 5_000_000_000)]
struct User {
    name: String,
}

fn main() {}
