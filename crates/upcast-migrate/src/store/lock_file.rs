//! The engine's lock on a store that lives in a file (an SQLite database): a file beside
//! it, locked by the operating system, which lets go when the process ends however it
//! ends. It names who holds it, for the message of whoever is refused.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use super::Action;
use crate::Error;

/// The lock, held until dropped; its file is removed then.
#[derive(Debug)]
pub(crate) struct LockFile {
    file: File,
    path: PathBuf,
}

impl LockFile {
    /// Takes the lock at `path` for `action` on `store`, or says who holds it. The file
    /// is never followed through a symbolic link.
    pub(crate) fn take(path: &Path, store: &str, action: Action) -> Result<LockFile, Error> {
        loop {
            let mut file = open(path)?;
            match file.try_lock() {
                Ok(()) => {}
                Err(fs::TryLockError::WouldBlock) => {
                    let mut holder = String::new();
                    let _ = file.read_to_string(&mut holder);
                    return Err(Error::state(action.verb(), store, refusal(&holder)));
                }
                Err(fs::TryLockError::Error(error)) => return Err(Error::io(path)(error)),
            }
            // Another process may have removed the file between our open and our lock:
            // then the lock is on a file no one else will find, and it is taken again.
            if same_file(&file, path) {
                file.set_len(0).map_err(Error::io(path))?;
                file.rewind().map_err(Error::io(path))?;
                let holder = format!("{} (pid {})", action.doing(), std::process::id());
                file.write_all(holder.as_bytes()).map_err(Error::io(path))?;
                return Ok(LockFile {
                    file,
                    path: path.to_owned(),
                });
            }
        }
    }
}

impl Drop for LockFile {
    fn drop(&mut self) {
        // Removed while still locked: a process that opened it meanwhile finds it gone.
        let _ = fs::remove_file(&self.path);
        let _ = self.file.unlock();
    }
}

/// Why the lock was refused, from what its holder wrote.
fn refusal(holder: &str) -> String {
    let holder = holder.trim();
    let holder = match holder.is_empty() {
        true => "another upcast command",
        false => holder,
    };
    format!(
        "{holder} is in progress; wait for it to end, or stop it (SIGINT or SIGTERM ends a run after its batch in flight)"
    )
}

#[cfg(unix)]
fn open(path: &Path) -> Result<File, Error> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .map_err(Error::io(path))
}

#[cfg(not(unix))]
fn open(path: &Path) -> Result<File, Error> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(Error::io(path))
}

/// Whether `path` still names the file `file` is open on.
#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::symlink_metadata(path)) {
        (Ok(open), Ok(named)) => (open.dev(), open.ino()) == (named.dev(), named.ino()),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_: &File, path: &Path) -> bool {
    path.exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_taker_is_refused_and_told_who_holds_it_until_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.upcast-lock");
        let held = LockFile::take(&path, "db", Action::Run).unwrap();
        let refused = LockFile::take(&path, "db", Action::Rollback).unwrap_err();
        let message = refused.to_string();
        assert!(message.contains("a run (pid"), "{message}");
        assert!(message.starts_with("cannot roll back `db`"), "{message}");
        drop(held);
        assert!(!path.exists(), "removed when let go");
        let again = LockFile::take(&path, "db", Action::Finalize).unwrap();
        drop(again);
    }

    #[cfg(unix)]
    #[test]
    fn a_symbolic_link_in_its_place_is_never_followed() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        fs::write(&victim, "keep me").unwrap();
        let path = dir.path().join("db.upcast-lock");
        std::os::unix::fs::symlink(&victim, &path).unwrap();
        assert!(LockFile::take(&path, "db", Action::Run).is_err());
        assert_eq!(fs::read_to_string(&victim).unwrap(), "keep me");
    }
}
