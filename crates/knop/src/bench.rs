//! `knop bench ledger`: append, verify and proof figures as one JSON object.
//!
//! The figures are measured end to end through the real node: each batch entry is encoded and
//! signed by a participant, checked against the state, salted, appended durably (the embedded
//! store syncs each group commit; PostgreSQL commits), covered by a signed checkpoint, and only
//! then counted. Proof timings use a separate in-memory tree of `--proof-leaves` leaves, so the
//! 10-million-leaf target can be measured without first appending 10 million entries.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use knop_book::{Account, Cents, Transfer};
use knop_ledger::entry::{OrgName, SignedEntry};
use knop_ledger::merkle::{verify_inclusion, Tree};
use knop_node::{os_salts, replay, Node};
use knop_state::{Command, OrgKind};
use knop_store::{FileStore, Meta, PgStore, Store};

use crate::location::{new_key, Location};

/// `knop bench ...`
#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// Append transfers, replay the log, time proofs; print one JSON object.
    Ledger(LedgerArgs),
    /// Calculate every regulation for many households; print one JSON object.
    Rules(RulesArgs),
    /// A month for many households: camt.053 in, matching, payment runs, pain.001 out, the
    /// confirming statement; print one JSON object with stage timings.
    MonthEnd(crate::bench_month::MonthEndArgs),
    /// Verify Rode Knop declarations (SD-JWT VC with key binding) on one thread; print one JSON
    /// object.
    Declaration(DeclarationArgs),
    /// A Kindpakket year: a fund, shops, a voucher per child, about ten spends per child, each
    /// spend its own entry (every rule checked, the voucher's budget by the book), durable in
    /// group commits; print one JSON object.
    Kindpakket(KindpakketArgs),
    /// Kindpakket purchases through the HTTP API of a service in this process, many tills at
    /// once over loopback, each answer durable first; print one JSON object.
    KindpakketHttp(KindpakketHttpArgs),
}

/// Arguments of `knop bench kindpakket`.
#[derive(Args, Debug)]
pub struct KindpakketArgs {
    /// Children, each with one voucher.
    #[arg(long, default_value_t = 100_000)]
    pub children: u32,
    /// Spends per child.
    #[arg(long, default_value_t = 10)]
    pub spends: u32,
    /// Spend entries per group commit (one sync for all of them).
    #[arg(long, default_value_t = 1000)]
    pub group: usize,
    /// Shops taking part.
    #[arg(long, default_value_t = 50)]
    pub shops: u32,
}

/// Arguments of `knop bench kindpakket-http`.
#[derive(Args, Debug)]
pub struct KindpakketHttpArgs {
    /// Vouchers, each spent once through the API (one request each).
    #[arg(long, default_value_t = 20_000)]
    pub vouchers: u32,
    /// Concurrent connections (tills).
    #[arg(long, default_value_t = 64)]
    pub connections: u32,
}

/// Arguments of `knop bench declaration`.
#[derive(Args, Debug)]
pub struct DeclarationArgs {
    /// Presentations to verify.
    #[arg(long, default_value_t = 20_000)]
    pub count: u32,
}

/// Arguments of `knop bench rules`.
#[derive(Args, Debug)]
pub struct RulesArgs {
    /// Households to calculate.
    #[arg(long, default_value_t = 1_000_000)]
    pub households: u64,
    /// Reference date.
    #[arg(long, default_value = "2026-03-01")]
    pub date: jiff::civil::Date,
}

/// Arguments of `knop bench ledger`.
#[derive(Args, Debug)]
pub struct LedgerArgs {
    /// Transfers to append.
    #[arg(long, default_value_t = 1_000_000)]
    pub transfers: u64,
    /// Transfers per entry.
    #[arg(long, default_value_t = 1000)]
    pub batch: usize,
    /// Entries per submission (group commit: one sync for all of them).
    #[arg(long, default_value_t = 1)]
    pub group: usize,
    /// Accounts to spread the transfers over.
    #[arg(long, default_value_t = 10_000)]
    pub accounts: u32,
    /// Leaves of the in-memory tree used to time proofs (0 skips).
    #[arg(long, default_value_t = 10_000_000)]
    pub proof_leaves: u64,
}

/// `knop bench ...`.
pub fn run(loc: &Location, cmd: BenchCommand) -> Result<ExitCode> {
    match cmd {
        BenchCommand::Ledger(a) => ledger(loc, a),
        BenchCommand::Rules(a) => rules(a),
        BenchCommand::MonthEnd(a) => crate::bench_month::run(loc, a),
        BenchCommand::Declaration(a) => declaration(a),
        BenchCommand::Kindpakket(a) => kindpakket(loc, a),
        BenchCommand::KindpakketHttp(a) => crate::serve_cmd::bench_kindpakket_http(loc, a),
    }
}

/// A Kindpakket year through the real node: vouchers issued, then every spend signed by its
/// shop, its signature checked on two threads, applied (all of the fund's rules, the book's
/// budget check) and made durable in group commits.
fn kindpakket(loc: &Location, a: KindpakketArgs) -> Result<ExitCode> {
    use knop_state::kindpakket::Category;
    use knop_state::{KindpakketCommand as K, Verified};
    if a.children == 0
        || a.children > 10_000_000
        || a.spends == 0
        || a.spends > 100
        || a.group == 0
        || a.group > 100_000
        || a.shops == 0
        || a.shops > 10_000
    {
        bail!("--children 1..=10000000, --spends 1..=100, --group 1..=100000, --shops 1..=10000");
    }
    let op = new_key("knop.bench/kindpakket")?;
    let (target, where_, _guard) = fresh_target(loc)?;
    let store = target.create(Meta {
        origin: "knop.bench/kindpakket".into(),
        operator_vkey: op.verifier_key(),
    })?;
    let mut node = Node::init(store, op.clone(), 1, os_salts())?;
    let op_name = OrgName::parse(op.key_name())?;
    let sign = |ts: u64, cmd: &Command, key: &knop_ledger::note::NoteKey| {
        SignedEntry::sign(
            OrgName::parse(key.key_name()).expect("bench names are valid"),
            ts,
            cmd.encode(),
            key.signing_key(),
        )
    };
    let gemeente = new_key("gemeente")?;
    let foundation = new_key("stichting")?;
    let shops: Vec<_> = (0..a.shops)
        .map(|i| new_key(&format!("winkel-{i}")))
        .collect::<Result<_>>()?;
    let mut setup: Vec<SignedEntry> = vec![];
    for (k, kind) in [
        (&gemeente, OrgKind::Municipality),
        (&foundation, OrgKind::Foundation),
    ]
    .into_iter()
    .chain(shops.iter().map(|k| (k, OrgKind::Merchant)))
    {
        let reg = Command::RegisterOrg {
            name: OrgName::parse(k.key_name())?,
            kind,
            key: k.public_key().to_bytes(),
        };
        setup.push(SignedEntry::sign(
            op_name.clone(),
            2,
            reg.encode(),
            op.signing_key(),
        ));
    }
    for r in node.submit(&setup)? {
        r?;
    }
    // Households (one per child, the simplest worst case: every voucher its own household).
    let mut entries = vec![];
    for h in 1..=u128::from(a.children) {
        let open = Command::Household(knop_state::HouseholdCommand::Open {
            household: knop_huishoudboekje::HouseholdId(h),
            counsellor: "c".into(),
            information: "knop-info-v1".into(),
        });
        entries.push(sign(3, &open, &foundation));
        if entries.len() == 10_000 {
            for r in node.submit(&entries)? {
                r?;
            }
            entries.clear();
        }
    }
    let fund = "kindpakket-2026".to_owned();
    let all = Category::ALL.iter().fold(0u16, |b, c| b | *c as u16);
    entries.push(sign(
        4,
        &Command::Kindpakket(K::OpenFund {
            fund: fund.clone(),
            child_cents: 30_000,
            from: jiff::civil::date(2026, 1, 1),
            until: jiff::civil::date(2026, 12, 31),
            categories: all,
            cap_cents: 25_000,
        }),
        &gemeente,
    ));
    for s in &shops {
        entries.push(sign(
            4,
            &Command::Kindpakket(K::AcceptMerchant {
                fund: fund.clone(),
                merchant: OrgName::parse(s.key_name())?,
                categories: all,
            }),
            &gemeente,
        ));
    }
    let t_issue = Instant::now();
    for c in 0..a.children {
        entries.push(sign(
            5,
            &Command::Kindpakket(K::IssueVoucher {
                voucher: format!("v{c}"),
                fund: fund.clone(),
                household: knop_huishoudboekje::HouseholdId(u128::from(c) + 1),
            }),
            &gemeente,
        ));
        if entries.len() >= 10_000 {
            for r in node.submit(&entries)? {
                r?;
            }
            entries.clear();
        }
    }
    for r in node.submit(&entries)? {
        r?;
    }
    entries.clear();
    let issue_s = t_issue.elapsed().as_secs_f64();
    eprintln!(
        "bench: {} children, {} spends each, {} per commit, {} shops, store: {where_}",
        a.children, a.spends, a.group, a.shops
    );
    // The spends: round by round (each child once per round), in groups.
    let keys: Vec<_> = shops.iter().map(|k| k.public_key()).collect();
    let total = u64::from(a.children) * u64::from(a.spends);
    let mut latencies = vec![];
    let (mut refused, mut rng) = (0u64, 0x2545_f491_4f6c_dd1du64);
    let mut pending: Vec<(SignedEntry, usize)> = Vec::with_capacity(a.group);
    let started = Instant::now();
    let mut flush = |node: &mut Node, pending: &mut Vec<(SignedEntry, usize)>| -> Result<()> {
        let t0 = Instant::now();
        let half = pending.len().div_ceil(2);
        let verified: Vec<Verified> = std::thread::scope(|sc| {
            let (x, y) = pending.split_at(half);
            let check = |part: &[(SignedEntry, usize)]| {
                part.iter()
                    .map(|(e, k)| Verified::check(e.clone(), keys[*k]))
                    .collect::<Result<Vec<_>, _>>()
            };
            let hx = sc.spawn(move || check(x));
            let vy = check(y);
            let vx = hx
                .join()
                .map_err(|_| anyhow::anyhow!("a checking thread failed"))?;
            Ok::<_, anyhow::Error>([vx?, vy?].concat())
        })?;
        for r in node.submit_verified(&verified)? {
            if r.is_err() {
                refused += 1;
            }
        }
        latencies.push(t0.elapsed().as_secs_f64() * 1000.0);
        pending.clear();
        Ok(())
    };
    for round in 0..a.spends {
        for c in 0..a.children {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let shop = (rng % u64::from(a.shops)) as usize;
            let cmd = Command::Kindpakket(K::Spend {
                spend: format!("s{c}-{round}"),
                voucher: format!("v{c}"),
                merchant: OrgName::parse(shops[shop].key_name())?,
                category: Category::ALL[(rng >> 20) as usize % Category::ALL.len()],
                cents: 100 + (rng >> 32) as i64 % 2_900,
                date: jiff::civil::date(2026, 1 + (round % 12) as i8, 15),
            });
            pending.push((sign(6, &cmd, &shops[shop]), shop));
            if pending.len() == a.group {
                flush(&mut node, &mut pending)?;
            }
        }
    }
    if !pending.is_empty() {
        flush(&mut node, &mut pending)?;
    }
    let secs = started.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    let pct = |p: f64| latencies[((latencies.len() as f64 - 1.0) * p) as usize];
    let booked = node.state().spends().len();
    // The year's payouts: each shop's account recorded, then one payout a month (made, approved
    // by a second person, confirmed by the municipality's statement), each one entry.
    let t_pay = Instant::now();
    let mut entries = vec![];
    for (i, s) in shops.iter().enumerate() {
        entries.push(sign(
            7,
            &Command::Kindpakket(K::SetPayee {
                fund: fund.clone(),
                merchant: OrgName::parse(s.key_name())?,
                iban: "NL91ABNA0417164300".into(),
                name: format!("Winkel {i}"),
            }),
            &gemeente,
        ));
    }
    for r in node.submit(&entries)? {
        r?;
    }
    let (mut payouts, mut lines, mut paid_cents) = (0usize, 0usize, 0i64);
    for month in 1..=12i8 {
        let until = jiff::civil::date(2026, month, 1).last_of_month();
        let payout = format!("KP-2026-{month:02}");
        let make = sign(
            8,
            &Command::Kindpakket(K::Payout {
                payout: payout.clone(),
                fund: fund.clone(),
                until,
                execution: until,
                from_iban: "NL02ABNA0123456789".into(),
                created_by: "ann".into(),
            }),
            &gemeente,
        );
        if node.submit(&[make])?.pop().is_some_and(|r| r.is_err()) {
            continue; // nothing spent that month
        }
        let approve = sign(
            8,
            &Command::Kindpakket(K::ApprovePayout {
                payout: payout.clone(),
                by: "bob".into(),
            }),
            &gemeente,
        );
        for r in node.submit(&[approve])? {
            r?;
        }
        let p = node
            .state()
            .payouts()
            .get(&payout)
            .ok_or_else(|| anyhow::anyhow!("payout {payout} not made"))?;
        payouts += 1;
        lines += p.lines.len();
        paid_cents += p.total_cents();
        let paid = p
            .lines
            .iter()
            .map(|l| knop_state::PaidLine {
                payout: payout.clone(),
                merchant: l.merchant.clone(),
                date: until,
            })
            .collect();
        let statement = sign(
            8,
            &Command::Kindpakket(K::Statement {
                paid,
                topups: vec![],
            }),
            &gemeente,
        );
        for r in node.submit(&[statement])? {
            r?;
        }
    }
    let payouts_s = t_pay.elapsed().as_secs_f64();
    let spent: i64 = node
        .state()
        .spends()
        .values()
        .filter(|s| !s.cancelled)
        .map(|s| s.cents)
        .sum();
    if spent != paid_cents {
        bail!("the payouts paid {paid_cents} cents of {spent} spent");
    }
    println!(
        "{{\"children\": {}, \"spends_tried\": {total}, \"spends_booked\": {booked}, \"refused\": {refused}, \"group\": {}, \"shops\": {}, \"vouchers_issued_s\": {issue_s:.2}, \"spends_s\": {secs:.2}, \"spends_per_s\": {:.0}, \"commit_ms_p50\": {:.2}, \"commit_ms_p99\": {:.2}, \"payouts\": {payouts}, \"payout_lines\": {lines}, \"paid_out_cents\": {paid_cents}, \"payouts_s\": {payouts_s:.2}, \"year_s\": {:.2}, \"store\": \"{where_}\"}}",
        a.children,
        a.group,
        a.shops,
        total as f64 / secs,
        pct(0.5),
        pct(0.99),
        issue_s + secs + payouts_s
    );
    Ok(ExitCode::SUCCESS)
}

/// Verifies one presentation `count` times on this thread: the issuer's and the holder's
/// signatures, the disclosures, the key binding and a status-list entry each time.
fn declaration(a: DeclarationArgs) -> Result<ExitCode> {
    use knop_declaration::{issue, present, verify, Declaration, Expect};
    let issuer = ed25519_dalek::SigningKey::from_bytes(&rand::random());
    let holder = ed25519_dalek::SigningKey::from_bytes(&rand::random());
    let now = 1_800_000_000;
    let d = Declaration {
        issuer: "https://gemeente.example/knop".into(),
        start: "2026-12-01".into(),
        iat: now - 60,
        exp: now + 8 * 30 * 86_400,
        contact: "Schuldhulp, 030 123 45 67".into(),
        status: ("https://gemeente.example/knop/status/1".into(), 4711),
        personal: [
            ("name", "A. Voorbeeld"),
            ("birthdate", "1990-04-01"),
            ("bsn", "111222333"),
            ("address", "Straat 1"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .to_vec(),
    };
    let sd_jwt = issue(&d, &issuer, "k1", &holder.verifying_key())?;
    let p = present(
        &sd_jwt,
        &["name", "birthdate"],
        &holder,
        "https://cjib.example",
        "n",
        now,
    )?;
    let list = knop_status_list::StatusList::new(1, 1 << 20)?;
    let expect = Expect {
        audience: "https://cjib.example",
        nonce: "n",
        now,
    };
    let key = issuer.verifying_key();
    let started = std::time::Instant::now();
    for _ in 0..a.count {
        verify(&p, &key, &expect, |_, i| {
            list.get(i).ok_or_else(|| "past the list".to_owned())
        })
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{}",
        serde_json::json!({
            "presentations": a.count, "seconds": secs, "threads": 1,
            "verifications_per_s": f64::from(a.count) / secs,
            "presentation_bytes": p.len(),
        })
    );
    Ok(ExitCode::SUCCESS)
}

/// Where the benchmark's store is.
pub(crate) enum Target {
    Dir(PathBuf),
    Pg(String),
}

impl Target {
    pub(crate) fn create(&self, meta: Meta) -> Result<Box<dyn Store>> {
        Ok(match self {
            Target::Dir(d) => Box::new(FileStore::create(d, meta)?),
            Target::Pg(url) => Box::new(PgStore::create(url, meta)?),
        })
    }

    fn open(&self) -> Result<Box<dyn Store>> {
        Ok(match self {
            Target::Dir(d) => Box::new(FileStore::open(d)?),
            Target::Pg(url) => Box::new(PgStore::open(url)?),
        })
    }
}

/// Picks a fresh place for the store: a temporary directory, `--data DIR` (kept), or a new
/// schema in `--database URL` (kept). Returns it, a description and the temp dir guard.
pub(crate) fn fresh_target(loc: &Location) -> Result<(Target, String, Option<tempfile::TempDir>)> {
    if let Some(url) = &loc.database {
        let millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_millis();
        let schema = format!("knop_bench_{millis}");
        let mut c =
            postgres::Client::connect(url, postgres::NoTls).context("connecting to PostgreSQL")?;
        c.batch_execute(&format!("CREATE SCHEMA {schema}"))?;
        let sep = if url.contains('?') { '&' } else { '?' };
        let scoped = format!("{url}{sep}options=-csearch_path%3D{schema}");
        return Ok((
            Target::Pg(scoped),
            format!("postgres schema {schema}"),
            None,
        ));
    }
    if let Some(dir) = &loc.data {
        if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
            bail!(
                "{} is not empty; give a new directory to keep the benchmark's store",
                dir.display()
            );
        }
        return Ok((
            Target::Dir(dir.clone()),
            format!("directory {}", dir.display()),
            None,
        ));
    }
    let tmp = tempfile::tempdir()?;
    Ok((
        Target::Dir(tmp.path().join("log")),
        "temporary directory".into(),
        Some(tmp),
    ))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn ledger(loc: &Location, a: LedgerArgs) -> Result<ExitCode> {
    if a.transfers == 0
        || a.batch == 0
        || a.batch > knop_book::BATCH_EVENTS_MAX
        || a.group == 0
        || a.group > 100_000
        || a.accounts < 2
        || a.accounts > 10_000_000
        || a.proof_leaves > 100_000_000
    {
        bail!(
            "--transfers at least 1, --batch 1..={}, --group 1..=100000, --accounts 2..=10000000, --proof-leaves at most 100000000",
            knop_book::BATCH_EVENTS_MAX
        );
    }
    let op = new_key("knop.bench/ledger")?;
    let (target, where_, _guard) = fresh_target(loc)?;
    let store = target.create(Meta {
        origin: "knop.bench/ledger".into(),
        operator_vkey: op.verifier_key(),
    })?;
    let mut node = Node::init(store, op.clone(), 1, os_salts())?;
    let bank = new_key("bench-bank")?;
    let bank_name = OrgName::parse("bench-bank")?;
    let reg = Command::RegisterOrg {
        name: bank_name.clone(),
        kind: OrgKind::Participant,
        key: bank.public_key().to_bytes(),
    };
    let sign = |ts: u64, cmd: &Command, key: &knop_ledger::note::NoteKey, name: &OrgName| {
        SignedEntry::sign(name.clone(), ts, cmd.encode(), key.signing_key())
    };
    node.submit(&[sign(2, &reg, &op, &OrgName::parse(op.key_name())?)])?
        .remove(0)?;
    for chunk in (1..=a.accounts).collect::<Vec<_>>().chunks(10_000) {
        let accounts = chunk
            .iter()
            .map(|&i| Account::eur(u128::from(i), 0))
            .collect();
        node.submit(&[sign(
            3,
            &Command::CreateAccounts(accounts),
            &bank,
            &bank_name,
        )])?
        .remove(0)?;
    }
    eprintln!(
        "bench: {} transfers, {} per entry, {} entries per commit, store: {where_}",
        a.transfers, a.batch, a.group
    );

    let bytes_before = node.store_mut()?.bytes_used()?;
    let mut latencies = Vec::new();
    let (mut next_id, mut done, mut rng) = (1u128, 0u64, 0x9e37_79b9_7f4a_7c15u64);
    let started = Instant::now();
    while done < a.transfers {
        let t0 = Instant::now();
        let mut entries = Vec::with_capacity(a.group);
        let mut in_group = 0u64;
        while entries.len() < a.group && done + in_group < a.transfers {
            let n = (a.batch as u64).min(a.transfers - done - in_group) as usize;
            let transfers: Vec<Transfer> = (0..n)
                .map(|_| {
                    rng ^= rng << 13;
                    rng ^= rng >> 7;
                    rng ^= rng << 17;
                    let accounts = u64::from(a.accounts);
                    let dr0 = rng % accounts;
                    // Any other account: an offset of 1..accounts-1 from the debit account.
                    let cr0 = (dr0 + 1 + (rng >> 32) % (accounts - 1)) % accounts;
                    let (dr, cr) = (u128::from(dr0 + 1), u128::from(cr0 + 1));
                    next_id += 1;
                    Transfer::eur(next_id, dr, cr, Cents(1 + (rng % 10_000) as i64), 0)
                })
                .collect();
            entries.push(sign(
                10,
                &Command::CreateTransfers(transfers),
                &bank,
                &bank_name,
            ));
            in_group += n as u64;
        }
        for r in node.submit(&entries)? {
            r.context("benchmark entry rejected")?;
        }
        done += in_group;
        latencies.push(t0.elapsed().as_secs_f64() * 1000.0);
    }
    let seconds = started.elapsed().as_secs_f64();
    let bytes = node.store_mut()?.bytes_used()? - bytes_before;
    let entries = node.size();
    drop(node);

    let (verify_s, verified_events) = {
        let mut store = target.open()?;
        let t0 = Instant::now();
        let r = replay(
            store.as_mut(),
            knop_node::replay::Checkpoints::All,
            &mut |_, _| {},
        )
        .map_err(|e| anyhow::anyhow!("replay after benchmark: {e}"))?;
        (t0.elapsed().as_secs_f64(), r.events)
    };
    let (produce_us, verify_us) = if a.proof_leaves > 0 {
        proof_timings(a.proof_leaves)
    } else {
        (0.0, 0.0)
    };
    latencies.sort_by(f64::total_cmp);
    let out = serde_json::json!({
        "store": where_,
        "transfers": a.transfers,
        "batch": a.batch,
        "group": a.group,
        "entries": entries,
        "seconds": seconds,
        "transfers_per_s": a.transfers as f64 / seconds,
        "batch_latency_ms": {"p50": percentile(&latencies, 0.5), "p99": percentile(&latencies, 0.99)},
        "p50_batch_latency_ms": percentile(&latencies, 0.5),
        "p99_batch_latency_ms": percentile(&latencies, 0.99),
        "bytes_per_transfer": bytes as f64 / a.transfers as f64,
        "verify_seconds": verify_s,
        "verify_entries_per_s": entries as f64 / verify_s,
        "verify_transfers_per_s": verified_events as f64 / verify_s,
        "proof_leaves": a.proof_leaves,
        "proof_us": {"produce": produce_us, "verify": verify_us},
        "peak_rss_bytes": peak_rss_bytes(),
        "cpus": std::thread::available_parallelism().map_or(0, |n| n.get()),
    });
    println!("{out}");
    Ok(ExitCode::SUCCESS)
}

/// Average microseconds to produce and to verify an inclusion proof in a tree of `leaves`.
fn proof_timings(leaves: u64) -> (f64, f64) {
    let mut tree = Tree::new();
    for i in 0..leaves {
        tree.push(&i.to_be_bytes());
    }
    let root = tree.root(leaves).expect("size within the tree");
    let samples = 10_000u64;
    let indexes: Vec<u64> = (0..samples)
        .map(|i| (i.wrapping_mul(0x9e37_79b9_7f4a_7c15)) % leaves)
        .collect();
    let t0 = Instant::now();
    let proofs: Vec<_> = indexes
        .iter()
        .map(|&i| tree.prove_inclusion(i, leaves).expect("in range"))
        .collect();
    let produce = t0.elapsed().as_secs_f64() * 1e6 / samples as f64;
    let leaf_hashes: Vec<_> = indexes
        .iter()
        .map(|&i| tree.leaf_hash(i).expect("in range"))
        .collect();
    let t0 = Instant::now();
    for ((p, &i), h) in proofs.iter().zip(&indexes).zip(&leaf_hashes) {
        verify_inclusion(p, leaves, &root, i, h).expect("proof verifies");
    }
    let verify = t0.elapsed().as_secs_f64() * 1e6 / samples as f64;
    (produce, verify)
}

/// The process's peak resident set size (VmHWM), in bytes.
pub(crate) fn peak_rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// A varied synthetic household number `i`: singles, couples, parents, pensioners, renters.
fn synthetic_facts(i: u64) -> knop_rules::facts::Facts {
    use knop_rules::facts::{Child, Facts, Person, Rent};
    let d = |y: i16, m: i8, day: i8| jiff::civil::Date::new(y, m, day).expect("valid date");
    let r = i.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let age_years = 19 + (r % 60) as i16;
    let income = ((r >> 8) % 6_000_000) as i64;
    let mut persons = vec![Person {
        role: None,
        birth_date: d(2026 - age_years, 1 + (r % 12) as i8, 1 + (r % 28) as i8),
        insured: true,
        toetsingsinkomen_cents: income,
    }];
    if r & 1 == 1 {
        persons.push(Person {
            role: None,
            birth_date: d(2026 - age_years - 2, 6, 15),
            insured: r & 2 == 0,
            toetsingsinkomen_cents: income / 3,
        });
    }
    let children = (0..(r >> 20) % 4)
        .map(|k| Child {
            birth_date: d(2008 + ((r >> (24 + k)) % 17) as i16, 3, 10),
        })
        .collect();
    let rent = (r & 4 == 0).then(|| Rent {
        kale_huur_cents: 40_000 + ((r >> 30) % 70_000) as i64,
        service_costs_cents: ((r >> 40) % 6_000) as i64,
    });
    Facts {
        persons,
        children,
        assets_cents: ((r >> 12) % 5_000_000) as i64,
        rent,
        address_known: !r.is_multiple_of(97),
        housemates_21_plus: ((r >> 50) % 3) as u32 * u32::from(r.is_multiple_of(5)),
        minima_percentage: None,
        bijstand_year_cents: 0,
    }
}

fn rules(a: RulesArgs) -> Result<ExitCode> {
    if a.households == 0 {
        bail!("--households must be at least 1");
    }
    let set = knop_rules::ParamSet::at(a.date);
    let facts: Vec<_> = (0..a.households.min(100_000))
        .map(synthetic_facts)
        .collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
    let per = a.households.div_ceil(threads);
    let started = Instant::now();
    let eligible: u64 = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|w| {
                let (facts, set) = (&facts, &set);
                s.spawn(move || {
                    let mut eligible = 0u64;
                    for i in w * per..((w + 1) * per).min(a.households) {
                        let f = &facts[(i % facts.len() as u64) as usize];
                        if let Ok(h) = f.check(a.date) {
                            let results = set.calc(&h);
                            eligible += results
                                .iter()
                                .filter(|r| r.as_ref().is_ok_and(|o| o.eligible))
                                .count() as u64;
                        }
                    }
                    eligible
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|h| h.join().expect("bench worker"))
            .sum()
    });
    let seconds = started.elapsed().as_secs_f64();
    let out = serde_json::json!({
        "households": a.households,
        "regulations": knop_rules::REGULATIONS.len(),
        "date": a.date.to_string(),
        "seconds": seconds,
        "households_per_s": a.households as f64 / seconds,
        "eligible_results": eligible,
        "threads": threads,
        "peak_rss_bytes": peak_rss_bytes(),
    });
    println!("{out}");
    Ok(ExitCode::SUCCESS)
}
