//! `knop demo`: a short end-to-end run on a new embedded ledger, explained as it goes.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Args;
use knop_book::{Account, AccountFlags, Cents, Transfer, TransferFlags};
use knop_ledger::entry::{OrgName, SignedEntry};
use knop_ledger::merkle::{verify_consistency, verify_inclusion};
use knop_ledger::note::{verify_checkpoint, NoteKey};
use knop_node::{os_salts, replay, Node};
use knop_state::{Command, OrgKind};
use knop_store::{FileStore, Meta};

use crate::i18n::t;
use crate::location::new_key;

/// Arguments of `knop demo`.
#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Keep the demo ledger in this new directory (default: a fresh directory under /tmp).
    #[arg(long = "into", value_name = "DIR")]
    pub into: Option<PathBuf>,
    /// Address the demo service listens on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: std::net::SocketAddr,
    /// Instead of serving: a short run on a new ledger, explained step by step, that ends.
    #[arg(long)]
    pub walkthrough: bool,
    #[command(flatten)]
    pub oidc: crate::serve_cmd::OidcArgs,
    #[command(flatten)]
    pub look: crate::serve_cmd::LookArgs,
}

const ORIGIN: &str = "knop.demo/ledger";
const BANK: u128 = 100;
const HOUSEHOLD: u128 = 1001;
const LANDLORD: u128 = 2001;
const ENERGY: u128 = 2002;
const RESIDENT: u128 = 3001;

struct Demo {
    node: Node,
    ts: u64,
    step: u32,
}

impl Demo {
    fn say(&mut self, nl: &str, en: &str) {
        self.step += 1;
        println!("\n{}. {}", self.step, t(nl, en));
    }

    fn submit(
        &mut self,
        key: &NoteKey,
        cmd: Command,
    ) -> Result<std::result::Result<u64, knop_state::StateError>> {
        self.ts += 1000;
        let entry = SignedEntry::sign(
            OrgName::parse(key.key_name())?,
            self.ts,
            cmd.encode(),
            key.signing_key(),
        );
        let index = self.node.size();
        Ok(self.node.submit(&[entry])?.remove(0).map(|_| index))
    }

    fn must(&mut self, key: &NoteKey, cmd: Command) -> Result<u64> {
        let index = self.submit(key, cmd)?.map_err(|e| anyhow::anyhow!("{e}"))?;
        println!(
            "   {} {index}",
            t("-> vastgelegd als entry", "-> recorded as entry")
        );
        Ok(index)
    }

    fn balance(&self, id: u128, label: &str) {
        let a = self
            .node
            .state()
            .book()
            .account(id)
            .expect("demo account exists");
        println!(
            "   {label:<32} {:>12}   ({} {})",
            a.credit_balance().to_string(),
            t("gereserveerd:", "reserved:"),
            a.debits_pending
        );
    }
}

fn transfer(id: u128, dr: u128, cr: u128, euros: &str, flags: u16) -> Result<Transfer> {
    Ok(Transfer::eur(id, dr, cr, Cents::parse_euros(euros)?, flags))
}

/// `knop demo`.
pub fn run(args: DemoArgs) -> Result<ExitCode> {
    if !args.walkthrough {
        return crate::serve_cmd::demo(args.into, args.listen, &args.oidc, args.look);
    }
    let (dir, op, mut d) = fresh_ledger(args.into)?;
    let keys = register_organisations(&mut d, &op)?;
    let stichting = keys["stichting"].clone();
    let (rent_entry, size_after_rent) = move_money(&mut d, &stichting)?;
    prove(&mut d, &op, rent_entry, size_after_rent)?;
    drop(d);
    verify_as_an_auditor(&dir)
}

/// A new embedded ledger in `into` (or a fresh directory): its directory, the operator's key
/// and the walkthrough on it.
fn fresh_ledger(into: Option<PathBuf>) -> Result<(PathBuf, NoteKey, Demo)> {
    let dir = match into {
        Some(d) => d,
        None => tempfile::Builder::new()
            .prefix("knop-demo-")
            .tempdir()?
            .keep(),
    };
    if dir.join("meta.knop").exists() {
        bail!(
            "{} {}",
            dir.display(),
            t("bevat al een grootboek", "already holds a ledger")
        );
    }
    let op = new_key(ORIGIN)?;
    let store = FileStore::create(
        &dir,
        Meta {
            origin: ORIGIN.into(),
            operator_vkey: op.verifier_key(),
        },
    )?;
    println!(
        "knop demo — {}",
        t(
            "één huishouden, vier organisaties, één controleerbaar grootboek",
            "one household, four organisations, one verifiable ledger"
        )
    );
    let mut d = Demo {
        node: Node::init(Box::new(store), op.clone(), 1_764_000_000_000, os_salts())?,
        ts: 1_764_000_000_000,
        step: 0,
    };
    d.say(
        "Nieuw grootboek (ingebed, geen server nodig); de genesis-entry registreert de operator.",
        "New ledger (embedded, no server); the genesis entry registers the operator.",
    );
    println!("   {}: {}", t("map", "directory"), dir.display());
    println!(
        "   {}: {}",
        t("operatorsleutel (publiek)", "operator key (public)"),
        op.verifier_key()
    );

    Ok((dir, op, d))
}

/// The foundation, a payer and two creditors, each registered by kind with a key of its own.
fn register_organisations(
    d: &mut Demo,
    op: &NoteKey,
) -> Result<std::collections::BTreeMap<&'static str, NoteKey>> {
    d.say(
        "Organisaties registreren, elk met een eigen ondertekeningssleutel.",
        "Register organisations, each with its own signing key.",
    );
    let mut keys = std::collections::BTreeMap::new();
    for (name, kind, what) in [
        (
            "stichting",
            OrgKind::Foundation,
            "beheert de rekening / holds the account",
        ),
        ("svb", OrgKind::Payer, "betaalt uitkering / pays benefits"),
        ("mitros", OrgKind::Creditor, "verhuurder / landlord"),
        ("eneco", OrgKind::Creditor, "energie / energy"),
    ] {
        let k = new_key(name)?;
        print!("   {name:<10} ({what})");
        d.must(
            op,
            Command::RegisterOrg {
                name: OrgName::parse(name)?,
                kind,
                key: k.public_key().to_bytes(),
            },
        )?;
        keys.insert(name, k);
    }
    Ok(keys)
}

/// Accounts, income, a reserved and posted rent, a linked pair, a refused overdraft and an
/// idempotent retry; the rent's entry and the log's size after it.
fn move_money(d: &mut Demo, stichting: &NoteKey) -> Result<(u64, u64)> {
    d.say(
        "Rekeningen openen. Het huishoudpotje mag nooit onder nul.",
        "Open accounts. The household reserve may never go below zero.",
    );
    let acct = Account::eur;
    d.must(
        stichting,
        Command::CreateAccounts(vec![
            acct(BANK, 0),
            acct(HOUSEHOLD, AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS),
            acct(LANDLORD, 0),
            acct(ENERGY, 0),
            acct(RESIDENT, 0),
        ]),
    )?;

    d.say(
        "De uitkering komt binnen op de rekening van de stichting (€ 1.234,56).",
        "The benefit arrives on the foundation's account (€ 1.234,56).",
    );
    d.must(
        stichting,
        Command::CreateTransfers(vec![transfer(1, BANK, HOUSEHOLD, "1234,56", 0)?]),
    )?;

    d.say(
        "Huur reserveren (pending) en daarna betalen (post).",
        "Reserve the rent (pending), then pay it (post).",
    );
    d.must(
        stichting,
        Command::CreateTransfers(vec![transfer(
            2,
            HOUSEHOLD,
            LANDLORD,
            "650,00",
            TransferFlags::PENDING,
        )?]),
    )?;
    d.balance(
        HOUSEHOLD,
        t("huishoudpotje na reservering", "household after reserving"),
    );
    let post = Transfer {
        pending_id: 2,
        currency: 0,
        code: 0,
        ..transfer(3, 0, 0, "0", TransferFlags::POST_PENDING)?
    };
    let rent_entry = d.must(stichting, Command::CreateTransfers(vec![post]))?;
    let size_after_rent = d.node.size();

    d.say(
        "Energie en leefgeld samen (gekoppeld: allebei of geen van beide).",
        "Energy and living money together (linked: both or neither).",
    );
    d.must(
        stichting,
        Command::CreateTransfers(vec![
            transfer(4, HOUSEHOLD, ENERGY, "120,00", TransferFlags::LINKED)?,
            transfer(5, HOUSEHOLD, RESIDENT, "250,00", 0)?,
        ]),
    )?;

    d.say(
        "Te veel uitgeven wordt geweigerd; er wordt niets geschreven.",
        "Overspending is refused; nothing is written.",
    );
    let before = d.node.size();
    match d.submit(
        stichting,
        Command::CreateTransfers(vec![transfer(6, HOUSEHOLD, RESIDENT, "5000,00", 0)?]),
    )? {
        Err(e) => println!("   {}: {e}", t("geweigerd", "refused")),
        Ok(_) => bail!("the demo's overdraft was accepted"),
    }
    println!(
        "   {} {before} -> {}",
        t("logomvang", "log size"),
        d.node.size()
    );

    d.say(
        "Dezelfde betaling opnieuw insturen betaalt niet dubbel (idempotent).",
        "Sending the same payment again does not pay twice (idempotent).",
    );
    d.must(
        stichting,
        Command::CreateTransfers(vec![transfer(5, HOUSEHOLD, RESIDENT, "250,00", 0)?]),
    )?;

    d.say(
        "Saldi (een pure optelsom van de log):",
        "Balances (a pure fold of the log):",
    );
    for (id, nl, en) in [
        (HOUSEHOLD, "huishoudpotje", "household reserve"),
        (LANDLORD, "verhuurder", "landlord"),
        (ENERGY, "energie", "energy"),
        (RESIDENT, "leefgeld bewoner", "resident's living money"),
    ] {
        d.balance(id, t(nl, en));
    }

    Ok((rent_entry, size_after_rent))
}

/// The signed checkpoint, an inclusion proof of the rent and a consistency proof since it.
fn prove(d: &mut Demo, op: &NoteKey, rent_entry: u64, size_after_rent: u64) -> Result<()> {
    d.say(
        "Het ondertekende checkpoint (C2SP tlog-checkpoint):",
        "The signed checkpoint (C2SP tlog-checkpoint):",
    );
    let (size, note) = d.node.checkpoint()?.context("no checkpoint")?;
    for line in note.lines() {
        println!("   | {line}");
    }
    let cp = verify_checkpoint(note.as_bytes(), &op.verifier_key(), ORIGIN, &[])?;

    d.say(
        "Bewijs dat de huurbetaling in de log staat, en controle daarvan (RFC 9162).",
        "Prove the rent payment is in the log, and check it (RFC 9162).",
    );
    let proof = d.node.tree().prove_inclusion(rent_entry, size)?;
    verify_inclusion(
        &proof,
        size,
        &cp.root,
        rent_entry,
        &d.node.tree().leaf_hash(rent_entry)?,
    )?;
    println!(
        "   {} {rent_entry}: {} hashes — ok",
        t("inclusiebewijs voor entry", "inclusion proof for entry"),
        proof.len()
    );

    d.say(
        "Bewijs dat de log alleen gegroeid is sinds de huur (consistentie).",
        "Prove the log only grew since the rent (consistency).",
    );
    let old_root = d.node.root(size_after_rent)?;
    let cproof = d.node.tree().prove_consistency(size_after_rent, size)?;
    verify_consistency(&cproof, size_after_rent, &old_root, size, &cp.root)?;
    println!("   {size_after_rent} -> {size}: ok");

    d.say(
        "Volledige controle zoals een accountant die doet (knop log verify):",
        "Full check as an auditor does it (knop log verify):",
    );
    Ok(())
}

/// Replays the whole log from the store, as `knop log verify` does, and says what to try next.
fn verify_as_an_auditor(dir: &std::path::Path) -> Result<ExitCode> {
    let mut store = FileStore::open(dir)?;
    let r = replay(
        &mut store,
        knop_node::replay::Checkpoints::All,
        &mut |_, _| {},
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "   ok {} entries ({} events, {} checkpoints)",
        r.tree.size(),
        r.events,
        r.checkpoints
    );

    println!("\n{}", t("Zelf verder kijken:", "Look further yourself:"));
    for c in [
        "log verify",
        "log checkpoint",
        "account list",
        "log prove --index 8",
        "log export",
    ] {
        println!("   knop --data {} {c}", dir.display());
    }
    Ok(ExitCode::SUCCESS)
}
