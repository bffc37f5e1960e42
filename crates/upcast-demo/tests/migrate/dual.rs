//! The move to a new store against a real PostgreSQL: dual writes in each mode, reads by
//! share, the backfill and the comparison.

use std::thread;
use std::time::Duration;

use upcast::{Layout, Version, Writer};
use upcast_demo::customer::{Address, Customer, PersonName};
use upcast_demo::pg::Scratch;
use upcast_migrate::Key;
use upcast_migrate::dual::{DualWriter, Mode, SharedReader, Table};

use super::postgres::scratch;
use super::support::{Dice, events, migrate, spawn};

/// Refused by a table's check: the customer whose first name is this.
const REFUSED: &str = "FAIL";

fn customer(n: usize, first: &str) -> Customer {
    Customer {
        id: format!("cus_{n:06}"),
        name: PersonName {
            first: first.to_owned(),
            last: "Lovelace".to_owned(),
        },
        email: format!("c{n}@example.org"),
        address: Address {
            city: "London".to_owned(),
            country: "GB".to_owned(),
        },
        since: Some("2025-01-01T00:00:00Z".to_owned()),
    }
}

/// Creates `table` of customers; with `refusing`, a check refuses [`REFUSED`] customers.
fn table(scratch: &mut Scratch, name: &str, refusing: bool) {
    let check = match refusing {
        true => format!(
            ", CHECK (NOT body @> '{{\"data\": {{\"name\": {{\"first\": \"{REFUSED}\"}}}}}}')"
        ),
        false => String::new(),
    };
    scratch
        .client
        .batch_execute(&format!(
            "CREATE TABLE {}.{name} (id bigint PRIMARY KEY, body jsonb NOT NULL{check})",
            scratch.schema
        ))
        .unwrap();
}

fn connect(scratch: &Scratch, name: &str) -> Table {
    Table::connect(&scratch.store(name)).unwrap()
}

/// The same table through another URL: to the writer, another database.
fn connect_elsewhere(scratch: &Scratch, name: &str) -> Table {
    let url = scratch.store(name).replacen("127.0.0.1", "localhost", 1);
    assert_ne!(url, scratch.store(name), "the URL names 127.0.0.1");
    Table::connect(&url).unwrap()
}

fn count(scratch: &mut Scratch, name: &str) -> i64 {
    let sql = format!("SELECT count(*) FROM {}.{name}", scratch.schema);
    scratch.client.query_one(&sql, &[]).unwrap().get(0)
}

#[test]
fn shadow_mode_counts_a_failing_secondary_and_never_fails_the_caller() {
    let Some(mut scratch) = scratch("shadow") else {
        return;
    };
    table(&mut scratch, "old", false);
    table(&mut scratch, "new", true);
    let mut dual = DualWriter::new(connect(&scratch, "old"), connect(&scratch, "new"));
    let switch = dual.switch();
    dual.write(&Key::Int(1), &customer(1, "Ada")).unwrap();
    assert_eq!(
        (count(&mut scratch, "old"), count(&mut scratch, "new")),
        (1, 0),
        "off"
    );
    switch.set(Mode::Shadow);
    dual.write(&Key::Int(2), &customer(2, "Grace")).unwrap();
    dual.write(&Key::Int(3), &customer(3, REFUSED))
        .expect("a secondary failure is not the caller's");
    assert_eq!(
        (count(&mut scratch, "old"), count(&mut scratch, "new")),
        (3, 1)
    );
    let counts = dual.counts();
    assert_eq!((counts.written, counts.secondary_written), (3, 1));
    assert_eq!(counts.secondary_failures, 1);
    let error = counts.last_secondary_error.unwrap();
    assert!(error.contains("check constraint"), "{error}");
}

#[test]
fn both_mode_writes_both_or_neither() {
    let Some(mut scratch) = scratch("both") else {
        return;
    };
    table(&mut scratch, "old", false);
    table(&mut scratch, "new", true);
    let mut dual = DualWriter::new(connect(&scratch, "old"), connect(&scratch, "new"));
    dual.switch().set(Mode::Both);
    dual.write(&Key::Int(1), &customer(1, "Ada")).unwrap();
    let refused = dual.write(&Key::Int(2), &customer(2, REFUSED));
    assert!(refused.is_err(), "one store failed: the caller hears it");
    assert_eq!(
        (count(&mut scratch, "old"), count(&mut scratch, "new")),
        (1, 1),
        "one transaction: nothing of the refused write in either"
    );
    assert_eq!(dual.counts().refused, 1);
}

#[test]
fn both_mode_across_databases_puts_the_secondary_back_when_the_primary_fails() {
    let Some(mut scratch) = scratch("across") else {
        return;
    };
    table(&mut scratch, "old", true);
    table(&mut scratch, "new", false);
    let primary = connect(&scratch, "old");
    let mut dual = DualWriter::new(primary, connect_elsewhere(&scratch, "new"));
    dual.switch().set(Mode::Both);
    dual.write(&Key::Int(1), &customer(1, "Ada")).unwrap();
    assert!(dual.write(&Key::Int(1), &customer(1, REFUSED)).is_err());
    assert!(dual.write(&Key::Int(2), &customer(2, REFUSED)).is_err());
    let mut new = connect(&scratch, "new");
    let kept: Customer = upcast::from_slice(&new.get(&Key::Int(1)).unwrap().unwrap()).unwrap();
    assert_eq!(
        kept.name.first, "Ada",
        "the secondary's previous record is put back"
    );
    assert_eq!(new.get(&Key::Int(2)).unwrap(), None, "a new one is deleted");
    assert_eq!(dual.counts().compensated, 2);
}

#[test]
fn both_mode_across_databases_names_the_key_when_the_secondary_cannot_be_put_back() {
    let Some(mut scratch) = scratch("diverged") else {
        return;
    };
    table(&mut scratch, "old", true);
    table(&mut scratch, "new", false);
    let mut dual = DualWriter::new(connect(&scratch, "old"), connect_elsewhere(&scratch, "new"));
    dual.switch().set(Mode::Both);
    dual.write(&Key::Int(1), &customer(1, "Ada")).unwrap();
    // From now on the secondary refuses Ada, the record the undo would put back.
    let refuse_ada = format!(
        "ALTER TABLE {}.new ADD CHECK (NOT body @> '{{\"data\": {{\"name\": {{\"first\": \"Ada\"}}}}}}') NOT VALID",
        scratch.schema
    );
    scratch.client.batch_execute(&refuse_ada).unwrap();
    let error = dual.write(&Key::Int(1), &customer(1, REFUSED)).unwrap_err();
    assert!(
        matches!(&error, upcast_migrate::Error::Diverged { key, .. } if key == "1"),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.starts_with("the primary's change of key `1` failed (")
            && message.contains("undoing it in the secondary failed too"),
        "{message}"
    );
    let counts = dual.counts();
    assert_eq!(
        (counts.compensated, counts.diverged, counts.refused),
        (0, 1, 1)
    );
}

#[test]
fn both_mode_deletes_from_both_or_neither() {
    let Some(mut scratch) = scratch("deletes") else {
        return;
    };
    table(&mut scratch, "old", false);
    table(&mut scratch, "new", false);
    let keep_in_old = format!(
        "CREATE FUNCTION {schema}.refuse() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN RAISE EXCEPTION 'deletes refused'; END $$; \
         CREATE TRIGGER refuse BEFORE DELETE ON {schema}.old FOR EACH ROW \
         WHEN (OLD.id = 2) EXECUTE FUNCTION {schema}.refuse()",
        schema = scratch.schema
    );
    scratch.client.batch_execute(&keep_in_old).unwrap();
    let pairs = [
        DualWriter::new(connect(&scratch, "old"), connect(&scratch, "new")),
        DualWriter::new(connect(&scratch, "old"), connect_elsewhere(&scratch, "new")),
    ];
    for (round, mut dual) in pairs.into_iter().enumerate() {
        dual.switch().set(Mode::Both);
        for n in 1..=2 {
            dual.write(&Key::Int(n), &customer(n as usize, "Ada"))
                .unwrap();
        }
        dual.delete(&Key::Int(1)).unwrap();
        assert!(
            dual.delete(&Key::Int(2)).is_err(),
            "round {round}: the primary refused"
        );
        assert_eq!(
            (count(&mut scratch, "old"), count(&mut scratch, "new")),
            (1, 1),
            "round {round}: key 1 gone from both, key 2 kept in both"
        );
        let mut new = connect(&scratch, "new");
        assert!(new.get(&Key::Int(2)).unwrap().is_some(), "round {round}");
        assert_eq!(dual.counts().compensated, round as u64, "round {round}");
    }
}

#[test]
fn the_secondary_can_be_written_at_an_older_version() {
    let Some(mut scratch) = scratch("older") else {
        return;
    };
    table(&mut scratch, "old", false);
    table(&mut scratch, "new", false);
    let v4 = Writer::new(Layout::envelope())
        .pin("customer", &Version::new(4, 0, 0))
        .unwrap();
    let mut dual =
        DualWriter::new(connect(&scratch, "old"), connect(&scratch, "new")).secondary_writer(v4);
    dual.switch().set(Mode::Both);
    let written = customer(1, "Ada");
    dual.write(&Key::Int(1), &written).unwrap();
    let stored = connect(&scratch, "new").get(&Key::Int(1)).unwrap().unwrap();
    let stored: serde_json::Value = serde_json::from_slice(&stored).unwrap();
    assert_eq!(stored["version"], 4, "{stored}");
    let read: Customer = upcast::from_slice(stored.to_string().as_bytes()).unwrap();
    assert_eq!(read, written, "nothing lost on the way down and back");
}

#[test]
fn reads_take_a_share_of_keys_from_the_new_store_and_fall_back_to_the_old() {
    let Some(mut scratch) = scratch("share") else {
        return;
    };
    table(&mut scratch, "old", false);
    table(&mut scratch, "new", false);
    let (mut old, mut new) = (connect(&scratch, "old"), connect(&scratch, "new"));
    for n in 0..200 {
        let body = upcast::to_vec(&customer(n, "Ada")).unwrap();
        old.put(&Key::Int(n as i64), &body).unwrap();
        if n % 2 == 0 {
            new.put(&Key::Int(n as i64), &body).unwrap();
        }
    }
    let changed = (0..200)
        .step_by(2)
        .find(|n| SharedReader::in_share(&Key::Int(*n), 0.5))
        .unwrap();
    let other = upcast::to_vec(&customer(changed as usize, "Eve")).unwrap();
    new.put(&Key::Int(changed), &other).unwrap();
    let mut reader = SharedReader::new(old, new).share(0.5).checking(true);
    for n in 0..200 {
        let read: Customer = reader.read(&Key::Int(n)).unwrap().unwrap();
        assert_eq!(
            read.name.first, "Ada",
            "key {n}: the old store's record wins"
        );
    }
    let in_share = (0..200).filter(|n| SharedReader::in_share(&Key::Int(*n), 0.5));
    let (in_share, in_new) = in_share.fold((0, 0), |(all, new), n| {
        (all + 1, new + u64::from(n % 2 == 0))
    });
    let counts = reader.counts();
    assert_eq!(counts.old, 200 - in_share);
    assert_eq!(
        counts.fallbacks,
        in_share - in_new,
        "odd keys are not in the new store"
    );
    assert_eq!((counts.hits, counts.mismatches), (in_new - 1, 1));
    assert!(reader.read::<Customer>(&Key::Int(999)).unwrap().is_none());
}

#[test]
fn the_backfill_survives_kills_and_compare_finds_what_differs() {
    let Some(mut scratch) = scratch("backfill") else {
        return;
    };
    scratch.load("old", "jsonb", &events().repeat(2)).unwrap();
    table(&mut scratch, "new", false);
    let (old, new) = (scratch.store("old"), scratch.store("new"));
    let written_twice = upcast::to_vec(&customer(1, "Ada")).unwrap();
    connect(&scratch, "new")
        .put(&Key::Int(1), &written_twice)
        .unwrap();
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
    assert_eq!(count(&mut scratch, "new"), 11_000 - 4, "each record once");
    let kept = connect(&scratch, "new").get(&Key::Int(1)).unwrap().unwrap();
    let kept: Customer = upcast::from_slice(&kept).unwrap();
    assert_eq!(
        kept.name.first, "Ada",
        "what the dual writer wrote is newer: kept"
    );
    let (code, out, _) = migrate(&["compare", &old, &new, "--format", "json"]);
    let found: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(code, 1, "{out}");
    assert_eq!(found["both"], 11_000 - 4, "{out}");
    assert_eq!(found["equal"], 11_000 - 4 - 1, "{out}");
    assert_eq!(found["only_old_count"], 4, "the unreadable junk: {out}");
    assert_eq!(found["differ"][0]["key"], 1, "{out}");
    scratch
        .client
        .batch_execute(&format!("DELETE FROM {}.old WHERE id = 2", scratch.schema))
        .unwrap();
    let (_, out, _) = migrate(&["compare", &old, &new]);
    assert!(
        out.contains("1 only in the new") && out.contains("key 2:"),
        "{out}"
    );
}

/// The playbook's walk-through, run as written (in a schema of its own): every command
/// succeeds but the backfill and the compare, which report the two junk customers, and
/// every output the text quotes comes out.
#[test]
fn the_playbook_walk_through_runs_as_written() {
    let Some(mut scratch) = scratch("walk") else {
        return;
    };
    let playbook = include_str!("../../../../docs/playbook.md");
    let section = &playbook[playbook.find("## 7. Move a kind").unwrap()..];
    let mut script = String::new();
    let mut quoted = Vec::new();
    for block in section.split("```sh\n").skip(1) {
        let block = &block[..block.find("```").unwrap()];
        for line in block.lines().map(str::trim) {
            match line.strip_prefix("# ") {
                Some(output) => quoted.push(output.trim_end_matches("...").trim_end()),
                None => script.push_str(&format!("{line}\n")),
            }
        }
    }
    let script = script
        .replace(
            "cargo run -q -p upcast-demo --bin shop --",
            env!("CARGO_BIN_EXE_shop"),
        )
        .replace(
            "cargo run -q -p upcast-demo --",
            env!("CARGO_BIN_EXE_upcast-demo"),
        )
        .replace(
            "postgres://postgres@127.0.0.1:5432/test",
            &upcast_demo::pg::url(),
        )
        .replace("SCHEMA shop", &format!("SCHEMA {}_shop", scratch.schema))
        .replace("=shop.", &format!("={}_shop.", scratch.schema));
    let output = std::process::Command::new("bash")
        .args(["-c", &script])
        .output()
        .unwrap();
    // Whatever happened, nothing is left behind.
    let drop = format!("DROP SCHEMA IF EXISTS {}_shop CASCADE", scratch.schema);
    scratch.client.batch_execute(&drop).unwrap();
    let out = String::from_utf8_lossy(&output.stdout);
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{out}\n{err}");
    assert!(!err.contains("error:"), "{err}");
    for expected in quoted {
        let expected = expected.split("...").collect::<Vec<_>>();
        assert!(
            out.lines().any(|line| {
                line.starts_with(expected[0]) && expected.iter().all(|part| line.contains(part))
            }),
            "the playbook quotes `{}`; the run said:\n{out}",
            expected.join("...")
        );
    }
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
    table(&mut scratch, "new", false);
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
    scratch
        .client
        .batch_execute(&format!("TRUNCATE {}.new", scratch.schema))
        .unwrap();
    scratch
        .client
        .batch_execute(&format!(
            "DROP TABLE {}.new__upcast_backfill",
            scratch.schema
        ))
        .unwrap();
    let start = std::time::Instant::now();
    let (code, out, err) = migrate(&["run", &old, "--into", &new, "--pause", "800"]);
    assert!(code <= 1, "{out}{err}");
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(1600),
        "--pause 800 took {took:?}"
    );
}
