//! One process, many locations: the built binary imports into 1,000 locations at once, each
//! its own lane with a scaled-down quota (10 requests per 10 s: HighLevel's window with a
//! tenth of its quota, so that the sandbox on the same 2 cores keeps up with 1,000 of them;
//! sliding window, 50–250 ms of latency), against the sandbox served from this process on 127.0.0.1. Prints:
//! - the share of the summed quota used over the whole run (requests ÷ locations ×
//!   `max × T / per`, T the wall clock from spawning the importer to its exit, as in the
//!   throughput benchmark);
//! - the importer's own CPU time (user + system, from `wait4` on the child, so the sandbox's
//!   work in this process is not counted) per 1,000 requests;
//! - its wake-ups per 1,000 requests (voluntary context switches, from `wait4`): a figure
//!   that, unlike CPU time, hardly moves with the machine's load;
//! - its memory per location: peak RSS of the run minus that of the same run with one
//!   location, ÷ the extra locations.
//!
//! Each location gets the same number of rows, in shuffled order (a merged export sorted by
//! anything but location); rows carry no tags unless asked (`tags`).
//!
//! Run: `cargo bench --bench locations` (about 90 s); `-- 200` for another number of
//! locations, `-- 1000 40` for 40 rows per location, `tags` to give every row a tag
//! (see benches/README.md: with many locations in one file, the rows waiting for their location's tag
//! call hold the report back, and the run slows to a crawl);
//! `PERF_DATA=/tmp/perf.data` profiles the importer's runs with `perf record` (into
//! `/tmp/perf.data.sqlite` and `.none`)
//! (`PERF_CALLGRAPH=dwarf` for call graphs through Rust code); `LOCATIONS_EXE=path` runs
//! another build of the importer (to compare two builds alternately); `LOCATIONS_H2C=1` runs
//! the importer on HTTP/2 with prior knowledge (`GHL_IMPORT_H2C`), every request on one
//! connection, `LOCATIONS_H2_STREAMS=n` the sandbox's stream limit (default 200, hyper's).

#[path = "common/child.rs"]
mod child;
#[path = "common/quota.rs"]
#[allow(dead_code)]
mod quota;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ghl_import::sandbox::{self, SandboxConfig};

const MAX: u32 = 10;
const PER: Duration = Duration::from_secs(10);
const TOKEN: &str = "bench-token";

struct Run {
    locations: usize,
    state: bool,
    rows: usize,
    elapsed: Duration,
    requests: usize,
    throttled: usize,
    imported: usize,
    usage: child::ChildUsage,
    /// Requests per second over the middle half of the run ÷ the summed quota.
    middle: f64,
    /// From the start to the first request, and from the last request to the exit, s.
    start: f64,
    tail: f64,
}

impl Run {
    fn share(&self) -> f64 {
        self.requests as f64 / (self.locations as f64 * quota::allowed(MAX, PER, self.elapsed))
    }

    fn cpu_per_1000(&self) -> f64 {
        self.usage.cpu.as_secs_f64() * 1000.0 / (self.requests as f64 / 1000.0)
    }

    fn print(&self) {
        println!(
            "{:>9} {:>6} {:>7} {:>8.2} s {:>9} {:>5} {:>10.3} {:>8.3} {:>6.2} {:>6.2} {:>8.2} s {:>12.1} {:>8.0} {:>8.1} MB",
            self.locations,
            if self.state { "sqlite" } else { "none" },
            self.rows,
            self.elapsed.as_secs_f64(),
            self.requests,
            self.throttled,
            self.share(),
            self.middle,
            self.start,
            self.tail,
            self.usage.cpu.as_secs_f64(),
            self.cpu_per_1000(),
            self.usage.waits as f64 / (self.requests as f64 / 1000.0),
            self.usage.max_rss_kb as f64 / 1024.0,
        );
    }
}

fn write_rows(path: &Path, locations: usize, rows: usize, tag: &str) {
    let mut rng = quota::Rng::new(0x2545_F491_4F6C_DD1D);
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(f, "locationId,First Name,Last Name,Email,Phone,Tags").unwrap();
    // Every location gets the same number of rows (rows ÷ locations), in shuffled order, so
    // the run measures the importer, not one location with more rows than the rest.
    let mut order: Vec<usize> = (0..rows).map(|i| i % locations).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, rng.below(i + 1));
    }
    for (i, loc) in order.into_iter().enumerate() {
        writeln!(
            f,
            "agency-loc-{loc:04},Person{i},Family{},person{i}@example.com,+1 {} 555 {:04},{tag}",
            i % 97,
            // A phone of its own for every row (a shared one would match another contact).
            [212, 310, 415, 512, 617, 702, 808, 917][i / 10_000 % 8],
            i % 10_000
        )
        .unwrap();
    }
}

/// `"1"` when the importer is to speak HTTP/2 with prior knowledge.
fn h2c() -> String {
    std::env::var("LOCATIONS_H2C").unwrap_or_default()
}

fn run(
    rt: &tokio::runtime::Runtime,
    dir: &Path,
    locations: usize,
    per_location: usize,
    tag: &str,
    state: bool,
) -> Run {
    let sb = rt
        .block_on(sandbox::start(SandboxConfig {
            token: Some(TOKEN.into()),
            rate_max: MAX,
            rate_interval: PER,
            daily_limit: u64::MAX,
            latency: (Duration::from_millis(50), Duration::from_millis(250)),
            record_requests: true,
            seed: Some(7),
            http2_max_streams: std::env::var("LOCATIONS_H2_STREAMS")
                .ok()
                .and_then(|n| n.parse().ok())
                .unwrap_or(200),
            ..SandboxConfig::default()
        }))
        .unwrap();
    let rows = locations * per_location;
    let input = dir.join(format!("rows-{locations}.csv"));
    write_rows(&input, locations, rows, tag);
    let started = Instant::now();
    // `LOCATIONS_EXE=/path/to/ghl-import` runs another build (before/after, alternately).
    let exe = std::env::var("LOCATIONS_EXE")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_ghl-import").to_owned());
    let exe = exe.as_str();
    // `PERF_DATA=/tmp/perf.data` profiles the importer (perf record, call graphs).
    let mut cmd = match std::env::var("PERF_DATA") {
        Ok(out) if locations > 1 => {
            let mut c = Command::new("perf");
            // `PERF_CALLGRAPH=dwarf` for call graphs through code built without frame pointers.
            let graph = std::env::var("PERF_CALLGRAPH").unwrap_or_else(|_| "fp".into());
            c.args([
                "record",
                "-e",
                "cpu-clock",
                "-F",
                "499",
                "--call-graph",
                &graph,
            ]);
            let out = format!("{out}.{}", if state { "sqlite" } else { "none" });
            c.args(["-o", &out, exe]);
            c
        }
        _ => Command::new(exe),
    };
    // Reaped by wait4, which also gives its peak RSS and CPU time.
    #[allow(clippy::zombie_processes)]
    let child = cmd
        .args([
            "import",
            "-q",
            "--rate-limit",
            &format!("{MAX}/{}s", PER.as_secs()),
            "--concurrency",
            "1024",
        ])
        .arg(&input)
        .arg("--report")
        .arg(dir.join("report.csv"))
        .env("GHL_TOKEN", TOKEN)
        .env("GHL_IMPORT_H2C", h2c())
        .env("GHL_BASE_URL", sb.base_url())
        .env(
            "GHL_IMPORT_STATE",
            dir.join(format!("state-{locations}.db")),
        )
        .args(if state { &[][..] } else { &["--no-state"][..] })
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let usage = child::wait_with_rusage(child.id() as i32);
    let elapsed = started.elapsed();
    assert_eq!(usage.code, 0, "ghl-import exited {}", usage.code);
    let reqs = sb.requests();
    let mut at: Vec<Instant> = reqs.iter().map(|r| r.at).collect();
    at.sort();
    let (q1, q3) = (at[at.len() / 4], at[at.len() * 3 / 4]);
    let middle = (at.len() / 2) as f64
        / (q3 - q1).as_secs_f64()
        / (locations as f64 * MAX as f64 / PER.as_secs_f64());
    let imported = (0..locations)
        .map(|l| sb.contacts(&format!("agency-loc-{l:04}")).len())
        .sum();
    rt.block_on(sb.shutdown());
    Run {
        locations,
        state,
        rows,
        elapsed,
        requests: reqs.len(),
        throttled: reqs.iter().filter(|r| r.status == 429).count(),
        imported,
        usage,
        middle,
        start: (at[0] - started).as_secs_f64(),
        tail: (started + elapsed - at[at.len() - 1]).as_secs_f64(),
    }
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let locations = args.first().copied().unwrap_or(1_000).max(2);
    let per_location = args.get(1).copied().unwrap_or(24);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    println!(
        "quota {MAX}/{}s per location (sliding window), latency 50-250 ms, {per_location} rows per location, {}",
        PER.as_secs(),
        if h2c().is_empty() { "HTTP/1.1" } else { "HTTP/2 (prior knowledge)" }
    );
    println!(
        "{:>9} {:>6} {:>7} {:>10} {:>9} {:>5} {:>10} {:>8} {:>6} {:>6} {:>10} {:>12} {:>8} {:>11}",
        "locations",
        "state",
        "rows",
        "elapsed",
        "requests",
        "429s",
        "share",
        "middle",
        "start",
        "tail",
        "CPU",
        "CPU ms/1000",
        "waits/1000",
        "peak RSS"
    );
    println!("share: of the summed quota over the whole run; middle: over its middle half; start, tail: s before the first request and after the last");
    println!("waits/1000: the importer's voluntary context switches (its threads parking: wake-ups) per 1,000 requests");
    let tag = if std::env::args().any(|a| a == "tags") {
        "migrated"
    } else {
        ""
    };
    let base = run(&rt, dir.path(), 1, per_location, tag, true);
    base.print();
    let many = run(&rt, dir.path(), locations, per_location, tag, true);
    many.print();
    assert_eq!(many.imported, many.rows, "every row was imported");
    let bare = run(&rt, dir.path(), locations, per_location, tag, false);
    bare.print();
    let per_loc_kb =
        (many.usage.max_rss_kb - base.usage.max_rss_kb) as f64 / (locations - 1) as f64;
    println!(
        "{locations} locations: {:.3} of the summed quota, {:.1} ms of importer CPU per 1,000 requests ({:.1} with --no-state), {:.1} kB per location",
        many.share(),
        many.cpu_per_1000(),
        bare.cpu_per_1000(),
        per_loc_kb
    );
    // One core at this CPU cost, for locations at HighLevel's 10 requests/s.
    let per_request = many.usage.cpu.as_secs_f64() / many.requests as f64;
    println!(
        "one core at that cost: {:.0} requests/s, {:.0} locations at 10 requests/s each",
        1.0 / per_request,
        1.0 / per_request / 10.0
    );
}
