use std::sync::Arc;

use lambda_http::Request;
use lambda_http::http::StatusCode;
use serde::Deserialize;
use serde_json::json;

use super::AuthGuard;
use crate::AppState;
use crate::auth::verify_password;
use crate::domain::email::{EmailAddress, Reminders};
use crate::domain::language::{Language, Level, UiLanguage};
use crate::domain::learner::{DailyGoal, Reason, Study, TimeZone};
use crate::domain::user::{Username, display_name};
use crate::error::{ApiError, FieldErrors};
use crate::http::{HandlerResult, json_response, no_content, parse_json};
use crate::services::session::Authenticated;
use crate::store::{AccountError, ProfileChange, RenameError};

/// `GET /me`: the profile.
pub async fn get(_state: Arc<AppState>, user: Authenticated, _req: Request) -> HandlerResult {
    Ok(profile(&user.user))
}

/// `PATCH /me`: the display name, the native language, or (once) a generated username.
pub async fn patch(state: Arc<AppState>, user: Authenticated, req: Request) -> HandlerResult {
    update(&state, &user, &req).await
}

/// `DELETE /me`: the whole account.
pub async fn remove(state: Arc<AppState>, user: Authenticated, req: Request) -> HandlerResult {
    delete(&state, &user, &req).await
}

fn profile(user: &crate::store::UserRecord) -> lambda_http::Response<lambda_http::Body> {
    json_response(StatusCode::OK, &json!({"user": user.public()}))
}

#[derive(Deserialize)]
struct ProfileFields {
    /// Only for a generated username (an account made through a provider), once.
    #[serde(default)]
    username: Option<String>,
    #[serde(default, deserialize_with = "crate::domain::validation::present")]
    display_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::domain::validation::present")]
    native_language: Option<Option<String>>,
    /// With `username`: the current password, unless the session signed in recently.
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    time_zone: Option<String>,
    #[serde(default)]
    daily_goal: Option<GoalFields>,
    #[serde(default)]
    study: Option<StudyFields>,
    #[serde(default)]
    onboarded: Option<bool>,
    /// A new address (a link goes to it), or `null` to remove it. With `password`, unless the
    /// session signed in recently: the address is a way back into the account.
    #[serde(default, deserialize_with = "crate::domain::validation::present")]
    email: Option<Option<String>>,
    #[serde(default)]
    reminders: Option<ReminderFields>,
}

#[derive(Deserialize)]
struct ReminderFields {
    daily: bool,
    weekly: bool,
    hour: i64,
}

#[derive(Deserialize)]
struct GoalFields {
    unit: String,
    amount: i64,
}

#[derive(Deserialize)]
struct StudyFields {
    language: String,
    level: String,
    #[serde(default)]
    reason: Option<String>,
}

async fn update(state: &AppState, user: &Authenticated, req: &Request) -> HandlerResult {
    let fields: ProfileFields = parse_json(req)?;
    let mut errors = FieldErrors::new();
    let email = match fields.email {
        None => None,
        Some(None) => Some(None),
        Some(Some(raw)) => errors.check("email", EmailAddress::parse(&raw)).map(Some),
    };
    let reminders = fields
        .reminders
        .and_then(|r| errors.check("reminders", Reminders::parse(r.daily, r.weekly, r.hour)));
    let change = ProfileChange {
        display_name: match fields.display_name {
            None => None,
            Some(None) => Some(None),
            Some(Some(name)) => errors.check("display_name", display_name(&name)).map(Some),
        },
        native_language: match fields.native_language {
            None => None,
            Some(None) => {
                errors.add("native_language", "must be one of ko, en, ja");
                None
            }
            Some(Some(code)) => errors.check("native_language", UiLanguage::parse(&code)),
        },
        time_zone: fields
            .time_zone
            .and_then(|zone| errors.check("time_zone", TimeZone::parse(&zone))),
        daily_goal: fields
            .daily_goal
            .and_then(|goal| errors.check("daily_goal", DailyGoal::parse(&goal.unit, goal.amount))),
        study: fields.study.and_then(|study| {
            let language = errors.check("study.language", Language::parse(&study.language));
            let level = errors.check("study.level", Level::parse(&study.level));
            let reason = match study.reason {
                None => Some(None),
                Some(reason) => errors
                    .check("study.reason", Reason::parse(&reason))
                    .map(Some),
            };
            Some(Study {
                language: language?,
                level: level?,
                reason: reason?,
            })
        }),
        onboarded: fields.onboarded,
    };
    let username = match fields.username {
        None => None,
        Some(_) if !user.user.username_changeable => {
            errors.add(
                "username",
                "can be changed only once, after signing up through a provider",
            );
            None
        }
        Some(raw) => errors
            .check("username", Username::parse(&raw))
            .and_then(|name| {
                if name.key() == user.user.pk {
                    errors.add("username", "is already your username");
                    None
                } else {
                    Some(name)
                }
            }),
    };
    if username.is_some() && email.is_some() {
        errors.add("email", "change it on its own, not with the username");
    }
    errors.finish()?;
    if let Some(username) = username {
        // The name is what a password logs in with: changing it is changing how one enters.
        confirm_it_is_you(state, user, req, fields.password).await?;
        return rename(state, user, username, change).await;
    }
    let mut current = user.user.clone();
    if let Some(email) = &email {
        change_email(state, user, req, fields.password, email.as_ref()).await?;
        // As stored now (the address waiting, or removed): the reminders below go by it.
        current = state
            .store
            .get_user(user.owner.user_key())
            .await?
            .ok_or(ApiError::Unauthorized)?;
    }
    let zone_changed = change.time_zone.is_some();
    if change != ProfileChange::default() {
        current = state
            .store
            .update_profile(&user.owner, &change)
            .await
            .map_err(account_error)?;
    }
    if reminders.is_some() || zone_changed {
        // The next reminder's slot follows the hour and the time zone.
        let reminders = reminders.unwrap_or_else(|| current.reminders());
        let mut next = current.clone();
        next.reminders = Some(reminders);
        let slot = next.next_reminder_slot(state.clock.now());
        current = state
            .store
            .set_reminders(&user.owner, &reminders, slot.as_deref())
            .await
            .map_err(account_error)?;
    }
    Ok(profile(&current))
}

/// A new address asked for (its link sent), or the address removed; the same address again
/// changes nothing. Either needs fresh authentication: the address is a way into the account.
async fn change_email(
    state: &AppState,
    user: &Authenticated,
    req: &Request,
    password: Option<String>,
    email: Option<&EmailAddress>,
) -> Result<(), ApiError> {
    let unchanged = match email {
        Some(address) => {
            user.user.email.as_ref() == Some(address) && user.user.email_pending.is_none()
        }
        None => user.user.email.is_none() && user.user.email_pending.is_none(),
    };
    if unchanged {
        return Ok(());
    }
    confirm_it_is_you(state, user, req, password).await?;
    match email {
        None => Ok(state
            .store
            .remove_email(&user.owner, &user.user)
            .await
            .map_err(account_error)?),
        Some(address) if user.user.email.as_ref() == Some(address) => {
            // Back to the verified address: the one waiting is dropped.
            Ok(state
                .store
                .cancel_pending_email(&user.owner)
                .await
                .map_err(account_error)?)
        }
        Some(address) => {
            crate::services::email::ask_to_verify(state, &user.owner, &user.user, address).await
        }
    }
}

/// The once-only change of a generated username, with any other change asked with it. The name is
/// the record's key, so the record moves; every other session ends, and the reply carries the
/// request's new token with the user.
async fn rename(
    state: &AppState,
    user: &Authenticated,
    username: Username,
    change: ProfileChange,
) -> HandlerResult {
    let mut renamed = user.user.clone();
    renamed.pk = username.key();
    renamed.username = username.as_str().to_owned();
    renamed.username_changeable = false;
    renamed.session_generation += 1;
    if let Some(name) = change.display_name {
        renamed.display_name = name;
    }
    if let Some(language) = change.native_language {
        renamed.native_language = language;
    }
    renamed.time_zone = change.time_zone.or(renamed.time_zone);
    renamed.daily_goal = change.daily_goal.or(renamed.daily_goal);
    renamed.study = change.study.or(renamed.study);
    renamed.onboarded = change.onboarded.unwrap_or(renamed.onboarded);
    let (mut session, token) = crate::services::session::start(
        &state.tokens,
        state.config.session_ttl,
        &renamed,
        state.clock.now(),
    );
    // The session moves to the new name; it was signed in to when the old one was.
    session.signed_in_at = user.session.signed_in_at;
    match state
        .store
        .rename_user(&user.owner, &renamed, &session)
        .await
    {
        Ok(()) => Ok(json_response(
            StatusCode::OK,
            &super::LoginReply::new(state, token, renamed.public()),
        )),
        Err(RenameError::Taken) => Err(ApiError::UsernameTaken),
        Err(RenameError::Account(error)) => Err(account_error(error)),
    }
}

#[derive(Deserialize)]
struct DeleteFields {
    password: Option<String>,
    confirm: Option<String>,
}

/// Deletes the account: gone at once for every reader, removed in the background. An account
/// with a password is confirmed by it, checked as login checks it (the same work, counted by the
/// same guard); one made through a provider, which has none, by its username typed out and a
/// sign-in with the provider within the last minutes.
async fn delete(state: &AppState, user: &Authenticated, req: &Request) -> HandlerResult {
    let fields: DeleteFields = parse_json(req)?;
    match &user.user.password_hash {
        Some(_) => {
            let password = fields
                .password
                .filter(|password| !password.is_empty())
                .ok_or_else(|| ApiError::field("password", "is required"))?;
            check_password(state, user, req, password).await?;
        }
        None => {
            if fields.confirm.as_deref() != Some(user.user.username.as_str()) {
                return Err(ApiError::field("confirm", "must be your username"));
            }
            confirm_it_is_you(state, user, req, None).await?;
        }
    }
    state
        .store
        .delete_account(&user.owner, &user.user, state.clock.now())
        .await
        .map_err(account_error)?;
    Ok(no_content())
}

/// The user's password, checked with login's argon2id work and counted by the auth guard: a
/// wrong one is `401 invalid_credentials` and counts as a failed login for the name.
pub(super) async fn check_password(
    state: &AppState,
    user: &Authenticated,
    req: &Request,
    password: String,
) -> Result<(), ApiError> {
    let username = Username::parse(&user.user.username).ok();
    let guard = AuthGuard::new(state, req, username.as_ref());
    guard.admit(state).await?;
    if verify_password(user.user.password_hash.clone(), password).await {
        Ok(())
    } else {
        guard.failed(state).await?;
        Err(ApiError::InvalidCredentials)
    }
}

/// Fresh authentication for what changes how the account is entered: the current password when
/// one is given (checked and counted as a login's), else a sign-in to this session within
/// [`RECENT_SIGN_IN`](crate::services::session::RECENT_SIGN_IN); otherwise `403 reauthentication_required`,
/// so that a stolen token alone can neither keep nor take the account.
pub(super) async fn confirm_it_is_you(
    state: &AppState,
    user: &Authenticated,
    req: &Request,
    password: Option<String>,
) -> Result<(), ApiError> {
    match password.filter(|password| !password.is_empty()) {
        Some(password) if user.user.password_hash.is_some() => {
            check_password(state, user, req, password).await
        }
        _ if user.signed_in_recently(state.clock.now()) => Ok(()),
        _ => Err(ApiError::ReauthenticationRequired),
    }
}

pub(super) fn account_error(error: AccountError) -> ApiError {
    error.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lost_race_is_a_conflict_and_an_ended_session_unauthorized() {
        assert_eq!(account_error(AccountError::Changed).status(), 409);
        assert_eq!(account_error(AccountError::Changed).code(), "conflict");
        assert_eq!(account_error(AccountError::SessionEnded).status(), 401);
    }
}
