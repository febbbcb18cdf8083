//! A fast path for the usual email cell: an ASCII address that `email_address` accepts and
//! `normalise_email` keeps, checked in one pass with no parser and one allocation (the
//! result). Anything else (non-ASCII, quotes, any error) returns `None` and goes to the exact
//! path, which also words every error. `tests::the_ascii_fast_path_agrees_with_email_address`
//! checks agreement.

/// `email_address`'s limits.
const LOCAL_MAX: usize = 64;
const DOMAIN_MAX: usize = 254;
const LABEL_MAX: usize = 63;

/// The normalised address (domain lowercased) when `t` is a plain ASCII address that the
/// exact path accepts; `None` when the exact path must decide.
pub(super) fn ascii_address(t: &str) -> Option<String> {
    // Bytes throughout: `@` and `.` are ASCII, and a cell this path accepts is all ASCII.
    let at = t.bytes().rposition(|b| b == b'@')?;
    let (local, domain) = (&t.as_bytes()[..at], &t.as_bytes()[at + 1..]);
    if local.is_empty() || local.len() > LOCAL_MAX || domain.len() > DOMAIN_MAX {
        return None;
    }
    // Dot-atom: pieces of atext between single dots (no quotes, no '@', no space).
    if !local
        .split(|&b| b == b'.')
        .all(|p| !p.is_empty() && p.iter().all(|&b| is_atext(b)))
    {
        return None;
    }
    // Labels of letters, digits and atext that start and end with a letter or digit; at
    // least two (a TLD is required).
    let mut labels = 0;
    let mut last: &[u8] = &[];
    for b in domain.split(|&b| b == b'.') {
        if b.is_empty()
            || b.len() > LABEL_MAX
            || !b[0].is_ascii_alphanumeric()
            || !b[b.len() - 1].is_ascii_alphanumeric()
            || !b.iter().all(|&b| is_atext(b))
        {
            return None;
        }
        labels += 1;
        last = b;
    }
    let tld_ok = (last.len() >= 2 && last.iter().all(u8::is_ascii_alphabetic))
        || (last.len() > 4 && last[..4].eq_ignore_ascii_case(b"xn--"));
    if labels < 2 || !tld_ok {
        return None;
    }
    let mut out = t.to_owned();
    out[at + 1..].make_ascii_lowercase();
    Some(out)
}

/// RFC 5322 atext, ASCII only: a table, not a search of the specials per byte.
fn is_atext(b: u8) -> bool {
    const ATEXT: [bool; 256] = {
        let mut table = [false; 256];
        let specials = b"!#$%&'*+-/=?^_`{|}~";
        let mut i = 0;
        while i < 256 {
            table[i] = (i as u8).is_ascii_alphanumeric();
            i += 1;
        }
        let mut j = 0;
        while j < specials.len() {
            table[specials[j] as usize] = true;
            j += 1;
        }
        table
    };
    ATEXT[b as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast path against the exact one on generated cells: clean addresses and every
    /// kind of damage people's files hold (spaces, tabs, NBSP, display names, quotes, dots
    /// in the wrong place, IP literals, Unicode and full-width letters, long parts, case).
    #[test]
    fn the_ascii_fast_path_agrees_with_email_address() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut pick = |n: usize| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % n as u64) as usize
        };
        const LOCALS: &[&str] = &[
            "bob",
            "Bob.Smith",
            "a+tag",
            "o'neil",
            "x_y-z",
            "a..b",
            ".a",
            "a.",
            "\"q\"",
            "zoë",
            "a b",
            "ｆｕｌｌ",
            "a\u{A0}b",
            "!#$%&'*+-/=?^_`{|}~",
            "a@b",
            "",
            "a\tb",
            "(c)a",
        ];
        const DOMAINS: &[&str] = &[
            "example.com",
            "Example.COM",
            "sub.example.co.uk",
            "xn--p1ai",
            "example.xn--p1ai",
            "example.XN--P1AI",
            "localhost",
            "example.c",
            "example.123",
            "-a.com",
            "a-.com",
            "a..com",
            ".a.com",
            "a.com.",
            "[127.0.0.1]",
            "exämple.de",
            "a_b.com",
            "1.2.3.4",
            "e.x",
            "ex ample.com",
            "example.com>",
            "a.b-c.org",
            "xn--.com",
            "a.xn--",
            "",
        ];
        let mut decided = 0;
        for i in 0..200_000usize {
            let mut local = LOCALS[pick(LOCALS.len())].to_owned();
            let mut domain = DOMAINS[pick(DOMAINS.len())].to_owned();
            match pick(10) {
                0 => local = "a".repeat(60 + pick(8)),
                1 => domain = format!("{}.com", "d".repeat(60 + pick(8))),
                2 => domain = format!("{}.com", "d.".repeat(120 + pick(10))),
                3 => local.push_str(&i.to_string()),
                _ => {}
            }
            let mut cell = format!("{local}@{domain}");
            match pick(12) {
                0 => cell = format!("Bob <{cell}>"),
                1 => cell = format!(" {cell}"),
                2 => cell.push('\u{A0}'),
                3 => cell = cell.replacen('@', "@@", 1),
                4 => cell = cell.replace('@', ""),
                5 => cell = format!("mailto:{cell}"),
                _ => {}
            }
            if let Some(fast) = ascii_address(&cell) {
                decided += 1;
                assert_eq!(
                    Ok(fast),
                    super::super::normalise_email_exactly(&cell),
                    "{cell:?}"
                );
            } else if let Ok(e) = super::super::normalise_email_exactly(&cell) {
                // Only what the fast path leaves alone on purpose goes past it.
                assert!(
                    !cell.is_ascii() || cell.contains('"'),
                    "{cell:?} accepted as {e:?}"
                );
            }
        }
        assert!(decided > 8_000, "decided only {decided}");
    }
}
