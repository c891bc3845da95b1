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
use crate::views::{self, Severity};
use crate::{App, SESSION_COOKIE};

const CSS: &str = include_str!("../static/knop.css");
const LANG_COOKIE: &str = "knop_lang";

/// The cockpit's routes.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/static/knop.css", get(css))
        .route("/inloggen", get(login_page).post(login))
        .route("/uitloggen", post(logout))
        .route("/taal/{lang}", get(language))
        .route("/huishoudens", get(caseload))
        .route("/huishoudens/{id}", get(household))
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
            .map(|d| knop_budget::calendar::spoken(d, self.en))
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
                link rel="stylesheet" href="/static/knop.css";
            }
            body {
                a.skip href="#inhoud" { (lang.t("Naar de inhoud", "Skip to content")) }
                header.top {
                    a.brand href="/" { "knop" }
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

fn today_ms(app: &App) -> u64 {
    app.today()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .map(|z| z.timestamp().as_millisecond().max(0) as u64)
        .unwrap_or(0)
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
    let (today, ms) = (app.today(), today_ms(&app));
    let snaps: Vec<views::Snapshot> = {
        let node = app.node();
        let st = node.state();
        st.households()
            .iter()
            .filter(|(id, h)| p.role.may_see_household(**id, &h.counsellor))
            .filter_map(|(id, _)| views::snapshot(st, *id))
            .collect()
    };
    let mut rows: Vec<_> = snaps
        .iter()
        .map(|s| (views::summary(s, today, ms), views::alerts(s, today)))
        .collect();
    rows.sort_by(|a, b| b.0.urgency.cmp(&a.0.urgency).then(a.0.id.cmp(&b.0.id)));
    let title = lang.t("Huishoudens", "Households");
    html_response(
        StatusCode::OK,
        page(
            lang,
            title,
            Some(&p),
            html! {
                h1 { (title) }
                p.note { (role_name(lang, &p.role)) " · " (lang.t("vandaag", "today")) " " (knop_budget::calendar::spoken(today, lang.en)) }
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
                            @for (s, alerts) in &rows {
                                tr {
                                    td { a href=(format!("/huishoudens/{}", s.id)) { (s.id) } }
                                    td {
                                        @if let Some(a) = alerts.first() {
                                            (if lang.en { &a.message_en } else { &a.message_nl })
                                            @if alerts.len() > 1 { " (+" (alerts.len() - 1) ")" }
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
    let nf = || {
        message(
            lang,
            StatusCode::NOT_FOUND,
            lang.t("Niet gevonden", "Not found"),
            lang.t(
                "Dit huishouden bestaat niet, of u heeft er geen toegang toe.",
                "This household does not exist, or you have no access to it.",
            ),
            Some(&p),
        )
    };
    let Ok(household) = id.parse::<u128>() else {
        return nf();
    };
    let snap = views::snapshot(app.node().state(), household)
        .filter(|s| p.role.may_see_household(household, &s.state.counsellor));
    let Some(s) = snap else { return nf() };
    let today = app.today();
    let (o, f) = match (
        views::overview(&s, today, today_ms(&app)),
        views::forecast(&s, today, views::FORECAST_DAYS),
    ) {
        (Ok(o), Ok(f)) => (o, f),
        (Err(e), _) | (_, Err(e)) => {
            return message(
                lang,
                StatusCode::UNPROCESSABLE_ENTITY,
                lang.t("Kan niet berekenen", "Cannot calculate"),
                &e.to_string(),
                Some(&p),
            );
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
                p.note { (lang.t(
                    "Bedragen 'volgens afspraak' komen uit de afspraken; het saldo komt uit het grootboek.",
                    "Amounts 'as agreed' come from the agreements; the balance comes from the book.")) }
            },
        ),
    )
}
