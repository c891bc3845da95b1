//! What kind of organisation signs an entry, and which kinds may submit which command.
//!
//! Kinds are on the ledger: an organisation's registration names its kind, and the state
//! machine refuses a command from a kind that may not submit it. `Participant` is the kind every
//! non-operator organisation had before kinds existed (encoding v1 of `RegisterOrg`); such an
//! organisation keeps what it could do then (the book, attachments, households and payment
//! runs), so old ledgers replay unchanged. New registrations name a real kind.

/// What an organisation is to knop (the `kind` byte of a registration).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OrgKind {
    /// Runs the ledger: registers organisations, signs checkpoints, authorises erasures.
    Operator = 1,
    /// An organisation registered before kinds existed: may do what a foundation may.
    Participant = 2,
    /// Holds the households' account (overkoepelende rekeninghouder): households, payment runs,
    /// the book.
    Foundation = 3,
    /// A municipality: issues declarations, runs schemes (Rode Knop, Kindpakket).
    Municipality = 4,
    /// A payer (SVB, UWV, Toeslagen, an employer): money in.
    Payer = 5,
    /// A creditor (landlord, energy, health insurer, CJIB): claims, holds.
    Creditor = 6,
    /// A shop taking Kindpakket vouchers.
    Merchant = 7,
    /// An auditor or witness: reads and cosigns; submits nothing to the book.
    Auditor = 8,
}

impl OrgKind {
    /// Every kind, in code order.
    pub const ALL: [OrgKind; 8] = [
        OrgKind::Operator,
        OrgKind::Participant,
        OrgKind::Foundation,
        OrgKind::Municipality,
        OrgKind::Payer,
        OrgKind::Creditor,
        OrgKind::Merchant,
        OrgKind::Auditor,
    ];

    /// The kind with code `code`, if any.
    pub fn from_code(code: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|k| *k as u8 == code)
    }

    /// The kind's name in the CLI and the API (`operator`, `foundation`, ...).
    pub fn name(self) -> &'static str {
        match self {
            OrgKind::Operator => "operator",
            OrgKind::Participant => "participant",
            OrgKind::Foundation => "foundation",
            OrgKind::Municipality => "municipality",
            OrgKind::Payer => "payer",
            OrgKind::Creditor => "creditor",
            OrgKind::Merchant => "merchant",
            OrgKind::Auditor => "auditor",
        }
    }

    /// The kind named `name` (see [`OrgKind::name`]).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }
}

impl std::fmt::Display for OrgKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Who may put things in the book (accounts, transfers) and attach documents: everyone but an
/// auditor, whose part is to check, not to record.
pub(crate) const BOOKKEEPERS: &[OrgKind] = &[
    OrgKind::Operator,
    OrgKind::Participant,
    OrgKind::Foundation,
    OrgKind::Municipality,
    OrgKind::Payer,
    OrgKind::Creditor,
    OrgKind::Merchant,
];

/// Who may record households and payment runs: the foundation that holds their money.
pub(crate) const FOUNDATIONS: &[OrgKind] = &[OrgKind::Participant, OrgKind::Foundation];

/// Who may record debts: the foundation (for any claim), a creditor (for its own).
pub(crate) const CLAIMANTS: &[OrgKind] =
    &[OrgKind::Participant, OrgKind::Foundation, OrgKind::Creditor];

/// Who may issue declarations of inability to pay: a municipality.
pub(crate) const MUNICIPALITIES: &[OrgKind] = &[OrgKind::Municipality];

/// Who may record Kindpakket commands: the municipality (funds, merchants, vouchers, spends),
/// a merchant (its own spends only; checked by the domain).
pub(crate) const KINDPAKKET: &[OrgKind] = &[OrgKind::Municipality, OrgKind::Merchant];

/// Only the operator.
pub(crate) const OPERATOR: &[OrgKind] = &[OrgKind::Operator];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_from_its_code_and_its_name() {
        for k in OrgKind::ALL {
            assert_eq!(OrgKind::from_code(k as u8), Some(k));
            assert_eq!(OrgKind::parse(k.name()), Some(k));
        }
        assert_eq!(OrgKind::from_code(0), None);
        assert_eq!(OrgKind::from_code(9), None);
        assert_eq!(OrgKind::parse("bank"), None);
    }
}
