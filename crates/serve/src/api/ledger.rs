//! The verifiable ledger for auditors and witnesses: the signed checkpoint, and RFC 9162
//! inclusion and consistency proofs.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Q;
use crate::auth::Principal;
use crate::problem::{ApiResult, Problem};
use crate::App;

/// The ledger's routes.
pub(super) fn routes() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::new()
        .routes(routes!(checkpoint))
        .routes(routes!(inclusion_proof))
        .routes(routes!(consistency_proof))
}

/// A leaf in the path.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
struct LeafPath {
    /// The leaf index.
    #[param(minimum = 0)]
    index: u64,
}

/// The latest signed checkpoint (C2SP tlog-checkpoint, signed note).
#[utoipa::path(get, path = "/ledger/checkpoint", tag = "ledger",
    responses((status = 200, description = "The checkpoint note", content_type = "text/plain", body = String)))]
async fn checkpoint(State(app): State<Arc<App>>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        app.checkpoint().as_str().to_owned(),
    )
        .into_response()
}

/// Parameters of an inclusion proof.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct InclusionQuery {
    /// The tree size to prove against (default: the latest).
    #[param(minimum = 1)]
    tree_size: Option<u64>,
}

fn proof_problem(e: knop_node::NodeError) -> Problem {
    match e {
        knop_node::NodeError::Proof(p) => Problem::bad_request(p.to_string()),
        other => Problem::internal(other.to_string()),
    }
}

/// The RFC 9162 inclusion proof of one entry.
#[utoipa::path(get, path = "/ledger/inclusion-proofs/{index}", tag = "ledger",
    params(LeafPath, InclusionQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "The proof (same JSON as `knop log prove`)", body = Object),
              (status = 400, body = Problem, content_type = "application/problem+json"), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json")))]
async fn inclusion_proof(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(index): Path<String>,
    Q(q): Q<InclusionQuery>,
) -> ApiResult<Json<knop_node::proof::ProofJson>> {
    if !p.role.may_audit() {
        return Err(Problem::forbidden(
            "proofs are for auditors and the administrator",
        ));
    }
    let index: u64 = index
        .parse()
        .map_err(|_| Problem::bad_request(format!("index: expected a number, found {index:?}")))?;
    let mut node = app.node();
    let size = q.tree_size.unwrap_or(node.size());
    if size > node.size() || index >= node.size() {
        return Err(Problem::not_found(format!(
            "this log has {} entries; asked for index {index} in a tree of {size}",
            node.size()
        )));
    }
    node.inclusion_proof(index, q.tree_size, false)
        .map(Json)
        .map_err(proof_problem)
}

/// Parameters of a consistency proof.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ConsistencyQuery {
    /// The older tree size (at least 1).
    #[param(minimum = 1)]
    size1: u64,
    /// The newer tree size.
    #[param(minimum = 1)]
    size2: u64,
}

/// The RFC 9162 consistency proof between two tree sizes.
#[utoipa::path(get, path = "/ledger/consistency-proofs", tag = "ledger",
    params(ConsistencyQuery), security(("bearer" = [])),
    responses((status = 200, description = "The proof", body = Object),
              (status = 400, body = Problem, content_type = "application/problem+json"), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json")))]
async fn consistency_proof(
    State(app): State<Arc<App>>,
    p: Principal,
    Q(q): Q<ConsistencyQuery>,
) -> ApiResult<Json<knop_node::proof::ProofJson>> {
    if !p.role.may_audit() {
        return Err(Problem::forbidden(
            "proofs are for auditors and the administrator",
        ));
    }
    let node = app.node();
    if q.size2 > node.size() && q.size1 <= q.size2 {
        return Err(Problem::not_found(format!(
            "this log has {} entries; asked for size {}",
            node.size(),
            q.size2
        )));
    }
    node.consistency_proof(q.size1, q.size2)
        .map(Json)
        .map_err(proof_problem)
}
