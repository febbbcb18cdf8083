//! JSON files that are not one object per line: a top-level array of objects (`[{…},{…}]`,
//! what most tools write to a `.json` file) and objects one after another spread over lines
//! (pretty-printed). Read one value at a time, by tracking strings and brackets: memory stays
//! at one object, whatever the file's size. Also how a file is known to be JSON by its first
//! bytes, whatever its name says.

use std::io::{BufRead, BufReader};

use super::Source;

/// How a JSON file holds its records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Shape {
    /// One object per line (JSONL): a record's row is its line number.
    Lines,
    /// A top-level array (`array`) or values one after another: a record's row is its
    /// position (1 for the first object).
    Values { array: bool },
}

/// The shape of the text starting `prefix` (the file's first bytes, BOM included), when it
/// reads as JSON: its first non-blank byte is `{` followed by a key or `}`, or `[` followed
/// by a value's start or `]`, so a CSV header never passes. A first line that is whole JSON
/// opening with `{` makes it JSONL, read line by line (a broken line costs only itself).
/// Not asked of a file named or declared JSONL: that one is read line by line.
pub(super) fn sniff(prefix: &[u8]) -> Option<Shape> {
    let text = prefix.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(prefix);
    let start = text.iter().position(|b| !b.is_ascii_whitespace())?;
    let text = &text[start..];
    let next = text[1..].iter().find(|b| !b.is_ascii_whitespace());
    let array = match (text[0], next) {
        (b'{', Some(b'"' | b'}')) => false,
        (b'[', None | Some(b'{' | b'[' | b']' | b'"')) => true,
        _ => return None,
    };
    // The first line, when the prefix holds all of it.
    let line = match memchr::memchr(b'\n', text) {
        Some(end) => Some(&text[..end]),
        None if prefix.len() < super::SNIFF_BYTES => Some(text),
        None => None,
    };
    let whole_line =
        line.is_none_or(|l| serde_json::from_slice::<serde::de::IgnoredAny>(l).is_ok());
    Some(match (array, whole_line) {
        (false, true) => Shape::Lines,
        _ => Shape::Values { array },
    })
}

/// Where a value-by-value read is.
#[derive(Debug, Default)]
pub(super) struct ValueScan {
    pub array: bool,
    /// The line being read (1-based).
    line: u64,
    /// Values read so far.
    index: u64,
    opened: bool,
    closed: bool,
    done: bool,
}

/// What the next read found.
pub(super) enum Scanned {
    /// A value's bytes are in the buffer: its position, the line it starts on, and whether it
    /// was cut at the size limit.
    Value {
        row: u64,
        line: u64,
        truncated: bool,
    },
    /// Something that is no value (a cut-off file, text after the array): its own row.
    Problem { row: u64, message: String },
}

impl ValueScan {
    pub fn new(array: bool) -> ValueScan {
        ValueScan {
            array,
            line: 1,
            ..ValueScan::default()
        }
    }

    /// Reads the next value into `buf` (at most `max` bytes of it kept: the rest is read
    /// past, not stored). Commas and blanks between values are skipped, a missing or extra
    /// comma costs nothing. `None` at the end.
    pub fn next(
        &mut self,
        rdr: &mut BufReader<Source>,
        buf: &mut Vec<u8>,
        max: usize,
        name: &str,
    ) -> std::io::Result<Option<Scanned>> {
        if self.done {
            return Ok(None);
        }
        loop {
            let Some(&b) = fill(rdr)?.first() else {
                self.done = true;
                if self.array && !self.closed {
                    return Ok(Some(self.problem(format!(
                        "{name}, line {}: the file ends before the array's closing ']' (a cut-off export?); the objects before it are read",
                        self.line
                    ))));
                }
                return Ok(None);
            };
            match b {
                b'\n' => self.line += 1,
                b' ' | b'\t' | b'\r' => {}
                // A BOM the decoder left (a declared encoding).
                0xEF if self.index == 0 && !self.opened => {
                    let bom = fill(rdr)?.starts_with(b"\xEF\xBB\xBF");
                    if bom {
                        rdr.consume(3);
                        continue;
                    }
                    break;
                }
                _ if self.closed => {
                    self.done = true;
                    return Ok(Some(self.problem(format!(
                        "{name}, line {}: there is more text after the array's closing ']'; it is not read (one array per file)",
                        self.line
                    ))));
                }
                b'[' if self.array && !self.opened => self.opened = true,
                b',' => {}
                b']' if self.array && self.opened => self.closed = true,
                b'}' | b']' => {
                    rdr.consume(1);
                    return Ok(Some(self.problem(format!(
                        "{name}, line {}: a stray '{}' with nothing opening it",
                        self.line, b as char
                    ))));
                }
                _ => break,
            }
            rdr.consume(1);
        }
        self.index += 1;
        let (row, line) = (self.index, self.line);
        buf.clear();
        let (mut depth, mut in_str, mut esc, mut truncated) = (0u32, false, false, false);
        loop {
            let avail = fill(rdr)?;
            if avail.is_empty() {
                if depth > 0 || in_str {
                    self.done = true;
                    return Ok(Some(Scanned::Problem {
                        row,
                        message: format!(
                            "{name}, object {row} (line {line}): the file ends inside this object (a cut-off export?)"
                        ),
                    }));
                }
                break;
            }
            let mut i = 0;
            let mut end = false;
            while i < avail.len() {
                let b = avail[i];
                if in_str {
                    if esc {
                        esc = false;
                    } else if b == b'\\' {
                        esc = true;
                    } else if b == b'"' {
                        in_str = false;
                        if depth == 0 {
                            i += 1;
                            end = true;
                            break;
                        }
                    }
                } else {
                    match b {
                        b'"' => in_str = true,
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' if depth == 0 => {
                            end = true;
                            break;
                        }
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                i += 1;
                                end = true;
                                break;
                            }
                        }
                        b',' | b' ' | b'\t' | b'\r' | b'\n' if depth == 0 => {
                            end = true;
                            break;
                        }
                        _ => {}
                    }
                }
                if b == b'\n' {
                    self.line += 1;
                }
                i += 1;
            }
            let room = (max + 2).saturating_sub(buf.len());
            truncated |= i > room;
            buf.extend_from_slice(&avail[..i.min(room)]);
            rdr.consume(i);
            if end {
                break;
            }
        }
        truncated |= buf.len() > max;
        Ok(Some(Scanned::Value {
            row,
            line,
            truncated,
        }))
    }

    /// The row the next record gets.
    pub fn next_row(&self) -> u64 {
        self.index + 1
    }

    fn problem(&mut self, message: String) -> Scanned {
        self.index += 1;
        Scanned::Problem {
            row: self.index,
            message,
        }
    }
}

fn fill(rdr: &mut BufReader<Source>) -> std::io::Result<&[u8]> {
    loop {
        match rdr.fill_buf() {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
            Ok(_) => break,
        }
    }
    // Asked again (it is buffered): returning the first borrow from the loop does not compile.
    rdr.fill_buf()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_known_by_its_first_bytes_and_csv_never_is() {
        let lines = Some(Shape::Lines);
        let array = Some(Shape::Values { array: true });
        let values = Some(Shape::Values { array: false });
        for (text, want) in [
            (&b"[{\"email\": \"a@x.com\"}]"[..], array),
            (b"\xEF\xBB\xBF\n  [\n  {\n", array),
            (b"[]", array),
            (b"{\"email\":\"a@x.com\"}\n{\"email\":\"b@x.com\"}\n", lines),
            (b"{\n  \"email\": \"a@x.com\"\n}\n", values),
            (b"[{\"a\":1}]\n[{\"b\":2}]\n", array),
            (b"[Name],[Email]\nAnn,a@x.com\n", None),
            (b"{Name},Email\n", None),
            (b"Email,Name\n", None),
            (b"", None),
        ] {
            assert_eq!(sniff(text), want, "{:?}", String::from_utf8_lossy(text));
        }
    }

    fn scan(text: &str, array: bool, max: usize) -> Vec<Result<(u64, u64, String, bool), String>> {
        let src: Source = Box::new(std::io::Cursor::new(text.as_bytes().to_vec()));
        let mut rdr = BufReader::with_capacity(4, src);
        let mut s = ValueScan::new(array);
        let mut buf = Vec::new();
        let mut out = Vec::new();
        while let Some(v) = s.next(&mut rdr, &mut buf, max, "f.json").unwrap() {
            out.push(match v {
                Scanned::Value {
                    row,
                    line,
                    truncated,
                } => Ok((
                    row,
                    line,
                    String::from_utf8(buf.clone()).unwrap(),
                    truncated,
                )),
                Scanned::Problem { message, .. } => Err(message),
            });
        }
        out
    }

    #[test]
    fn an_array_gives_each_value_with_its_position_and_line() {
        let got = scan(
            "[\n  {\"a\": \"x,]}\\\"\", \"b\": [1, {\"c\": 2}]},\n  {\"a\": 2}\n  ,\"s\", 7 ]\n\n",
            true,
            100,
        );
        assert_eq!(
            got,
            [
                Ok((
                    1,
                    2,
                    "{\"a\": \"x,]}\\\"\", \"b\": [1, {\"c\": 2}]}".to_owned(),
                    false
                )),
                Ok((2, 3, "{\"a\": 2}".to_owned(), false)),
                Ok((3, 4, "\"s\"".to_owned(), false)),
                Ok((4, 4, "7".to_owned(), false)),
            ]
        );
    }

    #[test]
    fn a_cut_off_array_and_text_after_it_are_said() {
        let got = scan("[{\"a\":1},{\"a\":", true, 100);
        assert!(matches!(&got[0], Ok((1, 1, _, false))));
        assert!(
            matches!(&got[1], Err(m) if m.contains("object 2 (line 1): the file ends inside this object"))
        );
        assert_eq!(got.len(), 2);
        let got = scan("[{\"a\":1}\n", true, 100);
        assert!(matches!(&got[1], Err(m) if m.contains("before the array's closing ']'")));
        let got = scan("[{\"a\":1}] {\"b\":2}", true, 100);
        assert!(matches!(&got[1], Err(m) if m.contains("more text after the array's closing ']'")));
        assert_eq!(got.len(), 2);
    }

    #[test]
    fn a_value_past_the_limit_is_cut_and_the_next_one_still_read() {
        let got = scan("{\"a\": \"0123456789\"}\n{\n\"b\": 1\n}", false, 12);
        assert!(matches!(&got[0], Ok((1, 1, s, true)) if s.len() <= 14));
        assert_eq!(got[1], Ok((2, 2, "{\n\"b\": 1\n}".to_owned(), false)));
    }
}
