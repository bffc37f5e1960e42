//! `upcast read FILE`: every record converted to its kind's current version, as JSON Lines,
//! in the layout it was read in.

use std::io::Write;

use upcast::{Registry, Stored};

use super::{Outcome, layout, records};
use crate::CliError;
use crate::args::RecordsArgs;

pub(crate) fn run(args: &RecordsArgs, out: &mut dyn Write) -> Result<Outcome, CliError> {
    let layout = layout(args);
    let reader = Registry::try_global()?.reader(&layout);
    let (mut read, mut failed) = (0usize, 0usize);
    for record in records(&args.file)? {
        let (number, line) = record?;
        read += 1;
        match reader.convert(Stored::new(line.as_bytes())) {
            Ok(converted) => {
                out.write_all(converted.bytes.as_deref().unwrap_or(line.as_bytes()))?;
                out.write_all(b"\n")?;
            }
            Err(error) => {
                failed += 1;
                eprintln!("{}:{}: {error}", args.file.display(), number);
            }
        }
    }
    eprintln!(
        "read {read} records: {} upcast, {failed} failed",
        read - failed
    );
    Ok(if failed == 0 {
        Outcome::Clean
    } else {
        Outcome::Problems
    })
}
