//! A household's personal data, kept encrypted in the vault and never on the ledger: stored,
//! read for a stated purpose, erased, and the log of who read it.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{vault_of, vault_problem, visible, HouseholdPath, J, Q};
use crate::auth::{Principal, Role};
use crate::problem::{ApiResult, Problem};
use crate::App;

/// The personal data's routes.
pub(super) fn routes() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::new()
        .routes(routes!(put_personal, get_personal, erase_personal))
        .routes(routes!(access_log))
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
#[into_params(parameter_in = Query)]
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
pub(crate) struct Erased {
    /// Whether there was personal data to destroy.
    pub(crate) destroyed: bool,
    /// Kept bank statements in which the household's lines were redacted now.
    pub(crate) statements_redacted: usize,
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
    erase(&app, &p, &id).await.map(Json)
}

/// Erases household `id`'s personal data and redacts its lines in the kept statements (API and
/// cockpit).
pub(crate) async fn erase(app: &Arc<App>, p: &Principal, id: &str) -> ApiResult<Erased> {
    let s = visible(app, p, id)?;
    if !matches!(p.role, Role::Administrator) {
        return Err(Problem::forbidden("erasure is done by the administrator"));
    }
    let vault = vault_of(app)?;
    let destroyed = vault.erase(s.household).map_err(vault_problem)?;
    // And no readable trace in the statements kept beside the ledger.
    let household = s.household;
    let app2 = app.clone();
    let redacted = tokio::task::spawn_blocking(move || app2.redact_statements(household))
        .await
        .map_err(|e| Problem::internal(format!("the redaction failed: {e}")))?
        .map_err(|e| {
            Problem::internal(format!(
                "the personal data is erased, but redacting the kept statements failed ({e}); erase again to retry"
            ))
        })?;
    Ok(Erased {
        destroyed,
        statements_redacted: redacted,
    })
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
