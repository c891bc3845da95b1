//! The TARGET2 calendar: the days SEPA payments settle.
//!
//! TARGET2 (the Eurosystem's settlement system, which SEPA credit transfers and direct debits
//! follow) is closed on Saturdays, Sundays, 1 January, Good Friday, Easter Monday, 1 May,
//! 25 December and 26 December (ECB, "TARGET2 closing days"). Easter is computed with the
//! anonymous Gregorian algorithm (Meeus/Jones/Butcher); no calendar crate in our set carries the
//! TARGET2 closing days, and the rule is a dozen lines.

use jiff::civil::{Date, Weekday};

/// Easter Sunday of `year` (Gregorian calendar).
pub fn easter(year: i16) -> Date {
    let y = i32::from(year);
    let a = y % 19;
    let b = y / 100;
    let c = y % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    Date::new(year, month as i8, day as i8).expect("Easter is a valid date")
}

/// The day of the year Easter falls on, remembered for the last year asked on this thread:
/// payment runs ask about the same spring many times over.
fn easter_day_of_year(year: i16) -> i16 {
    thread_local! {
        static LAST: std::cell::Cell<Option<(i16, i16)>> = const { std::cell::Cell::new(None) };
    }
    LAST.with(|last| match last.get() {
        Some((y, day)) if y == year => day,
        _ => {
            let day = easter(year).day_of_year();
            last.set(Some((year, day)));
            day
        }
    })
}

/// Whether TARGET2 settles on `date`.
pub fn is_business_day(date: Date) -> bool {
    if matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday) {
        return false;
    }
    let (m, d) = (date.month(), date.day());
    if (m, d) == (1, 1) || (m, d) == (5, 1) || (m, d) == (12, 25) || (m, d) == (12, 26) {
        return false;
    }
    // Good Friday and Easter Monday fall in March or April (Easter is 22 March to 25 April).
    if !matches!(m, 3 | 4) {
        return true;
    }
    let e = easter_day_of_year(date.year());
    let day = date.day_of_year();
    day != e - 2 && day != e + 1
}

/// `date` if it is a business day, otherwise the business day before it.
pub fn previous_business_day(date: Date) -> Date {
    let mut d = date;
    while !is_business_day(d) {
        match d.yesterday() {
            Ok(p) => d = p,
            Err(_) => break, // the first representable day: nothing earlier exists
        }
    }
    d
}

/// `date` if it is a business day, otherwise the business day after it.
pub fn next_business_day(date: Date) -> Date {
    let mut d = date;
    while !is_business_day(d) {
        match d.tomorrow() {
            Ok(n) => d = n,
            Err(_) => break, // the last representable day: nothing later exists
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::ToSpan;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn easter_known_dates() {
        // Published Easter Sundays.
        for (y, e) in [
            (2024, "2024-03-31"),
            (2025, "2025-04-20"),
            (2026, "2026-04-05"),
            (2027, "2027-03-28"),
            (2038, "2038-04-25"),
            (2285, "2285-03-22"),
        ] {
            assert_eq!(easter(y), d(e), "{y}");
        }
    }

    #[test]
    fn closing_days() {
        for closed in [
            "2026-01-01",
            "2026-04-03",
            "2026-04-06",
            "2026-05-01",
            "2026-12-25",
            "2026-12-26",
            "2026-11-28",
            "2026-11-29",
        ] {
            assert!(!is_business_day(d(closed)), "{closed}");
        }
        for open in [
            "2026-04-02",
            "2026-04-07",
            "2026-05-05",
            "2026-12-24",
            "2026-12-31",
            "2026-11-27",
        ] {
            assert!(is_business_day(d(open)), "{open}");
        }
        // Good Friday 2026-04-03 and Easter Monday 04-06: a payment due on Easter Monday goes out
        // on Thursday 04-02.
        assert_eq!(previous_business_day(d("2026-04-06")), d("2026-04-02"));
        assert_eq!(next_business_day(d("2026-04-03")), d("2026-04-07"));
        // 1 January 2028 is a Saturday: back to Friday 31 December 2027.
        assert_eq!(previous_business_day(d("2028-01-01")), d("2027-12-31"));
        // The ends of the calendar terminate.
        let _ = next_business_day(Date::MAX);
        let _ = previous_business_day(Date::MIN);
    }

    #[test]
    fn closing_days_follow_the_rule_on_every_day_of_two_centuries() {
        // The rule as the ECB states it, by date arithmetic, against the quick check.
        let mut day = d("1950-01-01");
        while day.year() < 2150 {
            let e = easter(day.year());
            let weekend = matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday);
            let fixed = [(1, 1), (5, 1), (12, 25), (12, 26)].contains(&(day.month(), day.day()));
            let easter_days = day == e.saturating_sub(2.days()) || day == e.saturating_add(1.day());
            assert_eq!(
                is_business_day(day),
                !(weekend || fixed || easter_days),
                "{day}"
            );
            day = day.tomorrow().unwrap();
        }
    }
}
