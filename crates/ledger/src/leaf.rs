//! Leaves commit to entries without revealing them.
//!
//! Construction (version 1):
//!
//! ```text
//! leaf_data = SHA-256( "knop/leaf/v1" || 0x00 || salt (32 bytes) || entry_bytes )
//! leaf_hash = SHA-256( 0x00 || leaf_data )            -- RFC 9162 section 2.1.1
//! ```
//!
//! The salt is 32 random bytes drawn per entry by the operator when the entry is appended. It is
//! stored beside the entry, never in the tree. Without the salt, `leaf_data` reveals nothing about
//! an entry, not even for entries with few possible contents (a "green/red" status). Erasure under
//! the AVG deletes entry and salt (crypto-shredding): the tree keeps `leaf_data`, so every root,
//! checkpoint and proof stays valid, while the content is gone for good.
//!
//! The domain prefix separates this hash from every other SHA-256 use in knop; its version changes
//! when the construction does.

use sha2::{Digest, Sha256};

/// Domain separation prefix of leaf data version 1 (the trailing NUL ends the label).
pub const LEAF_DOMAIN_V1: &[u8] = b"knop/leaf/v1\0";

/// Size of a per-entry salt in bytes.
pub const SALT_SIZE: usize = 32;

/// A per-entry salt.
pub type Salt = [u8; SALT_SIZE];

/// The leaf data (what RFC 9162 calls the leaf input) committing to `entry` under `salt`.
pub fn leaf_data(salt: &Salt, entry: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(LEAF_DOMAIN_V1);
    h.update(salt);
    h.update(entry);
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn salt_and_entry_both_change_the_leaf() {
        let a = leaf_data(&[1; 32], b"x");
        assert_ne!(a, leaf_data(&[2; 32], b"x"));
        assert_ne!(a, leaf_data(&[1; 32], b"y"));
        assert_eq!(a, leaf_data(&[1; 32], b"x"));
    }

    #[test]
    fn known_answer() {
        // python3 -c "import hashlib; print(hashlib.sha256(b'knop/leaf/v1\\0' + bytes(32) + b'abc').hexdigest())"
        let got = leaf_data(&[0; 32], b"abc");
        let want = "7c228c484a9b4e251e5bf4d8fc5cce59ebbaa80eab2367b9cc52f23116f528a5";
        let got_hex: String = got.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(got_hex, want);
    }
}
