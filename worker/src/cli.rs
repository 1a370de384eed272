//! The command line and configuration file of `DistributedWorker IP:PORT [config.json]`: flags on
//! clap (as `daphne`'s), the configuration's keys (DAPHNE's `UserConfig` keys are accepted; only
//! `numberOfThreads` has an effect there, plus ours), and how the two combine: a flag wins over
//! the file's key.

use clap::Parser;
use daphne_distributed::auth::validate_token;
use std::time::Duration;

/// Parses a byte count with an optional K, M or G suffix (powers of 1024).
pub fn parse_bytes(s: &str) -> Option<u64> {
    let s = s.trim();
    let (digits, unit) = match s.char_indices().last()? {
        (i, 'k' | 'K') => (&s[..i], 1u64 << 10),
        (i, 'm' | 'M') => (&s[..i], 1 << 20),
        (i, 'g' | 'G') => (&s[..i], 1 << 30),
        _ => (s, 1),
    };
    digits.parse::<u64>().ok()?.checked_mul(unit)
}

fn byte_count(s: &str) -> Result<u64, String> {
    parse_bytes(s).ok_or_else(|| "needs a byte count (e.g. 512M)".to_string())
}

fn seconds(s: &str) -> Result<Duration, String> {
    s.parse::<u64>().map(Duration::from_secs).map_err(|_| "needs a number of seconds".to_string())
}

/// Seconds with a fraction (`0.5`), not negative.
fn fractional_seconds(s: &str) -> Result<Duration, String> {
    s.parse::<f64>()
        .ok()
        .and_then(|v| Duration::try_from_secs_f64(v).ok())
        .ok_or_else(|| "needs a number of seconds (e.g. 30 or 0.5)".to_string())
}

#[derive(Parser, Debug)]
#[command(
    name = "DistributedWorker",
    about = "A DAPHNE distributed worker: stores partitions of data objects, runs the DaphneIR pipelines \
             coordinators send it and hands back the results.",
    after_help = "The shared token comes from DAPHNE_WORKER_TOKEN or the configuration's `token`;\n\
                  --tls-cert/--tls-key (or `tlsCert`/`tlsKey`) are PEM files: with them the worker serves only TLS."
)]
pub struct Cli {
    /// The address to listen on (port 0: a free port, printed once the worker listens).
    #[arg(value_name = "IP:PORT")]
    pub addr: String,

    /// A JSON configuration file (keys: numberOfThreads, memoryLimit, sessionTimeoutSeconds,
    /// taskTimeoutSeconds, token, tlsCert, tlsKey, dataDir).
    #[arg(value_name = "CONFIG")]
    pub config: Option<String>,

    /// Threads of the worker's vectorized engine (0: one per core). Config key `numberOfThreads`.
    #[arg(long, value_name = "N")]
    pub num_threads: Option<usize>,

    /// Bytes of objects the worker may hold at once (suffixes K, M, G); beyond it, stores and tasks
    /// fail with RESOURCE_EXHAUSTED. Config key `memoryLimit`.
    #[arg(long, value_name = "BYTES", value_parser = byte_count)]
    pub memory_limit: Option<u64>,

    /// Seconds a session may stay without calls before its objects are freed (default 600). Config
    /// key `sessionTimeoutSeconds`.
    #[arg(long, value_name = "SECONDS", value_parser = seconds)]
    pub session_timeout: Option<Duration>,

    /// PEM certificate (chain) of the worker: with --tls-key, it serves only TLS. Config key `tlsCert`.
    #[arg(long, value_name = "PATH")]
    pub tls_cert: Option<String>,

    /// PEM private key of the certificate. Config key `tlsKey`.
    #[arg(long, value_name = "PATH")]
    pub tls_key: Option<String>,

    /// Run pipelines on the kernels instead of JIT-compiled code (to compare both).
    #[arg(long)]
    pub no_codegen: bool,

    /// Bytes of input a pipeline must have processed over all its runs before it is JIT-compiled
    /// (as `daphne --codegen-threshold`).
    #[arg(long, value_name = "BYTES")]
    pub codegen_threshold: Option<u64>,

    /// Wall-clock limit of one task in seconds: a task still running then is cancelled and its call
    /// fails with DEADLINE_EXCEEDED (default: no limit). Config key `taskTimeoutSeconds`.
    #[arg(long, value_name = "SECONDS", value_parser = fractional_seconds)]
    pub task_timeout: Option<Duration>,

    /// Serve on an address other than loopback without a token (anyone who reaches the address can
    /// then store data and run tasks here). Without it, such a worker refuses to start.
    #[arg(long)]
    pub insecure: bool,

    /// Let tasks read files under DIR (and nowhere else; links and `..` are resolved first): a
    /// `readMatrix` whose rows only distributed pipelines use is then read here, each worker its
    /// row block, from the same path on shared storage. Without it the worker reads no files and
    /// the coordinator reads them instead. Config key `dataDir`.
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<String>,

    /// Stop when standard input closes (how `daphne` starts its embedded workers, so that they end
    /// with it even if it is killed).
    #[arg(long)]
    pub exit_with_stdin: bool,
}

/// What the configuration file sets.
#[derive(Default)]
pub struct FileSettings {
    pub threads: Option<usize>,
    pub memory_limit: Option<u64>,
    pub session_timeout: Option<Duration>,
    pub task_timeout: Option<Duration>,
    pub token: Option<String>,
    pub tls_cert: Option<String>,
    pub tls_key: Option<String>,
    pub data_dir: Option<String>,
}

/// Reads the optional worker configuration: DAPHNE's `UserConfig` keys are accepted (only
/// `numberOfThreads` has an effect), plus ours: `memoryLimit`, `sessionTimeoutSeconds`,
/// `taskTimeoutSeconds`, `token`, `tlsCert`, `tlsKey`, `dataDir`.
pub fn read_config(path: &str) -> Result<FileSettings, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read the configuration `{path}`: {e}"))?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("the configuration `{path}` is not valid JSON: {e}"))?;
    let obj = json.as_object().ok_or_else(|| format!("the configuration `{path}` must be a JSON object"))?;
    let bad = |key: &str| format!("the configuration `{path}`: `{key}` has an invalid value");
    let mut s = FileSettings::default();
    if let Some(v) = obj.get("numberOfThreads") {
        s.threads = Some(v.as_i64().ok_or_else(|| bad("numberOfThreads"))?.max(0) as usize);
    }
    if let Some(v) = obj.get("memoryLimit") {
        let n = v.as_u64().or_else(|| v.as_str().and_then(parse_bytes)).ok_or_else(|| bad("memoryLimit"))?;
        s.memory_limit = Some(n);
    }
    if let Some(v) = obj.get("sessionTimeoutSeconds") {
        s.session_timeout = Some(Duration::from_secs(v.as_u64().ok_or_else(|| bad("sessionTimeoutSeconds"))?));
    }
    if let Some(v) = obj.get("taskTimeoutSeconds") {
        let secs = v.as_f64().and_then(|v| Duration::try_from_secs_f64(v).ok());
        s.task_timeout = Some(secs.ok_or_else(|| bad("taskTimeoutSeconds"))?);
    }
    if let Some(v) = obj.get("token") {
        let t = v.as_str().ok_or_else(|| bad("token"))?;
        validate_token(t).map_err(|e| format!("the configuration `{path}`: {e}"))?;
        s.token = Some(t.to_string());
    }
    if let Some(v) = obj.get("tlsCert") {
        s.tls_cert = Some(v.as_str().ok_or_else(|| bad("tlsCert"))?.to_string());
    }
    if let Some(v) = obj.get("tlsKey") {
        s.tls_key = Some(v.as_str().ok_or_else(|| bad("tlsKey"))?.to_string());
    }
    if let Some(v) = obj.get("dataDir") {
        s.data_dir = Some(v.as_str().ok_or_else(|| bad("dataDir"))?.to_string());
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_counts_take_suffixes() {
        assert_eq!(parse_bytes("512"), Some(512));
        assert_eq!(parse_bytes("2K"), Some(2048));
        assert_eq!(parse_bytes("3m"), Some(3 << 20));
        assert_eq!(parse_bytes("1G"), Some(1 << 30));
        assert_eq!(parse_bytes("x"), None);
        assert_eq!(parse_bytes("99999999999G"), None);
    }

    #[test]
    fn flags_parse() {
        let cli = Cli::try_parse_from(["DistributedWorker", "--memory-limit", "1M", "--no-codegen", "127.0.0.1:0"])
            .expect("parses");
        assert_eq!((cli.memory_limit, cli.no_codegen, cli.addr.as_str()), (Some(1 << 20), true, "127.0.0.1:0"));
        assert!(Cli::try_parse_from(["DistributedWorker", "--memory-limit", "lots", "127.0.0.1:0"]).is_err());
        assert!(Cli::try_parse_from(["DistributedWorker"]).is_err());
    }
}
