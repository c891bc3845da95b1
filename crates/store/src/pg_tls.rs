//! TLS to PostgreSQL, as libpq's `sslmode` and `sslrootcert` say it, for a database on another
//! host. rust-postgres knows `disable`, `prefer` and `require` only and checks nothing of the
//! server's certificate; the checks libpq's `verify-ca` and `verify-full` make are done here with
//! rustls:
//!
//! | `sslmode`     | encrypted        | certificate checked                                     |
//! |---------------|------------------|---------------------------------------------------------|
//! | (not given)   | no               | – (as before: a local server)                           |
//! | `disable`     | no               | –                                                       |
//! | `prefer`      | if the server can| no                                                      |
//! | `require`     | yes              | against `sslrootcert` if given (as libpq), else not     |
//! | `verify-ca`   | yes              | chain to `sslrootcert` (or the web PKI roots)           |
//! | `verify-full` | yes              | chain, and the host name                                |

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, Error, RootCertStore, SignatureScheme};

use crate::StoreError;

/// What the URL asks of TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Mode {
    /// No TLS.
    Off,
    /// TLS if the server offers it, nothing checked.
    Prefer,
    /// TLS, the certificate checked as `check` says.
    On(Check),
}

/// How the server's certificate is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Check {
    /// Not at all (libpq's `require` without a root certificate).
    Nothing,
    /// Its chain to the roots.
    Chain(Roots),
    /// Its chain and the host name.
    ChainAndName(Roots),
}

/// Where the trusted roots come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Roots {
    /// A PEM file (`sslrootcert`).
    File(String),
    /// The web PKI's roots (Mozilla's, built in).
    WebPki,
}

/// Splits the TLS settings off `url`: the URL rust-postgres is given (`sslmode` as it knows
/// it, `sslrootcert` removed) and what TLS to use.
pub(crate) fn settings(url: &str) -> Result<(String, Mode), StoreError> {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, q),
        None => return Ok((url.to_owned(), Mode::Off)),
    };
    let (mut mode, mut root, mut rest) = (None, None, vec![]);
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("sslmode", v)) => mode = Some(v.to_owned()),
            Some(("sslrootcert", v)) => root = Some(unescape(v)),
            _ => rest.push(pair),
        }
    }
    let roots = || root.clone().map_or(Roots::WebPki, Roots::File);
    let (sslmode, mode) = match mode.as_deref() {
        None => (None, Mode::Off),
        Some("disable") => (Some("disable"), Mode::Off),
        Some("prefer") | Some("allow") => (Some("prefer"), Mode::Prefer),
        Some("require") => (
            Some("require"),
            Mode::On(match &root {
                Some(r) => Check::Chain(Roots::File(r.clone())),
                None => Check::Nothing,
            }),
        ),
        Some("verify-ca") => (Some("require"), Mode::On(Check::Chain(roots()))),
        Some("verify-full") => (Some("require"), Mode::On(Check::ChainAndName(roots()))),
        Some(other) => {
            return Err(StoreError::Tls(format!(
                "sslmode={other:?} is not known; use disable, prefer, require, verify-ca or verify-full"
            )))
        }
    };
    if let Some(m) = sslmode {
        rest.push(if m == "disable" {
            "sslmode=disable"
        } else if m == "prefer" {
            "sslmode=prefer"
        } else {
            "sslmode=require"
        });
    }
    let url = if rest.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", rest.join("&"))
    };
    Ok((url, mode))
}

/// `%2F` and the like in a URL's query value.
fn unescape(v: &str) -> String {
    percent_encoding::percent_decode_str(v)
        .decode_utf8_lossy()
        .into_owned()
}

/// The rustls client configuration for `check`.
pub(crate) fn client_config(check: &Check) -> Result<rustls::ClientConfig, StoreError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| StoreError::Tls(e.to_string()))?;
    let config = match check {
        Check::ChainAndName(roots) => builder
            .with_root_certificates(root_store(roots)?)
            .with_no_client_auth(),
        Check::Chain(roots) => {
            let inner = rustls::client::WebPkiServerVerifier::builder_with_provider(
                Arc::new(root_store(roots)?),
                provider,
            )
            .build()
            .map_err(|e| StoreError::Tls(e.to_string()))?;
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(ChainOnly(inner)))
                .with_no_client_auth()
        }
        Check::Nothing => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Unchecked(provider)))
            .with_no_client_auth(),
    };
    Ok(config)
}

fn root_store(roots: &Roots) -> Result<RootCertStore, StoreError> {
    use rustls::pki_types::pem::PemObject;
    let mut store = RootCertStore::empty();
    match roots {
        Roots::WebPki => store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        Roots::File(path) => {
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
                .and_then(|i| i.collect())
                .map_err(|e| StoreError::Tls(format!("sslrootcert {path}: {e}")))?;
            if certs.is_empty() {
                return Err(StoreError::Tls(format!(
                    "sslrootcert {path}: no certificate in it (PEM expected)"
                )));
            }
            for c in certs {
                store
                    .add(c)
                    .map_err(|e| StoreError::Tls(format!("sslrootcert {path}: {e}")))?;
            }
        }
    }
    Ok(store)
}

/// libpq's `verify-ca`: the chain is checked, the host name is not.
#[derive(Debug)]
struct ChainOnly(Arc<rustls::client::WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// libpq's `require` without a root certificate: encrypted, the certificate not checked (the
/// handshake's signatures still are).
#[derive(Debug)]
struct Unchecked(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for Unchecked {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// Connects as `url` says, TLS included.
pub(crate) fn connect(url: &str) -> Result<postgres::Client, StoreError> {
    let (url, mode) = settings(url)?;
    Ok(match mode {
        Mode::Off => postgres::Client::connect(&url, postgres::NoTls)?,
        // `prefer` checks nothing of what it gets (as libpq); `sslmode` in the URL says whether
        // rust-postgres insists on TLS.
        Mode::Prefer | Mode::On(_) => {
            let check = match mode {
                Mode::On(check) => check,
                _ => Check::Nothing,
            };
            let tls = tokio_postgres_rustls::MakeRustlsConnect::new(client_config(&check)?);
            postgres::Client::connect(&url, tls).map_err(with_cause)?
        }
    })
}

/// A TLS failure with what caused it ("invalid peer certificate: NotValidForName"), which
/// rust-postgres's own message leaves out.
fn with_cause(e: postgres::Error) -> StoreError {
    use std::error::Error as _;
    if e.as_db_error().is_some() {
        return StoreError::Postgres(e);
    }
    let mut why = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        why.push_str(": ");
        why.push_str(&s.to_string());
        source = s.source();
    }
    StoreError::Tls(why)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sslmode_and_sslrootcert_are_read_off_the_url() {
        let (url, mode) = settings("postgres://u@h/db").unwrap();
        assert_eq!((url.as_str(), mode), ("postgres://u@h/db", Mode::Off));
        let (url, mode) =
            settings("postgres://u@h/db?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem&application_name=knop")
                .unwrap();
        assert_eq!(
            url,
            "postgres://u@h/db?application_name=knop&sslmode=require"
        );
        assert_eq!(
            mode,
            Mode::On(Check::ChainAndName(Roots::File("/etc/ca.pem".into())))
        );
        let (_, mode) = settings("postgres://u@h/db?sslmode=require").unwrap();
        assert_eq!(mode, Mode::On(Check::Nothing));
        let (_, mode) = settings("postgres://u@h/db?sslmode=verify-ca").unwrap();
        assert_eq!(mode, Mode::On(Check::Chain(Roots::WebPki)));
        let e = settings("postgres://u@h/db?sslmode=strict").unwrap_err();
        assert!(e.to_string().contains("verify-full"), "{e}");
    }
}
