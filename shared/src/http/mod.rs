//! The HTTP edge: reading requests and writing replies.

mod body;
mod request;
mod response;

pub use body::*;
pub use request::*;
pub use response::*;

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::http::{Method, header};
    use lambda_http::{Body, Request};
    use serde::Deserialize;

    fn request(body: impl Into<Body>) -> Request {
        lambda_http::http::Request::builder()
            .method(Method::POST)
            .uri("/signup")
            .body(body.into())
            .unwrap()
    }

    #[derive(Debug, Deserialize)]
    struct Body2 {
        #[allow(dead_code)]
        name: Option<String>,
    }

    #[test]
    fn json_bodies() {
        assert!(parse_json::<Body2>(&request(r#"{"name": "a", "extra": [1]}"#)).is_ok());
        for bad in ["", "  ", "{", "nul", "[1]", "\"text\"", "42", "null"] {
            let error = parse_json::<Body2>(&request(bad)).unwrap_err();
            assert_eq!(error.code(), "invalid_json", "{bad:?}");
        }
        let error = parse_json::<Body2>(&request(r#"{"name": 512345}"#)).unwrap_err();
        assert_eq!(error.code(), "invalid_json");
        assert_eq!(error.to_string(), "The field `name` has the wrong type.");
        let big = format!(r#"{{"name": "{}"}}"#, "x".repeat(MAX_BODY_BYTES));
        assert_eq!(
            parse_json::<Body2>(&request(big)).unwrap_err().code(),
            "payload_too_large"
        );
        let invalid_utf8 = request(Body::from(vec![b'{', 0xff, b'}']));
        assert_eq!(
            parse_json::<Body2>(&invalid_utf8).unwrap_err().code(),
            "invalid_json"
        );
    }

    #[test]
    fn page_queries() {
        let query = |uri: &str| {
            let req = lambda_http::http::Request::builder()
                .uri(uri)
                .body(Body::Empty)
                .unwrap();
            page_query(&req)
        };
        assert_eq!(
            query("/rooms").unwrap(),
            PageQuery {
                limit: 20,
                cursor: None
            }
        );
        assert_eq!(
            query("/rooms?limit=100&cursor=a.b%2Bc").unwrap(),
            PageQuery {
                limit: 100,
                cursor: Some("a.b+c".into())
            }
        );
        assert_eq!(
            query("/rooms?limit=1&cursor=").unwrap(),
            PageQuery {
                limit: 1,
                cursor: None
            }
        );
        for bad in [
            "0",
            "101",
            "-1",
            "ten",
            "1.5",
            "",
            "99999999999999999999999",
        ] {
            let error = query(&format!("/rooms?limit={bad}")).unwrap_err();
            assert_eq!(error.code(), "validation_failed", "{bad}");
        }
    }

    #[test]
    fn bearer_tokens() {
        let with = |value: &str| {
            lambda_http::http::Request::builder()
                .header(header::AUTHORIZATION, value)
                .body(Body::Empty)
                .unwrap()
        };
        assert_eq!(
            bearer_token(&with("Bearer abc.def.ghi")).unwrap(),
            "abc.def.ghi"
        );
        assert_eq!(bearer_token(&with("bearer  abc ")).unwrap(), "abc");
        for bad in ["abc", "Basic abc", "Bearer ", "Bearer"] {
            assert!(bearer_token(&with(bad)).is_err(), "{bad}");
        }
        assert!(bearer_token(&request(Body::Empty)).is_err());
    }
}
