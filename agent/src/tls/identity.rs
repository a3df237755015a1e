//! The agent's TLS identity on disk: a self-signed CA made on first run and kept, and a serving
//! certificate it signs for the machine's names. kubeconfigs carry the CA, so they stay valid
//! across restarts; the serving certificate is re-issued (by the same CA) only when the names it
//! must cover change. Private keys are written 0600.

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::fs;
use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

/// The directory under `--state-dir` holding the files below.
const DIR: &str = "tls";
const CA_CERT: &str = "ca.crt";
const CA_KEY: &str = "ca.key";
const SERVER_CERT: &str = "server.crt";
const SERVER_KEY: &str = "server.key";
/// The names the stored serving certificate was issued for, one a line.
const SERVER_NAMES: &str = "server.names";
/// The CA's common name; also how the serving certificate names its issuer.
const CA_COMMON_NAME: &str = "kubeplay-agent CA";
/// Ten years: a playground's CA should outlive the kubeconfigs written from it.
const VALIDITY_DAYS: i64 = 3650;

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a usable PEM key or certificate ({reason}); delete the {dir} directory to make a new CA (kubeconfigs written before must then be written again)", dir = DIR)]
    Unreadable { path: PathBuf, reason: String },
    #[error("cannot make the TLS certificate: {0}")]
    Generate(#[from] rcgen::Error),
    #[error(
        "no CA in {0}: start `kubeplay-agent run` once with the same --state-dir, which makes it"
    )]
    NoCa(PathBuf),
}

/// What the TLS server needs.
pub struct Identity {
    pub cert_chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
}

/// Loads the identity kept in `state_dir`, making whatever is missing or out of date.
pub fn load_or_create(state_dir: &Path, names: &[String]) -> Result<Identity, IdentityError> {
    let dir = state_dir.join(DIR);
    create_private_dir(&dir)?;
    let (ca_key, ca_is_new) = match (read(&dir, CA_CERT)?, read(&dir, CA_KEY)?) {
        (Some(_), Some(key)) => (parse_key(&dir.join(CA_KEY), &key)?, false),
        _ => {
            let key = KeyPair::generate()?;
            let cert = ca_params()?.self_signed(&key)?;
            write_public(&dir.join(CA_CERT), cert.pem().as_bytes())?;
            write_private(&dir.join(CA_KEY), key.serialize_pem().as_bytes())?;
            tracing::info!("made a new TLS CA in {}", dir.display());
            (key, true)
        }
    };
    let wanted_names = names.join("\n") + "\n";
    let stored = (
        read(&dir, SERVER_CERT)?,
        read(&dir, SERVER_KEY)?,
        read(&dir, SERVER_NAMES)?,
    );
    let (cert_pem, key_pem) = match stored {
        (Some(cert), Some(key), Some(stored_names))
            if !ca_is_new && stored_names == wanted_names =>
        {
            (cert, key)
        }
        _ => {
            let key = KeyPair::generate()?;
            let issuer = Issuer::new(ca_params()?, ca_key);
            let cert = server_params(names)?.signed_by(&key, &issuer)?;
            write_public(&dir.join(SERVER_CERT), cert.pem().as_bytes())?;
            write_private(&dir.join(SERVER_KEY), key.serialize_pem().as_bytes())?;
            write_public(&dir.join(SERVER_NAMES), wanted_names.as_bytes())?;
            (cert.pem(), key.serialize_pem())
        }
    };
    let unreadable = |file: &str, e: rustls::pki_types::pem::Error| IdentityError::Unreadable {
        path: dir.join(file),
        reason: e.to_string(),
    };
    let cert = CertificateDer::from_pem_slice(cert_pem.as_bytes())
        .map_err(|e| unreadable(SERVER_CERT, e))?;
    let key =
        PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).map_err(|e| unreadable(SERVER_KEY, e))?;
    Ok(Identity {
        cert_chain: vec![cert],
        key,
    })
}

/// The CA certificate `run` made in `state_dir`, for `kubeplay-agent kubeconfig`.
pub fn read_ca(state_dir: &Path) -> Result<String, IdentityError> {
    let dir = state_dir.join(DIR);
    read(&dir, CA_CERT)?.ok_or(IdentityError::NoCa(state_dir.to_path_buf()))
}

/// The CA's parameters; fixed, so a CA key read back from disk signs as the same issuer.
fn ca_params() -> Result<CertificateParams, rcgen::Error> {
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, CA_COMMON_NAME);
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    set_validity(&mut params);
    Ok(params)
}

fn server_params(names: &[String]) -> Result<CertificateParams, rcgen::Error> {
    let mut params = CertificateParams::new(names.to_vec())?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "kubeplay-agent");
    params.distinguished_name = dn;
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    set_validity(&mut params);
    Ok(params)
}

/// From a day ago (clocks differ between machines) for [`VALIDITY_DAYS`].
fn set_validity(params: &mut CertificateParams) {
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(VALIDITY_DAYS);
}

fn parse_key(path: &Path, pem: &str) -> Result<KeyPair, IdentityError> {
    KeyPair::from_pem(pem).map_err(|e| IdentityError::Unreadable {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

/// The file's text, or `None` when it does not exist.
fn read(dir: &Path, file: &str) -> Result<Option<String>, IdentityError> {
    let path = dir.join(file);
    match fs::read_to_string(&path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(IdentityError::Io { path, source }),
    }
}

fn create_private_dir(dir: &Path) -> Result<(), IdentityError> {
    let io = |source| IdentityError::Io {
        path: dir.to_path_buf(),
        source,
    };
    fs::create_dir_all(dir).map_err(io)?;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(io)
}

fn write_public(path: &Path, bytes: &[u8]) -> Result<(), IdentityError> {
    write_with_mode(path, bytes, 0o644)
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), IdentityError> {
    write_with_mode(path, bytes, 0o600)
}

/// Writes beside the target and renames, so a crash never leaves half a key; the mode is set
/// before any byte is written. (One agent per state directory: two starting at once on a new
/// one could each make a CA.)
fn write_with_mode(path: &Path, bytes: &[u8], mode: u32) -> Result<(), IdentityError> {
    let io = |source| IdentityError::Io {
        path: path.to_path_buf(),
        source,
    };
    let partial = path.with_extension(format!("partial-{}", std::process::id()));
    let _ = fs::remove_file(&partial);
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&partial)
        .map_err(io)?;
    file.write_all(bytes).map_err(io)?;
    file.sync_all().map_err(io)?;
    fs::set_permissions(&partial, fs::Permissions::from_mode(mode)).map_err(io)?;
    fs::rename(&partial, path).map_err(io)
}

/// A fresh, empty state directory under the system temp dir, for tests.
#[cfg(test)]
pub fn temp_state_dir() -> PathBuf {
    let mut id = [0u8; 8];
    getrandom::fill(&mut id).unwrap();
    let dir = std::env::temp_dir().join(format!("kubeplay-tls-test-{}", u64::from_le_bytes(id)));
    fs::create_dir_all(&dir).unwrap();
    dir
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    use super::temp_state_dir as temp_state;

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn the_first_run_makes_a_ca_and_keys_only_the_owner_can_read() {
        let state = temp_state();
        load_or_create(&state, &names(&["localhost", "127.0.0.1"])).unwrap();
        assert!(read_ca(&state)
            .unwrap()
            .starts_with("-----BEGIN CERTIFICATE-----"));
        let dir = state.join(DIR);
        assert_eq!(mode(&dir.join(CA_KEY)), 0o600);
        assert_eq!(mode(&dir.join(SERVER_KEY)), 0o600);
        assert_eq!(mode(&dir), 0o700);
        fs::remove_dir_all(&state).unwrap();
    }

    #[test]
    fn a_restart_reuses_the_ca_and_the_certificate() {
        let state = temp_state();
        let wanted = names(&["localhost", "10.1.2.3"]);
        let first = load_or_create(&state, &wanted).unwrap();
        let ca = read_ca(&state).unwrap();
        let second = load_or_create(&state, &wanted).unwrap();
        assert_eq!(read_ca(&state).unwrap(), ca);
        assert_eq!(first.cert_chain, second.cert_chain);
        assert_eq!(first.key.secret_der(), second.key.secret_der());
        fs::remove_dir_all(&state).unwrap();
    }

    #[test]
    fn new_names_get_a_new_certificate_from_the_same_ca() {
        let state = temp_state();
        let first = load_or_create(&state, &names(&["localhost"])).unwrap();
        let ca = read_ca(&state).unwrap();
        let second = load_or_create(&state, &names(&["localhost", "play.example"])).unwrap();
        assert_eq!(read_ca(&state).unwrap(), ca);
        assert_ne!(first.cert_chain, second.cert_chain);
        fs::remove_dir_all(&state).unwrap();
    }

    #[test]
    fn kubeconfig_without_a_ca_says_to_run_first() {
        let state = temp_state();
        assert!(matches!(read_ca(&state), Err(IdentityError::NoCa(_))));
        fs::remove_dir_all(&state).unwrap();
    }

    #[test]
    fn a_damaged_ca_key_is_a_clear_error_not_a_new_ca() {
        let state = temp_state();
        load_or_create(&state, &names(&["localhost"])).unwrap();
        fs::write(state.join(DIR).join(CA_KEY), "garbage").unwrap();
        let err = load_or_create(&state, &names(&["localhost", "x"]))
            .err()
            .unwrap();
        assert!(matches!(err, IdentityError::Unreadable { .. }), "{err}");
        fs::remove_dir_all(&state).unwrap();
    }
}
