//! What the API and the cockpit show of a household, computed from the ledger's state: its
//! balance in the book, its agreements projected over the month and the coming 90 days, and the
//! alerts a counsellor should act on. Pure: the caller passes the state and today.

use jiff::civil::Date;
use jiff::ToSpan;
use knop_huishoudboekje::booking::{advance_account, household_account};
use knop_huishoudboekje::HouseholdId;
use knop_huishoudboekje::{Kind, Plan};
use knop_rules::params::Status;
use knop_rules::trace::Value;
use knop_rules::{explain, Outcome};
use knop_state::{HouseholdState, State};
use serde::Serialize;
use serde_json::{json, Map};

/// The days a forecast looks ahead unless asked otherwise.
pub const FORECAST_DAYS: u32 = 90;

/// A household as the ledger has it now, copied out of the state (so no lock is held while the
/// views are computed).
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The household's id.
    pub household: HouseholdId,
    /// Its opt-in and agreements.
    pub state: HouseholdState,
    /// The ledger's payment id scope (its payments' EndToEndIds derive from it).
    pub id_scope: Option<[u8; 16]>,
    /// The balance of its account at the foundation, in cents (credit-normal).
    pub balance_cents: i64,
    /// Of it, what payment runs hold for payments the bank has not booked yet, in cents.
    pub reserved_cents: i64,
    /// What the foundation advanced and is still owed back, in cents.
    pub advance_cents: i64,
    /// Payments of its runs that the bank rejected (reservation voided): agreement, due, cents.
    pub rejected_payments: Vec<(String, String, i64)>,
    /// Payments of its runs that the payee's bank sent back after they were paid: agreement,
    /// due, cents.
    pub returned_payments: Vec<(String, String, i64)>,
}

/// Copies a household out of the state.
pub fn snapshot(state: &State, household: HouseholdId) -> Option<Snapshot> {
    let h = state.households().get(&household)?;
    let book = state.book();
    Some(Snapshot {
        household,
        state: h.clone(),
        id_scope: state.id_scope().copied(),
        balance_cents: book
            .account(household_account(household).id)
            .map_or(0, |a| a.credit_balance().0),
        reserved_cents: book
            .account(household_account(household).id)
            .map_or(0, |a| a.debits_pending.0),
        advance_cents: book
            .account(advance_account(household).id)
            .map_or(0, |a| -a.credit_balance().0),
        rejected_payments: run_items(state, household, |e2e| {
            book.transfer(knop_huishoudboekje::booking::payment_id(e2e))
                .is_some_and(|p| p.status == knop_book::PendingStatus::Voided)
        }),
        returned_payments: run_items(state, household, |e2e| {
            book.transfer(knop_huishoudboekje::booking::payment_returned_id(e2e))
                .is_some()
        }),
    })
}

/// The items of `household`'s payment runs whose EndToEndId `pick` says: agreement, due, cents.
fn run_items(
    state: &State,
    household: HouseholdId,
    pick: impl Fn(&str) -> bool,
) -> Vec<(String, String, i64)> {
    state
        .runs()
        .values()
        .filter(|r| r.household == household)
        .filter_map(crate::payrun::RunView::of)
        .flat_map(|v| v.content.items)
        .filter(|i| pick(&i.end_to_end_id))
        .map(|i| (i.agreement, i.due, i.cents))
        .collect()
}

/// Every household `role` may see, copied out of the state.
pub fn visible_snapshots(state: &State, role: &crate::access::Role) -> Vec<Snapshot> {
    state
        .households()
        .iter()
        .filter(|(id, h)| role.may_see_household(**id, &h.counsellor))
        .filter_map(|(id, _)| snapshot(state, *id))
        .collect()
}

impl Snapshot {
    /// The household's plan, starting from its balance in the book.
    pub fn plan(&self) -> Plan {
        self.state
            .plan(self.id_scope.as_ref(), self.household, self.balance_cents)
    }

    fn label(&self, agreement: &str) -> String {
        self.state
            .agreements
            .get(agreement)
            .and_then(|a| a.label.clone())
            .unwrap_or_else(|| agreement.to_owned())
    }

    fn kind(&self, agreement: &str) -> Option<Kind> {
        self.state.agreements.get(agreement).map(|a| a.kind)
    }
}

/// One booking an agreement makes.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FlowView {
    /// The business day it is booked (ISO 8601).
    pub date: String,
    /// The agreement's id.
    pub agreement: String,
    /// The agreement's readable name.
    pub label: String,
    /// `income`, `fixed_cost`, `debt_arrangement` or `living_money`.
    pub kind: String,
    /// Signed cents: money in positive, money out negative.
    pub amount_cents: i64,
    /// Whether the date is before today.
    pub past: bool,
}

/// How urgent an alert is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// For information.
    Info,
    /// Look at it this week.
    Warning,
    /// Act now: a payment will fail or the opt-in ends.
    Urgent,
}

/// Something a counsellor should look at, in both languages.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AlertView {
    /// How urgent.
    pub severity: Severity,
    /// What kind (`shortfall`, `withdrawal`, `payment_rejected`, `payment_returned`, `advance`).
    pub kind: String,
    /// The agreement it concerns, if one.
    pub agreement: Option<String>,
    /// The day it concerns (ISO 8601), if one.
    pub date: Option<String>,
    /// The amount it concerns, in cents, if one.
    pub amount_cents: Option<i64>,
    /// In Dutch, plain language.
    pub message_nl: String,
    /// In English.
    pub message_en: String,
}

impl AlertView {
    /// An alert that matching a bank statement raised (an income overdue, an amount outside its
    /// tolerance, an unknown debit). Its text is Dutch only.
    pub fn of_statement(a: knop_huishoudboekje::matching::Alert) -> Self {
        AlertView {
            severity: Severity::Warning,
            kind: "statement".into(),
            agreement: a.agreement,
            date: None,
            amount_cents: None,
            message_en: a.message.clone(),
            message_nl: a.message,
        }
    }
}

/// The first day money runs short.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShortfallView {
    /// The day (ISO 8601).
    pub date: String,
    /// The balance at the end of that day, in cents (negative).
    pub balance_cents: i64,
}

/// A household in a list (a counsellor's caseload).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HouseholdSummary {
    /// The household's pseudonymous id.
    pub id: String,
    /// Its counsellor's pseudonymous id.
    pub counsellor: String,
    /// Whether the opt-in holds today.
    pub active: bool,
    /// How many agreements it has.
    pub agreements: usize,
    /// Its balance at the foundation, in cents.
    pub balance_cents: i64,
    /// The most urgent alert's severity, if any.
    pub urgency: Option<Severity>,
    /// How many alerts.
    pub alerts: usize,
    /// The most urgent alert.
    pub top_alert: Option<AlertView>,
}

/// The resident's "this month at a glance".
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Overview {
    /// The household's pseudonymous id.
    pub id: String,
    /// The day it is computed for (ISO 8601).
    pub today: String,
    /// Whether the opt-in holds today.
    pub active: bool,
    /// When a withdrawal takes effect (RFC 3339), if the resident withdrew.
    pub withdrawal_effective: Option<String>,
    /// The balance at the foundation, in cents.
    pub balance_cents: i64,
    /// Advanced by the foundation and still to be repaid, in cents.
    pub advance_cents: i64,
    /// The month's first and last day (ISO 8601).
    pub month: [String; 2],
    /// This month's income by the agreements (due this month), in cents.
    pub month_income_cents: i64,
    /// This month's payments by the agreements (fixed costs, arrangements, living money; due
    /// this month), in cents, positive.
    pub month_payments_cents: i64,
    /// Of the balance, what is held for payments already made ready (reserved by payment runs
    /// the bank has not booked yet), in cents.
    pub reserved_cents: i64,
    /// This month's bookings by the agreements, in date order.
    pub month_flows: Vec<FlowView>,
    /// The next living-money payment, if one is agreed.
    pub next_living_money: Option<FlowView>,
    /// The first day in the coming 90 the money runs short, if it does.
    pub first_shortfall: Option<ShortfallView>,
    /// The alerts.
    pub alerts: Vec<AlertView>,
    /// What the bank statements show was really booked to the household this month.
    pub month_bookings: Vec<BookingView>,
    /// The month as one list: agreed and booked together ([`month_lines`]).
    pub month_lines: Vec<MonthLine>,
}

/// A bank line booked to the household: what really came in or went out.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BookingView {
    /// The booking date (ISO 8601).
    pub date: String,
    /// Signed cents: money in positive.
    pub amount_cents: i64,
    /// The other party, as the bank names it.
    pub counterparty: Option<String>,
    /// The remittance information.
    pub remittance: Option<String>,
    /// How it was booked to the household.
    pub how: Booked,
    /// When knop booked it (RFC 3339): the ledger entry's time.
    pub recorded: Option<String>,
}

/// How a bank line came to be the household's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Booked {
    /// Money in, recognised as the household's (by its agreements, or by a person).
    Received,
    /// Money out the bank collected from the household's money (a direct debit), recognised.
    Collected,
    /// A payment knop made for the household, which the bank carried out.
    PaidByFoundation,
}

/// The bank lines of `statements` booked to `household` with a booking date in
/// `from..=through`, in date order: matched from suspense to it, or its own payments posted.
pub fn bookings(
    book: &knop_book::Book,
    statements: &[std::sync::Arc<crate::statements::Stored>],
    household: HouseholdId,
    from: Date,
    through: Date,
) -> Vec<BookingView> {
    use knop_huishoudboekje::booking::{matched_id, payment_id, payment_posted_id};
    let mut out = vec![];
    for st in statements {
        for (t, pos) in st.plan.transfers.iter().zip(&st.plan.lines) {
            let e = &st.file.statements[pos.0].entries[pos.1];
            let Some(date) = e
                .booking_date
                .as_deref()
                .and_then(|d| d.get(..10))
                .and_then(|d| d.parse::<Date>().ok())
            else {
                continue;
            };
            if date < from || date > through {
                continue;
            }
            let d = e.details.first();
            let matched = book
                .transfer(matched_id(t.id))
                .filter(|m| m.transfer.user_data == household.get());
            let posted = d
                .and_then(|d| d.end_to_end_id.as_deref())
                .filter(|e2e| {
                    book.transfer(payment_id(e2e))
                        .is_some_and(|p| p.transfer.user_data == household.get())
                })
                .and_then(|e2e| book.transfer(payment_posted_id(e2e)));
            let (how, at) = match (matched, posted) {
                (Some(m), _) if e.cents >= 0 => (Booked::Received, m.timestamp_ms),
                (Some(m), _) => (Booked::Collected, m.timestamp_ms),
                (None, Some(p)) => (Booked::PaidByFoundation, p.timestamp_ms),
                (None, None) => continue,
            };
            out.push(BookingView {
                date: date.to_string(),
                amount_cents: e.cents,
                counterparty: d.and_then(|d| d.counterparty_name.as_deref().map(String::from)),
                remittance: d.and_then(|d| d.remittance.as_deref().map(String::from)),
                how,
                recorded: jiff::Timestamp::from_millisecond(at as i64)
                    .ok()
                    .map(|t| t.to_string()),
            });
        }
    }
    out.sort_by(|a, b| a.date.cmp(&b.date));
    out
}

/// One line of a budget plan: an agreement as so much a month.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BudgetLine {
    /// The agreement's name.
    pub label: String,
    /// Its kind (`income`, `fixed_cost`, `debt_arrangement`, `living_money`).
    pub kind: String,
    /// What it comes to a month, cents (positive; its kind says in or out).
    pub monthly_cents: i64,
}

/// The budget plan (begroting): what comes in and goes out a month by the agreements that hold
/// today, and what is left. One-off payments are listed apart.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BudgetPlan {
    /// Income, a month.
    pub income: Vec<BudgetLine>,
    /// Fixed costs, debt arrangements and living money, a month.
    pub out: Vec<BudgetLine>,
    /// Income less what goes out, a month, cents: negative is a shortfall.
    pub left_cents: i64,
    /// One-off payments still to come (name, date ISO 8601, cents).
    pub once: Vec<(String, String, i64)>,
}

/// What `amount_cents` on `schedule` comes to a month, rounded to the nearest cent (half up):
/// weekly × 52 / 12, every n weeks × 52 / (12 n), quarterly / 3, yearly / 12; `None` for once.
pub fn monthly_cents(schedule: &knop_huishoudboekje::Schedule, amount_cents: i64) -> Option<i64> {
    use knop_huishoudboekje::Schedule;
    let per_year_times = |num: i128, den: i128| -> i64 {
        // amount × num / den, half up, in i128 so no amount overflows.
        let x = i128::from(amount_cents) * num;
        i64::try_from((x * 2 + den) / (den * 2)).unwrap_or(i64::MAX)
    };
    Some(match schedule {
        Schedule::Monthly { .. } => amount_cents,
        Schedule::Weekly { .. } => per_year_times(52, 12),
        Schedule::EveryNWeeks { n, .. } => per_year_times(52, 12 * i128::from((*n).max(1))),
        Schedule::Quarterly { .. } => per_year_times(1, 3),
        Schedule::Yearly { .. } => per_year_times(1, 12),
        Schedule::Once { .. } => return None,
    })
}

/// The household's budget plan today.
pub fn budget_plan(s: &Snapshot, today: Date) -> BudgetPlan {
    let mut plan = BudgetPlan {
        income: vec![],
        out: vec![],
        left_cents: 0,
        once: vec![],
    };
    for a in s.state.agreements.values().filter(|a| {
        a.valid_through.is_none_or(|t| t >= today) && a.valid_from.is_none_or(|f| f <= today)
    }) {
        let label = a.label.clone().unwrap_or_else(|| a.id.clone());
        match monthly_cents(&a.schedule, a.amount_cents) {
            Some(m) => {
                let line = BudgetLine {
                    label,
                    kind: kind_name(Some(a.kind)).to_owned(),
                    monthly_cents: m,
                };
                if a.kind == Kind::Income {
                    plan.left_cents += m;
                    plan.income.push(line);
                } else {
                    plan.left_cents -= m;
                    plan.out.push(line);
                }
            }
            None => {
                if let knop_huishoudboekje::Schedule::Once { date } = a.schedule {
                    if date >= today {
                        plan.once.push((label, date.to_string(), a.amount_cents));
                    }
                }
            }
        }
    }
    plan.income
        .sort_by_key(|l| std::cmp::Reverse(l.monthly_cents));
    plan.out.sort_by_key(|l| std::cmp::Reverse(l.monthly_cents));
    plan
}

/// One line of a household's history: a bank line booked to it, with the agreement it is
/// (if one explains it).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistoryLine {
    /// The booking date (ISO 8601).
    pub date: String,
    /// What it is: the agreement's name, or the other party as the bank names it.
    pub label: String,
    /// What the bank booked, signed cents (money in positive).
    pub cents: i64,
    /// The other party, as the bank names it.
    pub counterparty: Option<String>,
    /// How it was booked.
    pub how: Booked,
    /// When knop booked it (RFC 3339).
    pub recorded: Option<String>,
}

/// A page of a household's history, newest first.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct History {
    /// The lines on this page.
    pub lines: Vec<HistoryLine>,
    /// How many lines match in all.
    pub total: usize,
    /// This page (from 1; a page past the end is the last).
    pub page: usize,
    /// How many pages the lines fill (at least 1).
    pub pages: usize,
}

/// Lines on one page of a history.
pub const HISTORY_PAGE_SIZE: usize = 50;

/// `household`'s history from `from` through `through`: every bank line booked to it, named by
/// the agreement that explains it (as in [`month_lines`]), newest first; with `search`, only
/// lines whose name, other party or date holds it (case ignored); page `page` (from 1; past
/// the end: the last) of [`HISTORY_PAGE_SIZE`]. The agreement names a line by what holds now;
/// what an older version agreed is in the ledger's history of the agreement, not here.
#[allow(clippy::too_many_arguments)]
pub fn history(
    s: &Snapshot,
    book: &knop_book::Book,
    statements: &[std::sync::Arc<crate::statements::Stored>],
    from: Date,
    through: Date,
    today: Date,
    search: &str,
    page: usize,
) -> History {
    let booked = bookings(book, statements, s.household, from, through);
    let plan = s.plan();
    // The flows from the first booking on (not from `from`, which may be years before: a
    // schedule lists a bounded number of dates).
    let first = booked
        .iter()
        .filter_map(|b| b.date.parse::<Date>().ok())
        .min()
        .unwrap_or(through)
        .max(from);
    let around = (
        first.saturating_sub(jiff::Span::new().days(LINE_DAYS)),
        through.saturating_add(jiff::Span::new().days(LINE_DAYS)),
    );
    let mut flows: Vec<knop_huishoudboekje::Flow> = plan
        .agreements
        .iter()
        .flat_map(|a| a.flows(around.0, around.1))
        .collect();
    // In date order, as the month's: each flow takes its booking before later ones do.
    flows.sort_by(|a, b| (a.date, &a.agreement).cmp(&(b.date, &b.agreement)));
    let flows: Vec<FlowView> = flows.iter().map(|f| flow_view(s, f, today)).collect();
    let lines = month_lines(&flows, &booked, today);
    let needle = search.trim().to_lowercase();
    // Each booked line of `month_lines` is one booking; find its booking by date and amount to
    // say how it was booked.
    let mut used = vec![false; booked.len()];
    let mut out: Vec<HistoryLine> = lines
        .into_iter()
        .filter_map(|l| {
            let cents = l.booked_cents?;
            let i = (0..booked.len()).find(|&i| {
                !used[i] && booked[i].date == l.date && booked[i].amount_cents == cents
            })?;
            used[i] = true;
            let b = &booked[i];
            Some(HistoryLine {
                counterparty: b.counterparty.clone(),
                label: l.label,
                date: l.date,
                cents,
                how: b.how,
                recorded: b.recorded.clone(),
            })
        })
        .filter(|l| {
            needle.is_empty()
                || l.label.to_lowercase().contains(&needle)
                || l.counterparty
                    .as_deref()
                    .is_some_and(|c| c.to_lowercase().contains(&needle))
                || l.date.contains(&needle)
        })
        .collect();
    out.sort_by(|a, b| b.date.cmp(&a.date));
    let total = out.len();
    let pages = total.div_ceil(HISTORY_PAGE_SIZE).max(1);
    let page = page.clamp(1, pages);
    let lines = out
        .into_iter()
        .skip((page - 1) * HISTORY_PAGE_SIZE)
        .take(HISTORY_PAGE_SIZE)
        .collect();
    History {
        lines,
        total,
        page,
        pages,
    }
}

/// The forecast, day by day.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ForecastView {
    /// The household.
    pub id: String,
    /// The balance it starts from, in cents (the book's balance now).
    pub opening_balance_cents: i64,
    /// End-of-day balances: date (ISO 8601) and cents.
    pub days: Vec<(String, i64)>,
    /// The bookings.
    pub flows: Vec<FlowView>,
    /// The first shortfall.
    pub first_shortfall: Option<ShortfallView>,
}

fn kind_name(k: Option<Kind>) -> &'static str {
    match k {
        Some(Kind::Income) => "income",
        Some(Kind::FixedCost) => "fixed_cost",
        Some(Kind::DebtArrangement) => "debt_arrangement",
        Some(Kind::LivingMoney) => "living_money",
        None => "unknown",
    }
}

fn flow_view(s: &Snapshot, f: &knop_huishoudboekje::Flow, today: Date) -> FlowView {
    FlowView {
        date: f.date.to_string(),
        agreement: f.agreement.clone(),
        label: s.label(&f.agreement),
        kind: kind_name(s.kind(&f.agreement)).to_owned(),
        amount_cents: f.cents,
        past: f.date < today,
    }
}

/// The forecast from today for `days` days.
pub fn forecast(
    s: &Snapshot,
    today: Date,
    days: u32,
) -> Result<ForecastView, knop_huishoudboekje::BudgetError> {
    let f = knop_huishoudboekje::forecast(&s.plan(), today, days)?;
    Ok(ForecastView {
        id: s.household.to_string(),
        opening_balance_cents: s.balance_cents,
        days: f.days.iter().map(|(d, c)| (d.to_string(), *c)).collect(),
        flows: f.flows.iter().map(|x| flow_view(s, x, today)).collect(),
        first_shortfall: f.first_shortfall.map(|x| ShortfallView {
            date: x.date.to_string(),
            balance_cents: x.balance_cents,
        }),
    })
}

fn euro(cents: i64) -> String {
    knop_book::Cents(cents).to_dutch()
}

/// The alerts of a household today, most urgent first.
pub fn alerts(s: &Snapshot, today: Date) -> Vec<AlertView> {
    let mut out = vec![];
    if let Some(r) = s.state.revoked_effective_ms {
        let when = jiff::Timestamp::from_millisecond(r as i64)
            .map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).date())
            .unwrap_or(today);
        out.push(AlertView {
            severity: Severity::Urgent,
            kind: "withdrawal".into(),
            agreement: None,
            date: Some(when.to_string()),
            amount_cents: None,
            message_nl: format!(
                "De inwoner heeft opgezegd. Betalingen stoppen per {}: zeg vaste lasten tijdig over.",
                crate::present::spoken(when, crate::present::Language::Dutch)
            ),
            message_en: format!(
                "The resident withdrew. Payments stop from {}: hand fixed costs over in time.",
                crate::present::spoken(when, crate::present::Language::English)
            ),
        });
    }
    if let Ok(f) = knop_huishoudboekje::forecast(&s.plan(), today, FORECAST_DAYS) {
        if let Some(x) = f.first_shortfall {
            let causes: Vec<String> = f
                .flows
                .iter()
                .filter(|fl| fl.date == x.date && fl.cents < 0)
                .map(|fl| s.label(&fl.agreement))
                .collect();
            let soon = x.date <= today.saturating_add(14.days());
            out.push(AlertView {
                severity: if soon {
                    Severity::Urgent
                } else {
                    Severity::Warning
                },
                kind: "shortfall".into(),
                agreement: f
                    .flows
                    .iter()
                    .find(|fl| fl.date == x.date && fl.cents < 0)
                    .map(|fl| fl.agreement.clone()),
                date: Some(x.date.to_string()),
                amount_cents: Some(x.balance_cents),
                message_nl: format!(
                    "Op {} is er te weinig geld voor {}: het saldo wordt {}.",
                    crate::present::spoken(x.date, crate::present::Language::Dutch),
                    causes.join(", "),
                    euro(x.balance_cents)
                ),
                message_en: format!(
                    "On {} there is not enough money for {}: the balance becomes {}.",
                    crate::present::spoken(x.date, crate::present::Language::English),
                    causes.join(", "),
                    euro(x.balance_cents)
                ),
            });
        }
    }
    // (kind, what happened in Dutch, in English) of each payment that did not stay paid.
    let rejected = (
        "payment_rejected",
        "De bank weigerde de betaling van",
        "The bank rejected the payment of",
    );
    let returned = (
        "payment_returned",
        "De bank van de ontvanger stuurde de betaling terug van",
        "The payee's bank sent back the payment of",
    );
    let failed = s
        .rejected_payments
        .iter()
        .map(|p| (p, rejected))
        .chain(s.returned_payments.iter().map(|p| (p, returned)));
    for ((agreement, due, cents), (kind, what_nl, what_en)) in failed {
        let due_date = due.parse::<Date>().ok();
        let spoken = |lang: crate::present::Language| {
            due_date
                .map(|d| crate::present::spoken(d, lang))
                .unwrap_or_else(|| due.clone())
        };
        out.push(AlertView {
            severity: Severity::Urgent,
            kind: kind.into(),
            agreement: Some(agreement.clone()),
            date: Some(due.clone()),
            amount_cents: Some(*cents),
            message_nl: format!(
                "{what_nl} {} ({}, {}). Het geld staat weer op de rekening; de volgende betaalrun betaalt opnieuw, of pas de afspraak aan (klopt het rekeningnummer nog?).",
                s.label(agreement),
                spoken(crate::present::Language::Dutch),
                euro(*cents)
            ),
            message_en: format!(
                "{what_en} {} ({}, {}). The money is back on the account; the next payment run pays again, or change the agreement (is the account number still right?).",
                s.label(agreement),
                spoken(crate::present::Language::English),
                euro(*cents)
            ),
        });
    }
    if s.advance_cents > 0 {
        out.push(AlertView {
            severity: Severity::Info,
            kind: "advance".into(),
            agreement: None,
            date: None,
            amount_cents: Some(s.advance_cents),
            message_nl: format!(
                "De stichting heeft {} voorgeschoten; dat wordt terugbetaald uit het volgende inkomen.",
                euro(s.advance_cents)
            ),
            message_en: format!(
                "The foundation advanced {}; it is repaid from the next income.",
                euro(s.advance_cents)
            ),
        });
    }
    out.sort_by_key(|a| std::cmp::Reverse(a.severity));
    out
}

/// The household in a list.
pub fn summary(s: &Snapshot, today: Date, today_ms: u64) -> HouseholdSummary {
    let alerts = alerts(s, today);
    HouseholdSummary {
        id: s.household.to_string(),
        counsellor: s.state.counsellor.clone(),
        active: s.state.active_at(today_ms),
        agreements: s.state.agreements.len(),
        balance_cents: s.balance_cents,
        urgency: alerts.first().map(|a| a.severity),
        alerts: alerts.len(),
        top_alert: alerts.into_iter().next(),
    }
}

/// The households `role` may see, most urgent first (then by id): a caseload.
pub fn caseload(
    state: &State,
    role: &crate::access::Role,
    today: Date,
    today_ms: u64,
) -> Vec<HouseholdSummary> {
    let mut all: Vec<HouseholdSummary> = visible_snapshots(state, role)
        .iter()
        .map(|s| summary(s, today, today_ms))
        .collect();
    all.sort_by(|a, b| b.urgency.cmp(&a.urgency).then(a.id.cmp(&b.id)));
    all
}

/// The month at a glance.
pub fn overview(
    s: &Snapshot,
    today: Date,
    today_ms: u64,
) -> Result<Overview, knop_huishoudboekje::BudgetError> {
    let first = today.first_of_month();
    let last = today.last_of_month();
    let plan = s.plan();
    let mut month: Vec<knop_huishoudboekje::Flow> = plan
        .agreements
        .iter()
        .flat_map(|a| a.flows(first, last))
        .collect();
    month.sort_by(|a, b| (a.date, &a.agreement).cmp(&(b.date, &b.agreement)));
    let around = (
        first.saturating_sub(jiff::Span::new().days(7)),
        last.saturating_add(jiff::Span::new().days(7)),
    );
    let for_month: Vec<knop_huishoudboekje::Flow> = plan
        .agreements
        .iter()
        .flat_map(|a| a.flows(around.0, around.1))
        .filter(|x| x.due >= first && x.due <= last)
        .collect();
    let f = knop_huishoudboekje::forecast(&plan, today, FORECAST_DAYS)?;
    let next_living_money = f
        .flows
        .iter()
        .find(|x| s.kind(&x.agreement) == Some(Kind::LivingMoney))
        .map(|x| flow_view(s, x, today));
    Ok(Overview {
        id: s.household.to_string(),
        today: today.to_string(),
        active: s.state.active_at(today_ms),
        withdrawal_effective: s.state.revoked_effective_ms.and_then(|r| {
            jiff::Timestamp::from_millisecond(r as i64)
                .ok()
                .map(|t| t.to_string())
        }),
        balance_cents: s.balance_cents,
        advance_cents: s.advance_cents,
        month: [first.to_string(), last.to_string()],
        // What is for this month: by due date (January's rent, paid on 31 December, is
        // January's).
        month_income_cents: for_month
            .iter()
            .filter(|x| x.cents > 0)
            .map(|x| x.cents)
            .sum(),
        month_payments_cents: -for_month
            .iter()
            .filter(|x| x.cents < 0)
            .map(|x| x.cents)
            .sum::<i64>(),
        reserved_cents: s.reserved_cents,
        month_flows: month.iter().map(|x| flow_view(s, x, today)).collect(),
        next_living_money,
        first_shortfall: f.first_shortfall.map(|x| ShortfallView {
            date: x.date.to_string(),
            balance_cents: x.balance_cents,
        }),
        alerts: alerts(s, today),
        month_bookings: vec![],
        month_lines: vec![],
    })
}

/// A rules result as JSON: eligibility, amounts, the reason, the explanation in plain Dutch and
/// the trace with each figure's source and status. One shape for the CLI and the API.
pub fn outcome_json(o: &Outcome) -> serde_json::Value {
    let steps: Vec<_> = o
        .trace
        .steps
        .iter()
        .map(|s| {
            let mut m = Map::new();
            m.insert("step".into(), json!(s.label));
            match s.value {
                Value::Cents(c) => m.insert("cents".into(), json!(c)),
                Value::Rate(r) => m.insert("rate".into(), json!(r.normalize().to_string())),
                Value::Count(n) => m.insert("count".into(), json!(n)),
                Value::Flag(b) => m.insert("flag".into(), json!(b)),
            };
            if let Some(src) = s.source {
                m.insert("source".into(), json!(src));
            }
            if let Some(st) = s.status {
                m.insert("status".into(), json!(status(st)));
            }
            serde_json::Value::Object(m)
        })
        .collect();
    let mut v = json!({
        "eligible": o.eligible, "year_cents": o.year_cents, "month_cents": o.month_cents,
        "reason": o.reason, "explanation": explain(o),
        "trace": {"params": o.trace.params_file, "steps": steps},
    });
    if let Some(q) = o.quarter_cents {
        v["quarter_cents"] = json!(q);
    }
    if let Some(p) = o.partial {
        v["partial"] = json!(p);
    }
    v
}

/// The name of a figure's status in JSON.
pub fn status(s: Status) -> &'static str {
    match s {
        Status::Verified => "verified",
        Status::Secondary => "secondary",
        Status::Unverified => "unverified",
    }
}

/// Whether a line of the month happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LineStatus {
    /// The bank statement shows it.
    Paid,
    /// Still to come.
    Expected,
    /// Its day has passed and no statement shows it yet.
    NotSeen,
    /// On a statement, but in no agreement.
    Unplanned,
}

/// One line of the month as a resident reads it: what was agreed and what really happened,
/// together.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonthLine {
    /// The day (ISO 8601): the booking's if it happened, else the planned day.
    pub date: String,
    /// What it is: the agreement's name, or the other party as the bank names it.
    pub label: String,
    /// What was agreed, signed cents (money in positive), if it is in an agreement.
    pub planned_cents: Option<i64>,
    /// What the bank booked, signed cents, if it did.
    pub booked_cents: Option<i64>,
    /// Whether it happened.
    pub status: LineStatus,
}

/// Most days a booking may lie from its planned day and still be that payment.
const LINE_DAYS: i64 = 7;

/// This month as one list: every planned flow with what the bank booked for it (the booking of
/// the same sign nearest in amount within [`LINE_DAYS`] days and at most half the amount off),
/// then the bookings no agreement explains. In date order.
pub fn month_lines(flows: &[FlowView], bookings: &[BookingView], today: Date) -> Vec<MonthLine> {
    let day = |s: &str| s.parse::<Date>().ok();
    let mut used = vec![false; bookings.len()];
    let mut out = vec![];
    for f in flows {
        let Some(planned_day) = day(&f.date) else {
            continue;
        };
        let best = bookings
            .iter()
            .enumerate()
            .filter(|(i, b)| !used[*i] && (b.amount_cents > 0) == (f.amount_cents > 0))
            // Within a week of its day, and at most half the agreed amount off (a salary with
            // extra hours is still the salary; a small payment to someone else is not the rent).
            .filter(|(_, b)| {
                day(&b.date).is_some_and(|d| {
                    planned_day
                        .until(d)
                        .is_ok_and(|s| i64::from(s.get_days()).abs() <= LINE_DAYS)
                })
            })
            .filter(|(_, b)| (b.amount_cents - f.amount_cents).abs() * 2 <= f.amount_cents.abs())
            // Nearest in amount, then nearest in days (two payments of the same amount a week
            // apart are each their own day's).
            .min_by_key(|(_, b)| {
                let days = day(&b.date)
                    .and_then(|d| planned_day.until(d).ok())
                    .map_or(i64::MAX, |s| i64::from(s.get_days()).abs());
                ((b.amount_cents - f.amount_cents).abs(), days)
            })
            .map(|(i, _)| i);
        let line = match best {
            Some(i) => {
                used[i] = true;
                MonthLine {
                    date: bookings[i].date.clone(),
                    label: f.label.clone(),
                    planned_cents: Some(f.amount_cents),
                    booked_cents: Some(bookings[i].amount_cents),
                    status: LineStatus::Paid,
                }
            }
            None => MonthLine {
                date: f.date.clone(),
                label: f.label.clone(),
                planned_cents: Some(f.amount_cents),
                booked_cents: None,
                status: if planned_day >= today {
                    LineStatus::Expected
                } else {
                    LineStatus::NotSeen
                },
            },
        };
        out.push(line);
    }
    for (b, _) in bookings.iter().zip(&used).filter(|(_, u)| !**u) {
        out.push(MonthLine {
            date: b.date.clone(),
            label: b
                .counterparty
                .clone()
                .or_else(|| b.remittance.clone())
                .unwrap_or_default(),
            planned_cents: None,
            booked_cents: Some(b.amount_cents),
            status: LineStatus::Unplanned,
        });
    }
    out.sort_by(|a, b| a.date.cmp(&b.date));
    out
}

#[cfg(test)]
mod month_tests {
    use super::*;

    fn flow(date: &str, label: &str, cents: i64) -> FlowView {
        FlowView {
            date: date.into(),
            agreement: label.into(),
            label: label.into(),
            kind: "fixed_cost".into(),
            amount_cents: cents,
            past: false,
        }
    }

    fn booked(date: &str, cents: i64, who: &str) -> BookingView {
        BookingView {
            how: Booked::Received,
            recorded: None,
            date: date.into(),
            amount_cents: cents,
            counterparty: Some(who.into()),
            remittance: None,
        }
    }

    #[test]
    fn every_schedule_comes_to_so_much_a_month_rounded_half_up() {
        use knop_huishoudboekje::Schedule;
        let s = |j: &str| serde_json::from_str::<Schedule>(j).unwrap();
        // 145 a week: 145 × 52 / 12 = 628.333…
        assert_eq!(
            monthly_cents(&s(r#"{"weekly":{"weekday":"monday"}}"#), 14_500),
            Some(62_833)
        );
        // 716.60 a quarter: 238.866… → 238.87.
        assert_eq!(
            monthly_cents(&s(r#"{"quarterly":{"first":"2026-01-05"}}"#), 71_660),
            Some(23_887)
        );
        assert_eq!(
            monthly_cents(&s(r#"{"monthly":{"day":1}}"#), 78_000),
            Some(78_000)
        );
        assert_eq!(
            monthly_cents(&s(r#"{"yearly":{"month":7,"day":1}}"#), 6),
            Some(1),
            "0.5 cent rounds up"
        );
        assert_eq!(
            monthly_cents(
                &s(r#"{"every_n_weeks":{"n":4,"first":"2026-01-05"}}"#),
                12_000
            ),
            Some(13_000)
        );
        assert_eq!(
            monthly_cents(&s(r#"{"once":{"date":"2026-08-15"}}"#), 5_000),
            None
        );
        assert_eq!(
            monthly_cents(&s(r#"{"weekly":{"weekday":"monday"}}"#), i64::MAX / 10),
            Some(((i128::from(i64::MAX / 10) * 52 * 2 + 12) / 24) as i64),
            "no overflow"
        );
    }

    #[test]
    fn two_payments_of_one_amount_a_week_apart_are_each_their_own_days() {
        // Found in the demo: weekly living money and monthly energy, both 145.
        let flows = [
            flow("2026-12-21", "Leefgeld", -14_500),
            flow("2026-12-28", "Energie", -14_500),
            flow("2026-12-28", "Leefgeld", -14_500),
        ];
        let bookings = [
            booked("2026-12-21", -14_500, "x"),
            booked("2026-12-28", -14_500, "y"),
            booked("2026-12-28", -14_500, "z"),
        ];
        let lines = month_lines(&flows, &bookings, "2026-12-29".parse().unwrap());
        let got: Vec<(&str, &str)> = lines
            .iter()
            .map(|l| (l.date.as_str(), l.label.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("2026-12-21", "Leefgeld"),
                ("2026-12-28", "Energie"),
                ("2026-12-28", "Leefgeld")
            ]
        );
        assert!(lines.iter().all(|l| l.status == LineStatus::Paid));
    }

    #[test]
    fn each_line_once_paid_expected_or_not_seen_and_the_rest_unplanned() {
        let today: Date = "2026-12-28".parse().unwrap();
        let flows = [
            flow("2026-12-01", "Huur", -78_000),
            flow("2026-12-24", "Loon", 150_000),
            flow("2026-12-28", "Leefgeld", -14_500),
            flow("2026-12-31", "Zorg", -32_000),
            flow("2026-12-15", "Energie", -14_500),
        ];
        let bookings = [
            booked("2026-12-01", -78_000, "Woningcorporatie"),
            booked("2026-12-24", 215_000, "Werkgever"),
            booked("2026-12-28", -14_500, "S. de Vries"),
            booked("2026-12-10", -5_000, "Gemeente"),
        ];
        let lines = month_lines(&flows, &bookings, today);
        let find = |l: &str| lines.iter().find(|x| x.label == l).unwrap();
        assert_eq!(find("Huur").status, LineStatus::Paid);
        // Paid, with what really came in beside what was agreed.
        let wage = find("Loon");
        assert_eq!(
            (wage.status, wage.planned_cents, wage.booked_cents),
            (LineStatus::Paid, Some(150_000), Some(215_000))
        );
        // Today's living money is paid: it is not also "still to come".
        assert_eq!(find("Leefgeld").status, LineStatus::Paid);
        assert_eq!(find("Zorg").status, LineStatus::Expected);
        assert_eq!(find("Energie").status, LineStatus::NotSeen);
        assert_eq!(find("Gemeente").status, LineStatus::Unplanned);
        assert_eq!(lines.len(), 6, "each line once");
    }
}
