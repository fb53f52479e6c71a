//! The `mnist_diffusion` program as a user meets it: an error is one readable line on stderr and
//! exit code 1 (not a `Debug` dump), and an output folder another process holds is refused at
//! once, naming the folder and the holder's pid.
//!
//! These run the example's binary, which `cargo test` builds before the tests (in the profile of
//! the tests: `target/<profile>/examples/`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The built example `name`, next to this test's own binary (`target/<profile>/deps/`).
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let profile = exe.parent().and_then(Path::parent).expect("target/<profile>/deps/<test>");
    let binary = profile.join("examples").join(name);
    assert!(
        binary.exists(),
        "{} is missing: `cargo test -p qdiff-examples` builds it (or `cargo build --example {name}` \
         in the same profile when running this test alone)",
        binary.display()
    );
    binary
}

/// An empty folder for `name` under the target's temporary folder.
fn empty_folder(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `mnist_diffusion --quick ARGS --out OUT --cache OUT/cache`, without a terminal, to the end.
fn mnist_diffusion(out: &Path, args: &[&str]) -> Output {
    Command::new(example("mnist_diffusion"))
        .arg("--quick")
        .args(args)
        .arg("--out")
        .arg(out)
        .arg("--cache")
        .arg(out.join("cache"))
        .stdin(Stdio::null())
        .output()
        .expect("mnist_diffusion starts")
}

/// The one line stderr must hold: fails (showing everything) if there are others.
fn only_line(output: &Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "stderr is not one line:\n{stderr}");
    assert!(!stderr.contains("Error:") && !stderr.contains(" { "), "a Debug dump:\n{stderr}");
    lines[0].to_string()
}

#[test]
fn resume_without_a_checkpoint_is_one_line_and_exit_code_1() {
    let out = empty_folder("resume_without_checkpoint");
    let output = mnist_diffusion(&out, &["--resume"]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let line = only_line(&output);
    let checkpoint = out.join("checkpoint_quantum_latent.bin");
    assert_eq!(
        line,
        format!(
            "error: cannot resume from {}: there is no checkpoint to resume from (start without \
             resuming to train from the beginning)",
            checkpoint.display()
        )
    );
    assert!(output.stdout.is_empty(), "nothing on stdout");
}

#[test]
fn a_folder_another_process_holds_is_refused_naming_its_pid() {
    let out = empty_folder("locked_folder");
    let held = qfile::DirLock::acquire(&out).unwrap();
    let output = mnist_diffusion(&out, &[]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let line = only_line(&output);
    assert!(line.starts_with(&format!("error: {} is in use by another run", out.display())));
    assert!(line.contains(&format!("pid {} on host", std::process::id())), "{line}");
    assert!(!out.join("cache").exists(), "the refused run did nothing");
    drop(held);
}
