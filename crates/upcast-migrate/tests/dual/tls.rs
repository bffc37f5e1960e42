//! The dual-write plan over TLS: a private PostgreSQL 15 that refuses every connection
//! without TLS, a certificate authority of the test's own, and `sqlx` pools that verify
//! the server's certificate against it (`VerifyFull`, the address in the certificate).
//!
//! The instance lives in a folder of its own under `TMPDIR` and is stopped and removed
//! when the test ends, passed or panicked. Without the server binaries, `openssl` or the
//! `postgres` user the test says so and passes, unless `UPCAST_REQUIRE_POSTGRES=1`.

use std::fs;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions, PgSslMode};
use upcast_migrate::Key;
use upcast_migrate::dual::{DualWriter, Mode, SharedReader, Table};

use crate::support::Note;

/// Where Debian puts the PostgreSQL 15 server programs.
const BIN: &str = "/usr/lib/postgresql/15/bin";

/// The longest path of a Unix socket (`sun_path`, less its closing NUL).
const SOCKET_PATH_MAX: usize = 107;

/// A PostgreSQL instance of the test's own, serving TLS only; stopped and removed on drop.
struct Server {
    /// The instance's folder (owned by `postgres`): data, certificates, socket, log.
    dir: Option<tempfile::TempDir>,
    port: u16,
    /// Whether `pg_ctl start` was run, so drop stops it.
    started: bool,
    /// `TMPDIR` and its mode, when it had to be opened for `postgres` to pass through.
    opened: Option<(PathBuf, u32)>,
}

impl Server {
    /// Starts one, or `None` (said) where this machine cannot run one.
    fn start_or_skip() -> Option<Server> {
        let mut server = Server {
            dir: None,
            port: 0,
            started: false,
            opened: None,
        };
        match server.start() {
            Ok(()) => Some(server),
            Err(error) => {
                if std::env::var("UPCAST_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                    panic!(
                        "a private PostgreSQL 15 is required (UPCAST_REQUIRE_POSTGRES=1): {error}"
                    );
                }
                eprintln!("skipped: no private PostgreSQL 15 instance ({error})");
                None
            }
        }
    }

    fn dir(&self) -> &Path {
        self.dir.as_ref().expect("the instance's folder").path()
    }

    /// The certificate authority the server's certificate is signed by.
    fn ca(&self) -> PathBuf {
        self.dir().join("ca.crt")
    }

    fn start(&mut self) -> Result<(), String> {
        for program in ["initdb", "pg_ctl", "postgres"] {
            let path = Path::new(BIN).join(program);
            if !path.exists() {
                return Err(format!("`{}` is missing", path.display()));
            }
        }
        let uid = id("-u")?;
        let gid = id("-g")?;
        let tmp = std::env::temp_dir();
        let dir = tempfile::Builder::new()
            .prefix("upcast-tls-pg.")
            .tempdir_in(&tmp)
            .map_err(|error| format!("a folder in `{}`: {error}", tmp.display()))?;
        let path = dir.path().to_owned();
        self.dir = Some(dir);
        std::os::unix::fs::chown(&path, Some(uid), Some(gid))
            .map_err(|error| format!("chown `{}`: {error}", path.display()))?;
        self.reach(&tmp, &path)?;

        certificates(&path)?;
        for entry in fs::read_dir(&path).map_err(|error| error.to_string())? {
            let file = entry.map_err(|error| error.to_string())?.path();
            std::os::unix::fs::chown(&file, Some(uid), Some(gid))
                .map_err(|error| format!("chown `{}`: {error}", file.display()))?;
        }
        fs::set_permissions(path.join("server.key"), fs::Permissions::from_mode(0o600))
            .map_err(|error| format!("chmod the server's key: {error}"))?;

        let data = path.join("data");
        run(
            "initdb",
            as_postgres(&path, "initdb")
                .arg("-D")
                .arg(&data)
                .args(["-U", "postgres", "-A", "trust", "-E", "UTF8"])
                .args(["--locale=C", "--no-sync"]),
        )?;
        self.port = free_port()?;
        let socket = match path.as_os_str().len() + "/.s.PGSQL.65535".len() <= SOCKET_PATH_MAX {
            true => path.display().to_string(),
            // Too long a path for a socket: no Unix socket at all (pg_ctl does not need one).
            false => String::new(),
        };
        let settings = format!(
            "\n# The test's own instance: TLS on 127.0.0.1 only.\n\
             listen_addresses = '127.0.0.1'\n\
             port = {port}\n\
             unix_socket_directories = '{socket}'\n\
             ssl = on\n\
             ssl_cert_file = '{cert}'\n\
             ssl_key_file = '{key}'\n\
             fsync = off\n\
             max_connections = 30\n",
            port = self.port,
            cert = path.join("server.crt").display(),
            key = path.join("server.key").display(),
        );
        append(&data.join("postgresql.conf"), &settings)?;
        // No `host` line: a connection without TLS finds no entry and is refused.
        fs::write(
            data.join("pg_hba.conf"),
            "local all all trust\nhostssl all all 127.0.0.1/32 trust\n",
        )
        .map_err(|error| format!("pg_hba.conf: {error}"))?;

        self.started = true;
        let log = path.join("server.log");
        run(
            "pg_ctl start",
            as_postgres(&path, "pg_ctl")
                .arg("-D")
                .arg(&data)
                .arg("-l")
                .arg(&log)
                .args(["-w", "-t", "60", "start"]),
        )
        .map_err(|error| {
            let log = fs::read_to_string(&log).unwrap_or_default();
            format!("{error}\n--- server log ---\n{log}")
        })
    }

    /// Makes `dir` reachable by `postgres`: where `TMPDIR` itself is closed to others (a
    /// `mktemp -d`), it is opened for passing through (no listing) until drop.
    fn reach(&mut self, tmp: &Path, dir: &Path) -> Result<(), String> {
        if postgres_can("-w", dir) {
            return Ok(());
        }
        if !postgres_can("-x", tmp) {
            let mode = fs::metadata(tmp)
                .map_err(|error| error.to_string())?
                .permissions()
                .mode()
                & 0o7777;
            fs::set_permissions(tmp, fs::Permissions::from_mode(mode | 0o001))
                .map_err(|error| format!("chmod o+x `{}`: {error}", tmp.display()))?;
            self.opened = Some((tmp.to_owned(), mode));
        }
        match postgres_can("-w", dir) {
            true => Ok(()),
            false => Err(format!(
                "the user `postgres` cannot reach `{}`: a folder above `{}` is closed to it",
                dir.display(),
                tmp.display()
            )),
        }
    }

    /// The options of a connection to `database` that verifies the server's certificate.
    fn options(&self, database: &str) -> PgConnectOptions {
        PgConnectOptions::new()
            .host("127.0.0.1")
            .port(self.port)
            .username("postgres")
            .database(database)
            .ssl_mode(PgSslMode::VerifyFull)
            .ssl_root_cert(self.ca())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let (true, Some(dir)) = (self.started, self.dir.as_ref()) {
            let data = dir.path().join("data");
            let stopped = run(
                "pg_ctl stop",
                as_postgres(dir.path(), "pg_ctl")
                    .arg("-D")
                    .arg(&data)
                    .args(["-m", "immediate", "-w", "-t", "30", "stop"]),
            );
            if let Err(error) = stopped {
                eprintln!("{error}");
                // The postmaster this test started, by the id it wrote.
                let pid = fs::read_to_string(data.join("postmaster.pid")).unwrap_or_default();
                if let Some(pid) = pid.lines().next().filter(|pid| !pid.is_empty()) {
                    let _ = Command::new("kill").args(["-KILL", pid]).output();
                }
            }
        }
        if let Some(dir) = self.dir.take() {
            let shown = dir.path().display().to_string();
            if let Err(error) = dir.close() {
                eprintln!("could not remove `{shown}`: {error}");
            }
        }
        if let Some((tmp, mode)) = self.opened.take()
            && let Err(error) = fs::set_permissions(&tmp, fs::Permissions::from_mode(mode))
        {
            eprintln!("could not restore the mode of `{}`: {error}", tmp.display());
        }
    }
}

/// The `postgres` user's id (`-u`) or group (`-g`).
fn id(which: &str) -> Result<u32, String> {
    let output = output("id", Command::new("id").args([which, "postgres"]))?;
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .map_err(|error| format!("id {which} postgres: {error}"))
}

/// Whether `postgres` passes `test FLAG path`.
fn postgres_can(flag: &str, path: &Path) -> bool {
    Command::new("runuser")
        .args(["-u", "postgres", "--", "test", flag])
        .arg(path)
        .output()
        .is_ok_and(|output| output.status.success())
}

/// A server program run as `postgres`, in `dir` (the test's own folder may be closed to it).
fn as_postgres(dir: &Path, program: &str) -> Command {
    let mut command = Command::new("runuser");
    command
        .args(["-u", "postgres", "--"])
        .arg(Path::new(BIN).join(program))
        .current_dir(dir);
    command
}

fn output(what: &str, command: &mut Command) -> Result<Output, String> {
    let output = command
        .output()
        .map_err(|error| format!("`{what}` could not run: {error}"))?;
    if !output.status.success() {
        return Err(format!(
            "`{what}` failed ({}): {}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(output)
}

fn run(what: &str, command: &mut Command) -> Result<(), String> {
    output(what, command).map(drop)
}

fn append(path: &Path, text: &str) -> Result<(), String> {
    use std::io::Write;
    fs::OpenOptions::new()
        .append(true)
        .open(path)
        .and_then(|mut file| file.write_all(text.as_bytes()))
        .map_err(|error| format!("`{}`: {error}", path.display()))
}

/// A port nobody listens on now.
fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .map_err(|error| format!("a free port: {error}"))
}

/// In `dir`: a certificate authority (`ca.crt`) and the server's key and certificate for
/// 127.0.0.1 signed by it (`server.key`, `server.crt`), P-256, valid two days.
fn certificates(dir: &Path) -> Result<(), String> {
    let openssl =
        |what: &str, args: &[&str]| run(what, Command::new("openssl").args(args).current_dir(dir));
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    openssl(
        "openssl req (the authority)",
        &[
            &["req", "-x509"][..],
            &ec,
            &["-keyout", "ca.key", "-out", "ca.crt", "-days", "2"],
            &["-subj", "/CN=upcast test authority"],
        ]
        .concat(),
    )?;
    openssl(
        "openssl req (the server)",
        &[
            &["req", "-new"][..],
            &ec,
            &["-keyout", "server.key", "-out", "server.csr"],
            &["-subj", "/CN=127.0.0.1"],
        ]
        .concat(),
    )?;
    fs::write(
        dir.join("server.ext"),
        "subjectAltName = IP:127.0.0.1\n\
         basicConstraints = critical, CA:FALSE\n\
         keyUsage = critical, digitalSignature\n\
         extendedKeyUsage = serverAuth\n",
    )
    .map_err(|error| format!("server.ext: {error}"))?;
    openssl(
        "openssl x509 (sign the server's certificate)",
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.crt",
            "-days",
            "2",
            "-extfile",
            "server.ext",
        ],
    )
}

#[test]
fn dual_writes_and_shared_reads_over_verified_tls() {
    let Some(server) = Server::start_or_skip() else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(over_tls(&server));
}

async fn over_tls(server: &Server) {
    // Without TLS the server finds no entry for the connection and refuses it.
    let plain = server.options("postgres").ssl_mode(PgSslMode::Disable);
    let refused = PgConnection::connect_with(&plain)
        .await
        .expect_err("a connection without TLS is refused");
    assert!(
        refused.to_string().contains("no encryption"),
        "refused for another reason: {refused}"
    );
    // Verification is on: a client that does not trust the test's authority is refused.
    let untrusting = PgConnectOptions::new()
        .host("127.0.0.1")
        .port(server.port)
        .username("postgres")
        .database("postgres")
        .ssl_mode(PgSslMode::VerifyFull);
    PgConnection::connect_with(&untrusting)
        .await
        .expect_err("a certificate of an unknown authority is refused");

    let pool = pool_to(server, "postgres").await;
    sqlx::raw_sql(
        "CREATE TABLE notes_old (id bigint PRIMARY KEY, body jsonb NOT NULL); \
         CREATE TABLE notes_new (id bigint PRIMARY KEY, body jsonb NOT NULL)",
    )
    .execute(&pool)
    .await
    .expect("tables");
    sqlx::raw_sql("CREATE DATABASE second")
        .execute(&pool)
        .await
        .expect("a second database");
    let second = pool_to(server, "second").await;
    sqlx::raw_sql("CREATE TABLE notes (id bigint PRIMARY KEY, body jsonb NOT NULL)")
        .execute(&second)
        .await
        .expect("a table in the second database");

    let old = Table::open(pool.clone(), "notes_old", "id", "body")
        .await
        .expect("open notes_old");
    let new = Table::open(pool.clone(), "notes_new", "id", "body")
        .await
        .expect("open notes_new");
    let far = Table::open(second.clone(), "notes", "id", "body")
        .await
        .expect("open the second database's notes");
    assert_eq!(
        old.name(),
        format!("postgres://127.0.0.1:{}/postgres/notes_old", server.port)
    );

    // One database: one transaction. Two databases: the secondary first, then the primary.
    let beside = DualWriter::new(old.clone()).secondary(new.clone());
    let apart = DualWriter::new(old.clone()).secondary(far.clone());
    beside.switch().set(Mode::Both);
    apart.switch().set(Mode::Both);
    for n in 1..=3 {
        let note = Note::new("over tls", n);
        beside
            .write(&Key::Int(n as i64), &note)
            .await
            .expect("write");
    }
    beside.delete::<Note>(&Key::Int(3)).await.expect("delete");
    apart
        .write(&Key::Int(10), &Note::new("far", 10))
        .await
        .expect("write across databases");
    let counts = beside.counts();
    assert_eq!(
        (counts.written, counts.secondary_written),
        (4, 4),
        "{counts:?}"
    );
    assert_eq!(counts.secondary_failures, 0, "{counts:?}");
    assert_eq!(apart.counts().secondary_written, 1, "{:?}", apart.counts());
    for table in [&old, &far] {
        assert!(table.get(&Key::Int(10)).await.unwrap().is_some());
    }

    let reader = SharedReader::new(old.clone(), new.clone());
    reader.set_share(1.0);
    reader.set_shadow_reads(true);
    for n in 1..=2 {
        let read: Option<Note> = reader.read(&Key::Int(n)).await.expect("read");
        assert_eq!(read, Some(Note::new("over tls", n as u64)));
    }
    let gone: Option<Note> = reader.read(&Key::Int(3)).await.expect("read");
    assert_eq!(gone, None);
    let counts = reader.counts();
    assert_eq!((counts.new, counts.fallbacks), (2, 1), "{counts:?}");
    assert_eq!(counts.differences, 0, "{counts:?}");

    // Every connection the pools made is encrypted (the server takes no other).
    for pool in [&pool, &second] {
        let ssl: bool =
            sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
                .fetch_one(pool)
                .await
                .expect("pg_stat_ssl");
        assert!(ssl, "the pool's connection is not encrypted");
    }
    pool.close().await;
    second.close().await;
}

async fn pool_to(server: &Server, database: &str) -> PgPool {
    PgPoolOptions::new()
        .max_connections(4)
        .connect_with(server.options(database))
        .await
        .unwrap_or_else(|error| panic!("a TLS pool to `{database}`: {error}"))
}
