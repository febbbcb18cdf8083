//! `ghl-import init`: the mapping file it writes parses, and used unchanged maps every row the
//! way `validate` without it does.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use ghl_import::mapping::MappingSpec;

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

fn init(env: &Env, file: &Path, out: &str, extra: &[&str]) -> String {
    let o = env
        .cmd()
        .arg("init")
        .arg(file)
        .args(["--output", out])
        .args(extra)
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let text = std::fs::read_to_string(env.path(out)).unwrap();
    MappingSpec::parse(&text, out).unwrap_or_else(|e| panic!("{e}\n{text}"));
    text
}

/// (row, status, errors) of `validate FILE` plus `extra`.
fn statuses(env: &Env, file: &Path, extra: &[&str]) -> Vec<(String, String, String)> {
    outcomes(env, file, extra)
        .into_iter()
        .map(|(row, status, errors, _)| (row, status, errors))
        .collect()
}

/// Each row's number, status, errors and warnings.
fn outcomes(env: &Env, file: &Path, extra: &[&str]) -> Vec<(String, String, String, String)> {
    let report = env.path("v.csv");
    let o = env
        .cmd()
        .arg("validate")
        .arg(file)
        .arg("--report")
        .arg(&report)
        .args(extra)
        .output()
        .unwrap();
    assert!(code(&o) <= 1, "{}", stderr(&o));
    read_report(&report)
        .into_iter()
        .map(|r| {
            (
                r["row"].clone(),
                r["status"].clone(),
                r["errors"].clone(),
                r["warnings"].clone(),
            )
        })
        .collect()
}

const DAY_FIRST: &str = "\
Full Name,E-mail,Mobile,Phone,DOB,Tags,Notes
Anna Schmidt,Anna@Example.DE,+49 30 901820,,25/09/1990,a;b,hi
Ben Meyer,ben@example.de,,+49 30 901821,03/04/1985,c,
";

/// Two lists pasted side by side, each with its own `Email`: the second is the first's
/// backup, with a mapping file from `init` as without one.
const REPEATED: &str = "\
First Name,Email,Notes,Email
Ann,,hi,ann@example.com
Bob,bob@example.com,,bob@work.example.com
";

const JSONL: &str = r#"{"firstName":"Cy","email":"cy@example.com","tags":["a","b"],"customFields":{"contact.x":1},"Shoe Size":"42"}
{"firstName":"Di","phone":"+1 415 555 0134","DOB":"12/25/1990"}
"#;

#[test]
fn init_round_trips_on_every_sample() {
    let env = Env::new();
    let day_first = env.write("day-first.csv", DAY_FIRST);
    let jsonl = env.write("people.jsonl", JSONL);
    let mut files: Vec<PathBuf> = [
        "samples/contacts.csv",
        "samples/crm-export.csv",
        "samples/contacts.jsonl",
    ]
    .iter()
    .map(|p| repo(p))
    .collect();
    for e in std::fs::read_dir(repo("samples/presets")).unwrap() {
        files.push(e.unwrap().path());
    }
    files.push(day_first);
    files.push(jsonl);
    files.push(env.write("repeated.csv", REPEATED));
    for file in &files {
        init(&env, file, "m.toml", &["--force"]);
        // Warnings too: a cell the preset names (an extension) is named the same way.
        let plain = outcomes(&env, file, &[]);
        let mapped = outcomes(
            &env,
            file,
            &["--mapping", env.path("m.toml").to_str().unwrap()],
        );
        assert_eq!(plain, mapped, "{}", file.display());
    }
}

#[test]
fn init_explains_columns_and_suggests_transforms() {
    let env = Env::new();
    let file = env.write("day-first.csv", DAY_FIRST);
    let text = init(&env, &file, "m.toml", &[]);
    for want in [
        "preset = \"none\"",
        "\"E-mail\" = \"email\"  # field name, ignoring case",
        "\"Mobile\" = \"phone\"  # alias of phone",
        "\"Phone\" = { field = \"phone\", fallback = true }  # field name, ignoring case, spaces and _-.; a backup: used when 'Mobile' is empty or not valid",
        // With a token and a location, columns match the location's custom fields.
        "\"Notes\" = \"contact.notes\"  # the location's custom field of this name or key",
        "# \"Full Name\" = { field = \"name\", split_name = true }  # suggested:",
        "# \"DOB\" = { field = \"dateOfBirth\", date_format = \"%d/%m/%Y\" }  # suggested: the dates read day-first (1 of 2 sampled values have a day above 12): the import infers that order for the column from the whole file",
        "# \"Tags\" = { field = \"tags\", split = \";\" }  # suggested: 1 of 2 sampled cells contain ';'",
        "# \"E-mail\" = { field = \"email\", lowercase = true }",
    ] {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }
    // Without a format the column's own dates settle the order (25/09/1990 reads only
    // day-first), so 03/04/1985 is 3 April; the suggested format pins the same reading.
    let before = statuses(&env, &file, &[]);
    assert!(before.iter().all(|(_, s, _)| s == "valid"), "{before:?}");
    let edited: String = text
        .lines()
        .map(|l| match l.strip_prefix("# \"DOB\" = ") {
            Some(rest) => format!("\"DOB\" = {}", rest.split("  #").next().unwrap()),
            None if l.starts_with("\"DOB\" = ") => String::new(),
            None => l.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(env.path("m.toml"), edited).unwrap();
    let after = statuses(
        &env,
        &file,
        &["--mapping", env.path("m.toml").to_str().unwrap()],
    );
    assert!(after.iter().all(|(_, s, _)| s == "valid"), "{after:?}");

    // Without a token nothing is matched to custom fields.
    let o = env
        .cmd()
        .env_remove("GHL_TOKEN")
        .args(["init", file.to_str().unwrap(), "--output", "-"])
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let offline = String::from_utf8_lossy(&o.stdout);
    assert!(
        offline.contains("# \"Notes\" = \"ignore\"  # unmapped:"),
        "{offline}"
    );

    // An existing file is not replaced without --force.
    let o = env
        .cmd()
        .args(["init", file.to_str().unwrap(), "--output", "m.toml"])
        .output()
        .unwrap();
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("--force"), "{}", stderr(&o));
}

#[test]
fn init_names_the_preset_and_why() {
    let env = Env::new();
    let text = init(
        &env,
        &repo("samples/presets/hubspot-all-properties.csv"),
        "h.toml",
        &[],
    );
    assert!(text.contains("preset = \"hubspot\""), "{text}");
    assert!(
        text.contains("# Preset: HubSpot (all-properties export; 16 of its 16 typical columns"),
        "{text}"
    );
    assert!(
        text.contains("\"Record ID\" = \"ignore\"  # HubSpot preset"),
        "{text}"
    );
    assert!(
        text.contains(
            "\"Mobile Phone Number\" = { field = \"phone\", fallback = 1 }  # HubSpot preset"
        ),
        "{text}"
    );
    let text = init(
        &env,
        &repo("samples/presets/hubspot-all-properties.csv"),
        "n.toml",
        &["--preset", "none"],
    );
    assert!(text.contains("preset = \"none\""), "{text}");
    assert!(
        text.contains("# \"Record ID\" = \"ignore\"  # unmapped"),
        "{text}"
    );
}

#[test]
fn init_on_nested_json_lists_the_dotted_keys_the_run_matches() {
    let env = Env::new();
    let file = env.write("nested.jsonl", NESTED_JSONL);
    let text = init(&env, &file, "nested.toml", &[]);
    for line in [
        "\"address.street\" = \"address1\"",
        "\"address.city\" = \"city\"",
        "\"address.zip\" = \"postalCode\"",
        "\"properties.firstname\" = \"firstName\"",
    ] {
        assert!(text.contains(line), "{line}\n{text}");
    }
    // Used as written, it maps as the run does without it.
    let with = statuses(&env, &file, &["--mapping", "nested.toml"]);
    assert_eq!(with, statuses(&env, &file, &[]));
    assert!(with.iter().all(|(_, s, _)| s == "valid"), "{with:?}");
}

#[test]
fn init_leaves_thunderbirds_three_birthday_columns_unlisted_so_they_still_make_the_date() {
    let env = Env::new();
    let file = repo("tests/audit-files/thunderbird-addressbook.csv");
    let text = init(&env, &file, "m.toml", &[]);
    assert!(
        text.contains(r#"# "Birth Day" = "ignore"  # imported: Birth Year/Birth Month/Birth Day make the date of birth"#),
        "{text}"
    );
    assert!(!text.contains("\n\"Birth "), "{text}");
    assert_eq!(
        statuses(&env, &file, &[]),
        statuses(
            &env,
            &file,
            &["--mapping", env.path("m.toml").to_str().unwrap()]
        )
    );
}

#[test]
fn init_of_a_file_read_with_skip_lines_says_the_flag_is_needed_with_the_mapping_too() {
    let env = Env::new();
    // A CRM report export: a title and a date above the header.
    let file = env.write(
        "report.csv",
        "Contacts report\nRun 2026-11-30\nFirst Name,Last Name,Email\nAnn,Lee,ann@leedesign.com\n",
    );
    let text = init(&env, &file, "m.toml", &["--skip-lines", "2"]);
    let shown = file.display();
    assert!(
        text.contains(&format!(
            "# Use it with:  ghl-import import {shown} --skip-lines 2 --mapping <this file>\n"
        )),
        "{text}"
    );
    assert!(
        text.contains("# The file's title block above the header (lines 1 to 2) is left unread with --skip-lines 2: give it each time, a mapping file cannot.\n"),
        "{text}"
    );
    // Used as it says, it maps the rows as without it.
    let m = env.path("m.toml");
    let m = m.to_str().unwrap();
    assert_eq!(
        statuses(&env, &file, &["--skip-lines", "2", "--mapping", m]),
        statuses(&env, &file, &["--skip-lines", "2"])
    );
    // Without the flag, nothing about it.
    let file = env.write(
        "plain.csv",
        "First Name,Last Name,Email\nAnn,Lee,ann@leedesign.com\n",
    );
    let text = init(&env, &file, "m.toml", &["--force"]);
    assert!(!text.contains("skip-lines"), "{text}");
}
