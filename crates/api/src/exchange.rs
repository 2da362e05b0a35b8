//! The plain HTTP exchange dialects work on, free of any server framework's types, and the
//! request with its parameters decoded once ([`ParsedRequest`]).

use bytes::Bytes;

use crate::input::{check_name, InputError, MAX_PARAMS};

/// A received request, body fully read.
#[derive(Debug, Clone, Default)]
pub struct HttpRequest {
    /// Method as sent.
    pub method: String,
    /// Path, normally `/`.
    pub path: String,
    /// Query exactly as on the request line, without `?`.
    pub raw_query: String,
    /// Headers as received (names as sent).
    pub headers: Vec<(String, String)>,
    /// Raw body.
    pub body: Bytes,
}

impl HttpRequest {
    /// First header with this name, case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Header pairs as string slices, for signature verification.
    pub fn header_refs(&self) -> Vec<(&str, &str)> {
        self.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect()
    }

    /// Content-Type without parameters, lower-cased.
    pub fn media_type(&self) -> String {
        self.header("content-type").unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase()
    }
}

/// A request as the dialects read it: the exchange plus its query and form parameters, decoded
/// once, within the input limits, before anything else looks at them. Dialect detection, the
/// envelope and the signature verifiers all read these pairs; nothing decodes the query or the
/// form body again. The raw query and body stay available for the schemes that hash them.
#[derive(Debug, Clone, Default)]
pub struct ParsedRequest {
    http: HttpRequest,
    /// Query pairs, then form-body pairs.
    params: Vec<(String, String)>,
    query_len: usize,
    problem: Option<InputError>,
}

impl ParsedRequest {
    /// Decodes the query and (for `application/x-www-form-urlencoded`) the body. Pairs past a
    /// limit are left out and the first limit exceeded is kept as [`ParsedRequest::problem`], so
    /// the dialect can still be recognised from what was read.
    pub fn new(http: HttpRequest) -> Self {
        let mut params = Vec::new();
        let mut problem = None;
        decode_into(http.raw_query.as_bytes(), &mut params, &mut problem);
        let query_len = params.len();
        if http.media_type() == "application/x-www-form-urlencoded" {
            decode_into(&http.body, &mut params, &mut problem);
        }
        Self { http, params, query_len, problem }
    }

    /// The exchange as received.
    pub fn http(&self) -> &HttpRequest {
        &self.http
    }

    /// Query pairs followed by form-body pairs, as decoded.
    pub fn params(&self) -> &[(String, String)] {
        &self.params
    }

    /// Query pairs only.
    pub fn query(&self) -> &[(String, String)] {
        self.params.get(..self.query_len).unwrap_or_default()
    }

    /// Form-body pairs only.
    pub fn form(&self) -> &[(String, String)] {
        self.params.get(self.query_len..).unwrap_or_default()
    }

    /// The first value of a parameter (query before form).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The first input limit the query or form exceeded, if any.
    pub fn problem(&self) -> Option<&InputError> {
        self.problem.as_ref()
    }
}

impl std::ops::Deref for ParsedRequest {
    type Target = HttpRequest;
    fn deref(&self) -> &HttpRequest {
        &self.http
    }
}

/// Appends the pairs of one urlencoded text, within [`MAX_PARAMS`] in all and each name within
/// [`check_name`]'s limits; records the first limit exceeded.
fn decode_into(text: &[u8], out: &mut Vec<(String, String)>, problem: &mut Option<InputError>) {
    for (k, v) in form_urlencoded::parse(text) {
        if out.len() >= MAX_PARAMS {
            problem.get_or_insert(InputError::TooManyParams);
            return;
        }
        match check_name(&k) {
            Ok(()) => out.push((k.into_owned(), v.into_owned())),
            Err(e) => {
                problem.get_or_insert(e);
            }
        }
    }
}

/// A response to send.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Content-Type, exactly.
    pub content_type: &'static str,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Vec<u8>,
    /// The action served, when it is one the dialect knows (for metrics; never sent).
    pub action: Option<&'static str>,
    /// The error code answered, if any (for metrics; never sent).
    pub error_code: Option<String>,
}

impl HttpResponse {
    /// A JSON response.
    pub fn json(status: u16, content_type: &'static str, body: Vec<u8>) -> Self {
        Self { status, content_type, headers: Vec::new(), body, action: None, error_code: None }
    }

    /// Labels the response with its action and outcome.
    pub fn labelled(mut self, action: Option<&'static str>, error_code: Option<String>) -> Self {
        self.action = action;
        self.error_code = error_code;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(query: &str, content_type: &str, body: &str) -> ParsedRequest {
        ParsedRequest::new(HttpRequest {
            method: "POST".into(),
            path: "/".into(),
            raw_query: query.into(),
            headers: vec![("Content-Type".into(), content_type.into())],
            body: Bytes::from(body.to_string()),
        })
    }

    #[test]
    fn query_then_form_decoded_once() {
        let r = request("A=1&B=%E2%9C%93", "application/x-www-form-urlencoded; charset=utf-8", "C=3&A=4");
        assert_eq!(r.query().len(), 2);
        assert_eq!(r.form(), &[("C".to_string(), "3".to_string()), ("A".to_string(), "4".to_string())]);
        assert_eq!((r.param("A"), r.param("B"), r.param("C")), (Some("1"), Some("✓"), Some("3")));
        assert!(r.problem().is_none());
        let json = request("A=1", "application/json", "C=3");
        assert!(json.form().is_empty(), "only form bodies carry parameters");
    }

    #[test]
    fn limits_keep_what_was_read_and_the_first_problem() {
        let deep = vec!["a"; 4000].join(".");
        let r = request(&format!("Version=2017-11-10&{deep}=1&Action=X"), "", "");
        assert!(matches!(r.problem(), Some(InputError::KeyTooLong(_))));
        assert_eq!(r.param("Version"), Some("2017-11-10"));
        assert_eq!(r.param("Action"), Some("X"));

        let pairs = |n: usize| (0..n).map(|i| format!("K{i}=v")).collect::<Vec<_>>().join("&");
        let at = request(&pairs(MAX_PARAMS), "", "");
        assert!(at.problem().is_none());
        let over = request(&pairs(MAX_PARAMS), "application/x-www-form-urlencoded", "One=more");
        assert_eq!(over.problem(), Some(&InputError::TooManyParams));
        assert_eq!(over.params().len(), MAX_PARAMS);
    }
}
