//! Proofs as JSON: one shape for `knop log prove`, `knop log verify-proof` and the HTTP API,
//! so that an auditor's tool reads what any of them produces.

use base64::prelude::{Engine as _, BASE64_STANDARD};
use knop_ledger::Hash;
use serde::{Deserialize, Serialize};

use crate::{Node, NodeError};

/// A proof as JSON. Hashes are standard base64 of 32 bytes.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ProofJson {
    /// RFC 9162 inclusion proof.
    Inclusion {
        /// Leaf index.
        index: u64,
        /// Tree size.
        tree_size: u64,
        /// Leaf data (hex), as in `knop log export`: salt and entry committed to by the leaf.
        /// Absent where the reader may not see entries.
        leaf: Option<String>,
        /// RFC 9162 leaf hash (base64).
        leaf_hash: String,
        /// Root of the tree of `tree_size` (base64).
        root: String,
        /// Proof hashes (base64), bottom up.
        proof: Vec<String>,
    },
    /// RFC 9162 consistency proof.
    Consistency {
        /// Older size.
        size1: u64,
        /// Newer size.
        size2: u64,
        /// Root of the older tree (base64).
        root1: String,
        /// Root of the newer tree (base64).
        root2: String,
        /// Proof hashes (base64).
        proof: Vec<String>,
    },
}

/// Standard base64 of a hash.
pub fn b64(h: &Hash) -> String {
    BASE64_STANDARD.encode(h.0)
}

impl Node {
    /// The inclusion proof of leaf `index` in the tree of `size` entries (default: all). With
    /// `with_leaf`, the leaf data (salt and entry) is read from the store and included.
    pub fn inclusion_proof(
        &mut self,
        index: u64,
        size: Option<u64>,
        with_leaf: bool,
    ) -> Result<ProofJson, NodeError> {
        let size = size.unwrap_or(self.size());
        let proof = self.tree().prove_inclusion(index, size)?;
        let leaf = if with_leaf {
            self.store_mut()?
                .read(index, index + 1)?
                .pop()
                .map(|r| hex::encode(r.leaf))
        } else {
            None
        };
        Ok(ProofJson::Inclusion {
            index,
            tree_size: size,
            leaf,
            leaf_hash: b64(&self.tree().leaf_hash(index)?),
            root: b64(&self.root(size)?),
            proof: proof.iter().map(b64).collect(),
        })
    }

    /// The consistency proof between the trees of `from` and `to` entries.
    pub fn consistency_proof(&self, from: u64, to: u64) -> Result<ProofJson, NodeError> {
        let proof = self.tree().prove_consistency(from, to)?;
        Ok(ProofJson::Consistency {
            size1: from,
            size2: to,
            root1: b64(&self.root(from)?),
            root2: b64(&self.root(to)?),
            proof: proof.iter().map(b64).collect(),
        })
    }
}
