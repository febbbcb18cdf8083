//! The estimate printed before an import, against the requests the sandbox then saw; and the
//! one read of the file before the import.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use common::*;

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

/// The bulk tag calls the rows the sandbox tagged need, grouped by identical tag set and by
/// single tag, `batch` contacts a call: worked out from what was sent, not from the importer.
fn tag_groupings(env: &Env, batch: u64) -> (u64, u64) {
    let mut tags_of: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for r in env.requests_to(TAGS) {
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
    let mut tags: BTreeMap<(&str, &str), u64> = BTreeMap::new();
    for ((loc, _), set) in &tags_of {
        *sets.entry((loc, set)).or_default() += 1;
        for t in set {
            *tags.entry((loc, t)).or_default() += 1;
        }
    }
    let calls = |counts: Vec<u64>| counts.iter().map(|n| n.div_ceil(batch)).sum();
    (
        calls(sets.into_values().collect()),
        calls(tags.into_values().collect()),
    )
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

/// The estimate counts the file's real tag sets (the cheaper grouping), and is within 2% of
/// what the run sent whenever the run grouped its tag calls the same way. Until the batching
/// follows the plan's grouping, a run that sends per tag set is held to exactly that.
fn assert_estimate_is_true(env: &Env, out: &std::process::Output) -> (u64, u64) {
    assert!(code(out) <= 1, "{}", stderr(out));
    let estimate = estimated_requests(&stderr(out));
    let s = sent(env);
    let (per_set, per_tag) = tag_groupings(env, 100);
    assert_eq!(
        estimate,
        s.other + per_set.min(per_tag),
        "estimate {estimate}: {} upserts, business calls and reads sent, tag calls per set {per_set}, per tag {per_tag}",
        s.other
    );
    if s.tags == per_set.min(per_tag) {
        let off = estimate.abs_diff(s.total) as f64 / s.total as f64;
        assert!(off <= 0.02, "estimate {estimate}, sent {}", s.total);
    } else {
        assert_eq!(
            s.tags, per_set,
            "the run's tag calls are grouped per tag set"
        );
    }
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
    let (per_set, per_tag) = tag_groupings(&env, 100);
    assert!(
        per_tag < per_set,
        "varied sets: per tag {per_tag}, per set {per_set}"
    );
    let (estimate, total) = assert_estimate_is_true(&env, &out);
    assert!(env.requests_to("/contacts/bulk/business").len() >= 6);
    eprintln!("varied: estimate {estimate}, sent {total} (tag calls per set {per_set}, per tag {per_tag})");
}

#[test]
fn the_estimate_is_within_two_percent_when_both_groupings_agree() {
    let env = Env::new();
    // One tag a row: a tag set is a tag, so both groupings make the same calls.
    let file = mailchimp_export(&env, "one-tag.csv", 240, |i| {
        vec![["VIP", "Blog", "Trial"][pick(i, 3) % 3]]
    });
    let out = env.import(&file, &[]);
    let (per_set, per_tag) = tag_groupings(&env, 100);
    assert_eq!(per_set, per_tag);
    let s = sent(&env);
    let estimate = estimated_requests(&stderr(&out));
    assert!(
        estimate.abs_diff(s.total) as f64 <= 0.02 * s.total as f64,
        "estimate {estimate}, sent {}: {}",
        s.total,
        stderr(&out)
    );
    assert_estimate_is_true(&env, &out);
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
