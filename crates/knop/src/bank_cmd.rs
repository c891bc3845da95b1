//! `knop bank ...`: bank files. For now `inspect`: read a camt.053 without booking anything.

use knop_huishoudboekje::HouseholdId;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use knop_app::matching::Matched;
use knop_bank::camt053::{parse, Statement};
use knop_huishoudboekje::booking::advance_account;
use knop_huishoudboekje::matching::Match;
use serde_json::json;

use crate::files::{euro, money, read};
use crate::i18n::t;
use crate::location::{read_key, Location};

/// `knop bank ...`
#[derive(Subcommand, Debug)]
pub enum BankCommand {
    /// Read a camt.053 statement file without booking it: statements, entries in cents, totals,
    /// and whether the balances add up.
    Inspect(InspectArgs),
    /// Book a camt.053 file for the foundation's account: idempotent (a file or entry already
    /// imported is skipped), all or nothing, then reconciled with the statement's closing balance.
    Import(ImportArgs),
    /// Match a statement's lines to a household's agreements and explain each match; lines that
    /// fit no agreement, or more than one, stay in suspense. Lists the alerts. With --book, books
    /// the matched lines from suspense to the household.
    Match(MatchArgs),
    /// A counsellor's manual match: book one line of an imported statement to a household.
    Assign(AssignArgs),
    /// Read the bank's payment status report (pain.002): rejected payments' reservations are
    /// voided (once), so the money is free again; lists each rejection with its reason.
    StatusReport {
        /// The pain.002 file.
        file: PathBuf,
        /// The booking organisation's private key file.
        #[arg(long = "as", value_name = "KEY_FILE")]
        key: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// What is in suspense (imported, not yet matched) and what each household holds.
    Suspense {
        /// The foundation's IBAN.
        #[arg(long)]
        iban: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Arguments of `knop bank match`.
#[derive(Args, Debug)]
pub struct MatchArgs {
    /// The camt.053 file.
    pub file: PathBuf,
    #[command(flatten)]
    pub source: crate::household_cmd::PlanFlag,
    /// The day the alerts are judged on (expected incomes overdue by then).
    #[arg(long)]
    pub today: jiff::civil::Date,
    /// Book the matched lines from suspense to the household (needs --household, --iban and
    /// --as; the statement must have been imported).
    #[arg(long, requires_all = ["household", "iban", "key"])]
    pub book: bool,
    /// The foundation's IBAN (with --book).
    #[arg(long)]
    pub iban: Option<String>,
    /// The booking organisation's private key file (with --book).
    #[arg(long = "as", value_name = "KEY_FILE")]
    pub key: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `knop bank assign`.
#[derive(Args, Debug)]
pub struct AssignArgs {
    /// The camt.053 file (already imported).
    pub file: PathBuf,
    /// The line to assign: its number in the file's booked entries, from 1 (as `bank match` lists).
    #[arg(long)]
    pub line: usize,
    /// The household it belongs to.
    #[arg(long)]
    pub household: HouseholdId,
    /// The foundation's IBAN.
    #[arg(long)]
    pub iban: String,
    /// The booking organisation's private key file.
    #[arg(long = "as", value_name = "KEY_FILE")]
    pub key: PathBuf,
}

/// Arguments of `knop bank import`.
#[derive(Args, Debug)]
pub struct ImportArgs {
    /// The camt.053 file.
    pub file: PathBuf,
    /// The foundation's IBAN: every statement in the file must be for this account.
    #[arg(long)]
    pub iban: String,
    /// The importing organisation's private key file.
    #[arg(long = "as", value_name = "KEY_FILE")]
    pub key: PathBuf,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `knop bank inspect`.
#[derive(Args, Debug)]
pub struct InspectArgs {
    /// The camt.053 file.
    pub file: PathBuf,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

fn statement_json(s: &Statement) -> serde_json::Value {
    let (credits, debits) = s.totals();
    let entries: Vec<_> = s
        .entries
        .iter()
        .map(|e| {
            let d = e.details.first();
            json!({
                "line": e.line, "cents": e.cents, "currency": e.currency, "status": e.status,
                "reversal": e.reversal, "booking_date": e.booking_date, "value_date": e.value_date,
                "reference": e.reference, "servicer_reference": e.servicer_reference, "bank_code": e.bank_code,
                "end_to_end_id": d.and_then(|d| d.end_to_end_id.clone()), "mandate_id": d.and_then(|d| d.mandate_id.clone()),
                "creditor_id": d.and_then(|d| d.creditor_id.clone()), "counterparty_name": d.and_then(|d| d.counterparty_name.clone()),
                "counterparty_iban": d.and_then(|d| d.counterparty_iban.clone()), "remittance": d.and_then(|d| d.remittance.clone()),
                "return_reason": d.and_then(|d| d.return_reason.clone()), "transactions": e.details.len(),
            })
        })
        .collect();
    json!({
        "id": s.id, "sequence": s.sequence, "account": s.account, "currency": s.currency,
        "balances": s.balances.iter().map(|b| json!({"code": b.code, "cents": b.cents, "currency": b.currency, "date": b.date, "line": b.line})).collect::<Vec<_>>(),
        "entries": entries, "credits_cents": credits, "debits_cents": debits, "imbalance_cents": s.imbalance(),
        "mixed_currencies": s.mixed_currencies(),
    })
}

/// `knop bank ...`.
pub fn run(loc: &Location, cmd: BankCommand) -> Result<ExitCode> {
    match cmd {
        BankCommand::Inspect(a) => inspect(a),
        BankCommand::Import(a) => import(loc, a),
        BankCommand::Match(a) => match_lines(loc, a),
        BankCommand::Assign(a) => assign(loc, a),
        BankCommand::Suspense { iban, json } => suspense(loc, &iban, json),
        BankCommand::StatusReport { file, key, json } => status_report(loc, &file, &key, json),
    }
}

/// Exit code when an import booked fine but the book does not match the statement's closing
/// balance.
pub const EXIT_RECONCILIATION: u8 = 4;

fn import(loc: &Location, a: ImportArgs) -> Result<ExitCode> {
    let bytes = read(&a.file)?;
    let key = read_key(&a.key)?;
    let mut node = loc.open_writer()?;
    let now = crate::log_cmd::now_ms();
    let r = knop_app::ops::import_statement(&mut node, &key, now, &bytes, &a.iban).map_err(
        |e| match e {
            knop_app::ops::OpError::Bank(b) => {
                anyhow::anyhow!("{}: {b}", a.file.display())
            }
            other => anyhow::anyhow!(
                "{}: {}: {other}",
                a.file.display(),
                t("niets geboekt", "nothing booked")
            ),
        },
    )?;
    let (booked, known, balance, difference) = (
        r.booked,
        r.already_imported,
        r.book_balance_cents,
        r.difference_cents,
    );
    if a.json {
        let mut v = serde_json::to_value(&r)?;
        v["file"] = json!(a.file.display().to_string());
        println!("{v}");
    } else {
        if booked == 0 {
            println!(
                "{}",
                t(
                    "Dit bestand is al geïmporteerd: niets nieuws geboekt.",
                    "This file was imported before: nothing new booked."
                )
            );
        } else {
            println!(
                "{} {booked} {}, {known} {}",
                t("Geboekt:", "Booked:"),
                t("regels", "entries"),
                t("waren al geïmporteerd", "were imported before")
            );
        }
        for s in &r.skipped {
            println!("  {}: {s}", t("overgeslagen", "skipped"));
        }
        for w in &r.warnings {
            println!("  {}: {w}", t("waarschuwing", "warning"));
        }
        println!(
            "{} {}",
            t("Saldo in het grootboek:", "Balance in the book:"),
            euro(balance)
        );
    }
    match difference {
        Some(0) => {
            if !a.json {
                println!(
                    "{}",
                    t(
                        "Klopt met het eindsaldo van het afschrift.",
                        "Matches the statement's closing balance."
                    )
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(d) => {
            eprintln!(
                "{}: {} {} ({} {})",
                t("ALARM afstemming", "ALERT reconciliation"),
                t(
                    "grootboek wijkt af van het eindsaldo met",
                    "the book differs from the closing balance by"
                ),
                euro(d),
                t("eindsaldo", "closing balance"),
                euro(r.closing_balance_cents.unwrap_or(0))
            );
            Ok(ExitCode::from(EXIT_RECONCILIATION))
        }
        None => Ok(ExitCode::SUCCESS),
    }
}

fn inspect(a: InspectArgs) -> Result<ExitCode> {
    let bytes = read(&a.file)?;
    let file = parse(&bytes).with_context(|| a.file.display().to_string())?;
    if a.json {
        let v = json!({
            "file": a.file.display().to_string(), "version": file.version, "message_id": file.message_id,
            "statements": file.statements.iter().map(statement_json).collect::<Vec<_>>(), "warnings": file.warnings,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{} ({}), {} {}",
        a.file.display(),
        file.version,
        file.statements.len(),
        t("afschrift(en)", "statement(s)")
    );
    for s in &file.statements {
        let (c, d) = s.totals();
        println!(
            "\n{} {} — {} {}",
            t("afschrift", "statement"),
            s.id,
            t("rekening", "account"),
            s.account.as_deref().unwrap_or("?")
        );
        for b in &s.balances {
            println!(
                "  {} {:<5} {:>16}  {}",
                t("saldo", "balance"),
                b.code,
                money(b.cents, &b.currency),
                b.date.as_deref().unwrap_or("")
            );
        }
        for e in &s.entries {
            let d = e.details.first();
            let who = d.and_then(|d| d.counterparty_name.as_deref()).unwrap_or("");
            let what = d.and_then(|d| d.remittance.as_deref()).unwrap_or("");
            println!(
                "  {} {:>14} {} {}{} {who} {what}",
                e.booking_date.as_deref().unwrap_or("          "),
                money(e.cents, &e.currency),
                e.status,
                if e.reversal { "STORNO " } else { "" },
                e.currency
            );
        }
        // Totals in the entries' currency; entries in several currencies are not added up.
        let mut booked = s.entries.iter().filter(|e| e.status == "BOOK");
        let first = booked.next().map_or("EUR", |e| e.currency.as_str());
        if booked.all(|e| e.currency == first) {
            println!(
                "  {}: {} {}, {} {}",
                t("totaal", "total"),
                money(c, first),
                t("bij", "in"),
                money(d, first),
                t("af", "out")
            );
        }
        match s.imbalance() {
            None if s.mixed_currencies() => println!(
                "  {}",
                t(
                    "LET OP: saldi en mutaties in verschillende valuta, niet op te tellen",
                    "WARNING: balances and entries in different currencies, not added up"
                )
            ),
            Some(0) => println!(
                "  {}",
                t(
                    "beginsaldo + mutaties = eindsaldo: klopt",
                    "opening + entries = closing: adds up"
                )
            ),
            Some(x) => println!(
                "  {}: {}",
                t(
                    "LET OP: saldi kloppen niet met de mutaties, verschil",
                    "WARNING: balances do not match the entries, difference"
                ),
                money(x, s.balance("CLBD").map_or("EUR", |b| b.currency.as_str()))
            ),
            None => println!(
                "  {}",
                t(
                    "geen begin- en eindsaldo om te controleren",
                    "no opening and closing balance to check"
                )
            ),
        }
    }
    for w in &file.warnings {
        eprintln!("{}: {w}", t("waarschuwing", "warning"));
    }
    Ok(ExitCode::SUCCESS)
}

/// A match as the CLI lists it: its kind, the agreement(s), and why (the service's words,
/// `knop_app::matching::explain`).
fn describe(m: &Match) -> (String, String, Vec<String>) {
    let (agreement, why) = knop_app::matching::explain(m);
    (knop_app::matching::kind(m), agreement, vec![why])
}

fn match_lines(loc: &Location, a: MatchArgs) -> Result<ExitCode> {
    let bytes = read(&a.file)?;
    let file = parse(&bytes).with_context(|| a.file.display().to_string())?;
    let plan = a.source.load(loc)?;
    let Matched {
        positions,
        lines: matched,
        alerts: found,
    } = {
        // A household on the ledger: its payments made again after a rejection are known there.
        let node = match a.source.household {
            Some(_) => Some(loc.open_reader()?),
            None => None,
        };
        knop_app::matching::match_file(
            &file,
            &plan,
            a.today,
            node.as_ref().map(|n| n.state().book()),
        )
    };
    if a.book {
        // An entry of several transactions (a batch the bank booked as one) may hold payments of
        // many households; one household's plan cannot book it. It stays in suspense for the
        // service's matching of all households (`knop serve`), which posts a batch of knop's own
        // payments as a whole.
        let single = |p: &(usize, usize)| file.statements[p.0].entries[p.1].details.len() <= 1;
        let picked: Vec<(usize, usize)> = matched
            .iter()
            .zip(&positions)
            .filter(|((_, m), p)| !matches!(m, Match::Suspense { .. }) && single(p))
            .map(|(_, p)| *p)
            .collect();
        let (iban, key, household) = (
            a.iban.as_deref().expect("clap requires it"),
            a.key.as_ref().expect("clap requires it"),
            a.source.household.expect("clap requires it"),
        );
        // knop's own payments, by position: the statement may post their reservations.
        let own: std::collections::HashMap<(usize, usize), String> = matched
            .iter()
            .zip(&positions)
            .filter(|((_, m), _)| matches!(m, Match::OwnPayment { .. }))
            .map(|((l, _), p)| (*p, l.end_to_end_id.clone().unwrap_or_default()))
            .collect();
        return book_lines(loc, &file, &a.file, (iban, key), household, &picked, &own);
    }
    if a.json {
        let rows: Vec<_> = matched.iter().map(|(l, m)| {
            let (kind, agreement, notes) = describe(m);
            json!({"date": l.date.map(|d| d.to_string()), "cents": l.cents, "match": kind, "agreement": agreement, "notes": notes})
        }).collect();
        let alerts: Vec<_> = found
            .iter()
            .map(|x| json!({"agreement": x.agreement, "message": x.message}))
            .collect();
        println!("{}", json!({"lines": rows, "alerts": alerts}));
        return Ok(ExitCode::SUCCESS);
    }
    for (l, m) in &matched {
        let (kind, agreement, notes) = describe(m);
        let date = l
            .date
            .map_or_else(|| "          ".to_owned(), |d| d.to_string());
        println!("{date} {:>14}  {kind:<24} {agreement}", euro(l.cents));
        for n in notes {
            println!("{:>42} {n}", "");
        }
    }
    println!("\n{}", t("Signalen:", "Alerts:"));
    if found.is_empty() {
        println!("  {}", t("geen", "none"));
    }
    for x in &found {
        println!(
            "  - {}{}",
            x.agreement
                .as_deref()
                .map(|a| format!("{a}: "))
                .unwrap_or_default(),
            x.message
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Books the given lines of an imported statement from suspense to `household`, all or nothing.
fn book_lines(
    loc: &Location,
    file: &knop_bank::camt053::File,
    path: &std::path::Path,
    (iban, key): (&str, &std::path::Path),
    household: HouseholdId,
    picked: &[(usize, usize)],
    own: &std::collections::HashMap<(usize, usize), String>,
) -> Result<ExitCode> {
    let key = read_key(key)?;
    let mut node = loc.open_writer()?;
    let plan = knop_huishoudboekje::booking::plan_import(file, iban)
        .with_context(|| path.display().to_string())?;
    let r = knop_app::ops::book_matched(
        &mut node,
        &key,
        crate::log_cmd::now_ms(),
        &plan,
        household,
        picked,
        own,
    )
    .map_err(|e| match e {
        knop_app::ops::OpError::NotImported(_) => anyhow::anyhow!(
            "{}: {}",
            path.display(),
            t(
                "importeer het afschrift eerst (knop bank import)",
                "import the statement first (knop bank import)"
            )
        ),
        other => anyhow::anyhow!(
            "{}: {}: {other}",
            path.display(),
            t("niets geboekt", "nothing booked")
        ),
    })?;
    if r.advance_repaid_cents > 0 {
        println!(
            "{} {}",
            t("Voorschot terugbetaald:", "Advance repaid:"),
            euro(r.advance_repaid_cents)
        );
    }
    println!(
        "{} {} {}, {} {}; {} {household}: {}",
        t("Geboekt:", "Booked:"),
        r.booked,
        t("regels", "lines"),
        r.already_booked,
        t("waren al geboekt", "were booked before"),
        t("huishouden", "household"),
        euro(r.balance_cents)
    );
    Ok(ExitCode::SUCCESS)
}

fn assign(loc: &Location, a: AssignArgs) -> Result<ExitCode> {
    let bytes = read(&a.file)?;
    let file = parse(&bytes).with_context(|| a.file.display().to_string())?;
    let positions = knop_app::matching::booked_positions(&file);
    let Some(pos) = a.line.checked_sub(1).and_then(|i| positions.get(i)) else {
        anyhow::bail!(
            "--line {}: {} 1..={}",
            a.line,
            t(
                "het afschrift heeft geboekte regels",
                "the statement has booked lines"
            ),
            positions.len()
        );
    };
    book_lines(
        loc,
        &file,
        &a.file,
        (&a.iban, &a.key),
        a.household,
        &[*pos],
        &Default::default(),
    )
}

fn suspense(loc: &Location, iban: &str, json: bool) -> Result<ExitCode> {
    let mirror = knop_huishoudboekje::booking::Mirror::of(&iban.replace(' ', "").to_uppercase());
    let node = loc.open_reader()?;
    let book = node.state().book();
    let suspense = book
        .account(mirror.suspense)
        .map_or(0, |a| a.credit_balance().0);
    let bank = book
        .account(mirror.bank)
        .map_or(0, |a| a.debits_posted.0 - a.credits_posted.0);
    // Per household: what it holds, what is reserved for payments, what it owes of an advance.
    let mut households: Vec<(HouseholdId, i64, i64, i64)> = book
        .accounts()
        .filter(|a| a.account.code == knop_huishoudboekje::booking::code::HOUSEHOLD)
        .map(|a| {
            let h = HouseholdId(a.account.user_data);
            let owed = book
                .account(advance_account(h).id)
                .map_or(0, |x| x.debits_posted.0 - x.credits_posted.0);
            (h, a.credit_balance().0, a.debits_pending.0, owed)
        })
        .collect();
    households.sort();
    if json {
        let list: Vec<_> = households.iter().map(|(h, c, r, o)| json!({"household": h.to_string(), "cents": c, "reserved_cents": r, "advance_cents": o})).collect();
        println!(
            "{}",
            json!({"bank_cents": bank, "suspense_cents": suspense, "households": list})
        );
    } else {
        println!(
            "{} {}",
            t("Saldo bij de bank:", "Balance at the bank:"),
            euro(bank)
        );
        println!(
            "{} {}",
            t("Nog te verdelen (suspense):", "Not yet matched (suspense):"),
            euro(suspense)
        );
        for (h, c, r, o) in &households {
            println!(
                "  {} {h}: {} ({} {}, {} {})",
                t("huishouden", "household"),
                euro(*c),
                t("gereserveerd", "reserved"),
                euro(*r),
                t("voorschot", "advance"),
                euro(*o)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn status_report(
    loc: &Location,
    path: &std::path::Path,
    key: &std::path::Path,
    json: bool,
) -> Result<ExitCode> {
    let bytes = read(path)?;
    let key = read_key(key)?;
    let mut node = loc.open_writer()?;
    let report = knop_bank::pain002::parse(&bytes)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    // The foundation's own key: it books for every household.
    let all = knop_app::access::Role::Administrator;
    let out =
        knop_app::ops::apply_status_report(&mut node, &key, crate::log_cmd::now_ms(), report, &all)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    if json {
        println!("{}", serde_json::to_string(&out)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{} {}: {} {}, {} {}",
        t("Statusrapport voor", "Status report for"),
        out.original_message_id,
        out.accepted,
        t("geaccepteerd", "accepted"),
        out.rejected.len(),
        t("geweigerd", "rejected")
    );
    for r in &out.rejected {
        println!(
            "  {} {}{} — {}{}",
            r.end_to_end_id,
            r.household
                .as_deref()
                .map(|h| format!("{} {h}, ", t("huishouden", "household")))
                .unwrap_or_default(),
            r.cents.map(euro).unwrap_or_default(),
            r.reason,
            if r.voided {
                t(
                    "; reservering vervallen, geld weer vrij",
                    "; reservation voided, money free again",
                )
            } else {
                ""
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}
