//! The log check, from the stored data alone:
//!
//! 1. every entry: contiguous indices, leaf hash = SHA-256(0x00 || bytes), canonical bytes whose
//!    `index` is its position, and the hash chain (`prev`);
//! 2. the tree: every stored node and the head recomputed from the entries;
//! 3. every checkpoint (stored, and any the caller kept): signed by the log's key, not ahead of
//!    the log (a rollback), and with the root recomputed at its size (a rewrite).
//!
//! What the entries vouch for (records, objects) is checked above the domain, by `audit`, which
//! runs this first. Every problem is reported, each naming the entry.

use std::collections::HashMap;

use serde_json::Value;

use crate::db::Db;

use super::checkpoint::VerifierKey;
use super::entry::parse_canonical;
use super::merkle::{self, Hash, Subtree};
use super::{LedgerError, compact_of};

/// Problems of one kind beyond this many are counted, not listed.
const MAX_LISTED: usize = 50;
/// Rows read per query.
pub(crate) const PAGE: i64 = 5000;

/// What to verify.
pub struct VerifyOptions<'a> {
    /// The key checkpoints must be signed by.
    pub key: &'a VerifierKey,
    /// Checkpoints kept outside the database (e.g. published ones), as note texts.
    pub external_checkpoints: Vec<(String, String)>,
    /// Re-hash every stored object.
    pub fixity: bool,
}

/// The outcome.
#[derive(Debug, Default)]
pub struct VerifyReport {
    /// Entries checked.
    pub entries: u64,
    /// Checkpoints checked.
    pub checkpoints: u64,
    /// Dossier and document rows checked.
    pub records: u64,
    /// Objects re-hashed.
    pub objects: u64,
    /// Bytes re-hashed.
    pub bytes: u64,
    /// Everything found wrong; empty when the log and the store are intact.
    pub problems: Vec<String>,
    /// Problems found beyond those listed.
    pub unlisted: usize,
}

impl VerifyReport {
    /// Adds a problem (counted, not listed, beyond a bound).
    pub fn problem(&mut self, message: String) {
        if self.problems.len() < MAX_LISTED * 4 {
            self.problems.push(message);
        } else {
            self.unlisted += 1;
        }
    }

    /// Whether everything holds.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty() && self.unlisted == 0
    }
}

/// The log check: every entry (contiguous, hashed, canonical, chained), the tree and the head
/// recomputed from the entries, and every checkpoint (stored, and the caller's) against the key
/// and the recomputed roots. Problems go to `report`; each parsed entry is handed to `on_entry`
/// with its index, for checks of what the entries vouch for (`audit`). Returns the number of
/// entries.
pub async fn verify_log(
    db: &Db,
    options: &VerifyOptions<'_>,
    report: &mut VerifyReport,
    mut on_entry: impl FnMut(u64, &Value),
) -> Result<u64, LedgerError> {
    let mut leaves: Vec<Hash> = Vec::new();
    // 1. Entries.
    let mut prev: Option<Hash> = None;
    let mut after = -1i64;
    loop {
        let page = db.ledger_entries_after(after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.idx;
        for row in page {
            let expected = leaves.len() as u64;
            if row.idx as u64 != expected {
                report.problem(format!(
                    "entry {expected} is missing: the next stored entry is {} (entries deleted)",
                    row.idx
                ));
            }
            let bytes = row.entry.as_bytes();
            let leaf = merkle::leaf_hash(bytes);
            if hex::encode(leaf) != row.leaf_hash {
                report.problem(format!(
                    "entry {}: its stored leaf hash does not match its bytes (entry edited)",
                    row.idx
                ));
            }
            match parse_canonical(bytes) {
                Err(e) => report.problem(format!("entry {}: {e} (entry edited)", row.idx)),
                Ok(value) => {
                    if value["index"].as_u64() != Some(row.idx as u64) {
                        report.problem(format!(
                            "entry {} says it is entry {} (entries reordered or edited)",
                            row.idx, value["index"]
                        ));
                    }
                    let claimed_prev = value["prev"].as_str().map(str::to_owned);
                    if claimed_prev != prev.map(hex::encode) {
                        report.problem(format!(
                            "entry {}: the hash chain is broken (its prev is not the leaf hash \
                             of the entry before it)",
                            row.idx
                        ));
                    }
                    on_entry(row.idx as u64, &value);
                }
            }
            prev = Some(leaf);
            leaves.push(leaf);
        }
    }
    report.entries = leaves.len() as u64;
    let n = leaves.len() as u64;

    // 2. The tree and the head.
    let levels = build_levels(leaves);
    let counts: HashMap<i64, i64> = db.ledger_node_counts().await?.into_iter().collect();
    for (level, computed) in levels.iter().enumerate() {
        let stored_count = counts.get(&(level as i64)).copied().unwrap_or(0);
        if stored_count as usize != computed.len() {
            report.problem(format!(
                "level {level} of the tree has {stored_count} stored nodes; the entries make {}",
                computed.len()
            ));
        }
        let mut start = 0i64;
        while (start as usize) < computed.len() {
            for (idx, hash) in db.ledger_level(level as i64, start, start + PAGE).await? {
                if computed.get(idx as usize).map(hex::encode) != Some(hash) {
                    report.problem(format!(
                        "tree node (level {level}, index {idx}) does not match the entries"
                    ));
                }
            }
            start += PAGE;
        }
    }
    for (level, count) in &counts {
        if *level as usize >= levels.len() && *count > 0 {
            report.problem(format!("level {level} of the tree should not exist"));
        }
    }
    let head = db.ledger_head().await?;
    if head.size as u64 != n {
        report.problem(format!(
            "the log head says {} entries; {n} are stored",
            head.size
        ));
    }
    match compact_of(&head) {
        Ok(c) if c.size() == n && c.root() == root_at(&levels, n) => {}
        Ok(_) => report.problem("the log head's compact range does not match the entries".into()),
        Err(e) => report.problem(format!("the log head: {e}")),
    }
    if head.last_leaf != prev.map(hex::encode) {
        report.problem("the log head's last leaf does not match the last entry".into());
    }

    // 3. Checkpoints.
    let mut notes: Vec<(String, String)> = db
        .checkpoints()
        .await?
        .into_iter()
        .map(|c| (format!("stored checkpoint at size {}", c.tree_size), c.note))
        .collect();
    notes.extend(options.external_checkpoints.iter().cloned());
    for (label, note) in notes {
        report.checkpoints += 1;
        match options.key.verify(&note) {
            Err(e) => report.problem(format!("{label}: {e}")),
            Ok(cp) if cp.size > n => report.problem(format!(
                "{label}: it commits to {} entries but the log has {n}: the log was rolled back",
                cp.size
            )),
            Ok(cp) if cp.root != root_at(&levels, cp.size) => report.problem(format!(
                "{label}: its root differs from the log's at size {}: the log was rewritten",
                cp.size
            )),
            Ok(_) => {}
        }
    }

    Ok(n)
}

/// Every complete node, level by level, from the leaves up.
fn build_levels(leaves: Vec<Hash>) -> Vec<Vec<Hash>> {
    let mut levels = vec![leaves];
    loop {
        let below = levels.last().expect("at least the leaves");
        if below.len() < 2 {
            return levels;
        }
        let above: Vec<Hash> = below
            .chunks_exact(2)
            .map(|pair| merkle::node_hash(&pair[0], &pair[1]))
            .collect();
        levels.push(above);
    }
}

fn root_at(levels: &[Vec<Hash>], size: u64) -> Hash {
    let hashes: Vec<Hash> = Subtree {
        start: 0,
        end: size,
    }
    .nodes()
    .iter()
    .map(|&(l, i)| levels[l as usize][i as usize])
    .collect();
    Subtree::fold(&hashes)
}
