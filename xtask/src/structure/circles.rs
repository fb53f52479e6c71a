//! Module circles: which top-level modules of a crate use which, and the circles among them.
//!
//! The top-level modules of a crate are the files and folders directly under its `src/`
//! (`a.rs`, or `a/` with `a/mod.rs` or `a.rs` beside it), except `lib.rs`, `main.rs` and the
//! `bin/` folder. A file of module `a` uses module `b` when its code (without comments, string
//! literals and a trailing `#[cfg(test)] mod tests { ... }` block) names a path `crate::b...`,
//! `crate::{b...}`, or a `super::` path that climbs to the crate root: `super::b` in
//! `src/a.rs` or `src/a/mod.rs`, `super::super::b` in `src/a/c.rs`, and so on. (Inline `mod`
//! blocks other than the trailing tests are not tracked: a `super::` inside one is counted as if
//! it were at file level.)

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use super::source::{Token, code_only, tokens, trailing_tests_start};

/// Where module `from` uses module `to`: the first place found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Use {
    /// The file, relative to the crate root.
    pub file: PathBuf,
    /// Its line, from 1.
    pub line: usize,
}

/// The module graph of one crate: `edges[a][b]` is where `a` uses `b` (`a != b`).
pub type Graph = BTreeMap<String, BTreeMap<String, Use>>;

/// The graph of the crate whose sources are in `src` (paths in it are relative to `root`).
pub fn crate_graph(root: &Path, src: &Path) -> Result<Graph, String> {
    let modules = top_level_modules(src)?;
    let mut graph: Graph = modules.keys().map(|m| (m.clone(), BTreeMap::new())).collect();
    for (module, files) in &modules {
        for (file, depth) in files {
            let text = fs::read_to_string(file)
                .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            let code = code_only(&text);
            let code = &code[..trailing_tests_start(&code).unwrap_or(code.len())];
            for (name, line) in root_paths(&tokens(code), *depth) {
                if name != *module && modules.contains_key(&name) {
                    let relative = file.strip_prefix(root).unwrap_or(file).to_path_buf();
                    let uses = graph.get_mut(module).expect("every module is a node");
                    uses.entry(name).or_insert(Use { file: relative, line });
                }
            }
        }
    }
    Ok(graph)
}

/// The top-level modules under `src`, each with its files and their depth in the module tree
/// (1 for `src/a.rs` and `src/a/mod.rs`, 2 for `src/a/b.rs`, ...).
fn top_level_modules(src: &Path) -> Result<BTreeMap<String, Vec<(PathBuf, usize)>>, String> {
    let mut modules: BTreeMap<String, Vec<(PathBuf, usize)>> = BTreeMap::new();
    for entry in read_dir(src)? {
        let name = entry.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        if entry.is_dir() {
            if name == "bin" {
                continue;
            }
            let mut files = Vec::new();
            collect_rs(&entry, 1, &mut files)?;
            if !files.is_empty() {
                modules.entry(name).or_default().extend(files);
            }
        } else if let Some(stem) = name.strip_suffix(".rs") {
            if stem != "lib" && stem != "main" {
                modules.entry(stem.to_string()).or_default().push((entry, 1));
            }
        }
    }
    Ok(modules)
}

/// Every `.rs` file under `dir`, which holds the children of a module at depth `depth`.
fn collect_rs(dir: &Path, depth: usize, out: &mut Vec<(PathBuf, usize)>) -> Result<(), String> {
    for entry in read_dir(dir)? {
        if entry.is_dir() {
            collect_rs(&entry, depth + 1, out)?;
        } else if entry.extension().is_some_and(|e| e == "rs") {
            let own = entry.file_name().is_some_and(|n| n == "mod.rs");
            out.push((entry, if own { depth } else { depth + 1 }));
        }
    }
    Ok(())
}

/// The entries of `dir`, sorted.
pub fn read_dir(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut entries = fs::read_dir(dir)
        .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    entries.sort();
    Ok(entries)
}

/// The first segments, with their lines, of the paths in `tokens` that start at the crate
/// root: `crate::x`, `crate::{x, y::z}`, and `super::x` climbed `depth` times.
pub fn root_paths(tokens: &[Token], depth: usize) -> Vec<(String, usize)> {
    let text = |i: usize| tokens.get(i).map_or("", |t| t.text.as_str());
    let mut found = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let after_root = match text(i) {
            "crate" if text(i + 1) == "::" => Some(i + 2),
            // The start of a `super::` chain (not its continuation).
            "super" if i == 0 || text(i - 1) != "::" => {
                let mut k = i;
                let mut climbs = 0;
                while text(k) == "super" && text(k + 1) == "::" {
                    climbs += 1;
                    k += 2;
                }
                (climbs == depth).then_some(k)
            }
            _ => None,
        };
        if let Some(k) = after_root {
            if text(k) == "{" {
                found.extend(group_heads(tokens, k));
            } else if tokens.get(k).is_some_and(Token::is_ident) {
                found.push((text(k).to_string(), tokens[k].line));
            }
            i = k;
        } else {
            i += 1;
        }
    }
    found.retain(|(name, _)| !matches!(name.as_str(), "self" | "super" | "crate"));
    found
}

/// The first segment of every item of the use group opening at `open` (`{a::b, c, d::{e}}`:
/// `a`, `c`, `d`).
fn group_heads(tokens: &[Token], open: usize) -> Vec<(String, usize)> {
    let mut heads = Vec::new();
    let mut depth = 0usize;
    let mut expect_head = false;
    for t in &tokens[open..] {
        match t.text.as_str() {
            "{" => {
                depth += 1;
                expect_head = depth == 1;
            }
            "}" => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            "," => expect_head = depth == 1,
            _ => {
                if expect_head && t.is_ident() {
                    heads.push((t.text.clone(), t.line));
                }
                expect_head = false;
            }
        }
    }
    heads
}

/// Every elementary circle of `graph`, each once: it starts at its smallest module and the
/// circles come in order. At most `limit` are listed; the flag says whether there were more.
pub fn find_circles<V>(
    graph: &BTreeMap<String, BTreeMap<String, V>>,
    limit: usize,
) -> (Vec<Vec<String>>, bool) {
    let mut search = Search { graph, limit, circles: Vec::new(), more: false };
    for start in graph.keys() {
        search.walk(start, &mut vec![start.as_str()], &mut BTreeSet::from([start.as_str()]));
    }
    (search.circles, search.more)
}

/// The state of [`find_circles`].
struct Search<'g, V> {
    graph: &'g BTreeMap<String, BTreeMap<String, V>>,
    limit: usize,
    circles: Vec<Vec<String>>,
    more: bool,
}

impl<'g, V> Search<'g, V> {
    /// Extends `path` (which starts at `start`, its smallest module) along every edge to a
    /// module larger than `start` not on it; an edge back to `start` closes a circle.
    fn walk(&mut self, start: &str, path: &mut Vec<&'g str>, on_path: &mut BTreeSet<&'g str>) {
        let last = *path.last().expect("a path is never empty");
        let graph = self.graph;
        for next in graph.get(last).into_iter().flat_map(BTreeMap::keys) {
            if next == start {
                if self.circles.len() == self.limit {
                    self.more = true;
                    return;
                }
                self.circles.push(path.iter().map(|m| m.to_string()).collect());
            } else if next.as_str() > start && !on_path.contains(next.as_str()) {
                path.push(next);
                on_path.insert(next);
                self.walk(start, path, on_path);
                on_path.remove(next.as_str());
                path.pop();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(edges: &[(&str, &str)]) -> BTreeMap<String, BTreeMap<String, ()>> {
        let mut g: BTreeMap<String, BTreeMap<String, ()>> = BTreeMap::new();
        for &(a, b) in edges {
            g.entry(a.into()).or_default().insert(b.into(), ());
            g.entry(b.into()).or_default();
        }
        g
    }

    fn circles(edges: &[(&str, &str)]) -> Vec<String> {
        let (found, more) = find_circles(&graph(edges), 100);
        assert!(!more);
        found.iter().map(|c| c.join(" -> ")).collect()
    }

    #[test]
    fn a_layered_graph_has_no_circle() {
        assert!(circles(&[("a", "b"), ("b", "c"), ("a", "c"), ("d", "a")]).is_empty());
        assert!(circles(&[]).is_empty());
    }

    #[test]
    fn two_modules_using_each_other() {
        assert_eq!(circles(&[("b", "a"), ("a", "b")]), ["a -> b"]);
    }

    #[test]
    fn a_three_circle_starts_at_its_smallest_module() {
        assert_eq!(circles(&[("c", "a"), ("a", "b"), ("b", "c"), ("c", "d")]), ["a -> b -> c"]);
    }

    #[test]
    fn overlapping_and_separate_circles_are_all_listed_once() {
        let found = circles(&[
            ("a", "b"),
            ("b", "a"),
            ("b", "c"),
            ("c", "a"),
            ("x", "y"),
            ("y", "x"),
            ("m", "x"),
        ]);
        assert_eq!(found, ["a -> b", "a -> b -> c", "x -> y"]);
    }

    #[test]
    fn the_limit_stops_the_listing() {
        let edges = [("a", "b"), ("b", "a"), ("a", "c"), ("c", "a"), ("b", "c"), ("c", "b")];
        let (found, more) = find_circles(&graph(&edges), 2);
        assert_eq!(found.len(), 2);
        assert!(more);
        // All five: a-b, a-c, b-c, a-b-c, a-c-b.
        assert_eq!(find_circles(&graph(&edges), 100).0.len(), 5);
    }

    fn heads(code: &str, depth: usize) -> Vec<String> {
        root_paths(&tokens(&code_only(code)), depth).into_iter().map(|(n, _)| n).collect()
    }

    #[test]
    fn root_paths_of_crate_and_super() {
        let code = "use crate::a::X;\nuse crate::{b::{Y, Z}, c, self};\nfn f() -> crate::d::T { super::e::g(); super::super::h::i() }\npub(crate) fn k() {}\n// crate::q\nlet s = \"crate::r\";\n";
        assert_eq!(heads(code, 1), ["a", "b", "c", "d", "e"]);
        assert_eq!(heads(code, 2), ["a", "b", "c", "d", "h"]);
        assert_eq!(heads(code, 3), ["a", "b", "c", "d"]);
        assert_eq!(heads("use super::{m, n::o};", 1), ["m", "n"]);
        assert_eq!(heads("$crate::p::f()", 2), ["p"]);
    }

    #[test]
    fn a_crate_on_disk() {
        let dir = std::env::temp_dir().join(format!("xtask-circles-{}", std::process::id()));
        let src = dir.join("src");
        fs::create_dir_all(src.join("b")).unwrap();
        fs::write(src.join("lib.rs"), "pub mod a; pub mod b; pub mod c;\n").unwrap();
        fs::write(src.join("a.rs"), "use crate::b::Thing;\n").unwrap();
        fs::write(src.join("b/mod.rs"), "mod inner;\nuse super::c;\n").unwrap();
        fs::write(src.join("b/inner.rs"), "use super::super::a;\n").unwrap();
        let tests = "#[cfg(test)]\nmod tests {\n    use crate::a;\n}\n";
        fs::write(src.join("c.rs"), format!("// crate::a\n{tests}")).unwrap();
        let g = crate_graph(&dir, &src).unwrap();
        fs::remove_dir_all(&dir).unwrap();
        let edges: Vec<(String, String, usize)> = g
            .iter()
            .flat_map(|(a, uses)| uses.iter().map(move |(b, u)| (a.clone(), b.clone(), u.line)))
            .collect();
        let expected = [("a", "b", 1), ("b", "a", 1), ("b", "c", 2)];
        let expected: Vec<_> = expected.iter().map(|&(a, b, l)| (a.into(), b.into(), l)).collect();
        assert_eq!(edges, expected);
        assert_eq!(g["b"]["a"].file, Path::new("src/b/inner.rs"));
        assert_eq!(find_circles(&g, 10).0, [vec!["a".to_string(), "b".to_string()]]);
    }
}
