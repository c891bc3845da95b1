//! Accounts, transfers, their flags and their canonical encoding.

use knop_codec::{DecodeError, Reader, Writer};

use crate::Cents;

/// ISO 4217 numeric code of the euro, the currency knop books in.
pub const EUR: u16 = 978;

/// The most accounts or transfers in one batch.
pub const BATCH_EVENTS_MAX: usize = 100_000;

/// Account flags (a bit set, as in TigerBeetle).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct AccountFlags(pub u16);

impl AccountFlags {
    /// This event and the next one in the batch succeed or fail together.
    pub const LINKED: u16 = 1 << 0;
    /// Debits (posted plus pending) must never exceed posted credits: an account that cannot go
    /// below zero, such as a household's reserve.
    pub const DEBITS_MUST_NOT_EXCEED_CREDITS: u16 = 1 << 1;
    /// Credits (posted plus pending) must never exceed posted debits.
    pub const CREDITS_MUST_NOT_EXCEED_DEBITS: u16 = 1 << 2;
    const KNOWN: u16 = 0b111;

    /// Whether `flag` is set.
    pub fn has(self, flag: u16) -> bool {
        self.0 & flag != 0
    }
}

/// Transfer flags (a bit set, as in TigerBeetle).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct TransferFlags(pub u16);

impl TransferFlags {
    /// This event and the next one in the batch succeed or fail together.
    pub const LINKED: u16 = 1 << 0;
    /// Reserve the amount now; post or void it later (two-phase transfer).
    pub const PENDING: u16 = 1 << 1;
    /// Post (fully or partly) the pending transfer named by `pending_id`.
    pub const POST_PENDING: u16 = 1 << 2;
    /// Void the pending transfer named by `pending_id`.
    pub const VOID_PENDING: u16 = 1 << 3;
    const KNOWN: u16 = 0b1111;

    /// Whether `flag` is set.
    pub fn has(self, flag: u16) -> bool {
        self.0 & flag != 0
    }
}

/// An account to create. Ids are chosen by the client; creating the same account twice is a
/// no-op (idempotent), creating another account under a used id is rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Account {
    /// Client-chosen id; not 0 and not `u128::MAX`.
    pub id: u128,
    /// ISO 4217 numeric currency code ([`EUR`]); transfers only move money within one currency.
    pub currency: u16,
    /// What kind of account this is, chosen by the application (chart of accounts).
    pub code: u16,
    /// See [`AccountFlags`].
    pub flags: AccountFlags,
    /// Opaque reference chosen by the application (a pseudonymous household id, for instance).
    pub user_data: u128,
}

/// A transfer to create: immediate, pending, or the post/void of a pending one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Transfer {
    /// Client-chosen id; not 0 and not `u128::MAX`. The idempotency key.
    pub id: u128,
    /// Account debited. For post/void: 0 (take the pending transfer's) or the same account.
    pub debit_account_id: u128,
    /// Account credited. For post/void: 0 or the same account.
    pub credit_account_id: u128,
    /// Amount in cents, never negative. For a post: 0 posts the full pending amount, less posts
    /// part and releases the rest. For a void: 0 or the full pending amount.
    pub amount: Cents,
    /// For post/void: the pending transfer; otherwise 0.
    pub pending_id: u128,
    /// For a pending transfer: seconds until it voids itself (0 = never).
    pub timeout_s: u32,
    /// ISO 4217 numeric code; must match both accounts. For post/void: 0 or the same.
    pub currency: u16,
    /// Why the money moves, chosen by the application. For post/void: 0 or the same.
    pub code: u16,
    /// See [`TransferFlags`].
    pub flags: TransferFlags,
    /// Opaque reference chosen by the application (an EndToEndId digest, for instance).
    pub user_data: u128,
}

impl Account {
    /// A euro account with code 1 and no user data.
    pub fn eur(id: u128, flags: u16) -> Self {
        Self {
            id,
            currency: EUR,
            code: 1,
            flags: AccountFlags(flags),
            user_data: 0,
        }
    }

    pub(crate) fn known_flags(&self) -> bool {
        self.flags.0 & !AccountFlags::KNOWN == 0
    }

    /// Appends the canonical encoding (52 bytes).
    pub fn encode(&self, w: &mut Writer) {
        w.u128(self.id);
        w.u16(self.currency);
        w.u16(self.code);
        w.u16(self.flags.0);
        w.u128(self.user_data);
    }

    /// Reads one account.
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            id: r.u128("account.id")?,
            currency: r.u16("account.currency")?,
            code: r.u16("account.code")?,
            flags: AccountFlags(r.u16("account.flags")?),
            user_data: r.u128("account.user_data")?,
        })
    }
}

impl Transfer {
    /// A euro transfer with code 1 and the given flags; no pending id, timeout or user data.
    pub fn eur(
        id: u128,
        debit_account_id: u128,
        credit_account_id: u128,
        amount: Cents,
        flags: u16,
    ) -> Self {
        Self {
            id,
            debit_account_id,
            credit_account_id,
            amount,
            pending_id: 0,
            timeout_s: 0,
            currency: EUR,
            code: 1,
            flags: TransferFlags(flags),
            user_data: 0,
        }
    }

    pub(crate) fn known_flags(&self) -> bool {
        self.flags.0 & !TransferFlags::KNOWN == 0
    }

    /// Appends the canonical encoding (98 bytes).
    pub fn encode(&self, w: &mut Writer) {
        w.u128(self.id);
        w.u128(self.debit_account_id);
        w.u128(self.credit_account_id);
        w.i64(self.amount.0);
        w.u128(self.pending_id);
        w.u32(self.timeout_s);
        w.u16(self.currency);
        w.u16(self.code);
        w.u16(self.flags.0);
        w.u128(self.user_data);
    }

    /// Reads one transfer.
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            id: r.u128("transfer.id")?,
            debit_account_id: r.u128("transfer.debit_account_id")?,
            credit_account_id: r.u128("transfer.credit_account_id")?,
            amount: Cents(r.i64("transfer.amount")?),
            pending_id: r.u128("transfer.pending_id")?,
            timeout_s: r.u32("transfer.timeout_s")?,
            currency: r.u16("transfer.currency")?,
            code: r.u16("transfer.code")?,
            flags: TransferFlags(r.u16("transfer.flags")?),
            user_data: r.u128("transfer.user_data")?,
        })
    }
}

/// Encodes a batch: a u32 count, then the items.
pub fn encode_batch<T>(items: &[T], w: &mut Writer, enc: impl Fn(&T, &mut Writer)) {
    assert!(items.len() <= BATCH_EVENTS_MAX, "batch over the limit");
    w.u32(items.len() as u32);
    for item in items {
        enc(item, w);
    }
}

/// Decodes a batch written by [`encode_batch`].
pub fn decode_batch<T>(
    r: &mut Reader<'_>,
    dec: impl Fn(&mut Reader<'_>) -> Result<T, DecodeError>,
) -> Result<Vec<T>, DecodeError> {
    let n = r.count("batch.count", BATCH_EVENTS_MAX)?;
    (0..n).map(|_| dec(r)).collect()
}
