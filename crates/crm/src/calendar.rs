//! Business-hours calendars and the clock maths SLAs run on: "add 30 business minutes" and
//! "how many business minutes between two instants", with a UTC offset, working weekdays and
//! holidays. Pure functions, no I/O.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc, Weekday};
use serde::{Deserialize, Serialize};

/// How a calendar is written in the configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarConfig {
    pub name: String,
    /// Local time's offset from UTC, e.g. `"+02:00"`, `"-05:00"`, `"Z"`.
    #[serde(default = "default_offset")]
    pub utc_offset: String,
    /// Working days, e.g. `["mon", "tue", "wed", "thu", "fri"]`.
    #[serde(default = "default_weekdays")]
    pub weekdays: Vec<String>,
    /// Opening time, local, `"HH:MM"`.
    #[serde(default = "default_open")]
    pub open: String,
    /// Closing time, local, `"HH:MM"`; after `open` (no overnight shifts), `"24:00"` for midnight.
    #[serde(default = "default_close")]
    pub close: String,
    /// Days off, `"YYYY-MM-DD"`, local.
    #[serde(default)]
    pub holidays: Vec<String>,
}

fn default_offset() -> String {
    "+00:00".to_string()
}
fn default_weekdays() -> Vec<String> {
    ["mon", "tue", "wed", "thu", "fri"]
        .iter()
        .map(|d| d.to_string())
        .collect()
}
fn default_open() -> String {
    "09:00".to_string()
}
fn default_close() -> String {
    "17:00".to_string()
}

/// A validated calendar. `None` where a policy has no calendar means the clock runs 24×7.
#[derive(Debug, Clone, PartialEq)]
pub struct BusinessCalendar {
    pub name: String,
    offset: Duration,
    weekdays: [bool; 7],
    /// Minutes after local midnight.
    open_minute: i64,
    close_minute: i64,
    holidays: Vec<NaiveDate>,
}

fn parse_time_of_day(calendar: &str, field: &str, text: &str) -> Result<i64, String> {
    if text.trim() == "24:00" {
        return Ok(24 * 60);
    }
    let time = NaiveTime::parse_from_str(text.trim(), "%H:%M").map_err(|_| {
        format!("calendar {calendar:?}: {field} {text:?} is not a time of day; write it as \"HH:MM\", e.g. \"09:00\"")
    })?;
    Ok(i64::from(time.hour_minute().0) * 60 + i64::from(time.hour_minute().1))
}

trait HourMinute {
    fn hour_minute(&self) -> (u32, u32);
}
impl HourMinute for NaiveTime {
    fn hour_minute(&self) -> (u32, u32) {
        use chrono::Timelike;
        (self.hour(), self.minute())
    }
}

fn parse_offset(calendar: &str, text: &str) -> Result<Duration, String> {
    let trimmed = text.trim();
    if trimmed.eq_ignore_ascii_case("z") || trimmed.eq_ignore_ascii_case("utc") {
        return Ok(Duration::zero());
    }
    let error = || {
        format!(
            "calendar {calendar:?}: utc_offset {text:?} is not an offset; write it as \"+HH:MM\" or \"-HH:MM\""
        )
    };
    let (sign, rest) = match trimmed.chars().next() {
        Some('+') => (1, &trimmed[1..]),
        Some('-') => (-1, &trimmed[1..]),
        _ => return Err(error()),
    };
    let (hours, minutes) = rest.split_once(':').ok_or_else(error)?;
    let hours: i64 = hours.parse().map_err(|_| error())?;
    let minutes: i64 = minutes.parse().map_err(|_| error())?;
    if hours > 14 || minutes > 59 {
        return Err(error());
    }
    Ok(Duration::minutes(sign * (hours * 60 + minutes)))
}

fn parse_weekday(calendar: &str, text: &str) -> Result<Weekday, String> {
    text.trim().parse::<Weekday>().map_err(|_| {
        format!("calendar {calendar:?}: {text:?} is not a weekday; use mon, tue, wed, thu, fri, sat or sun")
    })
}

impl BusinessCalendar {
    /// Checks a configured calendar and compiles it.
    pub fn from_config(config: &CalendarConfig) -> Result<Self, String> {
        let name = config.name.trim();
        if name.is_empty() {
            return Err("a calendar needs a name".to_string());
        }
        let offset = parse_offset(name, &config.utc_offset)?;
        let mut weekdays = [false; 7];
        for day in &config.weekdays {
            let weekday = parse_weekday(name, day)?;
            weekdays[weekday.num_days_from_monday() as usize] = true;
        }
        if !weekdays.iter().any(|open| *open) {
            return Err(format!(
                "calendar {name:?} has no working weekdays; list at least one (e.g. \"mon\")"
            ));
        }
        let open_minute = parse_time_of_day(name, "open", &config.open)?;
        let close_minute = parse_time_of_day(name, "close", &config.close)?;
        if close_minute <= open_minute {
            return Err(format!(
                "calendar {name:?}: close {:?} must be after open {:?} (overnight shifts are not supported; split them into two calendars)",
                config.close, config.open
            ));
        }
        let mut holidays = Vec::new();
        for day in &config.holidays {
            let date = NaiveDate::parse_from_str(day.trim(), "%Y-%m-%d").map_err(|_| {
                format!(
                    "calendar {name:?}: holiday {day:?} is not a date; write it as \"YYYY-MM-DD\""
                )
            })?;
            holidays.push(date);
        }
        holidays.sort();
        Ok(BusinessCalendar {
            name: name.to_string(),
            offset,
            weekdays,
            open_minute,
            close_minute,
            holidays,
        })
    }

    fn to_local(&self, at: DateTime<Utc>) -> NaiveDateTime {
        at.naive_utc() + self.offset
    }

    fn to_utc(&self, local: NaiveDateTime) -> DateTime<Utc> {
        (local - self.offset).and_utc()
    }

    /// The working window of a local date, if it is a working day.
    fn window(&self, date: NaiveDate) -> Option<(NaiveDateTime, NaiveDateTime)> {
        if !self.weekdays[date.weekday().num_days_from_monday() as usize] {
            return None;
        }
        if self.holidays.binary_search(&date).is_ok() {
            return None;
        }
        let midnight = date.and_hms_opt(0, 0, 0)?;
        Some((
            midnight + Duration::minutes(self.open_minute),
            midnight + Duration::minutes(self.close_minute),
        ))
    }

    /// The instant `duration` of business time after `start`.
    pub fn add_business_time(&self, start: DateTime<Utc>, duration: Duration) -> DateTime<Utc> {
        if duration <= Duration::zero() {
            return start;
        }
        let mut cursor = self.to_local(start);
        let mut remaining = duration;
        // Ten years of days is far beyond any SLA; the bound keeps bad input from looping forever.
        for _ in 0..3660 {
            let date = cursor.date();
            if let Some((open, close)) = self.window(date) {
                if cursor < open {
                    cursor = open;
                }
                if cursor < close {
                    let available = close - cursor;
                    if remaining <= available {
                        return self.to_utc(cursor + remaining);
                    }
                    remaining -= available;
                }
            }
            let Some(next_day) = date.succ_opt().and_then(|d| d.and_hms_opt(0, 0, 0)) else {
                break;
            };
            cursor = next_day;
        }
        self.to_utc(cursor + remaining)
    }

    /// Business time between two instants (zero when `end` is not after `start`).
    pub fn business_time_between(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> Duration {
        if end <= start {
            return Duration::zero();
        }
        let start_local = self.to_local(start);
        let end_local = self.to_local(end);
        let mut total = Duration::zero();
        let mut date = start_local.date();
        while date <= end_local.date() {
            if let Some((open, close)) = self.window(date) {
                let from = open.max(start_local);
                let to = close.min(end_local);
                if to > from {
                    total += to - from;
                }
            }
            let Some(next) = date.succ_opt() else { break };
            date = next;
        }
        total
    }
}

/// Adds business time on an optional calendar (none = 24×7).
pub fn add_time(
    calendar: Option<&BusinessCalendar>,
    start: DateTime<Utc>,
    duration: Duration,
) -> DateTime<Utc> {
    match calendar {
        Some(calendar) => calendar.add_business_time(start, duration),
        None => start + duration.max(Duration::zero()),
    }
}

/// Business time between two instants on an optional calendar (none = 24×7).
pub fn time_between(
    calendar: Option<&BusinessCalendar>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Duration {
    match calendar {
        Some(calendar) => calendar.business_time_between(start, end),
        None => (end - start).max(Duration::zero()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn berlin_office() -> BusinessCalendar {
        BusinessCalendar::from_config(&CalendarConfig {
            name: "berlin".into(),
            utc_offset: "+01:00".into(),
            weekdays: default_weekdays(),
            open: "09:00".into(),
            close: "17:00".into(),
            holidays: vec!["2026-12-25".into()],
        })
        .unwrap()
    }

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    #[test]
    fn within_the_same_working_day() {
        // Tuesday 2026-11-24 10:00 local = 09:00 UTC.
        let due = berlin_office().add_business_time(utc(2026, 11, 24, 9, 0), Duration::minutes(30));
        assert_eq!(due, utc(2026, 11, 24, 9, 30));
    }

    #[test]
    fn after_closing_the_clock_waits_for_the_next_morning() {
        // Tuesday 16:50 local (15:50 UTC) + 30 min → 10 left in the day, 20 on Wednesday 09:20 local.
        let due =
            berlin_office().add_business_time(utc(2026, 11, 24, 15, 50), Duration::minutes(30));
        assert_eq!(due, utc(2026, 11, 25, 8, 20));
    }

    #[test]
    fn weekends_and_holidays_are_skipped() {
        // Friday 2026-11-27 16:30 local + 60 min → 30 Fri, 30 Monday 09:30 local.
        let due =
            berlin_office().add_business_time(utc(2026, 11, 27, 15, 30), Duration::minutes(60));
        assert_eq!(due, utc(2026, 11, 30, 8, 30));
        // Thursday 2026-12-24 16:00 local + 2h → 1h Thu, Fri 25th is a holiday, weekend, Mon 28th 10:00.
        let due = berlin_office().add_business_time(utc(2026, 12, 24, 15, 0), Duration::hours(2));
        assert_eq!(due, utc(2026, 12, 28, 9, 0));
    }

    #[test]
    fn between_counts_only_open_hours_and_inverts_add() {
        let calendar = berlin_office();
        let start = utc(2026, 11, 27, 15, 30);
        let end = calendar.add_business_time(start, Duration::minutes(95));
        assert_eq!(
            calendar.business_time_between(start, end),
            Duration::minutes(95)
        );
        // A whole weekend is zero business time.
        assert_eq!(
            calendar.business_time_between(utc(2026, 11, 28, 0, 0), utc(2026, 11, 29, 23, 0)),
            Duration::zero()
        );
        assert_eq!(calendar.business_time_between(end, start), Duration::zero());
    }

    #[test]
    fn no_calendar_means_round_the_clock() {
        let start = utc(2026, 11, 28, 23, 50);
        assert_eq!(
            add_time(None, start, Duration::minutes(30)),
            utc(2026, 11, 29, 0, 20)
        );
        assert_eq!(
            time_between(None, start, utc(2026, 11, 29, 0, 20)),
            Duration::minutes(30)
        );
    }

    #[test]
    fn bad_calendars_are_refused_with_a_hint() {
        let mut config = CalendarConfig {
            name: "x".into(),
            utc_offset: "+1".into(),
            weekdays: default_weekdays(),
            open: "09:00".into(),
            close: "17:00".into(),
            holidays: vec![],
        };
        assert!(
            BusinessCalendar::from_config(&config)
                .unwrap_err()
                .contains("+HH:MM")
        );
        config.utc_offset = "-05:00".into();
        config.close = "08:00".into();
        assert!(
            BusinessCalendar::from_config(&config)
                .unwrap_err()
                .contains("after open")
        );
        config.close = "17:00".into();
        config.weekdays = vec!["funday".into()];
        assert!(
            BusinessCalendar::from_config(&config)
                .unwrap_err()
                .contains("weekday")
        );
        config.weekdays = vec![];
        assert!(
            BusinessCalendar::from_config(&config)
                .unwrap_err()
                .contains("no working")
        );
    }
}
