//! Real `DistributedWorker` processes for tests: started on 127.0.0.1 with port 0 (the banner
//! line tells the port), bounded waits, always stopped (killed on drop, also when a test fails).

#![allow(dead_code)]

use daphne_distributed::proto::worker_client::WorkerClient;
use daphne_distributed::proto::{FreeRequest, PROTOCOL_VERSION};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub const BANNER: &str = "Started Distributed Worker on `";

/// Running workers; dropping this kills them.
pub struct Workers {
    pub children: Vec<Child>,
    pub addrs: Vec<String>,
}

impl Workers {
    /// Starts `n` workers with one engine thread each.
    pub fn start(n: usize) -> Workers {
        Workers::start_with(n, &[], &[])
    }

    /// Starts `n` workers with extra arguments and environment variables.
    pub fn start_with(n: usize, args: &[&str], env: &[(&str, &str)]) -> Workers {
        let mut w = Workers { children: Vec::new(), addrs: Vec::new() };
        for _ in 0..n {
            let mut a = vec!["--num-threads", "1"];
            a.extend_from_slice(args);
            a.push("127.0.0.1:0");
            let (child, addr) = start_worker_env(&a, env);
            w.children.push(child);
            w.addrs.push(addr);
        }
        w
    }

    /// Kills worker `i` (SIGKILL).
    pub fn kill(&mut self, i: usize) {
        let _ = self.children[i].kill();
        let _ = self.children[i].wait();
    }

    /// The resident memory of worker `i` in KiB (Linux).
    pub fn rss_kib(&self, i: usize) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.children[i].id())).expect("/proc status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS")
    }

    /// The `DISTRIBUTED_WORKERS` value.
    pub fn list(&self) -> String {
        self.addrs.join(",")
    }

    /// Objects the worker holds over all sessions.
    pub fn object_count(&self, i: usize) -> u64 {
        object_count(&self.addrs[i])
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Starts one worker with the given arguments and waits (bounded) for its banner.
pub fn start_worker(args: &[&str]) -> (Child, String) {
    start_worker_env(args, &[])
}

/// Like `start_worker`, with environment variables (`DAPHNE_WORKER_TOKEN` removed unless given).
pub fn start_worker_env(args: &[&str], env: &[(&str, &str)]) -> (Child, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_DistributedWorker"));
    cmd.env_remove("DAPHNE_WORKER_TOKEN");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("DistributedWorker starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        let _ = tx.send(lines.next());
        for _ in lines {}
    });
    match rx.recv_timeout(Duration::from_secs(20)) {
        Ok(Some(Ok(line))) => {
            let addr = line
                .strip_prefix(BANNER)
                .and_then(|r| r.strip_suffix('`'))
                .unwrap_or_else(|| panic!("unexpected banner `{line}`"))
                .to_string();
            (child, addr)
        }
        other => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the worker did not start: {other:?}");
        }
    }
}

/// A current-thread tokio runtime for test clients.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime")
}

/// Connects a protocol client (bounded).
pub async fn client(addr: &str) -> WorkerClient<tonic::transport::Channel> {
    let endpoint = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .expect("a valid address")
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(30));
    WorkerClient::new(endpoint.connect().await.expect("the worker accepts connections"))
}

/// Objects a worker holds over all sessions (a `FreeMem` of nothing reports it).
pub fn object_count(addr: &str) -> u64 {
    runtime().block_on(async {
        let mut c = client(addr).await;
        let req = FreeRequest { version: PROTOCOL_VERSION, session: u64::MAX, ids: vec![], all: false };
        c.free_mem(req).await.expect("FreeMem answers").into_inner().remaining
    })
}
