//! A household's agreements and advance limit, as its counsellor manages them.

use std::sync::Arc;

use axum::extract::{Form, Path, Query, State};
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

/// How often, as the form offers it: the word sent, and its label in both languages.
const OFTEN: [(&str, &str, &str); 6] = [
    ("maand", "Elke maand", "Every month"),
    ("week", "Elke week", "Every week"),
    ("weken", "Elke paar weken", "Every few weeks"),
    ("kwartaal", "Elke 3 maanden", "Every 3 months"),
    ("jaar", "Elk jaar", "Every year"),
    ("eenmalig", "Eén keer", "Once"),
];

/// The days of the week as the schedule names them, with their Dutch and English names.
const WEEKDAYS: [(&str, &str, &str); 7] = [
    ("monday", "maandag", "Monday"),
    ("tuesday", "dinsdag", "Tuesday"),
    ("wednesday", "woensdag", "Wednesday"),
    ("thursday", "donderdag", "Thursday"),
    ("friday", "vrijdag", "Friday"),
    ("saturday", "zaterdag", "Saturday"),
    ("sunday", "zondag", "Sunday"),
];

/// The form's fields for an agreement (empty for a new one).
#[derive(Default)]
struct Filled {
    id: String,
    label: String,
    kind: String,
    amount: String,
    often: String,
    day: String,
    weekday: String,
    n: String,
    first: String,
    from: String,
    through: String,
    iban: String,
    creditor: String,
    reference: String,
}

impl Filled {
    /// The form filled in with `a`, to change it.
    fn of(a: &knop_huishoudboekje::Agreement) -> Self {
        use knop_huishoudboekje::Schedule;
        let kind = serde_json::to_value(a.kind)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default();
        let mut f = Filled {
            id: a.id.clone(),
            label: a.label.clone().unwrap_or_default(),
            kind,
            amount: knop_book::Cents(a.amount_cents)
                .to_dutch()
                .replace(['€', ' ', '.'], ""),
            from: a.valid_from.map(|d| d.to_string()).unwrap_or_default(),
            through: a.valid_through.map(|d| d.to_string()).unwrap_or_default(),
            iban: a.counterparty_iban.clone().unwrap_or_default(),
            creditor: a.creditor_name.clone().unwrap_or_default(),
            reference: a.reference.clone().unwrap_or_default(),
            ..Filled::default()
        };
        match &a.schedule {
            Schedule::Monthly { day } => (f.often, f.day) = ("maand".into(), day.to_string()),
            Schedule::Weekly { weekday } => {
                f.often = "week".into();
                f.weekday = serde_json::to_value(weekday)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default();
            }
            Schedule::EveryNWeeks { n, first } => {
                (f.often, f.n, f.first) = ("weken".into(), n.to_string(), first.to_string())
            }
            Schedule::Quarterly { first } => {
                (f.often, f.first) = ("kwartaal".into(), first.to_string())
            }
            Schedule::Yearly { month, day } => {
                f.often = "jaar".into();
                f.first = format!("2026-{month:02}-{day:02}");
            }
            Schedule::Once { date } => (f.often, f.first) = ("eenmalig".into(), date.to_string()),
        }
        f
    }
}

fn agreements_markup(
    lang: Lang,
    p: &Principal,
    s: &views::Snapshot,
    default_advance_cents: i64,
    result: Option<Markup>,
    filled: &Filled,
) -> Markup {
    let csrf = p.csrf.clone().unwrap_or_default();
    let kind_name = |k: knop_huishoudboekje::Kind| match k {
        knop_huishoudboekje::Kind::Income => lang.t("inkomen", "income"),
        knop_huishoudboekje::Kind::FixedCost => lang.t("vaste last", "fixed cost"),
        knop_huishoudboekje::Kind::DebtArrangement => lang.t("schuldregeling", "debt arrangement"),
        knop_huishoudboekje::Kind::LivingMoney => lang.t("leefgeld", "living money"),
    };
    let kinds = [
        ("fixed_cost", lang.t("vaste last", "fixed cost")),
        ("income", lang.t("inkomen", "income")),
        (
            "debt_arrangement",
            lang.t("schuldregeling", "debt arrangement"),
        ),
        ("living_money", lang.t("leefgeld", "living money")),
    ];
    let editing = !filled.id.is_empty();
    html! {
        h1 { (lang.t("Afspraken van huishouden", "Agreements of household")) " " (s.household) }
        @if let Some(r) = result { (r) }
        table.utrecht-table {
            thead.utrecht-table__header { tr.utrecht-table__row {
                th.utrecht-table__header-cell scope="col" { (lang.t("Afspraak", "Agreement")) }
                th.utrecht-table__header-cell scope="col" { (lang.t("Wanneer", "When")) }
                th.utrecht-table__header-cell.amount scope="col" { (lang.t("Bedrag", "Amount")) }
            } }
            tbody.utrecht-table__body { @for a in s.state.agreements.values() { tr.utrecht-table__row {
                td.utrecht-table__cell {
                    (a.label.clone().unwrap_or_else(|| a.id.clone())) br;
                    span.note { (kind_name(a.kind)) " · " (a.id) }
                    @if let Some(c) = &a.creditor_name { br; span.note { (lang.t("aan", "to")) " " (c) } }
                    @if let Some(iban) = &a.counterparty_iban { br; span.note { "IBAN " (iban) } }
                    @if a.direct_debit.is_some() { br; span.note { (lang.t("automatische incasso", "direct debit")) } }
                    br; a href=(format!("/huishoudens/{}/afspraken?wijzig={}#formulier", s.household, a.id)) { (lang.t("Wijzigen", "Change")) span.visually-hidden { " " (a.id) } }
                }
                td.utrecht-table__cell {
                    (knop_app::present::how_often(&a.schedule, lang.0))
                    @if let Some(f) = a.valid_from { br; span.note { (lang.t("vanaf", "from")) " " (knop_app::present::short(f, lang.0)) } }
                    @if let Some(t) = a.valid_through { br; span.note { (lang.t("tot en met", "until")) " " (knop_app::present::short(t, lang.0)) } }
                }
                td.utrecht-table__cell.amount { (euro(a.amount_cents)) }
            } } }
        }
        h2 #formulier { @if editing { (lang.t("Afspraak wijzigen:", "Change agreement:")) " " (filled.id) } @else { (lang.t("Nieuwe afspraak", "New agreement")) } }
        p.note { (lang.t(
            "Met een bestaand kenmerk wijzigt u die afspraak; de geschiedenis blijft in het grootboek.",
            "With an existing id you change that agreement; its history stays in the ledger.")) }
        form.agreement method="post" action=(format!("/huishoudens/{}/afspraken", s.household)) {
            input type="hidden" name="csrf" value=(csrf);
            p { label.utrecht-form-label for="a-id" { (lang.t("Kenmerk (kleine letters, bijv. huur)", "Id (lower case, e.g. rent)")) } br; input.utrecht-textbox.utrecht-textbox--html-input id="a-id" name="id" required pattern="[a-z0-9-]{1,40}" value=(filled.id); }
            p { label.utrecht-form-label for="a-label" { (lang.t("Naam voor de inwoner (bijv. Huur)", "Name for the resident (e.g. Rent)")) } br; input.utrecht-textbox.utrecht-textbox--html-input id="a-label" name="label" value=(filled.label); }
            p { label.utrecht-form-label for="a-kind" { (lang.t("Soort", "Kind")) } br;
                select.utrecht-select.utrecht-select--html-select id="a-kind" name="kind" {
                    @for (v, l) in kinds { option value=(v) selected[filled.kind == v] { (l) } }
                } }
            p { label.utrecht-form-label for="a-amount" { (lang.t("Bedrag in euro (bijv. 785,50)", "Amount in euros (e.g. 785,50)")) } br; input.utrecht-textbox.utrecht-textbox--html-input id="a-amount" name="amount" required inputmode="decimal" value=(filled.amount); }
            fieldset {
                legend { (lang.t("Hoe vaak", "How often")) }
                p { label.utrecht-form-label for="a-often" { (lang.t("Betaald of ontvangen", "Paid or received")) } br;
                    select.utrecht-select.utrecht-select--html-select id="a-often" name="often" {
                        @for (v, nl, en) in OFTEN { option value=(v) selected[filled.often == v] { (lang.t(nl, en)) } }
                    } }
                p { label.utrecht-form-label for="a-day" { (lang.t("Dag van de maand (1–31; bij elke maand)", "Day of the month (1–31; for every month)")) } br; input.utrecht-textbox.utrecht-textbox--html-input id="a-day" name="day" inputmode="numeric" pattern="[0-9]{1,2}" value=(filled.day); }
                p { label.utrecht-form-label for="a-weekday" { (lang.t("Dag van de week (bij elke week)", "Day of the week (for every week)")) } br;
                    select.utrecht-select.utrecht-select--html-select id="a-weekday" name="weekday" {
                        option value="" { "—" }
                        @for (v, nl, en) in WEEKDAYS { option value=(v) selected[filled.weekday == v] { (lang.t(nl, en)) } }
                    } }
                p { label.utrecht-form-label for="a-n" { (lang.t("Om de hoeveel weken (bij elke paar weken, 1–52)", "Every how many weeks (for every few weeks, 1–52)")) } br; input.utrecht-textbox.utrecht-textbox--html-input id="a-n" name="n" inputmode="numeric" pattern="[0-9]{1,2}" value=(filled.n); }
                p { label.utrecht-form-label for="a-first" { (lang.t("Eerste keer, of de datum (bij paar weken, 3 maanden, jaar, één keer)", "First time, or the date (for few weeks, 3 months, year, once)")) } br; input.utrecht-textbox.utrecht-textbox--html-input id="a-first" name="first" type="date" value=(filled.first); }
            }
            p { label.utrecht-form-label for="a-from" { (lang.t("Geldt vanaf (leeg: altijd)", "Applies from (empty: always)")) } br; input.utrecht-textbox.utrecht-textbox--html-input id="a-from" name="from" type="date" value=(filled.from); }
            p { label.utrecht-form-label for="a-through" { (lang.t("Geldt tot en met (leeg: geen einde)", "Applies until (empty: no end)")) } br; input.utrecht-textbox.utrecht-textbox--html-input id="a-through" name="through" type="date" value=(filled.through); }
            p { label.utrecht-form-label for="a-iban" { (lang.t("IBAN van de andere partij (niet bij leefgeld)", "The other party's IBAN (not for living money)")) } br; input.utrecht-textbox.utrecht-textbox--html-input id="a-iban" name="iban" value=(filled.iban) autocomplete="off"; }
            p {
                label.utrecht-form-label for="a-creditor" { (lang.t("Naam van de andere partij bij de bank (bijv. Woonstichting Mitros)", "The other party's name at the bank (e.g. Woonstichting Mitros)")) } br;
                input.utrecht-textbox.utrecht-textbox--html-input id="a-creditor" name="creditor" maxlength="70" aria-describedby="a-creditor-hint" value=(filled.creditor);
                br; span.note id="a-creditor-hint" { (lang.t(
                    "Zoals op de rekening of acceptgiro staat. Deze naam gaat mee met de betaling. Leeg: de naam hierboven.",
                    "As on the bill. This name goes with the payment. Empty: the name above.")) }
            }
            p {
                label.utrecht-form-label for="a-ref" { (lang.t("Kenmerk of omschrijving op de betaling", "Reference on the payment")) } br;
                input.utrecht-textbox.utrecht-textbox--html-input id="a-ref" name="reference" aria-describedby="a-ref-hint" value=(filled.reference);
                br; span.note id="a-ref-hint" { (lang.t(
                    "Staat er een betalingskenmerk (16 cijfers) of een RF-kenmerk op de rekening? Neem het precies over: knop stuurt het dan zo mee dat de schuldeiser de betaling vanzelf herkent.",
                    "Does the bill show a payment reference (16 digits) or an RF reference? Copy it exactly: knop then sends it so that the creditor recognises the payment automatically.")) }
            }
            p { button.utrecht-button.utrecht-button--primary-action type="submit" { (lang.t("Vastleggen", "Record")) } }
            @if editing { p { a href=(format!("/huishoudens/{}/afspraken", s.household)) { (lang.t("Nieuwe afspraak in plaats daarvan", "A new agreement instead")) } } }
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
            p { label.utrecht-form-label for="v-euros" { (lang.t("Nieuwe limiet in euro (0 = geen voorschot, hoogstens 10.000)", "New limit in euros (0 = no advance, at most 10,000)")) } br;
                input.utrecht-textbox.utrecht-textbox--html-input id="v-euros" name="euros" required inputmode="decimal"; }
            p { button.utrecht-button.utrecht-button--primary-action type="submit" { (lang.t("Limiet vastleggen", "Record limit")) } }
        }
        p { a href=(format!("/huishoudens/{}", s.household)) { (lang.t("Terug naar het huishouden", "Back to the household")) } }
    }
}

/// The schedule the form describes, or which field is missing or wrong (in Dutch and English).
fn schedule_of(f: &AgreementForm) -> Result<serde_json::Value, String> {
    let date = |v: &str, field: &str| {
        v.trim()
            .parse::<jiff::civil::Date>()
            .map(|d| d.to_string())
            .map_err(|_| format!("{field}: een datum is nodig / a date is needed"))
    };
    let number = |v: &str, field: &str, lo: i64, hi: i64| {
        v.trim()
            .parse::<i64>()
            .ok()
            .filter(|n| (lo..=hi).contains(n))
            .ok_or_else(|| {
                format!("{field}: een getal van {lo} tot en met {hi} / a number from {lo} to {hi}")
            })
    };
    Ok(match f.often.as_str() {
        "maand" | "" => serde_json::json!({"monthly": {"day": number(&f.day, "day", 1, 31)?}}),
        "week" => {
            if !WEEKDAYS.iter().any(|(w, _, _)| *w == f.weekday) {
                return Err("weekday: kies een dag van de week / choose a day of the week".into());
            }
            serde_json::json!({"weekly": {"weekday": f.weekday}})
        }
        "weken" => {
            serde_json::json!({"every_n_weeks": {"n": number(&f.n, "n", 1, 52)?, "first": date(&f.first, "first")?}})
        }
        "kwartaal" => serde_json::json!({"quarterly": {"first": date(&f.first, "first")?}}),
        "jaar" => {
            let d: jiff::civil::Date = date(&f.first, "first")?
                .parse()
                .map_err(|_| "first".to_owned())?;
            serde_json::json!({"yearly": {"month": d.month(), "day": d.day()}})
        }
        "eenmalig" => serde_json::json!({"once": {"date": date(&f.first, "first")?}}),
        other => return Err(format!("often: {other:?} is no choice of the form")),
    })
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
    agreements_answer(&app, lang, &p, &id, result, &Filled::default())
}

/// Which agreement to change, if any (`?wijzig=huur`).
#[derive(Deserialize, Default)]
struct EditQuery {
    #[serde(default)]
    wijzig: String,
}

async fn agreements_page(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
    Path(id): Path<String>,
    Query(q): Query<EditQuery>,
) -> Response {
    let lang = Lang::of(&headers);
    let Some(p) = p else { return login_first() };
    let Some(s) = page_household(&app, &p, &id, true) else {
        return household_not_found(lang, &p);
    };
    let filled = s
        .state
        .agreements
        .get(&q.wijzig)
        .map(Filled::of)
        .unwrap_or_default();
    html_response(
        StatusCode::OK,
        page(
            lang,
            lang.t("Afspraken", "Agreements"),
            Some(&p),
            agreements_markup(lang, &p, &s, app.config.advance_limit_cents, None, &filled),
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
    #[serde(default)]
    often: String,
    #[serde(default)]
    day: String,
    #[serde(default)]
    weekday: String,
    #[serde(default)]
    n: String,
    #[serde(default)]
    first: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    through: String,
    iban: String,
    #[serde(default)]
    creditor: String,
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
        let schedule = schedule_of(&f).map_err(fail)?;
        let opt = |v: &str| (!v.trim().is_empty()).then(|| v.trim().to_owned());
        serde_json::from_value::<knop_huishoudboekje::Agreement>(serde_json::json!({
            "id": f.id.trim(), "label": opt(&f.label), "kind": f.kind, "amount_cents": cents,
            "schedule": schedule, "counterparty_iban": opt(&f.iban).map(|i| i.replace(' ', "").to_uppercase()),
            "creditor_name": opt(&f.creditor), "reference": opt(&f.reference), "valid_from": opt(&f.from), "valid_through": opt(&f.through),
        }))
        .map_err(|e| fail(e.to_string()))
    })();
    let kept = Filled {
        id: f.id.clone(),
        label: f.label.clone(),
        kind: f.kind.clone(),
        amount: f.amount.clone(),
        often: f.often.clone(),
        day: f.day.clone(),
        weekday: f.weekday.clone(),
        n: f.n.clone(),
        first: f.first.clone(),
        from: f.from.clone(),
        through: f.through.clone(),
        iban: f.iban.clone(),
        creditor: f.creditor.clone(),
        reference: f.reference.clone(),
    };
    let result = match built {
        Ok(a) => crate::api::households::set_agreement(&app, &p, &id, a)
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    // Refused, the form keeps what was typed; recorded, it is empty for the next one.
    let filled = if result.is_ok() {
        Filled::default()
    } else {
        kept
    };
    agreements_answer(&app, lang, &p, &id, result, &filled)
}

/// The agreements page again, with what recording a change did.
fn agreements_answer(
    app: &Arc<App>,
    lang: Lang,
    p: &Principal,
    id: &str,
    result: Result<(), crate::Problem>,
    filled: &Filled,
) -> Response {
    let note = match &result {
        Ok(()) => {
            html! { div.utrecht-alert.utrecht-alert--info.alert.info role="status" { (lang.t("Vastgelegd in het grootboek.", "Recorded in the ledger.")) } }
        }
        Err(e) => {
            html! { div.utrecht-alert.utrecht-alert--error.alert.urgent role="alert" { strong { (lang.t("Niet vastgelegd:", "Not recorded:")) } " " (e.detail) } }
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
            agreements_markup(
                lang,
                p,
                &s,
                app.config.advance_limit_cents,
                Some(note),
                filled,
            ),
        ),
    )
}
