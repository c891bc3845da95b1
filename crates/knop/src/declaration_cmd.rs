//! `knop declaration verify`: a creditor checks a Rode Knop declaration offline, with the
//! municipality's public key (a JWK) and the status list it fetched, and reads who issued it,
//! what the resident disclosed, until when it holds and whether it still does.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};

use crate::i18n::t;

/// `knop declaration ...`
#[derive(Subcommand, Debug)]
pub enum DeclarationCommand {
    /// Verify a presented declaration (SD-JWT VC with key binding) offline.
    Verify(VerifyArgs),
}

/// Arguments of `knop declaration verify`.
#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// The presentation the resident gave (a file with the SD-JWT and its key binding).
    pub file: PathBuf,
    /// The municipality's public key, a JWK (`OKP`, `Ed25519`) as its issuer metadata gives it.
    #[arg(long, value_name = "FILE")]
    pub issuer_jwk: PathBuf,
    /// The status list token the declaration points at (`statuslist+jwt`, signed by the same
    /// municipality), as fetched from its URI.
    #[arg(long, value_name = "FILE")]
    pub status_list: PathBuf,
    /// Who you are: the key binding must be for this audience.
    #[arg(long)]
    pub audience: String,
    /// The nonce you gave the resident for this presentation.
    #[arg(long)]
    pub nonce: String,
}

/// Runs `knop declaration ...`.
pub fn run(cmd: DeclarationCommand) -> Result<ExitCode> {
    match cmd {
        DeclarationCommand::Verify(a) => verify(a),
    }
}

fn read(path: &PathBuf) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| path.display().to_string())
}

fn verify(a: VerifyArgs) -> Result<ExitCode> {
    let presentation = read(&a.file)?;
    let jwk: serde_json::Value = serde_json::from_str(&read(&a.issuer_jwk)?)
        .with_context(|| format!("{}: not JSON", a.issuer_jwk.display()))?;
    let key = knop_declaration::key_of_jwk(&jwk).with_context(|| {
        format!(
            "{}: {}",
            a.issuer_jwk.display(),
            t(
                "geen Ed25519-sleutel (kty OKP, crv Ed25519)",
                "not an Ed25519 key (kty OKP, crv Ed25519)"
            )
        )
    })?;
    let (list_uri, list) = match knop_declaration::read_status_list_token(
        &read(&a.status_list)?,
        &key,
        knop_status_list::ENTRIES_MAX,
    ) {
        Ok(l) => l,
        Err(r) => {
            eprintln!(
                "{}: {} ({r})",
                t("Geweigerd", "Refused"),
                a.status_list.display()
            );
            return Ok(ExitCode::from(1));
        }
    };
    let now = jiff::Timestamp::now().as_second();
    let expect = knop_declaration::Expect {
        audience: &a.audience,
        nonce: &a.nonce,
        now,
    };
    let result = knop_declaration::verify(&presentation, &key, &expect, |uri, idx| {
        if uri != list_uri {
            return Err(format!(
                "the declaration names the list {uri}, the file holds {list_uri}"
            ));
        }
        list.get(idx)
            .ok_or_else(|| format!("index {idx} is past the list"))
    });
    match result {
        Ok(v) => {
            let until = jiff::Timestamp::from_second(v.exp)
                .map(|t| t.to_string())
                .unwrap_or_else(|_| v.exp.to_string());
            println!(
                "{}",
                t(
                    "Geldig: betalingsonmacht verklaard.",
                    "Valid: inability to pay declared."
                )
            );
            println!("  {} {}", t("uitgegeven door", "issued by"), v.issuer);
            println!(
                "  {} {}",
                t("schuldhulp sinds", "debt assistance since"),
                v.start
            );
            println!("  {} {}", t("geldig tot", "valid until"), until);
            println!("  {} {}", t("contact", "contact"), v.contact);
            println!("  {}: {}", t("status", "status"), t("geldig", "valid"));
            for (claim, value) in &v.disclosed {
                println!("  {claim}: {value}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(r) => {
            eprintln!("{}: {r}", t("Geweigerd", "Refused"));
            Ok(ExitCode::from(1))
        }
    }
}
