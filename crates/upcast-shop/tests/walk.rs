//! The seven steps of a move, walked with the service under a bounded load: each step's
//! switch flipped over HTTP while clients write, read and delete, the backfill and the
//! comparison run by the CLI as child processes. Write latencies are printed per mode,
//! never asserted on.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use upcast_demo::customer::Customer;
use upcast_demo::dataset::{self, EVENTS_FILE};
use upcast_shop::Config;

use crate::support::{Client, Running, customer, runtime, scratch, shop_cli};

/// Clients writing at once.
const TASKS: u64 = 4;
/// Requests each client sends in a phase.
const REQUESTS: u64 = 150;
/// Keys written: the loaded customers' and some new ones.
const KEYS: u64 = 4_200;

/// Keys of the loaded customers whose records do not upcast (the dataset's junk): the
/// load leaves them alone, and they are fixed by writing them after the backfill.
fn junk() -> Vec<i64> {
    let events = std::fs::read_to_string(dataset::data_dir().join(EVENTS_FILE)).unwrap();
    events
        .lines()
        .filter(|line| line.contains(r#""kind":"customer""#))
        .enumerate()
        .filter(|(_, line)| upcast::from_slice::<Customer>(line.as_bytes()).is_err())
        .map(|(n, _)| n as i64 + 1)
        .collect()
}

/// What one phase of load did: each write's latency, and the reads' answers.
#[derive(Default)]
struct Load {
    writes: Vec<Duration>,
    reads: u64,
}

/// Sends `TASKS` clients' `REQUESTS` each: 7 in 10 writes, 2 reads, 1 delete (a write
/// instead unless `deletes`), on keys drawn from a seeded generator, avoiding `junk`.
async fn load(
    addr: SocketAddr,
    phase: &'static str,
    seed: u64,
    junk: &[i64],
    deletes: bool,
) -> Load {
    let mut tasks = Vec::new();
    for task in 0..TASKS {
        let junk = junk.to_vec();
        tasks.push(tokio::spawn(async move {
            let mut client = Client::connect(addr).await;
            let mut dice = (seed * 31 + task + 1) * 0x9e37_79b9;
            let mut done = Load::default();
            for n in 0..REQUESTS {
                dice ^= dice << 13;
                dice ^= dice >> 7;
                dice ^= dice << 17;
                let id = (dice % KEYS) as i64 + 1;
                if junk.contains(&id) {
                    continue;
                }
                match n % 10 {
                    0 if deletes => {
                        let (status, answer) = client
                            .send("DELETE", &format!("/customers/{id}"), None)
                            .await;
                        assert_eq!(status, 204, "{phase}: delete {id}: {answer}");
                    }
                    1 | 2 => {
                        let (status, answer) = client.get(id).await;
                        assert!(matches!(status, 200 | 404), "{phase}: read {id}: {answer}");
                        done.reads += 1;
                    }
                    _ => {
                        let body = customer(id, &format!("{phase}-{task}-{n}"));
                        let started = Instant::now();
                        let (status, answer) = client.put(id, &body).await;
                        done.writes.push(started.elapsed());
                        assert_eq!(status, 204, "{phase}: write {id}: {answer}");
                    }
                }
            }
            done
        }));
    }
    let mut all = Load::default();
    for task in tasks {
        let done = task.await.unwrap();
        all.writes.extend(done.writes);
        all.reads += done.reads;
    }
    all
}

/// `upcast-shop migrate ARGS --format json`, off the runtime's threads.
async fn migrate(args: &[&str]) -> (i32, Value, String) {
    let mut args: Vec<String> = args.iter().map(|arg| arg.to_string()).collect();
    args.splice(0..0, ["migrate".to_owned()]);
    args.extend(["--format".to_owned(), "json".to_owned()]);
    let (code, out, err) = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        shop_cli(&args)
    })
    .await
    .unwrap();
    let report = serde_json::from_str(&out).unwrap_or_else(|_| panic!("{out}\n{err}"));
    (code, report, err)
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// The median and the 99th percentile of `latencies`.
fn percentiles(latencies: &mut [Duration]) -> (Duration, Duration) {
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.99))
}

#[test]
fn the_seven_steps_under_load_end_with_both_stores_the_same() {
    let Some(scratch) = scratch("shop_walk") else {
        return;
    };
    let (old, new) = (scratch.store("customers"), scratch.store("customers_v2"));
    let junk = junk();
    assert!(!junk.is_empty(), "the dataset has its junk customers");
    runtime().block_on(async {
        assert_eq!(upcast_shop::load(&old, false).await.unwrap(), 3801);
        upcast_shop::load(&new, true).await.unwrap();
        let config = Config::new().old(&old).unwrap().new_store(&new).unwrap();
        let running = Running::start(config).await;
        let addr = running.addr;
        let mut admin = running.client().await;
        let mut figures: Vec<(&str, Load)> = Vec::new();

        // 1. An API in front: the old table alone.
        figures.push(("off", load(addr, "off", 1, &junk, true).await));

        // 2. Shadow writes.
        admin.admin("mode", json!({"mode": "shadow"})).await;
        figures.push(("shadow", load(addr, "shadow", 2, &junk, true).await));
        let counts = admin.counts().await;
        assert_eq!(counts["writes"]["secondary_failures"], 0, "{counts}");

        // 3. Write both.
        admin.admin("mode", json!({"mode": "both"})).await;
        figures.push(("both", load(addr, "both", 3, &junk, true).await));

        // 4. Backfill, while the clients go on writing both. Without deletes: in one
        // database the dual writer does not take the key lock the backfill takes (the
        // secondary's), so a key deleted while its batch is copied can come back to the new
        // table (reported; `compare` finds it as "only in the new store").
        let writing = tokio::spawn({
            let junk = junk.clone();
            async move { load(addr, "both-backfill", 4, &junk, false).await }
        });
        let (code, report, err) = migrate(&["run", &old, "--into", &new]).await;
        figures.push(("both, during the backfill", writing.await.unwrap()));
        assert_eq!(code, 1, "the junk is not copied: {report}\n{err}");
        assert_eq!(report["failed"], junk.len(), "{report}");
        assert_eq!(report["finished"], true, "{report}");
        for id in &junk {
            let (status, answer) = admin.put(*id, &customer(*id, "Fixed")).await;
            assert_eq!(status, 204, "fixing {id}: {answer}");
        }

        // 5. Compare, quiet.
        let (code, found, _) = migrate(&["compare", &old, &new]).await;
        assert_eq!(code, 0, "{found}");
        assert_eq!(found["differ_count"], 0, "{found}");

        // 6. Shadow reads, then the read switch; its rollback is rehearsed while the old
        // table is still written.
        admin
            .admin("reads", json!({"share": 0.0, "shadow_reads": true}))
            .await;
        figures.push((
            "both, shadow reads",
            load(addr, "shadow-reads", 5, &junk, true).await,
        ));
        admin.admin("reads", json!({"share": 1.0})).await;
        figures.push((
            "both, reads from new",
            load(addr, "reads-new", 6, &junk, true).await,
        ));
        admin
            .admin("mode", json!({"mode": "both", "primary": "new"}))
            .await;
        figures.push((
            "both, new primary",
            load(addr, "new-primary", 7, &junk, true).await,
        ));
        let counts = admin.counts().await;
        assert_eq!(counts["writes"]["refused"], 0, "{counts}");
        admin.admin("reads", json!({"share": 0.0})).await;
        figures.push((
            "both, reads rolled back",
            load(addr, "rollback", 8, &junk, true).await,
        ));
        let counts = admin.counts().await;
        assert_eq!(counts["reads"]["differences"], 0, "{counts}");
        assert_eq!(counts["reads"]["shadow_failures"], 0, "{counts}");
        assert!(counts["reads"]["old"].as_u64().unwrap() > 0, "{counts}");
        let (code, found, _) = migrate(&["compare", &old, &new]).await;
        assert_eq!(code, 0, "{found}");
        assert_eq!(found["differ_count"], 0, "{found}");

        // 7. Reads from the new table, and the old one no longer written.
        admin
            .admin("reads", json!({"share": 1.0, "shadow_reads": false}))
            .await;
        let status = admin.admin("mode", json!({"mode": "off"})).await;
        assert_eq!(
            (&status["primary"], &status["mode"]),
            (&json!("new"), &json!("off"))
        );
        figures.push((
            "off, new primary",
            load(addr, "new-alone", 9, &junk, true).await,
        ));
        let counts = admin.counts().await;
        assert_eq!(counts["writes"]["refused"], 0, "{counts}");
        running.stop().await;

        println!("write latency per mode ({TASKS} clients, loopback, PostgreSQL on this machine):");
        println!(
            "{:<28} {:>7} {:>10} {:>10}",
            "mode", "writes", "median ms", "p99 ms"
        );
        for (phase, mut done) in figures {
            let (median, p99) = percentiles(&mut done.writes);
            println!(
                "{phase:<28} {:>7} {:>10.2} {:>10.2}",
                done.writes.len(),
                millis(median),
                millis(p99)
            );
        }
    });
}
