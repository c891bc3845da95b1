//! A payment run's recorded content: the canonical encoding (v2) reads back as written, runs
//! recorded as JSON (v1) are still read, and anything else is a precise error.

use knop_app::payrun::{RunContent, RunItem, RunView};
use knop_node::replay;
use knop_store::FileStore;

fn content() -> RunContent {
    RunContent {
        version: 2,
        run_id: "KNOP-RUN-20260401-0a1b2c3d".into(),
        household: "1".into(),
        date: "2026-04-01".into(),
        debtor_name: "Stichting".into(),
        debtor_iban: "NL91ABNA0417164300".into(),
        items: vec![RunItem {
            agreement: "huur".into(),
            due: "2026-04-01".into(),
            cents: 90_000,
            end_to_end_id: "KNOP-20260401-1-huur".into(),
            creditor_name: "Woonstede".into(),
            creditor_iban: "NL44RABO0123456789".into(),
            remittance: "Huur april".into(),
        }],
        not_covered: vec!["energie 2026-04-01: € 120,00 niet gedekt".into()],
        advanced_cents: 90_000,
    }
}

#[test]
fn run_content_reads_back_as_written_and_every_byte_counts() {
    let c = content();
    let bytes = c.to_bytes();
    assert_eq!(bytes[0], 2);
    assert_eq!(RunContent::from_bytes(&bytes).unwrap(), c);
    // Canonical: one content, one encoding; a trailing byte or a cut is refused.
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(RunContent::from_bytes(&longer).is_err());
    for cut in [1, bytes.len() / 2, bytes.len() - 1] {
        let e = RunContent::from_bytes(&bytes[..cut]).unwrap_err();
        assert!(e.field.starts_with("run."), "{e}");
    }
    let e = RunContent::from_bytes(b"\x07abc").unwrap_err();
    assert!(
        e.to_string().contains("encoding v2 (0x02) or v1 (JSON)"),
        "{e}"
    );
}

#[test]
fn a_run_recorded_as_json_before_the_canonical_encoding_is_still_read() {
    let mut v1 = content();
    v1.version = 1;
    let json = serde_json::to_vec(&v1).unwrap();
    assert_eq!(RunContent::from_bytes(&json).unwrap(), v1);
    // The run in the old ledger fixture (written by the code of 2026-12-03, as JSON).
    let fixture =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../node/tests/fixtures/ledger-v1");
    let dir = tempfile::tempdir().unwrap();
    for f in ["meta.knop", "log.knop", "checkpoints.knop"] {
        std::fs::copy(fixture.join(f), dir.path().join(f)).unwrap();
    }
    let mut store = FileStore::open_read_only(dir.path()).unwrap();
    let state = replay(
        &mut store,
        knop_node::replay::Checkpoints::Latest,
        &mut |_, _| {},
    )
    .unwrap()
    .state;
    let run = state.runs().values().next().unwrap();
    let view = RunView::of(run).expect("the old run is read");
    assert_eq!(view.content.version, 1);
    assert_eq!(view.content.items[0].agreement, "huur");
    assert_eq!(view.total_cents, 90_000);
    assert!(view.approved);
}
