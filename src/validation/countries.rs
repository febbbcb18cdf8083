//! Countries as HighLevel accepts them: the ISO 3166 alpha-2 codes of its own list, from a
//! code, a name from that list, or a name people write (`USA`, `U.S.`, `UK`, `Deutschland`).

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

struct Countries {
    codes: HashSet<&'static str>,
    names: HashMap<String, &'static str>,
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
        Countries { codes, names }
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
    let t = t.trim();
    if t.len() == 2 {
        let up = t.to_ascii_uppercase();
        if let Some(code) = c.codes.get(up.as_str()) {
            return Some(code);
        }
    }
    c.names.get(&name_key(t)).copied()
}
