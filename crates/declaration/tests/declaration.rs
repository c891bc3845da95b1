//! The declaration from issue to verification, every refusal with its reason, and RFC 9901's
//! published example for the digests and `sd_hash` the verifier computes.

use ed25519_dalek::SigningKey;
use knop_declaration::{issue, present, verify, Declaration, Expect, Refusal};
use knop_status_list::Status;
use sd_jwt_payload::{Hasher as _, SdJwt, Sha256Hasher};

const NOW: i64 = 1_800_000_000;

fn keys() -> (SigningKey, SigningKey) {
    (
        SigningKey::from_bytes(&[1; 32]),
        SigningKey::from_bytes(&[2; 32]),
    )
}

fn declaration() -> Declaration {
    Declaration {
        issuer: "https://gemeente.example/knop".into(),
        start: "2026-12-01".into(),
        iat: NOW - 100,
        exp: NOW + 8 * 30 * 86_400,
        contact: "Schuldhulp Utrecht, 030 123 45 67".into(),
        status: ("https://gemeente.example/knop/status/1".into(), 4711),
        personal: vec![
            ("name".into(), "Sanne de Vries".into()),
            ("birthdate".into(), "1990-04-01".into()),
            ("bsn".into(), "111222333".into()),
            ("address".into(), "Lindelaan 12, Utrecht".into()),
        ],
    }
}

fn expect() -> Expect<'static> {
    Expect {
        audience: "https://cjib.example",
        nonce: "n-42",
        now: NOW,
    }
}

fn valid(_: &str, _: usize) -> Result<Status, String> {
    Ok(Status::VALID)
}

/// The declaration as issued, and a presentation of name and date of birth to the CJIB.
fn issued() -> (String, String) {
    let (issuer, holder) = keys();
    let sd_jwt = issue(&declaration(), &issuer, "k1", &holder.verifying_key()).unwrap();
    let p = present(
        &sd_jwt,
        &["name", "birthdate"],
        &holder,
        "https://cjib.example",
        "n-42",
        NOW,
    )
    .unwrap();
    (sd_jwt, p)
}

#[test]
fn the_creditor_sees_what_the_resident_chose_and_nothing_more() {
    let (issuer, _) = keys();
    let (_, p) = issued();
    let v = verify(&p, &issuer.verifying_key(), &expect(), valid).unwrap();
    assert_eq!(v.issuer, "https://gemeente.example/knop");
    assert_eq!(v.start, "2026-12-01");
    assert_eq!(v.contact, "Schuldhulp Utrecht, 030 123 45 67");
    assert_eq!(
        v.disclosed,
        [
            ("name".to_owned(), "Sanne de Vries".to_owned()),
            ("birthdate".to_owned(), "1990-04-01".to_owned())
        ]
    );
    // The BSN and address travel in no form: not in the clear, not as a disclosure.
    let decoded: String = p
        .split(['~', '.'])
        .filter_map(|s| {
            use base64::Engine as _;
            base64::prelude::BASE64_URL_SAFE_NO_PAD.decode(s).ok()
        })
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .collect();
    assert!(decoded.contains("Sanne de Vries"));
    assert!(
        !decoded.contains("111222333") && !decoded.contains("Lindelaan"),
        "{decoded}"
    );
}

#[test]
fn each_forgery_and_misuse_is_refused_with_its_reason() {
    let (issuer, holder) = keys();
    let key = issuer.verifying_key();
    let (sd_jwt, p) = issued();
    let check = |p: &str, e: &Expect<'_>| verify(p, &key, e, valid).unwrap_err();
    // Another audience, another nonce, too late, too early.
    let other = Expect {
        audience: "https://duo.example",
        ..expect()
    };
    assert_eq!(check(&p, &other), Refusal::Audience);
    let other = Expect {
        nonce: "n-43",
        ..expect()
    };
    assert_eq!(check(&p, &other), Refusal::Nonce);
    let late = Expect {
        now: declaration().exp,
        ..expect()
    };
    assert_eq!(check(&p, &late), Refusal::Expired);
    let early = Expect {
        now: declaration().iat - 1,
        ..expect()
    };
    assert_eq!(check(&p, &early), Refusal::NotYetValid);
    // The issuer's signature: a changed byte, or another municipality's key.
    let (jwt, rest) = p.split_once('~').unwrap();
    // One character of the signature changed (not the last, whose low bits are padding).
    let mut forged: Vec<char> = jwt.chars().collect();
    let at = forged.len() - 10;
    forged[at] = if forged[at] == 'A' { 'B' } else { 'A' };
    let forged: String = forged.into_iter().collect();
    assert_eq!(
        check(&format!("{forged}~{rest}"), &expect()),
        Refusal::IssuerSignature
    );
    let stranger = SigningKey::from_bytes(&[9; 32]).verifying_key();
    assert_eq!(
        verify(&p, &stranger, &expect(), valid).unwrap_err(),
        Refusal::IssuerSignature
    );
    // A disclosure twice, or one the issuer did not sign (from another declaration).
    let segments: Vec<&str> = p.split('~').collect();
    let twice = format!(
        "{}~{}~{}",
        segments[..segments.len() - 1].join("~"),
        segments[1],
        segments.last().unwrap()
    );
    assert!(matches!(check(&twice, &expect()), Refusal::Disclosure(_)));
    let foreign = issue(&declaration(), &issuer, "k1", &holder.verifying_key()).unwrap();
    let foreign_disclosure = foreign.split('~').nth(1).unwrap();
    let added = format!(
        "{}~{}~{}",
        segments[..segments.len() - 1].join("~"),
        foreign_disclosure,
        segments.last().unwrap()
    );
    assert!(
        matches!(check(&added, &expect()), Refusal::Disclosure(_)),
        "{:?}",
        check(&added, &expect())
    );
    // The key binding: missing, over another presentation, signed by someone else.
    let without = format!("{}~", segments[..segments.len() - 1].join("~"));
    assert_eq!(check(&without, &expect()), Refusal::KeyBindingMissing);
    let other_p = present(
        &sd_jwt,
        &["bsn"],
        &holder,
        "https://cjib.example",
        "n-42",
        NOW,
    )
    .unwrap();
    let other_kb = other_p.rsplit('~').next().unwrap();
    let swapped = format!("{}~{}", segments[..segments.len() - 1].join("~"), other_kb);
    assert_eq!(check(&swapped, &expect()), Refusal::SdHash);
    let old = present(
        &sd_jwt,
        &["name"],
        &holder,
        "https://cjib.example",
        "n-42",
        NOW - 301,
    )
    .unwrap();
    assert_eq!(
        check(&old, &expect()),
        Refusal::KeyBindingStale,
        "a replay later is refused"
    );
    let thief = SigningKey::from_bytes(&[7; 32]);
    let stolen = present(
        &sd_jwt,
        &["name"],
        &thief,
        "https://cjib.example",
        "n-42",
        NOW,
    )
    .unwrap();
    assert_eq!(check(&stolen, &expect()), Refusal::HolderSignature);
    // The status list: revoked, suspended, unreadable.
    let revoked = verify(&p, &key, &expect(), |uri, idx| {
        assert_eq!((uri, idx), ("https://gemeente.example/knop/status/1", 4711));
        Ok(Status::INVALID)
    });
    assert_eq!(revoked.unwrap_err(), Refusal::Revoked);
    assert_eq!(revoked_text(), "ingetrokken / revoked");
    let suspended = verify(&p, &key, &expect(), |_, _| Ok(Status::SUSPENDED));
    assert_eq!(suspended.unwrap_err(), Refusal::Suspended);
    let unknown = verify(&p, &key, &expect(), |_, _| Err("list not fetched".into()));
    assert!(matches!(unknown.unwrap_err(), Refusal::StatusUnknown(_)));
    // Not an SD-JWT at all, and a claim the declaration does not hold.
    assert!(matches!(check("garbage", &expect()), Refusal::Malformed(_)));
    assert!(present(&sd_jwt, &["salary"], &holder, "a", "n", NOW).is_err());
}

fn revoked_text() -> String {
    Refusal::Revoked.to_string()
}

#[test]
fn another_type_of_token_is_refused_even_when_signed_by_the_issuer() {
    use base64::prelude::{Engine as _, BASE64_URL_SAFE_NO_PAD as B64};
    use ed25519_dalek::Signer as _;
    let (issuer, _) = keys();
    let (_, p) = issued();
    let (jwt, rest) = p.split_once('~').unwrap();
    let payload = jwt.split('.').nth(1).unwrap();
    let header = B64.encode(br#"{"alg":"EdDSA","typ":"JWT"}"#);
    let input = format!("{header}.{payload}");
    let sig = B64.encode(issuer.sign(input.as_bytes()).to_bytes());
    let retyped = format!("{input}.{sig}~{rest}");
    assert!(matches!(
        verify(&retyped, &issuer.verifying_key(), &expect(), valid).unwrap_err(),
        Refusal::WrongType(_)
    ));
}

#[test]
fn rfc_9901_section_5_digests_and_sd_hash() {
    let presentation = include_str!("data/rfc9901-sec5-sd-jwt-kb-presentation.txt").trim();
    let processed: serde_json::Value =
        serde_json::from_str(include_str!("data/rfc9901-sec5-processed-payload.json")).unwrap();
    let kb: serde_json::Value =
        serde_json::from_str(include_str!("data/rfc9901-sec5-kb-jwt-payload.json")).unwrap();
    let hasher = Sha256Hasher::new();
    let mut disclosed = SdJwt::parse(presentation)
        .unwrap()
        .into_disclosed_object(&hasher)
        .unwrap();
    disclosed.remove("_sd_alg");
    assert_eq!(serde_json::Value::Object(disclosed), processed);
    let without_kb = &presentation[..presentation.rfind('~').unwrap() + 1];
    assert_eq!(kb["sd_hash"], hasher.encoded_digest(without_kb));
}

#[test]
fn a_status_list_token_reads_back_only_under_its_issuers_key() {
    use knop_declaration::{read_status_list_token, status_list_token};
    let (issuer, holder) = keys();
    let mut list = knop_status_list::StatusList::new(2, 64).unwrap();
    list.set(5, Status::SUSPENDED).unwrap();
    let token = status_list_token(
        &list,
        "https://g.example/status/1",
        &issuer,
        "k1",
        NOW,
        3600,
    );
    let (sub, back) = read_status_list_token(&token, &issuer.verifying_key(), 64).unwrap();
    assert_eq!(sub, "https://g.example/status/1");
    assert_eq!(back.get(5), Some(Status::SUSPENDED));
    assert!(matches!(
        read_status_list_token(&token, &holder.verifying_key(), 64),
        Err(Refusal::StatusUnknown(_))
    ));
    // Longer than the reader expects: refused, not inflated without end.
    assert!(read_status_list_token(&token, &issuer.verifying_key(), 8).is_err());
}

#[test]
fn the_holder_reads_the_claims_it_may_disclose_and_a_presentation_shows_only_the_chosen() {
    let (sd_jwt, p) = issued();
    let all: Vec<String> = knop_declaration::claims_of(&sd_jwt)
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    assert_eq!(all, ["name", "birthdate", "bsn", "address"]);
    assert_eq!(
        knop_declaration::claims_of(&p),
        vec![
            ("name".to_owned(), "Sanne de Vries".to_owned()),
            ("birthdate".to_owned(), "1990-04-01".to_owned())
        ]
    );
    assert!(knop_declaration::claims_of("not~an~sd-jwt~").is_empty());
}
