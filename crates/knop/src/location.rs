//! Where the log is (a directory or a PostgreSQL URL) and where the keys are.

use std::path::{Path, PathBuf};

use crate::i18n::t;
use anyhow::{bail, Context, Result};
use clap::Args;
use knop_ledger::note::NoteKey;
use knop_node::{os_salts, Node};
use knop_store::{FileStore, Meta, PgStore, Store};

/// Where the ledger lives; the embedded store in `./knop-data` unless told otherwise.
#[derive(Args, Debug, Clone)]
pub struct Location {
    /// Directory of the embedded store.
    #[arg(
        long,
        global = true,
        env = "KNOP_DATA",
        value_name = "DIR",
        conflicts_with = "database"
    )]
    pub data: Option<PathBuf>,
    /// PostgreSQL URL instead of the embedded store, e.g. postgres://127.0.0.1/test; on another
    /// host with TLS: postgres://knop@db.gemeente.nl/knop?sslmode=verify-full&sslrootcert=ca.pem
    /// (sslmode disable, prefer, require, verify-ca or verify-full, as libpq).
    #[arg(long, global = true, env = "KNOP_DATABASE", value_name = "URL")]
    pub database: Option<String>,
    /// The operator's private key file (default: DIR/operator.key for the embedded store).
    #[arg(
        long = "operator-key",
        global = true,
        env = "KNOP_OPERATOR_KEY",
        value_name = "FILE"
    )]
    pub operator_key: Option<PathBuf>,
}

impl Location {
    fn dir(&self) -> PathBuf {
        self.data
            .clone()
            .unwrap_or_else(|| PathBuf::from("knop-data"))
    }

    /// Where this ledger's keys live: `DIR/keys` for the embedded store; for PostgreSQL
    /// `$HOME/.knop/keys/<first 8 hex of SHA-256(URL without password)>`, so that `init` and later
    /// commands on the same URL find the same keys.
    pub fn key_dir(&self) -> Option<PathBuf> {
        match &self.database {
            None => Some(self.dir().join("keys")),
            Some(_) => {
                use sha2::{Digest, Sha256};
                let digest = Sha256::digest(self.describe().as_bytes());
                let tag: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
                Some(
                    PathBuf::from(std::env::var_os("HOME")?)
                        .join(".knop/keys")
                        .join(tag),
                )
            }
        }
    }

    /// The operator key file: `--operator-key`, else `DIR/operator.key` for the embedded store,
    /// else `operator.key` in [`Location::key_dir`].
    pub fn operator_key_path(&self) -> Option<PathBuf> {
        match (&self.operator_key, &self.database) {
            (Some(k), _) => Some(k.clone()),
            (None, None) => Some(self.dir().join("operator.key")),
            (None, Some(_)) => Some(self.key_dir()?.join("operator.key")),
        }
    }

    /// Describes the location for messages.
    pub fn describe(&self) -> String {
        match &self.database {
            Some(url) => format!("PostgreSQL {}", url.split('@').next_back().unwrap_or(url)),
            None => format!("directory {}", self.dir().display()),
        }
    }

    /// Creates a new, empty store.
    pub fn create(&self, meta: Meta) -> Result<Box<dyn Store>> {
        Ok(match &self.database {
            Some(url) => Box::new(PgStore::create(url, meta)?),
            None => Box::new(FileStore::create(&self.dir(), meta)?),
        })
    }

    /// Opens the existing store for writing (one writer at a time for the embedded store).
    pub fn open_store(&self) -> Result<Box<dyn Store>> {
        Ok(match &self.database {
            Some(url) => Box::new(PgStore::open(url)?),
            None => {
                let store = FileStore::open(&self.dir())?;
                if store.recovered_tail_bytes > 0 {
                    // A crash during a write left part of an entry: it was never acknowledged,
                    // and is cut off. Said, so that an operator knows why the log is shorter
                    // than a half-written file.
                    eprintln!(
                        "knop: {}: {} {} {}",
                        self.dir().display(),
                        t("onvolledig laatste stuk van", "a torn tail of"),
                        store.recovered_tail_bytes,
                        t(
                            "bytes afgesneden (een schrijfactie die bij een crash niet af was; nooit bevestigd)",
                            "bytes cut off (a write a crash left unfinished; never acknowledged)"
                        )
                    );
                }
                Box::new(store)
            }
        })
    }

    /// Opens the existing store for reading, beside a writer that may be running.
    pub fn open_store_read_only(&self) -> Result<Box<dyn Store>> {
        Ok(match &self.database {
            Some(url) => Box::new(PgStore::open(url)?),
            None => Box::new(FileStore::open_read_only(&self.dir())?),
        })
    }

    /// Opens a node that can write (needs the operator key).
    pub fn open_writer(&self) -> Result<Node> {
        let key = self.read_operator_key()?;
        Ok(Node::open(self.open_store()?, Some(key), os_salts())?)
    }

    /// Opens a node for reading only.
    pub fn open_reader(&self) -> Result<Node> {
        Ok(Node::open(self.open_store_read_only()?, None, os_salts())?)
    }

    /// Reads the operator's private key.
    pub fn read_operator_key(&self) -> Result<NoteKey> {
        let Some(path) = self.operator_key_path() else {
            bail!(
                "no operator key: give --operator-key FILE (or KNOP_OPERATOR_KEY); HOME is not set"
            );
        };
        read_key(&path)
    }
}

/// Reads a signed-note private key file.
pub fn read_key(path: &Path) -> Result<NoteKey> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading key file {}", path.display()))?;
    NoteKey::parse(&text).with_context(|| format!("key file {}", path.display()))
}

/// Writes a private key file readable only by its owner; refuses to overwrite.
pub fn write_key(path: &Path, key: &NoteKey) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| {
            format!(
                "creating key file {} (it must not exist yet)",
                path.display()
            )
        })?;
    writeln!(f, "{}", key.to_private_string())?;
    f.sync_all()?;
    Ok(())
}

/// A new key named `name` from the operating system's random generator.
pub fn new_key(name: &str) -> Result<NoteKey> {
    Ok(NoteKey::from_seed(name, &rand::random())?)
}
