//! `finalize` and `rollback` beside live writers: the copy takes the original's place by a
//! rename and gives it back the same way, and what writers appended meanwhile is moved
//! where it belongs, never lost.

use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::Path;
use std::time::Duration;

use super::files::{
    file_len, holders, identity, open_own, present, same_file, scan, settle, sync_dir,
};
use super::{Paths, State};
use crate::Error;

/// How long `finalize` waits for writers of the original to let go of it after the swap,
/// before it measures what they appended: a writer that opens the file for each line
/// (`echo >> FILE`) holds it for microseconds, a service for good.
const SETTLE_KEPT: Duration = Duration::from_millis(500);

/// How long putting the original back waits for writers of the copy to let go.
const SETTLE_COPY: Duration = Duration::from_secs(2);

/// Whether the original's path still names the file the migration began on; once
/// finalized, whether it names the copy. A migration begun by an older upcast recorded
/// neither: not checked.
pub(super) fn check_not_replaced(
    paths: &Paths,
    state: &State,
    action: &'static str,
    name: &str,
) -> Result<(), Error> {
    let (expected, reason) = match state.finalized {
        false => (state.original_id, before_finalize(paths)),
        true => (state.copy_id, after_finalize(paths)),
    };
    match expected {
        Some(expected) if identity(&paths.original)? != expected => {
            Err(Error::state(action, name, reason))
        }
        _ => Ok(()),
    }
}

fn before_finalize(paths: &Paths) -> String {
    format!(
        "`{}` was replaced by another file since the migration began (rotated?), and the \
         copy and its checkpoint belong to the file that was there: put that file back at \
         `{0}` to go on, or remove `{}` and `{}` to drop this migration",
        paths.original.display(),
        paths.copy.display(),
        paths.state.display()
    )
}

fn after_finalize(paths: &Paths) -> String {
    format!(
        "`{}` was replaced by another file since the copy took its place (rotated?), and \
         putting the original back would bury it: move the copy back to `{0}` to roll back, \
         or remove `{}` to keep the files as they are (the original is `{}`)",
        paths.original.display(),
        paths.state.display(),
        paths.kept.display()
    )
}

/// Whether the migration's last run went through every pass.
pub(super) fn check_finished(state: &State, name: &str) -> Result<(), Error> {
    match state
        .progress
        .as_ref()
        .is_some_and(|p| p.finished_at.is_some())
    {
        true => Ok(()),
        false => Err(Error::state(
            "finalize",
            name,
            "the migration has not finished: run it to the end, or roll it back",
        )),
    }
}

/// Whether the copy holds exactly one line per line of the original copied: its length
/// is what the state vouches for, and it and the original's copied part both count the
/// lines the state does. Returns the copy's checksum, taken on the way.
pub(super) fn check_whole(paths: &Paths, state: &State, name: &str) -> Result<u64, Error> {
    let copy = open_own(&paths.copy, OpenOptions::new().read(true))?;
    let copy = scan(copy, &paths.copy, u64::MAX)?;
    let original = File::open(&paths.original).map_err(Error::io(&paths.original))?;
    let original = scan(original, &paths.original, state.read)?;
    let whole = copy.length == state.written
        && copy.lines == state.lines
        && (original.length, original.lines) == (state.read, state.lines);
    if whole {
        return Ok(copy.checksum);
    }
    Err(Error::state(
        "finalize",
        name,
        format!(
            "the copy `{}` is not one line per line of the original: it holds {} lines in {} \
             bytes where {} lines in {} bytes were expected, copied from {} lines of the \
             original; roll back (which deletes the copy) and run the migration again",
            paths.copy.display(),
            copy.lines,
            copy.length,
            state.lines,
            state.written,
            original.lines
        ),
    ))
}

/// Whether nothing was appended to the original since the last pass copied it.
pub(super) fn check_nothing_appended(
    paths: &Paths,
    state: &State,
    name: &str,
) -> Result<(), Error> {
    let length = file_len(&paths.original)?;
    if length == state.read {
        return Ok(());
    }
    Err(Error::state(
        "finalize",
        name,
        format!(
            "{} bytes were appended to it since the last pass: run the migration again, with \
             its writers stopped, then finalize",
            length.saturating_sub(state.read)
        ),
    ))
}

/// Replaces the original with the copy: the original gets a second name (a hard link),
/// then the copy is renamed over it, so at every instant the original's path holds one
/// whole file, the old or the new.
pub(super) fn swap_in_copy(paths: &Paths, name: &str) -> Result<(), Error> {
    // A finalize that died between the two steps left the link: it is taken up.
    let linked = present(&paths.kept) && same_file(&paths.kept, &paths.original)?;
    if present(&paths.kept) && !linked {
        return Err(Error::state(
            "finalize",
            name,
            format!(
                "`{}` exists already; move it away first",
                paths.kept.display()
            ),
        ));
    }
    if !linked {
        fs::hard_link(&paths.original, &paths.kept).map_err(Error::io(&paths.kept))?;
    }
    fs::rename(&paths.copy, &paths.original).map_err(Error::io(&paths.original))?;
    sync_dir(&paths.original)
}

/// After the swap: the bytes appended to the kept original past what was copied, by
/// writers that opened it before the swap. Waits a moment for them to let go first.
pub(super) fn late_bytes(paths: &Paths, state: &State) -> Result<u64, Error> {
    settle(&paths.kept, SETTLE_KEPT);
    Ok(file_len(&paths.kept)?.saturating_sub(state.read))
}

/// Undoes the swap: the kept original is renamed back to the original's path (the copy
/// keeps its own name), then what writers appended to the copy while it stood there (past
/// `written`) is moved to the end of the original, once they let go of it. Each step can
/// be taken again after a crash (`State::undoing`); a crash between moving those bytes
/// and cutting the copy back can repeat them, never lose them. Lines a writer appended to
/// the original meanwhile come before the moved ones.
pub(super) fn unswap(paths: &Paths, written: u64, name: &str) -> Result<(), Error> {
    if present(&paths.kept) {
        if !present(&paths.copy) {
            fs::hard_link(&paths.original, &paths.copy).map_err(Error::io(&paths.copy))?;
        }
        fs::rename(&paths.kept, &paths.original).map_err(Error::io(&paths.original))?;
        sync_dir(&paths.original)?;
    }
    if !present(&paths.copy) || same_file(&paths.copy, &paths.original)? {
        return Ok(());
    }
    let writers = settle(&paths.copy, SETTLE_COPY);
    move_tail(&paths.copy, written, &paths.original)?;
    match writers.first() {
        None => Ok(()),
        Some(pid) => Err(Error::state(
            "put back the original of",
            name,
            format!(
                "pid {pid} still has `{}` open for writing (it opened `{}` while the copy \
                 stood in its place); what it wrote so far is moved to the end of `{1}`: \
                 stop it, then run the command again to move the rest",
                paths.copy.display(),
                paths.original.display()
            ),
        )),
    }
}

/// Appends the bytes of the copy past `written` to the original, in whole lines (each
/// piece one write, so a writer appending too never splits a line), then cuts the copy
/// back to `written`.
fn move_tail(copy_path: &Path, written: u64, original: &Path) -> Result<(), Error> {
    let mut copy = open_own(copy_path, OpenOptions::new().read(true).write(true))?;
    if copy.metadata().map_err(Error::io(copy_path))?.len() <= written {
        return Ok(());
    }
    copy.seek(SeekFrom::Start(written))
        .map_err(Error::io(copy_path))?;
    let mut out = OpenOptions::new()
        .append(true)
        .open(original)
        .map_err(Error::io(original))?;
    let mut reader = BufReader::with_capacity(1 << 20, &copy);
    let mut carried = Vec::new();
    loop {
        let piece = reader.fill_buf().map_err(Error::io(copy_path))?;
        if piece.is_empty() {
            break;
        }
        carried.extend_from_slice(piece);
        let read = piece.len();
        reader.consume(read);
        if let Some(end) = carried.iter().rposition(|&byte| byte == b'\n') {
            out.write_all(&carried[..=end])
                .map_err(Error::io(original))?;
            carried.drain(..=end);
        }
    }
    out.write_all(&carried).map_err(Error::io(original))?;
    out.sync_data().map_err(Error::io(original))?;
    copy.set_len(written).map_err(Error::io(copy_path))?;
    copy.sync_data().map_err(Error::io(copy_path))
}

/// After `finalize`: whether the live file still begins with the copy as it was written
/// (it may have been appended to, not changed).
pub(super) fn check_unchanged(paths: &Paths, state: &State, name: &str) -> Result<(), Error> {
    let now = File::open(&paths.original).map_err(Error::io(&paths.original))?;
    let now = scan(now, &paths.original, state.written)?;
    if (now.length, now.checksum) == (state.written, state.checksum) {
        return Ok(());
    }
    Err(Error::state(
        "roll back",
        name,
        "the file was changed since the copy replaced it, not only appended to; nothing was \
         touched",
    ))
}

/// Whether the kept original is as the copy left it: a writer that opened the file before
/// the swap appends to the kept original, and those records are in no other file.
pub(super) fn check_kept_whole(paths: &Paths, state: &State, name: &str) -> Result<(), Error> {
    let length = file_len(&paths.kept)?;
    if length == state.read {
        return Ok(());
    }
    Err(Error::state(
        "delete the original of",
        name,
        format!(
            "{} bytes were written to `{}` after the copy replaced it (a writer still had it \
             open); they are in no other file: move them over, or roll back",
            length.saturating_sub(state.read),
            paths.kept.display()
        ),
    ))
}

/// Whether no other process holds the kept original open: a writer would go on writing
/// to a deleted file, a reader read one.
pub(super) fn check_kept_unheld(paths: &Paths, name: &str) -> Result<(), Error> {
    let held = holders(&paths.kept, false);
    let Some(pid) = held.first() else {
        return Ok(());
    };
    Err(Error::state(
        "delete the original of",
        name,
        format!(
            "pid {pid} has `{}` open{}: what it writes there would be lost with the file; \
             stop it, or have it open `{}` again, then delete the original",
            paths.kept.display(),
            match held.len() {
                1 => String::new(),
                more => format!(" (and {} more processes)", more - 1),
            },
            paths.original.display()
        ),
    ))
}
