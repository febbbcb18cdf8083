//! Real credentials at agency scale: a token per location from a credentials file, OAuth
//! location tokens that refresh themselves (and survive a crash right after a refresh), an
//! agency token that obtains location tokens, and a preflight that skips one bad location.
//! Every run is at -vvv, and no token may appear in anything it prints or writes.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::*;
use ghl_import::sandbox::SandboxConfig;

const A: &str = "ve9EPM428h8vShlRW1KT";
const B: &str = "PX8m5VwxEbcpFlzYEPVG";
const C: &str = "Q1w2E3r4T5y6U7i8O9p0";
const PIT_A: &str = "pit-a1b2c3d4-aaaa-4e5f-9a0b-111111111111";
const PIT_B: &str = "pit-b1b2c3d4-bbbb-4e5f-9a0b-222222222222";
const PIT_C: &str = "pit-c1b2c3d4-cccc-4e5f-9a0b-333333333333";
const CLIENT_ID: &str = "6578278e879ad2646715ba9c-lq1xk4ab";
const CLIENT_SECRET: &str = "cs-0d9e8f7a-6b5c-4d3e-8f1a-2b3c4d5e6f70";
const APP_ID: &str = "6578278e879ad2646715ba9c";

/// A file owned by the user alone, as a credentials file must be.
fn private(env: &Env, name: &str, text: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let p = env.write(name, text);
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    p
}

/// A credentials file with one `[locations.ID]` entry per (id, line).
fn per_location(env: &Env, name: &str, entries: &[(&str, String)]) -> PathBuf {
    let text: String = entries
        .iter()
        .map(|(loc, line)| format!("[locations.{loc}]\n{line}\n"))
        .collect();
    private(env, name, &text)
}

/// Contacts spread over locations, the way an agency's export names the sub-account.
fn people(locations: &[&str], per_location: usize) -> String {
    let mut csv = String::from("Email,First Name,Last Name,Phone Number,Location ID,Tags\n");
    for i in 0..per_location {
        for (l, loc) in locations.iter().enumerate() {
            csv.push_str(&format!(
                "person{i}.loc{l}@example.com,Person{i},Loc{l},+1 415-555-{:04},{loc},migrated\n",
                1000 + i * 3 + l
            ));
        }
    }
    csv
}

/// The binary at -vvv against the sandbox, with no GHL_TOKEN and no default location.
fn base_cmd(env: &Env) -> Command {
    let mut c = env.cmd();
    c.env_remove("GHL_TOKEN")
        .env_remove("GHL_LOCATION_ID")
        .arg("-vvv");
    c
}

fn import_args(c: &mut Command, env: &Env, file: &Path) {
    c.arg("import")
        .arg(file)
        .args(["--rate-limit", "20/200ms", "--report"])
        .arg(env.path("report.csv"))
        .arg("--summary-json")
        .arg(env.path("summary.json"));
}

fn run_import(env: &Env, file: &Path, creds: &Path) -> Output {
    let mut c = base_cmd(env);
    c.env("GHL_CREDENTIALS", creds);
    import_args(&mut c, env, file);
    c.output().unwrap()
}

/// No secret in stdout, stderr, the report or the summary.
fn assert_no_secret(env: &Env, out: &Output, secrets: &[&str]) {
    let mut texts = vec![
        String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr(out),
    ];
    for f in ["report.csv", "summary.json"] {
        if let Ok(t) = std::fs::read_to_string(env.path(f)) {
            texts.push(t);
        }
    }
    for s in secrets {
        assert!(s.len() > 8);
        for t in &texts {
            assert!(!t.contains(s), "a token leaked into the output: {t}");
        }
    }
}

fn statuses(env: &Env) -> Vec<(String, String)> {
    read_report(&env.path("report.csv"))
        .into_iter()
        .map(|r| (r["status"].clone(), r["errors"].clone()))
        .collect()
}

fn value_in(file: &Path, location: &str, key: &str) -> Option<String> {
    let text = std::fs::read_to_string(file).unwrap();
    let v: toml::Value = toml::from_str(&text).unwrap();
    v.get("locations")?
        .get(location)?
        .get(key)?
        .as_str()
        .map(str::to_owned)
}

#[test]
fn a_three_location_file_with_three_location_tokens_lands_in_full() {
    let env = Env::new();
    env.sandbox.add_location_token(A, PIT_A);
    env.sandbox.add_location_token(B, PIT_B);
    env.sandbox.add_location_token(C, PIT_C);
    private(&env, "b.token", &format!("{PIT_B}\n"));
    let creds = per_location(
        &env,
        "credentials.toml",
        &[
            (A, format!("token = \"{PIT_A}\"")),
            (B, "token_file = \"b.token\"".into()),
            (C, format!("token = \"{PIT_C}\"")),
        ],
    );
    let file = env.write("people.csv", &people(&[A, B, C], 8));
    let out = run_import(&env, &file, &creds);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    for loc in [A, B, C] {
        let contacts = env.sandbox.contacts(loc);
        assert_eq!(contacts.len(), 8, "{loc}");
        assert!(contacts.iter().all(|c| c.tags == ["migrated"]));
    }
    // The sandbox refuses a location token anywhere but its own location: nothing was refused.
    assert!(env
        .requests()
        .iter()
        .all(|r| r.status == 200 || r.status == 201));
    // Each location was checked once before its rows (the custom fields read).
    for loc in [A, B, C] {
        let checks = env
            .requests()
            .iter()
            .filter(|r| r.path == format!("/locations/{loc}/customFields"))
            .count();
        assert_eq!(checks, 1, "{loc}");
    }
    assert!(statuses(&env).iter().all(|(s, _)| s == "created"));
    assert!(stderr(&out).contains("TRACE") || stderr(&out).contains("DEBUG"));
    assert_no_secret(&env, &out, &[PIT_A, PIT_B, PIT_C]);
}

#[test]
fn one_location_with_a_wrong_token_is_deferred_with_the_reason_and_the_others_complete() {
    let env = Env::new();
    env.sandbox.add_location_token(A, PIT_A);
    env.sandbox.add_location_token(B, PIT_B);
    let wrong = "pit-c1b2c3d4-cccc-4e5f-9a0b-revokedrevoked";
    let creds = per_location(
        &env,
        "credentials.toml",
        &[
            (A, format!("token = \"{PIT_A}\"")),
            (B, format!("token = \"{PIT_B}\"")),
            (C, format!("token = \"{wrong}\"")),
        ],
    );
    let file = env.write("people.csv", &people(&[A, B, C], 6));

    // --preflight-only names the bad location with the reason and sends nothing else.
    let mut c = base_cmd(&env);
    c.env("GHL_CREDENTIALS", &creds);
    import_args(&mut c, &env, &file);
    let out = c.arg("--preflight-only").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(code(&out), 1, "{stdout}{}", stderr(&out));
    assert!(stdout.contains(&format!("ok      {A}")), "{stdout}");
    assert!(
        stdout.contains(&format!("FAILED  {C}")) && stdout.contains("401"),
        "{stdout}"
    );
    assert!(env.requests_to("/contacts/upsert").is_empty());
    assert_no_secret(&env, &out, &[PIT_A, PIT_B, wrong]);

    let out = run_import(&env, &file, &creds);
    let err = stderr(&out);
    assert_eq!(code(&out), 1, "{err}");
    assert_eq!(env.sandbox.contacts(A).len(), 6);
    assert_eq!(env.sandbox.contacts(B).len(), 6);
    assert!(env.sandbox.contacts(C).is_empty());
    // No upsert was tried for the bad location: the preflight stopped it.
    assert!(env
        .requests_to("/contacts/upsert")
        .iter()
        .all(|r| r.location_id.as_deref() != Some(C) && r.status == 200));
    let report = read_report(&env.path("report.csv"));
    assert_eq!(report.len(), 18);
    for r in &report {
        if r["email"].contains(".loc2@") {
            assert_eq!(r["status"], "deferred", "{r:?}");
            assert!(
                r["errors"].contains(&format!("location {C} is skipped"))
                    && r["errors"].contains("401"),
                "{r:?}"
            );
        } else {
            assert_eq!(r["status"], "created", "{r:?}");
        }
    }
    assert!(err.contains(&format!("location {C} is skipped")), "{err}");
    assert_no_secret(&env, &out, &[PIT_A, PIT_B, wrong]);

    // When no location can start, the run says so with exit 2.
    // Here one location's token is wrong and the other has none in the file.
    const D: &str = "Zz9Yy8Xx7Ww6Vv5Uu4Tt";
    let none = per_location(&env, "none.toml", &[(C, format!("token = \"{wrong}\""))]);
    let c_and_d = env.write("cd.csv", &people(&[C, D], 3));
    let out = run_import(&env, &c_and_d, &none);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let report = statuses(&env);
    assert_eq!(report.len(), 6);
    assert!(report.iter().all(|(s, _)| s == "deferred"));
    assert!(report
        .iter()
        .any(|(_, e)| e.contains(&format!("no token for location {D} in "))));
    assert!(env
        .requests()
        .iter()
        .all(|r| r.location_id.as_deref() != Some(D)));
    assert_no_secret(&env, &out, &[wrong]);
}

#[test]
fn a_credentials_file_others_can_read_is_refused_before_anything_is_sent() {
    let env = Env::new();
    let creds = env.write(
        "credentials.toml",
        &format!("[locations.{A}]\ntoken = \"{PIT_A}\"\n"),
    );
    let file = env.write("people.csv", &people(&[A], 2));
    let out = run_import(&env, &file, &creds);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("can be read by others") && stderr(&out).contains("chmod 600"),
        "{}",
        stderr(&out)
    );
    assert!(env.requests().is_empty());
    assert_no_secret(&env, &out, &[PIT_A]);
}

/// An OAuth app installed on location C, and a credentials file holding its tokens.
fn oauth_setup(env: &Env, with_access_token: bool) -> (PathBuf, String, String) {
    env.sandbox.register_app(CLIENT_ID, CLIENT_SECRET, APP_ID);
    let grant = env.sandbox.install_location(CLIENT_ID, C);
    private(env, "client-secret", &format!("{CLIENT_SECRET}\n"));
    let mut text = format!(
        "# The app's location tokens; ghl-import writes refreshed tokens back here.\n[oauth]\nclient_id = \"{CLIENT_ID}\"\nclient_secret_file = \"client-secret\"\n\n[locations.{C}]\nrefresh_token = \"{}\"\n",
        grant.refresh_token
    );
    if with_access_token {
        let expires = chrono::Utc::now() + chrono::Duration::hours(23);
        text.push_str(&format!(
            "access_token = \"{}\"\nexpires_at = \"{}\"\n",
            grant.access_token,
            expires.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ));
    }
    let creds = private(env, "credentials.toml", &text);
    (creds, grant.access_token, grant.refresh_token)
}

/// Waits (polling) for `cond`, up to 20 s.
fn wait_for(mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out");
        std::thread::sleep(Duration::from_millis(3));
    }
}

/// Starts the import and, once 20 rows have landed, expires every access token. `hold`: the
/// test hook's milliseconds between saving a refreshed token and using it.
fn expiring_mid_run(
    env: &Env,
    file: &Path,
    creds: &Path,
    locations: &[&str],
    hold: Option<&str>,
) -> std::process::Child {
    let mut c = base_cmd(env);
    c.env("GHL_CREDENTIALS", creds);
    if let Some(ms) = hold {
        c.env("GHL_IMPORT_TEST_HOLD_AFTER_REFRESH_MS", ms);
    }
    import_args(&mut c, env, file);
    let child = c
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let landed = || -> usize {
        locations
            .iter()
            .map(|l| env.sandbox.contacts(l).len())
            .sum()
    };
    wait_for(|| landed() >= 20);
    env.sandbox.expire_access_tokens();
    child
}

fn slow_sandbox() -> Env {
    Env::with(SandboxConfig {
        latency: (Duration::from_millis(10), Duration::from_millis(20)),
        ..fast_config()
    })
}

#[test]
fn an_oauth_token_that_expires_mid_run_is_refreshed_once_and_no_row_is_lost_or_sent_twice() {
    let env = slow_sandbox();
    let (creds, access, old_refresh) = oauth_setup(&env, true);
    let file = env.write("people.csv", &people(&[C], 80));
    let child = expiring_mid_run(&env, &file, &creds, &[C], None);
    let out = child.wait_with_output().unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));

    // Refreshed once, with the file's refresh token; the new one is saved and the old spent.
    let refreshes = env.requests_to("/oauth/token");
    assert_eq!(refreshes.len(), 1);
    assert_eq!(refreshes[0].status, 200);
    let new_refresh = value_in(&creds, C, "refresh_token").unwrap();
    let new_access = value_in(&creds, C, "access_token").unwrap();
    assert_ne!(new_refresh, old_refresh);
    assert!(!env.sandbox.refresh_token_usable(&old_refresh));
    assert!(env.sandbox.refresh_token_usable(&new_refresh));
    let text = std::fs::read_to_string(&creds).unwrap();
    assert!(text.starts_with("# The app's location tokens"), "{text}");

    // The expiry was met mid-run (401s), yet every row landed exactly once.
    let upserts = env.requests_to("/contacts/upsert");
    assert!(upserts.iter().any(|r| r.status == 401));
    assert_eq!(upserts.iter().filter(|r| r.status == 200).count(), 80);
    assert_eq!(env.sandbox.contacts(C).len(), 80);
    assert!(statuses(&env)
        .iter()
        .all(|(s, e)| s == "created" && e.is_empty()));
    assert_no_secret(
        &env,
        &out,
        &[
            &access,
            &old_refresh,
            &new_refresh,
            &new_access,
            CLIENT_SECRET,
        ],
    );
}

#[test]
fn access_tokens_are_refreshed_before_they_expire() {
    let env = slow_sandbox();
    env.sandbox.set_access_token_ttl(Duration::from_secs(2));
    let (creds, _, old_refresh) = oauth_setup(&env, false);
    // About 2.6 s at 100 requests a second: longer than one token lives.
    let file = env.write("people.csv", &people(&[C], 250));
    let out = run_import(&env, &file, &creds);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(env.sandbox.contacts(C).len(), 250);
    // Renewed ahead of every expiry: never refused, and the chain of refresh tokens held.
    assert!(env.requests().iter().all(|r| r.status != 401));
    let refreshes = env.requests_to("/oauth/token");
    assert!(refreshes.len() >= 2, "{}", refreshes.len());
    assert!(refreshes.iter().all(|r| r.status == 200));
    let new_refresh = value_in(&creds, C, "refresh_token").unwrap();
    assert!(env.sandbox.refresh_token_usable(&new_refresh));
    assert_no_secret(&env, &out, &[&old_refresh, &new_refresh, CLIENT_SECRET]);
}

#[test]
fn a_crash_right_after_a_refresh_resumes_with_the_persisted_refresh_token() {
    let env = slow_sandbox();
    let (creds, access, old_refresh) = oauth_setup(&env, true);
    let file = env.write("people.csv", &people(&[C], 80));
    // Held between saving the new refresh token and using the new access token, so the kill
    // lands exactly there.
    let mut child = expiring_mid_run(&env, &file, &creds, &[C], Some("30000"));
    wait_for(|| value_in(&creds, C, "refresh_token").as_deref() != Some(old_refresh.as_str()));
    child.kill().unwrap();
    let killed = child.wait_with_output().unwrap();
    assert!(!killed.status.success());

    // The old refresh token is spent; the file holds the new one, and it works.
    let saved = value_in(&creds, C, "refresh_token").unwrap();
    assert!(!env.sandbox.refresh_token_usable(&old_refresh));
    assert!(env.sandbox.refresh_token_usable(&saved));
    // Killed before the new access token was used: nothing succeeded after the refresh.
    let log = env.requests();
    let refreshed_at = log.iter().find(|r| r.path == "/oauth/token").unwrap().at;
    assert!(log
        .iter()
        .filter(|r| r.at > refreshed_at && r.path != "/oauth/token")
        .all(|r| r.status != 200 && r.status != 201));
    let done_before = env.sandbox.contacts(C).len();
    assert!(done_before < 80);

    // The same command again resumes and finishes. The access token saved with the refresh
    // token would still do; it is expired here so the resume has to use the saved refresh token.
    env.sandbox.expire_access_tokens();
    let out = run_import(&env, &file, &creds);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stderr(&out).contains("resuming run"), "{}", stderr(&out));
    let refreshes = env.requests_to("/oauth/token");
    assert_eq!(refreshes.len(), 2);
    assert_eq!(refreshes[1].status, 200);
    assert_eq!(env.sandbox.contacts(C).len(), 80);
    assert!(statuses(&env)
        .iter()
        .all(|(s, _)| s == "created" || s == "updated"));
    let newest = value_in(&creds, C, "refresh_token").unwrap();
    assert!(env.sandbox.refresh_token_usable(&newest));
    for o in [&killed, &out] {
        assert_no_secret(
            &env,
            o,
            &[&access, &old_refresh, &saved, &newest, CLIENT_SECRET],
        );
    }
}

#[test]
fn an_agency_token_yields_location_tokens_for_a_two_location_file() {
    let env = Env::new();
    env.sandbox.register_app(CLIENT_ID, CLIENT_SECRET, APP_ID);
    let agency = env.sandbox.install_company(
        CLIENT_ID,
        "tDtDnQdgm2LXpyiqYvZ6",
        &[(A, "Alpha Dental"), (B, "Beta Gym"), (C, "Gamma Spa")],
    );
    let file = env.write("people.csv", &people(&[A, B], 7));

    // `locations` lists where the app is installed, for the file's Location ID column.
    let mut c = base_cmd(&env);
    let out = c
        .env("GHL_TOKEN", &agency.access_token)
        .args([
            "locations",
            "--company-id",
            "tDtDnQdgm2LXpyiqYvZ6",
            "--app-id",
            APP_ID,
        ])
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let listed = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        listed.lines().collect::<Vec<_>>(),
        [
            "locationId,name,address".to_owned(),
            format!("{A},Alpha Dental,Alpha Dental street 1"),
            format!("{B},Beta Gym,Beta Gym street 1"),
            format!("{C},Gamma Spa,Gamma Spa street 1"),
        ]
    );
    assert_no_secret(&env, &out, &[&agency.access_token]);

    let mut c = base_cmd(&env);
    c.env("GHL_TOKEN", &agency.access_token)
        .env("GHL_COMPANY_ID", "tDtDnQdgm2LXpyiqYvZ6");
    import_args(&mut c, &env, &file);
    let out = c.output().unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(env.sandbox.contacts(A).len(), 7);
    assert_eq!(env.sandbox.contacts(B).len(), 7);
    // One location token per location, cached for the run; the agency token itself never
    // touched a contacts endpoint (the sandbox refuses it there).
    let minted = env.requests_to("/oauth/locationToken");
    assert_eq!(minted.len(), 2);
    assert!(minted.iter().all(|r| r.status == 200));
    assert!(env
        .requests()
        .iter()
        .all(|r| r.status == 200 || r.status == 201));
    assert_no_secret(&env, &out, &[&agency.access_token]);

    // The same agency in a credentials file.
    private(&env, "agency.token", &agency.access_token);
    let creds = private(
        &env,
        "agency.toml",
        "[agency]\ncompany_id = \"tDtDnQdgm2LXpyiqYvZ6\"\ntoken_file = \"agency.token\"\n",
    );
    let more = env.write("more.csv", &people(&[B, C], 3).replace("person", "more"));
    let out = run_import(&env, &more, &creds);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(env.sandbox.contacts(B).len(), 10);
    assert_eq!(env.sandbox.contacts(C).len(), 3);
    assert_no_secret(&env, &out, &[&agency.access_token]);
}

#[test]
fn a_token_that_cannot_write_contacts_skips_its_location_mid_run_and_the_others_complete() {
    let env = Env::new();
    env.sandbox.add_location_token(A, PIT_A);
    // Reads pass (so does the preflight), the first upsert is refused for lack of a scope.
    env.sandbox.add_location_token_scoped(
        B,
        PIT_B,
        &["contacts.readonly", "locations/customFields.readonly"],
    );
    let creds = per_location(
        &env,
        "credentials.toml",
        &[
            (A, format!("token = \"{PIT_A}\"")),
            (B, format!("token = \"{PIT_B}\"")),
        ],
    );
    let file = env.write("people.csv", &people(&[A, B], 10));
    let out = run_import(&env, &file, &creds);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert_eq!(env.sandbox.contacts(A).len(), 10);
    assert!(env.sandbox.contacts(B).is_empty());
    // B's upserts already in flight were refused; its lane sent nothing after the first refusal.
    let b_upserts: Vec<_> = env
        .requests_to("/contacts/upsert")
        .into_iter()
        .filter(|r| r.location_id.as_deref() == Some(B))
        .collect();
    assert!(
        !b_upserts.is_empty() && b_upserts.len() < 10,
        "{}",
        b_upserts.len()
    );
    assert!(b_upserts.iter().all(|r| r.status == 401));
    let first_refusal = b_upserts[0].at;
    assert!(env
        .requests()
        .iter()
        .filter(|r| r.location_id.as_deref() == Some(B))
        .all(|r| r.at <= first_refusal || r.status == 401));
    let report = read_report(&env.path("report.csv"));
    for r in &report {
        if r["email"].contains(".loc1@") {
            assert_eq!(r["status"], "deferred", "{r:?}");
            assert!(
                r["errors"].contains("not authorized for this scope"),
                "{r:?}"
            );
        } else {
            assert_eq!(r["status"], "created", "{r:?}");
            assert_eq!(r["tags_status"], "added", "{r:?}");
        }
    }
    assert_no_secret(&env, &out, &[PIT_A, PIT_B]);
}

#[test]
fn an_agency_refresh_token_renews_the_agency_and_its_location_tokens_when_they_expire_mid_run() {
    let env = slow_sandbox();
    env.sandbox.register_app(CLIENT_ID, CLIENT_SECRET, APP_ID);
    let company = "tDtDnQdgm2LXpyiqYvZ6";
    let agency =
        env.sandbox
            .install_company(CLIENT_ID, company, &[(A, "Alpha Dental"), (B, "Beta Gym")]);
    private(&env, "client-secret", CLIENT_SECRET);
    let creds = private(
        &env,
        "agency.toml",
        &format!(
            "[oauth]\nclient_id = \"{CLIENT_ID}\"\nclient_secret_file = \"client-secret\"\n\n[agency]\ncompany_id = \"{company}\"\nrefresh_token = \"{}\"\n",
            agency.refresh_token
        ),
    );
    let saved = || -> String {
        let v: toml::Value = toml::from_str(&std::fs::read_to_string(&creds).unwrap()).unwrap();
        v["agency"]["refresh_token"].as_str().unwrap().to_owned()
    };
    let file = env.write("people.csv", &people(&[A, B], 40));
    // The agency's token and both location tokens expire at once, mid-run.
    let child = expiring_mid_run(&env, &file, &creds, &[A, B], None);
    let out = child.wait_with_output().unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(env.sandbox.contacts(A).len(), 40);
    assert_eq!(env.sandbox.contacts(B).len(), 40);
    assert!(
        env.requests().iter().any(|r| r.status == 401),
        "expired mid-run"
    );
    // The agency was refreshed at the start and once after the expiry, each new refresh
    // token saved under [agency]; each location's token was obtained twice.
    let refreshes = env.requests_to("/oauth/token");
    assert_eq!(refreshes.len(), 2);
    assert!(refreshes.iter().all(|r| r.status == 200));
    let newest = saved();
    assert!(!env.sandbox.refresh_token_usable(&agency.refresh_token));
    assert!(env.sandbox.refresh_token_usable(&newest));
    let minted = env.requests_to("/oauth/locationToken");
    assert_eq!(minted.iter().filter(|r| r.status == 200).count(), 4);
    assert_eq!(
        env.requests_to("/contacts/upsert")
            .iter()
            .filter(|r| r.status == 200)
            .count(),
        80
    );
    assert!(statuses(&env).iter().all(|(s, _)| s == "created"));
    assert_no_secret(
        &env,
        &out,
        &[
            &agency.access_token,
            &agency.refresh_token,
            &newest,
            CLIENT_SECRET,
        ],
    );
}
