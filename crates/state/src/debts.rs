//! Debts (schulden): a household's claims and what happens to them, as events, in the spirit of
//! the Financial Claims Information Document of Vorderingenoverzicht Rijk / Mijn Betaaloverzicht
//! (an obligation imposed; reminders, summonses, costs and interest added; payments processed;
//! withdrawn; forgiven), in integer cents, one key per event. Entry tag 0x09, encoding version
//! 1; rejections read as sentences ([`ClaimRejection`]); its share of the digest is
//! [`Debts::digest_into`].
//!
//! A claim names its creditor: an organisation registered on the ledger (which may then record
//! events on its own claims, and only on those), or a creditor known only by name (whose events
//! the foundation records). Names, BSNs and addresses never come here: the household is a
//! pseudonymous number and the creditor's reference is checked by the application layer before
//! anything is recorded.

use std::collections::BTreeMap;

use jiff::civil::Date;
use knop_codec::{DecodeError, Reader, Writer};
use knop_huishoudboekje::HouseholdId;
use knop_ledger::entry::{OrgName, SignedEntry, ORG_NAME_BYTES_MAX};
use sha2::Sha256;

use crate::declarations::{DeclarationState, DeclarationStatus};
use crate::huishoudboekje::text;
use crate::{OrgKind, Outcome, StateError};
use knop_huishoudboekje::encoding::{date, read_date};

/// Longest claim id or event id, in bytes.
pub const CLAIM_ID_BYTES_MAX: usize = 64;
/// Longest creditor name (SEPA `Nm`) or creditor's reference, in bytes.
pub const CLAIM_TEXT_BYTES_MAX: usize = 140;
/// Largest amount of one claim or event: EUR 10 million, in cents.
pub const CLAIM_CENTS_MAX: i64 = 1_000_000_000;
/// Most events on one claim.
pub const CLAIM_EVENTS_MAX: usize = 1_000;

/// Who a claim is owed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Creditor {
    /// An organisation registered on the ledger (kind creditor): it records its own events.
    Org(OrgName),
    /// A creditor known only by name (the foundation records its events).
    Named(String),
}

impl Creditor {
    /// The creditor's name as shown.
    pub fn name(&self) -> &str {
        match self {
            Creditor::Org(o) => o.as_str(),
            Creditor::Named(n) => n,
        }
    }
}

/// What happened to a claim. Amounts are cents, never negative; what they do to what is left is
/// the kind's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventKind {
    /// Collection costs added (adds to what is left).
    Costs = 1,
    /// Interest added (adds).
    Interest = 2,
    /// A payment processed (subtracts).
    Payment = 3,
    /// A reminder sent (its amount: costs it adds, often 0).
    Reminder = 4,
    /// A summons (aanmaning, dwangbevel) sent (its amount: costs it adds).
    Summons = 5,
    /// Part or all of the claim withdrawn by the creditor (subtracts).
    Withdrawn = 6,
    /// Part or all of the claim forgiven (kwijtschelding; subtracts).
    Forgiven = 7,
    /// A payment arrangement agreed: its amount is the monthly instalment (changes nothing left).
    Arrangement = 8,
}

impl EventKind {
    /// Every kind, in code order.
    pub const ALL: [EventKind; 8] = [
        EventKind::Costs,
        EventKind::Interest,
        EventKind::Payment,
        EventKind::Reminder,
        EventKind::Summons,
        EventKind::Withdrawn,
        EventKind::Forgiven,
        EventKind::Arrangement,
    ];

    /// The kind's name in the API (`costs`, `interest`, ...).
    pub fn name(self) -> &'static str {
        match self {
            EventKind::Costs => "costs",
            EventKind::Interest => "interest",
            EventKind::Payment => "payment",
            EventKind::Reminder => "reminder",
            EventKind::Summons => "summons",
            EventKind::Withdrawn => "withdrawn",
            EventKind::Forgiven => "forgiven",
            EventKind::Arrangement => "arrangement",
        }
    }

    /// The kind named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    fn from_code(c: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|k| *k as u8 == c)
    }

    /// What the event does to what is left: +1 adds its amount, -1 subtracts it, 0 nothing.
    pub fn sign(self) -> i64 {
        match self {
            EventKind::Costs | EventKind::Interest | EventKind::Reminder | EventKind::Summons => 1,
            EventKind::Payment | EventKind::Withdrawn | EventKind::Forgiven => -1,
            EventKind::Arrangement => 0,
        }
    }
}

/// What a hold pauses (bits): collection (reminders, summonses, bailiffs), costs, interest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Pauses(pub u8);

impl Pauses {
    /// Collection paused: no reminders, summonses or bailiff.
    pub const COLLECTION: u8 = 1;
    /// No collection costs added.
    pub const COSTS: u8 = 2;
    /// No interest added.
    pub const INTEREST: u8 = 4;
    /// Everything a hold can pause.
    pub const ALL: Pauses = Pauses(7);

    /// Whether it pauses anything, and nothing unknown.
    pub fn is_valid(self) -> bool {
        (1..=7).contains(&self.0)
    }

    /// Whether an event of `kind` is one the hold pauses (so recording it during the hold is
    /// worth an alert): costs for [`Pauses::COSTS`], interest for [`Pauses::INTEREST`],
    /// reminders and summonses for [`Pauses::COLLECTION`] (or, with an amount, for costs).
    pub fn covers(self, kind: EventKind, cents: i64) -> bool {
        let has = |bit| self.0 & bit != 0;
        match kind {
            EventKind::Costs => has(Self::COSTS),
            EventKind::Interest => has(Self::INTEREST),
            EventKind::Reminder | EventKind::Summons => {
                has(Self::COLLECTION) || (cents > 0 && has(Self::COSTS))
            }
            _ => false,
        }
    }

    /// The names of what it pauses (`collection`, `costs`, `interest`).
    pub fn names(self) -> Vec<&'static str> {
        [
            (Self::COLLECTION, "collection"),
            (Self::COSTS, "costs"),
            (Self::INTEREST, "interest"),
        ]
        .into_iter()
        .filter(|(bit, _)| self.0 & bit != 0)
        .map(|(_, n)| n)
        .collect()
    }
}

/// Commands about debts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimCommand {
    /// An obligation imposed: the claim, its creditor and its original amount (sub-tag 1).
    Open {
        /// The claim's id (one key: the same content again changes nothing).
        claim: String,
        /// The household that owes it.
        household: HouseholdId,
        /// Who it is owed to.
        creditor: Creditor,
        /// The creditor's own reference (its case or invoice number).
        reference: String,
        /// The original amount, in cents.
        principal_cents: i64,
        /// When it was imposed.
        date: Date,
    },
    /// Something happened to a claim (sub-tag 2).
    Event {
        /// The claim.
        claim: String,
        /// The event's id, unique within the claim (one key per event).
        event: String,
        /// What happened.
        kind: EventKind,
        /// Its amount, in cents (see [`EventKind::sign`]).
        cents: i64,
        /// When it happened.
        date: Date,
    },
    /// The creditor puts collection on hold, relying on a declaration of inability to pay
    /// (sub-tag 3); it replaces an earlier hold on the claim.
    Hold {
        /// The claim.
        claim: String,
        /// The declaration's hash (see [`crate::DeclarationCommand`]).
        declaration: [u8; 32],
        /// First day of the hold.
        from: Date,
        /// Last day of the hold (at most the declaration's last day).
        until: Date,
        /// What is paused.
        pauses: Pauses,
    },
    /// The creditor ends its hold early (sub-tag 4).
    EndHold {
        /// The claim.
        claim: String,
        /// The day it ends (the hold covers the days before it).
        date: Date,
    },
}

/// Why a debt command does not fit the state. Nothing was recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClaimRejection {
    /// Occurs when a claim is opened for a household that is not on the ledger.
    #[error("household {0} is not on the ledger")]
    UnknownHousehold(HouseholdId),
    /// Occurs when an id is empty.
    #[error("the claim and event ids must not be empty")]
    EmptyId,
    /// Occurs when an amount is negative or over the limit.
    #[error("amounts are 0 to {CLAIM_CENTS_MAX} cents, found {0}")]
    AmountOutOfRange(i64),
    /// Occurs when a claim id is used again with other details.
    #[error("exists with other details; a claim's id is its key")]
    ClaimExistsWithDifferent,
    /// Occurs when an event id is used again with other details.
    #[error("event {0:?} exists with other details; an event's id is its key")]
    EventExistsWithDifferent(String),
    /// Occurs when an event names a claim that is not on the ledger.
    #[error("is not on the ledger")]
    UnknownClaim,
    /// Occurs when a creditor records a claim of another creditor, or for another creditor.
    #[error("belongs to another creditor; a creditor records only its own claims")]
    NotYourClaim,
    /// Occurs when an organisation named as creditor is not registered as a creditor.
    #[error("creditor {0:?} is not registered on the ledger as a creditor")]
    NotACreditor(String),
    /// Occurs when an event would take more off than is left.
    #[error("would take {cents} cents off, but {left} cents are left")]
    MoreThanLeft {
        /// The event's amount.
        cents: i64,
        /// What is left.
        left: i64,
    },
    /// Occurs when a hold names a declaration not on the ledger, of another household, or revoked.
    #[error("the declaration is not on the ledger for this claim's household, or it is revoked")]
    NoDeclaration,
    /// Occurs when a hold's dates are the wrong way round or outlast its declaration.
    #[error(
        "a hold runs from {from} until {until}, within its declaration (until {declaration_until})"
    )]
    HoldDates {
        /// First day.
        from: Date,
        /// Last day.
        until: Date,
        /// The declaration's last day.
        declaration_until: Date,
    },
    /// Occurs when a hold pauses nothing or something unknown.
    #[error("a hold pauses collection (1), costs (2) and/or interest (4), found bits {0}")]
    BadPauses(u8),
    /// Occurs when a hold is ended that is not there, or was ended on another day.
    #[error("has no hold to end on that day")]
    NoHold,
    /// Occurs when the foundation records a hold on a claim of a creditor on the ledger: that
    /// creditor signs its own holds.
    #[error("is held by a creditor on the ledger, which records its hold itself")]
    CreditorSigns,
    /// Occurs when a claim has had as many holds as it may keep.
    #[error("has had {HOLDS_MAX} holds, the most one claim keeps")]
    TooManyHolds,
    /// Occurs when a claim has as many events as it may.
    #[error("has {CLAIM_EVENTS_MAX} events, the most one claim may have")]
    TooManyEvents,
}

/// An event as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimEvent {
    /// What happened.
    pub kind: EventKind,
    /// Its amount, in cents.
    pub cents: i64,
    /// When it happened.
    pub date: Date,
    /// Who recorded it.
    pub by: OrgName,
    /// The log index of its entry.
    pub index: u64,
}

/// A claim, as the log says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimState {
    /// The household that owes it.
    pub household: HouseholdId,
    /// Who it is owed to.
    pub creditor: Creditor,
    /// The creditor's reference.
    pub reference: String,
    /// The original amount, in cents.
    pub principal_cents: i64,
    /// When it was imposed.
    pub date: Date,
    /// Who recorded it.
    pub opened_by: OrgName,
    /// Its events, by id.
    pub events: BTreeMap<String, ClaimEvent>,
    /// The creditor's hold, if it recorded one.
    pub hold: Option<Hold>,
    /// Holds it replaced, oldest first (at most [`HOLDS_MAX`]): what was recorded during them
    /// stays visible.
    pub earlier_holds: Vec<Hold>,
}

/// Most holds one claim keeps (the current one and those it replaced).
pub const HOLDS_MAX: usize = 32;

/// A hold on a claim, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    /// The declaration it relies on.
    pub declaration: [u8; 32],
    /// First day.
    pub from: Date,
    /// Last day.
    pub until: Date,
    /// What is paused.
    pub pauses: Pauses,
    /// Who recorded it.
    pub by: OrgName,
    /// The log index of its entry.
    pub index: u64,
    /// The day the creditor ended it early, if it did.
    pub ended: Option<Date>,
}

impl Hold {
    /// Whether the hold covers `day`, given its declaration (`None`: not on the ledger): within
    /// its dates, not ended, and its declaration holds that day. A revoked or expired
    /// declaration ends the hold.
    pub fn covers(&self, day: Date, declaration: Option<&DeclarationState>) -> bool {
        self.from <= day
            && day <= self.until
            && self.ended.is_none_or(|e| day < e)
            && declaration.is_some_and(|d| d.holds_on(day))
    }

    /// Whether an event on `day` fell within the hold as recorded (its dates, not ended, not
    /// past its declaration's last day); a later revocation does not undo that it did.
    pub fn covered(&self, day: Date, declaration: Option<&DeclarationState>) -> bool {
        self.from <= day
            && day <= self.until
            && self.ended.is_none_or(|e| day < e)
            && declaration.is_some_and(|d| day <= d.until)
    }
}

/// Where a claim stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimStatus {
    /// Owed, no arrangement.
    Open,
    /// A payment arrangement is agreed.
    Arrangement,
    /// Nothing left: paid.
    Settled,
    /// Nothing left, and part of it was forgiven or withdrawn.
    Forgiven,
}

impl ClaimState {
    /// What is left, in cents: the original amount plus costs and interest, less payments,
    /// withdrawals and what was forgiven.
    pub fn left_cents(&self) -> i64 {
        self.events.values().fold(self.principal_cents, |left, e| {
            left + e.kind.sign() * e.cents
        })
    }

    /// The total of events of `kind`, in cents.
    pub fn total_cents(&self, kind: EventKind) -> i64 {
        self.events
            .values()
            .filter(|e| e.kind == kind)
            .map(|e| e.cents)
            .sum()
    }

    /// Where the claim stands.
    pub fn status(&self) -> ClaimStatus {
        let has = |k| self.events.values().any(|e| e.kind == k);
        if self.left_cents() == 0 {
            if has(EventKind::Forgiven) || has(EventKind::Withdrawn) {
                ClaimStatus::Forgiven
            } else {
                ClaimStatus::Settled
            }
        } else if has(EventKind::Arrangement) {
            ClaimStatus::Arrangement
        } else {
            ClaimStatus::Open
        }
    }
}

/// The debts' share of the state.
#[derive(Debug, Default, Clone)]
pub struct Debts {
    /// Every claim, by id.
    pub(crate) claims: BTreeMap<String, ClaimState>,
}

fn amount(cents: i64) -> Result<(), ClaimRejection> {
    if (0..=CLAIM_CENTS_MAX).contains(&cents) {
        Ok(())
    } else {
        Err(ClaimRejection::AmountOutOfRange(cents))
    }
}

impl Debts {
    /// Applies a debt command signed by `entry.signer` (of `kind`), at log index `index`; all or
    /// nothing; `ctx` tells about the rest of the state.
    pub(crate) fn apply(
        &mut self,
        entry: &SignedEntry,
        kind: OrgKind,
        index: u64,
        cmd: ClaimCommand,
        ctx: Context<'_>,
    ) -> Result<Outcome, StateError> {
        let (claim_id, result) = match cmd {
            ClaimCommand::Open {
                claim,
                household,
                creditor,
                reference,
                principal_cents,
                date,
            } => {
                let state = ClaimState {
                    household,
                    creditor,
                    reference,
                    principal_cents,
                    date,
                    opened_by: entry.signer.clone(),
                    events: BTreeMap::new(),
                    hold: None,
                    earlier_holds: vec![],
                };
                let r = self.open(&claim, state, kind, ctx.is_household, ctx.kind_of);
                (claim, r)
            }
            ClaimCommand::Event {
                claim,
                event,
                kind: what,
                cents,
                date,
            } => {
                let e = ClaimEvent {
                    kind: what,
                    cents,
                    date,
                    by: entry.signer.clone(),
                    index,
                };
                let r = self.event(&claim, event, e, kind);
                (claim, r)
            }
            ClaimCommand::Hold {
                claim,
                declaration,
                from,
                until,
                pauses,
            } => {
                let hold = Hold {
                    declaration,
                    from,
                    until,
                    pauses,
                    by: entry.signer.clone(),
                    index,
                    ended: None,
                };
                let r = self.hold(&claim, hold, kind, ctx.declaration);
                (claim, r)
            }
            ClaimCommand::EndHold { claim, date } => {
                let r = self.end_hold(&claim, date, &entry.signer, kind);
                (claim, r)
            }
        };
        result.map_err(|rejection| StateError::Claim {
            claim: claim_id,
            rejection,
        })
    }

    fn open(
        &mut self,
        id: &str,
        state: ClaimState,
        kind: OrgKind,
        is_household: &dyn Fn(HouseholdId) -> bool,
        kind_of: &dyn Fn(&OrgName) -> Option<OrgKind>,
    ) -> Result<Outcome, ClaimRejection> {
        if id.is_empty() {
            return Err(ClaimRejection::EmptyId);
        }
        amount(state.principal_cents)?;
        if !is_household(state.household) {
            return Err(ClaimRejection::UnknownHousehold(state.household));
        }
        if let Creditor::Org(o) = &state.creditor {
            if kind_of(o) != Some(OrgKind::Creditor) {
                return Err(ClaimRejection::NotACreditor(o.to_string()));
            }
        }
        // A creditor opens only its own claims.
        if kind == OrgKind::Creditor && state.creditor != Creditor::Org(state.opened_by.clone()) {
            return Err(ClaimRejection::NotYourClaim);
        }
        if let Some(existing) = self.claims.get(id) {
            let same = existing.household == state.household
                && existing.creditor == state.creditor
                && existing.reference == state.reference
                && existing.principal_cents == state.principal_cents
                && existing.date == state.date;
            return if same {
                Ok(Outcome {
                    created: 0,
                    existing: 1,
                })
            } else {
                Err(ClaimRejection::ClaimExistsWithDifferent)
            };
        }
        self.claims.insert(id.to_owned(), state);
        Ok(Outcome {
            created: 1,
            existing: 0,
        })
    }

    fn event(
        &mut self,
        claim: &str,
        id: String,
        e: ClaimEvent,
        kind: OrgKind,
    ) -> Result<Outcome, ClaimRejection> {
        if id.is_empty() {
            return Err(ClaimRejection::EmptyId);
        }
        amount(e.cents)?;
        let c = self
            .claims
            .get_mut(claim)
            .ok_or(ClaimRejection::UnknownClaim)?;
        if kind == OrgKind::Creditor && c.creditor != Creditor::Org(e.by.clone()) {
            return Err(ClaimRejection::NotYourClaim);
        }
        if let Some(existing) = c.events.get(&id) {
            return if (existing.kind, existing.cents, existing.date) == (e.kind, e.cents, e.date) {
                Ok(Outcome {
                    created: 0,
                    existing: 1,
                })
            } else {
                Err(ClaimRejection::EventExistsWithDifferent(id))
            };
        }
        if c.events.len() >= CLAIM_EVENTS_MAX {
            return Err(ClaimRejection::TooManyEvents);
        }
        let left = c.left_cents();
        if e.kind.sign() < 0 && e.cents > left {
            return Err(ClaimRejection::MoreThanLeft {
                cents: e.cents,
                left,
            });
        }
        // Bounded: at most CLAIM_EVENTS_MAX events of at most CLAIM_CENTS_MAX each.
        c.events.insert(id, e);
        Ok(Outcome {
            created: 1,
            existing: 0,
        })
    }

    /// Checks that `signer` (of `kind`) records holds on `c`: a creditor on its own claims; the
    /// foundation on claims of creditors known only by name.
    fn may_hold(c: &ClaimState, signer: &OrgName, kind: OrgKind) -> Result<(), ClaimRejection> {
        match (&c.creditor, kind) {
            (Creditor::Org(o), OrgKind::Creditor) if o == signer => Ok(()),
            (_, OrgKind::Creditor) => Err(ClaimRejection::NotYourClaim),
            (Creditor::Org(_), _) => Err(ClaimRejection::CreditorSigns),
            (Creditor::Named(_), _) => Ok(()),
        }
    }

    fn hold<'d>(
        &mut self,
        claim: &str,
        hold: Hold,
        kind: OrgKind,
        declaration: &dyn Fn(&[u8; 32]) -> Option<&'d DeclarationState>,
    ) -> Result<Outcome, ClaimRejection> {
        let c = self
            .claims
            .get_mut(claim)
            .ok_or(ClaimRejection::UnknownClaim)?;
        Self::may_hold(c, &hold.by, kind)?;
        if !hold.pauses.is_valid() {
            return Err(ClaimRejection::BadPauses(hold.pauses.0));
        }
        let d = declaration(&hold.declaration)
            .filter(|d| d.household == c.household && d.status != DeclarationStatus::Revoked)
            .ok_or(ClaimRejection::NoDeclaration)?;
        if hold.from > hold.until || hold.until > d.until || hold.from < d.from {
            return Err(ClaimRejection::HoldDates {
                from: hold.from,
                until: hold.until,
                declaration_until: d.until,
            });
        }
        if let Some(h) = &c.hold {
            let same = (h.declaration, h.from, h.until, h.pauses, h.ended)
                == (hold.declaration, hold.from, hold.until, hold.pauses, None);
            if same {
                return Ok(Outcome {
                    created: 0,
                    existing: 1,
                });
            }
        }
        if let Some(old) = c.hold.take() {
            if c.earlier_holds.len() + 1 >= HOLDS_MAX {
                c.hold = Some(old);
                return Err(ClaimRejection::TooManyHolds);
            }
            c.earlier_holds.push(old);
        }
        c.hold = Some(hold);
        Ok(Outcome {
            created: 1,
            existing: 0,
        })
    }

    fn end_hold(
        &mut self,
        claim: &str,
        date: Date,
        signer: &OrgName,
        kind: OrgKind,
    ) -> Result<Outcome, ClaimRejection> {
        let c = self
            .claims
            .get_mut(claim)
            .ok_or(ClaimRejection::UnknownClaim)?;
        Self::may_hold(c, signer, kind)?;
        let h = c.hold.as_mut().ok_or(ClaimRejection::NoHold)?;
        match h.ended {
            Some(e) if e == date => Ok(Outcome {
                created: 0,
                existing: 1,
            }),
            Some(_) => Err(ClaimRejection::NoHold),
            None if date < h.from => Err(ClaimRejection::NoHold),
            None => {
                h.ended = Some(date);
                Ok(Outcome {
                    created: 1,
                    existing: 0,
                })
            }
        }
    }

    /// Feeds every field of every claim and event into `h`.
    pub(crate) fn digest_into(&self, h: &mut Sha256) {
        use sha2::Digest;
        let Debts { claims } = self;
        h.update((claims.len() as u64).to_be_bytes());
        for (id, c) in claims {
            let ClaimState {
                household,
                creditor,
                reference,
                principal_cents,
                date,
                opened_by,
                events,
                hold,
                earlier_holds,
            } = c;
            text(h, id);
            h.update(household.0.to_be_bytes());
            match creditor {
                Creditor::Org(o) => {
                    h.update([1]);
                    text(h, o.as_str());
                }
                Creditor::Named(n) => {
                    h.update([2]);
                    text(h, n);
                }
            }
            text(h, reference);
            h.update(principal_cents.to_be_bytes());
            text(h, &date.to_string());
            text(h, opened_by.as_str());
            h.update((events.len() as u64).to_be_bytes());
            for (eid, e) in events {
                let ClaimEvent {
                    kind,
                    cents,
                    date,
                    by,
                    index,
                } = e;
                text(h, eid);
                h.update([*kind as u8]);
                h.update(cents.to_be_bytes());
                text(h, &date.to_string());
                text(h, by.as_str());
                h.update(index.to_be_bytes());
            }
            h.update((earlier_holds.len() as u64).to_be_bytes());
            h.update([u8::from(hold.is_some())]);
            for held in earlier_holds.iter().chain(hold) {
                let Hold {
                    declaration,
                    from,
                    until,
                    pauses,
                    by,
                    index,
                    ended,
                } = held;
                h.update(declaration);
                text(h, &from.to_string());
                text(h, &until.to_string());
                h.update([pauses.0]);
                text(h, by.as_str());
                h.update(index.to_be_bytes());
                text(h, &ended.map(|e| e.to_string()).unwrap_or_default());
            }
        }
    }
}

/// What a debt command needs to know of the rest of the state.
pub(crate) struct Context<'a> {
    /// Whether a household is on the ledger.
    pub(crate) is_household: &'a dyn Fn(HouseholdId) -> bool,
    /// The kind an organisation is registered with.
    pub(crate) kind_of: &'a dyn Fn(&OrgName) -> Option<OrgKind>,
    /// A declaration by its hash.
    pub(crate) declaration: &'a dyn Fn(&[u8; 32]) -> Option<&'a DeclarationState>,
}

fn read_cents(r: &mut Reader<'_>, field: &'static str) -> Result<i64, DecodeError> {
    let at = r.offset();
    let c = r.i64(field)?;
    if (0..=CLAIM_CENTS_MAX).contains(&c) {
        Ok(c)
    } else {
        Err(DecodeError {
            offset: at,
            field,
            expected: format!("0..={CLAIM_CENTS_MAX} cents, found {c}"),
        })
    }
}

impl ClaimCommand {
    /// The claim concerned.
    pub fn claim(&self) -> &str {
        match self {
            ClaimCommand::Open { claim, .. }
            | ClaimCommand::Event { claim, .. }
            | ClaimCommand::Hold { claim, .. }
            | ClaimCommand::EndHold { claim, .. } => claim,
        }
    }

    pub(crate) fn encode(&self, w: &mut Writer) {
        match self {
            ClaimCommand::Open {
                claim,
                household,
                creditor,
                reference,
                principal_cents,
                date: d,
            } => {
                w.u8(1);
                w.str(claim);
                w.u128(household.0);
                match creditor {
                    Creditor::Org(o) => {
                        w.u8(1);
                        w.str(o.as_str());
                    }
                    Creditor::Named(n) => {
                        w.u8(2);
                        w.str(n);
                    }
                }
                w.str(reference);
                w.i64(*principal_cents);
                date(w, *d);
            }
            ClaimCommand::Event {
                claim,
                event,
                kind,
                cents,
                date: d,
            } => {
                w.u8(2);
                w.str(claim);
                w.str(event);
                w.u8(*kind as u8);
                w.i64(*cents);
                date(w, *d);
            }
            ClaimCommand::Hold {
                claim,
                declaration,
                from,
                until,
                pauses,
            } => {
                w.u8(3);
                w.str(claim);
                w.fixed(declaration);
                date(w, *from);
                date(w, *until);
                w.u8(pauses.0);
            }
            ClaimCommand::EndHold { claim, date: d } => {
                w.u8(4);
                w.str(claim);
                date(w, *d);
            }
        }
    }

    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let tag = r.u8("claim.command")?;
        let claim = r.str("claim.id", CLAIM_ID_BYTES_MAX)?.to_owned();
        Ok(match tag {
            1 => {
                let household = HouseholdId(r.u128("claim.household")?);
                let creditor = match r.u8("claim.creditor")? {
                    1 => {
                        let at = r.offset();
                        let name = r.str("claim.creditor", ORG_NAME_BYTES_MAX)?;
                        Creditor::Org(OrgName::parse(name).map_err(|e| DecodeError {
                            offset: at,
                            field: "claim.creditor",
                            expected: e.to_string(),
                        })?)
                    }
                    2 => Creditor::Named(r.str("claim.creditor", CLAIM_TEXT_BYTES_MAX)?.to_owned()),
                    other => {
                        return Err(r.error(
                            "claim.creditor",
                            format!("1 (organisation) or 2 (by name), found {other}"),
                        ))
                    }
                };
                ClaimCommand::Open {
                    claim,
                    household,
                    creditor,
                    reference: r.str("claim.reference", CLAIM_TEXT_BYTES_MAX)?.to_owned(),
                    principal_cents: read_cents(r, "claim.principal")?,
                    date: read_date(r, "claim.date")?,
                }
            }
            2 => {
                let event = r.str("claim.event", CLAIM_ID_BYTES_MAX)?.to_owned();
                let code = r.u8("claim.kind")?;
                let kind = EventKind::from_code(code).ok_or_else(|| {
                    r.error("claim.kind", format!("an event kind 1-8, found {code}"))
                })?;
                ClaimCommand::Event {
                    claim,
                    event,
                    kind,
                    cents: read_cents(r, "claim.cents")?,
                    date: read_date(r, "claim.date")?,
                }
            }
            3 => ClaimCommand::Hold {
                claim,
                declaration: r.fixed("claim.declaration")?,
                from: read_date(r, "claim.from")?,
                until: read_date(r, "claim.until")?,
                pauses: Pauses(r.u8("claim.pauses")?),
            },
            4 => ClaimCommand::EndHold {
                claim,
                date: read_date(r, "claim.date")?,
            },
            other => {
                return Err(r.error(
                    "claim.command",
                    format!("a claim command 1-4, found {other}"),
                ))
            }
        })
    }
}
