//! What may go on the shared ledger, checked before anything is recorded there.
//!
//! The ledger is read by every entitled party and kept forever; personal data (names, BSN,
//! addresses, residents' IBANs, free text about a person) stays in the vault. An agreement on
//! the ledger carries only what a payment needs: an id, the payee's or payer's name (an
//! organisation), the other party's IBAN (an organisation's account, never the resident's own),
//! and a payment reference of at most what SEPA carries. What looks like personal data is
//! refused with a problem naming the field, never echoing the value. `docs/ledger-data.md` says
//! the same for people.

use knop_huishoudboekje::{Agreement, Kind};

use crate::vault::{bsn_valid, PersonalData};

/// Most characters of an agreement's id.
pub const ID_CHARS_MAX: usize = 64;
/// Most characters of an agreement's label and its creditor's name: a SEPA party name (`Nm`,
/// Max70Text).
pub const LABEL_CHARS_MAX: usize = 70;
/// Most characters of a payment reference: SEPA unstructured remittance (`Ustrd`, Max140Text).
pub const REFERENCE_CHARS_MAX: usize = 140;

/// Why an agreement may not go on the ledger as given. Each reads as a sentence; none repeats
/// the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotForLedger {
    /// A text is longer than its field allows.
    #[error("{field}: at most {max} characters (the ledger keeps only what a payment needs)")]
    TooLong {
        /// The field.
        field: &'static str,
        /// Its limit.
        max: usize,
    },
    /// The id holds more than letters, digits and `-_.`.
    #[error("id: only letters, digits and - _ . (it is a key, not a description)")]
    IdCharacters,
    /// Nine digits that pass the elfproef, or the word BSN.
    #[error(
        "{field}: looks like a citizen service number (BSN); a BSN never goes on the shared \
         ledger, it is kept in the household's personal data. A creditor's reference of nine \
         digits that happens to pass the elfproef can be entered with its prefix or letters"
    )]
    Bsn {
        /// The field.
        field: &'static str,
    },
    /// A Dutch postcode: part of an address.
    #[error(
        "{field}: looks like an address (a postcode); addresses are kept in the household's \
         personal data, not on the shared ledger"
    )]
    Address {
        /// The field.
        field: &'static str,
    },
    /// An e-mail address or phone number.
    #[error("{field}: holds contact details; those are kept in the household's personal data")]
    Contact {
        /// The field.
        field: &'static str,
    },
    /// The resident's own name, address, phone or e-mail from the vault.
    #[error(
        "{field}: holds the resident's own {what}; that is personal data and stays in the vault"
    )]
    Resident {
        /// The field.
        field: &'static str,
        /// Which of the resident's data.
        what: &'static str,
    },
    /// The resident's own IBAN as the other party.
    #[error(
        "{field}: is the resident's own account; it stays in the vault (living money is paid \
         to it from there)"
    )]
    OwnIban {
        /// The field.
        field: &'static str,
    },
    /// An IBAN given for living money: it goes to the resident's own account, from the vault.
    #[error(
        "counterparty_iban: living money goes to the resident's own account, which is kept in \
         the personal data; leave counterparty_iban out"
    )]
    LivingMoneyIban,
    /// Not an IBAN.
    #[error("counterparty_iban: not a valid IBAN (ISO 13616: country, check digits, account)")]
    BadIban,
}

/// Checks that `a` holds nothing personal: `resident` is the household's personal data from the
/// vault, when it has any (its name, address, contacts and IBAN are refused in every field).
pub fn check_agreement(a: &Agreement, resident: Option<&PersonalData>) -> Result<(), NotForLedger> {
    if a.id.chars().count() > ID_CHARS_MAX {
        return Err(NotForLedger::TooLong {
            field: "id",
            max: ID_CHARS_MAX,
        });
    }
    if !a
        .id
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(NotForLedger::IdCharacters);
    }
    let texts = [
        ("id", Some(a.id.as_str()), ID_CHARS_MAX),
        ("label", a.label.as_deref(), LABEL_CHARS_MAX),
        ("creditor_name", a.creditor_name.as_deref(), LABEL_CHARS_MAX),
        ("reference", a.reference.as_deref(), REFERENCE_CHARS_MAX),
    ];
    for (field, text, max) in texts {
        let Some(text) = text else { continue };
        if text.chars().count() > max {
            return Err(NotForLedger::TooLong { field, max });
        }
        check_text(field, text, resident)?;
    }
    if let Some(iban) = &a.counterparty_iban {
        if a.kind == Kind::LivingMoney {
            return Err(NotForLedger::LivingMoneyIban);
        }
        let electronic = electronic(iban);
        if electronic.parse::<iban::Iban>().is_err() {
            return Err(NotForLedger::BadIban);
        }
        if resident
            .and_then(|r| r.iban.as_deref())
            .is_some_and(|own| electronic == self::electronic(own))
        {
            return Err(NotForLedger::OwnIban {
                field: "counterparty_iban",
            });
        }
    }
    Ok(())
}

/// Checks a free text that is kept beside personal data but must hold none itself (the
/// purpose a creditor gives for a lookup, which the access log keeps): no BSN, address or
/// contact details. Errors name `field` and never echo the text.
pub fn check_free_text(field: &'static str, text: &str) -> Result<(), NotForLedger> {
    check_text(field, text, None)
}

/// Checks the texts of a debt command: a claim's id and event ids (keys: letters, digits and
/// `- _ .`, at most 64), the creditor's name (at most 70) and its reference (at most 140), each
/// for what looks like personal data, `resident`'s own data included.
pub fn check_claim(
    cmd: &knop_state::ClaimCommand,
    resident: Option<&PersonalData>,
) -> Result<(), NotForLedger> {
    use knop_state::{ClaimCommand, Creditor};
    let key = |field: &'static str, id: &str| {
        if id.chars().count() > ID_CHARS_MAX {
            return Err(NotForLedger::TooLong {
                field,
                max: ID_CHARS_MAX,
            });
        }
        if id.is_empty()
            || !id
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return Err(NotForLedger::IdCharacters);
        }
        check_text(field, id, resident)
    };
    key("id", cmd.claim())?;
    match cmd {
        ClaimCommand::Open {
            creditor,
            reference,
            ..
        } => {
            let mut texts = vec![("reference", reference.as_str(), REFERENCE_CHARS_MAX)];
            if let Creditor::Named(n) = creditor {
                texts.push(("creditor_name", n.as_str(), LABEL_CHARS_MAX));
            }
            for (field, text, max) in texts {
                if text.chars().count() > max {
                    return Err(NotForLedger::TooLong { field, max });
                }
                check_text(field, text, resident)?;
            }
            Ok(())
        }
        ClaimCommand::Event { event, .. } => key("event_id", event),
        // Dates, a hash and bits: no text.
        ClaimCommand::Hold { .. } | ClaimCommand::EndHold { .. } => Ok(()),
    }
}

/// An IBAN without spaces, upper case.
fn electronic(iban: &str) -> String {
    iban.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_uppercase)
        .collect()
}

/// Checks one free text for what looks like personal data.
fn check_text(
    field: &'static str,
    text: &str,
    resident: Option<&PersonalData>,
) -> Result<(), NotForLedger> {
    let lower = text.to_lowercase();
    if has_word(&lower, "bsn") || has_word(&lower, "burgerservicenummer") || has_bsn(text) {
        return Err(NotForLedger::Bsn { field });
    }
    if has_postcode(text) {
        return Err(NotForLedger::Address { field });
    }
    if text.contains('@') || has_phone(text) {
        return Err(NotForLedger::Contact { field });
    }
    if let Some(r) = resident {
        let squeezed = electronic(text);
        if r.iban
            .as_deref()
            .is_some_and(|own| squeezed.contains(&electronic(own)))
        {
            return Err(NotForLedger::OwnIban { field });
        }
        if name_in(&lower, &r.name) {
            return Err(NotForLedger::Resident {
                field,
                what: "name",
            });
        }
        if let Some(address) = &r.address {
            if street_in(&lower, address) {
                return Err(NotForLedger::Resident {
                    field,
                    what: "address",
                });
            }
        }
        for (what, v) in [("phone number", &r.phone), ("e-mail address", &r.email)] {
            if v.as_deref().is_some_and(|v| {
                let v = electronic(v).to_lowercase();
                !v.is_empty() && squeezed.to_lowercase().contains(&v)
            }) {
                return Err(NotForLedger::Resident { field, what });
            }
        }
    }
    Ok(())
}

/// Whether `word` stands alone in `lower` (not inside a longer word).
fn has_word(lower: &str, word: &str) -> bool {
    lower
        .split(|c: char| !c.is_alphanumeric())
        .any(|w| w == word)
}

/// Runs of digits in `text`, where single spaces, dots and dashes between digits join a run
/// ("111 222 333", "111.222.333").
fn digit_runs(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut runs = vec![];
    let mut run = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_digit() {
            run.push(c);
        } else if matches!(c, ' ' | '.' | '-')
            && !run.is_empty()
            && chars.get(i + 1).is_some_and(char::is_ascii_digit)
        {
            continue;
        } else if !run.is_empty() {
            runs.push(std::mem::take(&mut run));
        }
    }
    if !run.is_empty() {
        runs.push(run);
    }
    runs
}

/// Whether `text` holds nine digits (alone, or joined as above) that pass the elfproef.
fn has_bsn(text: &str) -> bool {
    digit_runs(text)
        .iter()
        .any(|r| r.len() == 9 && bsn_valid(r))
}

/// Whether `text` holds a Dutch postcode: four digits (not starting with 0), optionally a
/// space, two capital letters, standing alone.
fn has_postcode(text: &str) -> bool {
    let b = text.as_bytes();
    (0..b.len()).any(|i| {
        let before_ok = i == 0 || !b[i - 1].is_ascii_alphanumeric();
        let digits = b.len() >= i + 4 && b[i] != b'0' && b[i..i + 4].iter().all(u8::is_ascii_digit);
        if !before_ok || !digits {
            return false;
        }
        let mut j = i + 4;
        if b.get(j) == Some(&b' ') {
            j += 1;
        }
        let letters = b.len() >= j + 2 && b[j..j + 2].iter().all(u8::is_ascii_uppercase);
        letters && b.get(j + 2).is_none_or(|c| !c.is_ascii_alphanumeric())
    })
}

/// Whether `text` holds a Dutch phone number: 06 and eight digits, or +31 and nine.
fn has_phone(text: &str) -> bool {
    let squeezed: String = text
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')'))
        .collect();
    let b = squeezed.as_bytes();
    (0..b.len()).any(|i| {
        let starts_free = i == 0 || !b[i - 1].is_ascii_digit();
        let run = |from: usize, n: usize| {
            b.len() >= from + n
                && b[from..from + n].iter().all(u8::is_ascii_digit)
                && b.get(from + n).is_none_or(|c| !c.is_ascii_digit())
        };
        starts_free
            && ((b[i..].starts_with(b"06") && run(i + 2, 8))
                || (b[i..].starts_with(b"+31") && run(i + 3, 9)))
    })
}

/// Whether the resident's surname (the last word of their name of three letters or more) is a
/// word of `lower`.
fn name_in(lower: &str, name: &str) -> bool {
    name.split_whitespace()
        .last()
        .map(str::to_lowercase)
        .filter(|w| w.chars().count() >= 3)
        .is_some_and(|surname| has_word(lower, &surname))
}

/// Whether the street of the resident's address (its first words before a number) appears in
/// `lower`.
fn street_in(lower: &str, address: &str) -> bool {
    let street: Vec<String> = address
        .split_whitespace()
        .take_while(|w| !w.starts_with(|c: char| c.is_ascii_digit()))
        .map(str::to_lowercase)
        .collect();
    let street = street.join(" ");
    street.chars().count() >= 4 && lower.contains(&street)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agreement(json: serde_json::Value) -> Agreement {
        serde_json::from_value(json).unwrap()
    }

    fn rent() -> serde_json::Value {
        serde_json::json!({"id": "huur", "kind": "fixed_cost", "amount_cents": 85000,
            "schedule": {"monthly": {"day": 1}}, "counterparty_iban": "NL44RABO0123456789",
            "label": "Mitros", "reference": "Huur contract 4471-A"})
    }

    fn resident() -> PersonalData {
        PersonalData {
            name: "Sanne de Vries".into(),
            bsn: Some("111222333".into()),
            birthdate: None,
            address: Some("Lindelaan 12, 3512 AB Utrecht".into()),
            phone: Some("06 1234 5678".into()),
            email: Some("sanne@example.nl".into()),
            iban: Some("NL91 ABNA 0417 1643 00".into()),
        }
    }

    fn with(field: &str, value: &str) -> Agreement {
        let mut v = rent();
        v[field] = value.into();
        agreement(v)
    }

    #[test]
    fn what_a_payment_needs_goes_on_the_ledger() {
        assert_eq!(
            check_agreement(&agreement(rent()), Some(&resident())),
            Ok(())
        );
        assert_eq!(check_agreement(&agreement(rent()), None), Ok(()));
        // A CJIB payment reference (16 digits) is not a BSN.
        assert_eq!(
            check_agreement(&with("reference", "1234567890123456"), None),
            Ok(())
        );
    }

    #[test]
    fn a_bsn_is_refused_wherever_it_is_written() {
        for text in [
            "BSN 111222333",
            "111222333",
            "nr 111.222.333",
            "111 222 333",
            "bsn",
        ] {
            let err = check_agreement(&with("reference", text), None).unwrap_err();
            assert_eq!(err, NotForLedger::Bsn { field: "reference" }, "{text}");
            assert!(!err.to_string().contains("111"), "the value is not echoed");
        }
        // Nine digits that fail the elfproef are a reference.
        assert_eq!(
            check_agreement(&with("reference", "123456789"), None),
            Ok(())
        );
    }

    #[test]
    fn addresses_contacts_and_the_residents_own_data_are_refused() {
        let r = resident();
        let cases = [
            (
                "label",
                "S. de Vries, 3512 AB",
                NotForLedger::Address { field: "label" },
            ),
            (
                "reference",
                "mail sanne@example.nl",
                NotForLedger::Contact { field: "reference" },
            ),
            (
                "reference",
                "bel 06-12345678",
                NotForLedger::Contact { field: "reference" },
            ),
            (
                "label",
                "Huur De Vries",
                NotForLedger::Resident {
                    field: "label",
                    what: "name",
                },
            ),
            (
                "reference",
                "Lindelaan 12",
                NotForLedger::Resident {
                    field: "reference",
                    what: "address",
                },
            ),
            (
                "reference",
                "naar NL91ABNA0417164300",
                NotForLedger::OwnIban { field: "reference" },
            ),
            (
                "creditor_name",
                "S. de Vries",
                NotForLedger::Resident {
                    field: "creditor_name",
                    what: "name",
                },
            ),
            (
                "creditor_name",
                "BSN 111222333",
                NotForLedger::Bsn {
                    field: "creditor_name",
                },
            ),
        ];
        for (field, text, want) in cases {
            assert_eq!(
                check_agreement(&with(field, text), Some(&r)),
                Err(want),
                "{text}"
            );
        }
    }

    #[test]
    fn the_residents_own_iban_is_refused_as_the_other_party() {
        let mut v = rent();
        v["kind"] = "income".into();
        v["counterparty_iban"] = "nl91abna0417164300".into();
        assert_eq!(
            check_agreement(&agreement(v), Some(&resident())),
            Err(NotForLedger::OwnIban {
                field: "counterparty_iban"
            })
        );
        assert_eq!(
            check_agreement(&with("counterparty_iban", "NL44RABO0123456788"), None),
            Err(NotForLedger::BadIban)
        );
    }

    #[test]
    fn living_money_names_no_iban() {
        let mut v = rent();
        v["kind"] = "living_money".into();
        assert_eq!(
            check_agreement(&agreement(v.clone()), None),
            Err(NotForLedger::LivingMoneyIban)
        );
        v.as_object_mut().unwrap().remove("counterparty_iban");
        assert_eq!(check_agreement(&agreement(v), None), Ok(()));
    }

    #[test]
    fn long_texts_are_refused_with_their_limit() {
        let err = check_agreement(&with("reference", &"x".repeat(141)), None).unwrap_err();
        assert_eq!(
            err,
            NotForLedger::TooLong {
                field: "reference",
                max: 140
            }
        );
        assert!(err.to_string().contains("at most 140"));
        assert_eq!(
            check_agreement(&with("id", "huur mitros"), None),
            Err(NotForLedger::IdCharacters)
        );
    }
}
