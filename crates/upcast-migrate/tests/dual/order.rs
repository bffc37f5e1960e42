//! Two writers of one key cannot leave the stores apart, however slow the primary.
//!
//! REGRESSION: before each change took a lock on its key in the primary's database, W1
//! wrote the secondary, stalled in the primary (here, a trigger asleep), W2 wrote both
//! stores, and W1's primary write landed last: the primary held W1, the secondary W2.

use upcast_migrate::Key;

use crate::support::{Note, Pair, text_of, wait_until};

const SLOW: &str = "CREATE FUNCTION slow() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
    IF NEW.body->'data'->>'text' = 'slow' THEN PERFORM pg_sleep(2); END IF; RETURN NEW; END $$; \
    CREATE TRIGGER slow BEFORE INSERT OR UPDATE ON notes FOR EACH ROW EXECUTE FUNCTION slow()";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_primary_write_cannot_be_overtaken() {
    let Some(pair) = Pair::postgres("order", SLOW).await else {
        return;
    };
    let (dual, pa) = (pair.dual(), &pair.pa);
    let (primary, secondary) = (&pair.primary, &pair.secondary);

    let first = dual.clone();
    let w1 = tokio::spawn(async move { first.write(&Key::Int(1), &Note::new("slow", 1)).await });
    wait_until(
        pa,
        "SELECT 1 FROM pg_stat_activity WHERE wait_event = 'PgSleep' \
         AND datname = current_database()",
        "W1 asleep in the primary",
    )
    .await;
    let second = dual.clone();
    let w2 = tokio::spawn(async move { second.write(&Key::Int(1), &Note::new("fast", 2)).await });
    w1.await.unwrap().unwrap();
    w2.await.unwrap().unwrap();

    let (p, s) = (text_of(primary, 1).await, text_of(secondary, 1).await);
    assert_eq!(p, s, "the primary holds {p:?}, the secondary {s:?}");
    assert_eq!(p.as_deref(), Some("fast"), "W2 came second");
    pair.close().await;
}
