//! What `upcast migrate` prints of a store it cannot use: never its password, whatever the
//! password holds and wherever it is given, and always the server's own words for why.
//!
//! The stores that fail on a server (a missing table, a missing database, a bad option)
//! need none: without one they fail to connect instead, which prints no password either.
//! The test that reads the server's words for a missing database is skipped without a
//! server, unless `UPCAST_REQUIRE_POSTGRES=1`.

use std::thread;

use upcast_demo::pg;

use super::postgres::scratch;
use super::support::migrate;

/// The two halves of every password: no output may hold either.
const LEFT: &str = "Lq7w";
const RIGHT: &str = "Rk3z";

/// What stands between the halves: nothing (letters and digits), each printable ASCII
/// character that is not one, a space, non-ASCII, and percent escapes.
fn middles() -> Vec<String> {
    let mut middles = vec![
        String::new(),
        "é€".to_owned(),
        "%2F".to_owned(),
        "%40".to_owned(),
    ];
    middles.extend(
        (b' '..=b'~')
            .filter(|byte| !byte.is_ascii_alphanumeric())
            .map(|byte| char::from(byte).to_string()),
    );
    middles
}

/// Every byte but `A-Za-z0-9-._~` as `%XX`.
fn encoded(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(byte).to_string()
            }
            byte => format!("%{byte:02X}"),
        })
        .collect()
}

/// `(user, host:port)` of the test server.
fn server() -> (String, String) {
    let url = pg::url();
    let rest = url.split_once("://").map_or(url.as_str(), |(_, rest)| rest);
    let authority = rest.split(['/', '?']).next().unwrap_or(rest);
    match authority.rsplit_once('@') {
        Some((user, host)) => {
            let user = user.split_once(':').map_or(user, |(user, _)| user);
            (user.to_owned(), host.to_owned())
        }
        None => ("postgres".to_owned(), authority.to_owned()),
    }
}

/// Stores that fail: `(what, host:port, database, table, more options)`.
fn failing() -> Vec<(
    &'static str,
    String,
    &'static str,
    &'static str,
    &'static str,
)> {
    let (_, host) = server();
    vec![
        ("refused", "127.0.0.1:1".to_owned(), "test", "t", ""),
        (
            "missing table",
            host.clone(),
            "test",
            "upcast_no_such_table",
            "",
        ),
        (
            "missing database",
            host.clone(),
            "upcast_no_such_db",
            "t",
            "",
        ),
        ("bad option", host, "test", "t", "&sslmode=bogus"),
    ]
}

/// The store, with `password` in the user part or an option, raw or percent-encoded.
fn forms(password: &str, host: &str, db: &str, table: &str, more: &str) -> Vec<String> {
    let (user, _) = server();
    let encoded = encoded(password);
    vec![
        format!("postgres://{user}:{password}@{host}/{db}?table={table}{more}"),
        format!("postgres://{user}:{encoded}@{host}/{db}?table={table}{more}"),
        format!("postgresql://{user}@{host}/{db}?table={table}&password={password}{more}"),
        format!("postgres://{user}@{host}/{db}?password={encoded}&table={table}{more}"),
        format!("postgres://{user}@{host}/{db}?table={table}{more}&sslpassword={password}"),
    ]
}

#[test]
fn no_password_of_any_character_is_printed_by_a_failing_store() {
    thread::scope(|scope| {
        for (what, host, db, table, more) in failing() {
            scope.spawn(move || {
                for middle in middles() {
                    let password = format!("{LEFT}{middle}{RIGHT}");
                    for store in forms(&password, &host, db, table, more) {
                        for args in [
                            vec!["status", store.as_str()],
                            vec![
                                "run",
                                "jsonl:upcast-no-such.jsonl",
                                "--into",
                                store.as_str(),
                            ],
                        ] {
                            let (code, out, err) = migrate(&args);
                            assert_eq!(code, 2, "{what}: {args:?}: {out}{err}");
                            for shown in [&out, &err] {
                                assert!(
                                    !shown.contains(LEFT) && !shown.contains(RIGHT),
                                    "{what}: a password ({password:?}) is printed: {shown:?}, \
                                     of {args:?}"
                                );
                                assert!(!shown.contains(&encoded(&password)), "{what}: {shown:?}");
                            }
                        }
                    }
                }
            });
        }
    });
}

#[test]
fn a_missing_database_is_named_in_the_servers_words() {
    let Some(_scratch) = scratch("secrets") else {
        return;
    };
    let (user, host) = server();
    let store = format!("postgres://{user}@{host}/upcast_no_such_db?table=t");
    for args in [
        vec!["status", store.as_str()],
        vec![
            "run",
            "jsonl:upcast-no-such.jsonl",
            "--into",
            store.as_str(),
        ],
    ] {
        let (code, out, err) = migrate(&args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(
            err.contains("database \"upcast_no_such_db\" does not exist"),
            "{args:?}: the server's words are missing: {err}"
        );
    }
}

#[test]
fn a_refused_connection_says_why() {
    let store = "postgres://postgres@127.0.0.1:1/test?table=t";
    for args in [
        vec!["status", store],
        vec!["run", "jsonl:upcast-no-such.jsonl", "--into", store],
    ] {
        let (code, out, err) = migrate(&args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(
            err.contains("Connection refused"),
            "{args:?}: the cause is missing: {err}"
        );
    }
}
