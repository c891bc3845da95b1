//! Matching bank lines to agreements, explaining why, and the alerts that follow.
//!
//! Order of evidence, strongest first:
//! 1. our own payment, by the `EndToEndId` knop put in the payment file;
//! 2. a direct debit, by its mandate id, then checked against the agreement: creditor id,
//!    amount within tolerance, date near a due date; a mismatch is an alert with the refund to
//!    request (SEPA Core: an unconditional right for 8 weeks after the debit); a credit under a
//!    known mandate is that direct debit coming back (refund or reversal);
//! 3. an income, by the payer's IBAN and reference (spacing and case free, never inside a longer
//!    number: see [`reference_in`]), amount and date within tolerance.
//!
//! Anything else, or more than one candidate, goes to the suspense queue for a counsellor: never a
//! guess. [`alerts`] then looks at the whole period: expected incomes missing after their date plus
//! margin, amounts outside tolerance, the same agreement twice in one period, unexpected debits.

use std::collections::HashMap;

use jiff::civil::Date;
use jiff::ToSpan;

use crate::{Agreement, Kind, Plan};
use knop_bank::EndToEndId;

/// The payments a household makes itself, by EndToEndId: the agreement each one pays.
pub type OwnPayments = HashMap<EndToEndId, String>;

/// One bank line, as the bank reported it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Line {
    /// Booking date.
    pub date: Option<Date>,
    /// Signed cents: credits positive.
    pub cents: i64,
    /// `EndToEndId`.
    pub end_to_end_id: Option<String>,
    /// `MndtId`.
    pub mandate_id: Option<String>,
    /// The creditor's SEPA id of a direct debit.
    pub creditor_id: Option<String>,
    /// The other party's IBAN.
    pub counterparty_iban: Option<String>,
    /// Remittance information.
    pub remittance: Option<String>,
    /// A return of an earlier payment.
    pub reversal: bool,
    /// The reason code of a return.
    pub return_reason: Option<String>,
}

/// What a line is, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Match {
    /// A payment knop made, recognised by its EndToEndId.
    OwnPayment {
        /// The agreement paid.
        agreement: String,
    },
    /// One of knop's payments came back (the payee's bank returned it).
    Returned {
        /// The agreement whose payment came back.
        agreement: String,
        /// The bank's reason code, if given (ISO 20022 `RtrInf/Rsn/Cd`, e.g. AC04: account closed).
        reason: Option<String>,
    },
    /// A direct debit under a known mandate.
    DirectDebit {
        /// The agreement.
        agreement: String,
        /// What does not agree with the agreement (empty: all fine).
        problems: Vec<String>,
    },
    /// A direct debit under a known mandate coming back (a credit line with the mandate id: the
    /// refund the foundation asked for, or the creditor's or bank's reversal): the money is the
    /// household's again, and the fixed cost it paid is unpaid.
    DirectDebitRefund {
        /// The agreement whose direct debit came back.
        agreement: String,
    },
    /// An expected income.
    Income {
        /// The agreement.
        agreement: String,
        /// The due date it answers.
        due: Date,
        /// What does not agree (amount or date outside tolerance).
        problems: Vec<String>,
    },
    /// Not matched: for a counsellor to match by hand.
    Suspense {
        /// Why not.
        reason: String,
        /// Agreements that came close.
        candidates: Vec<String>,
    },
}

pub(crate) fn norm(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    out.extend(normalized(s));
    out
}

/// The characters of [`norm`]: without whitespace, each in upper case.
fn normalized(s: &str) -> impl Iterator<Item = char> + Clone + '_ {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_uppercase)
}

/// [`normalized`] for ASCII text, a byte at a time (Unicode case mapping is a table lookup per
/// character; IBANs, ids and most references are ASCII).
fn normalized_ascii(s: &str) -> impl Iterator<Item = char> + Clone + '_ {
    s.bytes()
        .map(char::from)
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
}

/// Whether `a` and `b` are the same after [`norm`], without making either.
pub(crate) fn same_normalized(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        normalized_ascii(a).eq(normalized_ascii(b))
    } else {
        normalized(a).eq(normalized(b))
    }
}

/// Whether `reference` occurs in the remittance `text`, compared without whitespace and case
/// (banks and payers space references differently), and not as part of a longer number: a
/// reference that starts or ends with a digit must not continue a digit of the text there
/// without whitespace between, so "UITK 12" is not found in "UITK 123 maart" but is in
/// "uitk12 maart" and "UITK 12 2026".
pub fn reference_in(text: &str, reference: &str) -> bool {
    Remittance::new(text).contains(reference)
}

/// A remittance text made ready for [`reference_in`] once, for checking several references.
struct Remittance {
    /// The text without whitespace, upper case, each character with whether whitespace came
    /// before it.
    chars: Vec<(char, bool)>,
}

impl Remittance {
    fn new(text: &str) -> Self {
        let mut chars = Vec::with_capacity(text.len());
        let mut gap = false;
        for c in text.chars() {
            if c.is_whitespace() {
                gap = true;
                continue;
            }
            if c.is_ascii() {
                chars.push((c.to_ascii_uppercase(), gap));
            } else {
                for (k, u) in c.to_uppercase().enumerate() {
                    chars.push((u, gap && k == 0));
                }
            }
            gap = false;
        }
        Self { chars }
    }

    fn contains(&self, reference: &str) -> bool {
        if reference.is_ascii() {
            self.contains_chars(normalized_ascii(reference))
        } else {
            self.contains_chars(normalized(reference))
        }
    }

    /// Whether the normalised reference `want` occurs (see [`reference_in`]).
    fn contains_chars(&self, want: impl Iterator<Item = char> + Clone) -> bool {
        let chars = &self.chars;
        let (Some(first), Some(last)) = (want.clone().next(), want.clone().last()) else {
            return true;
        };
        let len = want.clone().count();
        if len > chars.len() {
            return false;
        }
        (0..=chars.len() - len).any(|i| {
            let end = i + len;
            chars[i..end].iter().map(|c| c.0).eq(want.clone())
                && !(first.is_ascii_digit()
                    && i > 0
                    && !chars[i].1
                    && chars[i - 1].0.is_ascii_digit())
                && !(last.is_ascii_digit()
                    && end < chars.len()
                    && !chars[end].1
                    && chars[end].0.is_ascii_digit())
        })
    }
}

/// The due date of `a` nearest to `date` within its day tolerance, if any.
fn nearest_due(a: &Agreement, date: Date) -> Option<Date> {
    let span = a.tolerance_days.days();
    let lo = date.saturating_sub(span);
    let hi = date.saturating_add(span);
    let lo = a.valid_from.map_or(lo, |v| v.max(lo));
    let hi = a.valid_through.map_or(hi, |v| v.min(hi));
    if hi < lo {
        return None;
    }
    a.schedule
        .occurrences(lo, hi)
        .into_iter()
        .min_by_key(|d| (*d - date).get_days().abs())
}

fn amount_problem(a: &Agreement, cents: i64) -> Option<String> {
    let diff = cents.abs() - a.amount_cents;
    (diff.abs() > a.tolerance_cents).then(|| {
        format!(
            "bedrag {} cent wijkt {} cent af van de afspraak ({} cent, marge {})",
            cents.abs(),
            diff,
            a.amount_cents,
            a.tolerance_cents
        )
    })
}

/// Matches one line. `own_payments` maps the EndToEndIds of knop's payment files to agreements.
pub fn match_line(line: &Line, plan: &Plan, own_payments: &OwnPayments) -> Match {
    if let Some(agreement) = line
        .end_to_end_id
        .as_ref()
        .and_then(|e| own_payments.get(e.as_str()))
    {
        if line.cents > 0 {
            return Match::Returned {
                agreement: agreement.clone(),
                reason: line.return_reason.clone(),
            };
        }
        return Match::OwnPayment {
            agreement: agreement.clone(),
        };
    }
    if line.cents < 0 {
        return match_debit(line, plan);
    }
    if let Some(agreement) = refunded_debit(line, plan) {
        return Match::DirectDebitRefund { agreement };
    }
    match_income(line, plan)
}

/// The one direct-debit agreement whose mandate a credit line names, if exactly one does (a
/// credit under an unknown mandate is matched as any other credit).
fn refunded_debit(line: &Line, plan: &Plan) -> Option<String> {
    let mut found = under_mandate(plan, line.mandate_id.as_deref()?);
    match (found.next(), found.next()) {
        (Some(a), None) => Some(a.id.clone()),
        _ => None,
    }
}

/// The plan's direct-debit agreements under `mandate`.
fn under_mandate<'p>(plan: &'p Plan, mandate: &'p str) -> impl Iterator<Item = &'p Agreement> {
    plan.agreements.iter().filter(move |a| {
        a.direct_debit
            .as_ref()
            .is_some_and(|d| d.mandate_id == mandate)
    })
}

fn match_debit(line: &Line, plan: &Plan) -> Match {
    let Some(mandate) = &line.mandate_id else {
        return Match::Suspense {
            reason: "onverwachte afschrijving: geen eigen betaling en geen machtiging".into(),
            candidates: vec![],
        };
    };
    let found: Vec<&Agreement> = under_mandate(plan, mandate).collect();
    let [a] = found.as_slice() else {
        let reason = if found.is_empty() {
            format!("incasso onder onbekende machtiging {mandate}")
        } else {
            format!("machtiging {mandate} staat bij meer dan een afspraak")
        };
        return Match::Suspense {
            reason,
            candidates: found.iter().map(|a| a.id.clone()).collect(),
        };
    };
    let dd = a.direct_debit.as_ref().expect("filtered on direct debit");
    let mut problems = vec![];
    if line
        .creditor_id
        .as_deref()
        .is_some_and(|c| !same_normalized(c, &dd.creditor_id))
    {
        problems.push(format!(
            "incassant {} is niet de incassant van de afspraak ({})",
            line.creditor_id.as_deref().unwrap_or(""),
            dd.creditor_id
        ));
    }
    problems.extend(amount_problem(a, line.cents));
    if let Some(date) = line.date {
        if nearest_due(a, date).is_none() {
            problems.push(format!(
                "afgeschreven op {date}, niet binnen {} dagen van een vervaldatum",
                a.tolerance_days
            ));
        }
    }
    if !problems.is_empty() {
        problems.push(
            "vraag de bank om terugboeking (SEPA-incasso: onvoorwaardelijk binnen 8 weken)".into(),
        );
    }
    Match::DirectDebit {
        agreement: a.id.clone(),
        problems,
    }
}

fn match_income(line: &Line, plan: &Plan) -> Match {
    let iban = line.counterparty_iban.as_deref();
    let remittance = Remittance::new(line.remittance.as_deref().unwrap_or_default());
    let mut candidates = vec![];
    let mut exact = vec![];
    for a in plan.agreements.iter().filter(|a| a.kind == Kind::Income) {
        let iban_ok = a
            .counterparty_iban
            .as_deref()
            .is_none_or(|want| iban.is_some_and(|iban| same_normalized(iban, want)));
        let ref_ok = a
            .reference
            .as_deref()
            .is_none_or(|r| remittance.contains(r));
        if !(iban_ok && ref_ok) || (a.counterparty_iban.is_none() && a.reference.is_none()) {
            continue;
        }
        candidates.push(a.id.clone());
        let due = line.date.and_then(|d| nearest_due(a, d));
        if amount_problem(a, line.cents).is_none() {
            if let Some(due) = due {
                exact.push((a, due));
            }
        }
    }
    match exact.as_slice() {
        [(a, due)] => Match::Income {
            agreement: a.id.clone(),
            due: *due,
            problems: vec![],
        },
        [] if candidates.len() == 1 => {
            // The payer and reference fit, the amount or date do not: matched, with the problems.
            let a = plan
                .agreements
                .iter()
                .find(|a| a.id == candidates[0])
                .expect("candidate exists");
            let due = line
                .date
                .and_then(|d| nearest_due(a, d))
                .or(line.date)
                .unwrap_or(Date::MIN);
            let mut problems: Vec<String> = amount_problem(a, line.cents).into_iter().collect();
            if line.date.and_then(|d| nearest_due(a, d)).is_none() {
                problems.push(format!(
                    "ontvangen buiten {} dagen van een vervaldatum",
                    a.tolerance_days
                ));
            }
            Match::Income {
                agreement: a.id.clone(),
                due,
                problems,
            }
        }
        [] => Match::Suspense {
            reason: if candidates.is_empty() {
                "onbekende bijschrijving: geen afspraak met deze betaler of omschrijving".into()
            } else {
                "meerdere afspraken passen bij betaler en omschrijving".into()
            },
            candidates,
        },
        _ => Match::Suspense {
            reason: "meerdere afspraken passen precies".into(),
            candidates: exact.iter().map(|(a, _)| a.id.clone()).collect(),
        },
    }
}

/// An alert for a counsellor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    /// The agreement it concerns, if any.
    pub agreement: Option<String>,
    /// What is wrong, in Dutch, with the amounts from the agreement.
    pub message: String,
}

/// Alerts for a period `from..=today` given the matched lines: expected incomes not received
/// after their due date plus tolerance, problems found while matching, the same agreement matched
/// twice for one due date, and unmatched debits.
pub fn alerts(plan: &Plan, matched: &[(Line, Match)], from: Date, today: Date) -> Vec<Alert> {
    let mut out = vec![];
    let mut seen: HashMap<(String, Date), usize> = HashMap::new();
    for (line, m) in matched {
        match m {
            Match::Income {
                agreement,
                due,
                problems,
            } => {
                *seen.entry((agreement.clone(), *due)).or_default() += 1;
                out.extend(problems.iter().map(|p| Alert {
                    agreement: Some(agreement.clone()),
                    message: p.clone(),
                }));
            }
            Match::DirectDebit {
                agreement,
                problems,
            } => {
                out.extend(problems.iter().map(|p| Alert {
                    agreement: Some(agreement.clone()),
                    message: p.clone(),
                }));
                if let Some(a) = plan.agreements.iter().find(|a| &a.id == agreement) {
                    if let Some(due) = line.date.and_then(|d| nearest_due(a, d)) {
                        *seen.entry((agreement.clone(), due)).or_default() += 1;
                    }
                }
            }
            Match::Suspense { reason, .. } if line.cents < 0 => out.push(Alert {
                agreement: None,
                message: format!("{reason}: {} cent", -line.cents),
            }),
            Match::DirectDebitRefund { agreement } => out.push(Alert {
                agreement: Some(agreement.clone()),
                message: format!(
                    "incasso van {} cent is teruggeboekt: het bedrag staat weer bij het huishouden en deze termijn is niet betaald; betaal de schuldeiser opnieuw of spreek iets af",
                    line.cents
                ),
            }),
            Match::Returned { agreement, reason } => out.push(Alert {
                agreement: Some(agreement.clone()),
                message: format!(
                    "betaling van {} cent is teruggekomen (reden {}): controleer het IBAN van de ontvanger en betaal opnieuw",
                    line.cents,
                    reason.as_deref().unwrap_or("onbekend")
                ),
            }),
            _ => {}
        }
    }
    for ((agreement, due), n) in &seen {
        if *n > 1 {
            out.push(Alert {
                agreement: Some(agreement.clone()),
                message: format!("{n} keer geboekt voor dezelfde termijn van {due}"),
            });
        }
    }
    for a in plan.agreements.iter().filter(|a| a.kind == Kind::Income) {
        let margin = a.tolerance_days.days();
        for due in a.schedule.occurrences(
            a.valid_from.map_or(from, |v| v.max(from)),
            a.valid_through.map_or(today, |v| v.min(today)),
        ) {
            if due.saturating_add(margin) < today && !seen.contains_key(&(a.id.clone(), due)) {
                out.push(Alert {
                    agreement: Some(a.id.clone()),
                    message: format!(
                        "verwachte inkomsten van {} cent, vervallen op {due}, zijn niet ontvangen",
                        a.amount_cents
                    ),
                });
            }
        }
    }
    out.sort_by(|x, y| (&x.agreement, &x.message).cmp(&(&y.agreement, &y.message)));
    out
}

/// The EndToEndId knop gives the payment of `agreement` due on `due`: `KNOP-<yyyymmdd>-<20 hex>`
/// (34 characters; SEPA allows 35), the hex from SHA-256 of the agreement id and date.
/// Deterministic, so a retried payment run carries the same id and the bank statement leads back
/// to the agreement. 80 bits, because ids must not collide across a foundation's households: with
/// the 32 bits used before, a month of 100 000 households already had colliding ids (found by
/// `knop bench month-end`).
pub fn end_to_end_id(agreement: &str, due: Date) -> EndToEndId {
    end_to_end_id_of(&[agreement], due)
}

/// [`end_to_end_id`] of the agreement id that is `parts` joined, without joining them first.
/// Payment runs make one for every payment, so this writes the date and the hex by hand
/// instead of through `format!` (the same characters: a test compares both ways).
pub(crate) fn end_to_end_id_of(parts: &[&str], due: Date) -> EndToEndId {
    use sha2::{Digest, Sha256};
    let year = due.year();
    if !(1000..=9999).contains(&year) {
        return end_to_end_id_formatted(&parts.concat(), due);
    }
    let digits = |n: i32, width: usize, out: &mut [u8]| {
        let mut n = n;
        for i in (0..width).rev() {
            out[i] = b'0' + (n % 10) as u8;
            n /= 10;
        }
    };
    let mut iso = *b"0000-00-00";
    digits(i32::from(year), 4, &mut iso[0..4]);
    digits(i32::from(due.month()), 2, &mut iso[5..7]);
    digits(i32::from(due.day()), 2, &mut iso[8..10]);
    let mut hasher = Sha256::new();
    hasher.update(b"knop/e2e/v1\0");
    for p in parts {
        hasher.update(p.as_bytes());
    }
    hasher.update(iso);
    let digest = hasher.finalize();
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = Vec::with_capacity(34);
    out.extend_from_slice(b"KNOP-");
    out.extend_from_slice(&iso[0..4]);
    out.extend_from_slice(&iso[5..7]);
    out.extend_from_slice(&iso[8..10]);
    out.push(b'-');
    for b in &digest[..10] {
        out.push(HEX[usize::from(b >> 4)]);
        out.push(HEX[usize::from(b & 15)]);
    }
    let text = String::from_utf8(out).expect("ASCII digits, letters and dashes");
    EndToEndId::try_from(text).expect("34 characters of digits, letters and dashes")
}

/// [`end_to_end_id`] as first written, through `format!`: for years outside 1000..=9999, whose
/// ISO form has a sign or another width.
fn end_to_end_id_formatted(agreement: &str, due: Date) -> EndToEndId {
    use sha2::{Digest, Sha256};
    let digest = Sha256::new()
        .chain_update(b"knop/e2e/v1\0")
        .chain_update(agreement.as_bytes())
        .chain_update(due.to_string().as_bytes())
        .finalize();
    let hex: String = digest[..10].iter().map(|b| format!("{b:02x}")).collect();
    // A year outside 0..=9999 writes a sign, which an EndToEndId can't hold: such a date has no
    // payment (the ledger's dates are years 1000..=9999), so its digits stand in.
    let date: String = due
        .strftime("%Y%m%d")
        .to_string()
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    EndToEndId::try_from(format!("KNOP-{date}-{hex}")).expect("letters, digits and dashes")
}

/// The EndToEndId of attempt `attempt` (1, 2, …) to make again a payment whose first attempt
/// carried `first` and was rejected or returned: same form as [`end_to_end_id`] (same date), so a
/// bank never sees one id twice and the statement still leads back to the right reservation.
pub fn retry_end_to_end_id(first: &EndToEndId, attempt: u32) -> EndToEndId {
    use sha2::{Digest, Sha256};
    if attempt == 0 {
        return first.clone();
    }
    let digest = Sha256::new()
        .chain_update(b"knop/e2e-retry/v1\0")
        .chain_update(first.as_bytes())
        .chain_update(attempt.to_be_bytes())
        .finalize();
    let hex: String = digest[..10].iter().map(|b| format!("{b:02x}")).collect();
    let date = first
        .get(5..13)
        .filter(|d| d.bytes().all(|b| b.is_ascii_digit()));
    EndToEndId::try_from(format!("KNOP-{}-{hex}", date.unwrap_or("00000000")))
        .expect("letters, digits and dashes")
}

/// [`own_payments`] and every later attempt of one of them that was made: attempt `n`
/// ([`retry_end_to_end_id`]) is made only after attempt `n - 1` was rejected, returned or
/// expired, so the attempts of a payment are followed while `made` says the ledger holds a
/// reservation under the id. A bank line carrying a retried payment's id is then recognised as
/// the household's own payment (posted, or returned) like a first attempt.
pub fn own_payments_and_attempts(
    plan: &Plan,
    from: Date,
    through: Date,
    made: impl Fn(&str) -> bool,
) -> OwnPayments {
    let mut out = own_payments(plan, from, through);
    let firsts: Vec<(EndToEndId, String)> = out
        .iter()
        .filter(|(id, _)| made(id))
        .map(|(id, a)| (id.clone(), a.clone()))
        .collect();
    for (first, agreement) in firsts {
        for attempt in 1u32.. {
            let id = retry_end_to_end_id(&first, attempt);
            if !made(&id) {
                break;
            }
            out.insert(id, agreement.clone());
        }
    }
    out
}

/// The EndToEndIds of every payment the plan makes with due dates in `from..=through`.
pub fn own_payments(plan: &Plan, from: Date, through: Date) -> OwnPayments {
    let mut out = HashMap::new();
    for a in plan
        .agreements
        .iter()
        .filter(|a| a.kind != Kind::Income && a.direct_debit.is_none())
    {
        for due in a.schedule.occurrences(from, through) {
            out.insert(plan.end_to_end_id(&a.id, due), a.id.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn normalising_without_making_strings_agrees_with_making_them(
            a in "[ a-zA-Z0-9ßéİ\t]{0,12}", b in "[ a-zA-Z0-9ßéİ\t]{0,12}"
        ) {
            let old = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_uppercase();
            proptest::prop_assert_eq!(norm(&a), old(&a));
            proptest::prop_assert_eq!(same_normalized(&a, &b), old(&a) == old(&b));
        }
    }

    /// `reference_in` from its definition, by words: the text's words in upper case one after
    /// another (each letter marked if a word starts there), the reference without whitespace
    /// tried at every place, a place refused where a digit at either end of the reference
    /// continues a digit of the same word.
    fn reference_in_by_words(text: &str, reference: &str) -> bool {
        let letters: Vec<(char, bool)> = text
            .split_whitespace()
            .flat_map(|w| {
                let w = w.to_uppercase();
                w.chars()
                    .enumerate()
                    .map(|(k, c)| (c, k == 0))
                    .collect::<Vec<_>>()
            })
            .collect();
        let want: Vec<char> = reference
            .split_whitespace()
            .collect::<String>()
            .to_uppercase()
            .chars()
            .collect();
        let (Some(&first), Some(&last)) = (want.first(), want.last()) else {
            return true;
        };
        let digit = |c: char| c.is_ascii_digit();
        letters.windows(want.len()).enumerate().any(|(i, w)| {
            let end = i + want.len();
            w.iter().map(|l| l.0).eq(want.iter().copied())
                && !(digit(first) && i > 0 && !letters[i].1 && digit(letters[i - 1].0))
                && !(digit(last) && letters.get(end).is_some_and(|l| !l.1 && digit(l.0)))
        })
    }

    proptest::proptest! {
        #[test]
        fn references_are_found_as_by_their_definition(
            text in "[ a-cA-C0-2ßé\t]{0,14}", reference in "[ a-cA-C0-2ßé]{0,5}"
        ) {
            proptest::prop_assert_eq!(
                reference_in(&text, &reference),
                reference_in_by_words(&text, &reference)
            );
        }
    }

    #[test]
    fn end_to_end_ids_are_the_same_written_by_hand_or_formatted() {
        // A pinned id (the HTTP tests use it) and every day of several years, both ways.
        assert_eq!(
            end_to_end_id("42/huur", "2026-04-01".parse().unwrap()),
            end_to_end_id_formatted("42/huur", "2026-04-01".parse().unwrap())
        );
        let mut d: Date = "1999-12-25".parse().unwrap();
        while d.year() < 2031 {
            for parts in [&["huur"][..], &["7", "/", "energie"], &[""]] {
                assert_eq!(
                    end_to_end_id_of(parts, d),
                    end_to_end_id_formatted(&parts.concat(), d),
                    "{d}"
                );
            }
            d = d.tomorrow().unwrap();
        }
        for y in [1, 999, 1000, 9999] {
            let d = Date::new(y, 2, 28).unwrap();
            assert_eq!(end_to_end_id("x", d), end_to_end_id_formatted("x", d));
        }
    }
}
