//! What a coordinator is configured with: the workers (from `DISTRIBUTED_WORKERS`), the chunk size
//! of object transfers, the shared token and the CA certificate for TLS.

/// Settings of a coordinator.
#[derive(Clone, Debug)]
pub struct CoordinatorOptions {
    /// The workers' `host:port` addresses.
    pub workers: Vec<String>,
    /// Largest message of `Store`/`Transfer` in bytes (`--max-distr-chunk-size`).
    pub chunk_bytes: usize,
    /// The shared token the workers expect, if any.
    pub token: Option<String>,
    /// The CA certificate (PEM) that signed the workers' certificates: with it the coordinator
    /// speaks TLS to every worker (`DAPHNE_WORKER_TLS_CA`), without it plaintext.
    pub tls_ca: Option<Vec<u8>>,
}

/// Parses `DISTRIBUTED_WORKERS`: comma-separated `host:port` entries, spaces around them ignored.
pub fn parse_worker_list(text: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for entry in text.split(',').map(str::trim) {
        if entry.is_empty() {
            if text.trim().is_empty() {
                return Err("DISTRIBUTED_WORKERS is empty: give the workers as host:port,host:port,...".into());
            }
            return Err(format!("DISTRIBUTED_WORKERS `{text}` has an empty entry"));
        }
        let valid = entry.rsplit_once(':').is_some_and(|(host, port)| {
            !host.is_empty() && !host.contains(char::is_whitespace) && port.parse::<u16>().is_ok_and(|p| p > 0)
        });
        if !valid {
            return Err(format!("the worker address `{entry}` in DISTRIBUTED_WORKERS is not host:port"));
        }
        out.push(entry.to_string());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worker_lists_are_trimmed_and_validated() {
        assert_eq!(
            parse_worker_list(" 127.0.0.1:5000 , localhost:5001").unwrap(),
            vec!["127.0.0.1:5000".to_string(), "localhost:5001".to_string()]
        );
        assert!(parse_worker_list("").unwrap_err().contains("empty"));
        assert!(parse_worker_list("a:1,,b:2").unwrap_err().contains("empty entry"));
        assert!(parse_worker_list("127.0.0.1").unwrap_err().contains("host:port"));
        assert!(parse_worker_list("h:99999").unwrap_err().contains("host:port"));
        assert!(parse_worker_list("h:0").unwrap_err().contains("host:port"));
    }
}
