//! The web command center: serves the single-page front end embedded in the binary from
//! `crates/server/assets` (no CDN, no build step), with content types, ETags and cache headers.
//!
//! * `GET /` and the app's client-side paths (`/live`, `/queues`, `/cases/…`, …) → `index.html`
//! * `GET /assets/{path}` → the embedded file, `304 Not Modified` when the browser's copy is current
//! * [`spa_fallback`] can serve as the router's fallback: `index.html` for browser navigations,
//!   the JSON `not_found` error for everything else.

use crate::AppState;
use crate::error::ApiError;
use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rust_embed::RustEmbed;

/// The front end, compiled into the binary (in debug builds rust-embed reads the folder at run
/// time, so editing a file needs only a browser reload).
#[derive(RustEmbed)]
#[folder = "assets/"]
struct Assets;

/// Client-side paths of the single-page app that a browser may load directly (bookmarks, reload).
const APP_PATHS: &[&str] = &[
    "/",
    "/signin",
    "/overview",
    "/live",
    "/queues",
    "/cases",
    "/listening",
    "/analytics",
];

/// Routes serving the embedded front end.
pub fn routes() -> Router<AppState> {
    let mut router = Router::new().route("/assets/{*path}", get(asset));
    for path in APP_PATHS {
        router = router.route(path, get(index));
        if *path != "/" {
            router = router.route(&format!("{path}/{{*rest}}"), get(index));
        }
    }
    router
}

/// A fallback for the whole router: browser navigations (GET accepting HTML, outside `/api`) get
/// the app so client-side routes survive a reload; anything else gets the JSON 404.
pub async fn spa_fallback(method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let accepts_html = headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    let is_api = uri.path().starts_with("/api/") || uri.path().starts_with("/assets/");
    if method == Method::GET && accepts_html && !is_api {
        return serve("index.html", &headers);
    }
    ApiError::not_found(format!(
        "no route for {method} {}; the API lives under /api/v1 (see /api/v1/openapi.json)",
        uri.path()
    ))
    .into_response()
}

async fn index(headers: HeaderMap) -> Response {
    serve("index.html", &headers)
}

async fn asset(Path(path): Path<String>, headers: HeaderMap) -> Response {
    serve(&path, &headers)
}

/// The content type for a file name, by extension.
pub fn content_type(path: &str) -> &'static str {
    let extension = path.rsplit_once('.').map(|(_, ext)| ext).unwrap_or("");
    match extension.to_ascii_lowercase().as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "txt" | "md" => "text/plain; charset=utf-8",
        "webmanifest" => "application/manifest+json",
        _ => "application/octet-stream",
    }
}

/// Serves one embedded file. Every response carries a strong ETag (the file's SHA-256) and
/// `Cache-Control: no-cache`, so browsers keep a copy but revalidate it (a cheap 304) and never
/// run a stale front end against a newer server.
fn serve(path: &str, request_headers: &HeaderMap) -> Response {
    let path = path.trim_start_matches('/');
    if path.split('/').any(|segment| segment == "..") {
        return ApiError::bad_request("asset paths may not contain `..`").into_response();
    }
    let Some(file) = Assets::get(path) else {
        return ApiError::not_found(format!("no asset named {path:?}")).into_response();
    };
    let hash = file.metadata.sha256_hash();
    let mut etag = String::with_capacity(2 + hash.len() * 2);
    etag.push('"');
    for byte in hash.iter().take(16) {
        etag.push_str(&format!("{byte:02x}"));
    }
    etag.push('"');
    let not_modified = request_headers
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.split(',').any(|tag| tag.trim() == etag));
    let mut response = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            [(header::CONTENT_TYPE, content_type(path))],
            file.data.into_owned(),
        )
            .into_response()
    };
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if path.ends_with(".html") {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
            ),
        );
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_follow_extensions() {
        assert_eq!(content_type("app.js"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("app.CSS"), "text/css; charset=utf-8");
        assert_eq!(content_type("logo.svg"), "image/svg+xml");
        assert_eq!(content_type("LICENSE"), "application/octet-stream");
    }

    #[test]
    fn index_is_embedded_and_revalidates() {
        let response = serve("index.html", &HeaderMap::new());
        assert_eq!(response.status(), StatusCode::OK);
        let etag = response.headers().get(header::ETAG).unwrap().clone();
        assert_eq!(response.headers()[header::CACHE_CONTROL], "no-cache");
        let mut headers = HeaderMap::new();
        headers.insert(header::IF_NONE_MATCH, etag);
        assert_eq!(
            serve("index.html", &headers).status(),
            StatusCode::NOT_MODIFIED
        );
    }

    #[test]
    fn missing_and_escaping_paths_are_refused() {
        assert_eq!(
            serve("nope.js", &HeaderMap::new()).status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            serve("../Cargo.toml", &HeaderMap::new()).status(),
            StatusCode::BAD_REQUEST
        );
    }
}
