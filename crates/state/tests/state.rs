//! The state machine's rules, each with its unhappy path.

use ed25519_dalek::SigningKey;
use knop_book::{Account, AccountFlags, Cents, Transfer, EUR};
use knop_huishoudboekje::HouseholdId;
use knop_ledger::entry::{OrgName, SignedEntry};
use knop_state::{Command, OrgKind, State, StateError, Verified};

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

fn name(s: &str) -> OrgName {
    OrgName::parse(s).unwrap()
}

fn entry(signer: &str, seed: u8, ts: u64, cmd: &Command) -> SignedEntry {
    SignedEntry::sign(name(signer), ts, cmd.encode(), &key(seed))
}

fn register(n: &str, kind: OrgKind, seed: u8) -> Command {
    Command::RegisterOrg {
        name: name(n),
        kind,
        key: key(seed).verifying_key().to_bytes(),
    }
}

/// A state with operator "op" (key 1) and participant "svb" (key 2), and accounts 1 and 2.
fn state() -> State {
    let mut s = State::new();
    s.apply(&entry("op", 1, 1, &register("op", OrgKind::Operator, 1)))
        .unwrap();
    s.apply(&entry(
        "op",
        1,
        2,
        &register("svb", OrgKind::Participant, 2),
    ))
    .unwrap();
    let accounts = Command::CreateAccounts(vec![
        Account {
            id: 1,
            currency: EUR,
            code: 1,
            flags: AccountFlags(0),
            user_data: 0,
        },
        Account {
            id: 2,
            currency: EUR,
            code: 1,
            flags: AccountFlags(AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS),
            user_data: 0,
        },
    ]);
    s.apply(&entry("svb", 2, 3, &accounts)).unwrap();
    s
}

fn transfer(id: u128, dr: u128, cr: u128, cents: i64) -> Transfer {
    Transfer::eur(id, dr, cr, Cents(cents), 0)
}

#[test]
fn genesis_must_be_self_registered_operator() {
    let mut s = State::new();
    assert_eq!(
        s.apply(&entry("op", 1, 1, &register("op", OrgKind::Participant, 1))),
        Err(StateError::BadGenesis)
    );
    assert_eq!(
        s.apply(&entry("op", 1, 1, &register("other", OrgKind::Operator, 1))),
        Err(StateError::BadGenesis)
    );
    assert!(matches!(
        s.apply(&entry("op", 9, 1, &register("op", OrgKind::Operator, 1))),
        Err(StateError::Signature(_))
    ));
    assert_eq!(s.size(), 0);
    s.apply(&entry("op", 1, 1, &register("op", OrgKind::Operator, 1)))
        .unwrap();
    assert_eq!(s.operator(), Some(&name("op")));
}

#[test]
fn signer_rules() {
    let mut s = state();
    let size = s.size();
    let cmd = Command::CreateTransfers(vec![transfer(10, 1, 2, 5)]);
    assert_eq!(
        s.apply(&entry("nobody", 2, 5, &cmd)),
        Err(StateError::UnknownSigner("nobody".into()))
    );
    assert!(matches!(
        s.apply(&entry("svb", 3, 5, &cmd)),
        Err(StateError::Signature(_))
    ));
    assert_eq!(
        s.apply(&entry("svb", 2, 5, &register("x", OrgKind::Participant, 4))),
        Err(StateError::OperatorOnly("register organisations"))
    );
    assert_eq!(
        s.apply(&entry(
            "op",
            1,
            5,
            &register("svb", OrgKind::Participant, 5)
        )),
        Err(StateError::OrgExists("svb".into()))
    );
    assert_eq!(
        s.apply(&entry("op", 1, 5, &register("op2", OrgKind::Operator, 5))),
        Err(StateError::SecondOperator)
    );
    assert_eq!(
        s.apply(&entry("svb", 2, 0, &cmd)),
        Err(StateError::TimestampGoesBack {
            got: 0,
            previous: 3
        })
    );
    assert_eq!(s.size(), size);
    // Re-registering identically is an idempotent retry.
    assert_eq!(
        s.apply(&entry(
            "op",
            1,
            5,
            &register("svb", OrgKind::Participant, 2)
        ))
        .unwrap()
        .existing,
        1
    );
}

#[test]
fn a_rejected_event_rejects_the_whole_entry() {
    let mut s = state();
    let before = s.digest();
    let cmd = Command::CreateTransfers(vec![transfer(10, 1, 2, 500), transfer(11, 2, 1, 501)]);
    let err = s.apply(&entry("svb", 2, 5, &cmd)).unwrap_err();
    let StateError::Rejected { total: 2, rejected } = &err else {
        panic!("{err}")
    };
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].0, 1);
    assert_eq!(s.digest(), before);
    assert!(s.book().transfer(10).is_none());
    let ok = Command::CreateTransfers(vec![transfer(10, 1, 2, 500), transfer(11, 2, 1, 500)]);
    assert_eq!(s.apply(&entry("svb", 2, 5, &ok)).unwrap().created, 2);
    assert_eq!(s.apply(&entry("svb", 2, 6, &ok)).unwrap().existing, 2);
}

#[test]
fn erasure_rules() {
    let mut s = state();
    let attach = Command::Attach {
        subject: 7,
        kind: "consent".into(),
        data: b"naam: ...".to_vec(),
    };
    s.apply(&entry("svb", 2, 5, &attach)).unwrap();
    let at = s.size() - 1;
    let erase = |i| Command::Erase {
        index: i,
        reason: "AVG request 1".into(),
    };
    assert_eq!(
        s.apply(&entry("svb", 2, 6, &erase(at))),
        Err(StateError::OperatorOnly("authorise an erasure"))
    );
    assert_eq!(
        s.apply(&entry("op", 1, 6, &erase(2))),
        Err(StateError::NotErasable(2))
    );
    s.apply(&entry("op", 1, 6, &erase(at))).unwrap();
    assert!(s.erased().contains(&at));
}

#[test]
fn malformed_bodies_are_precise() {
    let mut s = state();
    let e = SignedEntry::sign(name("svb"), 9, vec![12, 1, 2], &key(2));
    let err = s.apply(&e).unwrap_err().to_string();
    assert_eq!(
        err,
        "entry body is not a valid command: byte 0: field `command`: a command tag 1-11, found 12"
    );
    let mut body = Command::CreateTransfers(vec![transfer(1, 1, 2, 3)]).encode();
    body.truncate(50);
    let err = s
        .apply(&SignedEntry::sign(name("svb"), 9, body, &key(2)))
        .unwrap_err()
        .to_string();
    assert!(err.contains("transfer."), "{err}");
}

fn agreement(json: &str) -> knop_huishoudboekje::Agreement {
    serde_json::from_str(json).unwrap()
}

#[test]
fn households_need_the_opt_in_and_keep_personal_data_off() {
    use knop_state::HouseholdCommand as H;
    let mut s = state();
    let cmd = |h: H| Command::Household(h);
    let rent = agreement(
        r#"{"id": "huur", "kind": "fixed_cost", "amount_cents": 78000, "schedule": {"monthly": {"day": 1}}, "counterparty_iban": "NL44RABO0123456789"}"#,
    );
    // No agreement before the resident opted in.
    let e = s
        .apply(&entry(
            "svb",
            2,
            10,
            &cmd(H::SetAgreement {
                household: HouseholdId(7),
                agreement: rent.clone(),
            }),
        ))
        .unwrap_err();
    assert!(e.to_string().contains("not open"), "{e}");
    let open = cmd(H::Open {
        household: HouseholdId(7),
        counsellor: "bb-utrecht-12".into(),
        information: "knop-info-v1".into(),
    });
    s.apply(&entry("svb", 2, 11, &open)).unwrap();
    assert_eq!(s.apply(&entry("svb", 2, 12, &open)).unwrap().existing, 1);
    s.apply(&entry(
        "svb",
        2,
        13,
        &cmd(H::SetAgreement {
            household: HouseholdId(7),
            agreement: rent.clone(),
        }),
    ))
    .unwrap();
    assert_eq!(
        s.apply(&entry(
            "svb",
            2,
            14,
            &cmd(H::SetAgreement {
                household: HouseholdId(7),
                agreement: rent.clone()
            })
        ))
        .unwrap()
        .existing,
        1
    );
    // The resident's own IBAN on living money is refused.
    let living = agreement(
        r#"{"id": "leefgeld", "kind": "living_money", "amount_cents": 7500, "schedule": {"weekly": {"weekday": "monday"}}, "counterparty_iban": "NL91ABNA0417164300"}"#,
    );
    let e = s
        .apply(&entry(
            "svb",
            2,
            15,
            &cmd(H::SetAgreement {
                household: HouseholdId(7),
                agreement: living,
            }),
        ))
        .unwrap_err();
    assert!(e.to_string().contains("personal data"), "{e}");
    // Ending and withdrawing.
    let through = "2026-06-30".parse().unwrap();
    s.apply(&entry(
        "svb",
        2,
        16,
        &cmd(H::EndAgreement {
            household: HouseholdId(7),
            agreement: "huur".into(),
            through,
        }),
    ))
    .unwrap();
    assert_eq!(
        s.households()[&HouseholdId(7)].agreements["huur"].valid_through,
        Some(through)
    );
    assert!(
        s.apply(&entry(
            "svb",
            2,
            17,
            &cmd(H::Revoke {
                household: HouseholdId(7),
                effective_ms: 5
            })
        ))
        .is_err(),
        "effective before now"
    );
    s.apply(&entry(
        "svb",
        2,
        18,
        &cmd(H::Revoke {
            household: HouseholdId(7),
            effective_ms: 100,
        }),
    ))
    .unwrap();
    let e = s
        .apply(&entry(
            "svb",
            2,
            120,
            &cmd(H::SetAgreement {
                household: HouseholdId(7),
                agreement: rent,
            }),
        ))
        .unwrap_err();
    assert!(e.to_string().contains("withdrew"), "{e}");
    // The encoding round-trips through an entry.
    let bytes = cmd(H::EndAgreement {
        household: HouseholdId(7),
        agreement: "huur".into(),
        through,
    })
    .encode();
    assert_eq!(
        Command::decode(&bytes).unwrap(),
        cmd(H::EndAgreement {
            household: HouseholdId(7),
            agreement: "huur".into(),
            through
        })
    );
}

#[test]
fn payment_runs_need_four_eyes_on_the_ledger() {
    use knop_state::HouseholdCommand as H;
    use knop_state::PaymentRunCommand as P;
    use sha2::{Digest, Sha256};
    let mut s = state();
    let run = |c: P| Command::PaymentRun(c);
    let content = br#"{"items":[{"cents":78000}]}"#.to_vec();
    let create = run(P::Create {
        run_id: "KNOP-RUN-1".into(),
        household: HouseholdId(7),
        created_by: "consulent-a".into(),
        content: content.clone(),
    });
    // No run for a household that is not on the ledger.
    let e = s.apply(&entry("svb", 2, 10, &create)).unwrap_err();
    assert!(e.to_string().contains("not on the ledger"), "{e}");
    s.apply(&entry(
        "svb",
        2,
        11,
        &Command::Household(H::Open {
            household: HouseholdId(7),
            counsellor: "c".into(),
            information: "knop-info-v1".into(),
        }),
    ))
    .unwrap();
    s.apply(&entry("svb", 2, 12, &create)).unwrap();
    // A retry is recognised; the same id with other content is refused.
    assert_eq!(s.apply(&entry("svb", 2, 13, &create)).unwrap().existing, 1);
    let other = run(P::Create {
        run_id: "KNOP-RUN-1".into(),
        household: HouseholdId(7),
        created_by: "consulent-a".into(),
        content: b"{}".to_vec(),
    });
    let e = s.apply(&entry("svb", 2, 14, &other)).unwrap_err();
    assert!(e.to_string().contains("other content"), "{e}");
    let digest: [u8; 32] = Sha256::digest(&content).into();
    let approve = |by: &str, d: [u8; 32]| {
        run(P::Approve {
            run_id: "KNOP-RUN-1".into(),
            content_sha256: d,
            by: by.into(),
        })
    };
    // The maker may not approve; an approval of other content is refused.
    let e = s
        .apply(&entry("svb", 2, 15, &approve("consulent-a", digest)))
        .unwrap_err();
    assert!(e.to_string().contains("four eyes"), "{e}");
    let e = s
        .apply(&entry("svb", 2, 16, &approve("controleur", [0; 32])))
        .unwrap_err();
    assert!(e.to_string().contains("other content"), "{e}");
    let e = s
        .apply(&entry("svb", 2, 16, &approve(" ", digest)))
        .unwrap_err();
    assert!(e.to_string().contains("person"), "{e}");
    assert!(!s.runs()["KNOP-RUN-1"].approved());
    s.apply(&entry("svb", 2, 17, &approve("controleur", digest)))
        .unwrap();
    assert!(s.runs()["KNOP-RUN-1"].approved());
    assert_eq!(
        s.apply(&entry("svb", 2, 18, &approve("controleur", digest)))
            .unwrap()
            .existing,
        1
    );
    let e = s
        .apply(&entry(
            "svb",
            2,
            19,
            &run(P::Approve {
                run_id: "KNOP-RUN-2".into(),
                content_sha256: digest,
                by: "controleur".into(),
            }),
        ))
        .unwrap_err();
    assert!(e.to_string().contains("no such run"), "{e}");
    // The encoding round-trips, and a bad sub-tag is a precise error.
    assert_eq!(Command::decode(&create.encode()).unwrap(), create);
    let mut bad = create.encode();
    bad[1] = 9;
    let e = Command::decode(&bad).unwrap_err();
    assert!(e.to_string().contains("run.command"), "{e}");
}

#[test]
fn a_household_gets_its_own_advance_limit_on_the_ledger() {
    use knop_state::HouseholdCommand as H;
    let mut s = state();
    let cmd = |h: H| Command::Household(h);
    let limit = |cents| {
        cmd(H::SetAdvanceLimit {
            household: HouseholdId(7),
            cents,
        })
    };
    let e = s.apply(&entry("svb", 2, 10, &limit(50_000))).unwrap_err();
    assert!(e.to_string().contains("not open"), "{e}");
    let open = cmd(H::Open {
        household: HouseholdId(7),
        counsellor: "bb-utrecht-12".into(),
        information: "knop-info-v1".into(),
    });
    s.apply(&entry("svb", 2, 11, &open)).unwrap();
    assert_eq!(s.households()[&HouseholdId(7)].advance_limit_cents, None);
    s.apply(&entry("svb", 2, 12, &limit(50_000))).unwrap();
    assert_eq!(
        s.households()[&HouseholdId(7)].advance_limit_cents,
        Some(50_000)
    );
    assert_eq!(
        s.apply(&entry("svb", 2, 13, &limit(50_000)))
            .unwrap()
            .existing,
        1
    );
    s.apply(&entry("svb", 2, 14, &limit(0))).unwrap();
    assert_eq!(s.households()[&HouseholdId(7)].advance_limit_cents, Some(0));
    // Opening again keeps it.
    s.apply(&entry("svb", 2, 15, &open)).unwrap();
    assert_eq!(s.households()[&HouseholdId(7)].advance_limit_cents, Some(0));
    // Round trip; out of range is refused when decoded, naming the field.
    let bytes = limit(150_000).encode();
    assert_eq!(Command::decode(&bytes).unwrap(), limit(150_000));
    for bad in [-1, knop_state::ADVANCE_LIMIT_CENTS_MAX + 1] {
        let err = Command::decode(&limit(bad).encode())
            .unwrap_err()
            .to_string();
        assert!(err.contains("household.advance_limit"), "{err}");
    }
    s.apply(&entry(
        "svb",
        2,
        16,
        &cmd(H::Revoke {
            household: HouseholdId(7),
            effective_ms: 20,
        }),
    ))
    .unwrap();
    let e = s.apply(&entry("svb", 2, 30, &limit(1))).unwrap_err();
    assert!(e.to_string().contains("withdrew"), "{e}");
}

#[test]
fn a_signature_checked_ahead_is_trusted_only_under_the_signers_registered_key() {
    let cmd = Command::CreateTransfers(vec![transfer(10, 1, 2, 5)]);
    // Checked under the key it was made with: applied as `apply` would.
    let mut s = state();
    let v = Verified::check(entry("svb", 2, 5, &cmd), key(2).verifying_key()).unwrap();
    assert_eq!(v.entry(), &entry("svb", 2, 5, &cmd));
    let mut t = state();
    assert_eq!(s.apply_verified(&v), t.apply(&entry("svb", 2, 5, &cmd)));
    assert_eq!(s.size(), t.size());
    // A wrong key is refused by the check itself.
    assert!(matches!(
        Verified::check(entry("svb", 2, 5, &cmd), key(3).verifying_key()),
        Err(StateError::Signature(_))
    ));
    // ... and the check that hands a refused entry back returns it unchanged, for applying
    // with the state's own check.
    match Verified::check_or_return(entry("svb", 2, 5, &cmd), key(3).verifying_key())
        .map_err(|b| *b)
    {
        Err((back, StateError::Signature(_))) => assert_eq!(back, entry("svb", 2, 5, &cmd)),
        other => panic!("expected the entry back with a signature error, got {other:?}"),
    }
    // Signed and checked under a key that is not the signer's: the state checks again, under
    // the registered key, and refuses it.
    let mut s = state();
    let size = s.size();
    let forged = Verified::check(entry("svb", 3, 5, &cmd), key(3).verifying_key()).unwrap();
    assert!(matches!(
        s.apply_verified(&forged),
        Err(StateError::Signature(_))
    ));
    assert_eq!(s.size(), size, "nothing applied");
}

fn household_open(h: u128) -> Command {
    Command::Household(knop_state::HouseholdCommand::Open {
        household: HouseholdId(h),
        counsellor: "c".into(),
        information: "v1".into(),
    })
}

fn run_create(run_id: &str, h: u128, content: &[u8]) -> Command {
    Command::PaymentRun(knop_state::PaymentRunCommand::Create {
        run_id: run_id.into(),
        household: HouseholdId(h),
        created_by: "alice".into(),
        content: content.to_vec(),
    })
}

#[test]
fn a_together_entry_applies_all_its_parts_or_none() {
    let mut s = state();
    s.apply(&entry("svb", 2, 4, &household_open(7))).unwrap();
    let account = |id| Account {
        id,
        currency: EUR,
        code: 1,
        flags: AccountFlags(0),
        user_data: 0,
    };
    // Accounts, a transfer and a run: one entry.
    let together = Command::Together(vec![
        Command::CreateAccounts(vec![account(10)]),
        Command::CreateTransfers(vec![transfer(100, 10, 1, 500)]),
        run_create("R1", 7, b"run"),
    ]);
    let o = s.apply(&entry("svb", 2, 5, &together)).unwrap();
    assert_eq!((o.created, o.existing), (3, 0));
    assert!(s.runs().contains_key("R1"));
    assert_eq!(s.book().account(10).unwrap().debits_posted, Cents(500));
    // The same entry again: everything exists, nothing changes.
    let digest = s.digest();
    let o = s.apply(&entry("svb", 2, 6, &together)).unwrap();
    assert_eq!((o.created, o.existing), (0, 3));
    assert_eq!(s.book().account(10).unwrap().debits_posted, Cents(500));
    // A last part that is refused (the household is not open) rolls the book parts back.
    let before = (s.book().transfer_count(), s.book().account(11).is_none());
    let refused = Command::Together(vec![
        Command::CreateAccounts(vec![account(11)]),
        Command::CreateTransfers(vec![transfer(101, 11, 1, 700)]),
        run_create("R2", 8, b"run"),
    ]);
    let e = s.apply(&entry("svb", 2, 7, &refused)).unwrap_err();
    assert!(
        matches!(&e, StateError::Part { part: 2, parts: 3, error } if matches!(**error, StateError::PaymentRun { .. })),
        "{e}"
    );
    assert_eq!(
        e.to_string(),
        "part 2 of 3: payment run R2: the household is not on the ledger"
    );
    assert_eq!(
        (s.book().transfer_count(), s.book().account(11).is_none()),
        before
    );
    assert!(!s.runs().contains_key("R2"));
    // A book part that is refused leaves the run unrecorded and the other book part undone.
    let refused = Command::Together(vec![
        Command::CreateAccounts(vec![account(12)]),
        Command::CreateTransfers(vec![transfer(102, 12, 99, 700)]),
        run_create("R3", 7, b"run"),
    ]);
    let e = s.apply(&entry("svb", 2, 8, &refused)).unwrap_err();
    assert!(matches!(&e, StateError::Part { part: 1, .. }), "{e}");
    assert!(s.book().account(12).is_none());
    assert!(!s.runs().contains_key("R3"));
    // Refused entries take no place in the log; the idempotent retry does.
    assert_ne!(s.digest(), digest);
    assert_eq!(s.size(), 6);
}

#[test]
fn a_together_entry_holds_book_parts_then_one_domain_part() {
    let bad: [(Vec<Command>, &str); 5] = [
        (vec![], "1 to 16 parts, found 0"),
        (
            vec![household_open(1), Command::CreateAccounts(vec![])],
            "part 0: a household part must be the last part",
        ),
        (
            vec![register("x", OrgKind::Participant, 9)],
            "part 0: a register-org cannot be a part",
        ),
        (
            vec![Command::Erase {
                index: 1,
                reason: "r".into(),
            }],
            "part 0: a erase cannot be a part",
        ),
        (
            (0..17).map(|_| Command::CreateAccounts(vec![])).collect(),
            "at most 16 items, count says 17",
        ),
    ];
    for (parts, why) in bad {
        let body = Command::Together(parts).encode();
        let e = Command::decode(&body).unwrap_err();
        assert!(e.to_string().contains(why), "{e} / {why}");
        // Applied as an entry, it is refused as malformed and changes nothing.
        let mut s = state();
        let size = s.size();
        let e = SignedEntry::sign(name("svb"), 9, body, &key(2));
        assert!(matches!(s.apply(&e), Err(StateError::Malformed(_))));
        assert_eq!(s.size(), size);
    }
    // No together inside a together.
    let nested = Command::Together(vec![Command::Together(vec![Command::CreateAccounts(
        vec![],
    )])]);
    let e = Command::decode(&nested.encode()).unwrap_err();
    assert!(
        e.to_string().contains("a together inside a together"),
        "{e}"
    );
    // A well-formed one reads back as written.
    let ok = Command::Together(vec![
        Command::CreateAccounts(vec![]),
        Command::CreateTransfers(vec![transfer(1, 1, 2, 5)]),
        household_open(3),
    ]);
    assert_eq!(Command::decode(&ok.encode()).unwrap(), ok);
}

/// One field of the state that a command sets, with two values.
#[derive(Debug, Clone)]
enum Field {
    Counsellor(String),
    Information(String),
    AdvanceLimit(i64),
    OrgKind(u8),
    RunMaker(String),
    Approver(String),
    Attachment(u8),
    Timestamp(u64),
    ClaimCents(i64),
    EventCents(i64),
    DeclarationIndex(u32),
    HoldDays(u8),
    SpendCents(i64),
}

/// The state after the same history, with `field` set to its value: a household opened, an
/// organisation registered, a run made and approved, an attachment, at a timestamp.
fn history(field: &Field) -> State {
    use knop_state::HouseholdCommand as H;
    use sha2::Digest;
    let mut s = state();
    let (mut counsellor, mut information) = ("c".to_owned(), "v1".to_owned());
    let (mut maker, mut approver, mut kind) =
        ("alice".to_owned(), "bob".to_owned(), OrgKind::Creditor);
    let (mut advance, mut attachment, mut ts) = (500, 1u8, 100u64);
    let (mut claim_cents, mut event_cents) = (10_000i64, 500i64);
    let (mut declaration_index, mut hold_days) = (7u32, 10u8);
    let mut spend_cents = 1_000i64;
    match field.clone() {
        Field::Counsellor(c) => counsellor = c,
        Field::Information(i) => information = i,
        Field::AdvanceLimit(a) => advance = a,
        Field::OrgKind(k) => kind = OrgKind::ALL[k as usize % 7 + 1],
        Field::RunMaker(m) => maker = m,
        Field::Approver(a) => approver = a,
        Field::Attachment(a) => attachment = a,
        Field::Timestamp(t) => ts = t,
        Field::ClaimCents(c) => claim_cents = c,
        Field::EventCents(c) => event_cents = c,
        Field::DeclarationIndex(i) => declaration_index = i,
        Field::HoldDays(d) => hold_days = d,
        Field::SpendCents(c) => spend_cents = c,
    }
    let open = Command::Household(H::Open {
        household: HouseholdId(5),
        counsellor,
        information,
    });
    s.apply(&entry("svb", 2, 10, &open)).unwrap();
    let limit = Command::Household(H::SetAdvanceLimit {
        household: HouseholdId(5),
        cents: advance,
    });
    s.apply(&entry("svb", 2, 11, &limit)).unwrap();
    s.apply(&entry("op", 1, 12, &register("eneco", kind, 7)))
        .unwrap();
    let run = Command::PaymentRun(knop_state::PaymentRunCommand::Create {
        run_id: "R".into(),
        household: HouseholdId(5),
        created_by: maker,
        content: b"content".to_vec(),
    });
    s.apply(&entry("svb", 2, 13, &run)).unwrap();
    let approve = Command::PaymentRun(knop_state::PaymentRunCommand::Approve {
        run_id: "R".into(),
        content_sha256: sha2::Sha256::digest(b"content").into(),
        by: approver,
    });
    s.apply(&entry("svb", 2, 14, &approve)).unwrap();
    let attach = Command::Attach {
        subject: 5,
        kind: "consent".into(),
        data: vec![attachment],
    };
    s.apply(&entry("svb", 2, ts, &attach)).unwrap();
    let claim = Command::Claim(knop_state::ClaimCommand::Open {
        claim: "K".into(),
        household: HouseholdId(5),
        creditor: knop_state::Creditor::Named("DUO".into()),
        reference: "studieschuld".into(),
        principal_cents: claim_cents,
        date: "2026-01-01".parse().unwrap(),
    });
    s.apply(&entry("svb", 2, ts, &claim)).unwrap();
    let costs = Command::Claim(knop_state::ClaimCommand::Event {
        claim: "K".into(),
        event: "e1".into(),
        kind: knop_state::EventKind::Costs,
        cents: event_cents,
        date: "2026-02-01".parse().unwrap(),
    });
    s.apply(&entry("svb", 2, ts, &costs)).unwrap();
    s.apply(&entry(
        "op",
        1,
        ts,
        &register("gemeente", OrgKind::Municipality, 9),
    ))
    .unwrap();
    s.apply(&entry(
        "gemeente",
        9,
        ts,
        &issue([1; 32], 5, declaration_index),
    ))
    .unwrap();
    let hold = Command::Claim(knop_state::ClaimCommand::Hold {
        claim: "K".into(),
        declaration: [1; 32],
        from: "2026-03-01".parse().unwrap(),
        until: "2026-03-01"
            .parse::<jiff::civil::Date>()
            .unwrap()
            .saturating_add(jiff::Span::new().days(i64::from(hold_days))),
        pauses: knop_state::Pauses::ALL,
    });
    s.apply(&entry("svb", 2, ts, &hold)).unwrap();
    s.apply(&entry(
        "op",
        1,
        ts,
        &register("winkel", OrgKind::Merchant, 20),
    ))
    .unwrap();
    use knop_state::KindpakketCommand as K;
    for cmd in [
        K::OpenFund {
            fund: "f".into(),
            child_cents: 30_000,
            from: "2026-01-01".parse().unwrap(),
            until: "2026-12-31".parse().unwrap(),
            categories: 127,
            cap_cents: 30_000,
        },
        K::AcceptMerchant {
            fund: "f".into(),
            merchant: name("winkel"),
            categories: 1,
        },
        K::IssueVoucher {
            voucher: "v".into(),
            fund: "f".into(),
            household: HouseholdId(5),
        },
    ] {
        s.apply(&entry("gemeente", 9, ts, &Command::Kindpakket(cmd)))
            .unwrap();
    }
    let spend = K::Spend {
        spend: "s".into(),
        voucher: "v".into(),
        merchant: name("winkel"),
        category: knop_state::Category::Sport,
        cents: spend_cents,
        date: "2026-05-01".parse().unwrap(),
    };
    s.apply(&entry("winkel", 20, ts, &Command::Kindpakket(spend)))
        .unwrap();
    s
}

fn issue(id: [u8; 32], h: u128, index: u32) -> Command {
    Command::Declaration(knop_state::DeclarationCommand::Issue {
        id,
        household: HouseholdId(h),
        index,
        from: "2026-03-01".parse().unwrap(),
        until: "2026-10-31".parse().unwrap(),
    })
}

fn text() -> impl proptest::strategy::Strategy<Value = String> {
    "[a-z]{1,8}"
}

fn field() -> impl proptest::strategy::Strategy<Value = (Field, Field)> {
    use proptest::prelude::*;
    prop_oneof![
        (text(), text()).prop_map(|(a, b)| (Field::Counsellor(a), Field::Counsellor(b))),
        (text(), text()).prop_map(|(a, b)| (Field::Information(a), Field::Information(b))),
        (0..=1_000_000i64, 0..=1_000_000i64)
            .prop_map(|(a, b)| (Field::AdvanceLimit(a), Field::AdvanceLimit(b))),
        (0..7u8, 0..7u8).prop_map(|(a, b)| (Field::OrgKind(a), Field::OrgKind(b))),
        (text(), text())
            .prop_filter("maker and approver differ", |(a, b)| a != "bob"
                && b != "bob")
            .prop_map(|(a, b)| (Field::RunMaker(a), Field::RunMaker(b))),
        (text(), text())
            .prop_filter("maker and approver differ", |(a, b)| a != "alice"
                && b != "alice")
            .prop_map(|(a, b)| (Field::Approver(a), Field::Approver(b))),
        (any::<u8>(), any::<u8>()).prop_map(|(a, b)| (Field::Attachment(a), Field::Attachment(b))),
        (14..1000u64, 14..1000u64).prop_map(|(a, b)| (Field::Timestamp(a), Field::Timestamp(b))),
        (0..=1_000_000i64, 0..=1_000_000i64)
            .prop_map(|(a, b)| (Field::ClaimCents(a), Field::ClaimCents(b))),
        (0..=1_000_000i64, 0..=1_000_000i64)
            .prop_map(|(a, b)| (Field::EventCents(a), Field::EventCents(b))),
        (0..1_000_000u32, 0..1_000_000u32)
            .prop_map(|(a, b)| (Field::DeclarationIndex(a), Field::DeclarationIndex(b))),
        (0..200u8, 0..200u8).prop_map(|(a, b)| (Field::HoldDays(a), Field::HoldDays(b))),
        (1..=30_000i64, 1..=30_000i64)
            .prop_map(|(a, b)| (Field::SpendCents(a), Field::SpendCents(b))),
    ]
}

/// What a field's value is, to compare: the same value must give the same digest.
fn value(f: &Field) -> String {
    match f {
        // Kinds are drawn modulo the non-operator kinds.
        Field::OrgKind(k) => format!("kind {}", k % 7),
        // An attachment's content is not state (it is erasable): only its place counts.
        Field::Attachment(_) => "attachment".into(),
        other => format!("{other:?}"),
    }
}

proptest::proptest! {
    /// Two histories that differ in one field give different digests; the same history gives
    /// the same digest.
    #[test]
    fn changing_any_field_of_the_state_changes_the_digest((a, b) in field()) {
        let (x, y) = (history(&a), history(&b));
        if value(&a) == value(&b) {
            proptest::prop_assert_eq!(x.digest(), y.digest());
        } else {
            proptest::prop_assert_ne!(x.digest(), y.digest(), "{:?} / {:?}", a, b);
        }
    }
}

#[test]
fn an_organisation_submits_only_what_its_kind_may() {
    use knop_state::HouseholdCommand as H;
    let mut s = state();
    s.apply(&entry("op", 1, 4, &register("cjib", OrgKind::Creditor, 5)))
        .unwrap();
    s.apply(&entry(
        "op",
        1,
        5,
        &register("accountant", OrgKind::Auditor, 6),
    ))
    .unwrap();
    let open = Command::Household(H::Open {
        household: HouseholdId(9),
        counsellor: "c".into(),
        information: "v1".into(),
    });
    let e = s.apply(&entry("cjib", 5, 6, &open)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "a creditor may not submit a household command (only: participant, foundation)"
    );
    let accounts = Command::CreateAccounts(vec![]);
    let e = s.apply(&entry("accountant", 6, 7, &accounts)).unwrap_err();
    assert!(
        matches!(
            e,
            StateError::KindMayNot {
                kind: OrgKind::Auditor,
                ..
            }
        ),
        "{e}"
    );
    // A together of book parts and a household part needs a kind that may do both.
    let together = Command::Together(vec![Command::CreateAccounts(vec![]), open.clone()]);
    let e = s.apply(&entry("cjib", 5, 8, &together)).unwrap_err();
    assert!(e.to_string().contains("may not submit a together"), "{e}");
    // A creditor may book; the foundation (a participant from before kinds) may open.
    s.apply(&entry("cjib", 5, 9, &accounts)).unwrap();
    s.apply(&entry("svb", 2, 10, &open)).unwrap();
    // An unknown kind code in a registration is a precise decode error.
    let mut body = register("x", OrgKind::Payer, 8).encode();
    let at = body.len() - 33;
    body[at] = 9;
    let e = Command::decode(&body).unwrap_err().to_string();
    assert!(
        e.contains("an organisation kind 1-8") && e.contains("found 9"),
        "{e}"
    );
}

#[test]
fn a_day_file_records_all_its_runs_or_none_and_is_approved_at_once() {
    use knop_state::PaymentRunCommand as P;
    use knop_state::{batch_sha256, BatchRun};
    use sha2::{Digest, Sha256};
    let mut s = state();
    for h in [7, 8] {
        s.apply(&entry("svb", 2, 3 + h as u64, &household_open(h)))
            .unwrap();
    }
    let runs = |ids: &[(&str, u128)]| -> Vec<BatchRun> {
        ids.iter()
            .map(|(id, h)| BatchRun {
                run_id: (*id).into(),
                household: HouseholdId(*h),
                content: format!("content of {id}").into_bytes(),
            })
            .collect()
    };
    let create = |id: &str, rs: Vec<BatchRun>| {
        Command::PaymentRun(P::CreateBatch {
            batch_id: id.into(),
            created_by: "consulent-a".into(),
            runs: rs,
        })
    };
    // One run of a household that is not on the ledger refuses the whole day file.
    let e = s
        .apply(&entry(
            "svb",
            2,
            20,
            &create("D1", runs(&[("R7", 7), ("R9", 9)])),
        ))
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("R9: the household is not on the ledger"),
        "{e}"
    );
    assert!(s.runs().is_empty() && s.batches().is_empty());
    // A run twice, or none, is refused.
    for bad in [runs(&[("R7", 7), ("R7", 8)]), vec![]] {
        let e = s
            .apply(&entry("svb", 2, 21, &create("D1", bad)))
            .unwrap_err();
        assert!(e.to_string().contains("1 to 1000 runs, each once"), "{e}");
    }
    let day = create("D1", runs(&[("R7", 7), ("R8", 8)]));
    assert_eq!(Command::decode(&day.encode()).unwrap(), day);
    assert_eq!(s.apply(&entry("svb", 2, 22, &day)).unwrap().created, 2);
    assert_eq!(s.runs()["R8"].batch.as_deref(), Some("D1"));
    assert_eq!(s.batches()["D1"].runs, ["R7", "R8"]);
    // A retry is recognised; a run already on the ledger can't be in another day file.
    let digest = s.digest();
    assert_eq!(s.apply(&entry("svb", 2, 23, &day)).unwrap().existing, 2);
    let e = s
        .apply(&entry("svb", 2, 24, &create("D2", runs(&[("R8", 8)]))))
        .unwrap_err();
    assert!(
        e.to_string().contains("R8: is on the ledger already"),
        "{e}"
    );
    // Approved at once, by another person, for exactly this content.
    let sha = batch_sha256(["R7", "R8"].iter().map(|id| {
        let d: [u8; 32] = Sha256::digest(format!("content of {id}")).into();
        (*id, d)
    }));
    assert_eq!(s.batches()["D1"].sha256, sha);
    let approve = |by: &str, sha| {
        Command::PaymentRun(P::ApproveBatch {
            batch_id: "D1".into(),
            batch_sha256: sha,
            by: by.into(),
        })
    };
    for (by, sha, why) in [
        ("consulent-a", sha, "four eyes"),
        ("controleur", [0; 32], "other content"),
        (" ", sha, "person"),
    ] {
        let e = s
            .apply(&entry("svb", 2, 25, &approve(by, sha)))
            .unwrap_err();
        assert!(e.to_string().contains(why), "{e}");
    }
    let a = approve("controleur", sha);
    assert_eq!(Command::decode(&a.encode()).unwrap(), a);
    assert_eq!(s.apply(&entry("svb", 2, 26, &a)).unwrap().created, 2);
    assert!(s.runs()["R7"].approved() && s.runs()["R8"].approved());
    assert_eq!(s.apply(&entry("svb", 2, 27, &a)).unwrap().existing, 1);
    assert_ne!(s.digest(), digest, "approvals and day files are digested");
}

fn claim_open(claim: &str, h: u128, creditor: knop_state::Creditor, cents: i64) -> Command {
    Command::Claim(knop_state::ClaimCommand::Open {
        claim: claim.into(),
        household: HouseholdId(h),
        creditor,
        reference: "ref-1".into(),
        principal_cents: cents,
        date: "2026-03-01".parse().unwrap(),
    })
}

fn claim_event(claim: &str, id: &str, kind: knop_state::EventKind, cents: i64) -> Command {
    Command::Claim(knop_state::ClaimCommand::Event {
        claim: claim.into(),
        event: id.into(),
        kind,
        cents,
        date: "2026-04-01".parse().unwrap(),
    })
}

#[test]
fn debts_are_events_and_a_creditor_records_only_its_own() {
    use knop_state::{ClaimRejection as R, ClaimStatus, Creditor, EventKind as K};
    let mut s = state();
    s.apply(&entry("svb", 2, 10, &household_open(5))).unwrap();
    s.apply(&entry("op", 1, 11, &register("cjib", OrgKind::Creditor, 7)))
        .unwrap();
    s.apply(&entry("op", 1, 12, &register("duo", OrgKind::Creditor, 8)))
        .unwrap();
    s.apply(&entry(
        "op",
        1,
        13,
        &register("gemeente", OrgKind::Municipality, 9),
    ))
    .unwrap();
    let refused = |s: &mut State, signer: &str, seed: u8, cmd: &Command| {
        let size = s.size();
        let digest = s.digest();
        let ts = s.last_timestamp_ms();
        let e = s.apply(&entry(signer, seed, ts, cmd)).unwrap_err();
        assert_eq!((s.size(), s.digest()), (size, digest), "nothing applied");
        e
    };
    let rejection = |e: StateError| match e {
        StateError::Claim { rejection, .. } => rejection,
        other => panic!("not a claim rejection: {other}"),
    };
    let cjib = Creditor::Org(name("cjib"));
    // A creditor opens its own claim, not another's; the foundation opens any.
    let e = refused(&mut s, "duo", 8, &claim_open("C1", 5, cjib.clone(), 25_000));
    assert_eq!(rejection(e), R::NotYourClaim);
    s.apply(&entry(
        "cjib",
        7,
        20,
        &claim_open("C1", 5, cjib.clone(), 25_000),
    ))
    .unwrap();
    s.apply(&entry(
        "svb",
        2,
        21,
        &claim_open("D1", 5, Creditor::Named("Eneco".into()), 9_000),
    ))
    .unwrap();
    // The same again changes nothing; other details under the same id are refused.
    let again = s
        .apply(&entry(
            "cjib",
            7,
            22,
            &claim_open("C1", 5, cjib.clone(), 25_000),
        ))
        .unwrap();
    assert_eq!((again.created, again.existing), (0, 1));
    let e = refused(
        &mut s,
        "cjib",
        7,
        &claim_open("C1", 5, cjib.clone(), 26_000),
    );
    assert_eq!(rejection(e), R::ClaimExistsWithDifferent);
    // Unknown households, organisations that are no creditor, amounts out of range.
    let e = refused(
        &mut s,
        "svb",
        2,
        &claim_open("X", 6, Creditor::Named("A".into()), 1),
    );
    assert_eq!(rejection(e), R::UnknownHousehold(HouseholdId(6)));
    let e = refused(
        &mut s,
        "svb",
        2,
        &claim_open("X", 5, Creditor::Org(name("gemeente")), 1),
    );
    assert_eq!(rejection(e), R::NotACreditor("gemeente".into()));
    // A negative amount does not even decode.
    match refused(&mut s, "svb", 2, &claim_event("C1", "e", K::Costs, -1)) {
        StateError::Malformed(d) => assert_eq!(d.field, "claim.cents"),
        other => panic!("{other}"),
    }
    let e = refused(&mut s, "svb", 2, &claim_event("X", "e", K::Costs, 1));
    assert_eq!(rejection(e), R::UnknownClaim);
    // A municipality records no debts at all.
    assert!(matches!(
        refused(&mut s, "gemeente", 9, &claim_event("C1", "e", K::Costs, 1)),
        StateError::KindMayNot { .. }
    ));
    // Events: costs add, payments subtract, never below zero; another creditor may not.
    s.apply(&entry(
        "cjib",
        7,
        30,
        &claim_event("C1", "k1", K::Costs, 1_500),
    ))
    .unwrap();
    let e = refused(&mut s, "duo", 8, &claim_event("C1", "k2", K::Costs, 1));
    assert_eq!(rejection(e), R::NotYourClaim);
    let e = refused(&mut s, "cjib", 7, &claim_event("C1", "k1", K::Costs, 1_600));
    assert_eq!(rejection(e), R::EventExistsWithDifferent("k1".into()));
    s.apply(&entry(
        "svb",
        2,
        31,
        &claim_event("C1", "p1", K::Payment, 6_500),
    ))
    .unwrap();
    s.apply(&entry(
        "cjib",
        7,
        32,
        &claim_event("C1", "a1", K::Arrangement, 2_000),
    ))
    .unwrap();
    let c = &s.claims()["C1"];
    assert_eq!(c.left_cents(), 25_000 + 1_500 - 6_500);
    assert_eq!(c.status(), ClaimStatus::Arrangement);
    let e = refused(
        &mut s,
        "cjib",
        7,
        &claim_event("C1", "f1", K::Forgiven, 20_001),
    );
    assert_eq!(
        rejection(e),
        R::MoreThanLeft {
            cents: 20_001,
            left: 20_000
        }
    );
    s.apply(&entry(
        "cjib",
        7,
        33,
        &claim_event("C1", "f1", K::Forgiven, 20_000),
    ))
    .unwrap();
    assert_eq!(s.claims()["C1"].status(), ClaimStatus::Forgiven);
    assert_eq!(s.claims()["D1"].status(), ClaimStatus::Open);
    // The encoding reads back, and names its fields when it does not.
    for cmd in [
        claim_open("C1", 5, cjib.clone(), 25_000),
        claim_open("D1", 5, Creditor::Named("Eneco".into()), 9_000),
        claim_event("C1", "k1", K::Summons, 0),
    ] {
        assert_eq!(Command::decode(&cmd.encode()).unwrap(), cmd);
    }
    let mut bad = claim_event("C1", "k1", K::Costs, 5).encode();
    let kind_at = bad.len() - 4 - 8 - 1;
    bad[kind_at] = 99;
    let e = Command::decode(&bad).unwrap_err();
    assert_eq!(e.field, "claim.kind", "{e}");
}

#[test]
fn a_municipality_issues_declarations_and_a_creditor_holds_its_own_claim_on_one() {
    use knop_state::{
        ClaimCommand as C, ClaimRejection as R, Creditor, DeclarationCommand as D,
        DeclarationRejection as DR, DeclarationStatus as S, Pauses,
    };
    let mut s = state();
    s.apply(&entry("svb", 2, 10, &household_open(5))).unwrap();
    s.apply(&entry("svb", 2, 10, &household_open(6))).unwrap();
    s.apply(&entry("op", 1, 11, &register("cjib", OrgKind::Creditor, 7)))
        .unwrap();
    s.apply(&entry("op", 1, 11, &register("duo", OrgKind::Creditor, 8)))
        .unwrap();
    for (n, seed) in [("gemeente", 9), ("eindhoven", 10)] {
        s.apply(&entry(
            "op",
            1,
            12,
            &register(n, OrgKind::Municipality, seed),
        ))
        .unwrap();
    }
    let refused = |s: &mut State, signer: &str, seed: u8, cmd: &Command| {
        let (size, digest) = (s.size(), s.digest());
        let e = s
            .apply(&entry(signer, seed, s.last_timestamp_ms(), cmd))
            .unwrap_err();
        assert_eq!((s.size(), s.digest()), (size, digest), "nothing applied");
        e
    };
    let drej = |e: StateError| match e {
        StateError::Declaration { rejection, .. } => rejection,
        other => panic!("not a declaration rejection: {other}"),
    };
    let crej = |e: StateError| match e {
        StateError::Claim { rejection, .. } => rejection,
        other => panic!("not a claim rejection: {other}"),
    };
    // Only a municipality issues; the household must be on the ledger; indexes are unique.
    assert!(matches!(
        refused(&mut s, "svb", 2, &issue([1; 32], 5, 3)),
        StateError::KindMayNot { .. }
    ));
    assert_eq!(
        drej(refused(&mut s, "gemeente", 9, &issue([1; 32], 9, 3))),
        DR::UnknownHousehold(HouseholdId(9))
    );
    assert_eq!(
        drej(refused(&mut s, "gemeente", 9, &issue([1; 32], 5, 1 << 20))),
        DR::IndexOutOfRange(1 << 20)
    );
    let i = issue([1; 32], 5, 3);
    assert_eq!(Command::decode(&i.encode()).unwrap(), i);
    s.apply(&entry("gemeente", 9, 20, &i)).unwrap();
    assert_eq!(s.apply(&entry("gemeente", 9, 20, &i)).unwrap().existing, 1);
    assert_eq!(
        drej(refused(&mut s, "gemeente", 9, &issue([2; 32], 5, 3))),
        DR::IndexTaken(3)
    );
    // Another municipality has its own list: the same index is fine there.
    s.apply(&entry("eindhoven", 10, 20, &issue([3; 32], 6, 3)))
        .unwrap();
    assert_eq!(
        drej(refused(&mut s, "gemeente", 9, &issue([1; 32], 6, 3))),
        DR::ExistsWithDifferent
    );
    let backwards = Command::Declaration(D::Issue {
        id: [4; 32],
        household: HouseholdId(5),
        index: 4,
        from: "2026-03-01".parse().unwrap(),
        until: "2026-02-28".parse().unwrap(),
    });
    assert!(matches!(
        drej(refused(&mut s, "gemeente", 9, &backwards)),
        DR::Dates { .. }
    ));
    // Claims: CJIB's own, and one of a creditor known by name.
    s.apply(&entry(
        "cjib",
        7,
        21,
        &claim_open("C1", 5, Creditor::Org(name("cjib")), 25_000),
    ))
    .unwrap();
    s.apply(&entry(
        "svb",
        2,
        21,
        &claim_open("N1", 5, Creditor::Named("Eneco".into()), 9_000),
    ))
    .unwrap();
    let hold = |claim: &str, d: [u8; 32], until: &str, pauses: u8| {
        Command::Claim(C::Hold {
            claim: claim.into(),
            declaration: d,
            from: "2026-03-05".parse().unwrap(),
            until: until.parse().unwrap(),
            pauses: Pauses(pauses),
        })
    };
    let h = hold("C1", [1; 32], "2026-10-31", 7);
    assert_eq!(Command::decode(&h.encode()).unwrap(), h);
    // Another creditor, the foundation for a creditor on the ledger, another household's
    // declaration, a hold past the declaration, pausing nothing: all refused.
    assert_eq!(crej(refused(&mut s, "duo", 8, &h)), R::NotYourClaim);
    assert_eq!(crej(refused(&mut s, "svb", 2, &h)), R::CreditorSigns);
    assert_eq!(
        crej(refused(
            &mut s,
            "cjib",
            7,
            &hold("C1", [3; 32], "2026-10-31", 7)
        )),
        R::NoDeclaration
    );
    assert!(matches!(
        crej(refused(
            &mut s,
            "cjib",
            7,
            &hold("C1", [1; 32], "2026-11-01", 7)
        )),
        R::HoldDates { .. }
    ));
    assert_eq!(
        crej(refused(
            &mut s,
            "cjib",
            7,
            &hold("C1", [1; 32], "2026-10-31", 0)
        )),
        R::BadPauses(0)
    );
    s.apply(&entry("cjib", 7, 22, &h)).unwrap();
    // Before the declaration's first day: refused. Replaced: the earlier hold is kept.
    let early = Command::Claim(C::Hold {
        claim: "C1".into(),
        declaration: [1; 32],
        from: "2026-02-28".parse().unwrap(),
        until: "2026-10-31".parse().unwrap(),
        pauses: Pauses::ALL,
    });
    assert!(matches!(
        crej(refused(&mut s, "cjib", 7, &early)),
        R::HoldDates { .. }
    ));
    s.apply(&entry("cjib", 7, 22, &hold("C1", [1; 32], "2026-09-30", 7)))
        .unwrap();
    assert_eq!(s.claims()["C1"].earlier_holds.len(), 1);
    s.apply(&entry("cjib", 7, 22, &h)).unwrap();
    assert_eq!(s.claims()["C1"].earlier_holds.len(), 2);
    s.apply(&entry("svb", 2, 22, &hold("N1", [1; 32], "2026-06-30", 2)))
        .unwrap();
    let day = |d: &str| d.parse::<jiff::civil::Date>().unwrap();
    let c = &s.claims()["C1"];
    let d = s.declarations().get(&[1; 32]);
    let held = c.hold.as_ref().unwrap();
    assert!(held.covers(day("2026-06-01"), d));
    assert!(!held.covers(day("2026-03-04"), d));
    assert!(Pauses(2).covers(knop_state::EventKind::Costs, 100));
    assert!(!Pauses(2).covers(knop_state::EventKind::Interest, 100));
    // Only the issuer changes the status; a suspension lifts the hold while it lasts, a
    // revocation ends it for good.
    let status = |st| {
        Command::Declaration(D::Status {
            id: [1; 32],
            status: st,
        })
    };
    assert_eq!(
        drej(refused(&mut s, "eindhoven", 10, &status(S::Revoked))),
        DR::NotYours("gemeente".into())
    );
    s.apply(&entry("gemeente", 9, 23, &status(S::Suspended)))
        .unwrap();
    let d = s.declarations().get(&[1; 32]);
    assert!(!s.claims()["C1"]
        .hold
        .as_ref()
        .unwrap()
        .covers(day("2026-06-01"), d));
    s.apply(&entry("gemeente", 9, 24, &status(S::Valid)))
        .unwrap();
    let digest = s.digest();
    s.apply(&entry("gemeente", 9, 25, &status(S::Revoked)))
        .unwrap();
    assert_ne!(s.digest(), digest, "a status is digested");
    let d = s.declarations().get(&[1; 32]);
    assert!(!s.claims()["C1"]
        .hold
        .as_ref()
        .unwrap()
        .covers(day("2026-06-01"), d));
    assert_eq!(
        drej(refused(&mut s, "gemeente", 9, &status(S::Valid))),
        DR::Final
    );
    // Ending a hold: the creditor's own, once, not before it starts.
    let end = |d: &str| {
        Command::Claim(C::EndHold {
            claim: "C1".into(),
            date: d.parse().unwrap(),
        })
    };
    assert_eq!(
        crej(refused(&mut s, "cjib", 7, &end("2026-03-01"))),
        R::NoHold
    );
    s.apply(&entry("cjib", 7, 26, &end("2026-04-01"))).unwrap();
    assert_eq!(
        s.apply(&entry("cjib", 7, 26, &end("2026-04-01")))
            .unwrap()
            .existing,
        1
    );
    assert_eq!(
        crej(refused(&mut s, "cjib", 7, &end("2026-04-02"))),
        R::NoHold
    );
}

#[test]
fn a_kindpakket_spend_books_only_when_every_rule_holds() {
    use knop_state::kindpakket::{voucher_account, KindpakketCommand as K};
    use knop_state::{Category, FundStatus, KindpakketRejection as R};
    let mut s = state();
    s.apply(&entry("svb", 2, 10, &household_open(5))).unwrap();
    for (n, kind, seed) in [
        ("gemeente", OrgKind::Municipality, 9),
        ("eindhoven", OrgKind::Municipality, 10),
        ("fietsenwinkel", OrgKind::Merchant, 20),
        ("slijterij", OrgKind::Merchant, 21),
        ("cjib", OrgKind::Creditor, 7),
    ] {
        s.apply(&entry("op", 1, 11, &register(n, kind, seed)))
            .unwrap();
    }
    let day = |d: &str| d.parse::<jiff::civil::Date>().unwrap();
    let kp = Command::Kindpakket;
    let refused = |s: &mut State, signer: &str, seed: u8, cmd: &Command| {
        let (size, digest) = (s.size(), s.digest());
        let e = s
            .apply(&entry(signer, seed, s.last_timestamp_ms(), cmd))
            .unwrap_err();
        assert_eq!((s.size(), s.digest()), (size, digest), "nothing applied");
        match e {
            StateError::Kindpakket { rejection, .. } => rejection,
            other => panic!("not a Kindpakket rejection: {other}"),
        }
    };
    let fund = kp(K::OpenFund {
        fund: "kp-2026".into(),
        child_cents: 30_000,
        from: day("2026-01-01"),
        until: day("2026-12-31"),
        categories: Category::Sport as u16 | Category::Bicycles as u16 | Category::School as u16,
        cap_cents: 25_000,
    });
    assert_eq!(Command::decode(&fund.encode()).unwrap(), fund);
    assert!(matches!(
        s.apply(&entry("cjib", 7, 12, &fund)).unwrap_err(),
        StateError::KindMayNot { .. }
    ));
    assert_eq!(refused(&mut s, "fietsenwinkel", 20, &fund), R::NotYourSpend);
    s.apply(&entry("gemeente", 9, 12, &fund)).unwrap();
    assert_eq!(
        s.apply(&entry("gemeente", 9, 12, &fund)).unwrap().existing,
        1
    );
    let accept = |m: &str, cats: u16| {
        kp(K::AcceptMerchant {
            fund: "kp-2026".into(),
            merchant: name(m),
            categories: cats,
        })
    };
    assert_eq!(
        refused(
            &mut s,
            "gemeente",
            9,
            &accept("cjib", Category::Bicycles as u16)
        ),
        R::NotAMerchant("cjib".into())
    );
    assert_eq!(
        refused(
            &mut s,
            "eindhoven",
            10,
            &accept("fietsenwinkel", Category::Bicycles as u16)
        ),
        R::NotYourFund("gemeente".into())
    );
    s.apply(&entry(
        "gemeente",
        9,
        13,
        &accept(
            "fietsenwinkel",
            Category::Bicycles as u16 | Category::Sport as u16,
        ),
    ))
    .unwrap();
    let voucher = kp(K::IssueVoucher {
        voucher: "v-1".into(),
        fund: "kp-2026".into(),
        household: HouseholdId(5),
    });
    assert_eq!(Command::decode(&voucher.encode()).unwrap(), voucher);
    s.apply(&entry("gemeente", 9, 14, &voucher)).unwrap();
    let left = |s: &State| {
        let a = s.book().account(voucher_account("v-1")).unwrap();
        a.credits_posted.0 - a.debits_posted.0
    };
    assert_eq!(left(&s), 30_000);
    let spend = |id: &str, m: &str, c: Category, cents: i64| {
        kp(K::Spend {
            spend: id.into(),
            voucher: "v-1".into(),
            merchant: name(m),
            category: c,
            cents,
            date: day("2026-06-01"),
        })
    };
    // The bike shop takes € 89,95 for a bicycle; the same spend again changes nothing.
    let bike = spend("s-1", "fietsenwinkel", Category::Bicycles, 8_995);
    assert_eq!(Command::decode(&bike.encode()).unwrap(), bike);
    s.apply(&entry("fietsenwinkel", 20, 15, &bike)).unwrap();
    assert_eq!(
        s.apply(&entry("fietsenwinkel", 20, 15, &bike))
            .unwrap()
            .existing,
        1
    );
    assert_eq!(left(&s), 30_000 - 8_995);
    assert_eq!(
        refused(
            &mut s,
            "fietsenwinkel",
            20,
            &spend("s-1", "fietsenwinkel", Category::Bicycles, 1)
        ),
        R::ExistsWithDifferent("spend s-1".into())
    );
    // The off-licence is not part of the fund; a category the fund or shop does not allow; over
    // the cap; in another shop's name; more than is left.
    assert_eq!(
        refused(
            &mut s,
            "slijterij",
            21,
            &spend("s-2", "slijterij", Category::Sport, 1_000)
        ),
        R::MerchantNotAccepted
    );
    assert_eq!(
        refused(
            &mut s,
            "fietsenwinkel",
            20,
            &spend("s-2", "fietsenwinkel", Category::School, 1_000)
        ),
        R::CategoryNotAllowed("school")
    );
    assert_eq!(
        refused(
            &mut s,
            "fietsenwinkel",
            20,
            &spend("s-2", "fietsenwinkel", Category::Bicycles, 25_001)
        ),
        R::OverCap { cap: 25_000 }
    );
    assert_eq!(
        refused(
            &mut s,
            "slijterij",
            21,
            &spend("s-2", "fietsenwinkel", Category::Bicycles, 1)
        ),
        R::NotYourSpend
    );
    s.apply(&entry(
        "fietsenwinkel",
        20,
        16,
        &spend("s-2", "fietsenwinkel", Category::Sport, 20_000),
    ))
    .unwrap();
    assert_eq!(
        refused(
            &mut s,
            "fietsenwinkel",
            20,
            &spend("s-3", "fietsenwinkel", Category::Sport, 1_006)
        ),
        R::InsufficientBudget { left: 1_005 }
    );
    assert_eq!(left(&s), 1_005);
    // Paused: no spends; a negative amount does not even decode.
    s.apply(&entry(
        "gemeente",
        9,
        17,
        &kp(K::SetStatus {
            fund: "kp-2026".into(),
            status: FundStatus::Paused,
        }),
    ))
    .unwrap();
    assert_eq!(
        refused(
            &mut s,
            "fietsenwinkel",
            20,
            &spend("s-3", "fietsenwinkel", Category::Sport, 5)
        ),
        R::FundNotActive(day("2026-06-01"))
    );
    let digest = s.digest();
    s.apply(&entry(
        "gemeente",
        9,
        18,
        &kp(K::SetStatus {
            fund: "kp-2026".into(),
            status: FundStatus::Active,
        }),
    ))
    .unwrap();
    assert_ne!(s.digest(), digest, "a fund's status is digested");
    assert_eq!(
        refused(
            &mut s,
            "fietsenwinkel",
            20,
            &spend("s-3", "fietsenwinkel", Category::Sport, -5)
        ),
        R::Amount(-5)
    );
    assert_eq!(s.spends().len(), 2);
    // Cancelled on its own day, by its own shop: the money goes back; once.
    let cancel = |d: &str| {
        kp(K::CancelSpend {
            spend: "s-1".into(),
            date: day(d),
        })
    };
    assert_eq!(
        Command::decode(&cancel("2026-06-01").encode()).unwrap(),
        cancel("2026-06-01")
    );
    assert_eq!(
        refused(&mut s, "fietsenwinkel", 20, &cancel("2026-06-02")),
        R::NotSameDay(day("2026-06-01"))
    );
    assert_eq!(
        refused(&mut s, "slijterij", 21, &cancel("2026-06-01")),
        R::NotYourSpend
    );
    s.apply(&entry("fietsenwinkel", 20, 19, &cancel("2026-06-01")))
        .unwrap();
    assert_eq!(left(&s), 1_005 + 8_995);
    assert!(s.spends()["s-1"].cancelled);
    assert_eq!(
        s.apply(&entry("fietsenwinkel", 20, 19, &cancel("2026-06-01")))
            .unwrap()
            .existing,
        1
    );
    assert_eq!(left(&s), 1_005 + 8_995, "not twice");
    // Blocked: no spends; reissued: the new voucher holds what was left, the old one nothing.
    let reissue = kp(K::ReissueVoucher {
        voucher: "v-1".into(),
        new: "v-2".into(),
    });
    assert_eq!(refused(&mut s, "gemeente", 9, &reissue), R::NotBlocked);
    let block = kp(K::BlockVoucher {
        voucher: "v-1".into(),
    });
    assert_eq!(Command::decode(&block.encode()).unwrap(), block);
    assert_eq!(
        refused(&mut s, "eindhoven", 10, &block),
        R::NotYourFund("gemeente".into())
    );
    s.apply(&entry("gemeente", 9, 19, &block)).unwrap();
    assert_eq!(
        refused(
            &mut s,
            "fietsenwinkel",
            20,
            &spend("s-9", "fietsenwinkel", Category::Sport, 5)
        ),
        R::Blocked
    );
    assert_eq!(Command::decode(&reissue.encode()).unwrap(), reissue);
    s.apply(&entry("gemeente", 9, 19, &reissue)).unwrap();
    assert_eq!(
        s.apply(&entry("gemeente", 9, 19, &reissue))
            .unwrap()
            .existing,
        1
    );
    assert_eq!(left(&s), 0);
    let new = s.book().account(voucher_account("v-2")).unwrap();
    assert_eq!(new.credits_posted.0 - new.debits_posted.0, 10_000);
    s.apply(&entry(
        "fietsenwinkel",
        20,
        19,
        &kp(K::Spend {
            spend: "s-10".into(),
            voucher: "v-2".into(),
            merchant: name("fietsenwinkel"),
            category: Category::Sport,
            cents: 500,
            date: day("2026-06-01"),
        }),
    ))
    .unwrap();
    // The Kindpakket's accounts move only by its own commands: a shop's plain transfer out of a
    // voucher, or into its own account from the fund, is refused; so is an account made ahead
    // under a fund's id.
    use knop_state::kindpakket::{fund_account, merchant_account};
    let (size, digest) = (s.size(), s.digest());
    for t in [
        transfer(
            77,
            voucher_account("v-1"),
            merchant_account("kp-2026", "fietsenwinkel"),
            1,
        ),
        transfer(78, fund_account("kp-2026"), 9, 1),
    ] {
        let e = s
            .apply(&entry(
                "fietsenwinkel",
                20,
                19,
                &Command::CreateTransfers(vec![t]),
            ))
            .unwrap_err();
        assert!(
            matches!(
                e,
                StateError::Kindpakket {
                    rejection: R::Reserved(_),
                    ..
                }
            ),
            "{e}"
        );
    }
    let e = s
        .apply(&entry(
            "gemeente",
            9,
            19,
            &Command::CreateAccounts(vec![knop_book::Account::eur(voucher_account("v-1"), 0)]),
        ))
        .unwrap_err();
    assert!(matches!(e, StateError::Kindpakket { .. }), "{e}");
    assert_eq!((s.size(), s.digest()), (size, digest), "nothing applied");
    s.apply(&entry(
        "gemeente",
        9,
        20,
        &Command::CreateAccounts(vec![knop_book::Account::eur(fund_account("kp-2027"), 0)]),
    ))
    .unwrap();
    let ahead = kp(K::OpenFund {
        fund: "kp-2027".into(),
        child_cents: 30_000,
        from: day("2027-01-01"),
        until: day("2027-12-31"),
        categories: Category::Sport as u16,
        cap_cents: 25_000,
    });
    assert!(matches!(
        refused(&mut s, "gemeente", 9, &ahead),
        R::Reserved(_)
    ));
}

#[test]
fn kindpakket_payouts_pay_each_shop_once_after_four_eyes_and_refunds_net_out() {
    use knop_state::kindpakket::{
        fund_account, merchant_account, payout_account, voucher_account, KindpakketCommand as K,
    };
    use knop_state::{Category, KindpakketRejection as R, PaidLine, TopUp};
    let mut s = state();
    s.apply(&entry("svb", 2, 10, &household_open(5))).unwrap();
    for (n, kind, seed) in [
        ("gemeente", OrgKind::Municipality, 9),
        ("eindhoven", OrgKind::Municipality, 10),
        ("fietsenwinkel", OrgKind::Merchant, 20),
        ("sportwinkel", OrgKind::Merchant, 21),
    ] {
        s.apply(&entry("op", 1, 11, &register(n, kind, seed)))
            .unwrap();
    }
    let day = |d: &str| d.parse::<jiff::civil::Date>().unwrap();
    let kp = Command::Kindpakket;
    // Entries are made on 1 December 2026 (a refund is dated no later than its entry's day).
    let december = 1_796_083_200_000u64;
    let log: std::cell::RefCell<Vec<SignedEntry>> = Default::default();
    let refused = |s: &mut State, signer: &str, seed: u8, cmd: &Command| {
        let (size, digest) = (s.size(), s.digest());
        let e = s
            .apply(&entry(
                signer,
                seed,
                s.last_timestamp_ms().max(december),
                cmd,
            ))
            .unwrap_err();
        assert_eq!((s.size(), s.digest()), (size, digest), "nothing applied");
        match e {
            StateError::Kindpakket { rejection, .. } => rejection,
            other => panic!("not a Kindpakket rejection: {other}"),
        }
    };
    let ok = |s: &mut State, signer: &str, seed: u8, cmd: Command| {
        assert_eq!(Command::decode(&cmd.encode()).unwrap(), cmd, "round trip");
        let e = entry(signer, seed, s.last_timestamp_ms().max(december), &cmd);
        let outcome = s.apply(&e).unwrap();
        log.borrow_mut().push(e);
        outcome
    };
    let digest_before = s.digest();
    for cmd in [
        K::OpenFund {
            fund: "kp".into(),
            child_cents: 30_000,
            from: day("2026-01-01"),
            until: day("2026-12-31"),
            categories: Category::Bicycles as u16 | Category::Sport as u16,
            cap_cents: 30_000,
        },
        K::AcceptMerchant {
            fund: "kp".into(),
            merchant: name("fietsenwinkel"),
            categories: Category::Bicycles as u16,
        },
        K::AcceptMerchant {
            fund: "kp".into(),
            merchant: name("sportwinkel"),
            categories: Category::Sport as u16,
        },
        K::IssueVoucher {
            voucher: "v".into(),
            fund: "kp".into(),
            household: HouseholdId(5),
        },
    ] {
        ok(&mut s, "gemeente", 9, kp(cmd));
    }
    assert_ne!(s.digest(), digest_before);
    let spend = |id: &str, m: &str, c: Category, cents: i64, d: &str| {
        kp(K::Spend {
            spend: id.into(),
            voucher: "v".into(),
            merchant: name(m),
            category: c,
            cents,
            date: day(d),
        })
    };
    ok(
        &mut s,
        "fietsenwinkel",
        20,
        spend(
            "s1",
            "fietsenwinkel",
            Category::Bicycles,
            8_995,
            "2026-03-02",
        ),
    );
    ok(
        &mut s,
        "sportwinkel",
        21,
        spend("s2", "sportwinkel", Category::Sport, 2_000, "2026-03-03"),
    );
    ok(
        &mut s,
        "fietsenwinkel",
        20,
        spend(
            "s3",
            "fietsenwinkel",
            Category::Bicycles,
            1_000,
            "2026-04-02",
        ),
    );
    let payee = |m: &str, iban: &str| {
        kp(K::SetPayee {
            fund: "kp".into(),
            merchant: name(m),
            iban: iban.into(),
            name: format!("{m} bv"),
        })
    };
    assert!(matches!(
        refused(&mut s, "gemeente", 9, &payee("fietsenwinkel", "nl91 abna")),
        R::Payee(_)
    ));
    assert_eq!(
        refused(
            &mut s,
            "eindhoven",
            10,
            &payee("fietsenwinkel", "NL91ABNA0417164300")
        ),
        R::NotYourFund("gemeente".into())
    );
    assert_eq!(
        refused(
            &mut s,
            "fietsenwinkel",
            20,
            &payee("fietsenwinkel", "NL91ABNA0417164300")
        ),
        R::NotYourSpend
    );
    ok(
        &mut s,
        "gemeente",
        9,
        payee("fietsenwinkel", "NL91ABNA0417164300"),
    );
    let payout = |id: &str, until: &str, by: &str| {
        kp(K::Payout {
            payout: id.into(),
            fund: "kp".into(),
            until: day(until),
            execution: day("2026-04-01"),
            from_iban: "NL02ABNA0123456789".into(),
            created_by: by.into(),
        })
    };
    assert_eq!(
        refused(&mut s, "gemeente", 9, &payout("p0", "2026-02-28", "ann")),
        R::NothingToPay(day("2026-02-28"))
    );
    // March: the bike shop's € 89,95; the sports shop has no payee yet, so it waits; April's
    // spend is after the period.
    ok(&mut s, "gemeente", 9, payout("p1", "2026-03-31", "ann"));
    let p1 = s.payouts()["p1"].clone();
    assert_eq!(p1.lines.len(), 1);
    assert_eq!(p1.lines[0].merchant, name("fietsenwinkel"));
    assert_eq!(
        (p1.lines[0].cents, p1.lines[0].spends.clone()),
        (8_995, vec!["s1".to_owned()])
    );
    assert_eq!(s.paid_in("s1"), Some("p1"));
    let bal = |s: &State, acc: u128| {
        let a = s.book().account(acc).unwrap();
        a.credits_posted.0 - a.debits_posted.0
    };
    assert_eq!(bal(&s, merchant_account("kp", "fietsenwinkel")), 1_000);
    assert_eq!(bal(&s, payout_account("kp")), 8_995);
    assert_eq!(
        ok(&mut s, "gemeente", 9, payout("p1", "2026-03-31", "ann")).existing,
        1
    );
    assert_eq!(
        refused(&mut s, "gemeente", 9, &payout("p1", "2026-04-30", "ann")),
        R::ExistsWithDifferent("payout p1".into())
    );
    // A paid-out spend is not cancelled; it is refunded.
    assert_eq!(
        refused(
            &mut s,
            "fietsenwinkel",
            20,
            &kp(K::CancelSpend {
                spend: "s1".into(),
                date: day("2026-03-02")
            })
        ),
        R::PaidOut
    );
    // Four eyes: not by its maker; a statement before approval is refused.
    let approve = |by: &str| {
        kp(K::ApprovePayout {
            payout: "p1".into(),
            by: by.into(),
        })
    };
    assert_eq!(refused(&mut s, "gemeente", 9, &approve("ann")), R::FourEyes);
    let statement = kp(K::Statement {
        paid: vec![PaidLine {
            payout: "p1".into(),
            merchant: name("fietsenwinkel"),
            date: day("2026-04-01"),
        }],
        topups: vec![TopUp {
            reference: "BANK-1".into(),
            fund: "kp".into(),
            cents: 100_000,
            date: day("2026-04-01"),
        }],
    });
    assert_eq!(
        refused(&mut s, "gemeente", 9, &statement),
        R::NotApproved("p1".into())
    );
    ok(&mut s, "gemeente", 9, approve("bob"));
    assert_eq!(ok(&mut s, "gemeente", 9, approve("bob")).existing, 1);
    assert!(s.payouts()["p1"].approved());
    assert_eq!(ok(&mut s, "gemeente", 9, statement.clone()).created, 2);
    assert_eq!(s.payouts()["p1"].lines[0].paid, Some(day("2026-04-01")));
    assert_eq!(bal(&s, fund_account("kp")), 100_000 - 30_000);
    // The same statement again books nothing.
    assert_eq!(ok(&mut s, "gemeente", 9, statement).existing, 1);
    assert_eq!(bal(&s, fund_account("kp")), 100_000 - 30_000);
    // The bike is returned in part after payout: € 20 back to the voucher, and the shop's next
    // payout is less by it.
    let refund = |id: &str, cents: i64| {
        kp(K::Refund {
            refund: id.into(),
            spend: "s1".into(),
            cents,
            date: day("2026-04-10"),
        })
    };
    assert_eq!(
        refused(&mut s, "sportwinkel", 21, &refund("r1", 2_000)),
        R::NotYourSpend
    );
    assert_eq!(
        refused(&mut s, "fietsenwinkel", 20, &refund("r1", 9_000)),
        R::OverRefund { left: 8_995 }
    );
    let dated = |d: &str| {
        kp(K::Refund {
            refund: "r0".into(),
            spend: "s1".into(),
            cents: 100,
            date: day(d),
        })
    };
    for d in ["2026-03-01", "2099-01-01"] {
        assert_eq!(
            refused(&mut s, "fietsenwinkel", 20, &dated(d)),
            R::RefundDate(day("2026-03-02")),
            "{d}: before the purchase, or after the entry's day"
        );
    }
    let left = bal(&s, voucher_account("v"));
    ok(&mut s, "fietsenwinkel", 20, refund("r1", 2_000));
    assert_eq!(bal(&s, voucher_account("v")), left + 2_000);
    assert_eq!(s.refunded("s1"), 2_000);
    assert_eq!(
        refused(&mut s, "fietsenwinkel", 20, &refund("r2", 7_000)),
        R::OverRefund { left: 6_995 }
    );
    ok(
        &mut s,
        "gemeente",
        9,
        payee("sportwinkel", "NL20INGB0001234567"),
    );
    ok(&mut s, "gemeente", 9, payout("p2", "2026-04-30", "ann"));
    let p2 = &s.payouts()["p2"];
    let lines: Vec<(String, i64)> = p2
        .lines
        .iter()
        .map(|l| (l.merchant.to_string(), l.cents))
        .collect();
    assert_eq!(
        lines,
        vec![("sportwinkel".to_owned(), 2_000)],
        "the bike shop's € 10 less € 20 refunded waits; the sports shop's € 20 is paid"
    );
    assert_eq!((s.paid_in("s3"), s.refund_paid_in("r1")), (None, None));
    assert_eq!(s.paid_in("s2"), Some("p2"));
    // A later spend makes the bike shop's net positive: € 10 + € 15 - € 20.
    ok(
        &mut s,
        "fietsenwinkel",
        20,
        spend(
            "s4",
            "fietsenwinkel",
            Category::Bicycles,
            1_500,
            "2026-05-02",
        ),
    );
    ok(&mut s, "gemeente", 9, payout("p3", "2026-05-31", "ann"));
    let l = &s.payouts()["p3"].lines[0];
    assert_eq!(
        (l.cents, l.spends.len(), l.refunds.clone()),
        (500, 2, vec!["r1".to_owned()])
    );
    // A purchase cancelled on its day is not paid out.
    ok(
        &mut s,
        "fietsenwinkel",
        20,
        spend("s5", "fietsenwinkel", Category::Bicycles, 700, "2026-06-02"),
    );
    ok(
        &mut s,
        "fietsenwinkel",
        20,
        spend("s6", "fietsenwinkel", Category::Bicycles, 300, "2026-06-02"),
    );
    ok(
        &mut s,
        "fietsenwinkel",
        20,
        kp(K::CancelSpend {
            spend: "s5".into(),
            date: day("2026-06-02"),
        }),
    );
    ok(&mut s, "gemeente", 9, payout("p4", "2026-06-30", "ann"));
    let l = &s.payouts()["p4"].lines[0];
    assert_eq!((l.cents, l.spends.clone()), (300, vec!["s6".to_owned()]));
    // Replayed from its entries, the state is the same, its derived lists too: the next payout
    // takes the same purchases on both.
    let mut replayed = state();
    replayed
        .apply(&entry("svb", 2, 10, &household_open(5)))
        .unwrap();
    for (n, kind, seed) in [
        ("gemeente", OrgKind::Municipality, 9),
        ("eindhoven", OrgKind::Municipality, 10),
        ("fietsenwinkel", OrgKind::Merchant, 20),
        ("sportwinkel", OrgKind::Merchant, 21),
    ] {
        replayed
            .apply(&entry("op", 1, 11, &register(n, kind, seed)))
            .unwrap();
    }
    for e in log.borrow().iter() {
        replayed.apply(e).unwrap();
    }
    assert_eq!(replayed.digest(), s.digest());
    ok(
        &mut s,
        "fietsenwinkel",
        20,
        spend("s7", "fietsenwinkel", Category::Bicycles, 900, "2026-07-02"),
    );
    let last = log.borrow().last().cloned().unwrap();
    replayed.apply(&last).unwrap();
    ok(&mut s, "gemeente", 9, payout("p5", "2026-07-31", "ann"));
    let last = log.borrow().last().cloned().unwrap();
    replayed.apply(&last).unwrap();
    assert_eq!(replayed.payouts()["p5"], s.payouts()["p5"]);
    assert_eq!(replayed.paid_in("s7"), Some("p5"));
    assert_eq!(replayed.refunded("s1"), s.refunded("s1"));
}
