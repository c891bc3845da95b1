//! The `Idempotency-Key` header on the API's unsafe methods (IETF draft
//! `draft-ietf-httpapi-idempotency-key-header`): a retried request with the same key and the
//! same body gets the first answer again, marked `Idempotent-Replayed: true`, and does nothing
//! twice; the same key with another body is refused (422); a retry while the first is still
//! running is refused (409); a missing key is refused (400).
//!
//! Keys are scoped to the caller and kept for a day: in memory, and in the service's journal
//! (written and synced before the answer is sent), so a restart forgets none of them. Below
//! this, the ledger's own idempotent ids (bank entries, agreement ids, run ids) make sure that
//! even a retry whose answer never reached the journal (killed in between) books nothing twice.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::{App, Principal, Problem, BODY_MAX};

/// The longest key accepted.
pub const KEY_MAX: usize = 255;
/// At most this many keys are remembered; beyond it the oldest are forgotten first.
const KEYS_MAX: usize = 200_000;

enum Slot {
    Running,
    Done {
        fingerprint: [u8; 32],
        status: StatusCode,
        content_type: Option<HeaderValue>,
        body: Bytes,
        at: Instant,
    },
}

/// Remembered keys and their answers.
pub struct Keys {
    map: Mutex<HashMap<(String, String), Slot>>,
    ttl: Duration,
    journal: std::sync::OnceLock<Arc<crate::journal::Journal>>,
}

impl Keys {
    /// Keys remembered for `ttl`.
    pub fn new(ttl: Duration) -> Self {
        Self {
            map: Mutex::new(HashMap::new()),
            ttl,
            journal: std::sync::OnceLock::new(),
        }
    }

    /// Remembers answers in `journal` from now on, and takes back those it holds that have not
    /// expired.
    pub fn remember(
        &self,
        journal: Arc<crate::journal::Journal>,
        records: &[crate::journal::Record],
    ) {
        use base64::Engine;
        let now_ms = crate::journal::now_ms();
        let mut map = self.lock();
        for r in self.live(records) {
            let crate::journal::Record::Answer {
                who,
                key,
                fingerprint,
                status,
                content_type,
                body,
                at_ms,
            } = r
            else {
                continue;
            };
            let (Some(f), Ok(status), Ok(body)) = (
                crate::auth::unhex(&fingerprint),
                StatusCode::from_u16(status),
                base64::engine::general_purpose::STANDARD.decode(body),
            ) else {
                continue;
            };
            let age = Duration::from_millis(now_ms.saturating_sub(at_ms));
            map.insert(
                (who, key),
                Slot::Done {
                    fingerprint: f,
                    status,
                    content_type: content_type.and_then(|c| HeaderValue::from_str(&c).ok()),
                    body: Bytes::from(body),
                    at: Instant::now().checked_sub(age).unwrap_or_else(Instant::now),
                },
            );
        }
        let _ = self.journal.set(journal);
    }

    /// The answers among `records` that have not expired.
    pub fn live(&self, records: &[crate::journal::Record]) -> Vec<crate::journal::Record> {
        let now_ms = crate::journal::now_ms();
        let ttl = self.ttl.as_millis() as u64;
        records
            .iter()
            .filter(|r| {
                matches!(r, crate::journal::Record::Answer { at_ms, .. }
                    if at_ms.saturating_add(ttl) > now_ms)
            })
            .cloned()
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), Slot>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// What the middleware needs: the app, and the operations that change something (method and
/// route template, from the OpenAPI document), so that only those ask for a key and anything
/// else goes on to the router (which answers it, or says 405).
#[derive(Clone)]
pub struct Guard {
    /// The service.
    pub app: Arc<App>,
    /// Method and full route template (`/api/v1/bank-statements`) of every unsafe operation.
    pub operations: Arc<HashSet<(Method, String)>>,
}

/// Frees a key still marked running when dropped.
struct Running<'a> {
    keys: &'a Keys,
    slot: Option<(String, String)>,
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        if let Some(k) = self.slot.take() {
            let mut map = self.keys.lock();
            if matches!(map.get(&k), Some(Slot::Running)) {
                map.remove(&k);
            }
        }
    }
}

/// The one route whose retries the ledger answers by itself across a restart (see
/// [`middleware`]).
const LEDGER_IDEMPOTENT_SPENDS: &str = "/api/v1/kindpakket/spends";

/// The middleware; on the API router only.
pub async fn middleware(State(g): State<Guard>, req: Request, next: Next) -> Response {
    let matched = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned());
    // A purchase at the till is its own proof: its id comes from the code, so after a restart
    // the ledger itself answers a retry as the purchase booked (nothing twice). Its answer is
    // kept in memory only, so the till's answer waits for one sync (the ledger's), not two.
    let ledger_answers =
        req.method() == Method::POST && matched.as_deref() == Some(LEDGER_IDEMPOTENT_SPENDS);
    let guarded = matched.is_some_and(|m| g.operations.contains(&(req.method().clone(), m)));
    if !guarded {
        return next.run(req).await;
    }
    let app = g.app;
    let Some(principal) = req.extensions().get::<Principal>().cloned() else {
        return Problem::unauthenticated().into_response();
    };
    let key =
        match req.headers().get("idempotency-key").map(|v| v.to_str()) {
            None => return Problem::bad_request(
                "Idempotency-Key: required on this request (a unique value per intended action, \
                 sent again unchanged on a retry)",
            )
            .into_response(),
            Some(Ok(k)) if !k.is_empty() && k.len() <= KEY_MAX => k.to_owned(),
            Some(_) => {
                return Problem::bad_request(format!(
                    "Idempotency-Key: expected 1 to {KEY_MAX} visible ASCII characters"
                ))
                .into_response()
            }
        };
    let (parts, body) = req.into_parts();
    let bytes = match to_bytes(body, BODY_MAX).await {
        Ok(b) => b,
        Err(_) => {
            return Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too-large",
                "Te groot",
                format!("the body is larger than {BODY_MAX} bytes"),
            )
            .into_response()
        }
    };
    let mut h = Sha256::new();
    h.update(parts.method.as_str());
    h.update([0]);
    h.update(parts.uri.to_string());
    h.update([0]);
    h.update(&bytes);
    let fingerprint: [u8; 32] = h.finalize().into();
    let slot_key = (principal.id.clone(), key);
    {
        let mut map = app.idempotency.lock();
        let now = Instant::now();
        let ttl = app.idempotency.ttl;
        let expired =
            |s: &Slot| matches!(s, Slot::Done { at, .. } if now.duration_since(*at) > ttl);
        // An expired answer is as good as none.
        if map.get(&slot_key).is_some_and(expired) {
            map.remove(&slot_key);
        }
        match map.get(&slot_key) {
            Some(Slot::Running) => {
                return Problem::conflict(
                    "a request with this Idempotency-Key is still being processed; retry later",
                )
                .into_response()
            }
            Some(Slot::Done {
                fingerprint: f,
                status,
                content_type,
                body,
                ..
            }) => {
                if *f != fingerprint {
                    return Problem::unprocessable(
                        "this Idempotency-Key was used for a different request; use a new key",
                    )
                    .into_response();
                }
                let mut r = (*status, body.clone()).into_response();
                if let Some(ct) = content_type {
                    r.headers_mut().insert(header::CONTENT_TYPE, ct.clone());
                }
                r.headers_mut()
                    .insert("idempotent-replayed", HeaderValue::from_static("true"));
                return r;
            }
            None => {
                // Full: drop the expired answers (a scan only then, not on every request), then
                // the oldest if still full.
                if map.len() >= KEYS_MAX {
                    map.retain(|_, s| !expired(s));
                }
                if map.len() >= KEYS_MAX {
                    let oldest = map
                        .iter()
                        .filter_map(|(k, s)| match s {
                            Slot::Done { at, .. } => Some((k.clone(), *at)),
                            Slot::Running => None,
                        })
                        .min_by_key(|(_, at)| *at)
                        .map(|(k, _)| k);
                    if let Some(k) = oldest {
                        map.remove(&k);
                    }
                }
                map.insert(slot_key.clone(), Slot::Running);
            }
        }
    }
    // If the client goes away (the future is dropped) or the handler panics, the key must not stay
    // "in progress" for ever: the guard frees it, so the client's retry runs again (the ledger's
    // idempotent ids keep that retry from booking twice).
    let mut guard = Running {
        keys: &app.idempotency,
        slot: Some(slot_key.clone()),
    };
    let resp = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let (rparts, rbody) = resp.into_parts();
    let body = to_bytes(rbody, usize::MAX).await.unwrap_or_default();
    guard.slot = None;
    if !rparts.status.is_server_error() && !ledger_answers {
        if let Some(j) = app.idempotency.journal.get() {
            use base64::Engine;
            let r = crate::journal::Record::Answer {
                who: slot_key.0.clone(),
                key: slot_key.1.clone(),
                fingerprint: crate::auth::hex(&fingerprint),
                status: rparts.status.as_u16(),
                content_type: rparts
                    .headers
                    .get(header::CONTENT_TYPE)
                    .and_then(|c| c.to_str().ok())
                    .map(str::to_owned),
                body: base64::engine::general_purpose::STANDARD.encode(&body),
                at_ms: crate::journal::now_ms(),
            };
            // Synced on the blocking pool, with other answers' lines (group commit), so the
            // service's threads go on meanwhile.
            let j = j.clone();
            let written = tokio::task::spawn_blocking(move || j.append(&r))
                .await
                .unwrap_or_else(|e| Err(e.to_string()));
            if let Err(e) = written {
                eprintln!("knop: the idempotency journal could not be written ({e}); this answer will not be remembered across a restart");
            }
        }
    }
    let mut map = app.idempotency.lock();
    if rparts.status.is_server_error() {
        // Nothing is known to have happened: the client may retry with the same key.
        map.remove(&slot_key);
    } else {
        map.insert(
            slot_key,
            Slot::Done {
                fingerprint,
                status: rparts.status,
                content_type: rparts.headers.get(header::CONTENT_TYPE).cloned(),
                body: body.clone(),
                at: Instant::now(),
            },
        );
    }
    Response::from_parts(rparts, Body::from(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_abandoned_request_frees_its_key() {
        let keys = Keys::new(Duration::from_secs(60));
        let k = ("who".to_owned(), "key".to_owned());
        keys.lock().insert(k.clone(), Slot::Running);
        {
            let _guard = Running {
                keys: &keys,
                slot: Some(k.clone()),
            };
            // The request's future is dropped here (client gone, or a panic unwinding).
        }
        assert!(keys.lock().get(&k).is_none(), "a retry may run again");
        // A finished request keeps its answer: the guard lets go of it first.
        keys.lock().insert(
            k.clone(),
            Slot::Done {
                fingerprint: [0; 32],
                status: StatusCode::OK,
                content_type: None,
                body: Bytes::new(),
                at: Instant::now(),
            },
        );
        drop(Running {
            keys: &keys,
            slot: Some(k.clone()),
        });
        assert!(matches!(keys.lock().get(&k), Some(Slot::Done { .. })));
    }
}
