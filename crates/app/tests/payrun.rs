//! A payment run's recorded content: the canonical encoding (v2) reads back as written, runs
//! recorded as JSON (v1) are still read, and anything else is a precise error.

use knop_app::payrun::{RunContent, RunItem, RunView};
use knop_huishoudboekje::HouseholdId;
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
            end_to_end_id: "KNOP-20260401-1-huur".parse().unwrap(),
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

/// A new ledger with the foundation registered (by the operator): its directory, the node and
/// the foundation's key.
fn node_with_foundation() -> (
    tempfile::TempDir,
    knop_node::Node,
    knop_ledger::note::NoteKey,
) {
    use knop_ledger::entry::OrgName;
    use knop_ledger::note::NoteKey;
    use knop_state::{Command, OrgKind};
    let dir = tempfile::tempdir().unwrap();
    let op = NoteKey::from_seed("knop.test/app", &[1; 32]).unwrap();
    let org = NoteKey::from_seed("stichting", &[2; 32]).unwrap();
    let store = FileStore::create(
        dir.path(),
        knop_store::Meta {
            origin: "knop.test/app".into(),
            operator_vkey: op.verifier_key(),
        },
    )
    .unwrap();
    let mut node =
        knop_node::Node::init(Box::new(store), op.clone(), 1, knop_node::os_salts()).unwrap();
    let register = Command::RegisterOrg {
        name: OrgName::parse("stichting").unwrap(),
        kind: OrgKind::Foundation,
        key: org.public_key().to_bytes(),
    };
    knop_app::ops::submit(&mut node, &op, 10, &register)
        .unwrap()
        .unwrap();
    (dir, node, org)
}

#[test]
fn money_reserved_without_a_run_is_named() {
    use knop_huishoudboekje::booking::{household_account, payment_pending, Mirror};
    use knop_ledger::note::NoteKey;
    use knop_state::{Command, HouseholdCommand};
    let (_dir, mut node, org) = node_with_foundation();
    let mut ts = 10;
    let mut submit = |node: &mut knop_node::Node, key: &NoteKey, cmd: Command| {
        ts += 1;
        knop_app::ops::submit(node, key, ts, &cmd).unwrap().unwrap();
    };
    submit(
        &mut node,
        &org,
        Command::Household(HouseholdCommand::Open {
            household: HouseholdId(3),
            counsellor: "c".into(),
            information: "v1".into(),
        }),
    );
    assert_eq!(knop_app::payrun::unowned_reservations(node.state()), vec![]);
    // A reservation as a run killed between its entries left it (before runs were one entry).
    let mirror = Mirror::of("NL91ABNA0417164300");
    let mut accounts = mirror.accounts();
    accounts.push(household_account(HouseholdId(3)));
    submit(&mut node, &org, Command::CreateAccounts(accounts));
    submit(
        &mut node,
        &org,
        Command::CreateTransfers(vec![payment_pending(
            HouseholdId(3),
            &mirror,
            "KNOP-LOST",
            4_200,
        )]),
    );
    assert_eq!(
        knop_app::payrun::unowned_reservations(node.state()),
        vec![knop_app::payrun::Unowned {
            household: HouseholdId(3),
            reserved_cents: 4_200,
            in_runs_cents: 0
        }]
    );
}

#[test]
fn a_day_file_leaves_out_who_withdrew_or_has_no_own_account_and_pays_the_rest() {
    use knop_app::day_file::{make, LivingMoney};
    use knop_app::payrun::{Debtor, LivingMoneyTo, RunError};
    use knop_ledger::note::NoteKey;
    use knop_state::{Command, HouseholdCommand};
    let (_dir, mut node, org) = node_with_foundation();
    let mut ts = 10;
    let mut submit = |node: &mut knop_node::Node, key: &NoteKey, cmd: Command| {
        ts += 1;
        knop_app::ops::submit(node, key, ts, &cmd).unwrap().unwrap();
    };
    let agreement =
        |json: &str| serde_json::from_str::<knop_huishoudboekje::Agreement>(json).unwrap();
    let rent = r#"{"id":"huur","kind":"fixed_cost","category":"housing","amount_cents":50000,"schedule":{"monthly":{"day":1}},"counterparty_iban":"NL44RABO0123456789"}"#;
    let living = r#"{"id":"leefgeld","kind":"living_money","amount_cents":5000,"schedule":{"monthly":{"day":1}}}"#;
    for h in 1..=3 {
        submit(
            &mut node,
            &org,
            Command::Household(HouseholdCommand::Open {
                household: HouseholdId(h),
                counsellor: "c".into(),
                information: "v1".into(),
            }),
        );
        for a in [rent, living] {
            submit(
                &mut node,
                &org,
                Command::Household(HouseholdCommand::SetAgreement {
                    household: HouseholdId(h),
                    agreement: agreement(a),
                }),
            );
        }
    }
    // Household 1 withdrew; household 2's own account is not in the vault.
    submit(
        &mut node,
        &org,
        Command::Household(HouseholdCommand::Revoke {
            household: HouseholdId(1),
            effective_ms: 100,
        }),
    );
    let debtor = Debtor {
        name: "Stichting".into(),
        iban: "NL91ABNA0417164300".into(),
        advance_limit_cents: 150_000,
    };
    let known = |h: HouseholdId| h != HouseholdId(2);
    let living_money = LivingMoney {
        to: LivingMoneyTo::OwnAccountInVault,
        own_account_known: &known,
    };
    let all = [1, 2, 3].map(HouseholdId);
    let saturday = "2026-03-28".parse().unwrap();
    let e = make(
        &mut node,
        &org,
        1_000,
        &all,
        saturday,
        "c1",
        &debtor,
        &Default::default(),
        living_money,
    )
    .unwrap_err();
    assert!(
        matches!(&e, RunError::Invalid(w) if w.contains("not a TARGET2 business day")),
        "{e}"
    );
    let made = make(
        &mut node,
        &org,
        1_000,
        &all,
        "2026-04-01".parse().unwrap(),
        "c1",
        &debtor,
        &Default::default(),
        living_money,
    )
    .unwrap();
    let runs: Vec<&str> = made
        .day_file
        .runs
        .iter()
        .map(|r| r.content.household.as_str())
        .collect();
    assert_eq!(runs, ["3"]);
    let why: Vec<(&str, &str)> = made
        .left_out
        .iter()
        .map(|l| (l.household.as_str(), l.why.as_str()))
        .collect();
    assert_eq!(why.len(), 2, "{why:?}");
    assert!(why[0].0 == "1" && why[0].1.contains("afgemeld"), "{why:?}");
    assert!(
        why[1].0 == "2" && why[1].1.contains("eigen rekeningnummer"),
        "{why:?}"
    );
    // Household 3 pays its rent and its living money to its own account, filled in at export.
    assert_eq!(made.day_file.total_cents, 55_000);
}
