//! Why a run stops early, and the exit code that follows. Every task that can stop the run
//! writes into one watch channel; the most serious reason wins.

use std::sync::Arc;

use tokio::sync::watch;

use super::ExitCode;
use crate::api::ApiError;
use crate::event::RowStatus;
use crate::report::Summary;
use crate::state::StateError;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Stop {
    Interrupted,
    /// The daily quota ran out: the rest can be sent tomorrow.
    Budget(String),
    Fatal(String),
}

impl Stop {
    pub(super) fn reason(&self) -> String {
        match self {
            Stop::Interrupted => "the run was interrupted".into(),
            Stop::Budget(m) | Stop::Fatal(m) => m.clone(),
        }
    }

    fn rank(&self) -> u8 {
        match self {
            Stop::Interrupted => 0,
            Stop::Budget(_) => 1,
            Stop::Fatal(_) => 2,
        }
    }

    /// The stop an API error causes, if any.
    pub(super) fn for_error(e: &ApiError) -> Option<Stop> {
        match e {
            ApiError::DailyLimit { .. } => Some(Stop::Budget(e.to_string())),
            e if e.is_fatal() => Some(Stop::Fatal(e.to_string())),
            _ => None,
        }
    }
}

/// The run's stop signal, shared by every task.
pub(super) type StopTx = Arc<watch::Sender<Option<Stop>>>;

/// Records why the run stops; a fatal error outranks a spent budget, which outranks an
/// interrupt. True if it changed.
pub(super) fn set_stop(tx: &watch::Sender<Option<Stop>>, stop: Stop) -> bool {
    tx.send_if_modified(|cur| {
        if cur.as_ref().is_none_or(|c| c.rank() < stop.rank()) {
            *cur = Some(stop.clone());
            true
        } else {
            false
        }
    })
}

/// The reason the run is stopping, or `fallback` while it is not.
pub(super) fn stop_reason(
    tx: &watch::Sender<Option<Stop>>,
    fallback: impl FnOnce() -> String,
) -> String {
    tx.borrow().as_ref().map_or_else(fallback, Stop::reason)
}

/// A store that cannot be written stops the run: rows could be reported done that a resume
/// would not know of.
pub(super) fn state_failed(stop_tx: &watch::Sender<Option<Stop>>, e: &StateError) {
    set_stop(stop_tx, Stop::Fatal(format!("the state store failed: {e}")));
}

pub(super) fn exit_code(summary: &Summary, stop: Option<&Stop>) -> ExitCode {
    match stop {
        Some(Stop::Fatal(_)) => ExitCode::Fatal,
        Some(Stop::Budget(_)) => ExitCode::BudgetExhausted,
        Some(Stop::Interrupted) => ExitCode::Interrupted,
        None if RowStatus::ALL
            .iter()
            .any(|s| s.is_problem() && summary.count(*s) > 0) =>
        {
            ExitCode::SomeRowsFailed
        }
        None => ExitCode::Success,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fatal_stop_outranks_a_spent_budget_which_outranks_an_interrupt() {
        let (tx, rx) = watch::channel(None);
        assert!(set_stop(&tx, Stop::Interrupted));
        assert!(set_stop(&tx, Stop::Budget("spent".into())));
        assert!(!set_stop(&tx, Stop::Interrupted));
        assert!(set_stop(&tx, Stop::Fatal("401".into())));
        assert!(!set_stop(&tx, Stop::Budget("spent".into())));
        assert_eq!(*rx.borrow(), Some(Stop::Fatal("401".into())));
        assert_eq!(stop_reason(&tx, || "none".into()), "401");
    }
}
