//! `knop household ...` and `knop agreement ...`: the Huishoudboekje's households and their
//! agreements, recorded as signed ledger entries (pseudonymous ids only).

use knop_huishoudboekje::HouseholdId;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use jiff::civil::Date;
use knop_state::{Command, HouseholdCommand};
use serde_json::json;

use crate::book_cmd::{report, submit_as, Signer};
use crate::files::euro;
use crate::i18n::t;
use crate::location::{read_key, Location};

/// `knop household ...`
#[derive(Subcommand, Debug)]
pub enum HouseholdCmd {
    /// Record the resident's opt-in ("de knop"): who informed them, with which information.
    Open {
        #[command(flatten)]
        signer: Signer,
        /// Pseudonymous household number.
        #[arg(long)]
        id: HouseholdId,
        /// Pseudonymous id of the counsellor who informed the resident.
        #[arg(long)]
        counsellor: String,
        /// Version of the information about the consequences that was given.
        #[arg(long)]
        information: String,
    },
    /// Record a withdrawal, taking effect on a date (after the notice period).
    Revoke {
        #[command(flatten)]
        signer: Signer,
        /// The household.
        #[arg(long)]
        id: HouseholdId,
        /// The day the withdrawal takes effect.
        #[arg(long)]
        effective: Date,
    },
    /// Set how much the foundation may advance to the household when its income is late
    /// (repaid from that income); replaces `knop pay run --advance-limit` for it. 0: none.
    AdvanceLimit {
        #[command(flatten)]
        signer: Signer,
        /// The household.
        #[arg(long)]
        id: HouseholdId,
        /// The limit in euros, e.g. 1500 or 1500,00.
        #[arg(long)]
        euros: String,
    },
    /// List the households.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show a household with its agreements.
    Show {
        /// The household.
        id: HouseholdId,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `knop agreement ...`
#[derive(Subcommand, Debug)]
pub enum AgreementCmd {
    /// Create or change an agreement from a JSON file (one agreement, as in a plan).
    Set(SetArgs),
    /// End an agreement after a date.
    End {
        #[command(flatten)]
        signer: Signer,
        /// The household.
        #[arg(long)]
        household: HouseholdId,
        /// The agreement's id.
        #[arg(long)]
        id: String,
        /// Last day it applies.
        #[arg(long)]
        through: Date,
    },
    /// List a household's agreements.
    List {
        /// The household.
        #[arg(long)]
        household: HouseholdId,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show one agreement in full (JSON).
    Show {
        /// The household.
        #[arg(long)]
        household: HouseholdId,
        /// The agreement's id.
        #[arg(long)]
        id: String,
    },
}

/// Arguments of `knop agreement set`.
#[derive(Args, Debug)]
pub struct SetArgs {
    #[command(flatten)]
    signer: Signer,
    /// The household.
    #[arg(long)]
    household: HouseholdId,
    /// The agreement as JSON ("-" for standard input).
    #[arg(long)]
    file: PathBuf,
}

fn midnight_ms(d: Date) -> Result<u64> {
    let ts = d
        .to_zoned(jiff::tz::TimeZone::get("Europe/Amsterdam").unwrap_or(jiff::tz::TimeZone::UTC))?
        .timestamp();
    u64::try_from(ts.as_millisecond()).context("date before 1970")
}

/// `knop household ...`.
pub fn household(loc: &Location, cmd: HouseholdCmd) -> Result<ExitCode> {
    match cmd {
        HouseholdCmd::Open {
            signer,
            id,
            counsellor,
            information,
        } => {
            let key = read_key(&signer.key)?;
            let mut node = loc.open_writer()?;
            report(submit_as(
                &mut node,
                &key,
                &Command::Household(HouseholdCommand::Open {
                    household: id,
                    counsellor,
                    information,
                }),
            )?)
        }
        HouseholdCmd::Revoke {
            signer,
            id,
            effective,
        } => {
            let key = read_key(&signer.key)?;
            let mut node = loc.open_writer()?;
            let cmd = Command::Household(HouseholdCommand::Revoke {
                household: id,
                effective_ms: midnight_ms(effective)?,
            });
            report(submit_as(&mut node, &key, &cmd)?)
        }
        HouseholdCmd::AdvanceLimit { signer, id, euros } => {
            let cents = knop_book::Cents::parse_euros(&euros)
                .with_context(|| format!("--euros {euros:?}"))?
                .0;
            if !(0..=knop_state::ADVANCE_LIMIT_CENTS_MAX).contains(&cents) {
                bail!(
                    "--euros: 0 {} {} (EUR), {} {euros}",
                    t("tot en met", "to"),
                    knop_state::ADVANCE_LIMIT_CENTS_MAX / 100,
                    t("niet", "not")
                );
            }
            let key = read_key(&signer.key)?;
            let mut node = loc.open_writer()?;
            let cmd = Command::Household(HouseholdCommand::SetAdvanceLimit {
                household: id,
                cents,
            });
            report(submit_as(&mut node, &key, &cmd)?)
        }
        HouseholdCmd::List { json } => {
            let node = loc.open_reader()?;
            for (id, h) in node.state().households() {
                if json {
                    println!(
                        "{}",
                        json!({"id": id.to_string(), "opened_at_ms": h.opened_at_ms, "counsellor": h.counsellor, "withdrawal_effective_ms": h.revoked_effective_ms, "agreements": h.agreements.len()})
                    );
                } else {
                    let state = if h.revoked_effective_ms.is_some() {
                        t("opgezegd", "withdrawn")
                    } else {
                        t("actief", "active")
                    };
                    println!(
                        "{id}\t{state}\t{} {}",
                        h.agreements.len(),
                        t("afspraken", "agreements")
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        HouseholdCmd::Show { id, json } => {
            let node = loc.open_reader()?;
            let h = node.state().households().get(&id).with_context(|| {
                format!("{} {id}", t("onbekend huishouden", "unknown household"))
            })?;
            if json {
                let agreements: Vec<_> = h.agreements.values().map(|a| json!({"id": a.id, "kind": format!("{:?}", a.kind), "amount_cents": a.amount_cents, "label": a.label, "valid_from": a.valid_from.map(|d| d.to_string()), "valid_through": a.valid_through.map(|d| d.to_string())})).collect();
                println!(
                    "{}",
                    json!({"id": id.to_string(), "opened_at_ms": h.opened_at_ms, "opened_by": h.opened_by.as_str(), "counsellor": h.counsellor, "information": h.information, "withdrawal_effective_ms": h.revoked_effective_ms, "advance_limit_cents": h.advance_limit_cents, "agreements": agreements})
                );
            } else {
                println!(
                    "{} {id}: {} {} ({}: {})",
                    t("huishouden", "household"),
                    t("aangemeld door", "opted in with"),
                    h.counsellor,
                    t("informatie", "information"),
                    h.information
                );
                if let Some(c) = h.advance_limit_cents {
                    println!("  {}: {}", t("voorschotlimiet", "advance limit"), euro(c));
                }
                for a in h.agreements.values() {
                    let until = a
                        .valid_through
                        .map(|d| format!(" t/m {d}"))
                        .unwrap_or_default();
                    println!(
                        "  {:<14} {:?} {:>12}{until}  {}",
                        a.id,
                        a.kind,
                        euro(a.amount_cents),
                        a.label.as_deref().unwrap_or("")
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `knop agreement ...`.
pub fn agreement(loc: &Location, cmd: AgreementCmd) -> Result<ExitCode> {
    let (signer, command) = match cmd {
        AgreementCmd::List { household, json } => {
            let plan = plan_of(loc, household, 0)?;
            for a in &plan.agreements {
                if json {
                    println!("{}", agreement_json(a));
                } else {
                    let until = a
                        .valid_through
                        .map(|d| format!(" t/m {d}"))
                        .unwrap_or_default();
                    println!(
                        "{:<14} {:?} {:>12}{until}  {}",
                        a.id,
                        a.kind,
                        euro(a.amount_cents),
                        a.label.as_deref().unwrap_or("")
                    );
                }
            }
            return Ok(ExitCode::SUCCESS);
        }
        AgreementCmd::Show { household, id } => {
            let plan = plan_of(loc, household, 0)?;
            let a = plan
                .agreements
                .iter()
                .find(|a| a.id == id)
                .with_context(|| {
                    format!("{} {id:?}", t("onbekende afspraak", "unknown agreement"))
                })?;
            println!("{}", serde_json::to_string_pretty(&agreement_json(a))?);
            return Ok(ExitCode::SUCCESS);
        }
        AgreementCmd::Set(a) => {
            let bytes = crate::files::read(&a.file)?;
            let agreement: knop_huishoudboekje::Agreement = serde_json::from_slice(&bytes)
                .with_context(|| format!("{}: agreement", a.file.display()))?;
            // Nothing personal goes on the shared ledger (the CLI has no vault to compare with:
            // the shapes of a BSN, an address and contacts are refused).
            knop_app::ledger_text::check_agreement(&agreement, None)
                .map_err(|e| anyhow::anyhow!("{}: {e}", a.file.display()))?;
            (
                a.signer,
                HouseholdCommand::SetAgreement {
                    household: a.household,
                    agreement,
                },
            )
        }
        AgreementCmd::End {
            signer,
            household,
            id,
            through,
        } => (
            signer,
            HouseholdCommand::EndAgreement {
                household,
                agreement: id,
                through,
            },
        ),
    };
    let key = read_key(&signer.key)?;
    let mut node = loc.open_writer()?;
    report(submit_as(&mut node, &key, &Command::Household(command))?)
}

/// The plan of a household on the ledger, with `opening_balance_cents`.
pub fn plan_of(
    loc: &Location,
    household: HouseholdId,
    opening_balance_cents: i64,
) -> Result<knop_huishoudboekje::Plan> {
    let node = loc.open_reader()?;
    let h = node.state().households().get(&household).with_context(|| {
        format!(
            "{} {household}",
            t("onbekend huishouden", "unknown household")
        )
    })?;
    Ok(h.plan(node.state().id_scope(), household, opening_balance_cents))
}

/// Where a household's plan comes from: a plan file, or a household on the ledger.
#[derive(Args, Debug)]
pub struct PlanSource {
    /// The plan file (opening balance and agreements as JSON; see examples/plans).
    #[arg(required_unless_present = "household")]
    pub plan: Option<PathBuf>,
    /// Or: a household on the ledger (its current agreements).
    #[arg(long, conflicts_with = "plan")]
    pub household: Option<HouseholdId>,
    /// With --household: the balance to start from, in euros.
    #[arg(long, default_value = "0", requires = "household")]
    pub balance: String,
}

/// Like [`PlanSource`], with the plan file as `--plan FILE`.
#[derive(Args, Debug)]
pub struct PlanFlag {
    /// The plan file.
    #[arg(long, required_unless_present = "household")]
    pub plan: Option<PathBuf>,
    /// Or: a household on the ledger.
    #[arg(long, conflicts_with = "plan")]
    pub household: Option<HouseholdId>,
}

impl PlanSource {
    /// Loads the plan.
    pub fn load(&self, loc: &Location) -> Result<knop_huishoudboekje::Plan> {
        match (&self.plan, self.household) {
            (Some(p), _) => crate::files::read_plan(p),
            (None, Some(h)) => plan_of(loc, h, knop_book::Cents::parse_euros(&self.balance)?.0),
            (None, None) => anyhow::bail!("give a plan file or --household"),
        }
    }

    /// A name for messages.
    pub fn name(&self) -> String {
        match (&self.plan, self.household) {
            (Some(p), _) => p.display().to_string(),
            (None, Some(h)) => format!("{} {h}", t("huishouden", "household")),
            (None, None) => String::new(),
        }
    }
}

impl PlanFlag {
    /// Loads the plan.
    pub fn load(&self, loc: &Location) -> Result<knop_huishoudboekje::Plan> {
        PlanSource {
            plan: self.plan.clone(),
            household: self.household,
            balance: "0".into(),
        }
        .load(loc)
    }
}

/// An agreement as JSON, in the same shape as the files `agreement set` reads.
fn agreement_json(a: &knop_huishoudboekje::Agreement) -> serde_json::Value {
    serde_json::to_value(a).unwrap_or(serde_json::Value::Null)
}

/// Arguments of `knop alerts`.
#[derive(Args, Debug)]
pub struct AlertsArgs {
    /// The household.
    #[arg(long)]
    pub household: HouseholdId,
    /// The day to judge on.
    #[arg(long)]
    pub today: Date,
    /// The household's balance, in euros, to judge with instead of its balance in the book.
    #[arg(long)]
    pub balance: Option<String>,
    /// A bank statement to check as well (matching alerts: overdue incomes, amounts, debits).
    #[arg(long)]
    pub statement: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `knop alerts`: what a counsellor should look at for a household today: the alerts the
/// service shows (`knop_app::views::alerts`: withdrawal, shortfall, rejected and returned
/// payments, advances), and with `--statement` what matching that statement finds.
pub fn alerts(loc: &Location, a: AlertsArgs) -> Result<ExitCode> {
    let node = loc.open_reader()?;
    let mut snap = knop_app::views::snapshot(node.state(), a.household)
        .with_context(|| format!("{} {}", t("huishouden", "household"), a.household))?;
    if let Some(b) = &a.balance {
        snap.balance_cents = knop_book::Cents::parse_euros(b)
            .with_context(|| format!("--balance {b:?}"))?
            .0;
    }
    let mut out = knop_app::views::alerts(&snap, a.today);
    if let Some(path) = &a.statement {
        let file = knop_bank::camt053::parse(&crate::files::read(path)?)
            .with_context(|| path.display().to_string())?;
        // The ledger knows the EndToEndIds of payments made again after a rejection.
        let found =
            knop_app::matching::match_file(&file, &snap.plan(), a.today, Some(node.state().book()))
                .alerts;
        out.extend(
            found
                .into_iter()
                .map(knop_app::views::AlertView::of_statement),
        );
    }
    if a.json {
        println!(
            "{}",
            json!({"household": a.household.to_string(), "alerts": out})
        );
    } else if out.is_empty() {
        println!("{}", t("Geen signalen.", "No alerts."));
    } else {
        for x in &out {
            println!(
                "- {}{}",
                x.agreement
                    .as_deref()
                    .map(|x| format!("{x}: "))
                    .unwrap_or_default(),
                t(&x.message_nl, &x.message_en)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
