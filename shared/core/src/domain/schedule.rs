//! Time windows of time-scheduled policies ("weekdays 09:00–17:00 in the device's zone"):
//! their validation, and two pure questions the compliance engine asks of them on a clock it
//! injects: is the window open at this instant, and when does that next change?
//!
//! A window's `start` and `end` are wall-clock times in a time zone; each day in `days` the
//! window opens at `start` and closes at `end` that day, or, when `end` is not after `start`
//! (`22:00`–`06:00`), at `end` the next day: an overnight window belongs to the day it opens.
//! Wall-clock times become instants with these rules, which keep a window where people expect
//! it when the clocks change:
//! - **Ordinary days**: a wall time is the one instant it names. So a 09:00–17:00 window opens at
//!   09:00 local on both sides of a daylight-saving change, and its UTC instant moves by an hour.
//! - **Spring forward** (a gap, e.g. 02:00–03:00 skipped in New York on 2026-03-08, in Berlin on
//!   2026-03-29): a start or end that falls in the gap takes effect at the first instant after it
//!   (03:00 new time). For a time at the very start of the gap (02:00) that is jiff's
//!   "compatible" disambiguation; for one later in the gap (02:30) compatible would give 03:30,
//!   which would open a window half an hour late on a day its start never occurred — the end of
//!   the gap is when the skipped start has certainly passed. A window whose start and end both
//!   fall in the gap does not open that day; an overnight window that crosses the gap is an
//!   hour shorter.
//! - **Fall back** (a fold, e.g. 01:00–02:00 repeated in New York on 2026-11-01, 02:00–03:00 in
//!   Berlin on 2026-10-25): a wall time that occurs twice opens or closes the window at its first
//!   occurrence, so the window is never open twice for the same wall time; an overnight window
//!   across the fold is an hour longer.
//!
//! Windows that touch (one ends as another starts, or an overnight window ends in a gap at the
//! instant the next one opens) are one open stretch: `next_change` reports only real flips.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::{AmbiguousOffset, TimeZone};
use serde::{Deserialize, Serialize};

use crate::error::Error;

/// How far ahead `next_change` looks. A valid window opens on some weekday and is closed for
/// part of each day it opens, so a change always comes within a week; a set of windows that
/// together never close has none.
pub const SEARCH_DAYS: i64 = 8;

const DAY_MS: i64 = 86_400_000;

/// A day of the week, as schedules spell it.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Weekday {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Weekday {
    pub fn as_str(self) -> &'static str {
        match self {
            Weekday::Mon => "mon",
            Weekday::Tue => "tue",
            Weekday::Wed => "wed",
            Weekday::Thu => "thu",
            Weekday::Fri => "fri",
            Weekday::Sat => "sat",
            Weekday::Sun => "sun",
        }
    }

    fn of(d: jiff::civil::Weekday) -> Self {
        use jiff::civil::Weekday as W;
        match d {
            W::Monday => Weekday::Mon,
            W::Tuesday => Weekday::Tue,
            W::Wednesday => Weekday::Wed,
            W::Thursday => Weekday::Thu,
            W::Friday => Weekday::Fri,
            W::Saturday => Weekday::Sat,
            W::Sunday => Weekday::Sun,
        }
    }
}

/// A weekly window in wall-clock time; see the module's documentation for what DST does to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Window {
    /// The days the window opens on, each once (an overnight window closes the next day).
    #[schemars(length(min = 1, max = 7), extend("uniqueItems" = true))]
    pub days: Vec<Weekday>,
    /// `HH:MM`, 24-hour wall clock.
    #[schemars(pattern(r"^([01][0-9]|2[0-3]):[0-5][0-9]$"))]
    pub start: String,
    /// `HH:MM`; not after `start` means the window runs overnight into the next day; equal to
    /// `start` is refused.
    #[schemars(pattern(r"^([01][0-9]|2[0-3]):[0-5][0-9]$"))]
    pub end: String,
}

/// Which time zone a schedule's wall-clock times are read in. JSON: `"tenant"`, `"device"` or an
/// IANA name such as `"Europe/Berlin"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(from = "String", into = "String")]
#[schemars(with = "String")]
pub enum TimeZoneChoice {
    /// The tenant's time zone (its settings).
    Tenant,
    /// The device's own time zone; the tenant's while the device has not reported one.
    Device,
    /// This IANA zone, whatever the tenant or device say.
    Named(String),
}

impl From<String> for TimeZoneChoice {
    fn from(s: String) -> Self {
        match s.as_str() {
            "tenant" => TimeZoneChoice::Tenant,
            "device" => TimeZoneChoice::Device,
            _ => TimeZoneChoice::Named(s),
        }
    }
}

impl From<TimeZoneChoice> for String {
    fn from(c: TimeZoneChoice) -> Self {
        match c {
            TimeZoneChoice::Tenant => "tenant".into(),
            TimeZoneChoice::Device => "device".into(),
            TimeZoneChoice::Named(name) => name,
        }
    }
}

impl TimeZoneChoice {
    /// A named zone must be one the bundled database knows; errors name `field`.
    pub fn validate_at(&self, field: &str) -> Result<(), Error> {
        match self {
            TimeZoneChoice::Named(name) => {
                if name.is_empty() || name.len() > 64 || jiff::tz::db().get(name).is_err() {
                    return Err(Error::invalid_field(
                        field,
                        "must be \"tenant\", \"device\" or an IANA time zone name",
                    ));
                }
                Ok(())
            }
            TimeZoneChoice::Tenant | TimeZoneChoice::Device => Ok(()),
        }
    }

    /// The zone to read a schedule in, given the tenant's and (if known) the device's.
    pub fn resolve(&self, tenant: &TimeZone, device: Option<&TimeZone>) -> Result<TimeZone, Error> {
        match self {
            TimeZoneChoice::Tenant => Ok(tenant.clone()),
            TimeZoneChoice::Device => Ok(device.unwrap_or(tenant).clone()),
            TimeZoneChoice::Named(name) => jiff::tz::db()
                .get(name)
                .map_err(|_| Error::invalid_field("time_zone", "not an IANA time zone name")),
        }
    }
}

/// `field` under `path` (`path` may be empty).
fn join(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_owned()
    } else {
        format!("{path}.{field}")
    }
}

/// `HH:MM` → (hour, minute); exactly two digits each, 00:00 to 23:59.
fn clock(s: &str) -> Option<(i8, i8)> {
    let b = s.as_bytes();
    if b.len() != 5 || b[2] != b':' {
        return None;
    }
    let two = |x: &[u8]| -> Option<i8> {
        x.iter()
            .all(u8::is_ascii_digit)
            .then(|| ((x[0] - b'0') * 10 + (x[1] - b'0')) as i8)
    };
    let (h, m) = (two(&b[..2])?, two(&b[3..])?);
    (h < 24 && m < 60).then_some((h, m))
}

impl Window {
    /// Checks the window; errors name the field under `path` (`""` for a bare window), e.g.
    /// `windows[1].start`.
    pub fn validate_at(&self, path: &str) -> Result<(), Error> {
        if self.days.is_empty() {
            return Err(Error::invalid_field(
                &join(path, "days"),
                "must name at least one day",
            ));
        }
        let mut seen = std::collections::HashSet::new();
        if let Some(twice) = self.days.iter().find(|d| !seen.insert(**d)) {
            return Err(Error::invalid_field(
                &join(path, "days"),
                format!("names {} twice", twice.as_str()),
            ));
        }
        let Some(start) = clock(&self.start) else {
            return Err(Error::invalid_field(
                &join(path, "start"),
                "must be a time HH:MM from 00:00 to 23:59",
            ));
        };
        let Some(end) = clock(&self.end) else {
            return Err(Error::invalid_field(
                &join(path, "end"),
                "must be a time HH:MM from 00:00 to 23:59",
            ));
        };
        if start == end {
            return Err(Error::invalid_field(
                &join(path, "end"),
                "must differ from start (an end before start runs overnight)",
            ));
        }
        Ok(())
    }

    pub fn validate(&self) -> Result<(), Error> {
        self.validate_at("")
    }

    /// Whether the window is open at `at_ms` (Unix milliseconds) in `tz`. A window that does not
    /// validate is never open.
    pub fn is_open(&self, at_ms: i64, tz: &TimeZone) -> bool {
        is_open_any(std::slice::from_ref(self), at_ms, tz)
    }

    /// The first instant after `at_ms` at which `is_open` flips, if one comes within
    /// `SEARCH_DAYS` days.
    pub fn next_change(&self, at_ms: i64, tz: &TimeZone) -> Option<i64> {
        next_change_any(std::slice::from_ref(self), at_ms, tz)
    }

    /// The window's occurrences that open on local dates `first..=last`, as `[open, close)` in
    /// Unix milliseconds; empty ones (both ends in one DST gap) are left out.
    fn occurrences(&self, tz: &TimeZone, first: Date, last: Date) -> Vec<(i64, i64)> {
        let (Some(start), Some(end)) = (clock(&self.start), clock(&self.end)) else {
            return Vec::new();
        };
        if start == end {
            return Vec::new();
        }
        let mut out = Vec::new();
        let mut day = first;
        while day <= last {
            if self.days.contains(&Weekday::of(day.weekday())) {
                let end_day = if end < start {
                    day.tomorrow().ok()
                } else {
                    Some(day)
                };
                let open = instant(tz, day, start);
                let close = end_day.and_then(|d| instant(tz, d, end));
                if let (Some(open), Some(close)) = (open, close)
                    && open < close
                {
                    out.push((open, close));
                }
            }
            match day.tomorrow() {
                Ok(next) => day = next,
                Err(_) => break,
            }
        }
        out
    }
}

/// The instant (Unix ms) a wall-clock time on `date` names in `tz`, by the module's rules: in a
/// gap, the first instant after it; in a fold, the first occurrence.
fn instant(tz: &TimeZone, date: Date, (hour, minute): (i8, i8)) -> Option<i64> {
    let dt = date.at(hour, minute, 0, 0);
    let ts = match tz.to_ambiguous_timestamp(dt).offset() {
        AmbiguousOffset::Unambiguous { offset } | AmbiguousOffset::Fold { before: offset, .. } => {
            offset.to_timestamp(dt).ok()?
        }
        AmbiguousOffset::Gap { after, .. } => {
            // Read with the later offset, a time in the gap lands before the transition (the
            // gap is as long as the offsets differ), so the next transition is the gap's end.
            let before_gap = after.to_timestamp(dt).ok()?;
            tz.following(before_gap).next()?.timestamp()
        }
    };
    Some(ts.as_millisecond())
}

/// The windows' occurrences opening on local dates `first..=last`, merged where they overlap or
/// touch, in time order.
fn stretches(windows: &[Window], tz: &TimeZone, first: Date, last: Date) -> Vec<(i64, i64)> {
    let mut all: Vec<(i64, i64)> = windows
        .iter()
        .flat_map(|w| w.occurrences(tz, first, last))
        .collect();
    all.sort_unstable();
    let mut merged: Vec<(i64, i64)> = Vec::with_capacity(all.len());
    for (open, close) in all {
        match merged.last_mut() {
            Some(last) if open <= last.1 => last.1 = last.1.max(close),
            _ => merged.push((open, close)),
        }
    }
    merged
}

/// The local date of `at_ms` in `tz`, shifted by `days`.
fn local_date(at_ms: i64, tz: &TimeZone, days: i64) -> Option<Date> {
    let date = tz
        .to_datetime(Timestamp::from_millisecond(at_ms).ok()?)
        .date();
    date.checked_add(jiff::Span::new().days(days)).ok()
}

/// Whether any of the windows is open at `at_ms` in `tz` (a schedule of several windows).
pub fn is_open_any(windows: &[Window], at_ms: i64, tz: &TimeZone) -> bool {
    // An overnight occurrence open now opened yesterday (two days back covers a DST shift).
    let (Some(first), Some(last)) = (local_date(at_ms, tz, -2), local_date(at_ms, tz, 0)) else {
        return false;
    };
    stretches(windows, tz, first, last)
        .iter()
        .any(|&(open, close)| open <= at_ms && at_ms < close)
}

/// The first instant after `at_ms` at which `is_open_any` flips, if one comes within
/// `SEARCH_DAYS` days.
pub fn next_change_any(windows: &[Window], at_ms: i64, tz: &TimeZone) -> Option<i64> {
    let first = local_date(at_ms, tz, -2)?;
    // One day past the horizon: an occurrence opening then may still start before it when the
    // clocks fall back in between.
    let last = local_date(at_ms, tz, SEARCH_DAYS + 1)?;
    let horizon = at_ms.checked_add(SEARCH_DAYS * DAY_MS)?;
    let change = stretches(windows, tz, first, last)
        .into_iter()
        .find_map(|(open, close)| {
            if open > at_ms {
                Some(open)
            } else if at_ms < close {
                Some(close)
            } else {
                None
            }
        })?;
    (change <= horizon).then_some(change)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(rfc3339: &str) -> i64 {
        rfc3339
            .parse::<Timestamp>()
            .expect("timestamp")
            .as_millisecond()
    }

    fn tz(name: &str) -> TimeZone {
        jiff::tz::db().get(name).expect("zone")
    }

    fn window(days: &[Weekday], start: &str, end: &str) -> Window {
        Window {
            days: days.to_vec(),
            start: start.into(),
            end: end.into(),
        }
    }

    const EVERY_DAY: [Weekday; 7] = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ];

    fn field_of(e: Error) -> String {
        match e {
            Error::InvalidField { field, .. } => field,
            other => panic!("expected invalid_field, got {other:?}"),
        }
    }

    #[test]
    fn a_nine_to_five_window_opens_at_nine_local_on_both_sides_of_each_2026_dst_change() {
        let w = window(&EVERY_DAY, "09:00", "17:00");
        let ny = tz("America/New_York");
        let berlin = tz("Europe/Berlin");
        for (zone, before, after) in [
            // US spring forward 2026-03-08: EST (-5) before, EDT (-4) after.
            (&ny, "2026-03-06T14:00:00Z", "2026-03-09T13:00:00Z"),
            // US fall back 2026-11-01: EDT before, EST after.
            (&ny, "2026-10-30T13:00:00Z", "2026-11-02T14:00:00Z"),
            // EU spring forward 2026-03-29: CET (+1) before, CEST (+2) after.
            (&berlin, "2026-03-27T08:00:00Z", "2026-03-30T07:00:00Z"),
            // EU fall back 2026-10-25: CEST before, CET after.
            (&berlin, "2026-10-23T07:00:00Z", "2026-10-26T08:00:00Z"),
        ] {
            for nine in [ms(before), ms(after)] {
                assert!(!w.is_open(nine - 1, zone), "{before} / {after}");
                assert!(w.is_open(nine, zone), "{before} / {after}");
                assert_eq!(w.next_change(nine - 3_600_000, zone), Some(nine));
                assert_eq!(w.next_change(nine, zone), Some(nine + 8 * 3_600_000));
            }
        }
    }

    #[test]
    fn a_start_inside_the_spring_forward_gap_opens_at_the_first_instant_after_the_gap() {
        // New York skips 02:00-03:00 on 2026-03-08 (03:00 EDT is 07:00Z).
        let ny = tz("America/New_York");
        let w = window(&[Weekday::Sun], "02:30", "04:00");
        assert_eq!(
            w.next_change(ms("2026-03-08T05:00:00Z"), &ny),
            Some(ms("2026-03-08T07:00:00Z"))
        );
        assert!(!w.is_open(ms("2026-03-08T06:59:59Z"), &ny));
        assert!(w.is_open(ms("2026-03-08T07:00:00Z"), &ny));
        assert_eq!(
            w.next_change(ms("2026-03-08T07:00:00Z"), &ny),
            Some(ms("2026-03-08T08:00:00Z"))
        );
        // Berlin skips 02:00-03:00 on 2026-03-29 (03:00 CEST is 01:00Z).
        let berlin = tz("Europe/Berlin");
        assert_eq!(
            w.next_change(ms("2026-03-28T23:00:00Z"), &berlin),
            Some(ms("2026-03-29T01:00:00Z"))
        );
        // A week later 02:30 exists again: 02:30 CEST is 00:30Z.
        assert_eq!(
            w.next_change(ms("2026-04-04T23:00:00Z"), &berlin),
            Some(ms("2026-04-05T00:30:00Z"))
        );
    }

    #[test]
    fn a_window_wholly_inside_the_gap_does_not_open_that_day() {
        let ny = tz("America/New_York");
        let w = window(&[Weekday::Sun], "02:10", "02:40");
        assert!(!w.is_open(ms("2026-03-08T07:00:00Z"), &ny));
        // Next Sunday, 02:10 EDT.
        assert_eq!(
            w.next_change(ms("2026-03-08T05:00:00Z"), &ny),
            Some(ms("2026-03-15T06:10:00Z"))
        );
    }

    #[test]
    fn a_wall_time_repeated_by_the_fall_back_opens_and_closes_at_its_first_occurrence() {
        // New York repeats 01:00-02:00 on 2026-11-01: first in EDT (05:00Z-06:00Z), again in EST.
        let ny = tz("America/New_York");
        let w = window(&[Weekday::Sun], "01:30", "01:45");
        assert_eq!(
            w.next_change(ms("2026-11-01T04:00:00Z"), &ny),
            Some(ms("2026-11-01T05:30:00Z"))
        );
        assert!(w.is_open(ms("2026-11-01T05:40:00Z"), &ny));
        assert_eq!(
            w.next_change(ms("2026-11-01T05:40:00Z"), &ny),
            Some(ms("2026-11-01T05:45:00Z"))
        );
        // The second 01:30-01:45 (EST) does not reopen it: the next opening is a week later.
        assert!(!w.is_open(ms("2026-11-01T06:35:00Z"), &ny));
        assert_eq!(
            w.next_change(ms("2026-11-01T05:50:00Z"), &ny),
            Some(ms("2026-11-08T06:30:00Z"))
        );
        // Berlin repeats 02:00-03:00 on 2026-10-25: the first 02:30 is CEST, 00:30Z.
        let berlin = tz("Europe/Berlin");
        let w = window(&[Weekday::Sun], "02:30", "08:00");
        assert_eq!(
            w.next_change(ms("2026-10-24T22:00:00Z"), &berlin),
            Some(ms("2026-10-25T00:30:00Z"))
        );
        assert_eq!(
            w.next_change(ms("2026-10-25T00:30:00Z"), &berlin),
            Some(ms("2026-10-25T07:00:00Z"))
        );
    }

    #[test]
    fn an_overnight_window_runs_past_midnight_and_belongs_to_the_day_it_opens() {
        let berlin = tz("Europe/Berlin");
        // Friday 22:00 to Saturday 06:00, in a week without a change (CEST, +2).
        let w = window(&[Weekday::Fri], "22:00", "06:00");
        assert!(!w.is_open(ms("2026-06-05T19:59:00Z"), &berlin));
        assert!(w.is_open(ms("2026-06-05T20:00:00Z"), &berlin));
        assert!(w.is_open(ms("2026-06-06T03:59:00Z"), &berlin));
        assert!(!w.is_open(ms("2026-06-06T04:00:00Z"), &berlin));
        // Saturday night is not Friday night.
        assert!(!w.is_open(ms("2026-06-06T21:00:00Z"), &berlin));
        assert_eq!(
            w.next_change(ms("2026-06-06T04:00:00Z"), &berlin),
            Some(ms("2026-06-12T20:00:00Z"))
        );
    }

    #[test]
    fn an_overnight_window_across_a_dst_change_keeps_its_wall_times() {
        let w = window(&[Weekday::Sat], "22:00", "06:00");
        for (zone, opens, closes) in [
            // Spring forward: an hour shorter (22:00 EST to 06:00 EDT).
            (
                "America/New_York",
                "2026-03-08T03:00:00Z",
                "2026-03-08T10:00:00Z",
            ),
            // Fall back: an hour longer (22:00 EDT to 06:00 EST).
            (
                "America/New_York",
                "2026-11-01T02:00:00Z",
                "2026-11-01T11:00:00Z",
            ),
            (
                "Europe/Berlin",
                "2026-03-28T21:00:00Z",
                "2026-03-29T04:00:00Z",
            ),
            (
                "Europe/Berlin",
                "2026-10-24T20:00:00Z",
                "2026-10-25T05:00:00Z",
            ),
        ] {
            let zone = tz(zone);
            let (opens, closes) = (ms(opens), ms(closes));
            assert_eq!(w.next_change(opens - 60_000, &zone), Some(opens));
            assert_eq!(w.next_change(opens, &zone), Some(closes));
            assert!(w.is_open(closes - 1, &zone));
            assert!(!w.is_open(closes, &zone));
        }
    }

    #[test]
    fn an_overnight_window_ending_inside_the_gap_closes_when_the_gap_ends() {
        let ny = tz("America/New_York");
        let w = window(&[Weekday::Sat], "23:00", "02:30");
        assert!(w.is_open(ms("2026-03-08T06:59:00Z"), &ny));
        assert_eq!(
            w.next_change(ms("2026-03-08T06:00:00Z"), &ny),
            Some(ms("2026-03-08T07:00:00Z"))
        );
    }

    #[test]
    fn windows_that_touch_are_one_stretch_and_ones_that_never_close_have_no_next_change() {
        let utc = TimeZone::UTC;
        let morning = window(&[Weekday::Mon], "08:00", "12:00");
        let afternoon = window(&[Weekday::Mon], "12:00", "18:00");
        let both = [morning, afternoon];
        assert_eq!(
            next_change_any(&both, ms("2026-06-01T09:00:00Z"), &utc),
            Some(ms("2026-06-01T18:00:00Z"))
        );
        assert!(is_open_any(&both, ms("2026-06-01T12:00:00Z"), &utc));
        let always = [
            window(&EVERY_DAY, "00:00", "12:00"),
            window(&EVERY_DAY, "12:00", "00:00"),
        ];
        assert!(is_open_any(&always, ms("2026-06-01T09:00:00Z"), &utc));
        assert_eq!(
            next_change_any(&always, ms("2026-06-01T09:00:00Z"), &utc),
            None
        );
    }

    #[test]
    fn a_weekly_window_opens_again_seven_days_on_and_one_without_days_never_opens() {
        let utc = TimeZone::UTC;
        let w = window(&[Weekday::Mon], "08:00", "09:00");
        // From Monday 09:00 the next opening is seven days on: found.
        assert_eq!(
            w.next_change(ms("2026-06-01T09:00:00Z"), &utc),
            Some(ms("2026-06-08T08:00:00Z"))
        );
        let none = window(&[], "08:00", "09:00");
        assert_eq!(none.next_change(ms("2026-06-01T09:00:00Z"), &utc), None);
    }

    #[test]
    fn bad_windows_name_their_field() {
        use Weekday::*;
        for (w, field) in [
            (window(&[], "09:00", "17:00"), "days"),
            (window(&[Mon, Tue, Mon], "09:00", "17:00"), "days"),
            (window(&[Mon], "9:00", "17:00"), "start"),
            (window(&[Mon], "09:60", "17:00"), "start"),
            (window(&[Mon], "09:00", "24:00"), "end"),
            (window(&[Mon], "09:00", "1700"), "end"),
            (window(&[Mon], "09:00", "09:00"), "end"),
        ] {
            assert_eq!(field_of(w.validate().unwrap_err()), field, "{w:?}");
        }
        let e = window(&[Mon], "09:00", "09:00")
            .validate_at("schedule.windows[2]")
            .unwrap_err();
        assert_eq!(field_of(e), "schedule.windows[2].end");
        assert!(window(&[Mon, Fri], "22:00", "06:00").validate().is_ok());
        let parsed: Result<Window, _> = serde_json::from_str(
            r#"{"days": ["mon", "funday"], "start": "09:00", "end": "17:00"}"#,
        );
        assert!(parsed.is_err());
    }

    #[test]
    fn a_time_zone_choice_is_the_tenants_the_devices_or_a_known_iana_name() {
        let parse = |s: &str| -> TimeZoneChoice {
            serde_json::from_value(serde_json::json!(s)).expect("choice")
        };
        assert_eq!(parse("tenant"), TimeZoneChoice::Tenant);
        assert_eq!(parse("device"), TimeZoneChoice::Device);
        assert_eq!(
            parse("Europe/Berlin"),
            TimeZoneChoice::Named("Europe/Berlin".into())
        );
        assert_eq!(
            serde_json::to_value(TimeZoneChoice::Device).expect("json"),
            serde_json::json!("device")
        );
        assert!(parse("Europe/Berlin").validate_at("time_zone").is_ok());
        for bad in ["Mars/Olympus_Mons", "", "Tenant"] {
            let e = parse(bad).validate_at("schedule.time_zone").unwrap_err();
            assert_eq!(field_of(e), "schedule.time_zone", "{bad:?}");
        }
        let (paris, ny) = (tz("Europe/Paris"), tz("America/New_York"));
        let named = |c: TimeZoneChoice, device: Option<&TimeZone>| {
            c.resolve(&paris, device)
                .expect("zone")
                .iana_name()
                .map(str::to_owned)
        };
        assert_eq!(
            named(TimeZoneChoice::Tenant, Some(&ny)).as_deref(),
            Some("Europe/Paris")
        );
        assert_eq!(
            named(TimeZoneChoice::Device, Some(&ny)).as_deref(),
            Some("America/New_York")
        );
        assert_eq!(
            named(TimeZoneChoice::Device, None).as_deref(),
            Some("Europe/Paris")
        );
        assert_eq!(
            named(parse("Europe/Berlin"), None).as_deref(),
            Some("Europe/Berlin")
        );
    }
}
