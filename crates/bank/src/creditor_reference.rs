//! Structured creditor references, which a creditor's back office books automatically when a
//! payment carries them in `RmtInf/Strd/CdtrRefInf` instead of free text:
//!
//! - the international **RF creditor reference** (ISO 11649): `RF`, two check digits and 1 to 21
//!   letters or digits, valid when the reference moved 4 places (`RF` and the check digits to
//!   the end) and read as a number (`A` = 10 … `Z` = 35) leaves 1 modulo 97. Issuer `ISO`.
//! - the Dutch **betalingskenmerk** (the acceptgiro's payment reference, specified by the
//!   Betaalvereniging Nederland, formerly Currence): 16 digits (a check digit and 15), or 9 to 14
//!   digits (a check digit, a length code and 7 to 12); the check digit is the weighted modulus
//!   11 of the digits after it, weights 2, 4, 8, 5, 10, 9, 7, 3, 6, 1 from the right, repeating
//!   (11 − remainder; 10 becomes 1, 11 becomes 0). Issuer `CUR`. The 7-digit form has no check
//!   and can't be told from other text, so it stays free text.
//!
//! Written by hand: a few lines of arithmetic, which no maintained crate in the registry offers
//! for the betalingskenmerk.

/// Who issued the reference scheme (`CdtrRefInf/Tp/Issr`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Issuer {
    /// ISO 11649 (RF creditor reference): `ISO`.
    Iso,
    /// The Dutch betalingskenmerk: `CUR`.
    Currence,
}

impl Issuer {
    /// The code written in `Issr`.
    pub fn code(self) -> &'static str {
        match self {
            Issuer::Iso => "ISO",
            Issuer::Currence => "CUR",
        }
    }
}

/// A structured creditor reference: its text without spaces, and its issuer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditorReference {
    /// The reference as written in `Ref` (spaces left out, letters upper case).
    pub reference: String,
    /// Its scheme.
    pub issuer: Issuer,
}

/// The creditor reference `text` is, if it is a valid RF reference or betalingskenmerk (spaces
/// allowed, as references are printed in groups); otherwise `None` (free text).
pub fn parse(text: &str) -> Option<CreditorReference> {
    let compact: String = text
        .chars()
        .filter(|c| *c != ' ')
        .collect::<String>()
        .to_ascii_uppercase();
    if rf_valid(&compact) {
        return Some(CreditorReference {
            reference: compact,
            issuer: Issuer::Iso,
        });
    }
    betalingskenmerk_valid(&compact).then_some(CreditorReference {
        reference: compact,
        issuer: Issuer::Currence,
    })
}

/// Whether `s` is an RF creditor reference with valid check digits (ISO 11649).
pub fn rf_valid(s: &str) -> bool {
    let b = s.as_bytes();
    if !(5..=25).contains(&b.len())
        || !s.starts_with("RF")
        || !b[2].is_ascii_digit()
        || !b[3].is_ascii_digit()
        || !b[4..].iter().all(u8::is_ascii_alphanumeric)
    {
        return false;
    }
    // The remainder modulo 97, digit by digit (a letter is two digits, A = 10).
    let mut rest: u32 = 0;
    for &c in b[4..].iter().chain(&b[..4]) {
        let v = if c.is_ascii_digit() {
            u32::from(c - b'0')
        } else {
            u32::from(c.to_ascii_uppercase() - b'A') + 10
        };
        rest = if v >= 10 {
            (rest * 100 + v) % 97
        } else {
            (rest * 10 + v) % 97
        };
    }
    rest == 1
}

/// Whether `s` is a betalingskenmerk with a check digit: 16 digits, or 9 to 14 with the length
/// code that says how many digits follow it.
pub fn betalingskenmerk_valid(s: &str) -> bool {
    let d = s.as_bytes();
    if !d.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let length_ok = match d.len() {
        16 => true,
        9..=14 => usize::from(d[1] - b'0') == (d.len() - 2) % 10,
        _ => false,
    };
    length_ok && check_digit(&d[1..]) == d[0] - b'0'
}

/// The betalingskenmerk's check digit of `digits` (ASCII digits).
fn check_digit(digits: &[u8]) -> u8 {
    const WEIGHTS: [u32; 10] = [2, 4, 8, 5, 10, 9, 7, 3, 6, 1];
    let sum: u32 = digits
        .iter()
        .rev()
        .zip(WEIGHTS.iter().cycle())
        .map(|(c, w)| u32::from(c - b'0') * w)
        .sum();
    match 11 - sum % 11 {
        10 => 1,
        11 => 0,
        c => c as u8,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_published_examples_are_valid() {
        // ISO 11649's example, printed in groups of four.
        let rf = parse("RF18 5390 0754 7034").unwrap();
        assert_eq!(
            (rf.reference.as_str(), rf.issuer),
            ("RF18539007547034", Issuer::Iso)
        );
        assert!(
            rf_valid("RF18000000000539007547034"),
            "leading zeros, 25 characters"
        );
        // The Betaalvereniging's example: (5)000 0567 8901 2345, A = 215.
        let cur = parse("5000 0567 8901 2345").unwrap();
        assert_eq!(cur.issuer, Issuer::Currence);
        assert_eq!(check_digit(b"000056789012345"), 5);
        // Its example with a length code: 1 2 2345 3462 2567 (twelve digits follow).
        assert_eq!(check_digit(b"2234534622567"), 1);
        assert!(betalingskenmerk_valid("12234534622567"));
    }

    #[test]
    fn a_wrong_digit_or_form_is_free_text() {
        for text in [
            "RF19539007547034",
            "RF18 5390 0754 7035",
            "RF1",
            "RF18-5390",
            "6000056789012345",
            "12234534622577",
            "1323453462256",
            "1234567",
            "Huur maart 2026",
            "",
        ] {
            assert_eq!(parse(text), None, "{text}");
        }
    }
}
