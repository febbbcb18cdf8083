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
        let mut h = std::collections::hash_map::DefaultHasher::new();
        h.write_usize(location.len());
        h.write(location.as_bytes());
        h.write_u8(kind);
        h.write(text);
        self.hashes[self.len] = h.finish();
        self.len += 1;
    }

    pub fn as_slice(&self) -> &[u64] {
        &self.hashes[..self.len]
    }
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
    use std::time::Duration;

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
