//! JSON Lines: the files beside the original are the engine's own, the copy takes the
//! original's mode and owner, a replaced original is noticed.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::path::Path;

use super::jsonl::{beside, file, head};
use super::support::migrate;

/// The files the engine makes beside the original.
const OWN: [&str; 5] = [
    ".upcast-new",
    ".upcast-state",
    ".upcast-lock",
    ".upcast-original",
    ".upcast-state.tmp",
];

/// Whether this process may give files away (runs as root).
fn root(dir: &Path) -> bool {
    let probe = dir.join("probe");
    fs::write(&probe, "").unwrap();
    let uid = fs::metadata(&probe).unwrap().uid();
    fs::remove_file(probe).unwrap();
    uid == 0
}

#[test]
fn the_finalized_file_has_the_mode_and_owner_of_the_original() {
    let (dir, path, spec) = head(4);
    fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
    let owner = root(dir.path()).then_some((4321, 4322));
    if let Some((uid, gid)) = owner {
        std::os::unix::fs::chown(&path, Some(uid), Some(gid)).unwrap();
    }
    let before = fs::metadata(&path).unwrap();
    let (code, out, err) = migrate(&["run", &spec]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = migrate(&["finalize", &spec]);
    assert_eq!(code, 0, "{out}{err}");
    let after = fs::metadata(&path).unwrap();
    assert_ne!(after.ino(), before.ino(), "the copy is in its place");
    assert_eq!(after.mode() & 0o7777, 0o640, "the mode of the original");
    assert_eq!(
        (after.uid(), after.gid()),
        (before.uid(), before.gid()),
        "the owner of the original"
    );
    let (code, out, err) = migrate(&["rollback", &spec]);
    assert_eq!(code, 0, "{out}{err}");
    let back = fs::metadata(&path).unwrap();
    assert_eq!(
        back.mode() & 0o7777,
        0o640,
        "the original's mode, rolled back"
    );
    assert_eq!((back.uid(), back.gid()), (before.uid(), before.gid()));
}

/// Brings a fresh store to the point where `command` is next: `run` (nothing done),
/// `finalize` (a finished run) or `rollback` (a finalized migration).
fn store_before(command: &str) -> (tempfile::TempDir, std::path::PathBuf, String) {
    let (dir, path, spec) = head(4);
    if command != "run" {
        assert_eq!(migrate(&["run", &spec]).0, 0);
    }
    if command == "rollback" {
        assert_eq!(migrate(&["finalize", &spec]).0, 0);
    }
    (dir, path, spec)
}

#[test]
fn no_command_follows_a_symbolic_link_beside_the_original() {
    for name in OWN {
        for command in ["run", "finalize", "rollback"] {
            let (dir, path, spec) = store_before(command);
            let victim = dir.path().join("victim");
            fs::write(&victim, "precious\n").unwrap();
            let link = beside(&path, name);
            let _ = fs::remove_file(&link);
            symlink(&victim, &link).unwrap();
            let (code, out, err) = migrate(&[command, &spec]);
            assert_eq!(code, 2, "{command} with `{name}` a link: {out}{err}");
            assert!(err.contains("symbolic link"), "{command}, `{name}`: {err}");
            assert_eq!(
                fs::read(&victim).unwrap(),
                b"precious\n",
                "{command} with `{name}` a link: the victim untouched"
            );
            assert!(
                fs::symlink_metadata(&link).unwrap().is_symlink(),
                "{command}, `{name}`: the link is left for the user to look at"
            );
        }
    }
}

/// Moves the file at `path` away, logrotate-style, and starts a new one in its place.
fn rotate(path: &Path) {
    fs::rename(path, beside(path, ".1")).unwrap();
    fs::write(path, "{\"kind\":\"fresh\"}\n").unwrap();
}

#[test]
fn a_replaced_original_is_noticed_before_and_after_finalize() {
    let (_dir, path, spec) = file(1);
    let (code, out, _) = migrate(&["run", &spec, "--limit", "100"]);
    assert_eq!(code, 1, "stopped by its limit: {out}");
    let copy = fs::read(beside(&path, ".upcast-new")).unwrap();
    rotate(&path);
    for command in ["run", "finalize", "rollback"] {
        let (code, out, err) = migrate(&[command, &spec]);
        assert_eq!(code, 2, "{command}: {out}{err}");
        assert!(err.contains("was replaced"), "{command}: {err}");
    }
    assert_eq!(fs::read(&path).unwrap(), b"{\"kind\":\"fresh\"}\n");
    assert_eq!(fs::read(beside(&path, ".upcast-new")).unwrap(), copy);

    let (_dir, path, spec) = file(1);
    migrate(&["run", &spec]);
    assert_eq!(migrate(&["finalize", &spec]).0, 1);
    rotate(&path);
    let (code, out, err) = migrate(&["rollback", &spec]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("was replaced"), "{err}");
    assert_eq!(fs::read(&path).unwrap(), b"{\"kind\":\"fresh\"}\n");
}
