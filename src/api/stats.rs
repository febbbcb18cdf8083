//! Counters every request updates; the run summary reads them.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use serde::Serialize;

use super::series::{LocationSeries, Series};
use crate::event::Endpoint;

#[derive(Debug, Default)]
pub struct Stats {
    requests: [AtomicU64; Endpoint::ALL.len()],
    throttled: AtomicU64,
    retries: AtomicU64,
    /// Requests per second per location, and the daily budgets.
    pub series: Series,
}

fn idx(e: Endpoint) -> usize {
    Endpoint::ALL.iter().position(|x| *x == e).unwrap_or(0)
}

impl Stats {
    pub fn sent(&self, e: Endpoint) {
        self.requests[idx(e)].fetch_add(1, Relaxed);
    }
    pub fn throttled(&self) {
        self.throttled.fetch_add(1, Relaxed);
    }
    pub fn retried(&self) {
        self.retries.fetch_add(1, Relaxed);
    }

    pub fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            requests: Endpoint::ALL
                .iter()
                .map(|e| {
                    (
                        e.path_label().to_owned(),
                        self.requests[idx(*e)].load(Relaxed),
                    )
                })
                .filter(|(_, n)| *n > 0)
                .collect(),
            throttled: self.throttled.load(Relaxed),
            retries: self.retries.load(Relaxed),
            series: self.series.snapshot(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StatsSnapshot {
    /// Requests sent (every attempt) by endpoint.
    pub requests: Vec<(String, u64)>,
    /// 429 responses received.
    pub throttled: u64,
    pub retries: u64,
    pub series: Vec<LocationSeries>,
}

impl StatsSnapshot {
    pub fn total_requests(&self) -> u64 {
        self.requests.iter().map(|(_, n)| n).sum()
    }
}
