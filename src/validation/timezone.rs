//! Time zones. HighLevel's `timezone` holds an IANA name (the spec's examples: `America/Chihuahua`,
//! `Asia/Calcutta`); exports write them in any case (Mailchimp: `america/chicago`). Anything
//! else, an offset like `-6` or a label like "Eastern Time", would be a guess at a zone, so the
//! caller leaves it out and names it.

use std::str::FromStr;

use chrono_tz::{Tz, TZ_VARIANTS};

/// Names the database keeps for old systems that people write as labels: `EST` there is
/// UTC−5 all year (a New York contact would lose daylight saving), `MST` is Arizona's time
/// (not Denver's), `GMT` never moves (London does). Each would be a guess: left out.
const LABELS: [&str; 7] = ["EST", "MST", "GMT", "GMT0", "GMT+0", "GMT-0", "Greenwich"];

/// The zone's IANA name as the database spells it, or `None` if `s` names no zone (or is a
/// label the database happens to keep, see [`LABELS`]).
pub fn normalise_timezone(s: &str) -> Option<&'static str> {
    if LABELS.iter().any(|l| l.eq_ignore_ascii_case(s)) {
        return None;
    }
    if let Ok(tz) = Tz::from_str(s) {
        return Some(tz.name());
    }
    // Only a miss in the exact table pays for the scan (about 600 names).
    TZ_VARIANTS
        .iter()
        .map(|tz| tz.name())
        .find(|name| name.eq_ignore_ascii_case(s))
}

#[cfg(test)]
mod tests {
    use super::normalise_timezone;

    #[test]
    fn iana_names_are_kept_in_any_case_and_spelt_as_the_database_does() {
        for (input, want) in [
            ("America/Chicago", "America/Chicago"),
            ("america/chicago", "America/Chicago"),
            ("AMERICA/LOS_ANGELES", "America/Los_Angeles"),
            ("Asia/Calcutta", "Asia/Calcutta"),
            ("US/Central", "US/Central"),
            ("utc", "UTC"),
            ("Europe/Zurich", "Europe/Zurich"),
            // Kept with their daylight-saving rules, as the database has them.
            ("EST5EDT", "EST5EDT"),
            ("HST", "HST"),
        ] {
            assert_eq!(normalise_timezone(input), Some(want), "{input}");
        }
    }

    #[test]
    fn offsets_labels_and_abbreviations_that_name_no_zone_are_refused() {
        for input in [
            "-6",
            "'-5",
            "GMT-05:00",
            "(GMT-05:00) Eastern Time (US & Canada)",
            "Eastern Time",
            "PST",
            "EST",
            "est",
            "MST",
            "GMT",
            "America/Chicago ",
            "America",
            "",
        ] {
            assert_eq!(normalise_timezone(input), None, "{input}");
        }
    }
}
