//! `knop backup --to DIR`: a consistent, verified copy of a running deployment.
//!
//! The ledger is copied at its latest signed checkpoint: the store is opened for reading beside
//! the writer (the embedded store's log is append-only; PostgreSQL's reads are a snapshot), the
//! records up to that checkpoint and every checkpoint up to it are written into a new embedded
//! store in `DIR/grootboek`, and the copy is then opened as a restore would open it: replayed,
//! every signature and the tree checked against the checkpoint. The personal-data vault (its
//! files are each written atomically), the kept statements (sealed) and the service's journal
//! are copied beside it. A ledger on PostgreSQL is backed up the same way, into an embedded
//! store (PostgreSQL's own backups and replicas are checked with `knop log verify`).
//!
//! Restore: `knop --data DIR/grootboek log verify`, then serve it with `--data DIR/grootboek
//! --vault DIR/kluis --statements DIR/afschriften --journal DIR/service.journal`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Args;
use knop_store::{FileStore, Store};

use crate::i18n::t;
use crate::location::Location;

/// Arguments of `knop backup`.
#[derive(Args, Debug)]
pub struct BackupArgs {
    /// Where the copy goes (a new or empty directory).
    #[arg(long, value_name = "DIR")]
    pub to: PathBuf,
    /// The personal-data vault to copy (default: DIR/vault for the embedded store, if there).
    #[arg(long, value_name = "DIR")]
    pub vault: Option<PathBuf>,
    /// The kept statements to copy (default: DIR/statements for the embedded store, if there).
    #[arg(long, value_name = "DIR")]
    pub statements: Option<PathBuf>,
    /// The service's journal to copy (default: DIR/service.journal, if there).
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,
}

/// Records copied per read and append.
const CHUNK: u64 = 10_000;

/// `knop backup`.
pub fn run(loc: &Location, a: BackupArgs) -> Result<ExitCode> {
    if a.to.exists()
        && std::fs::read_dir(&a.to)
            .with_context(|| a.to.display().to_string())?
            .next()
            .is_some()
    {
        bail!(
            "{}: {}",
            a.to.display(),
            t(
                "bestaat al en is niet leeg; kies een nieuwe map",
                "exists and is not empty; choose a new directory"
            )
        );
    }
    let mut from = loc.open_store_read_only()?;
    let Some((size, _)) = from.latest_checkpoint()? else {
        bail!(
            "{}",
            t(
                "het grootboek heeft nog geen checkpoint",
                "the ledger has no checkpoint yet"
            )
        );
    };
    let ledger = a.to.join("grootboek");
    let mut to = FileStore::create(&ledger, from.meta().clone())?;
    let mut copied = 0;
    while copied < size {
        let end = (copied + CHUNK).min(size);
        let records = from.read(copied, end)?;
        to.append(&records)?;
        copied = end;
        eprint!(
            "\r{} {copied}/{size}",
            t("entries gekopieerd:", "entries copied:")
        );
    }
    eprintln!();
    for (s, note) in from.checkpoints()?.into_iter().filter(|(s, _)| *s <= size) {
        to.put_checkpoint(s, &note)?;
    }
    drop(to);
    // Opened as a restore opens it: every entry replayed and checked against the checkpoint.
    let store = FileStore::open_read_only(&ledger)?;
    let node = knop_node::Node::open(Box::new(store), None, knop_node::os_salts())
        .context(t("de kopie controleren", "checking the copy"))?;
    if node.size() != size {
        bail!("the copy holds {} entries, expected {size}", node.size());
    }
    let embedded = loc.database.is_none();
    let data = loc.data.clone().unwrap_or_else(|| "knop-data".into());
    let default = |name: &str| embedded.then(|| data.join(name));
    let mut extra = vec![];
    for (what, given, name, into) in [
        ("vault", a.vault, "vault", "kluis"),
        ("statements", a.statements, "statements", "afschriften"),
        ("journal", a.journal, "service.journal", "service.journal"),
    ] {
        let explicit = given.is_some();
        let Some(src) = given.or_else(|| default(name)) else {
            continue;
        };
        if !src.exists() {
            if explicit {
                bail!(
                    "--{what} {}: {}",
                    src.display(),
                    t("bestaat niet", "does not exist")
                );
            }
            continue;
        }
        let n = copy_tree(&src, &a.to.join(into))?;
        extra.push(format!("{into} ({n} {})", t("bestanden", "files")));
    }
    println!(
        "{} {} {size} {}; {} {}",
        t("reservekopie in", "backup in"),
        a.to.display(),
        t("entries, gecontroleerd", "entries, verified"),
        t("ook:", "also:"),
        if extra.is_empty() {
            "-".to_owned()
        } else {
            extra.join(", ")
        }
    );
    Ok(ExitCode::SUCCESS)
}

/// Copies a file or a directory tree; returns the files copied. Each file is read whole and
/// written whole, then synced (the vault's and the statements' files are each replaced
/// atomically by their writers, so each copy is one version of that file).
fn copy_tree(from: &Path, to: &Path) -> Result<usize> {
    if from.is_file() {
        let bytes = std::fs::read(from).with_context(|| from.display().to_string())?;
        if let Some(p) = to.parent() {
            std::fs::create_dir_all(p)?;
        }
        write_synced(to, &bytes)?;
        return Ok(1);
    }
    std::fs::create_dir_all(to).with_context(|| to.display().to_string())?;
    let mut n = 0;
    for e in std::fs::read_dir(from).with_context(|| from.display().to_string())? {
        let e = e?;
        let name = e.file_name();
        // Half-written files of a writer in progress are not part of any version.
        if name.to_string_lossy().ends_with(".tmp") {
            continue;
        }
        n += copy_tree(&e.path(), &to.join(name))?;
    }
    Ok(n)
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| path.display().to_string())?;
    f.write_all(bytes)?;
    f.sync_all()?;
    Ok(())
}
