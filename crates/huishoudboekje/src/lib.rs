//! The Huishoudboekje domain: agreements (afspraken) with their schedules on the TARGET2
//! calendar, and the forecast that warns before money runs short.
//!
//! Pure: dates come in, nothing is read from the clock.
//!
//! ```
//! use knop_huishoudboekje::{forecast, Plan};
//! let plan: Plan = serde_json::from_str(r#"{
//!   "opening_balance_cents": 10000,
//!   "agreements": [
//!     {"id": "uitkering", "kind": "income", "amount_cents": 140150, "schedule": {"monthly": {"day": 25}}},
//!     {"id": "huur", "kind": "fixed_cost", "amount_cents": 65000, "schedule": {"monthly": {"day": 2}}}
//!   ]}"#).unwrap();
//! let f = forecast(&plan, "2026-03-01".parse().unwrap(), 90).unwrap();
//! let short = f.first_shortfall.unwrap();
//! assert_eq!((short.date.to_string(), short.balance_cents), ("2026-03-02".to_string(), -55000));
//! ```

#![warn(missing_docs)]

pub mod allocation;
pub mod booking;
pub mod calendar;
pub mod encoding;
pub mod household_id;
pub mod match_index;
pub mod matching;
pub mod payrun;
pub mod schedule;

use jiff::civil::Date;
use jiff::ToSpan;
use serde::{Deserialize, Serialize};

pub use household_id::HouseholdId;
pub use schedule::Schedule;

/// Why a plan cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BudgetError {
    /// Occurs when a schedule's numbers are out of range.
    #[error("schedule: {0}")]
    Schedule(String),
    /// Occurs when an agreement is impossible.
    #[error("agreement {id:?}: {why}")]
    Agreement {
        /// The agreement's id.
        id: String,
        /// What is wrong.
        why: String,
    },
    /// Occurs when the forecast window is too long.
    #[error("a forecast covers 1 to {FORECAST_DAYS_MAX} days, asked {0}")]
    Window(u32),
}

/// Longest forecast, in days.
pub const FORECAST_DAYS_MAX: u32 = 400;
/// Largest amount of one agreement: EUR 100 million, in cents.
pub const AMOUNT_MAX_CENTS: i64 = 10_000_000_000;
/// Most agreements in one plan.
pub const AGREEMENTS_MAX: usize = 200;

/// What an agreement does with money.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Money in: benefits, allowances, wages. Arrives on the business day on or after its date.
    Income,
    /// A fixed cost paid out: rent, energy, insurance. Leaves on the business day on or before
    /// its date, so that it is on time.
    FixedCost,
    /// An agreed debt repayment; paid like a fixed cost.
    DebtArrangement,
    /// The resident's living money; paid like a fixed cost.
    LivingMoney,
}

/// One agreement (afspraak).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Agreement {
    /// Stable id, e.g. `huur-mitros`.
    pub id: String,
    /// Income or payment.
    pub kind: Kind,
    /// Amount per occurrence, in cents, positive.
    pub amount_cents: i64,
    /// When it falls due.
    pub schedule: Schedule,
    /// First day it applies.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub valid_from: Option<Date>,
    /// Last day it applies.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub valid_through: Option<Date>,
    /// A readable name.
    #[serde(default)]
    pub label: Option<String>,
    /// The other party's name as its bank knows it: the creditor a payment goes to (pain.001
    /// `Cdtr/Nm`, at most 70 characters), or the payer of an income. Without it, a payment
    /// carries the label.
    #[serde(default)]
    pub creditor_name: Option<String>,
    /// The other party's IBAN: the payer of an income, the payee of a payment.
    #[serde(default)]
    pub counterparty_iban: Option<String>,
    /// Text the payer puts in the remittance information (income matching), or the payment
    /// reference to send (payments).
    #[serde(default)]
    pub reference: Option<String>,
    /// How far the amount may differ from `amount_cents`, in cents.
    #[serde(default)]
    pub tolerance_cents: i64,
    /// How many days a booking may be early or late.
    #[serde(default = "default_tolerance_days")]
    pub tolerance_days: i64,
    /// For a direct debit: the creditor's SEPA id and the mandate.
    #[serde(default)]
    pub direct_debit: Option<DirectDebit>,
    /// What a payment is for; decides its place when income is allocated. Default: from `kind`.
    #[serde(default)]
    pub category: Option<Category>,
}

/// What a payment is for, in the order income is reserved for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Rent or mortgage: first, losing the home is the worst outcome.
    Housing,
    /// Energy and water.
    EnergyWater,
    /// Health insurance premium.
    HealthInsurance,
    /// Other fixed costs.
    OtherFixed,
    /// Agreed debt repayments.
    DebtArrangement,
    /// The resident's living money.
    LivingMoney,
}

impl Agreement {
    /// The category, or the default for its kind.
    pub fn category(&self) -> Category {
        self.category.unwrap_or(match self.kind {
            Kind::DebtArrangement => Category::DebtArrangement,
            Kind::LivingMoney => Category::LivingMoney,
            _ => Category::OtherFixed,
        })
    }

    /// The name a payment to the other party carries (pain.001 `Cdtr/Nm`): the creditor's name,
    /// else the label, else the id.
    pub fn payee_name(&self) -> &str {
        self.creditor_name
            .as_deref()
            .or(self.label.as_deref())
            .unwrap_or(&self.id)
    }
}

fn default_tolerance_days() -> i64 {
    5
}

/// A SEPA direct-debit authorisation.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DirectDebit {
    /// The creditor's SEPA identifier (Incassant-ID), e.g. `NL98ZZZ999999999999`.
    pub creditor_id: String,
    /// The mandate reference.
    pub mandate_id: String,
}

/// A household's plan: its opening balance and agreements.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// Balance on the day before the forecast starts, in cents.
    pub opening_balance_cents: i64,
    /// The agreements.
    pub agreements: Vec<Agreement>,
    /// Which household the plan is of, when it comes from the ledger: part of the EndToEndIds of
    /// its payments, so two households' payments never share one.
    #[serde(default)]
    pub household: Option<String>,
}

impl Plan {
    /// The EndToEndId of the payment of `agreement` due on `due` (see
    /// [`matching::end_to_end_id`]), scoped to the plan's household.
    pub fn end_to_end_id(&self, agreement: &str, due: Date) -> knop_bank::EndToEndId {
        match &self.household {
            Some(h) => matching::end_to_end_id_of(&[h, "/", agreement], due),
            None => matching::end_to_end_id(agreement, due),
        }
    }
}

/// One projected booking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flow {
    /// The business day it is booked.
    pub date: Date,
    /// The date it nominally falls due.
    pub due: Date,
    /// The agreement.
    pub agreement: String,
    /// Signed cents: income positive, payments negative.
    pub cents: i64,
}

/// The first day the projected balance is below zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shortfall {
    /// The day.
    pub date: Date,
    /// The balance at the end of that day (negative), in cents.
    pub balance_cents: i64,
}

/// A day-by-day projection.
#[derive(Debug, Clone)]
pub struct Forecast {
    /// End-of-day balance for every day of the window.
    pub days: Vec<(Date, i64)>,
    /// The bookings, in date order.
    pub flows: Vec<Flow>,
    /// The first shortfall, if any.
    pub first_shortfall: Option<Shortfall>,
}

impl Agreement {
    /// Checks amounts, tolerances, validity period and schedule.
    pub fn check(&self) -> Result<(), BudgetError> {
        let bad = |why: String| {
            Err(BudgetError::Agreement {
                id: self.id.clone(),
                why,
            })
        };
        if self.amount_cents <= 0 || self.amount_cents > AMOUNT_MAX_CENTS {
            return bad(format!(
                "amount must be 1 cent to EUR 100 million, found {} cents",
                self.amount_cents
            ));
        }
        if self.tolerance_cents < 0 || !(0..=31).contains(&self.tolerance_days) {
            return bad(format!(
                "tolerances must be 0 or more cents and 0-31 days, found {} cents and {} days",
                self.tolerance_cents, self.tolerance_days
            ));
        }
        if let (Some(a), Some(b)) = (self.valid_from, self.valid_through) {
            if b < a {
                return bad(format!("valid_through {b} is before valid_from {a}"));
            }
        }
        self.schedule.check().map_err(|e| BudgetError::Agreement {
            id: self.id.clone(),
            why: e.to_string(),
        })
    }

    /// The bookings of this agreement executed within `from..=through`.
    pub fn flows(&self, from: Date, through: Date) -> Vec<Flow> {
        // Look a week beyond both ends: a due date just outside may be booked inside.
        let (lo, hi) = (
            from.saturating_sub(7.days()),
            through.saturating_add(7.days()),
        );
        let lo = self.valid_from.map_or(lo, |v| v.max(lo));
        let hi = self.valid_through.map_or(hi, |v| v.min(hi));
        if hi < lo {
            return vec![];
        }
        let income = self.kind == Kind::Income;
        self.schedule
            .occurrences(lo, hi)
            .into_iter()
            .map(|due| {
                let date = if income {
                    calendar::next_business_day(due)
                } else {
                    calendar::previous_business_day(due)
                };
                Flow {
                    date,
                    due,
                    agreement: self.id.clone(),
                    cents: if income {
                        self.amount_cents
                    } else {
                        -self.amount_cents
                    },
                }
            })
            .filter(|f| f.date >= from && f.date <= through)
            .collect()
    }
}

/// Projects the balance day by day for `days` days from `start` and finds the first shortfall.
///
/// The opening balance is the balance at the end of the day before `start`. Incomes are booked
/// on the business day on or after their due date, payments on the business day on or before it
/// (so they are on time): a cautious projection in both directions.
pub fn forecast(plan: &Plan, start: Date, days: u32) -> Result<Forecast, BudgetError> {
    if days == 0 || days > FORECAST_DAYS_MAX {
        return Err(BudgetError::Window(days));
    }
    if plan.agreements.len() > AGREEMENTS_MAX {
        return Err(BudgetError::Agreement {
            id: String::new(),
            why: format!("a plan has at most {AGREEMENTS_MAX} agreements"),
        });
    }
    for a in &plan.agreements {
        a.check()?;
    }
    let end = start.saturating_add(i64::from(days - 1).days());
    let mut flows: Vec<Flow> = plan
        .agreements
        .iter()
        .flat_map(|a| a.flows(start, end))
        .collect();
    flows.sort_by(|a, b| {
        (a.date, a.cents < 0, &a.agreement).cmp(&(b.date, b.cents < 0, &b.agreement))
    });
    let (mut balance, mut i, mut out, mut first) = (
        plan.opening_balance_cents,
        0,
        Vec::with_capacity(days as usize),
        None,
    );
    let mut day = start;
    while day <= end {
        while i < flows.len() && flows[i].date == day {
            balance += flows[i].cents;
            i += 1;
        }
        if balance < 0 && first.is_none() {
            first = Some(Shortfall {
                date: day,
                balance_cents: balance,
            });
        }
        out.push((day, balance));
        let Ok(next) = day.checked_add(1.day()) else {
            break;
        };
        day = next;
    }
    Ok(Forecast {
        days: out,
        flows,
        first_shortfall: first,
    })
}
