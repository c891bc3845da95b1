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

/// A date for a table cell, short enough for a phone: `28 dec 2026` (Dutch abbreviations
/// without a full stop), `28 Dec 2026`.
pub fn short(d: Date, lang: Language) -> String {
    const NL: [&str; 12] = [
        "jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec",
    ];
    const EN: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let names = if lang == Language::English { EN } else { NL };
    format!(
        "{} {} {}",
        d.day(),
        names[(d.month() - 1) as usize],
        d.year()
    )
}

/// An amount of euro cents as Dutch writes it: `€ 1.234,56`, `-€ 5,00`.
pub fn euro(cents: i64) -> String {
    knop_book::Cents(cents).to_dutch()
}

/// How often an agreement falls due, in plain words: `elke maand op de 1e`, `elke week op
/// maandag`, `elke 3 maanden (vanaf 1 januari 2026)`, `eenmalig op 15 augustus 2026`.
pub fn how_often(s: &knop_huishoudboekje::Schedule, lang: Language) -> String {
    use knop_huishoudboekje::schedule::Day;
    use knop_huishoudboekje::Schedule;
    let day_name = |d: Day| {
        let (nl, en) = match d {
            Day::Monday => ("maandag", "Monday"),
            Day::Tuesday => ("dinsdag", "Tuesday"),
            Day::Wednesday => ("woensdag", "Wednesday"),
            Day::Thursday => ("donderdag", "Thursday"),
            Day::Friday => ("vrijdag", "Friday"),
            Day::Saturday => ("zaterdag", "Saturday"),
            Day::Sunday => ("zondag", "Sunday"),
        };
        lang.pick(nl, en).to_owned()
    };
    match (s, lang) {
        (Schedule::Monthly { day }, Language::Dutch) => format!("elke maand op de {day}e"),
        (Schedule::Monthly { day }, Language::English) => format!("every month on day {day}"),
        (Schedule::Weekly { weekday }, Language::Dutch) => {
            format!("elke week op {}", day_name(*weekday))
        }
        (Schedule::Weekly { weekday }, Language::English) => {
            format!("every week on {}", day_name(*weekday))
        }
        (Schedule::EveryNWeeks { n, first }, Language::Dutch) => {
            format!("elke {n} weken (vanaf {})", spoken(*first, lang))
        }
        (Schedule::EveryNWeeks { n, first }, Language::English) => {
            format!("every {n} weeks (from {})", spoken(*first, lang))
        }
        (Schedule::Quarterly { first }, Language::Dutch) => {
            format!("elke 3 maanden (vanaf {})", spoken(*first, lang))
        }
        (Schedule::Quarterly { first }, Language::English) => {
            format!("every 3 months (from {})", spoken(*first, lang))
        }
        (Schedule::Yearly { month, day }, _) => {
            let m = month_names(lang)[(*month).clamp(1, 12) as usize - 1];
            match lang {
                Language::Dutch => format!("elk jaar op {day} {m}"),
                Language::English => format!("every year on {day} {m}"),
            }
        }
        (Schedule::Once { date }, Language::Dutch) => {
            format!("eenmalig op {}", spoken(*date, lang))
        }
        (Schedule::Once { date }, Language::English) => format!("once, on {}", spoken(*date, lang)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn how_often_in_plain_words() {
        use knop_huishoudboekje::Schedule;
        let s = |j: &str| serde_json::from_str::<Schedule>(j).unwrap();
        assert_eq!(
            how_often(&s(r#"{"monthly":{"day":1}}"#), Language::Dutch),
            "elke maand op de 1e"
        );
        assert_eq!(
            how_often(&s(r#"{"weekly":{"weekday":"monday"}}"#), Language::Dutch),
            "elke week op maandag"
        );
        assert_eq!(
            how_often(
                &s(r#"{"quarterly":{"first":"2026-01-05"}}"#),
                Language::Dutch
            ),
            "elke 3 maanden (vanaf 5 januari 2026)"
        );
        assert_eq!(
            how_often(&s(r#"{"once":{"date":"2026-08-15"}}"#), Language::English),
            "once, on 15 August 2026"
        );
    }

    #[test]
    fn dates_as_people_read_them() {
        let d = |s: &str| s.parse::<Date>().unwrap();
        assert_eq!(spoken(d("2026-11-25"), Language::Dutch), "25 november 2026");
        assert_eq!(spoken(d("2026-03-01"), Language::English), "1 March 2026");
        assert_eq!(Language::default().pick("ja", "yes"), "ja");
    }
}
