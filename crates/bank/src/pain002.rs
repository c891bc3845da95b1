//! pain.002 (Customer Payment Status Report, ISO 20022 `pain.002.001.03` up to `.001.10`): the
//! bank's answer to a pain.001. knop reads which transactions were rejected, and why, so that
//! their reservations are voided and a counsellor is told — before the due date passes.
//!
//! Read by path over the same bounded element tree as camt.053, so prefixes, versions and the
//! order of optional blocks do not matter. Only what knop acts on is kept.

use crate::xml::{parse as parse_xml, El};
use crate::BankError;

/// One transaction's status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxStatus {
    /// `OrgnlEndToEndId`.
    pub end_to_end_id: String,
    /// `TxSts`: `ACCP`, `ACSC`, `ACSP`, `ACTC`, `ACWC`, `PDNG`, `RCVD`, `RJCT`, …
    pub status: String,
    /// `StsRsnInf/Rsn/Cd` (ISO external status reason code, e.g. `AC04` closed account).
    pub reason: Option<String>,
    /// Line of `<TxInfAndSts>`.
    pub line: usize,
}

/// A status report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// `GrpHdr/MsgId` of the report.
    pub message_id: String,
    /// `OrgnlGrpInfAndSts/OrgnlMsgId`: the pain.001 it answers (knop's run id).
    pub original_message_id: String,
    /// `OrgnlGrpInfAndSts/GrpSts`, if given: `RJCT` rejects the whole file.
    pub group_status: Option<String>,
    /// Group-level reason code, if given.
    pub group_reason: Option<String>,
    /// Transaction statuses.
    pub transactions: Vec<TxStatus>,
}

impl Report {
    /// Whether the bank rejected the whole file.
    pub fn group_rejected(&self) -> bool {
        self.group_status.as_deref() == Some("RJCT")
    }
}

fn field(e: El, path: &str, why: &str) -> BankError {
    BankError::Field {
        line: e.line(),
        field: path.into(),
        why: why.into(),
    }
}

/// Reads a pain.002 document.
pub fn parse(input: &[u8]) -> Result<Report, BankError> {
    let tree = parse_xml(input)?;
    let root = tree.root();
    let ns = root.attr("xmlns").unwrap_or("");
    let version = ns.rsplit(':').next().unwrap_or("");
    if !version.is_empty() && !version.starts_with("pain.002.001.") {
        return Err(field(
            root,
            "Document/@xmlns",
            &format!("namespace {version}: expected pain.002.001.*"),
        ));
    }
    let rpt = root.child("CstmrPmtStsRpt").ok_or_else(|| {
        field(
            root,
            "CstmrPmtStsRpt",
            "missing: not a payment status report",
        )
    })?;
    let message_id = rpt
        .text_at(&["GrpHdr", "MsgId"])
        .ok_or_else(|| field(rpt, "GrpHdr/MsgId", "missing"))?
        .to_owned();
    let grp = rpt
        .child("OrgnlGrpInfAndSts")
        .ok_or_else(|| field(rpt, "OrgnlGrpInfAndSts", "missing"))?;
    let original_message_id = grp
        .text_at(&["OrgnlMsgId"])
        .filter(|t| !t.is_empty())
        .ok_or_else(|| field(grp, "OrgnlGrpInfAndSts/OrgnlMsgId", "missing"))?
        .to_owned();
    let group_status = grp.text_at(&["GrpSts"]).map(str::to_owned);
    let group_reason = grp.text_at(&["StsRsnInf", "Rsn", "Cd"]).map(str::to_owned);
    let mut transactions = vec![];
    for pmt in rpt.all("OrgnlPmtInfAndSts") {
        for tx in pmt.all("TxInfAndSts") {
            let e2e = tx
                .text_at(&["OrgnlEndToEndId"])
                .filter(|t| !t.is_empty())
                .ok_or_else(|| field(tx, "TxInfAndSts/OrgnlEndToEndId", "missing"))?;
            let status = tx
                .text_at(&["TxSts"])
                .filter(|t| t.len() == 4 && t.bytes().all(|b| b.is_ascii_uppercase()))
                .ok_or_else(|| {
                    field(
                        tx,
                        "TxInfAndSts/TxSts",
                        "missing or not a 4-letter status code",
                    )
                })?;
            transactions.push(TxStatus {
                end_to_end_id: e2e.to_owned(),
                status: status.to_owned(),
                reason: tx.text_at(&["StsRsnInf", "Rsn", "Cd"]).map(str::to_owned),
                line: tx.line(),
            });
        }
    }
    Ok(Report {
        message_id,
        original_message_id,
        group_status,
        group_reason,
        transactions,
    })
}

/// A reason code in plain Dutch, for the alert (the common SEPA codes; others as given).
pub fn reason_nl(code: &str) -> String {
    match code {
        "AC01" => "rekeningnummer onjuist".into(),
        "AC04" => "rekening opgeheven".into(),
        "AC06" => "rekening geblokkeerd".into(),
        "AG01" => "transactie niet toegestaan op deze rekening".into(),
        "AM04" => "onvoldoende saldo".into(),
        "AM05" => "dubbele betaling".into(),
        "BE04" => "adres van de ontvanger ontbreekt".into(),
        "MD07" => "rekeninghouder overleden".into(),
        "MS02" | "MS03" => "geweigerd zonder opgave van reden".into(),
        "RC01" => "BIC onjuist".into(),
        "RR01" | "RR02" | "RR03" | "RR04" => "wettelijke of regelgevende reden".into(),
        "FF01" => "bestand ongeldig".into(),
        other => format!("reden {other}"),
    }
}
