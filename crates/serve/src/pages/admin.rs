//! The administrator's page ("Beheer"): the ledger checked on request, the organisations on it,
//! who may log in and which organisations have API keys, the service's settings, erasure of a
//! household's personal data (AVG), and the reports to take away. Users and keys are set in the
//! service's configuration; this page shows them, never a key itself.

use std::sync::Arc;

use axum::extract::{Form, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::{html, Markup};
use serde::Deserialize;

use super::{csrf_ok, euro, html_response, login_first, message, page, refused, role_name, Lang};
use crate::auth::{MaybePrincipal, Principal, Role};
use crate::App;

/// The administrator's routes, and the reports (also for counsellors: their caseload).
pub(super) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/beheer", get(admin_page))
        .route("/beheer/controle", post(check_ledger))
        .route("/beheer/wissen", post(erase))
        .route("/rapporten/huishoudens.csv", get(caseload_csv))
}

/// What an organisation kind is called on the page.
fn kind_name(lang: Lang, k: knop_state::OrgKind) -> &'static str {
    use knop_state::OrgKind as K;
    match k {
        K::Operator => lang.t("beheerder van het grootboek", "ledger operator"),
        K::Participant => lang.t(
            "deelnemer (van vóór de soorten)",
            "participant (from before kinds)",
        ),
        K::Foundation => lang.t("stichting (rekeninghouder)", "foundation (account holder)"),
        K::Municipality => lang.t("gemeente", "municipality"),
        K::Payer => lang.t("betaler", "payer"),
        K::Creditor => lang.t("schuldeiser", "creditor"),
        K::Merchant => lang.t("winkel", "shop"),
        K::Auditor => lang.t("controleur of getuige", "auditor or witness"),
    }
}

/// The page for anyone but the administrator.
fn not_for_you(lang: Lang, p: &Principal) -> Response {
    message(
        lang,
        StatusCode::FORBIDDEN,
        lang.t("Geen toegang", "No access"),
        lang.t(
            "Deze pagina is voor de beheerder van de gemeente.",
            "This page is for the municipality's administrator.",
        ),
        Some(p),
    )
}

/// The administrator who sent a form with a valid token, or the answer for anyone else.
fn administrators_form(
    lang: Lang,
    p: Option<Principal>,
    csrf: &str,
) -> Result<Principal, Box<Response>> {
    let Some(p) = p else {
        return Err(Box::new(login_first()));
    };
    if !matches!(p.role, Role::Administrator) {
        return Err(Box::new(not_for_you(lang, &p)));
    }
    if !csrf_ok(&p, csrf) {
        return Err(Box::new(refused(lang, &p)));
    }
    Ok(p)
}

fn admin_markup(app: &App, lang: Lang, p: &Principal, result: Option<Markup>) -> Markup {
    let csrf = p.csrf.clone().unwrap_or_default();
    let node = app.node();
    let st = node.state();
    let size = node.size();
    let households = st.households().len();
    let summaries = knop_app::views::caseload(st, &p.role, app.today(), app.today_ms());
    let active = summaries.iter().filter(|s| s.active).count();
    let urgent = summaries
        .iter()
        .filter(|s| s.urgency == Some(knop_app::views::Severity::Urgent))
        .count();
    let held: i64 = summaries.iter().map(|s| s.balance_cents).sum();
    let orgs: Vec<(String, knop_state::OrgKind)> = st
        .orgs()
        .iter()
        .map(|(n, o)| (n.as_str().to_owned(), o.kind))
        .collect();
    drop(node);
    let c = &app.config;
    html! {
        h1 { (lang.t("Beheer", "Administration")) }
        @if let Some(r) = result { (r) }
        h2 { (lang.t("In het kort", "At a glance")) }
        ul {
            li { (households) " " (lang.t("huishoudens, waarvan", "households, of which")) " " (active) " " (lang.t("doen mee", "take part")) }
            li { (urgent) " " (lang.t("met een urgent signaal", "with an urgent alert")) }
            li { (lang.t("Samen op de rekening van de stichting:", "Together on the foundation's account:")) " " (euro(held)) }
            li { (size) " " (lang.t("vastleggingen in het grootboek", "entries in the ledger")) }
        }
        p { a href="/rapporten/huishoudens.csv" download="huishoudens.csv" { (lang.t("Alle huishoudens als CSV (zonder namen of andere persoonsgegevens)", "All households as CSV (without names or other personal data)")) } }

        h2 { (lang.t("Het grootboek controleren", "Check the ledger")) }
        p { (lang.t(
            "knop leest het hele grootboek opnieuw vanaf de eerste vastlegging: elke handtekening, elk controlepunt en elke wissing. Daarna vergelijkt knop de uitkomst met wat de dienst nu gebruikt. Zo ziet u dat er niets is veranderd.",
            "knop reads the whole ledger again from its first entry: every signature, every checkpoint and every erasure. It then compares the result with what the service uses now. This shows that nothing was changed.")) }
        form method="post" action="/beheer/controle" {
            input type="hidden" name="csrf" value=(csrf);
            button.utrecht-button.utrecht-button--primary-action type="submit" { (lang.t("Nu controleren", "Check now")) }
        }

        h2 { (lang.t("Organisaties op het grootboek", "Organisations on the ledger")) }
        table.utrecht-table {
            caption.utrecht-table__caption.note { (lang.t("Elke organisatie tekent haar eigen vastleggingen; haar soort bepaalt wat ze mag vastleggen.", "Each organisation signs its own entries; its kind decides what it may record.")) }
            thead.utrecht-table__header { tr.utrecht-table__row { th.utrecht-table__header-cell scope="col" { (lang.t("Naam", "Name")) } th.utrecht-table__header-cell scope="col" { (lang.t("Soort", "Kind")) } } }
            tbody.utrecht-table__body { @for (name, kind) in &orgs { tr.utrecht-table__row { td.utrecht-table__cell { (name) } td.utrecht-table__cell { (kind_name(lang, *kind)) } } } }
        }

        h2 { (lang.t("Wie kan inloggen", "Who can log in")) }
        p.note { (lang.t(
            "Medewerkers en inwoners staan in de instellingen van de dienst (of komen via DigiD/eHerkenning binnen). Een wijziging gaat in na een herstart.",
            "Staff and residents are set in the service's configuration (or come in through DigiD/eHerkenning). A change takes effect after a restart.")) }
        table.utrecht-table {
            thead.utrecht-table__header { tr.utrecht-table__row { th.utrecht-table__header-cell scope="col" { (lang.t("Login", "Login")) } th.utrecht-table__header-cell scope="col" { (lang.t("Naam", "Name")) } th.utrecht-table__header-cell scope="col" { (lang.t("Rol", "Role")) } } }
            tbody.utrecht-table__body { @for u in c.users.iter().filter(|u| !matches!(u.role, Role::Resident { .. })) {
                tr.utrecht-table__row { td.utrecht-table__cell { (u.login) } td.utrecht-table__cell { (u.display) } td.utrecht-table__cell { (role_name(lang, &u.role)) } }
            } }
        }
        p { (c.users.iter().filter(|u| matches!(u.role, Role::Resident { .. })).count()) " " (lang.t("inwoners met een eigen login", "residents with their own login")) }
        h3 { (lang.t("API-sleutels van organisaties", "Organisations' API keys")) }
        @if c.api_keys.is_empty() {
            p { (lang.t("Geen.", "None.")) }
        } @else {
            p.note { (lang.t("knop bewaart alleen een vingerafdruk van elke sleutel; de sleutel zelf staat nergens.", "knop keeps only a fingerprint of each key; the key itself is stored nowhere.")) }
            ul { @for k in &c.api_keys { li { (k.org) " — " (role_name(lang, &k.role)) } } }
        }

        h2 { (lang.t("Instellingen", "Settings")) }
        dl {
            dt { (lang.t("Stichting", "Foundation")) } dd { (c.foundation_name) }
            dt { (lang.t("Rekening van de stichting", "The foundation's account")) } dd { (c.foundation_iban) }
            dt { (lang.t("Standaard voorschotlimiet", "Default advance limit")) } dd { (euro(c.advance_limit_cents)) }
            dt { (lang.t("Persoonsgegevens", "Personal data")) } dd { @if c.vault.is_some() { (lang.t("versleuteld bewaard, elk inzien gelogd", "kept encrypted, every read logged")) } @else { (lang.t("geen kluis ingesteld", "no vault configured")) } }
            dt { (lang.t("Inloggen met", "Log in with")) } dd { @if c.oidc.is_some() { "OpenID Connect" } @if c.dev_login { " " (lang.t("en de ontwikkel-login (niet voor echt gebruik)", "and the development login (not for real use)")) } }
        }

        h2 { (lang.t("Persoonsgegevens wissen (AVG)", "Erase personal data (GDPR)")) }
        p { (lang.t(
            "Op verzoek van de inwoner wist u de naam, het BSN, het adres, de contactgegevens en het eigen rekeningnummer van een huishouden. Ook de regels op bewaarde bankafschriften worden onleesbaar gemaakt. Het grootboek zelf bevat geen persoonsgegevens en blijft controleerbaar. Wissen kan niet ongedaan worden gemaakt.",
            "At the resident's request you erase a household's name, BSN, address, contact details and own account number. Its lines on kept bank statements are made unreadable too. The ledger holds no personal data and stays verifiable. Erasing cannot be undone.")) }
        form method="post" action="/beheer/wissen" {
            input type="hidden" name="csrf" value=(csrf);
            p { label.utrecht-form-label for="w-h" { (lang.t("Nummer van het huishouden", "Household number")) } br;
                input.utrecht-textbox.utrecht-textbox--html-input id="w-h" name="household" required inputmode="numeric" pattern="[0-9]{1,38}" autocomplete="off"; }
            p { input id="w-ok" type="checkbox" name="confirm" value="ja" required; " "
                label.utrecht-form-label for="w-ok" { (lang.t("Ik weet dat dit niet terug te draaien is", "I know this cannot be undone")) } }
            p { button.utrecht-button.utrecht-button--primary-action type="submit" { (lang.t("Persoonsgegevens wissen", "Erase personal data")) } }
        }
    }
}

async fn admin_page(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
) -> Response {
    let lang = Lang::of(&headers);
    let Some(p) = p else { return login_first() };
    if !matches!(p.role, Role::Administrator) {
        return not_for_you(lang, &p);
    }
    admin_answer(&app, lang, &p, StatusCode::OK, None)
}

fn admin_answer(
    app: &App,
    lang: Lang,
    p: &Principal,
    status: StatusCode,
    result: Option<Markup>,
) -> Response {
    html_response(
        status,
        page(
            lang,
            lang.t("Beheer", "Administration"),
            Some(p),
            admin_markup(app, lang, p, result),
        ),
    )
}

async fn check_ledger(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
    Form(f): Form<super::CsrfForm>,
) -> Response {
    let lang = Lang::of(&headers);
    let p = match administrators_form(lang, p, &f.csrf) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let app2 = app.clone();
    let checked = tokio::task::spawn_blocking(move || knop_app::audit::check(&mut app2.node()))
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r.map_err(|e| e.to_string()));
    let note = match checked {
        Ok(r) if r.matches_service && r.unowned_reservations == 0 => html! {
            div.utrecht-alert.utrecht-alert--info.alert.info role="status" {
                strong { (lang.t("Het grootboek klopt.", "The ledger is intact.")) } " "
                (r.entries) " " (lang.t("vastleggingen en", "entries and")) " " (r.checkpoints) " "
                (lang.t("controlepunten gecontroleerd; de uitkomst is gelijk aan wat de dienst gebruikt.", "checkpoints checked; the result equals what the service uses."))
                br; span.note { (lang.t("Merkle-wortel", "Merkle root")) " " code { (r.root) } }
            }
        },
        Ok(r) => html! {
            div.utrecht-alert.utrecht-alert--error.alert.urgent role="alert" {
                strong { (lang.t("Het grootboek is te lezen, maar er is iets mis.", "The ledger reads, but something is wrong.")) } " "
                @if !r.matches_service { (lang.t("De uitkomst verschilt van wat de dienst gebruikt: start de dienst opnieuw en meld het aan de leverancier.", "The result differs from what the service uses: restart the service and report it to the supplier.")) " " }
                @if r.unowned_reservations > 0 { (r.unowned_reservations) " " (lang.t("huishoudens hebben geld gereserveerd zonder betaalrun.", "households have money reserved without a payment run.")) }
            }
        },
        Err(e) => html! {
            div.utrecht-alert.utrecht-alert--error.alert.urgent role="alert" {
                strong { (lang.t("Het grootboek klopt niet.", "The ledger is not intact.")) } " " (e) " "
                (lang.t("Neem contact op met de leverancier en met de controleurs (getuigen); verander niets.", "Contact the supplier and the auditors (witnesses); change nothing."))
            }
        },
    };
    admin_answer(&app, lang, &p, StatusCode::OK, Some(note))
}

#[derive(Deserialize)]
struct EraseForm {
    csrf: String,
    household: String,
    #[serde(default)]
    confirm: String,
}

async fn erase(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
    Form(f): Form<EraseForm>,
) -> Response {
    let lang = Lang::of(&headers);
    let p = match administrators_form(lang, p, &f.csrf) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let household = f.household.trim();
    let (status, note) = if f.confirm != "ja" {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            html! { div.utrecht-alert.utrecht-alert--error.alert.urgent role="alert" { (lang.t("Niets gewist: vink aan dat u weet dat wissen niet terug te draaien is.", "Nothing erased: tick that you know erasing cannot be undone.")) } },
        )
    } else {
        match crate::api::personal::erase(&app, &p, household).await {
            Ok(e) => (
                StatusCode::OK,
                html! { div.utrecht-alert.utrecht-alert--info.alert.info role="status" {
                    @if e.destroyed {
                        (lang.t("De persoonsgegevens van huishouden", "The personal data of household")) " " (household) " " (lang.t("zijn gewist.", "are erased."))
                    } @else {
                        (lang.t("Huishouden", "Household")) " " (household) " " (lang.t("had geen persoonsgegevens (meer).", "had no personal data (any more)."))
                    }
                    " " (e.statements_redacted) " " (lang.t("bewaarde bankafschriften onleesbaar gemaakt.", "kept bank statements redacted."))
                } },
            ),
            Err(e) => (
                e.status_code(),
                html! { div.utrecht-alert.utrecht-alert--error.alert.urgent role="alert" { strong { (lang.t("Niets gewist:", "Nothing erased:")) } " " (e.detail) } },
            ),
        }
    };
    admin_answer(&app, lang, &p, status, Some(note))
}

/// The caseload the caller may see as CSV, without personal data.
async fn caseload_csv(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
) -> Response {
    let lang = Lang::of(&headers);
    let Some(p) = p else { return login_first() };
    if !p.role.may_see_caseload() {
        return super::caseload::no_households(lang, &p);
    }
    let rows = knop_app::views::caseload(app.node().state(), &p.role, app.today(), app.today_ms());
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"huishoudens.csv\"",
            ),
        ],
        knop_app::report::caseload_csv(&rows),
    )
        .into_response()
}
