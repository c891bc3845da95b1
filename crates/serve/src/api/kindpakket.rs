//! The Kindpakket over the API: a municipality's staff open funds, accept shops and issue
//! vouchers; a parent fetches the voucher's rotating code; a shop checks a code and takes a
//! spend. The work is `knop_app::kindpakket`'s; a spend is one ledger entry that checks every
//! rule, signed by the shop's own key when the service holds it, else by the municipality's.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use knop_app::kindpakket::{self as kp, FundReport, KindpakketError, VoucherView};
use knop_ledger::entry::OrgName;
use knop_ledger::note::NoteKey;
use knop_state::kindpakket::{Category, CATEGORY_BITS};
use knop_state::KindpakketCommand;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{now_ms, op_problem, visible, HouseholdPath, J};
use crate::auth::{Principal, Role};
use crate::problem::{ApiResult, Problem};
use crate::App;

/// The routes.
pub(super) fn routes() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::new()
        .routes(routes!(open_fund))
        .routes(routes!(fund_report))
        .routes(routes!(accept_merchant))
        .routes(routes!(issue_voucher))
        .routes(routes!(household_vouchers))
        .routes(routes!(voucher_code))
        .routes(routes!(check_code_route))
        .routes(routes!(new_spend))
        .routes(routes!(cancel_spend))
        .routes(routes!(block_voucher))
        .routes(routes!(reissue_voucher))
}

pub(crate) fn kp_problem(e: KindpakketError) -> Problem {
    use knop_state::KindpakketRejection as R;
    match e {
        KindpakketError::BadCode | KindpakketError::Invalid(_) => {
            Problem::unprocessable(e.to_string())
        }
        KindpakketError::CodeUsed | KindpakketError::NotApproved(_) => {
            Problem::conflict(e.to_string())
        }
        KindpakketError::Op(knop_app::ops::OpError::Rejected(
            knop_state::StateError::Kindpakket { what, rejection },
        )) => match rejection {
            R::Unknown(w) => Problem::not_found(w),
            r @ (R::NotBlocked | R::FourEyes | R::NotApproved(_) | R::PaidOut) => {
                Problem::conflict(format!("{what}: {r}"))
            }
            R::NotYourFund(_) => Problem::not_found(what),
            R::ExistsWithDifferent(w) => {
                Problem::conflict(format!("{w} exists with other details; its id is its key"))
            }
            other => Problem::unprocessable(format!("nothing recorded: {what}: {other}")),
        },
        KindpakketError::Op(o) => op_problem(o),
    }
}

/// The municipality `p` works for and its key (the service must hold it).
pub(super) fn municipality(app: &App, p: &Principal) -> ApiResult<(String, NoteKey)> {
    let org = p
        .role
        .municipality()
        .ok_or_else(|| Problem::forbidden("the Kindpakket's funds are the municipality's"))?;
    let key = app.hosted(org).cloned().ok_or_else(|| {
        Problem::conflict(format!(
            "this service does not hold the key of municipality {org:?}"
        ))
    })?;
    Ok((org.to_owned(), key))
}

fn bits(names: &[String]) -> ApiResult<u16> {
    let mut b = 0u16;
    for n in names {
        b |= Category::parse(n).ok_or_else(|| {
            Problem::unprocessable(format!(
                "categories: {} ; found {n:?}",
                Category::ALL.map(|c| c.name()).join(", ")
            ))
        })? as u16;
    }
    if b == 0 || b & !CATEGORY_BITS != 0 {
        return Err(Problem::unprocessable("categories: at least one"));
    }
    Ok(b)
}

/// A new fund.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewFund {
    /// Its id (letters, digits, `-`; at most 64).
    #[schema(pattern = "^[A-Za-z0-9-]{1,64}$")]
    pub(crate) id: String,
    /// Budget per child, in euro cents (1 to 1 000 000).
    pub(crate) child_cents: i64,
    /// First day (ISO 8601).
    #[schema(value_type = String, format = Date)]
    pub(crate) from: jiff::civil::Date,
    /// Last day (ISO 8601).
    #[schema(value_type = String, format = Date)]
    pub(crate) until: jiff::civil::Date,
    /// What the budget may be spent on: `sport`, `culture`, `school`, `clothing`, `bicycles`,
    /// `computers`, `swimming`.
    pub(crate) categories: Vec<String>,
    /// Most one purchase may be, in euro cents.
    pub(crate) cap_cents: i64,
}

fn check_id(id: &str) -> ApiResult<()> {
    if id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(Problem::unprocessable("id: 1 to 64 letters, digits or -"));
    }
    Ok(())
}

pub(crate) async fn record(app: &Arc<App>, key: NoteKey, cmd: KindpakketCommand) -> ApiResult<()> {
    app.write(move |_, node| kp::record(node, &key, now_ms(), cmd).map_err(kp_problem))
        .await
}

fn report_of(app: &App, fund: &str) -> ApiResult<FundReport> {
    kp::report(app.node().state(), fund).ok_or_else(|| Problem::not_found(format!("fund {fund}")))
}

/// Opens a fund (a municipality's staff).
#[utoipa::path(post, path = "/kindpakket/funds", tag = "kindpakket",
    params(("Idempotency-Key" = String, Header, description = "Unique per fund")),
    request_body = NewFund, security(("bearer" = [])),
    responses((status = 201, body = FundReport), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json"), (status = 413, body = Problem, content_type = "application/problem+json"),
              (status = 415, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn open_fund(
    State(app): State<Arc<App>>,
    p: Principal,
    J(f): J<NewFund>,
) -> ApiResult<(StatusCode, Json<FundReport>)> {
    Ok((StatusCode::CREATED, Json(open(&app, &p, f).await?)))
}

/// Opens a fund (API and cockpit).
pub(crate) async fn open(app: &Arc<App>, p: &Principal, f: NewFund) -> ApiResult<FundReport> {
    let (_, key) = municipality(app, p)?;
    check_id(&f.id)?;
    let cmd = KindpakketCommand::OpenFund {
        fund: f.id.clone(),
        child_cents: f.child_cents,
        from: f.from,
        until: f.until,
        categories: bits(&f.categories)?,
        cap_cents: f.cap_cents,
    };
    record(app, key, cmd).await?;
    report_of(app, &f.id)
}

/// A fund in the path.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub(super) struct FundPath {
    /// The fund's id.
    #[param(pattern = "^[A-Za-z0-9-]{1,64}$")]
    fund: String,
}

/// The fund's report: vouchers issued and used, issued, spent per category and per shop, left
/// (its municipality's staff, the administrator).
#[utoipa::path(get, path = "/kindpakket/funds/{fund}", tag = "kindpakket",
    params(FundPath), security(("bearer" = [])),
    responses((status = 200, body = FundReport), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn fund_report(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(fund): Path<String>,
) -> ApiResult<Json<FundReport>> {
    let owner = app
        .node()
        .state()
        .funds()
        .get(&fund)
        .map(|f| f.owner.to_string());
    let allowed =
        matches!(p.role, Role::Administrator) || p.role.municipality() == owner.as_deref();
    if !allowed || owner.is_none() {
        return Err(Problem::not_found(format!("fund {fund}")));
    }
    report_of(&app, &fund).map(Json)
}

/// A shop accepted for a fund.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewMerchant {
    /// The shop (an organisation on the ledger of kind merchant).
    pub(crate) merchant: String,
    /// What it sells, of the fund's categories.
    pub(crate) categories: Vec<String>,
}

/// Accepts a shop for a fund (the fund's municipality).
#[utoipa::path(post, path = "/kindpakket/funds/{fund}/merchants", tag = "kindpakket",
    params(FundPath, ("Idempotency-Key" = String, Header, description = "Unique per change")),
    request_body = NewMerchant, security(("bearer" = [])),
    responses((status = 201, body = FundReport), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 413, body = Problem, content_type = "application/problem+json"), (status = 415, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn accept_merchant(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(fund): Path<String>,
    J(m): J<NewMerchant>,
) -> ApiResult<(StatusCode, Json<FundReport>)> {
    Ok((StatusCode::CREATED, Json(accept(&app, &p, &fund, m).await?)))
}

/// Accepts a shop (API and cockpit).
pub(crate) async fn accept(
    app: &Arc<App>,
    p: &Principal,
    fund: &str,
    m: NewMerchant,
) -> ApiResult<FundReport> {
    let (_, key) = municipality(app, p)?;
    let merchant = OrgName::parse(m.merchant.trim())
        .map_err(|e| Problem::unprocessable(format!("merchant: {e}")))?;
    let cmd = KindpakketCommand::AcceptMerchant {
        fund: fund.to_owned(),
        merchant,
        categories: bits(&m.categories)?,
    };
    record(app, key, cmd).await?;
    report_of(app, fund)
}

/// A voucher for a child of a household.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewVoucher {
    /// The parent's household.
    #[schema(pattern = "^[0-9]{1,38}$")]
    pub(crate) household: String,
    /// The request's own key (the cockpit's form key); the API derives it from the
    /// Idempotency-Key, so that a retry names the same voucher and issues it once.
    #[serde(skip)]
    pub(crate) key: Option<String>,
}

/// Issues a voucher holding the fund's budget per child to a household (the fund's
/// municipality): one per eligible child.
#[utoipa::path(post, path = "/kindpakket/funds/{fund}/vouchers", tag = "kindpakket",
    params(FundPath, ("Idempotency-Key" = String, Header, description = "Unique per voucher")),
    request_body = NewVoucher, security(("bearer" = [])),
    responses((status = 201, body = VoucherView), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 413, body = Problem, content_type = "application/problem+json"), (status = 415, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn issue_voucher(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(fund): Path<String>,
    headers: axum::http::HeaderMap,
    J(mut v): J<NewVoucher>,
) -> ApiResult<(StatusCode, Json<VoucherView>)> {
    v.key = headers
        .get("idempotency-key")
        .and_then(|k| k.to_str().ok())
        .map(str::to_owned);
    Ok((StatusCode::CREATED, Json(issue(&app, &p, &fund, v).await?)))
}

/// Issues a voucher (API and cockpit).
pub(crate) async fn issue(
    app: &Arc<App>,
    p: &Principal,
    fund: &str,
    v: NewVoucher,
) -> ApiResult<VoucherView> {
    let (_, key) = municipality(app, p)?;
    let household = super::parse_household(&v.household)?;
    let id = match &v.key {
        Some(k) => kp::voucher_id_for(&p.id, k),
        None => kp::new_voucher_id(),
    };
    let cmd = KindpakketCommand::IssueVoucher {
        voucher: id.clone(),
        fund: fund.to_owned(),
        household,
    };
    record(app, key, cmd).await?;
    kp::voucher(app.node().state(), &id)
        .ok_or_else(|| Problem::internal("the voucher was issued but cannot be read"))
}

/// The household's vouchers: budget, spent, left, until when, and every spend (the parent, the
/// counsellor, a supervisor, the administrator).
#[utoipa::path(get, path = "/households/{id}/vouchers", tag = "kindpakket",
    params(HouseholdPath), security(("bearer" = [])),
    responses((status = 200, body = Vec<VoucherView>), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn household_vouchers(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<VoucherView>>> {
    let s = visible(&app, &p, &id)?;
    Ok(Json(kp::of_household(app.node().state(), s.household)))
}

/// A voucher's code.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CodeView {
    /// The code to show at the till (also as a QR code).
    pub(crate) code: String,
    /// When it expires (seconds since the epoch).
    pub(crate) expires_at: i64,
}

/// A voucher in the path.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
struct VoucherPath {
    /// The household.
    #[param(pattern = "^[0-9]{1,38}$")]
    id: String,
    /// The voucher.
    voucher: String,
}

/// The voucher's code now: valid this minute and the next, once (the parent).
pub(crate) fn code_for(app: &App, p: &Principal, id: &str, voucher: &str) -> ApiResult<CodeView> {
    let s = visible(app, p, id)?;
    if !matches!(p.role, Role::Resident { .. }) {
        return Err(Problem::forbidden(
            "a voucher's code is shown by the parent",
        ));
    }
    let owner = {
        let node = app.node();
        let st = node.state();
        st.vouchers()
            .get(voucher)
            .filter(|v| v.household == s.household && !v.blocked && v.replaced_by.is_none())
            .and_then(|v| st.funds().get(&v.fund))
            .map(|f| f.owner.to_string())
    };
    let owner = owner.ok_or_else(|| Problem::not_found(format!("voucher {voucher}")))?;
    let key = app
        .hosted(&owner)
        .ok_or_else(|| Problem::conflict("the municipality's key is not held here"))?;
    let (code, expires_at) = kp::code(key, voucher, jiff::Timestamp::now().as_second());
    Ok(CodeView { code, expires_at })
}

/// The voucher's code to show at the till now (the parent): valid this minute and the next,
/// for one purchase.
#[utoipa::path(get, path = "/households/{id}/vouchers/{voucher}/code", tag = "kindpakket",
    params(VoucherPath), security(("bearer" = [])),
    responses((status = 200, body = CodeView), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")))]
async fn voucher_code(
    State(app): State<Arc<App>>,
    p: Principal,
    Path((id, voucher)): Path<(String, String)>,
) -> ApiResult<Json<CodeView>> {
    code_for(&app, &p, &id, &voucher).map(Json)
}

/// A code typed or scanned at the till.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CodeCheck {
    /// The code (`K7Q2XM-482913`).
    pub(crate) code: String,
}

/// What the shop may know of a voucher.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AtTheTill {
    /// Left on the voucher, in cents.
    pub(crate) left_cents: i64,
    /// What may be bought with it at this shop.
    pub(crate) categories_here: Vec<String>,
    /// Most one purchase may be, in cents.
    pub(crate) cap_cents: i64,
}

fn too_many_codes() -> Problem {
    Problem::new(
        StatusCode::TOO_MANY_REQUESTS,
        "too-many-wrong-codes",
        "Te veel foute codes",
        format!(
            "at most {} wrong codes a minute per shop; try again in a minute",
            crate::WRONG_CODES_PER_MINUTE
        ),
    )
}

/// The shop `p` is, its key to sign with, and the voucher and municipality key of `code`.
fn till(app: &App, p: &Principal, code: &str) -> ApiResult<(OrgName, String, NoteKey, AtTheTill)> {
    let shop = p
        .role
        .merchant()
        .ok_or_else(|| Problem::forbidden("a code is taken by a shop (a merchant)"))?;
    let shop = OrgName::parse(shop).map_err(|e| Problem::internal(e.to_string()))?;
    let now = now_ms();
    if !app.code_tries_left(shop.as_str(), now) {
        return Err(too_many_codes());
    }
    let bad = || {
        app.wrong_code(shop.as_str(), now);
        kp_problem(KindpakketError::BadCode)
    };
    let voucher = code
        .trim()
        .rsplit_once('-')
        .map(|(v, _)| v.to_owned())
        .ok_or_else(bad)?;
    let node = app.node();
    let st = node.state();
    let v = st.vouchers().get(&voucher).ok_or_else(bad)?;
    let f = st.funds().get(&v.fund).ok_or_else(bad)?;
    let key = app.hosted(f.owner.as_str()).cloned().ok_or_else(bad)?;
    kp::check_code(&key, code, jiff::Timestamp::now().as_second()).ok_or_else(bad)?;
    let sells = f.merchants.get(&shop).copied().ok_or_else(|| {
        kp_problem(KindpakketError::Op(knop_app::ops::OpError::Rejected(
            knop_state::StateError::Kindpakket {
                what: format!("fund {}", v.fund),
                rejection: knop_state::KindpakketRejection::MerchantNotAccepted,
            },
        )))
    })?;
    let left = kp::voucher(st, &voucher).map_or(0, |v| v.left_cents);
    let here = Category::of_bits(f.categories & sells)
        .into_iter()
        .map(|c| c.name().to_owned())
        .collect();
    Ok((
        shop,
        voucher,
        key,
        AtTheTill {
            left_cents: left,
            categories_here: here,
            cap_cents: f.cap_cents,
        },
    ))
}

/// Checks a code at the till (a shop): what is left and what may be bought here. Changes
/// nothing; the code stays usable.
#[utoipa::path(post, path = "/kindpakket/code-checks", tag = "kindpakket",
    request_body = CodeCheck, security(("bearer" = [])),
    responses((status = 200, body = AtTheTill), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 413, body = Problem, content_type = "application/problem+json"), (status = 415, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json"), (status = 429, body = Problem, content_type = "application/problem+json")))]
async fn check_code_route(
    State(app): State<Arc<App>>,
    p: Principal,
    J(c): J<CodeCheck>,
) -> ApiResult<Json<AtTheTill>> {
    check(&app, &p, &c).map(Json)
}

/// Checks a code (API and cockpit).
pub(crate) fn check(app: &App, p: &Principal, c: &CodeCheck) -> ApiResult<AtTheTill> {
    Ok(till(app, p, &c.code)?.3)
}

/// A purchase at the till.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewSpend {
    /// The code the parent showed.
    pub(crate) code: String,
    /// What is bought (`sport`, `bicycles`, ...).
    pub(crate) category: String,
    /// How much, in euro cents.
    pub(crate) cents: i64,
}

/// A purchase taken.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SpendTaken {
    /// The spend's id.
    pub(crate) spend: String,
    /// Its amount, in cents.
    pub(crate) cents: i64,
    /// Left on the voucher, in cents.
    pub(crate) left_cents: i64,
}

/// Takes a purchase with a code (a shop): one ledger entry that checks the fund (active, in its
/// dates), the shop (accepted, for the category), the category, the cap and the budget left;
/// a refusal names the rule. A code is used once; a retry with the same Idempotency-Key gets
/// the first answer.
#[utoipa::path(post, path = "/kindpakket/spends", tag = "kindpakket",
    params(("Idempotency-Key" = String, Header, description = "Unique per purchase")),
    request_body = NewSpend, security(("bearer" = [])),
    responses((status = 201, body = SpendTaken), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json"), (status = 413, body = Problem, content_type = "application/problem+json"),
              (status = 415, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"),
              (status = 429, body = Problem, content_type = "application/problem+json"), (status = 503, body = Problem, content_type = "application/problem+json")))]
async fn new_spend(
    State(app): State<Arc<App>>,
    p: Principal,
    J(s): J<NewSpend>,
) -> ApiResult<(StatusCode, Json<SpendTaken>)> {
    Ok((StatusCode::CREATED, Json(take(&app, &p, s).await?)))
}

/// Takes a purchase (API and till page).
pub(crate) async fn take(app: &Arc<App>, p: &Principal, s: NewSpend) -> ApiResult<SpendTaken> {
    let category = Category::parse(s.category.trim()).ok_or_else(|| {
        Problem::unprocessable(format!(
            "category: {}; found {:?}",
            Category::ALL.map(|c| c.name()).join(", "),
            s.category
        ))
    })?;
    let shop = p
        .role
        .merchant()
        .ok_or_else(|| Problem::forbidden("a code is taken by a shop (a merchant)"))?;
    let shop = OrgName::parse(shop).map_err(|e| Problem::internal(e.to_string()))?;
    if !app.code_tries_left(shop.as_str(), now_ms()) {
        return Err(too_many_codes());
    }
    let code = s.code.trim().to_uppercase();
    let cents = s.cents;
    // Booked with the purchases of other tills queued now, in one group commit.
    let (today, clock) = (app.today(), now_ms());
    let at = clock.max(app.today_ms());
    let v = app
        .spend(|answer| crate::till::SpendJob {
            code,
            shop,
            category,
            cents,
            today,
            now_s: jiff::Timestamp::now().as_second(),
            now_ms: at,
            clock_ms: clock,
            answer,
        })
        .await
        .ok_or_else(|| {
            Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "till-queue-stopped",
                "Kassa tijdelijk niet beschikbaar",
                "the purchase was not booked; try again in a moment",
            )
        })?
        .map_err(kp_problem)?;
    let spend = v.spends.first().map(|s| s.id.clone()).unwrap_or_default();
    Ok(SpendTaken {
        spend,
        cents,
        left_cents: v.left_cents,
    })
}

/// A spend in the path.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub(super) struct SpendPath {
    /// The spend's id.
    spend: String,
}

/// Cancels a purchase on its own day (the shop that took it): its money goes back to the
/// voucher, in one ledger entry. Cancelled again, nothing changes.
#[utoipa::path(delete, path = "/kindpakket/spends/{spend}", tag = "kindpakket",
    params(SpendPath, ("Idempotency-Key" = String, Header, description = "Unique per cancellation")),
    security(("bearer" = [])),
    responses((status = 200, body = SpendTaken), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn cancel_spend(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(spend): Path<String>,
) -> ApiResult<Json<SpendTaken>> {
    cancel(&app, &p, &spend).await.map(Json)
}

/// Cancels a purchase (API and till page).
pub(crate) async fn cancel(app: &Arc<App>, p: &Principal, spend: &str) -> ApiResult<SpendTaken> {
    let shop = p
        .role
        .merchant()
        .ok_or_else(|| Problem::forbidden("a purchase is cancelled by the shop that took it"))?
        .to_owned();
    let spend = spend.to_owned();
    app.write(move |app, node| {
        let not_found = || Problem::not_found(format!("spend {spend}"));
        let (voucher, cents, owner) = {
            let st = node.state();
            let s = st
                .spends()
                .get(&spend)
                .filter(|s| s.merchant.as_str() == shop)
                .ok_or_else(not_found)?;
            let fund = st
                .vouchers()
                .get(&s.voucher)
                .map(|v| v.fund.clone())
                .ok_or_else(not_found)?;
            let owner = st
                .funds()
                .get(&fund)
                .map(|f| f.owner.to_string())
                .ok_or_else(not_found)?;
            (s.voucher.clone(), s.cents, owner)
        };
        let signer = app
            .hosted(&shop)
            .or_else(|| app.hosted(&owner))
            .cloned()
            .ok_or_else(|| {
                Problem::conflict("neither the shop's nor the municipality's key is held here")
            })?;
        let cmd = KindpakketCommand::CancelSpend {
            spend: spend.clone(),
            date: app.today(),
        };
        kp::record(node, &signer, now_ms().max(app.today_ms()), cmd).map_err(kp_problem)?;
        let left = kp::voucher(node.state(), &voucher).map_or(0, |v| v.left_cents);
        Ok(SpendTaken {
            spend,
            cents,
            left_cents: left,
        })
    })
    .await
}

/// A voucher of a fund in the path.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
struct FundVoucherPath {
    /// The voucher.
    voucher: String,
}

/// Blocks a voucher (its fund's municipality): a lost phone, misuse. No spends until reissued.
#[utoipa::path(post, path = "/kindpakket/vouchers/{voucher}/block", tag = "kindpakket",
    params(FundVoucherPath, ("Idempotency-Key" = String, Header, description = "Unique per block")),
    security(("bearer" = [])),
    responses((status = 200, body = VoucherView), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn block_voucher(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(voucher): Path<String>,
) -> ApiResult<Json<VoucherView>> {
    block(&app, &p, &voucher).await.map(Json)
}

/// Blocks a voucher (API and cockpit).
pub(crate) async fn block(app: &Arc<App>, p: &Principal, voucher: &str) -> ApiResult<VoucherView> {
    let (_, key) = municipality(app, p)?;
    let cmd = KindpakketCommand::BlockVoucher {
        voucher: voucher.to_owned(),
    };
    record(app, key, cmd).await?;
    kp::voucher(app.node().state(), voucher)
        .ok_or_else(|| Problem::not_found(format!("voucher {voucher}")))
}

/// Reissues a blocked voucher (its fund's municipality): a new voucher for the same child with
/// what was left; the new id comes from the Idempotency-Key, so a retry reissues once.
#[utoipa::path(post, path = "/kindpakket/vouchers/{voucher}/reissue", tag = "kindpakket",
    params(FundVoucherPath, ("Idempotency-Key" = String, Header, description = "Unique per reissue")),
    security(("bearer" = [])),
    responses((status = 201, body = VoucherView), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn reissue_voucher(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(voucher): Path<String>,
    headers: axum::http::HeaderMap,
) -> ApiResult<(StatusCode, Json<VoucherView>)> {
    let key = headers
        .get("idempotency-key")
        .and_then(|k| k.to_str().ok())
        .map(str::to_owned);
    Ok((
        StatusCode::CREATED,
        Json(reissue(&app, &p, &voucher, key).await?),
    ))
}

/// Reissues a blocked voucher (API and cockpit); `key` is the request's own key.
pub(crate) async fn reissue(
    app: &Arc<App>,
    p: &Principal,
    voucher: &str,
    key: Option<String>,
) -> ApiResult<VoucherView> {
    let (_, mkey) = municipality(app, p)?;
    let new = match &key {
        Some(k) => kp::voucher_id_for(&p.id, &format!("reissue\0{voucher}\0{k}")),
        None => kp::new_voucher_id(),
    };
    let cmd = KindpakketCommand::ReissueVoucher {
        voucher: voucher.to_owned(),
        new: new.clone(),
    };
    record(app, mkey, cmd).await?;
    kp::voucher(app.node().state(), &new)
        .ok_or_else(|| Problem::internal("the voucher was reissued but cannot be read"))
}
