//! Stage 6: the per-row report, the run summary, and the other event consumers (progress
//! bar, logs). Each is an [`EventSink`](crate::event::EventSink); none is called by a stage.

pub mod html;
mod progress;
mod progress_line;
mod rejects;
mod summary;
mod writer;

pub use progress::{LogSink, ProgressSink};
pub use rejects::RejectsWriter;
pub use summary::{Summary, SummaryBuilder};
pub(crate) use writer::create_private;
pub use writer::{neutralize_formula, ReportFormat, ReportWriter};
