//! `knop serve` (the API and the cockpit over a ledger) and `knop demo` (the same on a fresh
//! embedded ledger filled by the five-residents simulation).

use knop_huishoudboekje::HouseholdId;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use clap::Args;
use knop_serve::auth::{digest, new_secret};
use knop_serve::{ApiKey, App, Config, Role, User};
use serde::Deserialize;

use crate::i18n::t;
use crate::location::{read_key, Location};

/// Arguments of `knop serve`.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The private key file of the organisation that signs what people record (the foundation).
    #[arg(long = "as", value_name = "KEY_FILE")]
    pub key: PathBuf,
    /// The foundation's IBAN (statements uploaded must be of this account).
    #[arg(long)]
    pub iban: String,
    /// The foundation's name in payment files.
    #[arg(long, default_value = "Stichting Huishoudboekje")]
    pub name: String,
    /// Most the foundation advances to one household in all when income is late, in euros.
    #[arg(long, default_value = "1500")]
    pub advance_limit: String,
    /// A JSON file with the organisations' API keys (digests) and, for --dev-login, the users.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Turn on the development login (choose a user, no password). Never in production.
    #[arg(long)]
    pub dev_login: bool,
    /// Served over TLS (behind a proxy): secure cookies and HSTS.
    #[arg(long)]
    pub tls: bool,
    /// Where uploaded statements are kept (default: DIR/statements for the embedded store).
    #[arg(long, value_name = "DIR")]
    pub statements: Option<PathBuf>,
    /// The service's journal of sessions and idempotency answers, sealed (default:
    /// DIR/service.journal for the embedded store; with PostgreSQL give a path, or a restart
    /// logs everyone out and forgets idempotency keys).
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,
    /// The private key file of another organisation the service signs for (a municipality
    /// that issues declarations, a creditor whose staff work here); repeatable.
    #[arg(long = "host", value_name = "KEY_FILE")]
    pub hosted: Vec<PathBuf>,
    /// The service's public URL (the issuer of declarations; default: http://LISTEN).
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,
    /// Months a declaration of inability to pay holds (1 to 12).
    #[arg(long, default_value_t = knop_app::declarations::DEFAULT_MONTHS,
          value_parser = clap::value_parser!(u32).range(1..=12))]
    pub declaration_months: u32,
    #[command(flatten)]
    pub oidc: OidcArgs,
    #[command(flatten)]
    pub vault: VaultArgs,
    #[command(flatten)]
    pub look: LookArgs,
}

/// How the service looks and what it allows: the NL Design System packages, the municipality's
/// theme, the creditors' lookup limit.
#[derive(Args, Debug, Clone)]
pub struct LookArgs {
    /// The NL Design System packages (`npm ci` in web/; default: web/node_modules if there).
    #[arg(long, value_name = "DIR")]
    pub assets: Option<PathBuf>,
    /// The municipality's design tokens (with the NL Design System packages).
    #[arg(long, value_enum, default_value = "utrecht")]
    pub theme: ThemeArg,
    /// Most debt-assistance lookups one creditor may make in a minute.
    #[arg(long, default_value_t = knop_serve::DEFAULT_LOOKUPS_PER_MINUTE)]
    pub lookups_per_minute: u32,
}

/// The themes a municipality can choose.
#[derive(clap::ValueEnum, Debug, Clone, Copy)]
pub enum ThemeArg {
    /// Gemeente Utrecht.
    Utrecht,
    /// Gemeente Den Haag.
    Denhaag,
}

impl ThemeArg {
    /// The service's theme.
    pub fn theme(self) -> knop_serve::Theme {
        match self {
            ThemeArg::Utrecht => knop_serve::Theme::Utrecht,
            ThemeArg::Denhaag => knop_serve::Theme::DenHaag,
        }
    }
}

/// The NL Design System packages: the given directory, or `web/node_modules` when present.
pub fn assets_dir(given: Option<PathBuf>) -> Option<PathBuf> {
    given.or_else(|| {
        let d = PathBuf::from("web/node_modules");
        d.join("@utrecht").is_dir().then_some(d)
    })
}

/// Where personal data is kept, and its master key.
#[derive(Args, Debug, Clone)]
pub struct VaultArgs {
    /// The personal-data vault (default: DIR/vault for the embedded store).
    #[arg(long, value_name = "DIR")]
    pub vault: Option<PathBuf>,
    /// The vault's master key: a file with 32 bytes in base64 (or KNOP_MASTER_KEY). Without
    /// it, the service keeps no personal data.
    #[arg(long, value_name = "FILE")]
    pub master_key: Option<PathBuf>,
}

impl VaultArgs {
    fn dir(&self, loc: &Location) -> Option<PathBuf> {
        self.vault.clone().or_else(|| {
            loc.database.is_none().then(|| {
                loc.data
                    .clone()
                    .unwrap_or_else(|| "knop-data".into())
                    .join("vault")
            })
        })
    }

    /// The vault's directory and key, if personal data is to be kept.
    fn config(&self, loc: &Location) -> Result<Option<(PathBuf, [u8; 32])>> {
        let key = match (&self.master_key, std::env::var("KNOP_MASTER_KEY").ok()) {
            (Some(path), _) => knop_app::vault::read_master_key(path)?,
            (None, Some(text)) => knop_app::vault::parse_master_key(&text)
                .map_err(|e| anyhow::anyhow!("KNOP_MASTER_KEY: {e}"))?,
            (None, None) => return Ok(None),
        };
        let Some(dir) = self.dir(loc) else {
            bail!("--vault DIR: where to keep personal data (needed with --database)");
        };
        Ok(Some((dir, key)))
    }
}

/// Arguments of `knop erase`.
#[derive(Args, Debug)]
pub struct EraseArgs {
    /// The household whose personal data is destroyed for good.
    pub household: HouseholdId,
    /// The personal-data vault (default: DIR/vault for the embedded store).
    #[arg(long, value_name = "DIR")]
    pub vault: Option<PathBuf>,
}

/// `knop erase HOUSEHOLD`: destroys the household's key in the vault. No master key is needed:
/// nothing is decrypted.
pub fn erase(loc: &Location, a: EraseArgs) -> Result<ExitCode> {
    let dir = VaultArgs {
        vault: a.vault,
        master_key: None,
    }
    .dir(loc)
    .context("--vault DIR")?;
    if !dir.join("keys").is_dir() {
        bail!(
            "{}: {}",
            dir.display(),
            t("geen kluis met persoonsgegevens", "no personal-data vault")
        );
    }
    // A household that is neither on the ledger nor in the vault is a typo: say so, erase
    // nothing.
    let on_ledger = loc
        .open_reader()
        .ok()
        .is_some_and(|n| n.state().households().contains_key(&a.household));
    // Any key opens the vault for erasure: erasing reads nothing.
    let vault = knop_app::vault::Vault::open(&dir, &[0; 32])?;
    if !on_ledger && !vault.holds(a.household) {
        bail!(
            "{} {}: {}",
            t("huishouden", "household"),
            a.household,
            t(
                "staat niet in het grootboek en heeft geen persoonsgegevens; niets gewist",
                "is not on the ledger and has no personal data; nothing erased"
            )
        );
    }
    let had = vault.erase(a.household)?;
    println!(
        "{} {}: {}",
        t("huishouden", "household"),
        a.household,
        if had {
            t(
                "sleutel vernietigd; de persoonsgegevens zijn niet meer te lezen. Het grootboek blijft controleerbaar.",
                "key destroyed; the personal data can no longer be read. The ledger still verifies.",
            )
        } else {
            t(
                "er waren geen persoonsgegevens (nu gemarkeerd als gewist)",
                "there was no personal data (now marked erased)",
            )
        }
    );
    Ok(ExitCode::SUCCESS)
}

/// Logging in with OpenID Connect (a DigiD or eHerkenning broker of the municipality).
#[derive(Args, Debug, Clone)]
pub struct OidcArgs {
    /// The identity provider's issuer URL (discovery at /.well-known/openid-configuration).
    #[arg(long, value_name = "URL")]
    pub oidc_issuer: Option<String>,
    /// knop's client id at the provider.
    #[arg(long, default_value = "knop", requires = "oidc_issuer")]
    pub oidc_client_id: String,
    /// knop's client secret at the provider (better: the environment variable).
    #[arg(long, env = "KNOP_OIDC_CLIENT_SECRET", hide_env_values = true)]
    pub oidc_client_secret: Option<String>,
    /// knop's callback as registered at the provider (default: http://LISTEN/inloggen/callback).
    #[arg(long, value_name = "URL", requires = "oidc_issuer")]
    pub oidc_redirect: Option<String>,
    /// What the login button says.
    #[arg(long, default_value = "DigiD", requires = "oidc_issuer")]
    pub oidc_label: String,
}

impl OidcArgs {
    /// The configuration, if an issuer is given.
    pub fn config(&self, listen: SocketAddr) -> Option<knop_serve::oidc::OidcConfig> {
        let issuer = self.oidc_issuer.clone()?;
        Some(knop_serve::oidc::OidcConfig {
            issuer,
            client_id: self.oidc_client_id.clone(),
            client_secret: self.oidc_client_secret.clone(),
            redirect_url: self
                .oidc_redirect
                .clone()
                .unwrap_or_else(|| format!("http://{listen}/inloggen/callback")),
            label: self.oidc_label.clone(),
        })
    }
}

/// The `--config` file.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    api_keys: Vec<ApiKeyEntry>,
    #[serde(default)]
    users: Vec<UserEntry>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct ApiKeyEntry {
    /// The organisation.
    org: String,
    /// payer, creditor or auditor.
    role: String,
    /// Hex SHA-256 of the key (`knop serve` never needs the key itself).
    sha256: String,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct UserEntry {
    login: String,
    display: String,
    role: String,
    /// The household (resident) or counsellor id (counsellor).
    #[serde(default)]
    scope: Option<String>,
    /// How residents reach a counsellor (the team's phone, e-mail), at most 200 characters.
    #[serde(default)]
    contact: Option<String>,
}

fn role_of(name: &str, scope: Option<String>, field: &str) -> Result<Role> {
    Ok(match (name, scope) {
        ("resident", Some(h)) => {
            h.parse::<u128>()
                .with_context(|| format!("{field}.scope: expected a household number"))?;
            Role::Resident { household: h }
        }
        ("counsellor", Some(c)) => Role::Counsellor { counsellor: c },
        ("supervisor", None) => Role::Supervisor,
        ("administrator", None) => Role::Administrator,
        ("payer", None) => Role::Payer,
        ("creditor", Some(org)) => Role::Creditor { org },
        ("municipality", Some(org)) => Role::Municipality { org },
        ("merchant", Some(org)) => Role::Merchant { org },
        ("auditor", None) => Role::Auditor,
        (r, s) => bail!(
            "{field}: role {r:?} with scope {s:?}: expected resident, counsellor, creditor or \
             municipality with a scope (household, counsellor id, organisation), or supervisor, \
             administrator, payer, auditor without"
        ),
    })
}

fn read_config(path: &std::path::Path) -> Result<(Vec<ApiKey>, Vec<User>)> {
    let bytes = crate::files::read(path)?;
    let c: ConfigFile = serde_json::from_slice(&bytes)
        .with_context(|| format!("{}: configuration", path.display()))?;
    let mut keys = vec![];
    for (i, k) in c.api_keys.into_iter().enumerate() {
        let field = format!("{}: api_keys[{i}]", path.display());
        let raw = hex::decode(&k.sha256).ok().filter(|r| r.len() == 32);
        let Some(raw) = raw else {
            bail!("{field}.sha256: expected 64 hex digits");
        };
        let scope = matches!(k.role.as_str(), "creditor" | "merchant").then(|| k.org.clone());
        let role = role_of(&k.role, scope, &field)?;
        if !matches!(
            role,
            Role::Payer | Role::Creditor { .. } | Role::Merchant { .. } | Role::Auditor
        ) {
            bail!("{field}.role: API keys are for organisations (payer, creditor, auditor)");
        }
        keys.push(ApiKey {
            digest: raw.try_into().unwrap_or([0; 32]),
            org: k.org,
            role,
        });
    }
    let mut users = vec![];
    for (i, u) in c.users.into_iter().enumerate() {
        let field = format!("{}: users[{i}]", path.display());
        if u.contact.as_ref().is_some_and(|c| c.chars().count() > 200) {
            bail!("{field}.contact: at most 200 characters");
        }
        users.push(User {
            role: role_of(&u.role, u.scope, &field)?,
            login: u.login,
            display: u.display,
            contact: u.contact.filter(|c| !c.trim().is_empty()),
        });
    }
    Ok((keys, users))
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

fn serve_blocking(
    listen: SocketAddr,
    app: Arc<App>,
    on_ready: impl FnOnce(SocketAddr),
) -> Result<()> {
    let rt = runtime()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("listening on {listen}"))?;
        on_ready(listener.local_addr()?);
        knop_serve::serve(listener, app).await?;
        Ok::<_, anyhow::Error>(())
    })
}

/// `knop serve`.
pub fn serve(loc: &Location, a: ServeArgs) -> Result<ExitCode> {
    let (api_keys, users) = match &a.config {
        Some(p) => read_config(p)?,
        None => (vec![], vec![]),
    };
    if !users.is_empty() && !a.dev_login && a.oidc.oidc_issuer.is_none() {
        eprintln!(
            "{}",
            t(
                "let op: gebruikers in de configuratie loggen alleen in met --oidc-issuer of --dev-login",
                "note: users in the configuration only log in with --oidc-issuer or --dev-login"
            )
        );
    }
    let node = loc.open_writer()?;
    let config = Config {
        submitter: read_key(&a.key)?,
        foundation_iban: a.iban,
        foundation_name: a.name,
        advance_limit_cents: knop_book::Cents::parse_euros(&a.advance_limit)?.0.max(0),
        users,
        api_keys,
        dev_login: a.dev_login,
        today: None,
        oidc: a.oidc.config(a.listen),
        vault: a.vault.config(loc)?,
        assets: assets_dir(a.look.assets),
        theme: a.look.theme.theme(),
        lookups_per_minute: a.look.lookups_per_minute,
        tls: a.tls,
        hosted: a
            .hosted
            .iter()
            .map(|p| read_key(p))
            .collect::<Result<Vec<_>>>()?,
        public_url: a
            .public_url
            .unwrap_or_else(|| format!("http://{}", a.listen)),
        declaration_months: a.declaration_months,
        reopen: Some({
            let loc = loc.clone();
            std::sync::Arc::new(move || loc.open_writer().map_err(|e| format!("{e:#}")))
        }),
        journal: a.journal.or_else(|| {
            loc.database.is_none().then(|| {
                loc.data
                    .clone()
                    .unwrap_or_else(|| "knop-data".into())
                    .join("service.journal")
            })
        }),
        statement_dir: a.statements.or_else(|| {
            loc.database.is_none().then(|| {
                loc.data
                    .clone()
                    .unwrap_or_else(|| "knop-data".into())
                    .join("statements")
            })
        }),
    };
    let app = App::new(node, config).map_err(|e| anyhow::anyhow!(e))?;
    serve_blocking(a.listen, app, |addr| {
        eprintln!("knop {} http://{addr}/", t("luistert op", "listening on"));
    })?;
    Ok(ExitCode::SUCCESS)
}

/// The demo's people: a resident per household, two counsellors, a supervisor, an administrator.
fn demo_users(titles: &[String]) -> Vec<User> {
    let mut users: Vec<User> = titles
        .iter()
        .enumerate()
        .map(|(i, title)| User {
            login: format!("inwoner-{}", i + 1),
            display: format!("{} {} — {title}", t("Inwoner", "Resident"), i + 1),
            role: Role::Resident {
                household: (i + 1).to_string(),
            },
            contact: None,
        })
        .collect();
    users.push(User {
        login: "consulent-a".into(),
        display: format!(
            "{} ({} {})",
            t("Consulent A", "Counsellor A"),
            DEMO_HOUSEHOLDS - 2,
            t("huishoudens", "households")
        ),
        role: Role::Counsellor {
            counsellor: "consulent-a".into(),
        },
        contact: Some("030 123 45 67 · budgetbeheer@example.org".into()),
    });
    users.push(User {
        login: "consulent-b".into(),
        display: t(
            "Consulent B (huishoudens 4–5)",
            "Counsellor B (households 4–5)",
        )
        .into(),
        role: Role::Counsellor {
            counsellor: "consulent-b".into(),
        },
        contact: Some("030 123 45 68 · budgetbeheer@example.org".into()),
    });
    users.push(User {
        login: "controleur".into(),
        display: t("Tweede beoordelaar", "Supervisor").into(),
        role: Role::Supervisor,
        contact: None,
    });
    users.push(User {
        login: "beheerder".into(),
        display: t("Beheerder gemeente", "Municipal administrator").into(),
        role: Role::Administrator,
        contact: None,
    });
    users.push(User {
        login: "gemeente".into(),
        display: t(
            "Gemeente Utrecht (verklaringen, Kindpakket)",
            "Municipality of Utrecht (declarations, child package)",
        )
        .into(),
        role: Role::Municipality {
            org: DEMO_MUNICIPALITY.into(),
        },
        contact: None,
    });
    users.push(User {
        login: "gemeente-controle".into(),
        display: t(
            "Gemeente Utrecht (tweede beoordelaar)",
            "Municipality of Utrecht (second approver)",
        )
        .into(),
        role: Role::Municipality {
            org: DEMO_MUNICIPALITY.into(),
        },
        contact: None,
    });
    for (login, nl, en) in [
        (
            "fietsenwinkel",
            "Fietsenwinkel (Kindpakket)",
            "Bike shop (child package)",
        ),
        (
            "slijterij",
            "Slijterij (doet niet mee)",
            "Off-licence (not taking part)",
        ),
    ] {
        users.push(User {
            login: login.into(),
            display: t(nl, en).into(),
            role: Role::Merchant { org: login.into() },
            contact: None,
        });
    }
    users.push(User {
        login: "cjib".into(),
        display: t("CJIB (schuldeiser)", "CJIB (creditor)").into(),
        role: Role::Creditor { org: "cjib".into() },
        contact: None,
    });
    users
}

/// The demo's municipality, which issues declarations of inability to pay.
const DEMO_MUNICIPALITY: &str = "gemeente-utrecht";

/// How many households the demo has: a counsellor's caseload of realistic size.
const DEMO_HOUSEHOLDS: usize = 80;

/// The counsellor of demo household `i` (from 1): B has households 4 and 5, A all others.
pub fn demo_counsellor(i: usize) -> String {
    if (4..=5).contains(&i) {
        "consulent-b"
    } else {
        "consulent-a"
    }
    .to_owned()
}

/// The fictional name of demo household `i` (from 0): the scenario's five residents, then
/// combinations of common Dutch first names and surnames.
fn demo_name(i: usize) -> String {
    const FIRST: [&str; 5] = [
        "Sanne de Vries",
        "Fatima El Amrani",
        "Daan Bakker",
        "Truus Jansen",
        "Kees en Mira Visser",
    ];
    const GIVEN: [&str; 16] = [
        "Anouk", "Bram", "Chantal", "Dewi", "Emre", "Fleur", "Gijs", "Hanna", "Ilse", "Jeroen",
        "Kim", "Lotte", "Mohamed", "Noor", "Ömer", "Priya",
    ];
    const FAMILY: [&str; 11] = [
        "Smit", "de Jong", "Mulder", "Bos", "Çelik", "van Dijk", "Yılmaz", "Meijer", "de Boer",
        "Hendriks", "Pinas",
    ];
    match FIRST.get(i) {
        Some(n) => (*n).to_owned(),
        None => format!("{} {}", GIVEN[i % GIVEN.len()], FAMILY[i % FAMILY.len()]),
    }
}

/// The demo's `n` test BSNs: numbers of the 9999-range, which belong to nobody, that pass the
/// elfproef.
fn demo_bsns(n: usize) -> Vec<String> {
    (999_990_000u32..)
        .map(|b| b.to_string())
        .filter(|b| knop_app::vault::bsn_valid(b))
        .take(n)
        .collect()
}

/// `knop demo`: a year of the five virtual residents booked into a new embedded ledger through
/// the service's own use-cases, their personal data in a vault, served with demo logins.
pub fn demo(
    into: Option<PathBuf>,
    listen: SocketAddr,
    oidc: &OidcArgs,
    look: LookArgs,
) -> Result<ExitCode> {
    let dir = empty_dir(into)?;
    let scenario: knop_sim::Scenario = serde_json::from_str(knop_sim::FIVE_RESIDENTS)?;
    let scenario = scenario.with_caseload(DEMO_HOUSEHOLDS);
    let mut p = simulate_into(&dir, &scenario)?;
    let (vault_dir, master) = fill_vault(&dir, &scenario)?;
    let kept = keep_statements(&dir, &knop_app::vault::Vault::open(&vault_dir, &master)?)?;
    // The keys stay with the demo, so that `knop serve` can serve its ledger again.
    crate::location::write_key(&dir.join("operator.key"), &p.operator)?;
    crate::location::write_key(&dir.join("stichting.key"), &p.foundation)?;
    // The organisations that get API keys are registered on the ledger first; the service
    // signs for the municipality and the creditors (their keys stay in the directory).
    let mut hosted = vec![];
    for (org, kind) in [
        ("auditor", knop_state::OrgKind::Auditor),
        ("woningcorporatie", knop_state::OrgKind::Creditor),
        ("cjib", knop_state::OrgKind::Creditor),
        (DEMO_MUNICIPALITY, knop_state::OrgKind::Municipality),
        ("fietsenwinkel", knop_state::OrgKind::Merchant),
        ("slijterij", knop_state::OrgKind::Merchant),
    ] {
        let key = crate::location::new_key(org)?;
        if kind != knop_state::OrgKind::Auditor {
            crate::location::write_key(&dir.join(format!("{org}.key")), &key)?;
            hosted.push(key.clone());
        }
        let cmd = knop_state::Command::RegisterOrg {
            name: knop_ledger::entry::OrgName::parse(org)?,
            kind,
            key: key.public_key().to_bytes(),
        };
        let now = crate::log_cmd::now_ms();
        knop_app::ops::submit(&mut p.node, &p.operator, now, &cmd)?
            .map_err(|e| anyhow::anyhow!("registering {org}: {e}"))?;
    }
    demo_debts(&mut p.node, &p.foundation, p.last_day)?;
    demo_rode_knop(
        &mut p.node,
        &knop_app::vault::Vault::open(&vault_dir, &master)?,
        &hosted,
        listen,
        p.last_day,
    )?;
    demo_kindpakket(&mut p.node, &hosted, p.last_day)?;
    let auditor_key = new_secret("knop_k");
    let creditor_key = new_secret("knop_k");
    // The five residents of the scenario log in; the others fill the caseload.
    let titles: Vec<String> = scenario
        .households
        .iter()
        .take(5)
        .map(|h| h.title.clone())
        .collect();
    let config = Config {
        submitter: p.foundation.clone(),
        foundation_iban: scenario.foundation_iban.clone(),
        foundation_name: "Stichting Huishoudboekje (demo)".into(),
        advance_limit_cents: 150_000,
        users: demo_users(&titles),
        api_keys: vec![
            ApiKey {
                digest: digest(&auditor_key),
                org: "auditor".into(),
                role: Role::Auditor,
            },
            ApiKey {
                digest: digest(&creditor_key),
                org: "woningcorporatie".into(),
                role: Role::Creditor {
                    org: "woningcorporatie".into(),
                },
            },
        ],
        dev_login: true,
        today: Some(p.last_day),
        oidc: oidc.config(listen),
        vault: Some((vault_dir, master)),
        assets: assets_dir(look.assets),
        theme: look.theme.theme(),
        lookups_per_minute: look.lookups_per_minute,
        tls: false,
        hosted,
        public_url: format!("http://{listen}"),
        declaration_months: knop_app::declarations::DEFAULT_MONTHS,
        journal: Some(dir.join("service.journal")),
        reopen: Some({
            let (ledger, op) = (dir.join("grootboek").join("log"), p.operator.clone());
            std::sync::Arc::new(move || {
                let store = knop_store::FileStore::open(&ledger).map_err(|e| e.to_string())?;
                knop_node::Node::open(Box::new(store), Some(op.clone()), knop_node::os_salts())
                    .map_err(|e| e.to_string())
            })
        }),
        statement_dir: Some(kept),
    };
    let app = App::new(p.node, config).map_err(|e| anyhow::anyhow!(e))?;
    let users = demo_users(&titles);
    let last_day = p.last_day;
    let iban = scenario.foundation_iban.clone();
    serve_blocking(listen, app, move |addr| {
        print_demo(
            addr,
            &dir,
            last_day,
            &users,
            (&auditor_key, &creditor_key),
            &iban,
        );
    })?;
    Ok(ExitCode::SUCCESS)
}

/// The demo's debts: what the debt-assistance households owe (a fine at CJIB, a study debt at
/// DUO, arrears at the landlord and the energy company), with what happened to them, recorded
/// as the counsellor would (signed by the foundation).
fn demo_debts(
    node: &mut knop_node::Node,
    foundation: &knop_ledger::note::NoteKey,
    today: jiff::civil::Date,
) -> Result<()> {
    use knop_state::{ClaimCommand, Command, Creditor, EventKind as K};
    let org = |n: &str| knop_ledger::entry::OrgName::parse(n).map(Creditor::Org);
    let named = |n: &str| Creditor::Named(n.to_owned());
    let day = |months_ago: i32| {
        today
            .saturating_sub(jiff::Span::new().months(months_ago))
            .first_of_month()
    };
    let claims = [
        (
            2u128,
            "cjib-boete-2026",
            org("cjib")?,
            "Beschikking 2026.041.339",
            23_900,
            9,
        ),
        (
            2,
            "eneco-jaarafrekening",
            named("Eneco"),
            "Klantnummer 88120",
            61_250,
            7,
        ),
        (
            3,
            "duo-studieschuld",
            named("DUO"),
            "Studieschuld 2019-2023",
            1_240_000,
            30,
        ),
        (
            1,
            "mitros-huurachterstand",
            org("woningcorporatie")?,
            "Contract 4471-A",
            156_000,
            5,
        ),
    ];
    let events: &[(&str, &str, K, i64, i32)] = &[
        ("cjib-boete-2026", "aanmaning-1", K::Summons, 900, 7),
        ("cjib-boete-2026", "regeling", K::Arrangement, 2_500, 4),
        ("cjib-boete-2026", "betaald-1", K::Payment, 2_500, 3),
        ("cjib-boete-2026", "betaald-2", K::Payment, 2_500, 2),
        ("eneco-jaarafrekening", "incassokosten", K::Costs, 4_000, 5),
        ("duo-studieschuld", "rente-2026", K::Interest, 3_100, 11),
        ("duo-studieschuld", "regeling", K::Arrangement, 4_500, 11),
        (
            "mitros-huurachterstand",
            "regeling",
            K::Arrangement,
            7_800,
            4,
        ),
        ("mitros-huurachterstand", "betaald-1", K::Payment, 7_800, 3),
        ("mitros-huurachterstand", "betaald-2", K::Payment, 7_800, 2),
        ("mitros-huurachterstand", "betaald-3", K::Payment, 7_800, 1),
    ];
    let now = crate::log_cmd::now_ms();
    let mut cmds = vec![];
    for (h, id, creditor, reference, cents, ago) in claims {
        cmds.push(ClaimCommand::Open {
            claim: id.into(),
            household: knop_huishoudboekje::HouseholdId(h),
            creditor,
            reference: reference.into(),
            principal_cents: cents,
            date: day(ago),
        });
    }
    for (claim, event, kind, cents, ago) in events {
        cmds.push(ClaimCommand::Event {
            claim: (*claim).into(),
            event: (*event).into(),
            kind: *kind,
            cents: *cents,
            date: day(*ago),
        });
    }
    for c in cmds {
        knop_app::ops::submit(node, foundation, now, &Command::Claim(c))?
            .map_err(|e| anyhow::anyhow!("recording the demo's debts: {e}"))?;
    }
    Ok(())
}

/// The demo's Kindpakket: the municipality's fund for the year (EUR 300 per child, sport,
/// bicycles, school, culture; at most EUR 250 a purchase), topped up from its bank account, the
/// bike shop accepted with its bank account (the off-licence is a merchant, but not accepted),
/// a voucher for each of household 2's three children, a helmet bought today at the bike shop,
/// and the payout of it made by `gemeente`, waiting for `gemeente-controle` to approve it.
fn demo_kindpakket(
    node: &mut knop_node::Node,
    hosted: &[knop_ledger::note::NoteKey],
    today: jiff::civil::Date,
) -> Result<()> {
    use knop_state::kindpakket::Category as C;
    use knop_state::KindpakketCommand as K;
    let key = hosted
        .iter()
        .find(|k| k.key_name() == DEMO_MUNICIPALITY)
        .ok_or_else(|| anyhow::anyhow!("the demo holds no key for {DEMO_MUNICIPALITY}"))?;
    let fund = format!("kindpakket-{}", today.year());
    let year = |m, d| jiff::civil::date(today.year(), m, d);
    let mut cmds = vec![
        K::OpenFund {
            fund: fund.clone(),
            child_cents: 30_000,
            from: year(1, 1),
            until: year(12, 31),
            categories: C::Sport as u16 | C::Bicycles as u16 | C::School as u16 | C::Culture as u16,
            cap_cents: 25_000,
        },
        K::AcceptMerchant {
            fund: fund.clone(),
            merchant: knop_ledger::entry::OrgName::parse("fietsenwinkel")?,
            categories: C::Bicycles as u16 | C::Sport as u16,
        },
    ];
    let bikes = knop_ledger::entry::OrgName::parse("fietsenwinkel")?;
    cmds.push(K::SetPayee {
        fund: fund.clone(),
        merchant: bikes.clone(),
        iban: "NL91ABNA0417164300".into(),
        name: "Fietsen Jansen".into(),
    });
    cmds.push(K::Statement {
        paid: vec![],
        topups: vec![knop_state::TopUp {
            reference: format!("DEMO-STORTING-{}", today.year()),
            fund: fund.clone(),
            cents: 90_000,
            date: year(1, 2).min(today),
        }],
    });
    let vouchers: Vec<String> = (0..3)
        .map(|_| knop_app::kindpakket::new_voucher_id())
        .collect();
    for v in &vouchers {
        cmds.push(K::IssueVoucher {
            voucher: v.clone(),
            fund: fund.clone(),
            household: HouseholdId(2),
        });
    }
    let now = crate::log_cmd::now_ms();
    for c in cmds {
        knop_app::kindpakket::record(node, key, now, c)
            .map_err(|e| anyhow::anyhow!("the demo's Kindpakket: {e}"))?;
    }
    let shop = hosted
        .iter()
        .find(|k| k.key_name() == "fietsenwinkel")
        .ok_or_else(|| anyhow::anyhow!("the demo holds no key for fietsenwinkel"))?;
    // The helmet is bought with the voucher listed last, so the first still holds EUR 300.
    let last = vouchers.iter().max().cloned().unwrap_or_default();
    let helmet = K::Spend {
        spend: format!("{last}-DEMO"),
        voucher: last,
        merchant: bikes,
        category: C::Sport,
        cents: 2_495,
        date: today,
    };
    knop_app::kindpakket::record(node, shop, now, helmet)
        .map_err(|e| anyhow::anyhow!("the demo's Kindpakket purchase: {e}"))?;
    let req = knop_app::payouts::PayoutRequest {
        fund: &fund,
        until: today,
        execution: today.tomorrow().unwrap_or(today),
        from_iban: "NL02ABNA0123456789",
        by: "gemeente",
        key: "demo",
        now_ms: now,
    };
    knop_app::payouts::make(node, key, &req)
        .map_err(|e| anyhow::anyhow!("the demo's Kindpakket payout: {e}"))?;
    Ok(())
}

/// The demo's Rode Knop: household 1 has a declaration from the municipality, its landlord put
/// the rent arrears on hold, and added collection costs anyway (an alert for the counsellor).
/// Household 2's declaration is left for the municipality to issue in the demo.
fn demo_rode_knop(
    node: &mut knop_node::Node,
    vault: &knop_app::vault::Vault,
    hosted: &[knop_ledger::note::NoteKey],
    listen: SocketAddr,
    today: jiff::civil::Date,
) -> Result<()> {
    use knop_state::{ClaimCommand, Command, EventKind, Pauses};
    let key = |org: &str| {
        hosted
            .iter()
            .find(|k| k.key_name() == org)
            .ok_or_else(|| anyhow::anyhow!("the demo holds no key for {org}"))
    };
    let url = format!("http://{listen}");
    let issuer = knop_app::declarations::Issuer {
        key: key(DEMO_MUNICIPALITY)?,
        url: &url,
        months: knop_app::declarations::DEFAULT_MONTHS,
    };
    let now = crate::log_cmd::now_ms().max(
        today
            .to_zoned(jiff::tz::TimeZone::UTC)
            .map(|z| z.timestamp().as_millisecond().max(0) as u64)
            .unwrap_or(0),
    );
    let d = knop_app::declarations::issue(
        node,
        vault,
        &issuer,
        &knop_app::declarations::IssueRequest {
            household: HouseholdId(1),
            start: today.saturating_sub(jiff::Span::new().months(1)),
            today,
            now_ms: now,
            clock_s: jiff::Timestamp::now().as_second(),
            extend: false,
            contact: "Stichting Huishoudboekje (demo) · 030 123 45 67 · budgetbeheer@example.org"
                .into(),
            who: DEMO_MUNICIPALITY,
        },
    )
    .map_err(|e| anyhow::anyhow!("the demo's declaration: {e}"))?;
    let id = knop_app::declarations::unhex32(&d.id)
        .ok_or_else(|| anyhow::anyhow!("the demo's declaration has no id"))?;
    let landlord = key("woningcorporatie")?;
    for cmd in [
        ClaimCommand::Hold {
            claim: "mitros-huurachterstand".into(),
            declaration: id,
            from: today,
            until: d.until,
            pauses: Pauses::ALL,
        },
        ClaimCommand::Event {
            claim: "mitros-huurachterstand".into(),
            event: "incassokosten-1".into(),
            kind: EventKind::Costs,
            cents: 4_000,
            date: today,
        },
    ] {
        knop_app::ops::submit(node, landlord, now, &Command::Claim(cmd))?
            .map_err(|e| anyhow::anyhow!("the demo's hold: {e}"))?;
    }
    Ok(())
}

/// `into`, or a fresh directory under /tmp; refused if it holds anything.
fn empty_dir(into: Option<PathBuf>) -> Result<PathBuf> {
    let dir = match into {
        Some(d) => d,
        None => tempfile::Builder::new()
            .prefix("knop-demo-")
            .tempdir()?
            .keep(),
    };
    if dir.exists() && std::fs::read_dir(&dir)?.next().is_some() {
        bail!("{} {}", dir.display(), t("is niet leeg", "is not empty"));
    }
    Ok(dir)
}

/// Simulates a year of `scenario` into `dir/simulatie` (with its bank files) and books the
/// statements into a new ledger in `dir/grootboek`.
fn simulate_into(
    dir: &std::path::Path,
    scenario: &knop_sim::Scenario,
) -> Result<crate::simulate_cmd::Pipeline> {
    eprintln!(
        "{} {} …",
        t("Een jaar simuleren:", "Simulating a year:"),
        scenario.title
    );
    let outcomes = knop_sim::run(scenario, 12)?;
    let sim = dir.join("simulatie");
    std::fs::create_dir_all(sim.join("bank/camt053"))?;
    std::fs::create_dir_all(sim.join("bank/pain001"))?;
    crate::simulate_cmd::write_bank_files(scenario, &outcomes, &sim)?;
    eprintln!(
        "{}",
        t(
            "Bankafschriften importeren, matchen en boeken in een nieuw grootboek …",
            "Importing, matching and booking the bank statements into a new ledger …"
        )
    );
    let ledger = dir.join("grootboek");
    std::fs::create_dir_all(&ledger)?;
    crate::simulate_cmd::pipeline(scenario, &outcomes, &sim, &ledger, &demo_counsellor)
}

/// The service keeps the statements it imported, to show and match their lines and to know
/// what was paid: it gets the simulation's, in `dir/afschriften`.
/// Kept encrypted with the vault's key, as the service keeps the statements uploaded to it.
fn keep_statements(dir: &std::path::Path, vault: &knop_app::vault::Vault) -> Result<PathBuf> {
    use sha2::Digest;
    let kept = dir.join("afschriften");
    std::fs::create_dir_all(&kept)?;
    for e in std::fs::read_dir(dir.join("simulatie/bank/camt053"))? {
        let path = e?.path();
        let bytes = std::fs::read(&path)?;
        let hex: String = sha2::Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        std::fs::write(
            kept.join(format!("{hex}.xml.enc")),
            vault.seal_file(&hex, &bytes),
        )?;
    }
    Ok(kept)
}

/// Personal data of the fictional residents, in an encrypted vault (`dir/vault`) with a
/// generated master key (`dir/vault.key`).
fn fill_vault(dir: &std::path::Path, scenario: &knop_sim::Scenario) -> Result<(PathBuf, [u8; 32])> {
    let master = knop_app::vault::new_master_key();
    crate::files::write_secret(&dir.join("vault.key"), master.as_bytes())?;
    let master = knop_app::vault::parse_master_key(&master).map_err(|e| anyhow::anyhow!(e))?;
    let vault_dir = dir.join("vault");
    let vault = knop_app::vault::Vault::open(&vault_dir, &master)?;
    let bsns = demo_bsns(scenario.households.len());
    for (i, bsn) in bsns.into_iter().enumerate() {
        vault.put(
            knop_huishoudboekje::HouseholdId((i + 1) as u128),
            &knop_app::vault::PersonalData {
                name: demo_name(i),
                bsn: Some(bsn),
                birthdate: Some(format!(
                    "{}-{:02}-{:02}",
                    1960 + i % 40,
                    1 + i % 12,
                    1 + i % 28
                )),
                address: Some(format!("Voorbeeldstraat {}, Utrecht", i + 1)),
                phone: None,
                email: None,
                iban: Some(crate::bench_month::resident_iban(1000 + i as u64)),
            },
        )?;
    }
    Ok((vault_dir, master))
}

/// What the demo prints once it listens: where, on which day, the logins and the API keys.
fn print_demo(
    addr: SocketAddr,
    dir: &std::path::Path,
    last_day: jiff::civil::Date,
    users: &[User],
    (auditor_key, creditor_key): (&str, &str),
    iban: &str,
) {
    println!();
    println!("knop demo: http://{addr}/");
    println!(
        "  {} {}",
        t("grootboek en bankbestanden in", "ledger and bank files in"),
        dir.display()
    );
    println!(
        "  {} {}",
        t("de demo speelt op", "the demo is set on"),
        knop_app::present::spoken(last_day, crate::i18n::language())
    );
    println!(
        "  {}",
        t(
            "inloggen (ontwikkel-login, geen wachtwoord):",
            "log in (development login, no password):"
        )
    );
    for u in users {
        println!("    {:<12} {}", u.login, u.display);
    }
    println!("  API: http://{addr}/api/v1/openapi.json");
    println!("    auditor:          Authorization: Bearer {auditor_key}");
    println!(
        "    {:<17} Authorization: Bearer {creditor_key}",
        t("schuldeiser:", "creditor:")
    );
    println!("    curl http://{addr}/api/v1/ledger/checkpoint");
    println!(
        "  {}",
        t(
            "later opnieuw starten (de sleutels staan in de map):",
            "serve it again later (the keys are in the directory):"
        )
    );
    let d = dir.display();
    println!(
        "    knop --data {d}/grootboek/log --operator-key {d}/operator.key serve --as {d}/stichting.key \\\n      --iban {iban} --vault {d}/vault --master-key {d}/vault.key \\\n      --statements {d}/afschriften --journal {d}/service.journal \\\n      --host {d}/{DEMO_MUNICIPALITY}.key --host {d}/cjib.key --host {d}/woningcorporatie.key \\\n      --host {d}/fietsenwinkel.key --host {d}/slijterij.key"
    );
    println!("  {}", t("Stoppen: Ctrl-C", "Stop: Ctrl-C"));
}

/// Spends through the HTTP API of a service running in this process, on a ledger in a fresh
/// store: one fund, one shop (an API key of its own), `vouchers` vouchers, each spent once by
/// one of `connections` keep-alive connections over loopback. Every answer waits until its
/// spend is durable, and its Idempotency-Key's answer is synced in the answer journal. The client is written here (HTTP/1.1 over a socket, a few lines) so the
/// benchmark needs nothing outside the project.
///
/// Here, beside `knop serve`, because it starts the service; the work is the API's.
pub(crate) fn bench_kindpakket_http(
    loc: &Location,
    a: crate::bench::KindpakketHttpArgs,
) -> Result<ExitCode> {
    use crate::bench::fresh_target;
    use crate::location::new_key;
    use knop_ledger::entry::{OrgName, SignedEntry};
    use knop_node::{os_salts, Node};
    use knop_state::kindpakket::Category;
    use knop_state::KindpakketCommand as K;
    use knop_state::{Command, OrgKind};
    use knop_store::Meta;
    use sha2::Digest;
    use std::time::Instant;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    if a.vouchers == 0 || a.vouchers > 1_000_000 || a.connections == 0 || a.connections > 1_024 {
        bail!("--vouchers 1..=1000000, --connections 1..=1024");
    }
    let op = new_key("knop.bench/kindpakket-http")?;
    let (target, where_, _guard) = fresh_target(loc)?;
    let store = target.create(Meta {
        origin: "knop.bench/kindpakket-http".into(),
        operator_vkey: op.verifier_key(),
    })?;
    let mut node = Node::init(store, op.clone(), 1, os_salts())?;
    let op_name = OrgName::parse(op.key_name())?;
    let gemeente = new_key("gemeente")?;
    let foundation = new_key("stichting")?;
    let shop = new_key("winkel")?;
    let sign = |cmd: &Command, key: &knop_ledger::note::NoteKey| {
        SignedEntry::sign(
            OrgName::parse(key.key_name()).expect("bench names are valid"),
            2,
            cmd.encode(),
            key.signing_key(),
        )
    };
    let mut setup = vec![];
    for (k, kind) in [
        (&gemeente, OrgKind::Municipality),
        (&foundation, OrgKind::Foundation),
        (&shop, OrgKind::Merchant),
    ] {
        let reg = Command::RegisterOrg {
            name: OrgName::parse(k.key_name())?,
            kind,
            key: k.public_key().to_bytes(),
        };
        setup.push(SignedEntry::sign(
            op_name.clone(),
            2,
            reg.encode(),
            op.signing_key(),
        ));
    }
    for r in node.submit(&setup)? {
        r?;
    }
    let fund = "kindpakket-2026".to_owned();
    let mut entries = vec![];
    for h in 1..=u128::from(a.vouchers) {
        entries.push(sign(
            &Command::Household(knop_state::HouseholdCommand::Open {
                household: knop_huishoudboekje::HouseholdId(h),
                counsellor: "c".into(),
                information: "knop-info-v1".into(),
            }),
            &foundation,
        ));
    }
    entries.push(sign(
        &Command::Kindpakket(K::OpenFund {
            fund: fund.clone(),
            child_cents: 30_000,
            from: jiff::civil::date(2000, 1, 1),
            until: jiff::civil::date(2099, 12, 31),
            categories: Category::Bicycles as u16,
            cap_cents: 25_000,
        }),
        &gemeente,
    ));
    entries.push(sign(
        &Command::Kindpakket(K::AcceptMerchant {
            fund: fund.clone(),
            merchant: OrgName::parse(shop.key_name())?,
            categories: Category::Bicycles as u16,
        }),
        &gemeente,
    ));
    for v in 0..a.vouchers {
        entries.push(sign(
            &Command::Kindpakket(K::IssueVoucher {
                voucher: format!("V{v:07}"),
                fund: fund.clone(),
                household: knop_huishoudboekje::HouseholdId(u128::from(v) + 1),
            }),
            &gemeente,
        ));
    }
    for chunk in entries.chunks(10_000) {
        for r in node.submit(chunk)? {
            r?;
        }
    }
    let journal = std::env::temp_dir().join(format!(
        "knop-bench-journal-{}-{}",
        std::process::id(),
        jiff::Timestamp::now().as_millisecond()
    ));
    let token = "bench-winkel-token";
    let digest: [u8; 32] = sha2::Sha256::digest(token.as_bytes()).into();
    let config = Config {
        submitter: foundation.clone(),
        foundation_iban: "NL91ABNA0417164300".into(),
        foundation_name: "Stichting (bench)".into(),
        advance_limit_cents: 0,
        users: vec![],
        api_keys: vec![ApiKey {
            digest,
            org: "winkel".into(),
            role: Role::Merchant {
                org: "winkel".into(),
            },
        }],
        dev_login: false,
        today: None,
        tls: false,
        oidc: None,
        vault: None,
        assets: None,
        theme: knop_serve::Theme::Utrecht,
        lookups_per_minute: knop_serve::DEFAULT_LOOKUPS_PER_MINUTE,
        statement_dir: None,
        // As a service runs: every answer also kept, synced, in the answer journal.
        journal: Some(journal.clone()),
        reopen: None,
        hosted: vec![gemeente.clone(), shop.clone()],
        public_url: "http://127.0.0.1".into(),
        declaration_months: 8,
    };
    let app = App::new(node, config).map_err(|e| anyhow::anyhow!(e))?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let (n, conns) = (a.vouchers, a.connections);
    let (lat, created, secs) = rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        tokio::spawn(knop_serve::serve(listener, app.clone()));
        let started = Instant::now();
        let mut tasks = vec![];
        for c in 0..conns {
            let gemeente = gemeente.clone();
            tasks.push(tokio::spawn(async move {
                let mut s = tokio::net::TcpStream::connect(addr).await?;
                s.set_nodelay(true)?;
                let (mut lat, mut created) = (vec![], 0u32);
                let mut buf = vec![0u8; 8192];
                let mut v = c;
                while v < n {
                    let now = jiff::Timestamp::now().as_second();
                    let (code, _) = knop_app::kindpakket::code(&gemeente, &format!("V{v:07}"), now);
                    let body = format!(r#"{{"code":"{code}","category":"bicycles","cents":995}}"#);
                    let req = format!(
                        "POST /api/v1/kindpakket/spends HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nIdempotency-Key: spend-{v}\r\nContent-Length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    let t0 = Instant::now();
                    s.write_all(req.as_bytes()).await?;
                    // One answer: its head, then Content-Length bytes of body.
                    let mut got = 0usize;
                    let (status, total) = loop {
                        let k = s.read(&mut buf[got..]).await?;
                        if k == 0 {
                            anyhow::bail!("the service closed the connection");
                        }
                        got += k;
                        if let Some(end) = buf[..got].windows(4).position(|w| w == b"\r\n\r\n") {
                            let head = String::from_utf8_lossy(&buf[..end]).to_lowercase();
                            let status: u16 = head
                                .get(9..12)
                                .and_then(|x| x.parse().ok())
                                .unwrap_or(0);
                            let len: usize = head
                                .lines()
                                .find_map(|l| l.strip_prefix("content-length:"))
                                .and_then(|x| x.trim().parse().ok())
                                .unwrap_or(0);
                            break (status, end + 4 + len);
                        }
                        if got == buf.len() {
                            anyhow::bail!("an answer's head is over {} bytes", buf.len());
                        }
                    };
                    if total > buf.len() {
                        anyhow::bail!("an answer is over {} bytes", buf.len());
                    }
                    while got < total {
                        let k = s.read(&mut buf[got..total]).await?;
                        if k == 0 {
                            anyhow::bail!("the service closed the connection");
                        }
                        got += k;
                    }
                    lat.push(t0.elapsed().as_secs_f64() * 1000.0);
                    created += u32::from(status == 201);
                    v += conns;
                }
                Ok::<_, anyhow::Error>((lat, created))
            }));
        }
        let (mut lat, mut created) = (vec![], 0u32);
        for t in tasks {
            let (l, c) = t.await??;
            lat.extend(l);
            created += c;
        }
        Ok::<_, anyhow::Error>((lat, created, started.elapsed().as_secs_f64()))
    })?;
    let _ = std::fs::remove_file(&journal);
    let mut lat = lat;
    lat.sort_by(f64::total_cmp);
    let pct = |p: f64| lat[((lat.len() as f64 - 1.0) * p) as usize];
    println!(
        "{{\"vouchers\": {n}, \"connections\": {conns}, \"created\": {created}, \"seconds\": {secs:.2}, \"spends_per_s\": {:.0}, \"latency_ms_p50\": {:.2}, \"latency_ms_p99\": {:.2}, \"store\": \"{where_}\"}}",
        f64::from(n) / secs,
        pct(0.5),
        pct(0.99)
    );
    if created != n {
        bail!("{} of {n} spends were not booked", n - created);
    }
    Ok(ExitCode::SUCCESS)
}
