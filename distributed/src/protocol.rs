//! The protocol's version and limits, defined once and used by both ends (the coordinator's
//! transports and the worker's handlers): every request carries the version, and every object
//! travels in chunks, so no single message limits an object's size.

/// The protocol version this build speaks; every request carries it, and a worker answers a
/// request of another version with `FAILED_PRECONDITION`.
pub const PROTOCOL_VERSION: u32 = 1;

/// Bytes per message of `Store` and `Transfer` unless `--max-distr-chunk-size` (or, for a
/// `Transfer` that names none, the request) says otherwise. Small enough that a message and the
/// buffers gRPC copies it through fit in a core's L2 cache (a 4 MiB message goes to memory and
/// back at every copy), large enough that per-message costs vanish (README, "Transfers at
/// memory speed").
pub const DEFAULT_CHUNK_BYTES: usize = 256 << 10;

/// Largest chunk a coordinator sends or asks for.
pub const MAX_CHUNK_BYTES: usize = 256 << 20;

/// Largest single gRPC message either end accepts: far above any chunk, so it only bounds a
/// malformed message.
pub const MAX_MESSAGE_BYTES: usize = 1 << 30;

/// HTTP/2 flow-control window per stream on both ends: large, so that a chunked object streams at
/// memory speed instead of waiting for window updates (the default is 64 KiB).
pub const WINDOW_BYTES: u32 = 16 << 20;

/// HTTP/2 flow-control window per connection on both ends: room for several streams at full
/// window (a coordinator stores and transfers to one worker over one connection).
pub const CONNECTION_WINDOW_BYTES: u32 = 4 * WINDOW_BYTES;

/// Largest HTTP/2 frame either end accepts (the default is 16 KiB): a chunk of data travels in a
/// few frames instead of one per 16 KiB, each with its own header, wake-up and flow-control
/// bookkeeping.
pub const FRAME_BYTES: u32 = 1 << 20;

/// How often a coordinator tells its workers that its session is alive.
pub const HEARTBEAT: std::time::Duration = std::time::Duration::from_secs(2);
