//! How many calls the API needs: its batch limits, and the one count of bulk calls that the
//! import's estimate and `plan`'s both use.

/// The bulk business endpoint takes at most 50 ids.
pub const MAX_BUSINESS_BATCH: usize = 50;

/// Bulk calls for groups of contacts that each share one change (a tag set, a business), at
/// `batch` contacts a call.
pub fn bulk_calls(groups: impl IntoIterator<Item = u64>, batch: usize) -> u64 {
    let batch = batch.max(1) as u64;
    groups.into_iter().map(|n| n.div_ceil(batch)).sum()
}

/// Before reading the file: one upsert a row, plus the bulk calls if every row had the same
/// tags (the worst case) and the business when one is set for all.
pub fn import_calls(rows: u64, tag_batch: usize, business: bool) -> u64 {
    rows + bulk_calls([rows], tag_batch)
        + if business {
            bulk_calls([rows], MAX_BUSINESS_BATCH)
        } else {
            0
        }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bulk_calls_round_each_group_up_to_whole_batches() {
        assert_eq!(bulk_calls([150, 100], 100), 3);
        assert_eq!(bulk_calls([51], MAX_BUSINESS_BATCH), 2);
        assert_eq!(bulk_calls([0], 100), 0);
        assert_eq!(import_calls(250, 100, true), 250 + 3 + 5);
        assert_eq!(import_calls(250, 100, false), 253);
    }
}
