//! The gRPC transport (`--dist_backend=sync-gRPC` and `async-gRPC`): one tonic channel per worker
//! with HTTP/2 keep-alive (a worker that hangs is noticed within seconds), objects stored and
//! fetched in chunks, a deadline on every call, the shared token on every call, TLS when the
//! coordinator has the workers' CA certificate, and a heartbeat that keeps the session alive.
//! The network threads are this transport's own tokio runtime; callers block on their calls.

use super::{CallError, Code, Transport};
use crate::auth::AttachToken;
use crate::proto::worker_client::WorkerClient;
use crate::proto::{Computed, DataChunk, FreeRequest, ObjectMeta, StoreChunk, Task, TaskInput, TransferRequest};
use crate::protocol::{
    CONNECTION_WINDOW_BYTES, FRAME_BYTES, HEARTBEAT, MAX_MESSAGE_BYTES, PROTOCOL_VERSION, WINDOW_BYTES,
};
use crate::{source_chain, tls, wire};
use bytes::Bytes;
use daphne_runtime::data::Data;
use std::time::Duration;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};
use tonic::{Request, Status};

/// A connected client of one worker.
type Client = WorkerClient<InterceptedService<Channel, AttachToken>>;

/// How long connecting to a worker may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Deadline of a data call (`Store`, `Compute`, `Transfer`): a backstop only, since keep-alive
/// pings notice a dead or hung worker within `KEEPALIVE_INTERVAL + KEEPALIVE_TIMEOUT`.
const DATA_CALL_TIMEOUT: Duration = Duration::from_secs(3600);
/// Deadline of `FreeMem` and of the health check.
const SMALL_CALL_TIMEOUT: Duration = Duration::from_secs(3);
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(1);
const KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(3);

/// How to reach the workers.
pub struct GrpcOptions<'a> {
    /// The workers' `host:port` addresses.
    pub workers: &'a [String],
    /// The coordinator's session id, carried by every call.
    pub session: u64,
    /// Largest message of `Store`/`Transfer` in bytes.
    pub chunk_bytes: usize,
    /// The shared token the workers expect, if any.
    pub token: Option<&'a str>,
    /// The CA certificate (PEM) that signed the workers' certificates: with it, TLS.
    pub tls_ca: Option<&'a [u8]>,
}

/// Connections to every worker of one coordinator.
pub struct GrpcTransport {
    rt: tokio::runtime::Runtime,
    workers: Vec<(String, Client)>,
    session: u64,
    chunk_bytes: usize,
    heartbeat: tokio::task::JoinHandle<()>,
}

impl GrpcTransport {
    /// Connects to every worker and checks that it accepts this coordinator (token, protocol
    /// version, TLS); an unreachable or refusing worker is an error naming it.
    pub fn connect(opts: &GrpcOptions<'_>) -> Result<GrpcTransport, String> {
        let token = AttachToken::new(opts.token)?;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(opts.workers.len().clamp(2, 8))
            .thread_name("daphne-coordinator")
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the coordinator's network threads: {e}"))?;
        let session = opts.session;
        let workers = rt.block_on(async {
            let mut handles = Vec::new();
            for addr in opts.workers {
                let (addr, token, tls_ca) = (addr.clone(), token.clone(), opts.tls_ca.map(<[u8]>::to_vec));
                handles.push(tokio::spawn(async move {
                    let client = connect(&addr, &token, tls_ca.as_deref()).await?;
                    ping(client.clone(), session).await.map_err(|s| {
                        let e = CallError::from(&s);
                        format!("worker `{addr}`: {}{}", e.describe(), first_call_hint(&e))
                    })?;
                    Ok::<(String, Client), String>((addr, client))
                }));
            }
            let mut workers = Vec::new();
            for h in handles {
                workers.push(h.await.map_err(|e| format!("connecting failed: {e}"))??);
            }
            Ok::<Vec<(String, Client)>, String>(workers)
        })?;
        let clients: Vec<Client> = workers.iter().map(|(_, c)| c.clone()).collect();
        let heartbeat = rt.spawn(async move {
            let mut tick = tokio::time::interval(HEARTBEAT);
            loop {
                tick.tick().await;
                for c in &clients {
                    let _ = ping(c.clone(), session).await;
                }
            }
        });
        Ok(GrpcTransport { rt, workers, session, chunk_bytes: opts.chunk_bytes.max(1), heartbeat })
    }

    fn client(&self, w: usize) -> Result<Client, CallError> {
        self.workers
            .get(w)
            .map(|(_, c)| c.clone())
            .ok_or_else(|| CallError::new(Code::Internal, format!("there is no worker {w}")))
    }
}

impl Drop for GrpcTransport {
    fn drop(&mut self) {
        self.heartbeat.abort();
    }
}

impl Transport for GrpcTransport {
    fn worker_count(&self) -> usize {
        self.workers.len()
    }

    fn address(&self, w: usize) -> &str {
        self.workers.get(w).map_or("?", |(a, _)| a.as_str())
    }

    fn ping(&self, w: usize) -> Result<(), CallError> {
        let client = self.client(w)?;
        self.rt.block_on(ping(client, self.session)).map_err(|s| CallError::from(&s))
    }

    fn store(&self, w: usize, data: &Data) -> Result<(u64, u64), CallError> {
        let client = self.client(w)?;
        let (meta, payload) = wire::encode_shared(data).map_err(|e| CallError::new(Code::InvalidArgument, e))?;
        let bytes = payload.len() as u64;
        let messages = store_chunks(self.session, meta, &payload, self.chunk_bytes);
        let id = self
            .rt
            .block_on(async move {
                let mut client = client;
                client.store(with_deadline(tokio_stream::iter(messages), DATA_CALL_TIMEOUT)).await
            })
            .map_err(|s| CallError::from(&s))?
            .into_inner()
            .id;
        Ok((id, bytes))
    }

    fn compute(&self, w: usize, ir: &str, inputs: Vec<TaskInput>) -> Result<Computed, CallError> {
        let mut client = self.client(w)?;
        let task = Task { version: PROTOCOL_VERSION, session: self.session, ir: ir.to_string(), inputs };
        self.rt
            .block_on(async move { client.compute(with_deadline(task, DATA_CALL_TIMEOUT)).await })
            .map(tonic::Response::into_inner)
            .map_err(|s| CallError::from(&s))
    }

    fn transfer(&self, w: usize, id: u64) -> Result<(Data, u64), CallError> {
        let mut client = self.client(w)?;
        let req = TransferRequest {
            version: PROTOCOL_VERSION,
            session: self.session,
            id,
            chunk_bytes: self.chunk_bytes as u64,
        };
        let decoder = self
            .rt
            .block_on(async move {
                let stream = client.transfer(with_deadline(req, DATA_CALL_TIMEOUT)).await?.into_inner();
                receive_object(stream).await
            })
            .map_err(|s| CallError::from(&s))?;
        let bytes = decoder.expected() as u64;
        let d = decoder.finish().map_err(|e| CallError::new(Code::DataLoss, e))?;
        Ok((d, bytes))
    }

    fn free(&self, w: usize, ids: &[u64], all: bool) -> Result<(), CallError> {
        let mut client = self.client(w)?;
        let req = FreeRequest { version: PROTOCOL_VERSION, session: self.session, ids: ids.to_vec(), all };
        self.rt
            .block_on(async move { client.free_mem(with_deadline(req, SMALL_CALL_TIMEOUT)).await })
            .map(|_| ())
            .map_err(|s| CallError::from(&s))
    }
}

/// The messages of a `Store` of one object: chunks of at most `chunk` bytes, slices of the
/// payload (no copies); the first carries the header.
pub fn store_chunks(
    session: u64,
    meta: ObjectMeta,
    payload: &Bytes,
    chunk: usize,
) -> impl Iterator<Item = StoreChunk> + Send + 'static {
    let mut meta = Some(meta);
    wire::chunks(payload, chunk).map(move |data| StoreChunk {
        version: PROTOCOL_VERSION,
        session,
        meta: meta.take(),
        data,
    })
}

/// Receives the chunks of a `Transfer` into a decoder (the cells of a dense matrix go straight
/// into its final buffer as they arrive); a worker that sends other bytes than its header
/// announces is `DATA_LOSS`. The decoder has all the payload: [`wire::Decoder::finish`] it.
pub async fn receive_object(mut stream: tonic::Streaming<DataChunk>) -> Result<wire::Decoder, Status> {
    let first = stream.message().await?.ok_or_else(|| Status::data_loss("the worker sent no data"))?;
    let meta = first.meta.ok_or_else(|| Status::data_loss("the worker's first chunk has no header"))?;
    let lost = |e: String| Status::data_loss(format!("the worker's object: {e}"));
    let mut decoder = wire::Decoder::new(meta).map_err(|e| match e.code {
        Code::ResourceExhausted => Status::resource_exhausted(e.message),
        _ => lost(e.message),
    })?;
    decoder.push(&first.data).map_err(lost)?;
    while let Some(c) = stream.message().await? {
        if c.meta.is_some() {
            return Err(Status::data_loss("the worker sent a second header within one object"));
        }
        decoder.push(&c.data).map_err(lost)?;
    }
    if decoder.received() != decoder.expected() {
        return Err(lost(format!(
            "the header announces {} payload bytes, {} arrived",
            decoder.expected(),
            decoder.received()
        )));
    }
    Ok(decoder)
}

/// The HTTP/2 settings of the coordinator's connections (also for tools that measure them, such
/// as `examples/transfer_throughput.rs`): large flow-control windows and frames, so that a
/// chunked object streams at memory speed, and no Nagle delay.
pub fn tune(endpoint: Endpoint) -> Endpoint {
    endpoint
        .tcp_nodelay(true)
        .initial_stream_window_size(Some(WINDOW_BYTES))
        .initial_connection_window_size(Some(CONNECTION_WINDOW_BYTES))
        .max_frame_size(Some(FRAME_BYTES))
}

/// The gRPC status codes and the transport-neutral ones, both ways (the coordinator reads
/// statuses, the worker's handlers answer with them).
const CODES: [(tonic::Code, Code); 16] = [
    (tonic::Code::InvalidArgument, Code::InvalidArgument),
    (tonic::Code::NotFound, Code::NotFound),
    (tonic::Code::FailedPrecondition, Code::FailedPrecondition),
    (tonic::Code::Aborted, Code::Aborted),
    (tonic::Code::ResourceExhausted, Code::ResourceExhausted),
    (tonic::Code::Unauthenticated, Code::Unauthenticated),
    (tonic::Code::PermissionDenied, Code::PermissionDenied),
    (tonic::Code::AlreadyExists, Code::AlreadyExists),
    (tonic::Code::OutOfRange, Code::OutOfRange),
    (tonic::Code::Unimplemented, Code::Unimplemented),
    (tonic::Code::Unavailable, Code::Unavailable),
    (tonic::Code::DeadlineExceeded, Code::DeadlineExceeded),
    (tonic::Code::Cancelled, Code::Cancelled),
    (tonic::Code::DataLoss, Code::DataLoss),
    (tonic::Code::Internal, Code::Internal),
    (tonic::Code::Unknown, Code::Unknown),
];

impl From<&Status> for CallError {
    fn from(s: &Status) -> CallError {
        let code = CODES.iter().find(|(g, _)| *g == s.code()).map_or(Code::Unknown, |(_, c)| *c);
        CallError::new(code, s.message())
    }
}

impl From<CallError> for Status {
    fn from(e: CallError) -> Status {
        let code = CODES.iter().find(|(_, c)| *c == e.code).map_or(tonic::Code::Unknown, |(g, _)| *g);
        Status::new(code, e.message)
    }
}

/// A hint about TLS when the first call to a worker failed below gRPC (a protocol error, a
/// connection closed at once): what a plaintext coordinator sees from a TLS worker.
fn first_call_hint(e: &CallError) -> String {
    match e.code {
        Code::Internal | Code::Unknown | Code::Unavailable | Code::Cancelled => tls_hint(&e.message),
        _ => String::new(),
    }
}

/// Opens a channel to `addr` (connecting now, bounded by `CONNECT_TIMEOUT`), with TLS when the
/// CA certificate that signed the workers' certificates is given.
async fn connect(addr: &str, token: &AttachToken, tls_ca: Option<&[u8]>) -> Result<Client, String> {
    let scheme = if tls_ca.is_some() { "https" } else { "http" };
    let endpoint = Endpoint::from_shared(format!("{scheme}://{addr}"))
        .map_err(|e| format!("the worker address `{addr}` is invalid: {e}"))?
        .connect_timeout(CONNECT_TIMEOUT)
        .http2_keep_alive_interval(KEEPALIVE_INTERVAL)
        .keep_alive_timeout(KEEPALIVE_TIMEOUT)
        .keep_alive_while_idle(true);
    let mut endpoint = tune(endpoint);
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
fn tls_hint(cause: &str) -> String {
    let lower = cause.to_ascii_lowercase();
    let absent = ["connection refused", "timed out", "no route to host", "name or service not known"];
    if absent.iter().any(|a| lower.contains(a)) { String::new() } else { format!(" ({})", tls::MISMATCH_HINT) }
}

fn with_deadline<T>(msg: T, d: Duration) -> Request<T> {
    let mut r = Request::new(msg);
    r.set_timeout(d);
    r
}

/// The health check (a `FreeMem` of nothing, which also tells the worker the session is alive).
async fn ping(mut client: Client, session: u64) -> Result<(), Status> {
    let req = FreeRequest { version: PROTOCOL_VERSION, session, ids: vec![], all: false };
    client.free_mem(with_deadline(req, SMALL_CALL_TIMEOUT)).await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_both_ways() {
        for (g, c) in CODES {
            assert_eq!(CallError::from(&Status::new(g, "m")).code, c);
            assert_eq!(Status::from(CallError::new(c, "m")).code(), g);
        }
        assert_eq!(CallError::from(&Status::new(tonic::Code::Ok, "")).code, Code::Unknown);
    }
}
