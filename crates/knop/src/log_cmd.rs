//! `knop init` and `knop log ...`: the verifiable log, as operator and as auditor.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use base64::prelude::{Engine as _, BASE64_STANDARD};
use clap::{Args, Subcommand};
use knop_ledger::merkle::{verify_consistency, verify_inclusion};
use knop_ledger::note::verify_checkpoint;
use knop_ledger::Hash;
use knop_node::{os_salts, replay, Node};
use knop_store::Meta;
use serde::Serialize;

use crate::i18n::t;
use crate::location::{new_key, write_key, Location};

/// Arguments of `knop init`.
#[derive(Args, Debug)]
pub struct InitArgs {
    /// The log's origin: checkpoint origin line and operator key name.
    #[arg(long, default_value = "knop.example/ledger")]
    pub origin: String,
}

/// `knop log ...`
#[derive(Subcommand, Debug)]
pub enum LogCommand {
    /// Print the latest signed checkpoint (C2SP tlog-checkpoint as a signed note).
    Checkpoint,
    /// Print the operator's verifier key (C2SP signed-note vkey).
    Key,
    /// Print an inclusion proof (--index) or a consistency proof (--from/--to) as JSON.
    Prove(ProveArgs),
    /// Check a proof against a signed checkpoint, offline, as an auditor would.
    VerifyProof(VerifyProofArgs),
    /// Export entries as JSON lines {index, leaf, entry, salt} for independent checking.
    Export(ExportArgs),
    /// Replay the whole log: every leaf, signature, entry, checkpoint and the resulting state.
    Verify(VerifyArgs),
    /// Erase an attachment (AVG): sign an erasure entry, then delete its content and salt.
    Erase(EraseArgs),
}

/// Arguments of `knop log prove`.
#[derive(Args, Debug)]
pub struct ProveArgs {
    /// Leaf index for an inclusion proof.
    #[arg(long, conflicts_with_all = ["from", "to"])]
    pub index: Option<u64>,
    /// Tree size for the inclusion proof (default: the current size).
    #[arg(long, requires = "index")]
    pub size: Option<u64>,
    /// Older tree size for a consistency proof.
    #[arg(long, requires = "to")]
    pub from: Option<u64>,
    /// Newer tree size for a consistency proof.
    #[arg(long, requires = "from")]
    pub to: Option<u64>,
}

/// Arguments of `knop log verify-proof`.
#[derive(Args, Debug)]
pub struct VerifyProofArgs {
    /// The proof JSON from `knop log prove` ("-" for standard input).
    #[arg(long)]
    pub proof: PathBuf,
    /// The signed checkpoint of the proof's (newer) tree size.
    #[arg(long)]
    pub checkpoint: PathBuf,
    /// For a consistency proof: the signed checkpoint of the older size (otherwise the proof's
    /// own `root1` is used, and said so).
    #[arg(long)]
    pub old_checkpoint: Option<PathBuf>,
    /// The operator's verifier key, or a file holding it.
    #[arg(long)]
    pub key: String,
    /// Witness verifier keys whose cosignatures must verify where present.
    #[arg(long)]
    pub witness: Vec<String>,
}

/// Arguments of `knop log export`.
#[derive(Args, Debug)]
pub struct ExportArgs {
    /// First index (inclusive).
    #[arg(long, default_value_t = 0)]
    pub from: u64,
    /// Last index (exclusive; default: the end).
    #[arg(long)]
    pub to: Option<u64>,
}

/// Arguments of `knop log verify`.
#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// Pin the operator's verifier key (or a file holding it) instead of trusting the store's.
    #[arg(long)]
    pub key: Option<String>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `knop log erase`.
#[derive(Args, Debug)]
pub struct EraseArgs {
    /// Index of the attachment to erase.
    #[arg(long)]
    pub index: u64,
    /// The request this answers (no personal data).
    #[arg(long)]
    pub reason: String,
}

/// Milliseconds since the Unix epoch (the CLI is the edge that reads the clock).
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// `knop init`.
pub fn init(loc: &Location, args: InitArgs) -> Result<ExitCode> {
    let key = new_key(&args.origin).context(t("ongeldige origin", "invalid origin"))?;
    let key_path = loc
        .operator_key_path()
        .context("no place for the operator key: give --operator-key FILE (HOME is not set)")?;
    let meta = Meta {
        origin: args.origin.clone(),
        operator_vkey: key.verifier_key(),
    };
    if loc.open_store_read_only().is_ok() {
        bail!(
            "{} {}",
            t(
                "er staat al een grootboek in",
                "a knop log already exists in"
            ),
            loc.describe()
        );
    }
    // The key first (it must not exist yet), so a ledger never exists without its key; if the
    // store cannot be created, the new key is removed again.
    write_key(&key_path, &key)?;
    let store = match loc.create(meta) {
        Ok(store) => store,
        Err(e) => {
            let _ = std::fs::remove_file(&key_path);
            return Err(e);
        }
    };
    let node = Node::init(store, key.clone(), now_ms(), os_salts())?;
    eprintln!(
        "{} {}",
        t("Nieuw grootboek in", "New ledger in"),
        loc.describe()
    );
    eprintln!(
        "{} {}",
        t("Operatorsleutel (geheim):", "Operator key (secret):"),
        key_path.display()
    );
    eprintln!(
        "{} {}",
        t(
            "Genesis-entry geschreven; logomvang",
            "Genesis entry written; log size"
        ),
        node.size()
    );
    println!("{}", key.verifier_key());
    Ok(ExitCode::SUCCESS)
}

/// `knop log ...`.
pub fn run(loc: &Location, cmd: LogCommand) -> Result<ExitCode> {
    match cmd {
        LogCommand::Checkpoint => {
            let mut node = loc.open_reader()?;
            let (_, note) = node
                .checkpoint()?
                .context(t("nog geen checkpoint", "no checkpoint yet"))?;
            print!("{note}");
        }
        LogCommand::Key => println!("{}", loc.open_store_read_only()?.meta().operator_vkey),
        LogCommand::Prove(a) => prove(loc, a)?,
        LogCommand::VerifyProof(a) => return verify_proof(a),
        LogCommand::Export(a) => export(loc, a)?,
        LogCommand::Verify(a) => return verify(loc, a),
        LogCommand::Erase(a) => erase(loc, a)?,
    }
    Ok(ExitCode::SUCCESS)
}

pub use knop_node::proof::{b64, ProofJson};

fn prove(loc: &Location, a: ProveArgs) -> Result<()> {
    let mut node = loc.open_reader()?;
    let json = match (a.index, a.from, a.to) {
        (Some(index), None, None) => node.inclusion_proof(index, a.size, true)?,
        (None, Some(from), Some(to)) => node.consistency_proof(from, to)?,
        _ => bail!(
            "{}",
            t(
                "geef --index I [--size N] of --from N1 --to N2",
                "give --index I [--size N] or --from N1 --to N2"
            )
        ),
    };
    println!("{}", serde_json::to_string_pretty(&json)?);
    Ok(())
}

/// Decodes a base64 hash of exactly 32 bytes, naming the field on error.
pub fn parse_hash(field: &str, text: &str) -> Result<Hash> {
    let raw = BASE64_STANDARD
        .decode(text)
        .with_context(|| format!("{field}: not base64"))?;
    let len = raw.len();
    let arr: [u8; 32] = raw
        .try_into()
        .map_err(|_| anyhow::anyhow!("{field}: {len} bytes, expected 32"))?;
    Ok(Hash(arr))
}

fn parse_hashes(field: &str, list: &[String]) -> Result<Vec<Hash>> {
    list.iter()
        .enumerate()
        .map(|(i, h)| parse_hash(&format!("{field}[{i}]"), h))
        .collect()
}

/// A verifier key given inline or as a file.
fn key_arg(key: &str) -> Result<String> {
    if key.contains('+') {
        return Ok(key.trim().to_owned());
    }
    Ok(std::fs::read_to_string(key)
        .with_context(|| format!("reading key file {key}"))?
        .trim()
        .to_owned())
}

fn verify_proof(a: VerifyProofArgs) -> Result<ExitCode> {
    let vkey = key_arg(&a.key)?;
    let origin = vkey.split('+').next().unwrap_or_default().to_owned();
    let proof: ProofJson =
        serde_json::from_slice(&crate::files::read(&a.proof)?).context("proof JSON")?;
    let note = crate::files::read(&a.checkpoint)?;
    let cp = verify_checkpoint(&note, &vkey, &origin, &a.witness).context("checkpoint")?;
    match proof {
        ProofJson::Inclusion {
            index,
            tree_size,
            leaf,
            leaf_hash,
            root,
            proof,
        } => {
            if tree_size != cp.size {
                bail!(
                    "proof is for tree size {tree_size}, checkpoint is for {}",
                    cp.size
                );
            }
            if parse_hash("root", &root)? != cp.root {
                bail!(
                    "{}",
                    t(
                        "root in het bewijs verschilt van de root in het checkpoint",
                        "the proof's root differs from the checkpoint's"
                    )
                );
            }
            let leaf_hash = parse_hash("leaf_hash", &leaf_hash)?;
            if let Some(leaf) = leaf {
                let data = hex::decode(&leaf).context("leaf: not hex")?;
                if tlog_leaf_hash(&data) != leaf_hash {
                    bail!("leaf_hash is not SHA-256(0x00 || leaf)");
                }
            }
            verify_inclusion(
                &parse_hashes("proof", &proof)?,
                tree_size,
                &cp.root,
                index,
                &leaf_hash,
            )?;
            println!(
                "ok: {} {index} {} {tree_size}",
                t("entry", "entry"),
                t("zit in de log van omvang", "is in the log of size")
            );
        }
        ProofJson::Consistency {
            size1,
            size2,
            root1,
            root2,
            proof,
        } => {
            if size2 != cp.size || parse_hash("root2", &root2)? != cp.root {
                bail!(
                    "proof is for size {size2}, checkpoint is for {} (or the roots differ)",
                    cp.size
                );
            }
            let old_root = match &a.old_checkpoint {
                Some(p) => {
                    let old =
                        verify_checkpoint(&crate::files::read(p)?, &vkey, &origin, &a.witness)
                            .context("old checkpoint")?;
                    if old.size != size1 {
                        bail!(
                            "proof is from size {size1}, old checkpoint is for {}",
                            old.size
                        );
                    }
                    old.root
                }
                None => {
                    eprintln!("{}", t("let op: oude root uit het bewijs zelf; geef --old-checkpoint om die ook te controleren", "note: old root taken from the proof itself; give --old-checkpoint to check it too"));
                    parse_hash("root1", &root1)?
                }
            };
            verify_consistency(
                &parse_hashes("proof", &proof)?,
                size1,
                &old_root,
                size2,
                &cp.root,
            )?;
            println!(
                "ok: {} {size1} {} {size2}",
                t("log van omvang", "log of size"),
                t("is een prefix van", "is a prefix of")
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn tlog_leaf_hash(data: &[u8]) -> Hash {
    use sha2::{Digest, Sha256};
    Hash(
        Sha256::new()
            .chain_update([0u8])
            .chain_update(data)
            .finalize()
            .into(),
    )
}

#[derive(Serialize)]
struct ExportLine<'a> {
    index: u64,
    leaf: String,
    entry: Option<String>,
    salt: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    erased: Option<&'a str>,
}

fn export(loc: &Location, a: ExportArgs) -> Result<()> {
    let mut store = loc.open_store_read_only()?;
    let to = a.to.unwrap_or(store.len());
    if a.from > to || to > store.len() {
        bail!(
            "range {}..{to} is outside the log of {} entries",
            a.from,
            store.len()
        );
    }
    let out = std::io::stdout();
    let mut out = std::io::BufWriter::new(out.lock());
    let mut from = a.from;
    while from < to {
        let end = (from + 4096).min(to);
        for r in store.read(from, end)? {
            let line = ExportLine {
                index: r.index,
                leaf: hex::encode(r.leaf),
                entry: r.entry.as_ref().map(|e| BASE64_STANDARD.encode(e)),
                salt: r.salt.map(hex::encode),
                erased: r.entry.is_none().then_some("content and salt erased"),
            };
            serde_json::to_writer(&mut out, &line)?;
            out.write_all(b"\n")?;
        }
        from = end;
    }
    out.flush()?;
    Ok(())
}

fn verify(loc: &Location, a: VerifyArgs) -> Result<ExitCode> {
    let mut store = loc.open_store_read_only().map_err(|e| {
        // Damage found while opening (checksum, framing, gaps) names its index too.
        anyhow::anyhow!("{}: {e:#}", t("VERIFICATIE MISLUKT", "VERIFICATION FAILED"))
    })?;
    if let Some(k) = &a.key {
        let pinned = key_arg(k)?;
        if pinned != store.meta().operator_vkey {
            bail!(
                "{}: {} {}",
                t("VERIFICATIE MISLUKT", "VERIFICATION FAILED"),
                t(
                    "de opgeslagen operatorsleutel is niet",
                    "the stored operator key is not"
                ),
                pinned
            );
        }
    }
    let started = std::time::Instant::now();
    let total = store.len();
    let mut last = std::time::Instant::now();
    let mut progress = |done: u64, total: u64| {
        if last.elapsed().as_secs() >= 2 {
            eprintln!("  {done}/{total} ...");
            last = std::time::Instant::now();
        }
    };
    match replay(
        store.as_mut(),
        knop_node::replay::Checkpoints::All,
        &mut progress,
    ) {
        Ok(r) => {
            let secs = started.elapsed().as_secs_f64();
            // The log is intact; money reserved without a run (a ledger written before runs
            // were one entry) is said, not hidden.
            let unowned = knop_app::payrun::unowned_reservations(&r.state);
            for u in &unowned {
                eprintln!(
                    "{}: {} {}: {} {} {}",
                    t("LET OP", "WARNING"),
                    t("huishouden", "household"),
                    u.household,
                    crate::files::euro(u.reserved_cents - u.in_runs_cents),
                    t("gereserveerd zonder betaalrun", "reserved without a payment run"),
                    t(
                        "(een betaalrun die halverwege stopte, vóór knop elke run in één entry vastlegde)",
                        "(a payment run stopped halfway, before knop recorded every run in one entry)"
                    )
                );
            }
            if a.json {
                let v = serde_json::json!({
                    "ok": true, "entries": total, "events": r.events, "checkpoints": r.checkpoints,
                    "erased": r.state.erased().len(), "root": b64(&r.tree.root(total)?),
                    "state_digest": hex::encode(r.state.digest()), "seconds": secs,
                    "unowned_reservations": unowned,
                });
                println!("{v}");
            } else {
                eprintln!(
                    "{}: {} events, {} checkpoints, {} erased; state {}",
                    t("gecontroleerd", "checked"),
                    r.events,
                    r.checkpoints,
                    r.state.erased().len(),
                    hex::encode(r.state.digest())
                );
                println!("ok {total} entries");
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            if a.json {
                println!(
                    "{}",
                    serde_json::json!({"ok": false, "index": e.index, "error": e.why})
                );
            }
            eprintln!("{}: {e}", t("VERIFICATIE MISLUKT", "VERIFICATION FAILED"));
            Ok(ExitCode::from(2))
        }
    }
}

fn erase(loc: &Location, a: EraseArgs) -> Result<()> {
    let key = loc.read_operator_key()?;
    let mut node = loc.open_writer()?;
    let cmd = knop_state::Command::Erase {
        index: a.index,
        reason: a.reason,
    };
    let name = knop_ledger::entry::OrgName::parse(key.key_name())?;
    let ts = now_ms().max(node.state().last_timestamp_ms());
    let entry = knop_ledger::entry::SignedEntry::sign(name, ts, cmd.encode(), key.signing_key());
    node.submit(&[entry])?.remove(0)?;
    node.erase(a.index)?;
    eprintln!(
        "{} {}",
        t(
            "Inhoud en salt gewist van entry",
            "Content and salt erased of entry"
        ),
        a.index
    );
    Ok(())
}
