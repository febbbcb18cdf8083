//! `--log-format json -v`: one JSON object per row outcome on stderr, with the report's
//! fields, for cron and log shippers.

mod common;

use common::*;

#[test]
fn with_json_logs_at_v_every_row_is_one_json_object_with_the_reports_fields() {
    let env = Env::new();
    // A Mailchimp audience export (its header as exported), one address broken.
    let file = env.write(
        "subscribed_members_export_2f3e1a.csv",
        "Email Address,First Name,Last Name,Phone Number,TAGS\n\
         ann@example.com,Ann,Lee,+1 415 555 0101,\"vip,2024 expo\"\n\
         bob@example,Bob,Ray,,\n\
         cy@example.com,Cy,Ng,(415) 555-0103,\n",
    );
    let out = env.import(&file, &["-v", "--log-format", "json", "--no-state"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let rows: Vec<serde_json::Value> = stderr(&out)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l)
                .unwrap_or_else(|e| panic!("not one JSON object a line ({e}): {l}"))
        })
        .filter(|v| v["message"] == "row")
        .collect();
    let report = read_report(&env.path("report.csv"));
    assert_eq!(rows.len(), report.len());
    for (log, line) in rows.iter().zip(&report) {
        assert_eq!(log["row"].to_string(), line["row"]);
        // Every column of the report, with the same value.
        for (field, value) in line.iter().filter(|(f, _)| *f != "row") {
            assert_eq!(
                log[field].as_str(),
                Some(value.as_str()),
                "{field} in {log}"
            );
        }
        assert_eq!(log["level"], "INFO");
    }
    assert_eq!(rows[0]["tags_status"], "added");
    assert_eq!(rows[0]["location_id"], LOCATION);
    assert_eq!(rows[1]["status"], "invalid");

    // Without -v, no row lines.
    let out = env.import(&file, &["--log-format", "json", "--no-state"]);
    assert!(
        !stderr(&out).contains("\"message\":\"row\""),
        "{}",
        stderr(&out)
    );
}
