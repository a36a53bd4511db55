//! The domain crate's imports point one way. Each module of `shared/src` belongs to a layer;
//! a module may name (`crate::…`) only modules of its own layer or below, and no modules name
//! each other in a circle, counting each module of `domain/` and `services/` on its own.
//! Read from the source, so a new `use` that breaks the order fails here with its file named.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, lowest first: what each may use is everything before it and itself.
const LAYERS: &[(&str, &[&str])] = &[
    ("the domain", &["domain"]),
    (
        "adapters",
        &["store", "tutor", "auth", "oauth", "mail", "speech"],
    ),
    ("settings", &["config"]),
    ("the application's state", &["state"]),
    ("the one error type", &["error"]),
    ("services", &["services"]),
    ("the HTTP edge", &["http"]),
    ("handlers", &["handlers"]),
    ("the route table", &["routes"]),
    ("the runtime", &["runtime"]),
];

fn rank(top: &str) -> usize {
    LAYERS
        .iter()
        .position(|(_, modules)| modules.contains(&top))
        .unwrap_or_else(|| panic!("`{top}` is in no layer: add it to LAYERS"))
}

/// The node a module path counts as: `domain::room`, `services::session`, `store`.
fn node(path: &[&str]) -> Option<String> {
    let top = *path.first()?;
    match top {
        "domain" | "services" => path.get(1).map(|child| format!("{top}::{child}")),
        "AppState" => Some("state".into()),
        "ApiError" => Some("error".into()),
        _ if top.chars().next().is_some_and(|c| c.is_ascii_lowercase()) => Some(top.into()),
        _ => None,
    }
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path of `crate::a::b::{c, d::e}` items: each `a::b::c`, `a::b::d::e`.
fn named_paths(code: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':' || c == '{'))
            .unwrap_or(rest.len());
        let head = &rest[..end];
        if let Some(open) = head.find('{') {
            let prefix: Vec<String> = head[..open]
                .split("::")
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            let close = rest.find('}').unwrap_or(rest.len());
            for item in rest[open + 1..close].split(',') {
                let item: Vec<String> = item
                    .trim()
                    .split("::")
                    .map(|s| s.trim().split(' ').next().unwrap_or("").to_owned())
                    .filter(|s| !s.is_empty())
                    .collect();
                let mut path = prefix.clone();
                path.extend(item);
                found.push(path);
            }
        } else {
            found.push(
                head.split("::")
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect(),
            );
        }
    }
    found
}

#[test]
fn imports_point_one_way_and_never_in_a_circle() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/src");
    let mut files = Vec::new();
    sources(&root, &mut files);
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut wrong_way = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(&root).unwrap().with_extension("");
        let parts: Vec<&str> = relative
            .iter()
            .map(|p| p.to_str().unwrap())
            .filter(|p| *p != "mod")
            .collect();
        if parts == ["lib"] || parts == ["domain"] || parts == ["services"] {
            continue;
        }
        let from = node(&parts).unwrap();
        let from_rank = rank(parts[0]);
        // What a module's tests use is not part of the order.
        let code = std::fs::read_to_string(file).unwrap();
        let code = code.split("#[cfg(test)]").next().unwrap();
        for path in named_paths(code) {
            let path: Vec<&str> = path.iter().map(String::as_str).collect();
            let Some(to) = node(&path) else { continue };
            let to_top = to.split("::").next().unwrap();
            if to == from {
                continue;
            }
            if rank(to_top) > from_rank {
                wrong_way.push(format!(
                    "{} ({}) uses {to} ({})",
                    relative.display(),
                    LAYERS[from_rank].0,
                    LAYERS[rank(to_top)].0
                ));
            }
            edges.entry(from.clone()).or_default().insert(to);
        }
    }
    assert!(
        wrong_way.is_empty(),
        "imports that point up:\n{}",
        wrong_way.join("\n")
    );
    assert!(
        edges.len() > 10,
        "the source was read: {:?}",
        edges.keys().collect::<Vec<_>>()
    );
    // A circle is a path back to where it started: depth-first, keeping the path walked.
    fn walk(
        at: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|p| p == at) {
            let mut circle = path[start..].to_vec();
            circle.push(at.to_owned());
            return Some(circle);
        }
        if done.contains(at) {
            return None;
        }
        path.push(at.to_owned());
        for next in edges.get(at).into_iter().flatten() {
            if let Some(circle) = walk(next, edges, path, done) {
                return Some(circle);
            }
        }
        path.pop();
        done.insert(at.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    for start in edges.keys() {
        if let Some(circle) = walk(start, &edges, &mut Vec::new(), &mut done) {
            panic!("imports in a circle: {}", circle.join(" → "));
        }
    }
}

#[test]
fn named_paths_reads_grouped_and_plain_uses() {
    let code = "use crate::domain::{room::Role, time};\nlet x = crate::store::Owner::x();";
    assert_eq!(
        named_paths(code),
        vec![
            vec!["domain", "room", "Role"],
            vec!["domain", "time"],
            vec!["store", "Owner", "x"],
        ]
    );
}

/// Each function's binary only hands its route (or its worker) to the library: one file, no
/// logic and no tests of its own, which is why `make unit` builds no test harness for them.
#[test]
fn each_function_is_only_its_main() {
    let functions = Path::new(env!("CARGO_MANIFEST_DIR")).join("../functions");
    let mut count = 0;
    for entry in std::fs::read_dir(&functions).unwrap() {
        let dir = entry.unwrap().path();
        let mut files = Vec::new();
        sources(&dir.join("src"), &mut files);
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(
            files,
            [dir.join("src/main.rs")],
            "{name}: only src/main.rs, the logic in shared/"
        );
        let code = std::fs::read_to_string(&files[0]).unwrap();
        assert!(
            !code.contains("#[test]") && !code.contains("#[cfg(test)]"),
            "{name}: tests belong in shared/ or tests/, which `make unit` runs"
        );
        assert!(
            code.contains(&format!("rolechat::runtime::run(\"{name}\")"))
                || code.contains("rolechat::runtime::run_worker(")
                || code.contains("rolechat::runtime::run_worker_with_secrets("),
            "{name}: main only runs its route through rolechat::runtime"
        );
        assert!(code.lines().count() <= 6, "{name}: main.rs grew logic");
        count += 1;
    }
    assert!(count >= 20, "the functions were not found ({count})");
}
