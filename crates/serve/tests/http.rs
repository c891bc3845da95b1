//! The service in-process: every route, its happy path and its error classes, every role on
//! every route, sessions, CSRF, idempotency keys and the ledger's proofs.

use knop_huishoudboekje::HouseholdId;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use knop_ledger::entry::{OrgName, SignedEntry};
use knop_ledger::note::{verify_checkpoint, NoteKey};
use knop_node::{os_salts, Node};
use knop_serve::auth::digest;
use knop_serve::{ApiKey, App, Config, Role, User};
use knop_state::{Command, HouseholdCommand};
use knop_store::{FileStore, Meta};
use serde_json::{json, Value};
use tower::ServiceExt;

const ORIGIN: &str = "knop.test/ledger";
const IBAN: &str = "NL91ABNA0417164300";
const STATEMENT: &[u8] = include_bytes!("../../../examples/bank/maart-2026.xml");
const AUDITOR_KEY: &str = "knop_k_auditor-test-key";
const CREDITOR_KEY: &str = "knop_k_creditor-test-key";
const PAYER_KEY: &str = "knop_k_payer-test-key";
const CJIB_KEY: &str = "knop_k_cjib-test-key";

struct T {
    router: Router,
    app: Arc<App>,
    operator: NoteKey,
    _dir: tempfile::TempDir,
}

fn agreement(id: &str, kind: &str, cents: i64, day: u8) -> knop_huishoudboekje::Agreement {
    let mut v = json!({
        "id": id, "label": id, "kind": kind, "amount_cents": cents,
        "schedule": {"monthly": {"day": day}}
    });
    if kind == "fixed_cost" {
        v["counterparty_iban"] = json!("NL44RABO0123456789");
        v["category"] = json!("housing");
    }
    serde_json::from_value(v).unwrap()
}

fn users() -> Vec<User> {
    let u = |login: &str, role: Role| User {
        login: login.into(),
        display: login.into(),
        role,
        contact: None,
    };
    vec![
        u(
            "inwoner-1",
            Role::Resident {
                household: "1".into(),
            },
        ),
        u(
            "consulent-a",
            Role::Counsellor {
                counsellor: "c-a".into(),
            },
        ),
        u(
            "consulent-b",
            Role::Counsellor {
                counsellor: "c-b".into(),
            },
        ),
        u("controleur", Role::Supervisor),
        u("beheerder", Role::Administrator),
        u(
            "gemeente",
            Role::Municipality {
                org: "gemeente".into(),
            },
        ),
        u(
            "gemeente-controle",
            Role::Municipality {
                org: "gemeente".into(),
            },
        ),
        u("cjib", Role::Creditor { org: "cjib".into() }),
        u(
            "fietsenwinkel",
            Role::Merchant {
                org: "fietsenwinkel".into(),
            },
        ),
        u(
            "slijterij",
            Role::Merchant {
                org: "slijterij".into(),
            },
        ),
    ]
}

/// The keys of the organisations the test service signs for: the creditors and the
/// municipality, as registered in `setup_households`.
fn hosted() -> Vec<NoteKey> {
    [
        ("woningcorporatie", 11),
        ("cjib", 13),
        ("gemeente", 14),
        ("fietsenwinkel", 15),
    ]
    .into_iter()
    .map(|(n, seed)| NoteKey::from_seed(n, &[seed; 32]).unwrap())
    .collect()
}

fn setup(dev_login: bool) -> T {
    setup_with(dev_login, None)
}

fn setup_with(dev_login: bool, oidc: Option<knop_serve::oidc::OidcConfig>) -> T {
    setup_households(dev_login, oidc, &[(1, "c-a"), (2, "c-b")])
}

/// Households 1 and 2 (of counsellors c-a and c-b) and `extra` more of c-a.
fn setup_caseload(extra: u128) -> T {
    let mut hs = vec![(1, "c-a"), (2, "c-b")];
    hs.extend((3..3 + extra).map(|h| (h, "c-a")));
    setup_households(true, None, &hs)
}

fn setup_households(
    dev_login: bool,
    oidc: Option<knop_serve::oidc::OidcConfig>,
    households: &[(u128, &str)],
) -> T {
    let dir = tempfile::tempdir().unwrap();
    let op = NoteKey::from_seed(ORIGIN, &[1; 32]).unwrap();
    let org = NoteKey::from_seed("stichting", &[2; 32]).unwrap();
    let store = FileStore::create(
        dir.path(),
        Meta {
            origin: ORIGIN.into(),
            operator_vkey: op.verifier_key(),
        },
    )
    .unwrap();
    let mut node = Node::init(Box::new(store), op.clone(), 1, os_salts()).unwrap();
    let mut ts = 1;
    let mut submit = |node: &mut Node, key: &NoteKey, cmd: Command| {
        ts += 1;
        let e = SignedEntry::sign(
            OrgName::parse(key.key_name()).unwrap(),
            ts,
            cmd.encode(),
            key.signing_key(),
        );
        node.submit(&[e]).unwrap().remove(0).unwrap();
    };
    submit(
        &mut node,
        &op,
        Command::RegisterOrg {
            name: OrgName::parse("stichting").unwrap(),
            kind: knop_state::OrgKind::Participant,
            key: org.public_key().to_bytes(),
        },
    );
    // The organisations that hold API keys are on the ledger.
    for (i, (org_name, kind)) in [
        ("auditor", knop_state::OrgKind::Auditor),
        ("woningcorporatie", knop_state::OrgKind::Creditor),
        ("svb", knop_state::OrgKind::Payer),
        ("cjib", knop_state::OrgKind::Creditor),
        ("gemeente", knop_state::OrgKind::Municipality),
        ("fietsenwinkel", knop_state::OrgKind::Merchant),
        ("slijterij", knop_state::OrgKind::Merchant),
    ]
    .into_iter()
    .enumerate()
    {
        let k = NoteKey::from_seed(org_name, &[10 + i as u8; 32]).unwrap();
        submit(
            &mut node,
            &op,
            Command::RegisterOrg {
                name: OrgName::parse(org_name).unwrap(),
                kind,
                key: k.public_key().to_bytes(),
            },
        );
    }
    for &(h, c) in households {
        submit(
            &mut node,
            &org,
            Command::Household(HouseholdCommand::Open {
                household: HouseholdId(h),
                counsellor: c.into(),
                information: "knop-info-v1".into(),
            }),
        );
        for a in [
            agreement("uitkering", "income", 120_000, 24),
            agreement("huur", "fixed_cost", 90_000, 1),
            agreement("leefgeld", "living_money", 5_000, 7),
        ] {
            submit(
                &mut node,
                &org,
                Command::Household(HouseholdCommand::SetAgreement {
                    household: HouseholdId(h),
                    agreement: a,
                }),
            );
        }
    }
    let config = config_for(dir.path(), dev_login, oidc);
    let app = App::new(node, config).unwrap();
    T {
        router: knop_serve::router(app.clone()),
        app,
        operator: op,
        _dir: dir,
    }
}

struct Resp {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

impl Resp {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!("{e}: {}", String::from_utf8_lossy(&self.body));
        })
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    fn is_problem(&self) {
        assert_eq!(
            self.headers[header::CONTENT_TYPE],
            "application/problem+json",
            "{}",
            self.text()
        );
        let p = self.json();
        assert_eq!(p["status"], self.status.as_u16());
        assert!(p["type"].as_str().unwrap().starts_with("urn:knop:problem:"));
        assert!(!p["detail"].as_str().unwrap().is_empty());
    }
}

impl T {
    async fn send(&self, req: Request<Body>) -> Resp {
        let r = self.router.clone().oneshot(req).await.unwrap();
        let status = r.status();
        let headers = r.headers().clone();
        let body = r.into_body().collect().await.unwrap().to_bytes().to_vec();
        Resp {
            status,
            headers,
            body,
        }
    }

    async fn call(
        &self,
        method: Method,
        uri: &str,
        token: Option<&str>,
        body: Option<(&str, Vec<u8>)>,
        idem: Option<&str>,
    ) -> Resp {
        let mut b = Request::builder().method(method).uri(uri);
        if let Some(t) = token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        if let Some(k) = idem {
            b = b.header("idempotency-key", k);
        }
        let req = match body {
            Some((ct, bytes)) => b
                .header(header::CONTENT_TYPE, ct)
                .body(Body::from(bytes))
                .unwrap(),
            None => b.body(Body::empty()).unwrap(),
        };
        self.send(req).await
    }

    /// Uploads a camt.053 statement.
    async fn upload(&self, token: &str, xml: Vec<u8>, idem: &str) -> Resp {
        self.call(
            Method::POST,
            "/api/v1/bank-statements",
            Some(token),
            Some(("application/xml", xml)),
            Some(idem),
        )
        .await
    }

    /// A counsellor makes a payment run for household 1 on `date`.
    async fn make_run(&self, token: &str, date: &str, idem: &str) -> Resp {
        let body = format!(r#"{{"household":"1","date":"{date}"}}"#).into_bytes();
        self.call(
            Method::POST,
            "/api/v1/payment-runs",
            Some(token),
            Some(("application/json", body)),
            Some(idem),
        )
        .await
    }

    /// A second person approves payment run `id`.
    async fn approve_run(&self, token: &str, id: &str, idem: &str) -> Resp {
        self.call(
            Method::POST,
            &format!("/api/v1/payment-runs/{id}/approvals"),
            Some(token),
            None,
            Some(idem),
        )
        .await
    }

    async fn get(&self, uri: &str, token: Option<&str>) -> Resp {
        self.call(Method::GET, uri, token, None, None).await
    }

    /// A cockpit page, as a browser with the session `session` asks for it.
    async fn page(&self, session: &str, uri: &str) -> Resp {
        self.send(
            Request::get(uri)
                .header(header::COOKIE, format!("knop_session={session}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }

    /// A cockpit form, as a browser with the session `session` posts it.
    async fn form(&self, session: &str, uri: &str, body: String) -> Resp {
        self.send(
            Request::post(uri)
                .header(header::COOKIE, format!("knop_session={session}"))
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body))
                .unwrap(),
        )
        .await
    }

    /// Logs in with the development login; returns the session token from the cookie.
    async fn login(&self, login: &str) -> String {
        let r = self
            .send(
                Request::post("/inloggen")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from(format!("login={login}")))
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
        let cookie = r.headers[header::SET_COOKIE].to_str().unwrap().to_owned();
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        assert!(cookie.contains("SameSite=Strict"), "{cookie}");
        assert!(cookie.contains("Secure"), "{cookie}");
        cookie
            .strip_prefix("knop_session=")
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned()
    }
}

fn agreement_body(id: &str, cents: i64) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "id": id, "label": "Energie", "kind": "fixed_cost", "amount_cents": cents,
        "schedule": {"monthly": {"day": 15}}, "category": "energy_water"
    }))
    .unwrap()
}

#[tokio::test]
async fn checkpoint_is_public_and_verifies() {
    let t = setup(false);
    let r = t.get("/api/v1/ledger/checkpoint", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let cp =
        verify_checkpoint(r.text().as_bytes(), &t.operator.verifier_key(), ORIGIN, &[]).unwrap();
    assert_eq!(cp.size, t.app.node().size());
    // Security headers on every response.
    for h in [
        "content-security-policy",
        "x-content-type-options",
        "x-frame-options",
        "strict-transport-security",
    ] {
        assert!(r.headers.contains_key(h), "{h}");
    }
    assert!(r.headers["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("frame-ancestors 'none'"));
}

#[tokio::test]
async fn openapi_document_lists_every_route() {
    let t = setup(false);
    let r = t.get("/api/v1/openapi.json", None).await;
    assert_eq!(r.status, StatusCode::OK);
    let doc = r.json();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["servers"][0]["url"], "/api/v1");
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/ledger/checkpoint",
        "/ledger/inclusion-proofs/{index}",
        "/ledger/consistency-proofs",
        "/me",
        "/households",
        "/households/{id}",
        "/households/{id}/forecast",
        "/households/{id}/alerts",
        "/households/{id}/agreements",
        "/households/{id}/agreements/{agreement_id}",
        "/households/{id}/advance-limit",
        "/bank-statements",
        "/rules/calculations",
    ] {
        assert!(
            paths.contains_key(p),
            "{p} missing from the OpenAPI document"
        );
    }
    // NL API Design Rules: no trailing slashes.
    assert!(paths.keys().all(|p| !p.ends_with('/')));
}

#[tokio::test]
async fn proofs_for_auditors_verify_against_the_checkpoint() {
    let t = setup(false);
    let size = t.app.node().size();
    let r = t
        .get(
            &format!("/api/v1/ledger/inclusion-proofs/3?tree_size={size}"),
            Some(AUDITOR_KEY),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let p: knop_node::proof::ProofJson = serde_json::from_slice(&r.body).unwrap();
    let knop_node::proof::ProofJson::Inclusion {
        leaf, leaf_hash, ..
    } = &p
    else {
        panic!("{p:?}")
    };
    assert!(leaf.is_none(), "entries are not handed out with proofs");
    let expected = knop_node::proof::b64(&t.app.node().tree().leaf_hash(3).unwrap());
    assert_eq!(*leaf_hash, expected);
    let r = t
        .get(
            "/api/v1/ledger/consistency-proofs?size1=2&size2=5",
            Some(AUDITOR_KEY),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["type"], "consistency");
    // Bad ranges are problems, not crashes.
    // Beyond the log: not found.
    for far in [
        "/api/v1/ledger/inclusion-proofs/999",
        "/api/v1/ledger/consistency-proofs?size1=1&size2=999",
    ] {
        let r = t.get(far, Some(AUDITOR_KEY)).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{far}: {}", r.text());
        r.is_problem();
    }
    for bad in [
        "/api/v1/ledger/inclusion-proofs/x",
        "/api/v1/ledger/inclusion-proofs/1?tree_size=0",
        "/api/v1/ledger/consistency-proofs?size1=0&size2=3",
        "/api/v1/ledger/consistency-proofs?size1=5&size2=2",
        "/api/v1/ledger/consistency-proofs?size1=1",
        "/api/v1/ledger/consistency-proofs?size1=1&size2=2&extra=1",
    ] {
        let r = t.get(bad, Some(AUDITOR_KEY)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}: {}", r.text());
        r.is_problem();
    }
}

/// The service's configuration over the test ledger in `dir`.
fn config_for(
    dir: &std::path::Path,
    dev_login: bool,
    oidc: Option<knop_serve::oidc::OidcConfig>,
) -> Config {
    let key = |k: &str, org: &str, role: Role| ApiKey {
        digest: digest(k),
        org: org.into(),
        role,
    };
    Config {
        submitter: NoteKey::from_seed("stichting", &[2; 32]).unwrap(),
        foundation_iban: IBAN.into(),
        foundation_name: "Stichting Test".into(),
        advance_limit_cents: 150_000,
        users: users(),
        api_keys: vec![
            key(AUDITOR_KEY, "auditor", Role::Auditor),
            key(
                CREDITOR_KEY,
                "woningcorporatie",
                Role::Creditor {
                    org: "woningcorporatie".into(),
                },
            ),
            key(PAYER_KEY, "svb", Role::Payer),
            key(CJIB_KEY, "cjib", Role::Creditor { org: "cjib".into() }),
        ],
        dev_login,
        today: Some("2026-03-10".parse().unwrap()),
        tls: true,
        oidc,
        vault: Some((dir.join("vault"), [7; 32])),
        assets: None,
        theme: knop_serve::Theme::Utrecht,
        lookups_per_minute: knop_serve::DEFAULT_LOOKUPS_PER_MINUTE,
        statement_dir: Some(dir.join("statements")),
        journal: Some(dir.join("service.journal")),
        reopen: None,
        hosted: hosted(),
        public_url: "https://knop.test".into(),
        declaration_months: 8,
    }
}

/// A route to try: method, URI, body (content type and bytes), the roles allowed.
type Route<'a> = (Method, &'a str, Option<(&'a str, Vec<u8>)>, &'a [&'a str]);

/// What each role may do on each route: every role × every route.
#[tokio::test]
async fn every_role_on_every_route() {
    let t = setup(true);
    let mut tokens: Vec<(&str, Option<String>)> = vec![("anonymous", None)];
    for login in [
        "inwoner-1",
        "consulent-a",
        "consulent-b",
        "controleur",
        "beheerder",
    ] {
        tokens.push((login, Some(t.login(login).await)));
    }
    tokens.push(("auditor", Some(AUDITOR_KEY.into())));
    tokens.push(("creditor", Some(CREDITOR_KEY.into())));
    tokens.push(("payer", Some(PAYER_KEY.into())));
    let facts = std::fs::read("../../examples/facts/alleenstaande-ouder.json").unwrap();
    // (method, uri, body, allowed roles). Denied: 401 anonymous, 403 or 404 otherwise.
    let routes: Vec<Route> = vec![
        (
            Method::GET,
            "/api/v1/ledger/checkpoint",
            None,
            &[
                "anonymous",
                "inwoner-1",
                "consulent-a",
                "consulent-b",
                "controleur",
                "beheerder",
                "auditor",
                "creditor",
                "payer",
            ],
        ),
        (
            Method::GET,
            "/api/v1/openapi.json",
            None,
            &[
                "anonymous",
                "inwoner-1",
                "consulent-a",
                "consulent-b",
                "controleur",
                "beheerder",
                "auditor",
                "creditor",
                "payer",
            ],
        ),
        (
            Method::GET,
            "/api/v1/me",
            None,
            &[
                "inwoner-1",
                "consulent-a",
                "consulent-b",
                "controleur",
                "beheerder",
                "auditor",
                "creditor",
                "payer",
            ],
        ),
        (
            Method::GET,
            "/api/v1/ledger/inclusion-proofs/1",
            None,
            &["beheerder", "auditor"],
        ),
        (
            Method::GET,
            "/api/v1/ledger/consistency-proofs?size1=1&size2=2",
            None,
            &["beheerder", "auditor"],
        ),
        (
            Method::GET,
            "/api/v1/households",
            None,
            &[
                "inwoner-1",
                "consulent-a",
                "consulent-b",
                "controleur",
                "beheerder",
            ],
        ),
        (
            Method::GET,
            "/api/v1/households/1",
            None,
            &["inwoner-1", "consulent-a", "controleur", "beheerder"],
        ),
        (
            Method::GET,
            "/api/v1/households/2",
            None,
            &["consulent-b", "controleur", "beheerder"],
        ),
        (
            Method::GET,
            "/api/v1/households/1/forecast",
            None,
            &["inwoner-1", "consulent-a", "controleur", "beheerder"],
        ),
        (Method::GET, "/api/v1/declarations", None, &["beheerder"]),
        (
            Method::GET,
            "/api/v1/households/1/declarations",
            None,
            &["inwoner-1", "consulent-a", "controleur", "beheerder"],
        ),
        (
            Method::GET,
            "/api/v1/households/1/declaration-shares",
            None,
            &["inwoner-1", "consulent-a", "controleur", "beheerder"],
        ),
        (
            Method::GET,
            "/api/v1/status-lists/gemeente",
            None,
            &[
                "anonymous",
                "inwoner-1",
                "consulent-a",
                "consulent-b",
                "controleur",
                "beheerder",
                "auditor",
                "creditor",
                "payer",
            ],
        ),
        (
            Method::GET,
            "/api/v1/households/1/alerts",
            None,
            &["inwoner-1", "consulent-a", "controleur", "beheerder"],
        ),
        (
            Method::GET,
            "/api/v1/households/1/agreements",
            None,
            &["inwoner-1", "consulent-a", "controleur", "beheerder"],
        ),
        (
            Method::PUT,
            "/api/v1/households/1/agreements/energie",
            Some(("application/json", agreement_body("energie", 12_000))),
            &["consulent-a"],
        ),
        (
            Method::PUT,
            "/api/v1/households/1/advance-limit",
            Some(("application/json", br#"{"cents": 150000}"#.to_vec())),
            &["consulent-a"],
        ),
        (
            Method::POST,
            "/api/v1/bank-statements",
            Some(("application/xml", STATEMENT.to_vec())),
            &["consulent-a", "consulent-b", "beheerder"],
        ),
        (
            Method::POST,
            "/api/v1/rules/calculations?date=2026-03-01",
            Some(("application/json", facts.clone())),
            &[
                "inwoner-1",
                "consulent-a",
                "consulent-b",
                "controleur",
                "beheerder",
            ],
        ),
        (
            Method::GET,
            "/huishoudens",
            None,
            &["consulent-a", "consulent-b", "controleur", "beheerder"],
        ),
        (
            Method::GET,
            "/rapporten/huishoudens.csv",
            None,
            &["consulent-a", "consulent-b", "controleur", "beheerder"],
        ),
        (Method::GET, "/beheer", None, &["beheerder"]),
        (
            Method::GET,
            "/api/v1/households/1/claims",
            None,
            &["inwoner-1", "consulent-a", "controleur", "beheerder"],
        ),
        (
            Method::GET,
            "/huishoudens/1/schulden",
            None,
            &["inwoner-1", "consulent-a", "controleur", "beheerder"],
        ),
        (
            Method::GET,
            "/api/v1/day-files",
            None,
            &["consulent-a", "consulent-b", "controleur", "beheerder"],
        ),
        (
            Method::POST,
            "/api/v1/day-files",
            Some(("application/json", br#"{"date": "2026-04-01"}"#.to_vec())),
            &["consulent-a", "consulent-b"],
        ),
        (
            Method::PUT,
            "/api/v1/households/1/personal-data",
            Some(("application/json", br#"{"name":"Test Persoon"}"#.to_vec())),
            &["consulent-a"],
        ),
        (
            Method::GET,
            "/api/v1/households/1/personal-data?purpose=rol-test",
            None,
            &["inwoner-1", "consulent-a"],
        ),
        (
            Method::GET,
            "/api/v1/households/1/access-log",
            None,
            &["inwoner-1", "consulent-a", "controleur", "beheerder"],
        ),
        (
            Method::DELETE,
            "/api/v1/households/1/personal-data",
            None,
            &["beheerder"],
        ),
        (
            Method::POST,
            "/api/v1/payment-status-reports",
            Some((
                "application/xml",
                status_report("KNOP-RUN-X", "KNOP-X", "ACSC", "NARR"),
            )),
            &["consulent-a", "consulent-b", "beheerder"],
        ),
        (
            Method::GET,
            "/huishoudens/1/afspraken",
            None,
            &["consulent-a"],
        ),
        (
            Method::GET,
            "/huishoudens/1",
            None,
            &["inwoner-1", "consulent-a", "controleur", "beheerder"],
        ),
    ];
    for (method, uri, body, allowed) in &routes {
        for (i, (who, token)) in tokens.iter().enumerate() {
            // Pages are for people with a browser session; organisations use the API.
            let is_page = !uri.starts_with("/api/");
            if is_page && matches!(*who, "auditor" | "creditor" | "payer") {
                continue;
            }
            let idem = format!("k-{who}-{i}-{method}-{uri}");
            let r = if is_page {
                let mut b = Request::get(*uri);
                if let Some(tok) = token {
                    b = b.header(header::COOKIE, format!("knop_session={tok}"));
                }
                t.send(b.body(Body::empty()).unwrap()).await
            } else {
                t.call(
                    method.clone(),
                    uri,
                    token.as_deref(),
                    body.clone(),
                    Some(&idem),
                )
                .await
            };
            let ok = r.status.is_success();
            if allowed.contains(who) {
                assert!(
                    ok,
                    "{who} {method} {uri}: expected allowed, got {} {}",
                    r.status,
                    r.text()
                );
            } else {
                assert!(
                    !ok,
                    "{who} {method} {uri}: expected denied, got {}",
                    r.status
                );
                if is_page {
                    assert!(
                        matches!(
                            r.status,
                            StatusCode::SEE_OTHER | StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
                        ),
                        "{who} {uri}: {}",
                        r.status
                    );
                } else {
                    let want: &[StatusCode] = if *who == "anonymous" {
                        &[StatusCode::UNAUTHORIZED]
                    } else {
                        &[StatusCode::FORBIDDEN, StatusCode::NOT_FOUND]
                    };
                    assert!(
                        want.contains(&r.status),
                        "{who} {method} {uri}: {}",
                        r.status
                    );
                    r.is_problem();
                }
            }
        }
    }
}

#[tokio::test]
async fn households_are_listed_and_paged() {
    let t = setup(true);
    let tok = t.login("controleur").await;
    let r = t.get("/api/v1/households?page_size=1", Some(&tok)).await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    assert_eq!(v["total"], 2);
    assert_eq!(v["households"].as_array().unwrap().len(), 1);
    assert_eq!(
        v["_links"]["next"]["href"],
        "/api/v1/households?page=2&page_size=1"
    );
    assert!(v["_links"].get("prev").is_none());
    let v = t
        .get("/api/v1/households?page=2&page_size=1", Some(&tok))
        .await
        .json();
    assert!(v["_links"].get("next").is_none());
    assert_eq!(
        v["_links"]["prev"]["href"],
        "/api/v1/households?page=1&page_size=1"
    );
    // A counsellor sees their caseload only.
    let tok = t.login("consulent-b").await;
    let v = t.get("/api/v1/households", Some(&tok)).await.json();
    assert_eq!(v["total"], 1);
    assert_eq!(v["households"][0]["id"], "2");
    for bad in [
        "/api/v1/households?page=0",
        "/api/v1/households?page_size=101",
        "/api/v1/households?page=x",
        "/api/v1/households?sort=id",
    ] {
        let r = t.get(bad, Some(&tok)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
        r.is_problem();
    }
}

#[tokio::test]
async fn overview_forecast_and_alerts_follow_the_agreements() {
    let t = setup(true);
    let tok = t.login("inwoner-1").await;
    let o = t.get("/api/v1/households/1", Some(&tok)).await.json();
    assert_eq!(o["today"], "2026-03-10");
    assert_eq!(o["month"], json!(["2026-03-01", "2026-03-31"]));
    assert_eq!(o["month_income_cents"], 120_000);
    // Rent 900 (due 1 March, a Sunday: paid Friday 27 February, but March's rent) and living
    // money 50 on 6 March (7 March is a Saturday): what is for this month counts by due date.
    assert_eq!(o["month_payments_cents"], 95_000);
    assert_eq!(o["next_living_money"]["date"], "2026-04-07");
    // No money on the account and rent due on 1 April before income on the 24th... income of
    // 24 March comes first, so no shortfall until the balance runs out.
    let f = t
        .get("/api/v1/households/1/forecast?days=30", Some(&tok))
        .await
        .json();
    assert_eq!(f["days"].as_array().unwrap().len(), 30);
    assert_eq!(f["days"][0][0], "2026-03-10");
    let r = t
        .get("/api/v1/households/1/forecast?days=0", Some(&tok))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    r.is_problem();
    let alerts = t
        .get("/api/v1/households/1/alerts", Some(&tok))
        .await
        .json();
    assert!(alerts.is_array());
    // Someone else's household, and nonsense ids.
    for (uri, status) in [
        ("/api/v1/households/2", StatusCode::NOT_FOUND),
        ("/api/v1/households/99", StatusCode::NOT_FOUND),
        ("/api/v1/households/abc", StatusCode::BAD_REQUEST),
        ("/api/v1/households/-1/alerts", StatusCode::BAD_REQUEST),
    ] {
        let r = t.get(uri, Some(&tok)).await;
        assert_eq!(r.status, status, "{uri}");
        r.is_problem();
    }
}

#[tokio::test]
async fn agreements_are_recorded_once_per_idempotency_key() {
    let t = setup(true);
    let tok = t.login("consulent-a").await;
    let uri = "/api/v1/households/1/agreements/energie";
    let size = t.app.node().size();
    let put = |body: Vec<u8>, key: Option<&'static str>| {
        t.call(
            Method::PUT,
            uri,
            Some(&tok),
            Some(("application/json", body)),
            key,
        )
    };
    // No key: refused before anything happens.
    let r = put(agreement_body("energie", 12_000), None).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    r.is_problem();
    let first = put(agreement_body("energie", 12_000), Some("a1")).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text());
    assert_eq!(first.json()["created"], 1);
    assert_eq!(t.app.node().size(), size + 1);
    // The retry gets the same answer and records nothing.
    let again = put(agreement_body("energie", 12_000), Some("a1")).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body, first.body);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(t.app.node().size(), size + 1);
    // The same key for another change is refused.
    let r = put(agreement_body("energie", 13_000), Some("a1")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    r.is_problem();
    // A new key with the same content: the ledger says it exists already.
    let r = put(agreement_body("energie", 12_000), Some("a2")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["existing"], 1);
    let agreements = t
        .get("/api/v1/households/1/agreements", Some(&tok))
        .await
        .json();
    assert!(agreements
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["id"] == "energie" && a["amount_cents"] == 12_000));
    // Bad bodies: each a problem naming what is wrong, nothing recorded.
    let size = t.app.node().size();
    let cases: Vec<(Vec<u8>, &str, StatusCode, &str)> = vec![
        (b"{".to_vec(), "application/json", StatusCode::BAD_REQUEST, "EOF"),
        (agreement_body("energie", 1), "text/plain", StatusCode::UNSUPPORTED_MEDIA_TYPE, "application/json"),
        (br#"{"id":"energie","kind":"fixed_cost","amount_cents":1,"schedule":{"monthly":{"day":1}},"colour":"red"}"#.to_vec(), "application/json", StatusCode::UNPROCESSABLE_ENTITY, "colour"),
        (agreement_body("energie", -5), "application/json", StatusCode::UNPROCESSABLE_ENTITY, "amount"),
        (agreement_body("anders", 100), "application/json", StatusCode::UNPROCESSABLE_ENTITY, "differs"),
    ];
    for (i, (body, ct, status, needle)) in cases.into_iter().enumerate() {
        let key = format!("bad-{i}");
        let r = t
            .call(Method::PUT, uri, Some(&tok), Some((ct, body)), Some(&key))
            .await;
        assert_eq!(r.status, status, "case {i}: {}", r.text());
        r.is_problem();
        assert!(
            r.json()["detail"].as_str().unwrap().contains(needle),
            "case {i}: {}",
            r.text()
        );
    }
    assert_eq!(t.app.node().size(), size);
}

#[tokio::test]
async fn a_statement_is_booked_once_and_bad_files_book_nothing() {
    let t = setup(true);
    let tok = t.login("consulent-a").await;
    let post = |body: Vec<u8>, key: String, ct: &'static str| {
        t.call(
            Method::POST,
            "/api/v1/bank-statements",
            Some(&tok),
            Some((ct, body)),
            Some(Box::leak(key.into_boxed_str())),
        )
    };
    let r = post(STATEMENT.to_vec(), "s1".into(), "application/xml").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let v = r.json();
    // Four entries and the opening balance of this first import.
    assert_eq!(v["booked"], 5);
    assert_eq!(v["difference_cents"], 0);
    let size = t.app.node().size();
    // The same file again under a new key: recognised, nothing booked twice.
    let r = post(STATEMENT.to_vec(), "s2".into(), "application/xml").await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.json()["booked"], 0);
    assert_eq!(r.json()["already_imported"], 5);
    assert_eq!(t.app.node().size(), size);
    // Bad files: a precise problem, nothing booked.
    let text = String::from_utf8(STATEMENT.to_vec()).unwrap();
    let cases: Vec<(Vec<u8>, &'static str, StatusCode, &str)> = vec![
        (
            b"not xml at all".to_vec(),
            "application/xml",
            StatusCode::UNPROCESSABLE_ENTITY,
            "nothing booked",
        ),
        (
            STATEMENT[..STATEMENT.len() / 2].to_vec(),
            "application/xml",
            StatusCode::UNPROCESSABLE_ENTITY,
            "line",
        ),
        (
            text.replace("145.00", "145.00001").into_bytes(),
            "application/xml",
            StatusCode::UNPROCESSABLE_ENTITY,
            "Amt",
        ),
        (
            text.replace(IBAN, "NL20INGB0001234567").into_bytes(),
            "application/xml",
            StatusCode::UNPROCESSABLE_ENTITY,
            "NL20INGB0001234567",
        ),
        (
            STATEMENT.to_vec(),
            "application/json",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "xml",
        ),
    ];
    for (i, (body, ct, status, needle)) in cases.into_iter().enumerate() {
        let r = post(body, format!("bad-{i}"), ct).await;
        assert_eq!(r.status, status, "case {i}: {}", r.text());
        r.is_problem();
        assert!(
            r.json()["detail"].as_str().unwrap().contains(needle),
            "case {i}: {}",
            r.text()
        );
    }
    assert_eq!(t.app.node().size(), size);
    // Over the size limit: 413, read no further.
    let huge = vec![b' '; knop_serve::BODY_MAX + 1];
    let r = post(huge, "huge".into(), "application/xml").await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    r.is_problem();
}

#[tokio::test]
async fn rules_calculations_explain_themselves() {
    let t = setup(true);
    let tok = t.login("consulent-a").await;
    let facts = std::fs::read("../../examples/facts/alleenstaande-ouder.json").unwrap();
    let r = t
        .call(
            Method::POST,
            "/api/v1/rules/calculations?date=2026-03-01",
            Some(&tok),
            Some(("application/json", facts)),
            Some("r1"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = r.json();
    assert_eq!(v["date"], "2026-03-01");
    assert!(v["results"]["zorgtoeslag"]["explanation"].is_string());
    let r = t
        .call(
            Method::POST,
            "/api/v1/rules/calculations?date=1990-01-01",
            Some(&tok),
            Some(("application/json", br#"{"persons":[]}"#.to_vec())),
            None,
        )
        .await;
    assert!(r.status.is_client_error(), "{}", r.text());
    r.is_problem();
}

#[tokio::test]
async fn unknown_routes_methods_and_credentials_are_problems() {
    let t = setup(false);
    let r = t.get("/api/v1/nothing-here", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    r.is_problem();
    let r = t
        .call(
            Method::DELETE,
            "/api/v1/ledger/checkpoint",
            Some(AUDITOR_KEY),
            None,
            Some("d"),
        )
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    r.is_problem();
    // An unsupported method is 405, also on a route that has one unsafe method.
    for (m, uri) in [
        (Method::PUT, "/api/v1/ledger/checkpoint"),
        (Method::POST, "/api/v1/households/1/agreements/x"),
        (Method::TRACE, "/api/v1/households"),
    ] {
        let r = t.call(m.clone(), uri, Some(AUDITOR_KEY), None, None).await;
        assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{m} {uri}");
        r.is_problem();
    }
    let r = t.get("/api/v1/me", Some("knop_k_wrong")).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    r.is_problem();
    let r = t
        .send(
            Request::get("/api/v1/me")
                .header(header::AUTHORIZATION, "Basic dXNlcjpwYXNz")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    r.is_problem();
    let r = t.get("/api/v1/me", Some(AUDITOR_KEY)).await;
    assert_eq!(r.json()["role"]["role"], "auditor");
}

#[tokio::test]
async fn browser_sessions_need_the_csrf_token_for_changes() {
    let t = setup(true);
    let tok = t.login("consulent-a").await;
    let put = |csrf: Option<String>| {
        let mut b = Request::put("/api/v1/households/1/agreements/energie")
            .header(header::COOKIE, format!("knop_session={tok}"))
            .header(header::CONTENT_TYPE, "application/json")
            .header("idempotency-key", format!("c-{}", csrf.is_some()));
        if let Some(c) = csrf {
            b = b.header("x-csrf-token", c);
        }
        t.send(b.body(Body::from(agreement_body("energie", 100))).unwrap())
    };
    let r = put(None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    r.is_problem();
    let r = put(Some("csrf_wrong".into())).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // The page carries the token for forms; with it the change goes through.
    let page = t
        .send(
            Request::get("/huishoudens/1")
                .header(header::COOKIE, format!("knop_session={tok}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .text();
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let r = put(Some(csrf)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
}

#[tokio::test]
async fn pages_speak_dutch_first_and_english_on_request() {
    let t = setup(true);
    let r = t.get("/", None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.headers[header::LOCATION], "/inloggen");
    let r = t.get("/inloggen", None).await;
    assert!(r.text().contains("inwoner-1"));
    let tok = t.login("inwoner-1").await;
    let page = |lang: &str| {
        t.send(
            Request::get("/huishoudens/1")
                .header(
                    header::COOKIE,
                    format!("knop_session={tok}; knop_lang={lang}"),
                )
                .body(Body::empty())
                .unwrap(),
        )
    };
    let nl = page("nl").await;
    assert_eq!(nl.status, StatusCode::OK);
    let text = nl.text();
    assert!(text.contains("<html lang=\"nl\">"));
    assert!(text.contains("Uw geld deze maand"));
    assert!(text.contains("10 maart 2026"), "{text}");
    assert!(text.contains("€ 1.200,00"), "{text}");
    assert!(!text.contains("<script"), "no scripts");
    let en = page("en").await.text();
    assert!(en.contains("Your money this month"));
    assert!(en.contains("10 March 2026"));
    // Another household: not found, whatever exists.
    let r = t
        .send(
            Request::get("/huishoudens/2")
                .header(header::COOKIE, format!("knop_session={tok}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Logging out ends the session.
    let csrf = text
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let r = t
        .send(
            Request::post("/uitloggen")
                .header(header::COOKIE, format!("knop_session={tok}"))
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(format!("csrf={csrf}")))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = t.get("/api/v1/me", Some(&tok)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_development_login_is_off_unless_enabled() {
    let t = setup(false);
    let r = t.get("/inloggen", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.text().contains("inwoner-1"));
    let r = t
        .send(
            Request::post("/inloggen")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from("login=beheerder"))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(!r.headers.contains_key(header::SET_COOKIE));
    // A login form posted from another site is refused.
    let t = setup(true);
    let r = t
        .send(
            Request::post("/inloggen")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header("sec-fetch-site", "cross-site")
                .body(Body::from("login=beheerder"))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn payment_runs_need_a_second_person_before_the_bank_file() {
    let t = setup(true);
    let counsellor = t.login("consulent-a").await;
    let supervisor = t.login("controleur").await;
    let body = |date: &str| {
        Some((
            "application/json",
            serde_json::to_vec(&json!({"household": "1", "date": date})).unwrap(),
        ))
    };
    let r = t
        .call(
            Method::POST,
            "/api/v1/payment-runs",
            Some(&counsellor),
            body("2026-04-01"),
            Some("run-1"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let run = r.json();
    let id = run["content"]["run_id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("KNOP-RUN-20260401-"), "{id}");
    assert_eq!(run["created_by"], "consulent-a");
    assert_eq!(run["approved"], false);
    // Rent of 900 from an empty account: the foundation advances it (limit 1500).
    assert_eq!(run["total_cents"], 90_000);
    assert_eq!(run["content"]["advanced_cents"], 90_000);
    let e2e = run["content"]["items"][0]["end_to_end_id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Made again under a new key: the same run, nothing reserved twice.
    let size = t.app.node().size();
    let again = t
        .call(
            Method::POST,
            "/api/v1/payment-runs",
            Some(&counsellor),
            body("2026-04-01"),
            Some("run-2"),
        )
        .await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.text());
    assert_eq!(again.json()["content"]["run_id"], id.as_str());
    assert_eq!(t.app.node().size(), size);
    // Not a business day; not the counsellor's household.
    let r = t
        .call(
            Method::POST,
            "/api/v1/payment-runs",
            Some(&counsellor),
            body("2026-04-04"),
            Some("run-3"),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    r.is_problem();
    let other = t.login("consulent-b").await;
    let r = t
        .call(
            Method::POST,
            "/api/v1/payment-runs",
            Some(&other),
            body("2026-04-01"),
            Some("run-4"),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let pain = format!("/api/v1/payment-runs/{id}/pain001");
    // No bank file before a second person approved.
    let r = t.get(&pain, Some(&supervisor)).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    r.is_problem();
    let approvals = format!("/api/v1/payment-runs/{id}/approvals");
    // The counsellor may not approve (and the ledger would refuse the maker anyway).
    let r = t
        .call(
            Method::POST,
            &approvals,
            Some(&counsellor),
            None,
            Some("ap-1"),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = t
        .call(
            Method::POST,
            &approvals,
            Some(&supervisor),
            None,
            Some("ap-2"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["approved"], true);
    assert_eq!(r.json()["approved_by"], json!(["controleur"]));
    for version in ["03", "09"] {
        let r = t
            .get(&format!("{pain}?version={version}"), Some(&counsellor))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(r.headers[header::CONTENT_TYPE], "application/xml");
        let xml = r.text();
        assert!(xml.contains(&format!("pain.001.001.{version}")), "{xml}");
        assert!(xml.contains(&e2e));
        assert!(
            xml.contains("<InstdAmt Ccy=\"EUR\">900.00</InstdAmt>"),
            "{xml}"
        );
    }
    let r = t
        .get(&format!("{pain}?version=02"), Some(&counsellor))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // The resident sees the run of their household, but not the bank file; others nothing.
    let resident = t.login("inwoner-1").await;
    let r = t
        .get(&format!("/api/v1/payment-runs/{id}"), Some(&resident))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        t.get(&pain, Some(&resident)).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        t.get(&format!("/api/v1/payment-runs/{id}"), Some(&other))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        t.get(&format!("/api/v1/payment-runs/{id}"), Some(AUDITOR_KEY))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let list = t
        .get("/api/v1/payment-runs?household=1", Some(&resident))
        .await
        .json();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert!(t
        .get("/api/v1/payment-runs", Some(&other))
        .await
        .json()
        .as_array()
        .unwrap()
        .is_empty());
    // A payment added later for the same date goes in a new run; the rent is not paid twice.
    let energy = serde_json::to_vec(&json!({
        "id": "energie", "label": "Energie", "kind": "fixed_cost", "amount_cents": 12_000,
        "schedule": {"monthly": {"day": 1}}, "counterparty_iban": "NL44RABO0123456789"
    }))
    .unwrap();
    let r = t
        .call(
            Method::PUT,
            "/api/v1/households/1/agreements/energie",
            Some(&counsellor),
            Some(("application/json", energy)),
            Some("energie"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = t
        .call(
            Method::POST,
            "/api/v1/payment-runs",
            Some(&counsellor),
            body("2026-04-01"),
            Some("run-5"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let second = r.json();
    assert_ne!(second["content"]["run_id"], id.as_str());
    let items = second["content"]["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["agreement"], "energie");
    assert!(second["content"]["not_covered"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n.as_str().unwrap().contains(&id)));
    // The maker approving their own run is refused by the ledger itself.
    let mut node = t.app.node();
    let key = NoteKey::from_seed("stichting", &[2; 32]).unwrap();
    let e = knop_app::payrun::approve(&mut node, &key, 10_000_000_000_000, &id, "consulent-a")
        .unwrap_err();
    assert!(e.to_string().contains("four eyes"), "{e}");
}

#[tokio::test]
async fn uploaded_lines_are_matched_or_wait_in_suspense_for_a_person() {
    let t = setup(true);
    let a = t.login("consulent-a").await;
    let b = t.login("consulent-b").await;
    // Household 2 expects the salary in the statement.
    let salary = serde_json::to_vec(&json!({
        "id": "loon", "label": "Loon", "kind": "income", "amount_cents": 120_000,
        "schedule": {"monthly": {"day": 24}}, "counterparty_iban": "NL02ABNA0123456789",
        "reference": "Salaris", "tolerance_cents": 5000
    }))
    .unwrap();
    let r = t
        .call(
            Method::PUT,
            "/api/v1/households/2/agreements/loon",
            Some(&b),
            Some(("application/json", salary)),
            Some("loon"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    // consulent-a uploads: the salary fits household 2 alone, which is consulent-b's. It is not
    // booked by a, and a's answer says nothing of household 2.
    let r = t.upload(&a, STATEMENT.to_vec(), "up").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let v = r.json();
    assert_eq!(v["booked"], 5);
    assert_eq!(v["matching"]["matched_lines"], 0, "{v}");
    assert_eq!(v["matching"]["suspense_lines"], 4);
    assert_eq!(v["matching"]["waiting_lines"], 1);
    assert_eq!(v["matching"]["households"], json!([]), "{v}");
    assert!(!r.text().contains("120000"), "{}", r.text());
    // consulent-b uploads the same file: nothing is imported twice, and b's line is booked.
    let r = t.upload(&b, STATEMENT.to_vec(), "up-b").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let v = r.json();
    assert_eq!(v["booked"], 0);
    assert_eq!(v["matching"]["matched_lines"], 1, "{v}");
    assert_eq!(v["matching"]["suspense_lines"], 3);
    assert_eq!(v["matching"]["waiting_lines"], 0);
    assert_eq!(v["matching"]["households"][0]["household"], "2");
    assert_eq!(v["matching"]["households"][0]["balance_cents"], 120_000);
    // The rest waits for a person, with what is known of each line.
    let lines = t.get("/api/v1/suspense-lines", Some(&a)).await.json();
    let lines = lines.as_array().unwrap();
    assert_eq!(lines.len(), 3);
    let interest = lines
        .iter()
        .find(|l| l["remittance"] == "Rente")
        .expect("the interest line");
    assert_eq!(interest["amount_cents"], 500);
    let id = interest["id"].as_str().unwrap().to_owned();
    let assign = format!("/api/v1/suspense-lines/{id}/assignment");
    let to = |h: &str| {
        Some((
            "application/json",
            format!(r#"{{"household":"{h}"}}"#).into_bytes(),
        ))
    };
    // Not to a household outside one's caseload; residents see no suspense.
    let r = t
        .call(Method::POST, &assign, Some(&b), to("1"), Some("x1"))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let resident = t.login("inwoner-1").await;
    assert_eq!(
        t.get("/api/v1/suspense-lines", Some(&resident))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let r = t
        .call(Method::POST, &assign, Some(&a), to("1"), Some("x2"))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["booked"], 1);
    assert_eq!(r.json()["balance_cents"], 500);
    // Once only.
    let r = t
        .call(Method::POST, &assign, Some(&a), to("1"), Some("x3"))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    r.is_problem();
    assert_eq!(
        t.get("/api/v1/suspense-lines", Some(&a))
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let r = t
        .call(
            Method::POST,
            "/api/v1/suspense-lines/zz/assignment",
            Some(&a),
            to("1"),
            Some("x4"),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // The statement was kept, encrypted (it names people and their IBANs) ...
    let kept: Vec<_> = std::fs::read_dir(t._dir.path().join("statements"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(kept.len(), 1);
    assert!(kept[0].to_string_lossy().ends_with(".xml.enc"), "{kept:?}");
    let bytes = std::fs::read(&kept[0]).unwrap();
    assert!(
        !bytes.windows(12).any(|w| w == b"Werkgever BV"),
        "encrypted at rest"
    );
    // ... and a restarted service still knows its lines.
    let reopen = |t: T| {
        let T {
            router,
            app,
            _dir: dir,
            ..
        } = t;
        drop(router);
        drop(app);
        let node = Node::open(
            Box::new(FileStore::open(dir.path()).unwrap()),
            None,
            os_salts(),
        )
        .unwrap();
        (dir, node)
    };
    let (dir, node) = reopen(t);
    let app = App::new(node, config_for(dir.path(), true, None)).unwrap();
    let t = T {
        router: knop_serve::router(app.clone()),
        app,
        operator: NoteKey::from_seed(ORIGIN, &[1; 32]).unwrap(),
        _dir: dir,
    };
    let a = t.login("consulent-a").await;
    let lines = t.get("/api/v1/suspense-lines", Some(&a)).await.json();
    assert_eq!(lines.as_array().unwrap().len(), 2);
    // Without the master key the kept statements cannot be read: the service says so.
    let (dir, node) = reopen(t);
    let mut c = config_for(dir.path(), true, None);
    c.vault = None;
    let Err(e) = App::new(node, c) else {
        panic!("encrypted statements without a key must be refused")
    };
    assert!(e.contains("no vault master key"), "{e}");
}

/// Checks a pain.001.001.03 against the ISO 20022 schema with xmllint (Debian's libxml2-utils).
fn assert_valid_pain001(dir: &std::path::Path, name: &str, xml: &str) {
    let file = dir.join(format!("{name}.xml"));
    std::fs::write(&file, xml).unwrap();
    let xsd = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../bank/tests/data/xsd/pain.001.001.03.xsd");
    let out = std::process::Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&xsd)
        .arg(&file)
        .output()
        .expect("xmllint (libxml2-utils) is installed");
    assert!(
        out.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn csrf_of(page: &str) -> String {
    page.split("name=\"csrf\" value=\"")
        .nth(1)
        .expect("a form with a CSRF token")
        .split('"')
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn the_counsellor_and_supervisor_work_in_the_cockpit() {
    let t = setup(true);
    let a = t.login("consulent-a").await;
    let page = |tok: &str, uri: &str| {
        t.send(
            Request::get(uri)
                .header(header::COOKIE, format!("knop_session={tok}"))
                .body(Body::empty())
                .unwrap(),
        )
    };
    let form = |tok: &str, uri: &str, body: String| {
        t.send(
            Request::post(uri)
                .header(header::COOKIE, format!("knop_session={tok}"))
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body))
                .unwrap(),
        )
    };
    let r = page(&a, "/afschriften").await;
    assert_eq!(r.status, StatusCode::OK);
    let csrf = csrf_of(&r.text());
    // Upload through the form (multipart), with and without the CSRF token.
    let multipart = |csrf: &str| {
        let mut body = Vec::new();
        body.extend_from_slice(
            format!("--XYZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--XYZ\r\nContent-Disposition: form-data; name=\"bestand\"; filename=\"maart.xml\"\r\nContent-Type: application/xml\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(STATEMENT);
        body.extend_from_slice(b"\r\n--XYZ--\r\n");
        Request::post("/afschriften")
            .header(header::COOKIE, format!("knop_session={a}"))
            .header(header::CONTENT_TYPE, "multipart/form-data; boundary=XYZ")
            .body(Body::from(body))
            .unwrap()
    };
    let size = t.app.node().size();
    let r = t.send(multipart("wrong")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        t.app.node().size(),
        size,
        "nothing booked without the token"
    );
    let r = t.send(multipart(&csrf)).await;
    assert_eq!(r.status, StatusCode::OK);
    let text = r.text();
    assert!(text.contains("Ingelezen:"), "{text}");
    assert!(
        text.contains("Ingelezen afschriften") && text.contains("VOORBEELD-2026-03-1"),
        "the statements imported are listed: {text}"
    );
    assert!(
        text.contains("Rente"),
        "the suspense lines are listed: {text}"
    );
    // Book the interest line to household 1 by hand.
    let line = text
        .split("action=\"/afschriften/regels/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let r = form(
        &a,
        &format!("/afschriften/regels/{line}"),
        format!("csrf={csrf}&household=1"),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let after = page(&a, "/afschriften").await.text();
    assert!(!after.contains(&line), "the line left suspense");
    // A payment run made by the counsellor, approved by the supervisor, then downloadable.
    let r = form(
        &a,
        "/betaalruns",
        format!("csrf={csrf}&household=1&date=2026-04-01"),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let list = page(&a, "/betaalruns").await.text();
    assert!(list.contains("wacht op goedkeuring"), "{list}");
    assert!(
        !list.contains("Goedkeuren"),
        "the maker gets no approve button"
    );
    let s = t.login("controleur").await;
    let list = page(&s, "/betaalruns").await.text();
    let csrf_s = csrf_of(&list);
    let approve = list
        .split("action=\"/betaalruns/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let r = form(
        &s,
        &format!("/betaalruns/{approve}"),
        format!("csrf={csrf}"),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "another session's token is refused"
    );
    let r = form(
        &s,
        &format!("/betaalruns/{approve}"),
        format!("csrf={csrf_s}"),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let list = page(&s, "/betaalruns").await.text();
    let link = list
        .split("href=\"/api/v1/payment-runs/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let r = page(&s, &format!("/api/v1/payment-runs/{link}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.text().contains("<CstmrCdtTrfInitn>"));
    // A run that cannot be made says why, in the page.
    let r = form(
        &a,
        "/betaalruns",
        format!("csrf={csrf}&household=1&date=2026-04-04"),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("business day"), "{}", r.text());
}

#[tokio::test]
async fn a_payment_the_bank_already_made_is_not_put_in_a_run() {
    let t = setup(true);
    let a = t.login("consulent-a").await;
    // The statement shows household 1's April rent already paid (its EndToEndId).
    let plan = knop_huishoudboekje::Plan {
        opening_balance_cents: 0,
        agreements: vec![],
        household: Some("1".into()),
    };
    let e2e = plan.end_to_end_id("huur", "2026-04-01".parse().unwrap());
    let text = String::from_utf8(STATEMENT.to_vec())
        .unwrap()
        .replace("KNOP-20260401-3e120ba1144c9f6e6ebe", &e2e);
    let r = t.upload(&a, text.into_bytes(), "up").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let size = t.app.node().size();
    let r = t.make_run(&a, "2026-04-01", "run").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert!(r.text().contains("al betaald"), "{}", r.text());
    assert_eq!(t.app.node().size(), size, "nothing reserved or recorded");
}

#[tokio::test]
async fn openid_connect_callbacks_that_do_not_fit_are_refused() {
    // Not configured: no such pages.
    let t = setup(false);
    assert_eq!(
        t.get("/inloggen/oidc", None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        t.get("/inloggen/callback?code=x&state=y", None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // Configured with a provider that is down (the full flow runs in the browser tests against
    // a real provider).
    let t = setup_with(
        false,
        Some(knop_serve::oidc::OidcConfig {
            issuer: "http://127.0.0.1:9".into(),
            client_id: "knop".into(),
            client_secret: None,
            redirect_url: "http://127.0.0.1:8080/inloggen/callback".into(),
            label: "DigiD".into(),
        }),
    );
    let r = t.get("/inloggen", None).await;
    assert!(r.text().contains("Inloggen met DigiD"), "{}", r.text());
    let r = t.get("/inloggen/oidc", None).await;
    assert_eq!(r.status, StatusCode::BAD_GATEWAY, "{}", r.text());
    for (uri, status) in [
        (
            "/inloggen/callback?code=x&state=never-started",
            StatusCode::BAD_REQUEST,
        ),
        ("/inloggen/callback?state=y", StatusCode::BAD_REQUEST),
        (
            "/inloggen/callback?error=access_denied&error_description=cancelled",
            StatusCode::UNAUTHORIZED,
        ),
    ] {
        let r = t.get(uri, None).await;
        assert_eq!(r.status, status, "{uri}: {}", r.text());
        assert!(
            !r.headers.contains_key(header::SET_COOKIE),
            "{uri}: no session"
        );
    }
}

#[tokio::test]
async fn personal_data_is_encrypted_logged_and_erasable_while_the_ledger_verifies() {
    let t = setup(true);
    let a = t.login("consulent-a").await;
    let resident = t.login("inwoner-1").await;
    let admin = t.login("beheerder").await;
    let uri = "/api/v1/households/1/personal-data";
    let body = |v: serde_json::Value| Some(("application/json", serde_json::to_vec(&v).unwrap()));
    let person = json!({"name": "Sanne de Vries", "bsn": "111222333", "address": "Voorbeeldstraat 1, Utrecht",
        "phone": "0612345678", "email": "sanne@example.org", "iban": "NL20INGB0001234567"});
    // Bad fields are named, never echoed.
    let r = t
        .call(
            Method::PUT,
            uri,
            Some(&a),
            body(json!({"name": "X", "bsn": "123456789"})),
            Some("p0"),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("bsn"), "{}", r.text());
    assert!(!r.text().contains("123456789"), "the value is not echoed");
    let r = t
        .call(Method::PUT, uri, Some(&a), body(person.clone()), Some("p1"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    // Only the counsellor records it; others do not even see the household.
    let b = t.login("consulent-b").await;
    assert_eq!(
        t.call(Method::PUT, uri, Some(&b), body(person.clone()), Some("p2"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // On disk it is ciphertext: no name, no BSN in any file of the vault or the ledger.
    for entry in walk(t._dir.path()) {
        let bytes = std::fs::read(&entry).unwrap();
        for needle in ["Sanne de Vries", "111222333", "sanne@example.org"] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "{needle} in plain text in {}",
                entry.display()
            );
        }
    }
    // Reading needs a purpose, and is logged.
    let r = t.get(uri, Some(&a)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = t
        .get(
            &format!("{uri}?purpose=bellen%20over%20de%20huur"),
            Some(&a),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json(), person);
    let r = t
        .get(&format!("{uri}?purpose=controle"), Some(&admin))
        .await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "the administrator does not read it"
    );
    let log = t
        .get("/api/v1/households/1/access-log", Some(&resident))
        .await
        .json();
    let log = log.as_array().unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["who"], "consulent-a");
    assert_eq!(log[0]["role"], "counsellor");
    assert_eq!(log[0]["purpose"], "bellen over de huur");
    assert!(
        !serde_json::to_string(&log).unwrap().contains("Sanne"),
        "no personal data in the log"
    );
    // The resident sees it on their page.
    let page = t
        .send(
            Request::get("/huishoudens/1/inzage")
                .header(header::COOKIE, format!("knop_session={resident}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("bellen over de huur"));
    // Erasure: the key is destroyed; the data is gone for good; the ledger still verifies.
    let r = t
        .call(Method::DELETE, uri, Some(&a), None, Some("e0"))
        .await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "only the administrator erases"
    );
    let r = t
        .call(Method::DELETE, uri, Some(&admin), None, Some("e1"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["destroyed"], true);
    let r = t
        .get(&format!("{uri}?purpose=nogmaals%20kijken"), Some(&a))
        .await;
    assert_eq!(r.status, StatusCode::GONE);
    r.is_problem();
    let r = t
        .call(Method::PUT, uri, Some(&a), body(person), Some("p3"))
        .await;
    assert_eq!(
        r.status,
        StatusCode::GONE,
        "an erased household stays erased"
    );
    let mut store = knop_store::FileStore::open_read_only(t._dir.path()).unwrap();
    knop_node::replay(
        &mut store,
        knop_node::replay::Checkpoints::All,
        &mut |_, _| {},
    )
    .unwrap();
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = vec![];
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[tokio::test]
async fn the_design_system_is_served_from_its_npm_packages() {
    let assets = tempfile::tempdir().unwrap();
    // A missing package is an error naming the file, not a half-styled cockpit.
    let config = |assets: Option<std::path::PathBuf>| knop_serve::Config {
        submitter: NoteKey::from_seed("stichting", &[2; 32]).unwrap(),
        foundation_iban: IBAN.into(),
        foundation_name: "Stichting Test".into(),
        advance_limit_cents: 0,
        users: users(),
        api_keys: vec![],
        dev_login: true,
        today: None,
        tls: false,
        oidc: None,
        vault: None,
        assets,
        theme: knop_serve::Theme::Utrecht,
        lookups_per_minute: knop_serve::DEFAULT_LOOKUPS_PER_MINUTE,
        statement_dir: None,
        journal: None,
        reopen: None,
        hosted: vec![],
        public_url: "http://127.0.0.1".into(),
        declaration_months: 8,
    };
    // A creditor's lookups are counted per minute against the limit, each creditor apart.
    let (_d2, n2) = tiny_node();
    let mut c = config(None);
    c.lookups_per_minute = 2;
    let limited = App::new(n2, c).unwrap();
    let minute = 60_000 * 1_000;
    assert!(limited.lookup_allowed("cjib", minute));
    assert!(limited.lookup_allowed("cjib", minute + 59_999));
    assert!(
        !limited.lookup_allowed("cjib", minute + 59_999),
        "the third in a minute"
    );
    assert!(
        limited.lookup_allowed("duo", minute + 1),
        "another creditor counts apart"
    );
    assert!(
        limited.lookup_allowed("cjib", minute + 60_000),
        "the next minute"
    );
    let (_d1, node) = tiny_node();
    // An API key of an organisation the ledger does not know is refused.
    let (_d0, n0) = tiny_node();
    let mut c = config(None);
    c.api_keys = vec![ApiKey {
        digest: digest("knop_k_x"),
        org: "onbekend".into(),
        role: Role::Auditor,
    }];
    let Err(e) = App::new(n0, c) else {
        panic!("an API key of an unknown organisation must be refused")
    };
    assert!(e.contains("not registered"), "{e}");
    let Err(e) = App::new(node, config(Some(assets.path().to_owned()))) else {
        panic!("a missing design system must be refused")
    };
    assert!(e.contains("design-tokens/dist/index.css"), "{e}");
    for (rel, css) in [
        (
            "@utrecht/design-tokens/dist/index.css",
            ".utrecht-theme { --x: 1 }",
        ),
        (
            "@utrecht/component-library-css/dist/html.css",
            ".utrecht-html p { margin: 0 }",
        ),
        (
            "@utrecht/component-library-css/dist/index.css",
            ".utrecht-button { margin: 0 }",
        ),
    ] {
        let p = assets.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, css).unwrap();
    }
    let (dir, node) = tiny_node();
    let app = App::new(node, config(Some(assets.path().to_owned()))).unwrap();
    let t = T {
        router: knop_serve::router(app.clone()),
        app,
        operator: NoteKey::from_seed(ORIGIN, &[1; 32]).unwrap(),
        _dir: dir,
    };
    let page = t.get("/inloggen", None).await.text();
    assert!(page.contains("/static/nlds/tokens.css"), "{page}");
    assert!(page.contains("utrecht-theme utrecht-html"), "{page}");
    let r = t.get("/static/nlds/html.css", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains(".utrecht-html p"));
    assert!(page.contains("/static/nlds/components.css"), "{page}");
    let r = t.get("/static/nlds/components.css", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains(".utrecht-button"));
}

/// A ledger with the operator and the foundation only (and the directory holding it).
fn tiny_node() -> (tempfile::TempDir, Node) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_owned();
    let op = NoteKey::from_seed(ORIGIN, &[1; 32]).unwrap();
    let org = NoteKey::from_seed("stichting", &[2; 32]).unwrap();
    let store = FileStore::create(
        &dir,
        Meta {
            origin: ORIGIN.into(),
            operator_vkey: op.verifier_key(),
        },
    )
    .unwrap();
    let mut node = Node::init(Box::new(store), op.clone(), 1, os_salts()).unwrap();
    let e = SignedEntry::sign(
        OrgName::parse(op.key_name()).unwrap(),
        2,
        Command::RegisterOrg {
            name: OrgName::parse("stichting").unwrap(),
            kind: knop_state::OrgKind::Participant,
            key: org.public_key().to_bytes(),
        }
        .encode(),
        op.signing_key(),
    );
    node.submit(&[e]).unwrap().remove(0).unwrap();
    (tmp, node)
}

#[tokio::test]
async fn living_money_goes_to_the_residents_own_account_which_stays_off_the_ledger() {
    let t = setup(true);
    let a = t.login("consulent-a").await;
    let s = t.login("controleur").await;
    let own = "NL20INGB0001234567";
    // Living money of household 1 is due on 7 April 2026 (a Tuesday).
    let r = t
        .call(
            Method::POST,
            "/api/v1/payment-runs",
            Some(&a),
            Some((
                "application/json",
                br#"{"household":"1","date":"2026-04-07"}"#.to_vec(),
            )),
            Some("run"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let run = r.json();
    let id = run["content"]["run_id"].as_str().unwrap().to_owned();
    let item = &run["content"]["items"][0];
    assert_eq!(item["agreement"], "leefgeld");
    assert_eq!(item["creditor_iban"], knop_app::payrun::RESIDENT_ACCOUNT);
    let r = t.approve_run(&s, &id, "ok").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    // Approving again with another key (a second click) records nothing and says so.
    let size = t.app.node().size();
    let r = t.approve_run(&s, &id, "ok-again").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["approved_by"], json!(["controleur"]));
    assert_eq!(t.app.node().size(), size);
    let pain = format!("/api/v1/payment-runs/{id}/pain001");
    // No personal data yet: the file cannot be written, and says why.
    let r = t.get(&pain, Some(&a)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    r.is_problem();
    let person = json!({"name": "Sanne de Vries", "iban": own});
    let r = t
        .call(
            Method::PUT,
            "/api/v1/households/1/personal-data",
            Some(&a),
            Some(("application/json", serde_json::to_vec(&person).unwrap())),
            Some("pd"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = t.get(&pain, Some(&a)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(
        r.text().contains(own),
        "the file pays the resident's own account"
    );
    // The read is logged for the resident; the ledger never held the IBAN.
    let log = t
        .get("/api/v1/households/1/access-log", Some(&a))
        .await
        .json();
    assert!(
        log[0]["purpose"]
            .as_str()
            .unwrap()
            .starts_with("betaalbestand"),
        "{log}"
    );
    let mut store = knop_store::FileStore::open_read_only(t._dir.path()).unwrap();
    let n = knop_store::Store::len(&store);
    for rec in knop_store::Store::read(&mut store, 0, n).unwrap() {
        if let Some(entry) = rec.entry {
            assert!(
                !entry.windows(own.len()).any(|w| w == own.as_bytes()),
                "the resident's IBAN is not on the ledger"
            );
        }
    }
}

#[tokio::test]
async fn the_counsellor_edits_agreements_in_the_cockpit() {
    let t = setup(true);
    let a = t.login("consulent-a").await;
    let get = |tok: &str| {
        t.send(
            Request::get("/huishoudens/1/afspraken")
                .header(header::COOKIE, format!("knop_session={tok}"))
                .body(Body::empty())
                .unwrap(),
        )
    };
    let r = get(&a).await;
    assert_eq!(r.status, StatusCode::OK);
    let csrf = csrf_of(&r.text());
    let post = |body: String| {
        t.send(
            Request::post("/huishoudens/1/afspraken")
                .header(header::COOKIE, format!("knop_session={a}"))
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body))
                .unwrap(),
        )
    };
    let form = |amount: &str, csrf: &str| {
        format!("csrf={csrf}&id=energie&label=Energie&kind=fixed_cost&amount={amount}&day=15&iban=NL44+RABO+0123+4567+89&reference=klant+42")
    };
    let r = post(form("120%2C50", "wrong")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = post(form("120%2C505", &csrf)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert!(r.text().contains("amount"), "{}", r.text());
    let r = post(form("120%2C50", &csrf)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.text().contains("Vastgelegd"), "{}", r.text());
    let list = t
        .get("/api/v1/households/1/agreements", Some(&a))
        .await
        .json();
    let e = list
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == "energie")
        .expect("recorded");
    assert_eq!(e["amount_cents"], 12_050);
    assert_eq!(e["counterparty_iban"], "NL44RABO0123456789");
    // The advance limit: the foundation's default until the counsellor sets one.
    assert!(get(&a).await.text().contains("standaard van de stichting"));
    let limit = |body: String| {
        t.send(
            Request::post("/huishoudens/1/voorschotlimiet")
                .header(header::COOKIE, format!("knop_session={a}"))
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body))
                .unwrap(),
        )
    };
    assert_eq!(
        limit("csrf=wrong&euros=500".into()).await.status,
        StatusCode::FORBIDDEN
    );
    for bad in ["veel", "-5", "10000%2C01"] {
        let r = limit(format!("csrf={csrf}&euros={bad}")).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            r.text()
        );
        assert!(r.text().contains("Niet vastgelegd"), "{}", r.text());
    }
    let r = limit(format!("csrf={csrf}&euros=500")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.text().contains("€ 500,00"), "{}", r.text());
    assert!(r.text().contains("voor dit huishouden"), "{}", r.text());
    assert_eq!(
        t.app.node().state().households()[&HouseholdId(1)].advance_limit_cents,
        Some(50_000)
    );
    // Every schedule the ledger knows, with its dates, in words in the list.
    for (body, words) in [
        ("id=leefgeld&kind=living_money&amount=75&often=week&weekday=monday&iban=", "elke week op maandag"),
        ("id=kinderbijslag&kind=income&amount=716%2C60&often=kwartaal&first=2026-01-05&iban=", "elke 3 maanden"),
        ("id=school&kind=fixed_cost&amount=50&often=eenmalig&first=2026-08-15&iban=NL44RABO0123456789", "eenmalig op 15 augustus 2026"),
        ("id=gemeente&kind=fixed_cost&amount=42&often=maand&day=28&from=2026-02-01&through=2026-11-30&iban=NL44RABO0123456789", "tot en met 30 nov 2026"),
    ] {
        let r = post(format!("csrf={csrf}&label=&reference=&{body}")).await;
        assert_eq!(r.status, StatusCode::OK, "{body}: {}", r.text());
        assert!(r.text().contains(words), "{words}: {}", r.text());
    }
    // A bad IBAN, or a week without its day, is refused, and the form keeps what was typed.
    let r = post(format!("csrf={csrf}&id=huur2&label=Huur&kind=fixed_cost&amount=800&often=maand&day=1&iban=NL00+BANK+1234+5678+90&reference=")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert!(r.text().contains("IBAN"), "{}", r.text());
    assert!(
        r.text().contains("value=\"huur2\"") && r.text().contains("value=\"800\""),
        "kept: {}",
        r.text()
    );
    let r = post(format!(
        "csrf={csrf}&id=x&label=&kind=fixed_cost&amount=1&often=week&weekday=&iban=&reference="
    ))
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("weekday"), "{}", r.text());
    // Changing one fills the form with it.
    let html = t
        .page(&a, "/huishoudens/1/afspraken?wijzig=kinderbijslag")
        .await
        .text();
    assert!(html.contains("Afspraak wijzigen:"), "{html}");
    assert!(
        html.contains("value=\"716,60\"") && html.contains("value=\"2026-01-05\""),
        "{html}"
    );
    assert!(
        html.contains("<option value=\"kwartaal\" selected>"),
        "{html}"
    );
    // Another counsellor, and the resident, cannot edit.
    let b = t.login("consulent-b").await;
    assert_eq!(get(&b).await.status, StatusCode::NOT_FOUND);
    let resident = t.login("inwoner-1").await;
    assert_eq!(get(&resident).await.status, StatusCode::NOT_FOUND);
}

/// A pain.002.001.03 status report as a bank sends it (structure per ISO 20022; made for this
/// test): the transaction `e2e` of message `msg` rejected with `reason`.
fn status_report(msg: &str, e2e: &str, status: &str, reason: &str) -> Vec<u8> {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03">
  <CstmrPmtStsRpt>
    <GrpHdr><MsgId>STS-1</MsgId><CreDtTm>2026-03-31T10:00:00</CreDtTm></GrpHdr>
    <OrgnlGrpInfAndSts><OrgnlMsgId>{msg}</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.03</OrgnlMsgNmId><GrpSts>PART</GrpSts></OrgnlGrpInfAndSts>
    <OrgnlPmtInfAndSts>
      <OrgnlPmtInfId>{msg}</OrgnlPmtInfId>
      <TxInfAndSts>
        <OrgnlEndToEndId>{e2e}</OrgnlEndToEndId>
        <TxSts>{status}</TxSts>
        <StsRsnInf><Rsn><Cd>{reason}</Cd></Rsn></StsRsnInf>
      </TxInfAndSts>
    </OrgnlPmtInfAndSts>
  </CstmrPmtStsRpt>
</Document>"#
    )
    .into_bytes()
}

#[tokio::test]
async fn a_rejected_payment_frees_its_money_and_alerts_the_counsellor() {
    let t = setup(true);
    let a = t.login("consulent-a").await;
    let s = t.login("controleur").await;
    let r = t.make_run(&a, "2026-04-01", "run").await;
    let run = r.json();
    let id = run["content"]["run_id"].as_str().unwrap().to_owned();
    let e2e = run["content"]["items"][0]["end_to_end_id"]
        .as_str()
        .unwrap()
        .to_owned();
    t.approve_run(&s, &id, "ok").await;
    let post = |body: Vec<u8>, key: &'static str| {
        t.call(
            Method::POST,
            "/api/v1/payment-status-reports",
            Some(&a),
            Some(("application/xml", body)),
            Some(key),
        )
    };
    let r = post(status_report(&id, &e2e, "RJCT", "AC04"), "s1").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let v = r.json();
    assert_eq!(v["rejected"][0]["voided"], true, "{v}");
    assert_eq!(v["rejected"][0]["household"], "1");
    assert_eq!(v["rejected"][0]["cents"], 90_000);
    assert!(v["rejected"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("opgeheven"));
    // The counsellor sees it among the household's alerts.
    let alerts = t.get("/api/v1/households/1/alerts", Some(&a)).await.json();
    assert!(
        alerts
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["kind"] == "payment_rejected"),
        "{alerts}"
    );
    // The same report again voids nothing twice.
    let size = t.app.node().size();
    let r = post(status_report(&id, &e2e, "RJCT", "AC04"), "s2").await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.json()["rejected"][0]["voided"], false);
    assert_eq!(t.app.node().size(), size);
    // Accepted transactions change nothing; bad reports are precise problems.
    let r = post(status_report(&id, &e2e, "ACSC", "NARR"), "s3").await;
    assert_eq!(r.json()["accepted"], 1);
    for (i, body) in [
        b"not xml".to_vec(),
        status_report(&id, "", "RJCT", "AC04"),
        status_report(&id, &e2e, "rejected", "AC04"),
        String::from_utf8(status_report(&id, &e2e, "RJCT", "AC04"))
            .unwrap()
            .replace("pain.002.001.03", "camt.053.001.02")
            .into_bytes(),
    ]
    .into_iter()
    .enumerate()
    {
        let key: &'static str = ["b0", "b1", "b2", "b3"][i];
        let r = post(body, key).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "case {i}: {}",
            r.text()
        );
        r.is_problem();
    }
    assert_eq!(t.app.node().size(), size);
}

#[tokio::test]
async fn a_rejected_payment_is_made_again_under_a_new_end_to_end_id() {
    use knop_huishoudboekje::booking::{payment_id, payment_posted_id};
    let t = setup(true);
    let a = t.login("consulent-a").await;
    let s = t.login("controleur").await;
    let make = |key: &'static str| t.make_run(&a, "2026-04-01", key);
    let approve = |id: String, key: &'static str| {
        let (s, t) = (s.clone(), &t);
        async move { t.approve_run(&s, &id, key).await }
    };
    let first = make("run1").await.json();
    let first_id = first["content"]["run_id"].as_str().unwrap().to_owned();
    let e2e = first["content"]["items"][0]["end_to_end_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(approve(first_id.clone(), "ok1").await.status.is_success());
    // Made again before the bank answered: the same run, nothing new.
    let again = make("run1b").await;
    assert_eq!(
        again.json()["content"]["run_id"],
        first_id.as_str(),
        "{}",
        again.text()
    );
    let r = t
        .call(
            Method::POST,
            "/api/v1/payment-status-reports",
            Some(&a),
            Some((
                "application/xml",
                status_report(&first_id, &e2e, "RJCT", "AC04"),
            )),
            Some("rj"),
        )
        .await;
    assert_eq!(r.json()["rejected"][0]["voided"], true, "{}", r.text());
    // The counsellor fixes the payee and makes the run again: the payment is reserved anew,
    // under an EndToEndId the bank has not seen, of the same form.
    let second = make("run2").await;
    assert_eq!(second.status, StatusCode::CREATED, "{}", second.text());
    let second = second.json();
    let item = &second["content"]["items"][0];
    let retry = item["end_to_end_id"].as_str().unwrap().to_owned();
    assert_ne!(retry, e2e);
    assert_eq!(item["agreement"], first["content"]["items"][0]["agreement"]);
    assert_eq!(item["cents"], first["content"]["items"][0]["cents"]);
    assert_eq!((retry.len(), &retry[..14]), (e2e.len(), &e2e[..14]));
    let pending = t
        .app
        .node()
        .state()
        .book()
        .transfer(payment_id(&retry))
        .unwrap();
    assert_eq!(pending.status, knop_book::PendingStatus::Pending);
    let second_id = second["content"]["run_id"].as_str().unwrap().to_owned();
    assert_ne!(second_id, first_id);
    assert!(approve(second_id, "ok2").await.status.is_success());
    // The bank's statement shows the new attempt paid: it is matched to the household by the
    // reservation on the ledger and posts it.
    let cents = item["cents"].as_i64().unwrap();
    let text = String::from_utf8(STATEMENT.to_vec())
        .unwrap()
        .replace("KNOP-20260401-3e120ba1144c9f6e6ebe", &retry)
        .replace(
            "<Amt Ccy=\"EUR\">850.00</Amt><CdtDbtInd>DBIT",
            &format!(
                "<Amt Ccy=\"EUR\">{}.{:02}</Amt><CdtDbtInd>DBIT",
                cents / 100,
                cents % 100
            ),
        );
    let r = t.upload(&a, text.into_bytes(), "up").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let before = {
        let node = t.app.node();
        let book = node.state().book();
        assert!(
            book.transfer(payment_posted_id(&retry)).is_some(),
            "{}",
            r.text()
        );
        assert_eq!(
            book.transfer(payment_id(&retry)).unwrap().status,
            knop_book::PendingStatus::Posted
        );
        let account = knop_huishoudboekje::booking::household_account(HouseholdId(1)).id;
        book.account(account).unwrap().credit_balance().0
    };
    // Then the payee's bank sends the retried payment back (account closed): the return carries
    // the new EndToEndId, which only the ledger knows. It is the household's money coming back,
    // not a stranger's line for the suspense queue, and it reads as a returned payment.
    let returned = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>
<GrpHdr><MsgId>RETOUR-1</MsgId><CreDtTm>2026-04-03T18:00:00</CreDtTm></GrpHdr>
<Stmt><Id>RETOUR-1</Id><Acct><Id><IBAN>NL91ABNA0417164300</IBAN></Id><Ccy>EUR</Ccy></Acct>
<Ntry><Amt Ccy="EUR">{}.{:02}</Amt><CdtDbtInd>CRDT</CdtDbtInd><RvslInd>true</RvslInd><Sts><Cd>BOOK</Cd></Sts>
<BookgDt><Dt>2026-04-03</Dt></BookgDt><AcctSvcrRef>VB-RETOUR-1</AcctSvcrRef>
<NtryDtls><TxDtls><Refs><EndToEndId>{retry}</EndToEndId></Refs>
<RltdPties><Dbtr><Pty><Nm>Mitros</Nm></Pty></Dbtr><DbtrAcct><Id><IBAN>NL44RABO0123456789</IBAN></Id></DbtrAcct></RltdPties>
<RtrInf><Rsn><Cd>AC04</Cd></Rsn></RtrInf></TxDtls></NtryDtls></Ntry></Stmt></BkToCstmrStmt></Document>"#,
        cents / 100,
        cents % 100
    );
    let r = t
        .upload(&a, returned.clone().into_bytes(), "up-return")
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let v = r.json();
    assert_eq!(v["matching"]["matched_lines"], 1, "{v}");
    assert_eq!(v["matching"]["suspense_lines"], 0, "{v}");
    // Money coming in repays what the foundation advanced first.
    let h = &v["matching"]["households"][0];
    assert_eq!(
        h["balance_cents"].as_i64().unwrap() + h["advance_repaid_cents"].as_i64().unwrap(),
        before + cents,
        "{v}"
    );
    {
        let file = knop_bank::camt053::parse(returned.as_bytes()).unwrap();
        let node = t.app.node();
        let st = node.state();
        let plan = st.plan(HouseholdId(1), 0).unwrap();
        let today: jiff::civil::Date = "2026-04-03".parse().unwrap();
        let m = knop_app::matching::match_file(&file, &plan, today, Some(st.book()));
        assert_eq!(
            m.lines[0].1,
            knop_huishoudboekje::matching::Match::Returned {
                agreement: item["agreement"].as_str().unwrap().to_owned(),
                reason: Some("AC04".into())
            }
        );
        assert!(
            m.alerts
                .iter()
                .any(|x| x.agreement.as_deref() == item["agreement"].as_str()),
            "{:?}",
            m.alerts
        );
        // Without the ledger the retried id is a stranger's.
        let blind = knop_app::matching::match_file(&file, &plan, today, None);
        assert!(matches!(
            blind.lines[0].1,
            knop_huishoudboekje::matching::Match::Suspense { .. }
        ));
        // The ledger records the return of that payment, once; the line is not waiting in suspense.
        assert!(st
            .book()
            .transfer(knop_huishoudboekje::booking::payment_returned_id(&retry))
            .is_some_and(|x| x.transfer.amount.0 == cents));
    }
    let r = t
        .upload(&a, returned.clone().into_bytes(), "up-return-2")
        .await;
    assert_eq!(r.json()["booked"], 0, "{}", r.text());
    let lines = t.get("/api/v1/suspense-lines", Some(&a)).await.json();
    assert!(
        !lines
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["end_to_end_id"] == retry.as_str()),
        "{lines}"
    );
    // The counsellor is told, and the next run pays again under a third id.
    let alerts = t.get("/api/v1/households/1/alerts", Some(&a)).await.json();
    assert!(
        alerts
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["kind"] == "payment_returned" && x["amount_cents"] == cents),
        "{alerts}"
    );
    let third = make("run3").await;
    assert_eq!(third.status, StatusCode::CREATED, "{}", third.text());
    let third = third.json();
    let again = third["content"]["items"][0]["end_to_end_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(again != retry && again != e2e, "{third}");
    assert_eq!(third["content"]["items"][0]["agreement"], item["agreement"]);
    assert_eq!(
        t.app
            .node()
            .state()
            .book()
            .transfer(payment_id(&again))
            .unwrap()
            .status,
        knop_book::PendingStatus::Pending
    );
}

/// A statement of the foundation's account with one entry: `cents` out, booked as one batch of
/// the given transactions (EndToEndId, cents), as banks book a pain.001 sent with batch booking.
fn batch_statement(reference: &str, cents: i64, transactions: &[(String, i64)]) -> Vec<u8> {
    let amount = |c: i64| format!("{}.{:02}", c / 100, c % 100);
    let details: String = transactions
        .iter()
        .map(|(e2e, c)| {
            format!(
                "<TxDtls><Refs><EndToEndId>{e2e}</EndToEndId></Refs><AmtDtls><TxAmt><Amt Ccy=\"EUR\">{}</Amt></TxAmt></AmtDtls>\
                 <RltdPties><Cdtr><Pty><Nm>Mitros</Nm></Pty></Cdtr><CdtrAcct><Id><IBAN>NL44RABO0123456789</IBAN></Id></CdtrAcct></RltdPties></TxDtls>",
                amount(*c)
            )
        })
        .collect();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>
<GrpHdr><MsgId>{reference}</MsgId><CreDtTm>2026-04-01T18:00:00</CreDtTm></GrpHdr>
<Stmt><Id>{reference}</Id><Acct><Id><IBAN>NL91ABNA0417164300</IBAN></Id><Ccy>EUR</Ccy></Acct>
<Ntry><Amt Ccy="EUR">{}</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
<BookgDt><Dt>2026-04-01</Dt></BookgDt><AcctSvcrRef>{reference}</AcctSvcrRef>
<NtryDtls><Btch><NbOfTxs>{}</NbOfTxs></Btch>{details}</NtryDtls></Ntry></Stmt></BkToCstmrStmt></Document>"#,
        amount(cents),
        transactions.len()
    )
    .into_bytes()
}

#[tokio::test]
async fn a_batch_of_payments_booked_as_one_entry_posts_each_reservation() {
    use knop_huishoudboekje::booking::payment_id;
    let t = setup(true);
    let a = t.login("consulent-a").await;
    let s = t.login("controleur").await;
    // Room for two months' rent paid ahead by the foundation.
    let r = t
        .call(
            Method::PUT,
            "/api/v1/households/1/advance-limit",
            Some(&a),
            Some(("application/json", br#"{"cents": 500000}"#.to_vec())),
            Some("limit"),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text());
    let mut paid = vec![];
    for (date, key, ok) in [("2026-04-01", "r1", "a1"), ("2026-04-30", "r2", "a2")] {
        let run = t.make_run(&a, date, key).await;
        assert_eq!(run.status, StatusCode::CREATED, "{}", run.text());
        let run = run.json();
        let id = run["content"]["run_id"].as_str().unwrap().to_owned();
        let r = t.approve_run(&s, &id, ok).await;
        assert!(r.status.is_success(), "{}", r.text());
        for i in run["content"]["items"].as_array().unwrap() {
            paid.push((
                i["end_to_end_id"].as_str().unwrap().to_owned(),
                i["cents"].as_i64().unwrap(),
            ));
        }
    }
    assert_eq!(paid.len(), 2);
    let total: i64 = paid.iter().map(|p| p.1).sum();
    let status = |e2e: &str| {
        t.app
            .node()
            .state()
            .book()
            .transfer(payment_id(e2e))
            .unwrap()
            .status
    };
    // A batch that does not add up is not ours to post: it waits for a person.
    let r = t
        .upload(&a, batch_statement("BATCH-1", total - 1, &paid), "up1")
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["matching"]["suspense_lines"], 1, "{}", r.text());
    assert!(paid
        .iter()
        .all(|p| status(&p.0) == knop_book::PendingStatus::Pending));
    // The bank's entry of the whole batch posts every reservation in it, once.
    for key in ["up2", "up2-again"] {
        let r = t
            .upload(&a, batch_statement("BATCH-2", total, &paid), key)
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        assert_eq!(r.json()["matching"]["matched_lines"], 1, "{}", r.text());
        assert!(paid
            .iter()
            .all(|p| status(&p.0) == knop_book::PendingStatus::Posted));
    }
    let lines = t.get("/api/v1/suspense-lines", Some(&a)).await.json();
    let lines = lines.as_array().unwrap();
    assert_eq!(
        lines.len(),
        1,
        "only the batch that did not add up: {lines:?}"
    );
    assert_eq!(lines[0]["amount_cents"], -(total - 1));
    // The bank debits one of them a second time, on a line of its own: the payment was posted
    // by the batch, so this debit is not settled by it and waits for a person.
    let r = t
        .upload(&a, batch_statement("TWICE", paid[0].1, &paid[..1]), "up3")
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["matching"]["suspense_lines"], 1, "{}", r.text());
    let lines = t.get("/api/v1/suspense-lines", Some(&a)).await.json();
    let mut amounts: Vec<i64> = lines
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["amount_cents"].as_i64().unwrap())
        .collect();
    amounts.sort();
    let mut want = vec![-(total - 1), -paid[0].1];
    want.sort();
    assert_eq!(
        amounts, want,
        "the unbalanced batch and the second debit: {lines}"
    );
}

#[tokio::test]
async fn a_households_own_advance_limit_on_the_ledger_decides_its_runs() {
    let t = setup(true);
    let a = t.login("consulent-a").await;
    let put = |body: &'static [u8], key: &'static str| {
        t.call(
            Method::PUT,
            "/api/v1/households/1/advance-limit",
            Some(&a),
            Some(("application/json", body.to_vec())),
            Some(key),
        )
    };
    for (i, bad) in [
        &br#"{"cents": -1}"#[..],
        br#"{"cents": 1000001}"#,
        br#"{"cents": "500"}"#,
        br#"{"cents": 500, "euros": 5}"#,
    ]
    .into_iter()
    .enumerate()
    {
        let r = put(bad, ["b0", "b1", "b2", "b3"][i]).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "case {i}: {}",
            r.text()
        );
        r.is_problem();
    }
    // EUR 500 for this household, below the foundation's default of EUR 1 500.
    let r = put(br#"{"cents": 50000}"#, "set").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["created"], 1);
    assert_eq!(
        t.app.node().state().households()[&HouseholdId(1)].advance_limit_cents,
        Some(50_000)
    );
    // Rent of 900 from an empty account: an advance of 900 would pass the default but not this
    // household's limit, so the rent is not paid in part, it is named.
    let r = t.make_run(&a, "2026-04-01", "run").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert!(r.text().contains("huur"), "{}", r.text());
    // Raised to EUR 1 000: the run advances the rent.
    assert_eq!(
        put(br#"{"cents": 100000}"#, "raise").await.status,
        StatusCode::OK
    );
    let r = t.make_run(&a, "2026-04-01", "run2").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["content"]["advanced_cents"], 90_000);
}

#[tokio::test]
async fn a_status_report_touches_only_the_uploaders_caseload() {
    // Found by a probe: consulent-b posted a pain.002 naming household 1's payment and voided
    // its approved reservation.
    let t = setup(true);
    let a = t.login("consulent-a").await;
    let b = t.login("consulent-b").await;
    let s = t.login("controleur").await;
    let run = t.make_run(&a, "2026-04-01", "run").await.json();
    let id = run["content"]["run_id"].as_str().unwrap().to_owned();
    let e2e = run["content"]["items"][0]["end_to_end_id"]
        .as_str()
        .unwrap()
        .to_owned();
    t.approve_run(&s, &id, "ok").await;
    let post = |who, key: &'static str| {
        t.call(
            Method::POST,
            "/api/v1/payment-status-reports",
            Some(who),
            Some(("application/xml", status_report(&id, &e2e, "RJCT", "AC04"))),
            Some(key),
        )
    };
    let size = t.app.node().size();
    let r = post(&b, "b1").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let v = r.json();
    assert_eq!(v["rejected"][0]["voided"], false, "{v}");
    assert_eq!(v["rejected"][0]["household"], Value::Null, "{v}");
    assert_eq!(v["rejected"][0]["cents"], Value::Null, "{v}");
    assert!(v["rejected"][0]["waits"]
        .as_str()
        .unwrap()
        .contains("caseload"));
    assert_eq!(t.app.node().size(), size, "nothing written for b");
    // The household's own counsellor reads the same file: now it is voided.
    let r = post(&a, "a1").await;
    assert_eq!(r.json()["rejected"][0]["voided"], true, "{}", r.text());
    assert_eq!(r.json()["rejected"][0]["household"], "1");
}

#[tokio::test]
async fn personal_data_is_refused_on_the_shared_ledger() {
    // Found by a probe: a BSN in the reference, a name and address in the label and the
    // resident's own IBAN as the other party all reached `knop log export`.
    let t = setup(true);
    let a = t.login("consulent-a").await;
    let person = json!({"name": "Sanne de Vries", "bsn": "111222333",
        "address": "Voorbeeldstraat 1, 3512 AB Utrecht", "iban": "NL20INGB0001234567"});
    let r = t
        .call(
            Method::PUT,
            "/api/v1/households/1/personal-data",
            Some(&a),
            Some(("application/json", serde_json::to_vec(&person).unwrap())),
            Some("p1"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let (t, a) = (&t, &a);
    let put = |n: usize, change: serde_json::Value| {
        let mut ag = json!({"id": "huur2", "kind": "fixed_cost", "amount_cents": 85000,
            "schedule": {"monthly": {"day": 1}}, "counterparty_iban": "NL44RABO0123456789",
            "label": "Mitros", "reference": "Huur"});
        for (k, v) in change.as_object().unwrap() {
            ag[k] = v.clone();
        }
        let ag = serde_json::to_vec(&ag).unwrap();
        let key = format!("ag-{n}");
        async move {
            t.call(
                Method::PUT,
                "/api/v1/households/1/agreements/huur2",
                Some(a),
                Some(("application/json", ag)),
                Some(&key),
            )
            .await
        }
    };
    let size = t.app.node().size();
    let cases = [
        (json!({"reference": "BSN 111222333"}), "BSN"),
        (json!({"label": "S. de Vries, Voorbeeldstraat 1"}), "name"),
        (json!({"label": "Mitros 3512 AB"}), "address"),
        (
            json!({"kind": "income", "counterparty_iban": "NL20 INGB 0001 2345 67"}),
            "own account",
        ),
        (json!({"kind": "living_money"}), "living money"),
        (json!({"reference": "x".repeat(141)}), "at most 140"),
    ];
    for (n, (change, why)) in cases.into_iter().enumerate() {
        let r = put(n, change).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
        assert!(r.text().contains(why), "{why}: {}", r.text());
        for secret in ["111222333", "Vries", "NL20"] {
            assert!(!r.text().contains(secret), "{secret} echoed: {}", r.text());
        }
    }
    assert_eq!(t.app.node().size(), size, "nothing recorded");
    let r = put(99, json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
}

/// Stops the service (its node and router dropped, so the store is free); its directory and
/// the operator's key stay.
fn stop(t: T) -> (tempfile::TempDir, NoteKey) {
    let T {
        router,
        app,
        _dir: dir,
        operator,
    } = t;
    drop(router);
    drop(app);
    (dir, operator)
}

/// Serves `node` with `config` over `dir`.
fn serve_again(dir: tempfile::TempDir, operator: NoteKey, node: Node, config: Config) -> T {
    let app = App::new(node, config).unwrap();
    T {
        router: knop_serve::router(app.clone()),
        app,
        operator,
        _dir: dir,
    }
}

/// The same service started again on its directory (ledger, vault, statements, journal).
fn restart(t: T) -> T {
    let (dir, operator) = stop(t);
    let store = Box::new(FileStore::open(dir.path()).unwrap());
    let node = Node::open(store, None, os_salts()).unwrap();
    let config = config_for(dir.path(), true, None);
    serve_again(dir, operator, node, config)
}

#[tokio::test]
async fn a_restart_forgets_no_session_and_no_idempotency_key() {
    // Found by a probe: after a restart all sessions were gone and an Idempotency-Key reused
    // with another body was accepted (422 before the restart).
    let t = setup(true);
    let a = t.login("consulent-a").await;
    let limit = |cents: i64| {
        Some((
            "application/json",
            serde_json::to_vec(&json!({ "cents": cents })).unwrap(),
        ))
    };
    let uri = "/api/v1/households/1/advance-limit";
    let first = t
        .call(Method::PUT, uri, Some(&a), limit(20_000), Some("lim"))
        .await;
    assert!(first.status.is_success(), "{}", first.text());
    let size = t.app.node().size();
    let t = restart(t);
    // Still logged in.
    let me = t.get("/api/v1/me", Some(&a)).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text());
    // The same key with another body is still refused, and with the same body it is the
    // first answer again, replayed; nothing new on the ledger.
    let r = t
        .call(Method::PUT, uri, Some(&a), limit(30_000), Some("lim"))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let r = t
        .call(Method::PUT, uri, Some(&a), limit(20_000), Some("lim"))
        .await;
    assert_eq!(r.status, first.status);
    assert_eq!(r.body, first.body);
    assert_eq!(r.headers["idempotent-replayed"], "true");
    assert_eq!(t.app.node().size(), size);
    // The journal is sealed: no login or answer in plain text.
    let journal = std::fs::read(t._dir.path().join("service.journal")).unwrap();
    assert!(!journal.windows(11).any(|w| w == b"consulent-a"));
}

#[tokio::test]
async fn unknown_query_parameters_array_bodies_and_caching_are_refused() {
    // Found by a probe: unknown query parameters were accepted, a JSON array `[1]` set the
    // advance limit to one cent, and household pages could be cached.
    let t = setup(true);
    let a = t.login("consulent-a").await;
    for uri in [
        "/api/v1/households/1?x=1",
        "/api/v1/households/1/alerts?foo",
        "/api/v1/households/1/agreements?page=2",
        "/api/v1/me?debug=true",
        "/api/v1/households?page=1&sort=name",
    ] {
        let r = t.get(uri, Some(&a)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{uri}: {}", r.text());
        r.is_problem();
        assert!(
            r.text().contains("is not known here"),
            "{uri}: {}",
            r.text()
        );
    }
    // Declared parameters still work.
    let r = t
        .get("/api/v1/households?page=1&page_size=5", Some(&a))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let size = t.app.node().size();
    let r = t
        .call(
            Method::PUT,
            "/api/v1/households/1/advance-limit",
            Some(&a),
            Some(("application/json", b"[1]".to_vec())),
            Some("arr"),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert!(r.text().contains("JSON object"), "{}", r.text());
    assert_eq!(t.app.node().size(), size);
    // Nothing of a household is kept by a browser or a proxy.
    for uri in ["/api/v1/households/1", "/huishoudens/1"] {
        let r = t
            .send(
                Request::get(uri)
                    .header(header::COOKIE, format!("knop_session={a}"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{uri}");
        assert_eq!(r.headers[header::CACHE_CONTROL], "no-store", "{uri}");
    }
}

/// A file store whose next append fails once when told to (a full disk, say).
struct FullOnce {
    inner: FileStore,
    fail: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl knop_store::Store for FullOnce {
    fn meta(&self) -> &Meta {
        self.inner.meta()
    }
    fn len(&self) -> u64 {
        self.inner.len()
    }
    fn append(&mut self, records: &[knop_store::Record]) -> Result<(), knop_store::StoreError> {
        if self.fail.swap(false, std::sync::atomic::Ordering::SeqCst) {
            return Err(knop_store::StoreError::Io {
                path: "log.knop".into(),
                source: std::io::Error::other("No space left on device"),
            });
        }
        self.inner.append(records)
    }
    fn read(
        &mut self,
        from: u64,
        to: u64,
    ) -> Result<Vec<knop_store::Record>, knop_store::StoreError> {
        self.inner.read(from, to)
    }
    fn erase(&mut self, index: u64) -> Result<(), knop_store::StoreError> {
        self.inner.erase(index)
    }
    fn put_checkpoint(&mut self, size: u64, note: &str) -> Result<(), knop_store::StoreError> {
        self.inner.put_checkpoint(size, note)
    }
    fn checkpoints(&mut self) -> Result<Vec<(u64, String)>, knop_store::StoreError> {
        self.inner.checkpoints()
    }
    fn latest_checkpoint(&mut self) -> Result<Option<(u64, String)>, knop_store::StoreError> {
        self.inner.latest_checkpoint()
    }
    fn bytes_used(&mut self) -> Result<u64, knop_store::StoreError> {
        self.inner.bytes_used()
    }
}

#[tokio::test]
async fn after_a_failed_write_the_service_opens_its_ledger_again() {
    // Found by a probe: after one failed write the service refused all writes until restarted.
    let (dir, operator) = stop(setup(true));
    let fail = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let store = FullOnce {
        inner: FileStore::open(dir.path()).unwrap(),
        fail: fail.clone(),
    };
    let node = Node::open(Box::new(store), Some(operator.clone()), os_salts()).unwrap();
    let mut config = config_for(dir.path(), true, None);
    let (path, op) = (dir.path().to_owned(), operator.clone());
    config.reopen = Some(std::sync::Arc::new(move || {
        let store = FileStore::open(&path).map_err(|e| e.to_string())?;
        Node::open(Box::new(store), Some(op.clone()), os_salts()).map_err(|e| e.to_string())
    }));
    let t = serve_again(dir, operator, node, config);
    assert_eq!(t.get("/healthz", None).await.status, StatusCode::OK);
    assert_eq!(t.get("/readyz", None).await.status, StatusCode::OK);
    let a = t.login("consulent-a").await;
    let limit = |cents: i64| {
        Some((
            "application/json",
            serde_json::to_vec(&json!({ "cents": cents })).unwrap(),
        ))
    };
    let uri = "/api/v1/households/1/advance-limit";
    let size = t.app.node().size();
    fail.store(true, std::sync::atomic::Ordering::SeqCst);
    let r = t
        .call(Method::PUT, uri, Some(&a), limit(20_000), Some("l1"))
        .await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", r.text());
    // The next request finds the ledger opened again, at what is durable, and writes.
    let r = t.get("/readyz", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = t
        .call(Method::PUT, uri, Some(&a), limit(20_000), Some("l1"))
        .await;
    assert!(r.status.is_success(), "{}", r.text());
    assert_eq!(
        t.app.node().size(),
        size + 1,
        "written once, after recovery"
    );
}

#[tokio::test]
async fn suspense_lines_are_listed_once_and_a_page_at_a_time() {
    // Found by a probe: two kept files holding the same bank entries listed them twice
    // (1 200 cents listed against 700 on the ledger), and the list was unpaginated.
    let t = setup(true);
    let a = t.login("consulent-a").await;
    assert_eq!(
        t.upload(&a, STATEMENT.to_vec(), "u1").await.status,
        StatusCode::CREATED
    );
    let again =
        String::from_utf8(STATEMENT.to_vec())
            .unwrap()
            .replacen("<MsgId>", "<MsgId>TWEEDE-", 1);
    assert_ne!(again.as_bytes(), STATEMENT);
    let r = t.upload(&a, again.into_bytes(), "u2").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["booked"], 0, "{}", r.text());
    let r = t.get("/api/v1/suspense-lines", Some(&a)).await;
    let all = r.json();
    let ids: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    let unique: std::collections::HashSet<_> = ids.iter().collect();
    assert_eq!(ids.len(), unique.len(), "each line once: {all}");
    assert_eq!(r.headers["x-total-count"], ids.len().to_string().as_str());
    // A page at a time, oldest first, with a link to the next.
    let r = t
        .get("/api/v1/suspense-lines?page=1&page_size=1", Some(&a))
        .await;
    assert_eq!(r.json().as_array().unwrap().len(), 1);
    assert_eq!(r.json()[0]["id"], ids[0]);
    assert!(r.headers[header::LINK].to_str().unwrap().contains("page=2"));
    let r = t
        .get("/api/v1/suspense-lines?page_size=501", Some(&a))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn statements_are_kept_encrypted_even_without_a_vault() {
    // Found by a probe: statements were kept in plain text when no vault was configured.
    // The service, stopped and served again without a vault.
    let without_vault = |t: T| {
        let (dir, operator) = stop(t);
        let store = Box::new(FileStore::open(dir.path()).unwrap());
        let node = Node::open(store, Some(operator.clone()), os_salts()).unwrap();
        let mut config = config_for(dir.path(), true, None);
        config.vault = None;
        serve_again(dir, operator, node, config)
    };
    let t = without_vault(setup(true));
    let a = t.login("consulent-a").await;
    let r = t.upload(&a, STATEMENT.to_vec(), "u").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let kept: Vec<_> = std::fs::read_dir(t._dir.path().join("statements"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert!(
        kept[0].to_string_lossy().ends_with(".xml.sealed"),
        "{kept:?}"
    );
    let bytes = std::fs::read(&kept[0]).unwrap();
    assert!(
        !bytes.windows(9).any(|w| w == b"<Document"),
        "encrypted at rest"
    );
    let lines = t.get("/api/v1/suspense-lines", Some(&a)).await.json();
    let n = lines.as_array().unwrap().len();
    assert!(n > 0);
    // Restarted, the service reads it back.
    let t = without_vault(t);
    let a = t.login("consulent-a").await;
    let lines = t.get("/api/v1/suspense-lines", Some(&a)).await.json();
    assert_eq!(lines.as_array().unwrap().len(), n);
}

#[tokio::test]
async fn an_erasure_leaves_no_readable_trace_in_the_kept_statements() {
    // Found by a probe: after erasing a household, the kept statements still named it.
    let t = setup(true);
    let a = t.login("consulent-a").await;
    let admin = t.login("beheerder").await;
    assert_eq!(
        t.upload(&a, STATEMENT.to_vec(), "u").await.status,
        StatusCode::CREATED
    );
    let lines = t.get("/api/v1/suspense-lines", Some(&a)).await.json();
    let premium = lines
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["remittance"] == "Premie maart")
        .expect("the premium line")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = t
        .call(
            Method::POST,
            &format!("/api/v1/suspense-lines/{premium}/assignment"),
            Some(&a),
            Some(("application/json", br#"{"household":"1"}"#.to_vec())),
            Some("as"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = t
        .call(
            Method::DELETE,
            "/api/v1/households/1/personal-data",
            Some(&admin),
            None,
            Some("erase"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["statements_redacted"], 1, "{}", r.text());
    let dir = t._dir.path().join("statements");
    let vault = knop_app::vault::Vault::open(&t._dir.path().join("vault"), &[7; 32]).unwrap();
    let kept: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    let name = kept[0].file_name().unwrap().to_string_lossy().into_owned();
    let sha = name.split('.').next().unwrap();
    let plain = vault
        .open_file(sha, &std::fs::read(&kept[0]).unwrap())
        .unwrap();
    let text = String::from_utf8(plain).unwrap();
    for gone in ["Premie maart", "Zorgverzekeraar", "NL20INGB0001234567"] {
        assert!(!text.contains(gone), "{gone} still in the kept statement");
    }
    assert!(
        text.contains("Werkgever BV"),
        "other households' lines stay"
    );
    // The service still reads it, and so does a restarted one.
    let t = restart(t);
    let a = t.login("consulent-a").await;
    let r = t.get("/api/v1/suspense-lines", Some(&a)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(!r.text().contains("Premie"), "{}", r.text());
}

/// Malformed input on every operation that takes a body, straight from the OpenAPI document: an
/// empty body, broken JSON or XML, an array, wrong types, a body over the limit, and the wrong
/// content type. Each is a precise problem (4xx, problem+json), never a server error, and writes
/// nothing.
#[tokio::test]
async fn malformed_bodies_on_every_route_are_precise_problems() {
    let t = setup(true);
    let doc = t.get("/api/v1/openapi.json", None).await.json();
    let tokens = [
        t.login("consulent-a").await,
        t.login("controleur").await,
        t.login("beheerder").await,
    ];
    let size = t.app.node().size();
    let fill = |path: &str| {
        path.replace("{id}", "1")
            .replace("{agreement_id}", "huur")
            .replace("{line_id}", &"0".repeat(32))
            .replace("{run_id}", "KNOP-RUN-20260401-00000000")
            .replace("{index}", "0")
    };
    let mut tried = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Some(body) = op.get("requestBody") else {
                continue;
            };
            let xml = body["content"].get("application/xml").is_some();
            let (ct, cases): (&str, Vec<Vec<u8>>) = if xml {
                (
                    "application/xml",
                    vec![
                        b"".to_vec(),
                        b"not xml".to_vec(),
                        b"<Document><unclosed>".to_vec(),
                        b"<?xml version=\"1.0\"?><Document xmlns=\"urn:other\"/>".to_vec(),
                        vec![b'<'; 17 * 1024 * 1024],
                    ],
                )
            } else {
                (
                    "application/json",
                    vec![
                        b"".to_vec(),
                        b"not json".to_vec(),
                        b"[1]".to_vec(),
                        b"{\"x\":".to_vec(),
                        b"{\"household\": 1, \"date\": [], \"cents\": \"x\"}".to_vec(),
                        b"\"text\"".to_vec(),
                        vec![b' '; 17 * 1024 * 1024],
                    ],
                )
            };
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let uri = format!("/api/v1{}", fill(path));
            let mut wrong_type_refused = false;
            for token in &tokens {
                for (i, b) in cases.iter().enumerate() {
                    tried += 1;
                    let key = format!("bad-{method}-{path}-{i}");
                    let r = t
                        .call(
                            m.clone(),
                            &uri,
                            Some(token),
                            Some((ct, b.clone())),
                            Some(&key),
                        )
                        .await;
                    assert!(
                        r.status.is_client_error(),
                        "{method} {uri} case {i}: {} {}",
                        r.status,
                        r.text()
                    );
                    r.is_problem();
                }
                // The wrong content type.
                let other = if xml {
                    "application/json"
                } else {
                    "text/plain"
                };
                let key = format!("ct-{method}-{path}");
                let r = t
                    .call(
                        m.clone(),
                        &uri,
                        Some(token),
                        Some((other, b"{}".to_vec())),
                        Some(&key),
                    )
                    .await;
                // Refused for the role first (403, 404), or for the type (415).
                assert!(
                    matches!(r.status.as_u16(), 403 | 404 | 415),
                    "{method} {uri}: {}",
                    r.text()
                );
                wrong_type_refused |= r.status == StatusCode::UNSUPPORTED_MEDIA_TYPE;
            }
            assert!(
                wrong_type_refused,
                "{method} {uri}: no role got 415 for the wrong type"
            );
        }
    }
    assert!(
        tried > 100,
        "the document lists the operations with bodies ({tried})"
    );
    assert_eq!(t.app.node().size(), size, "nothing written");
}

/// A new deployment: a ledger with the foundation and no household yet, served.
fn fresh_deployment() -> T {
    let dir = tempfile::tempdir().unwrap();
    let op = NoteKey::from_seed(ORIGIN, &[1; 32]).unwrap();
    let org = NoteKey::from_seed("stichting", &[2; 32]).unwrap();
    let store = FileStore::create(
        dir.path(),
        Meta {
            origin: ORIGIN.into(),
            operator_vkey: op.verifier_key(),
        },
    )
    .unwrap();
    let mut node = Node::init(Box::new(store), op.clone(), 1, os_salts()).unwrap();
    let e = SignedEntry::sign(
        OrgName::parse(ORIGIN).unwrap(),
        2,
        Command::RegisterOrg {
            name: OrgName::parse("stichting").unwrap(),
            kind: knop_state::OrgKind::Foundation,
            key: org.public_key().to_bytes(),
        }
        .encode(),
        op.signing_key(),
    );
    node.submit(&[e]).unwrap().remove(0).unwrap();
    let mut c = config_for(dir.path(), true, None);
    c.api_keys.clear();
    c.hosted.clear();
    let app = App::new(node, c).unwrap();
    T {
        router: knop_serve::router(app.clone()),
        app,
        operator: op,
        _dir: dir,
    }
}

#[tokio::test]
async fn each_deployment_makes_its_own_payment_ids() {
    // Found by a probe: EndToEndIds and run ids were the same in two unrelated deployments, and
    // could be worked out from a household number, an agreement and a date.
    let mut seen = vec![];
    for _ in 0..2 {
        let t = fresh_deployment();
        assert!(
            t.app.node().state().id_scope().is_some(),
            "a new ledger gets a scope"
        );
        let org = NoteKey::from_seed("stichting", &[2; 32]).unwrap();
        for cmd in [
            Command::Household(HouseholdCommand::Open {
                household: HouseholdId(1),
                counsellor: "c-a".into(),
                information: "knop-info-v1".into(),
            }),
            Command::Household(HouseholdCommand::SetAgreement {
                household: HouseholdId(1),
                agreement: agreement("huur", "fixed_cost", 90_000, 1),
            }),
        ] {
            let mut node = t.app.node();
            knop_app::ops::submit(&mut node, &org, u64::MAX / 4, &cmd)
                .unwrap()
                .unwrap();
        }
        let a = t.login("consulent-a").await;
        let r = t.make_run(&a, "2026-04-01", "run").await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let run = r.json();
        let e2e = run["content"]["items"][0]["end_to_end_id"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(e2e.starts_with("KNOP-20260401-"), "{e2e}");
        seen.push((e2e, run["content"]["run_id"].as_str().unwrap().to_owned()));
    }
    assert_ne!(
        seen[0].0, seen[1].0,
        "EndToEndIds differ between deployments"
    );
    assert_ne!(seen[0].1, seen[1].1, "run ids differ between deployments");
    // A ledger that had households before keeps its ids (they are at the bank already).
    let t = setup(true);
    assert!(t.app.node().state().id_scope().is_none());
}

#[tokio::test]
async fn the_residents_page_says_how_often_shows_what_holds_and_words_the_chart() {
    // Found by residents trying the cockpit: no frequency on agreements, a one-off payment from
    // months ago still listed, jargon ("Uitleg versie", "grootboek"), a chart without its data.
    let t = setup(true);
    let a = t.login("consulent-a").await;
    let ended = serde_json::to_vec(&json!({
        "id": "schoolreis", "label": "Schoolreis", "kind": "fixed_cost", "amount_cents": 3000,
        "schedule": {"once": {"date": "2026-02-14"}}, "valid_through": "2026-02-28",
        "counterparty_iban": "NL44RABO0123456789"
    }))
    .unwrap();
    let r = t
        .call(
            Method::PUT,
            "/api/v1/households/1/agreements/schoolreis",
            Some(&a),
            Some(("application/json", ended)),
            Some("ended"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    // A one-off payment whose day has passed, without an end date: history too.
    let once = serde_json::to_vec(&json!({
        "id": "sportclub", "label": "Sportclub", "kind": "fixed_cost", "amount_cents": 2500,
        "schedule": {"once": {"date": "2026-02-02"}}, "counterparty_iban": "NL44RABO0123456789"
    }))
    .unwrap();
    let r = t
        .call(
            Method::PUT,
            "/api/v1/households/1/agreements/sportclub",
            Some(&a),
            Some(("application/json", once)),
            Some("once"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let resident = t.login("inwoner-1").await;
    let r = t
        .send(
            Request::get("/huishoudens/1")
                .header(header::COOKIE, format!("knop_session={resident}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let page = r.text();
    assert!(page.contains("elke maand op de 1e"), "how often");
    assert!(
        !page.contains("Schoolreis"),
        "an agreement that ended is not listed"
    );
    assert!(
        !page.contains("Uitleg versie"),
        "no jargon for the resident"
    );
    assert!(!page.contains("grootboek"), "no jargon for the resident");
    assert!(
        page.contains("Laagste verwachte saldo"),
        "the chart in words"
    );
}

#[tokio::test]
async fn a_counsellor_finds_a_household_by_name_in_a_caseload_of_eighty() {
    let t = setup_caseload(79);
    let vault = t.app.vault().expect("the tests keep a vault");
    for h in 1..=81u32 {
        let name = match h {
            7 => "Ömer Çelik".to_owned(),
            _ => format!("Bewoner {h:02}"),
        };
        let data = knop_app::vault::PersonalData {
            name,
            bsn: None,
            birthdate: None,
            address: None,
            phone: None,
            email: None,
            iban: None,
        };
        vault.put(HouseholdId::from(h), &data).unwrap();
    }
    let a = t.login("consulent-a").await;
    let page = |uri: String| {
        let (a, t) = (a.clone(), &t);
        async move {
            let r = t.page(&a, &uri).await;
            assert_eq!(r.status, StatusCode::OK, "{uri}");
            r.text()
        }
    };
    // 80 households of consulent-a (not household 2), 25 a page, with names.
    let first = page("/huishoudens".into()).await;
    assert!(first.contains("80 huishoudens"), "{first}");
    assert!(first.contains("pagina 1 van 4"), "{first}");
    assert_eq!(first.matches("href=\"/huishoudens/").count(), 25);
    assert!(first.contains("Bewoner 01"));
    assert!(
        !first.contains("Bewoner 02"),
        "household 2 is consulent-b's"
    );
    assert!(first.contains("rel=\"next\""));
    let last = page("/huishoudens?sorteer=nummer&pagina=99".into()).await;
    assert!(
        last.contains("pagina 4 van 4"),
        "past the end is the last page"
    );
    assert_eq!(last.matches("href=\"/huishoudens/").count(), 5);
    assert!(last.contains("rel=\"prev\"") && !last.contains("rel=\"next\""));
    // Found by part of the name, without accents or case; by number; or not at all.
    let found = page("/huishoudens?zoek=omer+celik".into()).await;
    assert!(found.contains("1 van de 80 huishoudens"), "{found}");
    assert!(found.contains("href=\"/huishoudens/7\""));
    let found = page("/huishoudens?zoek=42".into()).await;
    assert!(found.contains("Bewoner 42") && found.contains("1 van de 80"));
    let none = page("/huishoudens?zoek=niemand".into()).await;
    assert!(none.contains("Geen huishoudens gevonden"), "{none}");
    // Anything unknown in the query is the default, not an error.
    let odd = page("/huishoudens?toon=x&sorteer=y&pagina=-3".into()).await;
    assert!(odd.contains("pagina 1 van 4"));
    // Reading the names is logged, once a day per counsellor and household.
    let log = vault.accesses(HouseholdId(7)).unwrap();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0].fields, ["name"]);
    assert_eq!(log[0].who, "consulent-a");
}

#[tokio::test]
async fn a_day_file_pays_the_whole_caseload_in_one_entry_one_approval_and_one_file() {
    let t = setup_caseload(2);
    let a = t.login("consulent-a").await;
    let b = t.login("consulent-b").await;
    let sup = t.login("controleur").await;
    let json = |v: Value| Some(("application/json", serde_json::to_vec(&v).unwrap()));
    let size = t.app.node().size();
    let r = t
        .call(
            Method::POST,
            "/api/v1/day-files",
            Some(&a),
            json(json!({"date": "2026-04-01"})),
            Some("d-1"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let made = r.json();
    let id = made["day_file"]["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("KNOP-DAG-20260401-"), "{id}");
    // Households 1, 3 and 4 are consulent-a's; each pays its rent of 900 (advanced).
    assert_eq!(made["day_file"]["runs"].as_array().unwrap().len(), 3);
    assert_eq!(made["day_file"]["payments"], 3);
    assert_eq!(made["day_file"]["total_cents"], 270_000);
    assert_eq!(made["left_out"], json!([]));
    assert_eq!(
        t.app.node().size(),
        size + 1,
        "one entry for the whole caseload"
    );
    // Made again under another key: the same day file, nothing new.
    let again = t
        .call(
            Method::POST,
            "/api/v1/day-files",
            Some(&a),
            json(json!({"date": "2026-04-01"})),
            Some("d-2"),
        )
        .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text());
    assert_eq!(again.json()["day_file"]["id"], id.as_str());
    assert_eq!(t.app.node().size(), size + 1);
    // Another counsellor's household can't be in it, and another counsellor doesn't see it.
    let r = t
        .call(
            Method::POST,
            "/api/v1/day-files",
            Some(&a),
            json(json!({"date": "2026-04-02", "households": ["2"]})),
            Some("d-3"),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    assert!(r.text().contains("households[0]"), "{}", r.text());
    assert_eq!(t.get("/api/v1/day-files", Some(&b)).await.json(), json!([]));
    let one = format!("/api/v1/day-files/{id}");
    assert_eq!(t.get(&one, Some(&b)).await.status, StatusCode::NOT_FOUND);
    // No payment file before a second person approved it; the maker can't approve it.
    let pain = format!("{one}/pain001");
    assert_eq!(t.get(&pain, Some(&sup)).await.status, StatusCode::CONFLICT);
    let approvals = format!("{one}/approvals");
    let r = t
        .call(Method::POST, &approvals, Some(&a), None, Some("ap-1"))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let r = t
        .call(Method::POST, &approvals, Some(&sup), None, Some("ap-2"))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["approved"], true);
    assert_eq!(
        t.app.node().size(),
        size + 2,
        "one entry approves every run"
    );
    let r = t
        .call(Method::POST, &approvals, Some(&sup), None, Some("ap-3"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    // One pain.001 for all of it, valid against the schema; a run of it is not paid alone.
    let r = t.get(&pain, Some(&sup)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let xml = r.text();
    assert!(xml.contains(&format!("<MsgId>{id}</MsgId>")), "{xml}");
    assert_eq!(xml.matches("<CdtTrfTxInf>").count(), 3);
    assert_valid_pain001(t._dir.path(), "day", &xml);
    let run = made["day_file"]["runs"][0]["content"]["run_id"]
        .as_str()
        .unwrap();
    let r = t
        .get(&format!("/api/v1/payment-runs/{run}/pain001"), Some(&sup))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    assert!(r.text().contains("part of day file"), "{}", r.text());
    // The bank refuses the whole file: every reservation in it is voided.
    let rejected = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"><CstmrPmtStsRpt>
<GrpHdr><MsgId>STS-D</MsgId><CreDtTm>2026-03-31T10:00:00</CreDtTm></GrpHdr>
<OrgnlGrpInfAndSts><OrgnlMsgId>{id}</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.03</OrgnlMsgNmId><GrpSts>RJCT</GrpSts>
<StsRsnInf><Rsn><Cd>AM04</Cd></Rsn></StsRsnInf></OrgnlGrpInfAndSts></CstmrPmtStsRpt></Document>"#
    );
    let r = t
        .call(
            Method::POST,
            "/api/v1/payment-status-reports",
            Some(&a),
            Some(("application/xml", rejected.into_bytes())),
            Some("sts-d"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let v = r.json();
    assert_eq!(v["rejected"].as_array().unwrap().len(), 3, "{v}");
    assert!(
        v["rejected"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["voided"] == true),
        "{v}"
    );
    for h in [1, 3, 4] {
        let account = knop_huishoudboekje::booking::household_account(HouseholdId(h)).id;
        let pending = t
            .app
            .node()
            .state()
            .book()
            .account(account)
            .unwrap()
            .debits_pending
            .0;
        assert_eq!(pending, 0, "household {h}: its money is free again");
    }
}

#[tokio::test]
async fn the_history_shows_every_booked_line_by_its_agreement_and_only_to_whom_it_belongs() {
    let t = setup(true);
    let a = t.login("consulent-a").await;
    let r = t
        .call(
            Method::POST,
            "/api/v1/bank-statements",
            Some(&a),
            Some(("application/xml", STATEMENT.to_vec())),
            Some("h-1"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    // The counsellor books every waiting line to household 1 by hand.
    let lines = t.get("/api/v1/suspense-lines", Some(&a)).await.json();
    for (i, l) in lines.as_array().unwrap().iter().enumerate() {
        let uri = format!(
            "/api/v1/suspense-lines/{}/assignment",
            l["id"].as_str().unwrap()
        );
        let body = Some(("application/json", br#"{"household": "1"}"#.to_vec()));
        let key: &'static str = Box::leak(format!("as-{i}").into_boxed_str());
        let r = t.call(Method::POST, &uri, Some(&a), body, Some(key)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    }
    let page = |who: String, uri: &'static str| {
        let t = &t;
        async move { t.page(&who, uri).await }
    };
    let resident = t.login("inwoner-1").await;
    let r = page(resident.clone(), "/huishoudens/1/geschiedenis").await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    assert!(html.contains("Alles wat er met uw geld gebeurde"), "{html}");
    // Every line booked to household 1 is there, named by its agreement where one explains it.
    let booked = {
        let node = t.app.node();
        knop_app::views::bookings(
            node.state().book(),
            &t.app.statements(),
            HouseholdId(1),
            "2000-01-01".parse().unwrap(),
            t.app.today(),
        )
    };
    assert!(
        !booked.is_empty(),
        "the statement books lines to household 1"
    );
    let count = match booked.len() {
        1 => "1 boeking".to_owned(),
        n => format!("{n} boekingen"),
    };
    assert!(html.contains(&format!(">{count}<")), "{count}: {html}");
    let none = page(
        resident.clone(),
        "/huishoudens/1/geschiedenis?zoek=niemand-weet-dit",
    )
    .await;
    assert!(none.text().contains("Niets gevonden"), "{}", none.text());
    // Not another household's, and not another counsellor's.
    assert_eq!(
        page(resident, "/huishoudens/2/geschiedenis").await.status,
        StatusCode::NOT_FOUND
    );
    let b = t.login("consulent-b").await;
    assert_eq!(
        page(b, "/huishoudens/1/geschiedenis").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_counsellor_keeps_notes_and_tasks_that_only_the_vault_holds() {
    let t = setup(true);
    let a = t.login("consulent-a").await;
    let get = |who: String, uri: &'static str| {
        let t = &t;
        async move { t.page(&who, uri).await }
    };
    let post = |who: String, uri: String, body: String| {
        let t = &t;
        async move { t.form(&who, &uri, body).await }
    };
    let page = get(a.clone(), "/huishoudens/1/dossier").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("Nog niets in het dossier"));
    let csrf = csrf_of(&page.text());
    let size = t.app.node().size();
    for body in [
        format!("csrf={csrf}&kind=notitie&text=Schuld+bij+Vitens+besproken&due="),
        format!("csrf={csrf}&kind=taak&text=Bel+Vitens+over+een+regeling&due=2026-03-20"),
    ] {
        let r = post(a.clone(), "/huishoudens/1/dossier".into(), body).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    }
    // Refused: without the form's token, an empty text, a due date on a note.
    let r = post(
        a.clone(),
        "/huishoudens/1/dossier".into(),
        "csrf=x&kind=notitie&text=y".into(),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = post(
        a.clone(),
        "/huishoudens/1/dossier".into(),
        format!("csrf={csrf}&kind=notitie&text=+&due="),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = post(
        a.clone(),
        "/huishoudens/1/dossier".into(),
        format!("csrf={csrf}&kind=notitie&text=x&due=2026-03-20"),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let page = get(a.clone(), "/huishoudens/1/dossier").await.text();
    assert!(
        page.contains("Bel Vitens over een regeling")
            && page.contains("Schuld bij Vitens besproken")
    );
    assert!(
        page.find("Bel Vitens").unwrap() < page.find("Schuld bij").unwrap(),
        "the open task first"
    );
    let r = post(
        a.clone(),
        "/huishoudens/1/dossier/2/klaar".into(),
        format!("csrf={csrf}"),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(get(a.clone(), "/huishoudens/1/dossier")
        .await
        .text()
        .contains("gedaan ✓"));
    // Nothing of it on the ledger; the supervisor reads without a form; others see nothing.
    assert_eq!(t.app.node().size(), size, "notes never go on the ledger");
    let sup = t.login("controleur").await;
    let r = get(sup, "/huishoudens/1/dossier").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains("Schuld bij Vitens") && !r.text().contains("Opslaan"));
    for who in ["consulent-b", "inwoner-1", "beheerder"] {
        let tok = t.login(who).await;
        assert_eq!(
            get(tok, "/huishoudens/1/dossier").await.status,
            StatusCode::NOT_FOUND,
            "{who}"
        );
    }
    let b = t.login("consulent-b").await;
    let r = post(
        b,
        "/huishoudens/1/dossier".into(),
        format!("csrf={csrf}&kind=notitie&text=x"),
    )
    .await;
    assert_ne!(
        r.status,
        StatusCode::SEE_OTHER,
        "another counsellor writes nothing"
    );
    // The resident sees that the notes were read, in Dutch.
    let resident = t.login("inwoner-1").await;
    let log = get(resident, "/huishoudens/1/inzage").await.text();
    assert!(log.contains("notities en taken van de consulent"), "{log}");
    assert!(
        log.contains("(consulent)") && log.contains("(tweede beoordelaar)"),
        "{log}"
    );
}

#[tokio::test]
async fn a_resident_takes_the_month_home_on_paper() {
    let t = setup(true);
    let resident = t.login("inwoner-1").await;
    let get = |uri: &'static str| t.page(&resident, uri);
    let r = get("/huishoudens/1/maandoverzicht.pdf").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers[header::CONTENT_TYPE], "application/pdf");
    assert!(r.headers[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .contains("maandoverzicht-2026-03.pdf"));
    let doc = lopdf::Document::load_mem(&r.body).expect("a PDF that reads back");
    let text = doc.extract_text(&[1]).unwrap();
    for want in [
        "Maandoverzicht maart 2026",
        "Op uw rekening bij de stichting",
        "uitkering (verwacht)",
        "€ 1.200,00",
    ] {
        assert!(text.contains(want), "{want}: {text}");
    }
    assert_eq!(
        get("/huishoudens/2/maandoverzicht.pdf").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn help_is_open_to_everyone_in_plain_words() {
    let t = setup(true);
    let r = t
        .send(Request::get("/hulp").body(Body::empty()).unwrap())
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    for q in [
        "Wat doet de stichting met mijn geld?",
        "Kan ik stoppen?",
        "Wat gebeurt er met mijn gegevens?",
    ] {
        assert!(html.contains(q), "{q}");
    }
    assert!(html.contains("href=\"/hulp\""), "every page links to help");
}

#[tokio::test]
async fn answers_are_compressed_where_asked_but_pages_with_a_form_token_are_not() {
    let t = setup(true);
    let tok = t.login("consulent-a").await;
    let get = |uri: &'static str, session: bool| {
        let mut b = Request::get(uri).header(header::ACCEPT_ENCODING, "br, gzip");
        if session {
            b = b.header(header::COOKIE, format!("knop_session={tok}"));
        }
        t.send(b.body(Body::empty()).unwrap())
    };
    for uri in ["/api/v1/openapi.json", "/static/knop.css"] {
        let r = get(uri, false).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}");
        assert_eq!(r.headers[header::CONTENT_ENCODING], "br", "{uri}");
    }
    let r = get("/huishoudens?zoek=abc", true).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.headers.get(header::CONTENT_ENCODING).is_none(),
        "BREACH: a page with a CSRF token and a reflected search stays uncompressed"
    );
    // Not asked: not compressed.
    let r = t
        .send(
            Request::get("/api/v1/openapi.json")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert!(r.headers.get(header::CONTENT_ENCODING).is_none());
    assert!(serde_json::from_slice::<Value>(&r.body).is_ok());
}

#[tokio::test]
async fn interest_and_bank_costs_are_booked_to_the_foundation_itself() {
    let t = setup(true);
    let a = t.login("consulent-a").await;
    let admin = t.login("beheerder").await;
    let r = t.upload(&a, STATEMENT.to_vec(), "up").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    // The interest line is offered as the foundation's own: no household has it.
    let lines = t.get("/api/v1/suspense-lines", Some(&admin)).await.json();
    let interest = lines
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["remittance"] == "Rente")
        .expect("the interest line")
        .clone();
    assert_eq!(interest["foundation"], "interest", "{interest}");
    let id = interest["id"].as_str().unwrap().to_owned();
    let own = format!("/api/v1/suspense-lines/{id}/foundation");
    let body = |purpose: &str| {
        Some((
            "application/json",
            format!(r#"{{"purpose":"{purpose}"}}"#).into_bytes(),
        ))
    };
    // A counsellor does not book the foundation's own money; an unknown purpose is refused.
    let size = t.app.node().size();
    let r = t
        .call(Method::POST, &own, Some(&a), body("interest"), Some("f1"))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let r = t
        .call(Method::POST, &own, Some(&admin), body("rent"), Some("f2"))
        .await;
    assert!(r.status.is_client_error(), "{}", r.text());
    r.is_problem();
    assert_eq!(t.app.node().size(), size, "nothing written");
    let r = t
        .call(
            Method::POST,
            &own,
            Some(&admin),
            body("interest"),
            Some("f3"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let v = r.json();
    assert_eq!(v["purpose"], "interest");
    assert_eq!(v["amount_cents"], 500);
    assert_eq!(v["booked"], true);
    assert_eq!(v["account_balance_cents"], 500);
    assert_eq!(t.app.node().size(), size + 1, "one entry");
    // Out of suspense for good: not again, and not to a household.
    let r = t
        .call(
            Method::POST,
            &own,
            Some(&admin),
            body("interest"),
            Some("f4"),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    let r = t
        .call(
            Method::POST,
            &format!("/api/v1/suspense-lines/{id}/assignment"),
            Some(&a),
            Some(("application/json", br#"{"household":"1"}"#.to_vec())),
            Some("f5"),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    let left = t.get("/api/v1/suspense-lines", Some(&a)).await.json();
    assert!(
        !left.as_array().unwrap().iter().any(|l| l["id"] == id),
        "{left}"
    );
    // The replayed log gives the same book.
    let mut node = t.app.node();
    let report = knop_app::audit::check(&mut node).unwrap();
    assert!(report.matches_service, "{report:?}");
}

#[tokio::test]
async fn the_statements_page_offers_the_foundation_and_names_households() {
    let t = setup(true);
    let a = t.login("consulent-a").await;
    let admin = t.login("beheerder").await;
    t.upload(&a, STATEMENT.to_vec(), "up").await;
    let page = t.page(&a, "/afschriften").await.text();
    assert!(
        page.contains("Dit lijkt:</strong> rente van de stichting"),
        "{page}"
    );
    assert!(page.contains("De beheerder boekt die"), "{page}");
    assert!(!page.contains("Boeken op de stichting"), "{page}");
    // The administrator books it from the page.
    let r = t.page(&admin, "/afschriften").await;
    let text = r.text();
    let csrf = csrf_of(&text);
    // The interest line's own form (each line is a section with its forms).
    let section = text
        .split("<section")
        .find(|s| s.contains("Rente"))
        .expect("the interest line");
    let action = section
        .split("action=\"/afschriften/regels/")
        .find_map(|s| {
            let id = s.split('"').next()?;
            id.ends_with("/stichting").then(|| id.to_owned())
        })
        .expect("a form to book to the foundation");
    let url = format!("/afschriften/regels/{action}");
    let r = t
        .form(&admin, &url, format!("csrf={csrf}&purpose=nothing"))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = t
        .form(&admin, &url, format!("csrf={csrf}&purpose=interest"))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let page = t.page(&admin, "/afschriften").await.text();
    assert!(!page.contains("Rente"), "the line left suspense: {page}");
}

#[tokio::test]
async fn the_administrator_checks_the_ledger_erases_and_takes_reports_away() {
    let t = setup(true);
    let a = t.login("consulent-a").await;
    let admin = t.login("beheerder").await;
    // Only the administrator has the page.
    let r = t.page(&a, "/beheer").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = t.page(&admin, "/beheer").await;
    assert_eq!(r.status, StatusCode::OK);
    let text = r.text();
    for want in [
        "Organisaties op het grootboek",
        "beheerder van het grootboek",
        "Wie kan inloggen",
        "consulent-a",
        "Persoonsgegevens wissen",
        "/rapporten/huishoudens.csv",
    ] {
        assert!(text.contains(want), "{want}: {text}");
    }
    assert!(!text.contains(AUDITOR_KEY), "never a key itself");
    let csrf = csrf_of(&text);
    // The ledger check replays the log and says it equals what the service holds.
    let r = t
        .form(&admin, "/beheer/controle", format!("csrf={csrf}"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains("Het grootboek klopt."), "{}", r.text());
    let r = t
        .form(&admin, "/beheer/controle", "csrf=wrong".into())
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Erasure asks for the confirmation, then erases.
    let person = json!({"name": "Sanne de Vries", "bsn": "111222333"});
    let r = t
        .call(
            Method::PUT,
            "/api/v1/households/1/personal-data",
            Some(&a),
            Some(("application/json", serde_json::to_vec(&person).unwrap())),
            Some("pd"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = t
        .form(&admin, "/beheer/wissen", format!("csrf={csrf}&household=1"))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("Niets gewist"), "{}", r.text());
    let r = t
        .form(
            &admin,
            "/beheer/wissen",
            format!("csrf={csrf}&household=99&confirm=ja"),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = t
        .form(
            &admin,
            "/beheer/wissen",
            format!("csrf={csrf}&household=1&confirm=ja"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.text().contains("zijn gewist"), "{}", r.text());
    let r = t
        .get("/api/v1/households/1/personal-data?purpose=test", Some(&a))
        .await;
    assert_eq!(r.status, StatusCode::GONE, "{}", r.text());
    // The report: the caller's caseload, no personal data.
    let r = t.page(&a, "/rapporten/huishoudens.csv").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    let csv = r.text();
    let rows: Vec<&str> = csv.lines().collect();
    assert!(rows[0].starts_with("huishouden;consulent;actief"), "{csv}");
    assert_eq!(rows.len(), 2, "consulent-a has household 1 only: {csv}");
    assert!(rows[1].starts_with("1;c-a;ja;"), "{csv}");
    assert!(!csv.contains("Sanne"), "{csv}");
    let all = t.page(&admin, "/rapporten/huishoudens.csv").await.text();
    assert_eq!(all.lines().count(), 3, "{all}");
    let resident = t.login("inwoner-1").await;
    let r = t.page(&resident, "/rapporten/huishoudens.csv").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_payment_carries_the_creditors_name_not_the_label() {
    let t = setup(true);
    let a = t.login("consulent-a").await;
    let body = |name: &str| {
        serde_json::to_vec(&json!({
            "id": "huur", "label": "Huur", "creditor_name": name, "kind": "fixed_cost",
            "amount_cents": 80_000, "schedule": {"monthly": {"day": 1}},
            "counterparty_iban": "NL44RABO0123456789"
        }))
        .unwrap()
    };
    let put = |b: Vec<u8>, k: &'static str| {
        t.call(
            Method::PUT,
            "/api/v1/households/1/agreements/huur",
            Some(&a),
            Some(("application/json", b)),
            Some(k),
        )
    };
    // The name goes on the shared ledger: the same checks as the label.
    let r = put(body(&"M".repeat(71)), "n0").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert!(r.text().contains("creditor_name"), "{}", r.text());
    let r = put(body("Woonstichting Mitros"), "n1").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = t
        .get("/api/v1/households/1/agreements", Some(&a))
        .await
        .json();
    let huur = v
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == "huur")
        .unwrap()
        .clone();
    assert_eq!(huur["creditor_name"], "Woonstichting Mitros", "{v}");
    // The cockpit's editor shows it and fills it in to change it.
    let page = t
        .page(&a, "/huishoudens/1/afspraken?wijzig=huur")
        .await
        .text();
    assert!(page.contains("aan Woonstichting Mitros"), "{page}");
    assert!(
        page.contains("name=\"creditor\" maxlength=\"70\" aria-describedby=\"a-creditor-hint\" value=\"Woonstichting Mitros\""),
        "{page}"
    );
}

#[tokio::test]
async fn debts_are_recorded_by_the_counsellor_and_their_own_creditor_only() {
    let t = setup(true);
    let a = t.login("consulent-a").await;
    let b = t.login("consulent-b").await;
    let resident = t.login("inwoner-1").await;
    let post = |tok: String, uri: String, body: serde_json::Value, key: &'static str| {
        let t = &t;
        async move {
            t.call(
                Method::POST,
                &uri,
                Some(&tok),
                Some(("application/json", serde_json::to_vec(&body).unwrap())),
                Some(key),
            )
            .await
        }
    };
    let claim = |h: &str, org: Option<&str>, name: Option<&str>, cents: i64| {
        json!({"id": "huur-achterstand", "household": h, "creditor_organisation": org,
               "creditor_name": name, "reference": "contract 4471", "principal_cents": cents,
               "date": "2026-01-15"})
    };
    // Only the household's counsellor records a claim; nothing personal, no negative amounts.
    let r = post(
        b.clone(),
        "/api/v1/claims".into(),
        claim("1", Some("woningcorporatie"), None, 120_000),
        "c0",
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    let r = post(
        resident.clone(),
        "/api/v1/claims".into(),
        claim("1", Some("woningcorporatie"), None, 120_000),
        "c1",
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let r = post(
        a.clone(),
        "/api/v1/claims".into(),
        claim("1", Some("woningcorporatie"), None, -1),
        "c2",
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let r = post(
        a.clone(),
        "/api/v1/claims".into(),
        claim("1", Some("svb"), None, 100),
        "c3",
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert!(
        r.text()
            .contains("not registered on the ledger as a creditor"),
        "{}",
        r.text()
    );
    let r = post(
        a.clone(),
        "/api/v1/claims".into(),
        claim("1", None, None, 100),
        "c4",
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let mut bsn = claim("1", None, Some("DUO"), 100);
    bsn["id"] = "duo".into();
    bsn["reference"] = "BSN 111222333".into();
    let size = t.app.node().size();
    let r = post(a.clone(), "/api/v1/claims".into(), bsn, "c5").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert!(!r.text().contains("111222333"), "never echoed");
    assert_eq!(t.app.node().size(), size, "nothing written");
    let r = post(
        a.clone(),
        "/api/v1/claims".into(),
        claim("1", Some("woningcorporatie"), None, 120_000),
        "c6",
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["left_cents"], 120_000);
    assert_eq!(r.json()["status"], "open");
    let mut duo = claim("1", None, Some("DUO"), 300_000);
    duo["id"] = "duo-studieschuld".into();
    let r = post(a.clone(), "/api/v1/claims".into(), duo, "c7").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    // The creditor adds costs to its own claim with its API key; not to DUO's, which it cannot see.
    let ev = |id: &str, kind: &str, cents: i64| json!({"id": id, "kind": kind, "cents": cents, "date": "2026-02-01"});
    let r = post(
        CREDITOR_KEY.into(),
        "/api/v1/claims/huur-achterstand/events".into(),
        ev("k1", "costs", 4_000),
        "e1",
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["left_cents"], 124_000);
    let r = post(
        CREDITOR_KEY.into(),
        "/api/v1/claims/duo-studieschuld/events".into(),
        ev("k1", "costs", 1),
        "e2",
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    let r = post(
        CREDITOR_KEY.into(),
        "/api/v1/claims/huur-achterstand/events".into(),
        ev("k2", "rent", 1),
        "e3",
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    // The same event again changes nothing; other content under its id is refused.
    let r = post(
        CREDITOR_KEY.into(),
        "/api/v1/claims/huur-achterstand/events".into(),
        ev("k1", "costs", 4_000),
        "e4",
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["left_cents"], 124_000);
    let r = post(
        CREDITOR_KEY.into(),
        "/api/v1/claims/huur-achterstand/events".into(),
        ev("k1", "costs", 5_000),
        "e5",
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    // A payment may not take off more than is left.
    let r = post(
        a.clone(),
        "/api/v1/claims/huur-achterstand/events".into(),
        ev("p1", "payment", 124_001),
        "e6",
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let r = post(
        a.clone(),
        "/api/v1/claims/huur-achterstand/events".into(),
        ev("p1", "payment", 24_000),
        "e7",
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    // The resident and the counsellor read the same overview; consulent-b and creditors do not.
    let d = t.get("/api/v1/households/1/claims", Some(&resident)).await;
    assert_eq!(d.status, StatusCode::OK, "{}", d.text());
    let d = d.json();
    assert_eq!(d["left_cents"], 100_000 + 300_000);
    assert_eq!(d["creditors_open"], 2);
    assert_eq!(d["claims"][0]["creditor"], "DUO", "most left first: {d}");
    assert_eq!(d["claims"][1]["costs_cents"], 4_000);
    assert_eq!(d["claims"][1]["paid_cents"], 24_000);
    assert_eq!(d["claims"][1]["last_change"]["kind"], "payment");
    assert_eq!(
        t.get("/api/v1/households/1/claims", Some(&b)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        t.get("/api/v1/households/1/claims", Some(CREDITOR_KEY))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // The cockpit: the resident sees the debts on the overview and their own page.
    let overview = t.page(&resident, "/huishoudens/1").await.text();
    assert!(overview.contains("Uw schulden"), "{overview}");
    assert!(overview.contains("€ 4.000,00"), "{overview}");
    let page = t.page(&resident, "/huishoudens/1/schulden").await.text();
    assert!(page.contains("Woningcorporatie: € 1.000,00 over"), "{page}");
    assert!(page.contains("betaald € 240,00"), "{page}");
    assert!(
        !page.contains("Nieuwe schuld vastleggen"),
        "residents read, not record"
    );
    // The counsellor records from the page; a form sent twice records once.
    let page = t.page(&a, "/huishoudens/1/schulden").await.text();
    let csrf = csrf_of(&page);
    let event = page
        .split("name=\"event\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    for _ in 0..2 {
        let r = t
            .form(
                &a,
                "/huishoudens/1/schulden/huur-achterstand",
                format!(
                    "csrf={csrf}&event={event}&kind=arrangement&amount=50%2C00&date=2026-03-01"
                ),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    }
    // The same form twice is one event; another form with the same payment is another.
    let paid =
        |key: &str| format!("csrf={csrf}&event={key}&kind=payment&amount=10%2C00&date=2026-03-02");
    for key in ["e-1", "e-1", "e-2"] {
        let r = t
            .form(&a, "/huishoudens/1/schulden/huur-achterstand", paid(key))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    }
    let d = t.get("/api/v1/households/1/claims", Some(&a)).await.json();
    let huur = d["claims"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "huur-achterstand")
        .unwrap()
        .clone();
    assert_eq!(huur["paid_cents"], 24_000 + 2_000, "{huur}");
    let page = t.page(&a, "/huishoudens/1/schulden").await.text();
    assert!(
        page.contains("in een betalingsregeling, € 50,00 per maand"),
        "{page}"
    );
    let r = t
        .form(
            &a,
            "/huishoudens/1/schulden",
            format!("csrf={csrf}&claim=c-1&creditor=CJIB&reference=1234-5678&amount=abc&date=2026-03-01"),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let r = t
        .form(
            &a,
            "/huishoudens/1/schulden",
            format!("csrf={csrf}&claim=c-1&creditor=CJIB&reference=1234-5678&amount=90%2C00&date=2026-03-01"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(
        r.text().contains("Vastgelegd: CJIB, € 90,00 over"),
        "{}",
        r.text()
    );
    let r = t
        .form(
            &b,
            "/huishoudens/1/schulden/huur-achterstand",
            format!(
                "csrf={}&event=e-9&kind=payment&amount=1&date=2026-03-01",
                csrf_of(&t.page(&b, "/huishoudens").await.text())
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_creditor_learns_green_or_red_and_nothing_else() {
    let t = setup(true);
    let a = t.login("consulent-a").await;
    let resident = t.login("inwoner-1").await;
    let person = json!({"name": "Sanne de Vries", "bsn": "111222333"});
    let r = t
        .call(
            Method::PUT,
            "/api/v1/households/1/personal-data",
            Some(&a),
            Some(("application/json", serde_json::to_vec(&person).unwrap())),
            Some("pd"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let ask = |key: &'static str, bsn: &str| {
        let body = serde_json::to_vec(&json!({"bsn": bsn, "purpose": "nieuwe vordering"})).unwrap();
        let t = &t;
        async move {
            t.call(
                Method::POST,
                "/api/v1/debt-assistance-lookups",
                Some(key),
                Some(("application/json", body)),
                None,
            )
            .await
        }
    };
    let log_before = std::fs::read(t._dir.path().join("vault/access.jsonl")).unwrap_or_default();
    // Known: green, with the contact point and nothing else.
    let r = ask(CREDITOR_KEY, "111222333").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = r.json();
    assert_eq!(v["status"], "green", "{v}");
    assert_eq!(v["contact_point"]["organisation"], "Stichting Test", "{v}");
    assert_eq!(v.as_object().unwrap().len(), 2, "nothing more: {v}");
    assert!(
        !r.text().contains("Sanne") && !r.text().contains("\"1\""),
        "{v}"
    );
    // Not known: red, and no trace of that BSN anywhere.
    let log_green = std::fs::read(t._dir.path().join("vault/access.jsonl")).unwrap();
    assert!(
        log_green.len() > log_before.len(),
        "the green lookup is logged"
    );
    let r = ask(CREDITOR_KEY, "123456782").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json(), json!({"status": "red"}));
    assert_eq!(
        std::fs::read(t._dir.path().join("vault/access.jsonl")).unwrap(),
        log_green,
        "a red lookup writes nothing"
    );
    for e in walk(t._dir.path()) {
        let bytes = std::fs::read(&e).unwrap();
        for bsn in [&b"123456782"[..], b"111222333"] {
            assert!(
                !bytes.windows(9).any(|w| w == bsn),
                "{} holds a BSN in the clear",
                e.display()
            );
        }
    }
    // Refused before any lookup: no elfproef, not a creditor, no purpose.
    let r = ask(CREDITOR_KEY, "123456789").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert!(r.text().contains("elfproef"), "{}", r.text());
    let r = ask(PAYER_KEY, "111222333").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let r = t
        .call(
            Method::POST,
            "/api/v1/debt-assistance-lookups",
            Some(CREDITOR_KEY),
            Some((
                "application/json",
                br#"{"bsn":"111222333","purpose":""}"#.to_vec(),
            )),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    // The resident sees who asked, and why.
    let log = t
        .get("/api/v1/households/1/access-log", Some(&resident))
        .await
        .json();
    let asked = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["who"] == "woningcorporatie")
        .count();
    assert_eq!(asked, 1, "{log}");
    assert!(
        log.to_string()
            .contains("schuldhulp-check: nieuwe vordering"),
        "{log}"
    );
    // Erased, the person is no longer known.
    let admin = t.login("beheerder").await;
    let r = t
        .call(
            Method::DELETE,
            "/api/v1/households/1/personal-data",
            Some(&admin),
            None,
            Some("erase"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        ask(CREDITOR_KEY, "111222333").await.json(),
        json!({"status": "red"})
    );
}

/// The Rode Knop, end to end: the municipality issues, the resident shares with CJIB only name
/// and date of birth, CJIB verifies offline and records a hold, the counsellor sees it and an
/// alert when another creditor adds costs during its hold; the lookup is green and in the
/// access log; revocation turns the status bit and verification fails with "ingetrokken".
#[tokio::test]
async fn the_rode_knop_from_declaration_to_hold_to_revocation() {
    let t = setup(true);
    let a = t.login("consulent-a").await;
    let resident = t.login("inwoner-1").await;
    let gemeente = t.login("gemeente").await;
    let json_body =
        |v: serde_json::Value| Some(("application/json", serde_json::to_vec(&v).unwrap()));
    let person = json!({"name": "Sanne de Vries", "bsn": "111222333", "birthdate": "1984-02-29",
                        "address": "Voorbeeldstraat 1, Utrecht"});
    let r = t
        .call(
            Method::PUT,
            "/api/v1/households/1/personal-data",
            Some(&a),
            json_body(person),
            Some("pd"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    // Only a municipality issues; a counsellor or a creditor may not.
    for who in [&a, &CJIB_KEY.to_owned()] {
        let r = t
            .call(
                Method::POST,
                "/api/v1/declarations",
                Some(who),
                json_body(json!({"household": "1"})),
                Some("d0"),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    }
    let size = t.app.node().size();
    let r = t
        .call(
            Method::POST,
            "/api/v1/declarations",
            Some(&gemeente),
            json_body(json!({"household": "1"})),
            Some("d1"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let d = r.json();
    assert_eq!(t.app.node().size(), size + 1, "one ledger entry");
    assert_eq!(
        (d["from"].as_str(), d["until"].as_str()),
        (Some("2026-03-10"), Some("2026-11-09")),
        "{d}"
    );
    assert_eq!(d["status"], "valid");
    let id = d["id"].as_str().unwrap().to_owned();
    // No personal data on the ledger: the entry holds no name, BSN or birth date.
    let entry = entry_at(&t, size);
    for pd in ["Sanne", "111222333", "1984-02-29", "Voorbeeldstraat"] {
        assert!(
            !String::from_utf8_lossy(&entry.body).contains(pd),
            "{pd} on the ledger"
        );
    }
    // A second one while the first holds: refused, unless extended.
    let r = t
        .call(
            Method::POST,
            "/api/v1/declarations",
            Some(&gemeente),
            json_body(json!({"household": "1"})),
            Some("d2"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    assert!(r.text().contains("extend"), "{}", r.text());
    // The resident shares it with CJIB: name and date of birth only.
    let share = json!({"declaration": id, "creditor": "cjib", "disclose": ["name", "birthdate"]});
    let r = t
        .call(
            Method::POST,
            "/api/v1/households/1/declaration-shares",
            Some(&a),
            json_body(share.clone()),
            Some("s0"),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "only the resident shares: {}",
        r.text()
    );
    let bad = json!({"declaration": id, "creditor": "cjib", "disclose": ["iban"]});
    let r = t
        .call(
            Method::POST,
            "/api/v1/households/1/declaration-shares",
            Some(&resident),
            json_body(bad),
            Some("s1"),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let r = t
        .call(
            Method::POST,
            "/api/v1/households/1/declaration-shares",
            Some(&resident),
            json_body(share),
            Some("s2"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let made = r.json();
    let link = made["link"].as_str().unwrap();
    let path = link.strip_prefix("https://knop.test").unwrap().to_owned();
    // Another creditor cannot open it; CJIB can, with its own nonce.
    let r = t
        .get(&format!("{path}?nonce=n-1"), Some(CREDITOR_KEY))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    let r = t.get(&format!("{path}?nonce=n-1"), Some(CJIB_KEY)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.headers[header::CONTENT_TYPE], "application/dc+sd-jwt");
    let presentation = r.text();
    // Offline, as CJIB would: the issuer's key from its metadata, the signed status list.
    let meta = t.get("/.well-known/jwt-vc-issuer", None).await.json();
    assert_eq!(meta["issuer"], "https://knop.test");
    let key = knop_declaration::key_of_jwk(&meta["jwks"]["keys"][0]).unwrap();
    let verify_offline = |presentation: &str, list: &str| {
        let (sub, list) = knop_declaration::read_status_list_token(list, &key, 1 << 20).unwrap();
        assert_eq!(sub, "https://knop.test/api/v1/status-lists/gemeente");
        knop_declaration::verify(
            presentation,
            &key,
            &knop_declaration::Expect {
                audience: "cjib",
                nonce: "n-1",
                now: jiff::Timestamp::now().as_second(),
            },
            |_, i| list.get(i).ok_or_else(|| "out of range".to_owned()),
        )
    };
    let r = t.get("/api/v1/status-lists/gemeente", None).await;
    assert_eq!(
        r.headers[header::CONTENT_TYPE],
        "application/statuslist+jwt"
    );
    let v = verify_offline(&presentation, &r.text()).unwrap();
    assert_eq!(
        v.disclosed,
        vec![
            ("name".to_owned(), "Sanne de Vries".to_owned()),
            ("birthdate".to_owned(), "1984-02-29".to_owned())
        ]
    );
    assert!(!presentation.contains("111222333") || v.disclosed.iter().all(|(c, _)| c != "bsn"));
    // Over the API too; another nonce is refused with its reason.
    let check = |nonce: &str| json_body(json!({"presentation": presentation, "nonce": nonce}));
    let r = t
        .call(
            Method::POST,
            "/api/v1/declaration-verifications",
            Some(CJIB_KEY),
            check("n-1"),
            None,
        )
        .await;
    assert_eq!(r.json()["valid"], true, "{}", r.text());
    assert_eq!(
        r.json()["disclosed"],
        json!({"name": "Sanne de Vries", "birthdate": "1984-02-29"})
    );
    let r = t
        .call(
            Method::POST,
            "/api/v1/declaration-verifications",
            Some(CJIB_KEY),
            check("n-2"),
            None,
        )
        .await;
    assert_eq!(r.json()["valid"], false);
    assert!(r.text().contains("nonce"), "{}", r.text());
    // Claims of CJIB and the landlord on household 1; CJIB holds its own, signed by itself.
    for (cid, org) in [("cjib-1", "cjib"), ("huur-1", "woningcorporatie")] {
        let c = json!({"id": cid, "household": "1", "creditor_organisation": org,
                       "reference": "ref-9", "principal_cents": 50_000, "date": "2026-01-05"});
        let r = t
            .call(
                Method::POST,
                "/api/v1/claims",
                Some(&a),
                json_body(c),
                Some(cid),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    }
    let hold = json!({"presentation": presentation, "nonce": "n-1"});
    let r = t
        .call(
            Method::PUT,
            "/api/v1/claims/huur-1/hold",
            Some(CJIB_KEY),
            json_body(hold.clone()),
            Some("h0"),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "not CJIB's claim: {}",
        r.text()
    );
    let size = t.app.node().size();
    let r = t
        .call(
            Method::PUT,
            "/api/v1/claims/cjib-1/hold",
            Some(CJIB_KEY),
            json_body(hold),
            Some("h1"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["hold"]["active"], true, "{}", r.text());
    assert_eq!(r.json()["hold"]["until"], "2026-11-09");
    assert_eq!(
        entry_at(&t, size).signer.as_str(),
        "cjib",
        "signed by CJIB itself"
    );
    // The landlord gets its own share, holds, and adds costs anyway: an alert for the counsellor.
    let share = json!({"declaration": id, "creditor": "woningcorporatie", "disclose": ["name"]});
    let r = t
        .call(
            Method::POST,
            "/api/v1/households/1/declaration-shares",
            Some(&resident),
            json_body(share),
            Some("s3"),
        )
        .await;
    let path2 = r.json()["link"]
        .as_str()
        .unwrap()
        .strip_prefix("https://knop.test")
        .unwrap()
        .to_owned();
    let p2 = t
        .get(&format!("{path2}?nonce=w-1"), Some(CREDITOR_KEY))
        .await
        .text();
    let r = t
        .call(
            Method::PUT,
            "/api/v1/claims/huur-1/hold",
            Some(CREDITOR_KEY),
            json_body(json!({"presentation": p2, "nonce": "w-1", "pauses": ["costs"]})),
            Some("h2"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let costs = json!({"id": "k-1", "kind": "costs", "cents": 4_000, "date": "2026-03-10"});
    let r = t
        .call(
            Method::POST,
            "/api/v1/claims/huur-1/events",
            Some(CREDITOR_KEY),
            json_body(costs),
            Some("k1"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let debts = t.get("/api/v1/households/1/claims", Some(&a)).await.json();
    assert_eq!(debts["on_hold"], 2, "{debts}");
    assert_eq!(debts["alerts"], 1, "{debts}");
    let page = t.page(&a, "/huishoudens/1/schulden").await.text();
    assert!(
        page.contains("kosten toegevoegd tijdens de pauze"),
        "{page}"
    );
    assert!(
        page.contains("Woningcorporatie heeft kosten toegevoegd"),
        "{page}"
    );
    // The lookup answers green, and the resident sees both CJIB's read and its lookup.
    let r = t
        .call(
            Method::POST,
            "/api/v1/debt-assistance-lookups",
            Some(CJIB_KEY),
            json_body(json!({"bsn": "111222333", "purpose": "nieuwe boete"})),
            None,
        )
        .await;
    assert_eq!(r.json()["status"], "green", "{}", r.text());
    let log = t
        .get("/api/v1/households/1/access-log", Some(&resident))
        .await
        .json();
    let by_cjib: Vec<_> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["who"] == "cjib")
        .collect();
    assert_eq!(by_cjib.len(), 2, "{log}");
    assert!(
        by_cjib
            .iter()
            .any(|e| e["fields"] == json!(["declaration", "name", "birthdate"])),
        "{log}"
    );
    let shares = t
        .get("/api/v1/households/1/declaration-shares", Some(&resident))
        .await
        .json();
    assert_eq!(shares[1]["creditor"], "cjib");
    assert_eq!(shares[1]["reads"].as_array().unwrap().len(), 1, "{shares}");
    // Revoked: the bit turns, offline and API verification say "ingetrokken", holds end.
    let r = t
        .call(
            Method::PUT,
            &format!("/api/v1/declarations/{id}/status"),
            Some(CJIB_KEY),
            json_body(json!({"status": "revoked"})),
            Some("r0"),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let r = t
        .call(
            Method::PUT,
            &format!("/api/v1/declarations/{id}/status"),
            Some(&gemeente),
            json_body(json!({"status": "revoked"})),
            Some("r1"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let list = t.get("/api/v1/status-lists/gemeente", None).await.text();
    let refused = verify_offline(&presentation, &list).unwrap_err();
    assert_eq!(refused, knop_declaration::Refusal::Revoked);
    assert!(refused.to_string().starts_with("ingetrokken"));
    let r = t
        .call(
            Method::POST,
            "/api/v1/declaration-verifications",
            Some(CJIB_KEY),
            check("n-1"),
            None,
        )
        .await;
    assert!(
        r.json()["reason"]
            .as_str()
            .unwrap()
            .starts_with("ingetrokken"),
        "{}",
        r.text()
    );
    let debts = t.get("/api/v1/households/1/claims", Some(&a)).await.json();
    assert_eq!(debts["on_hold"], 0, "{debts}");
    let r = t
        .call(
            Method::PUT,
            &format!("/api/v1/declarations/{id}/status"),
            Some(&gemeente),
            json_body(json!({"status": "valid"})),
            Some("r2"),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::CONFLICT,
        "a revocation is final: {}",
        r.text()
    );
    // Stopped sharing: the link answers nothing.
    let sid = shares[1]["id"].as_str().unwrap();
    let r = t
        .call(
            Method::DELETE,
            &format!("/api/v1/households/1/declaration-shares/{sid}"),
            Some(&resident),
            None,
            Some("x1"),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    let r = t.get(&format!("{path}?nonce=n-3"), Some(CJIB_KEY)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
}

/// The signed entry at `index` of the test service's ledger.
fn entry_at(t: &T, index: u64) -> SignedEntry {
    let mut node = t.app.node();
    let rec = node
        .store_mut()
        .unwrap()
        .read(index, index + 1)
        .unwrap()
        .remove(0);
    SignedEntry::decode(&rec.entry.unwrap()).unwrap()
}

/// The same story in the cockpit: the municipality's, the resident's and the creditor's pages.
#[tokio::test]
async fn the_rode_knop_in_the_cockpit() {
    let t = setup(true);
    let a = t.login("consulent-a").await;
    let resident = t.login("inwoner-1").await;
    let gemeente = t.login("gemeente").await;
    let cjib = t.login("cjib").await;
    let person = json!({"name": "Sanne de Vries", "bsn": "111222333", "birthdate": "1984-02-29"});
    let body = Some(("application/json", serde_json::to_vec(&person).unwrap()));
    let r = t
        .call(
            Method::PUT,
            "/api/v1/households/1/personal-data",
            Some(&a),
            body,
            Some("pd"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let c = json!({"id": "cjib-1", "household": "1", "creditor_organisation": "cjib",
                   "reference": "Beschikking 12", "principal_cents": 23_900, "date": "2026-01-05"});
    let body = Some(("application/json", serde_json::to_vec(&c).unwrap()));
    let r = t
        .call(Method::POST, "/api/v1/claims", Some(&a), body, Some("c1"))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    // Each party lands on its own page; the others are not for it.
    let r = t.page(&gemeente, "/").await;
    assert_eq!(r.headers[header::LOCATION], "/gemeente");
    assert_eq!(
        t.page(&cjib, "/").await.headers[header::LOCATION],
        "/schuldeiser"
    );
    assert_eq!(t.page(&a, "/gemeente").await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        t.page(&gemeente, "/schuldeiser").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        t.page(&cjib, "/huishoudens/1/verklaring").await.status,
        StatusCode::NOT_FOUND
    );
    // The municipality issues.
    let csrf = csrf_of(&t.page(&gemeente, "/gemeente").await.text());
    let r = t
        .form(
            &gemeente,
            "/gemeente",
            format!("csrf={csrf}&household=1&start="),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(
        r.text()
            .contains("verklaring geldig, 10 maart 2026 – 9 november 2026"),
        "{}",
        r.text()
    );
    let r = t
        .form(
            &gemeente,
            "/gemeente",
            format!("csrf={csrf}&household=1&start="),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    // The resident sees it, and what a creditor could see.
    let page = t.page(&resident, "/huishoudens/1").await.text();
    assert!(page.contains("Deel met een schuldeiser"), "{page}");
    let page = t.page(&resident, "/huishoudens/1/verklaring").await.text();
    assert!(page.contains("U heeft een geldige verklaring"), "{page}");
    assert!(
        page.contains("Sanne de Vries") && page.contains("111222333"),
        "{page}"
    );
    let declaration = page.split("name=\"declaration\" value=\"").nth(1).unwrap()[..64].to_owned();
    let csrf = csrf_of(&page);
    let r = t
        .form(
            &resident,
            "/huishoudens/1/verklaring/delen",
            format!("csrf={csrf}&declaration={declaration}&creditor=cjib&name=1&birthdate=1"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let page = r.text();
    assert!(
        page.contains("Gedeeld met CJIB") && page.contains("<svg"),
        "{page}"
    );
    let link = page
        .split("class=\"link\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    // The counsellor sees with whom, and may not share.
    let page = t.page(&a, "/huishoudens/1/verklaring").await.text();
    assert!(
        page.contains("CJIB") && !page.contains("verklaring/delen"),
        "{page}"
    );
    // CJIB opens the link: valid, name and date of birth, not the BSN; it pauses its claim.
    let csrf = csrf_of(&t.page(&cjib, "/schuldeiser").await.text());
    let r = t
        .form(
            &cjib,
            "/schuldeiser/verklaring",
            format!("csrf={csrf}&link={}", urlencode(&link)),
        )
        .await;
    let page = r.text();
    assert!(
        page.contains("Geldige verklaring betalingsonmacht"),
        "{page}"
    );
    assert!(
        page.contains("Sanne de Vries") && page.contains("29 februari 1984"),
        "{page}"
    );
    assert!(!page.contains("111222333"), "{page}");
    let field = |name: &str| {
        let v = page
            .split(&format!("name=\"{name}\" value=\""))
            .nth(1)
            .unwrap();
        v.split('"').next().unwrap().to_owned()
    };
    let (presentation, nonce) = (field("presentation"), field("nonce"));
    let r = t
        .form(
            &cjib,
            "/schuldeiser/pauze",
            format!(
                "csrf={csrf}&claim=cjib-1&presentation={}&nonce={}",
                urlencode(&presentation),
                urlencode(&nonce)
            ),
        )
        .await;
    assert!(
        r.text()
            .contains("Gepauzeerd: Beschikking 12, tot en met 9 november 2026"),
        "{}",
        r.text()
    );
    // The lookup answers green on the page.
    let r = t
        .form(
            &cjib,
            "/schuldeiser/vraag",
            format!("csrf={csrf}&bsn=111222333&purpose=nieuwe+boete"),
        )
        .await;
    assert!(
        r.text().contains("Groen: in de schuldhulp."),
        "{}",
        r.text()
    );
    let r = t
        .form(
            &cjib,
            "/schuldeiser/vraag",
            format!("csrf={csrf}&bsn=123456782&purpose=nieuwe+boete"),
        )
        .await;
    assert!(r.text().contains("Rood: niet bekend."), "{}", r.text());
    // The counsellor and the resident see the hold.
    let page = t.page(&a, "/huishoudens/1/schulden").await.text();
    assert!(
        page.contains("heeft de invordering gepauzeerd tot en met 9 november 2026"),
        "{page}"
    );
    // The municipality revokes: CJIB's check now says why it does not hold.
    let csrf_g = csrf_of(&t.page(&gemeente, "/gemeente").await.text());
    let r = t
        .form(
            &gemeente,
            "/gemeente/status",
            format!("csrf={csrf_g}&id={declaration}&household=1&to=revoked"),
        )
        .await;
    assert!(r.text().contains("verklaring ingetrokken"), "{}", r.text());
    let r = t
        .form(
            &cjib,
            "/schuldeiser/verklaring",
            format!("csrf={csrf}&link={}", urlencode(&link)),
        )
        .await;
    assert!(
        r.text().contains("Deze verklaring geldt niet:") && r.text().contains("ingetrokken"),
        "{}",
        r.text()
    );
    let page = t.page(&resident, "/huishoudens/1/verklaring").await.text();
    assert!(
        page.contains("U heeft nu geen geldige verklaring"),
        "{page}"
    );
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The Kindpakket: the municipality opens a fund and issues a voucher, the parent shows a code,
/// the bike shop takes EUR 89,95 of EUR 300, the off-licence is refused with the reason, a code is
/// used once even by many tills at the same moment, and the municipality's report shows it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_kindpakket_voucher_is_spent_at_the_right_shop_once_per_code() {
    let t = setup(true);
    let gemeente = t.login("gemeente").await;
    let parent = t.login("inwoner-1").await;
    let a = t.login("consulent-a").await;
    let bikes = t.login("fietsenwinkel").await;
    let booze = t.login("slijterij").await;
    let body = |v: serde_json::Value| Some(("application/json", serde_json::to_vec(&v).unwrap()));
    let fund = json!({"id": "kp-2026", "child_cents": 30_000, "from": "2026-01-01", "until": "2026-12-31",
                      "categories": ["sport", "bicycles", "school"], "cap_cents": 25_000});
    let r = t
        .call(
            Method::POST,
            "/api/v1/kindpakket/funds",
            Some(&a),
            body(fund.clone()),
            Some("f0"),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let r = t
        .call(
            Method::POST,
            "/api/v1/kindpakket/funds",
            Some(&gemeente),
            body(fund),
            Some("f1"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = t
        .call(
            Method::POST,
            "/api/v1/kindpakket/funds/kp-2026/merchants",
            Some(&gemeente),
            body(json!({"merchant": "fietsenwinkel", "categories": ["bicycles", "sport"]})),
            Some("m1"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = t
        .call(
            Method::POST,
            "/api/v1/kindpakket/funds/kp-2026/vouchers",
            Some(&gemeente),
            body(json!({"household": "1"})),
            Some("v1"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let voucher = r.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(r.json()["left_cents"], 30_000);
    // The parent sees the voucher and gets its code; the counsellor sees it, but no code.
    let v = t
        .get("/api/v1/households/1/vouchers", Some(&a))
        .await
        .json();
    assert_eq!(v[0]["budget_cents"], 30_000, "{v}");
    let uri = format!("/api/v1/households/1/vouchers/{voucher}/code");
    assert_eq!(t.get(&uri, Some(&a)).await.status, StatusCode::FORBIDDEN);
    let code = t.get(&uri, Some(&parent)).await.json()["code"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(code.starts_with(&format!("{voucher}-")), "{code}");
    // At the bike shop: what may be bought here, then refusals that name the rule.
    let r = t
        .call(
            Method::POST,
            "/api/v1/kindpakket/code-checks",
            Some(&bikes),
            body(json!({"code": code})),
            None,
        )
        .await;
    assert_eq!(
        r.json(),
        json!({"left_cents": 30_000, "categories_here": ["sport", "bicycles"], "cap_cents": 25_000})
    );
    let spend = |who: &str, category: &str, cents: i64, key: &str| {
        let (who, key) = (who.to_owned(), key.to_owned());
        let b = body(json!({"code": code, "category": category, "cents": cents}));
        let t = &t;
        async move {
            t.call(
                Method::POST,
                "/api/v1/kindpakket/spends",
                Some(&who),
                b,
                Some(&key),
            )
            .await
        }
    };
    let r = spend(&bikes, "school", 1_000, "s1").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert!(
        r.text().contains("Dit mag niet van het budget"),
        "{}",
        r.text()
    );
    let r = spend(&bikes, "bicycles", 25_001, "s2").await;
    assert!(r.text().contains("Te hoog bedrag"), "{}", r.text());
    let r = spend(&bikes, "bicycles", -5, "s3").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let r = spend(&booze, "sport", 1_000, "s4").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert!(
        r.text().contains("Deze winkel valt niet onder"),
        "{}",
        r.text()
    );
    let r = spend(&parent, "sport", 1_000, "s5").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    // Eight tills at once with the same code: exactly one purchase is booked.
    let size = t.app.node().size();
    let answers = futures_util::future::join_all(
        (0..8).map(|i| spend(&bikes, "bicycles", 8_995 + i, &format!("p{i}"))),
    )
    .await;
    let ok: Vec<_> = answers
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .collect();
    assert_eq!(
        ok.len(),
        1,
        "{:?}",
        answers.iter().map(|r| r.text()).collect::<Vec<_>>()
    );
    for r in answers.iter().filter(|r| r.status != StatusCode::CREATED) {
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
        assert!(r.text().contains("al gebruikt"), "{}", r.text());
    }
    assert_eq!(t.app.node().size(), size + 1, "one entry");
    let paid = ok[0].json()["cents"].as_i64().unwrap();
    assert_eq!(ok[0].json()["left_cents"], 30_000 - paid);
    // A retry with the same key gets the first answer.
    let first = answers
        .iter()
        .position(|r| r.status == StatusCode::CREATED)
        .unwrap();
    let again = spend(
        &bikes,
        "bicycles",
        8_995 + first as i64,
        &format!("p{first}"),
    )
    .await;
    assert_eq!(
        (again.status, again.json()),
        (StatusCode::CREATED, ok[0].json())
    );
    // A forged or malformed code is refused.
    let forged = format!("{voucher}-000000");
    let r = t
        .call(
            Method::POST,
            "/api/v1/kindpakket/spends",
            Some(&bikes),
            body(json!({"code": forged, "category": "sport", "cents": 100})),
            Some("x1"),
        )
        .await;
    assert!(
        r.text().contains("Deze code klopt niet") || forged == code,
        "{}",
        r.text()
    );
    // The parent sees where it was spent; the municipality's report shows it.
    let v = t
        .get("/api/v1/households/1/vouchers", Some(&parent))
        .await
        .json();
    assert_eq!(v[0]["spends"][0]["merchant"], "fietsenwinkel", "{v}");
    assert_eq!(v[0]["left_cents"], 30_000 - paid);
    let r = t
        .get("/api/v1/kindpakket/funds/kp-2026", Some(&gemeente))
        .await
        .json();
    assert_eq!(r["spent_cents"], paid, "{r}");
    assert_eq!(r["vouchers_used"], 1);
    assert_eq!(r["per_category"], json!([["bicycles", paid]]));
    assert_eq!(r["per_merchant"], json!([["fietsenwinkel", paid]]));
    assert_eq!(
        t.get("/api/v1/kindpakket/funds/kp-2026", Some(&a))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // Guessing codes: after ten wrong ones in a minute the shop must wait.
    let mut statuses = vec![];
    for i in 0..12 {
        let r = t
            .call(
                Method::POST,
                "/api/v1/kindpakket/code-checks",
                Some(&bikes),
                body(json!({"code": format!("{voucher}-{:06}", 999_000 + i)})),
                None,
            )
            .await;
        statuses.push(r.status);
    }
    assert_eq!(
        statuses.last(),
        Some(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    assert!(statuses
        .iter()
        .all(|s| *s == StatusCode::UNPROCESSABLE_ENTITY || *s == StatusCode::TOO_MANY_REQUESTS));
    // Cancelled on its day by the shop that took it: the money goes back; another shop cannot.
    let spend_id = ok[0].json()["spend"].as_str().unwrap().to_owned();
    let uri = format!("/api/v1/kindpakket/spends/{spend_id}");
    let r = t
        .call(Method::DELETE, &uri, Some(&booze), None, Some("c0"))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    let r = t
        .call(Method::DELETE, &uri, Some(&bikes), None, Some("c1"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["left_cents"], 30_000);
    let r = t
        .call(Method::DELETE, &uri, Some(&bikes), None, Some("c2"))
        .await;
    assert_eq!(r.json()["left_cents"], 30_000, "not twice: {}", r.text());
    let v = t
        .get("/api/v1/households/1/vouchers", Some(&parent))
        .await
        .json();
    assert_eq!(v[0]["spends"][0]["cancelled"], true, "{v}");
    assert_eq!(
        (v[0]["budget_cents"].as_i64(), v[0]["spent_cents"].as_i64()),
        (Some(30_000), Some(0))
    );
    let r = t
        .get("/api/v1/kindpakket/funds/kp-2026", Some(&gemeente))
        .await
        .json();
    assert_eq!(
        (
            r["spent_cents"].as_i64(),
            r["per_category"].as_array().map(Vec::len)
        ),
        (Some(0), Some(0)),
        "{r}"
    );
}

/// The Kindpakket's money after the till: the bike shop's € 89,95 is paid in a payout made by
/// one person and approved by a second, its pain.001 is valid, the municipality's bank
/// statement confirms it and tops up the fund, the shop sees which purchases it covered, and a
/// refund after payout goes back to the voucher and is netted from the shop's next payout.
#[tokio::test]
async fn a_kindpakket_payout_pays_the_shop_after_four_eyes_and_the_statement_confirms_it() {
    let t = setup(true);
    let gemeente = t.login("gemeente").await;
    let second = t.login("gemeente-controle").await;
    let parent = t.login("inwoner-1").await;
    let bikes = t.login("fietsenwinkel").await;
    let json_body =
        |v: serde_json::Value| Some(("application/json", serde_json::to_vec(&v).unwrap()));
    let post = |who: &str, uri: &str, v: serde_json::Value, key: &str| {
        let (who, uri, key) = (who.to_owned(), uri.to_owned(), key.to_owned());
        let t = &t;
        async move {
            t.call(Method::POST, &uri, Some(&who), json_body(v), Some(&key))
                .await
        }
    };
    for (uri, v) in [
        (
            "/api/v1/kindpakket/funds",
            json!({"id": "kp-2026", "child_cents": 30_000, "from": "2000-01-01",
            "until": "2099-12-31", "categories": ["bicycles"], "cap_cents": 30_000}),
        ),
        (
            "/api/v1/kindpakket/funds/kp-2026/merchants",
            json!({"merchant": "fietsenwinkel", "categories": ["bicycles"]}),
        ),
        (
            "/api/v1/kindpakket/funds/kp-2026/vouchers",
            json!({"household": "1"}),
        ),
    ] {
        let r = post(&gemeente, uri, v, uri).await;
        assert_eq!(r.status, StatusCode::CREATED, "{uri}: {}", r.text());
    }
    let voucher = t
        .get("/api/v1/households/1/vouchers", Some(&parent))
        .await
        .json()[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let code = t
        .get(
            &format!("/api/v1/households/1/vouchers/{voucher}/code"),
            Some(&parent),
        )
        .await
        .json()["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = post(
        &bikes,
        "/api/v1/kindpakket/spends",
        json!({"code": code, "category": "bicycles", "cents": 8_995}),
        "buy",
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let spend = r.json()["spend"].as_str().unwrap().to_owned();
    let v = t
        .get("/api/v1/households/1/vouchers", Some(&parent))
        .await
        .json();
    let day = v[0]["spends"][0]["date"].as_str().unwrap().to_owned();
    let payout =
        json!({"until": day, "execution_date": day, "from_iban": "NL02 ABNA 0123 4567 89"});
    // Nothing to pay while the shop has no payee; a payee's IBAN must be right.
    let r = post(
        &gemeente,
        "/api/v1/kindpakket/funds/kp-2026/payouts",
        payout.clone(),
        "p0",
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert!(r.text().contains("Niets uit te betalen"), "{}", r.text());
    let r = post(&gemeente, "/api/v1/kindpakket/funds/kp-2026/payees",
        json!({"merchant": "fietsenwinkel", "iban": "NL91ABNA0417164301", "name": "Fietsen Jansen"}), "y0").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert!(r.text().contains("geen geldig IBAN"), "{}", r.text());
    let r = post(&bikes, "/api/v1/kindpakket/funds/kp-2026/payees",
        json!({"merchant": "fietsenwinkel", "iban": "NL91ABNA0417164300", "name": "Fietsen Jansen"}), "y1").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let r = post(&gemeente, "/api/v1/kindpakket/funds/kp-2026/payees",
        json!({"merchant": "fietsenwinkel", "iban": "nl91 abna 0417 1643 00", "name": "Fietsen Jansen"}), "y2").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    // One person makes the payout; the same request again is the same payout.
    let r = post(
        &gemeente,
        "/api/v1/kindpakket/funds/kp-2026/payouts",
        payout.clone(),
        "p1",
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let made = r.json();
    assert_eq!(made["status"], "to_approve", "{made}");
    assert_eq!(made["total_cents"], 8_995);
    assert_eq!(made["lines"][0]["spends"], json!([spend]));
    assert_eq!(made["lines"][0]["iban"], "NL91ABNA0417164300");
    let id = made["id"].as_str().unwrap().to_owned();
    let e2e = made["lines"][0]["end_to_end_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let size = t.app.node().size();
    let r = post(
        &gemeente,
        "/api/v1/kindpakket/funds/kp-2026/payouts",
        payout.clone(),
        "p1",
    )
    .await;
    assert_eq!(
        (r.status, r.json()["id"].as_str()),
        (StatusCode::CREATED, Some(id.as_str()))
    );
    assert_eq!(t.app.node().size(), size, "nothing new");
    // The same request after a restart (the answer cache gone): the key names the same payout.
    let again = {
        let req = knop_app::payouts::PayoutRequest {
            fund: "kp-2026",
            until: day.parse().unwrap(),
            execution: day.parse().unwrap(),
            from_iban: "NL02ABNA0123456789",
            by: "gemeente",
            key: "p1",
            now_ms: 0,
        };
        let key = NoteKey::from_seed("gemeente", &[14; 32]).unwrap();
        knop_app::payouts::make(&mut t.app.node(), &key, &req).unwrap()
    };
    assert_eq!(again.id, id);
    assert_eq!(t.app.node().size(), size, "nothing new");
    // Another request finds nothing left to pay.
    let r = post(
        &gemeente,
        "/api/v1/kindpakket/funds/kp-2026/payouts",
        payout.clone(),
        "p2",
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    // No file before a second person approved it; its maker cannot approve it.
    let pain = format!("/api/v1/kindpakket/payouts/{id}/pain001");
    let r = t.get(&pain, Some(&gemeente)).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    let approvals = format!("/api/v1/kindpakket/payouts/{id}/approvals");
    let r = t
        .call(Method::POST, &approvals, Some(&gemeente), None, Some("a1"))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    assert!(r.text().contains("Vier ogen"), "{}", r.text());
    let r = t
        .call(Method::POST, &approvals, Some(&bikes), None, Some("a2"))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let r = t
        .call(Method::POST, &approvals, Some(&second), None, Some("a3"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["status"], "approved");
    // The payment file: one transfer to the bike shop, valid against the schema.
    let r = t.get(&pain, Some(&second)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let xml = r.text();
    assert!(
        xml.contains(&format!("<EndToEndId>{e2e}</EndToEndId>")),
        "{xml}"
    );
    assert!(xml.contains(">89.95</InstdAmt>"), "{xml}");
    assert!(xml.contains("<Nm>Fietsen Jansen</Nm>"), "{xml}");
    assert!(xml.contains(&format!("1 aankopen {spend}")), "{xml}");
    assert_valid_pain001(t._dir.path(), "payout", &xml);
    // The municipality's bank statement: the payout paid, € 1 000 into the fund, and a line
    // that is neither.
    let statement = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>
<GrpHdr><MsgId>GEM-1</MsgId><CreDtTm>{day}T18:00:00</CreDtTm></GrpHdr>
<Stmt><Id>GEM-1</Id><Acct><Id><IBAN>NL02ABNA0123456789</IBAN></Id><Ccy>EUR</Ccy></Acct>
<Ntry><Amt Ccy="EUR">89.95</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>{day}</Dt></BookgDt>
<AcctSvcrRef>GEM-1-1</AcctSvcrRef><NtryDtls><TxDtls><Refs><EndToEndId>{e2e}</EndToEndId></Refs></TxDtls></NtryDtls></Ntry>
<Ntry><Amt Ccy="EUR">1000.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>{day}</Dt></BookgDt>
<AcctSvcrRef>GEM-1-2</AcctSvcrRef><NtryDtls><TxDtls><RmtInf><Ustrd>Storting Kindpakket kp-2026</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>
<Ntry><Amt Ccy="EUR">12.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>{day}</Dt></BookgDt>
<AcctSvcrRef>GEM-1-3</AcctSvcrRef><NtryDtls><TxDtls><RmtInf><Ustrd>Bankkosten</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>
<Ntry><Amt Ccy="EUR">89.95</Amt><CdtDbtInd>CRDT</CdtDbtInd><RvslInd>true</RvslInd><Sts>BOOK</Sts><BookgDt><Dt>{day}</Dt></BookgDt>
<AcctSvcrRef>GEM-1-4</AcctSvcrRef><NtryDtls><TxDtls><Refs><EndToEndId>{e2e}</EndToEndId></Refs><RmtInf><Ustrd>Kindpakket kp-2026 retour</Ustrd></RmtInf><RtrInf><Rsn><Cd>AC04</Cd></Rsn></RtrInf></TxDtls></NtryDtls></Ntry>
</Stmt></BkToCstmrStmt></Document>"#
    );
    let up = |who: &str, key: &str| {
        let (who, key, bytes) = (
            who.to_owned(),
            key.to_owned(),
            statement.clone().into_bytes(),
        );
        let t = &t;
        async move {
            t.call(
                Method::POST,
                "/api/v1/kindpakket/statements",
                Some(&who),
                Some(("application/xml", bytes)),
                Some(&key),
            )
            .await
        }
    };
    let r = up(&bikes, "st0").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let r = up(&gemeente, "st1").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = r.json();
    assert_eq!(v["paid"], json!([e2e]), "{v}");
    assert_eq!(v["topups"][0]["cents"], 100_000, "{v}");
    assert_eq!(
        v["topups"].as_array().map(Vec::len),
        Some(1),
        "a return is no top-up: {v}"
    );
    assert_eq!(v["unmatched"].as_array().map(Vec::len), Some(2), "{v}");
    assert!(
        v["unmatched"][1].as_str().unwrap().contains("teruggeboekt"),
        "{v}"
    );
    assert_eq!(v["recorded"], true);
    let size = t.app.node().size();
    let r = up(&gemeente, "st2").await;
    assert_eq!(
        r.json()["recorded"],
        false,
        "the same file again: {}",
        r.text()
    );
    assert_eq!(t.app.node().size(), size);
    let r = t
        .call(
            Method::POST,
            "/api/v1/kindpakket/statements",
            Some(&gemeente),
            Some(("application/xml", b"<Document>".to_vec())),
            Some("st3"),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    // The shop sees the payout paid and the purchase it covered; the parent sees no payouts.
    let mine = t
        .get("/api/v1/kindpakket/payouts", Some(&bikes))
        .await
        .json();
    assert_eq!(mine[0]["status"], "paid", "{mine}");
    assert_eq!(mine[0]["lines"][0]["paid"], json!(day));
    assert_eq!(mine[0]["lines"][0]["spends"], json!([spend]));
    assert_eq!(
        t.get("/api/v1/kindpakket/payouts", Some(&parent))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // After payout the purchase is not cancelled but refunded: € 20 back to the voucher, and
    // the shop owes it to the next payout.
    let uri = format!("/api/v1/kindpakket/spends/{spend}");
    let r = t
        .call(Method::DELETE, &uri, Some(&bikes), None, Some("c1"))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    assert!(r.text().contains("terugbetaling"), "{}", r.text());
    let refunds = format!("{uri}/refunds");
    let r = post(&bikes, &refunds, json!({"cents": 9_000}), "r0").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert!(r.text().contains("Te veel terug"), "{}", r.text());
    let r = post(&bikes, &refunds, json!({"cents": 2_000}), "r1").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["left_cents"], 30_000 - 8_995 + 2_000);
    let again = post(&bikes, &refunds, json!({"cents": 2_000}), "r1").await;
    assert_eq!(again.json(), r.json(), "a retry refunds once");
    let report = t
        .get("/api/v1/kindpakket/funds/kp-2026", Some(&gemeente))
        .await
        .json();
    assert_eq!(
        (
            &report["topped_up_cents"],
            &report["paid_out_cents"],
            &report["owed_cents"],
            &report["spent_cents"]
        ),
        (
            &json!(100_000),
            &json!(8_995),
            &json!(-2_000),
            &json!(6_995)
        ),
        "{report}"
    );
    assert_eq!(report["per_merchant"], json!([["fietsenwinkel", 6_995]]));
}

/// The Kindpakket's payouts in the cockpit: the shop's bank account, a payout made by one
/// person and approved by a colleague, its payment file, the bank statement read through the
/// form, the shop's view of it, and a refund at the till.
#[tokio::test]
async fn kindpakket_payouts_in_the_cockpit() {
    let t = setup(true);
    let gemeente = t.login("gemeente").await;
    let second = t.login("gemeente-controle").await;
    let parent = t.login("inwoner-1").await;
    let bikes = t.login("fietsenwinkel").await;
    let csrf = csrf_of(&t.page(&gemeente, "/gemeente/kindpakket").await.text());
    for (uri, body) in [
        (
            "/gemeente/kindpakket/regeling",
            "id=kp&budget=300&cap=250&from=2000-01-01&until=2099-12-31&bicycles=1",
        ),
        (
            "/gemeente/kindpakket/winkel",
            "fund=kp&merchant=fietsenwinkel&bicycles=1",
        ),
        (
            "/gemeente/kindpakket/tegoed",
            "fund=kp&household=1&key=form-1",
        ),
    ] {
        let r = t.form(&gemeente, uri, format!("csrf={csrf}&{body}")).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.text());
    }
    let page = t.page(&parent, "/huishoudens/1/kindpakket").await.text();
    let code = page
        .split("class=\"bigcode\"><strong>")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    let shop_csrf = csrf_of(&t.page(&bikes, "/winkel").await.text());
    let r = t
        .form(
            &bikes,
            "/winkel/betalen",
            format!("csrf={shop_csrf}&code={code}&category=bicycles&amount=89%2C95"),
        )
        .await;
    assert!(r.text().contains("Betaald: € 89,95."), "{}", r.text());
    // The shop's account, then the payout.
    let r = t
        .form(&gemeente, "/gemeente/kindpakket/rekening",
              format!("csrf={csrf}&fund=kp&merchant=fietsenwinkel&iban=NL91+ABNA+0417+1643+00&name=Fietsen+Jansen"))
        .await;
    assert!(r.text().contains("is vastgelegd."), "{}", r.text());
    assert!(
        r.text().contains("NL91ABNA0417164300 (Fietsen Jansen)"),
        "{}",
        r.text()
    );
    let today = t.app.today();
    let r = t
        .form(
            &gemeente,
            "/gemeente/kindpakket/uitbetaling",
            format!(
                "csrf={csrf}&fund=kp&until={today}&execution={today}&from_iban=NL02ABNA0123456789&key=form-p1"
            ),
        )
        .await;
    let text = r.text();
    assert!(text.contains("gemaakt (€ 89,95)"), "{text}");
    assert!(
        text.contains("U maakte deze; een collega keurt hem goed."),
        "{text}"
    );
    let id = knop_app::payouts::payout_id("kp", today, "gemeente", "form-p1");
    let file = format!("/gemeente/kindpakket/uitbetaling/{id}");
    assert_eq!(
        t.page(&gemeente, &file).await.status,
        StatusCode::CONFLICT,
        "not before approval"
    );
    let r = t
        .form(
            &gemeente,
            "/gemeente/kindpakket/goedkeuren",
            format!("csrf={csrf}&payout={id}"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    assert!(r.text().contains("Vier ogen"), "{}", r.text());
    let csrf2 = csrf_of(&t.page(&second, "/gemeente/kindpakket").await.text());
    let r = t
        .form(
            &second,
            "/gemeente/kindpakket/goedkeuren",
            format!("csrf={csrf2}&payout={id}"),
        )
        .await;
    assert!(
        r.text().contains("goedgekeurd: download het betaalbestand"),
        "{}",
        r.text()
    );
    let r = t.page(&second, &file).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains("<Nm>Fietsen Jansen</Nm>"), "{}", r.text());
    assert_eq!(t.page(&bikes, &file).await.status, StatusCode::FORBIDDEN);
    // The statement through the form.
    let e2e = knop_app::payouts::line_end_to_end_id(&id, 0);
    let statement = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>
<GrpHdr><MsgId>GEM-2</MsgId><CreDtTm>{today}T18:00:00</CreDtTm></GrpHdr>
<Stmt><Id>GEM-2</Id><Acct><Id><IBAN>NL02ABNA0123456789</IBAN></Id><Ccy>EUR</Ccy></Acct>
<Ntry><Amt Ccy="EUR">89.95</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>{today}</Dt></BookgDt>
<NtryDtls><TxDtls><Refs><EndToEndId>{e2e}</EndToEndId></Refs></TxDtls></NtryDtls></Ntry>
</Stmt></BkToCstmrStmt></Document>"#
    );
    let mut body = Vec::new();
    body.extend_from_slice(
        format!("--XYZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--XYZ\r\nContent-Disposition: form-data; name=\"bestand\"; filename=\"gemeente.xml\"\r\nContent-Type: application/xml\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(statement.as_bytes());
    body.extend_from_slice(b"\r\n--XYZ--\r\n");
    let r = t
        .send(
            Request::post("/gemeente/kindpakket/afschrift")
                .header(header::COOKIE, format!("knop_session={gemeente}"))
                .header(header::CONTENT_TYPE, "multipart/form-data; boundary=XYZ")
                .body(Body::from(body))
                .unwrap(),
        )
        .await;
    assert!(
        r.text()
            .contains(&format!("Betaald volgens de bank: {e2e}.")),
        "{}",
        r.text()
    );
    assert!(
        r.text().contains("Betaald (op het bankafschrift)"),
        "{}",
        r.text()
    );
    // The shop sees it paid, and refunds € 20 after a return.
    let page = t.page(&bikes, "/winkel").await.text();
    assert!(
        page.contains(&format!(
            "Betaald op {}",
            knop_app::present::spoken(today, knop_app::present::Language::Dutch)
        )),
        "{page}"
    );
    let spend = t.app.node().state().spends().keys().next().unwrap().clone();
    let r = t
        .form(
            &bikes,
            "/winkel/terugbetalen",
            format!("csrf={shop_csrf}&spend={spend}&amount=20&key=r-1"),
        )
        .await;
    assert!(
        r.text().contains("€ 20,00 terug op het tegoed."),
        "{}",
        r.text()
    );
    assert!(r.text().contains("€ 230,05"), "{}", r.text());
    let page = t.page(&gemeente, "/gemeente/kindpakket").await.text();
    assert!(
        page.contains("Betaald aan winkels (volgens de bank)"),
        "{page}"
    );
    assert!(page.contains("-€ 20,00"), "{page}");
    assert!(
        page.contains("gaat af van de volgende uitbetaling"),
        "{page}"
    );
}

/// The Kindpakket in the cockpit: the municipality's forms, the parent's code, the shop's till.
#[tokio::test]
async fn the_kindpakket_in_the_cockpit() {
    let t = setup(true);
    let gemeente = t.login("gemeente").await;
    let parent = t.login("inwoner-1").await;
    let bikes = t.login("fietsenwinkel").await;
    let booze = t.login("slijterij").await;
    assert_eq!(
        t.page(&bikes, "/").await.headers[header::LOCATION],
        "/winkel"
    );
    assert_eq!(
        t.page(&parent, "/winkel").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        t.page(&bikes, "/gemeente/kindpakket").await.status,
        StatusCode::FORBIDDEN
    );
    let csrf = csrf_of(&t.page(&gemeente, "/gemeente/kindpakket").await.text());
    let r = t
        .form(&gemeente, "/gemeente/kindpakket/regeling",
              format!("csrf={csrf}&id=kp&budget=300&cap=250&from=2026-01-01&until=2026-12-31&sport=1&bicycles=1"))
        .await;
    assert!(r.text().contains("Regeling kp geopend."), "{}", r.text());
    let r = t
        .form(
            &gemeente,
            "/gemeente/kindpakket/winkel",
            format!("csrf={csrf}&fund=kp&merchant=fietsenwinkel&bicycles=1"),
        )
        .await;
    assert!(r.text().contains("Fietsenwinkel doet mee."), "{}", r.text());
    let r = t
        .form(
            &gemeente,
            "/gemeente/kindpakket/tegoed",
            format!("csrf={csrf}&fund=kp&household=1&key=form-1"),
        )
        .await;
    assert!(r.text().contains("Tegoed uitgegeven"), "{}", r.text());
    // The form sent twice (a double click) issues one voucher.
    let again = t
        .form(
            &gemeente,
            "/gemeente/kindpakket/tegoed",
            format!("csrf={csrf}&fund=kp&household=1&key=form-1"),
        )
        .await;
    assert!(
        again.text().contains("Tegoed uitgegeven"),
        "{}",
        again.text()
    );
    assert_eq!(t.app.node().state().vouchers().len(), 1);
    let r = t
        .form(
            &gemeente,
            "/gemeente/kindpakket/tegoed",
            format!("csrf={csrf}&fund=kp&household=x"),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    // The parent's code, typed at the bike shop's till.
    let page = t.page(&parent, "/huishoudens/1/kindpakket").await.text();
    assert!(
        page.contains("€ 300,00 over") && page.contains("<svg"),
        "{page}"
    );
    let code = page
        .split("class=\"bigcode\"><strong>")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    let csrf = csrf_of(&t.page(&bikes, "/winkel").await.text());
    let r = t
        .form(
            &bikes,
            "/winkel/code",
            format!("csrf={csrf}&code={}", code.to_lowercase()),
        )
        .await;
    assert!(
        r.text().contains("Hier te besteden aan: fietsen."),
        "{}",
        r.text()
    );
    let r = t
        .form(
            &bikes,
            "/winkel/betalen",
            format!("csrf={csrf}&code={code}&category=bicycles&amount=89%2C955"),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "more than two decimals: {}",
        r.text()
    );
    let r = t
        .form(
            &bikes,
            "/winkel/betalen",
            format!("csrf={csrf}&code={code}&category=bicycles&amount=89%2C95"),
        )
        .await;
    assert!(
        r.text().contains("Betaald: € 89,95.") && r.text().contains("€ 210,05"),
        "{}",
        r.text()
    );
    let r = t
        .form(
            &bikes,
            "/winkel/betalen",
            format!("csrf={csrf}&code={code}&category=bicycles&amount=1"),
        )
        .await;
    assert!(r.text().contains("al gebruikt"), "{}", r.text());
    // The off-licence is refused with the reason.
    let csrf_b = csrf_of(&t.page(&booze, "/winkel").await.text());
    let r = t
        .form(&booze, "/winkel/code", format!("csrf={csrf_b}&code={code}"))
        .await;
    assert!(
        r.text().contains("Deze winkel valt niet onder"),
        "{}",
        r.text()
    );
    // The parent and the municipality see it.
    let page = t.page(&parent, "/huishoudens/1/kindpakket").await.text();
    assert!(
        page.contains("€ 89,95 bij Fietsenwinkel (fietsen)"),
        "{page}"
    );
    let page = t.page(&gemeente, "/gemeente/kindpakket").await.text();
    assert!(page.contains("€ 89,95"), "{page}");
    let csv = t
        .page(&gemeente, "/gemeente/kindpakket/kp/rapport.csv")
        .await;
    assert_eq!(csv.headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    assert!(
        csv.text()
            .contains("besteed_per_winkel;fietsenwinkel;89,95;8995"),
        "{}",
        csv.text()
    );
    assert_eq!(
        t.page(&bikes, "/gemeente/kindpakket/kp/rapport.csv")
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // The till cancels the purchase the same day.
    let csrf = csrf_of(&t.page(&bikes, "/winkel").await.text());
    let spend = t.app.node().state().spends().keys().next().unwrap().clone();
    let r = t
        .form(
            &bikes,
            "/winkel/annuleren",
            format!("csrf={csrf}&spend={spend}"),
        )
        .await;
    assert!(
        r.text().contains("Geannuleerd: € 89,95") && r.text().contains("€ 300,00"),
        "{}",
        r.text()
    );
    let page = t.page(&parent, "/huishoudens/1/kindpakket").await.text();
    assert!(
        page.contains("geannuleerd, terug op het tegoed") && page.contains("€ 300,00 over"),
        "{page}"
    );
    // Blocked: no code; reissued: a new voucher with what was left, and a new code.
    let voucher = code.split('-').next().unwrap().to_owned();
    let csrf = csrf_of(&t.page(&gemeente, "/gemeente/kindpakket").await.text());
    let r = t
        .form(
            &gemeente,
            "/gemeente/kindpakket/blokkeren",
            format!("csrf={csrf}&voucher={voucher}&key=k1"),
        )
        .await;
    assert!(
        r.text().contains("geblokkeerd, nog € 300,00"),
        "{}",
        r.text()
    );
    let page = t.page(&parent, "/huishoudens/1/kindpakket").await.text();
    assert!(
        page.contains("Dit tegoed is geblokkeerd") && !page.contains("bigcode"),
        "{page}"
    );
    for _ in 0..2 {
        let r = t
            .form(
                &gemeente,
                "/gemeente/kindpakket/opnieuw",
                format!("csrf={csrf}&voucher={voucher}&key=k2"),
            )
            .await;
        assert!(r.text().contains("Opnieuw uitgegeven als"), "{}", r.text());
    }
    assert_eq!(t.app.node().state().vouchers().len(), 2, "reissued once");
    let page = t.page(&parent, "/huishoudens/1/kindpakket").await.text();
    assert!(
        page.contains("€ 300,00 over") && page.contains("bigcode"),
        "{page}"
    );
}
