//! The wire: requests and responses as the HTTP layer hands them over and
//! takes them back, and reading a request's fields (JSON, form-urlencoded
//! or `multipart/form-data` bodies, the query string, path segments).

use cloudmqtt_api::validate;
use serde_json::{Map, Value};

/// A request as the HTTP layer hands it over.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApiRequest {
    /// The method, e.g. `GET`.
    pub method: String,
    /// The request target: path and query, e.g. `/api/user?limit=10`.
    pub url: String,
    /// Header names and values.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl ApiRequest {
    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// A response for the HTTP layer to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiResponse {
    /// The status code.
    pub status: u16,
    /// Extra headers (`Content-Type`, `Allow`, `Retry-After`, ...).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl ApiResponse {
    /// A JSON response.
    pub fn json(status: u16, value: &impl serde::Serialize) -> Self {
        match serde_json::to_vec(value) {
            Ok(body) => Self {
                status,
                headers: vec![("Content-Type".into(), "application/json".into())],
                body,
            },
            Err(_) => Self::error(500, "internal error: could not encode the response"),
        }
    }

    /// `{"error": message}` with a status.
    pub fn error(status: u16, message: impl Into<String>) -> Self {
        let body = serde_json::json!({ "error": message.into() });
        Self {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.to_string().into_bytes(),
        }
    }

    /// An empty success.
    pub fn no_content() -> Self {
        Self {
            status: 204,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// The response with one more header.
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// `invalid {field}: {reason}`, worded like the core's validation errors.
pub(crate) fn invalid(field: &str, reason: &str) -> ApiResponse {
    ApiResponse::error(400, format!("invalid {field}: {reason}"))
}

pub(crate) fn rejected(error: &cloudmqtt_api::Error) -> ApiResponse {
    ApiResponse::error(400, error.to_string())
}

/// The fields of a request body (and query string, as a fallback).
pub(crate) struct Fields(Map<String, Value>);

impl Fields {
    pub(crate) fn parse(request: &ApiRequest, query: &str) -> Result<Self, ApiResponse> {
        let content_type = request.header("content-type").unwrap_or("");
        let media = media_type(request);
        let is_json = is_json_media(&media);
        let mut map = if request.body.iter().all(u8::is_ascii_whitespace) {
            Map::new()
        } else if media == "multipart/form-data" {
            parse_multipart(&request.body, content_type)?
        } else if is_json {
            match serde_json::from_slice::<Value>(&request.body) {
                Ok(Value::Object(map)) => map,
                Ok(_) => return Err(invalid("body", "must be a JSON object")),
                Err(error) => return Err(invalid("body", &format!("not valid JSON: {error}"))),
            }
        } else {
            form_urlencoded::parse(&request.body)
                .map(|(key, value)| (key.into_owned(), Value::String(value.into_owned())))
                .collect()
        };
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            map.entry(key.into_owned())
                .or_insert_with(|| Value::String(value.into_owned()));
        }
        Ok(Self(map))
    }

    /// The fields by name.
    pub(crate) fn into_map(self) -> Map<String, Value> {
        self.0
    }

    /// The names of the fields.
    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    /// A text field: `None` when absent or `null`.
    pub(crate) fn text(&self, name: &'static str) -> Result<Option<String>, ApiResponse> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(_) => Err(invalid(name, "must be a string")),
        }
    }

    pub(crate) fn required(&self, name: &'static str) -> Result<String, ApiResponse> {
        self.text(name)?.ok_or_else(|| invalid(name, "is required"))
    }

    /// A permission flag: a boolean, 0 or 1, or their text forms; absent is
    /// `false`.
    pub(crate) fn flag(&self, name: &'static str) -> Result<bool, ApiResponse> {
        let bad = || invalid(name, "must be true or false");
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(flag)) => Ok(*flag),
            Some(Value::Number(number)) => match number.as_u64() {
                Some(0) => Ok(false),
                Some(1) => Ok(true),
                _ => Err(bad()),
            },
            Some(Value::String(text)) => match text.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "on" => Ok(true),
                "false" | "0" | "no" | "off" | "" => Ok(false),
                _ => Err(bad()),
            },
            Some(_) => Err(bad()),
        }
    }
}

/// The request's media type (`Content-Type` without parameters), in
/// lower case; empty without one.
pub(crate) fn media_type(request: &ApiRequest) -> String {
    request
        .header("content-type")
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// Whether a media type says JSON (`application/json` or `+json`).
pub(crate) fn is_json_media(media: &str) -> bool {
    media == "application/json" || media.ends_with("+json")
}

/// Reads the text fields of a `multipart/form-data` body (what a browser's
/// `FormData` sends).
fn parse_multipart(body: &[u8], content_type: &str) -> Result<Map<String, Value>, ApiResponse> {
    let boundary = content_type
        .split(';')
        .skip(1)
        .filter_map(|param| param.split_once('='))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, value)| value.trim().trim_matches('"'))
        .filter(|boundary| !boundary.is_empty())
        .ok_or_else(|| invalid("body", "multipart/form-data needs a boundary"))?;
    let delimiter = format!("--{boundary}");
    let delimiter = delimiter.as_bytes();
    let malformed = || invalid("body", "malformed multipart/form-data");
    let mut map = Map::new();
    let mut parts = split_bytes(body, delimiter).skip(1);
    for part in &mut parts {
        if part.starts_with(b"--") {
            return Ok(map);
        }
        let part = part.strip_prefix(b"\r\n").ok_or_else(malformed)?;
        let part = part.strip_suffix(b"\r\n").ok_or_else(malformed)?;
        let split = part
            .windows(4)
            .position(|window| window == b"\r\n\r\n")
            .ok_or_else(malformed)?;
        let head = String::from_utf8_lossy(&part[..split]);
        let value = &part[split + 4..];
        let name = head
            .split("\r\n")
            .filter(|line| {
                line.split(':')
                    .next()
                    .is_some_and(|name| name.trim().eq_ignore_ascii_case("content-disposition"))
            })
            .flat_map(|line| line.split(';'))
            .filter_map(|param| param.split_once('='))
            .find(|(key, _)| key.trim().eq_ignore_ascii_case("name"))
            .map(|(_, value)| value.trim().trim_matches('"').to_owned())
            .ok_or_else(malformed)?;
        map.insert(
            name,
            Value::String(String::from_utf8_lossy(value).into_owned()),
        );
    }
    Err(malformed())
}

/// Splits `bytes` at every occurrence of `delimiter`.
fn split_bytes<'a>(bytes: &'a [u8], delimiter: &'a [u8]) -> impl Iterator<Item = &'a [u8]> + 'a {
    let mut rest = Some(bytes);
    std::iter::from_fn(move || {
        let current = rest?;
        match current
            .windows(delimiter.len())
            .position(|window| window == delimiter)
        {
            Some(at) => {
                rest = Some(&current[at + delimiter.len()..]);
                Some(&current[..at])
            }
            None => {
                rest = None;
                Some(current)
            }
        }
    })
}

/// Reads a whole-number query parameter. A number too large for a `u32`
/// reads as `u32::MAX`, so that a range check names the range rather than
/// calling it no number at all.
pub(crate) fn number(field: &'static str, text: &str) -> Result<u32, ApiResponse> {
    match text.trim().parse::<u64>() {
        Ok(number) => Ok(u32::try_from(number).unwrap_or(u32::MAX)),
        Err(error) if *error.kind() == std::num::IntErrorKind::PosOverflow => Ok(u32::MAX),
        Err(_) => Err(invalid(field, "must be a whole number")),
    }
}

/// Percent-decodes a user name from a path segment.
pub(crate) fn decode_segment(segment: &str) -> Result<String, ApiResponse> {
    let name = percent_encoding::percent_decode_str(segment)
        .decode_utf8()
        .map_err(|_| invalid("username", "must be UTF-8"))?
        .into_owned();
    validate::username(&name).map_err(|e| rejected(&e))?;
    Ok(name)
}
