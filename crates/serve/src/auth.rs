//! Who is asking, and what they may do.
//!
//! People log in and get a session (a random token in a `Secure; HttpOnly; SameSite=Strict`
//! cookie, or sent as a bearer token by an app); organisations (payers, creditors, auditors)
//! send an API key as a bearer token. Only SHA-256 digests of tokens and keys are kept: both are
//! 256-bit random values, so a plain hash is enough (password stretching protects guessable
//! secrets, and these are not guessable).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use base64::prelude::{Engine as _, BASE64_URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};

use crate::problem::Problem;
pub use knop_app::access::Role;

/// A person who may log in.
#[derive(Debug, Clone)]
pub struct User {
    /// The login name (with OpenID Connect: the subject).
    pub login: String,
    /// A name to greet them with (pseudonymous in the demo).
    pub display: String,
    /// Their role.
    pub role: Role,
    /// How residents reach them (a counsellor's team phone and e-mail), shown on the residents'
    /// pages; staff contact details, not a resident's personal data.
    pub contact: Option<String>,
}

/// An organisation's API key, kept as a digest.
#[derive(Debug, Clone)]
pub struct ApiKey {
    /// SHA-256 of the key.
    pub digest: [u8; 32],
    /// The organisation's name as registered on the ledger.
    pub org: String,
    /// Its role.
    pub role: Role,
}

/// Bytes as lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// 32 bytes from 64 hex digits.
pub(crate) fn unhex(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 || !text.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

/// SHA-256 of a token or key.
pub fn digest(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// A new random secret: 32 bytes, base64url, with a prefix that says what it is.
pub fn new_secret(prefix: &str) -> String {
    format!(
        "{prefix}_{}",
        BASE64_URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
    )
}

/// How a request was authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// A session cookie (a browser): unsafe methods also need the CSRF token.
    Cookie,
    /// A bearer token (an app or an organisation's system).
    Bearer,
}

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The login or organisation name (never personal data in logs: logins are pseudonymous).
    pub id: String,
    /// The name shown to the person themselves (the configured display name; the organisation's
    /// name for an API key). Shown on their own pages only, never logged.
    pub display: String,
    /// What they may do.
    pub role: Role,
    /// How they came in.
    pub via: Via,
    /// The session's CSRF token (for forms), if a session.
    pub csrf: Option<String>,
    /// The session token's digest, if a session (to log out).
    pub session: Option<[u8; 32]>,
}

impl<S: Send + Sync> FromRequestParts<S> for Principal {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Principal>()
            .cloned()
            .ok_or_else(Problem::unauthenticated)
    }
}

/// A caller who may or may not be logged in (pages that show a login link).
#[derive(Debug, Clone)]
pub struct MaybePrincipal(pub Option<Principal>);

impl<S: Send + Sync> FromRequestParts<S> for MaybePrincipal {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(MaybePrincipal(parts.extensions.get::<Principal>().cloned()))
    }
}

struct Session {
    login: String,
    display: String,
    role: Role,
    csrf: String,
    expires: Instant,
}

/// Sessions of people, by token digest; remembered across a restart when the service keeps a
/// journal (only the token's digest is kept, never the token).
pub struct Sessions {
    map: Mutex<HashMap<[u8; 32], Session>>,
    ttl: Duration,
    journal: std::sync::OnceLock<std::sync::Arc<crate::journal::Journal>>,
}

/// At most this many live sessions; beyond it the oldest expire first.
const SESSIONS_MAX: usize = 100_000;

impl Sessions {
    /// No sessions; each lasts `ttl` from login.
    pub fn new(ttl: Duration) -> Self {
        Self {
            map: Mutex::new(HashMap::new()),
            ttl,
            journal: std::sync::OnceLock::new(),
        }
    }

    /// Remembers sessions in `journal` from now on, and takes back those it holds that are
    /// still live and whose login still exists (`users`; its role now, not then).
    pub fn remember(
        &self,
        journal: std::sync::Arc<crate::journal::Journal>,
        records: &[crate::journal::Record],
        users: &HashMap<String, User>,
    ) {
        use crate::journal::Record;
        let now_ms = crate::journal::now_ms();
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        for r in records {
            match r {
                Record::Session {
                    digest,
                    login,
                    csrf,
                    expires_ms,
                } => {
                    let (Some(d), Some(user)) = (unhex(digest), users.get(login)) else {
                        continue;
                    };
                    let Some(left) = expires_ms.checked_sub(now_ms) else {
                        continue;
                    };
                    map.insert(
                        d,
                        Session {
                            login: login.clone(),
                            display: user.display.clone(),
                            role: user.role.clone(),
                            csrf: csrf.clone(),
                            expires: Instant::now() + Duration::from_millis(left),
                        },
                    );
                }
                Record::SessionEnded { digest } => {
                    if let Some(d) = unhex(digest) {
                        map.remove(&d);
                    }
                }
                Record::Answer { .. } => {}
            }
        }
        let _ = self.journal.set(journal);
    }

    /// The live sessions as journal records (to rewrite the journal with).
    pub fn live(records: &[crate::journal::Record]) -> Vec<crate::journal::Record> {
        use crate::journal::Record;
        let now_ms = crate::journal::now_ms();
        let ended: std::collections::HashSet<&str> = records
            .iter()
            .filter_map(|r| match r {
                Record::SessionEnded { digest } => Some(digest.as_str()),
                _ => None,
            })
            .collect();
        records
            .iter()
            .filter(|r| {
                matches!(r, Record::Session { digest, expires_ms, .. }
                    if *expires_ms > now_ms && !ended.contains(digest.as_str()))
            })
            .cloned()
            .collect()
    }

    fn note(&self, r: crate::journal::Record) {
        if let Some(j) = self.journal.get() {
            if let Err(e) = j.append(&r) {
                eprintln!("knop: the session journal could not be written ({e}); this session will not survive a restart");
            }
        }
    }

    /// Starts a session for `user`; returns the token to hand out (only its digest is kept).
    pub fn start(&self, user: &User) -> String {
        let token = new_secret("knop_s");
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        // Expired sessions are refused on lookup; they are swept only when the map is full.
        if map.len() >= SESSIONS_MAX {
            map.retain(|_, s| s.expires > now);
        }
        if map.len() >= SESSIONS_MAX {
            if let Some(oldest) = map.iter().min_by_key(|(_, s)| s.expires).map(|(k, _)| *k) {
                map.remove(&oldest);
            }
        }
        let (d, csrf) = (digest(&token), new_secret("csrf"));
        map.insert(
            d,
            Session {
                login: user.login.clone(),
                display: user.display.clone(),
                role: user.role.clone(),
                csrf: csrf.clone(),
                expires: now + self.ttl,
            },
        );
        drop(map);
        self.note(crate::journal::Record::Session {
            digest: hex(&d),
            login: user.login.clone(),
            csrf,
            expires_ms: crate::journal::now_ms() + self.ttl.as_millis() as u64,
        });
        token
    }

    /// The principal of a live session token.
    pub fn lookup(&self, token: &str, via: Via) -> Option<Principal> {
        let d = digest(token);
        let map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        let s = map.get(&d).filter(|s| s.expires > Instant::now())?;
        Some(Principal {
            id: s.login.clone(),
            display: s.display.clone(),
            role: s.role.clone(),
            via,
            csrf: Some(s.csrf.clone()),
            session: Some(d),
        })
    }

    /// Ends a session.
    pub fn end(&self, digest: &[u8; 32]) {
        self.map
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(digest);
        self.note(crate::journal::Record::SessionEnded {
            digest: hex(digest),
        });
    }
}
