//! knop's HTTP service: the API under `/api/v1` for organisations and apps, and the
//! server-rendered cockpit for residents and counsellors.
//!
//! One [`App`] owns the ledger [`Node`] (the one writer of the log). Handlers read the state
//! under a short lock and do their work outside it; writes run on the blocking pool, because a
//! submission waits for the store to make it durable. The latest signed checkpoint is kept ready
//! to serve, so that witnesses and auditors polling it never touch the node.
//!
//! Layers, outermost first: security headers, authentication (session cookie, session bearer
//! token or an organisation's API key; see [`auth`]), then, on the API's unsafe methods only,
//! the `Idempotency-Key` check ([`idempotency`]). Every API error is an RFC 9457 problem
//! ([`problem`]).

#![warn(missing_docs)]

pub mod auth;
pub mod idempotency;
pub mod journal;
pub mod oidc;
pub mod problem;

mod api;
mod pages;
mod till;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use jiff::civil::Date;
use knop_app::{payrun, vault};
use knop_ledger::note::NoteKey;
use knop_node::Node;

pub use auth::{ApiKey, Principal, Role, User};
pub use knop_app::statements::Stored;
pub use problem::Problem;

/// The largest request body the API accepts (a month of a large foundation's camt.053 fits;
/// larger files go through `knop bank import`).
pub const BODY_MAX: usize = 16 * 1024 * 1024;

/// How the service is set up.
pub struct Config {
    /// The organisation whose key signs what people record through the service (the foundation
    /// that holds the households' money). It must be registered on the ledger.
    pub submitter: NoteKey,
    /// The foundation's IBAN: statements uploaded must be of this account, and payment runs pay
    /// from it.
    pub foundation_iban: String,
    /// The foundation's name in payment files.
    pub foundation_name: String,
    /// Most the foundation advances to one household in all when its income is late, in cents.
    pub advance_limit_cents: i64,
    /// The people who may log in.
    pub users: Vec<User>,
    /// Organisations' API keys (digests).
    pub api_keys: Vec<ApiKey>,
    /// Whether the development login (pick a user, no password) is on. Only for the demo.
    pub dev_login: bool,
    /// The day the service treats as today (the demo runs in its simulated year); `None`: the
    /// clock's date in Europe/Amsterdam.
    pub today: Option<Date>,
    /// Whether the service is reached over TLS (behind a proxy): secure cookies and HSTS.
    pub tls: bool,
    /// The personal-data vault: its directory and the master key, if personal data is kept.
    pub vault: Option<(std::path::PathBuf, [u8; 32])>,
    /// Logging in with OpenID Connect (a municipality's DigiD or eHerkenning broker), if set.
    pub oidc: Option<oidc::OidcConfig>,
    /// A `node_modules` directory holding the NL Design System packages
    /// (`@utrecht/component-library-css`, `@utrecht/design-tokens`; see `web/package.json`).
    /// When they are there, the cockpit uses them; otherwise its own stylesheet alone.
    pub assets: Option<std::path::PathBuf>,
    /// The municipality's look (design tokens from the NL Design System), with `assets`.
    pub theme: Theme,
    /// Most debt-assistance lookups one creditor may make in a minute
    /// ([`DEFAULT_LOOKUPS_PER_MINUTE`] unless set).
    pub lookups_per_minute: u32,
    /// Where uploaded bank statements are kept (so that suspense lines can be shown and matched
    /// later); `None`: in memory only.
    pub statement_dir: Option<std::path::PathBuf>,
    /// The journal of sessions and idempotency answers (sealed), so that a restart forgets
    /// neither; `None`: in memory only (a restart logs everyone out and forgets the keys).
    pub journal: Option<std::path::PathBuf>,
    /// Opens the ledger again after a failed write (a full disk, say), replaying what is
    /// durable; `None`: the service refuses writes until restarted, and `/readyz` says so.
    pub reopen: Option<Reopen>,
    /// Keys of other organisations the service signs for (each registered on the ledger): the
    /// municipality that issues declarations, creditors whose staff and systems record their
    /// claims' events and holds here. What they record is signed with their own key.
    pub hosted: Vec<NoteKey>,
    /// The service's public URL (scheme, host, port; no path): the `iss` of declarations and
    /// the base of status-list URIs.
    pub public_url: String,
    /// Months a declaration of inability to pay holds
    /// ([`knop_app::declarations::DEFAULT_MONTHS`] unless set; 1 to 12).
    pub declaration_months: u32,
}

/// The design tokens a municipality chooses for its cockpit (NL Design System, from npm).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Theme {
    /// Gemeente Utrecht (`@utrecht/design-tokens`).
    #[default]
    Utrecht,
    /// Gemeente Den Haag (`@gemeente-denhaag/design-tokens-components`), over Utrecht's.
    DenHaag,
}

/// How the service opens its ledger again.
pub type Reopen = Arc<dyn Fn() -> Result<Node, String> + Send + Sync>;

/// The running service's shared state.
pub struct App {
    node: Mutex<Node>,
    checkpoint: RwLock<Arc<String>>,
    config: Config,
    api_keys: HashMap<[u8; 32], ApiKey>,
    users: HashMap<String, User>,
    sessions: auth::Sessions,
    idempotency: idempotency::Keys,
    statements: RwLock<Vec<Arc<Stored>>>,
    oidc: Option<oidc::Oidc>,
    vault: Option<vault::Vault>,
    /// Seals statements kept without a vault.
    sealer: journal::Sealer,
    /// Debt-assistance lookups per creditor in the current minute ([`App::lookup_allowed`]).
    lookups: Mutex<HashMap<String, (u64, u32)>>,
    /// The latest status-list token per municipality, with the ledger size it was made at.
    status_lists: Mutex<HashMap<String, (u64, Arc<String>)>>,
    /// Purchases waiting to be booked together ([`till`]); started on the first.
    spends: Mutex<till::Queue>,
}

/// Most wrong Kindpakket codes one shop may try in a minute ([`App::code_tries_left`]).
pub const WRONG_CODES_PER_MINUTE: u32 = 10;

/// The default for [`Config::lookups_per_minute`]: 600 a minute (10 a second) is more than a
/// creditor checking its own new cases needs, and at that pace trying every valid BSN would
/// take some twenty years.
pub const DEFAULT_LOOKUPS_PER_MINUTE: u32 = 600;

impl App {
    /// Whether creditor `org` may make another lookup now (at most
    /// [`Config::lookups_per_minute`] in a minute); counts it if so.
    pub fn lookup_allowed(&self, org: &str, now_ms: u64) -> bool {
        self.per_minute(org, self.config.lookups_per_minute, now_ms, true)
    }

    /// Whether shop `org` may try another Kindpakket code now: at most
    /// [`WRONG_CODES_PER_MINUTE`] wrong codes a minute (a till mistypes now and then; guessing a
    /// six-digit code that changes every minute at this pace would take weeks).
    pub fn code_tries_left(&self, org: &str, now_ms: u64) -> bool {
        self.per_minute(
            &format!("code\0{org}"),
            WRONG_CODES_PER_MINUTE,
            now_ms,
            false,
        )
    }

    /// Counts a wrong Kindpakket code of shop `org`.
    pub fn wrong_code(&self, org: &str, now_ms: u64) {
        self.per_minute(&format!("code\0{org}"), u32::MAX, now_ms, true);
    }

    /// Whether `key` has had fewer than `limit` in the current minute; counts one if `count`.
    fn per_minute(&self, key: &str, limit: u32, now_ms: u64, count: bool) -> bool {
        let minute = now_ms / 60_000;
        let mut m = self.lookups.lock().unwrap_or_else(|e| e.into_inner());
        let slot = m.entry(key.to_owned()).or_insert((minute, 0));
        if slot.0 != minute {
            *slot = (minute, 0);
        }
        if slot.1 >= limit {
            return false;
        }
        if count {
            slot.1 += 1;
        }
        true
    }

    /// Wraps an open node. Fails if the node has no checkpoint yet or the submitter is not
    /// registered on its ledger.
    pub fn new(mut node: Node, config: Config) -> Result<Arc<Self>, String> {
        let cp = node
            .checkpoint()
            .map_err(|e| format!("reading the checkpoint: {e}"))?
            .map(|(_, note)| note)
            .ok_or("the ledger has no checkpoint yet")?;
        let name = knop_ledger::entry::OrgName::parse(config.submitter.key_name())
            .map_err(|e| e.to_string())?;
        if node.state().org_key(&name) != Some(&config.submitter.public_key()) {
            return Err(format!(
                "the organisation {} is not registered on this ledger with this key",
                config.submitter.key_name()
            ));
        }
        if let Some(dir) = &config.assets {
            pages::load_design_system(dir, config.theme)?;
        }
        // A new ledger gets its own payment id scope before its first household.
        let now = jiff::Timestamp::now().as_millisecond().max(0) as u64;
        knop_app::ops::ensure_id_scope(&mut node, &config.submitter, now)
            .map_err(|e| format!("recording the payment id scope: {e}"))?;
        let oidc = match &config.oidc {
            Some(c) => Some(oidc::Oidc::new(c.clone()).map_err(|e| e.to_string())?),
            None => None,
        };
        let vault = match &config.vault {
            Some((dir, key)) => Some(vault::Vault::open(dir, key).map_err(|e| e.to_string())?),
            None => None,
        };
        let sealer = journal::Sealer::new(&config.submitter.signing_key().to_bytes(), "statements");
        let statements = match &config.statement_dir {
            Some(dir) => load_statements(dir, vault.as_ref(), &sealer, &config.foundation_iban)?,
            None => vec![],
        };
        for k in &config.api_keys {
            let known = knop_ledger::entry::OrgName::parse(&k.org)
                .ok()
                .is_some_and(|n| node.state().orgs().contains_key(&n));
            if !known {
                return Err(format!(
                    "API key for organisation {:?}: it is not registered on the ledger (knop org register)",
                    k.org
                ));
            }
        }
        let sessions = auth::Sessions::new(Duration::from_secs(8 * 3600));
        let idempotency = idempotency::Keys::new(Duration::from_secs(24 * 3600));
        let users: HashMap<String, User> = config
            .users
            .iter()
            .map(|u| (u.login.clone(), u.clone()))
            .collect();
        if let Some(path) = &config.journal {
            let secret = config.submitter.signing_key().to_bytes();
            let loaded = journal::Journal::open(path, &secret, |all| {
                let mut live = auth::Sessions::live(&all);
                live.extend(idempotency.live(&all));
                live
            })?;
            if loaded.skipped > 0 {
                eprintln!(
                    "knop: {}: {} line(s) could not be read and were dropped (cut off by a crash, or sealed with another key)",
                    path.display(),
                    loaded.skipped
                );
            }
            let j = Arc::new(loaded.journal);
            sessions.remember(j.clone(), &loaded.records, &users);
            idempotency.remember(j, &loaded.records);
        }
        for k in &config.hosted {
            let name =
                knop_ledger::entry::OrgName::parse(k.key_name()).map_err(|e| e.to_string())?;
            if node.state().org_key(&name) != Some(&k.public_key()) {
                return Err(format!(
                    "the organisation {} is not registered on this ledger with this key",
                    k.key_name()
                ));
            }
        }
        Ok(Arc::new(Self {
            spends: Mutex::default(),
            sealer,
            lookups: Mutex::default(),
            status_lists: Mutex::default(),
            vault,
            oidc,
            statements: RwLock::new(statements),
            node: Mutex::new(node),
            checkpoint: RwLock::new(Arc::new(cp)),
            api_keys: config
                .api_keys
                .iter()
                .map(|k| (k.digest, k.clone()))
                .collect(),
            users,
            sessions,
            idempotency,
            config,
        }))
    }

    /// The node, locked. A panic elsewhere while holding it does not poison the service: the
    /// node itself refuses work after a failed write (`NeedsRecovery`), and is opened again
    /// here (replaying what is durable) when the service knows how.
    pub fn node(&self) -> MutexGuard<'_, Node> {
        let mut node = self.node.lock().unwrap_or_else(|e| e.into_inner());
        if node.needs_recovery() {
            if let Some(reopen) = &self.config.reopen {
                node.close();
                match reopen() {
                    Ok(n) => {
                        eprintln!("knop: the ledger was opened again after a failed write ({} entries durable)", n.size());
                        *node = n;
                    }
                    Err(e) => eprintln!("knop: opening the ledger again failed: {e}"),
                }
            }
        }
        node
    }

    /// How residents reach the counsellor whose pseudonymous id is `counsellor`, if configured.
    pub fn counsellor_contact(&self, counsellor: &str) -> Option<String> {
        self.users.values().find_map(|u| match &u.role {
            Role::Counsellor { counsellor: c } if c == counsellor => u.contact.clone(),
            _ => None,
        })
    }

    /// The display name of the counsellor whose pseudonymous id is `counsellor`, if a user of
    /// this service is that counsellor.
    pub fn counsellor_name(&self, counsellor: &str) -> Option<String> {
        self.users.values().find_map(|u| match &u.role {
            Role::Counsellor { counsellor: c } if c == counsellor => Some(u.display.clone()),
            _ => None,
        })
    }

    /// Whether the service can write: the ledger is open and no failed write waits for
    /// recovery.
    pub fn ready(&self) -> Result<u64, String> {
        let node = self.node();
        if node.needs_recovery() {
            Err("an earlier write to the ledger failed and the ledger could not be opened again; restart the service".into())
        } else {
            Ok(node.size())
        }
    }

    /// The latest signed checkpoint note.
    pub fn checkpoint(&self) -> Arc<String> {
        self.checkpoint
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Re-reads the checkpoint after a submission.
    fn refresh_checkpoint(&self, node: &mut Node) {
        if let Ok(Some((_, note))) = node.checkpoint() {
            *self.checkpoint.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(note);
        }
    }

    /// The service's today.
    pub fn today(&self) -> Date {
        self.config.today.unwrap_or_else(|| {
            jiff::Timestamp::now()
                .to_zoned(
                    jiff::tz::TimeZone::get("Europe/Amsterdam").unwrap_or(jiff::tz::TimeZone::UTC),
                )
                .date()
        })
    }

    /// The start of the service's today (UTC midnight), in ms: the moment opt-ins are judged at.
    pub fn today_ms(&self) -> u64 {
        self.today()
            .to_zoned(jiff::tz::TimeZone::UTC)
            .map(|z| z.timestamp().as_millisecond().max(0) as u64)
            .unwrap_or(0)
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The statements imported through the service (kept on disk: in the order of their names).
    pub fn statements(&self) -> Vec<Arc<Stored>> {
        self.statements
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Writes an uploaded statement to disk (if configured) before it is booked, durably: what
    /// the ledger books is then always there to show. Encrypted with the vault's key when there
    /// is a vault (statements name people and their IBANs). A file kept before is not written
    /// again.
    fn keep_statement_file(&self, bytes: &[u8]) -> Result<Kept, String> {
        use sha2::{Digest, Sha256};
        let sha256: String = Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let known = self.statements_list().iter().any(|s| s.sha256 == sha256);
        let Some(dir) = self.config.statement_dir.as_ref().filter(|_| !known) else {
            return Ok(Kept { sha256, path: None });
        };
        // Always encrypted at rest: statements name many people and their IBANs.
        let (path, bytes) = match &self.vault {
            Some(v) => (
                dir.join(format!("{sha256}.xml.enc")),
                v.seal_file(&sha256, bytes),
            ),
            None => (
                dir.join(format!("{sha256}.xml.sealed")),
                self.sealer.seal(&sha256, bytes),
            ),
        };
        let tmp = dir.join(format!("{sha256}.tmp"));
        let written = (|| {
            use std::io::Write;
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
            std::fs::rename(&tmp, &path)?;
            std::fs::File::open(dir)?.sync_all()
        })();
        if let Err(e) = written {
            // Nothing half-written stays behind (a full disk, say).
            let _ = std::fs::remove_file(&tmp);
            return Err(format!(
                "keeping the statement in {} before booking it: {e}; nothing was booked",
                dir.display()
            ));
        }
        Ok(Kept {
            sha256,
            path: Some(path),
        })
    }

    /// Takes a statement kept by [`Self::keep_statement_file`] into the list once it is booked;
    /// `booked` false (the ledger refused it) removes the file again.
    fn remember_statement(
        &self,
        kept: Kept,
        booked: Option<(
            knop_bank::camt053::File,
            knop_huishoudboekje::booking::ImportPlan,
        )>,
    ) {
        let mut list = self.statements.write().unwrap_or_else(|e| e.into_inner());
        if list.iter().any(|s| s.sha256 == kept.sha256) {
            return;
        }
        match booked {
            Some((file, plan)) => list.push(Arc::new(Stored {
                sha256: kept.sha256,
                file,
                plan,
            })),
            None => {
                if let Some(path) = kept.path {
                    let _ = std::fs::remove_file(path);
                }
            }
        }
    }

    /// Redacts `household`'s lines in every kept statement (names, addresses, IBANs and free
    /// text become "GEWIST"), on disk and in memory: after an erasure no file knop wrote holds a
    /// readable trace of it. Returns how many statements changed.
    pub(crate) fn redact_statements(
        &self,
        household: knop_huishoudboekje::HouseholdId,
    ) -> Result<usize, String> {
        type Positions = std::collections::HashSet<(usize, usize)>;
        let chosen: Vec<(Arc<Stored>, Positions)> = {
            let node = self.node();
            self.statements()
                .into_iter()
                .map(|st| {
                    let e = knop_app::statements::entries_of(node.state().book(), &st, household);
                    (st, e)
                })
                .filter(|(_, e)| !e.is_empty())
                .collect()
        };
        let Some(dir) = &self.config.statement_dir else {
            return Ok(0);
        };
        let mut changed = 0;
        for (st, entries) in chosen {
            let sha = &st.sha256;
            let (path, plain) = match &self.vault {
                Some(v) => {
                    let path = dir.join(format!("{sha}.xml.enc"));
                    let raw =
                        std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
                    (path, v.open_file(sha, &raw).map_err(|e| e.to_string())?)
                }
                None => {
                    let path = dir.join(format!("{sha}.xml.sealed"));
                    let raw =
                        std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
                    let plain = self
                        .sealer
                        .open(sha, &raw)
                        .ok_or_else(|| format!("{}: cannot be opened", path.display()))?;
                    (path, plain)
                }
            };
            let redacted =
                knop_bank::redact::redact(&plain, &entries).map_err(|e| e.to_string())?;
            let file = knop_bank::camt053::parse(&redacted).map_err(|e| e.to_string())?;
            let plan =
                knop_huishoudboekje::booking::plan_import(&file, &self.config.foundation_iban)
                    .map_err(|e| e.to_string())?;
            // Kept under its first digest: the ledger's lines and the suspense ids refer to it.
            let sealed = match &self.vault {
                Some(v) => v.seal_file(sha, &redacted),
                None => self.sealer.seal(sha, &redacted),
            };
            let tmp = path.with_extension("tmp");
            std::fs::write(&tmp, sealed)
                .and_then(|_| std::fs::File::open(&tmp)?.sync_all())
                .and_then(|_| std::fs::rename(&tmp, &path))
                .map_err(|e| format!("{}: {e}", path.display()))?;
            let mut list = self.statements.write().unwrap_or_else(|e| e.into_inner());
            if let Some(slot) = list.iter_mut().find(|s| s.sha256 == *sha) {
                *slot = Arc::new(Stored {
                    sha256: sha.clone(),
                    file,
                    plan,
                });
            }
            changed += 1;
        }
        Ok(changed)
    }

    fn statements_list(&self) -> std::sync::RwLockReadGuard<'_, Vec<Arc<Stored>>> {
        self.statements.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The personal-data vault, if kept here.
    pub fn vault(&self) -> Option<&vault::Vault> {
        self.vault.as_ref()
    }

    /// Who pays in payment runs.
    pub fn debtor(&self) -> payrun::Debtor {
        payrun::Debtor {
            name: self.config.foundation_name.clone(),
            iban: self.config.foundation_iban.clone(),
            advance_limit_cents: self.config.advance_limit_cents,
        }
    }

    /// A user by login.
    pub fn user(&self, login: &str) -> Option<&User> {
        self.users.get(login)
    }

    /// The key of organisation `org`, if the service signs for it.
    pub fn hosted(&self, org: &str) -> Option<&NoteKey> {
        self.config.hosted.iter().find(|k| k.key_name() == org)
    }

    /// The municipality `org` as issuer of declarations, if the service signs for it and it is
    /// registered as a municipality.
    pub fn issuer(&self, org: &str) -> Option<knop_app::declarations::Issuer<'_>> {
        let node = self.node();
        self.issuer_in(node.state(), org)
    }

    /// Like [`App::issuer`], with the ledger's state at hand (the node already locked).
    pub fn issuer_in(
        &self,
        state: &knop_state::State,
        org: &str,
    ) -> Option<knop_app::declarations::Issuer<'_>> {
        let key = self.hosted(org)?;
        let name = knop_ledger::entry::OrgName::parse(org).ok()?;
        let kind = state.orgs().get(&name).map(|o| o.kind);
        (kind == Some(knop_state::OrgKind::Municipality)).then(|| knop_app::declarations::Issuer {
            key,
            url: &self.config.public_url,
            months: self.config.declaration_months,
        })
    }

    /// The municipalities the service issues for.
    pub fn issuers(&self) -> Vec<knop_app::declarations::Issuer<'_>> {
        let node = self.node();
        self.config
            .hosted
            .iter()
            .filter_map(|k| self.issuer_in(node.state(), k.key_name()))
            .collect()
    }

    /// The status list of municipality `org` as a signed `statuslist+jwt`, made again only when
    /// the ledger has changed.
    pub fn status_list_token(&self, org: &str) -> Option<Arc<String>> {
        let (issuer, size, list) = {
            let node = self.node();
            let issuer = self.issuer_in(node.state(), org)?;
            let size = node.size();
            let cached = self
                .status_lists
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(org)
                .filter(|(at, _)| *at == size)
                .map(|(_, t)| t.clone());
            if let Some(t) = cached {
                return Some(t);
            }
            let list = knop_app::declarations::status_list(node.state(), org);
            (issuer, size, list)
        };
        let now = jiff::Timestamp::now().as_second();
        let token = Arc::new(knop_declaration::status_list_token(
            &list,
            &issuer.status_uri(),
            issuer.key.signing_key(),
            &issuer.kid(),
            now,
            300,
        ));
        self.status_lists
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(org.to_owned(), (size, token.clone()));
        Some(token)
    }
}

/// The issuer's metadata (SD-JWT VC draft, section 4): its identifier and its keys as a JWKS.
async fn jwt_vc_issuer(State(app): State<Arc<App>>) -> Response {
    let keys: Vec<serde_json::Value> = app
        .issuers()
        .iter()
        .map(|i| {
            let mut k = knop_declaration::jwk(&i.key.public_key());
            k["kid"] = serde_json::Value::String(i.kid());
            k["alg"] = "EdDSA".into();
            k["use"] = "sig".into();
            k
        })
        .collect();
    axum::Json(serde_json::json!({
        "issuer": app.config.public_url.trim_end_matches('/'),
        "jwks": {"keys": keys},
    }))
    .into_response()
}

/// Reads the kept statements (encrypted ones through the vault); a file that no longer decrypts
/// or parses is an error naming it.
/// A statement written to disk before booking: its digest, and its file if written now.
struct Kept {
    sha256: String,
    path: Option<std::path::PathBuf>,
}

fn load_statements(
    dir: &std::path::Path,
    vault: Option<&vault::Vault>,
    sealer: &journal::Sealer,
    foundation_iban: &str,
) -> Result<Vec<Arc<Stored>>, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .is_some_and(|x| x == "xml" || x == "enc" || x == "sealed")
        })
        .collect();
    names.sort();
    let mut out = vec![];
    for path in names {
        let raw = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let name = path
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let sha256 = name.split('.').next().unwrap_or_default().to_owned();
        if out.iter().any(|s: &Arc<Stored>| s.sha256 == sha256) {
            // The same file twice (a plain copy a crash left beside its sealed one).
            continue;
        }
        let bytes = if name.ends_with(".enc") {
            let Some(v) = vault else {
                return Err(format!(
                    "{}: encrypted, and no vault master key is given",
                    path.display()
                ));
            };
            v.open_file(&sha256, &raw)
                .map_err(|e| format!("{}: {e}", path.display()))?
        } else if name.ends_with(".sealed") {
            sealer.open(&sha256, &raw).ok_or_else(|| {
                format!(
                    "{}: sealed with another organisation's key than the one given (--as)",
                    path.display()
                )
            })?
        } else {
            // Kept in plain text by an earlier version: sealed now, the plain copy removed.
            let (to, sealed) = match vault {
                Some(v) => (format!("{sha256}.xml.enc"), v.seal_file(&sha256, &raw)),
                None => (format!("{sha256}.xml.sealed"), sealer.seal(&sha256, &raw)),
            };
            std::fs::write(dir.join(&to), sealed)
                .and_then(|_| std::fs::remove_file(&path))
                .map_err(|e| format!("{}: sealing it: {e}", path.display()))?;
            raw
        };
        let file =
            knop_bank::camt053::parse(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        let plan = knop_huishoudboekje::booking::plan_import(&file, foundation_iban)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        out.push(Arc::new(Stored { sha256, file, plan }));
    }
    Ok(out)
}

/// The whole service as one router.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/healthz", axum::routing::get(|| async { "ok\n" }))
        .route(
            "/readyz",
            axum::routing::get(readyz).with_state(app.clone()),
        )
        .route(
            "/.well-known/jwt-vc-issuer",
            axum::routing::get(jwt_vc_issuer).with_state(app.clone()),
        )
        // API answers are compressed when asked (gzip or br): they carry no secret a reflected
        // input could reveal through their size (the session is a cookie, never in a body).
        .merge(api::router(app.clone()).layer(tower_http::compression::CompressionLayer::new()))
        .merge(pages::router(app.clone()))
        .layer(middleware::from_fn_with_state(app.clone(), authenticate))
        .layer(middleware::from_fn_with_state(app, security_headers))
}

/// Readiness for a process supervisor: 200 when the ledger takes writes, 503 (a problem) when
/// an earlier write failed and could not be recovered.
async fn readyz(State(app): State<Arc<App>>) -> Response {
    let app2 = app.clone();
    match tokio::task::spawn_blocking(move || app2.ready()).await {
        Ok(Ok(size)) => format!("ok {size} entries\n").into_response(),
        Ok(Err(why)) => Problem::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "not-ready",
            "Niet beschikbaar",
            why,
        )
        .into_response(),
        Err(e) => Problem::internal(format!("the readiness check failed: {e}")).into_response(),
    }
}

/// How long a client may take to send a request's headers: a connection that sends an
/// incomplete header is closed after this (slowloris), instead of being held open.
pub const HEADER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// How long a client may take to send a request's body (a month's camt.053 over a slow line
/// fits): after this the request is answered 408.
pub const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);
/// How long requests in flight get to finish after Ctrl-C or SIGTERM.
const DRAIN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Serves until Ctrl-C (or SIGTERM), then finishes the requests in flight (at most
/// [`DRAIN_TIMEOUT`]). Headers must arrive within [`HEADER_TIMEOUT`], bodies within
/// [`BODY_TIMEOUT`].
pub async fn serve(listener: tokio::net::TcpListener, app: Arc<App>) -> std::io::Result<()> {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    let router = router(app).layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
        BODY_TIMEOUT,
    ));
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut stop = std::pin::pin!(shutdown());
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                // Out of file descriptors, say: the listener stays; the next accept may work.
                Err(e) => {
                    eprintln!("knop: accepting a connection failed: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut stop => break,
        };
        let service = hyper_util::service::TowerToHyperService::new(router.clone());
        let conn = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), service)
            .into_owned();
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            let _ = conn.await;
        });
    }
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(DRAIN_TIMEOUT) => {
            eprintln!("knop: requests still running after {DRAIN_TIMEOUT:?} were cut off");
        }
    }
    Ok(())
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "knop_session";

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Finds out who is asking; puts a [`Principal`] in the request's extensions. A bearer token
/// that is not known is refused at once (401), so that a typo in a key never looks like an
/// anonymous request. Cookie sessions must show the CSRF token on the API's unsafe methods.
async fn authenticate(State(app): State<Arc<App>>, mut req: Request, next: Next) -> Response {
    let headers = req.headers();
    let principal = if let Some(auth) = headers.get(header::AUTHORIZATION) {
        let Some(token) = auth.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")) else {
            return Problem::bad_request("Authorization: expected `Bearer <token>`")
                .into_response();
        };
        let token = token.trim();
        let found = if token.starts_with("knop_s_") {
            app.sessions.lookup(token, auth::Via::Bearer)
        } else {
            app.api_keys.get(&auth::digest(token)).map(|k| Principal {
                id: k.org.clone(),
                display: k.org.clone(),
                role: k.role.clone(),
                via: auth::Via::Bearer,
                csrf: None,
                session: None,
            })
        };
        match found {
            Some(p) => Some(p),
            None => return Problem::unauthenticated().into_response(),
        }
    } else {
        cookie(headers, SESSION_COOKIE).and_then(|t| app.sessions.lookup(t, auth::Via::Cookie))
    };
    if let Some(p) = &principal {
        let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
        if p.via == auth::Via::Cookie && unsafe_method && req.uri().path().starts_with("/api/") {
            let sent = req
                .headers()
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok());
            if sent.is_none() || sent != p.csrf.as_deref() {
                return Problem::forbidden(
                    "a browser session must send its CSRF token as X-CSRF-Token",
                )
                .into_response();
            }
        }
    }
    if let Some(p) = principal {
        req.extensions_mut().insert(p);
    }
    next.run(req).await
}

/// Security headers on every response: no framing, no sniffing, no referrer, a content security
/// policy without inline script, HSTS when served over TLS; and no caching of anything but the
/// public assets that say otherwise (pages, personal data and payment files are never kept by a
/// browser or a proxy).
async fn security_headers(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let mut r = next.run(req).await;
    let h = r.headers_mut();
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if app.config.tls {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    r
}
