//! One lane per location: its rate limiter, its requests in flight and its daily budget.
//! HighLevel counts every quota per app per location, so locations never wait for each other.
//!
//! A request takes, in this order: a slot (bounds requests in flight), a rate token, then it
//! is sent at once. Taking the token last keeps the gap between two sends equal to the
//! limiter's spacing, which is what keeps every window within the quota. Its waits end on a
//! tick shared by all lanes (see [`on_tick`]): later than due, never earlier.
//!
//! Before the first answer, a lane sends at its pace but keeps at most a quarter of its quota
//! in flight (see [`probe_slots`]): the answer tells the server's quota and the latency that
//! sizes the slots, and a quarter stays within any quota HighLevel documents (a trial
//! account's 25 per 10 s is a quarter of the default), so a lower quota is learnt before it
//! could be exceeded, while pacing starts with the first request instead of one latency later.
//!
//! The server counts a request when it arrives, we when we send it, so the window guard
//! keeps a margin for a request that takes longer on the way than a later one: a fixed slack,
//! twice how late this machine lately woke our timers (a loaded machine holds requests
//! before the wire), and, after the fact, the time an answer took beyond the usual, which a
//! fresh connection's handshake or a stall adds (see [`counted_at`]).
//!
//! The lane follows what the server says in its `X-RateLimit-*` headers: a lower quota than
//! configured (a trial account has 25 per 10 s) replaces the configured one, and a window
//! that holds fewer requests than ours alone would leave (another integration is using the
//! same quota) shrinks our share until it frees up again.

use std::collections::VecDeque;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use governor::clock::Clock;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::sync::{Semaphore, SemaphorePermit};
use tokio::time::Instant;

use super::client::RateLimitInfo;
use super::limiter::RateLimit;

/// How much of a location's daily budget a run may use.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct BudgetPolicy {
    /// Requests to leave unused for the location's other integrations.
    pub reserve: u64,
    /// The share of the daily limit this run may use (0 < share ≤ 1).
    pub max_share: Option<f64>,
}

/// Why a lane refuses to send: its daily budget is spent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetSpent(pub String);

/// What an observation changed, for the run to tell the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LaneChange {
    /// The server's quota is lower than configured; the lane now paces at it.
    QuotaLowered(RateLimit),
    /// The first word on the daily budget: (remaining, limit).
    DailyKnown(u64, Option<u64>),
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Even spacing at the quota. A small burst lets a request that woke late catch up; with
/// a burst of one, every late wake-up would be quota lost for good. The burst cannot break
/// the quota: the window guard in [`Lane::token`] counts our own sends.
fn limiter_for(rate: RateLimit) -> Arc<DefaultDirectRateLimiter> {
    let burst = NonZeroU32::new(burst_of(rate)).unwrap_or(NonZeroU32::MIN);
    let quota = Quota::with_period(rate.spacing())
        .expect("spacing is never zero")
        .allow_burst(burst);
    // One clock for every lane: making one per limiter reads the TSC calibration each time,
    // which a thousand lanes (two limiters each) paid again and again.
    static CLOCK: std::sync::OnceLock<governor::clock::DefaultClock> = std::sync::OnceLock::new();
    let limiter =
        RateLimiter::direct_with_clock(quota, CLOCK.get_or_init(Default::default).clone());
    // Start with the burst spent: it is there to catch up, not to send a clump at the start.
    if let Some(n) = NonZeroU32::new(burst.get() - 1) {
        let _ = limiter.check_n(n);
    }
    Arc::new(limiter)
}

fn burst_of(rate: RateLimit) -> u32 {
    (rate.max.get() / 10).clamp(1, 5)
}

/// The longest tick a pacing wait is rounded up to.
const TICK: Duration = Duration::from_millis(4);

/// Pacing waits end on a tick shared by all lanes: with a thousand lanes, each one's timer
/// woke the runtime thread on its own, about a thousand wake-ups a second; now the lanes due
/// within one tick wake together. Waking later never sends early (every check is made again
/// after the wait). The tick is at most 1/200 of what the catch-up burst makes up (a lane
/// without one loses that share of its pace at worst), and at most [`TICK`].
fn on_tick(deadline: Instant, rate: RateLimit) -> Instant {
    static EPOCH: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    let tick = tick_of(rate).as_nanos();
    let epoch = *EPOCH.get_or_init(Instant::now);
    let ticks = deadline
        .saturating_duration_since(epoch)
        .as_nanos()
        .div_ceil(tick);
    epoch + Duration::from_nanos(u64::try_from(ticks * tick).unwrap_or(u64::MAX))
}

/// [`on_tick`]'s tick for `rate` (at least a nanosecond).
fn tick_of(rate: RateLimit) -> Duration {
    (rate.spacing() * burst_of(rate) / 200)
        .min(TICK)
        .max(Duration::from_nanos(1))
}

/// Requests a lane lets fly before its first answer: a quarter of the quota (at least one),
/// within the cap.
pub fn probe_slots(rate: RateLimit, cap: usize) -> usize {
    (rate.max.get() as usize / 4).clamp(1, cap.max(1))
}

struct State {
    /// The quota paced at: the configured one, or the server's when lower.
    base: RateLimit,
    /// `base`, or less while others use the same quota.
    rate: RateLimit,
    paused_until: Option<Instant>,
    /// Permits the slot semaphore holds in all.
    slots: usize,
    /// Smoothed response time, seconds.
    latency: Option<f64>,
    /// Our sends within the last window (plus slack): the window guard, and what we compare
    /// `X-RateLimit-Remaining` with.
    recent: VecDeque<Sent>,
    /// The last answers' times, for [`State::usual`].
    took: VecDeque<Duration>,
    /// How long an answer usually takes (the 90th percentile of `took`); see [`counted_at`].
    usual: Option<Duration>,
    /// Reused by the window guard when the window is full.
    scratch: Vec<Instant>,
    /// The latest a pacing wait woke past its deadline lately, and when that was: see
    /// [`State::margin`].
    late: (Duration, Instant),
    daily_limit: Option<u64>,
    daily_remaining: Option<u64>,
    /// Requests sent since `daily_remaining` was read.
    since_daily: u64,
    /// Requests sent by this run.
    sent: u64,
}

/// One of our sends, as the window guard counts it.
#[derive(Debug, Clone, Copy)]
struct Sent {
    at: Instant,
    /// How long its answer took; `None` while it is in flight.
    took: Option<Duration>,
}

/// Answers kept to tell how long one usually takes.
const TOOK_KEPT: usize = 32;
/// Answers needed before their 90th percentile is the usual time.
const USUAL_AFTER: usize = 10;

/// When the server may have counted a send. The server counts a request when it arrives; we
/// know only when we sent it and when its answer came. An answer that took longer than usual
/// may have waited on the way there (a fresh connection's handshake, a stalled machine), and
/// then a later send on a warm connection could reach the server less than a window after it:
/// so the send counts as late as the excess. One still in flight past the usual time may not
/// have arrived yet, and counts as arriving at the latest it could have. Measuring the excess
/// over the 90th percentile, not the fastest answer, keeps servers whose answer times merely
/// vary (50–250 ms) at their pace.
fn counted_at(sent: &Sent, now: Instant, usual: Option<Duration>) -> Instant {
    let Some(usual) = usual else { return sent.at };
    let took = sent
        .took
        .unwrap_or_else(|| now.saturating_duration_since(sent.at));
    sent.at + took.saturating_sub(usual)
}

impl State {
    /// The window guard's span: the quota's window, its slack, and twice how late this
    /// machine has lately woken us. A loaded machine holds a request between pacing and the
    /// wire about as long as it holds a timer, by a different amount each time, and a later
    /// request held less reaches the server less than a window after an earlier one.
    fn span(&self) -> Duration {
        // Timers tick in whole milliseconds: that much lateness is no sign of load.
        let late = self.late.0.saturating_sub(Duration::from_millis(1));
        self.rate.per + self.rate.slack() + late * 2
    }

    /// A pacing wait due at `deadline` woke `now`.
    fn woke(&mut self, deadline: Instant, now: Instant) {
        let late = now.saturating_duration_since(deadline);
        // The latest over about one window: older lateness says little about now.
        if late >= self.late.0 || now.duration_since(self.late.1) > self.rate.per {
            self.late = (late, now);
        }
    }
}

pub struct Lane {
    location: String,
    configured: RateLimit,
    cap: usize,
    policy: BudgetPolicy,
    slots: Semaphore,
    /// Held by the request waiting for its turn to send.
    pacer: tokio::sync::Mutex<()>,
    limiter: Mutex<Arc<DefaultDirectRateLimiter>>,
    state: Mutex<State>,
    /// Why this location is skipped (its token is missing or refused).
    failed: Mutex<Option<String>>,
    /// Held before the first send, as a share of the spacing (see [`start_share`]).
    start: f64,
}

/// Where the `n`th lane of a run starts within one spacing: 0 for the first, then spread
/// evenly (golden-ratio steps), so that a thousand locations do not all open a connection
/// and send at the same instant, which delays some first requests enough on a loaded
/// machine for the eleventh to reach the server within the first's window.
pub fn start_share(n: usize) -> f64 {
    (n as f64 * 0.618_033_988_749_895).fract()
}

impl Lane {
    pub fn new(location: &str, rate: RateLimit, cap: usize, policy: BudgetPolicy) -> Lane {
        // Until the first answer tells the server's quota and the latency, a quarter of ours.
        let slots = probe_slots(rate, cap);
        Lane {
            location: location.to_owned(),
            configured: rate,
            cap: cap.max(1),
            policy,
            slots: Semaphore::new(slots),
            pacer: tokio::sync::Mutex::new(()),
            limiter: Mutex::new(limiter_for(rate)),
            state: Mutex::new(State {
                base: rate,
                rate,
                paused_until: None,
                slots,
                latency: None,
                recent: VecDeque::new(),
                took: VecDeque::new(),
                usual: None,
                scratch: Vec::new(),
                late: (Duration::ZERO, Instant::now()),
                daily_limit: None,
                daily_remaining: None,
                since_daily: 0,
                sent: 0,
            }),
            failed: Mutex::new(None),
            start: 0.0,
        }
    }

    /// Holds the first send back by this share of the spacing (0 ≤ share < 1).
    pub fn starting_at(mut self, share: f64) -> Lane {
        self.start = share.clamp(0.0, 1.0);
        self
    }

    /// Marks the location skipped; true the first time.
    pub fn fail(&self, reason: String) -> bool {
        let mut f = lock(&self.failed);
        let first = f.is_none();
        f.get_or_insert(reason);
        first
    }

    /// Why the location is skipped, if it is.
    pub fn failure(&self) -> Option<String> {
        lock(&self.failed).clone()
    }

    /// The rate the lane paces at now.
    pub fn rate(&self) -> RateLimit {
        lock(&self.state).rate
    }

    /// Requests this lane may have in flight now.
    pub fn slots(&self) -> usize {
        lock(&self.state).slots
    }

    /// Sends the lane makes at its pace while its slowest recent answer comes back (0 before
    /// any answer): how many calls ready to go keep it busy from its last upsert until the
    /// calls that wait for that upsert's answer can follow.
    pub fn sends_within_slowest_answer(&self) -> usize {
        let s = lock(&self.state);
        let slowest = s.took.iter().max().copied().unwrap_or_default();
        (slowest.as_secs_f64() / s.rate.spacing().as_secs_f64()).ceil() as usize
    }

    /// Waits for room to have one more request in flight.
    pub async fn slot(&self) -> SemaphorePermit<'_> {
        self.slots
            .acquire()
            .await
            .expect("lane semaphores are never closed")
    }

    /// Waits until sending keeps every window within the quota, then counts the send as
    /// made now (see [`Lane::sent_at`]). Refuses when the daily budget is spent.
    pub async fn token(&self) -> Result<Instant, BudgetSpent> {
        // One request at a time waits for its turn; the others queue here, each woken once,
        // instead of all waking at every tick to find that another one got it.
        let _pacer = self.pacer.lock().await;
        loop {
            let until = lock(&self.state).paused_until;
            match until {
                Some(t) if t > Instant::now() => tokio::time::sleep_until(t).await,
                _ => break,
            }
        }
        self.check_budget()?;
        // The first send starts the pace: a limiter made when the lane was would have saved
        // up its catch-up burst by now.
        let first = lock(&self.state).sent == 0;
        if first {
            if self.start > 0.0 {
                let rate = lock(&self.state).rate;
                let until = Instant::now() + rate.spacing().mul_f64(self.start);
                tokio::time::sleep_until(on_tick(until, rate)).await;
            }
            let rate = lock(&self.state).rate;
            *lock(&self.limiter) = limiter_for(rate);
        }
        // The limiter spaces requests evenly; if it is replaced while we wait (the quota
        // changed), wait on the new one. Its waits are tokio timers: governor's own
        // `until_ready` sleeps on a timer thread of its own, a thread wake-up per request.
        loop {
            let limiter = lock(&self.limiter).clone();
            match limiter.check() {
                Ok(()) if Arc::ptr_eq(&limiter, &lock(&self.limiter)) => break,
                Ok(()) => {}
                Err(later) => {
                    let wait = later.wait_time_from(limiter.clock().now());
                    let rate = lock(&self.state).rate;
                    let deadline = on_tick(Instant::now() + wait, rate);
                    tokio::time::sleep_until(deadline).await;
                    lock(&self.state).woke(deadline, Instant::now());
                }
            }
        }
        // And the window itself, counted from our own sends: never more than `max` within
        // `per` plus the slack, whatever the pace did before a change. That is the spacing's
        // own long-run pace, so a catch-up burst only fills room left by late wake-ups, and
        // the whole slack stays margin for the network (and a loaded machine) delaying one
        // request more than another.
        // Each send counts from when the server may have counted it (see [`counted_at`]).
        loop {
            let wait = {
                let mut s = lock(&self.state);
                let now = Instant::now();
                let span = s.span();
                let usual = s.usual;
                while s.recent.front().is_some_and(|x| {
                    now.saturating_duration_since(counted_at(x, now, usual)) >= span
                }) {
                    s.recent.pop_front();
                }
                let max = s.rate.max.get() as usize;
                let full = s.recent.len() >= max && {
                    let State {
                        recent, scratch, ..
                    } = &mut *s;
                    scratch.clear();
                    scratch.extend(
                        recent
                            .iter()
                            .map(|x| counted_at(x, now, usual))
                            .filter(|t| now.saturating_duration_since(*t) < span),
                    );
                    scratch.len() >= max
                };
                if !full {
                    s.recent.push_back(Sent {
                        at: now,
                        took: None,
                    });
                    s.sent += 1;
                    s.since_daily += 1;
                    return Ok(now);
                }
                // The window frees up when the max-th latest of them leaves it.
                let k = s.scratch.len() - max;
                let (_, edge, _) = s.scratch.select_nth_unstable(k);
                on_tick(*edge + span, s.rate)
            };
            tokio::time::sleep_until(wait).await;
            lock(&self.state).woke(wait, Instant::now());
        }
    }

    /// The send counted at `stamped` ended after `took`: answered (`usual_sample`: its time
    /// tells how long answers take) or failed on the way.
    pub fn ended(&self, stamped: Instant, took: Duration, usual_sample: bool) {
        let mut s = lock(&self.state);
        if let Some(x) = s
            .recent
            .iter_mut()
            .rev()
            .find(|x| x.at == stamped && x.took.is_none())
        {
            x.took = Some(took);
        }
        if usual_sample {
            if s.took.len() == TOOK_KEPT {
                s.took.pop_front();
            }
            s.took.push_back(took);
            // On the stack: this runs once per request.
            let mut buf = [Duration::ZERO; TOOK_KEPT];
            let n = s.took.len();
            for (b, t) in buf.iter_mut().zip(&s.took) {
                *b = *t;
            }
            let sorted = &mut buf[..n];
            // Among a few answers the 90th percentile is the slowest, which hides the very
            // delay of a first request on a fresh connection: until ten have come, the
            // fastest is the usual.
            let at = match sorted.len() {
                n if n < USUAL_AFTER => 0,
                n => n * 9 / 10,
            };
            let (_, usual, _) = sorted.select_nth_unstable(at);
            s.usual = Some(*usual);
        }
    }

    /// The send counted at `stamped` did not happen (the global cap was full): forget it,
    /// so the window guard counts real sends only.
    pub fn unsend(&self, stamped: Instant) {
        let mut s = lock(&self.state);
        if let Some(pos) = s.recent.iter().rposition(|x| x.at == stamped) {
            s.recent.remove(pos);
            s.sent = s.sent.saturating_sub(1);
            s.since_daily = s.since_daily.saturating_sub(1);
        }
    }

    fn check_budget(&self) -> Result<(), BudgetSpent> {
        let s = lock(&self.state);
        if let Some(rem) = s.daily_remaining {
            let left = rem.saturating_sub(s.since_daily);
            if left == 0 {
                return Err(BudgetSpent(format!(
                    "the daily API limit of location {} is used up",
                    self.location
                )));
            }
            if left <= self.policy.reserve {
                return Err(BudgetSpent(format!(
                    "location {} has {left} requests left today and --daily-reserve keeps {}",
                    self.location, self.policy.reserve
                )));
            }
        }
        if let (Some(share), Some(limit)) = (self.policy.max_share, s.daily_limit) {
            let allowed = (limit as f64 * share).floor() as u64;
            if s.sent >= allowed {
                return Err(BudgetSpent(format!(
                    "this run has used its share of location {}'s daily limit (--max-daily-share {share} = {allowed} of {limit} requests)",
                    self.location
                )));
            }
        }
        Ok(())
    }

    /// Holds every request to this location back for `wait` (after a 429).
    pub fn pause(&self, wait: Duration) {
        let until = Instant::now() + wait;
        let mut s = lock(&self.state);
        if s.paused_until.is_none_or(|t| t < until) {
            s.paused_until = Some(until);
        }
    }

    /// Learns from a response: its latency sizes the lane's slots (Little's law), and its
    /// headers may lower the pace.
    pub fn observe(&self, latency: Duration, info: &RateLimitInfo) -> Option<LaneChange> {
        let mut s = lock(&self.state);
        let l = latency.as_secs_f64();
        s.latency = Some(s.latency.map_or(l, |e| 0.8 * e + 0.2 * l));
        let mut change = None;
        if let Some(rem) = info.daily_remaining {
            if s.daily_remaining.is_none() {
                change = Some(LaneChange::DailyKnown(rem, info.daily_limit));
            }
            s.daily_remaining = Some(rem);
            s.since_daily = 0;
        }
        if info.daily_limit.is_some() {
            s.daily_limit = info.daily_limit;
        }
        if let (Some(max), Some(ms)) = (info.max, info.interval_ms) {
            let server = u32::try_from(max)
                .ok()
                .and_then(NonZeroU32::new)
                .filter(|_| ms > 0)
                .map(|max| RateLimit {
                    max,
                    per: Duration::from_millis(ms),
                });
            if let Some(server) = server {
                // Compare per-second rates; keep the configured one unless the server's is lower.
                let per_sec = |r: RateLimit| r.max.get() as f64 / r.per.as_secs_f64();
                let base = if per_sec(server) < per_sec(self.configured) {
                    server
                } else {
                    self.configured
                };
                if base != s.base {
                    s.base = base;
                    s.rate = base;
                    if base == server {
                        change = Some(LaneChange::QuotaLowered(server));
                        // What went out at our pace may have reached the server as late as
                        // now (a first request on a fresh connection does): the lower quota's
                        // windows count them from now.
                        let now = Instant::now();
                        s.recent.iter_mut().for_each(|x| x.at = x.at.max(now));
                    }
                    self.reset_limiter(&mut s);
                }
            }
        }
        if let Some(remaining) = info.remaining {
            self.share_with_others(&mut s, remaining);
        }
        // The limiter has paced since the first request: nothing to make up for, so it goes
        // on as it is (a fresh one only when the quota changed, above).
        self.resize_slots(&mut s);
        change
    }

    /// `remaining` is what the window has left after this request; our own recent sends
    /// account for the rest unless someone else sends too.
    fn share_with_others(&self, s: &mut State, remaining: u64) {
        let base = s.base.max.get() as u64;
        let now = Instant::now();
        let ours = s
            .recent
            .iter()
            .filter(|x| now.duration_since(x.at) < s.base.per)
            .count() as u64;
        let target = (remaining + ours).clamp(1, base) as u32;
        let current = s.rate.max.get();
        let step = (base as u32 / 10).max(2);
        // Move by a step or more (a fresh limiter costs a pause), or back to the whole quota.
        if target.abs_diff(current) >= step || (target == base as u32 && current != target) {
            s.rate = RateLimit {
                max: NonZeroU32::new(target).unwrap_or(NonZeroU32::MIN),
                per: s.base.per,
            };
            self.reset_limiter(s);
        }
    }

    /// A fresh limiter lets one request through at once: wait one spacing first so the
    /// change can never add a request to a window.
    fn reset_limiter(&self, s: &mut State) {
        *lock(&self.limiter) = limiter_for(s.rate);
        let until = Instant::now() + s.rate.spacing();
        if s.paused_until.is_none_or(|t| t < until) {
            s.paused_until = Some(until);
        }
    }

    /// Enough slots to keep the limiter busy (Little's law: rate × latency), doubled for
    /// latency spread, plus two waiting. The limiter never lets a late request catch up, so
    /// an idle moment is quota lost for good; a spare slot costs nothing.
    fn resize_slots(&self, s: &mut State) {
        let Some(latency) = s.latency else { return };
        let rate = s.rate.max.get() as f64 / s.rate.per.as_secs_f64();
        let want = ((rate * latency * 2.0).ceil() as usize + 2).clamp(1, self.cap);
        if want > s.slots {
            self.slots.add_permits(want - s.slots);
            s.slots = want;
        } else if want < s.slots {
            s.slots -= self.slots.forget_permits(s.slots - want);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(max: u64, ms: u64, remaining: u64) -> RateLimitInfo {
        RateLimitInfo {
            max: Some(max),
            remaining: Some(remaining),
            interval_ms: Some(ms),
            ..Default::default()
        }
    }

    #[tokio::test]
    async fn follows_a_lower_server_quota_and_keeps_a_higher_configured_one() {
        let lane = Lane::new("L", "100/10s".parse().unwrap(), 64, BudgetPolicy::default());
        assert_eq!(
            lane.observe(Duration::from_millis(100), &info(100, 10_000, 99)),
            None
        );
        assert_eq!(lane.rate().to_string(), "100/10s");
        let change = lane.observe(Duration::from_millis(100), &info(25, 10_000, 24));
        assert_eq!(
            change,
            Some(LaneChange::QuotaLowered("25/10s".parse().unwrap()))
        );
        assert_eq!(lane.rate().to_string(), "25/10s");
        // A server allowing more than configured does not speed the lane up.
        let lane = Lane::new("L", "10/10s".parse().unwrap(), 64, BudgetPolicy::default());
        lane.observe(Duration::from_millis(100), &info(100, 10_000, 99));
        assert_eq!(lane.rate().to_string(), "10/10s");
    }

    #[test]
    fn lanes_start_spread_over_one_spacing_the_first_at_once() {
        assert_eq!(start_share(0), 0.0);
        // A thousand lanes: every hundredth of the spacing gets between 5 and 15 first sends.
        let mut per = [0usize; 100];
        for n in 0..1000 {
            let s = start_share(n);
            assert!((0.0..1.0).contains(&s), "{s}");
            per[(s * 100.0) as usize] += 1;
        }
        assert!(per.iter().all(|c| (5..=15).contains(c)), "{per:?}");
    }

    #[tokio::test]
    async fn a_later_lane_holds_its_first_send_back_and_then_keeps_the_pace() {
        let rate: RateLimit = "10/1s".parse().unwrap();
        let lane = Lane::new("L", rate, 8, BudgetPolicy::default()).starting_at(0.5);
        let t0 = Instant::now();
        let first = lane.token().await.unwrap();
        assert!(
            first - t0 >= rate.spacing().mul_f64(0.5),
            "{:?}",
            first - t0
        );
        let second = lane.token().await.unwrap();
        assert!(second - first >= rate.spacing(), "{:?}", second - first);
    }

    #[tokio::test]
    async fn slots_follow_latency_within_the_cap() {
        let lane = Lane::new("L", "50/1s".parse().unwrap(), 64, BudgetPolicy::default());
        assert_eq!(
            lane.slots(),
            12,
            "a quarter of the quota before the first answer"
        );
        lane.observe(Duration::from_millis(200), &RateLimitInfo::default());
        // 50/s × 0.2 s × 2 = 20, plus two.
        assert_eq!(lane.slots(), 22);
        let capped = Lane::new("L", "50/1s".parse().unwrap(), 4, BudgetPolicy::default());
        capped.observe(Duration::from_secs(2), &RateLimitInfo::default());
        assert_eq!(capped.slots(), 4);
        for _ in 0..40 {
            lane.observe(Duration::from_millis(10), &RateLimitInfo::default());
        }
        assert!(lane.slots() <= 4, "{}", lane.slots());
    }

    #[test]
    fn the_slowest_recent_answer_is_counted_in_sends_at_the_pace() {
        // 50/1s: a send every 20.2 ms.
        let lane = Lane::new("L", "50/1s".parse().unwrap(), 64, BudgetPolicy::default());
        assert_eq!(lane.sends_within_slowest_answer(), 0);
        for ms in [60, 250, 90] {
            lane.ended(Instant::now(), Duration::from_millis(ms), true);
        }
        // 250 / 20.2 = 12.4.
        assert_eq!(lane.sends_within_slowest_answer(), 13);
    }

    #[tokio::test]
    async fn others_using_the_quota_shrink_our_share() {
        let lane = Lane::new("L", "20/1s".parse().unwrap(), 64, BudgetPolicy::default());
        // We sent nothing recently, yet only 5 remain: others use 15 of 20.
        lane.observe(Duration::from_millis(10), &info(20, 1000, 5));
        assert_eq!(lane.rate().max.get(), 5);
        // They stopped: back to the whole quota.
        lane.observe(Duration::from_millis(10), &info(20, 1000, 20));
        assert_eq!(lane.rate().max.get(), 20);
    }

    #[tokio::test]
    async fn the_daily_budget_stops_the_lane() {
        let lane = Lane::new(
            "L",
            "1000/1s".parse().unwrap(),
            8,
            BudgetPolicy {
                reserve: 2,
                max_share: None,
            },
        );
        let daily = RateLimitInfo {
            daily_limit: Some(100),
            daily_remaining: Some(4),
            ..Default::default()
        };
        lane.observe(Duration::from_millis(1), &daily);
        assert!(lane.token().await.is_ok());
        assert!(lane.token().await.is_ok());
        let err = lane.token().await.unwrap_err();
        assert!(err.0.contains("--daily-reserve"), "{}", err.0);

        let lane = Lane::new(
            "L",
            "1000/1s".parse().unwrap(),
            8,
            BudgetPolicy {
                reserve: 0,
                max_share: Some(0.03),
            },
        );
        let daily = RateLimitInfo {
            daily_limit: Some(100),
            daily_remaining: Some(90),
            ..Default::default()
        };
        lane.observe(Duration::from_millis(1), &daily);
        for _ in 0..3 {
            lane.token().await.unwrap();
        }
        assert!(lane
            .token()
            .await
            .unwrap_err()
            .0
            .contains("--max-daily-share"));
    }

    #[test]
    fn pacing_waits_end_on_a_shared_tick_never_before_their_deadline() {
        // The shared epoch is fixed before `now`: a deadline before it ends at the epoch.
        let _ = on_tick(Instant::now(), "1/1s".parse().unwrap());
        let now = Instant::now();
        for rate in ["10/10s", "100/10s", "50/1s", "10/100ms", "1/1s"] {
            let rate: RateLimit = rate.parse().unwrap();
            let tick = tick_of(rate);
            for us in (0..20_000).step_by(137) {
                let deadline = now + Duration::from_micros(us);
                let at = on_tick(deadline, rate);
                assert!(at >= deadline && at - deadline < tick);
                // Every deadline within the same tick ends at the same instant.
                assert_eq!(on_tick(at, rate), at);
            }
        }
    }

    #[tokio::test]
    async fn a_send_answered_late_counts_from_when_it_could_have_arrived() {
        // 4 per 100 ms: the guard's span is 110 ms (10 ms of slack).
        let lane = Lane::new("L", "4/100ms".parse().unwrap(), 8, BudgetPolicy::default());
        // Answers usually take a millisecond.
        for _ in 0..10 {
            lane.ended(Instant::now(), Duration::from_millis(1), true);
        }
        let first = lane.token().await.unwrap();
        // This one's took 40: it may have reached the server 39 ms after it was sent.
        lane.ended(first, Duration::from_millis(40), true);
        for _ in 0..3 {
            let t = lane.token().await.unwrap();
            lane.ended(t, Duration::from_millis(1), true);
        }
        // Counted at its send, the first would have left the window at 110 ms; counted 39 ms
        // later, the second send (27.5 ms) is the first to leave it, at 137.5 ms.
        let fifth = lane.token().await.unwrap();
        assert!(
            fifth - first >= Duration::from_millis(137),
            "{:?}",
            fifth - first
        );
    }

    #[tokio::test]
    async fn before_ten_answers_a_send_slower_than_the_fastest_counts_as_late() {
        // Two per 100 ms (span 110 ms), as `plan` reads pages: one after another.
        let lane = Lane::new("L", "2/100ms".parse().unwrap(), 8, BudgetPolicy::default());
        let first = lane.token().await.unwrap();
        // A fresh connection: the first answer took 40 ms, the second 2.
        lane.ended(first, Duration::from_millis(40), true);
        let second = lane.token().await.unwrap();
        lane.ended(second, Duration::from_millis(2), true);
        let third = lane.token().await.unwrap();
        assert!(
            third - first >= Duration::from_millis(110 + 38),
            "{:?}",
            third - first
        );
    }

    #[tokio::test]
    async fn a_send_in_flight_past_the_usual_time_keeps_its_place_in_the_window() {
        // One per 50 ms: the guard's span is 60 ms.
        let lane = Arc::new(Lane::new(
            "L",
            "1/50ms".parse().unwrap(),
            8,
            BudgetPolicy::default(),
        ));
        for _ in 0..10 {
            lane.ended(Instant::now(), Duration::from_millis(1), true);
        }
        let first = lane.token().await.unwrap();
        let second = tokio::spawn({
            let lane = lane.clone();
            async move { lane.token().await.unwrap() }
        });
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert!(!second.is_finished(), "the first may not have arrived yet");
        let took = first.elapsed();
        lane.ended(first, took, true);
        let second = second.await.unwrap();
        assert!(
            second - first >= took + Duration::from_millis(60 - 2),
            "{:?}",
            second - first
        );
    }

    #[test]
    fn a_machine_that_wakes_us_late_widens_the_window() {
        let lane = Lane::new("L", "10/1s".parse().unwrap(), 8, BudgetPolicy::default());
        let mut s = lock(&lane.state);
        assert_eq!(s.span(), Duration::from_millis(1010));
        let t = Instant::now();
        // A millisecond late is the timer's grain, not load.
        s.woke(t, t + Duration::from_millis(1));
        assert_eq!(s.span(), Duration::from_millis(1010));
        s.woke(t, t + Duration::from_millis(21));
        assert_eq!(s.span(), Duration::from_millis(1050));
        // Smaller lateness within the window keeps the larger; a window later it is replaced.
        s.woke(t, t + Duration::from_millis(5));
        assert_eq!(s.span(), Duration::from_millis(1050));
        let later = t + Duration::from_millis(1100);
        s.woke(later, later + Duration::from_millis(3));
        assert_eq!(s.span(), Duration::from_millis(1014));
    }

    #[tokio::test]
    async fn never_more_than_max_in_any_window() {
        let rate: RateLimit = "10/100ms".parse().unwrap();
        let lane = Arc::new(Lane::new("L", rate, 8, BudgetPolicy::default()));
        let times = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (lane, t) = (lane.clone(), times.clone());
            tasks.push(tokio::spawn(async move {
                for _ in 0..5 {
                    lane.token().await.unwrap();
                    t.lock().unwrap().push(std::time::Instant::now());
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let mut times = times.lock().unwrap().clone();
        times.sort();
        assert_eq!(times.len(), 40);
        for (i, start) in times.iter().enumerate() {
            let in_window = times[i..]
                .iter()
                .take_while(|t| **t - *start < rate.per)
                .count();
            assert!(in_window <= 10, "{in_window} requests within one window");
        }
    }
}
