//! What the CLI and the service both do to the ledger: submit a command as an organisation,
//! import a bank statement. One implementation, so both answer the same.

use knop_bank::booking::plan_import;
use knop_ledger::entry::{OrgName, SignedEntry};
use knop_ledger::note::NoteKey;
use knop_node::{Node, NodeError};
use knop_state::{Command, Outcome, StateError};
use serde::Serialize;
use utoipa::ToSchema;

/// Why an operation did nothing.
#[derive(Debug, thiserror::Error)]
pub enum OpError {
    /// The input is wrong (a bank file that does not parse or is of another account).
    #[error(transparent)]
    Bank(#[from] knop_bank::BankError),
    /// The ledger refused the entry (a rule of the state).
    #[error("refused by the ledger: {0}")]
    Rejected(#[from] StateError),
    /// The node could not write (the service must be restarted to recover).
    #[error(transparent)]
    Node(#[from] NodeError),
    /// The lines are not in the book yet.
    #[error("{0}")]
    NotImported(String),
    /// Something in the service itself failed.
    #[error("{0}")]
    Internal(String),
}

/// Signs `cmd` as `key`'s organisation at `now_ms` (never before the log's last entry) and
/// submits it. The outer error is the node's, the inner the ledger's verdict.
pub fn submit(
    node: &mut Node,
    key: &NoteKey,
    now_ms: u64,
    cmd: &Command,
) -> Result<Result<(u64, Outcome), StateError>, NodeError> {
    let name = OrgName::parse(key.key_name()).map_err(StateError::Signature);
    let name = match name {
        Ok(n) => n,
        Err(e) => return Ok(Err(e)),
    };
    let ts = now_ms.max(node.state().last_timestamp_ms());
    let entry = SignedEntry::sign(name, ts, cmd.encode(), key.signing_key());
    let index = node.size();
    Ok(node.submit(&[entry])?.remove(0).map(|o| (index, o)))
}

/// What importing a camt.053 file did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportReport {
    /// The log index of the entry that booked the new lines, if any were new.
    pub entry: Option<u64>,
    /// Lines booked now.
    pub booked: usize,
    /// Lines that were booked by an earlier import of the same entries (skipped, not twice).
    pub already_imported: usize,
    /// Entries not booked (pending or information only), as warnings.
    pub skipped: Vec<String>,
    /// The foundation's bank balance in the book after the import, in cents.
    pub book_balance_cents: i64,
    /// The statement's closing booked balance, in cents, if the file gives one.
    pub closing_balance_cents: Option<i64>,
    /// Book minus statement, in cents; anything but 0 is a reconciliation alert.
    pub difference_cents: Option<i64>,
}

/// Imports a camt.053 file of `foundation_iban` into the book: all new lines in one entry, or
/// nothing. A file imported before books nothing new.
pub fn import_statement(
    node: &mut Node,
    key: &NoteKey,
    now_ms: u64,
    bytes: &[u8],
    foundation_iban: &str,
) -> Result<ImportReport, OpError> {
    let file = knop_bank::camt053::parse(bytes)?;
    let plan = plan_import(&file, foundation_iban)?;
    let m = plan.mirror;
    let book = node.state().book();
    if m.accounts()
        .iter()
        .any(|acc| book.account(acc.id).is_none())
    {
        submit(node, key, now_ms, &Command::CreateAccounts(m.accounts()))??;
    }
    let book = node.state().book();
    let transfers = plan.transfers_to_book(book);
    let new = transfers
        .iter()
        .filter(|tr| book.transfer(tr.id).is_none())
        .count();
    let mut entry = None;
    if new > 0 {
        entry = Some(
            submit(
                node,
                key,
                now_ms,
                &Command::CreateTransfers(transfers.clone()),
            )??
            .0,
        );
    }
    let balance = node
        .state()
        .book()
        .account(m.bank)
        .map_or(0, |bank| bank.debits_posted.0 - bank.credits_posted.0);
    Ok(ImportReport {
        entry,
        booked: new,
        already_imported: transfers.len() - new,
        skipped: plan.skipped,
        book_balance_cents: balance,
        closing_balance_cents: plan.closing_cents,
        difference_cents: plan.closing_cents.map(|c| balance - c),
    })
}

/// What booking matched lines to a household did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MatchReport {
    /// The household.
    pub household: String,
    /// Lines booked to it now.
    pub booked: usize,
    /// Lines that were booked to it before (nothing twice).
    pub already_booked: usize,
    /// What the income matched now repaid of an advance, in cents.
    pub advance_repaid_cents: i64,
    /// Its balance afterwards, in cents.
    pub balance_cents: i64,
}

/// Books the lines at `picked` (statement, entry) of an imported statement from suspense to
/// `household`, all or nothing, once; income matched now first repays an advance. `own` gives
/// the EndToEndIds of knop's own payments among them (posted instead of booked again).
#[allow(clippy::too_many_arguments)]
pub fn book_matched(
    node: &mut Node,
    key: &NoteKey,
    now_ms: u64,
    file: &knop_bank::camt053::File,
    foundation_iban: &str,
    household: u128,
    picked: &[(usize, usize)],
    own: &std::collections::HashMap<(usize, usize), String>,
) -> Result<MatchReport, OpError> {
    use knop_bank::booking::{advance_account, household_account, repayment};
    let plan = plan_import(file, foundation_iban)?;
    let transfers = plan
        .matched_transfers(node.state().book(), household, picked, own)
        .map_err(|_| {
            OpError::NotImported("import the statement first, then match its lines".into())
        })?;
    let account = household_account(household);
    if node.state().book().account(account.id).is_none() {
        submit(node, key, now_ms, &Command::CreateAccounts(vec![account]))??;
    }
    let book = node.state().book();
    let new = transfers
        .iter()
        .filter(|x| book.transfer(x.id).is_none())
        .count();
    let outstanding = book
        .account(advance_account(household).id)
        .map_or(0, |x| x.debits_posted.0 - x.credits_posted.0);
    let incoming: Vec<_> = transfers
        .iter()
        .filter(|x| x.credit_account_id == account.id && book.transfer(x.id).is_none())
        .collect();
    let income_now: i64 = incoming.iter().map(|x| x.amount.0).sum();
    let repaid = outstanding.min(income_now);
    let mut all = transfers.clone();
    if repaid > 0 {
        all.push(repayment(household, incoming[0].id, repaid));
    }
    if new > 0 {
        submit(node, key, now_ms, &Command::CreateTransfers(all))??;
    }
    Ok(MatchReport {
        household: household.to_string(),
        booked: new,
        already_booked: transfers.len() - new,
        advance_repaid_cents: if new > 0 { repaid } else { 0 },
        balance_cents: node
            .state()
            .book()
            .account(account.id)
            .map_or(0, |a| a.credit_balance().0),
    })
}
