//! The Kindpakket in the cockpit, one page per party:
//!
//! - the parent (`/huishoudens/{id}/kindpakket`, on a phone): each child's budget, what was
//!   spent where, what is left and until when, and the code to show at the till (typed and as a
//!   QR code, new every minute, used once);
//! - the shop (`/winkel`, on a till tablet): type or scan the code, see what may be bought here
//!   and what is left, enter the amount, confirm; a refusal names the rule;
//! - the municipality (`/gemeente/kindpakket`): open a fund, accept shops, issue vouchers, and
//!   the fund's report.
//!
//! Every action is the API's use-case (`crate::api::kindpakket`), with the same checks.

use std::sync::Arc;

use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use maud::{html, Markup};
use serde::Deserialize;

use super::rode_knop::{not_for_you, org_word, qr};
use super::{
    csrf_ok, euro, household_not_found, html_response, login_first, page, page_household, refused,
    Lang,
};
use crate::api::kindpakket as api;
use crate::auth::{MaybePrincipal, Principal, Role};
use crate::App;
use knop_state::kindpakket::Category;

/// The routes.
pub(super) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/huishoudens/{id}/kindpakket", get(parent_page))
        .route("/winkel", get(till_page))
        .route("/winkel/code", post(till_code))
        .route("/winkel/betalen", post(till_pay))
        .route("/winkel/annuleren", post(till_cancel))
        .route("/gemeente/kindpakket", get(municipality_page))
        .route("/gemeente/kindpakket/{fund}/rapport.csv", get(fund_csv))
        .route("/gemeente/kindpakket/regeling", post(open_fund))
        .route("/gemeente/kindpakket/winkel", post(accept))
        .route("/gemeente/kindpakket/tegoed", post(issue))
        .route("/gemeente/kindpakket/blokkeren", post(block))
        .route("/gemeente/kindpakket/opnieuw", post(reissue))
}

/// A category, as people read it.
fn category_word(lang: Lang, c: &str) -> &'static str {
    match c {
        "sport" => lang.t("sport", "sport"),
        "culture" => lang.t("cultuur", "culture"),
        "school" => lang.t("school", "school"),
        "clothing" => lang.t("kleding", "clothing"),
        "bicycles" => lang.t("fietsen", "bicycles"),
        "computers" => lang.t("computers", "computers"),
        _ => lang.t("zwemles", "swimming lessons"),
    }
}

fn words(lang: Lang, cats: &[String]) -> String {
    cats.iter()
        .map(|c| category_word(lang, c))
        .collect::<Vec<_>>()
        .join(", ")
}

fn note(ok: bool, body: Markup) -> Markup {
    if ok {
        html! { div.good role="status" { (body) } }
    } else {
        html! { div.bad role="alert" { (body) } }
    }
}

// ---------------------------------------------------------------- the parent

async fn parent_page(
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
    let vouchers = knop_app::kindpakket::of_household(app.node().state(), s.household);
    let parent = matches!(p.role, Role::Resident { .. });
    let body = html! {
        h1 { (lang.t("Kindpakket", "Child package")) }
        @if vouchers.is_empty() {
            p { (lang.t("Er is geen Kindpakket voor uw gezin.", "There is no child package for your family.")) }
        } @else {
            p { (lang.t(
                "Voor elk kind is er een budget. U betaalt ermee in de winkels die meedoen: laat de code zien bij de kassa.",
                "Each child has a budget. You pay with it in the shops that take part: show the code at the till.")) }
        }
        @for (i, v) in vouchers.iter().enumerate() {
            section.card aria-labelledby=(format!("v-{}", v.id)) {
                h2 id=(format!("v-{}", v.id)) { (lang.t("Kind", "Child")) " " (i + 1) ": " (euro(v.left_cents)) " " (lang.t("over", "left")) }
                p {
                    (lang.t("Van", "Of")) " " (euro(v.budget_cents)) ". "
                    (lang.t("Te besteden tot en met", "To spend up to and including")) " " (lang.date(&v.until)) ", "
                    (lang.t("aan", "on")) " " (words(lang, &v.categories)) "."
                }
                @if v.blocked {
                    p.bad role="status" { (lang.t("Dit tegoed is geblokkeerd. De gemeente geeft het opnieuw uit; vraag ernaar bij uw consulent.",
                                                  "This voucher is blocked. The municipality reissues it; ask your counsellor.")) }
                } @else if parent && v.left_cents > 0 {
                    @match api::code_for(&app, &p, &id, &v.id) {
                        Ok(c) => {
                            div.code {
                                p { (lang.t("Uw code voor de kassa:", "Your code for the till:")) }
                                p.bigcode { strong { (c.code) } }
                                div.qr { (qr(&c.code)) }
                                p.note { (lang.t(
                                    "Eén keer te gebruiken, en maar twee minuten geldig: een foto ervan werkt later niet. Vernieuw de pagina voor een nieuwe code.",
                                    "Use it once; it is valid for two minutes only, so a photo of it will not work later. Reload the page for a new code.")) }
                            }
                        }
                        Err(e) => { p.note { (e.detail) } }
                    }
                }
                @if v.spends.is_empty() {
                    p.note { (lang.t("Nog niets besteed.", "Nothing spent yet.")) }
                } @else {
                    h3 { (lang.t("Besteed", "Spent")) }
                    ul {
                        @for sp in &v.spends {
                            li {
                                (lang.date(&sp.date)) ": " (euro(sp.cents)) " " (lang.t("bij", "at")) " " (org_word(&sp.merchant)) " (" (category_word(lang, &sp.category)) ")"
                                @if sp.cancelled { " — " (lang.t("geannuleerd, terug op het tegoed", "cancelled, back on the voucher")) }
                            }
                        }
                    }
                }
            }
        }
        p { a href=(format!("/huishoudens/{id}")) { (lang.t("Terug naar het overzicht", "Back to the overview")) } }
    };
    html_response(
        StatusCode::OK,
        page(lang, lang.t("Kindpakket", "Child package"), Some(&p), body),
    )
}

// ---------------------------------------------------------------- the shop

const FOR_SHOP: (&str, &str) = (
    "Deze pagina is voor de winkels die het Kindpakket aannemen.",
    "This page is for the shops that take the child package.",
);

async fn till_page(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
) -> Response {
    let lang = Lang::of(&headers);
    let Some(p) = p else { return login_first() };
    till_answer(&app, lang, &p, StatusCode::OK, None, None)
}

/// The till: a code form, or (with a checked code) the purchase form.
fn till_answer(
    app: &App,
    lang: Lang,
    p: &Principal,
    status: StatusCode,
    result: Option<Markup>,
    checked: Option<(&str, &api::AtTheTill)>,
) -> Response {
    let Some(shop) = p.role.merchant() else {
        return not_for_you(lang, p, FOR_SHOP);
    };
    let csrf = p.csrf.clone().unwrap_or_default();
    let body = html! {
        h1 { (org_word(shop)) ": " (lang.t("Kindpakket aan de kassa", "Child package at the till")) }
        @if let Some(r) = result { (r) }
        @match checked {
            Some((code, t)) => {
                p { (lang.t("Nog over:", "Left:")) " " strong { (euro(t.left_cents)) } ". "
                    (lang.t("Hier te besteden aan:", "To spend here on:")) " " (words(lang, &t.categories_here)) ". "
                    (lang.t("Ten hoogste", "At most")) " " (euro(t.cap_cents)) " " (lang.t("per aankoop.", "per purchase.")) }
                form method="post" action="/winkel/betalen" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="code" value=(code);
                    p { label.utrecht-form-label for="w-category" { (lang.t("Wat wordt er gekocht?", "What is bought?")) } br;
                        select.utrecht-select.utrecht-select--html-select id="w-category" name="category" {
                            @for c in &t.categories_here { option value=(c) { (category_word(lang, c)) } }
                        } }
                    p { label.utrecht-form-label for="w-amount" { (lang.t("Bedrag in euro", "Amount in euros")) } br;
                        input.utrecht-textbox.utrecht-textbox--html-input id="w-amount" name="amount" required inputmode="decimal" autocomplete="off"; }
                    p { button.utrecht-button.utrecht-button--primary-action type="submit" { (lang.t("Afrekenen", "Pay")) } }
                }
                p { a href="/winkel" { (lang.t("Andere code", "Another code")) } }
            }
            None => {
                form method="post" action="/winkel/code" {
                    input type="hidden" name="csrf" value=(csrf);
                    p { label.utrecht-form-label for="w-code" { (lang.t("Code van de klant (typ of scan)", "The customer's code (type or scan)")) } br;
                        input.utrecht-textbox.utrecht-textbox--html-input id="w-code" name="code" required autocomplete="off" autocapitalize="characters"; }
                    p { button.utrecht-button.utrecht-button--primary-action type="submit" { (lang.t("Controleren", "Check")) } }
                }
                (super::payouts::shop_section(app, lang, p, shop))
            }
        }
    };
    html_response(status, page(lang, lang.t("Kassa", "Till"), Some(p), body))
}

/// The till again, with the outcome of an action taken under it (a refund).
pub(super) fn till_after(
    app: &App,
    lang: Lang,
    p: &Principal,
    r: crate::problem::ApiResult<Markup>,
) -> Response {
    let (status, n) = match r {
        Ok(m) => (StatusCode::OK, note(true, m)),
        Err(e) => (
            e.status_code(),
            note(
                false,
                html! { strong { (lang.t("Dat lukte niet:", "That did not work:")) } " " (e.detail) },
            ),
        ),
    };
    till_answer(app, lang, p, status, Some(n), None)
}

#[derive(Deserialize)]
struct CodeForm {
    csrf: String,
    code: String,
}

async fn till_code(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
    Form(f): Form<CodeForm>,
) -> Response {
    let lang = Lang::of(&headers);
    let Some(p) = p else { return login_first() };
    if !csrf_ok(&p, &f.csrf) {
        return refused(lang, &p);
    }
    let code = f.code.trim().to_uppercase();
    let check = api::CodeCheck { code: code.clone() };
    match api::check(&app, &p, &check) {
        Ok(t) => till_answer(&app, lang, &p, StatusCode::OK, None, Some((&code, &t))),
        Err(e) => {
            let n = note(false, html! { (e.detail) });
            till_answer(&app, lang, &p, e.status_code(), Some(n), None)
        }
    }
}

#[derive(Deserialize)]
struct PayForm {
    csrf: String,
    code: String,
    category: String,
    amount: String,
}

async fn till_pay(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
    Form(f): Form<PayForm>,
) -> Response {
    let lang = Lang::of(&headers);
    let Some(p) = p else { return login_first() };
    if !csrf_ok(&p, &f.csrf) {
        return refused(lang, &p);
    }
    let result = match knop_book::Cents::parse_euros(f.amount.trim()) {
        Err(e) => Err(crate::Problem::unprocessable(format!("amount: {e}"))),
        Ok(c) => {
            let s = api::NewSpend {
                code: f.code.clone(),
                category: f.category.clone(),
                cents: c.0,
            };
            api::take(&app, &p, s).await
        }
    };
    match result {
        Ok(t) => {
            let csrf = p.csrf.clone().unwrap_or_default();
            let n = note(
                true,
                html! {
                    strong { (lang.t("Betaald:", "Paid:")) " " (euro(t.cents)) "." } " "
                    (lang.t("Nog over op dit tegoed:", "Left on this voucher:")) " " (euro(t.left_cents)) "."
                    form method="post" action="/winkel/annuleren" {
                        input type="hidden" name="csrf" value=(csrf);
                        input type="hidden" name="spend" value=(t.spend);
                        button.utrecht-button.utrecht-button--secondary-action type="submit" { (lang.t("Annuleren (vandaag nog)", "Cancel (today only)")) }
                    }
                },
            );
            till_answer(&app, lang, &p, StatusCode::OK, Some(n), None)
        }
        Err(e) => {
            let n = note(
                false,
                html! { strong { (lang.t("Niet betaald:", "Not paid:")) } " " (e.detail) },
            );
            let check = api::CodeCheck {
                code: f.code.clone(),
            };
            let again = api::check(&app, &p, &check).ok();
            till_answer(
                &app,
                lang,
                &p,
                e.status_code(),
                Some(n),
                again.as_ref().map(|t| (f.code.as_str(), t)),
            )
        }
    }
}

#[derive(Deserialize)]
struct CancelForm {
    csrf: String,
    spend: String,
}

async fn till_cancel(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
    Form(f): Form<CancelForm>,
) -> Response {
    let lang = Lang::of(&headers);
    let Some(p) = p else { return login_first() };
    if !csrf_ok(&p, &f.csrf) {
        return refused(lang, &p);
    }
    let (status, n) = match api::cancel(&app, &p, &f.spend).await {
        Ok(t) => (
            StatusCode::OK,
            note(
                true,
                html! { strong { (lang.t("Geannuleerd:", "Cancelled:")) " " (euro(t.cents)) " " (lang.t("terug op het tegoed.", "back on the voucher.")) } " "
                (lang.t("Nu over:", "Now left:")) " " (euro(t.left_cents)) "." },
            ),
        ),
        Err(e) => (
            e.status_code(),
            note(
                false,
                html! { strong { (lang.t("Niet geannuleerd:", "Not cancelled:")) } " " (e.detail) },
            ),
        ),
    };
    till_answer(&app, lang, &p, status, Some(n), None)
}

// ---------------------------------------------------------------- the municipality

pub(super) const FOR_MUNICIPALITY: (&str, &str) = (
    "Deze pagina is voor de medewerkers van de gemeente.",
    "This page is for the municipality's staff.",
);

async fn municipality_page(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
) -> Response {
    let lang = Lang::of(&headers);
    let Some(p) = p else { return login_first() };
    municipality_answer(&app, lang, &p, StatusCode::OK, None)
}

fn municipality_answer(
    app: &App,
    lang: Lang,
    p: &Principal,
    status: StatusCode,
    result: Option<Markup>,
) -> Response {
    let Some(org) = p.role.municipality() else {
        return not_for_you(lang, p, FOR_MUNICIPALITY);
    };
    let (reports, merchants) = {
        let node = app.node();
        let st = node.state();
        let reports: Vec<_> = st
            .funds()
            .iter()
            .filter(|(_, f)| f.owner.as_str() == org)
            .filter_map(|(id, _)| knop_app::kindpakket::report(st, id))
            .collect();
        let merchants: Vec<String> = st
            .orgs()
            .iter()
            .filter(|(_, o)| o.kind == knop_state::OrgKind::Merchant)
            .map(|(n, _)| n.to_string())
            .collect();
        (reports, merchants)
    };
    let csrf = p.csrf.clone().unwrap_or_default();
    let body = html! {
        h1 { (lang.t("Kindpakket", "Child package")) }
        @if let Some(r) = result { (r) }
        @for r in &reports {
            section.card aria-labelledby=(format!("f-{}", r.fund)) {
                h2 id=(format!("f-{}", r.fund)) { (lang.t("Regeling", "Fund")) " " (r.fund) }
                div.cards {
                    div.card { div.label { (lang.t("Uitgegeven", "Issued")) } div.value { (euro(r.issued_cents)) } }
                    div.card { div.label { (lang.t("Besteed", "Spent")) } div.value { (euro(r.spent_cents)) } }
                    div.card { div.label { (lang.t("Nog over", "Left")) } div.value { (euro(r.left_cents)) } }
                    div.card { div.label { (lang.t("Tegoeden gebruikt", "Vouchers used")) } div.value { (r.vouchers_used) " / " (r.vouchers) } }
                    div.card { div.label { (lang.t("Gestort door de gemeente", "Put in by the municipality")) } div.value { (euro(r.topped_up_cents)) } }
                    div.card { div.label { (lang.t("Betaald aan winkels (volgens de bank)", "Paid to shops (per the bank)")) } div.value { (euro(r.paid_out_cents)) } }
                    div.card { div.label { (lang.t("In uitbetalingen, nog niet betaald", "In payouts, not paid yet")) } div.value { (euro(r.in_payouts_cents)) } }
                    div.card { div.label { (lang.t("Nog niet in een uitbetaling", "Not in a payout yet")) } div.value { (euro(r.owed_cents)) }
                        @if r.owed_cents < 0 { div.label { (lang.t("Een winkel gaf geld terug na een uitbetaling; dat gaat af van de volgende uitbetaling.", "A shop gave money back after a payout; it comes off the next payout.")) } } }
                }
                @if !r.per_category.is_empty() {
                    table.utrecht-table {
                        caption.utrecht-table__caption.note { (lang.t("Besteed per soort", "Spent per category")) }
                        tbody.utrecht-table__body {
                            @for (c, cents) in &r.per_category {
                                tr.utrecht-table__row { th.utrecht-table__header-cell scope="row" { (category_word(lang, c)) } td.utrecht-table__cell { (euro(*cents)) }
                                    td.utrecht-table__cell aria-hidden="true" { meter.bar min="0" max=(r.spent_cents.max(1)) value=((*cents).max(0)) {} } }
                            }
                        }
                    }
                }
                @if !r.per_merchant.is_empty() {
                    table.utrecht-table {
                        caption.utrecht-table__caption.note { (lang.t("Besteed per winkel", "Spent per shop")) }
                        tbody.utrecht-table__body {
                            @for (m, cents) in &r.per_merchant {
                                tr.utrecht-table__row { th.utrecht-table__header-cell scope="row" { (org_word(m)) } td.utrecht-table__cell { (euro(*cents)) }
                                    td.utrecht-table__cell aria-hidden="true" { meter.bar min="0" max=(r.spent_cents.max(1)) value=((*cents).max(0)) {} } }
                            }
                        }
                    }
                }
                (super::payouts::fund_section(app, lang, p, &r.fund, &csrf))
                p { a href=(format!("/gemeente/kindpakket/{}/rapport.csv", r.fund)) download { (lang.t("Het overzicht als CSV (voor een spreadsheet)", "The report as CSV (for a spreadsheet)")) } }
                details {
                    summary { (lang.t("Winkel toelaten of tegoed uitgeven", "Accept a shop or issue a voucher")) }
                    form method="post" action="/gemeente/kindpakket/winkel" {
                        input type="hidden" name="csrf" value=(csrf);
                        input type="hidden" name="fund" value=(r.fund);
                        p { label.utrecht-form-label for=(format!("m-{}", r.fund)) { (lang.t("Winkel", "Shop")) } br;
                            select.utrecht-select.utrecht-select--html-select id=(format!("m-{}", r.fund)) name="merchant" {
                                @for m in &merchants { option value=(m) { (org_word(m)) } }
                            } }
                        (category_boxes(lang, &format!("mc-{}", r.fund)))
                        p { button.utrecht-button.utrecht-button--secondary-action type="submit" { (lang.t("Winkel toelaten", "Accept shop")) } }
                    }
                    form method="post" action="/gemeente/kindpakket/tegoed" {
                        input type="hidden" name="csrf" value=(csrf);
                        input type="hidden" name="fund" value=(r.fund);
                        // The voucher's key, made with the form: sent twice, issued once.
                        input type="hidden" name="key" value=(knop_app::random_token());
                        p { label.utrecht-form-label for=(format!("h-{}", r.fund)) { (lang.t("Huishouden (nummer), één tegoed per kind", "Household (number), one voucher per child")) } br;
                            input.utrecht-textbox.utrecht-textbox--html-input id=(format!("h-{}", r.fund)) name="household" required inputmode="numeric"; }
                        p { button.utrecht-button.utrecht-button--secondary-action type="submit" { (lang.t("Tegoed uitgeven", "Issue voucher")) } }
                    }
                }
            }
        }
        @if !reports.is_empty() {
            h2 { (lang.t("Tegoed blokkeren of opnieuw uitgeven", "Block or reissue a voucher")) }
            p { (lang.t("Telefoon kwijt of misbruik? Blokkeer het tegoed; geef het daarna opnieuw uit: het nieuwe tegoed krijgt wat er over was.",
                        "Phone lost or misuse? Block the voucher; then reissue it: the new voucher gets what was left.")) }
            form method="post" action="/gemeente/kindpakket/blokkeren" {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="key" value=(knop_app::random_token());
                p { label.utrecht-form-label for="b-voucher" { (lang.t("Tegoed (de letters voor het streepje in de code)", "Voucher (the letters before the dash in the code)")) } br;
                    input.utrecht-textbox.utrecht-textbox--html-input id="b-voucher" name="voucher" required autocomplete="off"; }
                p {
                    button.utrecht-button.utrecht-button--secondary-action type="submit" name="action" value="block" { (lang.t("Blokkeren", "Block")) }
                    " "
                    button.utrecht-button.utrecht-button--secondary-action type="submit" formaction="/gemeente/kindpakket/opnieuw" { (lang.t("Opnieuw uitgeven", "Reissue")) }
                }
            }
        }
        h2 { (lang.t("Nieuwe regeling", "New fund")) }
        form method="post" action="/gemeente/kindpakket/regeling" {
            input type="hidden" name="csrf" value=(csrf);
            p { label.utrecht-form-label for="n-id" { (lang.t("Naam (letters, cijfers, -)", "Name (letters, digits, -)")) } br;
                input.utrecht-textbox.utrecht-textbox--html-input id="n-id" name="id" required maxlength="64"; }
            p { label.utrecht-form-label for="n-budget" { (lang.t("Budget per kind in euro", "Budget per child in euros")) } br;
                input.utrecht-textbox.utrecht-textbox--html-input id="n-budget" name="budget" required inputmode="decimal"; }
            p { label.utrecht-form-label for="n-cap" { (lang.t("Ten hoogste per aankoop in euro", "At most per purchase in euros")) } br;
                input.utrecht-textbox.utrecht-textbox--html-input id="n-cap" name="cap" required inputmode="decimal"; }
            p { label.utrecht-form-label for="n-from" { (lang.t("Van", "From")) } br;
                input.utrecht-textbox.utrecht-textbox--html-input id="n-from" name="from" type="date" required; }
            p { label.utrecht-form-label for="n-until" { (lang.t("Tot en met", "Up to and including")) } br;
                input.utrecht-textbox.utrecht-textbox--html-input id="n-until" name="until" type="date" required; }
            (category_boxes(lang, "nc"))
            p { button.utrecht-button.utrecht-button--primary-action type="submit" { (lang.t("Regeling openen", "Open fund")) } }
        }
    };
    html_response(
        status,
        page(lang, lang.t("Kindpakket", "Child package"), Some(p), body),
    )
}

fn category_boxes(lang: Lang, prefix: &str) -> Markup {
    html! {
        fieldset {
            legend { (lang.t("Waaraan mag het besteed worden?", "What may it be spent on?")) }
            @for c in Category::ALL {
                p { input.utrecht-checkbox id=(format!("{prefix}-{}", c.name())) type="checkbox" name=(c.name()) value="1";
                    " " label for=(format!("{prefix}-{}", c.name())) { (category_word(lang, c.name())) } }
            }
        }
    }
}

/// The categories ticked in a form's fields.
fn ticked(fields: &std::collections::HashMap<String, String>) -> Vec<String> {
    Category::ALL
        .into_iter()
        .filter(|c| fields.contains_key(c.name()))
        .map(|c| c.name().to_owned())
        .collect()
}

pub(super) type Fields = std::collections::HashMap<String, String>;

/// The caller of one of the municipality's forms and their language, or the answer when they
/// are not logged in or the form's token is not theirs.
pub(super) fn form_caller(
    headers: &HeaderMap,
    p: Option<Principal>,
    f: &Fields,
) -> Result<(Lang, Principal), Box<Response>> {
    let lang = Lang::of(headers);
    let Some(p) = p else {
        return Err(Box::new(login_first()));
    };
    if !csrf_ok(&p, field(f, "csrf")) {
        return Err(Box::new(refused(lang, &p)));
    }
    Ok((lang, p))
}

pub(super) fn field<'a>(f: &'a Fields, name: &str) -> &'a str {
    f.get(name).map(String::as_str).unwrap_or_default()
}

pub(super) async fn changed(
    app: &Arc<App>,
    lang: Lang,
    p: &Principal,
    r: crate::problem::ApiResult<String>,
) -> Response {
    let (status, n) = match r {
        Ok(msg) => (StatusCode::OK, note(true, html! { (msg) })),
        Err(e) => (
            e.status_code(),
            note(
                false,
                html! { strong { (lang.t("Dat lukte niet:", "That did not work:")) } " " (e.detail) },
            ),
        ),
    };
    municipality_answer(app, lang, p, status, Some(n))
}

async fn open_fund(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
    Form(f): Form<Fields>,
) -> Response {
    let (lang, p) = match form_caller(&headers, p, &f) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let euros = |name: &str| {
        knop_book::Cents::parse_euros(field(&f, name).trim())
            .map(|c| c.0)
            .map_err(|e| crate::Problem::unprocessable(format!("{name}: {e}")))
    };
    let date = |name: &str| {
        field(&f, name)
            .trim()
            .parse()
            .map_err(|_| crate::Problem::unprocessable(format!("{name}: a date as 2026-12-31")))
    };
    let r = async {
        let nf = api::NewFund {
            id: field(&f, "id").trim().to_owned(),
            child_cents: euros("budget")?,
            from: date("from")?,
            until: date("until")?,
            categories: ticked(&f),
            cap_cents: euros("cap")?,
        };
        api::open(&app, &p, nf).await.map(|r| {
            format!(
                "{} {} {}.",
                lang.t("Regeling", "Fund"),
                r.fund,
                lang.t("geopend", "opened")
            )
        })
    }
    .await;
    changed(&app, lang, &p, r).await
}

async fn accept(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
    Form(f): Form<Fields>,
) -> Response {
    let (lang, p) = match form_caller(&headers, p, &f) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let m = api::NewMerchant {
        merchant: field(&f, "merchant").to_owned(),
        categories: ticked(&f),
    };
    let shop = org_word(&m.merchant);
    let r = api::accept(&app, &p, field(&f, "fund"), m)
        .await
        .map(|_| format!("{shop} {}", lang.t("doet mee.", "takes part.")));
    changed(&app, lang, &p, r).await
}

async fn issue(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
    Form(f): Form<Fields>,
) -> Response {
    let (lang, p) = match form_caller(&headers, p, &f) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let v = api::NewVoucher {
        household: field(&f, "household").trim().to_owned(),
        key: Some(field(&f, "key").to_owned()).filter(|k| !k.is_empty()),
    };
    let r = api::issue(&app, &p, field(&f, "fund"), v).await.map(|v| {
        format!(
            "{} {}: {}.",
            lang.t("Tegoed uitgegeven", "Voucher issued"),
            v.id,
            euro(v.budget_cents)
        )
    });
    changed(&app, lang, &p, r).await
}

async fn block(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
    Form(f): Form<Fields>,
) -> Response {
    let (lang, p) = match form_caller(&headers, p, &f) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let voucher = field(&f, "voucher").trim().to_uppercase();
    let r = api::block(&app, &p, &voucher).await.map(|v| {
        format!(
            "{} {}: {} {}.",
            lang.t("Tegoed", "Voucher"),
            v.id,
            lang.t("geblokkeerd, nog", "blocked, still"),
            euro(v.left_cents)
        )
    });
    changed(&app, lang, &p, r).await
}

async fn reissue(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
    Form(f): Form<Fields>,
) -> Response {
    let (lang, p) = match form_caller(&headers, p, &f) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let voucher = field(&f, "voucher").trim().to_uppercase();
    let key = Some(field(&f, "key").to_owned()).filter(|k| !k.is_empty());
    let r = api::reissue(&app, &p, &voucher, key).await.map(|v| {
        format!(
            "{} {}: {}.",
            lang.t("Opnieuw uitgegeven als", "Reissued as"),
            v.id,
            euro(v.left_cents)
        )
    });
    changed(&app, lang, &p, r).await
}

/// The fund's report as CSV (its municipality's staff).
async fn fund_csv(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
    Path(fund): Path<String>,
) -> Response {
    use axum::response::IntoResponse;
    let lang = Lang::of(&headers);
    let Some(p) = p else { return login_first() };
    let Some(org) = p.role.municipality() else {
        return not_for_you(lang, &p, FOR_MUNICIPALITY);
    };
    let report = {
        let node = app.node();
        let st = node.state();
        st.funds()
            .get(&fund)
            .filter(|f| f.owner.as_str() == org)
            .and_then(|_| knop_app::kindpakket::report(st, &fund))
    };
    let Some(r) = report else {
        return not_for_you(lang, &p, FOR_MUNICIPALITY);
    };
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/csv; charset=utf-8".to_owned(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"kindpakket-{}.csv\"", r.fund),
            ),
        ],
        knop_app::report::fund_csv(&r),
    )
        .into_response()
}
