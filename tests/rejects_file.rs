//! `--rejects` opens in Excel as the input did: the input's delimiter, and a UTF-8 BOM when
//! the input had one or was in a code page (a European Excel's `;` CSV, Outlook's
//! windows-1252 export), so accents and columns come out right.

mod common;

use common::*;

fn rejects_of(env: &Env, name: &str, content: &[u8]) -> Vec<u8> {
    let file = env.path(name);
    std::fs::write(&file, content).unwrap();
    let rejects = env.path("rejects.csv");
    let out = env
        .cmd()
        .arg("validate")
        .arg(&file)
        .arg("--rejects")
        .arg(&rejects)
        .output()
        .unwrap();
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    std::fs::read(rejects).unwrap()
}

#[test]
fn a_rejects_file_keeps_the_inputs_delimiter_and_bom_so_excel_opens_it_in_columns() {
    let env = Env::new();
    let got = rejects_of(
        &env,
        "excel-de.csv",
        "\u{FEFF}E-Mail;Vorname;Nachname\nann@example.com;Zoë;Lee\nnot-an-email;Zoë;Ray\n"
            .as_bytes(),
    );
    let text = String::from_utf8(got).unwrap();
    assert!(text.starts_with('\u{FEFF}'), "{text:?}");
    let lines: Vec<&str> = text.trim_start_matches('\u{FEFF}').lines().collect();
    assert_eq!(lines[0], "E-Mail;Vorname;Nachname;errors");
    assert!(lines[1].starts_with("not-an-email;Zoë;Ray;"), "{text:?}");
    assert_eq!(lines.len(), 2);
}

#[test]
fn a_code_page_input_gives_a_utf8_rejects_file_with_a_bom() {
    let env = Env::new();
    // windows-1252: ë is one byte, 0xEB.
    let got = rejects_of(
        &env,
        "outlook.csv",
        b"Email,First Name\nann@example.com,Zo\xEB\nnot-an-email,Zo\xEB\n",
    );
    let text = String::from_utf8(got).unwrap();
    assert!(
        text.starts_with("\u{FEFF}Email,First Name,errors\n"),
        "{text:?}"
    );
    assert!(text.contains("\nnot-an-email,Zoë,"), "{text:?}");
}

#[test]
fn a_plain_utf8_comma_file_gives_a_plain_rejects_file() {
    let env = Env::new();
    let got = rejects_of(
        &env,
        "plain.csv",
        "Email,First Name\nann@example.com,Zoë\nnot-an-email,Zoë\n".as_bytes(),
    );
    let text = String::from_utf8(got).unwrap();
    assert!(text.starts_with("Email,First Name,errors\n"), "{text:?}");
}

#[test]
fn a_code_page_input_whose_first_accent_comes_late_still_gives_a_rejects_file_with_a_bom() {
    let env = Env::new();
    // windows-1252 with 90 KB of plain ASCII first: read as UTF-8 until the ë, past the
    // first rejected row, so the BOM is decided only once the run is over.
    let mut content = b"Email,First Name\nnot-an-email,Ann\n".to_vec();
    for i in 0..3000 {
        content.extend_from_slice(format!("member{i:04}@example.com,Ann Lee\n").as_bytes());
    }
    content.extend_from_slice(b"also-not-an-email,Zo\xEB\n");
    assert!(content.len() > 64 * 1024);
    let got = rejects_of(&env, "outlook-sorted.csv", &content);
    let text = String::from_utf8(got).unwrap();
    assert!(
        text.starts_with("\u{FEFF}Email,First Name,errors\nnot-an-email,Ann,"),
        "{:?}",
        &text[..text.len().min(200)]
    );
    assert!(text.contains("\nalso-not-an-email,Zoë,"), "{text:?}");
    assert_eq!(text.lines().count(), 3);

    // The same late accent in UTF-8: the input had no BOM, nor has its rejects file.
    let mut content = content[..content.len() - 4].to_vec();
    content.extend_from_slice("Zoë\n".as_bytes());
    let got = rejects_of(&env, "plain-sorted.csv", &content);
    let text = String::from_utf8(got).unwrap();
    assert!(text.starts_with("Email,First Name,errors\n"), "{text:?}");
    assert!(text.contains("\nalso-not-an-email,Zoë,"), "{text:?}");
}
