//! JSON Lines: copy and transform into a new file beside the original, which is never
//! modified; `finalize` swaps the two by a rename and keeps the original.
//!
//! `events.jsonl` is copied to `events.jsonl.upcast-new`; `events.jsonl.upcast-state`
//! records, after each batch is written and flushed to disk, how much of each file is done.
//! A run taken up after a crash cuts the copy back to that length: a batch is in the copy
//! entirely or not at all, and the checkpoint moves only with the lines it vouches for.
//! `finalize` leaves the original as `events.jsonl.upcast-original`. While a run, a
//! rollback or a finalize works on the file, `events.jsonl.upcast-lock` is locked: a second
//! process is refused rather than let interleave its batches.
//!
//! Those names, and the `.tmp` the state is written through, are the store's own: it opens
//! them without following a symbolic link, and creates the copy and the `.tmp` anew (one
//! left by a run that died is removed first), so it never writes through a link or into a
//! file it did not make; a command that finds one of them a link refuses to run. The copy
//! gets the original's mode (its owner may write it until `finalize`), and its owner and
//! group as far as the user may give them (all of them as root). The state records which
//! file the original was (device and inode): a path that names another file since (a
//! rotated log) is refused by `run`, `finalize` and `rollback` alike.
//!
//! `finalize` refuses a copy that is not exactly one line per line of the original, and
//! an original that grew since the last pass. Lines a writer appends between that check and
//! the rename land in the kept original; so after the rename `finalize` waits a moment for
//! writers of the original to let go, measures it again and, if it grew, undoes the swap
//! rather than move the lines: the kept original is renamed back, whatever reached the new
//! file meanwhile is moved after it, and `finalize` fails saying to run again. A writer
//! that keeps the original open past `finalize` goes on appending to the kept original:
//! `--delete-original` refuses while it is longer than what was copied or while any
//! process holds it open (naming the process). `rollback` before `finalize` only deletes
//! the copy: nothing is put back, the rewrites are reported as discarded. After it, the
//! kept original is renamed back and what writers appended to the new file since is moved
//! after it (lines appended during the rollback itself may come before those). A `run`
//! after `finalize` is refused until the kept original is deleted (`finalize
//! --delete-original`, or by hand), which starts a new migration over the file, or the
//! migration is rolled back.

mod files;
mod lines;
mod swap;
#[cfg(test)]
mod tests;

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use self::files::{
    Identity, clear_leftover, create_own, file_len, identity, open_own, present, read_own,
    refuse_link, remove, take_mode_and_owner, temporary_of, write_atomically,
};
use self::lines::{line_standing, sample_lines, trimmed, whole_record};
use super::lock_file::LockFile;
use super::{Action, Decision, Entry, Progress, Restored, Standing, Store};
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
    lock: Option<LockFile>,
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
    /// Which file the original was when the migration began (`None` in a state written
    /// by an older upcast).
    #[serde(default)]
    original_id: Option<Identity>,
    /// Which file the copy is.
    #[serde(default)]
    copy_id: Option<Identity>,
    /// Whether the kept original is being put back (by a rollback, or a finalize that
    /// found lines appended during its swap): a command that finds it set finishes that
    /// first.
    #[serde(default)]
    undoing: bool,
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
        let state = load(&paths)?;
        let original = match state.finalized && present(&paths.kept) {
            true => &paths.kept,
            false => &paths.original,
        };
        if !original.is_file() {
            return Err(Error::Missing {
                path: original.clone(),
                what: "a JSON Lines file",
            });
        }
        Ok(JsonLines {
            pending_end: state.read,
            paths,
            state,
            pending: Vec::new(),
            pending_bytes: Vec::new(),
            verifying: None,
            lock: None,
        })
    }

    /// Takes the store for this process alone: two runs appending to one copy would
    /// interleave their batches. The operating system lets go if the process dies. Then
    /// reads the state again (another process may have moved it on), and finishes putting
    /// back an original whose putting back was cut short.
    fn take_lock(&mut self, action: Action) -> Result<(), Error> {
        if self.lock.is_some() {
            return Ok(());
        }
        self.lock = Some(LockFile::take(&self.paths.lock, &self.name(), action)?);
        for own in self.paths.own() {
            refuse_link(&own)?;
        }
        self.state = load(&self.paths)?;
        self.pending_end = self.state.read;
        match self.state.undoing {
            true => self.finish_undoing(),
            false => Ok(()),
        }
    }

    /// Lets go of the lock and removes its file: the store is left as it was found.
    fn unlock(&mut self) -> Result<(), Error> {
        self.lock = None;
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

    /// Finishes putting back the kept original, which a rollback or a finalize began.
    fn finish_undoing(&mut self) -> Result<(), Error> {
        swap::unswap(&self.paths, self.state.written, &self.name())?;
        self.state.undoing = false;
        self.state.finalized = false;
        self.save()
    }

    /// A `run` after `finalize`: once the kept original is gone that migration is over and
    /// a new one begins; before, it is refused, saying how to end or undo the old one.
    fn leave_finalized(&mut self) -> Result<(), Error> {
        if !present(&self.paths.kept) {
            self.state = State::default();
            return Ok(());
        }
        let name = self.name();
        Err(Error::state(
            "migrate",
            &name,
            format!(
                "the copy has replaced the original already (`finalize` ran) and the original \
                 is kept as `{}`; to migrate the file again, first end that migration with \
                 `upcast migrate finalize {name} --delete-original` (or delete `{0}`), or put \
                 the original back with `upcast migrate rollback {name}`",
                self.paths.kept.display()
            ),
        ))
    }

    /// Starts a migration: a new, empty copy with the original's mode and owner, and the
    /// original's length and identity recorded. A copy no state vouches for (left by a
    /// run that died before saving one) is dropped first.
    fn start(&mut self, fresh: Progress) -> Result<(), Error> {
        let paths = &self.paths;
        clear_leftover(&paths.copy)?;
        let copy = create_own(&paths.copy)?;
        take_mode_and_owner(&paths.original, &copy, &paths.copy, true)?;
        self.state = State {
            progress: Some(fresh),
            bound: file_len(&paths.original)?,
            original_id: Some(identity(&paths.original)?),
            copy_id: Some(identity(&paths.copy)?),
            ..State::default()
        };
        self.save()
    }

    /// A finished run taken up again: what was appended since is pass 1's now.
    fn take_up_again(&mut self, fresh: Progress) -> Result<(), Error> {
        let progress = self.state.progress.get_or_insert_with(Progress::default);
        *progress = Progress {
            started_at: fresh.started_at,
            finished_at: None,
            pass: 1,
            ..progress.clone()
        };
        self.state.bound = file_len(&self.paths.original)?;
        self.save()
    }

    /// Cuts the copy back to what the state vouches for: a batch written but not recorded
    /// is written again.
    fn cut_copy_back(&self) -> Result<(), Error> {
        let path = &self.paths.copy;
        let copy = open_own(path, OpenOptions::new().write(true))?;
        copy.set_len(self.state.written).map_err(Error::io(path))?;
        copy.sync_all().map_err(Error::io(path))
    }

    /// Appends the lines of the last read to the copy, each rewritten as `batch` decides,
    /// and moves the checkpoint past them.
    fn append_pending(&mut self, batch: &[Entry]) -> Result<(), Error> {
        let path = &self.paths.copy;
        let mut copy = open_own(path, OpenOptions::new().append(true))?;
        let mut out = Vec::with_capacity(self.pending_bytes.len() + self.pending_bytes.len() / 4);
        let mut entries = batch.iter().peekable();
        // A batch cut short (a run at its `--limit`) takes the lines up to its last record;
        // the rest are read again by the next batch.
        let upto = match batch.last().map(|entry| &entry.row.key) {
            Some(Key::Int(last)) => self
                .pending
                .iter()
                .position(|line| line.number as i64 == *last)
                .map_or(self.pending.len(), |at| at + 1),
            _ => self.pending.len(),
        };
        let taken = &self.pending[..upto];
        for line in taken {
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
        self.state.read = match taken.last() {
            Some(line) if upto < self.pending.len() => self.state.read + line.raw.end as u64,
            _ => self.pending_end,
        };
        self.state.lines = taken.last().map_or(self.state.lines, |line| line.number);
        self.pending.clear();
        Ok(())
    }

    /// The files `standing` compares: the original as it was, and the copy, if there is
    /// one. Before a run there is no copy: the records stand in the original alone; nor
    /// after a finalize whose kept original was deleted.
    fn verified_files(&self) -> Result<(File, Option<File>), Error> {
        let paths = &self.paths;
        let user = |path: &Path| File::open(path).map_err(Error::io(path));
        if !self.state.finalized {
            let copy = match open_own(&paths.copy, OpenOptions::new().read(true)) {
                Err(_) if !present(&paths.copy) => None,
                copy => Some(copy?),
            };
            return Ok((user(&paths.original)?, copy));
        }
        match present(&paths.kept) {
            true => Ok((
                open_own(&paths.kept, OpenOptions::new().read(true))?,
                Some(user(&paths.original)?),
            )),
            false => Ok((user(&paths.original)?, None)),
        }
    }

    /// After `finalize`: puts the kept original back, followed by what writers appended
    /// to the copy since it took the original's place.
    fn put_original_back(&mut self, name: &str) -> Result<(), Error> {
        if !present(&self.paths.kept) {
            return Err(Error::state(
                "roll back",
                name,
                format!(
                    "the kept original `{}` is gone, so there is nothing to put back: end the \
                     migration with `upcast migrate finalize {name} --delete-original`",
                    self.paths.kept.display()
                ),
            ));
        }
        swap::check_not_replaced(&self.paths, &self.state, "roll back", name)?;
        swap::check_unchanged(&self.paths, &self.state, name)?;
        self.state.undoing = true;
        self.save()?;
        swap::unswap(&self.paths, self.state.written, name)
    }

    /// Puts the copy in the original's place, once it is whole and nothing was appended to
    /// the original since the last pass.
    fn put_copy_in_place(&mut self, name: &str) -> Result<(), Error> {
        swap::check_not_replaced(&self.paths, &self.state, "finalize", name)?;
        swap::check_finished(&self.state, name)?;
        self.state.checksum = swap::check_whole(&self.paths, &self.state, name)?;
        let copy = open_own(&self.paths.copy, OpenOptions::new().read(true))?;
        take_mode_and_owner(&self.paths.original, &copy, &self.paths.copy, false)?;
        // Saved before the swap, so a finalize that dies after it can still be undone.
        self.save()?;
        swap::check_nothing_appended(&self.paths, &self.state, name)?;
        swap::swap_in_copy(&self.paths, name)?;
        let late = swap::late_bytes(&self.paths, &self.state)?;
        if late > 0 {
            return self.undo_swap(late, name);
        }
        self.state.finalized = true;
        if let Some(progress) = self.state.progress.as_mut() {
            progress.finalized_at = Some(crate::run::now());
        }
        self.save()
    }

    /// Lines appended to the original between its last check and the swap are in the kept
    /// original alone: the swap is undone, so that they are in the live file again.
    fn undo_swap(&mut self, late: u64, name: &str) -> Result<(), Error> {
        self.state.undoing = true;
        self.save()?;
        swap::unswap(&self.paths, self.state.written, name)?;
        self.state.undoing = false;
        self.save()?;
        Err(Error::state(
            "finalize",
            name,
            format!(
                "{late} bytes were appended to `{}` while the copy was put in its place; the \
                 swap was undone, so they are in it again and nothing was lost: run the \
                 migration again, with its writers stopped, then finalize",
                self.paths.original.display()
            ),
        ))
    }

    /// `--delete-original`: deletes the kept original when it is as the copy left it and
    /// no process holds it open, then the state: the migration is over.
    fn delete_kept(&mut self, name: &str) -> Result<(), Error> {
        if present(&self.paths.kept) {
            swap::check_kept_whole(&self.paths, &self.state, name)?;
            swap::check_kept_unheld(&self.paths, name)?;
            remove(&self.paths.kept)?;
        }
        remove(&self.paths.state)
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

    /// The store's own files beside the original.
    fn own(&self) -> [PathBuf; 5] {
        [
            self.copy.clone(),
            self.state.clone(),
            temporary_of(&self.state),
            self.kept.clone(),
            self.lock.clone(),
        ]
    }
}

/// The saved state, with what the files tell of a finalize that died: the rename is the
/// moment it takes effect, so one that died after it and before its state was saved is
/// finished here.
fn load(paths: &Paths) -> Result<State, Error> {
    let mut state = match present(&paths.state) {
        true => read_state(&paths.state)?,
        false => State::default(),
    };
    state.finalized |=
        !state.undoing && state.progress.is_some() && !present(&paths.copy) && present(&paths.kept);
    Ok(state)
}

fn read_state(path: &Path) -> Result<State, Error> {
    serde_json::from_slice(&read_own(path)?).map_err(|error| Error::BadState {
        path: path.to_owned(),
        reason: error.to_string(),
    })
}

impl Store for JsonLines {
    /// Takes the lock file, and refuses an original replaced since the migration began.
    fn lock(&mut self, action: Action) -> Result<(), Error> {
        self.take_lock(action)?;
        match self.state.progress {
            Some(_) => {
                swap::check_not_replaced(&self.paths, &self.state, action.verb(), &self.name())
            }
            None => Ok(()),
        }
    }

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

    /// `None` once a finalized migration's kept original is deleted: it is over.
    fn progress(&mut self) -> Result<Option<Progress>, Error> {
        let over = self.state.finalized && !present(&self.paths.kept);
        // Each line is copied once: every rewrite is a record of its own.
        Ok(self
            .state
            .progress
            .clone()
            .filter(|_| !over)
            .map(|mut progress| {
                progress.records_rewritten = progress.rewritten;
                progress
            }))
    }

    fn begin(&mut self, fresh: Progress) -> Result<Progress, Error> {
        self.take_lock(Action::Run)?;
        if self.state.finalized {
            self.leave_finalized()?;
        }
        match self
            .state
            .progress
            .as_ref()
            .map(|p| p.finished_at.is_some())
        {
            None => self.start(fresh)?,
            Some(finished) => {
                let name = self.name();
                swap::check_not_replaced(&self.paths, &self.state, "migrate", &name)?;
                if finished {
                    self.take_up_again(fresh)?;
                }
            }
        }
        self.cut_copy_back()?;
        self.pending_end = self.state.read;
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

    /// An empty commit (the engine's last of a run, maybe of a run that read nothing)
    /// saves the progress alone: the checkpoint moves only with lines written.
    fn commit(&mut self, batch: &[Entry], progress: &mut Progress) -> Result<Vec<Key>, Error> {
        self.not_finalized("migrate")?;
        if !self.pending.is_empty() {
            self.append_pending(batch)?;
        }
        self.state.progress = Some(progress.clone());
        self.save()?;
        Ok(Vec::new())
    }

    fn standing(&mut self, after: Option<&Key>, limit: usize) -> Result<Vec<Standing>, Error> {
        if after.is_none() || self.verifying.is_none() {
            let (original, copy) = self.verified_files()?;
            self.verifying = Some((BufReader::new(original), copy.map(BufReader::new), 0));
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

    /// Before `finalize` the original was never changed: the copy is deleted and its
    /// rewrites counted as discarded. After it, the kept original is put back.
    fn rollback(&mut self, _batch: usize) -> Result<Restored, Error> {
        let name = self.name();
        let none = || Error::state("roll back", &name, "no migration was started here");
        self.state.progress.as_ref().ok_or_else(none)?;
        self.take_lock(Action::Rollback)?;
        let progress = self.state.progress.clone().ok_or_else(none)?;
        let restored = match self.state.finalized {
            true => {
                self.put_original_back(&name)?;
                Restored {
                    restored: progress.rewritten,
                    ..Restored::default()
                }
            }
            false => {
                swap::check_not_replaced(&self.paths, &self.state, "roll back", &name)?;
                Restored {
                    discarded: progress.rewritten,
                    ..Restored::default()
                }
            }
        };
        remove(&self.paths.state)?;
        remove(&self.paths.copy)?;
        self.unlock()?;
        Ok(restored)
    }

    fn finalize(&mut self, delete_original: bool) -> Result<(), Error> {
        let name = self.name();
        self.take_lock(Action::Finalize)?;
        if !self.state.finalized {
            self.put_copy_in_place(&name)?;
        }
        if delete_original {
            self.delete_kept(&name)?;
        }
        self.unlock()
    }
}
