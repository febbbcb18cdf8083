//! Two upserts with the same email or phone in flight at once can both create a contact, so
//! rows that share a key run one after the other, in input order. Rows with no shared key do
//! not wait for each other.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures::future::{FutureExt, Shared};
use tokio::sync::oneshot;

type Done = Shared<oneshot::Receiver<()>>;

#[derive(Default)]
pub struct KeyChains {
    /// key → (ticket id, completion of the last row that holds it)
    tails: Mutex<HashMap<String, (u64, Done)>>,
    next_id: std::sync::atomic::AtomicU64,
}

/// A row's place in the chains of its keys. Dropping it lets the next row with a shared key go.
pub struct Ticket {
    id: u64,
    keys: Vec<String>,
    waits: Vec<Done>,
    done: Option<oneshot::Sender<()>>,
    chains: Arc<KeyChains>,
}

impl KeyChains {
    /// Takes a place behind every earlier row that shares a key. Must be called in input
    /// order (it is synchronous so the dispatcher can).
    pub fn enter(self: &Arc<Self>, keys: Vec<String>) -> Ticket {
        let id = self
            .next_id
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        let done = rx.shared();
        let mut tails = self.tails.lock().unwrap_or_else(|e| e.into_inner());
        let mut waits = Vec::new();
        for k in &keys {
            if let Some((_, prev)) = tails.insert(k.clone(), (id, done.clone())) {
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
        for k in &self.keys {
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
            let mut t = chains.enter(keys.into_iter().map(String::from).collect());
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
