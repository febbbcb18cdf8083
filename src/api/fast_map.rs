//! Maps keyed by location id, looked up several times a request: hashed by foldhash (a
//! folded multiply, the hasher hashbrown itself uses) instead of SipHash, which cost about 4k
//! instructions a request over these maps with 1,000 locations. The keys come from the user's
//! own file, and nothing in it is trying to make them collide (as for the match keys in
//! `pipeline::keys`).

use std::collections::{HashMap, HashSet};

/// Fixed seed: the same hashes every run, so nothing that walks a map varies between runs.
pub type FastState = foldhash::fast::FixedState;
pub type FastMap<K, V> = HashMap<K, V, FastState>;
pub type FastSet<K> = HashSet<K, FastState>;

#[cfg(test)]
mod tests {
    use std::hash::BuildHasher;

    use super::*;

    #[test]
    fn location_ids_spread_over_the_table() {
        let build = FastState::default();
        let hashes: Vec<u64> = (0..4096)
            .map(|i| build.hash_one(format!("agency-loc-{i:04}")))
            .collect();
        // Distinct ids, distinct hashes; and both the bucket bits and the tag bits vary.
        let distinct: HashSet<u64> = hashes.iter().copied().collect();
        assert_eq!(distinct.len(), hashes.len());
        let buckets: HashSet<u64> = hashes.iter().map(|h| h & 1023).collect();
        let tags: HashSet<u64> = hashes.iter().map(|h| h >> 57).collect();
        assert!(buckets.len() > 600, "{} of 1024 buckets", buckets.len());
        assert_eq!(tags.len(), 128);
        // A prefix of another key hashes apart from it.
        assert_ne!(build.hash_one("loc"), build.hash_one("loc\0"));
    }
}
