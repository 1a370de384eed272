//! Arbitrary bytes fed to the worker wire format, the way an untrusted peer could send them.
//!
//! Input layout for the header/payload part: the first byte `n` gives the length of a protobuf
//! `ObjectMeta` (the next `n` bytes, fewer if the input is shorter), the rest is the payload.
//! Checks:
//! * `prost` decoding of `ObjectMeta`, and `daphne_distributed::wire::decode(meta, payload)`,
//!   never panic (errors are fine);
//! * when `wire::decode` succeeds, `wire::encode` of the result succeeds and decoding that again
//!   succeeds (the encoder accepts everything the decoder produces);
//! * the streaming `wire::Decoder`, fed the same payload in chunks (of a size taken from the input,
//!   so boundaries fall mid-cell), never panics and agrees with `wire::decode`: the same object
//!   (same encoding) or an error from both (only for headers whose payload size is the input's,
//!   so that a lying header does not make it reserve memory for bytes that never come);
//! * the whole input decoded as `StoreChunk`, `Task` and `TransferRequest` never panics; a
//!   `StoreChunk` carrying a header goes through `wire::decode` too, and a `Task`'s IR text
//!   through `daphne_ir::parse_module`, the verifier and the worker's task allowlist
//!   (`daphne_worker::allowlist::check_task`), which must answer without panicking.
#![no_main]

use daphne_distributed::proto::{ObjectMeta, StoreChunk, Task, TransferRequest};
use daphne_distributed::wire;
use libfuzzer_sys::fuzz_target;
use prost::Message;

/// The streaming decoder's result for `payload` cut into chunks of `chunk` bytes.
fn stream_decode(meta: &ObjectMeta, payload: &[u8], chunk: usize) -> Result<daphne_runtime::data::Data, String> {
    let mut d = wire::Decoder::new(meta.clone()).map_err(|e| e.message)?;
    for part in payload.chunks(chunk.max(1)) {
        d.push(part)?;
    }
    d.finish()
}

fn check_decode(meta: &ObjectMeta, payload: &[u8]) {
    let decoded = wire::decode(meta, payload);
    if meta.payload_bytes == payload.len() as u64 {
        let chunk = 1 + payload.first().map_or(0, |b| *b as usize % 13);
        match (&decoded, stream_decode(meta, payload, chunk)) {
            (Ok(a), Ok(b)) => {
                let (ea, eb) = (wire::encode(a), wire::encode(&b));
                assert_eq!(ea, eb, "wire::Decoder and wire::decode disagree\nmeta: {meta:?}");
            }
            (Err(_), Err(_)) => {}
            (a, b) => panic!(
                "wire::Decoder and wire::decode disagree: {:?} vs {:?}\nmeta: {meta:?}",
                a.as_ref().map(|_| ()),
                b.map(|_| ())
            ),
        }
    }
    let Ok(data) = decoded else { return };
    let (meta2, payload2) = match wire::encode(&data) {
        Ok(x) => x,
        Err(e) => panic!("wire::encode rejects what wire::decode produced: {e}\nmeta: {meta:?}"),
    };
    if let Err(e) = wire::decode(&meta2, &payload2) {
        panic!("re-encoded object does not decode again: {e}\nmeta: {meta:?}\nre-encoded meta: {meta2:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    if let Some((&n, rest)) = data.split_first() {
        let n = (n as usize).min(rest.len());
        let (head, payload) = rest.split_at(n);
        if let Ok(meta) = ObjectMeta::decode(head) {
            check_decode(&meta, payload);
        }
    }

    if let Ok(chunk) = StoreChunk::decode(data) {
        if let Some(meta) = &chunk.meta {
            check_decode(meta, &chunk.data);
        }
    }
    if let Ok(task) = Task::decode(data) {
        if let Ok(m) = daphne_ir::parse_module(&task.ir) {
            if daphne_ir::verify(&m).is_ok() {
                let _ = daphne_worker::allowlist::check_task(&m);
            }
        }
    }
    let _ = TransferRequest::decode(data);
});
