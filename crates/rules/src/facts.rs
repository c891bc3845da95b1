//! Household facts: what a resident or counsellor tells, and the checked household the rules use.
//!
//! The input ([`Facts`]) is plain data (deserialised at the edge, JSON schema in the README). It is
//! checked once against the reference date ([`Facts::check`]); the rules only ever see a
//! [`Household`], whose ages and totals are already derived ("parse, don't validate").

use jiff::civil::Date;
use serde::Deserialize;

use crate::RulesError;

/// The facts of one household, as entered.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Facts {
    /// The applicant first, then at most one partner (toeslagpartner / echtgenoot).
    pub persons: Vec<Person>,
    /// Children living in the household.
    #[serde(default)]
    pub children: Vec<Child>,
    /// Household assets (rendementsgrondslag on 1 January), in cents.
    #[serde(default)]
    pub assets_cents: i64,
    /// The rent, if the household rents.
    #[serde(default)]
    pub rent: Option<Rent>,
    /// Whether the resident has a known address (beslagvrije voet, Rv art. 475da lid 4).
    #[serde(default = "yes")]
    pub address_known: bool,
    /// Other people aged 21 or over sharing the home (kostendelers, Pw art. 22a), besides the
    /// applicant and partner.
    #[serde(default)]
    pub housemates_21_plus: u32,
    /// Income limit of the municipal minima schemes, in percent of the social minimum (default 120).
    #[serde(default)]
    pub minima_percentage: Option<u32>,
    /// The part of the household's toetsingsinkomen that is bijstand itself, per year, in cents;
    /// left out when testing income against the bijstandsnorm.
    #[serde(default)]
    pub bijstand_year_cents: i64,
}

fn yes() -> bool {
    true
}

/// A person: the applicant or the partner.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Person {
    /// Optional: which person this is; the applicant comes first, the partner second.
    #[serde(default)]
    pub role: Option<PersonRole>,
    /// Date of birth.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub birth_date: Date,
    /// Insured under the Zorgverzekeringswet.
    #[serde(default = "yes")]
    pub insured: bool,
    /// Toetsingsinkomen for the year, in cents.
    #[serde(
        alias = "income_cents",
        alias = "income_year_cents",
        alias = "toetsingsinkomen_year_cents"
    )]
    pub toetsingsinkomen_cents: i64,
}

/// Which person of the household.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum PersonRole {
    /// The person applying (aanvrager).
    Applicant,
    /// The toeslagpartner / echtgenoot.
    Partner,
}

/// A child in the household.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Child {
    /// Date of birth.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub birth_date: Date,
}

/// The rent per month.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Rent {
    /// Kale huur per month, in cents.
    pub kale_huur_cents: i64,
    /// Subsidiable service costs per month, in cents (count only in the 2025 regime).
    #[serde(default)]
    pub service_costs_cents: i64,
}

/// A checked household on a reference date.
#[derive(Debug, Clone)]
pub struct Household {
    /// The reference date.
    pub date: Date,
    /// Applicant's age in whole months.
    pub applicant_months: i32,
    /// Applicant insured.
    pub applicant_insured: bool,
    /// Partner's age in months and whether insured.
    pub partner: Option<(i32, bool)>,
    /// Joint toetsingsinkomen for the year, cents.
    pub income_year_cents: i64,
    /// Children's ages in whole years on the reference date.
    pub child_ages: Vec<i32>,
    /// Children's ages in whole years on the first day of the reference date's quarter; `None`
    /// for a child born after that day (kinderbijslag starts the quarter after birth).
    pub child_ages_quarter: Vec<Option<i32>>,
    /// Assets, cents.
    pub assets_cents: i64,
    /// Rent, if any.
    pub rent: Option<(i64, i64)>,
    /// Known address.
    pub address_known: bool,
    /// Kostendelers besides applicant and partner.
    pub housemates_21_plus: u32,
    /// Minima income limit, percent.
    pub minima_percentage: u32,
    /// Part of the income that is bijstand, per year, cents.
    pub bijstand_year_cents: i64,
}

/// Most persons a household may list (applicant and partner).
pub const PERSONS_MAX: usize = 2;
/// Most children a household may list.
pub const CHILDREN_MAX: usize = 20;
/// Largest amount accepted anywhere in the facts: EUR 100 million, in cents.
pub const AMOUNT_MAX_CENTS: i64 = 10_000_000_000;

fn months_between(birth: Date, on: Date) -> i32 {
    let mut m = (i32::from(on.year()) - i32::from(birth.year())) * 12 + i32::from(on.month())
        - i32::from(birth.month());
    if on.day() < birth.day() {
        m -= 1;
    }
    m
}

fn amount(field: String, cents: i64) -> Result<i64, RulesError> {
    if cents < 0 {
        return Err(RulesError::Facts {
            field,
            why: format!("must not be negative, found {cents}"),
        });
    }
    if cents > AMOUNT_MAX_CENTS {
        return Err(RulesError::Facts {
            field,
            why: format!("more than EUR 100 million ({cents} cents)"),
        });
    }
    Ok(cents)
}

fn born(field: String, birth: Date, date: Date) -> Result<i32, RulesError> {
    if birth > date {
        return Err(RulesError::Facts {
            field,
            why: format!("birth date {birth} is after the reference date {date}"),
        });
    }
    let months = months_between(birth, date);
    if months > 130 * 12 {
        return Err(RulesError::Facts {
            field,
            why: format!("birth date {birth} is more than 130 years ago"),
        });
    }
    Ok(months)
}

impl Facts {
    /// Checks the facts against the reference date and derives the household.
    pub fn check(&self, date: Date) -> Result<Household, RulesError> {
        if self.persons.is_empty() || self.persons.len() > PERSONS_MAX {
            return Err(RulesError::Facts {
                field: "persons".into(),
                why: format!(
                    "expected the applicant and at most one partner, found {} persons",
                    self.persons.len()
                ),
            });
        }
        if self.children.len() > CHILDREN_MAX {
            return Err(RulesError::Facts {
                field: "children".into(),
                why: format!("at most {CHILDREN_MAX} children"),
            });
        }
        let mut months = Vec::new();
        let mut income = 0i64;
        for (i, p) in self.persons.iter().enumerate() {
            let want = if i == 0 {
                PersonRole::Applicant
            } else {
                PersonRole::Partner
            };
            if p.role.is_some_and(|r| r != want) {
                return Err(RulesError::Facts { field: format!("persons[{i}].role"), why: format!("expected {want:?} here: the applicant comes first, then at most one partner").to_lowercase() });
            }
            months.push(born(
                format!("persons[{i}].birth_date"),
                p.birth_date,
                date,
            )?);
            income += amount(
                format!("persons[{i}].toetsingsinkomen_cents"),
                p.toetsingsinkomen_cents,
            )?;
        }
        if months[0] < 18 * 12 {
            return Err(RulesError::Facts {
                field: "persons[0].birth_date".into(),
                why: "the applicant must be 18 or older".into(),
            });
        }
        let quarter_start = Date::new(date.year(), ((date.month() - 1) / 3) * 3 + 1, 1)
            .expect("valid quarter start");
        let mut child_ages = Vec::new();
        let mut child_ages_quarter = Vec::new();
        for (i, c) in self.children.iter().enumerate() {
            child_ages.push(born(format!("children[{i}].birth_date"), c.birth_date, date)? / 12);
            child_ages_quarter.push(
                (c.birth_date <= quarter_start)
                    .then(|| months_between(c.birth_date, quarter_start) / 12),
            );
        }
        let rent = match &self.rent {
            Some(r) => Some((
                amount("rent.kale_huur_cents".into(), r.kale_huur_cents)?,
                amount("rent.service_costs_cents".into(), r.service_costs_cents)?,
            )),
            None => None,
        };
        let minima_percentage = self.minima_percentage.unwrap_or(120);
        if !(100..=200).contains(&minima_percentage) {
            return Err(RulesError::Facts {
                field: "minima_percentage".into(),
                why: format!("expected 100 to 200, found {minima_percentage}"),
            });
        }
        Ok(Household {
            date,
            applicant_months: months[0],
            applicant_insured: self.persons[0].insured,
            partner: self.persons.get(1).map(|p| (months[1], p.insured)),
            income_year_cents: income,
            child_ages,
            child_ages_quarter,
            assets_cents: amount("assets_cents".into(), self.assets_cents)?,
            rent,
            address_known: self.address_known,
            housemates_21_plus: self.housemates_21_plus.min(20),
            minima_percentage,
            bijstand_year_cents: {
                let b = amount("bijstand_year_cents".into(), self.bijstand_year_cents)?;
                if b > income {
                    return Err(RulesError::Facts {
                        field: "bijstand_year_cents".into(),
                        why: format!("{b} is more than the household's toetsingsinkomen {income}"),
                    });
                }
                b
            },
        })
    }
}

impl Household {
    /// Whether there is a partner.
    pub fn has_partner(&self) -> bool {
        self.partner.is_some()
    }

    /// Children under 18 on the reference date.
    pub fn minor_children(&self) -> usize {
        self.child_ages.iter().filter(|&&a| a < 18).count()
    }

    /// Number of people in the household (applicant, partner, children).
    pub fn size(&self) -> usize {
        1 + usize::from(self.has_partner()) + self.child_ages.len()
    }
}
