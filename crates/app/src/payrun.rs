//! Payment runs: what a run for a household on a date pays, reserved on the ledger as pending
//! transfers (the bank statement later posts them), recorded on the ledger with the person who
//! made it, approved there by a second person (four eyes, enforced by the ledger's state), and
//! written as pain.001 only once approved. Shared by `knop pay` and the API.

use jiff::civil::Date;
use knop_bank::pain001::{self, Payment, Run, Version};
use knop_bank::EndToEndId;
use knop_huishoudboekje::booking::{
    advance, advance_account, household_account, payment_id, payment_pending, payment_returned_id,
    Mirror,
};
use knop_huishoudboekje::payrun::{select, Selection};
use knop_huishoudboekje::HouseholdId;
use knop_huishoudboekje::Plan;
use knop_ledger::note::NoteKey;
use knop_node::Node;
use knop_state::{Command, PaymentRunCommand, RunState, State};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ops::{submit, OpError};

/// What a run reserves on the ledger: the accounts and pending transfers to write, with what the
/// selection pays. Nothing is written by planning it; [`make`] writes it with the run's record
/// as one entry.
#[derive(Debug, Clone)]
pub struct Reserved {
    /// What the run pays and what it cannot.
    pub selection: Selection,
    /// What the foundation advanced now because the household's money did not cover it, cents.
    pub advanced_cents: i64,
    /// The advance outstanding after this run, cents.
    pub advance_outstanding_cents: i64,
    /// Accounts the reservations need that the book does not have yet.
    pub accounts: Vec<knop_book::Account>,
    /// The advance (if any) and the pending payments, in that order.
    pub transfers: Vec<knop_book::Transfer>,
}

impl Reserved {
    /// The book parts of the entry that records this reservation: accounts first, then
    /// transfers, each only if there is something in it.
    pub fn book_parts(&self) -> Vec<Command> {
        let mut parts = vec![];
        if !self.accounts.is_empty() {
            parts.push(Command::CreateAccounts(self.accounts.clone()));
        }
        if !self.transfers.is_empty() {
            parts.push(Command::CreateTransfers(self.transfers.clone()));
        }
        parts
    }
}

/// What planning a run needs to know of the book: a household's money, its advance, and what
/// became of earlier attempts of a payment. The ledger's book is one; the month-end benchmark,
/// which plans a month of runs for households it knows to be fresh, has its own.
pub trait Holdings {
    /// Whether the book has the account `id`.
    fn has_account(&self, id: u128) -> bool;
    /// The household account's credit balance and its debits still pending, cents.
    fn money(&self, household: HouseholdId) -> (i64, i64);
    /// What the foundation has advanced to the household and not been paid back, cents.
    fn advance_outstanding(&self, household: HouseholdId) -> i64;
    /// What the book holds of the payment with this EndToEndId.
    fn payment(&self, end_to_end_id: &str) -> Attempt;
}

/// What the book holds of one attempt of a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// Nothing: it has never been reserved.
    Unknown,
    /// Reserved (pending or posted), and not come back.
    Reserved,
    /// Reserved, then voided (the bank rejected it) or expired: made again under a new id.
    Voided,
    /// Paid, then returned by the payee's bank: made again under a new id.
    Returned,
}

impl Holdings for knop_book::Book {
    fn has_account(&self, id: u128) -> bool {
        self.account(id).is_some()
    }

    fn money(&self, household: HouseholdId) -> (i64, i64) {
        self.account(household_account(household).id)
            .map_or((0, 0), |x| (x.credit_balance().0, x.debits_pending.0))
    }

    fn advance_outstanding(&self, household: HouseholdId) -> i64 {
        self.account(advance_account(household).id)
            .map_or(0, |x| x.debits_posted.0 - x.credits_posted.0)
    }

    fn payment(&self, end_to_end_id: &str) -> Attempt {
        use knop_book::PendingStatus;
        if self.transfer(payment_returned_id(end_to_end_id)).is_some() {
            return Attempt::Returned;
        }
        match self.transfer(payment_id(end_to_end_id)).map(|t| t.status) {
            None => Attempt::Unknown,
            Some(PendingStatus::Voided | PendingStatus::Expired) => Attempt::Voided,
            Some(_) => Attempt::Reserved,
        }
    }
}

/// Gives each item the EndToEndId of its current attempt: a payment whose reservation was voided
/// (the bank rejected it, or it expired) or that came back after it was paid (the payee's bank
/// returned it) is made again under a new id
/// ([`knop_huishoudboekje::matching::retry_end_to_end_id`]), so it is reserved anew and never carries an
/// id the bank has seen. Returns, per item, whether that attempt is reserved already.
fn current_attempts(
    book: &impl Holdings,
    items: &mut [knop_huishoudboekje::payrun::Item],
) -> Vec<bool> {
    let mut reserved = Vec::with_capacity(items.len());
    for i in items {
        let first = i.end_to_end_id.clone();
        for attempt in 0u32.. {
            let id = knop_huishoudboekje::matching::retry_end_to_end_id(&first, attempt);
            match book.payment(&id) {
                Attempt::Voided | Attempt::Returned => continue,
                seen => {
                    i.end_to_end_id = id;
                    reserved.push(seen == Attempt::Reserved);
                    break;
                }
            }
        }
    }
    reserved
}

/// Plans a run's reservations on `book`: what the household's account can cover (payments of
/// this date reserved by an earlier try count as covered), topped up by an advance of at most
/// `advance_limit_cents` outstanding in all, as pending transfers to the suspense account of
/// `mirror` (the foundation's account). Writes nothing.
pub fn reserve(
    book: &impl Holdings,
    plan: &Plan,
    household: HouseholdId,
    date: Date,
    mirror: &Mirror,
    advance_limit_cents: i64,
) -> Reserved {
    let account = household_account(household);
    let (balance, reserved) = book.money(household);
    let mut candidates = select(plan, date, i64::MAX);
    let exists = current_attempts(book, &mut candidates.items);
    let again: i64 = candidates
        .items
        .iter()
        .zip(&exists)
        .filter(|(_, &e)| e)
        .map(|(i, _)| i.cents)
        .sum();
    let all: i64 = candidates.items.iter().map(|i| i.cents).sum();
    let limit = advance_limit_cents.max(0);
    let outstanding = book.advance_outstanding(household);
    let headroom = (limit - outstanding).max(0);
    let own = balance - reserved + again;
    // Selecting pays in priority order while the money lasts: when it covers everything due,
    // the selection is everything due, and need not be made again.
    let (s, exists) = if own.saturating_add(headroom) >= all {
        (candidates, exists)
    } else {
        let mut s = select(plan, date, own + headroom);
        let exists = current_attempts(book, &mut s.items);
        (s, exists)
    };
    let new_total: i64 = s
        .items
        .iter()
        .zip(&exists)
        .filter(|(_, &e)| !e)
        .map(|(i, _)| i.cents)
        .sum();
    let needed = (new_total - (balance - reserved)).max(0);
    let mut new_ids: Vec<&str> = s
        .items
        .iter()
        .zip(&exists)
        .filter(|(_, &e)| !e)
        .map(|(i, _)| i.end_to_end_id.as_str())
        .collect();
    new_ids.sort_unstable();
    let accounts: Vec<_> = if s.items.is_empty() {
        // Nothing to pay: nothing to write at all.
        vec![]
    } else {
        let mut wanted = mirror.accounts();
        wanted.extend([account, advance_account(household)]);
        wanted
            .into_iter()
            .filter(|x| !book.has_account(x.id))
            .collect()
    };
    let mut transfers = Vec::with_capacity(s.items.len() + 1);
    if needed > 0 {
        // One advance per run: its id derives from the date and the payments it makes possible,
        // so a retry finds it and a later run on the same date gets its own.
        transfers.push(advance(
            household,
            &format!("{date}:{}", new_ids.join(",")),
            needed,
        ));
    }
    transfers.extend(
        s.items
            .iter()
            .map(|i| payment_pending(household, mirror, &i.end_to_end_id, i.cents)),
    );
    Reserved {
        selection: s,
        advanced_cents: needed,
        advance_outstanding_cents: outstanding + needed,
        accounts,
        transfers,
    }
}

/// One payment of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RunItem {
    /// The agreement paid.
    pub agreement: String,
    /// Its due date (ISO 8601).
    pub due: String,
    /// Amount in cents.
    pub cents: i64,
    /// The EndToEndId the bank statement will carry.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub end_to_end_id: EndToEndId,
    /// Payee name.
    pub creditor_name: String,
    /// Payee IBAN.
    pub creditor_iban: String,
    /// Remittance information.
    pub remittance: String,
}

impl From<&knop_huishoudboekje::payrun::Item> for RunItem {
    fn from(i: &knop_huishoudboekje::payrun::Item) -> Self {
        RunItem {
            agreement: i.agreement.clone(),
            due: i.due.to_string(),
            cents: i.cents,
            end_to_end_id: i.end_to_end_id.clone(),
            creditor_name: i.creditor_name.clone(),
            creditor_iban: i.creditor_iban.clone(),
            remittance: i.remittance.clone(),
        }
    }
}

/// What a run pays: recorded on the ledger in its canonical encoding ([`RunContent::to_bytes`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RunContent {
    /// Encoding version of the recorded content: 2 (canonical, [`RunContent::to_bytes`]), or 1
    /// for runs recorded as JSON before 2026-12-03.
    pub version: u32,
    /// The run's id.
    pub run_id: String,
    /// The household (pseudonymous id).
    pub household: String,
    /// The execution date (ISO 8601, a TARGET2 business day).
    pub date: String,
    /// The paying party.
    pub debtor_name: String,
    /// The paying account (the foundation's).
    pub debtor_iban: String,
    /// The payments, in priority order.
    pub items: Vec<RunItem>,
    /// Payments due that the run cannot make, with why (not covered, no payee IBAN).
    pub not_covered: Vec<String>,
    /// What the foundation advanced for this run, in cents.
    pub advanced_cents: i64,
}

impl RunContent {
    /// The run's content from a selection. The id derives from the date, the account and the
    /// EndToEndIds, so making the same run again gives the same id.
    pub fn new(
        household: HouseholdId,
        date: Date,
        debtor_name: &str,
        debtor_iban: &str,
        r: &Reserved,
    ) -> Self {
        let items: Vec<RunItem> = r.selection.items.iter().map(RunItem::from).collect();
        let mut not_covered: Vec<String> = r
            .selection
            .not_covered
            .iter()
            .map(|(id, due, c)| format!("{id} {due}: {} niet gedekt", knop_book::Cents(*c)))
            .collect();
        not_covered.extend(
            r.selection
                .no_iban
                .iter()
                .map(|(id, due)| format!("{id} {due}: geen IBAN van de ontvanger")),
        );
        RunContent {
            version: 2,
            run_id: Self::id_of(household, date, debtor_iban, &items),
            household: household.to_string(),
            date: date.to_string(),
            debtor_name: debtor_name.to_owned(),
            debtor_iban: debtor_iban.to_owned(),
            items,
            not_covered,
            advanced_cents: r.advanced_cents,
        }
    }

    /// A run's id: from the date, the account, the household and the EndToEndIds.
    pub fn id_of(
        household: HouseholdId,
        date: Date,
        debtor_iban: &str,
        items: &[RunItem],
    ) -> String {
        let mut h = Sha256::new();
        h.update(date.to_string());
        h.update(debtor_iban);
        h.update(household.get().to_be_bytes());
        for i in items {
            h.update(i.end_to_end_id.as_bytes());
        }
        let hex: String = h.finalize()[..4]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        format!("KNOP-RUN-{}-{hex}", date.strftime("%Y%m%d"))
    }

    /// The canonical bytes recorded on the ledger (encoding v2, below): what an approval's
    /// SHA-256 covers.
    ///
    /// ```text
    /// content = 0x02 || run id (text) || household (text) || date (text) || debtor name (text)
    ///           || debtor IBAN (text) || items (u32 count, each: agreement, due (text) ||
    ///           cents (i64) || EndToEndId, creditor name, creditor IBAN, remittance (text))
    ///           || not covered (u32 count, texts) || advanced cents (i64)
    /// ```
    /// Texts are length-prefixed UTF-8 (`knop_codec`). Version 1 was the content's JSON; runs
    /// recorded so are still read ([`RunContent::from_bytes`]).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = knop_codec::Writer::new();
        w.u8(CONTENT_V2);
        for t in [
            &self.run_id,
            &self.household,
            &self.date,
            &self.debtor_name,
            &self.debtor_iban,
        ] {
            w.str(t);
        }
        w.u32(self.items.len() as u32);
        for i in &self.items {
            w.str(&i.agreement);
            w.str(&i.due);
            w.i64(i.cents);
            for t in [
                i.end_to_end_id.as_str(),
                &i.creditor_name,
                &i.creditor_iban,
                &i.remittance,
            ] {
                w.str(t);
            }
        }
        w.u32(self.not_covered.len() as u32);
        for n in &self.not_covered {
            w.str(n);
        }
        w.i64(self.advanced_cents);
        w.finish()
    }

    /// Reads a run's content as recorded: encoding v2 ([`RunContent::to_bytes`]) or v1 (JSON,
    /// as runs were recorded before 2026-12-03).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, knop_codec::DecodeError> {
        match bytes.first() {
            Some(&CONTENT_V2) => Self::decode_v2(bytes),
            Some(b'{') => serde_json::from_slice(bytes).map_err(|e| knop_codec::DecodeError {
                offset: e.column().saturating_sub(1),
                field: "run.content",
                expected: format!("a run's content as JSON (v1): {e}"),
            }),
            _ => Err(knop_codec::DecodeError {
                offset: 0,
                field: "run.content",
                expected: "a run's content, encoding v2 (0x02) or v1 (JSON)".into(),
            }),
        }
    }

    fn decode_v2(bytes: &[u8]) -> Result<Self, knop_codec::DecodeError> {
        const TEXT: usize = 1024;
        let mut r = knop_codec::Reader::new(bytes);
        r.u8("run.version")?;
        let text = |r: &mut knop_codec::Reader<'_>, field| r.str(field, TEXT).map(str::to_owned);
        let end_to_end_id = |r: &mut knop_codec::Reader<'_>| {
            let field = "run.item.end_to_end_id";
            let s = r.str(field, TEXT)?;
            EndToEndId::parse(s).map_err(|e| r.error(field, e.to_string()))
        };
        let (run_id, household, date) = (
            text(&mut r, "run.id")?,
            text(&mut r, "run.household")?,
            text(&mut r, "run.date")?,
        );
        let (debtor_name, debtor_iban) = (
            text(&mut r, "run.debtor_name")?,
            text(&mut r, "run.debtor_iban")?,
        );
        let n = r.count("run.items", RUN_ITEMS_MAX)?;
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            items.push(RunItem {
                agreement: text(&mut r, "run.item.agreement")?,
                due: text(&mut r, "run.item.due")?,
                cents: r.i64("run.item.cents")?,
                end_to_end_id: end_to_end_id(&mut r)?,
                creditor_name: text(&mut r, "run.item.creditor_name")?,
                creditor_iban: text(&mut r, "run.item.creditor_iban")?,
                remittance: text(&mut r, "run.item.remittance")?,
            });
        }
        let n = r.count("run.not_covered", RUN_ITEMS_MAX)?;
        let mut not_covered = Vec::with_capacity(n);
        for _ in 0..n {
            not_covered.push(text(&mut r, "run.not_covered")?);
        }
        let advanced_cents = r.i64("run.advanced_cents")?;
        r.end()?;
        Ok(RunContent {
            version: 2,
            run_id,
            household,
            date,
            debtor_name,
            debtor_iban,
            items,
            not_covered,
            advanced_cents,
        })
    }
}

/// The first byte of a run's content in encoding v2 (v1 was JSON, which starts with `{`).
const CONTENT_V2: u8 = 2;
/// Most payments (and most payments not covered) in one run.
pub const RUN_ITEMS_MAX: usize = 1_000;

/// A run as the API shows it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunView {
    /// The content.
    pub content: RunContent,
    /// SHA-256 of the content (hex): what an approval approves.
    pub content_sha256: String,
    /// Who made it.
    pub created_by: String,
    /// Who approved it.
    pub approved_by: Vec<String>,
    /// Whether a second person approved it (then it can be exported).
    pub approved: bool,
    /// The log index of the entry that recorded it.
    pub entry: u64,
    /// The total paid, in cents.
    pub total_cents: i64,
}

impl RunView {
    /// The view of a run on the ledger; `None` if its content is not a run this version reads.
    pub fn of(r: &RunState) -> Option<Self> {
        let content = RunContent::from_bytes(&r.content).ok()?;
        Some(RunView {
            total_cents: content.items.iter().map(|i| i.cents).sum(),
            content,
            content_sha256: r
                .content_sha256
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect(),
            created_by: r.created_by.clone(),
            approved_by: r.approvals.iter().map(|(b, _)| b.clone()).collect(),
            approved: r.approved(),
            entry: r.index,
        })
    }
}

/// Why a run cannot be made, approved or exported.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Bad input (a date that is not a business day, an unknown household).
    #[error("{0}")]
    Invalid(String),
    /// No such run.
    #[error("no payment run {0}")]
    NotFound(String),
    /// Not approved by a second person yet.
    #[error("four eyes: run {0} is not yet approved by a second person")]
    NotApproved(String),
    /// The run is paid in its day file, never on its own (the bank would pay it twice).
    #[error("run {run} is part of day file {day_file}: it is paid in that file")]
    InDayFile {
        /// The run.
        run: String,
        /// Its day file.
        day_file: String,
    },
    /// The ledger or node refused.
    #[error(transparent)]
    Op(#[from] OpError),
}

/// The settings of a run that come from the foundation, not the request.
#[derive(Debug, Clone)]
pub struct Debtor {
    /// The paying party's name.
    pub name: String,
    /// The foundation's IBAN.
    pub iban: String,
    /// Most the foundation advances to one household in all, cents, unless the household has its
    /// own limit on the ledger (`HouseholdCommand::SetAdvanceLimit`).
    pub advance_limit_cents: i64,
}

/// Where a run pays living money that has no payee IBAN on the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LivingMoneyTo {
    /// To the resident's own account, which the personal-data vault holds: the run names
    /// [`RESIDENT_ACCOUNT`] and the pain.001 export fills it in (a logged read).
    OwnAccountInVault,
    /// Nowhere: without a vault the run names it as having no payee IBAN.
    NoAccountKnown,
}

/// Stands for the resident's own account in a run's content: the IBAN is personal data, kept in
/// the vault, and filled in only when the payment file is written (a logged read).
pub const RESIDENT_ACCOUNT: &str = "vault:own-account";

/// Makes a run for `household` on `date` by `created_by`: plans its reservations and records
/// them with the run as one entry. `paid` holds EndToEndIds the bank statements already show as
/// paid: those are left out (a payment made outside a run, or before the ledger knew it, is
/// never made twice). A retry of a run on the ledger returns it and writes nothing.
#[allow(clippy::too_many_arguments)]
pub fn make(
    node: &mut Node,
    key: &NoteKey,
    now_ms: u64,
    household: HouseholdId,
    date: Date,
    created_by: &str,
    debtor: &Debtor,
    paid: &std::collections::HashSet<String>,
    living_money: LivingMoneyTo,
) -> Result<RunView, RunError> {
    match plan(node.state(), household, date, debtor, paid, living_money)? {
        Planned::OnLedger(run_id) => view(node.state(), &run_id),
        Planned::New(reserved, content) => record(
            node, key, now_ms, household, created_by, *reserved, *content,
        ),
    }
}

/// A run planned for a household: new (its reservations and content, nothing written yet), or
/// on the ledger already (a retry), by id.
pub(crate) enum Planned {
    /// Not on the ledger: its reservations and content.
    New(Box<Reserved>, Box<RunContent>),
    /// On the ledger already, by id.
    OnLedger(String),
}

/// Plans `household`'s run on `date` against the ledger's state: what [`make`] and
/// [`make_batch`] record.
pub(crate) fn plan(
    state: &State,
    household: HouseholdId,
    date: Date,
    debtor: &Debtor,
    paid: &std::collections::HashSet<String>,
    living_money: LivingMoneyTo,
) -> Result<Planned, RunError> {
    if !knop_huishoudboekje::calendar::is_business_day(date) {
        return Err(RunError::Invalid(format!(
            "date: {date} is not a TARGET2 business day"
        )));
    }
    let snap = crate::views::snapshot(state, household)
        .ok_or_else(|| RunError::Invalid(format!("household {household} is not on the ledger")))?;
    let mut plan = snap.state.plan(snap.id_scope.as_ref(), household, 0);
    if living_money == LivingMoneyTo::OwnAccountInVault {
        // Living money goes to the resident's own account, which the vault holds.
        for a in plan.agreements.iter_mut().filter(|a| {
            a.kind == knop_huishoudboekje::Kind::LivingMoney && a.counterparty_iban.is_none()
        }) {
            a.counterparty_iban = Some(RESIDENT_ACCOUNT.into());
        }
    }
    let already = leave_out_paid(&mut plan, date, paid);
    // The household's own limit on the ledger, else the foundation's default.
    let limit = snap
        .state
        .advance_limit_cents
        .unwrap_or(debtor.advance_limit_cents);
    let mirror = Mirror::of(&debtor.iban.replace(' ', "").to_uppercase());
    let reserved = reserve(state.book(), &plan, household, date, &mirror, limit);
    let mut content = RunContent::new(household, date, &debtor.name, &debtor.iban, &reserved);
    for (id, due) in &already {
        content
            .not_covered
            .push(format!("{id} {due}: al betaald volgens het bankafschrift"));
    }
    // Made again (a retry): the run is on the ledger already.
    if let Some(r) = state.runs().get(&content.run_id) {
        if r.household == household {
            return Ok(Planned::OnLedger(content.run_id));
        }
    }
    leave_out_earlier_runs(state, household, date, &debtor.iban, &mut content)?;
    something_to_pay(&content, date)?;
    Ok(Planned::New(Box::new(reserved), Box::new(content)))
}

/// Leaves the payments that the bank statements show as paid (`paid`, by EndToEndId) out of
/// `plan` for this run: their agreements' occurrence on `date`. Returns them (agreement, due).
fn leave_out_paid(
    plan: &mut Plan,
    date: Date,
    paid: &std::collections::HashSet<String>,
) -> Vec<(String, String)> {
    let already: Vec<(String, String)> = select(plan, date, i64::MAX)
        .items
        .into_iter()
        .filter(|i| paid.contains(i.end_to_end_id.as_str()))
        .map(|i| (i.agreement, i.due.to_string()))
        .collect();
    plan.agreements
        .retain(|a| !already.iter().any(|(id, _)| *id == a.id));
    already
}

/// A payment already in another run of this household is never put in a second file: it is
/// named instead, and the run's id follows what is left. The same payment is the same
/// EndToEndId, or the same agreement and due date (an id made under other rules, by an earlier
/// version, is still the same payment).
fn leave_out_earlier_runs(
    state: &State,
    household: HouseholdId,
    date: Date,
    debtor_iban: &str,
    content: &mut RunContent,
) -> Result<(), RunError> {
    use std::collections::HashMap;
    let mut by_id: HashMap<EndToEndId, String> = HashMap::new();
    let mut by_due: HashMap<(String, String), String> = HashMap::new();
    for v in state
        .runs()
        .values()
        .filter(|r| r.household == household)
        .filter_map(RunView::of)
    {
        for i in v.content.items {
            // An attempt the bank rejected or sent back is made again (under a new id): only a
            // live one makes the same agreement and due date the same payment.
            let live = matches!(
                state.book().payment(&i.end_to_end_id),
                Attempt::Reserved | Attempt::Unknown
            );
            if live {
                by_due.insert(
                    (i.agreement.clone(), i.due.clone()),
                    v.content.run_id.clone(),
                );
            }
            by_id.insert(i.end_to_end_id, v.content.run_id.clone());
        }
    }
    let earlier = |i: &RunItem| {
        by_id
            .get(&i.end_to_end_id)
            .or_else(|| by_due.get(&(i.agreement.clone(), i.due.clone())))
            .cloned()
    };
    if !content.items.iter().any(|i| earlier(i).is_some()) {
        return Ok(());
    }
    let mut kept = vec![];
    for i in std::mem::take(&mut content.items) {
        match earlier(&i) {
            Some(run) => content
                .not_covered
                .push(format!("{} {}: al in run {run}", i.agreement, i.due)),
            None => kept.push(i),
        }
    }
    content.items = kept;
    content.run_id = RunContent::id_of(household, date, debtor_iban, &content.items);
    if content.items.is_empty() {
        return Err(RunError::Invalid(format!(
            "nothing new to pay on {date}: every payment due is in an earlier run"
        )));
    }
    Ok(())
}

/// A run pays something, and no more than a run holds.
fn something_to_pay(content: &RunContent, date: Date) -> Result<(), RunError> {
    if content.items.is_empty() {
        return Err(RunError::Invalid(if content.not_covered.is_empty() {
            format!("nothing to pay on {date}")
        } else {
            format!(
                "nothing to pay on {date}: {}",
                content.not_covered.join("; ")
            )
        }));
    }
    if content.items.len() > RUN_ITEMS_MAX || content.not_covered.len() > RUN_ITEMS_MAX {
        return Err(RunError::Invalid(format!(
            "a run holds at most {RUN_ITEMS_MAX} payments; this one would hold {}",
            content.items.len()
        )));
    }
    Ok(())
}

/// Records the run: its accounts, its reservations (only those of the payments it makes, and
/// its advance) and its record, as one entry, all or nothing, so that a process killed at any
/// moment leaves no reservation without its run.
fn record(
    node: &mut Node,
    key: &NoteKey,
    now_ms: u64,
    household: HouseholdId,
    created_by: &str,
    reserved: Reserved,
    content: RunContent,
) -> Result<RunView, RunError> {
    let run_id = content.run_id.clone();
    let mut parts = kept(reserved, &content).book_parts();
    parts.push(Command::PaymentRun(PaymentRunCommand::Create {
        run_id: run_id.clone(),
        household,
        created_by: created_by.to_owned(),
        content: content.to_bytes(),
    }));
    submit(node, key, now_ms, &Command::Together(parts))
        .map_err(OpError::from)?
        .map_err(OpError::from)?;
    view(node.state(), &run_id)
}

/// The reservations a run records: those of the payments it makes (earlier runs' payments were
/// left out of its content) and its advance.
pub(crate) fn kept(mut reserved: Reserved, content: &RunContent) -> Reserved {
    let keep: std::collections::HashSet<u128> = content
        .items
        .iter()
        .map(|i| payment_id(&i.end_to_end_id))
        .collect();
    let advance_id = (reserved.advanced_cents > 0).then(|| reserved.transfers[0].id);
    reserved
        .transfers
        .retain(|t| keep.contains(&t.id) || Some(t.id) == advance_id);
    reserved
}

/// Money reserved on a household's account that no payment run on the ledger accounts for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unowned {
    /// The household.
    pub household: HouseholdId,
    /// What its account has reserved (pending debits), in cents.
    pub reserved_cents: i64,
    /// What its runs' payments still pending add up to, in cents.
    pub in_runs_cents: i64,
}

/// Every household whose reserved money differs from what its runs still have pending: money
/// locked without a run. A ledger written since runs are one entry has none; one written
/// before may (a run killed between its entries), and `knop log verify` names them.
pub fn unowned_reservations(state: &State) -> Vec<Unowned> {
    let book = state.book();
    let mut in_runs: std::collections::BTreeMap<HouseholdId, i64> = Default::default();
    for r in state.runs().values() {
        let Some(v) = RunView::of(r) else { continue };
        let pending: i64 = v
            .content
            .items
            .iter()
            .filter(|i| {
                book.transfer(payment_id(&i.end_to_end_id))
                    .is_some_and(|t| t.status == knop_book::PendingStatus::Pending)
            })
            .map(|i| i.cents)
            .sum();
        *in_runs.entry(r.household).or_default() += pending;
    }
    state
        .households()
        .keys()
        .filter_map(|&h| {
            let reserved = book
                .account(household_account(h).id)
                .map_or(0, |a| a.debits_pending.0);
            let runs = in_runs.get(&h).copied().unwrap_or(0);
            (reserved != runs).then_some(Unowned {
                household: h,
                reserved_cents: reserved,
                in_runs_cents: runs,
            })
        })
        .collect()
}

/// The view of a recorded run.
pub fn view(state: &State, run_id: &str) -> Result<RunView, RunError> {
    state
        .runs()
        .get(run_id)
        .and_then(RunView::of)
        .ok_or_else(|| RunError::NotFound(run_id.to_owned()))
}

/// Records `by`'s approval of the run's current content.
pub fn approve(
    node: &mut Node,
    key: &NoteKey,
    now_ms: u64,
    run_id: &str,
    by: &str,
) -> Result<Approval, RunError> {
    let run = node
        .state()
        .runs()
        .get(run_id)
        .ok_or_else(|| RunError::NotFound(run_id.to_owned()))?;
    // Approved by this person before (a retry, or a second click): nothing new to record.
    if run.approvals.iter().any(|(b, _)| b == by) {
        return Ok(Approval {
            run: view(node.state(), run_id)?,
            recorded: Recorded::Before,
        });
    }
    let digest = run.content_sha256;
    submit(
        node,
        key,
        now_ms,
        &Command::PaymentRun(PaymentRunCommand::Approve {
            run_id: run_id.to_owned(),
            content_sha256: digest,
            by: by.to_owned(),
        }),
    )
    .map_err(OpError::from)?
    .map_err(OpError::from)?;
    Ok(Approval {
        run: view(node.state(), run_id)?,
        recorded: Recorded::Now,
    })
}

/// An approval, and whether it was recorded now or had been given before by the same person.
#[derive(Debug, Clone)]
pub struct Approval {
    /// The run afterwards.
    pub run: RunView,
    /// Whether this call recorded it.
    pub recorded: Recorded,
}

/// Whether a request recorded something new or found it on the ledger already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// Recorded now, in a new entry.
    Now,
    /// On the ledger already: nothing was written.
    Before,
}

/// The pain.001 of an approved run; `created` is the file's creation time (ISO date-time).
pub fn pain001(
    state: &State,
    run_id: &str,
    version: Version,
    created: &str,
) -> Result<Vec<u8>, RunError> {
    let v = view(state, run_id)?;
    if !v.approved {
        return Err(RunError::NotApproved(run_id.to_owned()));
    }
    in_no_day_file(state, run_id)?;
    write_pain(&v.content, version, created)
}

/// What creditors collect from `household` on the date of a run (direct debits): a run leaves
/// them out, and the cockpit lists them with the run, by the agreements' names:
/// (name, due date, cents).
pub fn collected_by_creditors(
    state: &State,
    household: HouseholdId,
    date: Date,
) -> Vec<(String, Date, i64)> {
    let Some(h) = state.households().get(&household) else {
        return vec![];
    };
    let plan = h.plan(state.id_scope(), household, 0);
    knop_huishoudboekje::payrun::collected(&plan, date)
        .into_iter()
        .map(|(id, due, cents)| {
            let name = h
                .agreements
                .get(&id)
                .and_then(|a| a.label.clone())
                .unwrap_or(id);
            (name, due, cents)
        })
        .collect()
}

/// Refuses a run that is part of a day file: it is paid in the day file's payment file only.
pub fn in_no_day_file(state: &State, run_id: &str) -> Result<(), RunError> {
    match state.runs().get(run_id).and_then(|r| r.batch.clone()) {
        Some(day_file) => Err(RunError::InDayFile {
            run: run_id.to_owned(),
            day_file,
        }),
        None => Ok(()),
    }
}

/// Writes a run's content as pain.001 (the caller checks the approval).
pub fn write_pain(c: &RunContent, version: Version, created: &str) -> Result<Vec<u8>, RunError> {
    write_pains(&c.run_id, std::slice::from_ref(c), version, created)
}

/// Writes the contents of runs for one date and account as one pain.001 named `message_id`
/// (a day file's runs; or one run); the caller checks the approvals.
pub fn write_pains(
    message_id: &str,
    contents: &[RunContent],
    version: Version,
    created: &str,
) -> Result<Vec<u8>, RunError> {
    let items = || contents.iter().flat_map(|c| &c.items);
    if items().any(|i| i.creditor_iban == RESIDENT_ACCOUNT) {
        return Err(RunError::Invalid(
            "the resident's own account is not filled in (it comes from the personal-data vault)"
                .into(),
        ));
    }
    let Some(first) = contents.first().filter(|_| items().next().is_some()) else {
        return Err(RunError::Invalid("the run has no payments".into()));
    };
    if contents
        .iter()
        .any(|c| c.date != first.date || c.debtor_iban != first.debtor_iban)
    {
        return Err(RunError::Invalid(
            "the runs of one payment file have one date and one paying account".into(),
        ));
    }
    let run = Run {
        message_id: message_id.to_owned(),
        created: created.to_owned(),
        execution_date: first.date.clone(),
        debtor_name: first.debtor_name.clone(),
        debtor_iban: first.debtor_iban.clone(),
        debtor_bic: None,
        payments: items()
            .map(|i| Payment {
                end_to_end_id: i.end_to_end_id.clone(),
                cents: i.cents,
                creditor_name: i.creditor_name.clone(),
                creditor_iban: i.creditor_iban.clone(),
                creditor_bic: None,
                remittance: i.remittance.clone(),
            })
            .collect(),
    };
    pain001::write(&run, version).map_err(|e| RunError::Invalid(e.to_string()))
}
