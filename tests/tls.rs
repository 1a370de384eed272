//! TLS between `daphne` and real `DistributedWorker` processes on 127.0.0.1: certificates made at
//! test time with rcgen (a CA, a worker certificate for `127.0.0.1`/`localhost` signed by it, and
//! an unrelated CA), a TLS run with a token that matches the local result, and every mismatch
//! (plaintext against TLS either way, a wrong CA, half a worker identity, unreadable files)
//! ending with a clear message and the right exit code. Every wait is bounded; every process is
//! stopped.

use crate::common::workers::{Workers, start_worker_env};
use crate::common::{root, run_daphne_env, wait_bounded};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(60);
/// A mismatch must be reported well within this.
const MISMATCH_LIMIT: Duration = Duration::from_secs(20);
const SCRIPT: &str = "tests/scripts/distributed/uneven_rows.daph";
const TOKEN: &str = "tls-test-token";

/// A temporary directory with the test's certificates, removed at the end.
struct Pki {
    dir: PathBuf,
}

impl Pki {
    /// A CA, a worker certificate signed by it, and another CA that signed nothing here.
    fn new(name: &str) -> Pki {
        let dir = std::env::temp_dir().join(format!("daphne-tls-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let (ca_pem, issuer) = ca("daphne test CA");
        let (other_pem, _) = ca("another CA");
        let key = KeyPair::generate().expect("a key pair");
        let mut params =
            CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()]).expect("valid names");
        params.distinguished_name.push(DnType::CommonName, "daphne test worker");
        let cert = params.signed_by(&key, &issuer).expect("the worker certificate");
        let pki = Pki { dir };
        std::fs::write(pki.path("ca.pem"), ca_pem).expect("write");
        std::fs::write(pki.path("other-ca.pem"), other_pem).expect("write");
        std::fs::write(pki.path("worker.pem"), cert.pem()).expect("write");
        std::fs::write(pki.path("worker.key"), key.serialize_pem()).expect("write");
        pki
    }

    fn path(&self, file: &str) -> String {
        self.dir.join(file).to_string_lossy().to_string()
    }

    /// The worker arguments that turn TLS on.
    fn worker_args(&self) -> Vec<String> {
        vec!["--tls-cert".into(), self.path("worker.pem"), "--tls-key".into(), self.path("worker.key")]
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A self-signed CA: its certificate (PEM) and the issuer that signs with it.
fn ca(name: &str) -> (String, Issuer<'static, KeyPair>) {
    let key = KeyPair::generate().expect("a key pair");
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("no names");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    let cert = params.self_signed(&key).expect("the CA certificate");
    (cert.pem(), Issuer::new(params, key))
}

fn expected() -> String {
    std::fs::read_to_string(root().join("tests/scripts/distributed/uneven_rows.txt")).expect("expected output")
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// Runs the distributed script against `workers`; also returns how long it took.
fn run(workers: &str, env: &[(&str, &str)], extra: &[&str]) -> (Output, Duration) {
    let mut a: Vec<String> = vec!["--distributed".into()];
    a.extend(extra.iter().map(|s| s.to_string()));
    a.push(SCRIPT.into());
    let mut e = vec![("DISTRIBUTED_WORKERS", workers)];
    e.extend_from_slice(env);
    let start = Instant::now();
    let out = run_daphne_env(&a, &e, TIMEOUT);
    (out, start.elapsed())
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

/// Runs a worker that is expected to refuse to start; its exit code and stderr.
fn worker_fails(args: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_DistributedWorker"))
        .env_remove("DAPHNE_WORKER_TOKEN")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("DistributedWorker starts");
    let code = wait_bounded(&mut child, Duration::from_secs(20));
    let out = child.wait_with_output().expect("its output");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("Started"), "the worker started");
    (code, String::from_utf8_lossy(&out.stderr).to_string())
}

#[test]
fn tls_with_a_token_gives_the_local_result() {
    let pki = Pki::new("ok");
    let args = pki.worker_args();
    let workers = Workers::start_with(2, &strs(&args), &[("DAPHNE_WORKER_TOKEN", TOKEN)]);
    let list = workers.list();
    let ca = pki.path("ca.pem");
    let (out, _) = run(&list, &[("DAPHNE_WORKER_TLS_CA", &ca), ("DAPHNE_WORKER_TOKEN", TOKEN)], &["--dist-stats"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected());
    assert!(stderr(&out).contains("distributed on 2 workers"), "{}", stderr(&out));
    // The same through the configuration files: the worker's `tlsCert`/`tlsKey`, daphne's
    // `worker_tls_ca` and `worker_token`.
    let worker_config = pki.path("worker.json");
    let json =
        serde_json::json!({ "tlsCert": pki.path("worker.pem"), "tlsKey": pki.path("worker.key"), "token": TOKEN });
    std::fs::write(&worker_config, json.to_string()).expect("write");
    let (_child, addr) = {
        let (child, addr) = start_worker_env(&["--num-threads", "1", "127.0.0.1:0", &worker_config], &[]);
        (KillOnDrop(child), addr)
    };
    let daphne_config = pki.path("daphne.json");
    let json = serde_json::json!({ "worker_tls_ca": ca, "worker_token": TOKEN });
    std::fs::write(&daphne_config, json.to_string()).expect("write");
    let (out, _) = run(&addr, &[], &["--config", &daphne_config]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected());
}

/// Kills a child process when dropped.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A run that must fail to connect: exit code 3, quickly, naming the worker and TLS.
fn assert_refused(out: &Output, took: Duration, addr: &str) -> String {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(took < MISMATCH_LIMIT, "took {took:?}: {err}");
    assert!(err.contains(&format!("worker `{addr}`")), "{err}");
    assert!(out.stdout.is_empty(), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(!err.contains("panicked"), "{err}");
    err
}

#[test]
fn a_plaintext_coordinator_cannot_use_a_tls_worker() {
    let pki = Pki::new("plain-to-tls");
    let args = pki.worker_args();
    let workers = Workers::start_with(1, &strs(&args), &[]);
    let (out, took) = run(&workers.list(), &[], &[]);
    let err = assert_refused(&out, took, &workers.addrs[0]);
    assert!(err.contains("DAPHNE_WORKER_TLS_CA"), "{err}");
    eprintln!("{err}");
}

#[test]
fn a_tls_coordinator_cannot_use_a_plaintext_worker() {
    let pki = Pki::new("tls-to-plain");
    let workers = Workers::start(1);
    let ca = pki.path("ca.pem");
    let (out, took) = run(&workers.list(), &[("DAPHNE_WORKER_TLS_CA", &ca)], &[]);
    let err = assert_refused(&out, took, &workers.addrs[0]);
    assert!(err.contains("DAPHNE_WORKER_TLS_CA"), "{err}");
    eprintln!("{err}");
}

#[test]
fn a_wrong_ca_is_refused() {
    let pki = Pki::new("wrong-ca");
    let args = pki.worker_args();
    let workers = Workers::start_with(1, &strs(&args), &[]);
    let other = pki.path("other-ca.pem");
    let (out, took) = run(&workers.list(), &[("DAPHNE_WORKER_TLS_CA", &other)], &[]);
    let err = assert_refused(&out, took, &workers.addrs[0]);
    assert!(err.contains("does not verify against DAPHNE_WORKER_TLS_CA"), "{err}");
    eprintln!("{err}");
}

#[test]
fn an_unreadable_ca_file_is_named() {
    let pki = Pki::new("bad-ca");
    let workers = Workers::start(1);
    let missing = pki.path("missing.pem");
    let (out, _) = run(&workers.list(), &[("DAPHNE_WORKER_TLS_CA", &missing)], &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains(&missing) && err.contains("DAPHNE_WORKER_TLS_CA"), "{err}");
    // A file that is no certificate (the key) is refused as well.
    let key = pki.path("worker.key");
    let (out, _) = run(&workers.list(), &[("DAPHNE_WORKER_TLS_CA", &key)], &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains(&key) && err.contains("no PEM CERTIFICATE"), "{err}");
}

#[test]
fn a_worker_needs_both_or_neither_of_certificate_and_key() {
    let pki = Pki::new("half");
    let (cert, key) = (pki.path("worker.pem"), pki.path("worker.key"));
    let (code, err) = worker_fails(&["--tls-cert", &cert, "127.0.0.1:0"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("--tls-cert (tlsCert) needs --tls-key"), "{err}");
    let (code, err) = worker_fails(&["--tls-key", &key, "127.0.0.1:0"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("needs --tls-cert"), "{err}");
    let config = pki.path("half.json");
    std::fs::write(&config, serde_json::json!({ "tlsCert": cert }).to_string()).expect("write");
    let (code, err) = worker_fails(&["127.0.0.1:0", &config]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("needs --tls-key"), "{err}");
    // Unreadable or invalid files.
    let missing = pki.path("missing.pem");
    let (code, err) = worker_fails(&["--tls-cert", &missing, "--tls-key", &key, "127.0.0.1:0"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("cannot read the TLS certificate") && err.contains(&missing), "{err}");
    let (code, err) = worker_fails(&["--tls-cert", &key, "--tls-key", &key, "127.0.0.1:0"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("holds no PEM CERTIFICATE"), "{err}");
    let garbage = pki.path("garbage.key");
    std::fs::write(&garbage, "-----BEGIN PRIVATE KEY-----\nnot base64 at all\n-----END PRIVATE KEY-----\n")
        .expect("write");
    let (code, err) = worker_fails(&["--tls-cert", &cert, "--tls-key", &garbage, "127.0.0.1:0"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("invalid"), "{err}");
    // A certificate with a key that is not its own.
    let other = pki.path("other.key");
    std::fs::write(&other, KeyPair::generate().expect("a key pair").serialize_pem()).expect("write");
    let (code, err) = worker_fails(&["--tls-cert", &cert, "--tls-key", &other, "127.0.0.1:0"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("the TLS certificate or key is invalid"), "{err}");
}
