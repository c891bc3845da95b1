//! Bank lines that no household took (unknown, or fitting more than one): the suspense a
//! counsellor works through, with suggestions explained in Dutch.

use std::sync::Arc;

use knop_huishoudboekje::HouseholdId;
use knop_state::State;
use serde::Serialize;

use crate::access::Role;
use crate::statements::Stored;

/// A suggestion for a suspense line: a household whose agreements (nearly) fit, and why.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Suggestion {
    /// The household.
    pub household: String,
    /// The agreement(s) it would be.
    pub agreement: String,
    /// Why, in Dutch.
    pub reason: String,
    /// Whether it fits fully (else only partly: a person must judge).
    pub fits: bool,
}

/// A statement line no household took: unknown, or fitting more than one.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SuspenseLine {
    /// The line's id (for the assignment).
    pub id: String,
    /// The booking date (ISO 8601).
    pub date: Option<String>,
    /// Signed cents: money in positive.
    pub amount_cents: i64,
    /// The other party's name, as the bank gives it.
    pub counterparty_name: Option<String>,
    /// The other party's IBAN.
    pub counterparty_iban: Option<String>,
    /// The remittance information.
    pub remittance: Option<String>,
    /// The EndToEndId, if any.
    pub end_to_end_id: Option<String>,
    /// Households of the caller's caseload that (nearly) fit, best first.
    pub suggestions: Vec<Suggestion>,
    /// What the line seems to be to the foundation itself (interest, bank costs), when the bank's
    /// transaction code or a line from the bank itself says so ([`own_purpose`]).
    pub foundation: Option<knop_huishoudboekje::booking::OwnPurpose>,
}

/// What `entry` seems to be to the foundation itself: the bank's transaction code when it names
/// interest or charges ([`OwnPurpose::from_bank_code`]); else, for a line from the bank itself
/// (no other party's IBAN), the words of its description ("rente", "kosten", ...). A person
/// decides; this is only offered first.
///
/// [`OwnPurpose::from_bank_code`]: knop_huishoudboekje::booking::OwnPurpose::from_bank_code
pub fn own_purpose(
    entry: &knop_bank::camt053::Entry,
) -> Option<knop_huishoudboekje::booking::OwnPurpose> {
    use knop_huishoudboekje::booking::OwnPurpose;
    if let Some(p) = entry
        .bank_code
        .as_deref()
        .and_then(OwnPurpose::from_bank_code)
    {
        return Some(p);
    }
    if entry.details.iter().any(|d| d.counterparty_iban.is_some()) {
        return None;
    }
    let text: String = entry
        .details
        .iter()
        .filter_map(|d| d.remittance.as_deref())
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| text.contains(w));
    if has(&["rente", "interest"]) {
        Some(OwnPurpose::Interest)
    } else if has(&["kosten", "provisie", "fee", "charge", "abonnement"]) {
        Some(OwnPurpose::BankCosts)
    } else {
        None
    }
}

/// A line of a kept statement that is still in suspense.
#[derive(Clone)]
pub struct FoundLine {
    /// The statement it is in.
    pub stored: Arc<Stored>,
    /// Its position: (statement, entry).
    pub pos: (usize, usize),
    /// The transfer that imported it into suspense.
    pub imported: knop_book::Transfer,
}

/// Every imported line of the kept statements that is still in suspense, once: two kept files
/// that hold the same bank entry (the same AcctSvcrRef, one imported transfer) list it once.
fn suspense_lines(book: &knop_book::Book, statements: &[Arc<Stored>]) -> Vec<FoundLine> {
    let mut out = vec![];
    let mut seen = std::collections::HashSet::new();
    for st in statements {
        for (t, pos) in st.plan.transfers.iter().zip(&st.plan.lines) {
            let entry = &st.file.statements[pos.0].entries[pos.1];
            if book.transfer(t.id).is_some()
                && seen.insert(t.id)
                && !crate::ops::line_settled(book, &st.plan.mirror, t, entry)
            {
                out.push(FoundLine {
                    stored: st.clone(),
                    pos: *pos,
                    imported: *t,
                });
            }
        }
    }
    out
}

/// Most lines on one page of [`lines`].
pub const PAGE_SIZE_MAX: usize = 500;

/// One page of the lines in suspense.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page {
    /// The lines of this page, oldest first.
    pub lines: Vec<SuspenseLine>,
    /// Lines in suspense in all.
    pub total: usize,
}

/// The lines in suspense, oldest first, `page` (from 1) of `page_size` lines
/// (1..=[`PAGE_SIZE_MAX`]), with explained suggestions from the households `role` may see (the
/// caller checks that `role` may work on suspense at all). Suggestions are worked out for the
/// page's lines only.
pub fn lines(
    st: &State,
    statements: &[Arc<Stored>],
    role: &Role,
    today: jiff::civil::Date,
    (page, page_size): (usize, usize),
) -> Page {
    let plans: Vec<(HouseholdId, knop_huishoudboekje::Plan)> = st
        .households()
        .iter()
        .filter(|(id, h)| role.may_see_household(**id, &h.counsellor))
        .map(|(id, h)| (*id, h.plan(st.id_scope(), *id, 0)))
        .collect();
    let mut found: Vec<(Option<jiff::civil::Date>, FoundLine)> =
        suspense_lines(st.book(), statements)
            .into_iter()
            .map(|f| {
                let entry = &f.stored.file.statements[f.pos.0].entries[f.pos.1];
                (crate::matching::line_of(entry).date, f)
            })
            .collect();
    found.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.imported.id.cmp(&b.1.imported.id)));
    let total = found.len();
    let size = page_size.clamp(1, PAGE_SIZE_MAX);
    let start = page.max(1).saturating_sub(1).saturating_mul(size);
    let mut out = vec![];
    for (_, f) in found.into_iter().skip(start).take(size) {
        let entry = &f.stored.file.statements[f.pos.0].entries[f.pos.1];
        let line = crate::matching::line_of(entry);
        let week = jiff::Span::new().days(7);
        let around = line.date.unwrap_or(today);
        let mut suggestions = vec![];
        for (h, plan) in &plans {
            let own = crate::matching::own_payments_on(
                Some(st.book()),
                plan,
                around.saturating_sub(week),
                around.saturating_add(week),
            );
            let m = knop_huishoudboekje::matching::match_line(&line, plan, &own);
            let fits = !matches!(m, knop_huishoudboekje::matching::Match::Suspense { .. });
            let (agreement, reason) = crate::matching::explain(&m);
            if fits || !agreement.is_empty() {
                suggestions.push(Suggestion {
                    household: h.to_string(),
                    agreement,
                    reason,
                    fits,
                });
            }
        }
        suggestions.sort_by_key(|s| !s.fits);
        suggestions.truncate(5);
        let d = entry.details.first();
        out.push(SuspenseLine {
            id: format!("{:032x}", f.imported.id),
            date: line.date.map(|d| d.to_string()),
            amount_cents: entry.cents,
            counterparty_name: d.and_then(|d| d.counterparty_name.as_deref().map(String::from)),
            counterparty_iban: d.and_then(|d| d.counterparty_iban.as_deref().map(String::from)),
            remittance: d.and_then(|d| d.remittance.as_deref().map(String::from)),
            end_to_end_id: d.and_then(|d| d.end_to_end_id.as_deref().map(String::from)),
            suggestions,
            foundation: own_purpose(entry),
        });
    }
    Page { lines: out, total }
}

/// The suspense line with id `line_id` (its import transfer's id, 32 hex digits), if it is still
/// in suspense.
pub fn find(
    book: &knop_book::Book,
    statements: &[Arc<Stored>],
    line_id: &str,
) -> Option<FoundLine> {
    suspense_lines(book, statements)
        .into_iter()
        .find(|f| format!("{:032x}", f.imported.id) == line_id)
}
