//! Keys, signed checkpoints and witness cosignatures in the C2SP text formats.
//!
//! - Keys are Ed25519 (RFC 8032) in the C2SP `signed-note` encodings: the private key
//!   `PRIVATE+KEY+<name>+<key id>+<base64(0x01 || seed)>` and the verifier key
//!   `<name>+<key id>+<base64(0x01 || public key)>`, key id = first four bytes of
//!   `SHA-256(name || "\n" || 0x01 || public key)`.
//! - A checkpoint is the C2SP `tlog-checkpoint` body (origin, size, base64 root) signed as a
//!   `signed-note`. Parsing and signing use Cloudflare's `signed_note` and `tlog_tiles` crates.
//! - Witnesses cosign with C2SP `tlog-cosignature` v1 (algorithm byte 0x04): the signature is
//!   `u64 timestamp || Ed25519("cosignature/v1\ntime <t>\n" || checkpoint body)`. No crate in
//!   our dependency set implements this verifier, so it is written here (a dozen lines).

use base64::prelude::{Engine as _, BASE64_STANDARD};
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use signed_note::{key_id, Note, Signer, StandardVerifier, Verifier, VerifierList};
use tlog_tiles::{Checkpoint, Hash};

/// Signed-note algorithm byte of Ed25519 signatures.
pub const ALG_ED25519: u8 = 0x01;
/// Signed-note algorithm byte of `tlog-cosignature` v1 witness signatures.
pub const ALG_COSIGNATURE_V1: u8 = 0x04;

/// Occurs when a key, checkpoint or note is malformed or its signatures do not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    /// Occurs when a private key is not `PRIVATE+KEY+name+id+base64` with a matching id.
    #[error("malformed private key: {0}")]
    BadPrivateKey(String),
    /// Occurs when a verifier key is not `name+id+base64` with a known algorithm and matching id.
    #[error("malformed verifier key {vkey:?}: {why}")]
    BadVerifierKey {
        /// The rejected key text.
        vkey: String,
        /// What is wrong with it.
        why: String,
    },
    /// Occurs when the note text is not a well-formed signed note.
    #[error("malformed signed note: {0}")]
    BadNote(String),
    /// Occurs when the note's text is not a well-formed C2SP checkpoint.
    #[error("malformed checkpoint body")]
    BadCheckpoint,
    /// Occurs when the note carries no valid signature of the expected key.
    #[error("checkpoint is not signed by {expected}: {why}")]
    NotSigned {
        /// The key the signature was expected from.
        expected: String,
        /// What the verifier found.
        why: String,
    },
    /// Occurs when the checkpoint's origin is not the log's origin.
    #[error("checkpoint origin {got:?} is not this log's origin {want:?}")]
    WrongOrigin {
        /// The origin in the checkpoint.
        got: String,
        /// The origin expected.
        want: String,
    },
}

/// An Ed25519 key with its signed-note name: signs checkpoints (operator) or entries
/// (organisations).
#[derive(Clone)]
pub struct NoteKey {
    name: String,
    key: SigningKey,
    id: u32,
}

impl std::fmt::Debug for NoteKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NoteKey({}+{:08x})", self.name, self.id)
    }
}

fn ed25519_key_id(name: &str, public: &VerifyingKey) -> u32 {
    key_id(name, &[&[ALG_ED25519][..], public.as_bytes()].concat())
}

impl NoteKey {
    /// A key named `name` from a 32-byte Ed25519 seed (drawn by the caller).
    pub fn from_seed(name: &str, seed: &[u8; 32]) -> Result<Self, NoteError> {
        if !signed_note::is_key_name_valid(name) {
            return Err(NoteError::BadPrivateKey(format!(
                "invalid key name {name:?}"
            )));
        }
        let key = SigningKey::from_bytes(seed);
        let id = ed25519_key_id(name, &key.verifying_key());
        Ok(Self {
            name: name.to_owned(),
            key,
            id,
        })
    }

    /// Parses the signed-note private key encoding.
    pub fn parse(skey: &str) -> Result<Self, NoteError> {
        let bad = |why: &str| NoteError::BadPrivateKey(why.to_owned());
        let rest = skey
            .trim()
            .strip_prefix("PRIVATE+KEY+")
            .ok_or_else(|| bad("does not start with PRIVATE+KEY+"))?;
        let (name, rest) = rest.split_once('+').ok_or_else(|| bad("no key id"))?;
        let (id_hex, b64) = rest.split_once('+').ok_or_else(|| bad("no key"))?;
        let id = u32::from_str_radix(id_hex, 16).map_err(|_| bad("key id is not hex"))?;
        let raw = BASE64_STANDARD
            .decode(b64)
            .map_err(|_| bad("key is not base64"))?;
        let seed: [u8; 32] = match raw.split_first() {
            Some((&ALG_ED25519, seed)) => seed
                .try_into()
                .map_err(|_| bad("Ed25519 seed is not 32 bytes"))?,
            _ => return Err(bad("not an Ed25519 key (algorithm byte 0x01)")),
        };
        let key = Self::from_seed(name, &seed)?;
        if key.id != id {
            return Err(bad("key id does not match name and key"));
        }
        Ok(key)
    }

    /// The signed-note private key encoding (keep it secret).
    pub fn to_private_string(&self) -> String {
        let raw = [&[ALG_ED25519][..], self.key.as_bytes()].concat();
        format!(
            "PRIVATE+KEY+{}+{:08x}+{}",
            self.name,
            self.id,
            BASE64_STANDARD.encode(raw)
        )
    }

    /// The signed-note verifier key: `name+id+base64(0x01 || public key)`.
    pub fn verifier_key(&self) -> String {
        signed_note::new_ed25519_verifier_key(&self.name, &self.key.verifying_key())
    }

    /// The key's name.
    pub fn key_name(&self) -> &str {
        &self.name
    }

    /// The Ed25519 signing key.
    pub fn signing_key(&self) -> &SigningKey {
        &self.key
    }

    /// The Ed25519 public key.
    pub fn public_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }
}

impl Signer for NoteKey {
    fn name(&self) -> &str {
        &self.name
    }
    fn key_id(&self) -> u32 {
        self.id
    }
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, signature::Error> {
        Ok(self.key.sign(msg).to_vec())
    }
}

/// A checkpoint whose operator signature verified.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedCheckpoint {
    /// The log's origin line.
    pub origin: String,
    /// Tree size.
    pub size: u64,
    /// Root hash of the tree of that size.
    pub root: Hash,
    /// Witnesses whose cosignature verified, with the time they cosigned.
    pub cosigners: Vec<(String, u64)>,
}

/// Signs the C2SP checkpoint for `origin`, `size`, `root` with the operator key; returns the note.
pub fn sign_checkpoint(
    key: &NoteKey,
    origin: &str,
    size: u64,
    root: &Hash,
) -> Result<String, NoteError> {
    let cp = Checkpoint::new(origin, size, *root, "").map_err(|_| NoteError::BadCheckpoint)?;
    let mut note = Note::new(&cp.to_bytes(), &[]).map_err(|e| NoteError::BadNote(e.to_string()))?;
    note.add_sigs(&[key])
        .map_err(|e| NoteError::BadNote(e.to_string()))?;
    String::from_utf8(note.to_bytes()).map_err(|e| NoteError::BadNote(e.to_string()))
}

/// Verifies a checkpoint note: the operator's signature (by verifier key `operator_vkey`) must be
/// present and valid, the origin must be `origin`, and each witness in `witness_vkeys` that
/// cosigned must have a valid `tlog-cosignature` (an invalid cosignature is an error; a missing
/// one is simply not listed).
pub fn verify_checkpoint(
    note_text: &[u8],
    operator_vkey: &str,
    origin: &str,
    witness_vkeys: &[String],
) -> Result<VerifiedCheckpoint, NoteError> {
    let operator =
        StandardVerifier::new(operator_vkey.trim()).map_err(|e| NoteError::BadVerifierKey {
            vkey: operator_vkey.to_owned(),
            why: e.to_string(),
        })?;
    let (op_name, op_id) = (operator.name().to_owned(), operator.key_id());
    let mut verifiers: Vec<Box<dyn Verifier>> = vec![Box::new(operator)];
    for w in witness_vkeys {
        verifiers.push(Box::new(CosignatureVerifier::parse(w)?));
    }
    let list = VerifierList::new(verifiers);
    let note = Note::from_bytes(note_text).map_err(|e| NoteError::BadNote(e.to_string()))?;
    let not_signed = |why: String| NoteError::NotSigned {
        expected: format!("{op_name}+{op_id:08x}"),
        why,
    };
    let (verified, _unknown) = note.verify(&list).map_err(|e| not_signed(e.to_string()))?;
    if !verified
        .iter()
        .any(|s| s.name() == op_name && s.id() == op_id)
    {
        return Err(not_signed("only witness signatures verified".into()));
    }
    let cp = Checkpoint::from_bytes(note.text()).map_err(|_| NoteError::BadCheckpoint)?;
    if cp.origin() != origin {
        return Err(NoteError::WrongOrigin {
            got: cp.origin().to_owned(),
            want: origin.to_owned(),
        });
    }
    let cosigners = verified
        .iter()
        .filter(|s| !(s.name() == op_name && s.id() == op_id))
        .map(|s| {
            let t = s.signature()[..8]
                .try_into()
                .map(u64::from_be_bytes)
                .unwrap_or(0);
            (s.name().to_owned(), t)
        })
        .collect();
    Ok(VerifiedCheckpoint {
        origin: cp.origin().to_owned(),
        size: cp.size(),
        root: *cp.hash(),
        cosigners,
    })
}

/// The message a `tlog-cosignature` v1 signs for checkpoint body `text` at `timestamp` seconds.
pub fn cosignature_message(text: &[u8], timestamp: u64) -> Vec<u8> {
    let mut m = format!("cosignature/v1\ntime {timestamp}\n").into_bytes();
    m.extend_from_slice(text);
    m
}

/// The verifier key of a witness: `name+id+base64(0x04 || public key)`.
pub fn witness_verifier_key(name: &str, public: &VerifyingKey) -> String {
    let raw = [&[ALG_COSIGNATURE_V1][..], public.as_bytes()].concat();
    format!(
        "{name}+{:08x}+{}",
        key_id(name, &raw),
        BASE64_STANDARD.encode(raw)
    )
}

/// Adds a witness cosignature (C2SP `tlog-cosignature` v1) by `key` at `timestamp` to a note.
pub fn cosign(
    note_text: &[u8],
    key: &SigningKey,
    name: &str,
    timestamp: u64,
) -> Result<String, NoteError> {
    let note = Note::from_bytes(note_text).map_err(|e| NoteError::BadNote(e.to_string()))?;
    let raw = [&[ALG_COSIGNATURE_V1][..], key.verifying_key().as_bytes()].concat();
    let id = key_id(name, &raw);
    let sig = key.sign(&cosignature_message(note.text(), timestamp));
    let mut blob = id.to_be_bytes().to_vec();
    blob.extend_from_slice(&timestamp.to_be_bytes());
    blob.extend_from_slice(&sig.to_bytes());
    let mut out =
        String::from_utf8(note_text.to_vec()).map_err(|e| NoteError::BadNote(e.to_string()))?;
    out.push_str(&format!(
        "\u{2014} {name} {}\n",
        BASE64_STANDARD.encode(blob)
    ));
    Ok(out)
}

/// Verifies `tlog-cosignature` v1 signatures of one witness.
pub struct CosignatureVerifier {
    name: String,
    id: u32,
    key: VerifyingKey,
}

impl CosignatureVerifier {
    /// Parses a witness verifier key `name+id+base64(0x04 || public key)`.
    pub fn parse(vkey: &str) -> Result<Self, NoteError> {
        let bad = |why: &str| NoteError::BadVerifierKey {
            vkey: vkey.to_owned(),
            why: why.to_owned(),
        };
        let (name, rest) = vkey
            .trim()
            .split_once('+')
            .ok_or_else(|| bad("no key id"))?;
        let (id_hex, b64) = rest.split_once('+').ok_or_else(|| bad("no key"))?;
        let id = u32::from_str_radix(id_hex, 16).map_err(|_| bad("key id is not hex"))?;
        let raw = BASE64_STANDARD
            .decode(b64)
            .map_err(|_| bad("key is not base64"))?;
        let public: [u8; 32] = match raw.split_first() {
            Some((&ALG_COSIGNATURE_V1, k)) => {
                k.try_into().map_err(|_| bad("key is not 32 bytes"))?
            }
            _ => return Err(bad("not a cosignature/v1 key (algorithm byte 0x04)")),
        };
        if key_id(name, &raw) != id {
            return Err(bad("key id does not match name and key"));
        }
        let key = VerifyingKey::from_bytes(&public).map_err(|_| bad("not an Ed25519 point"))?;
        Ok(Self {
            name: name.to_owned(),
            id,
            key,
        })
    }
}

impl Verifier for CosignatureVerifier {
    fn name(&self) -> &str {
        &self.name
    }
    fn key_id(&self) -> u32 {
        self.id
    }
    fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        let Some((ts, sig)) = sig.split_first_chunk::<8>() else {
            return false;
        };
        let Ok(sig) = Signature::from_slice(sig) else {
            return false;
        };
        let message = cosignature_message(msg, u64::from_be_bytes(*ts));
        self.key.verify_strict(&message, &sig).is_ok()
    }
}
