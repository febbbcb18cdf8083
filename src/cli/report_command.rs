//! `ghl-import report REPORT.csv --html PAGE`: the HTML page for a report written earlier.

use std::path::PathBuf;

use super::execute::CliError;
use crate::report::html::{read_report, write_page, Page};
use crate::report::Summary;

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// The report a run wrote (`--report`, CSV or JSONL by extension).
    pub report: PathBuf,
    /// Where to write the HTML page.
    #[arg(long, value_name = "PATH")]
    pub html: PathBuf,
    /// The run's `--summary-json`, for the headline (duration, requests, 429s, daily budget)
    /// and the requests-per-second chart; without it the page has the rows' counts only.
    #[arg(long, value_name = "PATH")]
    pub summary: Option<PathBuf>,
}

pub fn report(a: &ReportArgs, quiet: bool) -> Result<i32, CliError> {
    let agg = read_report(&a.report)?;
    let summary: Option<Summary> = match &a.summary {
        Some(p) => {
            let shown = p.display().to_string();
            let text = std::fs::read(p)
                .map_err(|e| CliError::ReadSummary(shown.clone(), e.to_string()))?;
            Some(
                serde_json::from_slice(&text)
                    .map_err(|e| CliError::ReadSummary(shown, e.to_string()))?,
            )
        }
        None => None,
    };
    let source = a.report.display().to_string();
    let html = Page {
        agg: &agg,
        summary: summary.as_ref(),
        source: Some(&source),
    }
    .render();
    let shown = a.html.display().to_string();
    write_page(&a.html, &html).map_err(|e| CliError::Output(shown.clone(), e))?;
    if !quiet {
        eprintln!(
            "report: wrote {shown} ({} rows, {} KB)",
            agg.rows,
            html.len().div_ceil(1024)
        );
    }
    Ok(0)
}
