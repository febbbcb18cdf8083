//! Whether a domain ends in a top-level domain, by the Public Suffix List that `psl` compiles
//! in (it carries every TLD of IANA's root zone, updated with each release of the crate): a
//! typo such as `gmail.con` or `yahoo.comm` has the shape of a domain but receives no mail.

/// The domain's ending (without the dot) when it is not a listed top-level domain. `domain`
/// is lowercase; in punycode or in Unicode, as the list has both.
pub fn unlisted_tld(domain: &str) -> Option<&str> {
    // By byte (`.` is ASCII), as `rsplit('.').next()` cuts it, without its char searcher.
    let tld = memchr::memrchr(b'.', domain.as_bytes()).map_or(domain, |dot| &domain[dot + 1..]);
    if COMMON.contains(&tld) {
        return None;
    }
    // The ending alone first: a listed TLD is a rule of its own (`com`), matched on a few
    // bytes. Only a TLD listed by wildcard alone (`*.ck`) needs the whole domain.
    let known = |d: &str| psl::suffix(d.as_bytes()).is_some_and(|s| s.is_known());
    if known(tld) || known(domain) {
        None
    } else {
        Some(tld)
    }
}

/// Endings most addresses have, each a rule of the list on its own: known without the
/// list's lookup (about 500 instructions an email in callgrind, the dry-run bench's file).
const COMMON: &[&str] = &[
    "com", "org", "net", "edu", "gov", "io", "co", "us", "uk", "ca", "de", "fr", "au", "jp", "br",
    "it", "es", "nl", "ch", "info",
];

/// Why a domain with an unlisted ending is refused.
pub fn not_a_tld(tld: &str) -> String {
    format!("'.{tld}' is not a top-level domain")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listed_endings_pass_and_typos_are_named() {
        for d in [
            "example.com",
            "example.co.uk",
            "sub.example.io",
            "example.de",
            "x.blogspot.com",
            "example.xn--p1ai",
            "example.рф",
            "exämple.de",
            "example.museum",
            "example.ck",
        ] {
            assert_eq!(unlisted_tld(d), None, "{d}");
        }
        for (d, tld) in [
            ("gmail.con", "con"),
            ("yahoo.comm", "comm"),
            ("x.cmo", "cmo"),
            ("example.c0m", "c0m"),
            ("example.xn--zzzzzz", "xn--zzzzzz"),
            ("example.local", "local"),
        ] {
            assert_eq!(unlisted_tld(d), Some(tld), "{d}");
        }
        assert_eq!(not_a_tld("con"), "'.con' is not a top-level domain");
        // The shortcut says what the list says.
        for tld in COMMON {
            assert!(
                psl::suffix(tld.as_bytes()).is_some_and(|s| s.is_known()),
                "{tld}"
            );
        }
    }
}
