//! A store wrapper that injects failures, for crash and fault tests.
//!
//! Each write call ([`Store::append`], [`Store::put_checkpoint`], [`Store::erase`]) asks the
//! shared [`FaultPlan`] whether to fail, and how: before anything is persisted, after all of it
//! is persisted, or after a prefix of the records is persisted (a crash in the middle of a
//! group commit). Plans are seeded, so a failing run can be replayed exactly.

use std::sync::{Arc, Mutex};

use crate::{Meta, Record, Store, StoreError};

/// How a write call fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Nothing was persisted; the call returns an error.
    BeforePersist,
    /// Everything was persisted; the call still returns an error (the reply was lost).
    AfterPersist,
    /// The first `n` records were persisted (`append` only); the call returns an error.
    Prefix(usize),
}

/// Decides which write calls fail. Shared between a test and the store it wraps.
#[derive(Debug, Default)]
pub struct FaultPlan {
    /// Fail the next write call this way, then clear.
    pub next: Option<Fault>,
    /// Chance of a random fault per write call, in parts per thousand.
    pub per_mille: u32,
    seed: u64,
    /// Number of faults injected so far.
    pub injected: u64,
}

impl FaultPlan {
    /// A plan failing about `per_mille` of 1000 write calls, seeded.
    pub fn random(seed: u64, per_mille: u32) -> Self {
        Self {
            next: None,
            per_mille,
            seed: seed | 1,
            injected: 0,
        }
    }

    fn draw(&mut self) -> u64 {
        // xorshift64: deterministic and good enough to pick faults.
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        self.seed
    }

    fn decide(&mut self, records: usize) -> Option<Fault> {
        let fault = self.next.take().or_else(|| {
            if self.per_mille == 0 || self.draw() % 1000 >= u64::from(self.per_mille) {
                return None;
            }
            Some(match self.draw() % 3 {
                0 => Fault::BeforePersist,
                1 => Fault::AfterPersist,
                _ => Fault::Prefix((self.draw() % (records as u64 + 1)) as usize),
            })
        });
        self.injected += u64::from(fault.is_some());
        fault
    }
}

/// Wraps a store and fails its writes as the plan says.
pub struct Faulty<S> {
    inner: S,
    plan: Arc<Mutex<FaultPlan>>,
}

impl<S: Store> Faulty<S> {
    /// Wraps `inner`, failing as `plan` says.
    pub fn new(inner: S, plan: Arc<Mutex<FaultPlan>>) -> Self {
        Self { inner, plan }
    }

    /// The wrapped store.
    pub fn into_inner(self) -> S {
        self.inner
    }

    fn decide(&self, records: usize) -> Option<Fault> {
        self.plan.lock().expect("fault plan lock").decide(records)
    }
}

impl<S: Store> Store for Faulty<S> {
    fn meta(&self) -> &Meta {
        self.inner.meta()
    }

    fn len(&self) -> u64 {
        self.inner.len()
    }

    fn append(&mut self, records: &[Record]) -> Result<(), StoreError> {
        match self.decide(records.len()) {
            None => self.inner.append(records),
            Some(Fault::BeforePersist) => {
                Err(StoreError::Injected("append failed before persisting"))
            }
            Some(Fault::AfterPersist) => {
                self.inner.append(records)?;
                Err(StoreError::Injected("append failed after persisting"))
            }
            Some(Fault::Prefix(n)) => {
                self.inner.append(&records[..n.min(records.len())])?;
                Err(StoreError::Injected("append persisted only a prefix"))
            }
        }
    }

    fn read(&mut self, from: u64, to: u64) -> Result<Vec<Record>, StoreError> {
        self.inner.read(from, to)
    }

    fn erase(&mut self, index: u64) -> Result<(), StoreError> {
        match self.decide(1) {
            None => self.inner.erase(index),
            Some(Fault::BeforePersist) | Some(Fault::Prefix(0)) => {
                Err(StoreError::Injected("erase failed before persisting"))
            }
            Some(_) => {
                self.inner.erase(index)?;
                Err(StoreError::Injected("erase failed after persisting"))
            }
        }
    }

    fn put_checkpoint(&mut self, size: u64, note: &str) -> Result<(), StoreError> {
        match self.decide(1) {
            None => self.inner.put_checkpoint(size, note),
            Some(Fault::BeforePersist) | Some(Fault::Prefix(0)) => {
                Err(StoreError::Injected("checkpoint failed before persisting"))
            }
            Some(_) => {
                self.inner.put_checkpoint(size, note)?;
                Err(StoreError::Injected("checkpoint failed after persisting"))
            }
        }
    }

    fn checkpoints(&mut self) -> Result<Vec<(u64, String)>, StoreError> {
        self.inner.checkpoints()
    }

    fn latest_checkpoint(&mut self) -> Result<Option<(u64, String)>, StoreError> {
        self.inner.latest_checkpoint()
    }

    fn bytes_used(&mut self) -> Result<u64, StoreError> {
        self.inner.bytes_used()
    }
}
