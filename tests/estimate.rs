//! The estimate printed before an import, against the requests the sandbox then saw; and the
//! one read of the file before the import.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use common::*;
use ghl_import::sandbox;

const TAGS: &str = "/contacts/bulk/tags/update/add";

/// "estimate: about 30 rows, about 40 requests (…)" → 40.
fn estimated_requests(stderr: &str) -> u64 {
    let line = stderr
        .lines()
        .find(|l| l.starts_with("estimate: about "))
        .unwrap_or_else(|| panic!("no estimate line in:\n{stderr}"));
    let (_, rest) = line.split_once(" rows, about ").unwrap();
    rest.split_whitespace().next().unwrap().parse().unwrap()
}

/// The bulk tag calls the rows the sandbox tagged need, `batch` contacts a call, grouped per
/// identical tag set, per single tag, and per set for full batches then per tag for the rest:
/// worked out from what was sent, not from the importer.
struct Groupings {
    per_set: u64,
    per_tag: u64,
    sets_then_tags: u64,
}

impl Groupings {
    fn cheapest(&self) -> u64 {
        self.per_set.min(self.per_tag).min(self.sets_then_tags)
    }
}

fn tag_groupings(env: &Env, batch: u64) -> Groupings {
    let mut tags_of: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for r in env
        .requests_to(TAGS)
        .into_iter()
        .filter(|r| r.status != 429)
    {
        let body = r.body.unwrap();
        let loc = r.location_id.unwrap();
        for c in body["contacts"].as_array().unwrap() {
            let set = tags_of
                .entry((loc.clone(), c.as_str().unwrap().to_owned()))
                .or_default();
            for t in body["tags"].as_array().unwrap() {
                set.insert(t.as_str().unwrap().to_owned());
            }
        }
    }
    let mut sets: BTreeMap<(&str, &BTreeSet<String>), u64> = BTreeMap::new();
    for ((loc, _), set) in &tags_of {
        *sets.entry((loc, set)).or_default() += 1;
    }
    let (mut tags, mut left) = (BTreeMap::new(), BTreeMap::new());
    let mut full = 0;
    for ((loc, set), n) in &sets {
        full += n / batch;
        for t in *set {
            *tags.entry((*loc, t)).or_default() += n;
            *left.entry((*loc, t)).or_default() += n % batch;
        }
    }
    let calls = |counts: Vec<u64>| -> u64 { counts.iter().map(|n| n.div_ceil(batch)).sum() };
    Groupings {
        per_set: calls(sets.into_values().collect()),
        per_tag: calls(tags.into_values().collect()),
        sets_then_tags: full + calls(left.into_values().collect()),
    }
}

struct Sent {
    total: u64,
    tags: u64,
    other: u64,
}

/// The calls the run made. A call refused with 429 and sent again is counted once: pacing,
/// not the estimate, answers for those.
fn sent(env: &Env) -> Sent {
    let all: Vec<_> = env
        .requests()
        .into_iter()
        .filter(|r| r.status != 429)
        .collect();
    let tags = all.iter().filter(|r| r.path == TAGS).count() as u64;
    Sent {
        total: all.len() as u64,
        tags,
        other: all.len() as u64 - tags,
    }
}

/// The estimate counts the file's real tag sets (the cheapest grouping), and is within 2% of
/// what the run then sent.
fn assert_estimate_is_true(env: &Env, out: &std::process::Output) -> (u64, u64) {
    assert!(code(out) <= 1, "{}", stderr(out));
    let estimate = estimated_requests(&stderr(out));
    let s = sent(env);
    let g = tag_groupings(env, 100);
    assert_eq!(
        estimate,
        s.other + g.cheapest(),
        "estimate {estimate}: {} upserts, business calls and reads sent; tag calls per set {}, per tag {}, sets then tags {}",
        s.other, g.per_set, g.per_tag, g.sets_then_tags
    );
    assert_eq!(
        s.tags,
        g.cheapest(),
        "the run groups its tag calls as planned"
    );
    let off = estimate.abs_diff(s.total) as f64 / s.total as f64;
    assert!(off <= 0.02, "estimate {estimate}, sent {}", s.total);
    (estimate, s.total)
}

#[test]
fn the_estimate_for_the_sample_file_counts_its_real_tag_sets() {
    let env = Env::new();
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/contacts.csv");
    let summary = env.path("summary.json");
    let out = env.import(&sample, &["--summary-json", summary.to_str().unwrap()]);
    let (estimate, total) = assert_estimate_is_true(&env, &out);
    let s: serde_json::Value = serde_json::from_slice(&std::fs::read(&summary).unwrap()).unwrap();
    assert_eq!(
        s["estimated_requests"], estimate,
        "the summary keeps the estimate"
    );
    eprintln!("sample: estimate {estimate}, sent {total}");
}

/// A Mailchimp audience export an agency has given a sub-account column and a business
/// column: `rows` contacts over three locations, tags written the Mailchimp way.
fn mailchimp_export(
    env: &Env,
    name: &str,
    rows: usize,
    tags_of: impl Fn(usize) -> Vec<&'static str>,
) -> PathBuf {
    let mut s = String::from(
        "\"Email Address\",\"First Name\",\"Last Name\",\"Phone Number\",MEMBER_RATING,OPTIN_TIME,LEID,TAGS,\"Location ID\",\"Business ID\"\n",
    );
    for i in 0..rows {
        let tags: Vec<String> = tags_of(i).iter().map(|t| format!("\"\"{t}\"\"")).collect();
        let location = ["loc-north", "loc-south", "loc-west"][i % 3];
        let business = match i % 4 {
            0 => "",
            1 => "biz_retail",
            _ => "biz_wholesale",
        };
        s.push_str(&format!(
            "m{i}@example.com,Mia{i},Ng,+1 415 555 {:04},2,2024-03-12 09:14:00,{},\"{}\",{location},{business}\n",
            1000 + i,
            80_000 + i,
            tags.join(",")
        ));
    }
    env.write(name, &s)
}

/// A small deterministic shuffle, so the tag sets vary the way real files' do.
fn pick(i: usize, salt: usize) -> usize {
    (i.wrapping_mul(2_654_435_761).wrapping_add(salt * 40_503) >> 7) % 1_000
}

#[test]
fn the_estimate_for_varied_tag_sets_over_several_locations_counts_the_cheaper_grouping() {
    let env = Env::new();
    const ALL: [&str; 6] = [
        "VIP",
        "Blog",
        "Newsletter, weekly",
        "Webinar",
        "Trial",
        "Partner",
    ];
    let file = mailchimp_export(&env, "audience.csv", 300, |i| {
        let n = pick(i, 1) % 4;
        (0..n).map(|k| ALL[pick(i, 2 + k) % ALL.len()]).collect()
    });
    let out = env.import(&file, &["--tag", "imported-2026"]);
    let g = tag_groupings(&env, 100);
    assert!(
        g.per_tag < g.per_set,
        "per tag {}, per set {}",
        g.per_tag,
        g.per_set
    );
    let (estimate, total) = assert_estimate_is_true(&env, &out);
    assert!(env.requests_to("/contacts/bulk/business").len() >= 6);
    eprintln!(
        "varied: estimate {estimate}, sent {total} (tag calls per set {}, per tag {})",
        g.per_set, g.per_tag
    );
}

#[test]
fn the_estimate_for_an_audience_sharing_one_tag_set_among_varied_rows_counts_sets_then_tags() {
    let env = Env::new();
    // Most rows of each location carry the newsletter's two tags; the rest one or two of six
    // others, in many combinations.
    const OTHERS: [&str; 6] = ["Lead", "Customer", "Webinar", "Blog", "Trial", "Partner"];
    let file = mailchimp_export(&env, "newsletter.csv", 900, |i| {
        if pick(i, 5) % 10 < 8 {
            vec!["Newsletter", "VIP"]
        } else {
            let n = 1 + pick(i, 6) % 2;
            (0..n)
                .map(|k| OTHERS[pick(i, 7 + k) % OTHERS.len()])
                .collect()
        }
    });
    let out = env.import(&file, &[]);
    let g = tag_groupings(&env, 100);
    assert!(
        g.sets_then_tags < g.per_set.min(g.per_tag),
        "per set {}, per tag {}, sets then tags {}",
        g.per_set,
        g.per_tag,
        g.sets_then_tags
    );
    let (estimate, total) = assert_estimate_is_true(&env, &out);
    eprintln!("newsletter: estimate {estimate}, sent {total}");
}

/// Opens of one file, by anyone, seen through inotify (reads and closes are watched too, so
/// that two opens in a row are not merged into one event).
#[cfg(target_os = "linux")]
struct Opens(i32);

#[cfg(target_os = "linux")]
impl Opens {
    fn watch(path: &Path) -> Opens {
        use std::os::unix::ffi::OsStrExt;
        let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
        // SAFETY: plain syscalls on a descriptor this struct owns.
        unsafe {
            let fd = libc::inotify_init1(libc::IN_NONBLOCK | libc::IN_CLOEXEC);
            assert!(fd >= 0);
            assert!(
                libc::inotify_add_watch(
                    fd,
                    c.as_ptr(),
                    libc::IN_OPEN | libc::IN_ACCESS | libc::IN_CLOSE_NOWRITE
                ) >= 0
            );
            Opens(fd)
        }
    }

    fn count(&self) -> usize {
        let mut n = 0;
        let mut buf = [0u8; 4096];
        loop {
            // SAFETY: reads into a buffer of the length given.
            let got = unsafe { libc::read(self.0, buf.as_mut_ptr().cast(), buf.len()) };
            if got <= 0 {
                return n;
            }
            let mut at = 0;
            while at < got as usize {
                let mask = u32::from_ne_bytes(buf[at + 4..at + 8].try_into().unwrap());
                let len = u32::from_ne_bytes(buf[at + 12..at + 16].try_into().unwrap());
                n += usize::from(mask & libc::IN_OPEN != 0);
                at += 16 + len as usize;
            }
        }
    }
}

#[cfg(target_os = "linux")]
impl Drop for Opens {
    fn drop(&mut self) {
        // SAFETY: closes the descriptor this struct owns.
        unsafe { libc::close(self.0) };
    }
}

#[cfg(target_os = "linux")]
#[test]
fn tag_calls_held_for_the_end_of_their_locations_upserts_are_still_the_calls_the_estimate_counts() {
    // Every answer takes 100 ms: the lanes hold their ready calls for the end.
    let env = Env::with(sandbox::SandboxConfig {
        latency: (
            std::time::Duration::from_millis(100),
            std::time::Duration::from_millis(100),
        ),
        ..fast_config()
    });
    // Sorted by list: the weekly newsletter's 300 subscribers first (one full batch of the
    // same two tags in each location, filled early), then 450 contacts on no list.
    let file = mailchimp_export(&env, "by-list.csv", 750, |i| match i < 300 {
        true => vec!["Newsletter, weekly", "VIP"],
        false => Vec::new(),
    });
    let out = env.import(&file, &[]);
    let (estimate, total) = assert_estimate_is_true(&env, &out);
    let reqs = env.requests();
    let mut held = 0;
    for loc in ["loc-north", "loc-south", "loc-west"] {
        let of = |path: &'static str| {
            reqs.iter()
                .filter(move |r| r.path == path && r.location_id.as_deref() == Some(loc))
                .map(|r| r.at)
        };
        // Held for the end: behind every upsert of the location started then, all of its 250
        // but the last few.
        let upserts: Vec<_> = of("/contacts/upsert").collect();
        let late = |t: &std::time::Instant| upserts.iter().filter(|u| *u < t).count() >= 240;
        held += of(TAGS).filter(late).count();
    }
    assert!(
        held > 0,
        "every full tag batch went out mid-file, before its location's last upserts"
    );
    eprintln!("held for the end: {held} of 3 tag calls; estimate {estimate}, sent {total}");
}

#[test]
fn an_import_opens_the_file_once_before_the_import_reads_it() {
    let env = Env::new();
    // Dates to infer an order for, tags to tally, and a state store to fingerprint for.
    let sample =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/contacts.csv")).unwrap();
    let file = env.path("contacts.csv");
    std::fs::write(&file, sample).unwrap();
    let opens = Opens::watch(&file);
    let out = env.import(&file, &[]);
    assert!(code(&out) <= 1, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("estimate: about 30 rows"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        opens.count(),
        2,
        "one open for the pre-pass, one for the import"
    );
}

/// "(27 upserts, 13 bulk tag calls, …)" → 13.
fn estimated_tag_calls(stderr: &str) -> u64 {
    let line = stderr
        .lines()
        .find(|l| l.starts_with("estimate: about "))
        .unwrap();
    let (before, _) = line.split_once(" bulk tag calls").unwrap();
    before.rsplit(' ').next().unwrap().parse().unwrap()
}

#[test]
fn tags_whose_rows_lie_far_apart_are_estimated_with_their_early_batches_and_within_two_percent() {
    // Fast enough for 6,000 rows: more than the 4,096 rows the import holds for ordering.
    let env = Env::with(sandbox::SandboxConfig {
        rate_max: 2_000,
        ..fast_config()
    });
    // A Keap export: one or two of 100 segment tags a row, so each tag's 60-odd rows lie
    // across the whole file and its batch goes out part-full, early.
    let mut csv = String::from("\"Id\",\"First Name\",\"Email\",\"Tags\"\n");
    for i in 0..6_000 {
        let n = 1 + pick(i, 10) % 2;
        let tags: Vec<String> = (0..n)
            .map(|k| format!("Segment {}", pick(i, 11 + k) % 100))
            .collect();
        csv.push_str(&format!(
            "\"{}\",\"Kim{i}\",\"k{i}@example.com\",\"{}\"\n",
            9_000 + i,
            tags.join(",")
        ));
    }
    let file = env.write("keap.csv", &csv);
    let out = env.import(&file, &["--rate-limit", "2000/200ms"]);
    assert!(code(&out) <= 1, "{}", stderr(&out));
    let estimate = estimated_requests(&stderr(&out));
    let s = sent(&env);
    let g = tag_groupings(&env, 100);
    // Both the estimate and the import send a batch early once 4,096 rows have come after
    // its first: the count in file order, the import as rows come back (near file order
    // with one location, so a call or two either way at most).
    let tags_estimated = estimated_tag_calls(&stderr(&out));
    assert!(
        g.cheapest() <= s.tags
            && s.tags.abs_diff(tags_estimated) <= 2
            && tags_estimated > g.cheapest(),
        "tag calls: estimated {tags_estimated}, sent {}, floor {}",
        s.tags,
        g.cheapest()
    );
    let off = estimate.abs_diff(s.total) as f64 / s.total as f64;
    assert!(off <= 0.02, "estimate {estimate}, sent {}", s.total);
    eprintln!(
        "spread: estimate {estimate}, sent {}; tag calls estimated {tags_estimated}, sent {}, floor {}",
        s.total, s.tags, g.cheapest()
    );
}

/// `plan FILE` plus `extra`: the requests its summary says the import would make.
fn planned_requests(env: &Env, file: &Path, extra: &[&str]) -> u64 {
    let summary = env.path("plan.json");
    let out = env
        .cmd()
        .arg("plan")
        .arg(file)
        .args(["--rate-limit", "20/200ms", "--report"])
        .arg(env.path("plan.csv"))
        .arg("--summary-json")
        .arg(&summary)
        .args(extra)
        .output()
        .unwrap();
    assert!(code(&out) <= 1, "{}", stderr(&out));
    let s: serde_json::Value = serde_json::from_slice(&std::fs::read(&summary).unwrap()).unwrap();
    s["estimate"]["requests"].as_u64().unwrap()
}

#[test]
fn plan_counts_the_custom_field_read_the_import_makes_to_match_unmapped_columns() {
    let env = Env::new();
    // A shop's own customer list: "Shoe Size" maps to no contact field, so the import reads
    // the location's custom fields to match it by name (it matches none).
    let file = env.write(
        "customers.csv",
        "First Name,Last Name,Email,Phone,Shoe Size\n\
         Lucas,Moreau,lucas@moreau.fr,+33 1 42 68 53 00,44\n\
         Ann,Lee,ann@example.com,+1 415 555 0101,38\n\
         Bob,Ray,bob@example.com,+1 415 555 0102,42\n\
         Dee,Fox,dee@example.com,+1 415 555 0104,\n\
         Eve,Orr,eve@example.com,+1 415 555 0105,40\n",
    );
    let planned = planned_requests(&env, &file, &[]);
    env.sandbox.clear_requests();
    let out = env.import(&file, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        env.requests_to(&format!("/locations/{LOCATION}/customFields"))
            .len(),
        1,
        "the import read the custom fields once"
    );
    let sent = sent(&env).total;
    let estimated = estimated_requests(&stderr(&out));
    assert_eq!(
        (planned, estimated, sent),
        (6, 6, 6),
        "plan, the import's estimate and the requests sent: 5 upserts and the read"
    );
}

#[test]
fn with_changed_only_the_estimate_and_its_daily_check_count_only_the_rows_that_will_be_sent() {
    // 150 requests a day: the first import of the audience leaves about 45.
    let env = Env::with(sandbox::SandboxConfig {
        daily_limit: 150,
        ..fast_config()
    });
    let audience = |renamed: &str| {
        let mut s = String::from("\"Email Address\",\"First Name\",\"Last Name\",TAGS\n");
        for i in 0..100 {
            let first = if i == 40 {
                renamed.to_owned()
            } else {
                format!("Mia{i}")
            };
            let tags = ["\"\"\"VIP\"\"\"", "\"\"\"Blog\"\",\"\"Webinar\"\"\"", ""][i % 3];
            s.push_str(&format!("m{i}@example.com,{first},Ng,{tags}\n"));
        }
        s
    };
    let file = env.write("audience.csv", &audience("Mia40"));
    let out = env.import(&file, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // The next export: one contact changed her name, the rest is as it was.
    let file = env.write("audience.csv", &audience("Maya40"));
    let planned = planned_requests(&env, &file, &["--changed-only"]);
    env.sandbox.clear_requests();
    let out = env.import(&file, &["--changed-only"]);
    let err = stderr(&out);
    assert_eq!(code(&out), 0, "{err}");
    let estimated = estimated_requests(&err);
    let sent = sent(&env).total;
    assert_eq!(
        env.requests_to("/contacts/upsert").len(),
        1,
        "only the changed row is sent"
    );
    assert_eq!(
        (planned, estimated),
        (sent, sent),
        "plan --changed-only, the import's estimate and the requests sent:\n{err}"
    );
    assert!(
        err.contains("; 99 rows unchanged since last sent are left out (--changed-only)"),
        "{err}"
    );
    // The budget left is checked against the rows that will be sent, which fit.
    assert!(!err.contains("requests left today"), "{err}");
}
