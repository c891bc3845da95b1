//! The API under `/api/v1`: JSON, RFC 9457 problems, the OpenAPI document generated from these
//! handlers (utoipa), NL API Design Rules (plural resources, no trailing slashes, version in
//! the path, `page`/`page_size` pagination with `_links`).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{middleware, Json, Router};
use knop_state::{Command, HouseholdCommand};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Principal, Role};
use crate::problem::{ApiResult, Problem};
use crate::App;
use knop_app::ops::{self, OpError};
use knop_app::views::{self, AlertView, ForecastView, HouseholdSummary, Overview};

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
        .routes(routes!(checkpoint))
        .routes(routes!(inclusion_proof))
        .routes(routes!(consistency_proof))
        .routes(routes!(me))
        .routes(routes!(list_households))
        .routes(routes!(get_household))
        .routes(routes!(household_forecast))
        .routes(routes!(household_alerts))
        .routes(routes!(list_agreements))
        .routes(routes!(put_agreement))
        .routes(routes!(put_advance_limit))
        .routes(routes!(upload_statement))
        .routes(routes!(calculate))
        .routes(routes!(create_run, list_runs))
        .routes(routes!(get_run))
        .routes(routes!(approve_run))
        .routes(routes!(run_pain001))
        .routes(routes!(list_suspense))
        .routes(routes!(upload_status_report))
        .routes(routes!(put_personal, get_personal, erase_personal))
        .routes(routes!(access_log))
        .routes(routes!(assign_line))
        .split_for_parts();
    let mut operations = std::collections::HashSet::new();
    for (path, item) in &doc.paths.paths {
        let full = format!("/api/v1{path}");
        for (op, method) in [
            (&item.post, axum::http::Method::POST),
            (&item.put, axum::http::Method::PUT),
            (&item.patch, axum::http::Method::PATCH),
            (&item.delete, axum::http::Method::DELETE),
        ] {
            if op.is_some() {
                operations.insert((method, full.clone()));
            }
        }
    }
    // Calculations change nothing: no key needed.
    operations.remove(&(
        axum::http::Method::POST,
        "/api/v1/rules/calculations".to_owned(),
    ));
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
        .layer(axum::extract::DefaultBodyLimit::max(crate::BODY_MAX))
        .with_state(app);
    Router::new().nest("/api/v1", api)
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
        match Json::<T>::from_request(req, s).await {
            Ok(Json(t)) => Ok(J(t)),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Verkeerd mediatype",
                "expected Content-Type: application/json",
            )),
            Err(JsonRejection::JsonDataError(e)) => Err(Problem::unprocessable(e.body_text())),
            Err(JsonRejection::JsonSyntaxError(e)) => Err(Problem::bad_request(e.body_text())),
            Err(e) => Err(Problem::new(
                e.status(),
                "bad-body",
                "Ongeldige inhoud",
                e.body_text(),
            )),
        }
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

fn parse_household(id: &str) -> ApiResult<u128> {
    id.parse::<u128>()
        .map_err(|_| Problem::bad_request(format!("id: expected a household number, found {id:?}")))
}

/// The household, if it exists and the caller may see it. A household the caller may not see is
/// answered as not found, so that ids cannot be probed.
pub(crate) fn visible(app: &App, p: &Principal, id: &str) -> ApiResult<views::Snapshot> {
    if matches!(p.role, Role::Payer | Role::Creditor | Role::Auditor) {
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

/// An agreement of a household in the path.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
struct AgreementPath {
    /// The household's id (a number).
    #[param(pattern = "^[0-9]{1,38}$")]
    id: String,
    /// The agreement's id; must equal the body's `id`.
    #[param(min_length = 1, max_length = 140)]
    agreement_id: String,
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

/// Who the caller is.
#[derive(Debug, Serialize, ToSchema)]
struct Me {
    /// Login or organisation.
    id: String,
    /// The role and its scope.
    role: Role,
}

/// Who is asking, and in what role.
#[utoipa::path(get, path = "/me", tag = "households", security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, body = Problem, content_type = "application/problem+json")))]
async fn me(p: Principal) -> Json<Me> {
    Json(Me {
        id: p.id,
        role: p.role,
    })
}

/// Pagination parameters (NL API Design Rules).
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct PageQuery {
    /// Page number, from 1.
    #[param(minimum = 1, maximum = 1000000)]
    page: Option<u32>,
    /// Items per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    page_size: Option<u32>,
}

/// A page of households.
#[derive(Debug, Serialize, ToSchema)]
struct HouseholdPage {
    /// Links to this, the next and the previous page.
    _links: Links,
    /// The households on this page, most urgent first.
    households: Vec<HouseholdSummary>,
    /// How many there are in all.
    total: usize,
}

/// Links between pages.
#[derive(Debug, Serialize, ToSchema)]
struct Links {
    /// This page.
    #[serde(rename = "self")]
    this: Link,
    /// The next page, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    next: Option<Link>,
    /// The previous page, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    prev: Option<Link>,
}

/// A link.
#[derive(Debug, Serialize, ToSchema)]
struct Link {
    /// The target.
    href: String,
}

/// The households the caller may see: a counsellor's caseload, a resident's own, all for a
/// supervisor or administrator. Most urgent first.
#[utoipa::path(get, path = "/households", tag = "households", params(PageQuery),
    security(("bearer" = [])),
    responses((status = 200, body = HouseholdPage), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json")))]
async fn list_households(
    State(app): State<Arc<App>>,
    p: Principal,
    Q(q): Q<PageQuery>,
) -> ApiResult<Json<HouseholdPage>> {
    if matches!(p.role, Role::Payer | Role::Creditor | Role::Auditor) {
        return Err(Problem::forbidden(format!(
            "the role {} has no access to households",
            p.role.name()
        )));
    }
    let page = q.page.unwrap_or(1);
    let size = q.page_size.unwrap_or(20);
    if !(1..=1_000_000).contains(&page) || !(1..=100).contains(&size) {
        return Err(Problem::bad_request(
            "page: from 1 to 1000000; page_size: from 1 to 100",
        ));
    }
    let (today, ms) = (app.today(), app.today_ms());
    let all = views::caseload(app.node().state(), &p.role, today, ms);
    let total = all.len();
    let start = ((page - 1) as usize).saturating_mul(size as usize);
    let households: Vec<_> = all.into_iter().skip(start).take(size as usize).collect();
    let href = |n: u32| Link {
        href: format!("/api/v1/households?page={n}&page_size={size}"),
    };
    Ok(Json(HouseholdPage {
        _links: Links {
            this: href(page),
            next: (start + households.len() < total).then(|| href(page + 1)),
            prev: (page > 1).then(|| href(page - 1)),
        },
        households,
        total,
    }))
}

/// A household's month at a glance.
#[utoipa::path(get, path = "/households/{id}", tag = "households",
    params(HouseholdPath), security(("bearer" = [])),
    responses((status = 200, body = Overview), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_household(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Overview>> {
    let s = visible(&app, &p, &id)?;
    overview_of(&app, &s).map(Json)
}

/// The overview with this month's real bookings (API and cockpit).
pub(crate) fn overview_of(app: &App, s: &views::Snapshot) -> ApiResult<Overview> {
    let today = app.today();
    let mut o = views::overview(s, today, app.today_ms())
        .map_err(|e| Problem::unprocessable(e.to_string()))?;
    let statements = app.statements();
    o.month_bookings = views::bookings(
        app.node().state().book(),
        &statements,
        s.household,
        today.first_of_month(),
        today,
    );
    Ok(o)
}

/// Forecast parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct ForecastQuery {
    /// Days ahead, 1 to 400 (default 90).
    #[param(minimum = 1, maximum = 400)]
    days: Option<u32>,
}

/// The household's balance day by day, and the first shortfall.
#[utoipa::path(get, path = "/households/{id}/forecast", tag = "households",
    params(HouseholdPath, ForecastQuery), security(("bearer" = [])),
    responses((status = 200, body = ForecastView), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn household_forecast(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(id): Path<String>,
    Q(q): Q<ForecastQuery>,
) -> ApiResult<Json<ForecastView>> {
    let s = visible(&app, &p, &id)?;
    views::forecast(&s, app.today(), q.days.unwrap_or(views::FORECAST_DAYS))
        .map(Json)
        .map_err(|e| Problem::bad_request(e.to_string()))
}

/// What a counsellor should look at for this household, most urgent first.
#[utoipa::path(get, path = "/households/{id}/alerts", tag = "households",
    params(HouseholdPath), security(("bearer" = [])),
    responses((status = 200, body = Vec<AlertView>), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn household_alerts(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<AlertView>>> {
    let s = visible(&app, &p, &id)?;
    Ok(Json(views::alerts(&s, app.today())))
}

/// The household's current agreements (the shape `knop agreement set` reads).
#[utoipa::path(get, path = "/households/{id}/agreements", tag = "households",
    params(HouseholdPath), security(("bearer" = [])),
    responses((status = 200, body = Vec<knop_huishoudboekje::Agreement>), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn list_agreements(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<knop_huishoudboekje::Agreement>>> {
    let s = visible(&app, &p, &id)?;
    Ok(Json(s.state.agreements.into_values().collect()))
}

/// What recording a command did.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Recorded {
    /// The log index of the entry.
    entry: u64,
    /// Events created now.
    created: usize,
    /// Events that already existed identically (nothing changed).
    existing: usize,
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

/// Creates or changes an agreement of a household (counsellor of its caseload). Recorded on the
/// ledger, signed by the foundation; the history stays in the log.
#[utoipa::path(put, path = "/households/{id}/agreements/{agreement_id}", tag = "households",
    params(AgreementPath,
           ("Idempotency-Key" = String, Header, description = "Unique per intended change")),
    request_body(content = knop_huishoudboekje::Agreement, description = "The agreement (as `knop agreement set` reads)"),
    security(("bearer" = [])),
    responses((status = 413, body = Problem, content_type = "application/problem+json"), (status = 200, body = Recorded), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 415, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn put_agreement(
    State(app): State<Arc<App>>,
    p: Principal,
    Path((id, agreement_id)): Path<(String, String)>,
    J(agreement): J<knop_huishoudboekje::Agreement>,
) -> ApiResult<Json<Recorded>> {
    if agreement.id != agreement_id {
        return Err(Problem::unprocessable(format!(
            "id: the body's id {:?} differs from the path's {agreement_id:?}",
            agreement.id
        )));
    }
    set_agreement(&app, &p, &id, agreement).await.map(Json)
}

/// Records an agreement of a household (API and cockpit).
pub(crate) async fn set_agreement(
    app: &Arc<App>,
    p: &Principal,
    household: &str,
    mut agreement: knop_huishoudboekje::Agreement,
) -> ApiResult<Recorded> {
    let s = managed(app, p, household, "changes its agreements")?;
    agreement
        .check()
        .map_err(|e| Problem::unprocessable(e.to_string()))?;
    if agreement.kind == knop_huishoudboekje::Kind::LivingMoney {
        // The resident's own IBAN is personal data: it stays off the ledger.
        agreement.counterparty_iban = None;
    }
    record(
        app,
        Command::Household(HouseholdCommand::SetAgreement {
            household: s.household,
            agreement,
        }),
    )
    .await
}

/// The household, if `p` is its counsellor: only they `what` (403 otherwise; 404 if `p` may not
/// even see it).
fn managed(
    app: &Arc<App>,
    p: &Principal,
    household: &str,
    what: &str,
) -> ApiResult<views::Snapshot> {
    let s = visible(app, p, household)?;
    if !p.role.may_manage_household(&s.state.counsellor) {
        return Err(Problem::forbidden(format!(
            "only the household's counsellor {what}"
        )));
    }
    Ok(s)
}

/// Records `cmd` on the ledger, signed by the foundation.
async fn record(app: &Arc<App>, cmd: Command) -> ApiResult<Recorded> {
    let (entry, o) = app
        .write(move |app, node| {
            ops::submit(node, &app.config.submitter, now_ms(), &cmd)
                .map_err(OpError::from)?
                .map_err(OpError::from)
        })
        .await
        .map_err(op_problem)?;
    Ok(Recorded {
        entry,
        created: o.created,
        existing: o.existing,
    })
}

/// How much the foundation may advance to a household when its income is late.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AdvanceLimit {
    /// The most outstanding at any time, in euro cents, 0 (no advances) to 1 000 000.
    cents: i64,
}

/// Sets the household's advance limit (counsellor of its caseload): when income is late, a
/// payment run may advance up to this much in all, repaid from that income. Replaces the
/// foundation's default for this household; recorded on the ledger.
#[utoipa::path(put, path = "/households/{id}/advance-limit", tag = "households",
    params(HouseholdPath,
           ("Idempotency-Key" = String, Header, description = "Unique per intended change")),
    request_body = AdvanceLimit,
    security(("bearer" = [])),
    responses((status = 413, body = Problem, content_type = "application/problem+json"), (status = 200, body = Recorded), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 415, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn put_advance_limit(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(id): Path<String>,
    J(limit): J<AdvanceLimit>,
) -> ApiResult<Json<Recorded>> {
    set_advance_limit(&app, &p, &id, limit.cents)
        .await
        .map(Json)
}

/// Records a household's advance limit (API and cockpit).
pub(crate) async fn set_advance_limit(
    app: &Arc<App>,
    p: &Principal,
    household: &str,
    cents: i64,
) -> ApiResult<Recorded> {
    let s = managed(app, p, household, "sets its advance limit")?;
    if !(0..=knop_state::ADVANCE_LIMIT_CENTS_MAX).contains(&cents) {
        return Err(Problem::unprocessable(format!(
            "cents: 0..={} (EUR {}), found {cents}",
            knop_state::ADVANCE_LIMIT_CENTS_MAX,
            knop_state::ADVANCE_LIMIT_CENTS_MAX / 100,
        )));
    }
    record(
        app,
        Command::Household(HouseholdCommand::SetAdvanceLimit {
            household: s.household,
            cents,
        }),
    )
    .await
}

/// Imports a camt.053 statement of the foundation's account: every new line booked in one entry,
/// or nothing; a file imported before books nothing new. The answer says whether the book now
/// equals the statement's closing balance.
#[utoipa::path(post, path = "/bank-statements", tag = "bank",
    params(("Idempotency-Key" = String, Header, description = "Unique per file upload")),
    request_body(content = String, content_type = "application/xml", description = "camt.053.001.02 or .08"),
    security(("bearer" = [])),
    responses((status = 201, body = UploadReport), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 413, body = Problem, content_type = "application/problem+json"),
              (status = 415, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn upload_statement(
    State(app): State<Arc<App>>,
    p: Principal,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<UploadReport>)> {
    if !p.role.may_import_statements() {
        return Err(Problem::forbidden(
            "statements are imported by counsellors and the administrator",
        ));
    }
    require_xml(&headers, "a camt.053 file")?;
    Ok((StatusCode::CREATED, Json(upload(&app, &p, body).await?)))
}

/// Imports, matches and keeps a statement (API and cockpit).
pub(crate) async fn upload(app: &Arc<App>, p: &Principal, body: Bytes) -> ApiResult<UploadReport> {
    if !p.role.may_import_statements() {
        return Err(Problem::forbidden(
            "statements are imported by counsellors and the administrator",
        ));
    }
    let today = app.today();
    app.write(move |app, node| {
        let iban = &app.config.foundation_iban;
        let up = ops::upload(node, &app.config.submitter, now_ms(), &body, iban, today)?;
        app.keep_statement(&body, up.file, up.plan)
            .map_err(OpError::Internal)?;
        Ok(up.report)
    })
    .await
    .map_err(op_problem)
}

pub(crate) use knop_app::ops::UploadReport;
pub(crate) use knop_app::suspense::SuspenseLine;

/// Rules calculation parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct CalcQuery {
    /// The day to calculate for (ISO 8601, default today).
    #[param(format = Date)]
    date: Option<String>,
}

/// Calculates allowances, child benefits, the social minimum and the beslagvrije voet for a
/// household's facts (the JSON `knop rules calc` reads), each with its trace and explanation.
/// Nothing is stored.
#[utoipa::path(post, path = "/rules/calculations", tag = "rules", params(CalcQuery),
    request_body(content = knop_rules::facts::Facts, description = "Household facts"), security(("bearer" = [])),
    responses((status = 200, body = Object), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"), (status = 415, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn calculate(
    State(app): State<Arc<App>>,
    p: Principal,
    Q(q): Q<CalcQuery>,
    J(facts): J<knop_rules::facts::Facts>,
) -> ApiResult<Json<serde_json::Value>> {
    if !p.role.may_calculate() {
        return Err(Problem::forbidden(format!(
            "the role {} does not calculate for households",
            p.role.name()
        )));
    }
    let date = match q.date {
        Some(d) => d
            .parse::<jiff::civil::Date>()
            .map_err(|e| Problem::bad_request(format!("date: {e}")))?,
        None => app.today(),
    };
    let results =
        knop_rules::calc(&facts, date).map_err(|e| Problem::unprocessable(e.to_string()))?;
    let mut out = serde_json::Map::new();
    for (k, r) in &results {
        out.insert(
            (*k).to_owned(),
            match r {
                Ok(o) => views::outcome_json(o),
                Err(e) => serde_json::json!({"error": e.to_string()}),
            },
        );
    }
    Ok(Json(
        serde_json::json!({"date": date.to_string(), "results": out}),
    ))
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

fn run_problem(e: knop_app::payrun::RunError) -> Problem {
    use knop_app::payrun::RunError;
    match e {
        RunError::Invalid(why) => Problem::unprocessable(why),
        RunError::NotFound(id) => Problem::not_found(format!("payment run {id}")),
        RunError::NotApproved(id) => Problem::conflict(format!(
            "four eyes: run {id} is not yet approved by a second person"
        )),
        RunError::Op(o) => op_problem(o),
    }
}

/// What to make a run for.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewRun {
    /// The household (its id).
    #[schema(pattern = "^[0-9]{1,38}$")]
    household: String,
    /// The execution date (ISO 8601), a TARGET2 business day.
    #[schema(format = Date)]
    date: String,
}

/// Makes a payment run for a household on a date (its counsellor): what is due and covered,
/// in priority order, reserved on the ledger, recorded with who made it. A second person must
/// approve it before it can be exported.
#[utoipa::path(post, path = "/payment-runs", tag = "payments",
    params(("Idempotency-Key" = String, Header, description = "Unique per intended run")),
    request_body = NewRun, security(("bearer" = [])),
    responses((status = 413, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 201, body = knop_app::payrun::RunView), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn create_run(
    State(app): State<Arc<App>>,
    p: Principal,
    J(req): J<NewRun>,
) -> ApiResult<(StatusCode, Json<knop_app::payrun::RunView>)> {
    let view = make_run(&app, &p, &req.household, &req.date).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// Makes a run (API and cockpit).
pub(crate) async fn make_run(
    app: &Arc<App>,
    p: &Principal,
    household: &str,
    date: &str,
) -> ApiResult<knop_app::payrun::RunView> {
    let s = visible(app, p, household)?;
    if !p.role.may_manage_household(&s.state.counsellor) {
        return Err(Problem::forbidden(
            "only the household's counsellor makes its payment runs",
        ));
    }
    let date: jiff::civil::Date = date
        .parse()
        .map_err(|e| Problem::unprocessable(format!("date: {e}")))?;
    let by = p.id.clone();
    let debtor = app.debtor();
    let paid = knop_app::statements::paid_end_to_end_ids(&app.statements());
    app.write(move |app, node| {
        knop_app::payrun::make(
            node,
            &app.config.submitter,
            now_ms(),
            s.household,
            date,
            &by,
            &debtor,
            &paid,
            app.vault().is_some(),
        )
    })
    .await
    .map_err(run_problem)
}

/// Which runs to list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct RunQuery {
    /// Only this household's runs.
    #[param(pattern = "^[0-9]{1,38}$")]
    household: Option<String>,
}

/// The payment runs the caller may see, newest first: a resident's own, a counsellor's
/// caseload's, all for a supervisor or administrator.
#[utoipa::path(get, path = "/payment-runs", tag = "payments", params(RunQuery), security(("bearer" = [])),
    responses((status = 200, body = Vec<knop_app::payrun::RunView>), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json")))]
async fn list_runs(
    State(app): State<Arc<App>>,
    p: Principal,
    Q(q): Q<RunQuery>,
) -> ApiResult<Json<Vec<knop_app::payrun::RunView>>> {
    if matches!(p.role, Role::Payer | Role::Creditor | Role::Auditor) {
        return Err(Problem::forbidden(format!(
            "the role {} has no access to payment runs",
            p.role.name()
        )));
    }
    let only = q.household.as_deref().map(parse_household).transpose()?;
    let node = app.node();
    let st = node.state();
    let mut out: Vec<_> = st
        .runs()
        .values()
        .filter(|r| only.is_none_or(|h| h == r.household))
        .filter(|r| {
            st.households()
                .get(&r.household)
                .is_some_and(|h| p.role.may_see_household(r.household, &h.counsellor))
        })
        .filter_map(knop_app::payrun::RunView::of)
        .collect();
    out.sort_by_key(|r| std::cmp::Reverse(r.entry));
    Ok(Json(out))
}

/// A run in the path.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
struct RunPath {
    /// The run's id.
    #[param(min_length = 1, max_length = 64)]
    run_id: String,
}

/// The run, if the caller may see it (else not found).
fn visible_run(app: &App, p: &Principal, run_id: &str) -> ApiResult<knop_app::payrun::RunView> {
    if matches!(p.role, Role::Payer | Role::Creditor | Role::Auditor) {
        return Err(Problem::forbidden(format!(
            "the role {} has no access to payment runs",
            p.role.name()
        )));
    }
    let node = app.node();
    let st = node.state();
    st.runs()
        .get(run_id)
        .filter(|r| {
            st.households()
                .get(&r.household)
                .is_some_and(|h| p.role.may_see_household(r.household, &h.counsellor))
        })
        .and_then(knop_app::payrun::RunView::of)
        .ok_or_else(|| Problem::not_found(format!("payment run {run_id}")))
}

/// One payment run.
#[utoipa::path(get, path = "/payment-runs/{run_id}", tag = "payments", params(RunPath), security(("bearer" = [])),
    responses((status = 200, body = knop_app::payrun::RunView), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_run(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(run_id): Path<String>,
) -> ApiResult<Json<knop_app::payrun::RunView>> {
    visible_run(&app, &p, &run_id).map(Json)
}

/// Approves a run (a supervisor; never the person who made it — the ledger refuses that).
#[utoipa::path(post, path = "/payment-runs/{run_id}/approvals", tag = "payments",
    params(RunPath, ("Idempotency-Key" = String, Header, description = "Unique per approval")),
    security(("bearer" = [])),
    responses((status = 413, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 201, body = knop_app::payrun::RunView), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn approve_run(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(run_id): Path<String>,
) -> ApiResult<(StatusCode, Json<knop_app::payrun::RunView>)> {
    let view = approve(&app, &p, run_id).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// Approves a run (API and cockpit).
pub(crate) async fn approve(
    app: &Arc<App>,
    p: &Principal,
    run_id: String,
) -> ApiResult<knop_app::payrun::RunView> {
    visible_run(app, p, &run_id)?;
    if !matches!(p.role, Role::Supervisor) {
        return Err(Problem::forbidden(
            "payment runs are approved by a supervisor",
        ));
    }
    let by = p.id.clone();
    app.write(move |app, node| {
        knop_app::payrun::approve(node, &app.config.submitter, now_ms(), &run_id, &by)
    })
    .await
    .map_err(run_problem)
}

/// Which pain.001 version.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct PainQuery {
    /// `03` (pain.001.001.03, default) or `09` (pain.001.001.09).
    #[param(pattern = "^(03|09)$")]
    version: Option<String>,
}

/// The run as a pain.001 file for the bank, once a second person approved it.
#[utoipa::path(get, path = "/payment-runs/{run_id}/pain001", tag = "payments", params(RunPath, PainQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "pain.001", content_type = "application/xml", body = String),
              (status = 400, body = Problem, content_type = "application/problem+json"), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn run_pain001(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(run_id): Path<String>,
    Q(q): Q<PainQuery>,
) -> ApiResult<Response> {
    let v = visible_run(&app, &p, &run_id)?;
    if matches!(p.role, Role::Resident { .. }) {
        return Err(Problem::forbidden(
            "payment files are for the foundation's staff",
        ));
    }
    let version = match q.version.as_deref() {
        None | Some("03") => knop_bank::pain001::Version::V03,
        Some("09") => knop_bank::pain001::Version::V09,
        Some(other) => {
            return Err(Problem::bad_request(format!(
                "version: 03 or 09, found {other:?}"
            )))
        }
    };
    if !v.approved {
        return Err(run_problem(knop_app::payrun::RunError::NotApproved(run_id)));
    }
    let created = jiff::Zoned::now().strftime("%Y-%m-%dT%H:%M:%S").to_string();
    let mut content = v.content;
    if content
        .items
        .iter()
        .any(|i| i.creditor_iban == knop_app::payrun::RESIDENT_ACCOUNT)
    {
        // The resident's own IBAN, read from the vault for this file only (a logged read).
        let household = parse_household(&content.household)?;
        let vault = vault_of(&app)?;
        let at = jiff::Timestamp::now().to_string();
        let own = vault
            .read(household, &p.id, p.role.name(), "betaalbestand: leefgeld naar eigen rekening", &at)
            .map_err(vault_problem)?
            .iban
            .ok_or_else(|| {
                Problem::unprocessable(format!(
                    "household {household}: no own IBAN in its personal data; record it to pay living money"
                ))
            })?;
        for i in content
            .items
            .iter_mut()
            .filter(|i| i.creditor_iban == knop_app::payrun::RESIDENT_ACCOUNT)
        {
            i.creditor_iban = own.clone();
        }
    }
    let xml = knop_app::payrun::write_pain(&content, version, &created).map_err(run_problem)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/xml".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{run_id}.xml\""),
            ),
        ],
        xml,
    )
        .into_response())
}

fn now_ms() -> u64 {
    jiff::Timestamp::now().as_millisecond().max(0) as u64
}

/// The lines in suspense, oldest first, with explained suggestions from the caller's caseload
/// (counsellors and the administrator).
#[utoipa::path(get, path = "/suspense-lines", tag = "bank", security(("bearer" = [])),
    responses((status = 200, body = Vec<SuspenseLine>), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
async fn list_suspense(
    State(app): State<Arc<App>>,
    p: Principal,
) -> ApiResult<Json<Vec<SuspenseLine>>> {
    Ok(Json(suspense(&app, &p)?))
}

/// A suspense line in the path.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
struct LinePath {
    /// The line's id.
    #[param(pattern = "^[0-9a-f]{32}$")]
    line_id: String,
}

/// To whom a line goes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Assignment {
    /// The household.
    #[schema(pattern = "^[0-9]{1,38}$")]
    household: String,
}

/// Books a suspense line to a household by hand (the household's counsellor). Once only: the
/// line then leaves suspense.
#[utoipa::path(post, path = "/suspense-lines/{line_id}/assignment", tag = "bank",
    params(LinePath, ("Idempotency-Key" = String, Header, description = "Unique per assignment")),
    request_body = Assignment, security(("bearer" = [])),
    responses((status = 413, body = Problem, content_type = "application/problem+json"), (status = 201, body = ops::MatchReport), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn assign_line(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(line_id): Path<String>,
    J(a): J<Assignment>,
) -> ApiResult<(StatusCode, Json<ops::MatchReport>)> {
    let report = assign(&app, &p, &line_id, &a.household).await?;
    Ok((StatusCode::CREATED, Json(report)))
}

/// Books a suspense line to a household (API and cockpit).
pub(crate) async fn assign(
    app: &Arc<App>,
    p: &Principal,
    line_id: &str,
    household: &str,
) -> ApiResult<ops::MatchReport> {
    let s = visible(app, p, household)?;
    if !p.role.may_manage_household(&s.state.counsellor) {
        return Err(Problem::forbidden(
            "only the household's counsellor assigns lines to it",
        ));
    }
    let found = {
        let node = app.node();
        knop_app::suspense::find(node.state().book(), &app.statements(), line_id)
    };
    let Some(f) = found else {
        return Err(Problem::not_found(format!(
            "suspense line {line_id} (unknown, or already matched)"
        )));
    };
    let household = s.household;
    app.write(move |app, node| {
        ops::book_matched(
            node,
            &app.config.submitter,
            now_ms(),
            &f.stored.plan,
            household,
            &[f.pos],
            &Default::default(),
        )
    })
    .await
    .map_err(op_problem)
}

/// The suspense lines the caller may work on (API and cockpit).
pub(crate) fn suspense(app: &App, p: &Principal) -> ApiResult<Vec<SuspenseLine>> {
    if !p.role.may_import_statements() {
        return Err(Problem::forbidden(
            "suspense lines are for counsellors and the administrator",
        ));
    }
    let node = app.node();
    Ok(knop_app::suspense::lines(
        node.state(),
        &app.statements(),
        &p.role,
        app.today(),
    ))
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

/// What storing personal data did (never the values).
#[derive(Debug, Serialize, ToSchema)]
struct Stored {
    /// The fields stored.
    fields: Vec<String>,
}

/// Stores a household's personal data, encrypted with the household's own key (its counsellor).
/// Nothing of it goes on the ledger.
#[utoipa::path(put, path = "/households/{id}/personal-data", tag = "households",
    params(HouseholdPath, ("Idempotency-Key" = String, Header, description = "Unique per change")),
    request_body = knop_app::vault::PersonalData, security(("bearer" = [])),
    responses((status = 413, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 200, body = Stored), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 410, body = Problem, content_type = "application/problem+json"),
              (status = 415, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn put_personal(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(id): Path<String>,
    J(data): J<knop_app::vault::PersonalData>,
) -> ApiResult<Json<Stored>> {
    let s = visible(&app, &p, &id)?;
    if !p.role.may_manage_household(&s.state.counsellor) {
        return Err(Problem::forbidden(
            "only the household's counsellor records its personal data",
        ));
    }
    let vault = vault_of(&app)?;
    vault.put(s.household, &data).map_err(vault_problem)?;
    Ok(Json(Stored {
        fields: data.fields().into_iter().map(str::to_owned).collect(),
    }))
}

/// Why personal data is read: required, and logged for the resident to see.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct PurposeQuery {
    /// Why (3 to 200 characters), e.g. `contact over betaalachterstand`.
    #[param(min_length = 3, max_length = 200)]
    purpose: String,
}

/// Reads a household's personal data (the resident, or the household's counsellor), for a
/// stated purpose. Every read is logged: the resident sees who looked, when and why.
#[utoipa::path(get, path = "/households/{id}/personal-data", tag = "households",
    params(HouseholdPath, PurposeQuery), security(("bearer" = [])),
    responses((status = 200, body = knop_app::vault::PersonalData), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 410, body = Problem, content_type = "application/problem+json")))]
async fn get_personal(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(id): Path<String>,
    Q(q): Q<PurposeQuery>,
) -> ApiResult<Json<knop_app::vault::PersonalData>> {
    let s = visible(&app, &p, &id)?;
    let own = matches!(&p.role, Role::Resident { .. });
    if !own && !p.role.may_manage_household(&s.state.counsellor) {
        return Err(Problem::forbidden(
            "personal data is read by the resident and the household's counsellor only",
        ));
    }
    let purpose = q.purpose.trim();
    if purpose.chars().count() < 3 || purpose.chars().count() > 200 {
        return Err(Problem::bad_request("purpose: 3 to 200 characters"));
    }
    let vault = vault_of(&app)?;
    let at = jiff::Timestamp::now().to_string();
    vault
        .read(s.household, &p.id, p.role.name(), purpose, &at)
        .map(Json)
        .map_err(vault_problem)
}

/// What erasing did.
#[derive(Debug, Serialize, ToSchema)]
struct Erased {
    /// Whether there was personal data to destroy.
    destroyed: bool,
}

/// Erases a household's personal data for good (the administrator, on the resident's request):
/// its key is destroyed. The ledger is untouched and still verifies.
#[utoipa::path(delete, path = "/households/{id}/personal-data", tag = "households",
    params(HouseholdPath, ("Idempotency-Key" = String, Header, description = "Unique per erasure")),
    security(("bearer" = [])),
    responses((status = 422, body = Problem, content_type = "application/problem+json"), (status = 413, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 200, body = Erased), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn erase_personal(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Erased>> {
    let s = visible(&app, &p, &id)?;
    if !matches!(p.role, Role::Administrator) {
        return Err(Problem::forbidden("erasure is done by the administrator"));
    }
    let vault = vault_of(&app)?;
    let destroyed = vault.erase(s.household).map_err(vault_problem)?;
    Ok(Json(Erased { destroyed }))
}

/// Who read the household's personal data, when and why, newest first (the resident, the
/// counsellor, a supervisor, the administrator). Holds no personal data itself.
#[utoipa::path(get, path = "/households/{id}/access-log", tag = "households",
    params(HouseholdPath), security(("bearer" = [])),
    responses((status = 200, body = Vec<knop_app::vault::Access>), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn access_log(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<knop_app::vault::Access>>> {
    let s = visible(&app, &p, &id)?;
    let vault = vault_of(&app)?;
    vault.accesses(s.household).map(Json).map_err(vault_problem)
}

/// Reads the bank's payment status report (pain.002): every rejected payment's reservation is
/// voided (the money is free again) and the household gets an alert. A report read again voids
/// nothing twice.
#[utoipa::path(post, path = "/payment-status-reports", tag = "payments",
    params(("Idempotency-Key" = String, Header, description = "Unique per file upload")),
    request_body(content = String, content_type = "application/xml", description = "pain.002.001.03 to .10"),
    security(("bearer" = [])),
    responses((status = 201, body = ops::StatusReportOutcome), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json"), (status = 413, body = Problem, content_type = "application/problem+json"),
              (status = 415, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn upload_status_report(
    State(app): State<Arc<App>>,
    p: Principal,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<ops::StatusReportOutcome>)> {
    if !p.role.may_import_statements() {
        return Err(Problem::forbidden(
            "payment status reports are read by counsellors and the administrator",
        ));
    }
    require_xml(&headers, "a pain.002 file")?;
    let out = app
        .write(move |app, node| {
            ops::apply_status_report(node, &app.config.submitter, now_ms(), &body)
        })
        .await
        .map_err(op_problem)?;
    Ok((StatusCode::CREATED, Json(out)))
}
