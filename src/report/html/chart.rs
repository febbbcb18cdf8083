//! One inline SVG a location: requests per second over the run, and the quota as a dashed
//! line. At most [`crate::api::series::MAX_POINTS`] points, so its size is bounded.

use std::fmt::Write as _;

use super::escape;
use crate::api::LocationSeries;

const W: f64 = 760.0;
const H: f64 = 190.0;
const LEFT: f64 = 52.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 14.0;
const BOTTOM: f64 = 30.0;

pub fn svg(s: &LocationSeries) -> String {
    let rates: Vec<f64> = s.rates().collect();
    let top = nice_ceiling(
        rates
            .iter()
            .copied()
            .fold(s.quota_per_sec, f64::max)
            .max(1.0)
            * 1.08,
    );
    let span = (s.bucket_secs * rates.len() as u64).max(1) as f64;
    let (pw, ph) = (W - LEFT - RIGHT, H - TOP - BOTTOM);
    let x = |t: f64| LEFT + t / span * pw;
    let y = |v: f64| TOP + ph - v / top * ph;
    let mut out = String::with_capacity(2048 + rates.len() * 24);
    let _ = write!(
        out,
        r#"<svg class="chart" viewBox="0 0 {W} {H}" width="100%" role="img" aria-label="requests per second in location {}, against a quota of {} per second">"#,
        escape(&super::aggregate::cut(
            &s.location,
            super::aggregate::MAX_NAME
        )),
        fmt_num(s.quota_per_sec)
    );
    // Grid and y axis labels.
    for i in 0..=4 {
        let v = top * f64::from(i) / 4.0;
        let _ = write!(
            out,
            r##"<line x1="{LEFT}" x2="{:.1}" y1="{yy:.1}" y2="{yy:.1}" stroke="#e5e7eb"/><text x="{:.1}" y="{:.1}" text-anchor="end" class="tick">{}</text>"##,
            W - RIGHT,
            LEFT - 6.0,
            y(v) + 4.0,
            fmt_num(v),
            yy = y(v),
        );
    }
    // x axis labels: start, middle, end of the run.
    for (i, anchor) in [(0.0, "start"), (0.5, "middle"), (1.0, "end")] {
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="{anchor}" class="tick">{}</text>"#,
            x(span * i),
            H - 10.0,
            clock(span * i)
        );
    }
    if !rates.is_empty() {
        // A step line: each bucket's rate held over its width.
        let mut d = format!("M{:.1} {:.1}", x(0.0), y(0.0));
        let w = s.bucket_secs as f64;
        for (i, r) in rates.iter().enumerate() {
            let t = i as f64 * w;
            let _ = write!(d, "L{:.1} {:.1}L{:.1} {:.1}", x(t), y(*r), x(t + w), y(*r));
        }
        let _ = write!(
            out,
            r##"<path d="{d}L{:.1} {:.1}Z" fill="#2563eb" fill-opacity="0.15" stroke="#2563eb" stroke-width="1.5" stroke-linejoin="round"/>"##,
            x(span),
            y(0.0)
        );
    }
    if s.quota_per_sec > 0.0 {
        let q = y(s.quota_per_sec);
        let _ = write!(
            out,
            r##"<line x1="{LEFT}" x2="{:.1}" y1="{q:.1}" y2="{q:.1}" stroke="#dc2626" stroke-width="1.5" stroke-dasharray="6 4"/><text x="{:.1}" y="{:.1}" text-anchor="end" class="quota">quota {}/s</text>"##,
            W - RIGHT,
            W - RIGHT - 4.0,
            q - 5.0,
            fmt_num(s.quota_per_sec)
        );
    }
    let _ = write!(
        out,
        r##"<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{:.1}" stroke="#6b7280"/><line x1="{LEFT}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="#6b7280"/></svg>"##,
        TOP + ph,
        W - RIGHT,
        TOP + ph,
        TOP + ph
    );
    out
}

/// A round number at least `v`: 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 × a power of ten.
fn nice_ceiling(v: f64) -> f64 {
    let p = 10f64.powf(v.log10().floor());
    [1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0]
        .iter()
        .map(|m| m * p)
        .find(|c| *c >= v)
        .unwrap_or(10.0 * p)
}

fn fmt_num(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// `m:ss`, or `h:mm:ss` past an hour.
pub fn clock(secs: f64) -> String {
    let s = secs.round() as u64;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, (s % 3600) / 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_the_rate_and_the_quota_with_the_location_escaped() {
        let s = LocationSeries {
            location: "<loc>".into(),
            quota_per_sec: 10.0,
            bucket_secs: 1,
            requests: vec![8, 10, 9, 0],
            requests_total: 27,
            peak_per_sec: 10.0,
            ..LocationSeries::default()
        };
        let svg = svg(&s);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("location &lt;loc&gt;"));
        assert!(svg.contains("quota 10/s"));
        assert!(svg.contains("<path d=\"M"));
        assert_eq!(nice_ceiling(11.0), 12.0);
        assert_eq!(nice_ceiling(0.35), 0.4);
        assert_eq!(clock(3725.0), "1:02:05");
    }
}
