use std::fs;

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
    swap::check_finished(&store.state, &name).unwrap();
    store.state.checksum = swap::check_whole(&store.paths, &store.state, &name).unwrap();
    store.save().unwrap();
    swap::swap_in_copy(&store.paths, &name).unwrap();
    let path = store.paths.original.clone();
    drop(store);
    let mut store = JsonLines::open(&path).unwrap();
    assert!(store.state.finalized, "the rename was the finalize");
    let mut file = fs::OpenOptions::new().append(true).open(&path).unwrap();
    file.write_all(b"{\"a\":3}\n").unwrap();
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

#[test]
fn putting_the_original_back_cut_short_is_finished_by_the_next_command() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = finished(dir.path());
    store.finalize(false).unwrap();
    let mut file = fs::OpenOptions::new()
        .append(true)
        .open(&store.paths.original)
        .unwrap();
    file.write_all(b"{\"a\":3}\n").unwrap();
    // A rollback that died after linking the copy back, before its rename.
    store.state.undoing = true;
    store.save().unwrap();
    fs::hard_link(&store.paths.original, &store.paths.copy).unwrap();
    let path = store.paths.original.clone();
    drop(store);
    let mut store = JsonLines::open(&path).unwrap();
    store.rollback(10).unwrap();
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        format!("{LINES}{{\"a\":3}}\n")
    );
    assert!(!store.paths.copy.exists() && !store.paths.kept.exists());
}

#[test]
fn an_empty_commit_of_a_run_that_read_nothing_leaves_the_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let store = finished(dir.path());
    let path = store.paths.original.clone();
    let saved = (store.state.read, store.state.lines, store.state.written);
    drop(store);
    let mut store = JsonLines::open(&path).unwrap();
    let mut progress = store.begin(Progress::default()).unwrap();
    store.commit(&[], &mut progress).unwrap();
    let state = load(&store.paths).unwrap();
    assert_eq!((state.read, state.lines, state.written), saved);
}
