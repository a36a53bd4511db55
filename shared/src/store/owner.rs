//! Whose data a store call reads or writes.

/// The user a request acts for, once its session was found live. Its fields are private and its
/// one constructor is the session check's (`session::authenticate`), and the store's room
/// methods take one: a user's rooms cannot be read or written on behalf of a request whose
/// session was not checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    key: String,
    user_key: String,
    session_id: String,
    generation: u64,
}

impl Owner {
    /// Only for `session::authenticate`, once the session behind a request was found live.
    pub(crate) fn of_live_session(
        key: &str,
        user_key: &str,
        session_id: &str,
        generation: u64,
    ) -> Self {
        Owner {
            key: key.to_owned(),
            user_key: user_key.to_owned(),
            session_id: session_id.to_owned(),
            generation,
        }
    }

    /// For work no request does (the scheduled reminders, which read a learner's counters): the
    /// user as their record was just read, with no session.
    pub(crate) fn of_record(user: &super::UserRecord) -> Self {
        Owner {
            key: user.id.clone(),
            user_key: user.pk.clone(),
            session_id: String::new(),
            generation: user.session_generation,
        }
    }

    /// The user's stable id: the partition their rooms and notebook live in.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The key of the user's record (the case-folded username).
    pub fn user_key(&self) -> &str {
        &self.user_key
    }

    /// The user's session generation this session belongs to.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The session the request came with, which a model call checks again in its transaction.
    pub fn session_id(&self) -> &str {
        &self.session_id
    }
}
