//! The body of a reply that may stream.

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use lambda_http::Body;

/// The body of a streamed reply (server-sent events, the export). Failures after the stream
/// started travel inside it (as `error` events), so the body itself never fails.
pub type StreamBody = UnsyncBoxBody<Bytes, Infallible>;

/// A reply body built from a buffered one (a JSON document, an error).
pub trait ReplyBody {
    fn buffered(body: Body) -> Self;
}

impl ReplyBody for StreamBody {
    fn buffered(body: Body) -> Self {
        Full::new(Bytes::from(body.to_vec())).boxed_unsync()
    }
}
