//! What the throughput benchmarks share: the tagged contacts file, the share of a quota a run
//! used, and the floor of calls per row.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

use ghl_import::api::calls::BulkTally;

/// The eight tags rows pick from, as CRM exports carry them (lifecycle, source, interest).
pub const TAGS: [&str; 8] = [
    "lead",
    "customer",
    "newsletter",
    "webinar-2024",
    "vip",
    "referral",
    "trade-show",
    "cold",
];

/// A seeded xorshift: the same file on every run.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A phone cell as CRM exports carry them (`crm-exports.md`): national US shapes (Keap's
/// `(415) 555-0123`, Mailchimp's `608-235-2727` and `1.614.565.8232`), international ones with
/// and without spaces (HubSpot's `+61412345678`), Keap's leading apostrophe and trailing
/// spaces, and empty cells. Every number is valid and the row's own (`n`), so no row is left
/// out or merged for it: the calls stay the tags' and upserts'.
pub fn phone(rng: &mut Rng, n: usize) -> String {
    const AREAS: [u32; 6] = [212, 415, 614, 608, 312, 720];
    let area = AREAS[rng.below(AREAS.len())];
    let exchange = 200 + rng.below(800);
    let (hi, lo) = (n / 10_000 % 100, n % 10_000);
    match rng.below(10) {
        0 => format!("({area}) 555-{lo:04}"),
        1 | 2 => format!("{area}-{exchange}-{lo:04}"),
        3 => format!("1.{area}.{exchange}.{lo:04}"),
        4 => format!("+1 {area} {exchange} {lo:04}"),
        5 => format!("+44 20 79{hi:02} {lo:04}"),
        6 => format!("+6141{hi:02}{lo:05}"),
        7 => format!("'+65 87{hi:02}{lo:04}   "),
        8 => format!("+49 30 90{hi:02}{lo:04}"),
        _ => String::new(),
    }
}

/// Writes `rows` contacts spread over `locations` (each row's location drawn at random), each
/// with 0–3 of [`TAGS`] (varied sets, as real files have) and a [`phone`] cell, and returns
/// every location's tally of the bulk changes the rows carry.
pub fn write_tagged_rows(
    path: &Path,
    locations: &[String],
    rows: usize,
    seed: u64,
) -> HashMap<String, BulkTally> {
    let mut rng = Rng::new(seed);
    // Phones from their own draws: the rows' locations and tag sets are those of the file
    // without them.
    let mut phones = Rng::new(seed.rotate_left(17));
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(f, "locationId,First Name,Email,Phone,Tags").unwrap();
    let mut tallies: HashMap<String, BulkTally> = HashMap::new();
    for i in 0..rows {
        let loc = &locations[rng.below(locations.len())];
        let mut tags: Vec<String> = Vec::new();
        for _ in 0..rng.below(4) {
            let t = TAGS[rng.below(TAGS.len())].to_owned();
            if !tags.contains(&t) {
                tags.push(t);
            }
        }
        writeln!(
            f,
            "{loc},Person{i},person{i}@example.com,{},\"{}\"",
            phone(&mut phones, i),
            tags.join(",")
        )
        .unwrap();
        tallies.entry(loc.clone()).or_default().add_row(&tags, None);
    }
    tallies
}

/// The fewest calls the rows need: one upsert each, plus each location's bulk tag and business
/// calls grouped the cheaper way (`BulkTally`).
pub fn floor_calls(tallies: &HashMap<String, BulkTally>) -> u64 {
    tallies
        .values()
        .map(|t| t.upserts + t.tag_calls(100).1 + t.business_calls())
        .sum()
}

/// Requests a quota of `max` per `per` allows one location over a run of `elapsed`, counted
/// from the first instant: a fresh sliding window lets `max` go at once, and only `max` more
/// per `per` after that, so `max × elapsed / per`, and never less than the first window's
/// `max` (`max × max(elapsed, per) / per`).
pub fn allowed(max: u32, per: Duration, elapsed: Duration) -> f64 {
    max as f64 * elapsed.max(per).as_secs_f64() / per.as_secs_f64()
}

/// The most any client could send in a run of `elapsed`: `max` in each window the run touches
/// (`max × ⌈T / per⌉`), which only bursts of `max` at the start of every window reach.
pub fn allowed_strict(max: u32, per: Duration, elapsed: Duration) -> f64 {
    max as f64 * (elapsed.as_secs_f64() / per.as_secs_f64()).ceil().max(1.0)
}
