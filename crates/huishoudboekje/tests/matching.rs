//! Matching lines to agreements, with the reasons, and the alerts of a period.

use std::collections::HashMap;

use jiff::civil::Date;
use knop_huishoudboekje::matching::{alerts, match_line, Line, Match};
use knop_huishoudboekje::Plan;

fn d(s: &str) -> Date {
    s.parse().unwrap()
}

fn plan() -> Plan {
    serde_json::from_str(
        r#"{"opening_balance_cents": 0, "agreements": [
        {"id": "svb", "kind": "income", "amount_cents": 140150, "schedule": {"monthly": {"day": 23}},
         "counterparty_iban": "NL86INGB0002445588", "reference": "Participatiewet", "tolerance_cents": 500, "tolerance_days": 4},
        {"id": "toeslagen", "kind": "income", "amount_cents": 38000, "schedule": {"monthly": {"day": 20}},
         "counterparty_iban": "NL86 INGB 0002 4455 88", "reference": "huurtoeslag", "tolerance_cents": 1000},
        {"id": "uwv", "kind": "income", "amount_cents": 50000, "schedule": {"monthly": {"day": 10}}, "counterparty_iban": "NL02ABNA0123456789"},
        {"id": "zorg", "kind": "fixed_cost", "amount_cents": 14500, "schedule": {"monthly": {"day": 1}},
         "direct_debit": {"creditor_id": "NL98ZZZ999999999999", "mandate_id": "ZK-123"}, "tolerance_cents": 100},
        {"id": "huur", "kind": "fixed_cost", "amount_cents": 65000, "schedule": {"monthly": {"day": 1}}}
    ]}"#,
    )
    .unwrap()
}

fn credit(date: &str, cents: i64, iban: &str, text: &str) -> Line {
    Line {
        date: Some(d(date)),
        cents,
        counterparty_iban: Some(iban.into()),
        remittance: Some(text.into()),
        ..Default::default()
    }
}

#[test]
fn each_kind_of_evidence() {
    let p = plan();
    let own = HashMap::from([("KNOP-R1-huur".parse().unwrap(), "huur".to_string())]);
    let m = |l: &Line| match_line(l, &p, &own);

    let svb = credit(
        "2026-03-23",
        140150,
        "NL86INGB0002445588",
        "Uitkering Participatiewet maart",
    );
    assert_eq!(
        m(&svb),
        Match::Income {
            agreement: "svb".into(),
            due: d("2026-03-23"),
            problems: vec![]
        }
    );

    // Same payer, other reference: the reference decides; 30 euro short is a problem, not a guess.
    let ht = credit(
        "2026-03-20",
        35000,
        "NL86INGB0002445588",
        "Voorschot HUURTOESLAG 2026",
    );
    let Match::Income {
        agreement,
        problems,
        ..
    } = m(&ht)
    else {
        panic!("{:?}", m(&ht))
    };
    assert_eq!(agreement, "toeslagen");
    assert!(problems[0].contains("wijkt -3000 cent af"), "{problems:?}");

    let own_payment = Line {
        date: Some(d("2026-02-27")),
        cents: -65000,
        end_to_end_id: Some("KNOP-R1-huur".into()),
        ..Default::default()
    };
    assert_eq!(
        m(&own_payment),
        Match::OwnPayment {
            agreement: "huur".into()
        }
    );

    let dd_ok = Line {
        date: Some(d("2026-03-02")),
        cents: -14500,
        mandate_id: Some("ZK-123".into()),
        creditor_id: Some("NL98ZZZ999999999999".into()),
        ..Default::default()
    };
    assert_eq!(
        m(&dd_ok),
        Match::DirectDebit {
            agreement: "zorg".into(),
            problems: vec![]
        }
    );
    let dd_bad = Line {
        cents: -19900,
        creditor_id: Some("NL11ZZZ111111111111".into()),
        ..dd_ok.clone()
    };
    let Match::DirectDebit { problems, .. } = m(&dd_bad) else {
        panic!()
    };
    assert_eq!(problems.len(), 3, "{problems:?}");
    assert!(problems[2].contains("terugboeking"));

    let unknown_debit = Line {
        date: Some(d("2026-03-05")),
        cents: -2500,
        mandate_id: Some("X-9".into()),
        ..Default::default()
    };
    assert!(matches!(m(&unknown_debit), Match::Suspense { .. }));
    let unknown_credit = credit("2026-03-05", 1234, "NL20INGB0001234567", "gift");
    assert!(matches!(m(&unknown_credit), Match::Suspense { .. }));
}

#[test]
fn alerts_for_the_period() {
    let p = plan();
    let own = HashMap::new();
    let lines = vec![
        credit(
            "2026-03-23",
            140150,
            "NL86INGB0002445588",
            "Participatiewet",
        ),
        credit(
            "2026-03-24",
            140150,
            "NL86INGB0002445588",
            "Participatiewet",
        ),
        Line {
            date: Some(d("2026-03-05")),
            cents: -2500,
            mandate_id: Some("X-9".into()),
            ..Default::default()
        },
    ];
    let matched: Vec<_> = lines
        .into_iter()
        .map(|l| {
            let m = match_line(&l, &p, &own);
            (l, m)
        })
        .collect();
    let all = alerts(&p, &matched, d("2026-03-01"), d("2026-03-31"));
    let text: Vec<String> = all
        .iter()
        .map(|a| format!("{:?}: {}", a.agreement, a.message))
        .collect();
    // The benefit twice for one month, the unexpected debit, the missing UWV income of 10 March
    // and the missing huurtoeslag of 20 March.
    assert!(
        text.iter()
            .any(|t| t.contains("svb") && t.contains("2 keer")),
        "{text:#?}"
    );
    assert!(
        text.iter().any(|t| t.contains("onbekende machtiging X-9")),
        "{text:#?}"
    );
    assert!(
        text.iter()
            .any(|t| t.contains("uwv") && t.contains("2026-03-10")),
        "{text:#?}"
    );
    assert!(
        text.iter()
            .any(|t| t.contains("toeslagen") && t.contains("2026-03-20")),
        "{text:#?}"
    );
    assert_eq!(all.len(), 4, "{text:#?}");
}

#[test]
fn own_payments_are_found_by_their_end_to_end_id() {
    let p = plan();
    let id = knop_huishoudboekje::matching::end_to_end_id("huur", d("2026-04-01"));
    assert!(id.starts_with("KNOP-20260401-") && id.len() <= 35, "{id}");
    assert_eq!(
        id,
        knop_huishoudboekje::matching::end_to_end_id("huur", d("2026-04-01"))
    );
    let own = knop_huishoudboekje::matching::own_payments(&p, d("2026-04-01"), d("2026-04-30"));
    assert_eq!(own.get(&id).map(String::as_str), Some("huur"));
    assert_eq!(
        own.len(),
        1,
        "direct debits and incomes have no EndToEndId of ours"
    );
}

#[test]
fn the_attempts_made_of_a_payment_are_its_own_payments_too() {
    use knop_huishoudboekje::matching::{own_payments_and_attempts, retry_end_to_end_id};
    let p = plan();
    let (from, through) = (d("2026-04-01"), d("2026-04-30"));
    let first = knop_huishoudboekje::matching::end_to_end_id("huur", d("2026-04-01"));
    let (second, third) = (
        retry_end_to_end_id(&first, 1),
        retry_end_to_end_id(&first, 2),
    );
    // Attempts 1 and 2 were reserved (the first two were rejected): both are the rent's.
    let made = [first.clone(), second.clone(), third.clone()];
    let own = own_payments_and_attempts(&p, from, through, |id| made.iter().any(|m| m == id));
    for id in [&first, &second, &third] {
        assert_eq!(own.get(id).map(String::as_str), Some("huur"), "{id}");
    }
    assert!(!own.contains_key(&retry_end_to_end_id(&first, 3)));
    // Nothing made: only the first attempts, as own_payments gives them.
    assert_eq!(
        own_payments_and_attempts(&p, from, through, |_| false),
        knop_huishoudboekje::matching::own_payments(&p, from, through)
    );
}

#[test]
fn a_returned_payment_is_recognised_and_raises_an_alert() {
    let p = plan();
    let own = knop_huishoudboekje::matching::own_payments(&p, d("2026-04-01"), d("2026-04-30"));
    let e2e = knop_huishoudboekje::matching::end_to_end_id("huur", d("2026-04-01"));
    let back = Line {
        date: Some(d("2026-04-03")),
        cents: 65000,
        end_to_end_id: Some(e2e.into_string()),
        return_reason: Some("AC04".into()),
        reversal: true,
        ..Default::default()
    };
    let m = match_line(&back, &p, &own);
    assert_eq!(
        m,
        Match::Returned {
            agreement: "huur".into(),
            reason: Some("AC04".into())
        }
    );
    let all = alerts(&p, &[(back, m)], d("2026-04-01"), d("2026-04-03"));
    assert!(
        all.iter()
            .any(|a| a.message.contains("teruggekomen (reden AC04)")),
        "{all:?}"
    );
}

#[test]
fn a_reference_is_not_found_inside_a_longer_number() {
    let plan: Plan = serde_json::from_str(
        r#"{"opening_balance_cents": 0, "agreements": [
        {"id": "uitkering", "kind": "income", "amount_cents": 98000, "schedule": {"monthly": {"day": 2}},
         "counterparty_iban": "NL86INGB0002445588", "reference": "UITK 12", "tolerance_cents": 100}]}"#,
    )
    .unwrap();
    let own = HashMap::new();
    let fits = |text: &str| {
        !matches!(
            match_line(
                &credit("2026-03-02", 98000, "NL86INGB0002445588", text),
                &plan,
                &own
            ),
            Match::Suspense { .. }
        )
    };
    // Another household's case number that starts or ends with this one's.
    assert!(!fits("Uitkering maart UITK 123"));
    assert!(!fits("UITK 412 maart"));
    assert!(!fits("uitk1212"));
    // Spacing and case are free, and words or other numbers may follow after a space.
    assert!(fits("Uitkering maart UITK 12"));
    assert!(fits("uitk12"));
    assert!(fits("UITK 1 2 maart"));
    assert!(fits("UITK 12 2026-03"));
    assert!(fits("UITK12MAART"));
    assert!(!fits("UITK 1"));
    assert!(!fits(""));
}

proptest::proptest! {
    /// Any text and reference: no panic, and a reference found is a substring of the text once
    /// whitespace is removed and case ignored.
    #[test]
    fn reference_search_is_total_and_sound(text in "[ a-zA-Z0-9ßé]{0,30}", reference in "[ a-zA-Z0-9ß]{0,8}") {
        let squash = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_uppercase();
        if knop_huishoudboekje::matching::reference_in(&text, &reference) {
            proptest::prop_assert!(squash(&text).contains(&squash(&reference)));
        }
    }
}

#[test]
fn a_direct_debit_coming_back_is_matched_by_its_mandate_and_raises_an_alert() {
    let p = plan();
    let own = HashMap::new();
    // The refund of the 199 euro debited under ZK-123 (asked for, as the mismatch said).
    let refund = Line {
        date: Some(d("2026-03-09")),
        cents: 19900,
        mandate_id: Some("ZK-123".into()),
        creditor_id: Some("NL98ZZZ999999999999".into()),
        reversal: true,
        ..Default::default()
    };
    let m = match_line(&refund, &p, &own);
    assert_eq!(
        m,
        Match::DirectDebitRefund {
            agreement: "zorg".into()
        }
    );
    let found = alerts(&p, &[(refund.clone(), m)], d("2026-03-01"), d("2026-03-09"));
    let zorg: Vec<_> = found
        .iter()
        .filter(|a| a.agreement.as_deref() == Some("zorg"))
        .collect();
    assert_eq!(zorg.len(), 1, "{found:?}");
    assert!(
        zorg[0].message.contains("19900 cent is teruggeboekt"),
        "{found:?}"
    );
    // A credit under a mandate no agreement has is matched as any credit: here, to nothing.
    let unknown = Line {
        mandate_id: Some("X-9".into()),
        ..refund
    };
    assert!(matches!(
        match_line(&unknown, &p, &own),
        Match::Suspense { .. }
    ));
}
