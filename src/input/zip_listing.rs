//! The files a ZIP archive holds, from its central directory: an export ZIP (Mailchimp's
//! audience, Salesforce's Data Export) picked instead of the CSV files inside it.

use std::io::{Read, Seek, SeekFrom};

/// The names of the files in the ZIP archive `f`, `None` when its directory cannot be read.
pub(super) fn names(f: &mut (impl Read + Seek)) -> Option<Vec<String>> {
    let len = f.seek(SeekFrom::End(0)).ok()?;
    // The end record is 22 bytes, after a comment of at most 64 KB.
    let tail_len = len.min(22 + 65_535);
    f.seek(SeekFrom::Start(len - tail_len)).ok()?;
    let mut tail = Vec::with_capacity(tail_len as usize);
    f.take(tail_len).read_to_end(&mut tail).ok()?;
    let end = tail.windows(4).rposition(|w| w == b"PK\x05\x06")?;
    let rec = tail.get(end..end + 22)?;
    let u16_at = |b: &[u8], i: usize| u16::from_le_bytes([b[i], b[i + 1]]) as usize;
    let u32_at = |b: &[u8], i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    let (count, size, offset) = (u16_at(rec, 10), u32_at(rec, 12), u32_at(rec, 16));
    if u64::from(size) > 16 << 20 {
        return None;
    }
    f.seek(SeekFrom::Start(u64::from(offset))).ok()?;
    let mut dir = Vec::with_capacity(size as usize);
    f.take(u64::from(size)).read_to_end(&mut dir).ok()?;
    let mut names = Vec::with_capacity(count);
    let mut at = 0;
    while names.len() < count {
        let entry = dir
            .get(at..at + 46)
            .filter(|e| e.starts_with(b"PK\x01\x02"))?;
        let (name, extra, comment) = (u16_at(entry, 28), u16_at(entry, 30), u16_at(entry, 32));
        let name = dir.get(at + 46..at + 46 + name)?;
        names.push(String::from_utf8_lossy(name).into_owned());
        at += 46 + name.len() + extra + comment;
    }
    Some(names)
}

/// What to say of a ZIP archive that is not a workbook but holds CSV files.
pub(super) fn csv_archive(names: &[String]) -> Option<String> {
    if names
        .iter()
        .any(|n| n == "[Content_Types].xml" || n.starts_with("xl/"))
    {
        return None;
    }
    let csvs: Vec<&str> = names
        .iter()
        .map(String::as_str)
        .filter(|n| n.to_ascii_lowercase().ends_with(".csv"))
        .collect();
    if csvs.is_empty() {
        return None;
    }
    let opt_outs = csvs
        .iter()
        .any(|n| n.contains("unsubscribed") || n.contains("cleaned"));
    Some(format!(
        "is a ZIP archive, not a workbook: it holds {}; unzip it and import each file{}",
        csvs.join(", "),
        if opt_outs {
            " (the unsubscribed and cleaned files carry the opt-outs)"
        } else {
            ""
        }
    ))
}
