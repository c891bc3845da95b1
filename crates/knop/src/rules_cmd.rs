//! `knop rules ...`: allowances and norms for a household, from facts as JSON.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use jiff::civil::Date;
use knop_app::views::outcome_json;
use knop_rules::facts::Facts;
use knop_rules::params::{registry, Status};
use knop_rules::{calc, diff, dutch_name, euro, explain, REGULATIONS};
use serde_json::{json, Map};

use crate::i18n::t;

/// `knop rules ...`
#[derive(Subcommand, Debug)]
pub enum RulesCommand {
    /// Calculate every regulation for a household (facts as JSON; see README for the schema).
    Calc(CalcArgs),
    /// Compare two sets of facts: the monthly changes and the repayment risk if not reported.
    Diff(DiffArgs),
    /// List the parameter files, their periods, and how many figures are verified.
    Params,
}

/// Arguments of `knop rules calc`.
#[derive(Args, Debug)]
pub struct CalcArgs {
    /// Reference date, YYYY-MM-DD.
    #[arg(long)]
    pub date: Date,
    /// The facts file ("-" or nothing for standard input).
    pub file: Option<PathBuf>,
    /// Print plain-Dutch explanations instead of JSON.
    #[arg(long)]
    pub explain: bool,
}

/// Arguments of `knop rules diff`.
#[derive(Args, Debug)]
pub struct DiffArgs {
    /// Reference date, YYYY-MM-DD (the month from which the change applies).
    #[arg(long)]
    pub date: Date,
    /// The facts before.
    pub old: PathBuf,
    /// The facts after.
    pub new: PathBuf,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Reads facts JSON from a file or standard input, naming the file and the place of any error.
pub fn read_facts(file: Option<&PathBuf>) -> Result<Facts> {
    let path = file.cloned().unwrap_or_else(|| PathBuf::from("-"));
    let name = if path.as_os_str() == "-" {
        "<stdin>".to_owned()
    } else {
        path.display().to_string()
    };
    let bytes = crate::files::read(&path)?;
    if bytes.len() > 1 << 20 {
        anyhow::bail!("{name}: facts over 1 MiB");
    }
    serde_json::from_slice(&bytes).with_context(|| format!("{name}: facts"))
}

/// `knop rules ...`.
pub fn run(cmd: RulesCommand) -> Result<ExitCode> {
    match cmd {
        RulesCommand::Calc(a) => {
            let facts = read_facts(a.file.as_ref())?;
            let results = calc(&facts, a.date)?;
            if a.explain {
                for key in REGULATIONS {
                    match &results[key] {
                        Ok(o) => println!("{}\n", explain(o)),
                        Err(e) => println!(
                            "{}: {} ({e})\n",
                            dutch_name(key),
                            t("niet te berekenen", "cannot be calculated")
                        ),
                    }
                }
            } else {
                let mut out = Map::new();
                out.insert("date".into(), json!(a.date.to_string()));
                for key in REGULATIONS {
                    let v = match &results[key] {
                        Ok(o) => outcome_json(o),
                        Err(e) => json!({"eligible": null, "error": e.to_string()}),
                    };
                    out.insert(key.into(), v);
                }
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::Value::Object(out))?
                );
            }
        }
        RulesCommand::Diff(a) => {
            let (old, new) = (read_facts(Some(&a.old))?, read_facts(Some(&a.new))?);
            let changes = diff(&old, &new, a.date)?;
            if a.json {
                let list: Vec<_> = changes
                    .iter()
                    .map(|c| json!({"regulation": c.regulation, "old_month_cents": c.old_month_cents, "new_month_cents": c.new_month_cents, "change_month_cents": c.new_month_cents - c.old_month_cents, "months_left": c.months_left, "repayment_risk_cents": c.repayment_risk_cents}))
                    .collect();
                println!("{}", json!({"date": a.date.to_string(), "changes": list}));
            } else if changes.is_empty() {
                println!("{}", t("Geen veranderingen.", "No changes."));
            } else {
                for c in &changes {
                    print!(
                        "{}: {} -> {} {}",
                        dutch_name(c.regulation),
                        euro(c.old_month_cents),
                        euro(c.new_month_cents),
                        t("per maand", "a month")
                    );
                    if c.repayment_risk_cents > 0 {
                        print!(
                            "; {} {} {}",
                            t("niet doorgeven kost later", "not reporting it costs"),
                            euro(c.repayment_risk_cents),
                            t("terugbetalen", "in repayment")
                        );
                    } else if c.new_month_cents > c.old_month_cents {
                        print!(
                            "; {}",
                            t(
                                "vraag de hogere toeslag aan of geef de wijziging door",
                                "apply for the higher amount or report the change"
                            )
                        );
                    }
                    println!();
                }
            }
        }
        RulesCommand::Params => {
            for f in registry().files() {
                let n = f.values.len();
                let verified = f
                    .values
                    .values()
                    .filter(|p| p.status == Status::Verified)
                    .count();
                println!(
                    "{}/{}\t{} .. {}\t{verified}/{n} {}",
                    f.regulation,
                    f.file,
                    f.valid_from,
                    f.valid_through,
                    t("geverifieerd", "verified")
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
