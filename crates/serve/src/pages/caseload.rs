//! The caseload: the households a counsellor (or supervisor, or administrator) sees, most
//! urgent first.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use maud::html;

use super::{euro, html_response, login_first, message, page, role_name, Lang};
use crate::auth::{MaybePrincipal, Principal, Role};
use crate::App;
use knop_app::{caseload, views};
use knop_huishoudboekje::HouseholdId;

/// The caseload's route.
pub(super) fn routes() -> Router<Arc<App>> {
    Router::new().route("/huishoudens", get(caseload))
}

/// The caseload's query string: every field optional, anything unknown read as the default (a
/// page is forgiving; the API is strict).
#[derive(Debug, Default, serde::Deserialize)]
struct Params {
    /// Search text.
    #[serde(default)]
    zoek: String,
    /// Which households (`alle`, `signaal`, `urgent`, `gestopt`).
    #[serde(default)]
    toon: String,
    /// Order (`urgentie`, `naam`, `saldo`, `nummer`).
    #[serde(default)]
    sorteer: String,
    /// Page, from 1.
    #[serde(default)]
    pagina: String,
}

impl Params {
    fn query(&self) -> caseload::Query {
        caseload::Query {
            search: self.zoek.clone(),
            show: caseload::Show::from_word(&self.toon).unwrap_or_default(),
            sort: caseload::Sort::from_word(&self.sorteer).unwrap_or_default(),
            page: self.pagina.trim().parse().unwrap_or(1),
        }
    }
}

/// The link to page `page` of the same selection.
fn page_link(q: &caseload::Query, page: usize) -> String {
    let page = page.to_string();
    let mut pairs = vec![];
    if !q.search.is_empty() {
        pairs.push(("zoek", q.search.as_str()));
    }
    pairs.extend([
        ("toon", q.show.word()),
        ("sorteer", q.sort.word()),
        ("pagina", page.as_str()),
    ]);
    // Pairs of strings always encode.
    let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    format!("/huishoudens?{query}")
}

fn show_label(lang: Lang, s: caseload::Show) -> &'static str {
    match s {
        caseload::Show::All => lang.t("Alle huishoudens", "All households"),
        caseload::Show::Alerts => lang.t("Met een signaal", "With an alert"),
        caseload::Show::Urgent => lang.t("Alleen urgent", "Urgent only"),
        caseload::Show::Withdrawn => lang.t("Gestopt", "Withdrawn"),
    }
}

fn sort_label(lang: Lang, s: caseload::Sort) -> &'static str {
    match s {
        caseload::Sort::Urgency => lang.t("Meest urgent eerst", "Most urgent first"),
        caseload::Sort::Name => lang.t("Naam", "Name"),
        caseload::Sort::Balance => lang.t("Laagste saldo eerst", "Lowest balance first"),
        caseload::Sort::Number => lang.t("Nummer", "Number"),
    }
}

fn severity_label(lang: Lang, s: views::Severity) -> &'static str {
    match s {
        views::Severity::Urgent => lang.t("Urgent", "Urgent"),
        views::Severity::Warning => lang.t("Deze week", "This week"),
        views::Severity::Info => lang.t("Ter info", "For information"),
    }
}

async fn caseload(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
    Query(params): Query<Params>,
) -> Response {
    let lang = Lang::of(&headers);
    let Some(p) = p else { return login_first() };
    if let Role::Resident { household } = &p.role {
        return Redirect::to(&format!("/huishoudens/{household}")).into_response();
    }
    if p.role.is_outside() {
        return no_households(lang, &p);
    }
    let (today, ms) = (app.today(), app.today_ms());
    let all = views::caseload(app.node().state(), &p.role, today, ms);
    let ids: Vec<HouseholdId> = all.iter().filter_map(|s| s.id.parse().ok()).collect();
    let (names, names_unread) =
        names_of(&app, &p, ids, "lijst van huishoudens (alleen de naam)").await;
    let q = params.query();
    let sel = caseload::select(all, &names, &q);
    let many_counsellors = !matches!(p.role, Role::Counsellor { .. });
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
                @if names_unread {
                    p.warning role="status" { (lang.t(
                        "De namen zijn nu niet te lezen; u ziet de nummers. Meld dit bij de beheerder.",
                        "Names cannot be read now; you see the numbers. Tell the administrator.")) }
                }
                form.filters method="get" action="/huishoudens" role="search" {
                    div.field {
                        label.utrecht-form-label for="zoek" { (lang.t("Zoek op naam of nummer", "Search by name or number")) }
                        input #zoek type="search" name="zoek" value=(q.search) maxlength=(caseload::SEARCH_CHARS_MAX) autocomplete="off";
                    }
                    div.field {
                        label.utrecht-form-label for="toon" { (lang.t("Toon", "Show")) }
                        select #toon name="toon" {
                            @for s in caseload::Show::ALL {
                                option value=(s.word()) selected[s == q.show] { (show_label(lang, s)) }
                            }
                        }
                    }
                    div.field {
                        label.utrecht-form-label for="sorteer" { (lang.t("Volgorde", "Order")) }
                        select #sorteer name="sorteer" {
                            @for s in caseload::Sort::ALL {
                                option value=(s.word()) selected[s == q.sort] { (sort_label(lang, s)) }
                            }
                        }
                    }
                    button.utrecht-button.utrecht-button--primary-action type="submit" { (lang.t("Toon huishoudens", "Show households")) }
                }
                p role="status" {
                    @let noun = |n: usize| if n == 1 { lang.t("huishouden", "household") } else { lang.t("huishoudens", "households") };
                    @if sel.matching == sel.total {
                        (sel.total) " " (noun(sel.total))
                    } @else {
                        (sel.matching) " " (lang.t("van de", "of")) " " (sel.total) " " (noun(sel.total))
                    }
                    @if sel.pages > 1 {
                        " · " (lang.t("pagina", "page")) " " (sel.page) " " (lang.t("van", "of")) " " (sel.pages)
                    }
                }
                @if sel.total == 0 {
                    p { (lang.t("Geen huishoudens in uw caseload.", "No households in your caseload.")) }
                } @else if sel.rows.is_empty() {
                    p { (lang.t("Geen huishoudens gevonden. Zoek op een ander woord of toon alle huishoudens.",
                                "No households found. Search for another word or show all households.")) }
                } @else {
                    table.utrecht-table.caseload {
                        caption.utrecht-table__caption.note { (sort_label(lang, q.sort)) }
                        thead.utrecht-table__header { tr.utrecht-table__row {
                            th.utrecht-table__header-cell scope="col" { (lang.t("Huishouden", "Household")) }
                            @if many_counsellors { th.utrecht-table__header-cell scope="col" { (lang.t("Consulent", "Counsellor")) } }
                            th.utrecht-table__header-cell scope="col" { (lang.t("Signaal", "Alert")) }
                            th.utrecht-table__header-cell.amount scope="col" { (lang.t("Saldo", "Balance")) }
                        } }
                        tbody.utrecht-table__body {
                            @for r in &sel.rows {
                                @let s = &r.summary;
                                tr.utrecht-table__row {
                                    td.utrecht-table__cell {
                                        a href=(format!("/huishoudens/{}", s.id)) {
                                            @if let Some(n) = &r.name { (n) } @else { (lang.t("Huishouden", "Household")) " " (s.id) }
                                        }
                                        @if r.name.is_some() { br; span.note { (lang.t("nr.", "no.")) " " (s.id) } }
                                        @if !s.active { br; span.note { (lang.t("gestopt", "withdrawn")) } }
                                    }
                                    @if many_counsellors {
                                        td.utrecht-table__cell { (app.counsellor_name(&s.counsellor).unwrap_or_else(|| s.counsellor.clone())) }
                                    }
                                    td.utrecht-table__cell {
                                        @if let Some(a) = &s.top_alert {
                                            strong class=(format!("severity-{}", severity_word(a.severity))) { (severity_label(lang, a.severity)) ": " }
                                            (if lang.english() { &a.message_en } else { &a.message_nl })
                                            @if s.alerts > 1 { " " span.note { "(+" (s.alerts - 1) " " (lang.t("meer", "more")) ")" } }
                                        } @else { (lang.t("Niets te doen", "Nothing to do")) }
                                    }
                                    td.utrecht-table__cell.amount { (euro(s.balance_cents)) }
                                }
                            }
                        }
                    }
                    @if sel.pages > 1 {
                        nav.pager aria-label=(lang.t("Pagina's", "Pages")) {
                            @if sel.page > 1 {
                                a rel="prev" href=(page_link(&q, sel.page - 1)) { "← " (lang.t("Vorige", "Previous")) }
                            }
                            span { (lang.t("Pagina", "Page")) " " (sel.page) " " (lang.t("van", "of")) " " (sel.pages) }
                            @if sel.page < sel.pages {
                                a rel="next" href=(page_link(&q, sel.page + 1)) { (lang.t("Volgende", "Next")) " →" }
                            }
                        }
                    }
                }
            },
        ),
    )
}

fn severity_word(s: views::Severity) -> &'static str {
    match s {
        views::Severity::Urgent => "urgent",
        views::Severity::Warning => "warning",
        views::Severity::Info => "info",
    }
}

/// The page for a role that sees no households.
pub(super) fn no_households(lang: Lang, p: &Principal) -> Response {
    message(
        lang,
        StatusCode::FORBIDDEN,
        lang.t("Geen toegang", "No access"),
        lang.t(
            "Met deze rol ziet u geen huishoudens.",
            "This role sees no households.",
        ),
        Some(p),
    )
}

/// The names of `ids` from the vault, each read logged for `p` with `purpose` (once a day), and
/// whether they could not be read (no names are shown then; the page says so). Without a vault
/// there are no names and nothing is missing.
pub(super) async fn names_of(
    app: &Arc<App>,
    p: &Principal,
    ids: Vec<HouseholdId>,
    purpose: &'static str,
) -> (std::collections::HashMap<HouseholdId, String>, bool) {
    if app.vault().is_none() {
        return (Default::default(), false);
    }
    let at = jiff::Timestamp::now().to_string();
    let (app2, who, role) = (app.clone(), p.id.clone(), p.role.name());
    let read = tokio::task::spawn_blocking(move || {
        app2.vault()
            .map(|v| v.names(&ids, &who, role, purpose, &at))
    })
    .await;
    match read {
        Ok(Some(Ok(n))) => (n, false),
        Ok(Some(Err(e))) => {
            eprintln!("knop: the names could not be read from the vault: {e}");
            (Default::default(), true)
        }
        Ok(None) | Err(_) => (Default::default(), true),
    }
}
