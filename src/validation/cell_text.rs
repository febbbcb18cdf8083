//! What a text cell can hold that is not its text: an Excel error value, Excel's `="…"`
//! idiom, control characters. Read for every cell: each check looks at a byte or two, or
//! scans the bytes once, before anything is copied.

use std::borrow::Cow;

/// Why a cell holding an Excel error value is left out.
pub const EXCEL_ERROR: &str =
    "an Excel error value, not data (correct the formula in the spreadsheet, or clear the cell)";

/// The error values Excel shows in a cell (and writes to CSV, and caches in an `.xlsx` error
/// cell, `t="e"`), upper case as Excel writes them.
const ERROR_VALUES: &[&str] = &[
    "#N/A",
    "#REF!",
    "#VALUE!",
    "#DIV/0!",
    "#NAME?",
    "#NULL!",
    "#NUM!",
    "#SPILL!",
    "#CALC!",
    "#GETTING_DATA",
    "#FIELD!",
    "#BLOCKED!",
    "#CONNECT!",
    "#BUSY!",
    "#UNKNOWN!",
];

/// Whether the (trimmed) cell cannot hold an error value, `="…"` or a control character:
/// what the checks below would pass unchanged.
#[inline]
pub fn plain(t: &str) -> bool {
    !matches!(t.as_bytes().first(), Some(b'#' | b'=')) && !any_below_space(t.as_bytes())
}

/// Whether the (trimmed) cell is one of Excel's error values, in any case.
pub fn is_excel_error(t: &str) -> bool {
    // One byte for almost every cell.
    t.as_bytes().first() == Some(&b'#')
        && t.len() <= 13
        && ERROR_VALUES.iter().any(|e| t.eq_ignore_ascii_case(e))
}

/// The text inside Excel's `="02108"` (how a CSV keeps a leading zero, or any text, from
/// being read as a number): what Excel shows. `""` inside is one quote. `None` when the cell
/// is not that idiom.
pub fn excel_text_formula(t: &str) -> Option<Cow<'_, str>> {
    if t.as_bytes().first() != Some(&b'=') {
        return None;
    }
    let inner = t.strip_prefix("=\"")?.strip_suffix('"')?;
    if !inner.contains('"') {
        return Some(Cow::Borrowed(inner));
    }
    // A lone quote would end the string: a formula of more than one string, kept as written.
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '"' && chars.next() != Some('"') {
            return None;
        }
    }
    Some(Cow::Owned(out))
}

/// A control character a text cell must not send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Control(pub u8);

impl Control {
    /// Why the cell is left out.
    pub fn why(self) -> String {
        let name = match self.0 {
            0x00 => "NUL",
            0x07 => "bell",
            0x08 => "backspace",
            0x0c => "form feed",
            0x1b => "escape",
            0x1a => "end of file (Ctrl-Z)",
            _ => "control character",
        };
        format!(
            "holds a control character ({name}, U+{:04X}), not text; remove it in the file",
            self.0
        )
    }
}

/// The cell with a vertical tab read as the line break it is (FileMaker's and old Mac
/// exports' line break inside a cell), or the first other C0 control character in it.
/// Tab, line feed and carriage return are text.
pub fn controls(t: &str) -> Result<Cow<'_, str>, Control> {
    if !any_below_space(t.as_bytes()) {
        return Ok(Cow::Borrowed(t));
    }
    let is_control = |b: u8| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r');
    let Some(first) = t.bytes().position(is_control) else {
        return Ok(Cow::Borrowed(t));
    };
    if let Some(&b) = t.as_bytes()[first..]
        .iter()
        .find(|&&b| is_control(b) && b != 0x0b)
    {
        return Err(Control(b));
    }
    Ok(Cow::Owned(t.replace('\u{0b}', "\n")))
}

/// Whether any byte is below 0x20, eight at a time: run on every cell, where a byte loop
/// cost about 110 instructions a cell (callgrind, the dry-run bench's file).
#[inline]
fn any_below_space(b: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    let mut words = b.chunks_exact(8);
    // A byte below 0x20 borrows in `x - 0x20…`, setting its high bit where `x`'s is clear
    // (bit-twiddling hacks' `hasless`: exact on whether any byte is).
    let below = |x: u64| x.wrapping_sub(ONES * 0x20) & !x & HIGH != 0;
    let found = words.by_ref().any(|w| {
        let mut word = [0u8; 8];
        word.copy_from_slice(w);
        below(u64::from_ne_bytes(word))
    });
    // The last bytes padded with spaces: one more word, not a loop.
    let rest = words.remainder();
    let mut word = [b' '; 8];
    word[..rest.len()].copy_from_slice(rest);
    found || below(u64::from_ne_bytes(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_word_scan_finds_a_control_byte_wherever_it_is() {
        for len in 0..20 {
            for at in 0..len {
                for b in [0u8, 0x09, 0x0b, 0x1b, 0x1f] {
                    let mut cell = vec![b'a'; len];
                    cell[at] = b;
                    assert!(any_below_space(&cell), "{len} {at} {b}");
                }
            }
            let mut all: Vec<u8> = (0x20..=0xff).collect();
            all.truncate(len.max(1) * 10);
            assert!(!any_below_space(&all));
            assert!(!any_below_space(&vec![b'~'; len]));
        }
    }

    /// The fast test never passes a cell a check would change or refuse.
    #[test]
    fn a_plain_cell_is_one_every_check_passes_unchanged() {
        let pieces = [
            "#", "=", "\"", "N/A", "REF!", "a", " ", "\u{0b}", "\u{1b}", "\t", "é", "0",
        ];
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut plain_seen = 0;
        for _ in 0..50_000 {
            let t: String = (0..next() % 6)
                .map(|_| pieces[(next() % pieces.len() as u64) as usize])
                .collect();
            if plain(&t) {
                plain_seen += 1;
                assert!(!is_excel_error(&t), "{t:?}");
                assert_eq!(excel_text_formula(&t), None, "{t:?}");
                assert!(matches!(controls(&t), Ok(Cow::Borrowed(_))), "{t:?}");
            }
        }
        assert!(plain_seen > 1_000, "{plain_seen}");
    }

    #[test]
    fn excel_error_values_are_recognised_in_any_case_and_nothing_else() {
        for e in ERROR_VALUES {
            assert!(is_excel_error(e), "{e}");
            assert!(is_excel_error(&e.to_lowercase()), "{e}");
        }
        for t in [
            "#", "#1", "#N/A!", "#hashtag", "N/A", "#REF", "", "#VALUE!x",
        ] {
            assert!(!is_excel_error(t), "{t}");
        }
    }

    #[test]
    fn excel_text_formulas_give_what_excel_shows() {
        assert_eq!(excel_text_formula("=\"02108\"").as_deref(), Some("02108"));
        assert_eq!(excel_text_formula("=\"Ann\"").as_deref(), Some("Ann"));
        assert_eq!(excel_text_formula("=\"\"").as_deref(), Some(""));
        assert_eq!(
            excel_text_formula("=\"say \"\"hi\"\"\"").as_deref(),
            Some("say \"hi\"")
        );
        // Two strings joined, or no closing quote: not the idiom.
        assert_eq!(excel_text_formula("=\"a\"&\"b\""), None);
        assert_eq!(excel_text_formula("=\"a"), None);
        assert_eq!(excel_text_formula("02108"), None);
        assert_eq!(excel_text_formula("=A1"), None);
        assert_eq!(excel_text_formula("=\""), None);
    }

    #[test]
    fn a_vertical_tab_is_a_line_break_and_other_controls_are_named() {
        assert!(matches!(controls("plain"), Ok(Cow::Borrowed("plain"))));
        assert_eq!(
            controls("a\tb\r\nc").as_deref(),
            Ok("a\tb\r\nc"),
            "tab, CR, LF are text"
        );
        assert_eq!(
            controls("12 Main St\u{0b}Apt 4").as_deref(),
            Ok("12 Main St\nApt 4")
        );
        assert_eq!(controls("Ann\u{1b}[31m"), Err(Control(0x1b)));
        assert_eq!(controls("a\u{0b}b\u{0}"), Err(Control(0)));
        assert_eq!(controls("\u{7}"), Err(Control(7)));
        assert!(Control(0x1b).why().contains("escape, U+001B"));
    }
}
