//! What the service does when a table is missing, and what it answers to bad requests.

use serde_json::json;
use upcast_shop::{Config, Side};

use crate::support::{Running, customer, runtime, scratch, table};

/// Regression: the old service opened both tables for every write, so a write in mode
/// `off` failed once the table it no longer wrote was gone.
#[test]
fn writes_in_mode_off_need_only_the_primary() {
    let Some(mut scratch) = scratch("shop_alone") else {
        return;
    };
    table(&mut scratch, "old");
    table(&mut scratch, "new");
    let (old, new) = (scratch.store("old"), scratch.store("new"));
    let missing = scratch.store("gone");
    runtime().block_on(async {
        // Started with the old table missing altogether.
        let config = Config::new()
            .old(&missing)
            .unwrap()
            .new_store(&new)
            .unwrap();
        let running = Running::start(config.primary(Side::New)).await;
        let mut client = running.client().await;
        assert_eq!(client.put(1, &customer(1, "Ada")).await.0, 204);
        let (status, read) = client.get(1).await;
        assert_eq!((status, &read["name"]["first"]), (200, &json!("Ada")));
        let counts = client.counts().await;
        assert_eq!(counts["secondary_open"], false, "{counts}");
        assert_eq!(counts["writes"]["written"], 1, "{counts}");
        running.stop().await;

        // Both open; the old one dropped once it is no longer written.
        let config = Config::new().old(&old).unwrap().new_store(&new).unwrap();
        let running = Running::start(config).await;
        let mut client = running.client().await;
        client.admin("mode", json!({"mode": "both"})).await;
        assert_eq!(client.put(2, &customer(2, "Grace")).await.0, 204);
        client.admin("reads", json!({"share": 1.0})).await;
        let status = client
            .admin("mode", json!({"mode": "off", "primary": "new"}))
            .await;
        assert_eq!(
            (&status["primary"], &status["mode"]),
            (&json!("new"), &json!("off"))
        );
        let pool = sqlx::PgPool::connect(&upcast_demo::pg::url())
            .await
            .unwrap();
        let drop = format!("DROP TABLE {}.old", scratch.schema);
        sqlx::raw_sql(&drop).execute(&pool).await.unwrap();
        pool.close().await;
        for id in 3..6 {
            let (status, answer) = client.put(id, &customer(id, "Edsger")).await;
            assert_eq!(status, 204, "mode off needs no old table: {answer}");
        }
        assert_eq!(client.send("DELETE", "/customers/2", None).await.0, 204);
        let (status, read) = client.get(5).await;
        assert_eq!((status, &read["name"]["first"]), (200, &json!("Edsger")));
        let (status, answer) = client.get(2).await;
        assert_eq!(
            status, 404,
            "a key the new table lacks is not looked for in the old: {answer}"
        );
        let counts = client.counts().await;
        assert_eq!(counts["writes"]["refused"], 0, "{counts}");
        running.stop().await;
    });
}

/// Regression: in shadow mode a missing new table failed every write, and the counts
/// said nothing of why.
#[test]
fn shadow_writes_go_on_without_the_new_table_and_count_its_failures() {
    let Some(mut scratch) = scratch("shop_shadow") else {
        return;
    };
    table(&mut scratch, "old");
    table(&mut scratch, "new");
    let (old, new, missing) = (
        scratch.store("old"),
        scratch.store("new"),
        scratch.store("gone"),
    );
    runtime().block_on(async {
        // The new table never opened.
        let config = Config::new()
            .old(&old)
            .unwrap()
            .new_store(&missing)
            .unwrap();
        let running = Running::start(config).await;
        let mut client = running.client().await;
        let status = client.admin("mode", json!({"mode": "shadow"})).await;
        assert_eq!(status["mode"], "shadow", "{status}");
        for id in 1..=3 {
            assert_eq!(client.put(id, &customer(id, "Ada")).await.0, 204);
        }
        let counts = client.counts().await;
        assert_eq!(counts["writes"]["written"], 3, "{counts}");
        assert_eq!(counts["writes"]["secondary_failures"], 3, "{counts}");
        assert!(
            counts["writes"]["last_secondary_error"].is_string(),
            "{counts}"
        );
        let (status, refusal) = client
            .send("POST", "/admin/mode", Some(&json!({"mode": "both"})))
            .await;
        assert_eq!(status, 409, "`both` needs the new table: {refusal}");
        assert!(
            refusal["error"].as_str().unwrap().contains("does not open"),
            "{refusal}"
        );
        running.stop().await;

        // The new table dropped while the service writes it.
        let config = Config::new().old(&old).unwrap().new_store(&new).unwrap();
        let running = Running::start(config).await;
        let mut client = running.client().await;
        client.admin("mode", json!({"mode": "shadow"})).await;
        assert_eq!(client.put(10, &customer(10, "Ada")).await.0, 204);
        let pool = sqlx::PgPool::connect(&upcast_demo::pg::url())
            .await
            .unwrap();
        let drop = format!("DROP TABLE {}.new", scratch.schema);
        sqlx::raw_sql(&drop).execute(&pool).await.unwrap();
        pool.close().await;
        for id in 11..=13 {
            let (status, answer) = client.put(id, &customer(id, "Grace")).await;
            assert_eq!(status, 204, "shadow writes go on: {answer}");
        }
        let counts = client.counts().await;
        let writes = &counts["writes"];
        assert_eq!(
            (&writes["written"], &writes["secondary_written"]),
            (&json!(4), &json!(1))
        );
        assert_eq!(writes["secondary_failures"], 3, "{counts}");
        let last = writes["last_secondary_error"].as_str().unwrap();
        assert!(last.contains("does not exist"), "{last}");
        client.admin("mode", json!({"mode": "both"})).await;
        let (status, answer) = client.put(14, &customer(14, "Barbara")).await;
        assert_eq!(
            status, 500,
            "`both` refuses what the new table cannot take: {answer}"
        );
        running.stop().await;
    });
}

#[test]
fn bad_requests_are_refused_with_the_reason() {
    let Some(mut scratch) = scratch("shop_bad") else {
        return;
    };
    table(&mut scratch, "old");
    let old = scratch.store("old");
    runtime().block_on(async {
        let running = Running::start(Config::new().old(&old).unwrap()).await;
        let mut client = running.client().await;
        let (status, answer) = client.get(404).await;
        assert_eq!(
            (status, answer),
            (404, json!({"error": "no customer `404`"}))
        );
        let (status, answer) = client
            .send("POST", "/admin/mode", Some(&json!({"mode": "twice"})))
            .await;
        assert_eq!(status, 400);
        assert_eq!(
            answer["error"],
            "unknown mode `twice`, expected one of `off`, `shadow`, `both`"
        );
        let (status, answer) = client
            .send("POST", "/admin/reads", Some(&json!({"share": 1.5})))
            .await;
        assert_eq!(status, 400);
        assert_eq!(
            answer["error"],
            "`share` must be between 0.0 and 1.0, got 1.5"
        );
        let (status, answer) = client.put(1, &json!({"name": "Ada"})).await;
        assert_eq!(status, 400, "{answer}");
        let (status, _) = client.send("GET", "/customers/not-a-number", None).await;
        assert_eq!(status, 400);
        let (status, answer) = client
            .send(
                "POST",
                "/admin/mode",
                Some(&json!({"mode": "off", "primary": "new"})),
            )
            .await;
        assert_eq!(status, 409, "no new table was given: {answer}");
        running.stop().await;
    });
}
