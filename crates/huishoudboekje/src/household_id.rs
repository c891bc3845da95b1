//! The pseudonymous number of a household in the Huishoudboekje.

/// A household's pseudonymous number (`1`, `2`, …): what the ledger, the book (as a transfer's
/// and account's `user_data`) and the API know a household by. Its own type, so it is never
/// taken for an account or transfer id, which are `u128` as well. Names, BSN and IBANs belong
/// to the vault, never here.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct HouseholdId(pub u128);

impl HouseholdId {
    /// The number, as the book stores it in `user_data`.
    pub const fn get(self) -> u128 {
        self.0
    }
}

impl From<u128> for HouseholdId {
    fn from(n: u128) -> Self {
        Self(n)
    }
}

impl From<u32> for HouseholdId {
    fn from(n: u32) -> Self {
        Self(u128::from(n))
    }
}

impl std::fmt::Display for HouseholdId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Why a text is not a household number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a household number (digits, at most 39)")]
pub struct HouseholdIdError(pub String);

impl std::str::FromStr for HouseholdId {
    type Err = HouseholdIdError;

    /// Decimal digits only (no sign, no spaces), as the API and the CLI write it.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(HouseholdIdError(s.to_owned()));
        }
        s.parse::<u128>()
            .map(Self)
            .map_err(|_| HouseholdIdError(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::HouseholdId;

    #[test]
    fn digits_are_a_number_and_nothing_else_is() {
        assert_eq!("42".parse::<HouseholdId>().unwrap(), HouseholdId(42));
        assert_eq!(HouseholdId(42).to_string(), "42");
        for bad in ["", "+1", "-1", " 1", "1a", &"9".repeat(40)] {
            assert!(bad.parse::<HouseholdId>().is_err(), "{bad:?}");
        }
    }
}
