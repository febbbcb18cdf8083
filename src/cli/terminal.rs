//! The one owner of stderr while a run shows its progress bar: log lines (notices included)
//! are written above the bar, never drawn over it. The run's notices reach stderr only
//! through the log; the bar itself shows counts.

use std::io::{self, Write};
use std::sync::Mutex;

use indicatif::ProgressBar;
use tracing_subscriber::fmt::MakeWriter;

/// The bar on screen, if any.
static BAR: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// Log lines go above `bar` until [`detach`].
pub(super) fn attach(bar: ProgressBar) {
    *BAR.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(bar);
}

pub(super) fn detach() {
    *BAR.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
}

/// Stderr for `tracing`, suspending the bar around each line.
#[derive(Clone, Copy, Default)]
pub(super) struct Stderr;

impl<'a> MakeWriter<'a> for Stderr {
    type Writer = Stderr;

    fn make_writer(&'a self) -> Self::Writer {
        Stderr
    }
}

impl Write for Stderr {
    /// The log formats a whole line and writes it at once, so one suspension covers it.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let bar = BAR
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        match bar {
            Some(bar) if !bar.is_hidden() => bar.suspend(|| io::stderr().write_all(buf))?,
            _ => io::stderr().write_all(buf)?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
}
