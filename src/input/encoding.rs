//! Text encodings: files saved by Excel and other CRMs come as UTF-8 (with or without a BOM),
//! UTF-16 with a BOM ("Unicode text") or a legacy single-byte code page. Everything is turned
//! into UTF-8 here, streaming, before the CSV or JSONL reader sees it.

use std::io::{Cursor, Read};
use std::sync::{Arc, OnceLock};

use encoding_rs::{Encoding, MACINTOSH, UTF_8, WINDOWS_1252};
use encoding_rs_io::DecodeReaderBytesBuilder;

use super::Source;

/// How much of the start of a file is looked at to detect its encoding.
const DETECT_BYTES: u64 = 64 * 1024;

/// An encoding named by `--encoding`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextEncoding(&'static Encoding);

/// `--encoding` named no encoding this tool can decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--encoding {0:?}: not a known encoding; use a label such as utf-8, utf-16le, utf-16be, windows-1252, latin1, iso-8859-2, shift_jis")]
pub struct UnknownEncoding(pub String);

impl TextEncoding {
    /// Takes the WHATWG labels browsers accept (case-insensitive), so `latin1` and
    /// `iso-8859-1` mean Windows-1252 as they do everywhere on the web.
    pub fn from_label(label: &str) -> Result<TextEncoding, UnknownEncoding> {
        // The "replacement" labels decode every file to a single U+FFFD: never useful here.
        Encoding::for_label_no_replacement(label.trim().as_bytes())
            .map(TextEncoding)
            .ok_or_else(|| UnknownEncoding(label.to_owned()))
    }

    pub fn name(self) -> &'static str {
        self.0.name()
    }
}

/// What a file that is not text looks like, and what to do about it.
pub(super) type Binary = (&'static str, &'static str);

/// Why a file was read as Mac Roman, for the run's summary: the choice is a guess between two
/// code pages that both decode any byte, so it is said, with how to override it.
pub(super) const MAC_ROMAN_WHY: &str = "detected: its accented letters read as Mac Roman (classic Mac Excel), not as windows-1252; --encoding windows-1252 if that is wrong";

/// A file decoded to UTF-8, with what was found out on the way.
pub(super) struct Decoded {
    pub source: Source,
    /// The encoding it was read in, or begins to be read in (see `late`).
    pub encoding: &'static Encoding,
    /// What the file is when it is plainly not text (only when the encoding was not declared).
    pub binary: Option<Binary>,
    /// Why the encoding was chosen, when that is a guess to be said.
    pub why: Option<String>,
    /// Set when the start was plain ASCII and the encoding is settled at the first non-ASCII
    /// bytes, wherever they are.
    pub late: Option<LateGuess>,
}

/// `r` as UTF-8 bytes, and how it was read.
///
/// UTF-8 input is passed through undecoded (only its BOM is dropped), so a bad byte makes its
/// own cell unreadable (left out and named) instead of silently becoming U+FFFD.
///
/// JSON is UTF-8 by its standard (RFC 8259): a JSONL file is never guessed to be a code page,
/// so a stray byte costs its value, named, rather than turning into another letter.
pub(super) fn decode(
    mut r: Source,
    declared: Option<TextEncoding>,
    json: bool,
) -> std::io::Result<Decoded> {
    let mut prefix = Vec::with_capacity(8 * 1024);
    (&mut r).take(DETECT_BYTES).read_to_end(&mut prefix)?;
    let ((encoding, bom_len), why) = match declared {
        Some(TextEncoding(e)) => ((e, bom_of(e, &prefix)), None),
        None if json => (Encoding::for_bom(&prefix).unwrap_or((UTF_8, 0)), None),
        None => detect(&prefix),
    };
    let binary = match (declared, bom_len) {
        (None, 0) => sniff_binary(&prefix),
        _ => None,
    };
    // A plain ASCII start reads the same in UTF-8 and in any code page: it says nothing of
    // the accented letters a sorted export may have only further on.
    let late = (declared.is_none()
        && !json
        && bom_len == 0
        && prefix.len() as u64 == DETECT_BYTES
        && prefix.is_ascii())
    .then(LateGuess::default);
    prefix.drain(..bom_len);
    let raw: Source = Box::new(Cursor::new(prefix).chain(r));
    let source: Source = match &late {
        Some(guess) => Box::new(LateSniff::new(raw, guess.clone())),
        None if encoding == UTF_8 => raw,
        None => decoding(raw, encoding),
    };
    Ok(Decoded {
        source,
        encoding,
        binary,
        why,
        late,
    })
}

fn decoding(raw: Source, encoding: &'static Encoding) -> Source {
    Box::new(
        DecodeReaderBytesBuilder::new()
            .encoding(Some(encoding))
            .bom_sniffing(false)
            .build(raw),
    )
}

/// The encoding a file with a plain ASCII start settled on at its first non-ASCII bytes:
/// shared by the reader and whoever reports on the run.
#[derive(Debug, Clone, Default)]
pub struct LateGuess(Arc<OnceLock<Late>>);

/// See [`LateGuess`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Late {
    pub encoding: &'static Encoding,
    /// Where the first non-ASCII byte is, from the start of the stream.
    pub at: u64,
    pub why: Option<String>,
    /// The sample ended with the input, short of [`DETECT_BYTES`].
    pub short: bool,
}

impl LateGuess {
    pub fn get(&self) -> Option<&Late> {
        self.0.get()
    }

    /// The run's notice when the file turned out to be in a code page.
    pub fn notice(&self, file: &str) -> Option<String> {
        let late = self.get().filter(|l| l.encoding != UTF_8)?;
        Some(format!(
            "{file}: read as {} from byte {} on: what comes before is plain ASCII (the same in UTF-8 and any code page), the first accented letters there are not UTF-8{}; name the encoding with --encoding if that is wrong",
            late.encoding.name(),
            late.at,
            late.why.as_deref().map(|w| format!(" ({w})")).unwrap_or_default(),
        ))
    }
}

/// `inner` read as [`LateSniff`] does.
pub(super) fn late_sniff(inner: Source, guess: LateGuess) -> Source {
    Box::new(LateSniff::new(inner, guess))
}

/// Passes a plain ASCII stream through until its first non-ASCII byte, then settles its
/// encoding on the [`DETECT_BYTES`] from there, as [`detect`] does on a file's start: nothing
/// but ASCII has been given out, which reads the same in every encoding guessed, so the
/// switch loses no letter. Memory stays at two samples whatever the file's size.
struct LateSniff {
    inner: Source,
    buf: Vec<u8>,
    pos: usize,
    /// Bytes given out.
    at: u64,
    /// The byte given out last, for the guess's look at a letter's neighbours.
    last: Option<u8>,
    settled: Option<Source>,
    guess: LateGuess,
}

impl LateSniff {
    fn new(inner: Source, guess: LateGuess) -> LateSniff {
        LateSniff {
            inner,
            buf: Vec::with_capacity(8 * 1024),
            pos: 0,
            at: 0,
            last: None,
            settled: None,
            guess,
        }
    }

    fn settle(&mut self) -> std::io::Result<()> {
        let mut sample = Vec::with_capacity(DETECT_BYTES as usize + 1);
        sample.extend(self.last);
        sample.extend_from_slice(&self.buf[self.pos..]);
        let more = DETECT_BYTES.saturating_sub((self.buf.len() - self.pos) as u64);
        let before = sample.len();
        (&mut self.inner).take(more).read_to_end(&mut sample)?;
        let short = ((sample.len() - before) as u64) < more;
        let (encoding, why) = guess(&sample);
        let rest = sample.split_off(usize::from(self.last.is_some()));
        let inner = std::mem::replace(&mut self.inner, Box::new(std::io::empty()));
        let raw: Source = Box::new(Cursor::new(rest).chain(inner));
        self.settled = Some(match encoding == UTF_8 {
            true => raw,
            false => decoding(raw, encoding),
        });
        self.buf = Vec::new();
        let _ = self.guess.0.set(Late {
            encoding,
            at: self.at,
            why,
            short,
        });
        Ok(())
    }
}

impl Read for LateSniff {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        loop {
            if let Some(settled) = &mut self.settled {
                return settled.read(out);
            }
            if self.pos == self.buf.len() {
                self.buf.clear();
                self.pos = 0;
                if (&mut self.inner)
                    .take(8 * 1024)
                    .read_to_end(&mut self.buf)?
                    == 0
                {
                    return Ok(0);
                }
            }
            let ahead = &self.buf[self.pos..];
            let ascii = ahead
                .iter()
                .position(|b| !b.is_ascii())
                .unwrap_or(ahead.len());
            if ascii == 0 {
                self.settle()?;
                continue;
            }
            let n = ascii.min(out.len());
            out[..n].copy_from_slice(&ahead[..n]);
            self.last = Some(ahead[n - 1]);
            self.pos += n;
            self.at += n as u64;
            return Ok(n);
        }
    }
}

/// Files people pick by mistake (a workbook, an archive, an image), known by their first
/// bytes, or a sample where control bytes are common: no text file has them, while a legacy
/// code page would "decode" anything into rows of junk.
fn sniff_binary(prefix: &[u8]) -> Option<Binary> {
    const MAGIC: [(&[u8], &str, &str); 7] = [
        (
            b"PK\x03\x04",
            "a ZIP archive (an Excel .xlsx workbook?)",
            "; save it as CSV (File > Save As > CSV UTF-8)",
        ),
        (b"\x1f\x8b", "gzip-compressed", "; decompress it first"),
        (
            b"\xD0\xCF\x11\xE0",
            "an old Excel/Office file (.xls)",
            "; save it as CSV",
        ),
        (b"\x89PNG", "a PNG image", ""),
        (b"\xFF\xD8\xFF", "a JPEG image", ""),
        (b"%PDF", "a PDF document", ""),
        (b"BZh", "bzip2-compressed", "; decompress it first"),
    ];
    for (magic, what, hint) in MAGIC {
        if prefix.starts_with(magic)
            && (magic != b"BZh" || prefix.get(3).is_some_and(u8::is_ascii_digit))
        {
            return Some((what, hint));
        }
    }
    let control = prefix
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c))
        .count();
    // A stray NUL or two is a bad row, not a binary file.
    (control > 8 && control * 10 > prefix.len()).then_some((
        "binary data (or UTF-16 text without a byte order mark)",
        "; for UTF-16, name it with --encoding utf-16le or utf-16be",
    ))
}

/// A BOM decides; without one, [`guess`].
fn detect(prefix: &[u8]) -> ((&'static Encoding, usize), Option<String>) {
    if let Some(found) = Encoding::for_bom(prefix) {
        return (found, None);
    }
    let (encoding, why) = guess(prefix);
    ((encoding, 0), why)
}

/// Text that is valid UTF-8 is UTF-8; anything else is a legacy encoding: chardetng's
/// guess when it is sure, else Windows-1252 (what Excel writes on most Western Windows
/// machines). With why, when a code page was picked over another that reads the text
/// differently.
fn guess(sample: &[u8]) -> (&'static Encoding, Option<String>) {
    match std::str::from_utf8(sample) {
        Ok(_) => return (UTF_8, None),
        // Cut off mid-character by the sample's end: still UTF-8.
        Err(e) if e.error_len().is_none() => return (UTF_8, None),
        Err(_) => {}
    }
    // A UTF-8 export with a few stray legacy bytes (a cell pasted from an old file): read as
    // a code page, every `ë` would become `Ã«` without a word; as UTF-8 only the stray
    // bytes' cells are lost, each named. A real code page file rarely spells a UTF-8
    // character.
    let (multibyte, invalid) = utf8_census(sample);
    if multibyte > 0 && multibyte >= invalid {
        return (UTF_8, None);
    }
    let mut detector = chardetng::EncodingDetector::new();
    detector.feed(sample, false);
    match detector.guess_assess(None, false) {
        (e, true) if e != WINDOWS_1252 && !western_wins(e, sample) => {
            let why = differs(sample, e, WINDOWS_1252).map(|(this, other)| {
                format!("a guess: \"{this}\" would be \"{other}\" in windows-1252; --encoding windows-1252 if that is right")
            });
            (e, why)
        }
        // chardetng knows no Mac Roman: its Western guess is checked against it.
        _ if mac_roman_fits(sample) => (MACINTOSH, Some(MAC_ROMAN_WHY.to_owned())),
        (e, true) if e != WINDOWS_1252 => {
            let why = differs(sample, WINDOWS_1252, e).map(|(this, other)| {
                format!(
                    "a guess: few accented letters, read as Western European; \"{this}\" would be \"{other}\" in {}, --encoding {} if that is right",
                    e.name(),
                    e.name()
                )
            });
            (WINDOWS_1252, why)
        }
        _ => (WINDOWS_1252, None),
    }
}

/// Latin code pages chardetng picks over Windows-1252 on a short sample: `Hélène` (`è` is
/// `č` in windows-1250) tips it to Central European as readily as a Czech name does.
const LATIN: [&Encoding; 6] = [
    encoding_rs::WINDOWS_1250,
    encoding_rs::ISO_8859_2,
    encoding_rs::WINDOWS_1257,
    encoding_rs::ISO_8859_13,
    encoding_rs::ISO_8859_4,
    encoding_rs::WINDOWS_1254,
];

/// How many bytes reading differently in two Latin code pages it takes for chardetng's
/// choice between them to be more than a coin toss.
const LATIN_EVIDENCE: usize = 16;

/// Whether a sample chardetng reads as another Latin code page is Western European after
/// all: its letters are as plausible as letters in Windows-1252 (`ø` against `ř`, `è`
/// against `č`, not `£ukasz` against `Łukasz`) and too few read differently for the
/// letter statistics to tell.
fn western_wins(guessed: &'static Encoding, sample: &[u8]) -> bool {
    if !LATIN.contains(&guessed) {
        return false;
    }
    let (mut theirs, mut ours, mut differing) = (0i64, 0i64, 0usize);
    for (i, &b) in sample.iter().enumerate() {
        if b < 0x80 {
            continue;
        }
        let (g, w) = (single(guessed, b), single(WINDOWS_1252, b));
        if g == w {
            continue;
        }
        differing += 1;
        let prev = i.checked_sub(1).and_then(|j| sample.get(j)).copied();
        let next = sample.get(i + 1).copied();
        let letter = |x: Option<u8>| x.is_some_and(|x| x.is_ascii_alphabetic());
        if letter(prev) || letter(next) {
            theirs += plausibility(g, prev, next);
            ours += plausibility(w, prev, next);
        }
    }
    ours >= theirs && differing < LATIN_EVIDENCE
}

/// The first word of `sample` that reads differently in `chosen` and `other`, in both.
fn differs(
    sample: &[u8],
    chosen: &'static Encoding,
    other: &'static Encoding,
) -> Option<(String, String)> {
    let at = sample
        .iter()
        .position(|&b| b >= 0x80 && single(chosen, b) != single(other, b))?;
    let edge = |b: &u8| b.is_ascii_whitespace() || b",;\t\"|".contains(b);
    let start = sample[..at].iter().rposition(edge).map_or(0, |i| i + 1);
    let end = sample[at..]
        .iter()
        .position(edge)
        .map_or(sample.len(), |i| at + i);
    let word = &sample[start..end.min(start + 40)];
    let read = |e: &'static Encoding| e.decode_without_bom_handling(word).0.into_owned();
    Some((read(chosen), read(other)))
}

/// Whether `bytes` read better as Mac Roman than as Windows-1252. Mac Excel's "CSV" writes
/// Mac Roman, whose accented letters are mostly 0x80–0x9F: bytes Windows-1252 spends on rare
/// punctuation (and leaves undefined at 0x81, 0x8D, 0x8F, 0x90, 0x9D), while its own letters,
/// 0xC0–0xFF, are Mac Roman's symbols. Each high byte next to a letter scores how plausible
/// it is in each: a lowercase letter in a word, an uppercase one starting it, an apostrophe
/// or a quote (`don’t`, `“Ann”`) count for; a symbol or an uppercase letter inside a word
/// (`JosŽ`, `MŸller`) against. Windows-1252 wins a tie.
fn mac_roman_fits(bytes: &[u8]) -> bool {
    let (mut mac, mut win) = (0i64, 0i64);
    for (i, &b) in bytes.iter().enumerate() {
        if b < 0x80 {
            continue;
        }
        let prev = i.checked_sub(1).and_then(|j| bytes.get(j)).copied();
        let next = bytes.get(i + 1).copied();
        let letter = |x: Option<u8>| x.is_some_and(|x| x.is_ascii_alphabetic());
        if !letter(prev) && !letter(next) {
            continue;
        }
        mac += plausibility(single(MACINTOSH, b), prev, next);
        win += plausibility(single(WINDOWS_1252, b), prev, next);
    }
    mac > win && mac > 0
}

/// The character one byte of a single-byte encoding stands for.
fn single(encoding: &'static Encoding, b: u8) -> char {
    let byte = [b];
    let (text, _) = encoding.decode_without_bom_handling(&byte);
    text.chars().next().unwrap_or('\u{FFFD}')
}

/// +1 when `c` is likely between `prev` and `next` (ASCII neighbours, one a letter), -1 when not.
fn plausibility(c: char, prev: Option<u8>, next: Option<u8>) -> i64 {
    let lower = |x: Option<u8>| x.is_some_and(|x| x.is_ascii_lowercase());
    let upper = |x: Option<u8>| x.is_some_and(|x| x.is_ascii_uppercase());
    let letter = |x: Option<u8>| x.is_some_and(|x| x.is_ascii_alphabetic());
    if c.is_lowercase() {
        // Not `ìAnn`: a lowercase letter does not start a capitalised word.
        return if upper(next) { -1 } else { 1 };
    }
    if c.is_uppercase() {
        // `Émile`, `ÉMILE`, not `JosŽ` or `MŸller`.
        return if lower(prev) || (letter(prev) && lower(next)) {
            -1
        } else {
            1
        };
    }
    match c {
        '\u{2019}' | '\u{2018}' | '\u{201C}' | '\u{201D}' | '\u{2013}' | '\u{2014}'
        | '\u{00B4}' => 1,
        _ => -1,
    }
}

/// How many characters of two or more bytes are valid UTF-8 in `bytes`, and how many byte
/// sequences are not (a cut at the end not counted).
fn utf8_census(mut bytes: &[u8]) -> (usize, usize) {
    let (mut multibyte, mut invalid) = (0, 0);
    loop {
        let (good, rest) = match std::str::from_utf8(bytes) {
            Ok(s) => (s, None),
            Err(e) => {
                let s = std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default();
                (s, e.error_len().map(|n| e.valid_up_to() + n))
            }
        };
        multibyte += good.chars().filter(|c| c.len_utf8() > 1).count();
        match rest {
            Some(next) => {
                invalid += 1;
                bytes = &bytes[next..];
            }
            None => return (multibyte, invalid),
        }
    }
}

/// The length of `encoding`'s own BOM at the start of `prefix`, 0 if there is none.
fn bom_of(encoding: &'static Encoding, prefix: &[u8]) -> usize {
    match Encoding::for_bom(prefix) {
        Some((e, len)) if e == encoding => len,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use encoding_rs::{UTF_16BE, UTF_16LE};

    fn detect(prefix: &[u8]) -> (&'static Encoding, usize) {
        super::detect(prefix).0
    }

    #[test]
    fn boms_win() {
        assert_eq!(detect(b"\xEF\xBB\xBFa"), (UTF_8, 3));
        assert_eq!(detect(b"\xFF\xFEa\0"), (UTF_16LE, 2));
        assert_eq!(detect(b"\xFE\xFF\0a"), (UTF_16BE, 2));
    }

    #[test]
    fn valid_utf8_stays_utf8_even_cut_mid_character() {
        assert_eq!(detect("Zoë,Müller".as_bytes()), (UTF_8, 0));
        assert_eq!(detect(b"ascii only"), (UTF_8, 0));
        assert_eq!(detect(&"Zoë".as_bytes()[..3]), (UTF_8, 0));
    }

    #[test]
    fn utf8_with_a_few_stray_legacy_bytes_stays_utf8() {
        // UTF-8 `Zoë` and `Müller`, one Latin-1 `é`: UTF-8, the stray byte's cell is lost.
        assert_eq!(
            detect(b"Name\nZo\xc3\xab\nM\xc3\xbcller\nJos\xe9\n"),
            (UTF_8, 0)
        );
        assert_eq!(
            utf8_census(b"Zo\xc3\xab Jos\xe9 \xe2\x82\xac \xff\xfe"),
            (2, 3)
        );
        // More stray bytes than UTF-8 characters: a code page after all.
        assert_eq!(
            detect(b"Name\nRen\xe9\nJos\xe9\nZo\xc3\xab\n"),
            (WINDOWS_1252, 0)
        );
    }

    #[test]
    fn legacy_bytes_default_to_windows_1252() {
        let (text, _, _) = WINDOWS_1252
            .encode("First Name,Last Name\nJosé,Müller\nZoë,\u{201C}Ann\u{201D}\nRené,Price €5\n");
        assert_eq!(detect(&text), (WINDOWS_1252, 0));
        assert_eq!(detect(b"Name\nJos\xe9\n"), (WINDOWS_1252, 0));
    }

    #[test]
    fn mac_excel_csv_in_mac_roman_is_read_as_mac_roman() {
        // As Mac Excel's "CSV" writes it: Mac Roman, classic `\r` line ends.
        let text = "First Name,Last Name,Email\rJosé,Müller,jose@example.com\rFrançois,Dubois,f@example.fr\rZoë,Ångström,z@example.se\rRenée,O’Brien,r@example.ie\r";
        let (bytes, _, bad) = MACINTOSH.encode(text);
        assert!(!bad);
        assert_eq!(&bytes[27..32], b"Jos\x8e,");
        assert_eq!(detect(&bytes), (MACINTOSH, 0));
        // One name is enough.
        assert_eq!(detect(b"Name\rJos\x8e\r"), (MACINTOSH, 0));
        assert_eq!(detect(b"Name\rM\x9fller\r"), (MACINTOSH, 0));
    }

    #[test]
    fn windows_1252_with_curly_quotes_and_euros_stays_windows_1252() {
        for text in [
            "Name,Note\n\u{201C}Ann\u{201D},Price \u{20AC}5\nO\u{2019}Brien,don\u{2019}t call \u{2013} ever\n",
            "Name,Note\nJosé Müller,\u{201C}VIP\u{201D} \u{2013} \u{20AC}20\nZoë,it\u{2019}s fine\n",
            "First Name,Last Name\nJosé,Müller\nZoë,\u{201C}Ann\u{201D}\nRené,Price €5\n",
            "Name\nMar\u{00ED}a\n\u{00C9}MILE\n\u{00C9}mile\n",
        ] {
            let (bytes, _, _) = WINDOWS_1252.encode(text);
            assert_eq!(detect(&bytes), (WINDOWS_1252, 0), "{text}");
        }
    }

    #[test]
    fn other_code_pages_are_told_apart() {
        for (text, encoding) in [
            (
                "Name,Email\nŁukasz Żółć,l@x.pl\nZbigniew Świątek,z@x.pl\n",
                encoding_rs::WINDOWS_1250,
            ),
            (
                "Имя,Email\nИван Петров,i@x.ru\nМария,m@x.ru\n",
                encoding_rs::WINDOWS_1251,
            ),
            ("名前,Email\n山田太郎,y@x.jp\n", encoding_rs::SHIFT_JIS),
        ] {
            let (bytes, _, _) = encoding.encode(text);
            assert_eq!(detect(&bytes), (encoding, 0), "{text}");
        }
    }

    #[test]
    fn short_western_text_is_not_read_as_central_european() {
        // chardetng takes these for windows-1250 (`è` is `č` there, `ñ` is `ń`, `ø` is `ř`).
        for text in [
            "First Name,Last Name,Email,Mailing City,Mailing State/Province\nH\u{e9}l\u{e8}ne,Dubois,helene@example.fr,Paris,\u{ce}le-de-France\n",
            "H\u{e9}l\u{e8}ne,Dubois,Paris\n",
        ] {
            let (bytes, _, _) = WINDOWS_1252.encode(text);
            let mut detector = chardetng::EncodingDetector::new();
            detector.feed(&bytes, false);
            assert_ne!(detector.guess(None, false), WINDOWS_1252, "{text}");
            let ((e, _), why) = super::detect(&bytes);
            assert_eq!(e, WINDOWS_1252, "{text}");
            // What the other reading would be is said.
            let why = why.unwrap();
            assert!(why.contains("in windows-1250, --encoding windows-1250"), "{why}");
        }
        let (bytes, _, _) = WINDOWS_1252.encode("Name\nH\u{e9}l\u{e8}ne\n");
        let why = super::detect(&bytes).1.unwrap();
        assert!(
            why.contains("\"H\u{e9}l\u{e8}ne\" would be \"H\u{e9}l\u{10d}ne\""),
            "{why}"
        );
    }

    #[test]
    fn a_code_page_picked_over_windows_1252_says_what_would_differ() {
        let (bytes, _, _) = encoding_rs::WINDOWS_1250
            .encode("Name,Email\n\u{141}ukasz \u{17b}\u{f3}\u{142}\u{107},l@x.pl\nZbigniew \u{15a}wi\u{105}tek,z@x.pl\n");
        let ((e, _), why) = super::detect(&bytes);
        assert_eq!(e, encoding_rs::WINDOWS_1250);
        let why = why.unwrap();
        assert!(
            why.contains("would be \"\u{a3}ukasz\" in windows-1252"),
            "{why}"
        );
        let (bytes, _, _) =
            encoding_rs::WINDOWS_1251.encode("Имя,Email\nИван Петров,i@x.ru\nМария,m@x.ru\n");
        let why = super::detect(&bytes).1.unwrap();
        assert!(why.contains("--encoding windows-1252"), "{why}");
    }

    #[test]
    fn labels() {
        for (label, name) in [
            ("utf-8", "UTF-8"),
            ("UTF8", "UTF-8"),
            ("utf-16le", "UTF-16LE"),
            ("utf-16", "UTF-16LE"),
            ("utf-16be", "UTF-16BE"),
            ("windows-1252", "windows-1252"),
            ("latin1", "windows-1252"),
            ("cp1250", "windows-1250"),
            ("shift_jis", "Shift_JIS"),
        ] {
            assert_eq!(TextEncoding::from_label(label).unwrap().name(), name);
        }
        for bad in ["", "utf-9", "klingon", "iso-2022-kr"] {
            let err = TextEncoding::from_label(bad).unwrap_err();
            assert!(err.to_string().contains("--encoding"), "{err}");
        }
    }
}
