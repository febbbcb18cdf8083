//! What a text cell can hold that is not its text: an Excel error value, Excel's `="…"`
//! idiom, control characters. Read for every cell: each check looks at a byte or two, or
//! scans the bytes once, before anything is copied.

use std::borrow::Cow;

use crate::input::trim;

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

/// What a cell says as text, as every pass reads it (the mapping, the date pre-pass): without
/// outer spaces and a spreadsheet-safe file's `'` guard, Excel's `="…"` unwrapped. `None`
/// when nothing is left; why it is left out for an Excel error value or a control character.
#[inline(always)]
pub fn read(cell: &str) -> Result<Option<Cow<'_, str>>, String> {
    let cell = unguarded(trim(cell));
    // Almost every cell: two byte tests and a scan, nothing copied.
    if cell.is_empty() {
        return Ok(None);
    }
    if plain(cell) {
        return Ok(Some(Cow::Borrowed(cell)));
    }
    not_plain(cell)
}

/// Without the `'` a spreadsheet-safe file puts before a value that would run as a formula
/// (`'-Ann-`, `'@Home Realty`: this tool's own `--rejects` and report do, and so do others):
/// a text marker, never part of the value.
fn unguarded(cell: &str) -> &str {
    match cell.as_bytes() {
        [b'\'', b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r', ..] => &cell[1..],
        _ => cell,
    }
}

/// A cell that may hold an Excel error value, Excel's `="…"` or a control character: its
/// text, `None` when nothing is left, or why it is left out.
#[cold]
fn not_plain(cell: &str) -> Result<Option<Cow<'_, str>>, String> {
    if is_excel_error(cell) {
        return Err(left_out_message(cell, EXCEL_ERROR));
    }
    // What Excel shows for `="02108"`; named nowhere, as Excel names nothing.
    let text = match excel_text_formula(cell) {
        Some(Cow::Borrowed(inner)) => Cow::Borrowed(trim(inner)),
        Some(Cow::Owned(inner)) => Cow::Owned(trim(&inner).to_owned()),
        None => Cow::Borrowed(cell),
    };
    if text.is_empty() {
        return Ok(None);
    }
    let control = |c: Control| left_out_message(&text, &c.why());
    Ok(Some(match &text {
        Cow::Borrowed(t) => controls(t).map_err(control)?,
        Cow::Owned(t) => Cow::Owned(controls(t).map_err(control)?.into_owned()),
    }))
}

/// A message for a cell left out, as [`super::left_out`] words it.
fn left_out_message(value: &str, why: &str) -> String {
    format!("{value:?} left out: {why}")
}

/// A spreadsheet formula (`=A1`, `=HYPERLINK(…)`), not a value: `=` and a letter. Excel's
/// `="02108"` is not one (it is read as the text it shows).
#[inline]
pub fn is_formula(t: &str) -> bool {
    matches!(t.as_bytes(), [b'=', c, ..] if c.is_ascii_alphabetic())
}

/// Whether the (trimmed) cell cannot hold an error value, `="…"` or a control character:
/// what the checks below would pass unchanged.
#[inline]
pub fn plain(t: &str) -> bool {
    !matches!(t.as_bytes().first(), Some(b'#' | b'=')) && !may_hold_control(t.as_bytes())
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

/// A control character a text cell must not send: C0 (below U+0020), DEL (U+007F) or C1
/// (U+0080–U+009F), its code point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Control(pub u8);

impl Control {
    /// Why the cell is left out.
    pub fn why(self) -> String {
        let name = match self.0 {
            0x00 => "NUL, ",
            0x07 => "bell, ",
            0x08 => "backspace, ",
            0x0c => "form feed, ",
            0x1b => "escape, ",
            0x1a => "end of file (Ctrl-Z), ",
            0x7f => "delete, ",
            _ => "",
        };
        // A C1 control is most often a windows-1252 byte (’ “ ” – … €) that a conversion
        // read as latin-1: said, so the user can convert the file again.
        let meant = (self.0 >= 0x80)
            .then(|| {
                let byte = [self.0];
                let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(&byte);
                text.chars().next().filter(|c| !c.is_control())
            })
            .flatten();
        match meant {
            Some(c) => format!(
                "holds a control character (U+{:04X}), not text: windows-1252 writes {c} with this code, so the file was probably converted from windows-1252 as latin-1; convert it again from windows-1252, or remove the character",
                self.0
            ),
            None => format!(
                "holds a control character ({name}U+{:04X}), not text; remove it in the file",
                self.0
            ),
        }
    }
}

/// Whether `c` is a control character a cell must not hold. Tab, line feed and carriage
/// return are text; a vertical tab is a line break (below).
fn is_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// The cell with a vertical tab read as the line break it is (FileMaker's and old Mac
/// exports' line break inside a cell), or the first other control character in it (C0, DEL
/// or C1).
pub fn controls(t: &str) -> Result<Cow<'_, str>, Control> {
    if !may_hold_control(t.as_bytes()) {
        return Ok(Cow::Borrowed(t));
    }
    let mut vertical_tab = false;
    for c in t.chars().filter(|&c| is_control(c)) {
        if c != '\u{0b}' {
            // Every control is below U+00A0.
            return Err(Control(c as u8));
        }
        vertical_tab = true;
    }
    if !vertical_tab {
        return Ok(Cow::Borrowed(t));
    }
    Ok(Cow::Owned(t.replace('\u{0b}', "\n")))
}

/// Whether any byte is below 0x20, DEL (0x7F) or 0xC2 (which leads U+0080–U+00BF in UTF-8,
/// the C1 controls among them), eight at a time: run on every cell, where a byte loop cost
/// about 110 instructions a cell (callgrind, the dry-run bench's file). Exact for C0 and DEL;
/// a cell with a Latin-1 sign (NBSP, `°`) is then read char by char.
#[inline]
fn may_hold_control(b: &[u8]) -> bool {
    // A byte below n borrows in `x - n…`, setting its high bit where `x`'s is clear
    // (bit-twiddling hacks' `hasless`: exact on whether any byte is); a byte equal to n is
    // one below 1 in `x ^ n…`. The three masks are joined before one test, with no branch.
    any_word(b, |x| {
        (below(x, 0x20) | below(x ^ (ONES * 0x7f), 1) | below(x ^ (ONES * 0xc2), 1)) & HIGH != 0
    })
}

/// Whether a cell may hold a line break (`\n`, `\r`, U+2028, U+2029): a byte below 0x20, or
/// 0xE2, which leads both Unicode breaks in UTF-8. One word scan as [`may_hold_control`]'s,
/// where a `memchr` per one-line cell (names, city, company …) cost about 75 instructions.
#[inline]
pub fn may_break_lines(t: &str) -> bool {
    may_break_bytes(t.as_bytes())
}

#[inline]
fn may_break_bytes(b: &[u8]) -> bool {
    any_word(b, |x| {
        (below(x, 0x20) | below(x ^ (ONES * 0xe2), 1)) & HIGH != 0
    })
}

const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);

/// Each byte of `x` below `n` sets its high bit (among others: test with [`HIGH`]).
#[inline]
fn below(x: u64, n: u8) -> u64 {
    x.wrapping_sub(ONES * u64::from(n)) & !x
}

/// Whether `test` holds for any eight bytes of `b`, the last padded with spaces (one more
/// word, not a loop).
#[inline]
fn any_word(b: &[u8], test: impl Fn(u64) -> bool) -> bool {
    let mut words = b.chunks_exact(8);
    let found = words.by_ref().any(|w| {
        let mut word = [0u8; 8];
        word.copy_from_slice(w);
        test(u64::from_ne_bytes(word))
    });
    let rest = words.remainder();
    let mut word = [b' '; 8];
    word[..rest.len()].copy_from_slice(rest);
    found || test(u64::from_ne_bytes(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_break_scan_finds_what_a_byte_search_finds() {
        for len in 1..20 {
            for at in 0..len {
                for b in 0..=255u8 {
                    let mut cell = vec![b'a'; len];
                    cell[at] = b;
                    let expected = cell.iter().any(|&c| c < 0x20 || c == 0xe2);
                    assert_eq!(may_break_bytes(&cell), expected, "{len} {at} {b}");
                }
            }
        }
        for t in ["a\u{2028}b", "\u{2029}", "São Paulo\n", "Zoë\r"] {
            assert!(may_break_lines(t), "{t:?}");
        }
        for t in ["", "São Paulo", "Acme, Inc. 12", "李", "Ørjan", "Müller-12"] {
            assert!(!may_break_lines(t), "{t:?}");
        }
    }

    #[test]
    fn the_word_scan_finds_a_control_byte_wherever_it_is() {
        for len in 0..20 {
            for at in 0..len {
                for b in [0u8, 0x09, 0x0b, 0x1b, 0x1f, 0x7f, 0xc2] {
                    let mut cell = vec![b'a'; len];
                    cell[at] = b;
                    assert!(may_hold_control(&cell), "{len} {at} {b}");
                }
            }
            let mut all: Vec<u8> = (0x20..=0xff).filter(|&b| b != 0x7f && b != 0xc2).collect();
            all.truncate(len.max(1) * 10);
            assert!(!may_hold_control(&all));
            assert!(!may_hold_control(&vec![b'~'; len]));
        }
    }

    /// The fast test never passes a cell a check would change or refuse.
    #[test]
    fn a_plain_cell_is_one_every_check_passes_unchanged() {
        let pieces = [
            "#", "=", "\"", "N/A", "REF!", "a", " ", "\u{0b}", "\u{1b}", "\t", "é", "0", "\u{7f}",
            "\u{85}", "\u{a0}",
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

    /// DEL and the C1 controls (U+0080–U+009F: a windows-1252 file converted as latin-1
    /// puts them where its quotes and dashes were) are controls as C0 ones are.
    #[test]
    fn del_and_c1_controls_are_named_as_c0_ones_are() {
        for (cell, code) in [
            ("Ann\u{7f}", 0x7f),
            ("O\u{92}Brien", 0x92),
            ("\u{80}", 0x80),
            ("a\u{0b}b\u{9f}", 0x9f),
            ("Caf\u{e9} \u{85}", 0x85),
        ] {
            assert!(!plain(cell), "{cell:?}");
            assert_eq!(controls(cell), Err(Control(code)), "{cell:?}");
        }
        let why = Control(0x92).why();
        assert!(why.contains("U+0092") && why.contains('\u{2019}'), "{why}");
        assert!(Control(0x7f).why().contains("delete, U+007F"));
        // Latin-1 letters and signs (C2 A0–C2 BF, C3 …) are text.
        for cell in [
            "Ren\u{e9}e",
            "\u{a0}\u{b0}\u{bf}\u{a9}",
            "\u{100}\u{2019}\u{20ac}",
        ] {
            assert_eq!(controls(cell), Ok(Cow::Borrowed(cell)), "{cell:?}");
        }
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
