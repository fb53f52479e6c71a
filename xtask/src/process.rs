//! Child processes of the end-to-end checks: waiting with a deadline, reading what they wrote,
//! and comparing the files two runs wrote.

use std::fs;
use std::path::Path;
use std::process::{Child, ExitStatus};
use std::thread::sleep;
use std::time::{Duration, Instant};

/// Waits for `child` (called `what` in errors) at most `deadline`; kills it and fails past that.
pub fn wait_at_most(
    child: &mut Child,
    deadline: Duration,
    what: &str,
) -> Result<ExitStatus, String> {
    let began = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ok(status),
            Ok(None) if began.elapsed() < deadline => sleep(Duration::from_millis(20)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{what} did not end within {} s", deadline.as_secs()));
            }
            Err(e) => return Err(format!("waiting for {what}: {e}")),
        }
    }
}

/// What the finished `child` wrote to its standard error (if it was piped).
pub fn stderr_of(mut child: Child) -> String {
    let mut text = String::new();
    if let Some(mut stderr) = child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut stderr, &mut text);
    }
    text
}

/// Fails unless folders `a` and `b` hold the same bytes in every one of `files`.
pub fn same_files(a: &Path, b: &Path, files: &[&str]) -> Result<(), String> {
    for file in files {
        let read = |dir: &Path| {
            let path = dir.join(file);
            fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))
        };
        if read(a)? != read(b)? {
            return Err(format!("{file} differs between {} and {}", a.display(), b.display()));
        }
    }
    Ok(())
}
