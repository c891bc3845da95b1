//! The `EndToEndId` of a SEPA credit transfer: the one reference that travels unchanged from
//! knop's pain.001 through the bank to the statement (camt.053) and the status report (pain.002),
//! and so leads a bank line back to the payment it settles.
//!
//! ISO 20022 types it `Max35Text`; the EPC SEPA Credit Transfer implementation guidelines narrow
//! identifiers to the Latin character set without spaces (`a-z A-Z 0-9 / - ? : ( ) . , ' +`), not
//! starting or ending with `/` and without `//`. A value of this type always keeps those rules,
//! so a pain.001 never carries an id its bank would refuse.
//!
//! Ids that arrive in a bank's files are kept as the text they are (a bank may write
//! `NOTPROVIDED` or ids of other parties); they are compared with knop's ids as strings.

/// Most characters of an EndToEndId (ISO 20022 `Max35Text`).
pub const END_TO_END_ID_MAX: usize = 35;

/// A SEPA `EndToEndId` knop may write: 1 to [`END_TO_END_ID_MAX`] characters of the EPC
/// identifier set. Reads as `&str` (through `Deref`), so it is looked up and hashed as its text.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct EndToEndId(String);

/// Why a text is not an EndToEndId.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndToEndIdError {
    /// Occurs when the text is empty.
    #[error("an EndToEndId may not be empty")]
    Empty,
    /// Occurs when the text is longer than [`END_TO_END_ID_MAX`] characters.
    #[error("{text:?} has {chars} characters; an EndToEndId has at most {END_TO_END_ID_MAX}")]
    TooLong {
        /// The text.
        text: String,
        /// Its length in characters.
        chars: usize,
    },
    /// Occurs when the text has a character outside the EPC identifier set.
    #[error("{text:?} has {found:?}; an EndToEndId has only a-z A-Z 0-9 and / - ? : ( ) . , ' +")]
    Character {
        /// The text.
        text: String,
        /// The first character outside the set.
        found: char,
    },
    /// Occurs when the text starts or ends with `/` or holds `//`.
    #[error("{text:?}: an EndToEndId may not start or end with '/' or hold '//'")]
    Slash {
        /// The text.
        text: String,
    },
}

impl EndToEndId {
    /// `text` as an EndToEndId, or why it is not one.
    pub fn parse(text: &str) -> Result<Self, EndToEndIdError> {
        Self::check(text)?;
        Ok(Self(text.to_owned()))
    }

    fn check(text: &str) -> Result<(), EndToEndIdError> {
        if text.is_empty() {
            return Err(EndToEndIdError::Empty);
        }
        if let Some(found) = text
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || "/-?:().,'+".contains(*c)))
        {
            return Err(EndToEndIdError::Character {
                text: text.to_owned(),
                found,
            });
        }
        // Every character is ASCII now, so bytes are characters.
        if text.len() > END_TO_END_ID_MAX {
            return Err(EndToEndIdError::TooLong {
                text: text.to_owned(),
                chars: text.len(),
            });
        }
        if text.starts_with('/') || text.ends_with('/') || text.contains("//") {
            return Err(EndToEndIdError::Slash {
                text: text.to_owned(),
            });
        }
        Ok(())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id as an owned string.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl TryFrom<String> for EndToEndId {
    type Error = EndToEndIdError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::check(&text)?;
        Ok(Self(text))
    }
}

impl std::str::FromStr for EndToEndId {
    type Err = EndToEndIdError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl std::ops::Deref for EndToEndId {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for EndToEndId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for EndToEndId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for EndToEndId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<str> for EndToEndId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for EndToEndId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl From<EndToEndId> for String {
    fn from(id: EndToEndId) -> String {
        id.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knop_ids_and_the_whole_set_are_ids() {
        for ok in [
            "KNOP-20260401-0123456789abcdef0123",
            "A",
            "a/b-c?d:e(f)g.h,i'j+k",
            &"9".repeat(35),
        ] {
            assert_eq!(EndToEndId::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn a_text_outside_the_rules_says_which_rule() {
        assert_eq!(EndToEndId::parse(""), Err(EndToEndIdError::Empty));
        assert!(matches!(
            EndToEndId::parse(&"9".repeat(36)),
            Err(EndToEndIdError::TooLong { chars: 36, .. })
        ));
        assert!(matches!(
            EndToEndId::parse("a b"),
            Err(EndToEndIdError::Character { found: ' ', .. })
        ));
        assert!(matches!(
            EndToEndId::parse("café"),
            Err(EndToEndIdError::Character { found: 'é', .. })
        ));
        for slash in ["/a", "a/", "a//b"] {
            assert!(
                matches!(EndToEndId::parse(slash), Err(EndToEndIdError::Slash { .. })),
                "{slash}"
            );
        }
        let long = "é".repeat(20);
        assert!(matches!(
            EndToEndId::try_from(long),
            Err(EndToEndIdError::Character { .. })
        ));
    }

    #[test]
    fn it_compares_and_looks_up_as_its_text() {
        let id = EndToEndId::parse("E1").unwrap();
        assert_eq!(id, "E1");
        let set: std::collections::HashSet<EndToEndId> = [id.clone()].into();
        assert!(set.contains("E1"));
        assert_eq!(format!("{id}"), "E1");
    }

    #[test]
    fn json_holds_the_text_and_refuses_what_breaks_the_rules() {
        let id: EndToEndId = serde_json::from_str("\"E1\"").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"E1\"");
        let e = serde_json::from_str::<EndToEndId>("\"a b\"").unwrap_err();
        assert!(e.to_string().contains("an EndToEndId has only"), "{e}");
    }
}
