//! A household's agreements and advance limit, as its counsellor manages them.

use std::sync::Arc;

use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use maud::{html, Markup};
use serde::Deserialize;

use super::{
    csrf_ok, euro, household_not_found, html_response, login_first, page, page_household, refused,
    Lang,
};
use crate::auth::{MaybePrincipal, Principal};
use crate::App;
use knop_app::views;

/// The agreements pages' routes.
pub(super) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route(
            "/huishoudens/{id}/afspraken",
            get(agreements_page).post(save_agreement),
        )
        .route(
            "/huishoudens/{id}/voorschotlimiet",
            post(save_advance_limit),
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
            p {
                label for="a-ref" { (lang.t("Kenmerk of omschrijving op de betaling", "Reference on the payment")) } br;
                input id="a-ref" name="reference" aria-describedby="a-ref-hint";
                br; span.note id="a-ref-hint" { (lang.t(
                    "Staat er een betalingskenmerk (16 cijfers) of een RF-kenmerk op de rekening? Neem het precies over: knop stuurt het dan zo mee dat de schuldeiser de betaling vanzelf herkent.",
                    "Does the bill show a payment reference (16 digits) or an RF reference? Copy it exactly: knop then sends it so that the creditor recognises the payment automatically.")) }
            }
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
        Ok(c) => crate::api::households::set_advance_limit(&app, &p, &id, c.0)
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
        Ok(a) => crate::api::households::set_agreement(&app, &p, &id, a)
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
