//! A caller that stops waiting for a dual write (its client gone, a timeout: the future
//! dropped) cannot leave the change between the two stores.
//!
//! REGRESSION: the write ran in the caller's future; dropped after the secondary had
//! committed and while the primary was still writing, it rolled the primary back and left
//! the secondary ahead.

use upcast_migrate::Key;

use crate::support::{Note, Pair, text_of, wait_until};

const SLOW: &str = "CREATE FUNCTION slow() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
    IF NEW.body->'data'->>'text' = 'slow' THEN PERFORM pg_sleep(1); END IF; RETURN NEW; END $$; \
    CREATE TRIGGER slow BEFORE INSERT OR UPDATE ON notes FOR EACH ROW EXECUTE FUNCTION slow()";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_write_still_reaches_both_stores_or_neither() {
    let Some(pair) = Pair::postgres("cancel", SLOW).await else {
        return;
    };
    let (dual, pa) = (pair.dual(), &pair.pa);
    let (primary, secondary) = (&pair.primary, &pair.secondary);

    let writer = dual.clone();
    let write =
        tokio::spawn(async move { writer.write(&Key::Int(1), &Note::new("slow", 1)).await });
    wait_until(
        pa,
        "SELECT 1 FROM pg_stat_activity WHERE wait_event = 'PgSleep' \
         AND datname = current_database()",
        "the primary writing",
    )
    .await;
    write.abort(); // the caller gives up: its future is dropped
    assert!(write.await.unwrap_err().is_cancelled());
    wait_until(
        pa,
        "SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE (wait_event = 'PgSleep' \
         OR state = 'idle in transaction' AND datname = current_database()))",
        "the primary done",
    )
    .await;
    // Whatever the primary decided, the writer's counts say it ended.
    for _ in 0..6_000 {
        let counts = dual.counts();
        if counts.written + counts.refused + counts.commit_unknown > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let (p, s) = (text_of(primary, 1).await, text_of(secondary, 1).await);
    assert_eq!(p, s, "the primary holds {p:?}, the secondary {s:?}");
    pair.close().await;
}
