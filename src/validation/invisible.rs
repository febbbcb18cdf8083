//! Characters a phone or email cell holds that a person does not see, or sees as ASCII: a
//! non-breaking space from a web page, a zero-width space or bidi mark from a chat app or a
//! right-to-left spreadsheet, a typographic dash from a word processor, full-width digits
//! from a Japanese or Chinese keyboard. libphonenumber reads past them; so do we, before the
//! ASCII checks. An ASCII cell (almost every one) is returned as it is, not copied.

use std::borrow::Cow;

/// Characters with no width or glyph (Unicode format characters people's files carry):
/// removed wherever they are (cells, and headers when matched by name).
pub fn is_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'                       // soft hyphen
            | '\u{200B}'..='\u{200F}'    // zero-width space, joiners, LRM, RLM
            | '\u{202A}'..='\u{202E}'    // bidi embeddings and overrides
            | '\u{2060}'                 // word joiner
            | '\u{2066}'..='\u{2069}'    // bidi isolates
            | '\u{FEFF}' // byte order mark, zero-width no-break space
    )
}

/// A phone cell with format characters removed and Unicode spaces, dashes, digits, `+` and
/// brackets written as their ASCII selves.
pub fn phone_chars(t: Cow<'_, str>) -> Cow<'_, str> {
    if t.is_ascii() {
        return t;
    }
    let mut out = String::with_capacity(t.len());
    for c in t.chars() {
        let ascii = match c {
            c if is_format(c) => continue,
            '\u{00A0}' | '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}' => ' ',
            '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE63}' | '\u{FF0D}' => '-',
            '\u{FF10}'..='\u{FF19}' => char::from(b'0' + (u32::from(c) - 0xFF10) as u8),
            '\u{FF0B}' => '+',
            '\u{FF08}' => '(',
            '\u{FF09}' => ')',
            '\u{FF0E}' => '.',
            '\u{FF0F}' => '/',
            c => c,
        };
        out.push(ascii);
    }
    Cow::Owned(out)
}

/// An email cell without format characters and without outer Unicode spaces (a
/// non-breaking space copied with the address). Any other non-ASCII character stays: an
/// internationalised address is the email check's to judge.
pub fn email_chars(t: &str) -> Cow<'_, str> {
    if t.is_ascii() {
        return Cow::Borrowed(t);
    }
    let kept: String = t.chars().filter(|&c| !is_format(c)).collect();
    Cow::Owned(kept.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_cells_read_as_the_ascii_a_person_sees() {
        let p = |t: &str| phone_chars(Cow::Borrowed(t)).into_owned();
        assert_eq!(p("+1\u{A0}415\u{A0}555\u{A0}2671"), "+1 415 555 2671");
        assert_eq!(p("\u{FEFF}+44 20 7946 0321"), "+44 20 7946 0321");
        assert_eq!(p("\u{202A}+972 3 123 4567\u{202C}"), "+972 3 123 4567");
        assert_eq!(p("\u{200E}+49\u{200B}30\u{2060}123456"), "+4930123456");
        assert_eq!(p("415\u{2011}555\u{2013}2671"), "415-555-2671");
        assert_eq!(p("\u{2212}"), "-");
        assert_eq!(p("＋８１ ３\u{3000}１２３４ ５６７８"), "+81 3 1234 5678");
        assert_eq!(p("（03）1234－5678"), "(03)1234-5678");
        assert_eq!(p("+33 6 12\u{202F}34 56 78"), "+33 6 12 34 56 78");
        // Anything else stays, for the number check to refuse.
        assert_eq!(p("٠١٢٣"), "٠١٢٣");
        assert!(matches!(
            phone_chars(Cow::Borrowed("415-555-2671")),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn email_cells_lose_invisible_characters_and_keep_the_rest() {
        assert_eq!(email_chars("\u{FEFF}ann@example.com"), "ann@example.com");
        assert_eq!(email_chars("ann@example.com\u{A0}"), "ann@example.com");
        assert_eq!(
            email_chars("\u{200B}ann@exa\u{200D}mple.com"),
            "ann@example.com"
        );
        assert_eq!(
            email_chars("\u{202B}ann@example.com\u{202C}"),
            "ann@example.com"
        );
        // Inside an address a space is still a space; letters are letters.
        assert_eq!(
            email_chars("ann\u{A0}lee@example.com"),
            "ann\u{A0}lee@example.com"
        );
        assert_eq!(email_chars("zoë@example.com"), "zoë@example.com");
        assert!(matches!(email_chars("a@x.com"), Cow::Borrowed(_)));
    }
}
