//! Allocating income by the budget plan: reserve for the payments coming up, in priority order —
//! housing, energy and water, health insurance, other fixed costs, debt arrangements — then
//! living money; what is left is buffer. A payment that cannot be covered is named, with what is
//! missing, before its due date (an alert for the counsellor), instead of failing at the bank.

use jiff::civil::Date;

use crate::{Category, Kind, Plan};

/// Money set aside for one payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    /// The agreement.
    pub agreement: String,
    /// Its category.
    pub category: Category,
    /// The due date.
    pub due: Date,
    /// The amount due, in cents.
    pub due_cents: i64,
    /// The amount reserved for it, in cents.
    pub reserved_cents: i64,
}

/// The outcome of an allocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocation {
    /// Reservations in the order they were served.
    pub reservations: Vec<Reservation>,
    /// What is left after every payment in the period: the buffer, in cents.
    pub buffer_cents: i64,
}

impl Allocation {
    /// The payments not fully covered: (agreement, due date, cents missing).
    pub fn shortfalls(&self) -> Vec<(&str, Date, i64)> {
        self.reservations
            .iter()
            .filter(|r| r.reserved_cents < r.due_cents)
            .map(|r| (r.agreement.as_str(), r.due, r.due_cents - r.reserved_cents))
            .collect()
    }
}

/// Allocates `available_cents` over the plan's payments due in `from..=through`, by category,
/// then due date, then agreement id (so the result never depends on input order).
pub fn allocate(plan: &Plan, available_cents: i64, from: Date, through: Date) -> Allocation {
    let mut due: Vec<Reservation> = plan
        .agreements
        .iter()
        .filter(|a| a.kind != Kind::Income)
        .flat_map(|a| {
            let lo = a.valid_from.map_or(from, |v| v.max(from));
            let hi = a.valid_through.map_or(through, |v| v.min(through));
            a.schedule
                .occurrences(lo, hi)
                .into_iter()
                .map(move |d| Reservation {
                    agreement: a.id.clone(),
                    category: a.category(),
                    due: d,
                    due_cents: a.amount_cents,
                    reserved_cents: 0,
                })
        })
        .collect();
    due.sort_by(|x, y| (x.category, x.due, &x.agreement).cmp(&(y.category, y.due, &y.agreement)));
    let mut left = available_cents.max(0);
    for r in &mut due {
        r.reserved_cents = r.due_cents.min(left);
        left -= r.reserved_cents;
    }
    Allocation {
        reservations: due,
        buffer_cents: left,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> Plan {
        serde_json::from_str(
            r#"{"opening_balance_cents": 0, "agreements": [
            {"id": "leefgeld", "kind": "living_money", "amount_cents": 7500, "schedule": {"weekly": {"weekday": "monday"}}},
            {"id": "schuld", "kind": "debt_arrangement", "amount_cents": 5000, "schedule": {"monthly": {"day": 15}}},
            {"id": "zorg", "kind": "fixed_cost", "category": "health_insurance", "amount_cents": 14500, "schedule": {"monthly": {"day": 1}}},
            {"id": "energie", "kind": "fixed_cost", "category": "energy_water", "amount_cents": 12000, "schedule": {"monthly": {"day": 28}}},
            {"id": "huur", "kind": "fixed_cost", "category": "housing", "amount_cents": 85000, "schedule": {"monthly": {"day": 1}}},
            {"id": "loon", "kind": "income", "amount_cents": 120000, "schedule": {"monthly": {"day": 24}}}
        ]}"#,
        )
        .unwrap()
    }

    #[test]
    fn housing_first_living_money_last_rest_is_buffer() {
        let d = |s: &str| s.parse::<Date>().unwrap();
        // Income of 1,200 for April: rent 850, energy 120, health 145 = 1,115; then debt 50
        // (of 50), then living money 35 of 4 x 75 = 300.
        let a = allocate(&plan(), 120000, d("2026-04-01"), d("2026-04-30"));
        let order: Vec<&str> = a
            .reservations
            .iter()
            .map(|r| r.agreement.as_str())
            .collect();
        assert_eq!(
            &order[..5],
            ["huur", "energie", "zorg", "schuld", "leefgeld"]
        );
        assert_eq!(a.reservations[3].reserved_cents, 5000);
        assert_eq!(a.reservations[4].reserved_cents, 3500);
        assert_eq!(a.buffer_cents, 0);
        let short = a.shortfalls();
        assert_eq!(short[0], ("leefgeld", d("2026-04-06"), 4000));
        assert_eq!(short.len(), 4);
        // Enough money: everything covered, the rest is buffer.
        let rich = allocate(&plan(), 200000, d("2026-04-01"), d("2026-04-30"));
        assert!(rich.shortfalls().is_empty());
        assert_eq!(
            rich.buffer_cents,
            200000 - 85000 - 12000 - 14500 - 5000 - 4 * 7500
        );
    }
}
