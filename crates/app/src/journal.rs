//! A household's journal, as debt-assistance work keeps one: notes, contacts (a call, a visit,
//! a letter) and tasks with a due date, by the counsellor. Free text about a person is personal
//! data: the journal lives in the vault, encrypted with the household's key (so an erasure
//! takes it too), every read logged; never on the ledger, never in a log.

use serde::{Deserialize, Serialize};

/// Longest text of one entry, in characters.
pub const TEXT_CHARS_MAX: usize = 2_000;
/// Most entries in one household's journal.
pub const ENTRIES_MAX: usize = 5_000;

/// What an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A note.
    Note,
    /// A contact with the resident or for them: a call, a visit, a letter, an e-mail.
    Contact,
    /// Something to do, by a date.
    Task,
}

impl Kind {
    /// Every kind, in the order a form lists them.
    pub const ALL: [Kind; 3] = [Kind::Note, Kind::Contact, Kind::Task];

    /// The word in a form (`notitie`, `contact`, `taak`).
    pub fn word(self) -> &'static str {
        match self {
            Kind::Note => "notitie",
            Kind::Contact => "contact",
            Kind::Task => "taak",
        }
    }

    /// The kind a form word names.
    pub fn from_word(w: &str) -> Option<Self> {
        Kind::ALL.into_iter().find(|k| k.word() == w)
    }
}

/// One entry of the journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Its number in the journal, from 1.
    pub id: u64,
    /// When it was written (RFC 3339).
    pub at: String,
    /// Who wrote it (login).
    pub by: String,
    /// What it is.
    pub kind: Kind,
    /// The text.
    pub text: String,
    /// For a task: by when (ISO 8601).
    pub due: Option<String>,
    /// For a task that is done: when and by whom.
    pub done: Option<Done>,
}

/// A task's completion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Done {
    /// When (RFC 3339).
    pub at: String,
    /// By whom (login).
    pub by: String,
}

/// What a person writes in the journal.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewEntry {
    /// What it is.
    pub kind: Kind,
    /// The text, 1 to 2 000 characters.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 2000))]
    pub text: String,
    /// For a task: by when (ISO 8601); only for tasks.
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub due: Option<String>,
}

/// Why a journal change is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JournalError {
    /// Occurs when the text is empty or too long.
    #[error("text: 1 to {TEXT_CHARS_MAX} characters, found {0}")]
    Text(usize),
    /// Occurs when a due date is not a date, or is given for something that is not a task.
    #[error("due: {0}")]
    Due(String),
    /// Occurs when the journal is full.
    #[error("the journal holds at most {ENTRIES_MAX} entries")]
    Full,
    /// Occurs when a task to complete is not in the journal (or is not a task).
    #[error("no task {0} in this journal")]
    NoSuchTask(u64),
}

/// Adds `new` to `entries`, written by `by` at `at`; returns the entry.
pub fn add(
    entries: &mut Vec<Entry>,
    new: NewEntry,
    by: &str,
    at: &str,
) -> Result<Entry, JournalError> {
    let text = new.text.trim().to_owned();
    let chars = text.chars().count();
    if chars == 0 || chars > TEXT_CHARS_MAX {
        return Err(JournalError::Text(chars));
    }
    let due = match (
        &new.kind,
        new.due.as_deref().map(str::trim).filter(|d| !d.is_empty()),
    ) {
        (_, None) => None,
        (Kind::Task, Some(d)) => Some(
            d.parse::<jiff::civil::Date>()
                .map_err(|_| JournalError::Due(format!("{d:?} is not a date (YYYY-MM-DD)")))?
                .to_string(),
        ),
        (_, Some(_)) => return Err(JournalError::Due("only a task has a due date".into())),
    };
    if entries.len() >= ENTRIES_MAX {
        return Err(JournalError::Full);
    }
    let entry = Entry {
        id: entries.iter().map(|e| e.id).max().unwrap_or(0) + 1,
        at: at.to_owned(),
        by: by.to_owned(),
        kind: new.kind,
        text,
        due,
        done: None,
    };
    entries.push(entry.clone());
    Ok(entry)
}

/// Marks task `id` done by `by` at `at`; a task done before stays as it was (a retry).
pub fn complete(entries: &mut [Entry], id: u64, by: &str, at: &str) -> Result<Entry, JournalError> {
    let e = entries
        .iter_mut()
        .find(|e| e.id == id && e.kind == Kind::Task)
        .ok_or(JournalError::NoSuchTask(id))?;
    if e.done.is_none() {
        e.done = Some(Done {
            at: at.to_owned(),
            by: by.to_owned(),
        });
    }
    Ok(e.clone())
}

/// The entries as a counsellor reads them: open tasks first (soonest due first), then
/// everything else newest first.
pub fn in_order(mut entries: Vec<Entry>) -> Vec<Entry> {
    entries.sort_by(|a, b| {
        let open = |e: &Entry| e.kind == Kind::Task && e.done.is_none();
        open(b).cmp(&open(a)).then_with(|| {
            if open(a) && open(b) {
                a.due
                    .as_deref()
                    .unwrap_or("9999")
                    .cmp(b.due.as_deref().unwrap_or("9999"))
            } else {
                b.id.cmp(&a.id)
            }
        })
    });
    entries
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(kind: Kind, text: &str, due: Option<&str>) -> NewEntry {
        NewEntry {
            kind,
            text: text.into(),
            due: due.map(String::from),
        }
    }

    #[test]
    fn entries_are_numbered_checked_and_tasks_come_first_by_due_date() {
        let mut j = vec![];
        add(&mut j, new(Kind::Note, "Eerste gesprek", None), "c", "t1").unwrap();
        add(
            &mut j,
            new(Kind::Task, "Huurtoeslag aanvragen", Some("2026-12-20")),
            "c",
            "t2",
        )
        .unwrap();
        add(
            &mut j,
            new(Kind::Task, "Brief CJIB", Some("2026-12-10")),
            "c",
            "t3",
        )
        .unwrap();
        add(&mut j, new(Kind::Contact, "  Gebeld  ", None), "c", "t4").unwrap();
        assert_eq!(j[3].text, "Gebeld", "trimmed");
        let order: Vec<u64> = in_order(j.clone()).iter().map(|e| e.id).collect();
        assert_eq!(order, [3, 2, 4, 1]);
        let done = complete(&mut j, 3, "c2", "t5").unwrap();
        assert_eq!(done.done.as_ref().map(|d| d.by.as_str()), Some("c2"));
        assert_eq!(
            complete(&mut j, 3, "c3", "t6").unwrap().done,
            done.done,
            "done once"
        );
        let order: Vec<u64> = in_order(j.clone()).iter().map(|e| e.id).collect();
        assert_eq!(order, [2, 4, 3, 1]);
        assert_eq!(
            complete(&mut j, 1, "c", "t"),
            Err(JournalError::NoSuchTask(1)),
            "a note is no task"
        );
    }

    #[test]
    fn a_bad_entry_is_refused_and_nothing_is_added() {
        let mut j = vec![];
        for (e, want) in [
            (new(Kind::Note, "  ", None), JournalError::Text(0)),
            (
                new(Kind::Note, &"x".repeat(2001), None),
                JournalError::Text(2001),
            ),
            (
                new(Kind::Note, "x", Some("2026-12-01")),
                JournalError::Due("only a task has a due date".into()),
            ),
            (
                new(Kind::Task, "x", Some("morgen")),
                JournalError::Due("\"morgen\" is not a date (YYYY-MM-DD)".into()),
            ),
        ] {
            assert_eq!(add(&mut j, e, "c", "t"), Err(want));
        }
        assert!(j.is_empty());
        assert!(
            add(&mut j, new(Kind::Note, &"é".repeat(2000), None), "c", "t").is_ok(),
            "characters, not bytes"
        );
    }
}
