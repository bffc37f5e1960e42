//! The HTTP side: the routes, their requests and answers, and the server.

use std::future::Future;
use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use tokio::net::TcpListener;
use upcast_demo::customer::Customer;

use crate::{Shop, ShopError, Side, config};

/// The shop's routes over `shop` (see the crate's table of endpoints).
///
/// ```
/// # fn doc(shop: std::sync::Arc<upcast_shop::Shop>) {
/// let app: axum::Router = upcast_shop::router(shop);
/// # }
/// ```
pub fn router(shop: Arc<Shop>) -> Router {
    Router::new()
        .route(
            "/customers/{id}",
            get(read_customer)
                .put(write_customer)
                .delete(delete_customer),
        )
        .route("/admin/mode", post(set_mode))
        .route("/admin/reads", post(set_reads))
        .route("/admin/counts", get(counts))
        .with_state(shop)
}

/// Serves the shop's routes on `listener` until `shutdown` completes, then lets the
/// requests under way end.
///
/// See the example at the crate's root.
pub async fn serve(
    listener: TcpListener,
    shop: Arc<Shop>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(shop))
        .with_graceful_shutdown(shutdown)
        .await
}

/// A failure as an answer: a JSON `{"error": …}` with a status.
struct Failure(StatusCode, String);

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.1 });
        (self.0, Json(body)).into_response()
    }
}

impl From<ShopError> for Failure {
    fn from(error: ShopError) -> Self {
        let status = match &error {
            ShopError::Refused(_) => StatusCode::CONFLICT,
            ShopError::Store(_) | ShopError::Io(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        Failure(status, error.to_string())
    }
}

impl From<JsonRejection> for Failure {
    fn from(rejection: JsonRejection) -> Self {
        Failure(StatusCode::BAD_REQUEST, rejection.body_text())
    }
}

type Answer = Result<Response, Failure>;

async fn read_customer(State(shop): State<Arc<Shop>>, Path(id): Path<i64>) -> Answer {
    match shop.read(id).await? {
        Some(customer) => Ok(Json(customer).into_response()),
        None => Err(Failure(
            StatusCode::NOT_FOUND,
            format!("no customer `{id}`"),
        )),
    }
}

async fn write_customer(
    State(shop): State<Arc<Shop>>,
    Path(id): Path<i64>,
    customer: Result<Json<Customer>, JsonRejection>,
) -> Answer {
    let Json(customer) = customer?;
    shop.write(id, &customer).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn delete_customer(State(shop): State<Arc<Shop>>, Path(id): Path<i64>) -> Answer {
    shop.delete(id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ModeRequest {
    mode: String,
    #[serde(default)]
    primary: Option<Side>,
}

async fn set_mode(
    State(shop): State<Arc<Shop>>,
    request: Result<Json<ModeRequest>, JsonRejection>,
) -> Answer {
    let Json(request) = request?;
    let mode = config::mode(&request.mode)
        .map_err(|error| Failure(StatusCode::BAD_REQUEST, error.to_string()))?;
    Ok(Json(shop.set_mode(mode, request.primary).await?).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReadsRequest {
    #[serde(default)]
    share: Option<f64>,
    #[serde(default)]
    shadow_reads: Option<bool>,
}

async fn set_reads(
    State(shop): State<Arc<Shop>>,
    request: Result<Json<ReadsRequest>, JsonRejection>,
) -> Answer {
    let Json(request) = request?;
    let status = shop
        .set_reads(request.share, request.shadow_reads)
        .map_err(|error| Failure(StatusCode::BAD_REQUEST, error.to_string()))?;
    Ok(Json(status).into_response())
}

async fn counts(State(shop): State<Arc<Shop>>) -> Json<crate::Status> {
    Json(shop.status())
}
