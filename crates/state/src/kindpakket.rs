//! Kindpakket: a municipality's fund gives each eligible child a yearly budget (a voucher), spent
//! in parts at the shops it accepted, in the categories the fund allows. Entry tag 0x0B,
//! encoding version 1; rejections read as sentences ([`KindpakketRejection`]); its share of the
//! digest is [`Kindpakket::digest_into`].
//!
//! Money is in the book: a voucher is an account that can never go below zero
//! (`DEBITS_MUST_NOT_EXCEED_CREDITS`), issuing it is a transfer from the fund's account, and a
//! spend is a transfer from the voucher to the merchant's account for that fund. A command makes
//! its own accounts and transfers (ids derived from the command), so the rules and the money are
//! one entry and cannot disagree: a spend is booked only if the fund is active and in its dates,
//! the merchant is accepted for the fund and the category, the category is allowed, the amount
//! is within the cap, and the voucher holds enough (the book's own check, atomic).
//!
//! Children's names and BSNs never come here: a voucher names the household's pseudonymous
//! number only.

use std::collections::BTreeMap;

use jiff::civil::Date;
use knop_book::{Account, AccountFlags, Book, Cents, Rejection, Transfer};
use knop_codec::{DecodeError, Reader, Writer};
use knop_huishoudboekje::encoding::{date, read_date};
use knop_huishoudboekje::HouseholdId;
use knop_ledger::entry::{OrgName, SignedEntry, ORG_NAME_BYTES_MAX};
use sha2::{Digest, Sha256};

use crate::huishoudboekje::text;
use crate::{OrgKind, Outcome, StateError};

/// Longest fund, voucher or spend id, in bytes.
pub const KP_ID_BYTES_MAX: usize = 64;
/// Largest budget per child or spend: EUR 10 000, in cents.
pub const KP_CENTS_MAX: i64 = 1_000_000;

/// A shop category (one bit each in a fund's and a merchant's set).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    /// Sport (clubs, gear).
    Sport = 1,
    /// Culture (music, theatre, museum).
    Culture = 2,
    /// School (books, trips, the parents' contribution).
    School = 4,
    /// Clothing and shoes.
    Clothing = 8,
    /// Bicycles.
    Bicycles = 16,
    /// Computers and laptops.
    Computers = 32,
    /// Swimming lessons.
    Swimming = 64,
}

impl Category {
    /// Every category, in bit order.
    pub const ALL: [Category; 7] = [
        Category::Sport,
        Category::Culture,
        Category::School,
        Category::Clothing,
        Category::Bicycles,
        Category::Computers,
        Category::Swimming,
    ];

    /// The category's name in the API.
    pub fn name(self) -> &'static str {
        match self {
            Category::Sport => "sport",
            Category::Culture => "culture",
            Category::School => "school",
            Category::Clothing => "clothing",
            Category::Bicycles => "bicycles",
            Category::Computers => "computers",
            Category::Swimming => "swimming",
        }
    }

    /// The category named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.name() == name)
    }

    /// The categories in a set of bits.
    pub fn of_bits(bits: u16) -> Vec<Category> {
        Self::ALL
            .into_iter()
            .filter(|c| bits & (*c as u16) != 0)
            .collect()
    }
}

/// Every category bit together.
pub const CATEGORY_BITS: u16 = 127;

/// A fund's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FundStatus {
    /// Open for spending within its dates.
    Active = 1,
    /// Paused: no spends until active again.
    Paused = 2,
    /// Closed for good.
    Closed = 3,
}

impl FundStatus {
    fn from_code(c: u8) -> Option<Self> {
        [FundStatus::Active, FundStatus::Paused, FundStatus::Closed]
            .into_iter()
            .find(|s| *s as u8 == c)
    }

    /// The status's name in the API.
    pub fn name(self) -> &'static str {
        match self {
            FundStatus::Active => "active",
            FundStatus::Paused => "paused",
            FundStatus::Closed => "closed",
        }
    }
}

/// Commands of the Kindpakket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KindpakketCommand {
    /// A municipality opens a fund (sub-tag 1).
    OpenFund {
        /// The fund's id (its key).
        fund: String,
        /// Budget per child, in cents.
        child_cents: i64,
        /// First day spends are taken.
        from: Date,
        /// Last day spends are taken.
        until: Date,
        /// Categories allowed (bits of [`Category`]).
        categories: u16,
        /// Most one spend may be, in cents.
        cap_cents: i64,
    },
    /// The fund's status changes (sub-tag 2).
    SetStatus {
        /// The fund.
        fund: String,
        /// Its new status.
        status: FundStatus,
    },
    /// The municipality accepts a merchant for the fund, for some categories (sub-tag 3).
    AcceptMerchant {
        /// The fund.
        fund: String,
        /// The merchant (an organisation of kind merchant).
        merchant: OrgName,
        /// What it sells (bits of [`Category`]).
        categories: u16,
    },
    /// A voucher for one child of a household, holding the fund's budget (sub-tag 4).
    IssueVoucher {
        /// The voucher's id (its key).
        voucher: String,
        /// The fund.
        fund: String,
        /// The parent's household.
        household: HouseholdId,
    },
    /// A spend at a merchant (sub-tag 5).
    Spend {
        /// The spend's id (its key: the same again changes nothing).
        spend: String,
        /// The voucher.
        voucher: String,
        /// The merchant.
        merchant: OrgName,
        /// What was bought.
        category: Category,
        /// How much, in cents.
        cents: i64,
        /// When.
        date: Date,
    },
    /// A voucher blocked (lost phone, misuse): no spends until it is reissued (sub-tag 7).
    BlockVoucher {
        /// The voucher.
        voucher: String,
    },
    /// A blocked voucher replaced by a new one for the same child, with what was left on it
    /// (sub-tag 8).
    ReissueVoucher {
        /// The blocked voucher.
        voucher: String,
        /// The new voucher's id.
        new: String,
    },
    /// A spend cancelled on its own day (the till typed a wrong amount, the purchase was
    /// returned): its money goes back to the voucher (sub-tag 6).
    CancelSpend {
        /// The spend.
        spend: String,
        /// The day it is cancelled: the spend's own day.
        date: Date,
    },
    /// The municipality records where an accepted shop is paid for the fund (sub-tag 9): a
    /// business account, not personal data.
    SetPayee {
        /// The fund.
        fund: String,
        /// The shop.
        merchant: OrgName,
        /// Its IBAN (checked by the application layer; here: 5 to 34 letters and digits).
        iban: String,
        /// The account holder's name, as the bank knows it (1 to [`PAYEE_NAME_BYTES_MAX`]).
        name: String,
    },
    /// A payout batch (sub-tag 10): for each shop with a payee, every spend and refund up to
    /// and including `until` not paid out before, netted, one line per shop whose net is above
    /// zero. The state decides the lines, so the entry is small and the lines cannot disagree
    /// with the spends.
    Payout {
        /// The payout's id (its key).
        payout: String,
        /// The fund.
        fund: String,
        /// The last day of spends it covers.
        until: Date,
        /// The day the bank is to pay.
        execution: Date,
        /// The municipality's account it is paid from.
        from_iban: String,
        /// The person who made it (pseudonymous), never its approver.
        created_by: String,
    },
    /// A second person at the municipality approves a payout (sub-tag 11).
    ApprovePayout {
        /// The payout.
        payout: String,
        /// The person approving; never the maker.
        by: String,
    },
    /// What the municipality's bank statement showed (sub-tag 12): payout lines paid, and
    /// top-ups of funds (recognised by the fund's code in the reference). One upload, one entry.
    Statement {
        /// Payout lines the bank paid.
        paid: Vec<PaidLine>,
        /// Money the municipality put into its funds.
        topups: Vec<TopUp>,
    },
    /// Money of a spend given back to the voucher after the fact, by the shop or the
    /// municipality (sub-tag 13): a compensating entry, also after the spend was paid out (the
    /// shop's next payout is less by it).
    Refund {
        /// The refund's id (its key).
        refund: String,
        /// The spend.
        spend: String,
        /// How much, in cents: at most what is left of the spend after earlier refunds.
        cents: i64,
        /// When.
        date: Date,
    },
}

/// Longest payee name, in bytes (the SEPA `Cdtr/Nm` field's 70 characters).
pub const PAYEE_NAME_BYTES_MAX: usize = 70;
/// Most payout lines or top-ups in one [`KindpakketCommand::Statement`].
pub const STATEMENT_ITEMS_MAX: usize = 10_000;

/// A payout line the bank paid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaidLine {
    /// The payout.
    pub payout: String,
    /// The shop whose line it is.
    pub merchant: OrgName,
    /// The bank's booking date.
    pub date: Date,
}

/// Money the municipality put into a fund, as its bank statement showed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopUp {
    /// The bank's reference of the booking (its key: the same statement twice books once).
    pub reference: String,
    /// The fund.
    pub fund: String,
    /// How much, in cents.
    pub cents: i64,
    /// The bank's booking date.
    pub date: Date,
}

/// Why a Kindpakket command does not fit the state. Nothing was recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KindpakketRejection {
    /// Occurs when an id is empty.
    #[error("ids must not be empty")]
    EmptyId,
    /// Occurs when an amount is not 1 to [`KP_CENTS_MAX`] cents.
    #[error("amounts are 1 to {KP_CENTS_MAX} cents, found {0}")]
    Amount(i64),
    /// Occurs when the dates are the wrong way round.
    #[error("the fund's last day comes before its first")]
    Dates,
    /// Occurs when categories are none or unknown.
    #[error("categories: at least one of the known ones")]
    Categories,
    /// Occurs when an id is used again with other details.
    #[error("{0} exists with other details; its id is its key")]
    ExistsWithDifferent(String),
    /// Occurs when a fund, voucher or merchant is not known.
    #[error("{0} is not on the ledger")]
    Unknown(String),
    /// Occurs when a municipality changes another's fund.
    #[error("the fund belongs to {0}")]
    NotYourFund(String),
    /// Occurs when the organisation is not registered as a merchant.
    #[error("{0} is not registered as a merchant")]
    NotAMerchant(String),
    /// Occurs when the fund takes no spends now.
    #[error("the fund is not active on {0}")]
    FundNotActive(Date),
    /// Occurs when the merchant is not accepted for the fund.
    #[error("Deze winkel valt niet onder deze regeling / this shop is not part of the fund")]
    MerchantNotAccepted,
    /// Occurs when the category is not allowed by the fund or not sold by the merchant.
    #[error("Dit mag niet van het budget: {0} / not allowed on this budget")]
    CategoryNotAllowed(&'static str),
    /// Occurs when the spend is over the fund's cap.
    #[error("Te hoog bedrag: ten hoogste {cap} cent per aankoop / over the cap")]
    OverCap {
        /// The cap.
        cap: i64,
    },
    /// Occurs when the voucher holds less than the spend.
    #[error("Onvoldoende budget: nog {left} cent over / insufficient budget")]
    InsufficientBudget {
        /// What the voucher still holds.
        left: i64,
    },
    /// Occurs when a merchant spends in another merchant's name, or records anything but a spend.
    #[error("a merchant records only its own spends")]
    NotYourSpend,
    /// Occurs when a blocked voucher is spent, or a voucher that is not blocked is reissued.
    #[error("Dit tegoed is geblokkeerd / this voucher is blocked")]
    Blocked,
    /// Occurs when a voucher to reissue is not blocked, or was reissued already.
    #[error("only a blocked voucher that was not reissued yet can be reissued")]
    NotBlocked,
    /// Occurs when a spend is cancelled on another day than its own.
    #[error(
        "Alleen op de dag van de aankoop te annuleren ({0}) / only on the day of the purchase"
    )]
    NotSameDay(Date),
    /// Occurs when the book refuses for another reason.
    #[error("the book refused: {0}")]
    Book(String),
    /// Occurs when a spend paid out is cancelled, or one with refunds.
    #[error("Al uitbetaald of terugbetaald: geef het geld terug met een terugbetaling / paid out already; use a refund")]
    PaidOut,
    /// Occurs when a refund is more than what is left of the spend.
    #[error("Te veel terug: nog {left} cent van deze aankoop / more than is left of the spend")]
    OverRefund {
        /// What is left of the spend to refund.
        left: i64,
    },
    /// Occurs when a refund is dated before its purchase or after the day it is recorded.
    #[error("Een terugbetaling valt op of na de aankoop ({0}) en niet na vandaag / refund date")]
    RefundDate(Date),
    /// Occurs when the payee's IBAN or name is malformed.
    #[error("payee: {0}")]
    Payee(&'static str),
    /// Occurs when a payout has nothing to pay.
    #[error("Niets uit te betalen tot en met {0} / nothing to pay out")]
    NothingToPay(Date),
    /// Occurs when a payout is approved by its maker.
    #[error(
        "Vier ogen: een tweede persoon keurt goed, niet wie de uitbetaling maakte / four eyes"
    )]
    FourEyes,
    /// Occurs when a payout line is marked paid before the payout was approved.
    #[error("payout {0} is not approved by a second person")]
    NotApproved(String),
    /// Occurs when a statement holds too many items.
    #[error("a statement holds at most {STATEMENT_ITEMS_MAX} lines and top-ups")]
    TooMany,
    /// Occurs when a plain book command touches a fund's, voucher's or shop's account: its money
    /// moves only by the Kindpakket's own commands, which check the rules.
    #[error(
        "account {0:#x} belongs to the Kindpakket; its money moves only by a spend or a voucher"
    )]
    Reserved(u128),
}

/// A fund, as the log says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FundState {
    /// The municipality.
    pub owner: OrgName,
    /// Budget per child, in cents.
    pub child_cents: i64,
    /// First day.
    pub from: Date,
    /// Last day.
    pub until: Date,
    /// Allowed categories (bits).
    pub categories: u16,
    /// Cap per spend, in cents.
    pub cap_cents: i64,
    /// Its status.
    pub status: FundStatus,
    /// Accepted merchants and their categories (bits).
    pub merchants: BTreeMap<OrgName, u16>,
}

/// A voucher, as the log says (its balance is in the book: [`voucher_account`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoucherState {
    /// The fund.
    pub fund: String,
    /// The household.
    pub household: HouseholdId,
    /// Whether it is blocked.
    pub blocked: bool,
    /// The voucher that replaced it, if reissued.
    pub replaced_by: Option<String>,
}

/// A spend, as the log says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpendState {
    /// The voucher.
    pub voucher: String,
    /// The merchant.
    pub merchant: OrgName,
    /// The category.
    pub category: Category,
    /// The amount, in cents.
    pub cents: i64,
    /// When.
    pub date: Date,
    /// The log index of its entry.
    pub index: u64,
    /// Whether it was cancelled (its money went back to the voucher).
    pub cancelled: bool,
}

/// Where a shop is paid for a fund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payee {
    /// Its IBAN.
    pub iban: String,
    /// The account holder's name.
    pub name: String,
}

/// One shop's line of a payout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayoutLine {
    /// The shop.
    pub merchant: OrgName,
    /// Paid to (as the payee was when the payout was made).
    pub payee: Payee,
    /// Net amount: its spends less its refunds, in cents (above zero).
    pub cents: i64,
    /// The spends it covers.
    pub spends: Vec<String>,
    /// The refunds it subtracts.
    pub refunds: Vec<String>,
    /// The day the bank statement showed it paid.
    pub paid: Option<Date>,
}

/// A payout, as the log says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayoutState {
    /// The fund.
    pub fund: String,
    /// Last day of spends it covers.
    pub until: Date,
    /// The day the bank is to pay.
    pub execution: Date,
    /// The municipality's account.
    pub from_iban: String,
    /// Who made it.
    pub created_by: String,
    /// When (the entry's timestamp, ms).
    pub created_ms: u64,
    /// Its lines, by shop name.
    pub lines: Vec<PayoutLine>,
    /// Who approved it, with when (ms).
    pub approvals: Vec<(String, u64)>,
    /// The log index of its entry.
    pub index: u64,
}

impl PayoutState {
    /// Whether someone other than its maker approved it (four eyes).
    pub fn approved(&self) -> bool {
        self.approvals.iter().any(|(by, _)| *by != self.created_by)
    }

    /// Its total, in cents.
    pub fn total_cents(&self) -> i64 {
        self.lines.iter().map(|l| l.cents).sum()
    }
}

/// A refund, as the log says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundState {
    /// The spend.
    pub spend: String,
    /// The voucher the money went to (the spend's, or the one that replaced it).
    pub voucher: String,
    /// How much, in cents.
    pub cents: i64,
    /// When.
    pub date: Date,
    /// The log index of its entry.
    pub index: u64,
}

/// A top-up of a fund, as the log says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopUpState {
    /// The fund.
    pub fund: String,
    /// How much, in cents.
    pub cents: i64,
    /// The bank's booking date.
    pub date: Date,
}

/// The Kindpakket's share of the state.
#[derive(Debug, Default, Clone)]
pub struct Kindpakket {
    pub(crate) funds: BTreeMap<String, FundState>,
    pub(crate) vouchers: BTreeMap<String, VoucherState>,
    pub(crate) spends: BTreeMap<String, SpendState>,
    pub(crate) payees: BTreeMap<(String, OrgName), Payee>,
    pub(crate) payouts: BTreeMap<String, PayoutState>,
    pub(crate) refunds: BTreeMap<String, RefundState>,
    pub(crate) topups: BTreeMap<String, TopUpState>,
    /// Spends and refunds not paid out yet, per fund and shop, in log order: derived, not
    /// digested.
    /// Keyed by the shop's book account for the fund ([`merchant_account`]).
    unpaid: std::collections::HashMap<u128, Vec<Unpaid>>,
    /// The payout each paid-out spend or refund is in: derived, not digested.
    pub(crate) paid_in: std::collections::HashMap<String, std::sync::Arc<str>>,
    /// Each voucher's spends, in log order: derived, not digested.
    pub(crate) by_voucher: std::collections::HashMap<String, Vec<String>>,
    /// What was refunded of each spend, in cents: derived, not digested.
    pub(crate) refunded: std::collections::HashMap<String, i64>,
    /// The book accounts the Kindpakket owns (funds', vouchers', shops'): derived from the
    /// above, so not digested separately.
    pub(crate) accounts: std::collections::HashSet<u128>,
    /// Accounts taken by the command being applied, given back if it is refused.
    fresh: Vec<u128>,
}

fn id_of(parts: &[&[u8]]) -> u128 {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u32).to_be_bytes());
        h.update(p);
    }
    let d: [u8; 32] = h.finalize().into();
    u128::from_be_bytes(d[..16].try_into().unwrap_or([0; 16]))
}

/// The key of a refund in [`Kindpakket::paid_in`], apart from the spends' ids.
pub(crate) fn refund_key(refund: &str) -> String {
    format!("refund\0{refund}")
}

/// A spend or refund waiting for a payout: what a payout needs of it, so making one looks
/// nothing up.
#[derive(Debug, Clone)]
struct Unpaid {
    id: String,
    /// The spend's cents, or the refund's as a negative number.
    cents: i64,
    date: Date,
}

/// The fund's account in the book (vouchers are paid from it; top-ups pay into it).
pub fn fund_account(fund: &str) -> u128 {
    id_of(&[b"knop/kindpakket/fund", fund.as_bytes()])
}

/// The account the municipality's bank money for a fund comes from (top-ups are its debits).
pub fn bank_account(fund: &str) -> u128 {
    id_of(&[b"knop/kindpakket/bank", fund.as_bytes()])
}

/// The account payouts of a fund go to: what left the municipality's bank for its shops.
pub fn payout_account(fund: &str) -> u128 {
    id_of(&[b"knop/kindpakket/payout", fund.as_bytes()])
}

/// The transfer of one shop's line of a payout.
pub fn payout_transfer(payout: &str, merchant: &str) -> u128 {
    id_of(&[
        b"knop/kindpakket/payout-line",
        payout.as_bytes(),
        merchant.as_bytes(),
    ])
}

/// The transfer of a refund.
pub fn refund_transfer(refund: &str) -> u128 {
    id_of(&[b"knop/kindpakket/refund", refund.as_bytes()])
}

/// The transfer of a top-up.
pub fn topup_transfer(reference: &str) -> u128 {
    id_of(&[b"knop/kindpakket/topup", reference.as_bytes()])
}

/// A voucher's account in the book: never below zero.
pub fn voucher_account(voucher: &str) -> u128 {
    id_of(&[b"knop/kindpakket/voucher", voucher.as_bytes()])
}

/// A merchant's account for a fund in the book: what the fund owes it.
pub fn merchant_account(fund: &str, merchant: &str) -> u128 {
    id_of(&[
        b"knop/kindpakket/merchant",
        fund.as_bytes(),
        merchant.as_bytes(),
    ])
}

/// The transfer that makes a spend.
pub fn spend_transfer(spend: &str) -> u128 {
    id_of(&[b"knop/kindpakket/spend", spend.as_bytes()])
}

/// The transfer that gives a cancelled spend's money back.
pub fn cancel_transfer(spend: &str) -> u128 {
    id_of(&[b"knop/kindpakket/cancel", spend.as_bytes()])
}

fn amount(cents: i64) -> Result<(), KindpakketRejection> {
    if (1..=KP_CENTS_MAX).contains(&cents) {
        Ok(())
    } else {
        Err(KindpakketRejection::Amount(cents))
    }
}

fn categories(bits: u16) -> Result<(), KindpakketRejection> {
    if bits != 0 && bits & !CATEGORY_BITS == 0 {
        Ok(())
    } else {
        Err(KindpakketRejection::Categories)
    }
}

const CREATED: Outcome = Outcome {
    created: 1,
    existing: 0,
};
const EXISTING: Outcome = Outcome {
    created: 0,
    existing: 1,
};

impl Kindpakket {
    /// Applies a command signed by `entry.signer` (of `kind`) at log index `index`, with the
    /// book; all or nothing.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn apply(
        &mut self,
        entry: &SignedEntry,
        kind: OrgKind,
        index: u64,
        cmd: KindpakketCommand,
        book: &mut Book,
        is_household: impl Fn(HouseholdId) -> bool,
        kind_of: impl Fn(&OrgName) -> Option<OrgKind>,
    ) -> Result<Outcome, StateError> {
        let what = match &cmd {
            KindpakketCommand::OpenFund { fund, .. }
            | KindpakketCommand::SetStatus { fund, .. }
            | KindpakketCommand::AcceptMerchant { fund, .. } => format!("fund {fund}"),
            KindpakketCommand::IssueVoucher { voucher, .. }
            | KindpakketCommand::BlockVoucher { voucher }
            | KindpakketCommand::ReissueVoucher { voucher, .. } => format!("voucher {voucher}"),
            KindpakketCommand::Spend { spend, .. }
            | KindpakketCommand::CancelSpend { spend, .. } => format!("spend {spend}"),
            KindpakketCommand::SetPayee { fund, merchant, .. } => {
                format!("fund {fund}, shop {merchant}")
            }
            KindpakketCommand::Payout { payout, .. }
            | KindpakketCommand::ApprovePayout { payout, .. } => format!("payout {payout}"),
            KindpakketCommand::Statement { .. } => "statement".to_owned(),
            KindpakketCommand::Refund { refund, .. } => format!("refund {refund}"),
        };
        let result = self.apply_inner(entry, kind, index, cmd, book, is_household, kind_of);
        let fresh = std::mem::take(&mut self.fresh);
        match result {
            Ok(o) => {
                book.commit();
                Ok(o)
            }
            Err(rejection) => {
                book.rollback();
                for id in fresh {
                    self.accounts.remove(&id);
                }
                Err(StateError::Kindpakket { what, rejection })
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn apply_inner(
        &mut self,
        entry: &SignedEntry,
        kind: OrgKind,
        index: u64,
        cmd: KindpakketCommand,
        book: &mut Book,
        is_household: impl Fn(HouseholdId) -> bool,
        kind_of: impl Fn(&OrgName) -> Option<OrgKind>,
    ) -> Result<Outcome, KindpakketRejection> {
        use KindpakketRejection as R;
        let ts = entry.timestamp_ms;
        let signer = &entry.signer;
        if kind == OrgKind::Merchant
            && !matches!(
                cmd,
                KindpakketCommand::Spend { .. }
                    | KindpakketCommand::CancelSpend { .. }
                    | KindpakketCommand::Refund { .. }
            )
        {
            return Err(R::NotYourSpend);
        }
        match cmd {
            KindpakketCommand::OpenFund {
                fund,
                child_cents,
                from,
                until,
                categories: cats,
                cap_cents,
            } => {
                if fund.is_empty() {
                    return Err(R::EmptyId);
                }
                amount(child_cents)?;
                amount(cap_cents)?;
                categories(cats)?;
                if until < from {
                    return Err(R::Dates);
                }
                if let Some(f) = self.funds.get(&fund) {
                    let same = f.owner == *signer
                        && (f.child_cents, f.from, f.until, f.categories, f.cap_cents)
                            == (child_cents, from, until, cats, cap_cents);
                    return if same {
                        Ok(EXISTING)
                    } else {
                        Err(R::ExistsWithDifferent(format!("fund {fund}")))
                    };
                }
                self.own_account(book, Account::eur(fund_account(&fund), 0), ts)?;
                self.funds.insert(
                    fund,
                    FundState {
                        owner: signer.clone(),
                        child_cents,
                        from,
                        until,
                        categories: cats,
                        cap_cents,
                        status: FundStatus::Active,
                        merchants: BTreeMap::new(),
                    },
                );
                Ok(CREATED)
            }
            KindpakketCommand::SetStatus { fund, status } => {
                let f = self.own_fund(&fund, signer)?;
                if f.status == status {
                    return Ok(EXISTING);
                }
                if f.status == FundStatus::Closed {
                    return Err(R::FundNotActive(f.until));
                }
                f.status = status;
                Ok(CREATED)
            }
            KindpakketCommand::AcceptMerchant {
                fund,
                merchant,
                categories: cats,
            } => {
                categories(cats)?;
                if kind_of(&merchant) != Some(OrgKind::Merchant) {
                    return Err(R::NotAMerchant(merchant.to_string()));
                }
                let f = self.own_fund(&fund, signer)?;
                if f.merchants.get(&merchant) == Some(&cats) {
                    return Ok(EXISTING);
                }
                let acc = merchant_account(&fund, merchant.as_str());
                if !self.accounts.contains(&acc) {
                    self.own_account(book, Account::eur(acc, 0), ts)?;
                }
                if let Some(f) = self.funds.get_mut(&fund) {
                    f.merchants.insert(merchant, cats);
                }
                Ok(CREATED)
            }
            KindpakketCommand::IssueVoucher {
                voucher,
                fund,
                household,
            } => {
                if voucher.is_empty() {
                    return Err(R::EmptyId);
                }
                if let Some(v) = self.vouchers.get(&voucher) {
                    return if v.fund == fund && v.household == household {
                        Ok(EXISTING)
                    } else {
                        Err(R::ExistsWithDifferent(format!("voucher {voucher}")))
                    };
                }
                if !is_household(household) {
                    return Err(R::Unknown(format!("household {household}")));
                }
                let f = self.own_fund(&fund, signer)?;
                if f.status == FundStatus::Closed {
                    return Err(R::FundNotActive(f.until));
                }
                let cents = f.child_cents;
                let acc = voucher_account(&voucher);
                self.own_account(
                    book,
                    Account::eur(acc, AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS),
                    ts,
                )?;
                book_ok(book.create_transfers(
                    &[Transfer::eur(
                        id_of(&[b"knop/kindpakket/issue", voucher.as_bytes()]),
                        fund_account(&fund),
                        acc,
                        Cents(cents),
                        0,
                    )],
                    ts,
                ))?;
                self.vouchers.insert(
                    voucher,
                    VoucherState {
                        fund,
                        household,
                        blocked: false,
                        replaced_by: None,
                    },
                );
                Ok(CREATED)
            }
            KindpakketCommand::BlockVoucher { voucher } => {
                let v = self
                    .vouchers
                    .get(&voucher)
                    .ok_or_else(|| R::Unknown(format!("voucher {voucher}")))?;
                let fund = v.fund.clone();
                self.own_fund(&fund, signer)?;
                let v = self.vouchers.get_mut(&voucher).ok_or(R::NotBlocked)?;
                if v.blocked {
                    return Ok(EXISTING);
                }
                v.blocked = true;
                Ok(CREATED)
            }
            KindpakketCommand::ReissueVoucher { voucher, new } => {
                if new.is_empty() {
                    return Err(R::EmptyId);
                }
                let v = self
                    .vouchers
                    .get(&voucher)
                    .cloned()
                    .ok_or_else(|| R::Unknown(format!("voucher {voucher}")))?;
                self.own_fund(&v.fund, signer)?;
                if v.replaced_by.as_deref() == Some(new.as_str()) {
                    return Ok(EXISTING);
                }
                if !v.blocked || v.replaced_by.is_some() {
                    return Err(R::NotBlocked);
                }
                if self.vouchers.contains_key(&new) {
                    return Err(R::ExistsWithDifferent(format!("voucher {new}")));
                }
                let left = book.account(voucher_account(&voucher)).map_or(0, |a| {
                    a.credits_posted.0 - a.debits_posted.0 - a.debits_pending.0
                });
                let acc = voucher_account(&new);
                self.own_account(
                    book,
                    Account::eur(acc, AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS),
                    ts,
                )?;
                if left > 0 {
                    book_ok(book.create_transfers(
                        &[Transfer::eur(
                            id_of(&[b"knop/kindpakket/reissue", voucher.as_bytes()]),
                            voucher_account(&voucher),
                            acc,
                            Cents(left),
                            0,
                        )],
                        ts,
                    ))?;
                }
                if let Some(old) = self.vouchers.get_mut(&voucher) {
                    old.replaced_by = Some(new.clone());
                }
                self.vouchers.insert(
                    new,
                    VoucherState {
                        fund: v.fund,
                        household: v.household,
                        blocked: false,
                        replaced_by: None,
                    },
                );
                Ok(CREATED)
            }
            KindpakketCommand::Spend {
                spend,
                voucher,
                merchant,
                category,
                cents,
                date,
            } => {
                if spend.is_empty() {
                    return Err(R::EmptyId);
                }
                // A merchant records its own spends; the municipality any of its funds'.
                if kind == OrgKind::Merchant && merchant != *signer {
                    return Err(R::NotYourSpend);
                }
                if let Some(s) = self.spends.get(&spend) {
                    let same = (&s.voucher, &s.merchant, s.category, s.cents, s.date)
                        == (&voucher, &merchant, category, cents, date);
                    return if same {
                        Ok(EXISTING)
                    } else {
                        Err(R::ExistsWithDifferent(format!("spend {spend}")))
                    };
                }
                amount(cents)?;
                let v = self
                    .vouchers
                    .get(&voucher)
                    .ok_or_else(|| R::Unknown(format!("voucher {voucher}")))?;
                if v.blocked {
                    return Err(R::Blocked);
                }
                let f = self
                    .funds
                    .get(&v.fund)
                    .ok_or_else(|| R::Unknown(format!("fund {}", v.fund)))?;
                if kind == OrgKind::Municipality && f.owner != *signer {
                    return Err(R::NotYourFund(f.owner.to_string()));
                }
                if f.status != FundStatus::Active || date < f.from || date > f.until {
                    return Err(R::FundNotActive(date));
                }
                let sells = f.merchants.get(&merchant).ok_or(R::MerchantNotAccepted)?;
                let bit = category as u16;
                if f.categories & bit == 0 || sells & bit == 0 {
                    return Err(R::CategoryNotAllowed(category.name()));
                }
                if cents > f.cap_cents {
                    return Err(R::OverCap { cap: f.cap_cents });
                }
                let shop_account = merchant_account(&v.fund, merchant.as_str());
                let results = book.create_transfers(
                    &[Transfer::eur(
                        spend_transfer(&spend),
                        voucher_account(&voucher),
                        shop_account,
                        Cents(cents),
                        0,
                    )],
                    ts,
                );
                if let Some(Err(Rejection::ExceedsCredits { available, .. })) = results.first() {
                    return Err(R::InsufficientBudget { left: available.0 });
                }
                book_ok(results)?;
                self.unpaid.entry(shop_account).or_default().push(Unpaid {
                    id: spend.clone(),
                    cents,
                    date,
                });
                match self.by_voucher.get_mut(&voucher) {
                    Some(list) => list.push(spend.clone()),
                    None => {
                        self.by_voucher.insert(voucher.clone(), vec![spend.clone()]);
                    }
                }
                self.spends.insert(
                    spend,
                    SpendState {
                        voucher,
                        merchant,
                        category,
                        cents,
                        date,
                        index,
                        cancelled: false,
                    },
                );
                Ok(CREATED)
            }
            KindpakketCommand::CancelSpend { spend, date } => {
                let s = self
                    .spends
                    .get(&spend)
                    .ok_or_else(|| R::Unknown(format!("spend {spend}")))?;
                if kind == OrgKind::Merchant && s.merchant != *signer {
                    return Err(R::NotYourSpend);
                }
                let fund = self
                    .vouchers
                    .get(&s.voucher)
                    .map(|v| v.fund.clone())
                    .unwrap_or_default();
                if kind == OrgKind::Municipality {
                    let owner = self.funds.get(&fund).map(|f| f.owner.clone());
                    if owner.as_ref() != Some(signer) {
                        return Err(R::NotYourFund(
                            owner.map(|o| o.to_string()).unwrap_or_default(),
                        ));
                    }
                }
                if s.cancelled {
                    return Ok(EXISTING);
                }
                if self.paid_in.contains_key(&spend) || self.refunded.contains_key(&spend) {
                    return Err(R::PaidOut);
                }
                if date != s.date {
                    return Err(R::NotSameDay(s.date));
                }
                book_ok(book.create_transfers(
                    &[Transfer::eur(
                        cancel_transfer(&spend),
                        merchant_account(&fund, s.merchant.as_str()),
                        voucher_account(&s.voucher),
                        Cents(s.cents),
                        0,
                    )],
                    ts,
                ))?;
                if let Some(w) = self
                    .unpaid
                    .get_mut(&merchant_account(&fund, s.merchant.as_str()))
                {
                    // Of today, so near the end.
                    if let Some(at) = w.iter().rposition(|u| u.id == spend && u.cents > 0) {
                        w.remove(at);
                    }
                }
                if let Some(s) = self.spends.get_mut(&spend) {
                    s.cancelled = true;
                }
                Ok(CREATED)
            }
            KindpakketCommand::SetPayee {
                fund,
                merchant,
                iban,
                name,
            } => {
                let iban_ok = (5..=34).contains(&iban.len())
                    && iban
                        .bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
                if !iban_ok {
                    return Err(R::Payee("an IBAN is 5 to 34 capital letters and digits"));
                }
                if name.trim().is_empty() || name.len() > PAYEE_NAME_BYTES_MAX {
                    return Err(R::Payee("a name is 1 to 70 bytes"));
                }
                let f = self.own_fund(&fund, signer)?;
                if !f.merchants.contains_key(&merchant) {
                    return Err(R::MerchantNotAccepted);
                }
                let payee = Payee { iban, name };
                let key = (fund, merchant);
                if self.payees.get(&key) == Some(&payee) {
                    return Ok(EXISTING);
                }
                self.payees.insert(key, payee);
                Ok(CREATED)
            }
            KindpakketCommand::Payout {
                payout,
                fund,
                until,
                execution,
                from_iban,
                created_by,
            } => {
                if payout.is_empty() || created_by.is_empty() {
                    return Err(R::EmptyId);
                }
                if let Some(p) = self.payouts.get(&payout) {
                    let same = (&p.fund, p.until, p.execution, &p.from_iban, &p.created_by)
                        == (&fund, until, execution, &from_iban, &created_by);
                    return if same {
                        Ok(EXISTING)
                    } else {
                        Err(R::ExistsWithDifferent(format!("payout {payout}")))
                    };
                }
                let merchants: Vec<OrgName> = self
                    .own_fund(&fund, signer)?
                    .merchants
                    .keys()
                    .cloned()
                    .collect();
                // One pass per shop: what is due up to `until` goes in the line, the rest waits.
                let mut lines = vec![];
                let mut rest = vec![];
                for merchant in merchants {
                    let Some(payee) = self.payees.get(&(fund.clone(), merchant.clone())) else {
                        continue;
                    };
                    let acc = merchant_account(&fund, merchant.as_str());
                    let Some(waiting) = self.unpaid.get(&acc) else {
                        continue;
                    };
                    let (mut spends, mut refunds, mut keep, mut cents) =
                        (vec![], vec![], vec![], 0i64);
                    for u in waiting {
                        if u.date > until {
                            keep.push(u.clone());
                        } else {
                            cents += u.cents;
                            if u.cents > 0 {
                                spends.push(u.id.clone());
                            } else {
                                refunds.push(u.id.clone());
                            }
                        }
                    }
                    if cents > 0 {
                        rest.push((acc, keep));
                        lines.push(PayoutLine {
                            merchant,
                            payee: payee.clone(),
                            cents,
                            spends,
                            refunds,
                            paid: None,
                        });
                    }
                }
                if lines.is_empty() {
                    return Err(R::NothingToPay(until));
                }
                let transfers: Vec<Transfer> = lines
                    .iter()
                    .map(|l| {
                        Transfer::eur(
                            payout_transfer(&payout, l.merchant.as_str()),
                            merchant_account(&fund, l.merchant.as_str()),
                            payout_account(&fund),
                            Cents(l.cents),
                            0,
                        )
                    })
                    .collect();
                // Made by the Kindpakket itself, or refused (one made ahead by anyone else).
                if !self.accounts.contains(&payout_account(&fund)) {
                    self.own_account(book, Account::eur(payout_account(&fund), 0), ts)?;
                }
                book_ok(book.create_transfers(&transfers, ts))?;
                for (acc, keep) in rest {
                    self.unpaid.insert(acc, keep);
                }
                let name: std::sync::Arc<str> = payout.as_str().into();
                for l in &lines {
                    for id in &l.spends {
                        self.paid_in.insert(id.clone(), name.clone());
                    }
                    for id in &l.refunds {
                        self.paid_in.insert(refund_key(id), name.clone());
                    }
                }
                self.payouts.insert(
                    payout,
                    PayoutState {
                        fund,
                        until,
                        execution,
                        from_iban,
                        created_by,
                        created_ms: ts,
                        lines,
                        approvals: vec![],
                        index,
                    },
                );
                Ok(CREATED)
            }
            KindpakketCommand::ApprovePayout { payout, by } => {
                if by.is_empty() {
                    return Err(R::EmptyId);
                }
                let fund = self
                    .payouts
                    .get(&payout)
                    .map(|p| p.fund.clone())
                    .ok_or_else(|| R::Unknown(format!("payout {payout}")))?;
                self.own_fund(&fund, signer)?;
                let p = self
                    .payouts
                    .get_mut(&payout)
                    .ok_or_else(|| R::Unknown(format!("payout {payout}")))?;
                if p.approvals.iter().any(|(b, _)| *b == by) {
                    return Ok(EXISTING);
                }
                if by == p.created_by {
                    return Err(R::FourEyes);
                }
                p.approvals.push((by, ts));
                Ok(CREATED)
            }
            KindpakketCommand::Statement { paid, topups } => {
                if paid.len() + topups.len() > STATEMENT_ITEMS_MAX {
                    return Err(R::TooMany);
                }
                if paid.is_empty() && topups.is_empty() {
                    return Err(R::EmptyId);
                }
                // Everything is checked before anything changes.
                let mut created = 0;
                for l in &paid {
                    let p = self
                        .payouts
                        .get(&l.payout)
                        .ok_or_else(|| R::Unknown(format!("payout {}", l.payout)))?;
                    let owner = self.funds.get(&p.fund).map(|f| &f.owner);
                    if owner != Some(signer) {
                        return Err(R::NotYourFund(
                            owner.map(|o| o.to_string()).unwrap_or_default(),
                        ));
                    }
                    if !p.approved() {
                        return Err(R::NotApproved(l.payout.clone()));
                    }
                    let line = p
                        .lines
                        .iter()
                        .find(|x| x.merchant == l.merchant)
                        .ok_or_else(|| {
                            R::Unknown(format!("line of {} in payout {}", l.merchant, l.payout))
                        })?;
                    if line.paid.is_none() {
                        created += 1;
                    }
                }
                let mut transfers = vec![];
                let mut fresh_topups = vec![];
                for t in &topups {
                    if t.reference.is_empty() {
                        return Err(R::EmptyId);
                    }
                    amount(t.cents)?;
                    if let Some(old) = self.topups.get(&t.reference) {
                        if (&old.fund, old.cents, old.date) != (&t.fund, t.cents, t.date) {
                            return Err(R::ExistsWithDifferent(format!("top-up {}", t.reference)));
                        }
                        continue;
                    }
                    if fresh_topups
                        .iter()
                        .any(|x: &&TopUp| x.reference == t.reference)
                    {
                        return Err(R::ExistsWithDifferent(format!("top-up {}", t.reference)));
                    }
                    self.own_fund(&t.fund, signer)?;
                    transfers.push(Transfer::eur(
                        topup_transfer(&t.reference),
                        bank_account(&t.fund),
                        fund_account(&t.fund),
                        Cents(t.cents),
                        0,
                    ));
                    fresh_topups.push(t);
                }
                for t in &fresh_topups {
                    if !self.accounts.contains(&bank_account(&t.fund)) {
                        self.own_account(book, Account::eur(bank_account(&t.fund), 0), ts)?;
                    }
                }
                book_ok(book.create_transfers(&transfers, ts))?;
                created += fresh_topups.len();
                let fresh: Vec<TopUp> = fresh_topups.into_iter().cloned().collect();
                for t in fresh {
                    self.topups.insert(
                        t.reference,
                        TopUpState {
                            fund: t.fund,
                            cents: t.cents,
                            date: t.date,
                        },
                    );
                }
                for l in paid {
                    if let Some(line) = self
                        .payouts
                        .get_mut(&l.payout)
                        .and_then(|p| p.lines.iter_mut().find(|x| x.merchant == l.merchant))
                    {
                        line.paid.get_or_insert(l.date);
                    }
                }
                Ok(if created > 0 {
                    Outcome {
                        created,
                        existing: 0,
                    }
                } else {
                    EXISTING
                })
            }
            KindpakketCommand::Refund {
                refund,
                spend,
                cents,
                date,
            } => {
                if refund.is_empty() {
                    return Err(R::EmptyId);
                }
                if let Some(r) = self.refunds.get(&refund) {
                    return if (&r.spend, r.cents, r.date) == (&spend, cents, date) {
                        Ok(EXISTING)
                    } else {
                        Err(R::ExistsWithDifferent(format!("refund {refund}")))
                    };
                }
                amount(cents)?;
                let s = self
                    .spends
                    .get(&spend)
                    .ok_or_else(|| R::Unknown(format!("spend {spend}")))?;
                if kind == OrgKind::Merchant && s.merchant != *signer {
                    return Err(R::NotYourSpend);
                }
                let fund = self
                    .vouchers
                    .get(&s.voucher)
                    .map(|v| v.fund.clone())
                    .unwrap_or_default();
                if kind != OrgKind::Merchant {
                    let owner = self.funds.get(&fund).map(|f| f.owner.clone());
                    if owner.as_ref() != Some(signer) {
                        return Err(R::NotYourFund(
                            owner.map(|o| o.to_string()).unwrap_or_default(),
                        ));
                    }
                }
                // On or after the purchase, and not after the day the entry is made (a refund
                // dated later would never come off a payout).
                let entry_day = jiff::Timestamp::from_millisecond(ts as i64)
                    .map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).date())
                    .unwrap_or(date);
                if date < s.date || date > entry_day.tomorrow().unwrap_or(entry_day) {
                    return Err(R::RefundDate(s.date));
                }
                let done = self.refunded.get(&spend).copied().unwrap_or(0);
                let left = if s.cancelled { 0 } else { s.cents - done };
                if cents > left {
                    return Err(R::OverRefund { left });
                }
                // The money goes to the voucher that holds the child's budget now: the spend's,
                // or the one that replaced it when it was blocked.
                let mut voucher = s.voucher.clone();
                while let Some(next) = self
                    .vouchers
                    .get(&voucher)
                    .and_then(|v| v.replaced_by.clone())
                {
                    voucher = next;
                }
                let merchant = s.merchant.clone();
                book_ok(book.create_transfers(
                    &[Transfer::eur(
                        refund_transfer(&refund),
                        merchant_account(&fund, merchant.as_str()),
                        voucher_account(&voucher),
                        Cents(cents),
                        0,
                    )],
                    ts,
                ))?;
                *self.refunded.entry(spend.clone()).or_default() += cents;
                self.unpaid
                    .entry(merchant_account(&fund, merchant.as_str()))
                    .or_default()
                    .push(Unpaid {
                        id: refund.clone(),
                        cents: -cents,
                        date,
                    });
                self.refunds.insert(
                    refund,
                    RefundState {
                        spend,
                        voucher,
                        cents,
                        date,
                        index,
                    },
                );
                Ok(CREATED)
            }
        }
    }

    /// Refuses plain book accounts or transfers that touch an account the Kindpakket owns (free
    /// when there is none, as on a ledger without the Kindpakket).
    pub(crate) fn guard(
        &self,
        accounts: &[Account],
        transfers: &[Transfer],
    ) -> Result<(), StateError> {
        if self.accounts.is_empty() {
            return Ok(());
        }
        let ids = accounts.iter().map(|a| a.id).chain(
            transfers
                .iter()
                .flat_map(|t| [t.debit_account_id, t.credit_account_id]),
        );
        for id in ids {
            if self.accounts.contains(&id) {
                return Err(StateError::Kindpakket {
                    what: "book".into(),
                    rejection: KindpakketRejection::Reserved(id),
                });
            }
        }
        Ok(())
    }

    /// Creates an account the Kindpakket will own; one that exists already (made by a plain
    /// command before) is refused, so no one holds a head start on its money.
    fn own_account(
        &mut self,
        book: &mut Book,
        account: Account,
        ts: u64,
    ) -> Result<(), KindpakketRejection> {
        if book.account(account.id).is_some() {
            return Err(KindpakketRejection::Reserved(account.id));
        }
        book_ok(book.create_accounts(&[account], ts))?;
        self.accounts.insert(account.id);
        self.fresh.push(account.id);
        Ok(())
    }

    fn own_fund(
        &mut self,
        fund: &str,
        signer: &OrgName,
    ) -> Result<&mut FundState, KindpakketRejection> {
        let f = self
            .funds
            .get_mut(fund)
            .ok_or_else(|| KindpakketRejection::Unknown(format!("fund {fund}")))?;
        if f.owner != *signer {
            return Err(KindpakketRejection::NotYourFund(f.owner.to_string()));
        }
        Ok(f)
    }

    /// Feeds every field into `h` (balances are the book's, digested there).
    pub(crate) fn digest_into(&self, h: &mut Sha256) {
        let Kindpakket {
            funds,
            vouchers,
            spends,
            payees,
            payouts,
            refunds,
            topups,
            unpaid: _,
            paid_in: _,
            by_voucher: _,
            refunded: _,
            accounts: _,
            fresh: _,
        } = self;
        h.update((funds.len() as u64).to_be_bytes());
        for (id, f) in funds {
            let FundState {
                owner,
                child_cents,
                from,
                until,
                categories,
                cap_cents,
                status,
                merchants,
            } = f;
            text(h, id);
            text(h, owner.as_str());
            h.update(child_cents.to_be_bytes());
            text(h, &from.to_string());
            text(h, &until.to_string());
            h.update(categories.to_be_bytes());
            h.update(cap_cents.to_be_bytes());
            h.update([*status as u8]);
            h.update((merchants.len() as u64).to_be_bytes());
            for (m, c) in merchants {
                text(h, m.as_str());
                h.update(c.to_be_bytes());
            }
        }
        h.update((vouchers.len() as u64).to_be_bytes());
        for (id, v) in vouchers {
            let VoucherState {
                fund,
                household,
                blocked,
                replaced_by,
            } = v;
            text(h, id);
            text(h, fund);
            h.update(household.0.to_be_bytes());
            h.update([u8::from(*blocked)]);
            text(h, replaced_by.as_deref().unwrap_or_default());
        }
        h.update((spends.len() as u64).to_be_bytes());
        for (id, s) in spends {
            let SpendState {
                voucher,
                merchant,
                category,
                cents,
                date,
                index,
                cancelled,
            } = s;
            text(h, id);
            h.update([u8::from(*cancelled)]);
            text(h, voucher);
            text(h, merchant.as_str());
            h.update([*category as u8]);
            h.update(cents.to_be_bytes());
            text(h, &date.to_string());
            h.update(index.to_be_bytes());
        }
        // Payouts came later (2026-12-07): a ledger without them digests as it did before.
        if payees.is_empty() && payouts.is_empty() && refunds.is_empty() && topups.is_empty() {
            return;
        }
        text(h, "kindpakket/payouts/v1");
        h.update((payees.len() as u64).to_be_bytes());
        for ((fund, merchant), Payee { iban, name }) in payees {
            text(h, fund);
            text(h, merchant.as_str());
            text(h, iban);
            text(h, name);
        }
        h.update((payouts.len() as u64).to_be_bytes());
        for (id, p) in payouts {
            let PayoutState {
                fund,
                until,
                execution,
                from_iban,
                created_by,
                created_ms,
                lines,
                approvals,
                index,
            } = p;
            text(h, id);
            text(h, fund);
            text(h, &until.to_string());
            text(h, &execution.to_string());
            text(h, from_iban);
            text(h, created_by);
            h.update(created_ms.to_be_bytes());
            h.update(index.to_be_bytes());
            h.update((lines.len() as u64).to_be_bytes());
            for l in lines {
                let PayoutLine {
                    merchant,
                    payee,
                    cents,
                    spends,
                    refunds,
                    paid,
                } = l;
                text(h, merchant.as_str());
                text(h, &payee.iban);
                text(h, &payee.name);
                h.update(cents.to_be_bytes());
                h.update((spends.len() as u64).to_be_bytes());
                for x in spends {
                    text(h, x);
                }
                h.update((refunds.len() as u64).to_be_bytes());
                for x in refunds {
                    text(h, x);
                }
                text(h, &paid.map(|d| d.to_string()).unwrap_or_default());
            }
            h.update((approvals.len() as u64).to_be_bytes());
            for (by, ms) in approvals {
                text(h, by);
                h.update(ms.to_be_bytes());
            }
        }
        h.update((refunds.len() as u64).to_be_bytes());
        for (id, r) in refunds {
            let RefundState {
                spend,
                voucher,
                cents,
                date,
                index,
            } = r;
            text(h, id);
            text(h, spend);
            text(h, voucher);
            h.update(cents.to_be_bytes());
            text(h, &date.to_string());
            h.update(index.to_be_bytes());
        }
        h.update((topups.len() as u64).to_be_bytes());
        for (reference, TopUpState { fund, cents, date }) in topups {
            text(h, reference);
            text(h, fund);
            h.update(cents.to_be_bytes());
            text(h, &date.to_string());
        }
    }
}

fn book_ok(results: Vec<knop_book::EventResult>) -> Result<(), KindpakketRejection> {
    for r in results {
        if let Err(e) = r {
            return Err(KindpakketRejection::Book(e.to_string()));
        }
    }
    Ok(())
}

fn read_org(r: &mut Reader<'_>, field: &'static str) -> Result<OrgName, DecodeError> {
    let at = r.offset();
    let name = r.str(field, ORG_NAME_BYTES_MAX)?;
    OrgName::parse(name).map_err(|e| DecodeError {
        offset: at,
        field,
        expected: e.to_string(),
    })
}

impl KindpakketCommand {
    pub(crate) fn encode(&self, w: &mut Writer) {
        match self {
            KindpakketCommand::OpenFund {
                fund,
                child_cents,
                from,
                until,
                categories,
                cap_cents,
            } => {
                w.u8(1);
                w.str(fund);
                w.i64(*child_cents);
                date(w, *from);
                date(w, *until);
                w.u16(*categories);
                w.i64(*cap_cents);
            }
            KindpakketCommand::SetStatus { fund, status } => {
                w.u8(2);
                w.str(fund);
                w.u8(*status as u8);
            }
            KindpakketCommand::AcceptMerchant {
                fund,
                merchant,
                categories,
            } => {
                w.u8(3);
                w.str(fund);
                w.str(merchant.as_str());
                w.u16(*categories);
            }
            KindpakketCommand::IssueVoucher {
                voucher,
                fund,
                household,
            } => {
                w.u8(4);
                w.str(voucher);
                w.str(fund);
                w.u128(household.0);
            }
            KindpakketCommand::Spend {
                spend,
                voucher,
                merchant,
                category,
                cents,
                date: d,
            } => {
                w.u8(5);
                w.str(spend);
                w.str(voucher);
                w.str(merchant.as_str());
                w.u8(*category as u8);
                w.i64(*cents);
                date(w, *d);
            }
            KindpakketCommand::CancelSpend { spend, date: d } => {
                w.u8(6);
                w.str(spend);
                date(w, *d);
            }
            KindpakketCommand::BlockVoucher { voucher } => {
                w.u8(7);
                w.str(voucher);
            }
            KindpakketCommand::ReissueVoucher { voucher, new } => {
                w.u8(8);
                w.str(voucher);
                w.str(new);
            }
            KindpakketCommand::SetPayee {
                fund,
                merchant,
                iban,
                name,
            } => {
                w.u8(9);
                w.str(fund);
                w.str(merchant.as_str());
                w.str(iban);
                w.str(name);
            }
            KindpakketCommand::Payout {
                payout,
                fund,
                until,
                execution,
                from_iban,
                created_by,
            } => {
                w.u8(10);
                w.str(payout);
                w.str(fund);
                date(w, *until);
                date(w, *execution);
                w.str(from_iban);
                w.str(created_by);
            }
            KindpakketCommand::ApprovePayout { payout, by } => {
                w.u8(11);
                w.str(payout);
                w.str(by);
            }
            KindpakketCommand::Statement { paid, topups } => {
                w.u8(12);
                w.u32(paid.len() as u32);
                for l in paid {
                    w.str(&l.payout);
                    w.str(l.merchant.as_str());
                    date(w, l.date);
                }
                w.u32(topups.len() as u32);
                for t in topups {
                    w.str(&t.reference);
                    w.str(&t.fund);
                    w.i64(t.cents);
                    date(w, t.date);
                }
            }
            KindpakketCommand::Refund {
                refund,
                spend,
                cents,
                date: d,
            } => {
                w.u8(13);
                w.str(refund);
                w.str(spend);
                w.i64(*cents);
                date(w, *d);
            }
        }
    }

    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let tag = r.u8("kindpakket.command")?;
        let id = |r: &mut Reader<'_>, f| r.str(f, KP_ID_BYTES_MAX).map(str::to_owned);
        Ok(match tag {
            1 => KindpakketCommand::OpenFund {
                fund: id(r, "kindpakket.fund")?,
                child_cents: r.i64("kindpakket.child_cents")?,
                from: read_date(r, "kindpakket.from")?,
                until: read_date(r, "kindpakket.until")?,
                categories: r.u16("kindpakket.categories")?,
                cap_cents: r.i64("kindpakket.cap_cents")?,
            },
            2 => {
                let fund = id(r, "kindpakket.fund")?;
                let code = r.u8("kindpakket.status")?;
                let status = FundStatus::from_code(code).ok_or_else(|| {
                    r.error(
                        "kindpakket.status",
                        format!("1 (active), 2 (paused) or 3 (closed), found {code}"),
                    )
                })?;
                KindpakketCommand::SetStatus { fund, status }
            }
            3 => KindpakketCommand::AcceptMerchant {
                fund: id(r, "kindpakket.fund")?,
                merchant: read_org(r, "kindpakket.merchant")?,
                categories: r.u16("kindpakket.categories")?,
            },
            4 => KindpakketCommand::IssueVoucher {
                voucher: id(r, "kindpakket.voucher")?,
                fund: id(r, "kindpakket.fund")?,
                household: HouseholdId(r.u128("kindpakket.household")?),
            },
            5 => {
                let spend = id(r, "kindpakket.spend")?;
                let voucher = id(r, "kindpakket.voucher")?;
                let merchant = read_org(r, "kindpakket.merchant")?;
                let code = r.u8("kindpakket.category")?;
                let category = Category::ALL
                    .into_iter()
                    .find(|c| *c as u8 == code)
                    .ok_or_else(|| {
                        r.error(
                            "kindpakket.category",
                            format!("a category bit, found {code}"),
                        )
                    })?;
                KindpakketCommand::Spend {
                    spend,
                    voucher,
                    merchant,
                    category,
                    cents: r.i64("kindpakket.cents")?,
                    date: read_date(r, "kindpakket.date")?,
                }
            }
            6 => KindpakketCommand::CancelSpend {
                spend: id(r, "kindpakket.spend")?,
                date: read_date(r, "kindpakket.date")?,
            },
            7 => KindpakketCommand::BlockVoucher {
                voucher: id(r, "kindpakket.voucher")?,
            },
            8 => KindpakketCommand::ReissueVoucher {
                voucher: id(r, "kindpakket.voucher")?,
                new: id(r, "kindpakket.new")?,
            },
            9 => KindpakketCommand::SetPayee {
                fund: id(r, "kindpakket.fund")?,
                merchant: read_org(r, "kindpakket.merchant")?,
                iban: r.str("kindpakket.iban", 34)?.to_owned(),
                name: r.str("kindpakket.name", PAYEE_NAME_BYTES_MAX)?.to_owned(),
            },
            10 => KindpakketCommand::Payout {
                payout: id(r, "kindpakket.payout")?,
                fund: id(r, "kindpakket.fund")?,
                until: read_date(r, "kindpakket.until")?,
                execution: read_date(r, "kindpakket.execution")?,
                from_iban: r.str("kindpakket.from_iban", 34)?.to_owned(),
                created_by: r
                    .str("kindpakket.created_by", crate::PERSON_BYTES_MAX)?
                    .to_owned(),
            },
            11 => KindpakketCommand::ApprovePayout {
                payout: id(r, "kindpakket.payout")?,
                by: r.str("kindpakket.by", crate::PERSON_BYTES_MAX)?.to_owned(),
            },
            12 => {
                let n = r.u32("kindpakket.paid")? as usize;
                if n > STATEMENT_ITEMS_MAX {
                    return Err(r.error(
                        "kindpakket.paid",
                        format!("at most {STATEMENT_ITEMS_MAX} lines, found {n}"),
                    ));
                }
                let mut paid = Vec::with_capacity(n);
                for _ in 0..n {
                    paid.push(PaidLine {
                        payout: id(r, "kindpakket.payout")?,
                        merchant: read_org(r, "kindpakket.merchant")?,
                        date: read_date(r, "kindpakket.date")?,
                    });
                }
                let m = r.u32("kindpakket.topups")? as usize;
                if m > STATEMENT_ITEMS_MAX {
                    return Err(r.error(
                        "kindpakket.topups",
                        format!("at most {STATEMENT_ITEMS_MAX} top-ups, found {m}"),
                    ));
                }
                let mut topups = Vec::with_capacity(m);
                for _ in 0..m {
                    topups.push(TopUp {
                        reference: id(r, "kindpakket.reference")?,
                        fund: id(r, "kindpakket.fund")?,
                        cents: r.i64("kindpakket.cents")?,
                        date: read_date(r, "kindpakket.date")?,
                    });
                }
                KindpakketCommand::Statement { paid, topups }
            }
            13 => KindpakketCommand::Refund {
                refund: id(r, "kindpakket.refund")?,
                spend: id(r, "kindpakket.spend")?,
                cents: r.i64("kindpakket.cents")?,
                date: read_date(r, "kindpakket.date")?,
            },
            other => {
                return Err(r.error(
                    "kindpakket.command",
                    format!("a Kindpakket command 1-13, found {other}"),
                ))
            }
        })
    }
}
