use std::io;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::event::{Event, EventSink, RowStatus};

/// The bar on stderr; hidden when stderr is not a terminal (cron, CI, pipes).
pub struct ProgressSink {
    bar: ProgressBar,
    problems: u64,
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
            "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} rows · {per_sec} · ETA {eta} · {msg}"
        } else {
            "{spinner} [{elapsed_precise}] {pos} rows · {per_sec} · {msg}"
        };
        if let Ok(s) = ProgressStyle::with_template(style) {
            bar.set_style(s);
        }
        bar.enable_steady_tick(Duration::from_millis(200));
        ProgressSink { bar, problems: 0 }
    }
}

impl EventSink for ProgressSink {
    fn on_event(&mut self, event: &Event) -> io::Result<()> {
        match event {
            Event::Row(o) => {
                if o.status.is_problem() {
                    self.problems += 1;
                    self.bar
                        .set_message(format!("{} not imported", self.problems));
                }
                self.bar.inc(1);
            }
            Event::Notice { message } => self.bar.println(message),
            Event::Finished(_) => self.bar.finish_and_clear(),
            _ => {}
        }
        Ok(())
    }
}

/// Rows and run events as `tracing` records: `-v` shows each row, warnings always show.
pub struct LogSink;

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
            Event::Estimate(e) => {
                tracing::info!(
                    requests = e.requests,
                    seconds = e.seconds_at_quota,
                    "import estimated"
                )
            }
            Event::Finished(s) => {
                tracing::info!(rows = s.rows, exit_code = s.exit_code, "run finished")
            }
        }
        Ok(())
    }
}
