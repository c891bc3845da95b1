//! `knop simulate`: the five virtual residents, a year without and with knop, written as
//! `summary.json`, `report.html` (charts as inline SVG) and every bank file exchanged.

use compact_str::format_compact;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Args;
use knop_bank::camt053::{write_v02, Balance, Details, Entry, Statement};
use knop_bank::pain001::{write as write_pain, Payment, Run, Version};
use knop_sim::{run, Booking, Month, Outcome, Scenario, FIVE_RESIDENTS};
use serde_json::json;

use crate::files::euro;
use crate::i18n::t;

/// Arguments of `knop simulate`.
#[derive(Args, Debug)]
pub struct SimulateArgs {
    /// `five-residents` (built in) or a scenario file (copy `crates/sim/scenarios/five-residents.json`).
    #[arg(long, default_value = "five-residents")]
    pub scenario: String,
    /// Months to simulate (1-36).
    #[arg(long, default_value_t = 12)]
    pub months: i32,
    /// Output folder (created; must be empty or new).
    #[arg(long)]
    pub out: PathBuf,
}

fn sum(ms: &[Month], f: fn(&Month) -> i64) -> i64 {
    ms.iter().map(f).sum()
}

/// `knop simulate`.
pub fn run_cmd(a: SimulateArgs) -> Result<ExitCode> {
    let text = if a.scenario == "five-residents" {
        FIVE_RESIDENTS.to_owned()
    } else {
        String::from_utf8(crate::files::read(std::path::Path::new(&a.scenario))?)
            .with_context(|| format!("{}: not UTF-8", a.scenario))?
    };
    let scenario: Scenario =
        serde_json::from_str(&text).with_context(|| format!("{}: scenario", a.scenario))?;
    if a.out.exists() && std::fs::read_dir(&a.out)?.next().is_some() {
        bail!("{} {}", a.out.display(), t("is niet leeg", "is not empty"));
    }
    std::fs::create_dir_all(a.out.join("bank/camt053"))
        .with_context(|| format!("creating {}", a.out.display()))?;
    std::fs::create_dir_all(a.out.join("bank/pain001"))?;
    eprintln!(
        "{} {} ({} {}, {} {})",
        t("Simulatie", "Simulation"),
        scenario.title,
        scenario.households.len(),
        t("huishoudens", "households"),
        a.months,
        t("maanden", "months")
    );
    let outcomes = run(&scenario, a.months)?;
    for o in &outcomes {
        eprintln!("  {} — {}", o.id, o.title);
    }
    let files = write_bank_files(&scenario, &outcomes, &a.out)?;
    let pipeline = pipeline_check(&scenario, &outcomes, &a.out)?;
    let summary = json!({
        "scenario": scenario.title, "start": scenario.start.to_string(), "months": a.months,
        "households": outcomes.iter().map(|o| json!({
            "id": o.id, "title": o.title, "story": o.story,
            "status_quo": o.status_quo, "knop": o.knop,
            "totals": {"status_quo": totals(&o.status_quo), "knop": totals(&o.knop)},
        })).collect::<Vec<_>>(),
        "bank_files": files,
        "pipeline": pipeline,
    });
    std::fs::write(
        a.out.join("summary.json"),
        serde_json::to_vec_pretty(&summary)?,
    )?;
    std::fs::write(
        a.out.join("report.html"),
        report(&scenario, &outcomes, a.months, &summary["pipeline"]),
    )?;
    println!("{} {}", t("Klaar:", "Done:"), a.out.display());
    println!(
        "  {}: {} {} {} {}; {} {}",
        t(
            "door de echte pijplijn (import, match, boeken)",
            "through the real pipeline (import, match, book)"
        ),
        summary["pipeline"]["matched_lines"],
        t("van", "of"),
        summary["pipeline"]["bank_lines"],
        t("bankregels gematcht", "bank lines matched"),
        t(
            "saldi gelijk aan het model:",
            "balances equal to the model:"
        ),
        if summary["pipeline"]["ok"] == true {
            t("ja", "yes")
        } else {
            t("NEE", "NO")
        }
    );
    for o in &outcomes {
        let (s, k) = (&o.status_quo, &o.knop);
        println!(
            "  {:<14} {} {:>3} → {:>3}   {} {:>12} → {:>12}",
            o.id,
            t("te laat", "late"),
            sum(s, |m| i64::from(m.paid_late)),
            sum(k, |m| i64::from(m.paid_late)),
            t("incassokosten", "collection costs"),
            euro(sum(s, |m| m.collection_costs_cents)),
            euro(sum(k, |m| m.collection_costs_cents))
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn totals(ms: &[Month]) -> serde_json::Value {
    json!({
        "paid_on_time": sum(ms, |m| i64::from(m.paid_on_time)),
        "paid_late": sum(ms, |m| i64::from(m.paid_late)),
        "collection_costs_cents": sum(ms, |m| m.collection_costs_cents),
        "living_money_cents": sum(ms, |m| m.living_money_cents),
        "open_bills_at_end": ms.last().map_or(0, |m| m.open_bills),
        "end_balance_cents": ms.last().map_or(0, |m| m.end_balance_cents),
    })
}

/// The foundation account's bank files of the knop world: a camt.053 per month (all households)
/// and a pain.001 per business day with transfers.
pub fn write_bank_files(
    s: &Scenario,
    outcomes: &[Outcome],
    out: &std::path::Path,
) -> Result<Vec<String>> {
    let mut all: Vec<&Booking> = outcomes.iter().flat_map(|o| &o.bookings).collect();
    all.sort_by_key(|b| (b.date, b.household.clone(), b.agreement.clone()));
    let mut names = vec![];
    // pain.001: knop's transfers, one file per execution day.
    let mut by_day: BTreeMap<jiff::civil::Date, Vec<&Booking>> = BTreeMap::new();
    for b in all
        .iter()
        .filter(|b| b.cents < 0 && b.end_to_end_id.is_some() && b.counterparty_iban.is_some())
    {
        by_day.entry(b.date).or_default().push(b);
    }
    for (day, list) in &by_day {
        let run = Run {
            message_id: format!("SIM-RUN-{}", day.strftime("%Y%m%d")),
            created: format!("{day}T07:00:00"),
            execution_date: day.to_string(),
            debtor_name: "Stichting Huishoudboekje".into(),
            debtor_iban: s.foundation_iban.clone(),
            debtor_bic: None,
            payments: list
                .iter()
                .map(|b| Payment {
                    end_to_end_id: b.end_to_end_id.clone().expect("filtered"),
                    cents: -b.cents,
                    creditor_name: b.counterparty_name.clone(),
                    creditor_iban: b.counterparty_iban.clone().expect("filtered"),
                    creditor_bic: None,
                    remittance: format!("{} {}", b.household, b.remittance),
                })
                .collect(),
        };
        let name = format!("bank/pain001/{}.xml", day);
        std::fs::write(out.join(&name), write_pain(&run, Version::V03)?)?;
        names.push(name);
    }
    // camt.053: everything booked on the foundation account, per month.
    let mut by_month: BTreeMap<String, Vec<&Booking>> = BTreeMap::new();
    for b in &all {
        by_month
            .entry(b.date.strftime("%Y-%m").to_string())
            .or_default()
            .push(b);
    }
    let mut balance: i64 = s.households.iter().map(|h| h.opening_balance_cents).sum();
    for (n, (month, list)) in by_month.iter().enumerate() {
        let opening = balance;
        let entries: Vec<Entry> = list
            .iter()
            .enumerate()
            .map(|(i, b)| {
                balance += b.cents;
                Entry {
                    reference: None,
                    cents: b.cents,
                    currency: "EUR".into(),
                    reversal: false,
                    status: "BOOK".into(),
                    booking_date: Some(format_compact!("{}", b.date)),
                    value_date: Some(format_compact!("{}", b.date)),
                    servicer_reference: Some(format_compact!("SIM-{month}-{i:05}")),
                    bank_code: None,
                    details: vec![Details {
                        end_to_end_id: b.end_to_end_id.as_deref().map(Into::into),
                        mandate_id: b.mandate.as_ref().map(|m| m.0.as_str().into()),
                        creditor_id: b.mandate.as_ref().map(|m| m.1.as_str().into()),
                        counterparty_name: Some(b.counterparty_name.as_str().into()),
                        counterparty_iban: b.counterparty_iban.as_deref().map(Into::into),
                        remittance: Some(format_compact!("{} {}", b.household, b.remittance)),
                        ..Default::default()
                    }],
                    line: 0,
                }
            })
            .collect();
        let stmt = Statement {
            id: format!("SIM-{month}"),
            sequence: Some((n + 1).to_string()),
            created: None,
            account: Some(s.foundation_iban.clone()),
            currency: Some("EUR".into()),
            balances: vec![
                Balance::eur("OPBD", opening, format!("{month}-01")),
                Balance::eur(
                    "CLBD",
                    balance,
                    list.last()
                        .map_or(format!("{month}-01"), |b| b.date.to_string()),
                ),
            ],
            entries,
            line: 0,
        };
        let name = format!("bank/camt053/{month}.xml");
        std::fs::write(
            out.join(&name),
            write_v02(
                &stmt,
                &format!("SIM-{month}"),
                &format!("{month}-28T18:00:00"),
            ),
        )?;
        names.push(name);
    }
    Ok(names)
}

/// A line chart of two monthly series as inline SVG.
fn chart(title: &str, labels: &[String], a: &[i64], b: &[i64]) -> String {
    let (w, h, pad) = (560.0, 200.0, 40.0);
    let max = a.iter().chain(b).copied().max().unwrap_or(0).max(1) as f64;
    let min = a.iter().chain(b).copied().min().unwrap_or(0).min(0) as f64;
    let n = labels.len().max(2) as f64;
    let x = |i: usize| pad + (w - 2.0 * pad) * i as f64 / (n - 1.0);
    let y = |v: i64| h - pad - (h - 2.0 * pad) * (v as f64 - min) / (max - min);
    let line = |s: &[i64]| {
        s.iter()
            .enumerate()
            .map(|(i, v)| format!("{:.1},{:.1}", x(i), y(*v)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut svg = format!(
        "<svg viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{title}\"><title>{title}</title>"
    );
    let _ = write!(
        svg,
        "<line x1=\"{pad}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#999\"/>",
        y(0),
        w - pad,
        y(0)
    );
    let _ = write!(
        svg,
        "<polyline fill=\"none\" stroke=\"#c0392b\" stroke-width=\"2.5\" points=\"{}\"/>",
        line(a)
    );
    let _ = write!(svg, "<polyline fill=\"none\" stroke=\"#1a7f37\" stroke-width=\"2.5\" stroke-dasharray=\"6 3\" points=\"{}\"/>", line(b));
    for (i, l) in labels.iter().enumerate() {
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"middle\">{}</text>",
            x(i),
            h - 12.0,
            &l[5..]
        );
    }
    let _ = write!(svg, "<text x=\"4\" y=\"14\" font-size=\"11\">{}</text><text x=\"4\" y=\"{:.1}\" font-size=\"10\">{}</text>", euro(max as i64), y(min as i64), euro(min as i64));
    svg.push_str("</svg>");
    svg
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn report(s: &Scenario, outcomes: &[Outcome], months: i32, pipeline: &serde_json::Value) -> String {
    let mut h = String::new();
    let _ = write!(h, "<!doctype html><html lang=\"nl\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title>", esc(&s.title));
    h.push_str("<style>body{font-family:system-ui,sans-serif;max-width:920px;margin:2rem auto;padding:0 1rem;color:#1b1b1b;line-height:1.5}table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:right}th:first-child,td:first-child{text-align:left}.key span{display:inline-block;width:1.5rem;height:.3rem;margin:0 .4rem .2rem 1rem;vertical-align:middle}section{border-top:1px solid #ddd;margin-top:2rem}svg{width:100%;height:auto;max-width:560px}</style></head><body>");
    let _ = write!(h, "<h1>{}</h1><p>Een jaar huishoudgeld van vijf virtuele inwoners, dag voor dag, twee keer doorgerekend: <b>zonder</b> knop (de inwoner betaalt zelf, als er geld is) en <b>met</b> knop (inkomsten op de rekening van de stichting, vaste lasten op tijd, vast leefgeld, een voorschot als inkomen te laat is). Start {}, {months} maanden. Incassokosten volgens de Wet incassokosten (WIK) zodra een rekening 30 dagen na de vervaldatum nog openstaat.</p>", esc(&s.title), crate::files::date(s.start));
    h.push_str("<p class=\"key\">Lijnen:<span style=\"background:#c0392b\"></span>zonder knop<span style=\"background:#1a7f37\"></span>met knop</p>");
    h.push_str("<table><tr><th>Huishouden</th><th>Te laat betaald<br>zonder → met</th><th>Incassokosten<br>zonder → met</th><th>Leefgeld<br>zonder → met</th></tr>");
    for o in outcomes {
        let (a, b) = (&o.status_quo, &o.knop);
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{} → {}</td><td>{} → {}</td><td>{} → {}</td></tr>",
            esc(&o.title),
            sum(a, |m| i64::from(m.paid_late)),
            sum(b, |m| i64::from(m.paid_late)),
            euro(sum(a, |m| m.collection_costs_cents)),
            euro(sum(b, |m| m.collection_costs_cents)),
            euro(sum(a, |m| m.living_money_cents)),
            euro(sum(b, |m| m.living_money_cents))
        );
    }
    h.push_str("</table>");
    for o in outcomes {
        let labels: Vec<String> = o.knop.iter().map(|m| m.month.clone()).collect();
        let cum = |ms: &[Month]| {
            ms.iter()
                .scan(0, |acc, m| {
                    *acc += m.collection_costs_cents;
                    Some(*acc)
                })
                .collect::<Vec<i64>>()
        };
        let bal = |ms: &[Month]| ms.iter().map(|m| m.end_balance_cents).collect::<Vec<i64>>();
        let late = |ms: &[Month]| {
            ms.iter()
                .map(|m| i64::from(m.paid_late) * 100)
                .collect::<Vec<i64>>()
        };
        let _ = write!(
            h,
            "<section><h2>{}</h2><p>{}</p>",
            esc(&o.title),
            esc(&o.story)
        );
        let _ = write!(
            h,
            "<h3>Incassokosten, opgeteld</h3>{}",
            chart(
                "Incassokosten opgeteld",
                &labels,
                &cum(&o.status_quo),
                &cum(&o.knop)
            )
        );
        let _ = write!(
            h,
            "<h3>Saldo aan het eind van de maand</h3>{}",
            chart("Saldo", &labels, &bal(&o.status_quo), &bal(&o.knop))
        );
        let _ = write!(
            h,
            "<h3>Rekeningen te laat betaald per maand (aantal × € 1)</h3>{}",
            chart("Te laat", &labels, &late(&o.status_quo), &late(&o.knop))
        );
        h.push_str("<table><tr><th>Maand</th><th>Op tijd<br>zonder / met</th><th>Te laat<br>zonder / met</th><th>Incassokosten<br>zonder / met</th><th>Leefgeld<br>zonder / met</th></tr>");
        for (x, y) in o.status_quo.iter().zip(&o.knop) {
            let _ = write!(h, "<tr><td>{}</td><td>{} / {}</td><td>{} / {}</td><td>{} / {}</td><td>{} / {}</td></tr>", crate::files::month(&x.month), x.paid_on_time, y.paid_on_time, x.paid_late, y.paid_late, euro(x.collection_costs_cents), euro(y.collection_costs_cents), euro(x.living_money_cents), euro(y.living_money_cents));
        }
        h.push_str("</table></section>");
    }
    h.push_str("<p>Alle bankbestanden van de wereld met knop staan in de map <code>bank/</code>: een camt.053-afschrift per maand van de rekening van de stichting en een pain.001-betaalbestand per betaaldag.</p>");
    let _ = writeln!(
        h,
        "<p>Controle door de echte verwerking (grootboek, import, matching, boeken): {} van de {} bankregels aan het juiste huishouden gekoppeld; saldi in het grootboek gelijk aan het model: {}.</p></body></html>",
        pipeline["matched_lines"], pipeline["bank_lines"], if pipeline["ok"] == true { "ja" } else { "nee" }
    );
    h
}

/// Runs the knop world's bank files through the real pipeline on a temporary embedded ledger:
/// households and agreements recorded, each month's camt.053 imported, every household's lines
/// matched and booked out of suspense. Then checks that nothing is left in suspense and that each
/// household's book balance equals the model's (its end balance less its opening balance).
fn pipeline_check(
    s: &Scenario,
    outcomes: &[Outcome],
    out: &std::path::Path,
) -> Result<serde_json::Value> {
    let tmp = tempfile::tempdir()?;
    let p = pipeline(s, outcomes, out, tmp.path(), &|_| "simulatie".to_owned())?;
    Ok(p.report)
}

/// A ledger filled through the real pipeline from a simulation's bank files.
pub struct Pipeline {
    /// What the check found (see `summary.json`'s `pipeline`).
    pub report: serde_json::Value,
    /// The node, open for writing.
    pub node: knop_node::Node,
    /// The foundation's key (organisation `stichting`).
    pub foundation: knop_ledger::note::NoteKey,
    /// The operator's key (to register more organisations).
    pub operator: knop_ledger::note::NoteKey,
    /// The last booking day of the statements.
    pub last_day: jiff::civil::Date,
}

/// Runs the simulation's camt.053 files (under `out/bank/camt053`) through import, match and
/// booking into a new embedded ledger in `dir`. Household `i` (from 1) gets the counsellor id
/// `counsellor(i)`.
pub fn pipeline(
    s: &Scenario,
    outcomes: &[Outcome],
    out: &std::path::Path,
    dir: &std::path::Path,
    counsellor: &dyn Fn(usize) -> String,
) -> Result<Pipeline> {
    use knop_huishoudboekje::booking::{household_account, Mirror};
    let (mut node, op, org) = new_ledger(dir)?;
    // Entries get consecutive timestamps from the simulation's first day (09:00 in the
    // Netherlands): the simulation's ledger does not follow the clock, but a household opened on
    // it joined on that day, not in 1970.
    let first_ms = s
        .start
        .at(9, 0, 0, 0)
        .in_tz("Europe/Amsterdam")
        .map(|z| z.timestamp().as_millisecond().max(3) as u64)
        .unwrap_or(3);
    let clock = std::cell::Cell::new(first_ms);
    open_households(&mut node, &org, s, counsellor, &clock)?;
    let mirror = Mirror::of(&s.foundation_iban);
    let Booked {
        lines,
        matched,
        unmatched,
        last_day,
    } = book_statements(&mut node, &org, s, out, &clock)?;
    let book = node.state().book();
    let suspense = book
        .account(mirror.suspense)
        .map_or(0, |a| a.credit_balance().0);
    let mut households = vec![];
    let mut all_equal = true;
    for (i, (h, o)) in s.households.iter().zip(outcomes).enumerate() {
        let held = book
            .account(household_account(knop_huishoudboekje::HouseholdId((i + 1) as u128)).id)
            .map_or(0, |a| a.credit_balance().0);
        let model = o.knop.last().map_or(0, |m| m.end_balance_cents) - h.opening_balance_cents;
        all_equal &= held == model;
        households.push(
            json!({"id": h.id, "ledger_cents": held, "model_cents": model, "equal": held == model}),
        );
    }
    let ok = suspense == 0 && unmatched == 0 && all_equal && matched == lines;
    let report = json!({"ok": ok, "entries": node.size(), "bank_lines": lines, "matched_lines": matched, "suspense_lines": unmatched, "suspense_cents": suspense, "households": households});
    Ok(Pipeline {
        report,
        node,
        foundation: org,
        operator: op,
        last_day,
    })
}

/// A new embedded ledger in `dir/log` with the foundation (`stichting`) registered; the
/// operator's and the foundation's keys.
fn new_ledger(
    dir: &std::path::Path,
) -> Result<(
    knop_node::Node,
    knop_ledger::note::NoteKey,
    knop_ledger::note::NoteKey,
)> {
    use knop_state::{Command, OrgKind};
    let op = crate::location::new_key("knop.sim/ledger")?;
    let store = knop_store::FileStore::create(
        &dir.join("log"),
        knop_store::Meta {
            origin: "knop.sim/ledger".into(),
            operator_vkey: op.verifier_key(),
        },
    )?;
    let mut node = knop_node::Node::init(Box::new(store), op.clone(), 1, knop_node::os_salts())?;
    let org = crate::location::new_key("stichting")?;
    let cmd = Command::RegisterOrg {
        name: knop_ledger::entry::OrgName::parse("stichting")?,
        kind: OrgKind::Foundation,
        key: org.public_key().to_bytes(),
    };
    knop_app::ops::submit(&mut node, &op, 3, &cmd)?.map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok((node, op, org))
}

/// Opens the scenario's households (household `i` from 1, counsellor `counsellor(i)`) with
/// their agreements; the residents' own IBANs stay off the ledger.
fn open_households(
    node: &mut knop_node::Node,
    org: &knop_ledger::note::NoteKey,
    s: &Scenario,
    counsellor: &dyn Fn(usize) -> String,
    clock: &std::cell::Cell<u64>,
) -> Result<()> {
    use knop_state::{Command, HouseholdCommand};
    let mut submit = |cmd: Command| -> Result<()> {
        clock.set(clock.get() + 1);
        knop_app::ops::submit(node, org, clock.get(), &cmd)?.map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(())
    };
    for (i, h) in s.households.iter().enumerate() {
        let household = knop_huishoudboekje::HouseholdId((i + 1) as u128);
        submit(Command::Household(HouseholdCommand::Open {
            household,
            counsellor: counsellor(i + 1),
            information: "knop-info-v1".into(),
        }))?;
        for a in &h.agreements {
            let mut a = a.clone();
            if a.kind == knop_huishoudboekje::Kind::LivingMoney {
                a.counterparty_iban = None;
            }
            submit(Command::Household(HouseholdCommand::SetAgreement {
                household,
                agreement: a,
            }))?;
        }
    }
    Ok(())
}

/// What booking the simulation's statements did.
struct Booked {
    lines: usize,
    matched: usize,
    unmatched: usize,
    last_day: jiff::civil::Date,
}

/// Uploads the simulation's camt.053 files (under `out/bank/camt053`, in name order) as the
/// service does: import, match for all households, book.
fn book_statements(
    node: &mut knop_node::Node,
    org: &knop_ledger::note::NoteKey,
    s: &Scenario,
    out: &std::path::Path,
    clock: &std::cell::Cell<u64>,
) -> Result<Booked> {
    let mut camt: Vec<_> = std::fs::read_dir(out.join("bank/camt053"))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    camt.sort();
    let mut b = Booked {
        lines: 0,
        matched: 0,
        unmatched: 0,
        last_day: s.start,
    };
    for path in &camt {
        let bytes = crate::files::read(path)?;
        let file = knop_bank::camt053::parse(&bytes).with_context(|| path.display().to_string())?;
        let today = file
            .statements
            .iter()
            .flat_map(|st| &st.entries)
            .filter_map(|e| e.booking_date.as_deref()?.get(..10)?.parse().ok())
            .max()
            .unwrap_or(s.start);
        b.last_day = b.last_day.max(today);
        clock.set(clock.get() + 1);
        let read = knop_app::ops::read_statement(&bytes, &s.foundation_iban)
            .with_context(|| path.display().to_string())?;
        // The foundation's own run: it books for every household.
        let all = knop_app::access::Role::Administrator;
        let up = knop_app::ops::upload(node, org, clock.get(), read, today, &all)
            .with_context(|| path.display().to_string())?;
        b.lines += up.plan.transfers.len();
        b.matched += up.report.matching.matched_lines;
        b.unmatched += up.report.matching.suspense_lines;
    }
    Ok(b)
}
