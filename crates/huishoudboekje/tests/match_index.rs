//! The candidate index never leaves out a plan that `match_line` would match.

use jiff::civil::Date;
use knop_huishoudboekje::match_index::Index;
use knop_huishoudboekje::matching::{match_line, own_payments, Line, Match};
use knop_huishoudboekje::Plan;
use proptest::prelude::*;

fn d(s: &str) -> Date {
    s.parse().unwrap()
}

const REFS: [Option<&str>; 6] = [
    None,
    Some(""),
    Some("uitk 12"),
    Some("UITK12 3"),
    Some("kgb"),
    Some(" "),
];
const IBANS: [Option<&str>; 3] = [
    None,
    Some("NL86INGB0002445588"),
    Some("NL86 INGB 0002 4455 88x"),
];
const MANDATES: [&str; 3] = ["M-1", "m-1", "M-2"];
const TEXTS: [&str; 6] = [
    "",
    "uitk 123 maart",
    "UITK12 3",
    "betaling kgb",
    "x",
    "UITK 12",
];

fn plan(h: usize, incomes: &[(usize, usize, i64)], mandates: &[usize]) -> Plan {
    let mut agreements = vec![];
    for (i, &(r, b, cents)) in incomes.iter().enumerate() {
        let mut a = serde_json::json!({"id": format!("in{i}"), "kind": "income", "amount_cents": cents,
            "schedule": {"monthly": {"day": 3}}, "tolerance_cents": 100});
        if let Some(r) = REFS[r] {
            a["reference"] = r.into();
        }
        if let Some(b) = IBANS[b] {
            a["counterparty_iban"] = b.into();
        }
        agreements.push(a);
    }
    for (i, &m) in mandates.iter().enumerate() {
        agreements.push(serde_json::json!({"id": format!("dd{i}"), "kind": "fixed_cost", "amount_cents": 1000,
            "schedule": {"monthly": {"day": 5}}, "direct_debit": {"creditor_id": "NL98ZZZ999999999999", "mandate_id": MANDATES[m]}}));
    }
    agreements.push(
        serde_json::json!({"id": "huur", "kind": "fixed_cost", "amount_cents": 65000,
        "schedule": {"monthly": {"day": 1}}, "counterparty_iban": "NL44RABO0123456789"}),
    );
    serde_json::from_value(
        serde_json::json!({"opening_balance_cents": 0, "household": h.to_string(),
        "agreements": agreements}),
    )
    .unwrap()
}

fn arb_plans() -> impl Strategy<Value = Vec<Plan>> {
    prop::collection::vec(
        (
            prop::collection::vec(
                (
                    0..REFS.len(),
                    0..IBANS.len(),
                    prop::sample::select(vec![1000i64, 5000]),
                ),
                0..3,
            ),
            prop::collection::vec(0..MANDATES.len(), 0..2),
        ),
        1..6,
    )
    .prop_map(|v| {
        v.iter()
            .enumerate()
            .map(|(h, (i, m))| plan(h, i, m))
            .collect()
    })
}

proptest! {
    #[test]
    fn every_plan_that_matches_is_a_candidate(
        plans in arb_plans(),
        cents in prop::sample::select(vec![-1000i64, -65000, 1000, 5000, 7]),
        own in prop::option::of(0usize..6), mandate in prop::option::of(0..MANDATES.len()),
        iban in 0..IBANS.len(), text in 0..TEXTS.len(), day in 1i8..28,
    ) {
        let (from, through) = (d("2026-03-01"), d("2026-03-31"));
        let index = Index::build(&plans, from, through);
        let owns: Vec<_> = plans.iter().map(|p| own_payments(p, from, through)).collect();
        let e2e = own.and_then(|o| owns.get(o)).and_then(|m| m.keys().next().cloned());
        let line = Line {
            date: Some(Date::new(2026, 3, day).unwrap()),
            cents,
            end_to_end_id: e2e.map(String::from),
            mandate_id: mandate.map(|m| MANDATES[m].to_string()),
            counterparty_iban: IBANS[iban].map(str::to_string),
            remittance: Some(TEXTS[text].to_string()),
            ..Default::default()
        };
        let candidates = index.candidates(&line);
        prop_assert!(candidates.windows(2).all(|w| w[0] < w[1]), "ascending, each once");
        for (n, p) in plans.iter().enumerate() {
            if !matches!(match_line(&line, p, &owns[n]), Match::Suspense { .. }) {
                prop_assert!(candidates.contains(&(n as u32)), "plan {n} matches but is no candidate: {line:?}");
            }
        }
    }
}

#[test]
fn a_line_finds_only_its_own_household_among_many() {
    let plans: Vec<Plan> = (0..2000).map(|h| {
        serde_json::from_value(serde_json::json!({"opening_balance_cents": 0, "household": h.to_string(), "agreements": [
            {"id": "uitkering", "kind": "income", "amount_cents": 98000, "schedule": {"monthly": {"day": 2}},
             "counterparty_iban": "NL86INGB0002445588", "reference": format!("UITK {h}")},
            {"id": "zorg", "kind": "fixed_cost", "amount_cents": 14000, "schedule": {"monthly": {"day": 12}},
             "direct_debit": {"creditor_id": "NL98ZZZ999999999999", "mandate_id": format!("ZORG-{h}")}}]})).unwrap()
    }).collect();
    let index = Index::build(&plans, d("2026-03-01"), d("2026-03-31"));
    let income = Line {
        cents: 98000,
        counterparty_iban: Some("NL86INGB0002445588".into()),
        remittance: Some("Uitkering maart UITK 1234 SVB".into()),
        ..Default::default()
    };
    // "UITK1234" contains the references of households 1, 12, 123 and 1234: all candidates, and
    // the full check keeps only the one whose number is not part of a longer one.
    assert_eq!(index.candidates(&income), vec![1, 12, 123, 1234]);
    let own = std::collections::HashMap::new();
    let fit: Vec<u32> = index
        .candidates(&income)
        .into_iter()
        .filter(|&n| {
            !matches!(
                match_line(&income, &plans[n as usize], &own),
                Match::Suspense { .. }
            )
        })
        .collect();
    assert_eq!(fit, vec![1234]);
    let debit = Line {
        cents: -14000,
        mandate_id: Some("ZORG-77".into()),
        ..Default::default()
    };
    assert_eq!(index.candidates(&debit), vec![77]);
    let unknown = Line {
        cents: -14000,
        mandate_id: Some("ZORG-2000".into()),
        ..Default::default()
    };
    assert!(index.candidates(&unknown).is_empty());
}
