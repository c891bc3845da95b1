//! The cockpit: server-rendered pages, Dutch first (English with the language switch), usable
//! without JavaScript (there is none), mobile first. Amounts as `€ 1.234,56`, dates as
//! `25 november 2026`. Forms carry the session's CSRF token; the session cookie is HttpOnly and
//! SameSite=Strict.

use std::sync::Arc;

use axum::extract::{Form, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use jiff::civil::Date;
use maud::{html, Markup, DOCTYPE};
use serde::Deserialize;

use crate::auth::{MaybePrincipal, Principal, Role};
use crate::{App, SESSION_COOKIE};
use knop_app::views::{self, Severity};

const CSS: &str = include_str!("../static/knop.css");

/// The NL Design System stylesheets (design tokens and the Utrecht styling of plain HTML), read
/// once from the npm packages. One service per process, so a process-wide value.
struct DesignSystem {
    tokens: String,
    html: String,
}

static DESIGN_SYSTEM: std::sync::OnceLock<DesignSystem> = std::sync::OnceLock::new();

/// Reads the NL Design System stylesheets from a `node_modules` directory; a missing package is
/// an error naming the file (a partly installed design system is worse than none).
pub(crate) fn load_design_system(dir: &std::path::Path) -> Result<(), String> {
    let read = |rel: &str| {
        let p = dir.join(rel);
        std::fs::read_to_string(&p)
            .map_err(|e| format!("{}: {e} (run `npm ci` in web/)", p.display()))
    };
    let ds = DesignSystem {
        tokens: read("@utrecht/design-tokens/dist/index.css")?,
        html: read("@utrecht/component-library-css/dist/html.css")?,
    };
    let _ = DESIGN_SYSTEM.set(ds);
    Ok(())
}

fn design_system() -> Option<&'static DesignSystem> {
    DESIGN_SYSTEM.get()
}
const LANG_COOKIE: &str = "knop_lang";

/// The cockpit's routes.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/static/knop.css", get(css))
        .route("/static/nlds/tokens.css", get(nlds_tokens))
        .route("/static/nlds/html.css", get(nlds_html))
        .route("/inloggen", get(login_page).post(login))
        .route("/inloggen/oidc", get(oidc_start))
        .route("/inloggen/callback", get(oidc_callback))
        .route("/uitloggen", post(logout))
        .route("/taal/{lang}", get(language))
        .route("/huishoudens", get(caseload))
        .route("/huishoudens/{id}", get(household))
        .route("/huishoudens/{id}/inzage", get(access_page))
        .route(
            "/huishoudens/{id}/afspraken",
            get(agreements_page).post(save_agreement),
        )
        .route(
            "/huishoudens/{id}/voorschotlimiet",
            post(save_advance_limit),
        )
        .route("/afschriften", get(statements_page).post(upload_statement))
        .route("/afschriften/regels/{line_id}", post(assign_line))
        .route("/betaalruns", get(runs_page).post(make_run))
        .route("/betaalruns/{run_id}/goedkeuren", post(approve_run))
        .layer(axum::extract::DefaultBodyLimit::max(crate::BODY_MAX))
        .fallback(not_found)
        .with_state(app)
}

/// The reader's language: English when the language cookie says so.
#[derive(Clone, Copy)]
struct Lang {
    en: bool,
}

impl Lang {
    fn of(headers: &HeaderMap) -> Self {
        Self {
            en: crate::cookie(headers, LANG_COOKIE) == Some("en"),
        }
    }
    fn t<'a>(self, nl: &'a str, en: &'a str) -> &'a str {
        if self.en {
            en
        } else {
            nl
        }
    }
    fn date(self, iso: &str) -> String {
        iso.parse::<Date>()
            .map(|d| knop_huishoudboekje::calendar::spoken(d, self.en))
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
                    link rel="stylesheet" href="/static/nlds/html.css";
                }
                link rel="stylesheet" href="/static/knop.css";
            }
            body class=(if design_system().is_some() { "utrecht-theme utrecht-html" } else { "" }) {
                a.skip href="#inhoud" { (lang.t("Naar de inhoud", "Skip to content")) }
                header.top {
                    a.brand href="/" { "knop" }
                    @if let Some(p) = who {
                        @if !matches!(p.role, Role::Resident { .. } | Role::Payer | Role::Creditor | Role::Auditor) {
                            nav aria-label=(lang.t("Hoofdmenu", "Main menu")) {
                                a href="/huishoudens" { (lang.t("Huishoudens", "Households")) }
                                " · "
                                @if p.role.may_import_statements() {
                                    a href="/afschriften" { (lang.t("Afschriften", "Statements")) }
                                    " · "
                                }
                                a href="/betaalruns" { (lang.t("Betaalruns", "Payment runs")) }
                            }
                        }
                    }
                    nav aria-label=(lang.t("Taal en account", "Language and account")) {
                        @if lang.en {
                            a href="/taal/nl" lang="nl" { "Nederlands" }
                        } @else {
                            a href="/taal/en" lang="en" { "English" }
                        }
                        @if let Some(p) = who {
                            " · " span { (p.id) }
                            " "
                            form method="post" action="/uitloggen" {
                                input type="hidden" name="csrf" value=(p.csrf.clone().unwrap_or_default());
                                button type="submit" { (lang.t("Uitloggen", "Log out")) }
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
        Role::Creditor => lang.t("schuldeiser", "creditor").to_owned(),
        Role::Auditor => lang.t("auditor", "auditor").to_owned(),
    }
}

async fn login_page(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
) -> Response {
    let lang = Lang::of(&headers);
    let title = lang.t("Inloggen", "Log in");
    if let Some(o) = &app.oidc {
        if !app.config.dev_login {
            return html_response(
                StatusCode::OK,
                page(
                    lang,
                    title,
                    p.as_ref(),
                    html! {
                        h1 { (title) }
                        p { a.button href="/inloggen/oidc" { (lang.t("Inloggen met", "Log in with")) " " (o.label()) } }
                    },
                ),
            );
        }
    }
    if !app.config.dev_login {
        return message(
            lang,
            StatusCode::OK,
            title,
            lang.t(
                "Inloggen gaat via DigiD of eHerkenning (OpenID Connect). Dat is op deze server nog niet ingesteld.",
                "Log in with DigiD or eHerkenning (OpenID Connect). This server has not been set up for it yet.",
            ),
            p.as_ref(),
        );
    }
    let mut users: Vec<_> = app.config.users.iter().collect();
    users.sort_by(|a, b| a.login.cmp(&b.login));
    html_response(
        StatusCode::OK,
        page(
            lang,
            title,
            p.as_ref(),
            html! {
                h1 { (title) }
                @if let Some(o) = &app.oidc {
                    p { a.button href="/inloggen/oidc" { (lang.t("Inloggen met", "Log in with")) " " (o.label()) } }
                    h2 { (lang.t("Of voor de demo", "Or for the demo")) }
                }
                p { (lang.t(
                    "Dit is de demo: kies met wie u wilt inloggen. Een echte server gebruikt DigiD of eHerkenning.",
                    "This is the demo: choose whom to log in as. A real server uses DigiD or eHerkenning.")) }
                ul.users {
                    @for u in users {
                        li {
                            form method="post" action="/inloggen" {
                                input type="hidden" name="login" value=(u.login);
                                button type="submit" { strong { (u.display) } br; span.note { (role_name(lang, &u.role)) } }
                            }
                        }
                    }
                }
            },
        ),
    )
}

#[derive(Deserialize)]
struct LoginForm {
    login: String,
}

/// Whether a form post comes from this site (the browser's Sec-Fetch-Site or Origin). A missing
/// header (old browsers, tools) is allowed: the SameSite=Strict cookie still protects sessions.
fn same_site(headers: &HeaderMap) -> bool {
    if let Some(v) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return matches!(v, "same-origin" | "none");
    }
    match (
        headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        headers.get(header::HOST).and_then(|v| v.to_str().ok()),
    ) {
        (Some(origin), Some(host)) => {
            origin
                .strip_prefix("http://")
                .or_else(|| origin.strip_prefix("https://"))
                == Some(host)
        }
        _ => true,
    }
}

async fn login(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let lang = Lang::of(&headers);
    if !app.config.dev_login {
        return message(
            lang,
            StatusCode::NOT_FOUND,
            lang.t("Niet gevonden", "Not found"),
            lang.t("Deze pagina bestaat niet.", "This page does not exist."),
            None,
        );
    }
    if !same_site(&headers) {
        return message(
            lang,
            StatusCode::FORBIDDEN,
            lang.t("Geweigerd", "Refused"),
            lang.t(
                "Dit formulier kwam niet van deze site.",
                "This form did not come from this site.",
            ),
            None,
        );
    }
    let Some(user) = app.user(&f.login) else {
        return message(
            lang,
            StatusCode::BAD_REQUEST,
            lang.t("Onbekende gebruiker", "Unknown user"),
            lang.t(
                "Kies een gebruiker uit de lijst.",
                "Choose a user from the list.",
            ),
            None,
        );
    };
    let token = app.sessions.start(user);
    let secure = if app.config.tls { "; Secure" } else { "" };
    let mut r = Redirect::to("/").into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=28800{secure}"
    )) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn logout(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
    Form(f): Form<CsrfForm>,
) -> Response {
    let lang = Lang::of(&headers);
    if let Some(p) = &p {
        if p.csrf.as_deref() != Some(f.csrf.as_str()) {
            return message(
                lang,
                StatusCode::FORBIDDEN,
                lang.t("Geweigerd", "Refused"),
                lang.t(
                    "Dit formulier is verlopen; probeer het opnieuw.",
                    "This form has expired; try again.",
                ),
                Some(p),
            );
        }
        if let Some(d) = &p.session {
            app.sessions.end(d);
        }
    }
    let mut r = Redirect::to("/inloggen").into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("knop_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    r
}

fn login_first() -> Response {
    Redirect::to("/inloggen").into_response()
}

fn severity_class(s: Severity) -> &'static str {
    match s {
        Severity::Urgent => "alert urgent",
        Severity::Warning => "alert",
        Severity::Info => "alert info",
    }
}

async fn caseload(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
) -> Response {
    let lang = Lang::of(&headers);
    let Some(p) = p else { return login_first() };
    if let Role::Resident { household } = &p.role {
        return Redirect::to(&format!("/huishoudens/{household}")).into_response();
    }
    if matches!(p.role, Role::Payer | Role::Creditor | Role::Auditor) {
        return message(
            lang,
            StatusCode::FORBIDDEN,
            lang.t("Geen toegang", "No access"),
            lang.t(
                "Met deze rol ziet u geen huishoudens.",
                "This role sees no households.",
            ),
            Some(&p),
        );
    }
    let (today, ms) = (app.today(), app.today_ms());
    let rows = views::caseload(app.node().state(), &p.role, today, ms);
    let title = lang.t("Huishoudens", "Households");
    html_response(
        StatusCode::OK,
        page(
            lang,
            title,
            Some(&p),
            html! {
                h1 { (title) }
                p.note { (role_name(lang, &p.role)) " · " (lang.t("vandaag", "today")) " " (knop_huishoudboekje::calendar::spoken(today, lang.en)) }
                @if rows.is_empty() {
                    p { (lang.t("Geen huishoudens in uw caseload.", "No households in your caseload.")) }
                } @else {
                    table {
                        caption.note { (lang.t("Meest urgent eerst", "Most urgent first")) }
                        thead { tr {
                            th scope="col" { (lang.t("Huishouden", "Household")) }
                            th scope="col" { (lang.t("Signaal", "Alert")) }
                            th scope="col" class="amount" { (lang.t("Saldo", "Balance")) }
                        } }
                        tbody {
                            @for s in &rows {
                                tr {
                                    td { a href=(format!("/huishoudens/{}", s.id)) { (s.id) } }
                                    td {
                                        @if let Some(a) = &s.top_alert {
                                            (if lang.en { &a.message_en } else { &a.message_nl })
                                            @if s.alerts > 1 { " (+" (s.alerts - 1) ")" }
                                        } @else { (lang.t("geen", "none")) }
                                    }
                                    td.amount { (euro(s.balance_cents)) }
                                }
                            }
                        }
                    }
                }
            },
        ),
    )
}

fn chart(lang: Lang, days: &[(String, i64)]) -> Markup {
    let (w, h, pad) = (600.0_f64, 160.0_f64, 4.0_f64);
    let lo = days.iter().map(|d| d.1).min().unwrap_or(0).min(0) as f64;
    let hi = days.iter().map(|d| d.1).max().unwrap_or(0).max(1) as f64;
    let n = days.len().max(2) as f64 - 1.0;
    let y = |c: f64| pad + (hi - c) / (hi - lo) * (h - 2.0 * pad);
    let points: Vec<String> = days
        .iter()
        .enumerate()
        .map(|(i, d)| format!("{:.1},{:.1}", i as f64 / n * w, y(d.1 as f64)))
        .collect();
    let zero = y(0.0);
    let label = lang.t(
        "Verwacht saldo per dag voor de komende 90 dagen",
        "Expected balance per day for the next 90 days",
    );
    html! {
        svg.chart viewBox=(format!("0 0 {w} {h}")) role="img" aria-label=(label) {
            title { (label) }
            line x1="0" x2=(w) y1=(format!("{zero:.1}")) y2=(format!("{zero:.1}")) stroke="#a4001d" stroke-width="1" stroke-dasharray="4 3" {}
            polyline points=(points.join(" ")) fill="none" stroke="#0b4f8a" stroke-width="2" {}
        }
    }
}

async fn household(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
    Path(id): Path<String>,
) -> Response {
    let lang = Lang::of(&headers);
    let Some(p) = p else { return login_first() };
    let Some(s) = page_household(&app, &p, &id, false) else {
        return household_not_found(lang, &p);
    };
    let today = app.today();
    let o = match crate::api::overview_of(&app, &s) {
        Ok(o) => o,
        Err(e) => return problem_page(lang, &p, e),
    };
    let f = match views::forecast(&s, today, views::FORECAST_DAYS) {
        Ok(f) => f,
        Err(e) => {
            return message(
                lang,
                StatusCode::UNPROCESSABLE_ENTITY,
                lang.t("Kan niet berekenen", "Cannot calculate"),
                &e.to_string(),
                Some(&p),
            )
        }
    };
    let title = format!("{} {}", lang.t("Huishouden", "Household"), o.id);
    let upcoming: Vec<_> = o.month_flows.iter().filter(|x| !x.past).collect();
    html_response(
        StatusCode::OK,
        page(
            lang,
            &title,
            Some(&p),
            html! {
                            h1 { (if matches!(p.role, Role::Resident { .. }) { lang.t("Uw geld deze maand", "Your money this month").to_owned() } else { title.clone() }) }
                            p.note { (lang.t("Vandaag", "Today")) " " (lang.date(&o.today)) }
                            @if !o.alerts.is_empty() {
                                h2 { (lang.t("Let op", "Attention")) }
                                @for a in &o.alerts {
                                    div class=(severity_class(a.severity)) role="status" { (if lang.en { &a.message_en } else { &a.message_nl }) }
                                }
                            }
                            div.cards {
                                div.card { div.label { (lang.t("Op uw rekening bij de stichting", "On your account at the foundation")) } div.value { (euro(o.balance_cents)) } }
                                div.card { div.label { (lang.t("Inkomen deze maand (volgens afspraak)", "Income this month (as agreed)")) } div.value { (euro(o.month_income_cents)) } }
                                div.card { div.label { (lang.t("Betalingen deze maand (volgens afspraak)", "Payments this month (as agreed)")) } div.value { (euro(o.month_payments_cents)) } }
                            }
                            @if let Some(l) = &o.next_living_money {
                                h2 { (lang.t("Leefgeld", "Living money")) }
                                p { (lang.t("Het volgende leefgeld:", "Next living money:")) " " strong { (euro(-l.amount_cents)) } " " (lang.t("op", "on")) " " (lang.date(&l.date)) "." }
                            }
                            @if o.advance_cents > 0 {
                                p { (lang.t("Voorgeschoten door de stichting:", "Advanced by the foundation:")) " " (euro(o.advance_cents)) }
                            }
                    h2 { (lang.t("Wat er deze maand echt gebeurde", "What really happened this month")) }
                    @if o.month_bookings.is_empty() {
                        p { (lang.t("Nog geen boekingen van de bank deze maand.", "No bookings from the bank yet this month.")) }
                    } @else {
                        table {
                            caption.note { (lang.t("Volgens de bankafschriften", "According to the bank statements")) }
                            thead { tr { th scope="col" { (lang.t("Datum", "Date")) } th scope="col" { (lang.t("Van of aan", "From or to")) } th scope="col" class="amount" { (lang.t("Bedrag", "Amount")) } } }
                            tbody { @for b in &o.month_bookings { tr {
                                td { (lang.date(&b.date)) }
                                td { (b.counterparty.clone().unwrap_or_default()) @if let Some(r) = &b.remittance { br; span.note { (r) } } }
                                td class=(if b.amount_cents > 0 { "amount in" } else { "amount" }) { (euro(b.amount_cents)) }
                            } } }
                        }
                    }
            h2 { (lang.t("Komt nog deze maand", "Still to come this month")) }
                            @if upcoming.is_empty() { p { (lang.t("Niets meer deze maand.", "Nothing more this month.")) } } @else {
                                table {
                                    thead { tr { th scope="col" { (lang.t("Datum", "Date")) } th scope="col" { (lang.t("Wat", "What")) } th scope="col" class="amount" { (lang.t("Bedrag", "Amount")) } } }
                                    tbody { @for x in &upcoming { tr { td { (lang.date(&x.date)) } td { (x.label) } td class=(if x.amount_cents > 0 { "amount in" } else { "amount" }) { (euro(x.amount_cents)) } } } }
                                }
                            }
                            h2 { (lang.t("Eerder deze maand", "Earlier this month")) }
                            @let past: Vec<_> = o.month_flows.iter().filter(|x| x.past).collect();
                            @if past.is_empty() { p { (lang.t("Nog niets deze maand.", "Nothing yet this month.")) } } @else {
                                table {
                                    thead { tr { th scope="col" { (lang.t("Datum", "Date")) } th scope="col" { (lang.t("Wat", "What")) } th scope="col" class="amount" { (lang.t("Bedrag", "Amount")) } } }
                                    tbody { @for x in &past { tr.past { td { (lang.date(&x.date)) } td { (x.label) } td.amount { (euro(x.amount_cents)) } } } }
                                }
                            }
                            h2 { (lang.t("De komende 90 dagen", "The next 90 days")) }
                            (chart(lang, &f.days))
                            @match &f.first_shortfall {
                                Some(sh) => p { (lang.t("Eerste tekort:", "First shortfall:")) " " (lang.date(&sh.date)) ", " (euro(sh.balance_cents)) "." },
                                None => p { (lang.t("Volgens de afspraken is er de komende 90 dagen steeds genoeg geld.", "By the agreements there is enough money for the next 90 days.")) },
                            }
                            @if p.role.may_manage_household(&s.state.counsellor) {
                    p { a href=(format!("/huishoudens/{}/afspraken", o.id)) { (lang.t("Afspraken beheren", "Manage agreements")) } }
                }
                h2 { (lang.t("Uw afspraken", "Your agreements")) }
                            ul {
                                @for a in s.state.agreements.values() {
                                    li {
                                        (a.label.clone().unwrap_or_else(|| a.id.clone())) ": " (euro(a.amount_cents)) " "
                                        (match a.kind {
                                            knop_huishoudboekje::Kind::Income => lang.t("komt binnen", "comes in"),
                                            knop_huishoudboekje::Kind::LivingMoney => lang.t("leefgeld voor u", "living money for you"),
                                            _ => lang.t("wordt voor u betaald", "is paid for you"),
                                        })
                                    }
                                }
                            }
                            h2 { (lang.t("Uw aanmelding (de knop)", "Your opt-in (the button)")) }
                            p {
                                (lang.t("U doet mee sinds", "You joined on")) " "
                                (jiff::Timestamp::from_millisecond(s.state.opened_at_ms as i64).map(|t| knop_huishoudboekje::calendar::spoken(t.to_zoned(jiff::tz::TimeZone::UTC).date(), lang.en)).unwrap_or_default())
                                ". " (lang.t(
                                    "Uw inkomen komt binnen op de rekening van de stichting; de stichting betaalt daaruit uw vaste lasten op tijd en maakt het afgesproken leefgeld naar u over. U kunt altijd opzeggen; na de opzegtermijn stoppen de betalingen en zegt u de vaste lasten zelf weer over.",
                                    "Your income arrives on the foundation's account; the foundation pays your fixed costs from it on time and transfers the agreed living money to you. You can always withdraw; after the notice period the payments stop and you take over your fixed costs again."))
                                " " span.note { (lang.t("Uitleg versie", "Information version")) " " (s.state.information) }
                            }
                            @if app.vault().is_some() {
                                p { a href=(format!("/huishoudens/{}/inzage", o.id)) { (lang.t("Wie heeft mijn gegevens bekeken?", "Who looked at my data?")) } }
                            }
                            p.note { (lang.t(
                                "Bedragen 'volgens afspraak' komen uit de afspraken; het saldo komt uit het grootboek.",
                                "Amounts 'as agreed' come from the agreements; the balance comes from the book.")) }
                        },
        ),
    )
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

fn statements_markup(
    lang: Lang,
    p: &Principal,
    lines: &[crate::api::SuspenseLine],
    result: Option<Markup>,
) -> Markup {
    let title = lang.t("Bankafschriften", "Bank statements");
    let csrf = p.csrf.clone().unwrap_or_default();
    html! {
        h1 { (title) }
        @if let Some(r) = result { (r) }
        h2 { (lang.t("Afschrift inlezen (camt.053)", "Upload a statement (camt.053)")) }
        form method="post" action="/afschriften" enctype="multipart/form-data" {
            input type="hidden" name="csrf" value=(csrf);
            p {
                label for="bestand" { (lang.t("Bestand van de bank", "File from the bank")) }
                br;
                input id="bestand" type="file" name="bestand" accept=".xml,application/xml,text/xml" required;
            }
            p { button type="submit" { (lang.t("Inlezen en matchen", "Import and match")) } }
        }
        h2 { (lang.t("Nog te verdelen", "Still to match")) " (" (lines.len()) ")" }
        @if lines.is_empty() {
            p { (lang.t("Alle regels zijn verdeeld.", "Every line is matched.")) }
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
                @if l.suggestions.is_empty() {
                    p.note { (lang.t("Geen suggesties uit uw caseload.", "No suggestions from your caseload.")) }
                } @else {
                    ul {
                        @for sg in &l.suggestions {
                            li {
                                (lang.t("Huishouden", "Household")) " " (sg.household) ": " (sg.agreement) " — " (sg.reason)
                                @if !sg.fits { " " span.note { (lang.t("(past maar deels)", "(fits only partly)")) } }
                            }
                        }
                    }
                }
                form method="post" action=(format!("/afschriften/regels/{}", l.id)) {
                    input type="hidden" name="csrf" value=(csrf);
                    label for=(format!("h-{}", l.id)) { (lang.t("Boeken op huishouden", "Book to household")) }
                    " "
                    input id=(format!("h-{}", l.id)) name="household" inputmode="numeric" pattern="[0-9]{1,38}" required
                        value=(l.suggestions.first().map(|s| s.household.clone()).unwrap_or_default());
                    " "
                    button type="submit" { (lang.t("Boeken", "Book")) }
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
    match crate::api::suspense(&app, &p) {
        Ok(lines) => html_response(
            StatusCode::OK,
            page(
                lang,
                lang.t("Bankafschriften", "Bank statements"),
                Some(&p),
                statements_markup(lang, &p, &lines, None),
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
    let result = match crate::api::upload(&app, &p, bytes).await {
        Ok(r) => {
            let reconciled = r.import.difference_cents.unwrap_or(0) == 0;
            html! {
                div class=(if reconciled { "alert info" } else { "alert urgent" }) role="status" {
                    @if r.import.booked == 0 {
                        (lang.t("Dit afschrift was al ingelezen: niets nieuws geboekt.", "This statement was imported before: nothing new booked."))
                    } @else {
                        (lang.t("Ingelezen:", "Imported:")) " " (r.import.booked) " " (lang.t("boekingen", "bookings")) "; "
                        (r.matching.matched_lines) " " (lang.t("regels automatisch verdeeld,", "lines matched automatically,")) " "
                        (r.matching.suspense_lines) " " (lang.t("wachten op u.", "wait for you."))
                    }
                    br;
                    @if let Some(d) = r.import.difference_cents.filter(|d| *d != 0) {
                        strong { (lang.t("Afstemming klopt niet: verschil", "Reconciliation does not match: difference")) " " (euro(d)) }
                    } @else {
                        (lang.t("Saldo in het grootboek:", "Balance in the book:")) " " (euro(r.import.book_balance_cents))
                    }
                }
            }
        }
        Err(e) => html! {
            div.alert.urgent role="alert" {
                strong { (lang.t("Niet ingelezen, niets geboekt.", "Not imported, nothing booked.")) } " " (e.detail)
            }
        },
    };
    match crate::api::suspense(&app, &p) {
        Ok(lines) => html_response(
            StatusCode::OK,
            page(
                lang,
                lang.t("Bankafschriften", "Bank statements"),
                Some(&p),
                statements_markup(lang, &p, &lines, Some(result)),
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
    match crate::api::assign(&app, &p, &line_id, f.household.trim()).await {
        Ok(_) => Redirect::to("/afschriften").into_response(),
        Err(e) => problem_page(lang, &p, e),
    }
}

async fn runs_page(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
) -> Response {
    let lang = Lang::of(&headers);
    let Some(p) = p else { return login_first() };
    if matches!(p.role, Role::Payer | Role::Creditor | Role::Auditor) {
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
    let (runs, mine): (Vec<knop_app::payrun::RunView>, Vec<String>) = {
        let node = app.node();
        let st = node.state();
        let visible = |h: u128| {
            st.households()
                .get(&h)
                .is_some_and(|x| p.role.may_see_household(h, &x.counsellor))
        };
        let mut runs: Vec<_> = st
            .runs()
            .values()
            .filter(|r| visible(r.household))
            .filter_map(knop_app::payrun::RunView::of)
            .collect();
        runs.sort_by_key(|r| std::cmp::Reverse(r.entry));
        let mine = st
            .households()
            .iter()
            .filter(|(_, h)| p.role.may_manage_household(&h.counsellor))
            .map(|(id, _)| id.to_string())
            .collect();
        (runs, mine)
    };
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
                @if !mine.is_empty() {
                    h2 { (lang.t("Nieuwe betaalrun", "New payment run")) }
                    form method="post" action="/betaalruns" {
                        input type="hidden" name="csrf" value=(csrf);
                        p {
                            label for="run-h" { (lang.t("Huishouden", "Household")) } br;
                            select id="run-h" name="household" { @for h in &mine { option value=(h) { (h) } } }
                        }
                        p {
                            label for="run-d" { (lang.t("Uitvoerdatum (werkdag)", "Execution date (business day)")) } br;
                            input id="run-d" type="date" name="date" required value=(next_day.to_string());
                        }
                        p { button type="submit" { (lang.t("Run maken", "Make run")) } }
                    }
                }
                h2 { (lang.t("Runs", "Runs")) }
                @if runs.is_empty() { p { (lang.t("Nog geen betaalruns.", "No payment runs yet.")) } }
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
                            table {
                                thead { tr { th scope="col" { (lang.t("Wat", "What")) } th scope="col" { (lang.t("Aan", "To")) } th scope="col" class="amount" { (lang.t("Bedrag", "Amount")) } } }
                                tbody { @for i in &r.content.items { tr { td { (i.agreement) } td { (i.creditor_name) } td.amount { (euro(i.cents)) } } } }
                            }
                        }
                        @for n in &r.content.not_covered { p.note { (lang.t("Niet in deze run:", "Not in this run:")) " " (n) } }
                        @if r.content.advanced_cents > 0 {
                            p.note { (lang.t("Voorgeschoten door de stichting:", "Advanced by the foundation:")) " " (euro(r.content.advanced_cents)) }
                        }
                        @if !r.approved && matches!(p.role, Role::Supervisor) && r.created_by != p.id {
                            form method="post" action=(format!("/betaalruns/{}/goedkeuren", r.content.run_id)) {
                                input type="hidden" name="csrf" value=(csrf);
                                button type="submit" { (lang.t("Goedkeuren", "Approve")) }
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
    match crate::api::make_run(&app, &p, &f.household, &f.date).await {
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
    match crate::api::approve(&app, &p, run_id).await {
        Ok(_) => Redirect::to("/betaalruns").into_response(),
        Err(e) => problem_page(lang, &p, e),
    }
}

fn start_session(app: &App, user: &crate::User) -> Response {
    let token = app.sessions.start(user);
    let secure = if app.config.tls { "; Secure" } else { "" };
    let mut r = Redirect::to("/").into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age=28800{secure}"
    )) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

async fn oidc_start(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    let lang = Lang::of(&headers);
    let Some(o) = &app.oidc else {
        return message(
            lang,
            StatusCode::NOT_FOUND,
            lang.t("Niet gevonden", "Not found"),
            lang.t("Deze pagina bestaat niet.", "This page does not exist."),
            None,
        );
    };
    match o.start().await {
        Ok(url) => Redirect::to(&url).into_response(),
        Err(e) => message(
            lang,
            StatusCode::BAD_GATEWAY,
            lang.t("Inloggen lukt nu niet", "Logging in does not work now"),
            &e.to_string(),
            None,
        ),
    }
}

#[derive(Deserialize)]
struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
    #[allow(dead_code)]
    iss: Option<String>,
}

async fn oidc_callback(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    axum::extract::Query(cb): axum::extract::Query<Callback>,
) -> Response {
    let lang = Lang::of(&headers);
    let Some(o) = &app.oidc else {
        return message(
            lang,
            StatusCode::NOT_FOUND,
            lang.t("Niet gevonden", "Not found"),
            lang.t("Deze pagina bestaat niet.", "This page does not exist."),
            None,
        );
    };
    let failed = |status: StatusCode, why: &str| {
        message(
            lang,
            status,
            lang.t("Inloggen is niet gelukt", "Logging in failed"),
            why,
            None,
        )
    };
    if let Some(e) = cb.error {
        return failed(
            StatusCode::UNAUTHORIZED,
            &format!("{e}: {}", cb.error_description.unwrap_or_default()),
        );
    }
    let (Some(code), Some(state)) = (cb.code, cb.state) else {
        return failed(StatusCode::BAD_REQUEST, "the callback needs code and state");
    };
    match o.finish(&code, &state).await {
        Ok(subject) => match app.user(&subject) {
            Some(user) => start_session(&app, user),
            None => failed(
                StatusCode::FORBIDDEN,
                lang.t(
                    "U bent ingelogd, maar knop kent u nog niet. Vraag uw gemeente of stichting om toegang.",
                    "You logged in, but knop does not know you yet. Ask your municipality or foundation for access.",
                ),
            ),
        },
        Err(crate::oidc::OidcError::UnknownState) => failed(StatusCode::BAD_REQUEST, &crate::oidc::OidcError::UnknownState.to_string()),
        Err(e @ crate::oidc::OidcError::Provider(_)) => failed(StatusCode::BAD_GATEWAY, &e.to_string()),
        Err(e) => failed(StatusCode::UNAUTHORIZED, &e.to_string()),
    }
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
                    table {
                        thead { tr {
                            th scope="col" { (lang.t("Wanneer", "When")) }
                            th scope="col" { (lang.t("Wie", "Who")) }
                            th scope="col" { (lang.t("Wat", "What")) }
                            th scope="col" { (lang.t("Waarom", "Why")) }
                        } }
                        tbody { @for a in &list { tr {
                            td { (a.at.parse::<jiff::Timestamp>().map(|t| {
                                let z = t.to_zoned(jiff::tz::TimeZone::get("Europe/Amsterdam").unwrap_or(jiff::tz::TimeZone::UTC));
                                format!("{} {}", knop_huishoudboekje::calendar::spoken(z.date(), lang.en), z.strftime("%H:%M"))
                            }).unwrap_or_else(|_| a.at.clone())) }
                            td { (a.who) " (" (a.role) ")" }
                            td { (a.fields.join(", ")) }
                            td { (a.purpose) }
                        } } }
                    }
                }
                p { a href=(format!("/huishoudens/{household}")) { (lang.t("Terug naar het overzicht", "Back to the overview")) } }
            },
        ),
    )
}

fn agreements_markup(
    lang: Lang,
    p: &Principal,
    s: &views::Snapshot,
    default_advance_cents: i64,
    result: Option<Markup>,
) -> Markup {
    let csrf = p.csrf.clone().unwrap_or_default();
    let kind_name = |k: knop_huishoudboekje::Kind| match k {
        knop_huishoudboekje::Kind::Income => lang.t("inkomen", "income"),
        knop_huishoudboekje::Kind::FixedCost => lang.t("vaste last", "fixed cost"),
        knop_huishoudboekje::Kind::DebtArrangement => lang.t("schuldregeling", "debt arrangement"),
        knop_huishoudboekje::Kind::LivingMoney => lang.t("leefgeld", "living money"),
    };
    html! {
        h1 { (lang.t("Afspraken van huishouden", "Agreements of household")) " " (s.household) }
        @if let Some(r) = result { (r) }
        table {
            thead { tr {
                th scope="col" { (lang.t("Afspraak", "Agreement")) }
                th scope="col" { (lang.t("Soort", "Kind")) }
                th scope="col" { (lang.t("Wanneer", "When")) }
                th scope="col" class="amount" { (lang.t("Bedrag", "Amount")) }
            } }
            tbody { @for a in s.state.agreements.values() { tr {
                td { (a.label.clone().unwrap_or_else(|| a.id.clone())) br; span.note { (a.id) } }
                td { (kind_name(a.kind)) }
                td { (serde_json::to_string(&a.schedule).unwrap_or_default()) }
                td.amount { (euro(a.amount_cents)) }
            } } }
        }
        h2 { (lang.t("Afspraak maken of wijzigen", "Make or change an agreement")) }
        p.note { (lang.t(
            "Met een bestaand kenmerk wijzigt u die afspraak; de geschiedenis blijft in het grootboek.",
            "With an existing id you change that agreement; its history stays in the ledger.")) }
        form method="post" action=(format!("/huishoudens/{}/afspraken", s.household)) {
            input type="hidden" name="csrf" value=(csrf);
            p { label for="a-id" { (lang.t("Kenmerk (bijv. huur)", "Id (e.g. rent)")) } br; input id="a-id" name="id" required pattern="[a-z0-9-]{1,40}"; }
            p { label for="a-label" { (lang.t("Omschrijving", "Description")) } br; input id="a-label" name="label"; }
            p { label for="a-kind" { (lang.t("Soort", "Kind")) } br;
                select id="a-kind" name="kind" {
                    option value="fixed_cost" { (lang.t("vaste last", "fixed cost")) }
                    option value="income" { (lang.t("inkomen", "income")) }
                    option value="debt_arrangement" { (lang.t("schuldregeling", "debt arrangement")) }
                    option value="living_money" { (lang.t("leefgeld", "living money")) }
                } }
            p { label for="a-amount" { (lang.t("Bedrag in euro (bijv. 785,50)", "Amount in euros (e.g. 785,50)")) } br; input id="a-amount" name="amount" required inputmode="decimal"; }
            p { label for="a-day" { (lang.t("Elke maand op dag (1–31)", "Every month on day (1–31)")) } br; input id="a-day" name="day" required inputmode="numeric" pattern="[0-9]{1,2}"; }
            p { label for="a-iban" { (lang.t("IBAN van de andere partij (niet bij leefgeld)", "The other party's IBAN (not for living money)")) } br; input id="a-iban" name="iban"; }
            p { label for="a-ref" { (lang.t("Kenmerk of omschrijving op de betaling", "Reference on the payment")) } br; input id="a-ref" name="reference"; }
            p { button type="submit" { (lang.t("Vastleggen", "Record")) } }
        }
        h2 { (lang.t("Voorschot", "Advance")) }
        p { (lang.t(
            "Komt inkomen te laat, dan schiet de stichting vaste lasten voor tot deze grens; het voorschot wordt terugbetaald uit dat inkomen.",
            "When income is late, the foundation advances fixed costs up to this limit; the advance is repaid from that income.")) }
        p { strong { (lang.t("Voorschotlimiet: ", "Advance limit: ")) }
            @match s.state.advance_limit_cents {
                Some(c) => { (euro(c)) " " span.note { (lang.t("(voor dit huishouden)", "(for this household)")) } }
                None => { (euro(default_advance_cents)) " " span.note { (lang.t("(standaard van de stichting)", "(the foundation's default)")) } }
            } }
        form method="post" action=(format!("/huishoudens/{}/voorschotlimiet", s.household)) {
            input type="hidden" name="csrf" value=(p.csrf.clone().unwrap_or_default());
            p { label for="v-euros" { (lang.t("Nieuwe limiet in euro (0 = geen voorschot, hoogstens 10.000)", "New limit in euros (0 = no advance, at most 10,000)")) } br;
                input id="v-euros" name="euros" required inputmode="decimal"; }
            p { button type="submit" { (lang.t("Limiet vastleggen", "Record limit")) } }
        }
        p { a href=(format!("/huishoudens/{}", s.household)) { (lang.t("Terug naar het huishouden", "Back to the household")) } }
    }
}

#[derive(Deserialize)]
struct AdvanceLimitForm {
    csrf: String,
    euros: String,
}

async fn save_advance_limit(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
    Path(id): Path<String>,
    Form(f): Form<AdvanceLimitForm>,
) -> Response {
    let lang = Lang::of(&headers);
    let Some(p) = p else { return login_first() };
    if !csrf_ok(&p, &f.csrf) {
        return refused(lang, &p);
    }
    let result = match knop_book::Cents::parse_euros(f.euros.trim()) {
        Ok(c) => crate::api::set_advance_limit(&app, &p, &id, c.0)
            .await
            .map(|_| ()),
        Err(e) => Err(crate::Problem::unprocessable(format!("euros: {e}"))),
    };
    agreements_answer(&app, lang, &p, &id, result)
}

async fn agreements_page(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
    Path(id): Path<String>,
) -> Response {
    let lang = Lang::of(&headers);
    let Some(p) = p else { return login_first() };
    let Some(s) = page_household(&app, &p, &id, true) else {
        return household_not_found(lang, &p);
    };
    html_response(
        StatusCode::OK,
        page(
            lang,
            lang.t("Afspraken", "Agreements"),
            Some(&p),
            agreements_markup(lang, &p, &s, app.config.advance_limit_cents, None),
        ),
    )
}

#[derive(Deserialize)]
struct AgreementForm {
    csrf: String,
    id: String,
    label: String,
    kind: String,
    amount: String,
    day: String,
    iban: String,
    reference: String,
}

async fn save_agreement(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
    Path(id): Path<String>,
    Form(f): Form<AgreementForm>,
) -> Response {
    let lang = Lang::of(&headers);
    let Some(p) = p else { return login_first() };
    if !csrf_ok(&p, &f.csrf) {
        return refused(lang, &p);
    }
    let fail = |why: String| crate::Problem::unprocessable(why);
    let built = (|| {
        let cents = knop_book::Cents::parse_euros(f.amount.trim())
            .map_err(|e| fail(format!("amount: {e}")))?
            .0;
        let day: i8 = f
            .day
            .trim()
            .parse()
            .map_err(|_| fail("day: a day of the month, 1 to 31".into()))?;
        let opt = |v: &str| (!v.trim().is_empty()).then(|| v.trim().to_owned());
        serde_json::from_value::<knop_huishoudboekje::Agreement>(serde_json::json!({
            "id": f.id.trim(), "label": opt(&f.label), "kind": f.kind, "amount_cents": cents,
            "schedule": {"monthly": {"day": day}}, "counterparty_iban": opt(&f.iban).map(|i| i.replace(' ', "").to_uppercase()),
            "reference": opt(&f.reference),
        }))
        .map_err(|e| fail(e.to_string()))
    })();
    let result = match built {
        Ok(a) => crate::api::set_agreement(&app, &p, &id, a)
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    agreements_answer(&app, lang, &p, &id, result)
}

/// The agreements page again, with what recording a change did.
fn agreements_answer(
    app: &Arc<App>,
    lang: Lang,
    p: &Principal,
    id: &str,
    result: Result<(), crate::Problem>,
) -> Response {
    let note = match &result {
        Ok(()) => {
            html! { div.alert.info role="status" { (lang.t("Vastgelegd in het grootboek.", "Recorded in the ledger.")) } }
        }
        Err(e) => {
            html! { div.alert.urgent role="alert" { strong { (lang.t("Niet vastgelegd:", "Not recorded:")) } " " (e.detail) } }
        }
    };
    let Some(s) = page_household(app, p, id, true) else {
        return household_not_found(lang, p);
    };
    let status = match &result {
        Ok(()) => StatusCode::OK,
        Err(e) => e.status_code(),
    };
    html_response(
        status,
        page(
            lang,
            lang.t("Afspraken", "Agreements"),
            Some(p),
            agreements_markup(lang, p, &s, app.config.advance_limit_cents, Some(note)),
        ),
    )
}
