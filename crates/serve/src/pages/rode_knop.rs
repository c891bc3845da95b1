//! The Rode Knop in the cockpit, one page per party:
//!
//! - the resident's **declaration** (`/huishoudens/{id}/verklaring`): is there one, until when;
//!   "Deel met een schuldeiser" (pick a creditor, tick what it sees, see exactly what goes);
//!   the link and its QR code; with whom it was shared, when it was read; stop sharing;
//! - the **municipality** (`/gemeente`): issue, extend, suspend, revoke;
//! - the **creditor** (`/schuldeiser`): the green/red question, a shared declaration opened
//!   and checked, a hold on its own claim, its claims with their holds.
//!
//! Every action is the API's use-case (`crate::api::declarations`, `crate::api::debts`), with
//! the same checks.

use std::sync::Arc;

use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use maud::{html, Markup, PreEscaped};
use serde::Deserialize;

use super::{
    csrf_ok, euro, household_not_found, html_response, login_first, message, page, page_household,
    refused, Lang,
};
use crate::api::declarations as api;
use crate::auth::{MaybePrincipal, Principal, Role};
use crate::App;
use knop_app::declarations::{self as decl, DeclarationView};

/// The routes.
pub(super) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/huishoudens/{id}/verklaring", get(resident_page))
        .route("/huishoudens/{id}/verklaring/delen", post(share))
        .route("/huishoudens/{id}/verklaring/stoppen", post(stop))
        .route("/gemeente", get(municipality_page).post(issue))
        .route("/gemeente/status", post(status))
        .route("/schuldeiser", get(creditor_page))
        .route("/schuldeiser/vraag", post(lookup))
        .route("/schuldeiser/verklaring", post(open_share))
        .route("/schuldeiser/pauze", post(hold))
}

/// A claim's name, as people read it.
fn claim_word(lang: Lang, claim: &str) -> &'static str {
    match claim {
        "name" => lang.t("naam", "name"),
        "birthdate" => lang.t("geboortedatum", "date of birth"),
        "bsn" => lang.t("burgerservicenummer (BSN)", "citizen service number (BSN)"),
        _ => lang.t("adres", "address"),
    }
}

/// A status, as people read it.
fn status_word(lang: Lang, d: &DeclarationView) -> &'static str {
    match d.status.as_str() {
        "revoked" => lang.t("ingetrokken", "revoked"),
        "suspended" => lang.t("geschorst", "suspended"),
        _ if d.holds => lang.t("geldig", "valid"),
        _ => lang.t("verlopen of nog niet geldig", "expired or not yet valid"),
    }
}

/// An organisation's name as shown: CJIB for cjib, Gemeente Utrecht for gemeente-utrecht.
pub(super) fn org_word(org: &str) -> String {
    org.split(['-', '_'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            if w.len() <= 4 && !["de", "van", "het"].contains(&w) {
                return w.to_uppercase();
            }
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect())
                .unwrap_or_default()
        })
        .collect::<Vec<String>>()
        .join(" ")
}

/// A claim's value as shown: a date of birth as people write it.
fn value_word(lang: Lang, claim: &str, value: &str) -> String {
    if claim == "birthdate" {
        lang.date(value)
    } else {
        value.to_owned()
    }
}

fn alert(ok: bool, body: Markup) -> Markup {
    if ok {
        html! { div.utrecht-alert.utrecht-alert--info.alert.info role="status" { (body) } }
    } else {
        html! { div.utrecht-alert.utrecht-alert--error.alert.urgent role="alert" { (body) } }
    }
}

fn problem_note(lang: Lang, e: &crate::Problem) -> Markup {
    alert(
        false,
        html! { strong { (lang.t("Dat lukte niet:", "That did not work:")) } " " (e.detail) },
    )
}

// ---------------------------------------------------------------- the resident

async fn resident_page(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
    Path(id): Path<String>,
) -> Response {
    let lang = Lang::of(&headers);
    let Some(p) = p else { return login_first() };
    resident_answer(&app, lang, &p, &id, StatusCode::OK, None)
}

fn resident_answer(
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
    let Some(vault) = app.vault() else {
        return message(
            lang,
            StatusCode::NOT_FOUND,
            lang.t("Geen verklaring", "No declaration"),
            lang.t(
                "Deze dienst bewaart geen persoonsgegevens, dus ook geen verklaringen.",
                "This service keeps no personal data, so no declarations either.",
            ),
            Some(p),
        );
    };
    let h = s.household;
    let today = app.today();
    let (held, creditors) = {
        let node = app.node();
        (
            decl::held(vault, node.state(), h, today).unwrap_or_default(),
            decl::creditors(node.state()),
        )
    };
    let wallet: decl::Wallet = vault.wallet(h).unwrap_or_default();
    let shares = decl::shares(vault, h).unwrap_or_default();
    let resident = matches!(p.role, Role::Resident { .. });
    let csrf = p.csrf.clone().unwrap_or_default();
    let current = held.iter().find(|d| d.holds);
    let body = html! {
        h1 { (lang.t("Verklaring betalingsonmacht", "Declaration of inability to pay")) }
        @if let Some(r) = result { (r) }
        p { (lang.t(
            "Met deze verklaring laat de gemeente zien dat u in de schuldhulp zit en nu niet kunt betalen. Schuldeisers kunnen dan de invordering pauzeren: geen aanmaningen, geen extra kosten.",
            "With this declaration the municipality shows that you are in debt assistance and cannot pay now. Creditors can then pause collection: no reminders, no extra costs.")) }
        @match current {
            Some(d) => {
                div.good role="status" {
                    strong { (lang.t("U heeft een geldige verklaring", "You have a valid declaration")) }
                    br; (lang.t("Van de", "From the")) " " (org_word(&d.issuer)) ", " (lang.t("geldig tot en met", "valid up to and including")) " " (lang.date(&d.until.to_string())) "."
                }
            }
            None => {
                p { (lang.t("U heeft nu geen geldige verklaring. Uw consulent kan die aanvragen bij de gemeente.",
                            "You have no valid declaration now. Your counsellor can ask the municipality for one.")) }
            }
        }
        @if let (Some(d), true) = (current, resident) {
            @let held_sd = wallet.declarations.iter().find(|x| x.id == d.id);
            @let claims = held_sd.map(|x| knop_declaration::claims_of(&x.sd_jwt)).unwrap_or_default();
            h2 #delen { (lang.t("Deel met een schuldeiser", "Share with a creditor")) }
            p { (lang.t("U kiest wie de verklaring krijgt en wat die ziet. De schuldeiser ziet altijd: dat u in de schuldhulp zit, sinds wanneer, tot wanneer, en wie uw contactpersoon is.",
                        "You choose who gets the declaration and what they see. The creditor always sees: that you are in debt assistance, since when, until when, and who your contact is.")) }
            form method="post" action=(format!("/huishoudens/{h}/verklaring/delen")) {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="declaration" value=(d.id);
                p {
                    label.utrecht-form-label for="v-creditor" { (lang.t("Schuldeiser", "Creditor")) } br;
                    select.utrecht-select.utrecht-select--html-select id="v-creditor" name="creditor" required {
                        @for c in &creditors { option value=(c) { (org_word(c)) } }
                    }
                }
                fieldset {
                    legend { (lang.t("Wat mag deze schuldeiser ook zien?", "What else may this creditor see?")) }
                    @for (claim, value) in &claims {
                        p {
                            input.utrecht-checkbox id=(format!("v-{claim}")) type="checkbox" name=(claim) value="1" checked[claim == "name" || claim == "birthdate"];
                            " "
                            label for=(format!("v-{claim}")) { (claim_word(lang, claim)) ": " strong { (value_word(lang, claim, value)) } }
                        }
                    }
                    p.note { (lang.t("Naam en geboortedatum zijn meestal genoeg om u te herkennen. Geef uw BSN of adres alleen als de schuldeiser erom vraagt.",
                                     "Name and date of birth are usually enough to recognise you. Give your BSN or address only if the creditor asks for it.")) }
                }
                p { button.utrecht-button.utrecht-button--primary-action type="submit" { (lang.t("Delen", "Share")) } }
            }
        }
        h2 { (lang.t("Met wie gedeeld", "Shared with")) }
        @if shares.is_empty() {
            p { (lang.t("U heeft de verklaring nog met niemand gedeeld.", "You have not shared the declaration with anyone yet.")) }
        } @else {
            @for s in &shares {
                section.card aria-label=(org_word(&s.creditor)) {
                    p {
                        strong { (org_word(&s.creditor)) } " " (lang.t("ziet", "sees")) " "
                        @for (i, c) in s.disclose.iter().enumerate() { @if i > 0 { ", " } (claim_word(lang, c)) }
                        @if s.disclose.is_empty() { (lang.t("geen persoonsgegevens", "no personal data")) }
                        "."
                        br;
                        span.note {
                            (lang.t("Gedeeld op", "Shared on")) " " (lang.date(&s.created[..10.min(s.created.len())])) ". "
                            @match s.reads.last() {
                                Some(r) => { (lang.t("Geopend op", "Opened on")) " " (lang.date(&r[..10.min(r.len())])) "." }
                                None => { (lang.t("Nog niet geopend.", "Not opened yet.")) }
                            }
                        }
                    }
                    @if let Some(st) = &s.stopped {
                        p.note { (lang.t("Gestopt op", "Stopped on")) " " (lang.date(&st[..10.min(st.len())])) "." }
                    } @else if resident {
                        form method="post" action=(format!("/huishoudens/{h}/verklaring/stoppen")) {
                            input type="hidden" name="csrf" value=(csrf);
                            input type="hidden" name="share" value=(s.id);
                            button.utrecht-button.utrecht-button--secondary-action type="submit" { (lang.t("Stop met delen", "Stop sharing")) }
                        }
                    }
                }
            }
        }
        @if held.len() > 1 || (current.is_none() && !held.is_empty()) {
            h2 { (lang.t("Eerdere verklaringen", "Earlier declarations")) }
            ul { @for d in held.iter().filter(|d| Some(*d) != current) {
                li { (lang.date(&d.from.to_string())) " – " (lang.date(&d.until.to_string())) ": " (status_word(lang, d)) }
            } }
        }
        p { a href=(format!("/huishoudens/{h}")) { (lang.t("Terug naar het overzicht", "Back to the overview")) } }
    };
    html_response(
        status,
        page(lang, lang.t("Verklaring", "Declaration"), Some(p), body),
    )
}

#[derive(Deserialize)]
struct ShareForm {
    csrf: String,
    declaration: String,
    creditor: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    birthdate: Option<String>,
    #[serde(default)]
    bsn: Option<String>,
    #[serde(default)]
    address: Option<String>,
}

/// A QR code of `text` as inline SVG.
pub(super) fn qr(text: &str) -> Markup {
    match qrcode::QrCode::new(text.as_bytes()) {
        Ok(code) => PreEscaped(
            code.render::<qrcode::render::svg::Color>()
                .min_dimensions(200, 200)
                .build(),
        ),
        Err(_) => html! {},
    }
}

async fn share(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
    Path(id): Path<String>,
    Form(f): Form<ShareForm>,
) -> Response {
    let lang = Lang::of(&headers);
    let Some(p) = p else { return login_first() };
    if !csrf_ok(&p, &f.csrf) {
        return refused(lang, &p);
    }
    let disclose: Vec<String> = [
        ("name", &f.name),
        ("birthdate", &f.birthdate),
        ("bsn", &f.bsn),
        ("address", &f.address),
    ]
    .into_iter()
    .filter(|(_, v)| v.is_some())
    .map(|(c, _)| c.to_owned())
    .collect();
    let n = api::NewShare {
        declaration: f.declaration,
        creditor: f.creditor.clone(),
        disclose,
    };
    let (status, note) = match api::make_share(&app, &p, &id, n) {
        Ok((s, link)) => (
            StatusCode::OK,
            html! {
                div.good role="status" {
                    strong { (lang.t("Gedeeld met", "Shared with")) " " (org_word(&s.creditor)) }
                    p { (lang.t("Geef deze link of QR-code aan de schuldeiser, bijvoorbeeld in een e-mail of brief. Alleen deze schuldeiser kan hem openen.",
                                "Give this link or QR code to the creditor, for example in an e-mail or letter. Only this creditor can open it.")) }
                    p.link { (link) }
                    div.qr { (qr(&link)) }
                    p.note { (lang.t("Bewaar de link goed: u ziet hem maar één keer. U kunt het delen hieronder altijd stoppen.",
                                     "Keep the link safe: you see it only once. You can always stop sharing below.")) }
                }
            },
        ),
        Err(e) => (e.status_code(), problem_note(lang, &e)),
    };
    resident_answer(&app, lang, &p, &id, status, Some(note))
}

#[derive(Deserialize)]
struct StopForm {
    csrf: String,
    share: String,
}

async fn stop(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
    Path(id): Path<String>,
    Form(f): Form<StopForm>,
) -> Response {
    let lang = Lang::of(&headers);
    let Some(p) = p else { return login_first() };
    if !csrf_ok(&p, &f.csrf) {
        return refused(lang, &p);
    }
    let (status, note) = match api::end_share(&app, &p, &id, &f.share) {
        Ok(()) => (
            StatusCode::OK,
            alert(
                true,
                html! { (lang.t("Gestopt. De schuldeiser kan de verklaring niet meer openen.", "Stopped. The creditor can no longer open the declaration.")) },
            ),
        ),
        Err(e) => (e.status_code(), problem_note(lang, &e)),
    };
    resident_answer(&app, lang, &p, &id, status, Some(note))
}

// ---------------------------------------------------------------- the municipality

pub(super) fn not_for_you(
    lang: Lang,
    p: &Principal,
    whom: (&'static str, &'static str),
) -> Response {
    message(
        lang,
        StatusCode::FORBIDDEN,
        lang.t("Geen toegang", "No access"),
        lang.t(whom.0, whom.1),
        Some(p),
    )
}

const FOR_MUNICIPALITY: (&str, &str) = (
    "Deze pagina is voor de medewerkers van de gemeente die verklaringen afgeven.",
    "This page is for the municipality's staff who issue declarations.",
);
const FOR_CREDITOR: (&str, &str) = (
    "Deze pagina is voor schuldeisers.",
    "This page is for creditors.",
);

async fn municipality_page(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
) -> Response {
    let lang = Lang::of(&headers);
    let Some(p) = p else { return login_first() };
    municipality_answer(&app, lang, &p, StatusCode::OK, None)
}

fn municipality_answer(
    app: &App,
    lang: Lang,
    p: &Principal,
    status: StatusCode,
    result: Option<Markup>,
) -> Response {
    let Some(org) = p.role.municipality() else {
        return not_for_you(lang, p, FOR_MUNICIPALITY);
    };
    let today = app.today();
    let list = decl::list(app.node().state(), Some(org), today);
    let csrf = p.csrf.clone().unwrap_or_default();
    let body = html! {
        h1 { (lang.t("Verklaringen betalingsonmacht", "Declarations of inability to pay")) }
        @if let Some(r) = result { (r) }
        p { (lang.t(
            "Geef een verklaring af als de schuldhulp begint. Hij geldt acht maanden; verleng hem als de schuldhulp langer duurt. Trek hem in als de schuldhulp stopt.",
            "Issue a declaration when debt assistance starts. It holds for eight months; extend it if debt assistance lasts longer. Revoke it when debt assistance stops.")) }
        h2 { (lang.t("Nieuwe verklaring", "New declaration")) }
        form method="post" action="/gemeente" {
            input type="hidden" name="csrf" value=(csrf);
            p { label.utrecht-form-label for="g-household" { (lang.t("Huishouden (nummer)", "Household (number)")) } br;
                input.utrecht-textbox.utrecht-textbox--html-input id="g-household" name="household" required inputmode="numeric" autocomplete="off"; }
            p { label.utrecht-form-label for="g-start" { (lang.t("Schuldhulp gestart op (leeg: vandaag)", "Debt assistance started on (empty: today)")) } br;
                input.utrecht-textbox.utrecht-textbox--html-input id="g-start" name="start" type="date"; }
            p { button.utrecht-button.utrecht-button--primary-action type="submit" { (lang.t("Verklaring afgeven", "Issue declaration")) } }
        }
        h2 { (lang.t("Afgegeven", "Issued")) }
        @if list.is_empty() {
            p { (lang.t("Nog geen verklaringen afgegeven.", "No declarations issued yet.")) }
        } @else {
            table.utrecht-table {
                thead.utrecht-table__header { tr.utrecht-table__row {
                    th.utrecht-table__header-cell scope="col" { (lang.t("Huishouden", "Household")) }
                    th.utrecht-table__header-cell scope="col" { (lang.t("Geldig", "Valid")) }
                    th.utrecht-table__header-cell scope="col" { (lang.t("Status", "Status")) }
                    th.utrecht-table__header-cell scope="col" { span.visually-hidden { (lang.t("Acties", "Actions")) } }
                } }
                tbody.utrecht-table__body {
                    @for d in &list {
                        tr.utrecht-table__row {
                            td.utrecht-table__cell { (d.household) }
                            td.utrecht-table__cell { (lang.date(&d.from.to_string())) " – " (lang.date(&d.until.to_string())) }
                            td.utrecht-table__cell { (status_word(lang, d)) }
                            td.utrecht-table__cell.actions {
                                @if d.status != "revoked" {
                                    @for (to, nl, en) in actions(d) {
                                        form method="post" action="/gemeente/status" {
                                            input type="hidden" name="csrf" value=(csrf);
                                            input type="hidden" name="id" value=(d.id);
                                            input type="hidden" name="household" value=(d.household);
                                            input type="hidden" name="to" value=(to);
                                            button.utrecht-button.utrecht-button--secondary-action type="submit" { (lang.t(nl, en)) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    html_response(
        status,
        page(lang, lang.t("Gemeente", "Municipality"), Some(p), body),
    )
}

/// What the municipality can do with a declaration: (action, Dutch, English).
fn actions(d: &DeclarationView) -> Vec<(&'static str, &'static str, &'static str)> {
    let mut a = vec![];
    if d.status == "valid" && d.holds {
        a.push(("extend", "Verlengen", "Extend"));
        a.push(("suspended", "Schorsen", "Suspend"));
    }
    if d.status == "suspended" {
        a.push(("valid", "Schorsing opheffen", "Lift suspension"));
    }
    a.push(("revoked", "Intrekken", "Revoke"));
    a
}

#[derive(Deserialize)]
struct IssueForm {
    csrf: String,
    household: String,
    #[serde(default)]
    start: String,
}

async fn issue(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
    Form(f): Form<IssueForm>,
) -> Response {
    let lang = Lang::of(&headers);
    let Some(p) = p else { return login_first() };
    if !csrf_ok(&p, &f.csrf) {
        return refused(lang, &p);
    }
    let start = match f.start.trim() {
        "" => Ok(None),
        s => s
            .parse()
            .map(Some)
            .map_err(|_| crate::Problem::unprocessable("start: a date as 2026-12-31")),
    };
    let result = match start {
        Ok(start_date) => {
            let d = api::NewDeclaration {
                household: f.household.trim().to_owned(),
                start_date,
                extend: false,
            };
            api::issue(&app, &p, d).await
        }
        Err(e) => Err(e),
    };
    answer_change(&app, lang, &p, result)
}

fn answer_change(
    app: &App,
    lang: Lang,
    p: &Principal,
    result: crate::problem::ApiResult<DeclarationView>,
) -> Response {
    let (status, note) = match result {
        Ok(d) => (
            StatusCode::OK,
            alert(
                true,
                html! { (lang.t("Huishouden", "Household")) " " (d.household) ": " (lang.t("verklaring", "declaration")) " " (status_word(lang, &d)) ", " (lang.date(&d.from.to_string())) " – " (lang.date(&d.until.to_string())) "." },
            ),
        ),
        Err(e) => (e.status_code(), problem_note(lang, &e)),
    };
    municipality_answer(app, lang, p, status, Some(note))
}

#[derive(Deserialize)]
struct StatusForm {
    csrf: String,
    id: String,
    household: String,
    to: String,
}

async fn status(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
    Form(f): Form<StatusForm>,
) -> Response {
    let lang = Lang::of(&headers);
    let Some(p) = p else { return login_first() };
    if !csrf_ok(&p, &f.csrf) {
        return refused(lang, &p);
    }
    let result = if f.to == "extend" {
        let d = api::NewDeclaration {
            household: f.household,
            start_date: None,
            extend: true,
        };
        api::issue(&app, &p, d).await
    } else {
        api::change_status(&app, &p, &f.id, &f.to).await
    };
    answer_change(&app, lang, &p, result)
}

// ---------------------------------------------------------------- the creditor

async fn creditor_page(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
) -> Response {
    let lang = Lang::of(&headers);
    let Some(p) = p else { return login_first() };
    creditor_answer(&app, lang, &p, StatusCode::OK, None)
}

fn creditor_answer(
    app: &App,
    lang: Lang,
    p: &Principal,
    status: StatusCode,
    result: Option<Markup>,
) -> Response {
    let Some(org) = p.role.creditor() else {
        return not_for_you(lang, p, FOR_CREDITOR);
    };
    let today = app.today();
    let claims = knop_app::debts::of_creditor(app.node().state(), org, today);
    let csrf = p.csrf.clone().unwrap_or_default();
    let body = html! {
        h1 { (org_word(org)) ": " (lang.t("schuldhulp en pauzes", "debt assistance and holds")) }
        @if let Some(r) = result { (r) }
        h2 { (lang.t("Zit iemand in de schuldhulp?", "Is someone in debt assistance?")) }
        p { (lang.t("U krijgt groen (ja, met het contactpunt) of rood (niet bekend). Meer niet. De inwoner ziet dat u het vroeg, en waarom.",
                    "You get green (yes, with the contact point) or red (not known). Nothing more. The resident sees that you asked, and why.")) }
        form method="post" action="/schuldeiser/vraag" {
            input type="hidden" name="csrf" value=(csrf);
            p { label.utrecht-form-label for="c-bsn" { (lang.t("BSN", "BSN")) } br;
                input.utrecht-textbox.utrecht-textbox--html-input id="c-bsn" name="bsn" required inputmode="numeric" maxlength="9" autocomplete="off"; }
            p { label.utrecht-form-label for="c-purpose" { (lang.t("Waarom vraagt u het? (de inwoner leest dit)", "Why do you ask? (the resident reads this)")) } br;
                input.utrecht-textbox.utrecht-textbox--html-input id="c-purpose" name="purpose" required maxlength="200"; }
            p { button.utrecht-button.utrecht-button--primary-action type="submit" { (lang.t("Vragen", "Ask")) } }
        }
        h2 { (lang.t("Gedeelde verklaring openen", "Open a shared declaration")) }
        p { (lang.t("Heeft een inwoner een link met u gedeeld? Plak hem hier. knop haakt de verklaring op met een nieuwe nonce en controleert hem.",
                    "Has a resident shared a link with you? Paste it here. knop fetches the declaration with a fresh nonce and checks it.")) }
        form method="post" action="/schuldeiser/verklaring" {
            input type="hidden" name="csrf" value=(csrf);
            p { label.utrecht-form-label for="c-link" { (lang.t("Link van de inwoner", "The resident's link")) } br;
                input.utrecht-textbox.utrecht-textbox--html-input id="c-link" name="link" required autocomplete="off"; }
            p { button.utrecht-button.utrecht-button--primary-action type="submit" { (lang.t("Openen en controleren", "Open and check")) } }
        }
        h2 { (lang.t("Uw vorderingen in knop", "Your claims in knop")) }
        @if claims.is_empty() {
            p { (lang.t("Er staan geen vorderingen van u in knop.", "No claims of yours are in knop.")) }
        } @else {
            table.utrecht-table {
                thead.utrecht-table__header { tr.utrecht-table__row {
                    th.utrecht-table__header-cell scope="col" { (lang.t("Kenmerk", "Reference")) }
                    th.utrecht-table__header-cell scope="col" { (lang.t("Over", "Left")) }
                    th.utrecht-table__header-cell scope="col" { (lang.t("Pauze", "Hold")) }
                } }
                tbody.utrecht-table__body {
                    @for (_, c) in &claims {
                        tr.utrecht-table__row {
                            td.utrecht-table__cell { (c.reference) }
                            td.utrecht-table__cell { (euro(c.left_cents)) }
                            td.utrecht-table__cell {
                                @match &c.hold {
                                    Some(h) if h.active => { (lang.t("tot en met", "up to and including")) " " (lang.date(&h.until)) }
                                    Some(_) => { (lang.t("voorbij", "over")) }
                                    None => { "—" }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    html_response(
        status,
        page(lang, lang.t("Schuldeiser", "Creditor"), Some(p), body),
    )
}

#[derive(Deserialize)]
struct LookupForm {
    csrf: String,
    bsn: String,
    purpose: String,
}

async fn lookup(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
    Form(f): Form<LookupForm>,
) -> Response {
    let lang = Lang::of(&headers);
    let Some(p) = p else { return login_first() };
    if !csrf_ok(&p, &f.csrf) {
        return refused(lang, &p);
    }
    let Some(org) = p.role.creditor().map(str::to_owned) else {
        return not_for_you(lang, &p, FOR_CREDITOR);
    };
    let q = crate::api::debts::Lookup {
        bsn: f.bsn.trim().to_owned(),
        purpose: f.purpose,
    };
    let (status, note) = match crate::api::debts::ask(&app, org, q).await {
        Ok(a) => {
            let v = serde_json::to_value(&a).unwrap_or_default();
            if v["status"] == "green" {
                let c = &v["contact_point"];
                (
                    StatusCode::OK,
                    html! { div.good role="status" {
                        strong { (lang.t("Groen: in de schuldhulp.", "Green: in debt assistance.")) }
                        " " (lang.t("Neem contact op met", "Contact")) " " (c["organisation"].as_str().unwrap_or_default())
                        @if let Some(t) = c["contact"].as_str() { ", " (t) }
                        ". " (lang.t("Voeg geen kosten toe.", "Do not add costs."))
                    } },
                )
            } else {
                (
                    StatusCode::OK,
                    html! { div.bad role="status" { strong { (lang.t("Rood: niet bekend.", "Red: not known.")) } " "
                    (lang.t("Deze persoon zit niet in de schuldhulp bij ons.", "This person is not in debt assistance with us.")) } },
                )
            }
        }
        Err(e) => (e.status_code(), problem_note(lang, &e)),
    };
    creditor_answer(&app, lang, &p, status, Some(note))
}

#[derive(Deserialize)]
struct OpenForm {
    csrf: String,
    link: String,
}

async fn open_share(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
    Form(f): Form<OpenForm>,
) -> Response {
    let lang = Lang::of(&headers);
    let Some(p) = p else { return login_first() };
    if !csrf_ok(&p, &f.csrf) {
        return refused(lang, &p);
    }
    let Some(org) = p.role.creditor().map(str::to_owned) else {
        return not_for_you(lang, &p, FOR_CREDITOR);
    };
    // The token is the link's last path segment before `/presentation` (or the token itself).
    let link = f.link.trim();
    let token = link
        .trim_end_matches('/')
        .trim_end_matches("/presentation")
        .rsplit('/')
        .next()
        .unwrap_or(link)
        .split('?')
        .next()
        .unwrap_or_default();
    let nonce = knop_app::random_token();
    let note = match api::present(&app, &p, token, &nonce) {
        Err(e) => problem_note(lang, &e),
        Ok(presented) => {
            let v = api::Verification {
                presentation: presented.presentation,
                nonce,
            };
            match api::check(&app, &p, &v) {
                Err(e) => problem_note(lang, &e),
                Ok((verdict, checked)) => {
                    let claims: Vec<_> =
                        knop_app::debts::of_creditor(app.node().state(), &org, app.today())
                            .into_iter()
                            .filter(|(h, _)| Some(*h) == checked.as_ref().map(|c| c.household))
                            .collect();
                    verdict_markup(lang, &p, &verdict, &v, &claims)
                }
            }
        }
    };
    creditor_answer(&app, lang, &p, StatusCode::OK, Some(note))
}

fn verdict_markup(
    lang: Lang,
    p: &Principal,
    verdict: &api::Verdict,
    v: &api::Verification,
    claims: &[(knop_huishoudboekje::HouseholdId, knop_app::debts::ClaimView)],
) -> Markup {
    let csrf = p.csrf.clone().unwrap_or_default();
    if !verdict.valid {
        return html! { div.bad role="alert" {
            strong { (lang.t("Deze verklaring geldt niet:", "This declaration does not hold:")) }
            " " (verdict.reason.clone().unwrap_or_default())
        } };
    }
    html! {
        div.good role="status" {
            strong { (lang.t("Geldige verklaring betalingsonmacht", "Valid declaration of inability to pay")) }
            ul {
                li { (lang.t("Afgegeven door", "Issued by")) " " (verdict.issuer_org.as_deref().map(org_word).unwrap_or_default()) " (" (verdict.issuer.clone().unwrap_or_default()) ")" }
                li { (lang.t("Schuldhulp sinds", "Debt assistance since")) " " (lang.date(verdict.start_date.as_deref().unwrap_or_default())) }
                @if let Some(u) = verdict.until { li { (lang.t("Geldig tot en met", "Valid up to and including")) " " (lang.date(&u.to_string())) } }
                li { (lang.t("Contact", "Contact")) ": " (verdict.contact.clone().unwrap_or_default()) }
                @for (c, value) in &verdict.disclosed { li { (claim_word(lang, c)) ": " strong { (value_word(lang, c, value)) } } }
            }
            @if verdict.disclosed.is_empty() {
                p.note { (lang.t("De inwoner deelde geen persoonsgegevens.", "The resident shared no personal data.")) }
            }
        }
        @if claims.is_empty() {
            p { (lang.t("U heeft in knop geen vordering op dit huishouden. Pauzeer de invordering in uw eigen systeem.",
                        "You have no claim on this household in knop. Pause collection in your own system.")) }
        } @else {
            h3 { (lang.t("Invordering pauzeren", "Pause collection")) }
            @for (_, c) in claims {
                form method="post" action="/schuldeiser/pauze" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="claim" value=(c.id);
                    input type="hidden" name="presentation" value=(v.presentation);
                    input type="hidden" name="nonce" value=(v.nonce);
                    p { button.utrecht-button.utrecht-button--primary-action type="submit" {
                        (lang.t("Pauzeer", "Pause")) " " (c.reference) " (" (euro(c.left_cents)) ")"
                    } }
                }
            }
            p.note { (lang.t("De pauze geldt tot de verklaring afloopt: geen aanmaningen, geen kosten, geen rente. Hij komt op het gedeelde grootboek, ondertekend door u.",
                             "The hold lasts until the declaration ends: no reminders, no costs, no interest. It goes on the shared ledger, signed by you.")) }
        }
    }
}

#[derive(Deserialize)]
struct HoldForm {
    csrf: String,
    claim: String,
    presentation: String,
    nonce: String,
}

async fn hold(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
    Form(f): Form<HoldForm>,
) -> Response {
    let lang = Lang::of(&headers);
    let Some(p) = p else { return login_first() };
    if !csrf_ok(&p, &f.csrf) {
        return refused(lang, &p);
    }
    let h = api::NewHold {
        presentation: f.presentation,
        nonce: f.nonce,
        until: None,
        pauses: None,
    };
    let (status, note) = match api::record_hold(&app, &p, &f.claim, h).await {
        Ok(c) => (
            StatusCode::OK,
            alert(
                true,
                html! { (lang.t("Gepauzeerd:", "On hold:")) " " (c.reference) ", " (lang.t("tot en met", "up to and including")) " "
                (c.hold.as_ref().map(|h| lang.date(&h.until)).unwrap_or_default()) "." },
            ),
        ),
        Err(e) => (e.status_code(), problem_note(lang, &e)),
    };
    creditor_answer(&app, lang, &p, status, Some(note))
}
