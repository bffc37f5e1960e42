//! Store names are input: a PostgreSQL table of any name, up to the server's 63-byte limit
//! and past it, is migrated and rolled back without the engine touching anything but the
//! table and its own objects.

use std::collections::BTreeMap;

use upcast_demo::pg::Scratch;

use super::postgres::scratch;
use super::support::{events, migrate};

/// Rows 2..=100 of `customer` version 1 envelopes: what the report used.
fn customers() -> Vec<String> {
    events()
        .lines()
        .filter(|line| line.contains("\"kind\":\"customer\",\"version\":1,"))
        .take(99)
        .map(str::to_owned)
        .collect()
}

/// Creates `schema.name` (`id` primary key, `body jsonb`, `state text`) with rows 2..=100.
fn create(scratch: &mut Scratch, name: &str, bodies: &[String]) {
    let table = format!("{}.{}", scratch.schema, quoted(name));
    scratch
        .client
        .batch_execute(&format!(
            "CREATE TABLE {table} (id bigint PRIMARY KEY, body jsonb NOT NULL, state text)"
        ))
        .unwrap();
    let insert = format!(
        "INSERT INTO {table} SELECT n + 1, b::jsonb, 'kept ' || n FROM unnest($1::text[]) \
         WITH ORDINALITY AS l(b, n)"
    );
    scratch.client.execute(&insert, &[&bodies]).unwrap();
}

/// `id -> (body, state)` of the table, as text.
fn contents(scratch: &mut Scratch, name: &str) -> BTreeMap<i64, (String, String)> {
    let sql = format!(
        "SELECT id, body::text, state FROM {}.{} ORDER BY id",
        scratch.schema,
        quoted(name)
    );
    scratch
        .client
        .query(&sql, &[])
        .unwrap()
        .iter()
        .map(|row| (row.get(0), (row.get(1), row.get(2))))
        .collect()
}

/// The tables of the scratch schema.
fn tables(scratch: &mut Scratch) -> Vec<String> {
    let sql = "SELECT tablename::text FROM pg_tables WHERE schemaname = $1 ORDER BY 1";
    scratch
        .client
        .query(sql, &[&scratch.schema])
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect()
}

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Names of every length from 40 bytes (where the engine's own names begin to pass the
/// limit) to 63, of one- and two-byte characters, and of characters SQL must quote.
fn names() -> Vec<String> {
    let mut names: Vec<String> = (40..=63)
        .map(|len| format!("t{}", "a".repeat(len - 1)))
        .collect();
    names.push(format!("{}x", "é".repeat(31)));
    names.push("t".to_owned());
    names.push(format!("Mixed \"Case\" {}", "ü".repeat(24)));
    names
}

#[test]
fn a_table_of_any_name_keeps_every_row_through_run_and_rollback() {
    let bodies = customers();
    assert_eq!(bodies.len(), 99);
    for name in names() {
        assert!(name.len() <= 63, "{name}");
        let Some(mut scratch) = scratch("names") else {
            return;
        };
        create(&mut scratch, &name, &bodies);
        let before = contents(&mut scratch, &name);
        let store = scratch.store(&urlencoded(&name));
        let (code, out, err) = migrate(&["run", &store]);
        let after = contents(&mut scratch, &name);
        assert_eq!(
            after.len(),
            99,
            "`{name}` ({} bytes): {out}{err}",
            name.len()
        );
        assert_eq!(code, 0, "`{name}` ({} bytes): {out}{err}", name.len());
        for (id, (body, state)) in &after {
            assert_eq!(state, &before[id].1, "`{name}`: key {id}: the state column");
            assert!(
                body.contains("\"version\": 5"),
                "`{name}`: key {id}: {body}"
            );
        }
        let (code, out, err) = migrate(&["rollback", &store]);
        assert_eq!(code, 0, "`{name}`: {out}{err}");
        assert_eq!(
            contents(&mut scratch, &name),
            before,
            "`{name}`: rolled back"
        );
        assert_eq!(
            tables(&mut scratch),
            std::slice::from_ref(&name),
            "`{name}`: nothing left"
        );
    }
}

#[test]
fn a_name_past_the_limit_is_refused_before_anything_is_written() {
    let Some(mut scratch) = scratch("long") else {
        return;
    };
    let name = format!("t{}", "a".repeat(62));
    create(&mut scratch, &name, &customers());
    let before = contents(&mut scratch, &name);
    // The server cut the name it was given at 63 bytes: the 64-byte one names no table.
    let store = scratch.store(&format!("{name}b"));
    for command in ["plan", "run", "verify", "rollback", "finalize", "status"] {
        let (code, out, err) = migrate(&[command, &store]);
        assert_eq!(code, 2, "{command}: {out}{err}");
        assert!(err.contains("is not in"), "{command}: {err}");
    }
    assert_eq!(contents(&mut scratch, &name), before);
    assert_eq!(tables(&mut scratch), [name]);
}

#[test]
fn a_table_named_like_the_engines_own_is_refused() {
    let Some(mut scratch) = scratch("collide") else {
        return;
    };
    let bodies = customers();
    create(&mut scratch, "events", &bodies);
    // The user's own table, named as the engine would name its originals.
    create(&mut scratch, "events__upcast_failures", &bodies);
    let theirs = contents(&mut scratch, "events__upcast_failures");
    let (code, out, err) = migrate(&["run", &scratch.store("events")]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("events__upcast_failures"), "{err}");
    assert_eq!(contents(&mut scratch, "events__upcast_failures"), theirs);
}

/// A table name as the store URL's query takes it.
fn urlencoded(name: &str) -> String {
    let mut encoded = String::new();
    for byte in name.bytes() {
        match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b'.' | b'-' => {
                encoded.push(byte as char)
            }
            _ => encoded.push_str(&format!("%{byte:02X}")),
        }
    }
    encoded
}
