//! From a camt.053 statement to book transfers: what `knop bank import` submits.
//!
//! The foundation's real bank account is mirrored in the book by two accounts derived from its
//! IBAN: `bank` (the money at the bank, debit-normal) and `suspense` (received or paid but not yet
//! matched to a household; matching moves it on). Every booked entry becomes one transfer:
//! a credit on the statement debits `bank` and credits `suspense`; a debit does the reverse. The
//! first import of an account also books the statement's opening balance against `opening`.
//!
//! Idempotency: a transfer's id is derived from the IBAN and the bank's own reference for the
//! entry (`AcctSvcrRef`, stable when a bank re-sends a file), or, without one, from the statement
//! id and the entry's position, amount and date. Importing the same file twice therefore finds
//! every transfer already there; a different entry under a reused reference is refused by the
//! book (`ExistsWithDifferent`), never booked twice.

use knop_book::{Account, Cents, Transfer};
use sha2::{Digest, Sha256};

use crate::HouseholdId;
use knop_bank::camt053::File;
use knop_bank::BankError;

/// Book account codes for the foundation's bank mirror.
pub mod code {
    /// The money at the bank.
    pub const BANK: u16 = 100;
    /// Received or paid, not yet matched to a household.
    pub const SUSPENSE: u16 = 200;
    /// Opening balances taken over from the bank.
    pub const OPENING: u16 = 900;
    /// Money the foundation holds for one household.
    pub const HOUSEHOLD: u16 = 300;
    /// What the foundation advanced to one household and is owed back.
    pub const ADVANCE: u16 = 310;
    /// The foundation's own: interest its bank account earned (credit-normal).
    pub const INTEREST: u16 = 400;
    /// The foundation's own: what its bank charged (debit-normal).
    pub const BANK_COSTS: u16 = 410;
}

/// Transfer codes used by imports.
pub mod why {
    /// A statement entry.
    pub const STATEMENT_ENTRY: u16 = 1001;
    /// The opening balance of the first imported statement.
    pub const OPENING_BALANCE: u16 = 1000;
    /// A statement line matched to a household (out of suspense).
    pub const MATCHED: u16 = 1002;
    /// A payment ordered in a payment run.
    pub const PAYMENT: u16 = 1003;
    /// An advance to a household whose income is late.
    pub const ADVANCE: u16 = 1004;
    /// A repayment of an advance from income.
    pub const REPAYMENT: u16 = 1005;
    /// A payment of a run that the payee's bank sent back, booked to the household again.
    pub const PAYMENT_RETURNED: u16 = 1006;
    /// A statement line that is the foundation's own (interest, bank costs), out of suspense.
    pub const FOUNDATION_OWN: u16 = 1007;
}

/// What a statement line that belongs to no household is, to the foundation itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum OwnPurpose {
    /// Interest the foundation's account earned (or, negative interest, paid).
    Interest,
    /// What the bank charged for the account and its payments.
    BankCosts,
}

impl OwnPurpose {
    /// Every purpose, in the order a person is offered them.
    pub const ALL: [OwnPurpose; 2] = [OwnPurpose::Interest, OwnPurpose::BankCosts];

    /// The account code in the chart of accounts.
    pub fn code(self) -> u16 {
        match self {
            OwnPurpose::Interest => code::INTEREST,
            OwnPurpose::BankCosts => code::BANK_COSTS,
        }
    }

    /// The name of the purpose in the API (`interest`, `bank_costs`).
    pub fn name(self) -> &'static str {
        match self {
            OwnPurpose::Interest => "interest",
            OwnPurpose::BankCosts => "bank_costs",
        }
    }

    /// What the bank's transaction code (ISO 20022 `BkTxCd`, as `Domn/Fmly/SubFmly`, e.g.
    /// `ACMT/MDOP/CHRG`, or a proprietary code) says the line is, when it says it: the external
    /// code set's sub-family `INTR` is interest, `CHRG` (and `FEES`, `COMM`) are charges.
    pub fn from_bank_code(code: &str) -> Option<OwnPurpose> {
        let sub = code.rsplit('/').next().unwrap_or(code).trim();
        match sub.to_ascii_uppercase().as_str() {
            "INTR" => Some(OwnPurpose::Interest),
            "CHRG" | "FEES" | "COMM" => Some(OwnPurpose::BankCosts),
            _ => None,
        }
    }
}

/// A 128-bit id derived from a domain label and parts (never 0 or all ones).
pub fn derive_id(domain: &str, parts: &[&[u8]]) -> u128 {
    let mut h = Sha256::new();
    h.update(b"knop/id/v1\0");
    h.update(domain.as_bytes());
    for p in parts {
        h.update((p.len() as u64).to_be_bytes());
        h.update(p);
    }
    let d = h.finalize();
    let id = u128::from_be_bytes(d[..16].try_into().expect("16 bytes"));
    id.clamp(1, u128::MAX - 1)
}

/// The book accounts mirroring one bank account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mirror {
    /// The money at the bank.
    pub bank: u128,
    /// Not yet matched.
    pub suspense: u128,
    /// Opening balances.
    pub opening: u128,
}

impl Mirror {
    /// The mirror of `iban` (electronic format).
    pub fn of(iban: &str) -> Self {
        Self {
            bank: derive_id("bank", &[iban.as_bytes()]),
            suspense: derive_id("suspense", &[iban.as_bytes()]),
            opening: derive_id("opening", &[iban.as_bytes()]),
        }
    }

    /// The foundation's own account for `purpose`, beside this bank account.
    pub fn own_account(&self, purpose: OwnPurpose) -> Account {
        Account {
            code: purpose.code(),
            ..Account::eur(derive_id(purpose.name(), &[&self.bank.to_be_bytes()]), 0)
        }
    }

    /// The three accounts to create (creating them again is a no-op).
    pub fn accounts(&self) -> Vec<Account> {
        vec![
            Account {
                code: code::BANK,
                ..Account::eur(self.bank, 0)
            },
            Account {
                code: code::SUSPENSE,
                ..Account::eur(self.suspense, 0)
            },
            Account {
                code: code::OPENING,
                ..Account::eur(self.opening, 0)
            },
        ]
    }
}

/// What importing one file books.
#[derive(Debug, Clone)]
pub struct ImportPlan {
    /// The mirror accounts.
    pub mirror: Mirror,
    /// The opening-balance transfer (only for the account's first import; decided by the caller).
    pub opening: Option<Transfer>,
    /// One transfer per booked entry, in file order.
    pub transfers: Vec<Transfer>,
    /// For each transfer, the (statement, entry) position it comes from in the file, in file
    /// order (so sorted).
    pub lines: Vec<(usize, usize)>,
    /// The closing booked balance of the file's last statement, signed cents, if given.
    pub closing_cents: Option<i64>,
    /// Entries not booked (pending or information only), as warnings.
    pub skipped: Vec<String>,
    /// What the reader noticed in the file (`File::warnings`): booked as the file says.
    pub warnings: Vec<String>,
}

/// Plans the import of `file` into the mirror of `foundation_iban`. Every statement must be for
/// that account and in EUR; otherwise nothing is planned.
pub fn plan_import(file: &File, foundation_iban: &str) -> Result<ImportPlan, BankError> {
    let iban = foundation_iban.replace(' ', "").to_uppercase();
    let mirror = Mirror::of(&iban);
    let mut transfers = Vec::new();
    let mut lines = Vec::new();
    let mut skipped = Vec::new();
    let mut opening = None;
    // The ids of the entries booked so far under the bank's reference: one reference is one
    // entry, so a second line under it is the same entry listed again and is booked once.
    let mut references: std::collections::HashSet<u128, foldhash::fast::RandomState> =
        std::collections::HashSet::with_capacity_and_hasher(
            file.statements.iter().map(|s| s.entries.len()).sum(),
            foldhash::fast::RandomState::default(),
        );
    for (si, s) in file.statements.iter().enumerate() {
        // IBANs are compared as ISO 13616 reads them: without spaces, letters in any case.
        if !s
            .account
            .as_deref()
            .is_some_and(|a| a.eq_ignore_ascii_case(&iban))
        {
            return Err(BankError::Field {
                line: s.line,
                field: "Stmt/Acct/Id/IBAN".into(),
                why: format!(
                    "statement {} is for account {}, not the foundation's account {iban}",
                    s.id,
                    s.account.as_deref().unwrap_or("(none)")
                ),
            });
        }
        // The booked balances are the account's, in its currency; an available balance (`CLAV`,
        // ...) is the bank's information and not used.
        for b in [s.opening(), s.balance("CLBD")].into_iter().flatten() {
            let what = format!("balance {}", b.code);
            euro_only(&b.currency, b.line, "Stmt/Bal/Amt", &what)?;
        }
        if si == 0 {
            if let Some(b) = s.opening() {
                opening = Some(opening_transfer(&mirror, &iban, b.cents));
            }
        }
        for (ei, e) in s.entries.iter().enumerate() {
            euro_only(&e.currency, e.line, "Stmt/Ntry/Amt", "entry")?;
            if e.status != "BOOK" {
                skipped.push(format!(
                    "line {}: entry with status {} not booked",
                    e.line, e.status
                ));
                continue;
            }
            if e.cents == 0 {
                skipped.push(format!("line {}: zero amount not booked", e.line));
                continue;
            }
            let id = match &e.servicer_reference {
                Some(r) => {
                    let id = derive_id("statement-entry", &[iban.as_bytes(), r.as_bytes()]);
                    if !references.insert(id) {
                        // Rare: the first line under this reference is looked for again.
                        let first = file
                            .statements
                            .iter()
                            .flat_map(|s| &s.entries)
                            .find(|x| x.servicer_reference.as_ref() == Some(r))
                            .map_or(e.line, |x| x.line);
                        skipped.push(format!(
                            "line {}: the bank's reference {r} is that of line {first} too; booked once",
                            e.line
                        ));
                        continue;
                    }
                    id
                }
                None => derive_id(
                    "statement-entry",
                    &[
                        iban.as_bytes(),
                        s.id.as_bytes(),
                        &(ei as u64).to_be_bytes(),
                        &e.cents.to_be_bytes(),
                        e.booking_date.as_deref().unwrap_or("").as_bytes(),
                    ],
                ),
            };
            let (dr, cr) = if e.cents > 0 {
                (mirror.bank, mirror.suspense)
            } else {
                (mirror.suspense, mirror.bank)
            };
            let detail = e.details.first();
            let user_data = derive_id(
                "entry-details",
                &[
                    detail
                        .and_then(|d| d.end_to_end_id.as_deref())
                        .unwrap_or("")
                        .as_bytes(),
                    detail
                        .and_then(|d| d.mandate_id.as_deref())
                        .unwrap_or("")
                        .as_bytes(),
                ],
            );
            lines.push((si, ei));
            transfers.push(Transfer {
                code: why::STATEMENT_ENTRY,
                user_data,
                ..Transfer::eur(id, dr, cr, Cents(e.cents.abs()), 0)
            });
        }
    }
    let closing_cents = file
        .statements
        .last()
        .and_then(|s| s.balance("CLBD"))
        .map(|b| b.cents);
    Ok(ImportPlan {
        mirror,
        opening,
        transfers,
        closing_cents,
        skipped,
        warnings: file.warnings.clone(),
        lines,
    })
}

/// An error naming `what` at `line` unless `currency` is the euro, the only currency the
/// foundation's account books.
fn euro_only(currency: &str, line: usize, field: &str, what: &str) -> Result<(), BankError> {
    if currency == "EUR" {
        return Ok(());
    }
    Err(BankError::Field {
        line,
        field: field.into(),
        why: format!("{what} in {currency}, the foundation's account books EUR only"),
    })
}

fn opening_transfer(m: &Mirror, iban: &str, cents: i64) -> Transfer {
    let id = derive_id("opening-balance", &[iban.as_bytes()]);
    let (dr, cr) = if cents >= 0 {
        (m.bank, m.opening)
    } else {
        (m.opening, m.bank)
    };
    // A zero opening balance still books nothing: the transfer is dropped by the caller.
    Transfer {
        code: why::OPENING_BALANCE,
        ..Transfer::eur(id, dr, cr, Cents(cents.abs()), 0)
    }
}

/// The book account holding the money of `household` at the foundation.
pub fn household_account(household: HouseholdId) -> Account {
    Account {
        code: code::HOUSEHOLD,
        user_data: household.get(),
        ..Account::eur(derive_id("household", &[&household.get().to_be_bytes()]), 0)
    }
}

/// The transfer that moves an imported statement line out of suspense to `household`: money in
/// goes from suspense to the household, money out is charged to the household. Its id derives
/// from the import transfer, so a line is matched to at most one household, once.
pub fn match_transfer(imported: &Transfer, mirror: &Mirror, household: HouseholdId) -> Transfer {
    let account = household_account(household).id;
    let income = imported.debit_account_id == mirror.bank;
    let (dr, cr) = if income {
        (mirror.suspense, account)
    } else {
        (account, mirror.suspense)
    };
    let id = matched_id(imported.id);
    Transfer {
        code: why::MATCHED,
        user_data: household.get(),
        ..Transfer::eur(id, dr, cr, imported.amount, 0)
    }
}

/// The transfer that moves an imported statement line out of suspense to the foundation's own
/// account for `purpose`: money in (interest) from suspense to it, money out (costs) charged
/// to it. Its id is the one a household's match would have ([`matched_id`]), so a line goes to
/// a household or to the foundation, never both, and once.
pub fn own_transfer(imported: &Transfer, mirror: &Mirror, purpose: OwnPurpose) -> Transfer {
    let account = mirror.own_account(purpose).id;
    let income = imported.debit_account_id == mirror.bank;
    let (dr, cr) = if income {
        (mirror.suspense, account)
    } else {
        (account, mirror.suspense)
    };
    Transfer {
        code: why::FOUNDATION_OWN,
        user_data: u128::from(purpose.code()),
        ..Transfer::eur(matched_id(imported.id), dr, cr, imported.amount, 0)
    }
}

/// The id of the transfer that moves the imported line `imported_id` out of suspense.
pub fn matched_id(imported_id: u128) -> u128 {
    derive_id("matched", &[&imported_id.to_be_bytes()])
}

/// The id of the transfer that posts the reservation of the payment with this EndToEndId.
pub fn payment_posted_id(end_to_end_id: &str) -> u128 {
    derive_id("payment-posted", &[end_to_end_id.as_bytes()])
}

/// The id of the transfer that books the return of knop's payment with this EndToEndId (the
/// payee's bank sent it back after it was paid) to its household.
pub fn payment_returned_id(end_to_end_id: &str) -> u128 {
    derive_id("payment-returned", &[end_to_end_id.as_bytes()])
}

/// The imported credit line `imported` that returns knop's payment `end_to_end_id` to
/// `household`, moved out of suspense to its account like other money in, but recorded as the
/// return of that payment: its id names the payment, so it is booked once and a run can tell the
/// payment must be made again.
pub fn payment_return(
    imported: &Transfer,
    mirror: &Mirror,
    household: HouseholdId,
    end_to_end_id: &str,
) -> Transfer {
    Transfer {
        code: why::PAYMENT_RETURNED,
        user_data: household.get(),
        ..Transfer::eur(
            payment_returned_id(end_to_end_id),
            mirror.suspense,
            household_account(household).id,
            imported.amount,
            0,
        )
    }
}

/// The id of the pending transfer that reserves knop's payment with this EndToEndId.
pub fn payment_id(end_to_end_id: &str) -> u128 {
    derive_id("payment", &[end_to_end_id.as_bytes()])
}

/// A payment run's order as a pending transfer: the amount is reserved on the household's
/// account (and shows as pending) until the bank statement posts it.
pub fn payment_pending(
    household: HouseholdId,
    mirror: &Mirror,
    end_to_end_id: &str,
    cents: i64,
) -> Transfer {
    let account = household_account(household).id;
    Transfer {
        code: why::PAYMENT,
        user_data: household.get(),
        ..Transfer::eur(
            payment_id(end_to_end_id),
            account,
            mirror.suspense,
            knop_book::Cents(cents),
            knop_book::TransferFlags::PENDING,
        )
    }
}

/// Posts the pending payment in full when the statement line `line` (the id of its imported
/// transfer) shows it left the bank. The posting records the line in its `user_data`: a second
/// line carrying the same EndToEndId (the bank paid twice) is then not taken as settled by it,
/// and posting again from another line is refused by the book instead of passing as done.
pub fn payment_post(end_to_end_id: &str, line: u128) -> Transfer {
    Transfer {
        user_data: line,
        ..payment_resolution(
            payment_posted_id(end_to_end_id),
            end_to_end_id,
            knop_book::TransferFlags::POST_PENDING,
        )
    }
}

/// The statement line (the id of its imported transfer) that posted the payment with this
/// EndToEndId, if it is posted.
pub fn posting_line(book: &knop_book::Book, end_to_end_id: &str) -> Option<u128> {
    book.transfer(payment_posted_id(end_to_end_id))
        .map(|p| p.transfer.user_data)
}

/// Whether the payment with this EndToEndId was posted by the statement line `line`.
pub fn posted_by(book: &knop_book::Book, end_to_end_id: &str, line: u128) -> bool {
    posting_line(book, end_to_end_id) == Some(line)
}

/// Voids the reservation of the payment with this EndToEndId (the bank rejected it).
pub fn payment_void(end_to_end_id: &str) -> Transfer {
    payment_resolution(
        derive_id("payment-voided", &[end_to_end_id.as_bytes()]),
        end_to_end_id,
        knop_book::TransferFlags::VOID_PENDING,
    )
}

/// The post or void (`flag`) `id` of the payment's reservation, in full: accounts, amount,
/// currency and code are taken from the pending transfer.
fn payment_resolution(id: u128, end_to_end_id: &str, flag: u16) -> Transfer {
    Transfer {
        pending_id: payment_id(end_to_end_id),
        currency: 0,
        code: 0,
        ..Transfer::eur(id, 0, 0, knop_book::Cents(0), flag)
    }
}

/// The account recording what the foundation advanced to `household` and is still owed back
/// (debits: advances; credits: repayments).
pub fn advance_account(household: HouseholdId) -> Account {
    Account {
        code: code::ADVANCE,
        user_data: household.get(),
        ..Account::eur(derive_id("advance", &[&household.get().to_be_bytes()]), 0)
    }
}

/// An advance of `cents` to `household` for the payment run of `date` (one per household and run).
pub fn advance(household: HouseholdId, date: &str, cents: i64) -> Transfer {
    let id = derive_id(
        "advance-given",
        &[&household.get().to_be_bytes(), date.as_bytes()],
    );
    Transfer {
        code: why::ADVANCE,
        user_data: household.get(),
        ..Transfer::eur(
            id,
            advance_account(household).id,
            household_account(household).id,
            knop_book::Cents(cents),
            0,
        )
    }
}

/// Repays `cents` of `household`'s advance from income; `key` names the booking it comes from.
pub fn repayment(household: HouseholdId, key: u128, cents: i64) -> Transfer {
    let id = derive_id(
        "advance-repaid",
        &[&household.get().to_be_bytes(), &key.to_be_bytes()],
    );
    Transfer {
        code: why::REPAYMENT,
        user_data: household.get(),
        ..Transfer::eur(
            id,
            household_account(household).id,
            advance_account(household).id,
            knop_book::Cents(cents),
            0,
        )
    }
}

impl ImportPlan {
    /// The transfer that imports the line at `pos` (statement, entry), if that line is booked.
    /// `lines` are in file order, so sorted: the service looks lines up household by household
    /// in statements of tens of thousands of lines, where a scan per line was quadratic.
    pub fn imported_at(&self, pos: (usize, usize)) -> Option<&Transfer> {
        let i = self.lines.binary_search(&pos).ok()?;
        self.transfers.get(i)
    }

    /// What to submit to book this file: its entries, and the opening balance if this is the
    /// account's first import (its bank mirror exists and has no postings yet) or this same
    /// opening was booked before (so a retried file is recognised as the same). A later
    /// statement's opening balance is not booked: it follows from the entries before it.
    pub fn transfers_to_book(&self, book: &knop_book::Book) -> Vec<Transfer> {
        // A bank account not in the book yet is as fresh as an empty one: the import creates
        // it in the same entry as its lines.
        let fresh = book
            .account(self.mirror.bank)
            .is_none_or(|b| b.debits_posted.0 == 0 && b.credits_posted.0 == 0);
        let opening = self.opening.filter(|o| {
            o.amount.0 != 0 && (fresh || book.transfer(o.id).is_some_and(|b| b.transfer == *o))
        });
        opening
            .into_iter()
            .chain(self.transfers.iter().copied())
            .collect()
    }

    /// The transfers that move the lines at `picked` (statement, entry) out of suspense to
    /// `household`. A line whose EndToEndId is in `own_payments` and has a reservation on the
    /// ledger posts that reservation if it is money out, and is booked as its return
    /// ([`payment_return`]) if it is money in; any other line moves by [`match_transfer`].
    /// Fails with the first line that was not imported yet.
    pub fn matched_transfers(
        &self,
        book: &knop_book::Book,
        household: HouseholdId,
        picked: &[(usize, usize)],
        own_payments: &std::collections::HashMap<(usize, usize), String>,
        import: ImportIs,
    ) -> Result<Vec<Transfer>, NotImported> {
        let mut out = vec![];
        for pos in picked {
            let Some(&imported) = self.imported_at(*pos) else {
                continue;
            };
            if import == ImportIs::Booked && book.transfer(imported.id).is_none() {
                return Err(NotImported {
                    statement: pos.0,
                    entry: pos.1,
                });
            }
            let reserved = own_payments.get(pos).filter(|e2e| {
                book.transfer(payment_id(e2e))
                    .is_some_and(|p| p.status != knop_book::PendingStatus::None)
            });
            // Money out posts the reservation; money in under the same EndToEndId is the
            // payment coming back.
            let money_in = imported.debit_account_id == self.mirror.bank;
            out.push(match reserved {
                Some(e2e) if money_in => payment_return(&imported, &self.mirror, household, e2e),
                Some(e2e) => payment_post(e2e, imported.id),
                None => match_transfer(&imported, &self.mirror, household),
            });
        }
        Ok(out)
    }
}

/// Where a statement's import is when its matched lines are booked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportIs {
    /// In the book already: a line not imported is refused ([`NotImported`]).
    Booked,
    /// In the same entry, before the matched lines (an upload that imports and matches at once).
    InTheSameEntry,
}

/// Occurs when a line is matched before its statement was imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("statement {statement}, entry {entry} is not imported yet")]
pub struct NotImported {
    /// Position of the statement in the file.
    pub statement: usize,
    /// Position of the entry in the statement.
    pub entry: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_banks_transaction_code_names_interest_and_charges() {
        for (code, want) in [
            ("ACMT/MDOP/INTR", Some(OwnPurpose::Interest)),
            ("PMNT/MCOP/INTR", Some(OwnPurpose::Interest)),
            ("ACMT/MDOP/CHRG", Some(OwnPurpose::BankCosts)),
            ("acmt/mdop/fees", Some(OwnPurpose::BankCosts)),
            ("PMNT/RCDT/ESCT", None),
            ("", None),
        ] {
            assert_eq!(OwnPurpose::from_bank_code(code), want, "{code}");
        }
    }

    #[test]
    fn an_own_line_leaves_suspense_under_the_id_a_household_match_would_have() {
        let mirror = Mirror::of("NL91ABNA0417164300");
        let interest_in = Transfer::eur(7, mirror.bank, mirror.suspense, Cents(500), 0);
        let t = own_transfer(&interest_in, &mirror, OwnPurpose::Interest);
        assert_eq!(t.id, matched_id(7));
        assert_eq!(
            t.id,
            match_transfer(&interest_in, &mirror, HouseholdId(1)).id
        );
        assert_eq!(
            (t.debit_account_id, t.credit_account_id),
            (mirror.suspense, mirror.own_account(OwnPurpose::Interest).id)
        );
        let costs_out = Transfer::eur(8, mirror.suspense, mirror.bank, Cents(1250), 0);
        let t = own_transfer(&costs_out, &mirror, OwnPurpose::BankCosts);
        assert_eq!(
            (t.debit_account_id, t.credit_account_id),
            (
                mirror.own_account(OwnPurpose::BankCosts).id,
                mirror.suspense
            )
        );
        assert_eq!(t.amount, Cents(1250));
        // Each bank account has its own.
        assert_ne!(
            Mirror::of("NL02ABNA0123456789")
                .own_account(OwnPurpose::Interest)
                .id,
            mirror.own_account(OwnPurpose::Interest).id
        );
    }
}
