//! When an agreement falls due: monthly on a day (29-31 clamp to the month's end), weekly,
//! every N weeks, quarterly, yearly, or once. Due dates are nominal; [`crate::calendar`] moves
//! them to a TARGET2 business day.

use jiff::civil::{Date, Weekday};
use jiff::ToSpan;
use serde::{Deserialize, Serialize};

use crate::BudgetError;

/// A recurrence, as entered in an agreement (JSON: `{"monthly": {"day": 28}}` and so on).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Schedule {
    /// Every month on `day` (1-31); days past the month's end fall on its last day.
    Monthly {
        /// Day of the month.
        day: i8,
    },
    /// Every week on `weekday`.
    Weekly {
        /// Day of the week.
        weekday: Day,
    },
    /// Every `n` weeks, counting from `first`.
    EveryNWeeks {
        /// Interval in weeks (1-52).
        n: i32,
        /// The first due date.
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
        first: Date,
    },
    /// Every three months, counting from `first` (the day clamps like monthly).
    Quarterly {
        /// The first due date.
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
        first: Date,
    },
    /// Every year on `month`/`day` (29 February falls on 28 February in other years).
    Yearly {
        /// Month, 1-12.
        month: i8,
        /// Day, 1-31.
        day: i8,
    },
    /// Once, on `date`.
    Once {
        /// The date.
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
        date: Date,
    },
}

/// A day of the week as entered (`"monday"` ... `"sunday"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
#[allow(missing_docs)]
pub enum Day {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl From<Day> for Weekday {
    fn from(d: Day) -> Weekday {
        match d {
            Day::Monday => Weekday::Monday,
            Day::Tuesday => Weekday::Tuesday,
            Day::Wednesday => Weekday::Wednesday,
            Day::Thursday => Weekday::Thursday,
            Day::Friday => Weekday::Friday,
            Day::Saturday => Weekday::Saturday,
            Day::Sunday => Weekday::Sunday,
        }
    }
}

/// The `day` of `year`/`month`, or the month's last day when it has fewer days.
pub fn clamped(year: i16, month: i8, day: i8) -> Date {
    let first = Date::new(year, month, 1).expect("valid month");
    Date::new(year, month, day.min(first.days_in_month())).expect("day clamped to the month")
}

fn add_months(first: Date, months: i32) -> Option<Date> {
    let total = i32::from(first.year()) * 12 + i32::from(first.month()) - 1 + months;
    let (y, m) = (
        i16::try_from(total.div_euclid(12)).ok()?,
        (total.rem_euclid(12) + 1) as i8,
    );
    (1..=9999).contains(&y).then(|| clamped(y, m, first.day()))
}

/// Most occurrences one call returns (more than 20 years of weekly payments).
pub const OCCURRENCES_MAX: usize = 1100;

impl Schedule {
    /// Checks the numbers a person entered.
    pub fn check(&self) -> Result<(), BudgetError> {
        let bad = |why: String| Err(BudgetError::Schedule(why));
        match *self {
            Schedule::Monthly { day } if !(1..=31).contains(&day) => {
                bad(format!("monthly day must be 1-31, found {day}"))
            }
            Schedule::EveryNWeeks { n, .. } if !(1..=52).contains(&n) => {
                bad(format!("every n weeks: n must be 1-52, found {n}"))
            }
            Schedule::Yearly { month, day }
                if !(1..=12).contains(&month) || !(1..=31).contains(&day) =>
            {
                bad(format!(
                    "yearly: month 1-12 and day 1-31, found {month}/{day}"
                ))
            }
            _ => Ok(()),
        }
    }

    /// The nominal due dates in `from..=through`, in order (at most [`OCCURRENCES_MAX`]).
    pub fn occurrences(&self, from: Date, through: Date) -> Vec<Date> {
        let mut out = Vec::new();
        self.for_each_occurrence(from, through, |d| out.push(d));
        out
    }

    /// Calls `f` with each of [`Schedule::occurrences`], without collecting them: a payment run
    /// asks every household's every agreement for the next week's dates.
    pub fn for_each_occurrence(&self, from: Date, through: Date, mut f: impl FnMut(Date)) {
        let mut count = 0;
        let mut push = |d: Date| {
            if d >= from && d <= through && count < OCCURRENCES_MAX {
                count += 1;
                f(d);
            }
        };
        match *self {
            Schedule::Monthly { day } => {
                // Month by month as (year, month): adding a month span to a date costs more.
                let (mut year, mut month) = (from.year(), from.month());
                while Date::new(year, month, 1).is_ok_and(|first| first <= through) {
                    push(clamped(year, month, day));
                    (year, month) = if month == 12 {
                        (year.saturating_add(1), 1)
                    } else {
                        (year, month + 1)
                    };
                }
            }
            Schedule::Weekly { weekday } => {
                let weekday = Weekday::from(weekday);
                // Spans of days only: jiff adds those to a date without a calendar walk.
                let ahead = (weekday.to_monday_zero_offset()
                    - from.weekday().to_monday_zero_offset())
                .rem_euclid(7);
                let Ok(mut d) = from.checked_add(i64::from(ahead).days()) else {
                    return;
                };
                while d <= through {
                    push(d);
                    let Ok(next) = d.checked_add(7.days()) else {
                        break;
                    };
                    d = next;
                }
            }
            Schedule::EveryNWeeks { n, first } => {
                let mut d = first;
                if d < from {
                    let days = i64::from((from - first).get_days());
                    let step = i64::from(n) * 7;
                    d = first.saturating_add(((days / step) * step).days());
                }
                while d <= through {
                    push(d);
                    let Ok(next) = d.checked_add((n * 7).days()) else {
                        break;
                    };
                    d = next;
                }
            }
            Schedule::Quarterly { first } => {
                let mut k = 0;
                while let Some(d) = add_months(first, 3 * k) {
                    if d > through {
                        break;
                    }
                    push(d);
                    k += 1;
                }
            }
            Schedule::Yearly { month, day } => {
                for y in from.year()..=through.year() {
                    push(clamped(y, month, day));
                }
            }
            Schedule::Once { date } => push(date),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    proptest::proptest! {
        /// Monthly and weekly occurrences are exactly the days that fit the rule, walked one
        /// day at a time (the definition, without the shortcuts).
        #[test]
        fn occurrences_are_the_days_that_fit(
            start in 0i64..3_000, len in 0i64..120, day in 1i8..=31, weekday in 0usize..7
        ) {
            let from = d("2024-01-01").saturating_add(start.days());
            let through = from.saturating_add(len.days());
            let days: Vec<Date> = std::iter::successors(Some(from), |x| x.tomorrow().ok())
                .take_while(|x| *x <= through)
                .collect();
            let monthly = Schedule::Monthly { day }.occurrences(from, through);
            let want: Vec<Date> = days
                .iter()
                .copied()
                .filter(|x| *x == clamped(x.year(), x.month(), day))
                .collect();
            proptest::prop_assert_eq!(monthly, want);
            let names = [Day::Monday, Day::Tuesday, Day::Wednesday, Day::Thursday, Day::Friday, Day::Saturday, Day::Sunday];
            let weekly = Schedule::Weekly { weekday: names[weekday] }.occurrences(from, through);
            let want: Vec<Date> = days
                .iter()
                .copied()
                .filter(|x| x.weekday() == Weekday::from(names[weekday]))
                .collect();
            proptest::prop_assert_eq!(weekly, want);
        }
    }

    #[test]
    fn monthly_day_31_clamps_in_short_months() {
        let got = Schedule::Monthly { day: 31 }.occurrences(d("2026-01-01"), d("2026-04-30"));
        assert_eq!(
            got,
            vec![
                d("2026-01-31"),
                d("2026-02-28"),
                d("2026-03-31"),
                d("2026-04-30")
            ]
        );
        let leap = Schedule::Monthly { day: 29 }.occurrences(d("2028-02-01"), d("2028-02-29"));
        assert_eq!(leap, vec![d("2028-02-29")]);
    }

    #[test]
    fn the_end_of_the_calendar_terminates() {
        let end = Date::MAX;
        let from = d("9999-11-01");
        assert_eq!(
            Schedule::Monthly { day: 31 }.occurrences(from, end).len(),
            2
        );
        assert!(!Schedule::Weekly {
            weekday: Day::Monday
        }
        .occurrences(from, end)
        .is_empty());
        assert!(!Schedule::EveryNWeeks { n: 3, first: from }
            .occurrences(from, end)
            .is_empty());
        assert_eq!(
            Schedule::Quarterly { first: from }
                .occurrences(from, end)
                .len(),
            1
        );
    }

    #[test]
    fn weekly_every_n_weeks_quarterly_yearly_once() {
        assert_eq!(
            Schedule::Weekly {
                weekday: Day::Friday
            }
            .occurrences(d("2026-11-25"), d("2026-12-10")),
            vec![d("2026-11-27"), d("2026-12-04")]
        );
        let fortnight = Schedule::EveryNWeeks {
            n: 2,
            first: d("2026-01-05"),
        };
        assert_eq!(
            fortnight.occurrences(d("2026-01-20"), d("2026-02-20")),
            vec![d("2026-02-02"), d("2026-02-16")]
        );
        let q = Schedule::Quarterly {
            first: d("2025-11-30"),
        };
        assert_eq!(
            q.occurrences(d("2026-01-01"), d("2026-12-31")),
            vec![
                d("2026-02-28"),
                d("2026-05-30"),
                d("2026-08-30"),
                d("2026-11-30")
            ]
        );
        assert_eq!(
            Schedule::Yearly { month: 2, day: 29 }.occurrences(d("2026-01-01"), d("2028-12-31")),
            vec![d("2026-02-28"), d("2027-02-28"), d("2028-02-29")]
        );
        assert_eq!(
            Schedule::Once {
                date: d("2026-03-01")
            }
            .occurrences(d("2026-01-01"), d("2026-12-31")),
            vec![d("2026-03-01")]
        );
        assert!(Schedule::Monthly { day: 32 }.check().is_err());
        assert!(Schedule::EveryNWeeks {
            n: 0,
            first: d("2026-01-01")
        }
        .check()
        .is_err());
    }
}
