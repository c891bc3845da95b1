//! The forecast: business days, clamped month ends, validity periods, late income, bad plans.

use jiff::civil::Date;
use knop_huishoudboekje::{forecast, BudgetError, Plan};
use proptest::prelude::*;

fn d(s: &str) -> Date {
    s.parse().unwrap()
}

fn plan(json: &str) -> Plan {
    serde_json::from_str(json).unwrap()
}

#[test]
fn payments_go_out_on_the_business_day_before_and_income_arrives_after() {
    let p = plan(
        r#"{"opening_balance_cents": 100000, "agreements": [
        {"id": "huur", "kind": "fixed_cost", "amount_cents": 65000, "schedule": {"once": {"date": "2026-04-06"}}},
        {"id": "svb", "kind": "income", "amount_cents": 30000, "schedule": {"once": {"date": "2026-04-04"}}}
    ]}"#,
    );
    let f = forecast(&p, d("2026-04-01"), 10).unwrap();
    // Easter Monday 6 April and Good Friday 3 April are closed: rent leaves Thursday 2 April;
    // income due on Saturday 4 April arrives Tuesday 7 April.
    let dates: Vec<_> = f
        .flows
        .iter()
        .map(|x| (x.agreement.as_str(), x.date.to_string()))
        .collect();
    assert_eq!(
        dates,
        vec![
            ("huur", "2026-04-02".to_string()),
            ("svb", "2026-04-07".to_string())
        ]
    );
    assert_eq!(f.days[1], (d("2026-04-02"), 35000));
    assert_eq!(f.days.last().unwrap().1, 65000);
    assert_eq!(f.first_shortfall, None);
}

#[test]
fn late_allowance_shows_the_first_shortfall() {
    // Huurtoeslag starts 8 weeks late (valid_from): until then rent and living money outrun income.
    let p = plan(
        r#"{"opening_balance_cents": 30000, "agreements": [
        {"id": "loon", "kind": "income", "amount_cents": 120000, "schedule": {"monthly": {"day": 24}}},
        {"id": "huurtoeslag", "kind": "income", "amount_cents": 38000, "schedule": {"monthly": {"day": 20}}, "valid_from": "2026-03-01"},
        {"id": "huur", "kind": "fixed_cost", "amount_cents": 85000, "schedule": {"monthly": {"day": 1}}},
        {"id": "energie", "kind": "fixed_cost", "amount_cents": 12000, "schedule": {"monthly": {"day": 31}}},
        {"id": "leefgeld", "kind": "living_money", "amount_cents": 7500, "schedule": {"weekly": {"weekday": "monday"}}}
    ]}"#,
    );
    let f = forecast(&p, d("2026-01-01"), 90).unwrap();
    let s = f
        .first_shortfall
        .expect("a shortfall before the allowance starts");
    assert_eq!(
        s,
        knop_huishoudboekje::Shortfall {
            date: d("2026-02-23"),
            balance_cents: -7000
        }
    );
    assert!(s.balance_cents < 0);
    // Energy due on the 31st is paid on the last business day of February (day 28 is a Saturday).
    assert!(f
        .flows
        .iter()
        .any(|x| x.agreement == "energie" && x.date == d("2026-02-27")));
    // Without the delay there would be no shortfall before March.
    let on_time = p.agreements.iter().cloned().map(|mut a| {
        a.valid_from = None;
        a
    });
    let p2 = Plan {
        opening_balance_cents: p.opening_balance_cents,
        agreements: on_time.collect(),
        household: None,
    };
    let f2 = forecast(&p2, d("2026-01-01"), 90).unwrap();
    assert!(
        f2.first_shortfall.is_none_or(|x| x.date > s.date),
        "{:?}",
        f2.first_shortfall
    );
}

#[test]
fn bad_plans_are_refused_precisely() {
    let one =
        |agreement: &str| format!(r#"{{"opening_balance_cents": 0, "agreements": [{agreement}]}}"#);
    let zero = plan(&one(
        r#"{"id": "x", "kind": "income", "amount_cents": 0, "schedule": {"monthly": {"day": 1}}}"#,
    ));
    assert!(forecast(&zero, d("2026-01-01"), 90)
        .unwrap_err()
        .to_string()
        .starts_with("agreement \"x\": amount must be"));
    let day32 = plan(&one(
        r#"{"id": "y", "kind": "income", "amount_cents": 5, "schedule": {"monthly": {"day": 32}}}"#,
    ));
    assert!(forecast(&day32, d("2026-01-01"), 90)
        .unwrap_err()
        .to_string()
        .contains("1-31"));
    let backwards = plan(&one(
        r#"{"id": "z", "kind": "income", "amount_cents": 5, "schedule": {"monthly": {"day": 3}}, "valid_from": "2026-05-01", "valid_through": "2026-04-01"}"#,
    ));
    assert!(forecast(&backwards, d("2026-01-01"), 90).is_err());
    let ok = plan(&one(
        r#"{"id": "w", "kind": "income", "amount_cents": 5, "schedule": {"monthly": {"day": 3}}}"#,
    ));
    assert_eq!(
        forecast(&ok, d("2026-01-01"), 0).unwrap_err(),
        BudgetError::Window(0)
    );
    assert_eq!(
        forecast(&ok, d("2026-01-01"), 401).unwrap_err(),
        BudgetError::Window(401)
    );
    assert!(serde_json::from_str::<Plan>(&one(
        r#"{"id": "v", "kind": "gift", "amount_cents": 5, "schedule": {"monthly": {"day": 3}}}"#
    ))
    .is_err());
    assert!(serde_json::from_str::<Plan>(&one(
        r#"{"id": "v", "kind": "income", "amount_cents": 5, "schedule": {"daily": {}}}"#
    ))
    .is_err());
}

proptest! {
    /// The last day's balance is the opening balance plus every booking; bookings are on business
    /// days inside the window.
    #[test]
    fn balances_add_up(opening in -100_000i64..100_000, amounts in prop::collection::vec((1i64..200_000, 1i8..=31, any::<bool>()), 1..8), start_day in 0i64..700, days in 1u32..200) {
        let agreements = amounts.iter().enumerate().map(|(i, (a, day, income))| {
            format!(r#"{{"id": "a{i}", "kind": "{}", "amount_cents": {a}, "schedule": {{"monthly": {{"day": {day}}}}}}}"#, if *income { "income" } else { "fixed_cost" })
        }).collect::<Vec<_>>().join(",");
        let p = plan(&format!(r#"{{"opening_balance_cents": {opening}, "agreements": [{agreements}]}}"#));
        let start = d("2025-01-01").checked_add(jiff::Span::new().days(start_day)).unwrap();
        let f = forecast(&p, start, days).unwrap();
        let total: i64 = f.flows.iter().map(|x| x.cents).sum();
        prop_assert_eq!(f.days.last().unwrap().1, opening + total);
        prop_assert_eq!(f.days.len(), days as usize);
        for x in &f.flows {
            prop_assert!(knop_huishoudboekje::calendar::is_business_day(x.date));
            prop_assert!(x.date >= start && x.date <= f.days.last().unwrap().0);
        }
    }
}
