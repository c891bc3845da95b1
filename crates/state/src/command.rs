//! Commands: what an entry's body says, with their canonical encoding (version 1).
//!
//! ```text
//! body = tag (u8) || fields
//!   0x01 RegisterOrg     name (text) || kind (u8, see [`OrgKind`]) || Ed25519 public key (32 bytes)
//!   0x02 CreateAccounts  count (u32) || accounts (52 bytes each)
//!   0x03 CreateTransfers count (u32) || transfers (98 bytes each)
//!   0x04 Attach          subject (u128) || kind (text) || data (bytes)
//!   0x05 Erase           index (u64) || reason (text)
//!   0x06 Household       sub-tag (u8) || fields, see [`HouseholdCommand`]
//!          0x01 Open          household (u128) || counsellor (text) || information (text)
//!          0x02 Revoke        household (u128) || effective (u64 ms)
//!          0x03 SetAgreement  household (u128) || agreement (knop-budget encoding v1)
//!          0x04 EndAgreement  household (u128) || agreement id (text) || through (u16 u8 u8)
//!   0x07 PaymentRun      sub-tag (u8) || fields, see [`PaymentRunCommand`]
//!          0x01 Create        run id (text) || household (u128) || created by (text) ||
//!                             content (bytes: `knop_app::payrun::RunContent::to_bytes`; v1 was JSON)
//!          0x02 Approve       run id (text) || content SHA-256 (32 bytes) || by (text)
//!          0x03 SetIdScope    "" (text) || scope (16 bytes)
//!          0x04 CreateBatch   day file id (text) || created by (text) || count (u32, 1..=1000)
//!                             || runs (each: run id (text) || household (u128) || content (bytes))
//!          0x05 ApproveBatch  day file id (text) || day file SHA-256 (32 bytes) || by (text)
//!   0x08 Together        count (u32, 1..=16) || parts (bytes each: a command's body as above)
//!   0x09 Claim           sub-tag (u8) || claim id (text) || fields, see [`ClaimCommand`]
//!          0x01 Open          household (u128) || creditor (u8 1: org name | 2: name) (text) ||
//!                             reference (text) || principal (i64 cents) || date (u16 u8 u8)
//!          0x02 Event         event id (text) || kind (u8 1-8) || cents (i64) || date
//!          0x03 Hold          declaration SHA-256 (32 bytes) || from || until || pauses (u8 bits)
//!          0x04 EndHold       date
//!   0x0A Declaration     sub-tag (u8) || SHA-256 of the SD-JWT (32 bytes) || fields, see
//!                        [`DeclarationCommand`]
//!          0x01 Issue         household (u128) || status-list index (u32) || from || until
//!          0x02 Status        status (u8 0 valid, 1 revoked, 2 suspended)
//!   0x0B Kindpakket      sub-tag (u8) || fields, see [`KindpakketCommand`]
//!          0x01 OpenFund      fund (text) || child cents (i64) || from || until ||
//!                             categories (u16 bits) || cap cents (i64)
//!          0x02 SetStatus     fund (text) || status (u8 1 active, 2 paused, 3 closed)
//!          0x03 AcceptMerchant fund (text) || merchant (text) || categories (u16 bits)
//!          0x04 IssueVoucher  voucher (text) || fund (text) || household (u128)
//!          0x05 Spend         spend (text) || voucher (text) || merchant (text) ||
//!                             category (u8 bit) || cents (i64) || date
//!          0x06 CancelSpend   spend (text) || date
//!          0x07 BlockVoucher  voucher (text)
//!          0x08 ReissueVoucher voucher (text) || new voucher (text)
//!          0x09 SetPayee      fund (text) || merchant (text) || IBAN (text) || name (text)
//!          0x0A Payout        payout (text) || fund (text) || until || execution ||
//!                             from IBAN (text) || created by (text)
//!          0x0B ApprovePayout payout (text) || by (text)
//!          0x0C Statement     count (u32) || lines paid (each: payout (text) || merchant (text)
//!                             || date) || count (u32) || top-ups (each: reference (text) ||
//!                             fund (text) || cents (i64) || date)
//!          0x0D Refund        refund (text) || spend (text) || cents (i64) || date
//! ```
//!
//! `Together` makes several commands one entry, applied all or nothing: what one request means
//! (a payment run's accounts, reservations and record; a statement's accounts and lines) is one
//! entry, so a process killed at any moment leaves either all of it on the ledger or none.
//! Its book parts (0x02, 0x03) come first, then at most one domain part (0x06, 0x07), last;
//! no other command, and no `Together` inside another.

use knop_book::{decode_batch, encode_batch, Account, Transfer};
use knop_codec::{DecodeError, Reader, Writer};
use knop_ledger::entry::{OrgName, ORG_NAME_BYTES_MAX};

use crate::debts::ClaimCommand;
use crate::declarations::DeclarationCommand;
use crate::huishoudboekje::{HouseholdCommand, PaymentRunCommand};
use crate::kindpakket::KindpakketCommand;
use crate::kinds::{
    OrgKind, BOOKKEEPERS, CLAIMANTS, FOUNDATIONS, KINDPAKKET, MUNICIPALITIES, OPERATOR,
};

/// Longest `kind` of an attachment or `reason` of an erasure, in bytes.
pub const LABEL_BYTES_MAX: usize = 256;
/// Largest attachment, in bytes.
pub const ATTACHMENT_BYTES_MAX: usize = 64 * 1024;

/// One command; an entry carries exactly one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Registers an organisation and its entry-signing key. The first entry of every log
    /// registers the operator, signed by the operator itself (genesis); later registrations are
    /// signed by the operator.
    RegisterOrg {
        /// The organisation's name.
        name: OrgName,
        /// What kind of organisation it is (what it may submit).
        kind: OrgKind,
        /// Its Ed25519 public key.
        key: [u8; 32],
    },
    /// Creates accounts in the book.
    CreateAccounts(Vec<Account>),
    /// Creates transfers in the book.
    CreateTransfers(Vec<Transfer>),
    /// Records a document that may contain personal data (a consent, a declaration): erasable.
    Attach {
        /// Pseudonymous subject (household) the document is about.
        subject: u128,
        /// What kind of document it is.
        kind: String,
        /// The document.
        data: Vec<u8>,
    },
    /// A Huishoudboekje household: consent and agreements.
    Household(HouseholdCommand),
    /// A payment run or its approval.
    PaymentRun(PaymentRunCommand),
    /// Several commands as one entry, applied all or nothing (see the module docs for which).
    Together(Vec<Command>),
    /// A debt: a claim opened, or an event on it.
    Claim(ClaimCommand),
    /// A declaration of inability to pay issued, or its status changed (a municipality).
    Declaration(DeclarationCommand),
    /// A Kindpakket fund, merchant, voucher or spend (a municipality; a merchant its spends).
    Kindpakket(KindpakketCommand),
    /// Authorises the erasure of an earlier attachment's content and salt (AVG art. 17).
    Erase {
        /// Log index of the attachment.
        index: u64,
        /// Why (the request it answers); no personal data.
        reason: String,
    },
}

impl Command {
    /// The canonical body bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        match self {
            Command::RegisterOrg { name, kind, key } => {
                w.u8(1);
                w.str(name.as_str());
                w.u8(*kind as u8);
                w.fixed(key);
            }
            Command::CreateAccounts(a) => {
                w = Writer::with_capacity(5 + a.len() * 52);
                w.u8(2);
                encode_batch(a, &mut w, Account::encode);
            }
            Command::CreateTransfers(t) => {
                w = Writer::with_capacity(5 + t.len() * 98);
                w.u8(3);
                encode_batch(t, &mut w, Transfer::encode);
            }
            Command::Attach {
                subject,
                kind,
                data,
            } => {
                w.u8(4);
                w.u128(*subject);
                w.str(kind);
                w.bytes(data);
            }
            Command::Household(h) => {
                w.u8(6);
                h.encode(&mut w);
            }
            Command::PaymentRun(c) => {
                w.u8(7);
                c.encode(&mut w);
            }
            Command::Together(parts) => {
                w.u8(8);
                w.u32(parts.len() as u32);
                for p in parts {
                    w.bytes(&p.encode());
                }
            }
            Command::Claim(c) => {
                w.u8(9);
                c.encode(&mut w);
            }
            Command::Declaration(c) => {
                w.u8(10);
                c.encode(&mut w);
            }
            Command::Kindpakket(c) => {
                w.u8(11);
                c.encode(&mut w);
            }
            Command::Erase { index, reason } => {
                w.u8(5);
                w.u64(*index);
                w.str(reason);
            }
        }
        w.finish()
    }

    /// Decodes body bytes; every field is checked and trailing bytes are refused.
    pub fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body);
        let cmd = match r.u8("command")? {
            1 => {
                let name_at = r.offset();
                let name = r.str("name", ORG_NAME_BYTES_MAX)?;
                let name = OrgName::parse(name).map_err(|e| DecodeError {
                    offset: name_at,
                    field: "name",
                    expected: e.to_string(),
                })?;
                let code = r.u8("kind")?;
                let kind = OrgKind::from_code(code).ok_or_else(|| {
                    r.error(
                        "kind",
                        format!("an organisation kind 1-8 (operator, participant, foundation, municipality, payer, creditor, merchant, auditor), found {code}"),
                    )
                })?;
                Command::RegisterOrg {
                    name,
                    kind,
                    key: r.fixed("key")?,
                }
            }
            2 => Command::CreateAccounts(decode_batch(&mut r, Account::decode)?),
            3 => Command::CreateTransfers(decode_batch(&mut r, Transfer::decode)?),
            4 => Command::Attach {
                subject: r.u128("subject")?,
                kind: r.str("kind", LABEL_BYTES_MAX)?.to_owned(),
                data: r.bytes("data", ATTACHMENT_BYTES_MAX)?.to_vec(),
            },
            6 => Command::Household(HouseholdCommand::decode(&mut r)?),
            7 => Command::PaymentRun(PaymentRunCommand::decode(&mut r)?),
            5 => Command::Erase {
                index: r.u64("index")?,
                reason: r.str("reason", LABEL_BYTES_MAX)?.to_owned(),
            },
            8 => Command::Together(decode_parts(&mut r)?),
            9 => Command::Claim(ClaimCommand::decode(&mut r)?),
            10 => Command::Declaration(DeclarationCommand::decode(&mut r)?),
            11 => Command::Kindpakket(KindpakketCommand::decode(&mut r)?),
            other => {
                return Err(DecodeError {
                    offset: 0,
                    field: "command",
                    expected: format!("a command tag 1-11, found {other}"),
                })
            }
        };
        r.end()?;
        Ok(cmd)
    }

    /// A short name for messages.
    pub fn name(&self) -> &'static str {
        match self {
            Command::RegisterOrg { .. } => "register-org",
            Command::CreateAccounts(_) => "create-accounts",
            Command::CreateTransfers(_) => "create-transfers",
            Command::Attach { .. } => "attach",
            Command::Erase { .. } => "erase",
            Command::Household(_) => "household",
            Command::PaymentRun(_) => "payment-run",
            Command::Together(_) => "together",
            Command::Claim(_) => "claim",
            Command::Declaration(_) => "declaration",
            Command::Kindpakket(_) => "kindpakket",
        }
    }

    /// Whether an organisation of `kind` may submit this command: a [`Command::Together`] only
    /// if it may submit every one of its parts. Checked for every entry, so it allocates nothing.
    pub fn may_submit(&self, kind: OrgKind) -> bool {
        match self {
            Command::Together(parts) => parts.iter().all(|p| p.may_submit(kind)),
            single => single.kinds().contains(&kind),
        }
    }

    /// The kinds of organisation that may submit this command (for messages; see
    /// [`Command::may_submit`]).
    pub fn allowed_kinds(&self) -> Vec<OrgKind> {
        OrgKind::ALL
            .into_iter()
            .filter(|k| self.may_submit(*k))
            .collect()
    }

    /// The kinds that may submit a single (not together) command.
    fn kinds(&self) -> &'static [OrgKind] {
        match self {
            Command::RegisterOrg { .. } | Command::Erase { .. } => OPERATOR,
            Command::CreateAccounts(_) | Command::CreateTransfers(_) | Command::Attach { .. } => {
                BOOKKEEPERS
            }
            Command::Household(_) | Command::PaymentRun(_) => FOUNDATIONS,
            Command::Claim(_) => CLAIMANTS,
            Command::Declaration(_) => MUNICIPALITIES,
            Command::Kindpakket(_) => KINDPAKKET,
            // A together is judged by its parts (`may_submit`); none is empty.
            Command::Together(_) => &[],
        }
    }

    /// Whether the command may be a part of [`Command::Together`] at all, and of which kind.
    fn part_kind(&self) -> Option<PartKind> {
        match self {
            Command::CreateAccounts(_) | Command::CreateTransfers(_) => Some(PartKind::Book),
            Command::Household(_) | Command::PaymentRun(_) => Some(PartKind::Domain),
            Command::RegisterOrg { .. }
            | Command::Attach { .. }
            | Command::Erase { .. }
            | Command::Claim(_)
            | Command::Declaration(_)
            | Command::Kindpakket(_)
            | Command::Together(_) => None,
        }
    }

    /// Checks that `parts` may be one [`Command::Together`]: 1 to [`TOGETHER_PARTS_MAX`] parts,
    /// book parts first, then at most one domain part; `Err` says what is wrong.
    pub fn check_together(parts: &[Command]) -> Result<(), String> {
        if parts.is_empty() || parts.len() > TOGETHER_PARTS_MAX {
            return Err(format!(
                "1 to {TOGETHER_PARTS_MAX} parts, found {}",
                parts.len()
            ));
        }
        for (i, p) in parts.iter().enumerate() {
            match p.part_kind() {
                None => return Err(format!("part {i}: a {} cannot be a part", p.name())),
                Some(PartKind::Domain) if i + 1 != parts.len() => {
                    return Err(format!(
                        "part {i}: a {} part must be the last part",
                        p.name()
                    ))
                }
                Some(_) => {}
            }
        }
        Ok(())
    }

    /// How many book events (accounts or transfers) the command carries.
    pub fn event_count(&self) -> usize {
        match self {
            Command::CreateAccounts(a) => a.len(),
            Command::CreateTransfers(t) => t.len(),
            Command::Together(parts) => parts.iter().map(Command::event_count).sum(),
            _ => 0,
        }
    }
}

/// Most parts in one [`Command::Together`].
pub const TOGETHER_PARTS_MAX: usize = 16;

/// What a part of [`Command::Together`] changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PartKind {
    /// Accounts or transfers in the book.
    Book,
    /// A domain's records (households, payment runs).
    Domain,
}

/// Decodes the parts of a [`Command::Together`] and checks their order.
fn decode_parts(r: &mut Reader<'_>) -> Result<Vec<Command>, DecodeError> {
    let n = r.count("together.count", TOGETHER_PARTS_MAX)?;
    let mut parts = Vec::with_capacity(n);
    for _ in 0..n {
        let at = r.offset();
        let body = r.bytes("together.part", usize::MAX)?;
        // A nested Together is refused before it is decoded: nesting stays one level deep.
        if body.first() == Some(&8) {
            return Err(DecodeError {
                offset: at,
                field: "together.part",
                expected: "a book or domain command, found a together inside a together".into(),
            });
        }
        let part = Command::decode(body).map_err(|e| DecodeError {
            offset: at + 4 + e.offset,
            ..e
        })?;
        parts.push(part);
    }
    Command::check_together(&parts).map_err(|why| DecodeError {
        offset: r.offset(),
        field: "together",
        expected: why,
    })?;
    Ok(parts)
}
