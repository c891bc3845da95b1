//! Who may do what: the roles of people and organisations in knop, and the one place that
//! decides each kind of access. The service's authentication maps a session or an API key to a
//! [`Role`]; every use-case that needs a decision asks the role.

use knop_huishoudboekje::HouseholdId;
use serde::Serialize;

/// What a person or organisation is to knop. Decides every access.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "role", rename_all = "snake_case")]
pub enum Role {
    /// A resident: their own household only.
    Resident {
        /// The household (pseudonymous id), as a decimal string.
        household: String,
    },
    /// A counsellor: the households of their caseload (those recorded with their counsellor id).
    Counsellor {
        /// The pseudonymous counsellor id that households on the ledger carry.
        counsellor: String,
    },
    /// A supervisor: reads all households; gives the second approval of payment runs.
    Supervisor,
    /// The municipality's administrator: reads all households and the ledger's proofs.
    Administrator,
    /// A payer (SVB, UWV, Toeslagen): nothing of households yet.
    Payer,
    /// A creditor (its API key, or its staff): its own claims, the green/red lookup, the
    /// declarations shared with it.
    Creditor {
        /// The organisation on the ledger.
        org: String,
    },
    /// A shop taking Kindpakket vouchers (its till, its staff).
    Merchant {
        /// The organisation on the ledger.
        org: String,
    },
    /// A municipality's staff: issues, extends and revokes declarations of inability to pay.
    Municipality {
        /// The organisation on the ledger.
        org: String,
    },
    /// An auditor: the ledger's proofs.
    Auditor,
}

impl Role {
    /// The role's name as in the API (`resident`, `counsellor`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            Role::Resident { .. } => "resident",
            Role::Counsellor { .. } => "counsellor",
            Role::Supervisor => "supervisor",
            Role::Administrator => "administrator",
            Role::Payer => "payer",
            Role::Creditor { .. } => "creditor",
            Role::Municipality { .. } => "municipality",
            Role::Merchant { .. } => "merchant",
            Role::Auditor => "auditor",
        }
    }

    /// Whether this role may see `household`, whose counsellor id is `counsellor`.
    pub fn may_see_household(&self, household: HouseholdId, counsellor: &str) -> bool {
        match self {
            Role::Resident { household: h } => h.parse::<HouseholdId>().ok() == Some(household),
            Role::Counsellor { counsellor: c } => c == counsellor,
            Role::Supervisor | Role::Administrator => true,
            Role::Payer
            | Role::Creditor { .. }
            | Role::Municipality { .. }
            | Role::Merchant { .. }
            | Role::Auditor => false,
        }
    }

    /// The creditor organisation this role acts for, if a creditor.
    pub fn creditor(&self) -> Option<&str> {
        match self {
            Role::Creditor { org } => Some(org),
            _ => None,
        }
    }

    /// The municipality this role acts for, if a municipality's staff.
    pub fn municipality(&self) -> Option<&str> {
        match self {
            Role::Municipality { org } => Some(org),
            _ => None,
        }
    }

    /// Whether this role is an organisation's that sees no household lists or pages (payer,
    /// creditor, municipality, auditor).
    pub fn is_outside(&self) -> bool {
        matches!(
            self,
            Role::Payer
                | Role::Creditor { .. }
                | Role::Municipality { .. }
                | Role::Merchant { .. }
                | Role::Auditor
        )
    }

    /// The shop this role acts for, if a merchant.
    pub fn merchant(&self) -> Option<&str> {
        match self {
            Role::Merchant { org } => Some(org),
            _ => None,
        }
    }

    /// Whether this role may change a household's agreements (a counsellor of the caseload).
    pub fn may_manage_household(&self, counsellor: &str) -> bool {
        matches!(self, Role::Counsellor { counsellor: c } if c == counsellor)
    }

    /// Whether this role may book bank lines and payment reports to a household whose
    /// counsellor id is `counsellor`: its counsellor, or the administrator (who acts for the
    /// whole foundation).
    pub fn may_book_lines(&self, counsellor: &str) -> bool {
        match self {
            Role::Counsellor { counsellor: c } => c == counsellor,
            Role::Administrator => true,
            _ => false,
        }
    }

    /// Whether this role may book a statement line to the foundation's own accounts (interest,
    /// bank costs): the administrator, who acts for the foundation.
    pub fn may_book_foundation_lines(&self) -> bool {
        matches!(self, Role::Administrator)
    }

    /// Whether this role works on lists of households (a caseload, or all of them): a
    /// counsellor, a supervisor, the administrator. Residents see their own household only;
    /// organisations see none.
    pub fn may_see_caseload(&self) -> bool {
        matches!(
            self,
            Role::Counsellor { .. } | Role::Supervisor | Role::Administrator
        )
    }

    /// Whether this role may import the foundation's bank statements.
    pub fn may_import_statements(&self) -> bool {
        matches!(self, Role::Counsellor { .. } | Role::Administrator)
    }

    /// Whether this role may read the ledger's proofs.
    pub fn may_audit(&self) -> bool {
        matches!(self, Role::Auditor | Role::Administrator)
    }

    /// Whether this role may run rules calculations (people working with households).
    pub fn may_calculate(&self) -> bool {
        matches!(
            self,
            Role::Resident { .. }
                | Role::Counsellor { .. }
                | Role::Supervisor
                | Role::Administrator
        )
    }
}
