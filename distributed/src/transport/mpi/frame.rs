//! The messages of the MPI backend, shared by both ends (the coordinator's [`super::MpiTransport`]
//! and the worker's MPI handler): a call is a request from rank 0 to a worker rank and its reply,
//! all under one MPI tag (the call's id), so several calls to one rank may be in flight at once
//! and MPI's ordering of messages with the same source and tag keeps each call's messages in
//! order. The first message of a request is an envelope: a kind byte and the prost encoding of
//! the gRPC protocol's message for that call (`StoreChunk` with the object's header, `Task`,
//! `TransferRequest`, `FreeRequest`). The payload of an object (the encoding of `wire.rs`)
//! follows as raw messages of at most `--max-distr-chunk-size` bytes, as many as the header's
//! `payload_bytes` needs (none for an empty payload). A reply is an envelope too: a status byte
//! (0 for success, else the [`Code`] of the worker's refusal followed by its message) and, on
//! success, the prost encoding of the answer (`Stored`, `Computed`, `DataChunk` whose raw payload
//! chunks follow, `Freed`). Nothing here trusts the bytes it decodes.

use crate::proto::{FreeRequest, StoreChunk, Task, TransferRequest};
use crate::transport::{CallError, Code};
use prost::Message;

/// The coordinator's rank; every other rank of the world is a worker.
pub const COORDINATOR_RANK: i32 = 0;

/// Call ids (tags) cycle through `1..=MAX_TAG`: the least upper bound MPI guarantees for tags.
pub const MAX_TAG: i32 = 32767;

/// A request of the coordinator, decoded.
#[derive(Debug)]
pub enum Request {
    /// Store an object whose header is in the chunk; its payload follows in raw messages.
    Store(StoreChunk),
    Compute(Task),
    /// Send an object back: the reply's header, then its payload in raw messages.
    Transfer(TransferRequest),
    /// Free objects; with no ids and not `all`, the health check.
    Free(FreeRequest),
    /// The run is over: the worker rank stops serving (no reply).
    Stop,
}

const STORE: u8 = 1;
const COMPUTE: u8 = 2;
const TRANSFER: u8 = 3;
const FREE: u8 = 4;
const STOP: u8 = 5;

impl Request {
    /// The envelope message of this request.
    pub fn encode(&self) -> Vec<u8> {
        let (kind, body) = match self {
            Request::Store(m) => (STORE, m.encode_to_vec()),
            Request::Compute(m) => (COMPUTE, m.encode_to_vec()),
            Request::Transfer(m) => (TRANSFER, m.encode_to_vec()),
            Request::Free(m) => (FREE, m.encode_to_vec()),
            Request::Stop => (STOP, Vec::new()),
        };
        let mut out = Vec::with_capacity(1 + body.len());
        out.push(kind);
        out.extend_from_slice(&body);
        out
    }

    /// Reads an envelope message; a malformed one is `InvalidArgument`.
    pub fn decode(bytes: &[u8]) -> Result<Request, CallError> {
        let bad = |e: prost::DecodeError| CallError::new(Code::InvalidArgument, format!("a malformed request: {e}"));
        let Some((kind, body)) = bytes.split_first() else {
            return Err(CallError::new(Code::InvalidArgument, "an empty request"));
        };
        Ok(match *kind {
            STORE => Request::Store(StoreChunk::decode(body).map_err(bad)?),
            COMPUTE => Request::Compute(Task::decode(body).map_err(bad)?),
            TRANSFER => Request::Transfer(TransferRequest::decode(body).map_err(bad)?),
            FREE => Request::Free(FreeRequest::decode(body).map_err(bad)?),
            STOP => Request::Stop,
            k => return Err(CallError::new(Code::Unimplemented, format!("unknown request kind {k}"))),
        })
    }
}

/// The codes of refusals on the wire: index + 1 (0 is success).
const CODES: [Code; 16] = [
    Code::InvalidArgument,
    Code::NotFound,
    Code::FailedPrecondition,
    Code::Aborted,
    Code::ResourceExhausted,
    Code::Unauthenticated,
    Code::PermissionDenied,
    Code::AlreadyExists,
    Code::OutOfRange,
    Code::Unimplemented,
    Code::Unavailable,
    Code::DeadlineExceeded,
    Code::Cancelled,
    Code::DataLoss,
    Code::Internal,
    Code::Unknown,
];

/// A successful reply carrying `m`.
pub fn encode_ok<M: Message>(m: &M) -> Vec<u8> {
    let body = m.encode_to_vec();
    let mut out = Vec::with_capacity(1 + body.len());
    out.push(0);
    out.extend_from_slice(&body);
    out
}

/// A reply refusing the request with `e`.
pub fn encode_err(e: &CallError) -> Vec<u8> {
    let code = CODES.iter().position(|c| *c == e.code).map_or(CODES.len(), |i| i + 1);
    let mut out = Vec::with_capacity(1 + e.message.len());
    out.push(code as u8);
    out.extend_from_slice(e.message.as_bytes());
    out
}

/// Reads a reply envelope: the answer, or the worker's refusal as it sent it; a malformed reply
/// is `DataLoss`.
pub fn decode_reply<M: Message + Default>(bytes: &[u8]) -> Result<M, CallError> {
    match bytes.split_first() {
        None => Err(CallError::new(Code::DataLoss, "the worker sent an empty reply")),
        Some((0, body)) => {
            M::decode(body).map_err(|e| CallError::new(Code::DataLoss, format!("the worker's reply is malformed: {e}")))
        }
        Some((code, message)) => {
            let code = CODES.get(usize::from(*code) - 1).copied().unwrap_or(Code::Unknown);
            Err(CallError::new(code, String::from_utf8_lossy(message)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::{Freed, ObjectMeta};

    #[test]
    fn requests_round_trip() {
        let store = StoreChunk {
            version: 1,
            session: 7,
            meta: Some(ObjectMeta { rows: 3, payload_bytes: 24, ..ObjectMeta::default() }),
            data: bytes::Bytes::new(),
        };
        match Request::decode(&Request::Store(store.clone()).encode()) {
            Ok(Request::Store(s)) => assert_eq!(s, store),
            other => panic!("{other:?}"),
        }
        assert!(matches!(Request::decode(&Request::Stop.encode()), Ok(Request::Stop)));
        assert_eq!(Request::decode(&[]).map(|_| ()).unwrap_err().code, Code::InvalidArgument);
        assert_eq!(Request::decode(&[99]).map(|_| ()).unwrap_err().code, Code::Unimplemented);
        assert_eq!(Request::decode(&[COMPUTE, 0xff, 0xff]).map(|_| ()).unwrap_err().code, Code::InvalidArgument);
    }

    #[test]
    fn replies_carry_answers_and_refusals() {
        assert_eq!(decode_reply::<Freed>(&encode_ok(&Freed { remaining: 5 })), Ok(Freed { remaining: 5 }));
        for code in CODES {
            let e = CallError::new(code, "why");
            assert_eq!(decode_reply::<Freed>(&encode_err(&e)), Err(e));
        }
        assert_eq!(decode_reply::<Freed>(&[]).unwrap_err().code, Code::DataLoss);
        assert_eq!(decode_reply::<Freed>(&[200, b'x']).unwrap_err().code, Code::Unknown);
        assert_eq!(decode_reply::<Freed>(&[0, 0xff]).unwrap_err().code, Code::DataLoss);
    }
}
