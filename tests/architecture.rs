//! The house as its imports draw it: no two top-level modules of src/ import each other, even
//! through others (docs/architecture.md). A change that closes a circle fails here, naming it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Top-level module -> the top-level modules its non-test code names as `crate::x`.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut todo = vec![src.clone()];
    let uses = regex::Regex::new(r"crate::([a-z_]+)").unwrap();
    while let Some(dir) = todo.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(&src).unwrap();
            let first = rel
                .components()
                .next()
                .unwrap()
                .as_os_str()
                .to_string_lossy();
            let module = first.trim_end_matches(".rs").to_string();
            if module == "main" || module == "lib" {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            let names = edges.entry(module.clone()).or_default();
            for c in uses.captures_iter(code) {
                if c[1] != module {
                    names.insert(c[1].to_string());
                }
            }
        }
    }
    edges
}

/// A path of imports from `to` back to `from`, if there is one.
fn path_back(
    edges: &BTreeMap<String, BTreeSet<String>>,
    from: &str,
    to: &str,
) -> Option<Vec<String>> {
    let mut seen = BTreeSet::new();
    let mut todo = vec![vec![to.to_string()]];
    while let Some(path) = todo.pop() {
        let last = path.last().unwrap().clone();
        if last == from {
            return Some(path);
        }
        if !seen.insert(last.clone()) {
            continue;
        }
        for next in edges.get(&last).into_iter().flatten() {
            let mut p = path.clone();
            p.push(next.clone());
            todo.push(p);
        }
    }
    None
}

#[test]
fn no_module_imports_itself_through_others() {
    let edges = imports();
    assert!(edges.len() > 15, "only {} modules found", edges.len());
    for (from, tos) in &edges {
        for to in tos {
            if let Some(back) = path_back(&edges, from, to) {
                panic!("import circle: {from} -> {}", back.join(" -> "));
            }
        }
    }
}
