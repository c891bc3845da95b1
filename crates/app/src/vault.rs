//! Personal data, kept off the ledger and encrypted per household (envelope encryption).
//!
//! Each household's record (name, BSN, address, phone, e-mail, the resident's own IBAN) is
//! encrypted with its own random 256-bit data key (XChaCha20-Poly1305, RustCrypto's
//! `chacha20poly1305`); the data key is stored wrapped by the master key (same AEAD). Both
//! ciphertexts are bound to the household id as associated data, so a file moved to another
//! household does not decrypt. Erasing a household destroys its wrapped key: the record becomes
//! unreadable (crypto-shredding) while the ledger, which never held it, still verifies.
//!
//! Every read is logged (who, role, which fields, why, when) in `access.jsonl`; the log holds no
//! personal data, and the resident sees their own entries.

use knop_huishoudboekje::HouseholdId;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};

/// A household's personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PersonalData {
    /// Full name.
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub name: String,
    /// Burgerservicenummer (9 digits, passes the elfproef).
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9]{9}$"))]
    pub bsn: Option<String>,
    /// Date of birth (ISO 8601, `YYYY-MM-DD`), for the declaration of inability to pay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub birthdate: Option<String>,
    /// Address.
    #[cfg_attr(feature = "openapi", schema(max_length = 300))]
    pub address: Option<String>,
    /// Phone number.
    #[cfg_attr(feature = "openapi", schema(max_length = 40))]
    pub phone: Option<String>,
    /// E-mail address.
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub email: Option<String>,
    /// The resident's own IBAN (where living money goes).
    #[cfg_attr(feature = "openapi", schema(max_length = 34))]
    pub iban: Option<String>,
}

impl PersonalData {
    /// Checks the fields; the error names the field and what was expected (never the value).
    pub fn check(&self) -> Result<(), VaultError> {
        let bad =
            |field: &'static str, why: &str| Err(VaultError::Invalid(format!("{field}: {why}")));
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return bad("name", "1 to 200 characters");
        }
        if let Some(b) = &self.bsn {
            if !bsn_valid(b) {
                return bad("bsn", "9 digits that pass the elfproef");
            }
        }
        if let Some(b) = &self.birthdate {
            if b.parse::<jiff::civil::Date>().is_err() || b.len() != 10 {
                return bad("birthdate", "a date as YYYY-MM-DD");
            }
        }
        for (field, v, max) in [
            ("address", &self.address, 300),
            ("phone", &self.phone, 40),
            ("email", &self.email, 200),
        ] {
            if v.as_ref()
                .is_some_and(|v| v.trim().is_empty() || v.chars().count() > max)
            {
                return bad(field, "not empty, and not too long");
            }
        }
        if self.email.as_ref().is_some_and(|e| !e.contains('@')) {
            return bad("email", "an e-mail address");
        }
        if let Some(i) = &self.iban {
            if i.replace(' ', "").parse::<iban::Iban>().is_err() {
                return bad("iban", "a valid IBAN (ISO 13616)");
            }
        }
        Ok(())
    }

    /// The names of the fields that are filled in (for the access log).
    pub fn fields(&self) -> Vec<&'static str> {
        let mut f = vec!["name"];
        for (n, v) in [
            ("bsn", &self.bsn),
            ("birthdate", &self.birthdate),
            ("address", &self.address),
            ("phone", &self.phone),
            ("email", &self.email),
            ("iban", &self.iban),
        ] {
            if v.is_some() {
                f.push(n);
            }
        }
        f
    }
}

/// The elfproef of a BSN: 9 digits, 9·d1 + 8·d2 + … + 2·d8 − 1·d9 divisible by 11, not all zero.
pub fn bsn_valid(bsn: &str) -> bool {
    let d: Vec<i64> = bsn
        .chars()
        .filter_map(|c| c.to_digit(10).map(i64::from))
        .collect();
    if bsn.len() != 9 || d.len() != 9 || d.iter().all(|x| *x == 0) {
        return false;
    }
    let sum: i64 = (0..8).map(|i| (9 - i as i64) * d[i]).sum::<i64>() - d[8];
    sum % 11 == 0
}

/// One read of personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Access {
    /// When (RFC 3339).
    pub at: String,
    /// Who (login or organisation; pseudonymous).
    pub who: String,
    /// In which role.
    pub role: String,
    /// The household.
    pub household: String,
    /// Which fields.
    pub fields: Vec<String>,
    /// Why.
    pub purpose: String,
}

/// Why the vault cannot do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// A field is wrong.
    #[error("{0}")]
    Invalid(String),
    /// Nothing stored for the household.
    #[error("no personal data for household {0}")]
    NotFound(HouseholdId),
    /// The household's key was destroyed.
    #[error("household {0} was erased: its personal data can no longer be read")]
    Erased(HouseholdId),
    /// A file does not decrypt (wrong master key, or tampered with).
    #[error("{0}: does not decrypt (wrong master key, or the file was changed)")]
    Corrupt(String),
    /// Reading or writing failed.
    #[error("{0}")]
    Io(String),
}

/// The vault in a directory: `keys/<household>.key`, `data/<household>.bin`, `erased/<household>`,
/// `lookup/<pseudonym>` (the household of a BSN, by its keyed pseudonym), `access.jsonl`.
pub struct Vault {
    dir: PathBuf,
    master: XChaCha20Poly1305,
    /// The key of the BSN pseudonyms (HMAC-SHA256), derived from the master key: without it a
    /// pseudonym cannot be linked to a BSN, even by trying all of them.
    lookup_key: [u8; 32],
    /// The access log's group commit: reads waiting to be written, and who writes them.
    log: GroupLog,
    /// The day and the (reader, household) name reads logged that day ([`Vault::names`]).
    names_logged: Mutex<NamesLogged>,
    /// Held while a journal is read, changed and written back.
    journal_lock: Mutex<()>,
    /// Held while a wallet is read, changed and written back.
    wallet_lock: Mutex<()>,
}

type NamesLogged = (String, std::collections::HashSet<(String, HouseholdId)>);

const KEY_AD: &[u8] = b"knop/vault/key/v1\0";
const FILE_AD: &[u8] = b"knop/vault/file/v1\0";
const DATA_AD: &[u8] = b"knop/vault/data/v1\0";
const JOURNAL_AD: &[u8] = b"knop/vault/journal/v1\0";
const WALLET_AD: &[u8] = b"knop/vault/wallet/v1\0";

fn io(path: &Path, e: std::io::Error) -> VaultError {
    VaultError::Io(format!("{}: {e}", path.display()))
}

fn seal(aead: &XChaCha20Poly1305, ad: &[u8], household: HouseholdId, plain: &[u8]) -> Vec<u8> {
    let nonce: [u8; 24] = rand::random();
    let aad = [ad, &household.get().to_be_bytes()].concat();
    let mut out = nonce.to_vec();
    // Encryption with a fresh nonce cannot fail for inputs of this size.
    out.extend(
        aead.encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: plain,
                aad: &aad,
            },
        )
        .unwrap_or_default(),
    );
    out
}

fn open(
    aead: &XChaCha20Poly1305,
    ad: &[u8],
    household: HouseholdId,
    sealed: &[u8],
    what: &Path,
) -> Result<Vec<u8>, VaultError> {
    if sealed.len() < 24 {
        return Err(VaultError::Corrupt(what.display().to_string()));
    }
    let aad = [ad, &household.get().to_be_bytes()].concat();
    aead.decrypt(
        XNonce::from_slice(&sealed[..24]),
        Payload {
            msg: &sealed[24..],
            aad: &aad,
        },
    )
    .map_err(|_| VaultError::Corrupt(what.display().to_string()))
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), VaultError> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(|e| io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| io(path, e))
}

impl Vault {
    /// Opens (or creates) the vault in `dir` with the 32-byte master key.
    pub fn open(dir: &Path, master_key: &[u8; 32]) -> Result<Self, VaultError> {
        for sub in [
            "keys", "data", "erased", "journal", "lookup", "wallet", "shares",
        ] {
            let d = dir.join(sub);
            std::fs::create_dir_all(&d).map_err(|e| io(&d, e))?;
        }
        let lookup_key: [u8; 32] = {
            use sha2::Digest;
            let mut h = sha2::Sha256::new();
            h.update(b"knop/vault/bsn-lookup/v1\0");
            h.update(master_key);
            h.finalize().into()
        };
        let vault = Self {
            dir: dir.to_owned(),
            master: XChaCha20Poly1305::new(master_key.into()),
            lookup_key,
            log: GroupLog::default(),
            names_logged: Mutex::default(),
            journal_lock: Mutex::new(()),
            wallet_lock: Mutex::new(()),
        };
        // A vault from before the BSN index gets it built once, from its data; until every
        // household's data could be read (under this master key) it is tried again on opening.
        let built = dir.join("lookup").join("built");
        if !built.exists() && vault.reindex()? {
            write_atomic(&built, b"built\n")?;
        }
        Ok(vault)
    }

    /// The keyed pseudonym of a BSN (HMAC-SHA256 under the vault's lookup key), hex: what the
    /// index is keyed by, so the BSN itself is in no file name and in no index.
    fn pseudonym(&self, bsn: &str) -> String {
        use hmac::Mac;
        let digits: String = bsn.chars().filter(char::is_ascii_digit).collect();
        let mut mac = <hmac::Hmac<sha2::Sha256> as hmac::Mac>::new_from_slice(&self.lookup_key)
            .expect("HMAC takes a key of any length");
        mac.update(digits.as_bytes());
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    fn lookup_path(&self, bsn: &str) -> PathBuf {
        self.dir.join("lookup").join(self.pseudonym(bsn))
    }

    /// Builds the BSN index from the data (a vault made before the index existed). Returns
    /// whether every household's data could be read (a wrong master key reads none).
    fn reindex(&self) -> Result<bool, VaultError> {
        let data = self.dir.join("data");
        let entries = std::fs::read_dir(&data).map_err(|e| io(&data, e))?;
        let mut complete = true;
        for e in entries {
            let e = e.map_err(|e| io(&data, e))?;
            let name = e.file_name().to_string_lossy().into_owned();
            let Some(h) = name
                .strip_suffix(".bin")
                .and_then(|n| n.parse::<HouseholdId>().ok())
            else {
                continue;
            };
            match self.unlogged(h) {
                Ok(d) => self.index(h, None, d.bsn.as_deref())?,
                Err(VaultError::NotFound(_) | VaultError::Erased(_)) => {}
                Err(VaultError::Corrupt(_)) => complete = false,
                Err(e) => return Err(e),
            }
        }
        Ok(complete)
    }

    /// Moves household `h` in the BSN index from `old` to `new`.
    fn index(
        &self,
        h: HouseholdId,
        old: Option<&str>,
        new: Option<&str>,
    ) -> Result<(), VaultError> {
        if old == new {
            return Ok(());
        }
        if let Some(old) = old {
            // Only its own entry: the same BSN may since belong to another household.
            let p = self.lookup_path(old);
            let owner = std::fs::read_to_string(&p).ok();
            if owner.as_deref().map(str::trim) == Some(h.to_string().as_str()) {
                match std::fs::remove_file(&p) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(io(&p, e)),
                }
            }
        }
        if let Some(new) = new {
            write_atomic(&self.lookup_path(new), h.to_string().as_bytes())?;
        }
        Ok(())
    }

    /// The household whose personal data holds `bsn`, found by its keyed pseudonym; reads no
    /// personal data and logs nothing (the caller logs a found household's lookup in its
    /// access log; a BSN not found leaves no trace).
    pub fn household_of_bsn(&self, bsn: &str) -> Option<HouseholdId> {
        let h: HouseholdId = std::fs::read_to_string(self.lookup_path(bsn))
            .ok()?
            .trim()
            .parse()
            .ok()?;
        (!self.erased_path(h).exists()).then_some(h)
    }

    fn key_path(&self, h: HouseholdId) -> PathBuf {
        self.dir.join("keys").join(format!("{h}.key"))
    }
    fn data_path(&self, h: HouseholdId) -> PathBuf {
        self.dir.join("data").join(format!("{h}.bin"))
    }
    fn erased_path(&self, h: HouseholdId) -> PathBuf {
        self.dir.join("erased").join(h.to_string())
    }
    fn journal_path(&self, h: HouseholdId) -> PathBuf {
        self.dir.join("journal").join(format!("{h}.bin"))
    }
    fn wallet_path(&self, h: HouseholdId) -> PathBuf {
        self.dir.join("wallet").join(format!("{h}.bin"))
    }

    /// The household's wallet (its declarations, the resident's holder key, what was shared
    /// with whom; see `crate::declarations::Wallet`), decrypted, without logging: it is the
    /// resident's own, read for them. None yet: the default.
    pub fn wallet<T: serde::de::DeserializeOwned + Default>(
        &self,
        h: HouseholdId,
    ) -> Result<T, VaultError> {
        let path = self.wallet_path(h);
        let sealed = match std::fs::read(&path) {
            Ok(s) => s,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if self.erased_path(h).exists() {
                    return Err(VaultError::Erased(h));
                }
                return Ok(T::default());
            }
            Err(e) => return Err(io(&path, e)),
        };
        let key = self.data_key(h, false)?;
        let plain = open(&key, WALLET_AD, h, &sealed, &path)?;
        serde_json::from_slice(&plain).map_err(|_| VaultError::Corrupt(path.display().to_string()))
    }

    /// Changes the household's wallet with `change`, written back encrypted in one atomic write;
    /// the change's refusal writes nothing.
    pub fn change_wallet<T, R, E>(
        &self,
        h: HouseholdId,
        change: impl FnOnce(&mut T) -> Result<R, E>,
    ) -> Result<Result<R, E>, VaultError>
    where
        T: serde::Serialize + serde::de::DeserializeOwned + Default,
    {
        let _guard = self.wallet_lock.lock().unwrap_or_else(|e| e.into_inner());
        let mut wallet: T = self.wallet(h)?;
        let out = match change(&mut wallet) {
            Ok(out) => out,
            Err(e) => return Ok(Err(e)),
        };
        let key = self.data_key(h, true)?;
        let plain = serde_json::to_vec(&wallet).map_err(|e| VaultError::Io(e.to_string()))?;
        write_atomic(&self.wallet_path(h), &seal(&key, WALLET_AD, h, &plain))?;
        Ok(Ok(out))
    }

    fn share_path(&self, token_digest: &[u8; 32]) -> PathBuf {
        let hex: String = token_digest.iter().map(|b| format!("{b:02x}")).collect();
        self.dir.join("shares").join(hex)
    }

    /// Remembers that the share whose token has SHA-256 `token_digest` belongs to `h` (the
    /// digest only: the token itself is in no file).
    pub fn index_share(&self, token_digest: &[u8; 32], h: HouseholdId) -> Result<(), VaultError> {
        write_atomic(&self.share_path(token_digest), h.to_string().as_bytes())
    }

    /// The household a share's token belongs to, by the token's SHA-256; none once erased.
    pub fn household_of_share(&self, token_digest: &[u8; 32]) -> Option<HouseholdId> {
        let h: HouseholdId = std::fs::read_to_string(self.share_path(token_digest))
            .ok()?
            .trim()
            .parse()
            .ok()?;
        (!self.erased_path(h).exists()).then_some(h)
    }

    /// The household's journal, decrypted, without logging (the callers log); none yet: empty.
    fn journal_unlogged(&self, h: HouseholdId) -> Result<Vec<crate::journal::Entry>, VaultError> {
        let path = self.journal_path(h);
        let sealed = match std::fs::read(&path) {
            Ok(s) => s,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                // Nothing written yet; an erased household's journal is gone with its key.
                if self.erased_path(h).exists() {
                    return Err(VaultError::Erased(h));
                }
                return Ok(vec![]);
            }
            Err(e) => return Err(io(&path, e)),
        };
        let key = self.data_key(h, false)?;
        let plain = open(&key, JOURNAL_AD, h, &sealed, &path)?;
        serde_json::from_slice(&plain).map_err(|_| VaultError::Corrupt(path.display().to_string()))
    }

    /// The household's journal (notes, contacts, tasks; [`crate::journal::in_order`]), logging
    /// the read of the field `journal` once per reader, household and day, like the names of
    /// a list.
    pub fn journal(
        &self,
        h: HouseholdId,
        who: &str,
        role: &str,
        purpose: &str,
        at: &str,
    ) -> Result<Vec<crate::journal::Entry>, VaultError> {
        let entries = self.journal_unlogged(h)?;
        if !entries.is_empty() {
            self.log_once_a_day(h, "journal", who, role, purpose, at)?;
        }
        Ok(crate::journal::in_order(entries))
    }

    /// Changes the household's journal with `change`, written back encrypted in one atomic
    /// write; the change's refusal writes nothing.
    pub fn change_journal<T>(
        &self,
        h: HouseholdId,
        change: impl FnOnce(&mut Vec<crate::journal::Entry>) -> Result<T, crate::journal::JournalError>,
    ) -> Result<T, VaultError> {
        let _guard = self.journal_lock.lock().unwrap_or_else(|e| e.into_inner());
        let mut entries = self.journal_unlogged(h)?;
        let out = change(&mut entries).map_err(|e| VaultError::Invalid(e.to_string()))?;
        let key = self.data_key(h, true)?;
        let plain = serde_json::to_vec(&entries).map_err(|e| VaultError::Io(e.to_string()))?;
        write_atomic(&self.journal_path(h), &seal(&key, JOURNAL_AD, h, &plain))?;
        Ok(out)
    }

    /// Logs a read of `field` of `h` by `who`, once a day (the day of `at`).
    fn log_once_a_day(
        &self,
        h: HouseholdId,
        field: &str,
        who: &str,
        role: &str,
        purpose: &str,
        at: &str,
    ) -> Result<(), VaultError> {
        let day = at.get(..10).unwrap_or(at);
        let mut logged = self.names_logged.lock().unwrap_or_else(|e| e.into_inner());
        if logged.0 != day {
            *logged = (day.to_owned(), Default::default());
        }
        let key = (format!("{who}\0{field}"), h);
        if logged.1.contains(&key) {
            return Ok(());
        }
        self.log(&Access {
            at: at.to_owned(),
            who: who.to_owned(),
            role: role.to_owned(),
            household: h.to_string(),
            fields: vec![field.to_owned()],
            purpose: purpose.to_owned(),
        })?;
        logged.1.insert(key);
        Ok(())
    }

    fn data_key(&self, h: HouseholdId, create: bool) -> Result<XChaCha20Poly1305, VaultError> {
        if self.erased_path(h).exists() {
            return Err(VaultError::Erased(h));
        }
        let path = self.key_path(h);
        let raw = match std::fs::read(&path) {
            Ok(sealed) => open(&self.master, KEY_AD, h, &sealed, &path)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
                let k: [u8; 32] = rand::random();
                write_atomic(&path, &seal(&self.master, KEY_AD, h, &k))?;
                k.to_vec()
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(VaultError::NotFound(h))
            }
            Err(e) => return Err(io(&path, e)),
        };
        let key: [u8; 32] = raw
            .try_into()
            .map_err(|_| VaultError::Corrupt(path.display().to_string()))?;
        Ok(XChaCha20Poly1305::new((&key).into()))
    }

    /// Stores (replaces) a household's personal data.
    pub fn put(&self, h: HouseholdId, data: &PersonalData) -> Result<(), VaultError> {
        data.check()?;
        let old = match self.unlogged(h) {
            Ok(d) => d.bsn,
            Err(VaultError::NotFound(_)) => None,
            Err(e) => return Err(e),
        };
        let key = self.data_key(h, true)?;
        let plain = serde_json::to_vec(data).map_err(|e| VaultError::Io(e.to_string()))?;
        write_atomic(&self.data_path(h), &seal(&key, DATA_AD, h, &plain))?;
        self.index(h, old.as_deref(), data.bsn.as_deref())
    }

    /// Reads a household's personal data, logging who read what and why.
    pub fn read(
        &self,
        h: HouseholdId,
        who: &str,
        role: &str,
        purpose: &str,
        at: &str,
    ) -> Result<PersonalData, VaultError> {
        let data = self.unlogged(h)?;
        self.log(&Access {
            at: at.to_owned(),
            who: who.to_owned(),
            role: role.to_owned(),
            household: h.to_string(),
            fields: data.fields().into_iter().map(str::to_owned).collect(),
            purpose: purpose.to_owned(),
        })?;
        Ok(data)
    }

    /// The names of `households`, for a list (the caseload), with one logged read of the field
    /// `name` per household, reader and day (the day of `at`, RFC 3339): opening a list many
    /// times a day shows once on the resident's "who looked at my data", not a hundred times.
    /// (The reads already logged are remembered in memory: after a restart a household's first
    /// list of the day logs once more.) A household without personal data, or erased, has no
    /// name in the answer.
    pub fn names(
        &self,
        households: &[HouseholdId],
        who: &str,
        role: &str,
        purpose: &str,
        at: &str,
    ) -> Result<std::collections::HashMap<HouseholdId, String>, VaultError> {
        let day = at.get(..10).unwrap_or(at);
        let mut names = std::collections::HashMap::with_capacity(households.len());
        let mut reads = vec![];
        for &h in households {
            match self.unlogged(h) {
                Ok(d) => {
                    names.insert(h, d.name);
                    reads.push(h);
                }
                Err(VaultError::NotFound(_) | VaultError::Erased(_)) => {}
                Err(e) => return Err(e),
            }
        }
        let mut logged = self.names_logged.lock().unwrap_or_else(|e| e.into_inner());
        if logged.0 != day {
            *logged = (day.to_owned(), Default::default());
        }
        let fresh: Vec<Access> = reads
            .into_iter()
            .filter(|h| !logged.1.contains(&(who.to_owned(), *h)))
            .map(|h| Access {
                at: at.to_owned(),
                who: who.to_owned(),
                role: role.to_owned(),
                household: h.to_string(),
                fields: vec!["name".to_owned()],
                purpose: purpose.to_owned(),
            })
            .collect();
        self.log_all(&fresh)?;
        for a in &fresh {
            if let Ok(h) = a.household.parse() {
                logged.1.insert((who.to_owned(), h));
            }
        }
        Ok(names)
    }

    /// Whether the household's personal data holds its own IBAN (where living money goes). Only
    /// the yes or no leaves the vault, and no person sees the data: not a read for the access
    /// log (the payment file that fills the IBAN in reads it, logged).
    pub fn has_own_iban(&self, h: HouseholdId) -> bool {
        self.unlogged(h).is_ok_and(|d| d.iban.is_some())
    }

    /// A household's personal data, decrypted, without logging the read (the callers log).
    fn unlogged(&self, h: HouseholdId) -> Result<PersonalData, VaultError> {
        let key = self.data_key(h, false)?;
        let path = self.data_path(h);
        let sealed = match std::fs::read(&path) {
            Ok(s) => s,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(VaultError::NotFound(h))
            }
            Err(e) => return Err(io(&path, e)),
        };
        let plain = open(&key, DATA_AD, h, &sealed, &path)?;
        serde_json::from_slice(&plain).map_err(|_| VaultError::Corrupt(path.display().to_string()))
    }

    /// Writes `a` to the access log (a question about the household that read nothing of its
    /// data, such as a creditor's debt-assistance lookup), synced before it returns.
    pub fn log_access(&self, a: &Access) -> Result<(), VaultError> {
        self.log(a)
    }

    fn log(&self, a: &Access) -> Result<(), VaultError> {
        self.log_all(std::slice::from_ref(a))
    }

    /// Appends reads to the access log, synced before it returns. Callers at the same moment
    /// share one write and one sync (group commit): the first to find no write under way writes
    /// everything waiting, the others wait for that write to cover theirs.
    fn log_all(&self, reads: &[Access]) -> Result<(), VaultError> {
        if reads.is_empty() {
            return Ok(());
        }
        let mut lines = vec![];
        for a in reads {
            serde_json::to_writer(&mut lines, a).map_err(|e| VaultError::Io(e.to_string()))?;
            lines.push(b'\n');
        }
        let path = self.dir.join("access.jsonl");
        let g = &self.log;
        let mut q = g.queue.lock().unwrap_or_else(|e| e.into_inner());
        q.pending.extend_from_slice(&lines);
        q.queued += 1;
        let mine = q.queued;
        loop {
            if q.written >= mine {
                return match q.failed.remove(&mine) {
                    Some(why) => Err(VaultError::Io(why)),
                    None => Ok(()),
                };
            }
            if q.writing {
                q = g.done.wait(q).unwrap_or_else(|e| e.into_inner());
                continue;
            }
            // This caller writes everything waiting, without the lock.
            q.writing = true;
            let batch = std::mem::take(&mut q.pending);
            let (from, to) = (q.written + 1, q.queued);
            drop(q);
            let result = append_synced(&path, &batch);
            q = g.queue.lock().unwrap_or_else(|e| e.into_inner());
            if let Err(e) = result {
                // Each caller of the batch reads its own failure (and removes it).
                for caller in from..=to {
                    q.failed.insert(caller, e.to_string());
                }
            }
            q.written = to;
            q.writing = false;
            g.done.notify_all();
        }
    }

    /// The reads of a household's personal data, newest first.
    pub fn accesses(&self, h: HouseholdId) -> Result<Vec<Access>, VaultError> {
        let path = self.dir.join("access.jsonl");
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
            Err(e) => return Err(io(&path, e)),
        };
        let id = h.to_string();
        let mut out = vec![];
        for (i, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let a: Access = serde_json::from_str(line)
                .map_err(|e| VaultError::Io(format!("{} line {}: {e}", path.display(), i + 1)))?;
            if a.household == id {
                out.push(a);
            }
        }
        out.reverse();
        Ok(out)
    }

    /// Encrypts a document of the foundation (a bank statement: it names counterparties and their
    /// IBANs) under the master key, bound to its name.
    pub fn seal_file(&self, name: &str, plain: &[u8]) -> Vec<u8> {
        seal(
            &self.master,
            &[FILE_AD, name.as_bytes()].concat(),
            HouseholdId(0),
            plain,
        )
    }

    /// Decrypts a document sealed by [`Vault::seal_file`] under the same name.
    pub fn open_file(&self, name: &str, sealed: &[u8]) -> Result<Vec<u8>, VaultError> {
        open(
            &self.master,
            &[FILE_AD, name.as_bytes()].concat(),
            HouseholdId(0),
            sealed,
            Path::new(name),
        )
    }

    /// Whether the vault holds anything of household `h` (a key, data, or the mark that it was
    /// erased). Reads nothing.
    pub fn holds(&self, h: HouseholdId) -> bool {
        [self.key_path(h), self.data_path(h), self.erased_path(h)]
            .iter()
            .any(|p| p.exists())
    }

    /// Destroys the household's data key (and the ciphertext): its personal data can never be
    /// read again. Idempotent. Returns whether there was anything to destroy.
    pub fn erase(&self, h: HouseholdId) -> Result<bool, VaultError> {
        // Out of the BSN index first, while the data can still say which entry is its.
        if let Ok(d) = self.unlogged(h) {
            self.index(h, d.bsn.as_deref(), None)?;
        }
        // No journal or wallet change runs meanwhile, and the marker comes first: from then on
        // no write can make a new key for this household (a crash before the files are gone
        // leaves them unreadable behind the marker, and erasing again removes them).
        let _journal = self.journal_lock.lock().unwrap_or_else(|e| e.into_inner());
        let _wallet = self.wallet_lock.lock().unwrap_or_else(|e| e.into_inner());
        let marker = self.erased_path(h);
        if !marker.exists() {
            write_atomic(&marker, b"erased\n")?;
        }
        let mut had = false;
        for path in [
            self.key_path(h),
            self.data_path(h),
            self.journal_path(h),
            self.wallet_path(h),
        ] {
            match std::fs::remove_file(&path) {
                Ok(()) => had = true,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io(&path, e)),
            }
        }
        Ok(had)
    }
}

/// The access log's queue for group commit ([`Vault::log_all`]).
#[derive(Default)]
struct GroupLog {
    queue: Mutex<LogQueue>,
    done: std::sync::Condvar,
}

#[derive(Default)]
struct LogQueue {
    /// Lines waiting to be written.
    pending: Vec<u8>,
    /// Callers queued so far (each gets the next number).
    queued: u64,
    /// Callers whose lines are written (or failed), in order.
    written: u64,
    /// Whether a write is under way.
    writing: bool,
    /// Callers whose write failed and who have not read it yet, and why.
    failed: std::collections::HashMap<u64, String>,
}

/// Appends `bytes` to `path` and syncs it; a failed write is cut off again, so that no half
/// line is left for the next write to continue.
fn append_synced(path: &Path, bytes: &[u8]) -> Result<(), VaultError> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| io(path, e))?;
    let before = f.metadata().map_err(|e| io(path, e))?.len();
    let written = f.write_all(bytes).and_then(|()| f.sync_data());
    if let Err(e) = written {
        let _ = f.set_len(before);
        return Err(io(path, e));
    }
    Ok(())
}

/// Reads a master key: 32 bytes as standard base64 (as `knop` writes it), from a file.
pub fn read_master_key(path: &Path) -> Result<[u8; 32], VaultError> {
    let text = std::fs::read_to_string(path).map_err(|e| io(path, e))?;
    parse_master_key(&text).map_err(|why| VaultError::Invalid(format!("{}: {why}", path.display())))
}

/// Parses a master key: 32 bytes as standard base64.
pub fn parse_master_key(text: &str) -> Result<[u8; 32], String> {
    use base64::prelude::{Engine as _, BASE64_STANDARD};
    let raw = BASE64_STANDARD
        .decode(text.trim())
        .map_err(|_| "the master key must be base64".to_owned())?;
    raw.try_into()
        .map_err(|r: Vec<u8>| format!("the master key must be 32 bytes, found {}", r.len()))
}

/// A new random master key, as base64.
pub fn new_master_key() -> String {
    use base64::prelude::{Engine as _, BASE64_STANDARD};
    BASE64_STANDARD.encode(rand::random::<[u8; 32]>())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person() -> PersonalData {
        PersonalData {
            name: "Test Persoon".into(),
            bsn: Some("111222333".into()),
            birthdate: Some("1980-05-17".into()),
            address: None,
            phone: None,
            email: None,
            iban: Some("NL20INGB0001234567".into()),
        }
    }

    #[test]
    fn reads_logged_at_the_same_time_are_all_written_once() {
        let dir = tempfile::tempdir().unwrap();
        let v = std::sync::Arc::new(Vault::open(dir.path(), &[1; 32]).unwrap());
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let v = v.clone();
                std::thread::spawn(move || {
                    for i in 0..50 {
                        v.log_access(&Access {
                            at: "2026-12-07T10:00:00Z".into(),
                            who: format!("t{t}"),
                            role: "creditor".into(),
                            household: i.to_string(),
                            fields: vec!["bsn".into()],
                            purpose: "test".into(),
                        })
                        .unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let log = std::fs::read_to_string(dir.path().join("access.jsonl")).unwrap();
        let mut lines: Vec<&str> = log.lines().collect();
        assert_eq!(lines.len(), 400);
        lines.sort_unstable();
        lines.dedup();
        assert_eq!(lines.len(), 400, "each once");
        assert!(
            lines
                .iter()
                .all(|l| serde_json::from_str::<Access>(l).is_ok()),
            "whole lines"
        );
    }

    #[test]
    fn a_bsn_finds_its_household_by_pseudonym_until_it_changes_or_is_erased() {
        let dir = tempfile::tempdir().unwrap();
        let v = Vault::open(dir.path(), &[1; 32]).unwrap();
        let h = HouseholdId(4);
        v.put(h, &person()).unwrap();
        assert_eq!(v.household_of_bsn("111222333"), Some(h));
        assert_eq!(v.household_of_bsn("123456782"), None);
        // Under another master key the pseudonym differs: nothing is found.
        let other = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(other.path().join("lookup")).unwrap();
        for e in std::fs::read_dir(dir.path().join("lookup")).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), other.path().join("lookup").join(e.file_name())).unwrap();
        }
        let stranger = Vault::open(other.path(), &[2; 32]).unwrap();
        assert_eq!(stranger.household_of_bsn("111222333"), None);
        // A changed BSN moves the entry; a vault without the index builds it on opening.
        v.put(
            h,
            &PersonalData {
                bsn: Some("123456782".into()),
                birthdate: None,
                ..person()
            },
        )
        .unwrap();
        assert_eq!(v.household_of_bsn("111222333"), None);
        assert_eq!(v.household_of_bsn("123456782"), Some(h));
        std::fs::remove_dir_all(dir.path().join("lookup")).unwrap();
        // Opened under a wrong master key, the vault still opens (erasure needs no key) and
        // builds the index later, under the right one.
        Vault::open(dir.path(), &[9; 32]).unwrap();
        assert!(!dir.path().join("lookup/built").exists());
        let v = Vault::open(dir.path(), &[1; 32]).unwrap();
        assert_eq!(v.household_of_bsn("123456782"), Some(h));
        // The person comes back as another household: erasing the old one leaves the new one.
        let again = HouseholdId(9);
        v.put(
            again,
            &PersonalData {
                bsn: Some("123456782".into()),
                birthdate: None,
                ..person()
            },
        )
        .unwrap();
        assert_eq!(v.household_of_bsn("123456782"), Some(again));
        v.erase(h).unwrap();
        assert_eq!(v.household_of_bsn("123456782"), Some(again));
        v.erase(again).unwrap();
        assert_eq!(v.household_of_bsn("123456782"), None);
        let left: Vec<_> = std::fs::read_dir(dir.path().join("lookup"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, ["built"], "no pseudonym left");
    }

    #[test]
    fn a_list_of_names_logs_one_read_of_the_name_per_reader_household_and_day() {
        let dir = tempfile::tempdir().unwrap();
        let v = Vault::open(dir.path(), &[1; 32]).unwrap();
        v.put(HouseholdId(1), &person()).unwrap();
        v.put(HouseholdId(2), &person()).unwrap();
        v.erase(HouseholdId(2)).unwrap();
        let hs = [HouseholdId(1), HouseholdId(2), HouseholdId(3)];
        let at = "2026-12-04T10:00:00Z";
        let names = v.names(&hs, "c1", "counsellor", "caseload", at).unwrap();
        assert_eq!(names.len(), 1, "erased and unknown households have no name");
        assert_eq!(names[&HouseholdId(1)], "Test Persoon");
        v.names(&hs, "c1", "counsellor", "caseload", "2026-12-04T11:00:00Z")
            .unwrap();
        let log = v.accesses(HouseholdId(1)).unwrap();
        assert_eq!(
            log.len(),
            1,
            "the second list the same day is not logged again"
        );
        assert_eq!(log[0].fields, ["name"]);
        assert_eq!(
            (log[0].who.as_str(), log[0].purpose.as_str()),
            ("c1", "caseload")
        );
        v.names(&hs, "c2", "counsellor", "caseload", at).unwrap();
        v.names(&hs, "c1", "counsellor", "caseload", "2026-12-05T09:00:00Z")
            .unwrap();
        assert_eq!(
            v.accesses(HouseholdId(1)).unwrap().len(),
            3,
            "another reader, or another day, is logged"
        );
    }

    #[test]
    fn the_journal_is_encrypted_logged_once_a_day_and_erased_with_the_household() {
        use crate::journal::{add, complete, Kind, NewEntry};
        let dir = tempfile::tempdir().unwrap();
        let v = Vault::open(dir.path(), &[1; 32]).unwrap();
        let h = HouseholdId(5);
        assert!(v
            .journal(h, "c1", "counsellor", "t", "2026-12-04T10:00:00Z")
            .unwrap()
            .is_empty());
        let note = NewEntry {
            kind: Kind::Note,
            text: "Schuld bij Vitens besproken".into(),
            due: None,
        };
        let task = NewEntry {
            kind: Kind::Task,
            text: "Bel Vitens".into(),
            due: Some("2026-12-10".into()),
        };
        v.change_journal(h, |j| add(j, note, "c1", "2026-12-04T10:00:00Z"))
            .unwrap();
        let t = v
            .change_journal(h, |j| add(j, task, "c1", "2026-12-04T10:01:00Z"))
            .unwrap();
        // A refused change writes nothing.
        let bad = NewEntry {
            kind: Kind::Note,
            text: String::new(),
            due: None,
        };
        assert!(matches!(
            v.change_journal(h, |j| add(j, bad, "c1", "x")),
            Err(VaultError::Invalid(_))
        ));
        v.change_journal(h, |j| complete(j, t.id, "c1", "2026-12-04T11:00:00Z"))
            .unwrap();
        // On disk: ciphertext only.
        let raw = std::fs::read(dir.path().join("journal/5.bin")).unwrap();
        assert!(!raw.windows(6).any(|w| w == b"Vitens"));
        for at in ["2026-12-04T12:00:00Z", "2026-12-04T13:00:00Z"] {
            let j = v.journal(h, "c1", "counsellor", "dossier", at).unwrap();
            assert_eq!(j.len(), 2);
        }
        let log = v.accesses(h).unwrap();
        assert_eq!(
            log.len(),
            1,
            "read twice the same day, logged once: {log:?}"
        );
        assert_eq!(log[0].fields, ["journal"]);
        // The wrong master key reads nothing; an erasure takes the journal with it.
        let w = Vault::open(dir.path(), &[2; 32]).unwrap();
        assert!(w.journal(h, "c1", "counsellor", "t", "x").is_err());
        v.erase(h).unwrap();
        assert!(!dir.path().join("journal/5.bin").exists());
        assert!(matches!(
            v.journal(h, "c1", "counsellor", "t", "x"),
            Err(VaultError::Erased(_))
        ));
    }

    #[test]
    fn the_elfproef() {
        assert!(bsn_valid("111222333"));
        assert!(bsn_valid("123456782"));
        assert!(!bsn_valid("123456789"));
        assert!(!bsn_valid("000000000"));
        assert!(!bsn_valid("12345678"));
        assert!(!bsn_valid("12345678a"));
        assert!(!bsn_valid("1234567820"));
    }

    #[test]
    fn another_key_or_another_household_does_not_decrypt() {
        let dir = tempfile::tempdir().unwrap();
        let v = Vault::open(dir.path(), &[1; 32]).unwrap();
        v.put(HouseholdId(5), &person()).unwrap();
        assert_eq!(
            v.read(HouseholdId(5), "a", "counsellor", "test", "t")
                .unwrap(),
            person()
        );
        // The wrong master key.
        let w = Vault::open(dir.path(), &[2; 32]).unwrap();
        assert!(matches!(
            w.read(HouseholdId(5), "a", "counsellor", "test", "t"),
            Err(VaultError::Corrupt(_))
        ));
        // Household 5's files copied to household 6 do not open there.
        std::fs::copy(dir.path().join("keys/5.key"), dir.path().join("keys/6.key")).unwrap();
        std::fs::copy(dir.path().join("data/5.bin"), dir.path().join("data/6.bin")).unwrap();
        assert!(matches!(
            v.read(HouseholdId(6), "a", "counsellor", "test", "t"),
            Err(VaultError::Corrupt(_))
        ));
        // A flipped bit is caught.
        let mut bytes = std::fs::read(dir.path().join("data/5.bin")).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::write(dir.path().join("data/5.bin"), bytes).unwrap();
        assert!(matches!(
            v.read(HouseholdId(5), "a", "counsellor", "test", "t"),
            Err(VaultError::Corrupt(_))
        ));
        // Only the successful read was logged.
        assert_eq!(v.accesses(HouseholdId(5)).unwrap().len(), 1);
        assert!(v.erase(HouseholdId(5)).unwrap());
        assert!(
            !v.erase(HouseholdId(5)).unwrap(),
            "erasing again is harmless"
        );
        assert!(matches!(
            v.put(HouseholdId(5), &person()),
            Err(VaultError::Erased(HouseholdId(5)))
        ));
    }

    #[test]
    fn bad_fields_are_named() {
        let mut p = person();
        p.iban = Some("NL00XXXX0000000000".into());
        assert!(p.check().unwrap_err().to_string().starts_with("iban"));
        let mut p = person();
        p.email = Some("geen-adres".into());
        assert!(p.check().unwrap_err().to_string().starts_with("email"));
        let mut p = person();
        p.name = " ".into();
        assert!(p.check().unwrap_err().to_string().starts_with("name"));
        assert!(parse_master_key("dGVzdA==")
            .unwrap_err()
            .contains("32 bytes"));
        assert_eq!(parse_master_key(&new_master_key()).unwrap().len(), 32);
    }
}
