//! Passwords (argon2id) and access tokens (HS256 JWTs tied to a server-side session).

use std::sync::OnceLock;
use std::time::Duration;

use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use argon2::{Algorithm, Argon2, Params, Version};
use jsonwebtoken::{DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::domain::user::Password;

/// An access token that is not valid: malformed, badly signed, of another algorithm, expired.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the access token is not valid")]
pub struct TokenError;

/// Hashing a password failed (the blocking pool is gone, or argon2 refused its input).
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

/// OWASP's first recommended argon2id setting: 19 MiB of memory, 2 passes, 1 lane.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("constant argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a new password into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`).
/// CPU-heavy, so it runs on the blocking pool instead of stalling the async runtime.
pub async fn hash_password(password: &Password) -> Result<String, HashError> {
    let password = password.clone();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        argon2()
            .hash_password(password.expose().as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|error| HashError(error.to_string()))
    })
    .await
    .map_err(|error| HashError(error.to_string()))?
}

/// Checks `candidate` against a stored PHC string. With no stored hash (unknown user) it checks
/// against a dummy hash of the same cost, so the reply time does not tell which names exist.
pub async fn verify_password(stored: Option<String>, candidate: String) -> bool {
    tokio::task::spawn_blocking(move || {
        let known_user = stored.is_some();
        let phc = stored.unwrap_or_else(|| dummy_hash().to_owned());
        let matches = match PasswordHash::new(&phc) {
            Ok(hash) => argon2()
                .verify_password(candidate.as_bytes(), &hash)
                .is_ok(),
            Err(_) => {
                tracing::error!("a stored password hash is not a PHC string");
                false
            }
        };
        known_user && matches
    })
    .await
    .unwrap_or(false)
}

/// Makes the memory of each password hash go back to the system when the hash is done.
///
/// An argon2id hash takes 19 MiB. glibc's allocator serves a block that large from the heap of
/// the thread that asks once it has freed one (its mmap threshold adapts upwards), and every
/// thread of the blocking pool has a heap of its own: a warm `signup` reached 235 MiB, and
/// `auth` 119 MiB, after a few dozen requests. With the threshold fixed below the hash's size,
/// each hash is mapped and unmapped, and the process stays near its idle size.
pub fn return_hash_memory_to_the_system() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallopt only changes the allocator's settings; called once, at start-up.
        let set = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20) };
        if set != 1 {
            tracing::warn!("the allocator's mmap threshold could not be set");
        }
    }
}

/// Computes the dummy hash now, so no login pays for it: the `auth` function calls it before it
/// serves (a 19 MiB, 15 ms argon2id hash that no other function needs).
pub fn prepare_dummy_hash() {
    dummy_hash();
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        argon2()
            .hash_password(b"no user has this password: it is never stored", &salt)
            .expect("hashing a constant with valid parameters succeeds")
            .to_string()
    })
}

/// The claims of an access token. `sid` names the session record that logout deletes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user's key (the case-folded username).
    pub sub: String,
    pub sid: String,
    pub iat: u64,
    pub exp: u64,
}

/// Signs and checks access tokens with one HS256 key.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl TokenKeys {
    pub fn new(secret: &[u8]) -> Self {
        // Only HS256 is accepted: a token that names another algorithm (or `none`) is refused.
        let mut validation = Validation::new(jsonwebtoken::Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub"]);
        TokenKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
        }
    }

    pub fn issue(&self, user_key: &str, session_id: &str, now_unix: u64, ttl: Duration) -> String {
        let claims = Claims {
            sub: user_key.to_owned(),
            sid: session_id.to_owned(),
            iat: now_unix,
            exp: now_unix + ttl.as_secs(),
        };
        jsonwebtoken::encode(&Header::default(), &claims, &self.encoding)
            .expect("HS256 signing with an in-memory key does not fail")
    }

    /// The token's claims when its signature, algorithm and expiry are good.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|_| TokenError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn unix_now() -> u64 {
        crate::domain::time::now().unix_timestamp() as u64
    }

    #[tokio::test]
    async fn hashes_are_argon2id_phc_strings_that_verify() {
        let password = Password::parse("correct horse battery", None).unwrap();
        let hash = hash_password(&password).await.unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(!hash.contains("correct horse"));
        assert!(verify_password(Some(hash.clone()), "correct horse battery".into()).await);
        assert!(!verify_password(Some(hash.clone()), "correct horse battery!".into()).await);
        let again = hash_password(&password).await.unwrap();
        assert_ne!(hash, again, "each hash has its own salt");
    }

    #[tokio::test]
    async fn unknown_users_never_verify() {
        assert!(!verify_password(None, "anything at all".into()).await);
        assert!(!verify_password(Some("not a phc string".into()), "x".into()).await);
    }

    #[test]
    fn tokens_round_trip() {
        let keys = TokenKeys::new(SECRET);
        let token = keys.issue("alice", "01SESSION", unix_now(), Duration::from_secs(60));
        let claims = keys.verify(&token).unwrap();
        assert_eq!(
            (claims.sub.as_str(), claims.sid.as_str()),
            ("alice", "01SESSION")
        );
        assert_eq!(claims.exp - claims.iat, 60);
    }

    #[test]
    fn expired_foreign_and_unsigned_tokens_are_refused() {
        let keys = TokenKeys::new(SECRET);
        let expired = keys.issue("alice", "s", unix_now() - 120, Duration::from_secs(60));
        assert!(matches!(keys.verify(&expired), Err(TokenError)));

        let other = TokenKeys::new(b"another key, another key, another key!");
        let forged = other.issue("alice", "s", unix_now(), Duration::from_secs(60));
        assert!(matches!(keys.verify(&forged), Err(TokenError)));

        // `alg: none` with the signature stripped.
        let good = keys.issue("alice", "s", unix_now(), Duration::from_secs(60));
        let payload = good.split('.').nth(1).unwrap();
        let none_header = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0"; // {"alg":"none","typ":"JWT"}
        for token in [
            format!("{none_header}.{payload}."),
            format!("{none_header}.{payload}"),
        ] {
            assert!(matches!(keys.verify(&token), Err(TokenError)), "{token}");
        }
        for junk in ["", "abc", "a.b.c", "..", "Bearer x"] {
            assert!(matches!(keys.verify(junk), Err(TokenError)), "{junk}");
        }
    }
}
