//! The API under `/api/v1`: JSON, RFC 9457 problems, the OpenAPI document generated from these
//! handlers (utoipa), NL API Design Rules (plural resources, no trailing slashes, version in
//! the path, `page`/`page_size` pagination with `_links`).
//!
//! Here: the router and the OpenAPI document, and what the areas share (the extractors [`Q`] and
//! [`J`], error mapping, who may see a household, writing to the ledger). Each area's handlers
//! are in their own module and register their own routes.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::{middleware, Router};
use knop_huishoudboekje::HouseholdId;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use utoipa::{IntoParams, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use crate::auth::Principal;
use crate::problem::{ApiResult, Problem};
use crate::App;
use knop_app::ops::OpError;
use knop_app::views;

pub(crate) mod bank;
pub(crate) mod debts;
pub(crate) mod declarations;
pub(crate) mod households;
pub(crate) mod kindpakket;
mod ledger;
pub(crate) mod payments;
pub(crate) mod payouts;
pub(crate) mod personal;
mod rules;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "knop API",
        description = "Households, agreements, bank statements, alerts, forecasts, rules \
                       calculations and the verifiable ledger. Errors are RFC 9457 problem \
                       details. Unsafe methods need an Idempotency-Key header.",
        license(name = "EUPL-1.2")
    ),
    servers((url = "/api/v1")),
    components(schemas(Problem)),
    modifiers(&Security),
    tags(
        (name = "ledger", description = "The verifiable ledger for auditors and witnesses"),
        (name = "households", description = "Households, their agreements, alerts and forecasts"),
        (name = "bank", description = "The foundation's bank statements"),
        (name = "rules", description = "Rules as code"),
        (name = "payments", description = "Payment runs with four-eyes approval"),
        (name = "debts", description = "A household's claims and their events; creditors record their own"),
    )
)]
struct ApiDoc;

struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let c = openapi.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The API router, mounted under `/api/v1`, with the OpenAPI document at
/// `/api/v1/openapi.json`.
pub fn router(app: Arc<App>) -> Router {
    let (api, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(ledger::routes())
        .merge(households::routes())
        .merge(bank::routes())
        .merge(debts::routes())
        .merge(declarations::routes())
        .merge(kindpakket::routes())
        .merge(payouts::routes())
        .merge(rules::routes())
        .merge(payments::routes())
        .merge(personal::routes())
        .split_for_parts();
    // One walk over the document: the operations that change something (they need an
    // Idempotency-Key) and, per operation, the query parameters it declares (anything else is
    // refused, 400, so that a misspelt parameter is never silently ignored).
    let mut operations = std::collections::HashSet::new();
    let mut queries: Declared = Default::default();
    for (path, item) in &doc.paths.paths {
        let full = format!("/api/v1{path}");
        for (op, method) in [
            (&item.get, axum::http::Method::GET),
            (&item.post, axum::http::Method::POST),
            (&item.put, axum::http::Method::PUT),
            (&item.patch, axum::http::Method::PATCH),
            (&item.delete, axum::http::Method::DELETE),
        ] {
            let Some(op) = op else { continue };
            if method != axum::http::Method::GET {
                operations.insert((method.clone(), full.clone()));
            }
            let names = op
                .parameters
                .iter()
                .flatten()
                .filter(|p| matches!(p.parameter_in, utoipa::openapi::path::ParameterIn::Query))
                .map(|p| p.name.clone())
                .collect();
            queries.insert((method, full.clone()), names);
        }
    }
    let queries = Arc::new(queries);
    // Calculations and lookups change nothing on the ledger: no key needed (a repeated lookup
    // is a new question, and the access log says so).
    for path in [
        "/api/v1/rules/calculations",
        "/api/v1/debt-assistance-lookups",
        "/api/v1/declaration-verifications",
        "/api/v1/kindpakket/code-checks",
    ] {
        operations.remove(&(axum::http::Method::POST, path.to_owned()));
    }
    let guard = crate::idempotency::Guard {
        app: app.clone(),
        operations: Arc::new(operations),
    };
    let doc = Arc::new(doc.to_json().unwrap_or_default());
    let api = api
        .route(
            "/openapi.json",
            axum::routing::get(move || {
                let doc = doc.clone();
                async move { ([(header::CONTENT_TYPE, "application/json")], (*doc).clone()) }
            }),
        )
        .fallback(|| async { Problem::not_found("no such resource in /api/v1") })
        .method_not_allowed_fallback(|| async {
            Problem::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "Methode niet toegestaan",
                "this resource does not support this method",
            )
        })
        .route_layer(middleware::from_fn_with_state(
            guard,
            crate::idempotency::middleware,
        ))
        .route_layer(middleware::from_fn_with_state(queries, declared_query_only))
        .layer(axum::extract::DefaultBodyLimit::max(crate::BODY_MAX))
        .with_state(app);
    Router::new().nest("/api/v1", api)
}

/// Per operation (method, route template), the query parameters it declares.
type Declared = std::collections::HashMap<(axum::http::Method, String), Vec<String>>;

/// Refuses a query parameter the operation does not declare (400, naming it and the ones it
/// takes).
async fn declared_query_only(
    axum::extract::State(queries): axum::extract::State<Arc<Declared>>,
    req: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let Some(query) = req.uri().query().filter(|q| !q.is_empty()) else {
        return next.run(req).await;
    };
    let matched = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|m| m.as_str().to_owned());
    let method = if req.method() == axum::http::Method::HEAD {
        axum::http::Method::GET
    } else {
        req.method().clone()
    };
    let Some(declared) = matched.and_then(|m| queries.get(&(method, m))) else {
        return next.run(req).await;
    };
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let name = pair.split('=').next().unwrap_or_default();
        if !declared.iter().any(|d| d == name) {
            let takes = if declared.is_empty() {
                "none".to_owned()
            } else {
                declared.join(", ")
            };
            let shown: String = name.chars().take(40).collect();
            return Problem::bad_request(format!(
                "query parameter {shown:?} is not known here (this resource takes: {takes})"
            ))
            .into_response();
        }
    }
    next.run(req).await
}

/// Query parameters, with errors as problems.
pub struct Q<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Q<T> {
    type Rejection = Problem;
    async fn from_request_parts(parts: &mut Parts, s: &S) -> Result<Self, Problem> {
        Query::<T>::from_request_parts(parts, s)
            .await
            .map(|Query(t)| Q(t))
            .map_err(|e: QueryRejection| Problem::bad_request(e.body_text()))
    }
}

/// A JSON body, with errors as problems (415 without a JSON content type, 400 for bad syntax,
/// 422 for a body that does not fit, with the serde message naming the field).
pub struct J<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for J<T> {
    type Rejection = Problem;
    async fn from_request(req: Request, s: &S) -> Result<Self, Problem> {
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| {
                let m = m.trim();
                m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
            });
        if !json {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Verkeerd mediatype",
                "expected Content-Type: application/json",
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, s)
            .await
            .map_err(|e| Problem::new(e.status(), "bad-body", "Ongeldige inhoud", e.body_text()))?;
        // Every body of this API is a JSON object: serde would also take an array for a struct
        // (`[1]` as `{"cents": 1}`), which no client means.
        let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
        if first != Some(&b'{') {
            return Err(Problem::unprocessable(
                "expected a JSON object ({ ... }) as the body",
            ));
        }
        serde_json::from_slice(&bytes).map(J).map_err(|e| {
            let at = format!("{e}");
            match e.classify() {
                serde_json::error::Category::Data => Problem::unprocessable(at),
                _ => Problem::bad_request(at),
            }
        })
    }
}

/// A bank file's body must say it is XML (415 otherwise).
fn require_xml(headers: &HeaderMap, what: &str) -> ApiResult<()> {
    let mime = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap_or("")
        .trim();
    if matches!(mime, "application/xml" | "text/xml") {
        return Ok(());
    }
    Err(Problem::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported-media-type",
        "Verkeerd mediatype",
        format!("expected Content-Type: application/xml ({what})"),
    ))
}

fn parse_household(id: &str) -> ApiResult<HouseholdId> {
    id.parse::<HouseholdId>()
        .map_err(|_| Problem::bad_request(format!("id: expected a household number, found {id:?}")))
}

/// The household, if it exists and the caller may see it. A household the caller may not see is
/// answered as not found, so that ids cannot be probed.
pub(crate) fn visible(app: &App, p: &Principal, id: &str) -> ApiResult<views::Snapshot> {
    if p.role.is_outside() {
        return Err(Problem::forbidden(format!(
            "the role {} has no access to households",
            p.role.name()
        )));
    }
    let household = parse_household(id)?;
    let snap = views::snapshot(app.node().state(), household)
        .filter(|s| p.role.may_see_household(household, &s.state.counsellor));
    snap.ok_or_else(|| Problem::not_found(format!("household {household}")))
}

/// A household in the path.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
struct HouseholdPath {
    /// The household's id (a number).
    #[param(pattern = "^[0-9]{1,38}$")]
    id: String,
}

fn op_problem(e: OpError) -> Problem {
    match e {
        OpError::Bank(b) => Problem::unprocessable(format!("nothing booked: {b}")),
        OpError::Rejected(r) => Problem::unprocessable(format!("nothing recorded: {r}")),
        OpError::Node(n) => Problem::internal(format!("the ledger could not write: {n}")),
        OpError::NotImported(why) => Problem::conflict(why),
        OpError::Internal(why) => Problem::internal(why),
    }
}

impl From<OpError> for Problem {
    fn from(e: OpError) -> Self {
        op_problem(e)
    }
}

fn vault_problem(e: knop_app::vault::VaultError) -> Problem {
    use knop_app::vault::VaultError;
    match e {
        VaultError::Invalid(why) => Problem::unprocessable(why),
        VaultError::NotFound(h) => {
            Problem::not_found(format!("no personal data for household {h}"))
        }
        VaultError::Erased(h) => Problem::new(
            StatusCode::GONE,
            "erased",
            "Gewist",
            format!("household {h} was erased: its personal data can no longer be read"),
        ),
        other => Problem::internal(other.to_string()),
    }
}

fn vault_of(app: &App) -> ApiResult<&knop_app::vault::Vault> {
    app.vault()
        .ok_or_else(|| Problem::not_found("this server keeps no personal data"))
}

impl App {
    /// Runs a write on the blocking pool with the node locked, then refreshes the checkpoint.
    async fn write<T: Send + 'static, E: From<OpError> + Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&App, &mut knop_node::Node) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E> {
        let app = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut node = app.node();
            let r = f(&app, &mut node);
            app.refresh_checkpoint(&mut node);
            r
        })
        .await
        .unwrap_or_else(|e| {
            Err(E::from(OpError::Internal(format!(
                "the write task failed: {e}"
            ))))
        })
    }
}

/// Runs pure work (reading a file) on the blocking pool, without the ledger's lock.
async fn off_lock<T: Send + 'static>(
    f: impl FnOnce() -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or_else(|e| Err(Problem::internal(format!("the task failed: {e}"))))
}

fn now_ms() -> u64 {
    jiff::Timestamp::now().as_millisecond().max(0) as u64
}
