//! Ctrl-C and SIGTERM: stop taking rows, finish what is in flight, report every row, exit 130.

mod common;

use std::time::Duration;

use common::*;
use ghl_import::sandbox::SandboxConfig;

fn interrupted_run(signal: i32) {
    let env = Env::with(SandboxConfig {
        latency: (Duration::from_millis(20), Duration::from_millis(40)),
        ..fast_config()
    });
    let mut csv = String::from("email,tags\n");
    for i in 0..150 {
        csv.push_str(&format!("sig{i}@example.com,t{}\n", i % 3));
    }
    let file = env.write("big.csv", &csv);
    let mut cmd = env.cmd();
    cmd.arg("import")
        .arg(&file)
        .args(["--rate-limit", "20/200ms", "--report"])
        .arg(env.path("report.csv"));
    let child = cmd.stderr(std::process::Stdio::piped()).spawn().unwrap();
    // Wait until some rows are through, then signal.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while env.sandbox.contacts(LOCATION).len() < 10 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: signalling our own child process.
    assert_eq!(unsafe { libc::kill(child.id() as i32, signal) }, 0);
    let out = child.wait_with_output().unwrap();
    assert_eq!(code(&out), 130, "{}", stderr(&out));

    let report = read_report(&env.path("report.csv"));
    assert_eq!(report.len(), 150, "every row is reported");
    let rows: Vec<u64> = report.iter().map(|r| r["row"].parse().unwrap()).collect();
    assert_eq!(rows, (2..152).collect::<Vec<u64>>());
    let done = report.iter().filter(|r| r["status"] == "created").count();
    let deferred = report.iter().filter(|r| r["status"] == "deferred").count();
    assert_eq!(done + deferred, 150);
    assert!(
        done >= 10 && deferred > 0,
        "created {done}, deferred {deferred}"
    );
    assert_eq!(
        env.sandbox.contacts(LOCATION).len(),
        done,
        "the report matches the sandbox"
    );
    // Rows in flight finished their tags too.
    assert!(report
        .iter()
        .filter(|r| r["status"] == "created")
        .all(|r| r["tags_status"] == "added"));
    assert!(stderr(&out).contains("interrupted"), "{}", stderr(&out));

    // The same command again resumes: only the deferred rows are sent, each once.
    let mut owed: Vec<String> = report
        .iter()
        .filter(|r| r["status"] == "deferred")
        .map(|r| r["email"].clone())
        .collect();
    owed.sort();
    let before = env.requests().len();
    let out = env.import(&file, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("{done} of 150 rows done")),
        "{}",
        stderr(&out)
    );
    // A request the sandbox refused with 429 (a loaded machine's late wake-up) is sent again
    // and is not a second upsert; every accepted one is counted.
    let mut upserted: Vec<String> = env.requests()[before..]
        .iter()
        .filter(|r| r.path == "/contacts/upsert" && r.status != 429)
        .map(|r| {
            r.body.as_ref().unwrap()["email"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    upserted.sort();
    assert_eq!(upserted.len(), deferred);
    assert_eq!(
        upserted, owed,
        "only the deferred rows are upserted, each once"
    );
    let report = read_report(&env.path("report.csv"));
    assert_eq!(report.len(), 150);
    assert!(report
        .iter()
        .all(|r| r["status"] == "created" && r["tags_status"] == "added"));
    assert_eq!(env.sandbox.contacts(LOCATION).len(), 150);
}

#[test]
fn ctrl_c_reports_every_row_and_exits_130() {
    interrupted_run(libc::SIGINT);
}

#[test]
fn sigterm_behaves_like_ctrl_c() {
    interrupted_run(libc::SIGTERM);
}
