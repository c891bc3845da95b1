//! A household's debts: what is left in all and per creditor, where each claim stands and what
//! changed last, in plain words. The resident reads it; the counsellor also records claims and
//! what happens to them (the API's use-cases, the same checks).

use std::sync::Arc;

use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use maud::{html, Markup};
use serde::Deserialize;

use super::{
    csrf_ok, euro, household_not_found, html_response, login_first, page, page_household, refused,
    Lang,
};
use crate::auth::{MaybePrincipal, Principal, Role};
use crate::App;
use knop_app::debts::{ClaimView, DebtsView};

/// The debts page's routes.
pub(super) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route(
            "/huishoudens/{id}/schulden",
            get(debts_page).post(add_claim),
        )
        .route("/huishoudens/{id}/schulden/{claim}", post(add_event))
}

/// What an event kind is called, as a noun.
fn kind_words(lang: Lang, kind: &str) -> &'static str {
    match kind {
        "costs" => lang.t("incassokosten erbij", "collection costs added"),
        "interest" => lang.t("rente erbij", "interest added"),
        "payment" => lang.t("betaald", "paid"),
        "reminder" => lang.t("herinnering", "reminder"),
        "summons" => lang.t("aanmaning", "summons"),
        "withdrawn" => lang.t("ingetrokken", "withdrawn"),
        "forgiven" => lang.t("kwijtgescholden", "forgiven"),
        "arrangement" => lang.t(
            "betalingsregeling afgesproken",
            "payment arrangement agreed",
        ),
        _ => lang.t("schuld ontstaan", "debt arose"),
    }
}

/// Where a claim stands, in words.
fn status_words(lang: Lang, status: &str) -> &'static str {
    match status {
        "arrangement" => lang.t("in een betalingsregeling", "in a payment arrangement"),
        "settled" => lang.t("afbetaald", "paid off"),
        "forgiven" => lang.t("afgesloten (kwijtgescholden)", "closed (forgiven)"),
        _ => lang.t("open", "open"),
    }
}

/// What a hold pauses, in words.
fn pause_words(lang: Lang, pauses: &[String]) -> String {
    pauses
        .iter()
        .map(|p| match p.as_str() {
            "collection" => lang.t("geen aanmaningen", "no reminders"),
            "costs" => lang.t("geen kosten", "no costs"),
            _ => lang.t("geen rente", "no interest"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The kinds a counsellor can record, in the order offered.
const KINDS: [&str; 8] = [
    "payment",
    "costs",
    "interest",
    "reminder",
    "summons",
    "arrangement",
    "forgiven",
    "withdrawn",
];

fn claim_markup(lang: Lang, c: &ClaimView, form: Option<(&str, &str)>) -> Markup {
    let creditor = if c.creditor_on_ledger {
        super::rode_knop::org_word(&c.creditor)
    } else {
        c.creditor.clone()
    };
    html! {
        section.card aria-labelledby=(format!("c-{}", c.id)) {

            h3 id=(format!("c-{}", c.id)) { (creditor) ": " (euro(c.left_cents)) " " (lang.t("over", "left")) }
            p {
                (status_words(lang, &c.status))
                @if let Some(m) = c.arrangement_cents.filter(|_| c.status == "arrangement") {
                    ", " (euro(m)) " " (lang.t("per maand", "a month"))
                }
                br; span.note { (lang.t("Kenmerk", "Reference")) " " (c.reference) " · " (lang.t("sinds", "since")) " " (lang.date(&c.since)) }
            }
            p {
                (lang.t("Oorspronkelijk", "Originally")) " " (euro(c.principal_cents))
                @if c.costs_cents > 0 { "; " (lang.t("kosten", "costs")) " " (euro(c.costs_cents)) }
                @if c.interest_cents > 0 { "; " (lang.t("rente", "interest")) " " (euro(c.interest_cents)) }
                @if c.paid_cents > 0 { "; " (lang.t("betaald", "paid")) " " (euro(c.paid_cents)) }
                @if c.forgiven_cents > 0 { "; " (lang.t("kwijtgescholden of ingetrokken", "forgiven or withdrawn")) " " (euro(c.forgiven_cents)) }
                "."
            }
            @if let Some(h) = &c.hold {
                @if h.active {
                    p.pause {
                        strong { (lang.t("Pauze:", "On hold:")) }
                        " " (creditor) " " (lang.t("heeft de invordering gepauzeerd tot en met", "has paused collection up to and including")) " " (lang.date(&h.until))
                        " (" (pause_words(lang, &h.pauses)) ")."
                    }
                } @else {
                    p.note { (lang.t("De pauze is voorbij", "The hold is over")) " (" (lang.date(&h.from)) " – " (lang.date(&h.until)) ")." }
                }
            }
            @for e in &c.during_hold {
                div.utrecht-alert.utrecht-alert--warning.alert.urgent role="note" {
                    strong { (creditor) " " (lang.t("heeft kosten toegevoegd tijdens de pauze", "added costs during the hold")) }
                    ": " (kind_words(lang, &e.kind)) " " (euro(e.cents)) " " (lang.t("op", "on")) " " (lang.date(&e.date)) ". "
                    (lang.t("Neem contact op met de schuldeiser: tijdens de pauze horen er geen kosten bij te komen.",
                            "Contact the creditor: no costs should be added during the hold."))
                }
            }
            p.note {
                (lang.t("Laatste verandering:", "Last change:")) " " (kind_words(lang, &c.last_change.kind))
                @if c.last_change.cents > 0 && c.last_change.kind != "opened" { " " (euro(c.last_change.cents)) }
                " " (lang.t("op", "on")) " " (lang.date(&c.last_change.date))
            }
            @if let Some((csrf, household)) = form {
                details {
                summary { (lang.t("Iets vastleggen bij deze schuld", "Record something on this debt")) }
                form method="post" action=(format!("/huishoudens/{household}/schulden/{}", c.id)) {
                    input type="hidden" name="csrf" value=(csrf);
                    // The event's key, made with the form: sent twice, it is recorded once; two
                    // forms (two equal payments on one day) are two events.
                    input type="hidden" name="event" value=(format!("e-{:016x}", rand::random::<u64>()));
                    fieldset {
                        legend { (lang.t("Wat is er gebeurd?", "What happened?")) }
                        p { label.utrecht-form-label for=(format!("k-{}", c.id)) { (lang.t("Soort", "Kind")) } br;
                            select.utrecht-select.utrecht-select--html-select id=(format!("k-{}", c.id)) name="kind" {
                                @for k in KINDS { option value=(k) { (kind_words(lang, k)) } }
                            } }
                        p { label.utrecht-form-label for=(format!("b-{}", c.id)) { (lang.t("Bedrag in euro (bij een regeling: per maand)", "Amount in euros (for an arrangement: a month)")) } br;
                            input.utrecht-textbox.utrecht-textbox--html-input id=(format!("b-{}", c.id)) name="amount" required inputmode="decimal"; }
                        p { label.utrecht-form-label for=(format!("d-{}", c.id)) { (lang.t("Datum", "Date")) } br;
                            input.utrecht-textbox.utrecht-textbox--html-input id=(format!("d-{}", c.id)) name="date" type="date" required; }
                        p { button.utrecht-button.utrecht-button--primary-action type="submit" { (lang.t("Vastleggen", "Record")) } }
                    }
                }
                }
            }
        }
    }
}

fn debts_markup(
    lang: Lang,
    p: &Principal,
    household: &str,
    d: &DebtsView,
    manage: bool,
    result: Option<Markup>,
) -> Markup {
    let resident = matches!(p.role, Role::Resident { .. });
    let csrf = p.csrf.clone().unwrap_or_default();
    html! {
        h1 { (if resident { lang.t("Uw schulden", "Your debts") } else { lang.t("Schulden", "Debts") }) }
        @if let Some(r) = result { (r) }
        @if d.claims.is_empty() {
            p { (lang.t("Er zijn geen schulden vastgelegd.", "No debts are recorded.")) }
        } @else {
            div.cards {
                div.card { div.label { (lang.t("Nog te betalen", "Still to pay")) } div.value { (euro(d.left_cents)) } }
                div.card { div.label { (lang.t("Bij schuldeisers", "With creditors")) } div.value { (d.creditors_open) } }
                @if d.on_hold > 0 {
                    div.card { div.label { (lang.t("Gepauzeerd", "On hold")) } div.value { (d.on_hold) } }
                }
            }
            @if d.alerts > 0 && !resident {
                div.utrecht-alert.utrecht-alert--warning.alert.urgent role="alert" {
                    (d.alerts) " " (lang.t("keer kosten toegevoegd tijdens een pauze; zie hieronder.", "time(s) costs were added during a hold; see below."))
                }
            }
            @if resident {
                p { (lang.t(
                    "Dit zijn de schulden die uw consulent en de schuldeisers hebben vastgelegd. Klopt er iets niet? Vertel het uw consulent.",
                    "These are the debts your counsellor and the creditors recorded. Is something wrong? Tell your counsellor.")) }
            }
            @for c in &d.claims {
                (claim_markup(lang, c, manage.then_some((csrf.as_str(), household))))
            }
        }
        @if manage {
            h2 #nieuw { (lang.t("Nieuwe schuld vastleggen", "Record a new debt")) }
            form method="post" action=(format!("/huishoudens/{household}/schulden")) {
                input type="hidden" name="csrf" value=(csrf);
                // The claim's key, made with the form (sent twice, recorded once); random, so
                // that it says nothing of the creditor or its reference on the ledger.
                input type="hidden" name="claim" value=(claim_id());
                p { label.utrecht-form-label for="s-creditor" { (lang.t("Schuldeiser (bijv. CJIB, DUO, Eneco)", "Creditor (e.g. CJIB, DUO, Eneco)")) } br;
                    input.utrecht-textbox.utrecht-textbox--html-input id="s-creditor" name="creditor" required maxlength="70"; }
                p { label.utrecht-form-label for="s-ref" { (lang.t("Kenmerk van de schuldeiser", "The creditor's reference")) } br;
                    input.utrecht-textbox.utrecht-textbox--html-input id="s-ref" name="reference" required maxlength="140"; }
                p { label.utrecht-form-label for="s-amount" { (lang.t("Oorspronkelijk bedrag in euro", "Original amount in euros")) } br;
                    input.utrecht-textbox.utrecht-textbox--html-input id="s-amount" name="amount" required inputmode="decimal"; }
                p { label.utrecht-form-label for="s-date" { (lang.t("Ontstaan op", "Arose on")) } br;
                    input.utrecht-textbox.utrecht-textbox--html-input id="s-date" name="date" type="date" required; }
                p { button.utrecht-button.utrecht-button--primary-action type="submit" { (lang.t("Vastleggen", "Record")) } }
            }
        }
        p { a href=(format!("/huishoudens/{household}")) { (lang.t("Terug naar het overzicht", "Back to the overview")) } }
    }
}

async fn debts_page(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
    Path(id): Path<String>,
) -> Response {
    let lang = Lang::of(&headers);
    let Some(p) = p else { return login_first() };
    answer(&app, lang, &p, &id, StatusCode::OK, None)
}

fn answer(
    app: &App,
    lang: Lang,
    p: &Principal,
    id: &str,
    status: StatusCode,
    result: Option<Markup>,
) -> Response {
    let Some(s) = page_household(app, p, id, false) else {
        return household_not_found(lang, p);
    };
    let manage = p.role.may_manage_household(&s.state.counsellor);
    let d = knop_app::debts::of_household(app.node().state(), s.household, app.today());
    html_response(
        status,
        page(
            lang,
            lang.t("Schulden", "Debts"),
            Some(p),
            debts_markup(lang, p, &s.household.to_string(), &d, manage, result),
        ),
    )
}

/// A new claim's id for the form: random, so that it says nothing of the creditor or its
/// reference to anyone reading the ledger.
fn claim_id() -> String {
    format!("c-{:016x}", rand::random::<u64>())
}

/// The answer to a form: the page again, with what happened.
fn recorded(
    app: &App,
    lang: Lang,
    p: &Principal,
    id: &str,
    result: crate::problem::ApiResult<ClaimView>,
) -> Response {
    let (status, note) = match result {
        Ok(c) => (
            StatusCode::OK,
            html! { div.utrecht-alert.utrecht-alert--info.alert.info role="status" { (lang.t("Vastgelegd:", "Recorded:")) " " (c.creditor) ", " (euro(c.left_cents)) " " (lang.t("over", "left")) "." } },
        ),
        Err(e) => (
            e.status_code(),
            html! { div.utrecht-alert.utrecht-alert--error.alert.urgent role="alert" { strong { (lang.t("Niet vastgelegd:", "Not recorded:")) } " " (e.detail) } },
        ),
    };
    answer(app, lang, p, id, status, Some(note))
}

fn cents_of(amount: &str) -> crate::problem::ApiResult<i64> {
    knop_book::Cents::parse_euros(amount.trim())
        .map(|c| c.0)
        .map_err(|e| crate::Problem::unprocessable(format!("amount: {e}")))
}

fn date_of(date: &str) -> crate::problem::ApiResult<jiff::civil::Date> {
    date.trim()
        .parse()
        .map_err(|_| crate::Problem::unprocessable("date: a date as 2026-12-31"))
}

#[derive(Deserialize)]
struct ClaimForm {
    csrf: String,
    claim: String,
    creditor: String,
    reference: String,
    amount: String,
    date: String,
}

async fn add_claim(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
    Path(id): Path<String>,
    Form(f): Form<ClaimForm>,
) -> Response {
    let lang = Lang::of(&headers);
    let Some(p) = p else { return login_first() };
    if !csrf_ok(&p, &f.csrf) {
        return refused(lang, &p);
    }
    let result = async {
        let c = crate::api::debts::NewClaim {
            id: f.claim.clone(),
            household: id.clone(),
            creditor_organisation: None,
            creditor_name: Some(f.creditor.clone()),
            reference: f.reference.clone(),
            principal_cents: cents_of(&f.amount)?,
            date: date_of(&f.date)?,
        };
        crate::api::debts::new_claim(&app, &p, c).await
    }
    .await;
    recorded(&app, lang, &p, &id, result)
}

#[derive(Deserialize)]
struct EventForm {
    csrf: String,
    event: String,
    kind: String,
    amount: String,
    date: String,
}

async fn add_event(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
    Path((id, claim)): Path<(String, String)>,
    Form(f): Form<EventForm>,
) -> Response {
    let lang = Lang::of(&headers);
    let Some(p) = p else { return login_first() };
    if !csrf_ok(&p, &f.csrf) {
        return refused(lang, &p);
    }
    // The claim must be of this household (the use-case checks who may record on it).
    if knop_app::debts::claim(app.node().state(), &claim, app.today())
        .is_none_or(|(h, _)| h.to_string() != id)
    {
        return household_not_found(lang, &p);
    }
    let result = async {
        let cents = cents_of(&f.amount)?;
        let date = date_of(&f.date)?;
        let e = crate::api::debts::NewEvent {
            id: f.event.clone(),
            kind: f.kind.clone(),
            cents,
            date,
        };
        crate::api::debts::new_event(&app, &p, &claim, e).await
    }
    .await;
    recorded(&app, lang, &p, &id, result)
}
