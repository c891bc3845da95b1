//! The five virtual residents: a year of household money, day by day, in two worlds.
//!
//! **Status quo**: incomes arrive on the resident's own account; the resident spends living money
//! each Monday as far as the balance allows, creditors collect direct debits on their due date
//! (a debit that bounces stays owed), and other bills are paid when there is money. A bill still
//! unpaid 30 days after its due date (reminder plus the statutory 14-day letter) gets the
//! statutory collection costs of the WIK scale ([`wik_cents`]).
//!
//! **With knop**: incomes arrive on the foundation's account; every business day a payment run
//! pays what is due (TARGET2 business day on or before the due date) in priority order — housing,
//! energy and water, health insurance, other fixed costs, debts — with an advance up to the
//! household's limit when income is late (repaid from the next income), and the fixed living
//! money once the fixed costs are safe.
//!
//! Pure: the scenario and dates come in, statistics and bank bookings go out. Scenarios are data
//! (`scenarios/*.json`) that a user can copy and edit.

#![warn(missing_docs)]

use std::collections::BTreeMap;

use jiff::civil::Date;
use jiff::ToSpan;
use knop_huishoudboekje::calendar::{is_business_day, next_business_day, previous_business_day};
use knop_huishoudboekje::matching::end_to_end_id;
use knop_huishoudboekje::{Agreement, Category, Kind};
use serde::{Deserialize, Serialize};

/// The scenario shipped with knop.
pub const FIVE_RESIDENTS: &str = include_str!("../scenarios/five-residents.json");

/// Why a scenario cannot run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    /// Occurs when the scenario is not valid.
    #[error("scenario: {0}")]
    Scenario(String),
}

/// A scenario: households and their stories.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Title of the scenario.
    pub title: String,
    /// First simulated day.
    pub start: Date,
    /// The foundation's account (for the bank files).
    pub foundation_iban: String,
    /// The households.
    pub households: Vec<Household>,
}

/// One household.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Household {
    /// Short id.
    pub id: String,
    /// Title, e.g. "Alleenstaande moeder met deeltijdwerk".
    pub title: String,
    /// The story in plain Dutch.
    pub story: String,
    /// Money on the account at the start, in cents.
    pub opening_balance_cents: i64,
    /// How far the foundation may advance when income is late, in cents.
    #[serde(default = "default_advance")]
    pub advance_limit_cents: i64,
    /// The agreements (incomes as expected, fixed costs, living money).
    pub agreements: Vec<Agreement>,
    /// How incomes really arrive, where that differs from the agreement.
    #[serde(default)]
    pub actual: Vec<Actual>,
}

impl Scenario {
    /// The scenario grown to `households` households, for a counsellor's caseload of realistic
    /// size (the demo's 80): the households after the scenario's own are variations of them in
    /// turn, each with its own id (`sanne-6`), payment references and mandates (so every bank
    /// line still belongs to one household), amounts between 95 % and 105 % of the original
    /// (rounded down to the cent) and its own opening balance. Deterministic.
    pub fn with_caseload(mut self, households: usize) -> Self {
        let base = self.households.clone();
        if base.is_empty() {
            return self;
        }
        for n in base.len()..households {
            let k = n + 1;
            let mut h = base[n % base.len()].clone();
            let id = format!("{}-{k}", h.id);
            // 95..=105 percent, varying with the household's number.
            let percent = 95 + (k * 7 % 11) as i64;
            let scale = |cents: i64| cents * percent / 100;
            for a in &mut h.agreements {
                a.amount_cents = scale(a.amount_cents).max(1);
                if let Some(r) = &mut a.reference {
                    let suffix = r.split_once('/').map_or(r.as_str(), |(_, s)| s);
                    *r = format!("{id}/{suffix}");
                }
                if let Some(d) = &mut a.direct_debit {
                    d.mandate_id = format!("{}-{k}", d.mandate_id);
                }
            }
            for actual in &mut h.actual {
                for c in &mut actual.changes {
                    c.amount_cents = scale(c.amount_cents).max(1);
                }
            }
            h.opening_balance_cents = scale(h.opening_balance_cents) + (k as i64 % 9) * 1_000;
            h.id = id;
            self.households.push(h);
        }
        self
    }
}

fn default_advance() -> i64 {
    150_000
}

/// How an income really arrives.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Actual {
    /// The income agreement.
    pub agreement: String,
    /// Days late for every term.
    #[serde(default)]
    pub delay_days: i64,
    /// The first day anything is paid; earlier terms are paid then, as arrears.
    #[serde(default)]
    pub first_paid: Option<Date>,
    /// Amount changes from a date on.
    #[serde(default)]
    pub changes: Vec<Change>,
}

/// A new amount from a date on.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Change {
    /// From this due date on.
    pub from: Date,
    /// The new amount per term, in cents.
    pub amount_cents: i64,
}

/// One month of one household in one world.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Month {
    /// `YYYY-MM`.
    pub month: String,
    /// Bills paid on or before their due date.
    pub paid_on_time: u32,
    /// Bills paid after their due date.
    pub paid_late: u32,
    /// Statutory collection costs incurred (WIK), in cents.
    pub collection_costs_cents: i64,
    /// Living money the resident got (knop) or could spend (status quo), in cents.
    pub living_money_cents: i64,
    /// Balance at the end of the month, in cents (negative: the foundation's advance).
    pub end_balance_cents: i64,
    /// Bills still owed at the end of the month.
    pub open_bills: u32,
}

/// A booking on the foundation's account (knop world), for the bank files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booking {
    /// The household.
    pub household: String,
    /// The agreement.
    pub agreement: String,
    /// Booking date.
    pub date: Date,
    /// Signed cents (credits positive).
    pub cents: i64,
    /// For knop's own payments: the EndToEndId.
    pub end_to_end_id: Option<knop_bank::EndToEndId>,
    /// For direct debits: the mandate and creditor id.
    pub mandate: Option<(String, String)>,
    /// The other party's IBAN.
    pub counterparty_iban: Option<String>,
    /// The other party's name.
    pub counterparty_name: String,
    /// Remittance text.
    pub remittance: String,
}

/// The outcome for one household.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    /// Household id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Story.
    pub story: String,
    /// Month by month without knop.
    pub status_quo: Vec<Month>,
    /// Month by month with knop.
    pub knop: Vec<Month>,
    /// The knop world's bookings on the foundation's account.
    #[serde(skip)]
    pub bookings: Vec<Booking>,
}

/// Statutory collection costs (Besluit vergoeding voor buitengerechtelijke incassokosten, art. 2
/// lid 1) on a principal: 15% of the first EUR 2,500 (at least EUR 40), 10% of the next 2,500,
/// 5% of the next 5,000, 1% of the next 190,000, 0.5% above, at most EUR 6,775. Rounded half up
/// to cents.
pub fn wik_cents(principal_cents: i64) -> i64 {
    let tiers = [
        (250_000, 150),
        (250_000, 100),
        (500_000, 50),
        (19_000_000, 10),
        (i64::MAX, 5),
    ];
    let (mut left, mut millis) = (principal_cents.max(0), 0i64);
    for (width, per_mille) in tiers {
        let part = left.min(width);
        millis += part * per_mille;
        left -= part;
        if left == 0 {
            break;
        }
    }
    ((millis + 500) / 1000).clamp(4_000, 677_500)
}

/// A term of an agreement: due date and amount.
#[derive(Debug, Clone)]
struct Bill {
    agreement: usize,
    due: Date,
    owed: i64,
    principal: i64,
    wik: bool,
}

fn amount_on(a: &Agreement, actual: Option<&Actual>, due: Date) -> i64 {
    actual
        .and_then(|x| {
            x.changes
                .iter()
                .filter(|c| c.from <= due)
                .max_by_key(|c| c.from)
        })
        .map_or(a.amount_cents, |c| c.amount_cents)
}

/// Incomes as they really arrive: (pay date, agreement index, cents).
fn incomes(h: &Household, start: Date, end: Date) -> Vec<(Date, usize, i64)> {
    let mut out = vec![];
    for (i, a) in h
        .agreements
        .iter()
        .enumerate()
        .filter(|(_, a)| a.kind == Kind::Income)
    {
        let actual = h.actual.iter().find(|x| x.agreement == a.id);
        let lo = a.valid_from.map_or(start, |v| v.max(start));
        let hi = a.valid_through.map_or(end, |v| v.min(end));
        for due in a.schedule.occurrences(lo, hi) {
            let mut pay =
                next_business_day(due.saturating_add(actual.map_or(0, |x| x.delay_days).days()));
            if let Some(first) = actual.and_then(|x| x.first_paid) {
                pay = pay.max(next_business_day(first));
            }
            if pay <= end {
                out.push((pay, i, amount_on(a, actual, due)));
            }
        }
    }
    out.sort_by_key(|(d, i, _)| (*d, *i));
    out
}

fn bills(h: &Household, start: Date, end: Date) -> Vec<Bill> {
    let mut out = vec![];
    for (i, a) in h
        .agreements
        .iter()
        .enumerate()
        .filter(|(_, a)| a.kind != Kind::Income)
    {
        let lo = a.valid_from.map_or(start, |v| v.max(start));
        let hi = a.valid_through.map_or(end, |v| v.min(end));
        for due in a.schedule.occurrences(lo, hi) {
            out.push(Bill {
                agreement: i,
                due,
                owed: a.amount_cents,
                principal: a.amount_cents,
                wik: false,
            });
        }
    }
    out.sort_by_key(|b| (b.due, b.agreement));
    out
}

fn month_key(d: Date) -> String {
    d.strftime("%Y-%m").to_string()
}

struct World<'a> {
    h: &'a Household,
    /// The household's number in the scenario, from 1: its id on the ledger.
    number: usize,
    balance: i64,
    open: Vec<Bill>,
    months: BTreeMap<String, Month>,
    bookings: Vec<Booking>,
}

impl World<'_> {
    fn month(&mut self, d: Date) -> &mut Month {
        self.months.entry(month_key(d)).or_insert_with(|| Month {
            month: month_key(d),
            ..Default::default()
        })
    }

    fn pay(&mut self, k: usize, day: Date, record: bool) {
        let bill = self.open.remove(k);
        let a = &self.h.agreements[bill.agreement];
        self.balance -= bill.owed;
        let living = a.kind == Kind::LivingMoney;
        let m = self.month(day);
        if living {
            m.living_money_cents += bill.owed;
        } else if day <= next_business_day(bill.due) {
            // Due on a weekend or holiday: paid on the next business day is on time (that is
            // when the bank books it).
            m.paid_on_time += 1;
        } else {
            m.paid_late += 1;
        }
        if record {
            let a = &self.h.agreements[bill.agreement];
            self.bookings.push(Booking {
                household: self.h.id.clone(),
                agreement: a.id.clone(),
                date: day,
                cents: -bill.owed,
                end_to_end_id: a
                    .direct_debit
                    .is_none()
                    .then(|| end_to_end_id(&format!("{}/{}", self.number, a.id), bill.due)),
                mandate: a
                    .direct_debit
                    .as_ref()
                    .map(|d| (d.mandate_id.clone(), d.creditor_id.clone())),
                counterparty_iban: a.counterparty_iban.clone(),
                counterparty_name: a.payee_name().to_owned(),
                remittance: a
                    .reference
                    .clone()
                    .unwrap_or_else(|| format!("{} {}", a.id, bill.due)),
            });
        }
    }

    /// Statutory collection costs on bills still unpaid 30 days after their due date.
    fn collection_costs(&mut self, day: Date) {
        let mut added = 0;
        for b in &mut self.open {
            let living = self.h.agreements[b.agreement].kind == Kind::LivingMoney;
            if !living && !b.wik && day > b.due.saturating_add(30.days()) {
                let w = wik_cents(b.principal);
                b.owed += w;
                b.wik = true;
                added += w;
            }
        }
        self.month(day).collection_costs_cents += added;
    }
}

fn category(a: &Agreement) -> Category {
    a.category()
}

/// Runs one household in both worlds for `months` months from the scenario's start. `number` is
/// the household's number in the scenario (from 1), which is also its id on the ledger and part
/// of its payments' EndToEndIds.
pub fn run_household(
    h: &Household,
    number: usize,
    start: Date,
    months: i32,
) -> Result<Outcome, SimError> {
    for a in &h.agreements {
        a.check()
            .map_err(|e| SimError::Scenario(format!("{}: {e}", h.id)))?;
    }
    for x in &h.actual {
        if !h
            .agreements
            .iter()
            .any(|a| a.id == x.agreement && a.kind == Kind::Income)
        {
            return Err(SimError::Scenario(format!(
                "{}: actual income {:?} is not an income agreement",
                h.id, x.agreement
            )));
        }
    }
    let end = start
        .saturating_add(months.months())
        .saturating_sub(1.day());
    let status_quo = simulate(h, number, start, end, false).0;
    let (knop, bookings) = simulate(h, number, start, end, true);
    Ok(Outcome {
        id: h.id.clone(),
        title: h.title.clone(),
        story: h.story.clone(),
        status_quo,
        knop,
        bookings,
    })
}

fn simulate(
    h: &Household,
    number: usize,
    start: Date,
    end: Date,
    knop: bool,
) -> (Vec<Month>, Vec<Booking>) {
    let incomes = incomes(h, start, end);
    let mut pending = bills(h, start, end).into_iter().peekable();
    let mut w = World {
        h,
        number,
        balance: h.opening_balance_cents,
        open: vec![],
        months: BTreeMap::new(),
        bookings: vec![],
    };
    let mut next_income = 0;
    let mut day = start;
    while day <= end {
        w.month(day);
        while next_income < incomes.len() && incomes[next_income].0 == day {
            let (_, i, cents) = incomes[next_income];
            w.balance += cents;
            if knop {
                let a = &h.agreements[i];
                w.bookings.push(Booking {
                    household: h.id.clone(),
                    agreement: a.id.clone(),
                    date: day,
                    cents,
                    end_to_end_id: None,
                    mandate: None,
                    counterparty_iban: a.counterparty_iban.clone(),
                    counterparty_name: a.payee_name().to_owned(),
                    remittance: a.reference.clone().unwrap_or_else(|| a.id.clone()),
                });
            }
            next_income += 1;
        }
        // Bills become payable on their execution day (knop) or due day (status quo).
        let horizon = if knop {
            day.saturating_add(7.days())
        } else {
            day
        };
        while pending
            .peek()
            .is_some_and(|b| b.due <= horizon && (!knop || previous_business_day(b.due) <= day))
        {
            w.open.push(pending.next().expect("peeked"));
        }
        if knop {
            pay_knop(&mut w, day)
        } else {
            pay_status_quo(&mut w, day)
        }
        w.collection_costs(day);
        let (balance, open) = (
            w.balance,
            w.open
                .iter()
                .filter(|b| h.agreements[b.agreement].kind != Kind::LivingMoney)
                .count() as u32,
        );
        let m = w.month(day);
        m.end_balance_cents = balance;
        m.open_bills = open;
        let Ok(next) = day.checked_add(1.day()) else {
            break;
        };
        day = next;
    }
    (w.months.into_values().collect(), w.bookings)
}

/// knop: on business days, pay open bills by priority; fixed costs may use the advance, living
/// money only real money, and only when no fixed cost is waiting.
fn pay_knop(w: &mut World<'_>, day: Date) {
    if !is_business_day(day) {
        return;
    }
    w.open
        .sort_by_key(|b| (category(&w.h.agreements[b.agreement]), b.due, b.agreement));
    let mut k = 0;
    while k < w.open.len() {
        let b = &w.open[k];
        let living = w.h.agreements[b.agreement].kind == Kind::LivingMoney;
        let fixed_waiting = w
            .open
            .iter()
            .any(|o| w.h.agreements[o.agreement].kind != Kind::LivingMoney);
        let room = if living {
            if fixed_waiting {
                0
            } else {
                w.balance
            }
        } else {
            w.balance + w.h.advance_limit_cents
        };
        if b.owed <= room {
            w.pay(k, day, true);
        } else {
            k += 1;
        }
    }
    // Living money that could not be paid this week is not paid later: the week has passed.
    w.open.retain(|b| {
        w.h.agreements[b.agreement].kind != Kind::LivingMoney
            || b.due.saturating_add(7.days()) > day
    });
}

/// Status quo: living money first (people eat before they pay bills), direct debits on their due
/// day (they bounce without money), other bills when the money is there, oldest first.
fn pay_status_quo(w: &mut World<'_>, day: Date) {
    // Living money: spent on its day as far as there is money.
    let mut k = 0;
    while k < w.open.len() {
        if w.h.agreements[w.open[k].agreement].kind == Kind::LivingMoney {
            let b = w.open.remove(k);
            let spend = b.owed.min(w.balance.max(0));
            w.balance -= spend;
            w.month(day).living_money_cents += spend;
        } else {
            k += 1;
        }
    }
    if !is_business_day(day) {
        return;
    }
    w.open.sort_by_key(|b| (b.due, b.agreement));
    let mut k = 0;
    while k < w.open.len() {
        let b = &w.open[k];
        let is_debit = w.h.agreements[b.agreement].direct_debit.is_some();
        // A bounced direct debit is not collected again: the creditor sends a bill, which the
        // resident pays like any other when there is money.
        let first_try = b.due >= previous_business_day(day) && b.due <= day;
        if b.owed <= w.balance && (!is_debit || first_try || b.due < day) {
            w.pay(k, day, false);
        } else {
            k += 1;
        }
    }
}

/// Runs every household of a scenario.
pub fn run(s: &Scenario, months: i32) -> Result<Vec<Outcome>, SimError> {
    if !(1..=36).contains(&months) {
        return Err(SimError::Scenario(format!(
            "months must be 1 to 36, found {months}"
        )));
    }
    if s.households.is_empty() || s.households.len() > 100 {
        return Err(SimError::Scenario(
            "a scenario has 1 to 100 households".into(),
        ));
    }
    s.households
        .iter()
        .enumerate()
        .map(|(i, h)| run_household(h, i + 1, s.start, months))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wik_scale() {
        // Examples from the scale: EUR 100 -> minimum 40; 1,000 -> 150; 2,500 -> 375;
        // 5,000 -> 375 + 250 = 625; 10,000 -> 625 + 250 = 875; huge -> 6,775.
        for (principal, costs) in [
            (10_000, 4_000),
            (100_000, 15_000),
            (250_000, 37_500),
            (500_000, 62_500),
            (1_000_000, 87_500),
            (100_000_000_000, 677_500),
        ] {
            assert_eq!(wik_cents(principal), costs, "{principal}");
        }
    }

    #[test]
    fn a_caseload_of_eighty_has_its_own_references_and_pays_on_time() {
        let s: Scenario = serde_json::from_str(FIVE_RESIDENTS).unwrap();
        let s = s.with_caseload(80);
        assert_eq!(s.households.len(), 80);
        let mut ids = std::collections::HashSet::new();
        let mut references = std::collections::HashSet::new();
        let mut mandates = std::collections::HashSet::new();
        for h in &s.households {
            assert!(ids.insert(h.id.clone()), "{} twice", h.id);
            for a in &h.agreements {
                if let Some(r) = &a.reference {
                    assert!(r.starts_with(&format!("{}/", h.id)), "{r}");
                    assert!(references.insert(r.clone()), "{r} twice");
                }
                if let Some(d) = &a.direct_debit {
                    assert!(
                        mandates.insert(d.mandate_id.clone()),
                        "{} twice",
                        d.mandate_id
                    );
                }
            }
        }
        assert_eq!(s.households[5].id, "sanne-6");
        for o in run(&s, 12).unwrap() {
            let late: u32 = o.knop.iter().map(|m| m.paid_late).sum();
            let costs: i64 = o.knop.iter().map(|m| m.collection_costs_cents).sum();
            assert_eq!((late, costs), (0, 0), "{}", o.id);
        }
    }

    #[test]
    fn the_shipped_scenario_runs_and_knop_pays_on_time() {
        let s: Scenario = serde_json::from_str(FIVE_RESIDENTS).unwrap();
        assert_eq!(s.households.len(), 5);
        let out = run(&s, 12).unwrap();
        for o in &out {
            let total = |ms: &[Month], f: fn(&Month) -> i64| ms.iter().map(f).sum::<i64>();
            let (sq_late, kn_late) = (
                total(&o.status_quo, |m| i64::from(m.paid_late)),
                total(&o.knop, |m| i64::from(m.paid_late)),
            );
            let (sq_costs, kn_costs) = (
                total(&o.status_quo, |m| m.collection_costs_cents),
                total(&o.knop, |m| m.collection_costs_cents),
            );
            assert!(
                kn_late <= sq_late,
                "{}: knop late {kn_late} > status quo {sq_late}",
                o.id
            );
            assert!(
                kn_costs <= sq_costs,
                "{}: knop costs {kn_costs} > status quo {sq_costs}",
                o.id
            );
            assert_eq!(o.knop.len(), 12);
        }
    }
}
