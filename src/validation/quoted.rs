//! A value quoted in a report note exactly as `{:?}` writes it, without the formatting
//! machinery: notes quote a cell on most rows of a messy file, and `format!` with `{:?}` went
//! through `fmt::write`, `Debug` and a growing `String` for each of them.

/// Appends `value` as `format!("{value:?}")` spells it.
pub fn push_quoted(out: &mut String, value: &str) {
    // Printable ASCII other than `"` and `\` is written as it is; anything else (escapes,
    // control and non-ASCII characters, which Debug may escape) goes the standard way.
    if value
        .bytes()
        .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\')
    {
        out.reserve(value.len() + 2);
        out.push('"');
        out.push_str(value);
        out.push('"');
    } else {
        use std::fmt::Write;
        // Writing to a String cannot fail.
        let _ = write!(out, "{value:?}");
    }
}

/// Appends `n` in decimal, as `{n}` writes it.
pub fn push_u64(out: &mut String, n: u64) {
    out.push_str(itoa::Buffer::new().format(n));
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn quoted(s: &str) -> String {
        let mut out = String::from("x");
        push_quoted(&mut out, s);
        out
    }

    #[test]
    fn quotes_as_debug_does_for_cells_that_need_escapes() {
        for s in [
            "",
            "+14155552671",
            "say \"hi\"",
            "back\\slash",
            "tab\there",
            "nl\n",
            "\u{7f}del",
            "José",
            "e\u{301}",
            "\u{200b}zero width",
            "李",
            "\u{0}",
        ] {
            assert_eq!(quoted(s), format!("x{s:?}"), "{s:?}");
        }
    }

    proptest! {
        #[test]
        fn quoting_matches_debug(s in any::<String>(), n in any::<u64>()) {
            prop_assert_eq!(quoted(&s), format!("x{s:?}"));
            let mut out = String::from("row ");
            push_u64(&mut out, n);
            prop_assert_eq!(out, format!("row {n}"));
        }
    }
}
