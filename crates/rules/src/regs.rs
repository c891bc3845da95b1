//! One function per regulation and regime. Each takes the checked household and the parameter
//! file that applies on the reference date, and returns an [`Outcome`] with its trace. The regime
//! (huurtoeslag 2025 or 2026) is chosen by the parameter file's `regime`, never by the year.

use rust_decimal::Decimal;

use crate::facts::Household;
use crate::params::ParamFile;
use crate::trace::{Trace, Value};
use crate::Outcome;

fn euros(cents: i64) -> Decimal {
    Decimal::new(cents, 2)
}

fn to_cents_down(d: Decimal) -> i64 {
    i64::try_from((d * Decimal::ONE_HUNDRED).floor()).unwrap_or(i64::MAX)
}

fn to_cents_up(d: Decimal) -> i64 {
    i64::try_from((d * Decimal::ONE_HUNDRED).ceil()).unwrap_or(i64::MAX)
}

fn to_cents_half_up(d: Decimal) -> i64 {
    let c = (d * Decimal::ONE_HUNDRED)
        .round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    i64::try_from(c).unwrap_or(i64::MAX)
}

/// Awir art. 14 lid 4 and 3: nothing is granted when the exact yearly allowance is below the
/// minimum (compared before rounding, which reproduces the published income limits within EUR 3);
/// otherwise it is rounded arithmetically to whole euros. Then the monthly payment as the tables pay it: the
/// yearly amount divided by 12, rounded down to whole euros. Returns (year, month) in cents.
fn awir(t: &mut Trace, f: &'static ParamFile, exact_year: Decimal) -> (i64, i64) {
    let minimum = f.get("minimum_toeslag_per_jaar");
    if exact_year < minimum.value {
        t.param(
            "lager dan het minimum: geen toeslag (Awir art. 14 lid 4)",
            minimum,
            Value::Cents(minimum.cents()),
        );
        return (0, 0);
    }
    let whole =
        exact_year.round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    let year = i64::try_from(whole).unwrap_or(i64::MAX) * 100;
    t.step(
        "jaarbedrag afgerond op hele euro's (Awir art. 14 lid 3)",
        Value::Cents(year),
    );
    let month = year / 100 / 12 * 100;
    t.step(
        "maandbedrag: jaarbedrag / 12, naar beneden op hele euro's",
        Value::Cents(month),
    );
    (year, month)
}

fn not_eligible(regulation: &'static str, t: Trace, reason: &'static str) -> Outcome {
    Outcome {
        regulation,
        eligible: false,
        year_cents: 0,
        month_cents: 0,
        quarter_cents: None,
        reason,
        trace: t,
        partial: None,
    }
}

fn assets_ok(t: &mut Trace, f: &'static ParamFile, h: &Household) -> bool {
    let grens = if h.has_partner() {
        f.get("vermogensgrens_partner")
    } else {
        f.get("vermogensgrens_alleen")
    };
    t.step("vermogen", Value::Cents(h.assets_cents));
    t.param("vermogensgrens", grens, Value::Cents(grens.cents()));
    h.assets_cents <= grens.cents()
}

/// Zorgtoeslag (Wet op de zorgtoeslag art. 2): standaardpremie minus normpremie.
pub fn zorgtoeslag(h: &Household, f: &'static ParamFile) -> Outcome {
    const R: &str = "zorgtoeslag";
    let mut t = Trace::new(f.file);
    t.step("aanvrager verzekerd", Value::Flag(h.applicant_insured));
    if !h.applicant_insured {
        return not_eligible(R, t, "u bent niet verzekerd voor de Zorgverzekeringswet");
    }
    if !assets_ok(&mut t, f, h) {
        return not_eligible(R, t, "uw vermogen is hoger dan de vermogensgrens");
    }
    let sp = f.get("standaardpremie");
    let d = f.get("drempelinkomen");
    let persons = if h.has_partner() { 2 } else { 1 };
    t.param(
        "standaardpremie per verzekerde",
        sp,
        Value::Cents(sp.cents()),
    );
    t.step("aantal verzekerden in de berekening", Value::Count(persons));
    let p_drempel = if h.has_partner() {
        f.get("normpremie_drempel_partner")
    } else {
        f.get("normpremie_drempel_alleen")
    };
    let p_boven = f.get("normpremie_boven_drempel");
    t.step("toetsingsinkomen", Value::Cents(h.income_year_cents));
    t.param("drempelinkomen", d, Value::Cents(d.cents()));
    t.param(
        "normpremie: percentage van het drempelinkomen (Wzt art. 2 lid 3)",
        p_drempel,
        Value::Rate(p_drempel.value),
    );
    t.param(
        "normpremie: percentage van het inkomen boven de drempel",
        p_boven,
        Value::Rate(p_boven.value),
    );
    let y = euros(h.income_year_cents);
    let normpremie = p_drempel.value * d.value + p_boven.value * (y - d.value).max(Decimal::ZERO);
    t.step(
        "normpremie per jaar",
        Value::Cents(to_cents_half_up(normpremie)),
    );
    let mut exact = sp.value * Decimal::from(persons) - normpremie;
    if let Some((_, false)) = h.partner {
        exact /= Decimal::TWO;
        t.step(
            "partner niet verzekerd: de helft (Wzt art. 2 lid 4)",
            Value::Flag(true),
        );
    }
    t.step(
        "zorgtoeslag per jaar, exact",
        Value::Cents(to_cents_half_up(exact.max(Decimal::ZERO))),
    );
    let (year, month) = awir(&mut t, f, exact);
    if year == 0 {
        return not_eligible(
            R,
            t,
            "uw inkomen is te hoog: de toeslag zou minder dan het minimum zijn",
        );
    }
    Outcome {
        regulation: R,
        eligible: true,
        year_cents: year,
        month_cents: month,
        quarter_cents: None,
        reason: "uw inkomen ligt onder de grens waarboven geen zorgtoeslag meer is",
        trace: t,
        partial: None,
    }
}

/// Shared shape of the huurtoeslag after the basishuur: the parts of the rent the state pays.
struct Bands {
    rent: Decimal,
    basishuur: Decimal,
    top_share_applies: bool,
    cap: Option<Decimal>,
}

fn huur_parts(t: &mut Trace, f: &'static ParamFile, h: &Household, b: &Bands) -> Decimal {
    let kkg = f.get("kwaliteitskortingsgrens");
    let aftop = if h.size() >= 3 {
        f.get("aftoppingsgrens_3_personen")
    } else {
        f.get("aftoppingsgrens_1_2_personen")
    };
    t.param("kwaliteitskortingsgrens", kkg, Value::Cents(kkg.cents()));
    t.param("aftoppingsgrens", aftop, Value::Cents(aftop.cents()));
    let (a1, a2, a3) = (
        f.get("aandeel_tot_kwaliteitskortingsgrens"),
        f.get("aandeel_tot_aftoppingsgrens"),
        f.get("aandeel_boven_aftoppingsgrens"),
    );
    let r = b.rent;
    let zero = Decimal::ZERO;
    let p1 = a1.value * (r.min(kkg.value) - b.basishuur).max(zero);
    let p2 = a2.value * (r.min(aftop.value) - kkg.value.max(b.basishuur)).max(zero);
    let top = b.cap.map_or(r, |c| r.min(c));
    let p3 = if b.top_share_applies {
        a3.value * (top - aftop.value.max(b.basishuur)).max(zero)
    } else {
        zero
    };
    t.param(
        "deel tot de kwaliteitskortingsgrens",
        a1,
        Value::Cents(to_cents_half_up(p1)),
    );
    t.param(
        "deel tot de aftoppingsgrens",
        a2,
        Value::Cents(to_cents_half_up(p2)),
    );
    t.param(
        "deel boven de aftoppingsgrens",
        a3,
        Value::Cents(to_cents_half_up(p3)),
    );
    p1 + p2 + p3
}

/// Huurtoeslag: dispatches on the regime in the parameter file.
pub fn huurtoeslag(h: &Household, f: &'static ParamFile, aow_months: i32) -> Outcome {
    const R: &str = "huurtoeslag";
    let mut t = Trace::new(f.file);
    let Some((kale, service)) = h.rent else {
        return not_eligible(R, t, "er is geen huur opgegeven");
    };
    if !assets_ok(&mut t, f, h) {
        return not_eligible(R, t, "uw vermogen is hoger dan de vermogensgrens");
    }
    let eph = !h.has_partner() && h.child_ages.is_empty() && h.housemates_21_plus == 0;
    t.step("eenpersoonshuishouden", Value::Flag(eph));
    let aow = h.applicant_months >= aow_months;
    let exact_month = match f.regime.as_deref() {
        Some("2025") => match huur_2025(&mut t, f, h, kale + service, eph, aow) {
            Ok(m) => m,
            Err(reason) => return not_eligible(R, t, reason),
        },
        _ => huur_2026(&mut t, f, h, kale, eph),
    };
    let month_cents = to_cents_half_up(exact_month.max(Decimal::ZERO));
    t.step("huurtoeslag per maand, exact", Value::Cents(month_cents));
    let (year, month) = awir(&mut t, f, euros(month_cents) * Decimal::from(12));
    if year == 0 {
        return not_eligible(
            R,
            t,
            "uw inkomen is te hoog of uw huur te laag voor huurtoeslag",
        );
    }
    Outcome {
        regulation: R,
        eligible: true,
        year_cents: year,
        month_cents: month,
        quarter_cents: None,
        reason: "uw huur is hoger dan wat u bij uw inkomen zelf kunt betalen",
        trace: t,
        partial: None,
    }
}

/// The 2025 regime: quadratic normhuur, service costs count, hard cliff above the maximum rent.
fn huur_2025(
    t: &mut Trace,
    f: &'static ParamFile,
    h: &Household,
    rent_cents: i64,
    eph: bool,
    aow: bool,
) -> Result<Decimal, &'static str> {
    let all_under_23 = h.applicant_months < 23 * 12
        && h.partner.is_none_or(|(m, _)| m < 23 * 12)
        && h.child_ages.is_empty();
    let max = if all_under_23 {
        f.get("maximale_huurgrens_jonger_dan_23")
    } else {
        f.get("maximale_huurgrens")
    };
    t.step(
        "rekenhuur (kale huur + servicekosten)",
        Value::Cents(rent_cents),
    );
    t.param("maximale huurgrens", max, Value::Cents(max.cents()));
    if rent_cents > max.cents() {
        return Err("uw huur is hoger dan de maximale huurgrens (2025: dan geen huurtoeslag)");
    }
    let (a, b, ijk, min) = if eph {
        (
            f.get("eph_factor_a"),
            f.get("eph_factor_b"),
            f.get("eph_minimum_inkomensijkpunt"),
            f.get("eph_minimum_normhuur"),
        )
    } else {
        (
            f.get("mph_factor_a"),
            f.get("mph_factor_b"),
            f.get("mph_minimum_inkomensijkpunt"),
            f.get("mph_minimum_normhuur"),
        )
    };
    let y = euros(h.income_year_cents);
    t.step("toetsingsinkomen", Value::Cents(h.income_year_cents));
    t.param("minimum-inkomensijkpunt", ijk, Value::Cents(ijk.cents()));
    let normhuur = if y > ijk.value {
        t.param(
            "factor a (normhuur = a x Y² + b x Y)",
            a,
            Value::Rate(a.value),
        );
        t.param("factor b", b, Value::Rate(b.value));
        (a.value * y * y + b.value * y).max(min.value)
    } else {
        t.param("minimum normhuur", min, Value::Cents(min.cents()));
        min.value
    };
    let taak = f.get("taakstellingsbedrag");
    t.param("taakstellingsbedrag eraf", taak, Value::Cents(taak.cents()));
    // Wht: amounts rounded up to whole cents.
    let basishuur = euros(to_cents_up(normhuur - taak.value));
    t.step(
        "basishuur (naar boven op centen)",
        Value::Cents(to_cents_up(basishuur)),
    );
    t.step("AOW-leeftijd bereikt", Value::Flag(aow));
    let bands = Bands {
        rent: euros(rent_cents),
        basishuur,
        top_share_applies: eph || aow,
        cap: None,
    };
    Ok(huur_parts(t, f, h, &bands))
}

/// The 2026 regime: kale huur only, fixed basishuur, linear income effect, maximum rent as a cap.
fn huur_2026(
    t: &mut Trace,
    f: &'static ParamFile,
    h: &Household,
    kale_cents: i64,
    eph: bool,
) -> Decimal {
    let adult_or_child = h.applicant_months >= 21 * 12
        || h.partner.is_some_and(|(m, _)| m >= 21 * 12)
        || !h.child_ages.is_empty();
    let max = if adult_or_child {
        f.get("maximale_huurgrens")
    } else {
        f.get("maximale_huurgrens_jonger_dan_23")
    };
    t.step("rekenhuur (kale huur)", Value::Cents(kale_cents));
    t.param(
        "maximale huurgrens (daarboven telt de huur niet mee)",
        max,
        Value::Cents(max.cents()),
    );
    let bh = if eph {
        f.get("basishuur_eph")
    } else {
        f.get("basishuur_mph")
    };
    t.param("basishuur", bh, Value::Cents(bh.cents()));
    let bands = Bands {
        rent: euros(kale_cents),
        basishuur: bh.value,
        top_share_applies: true,
        cap: Some(max.value),
    };
    let parts = huur_parts(t, f, h, &bands);
    let (ijk, rate) = if eph {
        (f.get("eph_minimum_inkomensijkpunt"), f.get("afbouw_eph"))
    } else {
        (f.get("mph_minimum_inkomensijkpunt"), f.get("afbouw_mph"))
    };
    t.step("toetsingsinkomen", Value::Cents(h.income_year_cents));
    t.param("minimum-inkomensijkpunt", ijk, Value::Cents(ijk.cents()));
    t.param(
        "afbouw per euro inkomen boven het ijkpunt (per jaar)",
        rate,
        Value::Rate(rate.value),
    );
    let afbouw = (euros(h.income_year_cents) - ijk.value).max(Decimal::ZERO) * rate.value
        / Decimal::from(12);
    t.step("afbouw per maand", Value::Cents(to_cents_half_up(afbouw)));
    parts - afbouw
}

/// Kindgebonden budget (WKB art. 2): amounts per child, the single-parent supplement, minus the
/// income-dependent reduction.
pub fn kindgebonden_budget(h: &Household, f: &'static ParamFile) -> Outcome {
    const R: &str = "kindgebonden_budget";
    let mut t = Trace::new(f.file);
    let children: Vec<i32> = h.child_ages.iter().copied().filter(|&a| a < 18).collect();
    t.step(
        "kinderen jonger dan 18",
        Value::Count(children.len() as i64),
    );
    if children.is_empty() {
        return not_eligible(R, t, "er zijn geen kinderen jonger dan 18 jaar");
    }
    if !assets_ok(&mut t, f, h) {
        return not_eligible(R, t, "uw vermogen is hoger dan de vermogensgrens");
    }
    let per = f.get("bedrag_per_kind");
    let (e12, e16) = (f.get("extra_12_tot_16"), f.get("extra_16_tot_18"));
    t.param("bedrag per kind", per, Value::Cents(per.cents()));
    let mut base = per.value * Decimal::from(children.len());
    for &age in &children {
        if (12..16).contains(&age) {
            t.param(
                "extra voor een kind van 12 tot 16",
                e12,
                Value::Cents(e12.cents()),
            );
            base += e12.value;
        } else if (16..18).contains(&age) {
            t.param(
                "extra voor een kind van 16 of 17",
                e16,
                Value::Cents(e16.cents()),
            );
            base += e16.value;
        }
    }
    let d = f.get("drempelinkomen");
    t.param("drempelinkomen", d, Value::Cents(d.cents()));
    let mut drempel = d.value;
    if h.has_partner() {
        let extra = f.get("extra_drempel_partner");
        t.param(
            "extra drempel met partner",
            extra,
            Value::Cents(extra.cents()),
        );
        drempel += extra.value;
    } else {
        let kop = f.get("alleenstaande_ouderkop");
        t.param("alleenstaande-ouderkop", kop, Value::Cents(kop.cents()));
        base += kop.value;
    }
    let rate = f.get("afbouw");
    t.step("toetsingsinkomen", Value::Cents(h.income_year_cents));
    t.param("afbouw boven de drempel", rate, Value::Rate(rate.value));
    let afbouw = rate.value * (euros(h.income_year_cents) - drempel).max(Decimal::ZERO);
    t.step("afbouw per jaar", Value::Cents(to_cents_half_up(afbouw)));
    let (year, month) = awir(&mut t, f, base - afbouw);
    if year == 0 {
        return not_eligible(R, t, "uw inkomen is te hoog voor kindgebonden budget");
    }
    Outcome {
        regulation: R,
        eligible: true,
        year_cents: year,
        month_cents: month,
        quarter_cents: None,
        reason: "u heeft kinderen jonger dan 18 en uw inkomen is niet te hoog",
        trace: t,
        partial: None,
    }
}

/// Kinderbijslag (AKW): an amount per child per quarter by the age on the quarter's first day.
pub fn kinderbijslag(h: &Household, f: &'static ParamFile) -> Outcome {
    const R: &str = "kinderbijslag";
    let mut t = Trace::new(f.file);
    let mut quarter = 0i64;
    for age in h
        .child_ages_quarter
        .iter()
        .flatten()
        .copied()
        .filter(|&a| a < 18)
    {
        let p = match age {
            0..=5 => f.get("per_kwartaal_0_tot_6"),
            6..=11 => f.get("per_kwartaal_6_tot_12"),
            _ => f.get("per_kwartaal_12_tot_18"),
        };
        t.param(
            "kinderbijslag voor een kind (leeftijd op de eerste dag van het kwartaal)",
            p,
            Value::Cents(p.cents()),
        );
        quarter += p.cents();
    }
    if quarter == 0 {
        return not_eligible(
            R,
            t,
            "er zijn geen kinderen jonger dan 18 jaar die dit kwartaal meetellen",
        );
    }
    t.step("kinderbijslag per kwartaal", Value::Cents(quarter));
    Outcome {
        regulation: R,
        eligible: true,
        year_cents: quarter * 4,
        month_cents: quarter / 3,
        quarter_cents: Some(quarter),
        reason: "u heeft kinderen jonger dan 18 jaar",
        trace: t,
        partial: None,
    }
}

/// The applicable bijstandsnorm per month (incl. vakantietoeslag) and the trace of its choice.
pub(crate) fn norm(
    t: &mut Trace,
    h: &Household,
    f: &'static ParamFile,
) -> (i64, Option<&'static str>) {
    let aow = i32::try_from(f.get("aow_leeftijd_maanden").cents() / 100).unwrap_or(i32::MAX);
    let applicant_aow = h.applicant_months >= aow;
    let mut note = None;
    let (gehuwden, n) = match h.partner {
        Some((m, _)) => {
            let both = applicant_aow && m >= aow;
            if applicant_aow != (m >= aow) {
                note = Some("een van beide partners heeft de AOW-leeftijd: Pw art. 22 kent hiervoor een eigen regel die nog niet is uitgewerkt; de gehuwdennorm tot de AOW-leeftijd is gebruikt");
            }
            let g = if both {
                f.get("norm_gehuwden_aow")
            } else {
                f.get("norm_gehuwden")
            };
            (g, g)
        }
        None => {
            let g = if applicant_aow {
                f.get("norm_gehuwden_aow")
            } else {
                f.get("norm_gehuwden")
            };
            let n = if applicant_aow {
                f.get("norm_alleenstaande_aow")
            } else if h.applicant_months < 21 * 12 {
                f.get("norm_jongere_alleenstaande")
            } else {
                f.get("norm_alleenstaande")
            };
            (g, n)
        }
    };
    t.step("AOW-leeftijd bereikt", Value::Flag(applicant_aow));
    t.param("norm", n, Value::Cents(n.cents()));
    if h.housemates_21_plus == 0 || h.applicant_months < 21 * 12 {
        return (n.cents(), note);
    }
    // Pw art. 22a: kostendelersnorm ((40% + A x 30%) / A) x gehuwdennorm per person.
    let a = 1 + i64::from(h.has_partner()) + i64::from(h.housemates_21_plus);
    let (basis, per) = (
        f.get("kostendelers_basis"),
        f.get("kostendelers_per_persoon"),
    );
    t.step("kostendelers (A)", Value::Count(a));
    t.param("kostendelersnorm: basis", basis, Value::Rate(basis.value));
    t.param(
        "kostendelersnorm: per kostendeler",
        per,
        Value::Rate(per.value),
    );
    let per_person =
        (basis.value + per.value * Decimal::from(a)) / Decimal::from(a) * gehuwden.value;
    let persons = 1 + i64::from(h.has_partner());
    let total = to_cents_half_up(per_person * Decimal::from(persons));
    t.step("kostendelersnorm", Value::Cents(total));
    (total, note)
}

/// Bijstandsnorm (Participatiewet art. 20-22a) and whether income and assets are below it.
pub fn bijstandsnorm(h: &Household, f: &'static ParamFile) -> Outcome {
    const R: &str = "bijstandsnorm";
    let mut t = Trace::new(f.file);
    let (month, note) = norm(&mut t, h, f);
    let family = h.has_partner() || h.minor_children() > 0;
    let grens = if family {
        f.get("vermogensgrens_gezin")
    } else {
        f.get("vermogensgrens_alleenstaande")
    };
    t.step("vermogen", Value::Cents(h.assets_cents));
    t.param(
        "vermogensgrens (Pw art. 34)",
        grens,
        Value::Cents(grens.cents()),
    );
    let income_month = (h.income_year_cents - h.bijstand_year_cents) / 12;
    t.step(
        "ander inkomen dan bijstand per maand (toetsingsinkomen min bijstand, / 12)",
        Value::Cents(income_month),
    );
    let eligible = income_month < month && h.assets_cents <= grens.cents();
    let reason = if h.assets_cents > grens.cents() {
        "uw vermogen is hoger dan de vermogensgrens van de bijstand"
    } else if eligible {
        "uw inkomen is lager dan de bijstandsnorm"
    } else {
        "uw inkomen is niet lager dan de bijstandsnorm"
    };
    Outcome {
        regulation: R,
        eligible,
        year_cents: month * 12,
        month_cents: month,
        quarter_cents: None,
        reason,
        trace: t,
        partial: note,
    }
}

/// Beslagvrije voet (Rv art. 475c-475fa): only what is certain. See the parameter files.
pub fn beslagvrije_voet(
    h: &Household,
    f: &'static ParamFile,
    bijstand: &'static ParamFile,
) -> Outcome {
    const R: &str = "beslagvrije_voet";
    let mut t = Trace::new(f.file);
    const PARTIAL: &str = "bovengrens: de grondformule van Rv art. 475da lid 2 is nog niet geverifieerd en niet toegepast; de echte beslagvrije voet kan lager zijn";
    t.step("bekend adres", Value::Flag(h.address_known));
    if !h.address_known {
        let share = f.get("zonder_adres_aandeel_gehuwdennorm");
        let g = bijstand.get("norm_gehuwden");
        t.param(
            "gehuwdennorm (Pw art. 21 onder b)",
            g,
            Value::Cents(g.cents()),
        );
        t.param(
            "zonder adres: aandeel van de gehuwdennorm",
            share,
            Value::Rate(share.value),
        );
        let month = to_cents_down(share.value * g.value);
        t.step("beslagvrije voet per maand", Value::Cents(month));
        return Outcome {
            regulation: R,
            eligible: true,
            year_cents: month * 12,
            month_cents: month,
            quarter_cents: None,
            reason: "u heeft geen bekend adres: dan geldt een vast deel van de gehuwdennorm",
            trace: t,
            partial: None,
        };
    }
    let children = h.minor_children() > 0;
    let max = match (h.has_partner(), children) {
        (false, false) => f.get("maximum_alleenstaande"),
        (false, true) => f.get("maximum_alleenstaande_ouder"),
        (true, false) => f.get("maximum_gehuwden"),
        (true, true) => f.get("maximum_gehuwden_met_kinderen"),
    };
    t.param(
        "maximum beslagvrije voet (Rv art. 475da lid 1)",
        max,
        Value::Cents(max.cents()),
    );
    let share = f.get("inkomensgrens_aandeel");
    let income_month = h.income_year_cents / 12;
    t.step(
        "inkomen per maand (toetsingsinkomen / 12)",
        Value::Cents(income_month),
    );
    let cap = to_cents_down(share.value * euros(income_month));
    t.param(
        "nooit meer dan dit deel van het inkomen (Rv art. 475dc)",
        share,
        Value::Cents(cap),
    );
    let month = cap.min(max.cents());
    t.step(
        "beslagvrije voet per maand (bovengrens)",
        Value::Cents(month),
    );
    Outcome {
        regulation: R,
        eligible: true,
        year_cents: month * 12,
        month_cents: month,
        quarter_cents: None,
        reason: "het deel van uw inkomen waarop geen beslag mag worden gelegd",
        trace: t,
        partial: Some(PARTIAL),
    }
}

/// Eligibility for municipal minima schemes: income up to a percentage of the social minimum.
pub fn minima(h: &Household, bijstand: &'static ParamFile) -> Outcome {
    const R: &str = "minima";
    let mut t = Trace::new(bijstand.file);
    let (norm, _) = norm(&mut t, h, bijstand);
    t.step(
        "inkomensgrens in procenten van de bijstandsnorm",
        Value::Count(i64::from(h.minima_percentage)),
    );
    let limit = norm * i64::from(h.minima_percentage) / 100;
    t.step("inkomensgrens per maand", Value::Cents(limit));
    let income_month = h.income_year_cents / 12;
    t.step(
        "inkomen per maand (toetsingsinkomen / 12)",
        Value::Cents(income_month),
    );
    let eligible = income_month <= limit;
    let reason = if eligible {
        "uw inkomen is niet hoger dan de inkomensgrens van de minimaregelingen"
    } else {
        "uw inkomen is hoger dan de inkomensgrens van de minimaregelingen"
    };
    Outcome {
        regulation: R,
        eligible,
        year_cents: limit * 12,
        month_cents: limit,
        quarter_cents: None,
        reason,
        trace: t,
        partial: None,
    }
}
