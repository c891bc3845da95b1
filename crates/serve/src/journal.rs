//! What the service remembers across a restart besides the ledger: people's sessions and the
//! answers given to `Idempotency-Key`s. Without it a restart logged everyone out and forgot
//! every key (a key reused with another body was then accepted).
//!
//! One append-only file, one record a line, each line sealed (XChaCha20-Poly1305, a key derived
//! from the submitting organisation's signing key): answers can name households and session
//! records hold CSRF secrets, so nothing in it is readable without that key. Each record is
//! written and synced before the answer it belongs to is sent. On start the file is read (a torn
//! last line from a crash is skipped and reported), expired records are dropped, and the file is
//! rewritten with what is still live.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// One remembered fact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum Record {
    /// A session started.
    Session {
        /// The token's digest, hex.
        digest: String,
        /// Who logged in.
        login: String,
        /// The session's CSRF secret.
        csrf: String,
        /// When it expires, Unix milliseconds.
        expires_ms: u64,
    },
    /// A session ended (logged out).
    SessionEnded {
        /// The token's digest, hex.
        digest: String,
    },
    /// The answer to a request with an `Idempotency-Key`.
    Answer {
        /// The caller.
        who: String,
        /// The key.
        key: String,
        /// The request's fingerprint (method, URI, body), hex.
        fingerprint: String,
        /// The answer's status.
        status: u16,
        /// Its content type.
        content_type: Option<String>,
        /// Its body, base64.
        body: String,
        /// When it was given, Unix milliseconds.
        at_ms: u64,
    },
}

/// The journal file, open for appending.
pub struct Journal {
    path: PathBuf,
    aead: XChaCha20Poly1305,
    /// The file written to, and how many lines were written.
    file: Mutex<(File, u64)>,
    /// A second handle on the file, held by whoever syncs (one at a time).
    syncer: Mutex<File>,
    /// How many lines a finished sync covers.
    synced: std::sync::atomic::AtomicU64,
}

/// What reading the journal found.
pub struct Loaded {
    /// The journal, open for appending.
    pub journal: Journal,
    /// The live records, in the order written.
    pub records: Vec<Record>,
    /// Lines that could not be read (a torn last line, or written with another key).
    pub skipped: usize,
}

const AD: &[u8] = b"knop-serve-journal-v1";

impl Journal {
    /// Opens (or creates) the journal at `path`, sealed with a key derived from `secret`; keeps
    /// the records `live` returns of those read (in order) and rewrites the file with them.
    pub fn open(
        path: &Path,
        secret: &[u8; 32],
        live: impl FnOnce(Vec<Record>) -> Vec<Record>,
    ) -> Result<Loaded, String> {
        let key: [u8; 32] = Sha256::new()
            .chain_update(AD)
            .chain_update(secret)
            .finalize()
            .into();
        let aead = XChaCha20Poly1305::new(&key.into());
        let text = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => vec![],
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        let (mut records, mut skipped) = (vec![], 0usize);
        for line in text.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            match open_line(&aead, line) {
                Some(r) => records.push(r),
                None => skipped += 1,
            }
        }
        let records = live(records);
        // Rewritten with what is live: the file stays as small as what it must remember.
        let tmp = path.with_extension("tmp");
        let written = (|| {
            let mut f = File::create(&tmp)?;
            for r in &records {
                f.write_all(&seal_line(&aead, r))?;
            }
            f.sync_all()?;
            std::fs::rename(&tmp, path)
        })();
        written.map_err(|e| format!("rewriting {}: {e}", path.display()))?;
        let file = std::fs::OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let syncer = file
            .try_clone()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Loaded {
            journal: Journal {
                path: path.to_owned(),
                aead,
                file: Mutex::new((file, 0)),
                syncer: Mutex::new(syncer),
                synced: std::sync::atomic::AtomicU64::new(0),
            },
            records,
            skipped,
        })
    }

    /// Appends `r` and syncs it to disk. Appends from many threads share syncs (group commit):
    /// a line is written under the file's lock, then whoever holds the syncer syncs every line
    /// written so far; a line a finished sync already covers returns without syncing again.
    pub fn append(&self, r: &Record) -> Result<(), String> {
        use std::sync::atomic::Ordering;
        let line = seal_line(&self.aead, r);
        let io = |e: std::io::Error| format!("{}: {e}", self.path.display());
        let mine = {
            let mut f = self.file.lock().unwrap_or_else(|e| e.into_inner());
            f.0.write_all(&line).map_err(io)?;
            f.1 += 1;
            f.1
        };
        let syncer = self.syncer.lock().unwrap_or_else(|e| e.into_inner());
        if self.synced.load(Ordering::Acquire) >= mine {
            return Ok(());
        }
        let upto = self.file.lock().unwrap_or_else(|e| e.into_inner()).1;
        syncer.sync_data().map_err(io)?;
        self.synced.fetch_max(upto, Ordering::Release);
        Ok(())
    }
}

fn seal_line(aead: &XChaCha20Poly1305, r: &Record) -> Vec<u8> {
    let plain = serde_json::to_vec(r).unwrap_or_default();
    let nonce: [u8; 24] = rand::random();
    let sealed = aead
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: &plain,
                aad: AD,
            },
        )
        .unwrap_or_default();
    let mut out = base64::engine::general_purpose::STANDARD
        .encode([nonce.as_slice(), &sealed].concat())
        .into_bytes();
    out.push(b'\n');
    out
}

fn open_line(aead: &XChaCha20Poly1305, line: &[u8]) -> Option<Record> {
    let raw = base64::engine::general_purpose::STANDARD
        .decode(line)
        .ok()?;
    if raw.len() < 24 {
        return None;
    }
    let (nonce, sealed) = raw.split_at(24);
    let plain = aead
        .decrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: sealed,
                aad: AD,
            },
        )
        .ok()?;
    serde_json::from_slice(&plain).ok()
}

/// Seals whole files (statements kept without a vault) with a key derived from the submitting
/// organisation's key and a purpose; each file's name is bound to its ciphertext.
pub struct Sealer(XChaCha20Poly1305);

impl Sealer {
    /// The sealer for `purpose` under `secret`.
    pub fn new(secret: &[u8; 32], purpose: &str) -> Self {
        let key: [u8; 32] = Sha256::new()
            .chain_update(b"knop-serve-sealer-v1\0")
            .chain_update(purpose)
            .chain_update([0])
            .chain_update(secret)
            .finalize()
            .into();
        Self(XChaCha20Poly1305::new(&key.into()))
    }

    /// `plain`, sealed under `name`: nonce || ciphertext.
    pub fn seal(&self, name: &str, plain: &[u8]) -> Vec<u8> {
        let nonce: [u8; 24] = rand::random();
        let sealed = self
            .0
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: name.as_bytes(),
                },
            )
            .unwrap_or_default();
        [nonce.as_slice(), &sealed].concat()
    }

    /// What [`Sealer::seal`] sealed under `name`; `None` if it was not (another key, another
    /// name, damaged).
    pub fn open(&self, name: &str, sealed: &[u8]) -> Option<Vec<u8>> {
        if sealed.len() < 24 {
            return None;
        }
        let (nonce, c) = sealed.split_at(24);
        self.0
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: c,
                    aad: name.as_bytes(),
                },
            )
            .ok()
    }
}

/// Now, Unix milliseconds.
pub fn now_ms() -> u64 {
    jiff::Timestamp::now().as_millisecond().max(0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(at_ms: u64) -> Record {
        Record::Answer {
            who: "consulent-a".into(),
            key: "k".into(),
            fingerprint: "00".into(),
            status: 201,
            content_type: Some("application/json".into()),
            body: "e30=".into(),
            at_ms,
        }
    }

    #[test]
    fn records_survive_a_reopen_sealed_and_a_torn_line_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("service.journal");
        let secret = [7; 32];
        let l = Journal::open(&path, &secret, |r| r).unwrap();
        l.journal.append(&answer(1)).unwrap();
        l.journal
            .append(&Record::Session {
                digest: "ab".into(),
                login: "consulent-a".into(),
                csrf: "csrf_secret".into(),
                expires_ms: 5,
            })
            .unwrap();
        drop(l);
        let on_disk = std::fs::read(&path).unwrap();
        for plain in [&b"consulent-a"[..], b"csrf_secret"] {
            assert!(!on_disk.windows(plain.len()).any(|w| w == plain));
        }
        // A crash while writing: half a line at the end.
        let mut torn = on_disk.clone();
        torn.extend_from_slice(&on_disk[..10]);
        std::fs::write(&path, &torn).unwrap();
        let l = Journal::open(&path, &secret, |mut r| {
            r.retain(|r| !matches!(r, Record::Session { .. }));
            r
        })
        .unwrap();
        assert_eq!(l.records, vec![answer(1)]);
        assert_eq!(l.skipped, 1);
        drop(l);
        // Rewritten with only what was kept; another key reads nothing.
        let l = Journal::open(&path, &[8; 32], |r| r).unwrap();
        assert_eq!((l.records.len(), l.skipped), (0, 1));
    }

    #[test]
    fn lines_appended_from_many_threads_at_once_all_come_back_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("service.journal");
        let l = Journal::open(&path, &[7; 32], |r| r).unwrap();
        let j = &l.journal;
        std::thread::scope(|s| {
            for t in 0..8u64 {
                s.spawn(move || {
                    for i in 0..50 {
                        j.append(&answer(t * 1_000 + i)).unwrap();
                    }
                });
            }
        });
        drop(l);
        let l = Journal::open(&path, &[7; 32], |r| r).unwrap();
        assert_eq!((l.records.len(), l.skipped), (400, 0));
        let mut at: Vec<u64> = l
            .records
            .iter()
            .map(|r| match r {
                Record::Answer { at_ms, .. } => *at_ms,
                _ => u64::MAX,
            })
            .collect();
        at.sort_unstable();
        let want: Vec<u64> = (0..8u64)
            .flat_map(|t| (0..50).map(move |i| t * 1_000 + i))
            .collect();
        assert_eq!(at, want);
    }
}
