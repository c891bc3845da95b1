//! The Kindpakket's money after the till: shops' payees, payouts (made by one person at the
//! municipality, approved by a second, paid by pain.001, confirmed by the municipality's
//! camt.053, which also tops up funds), refunds, and a shop's own payouts. The work is
//! `knop_app::payouts`'s.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use knop_app::kindpakket::{self as kp, KindpakketError};
use knop_app::payouts::{self, PayoutView, StatementResult};
use knop_ledger::entry::OrgName;
use knop_ledger::note::NoteKey;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::kindpakket::{kp_problem, municipality, FundPath, SpendPath};
use super::payments::{file_created, pain_version, xml_download, PainQuery};
use super::{now_ms, off_lock, require_xml, J, Q};
use crate::auth::Principal;
use crate::problem::{ApiResult, Problem};
use crate::App;

/// The routes.
pub(super) fn routes() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::new()
        .routes(routes!(set_payee_route))
        .routes(routes!(new_payout, fund_payouts))
        .routes(routes!(approve_route))
        .routes(routes!(payout_pain001))
        .routes(routes!(statement_route))
        .routes(routes!(my_payouts))
        .routes(routes!(refund_route))
}

/// The municipality `p` works for and its key, if it owns `fund` (else 404).
fn owner_of(app: &App, p: &Principal, fund: &str) -> ApiResult<NoteKey> {
    let (org, key) = municipality(app, p)?;
    let owns = app
        .node()
        .state()
        .funds()
        .get(fund)
        .is_some_and(|f| f.owner.as_str() == org);
    if !owns {
        return Err(Problem::not_found(format!("fund {fund}")));
    }
    Ok(key)
}

/// A payout is made and approved by people who logged in (their own names on the ledger), never
/// by an API key: a key is the organisation, and would count as a second person.
fn a_person(p: &Principal) -> ApiResult<()> {
    if p.session.is_none() {
        return Err(Problem::forbidden(
            "payouts are made and approved by people who logged in, not with an API key",
        ));
    }
    Ok(())
}

/// The fund of a payout, if `p`'s municipality owns it (else 404).
fn payout_fund(app: &App, p: &Principal, payout: &str) -> ApiResult<(String, NoteKey)> {
    let fund = app
        .node()
        .state()
        .payouts()
        .get(payout)
        .map(|x| x.fund.clone())
        .ok_or_else(|| Problem::not_found(format!("payout {payout}")))?;
    let key = owner_of(app, p, &fund).map_err(|e| {
        if e.status == 403 {
            e
        } else {
            Problem::not_found(format!("payout {payout}"))
        }
    })?;
    Ok((fund, key))
}

/// Where a shop is paid.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewPayee {
    /// The shop (accepted for the fund).
    pub(crate) merchant: String,
    /// Its IBAN (spaces allowed).
    pub(crate) iban: String,
    /// The account holder's name, as its bank knows it (at most 70).
    pub(crate) name: String,
}

/// Records where an accepted shop is paid for the fund (its municipality). The IBAN's check
/// digits are checked; the same again changes nothing.
#[utoipa::path(post, path = "/kindpakket/funds/{fund}/payees", tag = "kindpakket",
    params(FundPath, ("Idempotency-Key" = String, Header, description = "Unique per change")),
    request_body = NewPayee, security(("bearer" = [])),
    responses((status = 201, body = kp::FundReport), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 413, body = Problem, content_type = "application/problem+json"), (status = 415, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn set_payee_route(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(fund): Path<String>,
    J(b): J<NewPayee>,
) -> ApiResult<(StatusCode, Json<kp::FundReport>)> {
    Ok((
        StatusCode::CREATED,
        Json(set_payee(&app, &p, &fund, b).await?),
    ))
}

/// Records a payee (API and cockpit).
pub(crate) async fn set_payee(
    app: &Arc<App>,
    p: &Principal,
    fund: &str,
    b: NewPayee,
) -> ApiResult<kp::FundReport> {
    let key = owner_of(app, p, fund)?;
    let merchant = OrgName::parse(b.merchant.trim())
        .map_err(|e| Problem::unprocessable(format!("merchant: {e}")))?;
    let fund = fund.to_owned();
    app.write(move |_, node| {
        payouts::set_payee(node, &key, now_ms(), &fund, &merchant, &b.iban, &b.name)
            .map_err(kp_problem)?;
        kp::report(node.state(), &fund).ok_or_else(|| Problem::not_found(format!("fund {fund}")))
    })
    .await
}

/// A payout to make.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewPayout {
    /// The last day of purchases it pays (ISO 8601); the same day again is the same payout.
    #[schema(value_type = String, format = Date)]
    pub(crate) until: jiff::civil::Date,
    /// The day the bank is to pay (ISO 8601), on or after `until`.
    #[schema(value_type = String, format = Date)]
    pub(crate) execution_date: jiff::civil::Date,
    /// The municipality's account it is paid from.
    pub(crate) from_iban: String,
    /// The request's own key (the cockpit's form key); the API takes the Idempotency-Key, so
    /// that a retry names the same payout and makes it once.
    #[serde(skip)]
    pub(crate) key: Option<String>,
}

/// Makes the payout of the fund up to a day (a person at its municipality): every purchase
/// and refund not paid before, one line per shop with a payee, in one entry. A second person
/// approves it before its payment file can be had.
#[utoipa::path(post, path = "/kindpakket/funds/{fund}/payouts", tag = "kindpakket",
    params(FundPath, ("Idempotency-Key" = String, Header, description = "Unique per payout")),
    request_body = NewPayout, security(("bearer" = [])),
    responses((status = 201, body = PayoutView), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 413, body = Problem, content_type = "application/problem+json"), (status = 415, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn new_payout(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(fund): Path<String>,
    headers: HeaderMap,
    J(mut b): J<NewPayout>,
) -> ApiResult<(StatusCode, Json<PayoutView>)> {
    b.key = headers
        .get("idempotency-key")
        .and_then(|k| k.to_str().ok())
        .map(str::to_owned);
    Ok((StatusCode::CREATED, Json(make(&app, &p, &fund, b).await?)))
}

/// Makes a payout (API and cockpit).
pub(crate) async fn make(
    app: &Arc<App>,
    p: &Principal,
    fund: &str,
    b: NewPayout,
) -> ApiResult<PayoutView> {
    let key = owner_of(app, p, fund)?;
    a_person(p)?;
    let (fund, by) = (fund.to_owned(), p.id.clone());
    // Without a key of its own, each request is a new payout.
    let request = b.key.clone().unwrap_or_else(knop_app::random_token);
    app.write(move |_, node| {
        let req = payouts::PayoutRequest {
            fund: &fund,
            until: b.until,
            execution: b.execution_date,
            from_iban: &b.from_iban,
            by: &by,
            key: &request,
            now_ms: now_ms(),
        };
        payouts::make(node, &key, &req).map_err(kp_problem)
    })
    .await
}

/// The fund's payouts, newest first (its municipality).
#[utoipa::path(get, path = "/kindpakket/funds/{fund}/payouts", tag = "kindpakket",
    params(FundPath), security(("bearer" = [])),
    responses((status = 200, body = Vec<PayoutView>), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json")))]
async fn fund_payouts(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(fund): Path<String>,
) -> ApiResult<Json<Vec<PayoutView>>> {
    owner_of(&app, &p, &fund)?;
    Ok(Json(payouts::of_fund(app.node().state(), &fund)))
}

/// A payout in the path.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
struct PayoutPath {
    /// The payout's id.
    payout: String,
}

/// Approves a payout (a second person at the municipality; its maker is refused). Approved
/// again by the same person, nothing changes.
#[utoipa::path(post, path = "/kindpakket/payouts/{payout}/approvals", tag = "kindpakket",
    params(PayoutPath, ("Idempotency-Key" = String, Header, description = "Unique per approval")),
    security(("bearer" = [])),
    responses((status = 200, body = PayoutView), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn approve_route(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(payout): Path<String>,
) -> ApiResult<Json<PayoutView>> {
    approve(&app, &p, &payout).await.map(Json)
}

/// Approves a payout (API and cockpit).
pub(crate) async fn approve(app: &Arc<App>, p: &Principal, payout: &str) -> ApiResult<PayoutView> {
    let (_, key) = payout_fund(app, p, payout)?;
    a_person(p)?;
    let (payout, by) = (payout.to_owned(), p.id.clone());
    app.write(move |_, node| {
        payouts::approve(node, &key, now_ms(), &payout, &by).map_err(kp_problem)
    })
    .await
}

/// The payout's payment file for the bank (pain.001), once a second person approved it.
#[utoipa::path(get, path = "/kindpakket/payouts/{payout}/pain001", tag = "kindpakket",
    params(PayoutPath, PainQuery), security(("bearer" = [])),
    responses((status = 200, description = "pain.001", content_type = "application/xml", body = String),
              (status = 400, body = Problem, content_type = "application/problem+json"), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn payout_pain001(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(payout): Path<String>,
    Q(q): Q<PainQuery>,
) -> ApiResult<Response> {
    pain_file(&app, &p, &payout, pain_version(&q)?)
}

/// The payment file as a download (API and cockpit).
pub(crate) fn pain_file(
    app: &App,
    p: &Principal,
    payout: &str,
    version: knop_bank::pain001::Version,
) -> ApiResult<Response> {
    let (_, key) = payout_fund(app, p, payout)?;
    let xml = payouts::pain001(
        app.node().state(),
        payout,
        key.key_name(),
        version,
        &file_created(),
    )
    .map_err(kp_problem)?;
    Ok(xml_download(payout, xml))
}

/// Reads the municipality's camt.053: payout lines it shows paid (by EndToEndId and amount)
/// and credits naming a fund's code (`KINDPAKKET <fund>`) as top-ups, recorded as one entry;
/// other lines are listed, not booked. The same file again records nothing new.
#[utoipa::path(post, path = "/kindpakket/statements", tag = "kindpakket",
    params(("Idempotency-Key" = String, Header, description = "Unique per file upload")),
    request_body(content = String, content_type = "application/xml", description = "camt.053.001.02 or .08"),
    security(("bearer" = [])),
    responses((status = 200, body = StatementResult), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json"), (status = 413, body = Problem, content_type = "application/problem+json"),
              (status = 415, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn statement_route(
    State(app): State<Arc<App>>,
    p: Principal,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<StatementResult>> {
    require_xml(&headers, "a camt.053 file")?;
    statement(&app, &p, body).await.map(Json)
}

/// Reads a statement (API and cockpit).
pub(crate) async fn statement(
    app: &Arc<App>,
    p: &Principal,
    body: Bytes,
) -> ApiResult<StatementResult> {
    let (_, key) = municipality(app, p)?;
    // The file is parsed once more under the lock, but checked here first, off the lock, so a
    // malformed file is refused without holding anyone up.
    let body = off_lock(move || {
        knop_bank::camt053::parse(&body)
            .map_err(|e| kp_problem(KindpakketError::Op(knop_app::ops::OpError::Bank(e))))?;
        Ok(body)
    })
    .await?;
    app.write(move |_, node| {
        payouts::read_statement(node, &key, now_ms(), &body).map_err(kp_problem)
    })
    .await
}

/// The asking shop's payouts, newest first, each with its own line only: how much, which
/// purchases and refunds it covers, and whether the bank paid it.
#[utoipa::path(get, path = "/kindpakket/payouts", tag = "kindpakket",
    security(("bearer" = [])),
    responses((status = 200, body = Vec<PayoutView>), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
async fn my_payouts(State(app): State<Arc<App>>, p: Principal) -> ApiResult<Json<Vec<PayoutView>>> {
    let shop = p
        .role
        .merchant()
        .ok_or_else(|| Problem::forbidden("a shop sees its own payouts"))?;
    let shop = OrgName::parse(shop).map_err(|e| Problem::internal(e.to_string()))?;
    Ok(Json(payouts::of_merchant(app.node().state(), &shop)))
}

/// Money given back.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewRefund {
    /// How much, in euro cents: at most what is left of the purchase.
    pub(crate) cents: i64,
}

/// A refund made.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RefundMade {
    /// The refund's id.
    pub(crate) refund: String,
    /// The purchase.
    pub(crate) spend: String,
    /// How much, in cents.
    pub(crate) cents: i64,
    /// Left on the voucher now, in cents.
    pub(crate) left_cents: i64,
}

/// Gives money of a purchase back to the voucher (the shop that took it, or the fund's
/// municipality), also after it was paid out: the shop's next payout is less by it. The
/// refund's id comes from the Idempotency-Key, so a retry refunds once.
#[utoipa::path(post, path = "/kindpakket/spends/{spend}/refunds", tag = "kindpakket",
    params(SpendPath, ("Idempotency-Key" = String, Header, description = "Unique per refund")),
    request_body = NewRefund, security(("bearer" = [])),
    responses((status = 201, body = RefundMade), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 413, body = Problem, content_type = "application/problem+json"), (status = 415, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn refund_route(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(spend): Path<String>,
    headers: HeaderMap,
    J(b): J<NewRefund>,
) -> ApiResult<(StatusCode, Json<RefundMade>)> {
    let key = headers
        .get("idempotency-key")
        .and_then(|k| k.to_str().ok())
        .map(str::to_owned);
    Ok((
        StatusCode::CREATED,
        Json(refund(&app, &p, &spend, b.cents, key).await?),
    ))
}

/// Makes a refund (API and till page); `key` is the request's own key.
pub(crate) async fn refund(
    app: &Arc<App>,
    p: &Principal,
    spend: &str,
    cents: i64,
    key: Option<String>,
) -> ApiResult<RefundMade> {
    let not_found = || Problem::not_found(format!("spend {spend}"));
    // Who may refund at all is answered before anything is looked up: a purchase that is not
    // yours is not found, whether it exists or not.
    if p.role.merchant().is_none() && p.role.municipality().is_none() {
        return Err(Problem::forbidden(
            "a purchase is refunded by the shop that took it or the fund's municipality",
        ));
    }
    let (voucher, signer) = {
        let node = app.node();
        let st = node.state();
        let s = st.spends().get(spend).ok_or_else(not_found)?;
        let owner = st
            .vouchers()
            .get(&s.voucher)
            .and_then(|v| st.funds().get(&v.fund))
            .map(|f| f.owner.to_string())
            .ok_or_else(not_found)?;
        let signer = if let Some(shop) = p.role.merchant() {
            if s.merchant.as_str() != shop {
                return Err(not_found());
            }
            app.hosted(shop).or_else(|| app.hosted(&owner))
        } else if p.role.municipality() == Some(owner.as_str()) {
            app.hosted(&owner)
        } else {
            return Err(not_found());
        };
        let signer = signer.cloned().ok_or_else(|| {
            Problem::conflict("neither the shop's nor the municipality's key is held here")
        })?;
        (s.voucher.clone(), signer)
    };
    let id = match &key {
        Some(k) => format!(
            "R-{}",
            kp::voucher_id_for(&p.id, &format!("refund\0{spend}\0{k}"))
        ),
        None => format!("R-{}", kp::new_voucher_id()),
    };
    let spend = spend.to_owned();
    app.write(move |app, node| {
        payouts::refund(
            node,
            &signer,
            now_ms().max(app.today_ms()),
            &id,
            &spend,
            cents,
            app.today(),
        )
        .map_err(kp_problem)?;
        // The money went to the voucher that holds the child's budget now.
        let now = node
            .state()
            .refunds()
            .get(&id)
            .map_or(voucher, |r| r.voucher.clone());
        let left = kp::voucher(node.state(), &now).map_or(0, |v| v.left_cents);
        Ok(RefundMade {
            refund: id,
            spend,
            cents,
            left_cents: left,
        })
    })
    .await
}
