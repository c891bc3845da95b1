//! Replay: rebuild tree and state from the store, checking everything on the way.
//!
//! Used when a node opens (recovery) and by `knop log verify` (the auditor's full check). For
//! every index in order: the leaf must equal the salted hash of the stored salt and entry; the
//! entry must decode and its signature verify under the key the log registered for its signer;
//! the state machine must accept it. An entry whose salt and content are gone is accepted only
//! when a signed erasure entry, anywhere later in the log, authorises it. Then every stored
//! checkpoint must carry the operator's valid signature and the root of the tree at its size, and
//! none may cover more entries than are stored.

use knop_ledger::entry::SignedEntry;
use knop_ledger::leaf::leaf_data;
use knop_ledger::merkle::Tree;
use knop_ledger::note::verify_checkpoint;
use knop_ledger::Hash;
use knop_state::{State, Verified};
use knop_store::{Record, Store, StoreError};

/// Records read from the store per step: few enough that a chunk of large batch entries stays
/// in the CPU caches' reach (64 entries of 1000 transfers are about 6 MB), enough to keep the
/// number of reads low for small entries.
pub const REPLAY_CHUNK: u64 = 64;

/// The first problem replay found, with the index it concerns.
#[derive(Debug, thiserror::Error)]
#[error("index {index}: {why}")]
pub struct VerifyError {
    /// The first bad log index.
    pub index: u64,
    /// What is wrong there.
    pub why: String,
}

/// What a successful replay rebuilt.
#[derive(Debug)]
pub struct Replayed {
    /// The state after the last entry.
    pub state: State,
    /// The Merkle tree over all leaves.
    pub tree: Tree,
    /// Book events (accounts and transfers) replayed.
    pub events: u64,
    /// Stored checkpoints checked.
    pub checkpoints: usize,
}

fn bad(index: u64, why: impl Into<String>) -> VerifyError {
    VerifyError {
        index,
        why: why.into(),
    }
}

fn from_store(e: StoreError, at: u64) -> VerifyError {
    match e {
        StoreError::Corrupt { index, why } => bad(index, why),
        other => bad(at, other.to_string()),
    }
}

/// A record checked as far as it can be without the state: leaf recomputed, entry decoded, and
/// its signature checked under the key its signer had when the chunk began (if any).
enum Prepared {
    /// Its signature checked under that key; the state checks again only if the signer's key
    /// has changed since.
    Verified(Verified),
    /// Not checked yet (the signer had no key when the chunk began, or another one): the state
    /// checks it as it is applied.
    Unchecked(SignedEntry),
    /// Its content and salt were erased.
    Erased,
}

fn prepare_one(r: &Record, keys: &State) -> Result<Prepared, String> {
    match (&r.salt, &r.entry) {
        (Some(salt), Some(bytes)) => {
            if leaf_data(salt, bytes) != r.leaf {
                return Err("leaf does not match the stored salt and entry".into());
            }
            let entry = SignedEntry::decode(bytes).map_err(|e| e.to_string())?;
            Ok(match keys.org_key(&entry.signer).copied() {
                Some(key) => match Verified::check_or_return(entry, key) {
                    Ok(verified) => Prepared::Verified(verified),
                    Err(refused) => Prepared::Unchecked(refused.0),
                },
                None => Prepared::Unchecked(entry),
            })
        }
        (None, None) => Ok(Prepared::Erased),
        _ => Err("only one of salt and entry is stored".into()),
    }
}

/// Prepares a chunk on all cores: hashing and signature checks are most of replay's work and
/// need no state beyond the keys registered so far. The state machine then applies in order.
fn prepare(records: &[Record], keys: &State) -> Vec<Result<Prepared, String>> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    if threads == 1 || records.len() < 2 {
        return records.iter().map(|r| prepare_one(r, keys)).collect();
    }
    let per = records.len().div_ceil(threads);
    std::thread::scope(|s| {
        let parts: Vec<_> = records
            .chunks(per)
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .map(|r| prepare_one(r, keys))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        parts
            .into_iter()
            .flat_map(|h| h.join().expect("replay worker panicked"))
            .collect()
    })
}

/// Which stored checkpoints a replay checks against the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checkpoints {
    /// Only the latest (opening a node).
    Latest,
    /// Every one (the auditor's full verification).
    All,
}

/// Replays the whole log, checking the stored checkpoints as `checkpoints` says. `progress` is
/// called after each chunk with the entries done.
pub fn replay(
    store: &mut dyn Store,
    checkpoints: Checkpoints,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Replayed, VerifyError> {
    let len = store.len();
    let (mut state, mut tree, mut events) = (State::new(), Tree::new(), 0u64);
    let mut missing = Vec::new();
    let mut from = 0;
    while from < len {
        let to = (from + REPLAY_CHUNK).min(len);
        let records = store.read(from, to).map_err(|e| from_store(e, from))?;
        let prepared = prepare(&records, &state);
        for (r, p) in records.iter().zip(prepared) {
            let index = r.index;
            let p = p.map_err(|why| bad(index, why))?;
            // A failed entry ends the replay, so its leaf may go into the tree first.
            tree.push(&r.leaf);
            let outcome = match p {
                Prepared::Verified(verified) => state.apply_verified(&verified),
                Prepared::Unchecked(entry) => state.apply(&entry),
                Prepared::Erased => {
                    missing.push(index);
                    state.skip_erased(index);
                    continue;
                }
            }
            .map_err(|e| bad(index, e.to_string()))?;
            events += (outcome.created + outcome.existing) as u64;
        }
        progress(to, len);
        from = to;
    }
    if let Some(&index) = missing.iter().find(|i| !state.erased().contains(i)) {
        return Err(bad(
            index,
            "entry and salt are missing, and no signed erasure entry authorises it",
        ));
    }
    check_genesis_key(store, &state)?;
    let checkpoints = check_checkpoints(store, &tree, checkpoints)?;
    Ok(Replayed {
        state,
        tree,
        events,
        checkpoints,
    })
}

/// The operator key in the store's metadata must be the one the genesis entry registered.
fn check_genesis_key(store: &dyn Store, state: &State) -> Result<(), VerifyError> {
    let meta = store.meta();
    let Some(op) = state.operator() else {
        return if store.is_empty() {
            Ok(())
        } else {
            Err(bad(0, "no operator registered"))
        };
    };
    let key = state.orgs()[op].key;
    let want = signed_note::new_ed25519_verifier_key(&meta.origin, &key);
    if want != meta.operator_vkey {
        return Err(bad(
            0,
            format!(
                "the stored operator key {} is not the key the genesis entry registered ({want})",
                meta.operator_vkey
            ),
        ));
    }
    Ok(())
}

fn check_checkpoints(
    store: &mut dyn Store,
    tree: &Tree,
    which: Checkpoints,
) -> Result<usize, VerifyError> {
    let len = tree.size();
    let list = if which == Checkpoints::All {
        store
            .checkpoints()
            .map_err(|e| checkpoint_store_error(e, len))?
    } else {
        store
            .latest_checkpoint()
            .map_err(|e| checkpoint_store_error(e, len))?
            .into_iter()
            .collect()
    };
    let meta = store.meta().clone();
    let mut good_up_to = 0u64;
    for (size, note) in &list {
        let size = *size;
        if size > len {
            return Err(bad(
                len,
                format!("a checkpoint covers {size} entries but only {len} are stored"),
            ));
        }
        let cp = verify_checkpoint(note.as_bytes(), &meta.operator_vkey, &meta.origin, &[])
            .map_err(|e| {
                bad(
                    size.saturating_sub(1),
                    format!("checkpoint of size {size}: {e}"),
                )
            })?;
        let root: Hash = tree.root(size).expect("size checked");
        if cp.size != size || cp.root != root {
            return Err(bad(
                good_up_to,
                format!("checkpoint of size {size} signs another tree than the stored leaves {good_up_to}..{size} give"),
            ));
        }
        good_up_to = good_up_to.max(size);
    }
    Ok(list.len())
}

fn checkpoint_store_error(e: StoreError, len: u64) -> VerifyError {
    match e {
        StoreError::CorruptCheckpoint { position, why } => bad(
            len,
            format!("stored checkpoint {position} is damaged: {why}"),
        ),
        other => bad(len, other.to_string()),
    }
}
