//! Who looked at a household's personal data, when and why (the resident's view of the
//! vault's access log).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use maud::html;

use super::{household_not_found, html_response, login_first, message, page, page_household, Lang};
use crate::auth::MaybePrincipal;
use crate::App;

/// The access log page's route.
pub(super) fn routes() -> Router<Arc<App>> {
    Router::new().route("/huishoudens/{id}/inzage", get(access_page))
}

async fn access_page(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
    Path(id): Path<String>,
) -> Response {
    let lang = Lang::of(&headers);
    let Some(p) = p else { return login_first() };
    let Some(snap) = page_household(&app, &p, &id, false) else {
        return household_not_found(lang, &p);
    };
    let household = snap.household;
    let Some(vault) = app.vault() else {
        return household_not_found(lang, &p);
    };
    let list = match vault.accesses(household) {
        Ok(l) => l,
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
    let title = lang.t("Wie heeft mijn gegevens bekeken", "Who looked at my data");
    html_response(
        StatusCode::OK,
        page(
            lang,
            title,
            Some(&p),
            html! {
                h1 { (title) }
                p { (lang.t(
                    "Uw naam, BSN, adres, telefoon, e-mail en rekeningnummer staan versleuteld bij de stichting, niet in het gedeelde grootboek. Elke keer dat iemand ze bekijkt, staat hier wie, wanneer en waarom.",
                    "Your name, BSN, address, phone, e-mail and account number are kept encrypted by the foundation, not in the shared ledger. Every time someone looks at them, it shows here: who, when and why.")) }
                @if list.is_empty() {
                    p { strong { (lang.t("Niemand heeft uw gegevens bekeken.", "Nobody has looked at your data.")) } }
                } @else {
                    table.utrecht-table {
                        thead.utrecht-table__header { tr.utrecht-table__row {
                            th.utrecht-table__header-cell scope="col" { (lang.t("Wanneer", "When")) }
                            th.utrecht-table__header-cell scope="col" { (lang.t("Wie", "Who")) }
                            th.utrecht-table__header-cell scope="col" { (lang.t("Wat", "What")) }
                            th.utrecht-table__header-cell scope="col" { (lang.t("Waarom", "Why")) }
                        } }
                        tbody.utrecht-table__body { @for a in &list { tr.utrecht-table__row {
                            td.utrecht-table__cell { (a.at.parse::<jiff::Timestamp>().map(|t| {
                                let z = t.to_zoned(jiff::tz::TimeZone::get("Europe/Amsterdam").unwrap_or(jiff::tz::TimeZone::UTC));
                                format!("{} {}", knop_app::present::spoken(z.date(), lang.0), z.strftime("%H:%M"))
                            }).unwrap_or_else(|_| a.at.clone())) }
                            td.utrecht-table__cell { (a.who) " (" (role_word(lang, &a.role)) ")" }
                            td.utrecht-table__cell { (a.fields.iter().map(|f| field_word(lang, f)).collect::<Vec<_>>().join(", ")) }
                            td.utrecht-table__cell { (a.purpose) }
                        } } }
                    }
                }
                p { a href=(format!("/huishoudens/{household}")) { (lang.t("Terug naar het overzicht", "Back to the overview")) } }
            },
        ),
    )
}

/// A role as the access log names it (`counsellor`), in the reader's language.
fn role_word(lang: Lang, role: &str) -> String {
    match role {
        "resident" => lang.t("uzelf", "yourself"),
        "counsellor" => lang.t("consulent", "counsellor"),
        "supervisor" => lang.t("tweede beoordelaar", "supervisor"),
        "administrator" => lang.t("beheerder", "administrator"),
        "creditor" => lang.t("schuldeiser", "creditor"),
        "payer" => lang.t("betaler", "payer"),
        "auditor" => lang.t("controleur", "auditor"),
        other => other,
    }
    .to_owned()
}

/// A field of the personal data (`name`, `bsn`, …), in the reader's language.
fn field_word(lang: Lang, field: &str) -> String {
    match field {
        "name" => lang.t("naam", "name"),
        "bsn" => lang.t("BSN", "BSN"),
        "address" => lang.t("adres", "address"),
        "phone" => lang.t("telefoon", "phone"),
        "email" => lang.t("e-mail", "e-mail"),
        "iban" => lang.t("rekeningnummer", "account number"),
        "journal" => lang.t(
            "notities en taken van de consulent",
            "the counsellor's notes and tasks",
        ),
        other => other,
    }
    .to_owned()
}
