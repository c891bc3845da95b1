//! `knop pay ...`: payment runs on the ledger, the same use-cases the service calls: a run is
//! made (its reservations and record in one entry), approved by a second person (four eyes,
//! enforced by the ledger's state) and only then written as pain.001. There is no run file: the
//! ledger is the only record of a run, so no approval can be added by editing anything.
//! `knop pay preview` shows what a plan would pay on a date and writes nothing.

use knop_huishoudboekje::HouseholdId;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use jiff::civil::Date;
use knop_app::payrun::{self, Debtor, RunView};
use knop_bank::pain001::Version;

use crate::i18n::t;
use crate::location::Location;

/// `knop pay ...`
#[derive(Subcommand, Debug)]
pub enum PayCommand {
    /// Make a payment run for a household on a date: what is due and covered, in priority
    /// order, reserved on the ledger and recorded with who made it.
    Run(RunArgs),
    /// Approve a run on the ledger (must be someone other than its maker).
    Approve(ApproveArgs),
    /// Write an approved run as a pain.001 file for the bank.
    Export(ExportArgs),
    /// Show what a plan would pay on a date with a given amount; writes nothing.
    Preview(PreviewArgs),
}

/// Arguments of `knop pay run`.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// The household on the ledger.
    #[arg(long)]
    pub household: HouseholdId,
    /// The execution date (a TARGET2 business day).
    #[arg(long)]
    pub date: Date,
    /// The foundation's private key file: it signs the entry.
    #[arg(long = "as", value_name = "KEY_FILE")]
    pub key: PathBuf,
    /// How much the foundation may have advanced to the household in all, in euros, when its
    /// income is late; the default for a household without its own limit
    /// (`knop household advance-limit`).
    #[arg(long, default_value = "1500")]
    pub advance_limit: String,
    /// The paying account (the foundation's IBAN).
    #[arg(long)]
    pub debtor_iban: String,
    /// The paying party's name.
    #[arg(long, default_value = "Stichting Huishoudboekje")]
    pub debtor_name: String,
    /// Who makes the run (a person's login).
    #[arg(long)]
    pub by: String,
    /// Print the run as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `knop pay approve`.
#[derive(Args, Debug)]
pub struct ApproveArgs {
    /// The run's id (`KNOP-RUN-…`).
    pub run: String,
    /// Who approves (a person's login; never the maker).
    #[arg(long)]
    pub by: String,
    /// The foundation's private key file: it signs the entry.
    #[arg(long = "as", value_name = "KEY_FILE")]
    pub key: PathBuf,
}

/// Arguments of `knop pay export`.
#[derive(Args, Debug)]
pub struct ExportArgs {
    /// The run's id (`KNOP-RUN-…`).
    pub run: String,
    /// Where to write the pain.001 file.
    #[arg(long)]
    pub out: PathBuf,
    /// pain.001 version: 03 or 09.
    #[arg(long, default_value = "03", value_parser = ["03", "09"])]
    pub pain: String,
    /// Creation time to put in the file (default: now).
    #[arg(long)]
    pub created: Option<String>,
}

/// Arguments of `knop pay preview`.
#[derive(Args, Debug)]
pub struct PreviewArgs {
    #[command(flatten)]
    pub source: crate::household_cmd::PlanFlag,
    /// The execution date (a TARGET2 business day).
    #[arg(long)]
    pub date: Date,
    /// Money available, in euros.
    #[arg(long)]
    pub available: String,
}

/// `knop pay ...`.
pub fn run(loc: &Location, cmd: PayCommand) -> Result<ExitCode> {
    match cmd {
        PayCommand::Run(a) => make(loc, a),
        PayCommand::Approve(a) => approve(loc, a),
        PayCommand::Export(a) => export(loc, a),
        PayCommand::Preview(a) => preview(loc, a),
    }
}

/// A person's login as the ledger records it.
fn person(name: &str) -> Result<String> {
    let n = name.trim();
    if n.is_empty() || n.len() > knop_state::PERSON_BYTES_MAX {
        bail!(
            "--by: {}",
            t(
                "een login van 1 tot 100 tekens",
                "a person's login of 1 to 100 characters"
            )
        );
    }
    Ok(n.to_lowercase())
}

fn make(loc: &Location, a: RunArgs) -> Result<ExitCode> {
    let key = crate::location::read_key(&a.key)?;
    let debtor = Debtor {
        name: a.debtor_name.clone(),
        iban: a.debtor_iban.clone(),
        advance_limit_cents: knop_book::Cents::parse_euros(&a.advance_limit)
            .with_context(|| format!("--advance-limit {:?}", a.advance_limit))?
            .0
            .max(0),
    };
    let mut node = loc.open_writer()?;
    let by = person(&a.by)?;
    let view = payrun::make(
        &mut node,
        &key,
        crate::log_cmd::now_ms(),
        a.household,
        a.date,
        &by,
        &debtor,
        &Default::default(),
        knop_app::payrun::LivingMoneyTo::NoAccountKnown,
    )
    .map_err(|e| anyhow::anyhow!("{}: {e}", t("geen run gemaakt", "no run made")))?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&view)?);
    } else {
        print_run(&view);
    }
    if view.content.advanced_cents > 0 {
        let outstanding = node
            .state()
            .book()
            .account(knop_huishoudboekje::booking::advance_account(a.household).id)
            .map_or(0, |x| x.debits_posted.0 - x.credits_posted.0);
        eprintln!(
            "{}: {} ({} {})",
            t("LET OP: voorschot gebruikt", "NOTE: advance used"),
            crate::files::euro(view.content.advanced_cents),
            t("openstaand", "outstanding"),
            crate::files::euro(outstanding),
        );
    }
    for n in &view.content.not_covered {
        eprintln!("{}: {n}", t("LET OP", "WARNING"));
    }
    Ok(ExitCode::SUCCESS)
}

fn print_run(view: &RunView) {
    for i in &view.content.items {
        println!(
            "{}  {:<12} {:>12}  {}",
            i.due,
            i.agreement,
            crate::files::euro(i.cents),
            i.end_to_end_id
        );
    }
    println!(
        "{} {} ({} {}; {} {})",
        t("Run", "Run"),
        view.content.run_id,
        t("entry", "entry"),
        view.entry,
        t("gemaakt door", "made by"),
        view.created_by
    );
}

fn approve(loc: &Location, a: ApproveArgs) -> Result<ExitCode> {
    let key = crate::location::read_key(&a.key)?;
    let mut node = loc.open_writer()?;
    let by = person(&a.by)?;
    let approval = payrun::approve(&mut node, &key, crate::log_cmd::now_ms(), &a.run, &by)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let view = approval.run;
    let before = match approval.recorded {
        payrun::Recorded::Now => "",
        payrun::Recorded::Before => t(
            " (al eerder goedgekeurd door u: niets nieuws vastgelegd)",
            " (approved by you before: nothing new recorded)",
        ),
    };
    println!(
        "{} {} {}{before}",
        view.content.run_id,
        t("goedgekeurd door", "approved by"),
        view.approved_by.join(", ")
    );
    Ok(ExitCode::SUCCESS)
}

fn export(loc: &Location, a: ExportArgs) -> Result<ExitCode> {
    if a.out.exists() {
        bail!("{} {}", a.out.display(), t("bestaat al", "already exists"));
    }
    let node = loc.open_reader()?;
    let created = a
        .created
        .unwrap_or_else(|| jiff::Zoned::now().strftime("%Y-%m-%dT%H:%M:%S").to_string());
    let version = if a.pain == "09" {
        Version::V09
    } else {
        Version::V03
    };
    let xml = payrun::pain001(node.state(), &a.run, version, &created).map_err(|e| match e {
        payrun::RunError::NotApproved(_) => anyhow::anyhow!(
            "{}",
            t(
                "vier ogen: deze run is nog niet goedgekeurd door een tweede persoon",
                "four eyes: this run is not yet approved by a second person"
            )
        ),
        e => anyhow::anyhow!("{e}"),
    })?;
    std::fs::write(&a.out, xml).with_context(|| format!("writing {}", a.out.display()))?;
    let count = payrun::view(node.state(), &a.run).map_or(0, |v| v.content.items.len());
    println!(
        "{} {} ({count} {})",
        t("Betaalbestand geschreven:", "Payment file written:"),
        a.out.display(),
        t("betalingen", "payments")
    );
    Ok(ExitCode::SUCCESS)
}

fn preview(loc: &Location, a: PreviewArgs) -> Result<ExitCode> {
    let plan = a.source.load(loc)?;
    if !knop_huishoudboekje::calendar::is_business_day(a.date) {
        bail!(
            "{} {}",
            a.date,
            t("is geen TARGET2-werkdag", "is not a TARGET2 business day")
        );
    }
    let available = knop_book::Cents::parse_euros(&a.available)
        .with_context(|| format!("--available {:?}", a.available))?;
    let s = knop_huishoudboekje::payrun::select(&plan, a.date, available.0);
    if s.items.is_empty() {
        println!(
            "{}",
            t(
                "Niets te betalen op deze datum.",
                "Nothing to pay on this date."
            )
        );
    }
    for i in &s.items {
        println!(
            "{}  {:<12} {:>12}  {}",
            i.due,
            i.agreement,
            crate::files::euro(i.cents),
            i.end_to_end_id
        );
    }
    for (id, due, c) in &s.not_covered {
        eprintln!(
            "{}: {id} {due}: {} {}",
            t("LET OP", "WARNING"),
            crate::files::euro(*c),
            t("niet gedekt", "not covered")
        );
    }
    for (id, due) in &s.no_iban {
        eprintln!(
            "{}: {id} {due}: {}",
            t("LET OP", "WARNING"),
            t("geen IBAN van de ontvanger", "no payee IBAN")
        );
    }
    Ok(ExitCode::SUCCESS)
}
