//! The bundled dataset is what the seeded generator makes, and the demo reads all of it.

use upcast_demo::dataset::{self, EVENTS_FILE, ORDERS_FILE, SEED};
use upcast_demo::demo;

#[test]
fn bundled_dataset_is_the_generators_output() {
    let dir = dataset::data_dir();
    let fresh = dataset::generate(SEED);
    let events = std::fs::read_to_string(dir.join(EVENTS_FILE)).unwrap();
    let orders = std::fs::read_to_string(dir.join(ORDERS_FILE)).unwrap();
    assert!(
        events == fresh.events,
        "events.jsonl differs: run `cargo run -p upcast-demo --bin gen-dataset`"
    );
    assert!(
        orders == fresh.orders,
        "orders.jsonl differs: run `cargo run -p upcast-demo --bin gen-dataset`"
    );
}

#[test]
fn demo_reads_every_record_and_reports_the_junk() {
    let report = demo::run(&dataset::data_dir(), 1).unwrap();
    assert!(report.records >= 10_000);
    assert_eq!(report.records, report.counts.values().sum::<usize>());
    for version in ["1", "2", "3", "4", "5"] {
        assert!(
            report.counts[&("customer".to_owned(), version.to_owned())] > 100,
            "customer {version}"
        );
    }
    assert!(report.counts[&("order".to_owned(), "untagged".to_owned())] > 100);
    let failures: Vec<String> = report
        .failures
        .iter()
        .map(|f| f.error.to_string())
        .collect();
    assert_eq!(failures.len(), 3, "{failures:#?}");
    assert!(failures[0].contains("unknown country `Atlantis`"));
    assert!(failures[2].contains("has the price -"));
}
