//! Reads one large camt.053 statement many times and prints the speed: a quick check of the
//! parser's throughput (`cargo run --release -p knop-bank --example camt_speed [ENTRIES] [ROUNDS]`;
//! with `CAMT_OUT=FILE` the statement is also written there). Under
//! `valgrind --tool=callgrind` it counts instructions, which unlike seconds repeat exactly.

use knop_bank::camt053::{parse, write_v02, Balance, Details, Entry, Statement};

fn main() {
    let mut args = std::env::args().skip(1);
    let entries: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(35_000);
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(20);
    let list: Vec<Entry> = (0..entries)
        .map(|i| {
            let debit = i % 7 >= 3;
            Entry {
                reference: None,
                cents: if debit { -12_000 } else { 98_000 + i as i64 },
                currency: "EUR".into(),
                reversal: false,
                status: "BOOK".into(),
                booking_date: Some("2026-03-02".into()),
                value_date: Some("2026-03-02".into()),
                servicer_reference: Some(format!("M1-{i}").into()),
                bank_code: None,
                details: vec![Details {
                    mandate_id: debit.then(|| format!("energie-{i}").into()),
                    creditor_id: debit.then(|| "NL98ZZZ999999999999".into()),
                    counterparty_name: Some("Uitvoerder".into()),
                    counterparty_iban: Some("NL86INGB0002445588".into()),
                    remittance: Some(format!("UITK {i:08}").into()),
                    ..Default::default()
                }],
                line: 0,
            }
        })
        .collect();
    let total: i64 = list.iter().map(|e| e.cents).sum();
    let stmt = Statement {
        id: "S".into(),
        sequence: None,
        created: None,
        account: Some("NL91ABNA0417164300".into()),
        currency: Some("EUR".into()),
        balances: vec![
            Balance::eur("OPBD", 0, "2026-03-01"),
            Balance::eur("CLBD", total, "2026-03-31"),
        ],
        entries: list,
        line: 0,
    };
    let xml = write_v02(&stmt, "M", "2026-03-31T18:00:00");
    if let Ok(p) = std::env::var("CAMT_OUT") {
        std::fs::write(p, &xml).expect("write");
    }
    let t0 = std::time::Instant::now();
    let mut n = 0;
    for _ in 0..rounds {
        let f = parse(&xml).expect("the example's statement parses");
        n += f.statements[0].entries.len();
    }
    let s = t0.elapsed().as_secs_f64();
    println!(
        "{} bytes/file, {n} entries in {s:.3} s: {:.0} ns/entry, {:.0} MB/s",
        xml.len(),
        s * 1e9 / n as f64,
        (xml.len() * rounds) as f64 / s / 1e6
    );
}
