//! When the primary refuses a change the secondary already took, the undo puts back only
//! what this change replaced: a record written since by someone else stays.
//!
//! REGRESSION: the undo was an unconditional put of the old record, which overwrote a
//! newer write made while the primary was deciding.

use upcast_migrate::Key;

use crate::support::{Note, Pair, text_of, wait_until};

const CHECK: &str = "ALTER TABLE notes ADD CHECK (body->'data'->>'text' <> 'FAIL')";

const REFUSE_SLOWLY: &str = "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ \
    BEGIN IF NEW.body->'data'->>'text' = 'FAIL' THEN PERFORM pg_sleep(2); \
    RAISE EXCEPTION 'refused by the primary'; END IF; RETURN NEW; END $$; \
    CREATE TRIGGER refuse BEFORE INSERT OR UPDATE ON notes FOR EACH ROW EXECUTE FUNCTION refuse()";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undo_never_overwrites_a_newer_record() {
    let Some(pair) = Pair::postgres("undo", REFUSE_SLOWLY).await else {
        return;
    };
    let (dual, pa) = (pair.dual(), &pair.pa);
    let (primary, secondary) = (&pair.primary, &pair.secondary);
    dual.write(&Key::Int(1), &Note::new("first", 1))
        .await
        .unwrap();

    let writer = dual.clone();
    let refused =
        tokio::spawn(async move { writer.write(&Key::Int(1), &Note::new("FAIL", 2)).await });
    wait_until(
        pa,
        "SELECT 1 FROM pg_stat_activity WHERE wait_event = 'PgSleep' \
         AND datname = current_database()",
        "the primary deciding",
    )
    .await;
    assert_eq!(text_of(secondary, 1).await.as_deref(), Some("FAIL"));
    // Someone else writes the secondary while the primary decides.
    let other = upcast::to_vec(&Note::new("other", 3)).unwrap();
    secondary.put(&Key::Int(1), &other).await.unwrap();
    let refused = refused.await.unwrap();
    assert!(refused.is_err(), "the primary refused");

    assert_eq!(text_of(primary, 1).await.as_deref(), Some("first"));
    assert_eq!(
        text_of(secondary, 1).await.as_deref(),
        Some("other"),
        "the undo put back only what the refused write had put there"
    );
    assert_eq!(dual.counts().undone, 1);
    pair.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_write_is_undone_in_the_secondary() {
    let Some(pair) = Pair::postgres("undo_check", CHECK).await else {
        return;
    };
    let dual = pair.dual();
    let (primary, secondary) = (&pair.primary, &pair.secondary);
    dual.write(&Key::Int(1), &Note::new("first", 1))
        .await
        .unwrap();
    for key in [1, 2] {
        let refused = dual.write(&Key::Int(key), &Note::new("FAIL", 2)).await;
        let message = refused.unwrap_err().to_string();
        assert!(
            message.contains("violates check constraint"),
            "the server's words: {message}"
        );
    }
    dual.delete::<Note>(&Key::Int(1)).await.unwrap();
    dual.write(&Key::Int(3), &Note::new("third", 3))
        .await
        .unwrap();
    for key in 1..=3 {
        assert_eq!(
            text_of(primary, key).await,
            text_of(secondary, key).await,
            "key {key}"
        );
    }
    let counts = dual.counts();
    assert_eq!(
        (counts.written, counts.refused, counts.undone),
        (3, 2, 2),
        "{counts:?}"
    );
    pair.close().await;
}
