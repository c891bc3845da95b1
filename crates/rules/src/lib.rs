//! Rules as code: what a household is entitled to, explained.
//!
//! Pure functions, one per regulation and regime: [`regs::zorgtoeslag`], [`regs::huurtoeslag`]
//! (2025 and 2026 regimes), [`regs::kindgebonden_budget`], [`regs::kinderbijslag`],
//! [`regs::bijstandsnorm`], [`regs::beslagvrije_voet`] (the certain parts) and [`regs::minima`].
//! Parameters are data ([`params`]): versioned files with a source and a status per figure,
//! selected by the reference date. Amounts are `i64` cents, rates exact decimals, and every
//! rounding step names its rule. Every result carries a [`trace::Trace`] and a plain-Dutch
//! explanation ([`explain`]). [`diff`] compares two sets of facts.
//!
//! ```
//! use knop_rules::{calc, facts::Facts};
//! // Facts are plain data; the CLI reads them as JSON. A single person earning EUR 20,000:
//! let facts: Facts = toml::from_str(
//!     r#"persons = [{ birth_date = "1990-05-01", toetsingsinkomen_cents = 2000000 }]"#,
//! ).unwrap();
//! let date = "2026-03-01".parse().unwrap();
//! let results = calc(&facts, date).unwrap();
//! let zt = results.get("zorgtoeslag").unwrap().as_ref().unwrap();
//! assert!(zt.eligible);
//! assert_eq!(zt.month_cents, 129_00);
//! ```

#![warn(missing_docs)]

pub mod facts;
pub mod params;
pub mod regs;
pub mod trace;

use std::collections::BTreeMap;

use jiff::civil::Date;

use crate::facts::{Facts, Household};
use crate::params::registry;
use crate::trace::{Trace, Value};

/// Why a calculation cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RulesError {
    /// Occurs when no parameter file of a regulation covers the reference date.
    #[error("{regulation}: no parameters for {date} (known: {known})")]
    NoParameters {
        /// The regulation.
        regulation: &'static str,
        /// The reference date asked.
        date: String,
        /// The period the files cover.
        known: String,
    },
    /// Occurs when a fact is impossible or out of range.
    #[error("{field}: {why}")]
    Facts {
        /// The field, as a path into the facts (`persons[0].birth_date`).
        field: String,
        /// What is wrong.
        why: String,
    },
}

/// The result for one regulation.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The regulation's key.
    pub regulation: &'static str,
    /// Whether the household is entitled (or, for the norms, falls under them).
    pub eligible: bool,
    /// Per year, in cents.
    pub year_cents: i64,
    /// Per month as paid, in cents.
    pub month_cents: i64,
    /// Per quarter as paid (kinderbijslag), in cents.
    pub quarter_cents: Option<i64>,
    /// The main reason, in Dutch, completing "omdat ...".
    pub reason: &'static str,
    /// How it was calculated.
    pub trace: Trace,
    /// Set when the result is partial or rests on an unverified reading, saying what.
    pub partial: Option<&'static str>,
}

/// The regulations, in output order.
pub const REGULATIONS: [&str; 7] = [
    "zorgtoeslag",
    "huurtoeslag",
    "kindgebonden_budget",
    "kinderbijslag",
    "bijstandsnorm",
    "beslagvrije_voet",
    "minima",
];

/// Results per regulation; a regulation without parameters for the date has an error.
pub type Results = BTreeMap<&'static str, Result<Outcome, RulesError>>;

/// Calculates every regulation for `facts` on `date`. Fails when the facts are impossible, or
/// when no regulation at all has parameters for the date.
pub fn calc(facts: &Facts, date: Date) -> Result<Results, RulesError> {
    let h = facts.check(date)?;
    let results = calc_household(&h);
    if let Some(Err(e)) = results
        .values()
        .find(|r| r.is_err())
        .filter(|_| results.values().all(|r| r.is_err()))
    {
        return Err(e.clone());
    }
    Ok(results)
}

/// The parameter files that apply on one date, looked up once (the registry search is most of
/// the cost of a calculation otherwise).
#[derive(Debug, Clone)]
pub struct ParamSet {
    date: Date,
    zorgtoeslag: Result<&'static params::ParamFile, RulesError>,
    huurtoeslag: Result<&'static params::ParamFile, RulesError>,
    kindgebonden_budget: Result<&'static params::ParamFile, RulesError>,
    kinderbijslag: Result<&'static params::ParamFile, RulesError>,
    bijstand: Result<&'static params::ParamFile, RulesError>,
    beslagvrije_voet: Result<&'static params::ParamFile, RulesError>,
    aow_months: i32,
}

impl ParamSet {
    /// The files that apply on `date`.
    pub fn at(date: Date) -> Self {
        let reg = registry();
        let bijstand = reg.at("bijstand", date);
        let aow_months = bijstand.as_ref().map_or(67 * 12, |f| {
            i32::try_from(f.get("aow_leeftijd_maanden").cents() / 100).unwrap_or(i32::MAX)
        });
        Self {
            date,
            zorgtoeslag: reg.at("zorgtoeslag", date),
            huurtoeslag: reg.at("huurtoeslag", date),
            kindgebonden_budget: reg.at("kindgebonden_budget", date),
            kinderbijslag: reg.at("kinderbijslag", date),
            beslagvrije_voet: reg.at("beslagvrije_voet", date),
            bijstand,
            aow_months,
        }
    }

    /// The date these files apply on.
    pub fn date(&self) -> Date {
        self.date
    }

    /// Every regulation for a household checked on this set's date, in [`REGULATIONS`] order.
    pub fn calc(&self, h: &Household) -> [Result<Outcome, RulesError>; 7] {
        debug_assert_eq!(h.date, self.date, "household checked on another date");
        let bvv = self
            .beslagvrije_voet
            .clone()
            .and_then(|f| self.bijstand.clone().map(|b| (f, b)));
        [
            self.zorgtoeslag.clone().map(|f| regs::zorgtoeslag(h, f)),
            self.huurtoeslag
                .clone()
                .map(|f| regs::huurtoeslag(h, f, self.aow_months)),
            self.kindgebonden_budget
                .clone()
                .map(|f| regs::kindgebonden_budget(h, f)),
            self.kinderbijslag
                .clone()
                .map(|f| regs::kinderbijslag(h, f)),
            self.bijstand.clone().map(|f| regs::bijstandsnorm(h, f)),
            bvv.map(|(f, b)| regs::beslagvrije_voet(h, f, b)),
            self.bijstand.clone().map(|b| regs::minima(h, b)),
        ]
    }
}

/// Calculates every regulation for a checked household.
pub fn calc_household(h: &Household) -> Results {
    REGULATIONS
        .into_iter()
        .zip(ParamSet::at(h.date).calc(h))
        .collect()
}

/// An amount in Dutch notation, `€ 1.234,56`.
pub fn euro(cents: i64) -> String {
    knop_book::Cents(cents).to_dutch()
}

const NAMES: [(&str, &str); 7] = [
    ("zorgtoeslag", "zorgtoeslag"),
    ("huurtoeslag", "huurtoeslag"),
    ("kindgebonden_budget", "kindgebonden budget"),
    ("kinderbijslag", "kinderbijslag"),
    ("bijstandsnorm", "bijstandsnorm"),
    ("beslagvrije_voet", "beslagvrije voet"),
    ("minima", "inkomensgrens minimaregelingen"),
];

/// The Dutch name of a regulation key.
pub fn dutch_name(key: &str) -> &'static str {
    NAMES
        .iter()
        .find(|(k, _)| *k == key)
        .map_or("regeling", |(_, n)| n)
}

/// A plain-Dutch explanation a resident and a counsellor can read.
pub fn explain(o: &Outcome) -> String {
    let name = dutch_name(o.regulation);
    let mut s = match (o.eligible, o.quarter_cents) {
        (true, Some(q)) => format!("Uw {name} is {} per kwartaal omdat {}.", euro(q), o.reason),
        (true, None) => format!(
            "Uw {name} is {} per maand omdat {}.",
            euro(o.month_cents),
            o.reason
        ),
        (false, _) if o.regulation == "bijstandsnorm" || o.regulation == "minima" => format!(
            "De {name} is {} per maand; {}.",
            euro(o.month_cents),
            o.reason
        ),
        (false, _) => format!("U krijgt geen {name} omdat {}.", o.reason),
    };
    if let Some(p) = o.partial {
        s.push_str(&format!(" Let op: {p}."));
    }
    s.push_str("\nZo is het berekend:");
    for step in &o.trace.steps {
        let v = match step.value {
            Value::Cents(c) => euro(c),
            Value::Rate(r) => format!("{}%", (r * rust_decimal::Decimal::ONE_HUNDRED).normalize()),
            Value::Count(n) => n.to_string(),
            Value::Flag(b) => (if b { "ja" } else { "nee" }).to_string(),
        };
        s.push_str(&format!("\n  - {}: {v}", step.label));
        if let Some(src) = step.source {
            s.push_str(&format!("  [{src}]"));
        }
    }
    s.push_str(&format!(
        "\n  (parameters: {}/{})",
        o.regulation_params_dir(),
        o.trace.params_file
    ));
    s
}

impl Outcome {
    fn regulation_params_dir(&self) -> &'static str {
        match self.regulation {
            "bijstandsnorm" | "minima" => "bijstand",
            other => other,
        }
    }
}

/// One regulation's change between two sets of facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The regulation.
    pub regulation: &'static str,
    /// Per month before, in cents.
    pub old_month_cents: i64,
    /// Per month after, in cents.
    pub new_month_cents: i64,
    /// Months left in the calendar year from the reference date's month on.
    pub months_left: i64,
    /// What is repaid later if the change is not reported and the amount goes down:
    /// months left x the monthly difference. Zero when the amount goes up (then: apply).
    pub repayment_risk_cents: i64,
}

/// Compares the facts before and after a change: per regulation the monthly difference and what
/// not reporting it would cost (allowances are settled per calendar year).
pub fn diff(old: &Facts, new: &Facts, date: Date) -> Result<Vec<Change>, RulesError> {
    let (a, b) = (calc(old, date)?, calc(new, date)?);
    let months_left = i64::from(13 - date.month());
    let mut out = Vec::new();
    for key in REGULATIONS {
        let (Some(Ok(x)), Some(Ok(y))) = (a.get(key), b.get(key)) else {
            continue;
        };
        let (old_m, new_m) = (monthly(x), monthly(y));
        if old_m == new_m {
            continue;
        }
        let paid = matches!(
            key,
            "zorgtoeslag" | "huurtoeslag" | "kindgebonden_budget" | "kinderbijslag"
        );
        let risk = if paid && new_m < old_m {
            (old_m - new_m) * months_left
        } else {
            0
        };
        out.push(Change {
            regulation: key,
            old_month_cents: old_m,
            new_month_cents: new_m,
            months_left,
            repayment_risk_cents: risk,
        });
    }
    Ok(out)
}

fn monthly(o: &Outcome) -> i64 {
    if o.eligible || o.regulation == "bijstandsnorm" || o.regulation == "minima" {
        o.month_cents
    } else {
        0
    }
}
