//! Users: names and passwords that can only exist valid, and the public view of a user.

use serde::Serialize;

/// A username as the learner wrote it: 3 to 32 characters from `A-Z a-z 0-9 _ . -`.
/// Unique case-insensitively, so the store keys users by [`Username::key`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UsernameError {
    #[error("must be 3 to 32 characters")]
    Length,
    #[error("may contain only letters A-Z, digits, '_', '.' and '-'")]
    Characters,
}

impl Username {
    pub fn parse(raw: &str) -> Result<Self, UsernameError> {
        if !(3..=32).contains(&raw.chars().count()) {
            return Err(UsernameError::Length);
        }
        if !raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        {
            return Err(UsernameError::Characters);
        }
        Ok(Username(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-folded form that makes `Alice` and `alice` the same user.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

/// A new password: 8 to 128 characters of any Unicode, not the username.
/// Its `Debug` never shows the value, so it cannot leak through a log line.
#[derive(Clone)]
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PasswordError {
    #[error("must be 8 to 128 characters")]
    Length,
    #[error("must not be the same as the username")]
    SameAsUsername,
}

impl Password {
    pub fn parse(raw: &str, username: Option<&Username>) -> Result<Self, PasswordError> {
        if !(8..=128).contains(&raw.chars().count()) {
            return Err(PasswordError::Length);
        }
        if username.is_some_and(|name| name.as_str().eq_ignore_ascii_case(raw)) {
            return Err(PasswordError::SameAsUsername);
        }
        Ok(Password(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// What every route may show of a user: never a password or its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub username: String,
    pub created_at: String,
    pub display_name: Option<String>,
    /// The language of explanations and translations when a request names none.
    pub native_language: crate::domain::language::UiLanguage,
    /// How the user can log in: `password`, and each linked provider.
    pub login_methods: Vec<String>,
    /// Each linked provider account, so the learner sees every way into the account.
    pub linked_logins: Vec<LinkedLogin>,
    /// Whether the (generated) username may still be changed, once.
    pub username_changeable: bool,
    /// Where the learner's day begins: their streak and daily goal count in it.
    pub time_zone: String,
    pub daily_goal: crate::domain::learner::DailyGoal,
    /// What they study, once chosen at onboarding: the defaults of every form.
    pub study: Option<crate::domain::learner::Study>,
    /// Whether onboarding was finished or skipped: the site offers it until then.
    pub onboarded: bool,
    /// The verified address, shown to its owner only.
    pub email: Option<String>,
    /// An address waiting for the learner to open the link sent to it.
    pub email_pending: Option<String>,
    /// The verified address bounced or complained: no mail goes to it until another is set.
    pub email_bounced: bool,
    pub reminders: crate::domain::email::Reminders,
}

/// A provider account linked to the user, as the account page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LinkedLogin {
    pub provider: String,
    /// The provider's label for the account (an address, a login), when it gave one.
    pub account: Option<String>,
    /// When it was linked (RFC 3339); null for one made with the account or before this was kept.
    pub linked_at: Option<String>,
}

/// A display name: 1 to 40 characters once trimmed, no control characters.
pub fn display_name(raw: &str) -> Result<String, &'static str> {
    let name = raw.trim();
    if !(1..=40).contains(&name.chars().count()) {
        return Err("must be 1 to 40 characters");
    }
    if name.chars().any(char::is_control) {
        return Err("must not contain control characters");
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        for ok in ["abc", "Alice_01", "a.b-c", &"x".repeat(32)] {
            assert_eq!(Username::parse(ok).unwrap().as_str(), ok);
        }
        assert_eq!(Username::parse("ab"), Err(UsernameError::Length));
        assert_eq!(Username::parse(&"x".repeat(33)), Err(UsernameError::Length));
        for bad in ["has space", "세종대왕", "a/b", "a@b", "tab\tx", "<img>"] {
            assert!(Username::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Username::parse("AlIcE").unwrap().key(), "alice");
    }

    #[test]
    fn passwords() {
        let name = Username::parse("alice").unwrap();
        assert!(Password::parse("correct horse", Some(&name)).is_ok());
        // Length counts characters, not bytes: eight Hangul syllables are enough.
        assert!(Password::parse("비밀번호비밀번호", Some(&name)).is_ok());
        assert_eq!(
            Password::parse("short", None).unwrap_err(),
            PasswordError::Length
        );
        assert_eq!(
            Password::parse(&"p".repeat(129), None).unwrap_err(),
            PasswordError::Length
        );
        let name = Username::parse("alice123").unwrap();
        assert_eq!(
            Password::parse("ALICE123", Some(&name)).unwrap_err(),
            PasswordError::SameAsUsername
        );
        let password = Password::parse("hunter2hunter2", None).unwrap();
        assert!(!format!("{password:?}").contains("hunter2"));
    }
}
