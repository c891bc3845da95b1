//! What the CLI and the service both do to the ledger: submit a command as an organisation,
//! import a bank statement. One implementation, so both answer the same.

use knop_huishoudboekje::booking::{plan_import, ImportIs};
use knop_huishoudboekje::matching::OwnPayments;
use knop_huishoudboekje::HouseholdId;
use knop_ledger::entry::{OrgName, SignedEntry};
use knop_ledger::note::NoteKey;
use knop_node::{Node, NodeError};
use knop_state::{Command, Outcome, StateError};
use serde::Serialize;

use crate::access::Role;

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

/// Gives a new ledger its payment id scope: when it has none and no household yet, a random one
/// is recorded ([`knop_state::PaymentRunCommand::SetIdScope`]), so this deployment's EndToEndIds
/// and run ids are its own and cannot be worked out from outside. A ledger with households keeps
/// the ids it has (they are on its runs and at the bank). Returns whether one was recorded now.
pub fn ensure_id_scope(node: &mut Node, key: &NoteKey, now_ms: u64) -> Result<bool, OpError> {
    let st = node.state();
    if st.id_scope().is_some() || !st.households().is_empty() {
        return Ok(false);
    }
    let cmd = Command::PaymentRun(knop_state::PaymentRunCommand::SetIdScope {
        scope: rand::random(),
    });
    // Only an organisation that makes payment runs records it.
    let may = OrgName::parse(key.key_name())
        .ok()
        .and_then(|n| st.orgs().get(&n).map(|o| cmd.may_submit(o.kind)))
        .unwrap_or(false);
    if !may {
        return Ok(false);
    }
    submit(node, key, now_ms, &cmd)??;
    Ok(true)
}

/// What importing a camt.053 file did.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportReport {
    /// The log index of the entry that booked the new lines, if any were new.
    pub entry: Option<u64>,
    /// Lines booked now.
    pub booked: usize,
    /// Lines that were booked by an earlier import of the same entries (skipped, not twice).
    pub already_imported: usize,
    /// Entries not booked (pending or information only), as warnings.
    pub skipped: Vec<String>,
    /// What the reader noticed in the file and booked as the file says (a version read like
    /// another, details whose amount differs from their entry's, a statement summary that
    /// disagrees with the entries), each naming its line.
    pub warnings: Vec<String>,
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
    import_planned(node, key, now_ms, &plan)
}

/// Imports a statement already read and planned (see [`import_statement`]).
pub fn import_planned(
    node: &mut Node,
    key: &NoteKey,
    now_ms: u64,
    plan: &knop_huishoudboekje::booking::ImportPlan,
) -> Result<ImportReport, OpError> {
    let (accounts, transfers, new) = import_parts(node.state().book(), plan);
    let mut entry = None;
    if new > 0 || !accounts.is_empty() {
        // The statement's accounts and lines: one entry, all or nothing.
        let index = submit(node, key, now_ms, &book_entry(accounts, &transfers))??.0;
        entry = (new > 0).then_some(index);
    }
    Ok(import_report(
        node.state().book(),
        plan,
        entry,
        new,
        transfers.len(),
    ))
}

/// What importing `plan` writes: the mirror accounts the book lacks, the statement's transfers
/// (opening balance included where the book is fresh), and how many of them are new.
fn import_parts(
    book: &knop_book::Book,
    plan: &knop_huishoudboekje::booking::ImportPlan,
) -> (Vec<knop_book::Account>, Vec<knop_book::Transfer>, usize) {
    let accounts: Vec<_> = plan
        .mirror
        .accounts()
        .into_iter()
        .filter(|acc| book.account(acc.id).is_none())
        .collect();
    let transfers = plan.transfers_to_book(book);
    let new = transfers
        .iter()
        .filter(|tr| book.transfer(tr.id).is_none())
        .count();
    (accounts, transfers, new)
}

/// The import's report, from the book after it.
fn import_report(
    book: &knop_book::Book,
    plan: &knop_huishoudboekje::booking::ImportPlan,
    entry: Option<u64>,
    new: usize,
    lines: usize,
) -> ImportReport {
    let balance = book
        .account(plan.mirror.bank)
        .map_or(0, |bank| bank.debits_posted.0 - bank.credits_posted.0);
    ImportReport {
        entry,
        booked: new,
        already_imported: lines - new,
        skipped: plan.skipped.clone(),
        warnings: plan.warnings.clone(),
        book_balance_cents: balance,
        closing_balance_cents: plan.closing_cents,
        difference_cents: plan.closing_cents.map(|c| balance - c),
    }
}

/// What booking matched lines to a household did.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MatchReport {
    /// The household.
    pub household: String,
    /// The household, as a number.
    #[serde(skip)]
    pub household_id: HouseholdId,
    /// Lines booked to it now.
    pub booked: usize,
    /// Lines that were booked to it before (nothing twice).
    pub already_booked: usize,
    /// What the income matched now repaid of an advance, in cents.
    pub advance_repaid_cents: i64,
    /// Its balance afterwards, in cents.
    pub balance_cents: i64,
}

/// Books the lines at `picked` (statement, entry) of an imported statement (its import `plan`)
/// from suspense to `household`, all or nothing, once; income matched now first repays an
/// advance. `own` gives the EndToEndIds of knop's own payments among them (posted instead of
/// booked again).
pub fn book_matched(
    node: &mut Node,
    key: &NoteKey,
    now_ms: u64,
    plan: &knop_huishoudboekje::booking::ImportPlan,
    household: HouseholdId,
    picked: &[(usize, usize)],
    own: &std::collections::HashMap<(usize, usize), String>,
) -> Result<MatchReport, OpError> {
    let m = plan_matched(
        node.state().book(),
        plan,
        household,
        picked,
        own,
        ImportIs::Booked,
    )?;
    if m.report.booked > 0 {
        let accounts = m.account.into_iter().collect();
        submit(node, key, now_ms, &book_entry(accounts, &m.transfers))??;
    }
    Ok(finish_report(node.state().book(), m.report))
}

/// What booking a statement line to the foundation's own account did.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OwnBooking {
    /// What the line was booked as.
    pub purpose: knop_huishoudboekje::booking::OwnPurpose,
    /// Signed cents: money in positive (interest), money out negative (costs).
    pub amount_cents: i64,
    /// Whether it was booked now (false: it was booked so before; nothing twice).
    pub booked: bool,
    /// The own account's balance afterwards, in cents: interest received less interest paid,
    /// or the costs charged (positive).
    pub account_balance_cents: i64,
}

/// Books the line at `pos` (statement, entry) of an imported statement (its import `plan`) from
/// suspense to the foundation's own account for `purpose` (interest, bank costs): one entry
/// with the account (when new) and the transfer, or nothing. The transfer's id is the one a
/// household's match would have, so a line already booked to a household is refused by the
/// book and a retry books nothing twice.
pub fn book_to_foundation(
    node: &mut Node,
    key: &NoteKey,
    now_ms: u64,
    plan: &knop_huishoudboekje::booking::ImportPlan,
    pos: (usize, usize),
    purpose: knop_huishoudboekje::booking::OwnPurpose,
) -> Result<OwnBooking, OpError> {
    use knop_huishoudboekje::booking::{own_transfer, OwnPurpose};
    let book = node.state().book();
    let Some(imported) = plan.imported_at(pos).copied() else {
        return Err(OpError::NotImported(format!(
            "statement {} has no line {}",
            pos.0 + 1,
            pos.1 + 1
        )));
    };
    if book.transfer(imported.id).is_none() {
        return Err(OpError::NotImported(
            "import the statement first, then book its lines".into(),
        ));
    }
    let account = plan.mirror.own_account(purpose);
    let transfer = own_transfer(&imported, &plan.mirror, purpose);
    let booked = book.transfer(transfer.id).is_none();
    let accounts = if book.account(account.id).is_none() {
        vec![account]
    } else {
        vec![]
    };
    submit(node, key, now_ms, &book_entry(accounts, &[transfer]))??;
    let money_in = imported.debit_account_id == plan.mirror.bank;
    let balance = node
        .state()
        .book()
        .account(account.id)
        .map_or(0, |a| match purpose {
            OwnPurpose::Interest => a.credits_posted.0 - a.debits_posted.0,
            OwnPurpose::BankCosts => a.debits_posted.0 - a.credits_posted.0,
        });
    Ok(OwnBooking {
        purpose,
        amount_cents: if money_in {
            imported.amount.0
        } else {
            -imported.amount.0
        },
        booked,
        account_balance_cents: balance,
    })
}

/// What booking one household's matched lines writes: its account if new, and the transfers.
#[derive(Debug)]
struct Matched {
    account: Option<knop_book::Account>,
    transfers: Vec<knop_book::Transfer>,
    report: MatchReport,
}

/// The entry that creates `accounts` (if any) and then `transfers` (if any; in batches of the
/// book's limit, in order): one command, or several together.
fn book_entry(accounts: Vec<knop_book::Account>, transfers: &[knop_book::Transfer]) -> Command {
    let mut parts = vec![];
    if !accounts.is_empty() {
        parts.push(Command::CreateAccounts(accounts));
    }
    parts.extend(
        transfers
            .chunks(knop_book::BATCH_EVENTS_MAX)
            .map(|c| Command::CreateTransfers(c.to_vec())),
    );
    one_entry(parts)
}

/// Several commands as one entry; one command as itself.
fn one_entry(mut parts: Vec<Command>) -> Command {
    if parts.len() == 1 {
        parts.remove(0)
    } else {
        Command::Together(parts)
    }
}

/// Fills in the household's balance once its lines are booked.
fn finish_report(book: &knop_book::Book, mut report: MatchReport) -> MatchReport {
    let account = knop_huishoudboekje::booking::household_account(report.household_id);
    report.balance_cents = book.account(account.id).map_or(0, |a| a.credit_balance().0);
    report
}

/// Plans booking the lines at `picked` to `household` (see [`book_matched`]); writes nothing.
fn plan_matched(
    book: &knop_book::Book,
    plan: &knop_huishoudboekje::booking::ImportPlan,
    household: HouseholdId,
    picked: &[(usize, usize)],
    own: &std::collections::HashMap<(usize, usize), String>,
    import: ImportIs,
) -> Result<Matched, OpError> {
    use knop_huishoudboekje::booking::{advance_account, household_account, repayment};
    let transfers = plan
        .matched_transfers(book, household, picked, own, import)
        .map_err(|_| {
            OpError::NotImported("import the statement first, then match its lines".into())
        })?;
    let account = household_account(household);
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
    Ok(Matched {
        account: book.account(account.id).is_none().then_some(account),
        transfers: all,
        report: MatchReport {
            household: household.to_string(),
            household_id: household,
            booked: new,
            already_booked: transfers.len() - new,
            advance_repaid_cents: if new > 0 { repaid } else { 0 },
            balance_cents: 0,
        },
    })
}

/// What matching a statement for every household did.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MatchAllReport {
    /// Per household with lines booked now or before.
    pub households: Vec<MatchReport>,
    /// Lines matched to exactly one household (booked now or before).
    pub matched_lines: usize,
    /// Lines left in suspense for a counsellor: unknown, or fitting more than one household,
    /// or fitting a household the uploader does not manage.
    pub suspense_lines: usize,
    /// Of those, the lines that fit exactly one household that the uploader may not book (not
    /// in their caseload): they wait for its counsellor or an administrator, who book them by
    /// uploading the same file or from the suspense list. Which households they fit is not said.
    pub waiting_lines: usize,
}

/// Matches every booked line of an imported statement against every active household's
/// agreements and books each line that fits exactly one household to it (all lines of one
/// household in one entry). A line that fits several households is left in suspense: a person
/// decides, never a guess. Only lines of households `booker` may book are booked: a line that
/// fits another household alone waits in suspense for its counsellor or an administrator.
pub fn match_all(
    node: &mut Node,
    key: &NoteKey,
    now_ms: u64,
    read: &ReadStatement,
    today: jiff::civil::Date,
    booker: &Role,
) -> Result<MatchAllReport, OpError> {
    let p = plan_match_all(node.state(), now_ms, read, today, ImportIs::Booked, booker)?;
    submit_matched(node, key, now_ms, p.batch_posts.clone(), &p.planned)?;
    Ok(p.report(node.state().book()))
}

/// What matching a statement for every household books (see [`match_all`]), planned on
/// `state` without writing anything.
struct PlannedMatching {
    /// Postings of knop's payments that the bank booked as one entry per batch.
    batch_posts: Vec<knop_book::Transfer>,
    /// Per household with lines that fit it alone: what to book.
    planned: Vec<Matched>,
    /// Lines matched (to one household, or batches of knop's own payments).
    matched_lines: usize,
    /// Lines left for a person.
    suspense_lines: usize,
    /// Of those, lines that fit one household the uploader may not book.
    waiting_lines: usize,
}

impl PlannedMatching {
    /// Transfers it would write (some may exist already: an upload made again).
    fn events(&self) -> usize {
        self.batch_posts.len()
            + self
                .planned
                .iter()
                .map(|m| m.transfers.len() + usize::from(m.account.is_some()))
                .sum::<usize>()
    }

    /// The report, from the book after the matched lines are booked.
    fn report(self, book: &knop_book::Book) -> MatchAllReport {
        MatchAllReport {
            households: self
                .planned
                .into_iter()
                .map(|m| finish_report(book, m.report))
                .collect(),
            matched_lines: self.matched_lines,
            suspense_lines: self.suspense_lines,
            waiting_lines: self.waiting_lines,
        }
    }
}

fn plan_match_all(
    state: &knop_state::State,
    now_ms: u64,
    read: &ReadStatement,
    today: jiff::civil::Date,
    import: ImportIs,
    booker: &Role,
) -> Result<PlannedMatching, OpError> {
    let (file, plan) = (&read.file, &read.plan);
    use knop_huishoudboekje::matching::Match;
    use std::collections::{BTreeMap, HashMap};
    let positions = crate::matching::booked_positions(file);
    // Per line position: the households it fits, with the EndToEndId if it is their own payment.
    type Fits = HashMap<(usize, usize), Vec<(HouseholdId, Option<String>)>>;
    // Per household: the positions to book and the own payments among them.
    type Picks = BTreeMap<HouseholdId, (Vec<(usize, usize)>, HashMap<(usize, usize), String>)>;
    let (ids, plans): (Vec<HouseholdId>, Vec<knop_huishoudboekje::Plan>) = state
        .households()
        .iter()
        .filter(|(_, h)| h.active_at(now_ms) && !h.agreements.is_empty())
        .map(|(id, h)| (*id, h.plan(state.id_scope(), *id, 0)))
        .unzip();
    let lines: Vec<_> = positions
        .iter()
        .map(|&(si, ei)| crate::matching::line_of(&file.statements[si].entries[ei]))
        .collect();
    let (from, through) = crate::matching::own_payment_window(&lines, today);
    // Only the households the index names are checked: the work grows with the lines, not with
    // lines times households.
    let index = knop_huishoudboekje::match_index::Index::build(&plans, from, through);
    let mut owns: HashMap<u32, OwnPayments> = HashMap::new();
    let mut fits: Fits = HashMap::new();
    let book = state.book();
    // Postings of knop's payments that the bank booked as one entry per batch.
    let mut batch_posts = vec![];
    let mut batches = 0;
    for (line, pos) in lines.iter().zip(&positions) {
        let Some(line_id) = plan.imported_at(*pos).map(|t| t.id) else {
            continue;
        };
        if let Some(posts) = own_batch(book, &file.statements[pos.0].entries[pos.1], line_id) {
            batch_posts.extend(posts);
            batches += 1;
            continue;
        }
        // Strongest evidence first: the ledger holds the reservation of this very payment (a
        // retried payment's new EndToEndId is known only there). A debit line posts it; a
        // credit line is the payment coming back, booked to the household as its return.
        if let Some(h) = own_reservation(book, line, line_id) {
            fits.entry(*pos)
                .or_default()
                .push((h, line.end_to_end_id.clone()));
            continue;
        }
        let mut source = StatePlans {
            plans: &plans,
            owns: &mut owns,
            book,
            window: (from, through),
        };
        for (n, m) in crate::matching::fits(line, &index, &mut source) {
            match m {
                // Its reservation was posted by another line: a second debit of one payment
                // waits for a person.
                Match::OwnPayment { .. } if posted_elsewhere(book, line, line_id) => {}
                Match::OwnPayment { .. } => fits
                    .entry(*pos)
                    .or_default()
                    .push((ids[n as usize], line.end_to_end_id.clone())),
                _ => fits.entry(*pos).or_default().push((ids[n as usize], None)),
            }
        }
    }
    let mut per: Picks = BTreeMap::new();
    let (mut matched, mut waiting) = (0, 0);
    let may_book = |h: &HouseholdId| {
        state
            .households()
            .get(h)
            .is_some_and(|s| booker.may_book_lines(&s.counsellor))
    };
    for pos in &positions {
        if let Some([(h, own)]) = fits.get(pos).map(Vec::as_slice) {
            if !may_book(h) {
                waiting += 1;
                continue;
            }
            let e = per.entry(*h).or_default();
            e.0.push(*pos);
            if let Some(e2e) = own {
                e.1.insert(*pos, e2e.clone());
            }
            matched += 1;
        }
    }
    let mut planned = vec![];
    for (h, (picked, own)) in per {
        planned.push(plan_matched(book, plan, h, &picked, &own, import)?);
    }
    Ok(PlannedMatching {
        batch_posts,
        planned,
        matched_lines: matched + batches,
        suspense_lines: positions.len() - matched - batches,
        waiting_lines: waiting,
    })
}

/// The plans of the households on the ledger, for matching: each household's own payments in
/// the window worked out once, when it is first a candidate.
struct StatePlans<'a> {
    plans: &'a [knop_huishoudboekje::Plan],
    owns: &'a mut std::collections::HashMap<u32, OwnPayments>,
    book: &'a knop_book::Book,
    window: (jiff::civil::Date, jiff::civil::Date),
}

impl crate::matching::PlanSource for StatePlans<'_> {
    fn plan(&mut self, n: u32) -> (&knop_huishoudboekje::Plan, &OwnPayments) {
        let plan = &self.plans[n as usize];
        let (book, (from, through)) = (self.book, self.window);
        let own = self
            .owns
            .entry(n)
            .or_insert_with(|| crate::matching::own_payments_on(Some(book), plan, from, through));
        (plan, own)
    }
}

/// Writes the postings of batches and every household's matched lines: one entry when they fit
/// in one (the usual case: a day's or a month's statement), else as few entries as fit, each
/// holding whole households, so every household's lines are booked all or nothing. Nothing is
/// written when nothing is new.
fn submit_matched(
    node: &mut Node,
    key: &NoteKey,
    now_ms: u64,
    batch_posts: Vec<knop_book::Transfer>,
    planned: &[Matched],
) -> Result<(), OpError> {
    // Events per entry: a transfer takes 98 bytes, so this stays far below the entry limit.
    const EVENTS_PER_ENTRY: usize = knop_book::BATCH_EVENTS_MAX;
    let book = node.state().book();
    let mut groups: Vec<(Vec<knop_book::Account>, Vec<knop_book::Transfer>)> = vec![];
    let mut current = (vec![], batch_posts);
    for m in planned.iter().filter(|m| m.report.booked > 0) {
        if !current.1.is_empty() && current.1.len() + m.transfers.len() > EVENTS_PER_ENTRY {
            groups.push(std::mem::take(&mut current));
        }
        current.0.extend(m.account);
        current.1.extend(m.transfers.iter().copied());
    }
    groups.push(current);
    let entries: Vec<Command> = groups
        .into_iter()
        .filter(|(accounts, transfers)| {
            !accounts.is_empty() || transfers.iter().any(|t| book.transfer(t.id).is_none())
        })
        .map(|(accounts, transfers)| book_entry(accounts, &transfers))
        .collect();
    for cmd in entries {
        submit(node, key, now_ms, &cmd)??;
    }
    Ok(())
}

/// The postings of a batch of knop's own payments that the bank booked as one entry (a pain.001
/// with batch booking; `line` is the id of the entry's imported transfer): money out whose every
/// transaction carries the EndToEndId of a payment reserved on the ledger (pending, or posted by
/// an earlier import of this same entry), together the entry's amount. `None` for any other
/// entry, which is matched line by line. The transactions may be of several households: each
/// posting takes its accounts from its reservation.
pub fn own_batch(
    book: &knop_book::Book,
    entry: &knop_bank::camt053::Entry,
    line: u128,
) -> Option<Vec<knop_book::Transfer>> {
    use knop_book::PendingStatus;
    use knop_huishoudboekje::booking::{payment_id, payment_post, posted_by, why};
    if entry.cents >= 0 || entry.details.len() < 2 {
        return None;
    }
    let mut total = 0i64;
    let mut posts = vec![];
    for d in &entry.details {
        let e2e = d.end_to_end_id.as_deref()?;
        let t = book.transfer(payment_id(e2e))?;
        if t.transfer.code != why::PAYMENT {
            return None;
        }
        match t.status {
            PendingStatus::Pending => posts.push(payment_post(e2e, line)),
            PendingStatus::Posted if posted_by(book, e2e, line) => {}
            _ => return None,
        }
        total = total.checked_add(t.resolved.amount.0)?;
    }
    (total == -entry.cents).then_some(posts)
}

/// The household whose payment a line is, by the reservation its EndToEndId names on the
/// ledger: a debit line of the reserved amount (pending, or posted by an earlier import of this
/// same line, `imported`), or a credit line of that amount returning a posted payment.
fn own_reservation(
    book: &knop_book::Book,
    line: &knop_huishoudboekje::matching::Line,
    imported: u128,
) -> Option<HouseholdId> {
    use knop_book::PendingStatus;
    use knop_huishoudboekje::booking::{payment_id, posted_by, why};
    let e2e = line.end_to_end_id.as_deref()?;
    let t = book.transfer(payment_id(e2e))?;
    let fits = if line.cents < 0 {
        t.status == PendingStatus::Pending || posted_by(book, e2e, imported)
    } else {
        t.status == PendingStatus::Posted
    };
    (t.transfer.code == why::PAYMENT && t.resolved.amount.0 == line.cents.abs() && fits)
        .then_some(HouseholdId(t.transfer.user_data))
}

/// Whether the payment a debit line names was posted by another statement line.
fn posted_elsewhere(
    book: &knop_book::Book,
    line: &knop_huishoudboekje::matching::Line,
    imported: u128,
) -> bool {
    let e2e = line.end_to_end_id.as_deref().filter(|_| line.cents < 0);
    e2e.and_then(|e2e| knop_huishoudboekje::booking::posting_line(book, e2e))
        .is_some_and(|by| by != imported)
}

/// Whether an imported line has left suspense: matched to a household, or (knop's own payments)
/// having posted their reservations itself if it is money out (a second debit under the same
/// EndToEndId stays for a person), booked as the return if it is money in (the two lines of a
/// payment and its return carry the same EndToEndId).
pub fn line_settled(
    book: &knop_book::Book,
    mirror: &knop_huishoudboekje::booking::Mirror,
    imported: &knop_book::Transfer,
    entry: &knop_bank::camt053::Entry,
) -> bool {
    use knop_huishoudboekje::booking::{matched_id, payment_returned_id, posted_by};
    let money_in = imported.debit_account_id == mirror.bank;
    let settled = |e2e: &str| {
        if money_in {
            book.transfer(payment_returned_id(e2e)).is_some()
        } else {
            posted_by(book, e2e, imported.id)
        }
    };
    // A batch of payments booked as one entry is settled when every payment in it is posted.
    book.transfer(matched_id(imported.id)).is_some()
        || (!entry.details.is_empty()
            && entry
                .details
                .iter()
                .all(|d| d.end_to_end_id.as_deref().is_some_and(settled)))
}

/// A payment the bank refused.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Rejection {
    /// The EndToEndId.
    pub end_to_end_id: String,
    /// The household it was for, if knop reserved it.
    pub household: Option<String>,
    /// The amount, in cents, if knop reserved it.
    pub cents: Option<i64>,
    /// The bank's reason code and its meaning in Dutch.
    pub reason: String,
    /// Whether the reservation was voided now (false: it was not pending any more, or unknown,
    /// or it waits for the household's counsellor).
    pub voided: bool,
    /// Set when the payment is of a household the uploader may not book: nothing of it was done
    /// and nothing of it is shown; its counsellor or an administrator reads the same file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waits: Option<String>,
}

/// What a payment status report did.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusReportOutcome {
    /// The pain.001 (run) it answers.
    pub original_message_id: String,
    /// Transactions the bank accepted or is processing.
    pub accepted: usize,
    /// Transactions the bank rejected: their reservations are voided, the money is free again.
    pub rejected: Vec<Rejection>,
}

/// Applies a pain.002: every rejected payment's pending reservation is voided, in one entry (a
/// report read again voids nothing twice). A report that rejects the whole file rejects every
/// payment of the run it names. Only payments of households `booker` may book are voided; the
/// others wait for their counsellor or an administrator, and the answer shows nothing of them.
pub fn apply_status_report(
    node: &mut Node,
    key: &NoteKey,
    now_ms: u64,
    report: knop_bank::pain002::Report,
    booker: &Role,
) -> Result<StatusReportOutcome, OpError> {
    use knop_huishoudboekje::booking::{payment_id, payment_void};
    let mut refused: Vec<(String, String)> = report
        .transactions
        .iter()
        .filter(|t| t.status == "RJCT")
        .map(|t| {
            (
                t.end_to_end_id.clone(),
                t.reason.clone().unwrap_or_default(),
            )
        })
        .collect();
    if report.group_rejected() && refused.is_empty() {
        let why = report.group_reason.clone().unwrap_or_default();
        // The file it answers: one run, or a day file of many.
        let state = node.state();
        let runs: Vec<crate::payrun::RunView> =
            match state.batches().get(&report.original_message_id) {
                Some(b) => b
                    .runs
                    .iter()
                    .filter_map(|r| state.runs().get(r))
                    .filter_map(crate::payrun::RunView::of)
                    .collect(),
                None => state
                    .runs()
                    .get(&report.original_message_id)
                    .and_then(crate::payrun::RunView::of)
                    .into_iter()
                    .collect(),
            };
        refused = runs
            .into_iter()
            .flat_map(|r| r.content.items)
            .map(|i| (i.end_to_end_id.into_string(), why.clone()))
            .collect();
    }
    let accepted = report
        .transactions
        .iter()
        .filter(|t| t.status != "RJCT")
        .count();
    let book = node.state().book();
    let mut voids = vec![];
    let mut rejected = vec![];
    let state = node.state();
    for (e2e, why) in refused {
        let pending = book.transfer(payment_id(&e2e));
        let others = pending.is_some_and(|p| {
            !state
                .households()
                .get(&HouseholdId(p.transfer.user_data))
                .is_some_and(|h| booker.may_book_lines(&h.counsellor))
        });
        if others {
            rejected.push(Rejection {
                end_to_end_id: e2e,
                household: None,
                cents: None,
                reason: String::new(),
                voided: false,
                waits: Some(
                    "niet in uw caseload: de consulent van dit huishouden of de beheerder leest \
                     dit bestand in / not in your caseload: the household's counsellor or an \
                     administrator reads this file"
                        .into(),
                ),
            });
            continue;
        }
        let is_pending = pending.is_some_and(|p| p.status == knop_book::PendingStatus::Pending);
        if is_pending {
            voids.push(payment_void(&e2e));
        }
        rejected.push(Rejection {
            household: pending.map(|p| p.transfer.user_data.to_string()),
            cents: pending.map(|p| p.transfer.amount.0),
            reason: if why.is_empty() {
                "geen reden opgegeven".into()
            } else {
                format!("{why}: {}", knop_bank::pain002::reason_nl(&why))
            },
            end_to_end_id: e2e,
            voided: is_pending,
            waits: None,
        });
    }
    if !voids.is_empty() {
        submit(node, key, now_ms, &Command::CreateTransfers(voids))??;
    }
    Ok(StatusReportOutcome {
        original_message_id: report.original_message_id,
        accepted,
        rejected,
    })
}

/// What an upload did: the import, then the matching of its lines to households.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UploadReport {
    /// The import.
    #[serde(flatten)]
    pub import: ImportReport,
    /// The matching.
    pub matching: MatchAllReport,
}

/// A statement read, imported and matched: the report, and the file with its import plan for
/// the caller to keep.
#[derive(Debug)]
pub struct Uploaded {
    /// What the import and the matching did.
    pub report: UploadReport,
    /// The file as read.
    pub file: knop_bank::camt053::File,
    /// Its import into the foundation's book.
    pub plan: knop_huishoudboekje::booking::ImportPlan,
}

/// A camt.053 file read and its import into the foundation's book planned: pure work on the
/// bytes alone, done before the ledger is locked so that a large file never holds up a write.
#[derive(Debug)]
pub struct ReadStatement {
    /// The file as read.
    pub file: knop_bank::camt053::File,
    /// Its import into the foundation's book.
    pub plan: knop_huishoudboekje::booking::ImportPlan,
}

/// Reads `bytes` as a camt.053 file of `foundation_iban` and plans its import.
pub fn read_statement(bytes: &[u8], foundation_iban: &str) -> Result<ReadStatement, OpError> {
    let file = knop_bank::camt053::parse(bytes)?;
    let plan = plan_import(&file, foundation_iban)?;
    Ok(ReadStatement { file, plan })
}

/// Imports a statement read by [`read_statement`] and matches its lines for every household
/// `booker` may book (see [`match_all`]), all in one entry: killed at any point, the upload is
/// all on the ledger or not at all. A file too large for one entry is imported, then matched
/// (the lines wait in suspense between the two, and uploading the same file again matches them).
pub fn upload(
    node: &mut Node,
    key: &NoteKey,
    now_ms: u64,
    read: ReadStatement,
    today: jiff::civil::Date,
    booker: &Role,
) -> Result<Uploaded, OpError> {
    let (accounts, transfers, new) = import_parts(node.state().book(), &read.plan);
    let matching = plan_match_all(
        node.state(),
        now_ms,
        &read,
        today,
        ImportIs::InTheSameEntry,
        booker,
    )?;
    if accounts.len() + transfers.len() + matching.events() > UPLOAD_ENTRY_EVENTS_MAX {
        // Too large for one entry: the import, then the matching (the lines wait in suspense
        // between the two, and uploading the file again books them).
        let import = import_planned(node, key, now_ms, &read.plan)?;
        let matching = match_all(node, key, now_ms, &read, today, booker)?;
        return Ok(Uploaded {
            report: UploadReport { import, matching },
            file: read.file,
            plan: read.plan,
        });
    }
    let lines = transfers.len();
    let entry = submit_upload(node, key, now_ms, accounts, transfers, &matching)?;
    let book = node.state().book();
    let import = import_report(book, &read.plan, entry.filter(|_| new > 0), new, lines);
    Ok(Uploaded {
        report: UploadReport {
            import,
            matching: matching.report(book),
        },
        file: read.file,
        plan: read.plan,
    })
}

/// Most book events an upload writes as one entry (its import and its matching together):
/// a transfer is 98 bytes, so this stays well within an entry's 16 MiB.
const UPLOAD_ENTRY_EVENTS_MAX: usize = 120_000;

/// Writes a statement's accounts and lines and every household's matched lines as one entry;
/// nothing when nothing is new. Returns the entry's index, if one was written.
fn submit_upload(
    node: &mut Node,
    key: &NoteKey,
    now_ms: u64,
    mut accounts: Vec<knop_book::Account>,
    transfers: Vec<knop_book::Transfer>,
    matching: &PlannedMatching,
) -> Result<Option<u64>, OpError> {
    let mut moves = matching.batch_posts.clone();
    for m in matching.planned.iter().filter(|m| m.report.booked > 0) {
        accounts.extend(m.account);
        moves.extend(m.transfers.iter().copied());
    }
    let book = node.state().book();
    let anything_new = !accounts.is_empty()
        || transfers
            .iter()
            .chain(&moves)
            .any(|t| book.transfer(t.id).is_none());
    if !anything_new {
        return Ok(None);
    }
    // The lines first (into suspense), then what moves them on: the book applies them in order.
    let all = [transfers, moves].concat();
    Ok(Some(
        submit(node, key, now_ms, &book_entry(accounts, &all))??.0,
    ))
}
