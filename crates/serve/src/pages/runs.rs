//! Payment runs (betaalruns): the list, making a run, and a second person's approval.

use std::sync::Arc;

use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::html;
use serde::Deserialize;

use super::{
    csrf_ok, euro, html_response, login_first, message, page, problem_page, refused, CsrfForm, Lang,
};
use crate::auth::{MaybePrincipal, Role};
use crate::App;

/// The payment runs pages' routes.
pub(super) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/betaalruns", get(runs_page).post(make_run))
        .route("/betaalruns/{run_id}/goedkeuren", post(approve_run))
}

async fn runs_page(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
) -> Response {
    let lang = Lang::of(&headers);
    let Some(p) = p else { return login_first() };
    if matches!(p.role, Role::Payer | Role::Creditor | Role::Auditor) {
        return message(
            lang,
            StatusCode::FORBIDDEN,
            lang.t("Geen toegang", "No access"),
            lang.t(
                "Met deze rol ziet u geen betaalruns.",
                "This role sees no payment runs.",
            ),
            Some(&p),
        );
    }
    let (runs, mine): (Vec<knop_app::payrun::RunView>, Vec<String>) = {
        let node = app.node();
        let st = node.state();
        let visible = |h: knop_huishoudboekje::HouseholdId| {
            st.households()
                .get(&h)
                .is_some_and(|x| p.role.may_see_household(h, &x.counsellor))
        };
        let mut runs: Vec<_> = st
            .runs()
            .values()
            .filter(|r| visible(r.household))
            .filter_map(knop_app::payrun::RunView::of)
            .collect();
        runs.sort_by_key(|r| std::cmp::Reverse(r.entry));
        let mine = st
            .households()
            .iter()
            .filter(|(_, h)| p.role.may_manage_household(&h.counsellor))
            .map(|(id, _)| id.to_string())
            .collect();
        (runs, mine)
    };
    let csrf = p.csrf.clone().unwrap_or_default();
    let title = lang.t("Betaalruns", "Payment runs");
    let next_day = knop_huishoudboekje::calendar::next_business_day(app.today());
    html_response(
        StatusCode::OK,
        page(
            lang,
            title,
            Some(&p),
            html! {
                h1 { (title) }
                @if !mine.is_empty() {
                    h2 { (lang.t("Nieuwe betaalrun", "New payment run")) }
                    form method="post" action="/betaalruns" {
                        input type="hidden" name="csrf" value=(csrf);
                        p {
                            label for="run-h" { (lang.t("Huishouden", "Household")) } br;
                            select id="run-h" name="household" { @for h in &mine { option value=(h) { (h) } } }
                        }
                        p {
                            label for="run-d" { (lang.t("Uitvoerdatum (werkdag)", "Execution date (business day)")) } br;
                            input id="run-d" type="date" name="date" required value=(next_day.to_string());
                        }
                        p { button type="submit" { (lang.t("Run maken", "Make run")) } }
                    }
                }
                h2 { (lang.t("Runs", "Runs")) }
                @if runs.is_empty() { p { (lang.t("Nog geen betaalruns.", "No payment runs yet.")) } }
                @for r in &runs {
                    section.card aria-labelledby=(format!("run-{}", r.content.run_id)) {
                        h3 id=(format!("run-{}", r.content.run_id)) { (r.content.run_id) }
                        p {
                            (lang.t("Huishouden", "Household")) " " (r.content.household) " · " (lang.date(&r.content.date)) " · "
                            strong { (euro(r.total_cents)) }
                            br;
                            (lang.t("Gemaakt door", "Made by")) " " (r.created_by) " · "
                            @if r.approved {
                                (lang.t("goedgekeurd door", "approved by")) " " (r.approved_by.join(", "))
                            } @else {
                                strong { (lang.t("wacht op goedkeuring door een tweede persoon", "awaiting approval by a second person")) }
                            }
                        }
                        @if !r.content.items.is_empty() {
                            table {
                                thead { tr { th scope="col" { (lang.t("Wat", "What")) } th scope="col" { (lang.t("Aan", "To")) } th scope="col" class="amount" { (lang.t("Bedrag", "Amount")) } } }
                                tbody { @for i in &r.content.items { tr { td { (i.agreement) } td { (i.creditor_name) } td.amount { (euro(i.cents)) } } } }
                            }
                        }
                        @for n in &r.content.not_covered { p.note { (lang.t("Niet in deze run:", "Not in this run:")) " " (n) } }
                        @if r.content.advanced_cents > 0 {
                            p.note { (lang.t("Voorgeschoten door de stichting:", "Advanced by the foundation:")) " " (euro(r.content.advanced_cents)) }
                        }
                        @if !r.approved && matches!(p.role, Role::Supervisor) && r.created_by != p.id {
                            form method="post" action=(format!("/betaalruns/{}/goedkeuren", r.content.run_id)) {
                                input type="hidden" name="csrf" value=(csrf);
                                button type="submit" { (lang.t("Goedkeuren", "Approve")) }
                            }
                        }
                        @if r.approved && !matches!(p.role, Role::Resident { .. }) && !r.content.items.is_empty() {
                            p {
                                a href=(format!("/api/v1/payment-runs/{}/pain001", r.content.run_id)) download { (lang.t("Download pain.001 (.03)", "Download pain.001 (.03)")) }
                                " · "
                                a href=(format!("/api/v1/payment-runs/{}/pain001?version=09", r.content.run_id)) download { "pain.001 (.09)" }
                            }
                        }
                    }
                }
            },
        ),
    )
}

#[derive(Deserialize)]
struct RunForm {
    csrf: String,
    household: String,
    date: String,
}

async fn make_run(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
    Form(f): Form<RunForm>,
) -> Response {
    let lang = Lang::of(&headers);
    let Some(p) = p else { return login_first() };
    if !csrf_ok(&p, &f.csrf) {
        return refused(lang, &p);
    }
    match crate::api::payments::make_run(&app, &p, &f.household, &f.date).await {
        Ok(_) => Redirect::to("/betaalruns").into_response(),
        Err(e) => problem_page(lang, &p, e),
    }
}

async fn approve_run(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
    Path(run_id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    let lang = Lang::of(&headers);
    let Some(p) = p else { return login_first() };
    if !csrf_ok(&p, &f.csrf) {
        return refused(lang, &p);
    }
    match crate::api::payments::approve(&app, &p, run_id).await {
        Ok(_) => Redirect::to("/betaalruns").into_response(),
        Err(e) => problem_page(lang, &p, e),
    }
}
