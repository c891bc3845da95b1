//! Rules as code: calculations for a household's facts; nothing is stored.

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{J, Q};
use crate::auth::Principal;
use crate::problem::{ApiResult, Problem};
use crate::App;
use knop_app::views;

/// The rules' routes.
pub(super) fn routes() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::new().routes(routes!(calculate))
}

/// Rules calculation parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
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
