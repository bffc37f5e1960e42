//! JSON Lines, copied and transformed by the demo binary.

use std::fs;
use std::io::Write;
use std::path::Path;
use std::thread;
use std::time::Duration;

use upcast::Layout;

use super::support::{Dice, events, migrate, migrated, spawn};

/// A file of the dataset's envelopes repeated `copies` times, and its store argument.
pub(super) fn file(copies: usize) -> (tempfile::TempDir, std::path::PathBuf, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.jsonl");
    fs::write(&path, events().repeat(copies)).unwrap();
    let spec = format!("jsonl:{}", path.display());
    (dir, path, spec)
}

pub(super) fn beside(path: &Path, suffix: &str) -> std::path::PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    name.into()
}

/// The copy holds, line for line, the correct migration of the original's first lines.
fn assert_copy_is_a_prefix(original: &str, copy: &str, kill: usize) {
    let envelope = Layout::envelope();
    let copied: Vec<&str> = copy.lines().collect();
    for (number, (before, after)) in original.lines().zip(&copied).enumerate() {
        assert_eq!(
            *after,
            migrated(&envelope, before),
            "kill {kill}: line {}",
            number + 1
        );
    }
    assert!(
        copy.is_empty() || copy.ends_with('\n'),
        "kill {kill}: no half line"
    );
}

#[test]
fn kill_nine_at_random_points_leaves_a_whole_prefix_and_the_original_untouched() {
    let (_dir, path, spec) = file(4);
    let original = fs::read_to_string(&path).unwrap();
    let copy = beside(&path, ".upcast-new");
    let mut dice = Dice::new(0x5eed_0010);
    let mut mid_run = 0;
    for kill in 0..30 {
        let mut child = spawn(&["run", spec.as_str(), "--batch", "100"]);
        thread::sleep(Duration::from_millis(dice.roll(5, 120)));
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            original,
            "kill {kill}: original untouched"
        );
        if let Ok(copied) = fs::read_to_string(&copy) {
            let state: serde_json::Value =
                serde_json::from_slice(&fs::read(beside(&path, ".upcast-state")).unwrap()).unwrap();
            let vouched = state["written"].as_u64().unwrap() as usize;
            assert!(
                copied.len() >= vouched,
                "kill {kill}: the copy holds what the state vouches for"
            );
            assert_copy_is_a_prefix(&original, &copied[..vouched], kill);
            mid_run += usize::from(state["progress"]["finished_at"].is_null() && vouched > 0);
        }
    }
    assert!(
        mid_run >= 10,
        "only {mid_run} kills landed in the middle of a run"
    );
    let (code, out, _) = migrate(&["run", &spec]);
    assert_eq!(code, 1, "the junk customers: {out}");
    let copied = fs::read_to_string(&copy).unwrap();
    assert_eq!(copied.lines().count(), original.lines().count());
    assert_copy_is_a_prefix(&original, &copied, 30);
    let (_, out, _) = migrate(&["verify", &spec, "--format", "json"]);
    let verified: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(verified["verified"], 3649 * 4, "{out}");
    assert_eq!(
        verified["not_current"].as_array().unwrap().len(),
        8,
        "the junk, four times: {out}"
    );
}

#[test]
fn lines_appended_during_a_run_are_copied_by_a_later_pass() {
    let (_dir, path, spec) = file(4);
    let child = spawn(&[
        "run",
        spec.as_str(),
        "--batch",
        "100",
        "--max-rate",
        "20000",
    ]);
    let extra =
        r#"{"kind":"product","version":"1.0.0","data":{"sku":"NEW","title":"T","price_cents":5}}"#;
    for _ in 0..20 {
        thread::sleep(Duration::from_millis(20));
        let mut file = fs::OpenOptions::new().append(true).open(&path).unwrap();
        writeln!(file, "{extra}").unwrap();
    }
    let output = child.wait_with_output().unwrap();
    let out = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(1),
        "the run finished, with the dataset's failing records to attend to: {out}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let (_, again, _) = migrate(&["run", &spec]);
    let copied = fs::read_to_string(beside(&path, ".upcast-new")).unwrap();
    assert_eq!(
        copied
            .lines()
            .filter(|line| line.contains("\"NEW\"") && line.contains("\"1.2.0\""))
            .count(),
        20,
        "{out}\n{again}"
    );
    assert_eq!(
        copied.lines().count(),
        fs::read_to_string(&path).unwrap().lines().count()
    );
}

#[test]
fn finalize_swaps_and_rollback_puts_back_the_original_and_what_came_after() {
    let (_dir, path, spec) = file(1);
    let original = fs::read_to_string(&path).unwrap();
    let (code, _, err) = migrate(&["finalize", &spec]);
    assert_eq!(code, 2, "nothing to finalize yet: {err}");
    migrate(&["run", &spec]);
    let (code, out, _) = migrate(&["finalize", &spec]);
    assert_eq!(code, 1, "{out}");
    let kept = beside(&path, ".upcast-original");
    assert_eq!(
        fs::read_to_string(&kept).unwrap(),
        original,
        "the original is kept"
    );
    assert_ne!(
        fs::read_to_string(&path).unwrap(),
        original,
        "the copy is in its place"
    );
    let late = "{\"kind\":\"product\",\"version\":\"1.2.0\",\"data\":{\"sku\":\"L\",\"title\":\"T\",\"price_cents\":1,\"tags\":[]}}\n";
    fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(late.as_bytes())
        .unwrap();
    let (code, out, _) = migrate(&["rollback", &spec]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        format!("{original}{late}"),
        "the original, then what was written since"
    );
    assert!(!kept.exists());
}

#[test]
fn a_last_line_without_a_newline_is_migrated_and_finalized() {
    let (_dir, path, spec) = file(1);
    let mut original = fs::read_to_string(&path).unwrap();
    original.pop();
    fs::write(&path, &original).unwrap();
    let last = original.lines().last().unwrap().to_owned();
    migrate(&["run", &spec]);
    let copy = fs::read_to_string(beside(&path, ".upcast-new")).unwrap();
    assert_eq!(copy.lines().count(), original.lines().count());
    assert_eq!(
        copy.lines().last().unwrap(),
        migrated(&Layout::envelope(), &last)
    );
    let (code, out, err) = migrate(&["finalize", &spec]);
    assert_eq!(code, 1, "{out}{err}");
}

#[test]
fn a_second_run_on_the_same_file_is_refused_while_the_first_works() {
    let (_dir, path, spec) = file(2);
    let mut first = spawn(&["run", spec.as_str(), "--batch", "10", "--max-rate", "200"]);
    // The first run has begun once its copy exists.
    let copy = beside(&path, ".upcast-new");
    while !copy.exists() {
        thread::sleep(Duration::from_millis(10));
    }
    let (code, _, err) = migrate(&["run", &spec]);
    let _ = first.kill();
    let _ = first.wait();
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("a run (pid") && err.contains("is in progress"),
        "{err}"
    );
    let (code, out, err) = migrate(&["run", &spec]);
    assert_eq!(code, 1, "the killed run's lock went with it: {out}{err}");
}

#[test]
fn the_original_is_not_deleted_when_a_writer_appended_to_it_after_the_swap() {
    let (_dir, path, spec) = file(1);
    migrate(&["run", &spec]);
    // A writer that opened the file before the swap still appends to the original.
    let mut writer = fs::OpenOptions::new().append(true).open(&path).unwrap();
    let (code, out, _) = migrate(&["finalize", &spec]);
    assert_eq!(code, 1, "{out}");
    writeln!(writer, "{{\"kind\":\"late\"}}").unwrap();
    let (code, _, err) = migrate(&["finalize", &spec, "--delete-original"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("bytes were written to"), "{err}");
    let kept = fs::read_to_string(beside(&path, ".upcast-original")).unwrap();
    assert!(
        kept.ends_with("{\"kind\":\"late\"}\n"),
        "kept, with the late line"
    );
}

#[test]
fn failing_lines_are_copied_as_they_were_and_listed() {
    let (_dir, path, spec) = file(1);
    let unreadable = [
        "not json",
        r#"{"kind":"invoice","version":1,"data":{}}"#,
        r#"{"kind":"customer","version":5,"data":{"id":"cus_1"}}"#,
    ];
    let mut original = fs::read_to_string(&path).unwrap();
    for line in unreadable {
        original.push_str(line);
        original.push('\n');
    }
    fs::write(&path, &original).unwrap();
    let (code, out, _) = migrate(&["run", &spec, "--format", "json"]);
    assert_eq!(code, 1, "{out}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let failed: Vec<usize> = report["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["key"].as_u64().unwrap() as usize)
        .collect();
    let lines = original.lines().count();
    assert_eq!(failed.len(), 5, "{out}");
    assert_eq!(&failed[2..], [lines - 2, lines - 1, lines], "{out}");
    let why = |n: usize| report["failures"][n]["why"].as_str().unwrap().to_owned();
    assert!(why(2).contains("line 1 column 2"), "not JSON: {}", why(2));
    assert!(why(3).contains("`invoice`"), "an unknown kind: {}", why(3));
    assert!(why(4).contains("missing field `name`"), "{}", why(4));
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        original,
        "the original untouched"
    );
    let copy = fs::read_to_string(beside(&path, ".upcast-new")).unwrap();
    let copied: Vec<&str> = copy.lines().collect();
    let originals: Vec<&str> = original.lines().collect();
    assert_eq!(copied.len(), originals.len(), "no line dropped");
    for number in failed {
        assert_eq!(
            copied[number - 1],
            originals[number - 1],
            "line {number} as it was"
        );
    }
    assert_eq!(report["progress"]["failed"], 5);
}

#[test]
fn a_run_resumes_after_a_limit_where_it_stopped() {
    let (_dir, path, spec) = file(4);
    let limited = [
        "run", &spec, "--batch", "500", "--limit", "500", "--format", "json",
    ];
    let (code, out, _) = migrate(&limited);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (code, report["ended"].as_str()),
        (1, Some("limit")),
        "{out}"
    );
    let first = report["progress"]["rewritten"].as_u64().unwrap();
    assert!(
        (500..1000).contains(&first),
        "stops at the first batch past the limit: {first}"
    );
    let original = fs::read_to_string(&path).unwrap();
    let copy = fs::read_to_string(beside(&path, ".upcast-new")).unwrap();
    assert!(
        copy.lines().count() < original.lines().count(),
        "a part copied"
    );
    assert_copy_is_a_prefix(&original, &copy, 0);

    let (_, out, _) = migrate(&["run", &spec, "--format", "json"]);
    let resumed: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(resumed["ended"], "finished", "{out}");
    let copy = fs::read_to_string(beside(&path, ".upcast-new")).unwrap();
    assert_eq!(copy.lines().count(), original.lines().count());
    assert_copy_is_a_prefix(&original, &copy, 0);

    let (_fresh_dir, _, fresh) = file(4);
    let (_, out, _) = migrate(&["run", &fresh, "--format", "json"]);
    let whole: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        resumed["progress"]["rewritten"], whole["progress"]["rewritten"],
        "each line rewritten once over the two runs, as by one run"
    );
}

/// A file of the dataset's first `count` lines with a blank line after the second, and
/// its store argument.
pub(super) fn head(count: usize) -> (tempfile::TempDir, std::path::PathBuf, String) {
    let (dir, path, spec) = file(1);
    let mut text = String::new();
    for (number, line) in events().lines().take(count).enumerate() {
        text.push_str(line);
        text.push('\n');
        if number == 1 {
            text.push('\n');
        }
    }
    fs::write(&path, text).unwrap();
    (dir, path, spec)
}

/// `now` holds exactly one line per line of `original`, each its correct migration.
pub(super) fn assert_migration_of(original: &str, now: &str, at: &str) {
    let envelope = Layout::envelope();
    let lines: Vec<&str> = now.lines().collect();
    assert_eq!(
        lines.len(),
        original.lines().count(),
        "{at}: one line per line of the original:\n{now}"
    );
    for (number, (before, after)) in original.lines().zip(lines).enumerate() {
        assert_eq!(
            after,
            migrated(&envelope, before),
            "{at}: line {}",
            number + 1
        );
    }
}

#[test]
fn every_stopping_point_gives_one_migrated_line_per_original_line() {
    for batch in ["1", "2"] {
        for limit in 0..=4 {
            let (_dir, path, spec) = head(6);
            let original = fs::read_to_string(&path).unwrap();
            let limit = limit.to_string();
            let at = format!("--batch {batch} --limit {limit}");
            // A run stopped by its limit, one stopped before it read anything, one to the end.
            for extra in [&["--limit", limit.as_str()][..], &["--limit", "0"], &[]] {
                let args = [&["run", spec.as_str(), "--batch", batch][..], extra].concat();
                let (code, out, err) = migrate(&args);
                assert!(code <= 1, "{at}: {args:?}: {out}{err}");
            }
            let (code, out, err) = migrate(&["finalize", &spec]);
            assert_eq!(code, 0, "{at}: {out}{err}");
            assert_migration_of(&original, &fs::read_to_string(&path).unwrap(), &at);
        }
    }
}

#[test]
fn kill_nine_at_random_points_then_a_run_to_the_end_gives_every_line_once() {
    let mut dice = Dice::new(0x5eed_0011);
    for kill in 0..12 {
        let (_dir, path, spec) = file(1);
        let original = fs::read_to_string(&path).unwrap();
        let batch = dice.roll(1, 300).to_string();
        let mut child = spawn(&["run", spec.as_str(), "--batch", &batch]);
        thread::sleep(Duration::from_millis(dice.roll(1, 150)));
        let _ = child.kill();
        let _ = child.wait();
        let at = format!("kill {kill}, --batch {batch}");
        let (code, out, err) = migrate(&["run", &spec]);
        assert_eq!(code, 1, "{at}: the junk customers: {out}{err}");
        let (_, out, _) = migrate(&["verify", &spec, "--format", "json"]);
        let verified: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(verified["verified"], 3649, "{at}: {out}");
        assert_eq!(
            verified["not_current"].as_array().map(Vec::len),
            Some(2),
            "{at}: {out}"
        );
        let (code, out, err) = migrate(&["finalize", &spec]);
        assert_eq!(code, 1, "{at}: {out}{err}");
        assert_migration_of(&original, &fs::read_to_string(&path).unwrap(), &at);
    }
}

#[test]
fn a_rollback_before_finalize_puts_nothing_back_and_says_what_it_dropped() {
    let (_dir, path, spec) = file(1);
    let original = fs::read_to_string(&path).unwrap();
    let (_, out, _) = migrate(&["run", &spec, "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rewritten = report["progress"]["rewritten"].as_u64().unwrap();
    assert!(rewritten > 0, "{out}");
    let (code, out, err) = migrate(&["rollback", &spec, "--format", "json"]);
    assert_eq!(code, 0, "{out}{err}");
    let rolled: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        rolled[1]["restored"], 0,
        "the original was never changed: {out}"
    );
    assert_eq!(
        rolled[1]["discarded"], rewritten,
        "the copy's rewrites: {out}"
    );
    assert_eq!(fs::read_to_string(&path).unwrap(), original);
    assert!(!beside(&path, ".upcast-new").exists());
}

#[test]
fn a_rollback_after_finalize_counts_the_records_it_put_back() {
    let (_dir, path, spec) = file(1);
    let original = fs::read_to_string(&path).unwrap();
    let (_, out, _) = migrate(&["run", &spec, "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let (code, out, err) = migrate(&["finalize", &spec]);
    assert_eq!(code, 1, "{out}{err}");
    let (code, out, err) = migrate(&["rollback", &spec, "--format", "json"]);
    assert_eq!(code, 0, "{out}{err}");
    let rolled: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        rolled[1]["restored"], report["progress"]["rewritten"],
        "{out}"
    );
    assert_eq!(rolled[1]["discarded"], 0, "{out}");
    assert_eq!(fs::read_to_string(&path).unwrap(), original);
}

#[test]
fn a_run_after_finalize_says_the_way_out_and_the_way_out_works() {
    for how in ["--delete-original", "rm"] {
        let (_dir, path, spec) = file(1);
        migrate(&["run", &spec]);
        let (code, out, err) = migrate(&["finalize", &spec]);
        assert_eq!(code, 1, "{out}{err}");
        let finalized = fs::read_to_string(&path).unwrap();
        let (code, _, err) = migrate(&["run", &spec]);
        assert_eq!(code, 2, "{err}");
        for way in ["finalize", "--delete-original", "rollback"] {
            assert!(err.contains(way), "names `{way}`: {err}");
        }
        match how {
            "rm" => fs::remove_file(beside(&path, ".upcast-original")).unwrap(),
            _ => assert_eq!(migrate(&["finalize", &spec, how]).0, 1),
        }
        let (code, out, err) = migrate(&["run", &spec, "--format", "json"]);
        assert_eq!(
            code, 1,
            "{how}: a new migration, the junk customers: {out}{err}"
        );
        let report: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(report["progress"]["rewritten"], 0, "{how}: {out}");
        let copy = fs::read_to_string(beside(&path, ".upcast-new")).unwrap();
        assert_eq!(copy, finalized, "{how}: every line current already");
        let (code, out, err) = migrate(&["finalize", &spec]);
        assert_eq!(code, 1, "{how}: {out}{err}");
    }
}
