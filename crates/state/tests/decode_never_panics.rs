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

    /// The same for a day file, whose runs are counted and length-prefixed.
    #[test]
    fn day_files_are_canonical(pos in 0usize..400, bit in 0u8..8) {
        use knop_state::{BatchRun, PaymentRunCommand};
        let run = |id: &str, h| BatchRun {
            run_id: id.into(),
            household: knop_huishoudboekje::HouseholdId(h),
            content: id.as_bytes().to_vec(),
        };
        let cmd = Command::PaymentRun(PaymentRunCommand::CreateBatch {
            batch_id: "KNOP-DAG-1".into(),
            created_by: "consulent-a".into(),
            runs: vec![run("R1", 1), run("R2", 2)],
        });
        let mut bytes = cmd.encode();
        let pos = pos % bytes.len();
        bytes[pos] ^= 1 << bit;
        if let Ok(other) = Command::decode(&bytes) {
            prop_assert_ne!(other.encode(), cmd.encode());
            prop_assert_eq!(other.encode(), bytes);
        }
    }
}
