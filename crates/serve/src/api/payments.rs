//! Payment runs with four-eyes approval: made, listed, approved and exported as pain.001; and
//! the bank's pain.002 status reports that void rejected payments.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{
    now_ms, off_lock, op_problem, parse_household, require_xml, vault_of, vault_problem, visible,
    J, Q,
};
use crate::auth::{Principal, Role};
use crate::problem::{ApiResult, Problem};
use crate::App;
use knop_app::ops;

/// The payments' routes.
pub(super) fn routes() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::new()
        .routes(routes!(create_run, list_runs))
        .routes(routes!(get_run))
        .routes(routes!(approve_run))
        .routes(routes!(run_pain001))
        .routes(routes!(upload_status_report))
        .routes(routes!(create_day_file, list_day_files))
        .routes(routes!(get_day_file))
        .routes(routes!(approve_day_file))
        .routes(routes!(day_file_pain001))
}

fn run_problem(e: knop_app::payrun::RunError) -> Problem {
    use knop_app::payrun::RunError;
    match e {
        RunError::Invalid(why) => Problem::unprocessable(why),
        RunError::NotFound(id) => Problem::not_found(format!("payment run {id}")),
        RunError::NotApproved(id) => Problem::conflict(format!(
            "four eyes: run {id} is not yet approved by a second person"
        )),
        RunError::InDayFile { run, day_file } => Problem::conflict(format!(
            "run {run} is part of day file {day_file}: download the day file's payment file"
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
            if app.vault().is_some() {
                knop_app::payrun::LivingMoneyTo::OwnAccountInVault
            } else {
                knop_app::payrun::LivingMoneyTo::NoAccountKnown
            },
        )
    })
    .await
    .map_err(run_problem)
}

/// Which runs to list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
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
    if p.role.is_outside() {
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
    if p.role.is_outside() {
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
    responses((status = 413, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 201, body = knop_app::payrun::RunView, description = "approved now"), (status = 200, body = knop_app::payrun::RunView, description = "approved by the same person before: nothing new recorded"), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn approve_run(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(run_id): Path<String>,
) -> ApiResult<(StatusCode, Json<knop_app::payrun::RunView>)> {
    let a = approve(&app, &p, run_id).await?;
    // Approved before by the same person: nothing new, said so with 200.
    let status = match a.recorded {
        knop_app::payrun::Recorded::Now => StatusCode::CREATED,
        knop_app::payrun::Recorded::Before => StatusCode::OK,
    };
    Ok((status, Json(a.run)))
}

/// Approves a run (API and cockpit).
pub(crate) async fn approve(
    app: &Arc<App>,
    p: &Principal,
    run_id: String,
) -> ApiResult<knop_app::payrun::Approval> {
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
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(super) struct PainQuery {
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
    let version = pain_version(&q)?;
    if !v.approved {
        return Err(run_problem(knop_app::payrun::RunError::NotApproved(run_id)));
    }
    knop_app::payrun::in_no_day_file(app.node().state(), &run_id).map_err(run_problem)?;
    let mut content = v.content;
    fill_own_account(&app, &p, &mut content)?;
    payment_file(&run_id, &[content], version)
}

/// The pain.001 version a query asks for.
pub(super) fn pain_version(q: &PainQuery) -> ApiResult<knop_bank::pain001::Version> {
    match q.version.as_deref() {
        None | Some("03") => Ok(knop_bank::pain001::Version::V03),
        Some("09") => Ok(knop_bank::pain001::Version::V09),
        Some(other) => Err(Problem::bad_request(format!(
            "version: 03 or 09, found {other:?}"
        ))),
    }
}

/// The payment file named `message_id` of approved runs' contents, as a download.
fn payment_file(
    message_id: &str,
    contents: &[knop_app::payrun::RunContent],
    version: knop_bank::pain001::Version,
) -> ApiResult<Response> {
    let xml = knop_app::payrun::write_pains(message_id, contents, version, &file_created())
        .map_err(run_problem)?;
    Ok(xml_download(message_id, xml))
}

/// A payment file's creation time (`GrpHdr/CreDtTm`): now, local time.
pub(super) fn file_created() -> String {
    jiff::Zoned::now().strftime("%Y-%m-%dT%H:%M:%S").to_string()
}

/// `xml` as a download named `<name>.xml`.
pub(super) fn xml_download(name: &str, xml: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/xml".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.xml\""),
            ),
        ],
        xml,
    )
        .into_response()
}

/// Fills in the resident's own IBAN where a run pays living money to it: read from the vault
/// for this file only (a logged read).
fn fill_own_account(
    app: &App,
    p: &Principal,
    content: &mut knop_app::payrun::RunContent,
) -> ApiResult<()> {
    if !content
        .items
        .iter()
        .any(|i| i.creditor_iban == knop_app::payrun::RESIDENT_ACCOUNT)
    {
        return Ok(());
    }
    let household = parse_household(&content.household)?;
    let vault = vault_of(app)?;
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
    Ok(())
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
    let report = off_lock(move || {
        knop_bank::pain002::parse(&body).map_err(|e| op_problem(ops::OpError::Bank(e)))
    })
    .await?;
    let role = p.role.clone();
    let out = app
        .write(move |app, node| {
            ops::apply_status_report(node, &app.config.submitter, now_ms(), report, &role)
        })
        .await
        .map_err(op_problem)?;
    Ok((StatusCode::CREATED, Json(out)))
}

/// What to make a day file for.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewDayFile {
    /// The execution date (ISO 8601), a TARGET2 business day.
    #[schema(format = Date)]
    date: String,
    /// The households (ids), all of the caller's caseload; left out: the whole caseload.
    #[schema(max_items = 1000)]
    households: Option<Vec<String>>,
}

/// Makes the day file of a date for the counsellor's caseload: every household's run, reserved
/// and recorded as one ledger entry (all or nothing). Households with nothing to pay are left
/// out and said why. A second person approves it as a whole; the bank gets one pain.001.
#[utoipa::path(post, path = "/day-files", tag = "payments",
    params(("Idempotency-Key" = String, Header, description = "Unique per intended day file")),
    request_body = NewDayFile, security(("bearer" = [])),
    responses((status = 201, body = knop_app::day_file::Made, description = "made now"),
              (status = 200, body = knop_app::day_file::Made, description = "made before with the same runs: nothing new recorded"),
              (status = 400, body = Problem, content_type = "application/problem+json"), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 413, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn create_day_file(
    State(app): State<Arc<App>>,
    p: Principal,
    J(req): J<NewDayFile>,
) -> ApiResult<(StatusCode, Json<knop_app::day_file::Made>)> {
    let made = make_day_file(&app, &p, &req.date, req.households.as_deref()).await?;
    let status = match made.recorded {
        Some(knop_app::payrun::Recorded::Before) => StatusCode::OK,
        _ => StatusCode::CREATED,
    };
    Ok((status, Json(made)))
}

/// Makes a day file (API and cockpit).
pub(crate) async fn make_day_file(
    app: &Arc<App>,
    p: &Principal,
    date: &str,
    households: Option<&[String]>,
) -> ApiResult<knop_app::day_file::Made> {
    if !matches!(p.role, Role::Counsellor { .. }) {
        return Err(Problem::forbidden(
            "a day file is made by a counsellor, for their caseload",
        ));
    }
    let date: jiff::civil::Date = date
        .parse()
        .map_err(|e| Problem::unprocessable(format!("date: {e}")))?;
    let caseload: Vec<knop_huishoudboekje::HouseholdId> = {
        let node = app.node();
        node.state()
            .households()
            .iter()
            .filter(|(_, h)| p.role.may_manage_household(&h.counsellor))
            .map(|(id, _)| *id)
            .collect()
    };
    let households = match households {
        None => caseload,
        Some(list) => {
            if list.len() > knop_state::BATCH_RUNS_MAX {
                return Err(Problem::unprocessable(format!(
                    "households: at most {}, found {}",
                    knop_state::BATCH_RUNS_MAX,
                    list.len()
                )));
            }
            let mut chosen = Vec::with_capacity(list.len());
            for (i, h) in list.iter().enumerate() {
                let id = parse_household(h).map_err(|_| {
                    Problem::bad_request(format!(
                        "households[{i}]: expected a household number, found {h:?}"
                    ))
                })?;
                if !caseload.contains(&id) {
                    return Err(Problem::forbidden(format!(
                        "households[{i}]: household {id} is not in your caseload"
                    )));
                }
                if !chosen.contains(&id) {
                    chosen.push(id);
                }
            }
            chosen
        }
    };
    if households.is_empty() {
        return Err(Problem::unprocessable("your caseload has no households"));
    }
    let by = p.id.clone();
    let debtor = app.debtor();
    let paid = knop_app::statements::paid_end_to_end_ids(&app.statements());
    app.write(move |app, node| {
        knop_app::day_file::make(
            node,
            &app.config.submitter,
            now_ms(),
            &households,
            date,
            &by,
            &debtor,
            &paid,
            knop_app::day_file::LivingMoney {
                to: if app.vault().is_some() {
                    knop_app::payrun::LivingMoneyTo::OwnAccountInVault
                } else {
                    knop_app::payrun::LivingMoneyTo::NoAccountKnown
                },
                own_account_known: &|h| app.vault().is_some_and(|v| v.has_own_iban(h)),
            },
        )
    })
    .await
    .map_err(run_problem)
}

/// Day files are for the foundation's staff: counsellors, supervisors, administrators.
fn may_use_day_files(p: &Principal) -> ApiResult<()> {
    if matches!(
        p.role,
        Role::Counsellor { .. } | Role::Supervisor | Role::Administrator
    ) {
        Ok(())
    } else {
        Err(Problem::forbidden(format!(
            "the role {} has no access to day files",
            p.role.name()
        )))
    }
}

/// Whether the caller may see the day file: every household in it.
fn may_see_day_file(
    st: &knop_state::State,
    p: &Principal,
    d: &knop_app::day_file::DayFileView,
) -> bool {
    d.runs.iter().all(|r| {
        r.content
            .household
            .parse::<knop_huishoudboekje::HouseholdId>()
            .is_ok_and(|h| {
                st.households()
                    .get(&h)
                    .is_some_and(|x| p.role.may_see_household(h, &x.counsellor))
            })
    })
}

/// The day files the caller may see (those of a counsellor's caseload; all for a supervisor or
/// administrator), newest first, without their runs' payments.
pub(crate) fn visible_day_files(
    app: &App,
    p: &Principal,
) -> ApiResult<Vec<knop_app::day_file::DayFileView>> {
    may_use_day_files(p)?;
    let node = app.node();
    let st = node.state();
    Ok(knop_app::day_file::list(st)
        .into_iter()
        .filter(|d| may_see_day_file(st, p, d))
        .collect())
}

/// The day file, if the caller may see it (else not found).
fn visible_day_file(
    app: &App,
    p: &Principal,
    id: &str,
) -> ApiResult<knop_app::day_file::DayFileView> {
    may_use_day_files(p)?;
    let node = app.node();
    let st = node.state();
    knop_app::day_file::view_of(st, id)
        .ok()
        .filter(|d| may_see_day_file(st, p, d))
        .ok_or_else(|| Problem::not_found(format!("day file {id}")))
}

/// The day files the caller may see, newest first.
#[utoipa::path(get, path = "/day-files", tag = "payments", security(("bearer" = [])),
    responses((status = 200, body = Vec<knop_app::day_file::DayFileView>), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
async fn list_day_files(
    State(app): State<Arc<App>>,
    p: Principal,
) -> ApiResult<Json<Vec<knop_app::day_file::DayFileView>>> {
    visible_day_files(&app, &p).map(Json)
}

/// A day file in the path.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
struct DayFilePath {
    /// The day file's id.
    #[param(min_length = 1, max_length = 64)]
    day_file_id: String,
}

/// One day file, with its runs.
#[utoipa::path(get, path = "/day-files/{day_file_id}", tag = "payments", params(DayFilePath), security(("bearer" = [])),
    responses((status = 200, body = knop_app::day_file::DayFileView), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_day_file(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<knop_app::day_file::DayFileView>> {
    visible_day_file(&app, &p, &id).map(Json)
}

/// Approves every run of a day file at once (a supervisor; never its maker).
#[utoipa::path(post, path = "/day-files/{day_file_id}/approvals", tag = "payments",
    params(DayFilePath, ("Idempotency-Key" = String, Header, description = "Unique per approval")),
    security(("bearer" = [])),
    responses((status = 201, body = knop_app::day_file::DayFileView, description = "approved now"), (status = 200, body = knop_app::day_file::DayFileView, description = "approved by the same person before"),
              (status = 400, body = Problem, content_type = "application/problem+json"), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json"), (status = 413, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn approve_day_file(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Json<knop_app::day_file::DayFileView>)> {
    let (v, recorded) = approve_day(&app, &p, id).await?;
    let status = match recorded {
        knop_app::payrun::Recorded::Now => StatusCode::CREATED,
        knop_app::payrun::Recorded::Before => StatusCode::OK,
    };
    Ok((status, Json(v)))
}

/// Approves a day file (API and cockpit).
pub(crate) async fn approve_day(
    app: &Arc<App>,
    p: &Principal,
    id: String,
) -> ApiResult<(knop_app::day_file::DayFileView, knop_app::payrun::Recorded)> {
    visible_day_file(app, p, &id)?;
    if !matches!(p.role, Role::Supervisor) {
        return Err(Problem::forbidden("day files are approved by a supervisor"));
    }
    let by = p.id.clone();
    app.write(move |app, node| {
        knop_app::day_file::approve(node, &app.config.submitter, now_ms(), &id, &by)
    })
    .await
    .map_err(run_problem)
}

/// The day file as one pain.001 (MsgId: the day file's id), once a second person approved it.
#[utoipa::path(get, path = "/day-files/{day_file_id}/pain001", tag = "payments", params(DayFilePath, PainQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "pain.001", content_type = "application/xml", body = String),
              (status = 400, body = Problem, content_type = "application/problem+json"), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn day_file_pain001(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(id): Path<String>,
    Q(q): Q<PainQuery>,
) -> ApiResult<Response> {
    visible_day_file(&app, &p, &id)?;
    let version = pain_version(&q)?;
    let mut contents =
        knop_app::day_file::contents(app.node().state(), &id).map_err(run_problem)?;
    for c in &mut contents {
        fill_own_account(&app, &p, c)?;
    }
    payment_file(&id, &contents, version)
}
