//! `--html` and `ghl-import report`, rendered in a real browser (headless Chromium, Debian's
//! `chromium` package; `.ci/run` installs it): the visible text says what happened, a hostile
//! value is text and never markup, and a screenshot is taken. Also `completions` and `man`.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

const HOSTILE: &str = "<script>alert(1)</script>";

/// A HubSpot "All contacts" export (every field quoted) with a sub-account column added by the
/// agency: 40 rows over two locations, one of them named like markup, the first contact named
/// like markup, every fifth email broken the way exports break them.
fn hubspot_export(env: &Env) -> PathBuf {
    let mut s = String::from(
        "\"Record ID\",\"First Name\",\"Last Name\",\"Email\",\"Phone Number\",\"Contact owner\",\"Lead Status\",\"Create Date\",\"Location ID\"\n",
    );
    for i in 0..40 {
        let first = if i == 0 {
            HOSTILE.to_owned()
        } else {
            format!("Ann{i}")
        };
        let email = if i % 5 == 4 {
            format!("ann{i}@example")
        } else {
            format!("ann{i}@example.com")
        };
        let location = if i % 2 == 0 { LOCATION } else { HOSTILE };
        s.push_str(&format!(
            "\"{}\",\"{first}\",\"Jones\",\"{email}\",\"+61412{:06}\",\"Paul Charteris\",\"New\",\"2024-03-12 09:14\",\"{location}\"\n",
            51_000 + i,
            345_000 + i
        ));
    }
    env.write("hubspot-crm-exports-all-contacts-2026-02-10.csv", &s)
}

/// The browser: `$CHROMIUM`, else the first of chromium, chromium-browser, google-chrome on
/// PATH.
fn chromium() -> PathBuf {
    if let Some(p) = std::env::var_os("CHROMIUM") {
        return PathBuf::from(p);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        for dir in std::env::split_paths(&path) {
            let p = dir.join(name);
            if p.is_file() {
                return p;
            }
        }
    }
    panic!("this test needs headless Chromium: apt-get install -y chromium (or set CHROMIUM)");
}

/// Runs headless Chromium on `page` with `args`; its stdout. Killed after 90 s.
fn browse(page: &Path, args: &[String]) -> String {
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--hide-scrollbars",
            "--window-size=1100,1400",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(90);
    let out = loop {
        if child.try_wait().unwrap().is_some() {
            break child.wait_with_output().unwrap();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("chromium did not finish within 90 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The DOM Chromium built from the page, and its visible text (tags, style and entities
/// resolved), with whitespace collapsed.
fn render(page: &Path) -> (String, String) {
    let dom = browse(page, &["--dump-dom".to_owned()]);
    assert!(dom.contains("</html>"), "chromium gave no DOM: {dom}");
    let body = dom.split("</style>").last().unwrap();
    let mut text = String::new();
    let mut in_tag = false;
    for c in body.chars() {
        match c {
            '<' => {
                in_tag = true;
                text.push(' ');
            }
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    let text = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&");
    (dom, text.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Takes a screenshot of `page` and checks it is a PNG of some substance.
fn screenshot(page: &Path, png: &Path) {
    browse(page, &[format!("--screenshot={}", png.display())]);
    let bytes = std::fs::read(png).expect("chromium wrote no screenshot");
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(
        bytes.len() > 10_000,
        "a blank screenshot? {} bytes",
        bytes.len()
    );
}

fn contains_all(text: &str, wants: &[&str]) {
    for want in wants {
        assert!(text.contains(want), "missing {want:?} in: {text}");
    }
}

/// The binary with `args`, in the test's environment.
fn ghl(env: &Env, args: &[&str]) -> std::process::Output {
    env.cmd().args(args).output().unwrap()
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn no_markup_from_the_input(dom: &str) {
    let lower = dom.to_ascii_lowercase();
    assert!(!lower.contains("<script"), "a <script> element in the DOM");
    assert!(lower.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
}

#[test]
fn an_imports_html_page_shows_the_run_in_a_browser_with_the_hostile_name_as_text() {
    let env = Env::new();
    let file = hubspot_export(&env);
    let page = env.path("import.html");
    let out = env.import(
        &file,
        &[
            "--html",
            page.to_str().unwrap(),
            "--summary-json",
            env.path("summary.json").to_str().unwrap(),
            "--no-state",
        ],
    );
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&page).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let (dom, text) = render(&page);
    no_markup_from_the_input(&dom);
    contains_all(
        &text,
        &[
            "Import of hubspot-crm-exports-all-contacts-2026-02-10.csv",
            "40 rows",
            "32 created",
            "8 invalid",
            "0 429 responses",
            "POST /contacts/upsert",
            // One line for the eight broken emails, with their first rows.
            "error Email \"…\" is not a valid email address",
            "8 6, 11, 16, 21, 26, 31, 36, 41",
            // Both locations, the hostile one as text, with their rows by status and requests;
            // the invalid rows carry no location.
            &format!("{HOSTILE} 16 16 0 16 "),
            // 16 upserts and the read of its custom fields that matches unmapped columns.
            &format!("{LOCATION} 16 16 0 17 "),
            "(none) 8 0 8",
            "Requests per second against the quota",
            "quota 100/s",
        ],
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(env.path("summary.json")).unwrap()).unwrap();
    let series = summary["series"].as_array().unwrap();
    assert_eq!(series.len(), 2, "{summary}");
    let sent: u64 = series
        .iter()
        .map(|s| {
            s["requests"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n.as_u64().unwrap())
                .sum::<u64>()
        })
        .sum();
    assert_eq!(sent, summary["requests_total"].as_u64().unwrap());
    assert!(
        series.iter().all(|s| s["quota_per_sec"] == 100.0),
        "{summary}"
    );
    screenshot(&page, &env.path("import.png"));
}

#[test]
fn the_report_command_makes_the_page_from_a_jsonl_report_written_earlier() {
    let env = Env::new();
    let file = hubspot_export(&env);
    let report = env.path("check.report.jsonl");
    let out = ghl(&env, &["validate", p(&file), "--report", p(&report)]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let page = env.path("check.html");
    let out = ghl(&env, &["report", p(&report), "--html", p(&page)]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let (dom, text) = render(&page);
    no_markup_from_the_input(&dom);
    contains_all(
        &text,
        &[
            "from the report",
            "40 rows",
            "32 valid",
            "8 invalid",
            "8 6, 11, 16, 21, 26, 31, 36, 41",
            &format!("{HOSTILE} 16 0 16"),
        ],
    );
    screenshot(&page, &env.path("check.png"));

    // A file that is not a report is refused, naming it, and no page is written.
    let out = ghl(
        &env,
        &["report", p(&file), "--html", p(&env.path("nope.html"))],
    );
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("not a ghl-import report"),
        "{}",
        stderr(&out)
    );
    assert!(!env.path("nope.html").exists());
}

#[test]
fn a_plans_html_page_shows_the_predicted_creates_updates_by_field_and_time() {
    let env = Env::new();
    let file = hubspot_export(&env);
    // An earlier import of the first ten rows; the plan then sees their new last name.
    let first: String = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .take(11)
        .map(|l| format!("{l}\n"))
        .collect();
    let early = env.write("early.csv", &first.replace("\"Jones\"", "\"Smith\""));
    let out = env.import(&early, &["--no-state"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let page = env.path("plan.html");
    let plan_report = env.path("plan.csv");
    let out = ghl(
        &env,
        &[
            "plan",
            p(&file),
            "--rate-limit",
            "20/200ms",
            "--report",
            p(&plan_report),
            "--html",
            p(&page),
        ],
    );
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let (dom, text) = render(&page);
    no_markup_from_the_input(&dom);
    contains_all(
        &text,
        &[
            "Plan for hubspot-crm-exports-all-contacts-2026-02-10.csv",
            "What the import would do",
            "24 creates",
            "8 updates",
            "lastName 8",
            "at 20/200ms",
        ],
    );
}

#[test]
fn completions_and_the_man_page_are_generated_from_the_flags() {
    let bin = env!("CARGO_BIN_EXE_ghl-import");
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = Command::new(bin)
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success(), "{shell}");
        let text = String::from_utf8(out.stdout).unwrap();
        for word in ["ghl-import", "html", "dry-run", "completions"] {
            assert!(text.contains(word), "{shell} completions lack {word}");
        }
    }
    let out = Command::new(bin).arg("man").output().unwrap();
    assert!(out.status.success());
    let man = String::from_utf8(out.stdout).unwrap();
    assert!(
        man.starts_with(".ie") || man.contains(".TH ghl-import"),
        "{man}"
    );
    for word in [
        "ghl\\-import\\-import(1)",
        "validate",
        "plan",
        "completions",
        "Exit codes",
    ] {
        assert!(man.contains(word), "man page lacks {word}");
    }
    let out = Command::new(bin).args(["man", "import"]).output().unwrap();
    let page = String::from_utf8(out.stdout).unwrap();
    assert!(page.contains(".TH ghl-import-import 1"), "{page}");
    for word in ["\\-\\-html", "GHL_TOKEN", "\\-\\-dry\\-run"] {
        assert!(page.contains(word), "the import page lacks {word}");
    }
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(bin)
        .arg("man")
        .arg("--dir")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    for name in ["ghl-import.1", "ghl-import-import.1", "ghl-import-report.1"] {
        assert!(dir.path().join(name).is_file(), "no {name}");
    }
    let out = Command::new(bin)
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = Command::new(bin).arg("--version").output().unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().trim(),
        format!("ghl-import {}", env!("CARGO_PKG_VERSION"))
    );
}
