//! Bank statements the foundation imported, kept beside the ledger (encrypted: they name people
//! and their IBANs) to show and match their lines and to know what was paid.

/// A bank statement the service imported, kept to show and match its lines.
pub struct Stored {
    /// SHA-256 of the file (hex): its name in the statement directory.
    pub sha256: String,
    /// The parsed file.
    pub file: knop_bank::camt053::File,
    /// Its import into the foundation's book (made once, when kept or loaded).
    pub plan: knop_bank::booking::ImportPlan,
}
