//! Property tests of the wire decoder, which reads bytes from the network: no header and payload
//! make it panic or allocate for sizes the bytes cannot hold, protocol messages of arbitrary bytes
//! decode or fail cleanly, every object it accepts encodes and decodes to the same object, and the
//! streaming `Decoder` fed the same bytes in chunks of any size agrees with it.

use daphne_distributed::proto::{ObjectMeta, StoreChunk, Task, TransferRequest, object_meta};
use daphne_distributed::wire::{Decoder, decode, encode};
use daphne_runtime::data::Data;
use proptest::prelude::*;
use prost::Message;

const VALUE_TYPES: &[&str] = &["f64", "f32", "si64", "si32", "si8", "ui64", "ui32", "ui8", "i1", "str", "index", "x"];

fn meta() -> impl Strategy<Value = ObjectMeta> {
    (
        0i32..5,
        prop::collection::vec(prop::sample::select(VALUE_TYPES), 0..4),
        prop_oneof![0u64..8, any::<u64>()],
        prop_oneof![0u64..8, any::<u64>()],
        prop_oneof![0u64..16, any::<u64>()],
        prop::collection::vec("[a-z]{0,3}", 0..4),
    )
        .prop_map(|(kind, vts, rows, cols, nnz, labels)| ObjectMeta {
            kind,
            value_types: vts.into_iter().map(str::to_string).collect(),
            rows,
            cols,
            nnz,
            labels,
            payload_bytes: 0,
        })
}

fn same(a: &Data, b: &Data) -> bool {
    format!("{a:?}") == format!("{b:?}")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_objects_decode_or_fail_cleanly(mut m in meta(), payload in prop::collection::vec(any::<u8>(), 0..256), honest in any::<bool>()) {
        m.payload_bytes = if honest { payload.len() as u64 } else { m.payload_bytes.wrapping_add(payload.len() as u64 / 2) };
        if let Ok(d) = decode(&m, &payload) {
            let (m2, bytes) = encode(&d).expect("a decoded object encodes");
            let back = decode(&m2, &bytes).expect("and decodes again");
            prop_assert!(same(&d, &back));
        }
    }

    #[test]
    fn the_streaming_decoder_agrees_on_arbitrary_objects(
        mut m in meta(),
        payload in prop::collection::vec(any::<u8>(), 0..256),
        honest in any::<bool>(),
        chunk in 1usize..20,
    ) {
        m.payload_bytes = if honest { payload.len() as u64 } else { m.payload_bytes.wrapping_add(payload.len() as u64 / 2) };
        let whole = decode(&m, &payload);
        let streamed = Decoder::new(m.clone()).map_err(|e| e.message).and_then(|mut d| {
            for part in payload.chunks(chunk) {
                d.push(part)?;
            }
            d.finish()
        });
        match (&whole, &streamed) {
            (Ok(a), Ok(b)) => prop_assert!(same(a, b)),
            (Err(_), Err(_)) => {}
            _ => prop_assert!(false, "decode and the Decoder disagree on {m:?}: {:?} vs {:?}", whole.is_ok(), streamed.is_ok()),
        }
    }

    #[test]
    fn dense_headers_with_matching_payload_sizes(rows in 0u64..6, cols in 0u64..6, vt in prop::sample::select(&VALUE_TYPES[..9]), fill in any::<u8>()) {
        let width = match vt { "f64" | "si64" | "ui64" => 8, "f32" | "si32" | "ui32" => 4, _ => 1 };
        // Any non-zero byte reads as `true` and is written back as 1.
        let fill = if vt == "i1" { fill % 2 } else { fill };
        let payload = vec![fill; (rows * cols * width) as usize];
        let m = ObjectMeta {
            kind: object_meta::Kind::Dense as i32,
            value_types: vec![vt.to_string()],
            rows,
            cols,
            payload_bytes: payload.len() as u64,
            ..ObjectMeta::default()
        };
        let d = decode(&m, &payload).expect("a well-formed dense payload decodes");
        let (m2, bytes) = encode(&d).expect("encodes");
        prop_assert_eq!(&bytes, &payload);
        prop_assert!(same(&d, &decode(&m2, &bytes).expect("decodes")));
    }

    #[test]
    fn protocol_messages_of_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = StoreChunk::decode(bytes.as_slice());
        let _ = Task::decode(bytes.as_slice());
        let _ = TransferRequest::decode(bytes.as_slice());
        if let Ok(m) = ObjectMeta::decode(bytes.as_slice()) {
            let _ = decode(&m, &bytes);
        }
    }
}
