//! Small helpers every command uses: reading input files (or standard input) with the file's name
//! in every error, reading a household plan, and showing money.

use std::path::Path;

use anyhow::{Context, Result};

/// The bytes of `path`, or of standard input for `-`.
pub fn read(path: &Path) -> Result<Vec<u8>> {
    if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf)
            .context("reading standard input")?;
        return Ok(buf);
    }
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

/// A household plan from JSON, every agreement checked.
pub fn read_plan(path: &Path) -> Result<knop_budget::Plan> {
    let plan: knop_budget::Plan = serde_json::from_slice(&read(path)?)
        .with_context(|| format!("{}: plan", path.display()))?;
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
