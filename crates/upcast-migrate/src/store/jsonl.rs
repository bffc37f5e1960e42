//! JSON Lines: copy and transform into a new file beside the original, which is never
//! modified; `finalize` swaps the two by a rename and keeps the original.
//!
//! `events.jsonl` is copied to `events.jsonl.upcast-new`; `events.jsonl.upcast-state`
//! records, after each batch is written and flushed to disk, how much of each file is done.
//! A run taken up after a crash cuts the copy back to that length: a batch is in the copy
//! entirely or not at all. `finalize` leaves the original as `events.jsonl.upcast-original`.
//! While a run, a rollback or a finalize works on the file, `events.jsonl.upcast-lock` is
//! locked: a second process is refused rather than let interleave its batches.

use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{Decision, Entry, Progress, Restored, Saved, Standing, Store};
use crate::fnv::{self, fnv};
use crate::{Error, Key, Row};

/// A JSON Lines file, copied and transformed.
pub struct JsonLines {
    paths: Paths,
    state: State,
    /// The lines of the last read, not yet committed, in `pending_bytes`.
    pending: Vec<Line>,
    pending_bytes: Vec<u8>,
    /// Where the last read ended in the original.
    pending_end: u64,
    /// The readers of `standing`, kept between calls.
    verifying: Option<(BufReader<File>, Option<BufReader<File>>, u64)>,
    /// The lock file, held by a command that changes files (run, rollback, finalize).
    lock: Option<File>,
}

struct Paths {
    original: PathBuf,
    copy: PathBuf,
    state: PathBuf,
    kept: PathBuf,
    lock: PathBuf,
}

/// What the state file records.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct State {
    progress: Option<Progress>,
    /// Bytes of the original copied (whole lines).
    read: u64,
    /// Lines of the original copied.
    lines: u64,
    /// Bytes of the copy written and flushed.
    written: u64,
    /// A checksum of the copy (64-bit FNV-1a), taken when it replaces the original, to
    /// tell whether it was changed since (not only appended to).
    checksum: u64,
    /// The original's length when the run began: pass 1 copies up to it.
    bound: u64,
    /// Lines that could not be migrated, with why.
    failures: Vec<(u64, String)>,
    /// Whether the copy has replaced the original.
    finalized: bool,
}

/// One line of the original as read.
struct Line {
    number: u64,
    /// Where the line, with its terminator, is in the batch's bytes.
    raw: Range<usize>,
    /// Whether it holds no record (blank), and is copied as is.
    blank: bool,
}

impl JsonLines {
    /// The file at `path`, which must exist.
    pub fn open(path: &Path) -> Result<Self, Error> {
        let paths = Paths::of(path);
        let mut state = match paths.state.exists() {
            true => read_state(&paths.state)?,
            false => State::default(),
        };
        // The rename is the moment a finalize takes effect: one that died after it and
        // before its state was saved is finished here.
        state.finalized |= state.progress.is_some() && !paths.copy.exists() && paths.kept.exists();
        let original = if state.finalized {
            &paths.kept
        } else {
            &paths.original
        };
        if !original.is_file() {
            return Err(Error::Missing {
                path: original.clone(),
                what: "a JSON Lines file",
            });
        }
        Ok(JsonLines {
            paths,
            state,
            pending: Vec::new(),
            pending_bytes: Vec::new(),
            pending_end: 0,
            verifying: None,
            lock: None,
        })
    }

    /// Takes the store for this process alone: two runs appending to one copy would
    /// interleave their batches. The operating system lets go if the process dies.
    fn lock(&mut self, action: &'static str) -> Result<(), Error> {
        if self.lock.is_some() {
            return Ok(());
        }
        let path = &self.paths.lock;
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(Error::io(path))?;
        match file.try_lock() {
            Ok(()) => {
                self.lock = Some(file);
                Ok(())
            }
            Err(std::fs::TryLockError::WouldBlock) => Err(Error::state(
                action,
                &self.name(),
                "another upcast process is migrating it; wait for it to end",
            )),
            Err(std::fs::TryLockError::Error(error)) => Err(Error::io(path)(error)),
        }
    }

    /// Lets go of the lock and removes its file: the store is left as it was found.
    fn unlock(&mut self) -> Result<(), Error> {
        if self.lock.take().is_some() {
            remove(&self.paths.lock)?;
        }
        Ok(())
    }

    fn name(&self) -> String {
        format!("jsonl:{}", self.paths.original.display())
    }

    fn save(&self) -> Result<(), Error> {
        write_atomically(
            &self.paths.state,
            &serde_json::to_vec(&self.state).unwrap_or_default(),
        )
    }

    fn not_finalized(&self, action: &'static str) -> Result<(), Error> {
        match self.state.finalized {
            true => Err(Error::state(
                action,
                &self.name(),
                "the copy has replaced the original already",
            )),
            false => Ok(()),
        }
    }
}

impl Paths {
    fn of(original: &Path) -> Self {
        let beside = |suffix: &str| {
            let mut name = original.as_os_str().to_owned();
            name.push(suffix);
            PathBuf::from(name)
        };
        Paths {
            original: original.to_owned(),
            copy: beside(".upcast-new"),
            state: beside(".upcast-state"),
            kept: beside(".upcast-original"),
            lock: beside(".upcast-lock"),
        }
    }
}

impl Store for JsonLines {
    fn name(&self) -> String {
        JsonLines::name(self)
    }

    fn rescans(&self) -> bool {
        false
    }

    /// Each batch is flushed to disk twice (the copy, the state): larger batches.
    fn batch_hint(&self) -> usize {
        10_000
    }

    /// Estimated from the bytes left and the mean length of the lines copied so far (or of
    /// the file's first lines): counting every line would read the whole file once more.
    fn remaining(&mut self, _after: Option<&Key>, bounded: bool) -> Result<Option<u64>, Error> {
        let end = match bounded {
            true => self.state.bound,
            false => file_len(&self.paths.original)?,
        };
        let left = end.saturating_sub(self.state.read);
        let (bytes, lines) = match self.state.lines {
            0 => sample_lines(&self.paths.original)?,
            lines => (self.state.read, lines),
        };
        Ok((lines > 0).then(|| left * lines / bytes.max(1)))
    }

    fn progress(&mut self) -> Result<Option<Progress>, Error> {
        Ok(self.state.progress.clone())
    }

    fn begin(&mut self, fresh: Progress) -> Result<Progress, Error> {
        self.not_finalized("migrate")?;
        self.lock("migrate")?;
        let resuming = self
            .state
            .progress
            .as_ref()
            .is_some_and(|p| p.finished_at.is_none());
        if !resuming && self.state.progress.is_none() {
            self.state = State {
                progress: Some(fresh),
                bound: file_len(&self.paths.original)?,
                ..State::default()
            };
            File::create(&self.paths.copy).map_err(Error::io(&self.paths.copy))?;
            self.save()?;
        } else if !resuming {
            // A finished run taken up again: what was appended since is pass 1's now.
            let progress = self.state.progress.get_or_insert_with(Progress::default);
            *progress = Progress {
                started_at: fresh.started_at,
                ..progress.clone()
            };
            progress.finished_at = None;
            progress.pass = 1;
            self.state.bound = file_len(&self.paths.original)?;
            self.save()?;
        }
        // Cut the copy back to what the state vouches for: a batch written but not
        // recorded is written again.
        let copy = OpenOptions::new()
            .write(true)
            .open(&self.paths.copy)
            .map_err(Error::io(&self.paths.copy))?;
        copy.set_len(self.state.written)
            .map_err(Error::io(&self.paths.copy))?;
        copy.sync_all().map_err(Error::io(&self.paths.copy))?;
        Ok(self.state.progress.clone().unwrap_or_default())
    }

    fn read(
        &mut self,
        _after: Option<&Key>,
        limit: usize,
        bounded: bool,
    ) -> Result<Vec<Row>, Error> {
        let path = &self.paths.original;
        let mut file = File::open(path).map_err(Error::io(path))?;
        file.seek(SeekFrom::Start(self.state.read))
            .map_err(Error::io(path))?;
        let end = match bounded {
            true => self.state.bound,
            false => u64::MAX,
        };
        let mut reader = BufReader::new(file.take(end.saturating_sub(self.state.read)));
        let (mut number, mut offset) = (self.state.lines, self.state.read);
        self.pending.clear();
        self.pending_bytes.clear();
        let mut rows = Vec::with_capacity(limit);
        while rows.len() < limit {
            let start = self.pending_bytes.len();
            let read = reader
                .read_until(b'\n', &mut self.pending_bytes)
                .map_err(Error::io(path))?;
            if read == 0 {
                break;
            }
            // A last line with no newline may be half written by a live writer: left for
            // a later pass, unless it is a whole record (a file that does not end in one).
            let unterminated = self.pending_bytes.last() != Some(&b'\n');
            if unterminated && !whole_record(&self.pending_bytes[start..]) {
                self.pending_bytes.truncate(start);
                break;
            }
            number += 1;
            offset += read as u64;
            let raw = start..self.pending_bytes.len();
            let body = trimmed(&self.pending_bytes[raw.clone()]);
            let blank = body.iter().all(u8::is_ascii_whitespace);
            if !blank {
                rows.push(Row::new(Key::Int(number as i64), body.to_vec()));
            }
            self.pending.push(Line { number, raw, blank });
        }
        self.pending_end = offset;
        Ok(rows)
    }

    fn commit(&mut self, batch: &[Entry], progress: &mut Progress) -> Result<Vec<Key>, Error> {
        self.not_finalized("migrate")?;
        let path = &self.paths.copy;
        let mut copy = OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(Error::io(path))?;
        let mut out = Vec::with_capacity(self.pending_bytes.len() + self.pending_bytes.len() / 4);
        let mut entries = batch.iter().peekable();
        for line in &self.pending {
            let entry = entries.next_if(|entry| entry.row.key == Key::Int(line.number as i64));
            match entry.map(|entry| &entry.decision) {
                Some(Decision::Rewrite { body, .. }) if !line.blank => {
                    out.extend_from_slice(body);
                    out.push(b'\n');
                }
                Some(Decision::Fail(error)) => {
                    self.state.failures.push((line.number, error.clone()));
                    out.extend_from_slice(&self.pending_bytes[line.raw.clone()]);
                }
                _ => out.extend_from_slice(&self.pending_bytes[line.raw.clone()]),
            }
        }
        copy.write_all(&out).map_err(Error::io(path))?;
        copy.sync_data().map_err(Error::io(path))?;
        self.state.written += out.len() as u64;
        self.state.read = self.pending_end;
        self.state.lines = self
            .pending
            .last()
            .map_or(self.state.lines, |line| line.number);
        self.state.progress = Some(progress.clone());
        self.pending.clear();
        self.save()?;
        Ok(Vec::new())
    }

    fn standing(&mut self, after: Option<&Key>, limit: usize) -> Result<Vec<Standing>, Error> {
        if after.is_none() || self.verifying.is_none() {
            let (original, copy) = match self.state.finalized {
                true => (&self.paths.kept, &self.paths.original),
                false => (&self.paths.original, &self.paths.copy),
            };
            let original = File::open(original).map_err(Error::io(original))?;
            // Before a run there is no copy: the records stand in the original alone.
            let copy = match File::open(copy) {
                Ok(copy) => Some(BufReader::new(copy)),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
                Err(error) => return Err(Error::io(copy)(error)),
            };
            self.verifying = Some((BufReader::new(original), copy, 0));
        }
        let Some((original, copy, number)) = self.verifying.as_mut() else {
            return Ok(Vec::new());
        };
        let mut found = Vec::with_capacity(limit);
        while found.len() < limit {
            let (mut before, mut now) = (Vec::new(), Vec::new());
            let read = original
                .read_until(b'\n', &mut before)
                .map_err(Error::io(&self.paths.original))?;
            let written = match copy {
                Some(copy) => copy
                    .read_until(b'\n', &mut now)
                    .map_err(Error::io(&self.paths.copy))?,
                None => 0,
            };
            if read == 0 && written == 0 {
                break;
            }
            *number += 1;
            if let Some(standing) =
                line_standing(*number, trimmed(&before), trimmed(&now), written > 0)
            {
                found.push(standing);
            }
        }
        Ok(found)
    }

    fn failures(&mut self) -> Result<Vec<(Key, String)>, Error> {
        Ok(self
            .state
            .failures
            .iter()
            .map(|(line, error)| (Key::Int(*line as i64), error.clone()))
            .collect())
    }

    fn rollback(&mut self, _batch: usize) -> Result<Restored, Error> {
        let Some(progress) = self.state.progress.clone() else {
            return Err(Error::state(
                "roll back",
                &self.name(),
                "no migration was started here",
            ));
        };
        self.lock("roll back")?;
        if self.state.finalized {
            restore_kept(&self.paths, &self.state, &self.name())?;
        } else {
            remove(&self.paths.copy)?;
        }
        remove(&self.paths.state)?;
        self.unlock()?;
        Ok(Restored {
            restored: progress.rewritten,
            changed: Vec::new(),
        })
    }

    fn finalize(&mut self, delete_original: bool) -> Result<(), Error> {
        let name = self.name();
        self.lock("finalize")?;
        if !self.state.finalized {
            check_finished(&self.paths, &self.state, &name)?;
            // Saved before the swap, so a finalize that dies after it can still be undone.
            self.state.checksum = file_checksum(&self.paths.copy)?;
            self.save()?;
            swap_in_copy(&self.paths, &name)?;
            self.state.finalized = true;
            self.save()?;
        }
        if delete_original {
            check_kept_whole(&self.paths, &self.state, &name)?;
            remove(&self.paths.kept)?;
            remove(&self.paths.state)?;
        }
        self.unlock()
    }
}

/// Whether the kept original is as the copy left it: a writer that opened the file before
/// the swap appends to the kept original, and those records are in no other file.
fn check_kept_whole(paths: &Paths, state: &State, name: &str) -> Result<(), Error> {
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

/// Whether the copy is whole: its run finished, and nothing was appended since.
fn check_finished(paths: &Paths, state: &State, name: &str) -> Result<(), Error> {
    let finished = state
        .progress
        .as_ref()
        .is_some_and(|p| p.finished_at.is_some());
    if !finished {
        return Err(Error::state(
            "finalize",
            name,
            "the migration has not finished: run it to the end, or roll it back",
        ));
    }
    let length = file_len(&paths.original)?;
    if length != state.read {
        return Err(Error::state(
            "finalize",
            name,
            format!(
                "{} bytes were appended to it since the last pass: run the migration again, \
                 with its writers stopped, then finalize",
                length.saturating_sub(state.read)
            ),
        ));
    }
    Ok(())
}

/// Replaces the original with the copy: the original gets a second name (a hard link),
/// then the copy is renamed over it, so at every instant the original's path holds one
/// whole file, the old or the new.
fn swap_in_copy(paths: &Paths, name: &str) -> Result<(), Error> {
    // A finalize that died between the two steps left the link: it is taken up.
    let linked = paths.kept.exists() && same_file(&paths.kept, &paths.original)?;
    if paths.kept.exists() && !linked {
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

/// After `finalize`: puts the kept original back, followed by what was appended to the
/// copy since, so nothing written in between is lost.
fn restore_kept(paths: &Paths, state: &State, name: &str) -> Result<(), Error> {
    let mut now = Vec::new();
    File::open(&paths.original)
        .and_then(|mut file| file.read_to_end(&mut now))
        .map_err(Error::io(&paths.original))?;
    let unchanged = now
        .get(..state.written as usize)
        .is_some_and(|written| fnv(fnv::BASIS, written) == state.checksum);
    if !unchanged {
        return Err(Error::state(
            "roll back",
            name,
            "the file was changed since the copy replaced it, not only appended to; nothing \
             was touched",
        ));
    }
    let mut restored = fs::read(&paths.kept).map_err(Error::io(&paths.kept))?;
    restored.extend_from_slice(&now[state.written as usize..]);
    write_atomically(&paths.original, &restored)?;
    remove(&paths.kept)
}

/// Line `number` as it stands: in the copy when copied (its original saved when they
/// differ), else in the original. `None` for a blank line.
fn line_standing(number: u64, before: &[u8], now: &[u8], copied: bool) -> Option<Standing> {
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
fn sample_lines(path: &Path) -> Result<(u64, u64), Error> {
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
fn whole_record(line: &[u8]) -> bool {
    line.trim_ascii_start().first() == Some(&b'{')
        && serde_json::from_slice::<serde::de::IgnoredAny>(line).is_ok()
}

fn trimmed(raw: &[u8]) -> &[u8] {
    let raw = raw.strip_suffix(b"\n").unwrap_or(raw);
    raw.strip_suffix(b"\r").unwrap_or(raw)
}

/// The checksum of the file at `path`, read in pieces.
fn file_checksum(path: &Path) -> Result<u64, Error> {
    let mut file = BufReader::with_capacity(1 << 16, File::open(path).map_err(Error::io(path))?);
    let mut hash = fnv::BASIS;
    loop {
        let piece = file.fill_buf().map_err(Error::io(path))?;
        if piece.is_empty() {
            return Ok(hash);
        }
        hash = fnv(hash, piece);
        let read = piece.len();
        file.consume(read);
    }
}

/// Whether `a` and `b` name one file (one is a hard link of the other).
#[cfg(unix)]
fn same_file(a: &Path, b: &Path) -> Result<bool, Error> {
    use std::os::unix::fs::MetadataExt;
    let a = fs::metadata(a).map_err(Error::io(a))?;
    let b = fs::metadata(b).map_err(Error::io(b))?;
    Ok((a.dev(), a.ino()) == (b.dev(), b.ino()))
}

/// Whether `a` and `b` name one file: not told apart here, so never.
#[cfg(not(unix))]
fn same_file(_: &Path, _: &Path) -> Result<bool, Error> {
    Ok(false)
}

fn file_len(path: &Path) -> Result<u64, Error> {
    Ok(fs::metadata(path).map_err(Error::io(path))?.len())
}

fn remove(path: &Path) -> Result<(), Error> {
    match fs::remove_file(path) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(Error::io(path)(error)),
        _ => Ok(()),
    }
}

fn read_state(path: &Path) -> Result<State, Error> {
    let bytes = fs::read(path).map_err(Error::io(path))?;
    serde_json::from_slice(&bytes).map_err(|error| Error::BadState {
        path: path.to_owned(),
        reason: error.to_string(),
    })
}

/// Writes `bytes` to `path` so that a crash leaves the old file or the new one: a
/// temporary file, flushed, renamed over it, and the folder flushed.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let mut name = path.as_os_str().to_owned();
    name.push(".tmp");
    let temporary = PathBuf::from(name);
    let mut file = File::create(&temporary).map_err(Error::io(&temporary))?;
    file.write_all(bytes).map_err(Error::io(&temporary))?;
    file.sync_all().map_err(Error::io(&temporary))?;
    fs::rename(&temporary, path).map_err(Error::io(path))?;
    sync_dir(path)
}

fn sync_dir(path: &Path) -> Result<(), Error> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    File::open(dir)
        .and_then(|dir| dir.sync_all())
        .map_err(Error::io(dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINES: &str = "{\"a\":1}\n{\"a\":2}\n";

    /// A store of two lines whose copy is finished, every line kept as it is.
    fn finished(dir: &Path) -> JsonLines {
        let path = dir.join("a.jsonl");
        fs::write(&path, LINES).unwrap();
        let mut store = JsonLines::open(&path).unwrap();
        let mut progress = store.begin(Progress::default()).unwrap();
        let rows = store.read(None, 10, true).unwrap();
        let entries: Vec<Entry> = rows
            .into_iter()
            .map(|row| Entry::new(row, Decision::Keep))
            .collect();
        progress.finished_at = Some(1);
        store.commit(&entries, &mut progress).unwrap();
        store
    }

    #[test]
    fn a_finalize_that_died_after_its_link_is_taken_up() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = finished(dir.path());
        fs::hard_link(&store.paths.original, &store.paths.kept).unwrap();
        store.finalize(false).unwrap();
        assert_eq!(fs::read_to_string(&store.paths.kept).unwrap(), LINES);
        assert!(!store.paths.copy.exists());
    }

    #[test]
    fn a_finalize_that_died_after_its_rename_is_finished_and_can_be_undone() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = finished(dir.path());
        let name = store.name();
        check_finished(&store.paths, &store.state, &name).unwrap();
        store.state.checksum = file_checksum(&store.paths.copy).unwrap();
        store.save().unwrap();
        swap_in_copy(&store.paths, &name).unwrap();
        let path = store.paths.original.clone();
        drop(store);
        let mut store = JsonLines::open(&path).unwrap();
        assert!(store.state.finalized, "the rename was the finalize");
        fs::write(&path, "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n").unwrap();
        store.rollback(10).unwrap();
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            format!("{LINES}{{\"a\":3}}\n")
        );
    }

    #[test]
    fn a_file_changed_after_the_swap_is_not_rolled_back() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = finished(dir.path());
        store.finalize(false).unwrap();
        fs::write(&store.paths.original, "{\"a\":9}\n").unwrap();
        let error = store.rollback(10).unwrap_err().to_string();
        assert!(error.contains("not only appended to"), "{error}");
        assert_eq!(fs::read_to_string(&store.paths.kept).unwrap(), LINES);
    }
}
