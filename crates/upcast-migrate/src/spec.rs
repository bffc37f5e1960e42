//! Store arguments: `sqlite:PATH?table=events`, `jsonl:PATH`,
//! `postgres://USER@HOST:PORT/DB?table=events`, `mysql://USER@HOST:PORT/DB?table=events`.

use std::fmt;
use std::path::PathBuf;

use url::Url;

use crate::Error;

/// A store named on the command line.
///
/// - `sqlite:PATH?table=events` with options `key=` (default `id`), `body=` (default
///   `body`) and `version=` (a version column: the external layout);
/// - `jsonl:PATH`: a JSON Lines file, copied and transformed into a new file beside it;
/// - `postgres://USER[:PASSWORD]@HOST[:PORT]/DB?table=events` (or `postgresql://`), with
///   the same options as SQLite; `table=schema.events` names a table outside `public`.
///   The driver's connection options (`sslmode=`, `connect_timeout=`,
///   `application_name=`, `password=`, ...) may be given among them: they stay in the
///   connection URL, [`TableSpec::database`].
/// - `mysql://USER[:PASSWORD]@HOST[:PORT]/DB?table=events`: a table of a MySQL or MariaDB
///   database, with the same options as SQLite (the table is named as it is, in `DB`).
///   The driver's connection options (`socket=`, `tcp_connect_timeout_ms=`, `compress=`,
///   `password=`, ...) may be given among them: they stay in the connection URL.
///
/// # Passwords
///
/// A password is never shown, by `Display`, `Debug`, an error or [`redacted`]: it is
/// `***` in the user part (`postgres://user:***@host/db`) and in any option whose name
/// says it holds a secret (`password=***`, `sslpassword=***`, `client_secret=***`).
///
/// A password may hold any character. Percent-encoded (`%2F`) it is always read right;
/// raw, it is read right wherever a URL can tell it from what follows, and otherwise the
/// store is refused with an error that says what to percent-encode and shows no part of
/// the password:
///
/// - in the user part, `@`, `:` and all else may be raw (the user part runs to the last
///   `@` before the host), but `/`, `?` and `#` end the host part of any URL, so they are
///   written `%2F`, `%3F` and `%23`; and an `@` after the host (in the database name or an
///   option) is written `%40`, as it could end a user part;
/// - in an option, `&` and `#` are written `%26` and `%23`;
/// - anywhere, a `%` before two hexadecimal digits is an escape: a `%` itself is `%25`.
///
/// ```
/// use upcast_migrate::StoreSpec;
///
/// let spec = StoreSpec::parse("sqlite:store.db?table=events&version=schema_version")?;
/// let StoreSpec::Sqlite(table) = &spec else { unreachable!() };
/// assert_eq!((table.table.as_str(), table.key.as_str(), table.version.as_deref()), ("events", "id", Some("schema_version")));
/// assert_eq!(StoreSpec::parse("jsonl:events.jsonl")?.to_string(), "jsonl:events.jsonl");
/// assert!(StoreSpec::parse("sqlite:store.db").is_err(), "a table is needed");
/// let pg = StoreSpec::parse("postgres://me:secret@db:5432/shop?table=app.events")?;
/// assert_eq!(pg.to_string(), "postgres://me:***@db:5432/shop?table=app.events");
/// assert!(!format!("{pg:?}").contains("secret"));
/// let StoreSpec::Postgres(table) = &pg else { unreachable!() };
/// assert_eq!(table.database, "postgres://me:secret@db:5432/shop");
/// let my = StoreSpec::parse("mysql://me:secret@db/shop?table=events&key=event_id")?;
/// assert_eq!(my.to_string(), "mysql://me:***@db/shop?table=events");
/// let StoreSpec::Mysql(table) = &my else { unreachable!() };
/// assert_eq!((table.database.as_str(), table.key.as_str()), ("mysql://me:secret@db/shop", "event_id"));
///
/// // Any character, raw where that is clear, percent-encoded where it is not.
/// let pg = StoreSpec::parse("postgres://me:p@ss:w%2Frd@db/shop?table=events&sslmode=disable")?;
/// assert_eq!(pg.to_string(), "postgres://me:***@db/shop?sslmode=disable&table=events");
/// let pg = StoreSpec::parse("postgres://me@db/shop?password=p%26ss&table=events")?;
/// assert_eq!(pg.to_string(), "postgres://me@db/shop?password=***&table=events");
/// let error = StoreSpec::parse("postgres://me:pa/ss@db/shop?table=events").unwrap_err();
/// assert!(error.to_string().contains("`%2F`"), "{error}");
/// assert!(!error.to_string().contains("ss@"), "{error}");
/// # Ok::<(), upcast_migrate::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreSpec {
    /// A table of an SQLite database, migrated in place.
    Sqlite(TableSpec),
    /// A JSON Lines file, copied into a new file.
    Jsonl(PathBuf),
    /// A table of a PostgreSQL database, migrated in place; `database` is the connection
    /// URL.
    Postgres(TableSpec),
    /// A table of a MySQL or MariaDB database, migrated in place; `database` is the
    /// connection URL.
    Mysql(TableSpec),
}

/// Where a table's records are: the table and its key, body and version columns.
///
/// Its `Debug` hides a password as `Display` does:
///
/// ```
/// let spec = upcast_migrate::StoreSpec::parse("postgres://me:secret@db/shop?table=events")?;
/// let upcast_migrate::StoreSpec::Postgres(table) = &spec else { unreachable!() };
/// assert!(format!("{table:?}").contains(r#"database: "postgres://me:***@db/shop""#));
/// # Ok::<(), upcast_migrate::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TableSpec {
    /// The database: a file path, or a connection URL with the connection options and
    /// the password, percent-encoded where the URL needs it (show it with [`redacted`]).
    pub database: String,
    /// The table.
    pub table: String,
    /// The key column.
    pub key: String,
    /// The body column.
    pub body: String,
    /// The version column, for records in the external layout.
    pub version: Option<String>,
}

impl fmt::Debug for TableSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A file's path as it is, a URL without its password.
        let database = match self.database.contains("://") {
            true => redacted(&self.database),
            false => self.database.clone(),
        };
        f.debug_struct("TableSpec")
            .field("database", &database)
            .field("table", &self.table)
            .field("key", &self.key)
            .field("body", &self.body)
            .field("version", &self.version)
            .finish()
    }
}

impl TableSpec {
    /// The store's name in reports: the URL, its password hidden, and the table (the same
    /// for MySQL).
    pub(crate) fn postgres_name(&self) -> String {
        let url = redacted(&self.database);
        let joint = if url.contains('?') { '&' } else { '?' };
        format!("{url}{joint}table={}", self.table)
    }
}

const FORMS: &str = "expected `sqlite:PATH?table=NAME`, `jsonl:PATH` or \
                     `postgres://USER@HOST/DB?table=NAME`";

/// The options of the engine, for every table store.
const TABLE_OPTIONS: [&str; 4] = ["table", "key", "body", "version"];

/// The connection options the PostgreSQL driver reads from a URL.
const CONNECTION_OPTIONS: [&str; 19] = [
    "user",
    "password",
    "dbname",
    "options",
    "application_name",
    "sslmode",
    "sslnegotiation",
    "host",
    "hostaddr",
    "port",
    "connect_timeout",
    "tcp_user_timeout",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_retries",
    "target_session_attrs",
    "channel_binding",
    "load_balance_hosts",
];

/// The connection options the MySQL driver reads from a URL.
const MYSQL_OPTIONS: [&str; 14] = [
    "user",
    "password",
    "socket",
    "prefer_socket",
    "compress",
    "tcp_connect_timeout_ms",
    "tcp_keepalive_time_ms",
    "tcp_keepalive_probe_interval_secs",
    "tcp_keepalive_probe_count",
    "tcp_user_timeout_ms",
    "stmt_cache_size",
    "max_allowed_packet",
    "secure_auth",
    "enable_cleartext_plugin",
];

/// A driver's connection options, and a few of them to name in an error.
struct Driver {
    options: &'static [&'static str],
    examples: &'static str,
}

const POSTGRES: Driver = Driver {
    options: &CONNECTION_OPTIONS,
    examples: "`sslmode`, `connect_timeout`",
};

const MYSQL: Driver = Driver {
    options: &MYSQL_OPTIONS,
    examples: "`socket`, `tcp_connect_timeout_ms`",
};

/// Words in the names of options that hold secrets (`password`, `sslpassword`,
/// `passfile`, `client_secret`, `api_token`, ...).
const SECRET_WORDS: [&str; 8] = [
    "pass",
    "pwd",
    "secret",
    "token",
    "credential",
    "private",
    "apikey",
    "api_key",
];

/// Why a URL that cannot tell a password from what follows is refused.
const AMBIGUOUS: &str = "an `@` follows a `/`, `?` or `#`, so where a password ends is \
                         unclear: percent-encode `/`, `?` and `#` in the user and password \
                         (`%2F`, `%3F`, `%23`) and `@` in the database name and options (`%40`)";

impl StoreSpec {
    /// Parses a store argument.
    ///
    /// See the example on [`StoreSpec`].
    pub fn parse(text: &str) -> Result<Self, Error> {
        if let Some(rest) = text.strip_prefix("sqlite:") {
            let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
            if path.is_empty() {
                return Err(spec_error(text, "the database path is empty"));
            }
            let (spec, _) = table(text, path.to_owned(), query, None)?;
            return Ok(StoreSpec::Sqlite(spec));
        }
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            return postgres(text).map(StoreSpec::Postgres);
        }
        if text.starts_with("mysql://") {
            return mysql(text).map(StoreSpec::Mysql);
        }
        if let Some(path) = text.strip_prefix("jsonl:") {
            if path.is_empty() || path.contains('?') {
                return Err(spec_error(text, "expected `jsonl:PATH`, with no options"));
            }
            return Ok(StoreSpec::Jsonl(PathBuf::from(path)));
        }
        Err(spec_error(text, FORMS))
    }
}

/// A PostgreSQL store: the URL, read by the `url` crate, less the engine's options, and
/// checked by the driver.
fn postgres(text: &str) -> Result<TableSpec, Error> {
    let url = unambiguous(text).map_err(|reason| spec_error(text, reason))?;
    let query = url.query().unwrap_or("");
    let (mut spec, connection) = table(text, String::new(), query, Some(&POSTGRES))?;
    let connection = connection.join("&");
    let mut database = url.clone();
    database.set_query((!connection.is_empty()).then_some(connection.as_str()));
    #[cfg(feature = "postgres")]
    if let Err(error) = database.as_str().parse::<postgres::Config>() {
        let words = crate::error::postgres_message(&error);
        return Err(spec_error(text, format!("the driver refuses it: {words}")));
    }
    spec.database = database.into();
    Ok(spec)
}

/// A MySQL store: the URL, read by the `url` crate, less the engine's options, and
/// checked by the driver.
fn mysql(text: &str) -> Result<TableSpec, Error> {
    let url = unambiguous(text).map_err(|reason| spec_error(text, reason))?;
    if url.path().trim_start_matches('/').is_empty() {
        let reason = "name the database: `mysql://USER@HOST/DB?table=NAME`";
        return Err(spec_error(text, reason));
    }
    let query = url.query().unwrap_or("");
    let (mut spec, connection) = table(text, String::new(), query, Some(&MYSQL))?;
    let connection = connection.join("&");
    let mut database = url.clone();
    database.set_query((!connection.is_empty()).then_some(connection.as_str()));
    #[cfg(feature = "mysql")]
    if let Err(error) = mysql::Opts::from_url(database.as_str()) {
        let words = match error {
            // Its value is not shown: it may be a secret.
            mysql::UrlError::InvalidValue(name, _) => format!("invalid value of `{name}`"),
            other => other.to_string(),
        };
        return Err(spec_error(text, format!("the driver refuses it: {words}")));
    }
    spec.database = database.into();
    Ok(spec)
}

/// A URL whose parts cannot be misread: none of a password can be taken for the host, the
/// database or an option.
fn unambiguous(text: &str) -> Result<Url, String> {
    let rest = text.split_once("://").map_or(text, |(_, rest)| rest);
    if ambiguous(rest) {
        return Err(AMBIGUOUS.to_owned());
    }
    let url = Url::parse(text).map_err(|error| format!("not a URL: {error}"))?;
    if url.path().contains('@') || url.query().is_some_and(|query| query.contains('@')) {
        return Err(AMBIGUOUS.to_owned());
    }
    if url.fragment().is_some() {
        return Err("a store has no `#` part: percent-encode `#` as `%23`".to_owned());
    }
    Ok(url)
}

/// The options after `?`: `table=` (required), `key=`, `body=`, `version=`, and with
/// `driver` (a URL) the driver's options, returned as written. Names and values are
/// percent-decoded in a URL.
fn table<'q>(
    text: &str,
    database: String,
    query: &'q str,
    driver: Option<&Driver>,
) -> Result<(TableSpec, Vec<&'q str>), Error> {
    let connection = driver.is_some();
    let mut spec = TableSpec {
        database,
        table: String::new(),
        key: "id".to_owned(),
        body: "body".to_owned(),
        version: None,
    };
    let mut passed = Vec::new();
    let mut secret = "";
    for option in options(query, connection) {
        if option.rest {
            return Err(spec_error(
                text,
                format!(
                    "an option follows `{secret}` without being one: percent-encode `&` in \
                     a secret as `%26`"
                ),
            ));
        }
        if option.secret {
            secret = option.raw.split('=').next().unwrap_or_default();
        }
        let Some(value) = option.value else {
            let found = match option.secret {
                true => "an option without `=`".to_owned(),
                false => format!("`{}`", option.raw),
            };
            return Err(spec_error(
                text,
                format!("expected `name=value`, found {found}"),
            ));
        };
        let name = option.name.as_str();
        if value.is_empty() {
            return Err(spec_error(text, format!("the option `{name}` is empty")));
        }
        let value = match connection {
            true => decoded(value),
            false => value.to_owned(),
        };
        match name {
            "table" => spec.table = value,
            "key" => spec.key = value,
            "body" => spec.body = value,
            "version" => spec.version = Some(value),
            name if driver.is_some_and(|driver| driver.options.contains(&name)) => {
                passed.push(option.raw)
            }
            other => {
                let more = match driver {
                    Some(driver) => format!(" or a connection option such as {}", driver.examples),
                    None => String::new(),
                };
                return Err(spec_error(
                    text,
                    format!(
                        "unknown option `{other}`, expected one of `table`, `key`, `body`, \
                         `version`{more}"
                    ),
                ));
            }
        }
    }
    if spec.table.is_empty() {
        return Err(spec_error(text, "name the table: `?table=NAME`"));
    }
    Ok((spec, passed))
}

/// One `name=value` of a query.
struct Opt<'q> {
    /// As written.
    raw: &'q str,
    /// The name (percent-decoded in a URL).
    name: String,
    /// The value as written, if there is a `=`.
    value: Option<&'q str>,
    /// Whether it holds a secret: its name says so, or it is the `rest`.
    secret: bool,
    /// What follows a secret without being an option: the rest of the secret, cut at a
    /// raw `&`.
    rest: bool,
}

/// The options of a query, each marked secret or not.
fn options(query: &str, url: bool) -> Vec<Opt<'_>> {
    let mut options: Vec<Opt<'_>> = Vec::new();
    for raw in query.split('&').filter(|raw| !raw.is_empty()) {
        let (name, value) = match raw.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (raw, None),
        };
        let name = match url {
            true => decoded(name),
            false => name.to_owned(),
        };
        let known = value.is_some()
            && (TABLE_OPTIONS.contains(&name.as_str())
                || CONNECTION_OPTIONS.contains(&name.as_str())
                || MYSQL_OPTIONS.contains(&name.as_str()));
        let rest = !known && options.last().is_some_and(|last| last.secret);
        options.push(Opt {
            raw,
            secret: rest || is_secret(&name),
            name,
            value,
            rest,
        });
    }
    options
}

/// Whether an option of this name holds a secret.
fn is_secret(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    SECRET_WORDS.iter().any(|word| name.contains(word))
}

/// `text` with its `%XX` escapes decoded (invalid UTF-8 replaced).
fn decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while let Some(&byte) = bytes.get(at) {
        let escape = match (byte, bytes.get(at + 1..at + 3)) {
            (b'%', Some(&[high, low])) => hex(high).zip(hex(low)),
            _ => None,
        };
        match escape {
            Some((high, low)) => {
                out.push((high << 4) | low);
                at += 3;
            }
            None => {
                out.push(byte);
                at += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(digit: u8) -> Option<u8> {
    char::from(digit)
        .to_digit(16)
        .and_then(|value| u8::try_from(value).ok())
}

/// An invalid store argument, shown with its passwords hidden: a file's path as it is,
/// a URL as [`redacted`] shows it.
fn spec_error(text: &str, reason: impl Into<String>) -> Error {
    let file = ["sqlite:", "jsonl:"]
        .iter()
        .any(|scheme| text.starts_with(scheme) && !text.contains("://"));
    let spec = match (file, text.split_once('?')) {
        (true, Some((path, query))) => format!("{path}?{}", masked(query, false)),
        (true, None) => text.to_owned(),
        (false, _) => redacted(text),
    };
    Error::Spec {
        spec,
        reason: reason.into(),
    }
}

impl StoreSpec {
    /// The backend the store needs, as its cargo feature names it (capitalized).
    ///
    /// ```
    /// let spec = upcast_migrate::StoreSpec::parse("postgres://me@db/shop?table=events")?;
    /// assert_eq!(spec.backend(), "PostgreSQL");
    /// # Ok::<(), upcast_migrate::Error>(())
    /// ```
    pub fn backend(&self) -> &'static str {
        match self {
            StoreSpec::Sqlite(_) => "SQLite",
            StoreSpec::Jsonl(_) => "JSON Lines",
            StoreSpec::Postgres(_) => "PostgreSQL",
            StoreSpec::Mysql(_) => "MySQL",
        }
    }
}

impl fmt::Display for StoreSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreSpec::Sqlite(spec) => write!(f, "sqlite:{}?table={}", spec.database, spec.table),
            StoreSpec::Jsonl(path) => write!(f, "jsonl:{}", path.display()),
            StoreSpec::Postgres(spec) | StoreSpec::Mysql(spec) => {
                f.write_str(&spec.postgres_name())
            }
        }
    }
}

/// `text`, a connection URL or a store argument, with every password in it replaced by
/// `***`: the one in the user part, and the value of any option whose name says it holds
/// a secret. Where a URL cannot tell a password from what follows (see [`StoreSpec`]),
/// all of it after the scheme is hidden; text that is not a URL has its options hidden
/// the same way.
///
/// ```
/// use upcast_migrate::redacted;
/// assert_eq!(redacted("postgres://u:p%40ss@h/db"), "postgres://u:***@h/db");
/// assert_eq!(redacted("postgres://u@h/db"), "postgres://u@h/db");
/// assert_eq!(redacted("postgres://u:p@ss@h/db?password=x&table=t"), "postgres://u:***@h/db?password=***&table=t");
/// assert_eq!(redacted("postgres://u:pa/ss@h/db"), "postgres://***");
/// assert_eq!(redacted("sqlite:store.db?table=t&password=x"), "sqlite:store.db?table=t&password=***");
/// ```
pub fn redacted(text: &str) -> String {
    let Some((scheme, rest)) = text
        .split_once("://")
        .filter(|(scheme, _)| is_scheme(scheme))
    else {
        return match text.split_once('?') {
            Some((head, query)) => format!("{}?{}", hidden_words(head), masked(query, false)),
            None => hidden_words(text),
        };
    };
    if ambiguous(rest) {
        return format!("{scheme}://***");
    }
    match unambiguous(text) {
        Ok(url) => shown(&url, text),
        Err(_) => unparsed(scheme, rest),
    }
}

/// A parsed URL, its passwords hidden; `text` itself when there are none.
fn shown(url: &Url, text: &str) -> String {
    let query = url.query().unwrap_or("");
    let secret = options(query, true).iter().any(|option| option.secret);
    if url.password().is_none() && !secret {
        return text.to_owned();
    }
    let mut shown = format!("{}://", url.scheme());
    if !url.username().is_empty() || url.password().is_some() {
        shown.push_str(url.username());
        if url.password().is_some() {
            shown.push_str(":***");
        }
        shown.push('@');
    }
    shown.push_str(url.host_str().unwrap_or_default());
    if let Some(port) = url.port() {
        shown.push_str(&format!(":{port}"));
    }
    shown.push_str(url.path());
    if let Some(query) = url.query() {
        shown.push('?');
        shown.push_str(&masked(query, true));
    }
    shown
}

/// A query, the values of its secret options hidden.
fn masked(query: &str, url: bool) -> String {
    let mut shown: Vec<String> = Vec::new();
    for option in options(query, url) {
        match (option.secret, option.rest, option.value) {
            (false, _, _) => shown.push(option.raw.to_owned()),
            (true, true, _) => {}
            (true, false, Some(_)) => {
                let name = option.raw.split('=').next().unwrap_or_default();
                shown.push(format!("{name}=***"));
            }
            (true, false, None) => shown.push("***".to_owned()),
        }
    }
    shown.join("&")
}

/// A URL the `url` crate refuses, after `scheme://`, its passwords hidden: the user part
/// runs to the last `@` before the first `/`, `?` or `#`, as no `@` follows them.
fn unparsed(scheme: &str, rest: &str) -> String {
    let (authority, tail) = rest.split_at(rest.find(['/', '?', '#']).unwrap_or(rest.len()));
    let (user, host) = match authority.rsplit_once('@') {
        Some((user_info, host)) => match user_info.split_once(':') {
            Some((user, _)) => (format!("{user}:***@"), host),
            None => (format!("{user_info}@"), host),
        },
        None => (String::new(), authority),
    };
    let (tail, fragment) = match tail.split_once('#') {
        Some((tail, _)) => (tail, "#***"),
        None => (tail, ""),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => format!("{path}?{}", masked(query, true)),
        None => tail.to_owned(),
    };
    format!("{scheme}://{user}{host}{tail}{fragment}")
}

/// Text that is not a URL, hidden from its first secret or its user part on.
fn hidden_words(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let secret = SECRET_WORDS
        .iter()
        .filter_map(|word| lower.find(word))
        .min();
    if let Some(at) = secret {
        let end = text[at..].find(['=', ':']).map_or(at, |end| at + end + 1);
        return format!("{}***", &text[..end]);
    }
    match text.rsplit_once('@') {
        Some((_, host)) => format!("***@{host}"),
        None => text.to_owned(),
    }
}

/// Whether an `@` follows the end of the host part (after `scheme://`): then a `/`, `?`
/// or `#` may be in a password, or an `@` elsewhere may end a user part.
fn ambiguous(rest: &str) -> bool {
    rest.find(['/', '?', '#'])
        .is_some_and(|end| rest[end..].contains('@'))
}

fn is_scheme(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_alphabetic())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The two halves of every password: what is shown may hold neither.
    const LEFT: &str = "Lq7w";
    const RIGHT: &str = "Rk3z";

    /// What stands between the halves: nothing (letters and digits), each printable ASCII
    /// character that is not one, a space, non-ASCII, and percent escapes.
    fn middles() -> Vec<String> {
        let mut middles = vec![
            String::new(),
            "é€".to_owned(),
            "%2F".to_owned(),
            "%41".to_owned(),
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

    /// A store argument with `password` in the user part or an option, and what follows
    /// its options (a wrong one, or none).
    fn forms(password: &str) -> Vec<String> {
        let encoded = encoded(password);
        vec![
            format!("postgres://me:{password}@db.example:5432/shop?table=events"),
            format!("postgres://me:{encoded}@db.example:5432/shop?table=events"),
            format!("postgresql://me@db.example/shop?table=app.events&password={password}"),
            format!("postgres://me@db.example/shop?password={encoded}&table=events"),
            format!("postgres://me@db.example/shop?table=events&sslpassword={password}"),
            format!("postgres://me@db.example/shop?client_secret={encoded}&table=events"),
        ]
    }

    /// Each form, right and with each kind of mistake.
    fn arguments(password: &str) -> Vec<String> {
        let mut arguments = Vec::new();
        for form in forms(password) {
            let wrong = [
                form.replacen("?table=", "?tables=", 1),
                form.replacen("table=", "bogus=1&table=", 1),
                form.replacen("table=", "key=&table=", 1),
                form.replacen("table=", "oops&table=", 1),
                form.replacen("table=events", "key=id", 1),
                form.replacen("db.example:5432", "db.example:99999", 1),
                form.replacen("db.example", "[::1", 1),
                format!("{form}&sslmode=bogus"),
                format!("{form}#fragment"),
            ];
            arguments.push(form);
            arguments.extend(wrong);
        }
        arguments
    }

    /// Everything the crate shows of a store argument: its parse's Display and Debug or
    /// its error's, and `redacted` of it and of its URL alone.
    fn shown(argument: &str) -> Vec<String> {
        let mut shown = vec![redacted(argument)];
        if let Some((url, _)) = argument.split_once("?table") {
            shown.push(redacted(url));
        }
        match StoreSpec::parse(argument) {
            Ok(spec) => {
                shown.push(spec.to_string());
                shown.push(format!("{spec:?}"));
                shown.push(format!("{spec:#?}"));
            }
            Err(error) => {
                shown.push(error.to_string());
                shown.push(format!("{error:?}"));
            }
        }
        shown
    }

    #[test]
    fn no_password_of_any_character_is_shown() {
        for middle in middles() {
            let password = format!("{LEFT}{middle}{RIGHT}");
            for argument in arguments(&password) {
                for text in shown(&argument) {
                    assert!(
                        !text.contains(LEFT) && !text.contains(RIGHT),
                        "a password ({password:?}) is shown: {text:?}, of {argument:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_password_of_any_character_reaches_the_driver_intact() {
        for middle in middles() {
            let password = format!("{LEFT}{middle}{RIGHT}");
            let escape = middle.starts_with('%') && middle.len() == 3;
            for (n, argument) in forms(&password).iter().enumerate() {
                let raw = n % 2 == 0;
                if n >= 4 || (raw && escape) {
                    continue;
                }
                let spec = match StoreSpec::parse(argument) {
                    Ok(StoreSpec::Postgres(spec)) => spec,
                    Ok(other) => panic!("{argument:?} is not PostgreSQL: {other}"),
                    Err(error) => {
                        let reason = error.to_string();
                        assert!(
                            raw && reason.contains("percent-encode"),
                            "{argument:?} is refused: {reason}"
                        );
                        continue;
                    }
                };
                let config: postgres::Config = match spec.database.parse() {
                    Ok(config) => config,
                    Err(error) => panic!("the driver refuses {argument:?}: {error}"),
                };
                assert_eq!(
                    config.get_password(),
                    Some(password.as_bytes()),
                    "the password of {argument:?}"
                );
                assert_eq!(config.get_user(), Some("me"), "{argument:?}");
                assert_eq!(config.get_dbname(), Some("shop"), "{argument:?}");
            }
        }
    }

    #[test]
    fn a_password_is_shown_as_stars_where_it_was() {
        let spec = StoreSpec::parse("postgres://me:s%2Fcret@db:5432/shop?table=app.events");
        assert_eq!(
            spec.map(|spec| spec.to_string()).ok().as_deref(),
            Some("postgres://me:***@db:5432/shop?table=app.events")
        );
        let spec =
            StoreSpec::parse("postgres://me@db/shop?password=s3cret&table=events&sslmode=disable");
        assert_eq!(
            spec.map(|spec| spec.to_string()).ok().as_deref(),
            Some("postgres://me@db/shop?password=***&sslmode=disable&table=events")
        );
        assert_eq!(redacted("postgres://u:p@ss@h/db"), "postgres://u:***@h/db");
        assert_eq!(redacted("postgres://u:pa/ss@h/db"), "postgres://***");
        assert_eq!(
            redacted("sqlite:store.db?table=t"),
            "sqlite:store.db?table=t"
        );
        assert_eq!(
            redacted("postgres://u:p@ss@h:99999/db?table=t&password=x#y"),
            "postgres://u:***@h:99999/db?table=t&password=***#***"
        );
        assert_eq!(redacted("host=h password=x port=1"), "host=h password=***");
        let error = StoreSpec::parse("postgres://u@h:99999/db?table=t").map(|_| ());
        assert_eq!(
            error.map_err(|error| error.to_string()),
            Err(
                "invalid store `postgres://u@h:99999/db?table=t`: not a URL: invalid port number"
                    .into()
            )
        );
    }

    /// `argument` as a MySQL store argument.
    fn as_mysql(argument: &str) -> String {
        argument
            .replacen("postgresql://", "mysql://", 1)
            .replacen("postgres://", "mysql://", 1)
    }

    #[test]
    fn no_mysql_password_of_any_character_is_shown() {
        for middle in middles() {
            let password = format!("{LEFT}{middle}{RIGHT}");
            for argument in arguments(&password) {
                let argument = as_mysql(&argument);
                for text in shown(&argument) {
                    assert!(
                        !text.contains(LEFT) && !text.contains(RIGHT),
                        "a password ({password:?}) is shown: {text:?}, of {argument:?}"
                    );
                }
            }
        }
    }

    #[cfg(feature = "mysql")]
    #[test]
    fn a_mysql_password_of_any_character_reaches_the_driver_intact() {
        for middle in middles() {
            let password = format!("{LEFT}{middle}{RIGHT}");
            let encoded = encoded(&password);
            for argument in [
                format!("mysql://me:{encoded}@db.example:3306/shop?table=events"),
                format!("mysql://me@db.example/shop?password={encoded}&table=events"),
            ] {
                let spec = match StoreSpec::parse(&argument) {
                    Ok(StoreSpec::Mysql(spec)) => spec,
                    other => panic!("{argument:?} is not a MySQL store: {other:?}"),
                };
                let opts = mysql::Opts::from_url(&spec.database);
                let opts = opts.unwrap_or_else(|error| panic!("{argument:?}: {error}"));
                assert_eq!(opts.get_pass(), Some(password.as_str()), "{argument:?}");
                assert_eq!(opts.get_user(), Some("me"), "{argument:?}");
                assert_eq!(opts.get_db_name(), Some("shop"), "{argument:?}");
            }
        }
    }

    #[test]
    fn a_mysql_store_keeps_its_options_and_the_drivers() {
        let argument = "mysql://me:s3cret@db:3307/shop?table=events&body=data&version=v\
                        &tcp_connect_timeout_ms=500";
        let Ok(StoreSpec::Mysql(spec)) = StoreSpec::parse(argument) else {
            panic!("{argument:?} is a MySQL store");
        };
        assert_eq!(
            spec.database,
            "mysql://me:s3cret@db:3307/shop?tcp_connect_timeout_ms=500"
        );
        assert_eq!((spec.table.as_str(), spec.key.as_str()), ("events", "id"));
        assert_eq!(
            (spec.body.as_str(), spec.version.as_deref()),
            ("data", Some("v"))
        );
        assert_eq!(
            StoreSpec::parse(argument)
                .map(|spec| spec.to_string())
                .ok()
                .as_deref(),
            Some("mysql://me:***@db:3307/shop?tcp_connect_timeout_ms=500&table=events")
        );
    }

    #[test]
    fn a_mysql_store_names_its_database_table_and_known_options() {
        for (argument, expected) in [
            ("mysql://me@db?table=events", "name the database"),
            ("mysql://me@db/?table=events", "name the database"),
            ("mysql://me@db/shop", "name the table"),
            ("mysql://me@db/shop?table=t&sslmode=off", "such as `socket`"),
        ] {
            let error = StoreSpec::parse(argument).map(|spec| spec.to_string());
            let error = error
                .err()
                .map(|error| error.to_string())
                .unwrap_or_default();
            assert!(error.contains(expected), "{argument:?}: {error:?}");
        }
    }

    #[test]
    fn an_ambiguous_password_is_refused_with_what_to_do() {
        for (argument, escape) in [
            ("postgres://me:Lq7w/Rk3z@db/shop?table=events", "%2F"),
            ("postgres://me:Lq7w?Rk3z@db/shop?table=events", "%3F"),
            ("postgres://me:Lq7w#Rk3z@db/shop?table=events", "%23"),
            (
                "postgres://me@db/shop?table=events&password=Lq7w#Rk3z",
                "%23",
            ),
            (
                "postgres://me@db/shop?table=events&password=Lq7w&Rk3z",
                "%26",
            ),
        ] {
            let error = StoreSpec::parse(argument).map(|spec| spec.to_string());
            let reason = match error {
                Ok(shown) => panic!("{argument:?} is taken as {shown:?}"),
                Err(error) => error.to_string(),
            };
            assert!(reason.contains(escape), "{argument:?}: {reason}");
            assert!(
                !reason.contains(LEFT) && !reason.contains(RIGHT),
                "{argument:?}: {reason}"
            );
        }
    }
}
