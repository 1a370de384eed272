//! The MPI backend end to end: `mpirun -np N daphne --distributed --dist_backend=MPI` (rank 0
//! coordinates, the other ranks are its workers) must print what the plain run prints, with 2
//! and 3 ranks and with 100-byte chunks on the distributed scripts; the worker ranks must hold no
//! object at the end (they say so on stderr otherwise); a world without worker ranks is an error;
//! and a worker rank that stops answering ends the job with exit code 3 and a message naming it,
//! never a hang. Every `mpirun` is bounded in time and ended (with its ranks) when a test fails.
//! `mpi_whole_corpus` (ignored by default: about a second per script) runs every corpus script.

use crate::common::{fixture_args, header, rel, root};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(90);

/// An `mpirun` of `daphne` on `np` ranks on this machine: shared memory between the ranks (no
/// network), more ranks than cores allowed, no pinning (each rank runs threads), one engine
/// thread per worker rank; as root too.
fn mpirun_command(np: usize, args: &[String]) -> Command {
    let mut cmd = Command::new("mpirun");
    cmd.args(["--allow-run-as-root", "--oversubscribe", "--bind-to", "none"])
        .args(["--mca", "btl", "self,vader", "--mca", "btl_vader_single_copy_mechanism", "none"])
        .args(["-np", &np.to_string(), env!("CARGO_BIN_EXE_daphne")])
        .args(["--distributed", "--dist_backend=MPI", "--num-threads", "1"])
        .args(args)
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        .env("DAPHNE_DIST_MIN_BYTES", "0")
        .env_remove("DISTRIBUTED_WORKERS")
        .current_dir(root())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// A running `mpirun`; dropping it ends the job (SIGTERM, which mpirun passes on to its ranks,
/// then SIGKILL).
struct Job(Option<Child>);

impl Job {
    fn start(np: usize, args: &[String]) -> Job {
        Job(Some(mpirun_command(np, args).spawn().expect("mpirun starts (scripts/setup.sh installs openmpi-bin)")))
    }

    fn pid(&self) -> u32 {
        self.0.as_ref().map_or(0, Child::id)
    }

    /// Waits (bounded) for the job's end and returns its output.
    fn wait(mut self, limit: Duration) -> Output {
        let start = Instant::now();
        let mut child = self.0.take().expect("a running job");
        // Read the pipes on threads, so that a chatty job never blocks on a full pipe.
        let mut out = child.stdout.take().expect("stdout");
        let mut err = child.stderr.take().expect("stderr");
        let out_reader = std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = std::io::Read::read_to_end(&mut out, &mut v);
            v
        });
        let err_reader = std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = std::io::Read::read_to_end(&mut err, &mut v);
            v
        });
        loop {
            if let Some(status) = child.try_wait().expect("waiting for mpirun") {
                let stdout = out_reader.join().unwrap_or_default();
                let stderr = err_reader.join().unwrap_or_default();
                return Output { status, stdout, stderr };
            }
            if start.elapsed() > limit {
                end(&mut child);
                panic!("mpirun did not finish within {limit:?}");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// Ends an mpirun and its ranks: SIGTERM (mpirun stops its ranks), then SIGKILL.
fn end(child: &mut Child) {
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(5) {
        if child.try_wait().ok().flatten().is_some() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

impl Drop for Job {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            end(&mut child);
        }
    }
}

fn run(np: usize, args: &[String]) -> Output {
    Job::start(np, args).wait(TIMEOUT)
}

fn scripts_in(dir: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .expect("script directory")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "daph"))
        .collect();
    v.sort();
    v
}

/// Runs each script on `np` ranks with `extra` flags; every mismatch with its expected output
/// and exit code (the plain run's, checked by `scripts.rs`), and every leak the ranks report.
fn check_scripts(np: usize, extra: &[&str], scripts: &[PathBuf]) {
    let mut failures = Vec::new();
    for path in scripts {
        let source = std::fs::read_to_string(path).expect("script is readable");
        let shown = rel(path);
        let mut args: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        args.extend(header(&source, "flags").iter().flat_map(|f| f.split_whitespace().map(str::to_string)));
        args.push(shown.clone());
        args.extend(fixture_args(&source));
        let expected_code: i32 = header(&source, "exit").and_then(|c| c.parse().ok()).unwrap_or(0);
        let expected_out = std::fs::read_to_string(path.with_extension("txt")).unwrap_or_default();
        let out = run(np, &args);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let code = out.status.code().unwrap_or(-1);
        if code != expected_code {
            failures.push(format!("{shown}: exit code {code}, expected {expected_code}\n{stderr}"));
        } else if stdout != expected_out {
            failures.push(format!("{shown}: stdout differs\n--- expected\n{expected_out}--- got\n{stdout}\n{stderr}"));
        } else if expected_code != 0 && !stderr.contains(&format!("--> {shown}:")) {
            failures.push(format!("{shown}: the error does not name the script's location:\n{stderr}"));
        } else if stderr.contains("objects were still held") {
            failures.push(format!("{shown}: a worker rank kept objects:\n{stderr}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} scripts failed on {np} ranks with {extra:?}:\n\n{}",
        failures.len(),
        scripts.len(),
        failures.join("\n\n")
    );
}

/// The scripts of the quick checks: the distributed ones, the aggregations (every combine) and
/// two failures (an execution error on rank 0 still stops the workers).
fn some_scripts() -> Vec<PathBuf> {
    let mut v = scripts_in("tests/scripts/distributed");
    v.extend(scripts_in("tests/scripts/aggregation"));
    v.extend(["tests/scripts/failures/ewise_shape_mismatch.daph", "tests/scripts/failures/int_div_zero.daph"].map(
        |p| {
            let p = root().join(p);
            assert!(Path::new(&p).exists(), "{}", p.display());
            p
        },
    ));
    v
}

#[test]
fn mpi_two_ranks() {
    check_scripts(2, &[], &some_scripts());
}

#[test]
fn mpi_three_ranks() {
    check_scripts(3, &[], &some_scripts());
}

#[test]
fn mpi_small_chunks() {
    let distributed = scripts_in("tests/scripts/distributed");
    check_scripts(2, &["--max-distr-chunk-size", "100"], &distributed);
    check_scripts(3, &["--max-distr-chunk-size", "100"], &distributed);
}

#[test]
#[ignore = "every corpus script under mpirun: about a second each; run with --ignored"]
fn mpi_whole_corpus() {
    let mut all = Vec::new();
    for cat in std::fs::read_dir(root().join("tests/scripts")).expect("tests/scripts") {
        let cat = cat.expect("entry").path();
        if cat.is_dir() {
            all.extend(scripts_in(&rel(&cat)));
        }
    }
    all.sort();
    check_scripts(3, &[], &all);
}

#[test]
fn mpi_world_without_workers() {
    let script = "tests/scripts/distributed/uneven_rows.daph".to_string();
    let out = run(1, std::slice::from_ref(&script));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("the MPI world has no worker ranks"), "{stderr}");
    assert!(out.stdout.is_empty());
}

/// The pid of the rank `rank` of the mpirun `mpirun` (a child process whose environment says
/// that rank), once it exists.
fn rank_pid(mpirun: u32, rank: usize) -> Option<u32> {
    let want = format!("OMPI_COMM_WORLD_RANK={rank}");
    for e in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else { continue };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { continue };
        // `pid (comm) state ppid ...`: the fields after the last `)`.
        let ppid = stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse::<u32>().ok());
        if ppid != Some(mpirun) {
            continue;
        }
        let Ok(env) = std::fs::read(format!("/proc/{pid}/environ")) else { continue };
        if env.split(|b| *b == 0).any(|v| v == want.as_bytes()) {
            return Some(pid);
        }
    }
    None
}

#[test]
fn mpi_stopped_rank_ends_the_job_with_exit_code_3() {
    // A script that runs a distributed pipeline over and over for much longer than the test.
    let dir = std::env::temp_dir().join(format!("daphne-mpi-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let script = dir.join("loop.daph");
    std::fs::write(
        &script,
        "X = rand(1000, 10, 0.0, 1.0, 1, 42);\ns = 0.0;\nfor (i in 1:1000000) { s = s + sum(X + i); }\nprint(s);\n",
    )
    .expect("script written");
    let job = Job::start(3, &[script.display().to_string()]);
    let start = Instant::now();
    let pid = loop {
        if let Some(p) = rank_pid(job.pid(), 2) {
            break p;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "rank 2 did not start");
        std::thread::sleep(Duration::from_millis(50));
    };
    // Let the run get going, then freeze rank 2 (it neither works nor answers, nor exits).
    std::thread::sleep(Duration::from_secs(2));
    let stopped = Instant::now();
    let _ = Command::new("kill").args(["-STOP", &pid.to_string()]).status();
    let out = job.wait(Duration::from_secs(60));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("MPI rank 2 failed: it stopped answering"), "{stderr}");
    assert!(stopped.elapsed() < Duration::from_secs(40), "took {:?}", stopped.elapsed());
    // MPI_Abort ends every rank, the frozen one too.
    let gone = || !Path::new(&format!("/proc/{pid}")).exists() || rank_state(pid) == Some('Z');
    let since = Instant::now();
    while !gone() && since.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let survived = !gone();
    if survived {
        let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!survived, "rank 2 survived the end of the job");
}

/// The state letter of a process (`Z` for a zombie).
fn rank_state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')')?.1.split_whitespace().next()?.chars().next()
}
