//! Reading a request: its path, the client's address, the query, the JSON body, the token.

use lambda_http::aws_lambda_events::query_map::QueryMap;
use lambda_http::http::header;
use lambda_http::{Request, RequestExt};
use serde::de::DeserializeOwned;

use crate::domain::language::UiLanguage;
use crate::error::{ApiError, FieldErrors};

/// Request bodies over this many bytes are refused with `413`.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The request's query string, parsed; an unparsable one reads as empty.
pub fn query(req: &Request) -> QueryMap {
    req.uri()
        .query()
        .unwrap_or_default()
        .parse()
        .unwrap_or_default()
}

/// The named segments of the route a request matched (`{id}` of `/rooms/{id}`), as the router
/// found them.
#[derive(Debug, Clone, Default)]
pub struct PathParams(pub Vec<(String, String)>);

/// The segment that stands for `{name}` in the path of the route the request matched.
pub fn path_param<'r>(req: &'r Request, name: &str) -> Option<&'r str> {
    let PathParams(params) = req.extensions().get::<PathParams>()?;
    params
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

/// The client's address as API Gateway saw it (not a header a client could forge).
pub fn source_ip(req: &Request) -> Option<String> {
    use lambda_http::request::RequestContext;
    let ip = match req.request_context_ref()? {
        RequestContext::ApiGatewayV1(context) => context.identity.source_ip.clone(),
        RequestContext::ApiGatewayV2(context) => context.http.source_ip.clone(),
        _ => None,
    }?;
    // A well-formed address only, so a key stays small whatever the event holds.
    ip.parse::<std::net::IpAddr>().ok().map(|ip| ip.to_string())
}

/// `?limit=N&cursor=...` of a paginated list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageQuery {
    pub limit: usize,
    pub cursor: Option<String>,
}

pub const DEFAULT_PAGE_SIZE: usize = 20;
pub const MAX_PAGE_SIZE: usize = 100;

/// Reads `limit` (1 to 100, 20 when absent) and `cursor` from the query string.
pub fn page_query(req: &Request) -> Result<PageQuery, ApiError> {
    let query = query(req);
    let mut errors = FieldErrors::new();
    let limit = match query.first("limit") {
        None => Some(DEFAULT_PAGE_SIZE),
        Some(text) => errors.check(
            "limit",
            text.parse::<usize>()
                .ok()
                .filter(|n| (1..=MAX_PAGE_SIZE).contains(n))
                .ok_or(format!("must be a whole number from 1 to {MAX_PAGE_SIZE}")),
        ),
    };
    let cursor = query
        .first("cursor")
        .filter(|c| !c.is_empty())
        .map(str::to_owned);
    errors.finish()?;
    Ok(PageQuery {
        limit: limit.unwrap_or(DEFAULT_PAGE_SIZE),
        cursor,
    })
}

/// Parses the body as a JSON object into `T`. Over 64 KiB is `413`; anything that is not a JSON
/// object of the right types is `400 invalid_json`. Field values are checked by the caller.
pub fn parse_json<T: DeserializeOwned>(req: &Request) -> Result<T, ApiError> {
    let bytes: &[u8] = req.body().as_ref();
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge);
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::InvalidJson(
            "The request body must be a JSON object.".into(),
        ));
    }
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|_| ApiError::InvalidJson("The request body is not valid JSON.".into()))?;
    if !value.is_object() {
        return Err(ApiError::InvalidJson(
            "The request body must be a JSON object.".into(),
        ));
    }
    serde_path_to_error::deserialize(value).map_err(|error| {
        // Name the field, never the value: it may be a password.
        ApiError::InvalidJson(format!("The field `{}` has the wrong type.", error.path()))
    })
}

/// The token of an `Authorization: Bearer <token>` header (of a request whatever its body).
pub fn bearer_token<B>(req: &lambda_http::http::Request<B>) -> Result<&str, ApiError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or(ApiError::Unauthorized)?;
    let value = value.to_str().map_err(|_| ApiError::Unauthorized)?;
    let (scheme, token) = value.split_once(' ').ok_or(ApiError::Unauthorized)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(ApiError::Unauthorized);
    }
    Ok(token.trim())
}

/// A `?name=` query parameter naming a UI language (`ko`, `en`, `ja`), `default` when absent.
pub fn ui_language(
    req: &Request,
    name: &'static str,
    default: Option<UiLanguage>,
) -> Result<UiLanguage, ApiError> {
    match (query(req).first(name), default) {
        (Some(code), _) => {
            UiLanguage::parse(code).map_err(|problem| ApiError::field(name, problem))
        }
        (None, Some(default)) => Ok(default),
        (None, None) => Err(ApiError::field(name, "is required: one of ko, en, ja")),
    }
}

/// The `{name}` id of the request's path, in canonical form. An id that is not an id at all is
/// `404`, like one that does not exist.
pub fn path_id(req: &Request, name: &str) -> Result<String, ApiError> {
    path_param(req, name)
        .and_then(|id| ulid::Ulid::from_string(id).ok())
        .map(|id| id.to_string())
        .ok_or(ApiError::NotFound)
}

/// The room's `{id}` in the request's path.
pub fn room_id(req: &Request) -> Result<String, ApiError> {
    path_id(req, "id")
}
