//! Choosing what a payment run pays: the payments whose execution date (the TARGET2 business day
//! on or before the due date) is the run's date, paid in priority order as far as the money
//! reaches. A payment that cannot be covered in full is not paid in part: it is named, so a
//! counsellor can act before the due date.

use jiff::civil::Date;
use jiff::ToSpan;

use crate::calendar::previous_business_day;
use crate::{Category, Kind, Plan};

/// One payment in a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The agreement paid.
    pub agreement: String,
    /// Its due date.
    pub due: Date,
    /// Amount in cents.
    pub cents: i64,
    /// Deterministic EndToEndId ([`end_to_end_id`]): a retried run pays nothing twice at the bank
    /// either, as the bank statement leads back to the same agreement and due date.
    pub end_to_end_id: knop_bank::EndToEndId,
    /// Payee IBAN.
    pub creditor_iban: String,
    /// Payee name (the agreement's label, or its id).
    pub creditor_name: String,
    /// Remittance information (the agreement's reference).
    pub remittance: String,
    category: Category,
}

/// What a run for one date pays and what it cannot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// The payments, in priority order.
    pub items: Vec<Item>,
    /// Payments due now that the money does not cover: (agreement, due date, cents).
    pub not_covered: Vec<(String, Date, i64)>,
    /// Payments due now without a payee IBAN (cannot go in a file): (agreement, due date).
    pub no_iban: Vec<(String, Date)>,
}

/// The direct debits of `plan` that creditors collect on `date` (the business day before their
/// due date, as a run would pay them): (agreement, due date, cents). A run leaves them out —
/// the creditor collects — and says so.
pub fn collected(plan: &Plan, date: Date) -> Vec<(String, Date, i64)> {
    let week = date.saturating_add(7.days());
    let mut out = vec![];
    for a in plan
        .agreements
        .iter()
        .filter(|a| a.kind != Kind::Income && a.direct_debit.is_some())
    {
        let lo = a.valid_from.map_or(date, |v| v.max(date));
        let hi = a.valid_through.map_or(week, |v| v.min(week));
        a.schedule.for_each_occurrence(lo, hi, |d| {
            if previous_business_day(d) == date {
                out.push((a.id.clone(), d, a.amount_cents));
            }
        });
    }
    out.sort();
    out
}

/// Selects the payments of `plan` to execute on `date` with `available_cents`.
pub fn select(plan: &Plan, date: Date, available_cents: i64) -> Selection {
    let mut due = vec![];
    let mut no_iban = vec![];
    // The week ahead, worked out once: a run asks it of every household.
    let week = date.saturating_add(7.days());
    for a in plan
        .agreements
        .iter()
        .filter(|a| a.kind != Kind::Income && a.direct_debit.is_none())
    {
        let (lo, hi) = (date, week);
        let lo = a.valid_from.map_or(lo, |v| v.max(lo));
        let hi = a.valid_through.map_or(hi, |v| v.min(hi));
        a.schedule.for_each_occurrence(lo, hi, |d| {
            if previous_business_day(d) != date {
                return;
            }
            match &a.counterparty_iban {
                Some(iban) => due.push(Item {
                    agreement: a.id.clone(),
                    due: d,
                    cents: a.amount_cents,
                    end_to_end_id: plan.end_to_end_id(&a.id, d),
                    creditor_iban: iban.clone(),
                    creditor_name: a.payee_name().to_owned(),
                    remittance: a.reference.clone().unwrap_or_default(),
                    category: a.category(),
                }),
                None => no_iban.push((a.id.clone(), d)),
            }
        });
    }
    due.sort_by(|x, y| (x.category, x.due, &x.agreement).cmp(&(y.category, y.due, &y.agreement)));
    let mut left = available_cents.max(0);
    let (mut items, mut not_covered) = (vec![], vec![]);
    for item in due {
        if item.cents <= left {
            left -= item.cents;
            items.push(item);
        } else {
            not_covered.push((item.agreement.clone(), item.due, item.cents));
        }
    }
    Selection {
        items,
        not_covered,
        no_iban,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direct_debits_are_listed_for_the_day_they_are_collected_not_paid() {
        let plan: Plan = serde_json::from_value(serde_json::json!({
            "opening_balance_cents": 0,
            "agreements": [
                {"id": "zorg", "kind": "fixed_cost", "amount_cents": 32000, "schedule": {"monthly": {"day": 1}},
                 "direct_debit": {"creditor_id": "NL55ZZZ555555550000", "mandate_id": "ZV-1"}},
                {"id": "huur", "kind": "fixed_cost", "amount_cents": 80000, "schedule": {"monthly": {"day": 1}},
                 "counterparty_iban": "NL44RABO0123456789"}
            ]
        }))
        .unwrap();
        // 1 January 2027 is a holiday: both fall on 31 December.
        let d: Date = "2026-12-31".parse().unwrap();
        assert_eq!(
            collected(&plan, d),
            vec![("zorg".to_owned(), "2027-01-01".parse().unwrap(), 32000)]
        );
        let s = select(&plan, d, 1_000_000);
        assert_eq!(
            s.items
                .iter()
                .map(|i| i.agreement.as_str())
                .collect::<Vec<_>>(),
            ["huur"]
        );
        assert!(collected(&plan, "2026-12-30".parse().unwrap()).is_empty());
    }

    #[test]
    fn a_payment_names_the_creditor_else_the_label_else_the_id() {
        let plan: Plan = serde_json::from_value(serde_json::json!({
            "opening_balance_cents": 0,
            "agreements": [
                {"id": "huur", "label": "Huur", "creditor_name": "Woonstichting Mitros", "kind": "fixed_cost",
                 "amount_cents": 80000, "schedule": {"monthly": {"day": 2}}, "counterparty_iban": "NL44RABO0123456789"},
                {"id": "gemeente", "label": "Gemeentelijke belastingen", "kind": "fixed_cost",
                 "amount_cents": 4200, "schedule": {"monthly": {"day": 2}}, "counterparty_iban": "NL02ABNA0123456789"},
                {"id": "duo", "kind": "debt_arrangement",
                 "amount_cents": 5000, "schedule": {"monthly": {"day": 2}}, "counterparty_iban": "NL02ABNA0123456789"}
            ]
        }))
        .unwrap();
        let s = select(&plan, "2026-03-02".parse().unwrap(), 1_000_000);
        let mut names: Vec<(&str, &str)> = s
            .items
            .iter()
            .map(|i| (i.agreement.as_str(), i.creditor_name.as_str()))
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                ("duo", "duo"),
                ("gemeente", "Gemeentelijke belastingen"),
                ("huur", "Woonstichting Mitros")
            ]
        );
    }

    #[test]
    fn pays_what_is_due_on_the_business_day_in_priority_order() {
        let plan: Plan = serde_json::from_str(
            r#"{"opening_balance_cents": 0, "agreements": [
            {"id": "leefgeld", "kind": "living_money", "amount_cents": 7500, "schedule": {"weekly": {"weekday": "monday"}}, "counterparty_iban": "NL91ABNA0417164300"},
            {"id": "huur", "kind": "fixed_cost", "category": "housing", "amount_cents": 85000, "schedule": {"monthly": {"day": 1}}, "counterparty_iban": "NL44RABO0123456789", "reference": "Huur"},
            {"id": "energie", "kind": "fixed_cost", "category": "energy_water", "amount_cents": 12000, "schedule": {"monthly": {"day": 1}}},
            {"id": "zorg", "kind": "fixed_cost", "amount_cents": 14500, "schedule": {"monthly": {"day": 1}}, "direct_debit": {"creditor_id": "NL98ZZZ999999999999", "mandate_id": "Z"}}
        ]}"#,
        )
        .unwrap();
        let d = |s: &str| s.parse::<Date>().unwrap();
        // 1 March 2026 is a Sunday: rent due then goes out on Friday 27 February. Living money
        // due Monday 2 March goes out that day, not in this run. Energy has no IBAN; health
        // insurance is a direct debit.
        let s = select(&plan, d("2026-02-27"), 100000);
        assert_eq!(
            s.items
                .iter()
                .map(|i| i.agreement.as_str())
                .collect::<Vec<_>>(),
            ["huur"]
        );
        assert_eq!(s.items[0].due, d("2026-03-01"));
        assert_eq!(s.no_iban, vec![("energie".to_string(), d("2026-03-01"))]);
        // Not enough for the rent: nothing paid in part, the rent is named.
        let poor = select(&plan, d("2026-02-27"), 50000);
        assert!(poor.items.is_empty());
        assert_eq!(
            poor.not_covered,
            vec![("huur".to_string(), d("2026-03-01"), 85000)]
        );
        // Monday 2 March: the living money.
        assert_eq!(
            select(&plan, d("2026-03-02"), 100000).items[0].agreement,
            "leefgeld"
        );
    }
}
