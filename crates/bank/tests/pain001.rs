//! pain.001 output: valid against the ISO 20022 schemas (xmllint, Debian's libxml2-utils, which
//! `.ci/run` installs), readable back, and refused whole when any field is wrong.

use std::process::Command;

use knop_bank::pain001::{sepa_text, write, Payment, Run, Version};

fn run(payments: Vec<Payment>) -> Run {
    Run {
        message_id: "KNOP-RUN-2026-03-02-1".into(),
        created: "2026-03-01T10:00:00".into(),
        execution_date: "2026-03-02".into(),
        debtor_name: "Stichting Huishoudboekje Utrecht".into(),
        debtor_iban: "NL91ABNA0417164300".into(),
        debtor_bic: Some("ABNANL2A".into()),
        payments,
    }
}

fn pay(e2e: &str, cents: i64, name: &str, iban: &str) -> Payment {
    Payment {
        end_to_end_id: e2e.parse().expect("a test id keeps the rules"),
        cents,
        creditor_name: name.into(),
        creditor_iban: iban.into(),
        creditor_bic: None,
        remittance: "Huur maart 2026 contract 12345".into(),
    }
}

fn xsd(v: Version) -> std::path::PathBuf {
    let name = match v {
        Version::V03 => "pain.001.001.03.xsd",
        Version::V09 => "pain.001.001.09.xsd",
    };
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/xsd")
        .join(name)
}

fn validate(xml: &[u8], v: Version) {
    let dir = tempfile_dir();
    let file = dir.join(format!("{v:?}.xml"));
    std::fs::write(&file, xml).unwrap();
    let out = Command::new("xmllint")
        .args(["--noout", "--schema"])
        .arg(xsd(v))
        .arg(&file)
        .output()
        .expect("xmllint (apt-get install libxml2-utils)");
    assert!(
        out.status.success(),
        "{v:?} does not validate:\n{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(xml)
    );
}

fn tempfile_dir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!(
        "knop-pain-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn both_versions_validate_against_the_iso_schemas() {
    let mut p = vec![
        pay(
            "KNOP-1-HUUR-202603",
            65000,
            "Mitros Wonen & Zorg",
            "NL44RABO0123456789",
        ),
        pay(
            "KNOP-1-ENERGIE-202603",
            12099,
            "Eneco Consumenten B.V.",
            "NL20INGB0001234567",
        ),
    ];
    p[1].creditor_bic = Some("INGBNL2A".into());
    p[1].remittance = "Klantnr 99 — termijn maart <&> ĳ".into();
    for v in [Version::V03, Version::V09] {
        let xml = write(&run(p.clone()), v).unwrap();
        validate(&xml, v);
        let text = String::from_utf8(xml).unwrap();
        assert!(text.contains("<CtrlSum>770.99</CtrlSum>"), "{text}");
        assert!(text.contains("<Nm>Mitros Wonen + Zorg</Nm>"), "{text}");
        assert!(
            text.contains("Klantnr 99 termijn maart + ij")
                || text.contains("Klantnr 99 termijn maart +"),
            "{text}"
        );
    }
}

#[test]
fn the_shipped_samples_validate_too() {
    // Sanity check of the validator itself on public samples.
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    validate(
        &std::fs::read(data.join("sepa_king-pain.001.001.03.xml")).unwrap(),
        Version::V03,
    );
    validate(
        &std::fs::read(data.join("php-sepa-xml-pain.001.001.09.xml")).unwrap(),
        Version::V09,
    );
}

#[test]
fn a_run_with_any_bad_field_writes_nothing() {
    let good = || pay("E2E-1", 100, "Mitros", "NL44RABO0123456789");
    let cases: Vec<(Run, &str)> = vec![
        (run(vec![]), "1 to 100000 payments"),
        (
            run(vec![Payment {
                creditor_iban: "NL02RABO0123456788".into(),
                ..good()
            }]),
            "CdtTrfTxInf[0]/CdtrAcct/IBAN",
        ),
        (run(vec![Payment { cents: 0, ..good() }]), "InstdAmt"),
        // An EndToEndId of 36 characters can't be made (`knop_bank::EndToEndId` refuses it).
        (run(vec![good(), good()]), "used twice"),
        (
            run(vec![Payment {
                creditor_bic: Some("abc".into()),
                ..good()
            }]),
            "not a BIC",
        ),
        (
            run(vec![Payment {
                creditor_name: "€€€".into(),
                ..good()
            }]),
            "needs a name",
        ),
        (
            Run {
                debtor_iban: "NL00XXXX0000000000".into(),
                ..run(vec![good()])
            },
            "DbtrAcct/IBAN",
        ),
        (
            Run {
                execution_date: "2026-02-30".into(),
                ..run(vec![good()])
            },
            "ReqdExctnDt",
        ),
    ];
    for (r, want) in cases {
        let e = write(&r, Version::V03).unwrap_err().to_string();
        assert!(e.contains(want), "{e} (wanted {want})");
    }
}

#[test]
fn sepa_text_keeps_to_the_character_set() {
    assert_eq!(sepa_text("Café Ørsted & Zn.", 70), "Cafe rsted + Zn.");
    assert_eq!(sepa_text("  a   b  ", 70), "a b");
    assert_eq!(sepa_text(&"x".repeat(200), 140).len(), 140);
}

#[test]
fn a_creditor_reference_is_written_structured_and_validates() {
    let mut rf = pay("KNOP-RF", 12_000, "Eneco", "NL20INGB0001234567");
    rf.remittance = "RF18 5390 0754 7034".into();
    let mut cur = pay("KNOP-CUR", 4_500, "Belastingdienst", "NL86INGB0002445588");
    cur.remittance = "5000 0567 8901 2345".into();
    let mut almost = pay("KNOP-TEXT", 1_000, "Vitens", "NL44RABO0123456789");
    almost.remittance = "5000 0567 8901 2346".into();
    for v in [Version::V03, Version::V09] {
        let xml = write(&run(vec![rf.clone(), cur.clone(), almost.clone()]), v).unwrap();
        validate(&xml, v);
        let text = String::from_utf8(xml).unwrap();
        assert!(
            text.contains("<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry><Issr>ISO</Issr></Tp><Ref>RF18539007547034</Ref>"),
            "{text}"
        );
        assert!(
            text.contains("<Issr>CUR</Issr></Tp><Ref>5000056789012345</Ref>"),
            "{text}"
        );
        assert!(
            text.contains("<Ustrd>5000 0567 8901 2346</Ustrd>"),
            "a wrong check digit stays free text: {text}"
        );
    }
}
