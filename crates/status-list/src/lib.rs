//! The IETF Token Status List (`draft-ietf-oauth-status-list`, section 4): the status of many
//! issued tokens in one list, each entry `bits` wide (1, 2, 4 or 8), packed least significant
//! bits first into bytes, zlib-compressed (RFC 1950) and base64url-encoded without padding as
//! the `lst` of a `status_list` object. knop uses it to revoke and suspend Rode Knop
//! declarations: a declaration carries its list's URI and a random index; a verifier fetches the
//! list and reads that entry.
//!
//! Written by hand (about a hundred lines over `flate2` and `base64`) because no well-kept Rust
//! crate implements the draft; the draft's own test vectors are the tests.
//!
//! ```
//! use knop_status_list::{Status, StatusList};
//! let mut list = StatusList::new(1, 16).unwrap();
//! list.set(3, Status::INVALID).unwrap();
//! let lst = list.encode();
//! let back = StatusList::decode(1, &lst, 16).unwrap();
//! assert_eq!(back.get(3), Some(Status::INVALID));
//! assert_eq!(back.get(4), Some(Status::VALID));
//! ```

#![warn(missing_docs)]

use std::io::{Read, Write};

use base64::prelude::{Engine as _, BASE64_URL_SAFE_NO_PAD};

/// A status value (section 7.1 of the draft names 0, 1 and 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Status(pub u8);

impl Status {
    /// The token is valid (0x00).
    pub const VALID: Status = Status(0);
    /// The token is revoked for good (0x01).
    pub const INVALID: Status = Status(1);
    /// The token is suspended for now (0x02; needs at least 2 bits).
    pub const SUSPENDED: Status = Status(2);
}

/// Most entries a list may hold, when made or read: 2^27 (16 MiB at 1 bit, 128 MiB at 8).
pub const ENTRIES_MAX: usize = 1 << 27;

/// Why a list cannot be made, changed or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Occurs when `bits` is not 1, 2, 4 or 8.
    #[error("bits: 1, 2, 4 or 8, found {0}")]
    Bits(u8),
    /// Occurs when a list would hold more than [`ENTRIES_MAX`] entries.
    #[error("a status list holds at most {ENTRIES_MAX} entries, asked {0}")]
    TooLong(usize),
    /// Occurs when an index is past the end of the list.
    #[error("index {index} is past the list's {len} entries")]
    Index {
        /// The index.
        index: usize,
        /// The list's length.
        len: usize,
    },
    /// Occurs when a status does not fit in `bits`.
    #[error("status {status} does not fit in {bits} bits")]
    Value {
        /// The status.
        status: u8,
        /// The list's bits per entry.
        bits: u8,
    },
    /// Occurs when `lst` is not base64url.
    #[error("lst: not base64url without padding")]
    Base64,
    /// Occurs when `lst` does not inflate as zlib, or inflates to more than the limit.
    #[error("lst: {0}")]
    Inflate(String),
}

/// A status list: `len` entries of `bits` each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusList {
    bits: u8,
    len: usize,
    bytes: Vec<u8>,
}

fn check_bits(bits: u8) -> Result<(), Error> {
    match bits {
        1 | 2 | 4 | 8 => Ok(()),
        other => Err(Error::Bits(other)),
    }
}

impl StatusList {
    /// A list of `len` entries of `bits` each, all [`Status::VALID`].
    pub fn new(bits: u8, len: usize) -> Result<Self, Error> {
        check_bits(bits)?;
        if len > ENTRIES_MAX {
            return Err(Error::TooLong(len));
        }
        let bytes = vec![0; (len * bits as usize).div_ceil(8)];
        Ok(Self { bits, len, bytes })
    }

    /// Bits per entry.
    pub fn bits(&self) -> u8 {
        self.bits
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the list has no entries.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Where entry `index` is: its byte and its shift within the byte (least significant first).
    fn place(&self, index: usize) -> Result<(usize, u32), Error> {
        if index >= self.len {
            return Err(Error::Index {
                index,
                len: self.len,
            });
        }
        let per_byte = 8 / self.bits as usize;
        Ok((
            index / per_byte,
            ((index % per_byte) * self.bits as usize) as u32,
        ))
    }

    fn mask(&self) -> u8 {
        ((1u16 << self.bits) - 1) as u8
    }

    /// Entry `index`'s status, or `None` past the end.
    pub fn get(&self, index: usize) -> Option<Status> {
        let (byte, shift) = self.place(index).ok()?;
        Some(Status((self.bytes[byte] >> shift) & self.mask()))
    }

    /// Sets entry `index` to `status`.
    pub fn set(&mut self, index: usize, status: Status) -> Result<(), Error> {
        if status.0 > self.mask() {
            return Err(Error::Value {
                status: status.0,
                bits: self.bits,
            });
        }
        let (byte, shift) = self.place(index)?;
        let mask = self.mask() << shift;
        self.bytes[byte] = (self.bytes[byte] & !mask) | (status.0 << shift);
        Ok(())
    }

    /// The packed bytes (before compression).
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The `lst` value: the bytes zlib-compressed (best compression), base64url without padding.
    pub fn encode(&self) -> String {
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        // Writing to a Vec cannot fail.
        let _ = z.write_all(&self.bytes);
        BASE64_URL_SAFE_NO_PAD.encode(z.finish().unwrap_or_default())
    }

    /// Reads an `lst` of `bits`-wide entries, expecting at most `len_max` entries (at most
    /// [`ENTRIES_MAX`]): inflation stops there, so a small `lst` cannot blow up in memory. The
    /// list's length is what the bytes hold (the draft carries no count).
    pub fn decode(bits: u8, lst: &str, len_max: usize) -> Result<Self, Error> {
        check_bits(bits)?;
        let len_max = len_max.min(ENTRIES_MAX);
        let compressed = BASE64_URL_SAFE_NO_PAD
            .decode(lst.trim())
            .map_err(|_| Error::Base64)?;
        let bytes_max = (len_max * bits as usize).div_ceil(8);
        let mut bytes = Vec::new();
        flate2::read::ZlibDecoder::new(&compressed[..])
            .take(bytes_max as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| Error::Inflate(format!("not zlib ({e})")))?;
        if bytes.len() > bytes_max {
            return Err(Error::Inflate(format!(
                "more than the {len_max} entries expected"
            )));
        }
        let len = bytes.len() * 8 / bits as usize;
        Ok(Self { bits, len, bytes })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_drafts_small_examples_read_back() {
        // Section 4.1's examples: [0xb9, 0xa3] at 1 bit, [0xc9, 0x44, 0xf9] at 2 bits.
        let one = StatusList::decode(1, "eNrbuRgAAhcBXQ", 16).unwrap();
        assert_eq!(one.as_bytes(), [0xb9, 0xa3]);
        let statuses: Vec<u8> = (0..16).map(|i| one.get(i).unwrap().0).collect();
        assert_eq!(statuses, [1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1]);
        let two = StatusList::decode(2, "eNo76fITAAPfAgc", 12).unwrap();
        assert_eq!(two.as_bytes(), [0xc9, 0x44, 0xf9]);
        let statuses: Vec<u8> = (0..12).map(|i| two.get(i).unwrap().0).collect();
        assert_eq!(statuses, [1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3]);
    }

    #[test]
    fn what_is_set_is_read_and_nothing_else_changes() {
        for bits in [1u8, 2, 4, 8] {
            let mut l = StatusList::new(bits, 100).unwrap();
            let top = Status(((1u16 << bits) - 1) as u8);
            l.set(37, top).unwrap();
            l.set(38, Status::INVALID).unwrap();
            l.set(37, Status::INVALID).unwrap();
            assert_eq!(l.get(37), Some(Status::INVALID));
            assert_eq!(l.get(38), Some(Status::INVALID));
            assert_eq!(
                (0..100)
                    .filter(|i| l.get(*i) != Some(Status::VALID))
                    .count(),
                2
            );
            let back = StatusList::decode(bits, &l.encode(), 100).unwrap();
            assert_eq!(back.get(37), Some(Status::INVALID));
        }
    }

    #[test]
    fn bad_input_is_named() {
        assert_eq!(StatusList::new(3, 1), Err(Error::Bits(3)));
        let mut l = StatusList::new(1, 8).unwrap();
        assert_eq!(
            l.set(8, Status::INVALID),
            Err(Error::Index { index: 8, len: 8 })
        );
        assert_eq!(
            l.set(0, Status::SUSPENDED),
            Err(Error::Value { status: 2, bits: 1 })
        );
        assert_eq!(StatusList::decode(1, "!!", 8), Err(Error::Base64));
        assert!(matches!(
            StatusList::decode(1, "AAAA", 8),
            Err(Error::Inflate(_))
        ));
        // A list longer than the reader expects is refused, not inflated without end.
        let big = StatusList::new(8, 10_000).unwrap().encode();
        assert!(matches!(
            StatusList::decode(8, &big, 100),
            Err(Error::Inflate(_))
        ));
    }
}
