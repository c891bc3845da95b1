//! The caseload: the households a counsellor (or supervisor, or administrator) sees, most
//! urgent first.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use maud::html;

use super::{euro, html_response, login_first, message, page, role_name, Lang};
use crate::auth::{MaybePrincipal, Role};
use crate::App;
use knop_app::views;

/// The caseload's route.
pub(super) fn routes() -> Router<Arc<App>> {
    Router::new().route("/huishoudens", get(caseload))
}

async fn caseload(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
) -> Response {
    let lang = Lang::of(&headers);
    let Some(p) = p else { return login_first() };
    if let Role::Resident { household } = &p.role {
        return Redirect::to(&format!("/huishoudens/{household}")).into_response();
    }
    if matches!(p.role, Role::Payer | Role::Creditor | Role::Auditor) {
        return message(
            lang,
            StatusCode::FORBIDDEN,
            lang.t("Geen toegang", "No access"),
            lang.t(
                "Met deze rol ziet u geen huishoudens.",
                "This role sees no households.",
            ),
            Some(&p),
        );
    }
    let (today, ms) = (app.today(), app.today_ms());
    let rows = views::caseload(app.node().state(), &p.role, today, ms);
    let title = lang.t("Huishoudens", "Households");
    html_response(
        StatusCode::OK,
        page(
            lang,
            title,
            Some(&p),
            html! {
                h1 { (title) }
                p.note { (role_name(lang, &p.role)) " · " (lang.t("vandaag", "today")) " " (knop_app::present::spoken(today, lang.0)) }
                @if rows.is_empty() {
                    p { (lang.t("Geen huishoudens in uw caseload.", "No households in your caseload.")) }
                } @else {
                    table {
                        caption.note { (lang.t("Meest urgent eerst", "Most urgent first")) }
                        thead { tr {
                            th scope="col" { (lang.t("Huishouden", "Household")) }
                            th scope="col" { (lang.t("Signaal", "Alert")) }
                            th scope="col" class="amount" { (lang.t("Saldo", "Balance")) }
                        } }
                        tbody {
                            @for s in &rows {
                                tr {
                                    td { a href=(format!("/huishoudens/{}", s.id)) { (s.id) } }
                                    td {
                                        @if let Some(a) = &s.top_alert {
                                            (if lang.english() { &a.message_en } else { &a.message_nl })
                                            @if s.alerts > 1 { " (+" (s.alerts - 1) ")" }
                                        } @else { (lang.t("geen", "none")) }
                                    }
                                    td.amount { (euro(s.balance_cents)) }
                                }
                            }
                        }
                    }
                }
            },
        ),
    )
}
