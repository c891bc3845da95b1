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

use std::collections::{BTreeMap, BTreeSet, HashSet};

use ed25519_dalek::VerifyingKey;
use knop_book::{Applied, Book, Rejection};
use knop_codec::DecodeError;
use knop_ledger::entry::{EntryError, OrgName, SignedEntry};

use sha2::{Digest, Sha256};

pub use command::{
    Command, HouseholdCommand, PaymentRunCommand, Role, ADVANCE_LIMIT_CENTS_MAX,
    ATTACHMENT_BYTES_MAX, HOUSEHOLD_TEXT_BYTES_MAX, LABEL_BYTES_MAX, PERSON_BYTES_MAX,
    RUN_CONTENT_BYTES_MAX, RUN_ID_BYTES_MAX, TOGETHER_PARTS_MAX,
};

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
    #[error("organisation {0:?} is already registered with another key or role")]
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
    #[error("household {household}: {why}")]
    Household {
        /// The household.
        household: u128,
        /// What is wrong.
        why: String,
    },
    /// Occurs when a payment run command does not fit the runs on the ledger.
    #[error("payment run {run_id}: {why}")]
    PaymentRun {
        /// The run.
        run_id: String,
        /// What is wrong.
        why: String,
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
    /// Its role.
    pub role: Role,
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

/// A household in the Huishoudboekje, as the log says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HouseholdState {
    /// When the resident opted in (ms).
    pub opened_at_ms: u64,
    /// The organisation that recorded it.
    pub opened_by: OrgName,
    /// Pseudonymous counsellor id.
    pub counsellor: String,
    /// Version of the information given.
    pub information: String,
    /// When a withdrawal takes effect (ms), if the resident withdrew.
    pub revoked_effective_ms: Option<u64>,
    /// Current agreements by id.
    pub agreements: BTreeMap<String, knop_budget::Agreement>,
    /// The advance limit set for this household (cents); `None`: the foundation's default.
    pub advance_limit_cents: Option<i64>,
}

impl HouseholdState {
    /// The household's plan: its current agreements, from `opening_balance_cents`, scoped to
    /// `household` (which its payments' EndToEndIds derive from).
    pub fn plan(&self, household: u128, opening_balance_cents: i64) -> knop_budget::Plan {
        knop_budget::Plan {
            opening_balance_cents,
            agreements: self.agreements.values().cloned().collect(),
            household: Some(household.to_string()),
        }
    }

    /// Whether the opt-in holds at `at_ms` (not withdrawn by then).
    pub fn active_at(&self, at_ms: u64) -> bool {
        self.revoked_effective_ms.is_none_or(|r| at_ms < r)
    }
}

/// A payment run as the log says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunState {
    /// The household it pays for.
    pub household: u128,
    /// Who made it (pseudonymous person id).
    pub created_by: String,
    /// When (the entry's timestamp, ms).
    pub created_ms: u64,
    /// Its content (canonical JSON).
    pub content: Vec<u8>,
    /// SHA-256 of the content.
    pub content_sha256: [u8; 32],
    /// Who approved it, in order, with when (ms).
    pub approvals: Vec<(String, u64)>,
    /// The log index of the entry that created it.
    pub index: u64,
}

impl RunState {
    /// Whether someone other than the maker approved it (four eyes).
    pub fn approved(&self) -> bool {
        self.approvals.iter().any(|(by, _)| *by != self.created_by)
    }
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

/// The household `id`, if something may be agreed with it at `now`: opted in and not withdrawn.
fn agreeing(
    households: &mut BTreeMap<u128, HouseholdState>,
    id: u128,
    now: u64,
) -> Result<&mut HouseholdState, String> {
    let h = households
        .get_mut(&id)
        .ok_or("is not open: nothing is agreed without the resident's opt-in")?;
    if !h.active_at(now) {
        return Err("the resident withdrew; no new agreements".into());
    }
    Ok(h)
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
    households: BTreeMap<u128, HouseholdState>,
    runs: BTreeMap<String, RunState>,
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
    pub fn households(&self) -> &BTreeMap<u128, HouseholdState> {
        &self.households
    }

    /// The payment runs, by id.
    pub fn runs(&self) -> &BTreeMap<String, RunState> {
        &self.runs
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
                role: Role::Operator,
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
            Command::RegisterOrg { name, role, key } => self.register(entry, name, role, key),
            Command::CreateAccounts(accounts) => {
                let results = self.book.create_accounts(&accounts, entry.timestamp_ms);
                self.settle(results)
            }
            Command::CreateTransfers(transfers) => {
                self.book.expire(entry.timestamp_ms);
                let results = self.book.create_transfers(&transfers, entry.timestamp_ms);
                self.settle(results)
            }
            Command::Attach { .. } => {
                self.attachments.insert(self.size);
                Ok(one)
            }
            Command::Household(h) => self.household(entry, h),
            Command::PaymentRun(c) => self.payment_run(entry, c),
            Command::Together(parts) => self.together(entry, parts),
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
                Command::CreateAccounts(accounts) => {
                    tally(self.book.create_accounts(&accounts, entry.timestamp_ms))
                }
                Command::CreateTransfers(transfers) => {
                    self.book.expire(entry.timestamp_ms);
                    tally(self.book.create_transfers(&transfers, entry.timestamp_ms))
                }
                Command::Household(h) => self.household(entry, h),
                Command::PaymentRun(c) => self.payment_run(entry, c),
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
        role: Role,
        key: [u8; 32],
    ) -> Result<Outcome, StateError> {
        if self.size > 0 && !self.is_operator(&entry.signer) {
            return Err(StateError::OperatorOnly("register organisations"));
        }
        let key =
            VerifyingKey::from_bytes(&key).map_err(|_| StateError::OrgExists(name.to_string()))?;
        if let Some(existing) = self.orgs.get(&name) {
            if existing.key == key && existing.role == role {
                return Ok(Outcome {
                    created: 0,
                    existing: 1,
                });
            }
            return Err(StateError::OrgExists(name.to_string()));
        }
        if role == Role::Operator {
            if self.operator.is_some() {
                return Err(StateError::SecondOperator);
            }
            self.operator = Some(name.clone());
        }
        self.orgs.insert(
            name,
            Org {
                role,
                key,
                registered_at: self.size,
            },
        );
        Ok(Outcome {
            created: 1,
            existing: 0,
        })
    }

    fn payment_run(
        &mut self,
        entry: &SignedEntry,
        cmd: PaymentRunCommand,
    ) -> Result<Outcome, StateError> {
        let bad = |why: &str| StateError::PaymentRun {
            run_id: cmd.run_id().to_owned(),
            why: why.to_owned(),
        };
        let (created, existing) = (
            Outcome {
                created: 1,
                existing: 0,
            },
            Outcome {
                created: 0,
                existing: 1,
            },
        );
        let person_ok = |p: &str| !p.trim().is_empty() && p.trim() == p;
        match cmd {
            PaymentRunCommand::Create {
                ref run_id,
                household,
                ref created_by,
                ref content,
            } => {
                if run_id.is_empty() || !person_ok(created_by) {
                    return Err(bad("a run needs an id and the person who made it"));
                }
                let digest: [u8; 32] = Sha256::digest(content).into();
                if let Some(r) = self.runs.get(run_id) {
                    if r.household == household
                        && r.created_by == *created_by
                        && r.content_sha256 == digest
                    {
                        return Ok(existing);
                    }
                    return Err(bad("exists with other content"));
                }
                match self.households.get(&household) {
                    None => return Err(bad("the household is not on the ledger")),
                    Some(h) if !h.active_at(entry.timestamp_ms) => {
                        return Err(bad("the household withdrew; nothing is paid for it"))
                    }
                    Some(_) => {}
                }
                self.runs.insert(
                    run_id.clone(),
                    RunState {
                        household,
                        created_by: created_by.clone(),
                        created_ms: entry.timestamp_ms,
                        content: content.clone(),
                        content_sha256: digest,
                        approvals: vec![],
                        index: self.size,
                    },
                );
                Ok(created)
            }
            PaymentRunCommand::Approve {
                ref run_id,
                content_sha256,
                ref by,
            } => {
                if !person_ok(by) {
                    return Err(bad("an approval needs the person who approves"));
                }
                let Some(r) = self.runs.get_mut(run_id) else {
                    return Err(bad("no such run"));
                };
                if r.content_sha256 != content_sha256 {
                    return Err(bad("the approval is for other content than the run's"));
                }
                if r.created_by == *by {
                    return Err(bad("four eyes: the maker of a run may not approve it"));
                }
                if r.approvals.iter().any(|(b, _)| b == by) {
                    return Ok(existing);
                }
                r.approvals.push((by.clone(), entry.timestamp_ms));
                Ok(created)
            }
        }
    }

    fn household(
        &mut self,
        entry: &SignedEntry,
        cmd: HouseholdCommand,
    ) -> Result<Outcome, StateError> {
        let id = cmd.household();
        let bad = |why: String| StateError::Household { household: id, why };
        let (created, existing) = (
            Outcome {
                created: 1,
                existing: 0,
            },
            Outcome {
                created: 0,
                existing: 1,
            },
        );
        if id == 0 {
            return Err(bad("the household id must not be zero".into()));
        }
        let now = entry.timestamp_ms;
        match cmd {
            HouseholdCommand::Open {
                counsellor,
                information,
                ..
            } => {
                if counsellor.trim().is_empty() || information.trim().is_empty() {
                    return Err(bad("opening needs the counsellor who informed the resident and the version of the information".into()));
                }
                if let Some(h) = self.households.get(&id) {
                    if h.active_at(now) {
                        return if h.counsellor == counsellor && h.information == information {
                            Ok(existing)
                        } else {
                            Err(bad("is already open".into()))
                        };
                    }
                }
                let (agreements, advance_limit_cents) = self
                    .households
                    .remove(&id)
                    .map(|h| (h.agreements, h.advance_limit_cents))
                    .unwrap_or_default();
                self.households.insert(
                    id,
                    HouseholdState {
                        opened_at_ms: now,
                        opened_by: entry.signer.clone(),
                        counsellor,
                        information,
                        revoked_effective_ms: None,
                        agreements,
                        advance_limit_cents,
                    },
                );
                Ok(created)
            }
            HouseholdCommand::Revoke { effective_ms, .. } => {
                let h = self
                    .households
                    .get_mut(&id)
                    .ok_or_else(|| bad("is not open".into()))?;
                if h.revoked_effective_ms == Some(effective_ms) {
                    return Ok(existing);
                }
                if effective_ms < now || h.revoked_effective_ms.is_some() {
                    return Err(bad(
                        "a withdrawal takes effect at or after the moment it is recorded, once"
                            .into(),
                    ));
                }
                h.revoked_effective_ms = Some(effective_ms);
                Ok(created)
            }
            HouseholdCommand::SetAgreement { agreement, .. } => {
                let h = agreeing(&mut self.households, id, now).map_err(bad)?;
                agreement.check().map_err(|e| bad(e.to_string()))?;
                if agreement.kind == knop_budget::Kind::LivingMoney
                    && agreement.counterparty_iban.is_some()
                {
                    return Err(bad("the resident's own IBAN is personal data: keep it off the ledger (an attachment)".into()));
                }
                if h.agreements.get(&agreement.id) == Some(&agreement) {
                    return Ok(existing);
                }
                h.agreements.insert(agreement.id.clone(), agreement);
                Ok(created)
            }
            HouseholdCommand::EndAgreement {
                agreement, through, ..
            } => {
                let h = self
                    .households
                    .get_mut(&id)
                    .ok_or_else(|| bad("is not open".into()))?;
                let a = h
                    .agreements
                    .get_mut(&agreement)
                    .ok_or_else(|| bad(format!("has no agreement {agreement:?}")))?;
                if a.valid_from.is_some_and(|f| through < f) {
                    return Err(bad(format!(
                        "agreement {agreement:?} starts after {through}"
                    )));
                }
                let end = a.valid_through.map_or(through, |t| t.min(through));
                if a.valid_through == Some(end) {
                    return Ok(existing);
                }
                a.valid_through = Some(end);
                Ok(created)
            }
            HouseholdCommand::SetAdvanceLimit { cents, .. } => {
                let h = agreeing(&mut self.households, id, now).map_err(bad)?;
                if h.advance_limit_cents == Some(cents) {
                    return Ok(existing);
                }
                h.advance_limit_cents = Some(cents);
                Ok(created)
            }
        }
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

    /// A digest of the whole state (organisations, accounts with totals, transfer count), so two
    /// parties replaying the same log can compare results with one line.
    pub fn digest(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(b"knop/state/v1\0");
        h.update(self.size.to_be_bytes());
        for (name, org) in &self.orgs {
            h.update(name.as_str().as_bytes());
            h.update([0, org.role as u8]);
            h.update(org.key.as_bytes());
        }
        let mut accounts: Vec<_> = self.book.accounts().collect();
        accounts.sort_by_key(|a| a.account.id);
        for a in accounts {
            h.update(a.account.id.to_be_bytes());
            for t in [
                a.debits_pending,
                a.debits_posted,
                a.credits_pending,
                a.credits_posted,
            ] {
                h.update(t.0.to_be_bytes());
            }
        }
        h.update((self.book.transfer_count() as u64).to_be_bytes());
        for i in &self.erased {
            h.update(i.to_be_bytes());
        }
        for (id, r) in &self.runs {
            h.update(id.as_bytes());
            h.update([0]);
            h.update(r.content_sha256);
            for (by, _) in &r.approvals {
                h.update(by.as_bytes());
                h.update([0]);
            }
        }
        for (id, hh) in &self.households {
            h.update(id.to_be_bytes());
            h.update(hh.opened_at_ms.to_be_bytes());
            h.update(hh.revoked_effective_ms.unwrap_or(0).to_be_bytes());
            for a in hh.agreements.values() {
                let mut w = knop_codec::Writer::new();
                a.encode(&mut w);
                h.update(w.finish());
            }
        }
        h.finalize().into()
    }
}
