//! Debts: a household's claims and their events. The counsellor records claims of the
//! caseload and their events; a creditor (its API key) records events on its own claims only
//! and sees nothing else. Everything is recorded on the ledger after the texts are checked for
//! personal data: signed by the creditor when the service holds its key, else by the
//! foundation.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use knop_app::debts::{ClaimView, DebtsView};
use knop_state::{ClaimCommand, Command, Creditor, EventKind};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::households::{managed, record, resident_data};
use super::{visible, HouseholdPath, J};
use crate::auth::{Principal, Role};
use crate::problem::{ApiResult, Problem};
use crate::App;

/// The debts' routes.
pub(super) fn routes() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::new()
        .routes(routes!(household_claims))
        .routes(routes!(open_claim))
        .routes(routes!(claim_event))
        .routes(routes!(debt_assistance_lookup))
}

/// A household's debts: what is left in all and per claim, the status and what changed last
/// (the resident, the counsellor, a supervisor, the administrator).
#[utoipa::path(get, path = "/households/{id}/claims", tag = "debts",
    params(HouseholdPath), security(("bearer" = [])),
    responses((status = 200, body = DebtsView), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn household_claims(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<DebtsView>> {
    debts_of(&app, &p, &id).map(Json)
}

/// A household's debts, if `p` may see the household (API and cockpit).
pub(crate) fn debts_of(app: &App, p: &Principal, id: &str) -> ApiResult<DebtsView> {
    let s = visible(app, p, id)?;
    let today = app.today();
    Ok(knop_app::debts::of_household(
        app.node().state(),
        s.household,
        today,
    ))
}

/// A claim (an obligation imposed on the household).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewClaim {
    /// The claim's id: its key (letters, digits, `- _ .`; at most 64).
    #[schema(pattern = "^[A-Za-z0-9._-]{1,64}$")]
    pub(crate) id: String,
    /// The household that owes it.
    #[schema(pattern = "^[0-9]{1,38}$")]
    pub(crate) household: String,
    /// The creditor, when it is an organisation registered on the ledger as a creditor.
    #[serde(default)]
    pub(crate) creditor_organisation: Option<String>,
    /// The creditor's name, when it is not on the ledger (at most 70 characters).
    #[serde(default)]
    pub(crate) creditor_name: Option<String>,
    /// The creditor's own reference (at most 140 characters).
    pub(crate) reference: String,
    /// The original amount, in euro cents (0 to 1 000 000 000).
    pub(crate) principal_cents: i64,
    /// When it was imposed (ISO 8601).
    #[schema(value_type = String, format = Date)]
    pub(crate) date: jiff::civil::Date,
}

/// Records a claim on a household of the caseload (its counsellor). The same again changes
/// nothing; other details under the same id are refused.
#[utoipa::path(post, path = "/claims", tag = "debts",
    params(("Idempotency-Key" = String, Header, description = "Unique per claim")),
    request_body = NewClaim, security(("bearer" = [])),
    responses((status = 201, body = ClaimView), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 413, body = Problem, content_type = "application/problem+json"), (status = 415, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn open_claim(
    State(app): State<Arc<App>>,
    p: Principal,
    J(c): J<NewClaim>,
) -> ApiResult<(StatusCode, Json<ClaimView>)> {
    Ok((StatusCode::CREATED, Json(new_claim(&app, &p, c).await?)))
}

/// Records a claim (API and cockpit).
pub(crate) async fn new_claim(app: &Arc<App>, p: &Principal, c: NewClaim) -> ApiResult<ClaimView> {
    let s = managed(app, p, &c.household, "records its debts")?;
    let creditor = match (c.creditor_organisation, c.creditor_name) {
        (Some(o), None) => Creditor::Org(
            knop_ledger::entry::OrgName::parse(o.trim())
                .map_err(|e| Problem::unprocessable(format!("creditor_organisation: {e}")))?,
        ),
        (None, Some(n)) if !n.trim().is_empty() => Creditor::Named(n.trim().to_owned()),
        _ => {
            return Err(Problem::unprocessable(
                "give either creditor_organisation (a creditor on the ledger) or creditor_name",
            ))
        }
    };
    let cmd = ClaimCommand::Open {
        claim: c.id.trim().to_owned(),
        household: s.household,
        creditor,
        reference: c.reference.trim().to_owned(),
        principal_cents: c.principal_cents,
        date: c.date,
    };
    submit(app, p, s.household, cmd).await
}

/// Something that happened to a claim.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewEvent {
    /// The event's id, unique within the claim: its key (letters, digits, `- _ .`; at most 64).
    #[schema(pattern = "^[A-Za-z0-9._-]{1,64}$")]
    pub(crate) id: String,
    /// What happened: `costs`, `interest`, `reminder`, `summons` (add to what is left),
    /// `payment`, `withdrawn`, `forgiven` (take off), `arrangement` (the monthly instalment agreed).
    pub(crate) kind: String,
    /// Its amount, in euro cents (0 to 1 000 000 000).
    pub(crate) cents: i64,
    /// When it happened (ISO 8601).
    #[schema(value_type = String, format = Date)]
    pub(crate) date: jiff::civil::Date,
}

/// A claim in the path.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub(super) struct ClaimPath {
    /// The claim's id.
    #[param(pattern = "^[A-Za-z0-9._-]{1,64}$")]
    claim_id: String,
}

/// Records an event on a claim: the household's counsellor, or the creditor whose claim it is
/// (its API key). Another creditor's claim answers 404. One key per event: the same again
/// changes nothing; other details under the same id are refused.
#[utoipa::path(post, path = "/claims/{claim_id}/events", tag = "debts",
    params(ClaimPath, ("Idempotency-Key" = String, Header, description = "Unique per event")),
    request_body = NewEvent, security(("bearer" = [])),
    responses((status = 201, body = ClaimView), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 413, body = Problem, content_type = "application/problem+json"), (status = 415, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn claim_event(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(claim_id): Path<String>,
    J(e): J<NewEvent>,
) -> ApiResult<(StatusCode, Json<ClaimView>)> {
    Ok((
        StatusCode::CREATED,
        Json(new_event(&app, &p, &claim_id, e).await?),
    ))
}

/// Records an event on a claim (API and cockpit).
pub(crate) async fn new_event(
    app: &Arc<App>,
    p: &Principal,
    claim_id: &str,
    e: NewEvent,
) -> ApiResult<ClaimView> {
    let not_found = || Problem::not_found(format!("claim {claim_id}"));
    let (household, view) =
        knop_app::debts::claim(app.node().state(), claim_id, app.today()).ok_or_else(not_found)?;
    match &p.role {
        // A creditor knows only its own claims.
        Role::Creditor { org } => {
            if !(view.creditor_on_ledger && view.creditor == *org) {
                return Err(not_found());
            }
        }
        _ => {
            managed(app, p, &household.to_string(), "records its debts")?;
        }
    }
    let kind = EventKind::parse(&e.kind).ok_or_else(|| {
        Problem::unprocessable(format!(
            "kind: one of {}, found {:?}",
            EventKind::ALL.map(|k| k.name()).join(", "),
            e.kind
        ))
    })?;
    let cmd = ClaimCommand::Event {
        claim: claim_id.to_owned(),
        event: e.id.trim().to_owned(),
        kind,
        cents: e.cents,
        date: e.date,
    };
    submit(app, p, household, cmd).await
}

/// Checks `cmd`'s texts and amounts, records it, and answers the claim as it is now.
async fn submit(
    app: &Arc<App>,
    p: &Principal,
    household: knop_huishoudboekje::HouseholdId,
    cmd: ClaimCommand,
) -> ApiResult<ClaimView> {
    let cents = match &cmd {
        ClaimCommand::Open {
            principal_cents, ..
        } => *principal_cents,
        ClaimCommand::Event { cents, .. } => *cents,
        ClaimCommand::Hold { .. } | ClaimCommand::EndHold { .. } => 0,
    };
    if !(0..=knop_state::debts::CLAIM_CENTS_MAX).contains(&cents) {
        return Err(Problem::unprocessable(format!(
            "amounts are 0 to {} cents, found {cents}",
            knop_state::debts::CLAIM_CENTS_MAX
        )));
    }
    // A creditor's key reads no personal data: its texts are checked without the resident's.
    let resident = if p.role.creditor().is_some() {
        None
    } else {
        resident_data(app, p, household)?
    };
    knop_app::ledger_text::check_claim(&cmd, resident.as_ref())
        .map_err(|e| Problem::unprocessable(format!("nothing recorded: {e}")))?;
    let id = cmd.claim().to_owned();
    // A creditor's own events are signed with its own key when the service holds it (the
    // ledger then checks the claim is its); otherwise the foundation signs for it.
    match p.role.creditor().filter(|c| app.hosted(c).is_some()) {
        Some(org) => super::declarations::sign_as(app, org, Command::Claim(cmd)).await?,
        None => {
            record(app, Command::Claim(cmd)).await?;
        }
    }
    let today = app.today();
    knop_app::debts::claim(app.node().state(), &id, today)
        .map(|(_, v)| v)
        .ok_or_else(|| Problem::internal("the claim was recorded but cannot be read"))
}

/// A creditor's question about a person.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Lookup {
    /// The person's citizen service number (nine digits, elfproef). Never stored or logged.
    #[schema(pattern = "^[0-9]{9}$")]
    pub(crate) bsn: String,
    /// Why the creditor asks (1 to 200 characters); the resident reads it in the access log.
    pub(crate) purpose: String,
}

/// Least time a lookup takes, so that green and red (which writes the access log) answer alike.
const LOOKUP_FLOOR: std::time::Duration = std::time::Duration::from_millis(2);

/// Whether a person is in debt assistance (a creditor, with its API key): green with the contact
/// point, or red; nothing else. The BSN is looked up by its keyed pseudonym and stored nowhere; a
/// green answer is written to the household's access log. At most the service's
/// `lookups_per_minute` (default 600) a minute per creditor.
#[utoipa::path(post, path = "/debt-assistance-lookups", tag = "debts",
    request_body = Lookup, security(("bearer" = [])),
    responses((status = 200, body = knop_app::lookup::Answer), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 413, body = Problem, content_type = "application/problem+json"), (status = 415, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json"), (status = 429, body = Problem, content_type = "application/problem+json")))]
async fn debt_assistance_lookup(
    State(app): State<Arc<App>>,
    p: Principal,
    J(q): J<Lookup>,
) -> ApiResult<Json<knop_app::lookup::Answer>> {
    let floor = tokio::time::Instant::now() + LOOKUP_FLOOR;
    let Some(creditor) = p.role.creditor().map(str::to_owned) else {
        return Err(Problem::forbidden(
            "the debt-assistance lookup is for creditors (an API key of a creditor)",
        ));
    };
    let answer = ask(&app, creditor, q).await?;
    tokio::time::sleep_until(floor).await;
    Ok(Json(answer))
}

/// Asks the green/red question for `creditor` (API and cockpit): rate-limited per creditor,
/// green written to the household's access log.
pub(crate) async fn ask(
    app: &Arc<App>,
    creditor: String,
    q: Lookup,
) -> ApiResult<knop_app::lookup::Answer> {
    if !app.lookup_allowed(&creditor, super::now_ms()) {
        return Err(Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too-many-lookups",
            "Te veel vragen",
            format!(
                "at most {} lookups a minute per creditor; try again in a minute",
                app.config().lookups_per_minute
            ),
        ));
    }
    // A person the vault does not know (red) costs one failed file open: answered here, without
    // a hop to the blocking pool. Everything else (the ledger, the access log's write) goes there.
    {
        let vault = app.vault().ok_or_else(|| {
            Problem::not_found("this server keeps no personal data, so it knows no one")
        })?;
        let (bsn, _) = knop_app::lookup::check_question(&q.bsn, &q.purpose)
            .map_err(|e| Problem::unprocessable(e.to_string()))?;
        if vault.household_of_bsn(bsn).is_none() {
            return Ok(knop_app::lookup::Answer::Red);
        }
    }
    let app2 = app.clone();
    let answer = tokio::task::spawn_blocking(move || {
        let vault = app2.vault().ok_or_else(|| {
            Problem::not_found("this server keeps no personal data, so it knows no one")
        })?;
        let at = jiff::Timestamp::now().to_string();
        let asker = knop_app::lookup::Asker {
            who: &creditor,
            purpose: &q.purpose,
            at: &at,
            organisation: &app2.config().foundation_name,
        };
        // The ledger is held only to ask about the one household found.
        let now = app2.today_ms();
        knop_app::lookup::debt_assistance(vault, &q.bsn, &asker, |h| {
            let counsellor = knop_app::lookup::in_assistance(app2.node().state(), h, now)?;
            Some(app2.counsellor_contact(&counsellor))
        })
        .map_err(|e| match e {
            knop_app::lookup::LookupError::Vault(v) => Problem::internal(format!(
                "the lookup could not be written to the access log, so it is not answered: {v}"
            )),
            other => Problem::unprocessable(other.to_string()),
        })
    })
    .await
    .map_err(|e| Problem::internal(format!("the lookup failed: {e}")))??;
    Ok(answer)
}
