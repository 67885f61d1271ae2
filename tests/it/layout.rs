//! The crate's layout keeps its promises (docs/design.md, "Architecture"): no file imports a file
//! that imports it back, however long the way round, nor any top-level module one that imports it
//! back, and the principal and role of a service are
//! spelled in one place.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, every sub-folder included.
pub fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// A file's code without its unit tests and comments.
fn code_of(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let code = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => &text,
    };
    code.lines()
        .map(|line| match line.trim_start().starts_with("//") {
            true => "",
            false => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The module path of a file of the library: `src/messages/mod.rs` is `messages`,
/// `src/aws/state_table.rs` is `aws::state_table`, `src/lib.rs` is the crate root.
fn module_of(path: &Path) -> Vec<String> {
    let relative = path.strip_prefix(src()).unwrap();
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
        parts.pop();
    }
    parts
}

/// The paths a piece of code names after `crate::` (groups in braces expanded).
fn crate_paths(code: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        paths.extend(expand(rest, Vec::new()));
    }
    paths
}

fn expand(text: &str, prefix: Vec<String>) -> Vec<Vec<String>> {
    let ident: String = text
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    let after = &text[ident.len()..];
    let mut path = prefix;
    if !ident.is_empty() {
        path.push(ident.clone());
    }
    let group = match ident.is_empty() {
        true => text.strip_prefix('{'),
        false => after.strip_prefix("::").and_then(|i| i.strip_prefix('{')),
    };
    if let Some(group) = group {
        {
            let mut depth = 0;
            let mut items = vec![String::new()];
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        items.push(String::new());
                        continue;
                    }
                    _ => {}
                }
                items.last_mut().unwrap().push(c);
            }
            return items
                .iter()
                .flat_map(|item| expand(item.trim(), path.clone()))
                .collect();
        }
    }
    match after.strip_prefix("::") {
        Some(inner) => expand(inner, path),
        None => vec![path],
    }
}

/// The file a module path lands in: the longest prefix of it that is a module of the crate.
fn file_of(path: &[String], modules: &BTreeMap<Vec<String>, PathBuf>) -> Option<PathBuf> {
    (1..=path.len())
        .rev()
        .find_map(|n| modules.get(&path[..n]).cloned())
}

/// Which files of the library each file imports.
fn imports() -> BTreeMap<PathBuf, BTreeSet<PathBuf>> {
    let files: Vec<PathBuf> = rust_files(&src())
        .into_iter()
        .filter(|f| !f.starts_with(src().join("bin")) && !f.ends_with("main.rs"))
        .collect();
    let modules: BTreeMap<Vec<String>, PathBuf> =
        files.iter().map(|f| (module_of(f), f.clone())).collect();
    files
        .iter()
        .map(|file| {
            let mut module = module_of(file);
            let code = code_of(file);
            let mut named = crate_paths(&code);
            // `super::x` inside `a::b` is `a::x`.
            let parent = {
                module.pop();
                module
            };
            for line in code.lines().filter(|l| l.contains("super::")) {
                for piece in line.split("super::").skip(1) {
                    for path in expand(piece, parent.clone()) {
                        named.push(path);
                    }
                }
            }
            let targets = named
                .iter()
                .filter_map(|p| file_of(p, &modules))
                .filter(|target| target != file && !target.ends_with("lib.rs"))
                .collect();
            (file.clone(), targets)
        })
        .collect()
}

fn cycle_from(
    start: &PathBuf,
    graph: &BTreeMap<PathBuf, BTreeSet<PathBuf>>,
) -> Option<Vec<PathBuf>> {
    fn walk(
        at: &PathBuf,
        start: &PathBuf,
        graph: &BTreeMap<PathBuf, BTreeSet<PathBuf>>,
        path: &mut Vec<PathBuf>,
        seen: &mut BTreeSet<PathBuf>,
    ) -> bool {
        for next in graph.get(at).into_iter().flatten() {
            if next == start {
                return true;
            }
            if seen.insert(next.clone()) {
                path.push(next.clone());
                if walk(next, start, graph, path, seen) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    let mut path = vec![start.clone()];
    walk(start, start, graph, &mut path, &mut BTreeSet::new()).then_some(path)
}

#[test]
fn no_file_of_the_crate_imports_one_that_imports_it_back() {
    let graph = imports();
    assert!(graph.len() > 20, "the crate's files were read");
    assert!(
        graph.values().map(BTreeSet::len).sum::<usize>() > 30,
        "imports were found"
    );
    let cycles: Vec<String> = graph
        .keys()
        .filter_map(|file| cycle_from(file, &graph))
        .map(|cycle| {
            cycle
                .iter()
                .map(|f| f.strip_prefix(src()).unwrap().display().to_string())
                .collect::<Vec<_>>()
                .join(" → ")
        })
        .collect();
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

/// The same imports between the crate's top-level modules: `src/aws/state.rs` is `aws`,
/// `src/handler.rs` is `handler`.
fn module_imports(
    files: &BTreeMap<PathBuf, BTreeSet<PathBuf>>,
) -> BTreeMap<PathBuf, BTreeSet<PathBuf>> {
    let top = |file: &PathBuf| {
        let relative = file.strip_prefix(src()).unwrap_or(file);
        let first = relative.iter().next().unwrap().to_string_lossy();
        PathBuf::from(first.trim_end_matches(".rs"))
    };
    let mut modules: BTreeMap<PathBuf, BTreeSet<PathBuf>> = BTreeMap::new();
    for (file, targets) in files {
        let from = top(file);
        let entry = modules.entry(from.clone()).or_default();
        entry.extend(targets.iter().map(top).filter(|to| *to != from));
    }
    modules
}

#[test]
fn no_module_of_the_crate_imports_one_that_imports_it_back() {
    let graph = module_imports(&imports());
    assert!(graph.len() > 15, "the crate's modules were read: {graph:?}");
    let cycles: Vec<String> = graph
        .keys()
        .filter_map(|module| cycle_from(module, &graph))
        .map(|cycle| {
            cycle
                .iter()
                .map(|m| m.display().to_string())
                .collect::<Vec<_>>()
                .join(" → ")
        })
        .collect();
    assert!(cycles.is_empty(), "module cycles:\n{}", cycles.join("\n"));
}

#[test]
fn the_module_check_sees_a_cycle_between_modules_that_no_file_closes() {
    // a/x.rs → b.rs → a/y.rs: no file imports itself back, but module a does.
    let (ax, b, ay) = (
        src().join("a/x.rs"),
        src().join("b.rs"),
        src().join("a/y.rs"),
    );
    let files = BTreeMap::from([
        (ax.clone(), BTreeSet::from([b.clone()])),
        (b.clone(), BTreeSet::from([ay.clone()])),
        (ay, BTreeSet::new()),
    ]);
    assert_eq!(cycle_from(&ax, &files), None);
    let modules = module_imports(&files);
    assert_eq!(
        cycle_from(&PathBuf::from("a"), &modules),
        Some(vec![PathBuf::from("a"), PathBuf::from("b")])
    );
}

#[test]
fn the_cycle_check_finds_a_cycle_when_there_is_one() {
    let a = PathBuf::from("a.rs");
    let b = PathBuf::from("b.rs");
    let graph = BTreeMap::from([
        (a.clone(), BTreeSet::from([b.clone()])),
        (b.clone(), BTreeSet::from([a.clone()])),
    ]);
    assert_eq!(cycle_from(&a, &graph), Some(vec![a, b]));
    assert_eq!(
        crate_paths("use crate::{aws::{state::X, topic}, config::Config};"),
        [
            vec!["aws", "state", "X"],
            vec!["aws", "topic"],
            vec!["config", "Config"]
        ]
    );
}

#[test]
fn the_principal_and_the_role_name_are_spelled_only_in_the_catalog() {
    for needle in [
        "license-management.marketplace.amazonaws.com",
        "AWSServiceRoleForMarketplaceLicenseManagement",
    ] {
        let files: Vec<String> = rust_files(&src())
            .into_iter()
            .filter(|f| code_of(f).contains(needle))
            .map(|f| f.strip_prefix(src()).unwrap().display().to_string())
            .collect();
        assert!(files.is_empty(), "{needle} is spelled in {files:?}");
        let catalog = std::fs::read_to_string(src().join("catalog/services.toml")).unwrap();
        assert_eq!(catalog.matches(needle).count(), 1, "{needle}");
    }
}
