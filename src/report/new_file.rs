//! The files a run writes (report, rejects, HTML, undo report) start as new files: an old
//! one at the same path is replaced, not truncated in place. Truncating costs the run twice
//! on ext4: freeing the old blocks (0.2–0.4 s for a 1M-row dry run's 370 MB report), and,
//! because a file truncated to nothing is written out in full when it is closed
//! (`auto_da_alloc`), a flush on the run's last step. A nightly run that keeps its report
//! path paid both: 0.3–0.7 s of a 2.5–3.5 s dry run. The new file takes the old one's place at
//! once (a killed run's report still holds the rows done so far), keeps its permissions, and
//! the old blocks are freed on a thread of their own. Links, other owners and anything but a
//! plain file are still truncated in place, as before: replacing them would change what the
//! user set up.

use std::fs::File;
use std::io;
use std::path::Path;

/// Created readable by the owner only (a report lists people's emails and phones); an old
/// file at `path` keeps the mode its owner gave it.
pub(crate) fn create_private(path: &Path) -> io::Result<File> {
    #[cfg(unix)]
    if let Some(file) = replace(path) {
        return Ok(file);
    }
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)
}

/// A new, empty file in the place of the plain file at `path`; `None` (nothing changed) when
/// there is none, or it is not one this may replace.
#[cfg(unix)]
fn replace(path: &Path) -> Option<File> {
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};

    let before = std::fs::symlink_metadata(path).ok()?;
    if !before.file_type().is_file() || before.nlink() != 1 {
        return None;
    }
    // Held open, the old file's blocks outlive the rename; they are freed when it is closed.
    let old = File::open(path).ok()?;
    if old.metadata().ok()?.ino() != before.ino() {
        return None;
    }
    let mut name = std::ffi::OsString::from(".");
    name.push(path.file_name()?);
    name.push(format!(".{}.new", std::process::id()));
    let tmp = path.with_file_name(name);
    let mode = before.mode() & 0o777;
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&tmp)
        .ok()?;
    let placed = file.metadata().is_ok_and(|m| {
        // Another owner's file (root writing a user's report) keeps its owner: in place.
        m.uid() == before.uid() && m.gid() == before.gid()
    }) && file
        .set_permissions(std::fs::Permissions::from_mode(mode))
        .is_ok()
        && std::fs::rename(&tmp, path).is_ok();
    if !placed {
        let _ = std::fs::remove_file(&tmp);
        return None;
    }
    let freeing = std::thread::Builder::new()
        .name("ghl-import-old-file".into())
        .spawn(move || drop(old));
    // No thread: closed here, as truncating would have cost.
    drop(freeing);
    Some(file)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

    #[test]
    fn an_old_report_is_replaced_by_a_new_file_with_its_mode_not_truncated() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.csv");
        std::fs::write(&path, "row,status\n2,valid\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        let mut reader = File::open(&path).unwrap();
        let ino = std::fs::metadata(&path).unwrap().ino();

        let mut f = create_private(&path).unwrap();
        f.write_all(b"new\n").unwrap();
        drop(f);

        let meta = std::fs::metadata(&path).unwrap();
        assert_ne!(meta.ino(), ino, "truncated in place");
        assert_eq!(meta.mode() & 0o777, 0o640);
        assert_eq!(std::fs::read(&path).unwrap(), b"new\n");
        // Whoever had the old report open still reads it whole.
        let mut old = String::new();
        reader.read_to_string(&mut old).unwrap();
        assert_eq!(old, "row,status\n2,valid\n");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["report.csv"], "a temporary file left behind");
    }

    #[test]
    fn a_new_report_is_private_and_a_linked_one_is_truncated_through_its_link() {
        let dir = tempfile::tempdir().unwrap();
        let new = dir.path().join("new.csv");
        drop(create_private(&new).unwrap());
        assert_eq!(std::fs::metadata(&new).unwrap().mode() & 0o777, 0o600);

        // A symlink stays one; the file it points at gets the rows.
        let target = dir.path().join("target.csv");
        std::fs::write(&target, "old\n").unwrap();
        let link = dir.path().join("link.csv");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let mut f = create_private(&link).unwrap();
        f.write_all(b"x\n").unwrap();
        drop(f);
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read(&target).unwrap(), b"x\n");

        // A hard-linked file is one file under two names: both see the new rows.
        let other = dir.path().join("other-name.csv");
        std::fs::hard_link(&target, &other).unwrap();
        let mut f = create_private(&target).unwrap();
        f.write_all(b"y\n").unwrap();
        drop(f);
        assert_eq!(std::fs::read(&other).unwrap(), b"y\n");
    }
}
