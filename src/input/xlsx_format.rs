//! Excel number formats that carry a contact's digits. A ZIP typed as a number keeps its
//! leading zero only in its format (`02108` is the number 2108 shown through `00000`), and so
//! do padded phones (`07700900123` through `00000000000`) and Excel's Special formats (Zip
//! Code, Zip Code + 4, Phone Number, Social Security Number). What Excel shows is what the
//! user expects to be sent, so whole numbers in such formats are read through them.
//!
//! Only formats made of digit placeholders (`0`, `#`, `?`) and literals are applied; any
//! other format (decimals, thousands separators, percent, scientific, fractions, dates, text)
//! gives `None` and the cell is read as before, never half-applied.

/// A number format that shows a whole number as digits between literals.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct DigitFormat {
    /// The number sections (positive; negative; zero), without a text section.
    sections: Vec<Section>,
    /// Whether a section has a `[condition]` (then sections are picked by condition, not sign).
    conditional: bool,
}

#[derive(Debug, Clone, PartialEq)]
struct Section {
    condition: Option<(Op, f64)>,
    parts: Vec<Part>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    /// `0`: a digit, `0` when the number has none here.
    Zero,
    /// `#`: a digit, nothing when the number has none here.
    Hash,
    /// `?`: a digit, a space when the number has none here.
    Space,
    Literal(char),
}

impl Part {
    fn is_digit(&self) -> bool {
        !matches!(self, Part::Literal(_))
    }
}

/// Excel's colour names, which change only how a section is drawn.
const COLOURS: [&str; 8] = [
    "black", "blue", "cyan", "green", "magenta", "red", "white", "yellow",
];

impl DigitFormat {
    /// The format of `code` if it is one of digits and literals, else `None`.
    pub(super) fn parse(code: &str) -> Option<DigitFormat> {
        let mut sections = Vec::new();
        let mut text_section = false;
        let mut section = Section {
            condition: None,
            parts: Vec::new(),
        };
        let mut chars = code.chars();
        while let Some(c) = chars.next() {
            if text_section && c != ';' {
                // Only literals and `@` may follow `@` in its section; the section is not used.
                match c {
                    '"' => skip_quoted(&mut chars)?,
                    '\\' | '_' => {
                        chars.next()?;
                    }
                    '@' | '-' | ' ' | '(' | ')' | '+' | ':' => {}
                    _ => return None,
                }
                continue;
            }
            match c {
                '0' => section.parts.push(Part::Zero),
                '#' => section.parts.push(Part::Hash),
                '?' => section.parts.push(Part::Space),
                '-' | ' ' | '(' | ')' | '+' => section.parts.push(Part::Literal(c)),
                '\\' => section.parts.push(Part::Literal(chars.next()?)),
                // `_x` leaves the width of x blank.
                '_' => {
                    chars.next()?;
                    section.parts.push(Part::Literal(' '));
                }
                // A quoted literal; an unclosed one is a damaged code, not one to guess at.
                '"' => loop {
                    match chars.next()? {
                        '"' => break,
                        q => section.parts.push(Part::Literal(q)),
                    }
                },
                '[' => {
                    let mut inner = String::new();
                    loop {
                        match chars.next()? {
                            ']' => break,
                            ch => inner.push(ch),
                        }
                    }
                    if let Some(cond) = condition(&inner) {
                        if section.condition.is_some() || !section.parts.is_empty() {
                            return None;
                        }
                        section.condition = Some(cond);
                    } else if !is_cosmetic(&inner) {
                        return None;
                    }
                }
                '@' => {
                    // The text section: it must hold no digits and come after a number section.
                    if section.parts.iter().any(Part::is_digit) || sections.is_empty() {
                        return None;
                    }
                    text_section = true;
                }
                ';' if text_section => return None,
                ';' => sections.push(std::mem::replace(
                    &mut section,
                    Section {
                        condition: None,
                        parts: Vec::new(),
                    },
                )),
                _ => return None,
            }
        }
        if !text_section {
            sections.push(section);
        }
        let conditional = sections.iter().any(|s| s.condition.is_some());
        let ok = !sections.is_empty()
            && sections.len() <= 3
            && sections[0].shows_digits()
            // Excel reads conditions in the first two sections only, the first first.
            && (!conditional
                || (sections[0].condition.is_some()
                    && sections.iter().skip(2).all(|s| s.condition.is_none())));
        ok.then_some(DigitFormat {
            sections,
            conditional,
        })
    }

    /// `value` as Excel shows it through this format, or `None` when it cannot be shown
    /// honestly here: not a whole number, past 15 digits, negative under conditions, or
    /// outside every condition. A negative number goes through the second section as it is
    /// written, or, with one section, the first with a `-` in front (`00000`: `-02108`).
    pub(super) fn apply(&self, value: f64) -> Option<String> {
        if !value.is_finite() || value.fract() != 0.0 || value.abs() >= 1e15 {
            return None;
        }
        if value < 0.0 {
            if self.conditional {
                return None;
            }
            return match self.sections.get(1) {
                Some(second) => Self::shown(second, -value),
                None => Self::shown(&self.sections[0], -value).map(|t| format!("-{t}")),
            };
        }
        let section = if self.conditional {
            let holds = |s: &Section| s.condition.is_none_or(|(op, n)| op.holds(value, n));
            let first = &self.sections[0];
            if holds(first) {
                first
            } else {
                match self.sections.get(1) {
                    Some(second) if holds(second) => second,
                    Some(second) if second.condition.is_some() => self.sections.get(2)?,
                    _ => return None,
                }
            }
        } else if value == 0.0 && self.sections.len() >= 3 {
            &self.sections[2]
        } else {
            &self.sections[0]
        };
        Self::shown(section, value)
    }

    fn shown(section: &Section, value: f64) -> Option<String> {
        // A section of literals only (`"none"`, or empty to hide) would replace the number.
        if !section.shows_digits() {
            return None;
        }
        let text = section.render(value);
        // A zero shown as no digit at all (`#`) would send nothing where the cell holds 0.
        text.bytes().any(|b| b.is_ascii_digit()).then_some(text)
    }
}

impl Section {
    fn shows_digits(&self) -> bool {
        self.parts.iter().any(Part::is_digit)
    }

    /// The digits fill the placeholders from the right; digits beyond the first placeholder
    /// all go there, as in Excel (`00000` shows 123456 as `123456`).
    fn render(&self, value: f64) -> String {
        // Zero has no significant digit: `0` placeholders show it, `#` ones do not.
        let digits = if value == 0.0 {
            String::new()
        } else {
            format!("{value:.0}")
        };
        let digits = digits.as_bytes();
        let places = self.parts.iter().filter(|p| p.is_digit()).count();
        let mut out = String::with_capacity(self.parts.len() + digits.len());
        let mut seen = 0;
        for part in &self.parts {
            let p = match part {
                Part::Literal(c) => {
                    out.push(*c);
                    continue;
                }
                p => p,
            };
            let from_right = places - 1 - seen;
            if seen == 0 && digits.len() > places {
                out.extend(digits[..digits.len() - places].iter().map(|&b| b as char));
            }
            seen += 1;
            match digits.len().checked_sub(from_right + 1) {
                Some(i) => out.push(digits[i] as char),
                None => match p {
                    Part::Zero => out.push('0'),
                    Part::Space => out.push(' '),
                    _ => {}
                },
            }
        }
        out
    }
}

impl Op {
    fn holds(self, v: f64, n: f64) -> bool {
        match self {
            Op::Lt => v < n,
            Op::Le => v <= n,
            Op::Gt => v > n,
            Op::Ge => v >= n,
            Op::Eq => v == n,
            Op::Ne => v != n,
        }
    }
}

/// `<=9999999` and the like.
fn condition(inner: &str) -> Option<(Op, f64)> {
    let (op, rest) = [
        ("<=", Op::Le),
        (">=", Op::Ge),
        ("<>", Op::Ne),
        ("<", Op::Lt),
        (">", Op::Gt),
        ("=", Op::Eq),
    ]
    .into_iter()
    .find_map(|(s, op)| inner.strip_prefix(s).map(|rest| (op, rest)))?;
    let n: f64 = rest.trim().parse().ok()?;
    n.is_finite().then_some((op, n))
}

/// A colour (`[Red]`, `[Color10]`) or a locale with no currency symbol (`[$-409]`,
/// `[$-en-US]`): how the section is drawn or which language it is in, not what it shows.
fn is_cosmetic(inner: &str) -> bool {
    let lower = inner.to_ascii_lowercase();
    COLOURS.contains(&lower.as_str())
        || lower
            .strip_prefix("color")
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        || inner.starts_with("$-")
}

/// Past a quoted literal (the opening `"` already read); `None` if it is never closed.
fn skip_quoted(chars: &mut std::str::Chars<'_>) -> Option<()> {
    chars.any(|c| c == '"').then_some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(code: &str, v: f64) -> Option<String> {
        DigitFormat::parse(code)?.apply(v)
    }

    #[test]
    fn zip_phone_and_ssn_formats_show_their_zeros() {
        for (code, v, want) in [
            // Excel's Special > Zip Code, Zip Code + 4, Social Security Number.
            ("00000", 2108.0, "02108"),
            ("00000-0000", 21_081_234.0, "02108-1234"),
            ("000-00-0000", 78_051_120.0, "078-05-1120"),
            // Special > Phone Number: 7 digits, else with the area code.
            (
                "[<=9999999]###-####;(###) ###-####",
                4_155_552_671.0,
                "(415) 555-2671",
            ),
            (
                "[<=9999999]###-####;(###) ###-####",
                5_552_671.0,
                "555-2671",
            ),
            // As Excel writes the same codes with escapes and quotes.
            (
                r"[<=9999999]###\-####;\(###\)\ ###\-####",
                4_155_552_671.0,
                "(415) 555-2671",
            ),
            (r#"00000"-"0000"#, 21_081_234.0, "02108-1234"),
            ("[$-409]00000", 2108.0, "02108"),
            ("[Blue]00000", 2108.0, "02108"),
            // Padded phones keep their leading zero.
            ("00000000000", 7_700_900_123.0, "07700900123"),
            ("0000000000", 412_345_678.0, "0412345678"),
            (r#""+"00 0000 000000"#, 447_700_900_123.0, "+44 7700 900123"),
            // More digits than places: all of them, in the first place.
            ("00000", 123_456.0, "123456"),
            ("0", 51_234_001.0, "51234001"),
            // Zero in its own section, and the text section ignored.
            ("00000;-00000;\"none\"0", 0.0, "none0"),
            ("00000;;0;@", 0.0, "0"),
            ("00000;\"-\"", 2108.0, "02108"),
            ("00000;@", 2108.0, "02108"),
            ("??? 0", 12.0, "  1 2"),
            ("00000_)", 2108.0, "02108 "),
        ] {
            assert_eq!(shown(code, v).as_deref(), Some(want), "{code} {v}");
        }
    }

    #[test]
    fn a_negative_number_is_shown_as_excel_shows_it() {
        // One section: its digits, and a minus in front.
        assert_eq!(shown("00000", -2108.0).as_deref(), Some("-02108"));
        assert_eq!(
            shown("000-00-0000", -12345678.0).as_deref(),
            Some("-012-34-5678")
        );
        // A second section is the negative numbers' own, with no minus of its own.
        assert_eq!(shown("00000;(00000)", -2108.0).as_deref(), Some("(02108)"));
        assert_eq!(shown("00000;0", -2108.0).as_deref(), Some("2108"));
    }

    #[test]
    fn other_formats_and_numbers_are_left_as_read() {
        // Decimals, separators, percent, scientific, fractions, dates, text, General.
        for code in [
            "General",
            "0.00",
            "#,##0",
            "0%",
            "0.00E+00",
            "# ?/?",
            "yyyy-mm-dd",
            "@",
            "[h]:mm",
            "[$€-407]0",
            "0*-",
            "\"unclosed",
            "\"Tel\"",
            "[<=9]0;[>9]0;[=5]0",
            "0;[<9]0",
        ] {
            assert_eq!(DigitFormat::parse(code), None, "{code}");
        }
        // Only whole numbers of at most 15 digits go through a format.
        for v in [12.5, 1e15, -1e15, f64::NAN] {
            assert_eq!(shown("00000", v), None, "{v}");
        }
        // A negative number under conditions, or a second section that hides it.
        assert_eq!(shown("[<100]000;[>1000]0000", -5.0), None);
        assert_eq!(shown("00000;", -2108.0), None);
        // Outside every condition, and zero shown as no digit at all.
        assert_eq!(shown("[<100]000;[>1000]0000", 500.0), None);
        assert_eq!(shown("###-####", 0.0), None);
        assert_eq!(shown("00000;;\"none\"", 0.0), None);
    }

    proptest::proptest! {
        /// A format never loses, adds or reorders a digit of the number: the digits it shows,
        /// less the leading zeros its `0` places add, are the number's own, and every `0`
        /// place is filled.
        #[test]
        fn a_digit_format_shows_every_digit_of_the_number_in_order(
            parts in proptest::collection::vec(0u8..7, 1..16),
            n in 0u64..1_000_000_000_000_000,
        ) {
            let code: String = parts
                .iter()
                .map(|p| match p {
                    0 | 1 => "0",
                    2 => "#",
                    3 => "?",
                    4 => "-",
                    5 => "\\ ",
                    _ => "\"(\"",
                })
                .collect();
            let zeros = code.matches('0').count();
            let places = zeros + code.matches(['#', '?']).count();
            proptest::prop_assume!(places > 0);
            let f = DigitFormat::parse(&code).unwrap();
            let want = if n == 0 { String::new() } else { n.to_string() };
            match f.apply(n as f64) {
                Some(shown) => {
                    let digits: String = shown.chars().filter(char::is_ascii_digit).collect();
                    proptest::prop_assert_eq!(digits.trim_start_matches('0'), &want, "{}", code);
                    proptest::prop_assert!(digits.len() >= zeros.max(want.len()), "{} {}", code, shown);
                }
                // Only a zero in a format of `#` and `?` shows no digit, and is read as before.
                None => proptest::prop_assert!(n == 0 && zeros == 0, "{} {}", code, n),
            }
        }
    }
}
