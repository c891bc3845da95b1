//! The Kindpakket's money after the till, in the cockpit:
//!
//! - the municipality (on `/gemeente/kindpakket`, per fund): the shops' bank accounts, a payout
//!   made by one person and approved by a second, its payment file, and the bank statement that
//!   confirms it and tops up the fund;
//! - the shop (on `/winkel`): its payouts and the purchases each covers, and a refund when
//!   something is brought back after the day of purchase.
//!
//! Every action is the API's use-case (`crate::api::payouts`), with the same checks.

use std::sync::Arc;

use axum::extract::{Form, Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use knop_app::payouts::PayoutView;
use maud::{html, Markup};

use super::kindpakket::{changed, field, form_caller, Fields, FOR_MUNICIPALITY};
use super::rode_knop::{not_for_you, org_word};
use super::{csrf_ok, euro, login_first, refused, Lang};
use crate::api::payouts as api;
use crate::auth::{MaybePrincipal, Principal};
use crate::App;

/// The routes.
pub(super) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/gemeente/kindpakket/rekening", post(set_payee))
        .route("/gemeente/kindpakket/uitbetaling", post(make))
        .route("/gemeente/kindpakket/goedkeuren", post(approve))
        .route("/gemeente/kindpakket/uitbetaling/{id}", get(pain_file))
        .route("/gemeente/kindpakket/afschrift", post(statement))
        .route("/winkel/terugbetalen", post(refund))
}

/// `1 aankoop`, `3 aankopen`.
fn purchases(lang: Lang, n: usize) -> String {
    let word = match (n, lang.english()) {
        (1, false) => "aankoop",
        (_, false) => "aankopen",
        (1, true) => "purchase",
        (_, true) => "purchases",
    };
    format!("{n} {word}")
}

fn status_word(lang: Lang, p: &PayoutView) -> String {
    match p.status.as_str() {
        "paid" => lang
            .t(
                "Betaald (op het bankafschrift)",
                "Paid (on the bank statement)",
            )
            .into(),
        "approved" => format!(
            "{} {}",
            lang.t("Goedgekeurd door", "Approved by"),
            p.approved_by.join(", ")
        ),
        _ => lang
            .t("Wacht op een tweede persoon", "Waiting for a second person")
            .into(),
    }
}

/// The municipality's payout part of a fund's card.
pub(super) fn fund_section(app: &App, lang: Lang, p: &Principal, fund: &str, csrf: &str) -> Markup {
    let (payouts, merchants, payees) = {
        let node = app.node();
        let st = node.state();
        let merchants: Vec<String> = st
            .funds()
            .get(fund)
            .map(|f| f.merchants.keys().map(|m| m.to_string()).collect())
            .unwrap_or_default();
        let payees: Vec<(String, String, String)> = st
            .payees()
            .iter()
            .filter(|((f, _), _)| f == fund)
            .map(|((_, m), x)| (m.to_string(), x.iban.clone(), x.name.clone()))
            .collect();
        (knop_app::payouts::of_fund(st, fund), merchants, payees)
    };
    let today = app.today();
    let tomorrow = today.tomorrow().unwrap_or(today);
    let from_iban = payouts
        .first()
        .map(|x| x.from_iban.clone())
        .unwrap_or_default();
    let id = |what: &str| format!("{what}-{fund}");
    html! {
        h3 { (lang.t("Uitbetalen aan de winkels", "Paying the shops")) }
        @if payouts.is_empty() {
            p { (lang.t("Nog geen uitbetalingen.", "No payouts yet.")) }
        } @else {
            table.utrecht-table {
                caption.utrecht-table__caption.note { (lang.t("Uitbetalingen, nieuwste eerst", "Payouts, newest first")) }
                thead.utrecht-table__header { tr.utrecht-table__row {
                    th.utrecht-table__header-cell scope="col" { (lang.t("Aankopen t/m", "Purchases up to")) }
                    th.utrecht-table__header-cell scope="col" { (lang.t("Bedrag", "Amount")) }
                    th.utrecht-table__header-cell scope="col" { (lang.t("Winkels", "Shops")) }
                    th.utrecht-table__header-cell scope="col" { (lang.t("Stand", "Status")) }
                } }
                tbody.utrecht-table__body {
                    @for x in &payouts {
                        tr.utrecht-table__row {
                            td.utrecht-table__cell { (lang.date(&x.until)) br; span.note { (x.id) } }
                            td.utrecht-table__cell { (euro(x.total_cents)) }
                            td.utrecht-table__cell {
                                @for l in &x.lines { (org_word(&l.merchant)) " " (euro(l.cents)) " (" (purchases(lang, l.spends.len())) ")" br;
                                    span.note { (lang.t("naar", "to")) " " (l.iban) " (" (l.name) ")" } br; }
                            }
                            td.utrecht-table__cell {
                                (status_word(lang, x))
                                @if x.status == "to_approve" {
                                    @if x.created_by == p.id {
                                        br; span.note { (lang.t("U maakte deze; een collega keurt hem goed.", "You made it; a colleague approves it.")) }
                                    } @else {
                                        form method="post" action="/gemeente/kindpakket/goedkeuren" {
                                            input type="hidden" name="csrf" value=(csrf);
                                            input type="hidden" name="payout" value=(x.id);
                                            button.utrecht-button.utrecht-button--primary-action type="submit" { (lang.t("Goedkeuren", "Approve")) }
                                        }
                                    }
                                } @else {
                                    br; a href=(format!("/gemeente/kindpakket/uitbetaling/{}", x.id)) download { (lang.t("Betaalbestand voor de bank (pain.001)", "Payment file for the bank (pain.001)")) }
                                }
                            }
                        }
                    }
                }
            }
        }
        details {
            summary { (lang.t("Uitbetaling maken", "Make a payout")) }
            p.note { (lang.t("Alle aankopen en terugbetalingen tot en met de gekozen dag die nog niet uitbetaald zijn, per winkel opgeteld. Een tweede persoon keurt de uitbetaling goed; daarna is het betaalbestand er.",
                             "Every purchase and refund up to the chosen day not paid yet, added up per shop. A second person approves the payout; then its payment file is ready.")) }
            form method="post" action="/gemeente/kindpakket/uitbetaling" {
                input type="hidden" name="csrf" value=(csrf);
                // The payout's key, made with the form: sent twice, made once.
                input type="hidden" name="key" value=(knop_app::random_token());
                input type="hidden" name="fund" value=(fund);
                p { label.utrecht-form-label for=(id("pu")) { (lang.t("Aankopen tot en met", "Purchases up to and including")) } br;
                    input.utrecht-textbox.utrecht-textbox--html-input id=(id("pu")) name="until" type="date" required value=(today.to_string()); }
                p { label.utrecht-form-label for=(id("pe")) { (lang.t("Betaaldag", "Payment day")) } br;
                    input.utrecht-textbox.utrecht-textbox--html-input id=(id("pe")) name="execution" type="date" required value=(tomorrow.to_string()); }
                p { label.utrecht-form-label for=(id("pi")) { (lang.t("Van de rekening van de gemeente (IBAN)", "From the municipality's account (IBAN)")) } br;
                    input.utrecht-textbox.utrecht-textbox--html-input id=(id("pi")) name="from_iban" required autocomplete="off" value=(from_iban); }
                p { button.utrecht-button.utrecht-button--primary-action type="submit" { (lang.t("Uitbetaling maken", "Make payout")) } }
            }
        }
        details {
            summary { (lang.t("Rekening van een winkel", "A shop's bank account")) }
            @if !payees.is_empty() {
                ul { @for (m, iban, name) in &payees { li { (org_word(m)) ": " (iban) " (" (name) ")" } } }
            }
            @if merchants.is_empty() {
                p { (lang.t("Laat eerst een winkel toe.", "Accept a shop first.")) }
            } @else {
                form method="post" action="/gemeente/kindpakket/rekening" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="fund" value=(fund);
                    p { label.utrecht-form-label for=(id("ym")) { (lang.t("Winkel", "Shop")) } br;
                        select.utrecht-select.utrecht-select--html-select id=(id("ym")) name="merchant" {
                            @for m in &merchants { option value=(m) { (org_word(m)) } }
                        } }
                    p { label.utrecht-form-label for=(id("yi")) { "IBAN" } br;
                        input.utrecht-textbox.utrecht-textbox--html-input id=(id("yi")) name="iban" required autocomplete="off"; }
                    p { label.utrecht-form-label for=(id("yn")) { (lang.t("Naam van de rekeninghouder", "Account holder's name")) } br;
                        input.utrecht-textbox.utrecht-textbox--html-input id=(id("yn")) name="name" required maxlength="70" autocomplete="off"; }
                    p { button.utrecht-button.utrecht-button--secondary-action type="submit" { (lang.t("Rekening vastleggen", "Record account")) } }
                }
            }
        }
        details {
            summary { (lang.t("Bankafschrift van de gemeente inlezen", "Read the municipality's bank statement")) }
            p.note { (lang.t("Uitbetalingen op het afschrift worden als betaald gemarkeerd. Een storting in de regeling herkent knop aan de omschrijving",
                             "Payouts on the statement are marked paid. knop recognises a transfer into the fund by the description")) " "
                     strong { (knop_app::payouts::topup_code(fund)) } "." }
            form method="post" action="/gemeente/kindpakket/afschrift" enctype="multipart/form-data" {
                input type="hidden" name="csrf" value=(csrf);
                p { label.utrecht-form-label for=(id("st")) { (lang.t("Bestand (camt.053)", "File (camt.053)")) } br;
                    input id=(id("st")) name="bestand" type="file" accept=".xml,application/xml,text/xml" required; }
                p { button.utrecht-button.utrecht-button--secondary-action type="submit" { (lang.t("Inlezen", "Read")) } }
            }
        }
    }
}

/// The shop's payouts and recent purchases, under its till.
pub(super) fn shop_section(app: &App, lang: Lang, p: &Principal, shop: &str) -> Markup {
    let Ok(name) = knop_ledger::entry::OrgName::parse(shop) else {
        return html! {};
    };
    let csrf = p.csrf.clone().unwrap_or_default();
    let (payouts, recent, owed) = {
        let node = app.node();
        let st = node.state();
        let mut recent: Vec<(u64, String, i64, String, String)> = st
            .spends()
            .iter()
            .filter(|(_, s)| s.merchant == name && !s.cancelled)
            .map(|(id, s)| {
                let left = s.cents - st.refunded(id);
                (
                    s.index,
                    id.clone(),
                    left,
                    s.date.to_string(),
                    s.category.name().to_owned(),
                )
            })
            .filter(|x| x.2 > 0)
            .collect();
        recent.sort_by_key(|x| std::cmp::Reverse(x.0));
        recent.truncate(20);
        let owed: i64 = st
            .funds()
            .iter()
            .filter(|(_, f)| f.merchants.contains_key(&name))
            .filter_map(|(id, _)| {
                st.book()
                    .account(knop_state::kindpakket::merchant_account(id, shop))
                    .map(|a| a.credits_posted.0 - a.debits_posted.0)
            })
            .sum();
        (knop_app::payouts::of_merchant(st, &name), recent, owed)
    };
    html! {
        h2 { (lang.t("Uitbetalingen door de gemeente", "Payouts by the municipality")) }
        p { (lang.t("Nog niet in een uitbetaling:", "Not in a payout yet:")) " " strong { (euro(owed)) } "." }
        @if payouts.is_empty() {
            p { (lang.t("Nog geen uitbetalingen.", "No payouts yet.")) }
        } @else {
            table.utrecht-table {
                thead.utrecht-table__header { tr.utrecht-table__row {
                    th.utrecht-table__header-cell scope="col" { (lang.t("Aankopen t/m", "Purchases up to")) }
                    th.utrecht-table__header-cell scope="col" { (lang.t("Bedrag", "Amount")) }
                    th.utrecht-table__header-cell scope="col" { (lang.t("Stand", "Status")) }
                } }
                tbody.utrecht-table__body {
                    @for x in &payouts {
                        @for l in &x.lines {
                            tr.utrecht-table__row {
                                td.utrecht-table__cell { (lang.date(&x.until)) }
                                td.utrecht-table__cell {
                                    (euro(l.cents))
                                    details {
                                        summary { (purchases(lang, l.spends.len()))
                                            @if !l.refunds.is_empty() { ", " (l.refunds.len()) " " (lang.t("terugbetaald", "refunded")) } }
                                        ul { @for s in &l.spends { li { (s) } } @for r in &l.refunds { li { (r) " (" (lang.t("terug", "refund")) ")" } } }
                                        p.note { (lang.t("Kenmerk bij de bank:", "Reference at the bank:")) " " (l.end_to_end_id) }
                                    }
                                }
                                td.utrecht-table__cell {
                                    @match &l.paid {
                                        Some(d) => { (lang.t("Betaald op", "Paid on")) " " (lang.date(d)) }
                                        None if x.status == "approved" => { (lang.t("Onderweg naar uw rekening", "On its way to your account")) }
                                        None => { (lang.t("Wacht op goedkeuring", "Waiting for approval")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if !recent.is_empty() {
            details {
                summary { (lang.t("Geld terug na retour (na de dag van aankoop)", "Money back after a return (after the day of purchase)")) }
                p.note { (lang.t("Het bedrag gaat terug op het tegoed van het kind en gaat af van uw volgende uitbetaling.",
                                 "The amount goes back to the child's voucher and comes off your next payout.")) }
                form method="post" action="/winkel/terugbetalen" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="key" value=(knop_app::random_token());
                    p { label.utrecht-form-label for="r-spend" { (lang.t("Aankoop", "Purchase")) } br;
                        select.utrecht-select.utrecht-select--html-select id="r-spend" name="spend" {
                            @for (_, id, left, date, _) in &recent { option value=(id) { (date) " · " (euro(*left)) " · " (id) } }
                        } }
                    p { label.utrecht-form-label for="r-amount" { (lang.t("Bedrag terug in euro", "Amount back in euros")) } br;
                        input.utrecht-textbox.utrecht-textbox--html-input id="r-amount" name="amount" required inputmode="decimal" autocomplete="off"; }
                    p { button.utrecht-button.utrecht-button--secondary-action type="submit" { (lang.t("Terugbetalen", "Refund")) } }
                }
            }
        }
    }
}

async fn set_payee(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
    Form(f): Form<Fields>,
) -> Response {
    let (lang, p) = match form_caller(&headers, p, &f) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let b = api::NewPayee {
        merchant: field(&f, "merchant").to_owned(),
        iban: field(&f, "iban").to_owned(),
        name: field(&f, "name").to_owned(),
    };
    let shop = org_word(&b.merchant);
    let r = api::set_payee(&app, &p, field(&f, "fund"), b)
        .await
        .map(|_| {
            format!(
                "{} {shop} {}",
                lang.t("De rekening van", "The account of"),
                lang.t("is vastgelegd.", "is recorded.")
            )
        });
    changed(&app, lang, &p, r).await
}

async fn make(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
    Form(f): Form<Fields>,
) -> Response {
    let (lang, p) = match form_caller(&headers, p, &f) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let date = |name: &str| {
        field(&f, name)
            .trim()
            .parse()
            .map_err(|_| crate::Problem::unprocessable(format!("{name}: a date as 2026-12-31")))
    };
    let r = async {
        let b = api::NewPayout {
            until: date("until")?,
            execution_date: date("execution")?,
            from_iban: field(&f, "from_iban").to_owned(),
            key: Some(field(&f, "key").to_owned()).filter(|k| !k.is_empty()),
        };
        api::make(&app, &p, field(&f, "fund"), b).await.map(|x| {
            format!(
                "{} {} {} ({}). {}",
                lang.t("Uitbetaling", "Payout"),
                x.id,
                lang.t("gemaakt", "made"),
                euro(x.total_cents),
                lang.t(
                    "Een collega keurt hem nu goed.",
                    "A colleague now approves it."
                )
            )
        })
    }
    .await;
    changed(&app, lang, &p, r).await
}

async fn approve(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
    Form(f): Form<Fields>,
) -> Response {
    let (lang, p) = match form_caller(&headers, p, &f) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let r = api::approve(&app, &p, field(&f, "payout")).await.map(|x| {
        format!(
            "{} {} {}",
            lang.t("Uitbetaling", "Payout"),
            x.id,
            lang.t(
                "goedgekeurd: download het betaalbestand voor de bank.",
                "approved: download the payment file for the bank."
            )
        )
    });
    changed(&app, lang, &p, r).await
}

async fn pain_file(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
    Path(id): Path<String>,
) -> Response {
    let lang = Lang::of(&headers);
    let Some(p) = p else { return login_first() };
    if p.role.municipality().is_none() {
        return not_for_you(lang, &p, FOR_MUNICIPALITY);
    }
    match api::pain_file(&app, &p, &id, knop_bank::pain001::Version::V03) {
        Ok(r) => r,
        Err(e) => changed(&app, lang, &p, Err(e)).await,
    }
}

async fn statement(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
    mut form: axum::extract::Multipart,
) -> Response {
    let lang = Lang::of(&headers);
    let Some(p) = p else { return login_first() };
    let (mut csrf, mut file) = (String::new(), None);
    let bad = |detail: String| crate::Problem::bad_request(detail);
    let read: Result<(), crate::Problem> = async {
        while let Some(field) = form.next_field().await.map_err(|e| bad(e.body_text()))? {
            let name = field.name().unwrap_or_default().to_owned();
            let b = field.bytes().await.map_err(|e| bad(e.body_text()))?;
            match name.as_str() {
                "csrf" => csrf = String::from_utf8_lossy(&b).into_owned(),
                "bestand" => file = Some(b),
                _ => {}
            }
        }
        Ok(())
    }
    .await;
    if let Err(e) = read {
        return changed(&app, lang, &p, Err(e)).await;
    }
    if !csrf_ok(&p, &csrf) {
        return refused(lang, &p);
    }
    let r = match file.filter(|b| !b.is_empty()) {
        None => Err(bad(lang
            .t("Kies een camt.053-bestand.", "Choose a camt.053 file.")
            .into())),
        Some(bytes) => api::statement(&app, &p, bytes).await.map(|s| {
            let topped: i64 = s.topups.iter().map(|t| t.cents).sum();
            let mut parts = vec![];
            if !s.paid.is_empty() {
                parts.push(format!(
                    "{} {}",
                    lang.t("Betaald volgens de bank:", "Paid according to the bank:"),
                    s.paid.join(", ")
                ));
            }
            if !s.topups.is_empty() {
                parts.push(format!(
                    "{} {}",
                    lang.t("Gestort in de regeling:", "Put into the fund:"),
                    euro(topped)
                ));
            }
            if !s.unmatched.is_empty() {
                parts.push(format!(
                    "{} {}",
                    lang.t(
                        "Niet geboekt (geen uitbetaling of storting van het Kindpakket):",
                        "Not booked (no payout or top-up of the child package):"
                    ),
                    s.unmatched.join("; ")
                ));
            }
            if parts.is_empty() {
                lang.t(
                    "Niets van het Kindpakket op dit afschrift.",
                    "Nothing of the child package on this statement.",
                )
                .to_owned()
            } else {
                parts.join(". ") + "."
            }
        }),
    };
    changed(&app, lang, &p, r).await
}

async fn refund(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
    Form(f): Form<Fields>,
) -> Response {
    let lang = Lang::of(&headers);
    let Some(p) = p else { return login_first() };
    if !csrf_ok(&p, field(&f, "csrf")) {
        return refused(lang, &p);
    }
    let r = match knop_book::Cents::parse_euros(field(&f, "amount").trim()) {
        Err(e) => Err(crate::Problem::unprocessable(format!("amount: {e}"))),
        Ok(c) => {
            let key = Some(field(&f, "key").to_owned()).filter(|k| !k.is_empty());
            api::refund(&app, &p, field(&f, "spend"), c.0, key).await
        }
    };
    super::kindpakket::till_after(&app, lang, &p, r.map(|x| {
        html! { strong { (euro(x.cents)) " " (lang.t("terug op het tegoed.", "back on the voucher.")) } " "
                (lang.t("Nu over:", "Now left:")) " " (euro(x.left_cents)) "." }
    }))
}
