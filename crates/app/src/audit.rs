//! The auditor's check of the ledger a service runs on: the whole log replayed from its first
//! entry (every signature, every checkpoint, every erasure authorised), and the result compared
//! with what the service holds now. The same replay as `knop log verify` and opening a node
//! (`knop_node::replay`); here it answers the administrator's "Nu controleren".

use knop_node::replay::{replay, Checkpoints};
use knop_node::{Node, NodeError};
use serde::Serialize;

/// What a check of the ledger found.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditReport {
    /// Entries in the log.
    pub entries: u64,
    /// Book events (accounts and transfers) replayed.
    pub events: u64,
    /// Stored checkpoints checked against the tree.
    pub checkpoints: usize,
    /// Entries whose content was erased (AVG) by a signed erasure.
    pub erased: usize,
    /// The Merkle root of the whole log, hex.
    pub root: String,
    /// The digest of the state the replay gave, hex.
    pub state_digest: String,
    /// Whether the replay gave exactly the state and root the service works with.
    pub matches_service: bool,
    /// Households with money reserved that no payment run holds (should be none).
    pub unowned_reservations: usize,
}

/// Why the ledger did not pass the check.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// Occurs when the log does not replay: a bad signature, a broken chain, a checkpoint that
    /// does not match, an erasure nobody signed. Names the first bad entry.
    #[error("entry {index}: {why}")]
    Broken {
        /// The first bad log index.
        index: u64,
        /// What is wrong there.
        why: String,
    },
    /// Occurs when the store cannot be read.
    #[error(transparent)]
    Node(#[from] NodeError),
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Replays `node`'s whole log with every stored checkpoint and compares the result with the
/// node's state and tree. Holds the node for the replay (writes wait).
pub fn check(node: &mut Node) -> Result<AuditReport, AuditError> {
    let live_digest = node.state().digest();
    let size = node.size();
    let live_root = node.root(size).ok();
    let r = replay(node.store_mut()?, Checkpoints::All, &mut |_, _| {}).map_err(|e| {
        AuditError::Broken {
            index: e.index,
            why: e.why,
        }
    })?;
    let root = r.tree.root(size).ok();
    let digest = r.state.digest();
    Ok(AuditReport {
        entries: size,
        events: r.events,
        checkpoints: r.checkpoints,
        erased: r.state.erased().len(),
        root: root.map(|h| hex(&h.0)).unwrap_or_default(),
        state_digest: hex(&digest),
        matches_service: digest == live_digest && root.is_some() && root == live_root,
        unowned_reservations: crate::payrun::unowned_reservations(&r.state).len(),
    })
}
