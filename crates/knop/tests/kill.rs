//! `kill -9` in the middle of a use-case, on the real service binary: nothing half done, nothing
//! locked, nothing acknowledged lost.
//!
//! Each kill point starts `knop serve` on a fresh copy of a small ledger with
//! `KNOP_TEST_CRASH_AT=N:B` (see `knop_store`'s crash points): its N-th append writes only the
//! first B bytes of its frames, or all of them durably, and the process then sends itself
//! `SIGKILL`. The points are drawn from a fixed seed, at least 200 per use-case. After each kill
//! the ledger is opened again as the service opens it on a restart (recovery cuts a torn tail),
//! and the test checks:
//! - the log replays and verifies;
//! - every reservation on the household's account belongs to a run recorded on the ledger, and
//!   every run's payments are reserved (nothing reserved without its run, no run without its money);
//! - an answer the client received (201) is on the ledger;
//! - the same request made again completes, and the book then holds exactly what one
//!   uninterrupted request leaves (the model): no money stays locked, nothing is booked twice.
//!
//! No sleeping and no timers: the crash happens at a write the process makes itself, and the test
//! waits for the process to end.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use knop_ledger::note::NoteKey;
use knop_node::{os_salts, Node};
use knop_store::FileStore;

const IBAN: &str = "NL91ABNA0417164300";
const STATEMENT: &[u8] = include_bytes!("../../../examples/bank/maart-2026.xml");
/// Kill points per use-case: 200, or `KNOP_KILL_POINTS` (the long mode:
/// `KNOP_KILL_POINTS=1000 cargo test --release -p knop --test kill -- --nocapture`).
fn kill_points() -> usize {
    std::env::var("KNOP_KILL_POINTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n >= 200)
        .unwrap_or(200)
}

/// What a use-case's kill points checked, printed at its end.
fn report(use_case: &str, seed: u64, points: usize, acknowledged: usize) {
    eprintln!(
        "kill harness: {use_case}: {points} kills from seed {seed:#x}, {acknowledged} acknowledged before the kill; \
         checked: log replays, no reservation without its run, all-or-nothing, acknowledged present, \
         retry equals the model, no panic; 0 violations"
    );
}

/// The tests run one at a time: a child started by one test's thread inherits, until it execs,
/// the descriptors the other test's thread has open, and with them the store's lock.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

fn knop(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_knop"))
        .args(args)
        .env_remove("KNOP_DATA")
        .env_remove("KNOP_DATABASE")
        .env_remove("KNOP_MASTER_KEY")
        .env_remove("KNOP_TEST_CRASH_AT")
        .output()
        .unwrap()
}

fn ok(args: &[&str]) {
    let out = knop(args);
    assert!(
        out.status.success(),
        "knop {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A ledger with the foundation, household 1 (rent and energy from its account, an income),
/// household 2 (a salary), and the service's configuration: a counsellor and a supervisor.
struct Base {
    dir: tempfile::TempDir,
}

impl Base {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let p = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
        let (data, op, org) = (p("data"), p("operator.key"), p("stichting.key"));
        let with = |rest: &[&str]| {
            let mut args = vec!["--data", &data, "--operator-key", &op];
            args.extend_from_slice(rest);
            ok(&args);
        };
        with(&["init", "--origin", "knop.test/kill"]);
        with(&["org", "register", "--name", "stichting", "--key-out", &org]);
        let agreements = [
            (
                1,
                r#"{"id":"huur","label":"Woonstede","kind":"fixed_cost","category":"housing","amount_cents":90000,"schedule":{"monthly":{"day":1}},"counterparty_iban":"NL44RABO0123456789","reference":"Huur"}"#,
            ),
            (
                1,
                r#"{"id":"energie","label":"Energie","kind":"fixed_cost","category":"energy_water","amount_cents":12000,"schedule":{"monthly":{"day":1}},"counterparty_iban":"NL02ABNA0123456789"}"#,
            ),
            (
                1,
                r#"{"id":"uitkering","label":"Uitkering","kind":"income","amount_cents":120000,"schedule":{"monthly":{"day":24}}}"#,
            ),
            (
                2,
                r#"{"id":"loon","label":"Loon","kind":"income","amount_cents":120000,"schedule":{"monthly":{"day":24}},"counterparty_iban":"NL02ABNA0123456789","reference":"Salaris","tolerance_cents":5000}"#,
            ),
        ];
        for h in ["1", "2"] {
            with(&[
                "household",
                "open",
                "--as",
                &org,
                "--id",
                h,
                "--counsellor",
                "c-a",
                "--information",
                "v1",
            ]);
        }
        for (i, (h, a)) in agreements.iter().enumerate() {
            let f = p(&format!("agreement-{i}.json"));
            std::fs::write(&f, a).unwrap();
            with(&[
                "agreement",
                "set",
                "--as",
                &org,
                "--household",
                &h.to_string(),
                "--file",
                &f,
            ]);
        }
        let config = r#"{"api_keys": [], "users": [
            {"login": "consulent-a", "display": "Consulent A", "role": "counsellor", "scope": "c-a"},
            {"login": "controleur", "display": "Controleur", "role": "supervisor"}]}"#;
        std::fs::write(p("config.json"), config).unwrap();
        Base { dir }
    }

    /// Registers organisation `org` of `kind` on the base's ledger, its key in `ORG.key`.
    fn register(&self, org: &str, kind: &str) {
        let p = |name: &str| self.dir.path().join(name).to_str().unwrap().to_owned();
        ok(&[
            "--data",
            &p("data"),
            "--operator-key",
            &p("operator.key"),
            "org",
            "register",
            "--name",
            org,
            "--kind",
            kind,
            "--key-out",
            &p(&format!("{org}.key")),
        ]);
    }

    /// A fresh copy of the base, for one kill point.
    fn copy(&self) -> tempfile::TempDir {
        let to = tempfile::tempdir().unwrap();
        copy_dir(self.dir.path(), to.path());
        to
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// A response: status and body (`None`: the connection ended without one, the process died).
type Answer = Option<(u16, String)>;

/// One HTTP/1.1 request over a fresh connection.
fn http(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Answer {
    let mut s = TcpStream::connect(addr).ok()?;
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).ok()?;
    s.write_all(body).ok()?;
    let mut raw = String::new();
    s.read_to_string(&mut raw).ok()?;
    let status = raw.split(' ').nth(1)?.parse().ok()?;
    Some((status, raw))
}

/// The running service, killed (or ended) when dropped.
struct Service {
    child: std::process::Child,
    addr: String,
    /// What it wrote to standard error, read on a thread of its own.
    stderr: std::thread::JoinHandle<String>,
}

impl Service {
    fn start(dir: &Path, crash_at: Option<&str>) -> Self {
        let p = |name: &str| dir.join(name).to_str().unwrap().to_owned();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_knop"));
        cmd.args([
            "--data",
            &p("data"),
            "--operator-key",
            &p("operator.key"),
            "serve",
            "--as",
            &p("stichting.key"),
            "--iban",
            IBAN,
            "--config",
            &p("config.json"),
            "--dev-login",
            "--statements",
            &p("statements"),
            "--listen",
            "127.0.0.1:0",
        ])
        .env_remove("KNOP_DATA")
        .env_remove("KNOP_DATABASE")
        .env("KNOP_LANG", "en")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
        // The Rode Knop's base adds a vault; it and the Kindpakket's add the organisations'
        // keys the service signs with.
        if dir.join("vault.key").exists() {
            cmd.args(["--master-key", &p("vault.key")]);
        }
        for key in ["gemeente.key", "fietsenwinkel.key"] {
            if dir.join(key).exists() {
                cmd.args(["--host", &p(key)]);
            }
        }
        match crash_at {
            Some(at) => cmd.env("KNOP_TEST_CRASH_AT", at),
            None => cmd.env_remove("KNOP_TEST_CRASH_AT"),
        };
        let mut child = cmd.spawn().unwrap();
        let mut err = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        let addr = loop {
            line.clear();
            assert!(
                err.read_line(&mut line).unwrap() > 0,
                "the service ended before listening"
            );
            if let Some(rest) = line.split("http://").nth(1) {
                break rest.trim().trim_end_matches('/').to_owned();
            }
        };
        // Keep reading its standard error so that it never blocks on a full pipe.
        let stderr = std::thread::spawn(move || {
            let mut rest = String::new();
            let _ = err.read_to_string(&mut rest);
            rest
        });
        Service {
            child,
            addr,
            stderr,
        }
    }

    fn login(&self, login: &str) -> String {
        let (status, raw) = http(
            &self.addr,
            "POST",
            "/inloggen",
            &[("content-type", "application/x-www-form-urlencoded")],
            format!("login={login}").as_bytes(),
        )
        .expect("the login is answered");
        assert_eq!(status, 303, "{raw}");
        let cookie = raw
            .lines()
            .find_map(|l| l.strip_prefix("set-cookie: knop_session="))
            .expect("a session cookie");
        cookie.split(';').next().unwrap().to_owned()
    }

    /// Waits for the process to end (killed at its crash point, or asked to end); a panic in
    /// its log fails the test.
    fn end(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let log = self.stderr.join().unwrap_or_default();
        assert!(!log.contains("panicked"), "the service panicked:\n{log}");
    }
}

/// Opens the ledger as a restarted service does: recovery, replay, every check.
fn reopen(dir: &Path) -> (Node, NoteKey) {
    let op = NoteKey::parse(&std::fs::read_to_string(dir.join("operator.key")).unwrap()).unwrap();
    let org = NoteKey::parse(&std::fs::read_to_string(dir.join("stichting.key")).unwrap()).unwrap();
    let store = FileStore::open(&dir.join("data")).expect("the store opens after the kill");
    let node = Node::open(Box::new(store), Some(op), os_salts()).expect("the log replays");
    (node, org)
}

/// What the book holds: every account's four totals, by id. Timestamps and entry indexes differ
/// between an interrupted and an uninterrupted history; these must not.
fn balances(node: &Node) -> Vec<(u128, [i64; 4])> {
    let mut out: Vec<_> = node
        .state()
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
    out.sort();
    out
}

/// Nothing reserved without its run, no run without its reservations.
fn check_reservations(node: &Node, point: &str) {
    use knop_huishoudboekje::booking::{household_account, payment_id};
    let st = node.state();
    let book = st.book();
    for h in [1u128, 2].map(knop_huishoudboekje::HouseholdId) {
        let pending = book
            .account(household_account(h).id)
            .map_or(0, |a| a.debits_pending.0);
        let mut in_runs = 0;
        for r in st.runs().values().filter(|r| r.household == h) {
            let v = knop_app::payrun::RunView::of(r).expect("a run this version reads");
            for i in &v.content.items {
                let t = book
                    .transfer(payment_id(&i.end_to_end_id))
                    .unwrap_or_else(|| {
                        panic!("{point}: run {} without its reservation", v.content.run_id)
                    });
                assert_eq!(t.status, knop_book::PendingStatus::Pending, "{point}");
                in_runs += i.cents;
            }
        }
        assert_eq!(
            pending, in_runs,
            "{point}: household {h} has money reserved outside its runs"
        );
    }
    // The auditor's check (`knop log verify`) agrees.
    assert_eq!(
        knop_app::payrun::unowned_reservations(st),
        vec![],
        "{point}"
    );
}

/// The run of household 1 on 1 April, made again in-process after the restart (the use-case the
/// service calls), as a retry by the counsellor would.
fn retry_run(node: &mut Node, org: &NoteKey) -> knop_app::payrun::RunView {
    let debtor = knop_app::payrun::Debtor {
        name: "Stichting Huishoudboekje".into(),
        iban: IBAN.into(),
        advance_limit_cents: 150_000,
    };
    knop_app::payrun::make(
        node,
        org,
        u64::MAX / 4,
        knop_huishoudboekje::HouseholdId(1),
        "2026-04-01".parse().unwrap(),
        "consulent-a",
        &debtor,
        &Default::default(),
        knop_app::payrun::LivingMoneyTo::NoAccountKnown,
    )
    .expect("the run is made again after the restart")
}

/// Seeded kill points: (append, bytes) with bytes up to `frame_bytes` or "all".
fn points(seed: u64, appends: u64, frame_bytes: u64) -> Vec<String> {
    let mut x = seed;
    let mut next = move || {
        // xorshift64*: a fixed sequence, the same on every run.
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    (0..kill_points())
        .map(|_| {
            let n = 1 + next() % appends;
            match next() % 8 {
                0 => format!("{n}:all"),
                _ => format!("{n}:{}", next() % (frame_bytes + 1)),
            }
        })
        .collect()
}

fn log_bytes(dir: &Path) -> u64 {
    std::fs::metadata(dir.join("data/log.knop")).unwrap().len()
}

fn make_run(s: &Service, token: &str) -> Answer {
    http(
        &s.addr,
        "POST",
        "/api/v1/payment-runs",
        &[
            ("authorization", &format!("Bearer {token}")),
            ("content-type", "application/json"),
            ("idempotency-key", "run-1"),
        ],
        br#"{"household":"1","date":"2026-04-01"}"#,
    )
}

/// Kills the service at every seeded point of one request (`request`, answered 201 when it
/// completes), restarts, and checks: the log replays, nothing is reserved without its run
/// (`check_reservations`), `after_kill` holds (given whether the request was acknowledged),
/// the use-case made again in-process (`retry`, returning what it pays) pays `paid` and leaves
/// the book as one uninterrupted request did, also after another restart. `model` checks the
/// uninterrupted request's answer and ledger.
fn kill_at_every_point(
    use_case: &str,
    seed: u64,
    request: fn(&Service, &str) -> Answer,
    model: impl Fn(&Node, &str),
    after_kill: impl Fn(&Node, &str, bool),
    retry: impl Fn(&mut Node, &NoteKey) -> i64,
    paid: i64,
) {
    let _one = one_at_a_time();
    let base = Base::new();
    // The model: one uninterrupted request.
    let model_dir = base.copy();
    let before = log_bytes(model_dir.path());
    let s = Service::start(model_dir.path(), None);
    let token = s.login("consulent-a");
    let (status, raw) = request(&s, &token).expect("answered");
    assert_eq!(status, 201, "{raw}");
    s.end();
    let frame = log_bytes(model_dir.path()) - before;
    let (node, _) = reopen(model_dir.path());
    check_reservations(&node, "model");
    model(&node, &raw);
    let book = balances(&node);
    let (mut kills, mut acked) = (0, 0);
    for at in points(seed, 1, frame) {
        kills += 1;
        let dir = base.copy();
        let s = Service::start(dir.path(), Some(&at));
        let token = s.login("consulent-a");
        let answer = request(&s, &token);
        s.end();
        let (mut node, org) = reopen(dir.path());
        check_reservations(&node, &at);
        let acknowledged = matches!(answer, Some((201, _)));
        acked += usize::from(acknowledged);
        after_kill(&node, &at, acknowledged);
        assert_eq!(retry(&mut node, &org), paid, "{at}");
        check_reservations(&node, &at);
        assert_eq!(
            balances(&node),
            book,
            "{at}: the book differs from one uninterrupted request"
        );
        drop(node);
        let (node, _) = reopen(dir.path());
        assert_eq!(balances(&node), book, "{at}: after another restart");
    }
    report(use_case, seed, kills, acked);
}

#[test]
fn a_payment_run_killed_at_any_point_leaves_all_of_it_or_nothing() {
    kill_at_every_point(
        "POST /payment-runs",
        0x6b6e_6f70,
        make_run,
        |node, _| assert_eq!(node.state().runs().len(), 1),
        |node, at, acknowledged| {
            if acknowledged {
                assert_eq!(
                    node.state().runs().len(),
                    1,
                    "{at}: an acknowledged run is lost"
                );
            }
        },
        |node, org| retry_run(node, org).total_cents,
        102_000,
    );
}

fn make_day_file(s: &Service, token: &str) -> Answer {
    http(
        &s.addr,
        "POST",
        "/api/v1/day-files",
        &[
            ("authorization", &format!("Bearer {token}")),
            ("content-type", "application/json"),
            ("idempotency-key", "day-1"),
        ],
        br#"{"date":"2026-04-01"}"#,
    )
}

/// The day file of the caseload on 1 April, made again in-process after the restart.
fn retry_day_file(node: &mut Node, org: &NoteKey) -> knop_app::day_file::Made {
    let debtor = knop_app::payrun::Debtor {
        name: "Stichting Huishoudboekje".into(),
        iban: IBAN.into(),
        advance_limit_cents: 150_000,
    };
    knop_app::day_file::make(
        node,
        org,
        u64::MAX / 4,
        &[1u128, 2].map(knop_huishoudboekje::HouseholdId),
        "2026-04-01".parse().unwrap(),
        "consulent-a",
        &debtor,
        &Default::default(),
        knop_app::day_file::LivingMoney {
            to: knop_app::payrun::LivingMoneyTo::NoAccountKnown,
            own_account_known: &|_| false,
        },
    )
    .expect("the day file is made again after the restart")
}

#[test]
fn a_day_file_killed_at_any_point_leaves_all_of_it_or_nothing() {
    kill_at_every_point(
        "POST /day-files",
        0x6461_6731,
        make_day_file,
        |node, raw| {
            assert!(
                raw.contains("\"left_out\":[{\"household\":\"2\""),
                "household 2 has nothing to pay: {raw}"
            );
            let st = node.state();
            assert_eq!((st.batches().len(), st.runs().len()), (1, 1));
        },
        |node, at, acknowledged| {
            let st = node.state();
            assert_eq!(
                st.batches().len(),
                st.runs().len(),
                "{at}: a day file and its one run, or neither"
            );
            if acknowledged {
                assert_eq!(
                    st.batches().len(),
                    1,
                    "{at}: an acknowledged day file is lost"
                );
            }
        },
        |node, org| retry_day_file(node, org).day_file.total_cents,
        102_000,
    );
}

fn upload(s: &Service, token: &str) -> Answer {
    http(
        &s.addr,
        "POST",
        "/api/v1/bank-statements",
        &[
            ("authorization", &format!("Bearer {token}")),
            ("content-type", "application/xml"),
            ("idempotency-key", "upload-1"),
        ],
        STATEMENT,
    )
}

/// The statement imported and matched again in-process after the restart (the use-cases the
/// service calls), as uploading the same file again does.
fn retry_upload(node: &mut Node, org: &NoteKey) {
    let read = knop_app::ops::read_statement(STATEMENT, IBAN).unwrap();
    knop_app::ops::import_planned(node, org, u64::MAX / 4, &read.plan).unwrap();
    knop_app::ops::match_all(
        node,
        org,
        u64::MAX / 4,
        &read,
        "2026-03-31".parse().unwrap(),
        &knop_app::access::Role::Administrator,
    )
    .unwrap();
}

#[test]
fn a_statement_upload_killed_at_any_point_leaves_all_of_it_or_nothing() {
    let _one = one_at_a_time();
    let base = Base::new();
    let model_dir = base.copy();
    let before = log_bytes(model_dir.path());
    let (entries_before, nothing) = {
        let (base_node, _) = reopen(model_dir.path());
        (base_node.size(), balances(&base_node))
    };
    let s = Service::start(model_dir.path(), None);
    let token = s.login("consulent-a");
    let (status, raw) = upload(&s, &token).expect("answered");
    assert_eq!(status, 201, "{raw}");
    s.end();
    let frames = log_bytes(model_dir.path()) - before;
    let (mut model, org) = reopen(model_dir.path());
    let size = model.size();
    // Uploading it again changes nothing.
    retry_upload(&mut model, &org);
    assert_eq!(model.size(), size);
    let model = balances(&model);
    // The upload is one entry (import and matching together); the kill points cover it.
    let appends = size - entries_before;
    assert_eq!(appends, 1, "an upload of this size is one entry");
    let (seed, mut kills, mut acked) = (0x7570_6c64, 0, 0);
    for at in points(seed, appends, frames) {
        kills += 1;
        let dir = base.copy();
        let s = Service::start(dir.path(), Some(&at));
        let token = s.login("consulent-a");
        let answer = upload(&s, &token);
        s.end();
        let (mut node, org) = reopen(dir.path());
        check_reservations(&node, &at);
        // All of it (imported and matched) or nothing of it.
        let book = balances(&node);
        assert!(
            book == model || book == nothing,
            "{at}: half an upload is on the ledger"
        );
        if let Some((201, _)) = answer {
            acked += 1;
            assert_eq!(book, model, "{at}: an acknowledged upload is lost");
        }
        // What is booked is always kept to show: the file is written before the booking.
        if book == model {
            assert_eq!(
                kept(dir.path()),
                1,
                "{at}: booked, but the statement is not kept"
            );
        }
        retry_upload(&mut node, &org);
        assert_eq!(
            balances(&node),
            model,
            "{at}: the book differs from one uninterrupted upload"
        );
    }
    report("POST /bank-statements", seed, kills, acked);
}

/// Statements the service keeps in `dir/statements` (sealed), and no half-written file.
fn kept(dir: &Path) -> usize {
    let names: Vec<String> = std::fs::read_dir(dir.join("statements"))
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    assert!(
        names.iter().all(|n| n.ends_with(".xml.sealed")),
        "only sealed statements: {names:?}"
    );
    names.len()
}

#[test]
fn a_full_disk_during_an_upload_books_nothing_and_the_retry_completes() {
    // Found by a probe: on a full disk the answer was 500 although the statement was booked,
    // a .tmp file stayed, and the service refused all writes until restarted.
    let _one = one_at_a_time();
    let base = Base::new();
    let dir = base.copy();
    let (before, nothing) = {
        let (n, _) = reopen(dir.path());
        (n.size(), balances(&n))
    };
    // The first append of this process (the upload's one entry) fails as a full disk does.
    let s = Service::start(dir.path(), Some("1:full"));
    let token = s.login("consulent-a");
    let (status, raw) = upload(&s, &token).expect("answered");
    assert_eq!(status, 500, "{raw}");
    assert!(raw.contains("No space left on device"), "{raw}");
    // Ready again: the ledger was opened again at what is durable.
    let (status, raw) = http(&s.addr, "GET", "/readyz", &[], b"").unwrap();
    assert_eq!(status, 200, "{raw}");
    assert!(raw.contains(&format!("ok {before} entries")), "{raw}");
    // The same request again completes.
    let (status, raw) = upload(&s, &token).expect("answered");
    assert_eq!(status, 201, "{raw}");
    s.end();
    let (node, _) = reopen(dir.path());
    assert_eq!(node.size(), before + 1, "one entry: the retry's");
    assert_ne!(balances(&node), nothing);
    assert_eq!(kept(dir.path()), 1);
}

/// `knop bank import` of the statement on `dir`'s ledger, killed at `crash_at` if given.
fn bank_import(dir: &Path, crash_at: Option<&str>) -> Output {
    let p = |name: &str| dir.join(name).to_str().unwrap().to_owned();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_knop"));
    cmd.args([
        "--data",
        &p("data"),
        "--operator-key",
        &p("operator.key"),
        "bank",
        "import",
        &p("statement.xml"),
        "--iban",
        IBAN,
        "--as",
        &p("stichting.key"),
    ])
    .env_remove("KNOP_DATA")
    .env_remove("KNOP_DATABASE");
    match crash_at {
        Some(at) => cmd.env("KNOP_TEST_CRASH_AT", at),
        None => cmd.env_remove("KNOP_TEST_CRASH_AT"),
    };
    cmd.output().unwrap()
}

#[test]
fn a_bank_import_killed_at_any_point_leaves_all_of_it_or_nothing() {
    let _one = one_at_a_time();
    let base = Base::new();
    std::fs::write(base.dir.path().join("statement.xml"), STATEMENT).unwrap();
    let model_dir = base.copy();
    let before = log_bytes(model_dir.path());
    let nothing = balances(&reopen(model_dir.path()).0);
    let out = bank_import(model_dir.path(), None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let frames = log_bytes(model_dir.path()) - before;
    let model = balances(&reopen(model_dir.path()).0);
    assert_ne!(model, nothing);
    let (seed, mut kills, mut acked) = (0x696d_706f, 0, 0);
    for at in points(seed, 1, frames) {
        kills += 1;
        let dir = base.copy();
        let out = bank_import(dir.path(), Some(&at));
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!stderr.contains("panicked"), "{at}: {stderr}");
        let book = balances(&reopen(dir.path()).0);
        assert!(book == model || book == nothing, "{at}: half an import");
        if out.status.success() {
            acked += 1;
            assert_eq!(book, model, "{at}: reported done, but not on the ledger");
        }
        let again = bank_import(dir.path(), None);
        assert!(
            again.status.success(),
            "{at}: {}",
            String::from_utf8_lossy(&again.stderr)
        );
        assert_eq!(
            balances(&reopen(dir.path()).0),
            model,
            "{at}: the retry differs"
        );
    }
    report("knop bank import", seed, kills, acked);
}

#[test]
fn an_unfinished_request_header_does_not_hold_a_connection() {
    // Found by a probe: an incomplete request header held a connection open for 45 s and more.
    let _one = one_at_a_time();
    let base = Base::new();
    let dir = base.copy();
    let s = Service::start(dir.path(), None);
    let mut c = TcpStream::connect(&s.addr).unwrap();
    // A bound for the test only: the service must close well before it.
    c.set_read_timeout(Some(std::time::Duration::from_secs(40)))
        .unwrap();
    c.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\nx-slow: ")
        .unwrap();
    let mut rest = Vec::new();
    let read = c.read_to_end(&mut rest);
    assert!(
        read.is_ok(),
        "the service closes the connection itself (HEADER_TIMEOUT), not the test's bound: {read:?}"
    );
    // Meanwhile and after, the service answers others.
    let (status, raw) = http(&s.addr, "GET", "/readyz", &[], b"").unwrap();
    assert_eq!(status, 200, "{raw}");
    s.end();
}

#[test]
fn a_backup_of_the_running_service_is_consistent_and_verifies() {
    let _one = one_at_a_time();
    let base = Base::new();
    let dir = base.copy();
    let s = Service::start(dir.path(), None);
    let token = s.login("consulent-a");
    let (status, raw) = upload(&s, &token).expect("answered");
    assert_eq!(status, 201, "{raw}");
    let p = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    let to = dir.path().join("backup");
    // Taken while the service runs.
    let out = Command::new(env!("CARGO_BIN_EXE_knop"))
        .args(["--data", &p("data"), "backup", "--to", to.to_str().unwrap()])
        .args(["--statements", &p("statements")])
        .env("KNOP_LANG", "en")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("verified"), "{said}");
    assert!(said.contains("afschriften (1 files)"), "{said}");
    s.end();
    let out = Command::new(env!("CARGO_BIN_EXE_knop"))
        .args([
            "--data",
            to.join("grootboek").to_str().unwrap(),
            "log",
            "verify",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (original, _) = reopen(dir.path());
    let store = FileStore::open_read_only(&to.join("grootboek")).unwrap();
    let copy = Node::open(Box::new(store), None, os_salts()).unwrap();
    assert_eq!(copy.size(), original.size());
    assert_eq!(balances(&copy), balances(&original));
    // Into a directory that holds something: refused, nothing overwritten.
    let out = Command::new(env!("CARGO_BIN_EXE_knop"))
        .args(["--data", &p("data"), "backup", "--to", to.to_str().unwrap()])
        .env("KNOP_LANG", "en")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not empty"));
}

#[test]
fn the_demo_keeps_its_keys_private_and_can_be_served_again() {
    // Found by a probe: the demo's vault.key was mode 0644, and `knop demo --into DIR` kept
    // neither the operator's nor the foundation's key, so its ledger could not be served again.
    use std::os::unix::fs::PermissionsExt;
    let _one = one_at_a_time();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let mut demo = Command::new(env!("CARGO_BIN_EXE_knop"))
        .args([
            "demo",
            "--into",
            dir.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ])
        .env("KNOP_LANG", "en")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(demo.stdout.take().unwrap());
    let mut line = String::new();
    let mut said = String::new();
    while !said.contains("Stop: Ctrl-C") {
        line.clear();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "the demo ended: {said}"
        );
        said.push_str(&line);
    }
    let _ = demo.kill();
    let _ = demo.wait();
    let mode = |name: &str| {
        std::fs::metadata(dir.join(name))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    for key in ["vault.key", "operator.key", "stichting.key"] {
        assert_eq!(mode(key), 0o600, "{key}");
    }
    for e in std::fs::read_dir(dir.join("afschriften")).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(name.ends_with(".xml.enc"), "kept encrypted: {name}");
    }
    assert!(said.contains("serve it again"), "{said}");
    // Served again with what the directory holds.
    let p = |name: &str| dir.join(name).to_str().unwrap().to_owned();
    let mut serve = Command::new(env!("CARGO_BIN_EXE_knop"))
        .args([
            "--data",
            &p("grootboek/log"),
            "--operator-key",
            &p("operator.key"),
            "serve",
        ])
        .args([
            "--as",
            &p("stichting.key"),
            "--iban",
            IBAN,
            "--vault",
            &p("vault"),
        ])
        .args([
            "--master-key",
            &p("vault.key"),
            "--statements",
            &p("afschriften"),
        ])
        .args([
            "--journal",
            &p("service.journal"),
            "--listen",
            "127.0.0.1:0",
        ])
        .env("KNOP_LANG", "en")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(serve.stderr.take().unwrap());
    let mut log = String::new();
    let addr = loop {
        line.clear();
        assert!(
            err.read_line(&mut line).unwrap() > 0,
            "knop serve ended: {log}"
        );
        log.push_str(&line);
        if let Some(rest) = line.split("http://").nth(1) {
            break rest.trim().trim_end_matches('/').to_owned();
        }
    };
    let (status, raw) = http(&addr, "GET", "/readyz", &[], b"").unwrap();
    let _ = serve.kill();
    let _ = serve.wait();
    assert_eq!(status, 200, "{raw}");
}

fn issue_declaration(s: &Service, token: &str) -> Answer {
    api(
        s,
        token,
        "POST",
        "/api/v1/declarations",
        "verklaring-1",
        r#"{"household":"1"}"#,
    )
}

/// The household's declarations as its counsellor reads them (those in the wallet that the
/// ledger knows).
fn held_declarations(s: &Service) -> usize {
    let token = s.login("consulent-a");
    let (status, raw) = http(
        &s.addr,
        "GET",
        "/api/v1/households/1/declarations",
        &[("authorization", &format!("Bearer {token}"))],
        b"",
    )
    .expect("answered");
    assert_eq!(status, 200, "{raw}");
    raw.matches("\"status_index\"").count()
}

#[test]
fn a_declaration_killed_at_any_point_is_issued_once_or_not_at_all() {
    let _one = one_at_a_time();
    let base = Base::new();
    let dir = base.dir.path();
    let p = |name: &str| dir.join(name).to_str().unwrap().to_owned();
    base.register("gemeente", "municipality");
    std::fs::write(p("vault.key"), knop_app::vault::new_master_key()).unwrap();
    let config = r#"{"api_keys": [], "users": [
        {"login": "consulent-a", "display": "Consulent A", "role": "counsellor", "scope": "c-a"},
        {"login": "gemeente", "display": "Gemeente", "role": "municipality", "scope": "gemeente"}]}"#;
    std::fs::write(p("config.json"), config).unwrap();
    // The resident's personal data, in the base's vault.
    let s = Service::start(dir, None);
    let token = s.login("consulent-a");
    let (status, raw) = api(
        &s,
        &token,
        "PUT",
        "/api/v1/households/1/personal-data",
        "pd-1",
        r#"{"name":"Sanne de Vries","bsn":"111222333","birthdate":"1984-02-29"}"#,
    )
    .expect("answered");
    assert_eq!(status, 200, "{raw}");
    s.end();
    // The model: one uninterrupted issue.
    let model = base.copy();
    let before = log_bytes(model.path());
    let s = Service::start(model.path(), None);
    let (status, raw) = issue_declaration(&s, &s.login("gemeente")).expect("answered");
    assert_eq!(status, 201, "{raw}");
    assert_eq!(held_declarations(&s), 1);
    s.end();
    let frame = log_bytes(model.path()) - before;
    let (mut kills, mut acked) = (0, 0);
    for at in points(0x726f_6465, 1, frame) {
        kills += 1;
        let copy = base.copy();
        let s = Service::start(copy.path(), Some(&at));
        let answer = issue_declaration(&s, &s.login("gemeente"));
        s.end();
        let (node, _) = reopen(copy.path());
        let on_ledger = node.state().declarations().len();
        let acknowledged = matches!(answer, Some((201, _)));
        acked += usize::from(acknowledged);
        assert!(on_ledger <= 1, "{at}: {on_ledger} declarations");
        if acknowledged {
            assert_eq!(on_ledger, 1, "{at}: acknowledged but not on the ledger");
        }
        drop(node);
        // Restarted, the resident sees exactly what the ledger holds; issuing again completes
        // (a new one) or says one holds (409), and then there is exactly one.
        let s = Service::start(copy.path(), None);
        assert_eq!(
            held_declarations(&s),
            on_ledger,
            "{at}: the wallet shows what the ledger holds"
        );
        let (status, raw) = issue_declaration(&s, &s.login("gemeente")).expect("answered");
        let expected = if on_ledger == 1 {
            [201, 409]
        } else {
            [201, 201]
        };
        assert!(expected.contains(&status), "{at}: {status} {raw}");
        assert_eq!(held_declarations(&s), 1, "{at}");
        s.end();
        let (node, _) = reopen(copy.path());
        assert_eq!(node.state().declarations().len(), 1, "{at}");
    }
    report("POST /declarations", 0x726f_6465, kills, acked);
}

fn api(s: &Service, token: &str, method: &str, path: &str, key: &str, body: &str) -> Answer {
    http(
        &s.addr,
        method,
        path,
        &[
            ("authorization", &format!("Bearer {token}")),
            ("content-type", "application/json"),
            ("idempotency-key", key),
        ],
        body.as_bytes(),
    )
}

/// A base ledger with the municipality `gemeente`, the shop `fietsenwinkel`, the fund `kp`
/// (bicycles) with the shop accepted, `more` requests of the municipality, and a voucher for
/// household 1.
fn kindpakket_base(more: &[(&str, &str, &str)]) -> Base {
    let base = Base::new();
    let dir = base.dir.path();
    base.register("gemeente", "municipality");
    base.register("fietsenwinkel", "merchant");
    let config = r#"{"api_keys": [], "users": [
        {"login": "gemeente", "display": "Gemeente", "role": "municipality", "scope": "gemeente"},
        {"login": "fietsenwinkel", "display": "Fietsenwinkel", "role": "merchant", "scope": "fietsenwinkel"}]}"#;
    std::fs::write(dir.join("config.json"), config).unwrap();
    let s = Service::start(dir, None);
    let g = s.login("gemeente");
    let fund: [(&str, &str, &str); 2] = [
        (
            "/api/v1/kindpakket/funds",
            "f1",
            r#"{"id":"kp","child_cents":30000,"from":"2000-01-01","until":"2099-12-31","categories":["bicycles"],"cap_cents":25000}"#,
        ),
        (
            "/api/v1/kindpakket/funds/kp/merchants",
            "m1",
            r#"{"merchant":"fietsenwinkel","categories":["bicycles"]}"#,
        ),
    ];
    let voucher = (
        "/api/v1/kindpakket/funds/kp/vouchers",
        "v1",
        r#"{"household":"1"}"#,
    );
    for (path, key, body) in fund.iter().chain(more).chain([&voucher]) {
        let (status, raw) = api(&s, &g, "POST", path, key, body).expect("answered");
        assert_eq!(status, 201, "{path}: {raw}");
    }
    s.end();
    base
}

#[test]
fn a_kindpakket_purchase_killed_at_any_point_is_booked_once_or_not_at_all() {
    let _one = one_at_a_time();
    let base = kindpakket_base(&[]);
    let dir = base.dir.path();
    let (node, _) = reopen(dir);
    let voucher = node.state().vouchers().keys().next().unwrap().clone();
    drop(node);
    let municipality =
        NoteKey::parse(&std::fs::read_to_string(dir.join("gemeente.key")).unwrap()).unwrap();
    let buy = |s: &Service| {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let (code, _) = knop_app::kindpakket::code(&municipality, &voucher, now);
        let body = format!(r#"{{"code":"{code}","category":"bicycles","cents":8995}}"#);
        let token = s.login("fietsenwinkel");
        api(
            s,
            &token,
            "POST",
            "/api/v1/kindpakket/spends",
            "buy-1",
            &body,
        )
    };
    let left = |dir: &Path| {
        let (node, _) = reopen(dir);
        let v = knop_app::kindpakket::voucher(node.state(), &voucher).unwrap();
        (node.state().spends().len(), v.left_cents)
    };
    // The model: one uninterrupted purchase.
    let model = base.copy();
    let before = log_bytes(model.path());
    let s = Service::start(model.path(), None);
    let (status, raw) = buy(&s).expect("answered");
    assert_eq!(status, 201, "{raw}");
    s.end();
    assert_eq!(left(model.path()), (1, 30_000 - 8_995));
    let frame = log_bytes(model.path()) - before;
    let (mut kills, mut acked) = (0, 0);
    for at in points(0x6b69_6e64, 1, frame) {
        kills += 1;
        let copy = base.copy();
        let s = Service::start(copy.path(), Some(&at));
        let answer = buy(&s);
        s.end();
        let (spends, money) = left(copy.path());
        let acknowledged = matches!(answer, Some((201, _)));
        acked += usize::from(acknowledged);
        assert!(spends <= 1, "{at}: {spends} spends");
        assert_eq!(
            money,
            30_000 - 8_995 * spends as i64,
            "{at}: the money is the spends'"
        );
        if acknowledged {
            assert_eq!(spends, 1, "{at}: acknowledged but not booked");
        }
        // Restarted, the till sends it again: booked once, answered as booked.
        let s = Service::start(copy.path(), None);
        let (status, raw) = buy(&s).expect("answered");
        assert_eq!(status, 201, "{at}: {raw}");
        s.end();
        assert_eq!(left(copy.path()), (1, 30_000 - 8_995), "{at}");
    }
    report("POST /kindpakket/spends", 0x6b69_6e64, kills, acked);
}

#[test]
fn a_kindpakket_payout_killed_at_any_point_is_made_once_or_not_at_all() {
    let _one = one_at_a_time();
    // The base with the shop's account.
    let base = kindpakket_base(&[(
        "/api/v1/kindpakket/funds/kp/payees",
        "y1",
        r#"{"merchant":"fietsenwinkel","iban":"NL91ABNA0417164300","name":"Fietsen Jansen"}"#,
    )]);
    let dir = base.dir.path();
    let (node, _) = reopen(dir);
    let voucher = node.state().vouchers().keys().next().unwrap().clone();
    drop(node);
    let municipality =
        NoteKey::parse(&std::fs::read_to_string(dir.join("gemeente.key")).unwrap()).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let (code, _) = knop_app::kindpakket::code(&municipality, &voucher, now);
    let s = Service::start(dir, None);
    let body = format!(r#"{{"code":"{code}","category":"bicycles","cents":8995}}"#);
    let (status, raw) = api(
        &s,
        &s.login("fietsenwinkel"),
        "POST",
        "/api/v1/kindpakket/spends",
        "buy-1",
        &body,
    )
    .expect("answered");
    assert_eq!(status, 201, "{raw}");
    s.end();
    let (node, _) = reopen(dir);
    let day = node.state().spends().values().next().unwrap().date;
    drop(node);
    let pay = |s: &Service| {
        let body = format!(
            r#"{{"until":"{day}","execution_date":"{day}","from_iban":"NL02ABNA0123456789"}}"#
        );
        api(
            s,
            &s.login("gemeente"),
            "POST",
            "/api/v1/kindpakket/funds/kp/payouts",
            "pay-1",
            &body,
        )
    };
    // What the ledger holds: payouts, and what the fund still owes the shop.
    let held = |dir: &Path| {
        let (node, _) = reopen(dir);
        let owed = knop_app::kindpakket::report(node.state(), "kp")
            .unwrap()
            .owed_cents;
        (node.state().payouts().len(), owed)
    };
    // The model: one uninterrupted payout.
    let model = base.copy();
    let before = log_bytes(model.path());
    let s = Service::start(model.path(), None);
    let (status, raw) = pay(&s).expect("answered");
    assert_eq!(status, 201, "{raw}");
    s.end();
    assert_eq!(held(model.path()), (1, 0));
    let frame = log_bytes(model.path()) - before;
    let (mut kills, mut acked) = (0, 0);
    for at in points(0x7061_796f, 1, frame) {
        kills += 1;
        let copy = base.copy();
        let s = Service::start(copy.path(), Some(&at));
        let answer = pay(&s);
        s.end();
        let (payouts, owed) = held(copy.path());
        let acknowledged = matches!(answer, Some((201, _)));
        acked += usize::from(acknowledged);
        assert!(payouts <= 1, "{at}: {payouts} payouts");
        assert_eq!(
            owed,
            8_995 * (1 - payouts as i64),
            "{at}: the purchase is owed or in the payout, never both or neither"
        );
        if acknowledged {
            assert_eq!(payouts, 1, "{at}: acknowledged but not made");
        }
        // Restarted, the same request again: one payout, answered as made.
        let s = Service::start(copy.path(), None);
        let (status, raw) = pay(&s).expect("answered");
        assert_eq!(status, 201, "{at}: {raw}");
        s.end();
        assert_eq!(held(copy.path()), (1, 0), "{at}");
    }
    report(
        "POST /kindpakket/funds/{fund}/payouts",
        0x7061_796f,
        kills,
        acked,
    );
}
