//! The creditor's green/red question (Groningen's debt cockpit): "is this person in debt
//! assistance, and whom do I contact?" Asked by BSN, answered with the least a creditor needs:
//! green and the contact point (the organisation and the team's phone and e-mail), or red.
//!
//! The BSN goes nowhere: it is checked (elfproef), turned into its keyed pseudonym by the vault
//! and looked up there; it is not written to the ledger, the logs or any file. A lookup that
//! finds a household is written to that household's access log (who asked, when, why), so the
//! resident sees it on "Wie heeft mijn gegevens bekeken"; a lookup that finds none leaves no
//! trace at all.

use knop_huishoudboekje::HouseholdId;
use knop_state::State;
use serde::Serialize;

use crate::vault::{bsn_valid, Access, Vault, VaultError};

/// The contact point a creditor gets with a green answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactPoint {
    /// The organisation that gives the debt assistance.
    pub organisation: String,
    /// How to reach the team (phone, e-mail), if known.
    pub contact: Option<String>,
}

/// The answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Answer {
    /// Known: in debt assistance; contact this point instead of adding costs.
    Green {
        /// Whom to contact.
        contact_point: ContactPoint,
    },
    /// Not known.
    Red,
}

/// Why a lookup was not answered.
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    /// Occurs when the BSN is not nine digits passing the elfproef; nothing was looked up.
    #[error("bsn: not a citizen service number (nine digits passing the elfproef); nothing was looked up")]
    InvalidBsn,
    /// Occurs when the purpose is empty or longer than [`PURPOSE_CHARS_MAX`].
    #[error("purpose: why you ask, 1 to {PURPOSE_CHARS_MAX} characters (the resident reads it)")]
    Purpose,
    /// Occurs when the purpose holds personal data (a BSN, an address, contact details); the
    /// access log keeps the purpose, so it may hold none.
    #[error("purpose: {0}")]
    PersonalPurpose(crate::ledger_text::NotForLedger),
    /// Occurs when the access log cannot be written: no answer without the record of the question.
    #[error(transparent)]
    Vault(#[from] VaultError),
}

/// Longest purpose of a lookup, in characters.
pub const PURPOSE_CHARS_MAX: usize = 200;

/// Whether `household` is in debt assistance at `now_ms` (on the ledger, its opt-in holding),
/// and its counsellor's id: what [`debt_assistance`] asks of the state.
pub fn in_assistance(state: &State, household: HouseholdId, now_ms: u64) -> Option<String> {
    state
        .households()
        .get(&household)
        .filter(|h| h.active_at(now_ms))
        .map(|h| h.counsellor.clone())
}

/// Who asks, and what the service knows of the contact points.
pub struct Asker<'a> {
    /// The creditor organisation (its API key's name).
    pub who: &'a str,
    /// Why it asks (shown to the resident).
    pub purpose: &'a str,
    /// When (RFC 3339).
    pub at: &'a str,
    /// The organisation giving debt assistance (the foundation).
    pub organisation: &'a str,
}

/// Checks a question before anything is looked up: a BSN that passes the elfproef, and a purpose
/// of 1 to [`PURPOSE_CHARS_MAX`] characters without personal data. Returns both, trimmed.
pub fn check_question<'a>(
    bsn: &'a str,
    purpose: &'a str,
) -> Result<(&'a str, &'a str), LookupError> {
    let digits = bsn.trim();
    if !bsn_valid(digits) {
        return Err(LookupError::InvalidBsn);
    }
    let purpose = purpose.trim();
    if purpose.is_empty() || purpose.chars().count() > PURPOSE_CHARS_MAX {
        return Err(LookupError::Purpose);
    }
    crate::ledger_text::check_free_text("purpose", purpose)
        .map_err(LookupError::PersonalPurpose)?;
    Ok((digits, purpose))
}

/// Answers whether the person with `bsn` is in debt assistance: a household in the vault with
/// that BSN that `in_assistance` says is (its opt-in holds), which also gives the team's contact.
pub fn debt_assistance(
    vault: &Vault,
    bsn: &str,
    asker: &Asker<'_>,
    in_assistance: impl Fn(HouseholdId) -> Option<Option<String>>,
) -> Result<Answer, LookupError> {
    let (digits, purpose) = check_question(bsn, asker.purpose)?;
    let found = vault
        .household_of_bsn(digits)
        .and_then(|h| in_assistance(h).map(|contact| (h, contact)));
    let Some((household, contact)) = found else {
        return Ok(Answer::Red);
    };
    vault.log_access(&Access {
        at: asker.at.to_owned(),
        who: asker.who.to_owned(),
        role: "creditor".to_owned(),
        household: household.to_string(),
        fields: vec!["bsn".to_owned()],
        purpose: format!("schuldhulp-check: {purpose}"),
    })?;
    Ok(Answer::Green {
        contact_point: ContactPoint {
            organisation: asker.organisation.to_owned(),
            contact,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bsn_that_fails_the_elfproef_is_refused_before_any_lookup() {
        let dir = tempfile::tempdir().unwrap();
        let vault = Vault::open(dir.path(), &[7; 32]).unwrap();
        let asker = Asker {
            who: "cjib",
            purpose: "nieuwe boete",
            at: "2026-12-07T10:00:00Z",
            organisation: "Stichting",
        };
        for bad in ["123456789", "11122233", "abcdefghi", "", "000000000"] {
            assert!(matches!(
                debt_assistance(&vault, bad, &asker, |_| None),
                Err(LookupError::InvalidBsn)
            ));
        }
        assert_eq!(
            debt_assistance(&vault, "111222333", &asker, |_| None).unwrap(),
            Answer::Red
        );
        let empty = Asker {
            purpose: " ",
            ..asker
        };
        assert!(matches!(
            debt_assistance(&vault, "111222333", &empty, |_| None),
            Err(LookupError::Purpose)
        ));
        assert!(
            std::fs::read_to_string(dir.path().join("access.jsonl")).is_err(),
            "no trace"
        );
    }
}
