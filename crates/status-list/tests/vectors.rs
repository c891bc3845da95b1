//! The Token Status List draft's test vectors (section "Test vectors"; files and source in
//! `tests/data/`): each `lst` reads back as exactly the listed statuses in a list of 2^20
//! entries, all others VALID; and what knop writes for the same statuses reads back the same.

use knop_status_list::{Status, StatusList};

const SIZE: usize = 1 << 20;

/// The statuses the section lists under its `bits`-bit heading: (index, status).
fn listed(bits: u8) -> Vec<(usize, u8)> {
    let text = include_str!("data/draft-test-vectors-section.md");
    let heading = format!("## {bits}-bit Status List");
    let section = text.split(&heading).nth(1).expect("the section");
    let section = section.split("\n## ").next().unwrap();
    section
        .lines()
        .filter_map(|l| l.strip_prefix("status["))
        .map(|l| {
            let (index, rest) = l.split_once(']').unwrap();
            let value = rest.split("0b").nth(1).unwrap().trim();
            (
                index.parse().unwrap(),
                u8::from_str_radix(value, 2).unwrap(),
            )
        })
        .collect()
}

/// The `lst` of a vector file (the JSON's string, its line breaks and indents removed).
fn lst(file: &str) -> (u8, String) {
    let compact: String = file.split_whitespace().collect();
    let v: serde_json::Value = serde_json::from_str(&compact).unwrap();
    (
        v["bits"].as_u64().unwrap() as u8,
        v["lst"].as_str().unwrap().to_owned(),
    )
}

fn check(file: &str) {
    let (bits, lst) = lst(file);
    let want = listed(bits);
    assert!(
        want.len() >= 11,
        "{bits}-bit: {} statuses listed",
        want.len()
    );
    let list = StatusList::decode(bits, &lst, SIZE).unwrap();
    assert_eq!(list.len(), SIZE, "{bits}-bit");
    let mut expected = vec![0u8; SIZE];
    for (i, s) in &want {
        expected[*i] = *s;
    }
    for (i, e) in expected.iter().enumerate() {
        assert_eq!(list.get(i), Some(Status(*e)), "{bits}-bit, entry {i}");
    }
    // Written by knop, the same statuses read back the same (the compressed bytes may differ:
    // any zlib stream is allowed).
    let mut mine = StatusList::new(bits, SIZE).unwrap();
    for (i, s) in &want {
        mine.set(*i, Status(*s)).unwrap();
    }
    assert_eq!(mine.as_bytes(), list.as_bytes(), "{bits}-bit");
    let back = StatusList::decode(bits, &mine.encode(), SIZE).unwrap();
    assert_eq!(back, list, "{bits}-bit");
}

#[test]
fn one_bit() {
    check(include_str!("data/status_list_encoding1_long_json.md"));
}

#[test]
fn two_bits() {
    check(include_str!("data/status_list_encoding2_long_json.md"));
}

#[test]
fn four_bits() {
    check(include_str!("data/status_list_encoding4_json.md"));
}

#[test]
fn eight_bits() {
    check(include_str!("data/status_list_encoding8_json.md"));
}

/// The size target: a million declarations with 1 % revoked at random indexes fit in
/// 20 KB compressed (the draft's table gives 13.7 KB at 1 bit).
#[test]
fn a_million_entries_with_one_percent_revoked_stay_small() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let mut list = StatusList::new(1, 1_000_000).unwrap();
    let mut revoked = 0;
    while revoked < 10_000 {
        let i = rng.gen_range(0..1_000_000);
        if list.get(i) == Some(Status::VALID) {
            list.set(i, Status::INVALID).unwrap();
            revoked += 1;
        }
    }
    let lst = list.encode();
    let compressed = lst.len() * 3 / 4;
    println!(
        "1 000 000 entries, 1 % revoked: {compressed} bytes compressed, {} base64url",
        lst.len()
    );
    assert!(compressed <= 20_000, "{compressed} bytes");
}
