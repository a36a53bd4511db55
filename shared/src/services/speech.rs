//! Speech around a conversation: which text a message is heard and said as, where its audio is
//! kept, and a recording checked before it is sent anywhere.

use crate::domain::room::Role;
use crate::domain::speech::{MAX_RECORDING_BYTES, MAX_RECORDING_SECONDS, Recording, Speed};
use crate::error::ApiError;
use crate::store::{MessageRecord, Owner, audio};

/// What a message is read aloud and said again as: a tutor's line as it is; a learner's line as
/// its correction (the right way to say what they meant), once there is one.
pub fn target_of(message: &MessageRecord) -> Result<&str, ApiError> {
    match message.role {
        Role::Assistant => Ok(&message.content),
        Role::User => message
            .feedback
            .as_ref()
            .map(|feedback| feedback.corrected.as_str())
            .filter(|text| !text.trim().is_empty())
            .ok_or(ApiError::Conflict(
                "This line has no correction yet: ask for feedback on it first.",
            )),
    }
}

/// Where a message's audio in `voice` at `speed` is kept: under its room, under its owner, so
/// deleting either deletes it. A voice's name is kept to safe characters.
pub fn cache_key(
    owner: &Owner,
    room_id: &str,
    message_id: &str,
    voice: &str,
    speed: Speed,
) -> String {
    let voice: String = voice
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    format!(
        "{}{message_id}/{voice}-{}.{}",
        audio::prefix(owner.key(), Some(room_id)),
        speed.key(),
        crate::speech::AUDIO_FORMAT
    )
}

/// The body of an upload checked as a recording: size first, then its WAV header.
pub fn recording(body: &[u8]) -> Result<Recording, ApiError> {
    if body.len() > MAX_RECORDING_BYTES {
        return Err(ApiError::RecordingTooLarge);
    }
    if body.is_empty() {
        return Err(ApiError::field(
            "audio",
            "is missing: send the recording as the body (audio/wav)",
        ));
    }
    Ok(Recording::parse(body, MAX_RECORDING_SECONDS)?)
}
