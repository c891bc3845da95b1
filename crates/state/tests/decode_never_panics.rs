//! Decoders face bytes from stores and other organisations: arbitrary input must give a
//! `Result`, never a panic. (A property test standing in for a fuzz target: it runs in CI
//! on the stable toolchain.)

use knop_ledger::entry::SignedEntry;
use knop_state::Command;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn entry_decoder_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let _ = SignedEntry::decode(&bytes);
    }

    #[test]
    fn command_decoder_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let _ = Command::decode(&bytes);
    }

    /// Mutating one byte of a valid body never panics and never decodes to the same command
    /// with different bytes (canonical encoding).
    #[test]
    fn commands_are_canonical(pos in 0usize..200, bit in 0u8..8) {
        let cmd = Command::Attach { subject: 7, kind: "consent".into(), data: vec![1, 2, 3] };
        let mut bytes = cmd.encode();
        let pos = pos % bytes.len();
        bytes[pos] ^= 1 << bit;
        if let Ok(other) = Command::decode(&bytes) {
            prop_assert_ne!(other.encode(), cmd.encode());
            prop_assert_eq!(other.encode(), bytes);
        }
    }
}
