//! Commands: what an entry's body says, with their canonical encoding (version 1).
//!
//! ```text
//! body = tag (u8) || fields
//!   0x01 RegisterOrg     name (text) || role (u8) || Ed25519 public key (32 bytes)
//!   0x02 CreateAccounts  count (u32) || accounts (52 bytes each)
//!   0x03 CreateTransfers count (u32) || transfers (98 bytes each)
//!   0x04 Attach          subject (u128) || kind (text) || data (bytes)
//!   0x05 Erase           index (u64) || reason (text)
//! ```

use knop_book::{decode_batch, encode_batch, Account, Transfer};
use knop_codec::{DecodeError, Reader, Writer};
use knop_ledger::entry::{OrgName, ORG_NAME_BYTES_MAX};

/// Longest `kind` of an attachment or `reason` of an erasure, in bytes.
pub const LABEL_BYTES_MAX: usize = 256;
/// Largest attachment, in bytes.
pub const ATTACHMENT_BYTES_MAX: usize = 64 * 1024;

/// What an organisation may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Runs the ledger: registers organisations, signs checkpoints, erases on request.
    Operator = 1,
    /// Any other participant: municipality, payer, creditor, foundation, merchant.
    Participant = 2,
}

/// One command; an entry carries exactly one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Registers an organisation and its entry-signing key. The first entry of every log
    /// registers the operator, signed by the operator itself (genesis); later registrations are
    /// signed by the operator.
    RegisterOrg {
        /// The organisation's name.
        name: OrgName,
        /// What it may do.
        role: Role,
        /// Its Ed25519 public key.
        key: [u8; 32],
    },
    /// Creates accounts in the book.
    CreateAccounts(Vec<Account>),
    /// Creates transfers in the book.
    CreateTransfers(Vec<Transfer>),
    /// Records a document that may contain personal data (a consent, a declaration): erasable.
    Attach {
        /// Pseudonymous subject (household) the document is about.
        subject: u128,
        /// What kind of document it is.
        kind: String,
        /// The document.
        data: Vec<u8>,
    },
    /// Authorises the erasure of an earlier attachment's content and salt (AVG art. 17).
    Erase {
        /// Log index of the attachment.
        index: u64,
        /// Why (the request it answers); no personal data.
        reason: String,
    },
}

impl Command {
    /// The canonical body bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        match self {
            Command::RegisterOrg { name, role, key } => {
                w.u8(1);
                w.str(name.as_str());
                w.u8(*role as u8);
                w.fixed(key);
            }
            Command::CreateAccounts(a) => {
                w = Writer::with_capacity(5 + a.len() * 52);
                w.u8(2);
                encode_batch(a, &mut w, Account::encode);
            }
            Command::CreateTransfers(t) => {
                w = Writer::with_capacity(5 + t.len() * 98);
                w.u8(3);
                encode_batch(t, &mut w, Transfer::encode);
            }
            Command::Attach {
                subject,
                kind,
                data,
            } => {
                w.u8(4);
                w.u128(*subject);
                w.str(kind);
                w.bytes(data);
            }
            Command::Erase { index, reason } => {
                w.u8(5);
                w.u64(*index);
                w.str(reason);
            }
        }
        w.finish()
    }

    /// Decodes body bytes; every field is checked and trailing bytes are refused.
    pub fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body);
        let cmd = match r.u8("command")? {
            1 => {
                let name_at = r.offset();
                let name = r.str("name", ORG_NAME_BYTES_MAX)?;
                let name = OrgName::parse(name).map_err(|e| DecodeError {
                    offset: name_at,
                    field: "name",
                    expected: e.to_string(),
                })?;
                let role = match r.u8("role")? {
                    1 => Role::Operator,
                    2 => Role::Participant,
                    other => {
                        return Err(r.error(
                            "role",
                            format!("1 (operator) or 2 (participant), found {other}"),
                        ))
                    }
                };
                Command::RegisterOrg {
                    name,
                    role,
                    key: r.fixed("key")?,
                }
            }
            2 => Command::CreateAccounts(decode_batch(&mut r, Account::decode)?),
            3 => Command::CreateTransfers(decode_batch(&mut r, Transfer::decode)?),
            4 => Command::Attach {
                subject: r.u128("subject")?,
                kind: r.str("kind", LABEL_BYTES_MAX)?.to_owned(),
                data: r.bytes("data", ATTACHMENT_BYTES_MAX)?.to_vec(),
            },
            5 => Command::Erase {
                index: r.u64("index")?,
                reason: r.str("reason", LABEL_BYTES_MAX)?.to_owned(),
            },
            other => {
                return Err(DecodeError {
                    offset: 0,
                    field: "command",
                    expected: format!("a command tag 1-5, found {other}"),
                })
            }
        };
        r.end()?;
        Ok(cmd)
    }

    /// A short name for messages.
    pub fn name(&self) -> &'static str {
        match self {
            Command::RegisterOrg { .. } => "register-org",
            Command::CreateAccounts(_) => "create-accounts",
            Command::CreateTransfers(_) => "create-transfers",
            Command::Attach { .. } => "attach",
            Command::Erase { .. } => "erase",
        }
    }

    /// How many book events (accounts or transfers) the command carries.
    pub fn event_count(&self) -> usize {
        match self {
            Command::CreateAccounts(a) => a.len(),
            Command::CreateTransfers(t) => t.len(),
            _ => 0,
        }
    }
}
