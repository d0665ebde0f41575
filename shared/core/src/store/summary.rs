//! The compact text form of `ComplianceSummary` on a device's hot item: every check-in pays for
//! the item's bytes and an idle one must stay one write unit (≤ 1 KB) with the largest item a
//! device really has, so the summary is one dot-separated string of base-36 numbers, ~20 to 40
//! bytes, instead of a JSON map of ~150.
//!
//! `<os hash>.<due>.<failing mask>.<next action>.<next at>.<cap month>.<cap mark>.<flags>`:
//! times in seconds, absent parts empty and trailing empty ones left out; `next at` empty when
//! it equals `due` (the usual case); cap month empty for none yet, cap mark `x` for "only a new
//! month"; flags `g` when a geofence rule applies. A compliant device without a data cap or a
//! geofence rule has `<os hash>.<due>`: 12 bytes.

use super::records::ComplianceSummary;
use crate::domain::compliance::{Action, RuleKind};
use crate::domain::time::ms_from_secs;

/// A 24-bit hash of an OS version (five base-36 digits at most): a check-in compares the one
/// it reports with the one evaluated; a collision (1 in 16 million) delays an evaluation to the
/// next deadline or inventory report.
pub fn os_hash(version: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in version.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    (h >> 24) ^ (h & 0x00ff_ffff)
}

/// A reported month ("YYYY-MM") as a number (months since year 0, plus one; 0 means none).
pub fn month_index(period: &str) -> u32 {
    let year = period.get(..4).and_then(|y| y.parse::<u32>().ok());
    let month = period.get(5..7).and_then(|m| m.parse::<u32>().ok());
    match (year, month) {
        (Some(y), Some(m)) if (1..=12).contains(&m) => y * 12 + m,
        _ => 0,
    }
}

fn b36(mut n: u64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    if n == 0 {
        return "0".into();
    }
    let mut out = Vec::new();
    while n > 0 {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

fn from_b36(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 13 {
        return None;
    }
    u64::from_str_radix(s, 36).ok()
}

/// Milliseconds to whole seconds, rounded up (a deadline is never moved earlier).
fn secs_up(ms: i64) -> u64 {
    u64::try_from(ms.max(0)).unwrap_or(0).div_ceil(1000)
}

fn opt(s: &str) -> Result<Option<u64>, String> {
    if s.is_empty() {
        Ok(None)
    } else {
        from_b36(s)
            .map(Some)
            .ok_or_else(|| format!("bad number {s:?}"))
    }
}

impl ComplianceSummary {
    /// The summary as the device item will hold it (times to the second), so comparing it with
    /// what the item holds tells a real change from rounding.
    pub fn as_stored(self) -> Self {
        ComplianceSummary::try_from(String::from(self.clone())).unwrap_or(self)
    }
}

impl From<ComplianceSummary> for String {
    fn from(c: ComplianceSummary) -> String {
        let due = c.due.map(secs_up);
        let mask = c
            .fail
            .iter()
            .filter_map(|r| RuleKind::ALL.iter().position(|k| k == r))
            .fold(0u64, |m, i| m | (1 << i));
        let (next_at, next_action) = match c.next {
            Some((at, action)) => {
                let at = secs_up(at);
                let index = Action::ALL.iter().position(|a| *a == action).unwrap_or(0);
                (
                    if Some(at) == due {
                        String::new()
                    } else {
                        b36(at)
                    },
                    index.to_string(),
                )
            }
            None => (String::new(), String::new()),
        };
        let month = |m: u32| {
            if m == 0 {
                String::new()
            } else {
                b36(u64::from(m))
            }
        };
        let (month, mark) = match c.cap {
            Some((m, u64::MAX)) => (month(m), "x".to_owned()),
            Some((m, mark)) => (month(m), b36(mark)),
            None => (String::new(), String::new()),
        };
        let parts = [
            b36(u64::from(c.os)),
            due.map(b36).unwrap_or_default(),
            if mask == 0 { String::new() } else { b36(mask) },
            next_action,
            next_at,
            month,
            mark,
            if c.geo { "g".into() } else { String::new() },
        ];
        let used = parts
            .iter()
            .rposition(|p| !p.is_empty())
            .map_or(1, |i| i + 1);
        parts[..used].join(".")
    }
}

impl TryFrom<String> for ComplianceSummary {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        let mut parts: Vec<&str> = s.split('.').collect();
        if s.is_empty() || parts.len() > 8 || parts.last() == Some(&"") {
            return Err(format!("not a compliance summary: {} parts", parts.len()));
        }
        parts.resize(8, "");
        let [os, due, mask, next_action, next_at, month, mark, flags] = parts[..] else {
            return Err("not a compliance summary".into());
        };
        if !matches!(flags, "" | "g") {
            return Err(format!("bad flags {flags:?}"));
        }
        let os = u32::try_from(opt(os)?.unwrap_or(0)).map_err(|e| e.to_string())?;
        let due = opt(due)?.map(|d| ms_from_secs(d as i64));
        let mask = opt(mask)?.unwrap_or(0);
        let fail = RuleKind::ALL
            .iter()
            .enumerate()
            .filter(|(i, _)| mask & (1 << i) != 0)
            .map(|(_, k)| *k)
            .collect();
        let next = match next_action {
            "" if !next_at.is_empty() => return Err("a next step's time without its action".into()),
            "" => None,
            a => {
                let action = a
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| Action::ALL.get(i).copied())
                    .ok_or_else(|| format!("bad action {a:?}"))?;
                let at = match opt(next_at)? {
                    Some(at) => ms_from_secs(at as i64),
                    None => due.ok_or("a next step without a time")?,
                };
                Some((at, action))
            }
        };
        let cap = match (month, mark) {
            ("", "") => None,
            (m, "x") => Some((opt(m)?.unwrap_or(0) as u32, u64::MAX)),
            (m, k) => Some((opt(m)?.unwrap_or(0) as u32, opt(k)?.unwrap_or(0))),
        };
        Ok(ComplianceSummary {
            os,
            geo: flags == "g",
            cap,
            due,
            fail,
            next,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_summary_reads_back_as_it_was_written_to_the_second() {
        let full = ComplianceSummary {
            os: os_hash("13.7.1"),
            geo: true,
            cap: Some((month_index("2026-12"), 9_536)),
            due: Some(1_796_250_897_001),
            fail: vec![RuleKind::MinOsVersion, RuleKind::DataUsageCap],
            next: Some((1_796_250_897_001, Action::BlockCorporateAccess)),
        };
        let text = String::from(full.clone());
        assert!(text.len() <= 40, "{text} is {} bytes", text.len());
        let back = ComplianceSummary::try_from(text).unwrap();
        assert_eq!(
            back.due,
            Some(1_796_250_898_000),
            "rounded up to the second"
        );
        assert_eq!(
            back.next,
            Some((1_796_250_898_000, Action::BlockCorporateAccess))
        );
        assert_eq!(
            (back.os, back.geo, &back.fail, back.cap),
            (full.os, true, &full.fail, full.cap)
        );

        let other_step = ComplianceSummary {
            next: Some((1_796_900_000_000, Action::Wipe)),
            cap: Some((0, u64::MAX)),
            ..full
        };
        let back = ComplianceSummary::try_from(String::from(other_step.clone())).unwrap();
        assert_eq!(back.next, other_step.next);
        assert_eq!(back.cap, Some((0, u64::MAX)));

        let idle = ComplianceSummary {
            os: os_hash("15"),
            due: Some(1_796_250_897_000),
            ..ComplianceSummary::default()
        };
        assert!(
            String::from(idle.clone()).len() <= 12,
            "{}",
            String::from(idle.clone())
        );
        assert_eq!(
            ComplianceSummary::try_from(String::from(idle.clone())).unwrap(),
            idle
        );
    }

    #[test]
    fn a_garbled_summary_is_refused() {
        for bad in [
            "",
            "1.",
            "zzzzzzzzzzzzzz",
            "1.2.3.4.5.6.7.8.9",
            "1...x",
            "1.......q",
        ] {
            assert!(
                ComplianceSummary::try_from(bad.to_owned()).is_err(),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn months_count_up_across_years() {
        assert_eq!(month_index("2027-01"), month_index("2026-12") + 1);
        assert_eq!(month_index("nonsense"), 0);
    }
}
