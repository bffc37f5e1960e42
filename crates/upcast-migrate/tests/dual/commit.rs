//! A primary whose `COMMIT` reaches the server but whose answer never comes back: the write
//! is reported as a commit of unknown outcome, and the secondary keeps the change, so the
//! stores agree (the server did commit).
//!
//! REGRESSION: the writer took the lost connection for a refusal, rolled the secondary
//! back and told the caller nothing was kept, while the primary had kept it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use upcast_migrate::dual::{DualWriter, Mode, Table};
use upcast_migrate::{Error, Key};

use crate::support::{Note, Scratch, pg_notes, text_of, with_database};

/// The tag of the server's `CommandComplete` for a `COMMIT`: sent once it has committed.
const COMMITTED: &[u8] = b"COMMIT\0";

/// A TCP proxy to PostgreSQL that, once armed, swallows the server's answer to the next
/// `COMMIT` (which it has carried out) and cuts the client off instead.
struct Proxy {
    port: u16,
    armed: Arc<AtomicBool>,
}

impl Proxy {
    async fn start(server: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let armed = Arc::new(AtomicBool::new(false));
        let trap = armed.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let server = TcpStream::connect(&server).await.unwrap();
                tokio::spawn(relay(client, server, trap.clone()));
            }
        });
        Proxy { port, armed }
    }
}

async fn relay(client: TcpStream, server: TcpStream, armed: Arc<AtomicBool>) {
    let (mut client_in, mut client_out) = client.into_split();
    let (mut server_in, mut server_out) = server.into_split();
    let forth = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut client_in, &mut server_out).await;
    });
    let mut buffer = vec![0; 64 * 1024];
    loop {
        let n = match server_in.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let committed = buffer[..n].windows(COMMITTED.len()).any(|w| w == COMMITTED);
        if committed && armed.swap(false, Ordering::SeqCst) {
            break; // the answer swallowed, and the client cut off
        }
        if client_out.write_all(&buffer[..n]).await.is_err() {
            break;
        }
    }
    forth.abort();
}

fn through(proxy: &Proxy, url: &str) -> String {
    let mut url = url::Url::parse(url).unwrap();
    url.set_host(Some("127.0.0.1")).unwrap();
    url.set_port(Some(proxy.port)).unwrap();
    // In the clear, so the proxy can read the server's answers.
    url.query_pairs_mut().append_pair("sslmode", "disable");
    url.to_string()
}

fn server_of(url: &str) -> String {
    let url = url::Url::parse(url).unwrap();
    format!("{}:{}", url.host_str().unwrap(), url.port().unwrap_or(5432))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commit_lost_with_its_connection_is_reported_as_unknown_and_the_stores_agree() {
    let (Some(a), Some(b)) = (
        Scratch::postgres("commit_a").await,
        Scratch::postgres("commit_b").await,
    ) else {
        return;
    };
    let proxy = Proxy::start(server_of(&a.url)).await;
    let (pa, pb) = (a.pg_pool().await, b.pg_pool().await);
    pg_notes(&pa).await;
    pg_notes(&pb).await;
    let cut = sqlx::PgPool::connect(&through(&proxy, &with_database(&a.url, &a.name)))
        .await
        .unwrap();
    let primary = Table::open(cut.clone(), "notes", "id", "body")
        .await
        .unwrap();
    let secondary = Table::open(pb.clone(), "notes", "id", "body")
        .await
        .unwrap();
    let dual = DualWriter::new(primary).secondary(secondary.clone());
    dual.switch().set(Mode::Both);
    dual.write(&Key::Int(1), &Note::new("first", 1))
        .await
        .unwrap();

    proxy.armed.store(true, Ordering::SeqCst);
    let lost = dual.write(&Key::Int(1), &Note::new("second", 2)).await;
    assert!(
        matches!(lost, Err(Error::CommitUnknown { .. })),
        "a lost COMMIT must be reported as such: {lost:?}"
    );
    assert_eq!(dual.counts().commit_unknown, 1);

    let direct = Table::open(pa.clone(), "notes", "id", "body")
        .await
        .unwrap();
    let (p, s) = (text_of(&direct, 1).await, text_of(&secondary, 1).await);
    assert_eq!(p.as_deref(), Some("second"), "the server committed");
    assert_eq!(p, s, "the secondary keeps what the primary may have kept");
    cut.close().await;
    pa.close().await;
    pb.close().await;
}
