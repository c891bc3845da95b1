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

const PAIN002: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"><CstmrPmtStsRpt>
<GrpHdr><MsgId>STS-1</MsgId><CreDtTm>2026-03-31T10:00:00</CreDtTm></GrpHdr>
<OrgnlGrpInfAndSts><OrgnlMsgId>KNOP-RUN-1</OrgnlMsgId><GrpSts>PART</GrpSts></OrgnlGrpInfAndSts>
<OrgnlPmtInfAndSts><TxInfAndSts><OrgnlEndToEndId>KNOP-20260401-ab</OrgnlEndToEndId>
<TxSts>RJCT</TxSts><StsRsnInf><Rsn><Cd>AM04</Cd></Rsn></StsRsnInf></TxInfAndSts></OrgnlPmtInfAndSts>
</CstmrPmtStsRpt></Document>"#;

#[test]
fn a_status_report_reads_its_rejections() {
    let r = knop_bank::pain002::parse(PAIN002.as_bytes()).unwrap();
    assert_eq!(r.original_message_id, "KNOP-RUN-1");
    assert!(!r.group_rejected());
    assert_eq!(r.transactions.len(), 1);
    assert_eq!(r.transactions[0].status, "RJCT");
    assert_eq!(r.transactions[0].reason.as_deref(), Some("AM04"));
    assert_eq!(knop_bank::pain002::reason_nl("AM04"), "onvoldoende saldo");
    let e = knop_bank::pain002::parse(
        PAIN002
            .replace("<OrgnlMsgId>KNOP-RUN-1</OrgnlMsgId>", "")
            .as_bytes(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("OrgnlMsgId"), "{e}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn mutated_status_report(pos in 0usize..10_000, byte in any::<u8>(), cut in 0usize..10_000) {
        let mut s = PAIN002.as_bytes().to_vec();
        let p = pos % s.len();
        s[p] = byte;
        s.truncate(s.len() - cut % s.len());
        let _ = knop_bank::pain002::parse(&s);
    }
}
