//! Reliability and security of the distributed runtime, with real worker processes on 127.0.0.1:
//! workers killed (SIGKILL) in the middle of a script, tokens, memory limits, the objects of a
//! coordinator that vanished, and a worker's memory after hundreds of scripts. Every wait is
//! bounded and every process is stopped.

use crate::common::workers::{Workers, client, object_count, runtime};
use crate::common::{TEST_DIST_MIN_BYTES, root, run_daphne_env, wait_bounded};
use daphne_distributed::proto::{FreeRequest, PROTOCOL_VERSION};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(60);

/// A script that runs a pipeline, says so on stderr, computes on the coordinator for a while
/// (so that a worker can be killed while results of the first pipeline live on the workers),
/// and then runs a pipeline over those results.
const LOSS_SCRIPT: &str = "X = rand(20000, 10, 0.0, 1.0, 1.0, 1);
for (i in 1:6) {
    Y = X * i + 1.0;
    print(\"between \" + i, true, true);
    s = 0;
    for (k in 1:150000) { s = s + k; }
    Z = sqrt(Y) * 2.0;
    print(sum(Z));
    print(aggMax(Z));
}
";

fn write_script(name: &str, text: &str) -> String {
    let dir = std::env::temp_dir().join(format!("daphne-reliability-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("script written");
    path.to_string_lossy().to_string()
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// Starts `daphne` with piped output; its stderr lines arrive on the channel as they come.
fn spawn_daphne(a: &[&str], env: &[(&str, &str)]) -> (Child, mpsc::Receiver<String>, std::thread::JoinHandle<String>) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_daphne"));
    cmd.env_remove("DISTRIBUTED_WORKERS").env_remove("DAPHNE_WORKER_TOKEN").env_remove("DAPHNE_WORKER_TLS_CA");
    cmd.env(TEST_DIST_MIN_BYTES.0, TEST_DIST_MIN_BYTES.1);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child =
        cmd.current_dir(root()).args(a).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("daphne");
    let stderr = child.stderr.take().expect("stderr");
    let mut stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut stdout, &mut s);
        s
    });
    (child, rx, out)
}

/// Waits (bounded) for a stderr line; the lines seen so far.
fn wait_for_line(rx: &mpsc::Receiver<String>, wanted: &str, seen: &mut Vec<String>) {
    let deadline = Instant::now() + TIMEOUT;
    while Instant::now() < deadline {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(100)) {
            let hit = line == wanted;
            seen.push(line);
            if hit {
                return;
            }
        }
    }
    panic!("`{wanted}` never came; stderr so far: {seen:?}");
}

/// Collects the stderr lines still to come once the child ended: its reader thread stops at the
/// end of the pipe, which may be a moment after the exit (bounded).
fn drain(rx: &mpsc::Receiver<String>, seen: &mut Vec<String>) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while let Ok(line) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        seen.push(line);
    }
}

fn local_output(script: &str) -> String {
    let out = run_daphne_env(&args(&[script]), &[], TIMEOUT);
    assert_eq!(out.status.code(), Some(0));
    String::from_utf8(out.stdout).expect("utf-8")
}

#[test]
fn a_killed_worker_loses_nothing() {
    let script = write_script("loss.daph", LOSS_SCRIPT);
    let expected = local_output(&script);
    let mut workers = Workers::start(3);
    let list = workers.list();
    let (mut child, rx, out) =
        spawn_daphne(&["--distributed", "--dist-stats", &script], &[("DISTRIBUTED_WORKERS", &list)]);
    let mut seen = Vec::new();
    wait_for_line(&rx, "between 3", &mut seen);
    workers.kill(1);
    let killed = Instant::now();
    let code = wait_bounded(&mut child, TIMEOUT);
    let recovery = killed.elapsed();
    drain(&rx, &mut seen);
    let stderr = seen.join("\n");
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(out.join().expect("stdout"), expected, "{stderr}");
    assert!(stderr.contains(&format!("worker `{}` was lost", workers.addrs[1])), "{stderr}");
    assert!(stderr.contains("1 workers lost"), "{stderr}");
    // X was generated on the workers; its block and results of the first pipeline that lived on
    // the killed worker were made again from their lineage.
    assert!(stderr.contains("generated 1 matrices on the workers"), "{stderr}");
    assert!(!stderr.contains(" 0 partitions recomputed"), "{stderr}");
    eprintln!("finished {recovery:?} after the kill");
    for i in [0, 2] {
        assert_eq!(workers.object_count(i), 0);
    }
}

#[test]
fn a_killed_worker_loses_no_block_of_a_file_it_read() {
    // X is read on the workers (each its row block of a CSV file under their --data-dir); the
    // block of the killed worker is read again by another one, from its lineage.
    let dir = std::env::temp_dir().join(format!("daphne-reliability-{}-read", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let data = dir.join("x.csv");
    let rows: Vec<String> = (0..20000).map(|r| format!("{},{}.5,{}", r % 97, r % 13, (r * 7) % 31)).collect();
    std::fs::write(&data, rows.join("\n") + "\n").expect("csv");
    std::fs::write(dir.join("x.csv.meta"), r#"{"numCols":3,"numRows":20000,"valueType":"f64"}"#).expect("meta");
    let script =
        LOSS_SCRIPT.replace("rand(20000, 10, 0.0, 1.0, 1.0, 1)", &format!("readMatrix(\"{}\")", data.display()));
    assert!(script.contains("readMatrix"));
    let script = write_script("loss_read.daph", &script);
    let expected = local_output(&script);
    let dir_arg = dir.to_string_lossy().to_string();
    let mut workers = Workers::start_with(3, &["--data-dir", &dir_arg], &[]);
    let list = workers.list();
    let (mut child, rx, out) =
        spawn_daphne(&["--distributed", "--dist-stats", &script], &[("DISTRIBUTED_WORKERS", &list)]);
    let mut seen = Vec::new();
    wait_for_line(&rx, "between 3", &mut seen);
    workers.kill(1);
    let code = wait_bounded(&mut child, TIMEOUT);
    drain(&rx, &mut seen);
    let stderr = seen.join("\n");
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(out.join().expect("stdout"), expected, "{stderr}");
    assert!(stderr.contains(&format!("worker `{}` was lost", workers.addrs[1])), "{stderr}");
    assert!(stderr.contains("read 1 files on the workers, 0 on the coordinator instead"), "{stderr}");
    assert!(stderr.contains("sent 0 objects (0 bytes)"), "nothing was shipped, not even after the loss: {stderr}");
    assert!(!stderr.contains(" 0 partitions recomputed"), "{stderr}");
    for i in [0, 2] {
        assert_eq!(workers.object_count(i), 0);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn losing_every_worker_ends_with_exit_code_3_within_10_seconds() {
    let script = write_script("loss_all.daph", LOSS_SCRIPT);
    let mut workers = Workers::start(3);
    let list = workers.list();
    let (mut child, rx, out) = spawn_daphne(&["--distributed", &script], &[("DISTRIBUTED_WORKERS", &list)]);
    let mut seen = Vec::new();
    wait_for_line(&rx, "between 2", &mut seen);
    for i in 0..3 {
        workers.kill(i);
    }
    let killed = Instant::now();
    let code = wait_bounded(&mut child, Duration::from_secs(30));
    let took = killed.elapsed();
    drain(&rx, &mut seen);
    let stderr = seen.join("\n");
    assert_eq!(code, Some(3), "{stderr}");
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert!(stderr.contains("all distributed workers were lost"), "{stderr}");
    let _ = out.join();
}

#[test]
fn a_hung_worker_is_noticed() {
    // SIGSTOP: the process lives and its connections stay open, but it answers nothing.
    let script = write_script("hung.daph", LOSS_SCRIPT);
    let expected = local_output(&script);
    let workers = Workers::start(2);
    let list = workers.list();
    let (mut child, rx, out) = spawn_daphne(&["--distributed", &script], &[("DISTRIBUTED_WORKERS", &list)]);
    let mut seen = Vec::new();
    wait_for_line(&rx, "between 2", &mut seen);
    let pid = workers.children[0].id().to_string();
    assert!(Command::new("kill").args(["-STOP", &pid]).status().expect("kill").success());
    let code = wait_bounded(&mut child, Duration::from_secs(40));
    let _ = Command::new("kill").args(["-CONT", &pid]).status();
    drain(&rx, &mut seen);
    let stderr = seen.join("\n");
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(out.join().expect("stdout"), expected);
    assert!(stderr.contains("was lost"), "{stderr}");
}

#[test]
fn tokens_are_required_when_set() {
    let workers = Workers::start_with(1, &[], &[("DAPHNE_WORKER_TOKEN", "s3cret-token")]);
    let list = workers.list();
    let script = "tests/scripts/distributed/uneven_rows.daph";
    let expected = std::fs::read_to_string(root().join("tests/scripts/distributed/uneven_rows.txt")).expect("expected");
    let run = |token: Option<&str>| -> Output {
        let mut env = vec![("DISTRIBUTED_WORKERS", list.as_str())];
        if let Some(t) = token {
            env.push(("DAPHNE_WORKER_TOKEN", t));
        }
        run_daphne_env(&args(&["--distributed", script]), &env, TIMEOUT)
    };
    for (token, what) in [(None, "missing"), (Some("wrong-token"), "wrong")] {
        let out = run(token);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{what}: {stderr}");
        assert!(stderr.contains("refused this coordinator"), "{what}: {stderr}");
        assert!(stderr.contains("DAPHNE_WORKER_TOKEN"), "{what}: {stderr}");
        assert!(out.stdout.is_empty());
    }
    let out = run(Some("s3cret-token"));
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
    // The token in daphne's configuration file works as well.
    let config = write_script("token.json", "{\"worker_token\": \"s3cret-token\"}");
    let out = run_daphne_env(
        &args(&["--distributed", "--config", &config, script]),
        &[("DISTRIBUTED_WORKERS", &list)],
        TIMEOUT,
    );
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    // A bare client without the token gets UNAUTHENTICATED on every call.
    runtime().block_on(async {
        let mut c = client(&workers.addrs[0]).await;
        let req = FreeRequest { version: PROTOCOL_VERSION, session: 1, ids: vec![], all: false };
        assert_eq!(c.free_mem(req).await.expect_err("no token").code(), tonic::Code::Unauthenticated);
    });
}

#[test]
fn a_memory_limit_is_enforced_and_the_worker_keeps_serving() {
    // 64 KiB: the 20000 x 10 doubles of the loss script (1.6 MB) cannot be stored.
    let workers = Workers::start_with(1, &["--memory-limit", "64K"], &[]);
    let list = workers.list();
    let big = write_script("big.daph", "X = rand(20000, 10, 0.0, 1.0, 1.0, 1);\nprint(sum(X * 2.0));\n");
    let out = run_daphne_env(&args(&["--distributed", &big]), &[("DISTRIBUTED_WORKERS", &list)], TIMEOUT);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("out of memory") && stderr.contains("memory limit of 65536 bytes"), "{stderr}");
    assert_eq!(workers.object_count(0), 0);
    // Small work still runs.
    let script = "tests/scripts/distributed/uneven_rows.daph";
    let expected = std::fs::read_to_string(root().join("tests/scripts/distributed/uneven_rows.txt")).expect("expected");
    let out = run_daphne_env(&args(&["--distributed", script]), &[("DISTRIBUTED_WORKERS", &list)], TIMEOUT);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
}

#[test]
fn objects_of_a_vanished_coordinator_are_freed_after_the_session_timeout() {
    let workers = Workers::start_with(1, &["--session-timeout", "2"], &[]);
    let list = workers.list();
    let script = write_script("vanish.daph", LOSS_SCRIPT);
    let (mut child, rx, _out) = spawn_daphne(&["--distributed", &script], &[("DISTRIBUTED_WORKERS", &list)]);
    let mut seen = Vec::new();
    wait_for_line(&rx, "between 2", &mut seen);
    let _ = child.kill();
    let _ = child.wait();
    assert!(object_count(&workers.addrs[0]) > 0, "the coordinator left objects behind");
    let start = Instant::now();
    while object_count(&workers.addrs[0]) > 0 {
        assert!(start.elapsed() < Duration::from_secs(15), "the session was not freed");
        std::thread::sleep(Duration::from_millis(200));
    }
    // A live coordinator is not expired while it computes locally for longer than the timeout.
    let slow = write_script(
        "slow.daph",
        "X = rand(1000, 10, 0.0, 1.0, 1.0, 1);\nY = X * 2.0;\ns = 0;\nfor (k in 1:4000000) { s = s + 1; }\nprint(sum(Y + 1.0));\nprint(s);\n",
    );
    let local = local_output(&slow);
    let out = run_daphne_env(&args(&["--distributed", &slow]), &[("DISTRIBUTED_WORKERS", &list)], TIMEOUT);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), local);
}

#[test]
fn a_worker_that_ran_500_scripts_has_its_memory_back() {
    // The worker compiles the script's pipeline on the first run (threshold 0): the JIT's one-time
    // set-up (LLVM's target, MLIR's context and passes, some 30 MB) is then part of the level after
    // the first script. With the default threshold it would happen after about 100 runs, when the
    // pipeline has processed 32 MiB, and look like growth.
    let workers = Workers::start_with(1, &["--codegen-threshold", "0"], &[]);
    let list = workers.list();
    let script = write_script(
        "small.daph",
        "X = rand(2000, 20, 0.0, 1.0, 1.0, 3);\nY = X * 2.0 + 1.0;\nprint(sum(Y));\nprint(sum(t(Y) @ Y));\n",
    );
    let run = {
        let (list, script) = (list.clone(), script.clone());
        move || {
            let out = run_daphne_env(&args(&["--distributed", &script]), &[("DISTRIBUTED_WORKERS", &list)], TIMEOUT);
            assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        }
    };
    // The first script, as two coordinators at once (the pattern of the 500 that follow); the
    // worker returns freed memory to the system within a second.
    let (a, b) = (std::thread::spawn(run.clone()), std::thread::spawn(run));
    a.join().expect("first");
    b.join().expect("first");
    std::thread::sleep(Duration::from_millis(3000));
    let after_first = workers.rss_kib(0);
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let (list, script) = (list.clone(), script.clone());
            std::thread::spawn(move || {
                for _ in 0..250 {
                    let out =
                        run_daphne_env(&args(&["--distributed", &script]), &[("DISTRIBUTED_WORKERS", &list)], TIMEOUT);
                    assert_eq!(out.status.code(), Some(0));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("a client thread");
    }
    std::thread::sleep(Duration::from_millis(3000));
    let after_all = workers.rss_kib(0);
    eprintln!("worker RSS: {after_first} KiB after the first script, {after_all} KiB after 500 more");
    assert_eq!(workers.object_count(0), 0);
    assert!((after_all as f64) <= after_first as f64 * 1.10, "RSS grew from {after_first} KiB to {after_all} KiB");
}
