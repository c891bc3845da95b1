//! The Kindpakket's use-cases: a municipality opens a fund, accepts shops and issues vouchers; a
//! parent shows a rotating code; a shop takes a spend with it; everyone reads what is left.
//!
//! **The code.** A voucher's code is its id and a six-digit MAC over the id and the current
//! minute, under a key derived from the municipality's signing key (as TOTP does, RFC 6238, but
//! with HMAC-SHA256 and the voucher as the message): `K7Q2XM-482913`. It is valid in its minute
//! and the next, so a screenshot cannot be spent later. A spend's id is derived from the code,
//! so the ledger itself refuses a second spend with the same code: a code is used once.

use hmac::Mac;
use jiff::civil::Date;
use knop_huishoudboekje::HouseholdId;
use knop_ledger::entry::OrgName;
use knop_ledger::note::NoteKey;
use knop_node::Node;
use knop_state::kindpakket::{merchant_account, voucher_account, Category, FundState};
use knop_state::{Command, KindpakketCommand, State};
use serde::Serialize;

/// How long one code lasts, in seconds (it is also accepted in the next period).
pub const CODE_PERIOD_S: i64 = 60;

/// Why a Kindpakket request cannot be done.
#[derive(Debug, thiserror::Error)]
pub enum KindpakketError {
    /// Occurs when the code is malformed, expired or of another voucher.
    #[error(
        "Deze code klopt niet of is verlopen; vraag om de nieuwe code / invalid or expired code"
    )]
    BadCode,
    /// Occurs when the code was used for a spend already.
    #[error("Deze code is al gebruikt; vraag om de nieuwe code / this code was used already")]
    CodeUsed,
    /// Occurs when the request is wrong.
    #[error("{0}")]
    Invalid(String),
    /// Occurs when a payout's file is asked for before a second person approved it.
    #[error("Vier ogen: uitbetaling {0} is nog niet goedgekeurd door een tweede persoon / not approved yet")]
    NotApproved(String),
    /// Occurs when the ledger refuses (the rule's reason) or cannot write.
    #[error(transparent)]
    Op(#[from] crate::ops::OpError),
}

/// The key codes are made with, derived from the municipality's signing key.
fn code_key(municipality: &NoteKey) -> [u8; 32] {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update(b"knop/kindpakket/code/v1\0");
    h.update(municipality.signing_key().to_bytes());
    h.finalize().into()
}

fn mac(key: &[u8; 32], voucher: &str, period: i64) -> String {
    let mut m = <hmac::Hmac<sha2::Sha256> as Mac>::new_from_slice(key)
        .expect("HMAC takes a key of any length");
    m.update(voucher.as_bytes());
    m.update(&period.to_be_bytes());
    let d = m.finalize().into_bytes();
    let n = u32::from_be_bytes([d[0], d[1], d[2], d[3]]) % 1_000_000;
    format!("{n:06}")
}

/// The code of `voucher` at `now_s` (seconds since the epoch), and the second it expires.
pub fn code(municipality: &NoteKey, voucher: &str, now_s: i64) -> (String, i64) {
    let period = now_s.div_euclid(CODE_PERIOD_S);
    (
        format!(
            "{voucher}-{}",
            mac(&code_key(municipality), voucher, period)
        ),
        (period + 2) * CODE_PERIOD_S,
    )
}

/// The voucher a code is of, if the code is valid at `now_s`; and the period it was made in.
pub fn check_code(municipality: &NoteKey, code: &str, now_s: i64) -> Option<(String, i64)> {
    let (voucher, digits) = code.trim().rsplit_once('-')?;
    if digits.len() != 6 || voucher.is_empty() || voucher.len() > 32 {
        return None;
    }
    let key = code_key(municipality);
    let now = now_s.div_euclid(CODE_PERIOD_S);
    [now, now - 1].into_iter().find_map(|p| {
        let want = mac(&key, voucher, p);
        // Compared in constant time.
        let same = want
            .bytes()
            .zip(digits.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
        same.then(|| (voucher.to_owned(), p))
    })
}

const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// A new voucher id: eight characters (40 bits) of an alphabet without look-alikes, typed at
/// the till.
pub fn new_voucher_id() -> String {
    voucher_id_of(&rand::random::<[u8; 8]>())
}

/// The voucher id for a request's key (an Idempotency-Key or a form's key, with who sent it):
/// the same request again names the same voucher, so it is issued once.
pub fn voucher_id_for(who: &str, key: &str) -> String {
    use sha2::Digest;
    let d = sha2::Sha256::new()
        .chain_update(b"knop/kindpakket/voucher-id\0")
        .chain_update(who.as_bytes())
        .chain_update([0])
        .chain_update(key.as_bytes())
        .finalize();
    voucher_id_of(&d[..8])
}

fn voucher_id_of(bytes: &[u8]) -> String {
    bytes
        .iter()
        .take(8)
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
}

/// A spend, as people read it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SpendView {
    /// Its id.
    pub id: String,
    /// The shop.
    pub merchant: String,
    /// What was bought (`sport`, `bicycles`, ...).
    pub category: String,
    /// How much, in cents.
    pub cents: i64,
    /// When (ISO 8601).
    pub date: String,
    /// Whether it was cancelled (the money went back to the voucher).
    pub cancelled: bool,
}

/// A voucher, as people read it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VoucherView {
    /// Its id (the first part of its code).
    pub id: String,
    /// The fund.
    pub fund: String,
    /// The budget it got, in cents.
    pub budget_cents: i64,
    /// Spent, in cents.
    pub spent_cents: i64,
    /// Left, in cents.
    pub left_cents: i64,
    /// Last day it can be spent (ISO 8601).
    pub until: String,
    /// What it may be spent on.
    pub categories: Vec<String>,
    /// Its spends, newest first.
    pub spends: Vec<SpendView>,
    /// Whether it is blocked (no spends until it is reissued).
    pub blocked: bool,
}

fn balance(state: &State, account: u128) -> (i64, i64) {
    state
        .book()
        .account(account)
        .map_or((0, 0), |a| (a.credits_posted.0, a.debits_posted.0))
}

fn voucher_view(state: &State, id: &str) -> Option<VoucherView> {
    let v = state.vouchers().get(id)?;
    let f = state.funds().get(&v.fund)?;
    let (credits, debits) = balance(state, voucher_account(id));
    let left = credits - debits;
    let mut spends: Vec<(u64, SpendView)> = state
        .spends_of(id)
        .map(|(sid, s)| {
            (
                s.index,
                SpendView {
                    id: sid.clone(),
                    merchant: s.merchant.to_string(),
                    category: s.category.name().into(),
                    cents: s.cents,
                    date: s.date.to_string(),
                    cancelled: s.cancelled,
                },
            )
        })
        .collect();
    spends.sort_by_key(|(i, _)| std::cmp::Reverse(*i));
    // What it got is the fund's budget per child; a cancelled spend's money came back to it.
    Some(VoucherView {
        id: id.to_owned(),
        fund: v.fund.clone(),
        budget_cents: f.child_cents,
        spent_cents: f.child_cents - left,
        left_cents: left,
        until: f.until.to_string(),
        categories: Category::of_bits(f.categories)
            .into_iter()
            .map(|c| c.name().to_owned())
            .collect(),
        spends: spends.into_iter().map(|(_, s)| s).collect(),
        blocked: v.blocked,
    })
}

/// The vouchers of household `h` (not those replaced by a reissued one).
pub fn of_household(state: &State, h: HouseholdId) -> Vec<VoucherView> {
    state
        .vouchers()
        .iter()
        .filter(|(_, v)| v.household == h && v.replaced_by.is_none())
        .filter_map(|(id, _)| voucher_view(state, id))
        .collect()
}

/// One voucher.
pub fn voucher(state: &State, id: &str) -> Option<VoucherView> {
    voucher_view(state, id)
}

/// A fund's report: what was issued, spent (per category and per shop) and is left.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FundReport {
    /// The fund.
    pub fund: String,
    /// `active`, `paused` or `closed`.
    pub status: String,
    /// Vouchers issued.
    pub vouchers: usize,
    /// Vouchers with at least one spend.
    pub vouchers_used: usize,
    /// Budget issued, in cents.
    pub issued_cents: i64,
    /// Spent, in cents.
    pub spent_cents: i64,
    /// Left on the vouchers, in cents.
    pub left_cents: i64,
    /// Spent per category, in cents.
    pub per_category: Vec<(String, i64)>,
    /// Spent per shop (less refunds), in cents.
    pub per_merchant: Vec<(String, i64)>,
    /// Put into the fund by the municipality (top-ups on its bank statement), in cents.
    pub topped_up_cents: i64,
    /// Paid to shops: payout lines the municipality's bank statement showed paid, in cents.
    pub paid_out_cents: i64,
    /// In payouts the bank has not shown paid yet (to approve, or on their way), in cents.
    pub in_payouts_cents: i64,
    /// Owed to shops and not in a payout yet, in cents (below zero when a shop refunded more
    /// after a payout than it sold since: its next payout is less by it).
    pub owed_cents: i64,
}

/// The report of `fund`, if it is on the ledger.
pub fn report(state: &State, fund: &str) -> Option<FundReport> {
    let f: &FundState = state.funds().get(fund)?;
    let vouchers: Vec<&String> = state
        .vouchers()
        .iter()
        .filter(|(_, v)| v.fund == fund)
        .map(|(id, _)| id)
        .collect();
    // A reissued voucher is the same child's: counted once, by the voucher that replaced it.
    let children = state
        .vouchers()
        .values()
        .filter(|v| v.fund == fund && v.replaced_by.is_none())
        .count();
    let issued = f.child_cents * children as i64;
    let left: i64 = vouchers
        .iter()
        .map(|v| {
            let (c, d) = balance(state, voucher_account(v));
            c - d
        })
        .sum();
    let spent = issued - left;
    let ids: std::collections::HashSet<&str> = vouchers.iter().map(|v| v.as_str()).collect();
    // What each spend comes to after its refunds.
    let spends: Vec<(&knop_state::SpendState, i64)> = state
        .spends()
        .iter()
        .filter(|(_, s)| !s.cancelled && ids.contains(s.voucher.as_str()))
        .map(|(id, s)| (s, s.cents - state.refunded(id)))
        .collect();
    let used: std::collections::HashSet<&str> =
        spends.iter().map(|(s, _)| s.voucher.as_str()).collect();
    let sum_where = |keep: &dyn Fn(&knop_state::SpendState) -> bool| -> i64 {
        spends.iter().filter(|(s, _)| keep(s)).map(|(_, c)| c).sum()
    };
    let per_category = Category::ALL
        .into_iter()
        .map(|c| (c.name().to_owned(), sum_where(&|s| s.category == c)))
        .filter(|(_, s)| *s > 0)
        .collect();
    let per_merchant = f
        .merchants
        .keys()
        .map(|m| (m.to_string(), sum_where(&|s| s.merchant == *m)))
        .collect();
    let owed = f
        .merchants
        .keys()
        .map(|m| {
            let (c, d) = balance(state, merchant_account(fund, m.as_str()));
            c - d
        })
        .sum();
    let topped_up = state
        .topups()
        .values()
        .filter(|t| t.fund == fund)
        .map(|t| t.cents)
        .sum();
    let (mut paid_out, mut in_payouts) = (0, 0);
    for p in state.payouts().values().filter(|p| p.fund == fund) {
        for l in &p.lines {
            if l.paid.is_some() {
                paid_out += l.cents;
            } else {
                in_payouts += l.cents;
            }
        }
    }
    Some(FundReport {
        fund: fund.to_owned(),
        status: f.status.name().into(),
        vouchers: children,
        vouchers_used: used.len(),
        issued_cents: issued,
        spent_cents: spent,
        left_cents: left,
        per_category,
        per_merchant,
        topped_up_cents: topped_up,
        paid_out_cents: paid_out,
        in_payouts_cents: in_payouts,
        owed_cents: owed,
    })
}

/// Records `cmd` signed by `key`.
pub fn record(
    node: &mut Node,
    key: &NoteKey,
    now_ms: u64,
    cmd: KindpakketCommand,
) -> Result<(), KindpakketError> {
    crate::ops::submit(node, key, now_ms, &Command::Kindpakket(cmd))
        .map_err(crate::ops::OpError::from)?
        .map_err(crate::ops::OpError::from)?;
    Ok(())
}

/// A spend at a shop's till.
pub struct SpendRequest<'a> {
    /// The code the parent showed.
    pub code: &'a str,
    /// The shop.
    pub merchant: &'a OrgName,
    /// What is bought.
    pub category: Category,
    /// How much, in cents.
    pub cents: i64,
    /// Today.
    pub today: Date,
    /// Now, for the code (seconds since the epoch).
    pub now_s: i64,
    /// The ledger's timestamp (ms).
    pub now_ms: u64,
}

/// Takes a spend: the code checked, then one ledger entry that checks every rule and books the
/// money, signed by `signer` (the shop's own key, or the municipality's). Returns the voucher as
/// it is after the spend.
pub fn spend(
    node: &mut Node,
    municipality: &NoteKey,
    signer: &NoteKey,
    req: &SpendRequest<'_>,
) -> Result<VoucherView, KindpakketError> {
    spend_many(node, &[(municipality, signer, req)])
        .pop()
        .unwrap_or_else(|| Err(KindpakketError::Invalid("no answer".into())))
}

/// Takes many spends (from many tills at once) in one group commit: each is its own entry,
/// checked and booked as [`spend`] does, in the given order, and all are durable before this
/// returns; one answer per spend. Two spends of one voucher in one call are booked one after the
/// other, so the second finds what the first left.
pub fn spend_many(
    node: &mut Node,
    reqs: &[(&NoteKey, &NoteKey, &SpendRequest<'_>)],
) -> Vec<Result<VoucherView, KindpakketError>> {
    let ts = reqs
        .iter()
        .map(|(_, _, r)| r.now_ms)
        .max()
        .unwrap_or(0)
        .max(node.state().last_timestamp_ms());
    // Each request's voucher and entry, or why it is refused before the ledger.
    let planned: Vec<Result<(String, knop_ledger::entry::SignedEntry), KindpakketError>> = reqs
        .iter()
        .map(|(municipality, signer, req)| {
            let (voucher, period) =
                check_code(municipality, req.code, req.now_s).ok_or(KindpakketError::BadCode)?;
            if !node.state().vouchers().contains_key(&voucher) {
                return Err(KindpakketError::BadCode);
            }
            let cmd = Command::Kindpakket(KindpakketCommand::Spend {
                spend: format!("{voucher}-{period}"),
                voucher: voucher.clone(),
                merchant: req.merchant.clone(),
                category: req.category,
                cents: req.cents,
                date: req.today,
            });
            let name = OrgName::parse(signer.key_name())
                .map_err(|e| KindpakketError::Invalid(e.to_string()))?;
            let entry =
                knop_ledger::entry::SignedEntry::sign(name, ts, cmd.encode(), signer.signing_key());
            Ok((voucher, entry))
        })
        .collect();
    let entries: Vec<knop_ledger::entry::SignedEntry> = planned
        .iter()
        .filter_map(|p| p.as_ref().ok().map(|(_, e)| e.clone()))
        .collect();
    let mut outcomes = match node.submit(&entries) {
        Ok(o) => o.into_iter(),
        Err(e) => {
            // The store failed: nothing of these is acknowledged.
            let why = e.to_string();
            let mut first = Some(e);
            return planned
                .into_iter()
                .map(|p| {
                    p.and_then(|_| {
                        Err(match first.take() {
                            Some(e) => KindpakketError::Op(crate::ops::OpError::Node(e)),
                            None => KindpakketError::Op(crate::ops::OpError::Internal(why.clone())),
                        })
                    })
                })
                .collect();
        }
    };
    planned
        .into_iter()
        .map(|p| {
            let (voucher, _) = p?;
            match outcomes.next() {
                // The same spend again (this code, this shop, these details: a form sent
                // twice, an answer lost) is the purchase already booked, answered as such;
                // other details with this code are a reuse.
                Some(Ok(_)) => {}
                Some(Err(knop_state::StateError::Kindpakket {
                    rejection: knop_state::KindpakketRejection::ExistsWithDifferent(_),
                    ..
                })) => return Err(KindpakketError::CodeUsed),
                Some(Err(other)) => return Err(KindpakketError::Op(other.into())),
                None => return Err(KindpakketError::Invalid("no answer".into())),
            }
            voucher_view(node.state(), &voucher)
                .ok_or_else(|| KindpakketError::Invalid("the voucher cannot be read".into()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_holds_in_its_minute_and_the_next_and_only_for_its_voucher() {
        let k = NoteKey::from_seed("gemeente", &[9; 32]).unwrap();
        let (c, expires) = code(&k, "K7Q2XM", 1_000_020);
        assert_eq!(expires, (1_000_020 / 60 + 2) * 60);
        assert_eq!(check_code(&k, &c, 1_000_020).unwrap().0, "K7Q2XM");
        assert!(
            check_code(&k, &c, 1_000_020 + 60).is_some(),
            "the next minute"
        );
        assert!(check_code(&k, &c, 1_000_020 + 120).is_none(), "expired");
        assert!(check_code(&k, &c, 1_000_020 - 60).is_none(), "not before");
        let other = NoteKey::from_seed("gemeente", &[8; 32]).unwrap();
        assert!(check_code(&other, &c, 1_000_020).is_none(), "another key");
        let forged = format!("ABCDEF-{}", c.rsplit_once('-').unwrap().1);
        assert!(
            check_code(&k, &forged, 1_000_020).is_none(),
            "another voucher"
        );
        for bad in ["", "-", "K7Q2XM", "K7Q2XM-12345", "K7Q2XM-1234567"] {
            assert!(check_code(&k, bad, 1_000_020).is_none(), "{bad}");
        }
        assert_eq!(new_voucher_id().len(), 8);
        assert_eq!(voucher_id_for("g", "k1"), voucher_id_for("g", "k1"));
        assert_ne!(voucher_id_for("g", "k1"), voucher_id_for("g", "k2"));
        assert_ne!(voucher_id_for("g", "k1"), voucher_id_for("h", "k1"));
    }
}
