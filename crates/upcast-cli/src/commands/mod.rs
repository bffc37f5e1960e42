//! One module per command.

pub(crate) mod check;
pub(crate) mod diff;
pub(crate) mod read;
pub(crate) mod stats;

use std::fs;
use std::io::{self, BufRead, BufReader};
use std::path::Path;

use serde_json::Value;

use crate::CliError;

/// What a command found: nothing wrong, or problems (exit code 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing wrong.
    Clean,
    /// The command found problems in its input.
    Problems,
}

/// A JSON file.
pub(crate) fn read_json(path: &Path) -> Result<Value, CliError> {
    let text = fs::read_to_string(path).map_err(|source| CliError::Read {
        path: path.to_owned(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|source| CliError::Json {
        path: path.to_owned(),
        source,
    })
}

/// The lines of a file, or of standard input for `-`.
pub(crate) fn lines(path: &Path) -> Result<Box<dyn BufRead>, CliError> {
    if path == Path::new("-") {
        return Ok(Box::new(BufReader::new(io::stdin())));
    }
    let file = fs::File::open(path).map_err(|source| CliError::Read {
        path: path.to_owned(),
        source,
    })?;
    Ok(Box::new(BufReader::new(file)))
}
