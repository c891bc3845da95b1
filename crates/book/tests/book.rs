//! Behaviour of the book: each rule once, happy and unhappy, then properties over random batches.

use knop_book::*;
use proptest::prelude::*;

fn acct(id: u128, flags: u16) -> Account {
    Account::eur(id, flags)
}

fn tr(id: u128, dr: u128, cr: u128, cents: i64, flags: u16) -> Transfer {
    Transfer::eur(id, dr, cr, Cents(cents), flags)
}

fn post(id: u128, pending: u128, cents: i64) -> Transfer {
    Transfer {
        pending_id: pending,
        ..tr(id, 0, 0, cents, TransferFlags::POST_PENDING)
    }
}

fn void(id: u128, pending: u128) -> Transfer {
    Transfer {
        pending_id: pending,
        ..tr(id, 0, 0, 0, TransferFlags::VOID_PENDING)
    }
}

const LIMITED: u16 = AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS;

/// A book with account 1 (unlimited, the outside world) and 2 (limited: a household reserve).
fn book() -> Book {
    let mut b = Book::new();
    assert!(b
        .create_accounts(&[acct(1, 0), acct(2, LIMITED), acct(3, 0)], 0)
        .iter()
        .all(|r| r.is_ok()));
    b.commit();
    b
}

fn totals(b: &Book, id: u128) -> [i64; 4] {
    let a = b.account(id).unwrap();
    [
        a.debits_pending.0,
        a.debits_posted.0,
        a.credits_pending.0,
        a.credits_posted.0,
    ]
}

#[test]
fn immediate_transfer_moves_money_and_is_idempotent() {
    let mut b = book();
    assert_eq!(
        b.create_transfers(&[tr(10, 1, 2, 500, 0)], 1),
        vec![Ok(Applied::Created)]
    );
    assert_eq!(
        b.create_transfers(&[tr(10, 1, 2, 500, 0)], 2),
        vec![Ok(Applied::Exists)]
    );
    assert_eq!(totals(&b, 2), [0, 0, 0, 500]);
    assert_eq!(
        b.create_transfers(&[tr(10, 1, 2, 501, 0)], 3),
        vec![Err(Rejection::ExistsWithDifferent { field: "amount" })]
    );
    assert_eq!(totals(&b, 2), [0, 0, 0, 500]);
}

#[test]
fn limited_account_cannot_be_overdrawn() {
    let mut b = book();
    b.create_transfers(&[tr(10, 1, 2, 500, 0)], 1);
    let r = b.create_transfers(&[tr(11, 2, 3, 501, 0)], 2);
    assert_eq!(
        r,
        vec![Err(Rejection::ExceedsCredits {
            account: 2,
            available: Cents(500),
            amount: Cents(501)
        })]
    );
    assert_eq!(
        r[0].clone().unwrap_err().to_string(),
        "debit of € 5,01 exceeds the credits of account 2: € 5,00 available"
    );
    assert_eq!(
        b.create_transfers(&[tr(12, 2, 3, 500, 0)], 3),
        vec![Ok(Applied::Created)]
    );
    assert_eq!(totals(&b, 2), [0, 500, 0, 500]);
}

#[test]
fn pending_then_post_partly_releases_the_rest() {
    let mut b = book();
    b.create_transfers(
        &[
            tr(10, 1, 2, 1000, 0),
            tr(11, 2, 3, 800, TransferFlags::PENDING),
        ],
        1,
    );
    assert_eq!(totals(&b, 2), [800, 0, 0, 1000]);
    // The reservation counts against the limit.
    assert!(matches!(
        b.create_transfers(&[tr(12, 2, 3, 300, 0)], 2)[0],
        Err(Rejection::ExceedsCredits { .. })
    ));
    assert_eq!(
        b.create_transfers(&[post(13, 11, 600)], 3),
        vec![Ok(Applied::Created)]
    );
    assert_eq!(totals(&b, 2), [0, 600, 0, 1000]);
    assert_eq!(totals(&b, 3), [0, 0, 0, 600]);
    assert_eq!(
        b.create_transfers(&[post(14, 11, 0)], 4),
        vec![Err(Rejection::PendingTransferAlreadyPosted)]
    );
    assert_eq!(
        b.create_transfers(&[void(15, 11)], 4),
        vec![Err(Rejection::PendingTransferAlreadyPosted)]
    );
}

#[test]
fn post_full_void_and_errors() {
    let mut b = book();
    b.create_transfers(
        &[
            tr(10, 1, 2, 1000, 0),
            tr(11, 2, 3, 800, TransferFlags::PENDING),
            tr(12, 2, 3, 100, TransferFlags::PENDING),
        ],
        1,
    );
    assert_eq!(
        b.create_transfers(&[post(13, 11, 900)], 2),
        vec![Err(Rejection::ExceedsPendingTransferAmount)]
    );
    assert_eq!(
        b.create_transfers(
            &[Transfer {
                debit_account_id: 3,
                ..void(15, 11)
            }],
            2
        ),
        vec![Err(Rejection::PendingTransferHasDifferentDebitAccount)]
    );
    assert_eq!(
        b.create_transfers(&[post(13, 11, 0)], 2),
        vec![Ok(Applied::Created)]
    );
    assert_eq!(b.transfer(13).unwrap().resolved.amount, Cents(800));
    assert_eq!(
        b.create_transfers(
            &[Transfer {
                amount: Cents(50),
                ..void(14, 12)
            }],
            3
        ),
        vec![Err(Rejection::PendingTransferHasDifferentAmount)]
    );
    assert_eq!(
        b.create_transfers(&[void(14, 12)], 3),
        vec![Ok(Applied::Created)]
    );
    assert_eq!(totals(&b, 2), [0, 800, 0, 1000]);
    assert_eq!(
        b.create_transfers(&[post(15, 10, 0)], 4),
        vec![Err(Rejection::PendingTransferNotPending)]
    );
    assert_eq!(
        b.create_transfers(&[post(15, 99, 0)], 4),
        vec![Err(Rejection::PendingTransferNotFound)]
    );
    assert_eq!(
        b.create_transfers(&[post(15, 15, 0)], 4),
        vec![Err(Rejection::PendingIdMustBeDifferent)]
    );
    assert_eq!(
        b.create_transfers(&[post(15, 0, 0)], 4),
        vec![Err(Rejection::PendingIdMustNotBeZero)]
    );
}

#[test]
fn pending_times_out() {
    let mut b = book();
    b.create_transfers(
        &[
            tr(10, 1, 2, 1000, 0),
            Transfer {
                timeout_s: 60,
                ..tr(11, 2, 3, 800, TransferFlags::PENDING)
            },
        ],
        1_000,
    );
    b.expire(60_999);
    assert_eq!(totals(&b, 2), [800, 0, 0, 1000]);
    b.expire(61_000);
    assert_eq!(totals(&b, 2), [0, 0, 0, 1000]);
    assert_eq!(b.transfer(11).unwrap().status, PendingStatus::Expired);
    assert_eq!(
        b.create_transfers(&[post(12, 11, 0)], 61_001),
        vec![Err(Rejection::PendingTransferExpired)]
    );
    assert_eq!(
        b.create_transfers(
            &[Transfer {
                timeout_s: 5,
                ..tr(13, 1, 2, 1, 0)
            }],
            61_001
        ),
        vec![Err(Rejection::TimeoutReservedForPendingTransfer)]
    );
}

#[test]
fn linked_chain_is_all_or_nothing() {
    let mut b = book();
    let l = TransferFlags::LINKED;
    let r = b.create_transfers(
        &[
            tr(10, 1, 2, 100, l),
            tr(11, 2, 3, 100, l),
            tr(12, 2, 3, 1, 0),
            tr(13, 1, 3, 7, 0),
        ],
        1,
    );
    assert_eq!(
        r,
        vec![
            Err(Rejection::LinkedEventFailed),
            Err(Rejection::LinkedEventFailed),
            Err(Rejection::ExceedsCredits {
                account: 2,
                available: Cents(0),
                amount: Cents(1)
            }),
            Ok(Applied::Created),
        ]
    );
    assert_eq!(totals(&b, 2), [0, 0, 0, 0]);
    assert!(b.transfer(10).is_none() && b.transfer(11).is_none());
    assert_eq!(totals(&b, 3), [0, 0, 0, 7]);
    // A failure in the middle fails the events after it in the chain too.
    let r = b.create_transfers(
        &[
            tr(20, 1, 1, 5, l),
            tr(21, 1, 2, 5, l),
            tr(22, 1, 2, 5, 0),
            tr(23, 1, 2, 5, 0),
        ],
        2,
    );
    assert_eq!(r[0], Err(Rejection::AccountsMustBeDifferent));
    assert_eq!(
        r[1..3],
        [
            Err(Rejection::LinkedEventFailed),
            Err(Rejection::LinkedEventFailed)
        ]
    );
    assert_eq!(r[3], Ok(Applied::Created));
    assert_eq!(
        b.create_transfers(&[tr(30, 1, 2, 5, l)], 3),
        vec![Err(Rejection::LinkedEventChainOpen)]
    );
}

#[test]
fn validation_errors() {
    let mut b = book();
    let cases = [
        (tr(0, 1, 2, 1, 0), Rejection::IdMustNotBeZero),
        (tr(u128::MAX, 1, 2, 1, 0), Rejection::IdMustNotBeIntMax),
        (tr(5, 1, 2, -1, 0), Rejection::AmountMustNotBeNegative),
        (tr(5, 1, 2, 0, 0), Rejection::AmountMustNotBeZero),
        (tr(5, 1, 9, 1, 0), Rejection::CreditAccountNotFound),
        (tr(5, 9, 1, 1, 0), Rejection::DebitAccountNotFound),
        (tr(5, 1, 2, 1, 1 << 9), Rejection::ReservedFlag),
        (
            tr(
                5,
                1,
                2,
                1,
                TransferFlags::PENDING | TransferFlags::VOID_PENDING,
            ),
            Rejection::FlagsAreMutuallyExclusive,
        ),
        (
            Transfer {
                currency: 840,
                ..tr(5, 1, 2, 1, 0)
            },
            Rejection::TransferMustHaveTheSameCurrencyAsAccounts,
        ),
        (
            Transfer {
                pending_id: 3,
                ..tr(5, 1, 2, 1, 0)
            },
            Rejection::PendingIdMustBeZero,
        ),
    ];
    for (t, want) in cases {
        assert_eq!(
            b.create_transfers(&[t], 1),
            vec![Err(want.clone())],
            "{want}"
        );
    }
    assert_eq!(
        b.create_accounts(&[acct(1, 0)], 1),
        vec![Ok(Applied::Exists)]
    );
    assert_eq!(
        b.create_accounts(&[acct(1, LIMITED)], 1),
        vec![Err(Rejection::ExistsWithDifferent { field: "flags" })]
    );
    assert_eq!(
        b.create_accounts(
            &[acct(
                7,
                LIMITED | AccountFlags::CREDITS_MUST_NOT_EXCEED_DEBITS
            )],
            1
        ),
        vec![Err(Rejection::FlagsAreMutuallyExclusive)]
    );
    let overflow = b.create_transfers(&[tr(40, 1, 3, i64::MAX, 0), tr(41, 1, 3, 1, 0)], 1);
    assert_eq!(
        overflow,
        vec![Ok(Applied::Created), Err(Rejection::OverflowsBalance)]
    );
}

#[test]
fn encoding_round_trips() {
    let ts = vec![
        tr(1, 2, 3, 4, 5),
        Transfer {
            pending_id: 9,
            timeout_s: 7,
            user_data: 11,
            ..tr(6, 7, 8, 9, 2)
        },
    ];
    let mut w = knop_codec::Writer::new();
    encode_batch(&ts, &mut w, Transfer::encode);
    let bytes = w.finish();
    assert_eq!(bytes.len(), 4 + 98 * 2);
    let mut r = knop_codec::Reader::new(&bytes);
    assert_eq!(decode_batch(&mut r, Transfer::decode).unwrap(), ts);
    r.end().unwrap();
    let err = decode_batch(
        &mut knop_codec::Reader::new(&bytes[..100]),
        Transfer::decode,
    )
    .unwrap_err();
    assert!(err.field.starts_with("transfer."), "{err}");
}

fn arb_transfer() -> impl Strategy<Value = Transfer> {
    (
        1u128..40,
        0u128..5,
        0u128..5,
        -5i64..2000,
        0u16..16,
        0u128..40,
        0u32..3,
    )
        .prop_map(
            |(id, dr, cr, amount, flags, pending_id, timeout_s)| Transfer {
                id,
                debit_account_id: dr,
                credit_account_id: cr,
                amount: Cents(amount),
                pending_id,
                timeout_s,
                currency: EUR,
                code: 1,
                flags: TransferFlags(flags),
                user_data: 0,
            },
        )
}

fn snapshot(b: &Book) -> Vec<(u128, [i64; 4])> {
    let mut v: Vec<_> = b
        .accounts()
        .map(|a| (a.account.id, totals(b, a.account.id)))
        .collect();
    v.sort();
    v
}

proptest! {
    /// Money is conserved, limits hold, replay is deterministic, rollback restores exactly.
    #[test]
    fn invariants_hold_over_random_batches(batches in prop::collection::vec(prop::collection::vec(arb_transfer(), 1..8), 1..12)) {
        let mut b = Book::new();
        b.create_accounts(&[acct(1, 0), acct(2, LIMITED), acct(3, 0), acct(4, AccountFlags::CREDITS_MUST_NOT_EXCEED_DEBITS)], 0);
        b.commit();
        let mut replay = b.clone();
        for (i, batch) in batches.iter().enumerate() {
            let now = i as u64 * 1500;
            let before = snapshot(&b);
            let mut trial = b.clone();
            trial.expire(now);
            trial.create_transfers(batch, now);
            trial.rollback();
            prop_assert_eq!(snapshot(&trial), before.clone());

            b.expire(now);
            let results = b.create_transfers(batch, now);
            b.commit();
            replay.expire(now);
            prop_assert_eq!(replay.create_transfers(batch, now), results);
            replay.commit();
            let (mut dp, mut dpo, mut cp, mut cpo) = (0i128, 0i128, 0i128, 0i128);
            for a in b.accounts() {
                dp += a.debits_pending.0 as i128; dpo += a.debits_posted.0 as i128;
                cp += a.credits_pending.0 as i128; cpo += a.credits_posted.0 as i128;
                prop_assert!(a.debits_pending.0 >= 0 && a.credits_pending.0 >= 0);
                if a.account.flags.has(AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS) {
                    prop_assert!(a.debits_pending.0 + a.debits_posted.0 <= a.credits_posted.0);
                }
                if a.account.flags.has(AccountFlags::CREDITS_MUST_NOT_EXCEED_DEBITS) {
                    prop_assert!(a.credits_pending.0 + a.credits_posted.0 <= a.debits_posted.0);
                }
            }
            prop_assert_eq!(dp, cp);
            prop_assert_eq!(dpo, cpo);
        }
        prop_assert_eq!(snapshot(&replay), snapshot(&b));
    }
}

proptest! {
    /// A book whose transfer records go to its temporary file at every commit (all but the last
    /// page's worth, with direct I/O) answers exactly
    /// as one that keeps them in memory: the same results, totals and stored transfers, and
    /// rolling back an uncommitted batch after a spill restores it.
    #[test]
    fn spilled_book_answers_like_one_in_memory(batches in prop::collection::vec(prop::collection::vec(arb_transfer(), 1..8), 1..12)) {
        let accounts = [acct(1, 0), acct(2, LIMITED), acct(3, 0), acct(4, AccountFlags::CREDITS_MUST_NOT_EXCEED_DEBITS)];
        let mut mem = Book::new();
        let mut disk = Book::with_spill_bytes(1);
        for b in [&mut mem, &mut disk] {
            b.create_accounts(&accounts, 0);
            b.commit();
        }
        for (i, batch) in batches.iter().enumerate() {
            let now = i as u64 * 1500;
            let mut trial = disk.clone();
            trial.expire(now);
            trial.create_transfers(batch, now);
            trial.rollback();
            prop_assert_eq!(snapshot(&trial), snapshot(&disk));
            prop_assert_eq!(trial.transfer_count(), disk.transfer_count());
            mem.expire(now);
            disk.expire(now);
            prop_assert_eq!(disk.create_transfers(batch, now), mem.create_transfers(batch, now));
            mem.commit();
            disk.commit();
            prop_assert_eq!(snapshot(&disk), snapshot(&mem));
            // Everything is in the file but, with direct I/O, what does not fill a 4 KiB page
            // (fewer than 27 records of 155 bytes).
            prop_assert!(disk.transfers_spilled() + 27 > disk.transfer_count());
            for id in 0..41 {
                prop_assert_eq!(disk.transfer(id), mem.transfer(id));
            }
        }
    }
}
