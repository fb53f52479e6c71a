//! Atomic file writes: a crash or a concurrent reader never sees a half-written file.
//!
//! The bytes go to a temporary file with a unique random name in the destination's directory
//! (from the `tempfile` crate, so two threads or processes writing one path never share one),
//! are flushed to disk, and the temporary file is renamed over the destination. A rename within
//! one directory is atomic on POSIX file systems (and replaces the target on Windows), so readers
//! see either the old file or the new one; concurrent writers each leave a complete file and the
//! last rename wins. A failed write removes its temporary file; a process killed in the middle
//! of a write leaves it behind, and [`remove_leftovers`] clears such files from a folder.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Writes `bytes` to `path` atomically, creating the parent directory if needed. Any failure
/// (a read-only or full folder) is [`Error::Write`] naming `path`, and leaves the file that was
/// there untouched.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let failed = |source: std::io::Error| Error::Write { path: path.to_path_buf(), source };
    let file_name =
        path.file_name().ok_or_else(|| Error::NotAFilePath { path: path.to_path_buf() })?;
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&dir).map_err(failed)?;
    let mut temp = tempfile::Builder::new()
        .prefix(&format!(".{}.", file_name.to_string_lossy()))
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(failed)?;
    temp.write_all(bytes).map_err(failed)?;
    temp.as_file().sync_all().map_err(failed)?;
    temp.persist(path).map_err(|e| failed(e.error))?;
    // Persist the directory entry too; not every platform can open a directory, so this is best
    // effort (the data itself is already on disk).
    if let Ok(d) = fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Removes from `dir` the temporary files of atomic writes whose process was killed in the
/// middle of the write (named `.NAME.XXXXXX.tmp`, `XXXXXX` six random letters or digits), and
/// returns their paths. Call it only while no other process writes into `dir` (for example
/// holding its [`DirLock`](crate::DirLock)): a running write's temporary file looks the same.
pub fn remove_leftovers(dir: &Path) -> Result<Vec<PathBuf>> {
    let io = |path: &Path, source| Error::Io { path: path.to_path_buf(), source };
    let mut removed = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| io(dir, e))? {
        let path = entry.map_err(|e| io(dir, e))?.path();
        if path.file_name().and_then(|n| n.to_str()).is_some_and(is_temporary_name) {
            fs::remove_file(&path).map_err(|e| io(&path, e))?;
            removed.push(path);
        }
    }
    Ok(removed)
}

/// True for the names [`write_atomic`] gives its temporary files: `.NAME.XXXXXX.tmp`.
fn is_temporary_name(name: &str) -> bool {
    let Some(stem) = name.strip_prefix('.').and_then(|n| n.strip_suffix(".tmp")) else {
        return false;
    };
    stem.rsplit_once('.').is_some_and(|(file, random)| {
        !file.is_empty() && random.len() == 6 && random.chars().all(|c| c.is_ascii_alphanumeric())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_creates_parents_and_replaces() {
        let dir = std::env::temp_dir().join(format!("qfile-atomic-{}", std::process::id()));
        let path = dir.join("sub").join("file.bin");
        write_atomic(&path, b"first").unwrap();
        write_atomic(&path, b"second").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"second");
        let leftovers: Vec<_> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_failed_write_names_the_file_and_keeps_the_old_one() {
        let dir = std::env::temp_dir().join(format!("qfile-atomic-fail-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let blocker = dir.join("a-file");
        fs::write(&blocker, b"old").unwrap();
        let path = blocker.join("cannot-exist.bin");
        match write_atomic(&path, b"new") {
            Err(e @ Error::Write { .. }) => {
                let message = e.to_string();
                assert!(message.starts_with(&format!("cannot write {}: ", path.display())));
            }
            other => panic!("expected Error::Write, got {other:?}"),
        }
        assert_eq!(fs::read(&blocker).unwrap(), b"old");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn leftovers_of_killed_writes_are_removed_and_nothing_else() {
        let dir = std::env::temp_dir().join(format!("qfile-atomic-left-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        write_atomic(&dir.join("checkpoint.bin"), b"whole").unwrap();
        // What a write killed after creating its temporary file leaves (the same naming).
        let temp = tempfile::Builder::new()
            .prefix(".checkpoint.bin.")
            .suffix(".tmp")
            .tempfile_in(&dir)
            .unwrap();
        let (_, left) = temp.keep().unwrap();
        let keep = [".hidden.tmp", "notes.tmp", ".checkpoint.bin.short.tmp"];
        for name in keep {
            fs::write(dir.join(name), b"mine").unwrap();
        }
        assert_eq!(remove_leftovers(&dir).unwrap(), vec![left.clone()]);
        assert!(!left.exists());
        assert_eq!(fs::read(dir.join("checkpoint.bin")).unwrap(), b"whole");
        assert!(keep.iter().all(|name| dir.join(name).exists()));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn concurrent_writers_of_one_path_each_leave_a_whole_file() {
        let dir = std::env::temp_dir().join(format!("qfile-atomic-race-{}", std::process::id()));
        let path = dir.join("shared.bin");
        let payloads: Vec<Vec<u8>> = (0..8u8).map(|k| vec![k; 100_000]).collect();
        std::thread::scope(|scope| {
            for p in &payloads {
                let path = &path;
                scope.spawn(move || {
                    for _ in 0..5 {
                        write_atomic(path, p).unwrap();
                    }
                });
            }
        });
        let last = fs::read(&path).unwrap();
        assert!(payloads.contains(&last), "the file is one writer's whole payload");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1, "no temporary file is left");
        fs::remove_dir_all(&dir).unwrap();
    }
}
