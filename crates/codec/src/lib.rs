//! Canonical bytes for everything knop hashes or signs.
//!
//! Bytes that go into a hash or a signature must never depend on a serialisation library's
//! choices (field order, whitespace, integer widths). This crate is the one place that writes and
//! reads them: fixed-width big-endian integers, length-prefixed byte strings and text, each with an
//! enforced maximum. Every decoder reports the byte offset and the field that was wrong.
//!
//! ```
//! use knop_codec::{Reader, Writer};
//! let mut w = Writer::new();
//! w.u64(7);
//! w.bytes(b"abc");
//! let bytes = w.finish();
//! let mut r = Reader::new(&bytes);
//! assert_eq!(r.u64("n").unwrap(), 7);
//! assert_eq!(r.bytes("b", 16).unwrap(), b"abc");
//! r.end().unwrap();
//! ```

#![warn(missing_docs)]

/// A decoding failure: where in the input, which field, and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("byte {offset}: field `{field}`: {expected}")]
pub struct DecodeError {
    /// Byte offset in the input where the field starts.
    pub offset: usize,
    /// Name of the field being decoded.
    pub field: &'static str,
    /// What the decoder expected to find.
    pub expected: String,
}

/// Appends canonical encodings to a byte buffer.
#[derive(Debug, Default)]
pub struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    /// An empty writer.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty writer with room for `capacity` bytes.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            buf: Vec::with_capacity(capacity),
        }
    }

    /// One byte.
    pub fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }

    /// Two bytes, big-endian.
    pub fn u16(&mut self, v: u16) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    /// Four bytes, big-endian.
    pub fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    /// Eight bytes, big-endian.
    pub fn u64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    /// Eight bytes, big-endian two's complement.
    pub fn i64(&mut self, v: i64) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    /// Sixteen bytes, big-endian.
    pub fn u128(&mut self, v: u128) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    /// Raw bytes of a length both sides know (hashes, keys, signatures).
    pub fn fixed(&mut self, v: &[u8]) {
        self.buf.extend_from_slice(v);
    }

    /// A byte string: a four-byte big-endian length, then the bytes.
    ///
    /// # Panics
    /// Panics if `v` is longer than `u32::MAX` bytes; callers enforce far smaller limits.
    pub fn bytes(&mut self, v: &[u8]) {
        let len = u32::try_from(v.len()).expect("byte string over 4 GiB");
        self.u32(len);
        self.buf.extend_from_slice(v);
    }

    /// UTF-8 text, encoded like [`Writer::bytes`].
    pub fn str(&mut self, v: &str) {
        self.bytes(v.as_bytes());
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Whether nothing was written yet.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The encoded bytes.
    pub fn finish(self) -> Vec<u8> {
        self.buf
    }
}

/// Reads canonical encodings, checking bounds and limits on every field.
#[derive(Debug)]
pub struct Reader<'a> {
    input: &'a [u8],
    offset: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `input`.
    pub fn new(input: &'a [u8]) -> Self {
        Self { input, offset: 0 }
    }

    /// The current byte offset.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// A decode error at the current offset.
    pub fn error(&self, field: &'static str, expected: impl Into<String>) -> DecodeError {
        DecodeError {
            offset: self.offset,
            field,
            expected: expected.into(),
        }
    }

    fn take(&mut self, field: &'static str, n: usize) -> Result<&'a [u8], DecodeError> {
        let remaining = self.input.len() - self.offset;
        if remaining < n {
            return Err(self.error(
                field,
                format!("{n} bytes, found only {remaining} before the end"),
            ));
        }
        let out = &self.input[self.offset..self.offset + n];
        self.offset += n;
        Ok(out)
    }

    fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(field, N)?);
        Ok(out)
    }

    /// One byte.
    pub fn u8(&mut self, field: &'static str) -> Result<u8, DecodeError> {
        Ok(self.array::<1>(field)?[0])
    }

    /// Two bytes, big-endian.
    pub fn u16(&mut self, field: &'static str) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.array(field)?))
    }

    /// Four bytes, big-endian.
    pub fn u32(&mut self, field: &'static str) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array(field)?))
    }

    /// Eight bytes, big-endian.
    pub fn u64(&mut self, field: &'static str) -> Result<u64, DecodeError> {
        Ok(u64::from_be_bytes(self.array(field)?))
    }

    /// Eight bytes, big-endian two's complement.
    pub fn i64(&mut self, field: &'static str) -> Result<i64, DecodeError> {
        Ok(i64::from_be_bytes(self.array(field)?))
    }

    /// Sixteen bytes, big-endian.
    pub fn u128(&mut self, field: &'static str) -> Result<u128, DecodeError> {
        Ok(u128::from_be_bytes(self.array(field)?))
    }

    /// `N` raw bytes.
    pub fn fixed<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], DecodeError> {
        self.array(field)
    }

    /// A length-prefixed byte string of at most `max` bytes.
    pub fn bytes(&mut self, field: &'static str, max: usize) -> Result<&'a [u8], DecodeError> {
        let start = self.offset;
        let len = self.u32(field)? as usize;
        if len > max {
            self.offset = start;
            return Err(self.error(field, format!("at most {max} bytes, length says {len}")));
        }
        self.take(field, len)
    }

    /// Length-prefixed UTF-8 text of at most `max` bytes.
    pub fn str(&mut self, field: &'static str, max: usize) -> Result<&'a str, DecodeError> {
        let start = self.offset;
        let raw = self.bytes(field, max)?;
        std::str::from_utf8(raw).map_err(|_| DecodeError {
            offset: start,
            field,
            expected: "valid UTF-8 text".into(),
        })
    }

    /// A count of following items, at most `max`.
    pub fn count(&mut self, field: &'static str, max: usize) -> Result<usize, DecodeError> {
        let start = self.offset;
        let n = self.u32(field)? as usize;
        if n > max {
            self.offset = start;
            return Err(self.error(field, format!("at most {max} items, count says {n}")));
        }
        Ok(n)
    }

    /// Succeeds only when every byte was consumed (canonical encodings have no trailing data).
    pub fn end(&self) -> Result<(), DecodeError> {
        if self.offset == self.input.len() {
            Ok(())
        } else {
            Err(self.error(
                "end",
                format!(
                    "end of input, found {} trailing bytes",
                    self.input.len() - self.offset
                ),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_all_kinds() {
        let mut w = Writer::new();
        w.u8(1);
        w.u16(2);
        w.u32(3);
        w.u64(4);
        w.i64(-5);
        w.u128(6);
        w.fixed(&[7; 4]);
        w.str("acht");
        let bytes = w.finish();
        let mut r = Reader::new(&bytes);
        assert_eq!(r.u8("a").unwrap(), 1);
        assert_eq!(r.u16("b").unwrap(), 2);
        assert_eq!(r.u32("c").unwrap(), 3);
        assert_eq!(r.u64("d").unwrap(), 4);
        assert_eq!(r.i64("e").unwrap(), -5);
        assert_eq!(r.u128("f").unwrap(), 6);
        assert_eq!(r.fixed::<4>("g").unwrap(), [7; 4]);
        assert_eq!(r.str("h", 10).unwrap(), "acht");
        r.end().unwrap();
    }

    #[test]
    fn errors_name_offset_and_field() {
        let mut w = Writer::new();
        w.bytes(b"too long");
        let bytes = w.finish();
        let err = Reader::new(&bytes).bytes("name", 4).unwrap_err();
        assert_eq!(err.offset, 0);
        assert_eq!(err.field, "name");
        assert!(err.expected.contains("at most 4"), "{err}");

        let err = Reader::new(&[0, 0]).u32("size").unwrap_err();
        assert_eq!(
            err.to_string(),
            "byte 0: field `size`: 4 bytes, found only 2 before the end"
        );

        let mut r = Reader::new(&[1, 2]);
        r.u8("x").unwrap();
        assert_eq!(r.end().unwrap_err().offset, 1);

        let mut w = Writer::new();
        w.bytes(&[0xff, 0xfe]);
        let bytes = w.finish();
        assert!(Reader::new(&bytes).str("t", 8).is_err());
    }
}
