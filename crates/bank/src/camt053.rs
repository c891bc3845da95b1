//! camt.053 (BankToCustomerStatement), versions .001.02 through .001.13, into plain data.
//!
//! Field names follow ISO 20022: `Stmt` (statement), `Bal` (balance: `OPBD` opening booked,
//! `CLBD` closing booked, ...), `Ntry` (entry), `NtryDtls/TxDtls` (transaction details with
//! `Refs/EndToEndId`, `Refs/MndtId`, `RltdPties`, `RmtInf`). Amounts are signed cents:
//! `CRDT` adds to the account, `DBIT` takes from it.

use crate::xml::{parse_streaming, El};
use crate::{parse_amount, BankError};

/// A parsed camt.053 file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    /// The message version, e.g. `camt.053.001.02`.
    pub version: String,
    /// `GrpHdr/MsgId`.
    pub message_id: Option<String>,
    /// The statements.
    pub statements: Vec<Statement>,
    /// Things the reader tolerated, with their line.
    pub warnings: Vec<String>,
}

/// One account statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// `Stmt/Id`.
    pub id: String,
    /// `Stmt/ElctrncSeqNb`.
    pub sequence: Option<String>,
    /// `Stmt/CreDtTm`.
    pub created: Option<String>,
    /// `Stmt/Acct/Id/IBAN` (or `Othr/Id`).
    pub account: Option<String>,
    /// `Stmt/Acct/Ccy`.
    pub currency: Option<String>,
    /// Balances in file order.
    pub balances: Vec<Balance>,
    /// Entries in file order.
    pub entries: Vec<Entry>,
    /// Line of `<Stmt>`.
    pub line: usize,
}

/// A balance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Balance {
    /// `Tp/CdOrPrtry/Cd` (`OPBD`, `CLBD`, `CLAV`, `PRCD`, ...) or the proprietary code.
    pub code: String,
    /// Signed cents.
    pub cents: i64,
    /// Currency.
    pub currency: String,
    /// `Dt/Dt` or `Dt/DtTm`.
    pub date: Option<String>,
    /// Line of `<Bal>` (0 for a balance knop made).
    pub line: usize,
}

impl Balance {
    /// A balance in euros with its code (`OPBD`, `CLBD`, ...) and date, as a statement that
    /// knop or a simulated bank writes carries them.
    pub fn eur(code: &str, cents: i64, date: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            cents,
            currency: "EUR".into(),
            date: Some(date.into()),
            line: 0,
        }
    }
}

/// Text of an entry's fields: most (currency, status, dates, IBANs, the bank's references) fit
/// inline, so reading a statement of tens of thousands of entries does not allocate each.
pub type Text = compact_str::CompactString;

/// One entry (booking) on the statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// `NtryRef`.
    pub reference: Option<Text>,
    /// Signed cents.
    pub cents: i64,
    /// Currency.
    pub currency: Text,
    /// `RvslInd`: the entry reverses an earlier one (a return).
    pub reversal: bool,
    /// `Sts` (v2) or `Sts/Cd` (v8+): `BOOK`, `PDNG`, `INFO`.
    pub status: Text,
    /// `BookgDt`.
    pub booking_date: Option<Text>,
    /// `ValDt`.
    pub value_date: Option<Text>,
    /// `AcctSvcrRef`: the bank's own reference, stable across re-sent files.
    pub servicer_reference: Option<Text>,
    /// Bank transaction code: `Domn/Cd/Fmly/Cd/SubFmlyCd` or the proprietary code.
    pub bank_code: Option<Text>,
    /// Transaction details (one per transaction in a batch entry).
    pub details: Vec<Details>,
    /// Line of `<Ntry>`.
    pub line: usize,
}

/// Transaction details of an entry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Details {
    /// `Refs/EndToEndId` (`NOTPROVIDED` is dropped).
    pub end_to_end_id: Option<Text>,
    /// `Refs/MndtId`: the direct-debit mandate.
    pub mandate_id: Option<Text>,
    /// The creditor's SEPA scheme id (`Cdtr/Id/PrvtId/Othr/Id` or `CdtrSchmeId`).
    pub creditor_id: Option<Text>,
    /// Signed cents of this transaction, when given.
    pub cents: Option<i64>,
    /// The other party's name (debtor for credits, creditor for debits).
    pub counterparty_name: Option<Text>,
    /// The other party's IBAN.
    pub counterparty_iban: Option<Text>,
    /// `RmtInf/Ustrd` lines joined, or the structured `CdtrRefInf/Ref`.
    pub remittance: Option<Text>,
    /// `RtrInf/Rsn/Cd`: why a payment came back.
    pub return_reason: Option<Text>,
}

fn field(line: usize, field: &str, why: impl Into<String>) -> BankError {
    BankError::Field {
        line,
        field: field.into(),
        why: why.into(),
    }
}

/// The camt.053 version named by the root's namespace, and a warning for a version read like
/// another; an error for another message.
fn version_of(root: El) -> Result<(String, Option<String>), BankError> {
    let version = root
        .attr("xmlns")
        .and_then(|ns| ns.rsplit(':').next())
        .unwrap_or("")
        .to_owned();
    let warning = if !version.starts_with("camt.053.001.") {
        if version.is_empty() {
            Some("line 1: no camt.053 namespace; read as camt.053".to_owned())
        } else {
            return Err(BankError::NotCamt053 {
                found: format!("namespace {version}"),
            });
        }
    } else if !matches!(version.as_str(), "camt.053.001.02" | "camt.053.001.08") {
        Some(format!("line 1: {version} is read like .001.02/.001.08"))
    } else {
        None
    };
    Ok((version, warning))
}

/// The label in a document's XML declaration (`<?xml ... encoding="ISO-8859-1"?>`), if any.
/// Only the declaration's first bytes are looked at, so a document's usual path costs nothing.
fn declared_encoding(input: &[u8]) -> Option<&[u8]> {
    let decl = input.strip_prefix(b"<?xml")?;
    let decl = &decl[..decl.windows(2).position(|w| w == b"?>")?];
    let at = decl.windows(8).position(|w| w == b"encoding")?;
    let rest = decl[at + 8..].trim_ascii_start().strip_prefix(b"=")?;
    let rest = rest.trim_ascii_start();
    let quote = *rest.first().filter(|q| matches!(q, b'"' | b'\''))?;
    let label = &rest[1..];
    Some(&label[..label.iter().position(|&b| b == quote)?])
}

/// The document as UTF-8, when its declaration names a single-byte encoding (ISO-8859-1,
/// ISO-8859-15, windows-1252: what older bank software writes) and its bytes are not already
/// UTF-8 (a file labelled Latin-1 but written as UTF-8 is read as what it is). `None`: read as
/// it is. Decoding maps byte to character, so line numbers stay those of the file. The
/// declaration is looked for here, not with quick-xml's `encoding` feature, which would decode
/// every piece of text of every file; the decoding is `encoding_rs`'s.
pub(crate) fn transcoded(input: &[u8]) -> Result<Option<String>, BankError> {
    let Some(label) = declared_encoding(input) else {
        return Ok(None);
    };
    let shown = String::from_utf8_lossy(label);
    let encoding = encoding_rs::Encoding::for_label(label).ok_or_else(|| BankError::Xml {
        line: 1,
        why: format!("the XML declaration names an unknown encoding {shown:?}"),
    })?;
    if encoding == encoding_rs::UTF_8 || std::str::from_utf8(input).is_ok() {
        return Ok(None);
    }
    if !encoding.is_single_byte() {
        return Err(BankError::Xml {
            line: 1,
            why: format!("encoding {shown:?} is not read; a statement is UTF-8 or ISO-8859-1"),
        });
    }
    let (text, _) = encoding.decode_without_bom_handling(input);
    Ok(Some(text.into_owned()))
}

/// Parses a camt.053 document: UTF-8 (ISO 20022's encoding), or a single-byte encoding its XML
/// declaration names.
///
/// Entries are read as their elements close and statements as theirs do, so memory holds the
/// statements' data, not the document's element tree (a 64 MiB file made a tree of gigabytes).
pub fn parse(input: &[u8]) -> Result<File, BankError> {
    if input.len() > crate::xml::FILE_BYTES_MAX {
        return Err(BankError::TooLarge { bytes: input.len() });
    }
    match transcoded(input)? {
        // Decoded, a character outside ASCII takes two or three bytes: the limit holds for what
        // is read, and says so.
        Some(text) if text.len() > crate::xml::FILE_BYTES_MAX => Err(BankError::Xml {
            line: 1,
            why: format!(
                "decoded to UTF-8 the file takes {} bytes, over the limit of {} bytes",
                text.len(),
                crate::xml::FILE_BYTES_MAX
            ),
        }),
        Some(text) => parse_utf8(text.as_bytes()),
        None => parse_utf8(input),
    }
}

fn parse_utf8(input: &[u8]) -> Result<File, BankError> {
    let mut entries: Vec<Entry> = Vec::new();
    let mut balances: Vec<Balance> = Vec::new();
    let mut statements: Vec<Statement> = Vec::new();
    let mut warnings = Vec::new();
    let mut checked = false;
    // The account of the statement being read (worked out at its first entry, forgotten when
    // it closes): a transaction's other party is never the account itself.
    let mut own: Option<Option<Text>> = None;
    let tree = parse_streaming(input, |tree, up, id| {
        let el = tree.get(id);
        let in_statement = |depth: usize| {
            up.len() == depth
                && tree.get(up[2]).is("BkToCstmrStmt")
                && (depth == 3 || tree.get(up[3]).is("Stmt"))
        };
        let streamed = if el.is("Ntry") || el.is("Bal") {
            in_statement(4)
        } else {
            el.is("Stmt") && in_statement(3)
        };
        if !streamed {
            return Ok(true);
        }
        if !checked {
            // Another message's entries are not read as a statement's.
            version_of(tree.get(up[1]))?;
            checked = true;
        }
        if el.is("Ntry") {
            let own = own.get_or_insert_with(|| account_of(tree.get(up[3])));
            entries.push(entry(el, own.as_deref())?);
        } else if el.is("Bal") {
            match balance(el)? {
                Some(b) => balances.push(b),
                None => warnings.push(format!(
                    "line {}: balance without amount skipped",
                    el.line()
                )),
            }
        } else {
            own = None;
            statements.push(statement(
                el,
                std::mem::take(&mut balances),
                std::mem::take(&mut entries),
                &mut warnings,
            )?);
        }
        Ok(false)
    })?;
    let root = tree.root();
    let stmt_root = root
        .child("BkToCstmrStmt")
        .ok_or_else(|| BankError::NotCamt053 {
            found: format!(
                "root <{}> without <BkToCstmrStmt> (namespace {:?})",
                root.name(),
                root.attr("xmlns")
                    .and_then(|ns| ns.rsplit(':').next())
                    .unwrap_or("")
            ),
        })?;
    let (version, warning) = version_of(root)?;
    warnings.splice(0..0, warning);
    if statements.is_empty() {
        return Err(field(
            stmt_root.line(),
            "BkToCstmrStmt/Stmt",
            "no statement in the file (at least one <Stmt> is required)",
        ));
    }
    Ok(File {
        version,
        message_id: stmt_root.text_at(&["GrpHdr", "MsgId"]).map(str::to_owned),
        statements,
        warnings,
    })
}

fn statement(
    s: El,
    balances: Vec<Balance>,
    entries: Vec<Entry>,
    warnings: &mut Vec<String>,
) -> Result<Statement, BankError> {
    let id = s
        .text_at(&["Id"])
        .ok_or_else(|| field(s.line(), "Stmt/Id", "missing"))?
        .to_owned();
    let account = account_of(s).map(String::from);
    for e in &entries {
        if let [d] = e.details.as_slice() {
            if d.cents.is_some_and(|c| c != e.cents) {
                warnings.push(format!("line {}: the transaction details give another amount than the entry; the entry's amount is booked", e.line));
            }
        }
    }
    if let Some(summary) = s.child("TxsSummry") {
        check_summary(summary, &entries, warnings);
    }
    Ok(Statement {
        id,
        sequence: s.text_at(&["ElctrncSeqNb"]).map(str::to_owned),
        created: s.text_at(&["CreDtTm"]).map(str::to_owned),
        account,
        currency: s.text_at(&["Acct", "Ccy"]).map(str::to_owned),
        balances,
        entries,
        line: s.line(),
    })
}

/// Reads `Amt` + `CdtDbtInd` of `e` as signed cents; `None` when there is no `Amt` at all.
fn signed_amount<'t>(e: El<'t, '_>, path: &str) -> Result<Option<(i64, &'t str)>, BankError> {
    let [amt, indicator] = e.firsts(["Amt", "CdtDbtInd"]);
    signed(amt, indicator, e.line(), path)
}

/// The trimmed text of an element, if it is there and not empty.
fn text<'t>(e: Option<El<'t, '_>>) -> Option<&'t str> {
    e.map(|e| e.text()).filter(|t| !t.is_empty())
}

/// `amt` (`Amt` with its `Ccy`) signed by `indicator` (`CdtDbtInd`) of the element at `line` as
/// cents; `None` when there is no `Amt` at all.
fn signed<'t>(
    amt: Option<El<'t, '_>>,
    indicator: Option<El>,
    line: usize,
    path: &str,
) -> Result<Option<(i64, &'t str)>, BankError> {
    let Some(amt) = amt else {
        return Ok(None);
    };
    let ccy = amt
        .attr("Ccy")
        .ok_or_else(|| field(amt.line(), &format!("{path}/Amt"), "no Ccy attribute"))?;
    let cents = parse_amount(amt.text(), ccy)
        .map_err(|why| field(amt.line(), &format!("{path}/Amt"), why))?;
    let sign = match text(indicator) {
        Some("CRDT") => 1,
        Some("DBIT") => -1,
        Some(other) => {
            return Err(field(
                line,
                &format!("{path}/CdtDbtInd"),
                format!("expected CRDT or DBIT, found {other:?}"),
            ))
        }
        None => return Err(field(line, &format!("{path}/CdtDbtInd"), "missing")),
    };
    Ok(Some((sign * cents, ccy)))
}

fn balance(b: El) -> Result<Option<Balance>, BankError> {
    let Some((cents, currency)) = signed_amount(b, "Stmt/Bal")? else {
        return Ok(None);
    };
    let code = b
        .text_at(&["Tp", "CdOrPrtry", "Cd"])
        .or_else(|| b.text_at(&["Tp", "CdOrPrtry", "Prtry"]))
        .unwrap_or("")
        .to_owned();
    let date = b
        .text_at(&["Dt", "Dt"])
        .or_else(|| b.text_at(&["Dt", "DtTm"]))
        .map(str::to_owned);
    Ok(Some(Balance {
        code,
        cents,
        currency: currency.to_owned(),
        date,
        line: b.line(),
    }))
}

/// A statement's account: `Acct/Id/IBAN`, or `Acct/Id/Othr/Id`, without spaces.
fn account_of(stmt: El) -> Option<Text> {
    stmt.text_at(&["Acct", "Id", "IBAN"])
        .or_else(|| stmt.text_at(&["Acct", "Id", "Othr", "Id"]))
        .map(without_spaces)
}

/// An entry; `own` is its statement's account.
fn entry(n: El, own: Option<&str>) -> Result<Entry, BankError> {
    // The first of each field's element, in one walk of the entry's children.
    let [amt, indicator, reversal, status, booked, value, servicer, reference, code] = n.firsts([
        "Amt",
        "CdtDbtInd",
        "RvslInd",
        "Sts",
        "BookgDt",
        "ValDt",
        "AcctSvcrRef",
        "NtryRef",
        "BkTxCd",
    ]);
    let (cents, currency) = signed(amt, indicator, n.line(), "Stmt/Ntry")?
        .ok_or_else(|| field(n.line(), "Stmt/Ntry/Amt", "missing"))?;
    let reversal = matches!(text(reversal), Some("true") | Some("1"));
    // `Sts` is text up to version 2, then `Sts/Cd` or, for a bank's own, `Sts/Prtry`.
    let status = status
        .and_then(|s| s.text_at(&["Cd"]).or_else(|| s.text_at(&["Prtry"])))
        .or_else(|| text(status))
        .unwrap_or("BOOK")
        .into();
    let date = |d: Option<El>| {
        d.and_then(|d| d.text_at(&["Dt"]).or_else(|| d.text_at(&["DtTm"])))
            .map(Text::from)
    };
    let bank_code = code.and_then(|c| {
        match (
            c.text_at(&["Domn", "Cd"]),
            c.text_at(&["Domn", "Fmly", "Cd"]),
            c.text_at(&["Domn", "Fmly", "SubFmlyCd"]),
        ) {
            (Some(d), Some(f), Some(s)) => {
                let mut code = Text::with_capacity(d.len() + f.len() + s.len() + 2);
                code.push_str(d);
                code.push('/');
                code.push_str(f);
                code.push('/');
                code.push_str(s);
                Some(code)
            }
            _ => c.text_at(&["Prtry", "Cd"]).map(Text::from),
        }
    });
    let mut details = Vec::new();
    for nd in n.all("NtryDtls") {
        for tx in nd.all("TxDtls") {
            details.push(tx_details(tx, cents >= 0, own)?);
        }
    }
    Ok(Entry {
        reference: text(reference).map(Text::from),
        cents,
        currency: currency.into(),
        reversal,
        status,
        booking_date: date(booked),
        value_date: date(value),
        servicer_reference: text(servicer).map(Text::from),
        bank_code,
        details,
        line: n.line(),
    })
}

/// An IBAN as banks print it (in groups of four) or as it is stored (without spaces), stored.
fn without_spaces(t: &str) -> Text {
    if t.contains(' ') {
        t.chars().filter(|&c| c != ' ').collect()
    } else {
        Text::from(t)
    }
}

fn party_name(p: Option<El>) -> Option<Text> {
    let p = p?;
    p.text_at(&["Nm"])
        .or_else(|| p.text_at(&["Pty", "Nm"]))
        .map(Text::from)
}

/// A transaction's details; `credit` says which way the money went, `own` is the statement's
/// account.
fn tx_details(tx: El, credit: bool, own: Option<&str>) -> Result<Details, BankError> {
    let [parties, scheme, rmt, amount_details, amt, refs, ret] = tx.firsts([
        "RltdPties",
        "CdtrSchmeId",
        "RmtInf",
        "AmtDtls",
        "Amt",
        "Refs",
        "RtrInf",
    ]);
    let side = |debtor: bool| {
        let (party, account) = if debtor {
            ("Dbtr", "DbtrAcct")
        } else {
            ("Cdtr", "CdtrAcct")
        };
        let iban = parties
            .and_then(|p| {
                p.text_at(&[account, "Id", "IBAN"])
                    .or_else(|| p.text_at(&[account, "Id", "Othr", "Id"]))
            })
            .map(without_spaces);
        (party, iban)
    };
    // The payer of a credit, the payee of a debit; but banks differ in where they put the parties
    // of a return or reversal, and the other party is never the statement's own account.
    let (mut party, mut iban) = side(credit);
    if let (Some(i), Some(own)) = (&iban, own) {
        if i.eq_ignore_ascii_case(own) {
            (party, iban) = side(!credit);
        }
    }
    let creditor_id = parties
        .and_then(|p| {
            p.text_at(&["Cdtr", "Id", "PrvtId", "Othr", "Id"])
                .or_else(|| p.text_at(&["Cdtr", "Pty", "Id", "PrvtId", "Othr", "Id"]))
        })
        .or_else(|| scheme.and_then(|s| s.text_at(&["Id", "PrvtId", "Othr", "Id"])))
        .map(Text::from);
    // The unstructured lines joined by spaces, else the structured reference.
    let mut ustrd = rmt.into_iter().flat_map(|r| r.all("Ustrd"));
    let remittance = match ustrd.next() {
        Some(first) => {
            let mut text = Text::from(first.text());
            for u in ustrd {
                text.push(' ');
                text.push_str(u.text());
            }
            Some(text)
        }
        None => rmt
            .and_then(|r| r.text_at(&["Strd", "CdtrRefInf", "Ref"]))
            .map(Text::from),
    };
    let cents = match amount_details.and_then(|a| a.at(&["TxAmt", "Amt"])).or(amt) {
        Some(amt) => {
            let ccy = amt
                .attr("Ccy")
                .ok_or_else(|| field(amt.line(), "TxDtls/Amt", "no Ccy attribute"))?;
            let c = parse_amount(amt.text(), ccy)
                .map_err(|why| field(amt.line(), "TxDtls/Amt", why))?;
            Some(if credit { c } else { -c })
        }
        None => None,
    };
    Ok(Details {
        end_to_end_id: refs
            .and_then(|r| r.text_at(&["EndToEndId"]))
            .filter(|r| *r != "NOTPROVIDED")
            .map(Text::from),
        mandate_id: refs.and_then(|r| r.text_at(&["MndtId"])).map(Text::from),
        creditor_id,
        cents,
        counterparty_name: party_name(parties.and_then(|p| p.child(party))),
        counterparty_iban: iban,
        remittance,
        return_reason: ret.and_then(|r| r.text_at(&["Rsn", "Cd"])).map(Text::from),
    })
}

/// Compares the statement's own summary (`TxsSummry/TtlNtries`: the number of entries and the
/// sum of their amounts, without sign) with the entries the file holds: a difference means a
/// file cut short or put together wrongly, so it is a warning naming the summary's line (the
/// closing balance check catches what it means for the book).
fn check_summary(summary: El, entries: &[Entry], warnings: &mut Vec<String>) {
    let line = summary.line();
    if let Some(n) = summary.text_at(&["TtlNtries", "NbOfNtries"]) {
        match n.parse::<usize>() {
            Ok(n) if n != entries.len() => warnings.push(format!(
                "line {line}: the statement's summary counts {n} entries, the file holds {}; entries may be missing",
                entries.len()
            )),
            Ok(_) => {}
            Err(_) => warnings.push(format!(
                "line {line}: TxsSummry/TtlNtries/NbOfNtries {n:?} is not a number; not checked"
            )),
        }
    }
    let (Some(sum), Some(first)) = (summary.text_at(&["TtlNtries", "Sum"]), entries.first()) else {
        return;
    };
    if entries.iter().any(|e| e.currency != first.currency) {
        return;
    }
    let held = entries
        .iter()
        .try_fold(0i64, |acc, e| acc.checked_add(e.cents.checked_abs()?));
    match (crate::parse_amount(sum, &first.currency), held) {
        (Ok(sum), Some(held)) if sum != held => warnings.push(format!(
            "line {line}: the statement's summary sums the entries to {}, the file's entries to {}; entries may be missing",
            Amount(sum),
            Amount(held)
        )),
        (Ok(_), _) => {}
        (Err(why), _) => warnings.push(format!(
            "line {line}: TxsSummry/TtlNtries/Sum: {why}; not checked"
        )),
    }
}

impl Statement {
    /// The first balance with this code (`OPBD`, `CLBD`, ...).
    pub fn balance(&self, code: &str) -> Option<&Balance> {
        self.balances.iter().find(|b| b.code == code)
    }

    /// Sum of booked credits and of booked debits (both as positive cents).
    pub fn totals(&self) -> (i64, i64) {
        let booked = self.entries.iter().filter(|e| e.status == "BOOK");
        booked.fold((0, 0), |(c, d), e| {
            if e.cents >= 0 {
                (c + e.cents, d)
            } else {
                (c, d - e.cents)
            }
        })
    }

    /// The opening booked balance: `OPBD`, or `PRCD` (the previous closing) where a bank gives
    /// that instead.
    pub fn opening(&self) -> Option<&Balance> {
        self.balance("OPBD").or_else(|| self.balance("PRCD"))
    }

    /// Whether the booked balances and the booked entries are not all in one currency (then
    /// they cannot be added up; see [`Statement::imbalance`]).
    pub fn mixed_currencies(&self) -> bool {
        let mut currencies = [self.opening(), self.balance("CLBD")]
            .into_iter()
            .flatten()
            .map(|b| b.currency.as_str())
            .chain(
                self.entries
                    .iter()
                    .filter(|e| e.status == "BOOK")
                    .map(|e| e.currency.as_str()),
            );
        currencies
            .next()
            .is_some_and(|first| currencies.any(|c| c != first))
    }

    /// Opening booked + credits - debits - closing booked, in minor units, when both balances
    /// are present and they and the booked entries share one currency: 0 when the statement
    /// adds up.
    pub fn imbalance(&self) -> Option<i64> {
        let (open, close) = (self.opening()?, self.balance("CLBD")?);
        if self.mixed_currencies() {
            return None;
        }
        let (c, d) = self.totals();
        Some(open.cents + c - d - close.cents)
    }
}

/// The magnitude of signed cents as a decimal amount, e.g. `12.05`.
struct Amount(i64);

impl std::fmt::Display for Amount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let c = self.0.unsigned_abs();
        write!(f, "{}.{:02}", c / 100, c % 100)
    }
}

fn amount(cents: i64) -> Amount {
    Amount(cents)
}

fn indicator(cents: i64) -> &'static str {
    if cents < 0 {
        "DBIT"
    } else {
        "CRDT"
    }
}

/// Writes a statement as camt.053.001.02 (what a bank sends), for simulations and tests. Dates
/// are `YYYY-MM-DD`; `created` is an ISO date-time. The output validates against the ISO schema
/// and reads back with [`parse`] to the same statement.
pub fn write_v02(s: &Statement, message_id: &str, created: &str) -> Vec<u8> {
    use std::fmt::Write as _;
    let mut o = String::with_capacity(1024 + s.entries.len() * 700);
    let w = &mut o;
    let _ = write!(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\">\n<BkToCstmrStmt>\n<GrpHdr><MsgId>{}</MsgId><CreDtTm>{}</CreDtTm></GrpHdr>\n", crate::xml_escaped(message_id), crate::xml_escaped(created));
    let _ = write!(w, "<Stmt><Id>{}</Id>", crate::xml_escaped(&s.id));
    if let Some(n) = &s.sequence {
        let _ = write!(w, "<ElctrncSeqNb>{}</ElctrncSeqNb>", crate::xml_escaped(n));
    }
    let _ = write!(
        w,
        "<CreDtTm>{}</CreDtTm><Acct><Id><IBAN>{}</IBAN></Id>",
        crate::xml_escaped(created),
        crate::xml_escaped(s.account.as_deref().unwrap_or(""))
    );
    if let Some(c) = &s.currency {
        let _ = write!(w, "<Ccy>{}</Ccy>", crate::xml_escaped(c));
    }
    w.push_str("</Acct>\n");
    for b in &s.balances {
        let _ = writeln!(w, "<Bal><Tp><CdOrPrtry><Cd>{}</Cd></CdOrPrtry></Tp><Amt Ccy=\"{}\">{}</Amt><CdtDbtInd>{}</CdtDbtInd><Dt><Dt>{}</Dt></Dt></Bal>", crate::xml_escaped(&b.code), crate::xml_escaped(&b.currency), amount(b.cents), indicator(b.cents), crate::xml_escaped(b.date.as_deref().unwrap_or("")));
    }
    // Entries in pieces rather than through `write!`: a statement has tens of thousands.
    for e in &s.entries {
        w.push_str("<Ntry><Amt Ccy=\"");
        w.push_str(&crate::xml_escaped(&e.currency));
        w.push_str("\">");
        crate::push_amount(w, e.cents);
        w.push_str("</Amt>");
        element(w, "CdtDbtInd", indicator(e.cents));
        if e.reversal {
            w.push_str("<RvslInd>true</RvslInd>");
        }
        element(w, "Sts", &e.status);
        for (tag, d) in [("BookgDt", &e.booking_date), ("ValDt", &e.value_date)] {
            if let Some(d) = d {
                open(w, tag);
                element(w, "Dt", d);
                close(w, tag);
            }
        }
        if let Some(r) = &e.servicer_reference {
            element(w, "AcctSvcrRef", r);
        }
        let family = match (
            e.cents < 0,
            e.details.first().is_some_and(|d| d.mandate_id.is_some()),
        ) {
            (true, true) => ("RDDT", "ESDD"),
            (true, false) => ("ICDT", "ESCT"),
            (false, _) => ("RCDT", "ESCT"),
        };
        w.push_str("<BkTxCd><Domn><Cd>PMNT</Cd><Fmly>");
        element(w, "Cd", family.0);
        element(w, "SubFmlyCd", family.1);
        w.push_str("</Fmly></Domn></BkTxCd>");
        if !e.details.is_empty() {
            w.push_str("<NtryDtls>");
            if e.details.len() > 1 {
                // A batch booked as one entry (a payment file sent with batch booking).
                let _ = write!(w, "<Btch><NbOfTxs>{}</NbOfTxs></Btch>", e.details.len());
            }
            for d in &e.details {
                write_details(w, d, e.cents < 0);
            }
            w.push_str("</NtryDtls>");
        }
        w.push_str("</Ntry>\n");
    }
    o.push_str("</Stmt>\n</BkToCstmrStmt>\n</Document>\n");
    o.into_bytes()
}

fn write_details(w: &mut String, d: &Details, debit: bool) {
    w.push_str("<TxDtls>");
    if d.end_to_end_id.is_some() || d.mandate_id.is_some() {
        w.push_str("<Refs>");
        if let Some(x) = &d.end_to_end_id {
            element(w, "EndToEndId", x);
        }
        if let Some(x) = &d.mandate_id {
            element(w, "MndtId", x);
        }
        w.push_str("</Refs>");
    }
    if let Some(c) = d.cents {
        w.push_str("<AmtDtls><TxAmt><Amt Ccy=\"EUR\">");
        crate::push_amount(w, c);
        w.push_str("</Amt></TxAmt></AmtDtls>");
    }
    if d.counterparty_name.is_some() || d.counterparty_iban.is_some() || d.creditor_id.is_some() {
        let (party, account) = if debit {
            ("<Cdtr>", "CdtrAcct")
        } else {
            ("<Dbtr>", "DbtrAcct")
        };
        w.push_str("<RltdPties>");
        w.push_str(party);
        if let Some(n) = &d.counterparty_name {
            element(w, "Nm", n);
        }
        if let (true, Some(id)) = (debit, &d.creditor_id) {
            w.push_str("<Id><PrvtId><Othr>");
            element(w, "Id", id);
            w.push_str("</Othr></PrvtId></Id>");
        }
        w.push_str(if debit { "</Cdtr>" } else { "</Dbtr>" });
        if let Some(i) = &d.counterparty_iban {
            open(w, account);
            w.push_str("<Id>");
            element(w, "IBAN", i);
            w.push_str("</Id>");
            close(w, account);
        }
        w.push_str("</RltdPties>");
    }
    if let Some(r) = &d.remittance {
        w.push_str("<RmtInf>");
        element(w, "Ustrd", r);
        w.push_str("</RmtInf>");
    }
    if let Some(r) = &d.return_reason {
        w.push_str("<RtrInf><Rsn>");
        element(w, "Cd", r);
        w.push_str("</Rsn></RtrInf>");
    }
    w.push_str("</TxDtls>");
}

/// `<tag>`.
fn open(w: &mut String, tag: &str) {
    w.push('<');
    w.push_str(tag);
    w.push('>');
}

/// `</tag>`.
fn close(w: &mut String, tag: &str) {
    w.push_str("</");
    w.push_str(tag);
    w.push('>');
}

/// `<tag>text</tag>`, the text escaped for XML.
fn element(w: &mut String, tag: &str, text: &str) {
    open(w, tag);
    w.push_str(&crate::xml_escaped(text));
    close(w, tag);
}
