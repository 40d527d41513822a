//! The offline check of an exported bag (`motcua archive verify BAG`): no service, no database.
//!
//! It checks, and reports every failure rather than the first:
//! - the bag: declaration, every payload file listed in `manifest-sha256.txt` with its SHA-256
//!   and every listed file present, `Payload-Oxum`, and every tag file in
//!   `tagmanifest-sha256.txt` with its SHA-256;
//! - the proofs: every payload file except the `dossier.json` descriptions has a proof at the
//!   mirrored path under `proofs/`, the proof holds against the log's verifier key, and the file
//!   in the bag is the one the log recorded; no proof is left without its file; every file a
//!   description lists is in the bag;
//! - the names: each dossier's folder is named after the code its (proven) record holds, and
//!   `bag-info.txt` names exactly those dossiers.
//!
//! Fails closed: anything unexpected is a problem. Owns: reading bags. Never reaches: the
//! network, the database, the object store.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read as _;
use std::path::{Path, PathBuf};

use crate::ledger::VerifierKey;
use crate::ledger::proof::{DocumentProof, verify_document_proof};
use crate::storage::{Sha256Digest, StreamingHasher};

use super::bag::decode_manifest_path;
use super::export::proof_path;

/// Why a folder could not be checked at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckError {
    /// It is not a bag (no readable `bagit.txt`).
    #[error("{0} is not a BagIt bag: {1}")]
    NotABag(String, String),
    /// The verifier key in the bag is unusable and none was given.
    #[error("the bag's verifier key: {0}")]
    Key(String),
}

/// How one payload file is vouched for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvenFile {
    /// Its path in the bag.
    pub path: String,
    /// Its SHA-256.
    pub sha256: String,
    /// The log entry that records it.
    pub index: u64,
}

/// The outcome of a check.
#[derive(Debug, Clone, Default)]
pub struct BagReport {
    /// Every problem found; empty when the bag is intact and every proof holds.
    pub problems: Vec<String>,
    /// Payload files proven against the log.
    pub proven: Vec<ProvenFile>,
    /// Payload files protected by the manifests only (the descriptions).
    pub described: Vec<String>,
    /// The verifier key used, and whether it came from the bag itself.
    pub key: String,
    /// True when no key was given and the bag's own was used.
    pub key_from_bag: bool,
}

impl BagReport {
    /// Whether the bag passed.
    pub fn is_valid(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Every regular file under `root`, as `/`-separated relative paths; links and other special
/// files are problems (a bag holds files).
fn walk(root: &Path, problems: &mut Vec<String>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let dir = root.join(&rel);
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) => {
                problems.push(format!("{}: cannot list: {e}", dir.display()));
                continue;
            }
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = rel.join(&name);
            let text = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            match entry.file_type() {
                Ok(t) if t.is_dir() => stack.push(rel),
                Ok(t) if t.is_file() => {
                    out.insert(text);
                }
                _ => problems.push(format!("{text}: not a regular file")),
            }
        }
    }
    out
}

fn hash_file(path: &Path) -> std::io::Result<(Sha256Digest, u64)> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = StreamingHasher::default();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    let len = hasher.len();
    Ok((hasher.finish(), len))
}

/// Reads a manifest: path → SHA-256 hex (lower case). Malformed lines are problems.
fn read_manifest(
    root: &Path,
    name: &str,
    problems: &mut Vec<String>,
) -> Option<BTreeMap<String, String>> {
    let text = match std::fs::read_to_string(root.join(name)) {
        Ok(t) => t,
        Err(e) => {
            problems.push(format!("{name}: cannot be read: {e}"));
            return None;
        }
    };
    let mut out = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let Some((digest, path)) = line.split_once(char::is_whitespace) else {
            problems.push(format!("{name} line {}: not `<sha256> <path>`", n + 1));
            continue;
        };
        let path = decode_manifest_path(path.trim_start());
        let digest = digest.to_ascii_lowercase();
        if Sha256Digest::from_hex(&digest).is_err() {
            problems.push(format!(
                "{name} line {}: {digest:?} is not a SHA-256",
                n + 1
            ));
            continue;
        }
        if out.insert(path.clone(), digest).is_some() {
            problems.push(format!("{name}: {path} is listed twice"));
        }
    }
    Some(out)
}

/// Checks the files a manifest lists; returns the actual digests of those that hash.
fn check_listed(
    root: &Path,
    name: &str,
    listed: &BTreeMap<String, String>,
    present: &BTreeSet<String>,
    problems: &mut Vec<String>,
) -> BTreeMap<String, (String, u64)> {
    let mut actual = BTreeMap::new();
    for (path, expected) in listed {
        if !present.contains(path) {
            problems.push(format!("{path}: listed in {name} but missing"));
            continue;
        }
        match hash_file(&root.join(path)) {
            Ok((digest, size)) => {
                let digest = digest.to_hex();
                if &digest != expected {
                    problems.push(format!(
                        "{path}: changed (its SHA-256 is {digest}, {name} says {expected})"
                    ));
                }
                actual.insert(path.clone(), (digest, size));
            }
            Err(e) => problems.push(format!("{path}: cannot be read: {e}")),
        }
    }
    actual
}

fn oxum(root: &Path) -> Option<String> {
    let info = std::fs::read_to_string(root.join("bag-info.txt")).ok()?;
    info.lines()
        .find_map(|l| l.strip_prefix("Payload-Oxum:"))
        .map(|v| v.trim().to_owned())
}

/// A payload file that describes rather than records: `data/<code>/dossier.json`.
fn is_description(path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    parts.len() == 3 && parts[0] == "data" && parts[2] == "dossier.json"
}

/// Each `data/<code>/record.json` holds that code, each description too, and bag-info's
/// `Dossier-Code` lines name exactly the dossiers in the bag: the labels a reader goes by agree
/// with the records the log vouches for.
fn check_names(root: &Path, payload: &BTreeSet<String>, problems: &mut Vec<String>) {
    let mut folders = BTreeSet::new();
    for path in payload {
        let parts: Vec<&str> = path.split('/').collect();
        let [_, code, name] = parts[..] else {
            continue;
        };
        if name != "record.json" && name != "dossier.json" {
            continue;
        }
        folders.insert(code.to_owned());
        let named = std::fs::read(root.join(path))
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .and_then(|v| v["code"].as_str().map(str::to_owned));
        if named.as_deref() != Some(code) {
            problems.push(format!(
                "{path}: the folder is {code}, the file names {}",
                named.as_deref().unwrap_or("no code")
            ));
        }
    }
    let info = std::fs::read_to_string(root.join("bag-info.txt")).unwrap_or_default();
    let listed: BTreeSet<String> = info
        .lines()
        .filter_map(|l| l.strip_prefix("Dossier-Code:"))
        .map(|c| c.trim().to_owned())
        .collect();
    if listed != folders {
        problems.push(format!(
            "bag-info.txt names the dossiers {listed:?}, the payload holds {folders:?}"
        ));
    }
}

/// Checks the bag at `root`; with `key`, against that verifier key (obtained independently),
/// else against the key the bag carries (reported as such).
pub fn check_bag(root: &Path, key: Option<&VerifierKey>) -> Result<BagReport, CheckError> {
    let declaration = std::fs::read_to_string(root.join("bagit.txt"))
        .map_err(|e| CheckError::NotABag(root.display().to_string(), format!("bagit.txt: {e}")))?;
    if !declaration
        .lines()
        .any(|l| l.trim() == "BagIt-Version: 1.0")
    {
        return Err(CheckError::NotABag(
            root.display().to_string(),
            "bagit.txt does not declare BagIt-Version: 1.0".into(),
        ));
    }
    let mut report = BagReport::default();
    let problems = &mut report.problems;
    let present = walk(root, problems);

    // The payload.
    let payload: BTreeSet<String> = present
        .iter()
        .filter(|p| p.starts_with("data/"))
        .cloned()
        .collect();
    let manifest = read_manifest(root, "manifest-sha256.txt", problems).unwrap_or_default();
    for path in &payload {
        if !manifest.contains_key(path) {
            problems.push(format!(
                "{path}: in the payload but not in manifest-sha256.txt"
            ));
        }
    }
    for path in manifest.keys() {
        if !path.starts_with("data/") {
            problems.push(format!(
                "{path}: manifest-sha256.txt lists a file outside data/"
            ));
        }
    }
    let hashed = check_listed(root, "manifest-sha256.txt", &manifest, &present, problems);
    let bytes: u64 = hashed.values().map(|(_, s)| s).sum();
    let expected_oxum = format!("{bytes}.{}", payload.len());
    match oxum(root) {
        Some(o) if o == expected_oxum => {}
        Some(o) => problems.push(format!(
            "bag-info.txt: Payload-Oxum is {o}, the payload is {expected_oxum}"
        )),
        None => problems.push("bag-info.txt: no Payload-Oxum".into()),
    }

    // The tag files.
    let tags = read_manifest(root, "tagmanifest-sha256.txt", problems).unwrap_or_default();
    for path in present.iter().filter(|p| !p.starts_with("data/")) {
        if path != "tagmanifest-sha256.txt" && !tags.contains_key(path) {
            problems.push(format!("{path}: a tag file not in tagmanifest-sha256.txt"));
        }
    }
    check_listed(root, "tagmanifest-sha256.txt", &tags, &present, problems);

    // The key.
    let bag_key = std::fs::read_to_string(root.join("proofs/verifier-key.txt"));
    let key = match key {
        Some(k) => {
            if let Ok(text) = &bag_key
                && text.trim() != k.to_string()
            {
                problems.push(format!(
                    "proofs/verifier-key.txt names {}, not the key given",
                    text.trim()
                ));
            }
            k.clone()
        }
        None => {
            let text =
                bag_key.map_err(|e| CheckError::Key(format!("proofs/verifier-key.txt: {e}")))?;
            report.key_from_bag = true;
            VerifierKey::parse(&text).map_err(|e| CheckError::Key(e.to_string()))?
        }
    };
    report.key = key.to_string();
    let problems = &mut report.problems;
    match std::fs::read_to_string(root.join("proofs/checkpoint.txt")) {
        Ok(note) => {
            if let Err(e) = key.verify(&note) {
                problems.push(format!("proofs/checkpoint.txt: {e}"));
            }
        }
        Err(e) => problems.push(format!("proofs/checkpoint.txt: {e}")),
    }

    // The proofs.
    let mut expected_proofs = BTreeSet::new();
    for path in &payload {
        if is_description(path) {
            report.described.push(path.clone());
            continue;
        }
        let under_data = &path["data/".len()..];
        let proof_file = proof_path(under_data);
        expected_proofs.insert(proof_file.clone());
        let Some((sha256, _)) = hashed.get(path) else {
            continue;
        };
        let proof: DocumentProof = match std::fs::read(root.join(&proof_file))
            .map_err(|e| e.to_string())
            .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
        {
            Ok(p) => p,
            Err(e) => {
                problems.push(format!("{path}: no usable proof at {proof_file}: {e}"));
                continue;
            }
        };
        match verify_document_proof(&proof, &key, Some(sha256)) {
            Ok(proven) => report.proven.push(ProvenFile {
                path: path.clone(),
                sha256: sha256.clone(),
                index: proven.index,
            }),
            Err(e) => problems.push(format!("{path}: {e}")),
        }
    }
    for path in present
        .iter()
        .filter(|p| p.starts_with("proofs/") && p.ends_with(".proof.json"))
    {
        if !expected_proofs.contains(path) {
            problems.push(format!("{path}: a proof whose file is not in the payload"));
        }
    }
    check_names(root, &payload, &mut report.problems);
    for description in report.described.clone() {
        let listed = std::fs::read(root.join(&description))
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok());
        let Some(files) = listed.as_ref().and_then(|d| d["files"].as_array()) else {
            report
                .problems
                .push(format!("{description}: not a dossier description"));
            continue;
        };
        for f in files {
            let path = format!("data/{}", f["path"].as_str().unwrap_or_default());
            if !payload.contains(&path) {
                report.problems.push(format!(
                    "{path}: listed in {description} but not in the bag"
                ));
            }
        }
    }
    Ok(report)
}
