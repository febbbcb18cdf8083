use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::progress_line::ProgressLine;
use super::{EventSink, Summary};
use crate::api::Stats;
use crate::event::{Event, RowStatus};

/// How often the words after the bar are rebuilt (rows may arrive a million a second).
const REFRESH: Duration = Duration::from_millis(250);

/// The bar on stderr; hidden when stderr is not a terminal (cron, CI, pipes). It shows counts
/// only: notices are the log's ([`LogSink`]), so each reaches the terminal once.
pub struct ProgressSink {
    bar: ProgressBar,
    total: Option<u64>,
    line: ProgressLine,
    /// The run's counters, for the daily budget left.
    stats: Option<Arc<Stats>>,
    shown_at: Option<Instant>,
    /// Rows counted since the bar last moved: it moves once per batch of events (reading
    /// the clock per row cost 1.5% of a dry run).
    pending: u64,
}

impl ProgressSink {
    /// `total`: rows expected, when known (for the ETA).
    pub fn new(total: Option<u64>, visible: bool) -> Self {
        let bar = match total {
            Some(n) => ProgressBar::with_draw_target(Some(n), ProgressDrawTarget::stderr()),
            None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
        };
        if !visible {
            bar.set_draw_target(ProgressDrawTarget::hidden());
        }
        let style = if total.is_some() {
            "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} rows · {per_sec} · {msg}"
        } else {
            "{spinner} [{elapsed_precise}] {pos} rows · {per_sec} · {msg}"
        };
        if let Ok(s) = ProgressStyle::with_template(style) {
            bar.set_style(s);
        }
        bar.enable_steady_tick(Duration::from_millis(200));
        ProgressSink {
            bar,
            total,
            line: ProgressLine::default(),
            stats: None,
            shown_at: None,
            pending: 0,
        }
    }

    /// The bar, for whoever writes other lines to the same terminal (above it).
    pub fn bar(&self) -> ProgressBar {
        self.bar.clone()
    }

    /// Shows the daily budget left from the run's counters (the same `Arc` the run uses).
    pub fn with_stats(mut self, stats: Arc<Stats>) -> Self {
        self.stats = Some(stats);
        self
    }

    fn refresh(&mut self, force: bool) {
        if self.pending > 0 {
            self.bar.inc(std::mem::take(&mut self.pending));
        }
        let now = Instant::now();
        let done = self.bar.position();
        self.line.sample(now, done);
        if !force
            && self
                .shown_at
                .is_some_and(|t| now.duration_since(t) < REFRESH)
        {
            return;
        }
        self.shown_at = Some(now);
        let budget = self
            .stats
            .as_ref()
            .and_then(|s| s.series.daily_left().into_iter().next());
        let msg = self.line.render(
            now,
            done,
            self.total,
            budget.as_ref().map(|(l, n)| (l.as_str(), *n)),
        );
        self.bar.set_message(msg);
    }
}

impl EventSink for ProgressSink {
    fn on_event(&mut self, event: &Event) -> io::Result<()> {
        match event {
            Event::Row(o) => {
                if o.status.is_problem() {
                    self.line.problems += 1;
                }
                self.line.row(o.location_id.as_deref());
                self.pending += 1;
            }
            Event::Retry { .. } => {
                self.line.retries += 1;
                self.refresh(true);
            }
            Event::RateLimited { .. } => {
                self.line.throttled += 1;
                self.refresh(true);
            }
            // Notices reach the terminal through the log, written above the bar.
            _ => {}
        }
        Ok(())
    }

    fn batch_done(&mut self) {
        if self.pending > 0 {
            self.refresh(false);
        }
    }

    fn finish(&mut self, _: &Summary) -> io::Result<()> {
        if self.pending > 0 {
            self.bar.inc(std::mem::take(&mut self.pending));
        }
        self.bar.finish_and_clear();
        Ok(())
    }
}

/// Rows and run events as `tracing` records: `-v` shows each row not imported (with
/// `every_row`, each row, with the report's fields: `--log-format json`), warnings always show.
pub struct LogSink {
    pub every_row: bool,
}

impl EventSink for LogSink {
    fn on_event(&mut self, event: &Event) -> io::Result<()> {
        match event {
            Event::Started {
                input,
                format,
                dry_run,
            } => {
                tracing::info!(%input, %format, dry_run, "run started")
            }
            Event::Row(o) if self.every_row => tracing::info!(
                row = o.row,
                status = o.status.as_str(),
                contact_id = o.contact_id.as_deref().unwrap_or(""),
                email = o.email.as_deref().unwrap_or(""),
                phone = o.phone.as_deref().unwrap_or(""),
                location_id = o.location_id.as_deref().unwrap_or(""),
                tags_status = o.tags_status.as_str("added"),
                business_status = o.business_status.as_str("set"),
                errors = %o.errors.join("; "),
                changes = %o.changes.join("; "),
                warnings = %o.warnings.join("; "),
                "row"
            ),
            Event::Row(o) => match o.status {
                RowStatus::Invalid | RowStatus::Failed | RowStatus::Deferred => tracing::info!(
                    row = o.row,
                    status = o.status.as_str(),
                    errors = %o.errors.join("; "),
                    "row not imported"
                ),
                _ => tracing::debug!(
                    row = o.row,
                    status = o.status.as_str(),
                    contact_id = o.contact_id.as_deref().unwrap_or(""),
                    "row done"
                ),
            },
            Event::Retry {
                endpoint,
                attempt,
                reason,
                delay_ms,
            } => {
                tracing::debug!(endpoint = endpoint.path_label(), attempt, delay_ms, %reason, "retry")
            }
            Event::RateLimited {
                endpoint,
                location_id,
            } => {
                tracing::info!(endpoint = endpoint.path_label(), location_id = %location_id, "429 from the server; pausing the location")
            }
            Event::Notice { message } => tracing::warn!("{message}"),
        }
        Ok(())
    }

    fn finish(&mut self, s: &Summary) -> io::Result<()> {
        if let Some(e) = &s.estimate {
            tracing::info!(
                requests = e.requests,
                seconds = e.seconds_at_quota,
                "import estimated"
            )
        }
        tracing::info!(rows = s.rows, exit_code = s.exit_code, "run finished");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::RowOutcome;

    #[test]
    fn the_bar_counts_every_row_though_it_moves_once_per_batch() {
        let mut sink = ProgressSink::new(None, false);
        let row = |seq| Event::Row(RowOutcome::new(seq, seq + 2, RowStatus::Valid));
        for seq in 0..3 {
            sink.on_event(&row(seq)).unwrap();
        }
        assert_eq!(sink.bar().position(), 0, "not moved before the batch ends");
        sink.batch_done();
        assert_eq!(sink.bar().position(), 3);
        for seq in 3..7 {
            sink.on_event(&row(seq)).unwrap();
        }
        // Other events do not move it either.
        sink.on_event(&Event::Notice {
            message: "n".into(),
        })
        .unwrap();
        assert_eq!(sink.bar().position(), 3);
        sink.batch_done();
        assert_eq!(sink.bar().position(), 7);
        sink.on_event(&row(7)).unwrap();
        sink.finish(&Summary::default()).unwrap();
        assert_eq!(
            sink.bar().position(),
            8,
            "the rows of the last batch count too"
        );
    }
}
