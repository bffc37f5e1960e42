//! Allocation guard: deterministic counts, not timings. A counting global allocator
//! (per thread, so parallel tests do not disturb each other) checks that reading a current
//! envelope allocates exactly what `serde_json::from_slice` of the payload does, and that
//! an old record costs at most one allocation per step more than the hand-written reader.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use upcast_demo::baseline;
use upcast_demo::invoice::{Invoice, Size};
use upcast_demo::perf::Inputs;

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn count() {
    let _ = ALLOCATIONS.try_with(|count| count.set(count.get() + 1));
}

// SAFETY: every method forwards to `System` unchanged; counting touches a const-initialized
// thread-local `Cell`, which never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: the caller's contract is forwarded as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: the caller's contract is forwarded as is.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract is forwarded as is.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: the caller's contract is forwarded as is.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// How many allocations (and reallocations) `read` makes on this thread.
fn allocations<T>(read: impl FnOnce() -> T) -> u64 {
    let before = ALLOCATIONS.with(Cell::get);
    let value = read();
    let after = ALLOCATIONS.with(Cell::get);
    drop(value);
    after - before
}

/// The steps from version 1 to the current invoice.
const STEPS: u64 = 4;

fn warmed_up(size: Size) -> Inputs {
    let inputs = Inputs::new(size);
    // The registry is built on first use; that one-time cost is not a read's.
    assert!(upcast::from_slice::<Invoice>(&inputs.envelope_v1).is_ok());
    inputs
}

#[test]
fn current_envelope_allocates_what_serde_json_does() {
    for size in Size::ALL {
        let inputs = warmed_up(size);
        let floor =
            allocations(|| serde_json::from_slice::<Invoice>(&inputs.payload_current).unwrap());
        let upcast =
            allocations(|| upcast::from_slice::<Invoice>(&inputs.envelope_current).unwrap());
        assert_eq!(upcast, floor, "{size:?}");
        let inline = allocations(|| {
            upcast::Layout::inline("schema_version")
                .from_slice::<Invoice>(&inputs.inline_current)
                .unwrap()
        });
        assert_eq!(inline, floor, "inline {size:?}");
        let data_first =
            allocations(|| upcast::from_slice::<Invoice>(&inputs.data_first_current).unwrap());
        assert_eq!(data_first, floor, "data first {size:?}");
        let tag_last = allocations(|| {
            upcast::Layout::inline("schema_version")
                .from_slice::<Invoice>(&inputs.inline_last_current)
                .unwrap()
        });
        assert_eq!(tag_last, floor, "inline, tag last {size:?}");
    }
}

#[test]
fn old_record_allocates_at_most_one_more_per_step() {
    for size in Size::ALL {
        let inputs = warmed_up(size);
        let hand = allocations(|| baseline::hand_written(&inputs.envelope_v1).unwrap());
        let upcast = allocations(|| upcast::from_slice::<Invoice>(&inputs.envelope_v1).unwrap());
        assert!(
            upcast <= hand + STEPS,
            "{size:?}: upcast {upcast}, hand-written {hand}"
        );
        let hand = allocations(|| baseline::hand_written(&inputs.data_first_v1).unwrap());
        let upcast = allocations(|| upcast::from_slice::<Invoice>(&inputs.data_first_v1).unwrap());
        assert!(
            upcast <= hand + STEPS,
            "data first {size:?}: upcast {upcast}, hand-written {hand}"
        );
    }
}

#[test]
fn unread_metadata_costs_nothing() {
    let inputs = warmed_up(Size::Medium);
    let plain = allocations(|| upcast::from_slice::<Invoice>(&inputs.envelope_v1).unwrap());
    let data: serde_json::Value = serde_json::from_slice(&inputs.payload_v1).unwrap();
    let with_metadata = format!(
        r#"{{"kind":"invoice","version":1,"id":"evt-1","at":"2019-03-04T10:00:00Z","data":{data}}}"#
    );
    let read = allocations(|| upcast::from_slice::<Invoice>(with_metadata.as_bytes()).unwrap());
    assert_eq!(
        read, plain,
        "metadata is parsed only when a step asks for it"
    );
}
