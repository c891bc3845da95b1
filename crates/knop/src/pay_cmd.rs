//! `knop pay ...`: payment runs from a household's plan, approved by a second person, exported
//! as pain.001.
//!
//! A run is a file: what to pay (with deterministic EndToEndIds), who made it, a SHA-256 of that
//! content, and the approvals, each naming the content hash it approved. Export needs an approval
//! by someone other than the maker (four-eyes) of exactly this content. The file guards against
//! mistakes, not against someone who edits it on purpose: recording runs and approvals as signed
//! ledger entries comes with the service (issue 5).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use jiff::civil::Date;
use knop_bank::pain001::Version;
use knop_budget::payrun::select;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::i18n::t;

/// `knop pay ...`
#[derive(Subcommand, Debug)]
pub enum PayCommand {
    /// Make a payment run for a date from a plan: what is due and covered, in priority order.
    Run(RunArgs),
    /// Approve a run (must be someone other than its maker).
    Approve(ApproveArgs),
    /// Write an approved run as a pain.001 file for the bank.
    Export(ExportArgs),
}

/// Arguments of `knop pay run`.
#[derive(Args, Debug)]
pub struct RunArgs {
    #[command(flatten)]
    pub source: crate::household_cmd::PlanFlag,
    /// The execution date (a TARGET2 business day).
    #[arg(long)]
    pub date: Date,
    /// Money available for the run, in euros (with --book: the household's balance on the
    /// ledger, less what earlier runs reserved).
    #[arg(long, required_unless_present = "book")]
    pub available: Option<String>,
    /// Reserve the payments on the ledger as pending transfers from the household's account;
    /// the bank statement posts them (`knop bank match --book`). Needs --household and --as.
    #[arg(long, requires_all = ["household", "key"])]
    pub book: bool,
    /// The booking organisation's private key file (with --book).
    #[arg(long = "as", value_name = "KEY_FILE")]
    pub key: Option<PathBuf>,
    /// With --book: how much the foundation may have advanced to the household in all, in euros,
    /// when its income is late (repaid from the next income that is matched); the foundation's
    /// default, for a household without its own limit (`knop household advance-limit`).
    #[arg(long, default_value = "1500")]
    pub advance_limit: String,
    /// The paying account (the foundation's IBAN).
    #[arg(long)]
    pub debtor_iban: String,
    /// The paying party's name.
    #[arg(long, default_value = "Stichting Huishoudboekje")]
    pub debtor_name: String,
    /// Who makes the run.
    #[arg(long)]
    pub by: String,
    /// Where to write the run file.
    #[arg(long)]
    pub out: PathBuf,
}

/// Arguments of `knop pay approve`.
#[derive(Args, Debug)]
pub struct ApproveArgs {
    /// The run file.
    pub run: PathBuf,
    /// Who approves.
    #[arg(long)]
    pub by: String,
}

/// Arguments of `knop pay export`.
#[derive(Args, Debug)]
pub struct ExportArgs {
    /// The run file.
    pub run: PathBuf,
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

#[derive(Serialize, Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
struct Content {
    version: u32,
    run_id: String,
    date: String,
    created_by: String,
    debtor_name: String,
    debtor_iban: String,
    items: Vec<ItemJson>,
}

/// One payment of a run file: the same shape as a run on the ledger.
type ItemJson = knop_serve::payrun::RunItem;

#[derive(Serialize, Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
struct Approval {
    by: String,
    content_sha256: String,
}

#[derive(Serialize, Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RunFile {
    content: Content,
    content_sha256: String,
    not_covered: Vec<String>,
    approvals: Vec<Approval>,
}

fn digest(c: &Content) -> Result<String> {
    let bytes = serde_json::to_vec(c)?;
    Ok(Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

fn person(name: &str) -> Result<String> {
    let n = name.trim();
    if n.is_empty() || n.len() > 100 {
        bail!("--by: a person's name or user id of 1 to 100 characters");
    }
    Ok(n.to_lowercase())
}

fn load(path: &std::path::Path) -> Result<RunFile> {
    let bytes = crate::files::read(path)?;
    let run: RunFile =
        serde_json::from_slice(&bytes).with_context(|| format!("{}: run file", path.display()))?;
    if digest(&run.content)? != run.content_sha256 {
        bail!(
            "{}: {}",
            path.display(),
            t(
                "de inhoud is gewijzigd na het aanmaken; maak de run opnieuw",
                "the content changed after the run was made; make it again"
            )
        );
    }
    Ok(run)
}

fn save(path: &std::path::Path, run: &RunFile) -> Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(run)?)
        .with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// `knop pay ...`.
pub fn run(loc: &crate::location::Location, cmd: PayCommand) -> Result<ExitCode> {
    match cmd {
        PayCommand::Run(a) => make(loc, a),
        PayCommand::Approve(a) => {
            let mut run = load(&a.run)?;
            let by = person(&a.by)?;
            if by == run.content.created_by {
                bail!(
                    "{}",
                    t(
                        "vier ogen: wie de run maakte mag hem niet goedkeuren",
                        "four eyes: the maker of a run may not approve it"
                    )
                );
            }
            if run.approvals.iter().any(|x| x.by == by) {
                bail!(
                    "{by} {}",
                    t("keurde deze run al goed", "already approved this run")
                );
            }
            run.approvals.push(Approval {
                by: by.clone(),
                content_sha256: run.content_sha256.clone(),
            });
            save(&a.run, &run)?;
            println!(
                "{} {} {by}",
                run.content.run_id,
                t("goedgekeurd door", "approved by")
            );
            Ok(ExitCode::SUCCESS)
        }
        PayCommand::Export(a) => export(a),
    }
}

fn make(loc: &crate::location::Location, a: RunArgs) -> Result<ExitCode> {
    let plan = a.source.load(loc)?;
    if !knop_budget::calendar::is_business_day(a.date) {
        bail!(
            "{} {}",
            a.date,
            t("is geen TARGET2-werkdag", "is not a TARGET2 business day")
        );
    }
    if a.out.exists() {
        bail!("{} {}", a.out.display(), t("bestaat al", "already exists"));
    }
    let s = if a.book {
        let household = a
            .source
            .household
            .expect("clap requires --household with --book");
        book_run(loc, &plan, &a, household)?
    } else {
        let available = knop_book::Cents::parse_euros(
            a.available
                .as_deref()
                .expect("clap requires --available without --book"),
        )?;
        select(&plan, a.date, available.0)
    };
    if s.items.is_empty() {
        println!(
            "{}",
            t(
                "Niets te betalen op deze datum.",
                "Nothing to pay on this date."
            )
        );
    }
    let items: Vec<ItemJson> = s.items.iter().map(ItemJson::from).collect();
    let id_source = format!(
        "{}{}{}",
        a.date,
        a.debtor_iban,
        items
            .iter()
            .map(|i| i.end_to_end_id.as_str())
            .collect::<String>()
    );
    let run_id = format!(
        "KNOP-RUN-{}-{}",
        a.date.strftime("%Y%m%d"),
        &format!("{:x}", Sha256::digest(id_source.as_bytes()))[..8]
    );
    let content = Content {
        version: 1,
        run_id,
        date: a.date.to_string(),
        created_by: person(&a.by)?,
        debtor_name: a.debtor_name,
        debtor_iban: a.debtor_iban,
        items,
    };
    let mut not_covered: Vec<String> = s
        .not_covered
        .iter()
        .map(|(id, due, c)| {
            format!(
                "{id} {due}: {} {}",
                knop_book::Cents(*c),
                t("niet gedekt", "not covered")
            )
        })
        .collect();
    not_covered.extend(s.no_iban.iter().map(|(id, due)| {
        format!(
            "{id} {due}: {}",
            t("geen IBAN van de ontvanger", "no payee IBAN")
        )
    }));
    let run = RunFile {
        content_sha256: digest(&content)?,
        content,
        not_covered,
        approvals: vec![],
    };
    save(&a.out, &run)?;
    for i in &run.content.items {
        println!(
            "{}  {:<12} {:>12}  {}",
            i.due,
            i.agreement,
            knop_book::Cents(i.cents),
            i.end_to_end_id
        );
    }
    for n in &run.not_covered {
        eprintln!("{}: {n}", t("LET OP", "WARNING"));
    }
    println!(
        "{} {} → {}",
        t("Run", "Run"),
        run.content.run_id,
        a.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn export(a: ExportArgs) -> Result<ExitCode> {
    let run = load(&a.run)?;
    let approved = run
        .approvals
        .iter()
        .any(|x| x.by != run.content.created_by && x.content_sha256 == run.content_sha256);
    if !approved {
        bail!(
            "{}",
            t(
                "vier ogen: deze run is nog niet goedgekeurd door een tweede persoon",
                "four eyes: this run is not yet approved by a second person"
            )
        );
    }
    if run.content.items.is_empty() {
        bail!(
            "{}",
            t("de run bevat geen betalingen", "the run has no payments")
        );
    }
    let created = a
        .created
        .unwrap_or_else(|| jiff::Zoned::now().strftime("%Y-%m-%dT%H:%M:%S").to_string());
    let content = knop_serve::payrun::RunContent {
        version: 1,
        run_id: run.content.run_id.clone(),
        household: String::new(),
        date: run.content.date.clone(),
        debtor_name: run.content.debtor_name.clone(),
        debtor_iban: run.content.debtor_iban.clone(),
        items: run.content.items.clone(),
        not_covered: vec![],
        advanced_cents: 0,
    };
    let version = if a.pain == "09" {
        Version::V09
    } else {
        Version::V03
    };
    let xml = knop_serve::payrun::write_pain(&content, version, &created)
        .with_context(|| a.run.display().to_string())?;
    if a.out.exists() {
        bail!("{} {}", a.out.display(), t("bestaat al", "already exists"));
    }
    std::fs::write(&a.out, xml).with_context(|| format!("writing {}", a.out.display()))?;
    println!(
        "{} {} ({} {})",
        t("Betaalbestand geschreven:", "Payment file written:"),
        a.out.display(),
        content.items.len(),
        t("betalingen", "payments")
    );
    Ok(ExitCode::SUCCESS)
}

/// Selects and reserves a run on the ledger (see `knop_serve::payrun::reserve`).
fn book_run(
    loc: &crate::location::Location,
    plan: &knop_budget::Plan,
    a: &RunArgs,
    household: u128,
) -> Result<knop_budget::payrun::Selection> {
    let key = crate::location::read_key(a.key.as_ref().expect("clap requires --as with --book"))?;
    let mut node = loc.open_writer()?;
    let default = knop_book::Cents::parse_euros(&a.advance_limit)
        .with_context(|| format!("--advance-limit {:?}", a.advance_limit))?
        .0
        .max(0);
    let limit = node
        .state()
        .households()
        .get(&household)
        .and_then(|h| h.advance_limit_cents)
        .unwrap_or(default);
    let r = knop_serve::payrun::reserve(
        &mut node,
        &key,
        crate::log_cmd::now_ms(),
        plan,
        household,
        a.date,
        &a.debtor_iban,
        limit,
    )
    .map_err(|e| anyhow::anyhow!("{}: {e}", t("niets gereserveerd", "nothing reserved")))?;
    if r.advanced_cents > 0 {
        eprintln!(
            "{}: {} ({} {} {} {})",
            t("LET OP: voorschot gebruikt", "NOTE: advance used"),
            crate::files::euro(r.advanced_cents),
            t("openstaand", "outstanding"),
            crate::files::euro(r.advance_outstanding_cents),
            t("van maximaal", "of at most"),
            crate::files::euro(limit)
        );
    }
    Ok(r.selection)
}
