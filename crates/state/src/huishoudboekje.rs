//! The Huishoudboekje's share of the state machine: households (the opt-in, agreements, the
//! advance limit) and payment runs with four-eyes approval. Its commands are the entry tags
//! 0x06 (household) and 0x07 (payment run), each with its own sub-tags, encoding version 1; its
//! rejections read as sentences ([`Rejection`], [`RunRejection`]); its part of the digest is
//! [`Huishoudboekje::digest_into`]. The household is a pseudonymous number: names, BSN and the
//! resident's own IBAN never come here.

use std::collections::BTreeMap;

use knop_codec::{DecodeError, Reader, Writer};
use knop_huishoudboekje::HouseholdId;
use knop_ledger::entry::{OrgName, SignedEntry};
use sha2::{Digest, Sha256};

use crate::{Outcome, StateError};

/// Commands about a household in the Huishoudboekje. The household is a pseudonymous number;
/// names, BSN and the resident's own IBAN never go here (they are personal data: attachments).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HouseholdCommand {
    /// "De knop": the resident opts in, after a counsellor explained the consequences.
    Open {
        /// Pseudonymous household id.
        household: HouseholdId,
        /// Pseudonymous id of the counsellor who informed the resident.
        counsellor: String,
        /// Version of the information given (which consequences were explained).
        information: String,
    },
    /// The resident withdraws; payments stop at `effective_ms` (after the notice period).
    Revoke {
        /// The household.
        household: HouseholdId,
        /// When the withdrawal takes effect, ms since the epoch; not before the entry itself.
        effective_ms: u64,
    },
    /// Creates or replaces an agreement (the log keeps every version). Sub-tag 3 with a version 1
    /// agreement, sub-tag 6 with a version 2 one (which names the creditor).
    SetAgreement {
        /// The household.
        household: HouseholdId,
        /// The agreement.
        agreement: knop_huishoudboekje::Agreement,
    },
    /// Ends an agreement after `through`.
    EndAgreement {
        /// The household.
        household: HouseholdId,
        /// The agreement's id.
        agreement: String,
        /// Last day it applies.
        through: jiff::civil::Date,
    },
    /// Sets how much the foundation may advance to this household, in all, when income is late
    /// (repaid from that income); replaces the foundation's default for it. 0: no advances.
    SetAdvanceLimit {
        /// The household.
        household: HouseholdId,
        /// The most outstanding at any time, in cents, 0..=[`ADVANCE_LIMIT_CENTS_MAX`].
        cents: i64,
    },
}

/// Highest advance limit a household can get, in cents (EUR 10 000).
pub const ADVANCE_LIMIT_CENTS_MAX: i64 = 1_000_000;

/// Longest run id, in bytes.
pub const RUN_ID_BYTES_MAX: usize = 64;
/// Longest person id (who made or approved a run), in bytes.
pub const PERSON_BYTES_MAX: usize = 100;
/// Largest run content, in bytes.
pub const RUN_CONTENT_BYTES_MAX: usize = 256 * 1024;

/// Payment runs with four-eyes approval, on the ledger: who made which run (its content) and
/// who approved exactly that content. People are pseudonymous ids (logins); the organisation
/// that signs the entry (the foundation) vouches that they acted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentRunCommand {
    /// A new payment run for a household.
    Create {
        /// The run's id (`KNOP-RUN-…`).
        run_id: String,
        /// The household it pays for.
        household: HouseholdId,
        /// The person who made it.
        created_by: String,
        /// What it pays, as the application layer encoded it (`RunContent::to_bytes`; JSON before 2026-12-03).
        content: Vec<u8>,
    },
    /// A second person approves the run's content.
    Approve {
        /// The run.
        run_id: String,
        /// SHA-256 of the content approved; must be the run's.
        content_sha256: [u8; 32],
        /// The person approving; never the maker.
        by: String,
    },
    /// Sets, once, the deployment's random scope of payment ids: every EndToEndId (and so every
    /// run id) of this ledger derives from it, so no other deployment makes the same ids and
    /// no one outside can work them out from a household number, an agreement and a date.
    /// Recorded when a ledger has no households yet; a ledger without it keeps the ids it had.
    SetIdScope {
        /// 16 random bytes.
        scope: [u8; 16],
    },
    /// A day file: the runs of many households for one execution date, made as one by one
    /// person (a counsellor's whole caseload), approved as one ([`PaymentRunCommand::ApproveBatch`])
    /// and paid in one payment file. Each run is a run as [`PaymentRunCommand::Create`] makes it.
    CreateBatch {
        /// The day file's id (`KNOP-DAG-…`).
        batch_id: String,
        /// The person who made it.
        created_by: String,
        /// Its runs, 1 to [`BATCH_RUNS_MAX`], each run id once.
        runs: Vec<BatchRun>,
    },
    /// A second person approves every run of a day file at once.
    ApproveBatch {
        /// The day file.
        batch_id: String,
        /// Its digest ([`batch_sha256`]); must be the day file's.
        batch_sha256: [u8; 32],
        /// The person approving; never the maker.
        by: String,
    },
}

/// One run of a day file ([`PaymentRunCommand::CreateBatch`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchRun {
    /// The run's id (`KNOP-RUN-…`).
    pub run_id: String,
    /// The household it pays for.
    pub household: HouseholdId,
    /// What it pays (as for [`PaymentRunCommand::Create`]).
    pub content: Vec<u8>,
}

/// Most runs in one day file: a large caseload, well within an entry's size.
pub const BATCH_RUNS_MAX: usize = 1_000;

/// What an approval of a day file covers: SHA-256 over its runs' ids and contents' digests,
/// in order.
pub fn batch_sha256<'a>(runs: impl IntoIterator<Item = (&'a str, [u8; 32])>) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"knop/day-file/v1\0");
    for (id, digest) in runs {
        text(&mut h, id);
        h.update(digest);
    }
    h.finalize().into()
}

impl PaymentRunCommand {
    /// The run this command is about.
    pub fn run_id(&self) -> &str {
        match self {
            PaymentRunCommand::Create { run_id, .. }
            | PaymentRunCommand::Approve { run_id, .. } => run_id,
            PaymentRunCommand::CreateBatch { batch_id, .. }
            | PaymentRunCommand::ApproveBatch { batch_id, .. } => batch_id,
            PaymentRunCommand::SetIdScope { .. } => "(id scope)",
        }
    }

    pub(crate) fn encode(&self, w: &mut Writer) {
        match self {
            PaymentRunCommand::Create {
                run_id,
                household,
                created_by,
                content,
            } => {
                w.u8(1);
                w.str(run_id);
                w.u128(household.0);
                w.str(created_by);
                w.bytes(content);
            }
            PaymentRunCommand::Approve {
                run_id,
                content_sha256,
                by,
            } => {
                w.u8(2);
                w.str(run_id);
                w.fixed(content_sha256);
                w.str(by);
            }
            PaymentRunCommand::SetIdScope { scope } => {
                // The run id field is empty: the sub-tags share their head.
                w.u8(3);
                w.str("");
                w.fixed(scope);
            }
            PaymentRunCommand::CreateBatch {
                batch_id,
                created_by,
                runs,
            } => {
                w.u8(4);
                w.str(batch_id);
                w.str(created_by);
                w.u32(runs.len() as u32);
                for r in runs {
                    w.str(&r.run_id);
                    w.u128(r.household.0);
                    w.bytes(&r.content);
                }
            }
            PaymentRunCommand::ApproveBatch {
                batch_id,
                batch_sha256,
                by,
            } => {
                w.u8(5);
                w.str(batch_id);
                w.fixed(batch_sha256);
                w.str(by);
            }
        }
    }

    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let tag = r.u8("run.command")?;
        let run_id = r.str("run.id", RUN_ID_BYTES_MAX)?.to_owned();
        Ok(match tag {
            1 => PaymentRunCommand::Create {
                run_id,
                household: HouseholdId(r.u128("run.household")?),
                created_by: r.str("run.created_by", PERSON_BYTES_MAX)?.to_owned(),
                content: r.bytes("run.content", RUN_CONTENT_BYTES_MAX)?.to_vec(),
            },
            2 => PaymentRunCommand::Approve {
                run_id,
                content_sha256: r.fixed::<32>("run.content_sha256")?,
                by: r.str("run.by", PERSON_BYTES_MAX)?.to_owned(),
            },
            3 if run_id.is_empty() => PaymentRunCommand::SetIdScope {
                scope: r.fixed::<16>("run.id_scope")?,
            },
            3 => return Err(r.error("run.id", "empty for the id scope".to_owned())),
            4 => {
                let created_by = r.str("batch.created_by", PERSON_BYTES_MAX)?.to_owned();
                let n = r.count("batch.runs", BATCH_RUNS_MAX)?;
                let mut runs = Vec::with_capacity(n);
                for _ in 0..n {
                    runs.push(BatchRun {
                        run_id: r.str("batch.run.id", RUN_ID_BYTES_MAX)?.to_owned(),
                        household: HouseholdId(r.u128("batch.run.household")?),
                        content: r
                            .bytes("batch.run.content", RUN_CONTENT_BYTES_MAX)?
                            .to_vec(),
                    });
                }
                PaymentRunCommand::CreateBatch {
                    batch_id: run_id,
                    created_by,
                    runs,
                }
            }
            5 => PaymentRunCommand::ApproveBatch {
                batch_id: run_id,
                batch_sha256: r.fixed::<32>("batch.sha256")?,
                by: r.str("batch.by", PERSON_BYTES_MAX)?.to_owned(),
            },
            other => {
                return Err(r.error(
                    "run.command",
                    format!("a payment run command 1-5, found {other}"),
                ))
            }
        })
    }
}

/// Longest counsellor id or information label, in bytes.
pub const HOUSEHOLD_TEXT_BYTES_MAX: usize = 64;

impl HouseholdCommand {
    /// The household concerned.
    pub fn household(&self) -> HouseholdId {
        match self {
            HouseholdCommand::Open { household, .. }
            | HouseholdCommand::Revoke { household, .. }
            | HouseholdCommand::SetAgreement { household, .. }
            | HouseholdCommand::EndAgreement { household, .. }
            | HouseholdCommand::SetAdvanceLimit { household, .. } => *household,
        }
    }

    pub(crate) fn encode(&self, w: &mut Writer) {
        match self {
            HouseholdCommand::Open {
                household,
                counsellor,
                information,
            } => {
                w.u8(1);
                w.u128(household.0);
                w.str(counsellor);
                w.str(information);
            }
            HouseholdCommand::Revoke {
                household,
                effective_ms,
            } => {
                w.u8(2);
                w.u128(household.0);
                w.u64(*effective_ms);
            }
            HouseholdCommand::SetAgreement {
                household,
                agreement,
            } => {
                // Tag 3 holds a version 1 agreement, tag 6 a version 2 one (with the creditor's
                // name): agreements recorded before version 2 keep their bytes.
                w.u8(if agreement.version() == 1 { 3 } else { 6 });
                w.u128(household.0);
                agreement.encode(w);
            }
            HouseholdCommand::EndAgreement {
                household,
                agreement,
                through,
            } => {
                w.u8(4);
                w.u128(household.0);
                w.str(agreement);
                w.u16(through.year() as u16);
                w.u8(through.month() as u8);
                w.u8(through.day() as u8);
            }
            HouseholdCommand::SetAdvanceLimit { household, cents } => {
                w.u8(5);
                w.u128(household.0);
                w.i64(*cents);
            }
        }
    }

    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let tag = r.u8("household.command")?;
        let household = HouseholdId(r.u128("household")?);
        Ok(match tag {
            1 => HouseholdCommand::Open {
                household,
                counsellor: r
                    .str("household.counsellor", HOUSEHOLD_TEXT_BYTES_MAX)?
                    .to_owned(),
                information: r
                    .str("household.information", HOUSEHOLD_TEXT_BYTES_MAX)?
                    .to_owned(),
            },
            2 => HouseholdCommand::Revoke {
                household,
                effective_ms: r.u64("household.effective")?,
            },
            3 => HouseholdCommand::SetAgreement {
                household,
                agreement: knop_huishoudboekje::Agreement::decode(r, 1)?,
            },
            6 => HouseholdCommand::SetAgreement {
                household,
                agreement: knop_huishoudboekje::Agreement::decode(r, 2)?,
            },
            4 => {
                let agreement = r
                    .str(
                        "household.agreement",
                        knop_huishoudboekje::encoding::TEXT_BYTES_MAX,
                    )?
                    .to_owned();
                let at = r.offset();
                let (y, m, d) = (
                    r.u16("household.through")?,
                    r.u8("household.through")?,
                    r.u8("household.through")?,
                );
                let through = jiff::civil::Date::new(y as i16, m as i8, d as i8).map_err(|_| {
                    DecodeError {
                        offset: at,
                        field: "household.through",
                        expected: format!("a valid date, found {y}-{m}-{d}"),
                    }
                })?;
                HouseholdCommand::EndAgreement {
                    household,
                    agreement,
                    through,
                }
            }
            5 => {
                let at = r.offset();
                let cents = r.i64("household.advance_limit")?;
                if !(0..=ADVANCE_LIMIT_CENTS_MAX).contains(&cents) {
                    return Err(DecodeError {
                        offset: at,
                        field: "household.advance_limit",
                        expected: format!("0..={ADVANCE_LIMIT_CENTS_MAX} cents, found {cents}"),
                    });
                }
                HouseholdCommand::SetAdvanceLimit { household, cents }
            }
            other => {
                return Err(r.error(
                    "household.command",
                    format!("a household command 1-6, found {other}"),
                ))
            }
        })
    }
}

/// A household in the Huishoudboekje, as the log says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HouseholdState {
    /// When the resident opted in (ms).
    pub opened_at_ms: u64,
    /// The organisation that recorded it.
    pub opened_by: OrgName,
    /// Pseudonymous counsellor id.
    pub counsellor: String,
    /// Version of the information given.
    pub information: String,
    /// When a withdrawal takes effect (ms), if the resident withdrew.
    pub revoked_effective_ms: Option<u64>,
    /// Current agreements by id.
    pub agreements: BTreeMap<String, knop_huishoudboekje::Agreement>,
    /// The advance limit set for this household (cents); `None`: the foundation's default.
    pub advance_limit_cents: Option<i64>,
}

impl HouseholdState {
    /// The household's plan: its current agreements, from `opening_balance_cents`, scoped to
    /// `household` and the ledger's payment id `scope` ([`crate::State::id_scope`]), which its
    /// payments' EndToEndIds derive from.
    pub fn plan(
        &self,
        scope: Option<&[u8; 16]>,
        household: HouseholdId,
        opening_balance_cents: i64,
    ) -> knop_huishoudboekje::Plan {
        let household = match scope {
            None => household.to_string(),
            Some(s) => {
                let hex: String = s.iter().map(|b| format!("{b:02x}")).collect();
                format!("{hex}:{household}")
            }
        };
        knop_huishoudboekje::Plan {
            opening_balance_cents,
            agreements: self.agreements.values().cloned().collect(),
            household: Some(household),
        }
    }

    /// Whether the opt-in holds at `at_ms` (not withdrawn by then).
    pub fn active_at(&self, at_ms: u64) -> bool {
        self.revoked_effective_ms.is_none_or(|r| at_ms < r)
    }
}

/// A payment run as the log says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunState {
    /// The household it pays for.
    pub household: HouseholdId,
    /// Who made it (pseudonymous person id).
    pub created_by: String,
    /// When (the entry's timestamp, ms).
    pub created_ms: u64,
    /// Its content, as recorded (see [`PaymentRunCommand::Create`]).
    pub content: Vec<u8>,
    /// SHA-256 of the content.
    pub content_sha256: [u8; 32],
    /// Who approved it, in order, with when (ms).
    pub approvals: Vec<(String, u64)>,
    /// The log index of the entry that created it.
    pub index: u64,
    /// The day file it is part of, if it was made in one.
    pub batch: Option<String>,
}

/// A day file as the log says ([`PaymentRunCommand::CreateBatch`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchState {
    /// Its runs, in order.
    pub runs: Vec<String>,
    /// Who made it.
    pub created_by: String,
    /// What an approval covers ([`batch_sha256`]).
    pub sha256: [u8; 32],
    /// The log index of the entry that created it.
    pub index: u64,
}

impl RunState {
    /// Whether someone other than the maker approved it (four eyes).
    pub fn approved(&self) -> bool {
        self.approvals.iter().any(|(by, _)| *by != self.created_by)
    }
}

/// Why a household command is refused. Nothing of it was applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// Occurs when a command names household 0.
    #[error("the household id must not be zero")]
    IdMustNotBeZero,
    /// Occurs when an opt-in lacks the counsellor or the information version.
    #[error(
        "opening needs the counsellor who informed the resident and the version of the information"
    )]
    OpeningNeedsCounsellorAndInformation,
    /// Occurs when an open household is opened again with other details.
    #[error("is already open")]
    AlreadyOpen,
    /// Occurs when a command needs a household that was never opened.
    #[error("is not open")]
    NotOpen,
    /// Occurs when an agreement is made for a household without the resident's opt-in.
    #[error("is not open: nothing is agreed without the resident's opt-in")]
    NotOptedIn,
    /// Occurs when an agreement is made after the resident's withdrawal took effect.
    #[error("the resident withdrew; no new agreements")]
    Withdrew,
    /// Occurs when a withdrawal is dated before it is recorded, or recorded twice differently.
    #[error("a withdrawal takes effect at or after the moment it is recorded, once")]
    WithdrawalOnceNotBeforeNow,
    /// Occurs when an agreement does not pass its own checks (amounts, schedule, dates).
    #[error("{0}")]
    InvalidAgreement(String),
    /// Occurs when living money names the resident's own IBAN.
    #[error("the resident's own IBAN is personal data: keep it off the ledger (an attachment)")]
    OwnIbanIsPersonalData,
    /// Occurs when an agreement that is not there is ended.
    #[error("has no agreement {0:?}")]
    NoSuchAgreement(String),
    /// Occurs when an agreement would end before it starts.
    #[error("agreement {agreement:?} starts after {through}")]
    EndsBeforeItStarts {
        /// The agreement.
        agreement: String,
        /// The end asked for.
        through: jiff::civil::Date,
    },
}

/// Why a payment run command is refused. Nothing of it was applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RunRejection {
    /// Occurs when a run has no id or no maker.
    #[error("a run needs an id and the person who made it")]
    RunNeedsIdAndMaker,
    /// Occurs when a run id is recorded again with other content, household or maker.
    #[error("exists with other content")]
    ExistsWithOtherContent,
    /// Occurs when a run names a household that was never opened.
    #[error("the household is not on the ledger")]
    HouseholdNotOnLedger,
    /// Occurs when a run is made for a household whose withdrawal took effect.
    #[error("the household withdrew; nothing is paid for it")]
    HouseholdWithdrew,
    /// Occurs when an approval names nobody.
    #[error("an approval needs the person who approves")]
    ApprovalNeedsApprover,
    /// Occurs when an approval names a run that is not on the ledger.
    #[error("no such run")]
    NoSuchRun,
    /// Occurs when an approval is for other content than the run's.
    #[error("the approval is for other content than the run's")]
    ApprovalForOtherContent,
    /// Occurs when the maker of a run approves it (four eyes).
    #[error("four eyes: the maker of a run may not approve it")]
    MakerMayNotApprove,
    /// Occurs when the payment id scope is set a second time, to another value.
    #[error("the payment id scope is set already; it never changes")]
    IdScopeSet,
    /// Occurs when the payment id scope is set on a ledger that has households (their payments'
    /// ids would change).
    #[error("the payment id scope is set only before the first household")]
    IdScopeTooLate,
    /// Occurs when a day file has no runs, too many, or a run twice.
    #[error("a day file holds 1 to 1000 runs, each once")]
    BatchRuns,
    /// Occurs when a day file names a run that is on the ledger already.
    #[error("is on the ledger already; a day file makes only new runs")]
    RunExists,
    /// Occurs when an approval names a day file that is not on the ledger.
    #[error("no such day file")]
    NoSuchBatch,
}

/// The household `id`, if something may be agreed with it at `now`: opted in and not withdrawn.
fn agreeing(
    households: &mut BTreeMap<HouseholdId, HouseholdState>,
    id: HouseholdId,
    now: u64,
) -> Result<&mut HouseholdState, Rejection> {
    let h = households.get_mut(&id).ok_or(Rejection::NotOptedIn)?;
    if !h.active_at(now) {
        return Err(Rejection::Withdrew);
    }
    Ok(h)
}

/// What an accepted household command did.
enum Done {
    /// Changed the state.
    Created,
    /// The state already said so (an idempotent retry).
    AlreadySo,
}

/// The Huishoudboekje's state: households and payment runs.
#[derive(Debug, Default, Clone)]
pub struct Huishoudboekje {
    /// The households, by id.
    pub(crate) households: BTreeMap<HouseholdId, HouseholdState>,
    /// The payment runs, by id.
    pub(crate) runs: BTreeMap<String, RunState>,
    /// The deployment's scope of payment ids, once set.
    pub(crate) id_scope: Option<[u8; 16]>,
    /// The day files, by id.
    pub(crate) batches: BTreeMap<String, BatchState>,
}

impl Huishoudboekje {
    /// Applies a payment run command; refused, it changes nothing.
    pub(crate) fn payment_run(
        &mut self,
        entry: &SignedEntry,
        index: u64,
        cmd: PaymentRunCommand,
    ) -> Result<Outcome, StateError> {
        let bad = |rejection: RunRejection| StateError::PaymentRun {
            run_id: cmd.run_id().to_owned(),
            rejection,
        };
        let (created, existing) = (
            Outcome {
                created: 1,
                existing: 0,
            },
            Outcome {
                created: 0,
                existing: 1,
            },
        );
        let person_ok = |p: &str| !p.trim().is_empty() && p.trim() == p;
        match cmd {
            PaymentRunCommand::SetIdScope { scope } => match self.id_scope {
                Some(s) if s == scope => Ok(existing),
                Some(_) => Err(bad(RunRejection::IdScopeSet)),
                None if !self.households.is_empty() => Err(bad(RunRejection::IdScopeTooLate)),
                None => {
                    self.id_scope = Some(scope);
                    Ok(created)
                }
            },
            PaymentRunCommand::Create {
                ref run_id,
                household,
                ref created_by,
                ref content,
            } => {
                if run_id.is_empty() || !person_ok(created_by) {
                    return Err(bad(RunRejection::RunNeedsIdAndMaker));
                }
                let digest: [u8; 32] = Sha256::digest(content).into();
                if let Some(r) = self.runs.get(run_id) {
                    if r.household == household
                        && r.created_by == *created_by
                        && r.content_sha256 == digest
                    {
                        return Ok(existing);
                    }
                    return Err(bad(RunRejection::ExistsWithOtherContent));
                }
                match self.households.get(&household) {
                    None => return Err(bad(RunRejection::HouseholdNotOnLedger)),
                    Some(h) if !h.active_at(entry.timestamp_ms) => {
                        return Err(bad(RunRejection::HouseholdWithdrew))
                    }
                    Some(_) => {}
                }
                self.runs.insert(
                    run_id.clone(),
                    RunState {
                        household,
                        created_by: created_by.clone(),
                        created_ms: entry.timestamp_ms,
                        content: content.clone(),
                        content_sha256: digest,
                        approvals: vec![],
                        index,
                        batch: None,
                    },
                );
                Ok(created)
            }
            PaymentRunCommand::Approve {
                ref run_id,
                content_sha256,
                ref by,
            } => {
                if !person_ok(by) {
                    return Err(bad(RunRejection::ApprovalNeedsApprover));
                }
                let Some(r) = self.runs.get_mut(run_id) else {
                    return Err(bad(RunRejection::NoSuchRun));
                };
                if r.content_sha256 != content_sha256 {
                    return Err(bad(RunRejection::ApprovalForOtherContent));
                }
                if r.created_by == *by {
                    return Err(bad(RunRejection::MakerMayNotApprove));
                }
                if r.approvals.iter().any(|(b, _)| b == by) {
                    return Ok(existing);
                }
                r.approvals.push((by.clone(), entry.timestamp_ms));
                Ok(created)
            }
            PaymentRunCommand::CreateBatch {
                batch_id,
                created_by,
                runs,
            } => self.create_batch(entry, index, batch_id, created_by, runs),
            PaymentRunCommand::ApproveBatch {
                batch_id,
                batch_sha256,
                by,
            } => self.approve_batch(entry, batch_id, batch_sha256, by),
        }
    }

    /// Records a day file and its runs: every run is checked before any is recorded, so a
    /// refusal changes nothing.
    fn create_batch(
        &mut self,
        entry: &SignedEntry,
        index: u64,
        batch_id: String,
        created_by: String,
        runs: Vec<BatchRun>,
    ) -> Result<Outcome, StateError> {
        let bad = |run_id: &str, rejection| StateError::PaymentRun {
            run_id: run_id.to_owned(),
            rejection,
        };
        if batch_id.is_empty() || created_by.trim().is_empty() || created_by.trim() != created_by {
            return Err(bad(&batch_id, RunRejection::RunNeedsIdAndMaker));
        }
        let mut ids = std::collections::HashSet::with_capacity(runs.len());
        if runs.is_empty()
            || runs.len() > BATCH_RUNS_MAX
            || !runs.iter().all(|r| ids.insert(r.run_id.as_str()))
        {
            return Err(bad(&batch_id, RunRejection::BatchRuns));
        }
        let digests: Vec<[u8; 32]> = runs
            .iter()
            .map(|r| Sha256::digest(&r.content).into())
            .collect();
        let sha256 = batch_sha256(
            runs.iter()
                .map(|r| r.run_id.as_str())
                .zip(digests.iter().copied()),
        );
        if let Some(b) = self.batches.get(&batch_id) {
            if b.created_by == created_by && b.sha256 == sha256 {
                return Ok(Outcome {
                    created: 0,
                    existing: runs.len(),
                });
            }
            return Err(bad(&batch_id, RunRejection::ExistsWithOtherContent));
        }
        for r in &runs {
            if r.run_id.is_empty() {
                return Err(bad(&batch_id, RunRejection::RunNeedsIdAndMaker));
            }
            if self.runs.contains_key(&r.run_id) {
                return Err(bad(&r.run_id, RunRejection::RunExists));
            }
            match self.households.get(&r.household) {
                None => return Err(bad(&r.run_id, RunRejection::HouseholdNotOnLedger)),
                Some(h) if !h.active_at(entry.timestamp_ms) => {
                    return Err(bad(&r.run_id, RunRejection::HouseholdWithdrew))
                }
                Some(_) => {}
            }
        }
        let count = runs.len();
        let order: Vec<String> = runs.iter().map(|r| r.run_id.clone()).collect();
        for (r, digest) in runs.into_iter().zip(digests) {
            self.runs.insert(
                r.run_id,
                RunState {
                    household: r.household,
                    created_by: created_by.clone(),
                    created_ms: entry.timestamp_ms,
                    content: r.content,
                    content_sha256: digest,
                    approvals: vec![],
                    index,
                    batch: Some(batch_id.clone()),
                },
            );
        }
        self.batches.insert(
            batch_id,
            BatchState {
                runs: order,
                created_by,
                sha256,
                index,
            },
        );
        Ok(Outcome {
            created: count,
            existing: 0,
        })
    }

    /// Records `by`'s approval of every run of a day file.
    fn approve_batch(
        &mut self,
        entry: &SignedEntry,
        batch_id: String,
        batch_sha256: [u8; 32],
        by: String,
    ) -> Result<Outcome, StateError> {
        let bad = |rejection| StateError::PaymentRun {
            run_id: batch_id.clone(),
            rejection,
        };
        if by.trim().is_empty() || by.trim() != by {
            return Err(bad(RunRejection::ApprovalNeedsApprover));
        }
        let Some(b) = self.batches.get(&batch_id) else {
            return Err(bad(RunRejection::NoSuchBatch));
        };
        if b.sha256 != batch_sha256 {
            return Err(bad(RunRejection::ApprovalForOtherContent));
        }
        if b.created_by == by {
            return Err(bad(RunRejection::MakerMayNotApprove));
        }
        let mut created = 0;
        for id in &b.runs {
            if let Some(r) = self.runs.get_mut(id) {
                if !r.approvals.iter().any(|(b, _)| *b == by) {
                    r.approvals.push((by.clone(), entry.timestamp_ms));
                    created += 1;
                }
            }
        }
        Ok(Outcome {
            created,
            existing: usize::from(created == 0),
        })
    }

    /// Applies a household command; refused, it changes nothing.
    pub(crate) fn household(
        &mut self,
        entry: &SignedEntry,
        cmd: HouseholdCommand,
    ) -> Result<Outcome, StateError> {
        let id = cmd.household();
        let now = entry.timestamp_ms;
        let done = if id.get() == 0 {
            Err(Rejection::IdMustNotBeZero)
        } else {
            match cmd {
                HouseholdCommand::Open {
                    counsellor,
                    information,
                    ..
                } => self.open(id, now, &entry.signer, counsellor, information),
                HouseholdCommand::Revoke { effective_ms, .. } => self.revoke(id, now, effective_ms),
                HouseholdCommand::SetAgreement { agreement, .. } => {
                    self.set_agreement(id, now, agreement)
                }
                HouseholdCommand::EndAgreement {
                    agreement, through, ..
                } => self.end_agreement(id, agreement, through),
                HouseholdCommand::SetAdvanceLimit { cents, .. } => {
                    self.set_advance_limit(id, now, cents)
                }
            }
        };
        match done {
            Ok(Done::Created) => Ok(Outcome {
                created: 1,
                existing: 0,
            }),
            Ok(Done::AlreadySo) => Ok(Outcome {
                created: 0,
                existing: 1,
            }),
            Err(rejection) => Err(StateError::Household {
                household: id,
                rejection,
            }),
        }
    }

    /// "De knop": the opt-in; again after a withdrawal, it keeps the agreements and limit.
    fn open(
        &mut self,
        id: HouseholdId,
        now: u64,
        signer: &OrgName,
        counsellor: String,
        information: String,
    ) -> Result<Done, Rejection> {
        if counsellor.trim().is_empty() || information.trim().is_empty() {
            return Err(Rejection::OpeningNeedsCounsellorAndInformation);
        }
        if let Some(h) = self.households.get(&id) {
            if h.active_at(now) {
                return if h.counsellor == counsellor && h.information == information {
                    Ok(Done::AlreadySo)
                } else {
                    Err(Rejection::AlreadyOpen)
                };
            }
        }
        let (agreements, advance_limit_cents) = self
            .households
            .remove(&id)
            .map(|h| (h.agreements, h.advance_limit_cents))
            .unwrap_or_default();
        self.households.insert(
            id,
            HouseholdState {
                opened_at_ms: now,
                opened_by: signer.clone(),
                counsellor,
                information,
                revoked_effective_ms: None,
                agreements,
                advance_limit_cents,
            },
        );
        Ok(Done::Created)
    }

    fn revoke(&mut self, id: HouseholdId, now: u64, effective_ms: u64) -> Result<Done, Rejection> {
        let h = self.households.get_mut(&id).ok_or(Rejection::NotOpen)?;
        if h.revoked_effective_ms == Some(effective_ms) {
            return Ok(Done::AlreadySo);
        }
        if effective_ms < now || h.revoked_effective_ms.is_some() {
            return Err(Rejection::WithdrawalOnceNotBeforeNow);
        }
        h.revoked_effective_ms = Some(effective_ms);
        Ok(Done::Created)
    }

    fn set_agreement(
        &mut self,
        id: HouseholdId,
        now: u64,
        agreement: knop_huishoudboekje::Agreement,
    ) -> Result<Done, Rejection> {
        let h = agreeing(&mut self.households, id, now)?;
        agreement
            .check()
            .map_err(|e| Rejection::InvalidAgreement(e.to_string()))?;
        if agreement.kind == knop_huishoudboekje::Kind::LivingMoney
            && agreement.counterparty_iban.is_some()
        {
            return Err(Rejection::OwnIbanIsPersonalData);
        }
        if h.agreements.get(&agreement.id) == Some(&agreement) {
            return Ok(Done::AlreadySo);
        }
        h.agreements.insert(agreement.id.clone(), agreement);
        Ok(Done::Created)
    }

    fn end_agreement(
        &mut self,
        id: HouseholdId,
        agreement: String,
        through: jiff::civil::Date,
    ) -> Result<Done, Rejection> {
        let h = self.households.get_mut(&id).ok_or(Rejection::NotOpen)?;
        let a = h
            .agreements
            .get_mut(&agreement)
            .ok_or_else(|| Rejection::NoSuchAgreement(agreement.clone()))?;
        if a.valid_from.is_some_and(|f| through < f) {
            return Err(Rejection::EndsBeforeItStarts { agreement, through });
        }
        let end = a.valid_through.map_or(through, |t| t.min(through));
        if a.valid_through == Some(end) {
            return Ok(Done::AlreadySo);
        }
        a.valid_through = Some(end);
        Ok(Done::Created)
    }

    fn set_advance_limit(
        &mut self,
        id: HouseholdId,
        now: u64,
        cents: i64,
    ) -> Result<Done, Rejection> {
        let h = agreeing(&mut self.households, id, now)?;
        if h.advance_limit_cents == Some(cents) {
            return Ok(Done::AlreadySo);
        }
        h.advance_limit_cents = Some(cents);
        Ok(Done::Created)
    }

    /// Feeds every field of every household and run into `h`, in a fixed order: two states
    /// that differ anywhere give different digests. The destructuring makes a new field a
    /// compile error here until it is digested.
    pub(crate) fn digest_into(&self, h: &mut Sha256) {
        let Huishoudboekje {
            households,
            runs,
            id_scope,
            batches,
        } = self;
        // Only when set: the digests of ledgers without a scope stay what they were.
        if let Some(scope) = id_scope {
            h.update(b"id-scope");
            h.update(scope);
        }
        h.update((households.len() as u64).to_be_bytes());
        for (id, hh) in households {
            let HouseholdState {
                opened_at_ms,
                opened_by,
                counsellor,
                information,
                revoked_effective_ms,
                agreements,
                advance_limit_cents,
            } = hh;
            h.update(id.0.to_be_bytes());
            h.update(opened_at_ms.to_be_bytes());
            text(h, opened_by.as_str());
            text(h, counsellor);
            text(h, information);
            option(h, revoked_effective_ms.map(|v| v.to_be_bytes()));
            option(h, advance_limit_cents.map(|v| v.to_be_bytes()));
            h.update((agreements.len() as u64).to_be_bytes());
            for a in agreements.values() {
                let mut w = Writer::new();
                a.encode(&mut w);
                let bytes = w.finish();
                h.update((bytes.len() as u64).to_be_bytes());
                h.update(bytes);
            }
        }
        h.update((runs.len() as u64).to_be_bytes());
        for (id, r) in runs {
            let RunState {
                household,
                created_by,
                created_ms,
                content,
                content_sha256,
                approvals,
                index,
                batch,
            } = r;
            text(h, id);
            h.update(household.0.to_be_bytes());
            text(h, created_by);
            h.update(created_ms.to_be_bytes());
            h.update((content.len() as u64).to_be_bytes());
            h.update(content);
            h.update(content_sha256);
            h.update((approvals.len() as u64).to_be_bytes());
            for (by, at) in approvals {
                text(h, by);
                h.update(at.to_be_bytes());
            }
            h.update(index.to_be_bytes());
            // Only when part of a day file: the digests of ledgers without any stay as they were.
            if let Some(b) = batch {
                h.update(b"day-file");
                text(h, b);
            }
        }
        if !batches.is_empty() {
            h.update(b"day-files");
            h.update((batches.len() as u64).to_be_bytes());
            for (id, b) in batches {
                let BatchState {
                    runs,
                    created_by,
                    sha256,
                    index,
                } = b;
                text(h, id);
                h.update((runs.len() as u64).to_be_bytes());
                for r in runs {
                    text(h, r);
                }
                text(h, created_by);
                h.update(sha256);
                h.update(index.to_be_bytes());
            }
        }
    }
}

/// Text as length and bytes, so that no two sequences of texts feed the same bytes.
pub(crate) fn text(h: &mut Sha256, s: &str) {
    h.update((s.len() as u64).to_be_bytes());
    h.update(s.as_bytes());
}

/// An optional value as a presence byte and the value.
pub(crate) fn option<const N: usize>(h: &mut Sha256, v: Option<[u8; N]>) {
    match v {
        None => h.update([0]),
        Some(b) => {
            h.update([1]);
            h.update(b);
        }
    }
}
