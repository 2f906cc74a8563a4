//! Layers that depend one way: the table of layers (the one place it lives), and a test that reads `src/` and fails
//! on an import that points up a layer, on an import a module's own rule forbids, and on a circle between files.
//!
//! The reading is textual (comments, strings and test modules are left out; `use` trees, and paths that start with
//! `crate::`, `super::`, `self::` or a child module, are resolved to the file that defines them), which is all the
//! check needs: which file names which.
//!
//! `MUSEGEN_LAYERS_SRC=DIR cargo test layers -- --nocapture` runs the same check on another tree (an old commit's
//! `src/`) and prints what it finds there.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every top-level module of `src/`, bottom layer first. A module may use its own layer and those below.
const LAYERS: &[(usize, &[&str])] = &[
    (
        0,
        &[
            "model", "error", "config", "io", "rng", "secret", "data", "template", "progress",
            "parallel",
        ],
    ),
    (1, &["catalog", "llm"]),
    (2, &["manager"]),
    (3, &["agents"]),
    (4, &["dialogue", "profiles", "plan"]),
    (5, &["generate", "review", "import"]),
    (6, &["pairs"]),
    (7, &["export", "stats", "view"]),
    (8, &["pipeline"]),
    (9, &["cli"]),
];

/// Modules held to less than their layer allows: `export` only renders (files of the run folder into formats), so
/// it reads the catalog and the run folder but plays, judges and schedules nothing; `view` likewise renders a run
/// folder into a static viewer.
const ONLY: &[(&str, &[&str])] = &[
    (
        "view",
        &["model", "error", "config", "io", "data", "catalog", "view"],
    ),
    (
        "export",
        &[
            "model", "error", "config", "io", "rng", "secret", "data", "template", "progress",
            "parallel", "catalog", "pairs", "export",
        ],
    ),
    (
        "llm",
        &[
            "model", "error", "config", "io", "rng", "secret", "data", "template", "llm",
        ],
    ),
];

/// Imports the move has not reached yet: each must still be there (so that fixing one means crossing it off) and
/// nothing else may break the rules. An empty list is the goal.
const PENDING: &[&str] = &[];

/// Circles between files that the move has not undone yet (each listed by its files, sorted, joined by ", ").
const PENDING_CIRCLES: &[&str] = &[];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS
        .iter()
        .find(|(_, names)| names.contains(&module))
        .map(|(n, _)| *n)
}

/// One source file: its module path (`["agents", "sim", "user"]`) and its text without comments, strings and tests.
struct SourceFile {
    path: PathBuf,
    module: Vec<String>,
    code: String,
}

/// Remove comments, string and char literals, keeping everything else (and line breaks).
fn strip(text: &str) -> String {
    let b: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < b.len() && b[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c == 'r'
            && (next == Some('"') || next == Some('#'))
            && !b
                .get(i.wrapping_sub(1))
                .is_some_and(|p| p.is_alphanumeric() || *p == '_')
        {
            // A raw string: r"…", r#"…"#, …
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= b.len() {
                    break;
                }
                if b[j] == '"' && (0..hashes).all(|k| b.get(j + 1 + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j;
        } else if c == '"' {
            i += 1;
            while i < b.len() && b[i] != '"' {
                if b[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' {
            // A char literal ('a', '\n', '\u{1F600}'), not a lifetime.
            if next == Some('\\') {
                let mut j = i + 2;
                while j < b.len() && b[j] != '\'' {
                    j += 1;
                }
                i = j + 1;
            } else if b.get(i + 2) == Some(&'\'') {
                i += 3;
            } else {
                out.push(c);
                i += 1;
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// The code before the file's test module.
fn without_tests(code: &str) -> &str {
    match code.find("#[cfg(test)]") {
        Some(i) => &code[..i],
        None => code,
    }
}

fn read_tree(src: &Path) -> Vec<SourceFile> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut paths = Vec::new();
    walk(src, &mut paths);
    paths.sort();
    paths
        .into_iter()
        .filter_map(|path| {
            let rel = path.strip_prefix(src).unwrap();
            let mut module: Vec<String> = rel
                .iter()
                .map(|s| s.to_string_lossy().trim_end_matches(".rs").to_string())
                .collect();
            if module.last().is_some_and(|m| m == "mod") {
                module.pop();
            }
            if module == ["lib"] || module == ["main"] {
                return None;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let code = without_tests(&strip(&text)).to_string();
            Some(SourceFile { path, module, code })
        })
        .collect()
}

/// The paths a `use` tree names (`a::{b, c::{d, e}}` → `a::b`, `a::c::d`, `a::c::e`).
fn use_paths(tree: &str) -> Vec<Vec<String>> {
    fn expand(prefix: &[String], tree: &str, out: &mut Vec<Vec<String>>) {
        let tree = tree.trim();
        if let Some(open) = tree.find('{') {
            let head: Vec<String> = tree[..open]
                .split("::")
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect();
            let mut base = prefix.to_vec();
            base.extend(head);
            let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
            let mut depth = 0;
            let mut start = 0;
            for (i, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        expand(&base, &inner[start..i], out);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            expand(&base, &inner[start..], out);
        } else if !tree.is_empty() {
            let tree = tree.split(" as ").next().unwrap_or(tree);
            let mut path = prefix.to_vec();
            path.extend(
                tree.split("::")
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from),
            );
            // `a::{self, b}`: `self` is `a` itself.
            if path.len() > 1 && path.last().is_some_and(|s| s == "self") {
                path.pop();
            }
            out.push(path);
        }
    }
    let mut out = Vec::new();
    expand(&[], tree, &mut out);
    out
}

/// Every path the file names: its `use` trees and the `crate::`/`super::`/`self::`/child-module paths in its code.
fn named_paths(code: &str) -> Vec<Vec<String>> {
    named(code).into_iter().map(|(p, _)| p).collect()
}

/// [`named_paths`], each with whether it comes from a `pub use` (a re-export: the file hands the name on).
fn named(code: &str) -> Vec<(Vec<String>, bool)> {
    let mut paths = Vec::new();
    let mut rest = code;
    let mut plain = String::new();
    // `use` statements (a word boundary before `use`, up to the `;`).
    while let Some(i) = rest.find("use ") {
        let boundary = rest[..i]
            .chars()
            .next_back()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
        plain.push_str(&rest[..i]);
        if !boundary {
            plain.push_str("use ");
            rest = &rest[i + 4..];
            continue;
        }
        let end = rest[i..].find(';').map_or(rest.len(), |e| i + e);
        let before = rest[..i].trim_end();
        let reexport = before.ends_with("pub") || before.ends_with(')') && before.contains("pub(");
        paths.extend(
            use_paths(&rest[i + 4..end])
                .into_iter()
                .map(|p| (p, reexport)),
        );
        rest = &rest[end..];
    }
    plain.push_str(rest);
    // Inline paths: identifier::identifier::…
    let chars: Vec<char> = plain.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let starts = (chars[i].is_alphabetic() || chars[i] == '_')
            && (i == 0
                || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '_' || chars[i - 1] == ':'));
        if !starts {
            i += 1;
            continue;
        }
        let mut segs = Vec::new();
        let mut j = i;
        loop {
            let s = j;
            while j < chars.len() && (chars[j].is_alphanumeric() || chars[j] == '_') {
                j += 1;
            }
            segs.push(chars[s..j].iter().collect::<String>());
            if j + 2 < chars.len()
                && chars[j] == ':'
                && chars[j + 1] == ':'
                && (chars[j + 2].is_alphabetic() || chars[j + 2] == '_')
            {
                j += 2;
            } else {
                break;
            }
        }
        if segs.len() > 1 {
            paths.push((segs, false));
        }
        i = j.max(i + 1);
    }
    paths
}

/// What the check finds in a tree.
#[derive(Default)]
struct Findings {
    /// "a -> b" for each module import that breaks a rule, with the files and names that make it.
    broken: BTreeMap<String, BTreeSet<String>>,
    /// Circles between files.
    circles: Vec<Vec<String>>,
}

fn check(src: &Path) -> Findings {
    let files = read_tree(src);
    let by_module: BTreeMap<Vec<String>, usize> = files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.module.clone(), i))
        .collect();
    let is_module = |m: &[String]| by_module.contains_key(m);
    // The file of the longest module prefix of `absolute`.
    let resolve = |absolute: &[String]| -> Option<usize> {
        let mut cur: Vec<String> = Vec::new();
        let mut found = None;
        for seg in absolute {
            cur.push(seg.clone());
            match by_module.get(&cur) {
                Some(&i) => found = Some(i),
                None => break,
            }
        }
        found
    };
    // A path made absolute (module path + item path); `None` for external crates and names in scope.
    let absolute_of = |f: &SourceFile, path: &[String]| -> Option<Vec<String>> {
        Some(match path[0].as_str() {
            "crate" => path[1..].to_vec(),
            "super" => {
                let mut base = f.module.clone();
                let mut rest = path;
                while rest.first().is_some_and(|s| s == "super") {
                    base.pop();
                    rest = &rest[1..];
                }
                base.extend(rest.iter().cloned());
                base
            }
            "self" => {
                let mut base = f.module.clone();
                base.extend(path[1..].iter().cloned());
                base
            }
            first => {
                let mut child = f.module.clone();
                child.push(first.to_string());
                if !is_module(&child) {
                    return None;
                }
                let mut base = f.module.clone();
                base.extend(path.iter().cloned());
                base
            }
        })
    };
    let named_abs: Vec<Vec<(Vec<String>, bool)>> = files
        .iter()
        .map(|f| {
            named(&f.code)
                .into_iter()
                .filter_map(|(p, re)| absolute_of(f, &p).map(|a| (a, re)))
                .collect()
        })
        .collect();
    // What each file hands on: name → the path it re-exports.
    let reexports: Vec<BTreeMap<String, Vec<String>>> = named_abs
        .iter()
        .map(|paths| {
            paths
                .iter()
                .filter(|(_, re)| *re)
                .filter_map(|(p, _)| Some((p.last()?.clone(), p.clone())))
                .collect()
        })
        .collect();
    // The file that defines what `absolute` names, following re-exports.
    let defining = |absolute: &[String]| -> Option<usize> {
        let mut path = absolute.to_vec();
        for _ in 0..8 {
            let i = resolve(&path)?;
            let depth = files[i].module.len();
            match path.get(depth).and_then(|name| reexports[i].get(name)) {
                Some(target) if target != &path => {
                    let mut next = target.clone();
                    next.extend(path[depth + 1..].iter().cloned());
                    path = next;
                }
                _ => return Some(i),
            }
        }
        resolve(&path)
    };
    let mut findings = Findings::default();
    let mut edges: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
    for (from, f) in files.iter().enumerate() {
        for (absolute, reexport) in &named_abs[from] {
            let Some(to) = defining(absolute) else {
                continue;
            };
            if to == from {
                continue;
            }
            // A re-export is the module's face, not a use: it draws no arrow (what it names is followed instead).
            if !reexport {
                edges.entry(from).or_default().insert(to);
            }
            let (a, b) = (&f.module[0], &files[to].module[0]);
            let (Some(la), Some(lb)) = (layer_of(a), layer_of(b)) else {
                findings
                    .broken
                    .entry(format!("{a} -> {b} (a module missing from LAYERS)"))
                    .or_default()
                    .insert(f.path.display().to_string());
                continue;
            };
            let forbidden = ONLY
                .iter()
                .find(|(m, _)| m == a)
                .is_some_and(|(_, allowed)| !allowed.contains(&b.as_str()));
            if lb > la || forbidden {
                let name = absolute.last().cloned().unwrap_or_default();
                findings
                    .broken
                    .entry(format!("{a} -> {b}"))
                    .or_default()
                    .insert(format!(
                        "{} uses {name}",
                        f.path.strip_prefix(src).unwrap_or(&f.path).display()
                    ));
            }
        }
    }
    findings.circles = circles(&edges)
        .into_iter()
        .map(|c| {
            let mut names: Vec<String> = c
                .iter()
                .map(|&i| {
                    files[i]
                        .path
                        .strip_prefix(src)
                        .unwrap_or(&files[i].path)
                        .display()
                        .to_string()
                })
                .collect();
            names.sort();
            names
        })
        .collect();
    findings
}

/// The strongly connected components of more than one file (Tarjan).
fn circles(edges: &BTreeMap<usize, BTreeSet<usize>>) -> Vec<Vec<usize>> {
    struct State<'a> {
        edges: &'a BTreeMap<usize, BTreeSet<usize>>,
        index: BTreeMap<usize, usize>,
        low: BTreeMap<usize, usize>,
        stack: Vec<usize>,
        on_stack: BTreeSet<usize>,
        next: usize,
        out: Vec<Vec<usize>>,
    }
    fn visit(s: &mut State, v: usize) {
        s.index.insert(v, s.next);
        s.low.insert(v, s.next);
        s.next += 1;
        s.stack.push(v);
        s.on_stack.insert(v);
        let targets: Vec<usize> = s
            .edges
            .get(&v)
            .map(|t| t.iter().copied().collect())
            .unwrap_or_default();
        for w in targets {
            if !s.index.contains_key(&w) {
                visit(s, w);
                let lw = s.low[&w];
                let lv = s.low[&v];
                s.low.insert(v, lv.min(lw));
            } else if s.on_stack.contains(&w) {
                let iw = s.index[&w];
                let lv = s.low[&v];
                s.low.insert(v, lv.min(iw));
            }
        }
        if s.low[&v] == s.index[&v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(&w);
                component.push(w);
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                s.out.push(component);
            }
        }
    }
    let mut s = State {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    let nodes: Vec<usize> = edges.keys().copied().collect();
    for v in nodes {
        if !s.index.contains_key(&v) {
            visit(&mut s, v);
        }
    }
    s.out
}

fn report(f: &Findings) -> String {
    let mut text = String::new();
    for (rule, places) in &f.broken {
        text.push_str(&format!("{rule}\n"));
        for p in places {
            text.push_str(&format!("    {p}\n"));
        }
    }
    for c in &f.circles {
        text.push_str(&format!("circle: {}\n", c.join(", ")));
    }
    text
}

#[test]
fn modules_import_only_their_own_layer_and_those_below_and_no_files_form_a_circle() {
    let src = std::env::var_os("MUSEGEN_LAYERS_SRC")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let findings = check(&src);
    if std::env::var_os("MUSEGEN_LAYERS_SRC").is_some() {
        println!("{}", report(&findings));
        return;
    }
    let broken: BTreeSet<&str> = findings.broken.keys().map(String::as_str).collect();
    let pending: BTreeSet<&str> = PENDING.iter().copied().collect();
    let new: Vec<&&str> = broken.difference(&pending).collect();
    let done: Vec<&&str> = pending.difference(&broken).collect();
    assert!(
        new.is_empty(),
        "imports that break the layers: {new:?}\n{}",
        report(&findings)
    );
    assert!(
        done.is_empty(),
        "fixed, so cross them off PENDING: {done:?}"
    );
    let circles: BTreeSet<String> = findings.circles.iter().map(|c| c.join(", ")).collect();
    let pending: BTreeSet<String> = PENDING_CIRCLES.iter().map(|s| s.to_string()).collect();
    assert_eq!(
        circles,
        pending,
        "circles between files (PENDING_CIRCLES lists those not undone yet)\n{}",
        report(&findings)
    );
}

#[test]
fn the_reader_resolves_use_trees_and_ignores_comments_and_strings() {
    let code = strip(
        "use crate::a::{b, c::{d, e as f}};\n// use crate::z;\nlet s = \"crate::y::Y\";\nlet t = crate::x::X::new();",
    );
    let paths = named_paths(&code);
    let flat: Vec<String> = paths.iter().map(|p| p.join("::")).collect();
    assert!(flat.contains(&"crate::a::b".to_string()), "{flat:?}");
    assert!(flat.contains(&"crate::a::c::d".to_string()), "{flat:?}");
    assert!(flat.contains(&"crate::a::c::e".to_string()), "{flat:?}");
    assert!(flat.contains(&"crate::x::X::new".to_string()), "{flat:?}");
    assert!(
        !flat.iter().any(|p| p.contains('z') || p.contains('y')),
        "{flat:?}"
    );
}
