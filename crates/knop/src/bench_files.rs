//! The month-end benchmark's bank files, written and read without the page cache where the file
//! system allows it (direct I/O, `O_DIRECT`).
//!
//! The simulated bank writes each statement and payment file once and knop reads each statement
//! once, so passing gigabytes of them through the page cache only costs a copy and a fresh page
//! of memory per 4 KiB. On a virtual machine whose host hands out memory on first touch that was
//! some 20 CPU seconds of a 1.2-million-household month: the bank's cost, not knop's, and a
//! statement that arrives over the network is not in the page cache either. Where direct I/O is
//! refused (tmpfs, other systems) the files are written and read the ordinary way.
//!
//! Written by hand: a whole-file direct read or write is a few lines over `std`, with the buffer
//! from `aligned-vec`.

use std::cell::RefCell;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;

use aligned_vec::{AVec, ConstAlign};

/// Direct I/O moves whole pages, from and to page-aligned memory, at page-aligned offsets.
const PAGE: usize = 4096;

type Pages = AVec<u8, ConstAlign<PAGE>>;

thread_local! {
    /// This thread's buffer, kept between files: a fresh one per file would be fresh memory too.
    static BUF: RefCell<Pages> = RefCell::new(AVec::new(PAGE));
}

#[cfg(target_os = "linux")]
fn open_direct(path: &Path, write: bool) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(!write)
        .write(write)
        .create(write)
        .truncate(write)
        .custom_flags(libc::O_DIRECT)
        .open(path)
}

#[cfg(not(target_os = "linux"))]
fn open_direct(_: &Path, _: bool) -> io::Result<File> {
    Err(io::Error::new(io::ErrorKind::Unsupported, "Linux only"))
}

/// Writes `bytes` as the file `path`.
pub(crate) fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let written = BUF.with_borrow_mut(|buf| -> io::Result<bool> {
        let Ok(file) = open_direct(path, true) else {
            return Ok(false);
        };
        buf.clear();
        buf.extend_from_slice(bytes);
        // Padded to whole pages, then cut to the real length.
        buf.resize(bytes.len().next_multiple_of(PAGE), 0);
        if file.write_all_at(buf, 0).is_err() {
            return Ok(false);
        }
        file.set_len(bytes.len() as u64)?;
        Ok(true)
    })?;
    if !written {
        std::fs::write(path, bytes)?;
    }
    Ok(())
}

/// Files written on a thread of their own: a direct write waits for the device, and the thread
/// that made the bytes should go on making the next file meanwhile. At most `depth` files wait
/// to be written; [`Background::finish`] waits for the rest and gives the first error.
pub(crate) struct Background {
    tx: Option<std::sync::mpsc::SyncSender<(std::path::PathBuf, Vec<u8>)>>,
    thread: Option<std::thread::JoinHandle<io::Result<()>>>,
}

impl Background {
    /// A writer thread taking up to `depth` files ahead.
    pub(crate) fn new(depth: usize) -> Self {
        let (tx, rx) = std::sync::mpsc::sync_channel::<(std::path::PathBuf, Vec<u8>)>(depth);
        let thread = std::thread::spawn(move || -> io::Result<()> {
            for (path, bytes) in rx {
                write(&path, &bytes)
                    .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
            }
            Ok(())
        });
        Self {
            tx: Some(tx),
            thread: Some(thread),
        }
    }

    /// Queues `bytes` to be written as `path` (waits while `depth` files are queued). After a
    /// failed write nothing more is taken: the error is [`Background::finish`]'s.
    pub(crate) fn write(&self, path: std::path::PathBuf, bytes: Vec<u8>) -> io::Result<()> {
        let sent = self.tx.as_ref().map(|tx| tx.send((path, bytes)));
        match sent {
            Some(Ok(())) => Ok(()),
            _ => Err(io::Error::other(
                "the file writer stopped after a failed write",
            )),
        }
    }

    /// Waits until every queued file is written; the first failed write's error, if any.
    pub(crate) fn finish(mut self) -> io::Result<()> {
        self.join()
    }

    fn join(&mut self) -> io::Result<()> {
        drop(self.tx.take());
        match self.thread.take().map(std::thread::JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(io::Error::other("the file writer thread panicked")),
            None => Ok(()),
        }
    }
}

impl Drop for Background {
    /// A writer dropped without [`Background::finish`] (an early return) still ends its thread.
    fn drop(&mut self) {
        let _ = self.join();
    }
}

/// Reads the file `path` and hands its bytes to `f`.
pub(crate) fn read<T>(path: &Path, f: impl FnOnce(&[u8]) -> T) -> io::Result<T> {
    let direct = BUF.with_borrow_mut(|buf| -> io::Result<Option<usize>> {
        let Ok(file) = open_direct(path, false) else {
            return Ok(None);
        };
        let len = usize::try_from(file.metadata()?.len())
            .map_err(|_| io::Error::new(io::ErrorKind::FileTooLarge, "over the address space"))?;
        buf.clear();
        buf.resize(len.next_multiple_of(PAGE), 0);
        let mut at = 0;
        while at < len {
            match file.read_at(&mut buf[at..], at as u64) {
                Ok(0) => break,
                Ok(n) => at += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return Ok(None),
            }
        }
        if at != len {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("{} changed while read: {at} of {len} bytes", path.display()),
            ));
        }
        Ok(Some(len))
    })?;
    match direct {
        Some(len) => Ok(BUF.with_borrow(|buf| f(&buf[..len]))),
        None => Ok(f(&std::fs::read(path)?)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_of_any_length_come_back_as_written() {
        let dir = tempfile::tempdir().unwrap();
        for len in [0, 1, PAGE - 1, PAGE, PAGE + 1, 3 * PAGE + 17] {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
            let path = dir.path().join(format!("f{len}"));
            write(&path, &bytes).unwrap();
            assert_eq!(std::fs::read(&path).unwrap(), bytes, "length {len}");
            assert_eq!(read(&path, <[u8]>::to_vec).unwrap(), bytes, "length {len}");
        }
        // A shorter file written over a longer one is only the shorter one.
        let path = dir.path().join("f3");
        write(&path, b"abc").unwrap();
        assert_eq!(read(&path, <[u8]>::to_vec).unwrap(), b"abc");
    }

    #[test]
    fn background_writes_land_and_a_failure_is_reported_at_the_end() {
        let dir = tempfile::tempdir().unwrap();
        let bg = Background::new(1);
        for n in 0..5usize {
            bg.write(dir.path().join(format!("b{n}")), vec![n as u8; n * 1000])
                .unwrap();
        }
        bg.finish().unwrap();
        for n in 0..5usize {
            assert_eq!(
                std::fs::read(dir.path().join(format!("b{n}"))).unwrap(),
                vec![n as u8; n * 1000]
            );
        }
        let bg = Background::new(0);
        let _ = bg.write(dir.path().join("no/such/dir/f"), b"x".to_vec());
        // Later files are refused once the writer has stopped (or, if it has not yet, written).
        let _ = bg.write(dir.path().join("after"), b"y".to_vec());
        let e = bg.finish().unwrap_err();
        assert!(e.to_string().contains("no/such/dir/f"), "{e}");
    }

    #[test]
    fn a_missing_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let e = read(&dir.path().join("none"), |_| ()).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
    }
}
