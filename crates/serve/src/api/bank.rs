//! The foundation's bank account: camt.053 statements uploaded, and the lines in suspense
//! assigned to households by hand.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{now_ms, off_lock, op_problem, require_xml, visible, J, Q};
use crate::auth::Principal;
use crate::problem::{ApiResult, Problem};
use crate::App;
use knop_app::ops::{self, UploadReport};
use knop_app::suspense::SuspenseLine;

/// The bank's routes.
pub(super) fn routes() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::new()
        .routes(routes!(upload_statement))
        .routes(routes!(list_suspense))
        .routes(routes!(assign_line))
        .routes(routes!(book_to_foundation_line))
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
    // Reading the file and keeping it are done before the ledger is locked: a large file holds
    // up no one else's request.
    let (read, kept, bytes) = {
        let app = app.clone();
        off_lock(move || {
            let read =
                ops::read_statement(&body, &app.config.foundation_iban).map_err(op_problem)?;
            let kept = app.keep_statement_file(&body).map_err(Problem::internal)?;
            Ok((read, kept, body))
        })
        .await?
    };
    drop(bytes);
    let role = p.role.clone();
    app.write(move |app, node| {
        match ops::upload(node, &app.config.submitter, now_ms(), read, today, &role) {
            Ok(up) => {
                app.remember_statement(kept, Some((up.file, up.plan)));
                Ok(up.report)
            }
            Err(e) => {
                app.remember_statement(kept, None);
                Err(e)
            }
        }
    })
    .await
    .map_err(op_problem)
}

/// Pagination of the suspense lines.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct LinesQuery {
    /// Page number, from 1.
    #[param(minimum = 1, maximum = 1000000)]
    page: Option<u32>,
    /// Lines per page, 1 to 500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    page_size: Option<u32>,
}

/// The lines in suspense, oldest first, a page at a time, with explained suggestions from the
/// caller's caseload (counsellors and the administrator). `X-Total-Count` gives the lines in
/// all; `Link` the next page.
#[utoipa::path(get, path = "/suspense-lines", tag = "bank", params(LinesQuery), security(("bearer" = [])),
    responses((status = 200, body = Vec<SuspenseLine>, headers(("X-Total-Count" = u64, description = "Lines in suspense in all"))),
              (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
async fn list_suspense(
    State(app): State<Arc<App>>,
    p: Principal,
    Q(q): Q<LinesQuery>,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let page = q.page.unwrap_or(1);
    let size = q.page_size.unwrap_or(100);
    if !(1..=1_000_000).contains(&page) || !(1..=500).contains(&size) {
        return Err(Problem::bad_request(
            "page: from 1 to 1000000; page_size: from 1 to 500",
        ));
    }
    let found = suspense(&app, &p, (page as usize, size as usize))?;
    let mut r = Json(&found.lines).into_response();
    let h = r.headers_mut();
    h.insert("x-total-count", found.total.into());
    if (page as usize).saturating_mul(size as usize) < found.total {
        let next = format!(
            "</api/v1/suspense-lines?page={}&page_size={size}>; rel=\"next\"",
            page + 1
        );
        if let Ok(v) = axum::http::HeaderValue::from_str(&next) {
            h.insert(axum::http::header::LINK, v);
        }
    }
    Ok(r)
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

/// What a line is to the foundation itself.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct OwnLine {
    /// Interest the account earned, or what the bank charged.
    purpose: knop_huishoudboekje::booking::OwnPurpose,
}

/// Books a suspense line to the foundation's own account (interest, bank costs), for lines that
/// belong to no household (the administrator). Once only: the line then leaves suspense; a line
/// booked to a household is refused.
#[utoipa::path(post, path = "/suspense-lines/{line_id}/foundation", tag = "bank",
    params(LinePath, ("Idempotency-Key" = String, Header, description = "Unique per booking")),
    request_body = OwnLine, security(("bearer" = [])),
    responses((status = 413, body = Problem, content_type = "application/problem+json"), (status = 415, body = Problem, content_type = "application/problem+json"), (status = 201, body = ops::OwnBooking), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn book_to_foundation_line(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(line_id): Path<String>,
    J(o): J<OwnLine>,
) -> ApiResult<(StatusCode, Json<ops::OwnBooking>)> {
    let report = book_to_foundation(&app, &p, &line_id, o.purpose).await?;
    Ok((StatusCode::CREATED, Json(report)))
}

/// Books a suspense line to the foundation's own account (API and cockpit).
pub(crate) async fn book_to_foundation(
    app: &Arc<App>,
    p: &Principal,
    line_id: &str,
    purpose: knop_huishoudboekje::booking::OwnPurpose,
) -> ApiResult<ops::OwnBooking> {
    if !p.role.may_book_foundation_lines() {
        return Err(Problem::forbidden(
            "only the administrator books lines to the foundation's own accounts",
        ));
    }
    let f = suspense_line(app, line_id)?;
    app.write(move |app, node| {
        ops::book_to_foundation(
            node,
            &app.config.submitter,
            now_ms(),
            &f.stored.plan,
            f.pos,
            purpose,
        )
    })
    .await
    .map_err(op_problem)
}

/// The line `line_id` while it is in suspense; 404 when unknown or already booked.
fn suspense_line(app: &App, line_id: &str) -> ApiResult<knop_app::suspense::FoundLine> {
    let node = app.node();
    knop_app::suspense::find(node.state().book(), &app.statements(), line_id).ok_or_else(|| {
        Problem::not_found(format!(
            "suspense line {line_id} (unknown, or already booked)"
        ))
    })
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
    let f = suspense_line(app, line_id)?;
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

/// The suspense lines the caller may work on, page `(page, size)` (API and cockpit).
pub(crate) fn suspense(
    app: &App,
    p: &Principal,
    page: (usize, usize),
) -> ApiResult<knop_app::suspense::Page> {
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
        page,
    ))
}
