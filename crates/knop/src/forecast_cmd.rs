//! `knop forecast`: the projected balance day by day from a household's plan.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use jiff::civil::Date;
use knop_budget::{forecast, Plan};
use serde_json::json;

/// An amount in Dutch notation.
fn euro(cents: i64) -> String {
    knop_book::Cents(cents).to_dutch()
}

use crate::i18n::t;

/// Arguments of `knop forecast`.
#[derive(Args, Debug)]
pub struct ForecastArgs {
    /// The plan: opening balance and agreements as JSON (see examples/plans).
    pub plan: PathBuf,
    /// First day of the forecast, YYYY-MM-DD.
    #[arg(long)]
    pub from: Date,
    /// Number of days.
    #[arg(long, default_value_t = 90)]
    pub days: u32,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `knop forecast`.
pub fn run(a: ForecastArgs) -> Result<ExitCode> {
    let bytes = std::fs::read(&a.plan).with_context(|| format!("reading {}", a.plan.display()))?;
    let plan: Plan =
        serde_json::from_slice(&bytes).with_context(|| format!("{}: plan", a.plan.display()))?;
    let f = forecast(&plan, a.from, a.days).with_context(|| a.plan.display().to_string())?;
    if a.json {
        let v = json!({
            "from": a.from.to_string(), "days": a.days,
            "first_shortfall": f.first_shortfall.map(|s| json!({"date": s.date.to_string(), "balance_cents": s.balance_cents})),
            "balances": f.days.iter().map(|(d, b)| json!({"date": d.to_string(), "balance_cents": b})).collect::<Vec<_>>(),
            "flows": f.flows.iter().map(|x| json!({"date": x.date.to_string(), "due": x.due.to_string(), "agreement": x.agreement, "cents": x.cents})).collect::<Vec<_>>(),
        });
        println!("{v}");
        return Ok(ExitCode::SUCCESS);
    }
    let label = |id: &str| {
        plan.agreements
            .iter()
            .find(|x| x.id == id)
            .and_then(|x| x.label.clone())
            .unwrap_or_else(|| id.to_owned())
    };
    let mut balance = plan.opening_balance_cents;
    println!(
        "{} {}: {}",
        t("beginsaldo op", "opening balance on"),
        a.from,
        euro(balance)
    );
    for x in &f.flows {
        balance += x.cents;
        let moved = if x.date != x.due {
            format!(" ({} {})", t("vervalt", "due"), x.due)
        } else {
            String::new()
        };
        println!(
            "{}  {:>14}  {:>14}  {}{moved}",
            x.date,
            euro(x.cents),
            euro(balance),
            label(&x.agreement)
        );
    }
    match f.first_shortfall {
        Some(s) => println!(
            "\n{} {}: {} {}",
            t("LET OP: eerste tekort op", "WARNING: first shortfall on"),
            s.date,
            t("saldo", "balance"),
            euro(s.balance_cents)
        ),
        None => println!(
            "\n{} {} {}",
            t("Geen tekort in de komende", "No shortfall in the next"),
            a.days,
            t("dagen.", "days.")
        ),
    }
    Ok(ExitCode::SUCCESS)
}
