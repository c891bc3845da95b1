//! knop's verifiable ledger: the part every organisation can check for itself.
//!
//! - [`entry`]: one submission (a command or a whole batch), encoded by an explicit versioned
//!   encoder and signed with Ed25519 by the submitting organisation.
//! - [`leaf`]: the salted commitment that goes into the tree, so the tree never reveals an entry
//!   and an entry can later be erased (AVG) without breaking any proof.
//! - [`merkle`]: the RFC 9162 Merkle tree, inclusion and consistency proofs, and knop's policy for
//!   their edge cases.
//! - [`note`]: keys, signed checkpoints in the C2SP `tlog-checkpoint` / `signed-note` formats and
//!   witness cosignatures (C2SP `tlog-cosignature`).
//!
//! This crate is pure: no I/O, no clock, no randomness. Timestamps and salts are passed in.
//!
//! ```
//! use knop_ledger::{leaf::leaf_data, merkle::Tree};
//! let mut tree = Tree::new();
//! for i in 0u8..5 {
//!     tree.push(&leaf_data(&[i; 32], b"entry bytes"));
//! }
//! let root = tree.root(5).unwrap();
//! let proof = tree.prove_inclusion(3, 5).unwrap();
//! let leaf = tree.leaf_hash(3).unwrap();
//! knop_ledger::merkle::verify_inclusion(&proof, 5, &root, 3, &leaf).unwrap();
//! ```

#![warn(missing_docs)]

pub mod entry;
pub mod leaf;
pub mod merkle;
pub mod note;

pub use tlog_tiles::Hash;
