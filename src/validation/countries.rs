//! Countries as HighLevel accepts them: the ISO 3166 alpha-2 codes of its own list, from a
//! code, a name from that list, or a name people write (`USA`, `U.S.`, `UK`, `Deutschland`).

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use crate::input::trim;

struct Countries {
    codes: HashSet<&'static str>,
    /// The codes again, by their two letters (`AA` = 0): no hashing for the usual cell.
    by_letters: Vec<Option<&'static str>>,
    names: HashMap<String, &'static str>,
}

fn letters_index(t: &[u8]) -> Option<usize> {
    match t {
        [a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => Some(
            usize::from(a.to_ascii_uppercase() - b'A') * 26
                + usize::from(b.to_ascii_uppercase() - b'A'),
        ),
        _ => None,
    }
}

/// HighLevel's own list, embedded so the build needs nothing outside the repository.
pub(super) const COUNTRY_LIST: &str = include_str!("country-list.md");

/// Names people write that are not (or not unambiguously) in HighLevel's list.
const COUNTRY_ALIASES: &[(&str, &str)] = &[
    ("usa", "US"),
    ("unitedstatesofamerica", "US"),
    ("america", "US"),
    ("uk", "GB"),
    ("unitedkingdom", "GB"),
    ("greatbritain", "GB"),
    ("britain", "GB"),
    ("england", "GB"),
    ("scotland", "GB"),
    ("wales", "GB"),
    ("northernireland", "GB"),
    ("southkorea", "KR"),
    ("republicofkorea", "KR"),
    ("northkorea", "KP"),
    ("russia", "RU"),
    ("vietnam", "VN"),
    ("czechia", "CZ"),
    ("iran", "IR"),
    ("syria", "SY"),
    ("laos", "LA"),
    ("macau", "MO"),
    ("northmacedonia", "MK"),
    ("eswatini", "SZ"),
    ("ivorycoast", "CI"),
    ("cotedivoire", "CI"),
    ("holland", "NL"),
    ("thenetherlands", "NL"),
    ("deutschland", "DE"),
    ("uae", "AE"),
    ("palestine", "PS"),
    ("vatican", "VA"),
    ("vaticancity", "VA"),
    ("brunei", "BN"),
    ("caboverde", "CV"),
    ("libya", "LY"),
    ("turkiye", "TR"),
    ("burma", "MM"),
    ("easttimor", "TL"),
    ("drc", "CD"),
    ("democraticrepublicofthecongo", "CD"),
    ("republicofthecongo", "CG"),
    ("britishvirginislands", "VG"),
    ("usvirginislands", "VI"),
    ("micronesia", "FM"),
    ("falklandislands", "FK"),
    ("espana", "ES"),
    ("méxico", "MX"),
    ("us", "US"),
    ("usofa", "US"),
    ("unitedstatesus", "US"),
    ("theunitedstates", "US"),
    ("theunitedstatesofamerica", "US"),
    ("estadosunidos", "US"),
    ("etatsunis", "US"),
    ("vereinigtestaaten", "US"),
    ("gb", "GB"),
    ("theunitedkingdom", "GB"),
    ("unitedkingdomofgreatbritainandnorthernireland", "GB"),
    ("greatbritainandnorthernireland", "GB"),
    ("germany", "DE"),
    ("frg", "DE"),
    ("brd", "DE"),
    ("österreich", "AT"),
    ("osterreich", "AT"),
    ("schweiz", "CH"),
    ("suisse", "CH"),
    ("svizzera", "CH"),
    ("españa", "ES"),
    ("italia", "IT"),
    ("nederland", "NL"),
    ("belgique", "BE"),
    ("belgië", "BE"),
    ("belgie", "BE"),
    ("sverige", "SE"),
    ("norge", "NO"),
    ("danmark", "DK"),
    ("suomi", "FI"),
    ("polska", "PL"),
    ("česko", "CZ"),
    ("czechrepublic", "CZ"),
    ("slovakrepublic", "SK"),
    ("brasil", "BR"),
    ("éire", "IE"),
    ("eire", "IE"),
    ("republicofireland", "IE"),
    ("russianfederation", "RU"),
    ("korearepublicof", "KR"),
    ("prc", "CN"),
    ("mainlandchina", "CN"),
    ("peoplesrepublicofchina", "CN"),
    ("hongkongsar", "HK"),
    ("hongkongsarchina", "HK"),
    ("taiwanroc", "TW"),
    ("türkiye", "TR"),
    ("turkey", "TR"),
    ("thebahamas", "BS"),
    ("thegambia", "GM"),
    ("newzealand", "NZ"),
    ("aotearoa", "NZ"),
    ("uae", "AE"),
    ("emirates", "AE"),
    ("ksa", "SA"),
    ("sudafrica", "ZA"),
    ("rsa", "ZA"),
    // German names, as German-locale spreadsheets write them.
    ("frankreich", "FR"),
    ("niederlande", "NL"),
    ("italien", "IT"),
    ("spanien", "ES"),
    ("norwegen", "NO"),
    ("schweden", "SE"),
    ("dänemark", "DK"),
    ("finnland", "FI"),
    ("polen", "PL"),
    ("belgien", "BE"),
    ("tschechien", "CZ"),
    ("griechenland", "GR"),
    ("türkei", "TR"),
    ("russland", "RU"),
    ("großbritannien", "GB"),
    ("vereinigteskönigreich", "GB"),
    ("vereinigtestaatenvonamerika", "US"),
    // French and Spanish.
    ("allemagne", "DE"),
    ("royaumeuni", "GB"),
    ("alemania", "DE"),
    ("reinounido", "GB"),
];

fn countries() -> &'static Countries {
    static C: OnceLock<Countries> = OnceLock::new();
    C.get_or_init(|| {
        let mut codes = HashSet::new();
        let mut names: HashMap<String, Option<&'static str>> = HashMap::new();
        for line in COUNTRY_LIST.lines() {
            let mut cells = line.split('|').map(str::trim);
            let (Some(""), Some(code), Some(name)) = (cells.next(), cells.next(), cells.next())
            else {
                continue;
            };
            if code.len() != 2 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
                continue;
            }
            codes.insert(code);
            // Names listed twice (Congo, Korea, Virgin Islands) are ambiguous: not accepted.
            names
                .entry(name_key(name))
                .and_modify(|c| *c = None)
                .or_insert(Some(code));
        }
        let mut names: HashMap<String, &'static str> = names
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .collect();
        for (alias, code) in COUNTRY_ALIASES {
            names.insert(name_key(alias), code);
        }
        let mut by_letters = vec![None; 26 * 26];
        for code in &codes {
            if let Some(i) = letters_index(code.as_bytes()) {
                by_letters[i] = Some(*code);
            }
        }
        Countries {
            codes,
            by_letters,
            names,
        }
    })
}

fn name_key(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// ISO alpha-2 code from HighLevel's list, from a code (any case) or a common name.
pub fn normalise_country(t: &str) -> Option<&'static str> {
    let c = countries();
    let t = trim(t);
    if let Some(i) = letters_index(t.as_bytes()) {
        if let Some(code) = c.by_letters[i] {
            return Some(code);
        }
    }
    // An ASCII name: its key built on the stack (what `name_key` makes of it).
    if t.is_ascii() && t.len() <= 64 {
        let mut buf = [0u8; 64];
        let mut n = 0;
        for b in t.bytes().filter(u8::is_ascii_alphanumeric) {
            buf[n] = b.to_ascii_lowercase();
            n += 1;
        }
        let key = std::str::from_utf8(&buf[..n]).ok()?;
        return c.names.get(key).copied();
    }
    if t.len() == 2 {
        let up = t.to_ascii_uppercase();
        if let Some(code) = c.codes.get(up.as_str()) {
            return Some(code);
        }
    }
    c.names.get(&name_key(t)).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The allocation-free paths against the general lookup, on every code and name of the
    /// list and the aliases, in several spellings, and on generated junk.
    #[test]
    fn the_fast_lookup_agrees_with_the_general_one() {
        let general = |t: &str| {
            let c = countries();
            let t = t.trim();
            if t.len() == 2 {
                if let Some(code) = c.codes.get(t.to_ascii_uppercase().as_str()) {
                    return Some(*code);
                }
            }
            c.names.get(&name_key(t)).copied()
        };
        let mut cells: Vec<String> = Vec::new();
        for line in COUNTRY_LIST.lines() {
            for cell in line.split('|').map(str::trim).filter(|c| !c.is_empty()) {
                cells.extend([
                    cell.to_owned(),
                    cell.to_lowercase(),
                    cell.to_uppercase(),
                    format!(" {cell}\t"),
                    cell.replace(' ', "."),
                    format!("{cell}\u{A0}"),
                ]);
            }
        }
        for (alias, code) in COUNTRY_ALIASES {
            cells.extend([alias.to_string(), alias.to_uppercase(), code.to_string()]);
        }
        let mut x: u64 = 0x1234_5678_9ABC_DEF1;
        let alphabet: Vec<char> = "aAzZ .-é\u{FF35}\u{FF33}0'".chars().collect();
        for _ in 0..50_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = (x % 5) as usize;
            cells.push(
                (0..len)
                    .map(|k| alphabet[((x >> (8 * k + 8)) % alphabet.len() as u64) as usize])
                    .collect(),
            );
        }
        cells.push("a".repeat(70));
        for cell in &cells {
            assert_eq!(normalise_country(cell), general(cell), "{cell:?}");
        }
    }
}
