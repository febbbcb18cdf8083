//! The quota as a user writes it (`100/10s`) and the spacing that keeps it.
//!
//! HighLevel does not say whether its 10 s window is fixed or sliding, so pacing must hold
//! for ANY window. Requests are spaced `(per + slack) / max` apart, and a lane never sends
//! more than `max` requests within `per + slack` (see `lane.rs`), so no window of length
//! `per` ever sees more than `max`, even when the network delays one request and not the
//! next by up to `slack`.

use std::num::NonZeroU32;
use std::str::FromStr;
use std::time::Duration;

/// `N` requests per `per`, e.g. `100/10s`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub max: NonZeroU32,
    pub per: Duration,
}

impl RateLimit {
    /// HighLevel's documented burst limit.
    pub const HIGHLEVEL: RateLimit = RateLimit {
        max: NonZeroU32::new(100).unwrap(),
        per: Duration::from_secs(10),
    };

    /// Allowance for send-time jitter between two requests: 1% of the window, at least
    /// 10 ms (a loaded machine delays a wake-up by a few ms).
    pub fn slack(&self) -> Duration {
        (self.per / 100).max(Duration::from_millis(10))
    }

    /// The even spacing between two requests that keeps every window within `max`.
    pub fn spacing(&self) -> Duration {
        (self.per + self.slack()) / self.max.get()
    }
}

impl std::fmt::Display for RateLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.max, format_duration(self.per))
    }
}

/// Spells a duration the way `parse_duration` reads it.
pub fn format_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms.is_multiple_of(60_000) && ms > 0 {
        format!("{}m", ms / 60_000)
    } else if ms.is_multiple_of(1000) && ms > 0 {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

/// Reads `250ms`, `10s`, `1m`, `1h`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("'{s}' is not a duration like 250ms, 10s or 1m"))?;
    let d = match unit.trim() {
        "ms" => Duration::from_millis(n),
        "s" | "" => Duration::from_secs(n),
        "m" => Duration::from_secs(n * 60),
        "h" => Duration::from_secs(n * 3600),
        _ => return Err(format!("'{s}' has an unknown unit (use ms, s, m or h)")),
    };
    if d.is_zero() {
        return Err(format!("'{s}' must be longer than zero"));
    }
    Ok(d)
}

impl FromStr for RateLimit {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (n, per) = s
            .split_once('/')
            .ok_or_else(|| format!("'{s}' is not a rate like 100/10s"))?;
        let max: u32 = n
            .trim()
            .parse()
            .map_err(|_| format!("'{n}' in '{s}' is not a whole number"))?;
        let max =
            NonZeroU32::new(max).ok_or_else(|| format!("'{s}': the count must be above zero"))?;
        Ok(RateLimit {
            max,
            per: parse_duration(per)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rates_and_durations() {
        let r: RateLimit = "100/10s".parse().unwrap();
        assert_eq!((r.max.get(), r.per), (100, Duration::from_secs(10)));
        let r: RateLimit = "20/200ms".parse().unwrap();
        assert_eq!((r.max.get(), r.per), (20, Duration::from_millis(200)));
        assert_eq!(
            "6000/1m".parse::<RateLimit>().unwrap().per,
            Duration::from_secs(60)
        );
        for bad in ["", "100", "0/10s", "x/10s", "10/0s", "10/5y", "-1/1s"] {
            assert!(bad.parse::<RateLimit>().is_err(), "{bad}");
        }
        assert_eq!(r.to_string(), "20/200ms");
        assert_eq!(RateLimit::HIGHLEVEL.to_string(), "100/10s");
    }

    #[test]
    fn spacing_keeps_any_window_within_the_limit() {
        for r in ["100/10s", "20/200ms", "25/10s", "50/1s"] {
            let r: RateLimit = r.parse().unwrap();
            // max+1 evenly spaced decisions must span more than the window plus slack.
            assert!(r.spacing() * r.max.get() >= r.per + r.slack(), "{r}");
        }
    }
}
