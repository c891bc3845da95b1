//! `knop org`, `knop account`, `knop transfer`, `knop attach`: submitting signed entries.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use knop_book::{Account, AccountFlags, AccountState, Cents, Transfer, TransferFlags, EUR};
use knop_ledger::entry::OrgName;
use knop_ledger::note::NoteKey;
use knop_node::Node;
use knop_state::{Command, OrgKind, Outcome};
use serde::Deserialize;

use crate::i18n::t;
use crate::location::{new_key, read_key, write_key, Location};
use crate::log_cmd::now_ms;

/// `knop org ...`
#[derive(Subcommand, Debug)]
pub enum OrgCommand {
    /// Register an organisation (signed by the operator); writes its new private key.
    Register(RegisterArgs),
    /// List the registered organisations.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Arguments of `knop org register`.
#[derive(Args, Debug)]
pub struct RegisterArgs {
    /// The organisation's name (a-z, 0-9, '.', '-', '/').
    #[arg(long)]
    pub name: String,
    /// Where to write its new private key (default: DIR/keys/NAME.key; with --database under
    /// ~/.knop/keys/).
    #[arg(long)]
    pub key_out: Option<PathBuf>,
    /// What kind of organisation it is, which decides what it may submit: foundation,
    /// municipality, payer, creditor, merchant, auditor (participant: as before kinds existed,
    /// may do what a foundation may).
    #[arg(long, default_value = "participant", value_parser = parse_kind)]
    pub kind: OrgKind,
}

fn parse_kind(s: &str) -> std::result::Result<OrgKind, String> {
    OrgKind::parse(s)
        .filter(|k| *k != OrgKind::Operator)
        .ok_or_else(|| {
            "foundation, municipality, payer, creditor, merchant, auditor or participant".into()
        })
}

/// Who signs a submission.
#[derive(Args, Debug)]
pub struct Signer {
    /// The submitting organisation's private key file (its name is the organisation's name).
    #[arg(long = "as", value_name = "KEY_FILE")]
    pub key: PathBuf,
}

/// `knop account ...`
#[derive(Subcommand, Debug)]
pub enum AccountCommand {
    /// Create an account (idempotent: the same account again changes nothing).
    Create {
        #[command(flatten)]
        signer: Signer,
        /// Account id (a number chosen by you, unique in the book).
        #[arg(long)]
        id: u128,
        /// What kind of account (chart of accounts code).
        #[arg(long, default_value_t = 1)]
        code: u16,
        /// The account may not go below zero (debits must not exceed credits).
        #[arg(long)]
        no_overdraft: bool,
        /// Opaque reference, e.g. a pseudonymous household id.
        #[arg(long, default_value_t = 0)]
        user_data: u128,
    },
    /// Show one account's totals.
    Show {
        /// Account id.
        id: u128,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List all accounts.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `knop transfer ...`
#[derive(Subcommand, Debug)]
pub enum TransferCommand {
    /// Create one transfer: immediate, pending, or the post/void of a pending one.
    Create {
        #[command(flatten)]
        signer: Signer,
        #[command(flatten)]
        transfer: TransferArgs,
    },
    /// Submit a batch of transfers from a JSON file (array of transfers; see README).
    Batch {
        #[command(flatten)]
        signer: Signer,
        /// The JSON file ("-" for standard input).
        #[arg(long)]
        file: PathBuf,
    },
}

/// One transfer on the command line.
#[derive(Args, Debug)]
pub struct TransferArgs {
    /// Transfer id (your idempotency key).
    #[arg(long)]
    pub id: u128,
    /// Account debited (money leaves it).
    #[arg(long, default_value_t = 0)]
    pub debit: u128,
    /// Account credited (money arrives).
    #[arg(long, default_value_t = 0)]
    pub credit: u128,
    /// Amount in euros: 12,50 or 12.50 (0 for a full post or a void).
    #[arg(long, default_value = "0")]
    pub amount: String,
    /// Reserve now, post or void later.
    #[arg(long)]
    pub pending: bool,
    /// Seconds until a pending transfer voids itself.
    #[arg(long, default_value_t = 0)]
    pub timeout: u32,
    /// Post this pending transfer.
    #[arg(long, conflicts_with = "void")]
    pub post: Option<u128>,
    /// Void this pending transfer.
    #[arg(long)]
    pub void: Option<u128>,
    /// Why the money moves (code chosen by the application).
    #[arg(long, default_value_t = 1)]
    pub code: u16,
}

/// Arguments of `knop attach`.
#[derive(Args, Debug)]
pub struct AttachArgs {
    #[command(flatten)]
    signer: Signer,
    /// Pseudonymous subject (household) id.
    #[arg(long)]
    subject: u128,
    /// Kind of document, e.g. "consent".
    #[arg(long)]
    kind: String,
    /// The document file.
    #[arg(long)]
    file: PathBuf,
}

/// Signs `cmd` as `key` and submits it; prints the outcome, or the rejection with exit code 3.
pub fn submit_as(
    node: &mut Node,
    key: &NoteKey,
    cmd: &Command,
) -> Result<std::result::Result<(u64, Outcome), knop_state::StateError>> {
    Ok(knop_app::ops::submit(node, key, now_ms(), cmd)?)
}

/// Prints what a submission did, or why it was rejected (exit code 3).
pub fn report(
    result: std::result::Result<(u64, Outcome), knop_state::StateError>,
) -> Result<ExitCode> {
    match result {
        Ok((index, o)) => {
            eprintln!(
                "{}: entry {index}; {} {}, {} {}",
                t("vastgelegd", "recorded"),
                o.created,
                t("nieuw", "new"),
                o.existing,
                t(
                    "bestond al (niets gewijzigd)",
                    "already existed (nothing changed)"
                )
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!(
                "{}: {e}",
                t("geweigerd, niets geschreven", "rejected, nothing written")
            );
            if let knop_state::StateError::Rejected { rejected, .. } = &e {
                for (i, why) in rejected {
                    eprintln!("  event {i}: {why}");
                }
            }
            Ok(ExitCode::from(3))
        }
    }
}

/// `knop org ...`.
pub fn org(loc: &Location, cmd: OrgCommand) -> Result<ExitCode> {
    match cmd {
        OrgCommand::Register(a) => {
            let name = OrgName::parse(&a.name)?;
            let op = loc.read_operator_key()?;
            let mut node = loc.open_writer()?;
            let key = new_key(name.as_str())?;
            let path = match a.key_out {
                Some(p) => p,
                None => loc
                    .key_dir()
                    .context("no place for keys: give --key-out FILE (HOME is not set)")?
                    .join(format!("{}.key", name.as_str().replace('/', "_"))),
            };
            if path.exists() {
                bail!("{} {}", path.display(), t("bestaat al", "already exists"));
            }
            let cmd = Command::RegisterOrg {
                name,
                kind: a.kind,
                key: key.public_key().to_bytes(),
            };
            let result = submit_as(&mut node, &op, &cmd)?;
            if result.is_ok() {
                write_key(&path, &key)?;
                eprintln!(
                    "{} {}",
                    t("Sleutel geschreven naar", "Key written to"),
                    path.display()
                );
                println!("{}", key.verifier_key());
            }
            report(result)
        }
        OrgCommand::List { json } => {
            let node = loc.open_reader()?;
            for (name, o) in node.state().orgs() {
                let role = o.kind.name();
                if json {
                    println!(
                        "{}",
                        serde_json::json!({"name": name.as_str(), "kind": role, "role": role, "registered_at": o.registered_at, "vkey": signed_note_vkey(name.as_str(), &o.key)})
                    );
                } else {
                    println!(
                        "{name}\t{role}\t{}",
                        signed_note_vkey(name.as_str(), &o.key)
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn signed_note_vkey(name: &str, key: &ed25519_dalek::VerifyingKey) -> String {
    signed_note::new_ed25519_verifier_key(name, key)
}

fn account_json(a: &AccountState) -> serde_json::Value {
    serde_json::json!({
        "id": a.account.id.to_string(), "currency": "EUR", "code": a.account.code,
        "no_overdraft": a.account.flags.has(AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS),
        "debits_pending_cents": a.debits_pending.0, "debits_posted_cents": a.debits_posted.0,
        "credits_pending_cents": a.credits_pending.0, "credits_posted_cents": a.credits_posted.0,
        "balance_cents": a.credit_balance().0,
    })
}

fn print_account(a: &AccountState, json: bool) {
    if json {
        println!("{}", account_json(a));
    } else {
        println!(
            "{} {}\t{} {}\t({} {}, {} {})",
            t("rekening", "account"),
            a.account.id,
            t("saldo", "balance"),
            a.credit_balance(),
            t("gereserveerd af", "reserved out"),
            a.debits_pending,
            t("gereserveerd bij", "reserved in"),
            a.credits_pending
        );
    }
}

/// `knop account ...`.
pub fn account(loc: &Location, cmd: AccountCommand) -> Result<ExitCode> {
    match cmd {
        AccountCommand::Create {
            signer,
            id,
            code,
            no_overdraft,
            user_data,
        } => {
            let key = read_key(&signer.key)?;
            let mut node = loc.open_writer()?;
            let flags = if no_overdraft {
                AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS
            } else {
                0
            };
            let cmd = Command::CreateAccounts(vec![Account {
                id,
                currency: EUR,
                code,
                flags: AccountFlags(flags),
                user_data,
            }]);
            report(submit_as(&mut node, &key, &cmd)?)
        }
        AccountCommand::Show { id, json } => {
            let node = loc.open_reader()?;
            let a =
                node.state().book().account(id).with_context(|| {
                    format!("{} {id}", t("onbekende rekening", "unknown account"))
                })?;
            print_account(a, json);
            Ok(ExitCode::SUCCESS)
        }
        AccountCommand::List { json } => {
            let node = loc.open_reader()?;
            let mut all: Vec<_> = node.state().book().accounts().collect();
            all.sort_by_key(|a| a.account.id);
            for a in all {
                print_account(a, json);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn transfer_from_args(a: &TransferArgs, amount: Cents) -> Result<Transfer> {
    let (flags, pending_id) = match (a.pending, a.post, a.void) {
        (false, None, None) => (0, 0),
        (true, None, None) => (TransferFlags::PENDING, 0),
        (false, Some(p), None) => (TransferFlags::POST_PENDING, p),
        (false, None, Some(p)) => (TransferFlags::VOID_PENDING, p),
        _ => bail!("--pending, --post and --void exclude each other"),
    };
    let two_phase = a.post.is_some() || a.void.is_some();
    Ok(Transfer {
        id: a.id,
        debit_account_id: a.debit,
        credit_account_id: a.credit,
        amount,
        pending_id,
        timeout_s: a.timeout,
        currency: if two_phase { 0 } else { EUR },
        code: if two_phase { 0 } else { a.code },
        flags: TransferFlags(flags),
        user_data: 0,
    })
}

/// One transfer in a batch file. Amounts as euro text ("12,50") or integer cents.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct TransferJson {
    id: u128,
    #[serde(default)]
    debit: u128,
    #[serde(default)]
    credit: u128,
    #[serde(default)]
    amount: Option<String>,
    #[serde(default)]
    amount_cents: Option<i64>,
    #[serde(default)]
    pending: bool,
    #[serde(default)]
    timeout: u32,
    #[serde(default)]
    post: Option<u128>,
    #[serde(default)]
    void: Option<u128>,
    #[serde(default = "one")]
    code: u16,
    #[serde(default)]
    linked: bool,
}

fn one() -> u16 {
    1
}

fn transfers_from_json(bytes: &[u8]) -> Result<Vec<Transfer>> {
    let items: Vec<TransferJson> =
        serde_json::from_slice(bytes).context("batch JSON: expected an array of transfers")?;
    if items.len() > knop_book::BATCH_EVENTS_MAX {
        bail!(
            "batch has {} transfers; at most {}",
            items.len(),
            knop_book::BATCH_EVENTS_MAX
        );
    }
    items
        .iter()
        .enumerate()
        .map(|(i, j)| {
            let amount = match (&j.amount, j.amount_cents) {
                (Some(_), Some(_)) => bail!("transfer {i}: give amount or amount_cents, not both"),
                (Some(s), None) => {
                    Cents::parse_euros(s).with_context(|| format!("transfer {i}"))?
                }
                (None, Some(c)) => Cents(c),
                (None, None) => Cents::ZERO,
            };
            let args = TransferArgs {
                id: j.id,
                debit: j.debit,
                credit: j.credit,
                amount: String::new(),
                pending: j.pending,
                timeout: j.timeout,
                post: j.post,
                void: j.void,
                code: j.code,
            };
            let mut t =
                transfer_from_args(&args, amount).with_context(|| format!("transfer {i}"))?;
            if j.linked {
                t.flags.0 |= TransferFlags::LINKED;
            }
            Ok(t)
        })
        .collect()
}

/// `knop transfer ...`.
pub fn transfer(loc: &Location, cmd: TransferCommand) -> Result<ExitCode> {
    let (signer, transfers) = match cmd {
        TransferCommand::Create { signer, transfer } => {
            let amount = Cents::parse_euros(&transfer.amount)?;
            (signer, vec![transfer_from_args(&transfer, amount)?])
        }
        TransferCommand::Batch { signer, file } => {
            let bytes = crate::files::read(&file)?;
            (
                signer,
                transfers_from_json(&bytes).with_context(|| file.display().to_string())?,
            )
        }
    };
    let key = read_key(&signer.key)?;
    let mut node = loc.open_writer()?;
    report(submit_as(
        &mut node,
        &key,
        &Command::CreateTransfers(transfers),
    )?)
}

/// `knop attach`.
pub fn attach(loc: &Location, a: AttachArgs) -> Result<ExitCode> {
    let key = read_key(&a.signer.key)?;
    let data = crate::files::read(&a.file)?;
    if data.len() > knop_state::ATTACHMENT_BYTES_MAX {
        bail!(
            "{}: {} bytes; at most {}",
            a.file.display(),
            data.len(),
            knop_state::ATTACHMENT_BYTES_MAX
        );
    }
    let mut node = loc.open_writer()?;
    report(submit_as(
        &mut node,
        &key,
        &Command::Attach {
            subject: a.subject,
            kind: a.kind,
            data,
        },
    )?)
}
