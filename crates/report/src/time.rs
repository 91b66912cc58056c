//! RFC 3339 timestamps and today's date in UTC, without a time crate (the
//! [`Date`] type itself is the model's).

use std::time::{SystemTime, UNIX_EPOCH};

pub use ptr_audit_model::Date;

/// The UTC date of a point in time.
pub fn date_of(time: SystemTime) -> Date {
    let (date, _) = split(time);
    date
}

/// Today's date in UTC.
pub fn today() -> Date {
    date_of(SystemTime::now())
}

/// The date and the second of the day.
fn split(time: SystemTime) -> (Date, u32) {
    let secs = match time.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    };
    (
        Date::from_days_since_epoch(secs.div_euclid(86_400)),
        secs.rem_euclid(86_400) as u32,
    )
}

/// Formats a point in time as RFC 3339 in UTC with second precision
/// (`2026-11-28T19:40:05Z`), the form every report uses for timestamps.
pub fn rfc3339(time: SystemTime) -> String {
    let (date, sec) = split(time);
    format!(
        "{date}T{:02}:{:02}:{:02}Z",
        sec / 3600,
        sec / 60 % 60,
        sec % 60
    )
}

/// Seconds since 1970-01-01 of an RFC 3339 timestamp in UTC with second
/// precision, as [`rfc3339`] writes it (`2026-11-28T19:40:05Z`).
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() != 20 || b[10] != b'T' || b[13] != b':' || b[16] != b':' || b[19] != b'Z' {
        return None;
    }
    let date = Date::parse(&text[..10])?;
    let num = |s: &str| -> Option<i64> {
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())
            .flatten()
    };
    let (h, m, sec) = (
        num(&text[11..13])?,
        num(&text[14..16])?,
        num(&text[17..19])?,
    );
    if h > 23 || m > 59 || sec > 60 {
        return None;
    }
    Some(date.days_since_epoch() * 86_400 + h * 3600 + m * 60 + sec)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn formats_known_instants() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let t = UNIX_EPOCH + Duration::from_secs(1_795_894_805);
        assert_eq!(rfc3339(t), "2026-11-28T19:40:05Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(date_of(leap).to_string(), "2000-02-29");
    }

    #[test]
    fn rfc3339_reads_back_what_it_writes() {
        for secs in [0, 951_782_400, 1_795_894_805, 4_102_444_799] {
            let t = UNIX_EPOCH + Duration::from_secs(secs);
            assert_eq!(parse_rfc3339(&rfc3339(t)), Some(secs as i64));
        }
        assert_eq!(parse_rfc3339("2026-11-28T19:40:05"), None);
        assert_eq!(parse_rfc3339("2026-11-28T24:40:05Z"), None);
        assert_eq!(parse_rfc3339("2026-02-30T00:00:00Z"), None);
    }
}
