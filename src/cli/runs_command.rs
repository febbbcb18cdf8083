//! `ghl-import runs` and `runs show N [--report PATH]`: what the state store remembers.

use std::path::PathBuf;

use super::args::{RunsArgs, RunsCommand, StateArgs};
use super::execute::CliError;
use crate::event::Event;
use crate::report::EventSink;
use crate::report::{ReportFormat, ReportWriter};
use crate::state::runs::RunInfo;
use crate::state::Store;

/// The store the user means; it must exist already (listing runs never creates one).
pub(super) fn open_existing(state: &StateArgs) -> Result<Store, CliError> {
    let path: PathBuf = state
        .state
        .clone()
        .or_else(crate::state::store::default_path)
        .ok_or(super::flags::FlagError::NoStateDir)?;
    if !path.exists() {
        return Err(CliError::NoStore(path.display().to_string()));
    }
    Ok(Store::open(&path)?)
}

fn counts(r: &RunInfo) -> String {
    let kept = if r.counts.is_empty() {
        "no rows".into()
    } else {
        r.counts
            .iter()
            .map(|(s, n)| format!("{n} {s}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match r.replaced_by {
        Some(later) => {
            format!("{kept} kept for undo (run {later} replaced its rows with nothing to undo)")
        }
        None => kept,
    }
}

fn finished(r: &RunInfo) -> String {
    match r.state.as_str() {
        "done" => r.updated_at.clone(),
        "running" => "running (or killed)".into(),
        other => format!("no ({other})"),
    }
}

pub(super) fn runs_command(a: &RunsArgs) -> Result<i32, CliError> {
    let store = open_existing(&a.state)?;
    match &a.command {
        None => {
            let runs = store.runs()?;
            if runs.is_empty() {
                println!("no runs recorded");
            }
            for r in runs {
                println!(
                    "{:>4}  {:<6}  {}  started {}  finished {}  locations {}  {}  ({})",
                    r.id,
                    r.kind,
                    r.input_path,
                    r.started_at,
                    finished(&r),
                    r.locations.join(" "),
                    counts(&r),
                    if r.snapshot {
                        "with snapshot"
                    } else {
                        "no snapshot"
                    },
                );
            }
            Ok(0)
        }
        Some(RunsCommand::Show { id, report }) => {
            let r = store.run_info(*id)?.ok_or(CliError::NoRun(*id))?;
            println!("run {} ({})", r.id, r.kind);
            println!("  file:       {}", r.input_path);
            println!("  locations:  {}", r.locations.join(", "));
            println!("  api:        {}", r.base_url);
            println!("  started:    {}", r.started_at);
            println!("  finished:   {}", finished(&r));
            println!("  attempts:   {}", r.attempts);
            if let Some(t) = r.total_rows {
                println!("  rows:       {t} in the file");
            }
            println!("  by status:  {}", counts(&r));
            if r.kind == "import" {
                println!(
                    "  snapshot:   {}",
                    if r.snapshot {
                        "yes: undo can restore overwritten fields"
                    } else {
                        "no: undo cannot restore overwritten fields"
                    }
                );
            }
            if let Some(of) = r.undoes {
                println!("  takes back: run {of}");
            }
            if let Some(path) = report {
                let shown = path.display().to_string();
                let n = if r.kind == "undo" {
                    let rows = super::undo_command::stored_undo_rows(&store, r.id)?;
                    crate::undo::write_report(path, &rows)
                        .map_err(|e| CliError::Report(shown.clone(), e))?;
                    rows.len()
                } else {
                    let rows = store.run_outcomes(r.id)?;
                    let mut w = ReportWriter::create(path, ReportFormat::from_path(path))
                        .map_err(|e| CliError::Report(shown.clone(), e))?;
                    for o in &rows {
                        w.on_event(&Event::Row(o.clone()))
                            .map_err(|e| CliError::Report(shown.clone(), e))?;
                    }
                    w.flush().map_err(|e| CliError::Report(shown.clone(), e))?;
                    rows.len()
                };
                println!("  report:     {shown} ({n} rows)");
            }
            Ok(0)
        }
    }
}
