//! One record's cells in one buffer: their text back to back and where each ends, as csv's
//! `StringRecord` keeps them. One allocation per row instead of one per cell (the ends of a
//! row's first cells are kept inline), freed on another thread than the one that read them.

use std::fmt;

/// Cell ends kept without an allocation: rows with more cells put the rest in a `Vec`.
const INLINE: usize = 16;

#[derive(Clone, Default)]
pub struct CellRow {
    text: String,
    /// How many cells there are.
    len: usize,
    /// Where each of the first `INLINE` cells ends (on char boundaries).
    inline: [usize; INLINE],
    /// Where each further cell ends.
    more: Vec<usize>,
    /// Cells whose bytes could not be read as text (by index), and why. Their text is what
    /// could be read, bad bytes shown as U+FFFD: the mapper leaves them out and names them.
    unreadable: Vec<(usize, String)>,
}

impl CellRow {
    /// Replaces the cells: `text` holds them back to back, `ends` says where each ends (on
    /// char boundaries).
    pub(super) fn set(&mut self, text: &str, ends: &[usize]) {
        self.clear();
        self.text.push_str(text);
        let (first, rest) = ends.split_at(ends.len().min(INLINE));
        self.inline[..first.len()].copy_from_slice(first);
        self.more.extend_from_slice(rest);
        self.len = ends.len();
    }

    fn push_end(&mut self, end: usize) {
        match self.inline.get_mut(self.len) {
            Some(slot) => *slot = end,
            None => self.more.push(end),
        }
        self.len += 1;
    }

    fn end(&self, i: usize) -> Option<usize> {
        if i >= self.len {
            return None;
        }
        match self.inline.get(i) {
            Some(&end) => Some(end),
            None => self.more.get(i - INLINE).copied(),
        }
    }

    pub fn push(&mut self, cell: &str) {
        self.text.push_str(cell);
        self.push_end(self.text.len());
    }

    pub fn clear(&mut self) {
        self.text.clear();
        self.len = 0;
        self.more.clear();
        self.unreadable.clear();
    }

    /// Marks cell `i` as one whose bytes are not text, `why` saying what is wrong.
    pub fn mark_unreadable(&mut self, i: usize, why: String) {
        self.unreadable.push((i, why));
    }

    /// Why cell `i` could not be read, if it could not.
    pub fn unreadable(&self, i: usize) -> Option<&str> {
        self.unreadable
            .iter()
            .find_map(|(j, why)| (*j == i).then_some(why.as_str()))
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// Bytes held for the cells' text, used or not.
    pub fn capacity(&self) -> usize {
        self.text.capacity()
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn get(&self, i: usize) -> Option<&str> {
        let end = self.end(i)?;
        let start = match i {
            0 => 0,
            _ => self.end(i - 1)?,
        };
        self.text.get(start..end)
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + DoubleEndedIterator + '_ {
        (0..self.len()).map(|i| self.get(i).unwrap_or_default())
    }

    /// Pads with empty cells up to `n`.
    pub fn pad_to(&mut self, n: usize) {
        while self.len < n {
            self.push_end(self.text.len());
        }
    }

    pub fn to_vec(&self) -> Vec<String> {
        self.iter().map(str::to_owned).collect()
    }
}

impl<S: AsRef<str>> FromIterator<S> for CellRow {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> CellRow {
        let mut row = CellRow::default();
        for s in iter {
            row.push(s.as_ref());
        }
        row
    }
}

impl From<Vec<String>> for CellRow {
    fn from(cells: Vec<String>) -> CellRow {
        cells.iter().collect()
    }
}

impl PartialEq for CellRow {
    fn eq(&self, other: &CellRow) -> bool {
        self.text == other.text
            && (0..self.len.max(other.len)).all(|i| self.end(i) == other.end(i))
            && self.unreadable == other.unreadable
    }
}

impl PartialEq<Vec<String>> for CellRow {
    fn eq(&self, other: &Vec<String>) -> bool {
        self.len() == other.len() && self.iter().zip(other).all(|(a, b)| a == b)
    }
}

impl fmt::Debug for CellRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// `str::trim`, answered without decoding a char when both ends are ASCII other than
/// whitespace (nearly every cell): the dry run trims each cell several times, and `trim`'s
/// generic char search was about 2.5% of its CPU (perf).
#[inline]
pub fn trim(s: &str) -> &str {
    // ASCII whitespace as `char::is_whitespace` has it (vertical tab included).
    let kept = |b: u8| b.is_ascii() && !matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r');
    match s.as_bytes() {
        [] => s,
        [first, .., last] if kept(*first) && kept(*last) => s,
        [only] if kept(*only) => s,
        _ => s.trim(),
    }
}

/// How much of a cut cell's start to keep as its preview: about 60 bytes, not splitting a
/// UTF-8 character (on text: a char boundary).
pub fn preview_len(cell: &[u8]) -> usize {
    const PREVIEW: usize = 60;
    if cell.len() <= PREVIEW {
        return cell.len();
    }
    let mut n = PREVIEW;
    while n > 0 && (cell[n] & 0b1100_0000) == 0b1000_0000 {
        n -= 1;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::{trim, CellRow};

    #[test]
    fn cells_come_back_as_pushed_empty_ones_included() {
        let row: CellRow = ["a", "", "héllo", ""].into_iter().collect();
        assert_eq!(row.len(), 4);
        assert_eq!(row.iter().collect::<Vec<_>>(), ["a", "", "héllo", ""]);
        assert_eq!(row.get(2), Some("héllo"));
        assert_eq!(row.get(4), None);
        assert_eq!(
            row,
            vec!["a".to_string(), "".into(), "héllo".into(), "".into()]
        );
        let mut padded = row.clone();
        padded.pad_to(6);
        assert_eq!(padded.get(5), Some(""));
        assert_eq!(format!("{row:?}"), r#"["a", "", "héllo", ""]"#);
    }

    #[test]
    fn rows_past_the_inline_ends_keep_every_cell() {
        let cells: Vec<String> = (0..40)
            .map(|i| "é".repeat(i % 3) + &i.to_string())
            .collect();
        for n in [0, 1, 15, 16, 17, 40] {
            let row: CellRow = cells[..n].iter().collect();
            assert_eq!(row.len(), n);
            assert_eq!(row, cells[..n].to_vec());
            assert_eq!(row.get(n), None);
            let mut set = CellRow::default();
            set.push("left over");
            let mut text = String::new();
            let mut ends = Vec::new();
            for c in &cells[..n] {
                text.push_str(c);
                ends.push(text.len());
            }
            set.set(&text, &ends);
            assert!(set == row);
            let mut padded = row.clone();
            padded.pad_to(n + 20);
            assert_eq!(padded.len(), n + 20);
            assert_eq!(padded.get(n + 19), Some(""));
            assert_eq!(
                padded.iter().take(n).collect::<Vec<_>>(),
                cells[..n].to_vec()
            );
        }
        let a: CellRow = ["a", "b"].into_iter().collect();
        let b: CellRow = ["ab"].into_iter().collect();
        assert!(a != b);
    }

    #[test]
    fn trim_agrees_with_str_trim() {
        let pieces = [
            "",
            " ",
            "\t",
            "\n",
            "\r",
            "\u{b}",
            "\u{c}",
            "\u{a0}",
            "\u{85}",
            "\u{2003}",
            "\u{3000}",
            "a",
            "é",
            "日",
            "x y",
            "\u{1f600}",
            "'",
            "\u{0}",
        ];
        for a in pieces {
            for b in pieces {
                for c in pieces {
                    let s = format!("{a}{b}{c}");
                    assert_eq!(trim(&s), s.trim(), "{s:?}");
                }
            }
        }
        for b in 0..=127u8 {
            let s = (b as char).to_string();
            assert_eq!(trim(&s), s.trim(), "{b}");
        }
    }
}
