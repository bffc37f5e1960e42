//! A scratch schema, the shop started in-process on loopback, an HTTP client, and the
//! shop binary (also the upcast CLI) as a child process.

use std::net::SocketAddr;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use upcast_demo::pg::{self, Scratch};
use upcast_shop::{Config, Shop};

/// A scratch schema, or `None` when no server answers and none is required.
pub fn scratch(purpose: &str) -> Option<Scratch> {
    match Scratch::new(purpose) {
        Ok(scratch) => Some(scratch),
        Err(error) if std::env::var("UPCAST_REQUIRE_POSTGRES").as_deref() == Ok("1") => {
            panic!("PostgreSQL is required (UPCAST_REQUIRE_POSTGRES=1): {error}")
        }
        Err(error) => {
            eprintln!(
                "SKIPPED: no PostgreSQL at {} ({error}). Start one or point \
                 UPCAST_POSTGRES_URL at one.",
                pg::url()
            );
            None
        }
    }
}

/// A runtime for a test's async part (the scratch schema's client is blocking: it stays
/// outside).
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Creates `table` of customers in the scratch schema.
pub fn table(scratch: &mut Scratch, name: &str) {
    let sql = format!(
        "CREATE TABLE {}.{name} (id bigint PRIMARY KEY, body jsonb NOT NULL)",
        scratch.schema
    );
    scratch.client.batch_execute(&sql).unwrap();
}

/// The shop, served on loopback in this runtime until stopped.
pub struct Running {
    pub addr: SocketAddr,
    stop: oneshot::Sender<()>,
    served: JoinHandle<std::io::Result<()>>,
}

impl Running {
    pub async fn start(config: Config) -> Running {
        let shop = Arc::new(Shop::open(config).await.unwrap());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel();
        let shutdown = async move {
            let _ = stopped.await;
        };
        let served = tokio::spawn(upcast_shop::serve(listener, shop, shutdown));
        Running { addr, stop, served }
    }

    pub async fn client(&self) -> Client {
        Client::connect(self.addr).await
    }

    pub async fn stop(self) {
        let _ = self.stop.send(());
        self.served.await.unwrap().unwrap();
    }
}

/// One keep-alive HTTP/1.1 connection to the shop.
pub struct Client {
    sender: SendRequest<Full<Bytes>>,
    host: String,
}

impl Client {
    pub async fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).await.unwrap();
        let (sender, connection) = http1::handshake(TokioIo::new(stream)).await.unwrap();
        tokio::spawn(connection);
        Client {
            sender,
            host: addr.to_string(),
        }
    }

    /// Sends a request; the status and the body (JSON, or `null` when empty).
    pub async fn send(&mut self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        let body = body.map(|body| body.to_string()).unwrap_or_default();
        let request = hyper::Request::builder()
            .method(method)
            .uri(path)
            .header("host", &self.host)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body)))
            .unwrap();
        self.sender.ready().await.unwrap();
        let response = self.sender.send_request(request).await.unwrap();
        let status = response.status().as_u16();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let value = match bytes.is_empty() {
            true => Value::Null,
            false => serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into())),
        };
        (status, value)
    }

    pub async fn put(&mut self, id: i64, customer: &Value) -> (u16, Value) {
        self.send("PUT", &format!("/customers/{id}"), Some(customer))
            .await
    }

    pub async fn get(&mut self, id: i64) -> (u16, Value) {
        self.send("GET", &format!("/customers/{id}"), None).await
    }

    pub async fn admin(&mut self, what: &str, body: Value) -> Value {
        let (status, answer) = self
            .send("POST", &format!("/admin/{what}"), Some(&body))
            .await;
        assert_eq!(status, 200, "{what} {body}: {answer}");
        answer
    }

    pub async fn counts(&mut self) -> Value {
        let (status, counts) = self.send("GET", "/admin/counts", None).await;
        assert_eq!(status, 200, "{counts}");
        counts
    }
}

/// A customer's JSON, as a client sends it.
pub fn customer(id: i64, first: &str) -> Value {
    let mut customer = upcast_demo::customer::Customer::sample(id);
    customer.name.first = first.to_owned();
    serde_json::to_value(customer).unwrap()
}

/// Runs the shop binary (the upcast CLI for anything but `serve` and `load`) to its end:
/// (exit code, stdout, stderr).
pub fn shop_cli(args: &[&str]) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(env!("CARGO_BIN_EXE_upcast-shop"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}
