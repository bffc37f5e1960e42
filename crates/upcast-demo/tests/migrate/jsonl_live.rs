//! JSON Lines: `finalize` and `rollback` beside a live appender, a real process writing
//! lines to the file while they swap it.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::Duration;

use super::jsonl::{beside, file};
use super::support::migrate;

/// A shell appending `count` numbered lines to `path`, opening it for each line (as
/// `echo >> FILE` does), and pausing `pause` seconds after every `burst` of them.
fn appender(path: &Path, count: u32, burst: u32, pause: &str) -> Child {
    let script = r#"i=0
while [ $i -lt $1 ]; do
  i=$((i+1))
  echo "{\"kind\":\"product\",\"version\":\"1.2.0\",\"data\":{\"sku\":\"L-$i\",\"title\":\"T\",\"price_cents\":1,\"tags\":[]}}" >> "$0"
  if [ $((i % $2)) -eq 0 ]; then sleep $3; fi
done"#;
    Command::new("sh")
        .args(["-c", script])
        .arg(path)
        .args([count.to_string(), burst.to_string(), pause.to_owned()])
        .stdin(Stdio::null())
        .spawn()
        .unwrap()
}

/// Waits until the file at `path` has grown past `length`: the appender is at work.
fn growing(path: &Path, length: u64) {
    while fs::metadata(path).map_or(0, |meta| meta.len()) <= length {
        thread::sleep(Duration::from_millis(1));
    }
}

/// How many times each appended line is in `text`, by number.
fn appended(text: &str) -> BTreeMap<u32, usize> {
    let mut seen = BTreeMap::new();
    for line in text.lines() {
        if let Some(rest) = line.split("\"sku\":\"L-").nth(1) {
            let number = rest.split('"').next().unwrap().parse().unwrap();
            *seen.entry(number).or_default() += 1;
        }
    }
    seen
}

/// Every one of the `count` appended lines is in `text`, once.
fn assert_each_once(text: &str, count: u32, at: &str) {
    let seen = appended(text);
    let missing: Vec<u32> = (1..=count).filter(|n| !seen.contains_key(n)).collect();
    let twice: Vec<u32> = seen
        .iter()
        .filter(|(_, c)| **c > 1)
        .map(|(n, _)| *n)
        .collect();
    assert!(
        missing.is_empty() && twice.is_empty(),
        "{at}: lost {} lines (first {:?}), repeated {} (first {:?})",
        missing.len(),
        missing.first(),
        twice.len(),
        twice.first()
    );
}

#[test]
fn a_rollback_after_finalize_loses_no_line_of_a_live_appender() {
    for round in 0..3 {
        let (_dir, path, spec) = file(4);
        let original = fs::read_to_string(&path).unwrap();
        migrate(&["run", &spec]);
        assert_eq!(migrate(&["finalize", &spec]).0, 1);
        let length = fs::metadata(&path).unwrap().len();
        let count = 20_000;
        let mut writer = appender(&path, count, 1000, "0.001");
        growing(&path, length);
        let (code, out, err) = migrate(&["rollback", &spec]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(writer.wait().unwrap().success());
        let now = fs::read_to_string(&path).unwrap();
        assert!(
            now.starts_with(&original),
            "round {round}: the original first"
        );
        assert_each_once(&now[original.len()..], count, &format!("round {round}"));
    }
}

#[test]
fn finalize_beside_a_live_appender_loses_no_line() {
    let (mut finalized, mut refused) = (0, 0);
    for round in 0..6 {
        let (_dir, path, spec) = file(4);
        migrate(&["run", &spec]);
        let count = 400;
        let mut writer = appender(&path, count, 4, "0.03");
        growing(&path, fs::metadata(&path).unwrap().len());
        for _ in 0..40 {
            migrate(&["run", &spec]);
            let (code, out, err) = migrate(&["finalize", &spec]);
            if code <= 1 {
                finalized += 1;
                break;
            }
            assert_eq!(code, 2, "{out}{err}");
            assert!(
                err.contains("run the migration again"),
                "says what to do: {err}"
            );
            refused += 1;
        }
        assert!(writer.wait().unwrap().success());
        let now = fs::read_to_string(&path).unwrap();
        assert_each_once(&now, count, &format!("round {round}: the live file"));
    }
    assert!(finalized > 0, "refused {refused} times, never finalized");
}

/// A shell that holds `path` open and appends one numbered line the moment the swap of a
/// finalize begins (the original gets its second name, `.upcast-original`): a writer that
/// appends during the swap, every time, with no race to win.
fn appender_during_the_swap(path: &Path) -> Child {
    let script = r#"exec 3>>"$0"
while [ ! -e "$0.upcast-original" ]; do sleep 0.01; done
echo "{\"kind\":\"product\",\"version\":\"1.2.0\",\"data\":{\"sku\":\"L-1\",\"title\":\"T\",\"price_cents\":1,\"tags\":[]}}" >&3
exec sleep 30"#;
    Command::new("sh")
        .args(["-c", script])
        .arg(path)
        .stdin(Stdio::null())
        .spawn()
        .unwrap()
}

#[test]
fn finalize_undoes_its_swap_when_a_writer_holding_the_file_appends_during_it() {
    let (_dir, path, spec) = file(1);
    migrate(&["run", &spec]);
    let mut writer = appender_during_the_swap(&path);
    let (code, out, err) = migrate(&["finalize", &spec]);
    let _ = writer.kill();
    let _ = writer.wait();
    assert_eq!(code, 2, "a writer holds the file and appends: {out}{err}");
    assert!(err.contains("the swap was undone"), "{err}");
    assert!(
        err.contains("run the migration again"),
        "says what to do: {err}"
    );
    assert!(!beside(&path, ".upcast-original").exists());
    migrate(&["run", &spec]);
    let (code, out, err) = migrate(&["finalize", &spec]);
    assert_eq!(code, 1, "the writer is gone: {out}{err}");
    let now = fs::read_to_string(&path).unwrap();
    assert_eq!(
        appended(&now).keys().max().copied(),
        Some(1),
        "its line is kept"
    );
    assert_each_once(&now, 1, "the live file");
}

#[test]
fn delete_original_is_refused_while_a_process_holds_the_kept_original_open() {
    let (_dir, path, spec) = file(1);
    migrate(&["run", &spec]);
    assert_eq!(migrate(&["finalize", &spec]).0, 1);
    let kept = beside(&path, ".upcast-original");
    let mut holder = Command::new("sh")
        .args(["-c", "exec 3>>\"$0\"; exec sleep 60"])
        .arg(&kept)
        .spawn()
        .unwrap();
    let descriptor = format!("/proc/{}/fd/3", holder.id());
    while fs::read_link(&descriptor).map_or(true, |target| target != kept) {
        thread::sleep(Duration::from_millis(5));
    }
    let (code, out, err) = migrate(&["finalize", &spec, "--delete-original"]);
    let _ = holder.kill();
    let _ = holder.wait();
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains(&format!("pid {}", holder.id())), "{err}");
    assert!(kept.exists(), "not deleted");
    let (code, out, err) = migrate(&["finalize", &spec, "--delete-original"]);
    assert_eq!(code, 1, "once the holder is gone: {out}{err}");
    assert!(!kept.exists());
}
