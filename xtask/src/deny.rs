//! `cargo xtask deny`: cargo-deny's licence, ban and source checks of the dependency graph
//! against `deny.toml` (every feature enabled, `mpi` included).
//!
//! The advisory check is left out: it needs the RustSec advisory database, which cargo-deny
//! clones from GitHub at run time. Where GitHub is reachable, `cargo deny check advisories`
//! runs it. Not part of `ci`: CI machines do not come with cargo-deny.

/// The cargo-deny checks run: every one but `advisories`.
const CHECKS: [&str; 3] = ["licenses", "bans", "sources"];

/// Runs `cargo deny check licenses bans sources` at the workspace root; fails, saying how to
/// install it, if cargo-deny is not installed.
pub fn run(args: &[String]) -> Result<(), String> {
    if let Some(extra) = args.first() {
        return Err(format!("`cargo xtask deny` takes no arguments (got `{extra}`)"));
    }
    if !super::has_cargo_subcommand("deny") {
        return Err("`cargo deny` is not installed: install it with \
                    `cargo install cargo-deny --locked` (from crates.io), then run \
                    `cargo xtask deny` again"
            .into());
    }
    let mut command = vec!["deny", "check"];
    command.extend(CHECKS);
    super::cargo(&command)
        .map_err(|e| format!("{e}: see the diagnostics above, and `deny.toml` for what is allowed"))
}
