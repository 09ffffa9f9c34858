//! HTTP-dates (RFC 9110 §5.6.7), as `Retry-After` may carry them.
//!
//! Recipients must accept all three formats: IMF-fixdate
//! (`Sun, 06 Nov 1994 08:49:37 GMT`), the obsolete RFC 850 form
//! (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime (`Sun Nov  6 08:49:37
//! 1994`). Written out rather than taken from the `httpdate` crate because
//! the core's WebAssembly build is size-bound: `httpdate` in its place makes
//! the npm package's `.wasm` larger (see README, Size). A property test
//! checks this module against `httpdate`.

use std::time::{Duration, SystemTime};

use crate::wire::text::push_decimal;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];

/// Shows a time as an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`);
/// times before 1970 show as 1970-01-01.
pub(crate) struct HttpDate(pub SystemTime);

impl HttpDate {
    /// Appends the date, without `core::fmt` (see [`Error::message`](crate::Error::message)).
    pub(crate) fn push_to(&self, out: &mut String) {
        let seconds = self
            .0
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let days = seconds / 86_400;
        let mut year = 1970;
        let mut left = days;
        while left >= 365 + u64::from(is_leap(year)) {
            left -= 365 + u64::from(is_leap(year));
            year += 1;
        }
        let mut month = 1;
        while left >= days_in_month(year, month) {
            left -= days_in_month(year, month);
            month += 1;
        }
        let time = seconds % 86_400;
        let two_digits = |out: &mut String, number: u64| {
            if number < 10 {
                out.push('0');
            }
            push_decimal(out, number);
        };
        out.push_str(WEEKDAYS[(days % 7) as usize]);
        out.push_str(", ");
        two_digits(out, left + 1);
        out.push(' ');
        out.push_str(MONTHS[month as usize - 1]);
        out.push(' ');
        push_decimal(out, year);
        out.push(' ');
        two_digits(out, time / 3600);
        out.push(':');
        two_digits(out, time / 60 % 60);
        out.push(':');
        two_digits(out, time % 60);
        out.push_str(" GMT");
    }
}

/// Parses an HTTP-date in any of its three formats. The weekday is not
/// checked against the date.
pub(crate) fn parse_http_date(text: &str) -> Option<SystemTime> {
    // The fields between spaces and commas, split with a loop rather than
    // a filtered `split` (see README, Size).
    let bytes = text.as_bytes();
    let mut fields: Vec<&str> = Vec::new();
    let mut start = 0;
    let mut end = 0;
    while end <= bytes.len() {
        if end == bytes.len() || bytes[end] == b' ' || bytes[end] == b',' {
            if end > start {
                fields.push(&text[start..end]);
            }
            start = end + 1;
        }
        end += 1;
    }
    let (day, month, year, time) = match fields[..] {
        // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
        [_, day, month, year, time, "GMT"] if year.len() == 4 => (day, month, year, time),
        // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
        [_, date, time, "GMT"] => {
            let mut parts = date.split('-');
            let (day, month, year) = (parts.next()?, parts.next()?, parts.next()?);
            if parts.next().is_some() || year.len() != 2 {
                return None;
            }
            (day, month, year, time)
        }
        // asctime: Sun Nov  6 08:49:37 1994
        [_, month, day, time, year] if year.len() == 4 => (day, month, year, time),
        _ => return None,
    };
    let number = |text: &str, digits: std::ops::RangeInclusive<usize>| -> Option<u64> {
        // `parse_decimal` takes ASCII digits only.
        if !digits.contains(&text.len()) {
            return None;
        }
        crate::wire::text::parse_decimal(text)
    };
    let day = number(day, 1..=2)?;
    let month = MONTHS.iter().position(|name| *name == month)? as u64 + 1;
    let mut year = number(year, 2..=4)?;
    if year < 100 {
        // RFC 9110: a two-digit year more than 50 years ahead is in the past
        // century; without a clock, read 70-99 as 19xx and 00-69 as 20xx.
        year += if year >= 70 { 1900 } else { 2000 };
    }
    let mut clock = time.split(':');
    let (hour, minute, second) = (clock.next()?, clock.next()?, clock.next()?);
    if clock.next().is_some() {
        return None;
    }
    let (hour, minute, second) = (
        number(hour, 2..=2)?,
        number(minute, 2..=2)?,
        number(second, 2..=2)?,
    );
    if year < 1970 || day == 0 || day > days_in_month(year, month) || hour > 23 || minute > 59 {
        return None;
    }
    // A leap second reads as the next second.
    if second > 60 {
        return None;
    }
    let days = days_since_epoch(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second;
    SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(seconds))
}

fn is_leap(year: u64) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

fn days_in_month(year: u64, month: u64) -> u64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to the date (proleptic Gregorian, year >= 1970).
fn days_since_epoch(year: u64, month: u64, day: u64) -> u64 {
    let years = year - 1970;
    let leap_days = (year - 1) / 4 - (year - 1) / 100 + (year - 1) / 400 - 477;
    let mut days = years * 365 + leap_days;
    for earlier in 1..month {
        days += days_in_month(year, earlier);
    }
    days + day - 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(seconds: u64) -> Option<SystemTime> {
        Some(SystemTime::UNIX_EPOCH + Duration::from_secs(seconds))
    }

    #[test]
    fn reads_all_three_formats() {
        let expected = at(784_111_777);
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), expected);
        assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), expected);
        assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1994"), expected);
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), at(0));
        assert_eq!(
            parse_http_date("Tue, 29 Feb 2028 23:59:59 GMT"),
            at(1_835_481_599)
        );
        assert_eq!(
            parse_http_date("Wednesday, 01-Jan-25 00:00:00 GMT"),
            at(1_735_689_600)
        );
    }

    #[test]
    fn refuses_what_is_not_a_date() {
        for bad in [
            "",
            "soon",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 06 Nov 1994 08:49 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Nov 1994 08:60:00 GMT",
            "Sun, 32 Oct 1994 08:49:37 GMT",
            "Sun, 29 Feb 2100 08:49:37 GMT",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 06 Nov 94 08:49:37 GMT",
            "Sun, 06 Nov 1969 08:49:37 GMT",
            "Sun, +6 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-1994 08:49:37 GMT",
            "Sun Nov  6 08:49:37 94",
            "Sun, 06 Nov 1994 08:49:37:00 GMT",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad}");
        }
    }

    proptest! {
        #[test]
        fn agrees_with_httpdate(seconds in 0u64..253_402_300_799) {
            let time = SystemTime::UNIX_EPOCH + Duration::from_secs(seconds);
            let text = httpdate::fmt_http_date(time);
            prop_assert_eq!(parse_http_date(&text), Some(time));
        }

        #[test]
        fn writes_what_httpdate_writes(seconds in 0u64..253_402_300_799) {
            let time = SystemTime::UNIX_EPOCH + Duration::from_secs(seconds);
            let mut shown = String::new();
            HttpDate(time).push_to(&mut shown);
            prop_assert_eq!(shown, httpdate::fmt_http_date(time));
        }

        #[test]
        fn never_panics(text in "\\PC{0,40}") {
            let ours = parse_http_date(&text);
            if let Ok(theirs) = httpdate::parse_http_date(&text) {
                prop_assert_eq!(ours, Some(theirs));
            }
        }
    }
}
