//! Small helpers every command uses: reading input files (or standard input) with the file's name
//! in every error and a size limit, reading a household plan, and showing money.

use std::path::Path;

use anyhow::{Context, Result};

/// Largest input file knop reads, in bytes (bank files have their own, equal limit).
pub const INPUT_BYTES_MAX: u64 = 64 * 1024 * 1024;

/// The bytes of `path`, or of standard input for `-`, at most [`INPUT_BYTES_MAX`].
pub fn read(path: &Path) -> Result<Vec<u8>> {
    use std::io::Read as _;
    let stdin = path.as_os_str() == "-";
    let name = if stdin {
        "standard input".to_owned()
    } else {
        path.display().to_string()
    };
    let mut buf = Vec::new();
    let n = if stdin {
        std::io::stdin()
            .take(INPUT_BYTES_MAX + 1)
            .read_to_end(&mut buf)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(INPUT_BYTES_MAX + 1).read_to_end(&mut buf))
    }
    .with_context(|| format!("reading {name}"))?;
    if n as u64 > INPUT_BYTES_MAX {
        anyhow::bail!("{name}: over the limit of {INPUT_BYTES_MAX} bytes");
    }
    Ok(buf)
}

/// Writes a secret (a master key) to `path`, readable and writable by its owner only (0600),
/// synced.
pub fn write_secret(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    // An existing file keeps its mode on open: set it.
    f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    Ok(())
}

/// A household plan from JSON, every agreement checked.
pub fn read_plan(path: &Path) -> Result<knop_huishoudboekje::Plan> {
    let plan: knop_huishoudboekje::Plan = serde_json::from_slice(&read(path)?)
        .with_context(|| format!("{}: plan", path.display()))?;
    if plan.agreements.len() > knop_huishoudboekje::AGREEMENTS_MAX {
        anyhow::bail!(
            "{}: a plan has at most {} agreements",
            path.display(),
            knop_huishoudboekje::AGREEMENTS_MAX
        );
    }
    for agreement in &plan.agreements {
        agreement
            .check()
            .with_context(|| path.display().to_string())?;
    }
    Ok(plan)
}

/// An amount in Dutch notation, `€ 1.234,56`.
pub fn euro(cents: i64) -> String {
    knop_book::Cents(cents).to_dutch()
}

/// An amount in minor units of `currency`: euros as [`euro`]; another currency (seldom on a
/// Dutch statement) with its ISO 4217 code and decimals, without grouping: `SEK 27,00`,
/// `JPY 2700`.
pub fn money(minor: i64, currency: &str) -> String {
    if currency == "EUR" {
        return euro(minor);
    }
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    // The parser refuses currencies it does not know, so the fallback is never needed there.
    match knop_bank::currency_decimals(currency).unwrap_or(2) {
        0 => format!("{sign}{currency} {abs}"),
        d => {
            let scale = 10u64.pow(d);
            let (whole, frac) = (abs / scale, abs % scale);
            format!(
                "{sign}{currency} {whole},{frac:0width$}",
                width = d as usize
            )
        }
    }
}

/// A date as people read it: `25 november 2026` (Dutch) or `25 November 2026` (English).
pub fn date(d: jiff::civil::Date) -> String {
    knop_app::present::spoken(d, crate::i18n::language())
}

/// A month as people read it: `maart 2026`, from `YYYY-MM`.
pub fn month(yyyy_mm: &str) -> String {
    let months = knop_app::present::month_names(crate::i18n::language());
    match (
        yyyy_mm.get(..4),
        yyyy_mm.get(5..7).and_then(|m| m.parse::<usize>().ok()),
    ) {
        (Some(y), Some(m)) if (1..=12).contains(&m) => format!("{} {y}", months[m - 1]),
        _ => yyyy_mm.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::money;

    #[test]
    fn amounts_show_their_currency_with_its_decimals() {
        assert_eq!(money(-123_456, "EUR"), "-€ 1.234,56");
        assert_eq!(money(-2700, "SEK"), "-SEK 27,00");
        assert_eq!(money(5, "CHF"), "CHF 0,05");
        assert_eq!(money(2700, "JPY"), "JPY 2700");
        assert_eq!(money(1234, "BHD"), "BHD 1,234");
        assert_eq!(money(i64::MIN, "USD"), "-USD 92233720368547758,08");
    }
}
