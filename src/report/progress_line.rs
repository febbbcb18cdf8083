//! The words after the progress bar: ETA from the pace measured over the last half minute,
//! rows not imported, 429s and retries when there are any, the daily budget left, and rows
//! done per location when there are several.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

/// How far back the pace is measured: long enough to smooth bursts (bulk calls release rows
/// in batches), short enough to follow a change of pace (a 429 pause, a slower location).
const PACE_WINDOW: Duration = Duration::from_secs(30);
/// Locations counted one by one; more are only counted.
const MAX_LOCATIONS: usize = 1000;
/// Locations named on the line.
const SHOWN_LOCATIONS: usize = 3;

#[derive(Debug, Default)]
pub struct ProgressLine {
    pub problems: u64,
    pub throttled: u64,
    pub retries: u64,
    locations: BTreeMap<String, u64>,
    more_locations: bool,
    samples: VecDeque<(Instant, u64)>,
}

impl ProgressLine {
    pub fn row(&mut self, location: Option<&str>) {
        let Some(loc) = location else { return };
        if let Some(n) = self.locations.get_mut(loc) {
            *n += 1;
        } else if self.locations.len() < MAX_LOCATIONS {
            self.locations.insert(loc.to_owned(), 1);
        } else {
            self.more_locations = true;
        }
    }

    /// Notes that `done` rows were reported by `now`.
    pub fn sample(&mut self, now: Instant, done: u64) {
        if self
            .samples
            .back()
            .is_none_or(|(t, _)| now.duration_since(*t) >= Duration::from_millis(500))
        {
            self.samples.push_back((now, done));
        }
        while self.samples.len() > 2
            && self
                .samples
                .get(1)
                .is_some_and(|(t, _)| now.duration_since(*t) >= PACE_WINDOW)
        {
            self.samples.pop_front();
        }
    }

    /// Rows per second over the window, once there is a second of it.
    pub fn pace(&self, now: Instant, done: u64) -> Option<f64> {
        let (t0, d0) = *self.samples.front()?;
        let secs = now.duration_since(t0).as_secs_f64();
        (secs >= 1.0).then(|| done.saturating_sub(d0) as f64 / secs)
    }

    pub fn eta(&self, now: Instant, done: u64, total: u64) -> Option<Duration> {
        let pace = self.pace(now, done)?;
        let left = total.saturating_sub(done);
        if left == 0 {
            return Some(Duration::ZERO);
        }
        (pace > 0.0).then(|| Duration::from_secs_f64((left as f64 / pace).min(1e7)))
    }

    /// `daily_left`: the location with the fewest requests left today, and how many.
    pub fn render(
        &self,
        now: Instant,
        done: u64,
        total: Option<u64>,
        daily_left: Option<(&str, u64)>,
    ) -> String {
        let mut parts = Vec::new();
        if let Some(total) = total {
            parts.push(match self.eta(now, done, total) {
                Some(d) => format!("ETA {}", short(d)),
                None => "ETA …".to_owned(),
            });
        }
        if self.problems > 0 {
            parts.push(format!("{} not imported", self.problems));
        }
        if self.throttled > 0 {
            parts.push(format!("{} × 429", self.throttled));
        }
        if self.retries > 0 {
            parts.push(format!("{} retries", self.retries));
        }
        if let Some((loc, left)) = daily_left {
            if self.locations.len() > 1 {
                parts.push(format!("{left} requests left today ({loc})"));
            } else {
                parts.push(format!("{left} requests left today"));
            }
        }
        if self.locations.len() > 1 {
            let mut locs: Vec<_> = self.locations.iter().collect();
            locs.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
            let mut s = locs
                .iter()
                .take(SHOWN_LOCATIONS)
                .map(|(l, n)| format!("{l} {n}"))
                .collect::<Vec<_>>()
                .join(", ");
            let rest = locs.len().saturating_sub(SHOWN_LOCATIONS);
            if rest > 0 || self.more_locations {
                s.push_str(&format!(
                    " +{}{} locations",
                    rest,
                    if self.more_locations { "+" } else { "" }
                ));
            }
            parts.push(s);
        }
        parts.join(" · ")
    }
}

/// `45s`, `12m05s`, `3h20m`.
fn short(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_eta_follows_the_pace_of_the_last_half_minute() {
        let t0 = Instant::now();
        let mut p = ProgressLine::default();
        // 100 rows/s for a minute, then 10 rows/s for a minute.
        let mut done = 0;
        for s in 0..=120u64 {
            p.sample(t0 + Duration::from_secs(s), done);
            done += if s < 60 { 100 } else { 10 };
        }
        let now = t0 + Duration::from_secs(120);
        let done = 6000 + 600;
        let pace = p.pace(now, done).unwrap();
        assert!((pace - 10.0).abs() < 1.0, "{pace}");
        let eta = p.eta(now, done, done + 1000).unwrap();
        assert!((95..=105).contains(&eta.as_secs()), "{eta:?}");
        assert_eq!(p.eta(now, done, done), Some(Duration::ZERO));
        // No pace yet in the first second: no guess.
        let q = ProgressLine::default();
        assert_eq!(q.eta(t0, 0, 10), None);
    }

    #[test]
    fn the_line_names_429s_retries_budget_and_locations_only_when_there_are_any() {
        let now = Instant::now();
        let mut p = ProgressLine::default();
        p.row(Some("loc-a"));
        assert_eq!(p.render(now, 1, None, None), "");
        p.problems = 2;
        p.throttled = 3;
        p.retries = 4;
        for l in ["loc-a", "loc-b", "loc-b", "loc-c", "loc-d"] {
            p.row(Some(l));
        }
        assert_eq!(
            p.render(now, 6, Some(10), Some(("loc-b", 199_000))),
            "ETA … · 2 not imported · 3 × 429 · 4 retries · 199000 requests left today (loc-b) · loc-a 2, loc-b 2, loc-c 1 +1 locations"
        );
    }
}
