//! Matching bank statement lines to households' agreements: one implementation for the CLI
//! (`knop bank match`, `knop alerts`, the simulation) and the service (uploads, suspense).

use knop_huishoudboekje::matching::{
    alerts, match_line, own_payments, own_payments_and_attempts, Line, Match,
};

/// A statement entry as a line to match.
pub fn line_of(e: &knop_bank::camt053::Entry) -> Line {
    let d = e.details.first();
    Line {
        date: e
            .booking_date
            .as_deref()
            .and_then(|t| t.get(..10))
            .and_then(|t| t.parse().ok()),
        cents: e.cents,
        end_to_end_id: d.and_then(|d| d.end_to_end_id.as_deref().map(String::from)),
        mandate_id: d.and_then(|d| d.mandate_id.as_deref().map(String::from)),
        creditor_id: d.and_then(|d| d.creditor_id.as_deref().map(String::from)),
        counterparty_iban: d.and_then(|d| d.counterparty_iban.as_deref().map(String::from)),
        remittance: d.and_then(|d| d.remittance.as_deref().map(String::from)),
        reversal: e.reversal,
        return_reason: d.and_then(|d| d.return_reason.as_deref().map(String::from)),
    }
}

/// The (statement, entry) positions of the booked entries, in file order: the lines knop
/// matches and numbers.
pub fn booked_positions(file: &knop_bank::camt053::File) -> Vec<(usize, usize)> {
    file.statements
        .iter()
        .enumerate()
        .flat_map(|(si, s)| {
            s.entries
                .iter()
                .enumerate()
                .filter(|(_, e)| e.status == "BOOK")
                .map(move |(ei, _)| (si, ei))
        })
        .collect()
}

/// The outcome of matching a statement: where each booked line is in the file, the lines with
/// their matches, and the alerts.
pub struct Matched {
    /// (statement, entry) of each line.
    pub positions: Vec<(usize, usize)>,
    /// The lines and what they matched.
    pub lines: Vec<(Line, Match)>,
    /// The alerts up to the day judged on.
    pub alerts: Vec<knop_huishoudboekje::matching::Alert>,
}

/// The day matching looks back to: the first line's booking date, or `today` if earlier.
pub fn first_day(lines: &[Line], today: jiff::civil::Date) -> jiff::civil::Date {
    lines
        .iter()
        .filter_map(|l| l.date)
        .min()
        .unwrap_or(today)
        .min(today)
}

/// The due dates whose payments a statement's lines may carry: from a week before its first
/// line (see [`first_day`]) to a week after `today`.
pub fn own_payment_window(
    lines: &[Line],
    today: jiff::civil::Date,
) -> (jiff::civil::Date, jiff::civil::Date) {
    let week = jiff::Span::new().days(7);
    (
        first_day(lines, today).saturating_sub(week),
        today.saturating_add(week),
    )
}

/// The EndToEndIds `plan` pays with due dates in `from..=through`, with the agreement each
/// pays, and the later attempts of those payments that `book` holds reservations for (a
/// rejected or returned payment is made again under a new id).
pub fn own_payments_on(
    book: Option<&knop_book::Book>,
    plan: &knop_huishoudboekje::Plan,
    from: jiff::civil::Date,
    through: jiff::civil::Date,
) -> knop_huishoudboekje::matching::OwnPayments {
    match book {
        Some(book) => own_payments_and_attempts(plan, from, through, |id| {
            book.transfer(knop_huishoudboekje::booking::payment_id(id))
                .is_some()
        }),
        None => own_payments(plan, from, through),
    }
}

/// Matches every booked line of `file` against `plan` and finds the alerts up to `today`. With
/// the ledger's `book`, a line carrying a retried payment's EndToEndId is known as the
/// household's own payment too.
pub fn match_file(
    file: &knop_bank::camt053::File,
    plan: &knop_huishoudboekje::Plan,
    today: jiff::civil::Date,
    book: Option<&knop_book::Book>,
) -> Matched {
    let positions = booked_positions(file);
    let lines: Vec<Line> = positions
        .iter()
        .map(|&(si, ei)| line_of(&file.statements[si].entries[ei]))
        .collect();
    let from = first_day(&lines, today);
    let (window_from, through) = own_payment_window(&lines, today);
    let own = own_payments_on(book, plan, window_from, through);
    let matched: Vec<(Line, Match)> = lines
        .into_iter()
        .map(|l| {
            let m = match_line(&l, plan, &own);
            (l, m)
        })
        .collect();
    let found = alerts(plan, &matched, from, today);
    Matched {
        positions,
        lines: matched,
        alerts: found,
    }
}

/// A match's kind, as the CLI and the API name it: `own_payment`, `returned`, `direct_debit`,
/// `direct_debit_refund`, `income (due DATE)`, `suspense`.
pub fn kind(m: &Match) -> String {
    match m {
        Match::OwnPayment { .. } => "own_payment".into(),
        Match::Returned { .. } => "returned".into(),
        Match::DirectDebit { .. } => "direct_debit".into(),
        Match::DirectDebitRefund { .. } => "direct_debit_refund".into(),
        Match::Income { due, .. } => format!("income (due {due})"),
        Match::Suspense { .. } => "suspense".into(),
    }
}

/// A match in words: the agreement(s) it concerns and why, in Dutch.
pub fn explain(m: &Match) -> (String, String) {
    match m {
        Match::OwnPayment { agreement } => (
            agreement.clone(),
            "eigen betaling van knop (EndToEndId)".into(),
        ),
        Match::Returned { agreement, reason } => (
            agreement.clone(),
            format!(
                "teruggeboekte betaling, reden {}",
                reason.as_deref().unwrap_or("onbekend")
            ),
        ),
        Match::DirectDebit {
            agreement,
            problems,
        } => (
            agreement.clone(),
            if problems.is_empty() {
                "incasso volgens machtiging".into()
            } else {
                format!(
                    "incasso volgens machtiging; let op: {}",
                    problems.join("; ")
                )
            },
        ),
        Match::DirectDebitRefund { agreement } => (
            agreement.clone(),
            "teruggeboekte incasso (machtiging van deze afspraak)".into(),
        ),
        Match::Income {
            agreement,
            due,
            problems,
        } => (
            agreement.clone(),
            if problems.is_empty() {
                format!("inkomen van {due}: IBAN, omschrijving en bedrag kloppen")
            } else {
                format!("inkomen van {due}; let op: {}", problems.join("; "))
            },
        ),
        Match::Suspense { reason, candidates } => (candidates.join(", "), reason.clone()),
    }
}

/// Where the households' plans come from when matching: the service takes them from the
/// ledger's state, the month-end benchmark makes them from its template. `n` is the household's
/// position in the candidate index ([`knop_huishoudboekje::match_index::Index`]).
pub trait PlanSource {
    /// The plan of the household at position `n`, and its own payments in the matching window
    /// (EndToEndId to agreement) for [`match_line`].
    fn plan(
        &mut self,
        n: u32,
    ) -> (
        &knop_huishoudboekje::Plan,
        &knop_huishoudboekje::matching::OwnPayments,
    );
}

/// The households a bank line fits, with how: of the candidates the index names, each checked
/// against its plan with [`match_line`] (the one rule everywhere: the service's matching of a
/// statement for all households and the month-end benchmark both call this). A line that fits
/// none or several is for a person; the caller decides what more the ledger knows.
pub fn fits(
    line: &Line,
    index: &knop_huishoudboekje::match_index::Index,
    plans: &mut impl PlanSource,
) -> Vec<(u32, Match)> {
    let mut out = vec![];
    for n in index.candidates(line) {
        let (plan, own) = plans.plan(n);
        let m = match_line(line, plan, own);
        if !matches!(m, Match::Suspense { .. }) {
            out.push((n, m));
        }
    }
    out
}
