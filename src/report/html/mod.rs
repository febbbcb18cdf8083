//! `--html`: one self-contained page a person reads after a run (no scripts, no external
//! assets). Gathered in bounded memory as rows arrive, written when the run finishes; its
//! size does not grow with the file (a 1M-row run gives a few hundred KB at most).

mod aggregate;
mod chart;
mod from_report;
mod render;

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

pub use aggregate::{group_key, Aggregate, Group, GroupKey, Kind};
pub use from_report::{read_report, ReportInputError};
pub use render::Page;

use super::new_file::create_private;
use super::EventSink;
use crate::event::Event;
use crate::report::Summary;

/// Text safe in HTML content and in quoted attributes.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The event sink behind `--html`. The file is created (owner-only) when the run starts, so
/// a path that cannot be written stops the run before anything is sent.
pub struct HtmlReport {
    file: Option<File>,
    agg: Aggregate,
}

impl HtmlReport {
    pub fn create(path: &Path) -> io::Result<Self> {
        Ok(HtmlReport {
            file: Some(create_private(path)?),
            agg: Aggregate::default(),
        })
    }
}

impl EventSink for HtmlReport {
    fn on_event(&mut self, event: &Event) -> io::Result<()> {
        if let Event::Row(o) = event {
            self.agg.add(o);
        }
        Ok(())
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        if let Some(mut f) = self.file.take() {
            f.write_all(Page::of_run(&self.agg, summary).render().as_bytes())?;
            f.flush()?;
        }
        Ok(())
    }
}

/// Writes `html` (owner-only), for `ghl-import report`.
pub fn write_page(path: &Path, html: &str) -> io::Result<()> {
    let mut f = create_private(path)?;
    f.write_all(html.as_bytes())?;
    f.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{RowOutcome, RowStatus};
    use crate::report::Summary;

    #[test]
    fn hostile_values_are_text_not_markup() {
        assert_eq!(
            escape(r#"<script>alert("1")</script>&'"#),
            "&lt;script&gt;alert(&quot;1&quot;)&lt;/script&gt;&amp;&#39;"
        );
        let mut agg = Aggregate::default();
        agg.add(&RowOutcome {
            location_id: Some("<img src=x onerror=alert(1)>".into()),
            errors: vec![
                "column '<script>alert(1)</script>': \"<script>alert(1)</script>\" is not valid"
                    .into(),
            ],
            ..RowOutcome::new(0, 2, RowStatus::Invalid)
        });
        let summary = Summary {
            input: "<script>alert(1)</script>.csv".into(),
            ..Summary::default()
        };
        let html = Page::of_run(&agg, &summary).render();
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    }
}
