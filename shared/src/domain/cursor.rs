//! Opaque page cursors. A cursor is a position in one list of one user, signed with a key of its
//! own, so a client can neither forge one nor use another user's (or another list's) cursor.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// A cursor that is not this user's cursor for this list (or not a cursor at all).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("is not a valid cursor for this list")]
pub struct CursorError;

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    /// The user whose list this is.
    u: String,
    /// Which list: `rooms`, or `messages:<room id>`.
    l: String,
    /// Where the next page starts: the sort keys of the last item shown.
    p: Vec<String>,
}

pub struct CursorKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl CursorKeys {
    /// Cursor keys derived from the token signing secret, so no cursor is ever a valid token.
    pub fn new(secret: &[u8]) -> Self {
        let key = [b"rolechat page cursor\0".as_slice(), secret].concat();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        CursorKeys {
            encoding: EncodingKey::from_secret(&key),
            decoding: DecodingKey::from_secret(&key),
            validation,
        }
    }

    pub fn encode(&self, user_key: &str, list: &str, position: Vec<String>) -> String {
        let claims = Claims {
            u: user_key.to_owned(),
            l: list.to_owned(),
            p: position,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 signing with an in-memory key does not fail")
    }

    /// The position a cursor names, when it is this user's cursor for this list.
    pub fn decode(
        &self,
        cursor: &str,
        user_key: &str,
        list: &str,
    ) -> Result<Vec<String>, CursorError> {
        let claims = jsonwebtoken::decode::<Claims>(cursor, &self.decoding, &self.validation)
            .map_err(|_| CursorError)?
            .claims;
        if claims.u != user_key || claims.l != list {
            return Err(CursorError);
        }
        Ok(claims.p)
    }
}

impl CursorKeys {
    /// The user a token of `list` was signed for, and its position, whoever asks: for links that
    /// act without a login (the one-click unsubscribe of a reminder).
    pub fn signed_for(
        &self,
        token: &str,
        list: &str,
    ) -> Result<(String, Vec<String>), CursorError> {
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|_| CursorError)?
            .claims;
        if claims.l != list {
            return Err(CursorError);
        }
        Ok((claims.u, claims.p))
    }
}

/// The list a cursor belongs to, so a cursor of one room's messages cannot page another's.
pub fn messages_list(room_id: &str) -> String {
    format!("messages:{room_id}")
}

pub const ROOMS_LIST: &str = "rooms";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_only_for_their_user_and_list() {
        let keys = CursorKeys::new(b"0123456789abcdef0123456789abcdef");
        let cursor = keys.encode("alice", "rooms", vec!["01A#room".into(), "01B".into()]);
        assert_eq!(
            keys.decode(&cursor, "alice", "rooms").unwrap(),
            ["01A#room", "01B"]
        );
        for (user, list) in [("bob", "rooms"), ("alice", "messages:01A")] {
            assert_eq!(keys.decode(&cursor, user, list), Err(CursorError));
        }
        let other = CursorKeys::new(b"another secret, another secret!!");
        assert!(other.decode(&cursor, "alice", "rooms").is_err());
        let tampered = cursor.replacen('e', "f", 1);
        assert!(keys.decode(&tampered, "alice", "rooms").is_err());
        assert!(keys.decode("garbage", "alice", "rooms").is_err());
    }

    #[test]
    fn a_cursor_is_not_an_access_token() {
        let secret = b"0123456789abcdef0123456789abcdef";
        let cursor = CursorKeys::new(secret).encode("alice", "rooms", vec![]);
        assert!(crate::auth::TokenKeys::new(secret).verify(&cursor).is_err());
    }
}
