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

/// The Kindpakket's share of the state.
#[derive(Debug, Default, Clone)]
pub struct Kindpakket {
    pub(crate) funds: BTreeMap<String, FundState>,
    pub(crate) vouchers: BTreeMap<String, VoucherState>,
    pub(crate) spends: BTreeMap<String, SpendState>,
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

/// The fund's account in the book (vouchers are paid from it).
pub fn fund_account(fund: &str) -> u128 {
    id_of(&[b"knop/kindpakket/fund", fund.as_bytes()])
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
                KindpakketCommand::Spend { .. } | KindpakketCommand::CancelSpend { .. }
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
                let results = book.create_transfers(
                    &[Transfer::eur(
                        spend_transfer(&spend),
                        voucher_account(&voucher),
                        merchant_account(&v.fund, merchant.as_str()),
                        Cents(cents),
                        0,
                    )],
                    ts,
                );
                if let Some(Err(Rejection::ExceedsCredits { available, .. })) = results.first() {
                    return Err(R::InsufficientBudget { left: available.0 });
                }
                book_ok(results)?;
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
                if let Some(s) = self.spends.get_mut(&spend) {
                    s.cancelled = true;
                }
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
            other => {
                return Err(r.error(
                    "kindpakket.command",
                    format!("a Kindpakket command 1-8, found {other}"),
                ))
            }
        })
    }
}
