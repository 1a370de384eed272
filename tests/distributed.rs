//! The distributed runtime end to end, with real `DistributedWorker` processes on 127.0.0.1:
//! malformed requests to every RPC (the worker answers with an error status and keeps serving),
//! tiny transfer chunks, the embedded local workers of `daphne --distributed`, unusable worker
//! lists, backends, the worker's own command line and signals, and two coordinators at once.
//! (Every corpus script distributed on 1, 2 and 3 workers is in `scripts.rs`.)

use crate::common;

use crate::common::workers::{Workers, client, runtime, start_worker};
use crate::common::{dist_stat as stat, fixture_args, rel, root, run_daphne_env, wait_bounded};
use daphne_distributed::proto::{
    FreeRequest, ObjectMeta, PROTOCOL_VERSION, StoreChunk, Task, TaskInput, TransferRequest, object_meta, task_input,
};
use daphne_ir::{Attr, OpKind, parse_module};
use prost::Message;
use prost::bytes::{Buf, BufMut};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::codegen::http::uri::PathAndQuery;
use tonic::{Code, Status};

const TIMEOUT: Duration = Duration::from_secs(60);

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
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

/// Sends raw bytes as the request message of any RPC and reads raw response bytes.
#[derive(Clone, Copy)]
struct RawCodec;
struct RawEncoder;
struct RawDecoder;

impl Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawEncoder;
    type Decoder = RawDecoder;
    fn encoder(&mut self) -> RawEncoder {
        RawEncoder
    }
    fn decoder(&mut self) -> RawDecoder {
        RawDecoder
    }
}

impl Encoder for RawEncoder {
    type Item = Vec<u8>;
    type Error = Status;
    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for RawDecoder {
    type Item = Vec<u8>;
    type Error = Status;
    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, Status> {
        let mut v = vec![0; src.remaining()];
        src.copy_to_slice(&mut v);
        Ok(Some(v))
    }
}

/// Calls `method` of the worker with raw request messages; the error status, if any.
async fn raw_call(addr: &str, method: &'static str, messages: Vec<Vec<u8>>) -> Result<(), Status> {
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .expect("address")
        .timeout(Duration::from_secs(20))
        .connect()
        .await
        .expect("connects");
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.map_err(|e| Status::unavailable(e.to_string()))?;
    let path = PathAndQuery::from_static(method);
    match method {
        "/daphne.v1.Worker/Store" => {
            grpc.client_streaming(tonic::Request::new(tokio_stream::iter(messages)), path, RawCodec).await?;
        }
        "/daphne.v1.Worker/Transfer" => {
            let first = messages.into_iter().next().unwrap_or_default();
            let mut stream = grpc.server_streaming(tonic::Request::new(first), path, RawCodec).await?.into_inner();
            while stream.message().await?.is_some() {}
        }
        _ => {
            let first = messages.into_iter().next().unwrap_or_default();
            grpc.unary(tonic::Request::new(first), path, RawCodec).await?;
        }
    }
    Ok(())
}

/// The IR text of the first distributed pipeline of a script (what a coordinator sends).
fn task_ir(script: &str) -> String {
    let dir = std::env::temp_dir().join(format!("daphne-dist-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("task.daph");
    std::fs::write(&path, script).expect("script written");
    let out = run_daphne_env(
        &args(&["--distributed", "--compile-only", "--explain", "distributed", path.to_str().expect("utf-8 path")]),
        &[],
        TIMEOUT,
    );
    let stderr = String::from_utf8(out.stderr).expect("utf-8");
    let ir = stderr.split_once(":\n").expect("an explain header").1;
    let m = parse_module(ir).expect("the distributed stage parses");
    let mut text = None;
    m.walk(&mut |op| {
        if m.kind(op) == OpKind::DistributedPipeline && text.is_none() {
            text = m.attr(op, "ir").and_then(Attr::as_str).map(str::to_string);
        }
    });
    text.expect("a distributed pipeline")
}

fn dense_meta(rows: u64, cols: u64) -> ObjectMeta {
    ObjectMeta {
        kind: object_meta::Kind::Dense as i32,
        value_types: vec!["f64".into()],
        rows,
        cols,
        payload_bytes: rows.wrapping_mul(cols).wrapping_mul(8),
        ..ObjectMeta::default()
    }
}

fn store_chunk(session: u64, meta: Option<ObjectMeta>, data: Vec<u8>) -> StoreChunk {
    StoreChunk { version: PROTOCOL_VERSION, session, meta, data: data.into() }
}

#[test]
fn malformed_requests_get_error_statuses_and_the_worker_keeps_serving() {
    let workers = Workers::start(1);
    let addr = workers.addrs[0].clone();
    let ir = task_ir("X = rand(10, 2, 0.0, 1.0, 1.0, 1);\nprint(sum(X * 2.0));\n");
    let rt = runtime();
    rt.block_on(async {
        let valid_task = Task { version: PROTOCOL_VERSION, session: 7, ir: ir.clone(), inputs: vec![] }.encode_to_vec();
        let valid_chunk = store_chunk(7, Some(dense_meta(2, 2)), vec![0; 32]).encode_to_vec();
        let valid_transfer =
            TransferRequest { version: PROTOCOL_VERSION, session: 7, id: 1, chunk_bytes: 0 }.encode_to_vec();
        let valid_free =
            FreeRequest { version: PROTOCOL_VERSION, session: 7, ids: vec![1], all: false }.encode_to_vec();
        let garbage = vec![0xff, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x80];
        let half = |v: &Vec<u8>| v[..v.len() / 2].to_vec();
        let cases: Vec<(&'static str, Vec<Vec<u8>>)> = vec![
            ("/daphne.v1.Worker/Store", vec![garbage.clone()]),
            ("/daphne.v1.Worker/Store", vec![half(&valid_chunk)]),
            ("/daphne.v1.Worker/Store", vec![valid_chunk.clone(), garbage.clone()]),
            ("/daphne.v1.Worker/Store", vec![]),
            ("/daphne.v1.Worker/Compute", vec![garbage.clone()]),
            ("/daphne.v1.Worker/Compute", vec![half(&valid_task)]),
            ("/daphne.v1.Worker/Transfer", vec![garbage.clone()]),
            ("/daphne.v1.Worker/Transfer", vec![half(&valid_transfer)]),
            ("/daphne.v1.Worker/FreeMem", vec![garbage.clone()]),
            ("/daphne.v1.Worker/FreeMem", vec![half(&valid_free)]),
        ];
        for (method, messages) in cases {
            let n = messages.len();
            let r = tokio::time::timeout(Duration::from_secs(30), raw_call(&addr, method, messages))
                .await
                .unwrap_or_else(|_| panic!("{method} with malformed bytes hung"));
            let status = r.expect_err(&format!("{method} accepted malformed bytes ({n} messages)"));
            assert_ne!(status.code(), Code::Unavailable, "{method}: the worker went away: {status:?}");
            // The worker still serves a well-formed request.
            let mut c = client(&addr).await;
            let req = FreeRequest { version: PROTOCOL_VERSION, session: 1, ids: vec![], all: false };
            c.free_mem(req).await.unwrap_or_else(|e| panic!("after {method}: the worker stopped serving: {e}"));
        }

        // Well-formed messages with bad contents.
        let mut c = client(&addr).await;
        let old = FreeRequest { version: PROTOCOL_VERSION + 1, session: 1, ids: vec![], all: false };
        assert_eq!(c.free_mem(old).await.expect_err("a newer version").code(), Code::FailedPrecondition);
        let bad_ir =
            Task { version: PROTOCOL_VERSION, session: 7, ir: "module { func.func @dist(".into(), inputs: vec![] };
        let e = c.compute(bad_ir).await.expect_err("bad IR");
        assert_eq!(e.code(), Code::InvalidArgument, "{e:?}");
        let unknown = Task {
            version: PROTOCOL_VERSION,
            session: 7,
            ir: ir.clone(),
            inputs: vec![TaskInput { value: Some(task_input::Value::Object(987_654)) }],
        };
        assert_eq!(c.compute(unknown).await.expect_err("unknown object").code(), Code::NotFound);
        let missing = TransferRequest { version: PROTOCOL_VERSION, session: 7, id: 987_654, chunk_bytes: 0 };
        assert_eq!(c.transfer(missing).await.expect_err("unknown object").code(), Code::NotFound);
        let too_long = vec![store_chunk(7, Some(dense_meta(2, 2)), vec![0; 32]), store_chunk(7, None, vec![0; 8])];
        let e = c.store(tokio_stream::iter(too_long)).await.expect_err("more bytes than announced");
        assert_eq!(e.code(), Code::InvalidArgument, "{e:?}");
        let too_short = vec![store_chunk(7, Some(dense_meta(2, 2)), vec![0; 24])];
        let e = c.store(tokio_stream::iter(too_short)).await.expect_err("fewer bytes than announced");
        assert_eq!(e.code(), Code::InvalidArgument, "{e:?}");
        let huge = vec![store_chunk(7, Some(dense_meta(u64::MAX / 4, u64::MAX / 4)), vec![])];
        let e = c.store(tokio_stream::iter(huge)).await.expect_err("an impossible size");
        assert_eq!(e.code(), Code::InvalidArgument, "{e:?}");
        let wrong_type =
            vec![store_chunk(7, Some(ObjectMeta { value_types: vec!["f65".into()], ..dense_meta(1, 1) }), vec![0; 8])];
        let e = c.store(tokio_stream::iter(wrong_type)).await.expect_err("an unknown value type");
        assert_eq!(e.code(), Code::InvalidArgument, "{e:?}");
        // Chunks that go on past the announced bytes mid-cell, a header whose size is not its
        // shape's, a second header, and a header for more memory than the machine has.
        let past = vec![
            store_chunk(7, Some(dense_meta(2, 2)), vec![0; 13]),
            store_chunk(7, None, vec![0; 13]),
            store_chunk(7, None, vec![0; 7]),
        ];
        let e = c.store(tokio_stream::iter(past)).await.expect_err("more bytes than announced, mid-cell");
        assert_eq!(e.code(), Code::InvalidArgument, "{e:?}");
        let odd = vec![store_chunk(7, Some(ObjectMeta { payload_bytes: 31, ..dense_meta(2, 2) }), vec![0; 31])];
        let e = c.store(tokio_stream::iter(odd)).await.expect_err("a size that is not the shape's");
        assert_eq!(e.code(), Code::InvalidArgument, "{e:?}");
        let twice = vec![
            store_chunk(7, Some(dense_meta(2, 2)), vec![0; 16]),
            store_chunk(7, Some(dense_meta(2, 2)), vec![0; 16]),
        ];
        let e = c.store(tokio_stream::iter(twice)).await.expect_err("a second header");
        assert_eq!(e.code(), Code::InvalidArgument, "{e:?}");
        let vast = vec![store_chunk(7, Some(dense_meta(1 << 27, 1 << 27)), vec![0; 8])];
        let e = c.store(tokio_stream::iter(vast)).await.expect_err("more memory than there is");
        assert_eq!(e.code(), Code::ResourceExhausted, "{e:?}");
        // A matrix whose chunks end mid-cell arrives intact.
        let cells: Vec<f64> = (0..15).map(|i| i as f64 * -1.25).collect();
        let bytes: Vec<u8> = cells.iter().flat_map(|x| x.to_le_bytes()).collect();
        let mut chunks = vec![store_chunk(7, Some(dense_meta(3, 5)), bytes[..3].to_vec())];
        chunks.extend(bytes[3..].chunks(11).map(|b| store_chunk(7, None, b.to_vec())));
        let id = c.store(tokio_stream::iter(chunks)).await.expect("a store in odd chunks").into_inner().id;
        let mut s = c
            .transfer(TransferRequest { version: PROTOCOL_VERSION, session: 7, id, chunk_bytes: 7 })
            .await
            .expect("a transfer in odd chunks")
            .into_inner();
        let mut back = Vec::new();
        while let Some(chunk) = s.message().await.expect("chunks") {
            assert!(chunk.data.len() <= 7);
            back.extend(chunk.data);
        }
        assert_eq!(back, bytes);
        c.free_mem(FreeRequest { version: PROTOCOL_VERSION, session: 7, ids: vec![id], all: false })
            .await
            .expect("free");

        // A task without inputs and outputs is fine (DAPHNE's worker accepts it too).
        let empty = "module {\n  func.func @dist() {\n    \"daphne.return\"() : () -> ()\n  }\n}\n";
        let done = c
            .compute(Task { version: PROTOCOL_VERSION, session: 7, ir: empty.into(), inputs: vec![] })
            .await
            .expect("an empty task runs");
        assert!(done.into_inner().outputs.is_empty());

        // A correct round trip still works, and nothing of the failed requests is kept.
        let id = c
            .store(tokio_stream::iter(vec![store_chunk(7, Some(dense_meta(2, 2)), 1.5f64.to_le_bytes().repeat(4))]))
            .await
            .expect("a valid store")
            .into_inner()
            .id;
        let mut s = c
            .transfer(TransferRequest { version: PROTOCOL_VERSION, session: 7, id, chunk_bytes: 5 })
            .await
            .expect("a valid transfer")
            .into_inner();
        let mut bytes = Vec::new();
        while let Some(chunk) = s.message().await.expect("chunks") {
            assert!(chunk.data.len() <= 5);
            bytes.extend(chunk.data);
        }
        assert_eq!(bytes, 1.5f64.to_le_bytes().repeat(4));
        let freed = c
            .free_mem(FreeRequest { version: PROTOCOL_VERSION, session: 7, ids: vec![], all: true })
            .await
            .expect("free");
        assert_eq!(freed.into_inner().remaining, 0);
    });
}

/// Runs scripts distributed on `workers` with extra flags and compares with their expected output.
fn check_scripts(scripts: &[PathBuf], flags: &[&str], workers: &Workers) {
    let list = workers.list();
    for path in scripts {
        let source = std::fs::read_to_string(path).expect("script");
        let expected_code: i32 = common::header(&source, "exit").and_then(|c| c.parse().ok()).unwrap_or(0);
        let mut a = args(&["--distributed"]);
        a.extend(flags.iter().map(|s| s.to_string()));
        a.extend(common::header(&source, "flags").iter().flat_map(|f| f.split_whitespace().map(str::to_string)));
        a.push(rel(path));
        a.extend(fixture_args(&source));
        let out = run_daphne_env(&a, &[("DISTRIBUTED_WORKERS", &list)], TIMEOUT);
        let expected = std::fs::read_to_string(path.with_extension("txt")).unwrap_or_default();
        assert_eq!(out.status.code(), Some(expected_code), "{}: {}", rel(path), String::from_utf8_lossy(&out.stderr));
        assert_eq!(String::from_utf8_lossy(&out.stdout), expected, "{} {flags:?}", rel(path));
    }
}

#[test]
fn tiny_transfer_chunks_give_identical_results() {
    let workers = Workers::start(2);
    let mut scripts = scripts_in("tests/scripts/distributed");
    scripts.extend(scripts_in("tests/scripts/vectorized"));
    check_scripts(&scripts, &["--max-distr-chunk-size=100"], &workers);
    // An object of many chunks: 4000 x 25 doubles are 800 000 bytes, 8 000 chunks of 100 bytes.
    let dir = std::env::temp_dir().join(format!("daphne-chunks-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("big.daph");
    std::fs::write(&path, "X = seq(1.0, 100000.0, 1.0);\nY = reshape(X, 4000, 25);\nZ = Y * 2.0 + 1.0;\nprint(sum(Z));\nprint(Z[3999, 24]);\n")
        .expect("script");
    let out = run_daphne_env(
        &args(&["--distributed", "--dist-stats", "--max-distr-chunk-size=100", path.to_str().expect("path")]),
        &[("DISTRIBUTED_WORKERS", &workers.list())],
        TIMEOUT,
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "1.00002e+10\nDenseMatrix(1x1, double)\n200001\n");
    assert!(stderr.contains("(800000 bytes)"), "the matrix went to the workers in chunks: {stderr}");
    assert!(stderr.contains("; phases: plan ") && stderr.contains(" s, combine "), "per-phase times: {stderr}");
    for i in 0..2 {
        assert_eq!(workers.object_count(i), 0);
    }
}

#[test]
fn embedded_local_workers_are_started_used_and_stopped() {
    let out = run_daphne_env(
        &args(&["--distributed", "--workers", "3", "--dist-stats", "tests/scripts/distributed/uneven_rows.daph"]),
        &[],
        TIMEOUT,
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let expected = std::fs::read_to_string(root().join("tests/scripts/distributed/uneven_rows.txt")).expect("expected");
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
    let line = stderr.lines().find(|l| l.contains("started 3 local DistributedWorkers on")).expect("says so");
    assert!(stderr.contains("distributed on 3 workers: 7 pipelines on workers, 0 on the coordinator"), "{stderr}");
    let addrs: Vec<&str> =
        line.split(" on ").nth(1).expect("addresses").split(" (").next().expect("list").split(", ").collect();
    assert_eq!(addrs.len(), 3, "{line}");
    // The workers are gone: nothing accepts connections on their ports any more.
    for a in addrs {
        let start = Instant::now();
        loop {
            let sock: std::net::SocketAddr = a.parse().expect("an address");
            if std::net::TcpStream::connect_timeout(&sock, Duration::from_millis(200)).is_err() {
                break;
            }
            assert!(start.elapsed() < Duration::from_secs(10), "worker {a} still runs after daphne ended");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

#[test]
fn unusable_worker_lists_end_with_exit_code_3_naming_the_problem() {
    let script = "tests/scripts/distributed/uneven_rows.daph";
    let out = run_daphne_env(&args(&["--distributed", script]), &[("DISTRIBUTED_WORKERS", " ")], TIMEOUT);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("DISTRIBUTED_WORKERS is empty"));
    let out = run_daphne_env(&args(&["--distributed", script]), &[("DISTRIBUTED_WORKERS", "127.0.0.1")], TIMEOUT);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`127.0.0.1` in DISTRIBUTED_WORKERS is not host:port"));
    // A port where nothing listens (bound, then released).
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("addr").port();
    let workers = Workers::start(1);
    let list = format!("{},127.0.0.1:{port}", workers.list());
    let start = Instant::now();
    let out = run_daphne_env(&args(&["--distributed", script]), &[("DISTRIBUTED_WORKERS", &list)], TIMEOUT);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains(&format!("cannot connect to worker `127.0.0.1:{port}`")), "{stderr}");
    assert!(start.elapsed() < Duration::from_secs(10));
    assert!(out.stdout.is_empty());
}

#[test]
fn backends() {
    let workers = Workers::start(1);
    let script = "tests/scripts/distributed/uneven_rows.daph";
    let expected = std::fs::read_to_string(root().join("tests/scripts/distributed/uneven_rows.txt")).expect("expected");
    for backend in ["sync-gRPC", "async-gRPC"] {
        let flag = format!("--dist_backend={backend}");
        let out = run_daphne_env(
            &args(&["--distributed", &flag, script]),
            &[("DISTRIBUTED_WORKERS", &workers.list())],
            TIMEOUT,
        );
        assert_eq!(out.status.code(), Some(0), "{backend}: {}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
    }
    // Without mpirun, MPI starts as a world of one process: no worker ranks (tests/mpi.rs runs it
    // under mpirun).
    let out = run_daphne_env(&args(&["--distributed", "--dist_backend=MPI", script]), &[], TIMEOUT);
    if cfg!(feature = "mpi") {
        assert_eq!(out.status.code(), Some(3));
        assert!(String::from_utf8_lossy(&out.stderr).contains("the MPI world has no worker ranks"));
    } else {
        assert_eq!(out.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&out.stderr).contains("not built with MPI support"));
    }
    let out = run_daphne_env(&args(&["--distributed", "--dist_backend=carrier-pigeon", script]), &[], TIMEOUT);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn two_coordinators_share_workers() {
    let workers = Workers::start(2);
    let list = workers.list();
    let scripts =
        ["tests/scripts/distributed/value_types.daph", "tests/scripts/distributed/results_stay_on_workers.daph"];
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let (list, script) = (list.clone(), scripts[i % 2]);
            std::thread::spawn(move || {
                let out = run_daphne_env(&args(&["--distributed", script]), &[("DISTRIBUTED_WORKERS", &list)], TIMEOUT);
                (script, out)
            })
        })
        .collect();
    for h in handles {
        let (script, out) = h.join().expect("a coordinator thread");
        assert_eq!(out.status.code(), Some(0), "{script}: {}", String::from_utf8_lossy(&out.stderr));
        let expected = std::fs::read_to_string(root().join(script).with_extension("txt")).expect("expected");
        assert_eq!(String::from_utf8_lossy(&out.stdout), expected, "{script}");
    }
    for i in 0..2 {
        assert_eq!(workers.object_count(i), 0);
    }
}

#[test]
fn worker_command_line_and_signals() {
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
    let (code, err) = run(&["not-an-address"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("`not-an-address` is not an IP:PORT address"), "{err}");
    let (code, err) = run(&[]);
    assert_eq!(code, Some(1));
    assert!(err.contains("usage: DistributedWorker"), "{err}");
    // Safe by default: no token on an address other than loopback is refused before it listens.
    let (code, err) = run(&["0.0.0.0:0"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("refusing to listen on 0.0.0.0:0 without a token") && err.contains("--insecure"), "{err}");
    // A port already in use.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let addr = taken.local_addr().expect("addr").to_string();
    let (code, err) = run(&[&addr]);
    assert_eq!(code, Some(1));
    assert!(err.contains(&format!("cannot listen on `{addr}`")), "{err}");
    drop(taken);
    // An explicit port is printed as given; SIGTERM and SIGINT end the worker cleanly.
    for signal in ["-TERM", "-INT"] {
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("a port").local_addr().expect("addr").port();
        let given = format!("127.0.0.1:{port}");
        let (mut child, shown) = start_worker(&[&given]);
        assert_eq!(shown, given);
        let status = Command::new("kill").args([signal, &child.id().to_string()]).status().expect("kill runs");
        assert!(status.success());
        assert_eq!(wait_bounded(&mut child, Duration::from_secs(20)), Some(0), "{signal}");
    }
}

#[test]
fn the_main_example_runs_distributed_as_locally() {
    let script = "scripts/examples/distributed.daph";
    let expected = "coefficients (expected 1..8):\nDenseMatrix(1x8, double)\n1 2 3 4 5 6 7 8\nresidual sum of squares < 0.01 * n:\n1\n";
    let local = run_daphne_env(&args(&[script]), &[], TIMEOUT);
    assert_eq!(String::from_utf8_lossy(&local.stdout), expected);
    let out = run_daphne_env(&args(&["--distributed", "--dist-stats", script]), &[], TIMEOUT);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
    assert!(stderr.contains("started 2 local DistributedWorkers"), "{stderr}");
    assert!(stderr.contains(" 0 on the coordinator"), "every pipeline ran on the workers: {stderr}");
}

/// The IR a script's `@main` compiles to, renamed `@dist`: what a hand-written client could send
/// as a task (any op of the language, not only what the `distributed` stage emits).
fn main_as_task(script: &str, dir: &std::path::Path) -> String {
    let path = dir.join("main_as_task.daph");
    std::fs::write(&path, script).expect("script written");
    let out = run_daphne_env(
        &args(&["--compile-only", "--explain", "parsing", path.to_str().expect("utf-8 path")]),
        &[],
        TIMEOUT,
    );
    let stderr = String::from_utf8(out.stderr).expect("utf-8");
    let ir = stderr.split_once(":\n").expect("an explain header").1;
    assert!(parse_module(ir).is_ok(), "{ir}");
    ir.replace("func.func @main()", "func.func @dist()")
}

#[test]
fn tasks_beyond_the_distributed_stage_are_refused_before_they_run() {
    let dir = std::env::temp_dir().join(format!("daphne-allowlist-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let outside = dir.join("outside.csv");
    std::fs::write(&outside, "1,2\n3,4\n").expect("csv");
    std::fs::write(dir.join("outside.csv.meta"), r#"{"numRows": 2, "numCols": 2, "valueType": "f64"}"#).expect("meta");
    let written = dir.join("pwned_by_task.csv");
    let _ = std::fs::remove_file(&written);
    let cases = [
        (format!("writeMatrix(fill(1.0, 2, 2), \"{}\");\n", written.display()), "daphne.write"),
        (format!("X = readMatrix(\"{}\");\nprint(X);\n", outside.display()), "daphne.read"),
        ("print(1);\n".to_string(), "daphne.print"),
        ("i = 0;\nwhile (i < 3) { i = i + 1; }\n".to_string(), "scf.while"),
        ("def f(x) { return x + 1; }\ny = f(2);\n".to_string(), "daphne.generic_call"),
        ("t = now();\n".to_string(), "daphne.now"),
        ("stop(\"no\");\n".to_string(), "daphne.stop"),
    ];
    let workers = Workers::start(1);
    let addr = workers.addrs[0].clone();
    let rt = runtime();
    for (script, op) in &cases {
        let ir = main_as_task(script, &dir);
        rt.block_on(async {
            let mut c = client(&addr).await;
            let e = c
                .compute(Task { version: PROTOCOL_VERSION, session: 11, ir: ir.clone(), inputs: vec![] })
                .await
                .expect_err(&format!("a task with `{op}` ran:\n{ir}"));
            assert_eq!(e.code(), Code::PermissionDenied, "{op}: {e:?}");
            assert!(e.message().contains(&format!("`{op}`")), "{op}: {}", e.message());
            let req = FreeRequest { version: PROTOCOL_VERSION, session: 11, ids: vec![], all: false };
            c.free_mem(req).await.unwrap_or_else(|e| panic!("after `{op}`: the worker stopped serving: {e}"));
        });
    }
    assert!(!written.exists(), "a refused task wrote {}", written.display());
    let two_functions = "module {\n  func.func @dist() {\n    \"daphne.return\"() : () -> ()\n  }\n  func.func @other() {\n    \"daphne.return\"() : () -> ()\n  }\n}\n";
    rt.block_on(async {
        let mut c = client(&addr).await;
        let task = Task { version: PROTOCOL_VERSION, session: 11, ir: two_functions.into(), inputs: vec![] };
        let e = c.compute(task).await.expect_err("a task of two functions");
        assert_eq!(e.code(), Code::PermissionDenied, "{e:?}");
        assert!(e.message().contains("@other"), "{}", e.message());
    });
    assert_eq!(workers.object_count(0), 0);
}

/// Stores a 1000 x 10 matrix of f64 (80 000 bytes) and runs `ir` over it; the call's result.
fn run_over_stored_block(addr: &str, ir: &str) -> Result<(), Status> {
    runtime().block_on(async {
        let mut c = client(addr).await;
        let payload = 0.5f64.to_le_bytes().repeat(10_000);
        let id = c
            .store(tokio_stream::iter(vec![store_chunk(21, Some(dense_meta(1000, 10)), payload)]))
            .await
            .expect("an 80 000-byte object fits")
            .into_inner()
            .id;
        let task = Task {
            version: PROTOCOL_VERSION,
            session: 21,
            ir: ir.to_string(),
            inputs: vec![TaskInput { value: Some(task_input::Value::Object(id)) }],
        };
        let r = c.compute(task).await.map(|_| ());
        let free = FreeRequest { version: PROTOCOL_VERSION, session: 21, ids: vec![], all: true };
        c.free_mem(free).await.expect("the worker still serves");
        r
    })
}

#[test]
fn work_per_task_is_bounded_by_memory_and_time() {
    let ir = task_ir("X = rand(1000, 10, 0.0, 1.0, 1.0, 1);\nY = X * 2.0 + 1.0;\nprint(Y[0, 0]);\n");
    let m = parse_module(&ir).expect("task parses");
    let dist = m.find_func("dist").expect("@dist");
    assert_eq!(m.block_args(m.op_block(dist, 0).expect("body")).len(), 1, "one input:\n{ir}");
    // Unlimited, the task runs.
    let free = Workers::start(1);
    run_over_stored_block(&free.addrs[0], &ir).expect("the task runs without limits");
    // Its 80 000-byte result does not fit beside its input in 100 KiB: refused before it runs.
    let small = Workers::start_with(1, &["--memory-limit", "100K"], &[]);
    let e = run_over_stored_block(&small.addrs[0], &ir).expect_err("the result does not fit");
    assert_eq!(e.code(), Code::ResourceExhausted, "{e:?}");
    assert!(e.message().contains("(at least) of 80000 bytes"), "refused up front: {}", e.message());
    // A task that runs longer than --task-timeout is cancelled (a microsecond: always longer).
    let hurried = Workers::start_with(1, &["--task-timeout", "0.000001"], &[]);
    let e = run_over_stored_block(&hurried.addrs[0], &ir).expect_err("the task took too long");
    assert_eq!(e.code(), Code::DeadlineExceeded, "{e:?}");
    assert!(e.message().contains("--task-timeout"), "{}", e.message());
    for w in [&free, &small, &hurried] {
        assert_eq!(w.object_count(0), 0);
    }
}

#[test]
fn pipelines_over_small_inputs_stay_local() {
    let dir = std::env::temp_dir().join(format!("daphne-cost-model-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("small_and_large.daph");
    // 4 x 5 doubles are 160 bytes; 200 x 1000 are 1 600 000.
    std::fs::write(
        &path,
        "A = rand(4, 5, 0.0, 1.0, 1.0, 7);\nB = rand(200, 1000, 0.0, 1.0, 1.0, 8);\nprint(sum(A * 2.0));\nprint(sum(B * 2.0));\n",
    )
    .expect("script");
    let script = path.to_str().expect("utf-8 path");
    let local = run_daphne_env(&args(&["--vec", script]), &[], TIMEOUT);
    assert_eq!(local.status.code(), Some(0), "{}", String::from_utf8_lossy(&local.stderr));
    let workers = Workers::start(2);
    let list = workers.list();
    let run = |flags: &[&str], env: &[(&str, &str)]| {
        let mut a = args(&["--distributed", "--dist-stats", "--explain", "distributed"]);
        a.extend(flags.iter().map(|s| s.to_string()));
        a.push(script.to_string());
        let mut e = vec![("DISTRIBUTED_WORKERS", list.as_str())];
        e.extend_from_slice(env);
        let out = run_daphne_env(&a, &e, TIMEOUT);
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        assert_eq!(out.stdout, local.stdout, "the same output as --vec");
        stderr
    };
    // The default (here through an empty DAPHNE_DIST_MIN_BYTES): the small pipeline stays local.
    for (flags, env) in
        [(&["--dist-min-bytes", "1048576"][..], &[][..]), (&[][..], &[("DAPHNE_DIST_MIN_BYTES", "")][..])]
    {
        let stderr = run(flags, env);
        assert!(stderr.contains("local = \"inputs of 160 bytes, under --dist-min-bytes 1048576\""), "{stderr}");
        assert_eq!(stderr.matches("\"daphne.distributedPipeline\"").count(), 1, "{stderr}");
        assert!(stderr.contains("1 pipelines on workers, 0 on the coordinator"), "{stderr}");
    }
    // 0 distributes both.
    let stderr = run(&["--dist-min-bytes", "0"], &[]);
    assert!(!stderr.contains("local = "), "{stderr}");
    assert!(stderr.contains("2 pipelines on workers, 0 on the coordinator"), "{stderr}");
    let out = run_daphne_env(&args(&["--distributed", script]), &[("DAPHNE_DIST_MIN_BYTES", "lots")], TIMEOUT);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("DAPHNE_DIST_MIN_BYTES `lots` is not a byte count"));
}

/// Reads a count out of the `--dist-stats` line: the number before `what`.
#[test]
fn data_is_born_on_the_workers_and_loop_state_stays_there() {
    let script = root().join("tests/scripts/distributed/born_on_workers.daph");
    let expected =
        std::fs::read_to_string(root().join("tests/scripts/distributed/born_on_workers.txt")).expect("expected");
    let workers = Workers::start(2);
    let out = run_daphne_env(
        &args(&["--distributed", "--dist-stats", script.to_str().expect("path")]),
        &[("DISTRIBUTED_WORKERS", &workers.list())],
        TIMEOUT,
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected, "the cells of a local run");
    // X, Y, G and the first m were made by the workers: no matrix of 3000 rows was sent
    // (X alone is 960 000 bytes), only the few rows of C each iteration.
    assert_eq!(stat(&stderr, "matrices on the workers"), 4, "{stderr}");
    assert!(stat(&stderr, "bytes), reused") < 3000 * 8, "{stderr}");
    // m (3000 x 1, 24 000 bytes) stayed on the workers across the loop; what came back is C's
    // 5 rows and X's last row, cut on the workers.
    assert!(stat(&stderr, "bytes); kept") < 3000 * 8, "{stderr}");
    for i in 0..2 {
        assert_eq!(workers.object_count(i), 0);
    }
}

#[test]
fn a_zero_draw_in_a_row_block_makes_the_matrix_locally_with_the_same_cells() {
    // rand(.., a, b, ..) of f32 with a = -c and b = 1 - c for a canonical draw c of the stream
    // draws exactly zero there; rand draws that cell again, which shifts the stream of every later
    // row block. Here the zero falls into the first of two blocks.
    let mut g = daphne_runtime::rng::Mt19937::new(11);
    let canon: Vec<f32> = (0..20).map(|_| g.canonical_f32()).collect();
    let k = canon.iter().position(|c| (0.5..0.99).contains(c)).expect("a draw in [0.5, 1) among 20");
    let (a, b) = (-canon[k], 1.0 - canon[k]);
    let dir = std::env::temp_dir().join(format!("daphne-zero-draw-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("zero_draw.daph");
    let text = format!(
        "X = rand(4, 10, as.f32({:?}), as.f32({:?}), 1.0, 11);\nprint(sum(X * 2));\nprint(sum(X != 0.0));\n",
        a as f64, b as f64
    );
    std::fs::write(&path, text).expect("script");
    let script = path.to_str().expect("utf-8 path");
    let local = run_daphne_env(&args(&[script]), &[], TIMEOUT);
    assert_eq!(local.status.code(), Some(0), "{}", String::from_utf8_lossy(&local.stderr));
    assert!(String::from_utf8_lossy(&local.stdout).ends_with("\n40\n"), "no zero cell");
    let workers = Workers::start(2);
    let out = run_daphne_env(
        &args(&["--distributed", "--dist-stats", script]),
        &[("DISTRIBUTED_WORKERS", &workers.list())],
        TIMEOUT,
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(out.stdout, local.stdout, "{stderr}");
    assert_eq!(stat(&stderr, "matrices on the workers"), 0, "{stderr}");
}
