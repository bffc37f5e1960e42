//! Tables the engine must refuse before anything runs, or handle whatever their declared
//! types: a key that is not unique, a version column of no declared type, and commands
//! that only read must leave the database as they found it.

use rusqlite::Connection;

use super::support::{events, migrate};

/// A database holding `schema` and the first `count` envelopes of the dataset as `events`.
fn database(schema: &str, count: usize, key: impl Fn(usize) -> i64) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    let conn = Connection::open(&db).unwrap();
    conn.execute_batch(schema).unwrap();
    let mut insert = conn
        .prepare("INSERT INTO events (id, body) VALUES (?1, ?2)")
        .unwrap();
    for (index, body) in events().lines().take(count).enumerate() {
        insert.execute((key(index), body)).unwrap();
    }
    (dir, db.display().to_string())
}

fn tables(db: &str) -> Vec<String> {
    let conn = Connection::open(db).unwrap();
    let mut names = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap();
    names
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn bodies(db: &str) -> Vec<(i64, String)> {
    let conn = Connection::open(db).unwrap();
    let mut rows = conn
        .prepare("SELECT id, body FROM events ORDER BY rowid")
        .unwrap();
    rows.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn a_key_that_is_not_unique_is_refused_before_anything_runs() {
    // Two rows share each key: one compare-and-swap would rewrite both, saving one original.
    let schema = "CREATE TABLE events (id INTEGER, body TEXT);
                  CREATE UNIQUE INDEX some_ids ON events (id) WHERE id > 100;";
    let (_dir, db) = database(schema, 40, |index| (index / 2) as i64);
    let before = bodies(&db);
    let spec = format!("sqlite:{db}?table=events");
    for command in ["run", "plan", "rollback"] {
        let (code, _, err) = migrate(&[command, &spec]);
        assert_eq!(code, 2, "{command}: {err}");
        assert!(err.contains("key column `id` is not unique"), "{err}");
    }
    assert_eq!(bodies(&db), before, "nothing rewritten");
    assert_eq!(tables(&db), ["events"], "nothing created");
}

#[test]
fn a_unique_index_makes_a_key() {
    let schema = "CREATE TABLE events (id INTEGER, body TEXT);
                  CREATE UNIQUE INDEX ids ON events (id);";
    let (_dir, db) = database(schema, 40, |index| index as i64 * 3);
    let (code, out, err) = migrate(&["run", &format!("sqlite:{db}?table=events")]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(!out.contains("rewritten 0,"), "{out}");
}

#[test]
fn a_version_column_of_no_declared_type_migrates_and_rolls_back() {
    // SQLite keeps integers as integers in a column with no type; the version is read as
    // text, and the compare-and-swap must still recognise the row it read.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    let conn = Connection::open(&db).unwrap();
    conn.execute_batch(
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT, v);
         INSERT INTO notes VALUES (1, '{\"id\":1,\"name\":\"Ada Lovelace\",\"mail\":\"a@b\",\"city\":\"Leeds\",\"country\":\"France\"}', 1);
         INSERT INTO notes VALUES (2, '{\"id\":\"cus_2\",\"name\":{\"first\":\"G\",\"last\":\"H\"},\"email\":\"g@h\",\"address\":{\"city\":\"c\",\"country\":\"FR\"}}', 5);",
    )
    .unwrap();
    let before: String = conn
        .query_row("SELECT body FROM notes WHERE id = 1", [], |r| r.get(0))
        .unwrap();
    let spec = format!("sqlite:{}?table=notes&version=v", db.display());
    let (code, out, err) = migrate(&["run", &spec, "--kind", "customer"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("rewritten 1,") && out.contains("changed while migrating 0"),
        "{out}"
    );
    assert!(!out.contains("old writer"), "no writer ran: {out}");
    let (code, out, _) = migrate(&["verify", &spec, "--kind", "customer"]);
    assert_eq!(code, 0, "{out}");
    let (code, out, _) = migrate(&["rollback", &spec, "--kind", "customer"]);
    assert_eq!(code, 0, "{out}");
    let (body, version): (String, rusqlite::types::Value) = conn
        .query_row("SELECT body, v FROM notes WHERE id = 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(
        (body, version),
        (before, rusqlite::types::Value::Integer(1)),
        "byte for byte, the version an integer again"
    );
}

#[test]
fn plan_status_and_verify_create_nothing() {
    let schema = "CREATE TABLE events (id INTEGER PRIMARY KEY, body TEXT);";
    let (_dir, db) = database(schema, 40, |index| index as i64 + 1);
    let spec = format!("sqlite:{db}?table=events");
    for command in ["plan", "status", "verify"] {
        let (code, _, err) = migrate(&[command, &spec]);
        assert!(code < 2, "{command}: {err}");
        assert_eq!(tables(&db), ["events"], "{command} created nothing");
    }
}
