//! Each per-value check of the dry run alone, in ns per value, over the messy file's values
//! (benches/common/messy.rs): phone cells as the validator reads them, emails, dates, date
//! order readings, countries. Nothing is cached between values, so repeating the corpus costs
//! like distinct values. Best of several rounds (the machine is shared).
//!
//! Run: `cargo bench --bench checks` (`-- NAME` runs the checks whose name contains NAME,
//! `-- --each` times each phone cell of the corpus apart).

use std::hint::black_box;
use std::time::Instant;

use ghl_import::validation::{self, cells, dates, normalise_country, normalise_email, read_phone};
use phonenumber::country::Id as Region;

#[path = "common/messy.rs"]
#[allow(dead_code)]
mod messy;

/// The email cells the messy file holds, in its proportions.
fn emails() -> Vec<String> {
    (0..1_000)
        .map(|i| match i % 20 {
            0 => format!("bad.{i}@"),
            1 => format!("user {i}@example.com"),
            2 => String::new(),
            _ => format!("Person.{i}@Example{}.COM", i % 13),
        })
        .collect()
}

/// Best ns per value of `check` over `values`, from rounds of at least 50 ms.
fn ns_per_value<T>(values: &[T], mut check: impl FnMut(&T) -> usize) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..7 {
        let started = Instant::now();
        let mut n = 0usize;
        let mut sink = 0usize;
        while started.elapsed().as_millis() < 50 {
            for v in values {
                sink = sink.wrapping_add(check(black_box(v)));
            }
            n += values.len();
        }
        black_box(sink);
        best = best.min(started.elapsed().as_nanos() as f64 / n as f64);
    }
    best
}

/// The phone cell as `Validator::validate` reads it: first of several values, decorations
/// cleaned, then the number read in the default country.
fn phone_cell(raw: &str) -> usize {
    let (first, others) = if cells::is_scientific(raw) {
        (raw.into(), Vec::new())
    } else {
        cells::first_of(raw, cells::is_phone_piece)
    };
    let read = cells::clean_phone(first.trim())
        .and_then(|t| read_phone(t, Region::US).map_err(|e| format!("not valid ({e})")));
    others.len() + read.map_or(0, |p| p.e164.len())
}

fn email_cell(raw: &str) -> usize {
    let (first, others) = cells::first_of(raw, cells::is_email_piece);
    others.len() + normalise_email(&first).map_or(1, |e| e.len())
}

fn main() {
    let filter = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .unwrap_or_default();
    let emails = emails();
    let cleaned: Vec<&str> = messy::PHONES
        .iter()
        .filter_map(|p| cells::clean_phone(p).ok())
        .collect();
    type Check<'a> = (&'a str, Box<dyn Fn() -> f64 + 'a>);
    let checks: Vec<Check> = vec![
        (
            "phone cell",
            Box::new(|| ns_per_value(messy::PHONES, |p| phone_cell(p))),
        ),
        (
            "read_phone",
            Box::new(|| {
                ns_per_value(&cleaned, |p| {
                    read_phone(p, Region::US).map_or(0, |p| p.e164.len())
                })
            }),
        ),
        (
            "email cell",
            Box::new(|| ns_per_value(&emails, |e| email_cell(e))),
        ),
        (
            "normalise_email",
            Box::new(|| {
                ns_per_value(&emails, |e| {
                    normalise_email(e.trim()).map_or_else(|e| e.len(), |e| e.len())
                })
            }),
        ),
        (
            "date of birth",
            Box::new(|| {
                ns_per_value(messy::DATES, |d| {
                    dates::date_of_birth(d, None).map_or(0, |d| d.map_or(1, |d| d.len()))
                })
            }),
        ),
        (
            "date reading",
            Box::new(|| ns_per_value(messy::DATES, |d| dates::reading(d) as usize)),
        ),
        (
            "country",
            Box::new(|| {
                ns_per_value(messy::COUNTRIES, |c| {
                    normalise_country(c).map_or(0, str::len)
                })
            }),
        ),
        (
            "normalise_date",
            Box::new(|| {
                ns_per_value(messy::DATES, |d| {
                    validation::normalise_date(d).map_or(0, |d| d.len())
                })
            }),
        ),
    ];
    if std::env::args().any(|a| a == "--each") {
        // Which values are slow: each phone cell on its own.
        for p in messy::PHONES.iter().filter(|p| p.contains(filter.as_str())) {
            let ns = ns_per_value(&[*p], |p| phone_cell(p));
            println!("{p:<24} {ns:>8.1} ns");
        }
        return;
    }
    for (name, run) in &checks {
        if name.contains(filter.as_str()) {
            println!("{name:<16} {:>8.1} ns/value", run());
        }
    }
}
