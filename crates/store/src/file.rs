//! The embedded store: one local directory, no server.
//!
//! ```text
//! DIR/meta.knop         origin and operator verifier key, written once at creation
//! DIR/log.knop          "KNOPLOG1" then log records
//! DIR/checkpoints.knop  "KNOPCKP1" then checkpoint records
//! record   = payload length (u32) || CRC-32C of payload (u32) || payload
//! log      = index (u64) || flags (u8, bit 0 = erased) || leaf (32) || salt (32)
//!            || entry length (u32) || entry
//! checkpoint = size (u64) || note (UTF-8)
//! ```
//! Integers big-endian. An erased record keeps its length: salt and entry are overwritten with
//! zeros in place and the erased flag set (the only in-place write).
//!
//! ## Commit path (crash safety)
//! 1. `append` writes all frames with one `write`, then `fdatasync`s; only then returns `Ok`.
//!    A crash before the sync leaves a prefix of the frames, possibly a torn last frame.
//! 2. On open, frames are read in order; each must be complete, have a matching CRC and the
//!    next index. A torn frame at the very end (the file ends inside it) is the trace of an
//!    append that never returned: it is cut off. Anything else is damage and fails the open,
//!    naming the index.
//! 3. Checkpoints are appended after the entries they cover are durable, without a sync of their
//!    own; a torn checkpoint frame at the end is cut off the same way.
//!
//! ## Direct I/O
//! Where the file system allows it, `append` writes with direct I/O (`O_DIRECT`): the log's last
//! partial page (kept in memory) and the new frames, padded with zeros to whole pages, at the
//! page where the log ends; then the file is cut to the frames' end and synced as above. The
//! log is written once and read seldom, so passing it through the page cache only costs a copy
//! and a fresh page of memory per 4 KiB (on a virtual machine whose host hands out memory on
//! first touch, 5% of a month-end run's CPU, on the one thread that books). A crash between the
//! write and the cut leaves up to a page of zeros after the last frame: no frame is empty, so an
//! all-zero tail is a torn tail and cut off on open like any other. Where direct I/O is refused
//! (tmpfs, other systems) appends are ordinary writes.

use std::fs::{File, OpenOptions};
use std::io::{BufReader, Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use aligned_vec::{AVec, ConstAlign};

use crate::{check_append, check_range, Meta, Record, Store, StoreError, ENTRY_BYTES_MAX};

const LOG_MAGIC: &[u8; 8] = b"KNOPLOG1";
const CKP_MAGIC: &[u8; 8] = b"KNOPCKP1";
const FIXED: usize = 8 + 1 + 32 + 32 + 4;
const NOTE_BYTES_MAX: usize = 64 * 1024;
/// Direct I/O writes whole pages, from page-aligned memory, at page-aligned offsets.
const PAGE: usize = 4096;

/// The embedded store. See the module docs for the layout and the commit path.
pub struct FileStore {
    dir: PathBuf,
    meta: Meta,
    log: File,
    /// The log opened again for direct I/O, with the bytes of its last partial page (from the
    /// page the log ends in up to its end) and the page-aligned buffer appends are written from.
    direct: Option<Direct>,
    /// Byte offset of each record's frame.
    offsets: Vec<u64>,
    log_end: u64,
    ckp: File,
    ckp_end: u64,
    latest: Option<(u64, String)>,
    /// Bytes cut off a torn tail when opening (0 when the last shutdown was clean).
    pub recovered_tail_bytes: u64,
    access: Access,
}

/// Appending with direct I/O (see the module docs).
struct Direct {
    file: File,
    last_page: Vec<u8>,
    buf: AVec<u8, ConstAlign<PAGE>>,
}

impl Direct {
    /// Opens `path` for direct writes, reading the partial page its `end` is in from `log`.
    fn open(path: &Path, log: &File, end: u64) -> Option<Self> {
        let mut d = Self {
            file: open_direct(path)?,
            last_page: Vec::new(),
            buf: AVec::new(PAGE),
        };
        d.read_last_page(log, end).ok()?;
        Some(d)
    }

    /// Reads the partial page the log's `end` is in from `log` (after a write in place).
    fn read_last_page(&mut self, log: &File, end: u64) -> std::io::Result<()> {
        let partial = end % PAGE as u64;
        self.last_page.resize(partial as usize, 0);
        log.read_exact_at(&mut self.last_page, end - partial)
    }

    /// Writes `frames` after the log's `end` and cuts the file there; not synced.
    fn append(&mut self, end: u64, frames: &[u8]) -> std::io::Result<()> {
        let page_start = end - self.last_page.len() as u64;
        self.buf.clear();
        self.buf.extend_from_slice(&self.last_page);
        self.buf.extend_from_slice(frames);
        let new_len = self.buf.len();
        self.buf.resize(new_len.next_multiple_of(PAGE), 0);
        self.file.write_all_at(&self.buf, page_start)?;
        self.file.set_len(page_start + new_len as u64)?;
        let keep = new_len % PAGE;
        self.last_page.clear();
        self.last_page
            .extend_from_slice(&self.buf[new_len - keep..new_len]);
        Ok(())
    }
}

#[cfg(target_os = "linux")]
fn open_direct(path: &Path) -> Option<File> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_DIRECT)
        .open(path)
        .ok()
}

/// Direct I/O is used on Linux only.
#[cfg(not(target_os = "linux"))]
fn open_direct(_: &Path) -> Option<File> {
    None
}

/// Whether this handle may write (and holds the log's lock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    Write,
    Read,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.display().to_string(),
        source,
    }
}

impl FileStore {
    /// Creates a new, empty log in `dir` (created if missing; must not hold a log).
    pub fn create(dir: &Path, meta: Meta) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let meta_path = dir.join("meta.knop");
        if meta_path.exists() || dir.join("log.knop").exists() {
            return Err(StoreError::Exists(dir.display().to_string()));
        }
        for (name, magic) in [("log.knop", LOG_MAGIC), ("checkpoints.knop", CKP_MAGIC)] {
            let p = dir.join(name);
            let mut f = OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&p)
                .map_err(io(&p))?;
            f.write_all(magic).map_err(io(&p))?;
            f.sync_all().map_err(io(&p))?;
        }
        // The meta file is written last and atomically: its presence marks a complete creation.
        let tmp = dir.join("meta.knop.tmp");
        let text = format!(
            "origin={}\noperator_vkey={}\n",
            meta.origin, meta.operator_vkey
        );
        let mut f = File::create(&tmp).map_err(io(&tmp))?;
        f.write_all(text.as_bytes()).map_err(io(&tmp))?;
        f.sync_all().map_err(io(&tmp))?;
        std::fs::rename(&tmp, &meta_path).map_err(io(&meta_path))?;
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io(dir))?;
        Self::open(dir)
    }

    /// Opens the log in `dir` for writing: takes an exclusive lock (one writer per log) and
    /// cuts a torn tail (see the module docs).
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        Self::open_with(dir, Access::Write)
    }

    /// Opens the log in `dir` for reading while a writer may be running: no lock, nothing cut
    /// (a torn tail is simply not read); every write call fails.
    pub fn open_read_only(dir: &Path) -> Result<Self, StoreError> {
        Self::open_with(dir, Access::Read)
    }

    fn open_with(dir: &Path, access: Access) -> Result<Self, StoreError> {
        let meta = read_meta(dir)?;
        let writable = access == Access::Write;
        let open = |name: &str| {
            let p = dir.join(name);
            OpenOptions::new()
                .read(true)
                .write(writable)
                .open(&p)
                .map_err(io(&p))
        };
        let log = open("log.knop")?;
        if writable {
            log.try_lock()
                .map_err(|_| StoreError::Locked(dir.display().to_string()))?;
        }
        let log_path = dir.join("log.knop");
        let (offsets, log_end, cut_log) = scan_log(&log, &log_path)?;
        let ckp_path = dir.join("checkpoints.knop");
        let ckp = open("checkpoints.knop")?;
        let (checkpoints, ckp_end, cut_ckp) = scan_checkpoints(&ckp, &ckp_path)?;
        if writable {
            for (f, end, cut, p) in [
                (&log, log_end, cut_log, &log_path),
                (&ckp, ckp_end, cut_ckp, &ckp_path),
            ] {
                if cut > 0 {
                    f.set_len(end).map_err(io(p))?;
                    f.sync_all().map_err(io(p))?;
                }
            }
        }
        let direct = if writable {
            Direct::open(&log_path, &log, log_end)
        } else {
            None
        };
        Ok(Self {
            dir: dir.to_owned(),
            meta,
            log,
            direct,
            offsets,
            log_end,
            ckp,
            ckp_end,
            latest: checkpoints.into_iter().last(),
            recovered_tail_bytes: cut_log + cut_ckp,
            access,
        })
    }

    fn check_writable(&self) -> Result<(), StoreError> {
        match self.access {
            Access::Write => Ok(()),
            Access::Read => Err(StoreError::Misuse(format!(
                "{} was opened read-only",
                self.dir.display()
            ))),
        }
    }

    /// The directory of this log.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn log_path(&self) -> PathBuf {
        self.dir.join("log.knop")
    }
}

fn read_meta(dir: &Path) -> Result<Meta, StoreError> {
    let p = dir.join("meta.knop");
    let text = match std::fs::read_to_string(&p) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(StoreError::NotFound(dir.display().to_string()))
        }
        Err(e) => return Err(io(&p)(e)),
    };
    let get = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
            .map(str::to_owned)
            .ok_or_else(|| StoreError::Corrupt {
                index: 0,
                why: format!("{}: no {key} line", p.display()),
            })
    };
    Ok(Meta {
        origin: get("origin")?,
        operator_vkey: get("operator_vkey")?,
    })
}

/// Reads frames from `f` after the 8-byte magic. Returns each payload's frame offset and the
/// payload, the end of the last complete frame, and the bytes of a torn tail.
fn scan_frames(
    f: &File,
    path: &Path,
    magic: &[u8; 8],
    max: usize,
    mut each: impl FnMut(u64, u64, &[u8]) -> Result<(), String>,
) -> Result<(u64, u64), (u64, String)> {
    let file_len = f.metadata().map_err(|e| (0, e.to_string()))?.len();
    let mut r = BufReader::with_capacity(1 << 20, f);
    let mut head = [0u8; 8];
    if r.read_exact(&mut head).is_err() || &head != magic {
        return Err((
            0,
            format!(
                "{} does not start with {:?}",
                path.display(),
                String::from_utf8_lossy(magic)
            ),
        ));
    }
    let (mut pos, mut n, mut payload) = (8u64, 0u64, Vec::new());
    loop {
        if pos == file_len {
            return Ok((pos, 0));
        }
        if file_len - pos < 8 {
            return Ok((pos, file_len - pos));
        }
        let mut frame = [0u8; 8];
        r.read_exact(&mut frame).map_err(|e| (n, e.to_string()))?;
        if frame == [0; 8] && file_len - pos <= PAGE as u64 {
            // No frame is empty: zeros here are the padding of a direct write that was not cut
            // to length (see the module docs) if they run to the end.
            let mut rest = vec![0u8; (file_len - pos - 8) as usize];
            r.read_exact(&mut rest).map_err(|e| (n, e.to_string()))?;
            if rest.iter().all(|&b| b == 0) {
                return Ok((pos, file_len - pos));
            }
            return Err((n, "an empty frame followed by data".into()));
        }
        let len = u32::from_be_bytes(frame[..4].try_into().unwrap()) as usize;
        let crc = u32::from_be_bytes(frame[4..].try_into().unwrap());
        if len > max {
            return Err((n, format!("frame length {len} is over the limit {max}")));
        }
        if file_len - pos - 8 < len as u64 {
            return Ok((pos, file_len - pos));
        }
        payload.resize(len, 0);
        r.read_exact(&mut payload).map_err(|e| (n, e.to_string()))?;
        if crc32c::crc32c(&payload) != crc {
            return Err((n, "checksum mismatch".into()));
        }
        each(n, pos, &payload).map_err(|why| (n, why))?;
        pos += 8 + len as u64;
        n += 1;
    }
}

fn scan_log(f: &File, path: &Path) -> Result<Scanned<u64>, StoreError> {
    let mut offsets = Vec::new();
    let (end, cut) = scan_frames(f, path, LOG_MAGIC, FIXED + ENTRY_BYTES_MAX, |n, pos, p| {
        let rec = decode_log(p)?;
        if rec.index != n {
            return Err(format!("holds index {} where {n} belongs", rec.index));
        }
        offsets.push(pos);
        Ok(())
    })
    .map_err(|(index, why)| StoreError::Corrupt { index, why })?;
    Ok((offsets, end, cut))
}

/// What scanning a file found: its items, the end of the last whole frame, the torn tail bytes.
type Scanned<T> = (Vec<T>, u64, u64);

fn scan_checkpoints(f: &File, path: &Path) -> Result<Scanned<(u64, String)>, StoreError> {
    let mut all = Vec::new();
    let (end, cut) = scan_frames(f, path, CKP_MAGIC, 8 + NOTE_BYTES_MAX, |_, _, p| {
        all.push(decode_checkpoint(p)?);
        Ok(())
    })
    .map_err(|(position, why)| StoreError::CorruptCheckpoint { position, why })?;
    Ok((all, end, cut))
}

fn decode_checkpoint(p: &[u8]) -> Result<(u64, String), String> {
    if p.len() < 8 {
        return Err("shorter than a size".into());
    }
    let size = u64::from_be_bytes(p[..8].try_into().unwrap());
    let note = String::from_utf8(p[8..].to_vec()).map_err(|_| "note is not UTF-8".to_string())?;
    Ok((size, note))
}

fn encode_log(r: &Record, out: &mut Vec<u8>) {
    let entry_len = r.entry.as_ref().map_or(0, Vec::len);
    let start = out.len();
    out.extend_from_slice(&[0u8; 8]);
    out.extend_from_slice(&r.index.to_be_bytes());
    out.push(u8::from(r.entry.is_none()));
    out.extend_from_slice(&r.leaf);
    out.extend_from_slice(&r.salt.unwrap_or([0; 32]));
    out.extend_from_slice(&(entry_len as u32).to_be_bytes());
    if let Some(e) = &r.entry {
        out.extend_from_slice(e);
    }
    seal_frame(&mut out[start..]);
}

/// Fills in the length and CRC of the frame occupying `frame` (header included).
fn seal_frame(frame: &mut [u8]) {
    let len = (frame.len() - 8) as u32;
    let crc = crc32c::crc32c(&frame[8..]);
    frame[..4].copy_from_slice(&len.to_be_bytes());
    frame[4..8].copy_from_slice(&crc.to_be_bytes());
}

fn decode_log(p: &[u8]) -> Result<Record, String> {
    if p.len() < FIXED {
        return Err(format!(
            "record of {} bytes is shorter than its fixed part",
            p.len()
        ));
    }
    let index = u64::from_be_bytes(p[..8].try_into().unwrap());
    let erased = match p[8] {
        0 => false,
        1 => true,
        f => return Err(format!("unknown flags {f:#x}")),
    };
    let leaf: [u8; 32] = p[9..41].try_into().unwrap();
    let salt: [u8; 32] = p[41..73].try_into().unwrap();
    let len = u32::from_be_bytes(p[73..77].try_into().unwrap()) as usize;
    if p.len() != FIXED + len {
        return Err(format!("entry length {len} does not match the record"));
    }
    let (salt, entry) = if erased {
        (None, None)
    } else {
        (Some(salt), Some(p[77..].to_vec()))
    };
    Ok(Record {
        index,
        leaf,
        salt,
        entry,
    })
}

impl Store for FileStore {
    fn meta(&self) -> &Meta {
        &self.meta
    }

    fn len(&self) -> u64 {
        self.offsets.len() as u64
    }

    fn append(&mut self, records: &[Record]) -> Result<(), StoreError> {
        self.check_writable()?;
        check_append(self.len(), records)?;
        let mut buf = Vec::with_capacity(
            records
                .iter()
                .map(|r| 8 + FIXED + r.entry.as_ref().map_or(0, Vec::len))
                .sum(),
        );
        let mut starts = Vec::with_capacity(records.len());
        for r in records {
            starts.push(self.log_end + buf.len() as u64);
            encode_log(r, &mut buf);
        }
        let path = self.log_path();
        if let Some(fault) = crate::crash::before_append() {
            let bytes = match fault {
                crate::crash::Fault::Kill(bytes) => bytes,
                crate::crash::Fault::Full => {
                    return Err(io(&path)(std::io::Error::from_raw_os_error(libc::ENOSPC)));
                }
            };
            // The kill test's crash point: part of the frames (or all, durable), then killed.
            let n = bytes.min(buf.len());
            let _ = self.log.write_all_at(&buf[..n], self.log_end);
            if n == buf.len() {
                let _ = self.log.sync_data();
            }
            crate::crash::kill_now();
        }
        let direct = match &mut self.direct {
            Some(d) => d.append(self.log_end, &buf).is_ok(),
            None => false,
        };
        if !direct {
            // Not (or no longer) with direct I/O: ordinary writes from now on, over whatever a
            // failed direct write left.
            self.direct = None;
            self.log
                .write_all_at(&buf, self.log_end)
                .map_err(io(&path))?;
        }
        self.log.sync_data().map_err(io(&path))?;
        self.offsets.extend(starts);
        self.log_end += buf.len() as u64;
        Ok(())
    }

    fn read(&mut self, from: u64, to: u64) -> Result<Vec<Record>, StoreError> {
        check_range(self.len(), from, to)?;
        if from == to {
            return Ok(vec![]);
        }
        let start = self.offsets[from as usize];
        let end = self
            .offsets
            .get(to as usize)
            .copied()
            .unwrap_or(self.log_end);
        let mut buf = vec![0u8; (end - start) as usize];
        self.log
            .read_exact_at(&mut buf, start)
            .map_err(io(&self.log_path()))?;
        let mut out = Vec::with_capacity((to - from) as usize);
        let mut pos = 0usize;
        for index in from..to {
            let corrupt = |why: String| StoreError::Corrupt { index, why };
            let len = u32::from_be_bytes(buf[pos..pos + 4].try_into().unwrap()) as usize;
            let crc = u32::from_be_bytes(buf[pos + 4..pos + 8].try_into().unwrap());
            let payload = buf
                .get(pos + 8..pos + 8 + len)
                .ok_or_else(|| corrupt("frame runs past its neighbour".into()))?;
            if crc32c::crc32c(payload) != crc {
                return Err(corrupt("checksum mismatch (changed after opening)".into()));
            }
            out.push(decode_log(payload).map_err(corrupt)?);
            pos += 8 + len;
        }
        Ok(out)
    }

    fn erase(&mut self, index: u64) -> Result<(), StoreError> {
        self.check_writable()?;
        let mut rec = self.read(index, index + 1)?.remove(0);
        let len = rec.entry.as_ref().map_or(0, Vec::len);
        rec.salt = None;
        rec.entry = None;
        let mut buf = Vec::new();
        encode_log(&rec, &mut buf);
        // Keep the frame's length: the zeroed entry bytes stay as padding.
        buf.extend(std::iter::repeat_n(0u8, len));
        buf[8 + FIXED - 4..8 + FIXED].copy_from_slice(&(len as u32).to_be_bytes());
        seal_frame(&mut buf);
        let path = self.log_path();
        self.log
            .write_all_at(&buf, self.offsets[index as usize])
            .map_err(io(&path))?;
        self.log.sync_data().map_err(io(&path))?;
        // The next direct append writes the last partial page from memory: it must hold the
        // erasure too (if it cannot be read, appends go the ordinary way).
        if let Some(d) = &mut self.direct {
            if d.read_last_page(&self.log, self.log_end).is_err() {
                self.direct = None;
            }
        }
        Ok(())
    }

    fn put_checkpoint(&mut self, size: u64, note: &str) -> Result<(), StoreError> {
        self.check_writable()?;
        if size > self.len() {
            return Err(StoreError::Misuse(format!(
                "checkpoint for size {size} but only {} records are durable",
                self.len()
            )));
        }
        let mut buf = vec![0u8; 8];
        buf.extend_from_slice(&size.to_be_bytes());
        buf.extend_from_slice(note.as_bytes());
        seal_frame(&mut buf);
        let path = self.dir.join("checkpoints.knop");
        self.ckp
            .write_all_at(&buf, self.ckp_end)
            .map_err(io(&path))?;
        self.ckp_end += buf.len() as u64;
        self.latest = Some((size, note.to_owned()));
        Ok(())
    }

    fn checkpoints(&mut self) -> Result<Vec<(u64, String)>, StoreError> {
        // A fresh handle: scanning reads from the start, not from the shared cursor.
        let path = self.dir.join("checkpoints.knop");
        let f = File::open(&path).map_err(io(&path))?;
        Ok(scan_checkpoints(&f, &path)?.0)
    }

    fn latest_checkpoint(&mut self) -> Result<Option<(u64, String)>, StoreError> {
        Ok(self.latest.clone())
    }

    fn bytes_used(&mut self) -> Result<u64, StoreError> {
        Ok(self.log_end + self.ckp_end)
    }
}
