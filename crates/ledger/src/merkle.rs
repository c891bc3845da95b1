//! The RFC 9162 Merkle tree over leaf data, with inclusion and consistency proofs.
//!
//! Hashing follows RFC 9162 section 2.1.1 (`0x00` prefix for leaves, `0x01` for interior nodes,
//! SHA-256); proofs follow sections 2.1.3 (inclusion) and 2.1.4 (consistency). The arithmetic is
//! Cloudflare's `tlog_tiles`, a port of Go's `golang.org/x/mod/sumdb/tlog` that the Go checksum
//! database and C2SP logs run on; this module keeps every stored hash of the tree in memory (about
//! two hashes per leaf: 64 bytes) so that a proof reads at most `2 log2 n` hashes.
//!
//! ## Policy for edge cases
//! - The empty tree (size 0) has the root `SHA-256("")` (RFC 9162 2.1.1); it has no leaves, so
//!   no inclusion proof exists for it.
//! - A consistency proof from size 0 is rejected: every tree is consistent with the empty tree, so
//!   such a proof proves nothing and is refused rather than accepted vacuously (the policy of the
//!   Go and transparency-dev verifiers).
//! - A consistency proof between equal sizes must be empty and the roots equal.
//! - Every hash (root, leaf hash, proof element) is exactly 32 bytes; anything else is malformed.
//! - knop's own leaf data is always a 32-byte commitment ([`crate::leaf`]), so an empty leaf
//!   never occurs in a knop log; the verifier still handles it as RFC 9162 says (the vectors'
//!   `empty-leaf` case), since a leaf is only hashed, never interpreted.

use tlog_tiles::{
    check_record, check_tree, prove_record, prove_tree, record_hash, stored_hash_index,
    stored_hashes_for_record_hash, tree_hash, Hash, HashReader,
};

/// Occurs when a proof cannot be produced or does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// Occurs when an index or size lies outside the tree (or the sizes are out of order).
    #[error("{what}: tree has {tree_size} leaves")]
    OutOfRange {
        /// What was asked, in words.
        what: String,
        /// The size of the tree asked about.
        tree_size: u64,
    },
    /// Occurs when a consistency proof from the empty tree is asked for or offered.
    #[error("a consistency proof from size 0 proves nothing and is not accepted")]
    FromEmptyTree,
    /// Occurs when the proof has the right shape but does not lead to the expected root.
    #[error("proof does not verify: the computed root differs from the expected root")]
    Mismatch,
    /// Occurs when the proof has too many or too few hashes for the sizes and index.
    #[error("proof has the wrong number of hashes ({got}) for this index and size")]
    WrongLength {
        /// Number of hashes in the proof.
        got: usize,
    },
}

/// An append-only RFC 9162 tree holding every stored hash in memory.
#[derive(Debug, Clone, Default)]
pub struct Tree {
    /// Stored hashes in `tlog` order (see [`tlog_tiles::stored_hash_index`]).
    stored: Vec<Hash>,
    size: u64,
}

impl HashReader for Tree {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        indexes
            .iter()
            .map(|&i| {
                usize::try_from(i)
                    .ok()
                    .and_then(|i| self.stored.get(i).copied())
                    .ok_or(tlog_tiles::Error::IndexesNotInTree)
            })
            .collect()
    }
}

impl Tree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends a leaf given its leaf data (the RFC 9162 leaf input).
    pub fn push(&mut self, leaf_data: &[u8]) {
        self.push_leaf_hash(record_hash(leaf_data));
    }

    /// Appends a leaf given its RFC 9162 leaf hash `SHA-256(0x00 || leaf_data)`.
    pub fn push_leaf_hash(&mut self, leaf_hash: Hash) {
        let new = stored_hashes_for_record_hash(self.size, leaf_hash, self)
            .expect("a tree holding all its stored hashes can always extend itself");
        self.stored.extend(new);
        self.size += 1;
    }

    /// The RFC 9162 leaf hash of leaf `index`.
    pub fn leaf_hash(&self, index: u64) -> Result<Hash, ProofError> {
        if index >= self.size {
            return Err(ProofError::OutOfRange {
                what: format!("leaf {index}"),
                tree_size: self.size,
            });
        }
        Ok(self.stored[stored_hash_index(0, index) as usize])
    }

    /// The root of the tree's first `size` leaves (`size` 0 gives `SHA-256("")`).
    pub fn root(&self, size: u64) -> Result<Hash, ProofError> {
        self.check_size(size)?;
        Ok(tree_hash(size, self).expect("all stored hashes present"))
    }

    /// The inclusion proof of leaf `index` in the tree of the first `size` leaves.
    pub fn prove_inclusion(&self, index: u64, size: u64) -> Result<Vec<Hash>, ProofError> {
        self.check_size(size)?;
        if index >= size {
            return Err(ProofError::OutOfRange {
                what: format!("leaf {index} is not in a tree of size {size}"),
                tree_size: self.size,
            });
        }
        Ok(prove_record(size, index, self).expect("all stored hashes present"))
    }

    /// The consistency proof that the tree of size `old` is a prefix of the tree of size `new`.
    pub fn prove_consistency(&self, old: u64, new: u64) -> Result<Vec<Hash>, ProofError> {
        self.check_size(new)?;
        if old == 0 {
            return Err(ProofError::FromEmptyTree);
        }
        if old > new {
            return Err(ProofError::OutOfRange {
                what: format!("old size {old} is larger than new size {new}"),
                tree_size: self.size,
            });
        }
        Ok(prove_tree(new, old, self).expect("all stored hashes present"))
    }

    fn check_size(&self, size: u64) -> Result<(), ProofError> {
        if size > self.size {
            return Err(ProofError::OutOfRange {
                what: format!("size {size} is beyond the end"),
                tree_size: self.size,
            });
        }
        Ok(())
    }
}

/// The number of hashes an RFC 9162 inclusion proof has for `index` in a tree of `size`.
pub fn inclusion_proof_len(index: u64, size: u64) -> usize {
    // RFC 9162 2.1.3.2: the path length is the number of levels below the root on the way to the
    // leaf; walking down the split points gives it without hashing.
    let (mut lo, mut hi, mut len) = (0u64, size, 0usize);
    while hi - lo > 1 {
        let k = largest_power_of_two_below(hi - lo);
        if index < lo + k {
            hi = lo + k;
        } else {
            lo += k;
        }
        len += 1;
    }
    len
}

fn largest_power_of_two_below(n: u64) -> u64 {
    debug_assert!(n > 1);
    1u64 << (63 - (n - 1).leading_zeros())
}

/// Verifies that `leaf_hash` is leaf `index` of the tree of `size` leaves with root `root`
/// (RFC 9162 2.1.3.2).
pub fn verify_inclusion(
    proof: &[Hash],
    size: u64,
    root: &Hash,
    index: u64,
    leaf_hash: &Hash,
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::OutOfRange {
            what: format!("leaf {index} is not in a tree of size {size}"),
            tree_size: size,
        });
    }
    let want = inclusion_proof_len(index, size);
    if proof.len() != want {
        return Err(ProofError::WrongLength { got: proof.len() });
    }
    check_record(&proof.to_vec(), size, *root, index, *leaf_hash).map_err(|_| ProofError::Mismatch)
}

/// Verifies that the tree of size `old` with root `old_root` is a prefix of the tree of size
/// `new` with root `new_root` (RFC 9162 2.1.4.2), under the policy in the module docs.
pub fn verify_consistency(
    proof: &[Hash],
    old: u64,
    old_root: &Hash,
    new: u64,
    new_root: &Hash,
) -> Result<(), ProofError> {
    if old == 0 {
        return Err(ProofError::FromEmptyTree);
    }
    if old > new {
        return Err(ProofError::OutOfRange {
            what: format!("old size {old} is larger than new size {new}"),
            tree_size: new,
        });
    }
    if proof.len() > 2 * 64 {
        return Err(ProofError::WrongLength { got: proof.len() });
    }
    check_tree(&proof.to_vec(), new, *new_root, old, *old_root).map_err(|e| match e {
        tlog_tiles::Error::InvalidProof if old == new && !proof.is_empty() => {
            ProofError::WrongLength { got: proof.len() }
        }
        _ => ProofError::Mismatch,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    /// Reference MTH from RFC 9162 2.1.1, written recursively, to check the tree against.
    fn mth(leaves: &[Vec<u8>]) -> [u8; 32] {
        match leaves.len() {
            0 => Sha256::digest([]).into(),
            1 => Sha256::digest([&[0u8][..], &leaves[0]].concat()).into(),
            n => {
                let k = largest_power_of_two_below(n as u64) as usize;
                let (l, r) = (mth(&leaves[..k]), mth(&leaves[k..]));
                Sha256::digest([&[1u8][..], &l, &r].concat()).into()
            }
        }
    }

    #[test]
    fn roots_match_the_rfc_definition_for_every_prefix() {
        let leaves: Vec<Vec<u8>> = (0..40u8).map(|i| vec![i; i as usize % 5]).collect();
        let mut tree = Tree::new();
        assert_eq!(tree.root(0).unwrap().0, mth(&[]));
        for (i, leaf) in leaves.iter().enumerate() {
            tree.push(leaf);
            for size in 0..=i + 1 {
                assert_eq!(tree.root(size as u64).unwrap().0, mth(&leaves[..size]));
            }
        }
    }

    #[test]
    fn every_proof_verifies_and_tampering_fails() {
        let mut tree = Tree::new();
        for i in 0..33u8 {
            tree.push(&[i]);
        }
        for size in 1..=33 {
            let root = tree.root(size).unwrap();
            for index in 0..size {
                let proof = tree.prove_inclusion(index, size).unwrap();
                let leaf = tree.leaf_hash(index).unwrap();
                verify_inclusion(&proof, size, &root, index, &leaf).unwrap();
                if let Some(first) = proof.first() {
                    let mut bad = proof.clone();
                    bad[0] = Hash([first.0[0] ^ 1; 32]);
                    assert_eq!(
                        verify_inclusion(&bad, size, &root, index, &leaf),
                        Err(ProofError::Mismatch)
                    );
                }
            }
            for old in 1..=size {
                let proof = tree.prove_consistency(old, size).unwrap();
                let old_root = tree.root(old).unwrap();
                verify_consistency(&proof, old, &old_root, size, &root).unwrap();
            }
        }
    }

    #[test]
    fn out_of_range_requests_are_errors() {
        let mut tree = Tree::new();
        tree.push(b"a");
        assert!(matches!(tree.root(2), Err(ProofError::OutOfRange { .. })));
        assert!(matches!(
            tree.prove_inclusion(1, 1),
            Err(ProofError::OutOfRange { .. })
        ));
        assert_eq!(tree.prove_consistency(0, 1), Err(ProofError::FromEmptyTree));
        assert!(tree.leaf_hash(1).is_err());
    }
}
