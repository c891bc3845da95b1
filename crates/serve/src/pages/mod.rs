//! The cockpit: server-rendered pages, Dutch first (English with the language switch), usable
//! without JavaScript (there is none), mobile first. Amounts as `€ 1.234,56`, dates as
//! `25 november 2026`. Forms carry the session's CSRF token; the session cookie is HttpOnly and
//! SameSite=Strict.
//!
//! Here: the router, the page shell and what the pages share (the reader's language, amounts,
//! messages and refusals, the NL Design System stylesheets). Each page or group of pages is in
//! its own module and registers its own routes.

use std::sync::Arc;

use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use jiff::civil::Date;
use knop_app::present::Language;
use maud::{html, Markup, DOCTYPE};
use serde::Deserialize;

use crate::auth::{MaybePrincipal, Principal, Role};
use crate::App;
use knop_app::views;

mod access_log;
mod admin;
mod agreements;
mod caseload;
mod debts;
mod dossier;
mod help;
mod history;
mod household;
mod kindpakket;
mod login;
mod month_pdf;
mod payouts;
mod rode_knop;
mod runs;
mod statements;

const CSS: &str = include_str!("../../static/knop.css");

/// The NL Design System stylesheets, read once from the npm packages: the municipality's design
/// tokens, the Utrecht components (their classes) and the Utrecht styling of plain HTML. One
/// service per process, so a process-wide value.
struct DesignSystem {
    tokens: String,
    components: String,
    html: String,
    /// The class on `body` that switches the tokens on (`utrecht-theme`, `denhaag-theme`).
    theme_class: &'static str,
}

static DESIGN_SYSTEM: std::sync::OnceLock<DesignSystem> = std::sync::OnceLock::new();

/// Reads the NL Design System stylesheets from a `node_modules` directory, with the design
/// tokens of `theme`; a missing package is an error naming the file (a partly installed design
/// system is worse than none). The Utrecht tokens always come first: another municipality's
/// tokens (under their own theme class on the same `body`) override what they define, and the
/// Utrecht ones fill what they leave out.
pub(crate) fn load_design_system(dir: &std::path::Path, theme: crate::Theme) -> Result<(), String> {
    let ds = read_design_system(dir, theme)?;
    let _ = DESIGN_SYSTEM.set(ds);
    Ok(())
}

/// The stylesheets [`load_design_system`] serves, read from `dir`.
fn read_design_system(dir: &std::path::Path, theme: crate::Theme) -> Result<DesignSystem, String> {
    let read = |rel: &str| {
        let p = dir.join(rel);
        std::fs::read_to_string(&p)
            .map_err(|e| format!("{}: {e} (run `npm ci` in web/)", p.display()))
    };
    let mut tokens = read("@utrecht/design-tokens/dist/index.css")?;
    let theme_class = match theme {
        crate::Theme::Utrecht => "utrecht-theme",
        crate::Theme::DenHaag => {
            tokens.push('\n');
            tokens.push_str(&read(
                "@gemeente-denhaag/design-tokens-components/dist/theme/index.css",
            )?);
            "utrecht-theme denhaag-theme"
        }
    };
    let ds = DesignSystem {
        tokens,
        components: read("@utrecht/component-library-css/dist/index.css")?,
        html: read("@utrecht/component-library-css/dist/html.css")?,
        theme_class,
    };
    Ok(ds)
}

fn design_system() -> Option<&'static DesignSystem> {
    DESIGN_SYSTEM.get()
}
const LANG_COOKIE: &str = "knop_lang";

/// The cockpit's routes.
pub fn router(app: Arc<App>) -> Router {
    // The stylesheets are compressed when the browser asks (gzip or br). The pages are not: they
    // carry the form's CSRF token and show what was searched for, which is what a BREACH attack
    // needs to read the token from compressed sizes; a page is ~11 KB.
    let assets = Router::new()
        .route("/static/knop.css", get(css))
        .route("/static/nlds/tokens.css", get(nlds_tokens))
        .route("/static/nlds/html.css", get(nlds_html))
        .route("/static/nlds/components.css", get(nlds_components))
        .layer(tower_http::compression::CompressionLayer::new());
    Router::new()
        .route("/", get(home))
        .merge(assets)
        .merge(login::routes())
        .route("/taal/{lang}", get(language))
        .merge(caseload::routes())
        .merge(household::routes())
        .merge(history::routes())
        .merge(help::routes())
        .merge(dossier::routes())
        .merge(debts::routes())
        .merge(rode_knop::routes())
        .merge(kindpakket::routes())
        .merge(payouts::routes())
        .merge(month_pdf::routes())
        .merge(access_log::routes())
        .merge(agreements::routes())
        .merge(statements::routes())
        .merge(runs::routes())
        .merge(admin::routes())
        .layer(axum::extract::DefaultBodyLimit::max(crate::BODY_MAX))
        .fallback(not_found)
        .with_state(app)
}

/// The reader's language: English when the language cookie says so, else Dutch.
#[derive(Clone, Copy)]
struct Lang(Language);

impl Lang {
    fn of(headers: &HeaderMap) -> Self {
        Self(if crate::cookie(headers, LANG_COOKIE) == Some("en") {
            Language::English
        } else {
            Language::Dutch
        })
    }
    fn t<'a>(self, nl: &'a str, en: &'a str) -> &'a str {
        self.0.pick(nl, en)
    }
    fn english(self) -> bool {
        self.0 == Language::English
    }
    /// A date for a table.utrecht-table cell (`28 dec 2026`).
    fn short_date(self, iso: &str) -> String {
        iso.parse::<Date>()
            .map(|d| knop_app::present::short(d, self.0))
            .unwrap_or_else(|_| iso.to_owned())
    }
    fn date(self, iso: &str) -> String {
        iso.parse::<Date>()
            .map(|d| knop_app::present::spoken(d, self.0))
            .unwrap_or_else(|_| iso.to_owned())
    }
}

fn euro(cents: i64) -> String {
    knop_book::Cents(cents).to_dutch()
}

fn page(lang: Lang, title: &str, who: Option<&Principal>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang.t("nl", "en")) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · knop" }
                @if design_system().is_some() {
                    link rel="stylesheet" href="/static/nlds/tokens.css";
                    link rel="stylesheet" href="/static/nlds/components.css";
                    link rel="stylesheet" href="/static/nlds/html.css";
                }
                link rel="stylesheet" href="/static/knop.css";
            }
            body class=(design_system().map(|d| format!("{} utrecht-html", d.theme_class)).unwrap_or_default()) {
                a.skip href="#inhoud" { (lang.t("Naar de inhoud", "Skip to content")) }
                header.utrecht-page-header.top {
                    a.brand href="/" { "knop" }
                    @if let Some(p) = who {
                        @if p.role.municipality().is_some() {
                            nav aria-label=(lang.t("Hoofdmenu", "Main menu")) {
                                a href="/gemeente" { (lang.t("Verklaringen", "Declarations")) } " · "
                                a href="/gemeente/kindpakket" { (lang.t("Kindpakket", "Child package")) }
                            }
                        }
                        @if p.role.merchant().is_some() {
                            nav aria-label=(lang.t("Hoofdmenu", "Main menu")) { a href="/winkel" { (lang.t("Kassa", "Till")) } }
                        }
                        @if p.role.creditor().is_some() {
                            nav aria-label=(lang.t("Hoofdmenu", "Main menu")) { a href="/schuldeiser" { (lang.t("Schuldhulp en pauzes", "Debt assistance and holds")) } }
                        }
                        @if p.role.may_see_caseload() {
                            nav aria-label=(lang.t("Hoofdmenu", "Main menu")) {
                                a href="/huishoudens" { (lang.t("Huishoudens", "Households")) }
                                " · "
                                @if p.role.may_import_statements() {
                                    a href="/afschriften" { (lang.t("Afschriften", "Statements")) }
                                    " · "
                                }
                                a href="/betaalruns" { (lang.t("Betaalruns", "Payment runs")) }
                                @if matches!(p.role, Role::Administrator) {
                                    " · "
                                    a href="/beheer" { (lang.t("Beheer", "Administration")) }
                                }
                            }
                        }
                    }
                    nav aria-label=(lang.t("Taal en account", "Language and account")) {
                        a href="/hulp" { (lang.t("Hulp", "Help")) }
                        " · "
                        @if lang.english() {
                            a href="/taal/nl" lang="nl" { "Nederlands" }
                        } @else {
                            a href="/taal/en" lang="en" { "English" }
                        }
                        @if let Some(p) = who {
                            " · " span { (p.display) }
                            " "
                            form method="post" action="/uitloggen" {
                                input type="hidden" name="csrf" value=(p.csrf.clone().unwrap_or_default());
                                button.utrecht-button.utrecht-button--secondary-action type="submit" { (lang.t("Uitloggen", "Log out")) }
                            }
                        }
                    }
                }
                main id="inhoud" { (body) }
            }
        }
    }
}

fn html_response(status: StatusCode, m: Markup) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        m.into_string(),
    )
        .into_response()
}

fn message(
    lang: Lang,
    status: StatusCode,
    title: &str,
    text: &str,
    who: Option<&Principal>,
) -> Response {
    html_response(
        status,
        page(
            lang,
            title,
            who,
            html! { h1 { (title) } p { (text) } p { a href="/" { (lang.t("Naar het begin", "Back to start")) } } },
        ),
    )
}

async fn not_found(headers: HeaderMap, MaybePrincipal(p): MaybePrincipal) -> Response {
    let lang = Lang::of(&headers);
    message(
        lang,
        StatusCode::NOT_FOUND,
        lang.t("Niet gevonden", "Not found"),
        lang.t("Deze pagina bestaat niet.", "This page does not exist."),
        p.as_ref(),
    )
}

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CSS,
    )
        .into_response()
}

fn stylesheet(text: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        text,
    )
        .into_response()
}

async fn nlds_tokens(headers: HeaderMap, p: MaybePrincipal) -> Response {
    match design_system() {
        Some(ds) => stylesheet(&ds.tokens),
        None => not_found(headers, p).await,
    }
}

async fn nlds_components(headers: HeaderMap, p: MaybePrincipal) -> Response {
    match design_system() {
        Some(ds) => stylesheet(&ds.components),
        None => not_found(headers, p).await,
    }
}

async fn nlds_html(headers: HeaderMap, p: MaybePrincipal) -> Response {
    match design_system() {
        Some(ds) => stylesheet(&ds.html),
        None => not_found(headers, p).await,
    }
}

async fn home(MaybePrincipal(p): MaybePrincipal) -> Redirect {
    match p.map(|p| p.role) {
        None => Redirect::to("/inloggen"),
        Some(Role::Resident { household }) => Redirect::to(&format!("/huishoudens/{household}")),
        Some(Role::Municipality { .. }) => Redirect::to("/gemeente"),
        Some(Role::Creditor { .. }) => Redirect::to("/schuldeiser"),
        Some(Role::Merchant { .. }) => Redirect::to("/winkel"),
        Some(_) => Redirect::to("/huishoudens"),
    }
}

async fn language(Path(lang): Path<String>) -> Response {
    let value = if lang == "en" { "en" } else { "nl" };
    let mut r = Redirect::to("/").into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{LANG_COOKIE}={value}; Path=/; Max-Age=31536000; SameSite=Lax"
    )) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

fn role_name(lang: Lang, r: &Role) -> String {
    match r {
        Role::Resident { household } => format!(
            "{} {household}",
            lang.t("inwoner, huishouden", "resident, household")
        ),
        Role::Counsellor { counsellor } => {
            format!("{} ({counsellor})", lang.t("consulent", "counsellor"))
        }
        Role::Supervisor => lang.t("tweede beoordelaar", "supervisor").to_owned(),
        Role::Administrator => lang
            .t("beheerder gemeente", "municipal administrator")
            .to_owned(),
        Role::Payer => lang.t("betaler", "payer").to_owned(),
        Role::Creditor { org } => format!("{} ({org})", lang.t("schuldeiser", "creditor")),
        Role::Municipality { org } => format!("{} ({org})", lang.t("gemeente", "municipality")),
        Role::Merchant { org } => format!("{} ({org})", lang.t("winkel", "shop")),
        Role::Auditor => lang.t("auditor", "auditor").to_owned(),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

fn login_first() -> Response {
    Redirect::to("/inloggen").into_response()
}

fn csrf_ok(p: &Principal, sent: &str) -> bool {
    p.csrf
        .as_deref()
        .is_some_and(|c| !sent.is_empty() && c == sent)
}

fn refused(lang: Lang, p: &Principal) -> Response {
    message(
        lang,
        StatusCode::FORBIDDEN,
        lang.t("Geweigerd", "Refused"),
        lang.t(
            "Dit formulier is verlopen of kwam niet van deze site; probeer het opnieuw.",
            "This form has expired or did not come from this site; try again.",
        ),
        Some(p),
    )
}

fn problem_page(lang: Lang, p: &Principal, e: crate::Problem) -> Response {
    let status = e.status_code();
    message(lang, status, &e.title, &e.detail, Some(p))
}

/// The household of a page, if the caller may see it (with `manage`: may change it). Anything
/// else answers the not-found page, whatever exists.
fn page_household(app: &App, p: &Principal, id: &str, manage: bool) -> Option<views::Snapshot> {
    crate::api::visible(app, p, id)
        .ok()
        .filter(|s| !manage || p.role.may_manage_household(&s.state.counsellor))
}

fn household_not_found(lang: Lang, p: &Principal) -> Response {
    message(
        lang,
        StatusCode::NOT_FOUND,
        lang.t("Niet gevonden", "Not found"),
        lang.t(
            "Dit huishouden bestaat niet, of u heeft er geen toegang toe.",
            "This household does not exist, or you have no access to it.",
        ),
        Some(p),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &std::path::Path, rel: &str, css: &str) {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, css).unwrap();
    }

    #[test]
    fn den_haag_tokens_come_after_utrechts_and_name_their_theme() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "@utrecht/design-tokens/dist/index.css",
            ".utrecht-theme { --utrecht-x: red }",
        );
        write(
            dir.path(),
            "@utrecht/component-library-css/dist/index.css",
            ".utrecht-button {}",
        );
        write(
            dir.path(),
            "@utrecht/component-library-css/dist/html.css",
            ".utrecht-html p {}",
        );
        let utrecht = read_design_system(dir.path(), crate::Theme::Utrecht).unwrap();
        assert_eq!(utrecht.theme_class, "utrecht-theme");
        // Den Haag's package is required once it is chosen, and named when missing.
        let e = read_design_system(dir.path(), crate::Theme::DenHaag)
            .err()
            .unwrap();
        assert!(
            e.contains("@gemeente-denhaag/design-tokens-components"),
            "{e}"
        );
        write(
            dir.path(),
            "@gemeente-denhaag/design-tokens-components/dist/theme/index.css",
            ".denhaag-theme { --utrecht-x: green }",
        );
        let dh = read_design_system(dir.path(), crate::Theme::DenHaag).unwrap();
        assert_eq!(dh.theme_class, "utrecht-theme denhaag-theme");
        let (u, d) = (
            dh.tokens.find("red").unwrap(),
            dh.tokens.find("green").unwrap(),
        );
        assert!(u < d, "Den Haag's value comes later, so it wins");
        assert_eq!(dh.components, ".utrecht-button {}");
    }
}
