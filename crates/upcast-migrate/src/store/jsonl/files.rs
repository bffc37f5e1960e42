//! The files the store makes beside the original are its own: opened without following a
//! symbolic link, created exclusively, and the copy given the original's mode and owner.
//! Also which processes hold a file open, read from `/proc`.

use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use crate::Error;
use crate::fnv::{self, fnv};

/// A file's device and inode: which file a path names.
pub(super) type Identity = (u64, u64);

/// Opens `path`, one of the store's own files, never through a symbolic link.
pub(super) fn open_own(path: &Path, options: &mut OpenOptions) -> Result<File, Error> {
    no_follow(options)
        .open(path)
        .map_err(|error| own_error(path, error))
}

/// Creates `path`, one of the store's own files, where no file is: a link, or a file
/// someone else made, is never written through.
pub(super) fn create_own(path: &Path) -> Result<File, Error> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create_new(true);
    no_follow(&mut options)
        .open(path)
        .map_err(|error| own_error(path, error))
}

/// Makes way for `path`, one of the store's own files left by a run that died: a file is
/// removed, a symbolic link refused.
pub(super) fn clear_leftover(path: &Path) -> Result<(), Error> {
    refuse_link(path)?;
    remove(path)
}

/// Refuses `path` when it is a symbolic link: the store follows none beside the original.
pub(super) fn refuse_link(path: &Path) -> Result<(), Error> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => Err(link_error(path)),
        _ => Ok(()),
    }
}

/// Whether something (a file, a link, anything) is at `path`; a link is not followed.
pub(super) fn present(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok()
}

fn link_error(path: &Path) -> Error {
    Error::state(
        "use",
        &path.display().to_string(),
        "it is a symbolic link, and upcast writes its own files beside the original only \
         as files it made itself, never through a link: remove the link (and check the file \
         it points to), then run the command again",
    )
}

/// An error opening one of the store's own files: a link is said so.
fn own_error(path: &Path, error: std::io::Error) -> Error {
    let linked = fs::symlink_metadata(path).is_ok_and(|meta| meta.file_type().is_symlink());
    match linked || is_loop(&error) {
        true => link_error(path),
        false => Error::io(path)(error),
    }
}

#[cfg(unix)]
fn no_follow(options: &mut OpenOptions) -> &mut OpenOptions {
    use std::os::unix::fs::OpenOptionsExt;
    options.custom_flags(libc::O_NOFOLLOW)
}

#[cfg(not(unix))]
fn no_follow(options: &mut OpenOptions) -> &mut OpenOptions {
    options
}

#[cfg(unix)]
fn is_loop(error: &std::io::Error) -> bool {
    error.raw_os_error() == Some(libc::ELOOP)
}

#[cfg(not(unix))]
fn is_loop(_: &std::io::Error) -> bool {
    false
}

/// Which file `path` names now (a link to the original is followed: the user's own).
#[cfg(unix)]
pub(super) fn identity(path: &Path) -> Result<Identity, Error> {
    use std::os::unix::fs::MetadataExt;
    let meta = fs::metadata(path).map_err(Error::io(path))?;
    Ok((meta.dev(), meta.ino()))
}

/// Which file `path` names: not told apart here, so always the same.
#[cfg(not(unix))]
pub(super) fn identity(path: &Path) -> Result<Identity, Error> {
    fs::metadata(path).map_err(Error::io(path))?;
    Ok((0, 0))
}

/// Whether `a` and `b` name one file (one is a hard link of the other).
#[cfg(unix)]
pub(super) fn same_file(a: &Path, b: &Path) -> Result<bool, Error> {
    Ok(identity(a)? == identity(b)?)
}

/// Whether `a` and `b` name one file: not told apart here, so never.
#[cfg(not(unix))]
pub(super) fn same_file(_: &Path, _: &Path) -> Result<bool, Error> {
    Ok(false)
}

/// Gives `file` (the copy, at `path`) the mode of the file at `from`, and its owner and
/// group as far as this process may give them (all of them when it runs as root). While
/// the copy is still `writing`, its owner may write it whatever the original's mode.
#[cfg(unix)]
pub(super) fn take_mode_and_owner(
    from: &Path,
    file: &File,
    path: &Path,
    writing: bool,
) -> Result<(), Error> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt, fchown};
    let meta = fs::metadata(from).map_err(Error::io(from))?;
    let denied = |error: &std::io::Error| error.kind() == std::io::ErrorKind::PermissionDenied;
    match fchown(file, Some(meta.uid()), Some(meta.gid())) {
        // Not root: the group at least, when this user is in it; else the user's own.
        Err(error) if denied(&error) => match fchown(file, None, Some(meta.gid())) {
            Err(error) if !denied(&error) => return Err(Error::io(path)(error)),
            _ => {}
        },
        result => result.map_err(Error::io(path))?,
    }
    // After the owner: changing it clears the set-user-ID and set-group-ID bits.
    let mode = meta.mode() & 0o7777 | if writing { 0o200 } else { 0 };
    file.set_permissions(fs::Permissions::from_mode(mode))
        .map_err(Error::io(path))
}

/// Gives `file` the permissions of the file at `from` once it is written.
#[cfg(not(unix))]
pub(super) fn take_mode_and_owner(
    from: &Path,
    file: &File,
    path: &Path,
    writing: bool,
) -> Result<(), Error> {
    let meta = fs::metadata(from).map_err(Error::io(from))?;
    match writing {
        true => Ok(()),
        false => file
            .set_permissions(meta.permissions())
            .map_err(Error::io(path)),
    }
}

/// The processes (other than this one) that hold the file at `path` open, only those that
/// may write to it when `writing`. Processes this user may not look into are not seen.
#[cfg(target_os = "linux")]
pub(super) fn holders(path: &Path, writing: bool) -> Vec<u32> {
    let Ok(file) = identity(path) else {
        return Vec::new();
    };
    let Ok(processes) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    let me = std::process::id();
    processes
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| pid != me && holds(pid, file, writing))
        .collect()
}

/// Which processes hold a file open: not told here, so none.
#[cfg(not(target_os = "linux"))]
pub(super) fn holders(_: &Path, _: bool) -> Vec<u32> {
    Vec::new()
}

/// Whether process `pid` has `file` open (for writing, when `writing`).
#[cfg(target_os = "linux")]
fn holds(pid: u32, file: Identity, writing: bool) -> bool {
    let Ok(descriptors) = fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    descriptors.flatten().any(|descriptor| {
        identity(&descriptor.path()).is_ok_and(|open| open == file)
            && (!writing || for_writing(pid, &descriptor.file_name()))
    })
}

/// Whether descriptor `fd` of process `pid` was opened for writing (when its flags cannot
/// be read, it is taken to be).
#[cfg(target_os = "linux")]
fn for_writing(pid: u32, fd: &std::ffi::OsStr) -> bool {
    let info = fs::read_to_string(format!("/proc/{pid}/fdinfo/{}", fd.to_string_lossy()));
    let flags = info.ok().and_then(|info| {
        let flags = info.lines().find_map(|line| line.strip_prefix("flags:"))?;
        u32::from_str_radix(flags.trim(), 8).ok()
    });
    flags.is_none_or(|flags| flags & 0o3 != 0)
}

/// Waits, up to `bound`, until no other process holds the file at `path` open for
/// writing; returns those that still do.
pub(super) fn settle(path: &Path, bound: Duration) -> Vec<u32> {
    let clock = Instant::now();
    loop {
        let writers = holders(path, true);
        if writers.is_empty() || clock.elapsed() >= bound {
            return writers;
        }
        thread::sleep(Duration::from_millis(5));
    }
}

/// What `scan` found in a file.
pub(super) struct Scanned {
    pub(super) length: u64,
    /// Lines, the last one counted even without its newline.
    pub(super) lines: u64,
    pub(super) checksum: u64,
}

/// The length, lines and checksum of the first `limit` bytes of `file` (at `path`).
pub(super) fn scan(file: File, path: &Path, limit: u64) -> Result<Scanned, Error> {
    let mut reader = BufReader::with_capacity(1 << 16, file.take(limit));
    let mut found = Scanned {
        length: 0,
        lines: 0,
        checksum: fnv::BASIS,
    };
    let mut last = b'\n';
    loop {
        let piece = reader.fill_buf().map_err(Error::io(path))?;
        let Some(&end) = piece.last() else {
            found.lines += u64::from(last != b'\n');
            return Ok(found);
        };
        found.checksum = fnv(found.checksum, piece);
        found.lines += piece.iter().filter(|&&byte| byte == b'\n').count() as u64;
        found.length += piece.len() as u64;
        last = end;
        let read = piece.len();
        reader.consume(read);
    }
}

pub(super) fn file_len(path: &Path) -> Result<u64, Error> {
    Ok(fs::metadata(path).map_err(Error::io(path))?.len())
}

pub(super) fn remove(path: &Path) -> Result<(), Error> {
    match fs::remove_file(path) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(Error::io(path)(error)),
        _ => Ok(()),
    }
}

/// The bytes of `path`, one of the store's own files.
pub(super) fn read_own(path: &Path) -> Result<Vec<u8>, Error> {
    let mut file = open_own(path, OpenOptions::new().read(true))?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).map_err(Error::io(path))?;
    Ok(bytes)
}

/// Writes `bytes` to `path` so that a crash leaves the old file or the new one: a
/// temporary file `PATH.tmp` (made anew, never through a link), flushed, renamed over it,
/// and the folder flushed.
pub(super) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let temporary = temporary_of(path);
    clear_leftover(&temporary)?;
    let mut file = create_own(&temporary)?;
    file.write_all(bytes).map_err(Error::io(&temporary))?;
    file.sync_all().map_err(Error::io(&temporary))?;
    fs::rename(&temporary, path).map_err(Error::io(path))?;
    sync_dir(path)
}

/// The temporary file [`write_atomically`] writes `path` through.
pub(super) fn temporary_of(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".tmp");
    PathBuf::from(name)
}

pub(super) fn sync_dir(path: &Path) -> Result<(), Error> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    File::open(dir)
        .and_then(|dir| dir.sync_all())
        .map_err(Error::io(dir))
}
