//! `ghl-import undo N [--dry-run]`: the undo run with its progress bar, report and summary.

use std::io::IsTerminal;

use futures::FutureExt;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::args::UndoArgs;
use super::execute::{shutdown_signal, CliError};
use super::runs_command::open_existing;
use crate::pipeline::ExitCode;
use crate::state::{StateError, Store};
use crate::undo::{undo, write_report, UndoOutcome, UndoStatus, UndoSummary};

/// An undo run's rows as recorded, in input order.
pub(super) fn stored_undo_rows(store: &Store, run: i64) -> Result<Vec<UndoOutcome>, StateError> {
    let mut rows: Vec<UndoOutcome> = store
        .undo_records_of(run)?
        .into_iter()
        .filter_map(|(seq, r)| {
            let mut o: UndoOutcome = serde_json::from_str(&r.outcome).ok()?;
            o.seq = seq;
            Some(o)
        })
        .collect();
    rows.sort_by_key(|o| o.seq);
    Ok(rows)
}

pub(super) async fn undo_command(a: &UndoArgs, quiet: bool) -> Result<i32, CliError> {
    let store = open_existing(&a.state)?;
    let (cfg, report) = super::run_config::undo_config(a)?;
    // Fail before any call if the report cannot be written.
    write_report(&report, &[]).map_err(|e| CliError::Report(report.display().to_string(), e))?;
    let total = store
        .run_info(a.run)?
        .map(|r| r.counts.iter().map(|(_, n)| *n as u64).sum::<u64>());
    let visible = !quiet && std::io::stderr().is_terminal();
    let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
    if !visible {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    if let Ok(s) = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} rows · {per_sec} · ETA {eta} · {msg}",
    ) {
        bar.set_style(s);
    }
    super::terminal::attach(bar.clone());
    let mut problems = 0u64;
    let summary = undo(
        store,
        cfg,
        |o| {
            if o.status.is_problem() {
                problems += 1;
                bar.set_message(format!("{problems} not fully taken back"));
            }
            bar.inc(1);
        },
        shutdown_signal().boxed(),
    )
    .await;
    super::terminal::detach();
    let summary = summary?;
    bar.finish_and_clear();
    write_report(&report, &summary.rows)
        .map_err(|e| CliError::Report(report.display().to_string(), e))?;
    if !quiet {
        eprint!("{}", render(&summary, &report.display().to_string()));
    }
    Ok(exit_code(&summary).code())
}

fn exit_code(s: &UndoSummary) -> ExitCode {
    if s.fatal {
        ExitCode::Fatal
    } else if s.budget {
        ExitCode::BudgetExhausted
    } else if s.stopped.is_some() {
        ExitCode::Interrupted
    } else if s.rows.iter().any(|o| o.status.is_problem()) {
        ExitCode::SomeRowsFailed
    } else {
        ExitCode::Success
    }
}

fn render(s: &UndoSummary, report: &str) -> String {
    let mut out = String::new();
    let what = if s.dry_run { "undo plan" } else { "undo" };
    out.push_str(&format!("{what} of run {}", s.run));
    if let Some(u) = s.undo_run {
        out.push_str(&format!(
            " (recorded as run {u}{})",
            if s.resumed { ", resumed" } else { "" }
        ));
    }
    out.push('\n');
    for (status, n) in s.counts() {
        let meaning = match status {
            UndoStatus::Deleted => "created contacts deleted",
            UndoStatus::Restored => "updated contacts restored",
            UndoStatus::Partial => "updated contacts partly restored (see notes)",
            UndoStatus::Left => "changed after the run, left alone",
            UndoStatus::Gone => "no longer exist",
            UndoStatus::Nothing => "rows with nothing to take back",
            UndoStatus::Failed => "failed (run undo again to retry)",
            UndoStatus::Deferred => "not attempted (run undo again)",
            UndoStatus::Delete => "created contacts would be deleted",
            UndoStatus::Restore => "updated contacts would be restored",
        };
        out.push_str(&format!("  {n:>7} {:<9} {meaning}\n", status.as_str()));
    }
    out.push_str(&format!("  requests: {}\n", s.requests.total_requests()));
    if let Some(why) = &s.stopped {
        out.push_str(&format!("  stopped: {why}\n"));
    }
    out.push_str(&format!("  report: {report}\n"));
    out
}
