//! Declarations of inability to pay (Rode Knop): what a municipality issued, and their status,
//! as hashes and status-list indexes only. Entry tag 0x0A, encoding version 1; rejections read
//! as sentences ([`DeclarationRejection`]); its share of the digest is
//! [`Declarations::digest_into`].
//!
//! The declaration itself (an SD-JWT VC holding the resident's name, date of birth, BSN and
//! address) never comes here: the ledger keeps its SHA-256, the household's pseudonymous number,
//! the index of its entry in the municipality's Token Status List, and the dates it holds. The
//! status list a verifier fetches is folded from these entries, so every party replaying the
//! log can check that the list the municipality serves is the one the ledger says.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::Date;
use knop_codec::{DecodeError, Reader, Writer};
use knop_huishoudboekje::encoding::{date, read_date};
use knop_huishoudboekje::HouseholdId;
use knop_ledger::entry::{OrgName, SignedEntry};
use sha2::Sha256;

use crate::huishoudboekje::text;
use crate::{Outcome, StateError};

/// Entries in each municipality's status list: indexes are drawn at random below this, so that
/// an index says nothing about when or for whom a declaration was issued (herd privacy).
pub const STATUS_LIST_ENTRIES: u32 = 1 << 20;
/// Longest a declaration may hold, in days (the CJIB's noodstop extends to 12 months; a little
/// more for the month it starts in).
pub const DECLARATION_DAYS_MAX: i32 = 400;

/// A declaration's status, as in the Token Status List (one entry of two bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeclarationStatus {
    /// Valid (0x00).
    Valid = 0,
    /// Revoked (0x01, `INVALID`): final.
    Revoked = 1,
    /// Suspended (0x02): may become valid again.
    Suspended = 2,
}

impl DeclarationStatus {
    /// Every status, in code order.
    pub const ALL: [DeclarationStatus; 3] = [
        DeclarationStatus::Valid,
        DeclarationStatus::Revoked,
        DeclarationStatus::Suspended,
    ];

    /// The status's name in the API (`valid`, `revoked`, `suspended`).
    pub fn name(self) -> &'static str {
        match self {
            DeclarationStatus::Valid => "valid",
            DeclarationStatus::Revoked => "revoked",
            DeclarationStatus::Suspended => "suspended",
        }
    }

    /// The status named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }

    fn from_code(c: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|s| *s as u8 == c)
    }
}

/// Commands about declarations; only a municipality submits them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeclarationCommand {
    /// A declaration issued (sub-tag 1).
    Issue {
        /// SHA-256 of the issued SD-JWT (as the resident received it): its key.
        id: [u8; 32],
        /// The household it was issued for.
        household: HouseholdId,
        /// Its entry in the issuer's status list, below [`STATUS_LIST_ENTRIES`].
        index: u32,
        /// The first day it holds (debt assistance started).
        from: Date,
        /// The last day it holds (its `exp`).
        until: Date,
    },
    /// A declaration's status changed (sub-tag 2): revoked (final), suspended, or valid again.
    Status {
        /// The declaration.
        id: [u8; 32],
        /// Its new status.
        status: DeclarationStatus,
    },
}

/// Why a declaration command does not fit the state. Nothing was recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeclarationRejection {
    /// Occurs when the household is not on the ledger.
    #[error("household {0} is not on the ledger")]
    UnknownHousehold(HouseholdId),
    /// Occurs when the index is not below [`STATUS_LIST_ENTRIES`].
    #[error("status-list index {0} is not below {STATUS_LIST_ENTRIES}")]
    IndexOutOfRange(u32),
    /// Occurs when the issuer already uses the index for another declaration.
    #[error("status-list index {0} is taken by another declaration of this issuer")]
    IndexTaken(u32),
    /// Occurs when the dates are the wrong way round or too far apart.
    #[error("holds from {from} until {until}: expected until on or after from, at most {DECLARATION_DAYS_MAX} days")]
    Dates {
        /// First day.
        from: Date,
        /// Last day.
        until: Date,
    },
    /// Occurs when the id is used again with other details.
    #[error("exists with other details; a declaration's hash is its key")]
    ExistsWithDifferent,
    /// Occurs when a status names a declaration not on the ledger.
    #[error("is not on the ledger")]
    Unknown,
    /// Occurs when another municipality than the issuer changes the status.
    #[error("was issued by {0}; only the issuer changes its status")]
    NotYours(String),
    /// Occurs when a revoked declaration would change again.
    #[error("is revoked; a revocation is final")]
    Final,
}

/// A declaration, as the log says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclarationState {
    /// The municipality that issued it.
    pub issuer: OrgName,
    /// The household it was issued for.
    pub household: HouseholdId,
    /// Its entry in the issuer's status list.
    pub index: u32,
    /// First day it holds.
    pub from: Date,
    /// Last day it holds.
    pub until: Date,
    /// Its status.
    pub status: DeclarationStatus,
    /// The log index of its issuance.
    pub issued_at: u64,
    /// When its status last changed (entry timestamp, ms), or 0.
    pub changed_ms: u64,
}

impl DeclarationState {
    /// Whether it holds on `day`: valid, and `day` within its dates.
    pub fn holds_on(&self, day: Date) -> bool {
        self.status == DeclarationStatus::Valid && self.from <= day && day <= self.until
    }
}

/// The declarations' share of the state.
#[derive(Debug, Default, Clone)]
pub struct Declarations {
    /// Every declaration, by hash.
    pub(crate) by_id: BTreeMap<[u8; 32], DeclarationState>,
    /// The status-list indexes each issuer uses.
    pub(crate) indexes: BTreeMap<OrgName, BTreeSet<u32>>,
}

impl Declarations {
    /// Applies a declaration command signed by `entry.signer`, at log index `index`; all or
    /// nothing.
    pub(crate) fn apply(
        &mut self,
        entry: &SignedEntry,
        index: u64,
        cmd: DeclarationCommand,
        is_household: impl Fn(HouseholdId) -> bool,
    ) -> Result<Outcome, StateError> {
        let id = match &cmd {
            DeclarationCommand::Issue { id, .. } | DeclarationCommand::Status { id, .. } => *id,
        };
        self.apply_inner(entry, index, cmd, is_household)
            .map_err(|rejection| StateError::Declaration {
                id: hex(&id),
                rejection,
            })
    }

    fn apply_inner(
        &mut self,
        entry: &SignedEntry,
        at: u64,
        cmd: DeclarationCommand,
        is_household: impl Fn(HouseholdId) -> bool,
    ) -> Result<Outcome, DeclarationRejection> {
        let created = Outcome {
            created: 1,
            existing: 0,
        };
        let existing = Outcome {
            created: 0,
            existing: 1,
        };
        match cmd {
            DeclarationCommand::Issue {
                id,
                household,
                index,
                from,
                until,
            } => {
                if let Some(d) = self.by_id.get(&id) {
                    let same = d.issuer == entry.signer
                        && (d.household, d.index, d.from, d.until)
                            == (household, index, from, until);
                    return if same {
                        Ok(existing)
                    } else {
                        Err(DeclarationRejection::ExistsWithDifferent)
                    };
                }
                if !is_household(household) {
                    return Err(DeclarationRejection::UnknownHousehold(household));
                }
                if index >= STATUS_LIST_ENTRIES {
                    return Err(DeclarationRejection::IndexOutOfRange(index));
                }
                let days = from.until(until).map(|s| s.get_days()).unwrap_or(-1);
                if !(0..=DECLARATION_DAYS_MAX).contains(&days) {
                    return Err(DeclarationRejection::Dates { from, until });
                }
                let used = self.indexes.entry(entry.signer.clone()).or_default();
                if !used.insert(index) {
                    return Err(DeclarationRejection::IndexTaken(index));
                }
                self.by_id.insert(
                    id,
                    DeclarationState {
                        issuer: entry.signer.clone(),
                        household,
                        index,
                        from,
                        until,
                        status: DeclarationStatus::Valid,
                        issued_at: at,
                        changed_ms: 0,
                    },
                );
                Ok(created)
            }
            DeclarationCommand::Status { id, status } => {
                let d = self
                    .by_id
                    .get_mut(&id)
                    .ok_or(DeclarationRejection::Unknown)?;
                if d.issuer != entry.signer {
                    return Err(DeclarationRejection::NotYours(d.issuer.to_string()));
                }
                if d.status == status {
                    return Ok(existing);
                }
                if d.status == DeclarationStatus::Revoked {
                    return Err(DeclarationRejection::Final);
                }
                d.status = status;
                d.changed_ms = entry.timestamp_ms;
                Ok(created)
            }
        }
    }

    /// Feeds every field of every declaration into `h` (the indexes follow from them).
    pub(crate) fn digest_into(&self, h: &mut Sha256) {
        use sha2::Digest;
        let Declarations { by_id, indexes: _ } = self;
        h.update((by_id.len() as u64).to_be_bytes());
        for (id, d) in by_id {
            let DeclarationState {
                issuer,
                household,
                index,
                from,
                until,
                status,
                issued_at,
                changed_ms,
            } = d;
            h.update(id);
            text(h, issuer.as_str());
            h.update(household.0.to_be_bytes());
            h.update(index.to_be_bytes());
            text(h, &from.to_string());
            text(h, &until.to_string());
            h.update([*status as u8]);
            h.update(issued_at.to_be_bytes());
            h.update(changed_ms.to_be_bytes());
        }
    }
}

/// Bytes as lower-case hex (a declaration's id in messages).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl DeclarationCommand {
    pub(crate) fn encode(&self, w: &mut Writer) {
        match self {
            DeclarationCommand::Issue {
                id,
                household,
                index,
                from,
                until,
            } => {
                w.u8(1);
                w.fixed(id);
                w.u128(household.0);
                w.u32(*index);
                date(w, *from);
                date(w, *until);
            }
            DeclarationCommand::Status { id, status } => {
                w.u8(2);
                w.fixed(id);
                w.u8(*status as u8);
            }
        }
    }

    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let tag = r.u8("declaration.command")?;
        let id = r.fixed("declaration.id")?;
        Ok(match tag {
            1 => DeclarationCommand::Issue {
                id,
                household: HouseholdId(r.u128("declaration.household")?),
                index: r.u32("declaration.index")?,
                from: read_date(r, "declaration.from")?,
                until: read_date(r, "declaration.until")?,
            },
            2 => {
                let code = r.u8("declaration.status")?;
                let status = DeclarationStatus::from_code(code).ok_or_else(|| {
                    r.error(
                        "declaration.status",
                        format!("0 (valid), 1 (revoked) or 2 (suspended), found {code}"),
                    )
                })?;
                DeclarationCommand::Status { id, status }
            }
            other => {
                return Err(r.error(
                    "declaration.command",
                    format!("a declaration command 1-2, found {other}"),
                ))
            }
        })
    }
}
