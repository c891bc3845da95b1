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
        .route("/betaalruns/dagbestand", post(make_day_file))
        .route(
            "/betaalruns/dagbestand/{id}/goedkeuren",
            post(approve_day_file),
        )
}

async fn runs_page(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
) -> Response {
    let lang = Lang::of(&headers);
    let Some(p) = p else { return login_first() };
    if p.role.is_outside() {
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
    type Collected = std::collections::HashMap<String, Vec<(String, jiff::civil::Date, i64)>>;
    let (runs, mine, collected): (Vec<knop_app::payrun::RunView>, Vec<String>, Collected) = {
        let node = app.node();
        let st = node.state();
        let visible = |h: knop_huishoudboekje::HouseholdId| {
            st.households()
                .get(&h)
                .is_some_and(|x| p.role.may_see_household(h, &x.counsellor))
        };
        // The runs of a day file are shown with their day file.
        let mut runs: Vec<_> = st
            .runs()
            .values()
            .filter(|r| r.batch.is_none() && visible(r.household))
            .filter_map(knop_app::payrun::RunView::of)
            .collect();
        runs.sort_by_key(|r| std::cmp::Reverse(r.entry));
        let mine = st
            .households()
            .iter()
            .filter(|(_, h)| p.role.may_manage_household(&h.counsellor))
            .map(|(id, _)| id.to_string())
            .collect();
        // What creditors collect themselves on each run's date: listed with the run.
        let collected = runs
            .iter()
            .filter_map(|r| {
                let h = r.content.household.parse().ok()?;
                let d = r.content.date.parse().ok()?;
                Some((
                    r.content.run_id.clone(),
                    knop_app::payrun::collected_by_creditors(st, h, d),
                ))
            })
            .collect();
        (runs, mine, collected)
    };
    let day_files = crate::api::payments::visible_day_files(&app, &p).unwrap_or_default();
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
                @if !mine.is_empty() && matches!(p.role, Role::Counsellor { .. }) {
                    h2 { (lang.t("Dagbestand voor uw hele caseload", "Day file for your whole caseload")) }
                    p { (lang.t(
                        "Eén betaalbestand voor één datum, met de betalingen van alle huishoudens die iets te betalen hebben. Een tweede persoon keurt het in één keer goed.",
                        "One payment file for one date, with the payments of every household that has something to pay. A second person approves it at once.")) }
                    form method="post" action="/betaalruns/dagbestand" {
                        input type="hidden" name="csrf" value=(csrf);
                        p {
                            label.utrecht-form-label for="day-d" { (lang.t("Uitvoerdatum (werkdag)", "Execution date (business day)")) } br;
                            input.utrecht-textbox.utrecht-textbox--html-input id="day-d" type="date" name="date" required value=(next_day.to_string());
                        }
                        p { button.utrecht-button.utrecht-button--primary-action type="submit" { (lang.t("Dagbestand maken", "Make day file")) " (" (count(lang, mine.len(), ("huishouden", "huishoudens"), ("household", "households"))) ")" } }
                    }
                }
                @if !day_files.is_empty() {
                    h2 { (lang.t("Dagbestanden", "Day files")) }
                    @for d in &day_files {
                        (day_file_card(lang, &p, &csrf, d))
                    }
                }
                @if !mine.is_empty() {
                    h2 { (lang.t("Nieuwe betaalrun voor één huishouden", "New payment run for one household")) }
                    form method="post" action="/betaalruns" {
                        input type="hidden" name="csrf" value=(csrf);
                        p {
                            label.utrecht-form-label for="run-h" { (lang.t("Huishouden", "Household")) } br;
                            select.utrecht-select.utrecht-select--html-select id="run-h" name="household" { @for h in &mine { option value=(h) { (h) } } }
                        }
                        p {
                            label.utrecht-form-label for="run-d" { (lang.t("Uitvoerdatum (werkdag)", "Execution date (business day)")) } br;
                            input.utrecht-textbox.utrecht-textbox--html-input id="run-d" type="date" name="date" required value=(next_day.to_string());
                        }
                        p { button.utrecht-button.utrecht-button--primary-action type="submit" { (lang.t("Run maken", "Make run")) } }
                    }
                }
                h2 { (lang.t("Losse runs", "Single runs")) }
                @if runs.is_empty() { p { (lang.t("Nog geen losse betaalruns.", "No single payment runs yet.")) } }
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
                            table.utrecht-table {
                                thead.utrecht-table__header { tr.utrecht-table__row { th.utrecht-table__header-cell scope="col" { (lang.t("Wat", "What")) } th.utrecht-table__header-cell scope="col" { (lang.t("Aan", "To")) } th.utrecht-table__header-cell.amount scope="col" { (lang.t("Bedrag", "Amount")) } } }
                                tbody.utrecht-table__body { @for i in &r.content.items { tr.utrecht-table__row { td.utrecht-table__cell { (i.agreement) } td.utrecht-table__cell { (i.creditor_name) } td.utrecht-table__cell.amount { (euro(i.cents)) } } } }
                            }
                        }
                        @for n in &r.content.not_covered { p.note { (lang.t("Niet in deze run:", "Not in this run:")) " " (n) } }
                        @for (name, due, cents) in collected.get(&r.content.run_id).into_iter().flatten() {
                            p.note {
                                (lang.t("Niet in deze run, de schuldeiser schrijft zelf af (automatische incasso):", "Not in this run, the creditor collects it (direct debit):"))
                                " " (name) " " (euro(*cents)) ", " (knop_app::present::short(*due, lang.0))
                            }
                        }
                        @if r.content.advanced_cents > 0 {
                            p.note { (lang.t("Voorgeschoten door de stichting:", "Advanced by the foundation:")) " " (euro(r.content.advanced_cents)) }
                        }
                        @if !r.approved && matches!(p.role, Role::Supervisor) && r.created_by != p.id {
                            form method="post" action=(format!("/betaalruns/{}/goedkeuren", r.content.run_id)) {
                                input type="hidden" name="csrf" value=(csrf);
                                button.utrecht-button.utrecht-button--primary-action type="submit" { (lang.t("Goedkeuren", "Approve")) }
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

/// A day file: what it pays, its state, the approval for a supervisor and the download once
/// approved; per household on request (no script: a `details` element).
fn day_file_card(
    lang: Lang,
    p: &crate::auth::Principal,
    csrf: &str,
    d: &knop_app::day_file::DayFileView,
) -> maud::Markup {
    let anchor = format!("dag-{}", d.id);
    html! {
        section.card aria-labelledby=(anchor) {
            h3 id=(anchor) { (lang.t("Dagbestand", "Day file")) " " (lang.date(&d.date)) }
            p {
                (count(lang, d.runs.len(), ("huishouden", "huishoudens"), ("household", "households"))) " · "
                (count(lang, d.payments, ("betaling", "betalingen"), ("payment", "payments"))) " · "
                strong { (euro(d.total_cents)) }
                br;
                (lang.t("Gemaakt door", "Made by")) " " (d.created_by) " · "
                @if d.approved {
                    (lang.t("goedgekeurd door", "approved by")) " " (d.approved_by.join(", "))
                } @else {
                    strong { (lang.t("wacht op goedkeuring door een tweede persoon", "awaiting approval by a second person")) }
                }
                br;
                span.note { (d.id) }
            }
            details {
                summary { (lang.t("Per huishouden", "Per household")) }
                table.utrecht-table {
                    thead.utrecht-table__header { tr.utrecht-table__row {
                        th.utrecht-table__header-cell scope="col" { (lang.t("Huishouden", "Household")) }
                        th.utrecht-table__header-cell scope="col" { (lang.t("Betalingen", "Payments")) }
                        th.utrecht-table__header-cell.amount scope="col" { (lang.t("Bedrag", "Amount")) }
                    } }
                    tbody.utrecht-table__body { @for r in &d.runs { tr.utrecht-table__row {
                        td.utrecht-table__cell { a href=(format!("/huishoudens/{}", r.content.household)) { (r.content.household) } }
                        td.utrecht-table__cell {
                            (r.content.items.len())
                            @if !r.content.not_covered.is_empty() {
                                br; span.note { (r.content.not_covered.len()) " " (lang.t("niet gedekt of al betaald", "not covered or already paid")) }
                            }
                        }
                        td.utrecht-table__cell.amount { (euro(r.total_cents)) }
                    } } }
                }
            }
            @if !d.approved && matches!(p.role, Role::Supervisor) && d.created_by != p.id {
                form method="post" action=(format!("/betaalruns/dagbestand/{}/goedkeuren", d.id)) {
                    input type="hidden" name="csrf" value=(csrf);
                    button.utrecht-button.utrecht-button--primary-action type="submit" { (lang.t("Dagbestand goedkeuren", "Approve day file")) " (" (euro(d.total_cents)) ")" }
                }
            }
            @if d.approved {
                p {
                    a href=(format!("/api/v1/day-files/{}/pain001", d.id)) download { (lang.t("Download pain.001 (.03)", "Download pain.001 (.03)")) }
                    " · "
                    a href=(format!("/api/v1/day-files/{}/pain001?version=09", d.id)) download { "pain.001 (.09)" }
                }
            }
        }
    }
}

#[derive(Deserialize)]
struct DayFileForm {
    csrf: String,
    date: String,
}

async fn make_day_file(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
    Form(f): Form<DayFileForm>,
) -> Response {
    let lang = Lang::of(&headers);
    let Some(p) = p else { return login_first() };
    if !csrf_ok(&p, &f.csrf) {
        return refused(lang, &p);
    }
    let made = match crate::api::payments::make_day_file(&app, &p, &f.date, None).await {
        Ok(m) => m,
        Err(e) => return problem_page(lang, &p, e),
    };
    let d = &made.day_file;
    let title = lang.t("Dagbestand gemaakt", "Day file made");
    html_response(
        StatusCode::OK,
        page(
            lang,
            title,
            Some(&p),
            html! {
                h1 { (title) }
                p.alert.info role="status" {
                    @if made.recorded == Some(knop_app::payrun::Recorded::Before) {
                        (lang.t("Dit dagbestand was al gemaakt; er is niets nieuws vastgelegd.", "This day file was made before; nothing new was recorded."))
                    } @else {
                        (lang.t("Vastgelegd in het grootboek, in één keer:", "Recorded on the ledger, at once:")) " "
                        (count(lang, d.runs.len(), ("huishouden", "huishoudens"), ("household", "households"))) ", "
                        (count(lang, d.payments, ("betaling", "betalingen"), ("payment", "payments"))) ", " (euro(d.total_cents)) ". "
                        (lang.t("Een tweede persoon moet het nog goedkeuren.", "A second person still has to approve it."))
                    }
                }
                @if !made.left_out.is_empty() {
                    h2 { (lang.t("Niet in het dagbestand", "Not in the day file")) " (" (made.left_out.len()) ")" }
                    ul { @for l in &made.left_out {
                        li { a href=(format!("/huishoudens/{}", l.household)) { (lang.t("Huishouden", "Household")) " " (l.household) } ": " (l.why) }
                    } }
                }
                p { a href="/betaalruns" { (lang.t("Naar de betaalruns", "To the payment runs")) } }
            },
        ),
    )
}

async fn approve_day_file(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    let lang = Lang::of(&headers);
    let Some(p) = p else { return login_first() };
    if !csrf_ok(&p, &f.csrf) {
        return refused(lang, &p);
    }
    match crate::api::payments::approve_day(&app, &p, id).await {
        Ok(_) => Redirect::to("/betaalruns").into_response(),
        Err(e) => problem_page(lang, &p, e),
    }
}

/// `n` and its noun, singular for one: `1 huishouden`, `78 huishoudens`.
fn count(lang: Lang, n: usize, nl: (&str, &str), en: (&str, &str)) -> String {
    let (one, many) = if lang.english() { en } else { nl };
    format!("{n} {}", if n == 1 { one } else { many })
}
