//! Kindpakket payouts: what the fund owes its shops, paid in SEPA batches. A person at the
//! municipality makes a payout up to a day (the ledger nets every spend and refund per shop,
//! one line each), a second person approves it, its pain.001 goes to the bank, and the
//! municipality's camt.053 confirms each line paid by its EndToEndId; the same statement's
//! credits that name a fund's code are booked as top-ups of that fund. Shops see their lines and
//! the spends each covers.

use jiff::civil::Date;
use knop_bank::pain001::{self, Payment, Run, Version};
use knop_bank::{camt053, EndToEndId};
use knop_ledger::entry::OrgName;
use knop_ledger::note::NoteKey;
use knop_node::Node;
use knop_state::{Command, KindpakketCommand, PaidLine, PayoutState, State, TopUp};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::kindpakket::KindpakketError;
use crate::ops::{submit, OpError};

/// The id of a payout of `fund` up to and including `until`, made by `who` with the request's
/// own key (an Idempotency-Key, a form's key): the same request again names the same payout, so
/// it is made once, also after a restart; another request is another payout. `KP-`, the day and
/// six hex digits: short enough that its lines' EndToEndIds (`…-01`) fit SEPA's 35 characters.
pub fn payout_id(fund: &str, until: Date, who: &str, key: &str) -> String {
    let d = Sha256::new()
        .chain_update(b"knop/kindpakket/payout-id\0")
        .chain_update(fund.as_bytes())
        .chain_update([0])
        .chain_update(until.to_string().as_bytes())
        .chain_update([0])
        .chain_update(who.as_bytes())
        .chain_update([0])
        .chain_update(key.as_bytes())
        .finalize();
    format!("KP-{until}-{:02X}{:02X}{:02X}", d[0], d[1], d[2])
}

/// The EndToEndId of the `n`th line (from 0) of a payout: how the bank statement names it.
pub fn line_end_to_end_id(payout: &str, n: usize) -> String {
    format!("{payout}-{:02}", n + 1)
}

/// The code a municipality puts in the reference of a transfer into a fund, so the statement
/// recognises it: `KINDPAKKET <fund>`.
pub fn topup_code(fund: &str) -> String {
    format!("KINDPAKKET {fund}")
}

/// One shop's line of a payout, as people read it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PayoutLineView {
    /// The shop.
    pub merchant: String,
    /// Paid to: IBAN.
    pub iban: String,
    /// Paid to: account holder's name.
    pub name: String,
    /// Net amount, in cents.
    pub cents: i64,
    /// How the bank statement names this payment.
    pub end_to_end_id: String,
    /// The spends it covers.
    pub spends: Vec<String>,
    /// The refunds it subtracts.
    pub refunds: Vec<String>,
    /// The day the bank statement showed it paid (ISO 8601), if it did.
    pub paid: Option<String>,
}

/// A payout, as people read it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PayoutView {
    /// Its id (the payment file's MsgId).
    pub id: String,
    /// The fund.
    pub fund: String,
    /// Last day of spends it covers (ISO 8601).
    pub until: String,
    /// The day the bank is to pay (ISO 8601).
    pub execution: String,
    /// The municipality's paying account.
    pub from_iban: String,
    /// Its total, in cents.
    pub total_cents: i64,
    /// Who made it.
    pub created_by: String,
    /// Who approved it.
    pub approved_by: Vec<String>,
    /// `to_approve` (wacht op tweede persoon), `approved` (naar de bank) or `paid` (every
    /// line on the bank statement).
    pub status: String,
    /// Its lines: every shop's, or only the asking shop's.
    pub lines: Vec<PayoutLineView>,
}

fn view(id: &str, p: &PayoutState, only: Option<&OrgName>) -> PayoutView {
    let lines: Vec<PayoutLineView> = p
        .lines
        .iter()
        .enumerate()
        .filter(|(_, l)| only.is_none_or(|m| *m == l.merchant))
        .map(|(n, l)| PayoutLineView {
            merchant: l.merchant.to_string(),
            iban: l.payee.iban.clone(),
            name: l.payee.name.clone(),
            cents: l.cents,
            end_to_end_id: line_end_to_end_id(id, n),
            spends: l.spends.clone(),
            refunds: l.refunds.clone(),
            paid: l.paid.map(|d| d.to_string()),
        })
        .collect();
    let status = if p.lines.iter().all(|l| l.paid.is_some()) {
        "paid"
    } else if p.approved() {
        "approved"
    } else {
        "to_approve"
    };
    PayoutView {
        id: id.to_owned(),
        fund: p.fund.clone(),
        until: p.until.to_string(),
        execution: p.execution.to_string(),
        from_iban: p.from_iban.clone(),
        total_cents: lines.iter().map(|l| l.cents).sum(),
        created_by: p.created_by.clone(),
        approved_by: p.approvals.iter().map(|(b, _)| b.clone()).collect(),
        status: status.into(),
        lines,
    }
}

/// One payout (every line), if it is on the ledger.
pub fn payout(state: &State, id: &str) -> Option<PayoutView> {
    state.payouts().get(id).map(|p| view(id, p, None))
}

/// The payouts of `fund`, newest first.
pub fn of_fund(state: &State, fund: &str) -> Vec<PayoutView> {
    let mut v: Vec<(u64, PayoutView)> = state
        .payouts()
        .iter()
        .filter(|(_, p)| p.fund == fund)
        .map(|(id, p)| (p.index, view(id, p, None)))
        .collect();
    v.sort_by_key(|(i, _)| std::cmp::Reverse(*i));
    v.into_iter().map(|(_, p)| p).collect()
}

/// The payouts with a line for `merchant`, with only that line, newest first.
pub fn of_merchant(state: &State, merchant: &OrgName) -> Vec<PayoutView> {
    let mut v: Vec<(u64, PayoutView)> = state
        .payouts()
        .iter()
        .filter(|(_, p)| p.lines.iter().any(|l| l.merchant == *merchant))
        .map(|(id, p)| (p.index, view(id, p, Some(merchant))))
        .collect();
    v.sort_by_key(|(i, _)| std::cmp::Reverse(*i));
    v.into_iter().map(|(_, p)| p).collect()
}

/// An IBAN as the ledger keeps it: without spaces, in capitals, its check digits right.
pub fn normal_iban(text: &str) -> Result<String, KindpakketError> {
    let compact: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    compact.parse::<iban::Iban>().map_err(|_| {
        KindpakketError::Invalid(format!("{text:?} is geen geldig IBAN / not a valid IBAN"))
    })?;
    Ok(compact)
}

fn record(
    node: &mut Node,
    key: &NoteKey,
    now_ms: u64,
    cmd: KindpakketCommand,
) -> Result<knop_state::Outcome, KindpakketError> {
    let (_, outcome) = submit(node, key, now_ms, &Command::Kindpakket(cmd))
        .map_err(OpError::from)?
        .map_err(OpError::from)?;
    Ok(outcome)
}

/// Records where `merchant` is paid for `fund`.
pub fn set_payee(
    node: &mut Node,
    municipality: &NoteKey,
    now_ms: u64,
    fund: &str,
    merchant: &OrgName,
    iban: &str,
    name: &str,
) -> Result<(), KindpakketError> {
    let iban = normal_iban(iban)?;
    let name = name.trim();
    if name.is_empty() || name.len() > knop_state::kindpakket::PAYEE_NAME_BYTES_MAX {
        return Err(KindpakketError::Invalid(
            "de naam van de rekeninghouder is 1 tot 70 tekens / the account holder's name is 1 to 70 bytes".into(),
        ));
    }
    let same = node
        .state()
        .payees()
        .get(&(fund.to_owned(), merchant.clone()))
        .is_some_and(|p| p.iban == iban && p.name == name);
    if same {
        return Ok(());
    }
    record(
        node,
        municipality,
        now_ms,
        KindpakketCommand::SetPayee {
            fund: fund.to_owned(),
            merchant: merchant.clone(),
            iban,
            name: name.to_owned(),
        },
    )?;
    Ok(())
}

/// What a payout request asks.
pub struct PayoutRequest<'a> {
    /// The fund.
    pub fund: &'a str,
    /// Last day of spends it covers.
    pub until: Date,
    /// The day the bank is to pay.
    pub execution: Date,
    /// The municipality's paying account.
    pub from_iban: &'a str,
    /// The person making it.
    pub by: &'a str,
    /// The request's own key (its Idempotency-Key, its form's key).
    pub key: &'a str,
    /// The ledger's timestamp (ms).
    pub now_ms: u64,
}

/// Makes the payout of a fund up to a day (one entry); the same request again answers the same
/// payout. Shops without a payee are left for a later payout.
pub fn make(
    node: &mut Node,
    municipality: &NoteKey,
    req: &PayoutRequest<'_>,
) -> Result<PayoutView, KindpakketError> {
    let from_iban = normal_iban(req.from_iban)?;
    if req.execution < req.until {
        return Err(KindpakketError::Invalid(
            "de betaaldag komt na de laatste dag van de aankopen / the execution date comes after the period".into(),
        ));
    }
    let id = payout_id(req.fund, req.until, req.by, req.key);
    // Made before with these details (a retry, a second click): nothing new to record.
    if let Some(p) = node.state().payouts().get(&id) {
        if (p.execution, p.from_iban.as_str(), p.created_by.as_str())
            == (req.execution, from_iban.as_str(), req.by)
        {
            return Ok(view(&id, p, None));
        }
    }
    record(
        node,
        municipality,
        req.now_ms,
        KindpakketCommand::Payout {
            payout: id.clone(),
            fund: req.fund.to_owned(),
            until: req.until,
            execution: req.execution,
            from_iban,
            created_by: req.by.to_owned(),
        },
    )?;
    payout(node.state(), &id).ok_or_else(|| KindpakketError::Invalid("payout not found".into()))
}

/// Records `by`'s approval of a payout (a second person, never its maker).
pub fn approve(
    node: &mut Node,
    municipality: &NoteKey,
    now_ms: u64,
    id: &str,
    by: &str,
) -> Result<PayoutView, KindpakketError> {
    // Approved by this person before: nothing new to record.
    if let Some(p) = node.state().payouts().get(id) {
        if p.approvals.iter().any(|(b, _)| b == by) {
            return Ok(view(id, p, None));
        }
    }
    record(
        node,
        municipality,
        now_ms,
        KindpakketCommand::ApprovePayout {
            payout: id.to_owned(),
            by: by.to_owned(),
        },
    )?;
    payout(node.state(), id).ok_or_else(|| KindpakketError::Invalid("payout not found".into()))
}

/// The pain.001 of an approved payout: one credit transfer per shop, its EndToEndId the line's,
/// its reference the fund, the period and as many of the spends as fit in 140 characters (the
/// shop's page lists them all). `created` is the file's creation time (ISO date-time).
pub fn pain001(
    state: &State,
    id: &str,
    debtor_name: &str,
    version: Version,
    created: &str,
) -> Result<Vec<u8>, KindpakketError> {
    let p = state
        .payouts()
        .get(id)
        .ok_or_else(|| KindpakketError::Invalid(format!("payout {id} is not on the ledger")))?;
    if !p.approved() {
        return Err(KindpakketError::NotApproved(id.to_owned()));
    }
    let payments = p
        .lines
        .iter()
        .enumerate()
        .map(|(n, l)| {
            let e2e = EndToEndId::parse(&line_end_to_end_id(id, n))
                .map_err(|e| KindpakketError::Invalid(e.to_string()))?;
            Ok(Payment {
                end_to_end_id: e2e,
                cents: l.cents,
                creditor_name: l.payee.name.clone(),
                creditor_iban: l.payee.iban.clone(),
                creditor_bic: None,
                remittance: remittance(&p.fund, p.until, &l.spends, &l.refunds),
            })
        })
        .collect::<Result<Vec<_>, KindpakketError>>()?;
    let run = Run {
        message_id: id.to_owned(),
        created: created.to_owned(),
        execution_date: p.execution.to_string(),
        debtor_name: debtor_name.to_owned(),
        debtor_iban: p.from_iban.clone(),
        debtor_bic: None,
        payments,
    };
    pain001::write(&run, version).map_err(|e| KindpakketError::Op(OpError::Bank(e)))
}

/// The reference of a payout line: `Kindpakket-uitbetaling <fund> t/m <day>: <n> aankopen
/// <ids…>`, the ids as far as 140 characters hold them, else `(lijst in knop)`. It never holds
/// a fund's top-up code ([`topup_code`]), so a payout the bank returns is not taken for money
/// put into the fund.
fn remittance(fund: &str, until: Date, spends: &[String], refunds: &[String]) -> String {
    let mut head = format!(
        "Kindpakket-uitbetaling {fund} t/m {until}: {} aankopen",
        spends.len()
    );
    if !refunds.is_empty() {
        head.push_str(&format!(", {} terug", refunds.len()));
    }
    let all = spends
        .iter()
        .chain(refunds)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(" ");
    if head.len() + 1 + all.len() <= 140 {
        format!("{head} {all}")
    } else {
        format!("{head} (lijst in knop)")
    }
}

/// What a bank statement confirmed.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatementResult {
    /// Payout lines found paid (EndToEndIds), new or known before.
    pub paid: Vec<String>,
    /// Top-ups found (the bank's references), with the fund and cents.
    pub topups: Vec<TopUpView>,
    /// Entries that are neither, with why (line in the file: what).
    pub unmatched: Vec<String>,
    /// Whether something new was recorded (one entry).
    pub recorded: bool,
}

/// A top-up, as people read it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TopUpView {
    /// The bank's reference.
    pub reference: String,
    /// The fund.
    pub fund: String,
    /// How much, in cents.
    pub cents: i64,
    /// The booking date (ISO 8601).
    pub date: String,
}

/// Reads the municipality's camt.053 and records, as one entry, the payout lines it shows paid
/// (a debit with the line's EndToEndId and amount) and the top-ups of its funds (a credit whose
/// reference holds [`topup_code`]). Entries that are neither are listed, not booked. Sending
/// the same statement again records nothing new.
pub fn read_statement(
    node: &mut Node,
    municipality: &NoteKey,
    now_ms: u64,
    file: &[u8],
) -> Result<StatementResult, KindpakketError> {
    let parsed = camt053::parse(file).map_err(|e| KindpakketError::Op(OpError::Bank(e)))?;
    let owner = OrgName::parse(municipality.key_name())
        .map_err(|e| KindpakketError::Invalid(e.to_string()))?;
    let state = node.state();
    // Every line of this municipality's approved payouts, by EndToEndId.
    let mut lines = std::collections::HashMap::new();
    for (id, p) in state.payouts() {
        if state.funds().get(&p.fund).map(|f| &f.owner) != Some(&owner) {
            continue;
        }
        for (n, l) in p.lines.iter().enumerate() {
            lines.insert(line_end_to_end_id(id, n), (id.clone(), l, p.approved()));
        }
    }
    let funds: Vec<&String> = state
        .funds()
        .iter()
        .filter(|(_, f)| f.owner == owner)
        .map(|(id, _)| id)
        .collect();
    let mut out = StatementResult::default();
    let (mut paid, mut topups) = (vec![], vec![]);
    for st in &parsed.statements {
        for (k, e) in st.entries.iter().enumerate() {
            if e.status != "BOOK" {
                continue;
            }
            let at = format!("regel {}", e.line);
            if e.currency != "EUR" {
                out.unmatched.push(format!(
                    "{at}: niet in euro ({}) / not in euros",
                    e.currency
                ));
                continue;
            }
            let Some(day) = e
                .booking_date
                .as_deref()
                .and_then(|d| d.get(..10))
                .and_then(|d| d.parse::<Date>().ok())
            else {
                out.unmatched
                    .push(format!("{at}: geen boekdatum / no booking date"));
                continue;
            };
            if e.cents < 0 {
                let details: Vec<&camt053::Details> = e.details.iter().collect();
                let mut any = false;
                for d in &details {
                    let Some(e2e) = d.end_to_end_id.as_deref() else {
                        continue;
                    };
                    let Some((payout, line, approved)) = lines.get(e2e) else {
                        continue;
                    };
                    any = true;
                    let cents = d
                        .cents
                        .unwrap_or(if details.len() == 1 { e.cents } else { 0 });
                    if cents.abs() != line.cents {
                        out.unmatched.push(format!(
                            "{at}: {e2e} is {} cent, de uitbetaling {} cent / amount differs",
                            cents.abs(),
                            line.cents
                        ));
                    } else if !approved {
                        out.unmatched.push(format!(
                            "{at}: {e2e} is nog niet goedgekeurd / not approved"
                        ));
                    } else {
                        out.paid.push(e2e.to_owned());
                        if line.paid.is_none() {
                            paid.push(PaidLine {
                                payout: payout.clone(),
                                merchant: line.merchant.clone(),
                                date: day,
                            });
                        }
                    }
                }
                if !any {
                    out.unmatched.push(format!(
                        "{at}: geen uitbetaling van het Kindpakket / not a payout"
                    ));
                }
                continue;
            }
            // Money coming back (a payout the shop's bank returned, a reversal) is never a
            // top-up: it is listed for a person to look at.
            let returned = e.reversal
                || e.details.iter().any(|d| {
                    d.return_reason.is_some()
                        || d.end_to_end_id
                            .as_deref()
                            .is_some_and(|x| lines.contains_key(x))
                });
            if returned {
                out.unmatched.push(format!(
                    "{at}: teruggeboekt door de bank; niet geboekt / returned by the bank"
                ));
                continue;
            }
            let text = e
                .details
                .iter()
                .filter_map(|d| d.remittance.as_deref())
                .collect::<Vec<_>>()
                .join(" ")
                .to_uppercase();
            let fund = funds.iter().find(|f| {
                text.split_whitespace()
                    .collect::<Vec<_>>()
                    .windows(2)
                    .any(|w| w[0] == "KINDPAKKET" && w[1] == f.to_uppercase())
            });
            let Some(fund) = fund else {
                out.unmatched
                    .push(format!("{at}: geen code van een regeling / no fund's code"));
                continue;
            };
            // The bank's own reference is stable across re-sent files; without one, the
            // statement's id and the entry's place in it.
            // Kept under the account's IBAN and the bank's reference (stable across re-sent
            // files), or the statement's id and the entry's place; hashed when that is longer
            // than an id may be, never cut (two references must not become one).
            let account = st.account.as_deref().unwrap_or("?");
            let raw = match e.servicer_reference.as_deref() {
                Some(r) => format!("{account}/{r}"),
                None => format!("{account}/{}#{k}", st.id),
            };
            let reference = if raw.len() <= knop_state::kindpakket::KP_ID_BYTES_MAX {
                raw
            } else {
                let d = Sha256::digest(raw.as_bytes());
                format!(
                    "{account}/{}",
                    d.iter()
                        .take(12)
                        .map(|b| format!("{b:02x}"))
                        .collect::<String>()
                )
            };
            if topups.iter().any(|t: &TopUp| t.reference == reference)
                || out.topups.iter().any(|t| t.reference == reference)
            {
                continue;
            }
            let view = TopUpView {
                reference: reference.clone(),
                fund: (*fund).clone(),
                cents: e.cents,
                date: day.to_string(),
            };
            if state.topups().get(&reference).is_none() {
                topups.push(TopUp {
                    reference,
                    fund: (*fund).clone(),
                    cents: e.cents,
                    date: day,
                });
            }
            out.topups.push(view);
        }
    }
    if !(paid.is_empty() && topups.is_empty()) {
        record(
            node,
            municipality,
            now_ms,
            KindpakketCommand::Statement { paid, topups },
        )?;
        out.recorded = true;
    }
    Ok(out)
}

/// Gives `cents` of a spend back to the voucher (the shop's or the municipality's entry); the
/// same refund id again changes nothing.
#[allow(clippy::too_many_arguments)]
pub fn refund(
    node: &mut Node,
    signer: &NoteKey,
    now_ms: u64,
    refund: &str,
    spend: &str,
    cents: i64,
    date: Date,
) -> Result<(), KindpakketError> {
    record(
        node,
        signer,
        now_ms,
        KindpakketCommand::Refund {
            refund: refund.to_owned(),
            spend: spend.to_owned(),
            cents,
            date,
        },
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_fit_sepa_and_references_fit_140_characters() {
        let until: Date = "2026-03-31".parse().unwrap();
        let id = payout_id("kindpakket-2026", until, "ann", "k1");
        assert_eq!(id, payout_id("kindpakket-2026", until, "ann", "k1"));
        assert_ne!(id, payout_id("kindpakket-2027", until, "ann", "k1"));
        assert_ne!(id, payout_id("kindpakket-2026", until, "bob", "k1"));
        assert_ne!(id, payout_id("kindpakket-2026", until, "ann", "k2"));
        assert!(id.starts_with("KP-2026-03-31-"), "{id}");
        let e2e = line_end_to_end_id(&id, 98);
        assert!(e2e.ends_with("-99"));
        EndToEndId::parse(&e2e).unwrap();
        let few = remittance("kp", until, &["A-1".into(), "B-2".into()], &[]);
        assert_eq!(
            few,
            "Kindpakket-uitbetaling kp t/m 2026-03-31: 2 aankopen A-1 B-2"
        );
        let many: Vec<String> = (0..40).map(|i| format!("ABCDEFGH-{i:08}")).collect();
        let long = remittance("kp", until, &many, &["R".into()]);
        assert_eq!(
            long,
            "Kindpakket-uitbetaling kp t/m 2026-03-31: 40 aankopen, 1 terug (lijst in knop)"
        );
        assert!(normal_iban("nl91 abna 0417 1643 00").is_ok());
        assert!(normal_iban("NL91ABNA0417164301").is_err());
    }
}
