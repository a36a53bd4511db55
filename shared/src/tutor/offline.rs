//! The offline tutor: what the local stack and demos use when no model key is set. It streams the
//! demo's lines (`services::demo`) as a model streams its reply.

use std::time::Duration;

use futures_util::StreamExt;

use super::openai::{Finish, Piece, TextStream};

/// The reply in pieces of a few characters, one every `delay`.
pub fn stream(text: String, delay: Duration) -> TextStream {
    let chars: Vec<char> = text.chars().collect();
    let pieces: Vec<String> = chars
        .chunks(4)
        .map(|piece| piece.iter().collect())
        .collect();
    let pieces = futures_util::stream::iter(pieces).then(move |piece| async move {
        tokio::time::sleep(delay).await;
        Ok(Piece::Text(piece))
    });
    let finished = futures_util::stream::once(async { Ok(Piece::Finished(Finish::default())) });
    Box::pin(pieces.chain(finished))
}
