//! The Rode Knop over the API: a municipality issues and revokes declarations of inability to
//! pay; the resident shares theirs with a creditor; the creditor opens the share with its own
//! nonce, verifies it, and records a hold on its claim; anyone fetches the status list.
//! The work is `knop_app::declarations`'; what a municipality or creditor records is signed
//! with its own key (the service must hold it: [`crate::Config::hosted`]).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use knop_app::declarations::{self as decl, DeclarationError, DeclarationView, Share};
use knop_state::{ClaimCommand, Command, DeclarationStatus, Pauses};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::debts::ClaimPath;
use super::{now_ms, op_problem, vault_of, vault_problem, visible, HouseholdPath, J, Q};
use crate::auth::{Principal, Role};
use crate::problem::{ApiResult, Problem};
use crate::App;

/// The routes.
pub(super) fn routes() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::new()
        .routes(routes!(list_declarations, issue_declaration))
        .routes(routes!(set_status))
        .routes(routes!(household_declarations))
        .routes(routes!(list_shares, new_share))
        .routes(routes!(stop_share))
        .routes(routes!(open_share))
        .routes(routes!(verification))
        .routes(routes!(hold, end_hold))
        .routes(routes!(status_list))
}

pub(crate) fn declaration_problem(e: DeclarationError) -> Problem {
    match e {
        DeclarationError::NotInAssistance(_) | DeclarationError::AlreadyValid { .. } => {
            Problem::conflict(e.to_string())
        }
        DeclarationError::NotFound(what) => Problem::not_found(what),
        DeclarationError::Invalid(why) => Problem::unprocessable(why),
        DeclarationError::Vault(v) => vault_problem(v),
        DeclarationError::Op(knop_app::ops::OpError::Rejected(
            knop_state::StateError::Declaration {
                id,
                rejection: r @ knop_state::DeclarationRejection::Final,
            },
        )) => Problem::conflict(format!("declaration {id}: {r}")),
        DeclarationError::Op(o) => op_problem(o),
    }
}

/// The municipality `p` works for, if the service issues for it.
fn municipality(app: &App, p: &Principal) -> ApiResult<String> {
    let org = p.role.municipality().ok_or_else(|| {
        Problem::forbidden("declarations are issued and revoked by a municipality's staff")
    })?;
    if app.issuer(org).is_none() {
        return Err(Problem::conflict(format!(
            "this service does not hold the key of municipality {org:?}, or it is not registered as a municipality"
        )));
    }
    Ok(org.to_owned())
}

/// The declarations a municipality issued, newest first (its staff; the administrator sees all).
#[utoipa::path(get, path = "/declarations", tag = "declarations", security(("bearer" = [])),
    responses((status = 200, body = Vec<DeclarationView>), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")))]
async fn list_declarations(
    State(app): State<Arc<App>>,
    p: Principal,
) -> ApiResult<Json<Vec<DeclarationView>>> {
    let org = match p.role {
        Role::Administrator => None,
        _ => Some(municipality(&app, &p)?),
    };
    let today = app.today();
    Ok(Json(decl::list(app.node().state(), org.as_deref(), today)))
}

/// What a municipality issues.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewDeclaration {
    /// The household (in debt assistance).
    #[schema(pattern = "^[0-9]{1,38}$")]
    pub(crate) household: String,
    /// When debt assistance started (ISO 8601); default today.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub(crate) start_date: Option<jiff::civil::Date>,
    /// Whether it extends a declaration that still holds: a new one, from today.
    #[serde(default)]
    pub(crate) extend: bool,
}

/// Issues a declaration of inability to pay for a household in debt assistance (a
/// municipality's staff): an SD-JWT VC kept in the resident's wallet, its hash and status-list
/// index on the ledger. A household with one that holds gets 409 unless `extend`.
#[utoipa::path(post, path = "/declarations", tag = "declarations",
    params(("Idempotency-Key" = String, Header, description = "Unique per declaration")),
    request_body = NewDeclaration, security(("bearer" = [])),
    responses((status = 201, body = DeclarationView), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 410, body = Problem, content_type = "application/problem+json"),
              (status = 413, body = Problem, content_type = "application/problem+json"), (status = 415, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn issue_declaration(
    State(app): State<Arc<App>>,
    p: Principal,
    J(d): J<NewDeclaration>,
) -> ApiResult<(StatusCode, Json<DeclarationView>)> {
    Ok((StatusCode::CREATED, Json(issue(&app, &p, d).await?)))
}

/// Issues (API and cockpit).
pub(crate) async fn issue(
    app: &Arc<App>,
    p: &Principal,
    d: NewDeclaration,
) -> ApiResult<DeclarationView> {
    let org = municipality(app, p)?;
    let household = super::parse_household(&d.household)?;
    vault_of(app)?;
    let who = p.id.clone();
    app.write(move |app, node| {
        let today = app.today();
        let counsellor =
            knop_app::lookup::in_assistance(node.state(), household, app.today_ms())
                .ok_or_else(|| declaration_problem(DeclarationError::NotInAssistance(household)))?;
        let contact = app
            .counsellor_contact(&counsellor)
            .unwrap_or_else(|| format!("{} (schuldhulpverlening)", app.config().foundation_name));
        let issuer = app
            .issuer_in(node.state(), &org)
            .ok_or_else(|| Problem::conflict("the municipality's key is not held here"))?;
        let vault = app
            .vault()
            .ok_or_else(|| Problem::not_found("this server keeps no personal data"))?;
        let req = decl::IssueRequest {
            household,
            start: d.start_date.unwrap_or(today),
            today,
            now_ms: now_ms().max(app.today_ms()),
            clock_s: jiff::Timestamp::now().as_second(),
            extend: d.extend,
            contact,
            who: &who,
        };
        decl::issue(node, vault, &issuer, &req).map_err(declaration_problem)
    })
    .await
}

/// A declaration in the path.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
struct DeclarationPath {
    /// The declaration's id (SHA-256 of its issuer-signed JWT, hex).
    #[param(pattern = "^[0-9a-f]{64}$")]
    declaration_id: String,
}

/// A declaration's new status.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewStatus {
    /// `revoked` (final), `suspended`, or `valid` (a suspension lifted).
    pub(crate) status: String,
}

/// Sets a declaration's status (the municipality that issued it): revoked turns its bit in the
/// status list, and every creditor's verification fails with "ingetrokken".
#[utoipa::path(put, path = "/declarations/{declaration_id}/status", tag = "declarations",
    params(DeclarationPath, ("Idempotency-Key" = String, Header, description = "Unique per change")),
    request_body = NewStatus, security(("bearer" = [])),
    responses((status = 200, body = DeclarationView), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 413, body = Problem, content_type = "application/problem+json"), (status = 415, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn set_status(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(id): Path<String>,
    J(s): J<NewStatus>,
) -> ApiResult<Json<DeclarationView>> {
    Ok(Json(change_status(&app, &p, &id, &s.status).await?))
}

/// Changes a declaration's status (API and cockpit).
pub(crate) async fn change_status(
    app: &Arc<App>,
    p: &Principal,
    id: &str,
    status: &str,
) -> ApiResult<DeclarationView> {
    let org = municipality(app, p)?;
    let status = DeclarationStatus::parse(status).ok_or_else(|| {
        Problem::unprocessable(format!(
            "status: valid, revoked or suspended, found {status:?}"
        ))
    })?;
    let id = id.to_owned();
    app.write(move |app, node| {
        let issuer = app
            .issuer_in(node.state(), &org)
            .ok_or_else(|| Problem::conflict("the municipality's key is not held here"))?;
        let (today, now) = (app.today(), now_ms().max(app.today_ms()));
        decl::set_status(node, &issuer, &id, status, today, now).map_err(declaration_problem)
    })
    .await
}

/// The household's declarations in its wallet (the resident, the counsellor).
#[utoipa::path(get, path = "/households/{id}/declarations", tag = "declarations",
    params(HouseholdPath), security(("bearer" = [])),
    responses((status = 200, body = Vec<DeclarationView>), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 410, body = Problem, content_type = "application/problem+json")))]
async fn household_declarations(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<DeclarationView>>> {
    let s = visible(&app, &p, &id)?;
    let vault = vault_of(&app)?;
    let today = app.today();
    decl::held(vault, app.node().state(), s.household, today)
        .map(Json)
        .map_err(declaration_problem)
}

/// A share as the resident sees it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ShareView {
    /// Its id.
    id: String,
    /// The declaration shared.
    declaration: String,
    /// The creditor.
    creditor: String,
    /// What it sees.
    disclose: Vec<String>,
    /// When it was shared.
    created: String,
    /// When the creditor read it.
    reads: Vec<String>,
    /// When sharing stopped, if so.
    stopped: Option<String>,
}

impl From<Share> for ShareView {
    fn from(s: Share) -> Self {
        ShareView {
            id: s.id,
            declaration: s.declaration,
            creditor: s.creditor,
            disclose: s.disclose,
            created: s.created,
            reads: s.reads,
            stopped: s.stopped,
        }
    }
}

/// What the household shared, newest first (the resident, the counsellor).
#[utoipa::path(get, path = "/households/{id}/declaration-shares", tag = "declarations",
    params(HouseholdPath), security(("bearer" = [])),
    responses((status = 200, body = Vec<ShareView>), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 410, body = Problem, content_type = "application/problem+json")))]
async fn list_shares(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<ShareView>>> {
    let s = visible(&app, &p, &id)?;
    let vault = vault_of(&app)?;
    let shares = decl::shares(vault, s.household).map_err(declaration_problem)?;
    Ok(Json(shares.into_iter().map(ShareView::from).collect()))
}

/// What the resident shares, with whom.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewShare {
    /// The declaration (its id).
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub(crate) declaration: String,
    /// The creditor (an organisation on the ledger registered as a creditor).
    pub(crate) creditor: String,
    /// What it may see of `name`, `birthdate`, `bsn`, `address` (the rest of the declaration,
    /// who issued it, since and until when and whom to contact, it always sees).
    pub(crate) disclose: Vec<String>,
}

/// A share made: the link to give the creditor, shown once.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ShareMade {
    /// The share.
    share: ShareView,
    /// The link the creditor opens with its API key and its own nonce.
    link: String,
}

/// Shares a declaration with one creditor (the resident only: it is their decision).
#[utoipa::path(post, path = "/households/{id}/declaration-shares", tag = "declarations",
    params(HouseholdPath, ("Idempotency-Key" = String, Header, description = "Unique per share")),
    request_body = NewShare, security(("bearer" = [])),
    responses((status = 201, body = ShareMade), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 410, body = Problem, content_type = "application/problem+json"),
              (status = 413, body = Problem, content_type = "application/problem+json"), (status = 415, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn new_share(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(id): Path<String>,
    J(n): J<NewShare>,
) -> ApiResult<(StatusCode, Json<ShareMade>)> {
    let (share, link) = make_share(&app, &p, &id, n)?;
    Ok((
        StatusCode::CREATED,
        Json(ShareMade {
            share: share.into(),
            link,
        }),
    ))
}

/// The link of a share's token.
pub(crate) fn share_link(app: &App, token: &str) -> String {
    format!(
        "{}/api/v1/declaration-shares/{token}/presentation",
        app.config().public_url.trim_end_matches('/')
    )
}

/// Makes a share (API and cockpit): the resident of the household only.
pub(crate) fn make_share(
    app: &App,
    p: &Principal,
    id: &str,
    n: NewShare,
) -> ApiResult<(Share, String)> {
    let s = visible(app, p, id)?;
    if !matches!(p.role, Role::Resident { .. }) {
        return Err(Problem::forbidden(
            "only the resident decides with whom their declaration is shared",
        ));
    }
    let vault = vault_of(app)?;
    let at = jiff::Timestamp::now().to_string();
    let node = app.node();
    let (share, token) = decl::share(
        vault,
        node.state(),
        s.household,
        &n.declaration,
        &n.creditor,
        &n.disclose,
        &at,
    )
    .map_err(declaration_problem)?;
    Ok((share, share_link(app, &token)))
}

/// A share in the path.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
struct SharePath {
    /// The household.
    #[param(pattern = "^[0-9]{1,38}$")]
    id: String,
    /// The share.
    share_id: String,
}

/// Stops a share (the resident): its link answers nothing from now on.
#[utoipa::path(delete, path = "/households/{id}/declaration-shares/{share_id}", tag = "declarations",
    params(SharePath, ("Idempotency-Key" = String, Header, description = "Unique per stop")),
    security(("bearer" = [])),
    responses((status = 204), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 410, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn stop_share(
    State(app): State<Arc<App>>,
    p: Principal,
    Path((id, share)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    end_share(&app, &p, &id, &share)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Stops a share (API and cockpit).
pub(crate) fn end_share(app: &App, p: &Principal, id: &str, share: &str) -> ApiResult<()> {
    let s = visible(app, p, id)?;
    if !matches!(p.role, Role::Resident { .. }) {
        return Err(Problem::forbidden("only the resident stops sharing"));
    }
    let at = jiff::Timestamp::now().to_string();
    decl::stop_share(vault_of(app)?, s.household, share, &at).map_err(declaration_problem)
}

/// A share's token in the path.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
struct TokenPath {
    /// The token from the link.
    #[param(pattern = "^[A-Za-z0-9_-]{43}$")]
    token: String,
}

/// The creditor's nonce.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct NonceQuery {
    /// A fresh random value the creditor chose (1 to 128 characters): the presentation's key
    /// binding carries it, so it cannot be replayed to the creditor.
    nonce: String,
}

/// Opens a share (the creditor it was shared with, its API key or staff): a presentation made
/// now (`application/dc+sd-jwt`), disclosing what the resident chose, with a key binding for
/// this creditor and its nonce. The read goes into the resident's access log. Another
/// creditor's, a stopped or an unknown share: 404.
#[utoipa::path(get, path = "/declaration-shares/{token}/presentation", tag = "declarations",
    params(TokenPath, NonceQuery), security(("bearer" = [])),
    responses((status = 200, body = String, content_type = "application/dc+sd-jwt"), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn open_share(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(token): Path<String>,
    Q(q): Q<NonceQuery>,
) -> ApiResult<Response> {
    let presented = present(&app, &p, &token, &q.nonce)?;
    Ok((
        [(header::CONTENT_TYPE, "application/dc+sd-jwt")],
        presented.presentation,
    )
        .into_response())
}

/// Opens a share for creditor `p` (API and cockpit).
pub(crate) fn present(
    app: &App,
    p: &Principal,
    token: &str,
    nonce: &str,
) -> ApiResult<decl::Presented> {
    let creditor = p
        .role
        .creditor()
        .ok_or_else(|| Problem::forbidden("a shared declaration is opened by the creditor"))?;
    let at = jiff::Timestamp::now().to_string();
    decl::present_share(
        vault_of(app)?,
        token.trim(),
        creditor,
        nonce,
        jiff::Timestamp::now().as_second(),
        &at,
    )
    .map_err(declaration_problem)
}

/// A presentation to check.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Verification {
    /// The presentation (SD-JWT with key binding), as received.
    pub(crate) presentation: String,
    /// The nonce the creditor gave.
    pub(crate) nonce: String,
}

/// What the check found.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Verdict {
    /// Whether the declaration holds: issued by a municipality, intact, for this creditor, with
    /// its nonce, fresh, not revoked or suspended, not expired.
    pub(crate) valid: bool,
    /// Why not, Dutch first.
    pub(crate) reason: Option<String>,
    /// The declaration's id (for a hold).
    pub(crate) declaration: Option<String>,
    /// Who issued it (its identifier, the `iss`).
    pub(crate) issuer: Option<String>,
    /// The municipality that issued it, as on the ledger.
    pub(crate) issuer_org: Option<String>,
    /// When debt assistance started.
    pub(crate) start_date: Option<String>,
    /// Its last day.
    #[schema(value_type = Option<String>, format = Date)]
    pub(crate) until: Option<jiff::civil::Date>,
    /// Whom to contact.
    pub(crate) contact: Option<String>,
    /// What the resident disclosed, by claim (`name`, `birthdate`, `bsn`, `address`).
    #[serde(serialize_with = "as_map")]
    #[schema(value_type = std::collections::BTreeMap<String, String>)]
    pub(crate) disclosed: Vec<(String, String)>,
}

/// Pairs as a JSON object, in their order.
fn as_map<S: serde::Serializer>(pairs: &[(String, String)], s: S) -> Result<S::Ok, S::Error> {
    s.collect_map(pairs.iter().map(|(k, v)| (k, v)))
}

/// Checks a presentation for creditor `p` against the ledger (API and cockpit).
pub(crate) fn check(
    app: &App,
    p: &Principal,
    v: &Verification,
) -> ApiResult<(Verdict, Option<decl::Checked>)> {
    let creditor = p
        .role
        .creditor()
        .ok_or_else(|| Problem::forbidden("a declaration is verified by a creditor"))?;
    let node = app.node();
    let expect = knop_declaration::Expect {
        audience: creditor,
        nonce: &v.nonce,
        now: jiff::Timestamp::now().as_second(),
    };
    let result = decl::verify(
        node.state(),
        &v.presentation,
        |org| {
            app.issuer_in(node.state(), org)
                .map(|i| (org.to_owned(), i.key.public_key()))
        },
        &expect,
    );
    Ok(match result {
        Ok(c) => (
            Verdict {
                valid: true,
                reason: None,
                declaration: Some(decl::hex(&c.id)),
                issuer: Some(c.verified.issuer.clone()),
                issuer_org: Some(c.issuer.to_string()),
                start_date: Some(c.verified.start.clone()),
                until: Some(c.until),
                contact: Some(c.verified.contact.clone()),
                disclosed: c.verified.disclosed.clone(),
            },
            Some(c),
        ),
        Err(r) => (
            Verdict {
                valid: false,
                reason: Some(r.to_string()),
                declaration: None,
                issuer: None,
                issuer_org: None,
                start_date: None,
                until: None,
                contact: None,
                disclosed: Default::default(),
            },
            None,
        ),
    })
}

/// Verifies a presentation for the creditor (its API key): the issuer's signature, the
/// disclosures, the key binding for this creditor and its nonce, the dates, and the status as
/// the ledger says. A declaration that does not hold answers `valid: false` with the reason
/// ("ingetrokken / revoked").
#[utoipa::path(post, path = "/declaration-verifications", tag = "declarations",
    request_body = Verification, security(("bearer" = [])),
    responses((status = 200, body = Verdict), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 413, body = Problem, content_type = "application/problem+json"), (status = 415, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn verification(
    State(app): State<Arc<App>>,
    p: Principal,
    J(v): J<Verification>,
) -> ApiResult<Json<Verdict>> {
    Ok(Json(check(&app, &p, &v)?.0))
}

/// A creditor's hold.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewHold {
    /// The presentation the creditor received, verified again here.
    pub(crate) presentation: String,
    /// The nonce the creditor gave.
    pub(crate) nonce: String,
    /// Last day of the hold (ISO 8601); default: the declaration's last day.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub(crate) until: Option<jiff::civil::Date>,
    /// What is paused, of `collection`, `costs`, `interest`; default all three.
    #[serde(default)]
    pub(crate) pauses: Option<Vec<String>>,
}

/// Puts the creditor's own claim on hold, relying on a declaration it received (its API key
/// or staff): the presentation is verified again, it must be of the claim's household, and the
/// hold is recorded on the ledger signed by the creditor. It ends with the declaration.
#[utoipa::path(put, path = "/claims/{claim_id}/hold", tag = "declarations",
    params(ClaimPath, ("Idempotency-Key" = String, Header, description = "Unique per hold")),
    request_body = NewHold, security(("bearer" = [])),
    responses((status = 200, body = knop_app::debts::ClaimView), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 413, body = Problem, content_type = "application/problem+json"), (status = 415, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn hold(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(claim): Path<String>,
    J(h): J<NewHold>,
) -> ApiResult<Json<knop_app::debts::ClaimView>> {
    Ok(Json(record_hold(&app, &p, &claim, h).await?))
}

/// The creditor's own claim, and its key (404 for any other claim; 409 if the service does not
/// sign for it).
fn own_claim(
    app: &App,
    p: &Principal,
    claim: &str,
) -> ApiResult<(String, knop_huishoudboekje::HouseholdId)> {
    let creditor = p.role.creditor().ok_or_else(|| {
        Problem::forbidden("a hold is recorded by the creditor whose claim it is")
    })?;
    let today = app.today();
    let (household, view) = knop_app::debts::claim(app.node().state(), claim, today)
        .filter(|(_, v)| v.creditor_on_ledger && v.creditor == creditor)
        .ok_or_else(|| Problem::not_found(format!("claim {claim}")))?;
    let _ = view;
    if app.hosted(creditor).is_none() {
        return Err(Problem::conflict(format!(
            "this service does not hold the key of {creditor}; a hold is signed by the creditor itself"
        )));
    }
    Ok((creditor.to_owned(), household))
}

/// Records a hold (API and cockpit).
pub(crate) async fn record_hold(
    app: &Arc<App>,
    p: &Principal,
    claim: &str,
    h: NewHold,
) -> ApiResult<knop_app::debts::ClaimView> {
    let (creditor, household) = own_claim(app, p, claim)?;
    let (verdict, checked) = check(
        app,
        p,
        &Verification {
            presentation: h.presentation,
            nonce: h.nonce,
        },
    )?;
    let Some(c) = checked else {
        return Err(Problem::unprocessable(format!(
            "the declaration does not hold: {}",
            verdict.reason.unwrap_or_default()
        )));
    };
    if c.household != household {
        return Err(Problem::unprocessable(
            "the declaration is of another household than this claim's",
        ));
    }
    let mut bits = 0u8;
    for name in h
        .pauses
        .unwrap_or_else(|| vec!["collection".into(), "costs".into(), "interest".into()])
    {
        bits |= match name.as_str() {
            "collection" => Pauses::COLLECTION,
            "costs" => Pauses::COSTS,
            "interest" => Pauses::INTEREST,
            other => {
                return Err(Problem::unprocessable(format!(
                    "pauses: collection, costs, interest; found {other:?}"
                )))
            }
        };
    }
    let today = app.today();
    let cmd = Command::Claim(ClaimCommand::Hold {
        claim: claim.to_owned(),
        declaration: c.id,
        from: today,
        until: h.until.unwrap_or(c.until),
        pauses: Pauses(bits),
    });
    sign_as(app, &creditor, cmd).await?;
    knop_app::debts::claim(app.node().state(), claim, today)
        .map(|(_, v)| v)
        .ok_or_else(|| Problem::internal("the hold was recorded but the claim cannot be read"))
}

/// Records `cmd` signed by hosted organisation `org`.
pub(crate) async fn sign_as(app: &Arc<App>, org: &str, cmd: Command) -> ApiResult<()> {
    let org = org.to_owned();
    app.write(move |app, node| {
        let key = app.hosted(&org).ok_or_else(|| {
            Problem::conflict(format!("this service does not hold the key of {org}"))
        })?;
        knop_app::ops::submit(node, key, now_ms(), &cmd)
            .map_err(knop_app::ops::OpError::from)
            .and_then(|r| r.map_err(knop_app::ops::OpError::from))
            .map_err(op_problem)?;
        Ok(())
    })
    .await
}

/// Ends the creditor's hold on its own claim today (its API key or staff).
#[utoipa::path(delete, path = "/claims/{claim_id}/hold", tag = "declarations",
    params(ClaimPath, ("Idempotency-Key" = String, Header, description = "Unique per end")),
    security(("bearer" = [])),
    responses((status = 200, body = knop_app::debts::ClaimView), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn end_hold(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(claim): Path<String>,
) -> ApiResult<Json<knop_app::debts::ClaimView>> {
    let (creditor, _) = own_claim(&app, &p, &claim)?;
    let today = app.today();
    let cmd = Command::Claim(ClaimCommand::EndHold {
        claim: claim.clone(),
        date: today,
    });
    sign_as(&app, &creditor, cmd).await?;
    knop_app::debts::claim(app.node().state(), &claim, today)
        .map(|(_, v)| Json(v))
        .ok_or_else(|| Problem::internal("the claim cannot be read"))
}

/// A municipality in the path.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
struct OrgPath {
    /// The municipality (its organisation name on the ledger).
    org: String,
}

/// The municipality's Token Status List (`application/statuslist+jwt`), signed with its key,
/// folded from the ledger; public, for any verifier. Two bits per declaration: 0 valid,
/// 1 revoked, 2 suspended.
#[utoipa::path(get, path = "/status-lists/{org}", tag = "declarations",
    params(OrgPath),
    responses((status = 200, body = String, content_type = "application/statuslist+jwt"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn status_list(State(app): State<Arc<App>>, Path(org): Path<String>) -> ApiResult<Response> {
    let app2 = app.clone();
    let token = tokio::task::spawn_blocking(move || app2.status_list_token(&org).ok_or(org))
        .await
        .map_err(|e| Problem::internal(format!("the status list failed: {e}")))?
        .map_err(|org| Problem::not_found(format!("status list of {org:?}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/statuslist+jwt"),
            (header::CACHE_CONTROL, "public, max-age=60"),
        ],
        (*token).clone(),
    )
        .into_response())
}
