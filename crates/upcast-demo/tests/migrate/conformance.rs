//! One conformance suite for every store: each property is one generic function, run
//! against SQLite, PostgreSQL, MySQL / MariaDB and JSON Lines through the demo binary.
//!
//! A [`Fixture`] makes a fresh store of the demo's dataset, reads its records back, lists
//! the engine's objects beside it and writes as a live service would. Where a store
//! legitimately differs (JSON Lines is copied and transformed: its records are read from
//! the copy until `finalize` swaps the files, its service appends rather than updates, a
//! rollback after `finalize` puts the original back), the fixture says so; no property is
//! skipped for a store. PostgreSQL and MySQL are skipped, saying so, when no server answers,
//! unless `UPCAST_REQUIRE_POSTGRES=1` or `UPCAST_REQUIRE_MYSQL=1`.
//!
//! The dataset holds 5500 records: 3649 at an old version, 1849 current and two junk
//! customers whose countries no step knows (so a run and a verify exit 1).
//!
//! Where a property checks several things that are each worth knowing (what a refusal
//! says, what status says after `finalize`), it gathers what is wrong as [`Findings`] and
//! fails at its end with all of them. A check that failed on the engine when the suite was
//! written is marked `REGRESSION` with the defect it found.

use std::collections::BTreeMap;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use ::mysql::prelude::Queryable;
use rusqlite::Connection;
use tempfile::TempDir;
use upcast::Layout;
use upcast_demo::mysql as my;
use upcast_demo::pg;

use super::support::{Dice, events, migrate, migrated, spawn, sqlite};

/// Old records of the dataset: each is rewritten exactly once by a whole migration.
const OLD: u64 = 3649;
/// Records of the dataset.
const RECORDS: usize = 5500;
/// The longest any command or child may take; only a hang reaches it.
const HANG: Duration = Duration::from_secs(120);

/// A store of one kind, made fresh for one property and removed when dropped.
trait Fixture: Sized {
    /// The store's name in every message.
    const NAME: &'static str;
    /// Whether a second run shares the work of the first (else it is refused).
    const SHARED: bool;
    /// Whether bodies come back as they were written, byte for byte (else the store keeps
    /// them as JSON values, `jsonb` or MySQL's `json`, and they are compared as JSON).
    const EXACT: bool;
    /// Whether the store is copied and transformed (JSON Lines): its records are read from
    /// the copy until `finalize` puts it in place, and a rollback after `finalize` puts the
    /// original back instead of being refused.
    const COPY: bool;
    /// What of the engine's objects `finalize` keeps, by a part of their names: a table's
    /// progress (marked finalized), a file's kept original and its state.
    const KEPT_BY_FINALIZE: &'static [&'static str];

    /// A store holding the dataset, or `None` when its server is missing and not required.
    fn fresh() -> Option<Self>;
    /// The store's command-line argument.
    fn store(&self) -> String;
    /// Every record as a reader of the migrated store sees it: `(key, body)`, in key order.
    fn records(&mut self) -> Vec<(i64, String)>;
    /// The names of the engine's objects beside the store (tables, files).
    fn engine_objects(&mut self) -> Vec<String>;
    /// A connection of a live service.
    fn writer(&self) -> Box<dyn Writer>;
}

/// A live service writing records.
trait Writer: Send {
    /// Writes `body` as the service does: over record `key` where records are updated in
    /// place, as a new record where they are appended. Returns the key written.
    fn write(&mut self, key: i64, body: &str) -> i64;
}

// ---- SQLite ----

struct Sqlite {
    _dir: TempDir,
    db: PathBuf,
    spec: String,
}

impl Fixture for Sqlite {
    const NAME: &'static str = "SQLite";
    const SHARED: bool = false;
    const EXACT: bool = true;
    const COPY: bool = false;
    const KEPT_BY_FINALIZE: &'static [&'static str] = &["__upcast_progress"];

    fn fresh() -> Option<Self> {
        let (dir, db, spec) = sqlite(1);
        Some(Sqlite {
            _dir: dir,
            db,
            spec,
        })
    }

    fn store(&self) -> String {
        self.spec.clone()
    }

    /// Read with a busy timeout: a run may be committing a batch meanwhile.
    fn records(&mut self) -> Vec<(i64, String)> {
        let conn = Connection::open(&self.db).unwrap();
        conn.busy_timeout(HANG).unwrap();
        let mut select = conn
            .prepare("SELECT id, body FROM events ORDER BY id")
            .unwrap();
        let rows = select
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap();
        rows.collect::<Result<_, _>>().unwrap()
    }

    fn engine_objects(&mut self) -> Vec<String> {
        let conn = Connection::open(&self.db).unwrap();
        conn.busy_timeout(HANG).unwrap();
        let mut select = conn
            .prepare("SELECT name FROM sqlite_master ORDER BY name")
            .unwrap();
        let names: Vec<String> = select
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let mut objects: Vec<String> = names
            .into_iter()
            .filter(|name| name.contains("__upcast_"))
            .collect();
        objects.extend(files_beside(&self.db));
        objects
    }

    fn writer(&self) -> Box<dyn Writer> {
        let conn = Connection::open(&self.db).unwrap();
        conn.busy_timeout(HANG).unwrap();
        Box::new(SqliteWriter(conn))
    }
}

struct SqliteWriter(Connection);

impl Writer for SqliteWriter {
    fn write(&mut self, key: i64, body: &str) -> i64 {
        let update = "UPDATE events SET body = ?1 WHERE id = ?2";
        let changed = self
            .0
            .execute(update, rusqlite::params![body, key])
            .unwrap();
        assert_eq!(changed, 1, "SQLite: the service updates key {key}");
        key
    }
}

/// The engine's files beside `path` (`PATH.upcast-*`).
fn files_beside(path: &Path) -> Vec<String> {
    let prefix = format!("{}.upcast-", path.file_name().unwrap().to_string_lossy());
    let mut names: Vec<String> = fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(&prefix))
        .collect();
    names.sort();
    names
}

// ---- PostgreSQL ----

struct Postgres {
    scratch: pg::Scratch,
}

impl Fixture for Postgres {
    const NAME: &'static str = "PostgreSQL";
    const SHARED: bool = true;
    const EXACT: bool = false;
    const COPY: bool = false;
    const KEPT_BY_FINALIZE: &'static [&'static str] = &["__upcast_progress"];

    fn fresh() -> Option<Self> {
        let mut scratch = super::postgres::scratch("conformance")?;
        scratch.load("events", "jsonb", &events()).unwrap();
        Some(Postgres { scratch })
    }

    fn store(&self) -> String {
        self.scratch.store("events")
    }

    fn records(&mut self) -> Vec<(i64, String)> {
        let sql = format!(
            "SELECT id, body::text FROM {}.events ORDER BY id",
            self.scratch.schema
        );
        let rows = self.scratch.client.query(&sql, &[]).unwrap();
        rows.iter().map(|row| (row.get(0), row.get(1))).collect()
    }

    fn engine_objects(&mut self) -> Vec<String> {
        let sql = "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n \
                   ON n.oid = c.relnamespace WHERE n.nspname = $1 ORDER BY 1";
        let rows = self
            .scratch
            .client
            .query(sql, &[&self.scratch.schema])
            .unwrap();
        rows.iter()
            .map(|row| row.get::<_, String>(0))
            .filter(|name| name.contains("__upcast_"))
            .collect()
    }

    fn writer(&self) -> Box<dyn Writer> {
        let client = ::postgres::Client::connect(&pg::url(), ::postgres::NoTls).unwrap();
        let update = format!(
            "UPDATE {}.events SET body = $1::text::jsonb WHERE id = $2",
            self.scratch.schema
        );
        Box::new(PostgresWriter { client, update })
    }
}

struct PostgresWriter {
    client: ::postgres::Client,
    update: String,
}

impl Writer for PostgresWriter {
    fn write(&mut self, key: i64, body: &str) -> i64 {
        let changed = self.client.execute(&self.update, &[&body, &key]).unwrap();
        assert_eq!(changed, 1, "PostgreSQL: the service updates key {key}");
        key
    }
}

// ---- MySQL / MariaDB ----

struct Mysql {
    scratch: my::Scratch,
}

/// A scratch database, or `None` when no server answers and none is required (as
/// `mysql.rs` does).
fn mysql_scratch(purpose: &str) -> Option<my::Scratch> {
    match my::Scratch::new(purpose) {
        Ok(scratch) => Some(scratch),
        Err(error) if std::env::var("UPCAST_REQUIRE_MYSQL").as_deref() == Ok("1") => {
            panic!("MySQL is required (UPCAST_REQUIRE_MYSQL=1): {error}")
        }
        Err(error) => {
            eprintln!(
                "SKIPPED: no MySQL at {} ({error}). Start one or point UPCAST_MYSQL_URL at one.",
                my::url()
            );
            None
        }
    }
}

impl Fixture for Mysql {
    const NAME: &'static str = "MySQL";
    const SHARED: bool = true;
    const EXACT: bool = false;
    const COPY: bool = false;
    const KEPT_BY_FINALIZE: &'static [&'static str] = &["__upcast_progress"];

    fn fresh() -> Option<Self> {
        let mut scratch = mysql_scratch("conformance")?;
        scratch.load("events", "json", &events()).unwrap();
        Some(Mysql { scratch })
    }

    fn store(&self) -> String {
        self.scratch.store("events")
    }

    fn records(&mut self) -> Vec<(i64, String)> {
        let rows: Vec<(i64, Vec<u8>)> = self
            .scratch
            .conn
            .query("SELECT id, body FROM events ORDER BY id")
            .unwrap();
        rows.into_iter()
            .map(|(id, body)| (id, String::from_utf8(body).unwrap()))
            .collect()
    }

    fn engine_objects(&mut self) -> Vec<String> {
        let sql = "SELECT TABLE_NAME FROM information_schema.TABLES \
                   WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME";
        let names: Vec<String> = self.scratch.conn.query(sql).unwrap();
        names
            .into_iter()
            .filter(|name| name.contains("__upcast_"))
            .collect()
    }

    fn writer(&self) -> Box<dyn Writer> {
        let url = my::url();
        let (head, options) = match url.split_once('?') {
            Some((head, options)) => (head, format!("?{options}")),
            None => (url.as_str(), String::new()),
        };
        let base = head.rsplit_once('/').map_or(head, |(base, _)| base);
        let url = format!("{base}/{}{options}", self.scratch.database);
        let conn = ::mysql::Conn::new(::mysql::Opts::from_url(&url).unwrap()).unwrap();
        Box::new(MysqlWriter(conn))
    }
}

struct MysqlWriter(::mysql::Conn);

impl Writer for MysqlWriter {
    fn write(&mut self, key: i64, body: &str) -> i64 {
        self.0
            .exec_drop("UPDATE events SET body = ? WHERE id = ?", (body, key))
            .unwrap();
        key
    }
}

// ---- JSON Lines ----

struct Jsonl {
    _dir: TempDir,
    path: PathBuf,
}

impl Jsonl {
    fn beside(&self, suffix: &str) -> PathBuf {
        let mut name = self.path.as_os_str().to_owned();
        name.push(suffix);
        name.into()
    }
}

impl Fixture for Jsonl {
    const NAME: &'static str = "JSON Lines";
    const SHARED: bool = false;
    const EXACT: bool = true;
    const COPY: bool = true;
    const KEPT_BY_FINALIZE: &'static [&'static str] = &[".upcast-original", ".upcast-state"];

    fn fresh() -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.jsonl");
        fs::write(&path, events()).unwrap();
        Some(Jsonl { _dir: dir, path })
    }

    fn store(&self) -> String {
        format!("jsonl:{}", self.path.display())
    }

    /// The copy while there is one (the migration's result until `finalize` puts it in
    /// place), else the file; a record's key is its line number.
    fn records(&mut self) -> Vec<(i64, String)> {
        let copy = self.beside(".upcast-new");
        let text = fs::read_to_string(&copy)
            .or_else(|_| fs::read_to_string(&self.path))
            .unwrap();
        text.lines()
            .zip(1..)
            .map(|(line, key)| (key, line.to_owned()))
            .collect()
    }

    fn engine_objects(&mut self) -> Vec<String> {
        files_beside(&self.path)
    }

    fn writer(&self) -> Box<dyn Writer> {
        let lines = fs::read_to_string(&self.path).unwrap().lines().count();
        Box::new(JsonlWriter {
            path: self.path.clone(),
            lines: lines as i64,
        })
    }
}

struct JsonlWriter {
    path: PathBuf,
    lines: i64,
}

impl Writer for JsonlWriter {
    /// Appends `body` as a new line, in one write: a file's service never rewrites a line.
    fn write(&mut self, _key: i64, body: &str) -> i64 {
        let mut file = fs::OpenOptions::new()
            .append(true)
            .open(&self.path)
            .unwrap();
        file.write_all(format!("{body}\n").as_bytes()).unwrap();
        self.lines += 1;
        self.lines
    }
}

// ---- helpers ----

/// A JSON report, or a failure naming the store and what was printed.
fn report(store: &str, out: &str, err: &str) -> serde_json::Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("{store}: not JSON ({e}): {out}{err}"))
}

/// Whether `a` and `b` are the same body as the store `F` keeps it.
fn same<F: Fixture>(a: &str, b: &str) -> bool {
    if F::EXACT {
        return a == b;
    }
    let parse = |text: &str| serde_json::from_str::<serde_json::Value>(text).ok();
    match (parse(a), parse(b)) {
        (Some(a), Some(b)) => a == b,
        _ => a == b,
    }
}

/// The dataset's lines by key (1, 2, ...), read once.
fn dataset() -> &'static BTreeMap<i64, String> {
    static LINES: OnceLock<BTreeMap<i64, String>> = OnceLock::new();
    LINES.get_or_init(|| {
        events()
            .lines()
            .filter(|line| !line.trim().is_empty())
            .zip(1..)
            .map(|(line, key)| (key, line.to_owned()))
            .collect()
    })
}

/// What a correct migration makes of each record of the dataset, by key, computed once.
fn expected() -> &'static BTreeMap<i64, String> {
    static MIGRATED: OnceLock<BTreeMap<i64, String>> = OnceLock::new();
    MIGRATED.get_or_init(|| {
        let envelope = Layout::envelope();
        dataset()
            .iter()
            .map(|(key, line)| (*key, migrated(&envelope, line)))
            .collect()
    })
}

/// A fresh store of `F` whose records are the dataset's, and those records as it reads
/// them back (its own bytes: the originals a rollback must give back).
fn fresh<F: Fixture>() -> Option<(F, Vec<(i64, String)>)> {
    let mut fixture = F::fresh()?;
    let before = fixture.records();
    let lines = dataset();
    assert_eq!(before.len(), RECORDS, "{}: the dataset is loaded", F::NAME);
    for (key, body) in &before {
        assert!(
            same::<F>(body, &lines[key]),
            "{}: key {key} loaded as it is in the dataset: {body}",
            F::NAME
        );
    }
    Some((fixture, before))
}

/// Every record is the correct migration of its original, exactly once: one record per
/// key of the dataset, each `migrated(original)`.
fn assert_all_migrated<F: Fixture>(fixture: &mut F, at: &str) {
    let expected = expected();
    let now = fixture.records();
    let keys: Vec<i64> = now.iter().map(|(key, _)| *key).collect();
    let all: Vec<i64> = expected.keys().copied().collect();
    assert!(keys == all, "{at}: one record per key of the dataset");
    for (key, body) in now {
        let want = &expected[&key];
        assert!(
            same::<F>(&body, want),
            "{at}: key {key} is not the migration of its original:\n  is   {body}\n  want {want}"
        );
    }
}

/// A rollback gave every original back: the bytes the store held before the migration.
fn assert_originals<F: Fixture>(fixture: &mut F, before: &[(i64, String)], at: &str) {
    let now = fixture.records();
    assert_eq!(now.len(), before.len(), "{at}: no record lost or added");
    for ((key, was), (now_key, body)) in before.iter().zip(&now) {
        assert_eq!(key, now_key, "{at}: the same keys");
        assert!(
            body == was,
            "{at}: key {key} is not its original, byte for byte:\n  is   {body}\n  was  {was}"
        );
    }
}

/// The engine's objects left beside the store are only those `allowed` (a part of their
/// names: `__upcast_rolled_back` also allows its index, `events__upcast_rolled_back_pkey`).
fn assert_objects<F: Fixture>(fixture: &mut F, allowed: &[&str], at: &str) {
    let left: Vec<String> = fixture
        .engine_objects()
        .into_iter()
        .filter(|name| !allowed.iter().any(|end| name.contains(end)))
        .collect();
    assert!(left.is_empty(), "{at}: the engine's objects left: {left:?}");
}

/// `verify --format json` after a whole migration: exit 1 (the junk), every rewrite of
/// the old records equal to its original's upcast, nothing changed, nothing mismatched.
fn assert_verified<F: Fixture>(store: &str, verified: u64, at: &str) {
    let (code, out, err) = migrate(&["verify", store, "--format", "json"]);
    let report = report(at, &out, &err);
    assert_eq!(code, 1, "{at}: verify: the two junk customers: {out}{err}");
    assert_eq!(report["verified"], verified, "{at}: verify: {out}");
    assert_eq!(report["records"], RECORDS, "{at}: verify: {out}");
    assert_eq!(report["changed"], 0, "{at}: verify: {out}");
    assert_eq!(report["finished"], true, "{at}: verify: {out}");
    assert_eq!(
        report["mismatched"].as_array().map(Vec::len),
        Some(0),
        "{at}: verify: {out}"
    );
    assert_eq!(
        report["not_current"].as_array().map(Vec::len),
        Some(2),
        "{at}: verify: only the junk is not current: {out}"
    );
}

/// `status --format json`: exit code and report.
fn status(store: &str, at: &str) -> (i32, serde_json::Value) {
    let (code, out, err) = migrate(&["status", store, "--format", "json"]);
    (code, report(at, &out, &err))
}

/// Whether the migration of `store` has finished.
fn finished(store: &str) -> bool {
    let (_, out, _) = migrate(&["status", store, "--format", "json"]);
    serde_json::from_str::<serde_json::Value>(&out)
        .is_ok_and(|status| !status["progress"]["finished_at"].is_null())
}

/// A child process, killed and reaped when dropped, so a failing test never leaves a run
/// holding its store.
struct Guarded(Child);

impl Drop for Guarded {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Guarded {
    /// Waits for the child to end (failing after [`HANG`]): exit code, stdout, stderr.
    fn end(&mut self, what: &str) -> (i32, String, String) {
        let start = Instant::now();
        let status = loop {
            if let Some(status) = self.0.try_wait().unwrap() {
                break status;
            }
            assert!(
                start.elapsed() < HANG,
                "{what}: still running after {HANG:?}"
            );
            thread::sleep(Duration::from_millis(10));
        };
        let mut out = String::new();
        let mut err = String::new();
        if let Some(mut stdout) = self.0.stdout.take() {
            stdout.read_to_string(&mut out).unwrap();
        }
        if let Some(mut stderr) = self.0.stderr.take() {
            stderr.read_to_string(&mut err).unwrap();
        }
        (status.code().unwrap_or(-1), out, err)
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.0.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill -{name}");
    }
}

/// Waits until `ready`; fails after [`HANG`], which only a hang takes.
fn until(what: &str, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < HANG, "never {what}");
        thread::sleep(Duration::from_millis(20));
    }
}

/// What a property found wrong beyond its first hard failure, reported all at once at its
/// end, so that one wrong message does not hide the rest of the property.
struct Findings {
    store: &'static str,
    found: Vec<String>,
}

impl Findings {
    fn new<F: Fixture>() -> Self {
        Findings {
            store: F::NAME,
            found: Vec::new(),
        }
    }

    fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        if !ok {
            self.found.push(what());
        }
    }

    fn assert_none(self) {
        assert!(
            self.found.is_empty(),
            "{}: {} finding(s):\n- {}",
            self.store,
            self.found.len(),
            self.found.join("\n- ")
        );
    }
}

// ---- the properties ----

/// 1. `run`, `verify`, `rollback`: every record migrated, 3649 verified, every original
///    back byte for byte, the engine's objects gone.
fn run_verify_rollback<F: Fixture>() {
    let Some((mut fixture, before)) = fresh::<F>() else {
        return;
    };
    let at = F::NAME;
    let store = fixture.store();
    let (code, out, err) = migrate(&["run", &store, "--format", "json"]);
    assert_eq!(
        code, 1,
        "{at}: run: the two junk customers fail: {out}{err}"
    );
    let run = report(at, &out, &err);
    assert_eq!(run["ended"], "finished", "{at}: run: {out}");
    assert_eq!(run["progress"]["rewritten"], OLD, "{at}: run: {out}");
    assert_eq!(run["progress"]["failed"], 2, "{at}: run: {out}");
    assert_all_migrated(&mut fixture, &format!("{at}: after run"));
    assert_verified::<F>(&store, OLD, at);
    rolled_back(&mut fixture, &before, "after the run");
}

/// 2. Every stopping point: `run --limit N` rewrites exactly N more (N = 0, 1, 2, 7, each
///    resuming where the last stopped), in the report and in the store; then a run to the
///    end rewrites every old record exactly once.
fn every_stopping_point<F: Fixture>() {
    let Some((mut fixture, before)) = fresh::<F>() else {
        return;
    };
    let store = fixture.store();
    let before: BTreeMap<i64, String> = before.into_iter().collect();
    let mut total = 0;
    for limit in [0u64, 1, 2, 7] {
        let at = format!("{}: --limit {limit} after {total}", F::NAME);
        let text = limit.to_string();
        let (code, out, err) = migrate(&["run", &store, "--limit", &text, "--format", "json"]);
        let run = report(&at, &out, &err);
        assert_eq!(code, 1, "{at}: stopped by its limit: {out}{err}");
        assert_eq!(run["ended"], "limit", "{at}: {out}");
        total += limit;
        assert_eq!(
            run["progress"]["rewritten"], total,
            "{at}: exactly {limit} more rewritten: {out}"
        );
        let changed = fixture
            .records()
            .iter()
            .filter(|(key, body)| !same::<F>(body, &before[key]))
            .count() as u64;
        assert_eq!(changed, total, "{at}: records rewritten in the store");
    }
    let at = format!("{}: a run to the end after {total}", F::NAME);
    let (code, out, err) = migrate(&["run", &store, "--format", "json"]);
    let run = report(&at, &out, &err);
    assert_eq!(code, 1, "{at}: the two junk customers fail: {out}{err}");
    assert_eq!(run["ended"], "finished", "{at}: {out}");
    assert_eq!(
        run["progress"]["rewritten"], OLD,
        "{at}: every old record rewritten once: {out}"
    );
    assert_all_migrated(&mut fixture, &at);
    assert_verified::<F>(&store, OLD, &at);
}

/// 3. `kill -9`: runs of small batches killed at random moments, then a run to the end:
///    every record once and migrated, verify passes, rollback gives every original back.
fn kill_nine<F: Fixture>() {
    let Some((mut fixture, before)) = fresh::<F>() else {
        return;
    };
    let store = fixture.store();
    let mut dice = Dice::new(0x5eed_c0f0);
    let mut landed = 0;
    for round in 0..4 {
        let mut child = Guarded(spawn(&["run", &store, "--batch", "100"]));
        // The first kill comes early: a small JSON Lines store is migrated in well under a
        // second on an idle machine.
        let most = if round == 0 { 60 } else { 400 };
        thread::sleep(Duration::from_millis(dice.roll(5, most)));
        let running = child.0.try_wait().unwrap().is_none();
        let _ = child.0.kill(); // SIGKILL
        let (code, out, err) = child.end(&format!("{}: round {round}", F::NAME));
        if !running {
            // It finished the migration first: a run after it would begin another pass.
            assert_eq!(code, 1, "{}: round {round}: the junk: {out}{err}", F::NAME);
            break;
        }
        landed += 1;
    }
    let at = format!("{}: after {landed} kills mid-run", F::NAME);
    assert!(landed > 0, "{at}: no kill landed while a run went on");
    if !finished(&store) {
        let (code, out, err) = migrate(&["run", &store]);
        assert_eq!(code, 1, "{at}: the junk customers fail: {out}{err}");
    }
    let (_, status) = status(&store, &at);
    let progress = &status["progress"];
    assert_eq!(
        progress["rewritten"], OLD,
        "{at}: every old record rewritten once: {status}"
    );
    assert_eq!(progress["conflicts"], 0, "{at}: {status}");
    assert_all_migrated(&mut fixture, &at);
    assert_verified::<F>(&store, OLD, &at);
    rolled_back(&mut fixture, &before, &format!("after {landed} kills"));
}

/// A customer at version 1 as the service writes it: unique to write `n`, so that the
/// migration of an older write is told apart from that of the last.
fn service_body(key: i64, n: u64) -> String {
    format!(
        r#"{{"kind":"customer","version":1,"data":{{"id":{key},"name":"Writer{n} Smith","mail":"w{n}@example.com","city":"Leeds","country":"France"}}}}"#
    )
}

/// 4. A live writer: while `run` goes on, a service writes a changing set of records. Every
///    key it wrote holds its last write or that write's migration (never the migration of
///    an older body); every other record is migrated.
fn live_writer<F: Fixture>() {
    let Some((mut fixture, _)) = fresh::<F>() else {
        return;
    };
    let at = F::NAME;
    let store = fixture.store();
    let stop = Arc::new(AtomicBool::new(false));
    let last: Arc<Mutex<BTreeMap<i64, String>>> = Arc::default();
    let writer = {
        let (stop, last) = (Arc::clone(&stop), Arc::clone(&last));
        let mut service = fixture.writer();
        thread::spawn(move || {
            let mut dice = Dice::new(0x11fe_c0f0);
            let mut written = 0;
            while !stop.load(Ordering::Relaxed) || written < 50 {
                let key = dice.roll(1, RECORDS as u64 + 1) as i64;
                let body = service_body(key, written);
                let key = service.write(key, &body);
                last.lock().unwrap().insert(key, body);
                written += 1;
                thread::sleep(Duration::from_millis(2));
            }
            written
        })
    };
    let mut run = Guarded(spawn(&["run", &store, "--batch", "200"]));
    let (code, out, err) = run.end(&format!("{at}: the run beside the writer"));
    stop.store(true, Ordering::Relaxed);
    let written = writer.join().expect("the service writes");
    assert!(
        code == 0 || code == 1,
        "{at}: the run beside the writer ends (1: the junk, or the writer outlasted its \
         passes): {out}{err}"
    );
    // What the service wrote after the run's last pass, migrated by a run after it.
    let (code, out, err) = migrate(&["run", &store]);
    assert!(code <= 1, "{at}: the run after the writer: {out}{err}");
    let last = last.lock().unwrap();
    let envelope = Layout::envelope();
    let lines = dataset();
    let now: BTreeMap<i64, String> = fixture.records().into_iter().collect();
    for (key, body) in last.iter() {
        let stands = now
            .get(key)
            .unwrap_or_else(|| panic!("{at}: key {key} the service wrote is missing"));
        assert!(
            same::<F>(stands, body) || same::<F>(stands, &migrated(&envelope, body)),
            "{at}: key {key} lost the service's last write (of {written}):\n  is   {stands}\n  last {body}"
        );
    }
    for (key, body) in &now {
        if last.contains_key(key) {
            continue;
        }
        let want = expected()
            .get(key)
            .unwrap_or_else(|| panic!("{at}: key {key} neither the dataset's nor the service's"));
        assert!(
            same::<F>(body, want),
            "{at}: key {key} not migrated:\n  is   {body}\n  want {want}"
        );
    }
    assert_eq!(
        now.len(),
        lines.len() + last.keys().filter(|key| !lines.contains_key(key)).count(),
        "{at}: every record once"
    );
}

/// Whether a refusal says that a run is what is in progress.
fn says_a_run_is_in_progress(err: &str) -> bool {
    err.contains("a run") && err.contains("in progress")
}

/// 5. Runs exclude each other: while a slow run goes on, `rollback` and `finalize` are
///    refused saying what is in progress, and a second `run` shares the work or is
///    refused; the slow run stops on SIGTERM (exit 1) and a rollback then works. Where runs
///    share the work, a second run to the end ends with every record once, and the slow
///    run stopped after it leaves the migration finished.
fn runs_exclude_each_other<F: Fixture>() {
    let Some((mut fixture, before)) = fresh::<F>() else {
        return;
    };
    let at = F::NAME;
    let store = fixture.store();
    let mut findings = Findings::new::<F>();
    let mut slow = slow_run(&mut fixture, &before, "200");
    for command in ["rollback", "finalize"] {
        let (code, out, err) = migrate(&[command, &store]);
        assert_eq!(code, 2, "{at}: {command} during a run: {out}{err}");
        // REGRESSION (JSON Lines): its own lock said "another upcast process is migrating
        // it", not what is in progress; and `finalize` verified the copy before taking that
        // lock, so during a run it could report that rewrites "differ from the upcast of
        // their saved originals".
        findings.check(says_a_run_is_in_progress(&err), || {
            format!("`{command}` during a run does not say a run is in progress: {err}")
        });
    }
    // A second run that stops after a few rewrites, so that the slow one surely goes on.
    let mut second = Guarded(spawn(&[
        "run", &store, "--limit", "100", "--format", "json",
    ]));
    let (code, out, err) = second.end(&format!("{at}: the second run"));
    if F::SHARED {
        assert_eq!(code, 1, "{at}: the second run shares the work: {out}{err}");
        let run = report(at, &out, &err);
        assert_eq!(run["ended"], "limit", "{at}: the second run: {out}");
        assert_eq!(
            by_this_run(&run),
            100,
            "{at}: the second run rewrote its share while the slow one went on: {out}"
        );
    } else {
        assert_eq!(code, 2, "{at}: the second run is refused: {out}{err}");
        findings.check(says_a_run_is_in_progress(&err), || {
            format!("a second `run` does not say a run is in progress: {err}")
        });
    }
    assert!(
        slow.0.try_wait().unwrap().is_none(),
        "{at}: the slow run goes on beside the others"
    );
    slow.signal("TERM");
    let (code, out, err) = slow.end(&format!("{at}: the slow run after SIGTERM"));
    assert_eq!(code, 1, "{at}: the slow run stopped: {out}{err}");
    assert!(
        out.contains("Interrupted; resume with the same command."),
        "{at}: the slow run says it was interrupted: {out}"
    );
    assert!(!finished(&store), "{at}: the migration is not finished");
    rolled_back(&mut fixture, &before, "once the runs are gone");

    if F::SHARED {
        // A slow run between its batches (a long pause) while a second run does the rest
        // to the end; then the slow run is stopped.
        let at = format!("{at}: a run stopped after another finished the migration");
        let mut slow = slow_run(&mut fixture, &before, "5000");
        let mut second = Guarded(spawn(&["run", &store, "--format", "json"]));
        let (code, out, err) = second.end(&format!("{at}: the second run"));
        assert_eq!(code, 1, "{at}: the second run, to the end: {out}{err}");
        let run = report(&at, &out, &err);
        assert_eq!(run["ended"], "finished", "{at}: the second run: {out}");
        assert_eq!(
            run["progress"]["rewritten"], OLD,
            "{at}: the second run ends with every record once: {out}"
        );
        assert_all_migrated(&mut fixture, &at);
        slow.signal("TERM");
        let (code, out, err) = slow.end(&format!("{at}: the slow run after SIGTERM"));
        assert_eq!(code, 1, "{at}: the slow run stopped: {out}{err}");
        // REGRESSION (PostgreSQL, MySQL): the stopped run saved its own stale state over the
        // finished one (every run ended with `store.commit(&[], progress)`, saved as it
        // was): `finished_at` was lost, status said "in progress, pass 1" and `finalize`
        // refused "the migration has not finished".
        let (_, human, _) = migrate(&["status", &store]);
        findings.check(finished(&store), || {
            format!(
                "{at}: the slow run said {:?}; status then says: {}",
                out.lines().last().unwrap_or_default(),
                human.lines().next().unwrap_or_default()
            )
        });
    }
    findings.assert_none();
}

/// What a run's JSON report says it rewrote itself (its `rewritten`, by kind and version).
fn by_this_run(run: &serde_json::Value) -> u64 {
    let kinds = run["rewritten"].as_object().into_iter().flatten();
    kinds
        .flat_map(|(_, versions)| versions.as_object().into_iter().flatten())
        .map(|(_, count)| count.as_u64().unwrap_or(0))
        .sum()
}

/// Starts `run --batch 50 --pause PAUSE` and waits until it has rewritten a record.
fn slow_run<F: Fixture>(fixture: &mut F, before: &[(i64, String)], pause: &str) -> Guarded {
    let store = fixture.store();
    let slow = Guarded(spawn(&["run", &store, "--batch", "50", "--pause", pause]));
    until(
        &format!("{}: a record rewritten by the slow run", F::NAME),
        || {
            let now = fixture.records();
            before.iter().zip(&now).any(|(was, is)| was != is)
        },
    );
    slow
}

/// `rollback` gives every original back and leaves none of the engine's objects but the
/// rolled-back originals.
fn rolled_back<F: Fixture>(fixture: &mut F, before: &[(i64, String)], when: &str) {
    let at = format!("{}: rollback {when}", F::NAME);
    let (code, out, err) = migrate(&["rollback", &fixture.store()]);
    assert_eq!(code, 0, "{at}: {out}{err}");
    assert_originals(fixture, before, &at);
    assert_objects(fixture, &["__upcast_rolled_back"], &at);
}

/// 6. `finalize` after a finished run: it says what stays old, status and verify speak of
///    the finished migration, a second `finalize` changes nothing, a rollback after it is
///    refused (a table) or puts the original back (a file, whose original it kept).
fn finalize_after_a_finished_run<F: Fixture>() {
    let Some((mut fixture, before)) = fresh::<F>() else {
        return;
    };
    let at = F::NAME;
    let store = fixture.store();
    let mut findings = Findings::new::<F>();
    let (code, out, err) = migrate(&["finalize", &store]);
    assert_eq!(
        code, 2,
        "{at}: nothing to finalize before a run: {out}{err}"
    );
    let (code, out, err) = migrate(&["run", &store]);
    assert_eq!(code, 1, "{at}: run: the junk customers fail: {out}{err}");
    let (finished_code, finished_status) = status(&store, at);
    let (code, out, err) = migrate(&["finalize", &store]);
    assert_eq!(
        code, 1,
        "{at}: finalized, the two junk customers left at their old version: {out}{err}"
    );
    assert!(
        out.contains("Finalized") && out.contains("2 records could not be migrated"),
        "{at}: finalize says so, and what stays old: {out}"
    );
    assert_all_migrated(&mut fixture, &format!("{at}: after finalize"));
    assert_objects(
        &mut fixture,
        F::KEPT_BY_FINALIZE,
        &format!("{at}: after finalize"),
    );

    let (finalized_code, finalized_status) = status(&store, at);
    let (_, human, _) = migrate(&["status", &store]);
    assert!(finalized_code <= 1, "{at}: status after finalize: {human}");
    assert!(
        human.contains("finished at")
            && !human.contains("in progress")
            && !human.contains("no migration started"),
        "{at}: status after finalize speaks of the finished migration: {human}"
    );
    let progress = &finalized_status["progress"];
    assert_eq!(
        progress["finished_at"], finished_status["progress"]["finished_at"],
        "{at}: status after finalize: {finalized_status}"
    );
    // A file keeps its original beside the copy, so every rewrite is still verified; a
    // table's finalize drops the saved originals.
    let verified = if F::COPY { OLD } else { 0 };
    let at_verify = format!("{at}: verify after finalize");
    assert_verified::<F>(&store, verified, &at_verify);

    let finalized = fixture.records();
    let objects = fixture.engine_objects();
    let (code, out, err) = migrate(&["finalize", &store]);
    assert_eq!(
        code, 1,
        "{at}: a second finalize, the junk still old: {out}{err}"
    );
    assert!(
        fixture.records() == finalized,
        "{at}: a second finalize changes no record"
    );
    assert_eq!(
        fixture.engine_objects(),
        objects,
        "{at}: a second finalize changes none of the engine's objects"
    );
    let (again_code, again) = status(&store, at);
    assert_eq!(
        (again_code, &again),
        (finalized_code, &finalized_status),
        "{at}: a second finalize changes nothing of the status"
    );

    // REGRESSION (tables): finalize dropped the units and failures, and status summed the
    // counts from them: "done 0, current 0, left 0, failed 0" after a migration that
    // rewrote 3649, exiting 0 though the junk was still not current. REGRESSION (JSON
    // Lines): `finalized_at` stayed null in status.
    for field in ["rewritten", "current", "failed", "conflicts"] {
        findings.check(
            progress[field] == finished_status["progress"][field],
            || {
                format!(
                    "status after finalize says {field} {} where the finished migration said {}",
                    progress[field], finished_status["progress"][field]
                )
            },
        );
    }
    findings.check(!progress["finalized_at"].is_null(), || {
        format!("status after finalize has no `finalized_at`: {progress}")
    });
    findings.check(finalized_code == finished_code, || {
        format!(
            "status exits {finalized_code} after finalize, {finished_code} before (the junk is \
             still not current)"
        )
    });

    let (code, out, err) = migrate(&["rollback", &store]);
    if F::COPY {
        assert_eq!(
            code, 0,
            "{at}: a file's rollback after finalize: {out}{err}"
        );
        assert_originals(
            &mut fixture,
            &before,
            &format!("{at}: rollback after finalize"),
        );
        assert_objects(&mut fixture, &[], &format!("{at}: rollback after finalize"));
    } else {
        assert_eq!(
            code, 2,
            "{at}: a rollback after finalize is refused: {out}{err}"
        );
        assert!(
            err.contains("was finalized"),
            "{at}: the refusal says why: {err}"
        );
        assert!(
            fixture.records() == finalized,
            "{at}: the refused rollback changes no record"
        );
    }
    findings.assert_none();
}

/// A test per store and property.
macro_rules! conformance {
    ($($store:ident: $fixture:ty;)*) => {$(
        mod $store {
            use super::*;

            #[test]
            fn run_verify_rollback() {
                super::run_verify_rollback::<$fixture>();
            }

            #[test]
            fn every_stopping_point() {
                super::every_stopping_point::<$fixture>();
            }

            #[test]
            fn kill_nine() {
                super::kill_nine::<$fixture>();
            }

            #[test]
            fn live_writer() {
                super::live_writer::<$fixture>();
            }

            #[test]
            fn runs_exclude_each_other() {
                super::runs_exclude_each_other::<$fixture>();
            }

            #[test]
            fn finalize_after_a_finished_run() {
                super::finalize_after_a_finished_run::<$fixture>();
            }
        }
    )*};
}

conformance! {
    sqlite: Sqlite;
    postgres: Postgres;
    mysql: Mysql;
    jsonl: Jsonl;
}
