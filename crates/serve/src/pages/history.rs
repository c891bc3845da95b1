//! A household's whole history: every bank line booked to it, newest first, named by the
//! agreement it is, with how and when knop booked it; searchable, a page at a time.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use maud::html;

use super::{euro, household_not_found, html_response, login_first, page, page_household, Lang};
use crate::auth::{MaybePrincipal, Role};
use crate::App;
use knop_app::views::{self, Booked};

/// The history page's route.
pub(super) fn routes() -> Router<Arc<App>> {
    Router::new().route("/huishoudens/{id}/geschiedenis", get(history))
}

/// The query: search text and page, both optional; anything odd reads as the default.
#[derive(Debug, Default, serde::Deserialize)]
struct Params {
    #[serde(default)]
    zoek: String,
    #[serde(default)]
    pagina: String,
}

/// Longest search text, in characters; longer text is cut there.
const SEARCH_CHARS_MAX: usize = 100;

async fn history(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
    Path(id): Path<String>,
    Query(q): Query<Params>,
) -> Response {
    let lang = Lang::of(&headers);
    let Some(p) = p else { return login_first() };
    let Some(s) = page_household(&app, &p, &id, false) else {
        return household_not_found(lang, &p);
    };
    let resident = matches!(p.role, Role::Resident { .. });
    let search: String = q.zoek.chars().take(SEARCH_CHARS_MAX).collect();
    let page_no = q.pagina.trim().parse::<usize>().unwrap_or(1).max(1);
    let today = app.today();
    let statements = app.statements();
    let from = jiff::civil::date(2000, 1, 1);
    let h = {
        let node = app.node();
        views::history(
            &s,
            node.state().book(),
            &statements,
            from,
            today,
            today,
            &search,
            page_no,
        )
    };
    let (page_no, pages) = (h.page, h.pages);
    let link = |n: usize| {
        let mut pairs = vec![];
        if !search.is_empty() {
            pairs.push(("zoek", search.clone()));
        }
        pairs.push(("pagina", n.to_string()));
        format!(
            "/huishoudens/{}/geschiedenis?{}",
            s.household,
            serde_urlencoded::to_string(&pairs).unwrap_or_default()
        )
    };
    let title = if resident {
        lang.t(
            "Alles wat er met uw geld gebeurde",
            "Everything that happened to your money",
        )
    } else {
        lang.t("Geschiedenis", "History")
    };
    let counsellor = app.counsellor_name(&s.state.counsellor);
    html_response(
        StatusCode::OK,
        page(
            lang,
            title,
            Some(&p),
            html! {
                h1 { (title) }
                p { a href=(format!("/huishoudens/{}", s.household)) { "← " (lang.t("Terug naar deze maand", "Back to this month")) } }
                form.filters method="get" action=(format!("/huishoudens/{}/geschiedenis", s.household)) role="search" {
                    div.field {
                        label.utrecht-form-label for="zoek" { (lang.t("Zoek (bijvoorbeeld huur, of een datum als 2026-11)", "Search (for example rent, or a date such as 2026-11)")) }
                        input #zoek type="search" name="zoek" value=(search) maxlength=(SEARCH_CHARS_MAX) autocomplete="off";
                    }
                    button.utrecht-button.utrecht-button--primary-action type="submit" { (lang.t("Zoeken", "Search")) }
                }
                p role="status" {
                    (h.total) " " (if h.total == 1 { lang.t("boeking", "booking") } else { lang.t("boekingen", "bookings") })
                    @if pages > 1 { " · " (lang.t("pagina", "page")) " " (page_no) " " (lang.t("van", "of")) " " (pages) }
                }
                @if h.lines.is_empty() {
                    p { (if search.is_empty() {
                        lang.t("Nog niets geboekt.", "Nothing booked yet.")
                    } else {
                        lang.t("Niets gevonden. Zoek op een ander woord.", "Nothing found. Search for another word.")
                    }) }
                } @else {
                    table.utrecht-table {
                        caption.utrecht-table__caption.note { (lang.t("Nieuwste eerst", "Newest first")) }
                        thead.utrecht-table__header { tr.utrecht-table__row {
                            th.utrecht-table__header-cell scope="col" { (lang.t("Datum", "Date")) }
                            th.utrecht-table__header-cell scope="col" { (lang.t("Wat", "What")) }
                            th.utrecht-table__header-cell.amount scope="col" { (lang.t("Bedrag", "Amount")) }
                        } }
                        tbody.utrecht-table__body { @for l in &h.lines {
                            tr.utrecht-table__row {
                                td.utrecht-table__cell.date { (lang.short_date(&l.date)) }
                                td.utrecht-table__cell {
                                    (l.label) br;
                                    span.note {
                                        (match l.how {
                                            Booked::Received => lang.t("ontvangen op de rekening bij de stichting", "received on the account at the foundation"),
                                            Booked::Collected => lang.t("afgeschreven van de rekening bij de stichting", "debited from the account at the foundation"),
                                            Booked::PaidByFoundation => lang.t("betaald door de stichting", "paid by the foundation"),
                                        })
                                        // Processed after the bank's day (booked by hand from the lines
                                        // waiting, or a statement read in late): said when.
                                        @if let Some(r) = l.recorded.as_deref().and_then(|r| r.get(..10)) {
                                            @if r > l.date.as_str() {
                                                ", " (lang.t("verwerkt op", "processed on")) " " (lang.date(r))
                                            }
                                        }
                                    }
                                    @if let Some(c) = l.counterparty.as_deref().filter(|c| *c != l.label) {
                                        br; span.note { (c) }
                                    }
                                }
                                td class=(if l.cents > 0 { "utrecht-table__cell amount in" } else { "utrecht-table__cell amount" }) { (euro(l.cents)) }
                            }
                        } }
                    }
                    @if pages > 1 {
                        nav.pager aria-label=(lang.t("Pagina's", "Pages")) {
                            @if page_no > 1 { a rel="prev" href=(link(page_no - 1)) { "← " (lang.t("Nieuwer", "Newer")) } }
                            span { (lang.t("Pagina", "Page")) " " (page_no) " " (lang.t("van", "of")) " " (pages) }
                            @if page_no < pages { a rel="next" href=(link(page_no + 1)) { (lang.t("Ouder", "Older")) " →" } }
                        }
                    }
                }
                p.note {
                    (if resident {
                        lang.t("Klopt er iets niet? Vraag het uw consulent", "Something wrong? Ask your counsellor")
                    } else {
                        lang.t("Vragen van de inwoner gaan naar de consulent", "The resident's questions go to the counsellor")
                    })
                    @if let Some(c) = &counsellor { " (" (c) ")" }
                    "."
                }
            },
        ),
    )
}
