//! Each preset's sample export, imported with no mapping file: the preset is detected from the
//! headers and the sandbox ends up with the right values in the right fields.

mod common;

use common::*;
use ghl_import::sandbox::SandboxContact;

fn sample(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples/presets")
        .join(name)
}

fn field<'a>(c: &'a SandboxContact, f: &str) -> Option<&'a str> {
    match f {
        "first" => c.first_name.as_deref(),
        "last" => c.last_name.as_deref(),
        "email" => c.email.as_deref(),
        "phone" => c.phone.as_deref(),
        "company" => c.company_name.as_deref(),
        "address1" => c.address1.as_deref(),
        "city" => c.city.as_deref(),
        "state" => c.state.as_deref(),
        "postal" => c.postal_code.as_deref(),
        "country" => c.country.as_deref(),
        "dob" => c.date_of_birth.as_deref(),
        "source" => c.source.as_deref(),
        other => panic!("no field {other} in this test"),
    }
}

/// The contact with `email` (or, failing that, `phone`) has exactly these values (`None`:
/// absent) and these tags, ignoring case and order.
fn check(contacts: &[SandboxContact], key: &str, want: &[(&str, Option<&str>)], tags: &[&str]) {
    let c = contacts
        .iter()
        .find(|c| c.email.as_deref() == Some(key) || c.phone.as_deref() == Some(key))
        .unwrap_or_else(|| panic!("{key} not in the sandbox"));
    for (f, v) in want {
        assert_eq!(field(c, f), *v, "{key}: {f}");
    }
    let mut got: Vec<String> = c.tags.iter().map(|t| t.to_lowercase()).collect();
    got.sort();
    let mut want: Vec<String> = tags.iter().map(|t| t.to_lowercase()).collect();
    want.sort();
    assert_eq!(got, want, "{key}: tags");
    assert!(
        c.custom_fields.is_empty(),
        "{key}: ids and owners are ignored, not sent"
    );
}

/// Imports `file` with no mapping; returns the report and stderr.
fn import(
    env: &Env,
    file: &str,
    want_code: i32,
) -> (Vec<std::collections::HashMap<String, String>>, String) {
    let out = env.import(&sample(file), &[]);
    let err = stderr(&out);
    assert_eq!(code(&out), want_code, "{err}");
    (read_report(&env.path("report.csv")), err)
}

#[test]
fn hubspot() {
    let env = Env::new();
    let (report, err) = import(&env, "hubspot-contacts.csv", 0);
    assert!(
        err.contains("using the HubSpot preset (matched 9 of 9"),
        "{err}"
    );
    assert!(
        !err.contains("not imported"),
        "every column is placed: {err}"
    );
    assert_eq!(report.len(), 8);
    let all = env.sandbox.contacts(LOCATION);
    assert_eq!(all.len(), 8);
    check(
        &all,
        "emma.carter@brightpath.io",
        &[
            ("first", Some("Emma")),
            ("last", Some("Carter")),
            ("phone", Some("+16175550143")),
            ("company", Some("BrightPath Analytics")),
            ("address1", Some("200 Clarendon St")),
            ("city", Some("Boston")),
            ("state", Some("MA")),
            ("postal", Some("02116")),
            ("country", Some("US")),
        ],
        &["customer"],
    );
    // The email's domain is lowercased; Phone Number wins over Mobile Phone Number.
    check(
        &all,
        "noah.patel@greenleaf.com",
        &[("phone", Some("+16175550178"))],
        &["lead"],
    );
    // No Phone Number: the mobile number is used.
    check(
        &all,
        "liam.nguyen@example.com",
        &[("phone", Some("+15035550112")), ("state", Some("OR"))],
        &["marketing qualified lead"],
    );
    check(
        &all,
        "olivia.hughes@harbourline.co.uk",
        &[
            ("phone", Some("+442079460321")),
            ("country", Some("GB")),
            ("state", None),
            ("postal", Some("WC2B 6NH")),
        ],
        &["opportunity"],
    );
    check(
        &all,
        "sophia@martins-design.ca",
        &[("phone", Some("+16045550137")), ("country", Some("CA"))],
        &["customer"],
    );
}

#[test]
fn salesforce() {
    let env = Env::new();
    let (report, err) = import(&env, "salesforce-contacts.csv", 0);
    assert!(err.contains("using the Salesforce preset"), "{err}");
    // 3/4/1988 reads both ways, but the column's other dates (7/19/1985) settle it:
    // month-first, and the run says so.
    assert!(report.iter().all(|r| r["status"] == "created"));
    assert!(
        err.contains("dates in column 'Birthdate' are read month-first"),
        "{err}"
    );
    let all = env.sandbox.contacts(LOCATION);
    assert_eq!(all.len(), 8);
    let aisha = all
        .iter()
        .find(|c| c.first_name.as_deref() == Some("Aisha"))
        .unwrap();
    assert_eq!(aisha.date_of_birth.as_deref(), Some("1988-03-04"));
    check(
        &all,
        "grace.kim@pinnaclelogistics.com",
        &[
            ("first", Some("Grace")),
            ("last", Some("Kim")),
            ("phone", Some("+14155550199")),
            ("company", Some("Pinnacle Logistics")),
            ("address1", Some("1 Embarcadero Ctr")),
            ("city", Some("San Francisco")),
            ("state", Some("CA")),
            ("postal", Some("94111")),
            ("country", Some("US")),
            ("dob", Some("1985-07-19")),
            ("source", Some("Web")),
        ],
        &[],
    );
    check(
        &all,
        "hannah.weiss@weissclinic.org",
        &[
            ("phone", Some("+13035550177")),
            ("dob", Some("1982-11-23")),
            ("source", Some("Trade Show")),
        ],
        &[],
    );
    check(
        &all,
        "carlos.mendes@mendes.com.br",
        &[
            ("phone", Some("+5511987654321")),
            ("city", Some("São Paulo")),
            ("postal", Some("01310-100")),
            ("country", Some("BR")),
            ("dob", Some("1990-10-30")),
        ],
        &[],
    );
    check(
        &all,
        "james.oneill@keystonebuilders.com",
        &[("last", Some("O'Neill")), ("dob", None)],
        &[],
    );
}

#[test]
fn pipedrive() {
    let env = Env::new();
    let (_, err) = import(&env, "pipedrive-people.csv", 0);
    assert!(
        err.contains("using the Pipedrive preset (matched 8 of 8"),
        "{err}"
    );
    let all = env.sandbox.contacts(LOCATION);
    assert_eq!(all.len(), 8);
    check(
        &all,
        "lucas@moreau-archi.fr",
        &[
            ("first", Some("Lucas")),
            ("last", Some("Moreau")),
            ("phone", Some("+33142685300")),
            ("company", Some("Moreau Architecture")),
            ("city", Some("Paris")),
            ("country", Some("FR")),
        ],
        &["hot lead", "customer"],
    );
    check(
        &all,
        "ludwig@symphonicsupplies.at",
        &[("first", Some("Ludwig")), ("last", Some("van Beethoven"))],
        &["customer"],
    );
    // "Last, First", and the home address when there is no work one.
    check(
        &all,
        "diego@garciaimports.mx",
        &[("first", Some("Diego")), ("last", Some("Garcia"))],
        &["customer", "vip"],
    );
    check(
        &all,
        "mia.johansson@example.se",
        &[("phone", Some("+46701234567")), ("country", Some("SE"))],
        &[],
    );
    check(
        &all,
        "priya@ramantextiles.in",
        &[("phone", Some("+919876543210"))],
        &["cold lead"],
    );
    check(
        &all,
        "hello@zoeyoga.com",
        &[("first", Some("Zoe")), ("last", None)],
        &["customer"],
    );
}

#[test]
fn mailchimp() {
    let env = Env::new();
    let (_, err) = import(&env, "mailchimp-audience.csv", 0);
    assert!(err.contains("using the Mailchimp preset"), "{err}");
    let all = env.sandbox.contacts(LOCATION);
    assert_eq!(all.len(), 8);
    check(
        &all,
        "jenna.brooks@example.com",
        &[
            ("first", Some("Jenna")),
            ("last", Some("Brooks")),
            ("phone", Some("+12175550123")),
            ("address1", Some("123 Main St  Springfield  IL  62701  US")),
            // Birthday (no year) and the IP-derived CC are not imported.
            ("dob", None),
            ("country", None),
        ],
        &["Newsletter", "Customer"],
    );
    // Quoted tags keep their commas.
    check(
        &all,
        "liam.oconnor@example.ie",
        &[("phone", Some("+35315550199"))],
        &["Newsletter", "Ireland, Dublin"],
    );
    check(
        &all,
        "sam.lee@example.org",
        &[("phone", Some("+15625550134"))],
        &["VIP", "Webinar 2024", "Customer"],
    );
    check(&all, "nora.fischer@example.de", &[("phone", None)], &[]);
}

#[test]
fn zoho() {
    let env = Env::new();
    let (_, err) = import(&env, "zoho-contacts.csv", 0);
    assert!(err.contains("using the Zoho CRM preset"), "{err}");
    let all = env.sandbox.contacts(LOCATION);
    assert_eq!(all.len(), 8);
    check(
        &all,
        "arjun.mehta@mehtaexports.in",
        &[
            ("first", Some("Arjun")),
            ("last", Some("Mehta")),
            ("phone", Some("+912222661234")),
            ("company", Some("Mehta Exports")),
            ("address1", Some("12 Marine Drive")),
            ("city", Some("Mumbai")),
            ("state", Some("Maharashtra")),
            ("postal", Some("400020")),
            ("country", Some("IN")),
            ("dob", Some("1984-06-15")),
            ("source", Some("Trade Show")),
        ],
        &["Trade Show", "Partner"],
    );
    check(
        &all,
        "kevin.walsh@walshconsulting.com",
        &[("dob", Some("1978-12-24")), ("phone", Some("+16175550125"))],
        &[],
    );
    // The secondary email when the main one is empty.
    check(
        &all,
        "ben.turner@example.com",
        &[("phone", Some("+19195550160"))],
        &["Customer"],
    );
    check(
        &all,
        "yuki.sato@satotrading.jp",
        &[("phone", Some("+819012345678")), ("country", Some("JP"))],
        &["Partner", "Japan"],
    );
}

#[test]
fn keap() {
    let env = Env::new();
    let (_, err) = import(&env, "keap-contacts.csv", 0);
    assert!(err.contains("using the Keap preset"), "{err}");
    let all = env.sandbox.contacts(LOCATION);
    assert_eq!(all.len(), 8);
    check(
        &all,
        "rachel@greenboutique.com",
        &[
            ("first", Some("Rachel")),
            ("last", Some("Green")),
            ("phone", Some("+14805550142")),
            ("company", Some("Green Boutique")),
            ("address1", Some("4400 N Scottsdale Rd")),
            ("city", Some("Scottsdale")),
            ("state", Some("AZ")),
            ("postal", Some("85251")),
            ("country", Some("US")),
            ("dob", Some("1983-05-05")),
            ("source", Some("Facebook")),
        ],
        &["Newsletter", "Webinar Attendee"],
    );
    // The extension is dropped; Phone 2 only fills in when Phone 1 is empty.
    check(
        &all,
        "david.cho@chofitness.com",
        &[("phone", Some("+14805550199")), ("dob", Some("1982-11-23"))],
        &["Newsletter"],
    );
    check(
        &all,
        "megan.foster@example.com",
        &[("phone", Some("+16025550175"))],
        &["Client", "Referral Partner"],
    );
    check(
        &all,
        "sam.boateng@example.ca",
        &[("phone", Some("+14165550108")), ("country", Some("CA"))],
        &["Webinar Attendee"],
    );
}

#[test]
fn preset_none_and_a_mapping_file_override() {
    let env = Env::new();
    // --preset none: plain name matching; HubSpot's own columns are reported as not imported.
    let out = env.import(
        &sample("hubspot-contacts.csv"),
        &["--preset", "none", "--dry-run"],
    );
    let err = stderr(&out);
    assert!(!err.contains("preset ("), "{err}");
    assert!(err.contains("'Record ID'"), "{err}");

    // A mapping file's line wins over the preset's for that column and field.
    let mapping = env.write(
        "m.toml",
        "[columns]\n\"Mobile Phone Number\" = \"phone\"\n\"Lifecycle Stage\" = \"ignore\"\n",
    );
    let out = env.import(
        &sample("hubspot-contacts.csv"),
        &["--mapping", mapping.to_str().unwrap()],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let all = env.sandbox.contacts(LOCATION);
    check(
        &all,
        "ethan.brooks@northwind.com",
        &[("phone", Some("+13125550199"))],
        &[],
    );
    check(&all, "emma.carter@brightpath.io", &[("phone", None)], &[]);
}
