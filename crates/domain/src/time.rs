//! The one way users write a point in time (query parameters, `--since` flags): RFC 3339, or a
//! plain `YYYY-MM-DD` date meaning midnight UTC.

use chrono::{DateTime, NaiveDate, Utc};

/// Parses `2026-11-23T08:00:00Z` (any RFC 3339 offset) or `2026-11-23` (midnight UTC).
pub fn parse_time_or_date(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Some(time.with_timezone(&Utc));
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn times_and_dates_parse_and_anything_else_does_not() {
        assert_eq!(
            parse_time_or_date("2026-11-23T10:00:00+02:00"),
            Some(Utc.with_ymd_and_hms(2026, 11, 23, 8, 0, 0).unwrap())
        );
        assert_eq!(
            parse_time_or_date(" 2026-11-23 "),
            Some(Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap())
        );
        assert_eq!(parse_time_or_date("yesterday"), None);
        assert_eq!(parse_time_or_date("2026-13-01"), None);
    }
}
