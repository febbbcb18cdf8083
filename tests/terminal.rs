//! What a person sees on a terminal: the binary runs on a pseudo-terminal (util-linux
//! `script`), so the progress bar is drawn, and each notice must appear exactly once.

use std::process::Command;

/// A HubSpot "properties in view" export: the run tells in a notice that it reads it with the
/// HubSpot preset.
const HUBSPOT: &str = "\"Record ID\",\"First Name\",\"Last Name\",\"Email\",\"Phone Number\",\"Contact owner\",\"Primary Associated Company ID\",\"Last Activity Date\",\"Lead Status\",\"Marketing contact status\",\"Create Date\",\"Associated Company\"\n\
\"51\",\"Maria\",\"Johnson\",\"maria.johnson@example.com\",\"+1 (617) 555-0142\",\"Sam Lee\",\"8843001\",\"2026-02-09 14:03\",\"OPEN\",\"Marketing contact\",\"2025-11-03 09:12\",\"Acme Corp\"\n\
\"52\",\"Brian\",\"Halligan\",\"brian@example.org\",\"\",\"Sam Lee\",\"\",\"\",\"NEW\",\"Non-marketing contact\",\"2025-11-04 10:00\",\"\"\n";

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[test]
fn a_notice_reaches_a_terminal_once_while_the_progress_bar_is_drawn() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir
        .path()
        .join("hubspot-crm-exports-all-contacts-2026-02-10.csv");
    std::fs::write(&file, HUBSPOT).unwrap();
    let report = dir.path().join("out.report.csv");
    let cmdline = [
        env!("CARGO_BIN_EXE_ghl-import"),
        "import",
        file.to_str().unwrap(),
        "--sandbox",
        "--report",
        report.to_str().unwrap(),
    ]
    .map(shell_quote)
    .join(" ");
    let out = Command::new("script")
        .args(["-qefc", &cmdline, "/dev/null"])
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("TERM", "xterm")
        .output()
        .expect("util-linux `script` runs the binary on a pseudo-terminal");
    let screen = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{screen}");
    // The bar was drawn on this terminal.
    assert!(screen.contains("0/2 rows"), "{screen}");
    assert_eq!(
        screen.matches("using the HubSpot preset").count(),
        1,
        "the notice is shown once: {screen}"
    );
}
