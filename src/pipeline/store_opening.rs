//! The state store opened on a thread of its own while the pre-pass reads the file: a new
//! store's file and tables (about 10 ms of writes and fsyncs) are then ready when the run
//! begins, not made after the estimate, on the way to the first request.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::thread::JoinHandle;

use crate::state::{StateError, Store};

enum Slot {
    Opening(JoinHandle<Result<Store, StateError>>),
    Done(Result<Store, StateError>),
    Taken,
}

/// A store being opened for the run. Whatever the run does not take is closed, and a store
/// this opening made is removed again: an import refused before its run began leaves no
/// store behind, as before.
pub struct StoreOpening {
    path: PathBuf,
    existed: bool,
    /// The directory the store would be made in, when it had to be made.
    made_dir: Option<PathBuf>,
    slot: Mutex<Slot>,
}

impl std::fmt::Debug for StoreOpening {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreOpening")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl StoreOpening {
    /// `None` when no thread could be started (the run then opens the store itself).
    pub fn start(path: &Path) -> Option<StoreOpening> {
        let existed = std::fs::symlink_metadata(path).is_ok();
        let made_dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty() && std::fs::symlink_metadata(d).is_err())
            .map(Path::to_owned);
        let owned = path.to_owned();
        let handle = std::thread::Builder::new()
            .name("ghl-import-store".into())
            .spawn(move || Store::open(&owned))
            .ok()?;
        Some(StoreOpening {
            path: path.to_owned(),
            existed,
            made_dir,
            slot: Mutex::new(Slot::Opening(handle)),
        })
    }

    /// Whether `path`'s store was there before this opening began; `None` for another path.
    pub fn existed(&self, path: &Path) -> Option<bool> {
        (path == self.path).then_some(self.existed)
    }

    /// The store at `path`, once open (its error if it could not be); `None` for another
    /// path, or when it was taken already or its thread failed: the caller opens it then.
    pub fn take(&self, path: &Path) -> Option<Result<Store, StateError>> {
        if path != self.path {
            return None;
        }
        let mut slot = self.slot.lock().unwrap_or_else(PoisonError::into_inner);
        settle(&mut slot);
        match std::mem::replace(&mut *slot, Slot::Taken) {
            Slot::Done(r) => Some(r),
            _ => None,
        }
    }

    /// `f` on the store at `path`, left open for the run; as [`StoreOpening::take`] for the
    /// rest (an error is handed out once).
    pub fn with<R>(
        &self,
        path: &Path,
        f: impl FnOnce(&mut Store) -> R,
    ) -> Option<Result<R, StateError>> {
        if path != self.path {
            return None;
        }
        let mut slot = self.slot.lock().unwrap_or_else(PoisonError::into_inner);
        settle(&mut slot);
        match &mut *slot {
            Slot::Done(Ok(store)) => Some(Ok(f(store))),
            Slot::Done(Err(_)) => match std::mem::replace(&mut *slot, Slot::Taken) {
                Slot::Done(Err(e)) => Some(Err(e)),
                _ => None,
            },
            _ => None,
        }
    }
}

/// Waits for the opening thread; a thread that panicked leaves nothing to take.
fn settle(slot: &mut Slot) {
    if matches!(slot, Slot::Opening(_)) {
        if let Slot::Opening(handle) = std::mem::replace(slot, Slot::Taken) {
            if let Ok(r) = handle.join() {
                *slot = Slot::Done(r);
            }
        }
    }
}

impl Drop for StoreOpening {
    fn drop(&mut self) {
        let slot = self.slot.get_mut().unwrap_or_else(PoisonError::into_inner);
        if matches!(slot, Slot::Taken) {
            return;
        }
        settle(slot);
        // Closed before its files are removed.
        *slot = Slot::Taken;
        if self.existed {
            return;
        }
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut p = self.path.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
        if let Some(dir) = &self.made_dir {
            // Only when empty.
            let _ = std::fs::remove_dir(dir);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_the_run_never_took_is_removed_and_one_it_took_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new").join("state.db");
        drop(StoreOpening::start(&path).unwrap());
        assert!(!path.exists(), "left behind");
        assert!(
            !dir.path().join("new").exists(),
            "its directory left behind"
        );

        let opening = StoreOpening::start(&path).unwrap();
        assert_eq!(opening.existed(&path), Some(false));
        assert!(opening.take(&dir.path().join("other.db")).is_none());
        let store = opening.take(&path).unwrap().unwrap();
        assert!(opening.take(&path).is_none(), "taken twice");
        drop(opening);
        drop(store);
        assert!(path.exists());

        // A store that was there stays, taken or not.
        let opening = StoreOpening::start(&path).unwrap();
        assert_eq!(opening.existed(&path), Some(true));
        assert!(matches!(opening.with(&path, |_| 7), Some(Ok(7))));
        drop(opening);
        assert!(path.exists());
    }
}
