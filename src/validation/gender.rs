//! HighLevel's `gender`: its OpenAPI files (contacts.json, the upsert and create bodies) give a
//! string with the example `"male"` and no list of values. Assumed, as nothing documents
//! more: `male` and `female`, spelt as that example, are what it takes. Any other value
//! would be a guess at what HighLevel does with it (store it, or refuse the contact), so it
//! is left out and named, never sent. What exports write is read only when its meaning is
//! certain: vCard's letters (RFC 6350: `M`, `F`; `U`, `N` for unknown and none), the English
//! words, and the same words in German, French, Spanish, Portuguese, Italian and Dutch.

use crate::input::trim;

/// Why any other value is left out.
pub const NOT_READ: &str = "not read as male or female, the only values sent as a gender (HighLevel documents no list of them); to keep it, map the column to a custom field";

const MALE: &[&str] = &[
    "m",
    "male",
    "man",
    "masculine",
    "männlich",
    "maennlich",
    "mann",
    "masculin",
    "homme",
    "masculino",
    "hombre",
    "homem",
    "maschio",
    "maschile",
    "uomo",
    "mannelijk",
];

const FEMALE: &[&str] = &[
    "f",
    "female",
    "woman",
    "feminine",
    "weiblich",
    "frau",
    "féminin",
    "feminin",
    "femme",
    "femenino",
    "feminino",
    "mujer",
    "mulher",
    "femmina",
    "femminile",
    "donna",
    "vrouwelijk",
    "vrouw",
];

/// Outlook writes `Unspecified` for everyone; vCard's `U` and `N` (unknown, none). These say
/// nothing, like an empty cell (Outlook's `0/0/00` date): naming them on every row would bury
/// the real losses, and `--strict` would refuse a whole desktop Outlook export for them.
const NONE: &[&str] = &[
    "unspecified",
    "not specified",
    "unknown",
    "u",
    "n",
    "n/a",
    "na",
    "none",
    "-",
];

/// Why `H` is left out: Spanish forms write H/M (hombre/mujer), where `M` is female, which
/// this importer reads as male; said on the men's rows, so the column is not misread silently.
pub const H: &str = "not read as male or female: H is hombre or homme, and in a Spanish column of H and M (hombre/mujer) M means female, which would be read as male; rewrite the column as male/female, or map it to a custom field";

/// `male` or `female` for a value that certainly means it, `None` for one that says the gender
/// is not known (an empty cell); otherwise why it is left out.
pub fn normalise_gender(t: &str) -> Result<Option<&'static str>, &'static str> {
    let lower = trim(t).to_lowercase();
    let is = |words: &[&str]| words.contains(&lower.as_str());
    if is(MALE) {
        Ok(Some("male"))
    } else if is(FEMALE) {
        Ok(Some("female"))
    } else if is(NONE) {
        Ok(None)
    } else if lower == "h" {
        Err(H)
    } else {
        Err(NOT_READ)
    }
}
