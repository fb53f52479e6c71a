//! `cargo xtask mpi-train-test`: the data-parallel MNIST training under `mpirun`, end to end.
//!
//! Builds `mnist_diffusion` with the `mpi` feature and runs a small configuration of it (the
//! quick one, without the DDPM baselines, with every loss term switched on and a constant
//! learning rate so that a run can be extended) under `mpirun -np K`, one rayon thread per
//! rank, in `target/mpi-train-test/`:
//!
//! 1. K = 1, 2, 3, 4 write byte-identical checkpoints and sample files ([`COMPARED`]) and the
//!    same scores (FID, confidence, classes) in `metrics.json`, whose features are split over
//!    the ranks;
//! 2. a run stopped halfway on 2 ranks and resumed (`--resume`) on 3 ends with the same files;
//! 3. a longer run on 2 ranks whose rank 1 is killed (SIGKILL) once the first checkpoint is
//!    written ends within [`KILL_DEADLINE`] with a non-zero status, and resuming it on 4 ranks
//!    ends with the files of an uninterrupted one-rank run.
//!
//! Needs OpenMPI's `mpirun` on the `PATH` (run as root, it sets OpenMPI's allow-run-as-root
//! variables). Takes about a minute on two cores after the build.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use crate::mpi::mpirun_available;
use crate::process::{same_files, stderr_of, wait_at_most};
use crate::{cargo, workspace_root};

/// The files every run's rank 0 writes that must match byte for byte.
const COMPARED: [&str; 4] = [
    "checkpoint_quantum_latent.bin",
    "samples_quantum.idx",
    "samples_ablation.idx",
    "samples_quantum_shots.idx",
];

/// Iterations of the runs compared across K.
const ITERATIONS: usize = 24;

/// Iterations of the run that is killed (long enough to be killed mid-training).
const KILL_ITERATIONS: usize = 120;

/// How long a killed job may take to end.
const KILL_DEADLINE: Duration = Duration::from_secs(30);

/// How long any other run may take.
const RUN_DEADLINE: Duration = Duration::from_secs(300);

/// The CI step: [`run`], skipped (saying why) when `mpirun` is not on the `PATH`.
pub fn ci_step() -> Result<(), String> {
    if !mpirun_available() {
        eprintln!("mpi-train: skipped: `mpirun` is not on the path (.ci/run installs OpenMPI)");
        return Ok(());
    }
    run(&[])
}

/// Runs the three checks; fails at the first difference.
pub fn run(args: &[String]) -> Result<(), String> {
    if !args.is_empty() {
        return Err(format!("mpi-train-test takes no arguments (got {args:?})"));
    }
    let started = Instant::now();
    if !mpirun_available() {
        return Err("`mpirun` is not on the PATH: install OpenMPI (e.g. openmpi-bin)".into());
    }
    cargo(&[
        "build",
        "--release",
        "-p",
        "qdiff-examples",
        "--features",
        "mpi",
        "--example",
        "mnist_diffusion",
    ])?;
    let root = workspace_root();
    let runs = Runs {
        binary: root.join("target/release/examples/mnist_diffusion"),
        dir: root.join("target/mpi-train-test"),
    };
    let _ = fs::remove_dir_all(&runs.dir);
    fs::create_dir_all(&runs.dir).map_err(|e| format!("{}: {e}", runs.dir.display()))?;

    eprintln!("== 1/3: K = 1, 2, 3, 4 ranks, {ITERATIONS} iterations");
    runs.finish(1, "k1", ITERATIONS, false)?;
    for ranks in 2..=4 {
        let name = format!("k{ranks}");
        runs.finish(ranks, &name, ITERATIONS, false)?;
        runs.same_files("k1", &name)?;
    }

    eprintln!("== 2/3: {} iterations on 2 ranks, resumed to {ITERATIONS} on 3", ITERATIONS / 2);
    runs.finish(2, "resumed", ITERATIONS / 2, false)?;
    runs.finish(3, "resumed", ITERATIONS, true)?;
    runs.same_files("k1", "resumed")?;

    eprintln!("== 3/3: rank 1 of 2 killed mid-training, resumed on 4 ranks");
    runs.finish(1, "long", KILL_ITERATIONS, false)?;
    runs.kill_rank_one("killed", KILL_ITERATIONS)?;
    let checkpoint = |name: &str| fs::read(runs.dir.join(name).join(COMPARED[0])).ok();
    if checkpoint("killed") == checkpoint("long") {
        return Err("the killed run had already finished training: nothing was tested".into());
    }
    runs.finish(4, "killed", KILL_ITERATIONS, true)?;
    runs.same_files("long", "killed")?;
    eprintln!(
        "mpi-train-test: bit-identical for K = 1..4, after a resume with another K, and after a \
         killed rank ({:.0} s)",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The runs of the test: the binary, and the folder their outputs go to.
struct Runs {
    binary: PathBuf,
    dir: PathBuf,
}

impl Runs {
    /// `mpirun -np ranks mnist_diffusion ...` writing into `dir/name`, not yet started.
    fn command(&self, ranks: usize, name: &str, iterations: usize, resume: bool) -> Command {
        let mut command = Command::new("mpirun");
        command
            .args(["--oversubscribe", "-np", &ranks.to_string()])
            .arg(&self.binary)
            .args(["--quick", "--no-baseline", "--samples", "40"])
            .args(["--iterations", &iterations.to_string()])
            .args(["--learning-rate", "0.01", "--final-learning-rate", "0.01"])
            .args(["--teacher-weight", "0.5", "--sequential-weight", "0.5"])
            .args(["--marginal-weight", "0.5", "--ema", "0.5"])
            .arg("--cache")
            .arg(self.dir.join("cache"))
            .arg("--out")
            .arg(self.dir.join(name))
            .env("RAYON_NUM_THREADS", "1")
            .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
            .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if resume {
            command.arg("--resume");
        }
        command
    }

    /// Runs to the end; fails if the job fails or outlives [`RUN_DEADLINE`].
    fn finish(
        &self,
        ranks: usize,
        name: &str,
        iterations: usize,
        resume: bool,
    ) -> Result<(), String> {
        let what = format!("{name}: {ranks} rank(s), {iterations} iterations, resume {resume}");
        eprintln!("+ {what}");
        let mut child = self
            .command(ranks, name, iterations, resume)
            .spawn()
            .map_err(|e| format!("could not start mpirun: {e}"))?;
        let status = wait_at_most(&mut child, RUN_DEADLINE, "mpirun")?;
        if !status.success() {
            return Err(format!("{what}: failed ({status}):\n{}", stderr_of(child)));
        }
        Ok(())
    }

    /// Starts a run on 2 ranks, kills rank 1 with SIGKILL once rank 0 has written the first
    /// checkpoint, and checks that the job ends within [`KILL_DEADLINE`], non-zero.
    fn kill_rank_one(&self, name: &str, iterations: usize) -> Result<(), String> {
        eprintln!("+ {name}: 2 ranks, {iterations} iterations, rank 1 killed");
        let checkpoint = self.dir.join(name).join(COMPARED[0]);
        let mut child = self
            .command(2, name, iterations, false)
            .spawn()
            .map_err(|e| format!("could not start mpirun: {e}"))?;
        let began = Instant::now();
        while !checkpoint.exists() {
            if began.elapsed() > RUN_DEADLINE || child.try_wait().ok().flatten().is_some() {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{name}: no checkpoint appeared:\n{}", stderr_of(child)));
            }
            sleep(Duration::from_millis(5));
        }
        let victim = rank_pid(child.id(), 1);
        let killed = victim.is_some_and(|pid| {
            Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status()
                .is_ok_and(|s| s.success())
        });
        if !killed {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("{name}: could not find and kill rank 1 ({victim:?})"));
        }
        let killed_at = Instant::now();
        let status = wait_at_most(&mut child, KILL_DEADLINE, "mpirun")?;
        let stderr = stderr_of(child);
        let took = killed_at.elapsed().as_secs_f64();
        if status.success() {
            return Err(format!("{name}: the job ended successfully after rank 1 was killed"));
        }
        // mpirun's own lines, not rank 0's progress lines (`[  time s] ...`).
        let said: Vec<&str> = stderr
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('['))
            .take(8)
            .collect();
        eprintln!("  ended {took:.1} s after the kill ({status}); mpirun said:");
        for line in said {
            eprintln!("  | {line}");
        }
        Ok(())
    }

    /// Fails unless runs `a` and `b` wrote the same bytes in every file of [`COMPARED`].
    fn same_files(&self, a: &str, b: &str) -> Result<(), String> {
        same_files(&self.dir.join(a), &self.dir.join(b), &COMPARED)?;
        let scores = |run: &str| -> Result<Vec<serde_json::Value>, String> {
            let path = self.dir.join(run).join("metrics.json");
            let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let metrics: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            let rows = metrics["rows"].as_array().cloned().unwrap_or_default();
            Ok(rows.iter().map(|row| row["score"].clone()).collect())
        };
        let (scores_a, scores_b) = (scores(a)?, scores(b)?);
        if scores_a.is_empty() || scores_a != scores_b {
            return Err(format!("the scores in metrics.json differ between runs {a} and {b}"));
        }
        eprintln!(
            "  {b}: the same {} files as {a}, and the same {} scores",
            COMPARED.len(),
            scores_a.len()
        );
        Ok(())
    }
}

/// The process id of MPI rank `rank` among the children of `mpirun` (by the rank OpenMPI puts
/// in each child's environment).
fn rank_pid(mpirun: u32, rank: usize) -> Option<u32> {
    let wanted = format!("OMPI_COMM_WORLD_RANK={rank}");
    fs::read_dir("/proc").ok()?.flatten().find_map(|entry| {
        let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
        let proc_dir = Path::new("/proc").join(pid.to_string());
        let stat = fs::read_to_string(proc_dir.join("stat")).ok()?;
        // The parent pid is the second field after the command name in parentheses.
        let parent: u32 = stat.rsplit_once(')')?.1.split_whitespace().nth(1)?.parse().ok()?;
        let environ = fs::read(proc_dir.join("environ")).ok()?;
        let has_rank = environ.split(|&b| b == 0).any(|var| var == wanted.as_bytes());
        (parent == mpirun && has_rank).then_some(pid)
    })
}
