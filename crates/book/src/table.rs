//! Where the book keeps its transfers: records of fixed size, the newest in memory and the rest
//! spilled to an unnamed temporary file, found through a compact in-memory index.
//!
//! A foundation's month books some 32 transfers per household; at a million households the
//! records alone (155 bytes each) would be five gigabytes. The book only needs random access to a
//! few of them (a duplicate id, a pending transfer being posted or voided), so in memory it keeps
//! per transfer only
//!
//! - 7 bytes in the index: the record's slot and 24 bits of a 32-bit fingerprint of the id, in
//!   one of 256 tables chosen by the fingerprint's top 8 bits, and
//! - 4 bits of pending status (the only field that changes after creation),
//!
//! and reads a record back with one positioned read. The index is hashed by the fingerprint
//! alone, so growing it never reads a record, and growing one of its 256 tables at a time never
//! needs twice the index's memory at once. Two ids share a fingerprint about once in four
//! billion lookups, which costs one extra read, never a wrong answer (the id is compared).
//!
//! Records are spilled only at [`Transfers::commit`], so everything an uncommitted batch added is
//! still in memory when it is rolled back. The file is a cache of the ledger, rebuilt by replay,
//! and is deleted by the operating system when the process ends.
//!
//! Written by hand because no maintained crate offers an append-only, spill-to-disk record table
//! with an in-memory fingerprint index; the hash table itself is hashbrown's.

use std::fs::File;
use std::os::unix::fs::FileExt;

use hashbrown::HashTable;

use crate::book::{PendingStatus, Resolved, TransferState};
use crate::{Cents, Transfer, TransferFlags};

/// Bytes of one record.
const REC: usize = 16 * 3 + 8 + 16 + 4 + 2 * 3 + 16 + (16 * 2 + 8) + 8 + 9;

/// The pending statuses by their 4-bit code.
const STATUSES: [PendingStatus; 5] = [
    PendingStatus::None,
    PendingStatus::Pending,
    PendingStatus::Posted,
    PendingStatus::Voided,
    PendingStatus::Expired,
];

/// Tables the index is split into.
const SHARDS: usize = 256;

/// Records kept in memory before they are spilled at a commit (16 MiB).
pub const SPILL_BYTES_DEFAULT: usize = 16 << 20;

/// The transfers of a book. See the module docs.
#[derive(Debug)]
pub(crate) struct Transfers {
    /// Per table (the fingerprint's top byte): the fingerprint's low 24 bits and the slot,
    /// little-endian, hashed by the fingerprint.
    index: Vec<HashTable<[u8; 7]>>,
    /// Per-process random key of the fingerprints.
    seed: foldhash::fast::FixedState,
    /// Pending status, two slots a byte (low nibble: even slot).
    status: Vec<u8>,
    /// Number of records.
    len: u32,
    /// Records from slot `spilled` on.
    tail: Vec<u8>,
    /// Records in the file (slots `0..spilled`).
    spilled: u32,
    file: Option<File>,
    spill_bytes: usize,
    /// Blocks of spilled records read back lately: posting a payment run's reservations reads
    /// records written close together, so one read of a block serves hundreds of lookups.
    /// Spilled records never change (their status is kept in memory), so nothing here goes stale.
    read_back: std::sync::Mutex<ReadBack>,
}

/// Records per block read back from the spill file (about 79 KB).
const BLOCK_RECORDS: u32 = 512;
/// Blocks kept.
const BLOCKS_KEPT: usize = 64;

/// Blocks read from the spill file: (first slot, records), each block in the place its number
/// names (modulo [`BLOCKS_KEPT`]), so a run of 30 000 reservations read in another order than
/// written (a bank statement lists a day's payments of many households) stays cached (5 MB).
#[derive(Debug)]
struct ReadBack {
    blocks: Vec<Option<(u32, Vec<u8>)>>,
}

impl Default for ReadBack {
    fn default() -> Self {
        Self {
            blocks: vec![None; BLOCKS_KEPT],
        }
    }
}

impl Default for Transfers {
    fn default() -> Self {
        Self::with_spill_bytes(SPILL_BYTES_DEFAULT)
    }
}

impl Clone for Transfers {
    /// A copy with its own file (the records are copied).
    fn clone(&self) -> Self {
        let mut copy = Self {
            index: self.index.clone(),
            seed: self.seed,
            status: self.status.clone(),
            len: self.len,
            tail: Vec::new(),
            spilled: 0,
            file: None,
            spill_bytes: self.spill_bytes,
            read_back: Default::default(),
        };
        // The spilled records, in parts, then the records still in memory as they are, so that
        // the copy can roll back what the original could.
        for first in (0..self.spilled).step_by(4096) {
            for slot in first..self.spilled.min(first + 4096) {
                copy.tail.extend_from_slice(&self.record_bytes(slot));
            }
            copy.spill();
        }
        copy.tail.extend_from_slice(&self.tail);
        copy
    }
}

impl Transfers {
    /// An empty table spilling once `spill_bytes` of records are in memory.
    pub(crate) fn with_spill_bytes(spill_bytes: usize) -> Self {
        Self {
            index: (0..SHARDS).map(|_| HashTable::new()).collect(),
            seed: foldhash::fast::FixedState::with_seed(rand_seed()),
            status: Vec::new(),
            len: 0,
            tail: Vec::new(),
            spilled: 0,
            file: None,
            spill_bytes: spill_bytes.max(REC),
            read_back: Default::default(),
        }
    }

    /// Number of transfers.
    pub(crate) fn len(&self) -> usize {
        self.len as usize
    }

    /// Records in the spill file.
    pub(crate) fn spilled(&self) -> usize {
        self.spilled as usize
    }

    fn fingerprint(&self, id: u128) -> u32 {
        use std::hash::BuildHasher;
        (self.seed.hash_one(id) >> 32) as u32
    }

    /// The table's hash of a fingerprint: spread over 64 bits so that both the bucket (low bits)
    /// and the control byte (high bits) depend on all of it.
    fn spread(fp: u32) -> u64 {
        u64::from(fp).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ u64::from(fp)
    }

    /// An index entry.
    fn entry(fp: u32, slot: u32) -> [u8; 7] {
        let mut e = [0u8; 7];
        e[..3].copy_from_slice(&fp.to_le_bytes()[..3]);
        e[3..].copy_from_slice(&slot.to_le_bytes());
        e
    }

    /// The fingerprint of an entry in table `shard`.
    fn fp_of(shard: usize, e: &[u8; 7]) -> u32 {
        u32::from_le_bytes([e[0], e[1], e[2], shard as u8])
    }

    fn slot_of(e: &[u8; 7]) -> u32 {
        u32::from_le_bytes([e[3], e[4], e[5], e[6]])
    }

    /// The slot of `id`, with its record.
    pub(crate) fn find(&self, id: u128) -> Option<(u32, TransferState)> {
        let fp = self.fingerprint(id);
        let shard = fp as usize >> 24;
        self.index[shard]
            .iter_hash(Self::spread(fp))
            .filter(|e| Self::fp_of(shard, e) == fp)
            .find_map(|e| {
                let slot = Self::slot_of(e);
                let t = self.read(slot);
                (t.transfer.id == id).then_some((slot, t))
            })
    }

    fn status(&self, slot: u32) -> PendingStatus {
        let b = self.status[slot as usize / 2] >> ((slot % 2) * 4);
        STATUSES[usize::from(b & 0xF)]
    }

    /// The record in `slot`.
    pub(crate) fn read(&self, slot: u32) -> TransferState {
        decode(&self.record_bytes(slot), self.status(slot))
    }

    fn record_bytes(&self, slot: u32) -> [u8; REC] {
        let mut buf = [0u8; REC];
        if slot >= self.spilled {
            let at = (slot - self.spilled) as usize * REC;
            buf.copy_from_slice(&self.tail[at..at + REC]);
        } else {
            let first = slot - slot % BLOCK_RECORDS;
            let mut back = self
                .read_back
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let place = (first / BLOCK_RECORDS) as usize % BLOCKS_KEPT;
            // A block read while it was the file's last may not hold the later records.
            let cached = back.blocks[place].as_ref().is_some_and(|(f, block)| {
                *f == first && (slot - first) as usize * REC < block.len()
            });
            if !cached {
                let records = (self.spilled - first).min(BLOCK_RECORDS) as usize;
                let mut block = vec![0u8; records * REC];
                let file = self.file.as_ref().expect("spilled records have a file");
                // The file is this process's own unnamed temporary file; failing to read back
                // what was written is a failing disk, which the book cannot answer around.
                file.read_exact_at(&mut block, u64::from(first) * REC as u64)
                    .unwrap_or_else(|e| panic!("the book's spill file could not be read: {e}"));
                back.blocks[place] = Some((first, block));
            }
            let (_, block) = back.blocks[place].as_ref().expect("cached above");
            let at = (slot - first) as usize * REC;
            buf.copy_from_slice(&block[at..at + REC]);
        }
        buf
    }

    /// Appends a record; returns its slot.
    pub(crate) fn push(&mut self, t: &TransferState) -> u32 {
        let slot = self.len;
        self.len = slot
            .checked_add(1)
            .expect("fewer than 2^32 transfers in one book");
        let fp = self.fingerprint(t.transfer.id);
        encode(t, &mut self.tail);
        if slot.is_multiple_of(2) {
            self.status.push(0);
        }
        self.set_status(slot, t.status);
        let shard = fp as usize >> 24;
        self.index[shard].insert_unique(Self::spread(fp), Self::entry(fp, slot), |e| {
            Self::spread(Self::fp_of(shard, e))
        });
        slot
    }

    /// Removes the newest record, which must not be spilled yet (see the module docs).
    pub(crate) fn pop(&mut self, id: u128) {
        let slot = self.len - 1;
        assert!(
            slot >= self.spilled,
            "only uncommitted records are rolled back"
        );
        let fp = self.fingerprint(id);
        let want = Self::entry(fp, slot);
        if let Ok(e) = self.index[fp as usize >> 24].find_entry(Self::spread(fp), |e| *e == want) {
            e.remove();
        }
        self.set_status(slot, PendingStatus::None);
        if slot.is_multiple_of(2) {
            self.status.pop();
        }
        self.len = slot;
        self.tail.truncate(self.tail.len() - REC);
    }

    /// Changes the pending status of the record in `slot`; returns the old one.
    pub(crate) fn set_status(&mut self, slot: u32, status: PendingStatus) -> PendingStatus {
        let old = self.status(slot);
        let code = STATUSES
            .iter()
            .position(|s| *s == status)
            .expect("every status is listed") as u8;
        let shift = (slot % 2) * 4;
        let b = &mut self.status[slot as usize / 2];
        *b = (*b & !(0xF << shift)) | (code << shift);
        old
    }

    /// Spills the records in memory if they have reached the threshold.
    pub(crate) fn commit(&mut self) {
        if self.tail.len() >= self.spill_bytes {
            self.spill();
        }
    }

    fn spill(&mut self) {
        if self.tail.is_empty() {
            return;
        }
        if self.file.is_none() {
            // If no temporary file can be made the records stay in memory: slower to grow, but
            // nothing is lost; the next commit tries again.
            self.file = tempfile::tempfile().ok();
        }
        let Some(file) = &self.file else { return };
        if file
            .write_all_at(&self.tail, u64::from(self.spilled) * REC as u64)
            .is_ok()
        {
            self.spilled += (self.tail.len() / REC) as u32;
            self.tail.clear();
        }
    }
}

fn rand_seed() -> u64 {
    use std::hash::BuildHasher;
    foldhash::fast::RandomState::default().hash_one(0u8)
}

fn encode(t: &TransferState, out: &mut Vec<u8>) {
    let start = out.len();
    let x = &t.transfer;
    out.extend_from_slice(&x.id.to_le_bytes());
    out.extend_from_slice(&x.debit_account_id.to_le_bytes());
    out.extend_from_slice(&x.credit_account_id.to_le_bytes());
    out.extend_from_slice(&x.amount.0.to_le_bytes());
    out.extend_from_slice(&x.pending_id.to_le_bytes());
    out.extend_from_slice(&x.timeout_s.to_le_bytes());
    out.extend_from_slice(&x.currency.to_le_bytes());
    out.extend_from_slice(&x.code.to_le_bytes());
    out.extend_from_slice(&x.flags.0.to_le_bytes());
    out.extend_from_slice(&x.user_data.to_le_bytes());
    out.extend_from_slice(&t.resolved.debit.to_le_bytes());
    out.extend_from_slice(&t.resolved.credit.to_le_bytes());
    out.extend_from_slice(&t.resolved.amount.0.to_le_bytes());
    out.extend_from_slice(&t.timestamp_ms.to_le_bytes());
    out.push(u8::from(t.expires_at_ms.is_some()));
    out.extend_from_slice(&t.expires_at_ms.unwrap_or(0).to_le_bytes());
    debug_assert_eq!(out.len() - start, REC);
}

fn decode(b: &[u8; REC], status: PendingStatus) -> TransferState {
    let mut at = 0;
    let mut take = |n: usize| {
        let s = &b[at..at + n];
        at += n;
        s
    };
    let u128_ = |s: &[u8]| u128::from_le_bytes(s.try_into().expect("16 bytes"));
    let u64_ = |s: &[u8]| u64::from_le_bytes(s.try_into().expect("8 bytes"));
    let u16_ = |s: &[u8]| u16::from_le_bytes(s.try_into().expect("2 bytes"));
    let transfer = Transfer {
        id: u128_(take(16)),
        debit_account_id: u128_(take(16)),
        credit_account_id: u128_(take(16)),
        amount: Cents(u64_(take(8)) as i64),
        pending_id: u128_(take(16)),
        timeout_s: u32::from_le_bytes(take(4).try_into().expect("4 bytes")),
        currency: u16_(take(2)),
        code: u16_(take(2)),
        flags: TransferFlags(u16_(take(2))),
        user_data: u128_(take(16)),
    };
    let resolved = Resolved {
        debit: u128_(take(16)),
        credit: u128_(take(16)),
        amount: Cents(u64_(take(8)) as i64),
    };
    let timestamp_ms = u64_(take(8));
    let has_expiry = take(1)[0] == 1;
    let expiry = u64_(take(8));
    TransferState {
        transfer,
        resolved,
        status,
        timestamp_ms,
        expires_at_ms: has_expiry.then_some(expiry),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(id: u128, status: PendingStatus) -> TransferState {
        TransferState {
            transfer: Transfer {
                id,
                debit_account_id: id ^ 7,
                credit_account_id: u128::MAX - id,
                amount: Cents(i64::MAX - id as i64),
                pending_id: id.rotate_left(64),
                timeout_s: u32::MAX,
                currency: 978,
                code: 0xBEEF,
                flags: TransferFlags(TransferFlags::PENDING),
                user_data: id * 3,
            },
            resolved: Resolved {
                debit: 1,
                credit: u128::MAX,
                amount: Cents(-1),
            },
            status,
            timestamp_ms: id as u64,
            expires_at_ms: id.is_multiple_of(2).then_some(u64::MAX),
        }
    }

    #[test]
    fn blocks_read_back_while_the_file_grows_hold_the_later_records_too() {
        // Each commit spills a few records into a block already read back: lookups of the new
        // ones and of older ones, in several blocks, must all find their own record.
        let mut t = Transfers::with_spill_bytes(REC * 3);
        let mut pushed = 0u128;
        for round in 0..700u128 {
            for _ in 0..3 {
                pushed += 1;
                t.push(&state(pushed, PendingStatus::Pending));
            }
            t.commit();
            for id in [
                pushed,
                pushed - 2,
                1 + round % pushed,
                (round * 7919) % pushed + 1,
            ] {
                let (slot, s) = t.find(id).expect("found");
                assert_eq!(
                    (slot as u128, s),
                    (id - 1, state(id, PendingStatus::Pending))
                );
            }
        }
        assert_eq!(t.spilled(), 2100);
    }

    #[test]
    fn records_read_back_from_memory_and_file_alike() {
        let mut t = Transfers::with_spill_bytes(REC * 10);
        for id in 1..=1000u128 {
            t.push(&state(id, PendingStatus::Pending));
            if id % 7 == 0 {
                t.commit();
            }
        }
        assert!(t.spilled() > 900, "most records went to the file");
        let copy = t.clone();
        for id in 1..=1000u128 {
            let (slot, s) = t.find(id).expect("found");
            assert_eq!(s, state(id, PendingStatus::Pending));
            assert_eq!(slot as u128, id - 1);
            assert_eq!(copy.find(id).expect("copy has it").1, s);
        }
        assert!(t.find(0).is_none() && t.find(1001).is_none());
        t.set_status(3, PendingStatus::Posted);
        assert_eq!(t.find(4).unwrap().1.status, PendingStatus::Posted);
        assert_eq!(copy.find(4).unwrap().1.status, PendingStatus::Pending);
    }

    #[test]
    fn pop_forgets_the_newest_uncommitted_record() {
        let mut t = Transfers::with_spill_bytes(REC);
        t.push(&state(1, PendingStatus::None));
        t.commit();
        t.push(&state(2, PendingStatus::None));
        t.pop(2);
        assert_eq!(t.len(), 1);
        assert!(t.find(2).is_none());
        assert_eq!(t.find(1).unwrap().0, 0);
        t.push(&state(3, PendingStatus::None));
        assert_eq!(t.find(3).unwrap().0, 1);
    }
}
