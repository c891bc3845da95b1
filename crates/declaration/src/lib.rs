//! The Rode Knop declaration of inability to pay, as an SD-JWT VC (RFC 9901; the IETF SD-JWT
//! VC draft: `typ` `dc+sd-jwt`, `vct`, `iss`, `iat`, `exp`, `cnf`, `status`).
//!
//! A municipality **issues** it when debt assistance starts ([`issue`]): who issued it, from
//! when and until when it holds (8 months by default), the counsellor team as the contact, and
//! the person's name, date of birth, BSN and address as selectively disclosable claims. It is
//! bound to the resident's key (`cnf`) and points at an entry of a Token Status List
//! (`status.status_list`) for revocation and suspension.
//!
//! The resident **presents** it to one creditor ([`present`]), disclosing only the claims they
//! choose, with a key-binding JWT (`kb+jwt`) whose audience is that creditor and whose nonce the
//! creditor gave. The creditor **verifies** it offline ([`verify`]) with the municipality's
//! public key: the issuer's signature, every disclosure's digest in `_sd`, no duplicates, the
//! dates, the key binding (audience, nonce, `sd_hash` over the presentation, the holder's
//! signature) and the status. Each refusal says why ([`Refusal`]).
//!
//! The SD-JWT structure (salts, disclosures, digests, decoding) is `sd-jwt-payload`'s; the JWS
//! signatures are Ed25519 (`EdDSA`, RFC 8037) with `ed25519-dalek`, over the bytes as received.

#![warn(missing_docs)]

use std::future::Future;
use std::task::{Context, Poll};

use base64::prelude::{Engine as _, BASE64_URL_SAFE_NO_PAD};
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sd_jwt_payload::{
    JsonObject, JwsSigner, KeyBindingJwtBuilder, RequiredKeyBinding, SdJwt, SdJwtBuilder,
    Sha256Hasher,
};
use serde_json::{json, Value};

/// The credential type of the declaration (`vct`).
pub const VCT: &str = "urn:knop:rode-knop:verklaring-betalingsonmacht:1";
/// The `typ` of the issuer-signed JWT.
pub const TYP: &str = "dc+sd-jwt";
/// How old a key binding may be when it is verified, in seconds.
pub const KB_AGE_MAX_SECONDS: i64 = 300;
/// How far in the future a key binding's `iat` may be (clocks differ), in seconds.
pub const KB_SKEW_SECONDS: i64 = 60;
/// The claims the resident may choose to disclose.
pub const DISCLOSABLE: [&str; 4] = ["name", "birthdate", "bsn", "address"];

/// What the municipality declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declaration {
    /// The issuer's identifier (its URL).
    pub issuer: String,
    /// When debt assistance started (ISO 8601 date).
    pub start: String,
    /// Issued at (seconds since the epoch).
    pub iat: i64,
    /// Valid until (seconds since the epoch).
    pub exp: i64,
    /// The counsellor team to contact (organisation, phone, e-mail).
    pub contact: String,
    /// The status list's URI and this declaration's index in it.
    pub status: (String, usize),
    /// The person's claims that may be disclosed: (claim, value), of [`DISCLOSABLE`].
    pub personal: Vec<(String, String)>,
}

/// Why a declaration could not be made or presented.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Occurs when the SD-JWT library refuses the input.
    #[error("{0}")]
    SdJwt(String),
    /// Occurs when a claim to disclose is not one the declaration holds.
    #[error("cannot disclose {0:?}: the declaration holds {DISCLOSABLE:?}")]
    NotDisclosable(String),
}

/// Why a presented declaration is refused. Each says what is wrong, in Dutch first.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Occurs when the text is not an SD-JWT with key binding.
    #[error("onleesbaar / unreadable: {0}")]
    Malformed(String),
    /// Occurs when the header's `typ` is not `dc+sd-jwt` or the `alg` not `EdDSA`.
    #[error("verkeerd type / wrong type: {0}")]
    WrongType(String),
    /// Occurs when the issuer's signature does not verify under its key.
    #[error("handtekening van de uitgever klopt niet / the issuer's signature does not verify")]
    IssuerSignature,
    /// Occurs when a disclosure is malformed, not in `_sd`, duplicated, or collides with a claim.
    #[error("onthulling klopt niet / a disclosure is not valid: {0}")]
    Disclosure(String),
    /// Occurs when the declaration has expired.
    #[error("verlopen / expired")]
    Expired,
    /// Occurs when the declaration is used before it was issued.
    #[error("nog niet geldig / not yet valid")]
    NotYetValid,
    /// Occurs when the presentation carries no key-binding JWT.
    #[error("sleutelbinding ontbreekt / key binding missing")]
    KeyBindingMissing,
    /// Occurs when the key binding was made too long ago, or in the future: a presentation is
    /// used at once, not replayed (RFC 9901 section 7.3).
    #[error("sleutelbinding niet vers / key binding not fresh")]
    KeyBindingStale,
    /// Occurs when the key binding is for another audience.
    #[error("voor een andere ontvanger / for another audience")]
    Audience,
    /// Occurs when the key binding's nonce is not the one the verifier gave.
    #[error("verkeerde nonce / wrong nonce")]
    Nonce,
    /// Occurs when `sd_hash` is not over this presentation.
    #[error("sd_hash klopt niet / sd_hash is not over this presentation")]
    SdHash,
    /// Occurs when the holder's signature does not verify under the bound key.
    #[error("handtekening van de inwoner klopt niet / the holder's signature does not verify")]
    HolderSignature,
    /// Occurs when the status list says the declaration is revoked.
    #[error("ingetrokken / revoked")]
    Revoked,
    /// Occurs when the status list says the declaration is suspended.
    #[error("geschorst / suspended")]
    Suspended,
    /// Occurs when the status cannot be read from the list.
    #[error("status onbekend / status unknown: {0}")]
    StatusUnknown(String),
}

/// A declaration that verified: what the creditor may rely on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// Who issued it.
    pub issuer: String,
    /// When debt assistance started.
    pub start: String,
    /// Valid until (seconds since the epoch).
    pub exp: i64,
    /// Whom to contact.
    pub contact: String,
    /// The disclosed personal claims, in the order of [`DISCLOSABLE`].
    pub disclosed: Vec<(String, String)>,
}

/// Runs a future that is ready at once (our signers do no I/O). `sd-jwt-payload`'s signing is
/// `async` for signers that call out; ours never waits.
fn ready<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    match f
        .as_mut()
        .poll(&mut Context::from_waker(std::task::Waker::noop()))
    {
        Poll::Ready(v) => v,
        Poll::Pending => unreachable!("an Ed25519 signer never waits"),
    }
}

fn b64(bytes: &[u8]) -> String {
    BASE64_URL_SAFE_NO_PAD.encode(bytes)
}

/// An Ed25519 JWS signer (`EdDSA`): compact serialization of header and payload as given.
struct Ed25519Jws<'a>(&'a SigningKey);

#[async_trait::async_trait]
impl JwsSigner for Ed25519Jws<'_> {
    type Error = String;
    async fn sign(&self, header: &JsonObject, payload: &JsonObject) -> Result<Vec<u8>, String> {
        let h = serde_json::to_vec(header).map_err(|e| e.to_string())?;
        let p = serde_json::to_vec(payload).map_err(|e| e.to_string())?;
        let input = format!("{}.{}", b64(&h), b64(&p));
        let sig = self.0.sign(input.as_bytes());
        Ok(format!("{input}.{}", b64(&sig.to_bytes())).into_bytes())
    }
}

/// The public key as a JWK (RFC 8037: `OKP`, `Ed25519`).
pub fn jwk(key: &VerifyingKey) -> Value {
    json!({"kty": "OKP", "crv": "Ed25519", "x": b64(key.as_bytes())})
}

/// The key a JWK (`OKP`, `Ed25519`) holds.
pub fn key_of_jwk(jwk: &Value) -> Option<VerifyingKey> {
    if jwk["kty"] != "OKP" || jwk["crv"] != "Ed25519" {
        return None;
    }
    let x = BASE64_URL_SAFE_NO_PAD.decode(jwk["x"].as_str()?).ok()?;
    VerifyingKey::from_bytes(&x.try_into().ok()?).ok()
}

/// Issues `d`, signed by the municipality's `key` (`kid` names it in its JWKS), bound to the
/// resident's `holder` key: the SD-JWT with every disclosure, for the resident to keep.
pub fn issue(
    d: &Declaration,
    key: &SigningKey,
    kid: &str,
    holder: &VerifyingKey,
) -> Result<String, Error> {
    let sd = |e: sd_jwt_payload::Error| Error::SdJwt(e.to_string());
    let mut object = json!({
        "iss": d.issuer, "iat": d.iat, "exp": d.exp, "vct": VCT,
        "start_date": d.start, "contact": d.contact,
        "status": {"status_list": {"idx": d.status.1, "uri": d.status.0}},
    });
    for (claim, value) in &d.personal {
        if !DISCLOSABLE.contains(&claim.as_str()) {
            return Err(Error::NotDisclosable(claim.clone()));
        }
        object[claim.as_str()] = Value::String(value.clone());
    }
    let mut b = SdJwtBuilder::new(object).map_err(sd)?;
    for (claim, _) in &d.personal {
        b = b.make_concealable(&format!("/{claim}")).map_err(sd)?;
    }
    let jwk = jwk(holder);
    let b = b
        .header("typ", TYP)
        .header("kid", kid)
        .add_decoys("", 2)
        .map_err(sd)?
        .require_key_binding(RequiredKeyBinding::Jwk(
            jwk.as_object().cloned().unwrap_or_default(),
        ));
    let jwt = ready(b.finish(&Ed25519Jws(key), "EdDSA")).map_err(sd)?;
    Ok(jwt.presentation())
}

/// The presentation of `sd_jwt` (as issued) for one creditor: only the claims in `disclose`,
/// and a key-binding JWT signed by the resident's `holder` key for `audience` with the
/// creditor's `nonce`, at `iat`.
pub fn present(
    sd_jwt: &str,
    disclose: &[&str],
    holder: &SigningKey,
    audience: &str,
    nonce: &str,
    iat: i64,
) -> Result<String, Error> {
    let sd = |e: sd_jwt_payload::Error| Error::SdJwt(e.to_string());
    let hasher = Sha256Hasher::new();
    let parsed = SdJwt::parse(sd_jwt).map_err(sd)?;
    let mut p = parsed.into_presentation(&hasher).map_err(sd)?.conceal_all();
    for claim in disclose {
        if !DISCLOSABLE.contains(claim) {
            return Err(Error::NotDisclosable((*claim).to_owned()));
        }
        p = p.disclose(&format!("/{claim}")).map_err(sd)?;
    }
    let (mut jwt, _) = p.finish();
    let kb = ready(
        KeyBindingJwtBuilder::new()
            .iat(iat)
            .aud(audience)
            .nonce(nonce)
            .finish(&jwt, &hasher, "EdDSA", &Ed25519Jws(holder)),
    )
    .map_err(sd)?;
    jwt.attach_key_binding_jwt(kb);
    Ok(jwt.presentation())
}

/// What a verifier expects of a presentation.
pub struct Expect<'a> {
    /// Its own identifier (the key binding's `aud`).
    pub audience: &'a str,
    /// The nonce it gave the resident.
    pub nonce: &'a str,
    /// Now (seconds since the epoch).
    pub now: i64,
}

/// Splits a compact JWS and checks its Ed25519 signature over the bytes as received; returns
/// the header and the payload.
fn checked_jws(jws: &str, key: &VerifyingKey) -> Result<(Value, Value), bool> {
    let mut parts = jws.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(false);
    };
    let json = |seg: &str| {
        BASE64_URL_SAFE_NO_PAD
            .decode(seg)
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
    };
    let (Some(header), Some(payload)) = (json(h), json(p)) else {
        return Err(false);
    };
    let sig = BASE64_URL_SAFE_NO_PAD
        .decode(s)
        .ok()
        .and_then(|b| Signature::from_slice(&b).ok())
        .ok_or(false)?;
    key.verify_strict(format!("{h}.{p}").as_bytes(), &sig)
        .map_err(|_| true)?;
    Ok((header, payload))
}

/// Verifies a presentation offline with the issuer's `key`, as `expect` says; `status(uri, idx)`
/// gives the entry of the status list (the verifier fetched and checked the list).
pub fn verify(
    presentation: &str,
    key: &VerifyingKey,
    expect: &Expect<'_>,
    status: impl Fn(&str, usize) -> Result<knop_status_list::Status, String>,
) -> Result<Verified, Refusal> {
    let presentation = presentation.trim();
    let (issuer_jwt, rest) = presentation
        .split_once('~')
        .ok_or_else(|| Refusal::Malformed("no `~`: not an SD-JWT".into()))?;
    let (_, kb_jwt) = rest
        .rsplit_once('~')
        .ok_or_else(|| Refusal::Malformed("no key-binding segment".into()))?;
    let (header, payload) = checked_jws(issuer_jwt, key).map_err(|signed| {
        if signed {
            Refusal::IssuerSignature
        } else {
            Refusal::Malformed("the issuer's JWT is not a compact JWS".into())
        }
    })?;
    if header["typ"] != TYP || header["alg"] != "EdDSA" {
        return Err(Refusal::WrongType(format!(
            "typ {} alg {}, expected {TYP} EdDSA",
            header["typ"], header["alg"]
        )));
    }
    if payload["vct"] != VCT {
        return Err(Refusal::WrongType(format!("vct {}", payload["vct"])));
    }
    let (iat, exp) = (payload["iat"].as_i64(), payload["exp"].as_i64());
    let (Some(iat), Some(exp)) = (iat, exp) else {
        return Err(Refusal::Malformed("iat and exp are required".into()));
    };
    if expect.now >= exp {
        return Err(Refusal::Expired);
    }
    if expect.now < iat {
        return Err(Refusal::NotYetValid);
    }
    // The disclosures: each once, each digest in `_sd` once, nothing left over, no collisions.
    let segments: Vec<&str> = rest.split('~').collect();
    let disclosures = &segments[..segments.len() - 1];
    let mut seen = std::collections::HashSet::new();
    if let Some(d) = disclosures.iter().find(|d| !seen.insert(**d)) {
        return Err(Refusal::Disclosure(format!("disclosure {d} appears twice")));
    }
    let hasher = Sha256Hasher::new();
    let parsed = SdJwt::parse(presentation).map_err(|e| Refusal::Malformed(e.to_string()))?;
    let without_kb = presentation
        .strip_suffix(kb_jwt)
        .unwrap_or(presentation)
        .to_owned();
    let disclosed = parsed
        .clone()
        .into_disclosed_object(&hasher)
        .map_err(|e| Refusal::Disclosure(e.to_string()))?;
    // The key binding.
    if kb_jwt.is_empty() {
        return Err(Refusal::KeyBindingMissing);
    }
    let holder = key_of_jwk(&payload["cnf"]["jwk"])
        .ok_or_else(|| Refusal::Malformed("cnf.jwk: not an Ed25519 key".into()))?;
    let (kb_header, kb) = checked_jws(kb_jwt, &holder).map_err(|signed| {
        if signed {
            Refusal::HolderSignature
        } else {
            Refusal::Malformed("the key-binding JWT is not a compact JWS".into())
        }
    })?;
    if kb_header["typ"] != "kb+jwt" {
        return Err(Refusal::WrongType(format!(
            "key binding typ {}",
            kb_header["typ"]
        )));
    }
    let fresh = kb["iat"]
        .as_i64()
        .is_some_and(|t| t >= expect.now - KB_AGE_MAX_SECONDS && t <= expect.now + KB_SKEW_SECONDS);
    if !fresh {
        return Err(Refusal::KeyBindingStale);
    }
    if kb["aud"] != expect.audience {
        return Err(Refusal::Audience);
    }
    if kb["nonce"] != expect.nonce {
        return Err(Refusal::Nonce);
    }
    use sd_jwt_payload::Hasher as _;
    if kb["sd_hash"] != hasher.encoded_digest(&without_kb) {
        return Err(Refusal::SdHash);
    }
    // The status.
    let uri = payload["status"]["status_list"]["uri"].as_str();
    let idx = payload["status"]["status_list"]["idx"].as_u64();
    let (Some(uri), Some(idx)) = (uri, idx) else {
        return Err(Refusal::Malformed(
            "status.status_list needs uri and idx".into(),
        ));
    };
    match status(uri, idx as usize).map_err(Refusal::StatusUnknown)? {
        knop_status_list::Status::VALID => {}
        knop_status_list::Status::SUSPENDED => return Err(Refusal::Suspended),
        _ => return Err(Refusal::Revoked),
    }
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    Ok(Verified {
        issuer: text(&payload["iss"]),
        start: text(&payload["start_date"]),
        exp,
        contact: text(&payload["contact"]),
        disclosed: DISCLOSABLE
            .iter()
            .filter_map(|c| disclosed.get(*c).map(|v| ((*c).to_owned(), text(v))))
            .collect(),
    })
}

/// The type of a status list token (Token Status List draft, section 5.1).
pub const STATUS_LIST_TYP: &str = "statuslist+jwt";

/// A status list token: `list` as the `status_list` of a JWT with `sub` its URI, signed by the
/// issuer's `key` (`kid`), issued at `iat`, to be fetched again after `ttl` seconds.
pub fn status_list_token(
    list: &knop_status_list::StatusList,
    sub: &str,
    key: &SigningKey,
    kid: &str,
    iat: i64,
    ttl: i64,
) -> String {
    let header = json!({"alg": "EdDSA", "kid": kid, "typ": STATUS_LIST_TYP});
    let payload = json!({
        "sub": sub, "iat": iat, "ttl": ttl,
        "status_list": {"bits": list.bits(), "lst": list.encode()},
    });
    let input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(payload.to_string().as_bytes())
    );
    let sig = key.sign(input.as_bytes());
    format!("{input}.{}", b64(&sig.to_bytes()))
}

/// Reads a status list token signed by the issuer's `key`: its `sub` (the URI a declaration
/// names) and its list, at most `entries_max` entries.
pub fn read_status_list_token(
    token: &str,
    key: &VerifyingKey,
    entries_max: usize,
) -> Result<(String, knop_status_list::StatusList), Refusal> {
    let (header, payload) = checked_jws(token.trim(), key).map_err(|signed| {
        if signed {
            Refusal::StatusUnknown("the status list's signature does not verify".into())
        } else {
            Refusal::StatusUnknown("the status list is not a compact JWS".into())
        }
    })?;
    if header["typ"] != STATUS_LIST_TYP {
        return Err(Refusal::StatusUnknown(format!(
            "typ {}, expected {STATUS_LIST_TYP}",
            header["typ"]
        )));
    }
    let sub = payload["sub"].as_str().unwrap_or_default().to_owned();
    let bits = payload["status_list"]["bits"]
        .as_u64()
        .and_then(|b| u8::try_from(b).ok());
    let lst = payload["status_list"]["lst"].as_str();
    let (Some(bits), Some(lst)) = (bits, lst) else {
        return Err(Refusal::StatusUnknown(
            "status_list needs bits and lst".into(),
        ));
    };
    let list = knop_status_list::StatusList::decode(bits, lst, entries_max)
        .map_err(|e| Refusal::StatusUnknown(e.to_string()))?;
    Ok((sub, list))
}

/// The personal claims an SD-JWT's disclosures hold, as (claim, value) in the order of
/// [`DISCLOSABLE`]: what its holder may choose to show. Reads the disclosures only (the holder's
/// own copy, already verified when it was stored); anything unreadable is left out.
pub fn claims_of(sd_jwt: &str) -> Vec<(String, String)> {
    let mut found = std::collections::BTreeMap::new();
    for d in sd_jwt.split('~').skip(1).filter(|d| !d.is_empty()) {
        let Some(v) = BASE64_URL_SAFE_NO_PAD
            .decode(d)
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        else {
            continue;
        };
        if let (Some(name), Some(value)) = (v[1].as_str(), v[2].as_str()) {
            found.insert(name.to_owned(), value.to_owned());
        }
    }
    DISCLOSABLE
        .iter()
        .filter_map(|c| found.get(*c).map(|v| ((*c).to_owned(), v.clone())))
        .collect()
}
