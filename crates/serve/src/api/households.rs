//! Households: who is asking, the caseload, a household's overview, forecast and alerts, its
//! agreements and its advance limit.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::Json;
use knop_state::{Command, HouseholdCommand};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{now_ms, op_problem, vault_problem, visible, HouseholdPath, J, Q};
use crate::auth::{Principal, Role};
use crate::problem::{ApiResult, Problem};
use crate::App;
use knop_app::ops::{self, OpError};
use knop_app::views::{self, AlertView, ForecastView, HouseholdSummary, Overview};

/// The households' routes.
pub(super) fn routes() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::new()
        .routes(routes!(me))
        .routes(routes!(list_households))
        .routes(routes!(get_household))
        .routes(routes!(household_forecast))
        .routes(routes!(household_alerts))
        .routes(routes!(list_agreements))
        .routes(routes!(put_agreement))
        .routes(routes!(put_advance_limit))
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
#[into_params(parameter_in = Query)]
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
    if p.role.is_outside() {
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
    o.month_lines = views::month_lines(&o.month_flows, &o.month_bookings, today);
    Ok(o)
}

/// Forecast parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
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
    agreement: knop_huishoudboekje::Agreement,
) -> ApiResult<Recorded> {
    let s = managed(app, p, household, "changes its agreements")?;
    agreement
        .check()
        .map_err(|e| Problem::unprocessable(e.to_string()))?;
    let resident = resident_data(app, p, s.household)?;
    knop_app::ledger_text::check_agreement(&agreement, resident.as_ref())
        .map_err(|e| Problem::unprocessable(format!("nothing recorded: {e}")))?;
    record(
        app,
        Command::Household(HouseholdCommand::SetAgreement {
            household: s.household,
            agreement,
        }),
    )
    .await
}

/// The household's own personal data, to check that nothing of it goes on the shared ledger (a
/// logged read), when the vault has any.
pub(super) fn resident_data(
    app: &App,
    p: &Principal,
    household: knop_huishoudboekje::HouseholdId,
) -> ApiResult<Option<knop_app::vault::PersonalData>> {
    let Some(v) = app.vault() else {
        return Ok(None);
    };
    let at = jiff::Timestamp::now().to_string();
    let purpose = "controle: geen persoonsgegevens op het gedeelde grootboek";
    match v.read(household, &p.id, p.role.name(), purpose, &at) {
        Ok(d) => Ok(Some(d)),
        Err(knop_app::vault::VaultError::NotFound(_) | knop_app::vault::VaultError::Erased(_)) => {
            Ok(None)
        }
        Err(e) => Err(vault_problem(e)),
    }
}

/// The household, if `p` is its counsellor: only they `what` (403 otherwise; 404 if `p` may not
/// even see it).
pub(super) fn managed(
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
pub(super) async fn record(app: &Arc<App>, cmd: Command) -> ApiResult<Recorded> {
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
struct AdvanceLimit {
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
