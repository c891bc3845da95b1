//! The rules against published figures (Belastingdienst, SVB, Normenbrief), boundaries, and bad
//! facts. Each case names its source; amounts are cents as paid.

// Amounts are written as euros_cents (131_00 is EUR 131,00), which reads better than 13_100.
#![allow(clippy::inconsistent_digit_grouping)]

use jiff::civil::Date;
use knop_rules::facts::Facts;
use knop_rules::params::{try_registry, Status, FILES};
use knop_rules::{calc, diff, explain, Outcome, RulesError};

fn date(s: &str) -> Date {
    s.parse().unwrap()
}

/// Facts from a compact TOML text (the same schema as the JSON the CLI reads).
fn facts(text: &str) -> Facts {
    toml::from_str(text).unwrap()
}

fn single(income_euros: i64) -> Facts {
    facts(&format!(
        "persons = [{{ birth_date = \"1990-05-01\", toetsingsinkomen_cents = {} }}]",
        income_euros * 100
    ))
}

fn couple(income_euros: i64) -> Facts {
    facts(&format!(
        "persons = [{{ birth_date = \"1990-05-01\", toetsingsinkomen_cents = {} }}, {{ birth_date = \"1991-01-01\", toetsingsinkomen_cents = 0 }}]",
        income_euros * 100
    ))
}

fn get(f: &Facts, d: &str, key: &str) -> Outcome {
    calc(f, date(d)).unwrap().remove(key).unwrap().unwrap()
}

#[test]
fn every_parameter_has_a_source_and_periods_are_contiguous() {
    let reg = try_registry().unwrap();
    for f in reg.files() {
        for (name, p) in &f.values {
            assert!(
                p.source.trim().len() > 5,
                "{}/{}: {name} has no source",
                f.regulation,
                f.file
            );
            if p.status == Status::Verified {
                assert!(
                    p.source.contains("art")
                        || p.source.contains("Normenbrief")
                        || p.source.contains("SVB")
                        || p.source.contains("Regeling"),
                    "{}/{}: verified {name} cites no law or publication: {}",
                    f.regulation,
                    f.file,
                    p.source
                );
            }
        }
    }
    // The embedded list is the folder's content.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("params");
    let mut on_disk = vec![];
    for reg_dir in std::fs::read_dir(&dir).unwrap() {
        let reg_dir = reg_dir.unwrap().path();
        for f in std::fs::read_dir(&reg_dir).unwrap() {
            let name = f.unwrap().file_name().into_string().unwrap();
            on_disk.push(format!(
                "{}/{name}",
                reg_dir.file_name().unwrap().to_str().unwrap()
            ));
        }
    }
    on_disk.sort();
    let mut listed: Vec<String> = FILES.iter().map(|(r, f, _)| format!("{r}/{f}")).collect();
    listed.sort();
    assert_eq!(on_disk, listed);
}

#[test]
fn zorgtoeslag_maxima_match_the_published_tables() {
    // Belastingdienst: maximum zorgtoeslag 2025 EUR 131 (single) / 250 (partner); 2026 129 / 246.
    for (d, single_max, couple_max) in [
        ("2025-06-01", 131_00, 250_00),
        ("2026-06-01", 129_00, 246_00),
    ] {
        assert_eq!(
            get(&single(20_000), d, "zorgtoeslag").month_cents,
            single_max,
            "{d}"
        );
        assert_eq!(
            get(&couple(20_000), d, "zorgtoeslag").month_cents,
            couple_max,
            "{d}"
        );
    }
}

#[test]
fn zorgtoeslag_at_the_published_income_limit_is_below_the_minimum() {
    // Published inkomensgrenzen (Rijksoverheid/press; REFERENCE.md): 2025 39,719 / 50,206;
    // 2026 40,857 / 51,142. At the limit the yearly amount is below EUR 24, so nothing is paid.
    for (d, s, c) in [
        ("2025-06-01", 39_719, 50_206),
        ("2026-06-01", 40_857, 51_142),
    ] {
        assert!(
            !get(&single(s), d, "zorgtoeslag").eligible,
            "{d} single at {s}"
        );
        assert!(
            !get(&couple(c), d, "zorgtoeslag").eligible,
            "{d} couple at {c}"
        );
        assert!(
            get(&single(s - 500), d, "zorgtoeslag").eligible,
            "{d} single below {s}"
        );
        assert!(
            get(&couple(c - 500), d, "zorgtoeslag").eligible,
            "{d} couple below {c}"
        );
    }
}

#[test]
fn zorgtoeslag_partner_not_insured_gets_half() {
    let f = facts(
        "persons = [{ birth_date = \"1990-05-01\", toetsingsinkomen_cents = 2000000 }, { birth_date = \"1991-01-01\", insured = false, toetsingsinkomen_cents = 0 }]",
    );
    let half = get(&f, "2026-06-01", "zorgtoeslag");
    // 2 x 2119 - 4.289% x 29736 = 2962.62 ; half = 1481.31 -> 1481 a year -> 123 a month.
    assert_eq!((half.year_cents, half.month_cents), (1481_00, 123_00));
    let uninsured = facts(
        "persons = [{ birth_date = \"1990-05-01\", insured = false, toetsingsinkomen_cents = 0 }]",
    );
    assert!(!get(&uninsured, "2026-06-01", "zorgtoeslag").eligible);
}

fn renter(income_euros: i64, kale: i64, service: i64) -> Facts {
    facts(&format!(
        "persons = [{{ birth_date = \"1990-05-01\", toetsingsinkomen_cents = {} }}]\nrent = {{ kale_huur_cents = {}, service_costs_cents = {} }}",
        income_euros * 100,
        kale * 100,
        service * 100
    ))
}

#[test]
fn huurtoeslag_2025_minimum_basishuur_and_the_cliff() {
    // EPH below the income point: basishuur = 236.19 - 37.14 = 199.05 (REFERENCE: min basishuur).
    // Rent 600: (477.20 - 199.05) + 0.65 x (600 - 477.20) = 278.15 + 79.82 = 357.97 a month
    // -> 4295.64 a year -> 4296 (Awir art. 14) -> 358 a month.
    let o = get(&renter(15_000, 600, 0), "2025-06-01", "huurtoeslag");
    assert_eq!(
        (o.year_cents, o.month_cents),
        (4296_00, 358_00),
        "{}",
        explain(&o)
    );
    // Service costs count in 2025: rent 560 + 40 gives the same.
    assert_eq!(
        get(&renter(15_000, 560, 40), "2025-06-01", "huurtoeslag").month_cents,
        358_00
    );
    // Above the maximum rent (900.07): nothing at all in 2025.
    assert!(!get(&renter(15_000, 901, 0), "2025-06-01", "huurtoeslag").eligible);
    assert!(get(&renter(15_000, 900, 0), "2025-06-01", "huurtoeslag").eligible);
}

#[test]
fn huurtoeslag_2026_fixed_basishuur_cap_and_income_effect() {
    // EPH, income below 23,425: basishuur 202.52. Rent 600: 295.68 + 0.65 x 101.80 = 361.85
    // -> 4342.20 -> 4342 a year -> 361 a month.
    let o = get(&renter(20_000, 600, 0), "2026-06-01", "huurtoeslag");
    assert_eq!(
        (o.year_cents, o.month_cents),
        (4342_00, 361_00),
        "{}",
        explain(&o)
    );
    // Service costs do not count in 2026.
    assert_eq!(
        get(&renter(20_000, 600, 50), "2026-06-01", "huurtoeslag").month_cents,
        361_00
    );
    // Above the maximum rent the part above is not subsidised: no cliff.
    let at_max = get(&renter(20_000, 933, 0), "2026-06-01", "huurtoeslag").month_cents;
    let above = get(&renter(20_000, 1200, 0), "2026-06-01", "huurtoeslag").month_cents;
    assert!(above > 0 && above == at_max, "{at_max} {above}");
    // Income above the point: 27% of the excess per year, per month.
    let richer = get(&renter(25_425, 600, 0), "2026-06-01", "huurtoeslag");
    // 361.85 - (2000 x 0.27 / 12 = 45.00) = 316.85 -> 3802.20 -> 3802 -> 316.
    assert_eq!(richer.month_cents, 316_00, "{}", explain(&richer));
}

#[test]
fn huurtoeslag_never_rises_with_income() {
    for d in ["2025-06-01", "2026-06-01"] {
        let mut last = i64::MAX;
        for income in (10_000..60_000).step_by(1_000) {
            let m = get(&renter(income, 650, 30), d, "huurtoeslag").month_cents;
            assert!(m <= last, "{d}: {income} gives {m} > {last}");
            last = m;
        }
        assert_eq!(last, 0, "{d}: still huurtoeslag at 59,000");
    }
}

fn parent(income_euros: i64, children: &[&str], partner: bool) -> Facts {
    let kids: Vec<String> = children
        .iter()
        .map(|b| format!("{{ birth_date = \"{b}\" }}"))
        .collect();
    let partner = if partner {
        ", { birth_date = \"1985-01-01\", toetsingsinkomen_cents = 0 }"
    } else {
        ""
    };
    facts(&format!(
        "persons = [{{ birth_date = \"1985-05-01\", toetsingsinkomen_cents = {} }}{partner}]\nchildren = [{}]",
        income_euros * 100,
        kids.join(", ")
    ))
}

#[test]
fn kindgebonden_budget_single_parent_and_age_extras() {
    // 2026, one child of 5, single parent, low income: 2580 + 3416 = 5996 a year -> 499 a month.
    let o = get(
        &parent(20_000, &["2020-09-01"], false),
        "2026-06-01",
        "kindgebonden_budget",
    );
    assert_eq!((o.year_cents, o.month_cents), (5996_00, 499_00));
    // The child turns 12 on 2026-06-10: the 12-15 extra (724) from then on.
    let before = get(
        &parent(20_000, &["2014-06-10"], false),
        "2026-06-09",
        "kindgebonden_budget",
    );
    let after = get(
        &parent(20_000, &["2014-06-10"], false),
        "2026-06-10",
        "kindgebonden_budget",
    );
    assert_eq!(after.year_cents - before.year_cents, 724_00);
    // Turning 16: the 16-17 extra (964) instead.
    let sixteen = get(
        &parent(20_000, &["2010-06-10"], false),
        "2026-06-10",
        "kindgebonden_budget",
    );
    assert_eq!(sixteen.year_cents - before.year_cents, 964_00);
    // With a partner: no ALO-kop, higher threshold: income 40,000: afbouw 7.6% x (40000 - 39141) = 65.28.
    let o = get(
        &parent(40_000, &["2020-09-01"], true),
        "2026-06-01",
        "kindgebonden_budget",
    );
    assert_eq!(o.year_cents, (2580_00 - 65_28 + 50) / 100 * 100);
    assert!(!get(&single(20_000), "2026-06-01", "kindgebonden_budget").eligible);
}

#[test]
fn kinderbijslag_by_age_on_the_first_day_of_the_quarter() {
    // SVB 1 January 2026 (unverified figures, see params): 295.07 / 358.30 / 421.53 per quarter.
    let six_on_q_start = get(
        &parent(20_000, &["2020-04-01"], false),
        "2026-04-15",
        "kinderbijslag",
    );
    assert_eq!(six_on_q_start.quarter_cents, Some(358_30));
    let six_a_day_later = get(
        &parent(20_000, &["2020-04-02"], false),
        "2026-04-15",
        "kinderbijslag",
    );
    assert_eq!(six_a_day_later.quarter_cents, Some(295_07));
    // A child born during the quarter counts from the next quarter.
    assert!(
        !get(
            &parent(20_000, &["2026-04-10"], false),
            "2026-04-15",
            "kinderbijslag"
        )
        .eligible
    );
    // 18 on the first day of the quarter: no more kinderbijslag.
    assert!(
        !get(
            &parent(20_000, &["2008-01-01"], false),
            "2026-01-15",
            "kinderbijslag"
        )
        .eligible
    );
    // 1 January 2025 (SVB, verified): 409.21 for 12-17.
    assert_eq!(
        get(
            &parent(20_000, &["2010-01-01"], false),
            "2025-02-01",
            "kinderbijslag"
        )
        .quarter_cents,
        Some(409_21)
    );
}

#[test]
fn bijstandsnormen_match_the_normenbrief() {
    // SZW Normenbrief 1 januari 2026.
    assert_eq!(
        get(&single(0), "2026-01-01", "bijstandsnorm").month_cents,
        1401_50
    );
    assert_eq!(
        get(&couple(0), "2026-01-01", "bijstandsnorm").month_cents,
        2002_13
    );
    let aow = facts("persons = [{ birth_date = \"1958-01-01\", toetsingsinkomen_cents = 0 }]");
    assert_eq!(
        get(&aow, "2026-01-01", "bijstandsnorm").month_cents,
        1564_69
    );
    // One day before the 67th birthday: still the norm below AOW age.
    let almost = facts("persons = [{ birth_date = \"1959-01-02\", toetsingsinkomen_cents = 0 }]");
    assert_eq!(
        get(&almost, "2026-01-01", "bijstandsnorm").month_cents,
        1401_50
    );
    // 1 July 2025 column of the Normenbrief.
    assert_eq!(
        get(&single(0), "2025-08-01", "bijstandsnorm").month_cents,
        1369_06
    );
    // Kostendelersnorm with one housemate: (40% + 2 x 30%) / 2 x 2002.13 = 1001.065 -> 1001.07.
    let sharing = facts("persons = [{ birth_date = \"1990-05-01\", toetsingsinkomen_cents = 0 }]\nhousemates_21_plus = 1");
    assert_eq!(
        get(&sharing, "2026-01-01", "bijstandsnorm").month_cents,
        1001_07
    );
}

#[test]
fn beslagvrije_voet_certain_parts() {
    // No known address: 47.5% of the gehuwdennorm 2002.13 = 951.01 (rounded down).
    let nowhere = facts("persons = [{ birth_date = \"1990-05-01\", toetsingsinkomen_cents = 2400000 }]\naddress_known = false");
    assert_eq!(
        get(&nowhere, "2026-01-01", "beslagvrije_voet").month_cents,
        951_01
    );
    // 95% of income: income 1,000 a month -> at most 950.
    let low = get(&single(12_000), "2026-01-01", "beslagvrije_voet");
    assert_eq!(low.month_cents, 950_00);
    assert!(low.partial.is_some());
    // The maximum for a single person (2,191.42 from 1 January 2026).
    assert_eq!(
        get(&single(60_000), "2026-01-01", "beslagvrije_voet").month_cents,
        2191_42
    );
    // Before 1 July 2025 there are no parameters: that regulation alone reports the error.
    let r = calc(&single(12_000), date("2025-03-01")).unwrap();
    assert!(matches!(
        r["beslagvrije_voet"],
        Err(RulesError::NoParameters { .. })
    ));
    assert!(r["zorgtoeslag"].is_ok());
}

#[test]
fn minima_eligibility_is_a_percentage_of_the_norm() {
    // 120% of 1401.50 = 1681.80 a month: 20,181.60 a year.
    assert!(get(&single(20_000), "2026-01-01", "minima").eligible);
    assert!(!get(&single(20_300), "2026-01-01", "minima").eligible);
    let f = facts("persons = [{ birth_date = \"1990-05-01\", toetsingsinkomen_cents = 1800000 }]\nminima_percentage = 110");
    assert_eq!(get(&f, "2026-01-01", "minima").month_cents, 1541_65);
}

#[test]
fn impossible_facts_and_dates_are_rejected_precisely() {
    let neg = facts("persons = [{ birth_date = \"1990-05-01\", toetsingsinkomen_cents = -1 }]");
    let e = calc(&neg, date("2026-01-01")).unwrap_err().to_string();
    assert_eq!(
        e,
        "persons[0].toetsingsinkomen_cents: must not be negative, found -1"
    );
    let future = facts("persons = [{ birth_date = \"2027-05-01\", toetsingsinkomen_cents = 0 }]");
    let e = calc(&future, date("2026-01-01")).unwrap_err().to_string();
    assert!(
        e.starts_with("persons[0].birth_date: birth date 2027-05-01 is after"),
        "{e}"
    );
    let child = parent(0, &["2026-02-01"], false);
    assert!(calc(&child, date("2026-01-01"))
        .unwrap_err()
        .to_string()
        .starts_with("children[0].birth_date"));
    let minor = facts("persons = [{ birth_date = \"2010-05-01\", toetsingsinkomen_cents = 0 }]");
    assert!(calc(&minor, date("2026-01-01"))
        .unwrap_err()
        .to_string()
        .contains("18 or older"));
    let empty = facts("persons = []");
    assert!(calc(&empty, date("2026-01-01")).is_err());
    for d in ["2019-01-01", "2024-12-31", "2027-01-01"] {
        let e = calc(&single(10_000), date(d)).unwrap_err();
        assert!(matches!(e, RulesError::NoParameters { .. }), "{d}: {e}");
        assert!(e.to_string().contains("known: 20"), "{e}");
    }
    assert!(toml::from_str::<Facts>(
        "persons = [{ birth_date = \"1990-02-30\", toetsingsinkomen_cents = 0 }]"
    )
    .is_err());
    assert!(
        toml::from_str::<Facts>("persons = [{ birth_date = \"1990-02-01\", income = 0 }]").is_err()
    );
}

#[test]
fn diff_names_the_change_and_the_repayment_risk() {
    // Income rises from 20,000 to 35,000 in June 2026 and is not reported: zorgtoeslag falls.
    let changes = diff(&single(20_000), &single(35_000), date("2026-06-01")).unwrap();
    let zt = changes
        .iter()
        .find(|c| c.regulation == "zorgtoeslag")
        .unwrap();
    assert!(zt.new_month_cents < zt.old_month_cents);
    assert_eq!(zt.months_left, 7);
    assert_eq!(
        zt.repayment_risk_cents,
        (zt.old_month_cents - zt.new_month_cents) * 7
    );
    // Income falls: more allowance, no repayment risk (apply instead).
    let changes = diff(&single(35_000), &single(20_000), date("2026-06-01")).unwrap();
    assert!(changes.iter().all(|c| c.repayment_risk_cents == 0));
}

#[test]
fn explanations_read_as_dutch_sentences_with_sources() {
    let o = get(&single(20_000), "2026-06-01", "zorgtoeslag");
    let text = explain(&o);
    assert!(
        text.starts_with("Uw zorgtoeslag is € 129,00 per maand omdat"),
        "{text}"
    );
    assert!(text.contains("Wzt art. 2 lid 3"), "{text}");
    let none = get(&single(60_000), "2026-06-01", "zorgtoeslag");
    assert!(explain(&none).starts_with("U krijgt geen zorgtoeslag omdat"));
}
