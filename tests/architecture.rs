//! The map kept true by a test: reads `src/` and fails when a module imports from one that
//! ARCHITECTURE.md says it must never reach. A failure names the file, the line, the import and
//! the rule. (`cargo test architecture` runs it alone.)

use std::path::{Path, PathBuf};

/// A rule of the map: the files under `within` (paths relative to `src/`, a folder ending in
/// `/` or a file) never import `forbidden` (a module of the crate, as `crate::NAME`, or an
/// external crate, as `NAME::`).
struct Rule {
    within: &'static [&'static str],
    except: &'static [&'static str],
    forbidden: &'static [&'static str],
    why: &'static str,
}

/// Every module above the floor and the leaves: what a module below the domain never reaches.
const DOMAIN_AND_ABOVE: &[&str] = &[
    "dossier",
    "result",
    "archive",
    "http",
    "app",
    "config",
    "notify",
    "workflow",
    "auth",
    "ledger",
    "signature",
    "audit",
    "unit",
    "report",
];

const RULES: &[Rule] = &[
    Rule {
        within: &["vocabulary/", "gate.rs", "timestamp.rs"],
        except: &[],
        forbidden: &[
            "dossier",
            "result",
            "archive",
            "http",
            "app",
            "config",
            "notify",
            "workflow",
            "auth",
            "ledger",
            "signature",
            "audit",
            "unit",
            "report",
            "db",
            "storage",
            "pki",
            "pdf",
            "content",
        ],
        why: "the floor (vocabulary, gate, timestamp) imports nothing of the crate",
    },
    Rule {
        within: &[
            "pdf/",
            "pki/",
            "storage/",
            "db/",
            "content.rs",
            "http_client.rs",
        ],
        except: &[],
        forbidden: DOMAIN_AND_ABOVE,
        why: "the leaves (pdf, pki, storage, db, content, http_client) import no domain module",
    },
    Rule {
        within: &[
            "auth/",
            "unit/",
            "notify/",
            "workflow/",
            "ledger/",
            "signature/",
            "vocabulary/",
            "gate.rs",
            "pdf/",
            "pki/",
            "storage/",
            "db/",
            "content.rs",
            "http_client.rs",
            "timestamp.rs",
        ],
        except: &[],
        forbidden: &[
            "dossier", "result", "archive", "audit", "report", "http", "app",
        ],
        why: "nothing below the dossier domain imports it (or what is built on it)",
    },
    Rule {
        within: &["http/"],
        except: &[],
        forbidden: &["db", "app", "sqlx"],
        why: "http is a thin edge: handlers call services, never the database",
    },
    Rule {
        within: &[""],
        except: &["db/"],
        forbidden: &["sqlx"],
        why: "only db contains SQL",
    },
    Rule {
        within: &[""],
        except: &["storage/"],
        forbidden: &["aws_sdk_s3", "aws_config", "aws_smithy_types"],
        why: "only storage talks to S3",
    },
    Rule {
        within: &[""],
        except: &["http/"],
        forbidden: &["axum", "hyper", "tower"],
        why: "only http knows axum and hyper",
    },
    Rule {
        within: &[""],
        except: &["http_client.rs"],
        forbidden: &["ureq", "rustls", "rustls_native_certs"],
        why: "only http_client makes outbound HTTP requests",
    },
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The external crates the map places (a bare `NAME::` elsewhere is a local module).
const EXTERNAL: &[&str] = &[
    "sqlx",
    "aws_sdk_s3",
    "aws_config",
    "aws_smithy_types",
    "axum",
    "hyper",
    "hyper_util",
    "tower",
    "ureq",
    "rustls",
    "rustls_native_certs",
];

/// The crate modules (`crate::NAME`) and the placed external crates (`NAME::` at the start of a
/// path, or `use NAME`) a line of code names, comments removed.
fn imports(line: &str) -> Vec<String> {
    let mut found = paths(line);
    found.retain(|f| f.starts_with("crate::") || EXTERNAL.contains(&f.as_str()));
    found
}

fn paths(line: &str) -> Vec<String> {
    let code = line.split("//").next().unwrap_or("");
    let mut found = Vec::new();
    let bytes = code.as_bytes();
    let ident = |from: usize| -> String {
        code[from..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut i = 0;
    while let Some(at) = code[i..].find("crate::") {
        let start = i + at + "crate::".len();
        if code[start..].starts_with('{') {
            let inner = &code[start + 1..code[start..].find('}').map_or(code.len(), |e| start + e)];
            for part in inner.split(',') {
                let name: String = part
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    found.push(format!("crate::{name}"));
                }
            }
        } else {
            found.push(format!("crate::{}", ident(start)));
        }
        i = start;
    }
    // External paths: a name followed by `::` that does not follow `::` or an identifier.
    let mut j = 0;
    while let Some(at) = code[j..].find("::") {
        let end = j + at;
        let start = code[..end]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(0, |p| p + 1);
        let before = code[..start].trim_end();
        if start < end && !before.ends_with("::") && !bytes[start].is_ascii_digit() {
            found.push(code[start..end].to_owned());
        }
        j = end + 2;
    }
    if let Some(rest) = code.trim_start().strip_prefix("use ") {
        found.push(ident(code.len() - rest.len()));
    }
    found
}

fn covers(patterns: &[&str], relative: &str) -> bool {
    patterns.iter().any(|p| {
        if p.is_empty() {
            true
        } else if p.ends_with('/') {
            relative.starts_with(p)
        } else {
            relative == *p
        }
    })
}

/// Every breach of `rules` in `files` (path relative to `src/`, text).
fn breaches(rules: &[Rule], files: &[(String, String)]) -> Vec<String> {
    let mut out = Vec::new();
    for (relative, text) in files {
        // The binary's own files speak to the library as `motcua::…`; they are the top.
        if relative == "main.rs" || relative == "archive_cmd.rs" {
            continue;
        }
        for rule in rules {
            if !covers(rule.within, relative) || covers(rule.except, relative) {
                continue;
            }
            for (n, line) in text.lines().enumerate() {
                for import in imports(line) {
                    let name = import.strip_prefix("crate::").unwrap_or(&import);
                    if rule.forbidden.contains(&name) {
                        out.push(format!(
                            "src/{relative}:{}: imports `{import}`, but {}",
                            n + 1,
                            rule.why
                        ));
                    }
                }
            }
        }
    }
    out
}

#[test]
fn architecture_no_module_imports_what_the_map_forbids() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut paths = Vec::new();
    rust_files(&src, &mut paths);
    let files: Vec<(String, String)> = paths
        .iter()
        .map(|p| {
            (
                p.strip_prefix(&src).unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(p).unwrap(),
            )
        })
        .collect();
    assert!(files.len() > 50, "the source tree was read");
    let found = breaches(RULES, &files);
    assert!(
        found.is_empty(),
        "imports that ARCHITECTURE.md forbids:\n{}",
        found.join("\n")
    );
}

#[test]
fn architecture_rules_catch_a_forbidden_import() {
    // The same rules on made-up files: each forbidden import is named with its file and rule.
    let files = vec![
        (
            "pdf/read.rs".to_owned(),
            "use crate::dossier::DossierService;\n".to_owned(),
        ),
        (
            "http/ops.rs".to_owned(),
            "use crate::{db::Db, auth};\nlet rows = sqlx::query(\"…\");\n".to_owned(),
        ),
        (
            "ledger/verify.rs".to_owned(),
            "// crate::dossier in a comment is no import\n".to_owned(),
        ),
        (
            "result/mod.rs".to_owned(),
            "fn f(e: &sqlx::Error) {}\n".to_owned(),
        ),
        (
            "notify/mod.rs".to_owned(),
            "let answer = ureq::post(url).send(body);\n".to_owned(),
        ),
        (
            "http_client.rs".to_owned(),
            "use crate::notify::Webhook;\n".to_owned(),
        ),
    ];
    let found = breaches(RULES, &files);
    assert!(found.iter().any(
        |f| f.starts_with("src/pdf/read.rs:1: imports `crate::dossier`")
            && f.contains("the leaves")
    ));
    assert!(
        found
            .iter()
            .any(|f| f.starts_with("src/http/ops.rs:1: imports `crate::db`"))
    );
    assert!(
        found
            .iter()
            .any(|f| f.starts_with("src/http/ops.rs:2: imports `sqlx`"))
    );
    assert!(
        found
            .iter()
            .any(|f| f.starts_with("src/result/mod.rs:1: imports `sqlx`")
                && f.contains("only db contains SQL"))
    );
    assert!(found.iter().any(
        |f| f.starts_with("src/notify/mod.rs:1: imports `ureq`") && f.contains("outbound HTTP")
    ));
    assert!(found.iter().any(
        |f| f.starts_with("src/http_client.rs:1: imports `crate::notify`")
            && f.contains("the leaves")
    ));
    assert!(
        !found.iter().any(|f| f.contains("ledger/verify.rs")),
        "{found:?}"
    );
}

/// The files of one folder that each file imports (`super::NAME`), by file stem.
fn sibling_imports(folder: &Path) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(folder).unwrap() {
        let path = entry.unwrap().path();
        let Some(stem) = path.file_stem().map(|s| s.to_string_lossy().into_owned()) else {
            continue;
        };
        if stem == "mod" || path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let mut names: Vec<String> = text
            .lines()
            .map(|l| l.split("//").next().unwrap_or(""))
            .flat_map(|code| {
                code.match_indices("super::")
                    .map(|(i, _)| {
                        code[i + 7..]
                            .chars()
                            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                            .collect::<String>()
                    })
                    .collect::<Vec<_>>()
            })
            .filter(|n| !n.is_empty() && *n != stem)
            .collect();
        names.sort();
        names.dedup();
        out.push((stem, names));
    }
    out
}

/// A cycle among the files, if there is one (depth-first search), as the files in order.
fn cycle(graph: &[(String, Vec<String>)]) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &[(String, Vec<String>)],
        path: &mut Vec<String>,
        done: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|p| p == node) {
            let mut found = path[at..].to_vec();
            found.push(node.to_owned());
            return Some(found);
        }
        if done.iter().any(|d| d == node) {
            return None;
        }
        path.push(node.to_owned());
        let edges = graph
            .iter()
            .find(|(n, _)| n == node)
            .map(|(_, e)| e.clone())
            .unwrap_or_default();
        for next in edges {
            if let Some(c) = visit(&next, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.push(node.to_owned());
        None
    }
    let mut done = Vec::new();
    for (node, _) in graph {
        if let Some(c) = visit(node, graph, &mut Vec::new(), &mut done) {
            return Some(c);
        }
    }
    None
}

#[test]
fn architecture_the_dossier_domain_has_no_circles_and_a_floor() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/dossier");
    let graph = sibling_imports(&folder);
    assert!(graph.len() > 8, "the folder was read");
    if let Some(c) = cycle(&graph) {
        panic!(
            "files of src/dossier import each other in a circle: {}",
            c.join(" -> ")
        );
    }
    let model = graph.iter().find(|(n, _)| n == "model").expect("model.rs");
    assert!(
        model.1.is_empty(),
        "src/dossier/model.rs is the floor of the domain and imports no sibling, but imports {:?}",
        model.1
    );
}

#[test]
fn architecture_circles_are_found() {
    let graph = vec![
        ("a".to_owned(), vec!["b".to_owned()]),
        ("b".to_owned(), vec!["c".to_owned()]),
        ("c".to_owned(), vec!["a".to_owned()]),
        ("d".to_owned(), vec![]),
    ];
    assert_eq!(
        cycle(&graph).unwrap(),
        ["a", "b", "c", "a"].map(str::to_owned)
    );
    assert_eq!(cycle(&graph[3..]), None);
}
