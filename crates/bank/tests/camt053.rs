//! camt.053 samples from real systems (see `tests/data/SOURCES.md`): what must parse, what must
//! fail and how precisely.

use knop_bank::camt053::parse;

fn data(name: &str) -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(name),
    )
    .unwrap()
}

fn err(name: &str) -> String {
    parse(&data(name)).unwrap_err().to_string()
}

#[test]
fn genkgo_minimal_matches_that_librarys_expected_output() {
    // genkgo-camt053.v2.minimal.json: one entry of 885 (cents) EUR, CRDT, booked 2014-12-31.
    let f = parse(&data("genkgo-camt053.v2.minimal.xml")).unwrap();
    assert_eq!(f.version, "camt.053.001.02");
    assert_eq!(f.message_id.as_deref(), Some("CAMT053RIB000000000001"));
    let s = &f.statements[0];
    assert_eq!(s.account.as_deref(), Some("NL26VAYB8060476890"));
    let e = &s.entries[0];
    assert_eq!(
        (e.cents, e.currency.as_str(), e.status.as_str()),
        (885, "EUR", "BOOK")
    );
    assert_eq!(e.booking_date.as_deref(), Some("2014-12-31"));
    assert_eq!(e.value_date.as_deref(), Some("2015-01-02"));
    assert_eq!(e.bank_code.as_deref(), Some("544"));
    let d = &e.details[0];
    assert_eq!(d.counterparty_name.as_deref(), Some("NAME NAME"));
    assert_eq!(d.counterparty_iban.as_deref(), Some("NL56AGDH9619008421"));
    assert_eq!(d.remittance.as_deref(), Some("4654654654654654"));
    assert_eq!(s.balances[0].cents, 1815);
}

#[test]
fn huishoudboekje_samples() {
    let f = parse(&data("huishoudboekje-Payment_mandate_CAMT.053_v1.xml")).unwrap();
    let e = &f.statements[0].entries[0];
    assert_eq!(e.cents, -65432);
    assert_eq!(e.details[0].mandate_id.as_deref(), Some("5784272"));
    assert_eq!(e.details[0].end_to_end_id.as_deref(), Some("123456789"));
    assert_eq!(
        e.details[0].counterparty_name.as_deref(),
        Some("Gemeente Utrecht")
    );

    let empty = parse(&data(
        "huishoudboekje-Empty_customer_statement_message_CAMT.053_v2.xml",
    ))
    .unwrap();
    assert!(empty.statements[0].entries.is_empty());

    // The duplicate pair: the same statement sent twice, recognisable by its references.
    let (a, b) = (
        parse(&data(
            "huishoudboekje-Duplicate_bank_transaction_1_CAMT.053_v1.xml",
        ))
        .unwrap(),
        parse(&data(
            "huishoudboekje-Duplicate_bank_transaction_2_CAMT.053_v1.xml",
        ))
        .unwrap(),
    );
    assert_eq!(a.statements, b.statements);
    // Its transaction details disagree with the entry amount: booked by the entry, with a warning.
    assert!(
        a.warnings.iter().any(|w| w.contains("another amount")),
        "{:?}",
        a.warnings
    );

    // A statement whose balances do not add up is reported, not fixed.
    let k = parse(&data(
        "huishoudboekje-camt053-kosten-betalingsverkeer-20231130.xml",
    ))
    .unwrap();
    let s = &k.statements[0];
    assert_eq!(s.totals(), (0, 28194));
    assert_eq!(s.imbalance(), Some(97_884_841 - 28194 - 95_455_680));
}

#[test]
fn bad_amounts_and_structure_are_precise_errors() {
    assert_eq!(
        err("genkgo-camt053.v2.five.decimals.xml"),
        "line 43: Stmt/Bal/Amt: \"18.150\" has 3 decimals; EUR has 2"
    );
    assert_eq!(
        err("huishoudboekje-Negative_amount_CAMT.053_v1.xml"),
        "line 62: Stmt/Ntry/Amt: \"-1251.26\" is not a non-negative decimal amount"
    );
    assert!(err("genkgo-camt053.v2.wrong.xml").contains("no statement"));
    let cases: [(&[u8], &str); 6] = [
        (b"", "no root element"),
        (b"<Document><BkToCstmrStmt><Stmt><Id>1</Id>", "not closed"),
        (b"<Other/>", "not a camt.053"),
        (br#"<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"><BkToCstmrStmt/></Document>"#, "namespace pain.001.001.03"),
        (b"<Document><BkToCstmrStmt><Stmt><Id>1</Id><Ntry><Amt>1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd></Ntry></Stmt></BkToCstmrStmt></Document>", "no Ccy attribute"),
        (b"<Document><BkToCstmrStmt><Stmt><Id>1</Id><Ntry><Amt Ccy=\"EUR\">1.00</Amt><CdtDbtInd>X</CdtDbtInd></Ntry></Stmt></BkToCstmrStmt></Document>", "expected CRDT or DBIT"),
    ];
    for (xml, want) in cases {
        let e = parse(xml).unwrap_err().to_string();
        assert!(e.contains(want), "{e} (wanted {want})");
    }
}

#[test]
fn version_8_and_reversals() {
    let xml = br#"<?xml version="1.0"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt><GrpHdr><MsgId>X</MsgId></GrpHdr>
<Stmt><Id>S</Id><Acct><Id><IBAN>NL91 ABNA 0417 1643 00</IBAN></Id><Ccy>EUR</Ccy></Acct>
<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">100.00</Amt><CdtDbtInd>CRDT</CdtDbtInd></Bal>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">150.00</Amt><CdtDbtInd>CRDT</CdtDbtInd></Bal>
<Ntry><Amt Ccy="EUR">75.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><RvslInd>true</RvslInd><Sts><Cd>BOOK</Cd></Sts>
<BookgDt><DtTm>2026-01-05T10:00:00</DtTm></BookgDt>
<NtryDtls><TxDtls><Refs><EndToEndId>KNOP-1-2</EndToEndId></Refs>
<RltdPties><Dbtr><Pty><Nm>Mitros</Nm></Pty></Dbtr><DbtrAcct><Id><IBAN>NL02RABO0123456789</IBAN></Id></DbtrAcct></RltdPties>
<RtrInf><Rsn><Cd>AC04</Cd></Rsn></RtrInf></TxDtls></NtryDtls></Ntry>
<Ntry><Amt Ccy="EUR">25.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts></Ntry>
</Stmt></BkToCstmrStmt></Document>"#;
    let f = parse(xml).unwrap();
    let s = &f.statements[0];
    assert_eq!(s.account.as_deref(), Some("NL91ABNA0417164300"));
    let e = &s.entries[0];
    assert!(e.reversal);
    assert_eq!(e.booking_date.as_deref(), Some("2026-01-05T10:00:00"));
    assert_eq!(e.details[0].counterparty_name.as_deref(), Some("Mitros"));
    assert_eq!(e.details[0].return_reason.as_deref(), Some("AC04"));
    assert_eq!(s.imbalance(), Some(0));
}

#[test]
fn written_statements_validate_and_read_back() {
    use knop_bank::camt053::{write_v02, Balance, Details, Entry, Statement};
    let s = Statement {
        id: "SIM-2026-03".into(),
        sequence: Some("3".into()),
        created: None,
        account: Some("NL91ABNA0417164300".into()),
        currency: Some("EUR".into()),
        balances: vec![
            Balance::eur("OPBD", 10000, "2026-02-28"),
            Balance::eur("CLBD", 34150, "2026-03-31"),
        ],
        entries: vec![
            Entry {
                reference: None,
                cents: 140150,
                currency: "EUR".into(),
                reversal: false,
                status: "BOOK".into(),
                booking_date: Some("2026-03-23".into()),
                value_date: Some("2026-03-23".into()),
                servicer_reference: Some("SIM-1".into()),
                bank_code: Some("PMNT/RCDT/ESCT".into()),
                details: vec![Details {
                    counterparty_name: Some("Gemeente & Co".into()),
                    counterparty_iban: Some("NL86INGB0002445588".into()),
                    remittance: Some("Participatiewet maart".into()),
                    ..Default::default()
                }],
                line: 0,
            },
            Entry {
                reference: None,
                cents: -86000,
                currency: "EUR".into(),
                reversal: false,
                status: "BOOK".into(),
                booking_date: Some("2026-03-31".into()),
                value_date: Some("2026-03-31".into()),
                servicer_reference: Some("SIM-2".into()),
                bank_code: Some("PMNT/RDDT/ESDD".into()),
                details: vec![Details {
                    end_to_end_id: Some("E2E-1".into()),
                    mandate_id: Some("M-1".into()),
                    creditor_id: Some("NL98ZZZ999999999999".into()),
                    counterparty_name: Some("Mitros".into()),
                    ..Default::default()
                }],
                line: 0,
            },
            // A batch of two payments booked as one entry, each with its own amount.
            Entry {
                reference: None,
                cents: -30000,
                currency: "EUR".into(),
                reversal: false,
                status: "BOOK".into(),
                booking_date: Some("2026-03-31".into()),
                value_date: Some("2026-03-31".into()),
                servicer_reference: Some("SIM-3".into()),
                bank_code: Some("PMNT/ICDT/ESCT".into()),
                details: [("E2E-2", -10000), ("E2E-3", -20000)]
                    .into_iter()
                    .map(|(e2e, cents)| Details {
                        end_to_end_id: Some(e2e.into()),
                        cents: Some(cents),
                        counterparty_name: Some("Eneco".into()),
                        counterparty_iban: Some("NL20INGB0001234567".into()),
                        ..Default::default()
                    })
                    .collect(),
                line: 0,
            },
        ],
        line: 0,
    };
    let xml = write_v02(&s, "SIM-MSG-1", "2026-03-31T18:00:00");
    let dir = std::env::temp_dir().join(format!("knop-camt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("s.xml");
    std::fs::write(&file, &xml).unwrap();
    let xsd =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/xsd/camt.053.001.02.xsd");
    let out = std::process::Command::new("xmllint")
        .args(["--noout", "--schema"])
        .arg(xsd)
        .arg(&file)
        .output()
        .expect("xmllint");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let back = parse(&xml).unwrap();
    let b = &back.statements[0];
    assert_eq!(
        (b.account.clone(), b.balances.clone()),
        (s.account.clone(), s.balances.clone())
    );
    for (x, y) in b.entries.iter().zip(&s.entries) {
        assert_eq!(
            (
                x.cents,
                &x.booking_date,
                &x.servicer_reference,
                &x.bank_code,
                &x.details
            ),
            (
                y.cents,
                &y.booking_date,
                &y.servicer_reference,
                &y.bank_code,
                &y.details
            )
        );
    }
    assert_eq!(b.imbalance(), Some(0));
}
