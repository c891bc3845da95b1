//! The signed entry: one submission to the ledger.
//!
//! An entry is a single command or a whole batch (a bank file, a payment run), submitted and
//! signed by one organisation. Its bytes come from this explicit encoder, never from a serde
//! derive, so that they are the same on every machine and in every version of knop that knows
//! version 1.
//!
//! ## Encoding, version 1
//! ```text
//! magic      4 bytes  "KNOP"
//! version    1 byte   0x01
//! signer     text     organisation name (u32 length + UTF-8), see [`OrgName`]
//! timestamp  u64      milliseconds since the Unix epoch, chosen by the submitter's node
//! body       bytes    u32 length + the command bytes (decoded by `knop-state`)
//! signature  64 bytes Ed25519 (RFC 8032) over "knop/entry/v1" || 0x00 || SHA-256(all bytes above)
//! ```
//! The signature covers a SHA-256 digest of the unsigned bytes rather than the bytes themselves:
//! Ed25519 hashes its whole message with SHA-512 (twice when signing), which costs more than the
//! rest of the work for a large batch, while SHA-256 runs in hardware on current CPUs.
//! All integers are big-endian. Decoding rejects trailing bytes, so each entry has exactly one
//! encoding.

use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use knop_codec::{DecodeError, Reader, Writer};
use sha2::{Digest, Sha256};

/// The magic bytes that open every entry.
pub const ENTRY_MAGIC: &[u8; 4] = b"KNOP";
/// The entry encoding version this crate writes.
pub const ENTRY_VERSION: u8 = 1;
/// Domain separation prefix of the signed message.
pub const SIGN_DOMAIN_V1: &[u8] = b"knop/entry/v1\0";
/// The largest entry body accepted, in bytes (a batch of about 100 000 transfers).
pub const BODY_BYTES_MAX: usize = 16 * 1024 * 1024;
/// The longest organisation name, in bytes.
pub const ORG_NAME_BYTES_MAX: usize = 64;

/// Occurs when entry bytes or names are not what version 1 allows, or a signature fails.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    /// Occurs when the bytes do not decode as a version 1 entry.
    #[error("malformed entry: {0}")]
    Malformed(#[from] DecodeError),
    /// Occurs when an organisation name breaks the naming rule.
    #[error("organisation name {name:?} is not allowed: use 1 to 64 of a-z, 0-9, '.', '-', '/', starting with a letter or digit")]
    BadOrgName {
        /// The rejected name.
        name: String,
    },
    /// Occurs when the signature does not verify under the signer's registered key.
    #[error("signature of {signer:?} does not verify")]
    BadSignature {
        /// The organisation named as signer.
        signer: String,
    },
}

/// The name of an organisation, which is also its signed-note key name.
///
/// Allowed: 1 to 64 bytes of `a-z 0-9 . - /`, starting with a letter or digit (a subset of the
/// C2SP signed-note key name rule, so an organisation can witness checkpoints under its name).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrgName(String);

impl OrgName {
    /// Parses and checks a name.
    pub fn parse(name: &str) -> Result<Self, EntryError> {
        let ok = !name.is_empty()
            && name.len() <= ORG_NAME_BYTES_MAX
            && name.as_bytes()[0].is_ascii_alphanumeric()
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"./-".contains(&b));
        if ok {
            Ok(Self(name.to_owned()))
        } else {
            Err(EntryError::BadOrgName {
                name: name.to_owned(),
            })
        }
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for OrgName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A decoded, signed entry. Its signature is checked separately ([`SignedEntry::verify`]), since
/// the key is only known from the ledger's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedEntry {
    /// The submitting organisation.
    pub signer: OrgName,
    /// Milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
    /// The command bytes.
    pub body: Vec<u8>,
    /// Ed25519 signature over [`SignedEntry::signed_message`].
    pub signature: [u8; 64],
}

/// The fields of an entry before its body: magic, version, signer, timestamp.
fn write_header(w: &mut Writer, signer: &OrgName, timestamp_ms: u64) {
    w.fixed(ENTRY_MAGIC);
    w.u8(ENTRY_VERSION);
    w.str(signer.as_str());
    w.u64(timestamp_ms);
}

fn encode_unsigned(signer: &OrgName, timestamp_ms: u64, body: &[u8]) -> Writer {
    let mut w = Writer::with_capacity(body.len() + 128);
    write_header(&mut w, signer, timestamp_ms);
    w.bytes(body);
    w
}

/// The message a signature covers: the domain, then SHA-256 of the unsigned entry's bytes
/// ([`encode_unsigned`]). The hash is fed the header and then the body where it lies, which is
/// the same digest without copying a body of up to megabytes into one buffer first.
fn signed_message(signer: &OrgName, timestamp_ms: u64, body: &[u8]) -> Vec<u8> {
    let mut header = Writer::with_capacity(64);
    write_header(&mut header, signer, timestamp_ms);
    // `Writer::bytes` is the length (u32, big-endian) and then the bytes.
    header.u32(u32::try_from(body.len()).expect("byte string over 4 GiB"));
    let digest = Sha256::new()
        .chain_update(header.finish())
        .chain_update(body)
        .finalize();
    let mut m = Vec::with_capacity(SIGN_DOMAIN_V1.len() + 32);
    m.extend_from_slice(SIGN_DOMAIN_V1);
    m.extend_from_slice(&digest);
    m
}

impl SignedEntry {
    /// Builds and signs an entry.
    ///
    /// # Panics
    /// Panics if `body` exceeds [`BODY_BYTES_MAX`]; callers bound their batches below it.
    pub fn sign(signer: OrgName, timestamp_ms: u64, body: Vec<u8>, key: &SigningKey) -> Self {
        assert!(body.len() <= BODY_BYTES_MAX, "entry body over the limit");
        let signature = key
            .sign(&signed_message(&signer, timestamp_ms, &body))
            .to_bytes();
        Self {
            signer,
            timestamp_ms,
            body,
            signature,
        }
    }

    /// The canonical bytes of the entry, signature included.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = encode_unsigned(&self.signer, self.timestamp_ms, &self.body);
        w.fixed(&self.signature);
        w.finish()
    }

    /// The message the signature covers.
    pub fn signed_message(&self) -> Vec<u8> {
        signed_message(&self.signer, self.timestamp_ms, &self.body)
    }

    /// Decodes canonical entry bytes (the signature is not checked here).
    pub fn decode(bytes: &[u8]) -> Result<Self, EntryError> {
        let mut r = Reader::new(bytes);
        let magic: [u8; 4] = r.fixed("magic")?;
        if &magic != ENTRY_MAGIC {
            return Err(DecodeError {
                offset: 0,
                field: "magic",
                expected: "the bytes \"KNOP\"".into(),
            }
            .into());
        }
        let version = r.u8("version")?;
        if version != ENTRY_VERSION {
            return Err(DecodeError {
                offset: 4,
                field: "version",
                expected: format!("version {ENTRY_VERSION}, found {version}"),
            }
            .into());
        }
        let signer = OrgName::parse(r.str("signer", ORG_NAME_BYTES_MAX)?)?;
        let timestamp_ms = r.u64("timestamp")?;
        let body = r.bytes("body", BODY_BYTES_MAX)?.to_vec();
        let signature = r.fixed("signature")?;
        r.end()?;
        Ok(Self {
            signer,
            timestamp_ms,
            body,
            signature,
        })
    }

    /// Checks the signature against the signer's key (RFC 8032 strict verification).
    pub fn verify(&self, key: &VerifyingKey) -> Result<(), EntryError> {
        let sig = Signature::from_bytes(&self.signature);
        key.verify_strict(&self.signed_message(), &sig)
            .map_err(|_| EntryError::BadSignature {
                signer: self.signer.to_string(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    #[test]
    fn the_signed_message_hashes_the_unsigned_bytes() {
        for body in [&b""[..], b"body", &[7u8; 100_000]] {
            let name = OrgName::parse("svb").unwrap();
            let unsigned = encode_unsigned(&name, 42, body).finish();
            let mut want = SIGN_DOMAIN_V1.to_vec();
            want.extend_from_slice(&Sha256::digest(&unsigned));
            assert_eq!(signed_message(&name, 42, body), want);
        }
    }

    #[test]
    fn round_trip_and_verify() {
        let e = SignedEntry::sign(
            OrgName::parse("svb").unwrap(),
            42,
            b"body".to_vec(),
            &key(1),
        );
        let bytes = e.encode();
        let d = SignedEntry::decode(&bytes).unwrap();
        assert_eq!(d, e);
        d.verify(&key(1).verifying_key()).unwrap();
        assert!(matches!(
            d.verify(&key(2).verifying_key()),
            Err(EntryError::BadSignature { .. })
        ));
    }

    #[test]
    fn any_changed_byte_breaks_decoding_or_signature() {
        let e = SignedEntry::sign(
            OrgName::parse("svb").unwrap(),
            42,
            b"body".to_vec(),
            &key(1),
        );
        let bytes = e.encode();
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x01;
            match SignedEntry::decode(&b) {
                Err(_) => {}
                Ok(d) => assert!(d.verify(&key(1).verifying_key()).is_err(), "byte {i}"),
            }
        }
    }

    #[test]
    fn malformed_bytes_are_precise_errors() {
        assert!(SignedEntry::decode(b"").is_err());
        let e = SignedEntry::sign(OrgName::parse("a").unwrap(), 1, vec![], &key(1));
        let mut bytes = e.encode();
        bytes.push(0);
        let err = SignedEntry::decode(&bytes).unwrap_err().to_string();
        assert!(err.contains("trailing"), "{err}");
        bytes[4] = 9;
        let err = SignedEntry::decode(&bytes).unwrap_err().to_string();
        assert!(err.contains("version 1, found 9"), "{err}");
    }

    #[test]
    fn org_names() {
        for ok in ["svb", "gemeente-utrecht", "a", "kredietbank.groningen/1"] {
            OrgName::parse(ok).unwrap();
        }
        for bad in ["", "SVB", "-x", "a b", "a+b", &"x".repeat(65)] {
            assert!(OrgName::parse(bad).is_err(), "{bad}");
        }
    }
}
