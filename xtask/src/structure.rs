//! `cargo xtask check-structure` (and step 4 of `cargo xtask ci`): checks of the shape of the
//! repository that neither the compiler nor clippy makes.
//!
//! 1. No module circles: in every package (`crates/*`, `examples`, `benches`, `xtask`), the
//!    top-level modules under `src/` do not use each other in a circle through `crate::` paths
//!    (or `super::` paths that climb to the crate root); see [`circles`] for exactly what counts.
//!    Each circle is printed as `crate: a -> b -> c -> a`, with where each use is.
//! 2. No long files: no `.rs` file under `crates/`, `examples/`, `benches/` or `xtask/` has more
//!    than [`MAX_LINES`] lines, not counting a trailing `#[cfg(test)] mod tests { ... }` block.
//! 3. The repository stands alone: no file tracked by git (`git ls-files`, except under `.ci/`)
//!    mentions the design document or the shared folder outside the repository
//!    ([`FORBIDDEN`]).
//! 4. No merge left unfinished: no tracked text file has a line starting with a conflict marker
//!    (`<<<<<<< ` or `>>>>>>> `).
//!
//! All problems are listed before the check fails.

mod circles;
mod source;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The most lines a source file may have (its trailing test block not counted).
pub const MAX_LINES: usize = 800;

/// Text no tracked file may contain: the repository must stand alone. (Spelt in two halves so
/// that this file does not contain it.)
pub const FORBIDDEN: [&str; 2] = [concat!("DESIGN", ".md"), concat!("..", "/shared")];

/// Folders whose `.rs` files the line limit applies to.
const SOURCE_FOLDERS: [&str; 4] = ["crates", "examples", "benches", "xtask"];

/// Circles listed per crate at most.
const CIRCLE_LIMIT: usize = 50;

/// Runs the three checks on the repository at `root`; fails if any finds a problem.
pub fn run(root: &Path) -> Result<(), String> {
    let mut problems = Vec::new();
    problems.extend(module_circles(root)?);
    problems.extend(long_files(root)?);
    problems.extend(foreign_mentions(root)?);
    if problems.is_empty() {
        eprintln!(
            "structure: no module circles, no file over {MAX_LINES} lines, no mention of {}, \
             no conflict marker",
            FORBIDDEN.join(" or ")
        );
        return Ok(());
    }
    for p in &problems {
        eprintln!("{p}");
    }
    Err(format!("the structure checks found {} problem(s), listed above", problems.len()))
}

/// The `src/` folders of the workspace's packages, with their package names.
fn packages(root: &Path) -> Result<Vec<(String, PathBuf)>, String> {
    let mut dirs: Vec<PathBuf> = circles::read_dir(&root.join("crates"))?;
    dirs.extend(["examples", "benches", "xtask"].map(|d| root.join(d)));
    Ok(dirs
        .into_iter()
        .filter(|d| d.join("src").is_dir())
        .map(|d| (package_name(&d), d.join("src")))
        .collect())
}

/// The package name in `dir/Cargo.toml` (the folder name if there is none).
fn package_name(dir: &Path) -> String {
    let manifest = fs::read_to_string(dir.join("Cargo.toml")).unwrap_or_default();
    let named = manifest.lines().find_map(|line| {
        let value = line.trim().strip_prefix("name")?.trim_start().strip_prefix('=')?;
        Some(value.trim().trim_matches('"').to_string())
    });
    named.unwrap_or_else(|| dir.file_name().and_then(|n| n.to_str()).unwrap_or_default().into())
}

/// Check 1: one problem per circle.
fn module_circles(root: &Path) -> Result<Vec<String>, String> {
    let mut problems = Vec::new();
    for (name, src) in packages(root)? {
        let graph = circles::crate_graph(root, &src)?;
        let (found, more) = circles::find_circles(&graph, CIRCLE_LIMIT);
        for circle in &found {
            let mut text =
                format!("module circle: {name}: {} -> {}", circle.join(" -> "), circle[0]);
            for (i, from) in circle.iter().enumerate() {
                let to = &circle[(i + 1) % circle.len()];
                let at = &graph[from][to];
                text += &format!("\n    {from} uses {to} at {}:{}", at.file.display(), at.line);
            }
            problems.push(text);
        }
        if more {
            problems.push(format!("module circle: {name}: more than {CIRCLE_LIMIT} circles"));
        }
    }
    Ok(problems)
}

/// Check 2: one problem per file over the limit.
fn long_files(root: &Path) -> Result<Vec<String>, String> {
    let mut files = Vec::new();
    for folder in SOURCE_FOLDERS {
        let dir = root.join(folder);
        if dir.is_dir() {
            rust_files(&dir, &mut files)?;
        }
    }
    let mut problems = Vec::new();
    for file in files {
        let text = fs::read_to_string(&file)
            .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        let lines = source::counted_lines(&text);
        if lines > MAX_LINES {
            let relative = file.strip_prefix(root).unwrap_or(&file);
            problems.push(format!(
                "long file: {} has {lines} lines (limit {MAX_LINES}, a trailing test block not \
                 counted)",
                relative.display()
            ));
        }
    }
    Ok(problems)
}

/// Every `.rs` file under `dir`, skipping build output (`target*`) and hidden folders.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    for entry in circles::read_dir(dir)? {
        let name = entry.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if entry.is_dir() {
            if !name.starts_with('.') && !name.starts_with("target") {
                rust_files(&entry, out)?;
            }
        } else if name.ends_with(".rs") {
            out.push(entry);
        }
    }
    Ok(())
}

/// Check 3: one problem per line that mentions a [`FORBIDDEN`] text.
fn foreign_mentions(root: &Path) -> Result<Vec<String>, String> {
    let output = Command::new("git")
        .args(["ls-files", "-z"])
        .current_dir(root)
        .output()
        .map_err(|e| format!("cannot run `git ls-files` (is git installed?): {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "`git ls-files` failed in {}: {}",
            root.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let mut problems = Vec::new();
    for path in output.stdout.split(|&b| b == 0).filter(|p| !p.is_empty()) {
        let path = String::from_utf8_lossy(path);
        if path.starts_with(".ci/") {
            continue;
        }
        // A tracked file deleted in the working tree has nothing to check.
        let Ok(bytes) = fs::read(root.join(&*path)) else { continue };
        problems.extend(mentions(&bytes).into_iter().map(|(line, text)| {
            format!(
                "foreign mention: {path}:{line} mentions {text} (the repository must stand alone)"
            )
        }));
        if std::str::from_utf8(&bytes).is_ok() {
            problems.extend(conflict_markers(&bytes).into_iter().map(|line| {
                format!("conflict marker: {path}:{line} (a merge was left unfinished)")
            }));
        }
    }
    Ok(problems)
}

/// The lines of `bytes` (from 1) that start with a merge conflict marker.
fn conflict_markers(bytes: &[u8]) -> Vec<usize> {
    bytes
        .split(|&b| b == b'\n')
        .enumerate()
        .filter(|(_, line)| line.starts_with(b"<<<<<<< ") || line.starts_with(b">>>>>>> "))
        .map(|(i, _)| i + 1)
        .collect()
}

/// The lines of `bytes` (from 1) that contain a [`FORBIDDEN`] text, with that text.
fn mentions(bytes: &[u8]) -> Vec<(usize, &'static str)> {
    let mut found = Vec::new();
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        for text in FORBIDDEN {
            if line.windows(text.len()).any(|w| w == text.as_bytes()) {
                found.push((i + 1, text));
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_are_found_per_line() {
        let text = format!("a\nsee {}\nb {} c {}\n", FORBIDDEN[0], FORBIDDEN[1], FORBIDDEN[0]);
        assert_eq!(
            mentions(text.as_bytes()),
            [(2, FORBIDDEN[0]), (3, FORBIDDEN[0]), (3, FORBIDDEN[1])]
        );
        assert!(mentions(b"design.md, DESIGN_md, ./shared and ../share").is_empty());
    }

    #[test]
    fn conflict_markers_are_found_at_line_starts_only() {
        let marker = |c: char| c.to_string().repeat(7);
        let text = format!(
            "a\n{} HEAD\nours\n{}\ntheirs\n{} main\n  {} quoted\nTitle\n{}\n",
            marker('<'),
            marker('='),
            marker('>'),
            marker('<'),
            marker('=')
        );
        assert_eq!(conflict_markers(text.as_bytes()), [2, 6]);
    }
}
