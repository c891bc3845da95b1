//! `knop bench month-end`: a month of the Huishoudboekje for many synthetic households, through
//! the real pieces: camt.053 files written and read, lines imported and matched to households,
//! income allocated, payment runs reserved on the ledger and written as pain.001, and the bank's
//! confirming statement posting them. Prints one JSON object with the stage timings: wall
//! seconds per stage and, where a stage runs on two threads, each thread's CPU seconds.
//!
//! The ledger takes entries in order from one writer, so this thread books, and two more do the
//! pure work a step ahead (reading and matching the bank's files, choosing runs and writing
//! pain.001, the bank's confirming statements); CPU seconds are per thread. Payment runs and
//! the bank's confirmation of them go chunk of households by chunk, so that the reading of one
//! chunk's confirming statement overlaps the booking of the previous chunk's runs.
//!
//! What it deliberately does differently from a live foundation: households' agreements are a
//! deterministic function of their number (a real foundation has them on the ledger; recording
//! 1.2M households there one entry at a time would dominate the run). Matching is the service's:
//! the shared candidate index (`knop_huishoudboekje::match_index`) names the households a line could be,
//! and each is checked with the same `match_line` as everywhere else. A run's reservations are
//! planned by the service's `knop_app::payrun::reserve`; they are booked as one entry per chunk
//! of households instead of one per run, and without the run's record (its content and four-eyes
//! approval), which would add one ledger entry per household and business day.

use knop_huishoudboekje::HouseholdId;
use std::collections::HashMap;
use std::io::Write;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Args;
use compact_str::format_compact;
use jiff::civil::Date;
use knop_bank::camt053::{write_v02, Balance, Details, Entry, Statement};
use knop_bank::pain001::{Payment, Run, Version};
use knop_huishoudboekje::booking::{
    household_account, match_transfer, payment_post, plan_import, Mirror,
};
use knop_huishoudboekje::{Agreement, Plan};
use knop_ledger::entry::{OrgName, SignedEntry};
use knop_ledger::note::NoteKey;
use knop_node::{os_salts, Node};
use knop_state::{Command, OrgKind, Verified};
use knop_store::Meta;
use serde_json::json;

use crate::location::{new_key, Location};

/// Arguments of `knop bench month-end`.
#[derive(Args, Debug)]
pub struct MonthEndArgs {
    /// Households.
    #[arg(long, default_value_t = 10_000)]
    pub households: u64,
    /// Households per bank file.
    #[arg(long, default_value_t = 5_000)]
    pub per_file: u64,
}

const FOUNDATION: &str = "NL91ABNA0417164300";
const SVB: &str = "NL86INGB0002445588";
const TOESLAGEN: &str = "NL02ABNA0123456789";
const LANDLORD: &str = "NL44RABO0123456789";
const CREDITOR_ID: &str = "NL98ZZZ999999999999";

/// A valid Dutch IBAN for a number (bank code `TEST`), check digits per ISO 13616 (mod 97).
pub(crate) fn resident_iban(n: u64) -> String {
    let mut out = String::with_capacity(18);
    push_resident_iban(&mut out, n);
    out
}

/// Appends [`resident_iban`] of `n` (made again for every household, so without formatting).
fn push_resident_iban(out: &mut String, n: u64) {
    let account = n % 10_000_000_000;
    // Letters as numbers (A=10 … Z=35): "TEST", the account, then "NL00" moved to the end;
    // the remainder is taken digit by digit, as the number has 24 of them.
    let mut rem = b"29142829"
        .iter()
        .fold(0u64, |r, b| (r * 10 + u64::from(b - b'0')) % 97);
    let mut digits = String::with_capacity(10);
    push_padded(&mut digits, account, 10);
    for b in digits.bytes().chain(*b"232100") {
        rem = (rem * 10 + u64::from(b - b'0')) % 97;
    }
    out.push_str("NL");
    push_padded(out, 98 - rem, 2);
    out.push_str("TEST");
    out.push_str(&digits);
}

/// Appends `n` in decimal, with zeros in front up to `width` digits.
fn push_padded(out: &mut String, n: u64, width: usize) {
    let mut buf = itoa::Buffer::new();
    let digits = buf.format(n);
    out.extend(std::iter::repeat_n('0', width.saturating_sub(digits.len())));
    out.push_str(digits);
}

fn agreement(json: serde_json::Value) -> Agreement {
    serde_json::from_value(json).expect("the benchmark's agreements are well-formed")
}

/// The agreements every household shares; [`plan_of`] fills in the household's own references,
/// mandates, amount and IBAN.
fn template() -> &'static Plan {
    static PLAN: std::sync::OnceLock<Plan> = std::sync::OnceLock::new();
    PLAN.get_or_init(|| {
        let dd = |id: &str, cents: i64, day: u8| {
            agreement(
                json!({"id": id, "kind": "fixed_cost", "amount_cents": cents,
                "schedule": {"monthly": {"day": day}}, "tolerance_cents": 100,
                "direct_debit": {"creditor_id": CREDITOR_ID, "mandate_id": id}}),
            )
        };
        Plan {
            opening_balance_cents: 0,
            household: None,
            agreements: vec![
                agreement(
                    json!({"id": "uitkering", "kind": "income", "amount_cents": 98_000,
                    "schedule": {"monthly": {"day": 2}}, "counterparty_iban": SVB,
                    "reference": "UITK", "tolerance_cents": 100}),
                ),
                agreement(
                    json!({"id": "zorgtoeslag", "kind": "income", "amount_cents": 12_900,
                    "schedule": {"monthly": {"day": 3}}, "counterparty_iban": TOESLAGEN,
                    "reference": "ZT"}),
                ),
                agreement(
                    json!({"id": "kgb", "kind": "income", "amount_cents": 25_000,
                    "schedule": {"monthly": {"day": 3}}, "counterparty_iban": TOESLAGEN,
                    "reference": "KGB"}),
                ),
                agreement(
                    json!({"id": "huur", "kind": "fixed_cost", "amount_cents": 65_000,
                    "schedule": {"monthly": {"day": 16}}, "counterparty_iban": LANDLORD,
                    "reference": "Huur", "category": "housing"}),
                ),
                agreement(
                    json!({"id": "gemeente", "kind": "fixed_cost", "amount_cents": 3_000,
                    "schedule": {"monthly": {"day": 17}}, "counterparty_iban": LANDLORD,
                    "reference": "Belasting"}),
                ),
                dd("energie", 12_000, 5),
                dd("water", 2_500, 10),
                dd("zorg", 14_000, 12),
                dd("telefoon", 2_000, 20),
                agreement(
                    json!({"id": "leefgeld", "kind": "living_money", "amount_cents": 7_500,
                    "schedule": {"weekly": {"weekday": "friday"}}, "counterparty_iban": resident_iban(0)}),
                ),
            ],
        }
    })
}

/// The agreements of household `h`: three incomes, two credit transfers, four direct debits and
/// weekly living money. References are of one width, as payers' case numbers are, so that no
/// household's reference is part of another's.
#[cfg(test)]
fn plan_of(h: u64) -> Plan {
    let mut plans = Plans::default();
    plans.get(h);
    plans.plan
}

/// One household's plan at a time, made again in the same place: a foundation has its plans in
/// its state, so the benchmark should not spend its time allocating them (refilling keeps every
/// string's buffer).
struct Plans {
    plan: Plan,
    of: Option<u64>,
}

impl Default for Plans {
    fn default() -> Self {
        Self {
            plan: template().clone(),
            of: None,
        }
    }
}

impl Plans {
    /// The plan of household `h` (see [`plan_of`]).
    fn get(&mut self, h: u64) -> &Plan {
        if self.of == Some(h) {
            return &self.plan;
        }
        let template = template();
        self.of = Some(h);
        // Written digit by digit: a run makes every household's plan several times.
        let household = self.plan.household.get_or_insert_with(String::new);
        household.clear();
        push_padded(household, h, 1);
        for (a, t) in self.plan.agreements.iter_mut().zip(&template.agreements) {
            if let (Some(r), Some(base)) = (&mut a.reference, &t.reference) {
                r.clear();
                r.push_str(base);
                r.push(' ');
                push_padded(r, h, 8);
            }
            if let Some(d) = &mut a.direct_debit {
                d.mandate_id.clear();
                d.mandate_id.push_str(&a.id);
                d.mandate_id.push('-');
                push_padded(&mut d.mandate_id, h, 1);
            }
            match a.id.as_str() {
                "uitkering" => a.amount_cents = t.amount_cents + (h % 100) as i64 * 10,
                "leefgeld" => {
                    let iban = a.counterparty_iban.get_or_insert_with(String::new);
                    iban.clear();
                    push_resident_iban(iban, h);
                }
                _ => {}
            }
        }
        &self.plan
    }
}

/// A statement file read and planned as book transfers.
struct Read {
    file: knop_bank::camt053::File,
    plan: knop_huishoudboekje::booking::ImportPlan,
    /// CPU seconds reading the XML took (the rest: planning the transfers).
    parse_s: f64,
}

fn read(path: &std::path::Path) -> Result<Read> {
    crate::bench_files::read(path, read_bytes)?.with_context(|| path.display().to_string())
}

/// Reads a statement and plans its transfers.
fn read_bytes(xml: &[u8]) -> Result<Read> {
    let t0 = thread_cpu_s();
    let file = knop_bank::camt053::parse(xml)?;
    let parse_s = thread_cpu_s() - t0;
    let plan = plan_import(&file, FOUNDATION)?;
    Ok(Read {
        file,
        plan,
        parse_s,
    })
}

/// Each line's household, if exactly one fits: the service's own per-line matching
/// (`knop_app::matching::fits`: the shared candidate index names the households a line could
/// be, each checked against its plan with `match_line`); a line that fits none or several
/// stays in suspense. The import files hold no payments of knop's own (those come in the
/// confirming statements), so no household has own payments to know here.
fn match_lines(r: &Read, index: &knop_huishoudboekje::match_index::Index) -> Vec<Option<u64>> {
    let mut plans = BenchPlans {
        plans: Plans::default(),
        own: HashMap::new(),
    };
    r.plan
        .lines
        .iter()
        .map(|pos| {
            let line = knop_app::matching::line_of(&r.file.statements[pos.0].entries[pos.1]);
            match knop_app::matching::fits(&line, index, &mut plans).as_slice() {
                [(n, _)] => Some(u64::from(*n) + 1),
                _ => None,
            }
        })
        .collect()
}

/// The benchmark's households as the matching sees them: household `n + 1` at index position
/// `n`, its plan made from the template (a file's lines come household by household, so the
/// plan made last is mostly the one wanted).
struct BenchPlans {
    plans: Plans,
    own: knop_huishoudboekje::matching::OwnPayments,
}

impl knop_app::matching::PlanSource for BenchPlans {
    fn plan(&mut self, n: u32) -> (&Plan, &knop_huishoudboekje::matching::OwnPayments) {
        (self.plans.get(u64::from(n) + 1), &self.own)
    }
}

/// The bank's confirming statement `n`: the executed orders of one chunk's queue (lines of
/// `day \t EndToEndId \t cents`), as a camt.053 document; `None` when the chunk has none. The
/// runs' pain.001 files ask for batch booking, so the bank books each day's file as one entry
/// with a transaction (EndToEndId and amount) per payment.
fn confirming_statement(queue: &[u8], n: usize, opening: i64) -> Result<Option<Vec<u8>>> {
    let mut by_day: std::collections::BTreeMap<&str, Vec<Details>> = Default::default();
    let mut balance = opening;
    for line in queue.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let line = std::str::from_utf8(line)?;
        let mut f = line.split('\t');
        let (Some(day), Some(e2e), Some(cents)) = (f.next(), f.next(), f.next()) else {
            bail!("the bank's order queue has a malformed line: {line}");
        };
        let cents: i64 = cents.parse()?;
        balance -= cents;
        by_day.entry(day).or_default().push(Details {
            end_to_end_id: Some(e2e.into()),
            cents: Some(-cents),
            ..Default::default()
        });
    }
    if by_day.is_empty() {
        return Ok(None);
    }
    let entries = by_day
        .into_iter()
        .map(|(day, details)| Entry {
            reference: None,
            cents: details.iter().filter_map(|d| d.cents).sum(),
            currency: "EUR".into(),
            reversal: false,
            status: "BOOK".into(),
            booking_date: Some(day.into()),
            value_date: Some(day.into()),
            servicer_reference: Some(format_compact!("C{n}-{day}")),
            bank_code: None,
            details,
            line: 0,
        })
        .collect();
    let stmt = statement(format!("BENCH-CONFIRM-{n}"), opening, balance, entries);
    Ok(Some(write_v02(
        &stmt,
        &format!("BENCH-C-{n}"),
        "2026-03-31T18:00:00",
    )))
}

/// What each chunk's orders take from the foundation's account, as the worker threads learn
/// it: the bank's confirming statement of chunk `n` opens with the balance the previous chunks'
/// orders left, so its writer waits for theirs. A failing thread calls [`Takes::stop`], so that
/// no one waits for a chunk that will not come.
struct Takes {
    /// `cents[n]`: what chunk `n`'s orders take, once known; `stopped`: the run has failed.
    state: std::sync::Mutex<(Vec<Option<i64>>, bool)>,
    changed: std::sync::Condvar,
}

impl Takes {
    fn new(chunks: usize) -> Self {
        Self {
            state: std::sync::Mutex::new((vec![None; chunks], false)),
            changed: std::sync::Condvar::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (Vec<Option<i64>>, bool)> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Records what chunk `n` takes.
    fn set(&self, n: usize, cents: i64) {
        self.lock().0[n] = Some(cents);
        self.changed.notify_all();
    }

    /// Ends every wait: the run has failed.
    fn stop(&self) {
        self.lock().1 = true;
        self.changed.notify_all();
    }

    /// The balance chunk `n`'s statement opens with: `start` less what chunks `0..n` take,
    /// once all are known.
    fn opening(&self, n: usize, start: i64) -> Result<i64> {
        let mut state = self.lock();
        loop {
            if state.1 {
                bail!("the run stopped");
            }
            if let Some(taken) = state.0[..n].iter().copied().sum::<Option<i64>>() {
                return Ok(start - taken);
            }
            state = self
                .changed
                .wait(state)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
    }
}

/// Calls [`Takes::stop`] when dropped before [`StopUnlessDone::done`]: on an error or a panic.
struct StopUnlessDone<'a>(Option<&'a Takes>);

impl StopUnlessDone<'_> {
    fn done(mut self) {
        self.0 = None;
    }
}

impl Drop for StopUnlessDone<'_> {
    fn drop(&mut self) {
        if let Some(t) = self.0 {
            t.stop();
        }
    }
}

/// One chunk's payment runs with the bank's confirming statement of them, read.
struct Chunk {
    runs: Runs,
    /// The runs' reservations, signed (the transfers themselves are dropped once signed).
    reserve: Signed,
    /// The statement's import plan and the postings of its lines, signed; `None` when nothing
    /// was paid.
    confirmed: Option<(knop_huishoudboekje::booking::ImportPlan, Signed)>,
    bank_s: f64,
    read_s: f64,
}

/// Runs `work(i)` for `i` in `0..n` on two threads and hands the results to `consume` on this
/// thread in order: pure work in parallel, booking in sequence. A worker takes the next item as
/// soon as it is free, so an item that takes longer (or a worker that shares its core with the
/// booking thread) holds up only its own worker; at most [`AHEAD`] items are taken beyond the
/// one booked last, which bounds the memory in flight. The first error (of either) ends the run.
///
/// Written by hand: an ordered, bounded hand-over is a mutex and a condition variable over `std`;
/// rayon's ordered collect would hold every result until the last.
fn ordered<T: Send>(
    n: usize,
    work: impl Fn(usize) -> Result<T> + Sync,
    mut consume: impl FnMut(T) -> Result<()>,
) -> Result<()> {
    const WORKERS: usize = 2;
    let shared = Shared {
        state: std::sync::Mutex::new(Window {
            next: 0,
            taken: 0,
            ready: (0..AHEAD).map(|_| None).collect(),
            stopped: false,
            lost: false,
        }),
        changed: std::sync::Condvar::new(),
    };
    std::thread::scope(|scope| {
        let (work, shared) = (&work, &shared);
        for _ in 0..WORKERS {
            scope.spawn(move || {
                let _lost = LostOnPanic(shared);
                while let Some(i) = shared.take_next(n) {
                    let r = work(i);
                    shared.put(i, r);
                }
            });
        }
        let result = (0..n).try_for_each(|i| shared.wait_for(i).and_then(&mut consume));
        if result.is_err() {
            shared.stop();
        }
        result
    })
}

/// How far [`ordered`]'s workers may be ahead of the booking: items taken but not yet booked.
const AHEAD: usize = 4;

/// [`ordered`]'s state, shared by its threads.
struct Shared<T> {
    state: std::sync::Mutex<Window<T>>,
    changed: std::sync::Condvar,
}

/// The items in flight: `next` is the next to take, `taken` the next to book; item `i` in
/// `taken..next` is in `ready[i % AHEAD]` once done.
struct Window<T> {
    next: usize,
    taken: usize,
    ready: Vec<Option<Result<T>>>,
    /// No more items are taken: an item failed, or the booking did.
    stopped: bool,
    /// A worker panicked: its item will never come.
    lost: bool,
}

impl<T> Shared<T> {
    fn lock(&self) -> std::sync::MutexGuard<'_, Window<T>> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn wait<'a>(
        &self,
        guard: std::sync::MutexGuard<'a, Window<T>>,
    ) -> std::sync::MutexGuard<'a, Window<T>> {
        self.changed
            .wait(guard)
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The next item for a worker, once it is at most [`AHEAD`] beyond the booking; `None`
    /// when all are taken or the run has stopped.
    fn take_next(&self, n: usize) -> Option<usize> {
        let mut w = self.lock();
        loop {
            if w.stopped || w.next >= n {
                return None;
            }
            if w.next < w.taken + AHEAD {
                w.next += 1;
                return Some(w.next - 1);
            }
            w = self.wait(w);
        }
    }

    /// Item `i` is done; a failed item stops the taking of more (the items before it are
    /// still booked, then its error ends the run).
    fn put(&self, i: usize, r: Result<T>) {
        let mut w = self.lock();
        w.stopped |= r.is_err();
        w.ready[i % AHEAD] = Some(r);
        drop(w);
        self.changed.notify_all();
    }

    /// Item `i`, once done (items are booked in order, so `i` is the one after the last).
    fn wait_for(&self, i: usize) -> Result<T> {
        let mut w = self.lock();
        loop {
            if let Some(r) = w.ready[i % AHEAD].take() {
                w.taken = i + 1;
                drop(w);
                self.changed.notify_all();
                return r;
            }
            if w.lost {
                bail!("a worker thread stopped");
            }
            w = self.wait(w);
        }
    }

    /// No more items are taken.
    fn stop(&self) {
        self.lock().stopped = true;
        self.changed.notify_all();
    }
}

/// Marks [`ordered`]'s run as failed when a worker unwinds from a panic, so that the booking
/// does not wait for its item.
struct LostOnPanic<'a, T>(&'a Shared<T>);

impl<T> Drop for LostOnPanic<'_, T> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let mut w = self.0.lock();
            w.stopped = true;
            w.lost = true;
            drop(w);
            self.0.changed.notify_all();
        }
    }
}

/// CPU seconds this thread has used (not wall time: three threads share two cores here).
fn thread_cpu_s() -> f64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid, writable timespec; the clock id is a constant the kernel knows.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    if rc != 0 {
        return 0.0;
    }
    t.tv_sec as f64 + t.tv_nsec as f64 / 1e9
}

/// One benchmark household's book as a run's planning sees it within the month: every account
/// made before the runs, no payment reserved before the month (the ledger is new), no advance,
/// and what the month's earlier runs reserved.
struct Fresh {
    held: i64,
    reserved: i64,
}

impl knop_app::payrun::Holdings for Fresh {
    fn has_account(&self, _: u128) -> bool {
        true
    }

    fn money(&self, _: HouseholdId) -> (i64, i64) {
        (self.held, self.reserved)
    }

    fn advance_outstanding(&self, _: HouseholdId) -> i64 {
        0
    }

    fn payment(&self, _: &str) -> knop_app::payrun::Attempt {
        knop_app::payrun::Attempt::Unknown
    }
}

/// A chunk's payment runs: the reservations to book, with the time choosing and writing took.
struct Runs {
    pending: Vec<knop_book::Transfer>,
    /// The bank's orders of this chunk, one `day \t EndToEndId \t cents` line each.
    orders: Vec<u8>,
    choose_s: f64,
    pain_s: f64,
}

/// Allocates each household's money and chooses its payments for every business day, as
/// reservations and one pain.001 file per day, with the orders the bank will execute.
fn make_runs(
    chunk: &[u64],
    held: &[i64],
    month: (Date, Date),
    days: &[Date],
    mirror: &Mirror,
    dir: &std::path::Path,
    disk: &crate::bench_files::Background,
) -> Result<Runs> {
    let t0 = thread_cpu_s();
    let mut orders = vec![];
    let mut pending = vec![];
    let mut by_day: HashMap<Date, Vec<Payment>> = HashMap::new();
    let mut plans = Plans::default();
    // Each day as text once, not once per order.
    let day_texts: Vec<String> = days.iter().map(|d| d.to_string()).collect();
    for (&h, &held) in chunk.iter().zip(held) {
        let plan = plans.get(h);
        let alloc = knop_huishoudboekje::allocation::allocate(plan, held, month.0, month.1);
        std::hint::black_box(&alloc);
        let mut fresh = Fresh { held, reserved: 0 };
        for (&day, day_text) in days.iter().zip(&day_texts) {
            // The service's own planning of a run (no advance: the benchmark's households are
            // paid from what they hold).
            let r =
                knop_app::payrun::reserve(&fresh, plan, HouseholdId(u128::from(h)), day, mirror, 0);
            fresh.reserved += r.transfers.iter().map(|t| t.amount.0).sum::<i64>();
            pending.extend(r.transfers);
            for i in r.selection.items {
                for part in [day_text.as_str(), "\t", &i.end_to_end_id, "\t"] {
                    orders.extend_from_slice(part.as_bytes());
                }
                writeln!(orders, "{}", i.cents)?;
                by_day.entry(day).or_default().push(Payment {
                    end_to_end_id: i.end_to_end_id,
                    cents: i.cents,
                    creditor_name: i.creditor_name,
                    creditor_iban: i.creditor_iban,
                    creditor_bic: None,
                    remittance: i.remittance,
                });
            }
        }
    }
    let choose_s = thread_cpu_s() - t0;
    let t0 = thread_cpu_s();
    for (day, list) in by_day {
        let run = Run {
            message_id: format!("BENCH-RUN-{day}-{}", chunk[0]),
            created: format!("{day}T07:00:00"),
            execution_date: day.to_string(),
            debtor_name: "Stichting Huishoudboekje".into(),
            debtor_iban: FOUNDATION.into(),
            debtor_bic: None,
            payments: list,
        };
        let xml = knop_bank::pain001::write(&run, Version::V03)?;
        disk.write(dir.join(format!("pain001-{day}-{}.xml", chunk[0])), xml)?;
    }
    Ok(Runs {
        pending,
        orders,
        choose_s,
        pain_s: thread_cpu_s() - t0,
    })
}

/// The bank's lines of file `n`: the month's incomes and direct debits of `chunk`'s households.
fn bank_lines_of(n: usize, chunk: &[u64], from: Date, through: Date) -> Vec<Entry> {
    let mut entries = vec![];
    let mut plans = Plans::default();
    // Each date as text once per file, not twice per line.
    let mut date_texts: HashMap<Date, knop_bank::camt053::Text> = HashMap::new();
    for &h in chunk {
        let plan = plans.get(h);
        for ag in &plan.agreements {
            if ag.kind == knop_huishoudboekje::Kind::LivingMoney
                || (ag.kind == knop_huishoudboekje::Kind::FixedCost && ag.direct_debit.is_none())
            {
                continue;
            }
            for f in ag.flows(from, through) {
                let income = f.cents > 0;
                let date = date_texts
                    .entry(f.date)
                    .or_insert_with(|| format_compact!("{}", f.date))
                    .clone();
                entries.push(Entry {
                    reference: None,
                    cents: f.cents,
                    currency: "EUR".into(),
                    reversal: false,
                    status: "BOOK".into(),
                    booking_date: Some(date.clone()),
                    value_date: Some(date),
                    servicer_reference: Some(format_compact!("M{n}-{}", entries.len())),
                    bank_code: None,
                    details: vec![Details {
                        mandate_id: ag
                            .direct_debit
                            .as_ref()
                            .map(|d| d.mandate_id.as_str().into()),
                        creditor_id: ag
                            .direct_debit
                            .as_ref()
                            .map(|d| d.creditor_id.as_str().into()),
                        counterparty_name: Some(
                            if income { "Uitvoerder" } else { "Leverancier" }.into(),
                        ),
                        counterparty_iban: Some(if income {
                            ag.counterparty_iban.as_deref().unwrap_or_default().into()
                        } else {
                            LANDLORD.into()
                        }),
                        remittance: Some(match &ag.reference {
                            Some(r) => r.as_str().into(),
                            None => format_compact!("{} {h}", ag.id),
                        }),
                        ..Default::default()
                    }],
                    line: 0,
                });
            }
        }
    }
    entries
}

/// Progress on standard error, at most every two seconds (the JSON goes to standard output).
struct Progress {
    last: Instant,
}

impl Progress {
    fn new() -> Self {
        Self {
            last: Instant::now(),
        }
    }

    /// Says how far `stage` is, if two seconds have passed since it last said something.
    fn tick(&mut self, stage: &str, done: usize, total: usize) {
        if self.last.elapsed().as_secs() >= 2 {
            self.last = Instant::now();
            let pct = done.saturating_mul(100) / total.max(1);
            eprintln!("bench month-end: {stage} {}%", pct.min(100));
        }
    }
}

/// Signs `cmd` as `key` at `ts` and submits it; the ledger's refusal is an error.
fn submit_at(node: &mut Node, key: &NoteKey, ts: u64, cmd: &Command) -> Result<()> {
    knop_app::ops::submit(node, key, ts, cmd)?.map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(())
}

/// Transfers signed as entries of at most the batch limit, all at one timestamp, with their
/// signatures checked.
struct Signed {
    entries: Vec<Verified>,
    /// Transfers in them.
    transfers: usize,
    /// Their timestamp: the chunk's (see `run`).
    ts: u64,
}

impl Signed {
    /// `transfers` signed by `key` (named `name`) at `ts`, and the signatures checked. Signing is
    /// the submitting organisation's work and checking a signature needs nothing of the ledger's
    /// order, so the benchmark does both on the worker threads where it can; the one thread that
    /// books applies (and checks again only a signature whose key is not the signer's).
    fn new(
        key: &NoteKey,
        name: &OrgName,
        ts: u64,
        transfers: &[knop_book::Transfer],
    ) -> Result<Self> {
        let public = key.public_key();
        let entries = transfers
            .chunks(knop_book::BATCH_EVENTS_MAX)
            .map(|part| {
                let body = Command::CreateTransfers(part.to_vec()).encode();
                let entry = SignedEntry::sign(name.clone(), ts, body, key.signing_key());
                Verified::check(entry, public)
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            entries,
            transfers: transfers.len(),
            ts,
        })
    }

    /// Submits the entries of `parts`, in order, in one append that is written while the
    /// caller goes on (see [`Node::submit_verified_pipelined`]; the run ends with
    /// [`Node::sync`]); the ledger's refusal of any is an error.
    fn submit(parts: impl IntoIterator<Item = Self>, node: &mut Node) -> Result<()> {
        let entries: Vec<Verified> = parts.into_iter().flat_map(|p| p.entries).collect();
        if entries.is_empty() {
            return Ok(());
        }
        for r in node.submit_verified_pipelined(&entries)? {
            r.map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        Ok(())
    }
}

/// A March statement of the foundation's account.
fn statement(id: String, opening: i64, closing: i64, entries: Vec<Entry>) -> Statement {
    Statement {
        id,
        sequence: None,
        created: None,
        account: Some(FOUNDATION.into()),
        currency: Some("EUR".into()),
        balances: vec![
            Balance::eur("OPBD", opening, "2026-03-01"),
            Balance::eur("CLBD", closing, "2026-03-31"),
        ],
        entries,
        line: 0,
    }
}

fn peak_rss_bytes() -> u64 {
    crate::bench::peak_rss_bytes()
}

/// `knop bench month-end`: the ledger set up, then the month's stages in order, then one JSON
/// object with the figures.
pub fn run(loc: &Location, a: MonthEndArgs) -> Result<ExitCode> {
    if a.households == 0 || a.households > 10_000_000 || a.per_file == 0 || a.per_file > 20_000 {
        bail!(
            "--households 1..=10000000, --per-file 1..=20000 (a file holds 7 lines per household)"
        );
    }
    let tmp = tempfile::tempdir()?;
    let (target, where_, _guard) = crate::bench::fresh_target(loc)?;
    let mut l = Ledger::new(target, a.households)?;
    eprintln!(
        "bench month-end: {} households, store: {where_}",
        a.households
    );
    let ids: Vec<u64> = (1..=a.households).collect();
    let m = Month {
        args: &a,
        ids: &ids,
        tmp: tmp.path(),
        start: "2026-03-01".parse()?,
        end: "2026-03-31".parse()?,
    };
    let mut t = Tally {
        counts: Counts::default(),
        stages: serde_json::Map::new(),
        progress: Progress::new(),
    };
    let started = Instant::now();
    let (files, index, balance) = bank_files(&m, &mut t)?;
    import_and_match(&mut l, &m, &files, &index, &mut t)?;
    let index_bytes = index.heap_bytes();
    drop(index);
    payment_runs(&mut l, &m, balance, &mut t)?;
    report(&l, &a, &t, started, index_bytes, &where_);
    Ok(ExitCode::SUCCESS)
}

/// The ledger the benchmark books into: a fresh store, the foundation registered, its mirror
/// accounts and every household's account made.
struct Ledger {
    node: Node,
    org: NoteKey,
    org_name: OrgName,
    mirror: Mirror,
    /// The next entry's timestamp, less one. Entries get consecutive timestamps: the benchmark
    /// measures knop, not the clock. In the two pipelined stages every entry of chunk `n` gets
    /// the stage's first timestamp plus `n` (the ledger takes equal timestamps, not earlier
    /// ones), so that entries signed on the worker threads and on this one interleave in order.
    ts: std::cell::Cell<u64>,
}

impl Ledger {
    fn new(target: crate::bench::Target, households: u64) -> Result<Self> {
        let op = new_key("knop.bench/month-end")?;
        let store = target.create(Meta {
            origin: "knop.bench/month-end".into(),
            operator_vkey: op.verifier_key(),
        })?;
        let node = Node::init(store, op.clone(), 1, os_salts())?;
        let org = new_key("stichting")?;
        let mut l = Ledger {
            node,
            org_name: OrgName::parse(org.key_name())?,
            org,
            mirror: Mirror::of(FOUNDATION),
            ts: std::cell::Cell::new(2),
        };
        l.submit(
            &op,
            &Command::RegisterOrg {
                name: l.org_name.clone(),
                kind: OrgKind::Foundation,
                key: l.org.public_key().to_bytes(),
            },
        )?;
        let org = l.org.clone();
        l.submit(&org, &Command::CreateAccounts(l.mirror.accounts()))?;
        let ids: Vec<u64> = (1..=households).collect();
        for chunk in ids.chunks(10_000) {
            let accounts = chunk
                .iter()
                .map(|h| household_account(HouseholdId(u128::from(*h))))
                .collect();
            l.submit(&org, &Command::CreateAccounts(accounts))?;
        }
        Ok(l)
    }

    fn submit(&mut self, key: &NoteKey, cmd: &Command) -> Result<()> {
        self.ts.set(self.ts.get() + 1);
        submit_at(&mut self.node, key, self.ts.get(), cmd)
    }
}

/// The month the benchmark runs: its households, files' size, dates and working directory.
struct Month<'a> {
    args: &'a MonthEndArgs,
    ids: &'a [u64],
    tmp: &'a std::path::Path,
    start: Date,
    end: Date,
}

/// What the stages count, over the whole run.
#[derive(Default)]
struct Counts {
    bank_lines: u64,
    matched: u64,
    suspense: u64,
    transfers: u64,
    payments: u64,
    posted: u64,
}

/// The figures as the stages gather them: counts, each stage's seconds, the progress line.
struct Tally {
    counts: Counts,
    stages: serde_json::Map<String, serde_json::Value>,
    progress: Progress,
}

/// Seconds with three decimals, for the JSON.
fn secs(x: f64) -> serde_json::Value {
    json!((x * 1000.0).round() / 1000.0)
}

/// Stage 1: the bank's statements of the month's incomes and direct debits, written to disk,
/// and the candidate index built meanwhile. Returns the files, the index and the balance the
/// files leave.
fn bank_files(
    m: &Month<'_>,
    t: &mut Tally,
) -> Result<(
    Vec<std::path::PathBuf>,
    knop_huishoudboekje::match_index::Index,
    i64,
)> {
    let (a, ids, tmp, month_start, month_end) = (m.args, m.ids, m.tmp, m.start, m.end);
    let (stages, progress) = (&mut t.stages, &mut t.progress);
    // 1. The bank's statements of the month's incomes and direct debits.
    let t0 = Instant::now();
    let mut files = vec![];
    let mut balance = 0i64;
    let mut bank_lines = 0u64;
    let file_count = ids.len().div_ceil(a.per_file as usize);
    // The lines are made on a second thread, a file ahead of the writing on this one; the
    // foundation builds its candidate index meanwhile (step 3 needs it), on a third.
    let households = a.households;
    // The files are written on a thread of their own while the next is made.
    let disk = crate::bench_files::Background::new(1);
    let (index, index_s) = std::thread::scope(|scope| -> Result<_> {
        let indexer = scope.spawn(move || {
            let t0 = Instant::now();
            // Each plan made in the same place and added, not a plan allocated per household.
            let mut index =
                knop_huishoudboekje::match_index::Index::builder(month_start, month_end);
            let mut plans = Plans::default();
            for h in 1..=households {
                index.add(plans.get(h));
            }
            let index = index.finish();
            (index, t0.elapsed().as_secs_f64())
        });
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Entry>>(0);
        let per = a.per_file as usize;
        scope.spawn(move || {
            for (n, chunk) in ids.chunks(per).enumerate() {
                if tx
                    .send(bank_lines_of(n, chunk, month_start, month_end))
                    .is_err()
                {
                    break;
                }
            }
        });
        for (n, entries) in rx.into_iter().enumerate() {
            let opening = balance;
            balance += entries.iter().map(|e| e.cents).sum::<i64>();
            bank_lines += entries.len() as u64;
            let stmt = statement(format!("BENCH-2026-03-{n}"), opening, balance, entries);
            let path = tmp.join(format!("camt053-{n:05}.xml"));
            disk.write(
                path.clone(),
                write_v02(&stmt, &format!("BENCH-{n}"), "2026-03-31T18:00:00"),
            )?;
            files.push(path);
            progress.tick("bank files", files.len(), file_count);
        }
        // Every file on disk before any is read.
        disk.finish()?;
        indexer
            .join()
            .map_err(|_| anyhow::anyhow!("the index thread stopped"))
    })?;
    stages.insert("build_match_index_cpu".into(), secs(index_s));
    stages.insert(
        "generate_camt053_and_index".into(),
        secs(t0.elapsed().as_secs_f64()),
    );

    t.counts.bank_lines += bank_lines;
    Ok((files, index, balance))
}

/// Stages 2 and 3: import, and match: the shared candidate index names the households a line
/// could be, and each is checked against its plan with the same `match_line` as everywhere
/// else. Reading and matching a file is pure work, done on two threads a file or two ahead of
/// booking on this one (the ledger takes entries in order, one writer).
fn import_and_match(
    l: &mut Ledger,
    m: &Month<'_>,
    files: &[std::path::PathBuf],
    index: &knop_huishoudboekje::match_index::Index,
    t: &mut Tally,
) -> Result<()> {
    let Ledger {
        node,
        org,
        org_name,
        mirror,
        ts,
    } = l;
    let (org, org_name, mirror, ts) = (&*org, &*org_name, &*mirror, &*ts);
    let (stages, progress) = (&mut t.stages, &mut t.progress);
    let per_file_lines = m.args.per_file as usize * 7;
    // 2. Import; 3. match: the shared candidate index names the households a line could be,
    // and each is checked against its plan with the same `match_line` as everywhere else.
    // Reading and matching a file is pure work, done on two threads a file or two ahead of
    // booking on this one (the ledger takes entries in order, one writer).
    let t0 = Instant::now();
    let (mut matched, mut suspense, mut transfers) = (0u64, 0u64, 0u64);
    let (mut read_s, mut parse_s, mut match_s, mut book_s) = (0.0, 0.0, 0.0, 0.0);
    let (files_in, index_in, mirror_in) = (files, index, mirror);
    let (org_in, name_in) = (org, org_name);
    let base = ts.get() + 1;
    ordered(
        files.len(),
        |i| {
            let t1 = thread_cpu_s();
            let r = read(&files_in[i])?;
            let t2 = thread_cpu_s();
            let fits = match_lines(&r, index_in);
            // The matched lines' transfers are made here too, and the file is dropped here:
            // the booking thread gets only what it books.
            let out: Vec<_> = r
                .plan
                .transfers
                .iter()
                .zip(&fits)
                .filter_map(|(t, h)| {
                    h.map(|h| match_transfer(t, mirror_in, HouseholdId(u128::from(h))))
                })
                .collect();
            let lines = fits.len();
            let parse = r.parse_s;
            let plan = r.plan;
            let out = Signed::new(org_in, name_in, base + i as u64, &out)?;
            Ok((plan, out, lines, parse, t2 - t1, thread_cpu_s() - t2))
        },
        |(plan, out, lines, parse, read, matching)| {
            progress.tick(
                "import and match",
                matched as usize + suspense as usize,
                files.len() * per_file_lines,
            );
            read_s += read;
            parse_s += parse;
            match_s += matching;
            let t1 = thread_cpu_s();
            // The file's lines, then the matched ones moved to their households, in one append
            // written while the next file is booked.
            let book_these = plan.transfers_to_book(node.state().book());
            transfers += book_these.len() as u64;
            matched += out.transfers as u64;
            suspense += (lines - out.transfers) as u64;
            transfers += out.transfers as u64;
            let lines = Signed::new(org, org_name, out.ts, &book_these)?;
            Signed::submit([lines, out], node)?;
            book_s += thread_cpu_s() - t1;
            Ok(())
        },
    )?;
    // The stage is done when its last append is durable.
    node.sync()?;
    ts.set(base + files.len() as u64);
    stages.insert("import_and_match".into(), secs(t0.elapsed().as_secs_f64()));
    stages.insert("import_read_cpu".into(), secs(read_s));
    stages.insert("import_read_xml_cpu".into(), secs(parse_s));
    stages.insert("match_cpu".into(), secs(match_s));
    stages.insert("import_and_match_book_cpu".into(), secs(book_s));

    t.counts.matched += matched;
    t.counts.suspense += suspense;
    t.counts.transfers += transfers;
    Ok(())
}

/// Stages 4 and 5: a payment run on each business day of the month for every household,
/// chunk by chunk; the bank executes the orders and confirms them in a statement that posts the
/// reservations.
fn payment_runs(l: &mut Ledger, m: &Month<'_>, start_balance: i64, t: &mut Tally) -> Result<()> {
    let Ledger {
        node,
        org,
        org_name,
        mirror,
        ts,
    } = l;
    let (org, org_name, mirror, ts) = (&*org, &*org_name, &*mirror, &*ts);
    let (a, ids, tmp, month_start, month_end) = (m.args, m.ids, m.tmp, m.start, m.end);
    let (stages, progress) = (&mut t.stages, &mut t.progress);
    let (mut transfers, mut bank_lines) = (0u64, 0u64);
    // 4. The month's business days (a run on each) and what each household holds.
    let t0 = Instant::now();
    let mut days = vec![];
    let mut d = month_start;
    while d <= month_end {
        if knop_huishoudboekje::calendar::is_business_day(d) {
            days.push(d);
        }
        d = d.tomorrow()?;
    }
    let (mut alloc_s, mut pain_s, mut runs_book_s, mut payments) = (0.0, 0.0, 0.0, 0u64);
    // What each household holds now: reservations for one household never change another's,
    // so all are read before the runs are made.
    let held: Vec<i64> = ids
        .iter()
        .map(|&h| {
            node.state()
                .book()
                .account(household_account(HouseholdId(u128::from(h))).id)
                .map_or(0, |x| x.credit_balance().0)
        })
        .collect();
    // 5. Per chunk of households, its money is allocated, runs are chosen for every business
    // day and written as pain.001 files, reserved on the ledger; the bank
    // executes the orders and sends its confirming statement, and knop reads it: pure work, on
    // two threads. This one books, in order: the chunk's reservations, then the statement's
    // postings (each reservation is posted by its EndToEndId). A chunk's orders and statement
    // live only while it is in flight.
    let per = a.per_file as usize;
    let chunk_count = ids.len().div_ceil(per);
    let (mut bank_s, mut read_s, mut posted, mut chunks_done) = (0.0, 0.0, 0u64, 0usize);
    let takes = Takes::new(chunk_count);
    // The payment files are written on a thread of their own, a few behind the workers.
    let disk = crate::bench_files::Background::new(4);
    let (ids_in, held_in, days_in, mirror_in, dir, takes_in, disk_in) =
        (ids, &held, &days, mirror, tmp, &takes, &disk);
    let (org_in, name_in) = (org, org_name);
    let base = ts.get() + 1;
    ordered(
        chunk_count,
        |n| {
            let guard = StopUnlessDone(Some(takes_in));
            let range = n * per..((n + 1) * per).min(ids_in.len());
            let mut runs = make_runs(
                &ids_in[range.clone()],
                &held_in[range],
                (month_start, month_end),
                days_in,
                mirror_in,
                dir,
                disk_in,
            )?;
            // The reservations are kept only as signed entries.
            let pending = std::mem::take(&mut runs.pending);
            takes_in.set(n, pending.iter().map(|t| t.amount.0).sum());
            let reserve = Signed::new(org_in, name_in, base + n as u64, &pending)?;
            drop(pending);
            let opening = takes_in.opening(n, start_balance)?;
            let t1 = thread_cpu_s();
            let Some(xml) = confirming_statement(&runs.orders, n, opening)? else {
                guard.done();
                return Ok(Chunk {
                    runs,
                    reserve,
                    confirmed: None,
                    bank_s: thread_cpu_s() - t1,
                    read_s: 0.0,
                });
            };
            let bank_s = thread_cpu_s() - t1;
            let t1 = thread_cpu_s();
            let r = read_bytes(&xml)?;
            // Each line is knop's own payment, recognised by its EndToEndId: it posts the
            // reservation. The posting transfers are made here and the file dropped here.
            let posts: Vec<_> = r
                .plan
                .lines
                .iter()
                .zip(&r.plan.transfers)
                .flat_map(|(pos, imported)| {
                    let e = &r.file.statements[pos.0].entries[pos.1];
                    e.details
                        .iter()
                        .filter_map(|d| d.end_to_end_id.as_deref())
                        .map(|e2e| payment_post(e2e, imported.id))
                })
                .collect::<Vec<_>>();
            let posts = Signed::new(org_in, name_in, reserve.ts, &posts)?;
            guard.done();
            Ok(Chunk {
                runs,
                reserve,
                confirmed: Some((r.plan, posts)),
                bank_s,
                read_s: thread_cpu_s() - t1,
            })
        },
        |c| {
            let guard = StopUnlessDone(Some(takes_in));
            progress.tick(
                "payment runs and confirming statements",
                chunks_done,
                chunk_count,
            );
            chunks_done += 1;
            alloc_s += c.runs.choose_s;
            pain_s += c.runs.pain_s;
            bank_s += c.bank_s;
            read_s += c.read_s;
            // The chunk's reservations, the statement's lines and their postings, in one append
            // written while the next chunk is booked.
            let t1 = thread_cpu_s();
            payments += c.reserve.transfers as u64;
            transfers += c.reserve.transfers as u64;
            let mut parts = vec![c.reserve];
            if let Some((plan, posts)) = c.confirmed {
                let book_these = plan.transfers_to_book(node.state().book());
                posted += posts.transfers as u64;
                bank_lines += plan.lines.len() as u64;
                transfers += (book_these.len() + posts.transfers) as u64;
                parts.push(Signed::new(org, org_name, posts.ts, &book_these)?);
                parts.push(posts);
            }
            Signed::submit(parts, node)?;
            runs_book_s += thread_cpu_s() - t1;
            guard.done();
            Ok(())
        },
    )?;
    node.sync()?;
    ts.set(base + chunk_count as u64);
    disk.finish()?;
    stages.insert("runs_book_cpu".into(), secs(runs_book_s));
    stages.insert("allocate_and_choose_cpu".into(), secs(alloc_s));
    stages.insert("write_pain001_cpu".into(), secs(pain_s));
    stages.insert("confirming_bank_cpu".into(), secs(bank_s));
    stages.insert("confirming_read_cpu".into(), secs(read_s));
    stages.insert(
        "payment_runs_and_confirming".into(),
        secs(t0.elapsed().as_secs_f64()),
    );
    t.counts.payments += payments;
    t.counts.posted += posted;
    t.counts.transfers += transfers;
    t.counts.bank_lines += bank_lines;
    Ok(())
}

/// Prints the run's figures as one JSON object.
fn report(
    l: &Ledger,
    a: &MonthEndArgs,
    t: &Tally,
    started: Instant,
    index_bytes: usize,
    where_: &str,
) {
    let Counts {
        bank_lines,
        matched,
        suspense,
        transfers,
        payments,
        posted,
    } = t.counts;
    let (node, mirror, stages) = (&l.node, &l.mirror, &t.stages);
    let seconds = started.elapsed().as_secs_f64();
    let book = node.state().book();
    let suspense_cents = book
        .account(mirror.suspense)
        .map_or(0, |x| x.credit_balance().0);
    let rss = peak_rss_bytes();
    println!(
        "{}",
        json!({
            "households": a.households, "bank_lines": bank_lines, "matched_lines": matched,
            "suspense_lines": suspense, "payments": payments, "posted": posted,
            "transfers": transfers, "seconds": (seconds * 1000.0).round() / 1000.0,
            "transfers_per_s": (transfers as f64 / seconds).round(),
            "households_per_s": (a.households as f64 / seconds).round(),
            "stages_s": stages, "suspense_cents_after": suspense_cents,
            "entries": node.size(), "peak_rss_bytes": rss, "match_index_bytes": index_bytes,
            "transfers_spilled": book.transfers_spilled(),
            "peak_rss_bytes_per_household": rss / a.households, "store": where_,
        })
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resident_ibans_are_valid_and_plans_are_made_as_written() {
        for n in [
            0u64,
            1,
            7,
            42,
            99_999,
            1_200_000,
            9_999_999_999,
            12_345_678_901,
        ] {
            // ISO 13616 as written out: the check digits make the number 1 modulo 97.
            let account = format!("{:010}", n % 10_000_000_000);
            let digits = format!("29142829{account}232100");
            let rem = digits
                .bytes()
                .fold(0u64, |r, b| (r * 10 + u64::from(b - b'0')) % 97);
            let want = format!("NL{:02}TEST{account}", 98 - rem);
            assert_eq!(resident_iban(n), want);
            let moved = format!("29142829{account}2321{:02}", 98 - rem);
            let check = moved
                .bytes()
                .fold(0u64, |r, b| (r * 10 + u64::from(b - b'0')) % 97);
            assert_eq!(check, 1, "{want} is a valid IBAN");
        }
        let mut padded = String::new();
        push_padded(&mut padded, 42, 8);
        push_padded(&mut padded, 0, 1);
        push_padded(&mut padded, 1234, 2);
        assert_eq!(padded, "0000004201234");
        let plan = plan_of(42);
        let get = |id: &str| plan.agreements.iter().find(|a| a.id == id).unwrap();
        assert_eq!(plan.household.as_deref(), Some("42"));
        assert_eq!(get("uitkering").reference.as_deref(), Some("UITK 00000042"));
        assert_eq!(
            get("zorg").direct_debit.as_ref().unwrap().mandate_id,
            "zorg-42"
        );
        assert_eq!(get("leefgeld").counterparty_iban, Some(resident_iban(42)));
        // Made again in the same place for another household, nothing of the first remains.
        let mut plans = Plans::default();
        plans.get(123_456_789);
        let again = plans.get(42).clone();
        assert_eq!(format!("{again:?}"), format!("{plan:?}"));
    }

    #[test]
    fn a_statement_opens_with_what_the_earlier_chunks_left_and_a_stop_ends_the_wait() {
        let takes = Takes::new(3);
        std::thread::scope(|s| {
            let waiting = s.spawn(|| takes.opening(2, 1_000));
            takes.set(1, 300);
            std::thread::sleep(std::time::Duration::from_millis(20));
            assert!(!waiting.is_finished(), "chunk 0 is not known yet");
            takes.set(0, 200);
            assert_eq!(waiting.join().unwrap().unwrap(), 500);
        });
        assert_eq!(takes.opening(0, 1_000).unwrap(), 1_000);
        let takes = Takes::new(2);
        std::thread::scope(|s| {
            let waiting = s.spawn(|| takes.opening(1, 0));
            // A worker that fails stops the run on its way out.
            drop(StopUnlessDone(Some(&takes)));
            assert!(waiting.join().unwrap().is_err());
        });
        let takes = Takes::new(2);
        StopUnlessDone(Some(&takes)).done();
        takes.set(0, 5);
        assert_eq!(
            takes.opening(1, 0).unwrap(),
            -5,
            "done() does not stop the run"
        );
    }

    #[test]
    fn results_come_in_order_from_both_workers_and_an_error_ends_the_run() {
        let mut seen = vec![];
        ordered(
            9,
            |i| Ok(i * 10),
            |x| {
                seen.push(x);
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(seen, (0..9).map(|i| i * 10).collect::<Vec<_>>());
        let mut seen = vec![];
        let r = ordered(
            9,
            |i| {
                if i == 4 {
                    bail!("file 4 is bad")
                } else {
                    Ok(i)
                }
            },
            |x| {
                seen.push(x);
                Ok(())
            },
        );
        assert!(r.unwrap_err().to_string().contains("file 4 is bad"));
        assert_eq!(seen, [0, 1, 2, 3]);
    }

    #[test]
    fn a_slow_item_holds_up_only_its_own_worker_and_a_panic_does_not_hang_the_run() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        // Item 0 waits until the other worker has done the next items of the window: it does
        // not sit idle behind the slow one.
        let done = AtomicUsize::new(0);
        let mut seen = vec![];
        ordered(
            8,
            |i| {
                if i == 0 {
                    let t0 = Instant::now();
                    while done.load(Ordering::SeqCst) < AHEAD - 1 {
                        if t0.elapsed().as_secs() > 10 {
                            bail!("the other worker waited behind item 0");
                        }
                        std::thread::sleep(std::time::Duration::from_millis(1));
                    }
                }
                done.fetch_add(1, Ordering::SeqCst);
                Ok(i)
            },
            |x| {
                seen.push(x);
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(seen, (0..8).collect::<Vec<_>>());
        // Never more than the window beyond the item being booked.
        let booked = AtomicUsize::new(0);
        ordered(
            50,
            |i| {
                assert!(
                    i <= booked.load(Ordering::SeqCst) + AHEAD,
                    "item {i} too far ahead"
                );
                Ok(())
            },
            |()| {
                booked.fetch_add(1, Ordering::SeqCst);
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(booked.load(Ordering::SeqCst), 50);
        // A worker that panics ends the run (as a panic) instead of leaving the booking waiting.
        let r = std::panic::catch_unwind(|| {
            ordered(
                9,
                |i| {
                    assert!(i != 3, "item 3 panics");
                    Ok(i)
                },
                |_| Ok(()),
            )
        });
        assert!(r.is_err());
        // The booking's error stops the workers too.
        let r = ordered(1000, Ok, |x| {
            if x == 5 {
                bail!("booking failed")
            } else {
                Ok(())
            }
        });
        assert!(r.unwrap_err().to_string().contains("booking failed"));
    }
}
