//! The plain HTTP exchange dialects work on, free of any server framework's types.

use bytes::Bytes;

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

    /// Decoded query parameters.
    pub fn query_params(&self) -> Vec<(String, String)> {
        form_urlencoded::parse(self.raw_query.as_bytes()).into_owned().collect()
    }

    /// Decoded form body parameters (only for `application/x-www-form-urlencoded`).
    pub fn form_params(&self) -> Vec<(String, String)> {
        if self.media_type() == "application/x-www-form-urlencoded" {
            form_urlencoded::parse(&self.body).into_owned().collect()
        } else {
            Vec::new()
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
