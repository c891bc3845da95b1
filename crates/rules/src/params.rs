//! Parameters are data: one TOML file per regulation and period, under `params/<regulation>/`,
//! embedded in the binary at build time and parsed once.
//!
//! Every figure carries its `source` (law, article, version, or the official publication) and a
//! `status`: `verified` (checked against the law text or an official publication), `secondary`
//! (one secondary source) or `unverified`. A file applies from `valid_from` through
//! `valid_through`; a date outside every file of a regulation is an error, never a guess.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::RulesError;

/// How well a figure is established.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Checked against the law text or an official publication.
    Verified,
    /// Taken from one secondary source.
    Secondary,
    /// Not verified; to be checked before relying on it.
    Unverified,
}

/// One figure with where it comes from.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Param {
    /// The figure: euros (at most two decimals) or a rate as a decimal fraction.
    pub value: Decimal,
    /// Law id + article + version, or the official publication.
    pub source: String,
    /// How well it is established.
    pub status: Status,
    /// The figure in cents (whole cents part), computed once when loading.
    #[serde(skip)]
    cents: i64,
}

impl Param {
    /// The figure as cents; amounts have at most two decimals (checked when loading).
    pub fn cents(&self) -> i64 {
        self.cents
    }
}

/// One parameter file.
#[derive(Debug, Clone)]
pub struct ParamFile {
    /// Which regulation, e.g. `zorgtoeslag`.
    pub regulation: &'static str,
    /// File name inside `params/<regulation>/`.
    pub file: &'static str,
    /// First day it applies.
    pub valid_from: Date,
    /// Last day it applies.
    pub valid_through: Date,
    /// For regulations with regimes: which formula applies.
    pub regime: Option<String>,
    /// The figures by statutory name.
    pub values: HashMap<String, Param, foldhash::fast::RandomState>,
}

impl ParamFile {
    /// The figure named `name`.
    ///
    /// # Panics
    /// Panics if the name is missing; [`registry`] checks every name the rules use when loading.
    pub fn get(&self, name: &str) -> &Param {
        self.values
            .get(name)
            .unwrap_or_else(|| panic!("{}/{}: no parameter {name}", self.regulation, self.file))
    }
}

/// A file as written. Every key other than the three below must be a figure (a table with
/// `value`, `source`, `status`), so a misspelt key fails to load rather than being ignored.
#[derive(Deserialize)]
struct RawFile {
    valid_from: Date,
    valid_through: Date,
    #[serde(default)]
    regime: Option<String>,
    #[serde(flatten)]
    values: HashMap<String, Param, foldhash::fast::RandomState>,
}

macro_rules! files {
    ($($reg:literal / $name:literal),* $(,)?) => {
        &[$(($reg, $name, include_str!(concat!("../params/", $reg, "/", $name)))),*]
    };
}

/// Every parameter file, embedded. A test checks this list against the `params/` folder.
pub const FILES: &[(&str, &str, &str)] = files![
    "zorgtoeslag" / "2025-01-01.toml",
    "zorgtoeslag" / "2026-01-01.toml",
    "huurtoeslag" / "2025-01-01.toml",
    "huurtoeslag" / "2026-01-01.toml",
    "kindgebonden_budget" / "2025-01-01.toml",
    "kindgebonden_budget" / "2026-01-01.toml",
    "kinderbijslag" / "2025-01-01.toml",
    "kinderbijslag" / "2025-07-01.toml",
    "kinderbijslag" / "2026-01-01.toml",
    "bijstand" / "2025-01-01.toml",
    "bijstand" / "2025-07-01.toml",
    "bijstand" / "2026-01-01.toml",
    "beslagvrije_voet" / "2025-07-01.toml",
    "beslagvrije_voet" / "2026-01-01.toml",
];

/// Names each regulation's rules read; every file of that regulation must have them all.
const REQUIRED: &[(&str, &[&str])] = &[
    (
        "zorgtoeslag",
        &[
            "standaardpremie",
            "drempelinkomen",
            "normpremie_drempel_alleen",
            "normpremie_drempel_partner",
            "normpremie_boven_drempel",
            "vermogensgrens_alleen",
            "vermogensgrens_partner",
            "minimum_toeslag_per_jaar",
        ],
    ),
    (
        "kindgebonden_budget",
        &[
            "bedrag_per_kind",
            "extra_12_tot_16",
            "extra_16_tot_18",
            "alleenstaande_ouderkop",
            "drempelinkomen",
            "extra_drempel_partner",
            "afbouw",
            "vermogensgrens_alleen",
            "vermogensgrens_partner",
            "minimum_toeslag_per_jaar",
        ],
    ),
    (
        "kinderbijslag",
        &[
            "per_kwartaal_0_tot_6",
            "per_kwartaal_6_tot_12",
            "per_kwartaal_12_tot_18",
        ],
    ),
    (
        "bijstand",
        &[
            "norm_alleenstaande",
            "norm_gehuwden",
            "norm_alleenstaande_aow",
            "norm_gehuwden_aow",
            "norm_jongere_alleenstaande",
            "vermogensgrens_alleenstaande",
            "vermogensgrens_gezin",
            "kostendelers_basis",
            "kostendelers_per_persoon",
            "aow_leeftijd_maanden",
        ],
    ),
    (
        "beslagvrije_voet",
        &[
            "maximum_alleenstaande",
            "maximum_alleenstaande_ouder",
            "maximum_gehuwden",
            "maximum_gehuwden_met_kinderen",
            "inkomensgrens_aandeel",
            "zonder_adres_aandeel_gehuwdennorm",
        ],
    ),
];

const HUURTOESLAG_COMMON: &[&str] = &[
    "maximale_huurgrens",
    "maximale_huurgrens_jonger_dan_23",
    "kwaliteitskortingsgrens",
    "aftoppingsgrens_1_2_personen",
    "aftoppingsgrens_3_personen",
    "aandeel_tot_kwaliteitskortingsgrens",
    "aandeel_tot_aftoppingsgrens",
    "aandeel_boven_aftoppingsgrens",
    "eph_minimum_inkomensijkpunt",
    "mph_minimum_inkomensijkpunt",
    "vermogensgrens_alleen",
    "vermogensgrens_partner",
    "minimum_toeslag_per_jaar",
];
const HUURTOESLAG_2025: &[&str] = &[
    "taakstellingsbedrag",
    "eph_factor_a",
    "eph_factor_b",
    "eph_minimum_normhuur",
    "mph_factor_a",
    "mph_factor_b",
    "mph_minimum_normhuur",
];
const HUURTOESLAG_2026: &[&str] = &["basishuur_eph", "basishuur_mph", "afbouw_eph", "afbouw_mph"];

/// All parameter files, by regulation, ordered by `valid_from`.
#[derive(Debug)]
pub struct Registry {
    by_regulation: BTreeMap<&'static str, Vec<ParamFile>>,
}

impl Registry {
    /// The file of `regulation` that applies on `date`.
    pub fn at(&self, regulation: &'static str, date: Date) -> Result<&ParamFile, RulesError> {
        self.by_regulation
            .get(regulation)
            .and_then(|files| {
                files
                    .iter()
                    .find(|f| f.valid_from <= date && date <= f.valid_through)
            })
            .ok_or_else(|| RulesError::NoParameters {
                regulation,
                date: date.to_string(),
                known: self.span(regulation),
            })
    }

    fn span(&self, regulation: &str) -> String {
        match self.by_regulation.get(regulation) {
            Some(files) if !files.is_empty() => format!(
                "{} through {}",
                files[0].valid_from,
                files[files.len() - 1].valid_through
            ),
            _ => "none".into(),
        }
    }

    /// Every file, for listing and checks.
    pub fn files(&self) -> impl Iterator<Item = &ParamFile> {
        self.by_regulation.values().flatten()
    }
}

fn load(regulation: &'static str, file: &'static str, text: &str) -> Result<ParamFile, String> {
    let raw: RawFile =
        toml::from_str(text).map_err(|e| format!("params/{regulation}/{file}: {e}"))?;
    let mut values = raw.values;
    for (name, p) in values.iter_mut() {
        p.cents = i64::try_from((p.value * Decimal::ONE_HUNDRED).trunc())
            .map_err(|_| format!("params/{regulation}/{file}: {name} is out of range"))?;
    }
    let f = ParamFile {
        regulation,
        file,
        valid_from: raw.valid_from,
        valid_through: raw.valid_through,
        regime: raw.regime,
        values,
    };
    let mut required: Vec<&str> = REQUIRED
        .iter()
        .filter(|(r, _)| *r == regulation)
        .flat_map(|(_, n)| n.iter().copied())
        .collect();
    if regulation == "huurtoeslag" {
        required.extend(HUURTOESLAG_COMMON);
        match f.regime.as_deref() {
            Some("2025") => required.extend(HUURTOESLAG_2025),
            Some("2026") => required.extend(HUURTOESLAG_2026),
            other => {
                return Err(format!(
                    "params/{regulation}/{file}: unknown regime {other:?}"
                ))
            }
        }
    }
    for name in required {
        if !f.values.contains_key(name) {
            return Err(format!("params/{regulation}/{file}: missing {name}"));
        }
    }
    for (name, p) in &f.values {
        let is_rate = name.contains("aandeel")
            || name.contains("afbouw")
            || name.contains("normpremie")
            || name.contains("factor")
            || name.contains("kostendelers");
        if !is_rate && p.value.normalize().scale() > 2 {
            return Err(format!(
                "params/{regulation}/{file}: {name} has more than two decimals"
            ));
        }
    }
    Ok(f)
}

/// The parameters, parsed once. Embedded files that do not parse are a build defect: the tests
/// load them all, so this never fails in a released binary.
pub fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY
        .get_or_init(|| try_registry().unwrap_or_else(|e| panic!("embedded parameter files: {e}")))
}

/// Parses every embedded file, checking names, decimals and periods.
pub fn try_registry() -> Result<Registry, String> {
    let mut by_regulation: BTreeMap<&'static str, Vec<ParamFile>> = BTreeMap::new();
    for (regulation, file, text) in FILES {
        by_regulation
            .entry(regulation)
            .or_default()
            .push(load(regulation, file, text)?);
    }
    for (regulation, files) in &mut by_regulation {
        files.sort_by_key(|f| f.valid_from);
        for pair in files.windows(2) {
            if pair[1].valid_from <= pair[0].valid_through {
                return Err(format!(
                    "{regulation}: {} overlaps {}",
                    pair[1].file, pair[0].file
                ));
            }
        }
    }
    Ok(Registry { by_regulation })
}
