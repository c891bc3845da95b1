//! The node against both stores: recovery, tampering found by replay, and a seeded crash
//! simulation checked against a model. PostgreSQL: 127.0.0.1:5432 database `test`, or
//! `KNOP_TEST_DATABASE`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use ed25519_dalek::SigningKey;
use knop_book::{Account, AccountFlags, Cents, Transfer, TransferFlags};
use knop_ledger::entry::{OrgName, SignedEntry};
use knop_ledger::leaf::leaf_data;
use knop_ledger::note::NoteKey;
use knop_node::replay::REPLAY_CHUNK;
use knop_node::{replay, Node, NodeError};
use knop_state::{Command, OrgKind, State, StateError, Verified};
use knop_store::{FaultPlan, Faulty, FileStore, Meta, PgStore, Store};

const ORIGIN: &str = "knop.test/ledger";

fn operator() -> NoteKey {
    NoteKey::from_seed(ORIGIN, &[1; 32]).unwrap()
}

fn meta() -> Meta {
    Meta {
        origin: ORIGIN.into(),
        operator_vkey: operator().verifier_key(),
    }
}

/// Deterministic salts for tests.
fn salts(seed: u8) -> knop_node::SaltSource {
    let mut n = 0u64;
    Box::new(move || {
        n += 1;
        let mut s = [seed; 32];
        s[..8].copy_from_slice(&n.to_be_bytes());
        s
    })
}

/// Where a test's log lives.
enum Place {
    Dir(tempfile::TempDir),
    Pg(String),
}

/// Test schemas are dropped when the test is done, so the shared database does not fill up.
impl Drop for Place {
    fn drop(&mut self) {
        if let Place::Pg(url) = self {
            let (base, schema) = match url.rsplit_once("search_path%3D") {
                Some((_, schema)) => (
                    url.split('?').next().unwrap_or(url).to_owned(),
                    schema.to_owned(),
                ),
                None => return,
            };
            if let Ok(mut c) = postgres::Client::connect(&base, postgres::NoTls) {
                let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
            }
        }
    }
}

impl Place {
    fn file() -> Self {
        Place::Dir(tempfile::tempdir().unwrap())
    }

    fn pg() -> Self {
        let base = std::env::var("KNOP_TEST_DATABASE")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        let schema = format!("knop_n_{}", rand::random::<u64>());
        let mut c =
            postgres::Client::connect(&base, postgres::NoTls).expect("PostgreSQL for tests");
        c.batch_execute(&format!("CREATE SCHEMA {schema}")).unwrap();
        let sep = if base.contains('?') { '&' } else { '?' };
        Place::Pg(format!("{base}{sep}options=-csearch_path%3D{schema}"))
    }

    fn dir(&self) -> PathBuf {
        match self {
            Place::Dir(d) => d.path().join("log"),
            Place::Pg(_) => unreachable!("not a directory store"),
        }
    }

    fn create(&self) -> Box<dyn Store> {
        match self {
            Place::Dir(_) => Box::new(FileStore::create(&self.dir(), meta()).unwrap()),
            Place::Pg(url) => Box::new(PgStore::create(url, meta()).unwrap()),
        }
    }

    fn open(&self) -> Box<dyn Store> {
        match self {
            Place::Dir(_) => Box::new(FileStore::open(&self.dir()).unwrap()),
            Place::Pg(url) => Box::new(PgStore::open(url).unwrap()),
        }
    }

    fn sql(&self, q: &str) {
        let Place::Pg(url) = self else { unreachable!() };
        postgres::Client::connect(url, postgres::NoTls)
            .unwrap()
            .batch_execute(q)
            .unwrap();
    }
}

fn bank() -> SigningKey {
    SigningKey::from_bytes(&[2; 32])
}

fn entry(ts: u64, cmd: &Command) -> SignedEntry {
    SignedEntry::sign(OrgName::parse("bank").unwrap(), ts, cmd.encode(), &bank())
}

fn op_entry(ts: u64, cmd: &Command) -> SignedEntry {
    SignedEntry::sign(
        OrgName::parse(ORIGIN).unwrap(),
        ts,
        cmd.encode(),
        operator().signing_key(),
    )
}

fn tr(id: u128, dr: u128, cr: u128, cents: i64, flags: u16) -> Transfer {
    Transfer::eur(id, dr, cr, Cents(cents), flags)
}

/// A log of 8 entries: genesis, bank, accounts, 4 transfer batches, an attachment (index 7).
fn populate(place: &Place) -> Node {
    let mut node = Node::init(place.create(), operator(), 1, salts(7)).unwrap();
    let reg = Command::RegisterOrg {
        name: OrgName::parse("bank").unwrap(),
        kind: OrgKind::Participant,
        key: bank().verifying_key().to_bytes(),
    };
    node.submit(&[op_entry(2, &reg)])
        .unwrap()
        .remove(0)
        .unwrap();
    let acct = Account::eur;
    let accounts = Command::CreateAccounts(vec![
        acct(1, 0),
        acct(2, AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS),
        acct(3, 0),
    ]);
    node.submit(&[entry(3, &accounts)])
        .unwrap()
        .remove(0)
        .unwrap();
    for i in 0..4u128 {
        let cmd = Command::CreateTransfers(vec![
            tr(10 * i + 1, 1, 2, 1000, 0),
            tr(10 * i + 2, 2, 3, 400, 0),
        ]);
        node.submit(&[entry(4 + i as u64, &cmd)])
            .unwrap()
            .remove(0)
            .unwrap();
    }
    let attach = Command::Attach {
        subject: 42,
        kind: "consent".into(),
        data: b"Naam: J. Jansen".to_vec(),
    };
    node.submit(&[entry(9, &attach)])
        .unwrap()
        .remove(0)
        .unwrap();
    assert_eq!(node.size(), 8);
    node
}

fn replay_err(place: &Place) -> (u64, String) {
    let mut store = place.open();
    let e = replay(
        store.as_mut(),
        knop_node::replay::Checkpoints::All,
        &mut |_, _| {},
    )
    .expect_err("tampering must be found");
    (e.index, e.why)
}

fn both(test: impl Fn(Place)) {
    test(Place::file());
    test(Place::pg());
}

#[test]
fn reopen_recovers_the_same_state_and_root() {
    both(|place| {
        let node = populate(&place);
        let (digest, root) = (node.state().digest(), node.root(8).unwrap());
        drop(node);
        let node = Node::open(place.open(), Some(operator()), salts(8)).unwrap();
        assert_eq!(node.state().digest(), digest);
        assert_eq!(node.root(8).unwrap(), root);
        assert_eq!(
            node.state().book().account(2).unwrap().credit_balance(),
            Cents(2400)
        );
        drop(node);
        let r = replay(
            place.open().as_mut(),
            knop_node::Checkpoints::All,
            &mut |_, _| {},
        )
        .unwrap();
        // 14 items: genesis, registration, 3 accounts, 8 transfers, 1 attachment.
        assert_eq!((r.tree.size(), r.events, r.checkpoints), (8, 14, 8));
    });
}

#[test]
fn rejected_and_wrongly_signed_entries_write_nothing() {
    both(|place| {
        let mut node = populate(&place);
        let overdraft = Command::CreateTransfers(vec![tr(100, 2, 3, 1_000_000, 0)]);
        let r = node.submit(&[entry(20, &overdraft)]).unwrap().remove(0);
        assert!(matches!(r, Err(StateError::Rejected { .. })), "{r:?}");
        let forged = SignedEntry::sign(
            OrgName::parse("bank").unwrap(),
            20,
            Command::CreateTransfers(vec![tr(101, 1, 2, 5, 0)]).encode(),
            &SigningKey::from_bytes(&[9; 32]),
        );
        assert!(matches!(
            node.submit(&[forged]).unwrap().remove(0),
            Err(StateError::Signature(_))
        ));
        assert_eq!(node.size(), 8);
        drop(node);
        assert_eq!(place.open().len(), 8);
    });
}

#[test]
fn entries_checked_ahead_are_logged_as_submitted_ones_and_a_forged_one_is_not() {
    both(|place| {
        let mut node = populate(&place);
        let cmd = Command::CreateTransfers(vec![tr(200, 1, 2, 5, 0)]);
        let ok = Verified::check(entry(20, &cmd), bank().verifying_key()).unwrap();
        // Checked under its own key, but that is not the bank's registered key.
        let other = SigningKey::from_bytes(&[9; 32]);
        let forged = SignedEntry::sign(
            OrgName::parse("bank").unwrap(),
            21,
            Command::CreateTransfers(vec![tr(201, 1, 2, 5, 0)]).encode(),
            &other,
        );
        let forged = Verified::check(forged, other.verifying_key()).unwrap();
        let results = node.submit_verified(&[ok, forged]).unwrap();
        assert!(results[0].is_ok(), "{:?}", results[0]);
        assert!(matches!(results[1], Err(StateError::Signature(_))));
        assert_eq!(node.size(), 9);
        drop(node);
        // The log replays with every signature checked again.
        let r = replay(
            place.open().as_mut(),
            knop_node::Checkpoints::All,
            &mut |_, _| {},
        )
        .unwrap();
        assert_eq!(r.tree.size(), 9);
    });
}

#[test]
fn a_pipelined_submission_is_durable_and_checkpointed_once_settled_and_its_failure_is_reported() {
    both(|place| {
        let mut node = populate(&place);
        let batch_of = |ts: u64, id: u128, cents: i64| {
            let cmd = Command::CreateTransfers(vec![tr(id, 1, 2, cents, 0)]);
            Verified::check(entry(ts, &cmd), bank().verifying_key()).unwrap()
        };
        let batch = |ts: u64, id: u128| batch_of(ts, id, 5);
        let r = node.submit_verified_pipelined(&[batch(20, 300)]).unwrap();
        assert!(r[0].is_ok());
        // Applied at once (the next batch may build on it) ...
        assert!(node.state().book().transfer(300).is_some());
        // ... and the next submission settles it before starting its own append.
        let r = node
            .submit_verified_pipelined(&[batch(21, 301), batch_of(22, 301, 6)])
            .unwrap();
        assert!(r[0].is_ok());
        assert!(r[1].is_err(), "the same id with another amount is refused");
        assert_eq!(node.size(), 9, "the first pipelined submission is settled");
        node.sync().unwrap();
        assert_eq!(node.size(), 10);
        let (size, _) = node.checkpoint().unwrap().unwrap();
        assert_eq!(size, 10, "the checkpoint covers the settled entries");
        // A node dropped with an append in flight writes it first.
        node.submit_verified_pipelined(&[batch(23, 302)]).unwrap();
        drop(node);
        let r = replay(
            place.open().as_mut(),
            knop_node::Checkpoints::All,
            &mut |_, _| {},
        )
        .unwrap();
        assert_eq!(r.tree.size(), 11);
        assert!(r.state.book().transfer(302).is_some());

        // A write that fails is the error of the call that settles it, and the node then
        // refuses work until reopened, which recovers the durable entries.
        let plan = Arc::new(Mutex::new(FaultPlan::default()));
        let mut node = Node::open(
            Box::new(Faulty::new(place.open(), plan.clone())),
            Some(operator()),
            salts(5),
        )
        .unwrap();
        plan.lock().unwrap().next = Some(knop_store::Fault::BeforePersist);
        assert!(node.submit_verified_pipelined(&[batch(24, 303)]).unwrap()[0].is_ok());
        assert!(node.sync().is_err());
        assert!(matches!(
            node.submit_verified_pipelined(&[batch(25, 304)]),
            Err(NodeError::NeedsRecovery)
        ));
        // Reads still answer, and no checkpoint covers the failed entry.
        assert_eq!(node.checkpoint().unwrap().unwrap().0, 11);
        drop(node);
        let node = Node::open(place.open(), Some(operator()), salts(6)).unwrap();
        assert_eq!(node.size(), 11);
        assert!(node.state().book().transfer(303).is_none());
    });
}

#[test]
fn authorised_erasure_keeps_the_log_verifiable() {
    both(|place| {
        let mut node = populate(&place);
        assert!(matches!(
            node.erase(7),
            Err(NodeError::ErasureNotAuthorised(7))
        ));
        let erase = Command::Erase {
            index: 7,
            reason: "AVG-verzoek 2026-001".into(),
        };
        node.submit(&[op_entry(30, &erase)])
            .unwrap()
            .remove(0)
            .unwrap();
        node.erase(7).unwrap();
        drop(node);
        let rec = place.open().read(7, 8).unwrap().remove(0);
        assert_eq!((rec.salt, rec.entry), (None, None));
        let r = replay(
            place.open().as_mut(),
            knop_node::Checkpoints::All,
            &mut |_, _| {},
        )
        .unwrap();
        assert_eq!(
            r.state.erased().iter().copied().collect::<Vec<_>>(),
            vec![7]
        );
        Node::open(place.open(), Some(operator()), salts(1)).unwrap();
    });
}

// ---- Tampering with the stores directly ----

/// Byte offsets of each record's frame in an embedded log.
fn frames(path: &Path) -> Vec<(usize, usize)> {
    let bytes = std::fs::read(path).unwrap();
    let (mut pos, mut out) = (8usize, vec![]);
    while pos < bytes.len() {
        let len = u32::from_be_bytes(bytes[pos..pos + 4].try_into().unwrap()) as usize;
        out.push((pos, len));
        pos += 8 + len;
    }
    out
}

/// Rewrites record `index`'s payload with `f`, then re-seals the checksum as a careful attacker
/// would (so that only the cryptography can catch it).
fn edit_file_record(dir: &Path, index: usize, f: impl FnOnce(&mut [u8])) {
    let path = dir.join("log.knop");
    let (pos, len) = frames(&path)[index];
    let mut bytes = std::fs::read(&path).unwrap();
    f(&mut bytes[pos + 8..pos + 8 + len]);
    let crc = crc32c::crc32c(&bytes[pos + 8..pos + 8 + len]);
    bytes[pos + 4..pos + 8].copy_from_slice(&crc.to_be_bytes());
    std::fs::write(&path, bytes).unwrap();
}

const LEAF: usize = 9;
const SALT: usize = 41;
const ENTRY: usize = 77;

#[test]
fn changed_entry_byte_is_named_by_index() {
    let place = Place::file();
    drop(populate(&place));
    edit_file_record(&place.dir(), 5, |p| p[ENTRY + 40] ^= 1);
    assert_eq!(replay_err(&place).0, 5);

    let place = Place::pg();
    drop(populate(&place));
    place.sql("UPDATE knop_entries SET entry = set_byte(entry, 40, get_byte(entry, 40) # 1) WHERE idx = 5");
    assert_eq!(replay_err(&place).0, 5);
}

#[test]
fn changed_salt_or_leaf_is_named_by_index() {
    let place = Place::file();
    drop(populate(&place));
    edit_file_record(&place.dir(), 4, |p| p[SALT] ^= 1);
    assert_eq!(
        replay_err(&place),
        (4, "leaf does not match the stored salt and entry".into())
    );
    let place = Place::file();
    drop(populate(&place));
    edit_file_record(&place.dir(), 3, |p| p[LEAF + 31] ^= 1);
    assert_eq!(replay_err(&place).0, 3);

    let place = Place::pg();
    drop(populate(&place));
    place.sql(
        "UPDATE knop_entries SET salt = set_byte(salt, 0, get_byte(salt, 0) # 1) WHERE idx = 4",
    );
    assert_eq!(replay_err(&place).0, 4);
    let place = Place::pg();
    drop(populate(&place));
    place.sql(
        "UPDATE knop_entries SET leaf = set_byte(leaf, 0, get_byte(leaf, 0) # 1) WHERE idx = 6",
    );
    assert_eq!(replay_err(&place).0, 6);
}

#[test]
fn a_consistent_forgery_of_salt_and_leaf_breaks_the_checkpoints() {
    // The attacker replaces salt and leaf together so they match the entry: only the signed
    // checkpoints can tell, and replay names the first index they no longer cover.
    let place = Place::file();
    drop(populate(&place));
    edit_file_record(&place.dir(), 5, |p| {
        p[SALT..SALT + 32].copy_from_slice(&[0xaa; 32]);
        let leaf = leaf_data(&[0xaa; 32], &p[ENTRY..]);
        p[LEAF..LEAF + 32].copy_from_slice(&leaf);
    });
    let (index, why) = replay_err(&place);
    assert_eq!(index, 5, "{why}");
    assert!(why.contains("checkpoint"), "{why}");
}

#[test]
fn a_bad_signature_past_the_first_replay_chunk_is_named_by_index() {
    // Replay checks a chunk's signatures ahead, under the keys registered when the chunk began;
    // the bank registered in the first chunk, so its entries in the second are checked ahead.
    // One of them has its signature changed, with salt and leaf made to match: replay must
    // still refuse it, at its index, and accept the good entries around it.
    let place = Place::file();
    let mut node = populate(&place);
    for i in 0..(REPLAY_CHUNK + 4) {
        let cmd = Command::CreateTransfers(vec![tr(1000 + u128::from(i), 1, 2, 1, 0)]);
        node.submit(&[entry(10 + i, &cmd)])
            .unwrap()
            .remove(0)
            .unwrap();
    }
    drop(node);
    assert!(replay(
        place.open().as_mut(),
        knop_node::Checkpoints::All,
        &mut |_, _| {}
    )
    .is_ok());
    let index = REPLAY_CHUNK as usize + 2;
    edit_file_record(&place.dir(), index, |p| {
        let last = p.len() - 1;
        p[last] ^= 1;
        let salt: [u8; 32] = p[SALT..SALT + 32].try_into().unwrap();
        let leaf = leaf_data(&salt, &p[ENTRY..]);
        p[LEAF..LEAF + 32].copy_from_slice(&leaf);
    });
    let (at, why) = replay_err(&place);
    assert_eq!(at, index as u64, "{why}");
    assert!(why.contains("signature"), "{why}");
}

#[test]
fn missing_content_without_erasure_is_tampering() {
    let place = Place::pg();
    drop(populate(&place));
    place.sql("UPDATE knop_entries SET salt = NULL, entry = NULL WHERE idx = 7");
    let (index, why) = replay_err(&place);
    assert_eq!(index, 7);
    assert!(why.contains("no signed erasure"), "{why}");

    let place = Place::file();
    let mut node = populate(&place);
    // Erasing in the store without the signed entry is refused by the node...
    assert!(node.erase(7).is_err());
    drop(node);
    // ...and doing it behind the node's back is found.
    edit_file_record(&place.dir(), 7, |p| {
        p[8] = 1;
        p[SALT..SALT + 32].fill(0);
        p[ENTRY..].fill(0);
    });
    assert_eq!(replay_err(&place).0, 7);
}

#[test]
fn tampered_checkpoints_and_deleted_records_are_found() {
    let place = Place::pg();
    drop(populate(&place));
    place.sql(
        "UPDATE knop_checkpoints SET note = replace(note, E'\\n6\\n', E'\\n7\\n') WHERE size = 6",
    );
    assert!(replay_err(&place).1.contains("checkpoint"));

    let place = Place::file();
    drop(populate(&place));
    let path = place.dir().join("checkpoints.knop");
    let mut bytes = std::fs::read(&path).unwrap();
    let n = bytes.len();
    bytes[n - 10] ^= 1;
    std::fs::write(&path, bytes).unwrap();
    assert!(FileStore::open(&place.dir()).is_err());

    // A checkpoint that covers more entries than are stored (entries cut off the end).
    let place = Place::file();
    drop(populate(&place));
    let log = place.dir().join("log.knop");
    let (pos, _) = frames(&log)[7];
    let bytes = std::fs::read(&log).unwrap();
    std::fs::write(&log, &bytes[..pos]).unwrap();
    let (index, why) = replay_err(&place);
    assert_eq!(index, 7, "{why}");
    assert!(matches!(
        Node::open(place.open(), Some(operator()), salts(1)),
        Err(NodeError::Damaged(_))
    ));
}

#[test]
fn wrong_operator_key_is_refused() {
    let place = Place::file();
    drop(populate(&place));
    let other = NoteKey::from_seed(ORIGIN, &[5; 32]).unwrap();
    assert!(matches!(
        Node::open(place.open(), Some(other), salts(1)),
        Err(NodeError::WrongOperatorKey(_))
    ));
}

// ---- Crash simulation ----

/// Seeded random workload with injected store faults. After every fault the node is reopened
/// from what is durable; its state must equal the model's state before or after the failed
/// submission (never a half-applied batch), every checkpoint must cover only durable entries,
/// and retrying the same entries must leave the model's final state (ids are never reused).
fn simulate(place: &Place, seed: u64, steps: u32) {
    let plan = Arc::new(Mutex::new(FaultPlan::random(seed, 150)));
    drop(populate(place));
    // Opening may itself hit a fault (signing a missing checkpoint); it is retried like a restart.
    let reopen = || loop {
        if let Ok(node) = Node::open(
            Box::new(Faulty::new(place.open(), plan.clone())),
            Some(operator()),
            salts(3),
        ) {
            return node;
        }
    };
    let mut node = reopen();
    let mut rng = seed | 1;
    let mut next = |n: u64| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng % n
    };
    let (mut ts, mut id) = (100u64, 1000u128);
    for _ in 0..steps {
        let group: Vec<SignedEntry> = (0..1 + next(3))
            .map(|_| {
                ts += 1;
                let transfers = (0..1 + next(4))
                    .map(|_| {
                        id += 1;
                        let (dr, cr) = [(1, 2), (2, 3), (3, 1), (2, 1)][next(4) as usize];
                        tr(
                            id,
                            dr,
                            cr,
                            1 + next(3000) as i64,
                            if next(3) == 0 {
                                TransferFlags::LINKED
                            } else {
                                0
                            },
                        )
                    })
                    .collect::<Vec<_>>();
                let mut transfers = transfers;
                if let Some(last) = transfers.last_mut() {
                    last.flags.0 &= !TransferFlags::LINKED;
                }
                entry(ts, &Command::CreateTransfers(transfers))
            })
            .collect();
        // The model: the state before, and after each prefix of the group.
        let mut model = node.state().clone();
        let mut digests = vec![model.digest()];
        for e in &group {
            let _ = model.apply(e);
            digests.push(model.digest());
        }
        match node.submit(&group) {
            Ok(_) => assert_eq!(node.state().digest(), *digests.last().unwrap()),
            Err(_) => {
                // The node refuses more work until it is reopened from what is durable.
                assert!(matches!(node.submit(&group), Err(NodeError::NeedsRecovery)));
                drop(node);
                let recovered =
                    Node::open(place.open(), Some(operator()), salts(4)).expect("recovery");
                let d = recovered.state().digest();
                assert!(
                    digests.contains(&d),
                    "recovered state is not a prefix of the submission"
                );
                drop(recovered);
                node = reopen();
                // The client retries the whole group; durable entries answer "exists".
                loop {
                    match node.submit(&group) {
                        Ok(_) => break,
                        Err(_) => {
                            drop(node);
                            node = reopen();
                        }
                    }
                }
                assert_eq!(
                    node.state().book().transfer_count(),
                    model.book().transfer_count()
                );
                assert_eq!(balances(node.state()), balances(&model));
            }
        }
    }
    assert!(
        plan.lock().unwrap().injected > 0,
        "the simulation injected no faults"
    );
    drop(node);
    replay(
        place.open().as_mut(),
        knop_node::Checkpoints::All,
        &mut |_, _| {},
    )
    .expect("log verifies after the simulation");
}

fn balances(s: &State) -> Vec<(u128, [i64; 4])> {
    let mut v: Vec<_> = s
        .book()
        .accounts()
        .map(|a| {
            (
                a.account.id,
                [
                    a.debits_pending.0,
                    a.debits_posted.0,
                    a.credits_pending.0,
                    a.credits_posted.0,
                ],
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn crash_simulation_file_store() {
    for seed in 1..=6 {
        simulate(&Place::file(), seed, 60);
    }
}

#[test]
fn crash_simulation_pg_store() {
    for seed in 1..=2 {
        simulate(&Place::pg(), seed, 40);
    }
}
