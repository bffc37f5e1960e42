//! One migration's saved originals are never overwritten by another's: a run toward
//! another target while an earlier migration's originals are kept is refused, and a
//! rollback then puts back the first originals, not a mix of two versions.

use std::sync::atomic::AtomicBool;

use rusqlite::Connection;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use upcast::{Layout, Registry};
use upcast_migrate::{Converter, Quiet, RunOptions, StoreSpec};

#[derive(Serialize, Deserialize, JsonSchema, upcast::Versioned)]
#[versioned(kind = "test.target", version = 1)]
struct NoteV1 {
    text: String,
}

#[derive(Serialize, Deserialize, JsonSchema, upcast::Versioned)]
#[versioned(kind = "test.target", version = 2)]
struct NoteV2 {
    text: String,
    pinned: bool,
}

#[derive(Serialize, Deserialize, JsonSchema, upcast::Versioned)]
#[versioned(kind = "test.target", version = 3)]
struct NoteV3 {
    text: String,
    pinned: bool,
    color: String,
}

#[upcast::register]
impl From<NoteV1> for NoteV2 {
    fn from(v1: NoteV1) -> Self {
        NoteV2 {
            text: v1.text,
            pinned: false,
        }
    }
}

#[upcast::register]
impl From<NoteV2> for NoteV3 {
    fn from(v2: NoteV2) -> Self {
        NoteV3 {
            text: v2.text,
            pinned: v2.pinned,
            color: "plain".into(),
        }
    }
}

/// The registry of a build whose newest note is version 2.
fn up_to_2() -> Registry {
    Registry::builder()
        .version::<NoteV1>()
        .version::<NoteV2>()
        .step::<NoteV1>()
        .build()
        .unwrap()
}

/// The registry of a later build, whose newest note is version 3.
fn up_to_3() -> Registry {
    Registry::builder()
        .version::<NoteV1>()
        .version::<NoteV2>()
        .version::<NoteV3>()
        .step::<NoteV1>()
        .step::<NoteV2>()
        .build()
        .unwrap()
}

const ORIGINALS: [&str; 3] = [
    r#"{"kind":"test.target","version":1,"data":{"text":"a"}}"#,
    r#"{"kind":"test.target","version":1,"data":{"text":"b"}}"#,
    r#"{"kind":"test.target","version":1,"data":{"text":"c"}}"#,
];

fn bodies(db: &std::path::Path) -> Vec<String> {
    let conn = Connection::open(db).unwrap();
    let mut select = conn.prepare("SELECT body FROM notes ORDER BY id").unwrap();
    let rows = select.query_map([], |row| row.get(0)).unwrap();
    rows.collect::<Result<_, _>>().unwrap()
}

#[test]
fn a_run_toward_another_target_is_refused_while_the_first_originals_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("notes.db");
    let conn = Connection::open(&db).unwrap();
    conn.execute_batch("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
        .unwrap();
    for body in ORIGINALS {
        conn.execute("INSERT INTO notes (body) VALUES (?1)", [body])
            .unwrap();
    }
    drop(conn);
    let spec = StoreSpec::parse(&format!("sqlite:{}?table=notes", db.display())).unwrap();
    let layout = Layout::envelope();
    let stop = AtomicBool::new(false);
    let options = RunOptions::default();
    let (first, second) = (up_to_2(), up_to_3());

    let mut store = spec.open().unwrap();
    let converter = Converter::new(&first, &layout);
    let report = upcast_migrate::run(&mut *store, &converter, &options, &stop, &mut Quiet).unwrap();
    assert_eq!(report.progress.rewritten, 3);
    assert!(
        bodies(&db)
            .iter()
            .all(|body| body.contains("\"version\":2"))
    );
    drop(store);

    let mut store = spec.open().unwrap();
    let converter = Converter::new(&second, &layout);
    let refused = upcast_migrate::run(&mut *store, &converter, &options, &stop, &mut Quiet);
    let error = refused
        .err()
        .map(|error| error.to_string())
        .unwrap_or_default();
    assert!(
        error.contains("`test.target` 2") && error.contains("finalize") && error.contains("roll"),
        "refused, saying why and what to do: {error:?}"
    );
    assert!(
        bodies(&db)
            .iter()
            .all(|body| body.contains("\"version\":2")),
        "untouched"
    );

    drop(store);
    let mut store = spec.open().unwrap();
    upcast_migrate::rollback(&mut *store).unwrap();
    assert_eq!(bodies(&db), ORIGINALS, "the first originals, byte for byte");
    drop(store);

    // Rolled back, the later build migrates from the originals.
    let mut store = spec.open().unwrap();
    let report = upcast_migrate::run(&mut *store, &converter, &options, &stop, &mut Quiet).unwrap();
    assert_eq!(report.progress.rewritten, 3);
    upcast_migrate::rollback(&mut *store).unwrap();
    assert_eq!(bodies(&db), ORIGINALS);
    drop(store);

    // Finalized, the first migration keeps no originals: the later build may go on.
    let mut store = spec.open().unwrap();
    let converter = Converter::new(&first, &layout);
    upcast_migrate::run(&mut *store, &converter, &options, &stop, &mut Quiet).unwrap();
    upcast_migrate::finalize(&mut *store, &converter, false).unwrap();
    let converter = Converter::new(&second, &layout);
    let report = upcast_migrate::run(&mut *store, &converter, &options, &stop, &mut Quiet).unwrap();
    assert_eq!(report.progress.rewritten, 3);
    assert!(
        bodies(&db)
            .iter()
            .all(|body| body.contains("\"version\":3"))
    );
}
