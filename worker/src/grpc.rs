//! The worker's gRPC handlers and server: each handler decodes and validates a request, then
//! hands the work to the transport-free [`WorkerCore`] on a blocking thread (compute never runs
//! on the async runtime's threads) and turns its refusals into gRPC statuses. Every malformed
//! request gets an error status; the worker keeps serving.

use crate::core::{WorkerCore, check_version};
use daphne_distributed::auth::CheckToken;
use daphne_distributed::proto::worker_server::{Worker, WorkerServer};
use daphne_distributed::proto::{Computed, DataChunk, FreeRequest, Freed, StoreChunk, Stored, Task, TransferRequest};
use daphne_distributed::protocol::{
    CONNECTION_WINDOW_BYTES, DEFAULT_CHUNK_BYTES, FRAME_BYTES, MAX_MESSAGE_BYTES, WINDOW_BYTES,
};
use daphne_distributed::source_chain;
use daphne_distributed::transport::CallError;
use daphne_distributed::wire;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio_stream::Stream;
use tonic::transport::ServerTlsConfig;
use tonic::{Request, Response, Status, Streaming};

/// The gRPC face of a worker core.
#[derive(Clone)]
pub struct GrpcWorker {
    core: Arc<WorkerCore>,
}

impl GrpcWorker {
    pub fn new(core: Arc<WorkerCore>) -> GrpcWorker {
        GrpcWorker { core }
    }
}

/// Runs blocking core work off the async threads; a panic becomes an internal error status.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, CallError> + Send + 'static) -> Result<T, Status> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Status::internal(format!("the worker failed: {e}")))?
        .map_err(Status::from)
}

type ChunkStream = Pin<Box<dyn Stream<Item = Result<DataChunk, Status>> + Send>>;

#[tonic::async_trait]
impl Worker for GrpcWorker {
    async fn store(&self, request: Request<Streaming<StoreChunk>>) -> Result<Response<Stored>, Status> {
        let mut stream = request.into_inner();
        let first = stream.message().await?.ok_or_else(|| Status::invalid_argument("an empty store stream"))?;
        check_version(first.version).map_err(Status::from)?;
        let meta = first.meta.ok_or_else(|| Status::invalid_argument("the first chunk carries no header"))?;
        let mut decoder = self.core.admit_store(first.session, meta).map_err(Status::from)?;
        // Each chunk goes into the decoder as it arrives (a copy of one chunk into the object's
        // final buffer: cheap enough for these threads).
        decoder.push(&first.data).map_err(Status::invalid_argument)?;
        while let Some(chunk) = stream.message().await? {
            if chunk.version != first.version || chunk.session != first.session {
                return Err(Status::invalid_argument("chunks of one object must share version and session"));
            }
            if chunk.meta.is_some() {
                return Err(Status::invalid_argument("only the first chunk of an object carries a header"));
            }
            decoder.push(&chunk.data).map_err(Status::invalid_argument)?;
        }
        let (core, session) = (Arc::clone(&self.core), first.session);
        let id = blocking(move || core.store(session, decoder)).await?;
        Ok(Response::new(Stored { id }))
    }

    async fn compute(&self, request: Request<Task>) -> Result<Response<Computed>, Status> {
        let task = request.into_inner();
        let core = Arc::clone(&self.core);
        Ok(Response::new(blocking(move || core.compute(&task)).await?))
    }

    type TransferStream = ChunkStream;

    async fn transfer(&self, request: Request<TransferRequest>) -> Result<Response<ChunkStream>, Status> {
        let req = request.into_inner();
        check_version(req.version).map_err(Status::from)?;
        let chunk = match usize::try_from(req.chunk_bytes) {
            Ok(0) | Err(_) => DEFAULT_CHUNK_BYTES,
            Ok(n) => n,
        };
        let core = Arc::clone(&self.core);
        let (meta, payload) = blocking(move || core.transfer(req.session, req.id)).await?;
        // The chunks are slices of the payload (no copies), made as gRPC asks for them.
        let mut meta = Some(meta);
        let chunks = wire::chunks(&payload, chunk).map(move |data| Ok(DataChunk { meta: meta.take(), data }));
        Ok(Response::new(Box::pin(tokio_stream::iter(chunks))))
    }

    async fn free_mem(&self, request: Request<FreeRequest>) -> Result<Response<Freed>, Status> {
        let req = request.into_inner();
        check_version(req.version).map_err(Status::from)?;
        let remaining = self.core.free(req.session, &req.ids, req.all).map_err(Status::from)?;
        Ok(Response::new(Freed { remaining }))
    }
}

/// How a gRPC worker serves.
pub struct ServeOptions {
    pub addr: SocketAddr,
    /// The address as the user gave it (printed unless the port was 0).
    pub shown: String,
    pub check: CheckToken,
    pub tls: Option<ServerTlsConfig>,
    /// Completes when the worker should stop.
    pub shutdown: Pin<Box<dyn std::future::Future<Output = ()> + Send>>,
}

/// Listens, prints ``Started Distributed Worker on `IP:PORT` `` and serves until shutdown.
/// Sessions whose coordinator went away are freed in the background, and freed memory goes back
/// to the system once the worker has had no data call for a second (so a worker's footprint
/// returns to its idle level between scripts, while back-to-back transfers reuse warm memory).
pub async fn serve(core: Arc<WorkerCore>, opts: ServeOptions) -> Result<(), String> {
    let mut builder = tonic::transport::Server::builder();
    if let Some(config) = opts.tls {
        builder = builder
            .tls_config(config)
            .map_err(|e| format!("the TLS certificate or key is invalid: {}", source_chain(&e)))?;
    }
    let shown = &opts.shown;
    let listener =
        tokio::net::TcpListener::bind(opts.addr).await.map_err(|e| format!("cannot listen on `{shown}`: {e}"))?;
    let bound = listener.local_addr().map_err(|e| format!("cannot listen on `{shown}`: {e}"))?;
    let shown = if opts.addr.port() == 0 { bound.to_string() } else { shown.to_string() };
    let expiring = Arc::clone(&core);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tick.tick().await;
            expiring.expire_sessions();
            crate::memory::release_free_memory_when_idle(expiring.idle_for());
        }
    });
    let server = WorkerServer::new(GrpcWorker::new(core))
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_MESSAGE_BYTES);
    let server = tonic::service::interceptor::InterceptedService::new(server, opts.check);
    println!("Started Distributed Worker on `{shown}`");
    use std::io::Write;
    let _ = std::io::stdout().flush();
    // No Nagle: small answers (a task's outputs, the last chunk of a transfer) must not wait for
    // the peer's delayed ACK (40 ms per round trip otherwise).
    let incoming = tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
    builder
        .initial_stream_window_size(Some(WINDOW_BYTES))
        .initial_connection_window_size(Some(CONNECTION_WINDOW_BYTES))
        .max_frame_size(Some(FRAME_BYTES))
        .add_service(server)
        .serve_with_incoming_shutdown(incoming, opts.shutdown)
        .await
        .map_err(|e| format!("the server failed: {e}"))
}
