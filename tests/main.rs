//! Cross-crate integration tests: one binary, a module per area.
