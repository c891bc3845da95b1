//! The `knop` command end to end: the happy path, and each kind of bad input getting a precise
//! error with nothing written. Runs against the embedded store and PostgreSQL.

use std::path::Path;
use std::process::{Command, Output};

fn knop<S: AsRef<str>>(args: &[S]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_knop"))
        .args(args.iter().map(|a| a.as_ref()))
        .env_remove("KNOP_DATA")
        .env_remove("KNOP_DATABASE")
        .output()
        .unwrap()
}

fn ok<S: AsRef<str>>(args: &[S]) -> String {
    let out = knop(args);
    let shown: Vec<&str> = args.iter().map(|a| a.as_ref()).collect();
    assert!(
        out.status.success(),
        "knop {shown:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn fails<S: AsRef<str>>(args: &[S]) -> String {
    let out = knop(args);
    let shown: Vec<&str> = args.iter().map(|a| a.as_ref()).collect();
    assert!(!out.status.success(), "knop {shown:?} should fail");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Sets up a ledger with organisation "stichting" and accounts 1 and 2 (2 may not go below
/// zero); returns the arguments that select it and the organisation's key file.
fn setup(loc: &[&str], keys: &Path) -> String {
    let op_key = keys.join("operator.key");
    let op_key = op_key.to_str().unwrap();
    let org_key = keys.join("stichting.key");
    let org_key_s = org_key.to_str().unwrap().to_owned();
    let with = |rest: &[&str]| -> Vec<String> {
        [loc, &["--operator-key", op_key], rest]
            .concat()
            .into_iter()
            .map(str::to_owned)
            .collect()
    };
    ok(&with(&["init", "--origin", "knop.test/cli"]));
    ok(&with(&[
        "org",
        "register",
        "--name",
        "stichting",
        "--key-out",
        &org_key_s,
    ]));
    ok(&with(&[
        "account", "create", "--as", &org_key_s, "--id", "1",
    ]));
    ok(&with(&[
        "account",
        "create",
        "--as",
        &org_key_s,
        "--id",
        "2",
        "--no-overdraft",
    ]));
    org_key_s
}

/// An embedded ledger prepared by [`setup`] for one test.
struct Ledger {
    dir: tempfile::TempDir,
    org: String,
}

impl Ledger {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let org = setup(
            &["--data", dir.path().join("data").to_str().unwrap()],
            dir.path(),
        );
        Self { dir, org }
    }

    /// The data directory.
    fn data(&self) -> String {
        self.dir.path().join("data").to_str().unwrap().to_owned()
    }

    /// `rest`, preceded by the arguments that select this ledger and its operator key.
    fn args(&self, rest: &[&str]) -> Vec<String> {
        let op_key = self.dir.path().join("operator.key");
        let head = [
            "--data".to_owned(),
            self.data(),
            "--operator-key".to_owned(),
            op_key.to_str().unwrap().to_owned(),
        ];
        head.into_iter()
            .chain(rest.iter().map(|s| s.to_string()))
            .collect()
    }
}

fn scenario(loc: &[&str], keys: &Path) {
    let org = setup(loc, keys);
    let op_key = keys.join("operator.key");
    let op_key = op_key.to_str().unwrap();
    let with = |rest: &[&str]| -> Vec<String> {
        [loc, &["--operator-key", op_key], rest]
            .concat()
            .into_iter()
            .map(str::to_owned)
            .collect()
    };
    ok(&with(&[
        "transfer", "create", "--as", &org, "--id", "10", "--debit", "1", "--credit", "2",
        "--amount", "100,00",
    ]));
    // Idempotent: the same transfer again pays nothing twice.
    ok(&with(&[
        "transfer", "create", "--as", &org, "--id", "10", "--debit", "1", "--credit", "2",
        "--amount", "100,00",
    ]));
    let shown = ok(&with(&["account", "show", "2", "--json"]));
    assert!(shown.contains("\"balance_cents\":10000"), "{shown}");
    let size = |out: &str| out.lines().next().unwrap().to_owned();
    let before = size(&ok(&with(&["log", "verify"])));
    assert_eq!(before, "ok 6 entries");

    // Bad input: each a precise error, nothing written.
    let e = fails(&with(&[
        "transfer", "create", "--as", &org, "--id", "11", "--debit", "2", "--credit", "1",
        "--amount", "100,001",
    ]));
    assert!(e.contains("more than two decimals"), "{e}");
    let out = knop(&with(&[
        "transfer", "create", "--as", &org, "--id", "11", "--debit", "2", "--credit", "1",
        "--amount", "100,01",
    ]));
    assert_eq!(out.status.code(), Some(3));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("exceeds the credits of account 2"), "{e}");
    let e = fails(&with(&[
        "transfer", "create", "--as", &org, "--id", "10", "--debit", "1", "--credit", "2",
        "--amount", "99",
    ]));
    assert!(e.contains("different amount"), "{e}");
    let e = fails(&with(&[
        "transfer", "create", "--as", &org, "--id", "12", "--debit", "1", "--credit", "9",
        "--amount", "1",
    ]));
    assert!(e.contains("credit account not found"), "{e}");
    let e = fails(&with(&["account", "show", "99"]));
    assert!(e.contains("99"), "{e}");
    let e = fails(&with(&[
        "transfer",
        "create",
        "--as",
        "/nonexistent.key",
        "--id",
        "13",
        "--debit",
        "1",
        "--credit",
        "2",
        "--amount",
        "1",
    ]));
    assert!(e.contains("/nonexistent.key"), "{e}");
    let e = fails(&with(&["log", "prove", "--index", "70"]));
    assert!(e.contains("70"), "{e}");
    assert_eq!(size(&ok(&with(&["log", "verify"]))), before);

    // Proofs, checked offline against the checkpoint with the operator's key.
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_owned()
    };
    let vkey = ok(&with(&["log", "key"])).trim().to_owned();
    let cp = write("cp.note", &ok(&with(&["log", "checkpoint"])));
    let proof = write("p.json", &ok(&with(&["log", "prove", "--index", "5"])));
    assert!(ok(&[
        "log",
        "verify-proof",
        "--proof",
        &proof,
        "--checkpoint",
        &cp,
        "--key",
        &vkey
    ])
    .starts_with("ok"));
    let cons = write(
        "c.json",
        &ok(&with(&["log", "prove", "--from", "2", "--to", "6"])),
    );
    assert!(ok(&[
        "log",
        "verify-proof",
        "--proof",
        &cons,
        "--checkpoint",
        &cp,
        "--key",
        &vkey
    ])
    .starts_with("ok"));
    // A proof with a hash of the wrong length, and one with a changed hash.
    let text = std::fs::read_to_string(&proof).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let first = v["proof"][0].as_str().unwrap().to_owned();
    let short = write("short.json", &text.replace(&first, "AAAA"));
    let e = fails(&[
        "log",
        "verify-proof",
        "--proof",
        &short,
        "--checkpoint",
        &cp,
        "--key",
        &vkey,
    ]);
    assert!(e.contains("proof[0]: 3 bytes, expected 32"), "{e}");
    let flipped = if first.starts_with('A') {
        first.replacen('A', "B", 1)
    } else {
        format!("A{}", &first[1..])
    };
    let bad = write("bad.json", &text.replace(&first, &flipped));
    let e = fails(&[
        "log",
        "verify-proof",
        "--proof",
        &bad,
        "--checkpoint",
        &cp,
        "--key",
        &vkey,
    ]);
    assert!(e.contains("does not verify"), "{e}");
    let other = "knop.test/cli+00000000+AcQ7BqkYu5J5XlZGT7kNbPlpnO8N8TY6qz7dM3yGx3Y0";
    fails(&[
        "log",
        "verify-proof",
        "--proof",
        &proof,
        "--checkpoint",
        &cp,
        "--key",
        other,
    ]);

    // Export: one JSON line per entry, with leaf, entry and salt.
    let export = ok(&with(&["log", "export", "--from", "1", "--to", "3"]));
    assert_eq!(export.lines().count(), 2);
    assert!(export
        .lines()
        .all(|l| l.contains("\"leaf\"") && l.contains("\"salt\"") && l.contains("\"entry\"")));
}

#[test]
fn embedded_store_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    scenario(&["--data", data.to_str().unwrap()], dir.path());

    // Tampering with the stored log: verify fails and names the index.
    let log = data.join("log.knop");
    let mut bytes = std::fs::read(&log).unwrap();
    let n = bytes.len();
    bytes[n - 70] ^= 1;
    std::fs::write(&log, bytes).unwrap();
    let out = knop(&["--data", data.to_str().unwrap(), "log", "verify"]);
    assert!(!out.status.success());
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("index 5"), "{e}");
}

#[test]
fn postgres_store_end_to_end() {
    let base = std::env::var("KNOP_TEST_DATABASE")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let schema = format!("knop_cli_{}", std::process::id());
    let mut c = postgres::Client::connect(&base, postgres::NoTls).unwrap();
    c.batch_execute(&format!(
        "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
    ))
    .unwrap();
    let url = format!("{base}?options=-csearch_path%3D{schema}");
    let dir = tempfile::tempdir().unwrap();
    scenario(&["--database", &url], dir.path());
    c.batch_execute(&format!(
        "UPDATE {schema}.knop_entries SET entry = set_byte(entry, 30, 0) WHERE idx = 4"
    ))
    .unwrap();
    let out = knop(&["--database", &url, "log", "verify"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("index 4"));
    c.batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .unwrap();
}

#[test]
fn init_refuses_an_existing_ledger_and_commands_need_one() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d");
    let d = data.to_str().unwrap();
    ok(&["--data", d, "init"]);
    let e = fails(&["--data", d, "init"]);
    assert!(e.contains("er staat al een grootboek"), "{e}");
    let e = fails(&["--lang", "en", "--data", d, "init"]);
    assert!(e.contains("a knop log already exists"), "{e}");
    let e = fails(&[
        "--data",
        dir.path().join("none").to_str().unwrap(),
        "log",
        "checkpoint",
    ]);
    assert!(e.contains("knop init"), "{e}");
    let e = fails(&["--data", d, "log", "prove"]);
    assert!(e.contains("--index"), "{e}");
}

#[test]
fn demo_runs_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let out = ok(&[
        "demo",
        "--walkthrough",
        "--into",
        dir.path().join("demo").to_str().unwrap(),
    ]);
    assert!(out.contains("ok 11 entries"), "{out}");
    assert!(out.contains("geweigerd"), "{out}");
}

#[test]
fn two_phase_linked_batches_and_erasure() {
    let ledger = Ledger::new();
    let (dir, org) = (&ledger.dir, ledger.org.clone());
    let with = |rest: &[&str]| ledger.args(rest);
    let balance = |id: &str| -> i64 {
        let v: serde_json::Value =
            serde_json::from_str(&ok(&with(&["account", "show", id, "--json"]))).unwrap();
        v["balance_cents"].as_i64().unwrap()
    };
    ok(&with(&[
        "transfer", "create", "--as", &org, "--id", "1", "--debit", "1", "--credit", "2",
        "--amount", "50",
    ]));
    ok(&with(&[
        "transfer",
        "create",
        "--as",
        &org,
        "--id",
        "2",
        "--debit",
        "2",
        "--credit",
        "1",
        "--amount",
        "30",
        "--pending",
    ]));
    ok(&with(&[
        "transfer", "create", "--as", &org, "--id", "3", "--post", "2", "--amount", "20",
    ]));
    assert_eq!(balance("2"), 3000);
    ok(&with(&[
        "transfer",
        "create",
        "--as",
        &org,
        "--id",
        "4",
        "--debit",
        "2",
        "--credit",
        "1",
        "--amount",
        "10",
        "--pending",
    ]));
    ok(&with(&[
        "transfer", "create", "--as", &org, "--id", "5", "--void", "4",
    ]));
    let e = fails(&with(&[
        "transfer", "create", "--as", &org, "--id", "6", "--post", "4",
    ]));
    assert!(e.contains("already voided"), "{e}");

    // A linked batch whose second transfer overdraws: neither is booked.
    let batch = dir.path().join("batch.json");
    std::fs::write(
        &batch,
        r#"[{"id": 20, "debit": 1, "credit": 2, "amount": "1,00", "linked": true},
                               {"id": 21, "debit": 2, "credit": 1, "amount_cents": 999999}]"#,
    )
    .unwrap();
    let e = fails(&with(&[
        "transfer",
        "batch",
        "--as",
        &org,
        "--file",
        batch.to_str().unwrap(),
    ]));
    assert!(
        e.contains("event 0: another event in the linked chain failed"),
        "{e}"
    );
    assert_eq!(balance("2"), 3000);
    std::fs::write(
        &batch,
        r#"[{"id": 20, "debit": 1, "credit": 2, "amount": "1,00", "linked": true, "color": 1}]"#,
    )
    .unwrap();
    let e = fails(&with(&[
        "transfer",
        "batch",
        "--as",
        &org,
        "--file",
        batch.to_str().unwrap(),
    ]));
    assert!(e.contains("unknown field `color`"), "{e}");

    // An attachment with personal data, erased under the AVG: the log still verifies.
    let doc = dir.path().join("consent.txt");
    std::fs::write(&doc, "Ik, J. Jansen, doe mee.").unwrap();
    ok(&with(&[
        "attach",
        "--as",
        &org,
        "--subject",
        "42",
        "--kind",
        "consent",
        "--file",
        doc.to_str().unwrap(),
    ]));
    let index = ok(&with(&["log", "verify"]))
        .trim()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse::<u64>()
        .unwrap()
        - 1;
    let e = fails(&with(&["log", "erase", "--index", "3", "--reason", "x"]));
    assert!(e.contains("not an earlier attachment"), "{e}");
    ok(&with(&[
        "log",
        "erase",
        "--index",
        &index.to_string(),
        "--reason",
        "AVG-verzoek 1",
    ]));
    let line = ok(&with(&[
        "log",
        "export",
        "--from",
        &index.to_string(),
        "--to",
        &(index + 1).to_string(),
    ]));
    assert!(
        line.contains("\"entry\":null") && line.contains("\"salt\":null"),
        "{line}"
    );
    assert!(ok(&with(&["log", "verify"])).starts_with("ok "));
}

#[test]
fn bench_prints_the_figures_and_keeps_its_store() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("bench");
    let out = ok(&[
        "--data",
        data.to_str().unwrap(),
        "bench",
        "ledger",
        "--transfers",
        "3000",
        "--batch",
        "500",
        "--accounts",
        "50",
        "--proof-leaves",
        "1000",
    ]);
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    for key in [
        "transfers",
        "seconds",
        "transfers_per_s",
        "batch_latency_ms",
        "bytes_per_transfer",
        "verify_entries_per_s",
        "proof_us",
        "peak_rss_bytes",
    ] {
        assert!(v.get(key).is_some(), "{key} missing in {out}");
    }
    assert_eq!(v["transfers"], 3000);
    assert_eq!(
        ok(&["--data", data.to_str().unwrap(), "log", "verify"]).trim(),
        format!("ok {} entries", v["entries"])
    );
    let e = fails(&[
        "--data",
        data.to_str().unwrap(),
        "bench",
        "ledger",
        "--transfers",
        "10",
    ]);
    assert!(e.contains("not empty"), "{e}");
    let e = fails(&["bench", "ledger", "--batch", "0"]);
    assert!(e.contains("--batch"), "{e}");
}

fn examples() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/facts")
}

#[test]
fn rules_calc_gives_every_regulation_for_every_example() {
    for entry in std::fs::read_dir(examples()).unwrap() {
        let path = entry.unwrap().path();
        let out = ok(&[
            "rules",
            "calc",
            "--date",
            "2026-03-01",
            path.to_str().unwrap(),
        ]);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        for key in [
            "zorgtoeslag",
            "huurtoeslag",
            "kindgebonden_budget",
            "kinderbijslag",
            "bijstandsnorm",
            "beslagvrije_voet",
            "minima",
        ] {
            let r = &v[key];
            assert!(r["eligible"].is_boolean(), "{}: {key}: {r}", path.display());
            assert!(
                r["year_cents"].is_i64()
                    && r["month_cents"].is_i64()
                    && r["trace"]["steps"].is_array(),
                "{key}: {r}"
            );
        }
        let text = ok(&[
            "rules",
            "calc",
            "--date",
            "2026-03-01",
            "--explain",
            path.to_str().unwrap(),
        ]);
        assert!(text.contains("omdat"), "{text}");
    }
}

#[test]
fn rules_reject_bad_facts_and_dates_precisely() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_owned()
    };
    let broken = write("broken.json", "{\n  \"persons\": [\n    { \"birth_date\": \"1990-01-01\", \"toetsingsinkomen_cents\": 1000, }\n  ]\n}");
    let e = fails(&["rules", "calc", "--date", "2026-03-01", &broken]);
    assert!(e.contains("broken.json") && e.contains("line 3"), "{e}");
    let unknown = write(
        "unknown.json",
        r#"{"persons": [{"birth_date": "1990-01-01", "toetsingsinkomen_cents": 0, "salary": 5}]}"#,
    );
    assert!(fails(&["rules", "calc", "--date", "2026-03-01", &unknown])
        .contains("unknown field `salary`"));
    let negative = write(
        "neg.json",
        r#"{"persons": [{"birth_date": "1990-01-01", "toetsingsinkomen_cents": -5}]}"#,
    );
    assert!(fails(&["rules", "calc", "--date", "2026-03-01", &negative])
        .contains("persons[0].toetsingsinkomen_cents: must not be negative"));
    let ok_facts = write(
        "ok.json",
        r#"{"persons": [{"birth_date": "1990-01-01", "toetsingsinkomen_cents": 2000000}]}"#,
    );
    let e = fails(&["rules", "calc", "--date", "2031-01-01", &ok_facts]);
    assert!(e.contains("no parameters for 2031-01-01"), "{e}");
    assert!(fails(&["rules", "calc", "--date", "2026-13-01", &ok_facts]).contains("2026-13-01"));
    let richer = write(
        "richer.json",
        r#"{"persons": [{"birth_date": "1990-01-01", "toetsingsinkomen_cents": 3500000}]}"#,
    );
    let d = ok(&["rules", "diff", "--date", "2026-06-01", &ok_facts, &richer]);
    assert!(
        d.contains("zorgtoeslag") && d.contains("terugbetalen"),
        "{d}"
    );
    let j: serde_json::Value = serde_json::from_str(&ok(&[
        "rules",
        "diff",
        "--date",
        "2026-06-01",
        &ok_facts,
        &richer,
        "--json",
    ]))
    .unwrap();
    assert!(
        j["changes"][0]["repayment_risk_cents"].as_i64().unwrap() > 0,
        "{j}"
    );
    let bench: serde_json::Value =
        serde_json::from_str(&ok(&["bench", "rules", "--households", "2000"])).unwrap();
    assert_eq!(bench["households"], 2000);
    assert!(ok(&["rules", "params"]).contains("zorgtoeslag/2026-01-01.toml"));
}

#[test]
fn the_declaration_benchmark_verifies_and_reports() {
    let bench: serde_json::Value =
        serde_json::from_str(&ok(&["bench", "declaration", "--count", "50"])).unwrap();
    assert_eq!(bench["presentations"], 50);
    assert!(
        bench["verifications_per_s"].as_f64().unwrap() > 0.0,
        "{bench}"
    );
    assert!(fails(&["bench", "declaration", "--count", "x"]).contains("--count"));
}

#[test]
fn bank_inspect_reads_camt053_and_names_bad_amounts() {
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../bank/tests/data");
    let good = data.join("huishoudboekje-Payment_mandate_CAMT.053_v1.xml");
    let v: serde_json::Value =
        serde_json::from_str(&ok(&["bank", "inspect", good.to_str().unwrap(), "--json"])).unwrap();
    assert_eq!(v["statements"][0]["entries"][0]["cents"], -65432);
    assert_eq!(v["statements"][0]["entries"][0]["mandate_id"], "5784272");
    assert_eq!(v["statements"][0]["debits_cents"], 65432);
    let text = ok(&["bank", "inspect", good.to_str().unwrap()]);
    assert!(text.contains("-€ 654,32"), "{text}");
    let bad = data.join("genkgo-camt053.v2.five.decimals.xml");
    let e = fails(&["bank", "inspect", bad.to_str().unwrap()]);
    assert!(
        e.contains("five.decimals.xml") && e.contains("line 43") && e.contains("3 decimals"),
        "{e}"
    );
    assert!(fails(&["bank", "inspect", "/nonexistent.xml"]).contains("/nonexistent.xml"));
}

#[test]
fn forecast_warns_before_money_runs_short() {
    let plan = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/plans/huurtoeslag-te-laat.json");
    let v: serde_json::Value = serde_json::from_str(&ok(&[
        "forecast",
        plan.to_str().unwrap(),
        "--from",
        "2026-01-01",
        "--json",
    ]))
    .unwrap();
    assert_eq!(v["first_shortfall"]["date"], "2026-02-23");
    assert_eq!(v["first_shortfall"]["balance_cents"], -7000);
    assert_eq!(v["balances"].as_array().unwrap().len(), 90);
    let text = ok(&["forecast", plan.to_str().unwrap(), "--from", "2026-01-01"]);
    assert!(text.contains("eerste tekort op 23 februari 2026"), "{text}");
    let e = fails(&[
        "forecast",
        plan.to_str().unwrap(),
        "--from",
        "2026-01-01",
        "--days",
        "1000",
    ]);
    assert!(e.contains("1 to 400 days"), "{e}");
}

#[test]
fn bank_import_is_idempotent_all_or_nothing_and_reconciled() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    let org = setup(&["--data", d], dir.path());
    let statement = |closing: &str| {
        format!(
            r#"<?xml version="1.0"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt><GrpHdr><MsgId>M</MsgId></GrpHdr>
<Stmt><Id>S-2026-03</Id><Acct><Id><IBAN>NL91ABNA0417164300</IBAN></Id><Ccy>EUR</Ccy></Acct>
<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">100.00</Amt><CdtDbtInd>CRDT</CdtDbtInd></Bal>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">{closing}</Amt><CdtDbtInd>CRDT</CdtDbtInd></Bal>
<Ntry><Amt Ccy="EUR">1401.50</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><AcctSvcrRef>REF-1</AcctSvcrRef></Ntry>
<Ntry><Amt Ccy="EUR">650.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><AcctSvcrRef>REF-2</AcctSvcrRef></Ntry>
<Ntry><Amt Ccy="EUR">5.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>PDNG</Cd></Sts></Ntry>
</Stmt></BkToCstmrStmt></Document>"#
        )
    };
    let good = dir.path().join("good.xml");
    std::fs::write(&good, statement("851.50")).unwrap();
    let op_key = dir.path().join("operator.key");
    let op_key = op_key.to_str().unwrap();
    let import = |file: &std::path::Path, iban: &str| {
        knop(&[
            "--data",
            d,
            "--operator-key",
            op_key,
            "bank",
            "import",
            file.to_str().unwrap(),
            "--iban",
            iban,
            "--as",
            &org,
            "--json",
        ])
    };
    let out = import(&good, "NL91 ABNA 0417 1643 00");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (v["booked"].as_i64(), v["difference_cents"].as_i64()),
        (Some(3), Some(0)),
        "{v}"
    );
    assert_eq!(v["skipped"].as_array().unwrap().len(), 1);
    assert_eq!(v["warnings"], serde_json::json!([]), "{v}");
    let size = ok(&["--data", d, "log", "verify"]);
    // The same file again: nothing booked, nothing written.
    let v: serde_json::Value =
        serde_json::from_slice(&import(&good, "NL91ABNA0417164300").stdout).unwrap();
    assert_eq!(
        (v["booked"].as_i64(), v["already_imported"].as_i64()),
        (Some(0), Some(3))
    );
    assert_eq!(ok(&["--data", d, "log", "verify"]), size);
    // Another account's statement: refused, nothing booked.
    let e = String::from_utf8_lossy(&import(&good, "NL20INGB0001234567").stderr).into_owned();
    assert!(
        e.contains("not the foundation's account NL20INGB0001234567"),
        "{e}"
    );
    assert_eq!(ok(&["--data", d, "log", "verify"]), size);
    // A statement whose closing balance the book does not reach: booked, and an alert (exit 4).
    let off = dir.path().join("off.xml");
    std::fs::write(
        &off,
        statement("900.00")
            .replace("REF-1", "REF-3")
            .replace("REF-2", "REF-4")
            .replace("S-2026-03", "S-2026-04")
            // The bank's own summary says four entries: one is missing from the file.
            .replacen(
                "<Ntry>",
                "<TxsSummry><TtlNtries><NbOfNtries>4</NbOfNtries></TtlNtries></TxsSummry><Ntry>",
                1,
            ),
    )
    .unwrap();
    let out = import(&off, "NL91ABNA0417164300");
    assert_eq!(out.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&out.stderr).contains("ALARM afstemming"));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let warnings = v["warnings"].to_string();
    assert!(
        warnings.contains("line 6: the statement's summary counts 4 entries, the file holds 3"),
        "{v}"
    );
}

#[test]
fn bank_match_explains_every_line_and_raises_alerts() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let (stmt, plan) = (
        root.join("bank/maart-2026.xml"),
        root.join("plans/huurtoeslag-te-laat.json"),
    );
    let v: serde_json::Value = serde_json::from_str(&ok(&[
        "bank",
        "match",
        stmt.to_str().unwrap(),
        "--plan",
        plan.to_str().unwrap(),
        "--today",
        "2026-03-31",
        "--json",
    ]))
    .unwrap();
    let kinds: Vec<&str> = v["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["match"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "direct_debit",
            "income (due 2026-03-24)",
            "own_payment",
            "suspense"
        ]
    );
    let alerts = v["alerts"].to_string();
    assert!(
        alerts.contains("huurtoeslag") && alerts.contains("terugboeking"),
        "{alerts}"
    );
}

#[test]
fn allocate_serves_housing_first_and_names_what_is_short() {
    let plan = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/plans/huurtoeslag-te-laat.json");
    let v: serde_json::Value = serde_json::from_str(&ok(&[
        "allocate",
        plan.to_str().unwrap(),
        "--available",
        "1200,00",
        "--from",
        "2026-04-01",
        "--through",
        "2026-04-30",
        "--json",
    ]))
    .unwrap();
    let first = &v["reservations"][0];
    assert_eq!(
        (
            first["agreement"].as_str(),
            first["reserved_cents"].as_i64()
        ),
        (Some("huur"), Some(85000))
    );
    let last = v["reservations"].as_array().unwrap().last().unwrap();
    assert_eq!(
        (last["agreement"].as_str(), last["reserved_cents"].as_i64()),
        (Some("leefgeld"), Some(0))
    );
    assert!(fails(&[
        "allocate",
        plan.to_str().unwrap(),
        "--available",
        "12,345",
        "--from",
        "2026-04-01",
        "--through",
        "2026-04-30"
    ])
    .contains("more than two decimals"));
}

#[test]
fn payment_run_needs_a_second_person_and_exports_valid_pain001() {
    let ledger = Ledger::new();
    let (dir, org) = (&ledger.dir, ledger.org.clone());
    let with = |rest: &[&str]| ledger.args(rest);
    let rent = dir.path().join("huur.json");
    std::fs::write(&rent, r#"{"id": "huur", "kind": "fixed_cost", "category": "housing", "amount_cents": 85000, "schedule": {"monthly": {"day": 1}}, "counterparty_iban": "NL44RABO0123456789", "reference": "Huur"}"#).unwrap();
    ok(&with(&[
        "household",
        "open",
        "--as",
        &org,
        "--id",
        "5",
        "--counsellor",
        "c",
        "--information",
        "v1",
    ]));
    ok(&with(&[
        "agreement",
        "set",
        "--as",
        &org,
        "--household",
        "5",
        "--file",
        rent.to_str().unwrap(),
    ]));
    let make = |date: &str| {
        with(&[
            "pay",
            "run",
            "--household",
            "5",
            "--date",
            date,
            "--as",
            &org,
            "--debtor-iban",
            "NL91ABNA0417164300",
            "--by",
            "Alice",
            "--json",
        ])
    };
    let run: serde_json::Value = serde_json::from_str(&ok(&make("2026-02-27"))).unwrap();
    let id = run["content"]["run_id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("KNOP-RUN-20260227-"), "{run}");
    assert_eq!(run["created_by"], "alice");
    assert_eq!(run["total_cents"], 85000);
    // Made again: the same run, nothing written twice.
    let size = |out: String| out.split_whitespace().nth(1).unwrap().to_owned();
    let before = size(ok(&with(&["log", "verify"])));
    let again: serde_json::Value = serde_json::from_str(&ok(&make("2026-02-27"))).unwrap();
    assert_eq!(again["content"]["run_id"], id.as_str());
    assert_eq!(size(ok(&with(&["log", "verify"]))), before);
    let xml = dir.path().join("pay.xml");
    let xml_s = xml.to_str().unwrap();
    let export =
        |created: &str| with(&["pay", "export", &id, "--out", xml_s, "--created", created]);
    assert!(fails(&export("2026-02-26T09:00:00")).contains("vier ogen"));
    // The maker may not approve (the ledger refuses it, whatever the CLI is told).
    assert!(fails(&with(&[
        "pay", "approve", &id, "--by", "ALICE", "--as", &org
    ]))
    .contains("four eyes"));
    ok(&with(&["pay", "approve", &id, "--by", "bob", "--as", &org]));
    // Approving again records nothing new.
    let before = size(ok(&with(&["log", "verify"])));
    ok(&with(&["pay", "approve", &id, "--by", "bob", "--as", &org]));
    assert_eq!(size(ok(&with(&["log", "verify"]))), before);
    ok(&export("2026-02-26T09:00:00"));
    let text = std::fs::read_to_string(&xml).unwrap();
    assert!(
        text.contains("<InstdAmt Ccy=\"EUR\">850.00</InstdAmt>") && text.contains("KNOP-20260301-"),
        "{text}"
    );
    // A weekend date is refused; a run that is not on the ledger has no file.
    assert!(fails(&make("2026-02-28")).contains("TARGET2"));
    assert!(fails(&with(&[
        "pay",
        "export",
        "KNOP-RUN-20260227-00000000",
        "--out",
        dir.path().join("y.xml").to_str().unwrap()
    ]))
    .contains("KNOP-RUN-20260227-00000000"));
    // The preview shows what a plan would pay and writes nothing.
    let plan = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/plans/huurtoeslag-te-laat.json");
    let out = ok(&[
        "pay",
        "preview",
        "--plan",
        plan.to_str().unwrap(),
        "--date",
        "2026-02-27",
        "--available",
        "1500",
    ]);
    assert!(out.contains("huur"), "{out}");
}

#[test]
fn simulate_writes_summary_report_and_valid_bank_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sim");
    let text = ok(&[
        "simulate",
        "--scenario",
        "five-residents",
        "--months",
        "12",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(text.contains("kees-en-mira"), "{text}");
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    let households = v["households"].as_array().unwrap();
    assert_eq!(households.len(), 5);
    for h in households {
        let (sq, kn) = (&h["totals"]["status_quo"], &h["totals"]["knop"]);
        assert!(kn["paid_late"].as_i64() <= sq["paid_late"].as_i64(), "{h}");
        assert_eq!(h["knop"].as_array().unwrap().len(), 12);
    }
    // The bank files went through the real pipeline: every line matched, balances as modelled.
    assert_eq!(v["pipeline"]["ok"], true, "{}", v["pipeline"]);
    assert_eq!(v["pipeline"]["suspense_cents"], 0);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        html.contains("<svg") && html.contains("Vijf virtuele inwoners"),
        "report"
    );
    // Every bank file reads back; statements add up.
    let camt: Vec<_> = std::fs::read_dir(out.join("bank/camt053"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(camt.len(), 12);
    for f in &camt {
        let v: serde_json::Value =
            serde_json::from_str(&ok(&["bank", "inspect", f.to_str().unwrap(), "--json"])).unwrap();
        assert_eq!(v["statements"][0]["imbalance_cents"], 0, "{}", f.display());
        assert_eq!(v["statements"][0]["mixed_currencies"], false);
    }
    assert!(std::fs::read_dir(out.join("bank/pain001")).unwrap().count() > 20);
    assert!(fails(&["simulate", "--out", out.to_str().unwrap()]).contains("niet leeg"));
    assert!(fails(&[
        "simulate",
        "--months",
        "0",
        "--out",
        dir.path().join("x").to_str().unwrap()
    ])
    .contains("months"));
}

#[test]
fn households_and_agreements_live_on_the_ledger() {
    let ledger = Ledger::new();
    let (dir, org) = (&ledger.dir, ledger.org.clone());
    let with = |rest: &[&str]| ledger.args(rest);
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_owned()
    };
    let rent = write(
        "huur.json",
        r#"{"id": "huur", "kind": "fixed_cost", "category": "housing", "amount_cents": 78000, "schedule": {"monthly": {"day": 1}}, "counterparty_iban": "NL44RABO0123456789", "label": "Huur"}"#,
    );
    let wage = write(
        "loon.json",
        r#"{"id": "loon", "kind": "income", "amount_cents": 150000, "schedule": {"monthly": {"day": 24}}, "counterparty_iban": "NL02ABNA0123456789", "reference": "Salaris"}"#,
    );
    let living = write(
        "leefgeld.json",
        r#"{"id": "leefgeld", "kind": "living_money", "amount_cents": 7500, "schedule": {"weekly": {"weekday": "monday"}}, "counterparty_iban": "NL91ABNA0417164300"}"#,
    );
    // Nothing is agreed before the opt-in.
    let out = knop(&with(&[
        "agreement",
        "set",
        "--as",
        &org,
        "--household",
        "42",
        "--file",
        &rent,
    ]));
    assert_eq!(out.status.code(), Some(3));
    ok(&with(&[
        "household",
        "open",
        "--as",
        &org,
        "--id",
        "42",
        "--counsellor",
        "bb-12",
        "--information",
        "knop-info-v1",
    ]));
    ok(&with(&[
        "agreement",
        "set",
        "--as",
        &org,
        "--household",
        "42",
        "--file",
        &rent,
    ]));
    ok(&with(&[
        "agreement",
        "set",
        "--as",
        &org,
        "--household",
        "42",
        "--file",
        &wage,
    ]));
    let out = knop(&with(&[
        "agreement",
        "set",
        "--as",
        &org,
        "--household",
        "42",
        "--file",
        &living,
    ]));
    assert!(String::from_utf8_lossy(&out.stderr).contains("personal data"));
    // The household's own advance limit goes on the ledger; out of range is refused.
    let limit = |euros: &str| {
        knop(&with(&[
            "household",
            "advance-limit",
            "--as",
            &org,
            "--id",
            "42",
            "--euros",
            euros,
        ]))
    };
    for bad in ["-1", "10000,01", "veel"] {
        let out = limit(bad);
        assert!(!out.status.success(), "{bad}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("--euros"),
            "{bad}"
        );
    }
    assert!(limit("500").status.success());
    let v: serde_json::Value =
        serde_json::from_str(&ok(&with(&["household", "show", "42", "--json"]))).unwrap();
    assert_eq!(v["agreements"].as_array().unwrap().len(), 2);
    assert_eq!(v["advance_limit_cents"], 50_000);
    // The household's plan drives the forecast and the payment run.
    let f: serde_json::Value = serde_json::from_str(&ok(&with(&[
        "forecast",
        "--household",
        "42",
        "--balance",
        "100",
        "--from",
        "2026-03-25",
        "--json",
    ])))
    .unwrap();
    assert_eq!(f["first_shortfall"]["date"], "2026-04-01", "{f}");
    let preview = ok(&with(&[
        "pay",
        "preview",
        "--household",
        "42",
        "--date",
        "2026-02-27",
        "--available",
        "800",
    ]));
    assert!(preview.contains("huur"), "{preview}");
    ok(&with(&[
        "agreement",
        "end",
        "--as",
        &org,
        "--household",
        "42",
        "--id",
        "huur",
        "--through",
        "2026-06-30",
    ]));
    ok(&with(&[
        "household",
        "revoke",
        "--as",
        &org,
        "--id",
        "42",
        "--effective",
        "2030-01-01",
    ]));
    assert!(ok(&with(&["household", "list"])).contains("opgezegd"));
    assert!(fails(&with(&["household", "show", "43"])).contains("43"));
    assert!(ok(&with(&["log", "verify"])).starts_with("ok "));
}

#[test]
fn dates_at_the_end_of_the_calendar_terminate() {
    let plan = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/plans/huurtoeslag-te-laat.json");
    let v: serde_json::Value = serde_json::from_str(&ok(&[
        "forecast",
        plan.to_str().unwrap(),
        "--from",
        "9999-12-01",
        "--days",
        "90",
        "--json",
    ]))
    .unwrap();
    assert_eq!(v["balances"].as_array().unwrap().len(), 31);
}

#[test]
fn imported_lines_move_from_suspense_to_the_household() {
    let ledger = Ledger::new();
    let (dir, org) = (&ledger.dir, ledger.org.clone());
    let with = |rest: &[&str]| ledger.args(rest);
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    // The example statement pays the rent under the plan file's EndToEndId; for household 42
    // knop's payment would carry the household-scoped one.
    let due: jiff::civil::Date = "2026-04-01".parse().unwrap();
    let xml = std::fs::read_to_string(root.join("bank/maart-2026.xml"))
        .unwrap()
        .replace(
            knop_huishoudboekje::matching::end_to_end_id("huur", due).as_str(),
            &knop_huishoudboekje::matching::end_to_end_id("42/huur", due),
        );
    let stmt = dir.path().join("maart-42.xml");
    std::fs::write(&stmt, xml).unwrap();
    let stmt = stmt.to_str().unwrap();
    let iban = "NL91ABNA0417164300";
    ok(&with(&[
        "household",
        "open",
        "--as",
        &org,
        "--id",
        "42",
        "--counsellor",
        "bb-12",
        "--information",
        "v1",
    ]));
    // The household's agreements, taken from the example plan.
    let plan: serde_json::Value = serde_json::from_slice(
        &std::fs::read(root.join("plans/huurtoeslag-te-laat.json")).unwrap(),
    )
    .unwrap();
    for a in plan["agreements"].as_array().unwrap() {
        let mut a = a.clone();
        if a["kind"] == "living_money" {
            a.as_object_mut().unwrap().remove("counterparty_iban");
        }
        let f = dir
            .path()
            .join(format!("{}.json", a["id"].as_str().unwrap()));
        std::fs::write(&f, a.to_string()).unwrap();
        ok(&with(&[
            "agreement",
            "set",
            "--as",
            &org,
            "--household",
            "42",
            "--file",
            f.to_str().unwrap(),
        ]));
    }
    // Booking matches before the statement is imported is refused.
    let book_match = [
        "bank",
        "match",
        stmt,
        "--household",
        "42",
        "--today",
        "2026-03-31",
        "--book",
        "--iban",
        iban,
        "--as",
        org.as_str(),
    ];
    let e = fails(&with(&book_match));
    assert!(e.contains("importeer het afschrift eerst"), "{e}");
    ok(&with(&[
        "bank", "import", stmt, "--iban", iban, "--as", &org,
    ]));
    let s: serde_json::Value =
        serde_json::from_str(&ok(&with(&["bank", "suspense", "--iban", iban, "--json"]))).unwrap();
    assert_eq!(s["suspense_cents"], 120_000 + 500 - 14_500 - 85_000);
    assert_eq!(s["bank_cents"], 51_000);
    ok(&with(&book_match));
    // Again: nothing new.
    assert!(ok(&with(&book_match)).contains("Geboekt: 0"));
    let s: serde_json::Value =
        serde_json::from_str(&ok(&with(&["bank", "suspense", "--iban", iban, "--json"]))).unwrap();
    assert_eq!(
        s["suspense_cents"], 500,
        "only the interest line is left: {s}"
    );
    assert_eq!(s["households"][0]["cents"], 120_000 - 14_500 - 85_000);
    // The counsellor assigns the last line by hand.
    ok(&with(&[
        "bank",
        "assign",
        stmt,
        "--line",
        "4",
        "--household",
        "42",
        "--iban",
        iban,
        "--as",
        &org,
    ]));
    let s: serde_json::Value =
        serde_json::from_str(&ok(&with(&["bank", "suspense", "--iban", iban, "--json"]))).unwrap();
    assert_eq!(s["suspense_cents"], 0);
    assert!(fails(&with(&[
        "bank",
        "assign",
        stmt,
        "--line",
        "9",
        "--household",
        "42",
        "--iban",
        iban,
        "--as",
        &org
    ]))
    .contains("1..=4"));
    // Alerts for the household: the overdue huurtoeslag from the statement, and the forecast.
    let v: serde_json::Value = serde_json::from_str(&ok(&with(&[
        "alerts",
        "--household",
        "42",
        "--today",
        "2026-03-31",
        "--balance",
        "0",
        "--statement",
        stmt,
        "--json",
    ])))
    .unwrap();
    let text = v["alerts"].to_string();
    assert!(
        text.contains("huurtoeslag") && text.contains("te weinig geld voor"),
        "{text}"
    );
    // Agreements can be listed and shown in the same shape `agreement set` reads.
    assert!(ok(&with(&["agreement", "list", "--household", "42"])).contains("huur"));
    let shown: serde_json::Value = serde_json::from_str(&ok(&with(&[
        "agreement",
        "show",
        "--household",
        "42",
        "--id",
        "zorg",
    ])))
    .unwrap();
    assert_eq!(shown["direct_debit"]["mandate_id"], "ZK-123");
    assert_eq!(shown["kind"], "fixed_cost");
    let f = dir.path().join("zorg-again.json");
    std::fs::write(&f, shown.to_string()).unwrap();
    ok(&with(&[
        "agreement",
        "set",
        "--as",
        &org,
        "--household",
        "42",
        "--file",
        f.to_str().unwrap(),
    ]));
    assert!(ok(&with(&["log", "verify"])).starts_with("ok "));
}

/// A minimal camt.053 for the foundation account with the given entries:
/// (amount, CRDT/DBIT, servicer reference, extra TxDtls XML).
fn statement_xml(id: &str, entries: &[(&str, &str, &str, String)]) -> String {
    let mut x = format!(
        r#"<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt><GrpHdr><MsgId>{id}</MsgId></GrpHdr><Stmt><Id>{id}</Id><Acct><Id><IBAN>NL91ABNA0417164300</IBAN></Id></Acct>"#
    );
    for (amount, ind, reference, details) in entries {
        x.push_str(&format!(
            r#"<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>{ind}</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-03-31</Dt></BookgDt><AcctSvcrRef>{reference}</AcctSvcrRef><NtryDtls><TxDtls>{details}</TxDtls></NtryDtls></Ntry>"#
        ));
    }
    x.push_str("</Stmt></BkToCstmrStmt></Document>");
    x
}

#[test]
fn a_payment_run_reserves_and_the_statement_posts_it() {
    let ledger = Ledger::new();
    let (dir, org) = (&ledger.dir, ledger.org.clone());
    let with = |rest: &[&str]| ledger.args(rest);
    let iban = "NL91ABNA0417164300";
    let file = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_owned()
    };
    ok(&with(&[
        "household",
        "open",
        "--as",
        &org,
        "--id",
        "7",
        "--counsellor",
        "c",
        "--information",
        "v1",
    ]));
    let wage = file(
        "loon.json",
        r#"{"id": "loon", "kind": "income", "amount_cents": 150000, "schedule": {"monthly": {"day": 24}}, "counterparty_iban": "NL02ABNA0123456789", "reference": "Salaris"}"#,
    );
    let rent = file(
        "huur.json",
        r#"{"id": "huur", "kind": "fixed_cost", "category": "housing", "amount_cents": 90000, "schedule": {"monthly": {"day": 1}}, "counterparty_iban": "NL44RABO0123456789", "label": "Mitros"}"#,
    );
    ok(&with(&[
        "agreement",
        "set",
        "--as",
        &org,
        "--household",
        "7",
        "--file",
        &wage,
    ]));
    ok(&with(&[
        "agreement",
        "set",
        "--as",
        &org,
        "--household",
        "7",
        "--file",
        &rent,
    ]));
    // The wage arrives and is matched to the household.
    // The bank's statement imported, then matched to household 7 and booked.
    let import_and_book = |path: &str| {
        ok(&with(&[
            "bank", "import", path, "--iban", iban, "--as", &org,
        ]));
        ok(&with(&[
            "bank",
            "match",
            path,
            "--household",
            "7",
            "--today",
            "2026-04-01",
            "--book",
            "--iban",
            iban,
            "--as",
            &org,
        ]))
    };
    let income = file("s1.xml", &statement_xml("S1", &[("1500.00", "CRDT", "R1", r#"<RltdPties><DbtrAcct><Id><IBAN>NL02ABNA0123456789</IBAN></Id></DbtrAcct></RltdPties><RmtInf><Ustrd>Salaris maart</Ustrd></RmtInf>"#.into())]));
    import_and_book(&income);
    // The run for Wednesday 1 April reserves April's rent on the ledger.
    let pay_run = || -> serde_json::Value {
        serde_json::from_str(&ok(&with(&[
            "pay",
            "run",
            "--household",
            "7",
            "--date",
            "2026-04-01",
            "--as",
            &org,
            "--debtor-iban",
            iban,
            "--by",
            "alice",
            "--json",
        ])))
        .unwrap()
    };
    let run = pay_run();
    let acct = |h: &str| -> serde_json::Value {
        let s: serde_json::Value =
            serde_json::from_str(&ok(&with(&["bank", "suspense", "--iban", iban, "--json"])))
                .unwrap();
        s["households"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["household"] == h)
            .cloned()
            .unwrap()
    };
    assert_eq!(acct("7")["cents"], 150000);
    let e2e = run["content"]["items"][0]["end_to_end_id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Making the run again reserves nothing twice.
    let again = pay_run();
    assert_eq!(again["content"]["items"][0]["end_to_end_id"], e2e.as_str());
    assert_eq!(again["content"]["run_id"], run["content"]["run_id"]);
    // A batch entry that holds this payment and another is not booked from one household's
    // plan: nothing of it is posted here.
    let batch = file(
        "s1b.xml",
        &statement_xml(
            "S1B",
            &[(
                "950.00",
                "DBIT",
                "R1B",
                format!(
                    r#"<Refs><EndToEndId>{e2e}</EndToEndId></Refs></TxDtls><TxDtls><Refs><EndToEndId>ANDER-1</EndToEndId></Refs>"#
                ),
            )],
        ),
    );
    let out = import_and_book(&batch);
    assert!(out.contains("Geboekt: 0"), "{out}");
    assert_eq!(acct("7")["cents"], 150000);
    // The bank executes it: the next statement shows the debit with knop's EndToEndId.
    let paid = file(
        "s2.xml",
        &statement_xml(
            "S2",
            &[(
                "900.00",
                "DBIT",
                "R2",
                format!(
                    r#"<Refs><EndToEndId>{e2e}</EndToEndId></Refs><RltdPties><CdtrAcct><Id><IBAN>NL44RABO0123456789</IBAN></Id></CdtrAcct></RltdPties>"#
                ),
            )],
        ),
    );
    let out = import_and_book(&paid);
    assert!(out.contains("Geboekt: 1"), "{out}");
    let s: serde_json::Value =
        serde_json::from_str(&ok(&with(&["bank", "suspense", "--iban", iban, "--json"]))).unwrap();
    // Only the batch entry is left in suspense.
    assert_eq!(s["suspense_cents"].as_i64().unwrap().abs(), 95000, "{s}");
    assert_eq!(acct("7")["cents"], 60000);
    assert!(ok(&with(&["log", "verify"])).starts_with("ok "));
}

#[test]
fn late_income_is_absorbed_by_an_advance_that_the_income_repays() {
    let ledger = Ledger::new();
    let (dir, org) = (&ledger.dir, ledger.org.clone());
    let with = |rest: &[&str]| ledger.args(rest);
    let iban = "NL91ABNA0417164300";
    let rent = dir.path().join("huur.json");
    std::fs::write(&rent, r#"{"id": "huur", "kind": "fixed_cost", "category": "housing", "amount_cents": 90000, "schedule": {"monthly": {"day": 1}}, "counterparty_iban": "NL44RABO0123456789"}"#).unwrap();
    let wage = dir.path().join("loon.json");
    std::fs::write(&wage, r#"{"id": "loon", "kind": "income", "amount_cents": 150000, "schedule": {"monthly": {"day": 24}}, "counterparty_iban": "NL02ABNA0123456789", "reference": "Salaris", "tolerance_days": 10}"#).unwrap();
    ok(&with(&[
        "household",
        "open",
        "--as",
        &org,
        "--id",
        "8",
        "--counsellor",
        "c",
        "--information",
        "v1",
    ]));
    for f in [&rent, &wage] {
        ok(&with(&[
            "agreement",
            "set",
            "--as",
            &org,
            "--household",
            "8",
            "--file",
            f.to_str().unwrap(),
        ]));
    }
    // No money yet: the rent run on 1 April is covered by an advance, and says so.
    let out = knop(&with(&[
        "pay",
        "run",
        "--household",
        "8",
        "--date",
        "2026-04-01",
        "--as",
        &org,
        "--debtor-iban",
        iban,
        "--by",
        "a",
        "--json",
    ]));
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("voorschot gebruikt: € 900,00"));
    let run: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let e2e = run["content"]["items"][0]["end_to_end_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let households = |field: &str| -> i64 {
        let s: serde_json::Value =
            serde_json::from_str(&ok(&with(&["bank", "suspense", "--iban", iban, "--json"])))
                .unwrap();
        s["households"][0][field].as_i64().unwrap()
    };
    assert_eq!(
        (
            households("cents"),
            households("reserved_cents"),
            households("advance_cents")
        ),
        (90000, 90000, 90000)
    );
    // A second advance beyond the limit is refused: nothing is reserved for May with a limit of 900.
    let refused = fails(&with(&[
        "pay",
        "run",
        "--household",
        "8",
        "--date",
        "2026-04-30",
        "--as",
        &org,
        "--debtor-iban",
        iban,
        "--by",
        "a",
        "--advance-limit",
        "900",
    ]));
    assert!(
        refused.contains("huur 2026-05-01") && refused.contains("niet gedekt"),
        "{refused}"
    );
    assert_eq!(households("advance_cents"), 90000);
    // The late wage and the executed rent arrive on one statement: the rent posts, the wage
    // comes in and repays the advance first.
    let xml = statement_xml(
        "S9",
        &[
            ("1500.00", "CRDT", "W1", r#"<RltdPties><DbtrAcct><Id><IBAN>NL02ABNA0123456789</IBAN></Id></DbtrAcct></RltdPties><RmtInf><Ustrd>Salaris maart</Ustrd></RmtInf>"#.into()),
            ("900.00", "DBIT", "W2", format!(r#"<Refs><EndToEndId>{e2e}</EndToEndId></Refs>"#)),
        ],
    );
    let stmt = dir.path().join("s9.xml");
    std::fs::write(&stmt, xml).unwrap();
    let stmt = stmt.to_str().unwrap();
    ok(&with(&[
        "bank", "import", stmt, "--iban", iban, "--as", &org,
    ]));
    let out = ok(&with(&[
        "bank",
        "match",
        stmt,
        "--household",
        "8",
        "--today",
        "2026-03-31",
        "--book",
        "--iban",
        iban,
        "--as",
        &org,
    ]));
    assert!(out.contains("Voorschot terugbetaald: € 900,00"), "{out}");
    assert_eq!(
        (
            households("cents"),
            households("reserved_cents"),
            households("advance_cents")
        ),
        (60000, 0, 0)
    );
    assert!(ok(&with(&["log", "verify"])).starts_with("ok "));
}

#[test]
fn erase_destroys_a_households_key_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("vault");
    let v = vault.to_str().unwrap();
    // No vault: a clear error.
    let err = fails(&["erase", "5", "--vault", v]);
    assert!(err.contains("vault") || err.contains("kluis"), "{err}");
    std::fs::create_dir_all(vault.join("keys")).unwrap();
    std::fs::create_dir_all(vault.join("data")).unwrap();
    std::fs::write(vault.join("keys/5.key"), b"wrapped key").unwrap();
    std::fs::write(vault.join("data/5.bin"), b"ciphertext").unwrap();
    std::fs::write(vault.join("keys/6.key"), b"another household").unwrap();
    let out = ok(&["erase", "5", "--vault", v]);
    assert!(out.contains("vernietigd"), "{out}");
    assert!(!vault.join("keys/5.key").exists());
    assert!(!vault.join("data/5.bin").exists());
    assert!(
        vault.join("keys/6.key").exists(),
        "other households untouched"
    );
    let out = ok(&["erase", "5", "--vault", v]);
    assert!(out.contains("geen persoonsgegevens"), "{out}");
    // A household neither on the ledger nor in the vault is a typo: an error, nothing marked.
    let err = fails(&["erase", "99", "--vault", v]);
    assert!(err.contains("niets gewist"), "{err}");
    assert!(!vault.join("erased/99").exists());
    let err = fails(&["erase", "not-a-number", "--vault", v]);
    assert!(
        err.contains("household") || err.contains("HOUSEHOLD"),
        "{err}"
    );
}

#[test]
fn the_month_end_benchmark_books_every_line_and_leaves_nothing_in_suspense() {
    let out = ok(&[
        "bench",
        "month-end",
        "--households",
        "200",
        "--per-file",
        "60",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    // Per household: 3 incomes and 4 direct debits on the statements, 2 credit transfers and
    // 4 Fridays of living money paid by runs and posted by the confirming statement.
    assert_eq!(v["matched_lines"], 7 * 200, "{v}");
    assert_eq!(v["suspense_lines"], 0);
    assert_eq!(v["payments"], 6 * 200);
    assert_eq!(v["posted"], v["payments"]);
    assert_eq!(v["suspense_cents_after"], 0, "suspense nets to zero");
    assert!(v["peak_rss_bytes"].as_u64().unwrap() > 0);
    let err = fails(&["bench", "month-end", "--households", "0"]);
    assert!(err.contains("--households"), "{err}");
}

#[test]
fn a_status_report_names_each_rejection_and_refuses_bad_files() {
    let l = Ledger::new();
    let report = l.dir.path().join("pain002.xml");
    std::fs::write(
        &report,
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"><CstmrPmtStsRpt>
<GrpHdr><MsgId>STS-9</MsgId><CreDtTm>2026-03-31T10:00:00</CreDtTm></GrpHdr>
<OrgnlGrpInfAndSts><OrgnlMsgId>KNOP-RUN-20260401-00000000</OrgnlMsgId></OrgnlGrpInfAndSts>
<OrgnlPmtInfAndSts><TxInfAndSts><OrgnlEndToEndId>KNOP-20260401-unknown</OrgnlEndToEndId>
<TxSts>RJCT</TxSts><StsRsnInf><Rsn><Cd>AM04</Cd></Rsn></StsRsnInf></TxInfAndSts>
<TxInfAndSts><OrgnlEndToEndId>KNOP-20260401-other</OrgnlEndToEndId><TxSts>ACSC</TxSts></TxInfAndSts>
</OrgnlPmtInfAndSts></CstmrPmtStsRpt></Document>"#,
    )
    .unwrap();
    let r = report.to_str().unwrap();
    let out = ok(&l.args(&["bank", "status-report", r, "--as", &l.org, "--json"]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["accepted"], 1);
    assert_eq!(v["rejected"][0]["end_to_end_id"], "KNOP-20260401-unknown");
    assert_eq!(
        v["rejected"][0]["voided"], false,
        "nothing reserved under that id"
    );
    assert!(v["rejected"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("onvoldoende saldo"));
    std::fs::write(&report, b"<Document><CstmrPmtStsRpt/></Document>").unwrap();
    let err = fails(&l.args(&["bank", "status-report", r, "--as", &l.org]));
    assert!(err.contains("GrpHdr/MsgId"), "{err}");
}

#[test]
fn bank_inspect_shows_foreign_balances_with_their_currency_and_does_not_add_them_up() {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../bank/tests/data/genkgo-camt053.v8.xml");
    let file = file.to_str().unwrap();
    let text = ok(&["bank", "inspect", file]);
    assert!(
        text.contains("-SEK 27,00") && text.contains("-JPY 2700"),
        "{text}"
    );
    assert!(text.contains("verschillende valuta"), "{text}");
    let v: serde_json::Value =
        serde_json::from_str(&ok(&["bank", "inspect", file, "--json"])).unwrap();
    let s = &v["statements"][0];
    assert_eq!(s["mixed_currencies"], true, "{s}");
    assert_eq!(s["imbalance_cents"], serde_json::Value::Null);
    assert_eq!(s["balances"][1]["line"], 74);
    assert_eq!(s["balances"][1]["currency"], "SEK");
}

#[test]
fn an_organisation_is_registered_with_its_kind_and_submits_only_what_it_may() {
    let ledger = Ledger::new();
    let with = |rest: &[&str]| ledger.args(rest);
    let key = ledger.dir.path().join("cjib.key");
    let key_s = key.to_str().unwrap();
    ok(&with(&[
        "org",
        "register",
        "--name",
        "cjib",
        "--kind",
        "creditor",
        "--key-out",
        key_s,
    ]));
    let list = ok(&with(&["org", "list", "--json"]));
    let cjib: serde_json::Value = list
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|v| v["name"] == "cjib")
        .unwrap();
    assert_eq!(cjib["kind"], "creditor");
    // A creditor does not open households: the ledger refuses it and says who may.
    let refused = fails(&with(&[
        "household",
        "open",
        "--as",
        key_s,
        "--id",
        "3",
        "--counsellor",
        "c",
        "--information",
        "v1",
    ]));
    assert!(
        refused.contains("a creditor may not submit a household command"),
        "{refused}"
    );
    // An unknown kind, or a second operator, is refused before anything is written.
    let other = ledger.dir.path().join("x.key");
    for kind in ["bank", "operator"] {
        let e = fails(&with(&[
            "org",
            "register",
            "--name",
            "x",
            "--kind",
            kind,
            "--key-out",
            other.to_str().unwrap(),
        ]));
        assert!(e.contains("foundation, municipality"), "{e}");
    }
    assert!(!other.exists());
}

#[test]
fn a_statement_over_one_batch_is_imported_in_one_go_without_a_panic() {
    // Found by a probe: 100 001 entries made `knop bank import` panic ("batch over the
    // limit"); the service answered 500 with a backtrace.
    let ledger = Ledger::new();
    let (dir, org) = (&ledger.dir, ledger.org.clone());
    let n = knop_book::BATCH_EVENTS_MAX + 1;
    let entries: Vec<_> = (0..n)
        .map(|i| ("1.00", "CRDT", format!("R{i}"), String::new()))
        .collect();
    let entries: Vec<_> = entries
        .iter()
        .map(|(a, d, r, x)| (*a, *d, r.as_str(), x.clone()))
        .collect();
    let path = dir.path().join("groot.xml");
    std::fs::write(&path, statement_xml("GROOT", &entries)).unwrap();
    let out = knop(&ledger.args(&[
        "bank",
        "import",
        path.to_str().unwrap(),
        "--iban",
        "NL91ABNA0417164300",
        "--as",
        &org,
        "--json",
    ]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["booked"], n, "{v}");
    assert_eq!(v["book_balance_cents"], 100 * n as i64, "{v}");
    assert!(ok(&ledger.args(&["log", "verify"])).starts_with("ok "));
}

#[test]
fn a_torn_tail_is_cut_and_said() {
    // Found by a probe: a torn tail was cut silently at start.
    let ledger = Ledger::new();
    let log = Path::new(&ledger.data()).join("log.knop");
    let before = std::fs::metadata(&log).unwrap().len();
    // Half a frame, as a crash in the middle of a write leaves it.
    let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    std::io::Write::write_all(&mut f, &[0x4b, 0x01, 0x00, 0x00, 0x07, 0x09]).unwrap();
    drop(f);
    let out = knop(&ledger.args(&[
        "household",
        "open",
        "--as",
        &ledger.org,
        "--id",
        "3",
        "--counsellor",
        "c",
        "--information",
        "v1",
    ]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("6 bytes"), "{stderr}");
    assert!(std::fs::metadata(&log).unwrap().len() > before);
    assert!(ok(&ledger.args(&["log", "verify"])).starts_with("ok "));
}

#[test]
fn a_creditor_verifies_a_declaration_offline_and_learns_when_it_is_revoked() {
    use ed25519_dalek::SigningKey;
    let dir = tempfile::tempdir().unwrap();
    let (issuer, holder) = (
        SigningKey::from_bytes(&[1; 32]),
        SigningKey::from_bytes(&[2; 32]),
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let d = knop_declaration::Declaration {
        issuer: "https://gemeente.example/knop".into(),
        start: "2026-12-01".into(),
        iat: now - 60,
        exp: now + 240 * 86_400,
        contact: "Schuldhulp, 030 123 45 67".into(),
        status: ("https://gemeente.example/knop/status/1".into(), 3),
        personal: vec![
            ("name".into(), "Sanne de Vries".into()),
            ("bsn".into(), "111222333".into()),
        ],
    };
    let sd_jwt = knop_declaration::issue(&d, &issuer, "k1", &holder.verifying_key()).unwrap();
    let p = knop_declaration::present(&sd_jwt, &["name"], &holder, "cjib", "n-1", now).unwrap();
    let file = dir.path().join("verklaring.txt");
    std::fs::write(&file, &p).unwrap();
    let jwk = dir.path().join("gemeente.jwk");
    std::fs::write(
        &jwk,
        knop_declaration::jwk(&issuer.verifying_key()).to_string(),
    )
    .unwrap();
    let mut list = knop_status_list::StatusList::new(1, 1024).unwrap();
    let status = dir.path().join("status.json");
    let uri = "https://gemeente.example/knop/status/1";
    let write_list = |l: &knop_status_list::StatusList, uri: &str, key: &SigningKey| {
        std::fs::write(
            &status,
            knop_declaration::status_list_token(l, uri, key, "k1", now, 3600),
        )
        .unwrap()
    };
    write_list(&list, uri, &issuer);
    let args = |aud: &str| {
        vec![
            "declaration".to_owned(),
            "verify".into(),
            file.to_str().unwrap().into(),
            "--issuer-jwk".into(),
            jwk.to_str().unwrap().into(),
            "--status-list".into(),
            status.to_str().unwrap().into(),
            "--audience".into(),
            aud.into(),
            "--nonce".into(),
            "n-1".into(),
        ]
    };
    let out = ok(&args("cjib"));
    assert!(out.contains("https://gemeente.example/knop"), "{out}");
    assert!(out.contains("name: Sanne de Vries"), "{out}");
    assert!(
        !out.contains("111222333"),
        "only what the resident chose: {out}"
    );
    assert!(fails(&args("duo")).contains("andere ontvanger"));
    // A list for another URI, or not signed by the municipality, says nothing of this one.
    write_list(&list, "https://gemeente.example/knop/status/2", &issuer);
    assert!(fails(&args("cjib")).contains("status"));
    write_list(&list, uri, &holder);
    assert!(fails(&args("cjib")).contains("signature"));
    list.set(3, knop_status_list::Status::INVALID).unwrap();
    write_list(&list, uri, &issuer);
    assert!(fails(&args("cjib")).contains("ingetrokken"));
    std::fs::write(&jwk, "{}").unwrap();
    assert!(fails(&args("cjib")).contains("Ed25519"));
}

#[test]
fn the_kindpakket_benchmark_books_every_spend_and_refuses_bad_arguments() {
    let bench: serde_json::Value = serde_json::from_str(&ok(&[
        "bench",
        "kindpakket",
        "--children",
        "40",
        "--spends",
        "3",
        "--group",
        "7",
        "--shops",
        "3",
    ]))
    .unwrap();
    assert_eq!(bench["spends_tried"], 120, "{bench}");
    assert_eq!(bench["spends_booked"], 120, "{bench}");
    assert_eq!(bench["refused"], 0, "{bench}");
    let e = fails(&["bench", "kindpakket", "--group", "0"]);
    assert!(e.contains("--group 1..=100000"), "{e}");
}
