//! The Rode Knop: a municipality issues a declaration of inability to pay when debt assistance
//! starts, the resident shares it with the creditors they choose, a creditor verifies it and puts
//! collection on hold.
//!
//! - **Issue** ([`issue`]): the declaration (an SD-JWT VC, `knop_declaration`) holds the
//!   resident's name, date of birth, BSN and address as selectively disclosable claims, read from
//!   the vault (logged). It goes into the household's **wallet** in the vault, with the
//!   resident's holder key: knop keeps it for a resident who has no wallet app of their own
//!   (a custodial wallet; the presentation is still made with the holder's key, per creditor).
//!   The ledger gets one entry: the SHA-256 of the issuer-signed JWT (its [`declaration_id`],
//!   which every presentation carries), the household's number, a random status-list index and
//!   the dates. The wallet is written first: a crash between the two leaves a declaration the
//!   ledger does not know, which is never shown or presented.
//! - **Status** ([`set_status`], [`status_list`]): revoked, suspended, valid again; one ledger
//!   entry each; the municipality's Token Status List is folded from the ledger.
//! - **Share** ([`share`], [`present_share`], [`stop_share`]): the resident picks a creditor and
//!   the claims it may see; knop gives a link with a random token (only its SHA-256 is kept).
//!   The creditor opens it with its own API key and nonce, and gets a presentation made then,
//!   with key binding for it alone. Each read is in the household's access log and on the
//!   share; a stopped share answers nothing.
//! - **Verify** ([`verify`]): the creditor's check over the API, with the status from the ledger.

use jiff::civil::Date;
use knop_huishoudboekje::HouseholdId;
use knop_ledger::entry::OrgName;
use knop_ledger::note::NoteKey;
use knop_node::Node;
use knop_state::{
    Command, DeclarationCommand, DeclarationState, DeclarationStatus, OrgKind, State,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::vault::{Access, Vault, VaultError};

/// Months a declaration holds unless the municipality says otherwise (the pilot's pause).
pub const DEFAULT_MONTHS: u32 = 8;
/// Most shares a household keeps; the oldest stopped ones go first.
pub const SHARES_MAX: usize = 200;
/// Most reads remembered per share.
pub const READS_MAX: usize = 50;

/// Why a declaration could not be issued, changed, shared or presented.
#[derive(Debug, thiserror::Error)]
pub enum DeclarationError {
    /// Occurs when the household is not on the ledger or not in debt assistance.
    #[error("household {0} is not in debt assistance")]
    NotInAssistance(HouseholdId),
    /// Occurs when the household has a declaration of this municipality that holds.
    #[error("household {household} has a declaration that holds until {until}; extend it instead")]
    AlreadyValid {
        /// The household.
        household: HouseholdId,
        /// Its last day.
        until: Date,
    },
    /// Occurs when the declaration, share or creditor asked for is not there.
    #[error("{0} not found")]
    NotFound(String),
    /// Occurs when the request is wrong (what to disclose, a creditor that is no creditor).
    #[error("{0}")]
    Invalid(String),
    /// Occurs when the vault cannot read or write.
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// Occurs when the ledger refuses the entry, or cannot write.
    #[error(transparent)]
    Op(#[from] crate::ops::OpError),
}

/// The municipality as issuer: its key (registered on the ledger as a municipality), where it
/// is reached, how long a declaration holds.
pub struct Issuer<'a> {
    /// The municipality's key; its name is the organisation's.
    pub key: &'a NoteKey,
    /// The service's public URL (the `iss`; its JWKS at `/.well-known/jwt-vc-issuer`).
    pub url: &'a str,
    /// Months a declaration holds.
    pub months: u32,
}

impl Issuer<'_> {
    /// The organisation.
    pub fn org(&self) -> &str {
        self.key.key_name()
    }

    /// The key's id in the issuer's JWKS: the organisation and the first bytes of the key.
    pub fn kid(&self) -> String {
        let k = self.key.public_key().to_bytes();
        format!("{}-{}", self.org(), hex(&k[..4]))
    }

    /// The URI of its status list.
    pub fn status_uri(&self) -> String {
        format!(
            "{}/api/v1/status-lists/{}",
            self.url.trim_end_matches('/'),
            self.org()
        )
    }
}

/// A declaration kept in the wallet.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Held {
    /// Its id (hex of [`declaration_id`]).
    pub id: String,
    /// The SD-JWT as issued (every disclosure).
    pub sd_jwt: String,
    /// The municipality that issued it.
    pub issuer: String,
}

/// What the resident shared with a creditor.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Share {
    /// The share's id (random; for the resident's page).
    pub id: String,
    /// SHA-256 of the link's token, hex.
    pub token_sha256: String,
    /// The declaration (hex id).
    pub declaration: String,
    /// The creditor (organisation on the ledger).
    pub creditor: String,
    /// The claims it sees (of `knop_declaration::DISCLOSABLE`).
    pub disclose: Vec<String>,
    /// When it was shared (RFC 3339).
    pub created: String,
    /// When the creditor read it (RFC 3339), latest last.
    pub reads: Vec<String>,
    /// When the resident stopped sharing, if so.
    pub stopped: Option<String>,
}

/// A household's wallet in the vault.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Wallet {
    /// The resident's holder key (Ed25519 seed), made at the first declaration.
    pub holder_seed: Option<[u8; 32]>,
    /// The declarations issued to them.
    pub declarations: Vec<Held>,
    /// What they shared.
    pub shares: Vec<Share>,
}

/// A declaration as people read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeclarationView {
    /// Its id: SHA-256 of the issuer-signed JWT, hex.
    pub id: String,
    /// The household.
    pub household: String,
    /// The municipality that issued it.
    pub issuer: String,
    /// First day it holds.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub from: Date,
    /// Last day it holds.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub until: Date,
    /// `valid`, `revoked`, `suspended` (as on the ledger).
    pub status: String,
    /// Whether it holds on the service's today (valid and within its dates).
    pub holds: bool,
    /// Its index in the issuer's status list.
    pub status_index: u32,
}

pub use knop_state::declarations::hex;

/// 32 bytes from 64 hex digits.
pub fn unhex32(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 || !text.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

/// A declaration's id: SHA-256 of its issuer-signed JWT (the part of an SD-JWT before the first
/// `~`), so that the issuer, the resident and every creditor it is presented to compute the
/// same id whatever is disclosed.
pub fn declaration_id(sd_jwt: &str) -> [u8; 32] {
    let jwt = sd_jwt.split('~').next().unwrap_or_default();
    Sha256::digest(jwt.as_bytes()).into()
}

fn view(id: &[u8; 32], d: &DeclarationState, today: Date) -> DeclarationView {
    DeclarationView {
        id: hex(id),
        household: d.household.to_string(),
        issuer: d.issuer.to_string(),
        from: d.from,
        until: d.until,
        status: d.status.name().to_owned(),
        holds: d.holds_on(today),
        status_index: d.index,
    }
}

/// The declarations of `issuer` (all municipalities: `None`), newest first.
pub fn list(state: &State, issuer: Option<&str>, today: Date) -> Vec<DeclarationView> {
    let mut out: Vec<(u64, DeclarationView)> = state
        .declarations()
        .iter()
        .filter(|(_, d)| issuer.is_none_or(|i| d.issuer.as_str() == i))
        .map(|(id, d)| (d.issued_at, view(id, d, today)))
        .collect();
    out.sort_by_key(|(at, _)| std::cmp::Reverse(*at));
    out.into_iter().map(|(_, v)| v).collect()
}

/// The household's declarations, newest first.
pub fn of_household(state: &State, h: HouseholdId, today: Date) -> Vec<DeclarationView> {
    let mut v = list(state, None, today);
    v.retain(|d| d.household == h.to_string());
    v
}

/// One declaration by its hex id.
pub fn one(state: &State, id: &str, today: Date) -> Option<DeclarationView> {
    let raw = unhex32(id)?;
    state.declarations().get(&raw).map(|d| view(&raw, d, today))
}

/// What the municipality issues with.
pub struct IssueRequest<'a> {
    /// The household.
    pub household: HouseholdId,
    /// When debt assistance started (the declaration's `start_date`).
    pub start: Date,
    /// Today: the first day it holds.
    pub today: Date,
    /// The ledger's timestamp for the entry (ms since the epoch; never before its last).
    pub now_ms: u64,
    /// The clock, for the declaration's `iat` (seconds since the epoch): what verifiers compare
    /// with their own clocks, even when the service plays on another day (a demo).
    pub clock_s: i64,
    /// Whether it extends one that still holds (a new declaration, from today).
    pub extend: bool,
    /// The counsellor team's contact (organisation, phone, e-mail).
    pub contact: String,
    /// Who issues (the municipality's staff login), for the access log.
    pub who: &'a str,
}

/// Issues a declaration for `req.household`: reads its personal data (logged), keeps the
/// SD-JWT in the wallet, then records its hash on the ledger, signed by the municipality.
pub fn issue(
    node: &mut Node,
    vault: &Vault,
    issuer: &Issuer<'_>,
    req: &IssueRequest<'_>,
) -> Result<DeclarationView, DeclarationError> {
    let h = req.household;
    let state = node.state();
    if crate::lookup::in_assistance(state, h, req.now_ms).is_none() {
        return Err(DeclarationError::NotInAssistance(h));
    }
    let holding = state
        .declarations()
        .values()
        .filter(|d| d.household == h && d.issuer.as_str() == issuer.org())
        .filter(|d| d.holds_on(req.today))
        .map(|d| d.until)
        .max();
    if let (Some(until), false) = (holding, req.extend) {
        return Err(DeclarationError::AlreadyValid {
            household: h,
            until,
        });
    }
    let used: std::collections::BTreeSet<u32> = state
        .declarations()
        .values()
        .filter(|d| d.issuer.as_str() == issuer.org())
        .map(|d| d.index)
        .collect();
    if used.len() as u64 >= u64::from(knop_state::declarations::STATUS_LIST_ENTRIES) / 2 {
        return Err(DeclarationError::Invalid(
            "the status list is half full; a new list is needed".into(),
        ));
    }
    // A random free index: at most half the list is used, so this ends quickly.
    let index = loop {
        let i = rand::random::<u32>() % knop_state::declarations::STATUS_LIST_ENTRIES;
        if !used.contains(&i) {
            break i;
        }
    };
    let until = req
        .today
        .saturating_add(jiff::Span::new().months(i64::from(issuer.months.clamp(1, 12))))
        .saturating_sub(jiff::Span::new().days(1));
    let at = jiff::Timestamp::from_millisecond(req.now_ms as i64)
        .unwrap_or_default()
        .to_string();
    let person = vault.read(
        h,
        req.who,
        "municipality",
        "verklaring betalingsonmacht afgeven",
        &at,
    )?;
    let mut personal = vec![("name".to_owned(), person.name.clone())];
    for (claim, v) in [
        ("birthdate", &person.birthdate),
        ("bsn", &person.bsn),
        ("address", &person.address),
    ] {
        if let Some(v) = v {
            personal.push((claim.to_owned(), v.clone()));
        }
    }
    // `exp` counts the declaration's days from the moment of issue: the same as the end of
    // `until` when the service's today is the clock's, and still right when a demo plays on
    // another day.
    let days = req.today.until(until).map(|s| s.get_days()).unwrap_or(0) as i64 + 1;
    let iat = req.clock_s;
    let exp = iat + days * 86_400;
    let d = knop_declaration::Declaration {
        issuer: issuer.url.trim_end_matches('/').to_owned(),
        start: req.start.to_string(),
        iat,
        exp,
        contact: req.contact.clone(),
        status: (issuer.status_uri(), index as usize),
        personal,
    };
    let sd_jwt = vault
        .change_wallet(h, |w: &mut Wallet| {
            let seed = *w.holder_seed.get_or_insert_with(rand::random);
            let holder = ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key();
            let sd_jwt =
                knop_declaration::issue(&d, issuer.key.signing_key(), &issuer.kid(), &holder)?;
            w.declarations.push(Held {
                id: hex(&declaration_id(&sd_jwt)),
                sd_jwt: sd_jwt.clone(),
                issuer: issuer.org().to_owned(),
            });
            Ok::<_, knop_declaration::Error>(sd_jwt)
        })?
        .map_err(|e| DeclarationError::Invalid(e.to_string()))?;
    let id = declaration_id(&sd_jwt);
    let cmd = Command::Declaration(DeclarationCommand::Issue {
        id,
        household: h,
        index,
        from: req.today,
        until,
    });
    crate::ops::submit(node, issuer.key, req.now_ms, &cmd)
        .map_err(crate::ops::OpError::from)?
        .map_err(crate::ops::OpError::from)?;
    one(node.state(), &hex(&id), req.today)
        .ok_or_else(|| DeclarationError::NotFound("the declaration just issued".into()))
}

/// Sets a declaration's status (revoke, suspend, valid again): one ledger entry, signed by the
/// municipality that issued it.
pub fn set_status(
    node: &mut Node,
    issuer: &Issuer<'_>,
    id: &str,
    status: DeclarationStatus,
    today: Date,
    now_ms: u64,
) -> Result<DeclarationView, DeclarationError> {
    let raw = unhex32(id).ok_or_else(|| DeclarationError::NotFound(format!("declaration {id}")))?;
    match node.state().declarations().get(&raw) {
        Some(d) if d.issuer.as_str() == issuer.org() => {}
        _ => return Err(DeclarationError::NotFound(format!("declaration {id}"))),
    }
    let cmd = Command::Declaration(DeclarationCommand::Status { id: raw, status });
    crate::ops::submit(node, issuer.key, now_ms, &cmd)
        .map_err(crate::ops::OpError::from)?
        .map_err(crate::ops::OpError::from)?;
    one(node.state(), id, today).ok_or_else(|| DeclarationError::NotFound(id.to_owned()))
}

/// The status list of `issuer`, as the ledger says: two bits per entry
/// ([`knop_state::declarations::STATUS_LIST_ENTRIES`] entries), revoked `0x01`, suspended `0x02`.
pub fn status_list(state: &State, issuer: &str) -> knop_status_list::StatusList {
    let len = knop_state::declarations::STATUS_LIST_ENTRIES as usize;
    // Two bits and a fixed length are always a valid list.
    let mut list = knop_status_list::StatusList::new(2, len).expect("2 bits is a valid size");
    for d in state.declarations().values() {
        if d.issuer.as_str() != issuer {
            continue;
        }
        let s = match d.status {
            DeclarationStatus::Valid => continue,
            DeclarationStatus::Revoked => knop_status_list::Status::INVALID,
            DeclarationStatus::Suspended => knop_status_list::Status::SUSPENDED,
        };
        // The ledger keeps every index below the list's length.
        let _ = list.set(d.index as usize, s);
    }
    list
}

/// A creditor the resident may share with: organisations registered as creditors.
pub fn creditors(state: &State) -> Vec<String> {
    state
        .orgs()
        .iter()
        .filter(|(_, o)| o.kind == OrgKind::Creditor)
        .map(|(n, _)| n.to_string())
        .collect()
}

/// The wallet's declarations that the ledger knows, newest first, with their state.
pub fn held(
    vault: &Vault,
    state: &State,
    h: HouseholdId,
    today: Date,
) -> Result<Vec<DeclarationView>, DeclarationError> {
    let w: Wallet = vault.wallet(h)?;
    let mut out: Vec<DeclarationView> = w
        .declarations
        .iter()
        .filter_map(|d| one(state, &d.id, today))
        .filter(|d| d.household == h.to_string())
        .collect();
    out.sort_by(|a, b| b.from.cmp(&a.from).then(b.until.cmp(&a.until)));
    Ok(out)
}

/// The household's shares, newest first.
pub fn shares(vault: &Vault, h: HouseholdId) -> Result<Vec<Share>, DeclarationError> {
    let w: Wallet = vault.wallet(h)?;
    let mut s = w.shares;
    s.reverse();
    Ok(s)
}

/// Shares declaration `declaration` (hex id) of household `h` with `creditor`, disclosing
/// `disclose`; returns the share and its link's token (shown once; only its hash is kept).
pub fn share(
    vault: &Vault,
    state: &State,
    h: HouseholdId,
    declaration: &str,
    creditor: &str,
    disclose: &[String],
    at: &str,
) -> Result<(Share, String), DeclarationError> {
    if !creditors(state).iter().any(|c| c == creditor) {
        return Err(DeclarationError::Invalid(format!(
            "creditor: {creditor:?} is not a creditor on the ledger"
        )));
    }
    for c in disclose {
        if !knop_declaration::DISCLOSABLE.contains(&c.as_str()) {
            return Err(DeclarationError::Invalid(format!(
                "disclose: {c:?} is not one of {:?}",
                knop_declaration::DISCLOSABLE
            )));
        }
    }
    let token = crate::random_token();
    let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
    let share = Share {
        id: crate::random_token()[..12].to_owned(),
        token_sha256: hex(&digest),
        declaration: declaration.to_owned(),
        creditor: creditor.to_owned(),
        disclose: knop_declaration::DISCLOSABLE
            .iter()
            .filter(|c| disclose.iter().any(|d| d == *c))
            .map(|c| (*c).to_owned())
            .collect(),
        created: at.to_owned(),
        reads: vec![],
        stopped: None,
    };
    let s = share.clone();
    vault.change_wallet(h, |w: &mut Wallet| {
        if !w.declarations.iter().any(|d| d.id == declaration) {
            return Err(DeclarationError::NotFound(format!(
                "declaration {declaration}"
            )));
        }
        if w.shares.len() >= SHARES_MAX {
            if let Some(i) = w.shares.iter().position(|s| s.stopped.is_some()) {
                w.shares.remove(i);
            } else {
                return Err(DeclarationError::Invalid(format!(
                    "at most {SHARES_MAX} shares; stop one first"
                )));
            }
        }
        w.shares.push(s);
        Ok(())
    })??;
    // The index last: a share without it cannot be opened, which is safe.
    vault.index_share(&digest, h)?;
    Ok((share, token))
}

/// Stops share `id` of household `h`: its link answers nothing from now on.
pub fn stop_share(
    vault: &Vault,
    h: HouseholdId,
    id: &str,
    at: &str,
) -> Result<(), DeclarationError> {
    vault.change_wallet(h, |w: &mut Wallet| {
        let s = w
            .shares
            .iter_mut()
            .find(|s| s.id == id)
            .ok_or_else(|| DeclarationError::NotFound(format!("share {id}")))?;
        if s.stopped.is_none() {
            s.stopped = Some(at.to_owned());
        }
        Ok(())
    })?
}

/// What a creditor opening a share gets.
pub struct Presented {
    /// The presentation (SD-JWT with key binding for the creditor and its nonce).
    pub presentation: String,
    /// The household (for the creditor's hold on its claim).
    pub household: HouseholdId,
}

/// Opens a share by its link's `token` for `creditor`, who gives its `nonce`: a presentation
/// made now, with key binding for that creditor alone. The read goes into the share and the
/// household's access log (which claims). Any share that is not this creditor's, or stopped,
/// is not found.
pub fn present_share(
    vault: &Vault,
    token: &str,
    creditor: &str,
    nonce: &str,
    now_s: i64,
    at: &str,
) -> Result<Presented, DeclarationError> {
    let not_found = || DeclarationError::NotFound("share".into());
    if nonce.is_empty() || nonce.len() > 128 {
        return Err(DeclarationError::Invalid(
            "nonce: 1 to 128 characters, given by the creditor".into(),
        ));
    }
    let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
    let h = vault.household_of_share(&digest).ok_or_else(not_found)?;
    let want = hex(&digest);
    let (presentation, disclose) = vault.change_wallet(h, |w: &mut Wallet| {
        let seed = w.holder_seed.ok_or_else(not_found)?;
        let s = w
            .shares
            .iter()
            .find(|s| s.token_sha256 == want && s.creditor == creditor && s.stopped.is_none())
            .ok_or_else(not_found)?;
        let held = w
            .declarations
            .iter()
            .find(|d| d.id == s.declaration)
            .ok_or_else(not_found)?;
        let disclose: Vec<&str> = s.disclose.iter().map(String::as_str).collect();
        let holder = ed25519_dalek::SigningKey::from_bytes(&seed);
        let p = knop_declaration::present(&held.sd_jwt, &disclose, &holder, creditor, nonce, now_s)
            .map_err(|e| DeclarationError::Invalid(e.to_string()))?;
        let disclosed = s.disclose.clone();
        if let Some(s) = w.shares.iter_mut().find(|s| s.token_sha256 == want) {
            if s.reads.len() >= READS_MAX {
                s.reads.remove(0);
            }
            s.reads.push(at.to_owned());
        }
        Ok::<_, DeclarationError>((p, disclosed))
    })??;
    let mut fields = vec!["declaration".to_owned()];
    fields.extend(disclose);
    vault.log_access(&Access {
        at: at.to_owned(),
        who: creditor.to_owned(),
        role: "creditor".into(),
        household: h.to_string(),
        fields,
        purpose: "verklaring betalingsonmacht ingezien (door u gedeeld)".into(),
    })?;
    Ok(Presented {
        presentation,
        household: h,
    })
}

/// A presentation the service verified: what it says, and what the ledger says of it.
#[derive(Debug, Clone)]
pub struct Checked {
    /// What the declaration says (only what was disclosed of the person).
    pub verified: knop_declaration::Verified,
    /// Its id.
    pub id: [u8; 32],
    /// The household (from the ledger).
    pub household: HouseholdId,
    /// Its last day (from the ledger).
    pub until: Date,
    /// The municipality that issued it (from the ledger).
    pub issuer: OrgName,
}

/// Verifies `presentation` as `expect` says, against the ledger: the issuer must be a
/// municipality whose key is in `issuers` (by `iss`), and its status is read from the ledger.
pub fn verify(
    state: &State,
    presentation: &str,
    issuer_key: impl Fn(&str) -> Option<(String, ed25519_dalek::VerifyingKey)>,
    expect: &knop_declaration::Expect<'_>,
) -> Result<Checked, knop_declaration::Refusal> {
    use knop_declaration::Refusal;
    let id = declaration_id(presentation.trim());
    let d = state
        .declarations()
        .get(&id)
        .ok_or_else(|| Refusal::StatusUnknown("not on the ledger".into()))?;
    let (org, key) = issuer_key(d.issuer.as_str())
        .ok_or_else(|| Refusal::StatusUnknown("its issuer's key is not known here".into()))?;
    let list = status_list(state, &org);
    let verified = knop_declaration::verify(presentation.trim(), &key, expect, |_, idx| {
        list.get(idx)
            .ok_or_else(|| "index out of the list".to_owned())
    })?;
    Ok(Checked {
        verified,
        id,
        household: d.household,
        until: d.until,
        issuer: d.issuer.clone(),
    })
}
