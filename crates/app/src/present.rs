//! Presentation at the edge: dates and amounts as people read them, in Dutch first and in
//! English. The domain crates compute; they do not word. The CLI and the cockpit both word
//! through here, so that `25 november 2026` and `€ 1.234,56` read the same everywhere.

use jiff::civil::Date;

/// The language a person reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    /// Dutch, the default.
    #[default]
    Dutch,
    /// English.
    English,
}

impl Language {
    /// The text in this language.
    pub fn pick<'a>(self, nl: &'a str, en: &'a str) -> &'a str {
        match self {
            Language::Dutch => nl,
            Language::English => en,
        }
    }
}

const MONTHS_NL: [&str; 12] = [
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
];
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// The names of the months, January first: Dutch (lower case, as Dutch writes them) or English.
pub fn month_names(lang: Language) -> [&'static str; 12] {
    match lang {
        Language::Dutch => MONTHS_NL,
        Language::English => MONTHS_EN,
    }
}

/// A date as people read it: `25 november 2026` (Dutch) or `25 November 2026` (English).
pub fn spoken(d: Date, lang: Language) -> String {
    format!(
        "{} {} {}",
        d.day(),
        month_names(lang)[(d.month() - 1) as usize],
        d.year()
    )
}

/// An amount of euro cents as Dutch writes it: `€ 1.234,56`, `-€ 5,00`.
pub fn euro(cents: i64) -> String {
    knop_book::Cents(cents).to_dutch()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_as_people_read_them() {
        let d = |s: &str| s.parse::<Date>().unwrap();
        assert_eq!(spoken(d("2026-11-25"), Language::Dutch), "25 november 2026");
        assert_eq!(spoken(d("2026-03-01"), Language::English), "1 March 2026");
        assert_eq!(Language::default().pick("ja", "yes"), "ja");
    }
}
