//! A household's debts as the resident and the counsellor read them: what is left in all, per
//! claim and creditor, its status and what changed last. Computed from the claims on the ledger
//! (`knop_state::debts`); what may be recorded is checked by [`crate::ledger_text::check_claim`].

use jiff::civil::Date;
use knop_huishoudboekje::HouseholdId;
use knop_state::{ClaimState, ClaimStatus, EventKind, State};
use serde::Serialize;

/// The last thing that happened to a claim.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LastChange {
    /// When (ISO 8601).
    pub date: String,
    /// What (`costs`, `interest`, `payment`, `reminder`, `summons`, `withdrawn`, `forgiven`,
    /// `arrangement`, or `opened`).
    pub kind: String,
    /// Its amount, in cents.
    pub cents: i64,
}

/// One claim, as a person reads it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClaimView {
    /// The claim's id.
    pub id: String,
    /// The creditor's name.
    pub creditor: String,
    /// Whether the creditor is an organisation on the ledger (it records its own events).
    pub creditor_on_ledger: bool,
    /// The creditor's reference.
    pub reference: String,
    /// The original amount, in cents.
    pub principal_cents: i64,
    /// Costs added (collection costs, reminders, summonses), in cents.
    pub costs_cents: i64,
    /// Interest added, in cents.
    pub interest_cents: i64,
    /// Paid, in cents.
    pub paid_cents: i64,
    /// Forgiven or withdrawn, in cents.
    pub forgiven_cents: i64,
    /// What is left, in cents.
    pub left_cents: i64,
    /// `open`, `arrangement`, `settled` or `forgiven`.
    pub status: String,
    /// The monthly instalment of the latest arrangement, in cents, if one.
    pub arrangement_cents: Option<i64>,
    /// When it was imposed (ISO 8601).
    pub since: String,
    /// What changed last.
    pub last_change: LastChange,
    /// The creditor's hold, if it recorded one.
    pub hold: Option<HoldView>,
    /// Costs, interest or collection the creditor recorded while its hold paused them: each
    /// is an alert for the counsellor.
    pub during_hold: Vec<LastChange>,
}

/// A creditor's hold on a claim, as people read it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HoldView {
    /// First day (ISO 8601).
    pub from: String,
    /// Last day (ISO 8601), or the day before it was ended early.
    pub until: String,
    /// What it pauses (`collection`, `costs`, `interest`).
    pub pauses: Vec<String>,
    /// Whether it holds today (not ended, and its declaration holds).
    pub active: bool,
    /// Whether the creditor ended it early.
    pub ended: bool,
    /// The declaration it relies on (hex id).
    pub declaration: String,
}

/// A household's debts.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DebtsView {
    /// Claims on hold today.
    pub on_hold: usize,
    /// Events recorded during a hold that paused them (alerts), over all claims.
    pub alerts: usize,
    /// What is left of all claims, in cents.
    pub left_cents: i64,
    /// Creditors with something left.
    pub creditors_open: usize,
    /// Every claim, most left first (settled ones last).
    pub claims: Vec<ClaimView>,
}

fn status_name(s: ClaimStatus) -> &'static str {
    match s {
        ClaimStatus::Open => "open",
        ClaimStatus::Arrangement => "arrangement",
        ClaimStatus::Settled => "settled",
        ClaimStatus::Forgiven => "forgiven",
    }
}

fn view(state: &State, id: &str, c: &ClaimState, today: Date) -> ClaimView {
    let total = |kinds: &[EventKind]| kinds.iter().map(|k| c.total_cents(*k)).sum::<i64>();
    let last = c
        .events
        .values()
        .max_by_key(|e| (e.date, e.index))
        .map(|e| LastChange {
            date: e.date.to_string(),
            kind: e.kind.name().into(),
            cents: e.cents,
        })
        .unwrap_or(LastChange {
            date: c.date.to_string(),
            kind: "opened".into(),
            cents: c.principal_cents,
        });
    let arrangement = c
        .events
        .values()
        .filter(|e| e.kind == EventKind::Arrangement)
        .max_by_key(|e| (e.date, e.index))
        .map(|e| e.cents);
    let hold = c.hold.as_ref().map(|h| {
        let d = state.declarations().get(&h.declaration);
        let last = match h.ended {
            Some(e) => e.yesterday().unwrap_or(e).min(h.until),
            None => h.until,
        };
        HoldView {
            from: h.from.to_string(),
            until: d.map_or(last, |d| last.min(d.until)).to_string(),
            pauses: h.pauses.names().into_iter().map(str::to_owned).collect(),
            active: h.covers(today, d),
            ended: h.ended.is_some(),
            declaration: crate::declarations::hex(&h.declaration),
        }
    });
    // Every hold the creditor recorded, the replaced ones too: replacing a hold does not hide
    // what was added during the earlier one.
    let mut during_hold: Vec<LastChange> = c
        .events
        .values()
        .filter(|e| {
            c.earlier_holds.iter().chain(&c.hold).any(|h| {
                let d = state.declarations().get(&h.declaration);
                h.pauses.covers(e.kind, e.cents) && h.covered(e.date, d)
            })
        })
        .map(|e| LastChange {
            date: e.date.to_string(),
            kind: e.kind.name().into(),
            cents: e.cents,
        })
        .collect();
    during_hold.sort_by(|a, b| a.date.cmp(&b.date));
    ClaimView {
        hold,
        during_hold,
        id: id.to_owned(),
        creditor: c.creditor.name().to_owned(),
        creditor_on_ledger: matches!(c.creditor, knop_state::Creditor::Org(_)),
        reference: c.reference.clone(),
        principal_cents: c.principal_cents,
        costs_cents: total(&[EventKind::Costs, EventKind::Reminder, EventKind::Summons]),
        interest_cents: c.total_cents(EventKind::Interest),
        paid_cents: c.total_cents(EventKind::Payment),
        forgiven_cents: total(&[EventKind::Forgiven, EventKind::Withdrawn]),
        left_cents: c.left_cents(),
        status: status_name(c.status()).into(),
        arrangement_cents: arrangement,
        since: c.date.to_string(),
        last_change: last,
    }
}

/// `household`'s debts, on `today`.
pub fn of_household(state: &State, household: HouseholdId, today: Date) -> DebtsView {
    let mut claims: Vec<ClaimView> = state
        .claims()
        .iter()
        .filter(|(_, c)| c.household == household)
        .map(|(id, c)| view(state, id, c, today))
        .collect();
    claims.sort_by(|a, b| b.left_cents.cmp(&a.left_cents).then(a.id.cmp(&b.id)));
    let mut open: Vec<&str> = claims
        .iter()
        .filter(|c| c.left_cents > 0)
        .map(|c| c.creditor.as_str())
        .collect();
    open.sort_unstable();
    open.dedup();
    DebtsView {
        on_hold: claims
            .iter()
            .filter(|c| c.hold.as_ref().is_some_and(|h| h.active))
            .count(),
        alerts: claims.iter().map(|c| c.during_hold.len()).sum(),
        left_cents: claims.iter().map(|c| c.left_cents).sum(),
        creditors_open: open.len(),
        claims,
    }
}

/// The claim `id` and its household, if it is on the ledger, on `today`.
pub fn claim(state: &State, id: &str, today: Date) -> Option<(HouseholdId, ClaimView)> {
    state
        .claims()
        .get(id)
        .map(|c| (c.household, view(state, id, c, today)))
}

/// The claims of creditor `org` (an organisation on the ledger), with their households.
pub fn of_creditor(state: &State, org: &str, today: Date) -> Vec<(HouseholdId, ClaimView)> {
    state
        .claims()
        .iter()
        .filter(|(_, c)| matches!(&c.creditor, knop_state::Creditor::Org(o) if o.as_str() == org))
        .map(|(id, c)| (c.household, view(state, id, c, today)))
        .collect()
}
