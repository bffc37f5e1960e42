//! One module per command.

pub(crate) mod check;
pub(crate) mod diff;
pub(crate) mod migrate;
mod progress;
pub(crate) mod read;
pub(crate) mod stats;

use std::fs;
use std::io::{self, BufRead, BufReader};
use std::path::Path;

use serde_json::Value;
use upcast::Layout;

use crate::CliError;
use crate::args::RecordsArgs;

/// What a command found: nothing wrong, or problems (exit code 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing wrong.
    Clean,
    /// The command found problems in its input.
    Problems,
}

/// The layout `--inline FIELD --kind K` selects; envelopes by default.
pub(crate) fn layout(args: &RecordsArgs) -> Layout {
    match (&args.inline, &args.kind) {
        (Some(field), Some(kind)) => Layout::inline(field.clone()).with_kind(kind.clone()),
        (Some(field), None) => Layout::inline(field.clone()),
        (None, _) => Layout::envelope(),
    }
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

/// The non-empty lines of a file of records (standard input for `-`), numbered from 1.
pub(crate) fn records(
    path: &Path,
) -> Result<impl Iterator<Item = Result<(usize, String), CliError>>, CliError> {
    let reader: Box<dyn BufRead> = if path == Path::new("-") {
        Box::new(BufReader::new(io::stdin()))
    } else {
        let file = fs::File::open(path).map_err(|source| CliError::Read {
            path: path.to_owned(),
            source,
        })?;
        Box::new(BufReader::new(file))
    };
    let path = path.to_owned();
    Ok(reader
        .lines()
        .enumerate()
        .filter_map(move |(index, line)| match line {
            Ok(line) if line.trim().is_empty() => None,
            Ok(line) => Some(Ok((index + 1, line))),
            Err(source) => Some(Err(CliError::Read {
                path: path.clone(),
                source,
            })),
        }))
}
