//! Arbitrary bytes fed to the worker wire format, the way an untrusted peer could send them.
//!
//! Input layout for the header/payload part: the first byte `n` gives the length of a protobuf
//! `ObjectMeta` (the next `n` bytes, fewer if the input is shorter), the rest is the payload.
//! Checks:
//! * `prost` decoding of `ObjectMeta`, and `daphne_distributed::wire::decode(meta, payload)`,
//!   never panic (errors are fine);
//! * when `wire::decode` succeeds, `wire::encode` of the result succeeds and decoding that again
//!   succeeds (the encoder accepts everything the decoder produces);
//! * the whole input decoded as `StoreChunk`, `Task` and `TransferRequest` never panics; a
//!   `StoreChunk` carrying a header goes through `wire::decode` too, and a `Task`'s IR text
//!   through `daphne_ir::parse_module`, the verifier and the worker's task allowlist
//!   (`daphne_worker::allowlist::check_task`), which must answer without panicking.
#![no_main]

use daphne_distributed::proto::{ObjectMeta, StoreChunk, Task, TransferRequest};
use daphne_distributed::wire;
use libfuzzer_sys::fuzz_target;
use prost::Message;

fn check_decode(meta: &ObjectMeta, payload: &[u8]) {
    let Ok(data) = wire::decode(meta, payload) else { return };
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
