//! The shared HTTP client (rustls with the ring provider) and helpers to describe failures without
//! leaking URLs' credentials or tokens.

use crate::error::ConnectorError;
use std::time::Duration;

/// Installs rustls' ring crypto provider once per process (reqwest is built with
/// `rustls-no-provider`). Safe to call many times.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The client every connector uses: a Switchyard user agent, connect and request timeouts.
pub fn build_client(request_timeout: Option<Duration>) -> Result<reqwest::Client, ConnectorError> {
    install_crypto_provider();
    let mut builder = reqwest::Client::builder()
        .user_agent(concat!(
            "Switchyard/",
            env!("CARGO_PKG_VERSION"),
            " (+https://example.invalid/switchyard)"
        ))
        .connect_timeout(Duration::from_secs(15));
    if let Some(timeout) = request_timeout {
        builder = builder.timeout(timeout);
    }
    builder.build().map_err(|error| ConnectorError::Setup {
        what: "HTTP client".to_string(),
        reason: describe_error(&error),
    })
}

/// A short description of a reqwest error, without the URL (which may carry a token in its query).
pub fn describe_error(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "connection failed"
    } else if error.is_decode() {
        "response body could not be decoded"
    } else if error.is_body() {
        "response body broke off"
    } else if error.is_request() {
        "request failed"
    } else {
        "HTTP error"
    };
    let mut detail = String::new();
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        detail = inner.to_string();
        source = inner.source();
    }
    if detail.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}: {detail}")
    }
}

/// Reads a response body up to `limit` bytes; a larger body is an error rather than a memory spike.
pub async fn read_limited(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, ConnectorError> {
    if let Some(length) = response.content_length()
        && length as usize > limit
    {
        return Err(ConnectorError::TooLarge { limit });
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|error| ConnectorError::Transport(describe_error(&error)))?
    {
        if body.len() + chunk.len() > limit {
            return Err(ConnectorError::TooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Passes through success (2xx) and 304 answers; turns 429 into [`ConnectorError::RateLimited`]
/// with the server's wait hint, 401/403 into [`ConnectorError::Unauthorized`], the rest into
/// [`ConnectorError::Http`] with a short excerpt of the body.
pub async fn check_response(
    service: &str,
    response: reqwest::Response,
) -> Result<reqwest::Response, ConnectorError> {
    let status = response.status();
    if status.is_success() || status == reqwest::StatusCode::NOT_MODIFIED {
        return Ok(response);
    }
    let wait = crate::backoff::server_wait_hint(response.headers(), chrono::Utc::now());
    if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        return Err(ConnectorError::RateLimited {
            service: service.to_string(),
            wait,
        });
    }
    if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
        return Err(ConnectorError::Unauthorized {
            service: service.to_string(),
            status: status.as_u16(),
        });
    }
    let body = read_limited(response, 4096).await.unwrap_or_default();
    let detail: String = String::from_utf8_lossy(&body).chars().take(300).collect();
    Err(ConnectorError::Http {
        service: service.to_string(),
        status: status.as_u16(),
        detail,
        wait,
    })
}
