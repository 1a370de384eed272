//! Reads on the workers (#12), with real `DistributedWorker` processes on 127.0.0.1: a
//! `readMatrix` whose result only distributed pipelines use is read by the workers, each its row
//! block from the same path, in CSV (with `.meta`), `.dbin` and Parquet (row groups of other
//! sizes than the blocks), on 1, 2 and 3 workers with uneven row counts, identical to a local run;
//! the coordinator then sends no matrix bytes. Workers read only under `--data-dir`: paths
//! outside it (directly, through a link, through `..`) and workers without it are refused with a
//! reason, and the coordinator reads those files itself. (A worker killed mid-run re-reading its
//! block is in `reliability.rs`.)

use crate::common::workers::{Workers, client, runtime};
use crate::common::{dist_stat as stat, run_daphne_env, wait_bounded};
use daphne_distributed::proto::{FreeRequest, PROTOCOL_VERSION, Task, TaskInput, task_input};
use daphne_runtime::dense::DenseMatrix;
use daphne_runtime::matrix::{Dense, Matrix};
use parquet::basic::{Repetition, Type as Physical};
use parquet::data_type::{DoubleType, Int32Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::Type as SchemaType;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;
use tonic::Code;

const TIMEOUT: Duration = Duration::from_secs(60);

/// A fresh directory under the system temp directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("daphne-reads-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir.canonicalize().expect("canonical temp dir"))
    }

    fn path(&self, name: &str) -> String {
        self.0.join(name).to_string_lossy().to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// The cell of row `r`, column `c` of the test matrices.
fn cell(r: usize, c: usize) -> f64 {
    ((r * 7 + c * 3) % 23) as f64 / 4.0 - 2.5
}

/// A CSV matrix with its `.meta`, as a user would lay it out.
fn write_csv(path: &str, rows: usize, cols: usize) {
    let mut text = String::new();
    for r in 0..rows {
        let line: Vec<String> = (0..cols).map(|c| format!("{:.6}", cell(r, c))).collect();
        text.push_str(&line.join(","));
        text.push('\n');
    }
    std::fs::write(path, text).expect("csv written");
    let meta = format!("{{\"numCols\":{cols},\"numRows\":{rows},\"valueType\":\"f64\"}}");
    std::fs::write(format!("{path}.meta"), meta).expect("meta written");
}

/// A Parquet file of `rows` x `cols` f64 cells (or si32 cells, INT32 without a logical type) in
/// row groups of `group` rows, written with the parquet crate itself.
fn write_parquet(path: &str, rows: usize, cols: usize, group: usize, ints: bool) {
    let physical = if ints { Physical::INT32 } else { Physical::DOUBLE };
    let fields = (0..cols)
        .map(|c| {
            Arc::new(
                SchemaType::primitive_type_builder(&format!("v{c}"), physical)
                    .with_repetition(Repetition::REQUIRED)
                    .build()
                    .expect("a column"),
            )
        })
        .collect();
    let schema = Arc::new(SchemaType::group_type_builder("schema").with_fields(fields).build().expect("a schema"));
    let file = std::fs::File::create(path).expect("parquet file");
    let props = Arc::new(WriterProperties::builder().build());
    let mut w = SerializedFileWriter::new(file, schema, props).expect("a writer");
    let mut r0 = 0;
    while r0 < rows {
        let r1 = (r0 + group).min(rows);
        let mut g = w.next_row_group().expect("a row group");
        let mut c = 0;
        while let Some(mut col) = g.next_column().expect("a column") {
            if ints {
                let v: Vec<i32> = (r0..r1).map(|r| (cell(r, c) * 4.0) as i32).collect();
                col.typed::<Int32Type>().write_batch(&v, None, None).expect("cells");
            } else {
                let v: Vec<f64> = (r0..r1).map(|r| cell(r, c)).collect();
                col.typed::<DoubleType>().write_batch(&v, None, None).expect("cells");
            }
            col.close().expect("column closed");
            c += 1;
        }
        g.close().expect("row group closed");
        r0 = r1;
    }
    w.close().expect("file closed");
}

/// `.dbin` through our own writer.
fn write_dbin(path: &str, rows: usize, cols: usize) {
    let values = (0..rows * cols).map(|i| cell(i / cols, i % cols) * 3.0).collect();
    let m = Matrix::Dense(Dense::F64(DenseMatrix::from_vec(rows, cols, values)));
    daphne_runtime::kernels::dbin::write_matrix(&m, path).expect("dbin written");
}

fn write_script(dir: &TempDir, name: &str, text: &str) -> String {
    let path = dir.path(name);
    std::fs::write(&path, text).expect("script written");
    path
}

fn local_output(script: &str) -> String {
    let out = run_daphne_env(&args(&[script]), &[], TIMEOUT);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8")
}

/// Runs `script` distributed with `--dist-stats`: stdout and stderr.
fn distributed(script: &str, workers: &Workers) -> (String, String) {
    let out = run_daphne_env(
        &args(&["--distributed", "--dist-stats", script]),
        &[("DISTRIBUTED_WORKERS", &workers.list())],
        TIMEOUT,
    );
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    (String::from_utf8(out.stdout).expect("utf-8"), stderr)
}

#[test]
fn partitioned_reads_of_csv_dbin_and_parquet_match_local_runs_on_one_two_and_three_workers() {
    let dir = TempDir::new("formats");
    // 13 rows: 7+6 on two workers, 5+4+4 on three; the Parquet row groups (4 and 2 rows) cut
    // across the blocks.
    write_csv(&dir.path("m.csv"), 13, 3);
    write_dbin(&dir.path("m.dbin"), 13, 2);
    write_parquet(&dir.path("groups.parquet"), 13, 3, 4, false);
    write_parquet(&dir.path("ints.parquet"), 9, 2, 2, true);
    let script = write_script(
        &dir,
        "formats.daph",
        &format!(
            "A = readMatrix(\"{a}\");\nprint(sum((A * 2.0 + 1.0) ^ 2.0 / (A + 3.0)));\nprint(A[11:13, ]);\n\
             B = readMatrix(\"{b}\");\nprint(aggMax(B * 0.5));\nprint(sum(B - 1.0));\n\
             P = readMatrix(\"{p}\");\nprint(sum(abs(P) * 3.0));\nprint(P[3:5, ]);\n\
             I = readMatrix(\"{i}\");\nprint(sum(I * 2));\nprint(aggMin(I + 1));\n",
            a = dir.path("m.csv"),
            b = dir.path("m.dbin"),
            p = dir.path("groups.parquet"),
            i = dir.path("ints.parquet"),
        ),
    );
    let expected = local_output(&script);
    assert!(expected.contains("DenseMatrix(2x3, double)"), "{expected}");
    for n in 1..=3 {
        let workers = Workers::start_with(n, &["--data-dir", &dir.path("")], &[]);
        let (out, stderr) = distributed(&script, &workers);
        assert_eq!(out, expected, "{n} workers: {stderr}");
        assert_eq!(stat(&stderr, "files on the workers"), 4, "{stderr}");
        assert_eq!(stat(&stderr, "on the coordinator instead"), 0, "{stderr}");
        assert_eq!(stat(&stderr, "objects ("), 0, "{n} workers: no matrix was sent: {stderr}");
        for i in 0..n {
            assert_eq!(workers.object_count(i), 0);
        }
    }
}

#[test]
fn a_read_then_pipeline_sends_no_matrix_bytes_unless_the_workers_may_not_read() {
    let dir = TempDir::new("w1");
    write_csv(&dir.path("x.csv"), 2000, 50);
    let script = write_script(
        &dir,
        "w1.daph",
        &format!("X = readMatrix(\"{}\");\nprint(sum((X * 2 + 1) ^ 2 / (X + 3)));\n", dir.path("x.csv")),
    );
    let expected = local_output(&script);
    let readers = Workers::start_with(2, &["--data-dir", &dir.path("")], &[]);
    let (out, stderr) = distributed(&script, &readers);
    assert_eq!(out, expected);
    assert_eq!(stat(&stderr, "bytes), reused"), 0, "the coordinator sent no matrix bytes: {stderr}");
    assert_eq!(stat(&stderr, "files on the workers"), 1, "{stderr}");
    // Workers without --data-dir read nothing: the coordinator reads X and sends its rows.
    let plain = Workers::start(2);
    let (out, stderr) = distributed(&script, &plain);
    assert_eq!(out, expected);
    assert!(stderr.contains("this worker reads no files: start it with --data-dir DIR"), "{stderr}");
    assert_eq!(stat(&stderr, "on the coordinator instead"), 1, "{stderr}");
    assert_eq!(stat(&stderr, "bytes), reused"), 2000 * 50 * 8, "{stderr}");
}

#[test]
fn reads_outside_the_data_dir_are_refused_with_a_reason_and_read_on_the_coordinator() {
    let dir = TempDir::new("confined");
    std::fs::create_dir_all(dir.0.join("data")).expect("data dir");
    std::fs::create_dir_all(dir.0.join("outside")).expect("outside dir");
    write_csv(&dir.path("outside/x.csv"), 5, 2);
    write_csv(&dir.path("data/in.csv"), 5, 2);
    std::os::unix::fs::symlink(dir.0.join("outside/x.csv"), dir.0.join("data/link.csv")).expect("link");
    std::os::unix::fs::symlink(dir.0.join("outside/x.csv.meta"), dir.0.join("data/link.csv.meta")).expect("link");
    let through_link = dir.path("data/link.csv");
    let through_dotdot = dir.path("data/../outside/x.csv");
    let script = write_script(
        &dir,
        "outside.daph",
        &format!(
            "A = readMatrix(\"{}\");\nprint(sum(A * 2.0));\nB = readMatrix(\"{through_link}\");\nprint(sum(B * 3.0));\n\
             C = readMatrix(\"{through_dotdot}\");\nprint(sum(C * 4.0));\nD = readMatrix(\"{}\");\nprint(sum(D * 5.0));\n",
            dir.path("outside/x.csv"),
            dir.path("data/in.csv"),
        ),
    );
    let expected = local_output(&script);
    let workers = Workers::start_with(2, &["--data-dir", &dir.path("data")], &[]);
    let (out, stderr) = distributed(&script, &workers);
    assert_eq!(out, expected, "{stderr}");
    let data_dir = dir.path("data");
    for p in [dir.path("outside/x.csv"), through_link.clone(), through_dotdot.clone()] {
        assert!(
            stderr.contains(&format!("`{p}` is outside this worker's --data-dir `{data_dir}`")),
            "{p} refused with a reason: {stderr}"
        );
    }
    assert_eq!(stat(&stderr, "files on the workers"), 1, "only data/in.csv: {stderr}");
    assert_eq!(stat(&stderr, "on the coordinator instead"), 3, "{stderr}");

    // The same refusals at the protocol level: PERMISSION_DENIED with the reason, and the worker
    // keeps serving; the path inside is read.
    let read_task = "module {\n  func.func @dist(%arg0: !daphne.String, %arg1: index, %arg2: index, %arg3: index, %arg4: index, %arg5: index) -> !daphne.Matrix<?x2xf64> {\n    %0 = \"daphne.readRows\"(%arg0, %arg1, %arg2, %arg3, %arg4, %arg5) : (!daphne.String, index, index, index, index, index) -> !daphne.Matrix<?x2xf64>\n    \"daphne.return\"(%0) : (!daphne.Matrix<?x2xf64>) -> ()\n  }\n}\n";
    let size = |p: &str| std::fs::metadata(p).expect("file").len() as i64;
    let task = |path: &str, bytes: i64| {
        let scalar = |s: daphne_runtime::elem::Scalar| TaskInput {
            value: Some(task_input::Value::Scalar(daphne_distributed::proto::Scalar::from(&s))),
        };
        use daphne_runtime::elem::Scalar;
        Task {
            version: PROTOCOL_VERSION,
            session: 31,
            ir: read_task.to_string(),
            inputs: vec![
                scalar(Scalar::Str(path.to_string())),
                scalar(Scalar::Index(5)),
                scalar(Scalar::Index(2)),
                scalar(Scalar::Index(bytes)),
                scalar(Scalar::Index(1)),
                scalar(Scalar::Index(3)),
            ],
        }
    };
    let inside = dir.path("data/in.csv");
    let unconfined = Workers::start(1);
    runtime().block_on(async {
        let mut c = client(&workers.addrs[0]).await;
        for (path, why) in [
            (dir.path("outside/x.csv"), "is outside this worker's --data-dir"),
            (through_link.clone(), "is outside this worker's --data-dir"),
            (through_dotdot.clone(), "is outside this worker's --data-dir"),
            ("data/in.csv".to_string(), "is not an absolute path"),
        ] {
            let e = c.compute(task(&path, size(&inside))).await.expect_err("a read outside the data dir");
            assert_eq!(e.code(), Code::PermissionDenied, "{path}: {e:?}");
            assert!(e.message().contains(why), "{path}: {}", e.message());
            let free = FreeRequest { version: PROTOCOL_VERSION, session: 31, ids: vec![], all: false };
            c.free_mem(free).await.unwrap_or_else(|e| panic!("after {path}: the worker stopped serving: {e}"));
        }
        let done = c.compute(task(&inside, size(&inside))).await.expect("a read inside the data dir").into_inner();
        let meta = done.outputs[0].meta.clone().expect("a matrix");
        assert_eq!((meta.rows, meta.cols), (3, 2));
        // The file changed size since the coordinator looked: an execution error, not mixed rows.
        let e = c.compute(task(&inside, size(&inside) + 1)).await.expect_err("another file");
        assert_eq!(e.code(), Code::Aborted, "{e:?}");
        assert!(e.message().contains("every worker must see the same file"), "{}", e.message());
        let free = FreeRequest { version: PROTOCOL_VERSION, session: 31, ids: vec![], all: true };
        c.free_mem(free).await.expect("freed");
        // A worker without --data-dir reads nothing.
        let mut u = client(&unconfined.addrs[0]).await;
        let e = u.compute(task(&inside, size(&inside))).await.expect_err("no data dir");
        assert_eq!(e.code(), Code::PermissionDenied, "{e:?}");
        assert!(e.message().contains("this worker reads no files"), "{}", e.message());
    });
    assert_eq!(workers.object_count(0), 0);
}

#[test]
fn a_missing_data_dir_stops_the_worker_at_start() {
    let run = |a: &[&str]| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_DistributedWorker"))
            .args(a)
            .env_remove("DAPHNE_WORKER_TOKEN")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starts");
        let code = wait_bounded(&mut child, Duration::from_secs(20));
        let out = child.wait_with_output().expect("output");
        (code, String::from_utf8_lossy(&out.stderr).to_string())
    };
    let missing = std::env::temp_dir().join(format!("daphne-reads-{}-none", std::process::id()));
    let missing = missing.to_string_lossy().to_string();
    let (code, err) = run(&["--data-dir", &missing, "127.0.0.1:0"]);
    assert_eq!(code, Some(1));
    assert!(err.contains(&format!("--data-dir `{missing}`")), "{err}");
    assert!(Path::new("/").is_dir());
}

#[test]
fn embedded_local_workers_read_files_and_answer_only_their_coordinator() {
    // Without DISTRIBUTED_WORKERS, daphne starts its own workers with a fresh token and
    // `--data-dir /`: they read what daphne could read, and nobody else can use them.
    let dir = TempDir::new("embedded");
    write_csv(&dir.path("x.csv"), 40, 3);
    let script = write_script(
        &dir,
        "embedded.daph",
        &format!(
            "X = readMatrix(\"{}\");\nprint(sum(X * 2.0));\ns = 0;\nfor (k in 1:200000) {{ s = s + k; }}\nprint(s);\n",
            dir.path("x.csv")
        ),
    );
    let expected = local_output(&script);
    let mut child = Command::new(env!("CARGO_BIN_EXE_daphne"))
        .args(["--distributed", "--dist-stats", &script])
        .env_remove("DISTRIBUTED_WORKERS")
        .env_remove("DAPHNE_WORKER_TOKEN")
        .env("DAPHNE_DIST_MIN_BYTES", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("daphne starts");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let started = rx.recv_timeout(TIMEOUT).expect("daphne says which workers it started");
    let addr = started
        .split(" on ")
        .nth(1)
        .and_then(|rest| rest.split([',', ' ']).next())
        .unwrap_or_else(|| panic!("an address in `{started}`"))
        .to_string();
    runtime().block_on(async {
        let mut c = client(&addr).await;
        let req = FreeRequest { version: PROTOCOL_VERSION, session: 1, ids: vec![], all: false };
        let e = c.free_mem(req).await.expect_err("a call without the run's token");
        assert_eq!(e.code(), Code::Unauthenticated, "{e:?}");
    });
    let code = wait_bounded(&mut child, TIMEOUT);
    let mut stdout = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().expect("stdout"), &mut stdout).expect("stdout");
    let rest: Vec<String> = rx.iter().collect();
    let stderr = rest.join("\n");
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout, expected);
    assert_eq!(stat(&stderr, "files on the workers"), 1, "{stderr}");
}

#[test]
fn read_matrix_is_typed_from_the_meta_data_at_compile_time_and_checked_when_read() {
    let dir = TempDir::new("typed");
    write_csv(&dir.path("m.csv"), 4, 3);
    write_dbin(&dir.path("m.dbin"), 5, 2);
    let script = write_script(
        &dir,
        "typed.daph",
        &format!(
            "X = readMatrix(\"{}\");\nY = readMatrix(\"{}\");\nprint(sum(X) + sum(Y));\n",
            dir.path("m.csv"),
            dir.path("m.dbin")
        ),
    );
    let out = run_daphne_env(&args(&["--compile-only", "--explain", "property_inference", &script]), &[], TIMEOUT);
    let ir = String::from_utf8_lossy(&out.stderr);
    assert!(ir.contains("-> !daphne.Matrix<4x3xf64>") && ir.contains("-> !daphne.Matrix<5x2xf64>"), "{ir}");
    // The whole W1 pipeline, the sum included, then runs on the workers: only scalars come back.
    write_csv(&dir.path("x.csv"), 300, 4);
    let w1 = write_script(
        &dir,
        "w1.daph",
        &format!("X = readMatrix(\"{}\");\nprint(sum((X * 2 + 1) ^ 2 / (X + 3)));\n", dir.path("x.csv")),
    );
    let workers = Workers::start_with(2, &["--data-dir", &dir.path("")], &[]);
    let (out, stderr) = distributed(&w1, &workers);
    assert_eq!(out, local_output(&w1));
    assert_eq!(stat(&stderr, "bytes), reused"), 0, "{stderr}");
    assert!(stat(&stderr, "bytes); kept") < 100, "only partial sums came back: {stderr}");
    // A file written under another name (a link) before it is read: no compile-time type is
    // trusted blindly; the read finds the change and says so.
    write_csv(&dir.path("orig.csv"), 3, 3);
    std::os::unix::fs::symlink(dir.0.join("orig.csv"), dir.0.join("alias.csv")).expect("link");
    std::os::unix::fs::symlink(dir.0.join("orig.csv.meta"), dir.0.join("alias.csv.meta")).expect("link");
    let changed = write_script(
        &dir,
        "changed.daph",
        &format!(
            "write(fill(1.0, 2, 2), \"{}\");\nX = readMatrix(\"{}\");\nprint(X);\n",
            dir.path("alias.csv"),
            dir.path("orig.csv")
        ),
    );
    let out = run_daphne_env(&args(&[&changed]), &[], TIMEOUT);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("it holds 2x2 f64, but its meta data said 3x3 f64 when the script was compiled"),
        "{stderr}"
    );
    // A write to the same name leaves the read untyped: it reads what was written.
    let same = write_script(
        &dir,
        "same.daph",
        &format!("write(fill(2.0, 2, 2), \"{p}\");\nX = readMatrix(\"{p}\");\nprint(X);\n", p = dir.path("orig.csv")),
    );
    let out = run_daphne_env(&args(&[&same]), &[], TIMEOUT);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "DenseMatrix(2x2, double)\n2 2\n2 2\n");
}
