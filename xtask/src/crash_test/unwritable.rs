//! Step 3 of the crash test: output folders that cannot be written.
//!
//! Each case starts from a copy of a finished run's folder (its checkpoint and its released,
//! empty lock file) and resumes it for a few more iterations, so the first write the program
//! attempts is the next checkpoint's. The run must end with status 1 and, as its last line,
//! `error: cannot write <folder>/checkpoint_quantum_latent.bin: ...`, and the checkpoint must
//! keep its bytes (the last good one stays readable) with no temporary file left.
//!
//! - A read-only folder: `chmod a-w` does not stop root, so as root the folder gets the
//!   immutable attribute (`chattr +i`, on file systems that have it); a folder new to the
//!   program must then be refused at once, when its lock is taken. Where neither works the case
//!   falls back to an output path under a regular file, which covers only that refusal at the
//!   start, and says so.
//! - A full folder: a 1 MiB tmpfs mounted on it (root only; skipped, saying why, elsewhere),
//!   filled to all but a page.

use std::fs::{self, File, OpenOptions, Permissions};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::{CHECKPOINT, ITERATIONS, RUN_DEADLINE, Runs};
use crate::process::wait_at_most;

/// The lock file every run leaves (emptied) in its folder.
const LOCK_FILE: &str = ".lock";

/// The folders of the cases, under the test's folder.
const READ_ONLY: &str = "read-only";
/// The read-only folder the program has never written to.
const READ_ONLY_NEW: &str = "read-only-new";
/// The full folder (a tmpfs is mounted on it).
const FULL: &str = "full";

/// Runs the read-only and the full folder cases against copies of the folder `finished`.
pub(super) fn run(runs: &Runs, finished: &Path) -> Result<(), String> {
    read_only(runs, finished)?;
    full(runs, finished)
}

/// Makes the folders of an interrupted earlier test under `dir` removable again: unmounts the
/// full folder's tmpfs and lifts the immutable attribute (best effort; errors mean there was
/// nothing to undo).
pub(super) fn undo_leftovers(dir: &Path) {
    let quiet = |command: &mut Command| command.output().map(|_| ());
    let _ = quiet(Command::new("umount").arg(dir.join(FULL)));
    for name in [READ_ONLY, READ_ONLY_NEW] {
        let _ = quiet(Command::new("chattr").arg("-i").arg(dir.join(name)));
    }
}

/// The read-only folder case.
fn read_only(runs: &Runs, finished: &Path) -> Result<(), String> {
    let dir = copy_of_finished(runs, finished, READ_ONLY)?;
    let Some(guard) = ReadOnly::make(&dir)? else {
        let blocker = runs.dir.join("a-file");
        fs::write(&blocker, b"not a folder").map_err(|e| e.to_string())?;
        let out = blocker.join("out");
        let line = fails_with_one_error(runs, &out, "under-a-file", ITERATIONS)?;
        expect_prefix(
            &line,
            &format!("error: cannot take the lock {}", out.join(LOCK_FILE).display()),
        )?;
        eprintln!(
            "  read-only folder: NOT TESTED (neither chmod nor chattr +i stops writes here); an \
             output path under a regular file is refused at the start: {line}"
        );
        return Ok(());
    };
    let before = fs::read(dir.join(CHECKPOINT)).map_err(|e| e.to_string())?;
    let line = fails_with_one_error(runs, &dir, "read-only", ITERATIONS + 4)?;
    expect_prefix(&line, &format!("error: cannot write {}: ", dir.join(CHECKPOINT).display()))?;
    checkpoint_kept(&dir, &before)?;
    eprintln!("  read-only folder ({}): {line}", guard.how);

    let fresh = runs.dir.join(READ_ONLY_NEW);
    fs::create_dir_all(&fresh).map_err(|e| e.to_string())?;
    let _fresh_guard =
        ReadOnly::make(&fresh)?.ok_or("a second folder could not be made read-only")?;
    let line = fails_with_one_error(runs, &fresh, "read-only-new", ITERATIONS)?;
    expect_prefix(
        &line,
        &format!("error: cannot take the lock {}", fresh.join(LOCK_FILE).display()),
    )?;
    eprintln!("  read-only folder new to the program: {line}");
    drop(guard);
    Ok(())
}

/// The full folder case.
fn full(runs: &Runs, finished: &Path) -> Result<(), String> {
    let dir = runs.dir.join(FULL);
    fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
        .arg(&dir)
        .output()
        .map_err(|e| format!("could not run mount: {e}"))?;
    if !mounted.status.success() {
        let why = String::from_utf8_lossy(&mounted.stderr);
        eprintln!(
            "  full folder: NOT TESTED: a 1 MiB tmpfs could not be mounted on {} (needs root): {}",
            dir.display(),
            why.trim()
        );
        return Ok(());
    }
    let _mount = Mount(dir.clone());
    copy_finished_into(finished, &dir)?;
    let before = fs::read(dir.join(CHECKPOINT)).map_err(|e| e.to_string())?;
    fill_but_a_page(&dir.join("filler"))?;
    let line = fails_with_one_error(runs, &dir, "full", ITERATIONS + 4)?;
    expect_prefix(&line, &format!("error: cannot write {}: ", dir.join(CHECKPOINT).display()))?;
    checkpoint_kept(&dir, &before)?;
    eprintln!("  full folder (1 MiB tmpfs): {line}");
    Ok(())
}

/// A fresh folder `name` holding a copy of `finished`'s checkpoint and lock file.
fn copy_of_finished(runs: &Runs, finished: &Path, name: &str) -> Result<PathBuf, String> {
    let dir = runs.dir.join(name);
    fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    copy_finished_into(finished, &dir)?;
    Ok(dir)
}

/// Copies `finished`'s checkpoint and lock file into `dir`.
fn copy_finished_into(finished: &Path, dir: &Path) -> Result<(), String> {
    for file in [CHECKPOINT, LOCK_FILE] {
        fs::copy(finished.join(file), dir.join(file)).map_err(|e| format!("{file}: {e}"))?;
    }
    Ok(())
}

/// Resumes into `out` (logged as `log`) to `iterations`; it must fail with status 1, its last
/// line an `error: ` line. Returns that line.
fn fails_with_one_error(
    runs: &Runs,
    out: &Path,
    log: &str,
    iterations: usize,
) -> Result<String, String> {
    let mut child = runs
        .command(out, log, iterations, &["--resume"])?
        .spawn()
        .map_err(|e| format!("could not start the run {log}: {e}"))?;
    let status = wait_at_most(&mut child, RUN_DEADLINE, log)?;
    let text = fs::read_to_string(runs.log(log)).map_err(|e| e.to_string())?;
    let last = text.lines().last().unwrap_or_default().to_string();
    let errors = text.lines().filter(|l| l.starts_with("error")).count();
    if status.code() != Some(1) || errors != 1 || !last.starts_with("error: ") {
        return Err(format!(
            "run {log} did not end with one error line and status 1 ({status}):\n{}",
            runs.tail(log)
        ));
    }
    Ok(last)
}

/// Fails unless `line` starts with `prefix`.
fn expect_prefix(line: &str, prefix: &str) -> Result<(), String> {
    if line.starts_with(prefix) {
        Ok(())
    } else {
        Err(format!("expected `{prefix}...`, got `{line}`"))
    }
}

/// Fails unless `dir`'s checkpoint still has the bytes `before` and no temporary file is left.
fn checkpoint_kept(dir: &Path, before: &[u8]) -> Result<(), String> {
    let after = fs::read(dir.join(CHECKPOINT)).map_err(|e| format!("the checkpoint: {e}"))?;
    if after != before {
        return Err(format!("the checkpoint in {} changed", dir.display()));
    }
    let leftovers: Vec<String> = fs::read_dir(dir)
        .map_err(|e| e.to_string())?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    if !leftovers.is_empty() {
        return Err(format!("temporary files left in {}: {leftovers:?}", dir.display()));
    }
    Ok(())
}

/// Writes `path` until the file system is full, then gives back one page (for the lock file's
/// few bytes, far fewer than a checkpoint's).
fn fill_but_a_page(path: &Path) -> Result<(), String> {
    let mut file = OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .open(path)
        .map_err(|e| e.to_string())?;
    let chunk = vec![0u8; 4096];
    let mut written = 0u64;
    while let Ok(n) = file.write(&chunk) {
        if n == 0 {
            break;
        }
        written += n as u64;
    }
    let kept = (written / 4096).saturating_sub(1) * 4096;
    file.set_len(kept).map_err(|e| e.to_string())?;
    file.sync_all().map_err(|e| e.to_string())
}

/// A folder made read-only for everyone, this process included; undone when dropped.
struct ReadOnly {
    dir: PathBuf,
    how: &'static str,
}

impl ReadOnly {
    /// Makes `dir` read-only with `chmod` (enough unless root) or `chattr +i` (root); `None` if
    /// neither stops this process from creating a file in it.
    fn make(dir: &Path) -> Result<Option<Self>, String> {
        let mode =
            |m: u32| fs::set_permissions(dir, Permissions::from_mode(m)).map_err(|e| e.to_string());
        mode(0o555)?;
        if !writable(dir) {
            return Ok(Some(Self { dir: dir.to_path_buf(), how: "chmod a-w" }));
        }
        mode(0o755)?;
        let chattr = |flag: &str| {
            Command::new("chattr").arg(flag).arg(dir).output().is_ok_and(|o| o.status.success())
        };
        if chattr("+i") {
            if !writable(dir) {
                return Ok(Some(Self { dir: dir.to_path_buf(), how: "root: chattr +i" }));
            }
            chattr("-i");
        }
        Ok(None)
    }
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        let _ = Command::new("chattr").arg("-i").arg(&self.dir).output();
        let _ = fs::set_permissions(&self.dir, Permissions::from_mode(0o755));
    }
}

/// True if this process can create a file in `dir`.
fn writable(dir: &Path) -> bool {
    let probe = dir.join(".write-probe");
    let created = File::create(&probe).is_ok();
    let _ = fs::remove_file(&probe);
    created
}

/// A tmpfs mounted on a folder; unmounted when dropped.
struct Mount(PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let unmounted = Command::new("umount").arg(&self.0).status().is_ok_and(|s| s.success());
        if !unmounted {
            let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        }
    }
}
