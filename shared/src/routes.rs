//! Every route of the API and the function that serves it. The fallback function uses this to
//! tell an unknown path (`404`) from a known path with the wrong method (`405`), and tests check
//! the local router, `openapi.yaml` and `template.yaml` against it.

use lambda_http::http::Method;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// A path template: `{name}` stands for one non-empty segment.
    pub path: &'static str,
    pub method: Method,
    pub function: &'static str,
}

const fn route(method: Method, path: &'static str, function: &'static str) -> Route {
    Route {
        path,
        method,
        function,
    }
}

/// The path templates, named once: the route table and the handlers that read ids use these.
pub mod paths {
    pub const HEALTH: &str = "/health";
    pub const SCENARIOS: &str = "/scenarios";
    pub const SIGNUP: &str = "/signup";
    pub const AUTH: &str = "/auth";
    pub const OAUTH_PROVIDERS: &str = "/auth/oauth/providers";
    pub const OAUTH_START: &str = "/auth/oauth/{provider}/start";
    pub const OAUTH_CALLBACK: &str = "/auth/oauth/{provider}/callback";
    pub const OAUTH_EXCHANGE: &str = "/auth/oauth/exchange";
    pub const ME_IDENTITY: &str = "/me/identities/{provider}";
    pub const ME: &str = "/me";
    pub const ME_PASSWORD: &str = "/me/password";
    pub const ME_SESSIONS: &str = "/me/sessions";
    pub const ME_EXPORT: &str = "/me/export";
    pub const ROOMS: &str = "/rooms";
    pub const ROOM: &str = "/rooms/{id}";
    pub const MESSAGES: &str = "/rooms/{id}/messages";
    pub const SUGGESTIONS: &str = "/rooms/{id}/suggestions";
    pub const FEEDBACK: &str = "/rooms/{id}/messages/{message_id}/feedback";
    pub const TRANSLATION: &str = "/rooms/{id}/messages/{message_id}/translation";
    pub const REPORT: &str = "/rooms/{id}/report";
    pub const VOCABULARY: &str = "/vocabulary";
    pub const VOCABULARY_DUE: &str = "/vocabulary/due";
    pub const VOCABULARY_ITEM: &str = "/vocabulary/{id}";
    pub const VOCABULARY_REVIEW: &str = "/vocabulary/{id}/review";
}

use paths::*;

pub const ROUTES: &[Route] = &[
    route(Method::GET, HEALTH, "health"),
    route(Method::GET, SCENARIOS, "scenarios"),
    route(Method::POST, SIGNUP, "signup"),
    route(Method::POST, AUTH, "auth"),
    route(Method::GET, AUTH, "auth"),
    route(Method::DELETE, AUTH, "auth"),
    route(Method::GET, OAUTH_PROVIDERS, "oauth"),
    route(Method::GET, OAUTH_START, "oauth"),
    route(Method::GET, OAUTH_CALLBACK, "oauth"),
    route(Method::POST, OAUTH_EXCHANGE, "oauth"),
    route(Method::POST, ME_IDENTITY, "me-identities"),
    route(Method::GET, ME_IDENTITY, "me-identities"),
    route(Method::PUT, ME_IDENTITY, "me-identities"),
    route(Method::DELETE, ME_IDENTITY, "me-identities"),
    route(Method::GET, ME, "me"),
    route(Method::PATCH, ME, "me"),
    route(Method::DELETE, ME, "me"),
    route(Method::POST, ME_PASSWORD, "me-password"),
    route(Method::DELETE, ME_SESSIONS, "me-sessions"),
    route(Method::GET, ME_EXPORT, "me-export"),
    route(Method::GET, ROOMS, "rooms-list"),
    route(Method::POST, ROOMS, "room-create"),
    route(Method::GET, ROOM, "room-get"),
    route(Method::PATCH, ROOM, "room-update"),
    route(Method::DELETE, ROOM, "room-delete"),
    route(Method::GET, MESSAGES, "messages-list"),
    route(Method::POST, MESSAGES, "chat"),
    route(Method::POST, SUGGESTIONS, "suggest"),
    route(Method::POST, FEEDBACK, "feedback"),
    route(Method::POST, TRANSLATION, "translate"),
    route(Method::POST, REPORT, "report"),
    route(Method::GET, VOCABULARY, "vocabulary"),
    route(Method::POST, VOCABULARY, "vocabulary"),
    route(Method::GET, VOCABULARY_DUE, "vocabulary"),
    route(Method::DELETE, VOCABULARY_ITEM, "vocabulary"),
    route(Method::POST, VOCABULARY_REVIEW, "vocabulary"),
];

pub fn matches(template: &str, path: &str) -> bool {
    let mut template = template.trim_matches('/').split('/');
    let mut path = path
        .trim_end_matches('/')
        .trim_start_matches('/')
        .split('/');
    loop {
        match (template.next(), path.next()) {
            (None, None) => return true,
            (Some(want), Some(got)) => {
                let placeholder = want.starts_with('{') && want.ends_with('}');
                if got.is_empty() || (!placeholder && want != got) {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

/// The segment of `path` that stands where `{name}` stands in `template`.
pub fn path_param<'p>(template: &str, path: &'p str, name: &str) -> Option<&'p str> {
    if !matches(template, path) {
        return None;
    }
    let placeholder = format!("{{{name}}}");
    let position = template
        .trim_matches('/')
        .split('/')
        .position(|segment| segment == placeholder)?;
    path.trim_matches('/').split('/').nth(position)
}

/// The methods the API serves on `path`: empty when the path is unknown.
pub fn methods_for(path: &str) -> Vec<Method> {
    ROUTES
        .iter()
        .filter(|route| matches(route.path, path))
        .map(|route| route.method.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_templates() {
        assert!(matches("/auth", "/auth"));
        assert!(matches("/auth", "/auth/"));
        assert!(!matches("/auth", "/auth/x"));
        assert!(!matches("/auth", "/"));
        assert!(matches("/rooms/{id}", "/rooms/01ABC"));
        assert!(!matches("/rooms/{id}", "/rooms/"));
        assert!(!matches("/rooms/{id}", "/rooms//x"));
        assert_eq!(
            methods_for("/auth"),
            [Method::POST, Method::GET, Method::DELETE]
        );
        assert!(methods_for("/nope").is_empty());
        assert_eq!(
            path_param("/rooms/{id}/messages", "/rooms/01ABC/messages", "id"),
            Some("01ABC")
        );
        assert_eq!(
            path_param("/rooms/{id}", "/rooms/01ABC/messages", "id"),
            None
        );
    }
}
