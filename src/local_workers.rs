//! The embedded default of `daphne --distributed`: with `DISTRIBUTED_WORKERS` unset, `daphne`
//! starts N `DistributedWorker` processes (the binary beside its own) on free loopback ports,
//! uses them for the run and stops them at its end. The workers watch their standard input, so
//! they stop with `daphne` even when it is killed. Each run's workers get a fresh random token
//! (so no other process on the machine can use them) and `--data-dir /`: they read the files
//! `daphne` could read itself, as the same user on the same machine.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Workers started when `--workers` does not say.
pub const DEFAULT_WORKERS: usize = 2;
/// How long a worker may take to report that it listens.
const START_TIMEOUT: Duration = Duration::from_secs(20);
const BANNER: &str = "Started Distributed Worker on `";

/// Running local workers; dropping this stops them.
pub struct LocalWorkers {
    children: Vec<(Child, Option<ChildStdin>)>,
    pub addrs: Vec<String>,
    /// The token the workers expect.
    pub token: String,
}

impl LocalWorkers {
    /// Starts `n` workers; `threads` is the engine threads of all of them together (0: all cores).
    pub fn start(n: usize, threads: usize) -> Result<LocalWorkers, String> {
        if n == 0 {
            return Err("--workers must be at least 1".into());
        }
        let exe = std::env::current_exe().map_err(|e| format!("cannot find the daphne executable: {e}"))?;
        let worker = exe.with_file_name(format!("DistributedWorker{}", std::env::consts::EXE_SUFFIX));
        if !worker.exists() {
            return Err(format!(
                "cannot start local workers: `{}` does not exist (build it with `cargo build --release`)",
                worker.display()
            ));
        }
        let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
        let per_worker = (if threads == 0 { cores } else { threads } / n).max(1);
        let token = fresh_token()?;
        let mut started =
            LocalWorkers { children: Vec::with_capacity(n), addrs: Vec::with_capacity(n), token: token.clone() };
        for _ in 0..n {
            let mut child = Command::new(&worker)
                .args(["--exit-with-stdin", "--num-threads", &per_worker.to_string(), "--data-dir", "/", "127.0.0.1:0"])
                .env(daphne_distributed::auth::TOKEN_ENV, &token)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .map_err(|e| format!("cannot start `{}`: {e}", worker.display()))?;
            let stdin = child.stdin.take();
            let stdout = child.stdout.take();
            started.children.push((child, stdin));
            let stdout = stdout.ok_or("cannot read a local worker's output")?;
            started.addrs.push(wait_for_banner(stdout)?);
        }
        Ok(started)
    }
}

/// 32 random bytes from the operating system, in hex.
fn fresh_token() -> Result<String, String> {
    use std::io::Read;
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| format!("cannot make a token for the local workers: {e}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Reads the worker's banner line (bounded in time) and returns its address; the rest of its
/// output is drained so that it never blocks on a full pipe.
fn wait_for_banner(stdout: std::process::ChildStdout) -> Result<String, String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        let first = lines.next();
        let _ = tx.send(first);
        for _ in lines {}
    });
    match rx.recv_timeout(START_TIMEOUT) {
        Ok(Some(Ok(line))) => line
            .strip_prefix(BANNER)
            .and_then(|rest| rest.strip_suffix('`'))
            .map(str::to_string)
            .ok_or_else(|| format!("a local worker printed `{line}` instead of its address")),
        Ok(_) => Err("a local worker ended before listening".into()),
        Err(_) => Err(format!("a local worker did not start within {} s", START_TIMEOUT.as_secs())),
    }
}

impl Drop for LocalWorkers {
    fn drop(&mut self) {
        for (child, stdin) in &mut self.children {
            drop(stdin.take());
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
