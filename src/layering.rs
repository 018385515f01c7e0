//! Holds the code to the layering `lib.rs` draws: each module's `crate::` paths name only
//! modules after it in the list between `layers:` and the blank line of the crate's docs, and
//! every module is in it. Test-only code (modules under `#[cfg(test)]`) may reach anywhere.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The module order as `lib.rs`'s docs give it, callers first.
fn documented_order(lib: &str) -> Vec<String> {
    let docs: Vec<&str> = lib.lines().filter_map(|l| l.strip_prefix("//!")).map(str::trim).collect();
    let start = docs.iter().position(|l| *l == "layers:").expect("lib.rs docs: a line `layers:`");
    docs[start + 1..]
        .iter()
        .take_while(|l| !l.is_empty())
        .flat_map(|l| l.split('→'))
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty())
        .collect()
}

/// Modules `lib.rs` declares (`mod x;` and `pub mod x;`), test-only ones left out.
fn declared_modules(lib: &str) -> BTreeSet<String> {
    let mut after_cfg_test = false;
    let mut names = BTreeSet::new();
    for line in lib.lines().map(str::trim) {
        let declared = line.strip_prefix("pub mod ").or_else(|| line.strip_prefix("mod "));
        if let Some(name) = declared.and_then(|rest| rest.strip_suffix(';'))
            && !after_cfg_test
        {
            names.insert(name.to_string());
        }
        after_cfg_test = line == "#[cfg(test)]";
    }
    names
}

/// The source text of module `name` that is not test-only: its file, or its folder's files
/// less the files of test-only submodules and the `mod tests { … }` at a file's end.
fn production_sources(src: &Path, name: &str) -> Vec<(PathBuf, String)> {
    let mut files = vec![src.join(format!("{name}.rs"))];
    let folder = src.join(name);
    if folder.is_dir() {
        let mut stack = vec![folder];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap().map(Result::unwrap) {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    files.push(path);
                }
            }
        }
    }
    let texts: Vec<(PathBuf, String)> =
        files.into_iter().filter_map(|p| std::fs::read_to_string(&p).ok().map(|t| (p, t))).collect();
    let test_only: BTreeSet<String> = texts.iter().flat_map(|(_, text)| test_only_submodules(text)).collect();
    texts
        .into_iter()
        .filter(|(path, _)| {
            let stem = path.file_stem().unwrap().to_string_lossy().to_string();
            let parent = path.parent().unwrap().file_name().unwrap().to_string_lossy().to_string();
            !test_only.contains(&stem) && !test_only.contains(&parent)
        })
        .map(|(path, text)| {
            let production = match text.find("#[cfg(test)]\nmod tests {") {
                Some(at) => text[..at].to_string(),
                None => text,
            };
            (path, production)
        })
        .collect()
}

/// `x` of each `#[cfg(test)]` followed by `mod x;`.
fn test_only_submodules(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    lines
        .windows(2)
        .filter(|pair| pair[0] == "#[cfg(test)]")
        .filter_map(|pair| pair[1].strip_prefix("mod ").and_then(|r| r.strip_suffix(';')))
        .map(str::to_string)
        .collect()
}

/// The top-level modules a text's code (not its comments) names as `crate::x` or in
/// `use crate::{x, …}`.
fn crate_paths(text: &str, modules: &[String]) -> BTreeSet<String> {
    let code: String =
        text.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n");
    let mut named = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        let listed = match rest.strip_prefix('{') {
            Some(group) => group[..group.find('}').unwrap_or(group.len())].to_string(),
            None => rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect(),
        };
        for word in listed.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
            if modules.iter().any(|m| m == word) {
                named.insert(word.to_string());
            }
        }
    }
    named
}

#[test]
fn modules_import_only_those_after_them_in_lib_rs_list() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let order = documented_order(&lib);
    let declared = declared_modules(&lib);
    let listed: BTreeSet<String> = order.iter().cloned().collect();
    assert_eq!(listed, declared, "lib.rs's `layers:` list and its `mod` lines name different modules");
    let mut wrong = Vec::new();
    for (rank, module) in order.iter().enumerate() {
        for (path, text) in production_sources(&src, module) {
            for used in crate_paths(&text, &order) {
                let used_rank = order.iter().position(|m| *m == used).unwrap();
                if used != *module && used_rank < rank {
                    wrong.push(format!("{} uses crate::{used}, listed before {module}", path.display()));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "imports against lib.rs's order:\n{}", wrong.join("\n"));
}

#[test]
fn the_check_sees_an_upward_import() {
    let order: Vec<String> = ["painter", "loss"].map(String::from).to_vec();
    assert!(crate_paths("use crate::painter::Plan;", &order).contains("painter"));
    assert!(crate_paths("use crate::{loss::Objective, painter};", &order).contains("painter"));
    assert!(crate_paths("let x = crate::loss::f();", &order).contains("loss"));
    assert!(crate_paths("// crate::painting is not a module", &order).is_empty());
    let lib = "//! layers:\n//! a → b →\n//! c\n//!\n//! more\npub mod a;\nmod b;\npub mod c;\n#[cfg(test)]\nmod t;\n";
    assert_eq!(documented_order(lib), ["a", "b", "c"]);
    assert_eq!(declared_modules(lib), ["a", "b", "c"].map(String::from).into_iter().collect());
    assert_eq!(test_only_submodules("#[cfg(test)]\nmod gradient_check;\n"), ["gradient_check"]);
}
