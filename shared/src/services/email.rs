//! The learner's address: asking for it (a verification link), confirming it (and telling the
//! old one), and a password reset through it.

use std::time::Duration;

use crate::AppState;
use crate::domain::email::EmailAddress;
use crate::error::ApiError;
use crate::mail::letters;
use crate::store::{MailToken, Owner, UserRecord, VerifyError, token_key};

/// How long a verification link works.
pub const VERIFY_HOURS: u64 = 24;
/// How long a reset link works: short, as it opens the account.
pub const RESET_MINUTES: u64 = 30;
/// Verification mails one account may ask for an hour, and reset mails one account may get.
pub const MAILS_PER_HOUR: u32 = 5;

/// A one-time token: 32 characters from a cryptographic generator (about 190 bits).
pub fn one_time_token() -> String {
    oauth2::CsrfToken::new_random_len(24).secret().clone()
}

fn name(user: &UserRecord) -> &str {
    user.display_name.as_deref().unwrap_or(&user.username)
}

/// A link into the site: `{site}/#/{route}?token=…`.
fn site_link(state: &AppState, route: &str, token: Option<&str>) -> String {
    let site = &state.config.mail.site_url;
    match token {
        Some(token) => format!("{site}/#/{route}?token={token}"),
        None => format!("{site}/#/{route}"),
    }
}

/// Asks for `address` on the account: a link to it, valid for a day, which makes it the
/// account's address when opened. Until then the old address (if any) stays.
pub async fn ask_to_verify(
    state: &AppState,
    owner: &Owner,
    user: &UserRecord,
    address: &EmailAddress,
) -> Result<(), ApiError> {
    if state.mailer.is_off() {
        return Err(crate::mail::MailError::Off.into());
    }
    let now = state.clock.now();
    if !state
        .store
        .count_hourly(owner, "verify", MAILS_PER_HOUR, now.unix_timestamp())
        .await?
    {
        return Err(ApiError::RateLimited {
            retry_after_secs: (3600 - now.unix_timestamp().rem_euclid(3600)) as u64,
        });
    }
    let token = one_time_token();
    let record = MailToken {
        pk: token_key("verify", &token),
        user_key: user.pk.clone(),
        user_id: user.id.clone(),
        address: Some(address.as_str().to_owned()),
        session_generation: user.session_generation,
        expires_at: now.unix_timestamp() + (VERIFY_HOURS * 3600) as i64,
    };
    state
        .store
        .request_email(owner, address, &record)
        .await
        .map_err(ApiError::from)?;
    let letter = letters::verify(
        user.native_language,
        address.as_str(),
        name(user),
        &site_link(state, "verify-email", Some(&token)),
        VERIFY_HOURS,
    );
    state.mailer.send(&state.config.mail.from, &letter).await?;
    Ok(())
}

/// Opens a verification link: the address becomes the account's, and the old one (if another)
/// is told where mail goes now. The address as verified.
pub async fn verify(state: &AppState, token: &str) -> Result<EmailAddress, ApiError> {
    let invalid = || {
        ApiError::field(
            "token",
            "is not valid: the link was used, expired, or a newer one was sent",
        )
    };
    let now = state.clock.now();
    let Some(record) = state
        .store
        .mail_token(&token_key("verify", token), now.unix_timestamp())
        .await?
    else {
        return Err(invalid());
    };
    let verified = state
        .store
        .verify_email(&record, now.unix_timestamp(), |user| {
            user.next_reminder_slot(now)
        })
        .await
        .map_err(|error| match error {
            VerifyError::Invalid => invalid(),
            VerifyError::Taken => ApiError::EmailTaken,
            VerifyError::Store(error) => error.into(),
        })?;
    if let Some(old) = verified
        .user
        .email
        .as_ref()
        .filter(|old| **old != verified.address && !verified.user.email_bounced)
    {
        let letter = letters::address_changed(
            verified.user.native_language,
            old.as_str(),
            name(&verified.user),
            &verified.address.masked(),
        );
        // The change is made; a notice that cannot go now is logged, not the learner's error.
        if let Err(error) = state.mailer.send(&state.config.mail.from, &letter).await {
            tracing::warn!(%error, "the old address was not told of the change");
        }
    }
    Ok(verified.address)
}

/// How long a reset request takes whoever asks, found or not: the work for an account found
/// (a token stored, a mail handed over) happens inside it, so the time says nothing.
pub const RESET_REQUEST_FLOOR: Duration = Duration::from_millis(800);

/// A reset link to the verified address of the account `login` names (a username or an
/// address), if there is one and it may have mail; nothing otherwise. Never says which.
pub async fn request_reset(state: &AppState, login: &str) -> Result<(), ApiError> {
    let user = if login.contains('@') {
        match EmailAddress::parse(login) {
            Ok(address) => state.store.user_by_email(address.as_str()).await?,
            Err(_) => None,
        }
    } else {
        match crate::domain::user::Username::parse(login) {
            Ok(name) => state.store.get_user(&name.key()).await?,
            Err(_) => None,
        }
    };
    let Some(user) = user else { return Ok(()) };
    let Some(address) = user.email.clone().filter(|_| !user.email_bounced) else {
        return Ok(());
    };
    let now = state.clock.now();
    // A mailbox is not flooded: a few links an hour, then silence (the reply is the same).
    let owner = Owner::of_record(&user);
    if !state
        .store
        .count_hourly(&owner, "reset", MAILS_PER_HOUR, now.unix_timestamp())
        .await?
    {
        tracing::info!("reset mails for this account are at their hourly limit");
        return Ok(());
    }
    let token = one_time_token();
    state
        .store
        .put_mail_token(&MailToken {
            pk: token_key("reset", &token),
            user_key: user.pk.clone(),
            user_id: user.id.clone(),
            address: None,
            session_generation: user.session_generation,
            expires_at: now.unix_timestamp() + (RESET_MINUTES * 60) as i64,
        })
        .await?;
    let letter = letters::reset(
        user.native_language,
        address.as_str(),
        name(&user),
        &user.username,
        &site_link(state, "reset-password", Some(&token)),
        RESET_MINUTES,
    );
    if let Err(error) = state.mailer.send(&state.config.mail.from, &letter).await {
        tracing::warn!(%error, "a reset mail was not sent");
    }
    Ok(())
}

/// The token's account, if it is a live reset token.
pub async fn reset_token(
    state: &AppState,
    token: &str,
) -> Result<Option<(MailToken, UserRecord)>, ApiError> {
    let now = state.clock.now();
    let Some(record) = state
        .store
        .mail_token(&token_key("reset", token), now.unix_timestamp())
        .await?
    else {
        return Ok(None);
    };
    let user = state
        .store
        .get_user(&record.user_key)
        .await?
        .filter(|user| {
            user.id == record.user_id && user.session_generation == record.session_generation
        });
    Ok(user.map(|user| (record, user)))
}

/// The site's link to a page with the day's practice (for reminders).
pub fn today_link(state: &AppState) -> String {
    site_link(state, "today", None)
}

pub fn progress_link(state: &AppState) -> String {
    site_link(state, "progress", None)
}

/// The one-click unsubscribe of `user`'s reminders: the API's address a mail client POSTs to,
/// and the site's page with the same button. Signed, so it needs no login and names no one else.
pub fn unsubscribe(state: &AppState, user: &UserRecord) -> letters::Unsubscribe {
    let token = state
        .cursors
        .encode(&user.pk, UNSUBSCRIBE, vec![user.id.clone()]);
    let api = state
        .config
        .mail
        .api_url
        .clone()
        .unwrap_or_else(|| state.config.mail.site_url.clone());
    letters::Unsubscribe {
        one_click: format!("{api}/email/unsubscribe?token={token}"),
        page: site_link(state, "unsubscribe", Some(&token)),
    }
}

/// The signed list an unsubscribe token is of.
pub const UNSUBSCRIBE: &str = "unsubscribe";

/// The record key and id of the learner an unsubscribe token was made for.
pub fn unsubscribed_user(
    state: &AppState,
    token: &str,
) -> Result<(String, String), crate::domain::cursor::CursorError> {
    match state.cursors.signed_for(token, UNSUBSCRIBE)? {
        (key, ids) if ids.len() == 1 => Ok((key, ids[0].clone())),
        _ => Err(crate::domain::cursor::CursorError),
    }
}
