//! Day files: one execution date for a counsellor's whole caseload. A counsellor with 80
//! households does not make, and a supervisor does not approve, 80 runs one by one: the day
//! file makes every household's run for the date in **one ledger entry** (all reservations and
//! all runs, or nothing), a second person approves them all at once (one entry), and the bank
//! gets one pain.001 with one payment block. Each run in it is a run as [`crate::payrun::make`]
//! makes it (same ids, same reservations), so statements, status reports and returns find their
//! payments the same way; a run of a day file is paid only in the day file's payment file.

use jiff::civil::Date;
use knop_bank::pain001::Version;
use knop_huishoudboekje::HouseholdId;
use knop_ledger::note::NoteKey;
use knop_node::Node;
use knop_state::{BatchRun, Command, PaymentRunCommand, State};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::ops::{submit, OpError};
use crate::payrun::{
    kept, plan, view, Debtor, LivingMoneyTo, Planned, Recorded, RunContent, RunError, RunView,
};

/// Most bytes of run content in one day file: the entry that records it stays well below the
/// ledger's limit for one entry (16 MiB).
pub const DAY_FILE_CONTENT_BYTES_MAX: usize = 8 * 1024 * 1024;

/// A day file as the API and the cockpit show it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DayFileView {
    /// Its id (`KNOP-DAG-…`): the payment file's MsgId.
    pub id: String,
    /// The execution date (ISO 8601).
    pub date: String,
    /// Who made it.
    pub created_by: String,
    /// Who approved all of it.
    pub approved_by: Vec<String>,
    /// Whether a second person approved every run (then its payment file can be written).
    pub approved: bool,
    /// SHA-256 of what an approval covers (hex).
    pub sha256: String,
    /// The log index of the entry that recorded it.
    pub entry: u64,
    /// How many payments, in all runs.
    pub payments: usize,
    /// What it pays, in cents.
    pub total_cents: i64,
    /// Its runs, one per household.
    pub runs: Vec<RunView>,
}

/// A household of the caseload that has no run in the day file, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LeftOut {
    /// The household (its id, as the API writes ids).
    pub household: String,
    /// Why, in Dutch.
    pub why: String,
}

/// What making a day file did.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Made {
    /// The day file.
    pub day_file: DayFileView,
    /// The households without a run in it, with why.
    pub left_out: Vec<LeftOut>,
    /// Whether it was recorded now or was on the ledger already (a retry).
    #[serde(skip)]
    pub recorded: Option<Recorded>,
}

/// The view of a day file on the ledger.
pub fn view_of(state: &State, id: &str) -> Result<DayFileView, RunError> {
    let b = state
        .batches()
        .get(id)
        .ok_or_else(|| RunError::NotFound(id.to_owned()))?;
    let runs: Vec<RunView> = b
        .runs
        .iter()
        .map(|r| view(state, r))
        .collect::<Result<_, _>>()?;
    let approvers: Vec<String> = runs
        .first()
        .map(|r| r.approved_by.clone())
        .unwrap_or_default()
        .into_iter()
        .filter(|by| runs.iter().all(|r| r.approved_by.contains(by)))
        .collect();
    Ok(DayFileView {
        id: id.to_owned(),
        date: runs
            .first()
            .map(|r| r.content.date.clone())
            .unwrap_or_default(),
        created_by: b.created_by.clone(),
        approved: runs.iter().all(|r| r.approved),
        approved_by: approvers,
        sha256: b.sha256.iter().map(|x| format!("{x:02x}")).collect(),
        entry: b.index,
        payments: runs.iter().map(|r| r.content.items.len()).sum(),
        total_cents: runs.iter().map(|r| r.total_cents).sum(),
        runs,
    })
}

/// The id of the day file of `runs` on `date` from `debtor_iban`: `KNOP-DAG-<yyyymmdd>-<hex>`,
/// from the date, the account and the runs' ids, so making the same day file again gives the
/// same id.
pub fn id_of(date: Date, debtor_iban: &str, runs: &[&str]) -> String {
    let mut h = Sha256::new();
    h.update(b"knop/day-file-id/v1\0");
    h.update(date.to_string());
    h.update(debtor_iban);
    for r in runs {
        h.update((r.len() as u64).to_be_bytes());
        h.update(r);
    }
    let hex: String = h.finalize()[..5]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("KNOP-DAG-{}-{hex}", date.strftime("%Y%m%d"))
}

/// Where a day file's living money goes: as for a run ([`LivingMoneyTo`]), and, when it goes to
/// the resident's own account, whether the vault knows that account for a household (one
/// without it is left out: its payment file could not be written).
#[derive(Clone, Copy)]
pub struct LivingMoney<'a> {
    /// Where it goes.
    pub to: LivingMoneyTo,
    /// Whether the household's own account is known (only asked with
    /// [`LivingMoneyTo::OwnAccountInVault`]).
    pub own_account_known: &'a dyn Fn(HouseholdId) -> bool,
}

/// Makes the day file for `households` on `date` by `created_by`: every household's run, as
/// one entry. A household with nothing to pay, that withdrew, whose own account for living
/// money is not known, or with its run for the date on the ledger already, is left out and
/// said why. Made again (a retry), it returns the day file on the ledger and writes nothing.
#[allow(clippy::too_many_arguments)]
pub fn make(
    node: &mut Node,
    key: &NoteKey,
    now_ms: u64,
    households: &[HouseholdId],
    date: Date,
    created_by: &str,
    debtor: &Debtor,
    paid: &std::collections::HashSet<String>,
    living_money: LivingMoney<'_>,
) -> Result<Made, RunError> {
    // The date is the same for all: said once, as for a single run.
    if !knop_huishoudboekje::calendar::is_business_day(date) {
        return Err(RunError::Invalid(format!(
            "date: {date} is not a TARGET2 business day"
        )));
    }
    let state = node.state();
    let mut new: Vec<(HouseholdId, crate::payrun::Reserved, RunContent)> = vec![];
    let mut left_out = vec![];
    let mut earlier_files = std::collections::BTreeSet::new();
    for &h in households {
        let leave = |why: &str| LeftOut {
            household: h.to_string(),
            why: why.to_owned(),
        };
        if !state
            .households()
            .get(&h)
            .is_some_and(|x| x.active_at(now_ms))
        {
            left_out.push(leave(
                "heeft zich afgemeld of staat niet in het grootboek; er wordt niets betaald",
            ));
            continue;
        }
        match plan(state, h, date, debtor, paid, living_money.to) {
            Ok(Planned::New(_, content))
                if living_money.to == LivingMoneyTo::OwnAccountInVault
                    && content
                        .items
                        .iter()
                        .any(|i| i.creditor_iban == crate::payrun::RESIDENT_ACCOUNT)
                    && !(living_money.own_account_known)(h) =>
            {
                left_out.push(leave(
                    "geen eigen rekeningnummer bekend voor het leefgeld: vul het in bij de persoonsgegevens",
                ));
            }
            Ok(Planned::New(reserved, content)) => {
                let reserved = kept(*reserved, &content);
                new.push((h, reserved, *content));
            }
            Ok(Planned::OnLedger(run_id)) => {
                match state.runs().get(&run_id).and_then(|r| r.batch.clone()) {
                    Some(b) => {
                        earlier_files.insert(b);
                    }
                    None => left_out.push(LeftOut {
                        household: h.to_string(),
                        why: format!("heeft al een eigen run voor deze datum ({run_id})"),
                    }),
                }
            }
            Err(RunError::Invalid(why)) => left_out.push(LeftOut {
                household: h.to_string(),
                why: dutch(&why),
            }),
            Err(e) => return Err(e),
        }
    }
    if new.is_empty() {
        // Made before (a retry): the day file its runs are in.
        if let Some(id) = earlier_files.iter().next() {
            return Ok(Made {
                day_file: view_of(state, id)?,
                left_out,
                recorded: Some(Recorded::Before),
            });
        }
        let nothing = left_out
            .iter()
            .filter(|l| l.why.starts_with("niets te betalen"))
            .count();
        let own = left_out
            .iter()
            .filter(|l| l.why.starts_with("heeft al een eigen run"))
            .count();
        let other = left_out.len() - nothing - own;
        return Err(RunError::Invalid(format!(
            "nothing to pay on {date} for any of the {} households: {nothing} have nothing due \
             or it was paid already, {own} have a run of their own for the date, {other} other \
             (niets te betalen op {date} voor de {} huishoudens)",
            households.len(),
            households.len()
        )));
    }
    if new.len() > knop_state::BATCH_RUNS_MAX {
        return Err(RunError::Invalid(format!(
            "a day file holds at most {} runs; this one would hold {}: make it for part of the caseload",
            knop_state::BATCH_RUNS_MAX,
            new.len()
        )));
    }
    let runs: Vec<BatchRun> = new
        .iter()
        .map(|(h, _, c)| BatchRun {
            run_id: c.run_id.clone(),
            household: *h,
            content: c.to_bytes(),
        })
        .collect();
    let bytes: usize = runs.iter().map(|r| r.content.len()).sum();
    if bytes > DAY_FILE_CONTENT_BYTES_MAX {
        return Err(RunError::Invalid(format!(
            "a day file holds at most {DAY_FILE_CONTENT_BYTES_MAX} bytes of runs; this one would hold {bytes}: make it for part of the caseload"
        )));
    }
    let ids: Vec<&str> = runs.iter().map(|r| r.run_id.as_str()).collect();
    let id = id_of(date, &debtor.iban, &ids);
    let mut accounts = vec![];
    let mut seen = std::collections::HashSet::new();
    let mut transfers = vec![];
    for (_, r, _) in new {
        accounts.extend(r.accounts.into_iter().filter(|a| seen.insert(a.id)));
        transfers.extend(r.transfers);
    }
    let mut parts = vec![];
    if !accounts.is_empty() {
        parts.push(Command::CreateAccounts(accounts));
    }
    if !transfers.is_empty() {
        parts.push(Command::CreateTransfers(transfers));
    }
    parts.push(Command::PaymentRun(PaymentRunCommand::CreateBatch {
        batch_id: id.clone(),
        created_by: created_by.to_owned(),
        runs,
    }));
    submit(node, key, now_ms, &Command::Together(parts))
        .map_err(OpError::from)?
        .map_err(OpError::from)?;
    Ok(Made {
        day_file: view_of(node.state(), &id)?,
        left_out,
        recorded: Some(Recorded::Now),
    })
}

/// The reasons a run is not made, in the Dutch a counsellor reads in the list of households
/// left out.
fn dutch(why: &str) -> String {
    if why.starts_with("nothing new to pay") {
        "niets nieuws te betalen: alles wat deze dag betaald moet worden, zit al in een eerdere run"
            .into()
    } else if why.starts_with("nothing to pay") {
        match why.split_once(": ") {
            Some((_, details)) => format!("niets te betalen op deze datum: {details}"),
            None => "niets te betalen op deze datum".into(),
        }
    } else if why.starts_with("a run holds at most") {
        format!("te veel betalingen voor één run ({why})")
    } else if why.contains("is not on the ledger") {
        "staat niet in het grootboek".into()
    } else {
        why.to_owned()
    }
}

/// Records `by`'s approval of every run of the day file `id` (one entry); approved by `by`
/// before, it records nothing.
pub fn approve(
    node: &mut Node,
    key: &NoteKey,
    now_ms: u64,
    id: &str,
    by: &str,
) -> Result<(DayFileView, Recorded), RunError> {
    let v = view_of(node.state(), id)?;
    if v.approved_by.iter().any(|b| b == by) {
        return Ok((v, Recorded::Before));
    }
    let sha256 = node
        .state()
        .batches()
        .get(id)
        .map(|b| b.sha256)
        .ok_or_else(|| RunError::NotFound(id.to_owned()))?;
    submit(
        node,
        key,
        now_ms,
        &Command::PaymentRun(PaymentRunCommand::ApproveBatch {
            batch_id: id.to_owned(),
            batch_sha256: sha256,
            by: by.to_owned(),
        }),
    )
    .map_err(OpError::from)?
    .map_err(OpError::from)?;
    Ok((view_of(node.state(), id)?, Recorded::Now))
}

/// The contents of an approved day file's runs, for its payment file
/// ([`crate::payrun::write_pains`] with the day file's id as MsgId).
pub fn contents(state: &State, id: &str) -> Result<Vec<RunContent>, RunError> {
    let v = view_of(state, id)?;
    if !v.approved {
        return Err(RunError::NotApproved(id.to_owned()));
    }
    Ok(v.runs.into_iter().map(|r| r.content).collect())
}

/// The day file's payment file, when none of its runs pays the resident's own account (that
/// IBAN comes from the vault: the service fills it in, [`contents`]).
pub fn pain001(
    state: &State,
    id: &str,
    version: Version,
    created: &str,
) -> Result<Vec<u8>, RunError> {
    crate::payrun::write_pains(id, &contents(state, id)?, version, created)
}

/// The day files, newest first.
pub fn list(state: &State) -> Vec<DayFileView> {
    let mut out: Vec<DayFileView> = state
        .batches()
        .keys()
        .filter_map(|id| view_of(state, id).ok())
        .collect();
    out.sort_by_key(|d| std::cmp::Reverse(d.entry));
    out
}
