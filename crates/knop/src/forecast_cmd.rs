//! `knop forecast`: the projected balance day by day from a household's plan.

use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use jiff::civil::Date;
use knop_huishoudboekje::forecast;
use serde_json::json;

use crate::files::{date, euro};
use crate::i18n::t;

/// Arguments of `knop forecast`.
#[derive(Args, Debug)]
pub struct ForecastArgs {
    #[command(flatten)]
    pub source: crate::household_cmd::PlanSource,
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
pub fn run(loc: &crate::location::Location, a: ForecastArgs) -> Result<ExitCode> {
    let plan = a.source.load(loc)?;
    let f = forecast(&plan, a.from, a.days).with_context(|| a.source.name())?;
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
        date(a.from),
        euro(balance)
    );
    for x in &f.flows {
        balance += x.cents;
        let moved = if x.date != x.due {
            format!(" ({} {})", t("vervalt", "due"), date(x.due))
        } else {
            String::new()
        };
        println!(
            "{:<18} {:>14}  {:>14}  {}{moved}",
            date(x.date),
            euro(x.cents),
            euro(balance),
            label(&x.agreement)
        );
    }
    match f.first_shortfall {
        Some(s) => println!(
            "\n{} {}: {} {}",
            t("LET OP: eerste tekort op", "WARNING: first shortfall on"),
            date(s.date),
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

/// Arguments of `knop allocate`.
#[derive(Args, Debug)]
pub struct AllocateArgs {
    #[command(flatten)]
    pub source: crate::household_cmd::PlanSource,
    /// The money to allocate, in euros (12,50 or 12.50).
    #[arg(long)]
    pub available: String,
    /// First due date to reserve for.
    #[arg(long)]
    pub from: Date,
    /// Last due date to reserve for.
    #[arg(long)]
    pub through: Date,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `knop allocate`.
pub fn allocate(loc: &crate::location::Location, a: AllocateArgs) -> Result<ExitCode> {
    let available = knop_book::Cents::parse_euros(&a.available)?;
    let plan = a.source.load(loc)?;
    if a.through < a.from || a.through > a.from.saturating_add(jiff::Span::new().days(400)) {
        anyhow::bail!("--through must be on or after --from and at most 400 days later");
    }
    let result = knop_huishoudboekje::allocation::allocate(&plan, available.0, a.from, a.through);
    if a.json {
        let rows: Vec<_> = result.reservations.iter().map(|r| json!({"agreement": r.agreement, "category": format!("{:?}", r.category), "due": r.due.to_string(), "due_cents": r.due_cents, "reserved_cents": r.reserved_cents})).collect();
        println!(
            "{}",
            json!({"reservations": rows, "buffer_cents": result.buffer_cents})
        );
        return Ok(ExitCode::SUCCESS);
    }
    for r in &result.reservations {
        let mark = if r.reserved_cents < r.due_cents {
            format!(
                "  {} {}",
                t("TEKORT", "SHORT"),
                euro(r.due_cents - r.reserved_cents)
            )
        } else {
            String::new()
        };
        println!(
            "{}  {:<14} {:>12} {} {:>12}{mark}",
            r.due,
            r.agreement,
            euro(r.due_cents),
            t("gereserveerd", "reserved"),
            euro(r.reserved_cents)
        );
    }
    println!("{}: {}", t("buffer", "buffer"), euro(result.buffer_cents));
    Ok(ExitCode::SUCCESS)
}
