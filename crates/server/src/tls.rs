//! HTTPS: the rustls server configuration from operator PEM files, or from a local CA and a
//! certificate for `localhost` / `127.0.0.1` that `--tls-self-signed` creates under
//! `DATA_DIR/tls` on first start (files 0600, directory 0700) and reuses afterwards.
//!
//! The CA's private key is not kept: the CA signs the one server certificate and is then only a
//! trust anchor for clients (`DATA_DIR/tls/ca.pem`). Deleting the directory makes a new pair.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, ServerConfig};
use tokio_rustls::TlsAcceptor;

use crate::config::TlsSource;

/// Subdirectory of the data directory holding the self-signed material.
pub const SELF_SIGNED_DIR: &str = "tls";
/// The CA certificate clients should trust.
pub const CA_FILE: &str = "ca.pem";
/// The server certificate chain (server certificate, then the CA).
pub const CERT_FILE: &str = "cert.pem";
/// The server certificate's private key.
pub const KEY_FILE: &str = "key.pem";
/// Names the self-signed certificate is valid for.
pub const SELF_SIGNED_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];
/// Validity of the self-signed CA and certificate, in days.
pub const SELF_SIGNED_DAYS: i64 = 3650;

/// A ready TLS acceptor, and the CA file to trust when the certificate is self-signed.
pub struct Tls {
    pub acceptor: TlsAcceptor,
    pub ca: Option<PathBuf>,
}

/// Builds the acceptor for `source`; self-signed material lives under `data_dir`.
pub fn load(source: &TlsSource, data_dir: &Path) -> Result<Tls, String> {
    let (cert, key, ca) = match source {
        TlsSource::Files { cert, key } => (cert.clone(), key.clone(), None),
        TlsSource::SelfSigned => {
            let dir = data_dir.join(SELF_SIGNED_DIR);
            ensure_self_signed(&dir)?;
            (dir.join(CERT_FILE), dir.join(KEY_FILE), Some(dir.join(CA_FILE)))
        }
    };
    let config = server_config(&cert, &key)?;
    Ok(Tls { acceptor: TlsAcceptor::from(Arc::new(config)), ca })
}

fn server_config(cert: &Path, key: &Path) -> Result<ServerConfig, String> {
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("reading the TLS certificate {}: {e}", cert.display()))?;
    if chain.is_empty() {
        return Err(format!("{}: no certificate in the file", cert.display()));
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| format!("reading the TLS key {}: {e}", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| format!("TLS certificate {}: {e}", cert.display()))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// Creates the CA, certificate and key under `dir` unless the CA file (written last) is there.
fn ensure_self_signed(dir: &Path) -> Result<(), String> {
    if dir.join(CA_FILE).is_file() {
        return Ok(());
    }
    let io = |e: std::io::Error| format!("{}: {e}", dir.display());
    fs::DirBuilder::new().recursive(true).mode(0o700).create(dir).map_err(io)?;
    let made = generate().map_err(|e| format!("creating the self-signed certificate: {e}"))?;
    for (name, text) in [(KEY_FILE, &made.key), (CERT_FILE, &made.chain), (CA_FILE, &made.ca)] {
        write_private(&dir.join(name), text.as_bytes()).map_err(io)?;
    }
    Ok(())
}

/// Writes `path` with mode 0600 through a temporary file and a rename.
fn write_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    let mut f = fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp)?;
    f.write_all(data)?;
    f.sync_all()?;
    drop(f);
    fs::rename(&tmp, path)
}

/// PEM texts of a fresh CA and server certificate.
struct SelfSigned {
    ca: String,
    chain: String,
    key: String,
}

fn validity(params: &mut CertificateParams) {
    use chrono::{Datelike, Duration, Utc};
    let from = Utc::now() - Duration::days(1);
    let until = Utc::now() + Duration::days(SELF_SIGNED_DAYS);
    let ymd = |d: chrono::DateTime<Utc>| rcgen::date_time_ymd(d.year(), d.month() as u8, d.day() as u8);
    params.not_before = ymd(from);
    params.not_after = ymd(until);
}

fn generate() -> Result<SelfSigned, rcgen::Error> {
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.distinguished_name = DistinguishedName::new();
    ca.distinguished_name.push(DnType::CommonName, "eniplane local CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    validity(&mut ca);
    let ca_key = KeyPair::generate()?;
    let ca_cert = ca.self_signed(&ca_key)?;
    let issuer = Issuer::new(ca, ca_key);

    let mut leaf = CertificateParams::new(SELF_SIGNED_NAMES.iter().map(|s| s.to_string()).collect::<Vec<_>>())?;
    leaf.distinguished_name = DistinguishedName::new();
    leaf.distinguished_name.push(DnType::CommonName, "localhost");
    leaf.is_ca = IsCa::ExplicitNoCa;
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf.use_authority_key_identifier_extension = true;
    validity(&mut leaf);
    let key = KeyPair::generate()?;
    let cert = leaf.signed_by(&key, &issuer)?;
    Ok(SelfSigned { ca: ca_cert.pem(), chain: format!("{}{}", cert.pem(), ca_cert.pem()), key: key.serialize_pem() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn self_signed_is_created_once_private_and_loads() {
        let data = tempfile::tempdir().unwrap();
        let first = load(&TlsSource::SelfSigned, data.path()).unwrap();
        let ca = first.ca.clone().unwrap();
        assert_eq!(ca, data.path().join("tls/ca.pem"));
        for name in [CA_FILE, CERT_FILE, KEY_FILE] {
            let mode = fs::metadata(data.path().join("tls").join(name)).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{name}");
        }
        let dir_mode = fs::metadata(data.path().join("tls")).unwrap().permissions().mode() & 0o777;
        assert_eq!(dir_mode, 0o700);
        let before = fs::read(&ca).unwrap();
        load(&TlsSource::SelfSigned, data.path()).unwrap();
        assert_eq!(fs::read(&ca).unwrap(), before, "a later start reuses the certificate");
    }

    #[test]
    fn missing_or_bad_files_are_errors_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("c.pem");
        let key = dir.path().join("k.pem");
        let e = load(&TlsSource::Files { cert: cert.clone(), key: key.clone() }, dir.path()).err().unwrap();
        assert!(e.contains("c.pem"), "{e}");
        fs::write(&cert, "not a certificate").unwrap();
        let e = load(&TlsSource::Files { cert, key }, dir.path()).err().unwrap();
        assert!(e.contains("no certificate"), "{e}");
    }
}
