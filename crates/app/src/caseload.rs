//! A caseload as a counsellor works through it: search by name or number, show only the
//! households that need something, sort, and page through. Pure: the caller passes the
//! summaries ([`crate::views::caseload`]) and the names it may read (from the vault).

use std::collections::HashMap;

use knop_huishoudboekje::HouseholdId;
use serde::Serialize;

use crate::views::{HouseholdSummary, Severity};

/// Households on one page of the caseload.
pub const PAGE_SIZE: usize = 25;
/// Longest search text, in characters; longer text is cut there.
pub const SEARCH_CHARS_MAX: usize = 100;

/// Which households to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Show {
    /// Every household.
    #[default]
    All,
    /// Households with an alert to act on (urgent, or to look at this week).
    Alerts,
    /// Only urgent alerts.
    Urgent,
    /// Households whose opt-in was withdrawn.
    Withdrawn,
}

impl Show {
    /// Every choice, in the order a form lists them.
    pub const ALL: [Show; 4] = [Show::All, Show::Alerts, Show::Urgent, Show::Withdrawn];

    /// The word in a query string (`alle`, `signaal`, `urgent`, `gestopt`).
    pub fn word(self) -> &'static str {
        match self {
            Show::All => "alle",
            Show::Alerts => "signaal",
            Show::Urgent => "urgent",
            Show::Withdrawn => "gestopt",
        }
    }

    /// The choice a query word names (Dutch or English).
    pub fn from_word(w: &str) -> Option<Self> {
        Some(match w {
            "alle" | "all" => Show::All,
            "signaal" | "alerts" => Show::Alerts,
            "urgent" => Show::Urgent,
            "gestopt" | "withdrawn" => Show::Withdrawn,
            _ => return None,
        })
    }

    fn keeps(self, s: &HouseholdSummary) -> bool {
        match self {
            Show::All => true,
            Show::Alerts => s.urgency >= Some(Severity::Warning),
            Show::Urgent => s.urgency == Some(Severity::Urgent),
            Show::Withdrawn => !s.active,
        }
    }
}

/// In which order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    /// Most urgent first, then by number.
    #[default]
    Urgency,
    /// By name (households without a name last), then by number.
    Name,
    /// Lowest balance first.
    Balance,
    /// By number.
    Number,
}

impl Sort {
    /// Every choice, in the order a form lists them.
    pub const ALL: [Sort; 4] = [Sort::Urgency, Sort::Name, Sort::Balance, Sort::Number];

    /// The word in a query string (`urgentie`, `naam`, `saldo`, `nummer`).
    pub fn word(self) -> &'static str {
        match self {
            Sort::Urgency => "urgentie",
            Sort::Name => "naam",
            Sort::Balance => "saldo",
            Sort::Number => "nummer",
        }
    }

    /// The order a query word names (Dutch or English).
    pub fn from_word(w: &str) -> Option<Self> {
        Some(match w {
            "urgentie" | "urgency" => Sort::Urgency,
            "naam" | "name" => Sort::Name,
            "saldo" | "balance" => Sort::Balance,
            "nummer" | "number" => Sort::Number,
            _ => return None,
        })
    }
}

/// What the counsellor asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    /// Part of a name or a household number; empty: everyone.
    pub search: String,
    /// Which households.
    pub show: Show,
    /// In which order.
    pub sort: Sort,
    /// Which page, from 1; past the last page shows the last.
    pub page: usize,
}

/// One household in the list.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// Its summary.
    pub summary: HouseholdSummary,
    /// Its resident's name, if the vault holds it.
    pub name: Option<String>,
}

/// One page of the selection.
#[derive(Debug, Clone, Serialize)]
pub struct Page {
    /// The households on this page.
    pub rows: Vec<Row>,
    /// How many households the caseload has.
    pub total: usize,
    /// How many match the search and the choice of households.
    pub matching: usize,
    /// This page, from 1.
    pub page: usize,
    /// How many pages the matching households fill (at least 1).
    pub pages: usize,
}

/// The page of `all` that `q` asks for, with the names in `names`.
pub fn select(all: Vec<HouseholdSummary>, names: &HashMap<HouseholdId, String>, q: &Query) -> Page {
    let total = all.len();
    let needle = fold(&q.search.chars().take(SEARCH_CHARS_MAX).collect::<String>());
    let needle = needle.trim();
    let mut rows: Vec<Row> = all
        .into_iter()
        .filter(|s| q.show.keeps(s))
        .map(|summary| {
            let name = summary
                .id
                .parse::<HouseholdId>()
                .ok()
                .and_then(|h| names.get(&h).cloned());
            Row { summary, name }
        })
        .filter(|r| {
            needle.is_empty()
                || r.summary.id == needle
                || r.name.as_deref().is_some_and(|n| fold(n).contains(needle))
        })
        .collect();
    let number = |r: &Row| r.summary.id.parse::<u128>().unwrap_or(u128::MAX);
    match q.sort {
        Sort::Urgency => rows.sort_by(|a, b| {
            b.summary
                .urgency
                .cmp(&a.summary.urgency)
                .then(number(a).cmp(&number(b)))
        }),
        Sort::Name => rows.sort_by_cached_key(|r| {
            (
                r.name.is_none(),
                r.name.as_deref().map(fold).unwrap_or_default(),
                number(r),
            )
        }),
        Sort::Balance => rows.sort_by_key(|r| (r.summary.balance_cents, number(r))),
        Sort::Number => rows.sort_by_key(number),
    }
    let matching = rows.len();
    let pages = matching.div_ceil(PAGE_SIZE).max(1);
    let page = q.page.clamp(1, pages);
    let rows = rows
        .into_iter()
        .skip((page - 1) * PAGE_SIZE)
        .take(PAGE_SIZE)
        .collect();
    Page {
        rows,
        total,
        matching,
        page,
        pages,
    }
}

/// Text for comparing: lower case, the accents of Dutch and its neighbours' names left off
/// ("Çelik" finds "celik", "Ömer" finds "omer"), runs of white space as one space.
fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars().flat_map(char::to_lowercase) {
        if c.is_whitespace() {
            space = true;
            continue;
        }
        if space && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        out.push(match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
            'ç' | 'ć' | 'č' => 'c',
            'è' | 'é' | 'ê' | 'ë' | 'ę' | 'ě' => 'e',
            'ì' | 'í' | 'î' | 'ï' | 'ı' => 'i',
            'ñ' | 'ń' | 'ň' => 'n',
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => 'o',
            'ù' | 'ú' | 'û' | 'ü' | 'ů' => 'u',
            'ý' | 'ÿ' => 'y',
            'ş' | 'ś' | 'š' => 's',
            'ğ' => 'g',
            'ł' => 'l',
            'ž' | 'ź' | 'ż' => 'z',
            'ř' => 'r',
            other => other,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(id: u32, balance: i64, urgency: Option<Severity>, active: bool) -> HouseholdSummary {
        HouseholdSummary {
            id: id.to_string(),
            counsellor: "c".into(),
            active,
            agreements: 1,
            balance_cents: balance,
            urgency,
            alerts: usize::from(urgency.is_some()),
            top_alert: None,
        }
    }

    fn caseload(n: u32) -> (Vec<HouseholdSummary>, HashMap<HouseholdId, String>) {
        let all = (1..=n)
            .map(|i| {
                let urgency = match i % 5 {
                    0 => Some(Severity::Urgent),
                    1 => Some(Severity::Warning),
                    _ => None,
                };
                summary(i, i64::from(i) * 100 - 2_000, urgency, i % 7 != 0)
            })
            .collect();
        let names = (1..=n)
            .filter(|i| i % 10 != 3)
            .map(|i| (HouseholdId::from(i), format!("Persoon {i:03}")))
            .collect();
        (all, names)
    }

    #[test]
    fn eighty_households_fill_four_pages_and_a_page_past_the_end_is_the_last() {
        let (all, names) = caseload(80);
        let q = |page| Query {
            page,
            ..Query::default()
        };
        let p = select(all.clone(), &names, &q(1));
        assert_eq!(
            (p.total, p.matching, p.pages, p.rows.len()),
            (80, 80, 4, 25)
        );
        let last = select(all.clone(), &names, &q(9));
        assert_eq!((last.page, last.rows.len()), (4, 5));
        assert_eq!(select(all, &names, &q(0)).page, 1);
    }

    #[test]
    fn urgent_first_then_attention_then_the_rest_each_by_number() {
        let (all, names) = caseload(20);
        let p = select(all, &names, &Query::default());
        let ids: Vec<&str> = p.rows.iter().map(|r| r.summary.id.as_str()).collect();
        assert_eq!(&ids[..8], ["5", "10", "15", "20", "1", "6", "11", "16"]);
    }

    #[test]
    fn search_finds_part_of_a_name_without_case_or_accents_or_a_number_exactly() {
        let (all, mut names) = caseload(30);
        names.insert(HouseholdId(4), "Ömer  Çelik".into());
        let find = |s: &str| {
            let q = Query {
                search: s.into(),
                ..Query::default()
            };
            select(all.clone(), &names, &q)
                .rows
                .iter()
                .map(|r| r.summary.id.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(find("omer celik"), ["4"]);
        assert_eq!(find("  ÇELIK "), ["4"]);
        assert_eq!(
            find("12"),
            ["12"],
            "a number is matched whole, not in names"
        );
        assert_eq!(find("persoon 02").len(), 9, "020 to 029, 023 has no name");
        assert!(find("niemand").is_empty());
        let long = "x".repeat(10_000);
        assert!(find(&long).is_empty(), "a long search is cut, not refused");
    }

    #[test]
    fn show_keeps_what_it_says() {
        let (all, names) = caseload(35);
        let count = |show| {
            let q = Query {
                show,
                ..Query::default()
            };
            select(all.clone(), &names, &q).matching
        };
        assert_eq!(count(Show::All), 35);
        assert_eq!(count(Show::Urgent), 7);
        assert_eq!(count(Show::Alerts), 14);
        assert_eq!(count(Show::Withdrawn), 5);
    }

    #[test]
    fn sorting_by_name_puts_households_without_a_name_last_and_by_balance_lowest_first() {
        let (all, names) = caseload(12);
        let by = |sort| {
            let q = Query {
                sort,
                ..Query::default()
            };
            select(all.clone(), &names, &q)
                .rows
                .into_iter()
                .map(|r| r.summary.id)
                .collect::<Vec<_>>()
        };
        let by_name = by(Sort::Name);
        assert_eq!(by_name.first().map(String::as_str), Some("1"));
        assert_eq!(by_name.last().map(String::as_str), Some("3"));
        assert_eq!(by(Sort::Balance)[0], "1");
        assert_eq!(by(Sort::Number)[11], "12");
    }

    #[test]
    fn every_word_reads_back() {
        for s in Show::ALL {
            assert_eq!(Show::from_word(s.word()), Some(s));
        }
        for s in Sort::ALL {
            assert_eq!(Sort::from_word(s.word()), Some(s));
        }
        assert_eq!(Show::from_word("x"), None);
    }
}
