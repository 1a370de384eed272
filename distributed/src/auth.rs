//! The shared token between a coordinator and its workers: the coordinator attaches it to every
//! call (`authorization: Bearer <token>`), a worker started with a token checks it on every call
//! before anything else runs and answers `UNAUTHENTICATED` without it. Without a token a worker
//! accepts every call, which is only safe on a loopback address or a private network.

use tonic::metadata::MetadataValue;
use tonic::service::Interceptor;
use tonic::{Request, Status};

/// The environment variable both sides read the token from.
pub const TOKEN_ENV: &str = "DAPHNE_WORKER_TOKEN";
const HEADER: &str = "authorization";

/// The token of the environment, if set and not empty.
pub fn token_from_env() -> Option<String> {
    std::env::var(TOKEN_ENV).ok().filter(|t| !t.is_empty())
}

/// Checks a token as valid in an HTTP header (visible ASCII, no spaces).
pub fn validate_token(token: &str) -> Result<(), String> {
    if token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("a worker token must be non-empty visible ASCII without spaces".into());
    }
    Ok(())
}

/// Byte-wise comparison whose time does not depend on where the first difference is.
fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The worker side: rejects calls without the expected token.
#[derive(Clone)]
pub struct CheckToken {
    expected: Option<String>,
}

impl CheckToken {
    pub fn new(token: Option<String>) -> CheckToken {
        CheckToken { expected: token.map(|t| format!("Bearer {t}")) }
    }
}

impl Interceptor for CheckToken {
    fn call(&mut self, req: Request<()>) -> Result<Request<()>, Status> {
        let Some(expected) = &self.expected else { return Ok(req) };
        match req.metadata().get(HEADER) {
            Some(v) if same(v.as_bytes(), expected.as_bytes()) => Ok(req),
            Some(_) => Err(Status::unauthenticated("wrong worker token")),
            None => Err(Status::unauthenticated("this worker requires a token (DAPHNE_WORKER_TOKEN)")),
        }
    }
}

/// The coordinator side: attaches the token to every call.
#[derive(Clone)]
pub struct AttachToken {
    value: Option<MetadataValue<tonic::metadata::Ascii>>,
}

impl AttachToken {
    pub fn new(token: Option<&str>) -> Result<AttachToken, String> {
        let value = match token {
            None => None,
            Some(t) => {
                validate_token(t)?;
                Some(format!("Bearer {t}").parse().map_err(|_| "the worker token is not a valid header value")?)
            }
        };
        Ok(AttachToken { value })
    }
}

impl Interceptor for AttachToken {
    fn call(&mut self, mut req: Request<()>) -> Result<Request<()>, Status> {
        if let Some(v) = &self.value {
            req.metadata_mut().insert(HEADER, v.clone());
        }
        Ok(req)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_checked() {
        let mut check = CheckToken::new(Some("s3cret".into()));
        let mut attach = AttachToken::new(Some("s3cret")).unwrap();
        assert!(check.call(attach.call(Request::new(())).unwrap()).is_ok());
        let mut wrong = AttachToken::new(Some("s3cre7")).unwrap();
        assert_eq!(check.call(wrong.call(Request::new(())).unwrap()).unwrap_err().code(), tonic::Code::Unauthenticated);
        assert_eq!(check.call(Request::new(())).unwrap_err().code(), tonic::Code::Unauthenticated);
        let mut open = CheckToken::new(None);
        assert!(open.call(Request::new(())).is_ok());
        assert!(AttachToken::new(Some("has space")).is_err());
        assert!(AttachToken::new(Some("")).is_err());
    }
}
