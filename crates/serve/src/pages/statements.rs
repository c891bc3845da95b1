//! Bank statements: uploading a camt.053 file, and booking the lines left in suspense to
//! households.

use std::sync::Arc;

use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::{html, Markup};
use serde::Deserialize;

use super::{
    csrf_ok, euro, html_response, login_first, message, page, problem_page, refused, Lang,
};
use crate::auth::{MaybePrincipal, Principal};
use crate::App;

/// The statements pages' routes.
pub(super) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/afschriften", get(statements_page).post(upload_statement))
        .route("/afschriften/regels/{line_id}", post(assign_line))
        .route(
            "/afschriften/regels/{line_id}/stichting",
            post(book_own_line),
        )
}

/// A household `p` may book lines to, as the choice shows it: its number and, when the vault
/// has it, the name.
struct Choice {
    id: String,
    name: Option<String>,
}

/// The households `p` may book lines to (their caseload), by name where known, else by number.
async fn caseload(app: &Arc<App>, p: &Principal) -> Vec<Choice> {
    let ids: Vec<knop_huishoudboekje::HouseholdId> = app
        .node()
        .state()
        .households()
        .iter()
        .filter(|(_, h)| p.role.may_manage_household(&h.counsellor))
        .map(|(id, _)| *id)
        .collect();
    if ids.is_empty() {
        return vec![];
    }
    let (names, _) =
        super::caseload::names_of(app, p, ids.clone(), "bankregel boeken (alleen de naam)").await;
    let mut out: Vec<Choice> = ids
        .into_iter()
        .map(|id| Choice {
            id: id.to_string(),
            name: names.get(&id).cloned(),
        })
        .collect();
    out.sort_by(|a, b| {
        (a.name.is_none(), a.name.as_deref().map(str::to_lowercase))
            .cmp(&(b.name.is_none(), b.name.as_deref().map(str::to_lowercase)))
    });
    out
}

/// What a purpose of the foundation's own is called.
fn purpose_name(lang: Lang, p: knop_huishoudboekje::booking::OwnPurpose) -> &'static str {
    match p {
        knop_huishoudboekje::booking::OwnPurpose::Interest => {
            lang.t("rente van de stichting", "the foundation's interest")
        }
        knop_huishoudboekje::booking::OwnPurpose::BankCosts => {
            lang.t("bankkosten van de stichting", "the foundation's bank costs")
        }
    }
}

/// A statement the service imported, as the page lists it.
struct Imported {
    id: String,
    created: Option<String>,
    lines: usize,
    closing_cents: Option<i64>,
}

/// The statements imported, newest first (by the bank's creation time).
fn imported(app: &App) -> Vec<Imported> {
    let mut out: Vec<Imported> = app
        .statements()
        .iter()
        .flat_map(|st| st.file.statements.iter())
        .map(|s| Imported {
            id: s.id.clone(),
            created: s.created.clone(),
            lines: s.entries.len(),
            closing_cents: s
                .balances
                .iter()
                .find(|b| b.code == "CLBD")
                .map(|b| b.cents),
        })
        .collect();
    out.sort_by(|a, b| b.created.cmp(&a.created).then(b.id.cmp(&a.id)));
    out
}

/// Lines in suspense shown at once in the cockpit (the oldest first).
const COCKPIT_LINES: usize = 50;

fn statements_markup(
    lang: Lang,
    p: &Principal,
    page_of: &knop_app::suspense::Page,
    caseload: &[Choice],
    result: Option<Markup>,
    imported: &[Imported],
) -> Markup {
    let lines = &page_of.lines;
    let title = lang.t("Bankafschriften", "Bank statements");
    let csrf = p.csrf.clone().unwrap_or_default();
    html! {
        h1 { (title) }
        @if let Some(r) = result { (r) }
        h2 { (lang.t("Afschrift inlezen (camt.053)", "Upload a statement (camt.053)")) }
        form method="post" action="/afschriften" enctype="multipart/form-data" {
            input type="hidden" name="csrf" value=(csrf);
            p {
                label.utrecht-form-label for="bestand" { (lang.t("Bestand van de bank", "File from the bank")) }
                br;
                input id="bestand" type="file" name="bestand" accept=".xml,application/xml,text/xml" required;
            }
            p { button.utrecht-button.utrecht-button--primary-action type="submit" { (lang.t("Inlezen en matchen", "Import and match")) } }
        }
        h2 { (lang.t("Nog te verdelen", "Still to match")) " (" (page_of.total) ")" }
        @if lines.is_empty() {
            p { (lang.t("Alle regels zijn verdeeld.", "Every line is matched.")) }
        }
        @if page_of.total > lines.len() {
            p {
                (lang.t("Hier staan de oudste", "Shown here: the oldest")) " " (lines.len()) " "
                (lang.t("regels. De andere", "lines. The other")) " " (page_of.total - lines.len()) " "
                (lang.t("komen hier zodra deze verdeeld zijn.", "appear here once these are matched."))
            }
        }
        @for l in lines {
            section.card aria-labelledby=(format!("r-{}", l.id)) {
                h3 id=(format!("r-{}", l.id)) {
                    (l.date.as_deref().map(|d| lang.date(d)).unwrap_or_default()) " · " (euro(l.amount_cents))
                }
                p {
                    (l.counterparty_name.clone().unwrap_or_else(|| lang.t("onbekende partij", "unknown party").into()))
                    @if let Some(i) = &l.counterparty_iban { " (" (i) ")" }
                    @if let Some(r) = &l.remittance { br; span.note { (r) } }
                }
                @if let Some(own) = l.foundation {
                    p { strong { (lang.t("Dit lijkt:", "This looks like:")) } " " (purpose_name(lang, own)) "."
                        @if !p.role.may_book_foundation_lines() {
                            " " (lang.t("De beheerder boekt die op de rekening van de stichting.", "The administrator books it to the foundation's account."))
                        } }
                }
                @if l.suggestions.is_empty() {
                    @if l.foundation.is_none() && caseload.is_empty() {
                        p.note { (lang.t(
                            "Hoort deze regel bij een huishouden, dan boekt de consulent van dat huishouden hem. Is het geld van de stichting zelf, kies dan hieronder wat het is.",
                            "If this line belongs to a household, its counsellor books it. If it is the foundation's own money, choose below what it is.")) }
                    } @else if l.foundation.is_none() {
                        p.note { (lang.t(
                            "Geen afspraak in uw caseload past bij deze regel. Kijk naar de naam en de omschrijving: hoort het bij een huishouden, kies dat dan hieronder en maak er zo nodig een afspraak voor.",
                            "No agreement in your caseload fits this line. Look at the name and description: if it belongs to a household, choose it below and make an agreement for it if needed.")) }
                    }
                } @else {
                    p { (lang.t("Past mogelijk bij:", "May fit:")) }
                    ul {
                        @for sg in &l.suggestions {
                            @let name = caseload.iter().find(|c| c.id == sg.household).and_then(|c| c.name.clone());
                            li {
                                (name.unwrap_or_else(|| format!("{} {}", lang.t("Huishouden", "Household"), sg.household))) ": " (sg.agreement) " — " (sg.reason)
                                @if !sg.fits { " " span.note { (lang.t("(past maar deels)", "(fits only partly)")) } }
                            }
                        }
                    }
                }
                @if !caseload.is_empty() {
                    form method="post" action=(format!("/afschriften/regels/{}", l.id)) {
                        input type="hidden" name="csrf" value=(csrf);
                        label.utrecht-form-label for=(format!("h-{}", l.id)) { (lang.t("Boeken op huishouden", "Book to household")) }
                        " "
                        // A choice among the caseload, the best suggestion first chosen: no ids to type.
                        @let pick = l.suggestions.iter().find(|s| s.fits).or(l.suggestions.first()).map(|s| s.household.clone());
                        select.utrecht-select.utrecht-select--html-select id=(format!("h-{}", l.id)) name="household" required {
                            @if pick.is_none() {
                                option value="" selected { (lang.t("Kies een huishouden", "Choose a household")) }
                            }
                            @for h in caseload {
                                option value=(h.id) selected[pick.as_deref() == Some(h.id.as_str())] {
                                    @if let Some(n) = &h.name { (n) " (" (h.id) ")" } @else { (lang.t("Huishouden", "Household")) " " (h.id) }
                                }
                            }
                        }
                        " "
                        button.utrecht-button.utrecht-button--primary-action type="submit" { (lang.t("Boeken", "Book")) }
                    }
                }
                @if p.role.may_book_foundation_lines() {
                    form method="post" action=(format!("/afschriften/regels/{}/stichting", l.id)) {
                        input type="hidden" name="csrf" value=(csrf);
                        label.utrecht-form-label for=(format!("s-{}", l.id)) { (lang.t("Boeken op de stichting zelf", "Book to the foundation itself")) }
                        " "
                        select.utrecht-select.utrecht-select--html-select id=(format!("s-{}", l.id)) name="purpose" required {
                            @if l.foundation.is_none() {
                                option value="" selected { (lang.t("Kies wat het is", "Choose what it is")) }
                            }
                            @for own in knop_huishoudboekje::booking::OwnPurpose::ALL {
                                option value=(own.name()) selected[l.foundation == Some(own)] { (purpose_name(lang, own)) }
                            }
                        }
                        " "
                        button.utrecht-button.utrecht-button--primary-action type="submit" { (lang.t("Boeken op de stichting", "Book to the foundation")) }
                    }
                }
            }
        }
        h2 { (lang.t("Ingelezen afschriften", "Statements imported")) }
        @if imported.is_empty() {
            p { (lang.t("Nog geen afschriften ingelezen.", "No statements imported yet.")) }
        } @else {
            details {
                summary { (imported.len()) " " (lang.t("afschriften, nieuwste eerst", "statements, newest first")) }
                table.utrecht-table {
                    thead.utrecht-table__header { tr.utrecht-table__row {
                        th.utrecht-table__header-cell scope="col" { (lang.t("Afschrift", "Statement")) }
                        th.utrecht-table__header-cell scope="col" { (lang.t("Regels", "Lines")) }
                        th.utrecht-table__header-cell.amount scope="col" { (lang.t("Eindsaldo", "Closing balance")) }
                    } }
                    tbody.utrecht-table__body { @for i in imported { tr.utrecht-table__row {
                        td.utrecht-table__cell { (i.id) @if let Some(c) = i.created.as_deref().and_then(|c| c.get(..10)) { br; span.note { (lang.date(c)) } } }
                        td.utrecht-table__cell { (i.lines) }
                        td.utrecht-table__cell.amount { @if let Some(c) = i.closing_cents { (euro(c)) } @else { "—" } }
                    } } }
                }
            }
        }
    }
}

async fn statements_page(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
) -> Response {
    let lang = Lang::of(&headers);
    let Some(p) = p else { return login_first() };
    match crate::api::bank::suspense(&app, &p, (1, COCKPIT_LINES)) {
        Ok(lines) => html_response(
            StatusCode::OK,
            page(
                lang,
                lang.t("Bankafschriften", "Bank statements"),
                Some(&p),
                statements_markup(
                    lang,
                    &p,
                    &lines,
                    &caseload(&app, &p).await,
                    None,
                    &imported(&app),
                ),
            ),
        ),
        Err(e) => problem_page(lang, &p, e),
    }
}

async fn upload_statement(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
    mut form: axum::extract::Multipart,
) -> Response {
    let lang = Lang::of(&headers);
    let Some(p) = p else { return login_first() };
    let (mut csrf, mut file) = (String::new(), None);
    loop {
        match form.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or_default().to_owned();
                match field.bytes().await {
                    Ok(b) if name == "csrf" => csrf = String::from_utf8_lossy(&b).into_owned(),
                    Ok(b) if name == "bestand" => file = Some(b),
                    Ok(_) => {}
                    Err(e) => {
                        return message(
                            lang,
                            StatusCode::BAD_REQUEST,
                            lang.t("Ongeldig formulier", "Invalid form"),
                            &e.body_text(),
                            Some(&p),
                        )
                    }
                }
            }
            Ok(None) => break,
            Err(e) => {
                return message(
                    lang,
                    e.status(),
                    lang.t("Ongeldig formulier", "Invalid form"),
                    &e.body_text(),
                    Some(&p),
                )
            }
        }
    }
    if !csrf_ok(&p, &csrf) {
        return refused(lang, &p);
    }
    let Some(bytes) = file.filter(|b| !b.is_empty()) else {
        return message(
            lang,
            StatusCode::BAD_REQUEST,
            lang.t("Geen bestand", "No file"),
            lang.t("Kies een camt.053-bestand.", "Choose a camt.053 file."),
            Some(&p),
        );
    };
    let result = match crate::api::bank::upload(&app, &p, bytes).await {
        Ok(r) => {
            let reconciled = r.import.difference_cents.unwrap_or(0) == 0;
            html! {
                div class=(if reconciled { "utrecht-alert utrecht-alert--info alert info" } else { "utrecht-alert utrecht-alert--error alert urgent" }) role="status" {
                    @if r.import.booked == 0 {
                        (lang.t("Dit afschrift was al ingelezen: niets nieuws geboekt.", "This statement was imported before: nothing new booked."))
                    } @else {
                        (lang.t("Ingelezen:", "Imported:")) " " (r.import.booked) " " (lang.t("boekingen", "bookings")) "; "
                        (r.matching.matched_lines) " " (lang.t("regels automatisch verdeeld,", "lines matched automatically,")) " "
                        (r.matching.suspense_lines) " " (lang.t("wachten op u.", "wait for you."))
                    }
                    @if r.matching.waiting_lines > 0 {
                        " " (r.matching.waiting_lines) " "
                        (lang.t(
                            "daarvan horen bij een huishouden van een andere consulent: die consulent of de beheerder boekt ze (door dit afschrift ook in te lezen).",
                            "of those belong to a household of another counsellor: that counsellor or the administrator books them (by importing this statement too)."))
                    }
                    br;
                    @if let Some(d) = r.import.difference_cents.filter(|d| *d != 0) {
                        strong { (lang.t("Afstemming klopt niet: verschil", "Reconciliation does not match: difference")) " " (euro(d)) "." }
                        " " (lang.t("Het saldo in het grootboek is", "The balance in the book is")) " " (euro(r.import.book_balance_cents))
                        @if let Some(c) = r.import.closing_balance_cents {
                            ", " (lang.t("het eindsaldo op het afschrift", "the closing balance on the statement")) " " (euro(c))
                        }
                        ". "
                        (lang.t(
                            "Het grootboek telt alle ingelezen afschriften mee. Is dit afschrift ouder dan het nieuwste dat al is ingelezen, dan is dit verschil te verwachten. Is het het nieuwste, dan ontbreekt meestal een eerder afschrift: lees de ontbrekende in, dan verdwijnt het verschil vanzelf. Blijft het, meld het dan de beheerder. Er is niets dubbel geboekt.",
                            "The book counts every statement imported. If this statement is older than the newest one imported, this difference is to be expected. If it is the newest, an earlier statement is usually missing: import the missing ones and the difference goes away by itself. If it stays, tell the administrator. Nothing was booked twice."))
                    } @else {
                        (lang.t("Saldo in het grootboek:", "Balance in the book:")) " " (euro(r.import.book_balance_cents))
                        @if r.import.closing_balance_cents.is_some() { " " (lang.t("(klopt met het afschrift)", "(matches the statement)")) }
                    }
                }
                @if !r.import.skipped.is_empty() || !r.import.warnings.is_empty() {
                    details {
                        summary { (lang.t("Niet geboekt of opgemerkt in het bestand", "Not booked, or noticed in the file")) " (" (r.import.skipped.len() + r.import.warnings.len()) ")" }
                        ul {
                            @for w in &r.import.skipped { li { (lang.t("Niet geboekt:", "Not booked:")) " " (w) } }
                            @for w in &r.import.warnings { li { (w) } }
                        }
                    }
                }
            }
        }
        Err(e) => html! {
            div.utrecht-alert.utrecht-alert--error.alert.urgent role="alert" {
                strong { (lang.t("Niet ingelezen, niets geboekt.", "Not imported, nothing booked.")) } " " (e.detail)
            }
        },
    };
    match crate::api::bank::suspense(&app, &p, (1, COCKPIT_LINES)) {
        Ok(lines) => html_response(
            StatusCode::OK,
            page(
                lang,
                lang.t("Bankafschriften", "Bank statements"),
                Some(&p),
                statements_markup(
                    lang,
                    &p,
                    &lines,
                    &caseload(&app, &p).await,
                    Some(result),
                    &imported(&app),
                ),
            ),
        ),
        Err(e) => problem_page(lang, &p, e),
    }
}

#[derive(Deserialize)]
struct AssignForm {
    csrf: String,
    household: String,
}

async fn assign_line(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
    Path(line_id): Path<String>,
    Form(f): Form<AssignForm>,
) -> Response {
    let lang = Lang::of(&headers);
    let Some(p) = p else { return login_first() };
    if !csrf_ok(&p, &f.csrf) {
        return refused(lang, &p);
    }
    match crate::api::bank::assign(&app, &p, &line_id, f.household.trim()).await {
        Ok(_) => Redirect::to("/afschriften").into_response(),
        Err(e) => problem_page(lang, &p, e),
    }
}

#[derive(Deserialize)]
struct OwnForm {
    csrf: String,
    purpose: String,
}

async fn book_own_line(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
    Path(line_id): Path<String>,
    Form(f): Form<OwnForm>,
) -> Response {
    use knop_huishoudboekje::booking::OwnPurpose;
    let lang = Lang::of(&headers);
    let Some(p) = p else { return login_first() };
    if !csrf_ok(&p, &f.csrf) {
        return refused(lang, &p);
    }
    let Some(purpose) = OwnPurpose::ALL.into_iter().find(|o| o.name() == f.purpose) else {
        return message(
            lang,
            StatusCode::UNPROCESSABLE_ENTITY,
            lang.t("Kies wat het is", "Choose what it is"),
            lang.t(
                "Kies rente of bankkosten van de stichting.",
                "Choose the foundation's interest or bank costs.",
            ),
            Some(&p),
        );
    };
    match crate::api::bank::book_to_foundation(&app, &p, &line_id, purpose).await {
        Ok(_) => Redirect::to("/afschriften").into_response(),
        Err(e) => problem_page(lang, &p, e),
    }
}
