//! criterion benches: every read of an `invoice` (small, medium, large) against the
//! baselines, and the throughput over the demo's legacy store.
//!
//! `cargo bench --bench read`; for ratios measured in one interleaved run, use
//! `cargo run --release -p upcast-demo --bin bench-report`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use upcast_demo::invoice::Size;
use upcast_demo::perf::{Inputs, all_cases};
use upcast_demo::{dataset, demo};

fn reads(c: &mut Criterion) {
    for size in Size::ALL {
        let inputs = Inputs::new(size);
        let mut group = c.benchmark_group(format!("read/{}", size.name()));
        group.throughput(Throughput::Bytes(inputs.payload_current.len() as u64));
        for case in all_cases() {
            assert!((case.run)(&inputs), "case `{}` fails", case.name);
            group.bench_function(case.name, |b| b.iter(|| (case.run)(black_box(&inputs))));
        }
        group.finish();
    }
}

fn store(c: &mut Criterion) {
    let store = match demo::Store::load(&dataset::data_dir()) {
        Ok(store) => store,
        Err(error) => panic!("cannot load the demo store: {error}"),
    };
    let mut records = c.benchmark_group("store/records");
    records.throughput(Throughput::Elements(store.records() as u64));
    records.bench_function("read_all", |b| b.iter(|| black_box(&store).read_all()));
    records.finish();
    let mut bytes = c.benchmark_group("store/bytes");
    bytes.throughput(Throughput::Bytes(store.bytes() as u64));
    bytes.bench_function("read_all", |b| b.iter(|| black_box(&store).read_all()));
    bytes.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = reads, store
}
criterion_main!(benches);
