//! Requests per second per location over the run, against the quota the lane paced at, and
//! each location's daily budget as the server last told it. The HTML report draws the chart
//! from it, `--summary-json` carries it, the progress bar shows the budget.

use std::sync::Mutex;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::fast_map::FastMap;
use super::limiter::RateLimit;

/// Points kept per location in a snapshot: a long run's seconds are summed into wider
/// buckets so the summary and the chart stay small whatever the run's length.
pub const MAX_POINTS: usize = 600;

#[derive(Debug)]
pub struct Series {
    started: Mutex<Instant>,
    locations: Mutex<FastMap<String, Track>>,
}

#[derive(Debug, Default)]
struct Track {
    /// Requests sent in each second since the start.
    per_second: Vec<u32>,
    quota_per_sec: f64,
    daily_limit: Option<u64>,
    daily_remaining: Option<u64>,
    /// Requests sent since `daily_remaining` was read.
    since_daily: u64,
}

impl Default for Series {
    fn default() -> Self {
        Series {
            started: Mutex::new(Instant::now()),
            locations: Mutex::default(),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A location's requests over the run, `bucket_secs` seconds a point.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LocationSeries {
    pub location: String,
    /// The pace the run kept to (the server's, when it announced a lower one).
    pub quota_per_sec: f64,
    pub bucket_secs: u64,
    /// Requests sent in each bucket, from the start of the run.
    pub requests: Vec<u64>,
    pub requests_total: u64,
    pub peak_per_sec: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub daily_limit: Option<u64>,
    /// What the server last said is left today, less what was sent since.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub daily_remaining: Option<u64>,
}

impl LocationSeries {
    /// Requests per second in each bucket.
    pub fn rates(&self) -> impl Iterator<Item = f64> + '_ {
        let w = self.bucket_secs.max(1) as f64;
        self.requests.iter().map(move |n| *n as f64 / w)
    }
}

impl Series {
    /// The run starts now: seconds are counted from here.
    pub fn restart_clock(&self) {
        *lock(&self.started) = Instant::now();
    }

    fn second(&self, at: Instant) -> usize {
        let d = at.saturating_duration_since(*lock(&self.started));
        usize::try_from(d.as_secs()).unwrap_or(usize::MAX / 2)
    }

    /// One request sent to `location` at `at`, paced at `rate`.
    pub fn sent(&self, location: &str, rate: RateLimit, at: Instant) {
        let sec = self.second(at);
        let mut l = lock(&self.locations);
        let t = match l.get_mut(location) {
            Some(t) => t,
            None => l.entry(location.to_owned()).or_default(),
        };
        if t.per_second.len() <= sec {
            t.per_second.resize(sec + 1, 0);
        }
        t.per_second[sec] = t.per_second[sec].saturating_add(1);
        t.quota_per_sec = per_second(rate);
        t.since_daily += 1;
    }

    /// What the server said about `location`'s daily budget.
    pub fn daily(&self, location: &str, remaining: Option<u64>, limit: Option<u64>) {
        if remaining.is_none() && limit.is_none() {
            return;
        }
        let mut l = lock(&self.locations);
        let t = match l.get_mut(location) {
            Some(t) => t,
            None => l.entry(location.to_owned()).or_default(),
        };
        if remaining.is_some() {
            t.daily_remaining = remaining;
            t.since_daily = 0;
        }
        if limit.is_some() {
            t.daily_limit = limit;
        }
    }

    /// Requests left today in each location the server told about, fewest first.
    pub fn daily_left(&self) -> Vec<(String, u64)> {
        let l = lock(&self.locations);
        let mut v: Vec<(String, u64)> = l
            .iter()
            .filter_map(|(k, t)| {
                t.daily_remaining
                    .map(|r| (k.clone(), r.saturating_sub(t.since_daily)))
            })
            .collect();
        v.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
        v
    }

    pub fn snapshot(&self) -> Vec<LocationSeries> {
        let elapsed = self.second(Instant::now()) + 1;
        let l = lock(&self.locations);
        let mut out: Vec<LocationSeries> = l
            .iter()
            .map(|(loc, t)| {
                let mut s = bucket(&t.per_second, elapsed);
                s.location = loc.clone();
                s.quota_per_sec = t.quota_per_sec;
                s.daily_limit = t.daily_limit;
                s.daily_remaining = t.daily_remaining.map(|r| r.saturating_sub(t.since_daily));
                s
            })
            .collect();
        out.sort_by(|a, b| a.location.cmp(&b.location));
        out
    }
}

fn per_second(rate: RateLimit) -> f64 {
    let secs = rate.per.as_secs_f64();
    if secs > 0.0 {
        f64::from(rate.max.get()) / secs
    } else {
        0.0
    }
}

/// Sums `per_second` (padded to `seconds`) into at most [`MAX_POINTS`] equal buckets.
fn bucket(per_second: &[u32], seconds: usize) -> LocationSeries {
    let seconds = seconds.max(per_second.len()).max(1);
    let width = seconds.div_ceil(MAX_POINTS).max(1);
    let requests: Vec<u64> = (0..seconds.div_ceil(width))
        .map(|i| {
            let end = ((i + 1) * width).min(per_second.len());
            let start = (i * width).min(end);
            per_second[start..end].iter().map(|n| u64::from(*n)).sum()
        })
        .collect();
    let peak = per_second.iter().copied().max().unwrap_or(0);
    LocationSeries {
        bucket_secs: width as u64,
        requests_total: requests.iter().sum(),
        requests,
        // The busiest single second, whatever the bucket width.
        peak_per_sec: f64::from(peak),
        ..LocationSeries::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::num::NonZeroU32;
    use std::time::Duration;

    #[test]
    fn a_long_run_is_summed_into_at_most_max_points_buckets() {
        let per_second = vec![3u32; 10_000];
        let s = bucket(&per_second, 10_000);
        assert!(s.requests.len() <= MAX_POINTS, "{}", s.requests.len());
        assert_eq!(s.bucket_secs, 17);
        assert_eq!(s.requests_total, 30_000);
        assert_eq!(s.rates().next(), Some(3.0));
        assert_eq!(s.peak_per_sec, 3.0);
    }

    #[test]
    fn a_short_run_keeps_one_point_a_second_padded_to_the_end() {
        let s = bucket(&[5, 0, 2], 6);
        assert_eq!(s.bucket_secs, 1);
        assert_eq!(s.requests, [5, 0, 2, 0, 0, 0]);
    }

    #[test]
    fn records_requests_quota_and_daily_budget_per_location() {
        let series = Series::default();
        let rate = RateLimit {
            max: NonZeroU32::new(100).unwrap(),
            per: Duration::from_secs(10),
        };
        let now = Instant::now();
        series.sent("a", rate, now);
        series.sent("a", rate, now);
        series.sent("b", rate, now);
        series.daily("a", Some(50), Some(200_000));
        series.sent("a", rate, now);
        let snap = series.snapshot();
        assert_eq!(snap.len(), 2);
        assert_eq!(snap[0].location, "a");
        assert_eq!(snap[0].requests_total, 3);
        assert_eq!(snap[0].quota_per_sec, 10.0);
        assert_eq!(snap[0].daily_remaining, Some(49));
        assert_eq!(snap[1].daily_limit, None);
        assert_eq!(series.daily_left(), [("a".to_owned(), 49)]);
    }
}
