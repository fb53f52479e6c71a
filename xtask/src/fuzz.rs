//! `cargo xtask fuzz --seconds N [--target NAME]... [--jobs J]`: the cargo-fuzz targets of
//! `fuzz/` for `N` seconds each, with a summary line per target.
//!
//! Needs the nightly toolchain and `cargo-fuzz` (`cargo install cargo-fuzz`). Every target of
//! `fuzz/Cargo.toml` runs unless `--target` names some; `--jobs` targets run at once (default 1;
//! each libFuzzer process uses one core). Each target runs as
//!
//! ```text
//! cargo +nightly fuzz run <t> fuzz/work/corpus/<t> fuzz/corpus/<t> -- -max_total_time=N \
//!     -rss_limit_mb=2048 -timeout=10 -print_final_stats=1
//! ```
//!
//! The first corpus folder (git-ignored) receives what the run discovers, so the committed seeds
//! of `fuzz/corpus/<t>` stay small; a crashing, hanging or memory-exhausting input is written to
//! `fuzz/artifacts/<t>/`. libFuzzer's output goes to `fuzz/work/logs/<t>.log`; the summary line
//! (target, executions, seconds, crashes) comes from its final statistics. The command fails if
//! any target found something.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::Instant;

/// The flags of the command.
struct Options {
    seconds: u64,
    targets: Vec<String>,
    jobs: usize,
}

/// What one target's run came to.
struct Summary {
    target: String,
    executions: u64,
    seconds: f64,
    crashes: usize,
}

/// Runs the command with its arguments (after `fuzz`).
pub fn run(args: &[String]) -> Result<(), String> {
    let root = super::workspace_root();
    let mut options = parse_options(args)?;
    let all = list_targets(&root)?;
    if options.targets.is_empty() {
        options.targets = all;
    } else if let Some(unknown) = options.targets.iter().find(|t| !all.contains(t)) {
        return Err(format!("no fuzz target `{unknown}` (there are: {})", all.join(", ")));
    }
    nightly_cargo(&root, &["fuzz", "build"], None)?;
    let queue = Mutex::new(options.targets.iter());
    let summaries = Mutex::new(Vec::new());
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..options.jobs.max(1) {
            scope.spawn(|| {
                while let Some(target) = next(&queue) {
                    match run_target(&root, target, options.seconds) {
                        Ok(summary) => {
                            eprintln!("{}", summary_line(&summary));
                            summaries.lock().expect("poisoned").push(summary);
                        }
                        Err(e) => failures.lock().expect("poisoned").push(e),
                    }
                }
            });
        }
    });
    let mut summaries = summaries.into_inner().expect("poisoned");
    summaries.sort_by(|a, b| a.target.cmp(&b.target));
    println!("target | executions | seconds | crashes");
    for s in &summaries {
        println!("{}", summary_line(s));
    }
    let failures = failures.into_inner().expect("poisoned");
    let crashed: Vec<&str> =
        summaries.iter().filter(|s| s.crashes > 0).map(|s| s.target.as_str()).collect();
    match (failures.is_empty(), crashed.is_empty()) {
        (true, true) => Ok(()),
        (true, false) => Err(format!(
            "findings in {}: see fuzz/artifacts/<target>/ and fuzz/work/logs/<target>.log",
            crashed.join(", ")
        )),
        (false, _) => Err(failures.join("; ")),
    }
}

/// The next target of the shared queue.
fn next<'a>(queue: &Mutex<std::slice::Iter<'a, String>>) -> Option<&'a String> {
    queue.lock().expect("poisoned").next()
}

/// Reads `--seconds N`, `--target NAME` (repeatable) and `--jobs J`.
fn parse_options(args: &[String]) -> Result<Options, String> {
    const USAGE: &str = "usage: cargo xtask fuzz --seconds N [--target NAME]... [--jobs J]";
    let mut options = Options { seconds: 0, targets: Vec::new(), jobs: 1 };
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value; {USAGE}"));
        match flag.as_str() {
            "--seconds" => options.seconds = number(flag, value()?)?,
            "--target" => options.targets.push(value()?.clone()),
            "--jobs" => options.jobs = number(flag, value()?)?,
            other => return Err(format!("unknown argument `{other}`; {USAGE}")),
        }
    }
    if options.seconds == 0 {
        return Err(format!("--seconds must be given and positive; {USAGE}"));
    }
    Ok(options)
}

/// `text` as a number, or an error naming `flag`.
fn number<T: std::str::FromStr>(flag: &str, text: &str) -> Result<T, String> {
    text.parse().map_err(|_| format!("{flag}: `{text}` is not a number"))
}

/// The targets `cargo fuzz list` reports.
fn list_targets(root: &Path) -> Result<Vec<String>, String> {
    let output = Command::new("cargo")
        .args(["+nightly", "fuzz", "list"])
        .current_dir(root)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("could not start `cargo +nightly fuzz list`: {e}"))?;
    if !output.status.success() {
        return Err("`cargo +nightly fuzz list` failed: install the nightly toolchain \
                    (`rustup toolchain install nightly`) and cargo-fuzz (`cargo install cargo-fuzz`)"
            .into());
    }
    Ok(String::from_utf8_lossy(&output.stdout).lines().map(str::to_owned).collect())
}

/// Runs `cargo +nightly <args>` at `root`, its output to `log` (or inherited), failing if it
/// fails.
fn nightly_cargo(root: &Path, args: &[&str], log: Option<&Path>) -> Result<(), String> {
    let command = format!("cargo +nightly {}", args.join(" "));
    eprintln!("+ {command}");
    let mut cmd = Command::new("cargo");
    cmd.arg("+nightly").args(args).current_dir(root);
    if let Some(log) = log {
        let file = std::fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
        let copy = file.try_clone().map_err(|e| format!("{}: {e}", log.display()))?;
        cmd.stdout(copy).stderr(file);
    }
    let status = cmd.status().map_err(|e| format!("could not start `{command}`: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("`{command}` failed ({status})")) }
}

/// Fuzzes `target` for `seconds` and reads its summary from the log.
fn run_target(root: &Path, target: &str, seconds: u64) -> Result<Summary, String> {
    let work = root.join("fuzz/work");
    let discovered = work.join("corpus").join(target);
    let logs = work.join("logs");
    for dir in [&discovered, &logs, &root.join("fuzz/artifacts").join(target)] {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let log = logs.join(format!("{target}.log"));
    let seeds = PathBuf::from("fuzz/corpus").join(target);
    let discovered = discovered.to_string_lossy().into_owned();
    let limits = [
        format!("-max_total_time={seconds}"),
        "-rss_limit_mb=2048".into(),
        "-timeout=10".into(),
        "-print_final_stats=1".into(),
    ];
    let mut args = vec!["fuzz", "run", target, &discovered, seeds.to_str().unwrap_or_default()];
    args.push("--");
    args.extend(limits.iter().map(String::as_str));
    let began = Instant::now();
    // A finding makes libFuzzer exit non-zero; the log says what it was.
    let _ = nightly_cargo(root, &args, Some(&log));
    let wall = began.elapsed().as_secs_f64();
    let text = std::fs::read_to_string(&log).map_err(|e| format!("{}: {e}", log.display()))?;
    summarise(target, &text, wall)
        .ok_or_else(|| format!("{target}: no libFuzzer statistics in {}", log.display()))
}

/// The summary of a libFuzzer log: executions from `stat::number_of_executed_units`, seconds
/// from `Done N runs in S second(s)` (or `wall` when the run ended on a finding), and one crash
/// per input written as an artifact (`crash-`, `timeout-`, `oom-`, `leak-`, `slow-unit-` files).
fn summarise(target: &str, log: &str, wall: f64) -> Option<Summary> {
    let stat = |name: &str| {
        log.lines().find_map(|l| l.strip_prefix(name)).and_then(|v| v.trim().parse::<u64>().ok())
    };
    let executions = stat("stat::number_of_executed_units:")?;
    let seconds = log
        .lines()
        .find_map(|l| l.strip_prefix("Done ").and_then(|rest| rest.split(" runs in ").nth(1)))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(wall);
    let crashes = log.lines().filter(|l| l.contains("Test unit written to")).count();
    Some(Summary { target: target.to_owned(), executions, seconds, crashes })
}

/// `target | executions | seconds | crashes`.
fn summary_line(s: &Summary) -> String {
    format!("{} | {} | {:.0} | {}", s.target, s.executions, s.seconds, s.crashes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summarises_a_clean_run() {
        let log = "#1024\tpulse  cov: 10\nDone 123456 runs in 601 second(s)\n\
                   stat::number_of_executed_units: 123456\nstat::average_exec_per_sec:     205\n";
        let s = summarise("qasm_parse", log, 605.0).unwrap();
        assert_eq!((s.executions, s.seconds, s.crashes), (123456, 601.0, 0));
        assert_eq!(summary_line(&s), "qasm_parse | 123456 | 601 | 0");
    }

    #[test]
    fn counts_an_artifact_as_a_crash_and_falls_back_to_wall_time() {
        let log = "==1== ERROR: libFuzzer: out-of-memory (used: 2100Mb; exceeds: 2048Mb)\n\
                   artifact_prefix='fuzz/artifacts/idx_gzip/'; Test unit written to \
                   fuzz/artifacts/idx_gzip/oom-0123\nstat::number_of_executed_units: 77\n";
        let s = summarise("idx_gzip", log, 12.5).unwrap();
        assert_eq!((s.executions, s.seconds, s.crashes), (77, 12.5, 1));
    }

    #[test]
    fn a_log_without_statistics_has_no_summary() {
        assert!(summarise("t", "error: could not compile", 1.0).is_none());
    }

    #[test]
    fn options_need_positive_seconds_and_take_several_targets() {
        let args = |s: &str| s.split_whitespace().map(String::from).collect::<Vec<_>>();
        let o = parse_options(&args("--seconds 60 --target a --target b --jobs 2")).unwrap();
        assert_eq!((o.seconds, o.targets, o.jobs), (60, vec!["a".into(), "b".into()], 2));
        assert!(parse_options(&args("--target a")).is_err());
        assert!(parse_options(&args("--seconds x")).is_err());
        assert!(parse_options(&args("--seconds 5 --verbose")).is_err());
    }
}
