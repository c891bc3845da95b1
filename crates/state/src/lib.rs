//! knop's state machine: the state is a pure, deterministic fold of the log's entries.
//!
//! [`State::apply`] takes the next entry (its index, its decoded envelope) and either applies all
//! of it or none of it. The same function serves the live path (a submission is checked and
//! applied before it is appended) and the auditor's replay (`knop log verify`), so both always
//! agree. No I/O, no clock, no randomness: the entry carries its timestamp.
//!
//! Rules enforced here:
//! - Entry 0 is the genesis: the operator registering itself, signed by the key it registers.
//! - Every other entry is signed by a registered organisation; timestamps never go back.
//! - Only the operator registers organisations and authorises erasures; names and keys are
//!   registered once (the same registration again is idempotent).
//! - A book command applies only if every event is created or already exists identically
//!   (idempotent retry); any rejected event rejects the whole entry, nothing applied.
//! - An erasure names an earlier attachment; its content and salt may then be deleted.

#![warn(missing_docs)]

mod command;
pub mod debts;
pub mod declarations;
pub mod huishoudboekje;
pub mod kindpakket;
mod kinds;

use std::collections::{BTreeMap, BTreeSet, HashSet};

use ed25519_dalek::VerifyingKey;
use huishoudboekje::Huishoudboekje;
use knop_book::{Applied, Book, Rejection};
use knop_codec::DecodeError;
use knop_huishoudboekje::HouseholdId;
use knop_ledger::entry::{EntryError, OrgName, SignedEntry};

use sha2::{Digest, Sha256};

pub use command::{Command, ATTACHMENT_BYTES_MAX, LABEL_BYTES_MAX, TOGETHER_PARTS_MAX};
pub use debts::{
    ClaimCommand, ClaimRejection, ClaimState, ClaimStatus, Creditor, EventKind, Hold, Pauses,
};
pub use declarations::{
    DeclarationCommand, DeclarationRejection, DeclarationState, DeclarationStatus,
};
pub use huishoudboekje::{
    batch_sha256, BatchRun, BatchState, HouseholdCommand, HouseholdState, PaymentRunCommand,
    RunState, ADVANCE_LIMIT_CENTS_MAX, BATCH_RUNS_MAX, HOUSEHOLD_TEXT_BYTES_MAX, PERSON_BYTES_MAX,
    RUN_CONTENT_BYTES_MAX, RUN_ID_BYTES_MAX,
};
pub use kindpakket::{
    Category, FundStatus, KindpakketCommand, KindpakketRejection, PaidLine, Payee, PayoutLine,
    PayoutState, RefundState, SpendState, TopUp, TopUpState, VoucherState,
};
pub use kinds::OrgKind;

/// Why an entry cannot be applied. Nothing of it was applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    /// Occurs when the entry body is not a valid command.
    #[error("entry body is not a valid command: {0}")]
    Malformed(#[from] DecodeError),
    /// Occurs when the signer is not a registered organisation.
    #[error("organisation {0:?} is not registered")]
    UnknownSigner(String),
    /// Occurs when the signature does not verify under the signer's registered key.
    #[error(transparent)]
    Signature(#[from] EntryError),
    /// Occurs when entry 0 is not the operator registering itself.
    #[error("the first entry must be the operator registering itself with the key that signs it")]
    BadGenesis,
    /// Occurs when the timestamp is earlier than the previous entry's.
    #[error("timestamp {got} ms is before the previous entry's {previous} ms")]
    TimestampGoesBack {
        /// This entry's timestamp.
        got: u64,
        /// The previous entry's timestamp.
        previous: u64,
    },
    /// Occurs when a participant tries what only the operator may do.
    #[error("only the operator may {0}")]
    OperatorOnly(&'static str),
    /// Occurs when a name or key is registered again with other details.
    #[error("organisation {0:?} is already registered with another key or kind")]
    OrgExists(String),
    /// Occurs when a second operator is registered.
    #[error("the log already has an operator")]
    SecondOperator,
    /// Occurs when one or more book events are rejected; lists each with its position.
    #[error("{} of {total} events rejected; first: event {}: {}", rejected.len(), rejected[0].0, rejected[0].1)]
    Rejected {
        /// Number of events in the entry.
        total: usize,
        /// (position in the batch, why) for every rejected event.
        rejected: Vec<(usize, Rejection)>,
    },
    /// Occurs when a household command does not fit the household's state.
    #[error("household {household}: {rejection}")]
    Household {
        /// The household.
        household: HouseholdId,
        /// What is wrong.
        rejection: huishoudboekje::Rejection,
    },
    /// Occurs when a payment run command does not fit the runs on the ledger.
    #[error("payment run {run_id}: {rejection}")]
    PaymentRun {
        /// The run.
        run_id: String,
        /// What is wrong.
        rejection: huishoudboekje::RunRejection,
    },
    /// Occurs when a debt command does not fit the claims on the ledger.
    #[error("claim {claim:?}: {rejection}")]
    Claim {
        /// The claim.
        claim: String,
        /// What is wrong.
        rejection: ClaimRejection,
    },
    /// Occurs when a Kindpakket command does not fit the funds, vouchers or book.
    #[error("{what}: {rejection}")]
    Kindpakket {
        /// The fund, voucher or spend concerned.
        what: String,
        /// What is wrong.
        rejection: KindpakketRejection,
    },
    /// Occurs when a declaration command does not fit the declarations on the ledger.
    #[error("declaration {id}: {rejection}")]
    Declaration {
        /// The declaration's hash, in hex.
        id: String,
        /// What is wrong.
        rejection: DeclarationRejection,
    },
    /// Occurs when an organisation of one kind submits what only other kinds may.
    #[error("a {kind} may not submit a {command} command (only: {allowed})")]
    KindMayNot {
        /// The signer's kind.
        kind: OrgKind,
        /// The command's name.
        command: &'static str,
        /// The kinds that may, by name.
        allowed: String,
    },
    /// Occurs when a part of a [`Command::Together`] is refused; nothing of the entry applied.
    #[error("part {part} of {parts}: {error}")]
    Part {
        /// Position of the refused part.
        part: usize,
        /// Number of parts.
        parts: usize,
        /// Why it was refused.
        error: Box<StateError>,
    },
    /// Occurs when an erasure does not name an earlier attachment.
    #[error("entry {0} is not an earlier attachment, so it cannot be erased")]
    NotErasable(u64),
}

/// An organisation on the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Org {
    /// What kind of organisation it is.
    pub kind: OrgKind,
    /// Its entry-signing key.
    pub key: VerifyingKey,
    /// Index of the entry that registered it.
    pub registered_at: u64,
}

/// What an applied entry did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Events created now.
    pub created: usize,
    /// Events that already existed identically (idempotent retries).
    pub existing: usize,
}

/// Counts a batch's results: created and existing events, or every rejected one with its
/// position. Commits nothing: the caller commits or rolls back.
fn tally(results: Vec<knop_book::EventResult>) -> Result<Outcome, StateError> {
    let total = results.len();
    let mut outcome = Outcome {
        created: 0,
        existing: 0,
    };
    let mut rejected = vec![];
    for (i, r) in results.into_iter().enumerate() {
        match r {
            Ok(Applied::Created) => outcome.created += 1,
            Ok(Applied::Exists) => outcome.existing += 1,
            Err(e) => rejected.push((i, e)),
        }
    }
    if rejected.is_empty() {
        Ok(outcome)
    } else {
        Err(StateError::Rejected { total, rejected })
    }
}

/// A signed entry whose signature has been checked under a key, so that the check (SHA-256 of
/// the whole entry, then Ed25519) can run on another thread than the one applying entries in
/// order: [`State::apply_verified`] skips it only when that key is still the one the signer has
/// registered, and checks again otherwise. Made only by checking.
#[derive(Debug, Clone)]
pub struct Verified {
    entry: SignedEntry,
    key: VerifyingKey,
}

impl Verified {
    /// Checks `entry`'s signature under `key` (strict Ed25519, as on submit).
    pub fn check(entry: SignedEntry, key: VerifyingKey) -> Result<Self, StateError> {
        Self::check_or_return(entry, key).map_err(|refused| refused.1)
    }

    /// Like [`Verified::check`], but a failed check hands the entry back with why, for a caller
    /// that still applies it (replay checks ahead under the keys registered so far; an entry
    /// signed under a key registered later in the same chunk is checked again as it is applied).
    /// Boxed: a refusal is rare and the pair is large.
    pub fn check_or_return(
        entry: SignedEntry,
        key: VerifyingKey,
    ) -> Result<Self, Box<(SignedEntry, StateError)>> {
        match entry.verify(&key) {
            Ok(()) => Ok(Self { entry, key }),
            Err(e) => Err(Box::new((entry, e.into()))),
        }
    }

    /// The entry.
    pub fn entry(&self) -> &SignedEntry {
        &self.entry
    }
}

/// The state: organisations, the book, attachments and erasures.
#[derive(Debug, Default, Clone)]
pub struct State {
    hhb: Huishoudboekje,
    debts: debts::Debts,
    declarations: declarations::Declarations,
    kindpakket: kindpakket::Kindpakket,
    orgs: BTreeMap<OrgName, Org>,
    operator: Option<OrgName>,
    book: Book,
    attachments: HashSet<u64>,
    erased: BTreeSet<u64>,
    size: u64,
    last_timestamp_ms: u64,
}

impl State {
    /// The state of an empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of entries applied (the index the next entry gets).
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The book.
    pub fn book(&self) -> &Book {
        &self.book
    }

    /// The registered organisations.
    pub fn orgs(&self) -> &BTreeMap<OrgName, Org> {
        &self.orgs
    }

    /// The operator's name, once the genesis entry is applied.
    pub fn operator(&self) -> Option<&OrgName> {
        self.operator.as_ref()
    }

    /// The households.
    pub fn households(&self) -> &BTreeMap<HouseholdId, HouseholdState> {
        &self.hhb.households
    }

    /// The payment runs, by id.
    pub fn runs(&self) -> &BTreeMap<String, RunState> {
        &self.hhb.runs
    }

    /// The day files (many households' runs for one date, made and approved as one), by id.
    pub fn batches(&self) -> &BTreeMap<String, BatchState> {
        &self.hhb.batches
    }

    /// The claims (debts), by id.
    pub fn claims(&self) -> &BTreeMap<String, ClaimState> {
        &self.debts.claims
    }

    /// The Kindpakket's funds, by id.
    pub fn funds(&self) -> &BTreeMap<String, kindpakket::FundState> {
        &self.kindpakket.funds
    }

    /// The Kindpakket's vouchers, by id (balances: the book's [`kindpakket::voucher_account`]).
    pub fn vouchers(&self) -> &BTreeMap<String, VoucherState> {
        &self.kindpakket.vouchers
    }

    /// The Kindpakket's spends, by id.
    pub fn spends(&self) -> &BTreeMap<String, SpendState> {
        &self.kindpakket.spends
    }

    /// The Kindpakket's payees: where each shop is paid, per fund and shop.
    pub fn payees(&self) -> &BTreeMap<(String, OrgName), Payee> {
        &self.kindpakket.payees
    }

    /// The Kindpakket's payouts, by id.
    pub fn payouts(&self) -> &BTreeMap<String, PayoutState> {
        &self.kindpakket.payouts
    }

    /// The Kindpakket's refunds, by id.
    pub fn refunds(&self) -> &BTreeMap<String, RefundState> {
        &self.kindpakket.refunds
    }

    /// The Kindpakket's top-ups, by the bank's reference.
    pub fn topups(&self) -> &BTreeMap<String, TopUpState> {
        &self.kindpakket.topups
    }

    /// The payout a spend was paid out in, if it was.
    pub fn paid_in(&self, spend: &str) -> Option<&str> {
        self.kindpakket.paid_in.get(spend).map(|p| &**p)
    }

    /// The payout a refund was netted in, if it was.
    pub fn refund_paid_in(&self, refund: &str) -> Option<&str> {
        self.kindpakket
            .paid_in
            .get(&kindpakket::refund_key(refund))
            .map(|p| &**p)
    }

    /// A voucher's spends, in log order (found without looking at others').
    pub fn spends_of<'a>(
        &'a self,
        voucher: &str,
    ) -> impl Iterator<Item = (&'a String, &'a SpendState)> + 'a {
        self.kindpakket
            .by_voucher
            .get(voucher)
            .into_iter()
            .flatten()
            .filter_map(|id| self.kindpakket.spends.get_key_value(id))
    }

    /// What was refunded of a spend, in cents.
    pub fn refunded(&self, spend: &str) -> i64 {
        self.kindpakket.refunded.get(spend).copied().unwrap_or(0)
    }

    /// The declarations of inability to pay, by hash.
    pub fn declarations(&self) -> &BTreeMap<[u8; 32], DeclarationState> {
        &self.declarations.by_id
    }

    /// The ledger's payment id scope, if one was set
    /// ([`PaymentRunCommand::SetIdScope`]): every EndToEndId derives from it.
    pub fn id_scope(&self) -> Option<&[u8; 16]> {
        self.hhb.id_scope.as_ref()
    }

    /// Household `household`'s plan (see [`HouseholdState::plan`]), its ids in this ledger's
    /// scope; `None` if it is not on the ledger.
    pub fn plan(
        &self,
        household: HouseholdId,
        opening_balance_cents: i64,
    ) -> Option<knop_huishoudboekje::Plan> {
        self.hhb
            .households
            .get(&household)
            .map(|h| h.plan(self.id_scope(), household, opening_balance_cents))
    }

    /// Timestamp of the last entry applied.
    pub fn last_timestamp_ms(&self) -> u64 {
        self.last_timestamp_ms
    }

    /// Indexes whose erasure a signed erasure entry authorised.
    pub fn erased(&self) -> &BTreeSet<u64> {
        &self.erased
    }

    /// Accounts for an entry whose content was erased: it occupied `index`, and its effect on the
    /// state is nil (only attachments can be erased, and they do not change the state). Whether an
    /// erasure authorised it is checked by the caller once the whole log is replayed.
    pub fn skip_erased(&mut self, index: u64) {
        assert_eq!(index, self.size, "entries are applied in order");
        self.attachments.insert(index);
        self.size += 1;
    }

    /// Applies the entry at the next index, all or nothing.
    pub fn apply(&mut self, entry: &SignedEntry) -> Result<Outcome, StateError> {
        self.apply_checked(entry, None)
    }

    /// Like [`State::apply`], for an entry whose signature [`Verified::check`] checked, on any
    /// thread: the check is not repeated if that key is still the one the signer has registered.
    pub fn apply_verified(&mut self, verified: &Verified) -> Result<Outcome, StateError> {
        self.apply_checked(&verified.entry, Some(&verified.key))
    }

    fn apply_checked(
        &mut self,
        entry: &SignedEntry,
        verified_with: Option<&VerifyingKey>,
    ) -> Result<Outcome, StateError> {
        let cmd = Command::decode(&entry.body)?;
        self.check_envelope(entry, &cmd, verified_with)?;
        let outcome = self.apply_command(entry, cmd)?;
        self.last_timestamp_ms = entry.timestamp_ms;
        self.size += 1;
        Ok(outcome)
    }

    fn check_envelope(
        &self,
        entry: &SignedEntry,
        cmd: &Command,
        verified_with: Option<&VerifyingKey>,
    ) -> Result<(), StateError> {
        if entry.timestamp_ms < self.last_timestamp_ms {
            return Err(StateError::TimestampGoesBack {
                got: entry.timestamp_ms,
                previous: self.last_timestamp_ms,
            });
        }
        if self.size == 0 {
            let Command::RegisterOrg {
                name,
                kind: OrgKind::Operator,
                key,
            } = cmd
            else {
                return Err(StateError::BadGenesis);
            };
            let key = VerifyingKey::from_bytes(key).map_err(|_| StateError::BadGenesis)?;
            if *name != entry.signer {
                return Err(StateError::BadGenesis);
            }
            return Ok(entry.verify(&key)?);
        }
        let org = self
            .orgs
            .get(&entry.signer)
            .ok_or_else(|| StateError::UnknownSigner(entry.signer.to_string()))?;
        // Registrations and erasures keep their own, older message (`OperatorOnly`).
        if !cmd.may_submit(org.kind)
            && !matches!(cmd, Command::RegisterOrg { .. } | Command::Erase { .. })
        {
            return Err(StateError::KindMayNot {
                kind: org.kind,
                command: cmd.name(),
                allowed: cmd
                    .allowed_kinds()
                    .iter()
                    .map(|k| k.name())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        if verified_with == Some(&org.key) {
            return Ok(());
        }
        Ok(entry.verify(&org.key)?)
    }

    /// The key `name` has registered, if any.
    pub fn org_key(&self, name: &OrgName) -> Option<&VerifyingKey> {
        self.orgs.get(name).map(|o| &o.key)
    }

    fn is_operator(&self, name: &OrgName) -> bool {
        self.operator.as_ref() == Some(name)
    }

    fn apply_command(&mut self, entry: &SignedEntry, cmd: Command) -> Result<Outcome, StateError> {
        let one = Outcome {
            created: 1,
            existing: 0,
        };
        match cmd {
            Command::RegisterOrg { name, kind, key } => self.register(entry, name, kind, key),
            Command::CreateAccounts(accounts) => {
                self.kindpakket.guard(&accounts, &[])?;
                let results = self.book.create_accounts(&accounts, entry.timestamp_ms);
                self.settle(results)
            }
            Command::CreateTransfers(transfers) => {
                self.kindpakket.guard(&[], &transfers)?;
                self.book.expire(entry.timestamp_ms);
                let results = self.book.create_transfers(&transfers, entry.timestamp_ms);
                self.settle(results)
            }
            Command::Attach { .. } => {
                self.attachments.insert(self.size);
                Ok(one)
            }
            Command::Household(h) => self.hhb.household(entry, h),
            Command::PaymentRun(c) => self.hhb.payment_run(entry, self.size, c),
            Command::Together(parts) => self.together(entry, parts),
            Command::Claim(c) => {
                // The envelope check found the signer registered.
                let kind = self
                    .orgs
                    .get(&entry.signer)
                    .map_or(OrgKind::Participant, |o| o.kind);
                let (households, orgs) = (&self.hhb.households, &self.orgs);
                let declarations = &self.declarations.by_id;
                self.debts.apply(
                    entry,
                    kind,
                    self.size,
                    c,
                    debts::Context {
                        is_household: &|h| households.contains_key(&h),
                        kind_of: &|o| orgs.get(o).map(|o| o.kind),
                        declaration: &|id| declarations.get(id),
                    },
                )
            }
            Command::Kindpakket(c) => {
                let kind = self
                    .orgs
                    .get(&entry.signer)
                    .map_or(OrgKind::Participant, |o| o.kind);
                let (households, orgs) = (&self.hhb.households, &self.orgs);
                self.kindpakket.apply(
                    entry,
                    kind,
                    self.size,
                    c,
                    &mut self.book,
                    |h| households.contains_key(&h),
                    |o| orgs.get(o).map(|o| o.kind),
                )
            }
            Command::Declaration(c) => {
                let households = &self.hhb.households;
                self.declarations
                    .apply(entry, self.size, c, |h| households.contains_key(&h))
            }
            Command::Erase { index, .. } => {
                if !self.is_operator(&entry.signer) {
                    return Err(StateError::OperatorOnly("authorise an erasure"));
                }
                if !self.attachments.contains(&index) {
                    return Err(StateError::NotErasable(index));
                }
                self.erased.insert(index);
                Ok(one)
            }
        }
    }

    /// Applies the parts of a [`Command::Together`] in order, all or nothing: the book's changes
    /// stay uncommitted until the last part applied; a domain part comes last and changes
    /// nothing when it refuses, so a refusal anywhere rolls the book back and leaves the state
    /// as it was.
    fn together(
        &mut self,
        entry: &SignedEntry,
        parts: Vec<Command>,
    ) -> Result<Outcome, StateError> {
        let count = parts.len();
        let mut sum = Outcome {
            created: 0,
            existing: 0,
        };
        for (i, part) in parts.into_iter().enumerate() {
            let result = match part {
                Command::CreateAccounts(accounts) => self
                    .kindpakket
                    .guard(&accounts, &[])
                    .and_then(|()| tally(self.book.create_accounts(&accounts, entry.timestamp_ms))),
                Command::CreateTransfers(transfers) => {
                    self.kindpakket.guard(&[], &transfers).and_then(|()| {
                        self.book.expire(entry.timestamp_ms);
                        tally(self.book.create_transfers(&transfers, entry.timestamp_ms))
                    })
                }
                Command::Household(h) => self.hhb.household(entry, h),
                Command::PaymentRun(c) => self.hhb.payment_run(entry, self.size, c),
                // Decoding refuses any other part; a command built in code is checked the same.
                other => Err(StateError::Malformed(DecodeError {
                    offset: 0,
                    field: "together.part",
                    expected: format!("a book or domain command, found {}", other.name()),
                })),
            };
            match result {
                Ok(o) => {
                    sum.created += o.created;
                    sum.existing += o.existing;
                }
                Err(e) => {
                    self.book.rollback();
                    return Err(StateError::Part {
                        part: i,
                        parts: count,
                        error: Box::new(e),
                    });
                }
            }
        }
        self.book.commit();
        Ok(sum)
    }

    fn register(
        &mut self,
        entry: &SignedEntry,
        name: OrgName,
        kind: OrgKind,
        key: [u8; 32],
    ) -> Result<Outcome, StateError> {
        if self.size > 0 && !self.is_operator(&entry.signer) {
            return Err(StateError::OperatorOnly("register organisations"));
        }
        let key =
            VerifyingKey::from_bytes(&key).map_err(|_| StateError::OrgExists(name.to_string()))?;
        if let Some(existing) = self.orgs.get(&name) {
            if existing.key == key && existing.kind == kind {
                return Ok(Outcome {
                    created: 0,
                    existing: 1,
                });
            }
            return Err(StateError::OrgExists(name.to_string()));
        }
        if kind == OrgKind::Operator {
            if self.operator.is_some() {
                return Err(StateError::SecondOperator);
            }
            self.operator = Some(name.clone());
        }
        self.orgs.insert(
            name,
            Org {
                kind,
                key,
                registered_at: self.size,
            },
        );
        Ok(Outcome {
            created: 1,
            existing: 0,
        })
    }

    /// Commits the book's changes if every event succeeded, otherwise rolls them all back.
    fn settle(&mut self, results: Vec<knop_book::EventResult>) -> Result<Outcome, StateError> {
        let outcome = tally(results);
        match outcome {
            Ok(_) => self.book.commit(),
            Err(_) => self.book.rollback(),
        }
        outcome
    }

    /// A digest of the whole state: every field of every organisation, account, household,
    /// run, attachment and erasure, so that two parties replaying the same log compare results
    /// with one line, and two states that differ anywhere differ here. The destructuring makes a
    /// new field a compile error here until it is digested.
    pub fn digest(&self) -> [u8; 32] {
        let State {
            hhb,
            debts,
            declarations,
            kindpakket,
            orgs,
            operator,
            book,
            attachments,
            erased,
            size,
            last_timestamp_ms,
        } = self;
        let mut h = Sha256::new();
        h.update(b"knop/state/v2\0");
        h.update(size.to_be_bytes());
        h.update(last_timestamp_ms.to_be_bytes());
        huishoudboekje::text(&mut h, operator.as_ref().map_or("", |o| o.as_str()));
        h.update((orgs.len() as u64).to_be_bytes());
        for (name, org) in orgs {
            let Org {
                kind,
                key,
                registered_at,
            } = org;
            huishoudboekje::text(&mut h, name.as_str());
            h.update([*kind as u8]);
            h.update(key.as_bytes());
            h.update(registered_at.to_be_bytes());
        }
        let mut accounts: Vec<_> = book.accounts().collect();
        accounts.sort_by_key(|a| a.account.id);
        h.update((accounts.len() as u64).to_be_bytes());
        for a in accounts {
            let mut w = knop_codec::Writer::new();
            a.account.encode(&mut w);
            h.update(w.finish());
            for t in [
                a.debits_pending,
                a.debits_posted,
                a.credits_pending,
                a.credits_posted,
            ] {
                h.update(t.0.to_be_bytes());
            }
        }
        h.update((book.transfer_count() as u64).to_be_bytes());
        let mut attached: Vec<_> = attachments.iter().collect();
        attached.sort_unstable();
        h.update((attached.len() as u64).to_be_bytes());
        for i in attached {
            h.update(i.to_be_bytes());
        }
        h.update((erased.len() as u64).to_be_bytes());
        for i in erased {
            h.update(i.to_be_bytes());
        }
        hhb.digest_into(&mut h);
        debts.digest_into(&mut h);
        declarations.digest_into(&mut h);
        kindpakket.digest_into(&mut h);
        h.finalize().into()
    }
}
