//! knop's double-entry book: accounts and transfers in integer cents.
//!
//! TigerBeetle's model is the reference: [`Account`]s keep debit and credit totals, pending and
//! posted; [`Transfer`]s are immediate, or pending and later posted (fully or partly) or voided,
//! with an optional timeout; events flagged `LINKED` apply all-or-nothing; ids are chosen by the
//! client, so every submission is idempotent. The book is a pure state machine: balances are a
//! fold of the batches applied to it, in order, with the timestamps passed in.
//!
//! ```
//! use knop_book::*;
//! let mut book = Book::new();
//! let acct = |id, flags| Account { id, currency: EUR, code: 1, flags: AccountFlags(flags), user_data: 0 };
//! book.create_accounts(&[acct(1, 0), acct(2, AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS)], 0);
//! let t = Transfer { id: 10, debit_account_id: 1, credit_account_id: 2, amount: Cents(12_50),
//!     pending_id: 0, timeout_s: 0, currency: EUR, code: 1, flags: TransferFlags(0), user_data: 0 };
//! assert_eq!(book.create_transfers(&[t], 1), vec![Ok(Applied::Created)]);
//! assert_eq!(book.create_transfers(&[t], 2), vec![Ok(Applied::Exists)]);
//! assert_eq!(book.account(2).unwrap().credit_balance(), Cents(1250));
//! ```

#![warn(missing_docs)]

mod book;
mod money;
pub mod table;
mod types;

pub use book::{AccountState, Applied, Book, EventResult, PendingStatus, Resolved, TransferState};
pub use money::{AmountError, Cents};
pub use types::{
    decode_batch, encode_batch, Account, AccountFlags, Transfer, TransferFlags, BATCH_EVENTS_MAX,
    EUR,
};

/// Why the book refused an account or transfer. Each reads as a sentence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// Occurs when another event of the same `LINKED` chain failed.
    #[error("another event in the linked chain failed")]
    LinkedEventFailed,
    /// Occurs when the last event of a batch has `LINKED` set: the chain never closes.
    #[error("the linked chain is not closed: the last event of the batch has the linked flag")]
    LinkedEventChainOpen,
    /// Occurs when the id is 0.
    #[error("id must not be zero")]
    IdMustNotBeZero,
    /// Occurs when the id is `u128::MAX` (reserved).
    #[error("id must not be 2^128-1")]
    IdMustNotBeIntMax,
    /// Occurs when a flag bit that knop does not define is set.
    #[error("a reserved flag is set")]
    ReservedFlag,
    /// Occurs when two flags that exclude each other are both set.
    #[error("flags are mutually exclusive")]
    FlagsAreMutuallyExclusive,
    /// Occurs when the currency code is 0.
    #[error("currency must not be zero")]
    CurrencyMustNotBeZero,
    /// Occurs when an account or transfer with this id exists with other content.
    #[error("an account or transfer with this id already exists with a different {field}")]
    ExistsWithDifferent {
        /// The first field that differs.
        field: &'static str,
    },
    /// Occurs when an amount is below zero.
    #[error("amount must not be negative")]
    AmountMustNotBeNegative,
    /// Occurs when an immediate or pending transfer has amount 0.
    #[error("amount must not be zero")]
    AmountMustNotBeZero,
    /// Occurs when debit and credit account are the same.
    #[error("accounts must be different")]
    AccountsMustBeDifferent,
    /// Occurs when the debit account does not exist.
    #[error("debit account not found")]
    DebitAccountNotFound,
    /// Occurs when the credit account does not exist.
    #[error("credit account not found")]
    CreditAccountNotFound,
    /// Occurs when the transfer's currency differs from an account's.
    #[error("transfer must have the same currency as both accounts")]
    TransferMustHaveTheSameCurrencyAsAccounts,
    /// Occurs when `pending_id` is set on a transfer that is not a post or void.
    #[error("pending_id must be zero unless posting or voiding")]
    PendingIdMustBeZero,
    /// Occurs when a post or void has no `pending_id`.
    #[error("pending_id must not be zero when posting or voiding")]
    PendingIdMustNotBeZero,
    /// Occurs when a post or void names itself as pending transfer.
    #[error("pending_id must be different from id")]
    PendingIdMustBeDifferent,
    /// Occurs when a timeout is set on a transfer that is not pending.
    #[error("timeout is reserved for pending transfers")]
    TimeoutReservedForPendingTransfer,
    /// Occurs when the pending transfer to post or void does not exist.
    #[error("pending transfer not found")]
    PendingTransferNotFound,
    /// Occurs when the transfer to post or void was not created as pending.
    #[error("the transfer named by pending_id is not pending")]
    PendingTransferNotPending,
    /// Occurs when the pending transfer was already posted.
    #[error("pending transfer already posted")]
    PendingTransferAlreadyPosted,
    /// Occurs when the pending transfer was already voided.
    #[error("pending transfer already voided")]
    PendingTransferAlreadyVoided,
    /// Occurs when the pending transfer's timeout passed.
    #[error("pending transfer expired")]
    PendingTransferExpired,
    /// Occurs when a post or void names another debit account than the pending transfer.
    #[error("pending transfer has a different debit account")]
    PendingTransferHasDifferentDebitAccount,
    /// Occurs when a post or void names another credit account than the pending transfer.
    #[error("pending transfer has a different credit account")]
    PendingTransferHasDifferentCreditAccount,
    /// Occurs when a post or void names another currency than the pending transfer.
    #[error("pending transfer has a different currency")]
    PendingTransferHasDifferentCurrency,
    /// Occurs when a post or void names another code than the pending transfer.
    #[error("pending transfer has a different code")]
    PendingTransferHasDifferentCode,
    /// Occurs when a post asks for more than was reserved.
    #[error("amount exceeds the pending transfer's amount")]
    ExceedsPendingTransferAmount,
    /// Occurs when a void names an amount other than 0 or the reserved amount.
    #[error("a void must release the pending transfer's full amount")]
    PendingTransferHasDifferentAmount,
    /// Occurs when a debit would take an account with `DEBITS_MUST_NOT_EXCEED_CREDITS` below zero.
    #[error("debit of {amount} exceeds the credits of account {account}: {available} available")]
    ExceedsCredits {
        /// The limited account.
        account: u128,
        /// What it could still be debited.
        available: Cents,
        /// The amount asked.
        amount: Cents,
    },
    /// Occurs when a credit would exceed an account's debits under `CREDITS_MUST_NOT_EXCEED_DEBITS`.
    #[error("credit of {amount} exceeds the debits of account {account}: {available} available")]
    ExceedsDebits {
        /// The limited account.
        account: u128,
        /// What it could still be credited.
        available: Cents,
        /// The amount asked.
        amount: Cents,
    },
    /// Occurs when a total would overflow 2^63-1 cents.
    #[error("a balance total would overflow")]
    OverflowsBalance,
}
