//! Redacting a camt.053 file: the texts that say who a party is (names, addresses, account
//! numbers, remittance and free text) of chosen entries replaced by [`REDACTED`], the rest of the
//! file as it was. An erased household's lines in the statements the foundation keeps are
//! redacted so that no readable trace of it stays in any file (AVG art. 17); amounts, dates,
//! references and EndToEndIds, which say nothing of a person, stay, so the kept statement still
//! reads and still shows what was paid.

use std::collections::HashSet;

use quick_xml::events::{BytesDecl, BytesText, Event};

use crate::BankError;

/// What a redacted text reads.
pub const REDACTED: &str = "GEWIST";

/// Elements whose text names or locates a party or says something about it.
const PERSONAL: &[&[u8]] = &[
    b"Nm",
    b"IBAN",
    b"Ustrd",
    b"AddtlNtryInf",
    b"AddtlTxInf",
    b"AdrLine",
    b"StrtNm",
    b"BldgNb",
    b"PstCd",
    b"TwnNm",
    b"CtrySubDvsn",
    b"BirthDt",
    b"CityOfBirth",
];

/// `input` (a camt.053 file, as [`crate::camt053::parse`] reads it) with the personal texts of
/// the entries at `entries` (statement, entry: the positions [`crate::camt053::parse`] gives)
/// redacted, written as UTF-8.
pub fn redact(input: &[u8], entries: &HashSet<(usize, usize)>) -> Result<Vec<u8>, BankError> {
    let text = crate::camt053::transcoded(input)?;
    let utf8 = text.as_deref().map_or(input, str::as_bytes);
    let mut reader = quick_xml::Reader::from_reader(utf8);
    let mut writer = quick_xml::Writer::new(Vec::with_capacity(utf8.len()));
    let (mut statement, mut entry) = (None::<usize>, None::<usize>);
    let (mut statements, mut in_entry) = (0usize, 0usize);
    let mut entries_seen = 0usize;
    let mut stack: Vec<Vec<u8>> = vec![];
    let bad = |reader: &quick_xml::Reader<&[u8]>, e: quick_xml::Error| BankError::Xml {
        line: 1 + utf8[..(reader.buffer_position() as usize).min(utf8.len())]
            .iter()
            .filter(|&&b| b == b'\n')
            .count(),
        why: e.to_string(),
    };
    loop {
        let ev = reader.read_event().map_err(|e| bad(&reader, e))?;
        let out = match &ev {
            Event::Eof => break,
            Event::Decl(_) => Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)),
            Event::Start(s) => {
                let name = s.local_name().as_ref().to_vec();
                if name == b"Stmt" {
                    statement = Some(statements);
                    statements += 1;
                    entries_seen = 0;
                } else if name == b"Ntry" && statement.is_some() {
                    entry = Some(entries_seen);
                    entries_seen += 1;
                }
                if entry.is_some() {
                    in_entry += 1;
                }
                stack.push(name);
                ev.clone()
            }
            Event::End(e) => {
                let name = e.local_name().as_ref().to_vec();
                stack.pop();
                if entry.is_some() {
                    in_entry = in_entry.saturating_sub(1);
                    if in_entry == 0 {
                        entry = None;
                    }
                }
                if name == b"Stmt" {
                    statement = None;
                }
                ev.clone()
            }
            Event::Text(_) | Event::CData(_) => {
                let chosen = match (statement, entry) {
                    (Some(s), Some(e)) => entries.contains(&(s, e)),
                    _ => false,
                };
                let personal = stack
                    .last()
                    .is_some_and(|n| PERSONAL.contains(&n.as_slice()));
                if chosen && personal {
                    Event::Text(BytesText::new(REDACTED))
                } else {
                    ev.clone()
                }
            }
            _ => ev.clone(),
        };
        writer.write_event(out).map_err(|e| BankError::Xml {
            line: 0,
            why: format!("writing the redacted file: {e}"),
        })?;
    }
    Ok(writer.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><GrpHdr><MsgId>M</MsgId></GrpHdr>
<Stmt><Id>S</Id><Acct><Id><IBAN>NL91ABNA0417164300</IBAN></Id></Acct>
<Ntry><Amt Ccy="EUR">10.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2026-03-02</Dt></BookgDt><AcctSvcrRef>R1</AcctSvcrRef>
<NtryDtls><TxDtls><Refs><EndToEndId>E1</EndToEndId></Refs><RltdPties><Dbtr><Nm>Sanne de Vries</Nm><PstlAdr><StrtNm>Lindelaan</StrtNm></PstlAdr></Dbtr><DbtrAcct><Id><IBAN>NL20INGB0001234567</IBAN></Id></DbtrAcct></RltdPties><RmtInf><Ustrd>huur sanne</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>
<Ntry><Amt Ccy="EUR">20.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2026-03-02</Dt></BookgDt><AcctSvcrRef>R2</AcctSvcrRef>
<NtryDtls><TxDtls><RltdPties><Dbtr><Nm>Piet Jansen</Nm></Dbtr></RltdPties></TxDtls></NtryDtls></Ntry>
</Stmt></BkToCstmrStmt></Document>"#;

    #[test]
    fn only_the_chosen_entries_personal_texts_go_and_the_file_still_reads() {
        let out = redact(FILE.as_bytes(), &[(0, 0)].into_iter().collect()).unwrap();
        let text = String::from_utf8(out.clone()).unwrap();
        for gone in ["Sanne", "Lindelaan", "NL20INGB", "huur sanne"] {
            assert!(!text.contains(gone), "{gone} left in {text}");
        }
        for kept in ["Piet Jansen", "NL91ABNA0417164300", "E1", "R1", "10.00"] {
            assert!(text.contains(kept), "{kept} lost from {text}");
        }
        let before = crate::camt053::parse(FILE.as_bytes()).unwrap();
        let after = crate::camt053::parse(&out).unwrap();
        let e = &after.statements[0].entries[0];
        assert_eq!(e.cents, before.statements[0].entries[0].cents);
        assert_eq!(e.details[0].end_to_end_id.as_deref(), Some("E1"));
        assert_eq!(e.details[0].counterparty_name.as_deref(), Some(REDACTED));
        // Nothing chosen: the same document.
        let same = redact(FILE.as_bytes(), &HashSet::new()).unwrap();
        assert_eq!(
            crate::camt053::parse(&same).unwrap().statements[0]
                .entries
                .len(),
            2
        );
    }
}
