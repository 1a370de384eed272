//! The coordinator's calls to one worker: connecting (with HTTP/2 keep-alive, so a worker that
//! hangs is noticed within seconds), storing and fetching objects in chunks, freeing, and the
//! health check. Every call has a deadline and carries the shared token; the channel speaks TLS
//! when the coordinator has the workers' CA certificate.

use crate::data::Data;
use crate::dist::auth::AttachToken;
use crate::dist::proto::worker_client::WorkerClient;
use crate::dist::proto::{FreeRequest, PROTOCOL_VERSION, StoreChunk, TransferRequest};
use crate::dist::tls;
use crate::dist::wire;
use std::sync::Arc;
use std::time::Duration;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};
use tonic::{Code, Request, Status};

/// A connected client of one worker.
pub(super) type Client = WorkerClient<InterceptedService<Channel, AttachToken>>;

/// Largest gRPC message the coordinator accepts.
const MAX_MESSAGE_BYTES: usize = 1 << 30;
/// How long connecting to a worker may take.
pub(super) const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Deadline of a data call (`Store`, `Compute`, `Transfer`): a backstop only, since keep-alive
/// pings notice a dead or hung worker within `KEEPALIVE_INTERVAL + KEEPALIVE_TIMEOUT`.
pub(super) const DATA_CALL_TIMEOUT: Duration = Duration::from_secs(3600);
/// Deadline of `FreeMem` and of the health check.
pub(super) const SMALL_CALL_TIMEOUT: Duration = Duration::from_secs(3);
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(1);
const KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(3);
/// HTTP/2 flow-control window per stream: large, so that a chunked object streams at memory
/// speed instead of waiting for window updates (the default is 64 KiB).
pub const WINDOW_BYTES: u32 = 16 << 20;

/// Opens a channel to `addr` (connecting now, bounded by `CONNECT_TIMEOUT`), with TLS when the
/// CA certificate that signed the workers' certificates is given.
pub(super) async fn connect(addr: &str, token: &AttachToken, tls_ca: Option<&[u8]>) -> Result<Client, String> {
    let scheme = if tls_ca.is_some() { "https" } else { "http" };
    let mut endpoint = Endpoint::from_shared(format!("{scheme}://{addr}"))
        .map_err(|e| format!("the worker address `{addr}` is invalid: {e}"))?
        .connect_timeout(CONNECT_TIMEOUT)
        .tcp_nodelay(true)
        .http2_keep_alive_interval(KEEPALIVE_INTERVAL)
        .keep_alive_timeout(KEEPALIVE_TIMEOUT)
        .keep_alive_while_idle(true)
        .initial_stream_window_size(Some(WINDOW_BYTES))
        .initial_connection_window_size(Some(2 * WINDOW_BYTES));
    if let Some(ca) = tls_ca {
        let config = ClientTlsConfig::new()
            .ca_certificate(Certificate::from_pem(ca))
            .domain_name(tls::host_of(addr))
            .timeout(tls::HANDSHAKE_TIMEOUT);
        endpoint = endpoint
            .tls_config(config)
            .map_err(|e| format!("cannot set up TLS for worker `{addr}`: {}", source_chain(&e)))?;
    }
    let channel = endpoint.connect().await.map_err(|e| {
        let cause = source_chain(&e);
        let hint = if tls_ca.is_some() && cause.contains("peer certificate") {
            format!(
                " (the worker's certificate does not verify against {} for `{}`: another CA signed it, \
                 or it does not name that host)",
                tls::TLS_CA_ENV,
                tls::host_of(addr)
            )
        } else {
            tls_hint(&cause)
        };
        format!("cannot connect to worker `{addr}`: {cause}{hint}")
    })?;
    Ok(WorkerClient::with_interceptor(channel, token.clone())
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_MESSAGE_BYTES))
}

/// A hint about TLS for a failure that was not a refused or timed-out TCP connection (those mean
/// the worker is not there, not that it speaks another protocol).
pub(super) fn tls_hint(cause: &str) -> String {
    let lower = cause.to_ascii_lowercase();
    let absent = ["connection refused", "timed out", "no route to host", "name or service not known"];
    if absent.iter().any(|a| lower.contains(a)) { String::new() } else { format!(" ({})", tls::MISMATCH_HINT) }
}

/// An error and its sources, each once (wrappers often repeat their source's text).
fn source_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut last = s.clone();
    let mut cur = e.source();
    while let Some(inner) = cur {
        let text = inner.to_string();
        if !last.ends_with(&text) {
            s.push_str(": ");
            s.push_str(&text);
        }
        last = text;
        cur = inner.source();
    }
    s
}

fn with_deadline<T>(msg: T, d: Duration) -> Request<T> {
    let mut r = Request::new(msg);
    r.set_timeout(d);
    r
}

/// Whether a status is the worker's answer about the request (it is alive and said no), as
/// opposed to a failure of the connection or the process.
pub(super) fn is_answer(s: &Status) -> bool {
    matches!(
        s.code(),
        Code::InvalidArgument
            | Code::NotFound
            | Code::FailedPrecondition
            | Code::Aborted
            | Code::ResourceExhausted
            | Code::Unauthenticated
            | Code::PermissionDenied
            | Code::OutOfRange
            | Code::Unimplemented
    )
}

/// What a status means, in words.
pub(super) fn describe(s: &Status) -> String {
    match s.code() {
        Code::Unavailable => format!("it is unreachable ({})", s.message()),
        Code::DeadlineExceeded => "it did not answer in time".into(),
        Code::Unauthenticated => {
            format!("it refused this coordinator ({}); give the workers' token in DAPHNE_WORKER_TOKEN", s.message())
        }
        Code::FailedPrecondition => format!("it speaks another protocol ({})", s.message()),
        Code::ResourceExhausted => format!("it is out of memory ({})", s.message()),
        _ => format!("{:?}: {}", s.code(), s.message()),
    }
}

/// The health check (a `FreeMem` of nothing, which also tells the worker the session is alive).
pub(super) async fn ping(mut client: Client, session: u64) -> Result<(), Status> {
    let req = FreeRequest { version: PROTOCOL_VERSION, session, ids: vec![], all: false };
    client.free_mem(with_deadline(req, SMALL_CALL_TIMEOUT)).await.map(|_| ())
}

/// Frees objects (or the whole session).
pub(super) async fn free(mut client: Client, session: u64, ids: Vec<u64>, all: bool) -> Result<(), Status> {
    let req = FreeRequest { version: PROTOCOL_VERSION, session, ids, all };
    client.free_mem(with_deadline(req, SMALL_CALL_TIMEOUT)).await.map(|_| ())
}

/// Stores one object in chunks; its id and payload bytes.
pub(super) async fn store(mut client: Client, session: u64, data: Data, chunk: usize) -> Result<(u64, u64), Status> {
    let (meta, payload) = tokio::task::spawn_blocking(move || wire::encode(&data))
        .await
        .map_err(|e| Status::internal(format!("encoding failed: {e}")))?
        .map_err(Status::invalid_argument)?;
    let payload = Arc::new(payload);
    let bytes = payload.len() as u64;
    let n = payload.len().div_ceil(chunk).max(1);
    let messages = (0..n).map(move |i| {
        let (a, b) = ((i * chunk).min(payload.len()), ((i + 1) * chunk).min(payload.len()));
        StoreChunk {
            version: PROTOCOL_VERSION,
            session,
            meta: if i == 0 { Some(meta.clone()) } else { None },
            data: payload[a..b].to_vec(),
        }
    });
    let id = client.store(with_deadline(tokio_stream::iter(messages), DATA_CALL_TIMEOUT)).await?.into_inner().id;
    Ok((id, bytes))
}

/// Fetches one object in chunks; the object and its payload bytes.
pub(super) async fn transfer(mut client: Client, session: u64, id: u64, chunk: usize) -> Result<(Data, u64), Status> {
    let req = TransferRequest { version: PROTOCOL_VERSION, session, id, chunk_bytes: chunk as u64 };
    let mut stream = client.transfer(with_deadline(req, DATA_CALL_TIMEOUT)).await?.into_inner();
    let first = stream.message().await?.ok_or_else(|| Status::data_loss("the worker sent no data"))?;
    let meta = first.meta.ok_or_else(|| Status::data_loss("the worker's first chunk has no header"))?;
    let expected =
        usize::try_from(meta.payload_bytes).map_err(|_| Status::data_loss("the object does not fit this machine"))?;
    let mut payload = Vec::with_capacity(expected.min(MAX_MESSAGE_BYTES));
    payload.extend_from_slice(&first.data);
    while let Some(c) = stream.message().await? {
        if payload.len() + c.data.len() > expected {
            return Err(Status::data_loss("the worker sent more bytes than announced"));
        }
        payload.extend_from_slice(&c.data);
    }
    let bytes = payload.len() as u64;
    let d = tokio::task::spawn_blocking(move || wire::decode(&meta, &payload))
        .await
        .map_err(|e| Status::internal(format!("decoding failed: {e}")))?
        .map_err(Status::data_loss)?;
    Ok((d, bytes))
}

/// Runs a task with the data-call deadline.
pub(super) async fn compute(
    mut client: Client,
    task: crate::dist::proto::Task,
) -> Result<crate::dist::proto::Computed, Status> {
    Ok(client.compute(with_deadline(task, DATA_CALL_TIMEOUT)).await?.into_inner())
}
