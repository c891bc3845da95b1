//! The storage contract, checked against both stores with the same tests.
//! PostgreSQL runs at 127.0.0.1:5432 (trust auth, database `test`), or at `KNOP_TEST_DATABASE`.

use knop_store::{FileStore, Meta, PgStore, Record, Store, StoreError};

fn meta() -> Meta {
    Meta {
        origin: "knop.test/log".into(),
        operator_vkey: "op+00000000+AQ==".into(),
    }
}

fn rec(index: u64, fill: u8, len: usize) -> Record {
    Record {
        index,
        leaf: [fill; 32],
        salt: Some([fill ^ 0xff; 32]),
        entry: Some(vec![fill; len]),
    }
}

/// A PostgreSQL schema for one test, dropped when the test ends.
pub struct PgSchema {
    /// A URL whose connections use the schema.
    pub url: String,
    base: String,
    schema: String,
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&self.base, postgres::NoTls) {
            let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema));
        }
    }
}

/// A fresh PostgreSQL schema for one test.
pub fn pg_url() -> PgSchema {
    let base = std::env::var("KNOP_TEST_DATABASE")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let schema = format!("knop_t_{}", rand::random::<u64>());
    let mut c = postgres::Client::connect(&base, postgres::NoTls).expect("PostgreSQL for tests");
    c.batch_execute(&format!("CREATE SCHEMA {schema}")).unwrap();
    let sep = if base.contains('?') { '&' } else { '?' };
    PgSchema {
        url: format!("{base}{sep}options=-csearch_path%3D{schema}"),
        base,
        schema,
    }
}

fn contract(mut s: Box<dyn Store>, reopen: &dyn Fn() -> Box<dyn Store>) {
    assert_eq!(s.len(), 0);
    assert_eq!(s.meta(), &meta());
    assert_eq!(s.latest_checkpoint().unwrap(), None);
    s.append(&[rec(0, 1, 10), rec(1, 2, 0), rec(2, 3, 1000)])
        .unwrap();
    assert_eq!(s.len(), 3);
    assert!(matches!(
        s.append(&[rec(5, 1, 1)]),
        Err(StoreError::Misuse(_))
    ));
    assert!(matches!(s.read(2, 4), Err(StoreError::Misuse(_))));
    assert!(matches!(
        s.put_checkpoint(4, "x"),
        Err(StoreError::Misuse(_))
    ));
    assert_eq!(
        s.read(0, 3).unwrap(),
        vec![rec(0, 1, 10), rec(1, 2, 0), rec(2, 3, 1000)]
    );
    assert_eq!(s.read(1, 1).unwrap(), vec![]);
    s.put_checkpoint(2, "note two\n").unwrap();
    s.put_checkpoint(3, "note three\n").unwrap();
    s.erase(1).unwrap();
    drop(s);

    let mut s = reopen();
    assert_eq!(s.len(), 3);
    let erased = s.read(1, 2).unwrap().remove(0);
    assert_eq!(
        erased,
        Record {
            index: 1,
            leaf: [2; 32],
            salt: None,
            entry: None
        }
    );
    assert_eq!(s.read(2, 3).unwrap()[0], rec(2, 3, 1000));
    assert_eq!(
        s.latest_checkpoint().unwrap(),
        Some((3, "note three\n".into()))
    );
    assert_eq!(s.checkpoints().unwrap().len(), 2);
    s.append(&[rec(3, 4, 5)]).unwrap();
    assert_eq!(s.read(0, 4).unwrap().len(), 4);
    assert!(s.bytes_used().unwrap() > 1000);
}

#[test]
fn file_store_keeps_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log");
    let s = FileStore::create(&path, meta()).unwrap();
    contract(Box::new(s), &|| Box::new(FileStore::open(&path).unwrap()));
    assert!(matches!(
        FileStore::create(&path, meta()),
        Err(StoreError::Exists(_))
    ));
    assert!(matches!(
        FileStore::open(&dir.path().join("none")),
        Err(StoreError::NotFound(_))
    ));
}

#[test]
fn pg_store_keeps_the_contract() {
    let db = pg_url();
    let url = db.url.clone();
    let s = PgStore::create(&url, meta()).unwrap();
    contract(Box::new(s), &|| Box::new(PgStore::open(&url).unwrap()));
    assert!(matches!(
        PgStore::create(&url, meta()),
        Err(StoreError::Exists(_))
    ));
}

#[test]
fn pg_store_compresses_entries_with_lz4_where_the_server_has_it() {
    let db = pg_url();
    let mut s = PgStore::create(&db.url, meta()).unwrap();
    // Compressible entries larger than TOAST's threshold, read back whole.
    let big: Vec<Record> = (0..3).map(|i| rec(i, 9, 300_000)).collect();
    s.append(&big).unwrap();
    assert_eq!(s.read(0, 3).unwrap(), big);
    let mut c = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
    let version: i32 = c
        .query_one("SELECT current_setting('server_version_num')::int", &[])
        .unwrap()
        .get(0);
    if version < 140_000 {
        return;
    }
    let method: Option<String> = c
        .query_one(
            "SELECT pg_column_compression(entry) FROM knop_entries WHERE idx = 0",
            &[],
        )
        .unwrap()
        .get(0);
    let lz4 = c
        .batch_execute("CREATE TEMP TABLE lz4_probe (b bytea COMPRESSION lz4)")
        .is_ok();
    let want = if lz4 { "lz4" } else { "pglz" };
    assert_eq!(method.as_deref(), Some(want));
}

#[test]
fn pg_store_names_a_deleted_record() {
    let db = pg_url();
    let url = db.url.clone();
    let mut s = PgStore::create(&url, meta()).unwrap();
    s.append(&[rec(0, 1, 1), rec(1, 2, 1), rec(2, 3, 1)])
        .unwrap();
    let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    c.execute("DELETE FROM knop_entries WHERE idx = 1", &[])
        .unwrap();
    match PgStore::open(&url) {
        Err(StoreError::Corrupt { index: 1, .. }) => {}
        other => panic!("{:?}", other.err()),
    }
}

#[test]
fn file_store_cuts_a_torn_tail_and_names_damage() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log");
    let mut s = FileStore::create(&path, meta()).unwrap();
    s.append(&[rec(0, 1, 10), rec(1, 2, 10)]).unwrap();
    drop(s);
    let log = path.join("log.knop");
    let full = std::fs::read(&log).unwrap();

    // A crash in the middle of writing record 1: its frame is cut short.
    std::fs::write(&log, &full[..full.len() - 5]).unwrap();
    let s = FileStore::open(&path).unwrap();
    assert_eq!(
        (s.len(), s.recovered_tail_bytes),
        (1, (8 + 77 + 10 - 5) as u64)
    );
    drop(s);

    // A changed byte inside record 0 is damage, named by index, never cut off.
    let mut bad = full.clone();
    bad[8 + 8 + 20] ^= 1;
    std::fs::write(&log, &bad).unwrap();
    match FileStore::open(&path) {
        Err(StoreError::Corrupt { index: 0, why }) => assert!(why.contains("checksum"), "{why}"),
        other => panic!("{:?}", other.err()),
    }
}

#[test]
fn file_store_has_one_writer_and_any_readers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log");
    let mut writer = FileStore::create(&path, meta()).unwrap();
    writer.append(&[rec(0, 1, 3)]).unwrap();
    assert!(matches!(FileStore::open(&path), Err(StoreError::Locked(_))));
    let mut reader = FileStore::open_read_only(&path).unwrap();
    assert_eq!(reader.read(0, 1).unwrap(), vec![rec(0, 1, 3)]);
    assert!(matches!(
        reader.append(&[rec(1, 1, 1)]),
        Err(StoreError::Misuse(_))
    ));
    assert!(matches!(
        reader.put_checkpoint(1, "n"),
        Err(StoreError::Misuse(_))
    ));
    assert!(matches!(reader.erase(0), Err(StoreError::Misuse(_))));
    drop(writer);
    FileStore::open(&path).unwrap();
}

#[test]
fn file_store_appends_across_pages_read_back_after_reopening() {
    // Appends of many sizes, so frames start and end anywhere in a page: with direct I/O each
    // append rewrites the last partial page from memory and must keep what was there.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log");
    let mut s = FileStore::create(&path, meta()).unwrap();
    let mut all = vec![];
    let mut index = 0u64;
    for (round, len) in [0usize, 1, 4000, 4096, 13, 9000, 4011, 2, 70_000, 5]
        .into_iter()
        .enumerate()
    {
        let batch: Vec<Record> = (0..=round % 3)
            .map(|k| {
                index += 1;
                rec(index - 1, (index % 251) as u8, len + k)
            })
            .collect();
        s.append(&batch).unwrap();
        all.extend(batch);
        if round == 4 {
            // An erasure in the last page, then more appends: the erasure stays.
            s.erase(index - 1).unwrap();
            all[(index - 1) as usize].salt = None;
            all[(index - 1) as usize].entry = None;
        }
        assert_eq!(s.read(0, index).unwrap(), all);
    }
    drop(s);
    let mut s = FileStore::open(&path).unwrap();
    assert_eq!(s.recovered_tail_bytes, 0);
    assert_eq!(s.read(0, index).unwrap(), all);
}

#[test]
fn file_store_cuts_the_zeros_of_an_uncut_direct_write() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log");
    let mut s = FileStore::create(&path, meta()).unwrap();
    s.append(&[rec(0, 1, 10)]).unwrap();
    drop(s);
    let log = path.join("log.knop");
    let full = std::fs::read(&log).unwrap();

    // A crash between a direct write and cutting the file to length: zeros to the page's end.
    let mut padded = full.clone();
    padded.resize(4096, 0);
    std::fs::write(&log, &padded).unwrap();
    let mut s = FileStore::open(&path).unwrap();
    assert_eq!(
        (s.len(), s.recovered_tail_bytes),
        (1, (4096 - full.len()) as u64)
    );
    s.append(&[rec(1, 2, 5)]).unwrap();
    assert_eq!(s.read(0, 2).unwrap(), vec![rec(0, 1, 10), rec(1, 2, 5)]);
    drop(s);

    // Zeros followed by anything else are damage, not a tail to cut.
    let mut bad = full.clone();
    bad.resize(full.len() + 100, 0);
    bad.push(7);
    std::fs::write(&log, &bad).unwrap();
    match FileStore::open(&path) {
        Err(StoreError::Corrupt { index: 1, why }) => assert!(why.contains("empty"), "{why}"),
        other => panic!("{:?}", other.err()),
    }
}

/// The local server's own certificate (Debian's snakeoil, issued to `localhost`), which the
/// PostgreSQL of this machine serves TLS with.
const SERVER_CERT: &str = "/etc/ssl/certs/ssl-cert-snakeoil.pem";

#[test]
fn postgresql_over_tls_as_sslmode_says() {
    // A municipality's database is on another host and requires TLS: the URL's sslmode and
    // sslrootcert are followed, and a certificate that does not fit is refused.
    assert!(
        std::path::Path::new(SERVER_CERT).exists(),
        "{SERVER_CERT}: the test server's certificate (Debian's ssl-cert package)"
    );
    let pg = pg_url();
    let with = |host: &str, tls: &str| {
        pg.url
            .replace("127.0.0.1", host)
            .replace("?options", &format!("?{tls}&options"))
    };
    let s = PgStore::create(&with("127.0.0.1", "sslmode=require"), meta()).unwrap();
    drop(s);
    // Encrypted, and checked: the server's certificate, for the name it is issued to.
    let full = format!("sslmode=verify-full&sslrootcert={SERVER_CERT}");
    let s = PgStore::open(&with("localhost", &full)).unwrap();
    assert_eq!(s.meta(), &meta());
    drop(s);
    // Its chain alone (verify-ca) fits any host name; verify-full refuses another name.
    let ca = format!("sslmode=verify-ca&sslrootcert={SERVER_CERT}");
    PgStore::open(&with("127.0.0.1", &ca)).unwrap();
    let e = PgStore::open(&with("127.0.0.1", &full))
        .err()
        .expect("refused");
    assert!(e.to_string().to_lowercase().contains("certificate"), "{e}");
    // Another root: refused.
    let other = "sslmode=verify-ca";
    let e = PgStore::open(&with("localhost", other))
        .err()
        .expect("refused");
    assert!(e.to_string().to_lowercase().contains("certificate"), "{e}");
    // An unknown mode is a clear error, not a silent plain connection.
    let e = PgStore::open(&with("localhost", "sslmode=strict"))
        .err()
        .expect("refused");
    assert!(e.to_string().contains("sslmode"), "{e}");
}
