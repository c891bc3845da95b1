//! Which households a bank line could belong to, without trying every household.
//!
//! [`match_line`](crate::matching::match_line) decides, for one plan, what a line is. A foundation
//! has thousands of plans and a statement thousands of lines; trying every plan for every line
//! grows with their product. [`Index`] is built once from the plans and names, per line, the few
//! plans that could match it — every plan [`match_line`](crate::matching::match_line) would
//! accept, and a few more — so the caller runs the full check only on those:
//!
//! - our own payments and their returns, by `EndToEndId` (the ids the plans' payments carry in
//!   the window given to [`Index::build`]);
//! - direct debits, by mandate id;
//! - incomes, by reference: the normalised reference (whitespace removed, upper case) occurs in
//!   the normalised remittance text, so the text is scanned with a rolling hash for each
//!   reference length the index holds (the full check then also refuses a reference found inside
//!   a longer number);
//! - incomes agreed by the payer's IBAN alone, by that IBAN;
//! - an income agreed with an empty reference and no IBAN fits every income line, and is always
//!   a candidate.
//!
//! Keys are 64-bit hashes, kept sorted beside the plan positions (12 bytes a key), with a
//! directory by the keys' top bits (about 4 bytes a key) so that a lookup — most of them, from
//! the reference scan, find nothing — touches one or two cache lines instead of a binary search's
//! twenty. A collision adds a candidate that the full check then refuses, never a match.

use jiff::civil::Date;

use crate::matching::{norm, own_payments, Line};
use crate::{Kind, Plan};

const OWN: u64 = 1;
const MANDATE: u64 = 2;
const IBAN: u64 = 3;
const REFERENCE: u64 = 4;
/// Multiplier of the polynomial rolling hash (odd, so it is invertible modulo 2^64).
const BASE: u64 = 0x0000_0100_0000_01B3;

/// The candidate index. See the module docs.
#[derive(Debug, Default, Clone)]
pub struct Index {
    keys: Vec<u64>,
    plans: Vec<u32>,
    /// `dir[b]` is the first key whose top `bits` bits are at least `b`; one more entry at the end.
    dir: Vec<u32>,
    bits: u32,
    /// Distinct byte lengths of the normalised references, ascending, each with `BASE` to the
    /// power length − 1 (what the rolling hash takes off for the byte leaving the window).
    reference_lengths: Vec<(usize, u64)>,
    /// Plans with an income that fits any income line.
    always: Vec<u32>,
}

fn poly(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0u64, |h, &b| {
        h.wrapping_mul(BASE).wrapping_add(u64::from(b))
    })
}

/// The key of a hash `h` of a text of `len` bytes in class `kind` (SplitMix64's finaliser, so
/// that close texts get distant keys).
fn key(kind: u64, len: usize, h: u64) -> u64 {
    let mut z = h ^ (kind << 56) ^ ((len as u64) << 40);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn exact(kind: u64, text: &str) -> u64 {
    key(kind, text.len(), poly(text.as_bytes()))
}

/// An [`Index`] being built: [`Builder::add`] each plan in order (its position is what
/// [`Index::candidates`] returns), then [`Builder::finish`].
#[derive(Debug)]
pub struct Builder {
    from: Date,
    through: Date,
    pairs: Vec<(u64, u32)>,
    lengths: std::collections::BTreeSet<usize>,
    always: Vec<u32>,
    added: usize,
}

impl Builder {
    fn new(from: Date, through: Date) -> Self {
        Self {
            from,
            through,
            pairs: vec![],
            lengths: std::collections::BTreeSet::new(),
            always: vec![],
            added: 0,
        }
    }

    /// Indexes the next plan, with the `EndToEndId`s of its payments due in the window.
    ///
    /// # Panics
    /// With more than 2^32 plans.
    pub fn add(&mut self, plan: &Plan) {
        let n = u32::try_from(self.added).expect("fewer than 2^32 plans");
        self.added += 1;
        for e2e in own_payments(plan, self.from, self.through).keys() {
            self.pairs.push((exact(OWN, e2e), n));
        }
        for a in &plan.agreements {
            if let Some(d) = &a.direct_debit {
                self.pairs.push((exact(MANDATE, &d.mandate_id), n));
            }
            if a.kind != Kind::Income {
                continue;
            }
            match (a.reference.as_deref().map(norm), &a.counterparty_iban) {
                (Some(r), _) if !r.is_empty() => {
                    self.lengths.insert(r.len());
                    self.pairs.push((exact(REFERENCE, &r), n));
                }
                (_, Some(iban)) => self.pairs.push((exact(IBAN, &norm(iban)), n)),
                (Some(_), None) => self.always.push(n),
                (None, None) => {}
            }
        }
    }

    /// The index of the plans added.
    ///
    /// # Panics
    /// With more than 2^32 keys.
    pub fn finish(self) -> Index {
        let Builder {
            mut pairs,
            lengths,
            mut always,
            ..
        } = self;
        pairs.sort_unstable();
        pairs.dedup();
        always.dedup();
        let keys: Vec<u64> = pairs.iter().map(|p| p.0).collect();
        let plans = pairs.iter().map(|p| p.1).collect();
        drop(pairs);
        // About one key per directory entry, at least 2^8 entries.
        let bits = (usize::BITS - keys.len().leading_zeros()).clamp(8, 31);
        let mut dir = Vec::with_capacity((1 << bits) + 1);
        let mut at = 0usize;
        for b in 0..(1u64 << bits) {
            while at < keys.len() && keys[at] >> (64 - bits) < b {
                at += 1;
            }
            dir.push(u32::try_from(at).expect("fewer than 2^32 keys"));
        }
        dir.push(u32::try_from(keys.len()).expect("fewer than 2^32 keys"));
        Index {
            keys,
            plans,
            dir,
            bits,
            reference_lengths: lengths
                .into_iter()
                .map(|len| (len, (1..len).fold(1u64, |p, _| p.wrapping_mul(BASE))))
                .collect(),
            always,
        }
    }
}

impl Index {
    /// Indexes `plans` (a plan's position in this sequence is what [`Index::candidates`]
    /// returns), with the `EndToEndId`s of their payments due in `from..=through`.
    ///
    /// # Panics
    /// With more than 2^32 plans or keys.
    pub fn build<P: std::borrow::Borrow<Plan>>(
        plans: impl IntoIterator<Item = P>,
        from: Date,
        through: Date,
    ) -> Self {
        let mut builder = Builder::new(from, through);
        for plan in plans {
            builder.add(plan.borrow());
        }
        builder.finish()
    }

    /// A builder that takes the plans one at a time (for a caller that makes each plan in
    /// the same place, or reads them one by one).
    pub fn builder(from: Date, through: Date) -> Builder {
        Builder::new(from, through)
    }

    /// Bytes the index holds on the heap (keys, plan positions and directory).
    pub fn heap_bytes(&self) -> usize {
        self.keys.len() * 8 + self.plans.len() * 4 + self.dir.len() * 4 + self.always.len() * 4
    }

    /// Number of keys held.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no key is held.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty() && self.always.is_empty()
    }

    fn lookup(&self, k: u64, out: &mut Vec<u32>) {
        if self.dir.is_empty() {
            return;
        }
        let b = (k >> (64 - self.bits)) as usize;
        let (from, to) = (self.dir[b] as usize, self.dir[b + 1] as usize);
        let bucket = &self.keys[from..to];
        let lo = bucket.partition_point(|&x| x < k);
        let hi = lo + bucket[lo..].partition_point(|&x| x == k);
        // Most lookups (the scan of a remittance text, substring by substring) find nothing:
        // they should not cost a copy call.
        if hi > lo {
            out.extend_from_slice(&self.plans[from + lo..from + hi]);
        }
    }

    /// The positions of the plans `line` could belong to, ascending, each once.
    pub fn candidates(&self, line: &Line) -> Vec<u32> {
        let mut out = vec![];
        if let Some(e2e) = &line.end_to_end_id {
            self.lookup(exact(OWN, e2e), &mut out);
        }
        // A credit under a mandate is a direct debit coming back.
        if let Some(m) = &line.mandate_id {
            self.lookup(exact(MANDATE, m), &mut out);
        }
        if line.cents >= 0 {
            if let Some(iban) = &line.counterparty_iban {
                self.lookup(exact(IBAN, &norm(iban)), &mut out);
            }
            let text = line.remittance.as_deref().map(norm).unwrap_or_default();
            self.scan_references(text.as_bytes(), &mut out);
            out.extend_from_slice(&self.always);
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Looks up every substring of `text` whose length a reference has (Rabin–Karp).
    fn scan_references(&self, text: &[u8], out: &mut Vec<u32>) {
        for &(len, top) in &self.reference_lengths {
            if len > text.len() {
                break;
            }
            let mut h = poly(&text[..len]);
            self.lookup(key(REFERENCE, len, h), out);
            for i in len..text.len() {
                h = h
                    .wrapping_sub(u64::from(text[i - len]).wrapping_mul(top))
                    .wrapping_mul(BASE)
                    .wrapping_add(u64::from(text[i]));
                self.lookup(key(REFERENCE, len, h), out);
            }
        }
    }
}
