//! A knop ledger node: the one writer of a log.
//!
//! [`Node`] ties the pure crates (ledger, state) to a [`Store`]: it checks each submitted entry
//! against the state, draws its salt, makes it durable, extends the tree and signs a checkpoint.
//! It also answers proofs and runs the auditor's replay ([`replay`]).
//!
//! ## Commit path, step by step (crash safety)
//! 1. Each entry of a submission is applied to the in-memory state, all or nothing per entry;
//!    rejected entries are answered and left out. Nothing is written yet.
//! 2. The accepted entries get fresh random salts and their leaves, and are appended to the store
//!    in one call. The store makes them durable before returning (group commit).
//! 3. If the store fails, the in-memory state is ahead of (or equal to) what is durable: the node
//!    refuses further work ([`NodeError::NeedsRecovery`]) until reopened, which replays exactly
//!    the durable entries. A client that retries after an error is safe: ids are idempotent.
//! 4. Only then are the leaves added to the tree and a checkpoint signed for the new size and
//!    stored; a checkpoint therefore never covers an entry that is not durable.
//! 5. Only then does the submission return `Ok`.
//!
//! [`Node::submit_verified_pipelined`] runs step 2 of one submission (the leaves' hashing too)
//! on a thread of its own while the caller goes on (a batch job books the next file while this
//! one is written): the submission's answers come back after step 1, and steps 3 and 4 happen
//! when the next call that touches the store (or [`Node::sync`]) settles it; its entries are
//! durable and checkpointed once that call returns `Ok`. A failed write is that call's error,
//! with the node then refusing work as in step 3. A job acknowledges its work only after
//! [`Node::sync`].

#![warn(missing_docs)]

pub mod proof;
pub mod replay;

use knop_ledger::entry::SignedEntry;
use knop_ledger::leaf::{leaf_data, Salt};
use knop_ledger::merkle::{ProofError, Tree};
use knop_ledger::note::{sign_checkpoint, NoteError, NoteKey};
use knop_ledger::Hash;
use knop_state::{Command, OrgKind, Outcome, State, StateError, Verified};
use knop_store::{Meta, Record, Store, StoreError};

pub use replay::{replay, Checkpoints, Replayed, VerifyError};

/// Occurs when the node cannot do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// Occurs when the store fails; see the store error.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// Occurs when a store write failed earlier: the node must be reopened to recover.
    #[error("an earlier write failed; reopen the ledger to recover to the last durable entry")]
    NeedsRecovery,
    /// Occurs when the stored log does not verify on open.
    #[error("the stored log does not verify: {0}")]
    Damaged(#[from] VerifyError),
    /// Occurs when a key does not fit the log.
    #[error("key: {0}")]
    Key(#[from] NoteError),
    /// Occurs when the operator key given is not the log's operator key.
    #[error("the operator key given is not this log's operator key ({0})")]
    WrongOperatorKey(String),
    /// Occurs when an operation needs the operator key and none was given.
    #[error("this needs the operator's private key")]
    NoOperatorKey,
    /// Occurs when a proof is asked for sizes or indexes outside the log.
    #[error(transparent)]
    Proof(#[from] ProofError),
    /// Occurs when the genesis entry is refused.
    #[error("genesis: {0}")]
    Genesis(StateError),
    /// Occurs when an erasure is asked for without a signed erasure entry.
    #[error(
        "index {0} has no signed erasure entry; submit one (knop_state::Command::Erase) first"
    )]
    ErasureNotAuthorised(u64),
}

/// Draws per-entry salts. Real nodes use the operating system's generator; simulations pass a
/// seeded one.
pub type SaltSource = Box<dyn FnMut() -> Salt + Send>;

/// The operating system's random generator as a salt source.
pub fn os_salts() -> SaltSource {
    Box::new(rand::random)
}

/// A ledger node over one store. See the crate docs for the commit path.
pub struct Node {
    /// `None` while an append is in flight (`writing`), or after its thread was lost.
    store: Option<Box<dyn Store>>,
    /// The store's fixed facts, kept here so they can be read while an append is in flight.
    meta: Meta,
    /// The append in flight, if any: its thread hands the store back with the leaves written.
    writing: Option<std::thread::JoinHandle<Written>>,
    state: State,
    tree: Tree,
    operator: Option<NoteKey>,
    salts: SaltSource,
    failed: bool,
}

impl Node {
    /// Starts a new log in an empty store: the genesis entry registers the operator, signed by
    /// the operator's key, at `timestamp_ms`.
    pub fn init(
        store: Box<dyn Store>,
        operator: NoteKey,
        timestamp_ms: u64,
        salts: SaltSource,
    ) -> Result<Self, NodeError> {
        if !store.is_empty() {
            return Err(StoreError::Exists("this store".into()).into());
        }
        check_operator(store.meta(), &operator)?;
        let name = knop_ledger::entry::OrgName::parse(operator.key_name())
            .map_err(|e| NodeError::Genesis(StateError::Signature(e)))?;
        let genesis = Command::RegisterOrg {
            name: name.clone(),
            kind: OrgKind::Operator,
            key: operator.public_key().to_bytes(),
        };
        let entry = SignedEntry::sign(name, timestamp_ms, genesis.encode(), operator.signing_key());
        let mut node = Self {
            meta: store.meta().clone(),
            store: Some(store),
            writing: None,
            state: State::new(),
            tree: Tree::new(),
            operator: Some(operator),
            salts,
            failed: false,
        };
        let result = node.submit(&[entry])?.remove(0);
        result.map_err(NodeError::Genesis)?;
        Ok(node)
    }

    /// Opens a log: replays and checks it (see [`replay`]), and signs a checkpoint if the
    /// latest stored one is older than the durable entries (a crash between steps 2 and 4).
    pub fn open(
        mut store: Box<dyn Store>,
        operator: Option<NoteKey>,
        salts: SaltSource,
    ) -> Result<Self, NodeError> {
        if let Some(op) = &operator {
            check_operator(store.meta(), op)?;
        }
        let Replayed { state, tree, .. } = replay(
            store.as_mut(),
            crate::replay::Checkpoints::Latest,
            &mut |_, _| {},
        )?;
        let mut node = Self {
            meta: store.meta().clone(),
            store: Some(store),
            writing: None,
            state,
            tree,
            operator,
            salts,
            failed: false,
        };
        let latest = node
            .store()?
            .latest_checkpoint()?
            .map_or(0, |(size, _)| size);
        if latest < node.tree.size() && node.operator.is_some() {
            node.sign_checkpoint()?;
        }
        Ok(node)
    }

    /// The state (a fold of the durable log, and of a pipelined submission whose append is in
    /// flight).
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The log's fixed facts.
    pub fn meta(&self) -> &Meta {
        &self.meta
    }

    /// Whether an earlier write failed: the node refuses work until reopened (see
    /// [`NodeError::NeedsRecovery`]).
    pub fn needs_recovery(&self) -> bool {
        self.failed || (self.store.is_none() && self.writing.is_none())
    }

    /// Lets go of the store (waiting for an append in flight first), so that it can be opened
    /// again; the node refuses work from now on.
    pub fn close(&mut self) {
        if let Some(w) = self.writing.take() {
            let _ = w.join();
        }
        self.store = None;
        self.failed = true;
    }

    /// Number of entries (durable: without a pipelined submission's entries until it is
    /// settled by the next call that touches the store).
    pub fn size(&self) -> u64 {
        self.tree.size()
    }

    /// The store, for reads (export), once any append in flight is durable.
    pub fn store_mut(&mut self) -> Result<&mut dyn Store, NodeError> {
        self.store()
    }

    /// The store, once any append in flight is settled (see [`Node::sync`]).
    fn store(&mut self) -> Result<&mut dyn Store, NodeError> {
        self.sync()?;
        match self.store.as_deref_mut() {
            Some(store) => Ok(store),
            None => Err(NodeError::NeedsRecovery),
        }
    }

    /// Waits for the append in flight (see [`Node::submit_verified_pipelined`]), then adds its
    /// leaves to the tree and signs a checkpoint for them. `Ok` means every entry accepted so far
    /// is durable and checkpointed; `Err`, that the write failed (the node then needs recovery).
    pub fn sync(&mut self) -> Result<(), NodeError> {
        let Some(writing) = self.writing.take() else {
            return Ok(());
        };
        let Ok(Written {
            store,
            leaves,
            result,
        }) = writing.join()
        else {
            // The thread and the store with it are gone.
            self.failed = true;
            return Err(NodeError::NeedsRecovery);
        };
        self.store = Some(store);
        self.written(&leaves, result)
    }

    /// Steps 3 and 4 after an append: on failure the node refuses work from now on; on success
    /// the leaves go into the tree and a checkpoint is signed for them.
    fn written(
        &mut self,
        leaves: &[[u8; 32]],
        result: Result<(), StoreError>,
    ) -> Result<(), NodeError> {
        if let Err(e) = result {
            self.failed = true;
            return Err(e.into());
        }
        for leaf in leaves {
            self.tree.push(leaf);
        }
        if let Err(e) = self.sign_checkpoint() {
            self.failed = true;
            return Err(e);
        }
        Ok(())
    }

    /// Submits entries as one group commit. Returns one result per entry: accepted entries are
    /// durable and covered by a signed checkpoint when this returns `Ok`; rejected ones changed
    /// nothing. `Err` means the store failed: see [`NodeError::NeedsRecovery`].
    pub fn submit(
        &mut self,
        entries: &[SignedEntry],
    ) -> Result<Vec<Result<Outcome, StateError>>, NodeError> {
        self.apply_each(entries, false, |state, entry| (state.apply(entry), entry))
    }

    /// [`Node::submit`] for entries whose signatures were checked ahead, on other threads (see
    /// [`Verified`]): a signature is checked again here only if its key is no longer the
    /// signer's registered key.
    pub fn submit_verified(
        &mut self,
        entries: &[Verified],
    ) -> Result<Vec<Result<Outcome, StateError>>, NodeError> {
        self.apply_each(entries, false, |state, v| {
            (state.apply_verified(v), v.entry())
        })
    }

    /// [`Node::submit_verified`] without waiting for the store: the entries are applied and the
    /// state's answers returned, while their append (salted leaves hashed, written, made durable)
    /// runs on a thread of its own. It is settled by the next call that touches the store, or
    /// by [`Node::sync`]; until then [`Node::size`] and the tree do not count these entries, and
    /// a failed write is that later call's error. A batch job overlaps writing one batch with
    /// booking the next this way, and acknowledges its work after [`Node::sync`].
    pub fn submit_verified_pipelined(
        &mut self,
        entries: &[Verified],
    ) -> Result<Vec<Result<Outcome, StateError>>, NodeError> {
        self.apply_each(entries, true, |state, v| {
            (state.apply_verified(v), v.entry())
        })
    }

    /// Steps 1 and 2: applies each entry, then waits for any earlier append and appends these:
    /// on a thread of its own if `pipelined` (settled later, see [`Node::sync`]), else here,
    /// with steps 3 and 4 after it.
    fn apply_each<'e, T>(
        &mut self,
        entries: &'e [T],
        pipelined: bool,
        apply: impl Fn(&mut State, &'e T) -> (Result<Outcome, StateError>, &'e SignedEntry),
    ) -> Result<Vec<Result<Outcome, StateError>>, NodeError> {
        if self.failed {
            return Err(NodeError::NeedsRecovery);
        }
        // An earlier pipelined append that turns out to have failed (found below, when it is
        // settled) leaves this submission applied in memory only; the node then refuses work
        // and reopening replays exactly what is durable.
        let mut results = Vec::with_capacity(entries.len());
        let mut accepted = Vec::with_capacity(entries.len());
        for item in entries {
            let (result, entry) = apply(&mut self.state, item);
            if result.is_ok() {
                accepted.push((entry.encode(), (self.salts)()));
            }
            results.push(result);
        }
        if accepted.is_empty() {
            return Ok(results);
        }
        self.store()?;
        let first = self.tree.size();
        if !pipelined {
            let store = self.store.as_deref_mut().ok_or(NodeError::NeedsRecovery)?;
            let (leaves, result) = write(store, first, accepted);
            self.written(&leaves, result)?;
            return Ok(results);
        }
        let mut store = self.store.take().ok_or(NodeError::NeedsRecovery)?;
        let spawned = std::thread::Builder::new()
            .name("knop-append".into())
            .spawn(move || {
                let (leaves, result) = write(store.as_mut(), first, accepted);
                Written {
                    store,
                    leaves,
                    result,
                }
            });
        match spawned {
            Ok(handle) => self.writing = Some(handle),
            Err(e) => {
                // The closure, and the store in it, is gone with the failed spawn.
                self.failed = true;
                return Err(StoreError::Io {
                    path: "(the append's thread)".into(),
                    source: e,
                }
                .into());
            }
        }
        Ok(results)
    }

    fn sign_checkpoint(&mut self) -> Result<(), NodeError> {
        let key = self.operator.as_ref().ok_or(NodeError::NoOperatorKey)?;
        let size = self.tree.size();
        let root = self.tree.root(size)?;
        let note = sign_checkpoint(key, &self.meta.origin, size, &root)?;
        match self.store.as_deref_mut() {
            Some(store) => store.put_checkpoint(size, &note)?,
            None => return Err(NodeError::NeedsRecovery),
        }
        Ok(())
    }

    /// The latest signed checkpoint note.
    pub fn checkpoint(&mut self) -> Result<Option<(u64, String)>, NodeError> {
        Ok(self.store()?.latest_checkpoint()?)
    }

    /// The root of the tree of the first `size` entries.
    pub fn root(&self, size: u64) -> Result<Hash, NodeError> {
        Ok(self.tree.root(size)?)
    }

    /// The tree (for proofs and leaf hashes).
    pub fn tree(&self) -> &Tree {
        &self.tree
    }

    /// Deletes the salt and content of an attachment whose erasure a signed entry authorised.
    pub fn erase(&mut self, index: u64) -> Result<(), NodeError> {
        if self.failed {
            return Err(NodeError::NeedsRecovery);
        }
        if !self.state.erased().contains(&index) {
            return Err(NodeError::ErasureNotAuthorised(index));
        }
        if let Err(e) = self.store()?.erase(index) {
            self.failed = true;
            return Err(e.into());
        }
        Ok(())
    }
}

impl Drop for Node {
    /// An append in flight is waited for: entries accepted are written before the node goes.
    fn drop(&mut self) {
        let _ = self.sync();
    }
}

/// What an append's thread hands back: the store, the leaves it wrote, and how it went.
struct Written {
    store: Box<dyn Store>,
    leaves: Vec<[u8; 32]>,
    result: Result<(), StoreError>,
}

/// The leaves of `accepted` (entry bytes with their salts), indexed from `first`, appended to
/// `store`: the step-2 work that needs no state, so it can run beside the next submission.
/// Returns the leaves written and how the append went.
fn write(
    store: &mut dyn Store,
    first: u64,
    accepted: Vec<(Vec<u8>, Salt)>,
) -> (Vec<[u8; 32]>, Result<(), StoreError>) {
    let records: Vec<Record> = accepted
        .into_iter()
        .zip(first..)
        .map(|((bytes, salt), index)| Record {
            index,
            leaf: leaf_data(&salt, &bytes),
            salt: Some(salt),
            entry: Some(bytes),
        })
        .collect();
    let leaves = records.iter().map(|r| r.leaf).collect();
    (leaves, store.append(&records))
}

fn check_operator(meta: &Meta, key: &NoteKey) -> Result<(), NodeError> {
    if key.key_name() != meta.origin || key.verifier_key() != meta.operator_vkey {
        return Err(NodeError::WrongOperatorKey(meta.operator_vkey.clone()));
    }
    Ok(())
}
