//! knop's application layer: every use-case once, called by the CLI (`knop`), the HTTP service
//! (`knop-serve`), the simulation and the benchmarks alike, so there is one model of everything.
//!
//! A use-case takes the [`knop_node::Node`] (the one writer of the log), the signing key of the
//! organisation that submits, and the time (`now_ms`): nothing here reads the clock or draws
//! randomness for what goes on the ledger. Whatever one use-case means is **one ledger entry or
//! nothing** (several commands go together as [`knop_state::Command::Together`]), so a process
//! killed at any point leaves nothing half done. Errors are typed ([`ops::OpError`],
//! [`payrun::RunError`]); no HTTP types live here: the service maps errors to problems, the CLI
//! prints them.
//!
//! - [`ops`]: submit a command; upload (import and match) a camt.053 statement; import one; match it for all households and
//!   book the matched lines; apply a pain.002 status report.
//! - [`payrun`]: make a payment run (reservations and record in one entry), approve it (four
//!   eyes, enforced by the ledger), write it as pain.001.
//! - [`debts`]: a household's debts as people read them (claims, events, holds, alerts).
//! - [`declarations`]: the Rode Knop: issue, revoke and share declarations of inability to pay;
//!   the status list; the creditor's check.
//! - [`kindpakket`]: funds, vouchers, rotating codes, spends at a shop, the fund's report.
//! - [`payouts`]: the Kindpakket's payouts to shops (four eyes, pain.001), refunds, and the
//!   municipality's camt.053 confirming them and topping up funds.
//! - [`lookup`]: a creditor's green/red question by BSN (keyed pseudonym, access log).
//! - [`matching`]: the words and windows of matching bank lines to households.
//! - [`views`]: what a household's page, a caseload and an overview show, computed from the
//!   state (never by a template).
//! - [`vault`]: personal data (names, BSN, the resident's IBAN), encrypted per household, every
//!   read in an access log; never on the ledger.
//! - [`access`]: who may see and do what.
//! - [`audit`]: the whole log replayed and compared with what the service holds (the
//!   administrator's check).
//! - [`present`]: dates and amounts as people read them, Dutch first.
//! - [`report`]: reports without personal data (the caseload as CSV).
//! - [`statements`]: the bank statements kept beside the ledger.
//! - [`suspense`]: the bank lines no household took, with explained suggestions.

#![warn(missing_docs)]

pub mod access;
pub mod audit;
pub mod caseload;
pub mod day_file;
pub mod debts;
pub mod declarations;
pub mod journal;
pub mod kindpakket;
pub mod ledger_text;
pub mod lookup;
pub mod matching;
pub mod ops;
pub mod payouts;
pub mod payrun;
pub mod present;
pub mod report;
pub mod statements;
pub mod suspense;
pub mod vault;
pub mod views;

/// A new random secret: 32 bytes as base64url (links, share tokens).
pub fn random_token() -> String {
    use base64::Engine as _;
    base64::prelude::BASE64_URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}
