//! DAPHNE's distributed runtime (`daphne --distributed`): the coordinator-worker protocol (the
//! proto, its version and limits in [`protocol`], the wire encoding of runtime data, the shared
//! token and TLS), the [`transport::Transport`] seam with its gRPC implementation, and the
//! [`coordinator`], which implements the runtime's [`daphne_runtime::distributor::Distributor`]
//! over any transport. The worker side lives in the `daphne-worker` crate.

pub mod auth;
pub mod buffers;
pub mod coordinator;
pub mod proto;
pub mod protocol;
pub mod tls;
pub mod transport;
pub mod wire;

/// An error and its sources, each once (wrappers often repeat their source's text).
pub fn source_chain(e: &dyn std::error::Error) -> String {
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
