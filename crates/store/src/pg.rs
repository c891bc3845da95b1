//! The PostgreSQL store, for scale and for replicas each organisation can read.
//!
//! Tables (in the connection's `search_path` schema, so one database can hold several logs):
//! `knop_meta(key, value)`, `knop_entries(idx, leaf, salt, entry)` and
//! `knop_checkpoints(size, note)`. `append` inserts all records in one transaction with one
//! statement (`UNNEST` over arrays); PostgreSQL's commit (with the default
//! `synchronous_commit = on`) makes them durable before it returns. The primary key on `idx`
//! makes a second writer's conflicting append fail instead of forking the log.

use postgres::Client;

use crate::{check_append, check_range, Meta, Record, Store, StoreError};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS knop_meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE IF NOT EXISTS knop_entries (
    idx bigint PRIMARY KEY CHECK (idx >= 0),
    leaf bytea NOT NULL CHECK (length(leaf) = 32),
    salt bytea,
    entry bytea
);
CREATE TABLE IF NOT EXISTS knop_checkpoints (size bigint PRIMARY KEY, note text NOT NULL);
";

/// The PostgreSQL store. See the module docs.
pub struct PgStore {
    client: Client,
    meta: Meta,
    len: u64,
    url: String,
}

fn idx(i: u64) -> i64 {
    i64::try_from(i).expect("log index below 2^63")
}

impl PgStore {
    /// Creates the tables and a new, empty log (fails if a log exists there).
    pub fn create(url: &str, meta: Meta) -> Result<Self, StoreError> {
        let mut client = crate::pg_tls::connect(url)?;
        client.batch_execute(SCHEMA)?;
        // Entries are stored compressed (TOAST); lz4 compresses them about as well as the
        // default pglz at a fraction of the server's CPU (a month-end run of 1.2 million
        // households stores 3 GB of entries). Servers before PostgreSQL 14, or built without
        // lz4, keep the default.
        let _ =
            client.batch_execute("ALTER TABLE knop_entries ALTER COLUMN entry SET COMPRESSION lz4");
        let mut tx = client.transaction()?;
        let existing: i64 = tx.query_one("SELECT count(*) FROM knop_meta", &[])?.get(0);
        if existing > 0 {
            return Err(StoreError::Exists(redact(url)));
        }
        tx.execute(
            "INSERT INTO knop_meta (key, value) VALUES ('origin', $1), ('operator_vkey', $2)",
            &[&meta.origin, &meta.operator_vkey],
        )?;
        tx.commit()?;
        drop(client);
        Self::open(url)
    }

    /// Opens an existing log, checking that its indexes have no gaps.
    pub fn open(url: &str) -> Result<Self, StoreError> {
        let mut client = crate::pg_tls::connect(url)?;
        let has_tables: bool = client
            .query_one("SELECT to_regclass('knop_meta') IS NOT NULL", &[])?
            .get(0);
        if !has_tables {
            return Err(StoreError::NotFound(redact(url)));
        }
        let rows = client.query("SELECT key, value FROM knop_meta", &[])?;
        let get = |k: &str| {
            rows.iter()
                .find(|r| r.get::<_, &str>(0) == k)
                .map(|r| r.get::<_, String>(1))
                .ok_or_else(|| StoreError::NotFound(redact(url)))
        };
        let meta = Meta {
            origin: get("origin")?,
            operator_vkey: get("operator_vkey")?,
        };
        let row = client.query_one(
            "SELECT count(*), coalesce(max(idx) + 1, 0) FROM knop_entries",
            &[],
        )?;
        let (count, next): (i64, i64) = (row.get(0), row.get(1));
        if count != next {
            let gap: i64 = client
                .query_one(
                    "SELECT coalesce(min(e.idx + 1), 0) FROM knop_entries e
                     WHERE NOT EXISTS (SELECT 1 FROM knop_entries n WHERE n.idx = e.idx + 1)
                       AND e.idx + 1 < $1
                     UNION ALL SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM knop_entries WHERE idx = 0)
                     ORDER BY 1 LIMIT 1",
                    &[&next],
                )?
                .get(0);
            return Err(StoreError::Corrupt {
                index: gap as u64,
                why: "record is missing (gap in the log)".into(),
            });
        }
        Ok(Self {
            client,
            meta,
            len: count as u64,
            url: redact(url),
        })
    }

    /// The connection URL without password.
    pub fn url(&self) -> &str {
        &self.url
    }
}

/// The URL with any password replaced, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(s), Some(at)) if at > s => {
            let userinfo = &url[s + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

fn row_to_record(row: &postgres::Row) -> Result<Record, StoreError> {
    let index = row.get::<_, i64>(0) as u64;
    let corrupt = |why: &str| StoreError::Corrupt {
        index,
        why: why.to_owned(),
    };
    let leaf: Vec<u8> = row.get(1);
    let salt: Option<Vec<u8>> = row.get(2);
    let entry: Option<Vec<u8>> = row.get(3);
    let leaf = leaf
        .try_into()
        .map_err(|_| corrupt("leaf is not 32 bytes"))?;
    let salt = match salt {
        Some(s) => Some(<[u8; 32]>::try_from(s).map_err(|_| corrupt("salt is not 32 bytes"))?),
        None => None,
    };
    if salt.is_some() != entry.is_some() {
        return Err(corrupt("only one of salt and entry is present"));
    }
    Ok(Record {
        index,
        leaf,
        salt,
        entry,
    })
}

impl Store for PgStore {
    fn meta(&self) -> &Meta {
        &self.meta
    }

    fn len(&self) -> u64 {
        self.len
    }

    fn append(&mut self, records: &[Record]) -> Result<(), StoreError> {
        check_append(self.len, records)?;
        let idxs: Vec<i64> = records.iter().map(|r| idx(r.index)).collect();
        let leaves: Vec<&[u8]> = records.iter().map(|r| &r.leaf[..]).collect();
        let salts: Vec<Option<&[u8]>> = records
            .iter()
            .map(|r| r.salt.as_ref().map(|s| &s[..]))
            .collect();
        let entries: Vec<Option<&[u8]>> = records.iter().map(|r| r.entry.as_deref()).collect();
        let mut tx = self.client.transaction()?;
        tx.execute(
            "INSERT INTO knop_entries (idx, leaf, salt, entry)
             SELECT * FROM UNNEST($1::bigint[], $2::bytea[], $3::bytea[], $4::bytea[])",
            &[&idxs, &leaves, &salts, &entries],
        )?;
        tx.commit()?;
        self.len += records.len() as u64;
        Ok(())
    }

    fn read(&mut self, from: u64, to: u64) -> Result<Vec<Record>, StoreError> {
        check_range(self.len, from, to)?;
        let rows = self.client.query(
            "SELECT idx, leaf, salt, entry FROM knop_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx",
            &[&idx(from), &idx(to)],
        )?;
        let mut out = Vec::with_capacity(rows.len());
        for (i, row) in rows.iter().enumerate() {
            let r = row_to_record(row)?;
            if r.index != from + i as u64 {
                return Err(StoreError::Corrupt {
                    index: from + i as u64,
                    why: "record is missing (gap in the log)".into(),
                });
            }
            out.push(r);
        }
        if out.len() as u64 != to - from {
            return Err(StoreError::Corrupt {
                index: from + out.len() as u64,
                why: "record is missing".into(),
            });
        }
        Ok(out)
    }

    fn erase(&mut self, index: u64) -> Result<(), StoreError> {
        check_range(self.len, index, index + 1)?;
        self.client.execute(
            "UPDATE knop_entries SET salt = NULL, entry = NULL WHERE idx = $1",
            &[&idx(index)],
        )?;
        Ok(())
    }

    fn put_checkpoint(&mut self, size: u64, note: &str) -> Result<(), StoreError> {
        if size > self.len {
            return Err(StoreError::Misuse(format!(
                "checkpoint for size {size} but only {} records are durable",
                self.len
            )));
        }
        self.client.execute(
            "INSERT INTO knop_checkpoints (size, note) VALUES ($1, $2) ON CONFLICT (size) DO NOTHING",
            &[&idx(size), &note],
        )?;
        Ok(())
    }

    fn checkpoints(&mut self) -> Result<Vec<(u64, String)>, StoreError> {
        let rows = self
            .client
            .query("SELECT size, note FROM knop_checkpoints ORDER BY size", &[])?;
        Ok(rows
            .iter()
            .map(|r| (r.get::<_, i64>(0) as u64, r.get(1)))
            .collect())
    }

    fn latest_checkpoint(&mut self) -> Result<Option<(u64, String)>, StoreError> {
        let row = self.client.query_opt(
            "SELECT size, note FROM knop_checkpoints ORDER BY size DESC LIMIT 1",
            &[],
        )?;
        Ok(row.map(|r| (r.get::<_, i64>(0) as u64, r.get(1))))
    }

    fn bytes_used(&mut self) -> Result<u64, StoreError> {
        let n: i64 = self
            .client
            .query_one("SELECT pg_total_relation_size('knop_entries') + pg_total_relation_size('knop_checkpoints')", &[])?
            .get(0);
        Ok(n as u64)
    }
}
