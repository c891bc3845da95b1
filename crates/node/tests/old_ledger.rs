//! Old ledgers still replay: a ledger written by the code of 2026-12-03 (before `Together`
//! entries and organisation kinds), kept as a fixture, replays with today's code to the same
//! organisations, households, agreements, payment runs, approvals and balances.
//!
//! The fixture (`fixtures/ledger-v1`: the embedded store's three files) was written by the
//! service's own HTTP flow at commit 93c1bdf: organisations registered, two households opened
//! with agreements, a salary agreement set over the API, a camt.053 statement uploaded (imported
//! and matched), a suspense line assigned by a counsellor, an advance limit set, a payment run
//! made (accounts, reservations and record as three entries, as that code wrote them) and
//! approved by a supervisor. `fixtures/ledger-v1.summary` is what that code's replay showed.

use std::fmt::Write;
use std::path::Path;

use knop_node::replay;
use knop_state::State;
use knop_store::FileStore;

/// One line per fact, in a fixed order.
fn summary(st: &State) -> String {
    let mut out = String::new();
    writeln!(out, "size {}", st.size()).unwrap();
    for (name, org) in st.orgs() {
        writeln!(out, "org {name} registered-at {}", org.registered_at).unwrap();
    }
    for (id, h) in st.households() {
        let agreements: Vec<String> = h
            .agreements
            .values()
            .map(|a| format!("{}:{}:{:?}", a.id, a.amount_cents, a.valid_through))
            .collect();
        writeln!(
            out,
            "household {id} counsellor {} information {} opened {} revoked {:?} advance-limit {:?} agreements {}",
            h.counsellor,
            h.information,
            h.opened_at_ms,
            h.revoked_effective_ms,
            h.advance_limit_cents,
            agreements.join(",")
        )
        .unwrap();
    }
    for (id, r) in st.runs() {
        let sha: String = r
            .content_sha256
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let approvals: Vec<&str> = r.approvals.iter().map(|(by, _)| by.as_str()).collect();
        writeln!(
            out,
            "run {id} household {} by {} entry {} sha256 {sha} approved-by {}",
            r.household,
            r.created_by,
            r.index,
            approvals.join(",")
        )
        .unwrap();
    }
    let mut accounts: Vec<_> = st.book().accounts().collect();
    accounts.sort_by_key(|a| a.account.id);
    for a in accounts {
        writeln!(
            out,
            "account {} debits {}/{} credits {}/{}",
            a.account.id,
            a.debits_pending.0,
            a.debits_posted.0,
            a.credits_pending.0,
            a.credits_posted.0
        )
        .unwrap();
    }
    writeln!(out, "transfers {}", st.book().transfer_count()).unwrap();
    out
}

#[test]
fn a_ledger_written_before_together_entries_replays_to_the_same_state() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let dir = tempfile::tempdir().unwrap();
    for f in ["meta.knop", "log.knop", "checkpoints.knop"] {
        std::fs::copy(fixture.join("ledger-v1").join(f), dir.path().join(f)).unwrap();
    }
    let mut store = FileStore::open_read_only(dir.path()).unwrap();
    let replayed = replay(
        &mut store,
        knop_node::replay::Checkpoints::All,
        &mut |_, _| {},
    )
    .expect("the old ledger replays");
    let got = summary(&replayed.state);
    let want = std::fs::read_to_string(fixture.join("ledger-v1.summary")).unwrap();
    assert_eq!(got, want);
    // It has what the fixture is for: households, agreements, an imported statement, a run and
    // its approval by a second person.
    assert_eq!(replayed.state.households().len(), 2);
    let run = replayed
        .state
        .runs()
        .values()
        .next()
        .expect("a payment run");
    assert!(run.approved());
    assert!(replayed.state.book().transfer_count() >= 5);
}
