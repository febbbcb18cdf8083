//! Two upserts with the same email or phone in flight at once can both create a contact, so
//! rows that share a key run one after the other, in input order. Rows with no shared key do
//! not wait for each other.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, Mutex};

use futures::future::{FutureExt, Shared};
use tokio::sync::oneshot;

type Done = Shared<oneshot::Receiver<()>>;

/// A row's match keys within its location (`e:<email>`, `p:<phone>`), each as a 64-bit hash
/// of its text: made without a `String` per key, and compared without one. Rows sharing a key
/// always share its hash; two keys whose hashes collide only make their rows wait for each
/// other, never fly together.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MatchKeys {
    hashes: [u64; 2],
    len: usize,
}

impl MatchKeys {
    /// Adds the key `<kind>:<text>` of a row in `location` (at most two keys).
    pub fn push(&mut self, location: &str, kind: u8, text: &[u8]) {
        let h = fold(location.len() as u64 ^ SEEDS[0], u64::from(kind) ^ SEEDS[1]);
        let h = absorb(h, location.as_bytes());
        let h = absorb(h ^ SEEDS[2], text);
        self.hashes[self.len] = fold(h ^ text.len() as u64, SEEDS[3]);
        self.len += 1;
    }

    pub fn as_slice(&self) -> &[u64] {
        &self.hashes[..self.len]
    }
}

/// Made for every valid row, so a multiply per 8 bytes (the folded multiply of foldhash and
/// ahash) rather than SipHash, which cost about 450 instructions a row: the keys never leave
/// the process, and nothing in a file is trying to make them collide.
const SEEDS: [u64; 4] = [
    0x243f_6a88_85a3_08d3,
    0x1319_8a2e_0370_7344,
    0xa409_3822_299f_31d0,
    0x082e_fa98_ec4e_6c89,
];

/// The two halves of the 128-bit product, xored.
#[inline(always)]
fn fold(a: u64, b: u64) -> u64 {
    let p = u128::from(a) * u128::from(b);
    (p as u64) ^ ((p >> 64) as u64)
}

/// Mixes `bytes` into `h`, 8 at a time.
#[inline(always)]
fn absorb(mut h: u64, bytes: &[u8]) -> u64 {
    let mut words = bytes.chunks_exact(8);
    for w in &mut words {
        h = fold(
            h ^ u64::from_le_bytes(w.try_into().unwrap_or_default()),
            SEEDS[1],
        );
    }
    let rest = words.remainder();
    if !rest.is_empty() {
        let mut last = [0u8; 8];
        last[..rest.len()].copy_from_slice(rest);
        h = fold(h ^ u64::from_le_bytes(last), SEEDS[2] ^ rest.len() as u64);
    }
    h
}

/// The keys are hashes already.
#[derive(Default)]
pub(super) struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

#[derive(Default)]
pub struct KeyChains {
    /// key → (ticket id, completion of the last row that holds it)
    tails: Mutex<HashMap<u64, (u64, Done), BuildHasherDefault<Prehashed>>>,
    next_id: std::sync::atomic::AtomicU64,
}

/// A row's place in the chains of its keys. Dropping it lets the next row with a shared key go.
pub struct Ticket {
    id: u64,
    keys: MatchKeys,
    waits: Vec<Done>,
    done: Option<oneshot::Sender<()>>,
    chains: Arc<KeyChains>,
}

impl KeyChains {
    /// Takes a place behind every earlier row that shares a key. Must be called in input
    /// order (it is synchronous so the dispatcher can).
    pub fn enter(self: &Arc<Self>, keys: MatchKeys) -> Ticket {
        let id = self
            .next_id
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        let done = rx.shared();
        let mut tails = self.tails.lock().unwrap_or_else(|e| e.into_inner());
        let mut waits = Vec::new();
        for k in keys.as_slice() {
            if let Some((_, prev)) = tails.insert(*k, (id, done.clone())) {
                waits.push(prev);
            }
        }
        Ticket {
            id,
            keys,
            waits,
            done: Some(tx),
            chains: self.clone(),
        }
    }

    /// Keys currently held or waited for.
    pub fn len(&self) -> usize {
        self.tails.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Ticket {
    /// Resolves when every earlier row sharing a key has finished.
    pub async fn ready(&mut self) {
        for w in std::mem::take(&mut self.waits) {
            let _ = w.await;
        }
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut tails = self.chains.tails.lock().unwrap_or_else(|e| e.into_inner());
        for k in self.keys.as_slice() {
            if tails.get(k).is_some_and(|(id, _)| *id == self.id) {
                tails.remove(k);
            }
        }
        drop(tails);
        if let Some(tx) = self.done.take() {
            let _ = tx.send(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::time::Duration;

    /// Near-identical keys (a digit, a letter's case, the location, the kind, a length)
    /// never share a hash, and the table's buckets (the low bits) and control bytes (the
    /// high seven) spread evenly.
    #[test]
    fn keys_that_differ_anywhere_hash_apart_and_spread_evenly() {
        let mut texts = Vec::new();
        for i in 0..100_000u64 {
            texts.push(format!("person.{i}@example{}.com", i % 13));
            texts.push(format!("+1415555{i:04}"));
        }
        texts.extend((0..40).map(|n| "a".repeat(n)));
        texts.extend((1..40).map(|n| "\0".repeat(n)));
        let mut seen = HashSet::new();
        let mut low = vec![0u32; 1 << 12];
        let mut high = vec![0u32; 1 << 7];
        for loc in ["", "loc", "loc2"] {
            for kind in [b'e', b'p'] {
                for t in &texts {
                    let mut k = MatchKeys::default();
                    k.push(loc, kind, t.as_bytes());
                    let h = k.as_slice()[0];
                    assert!(seen.insert(h), "{loc:?} {kind} {t:?} collides");
                    low[(h & 0xfff) as usize] += 1;
                    high[(h >> 57) as usize] += 1;
                }
            }
        }
        let even = |counts: &[u32]| {
            let mean = seen.len() as f64 / counts.len() as f64;
            counts
                .iter()
                .all(|&c| (c as f64 - mean).abs() < mean * 0.25)
        };
        assert!(even(&low), "buckets uneven");
        assert!(even(&high), "control bytes uneven");
    }

    #[tokio::test]
    async fn shared_keys_run_in_order_and_others_do_not_wait() {
        let chains = Arc::new(KeyChains::default());
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        let rows = [
            ("a", vec!["e:x"]),
            ("b", vec!["e:y"]),
            ("c", vec!["p:1", "e:x"]),
            ("d", vec!["p:1"]),
        ];
        for (name, keys) in rows {
            let mut k = MatchKeys::default();
            for key in keys {
                let (kind, text) = key.split_once(':').unwrap();
                k.push("loc", kind.as_bytes()[0], text.as_bytes());
            }
            let mut t = chains.enter(k);
            let log = log.clone();
            tasks.push(tokio::spawn(async move {
                t.ready().await;
                log.lock().unwrap().push(format!("{name}+"));
                tokio::time::sleep(Duration::from_millis(if name == "a" { 40 } else { 5 })).await;
                log.lock().unwrap().push(format!("{name}-"));
                drop(t);
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let log = log.lock().unwrap().clone();
        let pos = |s: &str| log.iter().position(|x| x == s).unwrap();
        assert!(pos("a-") < pos("c+"), "c shares e:x with a: {log:?}");
        assert!(pos("c-") < pos("d+"), "d shares p:1 with c: {log:?}");
        assert!(
            pos("b+") < pos("a-"),
            "b shares nothing and must not wait: {log:?}"
        );
        assert!(chains.is_empty());
    }
}
