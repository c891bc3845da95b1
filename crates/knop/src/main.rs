//! The `knop` command line: ledger administration, the auditor's checks, benchmarks and a demo.
//!
//! Dutch first, English with `--lang en`. Data goes to standard output (JSON with `--json`),
//! progress and explanations to standard error.

#![warn(missing_docs)]

mod backup_cmd;
mod bank_cmd;
mod bench;
mod bench_files;
mod bench_month;
mod book_cmd;
mod declaration_cmd;
mod demo;
mod files;
mod forecast_cmd;
mod household_cmd;
mod huge_pages;
mod i18n;
mod location;
mod log_cmd;
mod pay_cmd;
mod rules_cmd;
mod serve_cmd;
mod simulate_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::location::Location;

/// knop: een gedeelde, controleerbare administratie voor inwoners met geldzorgen.
/// (knop: a shared, verifiable administration for residents in poverty and debt.)
#[derive(Parser, Debug)]
#[command(name = "knop", version, propagate_version = true)]
struct Cli {
    #[command(flatten)]
    location: Location,
    /// Language of messages: nl (default) or en.
    #[arg(long, global = true, env = "KNOP_LANG", default_value = "nl", value_parser = ["nl", "en"])]
    lang: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Start a new ledger: operator key, genesis entry, first checkpoint.
    Init(log_cmd::InitArgs),
    /// The verifiable log: checkpoints, keys, proofs, export, full verification.
    #[command(subcommand)]
    Log(log_cmd::LogCommand),
    /// Organisations and their signing keys.
    #[command(subcommand)]
    Org(book_cmd::OrgCommand),
    /// Accounts in the book.
    #[command(subcommand)]
    Account(book_cmd::AccountCommand),
    /// Transfers in the book.
    #[command(subcommand)]
    Transfer(book_cmd::TransferCommand),
    /// Households of the Huishoudboekje: opt-in, withdrawal, overview.
    #[command(subcommand)]
    Household(household_cmd::HouseholdCmd),
    /// Agreements of a household: set (create or change) and end.
    #[command(subcommand)]
    Agreement(household_cmd::AgreementCmd),
    /// What a counsellor should look at for a household: shortfalls, withdrawals, statement alerts.
    Alerts(household_cmd::AlertsArgs),
    /// Record a document (possibly personal data) on the ledger; it can be erased later.
    Attach(book_cmd::AttachArgs),
    /// Bank files: inspect, import (book) and match camt.053 statements.
    #[command(subcommand)]
    Bank(bank_cmd::BankCommand),
    /// Project a household's balance day by day and find the first shortfall.
    Forecast(forecast_cmd::ForecastArgs),
    /// Payment runs: make, approve (four eyes), export as pain.001.
    #[command(subcommand)]
    Pay(pay_cmd::PayCommand),
    /// Allocate money over the payments coming up, by priority; the rest is buffer.
    Allocate(forecast_cmd::AllocateArgs),
    /// Rules as code: allowances, child benefit, social minimum, beslagvrije voet.
    #[command(subcommand)]
    Rules(rules_cmd::RulesCommand),
    /// Rode Knop declarations: verify one offline, as a creditor.
    #[command(subcommand)]
    Declaration(declaration_cmd::DeclarationCommand),
    /// Benchmarks that print machine-readable figures.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// The five virtual residents: a year without and with knop, with a report and bank files.
    Simulate(simulate_cmd::SimulateArgs),
    /// Destroy a household's personal data for good (its key in the vault); the ledger stays valid.
    Erase(serve_cmd::EraseArgs),
    /// A consistent, verified copy of the ledger (at its latest checkpoint), the vault, the kept
    /// statements and the service's journal, while the service runs.
    Backup(backup_cmd::BackupArgs),
    /// The API and the cockpit for residents, counsellors and organisations, over this ledger.
    Serve(Box<serve_cmd::ServeArgs>),
    /// The demo: a fresh embedded ledger filled by the five-residents simulation, served with
    /// demo logins (or, with --walkthrough, a short explained run that ends).
    Demo(demo::DemoArgs),
}

fn main() -> ExitCode {
    // Output piped into `head` and the like: end quietly when the reader goes away, as command
    // line tools do, instead of failing on the write.
    // SAFETY: called first thing, before any other thread exists; restores the default action.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    // Before anything else (and any other thread): may start this program again.
    huge_pages::reexec_with_huge_pages();
    let cli = Cli::parse();
    i18n::set(&cli.lang);
    let result = match cli.command {
        Command::Init(a) => log_cmd::init(&cli.location, a),
        Command::Log(c) => log_cmd::run(&cli.location, c),
        Command::Org(c) => book_cmd::org(&cli.location, c),
        Command::Account(c) => book_cmd::account(&cli.location, c),
        Command::Transfer(c) => book_cmd::transfer(&cli.location, c),
        Command::Attach(a) => book_cmd::attach(&cli.location, a),
        Command::Household(c) => household_cmd::household(&cli.location, c),
        Command::Agreement(c) => household_cmd::agreement(&cli.location, c),
        Command::Alerts(a) => household_cmd::alerts(&cli.location, a),
        Command::Rules(c) => rules_cmd::run(c),
        Command::Bank(c) => bank_cmd::run(&cli.location, c),
        Command::Forecast(a) => forecast_cmd::run(&cli.location, a),
        Command::Allocate(a) => forecast_cmd::allocate(&cli.location, a),
        Command::Pay(c) => pay_cmd::run(&cli.location, c),
        Command::Bench(c) => bench::run(&cli.location, c),
        Command::Declaration(c) => declaration_cmd::run(c),
        Command::Serve(a) => serve_cmd::serve(&cli.location, *a),
        Command::Erase(a) => serve_cmd::erase(&cli.location, a),
        Command::Backup(a) => backup_cmd::run(&cli.location, a),
        Command::Demo(a) => demo::run(a),
        Command::Simulate(a) => simulate_cmd::run_cmd(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{}: {e:#}", i18n::t("fout", "error"));
            ExitCode::from(1)
        }
    }
}
