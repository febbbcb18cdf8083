//! A fast path for the common phone shapes: NANP numbers (10 digits, `1` + 10 digits, or
//! `+1` + 10 digits) read in the US or Canada. `phonenumber::parse` costs tens of µs per call
//! and serialises on its regex cache; deciding these shapes needs only libphonenumber's
//! NANP patterns, which are matched here directly from the same metadata, with the same
//! region-resolution rule as `phonenumber::is_valid`. Every other shape returns `None` and
//! goes to the full parser. `tests::fast_path_agrees_with_phonenumber` checks agreement.

use phonenumber::country::Id as Region;
use phonenumber::metadata::DATABASE;
use phonenumber::Metadata;

/// `Some(Ok(e164))` / `Some(Err(()))` when the fast path can decide, `None` when the full
/// parser must. `input` is what would go to `phonenumber::parse`, `region` its region (`None`
/// when `input` starts with `+`).
pub(super) fn fast_nanp(input: &str, region: Option<Region>) -> Option<Result<String, ()>> {
    let plus = input.starts_with('+');
    if !plus && !matches!(region, Some(Region::US | Region::CA)) {
        return None;
    }
    let mut digits = [0u8; 11];
    let mut n = 0;
    for b in input.bytes() {
        if b.is_ascii_digit() {
            if n == digits.len() {
                return None;
            }
            digits[n] = b;
            n += 1;
        }
    }
    let national = match (plus, n, digits[0]) {
        (true, 11, b'1') => &digits[1..11],
        (false, 11, b'1') => &digits[1..11],
        (false, 10, _) => &digits[..10],
        _ => return None,
    };
    // A national number starting 0 or 1 takes the parser's prefix-stripping paths.
    if !(b'2'..=b'9').contains(&national[0]) {
        return None;
    }
    // ASCII digits only.
    let national = std::str::from_utf8(national).ok()?;
    Some(if nanp_valid(national) {
        Ok(format!("+1{national}"))
    } else {
        Err(())
    })
}

/// `phonenumber::is_valid` for country code 1: the first region whose leading digits match
/// (or, without leading digits, whose patterns match) decides.
fn nanp_valid(national: &str) -> bool {
    let Some(regions) = DATABASE.region(&1u16) else {
        return false;
    };
    for id in regions {
        let Some(meta) = DATABASE.by_id(id) else {
            continue;
        };
        match meta.leading_digits() {
            Some(ld) => {
                if ld.find(national).is_some_and(|m| m.start() == 0) {
                    return has_type(meta, national);
                }
            }
            None => {
                if has_type(meta, national) {
                    return true;
                }
            }
        }
    }
    false
}

/// `number_type(..) != Unknown`.
fn has_type(meta: &Metadata, national: &str) -> bool {
    let d = meta.descriptors();
    if !d.general().is_match(national) {
        return false;
    }
    [
        d.premium_rate(),
        d.toll_free(),
        d.shared_cost(),
        d.voip(),
        d.personal_number(),
        d.pager(),
        d.uan(),
        d.voicemail(),
        d.fixed_line(),
        d.mobile(),
    ]
    .into_iter()
    .flatten()
    .any(|desc| desc.is_match(national))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(input: &str, region: Option<Region>) -> Result<String, ()> {
        phonenumber::parse(region, input)
            .ok()
            .filter(phonenumber::is_valid)
            .map(|n| n.format().mode(phonenumber::Mode::E164).to_string())
            .ok_or(())
    }

    #[test]
    fn fast_path_agrees_with_phonenumber() {
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        // Real area codes (US, Canada, Caribbean, toll-free, premium) and random ones.
        const AREAS: &[&str] = &[
            "415", "212", "646", "617", "720", "800", "888", "900", "416", "604", "514", "876",
            "787", "242", "671", "684", "555", "211", "999", "305", "505", "472", "983", "246",
        ];
        let (mut decided, mut total) = (0, 0);
        for i in 0..12_000 {
            let r = next();
            let area = if i % 3 == 0 {
                format!("{:03}", r % 1000)
            } else {
                AREAS[(r % AREAS.len() as u64) as usize].to_owned()
            };
            let exch = format!("{:03}", (r >> 12) % 1000);
            let line = format!("{:04}", (r >> 24) % 10_000);
            let (input, region) = match (r >> 40) % 9 {
                0 => (format!("({area}) {exch}-{line}"), Some(Region::US)),
                1 => (format!("{area}.{exch}.{line}"), Some(Region::US)),
                2 => (format!("+1 {area} {exch} {line}"), None),
                3 => (format!("1-{area}-{exch}-{line}"), Some(Region::US)),
                4 => (format!("{area}{exch}{line}"), Some(Region::CA)),
                5 => (format!("+1{area}{exch}{line}"), None),
                6 => (format!("{area} {exch} {line}"), Some(Region::GB)),
                7 => (format!("+{}{area}{exch}{line}", r % 10), None),
                _ => (
                    format!("{}{area}{exch}{}", (r >> 50) % 10, &line[..3]),
                    Some(Region::US),
                ),
            };
            total += 1;
            if let Some(fast) = fast_nanp(&input, region) {
                decided += 1;
                assert_eq!(fast, reference(&input, region), "{input:?} in {region:?}");
            }
        }
        assert!(
            decided * 2 > total,
            "fast path decided only {decided} of {total}"
        );
    }
}
