//! Lines as read: what stands where, how long they are, which are whole.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::store::{Saved, Standing};
use crate::{Error, Key, Row};

/// Line `number` as it stands: in the copy when copied (its original saved when they
/// differ), else in the original. `None` for a blank line.
pub(super) fn line_standing(
    number: u64,
    before: &[u8],
    now: &[u8],
    copied: bool,
) -> Option<Standing> {
    let blank = |line: &[u8]| line.iter().all(u8::is_ascii_whitespace);
    if blank(before) && blank(now) {
        return None;
    }
    let key = Key::Int(number as i64);
    let (current, saved) = match copied {
        true => (now, (before != now && !blank(before)).then_some(before)),
        false => (before, None),
    };
    Some(Standing {
        current: Some(Row::new(key.clone(), current.to_vec())),
        saved: saved.map(|before| Saved {
            original: Row::new(key.clone(), before.to_vec()),
            rewritten: now.to_vec(),
        }),
        key,
    })
}

/// The bytes and the number of whole lines among the first 64 KiB of the file at `path`.
pub(super) fn sample_lines(path: &Path) -> Result<(u64, u64), Error> {
    let mut sample = Vec::with_capacity(1 << 16);
    File::open(path)
        .and_then(|file| file.take(1 << 16).read_to_end(&mut sample))
        .map_err(Error::io(path))?;
    let whole = sample
        .iter()
        .rposition(|&byte| byte == b'\n')
        .map_or(0, |end| end + 1);
    let lines = sample[..whole]
        .iter()
        .filter(|&&byte| byte == b'\n')
        .count();
    Ok((whole as u64, lines as u64))
}

/// Whether `line` holds one whole JSON object: what no writer leaves half written.
pub(super) fn whole_record(line: &[u8]) -> bool {
    line.trim_ascii_start().first() == Some(&b'{')
        && serde_json::from_slice::<serde::de::IgnoredAny>(line).is_ok()
}

pub(super) fn trimmed(raw: &[u8]) -> &[u8] {
    let raw = raw.strip_suffix(b"\n").unwrap_or(raw);
    raw.strip_suffix(b"\r").unwrap_or(raw)
}
