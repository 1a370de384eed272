//! Optional TLS (rustls) between a coordinator and its workers: a worker started with a
//! certificate and key (PEM) serves only TLS; a coordinator given the CA certificate that signed
//! them (`DAPHNE_WORKER_TLS_CA`) connects with `https://` and checks the worker's certificate
//! against the host part of the worker's address (a DNS name or an IP address SAN). Both sides
//! must agree: plaintext against TLS fails at the first call, with a message that says so.

/// The environment variable the coordinator reads the CA certificate's path from.
pub const TLS_CA_ENV: &str = "DAPHNE_WORKER_TLS_CA";

/// How long a TLS handshake may take, on either side.
pub const HANDSHAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// What a failed connection or first call adds as a hint when TLS may be the cause.
pub const MISMATCH_HINT: &str = "is TLS configured the same on both sides? The workers' --tls-cert/--tls-key and the coordinator's DAPHNE_WORKER_TLS_CA";

/// Reads a PEM file that must hold at least one `what` block (`CERTIFICATE`, `PRIVATE KEY`);
/// `role` names the file in messages.
pub fn read_pem(path: &str, role: &str, what: &str) -> Result<Vec<u8>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read the {role} `{path}`: {e}"))?;
    let text = String::from_utf8_lossy(&bytes);
    let found = text.lines().any(|l| {
        l.trim().strip_prefix("-----BEGIN ").and_then(|r| r.strip_suffix("-----")).is_some_and(|k| k.ends_with(what))
    });
    if !found {
        return Err(format!("the {role} `{path}` holds no PEM {what} (`-----BEGIN ...{what}-----`)"));
    }
    Ok(bytes)
}

/// Reads the CA certificate the coordinator trusts (PEM).
pub fn read_ca(path: &str) -> Result<Vec<u8>, String> {
    read_pem(path, &format!("worker CA certificate ({TLS_CA_ENV})"), "CERTIFICATE")
}

/// The host part of a `host:port` worker address (brackets of an IPv6 address removed): the
/// name the worker's certificate must hold.
pub fn host_of(addr: &str) -> &str {
    let host = addr.rsplit_once(':').map_or(addr, |(h, _)| h);
    host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_pem_files() {
        assert_eq!(host_of("127.0.0.1:5000"), "127.0.0.1");
        assert_eq!(host_of("[::1]:5000"), "::1");
        assert_eq!(host_of("worker-1.example:80"), "worker-1.example");
        let dir = std::env::temp_dir().join(format!("daphne-tls-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("ca.pem");
        std::fs::write(&good, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").unwrap();
        let bad = dir.join("bad.pem");
        std::fs::write(&bad, "hello").unwrap();
        assert!(read_ca(good.to_str().unwrap()).is_ok());
        assert!(read_ca(bad.to_str().unwrap()).unwrap_err().contains("holds no PEM CERTIFICATE"));
        assert!(read_ca("/nonexistent/ca.pem").unwrap_err().contains("cannot read the worker CA certificate"));
        let key = dir.join("key.pem");
        std::fs::write(&key, "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n").unwrap();
        assert!(read_pem(key.to_str().unwrap(), "key", "PRIVATE KEY").is_ok());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
