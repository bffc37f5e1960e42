//! The backfill (`migrate run OLD --into NEW`) of the dataset in PostgreSQL, by the demo
//! binary as a child process: killed at random it goes on where it stopped, it keeps to
//! `--max-rate` and `--pause`, and `migrate compare` finds what differs.

use std::thread;
use std::time::Duration;

use upcast_demo::customer::Customer;
use upcast_demo::pg::Scratch;

use super::postgres::scratch;
use super::support::{Dice, events, migrate, spawn};

/// Creates an empty table of records in the scratch schema.
fn table(scratch: &mut Scratch, name: &str) {
    let sql = format!(
        "CREATE TABLE {}.{name} (id bigint PRIMARY KEY, body jsonb NOT NULL)",
        scratch.schema
    );
    scratch.client.batch_execute(&sql).unwrap();
}

fn count(scratch: &mut Scratch, name: &str) -> i64 {
    let sql = format!("SELECT count(*) FROM {}.{name}", scratch.schema);
    scratch.client.query_one(&sql, &[]).unwrap().get(0)
}

/// The first name of the customer stored under `key` in `name`.
fn first_name(scratch: &mut Scratch, name: &str, key: i64) -> String {
    let sql = format!(
        "SELECT body::text FROM {}.{name} WHERE id = $1",
        scratch.schema
    );
    let body: String = scratch.client.query_one(&sql, &[&key]).unwrap().get(0);
    let customer: Customer = upcast::from_slice(body.as_bytes()).unwrap();
    customer.name.first
}

#[test]
fn the_backfill_survives_kills_and_compare_finds_what_differs() {
    let Some(mut scratch) = scratch("backfill") else {
        return;
    };
    scratch.load("old", "jsonb", &events().repeat(2)).unwrap();
    table(&mut scratch, "new");
    let (old, new) = (scratch.store("old"), scratch.store("new"));
    // What a dual writer wrote to the new store before the backfill: newer, kept.
    let mut ada = Customer::sample(1);
    ada.name.first = "Ada".to_owned();
    let written_twice = String::from_utf8(upcast::to_vec(&ada).unwrap()).unwrap();
    let insert = format!(
        "INSERT INTO {}.new (id, body) VALUES (1, $1::text::jsonb)",
        scratch.schema
    );
    scratch.client.execute(&insert, &[&written_twice]).unwrap();
    let mut dice = Dice::new(0x5eed_0012);
    for _ in 0..3 {
        let mut child = spawn(&["run", old.as_str(), "--into", new.as_str()]);
        thread::sleep(Duration::from_millis(dice.roll(20, 150)));
        let _ = child.kill();
        let _ = child.wait();
    }
    let (code, out, err) = migrate(&["run", &old, "--into", &new, "--format", "json"]);
    assert_eq!(code, 1, "the junk customers are not copied: {out}{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["failed"], 4, "{out}");
    assert_eq!(report["finished"], true, "{out}");
    assert_eq!(count(&mut scratch, "new"), 11_000 - 4, "each record once");
    assert_eq!(
        first_name(&mut scratch, "new", 1),
        "Ada",
        "what the dual writer wrote is newer: kept"
    );
    let (code, out, _) = migrate(&["compare", &old, &new, "--format", "json"]);
    let found: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(code, 1, "{out}");
    assert_eq!(found["both"], 11_000 - 4, "{out}");
    assert_eq!(found["equal"], 11_000 - 4 - 1, "{out}");
    assert_eq!(found["only_old_count"], 4, "the unreadable junk: {out}");
    assert_eq!(found["differ"][0]["key"], 1, "{out}");
    let delete = format!("DELETE FROM {}.old WHERE id = 2", scratch.schema);
    scratch.client.batch_execute(&delete).unwrap();
    let (_, out, _) = migrate(&["compare", &old, &new]);
    assert!(
        out.contains("1 only in the new") && out.contains("key 2:"),
        "{out}"
    );
}

#[test]
fn the_backfill_keeps_to_max_rate_and_pause() {
    let Some(mut scratch) = scratch("backfill_rate") else {
        return;
    };
    let lines: String = events()
        .lines()
        .take(1500)
        .map(|line| format!("{line}\n"))
        .collect();
    scratch.load("old", "jsonb", &lines).unwrap();
    table(&mut scratch, "new");
    let (old, new) = (scratch.store("old"), scratch.store("new"));
    // 1,500 records at 1,000 a second cannot take less than 1.5 s: a lower bound, which a
    // slow machine only makes longer.
    let start = std::time::Instant::now();
    let (code, out, err) = migrate(&["run", &old, "--into", &new, "--max-rate", "1000"]);
    assert!(code <= 1, "{out}{err}");
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(1500),
        "--max-rate 1000 took {took:?}"
    );
    assert!(count(&mut scratch, "new") > 1400, "the records are copied");
    // Two batches with a pause of 800 ms after each cannot take less than 1.6 s.
    let again = format!(
        "TRUNCATE {schema}.new; DROP TABLE {schema}.new__upcast_backfill",
        schema = scratch.schema
    );
    scratch.client.batch_execute(&again).unwrap();
    let start = std::time::Instant::now();
    let (code, out, err) = migrate(&["run", &old, "--into", &new, "--pause", "800"]);
    assert!(code <= 1, "{out}{err}");
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(1600),
        "--pause 800 took {took:?}"
    );
}
