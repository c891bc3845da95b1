//! Purchases from many tills at once, grouped: a spend request is queued, and one thread takes
//! everything queued, books each as its own entry in one group commit
//! ([`knop_app::kindpakket::spend_many`]), and answers each once it is durable. While one group
//! is being written, the next one gathers, so a busy service makes few syncs for many
//! purchases; a quiet one answers each at once.

use std::sync::mpsc::{Receiver, Sender, TryRecvError};
use std::sync::{Arc, Weak};

use jiff::civil::Date;
use knop_app::kindpakket::{self as kp, KindpakketError, VoucherView};
use knop_ledger::entry::OrgName;
use knop_state::kindpakket::Category;
use knop_state::OrgKind;

use crate::App;

/// Most purchases in one group commit.
pub const SPENDS_PER_COMMIT: usize = 1_024;

/// A purchase waiting to be booked.
pub(crate) struct SpendJob {
    /// The code the parent showed.
    pub code: String,
    /// The shop.
    pub shop: OrgName,
    /// What is bought.
    pub category: Category,
    /// How much, in cents.
    pub cents: i64,
    /// The day it is booked on.
    pub today: Date,
    /// Now, for the code (seconds since the epoch).
    pub now_s: i64,
    /// The ledger's timestamp (ms).
    pub now_ms: u64,
    /// The clock (ms), for counting wrong codes in the minute they were tried.
    pub clock_ms: u64,
    /// Where the answer goes.
    pub answer: tokio::sync::oneshot::Sender<Result<VoucherView, KindpakketError>>,
}

impl App {
    /// Books a purchase with the others queued now; answers when it is durable (or refused).
    /// `None` when the queue cannot take it (the service is stopping, or its thread cannot run).
    pub(crate) async fn spend(
        self: &Arc<Self>,
        job: impl FnOnce(tokio::sync::oneshot::Sender<Result<VoucherView, KindpakketError>>) -> SpendJob,
    ) -> Option<Result<VoucherView, KindpakketError>> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let mut job = Some(job(tx));
        // A queue whose thread ended (it cannot, short of a bug) is started again, once.
        for _ in 0..2 {
            let queue = {
                let mut q = self.spends.lock().unwrap_or_else(|e| e.into_inner());
                if q.is_none() {
                    let (send, recv) = std::sync::mpsc::channel();
                    let app = Arc::downgrade(self);
                    let started = std::thread::Builder::new()
                        .name("knop-till".into())
                        .spawn(move || run(&app, &recv));
                    *q = started.ok().map(|_| send);
                }
                q.clone()?
            };
            match queue.send(job.take()?) {
                Ok(()) => return rx.await.ok(),
                Err(std::sync::mpsc::SendError(back)) => {
                    job = Some(back);
                    *self.spends.lock().unwrap_or_else(|e| e.into_inner()) = None;
                }
            }
        }
        None
    }
}

/// The queue's thread: takes what is queued (at most [`SPENDS_PER_COMMIT`]), books it, answers;
/// ends when the service is gone.
fn run(app: &Weak<App>, queue: &Receiver<SpendJob>) {
    while let Ok(first) = queue.recv() {
        let mut jobs = vec![first];
        while jobs.len() < SPENDS_PER_COMMIT {
            match queue.try_recv() {
                Ok(j) => jobs.push(j),
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
            }
        }
        let Some(app) = app.upgrade() else { return };
        // A bug in booking must not stop the tills: those purchases are answered as not booked
        // (the node refuses to write again if its store failed), the queue goes on.
        let answers = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| book(&app, &jobs)))
            .unwrap_or_else(|_| {
                jobs.iter()
                    .map(|_| {
                        Err(KindpakketError::Invalid(
                            "the purchase could not be booked; try again".into(),
                        ))
                    })
                    .collect()
            });
        for (job, answer) in jobs.into_iter().zip(answers) {
            if matches!(answer, Err(KindpakketError::BadCode)) {
                app.wrong_code(job.shop.as_str(), job.clock_ms);
            }
            // A till that gave up waiting is not answered.
            let _ = job.answer.send(answer);
        }
    }
}

/// Books the jobs in one group commit: each signed by its shop's own key when the service holds
/// it, else by the voucher's municipality, whose key also checks the code.
fn book(app: &App, jobs: &[SpendJob]) -> Vec<Result<VoucherView, KindpakketError>> {
    let mut node = app.node();
    let keys: Vec<Result<_, KindpakketError>> = jobs
        .iter()
        .map(|j| {
            let st = node.state();
            let voucher = j.code.trim().rsplit_once('-').map(|(v, _)| v);
            let owner = voucher
                .and_then(|v| st.vouchers().get(v))
                .and_then(|v| st.funds().get(&v.fund))
                .map(|f| f.owner.to_string())
                .ok_or(KindpakketError::BadCode)?;
            let municipality = app.hosted(&owner).ok_or(KindpakketError::BadCode)?;
            let own = app
                .hosted(j.shop.as_str())
                .filter(|_| st.orgs().get(&j.shop).map(|o| o.kind) == Some(OrgKind::Merchant));
            Ok((municipality.clone(), own.unwrap_or(municipality).clone()))
        })
        .collect();
    let reqs: Vec<kp::SpendRequest<'_>> = jobs
        .iter()
        .map(|j| kp::SpendRequest {
            code: &j.code,
            merchant: &j.shop,
            category: j.category,
            cents: j.cents,
            today: j.today,
            now_s: j.now_s,
            now_ms: j.now_ms,
        })
        .collect();
    let (mut todo, mut at) = (vec![], vec![]);
    for (i, k) in keys.iter().enumerate() {
        if let Ok((m, s)) = k {
            todo.push((m, s, &reqs[i]));
            at.push(i);
        }
    }
    let mut booked = kp::spend_many(&mut node, &todo).into_iter();
    app.refresh_checkpoint(&mut node);
    let mut next = at.into_iter().peekable();
    keys.into_iter()
        .enumerate()
        .map(|(i, k)| match k {
            Err(e) => Err(e),
            Ok(_) => {
                debug_assert_eq!(next.next(), Some(i));
                booked
                    .next()
                    .unwrap_or_else(|| Err(KindpakketError::Invalid("no answer".into())))
            }
        })
        .collect()
}

/// Keeps the queue's sender type named for the App's field.
pub(crate) type Queue = Option<Sender<SpendJob>>;
