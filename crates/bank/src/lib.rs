//! Bank files for knop: ISO 20022 camt.053 (bank-to-customer statement) in.
//!
//! Real banks' files vary (namespace prefixes, versions .001.02 to .001.08 and later, optional
//! blocks, stray text); the reader is lenient about structure and strict about money: every
//! amount must be a non-negative decimal with a currency and at most the currency's decimals
//! (two for EUR), and its sign comes only from `CdtDbtInd`. Problems carry the line.
//!
//! ```
//! let xml = br#"<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>
//!   <GrpHdr><MsgId>M1</MsgId></GrpHdr>
//!   <Stmt><Id>S1</Id><Acct><Id><IBAN>NL91ABNA0417164300</IBAN></Id></Acct>
//!     <Ntry><Amt Ccy="EUR">12.50</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts></Ntry>
//!   </Stmt></BkToCstmrStmt></Document>"#;
//! let file = knop_bank::camt053::parse(xml).unwrap();
//! assert_eq!(file.statements[0].entries[0].cents, -1250);
//! ```

#![warn(missing_docs)]

pub mod camt053;
pub mod creditor_reference;
pub mod end_to_end_id;
pub mod pain001;
pub mod pain002;
pub mod redact;
pub mod xml;

pub use end_to_end_id::{EndToEndId, EndToEndIdError};

/// Why a bank file cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BankError {
    /// Occurs when the file is not well-formed XML.
    #[error("line {line}: not well-formed XML: {why}")]
    Xml {
        /// Line of the problem.
        line: usize,
        /// What the parser found.
        why: String,
    },
    /// Occurs when the document is XML but not a camt.053 statement.
    #[error("not a camt.053 statement: {found}")]
    NotCamt053 {
        /// What the document is instead.
        found: String,
    },
    /// Occurs when a field is missing or wrong.
    #[error("line {line}: {field}: {why}")]
    Field {
        /// Line of the element.
        line: usize,
        /// The field's path, e.g. `Stmt/Ntry/Amt`.
        field: String,
        /// What is wrong.
        why: String,
    },
    /// Occurs when the file is over the size limit.
    #[error(
        "file of {bytes} bytes is over the limit of {} bytes",
        xml::FILE_BYTES_MAX
    )]
    TooLarge {
        /// The file's size.
        bytes: usize,
    },
}

/// The bytes XML text and attribute values take as entities: `<`, `>`, `&`, `'` and `"` (the
/// set `quick_xml::escape::escape` replaces, so files stay byte for byte what they were).
const XML_SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    t[b'<' as usize] = true;
    t[b'>' as usize] = true;
    t[b'&' as usize] = true;
    t[b'\'' as usize] = true;
    t[b'"' as usize] = true;
    t
};

/// `s` escaped for XML text or an attribute value, borrowed when nothing needs escaping. Whether
/// anything does is found without a branch per byte (the writers escape every field of files of
/// tens of thousands of lines, and nearly no field has such a byte); quick-xml escapes the rest.
pub(crate) fn xml_escaped(s: &str) -> std::borrow::Cow<'_, str> {
    if s.bytes()
        .fold(false, |any, b| any | XML_SPECIAL[usize::from(b)])
    {
        quick_xml::escape::escape(s)
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// Appends the magnitude of `cents` as a decimal amount with two decimals (`12.05`), as the
/// files' amounts are written; with `itoa` rather than the formatting machinery, which costs
/// more than the digits when a file has tens of thousands of amounts.
pub(crate) fn push_amount(out: &mut String, cents: i64) {
    let c = cents.unsigned_abs();
    out.push_str(itoa::Buffer::new().format(c / 100));
    out.push('.');
    out.push(char::from(b'0' + (c % 100 / 10) as u8));
    out.push(char::from(b'0' + (c % 10) as u8));
}

/// Minor units (decimals) of a currency, ISO 4217. Only currencies seen on Dutch and European
/// statements are listed; any other code is refused rather than guessed.
pub fn currency_decimals(code: &str) -> Option<u32> {
    match code {
        "EUR" | "USD" | "GBP" | "CHF" | "SEK" | "DKK" | "NOK" | "PLN" | "CZK" | "HUF" | "RON"
        | "BGN" | "CAD" | "AUD" | "ANG" | "AWG" | "SRD" | "MAD" | "TRY" => Some(2),
        "JPY" | "ISK" => Some(0),
        "BHD" | "KWD" | "OMR" | "TND" => Some(3),
        _ => None,
    }
}

/// Parses an ISO 20022 amount (`ActiveOrHistoricCurrencyAndAmount`) strictly into minor units:
/// digits with an optional point and at most the currency's decimals; no sign, no exponent, no
/// thousands separators. Never rounds.
pub fn parse_amount(text: &str, currency: &str) -> Result<i64, String> {
    let decimals = currency_decimals(currency)
        .ok_or_else(|| format!("currency {currency:?} is not a known ISO 4217 code"))?;
    let t = text.trim();
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    if whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || (t.contains('.') && frac.is_empty())
    {
        return Err(format!("{t:?} is not a non-negative decimal amount"));
    }
    if frac.len() > decimals as usize {
        return Err(format!(
            "{t:?} has {} decimals; {currency} has {decimals}",
            frac.len()
        ));
    }
    if whole.len() > 15 {
        return Err(format!("{t:?} is too large"));
    }
    // At most 15 digits, then at most 3 decimals (checked above): the value stays below
    // 10^18 and fits an i64. Missing decimals are zeros ("12.5" EUR is 1250 cents).
    let digits = |s: &str| s.bytes().fold(0i64, |n, b| n * 10 + i64::from(b - b'0'));
    let scale = 10i64.pow(decimals);
    let f = digits(frac) * 10i64.pow(decimals - frac.len() as u32);
    Ok(digits(whole) * scale + f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_strict() {
        for (t, c) in [
            ("0", 0),
            ("0.00", 0),
            ("12.5", 1250),
            ("12.50", 1250),
            ("654.32", 65432),
            ("1000000", 100000000),
        ] {
            assert_eq!(parse_amount(t, "EUR"), Ok(c), "{t}");
        }
        // Every amount in cents reads back from its decimal form, with and without zeros.
        for c in [
            0i64,
            1,
            9,
            10,
            99,
            100,
            101,
            123_456_789,
            99_999_999_999_999_999,
        ] {
            let text = format!("{}.{:02}", c / 100, c % 100);
            assert_eq!(parse_amount(&text, "EUR"), Ok(c), "{text}");
            let short = text.trim_end_matches('0').trim_end_matches('.');
            assert_eq!(parse_amount(short, "EUR"), Ok(c), "{short}");
        }
        for t in [
            "",
            "-1.00",
            "+1",
            "1,00",
            "1.234",
            "1.",
            ".5",
            "1e3",
            "1 000",
            "12.5.1",
            "9999999999999999",
        ] {
            assert!(parse_amount(t, "EUR").is_err(), "{t}");
        }
        assert_eq!(parse_amount("1.00", "SEK"), Ok(100));
        assert_eq!(parse_amount("0.5", "EUR"), Ok(50));
        assert_eq!(parse_amount("7.1", "BHD"), Ok(7100));
        assert_eq!(parse_amount("1.234", "BHD"), Ok(1234));
        assert_eq!(
            parse_amount("999999999999999.99", "EUR"),
            Ok(99_999_999_999_999_999)
        );
        assert_eq!(
            parse_amount("999999999999999.999", "KWD"),
            Ok(999_999_999_999_999_999)
        );
        assert_eq!(parse_amount("100", "JPY"), Ok(100));
        assert!(parse_amount("1.5", "JPY").is_err());
        assert!(parse_amount("1.00", "XYZ")
            .unwrap_err()
            .contains("not a known ISO 4217"));
        assert!(parse_amount("1.23456", "EUR")
            .unwrap_err()
            .contains("5 decimals"));
    }

    #[test]
    fn text_is_escaped_as_quick_xml_escapes_it_and_borrowed_when_nothing_needs_it() {
        for s in [
            "",
            "plain ID-1/2:3.4",
            "Brood & Spelen",
            "<a>",
            "'s-Hertogenbosch",
            "\"q\"",
            "é&ü",
        ] {
            assert_eq!(xml_escaped(s), quick_xml::escape::escape(s), "{s}");
        }
        assert!(matches!(
            xml_escaped("NL91ABNA0417164300"),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    proptest::proptest! {
        #[test]
        fn any_text_is_escaped_as_quick_xml_escapes_it(s in "[a-zA-Z0-9<>&'\" é/-]{0,30}|\\PC{0,40}") {
            proptest::prop_assert_eq!(xml_escaped(&s), quick_xml::escape::escape(s.as_str()));
        }
    }
}
