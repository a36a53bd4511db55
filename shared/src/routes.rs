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

pub const ROUTES: &[Route] = &[
    route(Method::GET, "/health", "health"),
    route(Method::POST, "/signup", "signup"),
    route(Method::POST, "/auth", "auth"),
    route(Method::GET, "/auth", "auth"),
    route(Method::DELETE, "/auth", "auth"),
    route(Method::GET, "/rooms", "rooms-list"),
    route(Method::POST, "/rooms", "room-create"),
    route(Method::GET, "/rooms/{id}", "room-get"),
    route(Method::PATCH, "/rooms/{id}", "room-update"),
    route(Method::DELETE, "/rooms/{id}", "room-delete"),
    route(Method::GET, "/rooms/{id}/messages", "messages-list"),
    route(Method::POST, "/rooms/{id}/messages", "chat"),
    route(Method::POST, "/rooms/{id}/suggestions", "suggest"),
    route(
        Method::POST,
        "/rooms/{id}/messages/{message_id}/feedback",
        "feedback",
    ),
    route(
        Method::POST,
        "/rooms/{id}/messages/{message_id}/translation",
        "translate",
    ),
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
