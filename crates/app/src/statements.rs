//! Bank statements the foundation imported, kept beside the ledger (encrypted: they name people
//! and their IBANs) to show and match their lines and to know what was paid.

use knop_huishoudboekje::HouseholdId;

/// A bank statement the service imported, kept to show and match its lines.
pub struct Stored {
    /// SHA-256 of the file (hex): its name in the statement directory.
    pub sha256: String,
    /// The parsed file.
    pub file: knop_bank::camt053::File,
    /// Its import into the foundation's book (made once, when kept or loaded).
    pub plan: knop_huishoudboekje::booking::ImportPlan,
}

/// The EndToEndIds that `statements` show as paid out (money out naming one): a payment made
/// outside a run, or before the ledger knew it, is never made twice.
pub fn paid_end_to_end_ids(
    statements: &[std::sync::Arc<Stored>],
) -> std::collections::HashSet<String> {
    statements
        .iter()
        .flat_map(|st| st.file.statements.iter().flat_map(|s| s.entries.iter()))
        .filter(|e| e.cents < 0)
        .filter_map(|e| e.details.first().and_then(|d| d.end_to_end_id.as_deref()))
        .map(String::from)
        .collect()
}

/// The entries of `stored` that are `household`'s on `book`: lines matched to it, and knop's
/// payments for it (a payment of living money names the resident and their own IBAN).
pub fn entries_of(
    book: &knop_book::Book,
    stored: &Stored,
    household: HouseholdId,
) -> std::collections::HashSet<(usize, usize)> {
    use knop_huishoudboekje::booking::{matched_id, payment_id, payment_returned_id};
    let ours = |id: u128| {
        book.transfer(id)
            .is_some_and(|t| t.transfer.user_data == household.get())
    };
    let mut out = std::collections::HashSet::new();
    for (t, pos) in stored.plan.transfers.iter().zip(&stored.plan.lines) {
        let entry = &stored.file.statements[pos.0].entries[pos.1];
        let own_payment = entry.details.iter().any(|d| {
            d.end_to_end_id
                .as_deref()
                .is_some_and(|e| ours(payment_id(e)) || ours(payment_returned_id(e)))
        });
        if ours(matched_id(t.id)) || own_payment {
            out.insert(*pos);
        }
    }
    out
}
