//! Where the book keeps its transfers: records of fixed size, the newest in memory and the rest
//! spilled to an unnamed temporary file, found through a compact in-memory index.
//!
//! A foundation's month books some 32 transfers per household; at a million households the
//! records alone (155 bytes each) would be five gigabytes. The book only needs random access to a
//! few of them (a duplicate id, a pending transfer being posted or voided), so in memory it keeps
//! per transfer only
//!
//! - 8 bytes in the index: the record's slot and 32 bits of a fingerprint of the id, in one of
//!   256 tables chosen by 12 other bits of its hash (the tables' shares spread over one
//!   doubling, so that they do not all grow at once; see `shard_of`), and
//! - 4 bits of pending status (the only field that changes after creation),
//!
//! and reads a record back with one positioned read. The index is hashed by the fingerprint
//! alone, so growing it never reads a record, and growing one of its 256 tables at a time never
//! needs twice the index's memory at once. A lookup among `n` transfers meets another id's
//! fingerprint with a chance of about `n / 2^40` (one in 35 000 at a month of 1.2 million
//! households), which costs one extra read, never a wrong answer (the id is compared). With 32
//! bits the chance was `n / 2^32`, and at that month the extra reads of records on disk cost
//! more than the byte saved.
//!
//! Records are spilled only at [`Transfers::commit`], so everything an uncommitted batch added is
//! still in memory when it is rolled back. The file is a cache of the ledger, rebuilt by replay,
//! and is deleted by the operating system when the process ends.
//!
//! Where the file system allows it the spill is written with direct I/O (`O_DIRECT`), in whole
//! 4 KiB pages from a page-aligned buffer, the last partial page staying in memory until the
//! next spill, and blocks are read back the same way (the whole pages they are in). The records
//! are written once and read back only here and there, so passing them through the page cache
//! would only cost a copy and a fresh page of memory per 4 KiB (on a virtual machine whose host
//! hands out memory on first touch, files through the page cache were a fifth of a month-end
//! run's CPU). Where it does not (tmpfs, other systems), the spill is ordinary I/O.
//!
//! Written by hand because no maintained crate offers an append-only, spill-to-disk record table
//! with an in-memory fingerprint index; the hash table itself is hashbrown's.

use std::fs::File;
use std::os::unix::fs::FileExt;

use aligned_vec::{AVec, ConstAlign};
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
    /// Per table (see [`shard_of`]): the fingerprint's 32 bits (low) and the slot
    /// (high), hashed by the fingerprint.
    index: Vec<HashTable<u64>>,
    /// Per-process random key of the fingerprints.
    seed: foldhash::fast::FixedState,
    /// Pending status, two slots a byte (low nibble: even slot).
    status: Vec<u8>,
    /// Number of records.
    len: u32,
    /// The records' bytes from byte `spilled` on (record `slot` starts at byte `slot * REC`),
    /// page-aligned so that a direct write takes them as they are.
    tail: AVec<u8, ConstAlign<PAGE>>,
    /// Bytes in the file: whole records, and with direct I/O the start of one more.
    spilled: u64,
    file: Option<File>,
    /// The file opened again for direct I/O, if the file system allows it.
    direct: Option<File>,
    spill_bytes: usize,
    /// Blocks of spilled records read back lately: posting a payment run's reservations reads
    /// records written close together, so one read of a block serves hundreds of lookups.
    /// Spilled records never change (their status is kept in memory), so nothing here goes stale.
    read_back: std::sync::Mutex<ReadBack>,
}

/// Bits of an id's hash that choose its table.
const SHARD_BITS: u32 = 12;

/// The table of each value of an id's [`SHARD_BITS`] shard bits. Table `i` takes a share of the
/// ids in proportion to `2^(i / 256)`, so that the tables' sizes are spread over one doubling and
/// they grow (each to twice its buckets) one after another as the book fills. With equal shares
/// all 256 doubled within seconds of each other: the index then spent between 1.1 and 2.3
/// buckets a transfer depending on where the count fell (2.2 at the end of a 1.2 M-household
/// month, about 280 MB more than needed, and the run's memory peak); spread, it spends about
/// 1.65 whatever the count. The chance that two ids share a table grows by 4% (`Σ share²`), so
/// the fingerprint's strength stays about 40 bits.
fn shard_of() -> &'static [u8; 1 << SHARD_BITS] {
    static TABLE: std::sync::OnceLock<[u8; 1 << SHARD_BITS]> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let cells = f64::from(1u32 << SHARD_BITS);
        let mut table = [0u8; 1 << SHARD_BITS];
        for (u, shard) in table.iter_mut().enumerate() {
            // The inverse of the shares' cumulative sum, `2^(i / 256) - 1`, at the cell's middle.
            let x = (u as f64 + 0.5) / cells;
            *shard = ((SHARDS as f64) * (1.0 + x).log2()).min(SHARDS as f64 - 1.0) as u8;
        }
        table
    })
}

/// Bytes of a page: direct I/O writes whole pages, from page-aligned memory, at page-aligned
/// offsets.
const PAGE: usize = 4096;

/// Records per block read back from the spill file (about 317 KB: one read from disk serves a
/// run of 2048 reservations).
const BLOCK_RECORDS: u32 = 2048;
/// Blocks kept.
const BLOCKS_KEPT: usize = 64;

/// Blocks read from the spill file, each in the place its number names (modulo
/// [`BLOCKS_KEPT`]), so a run of 30 000 reservations read in another order than written (a bank
/// statement lists a day's payments of many households) stays cached (20 MB).
#[derive(Debug)]
struct ReadBack {
    blocks: Vec<Block>,
}

/// A block of spilled records: with direct I/O read as whole pages, so the records start
/// `skip` bytes into the buffer. A place's buffer is reused for the next block read there.
#[derive(Debug)]
struct Block {
    /// Slot of the first record; `u32::MAX` for none yet.
    first: u32,
    buf: AVec<u8, ConstAlign<PAGE>>,
    skip: usize,
    len: usize,
}

impl Block {
    /// The block's records' bytes.
    fn bytes(&self) -> &[u8] {
        &self.buf[self.skip..self.skip + self.len]
    }
}

impl Default for ReadBack {
    fn default() -> Self {
        Self {
            blocks: (0..BLOCKS_KEPT)
                .map(|_| Block {
                    first: u32::MAX,
                    buf: AVec::new(PAGE),
                    skip: 0,
                    len: 0,
                })
                .collect(),
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
            tail: AVec::new(PAGE),
            spilled: 0,
            file: None,
            direct: None,
            spill_bytes: self.spill_bytes,
            read_back: Default::default(),
        };
        // The records wholly or partly in the original's file, in parts, then the records still
        // in memory as they are, so that the copy can roll back what the original could.
        let in_file = self.spilled.div_ceil(REC as u64) as u32;
        for first in (0..in_file).step_by(4096) {
            for slot in first..in_file.min(first + 4096) {
                copy.tail.extend_from_slice(&self.record_bytes(slot));
            }
            copy.spill();
        }
        let whole = (u64::from(in_file) * REC as u64 - self.spilled) as usize;
        copy.tail.extend_from_slice(&self.tail[whole..]);
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
            tail: AVec::new(PAGE),
            spilled: 0,
            file: None,
            direct: None,
            spill_bytes: spill_bytes.max(REC),
            read_back: Default::default(),
        }
    }

    /// Number of transfers.
    pub(crate) fn len(&self) -> usize {
        self.len as usize
    }

    /// Records wholly in the spill file.
    pub(crate) fn spilled(&self) -> usize {
        (self.spilled / REC as u64) as usize
    }

    /// The table an id's entry is in (chosen by 12 bits of its hash, see [`shard_of`]) and the
    /// fingerprint it stores (32 other bits).
    fn fingerprint(&self, id: u128) -> (usize, u32) {
        use std::hash::BuildHasher;
        let h = self.seed.hash_one(id);
        (usize::from(shard_of()[(h >> 52) as usize]), h as u32)
    }

    /// The table's hash of a fingerprint: spread over 64 bits so that both the bucket (low bits)
    /// and the control byte (high bits) depend on all of it.
    fn spread(fp: u32) -> u64 {
        u64::from(fp).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ u64::from(fp)
    }

    /// An index entry.
    fn entry(fp: u32, slot: u32) -> u64 {
        u64::from(fp) | u64::from(slot) << 32
    }

    /// The fingerprint of an entry.
    fn fp_of(e: &u64) -> u32 {
        *e as u32
    }

    fn slot_of(e: &u64) -> u32 {
        (*e >> 32) as u32
    }

    /// The slot of `id`, with its record.
    pub(crate) fn find(&self, id: u128) -> Option<(u32, TransferState)> {
        let (shard, fp) = self.fingerprint(id);
        self.index[shard]
            .iter_hash(Self::spread(fp))
            .filter(|e| Self::fp_of(e) == fp)
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
        let start = u64::from(slot) * REC as u64;
        if start >= self.spilled {
            let at = (start - self.spilled) as usize;
            buf.copy_from_slice(&self.tail[at..at + REC]);
        } else if start + REC as u64 > self.spilled {
            // The one record a direct write cut at a page: its start in the file, the rest here.
            let head = (self.spilled - start) as usize;
            self.read_spilled(&mut buf[..head], start);
            buf[head..].copy_from_slice(&self.tail[..REC - head]);
        } else {
            let first = slot - slot % BLOCK_RECORDS;
            let mut back = self
                .read_back
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let place = (first / BLOCK_RECORDS) as usize % BLOCKS_KEPT;
            // A block read while it was the file's last may not hold the later records.
            let at = (slot - first) as usize * REC;
            let block = &mut back.blocks[place];
            if block.first != first || at + REC > block.len {
                let from = u64::from(first) * REC as u64;
                let bytes = (self.spilled - from).min(u64::from(BLOCK_RECORDS) * REC as u64);
                self.read_block(block, from, bytes as usize);
                block.first = first;
            }
            buf.copy_from_slice(&block.bytes()[at..at + REC]);
        }
        buf
    }

    /// Reads `len` spilled bytes from byte `from` into `block`: with direct I/O the whole pages
    /// they are in (no copy through the page cache), else just them.
    fn read_block(&self, block: &mut Block, from: u64, len: usize) {
        if let Some(direct) = &self.direct {
            let start = from - from % PAGE as u64;
            // The file holds whole pages while writes are direct.
            let end = (from + len as u64).next_multiple_of(PAGE as u64);
            block.buf.clear();
            block.buf.resize((end - start) as usize, 0);
            if direct.read_exact_at(&mut block.buf, start).is_ok() {
                block.skip = (from - start) as usize;
                block.len = len;
                return;
            }
        }
        block.buf.clear();
        block.buf.resize(len, 0);
        self.read_spilled(&mut block.buf, from);
        block.skip = 0;
        block.len = len;
    }

    /// Reads spilled bytes from byte `at` of the file.
    fn read_spilled(&self, buf: &mut [u8], at: u64) {
        let file = self.file.as_ref().expect("spilled records have a file");
        // The file is this process's own unnamed temporary file; failing to read back what was
        // written is a failing disk, which the book cannot answer around.
        file.read_exact_at(buf, at)
            .unwrap_or_else(|e| panic!("the book's spill file could not be read: {e}"));
    }

    /// Appends a record; returns its slot.
    pub(crate) fn push(&mut self, t: &TransferState) -> u32 {
        let slot = self.len;
        self.len = slot
            .checked_add(1)
            .expect("fewer than 2^32 transfers in one book");
        let (shard, fp) = self.fingerprint(t.transfer.id);
        encode(t, &mut self.tail);
        if slot.is_multiple_of(2) {
            self.status.push(0);
        }
        self.set_status(slot, t.status);
        self.index[shard].insert_unique(Self::spread(fp), Self::entry(fp, slot), |e| {
            Self::spread(Self::fp_of(e))
        });
        slot
    }

    /// Removes the newest record, which must not be spilled yet (see the module docs).
    pub(crate) fn pop(&mut self, id: u128) {
        let slot = self.len - 1;
        assert!(
            u64::from(slot) * REC as u64 >= self.spilled,
            "only uncommitted records are rolled back"
        );
        let (shard, fp) = self.fingerprint(id);
        let want = Self::entry(fp, slot);
        if let Ok(e) = self.index[shard].find_entry(Self::spread(fp), |e| *e == want) {
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
            self.direct = self.file.as_ref().and_then(open_direct);
        }
        let Some(file) = &self.file else { return };
        if let Some(direct) = &self.direct {
            // Whole pages only (`spilled` is a whole number of them while writes are direct);
            // the rest waits in memory for the next spill.
            let pages = self.tail.len() / PAGE * PAGE;
            if pages == 0 {
                return;
            }
            if direct
                .write_all_at(&self.tail[..pages], self.spilled)
                .is_ok()
            {
                self.spilled += pages as u64;
                let rest = self.tail.len() - pages;
                self.tail.copy_within(pages.., 0);
                self.tail.truncate(rest);
                return;
            }
            // Not on this file system after all: ordinary writes from now on (what the failed
            // write left is overwritten below).
            self.direct = None;
        }
        if file.write_all_at(&self.tail, self.spilled).is_ok() {
            self.spilled += self.tail.len() as u64;
            self.tail.clear();
        }
    }
}

/// The file opened a second time for direct I/O (`O_DIRECT`), if the system allows it.
#[cfg(target_os = "linux")]
fn open_direct(file: &File) -> Option<File> {
    use std::os::fd::AsRawFd;
    use std::os::unix::fs::OpenOptionsExt;
    // An unnamed temporary file can be opened again only through its descriptor's name.
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_DIRECT)
        .open(format!("/proc/self/fd/{}", file.as_raw_fd()))
        .ok()
}

/// Direct I/O is used on Linux only.
#[cfg(not(target_os = "linux"))]
fn open_direct(_: &File) -> Option<File> {
    None
}

fn rand_seed() -> u64 {
    use std::hash::BuildHasher;
    foldhash::fast::RandomState::default().hash_one(0u8)
}

fn encode(t: &TransferState, out: &mut AVec<u8, ConstAlign<PAGE>>) {
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

    /// Two empty tables spilling at `spill_bytes`: one writing with direct I/O where the file
    /// system allows it (whole pages), one with ordinary writes (whole records).
    fn both_ways(spill_bytes: usize) -> [Transfers; 2] {
        let direct = Transfers::with_spill_bytes(spill_bytes);
        let mut buffered = Transfers::with_spill_bytes(spill_bytes);
        buffered.file = Some(tempfile::tempfile().expect("a temporary file"));
        [direct, buffered]
    }

    #[test]
    fn the_index_tables_grow_one_after_another_not_all_at_once() {
        // The shares: every table has some, spread over one doubling, in order.
        let table = shard_of();
        let mut cells = [0u32; SHARDS];
        for &s in table.iter() {
            cells[usize::from(s)] += 1;
        }
        assert!(cells.iter().all(|&c| c > 0), "every table takes ids");
        let (first, last) = (
            cells[..16].iter().sum::<u32>(),
            cells[240..].iter().sum::<u32>(),
        );
        assert!(
            f64::from(last) / f64::from(first) > 1.8,
            "{first} .. {last}"
        );
        assert!(table.windows(2).all(|w| w[0] <= w[1]));
        // Filling the index: over any 1% of the inserts its room grows by a few percent, not by
        // most of it (equal shares: the tables doubled within a few percent of the inserts), and
        // the room a transfer stays well under the 2 of tables that have all just doubled.
        let mut t = Transfers::with_spill_bytes(SPILL_BYTES_DEFAULT);
        let room = |t: &Transfers| t.index.iter().map(HashTable::capacity).sum::<usize>();
        let (n, window) = (400_000u128, 4_000u128);
        let mut start = room(&t);
        let mut worst_growth = 0f64;
        let mut worst_per_item = 0f64;
        for id in 1..=n {
            t.push(&state(id, PendingStatus::None));
            if id % window == 0 {
                let now = room(&t);
                if id > n / 4 {
                    worst_growth = worst_growth.max((now - start) as f64 / start as f64);
                    worst_per_item = worst_per_item.max(now as f64 / id as f64);
                }
                start = now;
            }
        }
        assert!(
            worst_growth < 0.1,
            "grew by {worst_growth} in 1% of the inserts"
        );
        assert!(worst_per_item < 1.7, "{worst_per_item} places a transfer");
    }

    #[test]
    fn blocks_read_back_while_the_file_grows_hold_the_later_records_too() {
        // Each commit spills a few records into a block already read back: lookups of the new
        // ones and of older ones, in several blocks, must all find their own record.
        for mut t in both_ways(REC * 3) {
            blocks_read_back_in(&mut t);
        }
    }

    fn blocks_read_back_in(t: &mut Transfers) {
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
        let spilled = if t.direct.is_some() {
            // Whole pages went to the file; the record the last one cut is not counted.
            2100 * REC / PAGE * PAGE / REC
        } else {
            2100
        };
        assert_eq!(t.spilled(), spilled);
    }

    #[test]
    fn records_read_back_from_memory_and_file_alike() {
        for t in both_ways(REC * 10) {
            records_read_back_in(t);
        }
    }

    #[test]
    fn direct_writes_are_used_where_the_file_system_allows_them() {
        // The tests' temporary directory is on the same kind of file system as the book's in
        // production here (ext4); on one without direct I/O the table must still work, which
        // `both_ways` checks, so only say so.
        let mut t = Transfers::with_spill_bytes(PAGE);
        for id in 1..=100u128 {
            t.push(&state(id, PendingStatus::None));
        }
        t.commit();
        if t.direct.is_some() {
            assert_eq!(t.spilled % PAGE as u64, 0);
            assert_eq!(t.spilled(), 100 * REC / PAGE * PAGE / REC);
            assert_eq!(t.tail.len(), 100 * REC - PAGE * (100 * REC / PAGE));
        } else {
            eprintln!("no direct I/O on this file system: ordinary writes");
            assert_eq!(t.spilled(), 100);
        }
        for id in 1..=100u128 {
            assert_eq!(t.find(id).expect("found").1, state(id, PendingStatus::None));
        }
        // A block that starts inside a page is read as the whole pages it is in.
        for id in 101..=3000u128 {
            t.push(&state(id, PendingStatus::None));
        }
        t.commit();
        assert_eq!(
            t.find(2600).expect("found").1,
            state(2600, PendingStatus::None)
        );
        let back = t.read_back.lock().unwrap();
        let block = &back.blocks[1];
        assert_eq!(block.first, BLOCK_RECORDS);
        if t.direct.is_some() {
            assert_eq!(block.skip, BLOCK_RECORDS as usize * REC % PAGE);
            assert_eq!(block.buf.len() % PAGE, 0);
        } else {
            assert_eq!(block.skip, 0);
        }
    }

    fn records_read_back_in(mut t: Transfers) {
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
