//! What real exports put in email and phone cells besides one clean value: several values
//! (Google's ` ::: `, Pipedrive's `a, b`), Excel's text marker `'`, `tel:` links, trailing
//! labels like `(Work)`, and numbers Excel already turned into `6.14123E+10`.

use std::borrow::Cow;

use crate::input::trim;

/// The first value of a cell and the others, split on ` ::: `, `;`, `,`, ` / ` or a line
/// break (a slash only between spaces: `415/555-2671` is one number).
/// `is_value` says whether a piece stands on its own; a piece that does not (an extension
/// after a comma) stays with the one before it. The first value is borrowed from the cell
/// when it holds only one (no copy for almost every cell).
pub fn first_of(cell: &str, is_value: impl Fn(&str) -> bool) -> (Cow<'_, str>, Vec<String>) {
    if !cell
        .bytes()
        .any(|b| matches!(b, b':' | b';' | b',' | b'\n' | b'/'))
    {
        return (Cow::Borrowed(trim(cell)), Vec::new());
    }
    let (first, others) = several(cell, is_value);
    (Cow::Owned(first), others)
}

fn several(cell: &str, is_value: impl Fn(&str) -> bool) -> (String, Vec<String>) {
    let mut values: Vec<String> = Vec::new();
    let mut rest = cell;
    while !rest.is_empty() {
        let cut = [":::", ";", ",", "\n", " / "]
            .iter()
            .filter_map(|sep| rest.find(sep).map(|i| (i, sep.len())))
            .min();
        let (piece, sep, next) = match cut {
            Some((i, len)) => (&rest[..i], &rest[i..i + len], &rest[i + len..]),
            None => (rest, "", ""),
        };
        match values.last_mut() {
            Some(last) if !is_value(piece) => {
                last.push_str(piece);
                last.push_str(sep);
            }
            _ => {
                if !piece.trim().is_empty() {
                    values.push(format!("{piece}{sep}"));
                } else if let Some(last) = values.last_mut() {
                    last.push_str(sep);
                }
            }
        }
        rest = next;
    }
    let mut values = values.into_iter().map(|v| {
        v.trim()
            .trim_end_matches([';', ','])
            .trim_end_matches(":::")
            .trim_end_matches(" /")
            .trim()
            .to_owned()
    });
    let first = values.next().unwrap_or_default();
    (first, values.filter(|v| !v.is_empty()).collect())
}

/// A piece of a phone cell is a number of its own when it has at least 6 digits and is not
/// a `tel:` parameter (`;ext=123`).
pub fn is_phone_piece(piece: &str) -> bool {
    piece.bytes().filter(u8::is_ascii_digit).count() >= 6 && !piece.contains('=')
}

/// A piece of an email cell is an address of its own when it has an `@`.
pub fn is_email_piece(piece: &str) -> bool {
    piece.contains('@')
}

/// The number in a decorated phone cell: `'(617) 482-1934   `, `+65 8915 9826 (Work)`,
/// `tel:+1-415-555-2671;ext=12`, `="0612345678"`. Extensions are left for the parser to drop.
pub fn clean_phone(cell: &str) -> Result<&str, String> {
    let mut t = trim(no_text_marker(trim(cell)));
    if let Some(inner) = t.strip_prefix("=\"").and_then(|s| s.strip_suffix('"')) {
        t = trim(inner);
    }
    if t.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("tel:")) {
        t = trim(&t[4..]);
        // RFC 3966 parameters (`;ext=`, `;phone-context=`): the number is before them.
        t = trim(t.split(';').next().unwrap_or(t));
    }
    // A trailing label: "(Work)", "[mobile]".
    while let Some(open) = t.rfind(['(', '[']) {
        let label = &t[open..];
        if !label.ends_with([')', ']']) || label.bytes().any(|b| b.is_ascii_digit()) {
            break;
        }
        t = t[..open].trim_end();
    }
    // A leading label: "Mobile: 0412 345 678".
    if let Some(colon) = t.bytes().position(|b| b == b':') {
        let (label, number) = (&t[..colon], &t[colon + 1..]);
        if !label.is_empty() && label.chars().all(|c| c.is_alphabetic() || c == ' ') {
            t = trim(number);
        }
    }
    if is_scientific(t) {
        return Err("Excel turned it into a number and lost its last digits; format the column as text in the spreadsheet and export again".into());
    }
    Ok(float_digits(t).unwrap_or(t))
}

/// `4155552671.0`: a number a script wrote as a float (pandas does, for a column with gaps),
/// as its digits. Not when they end in 000, the mark of digits lost on the way (a float
/// printed from `6.14123E+10` is `61412300000.0`).
fn float_digits(t: &str) -> Option<&str> {
    let digits = t.strip_suffix(".0")?;
    let bare = digits.strip_prefix('+').unwrap_or(digits);
    (bare.len() >= 7 && bare.bytes().all(|b| b.is_ascii_digit()) && !bare.ends_with("000"))
        .then_some(digits)
}

/// Without Excel's leading text markers (`'`); `trim_start_matches('\'')` by bytes.
pub fn no_text_marker(t: &str) -> &str {
    &t[t.bytes().take_while(|&b| b == b'\'').count()..]
}

/// `6.14123E+10`, `4,15555E+09`: a number Excel shortened (the decimal comma must not split
/// the cell into two values).
pub fn is_scientific(t: &str) -> bool {
    // Read by bytes, left to right (twice for every phone cell): digits, an optional `.` or
    // `,` and digits, `e`/`E`, an optional `+`, digits to the end.
    let b = no_text_marker(trim(t)).as_bytes();
    let digits = |from: usize| b[from..].iter().take_while(|c| c.is_ascii_digit()).count();
    let mut i = digits(0);
    if i == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'.' | b',')) {
        i += 1;
        i += digits(i);
    }
    if !matches!(b.get(i), Some(b'e' | b'E')) {
        return false;
    }
    i += 1;
    if b.get(i) == Some(&b'+') {
        i += 1;
    }
    let exp = digits(i);
    exp > 0 && i + exp == b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The byte reading of `is_scientific` answers as the splits it replaced.
    #[test]
    fn is_scientific_agrees_with_splitting_the_cell() {
        fn by_splits(t: &str) -> bool {
            let t = no_text_marker(trim(t));
            let Some((mantissa, exp)) = t.split_once(['e', 'E']) else {
                return false;
            };
            let exp = exp.strip_prefix('+').unwrap_or(exp);
            let mut parts = mantissa.splitn(2, ['.', ',']);
            let int = parts.next().unwrap_or("");
            let frac = parts.next().unwrap_or("0");
            !int.is_empty()
                && int.bytes().all(|b| b.is_ascii_digit())
                && frac.bytes().all(|b| b.is_ascii_digit())
                && !exp.is_empty()
                && exp.bytes().all(|b| b.is_ascii_digit())
        }
        let pieces = [
            "6", "14123", ".", ",", "e", "E", "+", "-", "'", " ", "x", "é", "0",
        ];
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut yes = 0;
        for _ in 0..50_000 {
            let t: String = (0..next() % 9)
                .map(|_| pieces[(next() % pieces.len() as u64) as usize])
                .collect();
            assert_eq!(is_scientific(&t), by_splits(&t), "{t:?}");
            yes += usize::from(by_splits(&t));
        }
        assert!(yes > 100, "{yes}");
    }

    #[test]
    fn several_values_in_one_cell() {
        let phones = |c| first_of(c, is_phone_piece);
        assert_eq!(
            phones("+41 31 928 09 60 ::: +41 79 264 88 66"),
            ("+41 31 928 09 60".into(), vec!["+41 79 264 88 66".into()])
        );
        assert_eq!(
            phones("(415) 555-2671, (415) 555-0100; 0041 79 264 88 66"),
            (
                "(415) 555-2671".into(),
                vec!["(415) 555-0100".into(), "0041 79 264 88 66".into()]
            )
        );
        assert_eq!(
            phones("(415) 555-2671, ext. 12"),
            ("(415) 555-2671, ext. 12".into(), vec![])
        );
        assert_eq!(
            phones("tel:+1-201-555-0123;ext=1234"),
            ("tel:+1-201-555-0123;ext=1234".into(), vec![])
        );
        assert_eq!(
            phones("+1 415 555 2671 / +1 415 555 2672"),
            ("+1 415 555 2671".into(), vec!["+1 415 555 2672".into()])
        );
        assert_eq!(phones("415/555-2671"), ("415/555-2671".into(), vec![]));
        let emails = |c| first_of(c, is_email_piece);
        assert_eq!(
            emails("a@x.com / b@y.com"),
            ("a@x.com".into(), vec!["b@y.com".into()])
        );
        assert_eq!(
            emails("a@x.com, b@y.com"),
            ("a@x.com".into(), vec!["b@y.com".into()])
        );
        assert_eq!(
            emails("a@x.com ::: b@y.com ::: "),
            ("a@x.com".into(), vec!["b@y.com".into()])
        );
        assert_eq!(emails("a@x.com"), ("a@x.com".into(), vec![]));
        assert_eq!(emails(" ; a@x.com"), ("a@x.com".into(), vec![]));
    }

    #[test]
    fn decorated_phones() {
        assert_eq!(clean_phone("'(617) 482-1934   "), Ok("(617) 482-1934"));
        assert_eq!(clean_phone("'+65 8915 9826 (Work)"), Ok("+65 8915 9826"));
        assert_eq!(clean_phone("tel:+1-415-555-2671"), Ok("+1-415-555-2671"));
        assert_eq!(
            clean_phone("TEL:+1-201-555-0123;ext=1234"),
            Ok("+1-201-555-0123")
        );
        assert_eq!(clean_phone("=\"0612345678\""), Ok("0612345678"));
        assert_eq!(clean_phone("Mobile: 0412 345 678"), Ok("0412 345 678"));
        assert_eq!(clean_phone("(02) 9999 8888"), Ok("(02) 9999 8888"));
        assert!(clean_phone("6.14123E+10")
            .unwrap_err()
            .contains("lost its last digits"));
        assert!(clean_phone("4,15555E+09").is_err());
        assert_eq!(clean_phone("4155552671.0"), Ok("4155552671"));
        assert_eq!(clean_phone("+4155552671.0"), Ok("+4155552671"));
        // Digits lost on the way, or not a float at all: as written.
        assert_eq!(clean_phone("61412300000.0"), Ok("61412300000.0"));
        assert_eq!(clean_phone("555.0"), Ok("555.0"));
        assert_eq!(clean_phone("415.555.2671"), Ok("415.555.2671"));
        assert_eq!(clean_phone("+1 555 0100 x2"), Ok("+1 555 0100 x2"));
        // Found by proptest: a multi-byte character where "tel:" would end.
        assert_eq!(clean_phone("Ⱥa𞹍𑧂"), Ok("Ⱥa𞹍𑧂"));
    }
}
