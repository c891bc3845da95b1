//! `knop bank ...`: bank files. For now `inspect`: read a camt.053 without booking anything.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use knop_bank::camt053::{parse, Statement};
use knop_rules::euro;
use serde_json::json;

use crate::i18n::t;

/// `knop bank ...`
#[derive(Subcommand, Debug)]
pub enum BankCommand {
    /// Read a camt.053 statement file without booking it: statements, entries in cents, totals,
    /// and whether the balances add up.
    Inspect(InspectArgs),
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
        "balances": s.balances.iter().map(|b| json!({"code": b.code, "cents": b.cents, "currency": b.currency, "date": b.date})).collect::<Vec<_>>(),
        "entries": entries, "credits_cents": credits, "debits_cents": debits, "imbalance_cents": s.imbalance(),
    })
}

/// `knop bank ...`.
pub fn run(cmd: BankCommand) -> Result<ExitCode> {
    let BankCommand::Inspect(a) = cmd;
    let bytes = std::fs::read(&a.file).with_context(|| format!("reading {}", a.file.display()))?;
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
                euro(b.cents),
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
                euro(e.cents),
                e.status,
                if e.reversal { "STORNO " } else { "" },
                e.currency
            );
        }
        println!(
            "  {}: {} {}, {} {}",
            t("totaal", "total"),
            euro(c),
            t("bij", "in"),
            euro(d),
            t("af", "out")
        );
        match s.imbalance() {
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
                euro(x)
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
