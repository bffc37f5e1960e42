//! What the dual-write plan tells the service's own telemetry: a `tracing` event for every
//! secondary failure, undo and difference, with the kind, key and mode; counts and
//! latencies through the `metrics` facade, which the service's exporter shows.
//!
//! Metrics: `upcast_dual_writes_total` (labels `mode`, `outcome`),
//! `upcast_dual_write_seconds` (`mode`), `upcast_dual_secondary_failures_total` (`mode`),
//! `upcast_dual_undos_total` (`outcome`), `upcast_shared_reads_total` (`source`),
//! `upcast_shared_read_seconds`, `upcast_shadow_read_differences_total`.

use std::time::Duration;

use super::Mode;
use crate::{Error, Key};

/// A change ended.
pub(crate) fn write(kind: &str, key: &Key, mode: Mode, done: &Result<(), Error>, took: Duration) {
    let outcome = match done {
        Ok(()) => "kept",
        Err(Error::CommitUnknown { .. }) => "commit_unknown",
        Err(Error::Diverged { .. }) => "diverged",
        Err(_) => "refused",
    };
    metrics::counter!("upcast_dual_writes_total", "mode" => mode.name(), "outcome" => outcome)
        .increment(1);
    metrics::histogram!("upcast_dual_write_seconds", "mode" => mode.name())
        .record(took.as_secs_f64());
    match done {
        Ok(()) => {}
        Err(error @ (Error::CommitUnknown { .. } | Error::Diverged { .. })) => tracing::error!(
            kind, key = %key, mode = mode.name(), outcome, error = %error,
            "dual write left the stores apart"
        ),
        Err(error) => tracing::warn!(
            kind, key = %key, mode = mode.name(), outcome, error = %error,
            "dual write refused"
        ),
    }
}

/// A secondary change failed and was swallowed (`shadow`).
pub(crate) fn secondary_failed(kind: &str, key: &Key, mode: Mode, error: &Error) {
    metrics::counter!("upcast_dual_secondary_failures_total", "mode" => mode.name()).increment(1);
    tracing::warn!(
        kind, key = %key, mode = mode.name(), error = %error,
        "secondary write failed"
    );
}

/// An undo of the secondary ended.
pub(crate) fn undo(kind: &str, key: &Key, done: &Result<(), Error>) {
    let outcome = if done.is_ok() { "undone" } else { "failed" };
    metrics::counter!("upcast_dual_undos_total", "outcome" => outcome).increment(1);
    match done {
        Ok(()) => tracing::info!(kind, key = %key, "secondary change undone"),
        Err(error) => tracing::error!(kind, key = %key, error = %error, "secondary undo failed"),
    }
}

/// A read was answered by `source` (`old`, `new`, `fallback`).
pub(crate) fn read(source: &'static str, took: Duration) {
    metrics::counter!("upcast_shared_reads_total", "source" => source).increment(1);
    metrics::histogram!("upcast_shared_read_seconds").record(took.as_secs_f64());
}

/// A shadow read found the two stores apart for `key`.
pub(crate) fn difference(kind: &str, key: &Key, answered_by: &'static str) {
    metrics::counter!("upcast_shadow_read_differences_total").increment(1);
    tracing::warn!(kind, key = %key, answered_by, "shadow read: the stores differ");
}

/// A shadow read of the other store failed (the answer stands).
pub(crate) fn shadow_failed(kind: &str, key: &Key, error: &Error) {
    metrics::counter!("upcast_shadow_read_failures_total").increment(1);
    tracing::warn!(kind, key = %key, error = %error, "shadow read failed");
}
