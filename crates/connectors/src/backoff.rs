//! Retry timing: exponential backoff with jitter, and the server's own hints (`Retry-After`,
//! `X-RateLimit-Reset`, `RateLimit-Reset`) which always win when they ask for a longer wait.

use chrono::{DateTime, Utc};
use rand::Rng;
use reqwest::header::HeaderMap;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Exponential backoff with "equal jitter": the n-th consecutive failure waits a random time in
/// `[d/2, d]` where `d = min(max, base * 2^n)`, so many connectors failing together spread out.
#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    max: Duration,
    failures: u32,
}

impl Backoff {
    pub fn new(base: Duration, max: Duration) -> Self {
        Backoff {
            base,
            max: max.max(base),
            failures: 0,
        }
    }

    /// The wait before the next attempt after one more failure.
    pub fn next_delay(&mut self) -> Duration {
        let exponent = self.failures.min(20);
        self.failures = self.failures.saturating_add(1);
        let full = self
            .base
            .saturating_mul(1u32 << exponent)
            .min(self.max)
            .as_secs_f64();
        let jittered = rand::rng().random_range(full / 2.0..=full.max(f64::MIN_POSITIVE));
        Duration::from_secs_f64(jittered)
    }

    /// The wait after a failure, stretched to honour the server's hint when it asks for longer.
    pub fn next_delay_with_hint(&mut self, hint: Option<Duration>) -> Duration {
        let own = self.next_delay();
        match hint {
            Some(hint) if hint > own => hint,
            _ => own,
        }
    }

    /// Forget past failures after a success.
    pub fn reset(&mut self) {
        self.failures = 0;
    }

    pub fn failures(&self) -> u32 {
        self.failures
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff::new(Duration::from_secs(1), Duration::from_secs(300))
    }
}

/// The longest wait any server hint may impose (a broken header must not park a connector for days).
pub const MAX_HINTED_WAIT: Duration = Duration::from_secs(3600);

/// How long the server asks us to wait, from `Retry-After` (delta seconds or an HTTP date),
/// `RateLimit-Reset` (delta seconds, IETF draft), or `X-RateLimit-Reset` (Unix epoch seconds, or an
/// ISO 8601 timestamp as Mastodon sends it). Only consulted on 429/503 responses, or when
/// `X-RateLimit-Remaining` is 0.
pub fn server_wait_hint(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let text = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    if let Some(value) = text("retry-after")
        && let Some(wait) = parse_retry_after(value, now)
    {
        return Some(wait.min(MAX_HINTED_WAIT));
    }
    if let Some(value) = text("ratelimit-reset")
        && let Ok(seconds) = value.trim().parse::<u64>()
    {
        return Some(Duration::from_secs(seconds).min(MAX_HINTED_WAIT));
    }
    if let Some(value) = text("x-ratelimit-reset")
        && let Some(wait) = parse_reset_instant(value, now)
    {
        return Some(wait.min(MAX_HINTED_WAIT));
    }
    None
}

/// Whether the response says the rate-limit budget is used up (`X-RateLimit-Remaining: 0`).
pub fn rate_limit_exhausted(headers: &HeaderMap) -> bool {
    ["x-ratelimit-remaining", "ratelimit-remaining"]
        .iter()
        .filter_map(|name| headers.get(*name))
        .filter_map(|value| value.to_str().ok())
        .any(|value| value.trim() == "0")
}

/// `Retry-After: 120` or `Retry-After: Wed, 21 Oct 2026 07:28:00 GMT`.
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    if let Ok(seconds) = value.parse::<f64>()
        && seconds.is_finite()
        && seconds >= 0.0
    {
        return Some(Duration::from_secs_f64(seconds));
    }
    let date = DateTime::parse_from_rfc2822(value).ok()?;
    Some(until(date.with_timezone(&Utc), now))
}

/// `X-RateLimit-Reset`: Unix seconds (X, GitHub), or ISO 8601 (Mastodon).
fn parse_reset_instant(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(epoch) = value.parse::<i64>() {
        // Small numbers are delta seconds, not an instant in the 1970s.
        if epoch < 1_000_000_000 {
            return Some(Duration::from_secs(epoch.max(0) as u64));
        }
        let instant = DateTime::from_timestamp(epoch, 0)?;
        return Some(until(instant, now));
    }
    let instant = DateTime::parse_from_rfc3339(value).ok()?;
    Some(until(instant.with_timezone(&Utc), now))
}

fn until(instant: DateTime<Utc>, now: DateTime<Utc>) -> Duration {
    (instant - now).to_std().unwrap_or(Duration::ZERO)
}

/// Sleeps for `wait` unless shutdown comes first; returns `false` when shut down.
pub async fn sleep_or_shutdown(wait: Duration, shutdown: &CancellationToken) -> bool {
    tokio::select! {
        _ = shutdown.cancelled() => false,
        _ = tokio::time::sleep(wait) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-23T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn backoff_grows_with_jitter_and_stays_under_the_cap() {
        let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(1));
        let first = backoff.next_delay();
        assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
        for _ in 0..30 {
            assert!(backoff.next_delay() <= Duration::from_secs(1));
        }
        backoff.reset();
        assert!(backoff.next_delay() <= Duration::from_millis(100));
    }

    #[test]
    fn server_hints_win_when_longer() {
        let mut backoff = Backoff::new(Duration::from_millis(10), Duration::from_millis(20));
        let wait = backoff.next_delay_with_hint(Some(Duration::from_secs(2)));
        assert_eq!(wait, Duration::from_secs(2));
    }

    #[test]
    fn retry_after_in_seconds_and_http_date() {
        assert_eq!(parse_retry_after("3", now()), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after("Mon, 23 Nov 2026 12:00:30 GMT", now()),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Mon, 23 Nov 2026 11:00:00 GMT", now()),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now()), None);
    }

    #[test]
    fn rate_limit_reset_headers() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-ratelimit-reset",
            HeaderValue::from_static("2026-11-23T12:05:00.000Z"),
        );
        assert_eq!(
            server_wait_hint(&headers, now()),
            Some(Duration::from_secs(300))
        );
        headers.insert("x-ratelimit-reset", HeaderValue::from_static("1795435260"));
        assert_eq!(
            server_wait_hint(&headers, now()),
            Some(Duration::from_secs(60))
        );
        headers.insert("ratelimit-reset", HeaderValue::from_static("7"));
        assert_eq!(
            server_wait_hint(&headers, now()),
            Some(Duration::from_secs(7))
        );
        headers.insert("retry-after", HeaderValue::from_static("99999999"));
        assert_eq!(server_wait_hint(&headers, now()), Some(MAX_HINTED_WAIT));
        headers.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
        assert!(rate_limit_exhausted(&headers));
    }
}
