//! Canonical bytes of an agreement, for ledger entries. Field order is fixed, options are a
//! presence byte then the value, dates are year (u16) month (u8) day (u8), texts are
//! length-prefixed UTF-8 with limits. Never produced by serde, so the signed bytes are stable.
//!
//! Version 1 holds every field but the creditor's name; version 2 is version 1 followed by the
//! creditor's name. An agreement without a creditor's name is written as version 1, so every
//! agreement recorded before the name existed keeps its bytes. The version is carried by the
//! command that holds the agreement ([`Agreement::version`]).

use jiff::civil::Date;
use knop_codec::{DecodeError, Reader, Writer};

use crate::schedule::{Day, Schedule};
use crate::{Agreement, Category, DirectDebit, Kind};

/// Longest text field of an agreement, in bytes.
pub const TEXT_BYTES_MAX: usize = 140;

/// Appends a date as year (u16), month (u8), day (u8): the one date encoding of ledger content.
pub fn date(w: &mut Writer, d: Date) {
    w.u16(d.year() as u16);
    w.u8(d.month() as u8);
    w.u8(d.day() as u8);
}

/// Reads a date written by [`date`], naming `field` when it is not a valid date.
pub fn read_date(r: &mut Reader<'_>, field: &'static str) -> Result<Date, DecodeError> {
    let at = r.offset();
    let (y, m, d) = (r.u16(field)?, r.u8(field)?, r.u8(field)?);
    Date::new(y as i16, m as i8, d as i8).map_err(|_| DecodeError {
        offset: at,
        field,
        expected: format!("a valid date, found {y}-{m}-{d}"),
    })
}

fn opt<T>(w: &mut Writer, v: &Option<T>, f: impl FnOnce(&mut Writer, &T)) {
    match v {
        None => w.u8(0),
        Some(x) => {
            w.u8(1);
            f(w, x);
        }
    }
}

fn read_opt<T>(
    r: &mut Reader<'_>,
    field: &'static str,
    f: impl FnOnce(&mut Reader<'_>) -> Result<T, DecodeError>,
) -> Result<Option<T>, DecodeError> {
    match r.u8(field)? {
        0 => Ok(None),
        1 => f(r).map(Some),
        other => Err(r.error(field, format!("presence byte 0 or 1, found {other}"))),
    }
}

const DAYS: [Day; 7] = [
    Day::Monday,
    Day::Tuesday,
    Day::Wednesday,
    Day::Thursday,
    Day::Friday,
    Day::Saturday,
    Day::Sunday,
];
const KINDS: [Kind; 4] = [
    Kind::Income,
    Kind::FixedCost,
    Kind::DebtArrangement,
    Kind::LivingMoney,
];
const CATEGORIES: [Category; 6] = [
    Category::Housing,
    Category::EnergyWater,
    Category::HealthInsurance,
    Category::OtherFixed,
    Category::DebtArrangement,
    Category::LivingMoney,
];

fn index<T: PartialEq>(list: &[T], v: &T) -> u8 {
    list.iter()
        .position(|x| x == v)
        .expect("every variant is listed") as u8
}

fn pick<T: Copy>(r: &Reader<'_>, list: &[T], i: u8, field: &'static str) -> Result<T, DecodeError> {
    list.get(i as usize)
        .copied()
        .ok_or_else(|| r.error(field, format!("a value below {}, found {i}", list.len())))
}

impl Agreement {
    /// The encoding version [`Agreement::encode`] writes: 2 when the agreement names its
    /// creditor, else 1.
    pub fn version(&self) -> u8 {
        if self.creditor_name.is_some() {
            2
        } else {
            1
        }
    }

    /// Appends the canonical encoding, in version [`Agreement::version`]. The encodings are
    /// self-delimiting, so a version 2 encoding is never another agreement's version 1.
    pub fn encode(&self, w: &mut Writer) {
        w.str(&self.id);
        w.u8(index(&KINDS, &self.kind));
        w.i64(self.amount_cents);
        match &self.schedule {
            Schedule::Monthly { day } => {
                w.u8(1);
                w.u8(*day as u8);
            }
            Schedule::Weekly { weekday } => {
                w.u8(2);
                w.u8(index(&DAYS, weekday));
            }
            Schedule::EveryNWeeks { n, first } => {
                w.u8(3);
                w.u32(*n as u32);
                date(w, *first);
            }
            Schedule::Quarterly { first } => {
                w.u8(4);
                date(w, *first);
            }
            Schedule::Yearly { month, day } => {
                w.u8(5);
                w.u8(*month as u8);
                w.u8(*day as u8);
            }
            Schedule::Once { date: d } => {
                w.u8(6);
                date(w, *d);
            }
        }
        opt(w, &self.valid_from, |w, d| date(w, *d));
        opt(w, &self.valid_through, |w, d| date(w, *d));
        opt(w, &self.label, |w, s| w.str(s));
        opt(w, &self.counterparty_iban, |w, s| w.str(s));
        opt(w, &self.reference, |w, s| w.str(s));
        w.i64(self.tolerance_cents);
        w.i64(self.tolerance_days);
        opt(w, &self.direct_debit, |w, d| {
            w.str(&d.creditor_id);
            w.str(&d.mandate_id);
        });
        opt(w, &self.category, |w, c| w.u8(index(&CATEGORIES, c)));
        if let Some(name) = &self.creditor_name {
            w.str(name);
        }
    }

    /// Reads an agreement written by [`Agreement::encode`] in `version` (1 or 2).
    pub fn decode(r: &mut Reader<'_>, version: u8) -> Result<Self, DecodeError> {
        let text =
            |r: &mut Reader<'_>, f: &'static str| r.str(f, TEXT_BYTES_MAX).map(str::to_owned);
        let id = text(r, "agreement.id")?;
        let k = r.u8("agreement.kind")?;
        let kind = pick(r, &KINDS, k, "agreement.kind")?;
        let amount_cents = r.i64("agreement.amount")?;
        let schedule = match r.u8("agreement.schedule")? {
            1 => Schedule::Monthly {
                day: r.u8("schedule.day")? as i8,
            },
            2 => {
                let i = r.u8("schedule.weekday")?;
                Schedule::Weekly {
                    weekday: pick(r, &DAYS, i, "schedule.weekday")?,
                }
            }
            3 => Schedule::EveryNWeeks {
                n: r.u32("schedule.n")? as i32,
                first: read_date(r, "schedule.first")?,
            },
            4 => Schedule::Quarterly {
                first: read_date(r, "schedule.first")?,
            },
            5 => Schedule::Yearly {
                month: r.u8("schedule.month")? as i8,
                day: r.u8("schedule.day")? as i8,
            },
            6 => Schedule::Once {
                date: read_date(r, "schedule.date")?,
            },
            other => {
                return Err(r.error(
                    "agreement.schedule",
                    format!("a schedule tag 1-6, found {other}"),
                ))
            }
        };
        Ok(Agreement {
            id,
            kind,
            amount_cents,
            schedule,
            valid_from: read_opt(r, "agreement.valid_from", |r| {
                read_date(r, "agreement.valid_from")
            })?,
            valid_through: read_opt(r, "agreement.valid_through", |r| {
                read_date(r, "agreement.valid_through")
            })?,
            label: read_opt(r, "agreement.label", |r| text(r, "agreement.label"))?,
            counterparty_iban: read_opt(r, "agreement.counterparty_iban", |r| {
                text(r, "agreement.counterparty_iban")
            })?,
            reference: read_opt(r, "agreement.reference", |r| text(r, "agreement.reference"))?,
            tolerance_cents: r.i64("agreement.tolerance_cents")?,
            tolerance_days: r.i64("agreement.tolerance_days")?,
            direct_debit: read_opt(r, "agreement.direct_debit", |r| {
                Ok(DirectDebit {
                    creditor_id: text(r, "direct_debit.creditor_id")?,
                    mandate_id: text(r, "direct_debit.mandate_id")?,
                })
            })?,
            category: read_opt(r, "agreement.category", |r| {
                let i = r.u8("agreement.category")?;
                pick(r, &CATEGORIES, i, "agreement.category")
            })?,
            creditor_name: match version {
                1 => None,
                _ => Some(text(r, "agreement.creditor_name")?),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_every_schedule_and_option() {
        let base: Agreement = serde_json::from_str(
            r#"{"id": "zorg", "kind": "fixed_cost", "amount_cents": 14500, "schedule": {"monthly": {"day": 31}},
                "valid_from": "2026-01-01", "valid_through": "2026-12-31", "label": "Zorgverzekering", "counterparty_iban": "NL20INGB0001234567",
                "reference": "polis 1", "tolerance_cents": 100, "tolerance_days": 3, "category": "health_insurance",
                "direct_debit": {"creditor_id": "NL98ZZZ999999999999", "mandate_id": "M-1"}}"#,
        )
        .unwrap();
        let d = |s: &str| s.parse::<Date>().unwrap();
        let schedules = [
            Schedule::Monthly { day: 31 },
            Schedule::Weekly {
                weekday: Day::Sunday,
            },
            Schedule::EveryNWeeks {
                n: 2,
                first: d("2026-01-05"),
            },
            Schedule::Quarterly {
                first: d("2026-01-05"),
            },
            Schedule::Yearly { month: 2, day: 29 },
            Schedule::Once {
                date: d("2026-06-10"),
            },
        ];
        for s in schedules {
            for a in [
                Agreement {
                    schedule: s.clone(),
                    ..base.clone()
                },
                Agreement {
                    schedule: s.clone(),
                    creditor_name: Some("Woonstichting Mitros".into()),
                    ..base.clone()
                },
                Agreement {
                    schedule: s,
                    valid_from: None,
                    valid_through: None,
                    label: None,
                    counterparty_iban: None,
                    reference: None,
                    direct_debit: None,
                    category: None,
                    ..base.clone()
                },
            ] {
                let mut w = Writer::new();
                a.encode(&mut w);
                let bytes = w.finish();
                let mut r = Reader::new(&bytes);
                let back = Agreement::decode(&mut r, a.version()).unwrap();
                r.end().unwrap();
                let mut w2 = Writer::new();
                back.encode(&mut w2);
                assert_eq!(w2.finish(), bytes);
                assert_eq!(format!("{back:?}"), format!("{a:?}"));
            }
        }
    }

    #[test]
    fn an_agreement_without_a_creditor_name_keeps_its_version_1_bytes() {
        let mut a: Agreement = serde_json::from_str(
            r#"{"id": "huur", "kind": "fixed_cost", "amount_cents": 80000, "schedule": {"monthly": {"day": 1}}}"#,
        )
        .unwrap();
        assert_eq!(a.version(), 1);
        let mut w = Writer::new();
        a.encode(&mut w);
        let v1 = w.finish();
        a.creditor_name = Some("Mitros".into());
        assert_eq!(a.version(), 2);
        let mut w = Writer::new();
        a.encode(&mut w);
        let v2 = w.finish();
        assert_eq!(&v2[..v1.len()], &v1[..], "version 2 appends to version 1");
        // Version 2 bytes read as version 1 leave the name unread: the command's version decides.
        let mut r = Reader::new(&v2);
        Agreement::decode(&mut r, 1).unwrap();
        assert!(r.end().is_err());
    }
}
