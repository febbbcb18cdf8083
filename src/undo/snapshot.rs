//! `import --snapshot`: before the first write to a location, its contacts are read (the
//! paged listing `plan` uses) and stored as they are, so `undo` can write back the fields the
//! import overwrote. The snapshot is durable before any contact of the location is written;
//! a resumed run keeps the snapshot its first attempt took.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::api::{ApiError, Client};
use crate::plan::listing::for_each_page;
use crate::state::{StateError, Store};

/// Why a location could not be snapshotted.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SnapshotError {
    #[error("--snapshot: could not read the contacts of location {0}: {1}")]
    Api(String, ApiError),
    #[error("--snapshot: {0}")]
    State(String),
}

impl SnapshotError {
    /// The API error behind it, to stop the run the way that error would.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            SnapshotError::Api(_, e) => Some(e),
            SnapshotError::State(_) => None,
        }
    }
}

pub struct Snapshots {
    client: Arc<Client>,
    store: Arc<Mutex<Store>>,
    taken: tokio::sync::Mutex<HashMap<String, Result<(), SnapshotError>>>,
}

impl Snapshots {
    pub fn new(client: Arc<Client>, store: Arc<Mutex<Store>>) -> Result<Snapshots, StateError> {
        lock(&store).mark_snapshot()?;
        Ok(Snapshots {
            client,
            store,
            taken: tokio::sync::Mutex::new(HashMap::new()),
        })
    }

    /// Returns once `location` is snapshotted (at once after the first time).
    pub async fn ensure(&self, location: &str) -> Result<(), SnapshotError> {
        let mut taken = self.taken.lock().await;
        if let Some(r) = taken.get(location) {
            return r.clone();
        }
        let r = self.take(location).await;
        // An interrupted read is not a verdict on the location.
        if !matches!(&r, Err(SnapshotError::Api(_, ApiError::Cancelled))) {
            taken.insert(location.to_owned(), r.clone());
        }
        r
    }

    async fn take(&self, location: &str) -> Result<(), SnapshotError> {
        let state = |e: StateError| SnapshotError::State(e.to_string());
        if lock(&self.store).has_snapshot(location).map_err(state)? {
            return Ok(());
        }
        let mut failed = None;
        for_each_page(&self.client, location, |page| {
            if failed.is_none() {
                failed = lock(&self.store).save_snapshot_page(location, page).err();
            }
        })
        .await
        .map_err(|e| SnapshotError::Api(location.to_owned(), e))?;
        if let Some(e) = failed {
            return Err(state(e));
        }
        lock(&self.store).finish_snapshot(location).map_err(state)
    }
}

fn lock(store: &Mutex<Store>) -> std::sync::MutexGuard<'_, Store> {
    store
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
