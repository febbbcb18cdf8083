//! Stage 6: the per-row report, the run summary, and the other event consumers (progress
//! bar, logs). Each is an [`EventSink`]; none is called by a stage.

pub mod html;
mod new_file;
mod progress;
mod progress_line;
mod rejects;
mod status_counts;
mod summary;
mod writer;

pub(crate) use new_file::create_private;
pub use progress::{LogSink, ProgressSink};
pub use rejects::{CsvStyle, RejectsWriter};
pub use status_counts::StatusCounts;
pub use summary::{Summary, SummaryBuilder};
pub(crate) use writer::check_writable;
pub use writer::{neutralize_formula, ReportFormat, ReportWriter};

/// How stale a file a sink writes may be: rows the report calls done are in the state store
/// (the collector commits first), so a killed run's report lags its store by about this.
pub const SAVE_EVERY: std::time::Duration = std::time::Duration::from_millis(100);

/// Something that consumes the run's events: the report writer, the progress bar, the log.
pub trait EventSink: Send {
    fn on_event(&mut self, event: &crate::event::Event) -> std::io::Result<()>;

    /// The events waiting at one wake-up have all been given: a sink that shows something
    /// (the progress bar) updates it here, once per batch, instead of once per row.
    fn batch_done(&mut self) {}

    /// Called after each batch and at least every [`SAVE_EVERY`]: a sink writing a file
    /// hands what it buffered to the OS once that much time has passed since it last did.
    fn save(&mut self) -> std::io::Result<()> {
        Ok(())
    }

    /// The run is over: its summary, once, after the last event.
    fn finish(&mut self, _summary: &Summary) -> std::io::Result<()> {
        Ok(())
    }
}
