//! `cargo xtask crash-test [--seed N]`: the MNIST training killed as a process, end to end.
//!
//! Builds `mnist_diffusion` in release and runs a small configuration of it (the quick one
//! without the DDPM baselines, [`ITERATIONS`] quantum iterations with a checkpoint every two)
//! in `target/crash-test/`, sharing one cache of the classical models:
//!
//! 1. a reference run, uninterrupted;
//! 2. the same training started afresh and killed with SIGKILL [`KILLS`] times, each run after
//!    the first continuing with `--resume`: every run is killed a random delay (from a ChaCha8
//!    stream with the seed, [`DEFAULT_SEED`] unless `--seed` says) after it has written a
//!    checkpoint of its own, except one, drawn from the same stream, which is killed the moment
//!    a checkpoint's temporary file appears (during the atomic write). Every run after a kill
//!    must warn that it took over the killed run's stale lock. While the first run trains, a
//!    second run on its folder must be refused at once, naming the folder and the first run's
//!    pid. A last `--resume` runs to the end, and its checkpoint and sample files
//!    ([`COMPARED`]) must be byte-identical to the reference run's, with no temporary file of a
//!    killed write left in the folder;
//! 3. [`unwritable`]: resuming into a read-only folder and into a full one ends with one
//!    `error: cannot write ...` line and leaves the last good checkpoint as it was.
//!
//! About a minute on two cores after the build.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::process::{same_files, wait_at_most};
use crate::{cargo, workspace_root};

mod unwritable;

/// The checkpoint every run writes.
const CHECKPOINT: &str = "checkpoint_quantum_latent.bin";

/// The files the interrupted training must write exactly as the reference run.
const COMPARED: [&str; 4] =
    [CHECKPOINT, "samples_quantum.idx", "samples_ablation.idx", "samples_quantum_shots.idx"];

/// Quantum training iterations of every run.
const ITERATIONS: usize = 400;

/// SIGKILLs before the run that is let finish.
const KILLS: usize = 5;

/// The seed of the kill moments unless `--seed` gives one.
const DEFAULT_SEED: u64 = 16;

/// The longest random delay between a run's first checkpoint and its kill.
const MAX_KILL_DELAY: Duration = Duration::from_millis(1500);

/// How long any one run may take.
const RUN_DEADLINE: Duration = Duration::from_secs(180);

/// How long a refused run may take to give up.
const REFUSAL_DEADLINE: Duration = Duration::from_secs(20);

/// The warning of a run that takes over a killed run's lock.
const STALE_WARNING: &str = "warning: took over the stale lock";

/// The CI step: [`run`] with the default seed.
pub fn ci_step() -> Result<(), String> {
    run(&[])
}

/// Runs the checks; fails at the first that does not hold.
pub fn run(args: &[String]) -> Result<(), String> {
    let seed = match args {
        [] => DEFAULT_SEED,
        [flag, value] if flag == "--seed" => {
            value.parse().map_err(|e| format!("--seed {value:?}: {e}"))?
        }
        _ => return Err(format!("usage: cargo xtask crash-test [--seed N] (got {args:?})")),
    };
    let started = Instant::now();
    cargo(&["build", "--release", "-p", "qdiff-examples", "--example", "mnist_diffusion"])?;
    let runs = Runs::in_fresh_folder(&workspace_root())?;

    eprintln!("== 1/3: the reference run, {ITERATIONS} iterations, uninterrupted");
    runs.finish("reference", "reference", false)?;

    eprintln!("== 2/3: {KILLS} kills (seed {seed}), a second run refused, resumed to the end");
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    // Not the first run: it is the one a second run tries to share the folder with.
    let during_write = rng.random_range(1..KILLS);
    let checkpoint = runs.dir.join("killed").join(CHECKPOINT);
    let reference =
        fs::read(runs.dir.join("reference").join(CHECKPOINT)).map_err(|e| e.to_string())?;
    let mut in_training = 0;
    for kill in 0..KILLS {
        let log = format!("killed-{kill}");
        let before = fs::read(&checkpoint).ok();
        let mut child = runs.start("killed", &log, kill > 0)?;
        wait_for_new_checkpoint(&mut child, &checkpoint, before.as_deref(), &runs.log(&log))?;
        if kill == 0 {
            runs.second_run_is_refused("killed", child.id())?;
        }
        let moment = if kill == during_write {
            kill_during_checkpoint_write(&mut child, &checkpoint)?
        } else {
            let delay = rng.random_range(0..MAX_KILL_DELAY.as_millis() as u64);
            sleep(Duration::from_millis(delay));
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!(
                    "run {log} ended ({status}) before its kill: raise ITERATIONS"
                ));
            }
            child.kill().map_err(|e| format!("could not kill run {log}: {e}"))?;
            let _ = child.wait();
            format!("{:.2} s after its first checkpoint", delay as f64 / 1000.0)
        };
        let training = fs::read(&checkpoint).ok().as_deref() != Some(reference.as_slice());
        in_training += usize::from(training);
        let stage = if training { "training" } else { "sampling or writing outputs" };
        eprintln!("  kill {}/{KILLS}: {moment}, during {stage}", kill + 1);
        runs.warned_of_stale_lock(&log, kill > 0)?;
    }
    if in_training == 0 {
        return Err("every kill came after training ended: nothing was resumed".into());
    }
    runs.finish("killed", "resumed-to-end", true)?;
    runs.warned_of_stale_lock("resumed-to-end", true)?;
    same_files(&runs.dir.join("reference"), &runs.dir.join("killed"), &COMPARED)?;
    eprintln!("  the same {} files as the reference run", COMPARED.len());
    let leftovers = temporary_files(&runs.dir.join("killed"));
    if !leftovers.is_empty() {
        return Err(format!("temporary files of killed writes were not removed: {leftovers:?}"));
    }

    eprintln!("== 3/3: a read-only and a full output folder");
    unwritable::run(&runs, &runs.dir.join("reference"))?;
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "crash-test: {KILLS} kills resumed to byte-identical files ({in_training} during \
         training), one run per folder, unwritable folders refused cleanly ({seconds:.0} s)"
    );
    Ok(())
}

/// The runs of the test: the release binary, the folder their outputs and shared cache go to,
/// and the folder of their logs (each run's stderr).
struct Runs {
    binary: PathBuf,
    dir: PathBuf,
    logs: PathBuf,
}

impl Runs {
    /// The runs of the workspace at `root`, in an emptied `target/crash-test/`.
    fn in_fresh_folder(root: &Path) -> Result<Self, String> {
        let dir = root.join("target/crash-test");
        let logs = dir.join("logs");
        unwritable::undo_leftovers(&dir);
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&logs).map_err(|e| format!("{}: {e}", logs.display()))?;
        Ok(Self { binary: root.join("target/release/examples/mnist_diffusion"), dir, logs })
    }

    /// The log file of the run called `log`.
    fn log(&self, log: &str) -> PathBuf {
        self.logs.join(format!("{log}.log"))
    }

    /// `mnist_diffusion` training `iterations` into `out` (a folder of [`Runs::dir`], or any
    /// path), its stderr into the log `log`; `extra` flags after the common ones.
    fn command(
        &self,
        out: &Path,
        log: &str,
        iterations: usize,
        extra: &[&str],
    ) -> Result<Command, String> {
        let log_path = self.log(log);
        let log_file =
            File::create(&log_path).map_err(|e| format!("{}: {e}", log_path.display()))?;
        let mut command = Command::new(&self.binary);
        command
            .args(["--quick", "--no-baseline", "--samples", "40"])
            .args(["--iterations", &iterations.to_string()])
            .arg("--cache")
            .arg(self.dir.join("cache"))
            .arg("--out")
            .arg(self.dir.join(out))
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file);
        Ok(command)
    }

    /// Starts a run into `out` (logging to `log`), resuming or not.
    fn start(&self, out: &str, log: &str, resume: bool) -> Result<Child, String> {
        let resume: &[&str] = if resume { &["--resume"] } else { &[] };
        self.command(Path::new(out), log, ITERATIONS, resume)?
            .spawn()
            .map_err(|e| format!("could not start {}: {e}", self.binary.display()))
    }

    /// Runs into `out` to the end; fails if it fails or outlives [`RUN_DEADLINE`].
    fn finish(&self, out: &str, log: &str, resume: bool) -> Result<(), String> {
        let mut child = self.start(out, log, resume)?;
        let status = wait_at_most(&mut child, RUN_DEADLINE, log)?;
        if !status.success() {
            return Err(format!("run {log} failed ({status}):\n{}", self.tail(log)));
        }
        Ok(())
    }

    /// The last lines of the log `log`.
    fn tail(&self, log: &str) -> String {
        let text = fs::read_to_string(self.log(log)).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(12)..].join("\n")
    }

    /// Fails unless the run logged to `log` warned of a stale lock exactly when `expected`.
    fn warned_of_stale_lock(&self, log: &str, expected: bool) -> Result<(), String> {
        let text = fs::read_to_string(self.log(log)).map_err(|e| e.to_string())?;
        if text.contains(STALE_WARNING) != expected {
            let not = if expected { "did not warn" } else { "warned" };
            return Err(format!("run {log} {not} of a stale lock:\n{}", self.tail(log)));
        }
        Ok(())
    }

    /// Starts a second run on `out`, which the process `holder` is training into; it must end at
    /// once with status 1 and one line naming the folder and `holder`.
    fn second_run_is_refused(&self, out: &str, holder: u32) -> Result<(), String> {
        let log = "refused";
        let mut child = self.start(out, log, true)?;
        let status = wait_at_most(&mut child, REFUSAL_DEADLINE, "the second run")?;
        let text = fs::read_to_string(self.log(log)).map_err(|e| e.to_string())?;
        let folder = self.dir.join(out);
        let expected =
            format!("error: {} is in use by another run (pid {holder} on host", folder.display());
        if status.code() != Some(1) || text.lines().count() != 1 || !text.starts_with(&expected) {
            return Err(format!(
                "the second run on {} was not refused as it should ({status}):\n{text}",
                folder.display()
            ));
        }
        eprintln!("  a second run on the folder: {}", text.trim());
        Ok(())
    }
}

/// Waits until `child` has written a checkpoint that differs from `before` (or the first one).
fn wait_for_new_checkpoint(
    child: &mut Child,
    checkpoint: &Path,
    before: Option<&[u8]>,
    log: &Path,
) -> Result<(), String> {
    let began = Instant::now();
    loop {
        if fs::read(checkpoint).ok().is_some_and(|now| Some(now.as_slice()) != before) {
            return Ok(());
        }
        if let Ok(Some(status)) = child.try_wait() {
            let text = fs::read_to_string(log).unwrap_or_default();
            return Err(format!("the run ended ({status}) before writing a checkpoint:\n{text}"));
        }
        if began.elapsed() > RUN_DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("no new checkpoint within {} s", RUN_DEADLINE.as_secs()));
        }
        sleep(Duration::from_millis(5));
    }
}

/// The temporary files of atomic writes in `dir` (named `.NAME.XXXXXX.tmp`).
fn temporary_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else { return Vec::new() };
    entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .map(|n| n.to_string_lossy())
                .is_some_and(|n| n.starts_with('.') && n.ends_with(".tmp"))
        })
        .collect()
}

/// Kills `child` as soon as a temporary file of `checkpoint`'s atomic write appears in its
/// folder; says whether the kill came while the file was being written (it is left behind) or
/// just after it was renamed into place.
fn kill_during_checkpoint_write(child: &mut Child, checkpoint: &Path) -> Result<String, String> {
    let dir = checkpoint.parent().ok_or("the checkpoint has no folder")?;
    // While the run trains, the only file it writes is its checkpoint.
    let temporary = || temporary_files(dir).into_iter().next();
    let began = Instant::now();
    let seen = loop {
        if let Some(path) = temporary() {
            break path;
        }
        if began.elapsed() > RUN_DEADLINE || child.try_wait().ok().flatten().is_some() {
            return Err("no checkpoint write was seen before the run ended".into());
        }
        sleep(Duration::from_micros(200));
    };
    child.kill().map_err(|e| format!("could not kill the run: {e}"))?;
    let _ = child.wait();
    Ok(if seen.exists() {
        format!("during a checkpoint write ({} left behind)", seen.display())
    } else {
        "right after a checkpoint write (its temporary file was already renamed)".into()
    })
}
