//! The state machine: applies batches of accounts and transfers, deterministically.
//!
//! Follows TigerBeetle's model: every account keeps four totals (debits/credits, pending/posted);
//! a pending transfer reserves its amount in the pending totals until it is posted (fully or in
//! part), voided, or times out. Events flagged `LINKED` form a chain with the next event: the
//! chain applies all-or-nothing. The book never reads the clock: the caller passes the entry's
//! timestamp, and pending transfers whose timeout has passed are voided by [`Book::expire`] before
//! each entry. Changes are journalled so that a chain, or a whole batch, can be rolled back.

use std::collections::{BTreeSet, HashMap};

/// Ids are client-chosen but come only from registered organisations; foldhash is several times
/// faster than SipHash for 128-bit keys and still seeds itself per process.
type Map<V> = HashMap<u128, V, foldhash::fast::RandomState>;

use crate::table::Transfers;
use crate::{Account, AccountFlags, Cents, Rejection, Transfer, TransferFlags};

/// What happened to one event that did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The account or transfer was created now.
    Created,
    /// An identical account or transfer with this id already exists: nothing changed.
    Exists,
}

/// The outcome of one event of a batch.
pub type EventResult = Result<Applied, Rejection>;

/// An account with its totals, all in cents and never negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountState {
    /// The account as created.
    pub account: Account,
    /// Debits reserved by pending transfers.
    pub debits_pending: Cents,
    /// Debits posted.
    pub debits_posted: Cents,
    /// Credits reserved by pending transfers.
    pub credits_pending: Cents,
    /// Credits posted.
    pub credits_posted: Cents,
    /// Timestamp (ms) of the entry that created it.
    pub timestamp_ms: u64,
}

impl AccountState {
    /// Posted credits minus posted debits (the balance of a credit-normal account).
    pub fn credit_balance(&self) -> Cents {
        Cents(self.credits_posted.0 - self.debits_posted.0)
    }
}

/// Where a pending transfer stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PendingStatus {
    /// Not a pending transfer.
    None,
    /// Reserved, waiting to be posted or voided.
    Pending,
    /// Posted (fully or in part).
    Posted,
    /// Voided by a void transfer.
    Voided,
    /// Voided because its timeout passed.
    Expired,
}

/// A stored transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransferState {
    /// The transfer as submitted.
    pub transfer: Transfer,
    /// For post/void: the resolved accounts and amount actually moved.
    pub resolved: Resolved,
    /// For pending transfers: where they stand.
    pub status: PendingStatus,
    /// Timestamp (ms) of the entry that created it.
    pub timestamp_ms: u64,
    /// For pending transfers with a timeout: when they expire (ms).
    pub expires_at_ms: Option<u64>,
}

/// The accounts and amount a transfer actually moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolved {
    /// Account debited.
    pub debit: u128,
    /// Account credited.
    pub credit: u128,
    /// Amount moved (for a void: the amount released).
    pub amount: Cents,
}

#[derive(Debug, Clone)]
enum Undo {
    AccountCreated(u128),
    /// An account's totals before a change: debits pending/posted, credits pending/posted.
    AccountTotals(u128, [Cents; 4]),
    TransferCreated(u128),
    Status(u32, PendingStatus),
    ExpiryAdded((u64, u128)),
    ExpiryRemoved((u64, u128)),
}

/// The double-entry book. See the module docs.
#[derive(Debug, Default, Clone)]
pub struct Book {
    pub(crate) accounts: Map<AccountState>,
    /// Transfers in creation order, the older ones on disk (see [`crate::table`]).
    transfers: Transfers,
    expiries: BTreeSet<(u64, u128)>,
    journal: Vec<Undo>,
}

impl Book {
    /// An empty book.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty book that moves its transfer records to a temporary file once `bytes` of them
    /// are in memory (the default is [`crate::table::SPILL_BYTES_DEFAULT`]).
    pub fn with_spill_bytes(bytes: usize) -> Self {
        Self {
            transfers: Transfers::with_spill_bytes(bytes),
            ..Self::default()
        }
    }

    /// Transfer records kept in the temporary file rather than in memory.
    pub fn transfers_spilled(&self) -> usize {
        self.transfers.spilled()
    }

    /// The account with `id`.
    pub fn account(&self, id: u128) -> Option<&AccountState> {
        self.accounts.get(&id)
    }

    /// The transfer with `id`.
    pub fn transfer(&self, id: u128) -> Option<TransferState> {
        self.transfers.find(id).map(|(_, t)| t)
    }

    /// All accounts, in no particular order.
    pub fn accounts(&self) -> impl Iterator<Item = &AccountState> {
        self.accounts.values()
    }

    /// Number of transfers stored.
    pub fn transfer_count(&self) -> usize {
        self.transfers.len()
    }

    /// Voids every pending transfer whose timeout is at or before `now_ms`.
    pub fn expire(&mut self, now_ms: u64) {
        while let Some(&(at, id)) = self.expiries.first() {
            if at > now_ms {
                break;
            }
            self.expiries.pop_first();
            self.journal.push(Undo::ExpiryRemoved((at, id)));
            let (slot, t) = self.transfers.find(id).expect("expiring transfer exists");
            self.release_pending(&t.resolved);
            self.set_status(slot, PendingStatus::Expired);
        }
    }

    /// Makes every change since the last commit or rollback permanent.
    pub fn commit(&mut self) {
        self.journal.clear();
        self.transfers.commit();
    }

    /// Undoes every change since the last commit.
    pub fn rollback(&mut self) {
        self.undo_to(0);
    }

    /// Creates accounts; one result per account, chains of `LINKED` all-or-nothing.
    pub fn create_accounts(&mut self, accounts: &[Account], now_ms: u64) -> Vec<EventResult> {
        let linked = |a: &Account| a.flags.has(AccountFlags::LINKED);
        self.apply_chained(accounts, linked, |book, a| book.create_account(a, now_ms))
    }

    /// Creates transfers; one result per transfer, chains of `LINKED` all-or-nothing.
    pub fn create_transfers(&mut self, transfers: &[Transfer], now_ms: u64) -> Vec<EventResult> {
        let linked = |t: &Transfer| t.flags.has(TransferFlags::LINKED);
        self.apply_chained(transfers, linked, |book, t| book.create_transfer(t, now_ms))
    }

    /// Runs `apply` over `events`, rolling back a whole chain when one of its events fails
    /// (the others then report [`Rejection::LinkedEventFailed`]).
    fn apply_chained<T>(
        &mut self,
        events: &[T],
        linked: impl Fn(&T) -> bool,
        mut apply: impl FnMut(&mut Self, &T) -> EventResult,
    ) -> Vec<EventResult> {
        let mut results = Vec::with_capacity(events.len());
        let mut chain: Option<(usize, usize)> = None; // (first event, journal mark)
        let mut i = 0;
        while i < events.len() {
            let is_linked = linked(&events[i]);
            if chain.is_none() && is_linked {
                chain = Some((i, self.journal.len()));
            }
            let result = if is_linked && i + 1 == events.len() {
                Err(Rejection::LinkedEventChainOpen)
            } else {
                apply(self, &events[i])
            };
            let failed = result.is_err();
            results.push(result);
            if let Some((first, mark)) = chain {
                if failed {
                    self.undo_to(mark);
                    for r in &mut results[first..i] {
                        *r = Err(Rejection::LinkedEventFailed);
                    }
                    // The rest of the chain fails with it.
                    while linked(&events[i]) && i + 1 < events.len() {
                        i += 1;
                        results.push(Err(Rejection::LinkedEventFailed));
                    }
                    chain = None;
                } else if !is_linked {
                    chain = None;
                }
            }
            i += 1;
        }
        results
    }

    fn undo_to(&mut self, mark: usize) {
        while self.journal.len() > mark {
            match self.journal.pop().expect("len > mark") {
                Undo::AccountCreated(id) => {
                    self.accounts.remove(&id);
                }
                Undo::AccountTotals(id, [dp, dpo, cp, cpo]) => {
                    let a = self.accounts.get_mut(&id).expect("changed account exists");
                    a.debits_pending = dp;
                    a.debits_posted = dpo;
                    a.credits_pending = cp;
                    a.credits_posted = cpo;
                }
                Undo::TransferCreated(id) => self.transfers.pop(id),
                Undo::Status(slot, old) => {
                    self.transfers.set_status(slot, old);
                }
                Undo::ExpiryAdded(k) => {
                    self.expiries.remove(&k);
                }
                Undo::ExpiryRemoved(k) => {
                    self.expiries.insert(k);
                }
            }
        }
    }

    fn create_account(&mut self, a: &Account, now_ms: u64) -> EventResult {
        validate_id(a.id)?;
        if !a.known_flags() {
            return Err(Rejection::ReservedFlag);
        }
        if a.flags.has(AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS)
            && a.flags.has(AccountFlags::CREDITS_MUST_NOT_EXCEED_DEBITS)
        {
            return Err(Rejection::FlagsAreMutuallyExclusive);
        }
        if a.currency == 0 {
            return Err(Rejection::CurrencyMustNotBeZero);
        }
        if let Some(existing) = self.accounts.get(&a.id) {
            return account_exists(&existing.account, a);
        }
        self.accounts.insert(
            a.id,
            AccountState {
                account: *a,
                debits_pending: Cents::ZERO,
                debits_posted: Cents::ZERO,
                credits_pending: Cents::ZERO,
                credits_posted: Cents::ZERO,
                timestamp_ms: now_ms,
            },
        );
        self.journal.push(Undo::AccountCreated(a.id));
        Ok(Applied::Created)
    }

    fn create_transfer(&mut self, t: &Transfer, now_ms: u64) -> EventResult {
        validate_id(t.id)?;
        if !t.known_flags() {
            return Err(Rejection::ReservedFlag);
        }
        if let Some(existing) = self.transfer(t.id) {
            return transfer_exists(&existing.transfer, t);
        }
        if t.amount.0 < 0 {
            return Err(Rejection::AmountMustNotBeNegative);
        }
        let two_phase =
            t.flags.has(TransferFlags::POST_PENDING) || t.flags.has(TransferFlags::VOID_PENDING);
        let exclusive = [
            TransferFlags::PENDING,
            TransferFlags::POST_PENDING,
            TransferFlags::VOID_PENDING,
        ]
        .iter()
        .filter(|&&f| t.flags.has(f))
        .count();
        if exclusive > 1 {
            return Err(Rejection::FlagsAreMutuallyExclusive);
        }
        if two_phase {
            self.resolve_pending(t, now_ms)
        } else {
            self.create_single(t, now_ms)
        }
    }

    fn create_single(&mut self, t: &Transfer, now_ms: u64) -> EventResult {
        if t.pending_id != 0 {
            return Err(Rejection::PendingIdMustBeZero);
        }
        let pending = t.flags.has(TransferFlags::PENDING);
        if !pending && t.timeout_s != 0 {
            return Err(Rejection::TimeoutReservedForPendingTransfer);
        }
        if t.amount.0 == 0 {
            return Err(Rejection::AmountMustNotBeZero);
        }
        if t.debit_account_id == t.credit_account_id {
            return Err(Rejection::AccountsMustBeDifferent);
        }
        if t.currency == 0 {
            return Err(Rejection::CurrencyMustNotBeZero);
        }
        let dr = *self
            .accounts
            .get(&t.debit_account_id)
            .ok_or(Rejection::DebitAccountNotFound)?;
        let cr = *self
            .accounts
            .get(&t.credit_account_id)
            .ok_or(Rejection::CreditAccountNotFound)?;
        if dr.account.currency != t.currency || cr.account.currency != t.currency {
            return Err(Rejection::TransferMustHaveTheSameCurrencyAsAccounts);
        }
        let resolved = Resolved {
            debit: t.debit_account_id,
            credit: t.credit_account_id,
            amount: t.amount,
        };
        let (new_dr, new_cr) = book_amount(dr, cr, t.amount, pending)?;
        self.set_totals(new_dr);
        self.set_totals(new_cr);
        let expires_at_ms = (pending && t.timeout_s > 0)
            .then(|| now_ms.saturating_add(u64::from(t.timeout_s) * 1000));
        if let Some(at) = expires_at_ms {
            self.expiries.insert((at, t.id));
            self.journal.push(Undo::ExpiryAdded((at, t.id)));
        }
        let status = if pending {
            PendingStatus::Pending
        } else {
            PendingStatus::None
        };
        self.insert_transfer(t, resolved, status, now_ms, expires_at_ms);
        Ok(Applied::Created)
    }

    fn resolve_pending(&mut self, t: &Transfer, now_ms: u64) -> EventResult {
        if t.pending_id == 0 {
            return Err(Rejection::PendingIdMustNotBeZero);
        }
        if t.pending_id == t.id {
            return Err(Rejection::PendingIdMustBeDifferent);
        }
        if t.timeout_s != 0 {
            return Err(Rejection::TimeoutReservedForPendingTransfer);
        }
        let (slot, p) = self
            .transfers
            .find(t.pending_id)
            .ok_or(Rejection::PendingTransferNotFound)?;
        match p.status {
            PendingStatus::None => return Err(Rejection::PendingTransferNotPending),
            PendingStatus::Posted => return Err(Rejection::PendingTransferAlreadyPosted),
            PendingStatus::Voided => return Err(Rejection::PendingTransferAlreadyVoided),
            PendingStatus::Expired => return Err(Rejection::PendingTransferExpired),
            PendingStatus::Pending => {}
        }
        check_matches_pending(t, &p)?;
        let post = t.flags.has(TransferFlags::POST_PENDING);
        let amount = if t.amount.0 == 0 {
            p.resolved.amount
        } else {
            t.amount
        };
        if amount > p.resolved.amount {
            return Err(Rejection::ExceedsPendingTransferAmount);
        }
        if !post && amount != p.resolved.amount {
            return Err(Rejection::PendingTransferHasDifferentAmount);
        }
        // The reservation released and, for a post, the amount booked, on copies of the two
        // accounts: each is looked up once and written once, and a rejection changes nothing.
        let (mut dr, mut cr) = self.released(&p.resolved);
        if post {
            (dr, cr) = book_amount(dr, cr, amount, false)?;
        }
        self.set_totals(dr);
        self.set_totals(cr);
        if let Some(at) = p.expires_at_ms {
            self.expiries.remove(&(at, p.transfer.id));
            self.journal.push(Undo::ExpiryRemoved((at, p.transfer.id)));
        }
        let status = if post {
            PendingStatus::Posted
        } else {
            PendingStatus::Voided
        };
        self.set_status(slot, status);
        let resolved = Resolved {
            amount,
            ..p.resolved
        };
        self.insert_transfer(t, resolved, PendingStatus::None, now_ms, None);
        Ok(Applied::Created)
    }

    /// Takes a pending reservation off both accounts' pending totals.
    fn release_pending(&mut self, r: &Resolved) {
        let (dr, cr) = self.released(r);
        self.set_totals(dr);
        self.set_totals(cr);
    }

    /// The two accounts of a pending reservation as they are with it released (not stored).
    fn released(&self, r: &Resolved) -> (AccountState, AccountState) {
        let mut dr = self.accounts[&r.debit];
        let mut cr = self.accounts[&r.credit];
        dr.debits_pending = Cents(dr.debits_pending.0 - r.amount.0);
        cr.credits_pending = Cents(cr.credits_pending.0 - r.amount.0);
        assert!(
            dr.debits_pending.0 >= 0 && cr.credits_pending.0 >= 0,
            "pending totals went negative"
        );
        (dr, cr)
    }

    /// Stores an account's new totals in place, journaling the old ones.
    fn set_totals(&mut self, new: AccountState) {
        let a = self
            .accounts
            .get_mut(&new.account.id)
            .expect("account exists");
        let old = [
            a.debits_pending,
            a.debits_posted,
            a.credits_pending,
            a.credits_posted,
        ];
        a.debits_pending = new.debits_pending;
        a.debits_posted = new.debits_posted;
        a.credits_pending = new.credits_pending;
        a.credits_posted = new.credits_posted;
        self.journal.push(Undo::AccountTotals(new.account.id, old));
    }

    fn set_status(&mut self, slot: u32, status: PendingStatus) {
        let old = self.transfers.set_status(slot, status);
        self.journal.push(Undo::Status(slot, old));
    }

    fn insert_transfer(
        &mut self,
        t: &Transfer,
        resolved: Resolved,
        status: PendingStatus,
        now_ms: u64,
        expires_at_ms: Option<u64>,
    ) {
        self.transfers.push(&TransferState {
            transfer: *t,
            resolved,
            status,
            timestamp_ms: now_ms,
            expires_at_ms,
        });
        self.journal.push(Undo::TransferCreated(t.id));
    }
}

fn validate_id(id: u128) -> Result<(), Rejection> {
    match id {
        0 => Err(Rejection::IdMustNotBeZero),
        u128::MAX => Err(Rejection::IdMustNotBeIntMax),
        _ => Ok(()),
    }
}

/// Adds `amount` to the debit account's debits and the credit account's credits (pending or
/// posted), checking overflow and the balance-limit flags.
fn book_amount(
    mut dr: AccountState,
    mut cr: AccountState,
    amount: Cents,
    pending: bool,
) -> Result<(AccountState, AccountState), Rejection> {
    let overflow = Rejection::OverflowsBalance;
    if pending {
        dr.debits_pending = dr
            .debits_pending
            .checked_add(amount)
            .ok_or(overflow.clone())?;
        cr.credits_pending = cr
            .credits_pending
            .checked_add(amount)
            .ok_or(overflow.clone())?;
    } else {
        dr.debits_posted = dr
            .debits_posted
            .checked_add(amount)
            .ok_or(overflow.clone())?;
        cr.credits_posted = cr
            .credits_posted
            .checked_add(amount)
            .ok_or(overflow.clone())?;
    }
    let dr_debits = dr
        .debits_pending
        .checked_add(dr.debits_posted)
        .ok_or(overflow.clone())?;
    let cr_credits = cr
        .credits_pending
        .checked_add(cr.credits_posted)
        .ok_or(overflow)?;
    if dr
        .account
        .flags
        .has(AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS)
        && dr_debits > dr.credits_posted
    {
        return Err(Rejection::ExceedsCredits {
            account: dr.account.id,
            available: Cents(dr.credits_posted.0 - (dr_debits.0 - amount.0)),
            amount,
        });
    }
    if cr
        .account
        .flags
        .has(AccountFlags::CREDITS_MUST_NOT_EXCEED_DEBITS)
        && cr_credits > cr.debits_posted
    {
        return Err(Rejection::ExceedsDebits {
            account: cr.account.id,
            available: Cents(cr.debits_posted.0 - (cr_credits.0 - amount.0)),
            amount,
        });
    }
    Ok((dr, cr))
}

fn check_matches_pending(t: &Transfer, p: &TransferState) -> Result<(), Rejection> {
    if t.debit_account_id != 0 && t.debit_account_id != p.resolved.debit {
        return Err(Rejection::PendingTransferHasDifferentDebitAccount);
    }
    if t.credit_account_id != 0 && t.credit_account_id != p.resolved.credit {
        return Err(Rejection::PendingTransferHasDifferentCreditAccount);
    }
    if t.currency != 0 && t.currency != p.transfer.currency {
        return Err(Rejection::PendingTransferHasDifferentCurrency);
    }
    if t.code != 0 && t.code != p.transfer.code {
        return Err(Rejection::PendingTransferHasDifferentCode);
    }
    Ok(())
}

fn account_exists(old: &Account, new: &Account) -> EventResult {
    let field = if old.flags != new.flags {
        "flags"
    } else if old.currency != new.currency {
        "currency"
    } else if old.code != new.code {
        "code"
    } else if old.user_data != new.user_data {
        "user_data"
    } else {
        return Ok(Applied::Exists);
    };
    Err(Rejection::ExistsWithDifferent { field })
}

fn transfer_exists(old: &Transfer, new: &Transfer) -> EventResult {
    let fields: [(&'static str, bool); 9] = [
        ("flags", old.flags == new.flags),
        (
            "debit_account_id",
            old.debit_account_id == new.debit_account_id,
        ),
        (
            "credit_account_id",
            old.credit_account_id == new.credit_account_id,
        ),
        ("amount", old.amount == new.amount),
        ("pending_id", old.pending_id == new.pending_id),
        ("timeout_s", old.timeout_s == new.timeout_s),
        ("currency", old.currency == new.currency),
        ("code", old.code == new.code),
        ("user_data", old.user_data == new.user_data),
    ];
    match fields.iter().find(|(_, same)| !same) {
        Some((field, _)) => Err(Rejection::ExistsWithDifferent { field }),
        None => Ok(Applied::Exists),
    }
}
