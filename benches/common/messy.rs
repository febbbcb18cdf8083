//! The deliberately messy contacts file the dry-run benchmarks read.

use std::io::Write;
use std::path::Path;

pub const PHONES: &[&str] = &[
    "(415) 555-2671",
    "415.555.0134",
    "+44 20 7946 0958",
    "00 49 30 901820",
    "212-555-0198",
    "+1 (646) 555-3890",
    "6175550123",
    "1-800-555-0199",
    "+33 1 42 68 53 00",
    "555-01",
    "(415) 555-2671 x204",
    "+61 2 9374 4000",
    "123-456-7890",
    "+1 415 555 2671",
    "720 555 0100",
    "abc-555-1234",
];
pub const DATES: &[&str] = &[
    "1985-04-12",
    "04/12/1985",
    "1990/11/03",
    "12-31-1979",
    "2001.07.04",
    "1972_02_29",
    "1988-02-30",
    "13/13/1990",
    "1995-06-15T10:20:30Z",
    "",
];
const FIRST: &[&str] = &[
    "José", "Zoë", "Anna", "Søren", "Émilie", "李", "Mark", "Ørjan",
];
pub const COUNTRIES: &[&str] = &["US", "us", "Canada", "GB", "Germany", "", "", "", "XX"];

/// Deterministic: the same file every run.
pub fn write_messy(path: &Path, n: usize) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(
        f,
        "First Name,Last Name,Email,Phone,Date of Birth,Country,City,Company Name,Tags"
    )
    .unwrap();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for i in 0..n {
        let r = next();
        let pick = |list: &[&'static str], shift: u32| list[((r >> shift) as usize) % list.len()];
        let email = match (r >> 40) % 20 {
            0 => format!("bad.{i}@"),
            1 => format!("user {i}@example.com"),
            2 => String::new(),
            _ => format!("Person.{i}@Example{}.COM", i % 13),
        };
        // Nothing is cached between rows, so repeating these strings costs like distinct ones.
        let phone = pick(PHONES, 8).to_owned();
        let country = pick(COUNTRIES, 20);
        let tags = match (r >> 50) % 4 {
            0 => "\"vip, lead\"",
            1 => "lead",
            2 => "",
            _ => "\"customer,VIP,Customer\"",
        };
        writeln!(
            f,
            "{},Müller-{},{email},{phone},{},{country},São Paulo,\"Acme, Inc. {}\",{tags}",
            pick(FIRST, 0),
            i % 997,
            pick(DATES, 16),
            i % 50,
        )
        .unwrap();
    }
}
