//! Every public call of `dual` that a service makes, from inside a service's runtime: on
//! a multi-thread runtime (from a spawned task, so the futures are `Send`) and on a
//! current-thread one, against PostgreSQL and MySQL.
//!
//! A call that starts a runtime of its own panics here ("Cannot start a runtime from within
//! a runtime"). To catch a call that blocks its thread, the pools reach the servers through
//! a gate on a thread of its own that hands each answer on only once a ticking task on the
//! test's runtime has run after the answer came: on a current-thread runtime a call that
//! waits for its answer by blocking the thread stops the ticker, the gate notices, and the
//! test fails. The same gate makes every call that reaches a server give its thread back
//! at least once (`yielding`), which is checked call by call.

use std::future::Future;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::Poll;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use upcast::{Layout, Writer};
use upcast_migrate::Key;
use upcast_migrate::dual::{Database, DualWriter, Mode, SharedReader, Switch, Table};

use crate::support::{Note, Scratch, mysql_url, pg_url};

/// Long enough for any server on any machine.
const BOUND: Duration = Duration::from_secs(120);

/// How long the gate waits for the ticker before it calls the runtime blocked.
const PATIENCE: Duration = Duration::from_secs(10);

const PG_TABLE: &str = "(id bigint PRIMARY KEY, body jsonb NOT NULL)";
const MYSQL_TABLE: &str = "(id BIGINT NOT NULL PRIMARY KEY, body JSON NOT NULL)";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_call_runs_on_a_multi_thread_runtime() {
    // Spawned: a service runs these in its own tasks, so every future must be `Send`.
    tokio::spawn(with_ticker(Flavor::MultiThread))
        .await
        .expect("the calls ran to the end");
}

#[tokio::test(flavor = "current_thread")]
async fn every_call_runs_on_a_current_thread_runtime() {
    with_ticker(Flavor::CurrentThread).await;
}

#[derive(Clone, Copy, PartialEq)]
enum Flavor {
    MultiThread,
    /// One thread: a call that blocks it stops everything else, which the test sees.
    CurrentThread,
}

/// Runs every call within `BOUND`, beside a task that ticks every millisecond; the ticker
/// must have advanced while they ran, and the gates must never have waited for it in vain.
async fn with_ticker(flavor: Flavor) {
    let ticks = Arc::new(AtomicU64::new(0));
    let ticker = tokio::spawn({
        let ticks = ticks.clone();
        async move {
            loop {
                tokio::time::sleep(Duration::from_millis(1)).await;
                ticks.fetch_add(1, Ordering::Relaxed);
            }
        }
    });
    let before = ticks.load(Ordering::Relaxed);
    let blocked = Arc::new(AtomicBool::new(false));
    let calls = both_backends(flavor, &ticks, &blocked);
    tokio::time::timeout(BOUND, calls)
        .await
        .expect("the calls finished within the bound");
    let after = ticks.load(Ordering::Relaxed);
    ticker.abort();
    assert!(
        after > before,
        "the ticking task never ran while the calls did: they blocked the runtime's thread"
    );
    assert!(
        !blocked.load(Ordering::Relaxed),
        "an answer waited {PATIENCE:?} for the ticking task: a call blocked the runtime's thread"
    );
}

async fn both_backends(flavor: Flavor, ticks: &Arc<AtomicU64>, blocked: &Arc<AtomicBool>) {
    let purpose = match flavor {
        Flavor::MultiThread => "rt_multi",
        Flavor::CurrentThread => "rt_current",
    };
    if let (Some(a), Some(b)) = (
        Scratch::postgres(purpose).await,
        Scratch::postgres(purpose).await,
    ) {
        let gate = Gate::new(&pg_url(), ticks.clone(), blocked.clone());
        let pa = sqlx::PgPool::connect(&gate.url(&a.url))
            .await
            .expect("pool");
        let pb = sqlx::PgPool::connect(&gate.url(&b.url))
            .await
            .expect("pool");
        for pool in [&pa, &pb] {
            sqlx::raw_sql(&format!(
                "CREATE TABLE old {PG_TABLE}; CREATE TABLE new {PG_TABLE}"
            ))
            .execute(pool)
            .await
            .expect("tables");
        }
        every_call(pa.clone(), pb.clone(), "postgres://", flavor).await;
        pa.close().await;
        pb.close().await;
    }
    if let (Some(a), Some(b)) = (Scratch::mysql(purpose).await, Scratch::mysql(purpose).await) {
        let gate = Gate::new(&mysql_url(), ticks.clone(), blocked.clone());
        let pa = sqlx::MySqlPool::connect(&gate.url(&a.url))
            .await
            .expect("pool");
        let pb = sqlx::MySqlPool::connect(&gate.url(&b.url))
            .await
            .expect("pool");
        for pool in [&pa, &pb] {
            sqlx::raw_sql(&format!(
                "CREATE TABLE old {MYSQL_TABLE}; CREATE TABLE new {MYSQL_TABLE}"
            ))
            .execute(pool)
            .await
            .expect("tables");
        }
        every_call(pa.clone(), pb.clone(), "mysql://", flavor).await;
        pa.close().await;
        pb.close().await;
    }
}

/// A TCP relay to a server, on a thread and runtime of its own, that hands each answer of
/// the server on only once the test's ticker has ticked after the answer came.
struct Gate {
    port: u16,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Gate {
    fn new(server: &str, ticks: Arc<AtomicU64>, blocked: Arc<AtomicBool>) -> Gate {
        let url = url::Url::parse(server).expect("a URL");
        let host = url.host_str().expect("a host").to_owned();
        let port = url.port_or_known_default().unwrap_or(5432);
        let upstream = (host.as_str(), port)
            .to_socket_addrs()
            .expect("the server's address")
            .next()
            .expect("an address");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
        listener.set_nonblocking(true).expect("non-blocking");
        let port = listener.local_addr().expect("its address").port();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("the gate's runtime");
            runtime.block_on(async move {
                let listener = TcpListener::from_std(listener).expect("a listener");
                let serve = async {
                    loop {
                        if let Ok((client, _)) = listener.accept().await {
                            let gated = relay(client, upstream, ticks.clone(), blocked.clone());
                            tokio::spawn(gated);
                        }
                    }
                };
                tokio::select! {
                    () = serve => {}
                    _ = stopped => {}
                }
            });
        });
        Gate {
            port,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// `url` through the gate.
    fn url(&self, url: &str) -> String {
        let mut url = url::Url::parse(url).expect("a URL");
        url.set_host(Some("127.0.0.1")).expect("a host");
        url.set_port(Some(self.port)).expect("a port");
        url.to_string()
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Relays one connection: the client's bytes at once, the server's once the ticker ran.
async fn relay(
    client: TcpStream,
    upstream: SocketAddr,
    ticks: Arc<AtomicU64>,
    blocked: Arc<AtomicBool>,
) {
    let Ok(server) = TcpStream::connect(upstream).await else {
        return;
    };
    let (mut from_client, mut to_client) = client.into_split();
    let (mut from_server, mut to_server) = server.into_split();
    let up = tokio::io::copy(&mut from_client, &mut to_server);
    let down = async {
        let mut buffer = vec![0; 64 * 1024];
        while let Ok(n @ 1..) = from_server.read(&mut buffer).await {
            let seen = ticks.load(Ordering::Relaxed);
            let since = Instant::now();
            while ticks.load(Ordering::Relaxed) == seen && !blocked.load(Ordering::Relaxed) {
                if since.elapsed() > PATIENCE {
                    blocked.store(true, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_micros(200)).await;
            }
            if to_client.write_all(&buffer[..n]).await.is_err() {
                break;
            }
        }
    };
    tokio::select! {
        _ = up => {}
        () = down => {}
    }
}

/// Awaits `future`; on a current-thread runtime, fails unless it gave its thread back at
/// least once (the gate holds every answer until the ticker, on this thread, has run).
async fn yielding<F: Future>(flavor: Flavor, what: &str, future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut pending = 0_u32;
    let output = std::future::poll_fn(|cx| match future.as_mut().poll(cx) {
        Poll::Pending => {
            pending += 1;
            Poll::Pending
        }
        ready => ready,
    })
    .await;
    assert!(
        pending > 0 || flavor == Flavor::MultiThread,
        "`{what}` reached the server without giving its thread back: it blocked"
    );
    output
}

/// A record's JSON: both servers store JSON in their own spelling.
fn json(body: Option<Vec<u8>>) -> Option<Value> {
    body.map(|body| serde_json::from_slice(&body).expect("a JSON record"))
}

fn envelope(note: &Note) -> Value {
    serde_json::from_slice(&Layout::envelope().to_vec(note).unwrap()).unwrap()
}

/// Every public call of `dual` a service makes, on the tables `old` and `new` of `db` and
/// `new` of `other` (another database: the two-database path).
async fn every_call<P: Database + Clone>(db: P, other: P, scheme: &str, flavor: Flavor) {
    let old = yielding(
        flavor,
        "Table::open",
        Table::open(db.clone(), "old", "id", "body"),
    )
    .await
    .expect("open old");
    let new = yielding(
        flavor,
        "Table::open",
        Table::open(db.clone(), "new", "id", "body"),
    )
    .await
    .expect("open new");
    let far = yielding(
        flavor,
        "Table::open",
        Table::open(other, "new", "id", "body"),
    )
    .await
    .expect("open the other database's new");
    assert!(old.name().starts_with(scheme), "{}", old.name());
    assert!(old.name().ends_with("/old"), "{}", old.name());
    assert_ne!(new.name(), far.name());

    // The table alone.
    let (k, note) = (Key::Int(100), Note::new("table", 100));
    let body = Layout::envelope().to_vec(&note).unwrap();
    yielding(flavor, "Table::put", old.put(&k, &body))
        .await
        .unwrap();
    let got = yielding(flavor, "Table::get", old.get(&k)).await.unwrap();
    assert_eq!(json(got), Some(envelope(&note)));
    assert!(
        yielding(flavor, "Table::delete", old.delete(&k))
            .await
            .unwrap()
    );
    assert!(
        !yielding(flavor, "Table::delete", old.delete(&k))
            .await
            .unwrap()
    );
    assert_eq!(
        yielding(flavor, "Table::get", old.get(&k)).await.unwrap(),
        None
    );

    // The switch alone.
    let switch = Switch::new(Mode::Both);
    switch.clone().set(Mode::Shadow);
    assert_eq!(switch.get(), Mode::Shadow);
    let names = [Mode::Off, Mode::Shadow, Mode::Both].map(Mode::name);
    assert_eq!(names, ["off", "shadow", "both"]);

    // The writer in each mode, in one database.
    let dual = DualWriter::new(old.clone())
        .secondary(new.clone())
        .primary_writer(Writer::new(Layout::envelope()))
        .secondary_writer(Writer::new(Layout::envelope()));
    let switch = dual.switch();
    assert_eq!(switch.get(), Mode::Off);
    let write = |n: i64, mode: Mode| {
        switch.set(mode);
        let note = Note::new(mode.name(), n as u64);
        let dual = &dual;
        async move { yielding(flavor, "DualWriter::write", dual.write(&Key::Int(n), &note)).await }
    };
    let delete = |n: i64, mode: Mode| {
        switch.set(mode);
        let dual = &dual;
        async move {
            yielding(
                flavor,
                "DualWriter::delete",
                dual.delete::<Note>(&Key::Int(n)),
            )
            .await
        }
    };
    let both_hold = |n: i64| {
        let (old, new) = (&old, &new);
        async move {
            let key = Key::Int(n);
            let primary = yielding(flavor, "Table::get", old.get(&key)).await.unwrap();
            let secondary = yielding(flavor, "Table::get", new.get(&key)).await.unwrap();
            (json(primary), json(secondary))
        }
    };
    write(1, Mode::Off).await.expect("write off");
    let off = envelope(&Note::new("off", 1));
    assert_eq!(both_hold(1).await, (Some(off), None));
    write(2, Mode::Shadow).await.expect("write shadow");
    let shadow = envelope(&Note::new("shadow", 2));
    assert_eq!(both_hold(2).await, (Some(shadow.clone()), Some(shadow)));
    write(3, Mode::Both).await.expect("write both");
    let both = envelope(&Note::new("both", 3));
    assert_eq!(both_hold(3).await, (Some(both.clone()), Some(both)));
    write(4, Mode::Both).await.expect("write both");
    delete(4, Mode::Off).await.expect("delete off");
    assert_eq!(both_hold(4).await.0, None);
    assert!(
        both_hold(4).await.1.is_some(),
        "off leaves the secondary alone"
    );
    delete(2, Mode::Shadow).await.expect("delete shadow");
    assert_eq!(both_hold(2).await, (None, None));
    delete(3, Mode::Both).await.expect("delete both");
    assert_eq!(both_hold(3).await, (None, None));
    let counts = dual.counts();
    assert_eq!(counts.written, 7, "{counts:?}");
    assert_eq!(counts.secondary_written, 5, "{counts:?}");
    assert_eq!(
        (counts.secondary_failures, counts.refused),
        (0, 0),
        "{counts:?}"
    );
    assert_eq!(counts.last_secondary_error, None);

    // Without a secondary: `both` refuses, `shadow` counts a failure and writes the primary.
    let alone = DualWriter::new(old.clone());
    alone.switch().set(Mode::Both);
    let note = Note::new("alone", 5);
    yielding(
        flavor,
        "DualWriter::write",
        alone.write(&Key::Int(5), &note),
    )
    .await
    .expect_err("both without a secondary");
    alone.switch().set(Mode::Shadow);
    yielding(
        flavor,
        "DualWriter::write",
        alone.write(&Key::Int(5), &note),
    )
    .await
    .expect("shadow without a secondary");
    let counts = alone.counts();
    assert_eq!((counts.written, counts.refused), (1, 1), "{counts:?}");
    assert_eq!(counts.secondary_failures, 1, "{counts:?}");
    assert!(counts.last_secondary_error.is_some(), "{counts:?}");

    // Two databases, the secondary in another layout.
    let inline = Layout::inline("v");
    let apart = DualWriter::new(old.clone())
        .secondary(far.clone())
        .secondary_writer(Writer::new(inline.clone()));
    apart.switch().set(Mode::Both);
    let note = Note::new("apart", 6);
    yielding(
        flavor,
        "DualWriter::write",
        apart.write(&Key::Int(6), &note),
    )
    .await
    .expect("write across databases");
    let there = yielding(flavor, "Table::get", far.get(&Key::Int(6)))
        .await
        .unwrap()
        .expect("the secondary holds it");
    assert_eq!(inline.from_slice::<Note>(&there).unwrap(), note);
    apart.switch().set(Mode::Shadow);
    yielding(
        flavor,
        "DualWriter::delete",
        apart.delete::<Note>(&Key::Int(6)),
    )
    .await
    .expect("delete across databases");
    assert_eq!(
        yielding(flavor, "Table::get", far.get(&Key::Int(6)))
            .await
            .unwrap(),
        None
    );
    assert_eq!(apart.counts().secondary_written, 2, "{:?}", apart.counts());

    // The shared reader: from old, from new, the fallback, the shadow comparison.
    let reader = SharedReader::new(old.clone(), new.clone()).layout(Layout::envelope());
    assert_eq!((reader.share(), reader.shadow_reads()), (0.0, false));
    let read = |n: i64| {
        let reader = &reader;
        async move {
            yielding(
                flavor,
                "SharedReader::read",
                reader.read::<Note>(&Key::Int(n)),
            )
            .await
            .expect("read")
        }
    };
    switch.set(Mode::Both);
    let same = Note::new("same", 10);
    yielding(
        flavor,
        "DualWriter::write",
        dual.write(&Key::Int(10), &same),
    )
    .await
    .unwrap();
    let (first, second) = (Note::new("first", 11), Note::new("second", 11));
    yielding(
        flavor,
        "DualWriter::write",
        dual.write(&Key::Int(11), &first),
    )
    .await
    .unwrap();
    let apart_body = Layout::envelope().to_vec(&second).unwrap();
    yielding(flavor, "Table::put", new.put(&Key::Int(11), &apart_body))
        .await
        .unwrap();
    assert_eq!(read(10).await, Some(same.clone()));
    reader.set_share(1.0);
    assert_eq!(reader.share(), 1.0);
    assert_eq!(read(10).await, Some(same.clone()));
    assert_eq!(read(1).await, Some(Note::new("off", 1)), "the fallback");
    reader.set_shadow_reads(true);
    assert!(reader.shadow_reads());
    assert_eq!(read(11).await, Some(first.clone()), "old answers");
    reader.set_share(0.0);
    assert_eq!(read(11).await, Some(first), "old answers");
    assert_eq!(read(10).await, Some(same));
    let counts = reader.counts();
    let seen = (counts.old, counts.new, counts.fallbacks, counts.differences);
    assert_eq!(seen, (3, 2, 1, 2), "{counts:?}");
    assert_eq!(counts.shadow_failures, 0, "{counts:?}");

    // A share routes by key: a key in it reads the new store, a key outside the old one.
    reader.set_shadow_reads(false);
    reader.set_share(0.5);
    assert_eq!(reader.share(), 0.5);
    let inside = (1_000..).find(|n| SharedReader::in_share(&Key::Int(*n), 0.5));
    let outside = (1_000..).find(|n| !SharedReader::in_share(&Key::Int(*n), 0.5));
    let (inside, outside) = (inside.unwrap(), outside.unwrap());
    for n in [inside, outside] {
        let body = Layout::envelope()
            .to_vec(&Note::new("new only", 1))
            .unwrap();
        yielding(flavor, "Table::put", new.put(&Key::Int(n), &body))
            .await
            .unwrap();
    }
    assert_eq!(read(inside).await, Some(Note::new("new only", 1)));
    assert_eq!(read(outside).await, None);
    assert!(!SharedReader::in_share(&Key::Int(inside), 0.0));
    assert!(SharedReader::in_share(&Key::Int(outside), 1.0));
}
