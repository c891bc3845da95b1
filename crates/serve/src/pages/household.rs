//! A household's month at a glance (the resident's own page, and what their counsellor sees):
//! alerts, balance, bookings, what is still to come and the 90-day forecast.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use maud::{html, Markup};

use super::{
    euro, household_not_found, html_response, login_first, message, page, page_household,
    problem_page, Lang,
};
use crate::auth::{MaybePrincipal, Role};
use crate::App;
use knop_app::views::{self, Severity};

/// The household page's route.
pub(super) fn routes() -> Router<Arc<App>> {
    Router::new().route("/huishoudens/{id}", get(household))
}

fn severity_class(s: Severity) -> &'static str {
    match s {
        Severity::Urgent => "utrecht-alert utrecht-alert--error alert urgent",
        Severity::Warning => "utrecht-alert utrecht-alert--warning alert",
        Severity::Info => "utrecht-alert utrecht-alert--info alert info",
    }
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
    let o = match crate::api::households::overview_of(&app, &s) {
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
    let resident = matches!(p.role, Role::Resident { .. });
    // Who the household's counsellor is, by the name the service knows them by.
    let counsellor = app.counsellor_name(&s.state.counsellor);
    let debts = knop_app::debts::of_household(app.node().state(), s.household, app.today());
    let declaration =
        knop_app::declarations::of_household(app.node().state(), s.household, app.today())
            .into_iter()
            .find(|d| d.holds);
    let vouchers = knop_app::kindpakket::of_household(app.node().state(), s.household);
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
                                div class=(severity_class(a.severity)) role="status" { (if lang.english() { &a.message_en } else { &a.message_nl }) }
                            }
                        }
                        div.cards {
                            div.card { div.label { (if resident { lang.t("Op uw rekening bij de stichting", "On your account at the foundation") } else { lang.t("Op de rekening bij de stichting", "On the account at the foundation") }) } div.value { (euro(o.balance_cents)) } }
                            div.card { div.label { (lang.t("Inkomen deze maand (volgens afspraak)", "Income this month (as agreed)")) } div.value { (euro(o.month_income_cents)) } }
                            div.card { div.label { (lang.t("Betalingen deze maand (volgens afspraak)", "Payments this month (as agreed)")) } div.value { (euro(o.month_payments_cents)) } }
                        }
                        // What the money on the account is for.
                        @let expected_out: i64 = -o.month_lines.iter()
                            .filter(|l| l.status == views::LineStatus::Expected)
                            .filter_map(|l| l.planned_cents)
                            .filter(|c| *c < 0)
                            .sum::<i64>();
                        p {
                            (lang.t("Waar dat geld voor is:", "What that money is for:")) " "
                            @if o.reserved_cents > 0 {
                                (euro(o.reserved_cents)) " " (lang.t("staat klaar voor betalingen die de bank nog uitvoert;", "is set aside for payments the bank is still making;")) " "
                            }
                            (euro(expected_out)) " " (lang.t("is voor de betalingen die deze maand nog komen;", "is for the payments still to come this month;")) " "
                            (lang.t("de rest,", "the rest,")) " " strong { (euro(o.balance_cents - o.reserved_cents - expected_out)) } ", "
                            (lang.t("is buffer voor de volgende maand en voor tegenvallers.", "is a buffer for next month and for setbacks."))
                        }
                        @if let Some(c) = &counsellor {
                            p {
                                (if resident { lang.t("Uw consulent:", "Your counsellor:") } else { lang.t("Consulent:", "Counsellor:") }) " " (c)
                                @if let Some(k) = app.counsellor_contact(&s.state.counsellor) {
                                    br; (lang.t("Bereikbaar via", "Reach them at")) " " (k)
                                }
                            }
                        }
                        @if let Some(l) = &o.next_living_money {
                            h2 { (lang.t("Leefgeld", "Living money")) }
                            @if o.month_lines.iter().any(|m| m.status == views::LineStatus::Paid && m.label == l.label && m.date == l.date) {
                                p { (lang.t("Het leefgeld van vandaag is betaald:", "Today's living money is paid:")) " " strong { (euro(-l.amount_cents)) } "." }
                            } @else {
                                p { (lang.t("Het volgende leefgeld:", "Next living money:")) " " strong { (euro(-l.amount_cents)) } " " (lang.t("op", "on")) " " (lang.date(&l.date)) "." }
                            }
                        }
                        @if o.advance_cents > 0 {
                            p { (lang.t("Voorgeschoten door de stichting:", "Advanced by the foundation:")) " " (euro(o.advance_cents)) }
                        }
                @if !(resident && debts.claims.is_empty()) {
                    h2 { (if resident { lang.t("Uw schulden", "Your debts") } else { lang.t("Schulden", "Debts") }) }
                    p {
                        @if debts.claims.is_empty() {
                            (lang.t("Er zijn geen schulden vastgelegd.", "No debts are recorded.")) " "
                        } @else {
                            (lang.t("Nog te betalen:", "Still to pay:")) " " strong { (euro(debts.left_cents)) } " "
                            (lang.t("bij", "with")) " " (debts.creditors_open) " " (lang.t("schuldeiser(s).", "creditor(s).")) " "
                        }
                        a href=(format!("/huishoudens/{}/schulden", o.id)) { (if resident {
                            lang.t("Bekijk uw schulden", "See your debts")
                        } else {
                            lang.t("Schulden bekijken en vastleggen", "See and record debts")
                        }) }
                    }
                    @if debts.on_hold > 0 {
                        p { (debts.on_hold) " " (lang.t("schuldeiser(s) hebben de invordering gepauzeerd.", "creditor(s) have paused collection.")) }
                    }
                    @if debts.alerts > 0 && !resident {
                        div.utrecht-alert.utrecht-alert--warning.alert.urgent role="alert" {
                            a href=(format!("/huishoudens/{}/schulden", o.id)) { (lang.t("Kosten toegevoegd tijdens een pauze", "Costs added during a hold")) } ": " (debts.alerts)
                        }
                    }
                }
                @if !vouchers.is_empty() {
                    h2 { (lang.t("Kindpakket", "Child package")) }
                    p {
                        (lang.t("Nog te besteden:", "Left to spend:")) " " strong { (euro(vouchers.iter().map(|v| v.left_cents).sum::<i64>())) } ". "
                        a href=(format!("/huishoudens/{}/kindpakket", o.id)) { (if resident {
                            lang.t("Code voor de kassa en wat u besteedde", "Code for the till and what you spent")
                        } else {
                            lang.t("Bekijk het Kindpakket", "See the child package")
                        }) }
                    }
                }
                @if let Some(d) = &declaration {
                    h2 { (lang.t("Verklaring betalingsonmacht", "Declaration of inability to pay")) }
                    p {
                        (lang.t("Geldig tot en met", "Valid up to and including")) " " (lang.date(&d.until.to_string())) ". "
                        a href=(format!("/huishoudens/{}/verklaring", o.id)) { (if resident {
                            lang.t("Deel met een schuldeiser", "Share with a creditor")
                        } else {
                            lang.t("Bekijk met wie hij gedeeld is", "See with whom it was shared")
                        }) }
                    }
                }
                h2 { (lang.t("Deze maand", "This month")) }
                p { a href=(format!("/huishoudens/{}/maandoverzicht.pdf", o.id)) download { (lang.t("Deze maand op papier (pdf, om te printen)", "This month on paper (PDF, to print)")) } }
                p { a href=(format!("/huishoudens/{}/geschiedenis", o.id)) { (if resident {
                    lang.t("Alles wat er eerder met uw geld gebeurde", "Everything that happened to your money before")
                } else {
                    lang.t("De hele geschiedenis", "The whole history")
                }) } }
                @if o.month_lines.is_empty() {
                    p { (lang.t("Niets deze maand.", "Nothing this month.")) }
                } @else {
                    table.utrecht-table {
                        caption.utrecht-table__caption.note { (lang.t("Wat is afgesproken en wat de bank echt boekte", "What was agreed and what the bank really booked")) }
                        thead.utrecht-table__header { tr.utrecht-table__row {
                            th.utrecht-table__header-cell scope="col" { (lang.t("Datum", "Date")) }
                            th.utrecht-table__header-cell scope="col" { (lang.t("Wat", "What")) }
                            th.utrecht-table__header-cell.amount scope="col" { (lang.t("Bedrag", "Amount")) }
                        } }
                        tbody.utrecht-table__body { @for l in &o.month_lines {
                            @let cents = l.booked_cents.or(l.planned_cents).unwrap_or(0);
                            tr class=(if l.status == views::LineStatus::Paid { "utrecht-table__row" } else { "utrecht-table__row past" }) {
                                td.utrecht-table__cell.date { (lang.short_date(&l.date)) }
                                td.utrecht-table__cell {
                                    (l.label) br;
                                    span.note { (match l.status {
                                        views::LineStatus::Paid if cents > 0 => lang.t("ontvangen ✓", "received ✓"),
                                        views::LineStatus::Paid => lang.t("betaald ✓", "paid ✓"),
                                        views::LineStatus::Expected => lang.t("verwacht", "expected"),
                                        views::LineStatus::NotSeen => lang.t("nog niet op het bankafschrift", "not on the bank statement yet"),
                                        views::LineStatus::Unplanned => lang.t("niet afgesproken", "not in an agreement"),
                                    }) }
                                    @if let (Some(b), Some(p)) = (l.booked_cents, l.planned_cents) {
                                        @if b != p {
                                            br; span.note { (lang.t("afgesproken was", "agreed:")) " " (euro(p)) }
                                        }
                                    }
                                }
                                td class=(if cents > 0 { "utrecht-table__cell amount in" } else { "utrecht-table__cell amount" }) { (euro(cents)) }
                            }
                        } }
                    }
                }
                        h2 { (lang.t("De komende 90 dagen", "The next 90 days")) }
                        (chart(lang, &f.days))
                        // The chart's data in words, for everyone who does not see the line.
                        @if let (Some(low), Some(last)) = (f.days.iter().min_by_key(|d| d.1), f.days.last()) {
                            p {
                                (lang.t("Laagste verwachte saldo:", "Lowest expected balance:")) " " strong { (euro(low.1)) } " "
                                (lang.t("op", "on")) " " (lang.date(&low.0)) ". "
                                (lang.t("Verwacht saldo op", "Expected balance on")) " " (lang.date(&last.0)) ": " (euro(last.1)) "."
                            }
                        }
                        @match &f.first_shortfall {
                            Some(sh) => p { (lang.t("Eerste tekort:", "First shortfall:")) " " (lang.date(&sh.date)) ", " (euro(sh.balance_cents)) "." },
                            None => p { (lang.t("Volgens de afspraken is er de komende 90 dagen steeds genoeg geld.", "By the agreements there is enough money for the next 90 days.")) },
                        }
                        @if p.role.may_manage_household(&s.state.counsellor) {
                p { a href=(format!("/huishoudens/{}/afspraken", o.id)) { (lang.t("Afspraken beheren", "Manage agreements")) } }
            }
            @if !resident {
                @let b = views::budget_plan(&s, today);
                h2 { (lang.t("Begroting per maand", "Budget per month")) }
                table.utrecht-table {
                    caption.utrecht-table__caption.note { (lang.t("Volgens de afspraken die vandaag gelden; per week × 52 / 12, per kwartaal / 3, per jaar / 12", "By the agreements that hold today; weekly × 52 / 12, quarterly / 3, yearly / 12")) }
                    thead.utrecht-table__header { tr.utrecht-table__row { th.utrecht-table__header-cell scope="col" { (lang.t("Wat", "What")) } th.utrecht-table__header-cell.amount scope="col" { (lang.t("Per maand", "A month")) } } }
                    tbody.utrecht-table__body {
                        @for l in &b.income { tr.utrecht-table__row { td.utrecht-table__cell { (l.label) } td.amount.in { (euro(l.monthly_cents)) } } }
                        @for l in &b.out { tr.utrecht-table__row { td.utrecht-table__cell { (l.label) } td.utrecht-table__cell.amount { (euro(-l.monthly_cents)) } } }
                        tr.utrecht-table__row {
                            th.utrecht-table__header-cell scope="row" { @if b.left_cents >= 0 { (lang.t("Over", "Left")) } @else { (lang.t("Tekort", "Shortfall")) } }
                            td.utrecht-table__cell.amount { strong { (euro(b.left_cents)) } }
                        }
                    }
                }
                @for (label, date, cents) in &b.once {
                    p.note { (lang.t("Eenmalig:", "One-off:")) " " (label) " " (euro(*cents)) " " (lang.t("op", "on")) " " (lang.date(date)) }
                }
            }
            @if app.vault().is_some() && (p.role.may_manage_household(&s.state.counsellor) || matches!(p.role, Role::Supervisor)) {
                p { a href=(format!("/huishoudens/{}/dossier", o.id)) { (lang.t("Dossier: notities, contacten en taken", "Dossier: notes, contacts and tasks")) } }
            }
            h2 { (if resident { lang.t("Uw afspraken", "Your agreements") } else { lang.t("Afspraken", "Agreements") }) }
                        ul {
                            // Agreements that ended before today are history, not what holds now.
                            @for a in s.state.agreements.values().filter(|a| a.valid_through.is_none_or(|t| t >= today) && !matches!(a.schedule, knop_huishoudboekje::Schedule::Once { date } if date < today)) {
                                li {
                                    (a.label.clone().unwrap_or_else(|| a.id.clone())) ": " (euro(a.amount_cents)) " "
                                    (knop_app::present::how_often(&a.schedule, lang.0)) ", "
                                    (match (a.kind, resident) {
                                        (knop_huishoudboekje::Kind::Income, _) => lang.t("komt binnen", "comes in"),
                                        (knop_huishoudboekje::Kind::LivingMoney, true) => lang.t("leefgeld voor u", "living money for you"),
                                        (knop_huishoudboekje::Kind::LivingMoney, false) => lang.t("leefgeld", "living money"),
                                        (_, true) => lang.t("wordt voor u betaald", "is paid for you"),
                                        (_, false) => lang.t("wordt betaald door de stichting", "is paid by the foundation"),
                                    })
                                    @if let Some(t) = a.valid_through {
                                        " (" (lang.t("tot en met", "until")) " " (knop_app::present::spoken(t, lang.0)) ")"
                                    }
                                    @if let Some(f) = a.valid_from.filter(|f| *f > today) {
                                        " (" (lang.t("vanaf", "from")) " " (knop_app::present::spoken(f, lang.0)) ")"
                                    }
                                }
                            }
                        }
                        h2 { (if resident { lang.t("Uw aanmelding (de knop)", "Your opt-in (the button)") } else { lang.t("Aanmelding (de knop)", "Opt-in (the button)") }) }
                        p {
                            (if resident { lang.t("U doet mee sinds", "You joined on") } else { lang.t("Doet mee sinds", "Joined on") }) " "
                            (jiff::Timestamp::from_millisecond(s.state.opened_at_ms as i64).map(|t| knop_app::present::spoken(t.to_zoned(jiff::tz::TimeZone::UTC).date(), lang.0)).unwrap_or_default())
                            ". " (lang.t(
                                "Uw inkomen komt binnen op de rekening van de stichting; de stichting betaalt daaruit uw vaste lasten op tijd en maakt het afgesproken leefgeld naar u over. U kunt altijd opzeggen; na de opzegtermijn stoppen de betalingen en zegt u de vaste lasten zelf weer over.",
                                "Your income arrives on the foundation's account; the foundation pays your fixed costs from it on time and transfers the agreed living money to you. You can always withdraw; after the notice period the payments stop and you take over your fixed costs again."))
                            @if !matches!(p.role, Role::Resident { .. }) {
                                " " span.note { (lang.t("Uitleg versie", "Information version")) " " (s.state.information) }
                            }
                        }
                        @if app.vault().is_some() {
                            p { a href=(format!("/huishoudens/{}/inzage", o.id)) { (lang.t("Wie heeft mijn gegevens bekeken?", "Who looked at my data?")) } }
                        }
                        p.note { (lang.t(
                            "Bedragen 'volgens afspraak' zijn wat is afgesproken; het saldo is wat er echt op uw rekening bij de stichting staat.",
                            "Amounts 'as agreed' are what was agreed; the balance is what is really on your account at the foundation.")) }
                    },
        ),
    )
}
