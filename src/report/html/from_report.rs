//! `ghl-import report REPORT.csv --html PAGE`: the page from a report written earlier (CSV
//! or JSONL, as `--report` writes them), read as a stream.

use std::io::BufRead;
use std::path::Path;

use super::Aggregate;
use crate::event::{RowOutcome, RowStatus, StepStatus};
use crate::report::ReportFormat;

#[derive(Debug, thiserror::Error)]
pub enum ReportInputError {
    #[error("cannot read the report {file}: {source}")]
    Io {
        file: String,
        source: std::io::Error,
    },
    #[error("{file} is an undo report (written by `ghl-import undo`): its rows say what was taken back, not what was imported, so it has no page of its own; give `report` the report of the import (its --report), or open {file} as it is")]
    UndoReport { file: String },
    #[error("{file}, line {line}: {message}")]
    Line {
        file: String,
        line: u64,
        message: String,
    },
}

/// Every row of the report into an [`Aggregate`].
pub fn read_report(path: &Path) -> Result<Aggregate, ReportInputError> {
    let file = path.display().to_string();
    let io = |source| ReportInputError::Io {
        file: file.clone(),
        source,
    };
    let f = std::fs::File::open(path).map_err(io)?;
    let reader = std::io::BufReader::with_capacity(64 * 1024, f);
    let mut agg = Aggregate::default();
    match ReportFormat::from_path(path) {
        ReportFormat::Csv => read_csv(reader, &file, &mut agg)?,
        ReportFormat::Jsonl => {
            for (i, line) in reader.lines().enumerate() {
                let line = line.map_err(io)?;
                if line.trim().is_empty() {
                    continue;
                }
                let line_no = i as u64 + 1;
                let v: serde_json::Value =
                    serde_json::from_str(&line).map_err(|e| ReportInputError::Line {
                        file: file.clone(),
                        line: line_no,
                        message: format!("not a JSON object: {e}"),
                    })?;
                if is_undo_row(|k| v.get(k).is_some()) {
                    return Err(ReportInputError::UndoReport { file });
                }
                agg.add(&from_json(&v).map_err(|message| ReportInputError::Line {
                    file: file.clone(),
                    line: line_no,
                    message,
                })?);
            }
        }
    }
    Ok(agg)
}

fn read_csv(
    reader: impl std::io::Read,
    file: &str,
    agg: &mut Aggregate,
) -> Result<(), ReportInputError> {
    let mut csv = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
    let headers = csv
        .headers()
        .map_err(|e| ReportInputError::Line {
            file: file.to_owned(),
            line: 1,
            message: e.to_string(),
        })?
        .clone();
    let col = |name: &str| headers.iter().position(|h| h == name);
    if is_undo_row(|k| col(k).is_some()) {
        return Err(ReportInputError::UndoReport {
            file: file.to_owned(),
        });
    }
    let (Some(row_i), Some(status_i)) = (col("row"), col("status")) else {
        return Err(ReportInputError::Line {
            file: file.to_owned(),
            line: 1,
            message: "not a ghl-import report: it has no 'row' and 'status' columns".into(),
        });
    };
    let cols = [
        "contact_id",
        "email",
        "phone",
        "location_id",
        "tags_status",
        "business_status",
        "errors",
        "changes",
        "warnings",
    ]
    .map(col);
    let mut rec = csv::StringRecord::new();
    loop {
        let line = csv.position().line();
        match csv.read_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                return Err(ReportInputError::Line {
                    file: file.to_owned(),
                    line,
                    message: e.to_string(),
                })
            }
        }
        let get = |i: Option<usize>| i.and_then(|i| rec.get(i)).map(unneutralize).unwrap_or("");
        let bad = |message: String| ReportInputError::Line {
            file: file.to_owned(),
            line,
            message,
        };
        let row = get(Some(row_i))
            .parse()
            .map_err(|_| bad(format!("row '{}' is not a number", get(Some(row_i)))))?;
        let status = parse_status(get(Some(status_i)))
            .ok_or_else(|| bad(format!("unknown status '{}'", get(Some(status_i)))))?;
        let opt = |i| Some(get(i).to_owned()).filter(|s| !s.is_empty());
        let list = |i| -> Vec<String> {
            let s = get(i);
            if s.is_empty() {
                Vec::new()
            } else {
                s.split("; ").map(str::to_owned).collect()
            }
        };
        agg.add(&RowOutcome {
            contact_id: opt(cols[0]),
            email: opt(cols[1]),
            phone: opt(cols[2]),
            location_id: opt(cols[3]),
            tags_status: parse_step(get(cols[4])),
            business_status: parse_step(get(cols[5])),
            errors: list(cols[6]),
            changes: list(cols[7]),
            warnings: list(cols[8]),
            ..RowOutcome::new(row, row, status)
        });
    }
    Ok(())
}

/// An undo report's row: it has the import's status (`imported`) and what undo did
/// (`actions`), which an import's report never has.
fn is_undo_row(has: impl Fn(&str) -> bool) -> bool {
    has("imported") && has("actions")
}

fn from_json(v: &serde_json::Value) -> Result<RowOutcome, String> {
    let row = v["row"].as_u64().ok_or("no row number")?;
    let status_text = v["status"].as_str().unwrap_or("");
    let status =
        parse_status(status_text).ok_or_else(|| format!("unknown status '{status_text}'"))?;
    let s = |k: &str| v[k].as_str().map(str::to_owned);
    let list = |k: &str| -> Vec<String> {
        v[k].as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    Ok(RowOutcome {
        contact_id: s("contact_id"),
        email: s("email"),
        phone: s("phone"),
        location_id: s("location_id"),
        tags_status: parse_step(v["tags_status"].as_str().unwrap_or("")),
        business_status: parse_step(v["business_status"].as_str().unwrap_or("")),
        errors: list("errors"),
        changes: list("changes"),
        warnings: list("warnings"),
        ..RowOutcome::new(row, row, status)
    })
}

fn parse_status(s: &str) -> Option<RowStatus> {
    RowStatus::from_name(s)
}

fn parse_step(s: &str) -> StepStatus {
    match s {
        "added" | "set" => StepStatus::Done,
        "failed" => StepStatus::Failed,
        "skipped" => StepStatus::Skipped,
        _ => StepStatus::None,
    }
}

/// The CSV report puts `'` before a value a spreadsheet would run as a formula.
fn unneutralize(v: &str) -> &str {
    match v.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_csv_report_back_into_counts_and_groups() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.report.csv");
        std::fs::write(
            &p,
            "row,status,contact_id,email,phone,tags_status,business_status,errors,changes,warnings\n\
             2,created,c1,a@x.com,,added,,,,\n\
             3,invalid,,'=bad,,,,\"column 'Email': \"\"=bad\"\" is not a valid email address\",,\n\
             4,invalid,,,,,,\"column 'Email': \"\"x\"\" is not a valid email address; column 'Phone': \"\"1\"\" is not a valid phone number\",,\n",
        )
        .unwrap();
        let agg = read_report(&p).unwrap();
        assert_eq!(agg.rows, 3);
        assert_eq!(agg.count(RowStatus::Invalid), 2);
        let g = agg.groups();
        assert_eq!(g.len(), 2);
        assert_eq!(g[0].0.column.as_deref(), Some("Email"));
        assert_eq!(g[0].1.first_rows, [3, 4]);
    }

    #[test]
    fn a_file_that_is_not_a_report_is_refused_with_its_name() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("contacts.csv");
        std::fs::write(&p, "Email,Phone\na@x.com,1\n").unwrap();
        let e = read_report(&p).unwrap_err().to_string();
        assert!(
            e.contains("contacts.csv") && e.contains("not a ghl-import report"),
            "{e}"
        );
    }
}
