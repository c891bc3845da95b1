//! A household's dossier for its counsellor: notes, contacts and tasks with a due date, kept
//! encrypted in the vault ([`knop_app::journal`]). The counsellor writes; a supervisor reads.

use std::sync::Arc;

use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::html;
use serde::Deserialize;

use super::{
    csrf_ok, household_not_found, html_response, login_first, message, page, page_household,
    refused, CsrfForm, Lang,
};
use crate::auth::{MaybePrincipal, Principal, Role};
use crate::App;
use knop_app::journal::{self, Kind};

/// The dossier's routes.
pub(super) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/huishoudens/{id}/dossier", get(dossier).post(add))
        .route("/huishoudens/{id}/dossier/{entry}/klaar", post(done))
}

fn kind_label(lang: Lang, k: Kind) -> &'static str {
    match k {
        Kind::Note => lang.t("Notitie", "Note"),
        Kind::Contact => lang.t(
            "Contact (gesprek, telefoon, brief)",
            "Contact (meeting, call, letter)",
        ),
        Kind::Task => lang.t("Taak", "Task"),
    }
}

/// The household, if the caller may read its dossier: its counsellor, or a supervisor.
fn dossier_household(app: &App, p: &Principal, id: &str) -> Option<knop_app::views::Snapshot> {
    page_household(app, p, id, false).filter(|s| {
        p.role.may_manage_household(&s.state.counsellor) || matches!(p.role, Role::Supervisor)
    })
}

async fn dossier(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
    Path(id): Path<String>,
) -> Response {
    let lang = Lang::of(&headers);
    let Some(p) = p else { return login_first() };
    let Some(s) = dossier_household(&app, &p, &id) else {
        return household_not_found(lang, &p);
    };
    let Some(vault) = app.vault() else {
        return message(
            lang,
            StatusCode::NOT_FOUND,
            lang.t("Geen dossier", "No dossier"),
            lang.t(
                "Deze dienst bewaart geen persoonsgegevens, dus ook geen notities.",
                "This service keeps no personal data, so no notes either.",
            ),
            Some(&p),
        );
    };
    let at = jiff::Timestamp::now().to_string();
    let entries = match vault.journal(
        s.household,
        &p.id,
        p.role.name(),
        "dossier van het huishouden",
        &at,
    ) {
        Ok(e) => e,
        Err(e) => {
            return message(
                lang,
                StatusCode::INTERNAL_SERVER_ERROR,
                lang.t("Fout", "Error"),
                &e.to_string(),
                Some(&p),
            )
        }
    };
    let writes = p.role.may_manage_household(&s.state.counsellor);
    let csrf = p.csrf.clone().unwrap_or_default();
    let today = app.today().to_string();
    let title = lang.t("Dossier", "Dossier");
    html_response(
        StatusCode::OK,
        page(
            lang,
            title,
            Some(&p),
            html! {
                h1 { (title) ": " (lang.t("huishouden", "household")) " " (s.household) }
                p { a href=(format!("/huishoudens/{}", s.household)) { "← " (lang.t("Terug naar het huishouden", "Back to the household")) } }
                p.note { (lang.t(
                    "Notities en taken staan versleuteld bij de stichting, niet in het grootboek. De inwoner ziet wie ze las.",
                    "Notes and tasks are kept encrypted by the foundation, not on the ledger. The resident sees who read them.")) }
                @if writes {
                    h2 { (lang.t("Nieuw", "New")) }
                    form method="post" action=(format!("/huishoudens/{}/dossier", s.household)) {
                        input type="hidden" name="csrf" value=(csrf);
                        p {
                            label.utrecht-form-label for="j-kind" { (lang.t("Soort", "Kind")) } br;
                            select #j-kind name="kind" { @for k in Kind::ALL { option value=(k.word()) { (kind_label(lang, k)) } } }
                        }
                        p {
                            label.utrecht-form-label for="j-text" { (lang.t("Tekst", "Text")) } br;
                            textarea #j-text name="text" rows="4" cols="60" required maxlength=(journal::TEXT_CHARS_MAX) {}
                        }
                        p {
                            label.utrecht-form-label for="j-due" { (lang.t("Klaar op (alleen voor een taak)", "Due (tasks only)")) } br;
                            input #j-due type="date" name="due" min=(today);
                        }
                        p { button.utrecht-button.utrecht-button--primary-action type="submit" { (lang.t("Opslaan", "Save")) } }
                    }
                }
                h2 { (lang.t("Taken en notities", "Tasks and notes")) }
                @if entries.is_empty() {
                    p { (lang.t("Nog niets in het dossier.", "Nothing in the dossier yet.")) }
                }
                @for e in &entries {
                    @let open = e.kind == Kind::Task && e.done.is_none();
                    @let late = open && e.due.as_deref().is_some_and(|d| d < today.as_str());
                    section.card aria-labelledby=(format!("j-{}", e.id)) {
                        h3 id=(format!("j-{}", e.id)) {
                            (kind_label(lang, e.kind))
                            @if let Some(d) = &e.due { " · " (lang.t("klaar op", "due")) " " (lang.date(d)) }
                            @if late { " · " strong.severity-urgent { (lang.t("te laat", "overdue")) } }
                            @if e.done.is_some() { " · " (lang.t("gedaan ✓", "done ✓")) }
                        }
                        p.pre { (e.text) }
                        p.note {
                            (e.by) ", " (e.at.get(..10).map(|d| lang.date(d)).unwrap_or_default())
                            @if let Some(d) = &e.done { " · " (lang.t("gedaan door", "done by")) " " (d.by) ", " (d.at.get(..10).map(|x| lang.date(x)).unwrap_or_default()) }
                        }
                        @if open && writes {
                            form method="post" action=(format!("/huishoudens/{}/dossier/{}/klaar", s.household, e.id)) {
                                input type="hidden" name="csrf" value=(csrf);
                                button.utrecht-button.utrecht-button--primary-action type="submit" { (lang.t("Gedaan", "Done")) }
                            }
                        }
                    }
                }
            },
        ),
    )
}

#[derive(Deserialize)]
struct EntryForm {
    csrf: String,
    kind: String,
    text: String,
    #[serde(default)]
    due: String,
}

async fn add(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
    Path(id): Path<String>,
    Form(f): Form<EntryForm>,
) -> Response {
    let lang = Lang::of(&headers);
    let Some(p) = p else { return login_first() };
    if !csrf_ok(&p, &f.csrf) {
        return refused(lang, &p);
    }
    let Some(s) = page_household(&app, &p, &id, true) else {
        return household_not_found(lang, &p);
    };
    let Some(vault) = app.vault() else {
        return household_not_found(lang, &p);
    };
    let Some(kind) = Kind::from_word(&f.kind) else {
        return message(
            lang,
            StatusCode::UNPROCESSABLE_ENTITY,
            lang.t("Niet opgeslagen", "Not saved"),
            lang.t(
                "Kies een soort: notitie, contact of taak.",
                "Choose a kind: note, contact or task.",
            ),
            Some(&p),
        );
    };
    let new = journal::NewEntry {
        kind,
        text: f.text,
        due: Some(f.due).filter(|d| !d.trim().is_empty()),
    };
    let at = jiff::Timestamp::now().to_string();
    match vault.change_journal(s.household, |j| journal::add(j, new, &p.id, &at)) {
        Ok(_) => Redirect::to(&format!("/huishoudens/{}/dossier", s.household)).into_response(),
        Err(e) => message(
            lang,
            StatusCode::UNPROCESSABLE_ENTITY,
            lang.t("Niet opgeslagen", "Not saved"),
            &e.to_string(),
            Some(&p),
        ),
    }
}

async fn done(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
    Path((id, entry)): Path<(String, String)>,
    Form(f): Form<CsrfForm>,
) -> Response {
    let lang = Lang::of(&headers);
    let Some(p) = p else { return login_first() };
    if !csrf_ok(&p, &f.csrf) {
        return refused(lang, &p);
    }
    let (Some(s), Some(vault), Ok(n)) = (
        page_household(&app, &p, &id, true),
        app.vault(),
        entry.parse::<u64>(),
    ) else {
        return household_not_found(lang, &p);
    };
    let at = jiff::Timestamp::now().to_string();
    match vault.change_journal(s.household, |j| journal::complete(j, n, &p.id, &at)) {
        Ok(_) => Redirect::to(&format!("/huishoudens/{}/dossier", s.household)).into_response(),
        Err(e) => message(
            lang,
            StatusCode::NOT_FOUND,
            lang.t("Niet gevonden", "Not found"),
            &e.to_string(),
            Some(&p),
        ),
    }
}
