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
///
/// One pass over the bytes, local part then domain (read for every email cell: splitting
/// the parts on their dots and searching for the `@` first cost half as much again). A
/// second `@` is no atext, so the first is the only one, as the exact path's last would be.
pub(super) fn ascii_address(t: &str) -> Option<String> {
    let b = t.as_bytes();
    // Dot-atom: pieces of atext between single dots (no quotes, no '@', no space).
    let mut at = None;
    let mut after_dot = true;
    for (i, &c) in b.iter().enumerate() {
        if c == b'@' {
            at = Some(i);
            break;
        }
        if c == b'.' {
            if after_dot {
                return None;
            }
            after_dot = true;
        } else if is_atext(c) {
            after_dot = false;
        } else {
            return None;
        }
    }
    let at = at?;
    // Nothing before the `@`, or a dot just before it.
    if after_dot || at > LOCAL_MAX {
        return None;
    }
    let domain = &b[at + 1..];
    if domain.len() > DOMAIN_MAX {
        return None;
    }
    // Labels of letters, digits and atext that start and end with a letter or digit; at
    // least two (a TLD is required).
    let (mut labels, mut start, mut last): (usize, usize, &[u8]) = (0, 0, &[]);
    for i in 0..=domain.len() {
        match domain.get(i) {
            Some(b'.') | None => {}
            Some(&c) if is_atext(c) => continue,
            Some(_) => return None,
        }
        let label = &domain[start..i];
        match (label.first(), label.last()) {
            (Some(f), Some(l))
                if label.len() <= LABEL_MAX
                    && f.is_ascii_alphanumeric()
                    && l.is_ascii_alphanumeric() => {}
            _ => return None,
        }
        labels += 1;
        last = label;
        start = i + 1;
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
