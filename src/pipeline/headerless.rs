//! A CSV (or sheet) saved without its header row: its first contact is read as the column
//! names, so that contact is lost and no column maps to an email or a phone. Known by the
//! header itself holding an email or a phone number, and stopped before anything is sent.

/// When no column maps to email or phone (`no_key_column`) and a header cell looks like an
/// email or a phone number: that cell, and a header to add, one name per column.
pub(super) fn missing_header(headers: &[String], delimiter: u8) -> Option<(String, String)> {
    let found = headers.iter().find(|h| looks_like_key(h))?;
    let mut names = ["First Name", "Last Name"].into_iter();
    let suggested: Vec<String> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let h = h.trim();
            if looks_like_email(h) {
                "Email".to_owned()
            } else if looks_like_phone(h) {
                "Phone".to_owned()
            } else {
                names
                    .next()
                    .map_or_else(|| format!("Column {}", i + 1), str::to_owned)
            }
        })
        .collect();
    let sep = (delimiter as char).to_string();
    Some((found.trim().to_owned(), suggested.join(&sep)))
}

fn looks_like_key(h: &str) -> bool {
    looks_like_email(h.trim()) || looks_like_phone(h.trim())
}

/// `local@domain.tld`, no spaces: no column name is written that way.
fn looks_like_email(h: &str) -> bool {
    let Some((local, domain)) = h.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !h.contains(char::is_whitespace)
}

/// 7 to 15 digits, with only the punctuation phone numbers are written with.
fn looks_like_phone(h: &str) -> bool {
    let digits = h.chars().filter(char::is_ascii_digit).count();
    (7..=15).contains(&digits)
        && h.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '(' | ')' | '-' | '.' | ' '))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_first_row_of_data_is_known_by_its_email_or_phone() {
        assert_eq!(
            missing_header(&h(&["ann@example.com", "Ann", "Lee", "4155550101"]), b','),
            Some((
                "ann@example.com".to_owned(),
                "Email,First Name,Last Name,Phone".to_owned()
            ))
        );
        assert_eq!(
            missing_header(&h(&["Ann", "Lee", "+1 (415) 555-0101", "VIP", "x"]), b';'),
            Some((
                "+1 (415) 555-0101".to_owned(),
                "First Name;Last Name;Phone;Column 4;Column 5".to_owned()
            ))
        );
        // Column names, even odd ones, are not data.
        for header in [
            &["Name", "E-mail", "Tel."][..],
            &["id", "2024", "Phone 1"],
            &["contact@", "@handle", "a@b"],
        ] {
            assert_eq!(missing_header(&h(header), b','), None, "{header:?}");
        }
    }
}
