//! What the dual-write plan tells a service's telemetry: `tracing` events with the kind,
//! key and mode, and the `metrics` its exporter shows, captured by a recorder and a
//! subscriber of the test's own.
//!
//! Tests of one binary run on parallel threads, so both are installed for the test's
//! thread alone (`metrics::set_default_local_recorder`, `tracing::subscriber::set_default`)
//! and the test runs on a current-thread runtime of its own, on that thread.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::{Arc, Mutex};

use metrics::{Counter, CounterFn, Gauge, Histogram, HistogramFn, KeyName, Metadata, Recorder};
use metrics::{SharedString, Unit};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Instrument, Level, Metadata as EventMetadata, Subscriber};
use tracing_core::span::Current;
use upcast_migrate::Key;
use upcast_migrate::dual::{Database, DualWriter, Mode, SharedReader, Table};

use crate::support::{Note, Scratch};

/// Every metric recorded, by name and sorted labels: `name{label=value,...}`.
#[derive(Clone, Default)]
struct Metrics(Arc<Mutex<Recorded>>);

#[derive(Default)]
struct Recorded {
    counters: HashMap<String, u64>,
    histograms: HashMap<String, Vec<f64>>,
}

struct Handle {
    name: String,
    metrics: Metrics,
}

impl CounterFn for Handle {
    fn increment(&self, value: u64) {
        let mut recorded = self.metrics.0.lock().unwrap();
        *recorded.counters.entry(self.name.clone()).or_default() += value;
    }

    fn absolute(&self, value: u64) {
        let mut recorded = self.metrics.0.lock().unwrap();
        let counter = recorded.counters.entry(self.name.clone()).or_default();
        *counter = (*counter).max(value);
    }
}

impl HistogramFn for Handle {
    fn record(&self, value: f64) {
        let mut recorded = self.metrics.0.lock().unwrap();
        recorded
            .histograms
            .entry(self.name.clone())
            .or_default()
            .push(value);
    }
}

impl Metrics {
    fn handle(&self, key: &metrics::Key) -> Arc<Handle> {
        let mut labels: Vec<String> = key
            .labels()
            .map(|label| format!("{}={}", label.key(), label.value()))
            .collect();
        labels.sort();
        let name = match labels.is_empty() {
            true => key.name().to_owned(),
            false => format!("{}{{{}}}", key.name(), labels.join(",")),
        };
        Arc::new(Handle {
            name,
            metrics: self.clone(),
        })
    }

    fn counter(&self, name: &str) -> u64 {
        let recorded = self.0.lock().unwrap();
        recorded.counters.get(name).copied().unwrap_or_default()
    }

    fn histogram(&self, name: &str) -> Vec<f64> {
        let recorded = self.0.lock().unwrap();
        recorded.histograms.get(name).cloned().unwrap_or_default()
    }

    fn names(&self) -> Vec<String> {
        let recorded = self.0.lock().unwrap();
        let mut names: Vec<String> = recorded.counters.keys().cloned().collect();
        names.extend(recorded.histograms.keys().cloned());
        names.sort();
        names
    }
}

impl Recorder for Metrics {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}

    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}

    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}

    fn register_counter(&self, key: &metrics::Key, _: &Metadata<'_>) -> Counter {
        Counter::from_arc(self.handle(key))
    }

    fn register_gauge(&self, _: &metrics::Key, _: &Metadata<'_>) -> Gauge {
        Gauge::noop()
    }

    fn register_histogram(&self, key: &metrics::Key, _: &Metadata<'_>) -> Histogram {
        Histogram::from_arc(self.handle(key))
    }
}

/// A `tracing` event as captured: its level, target, fields (`message` among them) and
/// the names of the spans it was inside, outermost first.
#[derive(Clone, Debug)]
struct Captured {
    level: Level,
    target: String,
    fields: BTreeMap<String, String>,
    spans: Vec<String>,
}

impl Captured {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }
}

/// A subscriber that keeps every event, for one thread (the spans entered are one stack).
#[derive(Clone, Default)]
struct Events(Arc<Mutex<Caught>>);

#[derive(Default)]
struct Caught {
    events: Vec<Captured>,
    /// The name of each span, by id less one.
    names: Vec<String>,
    /// The metadata of each span, by id less one.
    metadata: Vec<&'static EventMetadata<'static>>,
    /// The spans entered now, innermost last.
    entered: Vec<u64>,
}

impl Events {
    /// The events of the plan (not those of `sqlx`).
    fn of_the_plan(&self) -> Vec<Captured> {
        let caught = self.0.lock().unwrap();
        caught
            .events
            .iter()
            .filter(|event| event.target.starts_with("upcast_migrate"))
            .cloned()
            .collect()
    }
}

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

impl Subscriber for Events {
    fn enabled(&self, _: &EventMetadata<'_>) -> bool {
        true
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut caught = self.0.lock().unwrap();
        caught.names.push(span.metadata().name().to_owned());
        caught.metadata.push(span.metadata());
        Id::from_u64(caught.names.len() as u64)
    }

    /// The span entered last: what `Span::current()` and `in_current_span` see.
    fn current_span(&self) -> Current {
        let caught = self.0.lock().unwrap();
        match caught.entered.last() {
            Some(id) => Current::new(Id::from_u64(*id), caught.metadata[*id as usize - 1]),
            None => Current::none(),
        }
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        let mut caught = self.0.lock().unwrap();
        let spans = caught
            .entered
            .iter()
            .map(|id| caught.names[*id as usize - 1].clone())
            .collect();
        caught.events.push(Captured {
            level: *event.metadata().level(),
            target: event.metadata().target().to_owned(),
            fields,
            spans,
        });
    }

    fn enter(&self, span: &Id) {
        self.0.lock().unwrap().entered.push(span.into_u64());
    }

    fn exit(&self, span: &Id) {
        let mut caught = self.0.lock().unwrap();
        if let Some(at) = caught.entered.iter().rposition(|id| *id == span.into_u64()) {
            caught.entered.remove(at);
        }
    }
}

/// Runs `test` on a current-thread runtime on this thread, with a recorder and a
/// subscriber of this thread's own; what they caught, or `None` where `test` was skipped
/// (no server: said).
fn observed<F: Future<Output = Option<()>>>(test: impl FnOnce() -> F) -> Option<(Metrics, Events)> {
    let (metrics, events) = (Metrics::default(), Events::default());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    {
        let _recorder = metrics::set_default_local_recorder(&metrics);
        let _subscriber = tracing::subscriber::set_default(events.clone());
        runtime.block_on(test())?;
    }
    Some((metrics, events))
}

const PG_TABLE: &str = "(id bigint PRIMARY KEY, body jsonb NOT NULL)";
/// The secondary refuses notes whose text is `refused`.
const PG_REFUSING: &str = "(id bigint PRIMARY KEY, body jsonb NOT NULL \
     CHECK (body -> 'data' ->> 'text' <> 'refused'))";
const MYSQL_TABLE: &str = "(id BIGINT NOT NULL PRIMARY KEY, body JSON NOT NULL)";
const MYSQL_REFUSING: &str = "(id BIGINT NOT NULL PRIMARY KEY, body JSON NOT NULL, \
     CHECK (JSON_UNQUOTE(JSON_EXTRACT(body, '$.data.text')) <> 'refused'))";

/// A shadow write whose secondary fails, made inside a service's span `request`: kept,
/// counted, told and exported.
async fn shadow_write_survives(primary: &Table, secondary: &Table, words: &str) {
    let dual = DualWriter::new(primary.clone()).secondary(secondary.clone());
    dual.switch().set(Mode::Shadow);
    let note = Note::new("refused", 7);
    dual.write(&Key::Int(7), &note)
        .instrument(tracing::info_span!("request", id = 42))
        .await
        .expect("a shadow write stands without its secondary");
    let counts = dual.counts();
    assert_eq!(counts.written, 1, "{counts:?}");
    assert_eq!(counts.secondary_written, 0, "{counts:?}");
    assert_eq!(counts.secondary_failures, 1, "{counts:?}");
    let last = counts.last_secondary_error.unwrap_or_default();
    assert!(last.contains(words), "last_secondary_error: {last:?}");
    assert!(primary.get(&Key::Int(7)).await.unwrap().is_some());
}

fn assert_told_and_exported(metrics: &Metrics, events: &Events) {
    let events = events.of_the_plan();
    let failed = events
        .iter()
        .find(|event| event.field("message") == Some("secondary write failed"))
        .unwrap_or_else(|| panic!("no event of the secondary's failure among {events:#?}"));
    assert_eq!(failed.level, Level::WARN);
    assert_eq!(failed.field("kind"), Some("test.dual"));
    assert_eq!(failed.field("key"), Some("7"));
    assert_eq!(failed.field("mode"), Some("shadow"));
    assert!(failed.field("error").is_some(), "{failed:?}");

    let names = metrics.names();
    let failures = "upcast_dual_secondary_failures_total{mode=shadow}";
    assert_eq!(metrics.counter(failures), 1, "{names:?}");
    let kept = "upcast_dual_writes_total{mode=shadow,outcome=kept}";
    assert_eq!(metrics.counter(kept), 1, "{names:?}");
    let seconds = metrics.histogram("upcast_dual_write_seconds{mode=shadow}");
    assert_eq!(seconds.len(), 1, "{names:?}");
    assert!(seconds[0] >= 0.0 && seconds[0].is_finite(), "{seconds:?}");
}

#[test]
fn a_refused_shadow_write_is_counted_told_and_exported_postgres_one_database() {
    let Some((metrics, events)) = observed(|| async {
        let scratch = Scratch::postgres("observe_check").await?;
        let pool = scratch.pg_pool().await;
        let sql = format!("CREATE TABLE old {PG_TABLE}; CREATE TABLE new {PG_REFUSING}");
        sqlx::raw_sql(&sql).execute(&pool).await.unwrap();
        let (old, new) = open_pair(pool.clone(), pool.clone()).await;
        shadow_write_survives(&old, &new, "violates check constraint").await;
        pool.close().await;
        Some(())
    }) else {
        return;
    };
    assert_told_and_exported(&metrics, &events);
}

/// REGRESSION: since a dual write runs in a task of its own, its events left the caller's
/// span: a service could no longer tell which request a secondary failure belonged to.
#[test]
fn a_secondary_failure_is_told_inside_the_callers_span() {
    let Some((_, events)) = observed(|| async {
        let scratch = Scratch::postgres("observe_span").await?;
        let pool = scratch.pg_pool().await;
        let sql = format!("CREATE TABLE old {PG_TABLE}; CREATE TABLE new {PG_REFUSING}");
        sqlx::raw_sql(&sql).execute(&pool).await.unwrap();
        let (old, new) = open_pair(pool.clone(), pool.clone()).await;
        shadow_write_survives(&old, &new, "violates check constraint").await;
        pool.close().await;
        Some(())
    }) else {
        return;
    };
    let events = events.of_the_plan();
    let failed = events
        .iter()
        .find(|event| event.field("message") == Some("secondary write failed"))
        .unwrap_or_else(|| panic!("no event of the secondary's failure among {events:#?}"));
    assert_eq!(failed.spans, ["request"], "{failed:#?}");
}

#[test]
fn a_shadow_write_to_a_dropped_table_is_counted_told_and_exported_postgres_two_databases() {
    let Some((metrics, events)) = observed(|| async {
        let (Some(a), Some(b)) = (
            Scratch::postgres("observe_dropped").await,
            Scratch::postgres("observe_dropped").await,
        ) else {
            return None;
        };
        let (pa, pb) = (a.pg_pool().await, b.pg_pool().await);
        let sql = format!("CREATE TABLE old {PG_TABLE}; CREATE TABLE new {PG_TABLE}");
        for pool in [&pa, &pb] {
            sqlx::raw_sql(&sql).execute(pool).await.unwrap();
        }
        let (old, new) = open_pair(pa.clone(), pb.clone()).await;
        sqlx::raw_sql("DROP TABLE new").execute(&pb).await.unwrap();
        shadow_write_survives(&old, &new, "does not exist").await;
        pa.close().await;
        pb.close().await;
        Some(())
    }) else {
        return;
    };
    assert_told_and_exported(&metrics, &events);
}

#[test]
fn a_refused_shadow_write_is_counted_told_and_exported_mysql_one_database() {
    let Some((metrics, events)) = observed(|| async {
        let scratch = Scratch::mysql("observe_check").await?;
        let pool = scratch.mysql_pool().await;
        let sql = format!("CREATE TABLE old {MYSQL_TABLE}; CREATE TABLE new {MYSQL_REFUSING}");
        sqlx::raw_sql(&sql).execute(&pool).await.unwrap();
        let (old, new) = open_pair(pool.clone(), pool.clone()).await;
        shadow_write_survives(&old, &new, "CONSTRAINT").await;
        pool.close().await;
        Some(())
    }) else {
        return;
    };
    assert_told_and_exported(&metrics, &events);
}

async fn open_pair<P: Database>(a: P, b: P) -> (Table, Table) {
    let old = Table::open(a, "old", "id", "body").await.expect("open old");
    let new = Table::open(b, "new", "id", "body").await.expect("open new");
    (old, new)
}

#[test]
fn a_shadow_read_that_differs_answers_from_the_old_store_and_is_told_and_exported() {
    let Some((metrics, events)) = observed(|| async {
        let scratch = Scratch::postgres("observe_read").await?;
        let pool = scratch.pg_pool().await;
        let sql = format!("CREATE TABLE old {PG_TABLE}; CREATE TABLE new {PG_TABLE}");
        sqlx::raw_sql(&sql).execute(&pool).await.unwrap();
        let (old, new) = open_pair(pool.clone(), pool.clone()).await;
        let (was, is) = (Note::new("old", 9), Note::new("new", 9));
        let layout = upcast::Layout::envelope();
        old.put(&Key::Int(9), &layout.to_vec(&was).unwrap())
            .await
            .unwrap();
        new.put(&Key::Int(9), &layout.to_vec(&is).unwrap())
            .await
            .unwrap();
        let reader = SharedReader::new(old, new);
        reader.set_shadow_reads(true);
        // Outside the share (the old store reads, the new one is compared), then inside it.
        for share in [0.0, 1.0] {
            reader.set_share(share);
            let read: Option<Note> = reader
                .read(&Key::Int(9))
                .instrument(tracing::info_span!("request", id = 43))
                .await
                .expect("read");
            assert_eq!(read, Some(was.clone()), "the old store answers");
        }
        let counts = reader.counts();
        assert_eq!(counts.differences, 2, "{counts:?}");
        assert_eq!((counts.old, counts.new), (1, 1), "{counts:?}");
        assert_eq!(counts.shadow_failures, 0, "{counts:?}");
        pool.close().await;
        Some(())
    }) else {
        return;
    };
    let plan = events.of_the_plan();
    let names = metrics.names();
    assert_eq!(
        metrics.counter("upcast_shadow_read_differences_total"),
        2,
        "{names:?}"
    );
    assert_eq!(metrics.counter("upcast_shared_reads_total{source=old}"), 1);
    assert_eq!(metrics.counter("upcast_shared_reads_total{source=new}"), 1);
    assert_eq!(metrics.histogram("upcast_shared_read_seconds").len(), 2);
    let differ: Vec<&Captured> = plan
        .iter()
        .filter(|event| event.field("message") == Some("shadow read: the stores differ"))
        .collect();
    assert_eq!(differ.len(), 2, "{plan:#?}");
    for event in differ {
        assert_eq!(event.level, Level::WARN);
        assert_eq!(event.field("key"), Some("9"));
        assert_eq!(event.field("kind"), Some("test.dual"));
        assert_eq!(event.field("answered_by"), Some("old"));
        assert_eq!(
            event.spans,
            ["request"],
            "inside the caller's span: {event:#?}"
        );
    }
}
