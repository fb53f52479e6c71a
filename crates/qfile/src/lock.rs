//! One process per folder: [`DirLock`], an exclusive lock on a folder's `.lock` file.
//!
//! A program that writes checkpoints and results into a folder takes the folder's lock when it
//! starts and keeps it until it ends. The lock is the operating system's advisory file lock
//! (`flock` on Unix, through `rustix`), so the kernel releases it when its holder ends, however
//! it ends (SIGKILL, a crash, a power cut): a lock is never held by a process that is gone. The
//! file itself records the holder (process id and host name) for messages:
//!
//! - a second process asking for a held lock fails at once with [`LockError::Held`], which
//!   names the folder and the holder;
//! - a holder that ends normally empties the file before releasing it;
//! - a file that still names a holder while nobody holds the lock was left by a process that
//!   died holding it (on this host or, on a shared file system, another): the new holder takes
//!   the lock over and reports the stale holder ([`DirLock::recovered`]) so that the program can
//!   warn.
//!
//! The file is never deleted: deleting it on release would let two processes lock two
//! different files of the same name (one opened before the deletion, one after).
//!
//! On platforms other than Unix the lock is std's `File::try_lock` (Rust 1.89 and later).

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use thiserror::Error;

/// The name of the lock file inside the locked folder.
pub const LOCK_FILE_NAME: &str = ".lock";

/// The process a lock file names: who holds (or held) the lock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holder {
    /// Its process id.
    pub pid: u32,
    /// The name of the host it runs on.
    pub host: String,
}

impl Holder {
    /// This process, on this host.
    pub fn current() -> Self {
        Self { pid: std::process::id(), host: host_name() }
    }

    /// The lock file's text: `pid PID` and `host NAME`, one per line.
    fn to_text(&self) -> String {
        format!("pid {}\nhost {}\n", self.pid, self.host)
    }

    /// Reads [`Holder::to_text`]'s form back; `None` for anything else (an empty file: released,
    /// or its holder has not yet written itself).
    fn parse(text: &str) -> Option<Self> {
        let mut pid = None;
        let mut host = None;
        for line in text.lines() {
            match line.split_once(' ') {
                Some(("pid", value)) => pid = value.trim().parse().ok(),
                Some(("host", value)) => host = Some(value.trim().to_string()),
                _ => {}
            }
        }
        Some(Self { pid: pid?, host: host? })
    }
}

impl fmt::Display for Holder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pid {} on host {}", self.pid, self.host)
    }
}

/// Why a folder's lock was not taken.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum LockError {
    /// Another process (or another lock of this one) holds the folder's lock: one run per
    /// folder.
    #[error(
        "{dir} is in use by another run ({}, lock file {path}): wait for it to end, or use \
         another folder",
        describe_holder(.holder)
    )]
    Held {
        /// The locked folder.
        dir: PathBuf,
        /// Its lock file.
        path: PathBuf,
        /// The process the lock file names (`None` if it has not written itself yet).
        holder: Option<Holder>,
    },
    /// The folder's lock file could not be created, opened, locked or written (the folder or
    /// its parent is read-only, missing or not a folder).
    #[error("cannot take the lock {path} (one run per folder): {source}")]
    Failed {
        /// The lock file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// The text of [`LockError::Held`] for its holder (a holder that has not yet written itself has
/// none).
fn describe_holder(holder: &Option<Holder>) -> String {
    holder.as_ref().map_or_else(|| "a process starting up".to_string(), Holder::to_string)
}

/// An exclusive lock on a folder, held until it is dropped (see the [module documentation](self)).
#[derive(Debug)]
pub struct DirLock {
    file: File,
    path: PathBuf,
    recovered: Option<Holder>,
}

impl DirLock {
    /// Takes the lock of `dir` (creating the folder if needed), or fails at once: with
    /// [`LockError::Held`] if another process (or another `DirLock` of this process) holds it,
    /// with [`LockError::Failed`] if the lock file cannot be created or locked (a read-only or
    /// missing parent folder).
    pub fn acquire(dir: &Path) -> Result<Self, LockError> {
        let path = dir.join(LOCK_FILE_NAME);
        let failed = |source| LockError::Failed { path: path.clone(), source };
        fs::create_dir_all(dir).map_err(failed)?;
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(failed)?;
        if !try_lock(&file).map_err(failed)? {
            let holder = read_holder(&mut file).ok().flatten();
            return Err(LockError::Held { dir: dir.to_path_buf(), path, holder });
        }
        let recovered = read_holder(&mut file).map_err(failed)?;
        let me = Holder::current();
        file.set_len(0).map_err(failed)?;
        file.seek(SeekFrom::Start(0)).map_err(failed)?;
        file.write_all(me.to_text().as_bytes()).map_err(failed)?;
        file.sync_all().map_err(failed)?;
        Ok(Self { file, path, recovered })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The holder a stale lock file named when this lock took it over (a process that died
    /// holding the lock), if any.
    pub fn recovered(&self) -> Option<&Holder> {
        self.recovered.as_ref()
    }
}

impl Drop for DirLock {
    /// Empties the file (a clean release, not a stale lock); closing the file releases the lock.
    fn drop(&mut self) {
        let _ = self.file.set_len(0);
    }
}

/// The holder the lock file names, if it names one.
fn read_holder(file: &mut File) -> std::io::Result<Option<Holder>> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0))?;
    file.read_to_string(&mut text)?;
    Ok(Holder::parse(&text))
}

/// Takes the exclusive lock of `file` without waiting: `false` if another open file holds it.
#[cfg(unix)]
fn try_lock(file: &File) -> std::io::Result<bool> {
    use rustix::fs::{FlockOperation, flock};
    match flock(file, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(true),
        Err(e) if e == rustix::io::Errno::WOULDBLOCK => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Takes the exclusive lock of `file` without waiting: `false` if another open file holds it.
#[cfg(not(unix))]
#[allow(clippy::incompatible_msrv)]
fn try_lock(file: &File) -> std::io::Result<bool> {
    match file.try_lock() {
        Ok(()) => Ok(true),
        Err(std::fs::TryLockError::WouldBlock) => Ok(false),
        Err(std::fs::TryLockError::Error(e)) => Err(e),
    }
}

/// This host's name (`unknown` if the system does not say).
#[cfg(unix)]
fn host_name() -> String {
    let name = rustix::system::uname().nodename().to_string_lossy().into_owned();
    if name.is_empty() { "unknown".into() } else { name }
}

/// This host's name (`unknown` if the system does not say).
#[cfg(not(unix))]
fn host_name() -> String {
    std::env::var("COMPUTERNAME").unwrap_or_else(|_| "unknown".into())
}

#[cfg(test)]
mod tests {
    use std::sync::Barrier;

    use super::*;

    /// An empty folder of its own for the test `name`.
    fn fresh_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("qfile-lock-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_held_lock_refuses_a_second_holder_and_names_the_first() {
        let dir = fresh_dir("held");
        let first = DirLock::acquire(&dir).unwrap();
        assert_eq!(first.recovered(), None, "a new folder has no stale lock");
        assert_eq!(fs::read_to_string(first.path()).unwrap(), Holder::current().to_text());
        match DirLock::acquire(&dir) {
            Err(LockError::Held { dir: locked, path, holder }) => {
                assert_eq!(locked, dir);
                assert_eq!(path, dir.join(LOCK_FILE_NAME));
                assert_eq!(holder, Some(Holder::current()));
            }
            other => panic!("expected LockError::Held, got {other:?}"),
        }
        let message = DirLock::acquire(&dir).unwrap_err().to_string();
        assert!(message.contains(&dir.display().to_string()), "{message}");
        assert!(message.contains(&format!("pid {}", std::process::id())), "{message}");
        drop(first);
        assert_eq!(fs::read_to_string(dir.join(LOCK_FILE_NAME)).unwrap(), "", "released cleanly");
        let again = DirLock::acquire(&dir).unwrap();
        assert_eq!(again.recovered(), None, "a clean release is not a stale lock");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_stale_lock_is_taken_over_and_reported() {
        let dir = fresh_dir("stale");
        // A process that died holding the lock: its file names it, and nobody holds the lock
        // (the kernel released it when the process ended). The pid is one of a child that has
        // ended, so it is no longer alive on this host.
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .arg("--list")
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        child.wait().unwrap();
        let dead = Holder { pid: child.id(), host: host_name() };
        fs::write(dir.join(LOCK_FILE_NAME), dead.to_text()).unwrap();
        let lock = DirLock::acquire(&dir).unwrap();
        assert_eq!(lock.recovered(), Some(&dead));
        assert_eq!(fs::read_to_string(lock.path()).unwrap(), Holder::current().to_text());
        drop(lock);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn of_concurrent_claimants_exactly_one_holds_the_lock() {
        let dir = fresh_dir("race");
        let claimants = 8;
        let barrier = Barrier::new(claimants);
        let outcomes: Vec<Result<DirLock, LockError>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..claimants)
                .map(|_| {
                    scope.spawn(|| {
                        barrier.wait();
                        DirLock::acquire(&dir)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let held = outcomes.iter().filter(|o| o.is_ok()).count();
        let refused = outcomes.iter().filter(|o| matches!(o, Err(LockError::Held { .. }))).count();
        assert_eq!((held, refused), (1, claimants - 1), "{outcomes:?}");
        drop(outcomes);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_folder_that_cannot_be_created_fails_naming_the_lock_file() {
        let dir = fresh_dir("blocked");
        let file = dir.join("a-file");
        fs::write(&file, b"not a folder").unwrap();
        let out = file.join("out");
        match DirLock::acquire(&out) {
            Err(e @ LockError::Failed { .. }) => {
                let message = e.to_string();
                assert!(message.contains(&out.join(LOCK_FILE_NAME).display().to_string()));
            }
            other => panic!("expected LockError::Failed, got {other:?}"),
        }
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn holder_text_round_trips_and_junk_names_nobody() {
        let holder = Holder { pid: 42, host: "node-7".into() };
        assert_eq!(Holder::parse(&holder.to_text()), Some(holder.clone()));
        assert_eq!(Holder::parse(""), None);
        assert_eq!(Holder::parse("pid x\nhost y\n"), None);
        assert_eq!(describe_holder(&Some(holder)), "pid 42 on host node-7");
        assert_eq!(describe_holder(&None), "a process starting up");
    }
}
