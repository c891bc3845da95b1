//! Where knop's log lives.
//!
//! One small trait, [`Store`], with a written contract, and two implementations: [`FileStore`]
//! (embedded, the default: one local directory, no server) and [`PgStore`] (PostgreSQL, for
//! scale and replicas). [`Faulty`] wraps either to inject failures in tests.
//!
//! The store holds, per log index, the leaf data (kept forever), and the salt and entry bytes
//! (kept until an authorised erasure deletes them); and the signed checkpoints. It does not
//! interpret any of it: hashing, signatures and state live in the crates above.
//!
//! ## Contract
//! - [`Store::append`]: when it returns `Ok`, every record is durable (survives power loss) and
//!   readable, at the indexes `len()..len()+n`, in order. When it returns `Err`, any prefix of the
//!   records (none, some, all) may be durable: the caller must drop its in-memory view and reopen
//!   the store, which recovers to the last durable record.
//! - [`Store::put_checkpoint`] is only called for sizes whose entries are durable. The checkpoint
//!   itself need not be durable on return (the file store does not sync it): a checkpoint lost in
//!   a crash is signed again on recovery from the durable entries, and is identical (Ed25519
//!   signatures are deterministic).
//! - [`Store::erase`]: when it returns `Ok`, the salt and entry of that index are gone from the
//!   store for good; the leaf stays.
//! - Nothing is ever changed in place except by `erase`.

#![warn(missing_docs)]

mod crash;
mod faulty;
mod file;
mod pg;
mod pg_tls;

pub use faulty::{Fault, FaultPlan, Faulty};
pub use file::FileStore;
pub use pg::PgStore;

/// The largest entry the stores accept, in bytes (the ledger's entry limit plus headers).
pub const ENTRY_BYTES_MAX: usize = 16 * 1024 * 1024 + 1024;

/// One log position as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Log index, from 0.
    pub index: u64,
    /// The leaf data committed in the Merkle tree.
    pub leaf: [u8; 32],
    /// The salt; `None` once erased.
    pub salt: Option<[u8; 32]>,
    /// The signed entry bytes; `None` once erased.
    pub entry: Option<Vec<u8>>,
}

/// Facts about the log fixed at creation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    /// The checkpoint origin line (and operator key name), e.g. `knop.example/ledger`.
    pub origin: String,
    /// The operator's signed-note verifier key.
    pub operator_vkey: String,
}

/// Occurs when the store cannot do what was asked, or finds its data damaged.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Occurs on an operating-system I/O failure.
    #[error("{path}: {source}")]
    Io {
        /// The file involved.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Occurs on a PostgreSQL failure.
    #[error("PostgreSQL: {0}")]
    Postgres(#[from] postgres::Error),
    /// Occurs when stored data fails its own checks (checksum, framing, numbering).
    #[error("log index {index}: stored record is damaged: {why}")]
    Corrupt {
        /// The first damaged index.
        index: u64,
        /// What is wrong.
        why: String,
    },
    /// Occurs when a stored checkpoint record is damaged.
    #[error("checkpoint record {position}: damaged: {why}")]
    CorruptCheckpoint {
        /// Position of the checkpoint record (0 = first stored).
        position: u64,
        /// What is wrong.
        why: String,
    },
    /// Occurs when another process (or handle) is writing to the log.
    #[error("another knop process is writing to {0}; stop it first, or only read")]
    Locked(String),
    /// Occurs when creating a log where one exists.
    #[error("a knop log already exists at {0}")]
    Exists(String),
    /// Occurs when opening a log where none exists.
    #[error("no knop log at {0}: run `knop init` first")]
    NotFound(String),
    /// Occurs when the PostgreSQL URL's TLS settings cannot be followed (an unknown `sslmode`,
    /// a root certificate file that cannot be read).
    #[error("PostgreSQL TLS: {0}")]
    Tls(String),
    /// Occurs when a caller breaks the contract (append out of order, read beyond the end).
    #[error("{0}")]
    Misuse(String),
    /// Occurs when a fault is injected by [`Faulty`].
    #[error("injected fault: {0}")]
    Injected(&'static str),
}

/// The storage contract; see the crate docs.
pub trait Store: Send {
    /// The log's fixed facts.
    fn meta(&self) -> &Meta;
    /// Number of records (durable).
    fn len(&self) -> u64;
    /// Whether the log has no records.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Appends records at `len()..`; durable when it returns `Ok`.
    fn append(&mut self, records: &[Record]) -> Result<(), StoreError>;
    /// Records `from..to` (`to` at most `len()`), in order.
    fn read(&mut self, from: u64, to: u64) -> Result<Vec<Record>, StoreError>;
    /// Deletes the salt and entry of `index` for good.
    fn erase(&mut self, index: u64) -> Result<(), StoreError>;
    /// Stores a signed checkpoint note for tree size `size`.
    fn put_checkpoint(&mut self, size: u64, note: &str) -> Result<(), StoreError>;
    /// Every stored checkpoint (size, note), oldest first.
    fn checkpoints(&mut self) -> Result<Vec<(u64, String)>, StoreError>;
    /// The newest checkpoint.
    fn latest_checkpoint(&mut self) -> Result<Option<(u64, String)>, StoreError>;
    /// Bytes the log occupies (for benchmarks).
    fn bytes_used(&mut self) -> Result<u64, StoreError>;
}

pub(crate) fn check_append(len: u64, records: &[Record]) -> Result<(), StoreError> {
    for (i, r) in records.iter().enumerate() {
        if r.index != len + i as u64 {
            return Err(StoreError::Misuse(format!(
                "append at index {} but the log has {} records",
                r.index,
                len + i as u64
            )));
        }
        if r.entry.as_ref().is_some_and(|e| e.len() > ENTRY_BYTES_MAX) {
            return Err(StoreError::Misuse(format!(
                "entry {} is over {ENTRY_BYTES_MAX} bytes",
                r.index
            )));
        }
    }
    Ok(())
}

pub(crate) fn check_range(len: u64, from: u64, to: u64) -> Result<(), StoreError> {
    if from > to || to > len {
        return Err(StoreError::Misuse(format!(
            "range {from}..{to} is not within the log's {len} records"
        )));
    }
    Ok(())
}

/// A boxed store is a store (so wrappers such as [`Faulty`] can wrap either implementation).
impl Store for Box<dyn Store> {
    fn meta(&self) -> &Meta {
        (**self).meta()
    }
    fn len(&self) -> u64 {
        (**self).len()
    }
    fn append(&mut self, records: &[Record]) -> Result<(), StoreError> {
        (**self).append(records)
    }
    fn read(&mut self, from: u64, to: u64) -> Result<Vec<Record>, StoreError> {
        (**self).read(from, to)
    }
    fn erase(&mut self, index: u64) -> Result<(), StoreError> {
        (**self).erase(index)
    }
    fn put_checkpoint(&mut self, size: u64, note: &str) -> Result<(), StoreError> {
        (**self).put_checkpoint(size, note)
    }
    fn checkpoints(&mut self) -> Result<Vec<(u64, String)>, StoreError> {
        (**self).checkpoints()
    }
    fn latest_checkpoint(&mut self) -> Result<Option<(u64, String)>, StoreError> {
        (**self).latest_checkpoint()
    }
    fn bytes_used(&mut self) -> Result<u64, StoreError> {
        (**self).bytes_used()
    }
}
