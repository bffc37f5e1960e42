//! SQLite's version column (the external layout) after a run and after a rollback: every
//! declared type, every storage class an old version can be held in.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension};

use super::support::migrate;

/// Declared types of the version column: none, each affinity, and BLOB (no affinity, as
/// none).
const DECLARED: [&str; 6] = ["", "INTEGER", "TEXT", "NUMERIC", "REAL", "BLOB"];

/// The bare data of a customer at version 1.
const CUSTOMER_V1: &str =
    r#"{"id":1,"name":"Ada Lovelace","mail":"a@b","city":"Leeds","country":"France"}"#;

/// The bare data of a product at version 1.0.0.
const PRODUCT_V1: &str = r#"{"sku":"SKU-00001","title":"Mug","price_cents":100}"#;

/// A kind, its data at an old version, that version as SQL literals of each storage
/// class, and the tag its current version writes.
struct Kind {
    name: &'static str,
    data: &'static str,
    old: &'static [&'static str],
    tag: &'static str,
}

const KINDS: [Kind; 2] = [
    Kind {
        name: "customer",
        data: CUSTOMER_V1,
        old: &["1", "'1'", "1.0", "x'31'", "'1.0.0'"],
        tag: "5",
    },
    Kind {
        name: "product",
        data: PRODUCT_V1,
        old: &["1", "'1.0.0'", "x'312e302e30'"],
        tag: "1.2.0",
    },
];

/// `(id, typeof(v), quote(v), body)` of every row, in key order: the exact values.
fn exact(conn: &Connection, table: &str) -> Vec<(i64, String, String, String)> {
    let mut select = conn
        .prepare(&format!(
            "SELECT id, typeof(v), quote(v), body FROM {table} ORDER BY id"
        ))
        .unwrap();
    let rows = select
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap();
    rows.collect::<Result<_, _>>().unwrap()
}

/// The storage class a column of `declared` type holds a value bound in `class`, as
/// SQLite's affinity rules have it for a number (`tag` is one): a blob stays a blob, a
/// column of a numeric or text affinity converts, one of none keeps the class.
fn class_after(declared: &str, class: &str, tag: &str) -> &'static str {
    let number = tag.parse::<i64>().is_ok();
    match (declared, class) {
        (_, "blob") => "blob",
        ("INTEGER" | "NUMERIC", _) if number => "integer",
        ("REAL", _) if number => "real",
        ("" | "BLOB", "integer") if number => "integer",
        ("" | "BLOB", "real") if number => "real",
        _ => "text",
    }
}

/// `quote()` of the tag held in `class`.
fn quoted(tag: &str, class: &str) -> String {
    match class {
        "integer" => tag.to_owned(),
        "real" => format!("{tag}.0"),
        "blob" => format!(
            "X'{}'",
            tag.bytes().map(|b| format!("{b:02X}")).collect::<String>()
        ),
        _ => format!("'{tag}'"),
    }
}

/// A table `name` with a version column `v` of type `declared`, a row for each old version
/// of `kind`.
fn create(conn: &Connection, name: &str, declared: &str, kind: &Kind) {
    conn.execute_batch(&format!(
        "CREATE TABLE {name} (id INTEGER PRIMARY KEY, body TEXT NOT NULL, v {declared})"
    ))
    .unwrap();
    for old in kind.old {
        conn.execute(
            &format!("INSERT INTO {name} (body, v) VALUES (?1, {old})"),
            [kind.data],
        )
        .unwrap();
    }
}

/// Runs the migration of `table`, then its rollback, and lists what is wrong: a version
/// written in another class than expected or not found by `WHERE v = ` its value, a
/// run or rollback that does not end cleanly, a value not put back exactly.
fn run_and_check(db: &Path, conn: &Connection, table: &str, kind: &Kind) -> Vec<String> {
    let declared: String = conn
        .query_row(
            "SELECT type FROM pragma_table_info(?1) WHERE name = 'v'",
            [table],
            |r| r.get(0),
        )
        .unwrap();
    let before = exact(conn, table);
    let store = format!("sqlite:{}?table={table}&version=v", db.display());
    let mut wrong = Vec::new();
    let (code, out, _) = migrate(&["run", &store, "--kind", kind.name]);
    if code != 0 {
        wrong.push(format!("{table} ({declared:?}): run exits {code}: {out}"));
    }
    for ((id, class, old, _), (_, now, value, _)) in before.iter().zip(exact(conn, table)) {
        let want = class_after(&declared, class, kind.tag);
        let expected = quoted(kind.tag, want);
        let found: Option<i64> = conn
            .query_row(
                &format!("SELECT id FROM {table} WHERE v = {expected} AND id = ?1"),
                [id],
                |r| r.get(0),
            )
            .optional()
            .unwrap();
        if (now.as_str(), &value, found) != (want, &expected, Some(*id)) {
            wrong.push(format!(
                "{table} ({declared:?}) id {id}: {old} ({class}) became {value} ({now}), \
                 expected {expected} ({want}); `WHERE v = {expected}` finds {found:?}"
            ));
        }
    }
    let (code, out, _) = migrate(&["verify", &store, "--kind", kind.name]);
    if code != 0 {
        wrong.push(format!(
            "{table} ({declared:?}): verify exits {code}: {out}"
        ));
    }
    let (code, out, _) = migrate(&["rollback", &store, "--kind", kind.name]);
    if code != 0 {
        wrong.push(format!(
            "{table} ({declared:?}): rollback exits {code}: {out}"
        ));
    }
    for (was, now) in before.iter().zip(exact(conn, table)) {
        if *was != now {
            wrong.push(format!(
                "{table} ({declared:?}): rolled back {now:?}, was {was:?}"
            ));
        }
    }
    wrong
}

#[test]
fn the_version_column_keeps_its_storage_class_and_rollback_its_exact_values() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    let conn = Connection::open(&db).unwrap();
    let mut wrong = Vec::new();
    for kind in &KINDS {
        for (n, declared) in DECLARED.iter().enumerate() {
            let table = format!("{}_{n}", kind.name);
            create(&conn, &table, declared, kind);
            wrong.extend(run_and_check(&db, &conn, &table, kind));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
