//! Bank files come from outside: any bytes give a result or a precise error, never a panic.
//! (A property test standing in for a fuzz target, so it runs in CI on stable.)

use proptest::prelude::*;

fn sample() -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/genkgo-camt053.v2.minimal.xml"),
    )
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let _ = knop_bank::camt053::parse(&bytes);
    }

    #[test]
    fn mutated_sample(pos in 0usize..10_000, byte in any::<u8>(), cut in 0usize..10_000) {
        let mut s = sample();
        let p = pos % s.len();
        s[p] = byte;
        s.truncate(s.len() - cut % s.len());
        let _ = knop_bank::camt053::parse(&s);
    }
}
