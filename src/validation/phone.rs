//! A fast path for the common phone shapes: NANP numbers (10 digits, `1` + 10 digits, or
//! `+1` + 10 digits) read in the US or Canada. `phonenumber::parse` costs tens of µs per call
//! and serialises on its regex cache; deciding these shapes needs only libphonenumber's
//! NANP patterns, which are matched here directly from the same metadata, with the same
//! region-resolution rule as `phonenumber::is_valid`. Every other shape returns `None` and
//! goes to the full parser. `tests::fast_path_agrees_with_phonenumber` checks agreement.

use super::phone_meta::{self, Meta, METAS, VOICEMAIL};
use phonenumber::country::Id as Region;
use regex_automata::dfa::{dense, Automaton, StartKind};
use regex_automata::nfa::thompson;
use regex_automata::util::syntax;
use regex_automata::{Anchored, Input};
use std::sync::OnceLock;

/// `Some(Ok(e164))` / `Some(Err(()))` when the fast path can decide, `None` when the full
/// parser must. `input` is what would go to `phonenumber::parse`, `region` its region (`None`
/// when `input` starts with `+`).
pub(super) fn fast_nanp(input: &str, region: Option<Region>) -> Option<Result<String, ()>> {
    let plus = input.starts_with('+');
    if !plus && !matches!(region, Some(Region::US | Region::CA)) {
        return None;
    }
    let (digits, n) = written_digits(input)?;
    let national = match (plus, n, digits[0]) {
        (true, 11, b'1') => &digits[1..11],
        (false, 11, b'1') => &digits[1..11],
        (false, 10, _) => &digits[..10],
        _ => return None,
    };
    // A national number starting 0 or 1 takes the parser's prefix-stripping paths.
    if !(b'2'..=b'9').contains(&national[0]) {
        return None;
    }
    // ASCII digits only.
    let national = std::str::from_utf8(national).ok()?;
    Some(if nanp_valid(national) {
        Ok(e164("1", national))
    } else {
        Err(())
    })
}

/// A number without a country code, read in the US or Canada, that the full parser can
/// find nothing in: fewer digits than any NANP number, local ones included (7), and no `011`
/// international prefix; or 9 or 10 digits starting `1` then 2–9, whose `1` the parser takes
/// for the national prefix, leaving 8 or 9 digits (no NANP length).
pub(super) fn nanp_too_short(input: &str, region: Option<Region>) -> bool {
    if input.starts_with('+') || !matches!(region, Some(Region::US | Region::CA)) {
        return false;
    }
    let mut digits = input.bytes().filter(u8::is_ascii_digit);
    let count = digits.clone().count();
    if (9..=10).contains(&count) {
        // `11…` the parser reads otherwise (as a 7-digit local number, possible).
        return digits.next() == Some(b'1') && digits.next().is_some_and(|d| d >= b'2');
    }
    count < 7 && !digits.by_ref().take(3).eq(*b"011")
}

/// A `+` number whose national part the parser would keep as written (no national prefix,
/// no leading zero), when it is valid: E.164 without `phonenumber::parse`. Invalid or
/// unusual ones return `None` and go to the full parser.
pub(super) fn fast_international(input: &str) -> Option<String> {
    let digits = input.strip_prefix('+')?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) || digits.starts_with('0') {
        return None;
    }
    // The parser takes the shortest known code, as here.
    let (code, national) = (1..=3.min(digits.len())).find_map(|len| {
        let code: u16 = digits[..len].parse().ok()?;
        known(code).then(|| (code, &digits[len..]))
    })?;
    if national.len() < 3 || national.len() > 17 || national.starts_with('0') {
        return None;
    }
    let (meta, typed) = typed_source(code, national)?;
    let npfp = compiled(meta).national_prefix_for_parsing.as_ref();
    if meta
        .national_prefix
        .is_some_and(|p| national.starts_with(p))
        || npfp.is_some_and(|re| re.is_match(national))
    {
        return None;
    }
    typed.then(|| e164(&digits[..digits.len() - national.len()], national))
}

/// A number without a country code read in `region`, when the parser would keep its digits
/// as the national number: no international prefix, no country code, no national prefix, no
/// leading zero (libphonenumber's `maybeExtractCountryCode` and `maybeStripNationalPrefix`
/// leave it alone). `Some(answer)` is what `parse_phone` answers; other shapes return `None`.
pub(super) fn fast_national(input: &str, region: Region) -> Option<Option<super::Phone>> {
    let (digits, n) = written_digits(input)?;
    // ASCII digits only.
    let national = std::str::from_utf8(&digits[..n]).ok()?;
    if n < 4 || national.starts_with('0') {
        return None;
    }
    let home = home(region)?;
    if national.starts_with(home.code_digits.as_str())
        || home.idd.as_ref().is_some_and(|re| re.is_match(national))
        || home
            .national_prefix
            .is_some_and(|p| national.starts_with(p))
        || home.npfp.as_ref().is_some_and(|re| re.is_match(national))
    {
        return None;
    }
    let code = home.code;
    let e164 = e164(&home.code_digits, national);
    let valid = typed_source(code, national).is_some_and(|(_, typed)| typed);
    Some(if valid {
        Some(super::Phone { e164, valid })
    } else {
        possible(code, national).then_some(super::Phone { e164, valid })
    })
}

/// `+` country code national number, without the formatting machinery.
pub(super) fn e164(code: &str, national: &str) -> String {
    let mut s = String::with_capacity(1 + code.len() + national.len());
    s.push('+');
    s.push_str(code);
    s.push_str(national);
    s
}

/// The digits of a number written with the punctuation the parser drops (an optional
/// leading `+` aside); `None` for anything else (a tab is not such punctuation to the parser:
/// it turns the cell down) or more than 17 digits.
fn written_digits(input: &str) -> Option<([u8; 17], usize)> {
    let mut digits = [0u8; 17];
    let mut n = 0;
    for b in input.strip_prefix('+').unwrap_or(input).bytes() {
        match b {
            b'0'..=b'9' => {
                *digits.get_mut(n)? = b;
                n += 1;
            }
            b' ' | b'(' | b')' | b'-' | b'.' | b'/' => {}
            _ => return None,
        }
    }
    Some((digits, n))
}

/// What the parser needs of the region a number is read in, looked up once per region.
struct Home {
    code: u16,
    code_digits: String,
    national_prefix: Option<&'static str>,
    /// The international dialling prefix (`011`, `00` …), anchored.
    idd: Option<Prefix>,
    /// The national prefix for parsing, anchored.
    npfp: Option<Prefix>,
}

fn home(region: Region) -> Option<&'static Home> {
    // `Region` is a plain enum: its discriminant indexes the table.
    const REGIONS: usize = 512;
    static TABLE: OnceLock<Vec<OnceLock<Option<Home>>>> = OnceLock::new();
    let table = TABLE.get_or_init(|| (0..REGIONS).map(|_| OnceLock::new()).collect());
    table
        .get(region as usize)?
        .get_or_init(|| {
            let meta = phone_meta::by_id(region.as_ref())?;
            Some(Home {
                code: meta.code,
                code_digits: meta.code.to_string(),
                national_prefix: meta.national_prefix,
                idd: meta.international_prefix.map(Prefix::new),
                npfp: meta.national_prefix_for_parsing.map(Prefix::new),
            })
        })
        .as_ref()
}

/// libphonenumber's `isPossibleNumber`: the national number has a length some region of
/// the country code allows. Used to send numbers the bundled metadata does not (yet) know.
pub(super) fn possible(code: u16, national: &str) -> bool {
    let len = national.len() as u16;
    // The general descriptor's lengths are often left empty: the types carry them.
    phone_meta::code(code).is_some_and(|c| {
        c.all.iter().any(|&i| {
            let m = &METAS[i];
            let types = m
                .types
                .iter()
                .enumerate()
                .filter(|&(t, _)| t != VOICEMAIL)
                .filter_map(|(_, d)| d.as_ref());
            std::iter::once(&m.general)
                .chain(types)
                .any(|d| d.lengths.contains(&len))
        })
    })
}

/// `phonenumber::is_valid` for country code 1.
fn nanp_valid(national: &str) -> bool {
    typed_source(1, national).is_some_and(|(_, typed)| typed)
}

/// The metadata `phonenumber` validates a number against: a code's only region, else the
/// first region whose leading digits match (or, without leading digits, whose patterns do),
/// with whether the number has a type there ([`has_type`]). A region picked by its patterns
/// has already answered that: for the US, the first of NANP's regions, it is not asked twice.
fn typed_source(code: u16, national: &str) -> Option<(&'static Meta, bool)> {
    let regions = phone_meta::code(code).filter(|c| c.known)?.regions?;
    if let [only] = regions[..] {
        let only = &METAS[only];
        return Some((only, has_type(only, national)));
    }
    for &i in regions {
        let meta = &METAS[i];
        match leading(meta) {
            Some(ld) => {
                if ld.is_match(national) {
                    return Some((meta, has_type(meta, national)));
                }
            }
            None => {
                if has_type(meta, national) {
                    return Some((meta, true));
                }
            }
        }
    }
    None
}

/// Whether the metadata has regions by id with this country code.
fn known(code: u16) -> bool {
    phone_meta::code(code).is_some_and(|c| c.known)
}

/// `number_type(..) != Unknown`.
fn has_type(meta: &'static Meta, national: &str) -> bool {
    let c = compiled(meta);
    if !c.general.matches(national) {
        return false;
    }
    // One pattern for all the types that allow this length: one search, not one per type.
    match c.by_length.get(national.len()) {
        Some(slot) => match slot.get_or_init(|| Pattern::any_of(&c.types, national.len())) {
            // A merged pattern too large to compile: one search per type.
            Some(re) => re
                .try_match(national)
                .unwrap_or_else(|| c.types.iter().any(|p| p.matches(national))),
            None => false,
        },
        None => c.types.iter().any(|p| p.matches(national)),
    }
}

/// A descriptor's pattern, compiled so that a match means what `Descriptor::is_match` means
/// (a match starting at 0, allowed length).
struct Pattern {
    re: Matcher,
    source: String,
    lengths: Vec<u16>,
}

impl Pattern {
    fn new(re: &str, lengths: &[u16]) -> Pattern {
        Pattern {
            re: Matcher::new(re),
            source: re.to_owned(),
            lengths: lengths.to_vec(),
        }
    }

    /// The patterns that allow `len` as one alternation (`None` when none does).
    fn any_of(patterns: &[Pattern], len: usize) -> Option<Matcher> {
        let allowed: Vec<String> = patterns
            .iter()
            .filter(|p| p.lengths.is_empty() || p.lengths.contains(&(len as u16)))
            .map(|p| format!("(?:{})", p.source))
            .collect();
        (!allowed.is_empty()).then(|| Matcher::new(&allowed.join("|")))
    }

    fn matches(&self, s: &str) -> bool {
        (self.lengths.is_empty() || self.lengths.contains(&(s.len() as u16))) && self.re.is_match(s)
    }
}

/// One region's patterns, compiled on first use.
struct Compiled {
    general: Pattern,
    types: Vec<Pattern>,
    /// By national number length: the types that allow it, as one pattern.
    by_length: [AnyOf; MAX_DIGITS + 1],
    national_prefix_for_parsing: Option<Prefix>,
}

type AnyOf = OnceLock<Option<Matcher>>;

/// The most digits a number can have (E.164 allows 15; the parser reads up to 17).
const MAX_DIGITS: usize = 17;

/// A prefix pattern, matched as a plain `starts_with` when it is only digits (`011`, `1`):
/// most are.
enum Prefix {
    Digits(String),
    Re(Matcher),
}

impl Prefix {
    fn new(re: &str) -> Prefix {
        let plain: String = re.chars().filter(|c| !c.is_whitespace()).collect();
        if !plain.is_empty() && plain.bytes().all(|b| b.is_ascii_digit()) {
            Prefix::Digits(plain)
        } else {
            Prefix::Re(Matcher::new(re))
        }
    }

    fn is_match(&self, s: &str) -> bool {
        match self {
            Prefix::Digits(d) => s.starts_with(d.as_str()),
            Prefix::Re(re) => re.is_match(s),
        }
    }
}

/// A pattern matched at the start of a national number (ASCII digits), as [`anchored`]
/// matches it: by a dense DFA (one pass over the digits, nothing to set up per search) when
/// the pattern makes a small one, else by the regex. Both are built on the first search: a
/// region's type patterns are compiled with it but searched only when no merged pattern can
/// be (`has_type`), and compiling them all up front was a quarter of a run's instructions
/// on a file of mixed countries' phones, before its first request.
struct Matcher {
    /// `^(?:pattern)`, whitespace ignored.
    source: String,
    re: OnceLock<Option<regex::Regex>>,
    dfa: OnceLock<Option<Box<dense::DFA<Vec<u32>>>>>,
}

impl Matcher {
    /// Nothing is compiled yet: the metadata's patterns were all parsed when it loaded, so
    /// what cannot be built (a merged pattern past the size limits) shows on the first
    /// search, as [`Matcher::try_match`]'s `None`.
    fn new(re: &str) -> Matcher {
        Matcher {
            source: format!("^(?:{re})"),
            re: OnceLock::new(),
            dfa: OnceLock::new(),
        }
    }

    fn regex(&self) -> Option<&regex::Regex> {
        self.re.get_or_init(|| anchored(&self.source)).as_ref()
    }

    fn dfa(&self) -> Option<&dense::DFA<Vec<u32>>> {
        self.dfa
            .get_or_init(|| self.build_dfa().map(Box::new))
            .as_deref()
    }

    fn build_dfa(&self) -> Option<dense::DFA<Vec<u32>>> {
        // ASCII classes: the same matches on ASCII digits, a far smaller automaton.
        dense::Builder::new()
            .configure(
                dense::Config::new()
                    .start_kind(StartKind::Anchored)
                    .dfa_size_limit(Some(DFA_LIMIT))
                    .determinize_size_limit(Some(DFA_LIMIT)),
            )
            .syntax(
                syntax::Config::new()
                    .ignore_whitespace(true)
                    .unicode(false)
                    .utf8(false),
            )
            .thompson(thompson::Config::new().utf8(false))
            .build(&self.source)
            .ok()
    }

    /// `None` when neither the DFA nor the regex could be built.
    fn try_match(&self, s: &str) -> Option<bool> {
        if s.is_ascii() {
            if let Some(found) = self.dfa().and_then(|dfa| walk(dfa, s.as_bytes())) {
                return Some(found);
            }
        }
        self.regex().map(|re| re.is_match(s))
    }

    fn is_match(&self, s: &str) -> bool {
        self.try_match(s).unwrap_or(false)
    }
}

/// What `try_search_fwd` answers for an anchored, earliest search of `b`, by walking the DFA
/// a byte at a time: a national number is a dozen digits, where the search's own set-up cost
/// more than the walk (two searches for most numbers). `None` where the search would fail (a
/// quit state, none configured here).
fn walk(dfa: &dense::DFA<Vec<u32>>, b: &[u8]) -> Option<bool> {
    let input = Input::new(b).anchored(Anchored::Yes);
    let mut sid = dfa.start_state_forward(&input).ok()?;
    for &byte in b {
        sid = dfa.next_state(sid, byte);
        if dfa.is_special_state(sid) {
            if dfa.is_dead_state(sid) {
                return Some(false);
            }
            if dfa.is_quit_state(sid) {
                return None;
            }
            // Matches are reported a byte late: a prefix matched, which is enough.
            if dfa.is_match_state(sid) {
                return Some(true);
            }
        }
    }
    Some(dfa.is_match_state(dfa.next_eoi_state(sid)))
}

/// The most memory one pattern's DFA may take: Germany's largest takes 16 kB.
const DFA_LIMIT: usize = 1 << 20;

/// Matches where `find(..)` would start at 0 (`source` is `^(?:pattern)`); whitespace
/// ignored, as the metadata loader does.
fn anchored(source: &str) -> Option<regex::Regex> {
    regex::RegexBuilder::new(source)
        .ignore_whitespace(true)
        .build()
        .ok()
}

/// Each region's patterns, compiled apart on first use: its leading digits (small) decide
/// which region a number belongs to, its number patterns (large) only whether it is valid.
#[derive(Default)]
struct Slots {
    leading: OnceLock<Option<Matcher>>,
    compiled: OnceLock<Compiled>,
}

fn slots(meta: &Meta) -> &'static Slots {
    static TABLE: OnceLock<Vec<Slots>> = OnceLock::new();
    let table = TABLE.get_or_init(|| (0..METAS.len()).map(|_| Slots::default()).collect());
    &table[meta.index]
}

/// A region's leading-digits pattern (`None` when it has none).
fn leading(meta: &Meta) -> Option<&'static Matcher> {
    slots(meta)
        .leading
        .get_or_init(|| meta.leading_digits.map(Matcher::new))
        .as_ref()
}

fn compiled(meta: &Meta) -> &'static Compiled {
    slots(meta).compiled.get_or_init(|| {
        let pattern = |d: &phone_meta::Desc| Pattern::new(d.pattern, d.lengths);
        Compiled {
            general: pattern(&meta.general),
            types: meta.types.iter().flatten().map(pattern).collect(),
            by_length: std::array::from_fn(|_| OnceLock::new()),
            national_prefix_for_parsing: meta.national_prefix_for_parsing.map(Prefix::new),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use phonenumber::metadata::DATABASE;
    use phonenumber::Metadata;

    /// The tables the build script (`phone_meta_build.rs`) wrote say what the crate's
    /// database says, entry by entry.
    #[test]
    fn the_built_tables_are_the_databases_metadata() {
        let same_desc = |ours: &phone_meta::Desc, theirs: &phonenumber::metadata::Descriptor| {
            ours.pattern == theirs.national_number().as_str()
                && ours.lengths == theirs.possible_length()
        };
        let same = |ours: &Meta, theirs: &Metadata| {
            let d = theirs.descriptors();
            let types = [
                d.premium_rate(),
                d.toll_free(),
                d.shared_cost(),
                d.voip(),
                d.personal_number(),
                d.pager(),
                d.uan(),
                d.voicemail(),
                d.fixed_line(),
                d.mobile(),
            ];
            ours.id == theirs.id()
                && ours.code == theirs.country_code()
                && ours.national_prefix == theirs.national_prefix()
                && ours.international_prefix == theirs.international_prefix().map(|r| r.as_str())
                && ours.national_prefix_for_parsing
                    == theirs.national_prefix_for_parsing().map(|r| r.as_str())
                && ours.leading_digits == theirs.leading_digits().map(|r| r.as_str())
                && same_desc(&ours.general, d.general())
                && ours.types.iter().zip(types).all(|(o, t)| match (o, t) {
                    (Some(o), Some(t)) => same_desc(o, t),
                    (None, None) => true,
                    _ => false,
                })
        };
        let mut seen = 0;
        for theirs in DATABASE.iter() {
            if theirs.id() != "001" {
                let ours = phone_meta::by_id(theirs.id()).unwrap();
                assert!(same(ours, theirs), "{}", theirs.id());
            }
            assert!(known(theirs.country_code()), "{}", theirs.country_code());
            seen += 1;
        }
        assert!(seen > 200, "{seen}");
        for code in 0..1000u16 {
            let theirs = DATABASE.by_code(&code).unwrap_or_default();
            let ours: Vec<&Meta> = phone_meta::code(code)
                .map(|c| c.all.iter().map(|&i| &METAS[i]).collect())
                .unwrap_or_default();
            assert_eq!(ours.len(), theirs.len(), "+{code}");
            for (o, t) in ours.iter().zip(&theirs) {
                assert!(same(o, t), "+{code} {}", t.id());
            }
            // The regions `is_valid` tries, in its order.
            if let Some(ids) = DATABASE.region(&code).filter(|_| known(code)) {
                let ours: Vec<&str> = phone_meta::code(code)
                    .and_then(|c| c.regions)
                    .unwrap()
                    .iter()
                    .map(|&i| METAS[i].id)
                    .collect();
                assert!(ids.starts_with(&ours) && !ours.is_empty(), "+{code}");
            }
        }
        assert!(!known(999) && phone_meta::code(1).is_some_and(|c| c.known));
    }

    /// A deterministic corpus: the same numbers every run.
    fn xorshift(mut x: u64) -> impl FnMut() -> u64 {
        move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        }
    }

    fn reference(input: &str, region: Option<Region>) -> Result<String, ()> {
        phonenumber::parse(region, input)
            .ok()
            .filter(phonenumber::is_valid)
            .map(|n| n.format().mode(phonenumber::Mode::E164).to_string())
            .ok_or(())
    }

    /// The byte-by-byte walk answers as the library's anchored, earliest search, on every
    /// pattern of a few countries' metadata (prefix matches, dead ends, numbers too long).
    #[test]
    fn the_dfa_walk_answers_as_the_search_does() {
        let mut next = xorshift(0x9E37_79B9_7F4A_7C15);
        let mut checked = 0;
        for region in ["US", "GB", "DE", "FR", "BR", "AU", "IT", "JP"] {
            let meta = DATABASE.by_id(region).unwrap();
            let d = meta.descriptors();
            let descs = [
                Some(d.general()),
                d.fixed_line(),
                d.mobile(),
                d.toll_free(),
                d.premium_rate(),
                d.voip(),
            ];
            let sources = descs
                .into_iter()
                .flatten()
                .map(|d| d.national_number().as_str().to_owned())
                .chain(meta.leading_digits().map(|r| r.as_str().to_owned()));
            for source in sources {
                let m = Matcher::new(&source);
                let Some(dfa) = m.dfa() else { continue };
                for _ in 0..300 {
                    let len = (next() % 18) as usize;
                    let s: String = (0..len)
                        .map(|_| char::from(b'0' + (next() % 10) as u8))
                        .collect();
                    let input = Input::new(&s).anchored(Anchored::Yes).earliest(true);
                    let searched = dfa.try_search_fwd(&input).ok().map(|m| m.is_some());
                    assert_eq!(walk(dfa, s.as_bytes()), searched, "{region} {source} {s}");
                    checked += 1;
                }
            }
        }
        assert!(checked > 5_000, "{checked}");
    }

    #[test]
    fn fast_path_agrees_with_phonenumber() {
        let mut next = xorshift(0x2545_F491_4F6C_DD1D);
        // Real area codes (US, Canada, Caribbean, toll-free, premium) and random ones.
        const AREAS: &[&str] = &[
            "415", "212", "646", "617", "720", "800", "888", "900", "416", "604", "514", "876",
            "787", "242", "671", "684", "555", "211", "999", "305", "505", "472", "983", "246",
        ];
        let (mut decided, mut total) = (0, 0);
        for i in 0..12_000 {
            let r = next();
            let area = if i % 3 == 0 {
                format!("{:03}", r % 1000)
            } else {
                AREAS[(r % AREAS.len() as u64) as usize].to_owned()
            };
            let exch = format!("{:03}", (r >> 12) % 1000);
            let line = format!("{:04}", (r >> 24) % 10_000);
            let (input, region) = match (r >> 40) % 9 {
                0 => (format!("({area}) {exch}-{line}"), Some(Region::US)),
                1 => (format!("{area}.{exch}.{line}"), Some(Region::US)),
                2 => (format!("+1 {area} {exch} {line}"), None),
                3 => (format!("1-{area}-{exch}-{line}"), Some(Region::US)),
                4 => (format!("{area}{exch}{line}"), Some(Region::CA)),
                5 => (format!("+1{area}{exch}{line}"), None),
                6 => (format!("{area} {exch} {line}"), Some(Region::GB)),
                7 => (format!("+{}{area}{exch}{line}", r % 10), None),
                _ => (
                    format!("{}{area}{exch}{}", (r >> 50) % 10, &line[..3]),
                    Some(Region::US),
                ),
            };
            total += 1;
            if let Some(fast) = fast_nanp(&input, region) {
                decided += 1;
                assert_eq!(fast, reference(&input, region), "{input:?} in {region:?}");
            }
        }
        assert!(
            decided * 2 > total,
            "fast path decided only {decided} of {total}"
        );
    }

    /// The short-number reject against the full parser, on a generated corpus of every
    /// length it decides, written as people write them.
    #[test]
    fn short_nanp_numbers_are_rejected_as_the_parser_does() {
        let mut next = xorshift(0x1234_5678_9ABC_DEF1);
        let mut decided = 0;
        for i in 0..30_000u64 {
            let r = next();
            let len = 4 + (r % 7) as usize;
            let mut digits: String = (0..len)
                .map(|k| char::from(b'0' + ((r >> (4 * k + 8)) % 10) as u8))
                .collect();
            if i % 5 == 0 {
                digits.replace_range(..1, "1");
            }
            if i % 11 == 0 {
                digits = format!("011{}", &digits[..digits.len().saturating_sub(3)]);
            }
            let input = match (r >> 60) % 4 {
                0 => digits.clone(),
                1 if digits.len() > 3 => format!("{}-{}", &digits[..3], &digits[3..]),
                2 if digits.len() > 3 => format!("({}) {}", &digits[..3], &digits[3..]),
                _ => format!("{} {}", &digits[..1], &digits[1..]),
            };
            let region = if i % 2 == 0 { Region::US } else { Region::CA };
            if nanp_too_short(&input, Some(region)) {
                decided += 1;
                assert_eq!(
                    super::super::parse_phone(&input, Some(region)),
                    None,
                    "{input:?} in {region:?}"
                );
            }
        }
        assert!(decided > 8_000, "decided only {decided}");
        assert!(!nanp_too_short("0114930901820", Some(Region::US)));
        assert!(!nanp_too_short("555-0100", Some(Region::GB)));
        assert!(!nanp_too_short("+1555", None));
    }

    #[test]
    fn international_fast_path_agrees_with_phonenumber() {
        let mut next = xorshift(0x9E37_79B9_7F4A_7C15);
        // libphonenumber's example numbers of every region and type, as written and with
        // their last digits changed, and random digits after every country code.
        let mut inputs = Vec::new();
        for meta in DATABASE.iter() {
            let d = meta.descriptors();
            let examples = [
                d.fixed_line(),
                d.mobile(),
                d.toll_free(),
                d.premium_rate(),
                d.voip(),
                d.personal_number(),
                d.uan(),
            ];
            for ex in examples.into_iter().flatten().filter_map(|d| d.example()) {
                let cc = meta.country_code();
                inputs.push(format!("+{cc}{ex}"));
                let keep = ex.len().saturating_sub(3);
                inputs.push(format!("+{cc}{}{:03}", &ex[..keep], next() % 1000));
                inputs.push(format!("+{cc}0{ex}"));
            }
            let len = 4 + (next() % 10) as usize;
            let random: String = (0..len)
                .map(|_| char::from(b'0' + (next() % 10) as u8))
                .collect();
            inputs.push(format!("+{}{random}", meta.country_code()));
        }
        let decided = inputs
            .iter()
            .filter_map(|input| fast_international(input).map(|fast| (input, fast)))
            .inspect(|(input, fast)| {
                assert_eq!(Ok(fast.clone()), reference(input, None), "{input:?}")
            })
            .count();
        assert!(
            decided * 3 > inputs.len(),
            "decided only {decided} of {}",
            inputs.len()
        );
    }

    /// Every path `read_phone` can take, against the parser alone, on a generated corpus of
    /// 120,000 cells: many regions, each written as people write numbers (national with and
    /// without the national prefix, `+`, `00`, the region's own international prefix, the
    /// country code without `+`, extensions, stray punctuation), from libphonenumber's example
    /// numbers with digits changed and from random digits.
    #[test]
    fn every_fast_path_agrees_with_phonenumber_on_a_large_messy_corpus() {
        const REGIONS: &[&str] = &[
            "US", "CA", "GB", "DE", "FR", "AU", "IN", "BR", "MX", "ES", "IT", "NL", "SE", "NO",
            "DK", "FI", "PL", "IE", "NZ", "ZA", "JP", "CN", "SG", "HK", "AE", "IL", "CH", "AT",
            "BE", "PT", "AR", "CO", "CL", "PH", "NG", "KE", "RU", "TR", "KR", "PR", "JM", "HU",
            "CZ", "GR", "RO", "UA", "EG", "SA", "MY", "TH", "ID", "VN", "PK", "BD", "PE", "VE",
        ];
        let mut next = xorshift(0xD1B5_4A32_D192_ED03);
        let all: Vec<&Metadata> = {
            let mut v: Vec<&Metadata> = DATABASE.iter().filter(|m| m.id() != "001").collect();
            v.sort_by_key(|m| m.id());
            v
        };
        let mut pick = |n: usize| (next() % n as u64) as usize;
        let (mut total, mut national, mut other_fast) = (0usize, 0usize, 0usize);
        // 400 cells per region in a row: the parser's own regex cache holds a few regions'
        // patterns and recompiles them when the region changes (slow, above all unoptimised).
        let mut meta = all[0];
        for i in 0..120_000usize {
            if i % 400 == 0 {
                meta = if i % 1_600 == 0 {
                    all[pick(all.len())]
                } else {
                    DATABASE.by_id(REGIONS[pick(REGIONS.len())]).unwrap()
                };
            }
            let region: Region = meta.id().parse().unwrap();
            let d = meta.descriptors();
            let examples: Vec<&str> = [d.fixed_line(), d.mobile(), d.toll_free(), d.voip()]
                .into_iter()
                .flatten()
                .filter_map(|d| d.example())
                .collect();
            // The national significant number: an example with digits changed, or random.
            let mut nsn: String = if !examples.is_empty() && pick(5) > 0 {
                let ex = examples[pick(examples.len())];
                let keep = ex.len().saturating_sub(pick(5));
                let tail: String = (keep..ex.len())
                    .map(|_| char::from(b'0' + pick(10) as u8))
                    .collect();
                format!("{}{tail}", &ex[..keep])
            } else {
                let len = 3 + pick(12);
                (0..len)
                    .map(|_| char::from(b'0' + pick(10) as u8))
                    .collect()
            };
            if pick(10) == 0 {
                // One digit too many or too few.
                if pick(2) == 0 {
                    nsn.pop();
                } else {
                    nsn.push(char::from(b'0' + pick(10) as u8));
                }
            }
            let cc = meta.country_code();
            let np = meta.national_prefix().unwrap_or("");
            let digits = match pick(12) {
                0..=4 => nsn.clone(),
                5 | 6 => format!("{np}{nsn}"),
                7 => format!("+{cc}{nsn}"),
                8 => format!("00{cc}{nsn}"),
                9 => format!("{cc}{nsn}"),
                10 => format!("011{cc}{nsn}"),
                _ => format!("+{cc}{np}{nsn}"),
            };
            // Written with separators, as cells hold them.
            let (plus, body) = match digits.strip_prefix('+') {
                Some(b) => ("+", b.to_owned()),
                None => ("", digits.clone()),
            };
            let mut cell = String::from(plus);
            let style = pick(9);
            for (k, ch) in body.chars().enumerate() {
                if k > 0 && k % (2 + (style % 3)) == 0 {
                    cell.push_str(match style {
                        0 | 1 => " ",
                        2 | 3 => "-",
                        4 => ".",
                        5 => "/",
                        6 => "  ",
                        7 => " - ",
                        _ => "\t",
                    });
                }
                cell.push(ch);
            }
            match pick(16) {
                0 => {
                    cell = format!(
                        "({}) {}",
                        &cell[..cell.len().min(3)],
                        &cell[cell.len().min(3)..]
                    )
                }
                1 => cell.push_str(" x12"),
                2 => cell.push_str(", "),
                3 => cell = format!(" {cell} "),
                _ => {}
            }
            let Ok(input) = super::super::phone_input(&cell, super::super::extension_at(&cell))
            else {
                continue;
            };
            let region = (!input.starts_with('+')).then_some(region);
            total += 1;
            if region.is_some_and(|r| fast_national(&input, r).is_some()) {
                national += 1;
            } else if fast_nanp(&input, region).is_some()
                || fast_international(&input).is_some()
                || nanp_too_short(&input, region)
            {
                other_fast += 1;
            }
            assert_eq!(
                super::super::decide_phone(&input, region),
                super::super::parse_phone(&input, region),
                "cell {cell:?} read as {input:?} in {region:?}"
            );
        }
        assert!(total > 100_000, "only {total} cells reached the parser");
        assert!(
            national * 5 > total,
            "national fast path decided only {national} of {total}"
        );
        assert!(
            other_fast * 10 > total,
            "other fast paths decided only {other_fast} of {total}"
        );
    }
}
