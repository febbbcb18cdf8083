//! The token: refused for lack of a scope (403), and read from standard input.

mod common;

use std::io::Write;
use std::process::Stdio;

use common::*;
use ghl_import::sandbox::Forced;

const PEOPLE: &str = "email,first_name\nann@example.com,Ann\nbob@example.com,Bob\nnot-an-email,Cy\ndee@example.com,Dee\neve@example.com,Eve\n";

#[test]
fn a_403_stops_the_run_at_once_naming_the_scope_and_reports_every_row() {
    let env = Env::new();
    env.sandbox
        .inject(Forced::Status(403), 1, Some("/contacts/upsert"));
    let file = env.write("people.csv", PEOPLE);
    // One send a second: the refusal is in before the next send is due, however loaded the
    // machine (at the tests' usual 20/200ms a slow answer let a second upsert out).
    let out = env.import(&file, &["--tag", "x", "--rate-limit", "5/5s"]);
    let err = stderr(&out);
    assert_eq!(code(&out), 2, "{err}");
    assert!(
        err.contains("403 Forbidden")
            && err.contains("the token needs the scope contacts.write")
            && err.contains("give the Private Integration that scope"),
        "{err}"
    );
    // Stopped at once: the first upsert was refused and nothing else was sent.
    assert_eq!(env.requests_to("/contacts/upsert").len(), 1);
    assert!(env.requests().iter().all(|r| r.path == "/contacts/upsert"));
    assert!(env.sandbox.contacts(LOCATION).is_empty());
    // The report was flushed with every row, in order: the invalid one as invalid, the rest
    // not imported: deferred, the one that was sent saying it was refused, with the scope.
    let report = read_report(&env.path("report.csv"));
    let rows: Vec<_> = report.iter().map(|r| r["row"].as_str()).collect();
    assert_eq!(rows, ["2", "3", "4", "5", "6"]);
    assert_eq!(report[2]["status"], "invalid");
    let others: Vec<_> = report.iter().filter(|r| r["row"] != "4").collect();
    assert!(
        others.iter().all(|r| r["status"] == "deferred"),
        "{others:?}"
    );
    let refused: Vec<_> = others
        .iter()
        .filter(|r| r["errors"].starts_with("refused, not applied"))
        .collect();
    assert_eq!(refused.len(), 1, "{others:?}");
    assert!(
        refused[0]["errors"].contains("contacts.write"),
        "{refused:?}"
    );
}

#[test]
fn the_token_can_come_from_standard_input_and_appears_nowhere() {
    let env = Env::new();
    let file = env.write(
        "people.csv",
        "email,first_name\nann@example.com,Ann\nbob@example.com,Bob\n",
    );
    let summary = env.path("s.json");
    let mut c = env.cmd();
    c.env_remove("GHL_TOKEN")
        .arg("-vvv")
        .arg("import")
        .arg(&file)
        .args(["--token-file", "-", "--rate-limit", "20/200ms", "--report"])
        .arg(env.path("report.csv"))
        .arg("--summary-json")
        .arg(&summary)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    // As `echo "$TOKEN" | ghl-import …` gives it: with a line break.
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{TOKEN}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // The sandbox only accepts TOKEN: the import working proves it was read from stdin.
    assert_eq!(env.sandbox.contacts(LOCATION).len(), 2);
    assert!(env
        .requests()
        .iter()
        .all(|r| r.status == 200 || r.status == 201));
    for text in [
        String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr(&out),
        std::fs::read_to_string(env.path("report.csv")).unwrap(),
        std::fs::read_to_string(&summary).unwrap(),
    ] {
        assert!(!text.contains(TOKEN), "token leaked: {text}");
    }
    assert!(stderr(&out).contains("TRACE") || stderr(&out).contains("DEBUG"));

    // Nothing on stdin: a clear error, exit 2, nothing sent.
    let before = env.requests().len();
    let mut c = env.cmd();
    c.env_remove("GHL_TOKEN")
        .arg("import")
        .arg(&file)
        .args(["--token-file", "-"])
        .stdin(Stdio::null());
    let out = c.output().unwrap();
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("empty"), "{}", stderr(&out));
    assert_eq!(env.requests().len(), before);
}

#[test]
fn a_token_file_holding_a_shell_assignment_is_refused_and_one_others_can_read_is_warned_of() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    let file = env.write("people.csv", "email\nann@example.com\n");
    let assignment = env.write("ghl.env", &format!("export GHL_TOKEN={TOKEN}\n"));
    let mut c = env.cmd();
    c.env_remove("GHL_TOKEN")
        .arg("import")
        .arg(&file)
        .arg("--token-file")
        .arg(&assignment);
    let out = c.output().unwrap();
    let err = stderr(&out);
    assert_eq!(code(&out), 2, "{err}");
    assert!(
        err.contains("ghl.env") && err.contains("shell assignment"),
        "{err}"
    );
    assert!(!err.contains(TOKEN), "token leaked: {err}");
    assert!(env.requests().is_empty());

    let readable = env.write("ghl.token", &format!("{TOKEN}\n"));
    std::fs::set_permissions(&readable, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut c = env.cmd();
    c.env_remove("GHL_TOKEN")
        .arg("import")
        .arg(&file)
        .args(["--rate-limit", "20/200ms", "--report"])
        .arg(env.path("report.csv"))
        .arg("--token-file")
        .arg(&readable);
    let out = c.output().unwrap();
    let err = stderr(&out);
    assert_eq!(code(&out), 0, "{err}");
    assert!(
        err.contains("ghl.token") && err.contains("can be read by others"),
        "{err}"
    );
    assert!(!err.contains(TOKEN), "token leaked: {err}");
}

#[test]
fn a_missing_token_file_is_named_with_its_cause_said_once() {
    let env = Env::new();
    let file = env.write("people.csv", "email\nann@example.com\n");
    let missing = env.path("no-such.token");
    let mut c = env.cmd();
    c.env_remove("GHL_TOKEN")
        .arg("import")
        .arg(&file)
        .arg("--token-file")
        .arg(&missing);
    let out = c.output().unwrap();
    let err = stderr(&out);
    assert_eq!(code(&out), 2, "{err}");
    assert!(err.contains("no-such.token"), "{err}");
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");
    assert!(env.requests().is_empty());
}

#[test]
fn a_token_pasted_with_a_line_break_is_refused_at_start_naming_where_not_what() {
    let env = Env::new();
    let file = env.write("people.csv", "email\nann@example.com\n");
    // A token file holding the token and, on a second line, something else (a note, a
    // second token): the header it would make cannot be sent.
    let (head, tail) = TOKEN.split_at(TOKEN.len() / 2);
    let token_file = env.write("token.txt", &format!("{head}\n{tail}\n"));
    let mut c = env.cmd();
    c.env_remove("GHL_TOKEN")
        .arg("import")
        .arg(&file)
        .arg("--token-file")
        .arg(&token_file);
    let out = c.output().unwrap();
    let err = stderr(&out);
    assert_eq!(code(&out), 2, "{err}");
    assert!(
        err.contains("token.txt") && err.contains("a line break at character"),
        "{err}"
    );
    assert!(
        !err.contains(head) && !err.contains(tail),
        "token leaked: {err}"
    );
    assert!(env.requests().is_empty());

    // The same from GHL_TOKEN, with a curly quote copied along.
    let mut c = env.cmd();
    c.env("GHL_TOKEN", format!("\u{201c}{TOKEN}\u{201d}"))
        .arg("import")
        .arg(&file);
    let out = c.output().unwrap();
    let err = stderr(&out);
    assert_eq!(code(&out), 2, "{err}");
    assert!(
        err.contains("GHL_TOKEN") && err.contains("not ASCII") && err.contains("character 1"),
        "{err}"
    );
    assert!(!err.contains(TOKEN), "token leaked: {err}");
    assert!(env.requests().is_empty());
}

#[test]
fn a_base_url_with_a_query_string_is_refused_before_anything_is_stored_or_sent() {
    let env = Env::new();
    let file = env.write("people.csv", PEOPLE);
    for base_url in [
        format!("{}?token=secret-XYZ-123", env.sandbox.base_url()),
        format!("{}/#secret-XYZ-123", env.sandbox.base_url()),
    ] {
        let out = env.import(&file, &["--base-url", &base_url]);
        let err = stderr(&out);
        assert_eq!(code(&out), 2, "{err}");
        assert!(
            err.contains("--base-url") && err.contains("query string or fragment"),
            "{err}"
        );
        assert!(!err.contains("secret-XYZ-123"), "{err}");
    }
    assert!(env.requests().is_empty());
    // No run was recorded with it.
    let out = env.cmd().arg("runs").output().unwrap();
    let listed = String::from_utf8_lossy(&out.stdout).to_string() + &stderr(&out);
    assert!(!listed.contains("secret-XYZ-123"), "{listed}");
    assert!(!listed.contains("people.csv"), "{listed}");
}
