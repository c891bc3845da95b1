//! Logging in and out: the development login (pick a user) and OpenID Connect (DigiD or
//! eHerkenning through a broker).

use std::sync::Arc;

use axum::extract::{Form, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::html;
use serde::Deserialize;

use super::{html_response, message, page, role_name, CsrfForm, Lang};
use crate::auth::MaybePrincipal;
use crate::{App, SESSION_COOKIE};

/// The login pages' routes.
pub(super) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/inloggen", get(login_page).post(login))
        .route("/inloggen/oidc", get(oidc_start))
        .route("/inloggen/callback", get(oidc_callback))
        .route("/uitloggen", post(logout))
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
                                button.utrecht-button.utrecht-button--primary-action type="submit" { strong { (u.display) } br; span.note { (role_name(lang, &u.role)) } }
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
