//! What the relay trusts: a store holding only the root file's CAs (or the
//! system's), checked as `verify-ca` (the chain) or `verify-full` (and the
//! name), and the client's certificate.

use std::sync::Arc;

use tokio_rustls::rustls;

use super::{Pem, Roots, Trust};

fn read_pem(source: &Pem) -> Result<Vec<u8>, String> {
    match source {
        Pem::Text(t) => Ok(t.clone()),
        Pem::File(p) => std::fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display())),
    }
}

pub(super) fn client_config(trust: &Trust) -> Result<rustls::ClientConfig, String> {
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let store = store(&trust.roots)?;
    let verifier = rustls::client::WebPkiServerVerifier::builder_with_provider(
        Arc::new(store),
        Arc::clone(&provider),
    )
    .build()
    .map_err(|e| e.to_string())?;
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?;
    let builder = if trust.check_name {
        builder.with_webpki_verifier(verifier)
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(ChainOnly(verifier)))
    };
    match &trust.client {
        None => Ok(builder.with_no_client_auth()),
        Some((cert, key)) => {
            let chain = CertificateDer::pem_slice_iter(&read_pem(cert)?)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("the client certificate: {e}"))?;
            let key = PrivateKeyDer::from_pem_slice(&read_pem(key)?)
                .map_err(|e| format!("the client key: {e}"))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| e.to_string())
        }
    }
}

/// The CAs to trust, and nothing else: the store starts empty.
pub(super) fn store(roots: &Roots) -> Result<rustls::RootCertStore, String> {
    let mut store = rustls::RootCertStore::empty();
    match roots {
        Roots::System => {
            for cert in rustls_native_certs::load_native_certs().certs {
                let _ = store.add(cert);
            }
            if store.is_empty() {
                return Err("`sslrootcert=system`, and the system has no trusted CA certificates (install ca-certificates)".to_owned());
            }
        }
        Roots::File(path) => add_pems(&mut store, &read_pem(&Pem::File(path.clone()))?)?,
        Roots::Pem(text) => add_pems(&mut store, text)?,
        Roots::Missing(_) => return Err("no root certificate".to_owned()),
    }
    Ok(store)
}

fn add_pems(store: &mut rustls::RootCertStore, pem: &[u8]) -> Result<(), String> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject as _;
    for cert in CertificateDer::pem_slice_iter(pem) {
        let cert = cert.map_err(|e| format!("the root certificate file: {e}"))?;
        store
            .add(cert)
            .map_err(|e| format!("the root certificate file: {e}"))?;
    }
    if store.is_empty() {
        return Err("the root certificate file holds no certificate".to_owned());
    }
    Ok(())
}

/// `verify-ca`: the chain must lead to a trusted CA; the name is not
/// checked (libpq's rule, and sqlx's `NoHostnameTlsVerifier`).
#[derive(Debug)]
struct ChainOnly(Arc<rustls::client::WebPkiServerVerifier>);

impl rustls::client::danger::ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &rustls::pki_types::CertificateDer<'_>,
        intermediates: &[rustls::pki_types::CertificateDer<'_>],
        server_name: &rustls::pki_types::ServerName<'_>,
        ocsp_response: &[u8],
        now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        use rustls::CertificateError as C;
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                C::NotValidForName | C::NotValidForNameContext { .. },
            )) => Ok(rustls::client::danger::ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}
