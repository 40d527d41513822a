//! The integrity log: every event appended as an entry to a hash-chained RFC 9162 Merkle tree,
//! with signed C2SP checkpoints, inclusion and consistency proofs, and full verification.
//!
//! Owns: entry encoding (`entry`), the tree (`merkle`), checkpoints and the log key
//! (`checkpoint`), appends inside the caller's transaction, proofs read in O(log² n) node
//! lookups, and `verify` (the whole log, the records it vouches for, and object fixity).
//! Never reaches: HTTP; the object store only through its public streaming API, in `verify`.

pub mod checkpoint;
pub mod entry;
pub mod merkle;
pub mod proof;
pub mod record;
pub mod verify;

use std::sync::Arc;

use crate::db::{CheckpointRow, Db, DbError, EntryRow, HeadRow, Tx};
use crate::timestamp::Timestamp;

pub use checkpoint::{Checkpoint, CheckpointError, LogSigner, VerifierKey};
pub use entry::{EntryDraft, EntryKind};
pub use merkle::Hash;
pub use record::DossierRecord;

use merkle::{CompactRange, Subtree};

/// An entry as the log holds it: its position, its leaf hash and its exact canonical text.
#[derive(Debug, Clone)]
pub struct LoggedEntry {
    /// Position in the log.
    pub index: u64,
    /// SHA-256(0x00 || entry bytes), hex.
    pub leaf_hash: String,
    /// The exact canonical entry text (RFC 8785 JSON).
    pub entry: String,
}

impl From<EntryRow> for LoggedEntry {
    fn from(row: EntryRow) -> Self {
        Self {
            index: row.idx as u64,
            leaf_hash: row.leaf_hash,
            entry: row.entry,
        }
    }
}

/// The most entries one listing returns.
pub const MAX_ENTRIES_PER_PAGE: u64 = 1000;

/// What can go wrong with the log.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LedgerError {
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// Signing or parsing a checkpoint failed.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    /// An index or size beyond the log, or an inverted range.
    #[error("{0}")]
    OutOfRange(String),
    /// Stored log data does not parse: it was changed outside motcua (`motcua ledger verify`
    /// says where).
    #[error("the stored log is corrupt: {0}")]
    Corrupt(String),
    /// A reader (no log key) needed a checkpoint that is not signed yet.
    #[error("{0}")]
    Unsigned(String),
    /// This instance's key is not the one the log is signed with.
    #[error(
        "the log in this database is signed by {recorded}, but this instance's key is \
         {configured}; configure the log's key (--ledger-key) on every instance"
    )]
    KeyMismatch {
        /// The key recorded in the database.
        recorded: String,
        /// This instance's key.
        configured: String,
    },
}

/// An entry once appended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    /// Its index.
    pub index: u64,
    /// Its leaf hash.
    pub leaf: Hash,
}

fn parse_hash(text: &str, what: &str) -> Result<Hash, LedgerError> {
    hex::decode(text)
        .ok()
        .and_then(|v| v.try_into().ok())
        .ok_or_else(|| LedgerError::Corrupt(format!("{what} is not a 32-byte hex hash")))
}

fn compact_of(head: &HeadRow) -> Result<CompactRange, LedgerError> {
    let roots = head
        .frontier
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|h| parse_hash(h, "the head's compact range"))
        .collect::<Result<Vec<_>, _>>()?;
    CompactRange::from_parts(head.size as u64, roots).ok_or_else(|| {
        LedgerError::Corrupt("the head's compact range does not fit its size".into())
    })
}

fn frontier_text(c: &CompactRange) -> String {
    c.roots()
        .iter()
        .map(hex::encode)
        .collect::<Vec<_>>()
        .join(",")
}

/// Appends entries inside `tx`, the transaction of the change they record: they commit or roll
/// back with it. Appends are totally ordered by the lock on the head row.
pub async fn append(
    tx: &mut Tx,
    time: &Timestamp,
    drafts: &[EntryDraft],
) -> Result<Vec<Appended>, LedgerError> {
    let head = tx.lock_ledger_head().await?;
    let mut compact = compact_of(&head)?;
    let mut prev = head
        .last_leaf
        .as_deref()
        .map(|h| parse_hash(h, "the head's last leaf"))
        .transpose()?;
    let time = time.to_string();
    let mut entries = Vec::with_capacity(drafts.len());
    let mut nodes = Vec::with_capacity(drafts.len() * 2);
    let mut appended = Vec::with_capacity(drafts.len());
    for draft in drafts {
        let index = compact.size();
        let bytes = draft.encode(index, &time, prev.as_ref());
        let leaf = merkle::leaf_hash(&bytes);
        for (level, idx, hash) in compact.push(leaf) {
            nodes.push((i64::from(level), idx as i64, hex::encode(hash)));
        }
        let text = String::from_utf8(bytes).expect("canonical JSON is UTF-8");
        entries.push((index as i64, hex::encode(leaf), text));
        appended.push(Appended { index, leaf });
        prev = Some(leaf);
    }
    tx.insert_ledger_entries(&entries).await?;
    tx.insert_ledger_nodes(&nodes).await?;
    tx.update_ledger_head(&HeadRow {
        size: compact.size() as i64,
        last_leaf: prev.map(hex::encode),
        frontier: frontier_text(&compact),
    })
    .await?;
    Ok(appended)
}

/// A checkpoint as served: the signed note and its content.
#[derive(Debug, Clone)]
pub struct SignedCheckpoint {
    /// The note text.
    pub note: String,
    /// Its tree size.
    pub size: u64,
    /// Its root.
    pub root: Hash,
}

/// Reading the log, proving, and publishing checkpoints.
#[derive(Clone)]
pub struct Ledger {
    db: Db,
    /// None for a reader (`Ledger::reader`): it proves against checkpoints already signed.
    signer: Option<Arc<LogSigner>>,
    verifier: VerifierKey,
    origin: String,
}

impl Ledger {
    /// Opens the log with this instance's key. The first instance records its verifier key in
    /// the database; any later instance with another key is refused.
    pub async fn open(db: Db, origin: &str, signer: LogSigner) -> Result<Self, LedgerError> {
        let mine = signer.verifier().to_string();
        let recorded = db
            .register_ledger_key(&mine, &Timestamp::now().to_string())
            .await?;
        if recorded != mine {
            return Err(LedgerError::KeyMismatch {
                recorded,
                configured: mine,
            });
        }
        Ok(Self {
            db,
            verifier: signer.verifier().clone(),
            signer: Some(Arc::new(signer)),
            origin: origin.to_owned(),
        })
    }

    /// Opens the log without its signing key (the key recorded in the database identifies
    /// it): it reads and proves against checkpoints the service has already signed, and signs
    /// none. For tools that must not hold the log key (`motcua archive export`).
    pub async fn reader(db: Db) -> Result<Self, LedgerError> {
        let recorded = db.ledger_key().await?.ok_or_else(|| {
            LedgerError::Unsigned("the log has no key yet: start the service once".into())
        })?;
        let verifier = VerifierKey::parse(&recorded)?;
        Ok(Self {
            db,
            origin: verifier.name().to_owned(),
            verifier,
            signer: None,
        })
    }

    /// The verifier key, in signed-note form.
    pub fn verifier(&self) -> &VerifierKey {
        &self.verifier
    }

    /// The number of entries.
    pub async fn size(&self) -> Result<u64, LedgerError> {
        Ok(self.db.ledger_head().await?.size as u64)
    }

    fn row_to_signed(row: CheckpointRow) -> Result<SignedCheckpoint, LedgerError> {
        Ok(SignedCheckpoint {
            root: parse_hash(&row.root_hash, "a checkpoint root")?,
            size: row.tree_size as u64,
            note: row.note,
        })
    }

    /// Signs and stores a checkpoint of the current head unless the latest already covers it;
    /// returns the latest checkpoint.
    pub async fn publish_checkpoint(&self) -> Result<SignedCheckpoint, LedgerError> {
        let head = self.db.ledger_head().await?;
        if let Some(latest) = self.db.latest_checkpoint().await?
            && latest.tree_size >= head.size
        {
            return Self::row_to_signed(latest);
        }
        let compact = compact_of(&head)?;
        let checkpoint = Checkpoint {
            origin: self.origin.clone(),
            size: compact.size(),
            root: compact.root(),
        };
        let Some(signer) = &self.signer else {
            return Err(LedgerError::Unsigned(format!(
                "no signed checkpoint covers the log's {} entries yet; the service signs one \
                 every checkpoint interval",
                head.size
            )));
        };
        let note = signer.sign(&checkpoint)?;
        self.db
            .insert_checkpoint(&CheckpointRow {
                tree_size: head.size,
                root_hash: hex::encode(checkpoint.root),
                note,
                created_at: Timestamp::now().to_string(),
            })
            .await?;
        let latest = self
            .db
            .latest_checkpoint()
            .await?
            .ok_or_else(|| LedgerError::Corrupt("a checkpoint vanished".into()))?;
        Self::row_to_signed(latest)
    }

    /// A checkpoint whose tree holds at least `size` entries (signing one if needed).
    pub async fn checkpoint_covering(&self, size: u64) -> Result<SignedCheckpoint, LedgerError> {
        if let Some(latest) = self.db.latest_checkpoint().await?
            && latest.tree_size as u64 >= size
        {
            return Self::row_to_signed(latest);
        }
        self.publish_checkpoint().await
    }

    /// A record's proof in `format`: its entry at `index`, the entry's inclusion proof in
    /// `checkpoint`'s tree (which must cover it), the checkpoint and the log's key. `record`
    /// describes what is proven (at least its `id` and `sha256`, as the entry logs them).
    pub async fn record_proof(
        &self,
        format: &str,
        record: serde_json::Value,
        index: u64,
        checkpoint: &SignedCheckpoint,
    ) -> Result<proof::DocumentProof, LedgerError> {
        use base64::Engine as _;
        let path = self.inclusion_proof(index, checkpoint.size).await?;
        let row = self.entry(index).await?;
        let proof = proof::DocumentProof {
            format: format.into(),
            document: record,
            inclusion: proof::ProofInclusion {
                index,
                tree_size: checkpoint.size,
                leaf_hash: row.leaf_hash.clone(),
                path: path.iter().map(hex::encode).collect(),
            },
            entry: proof::ProofEntry {
                index: row.index,
                leaf_hash: row.leaf_hash,
                entry_b64: base64::engine::general_purpose::STANDARD.encode(row.entry.as_bytes()),
                entry: serde_json::from_str(&row.entry).unwrap_or(serde_json::Value::Null),
            },
            checkpoint: checkpoint.note.clone(),
            verifier_key: self.verifier().to_string(),
        };
        Ok(proof)
    }

    /// Entries `start..end`, at most [`MAX_ENTRIES_PER_PAGE`].
    pub async fn entries(&self, start: u64, end: u64) -> Result<Vec<LoggedEntry>, LedgerError> {
        if start > end {
            return Err(LedgerError::OutOfRange("start must not exceed end".into()));
        }
        let end = end.min(start.saturating_add(MAX_ENTRIES_PER_PAGE));
        Ok(self
            .db
            .ledger_entries(start as i64, end as i64)
            .await?
            .into_iter()
            .map(LoggedEntry::from)
            .collect())
    }

    /// One entry.
    pub async fn entry(&self, index: u64) -> Result<LoggedEntry, LedgerError> {
        self.db
            .ledger_entries(index as i64, index as i64 + 1)
            .await?
            .pop()
            .map(LoggedEntry::from)
            .ok_or_else(|| LedgerError::OutOfRange(format!("no entry {index}")))
    }

    /// The hashes of `subtrees` of the tree of `size` entries, in one query. The last leaf
    /// (`size - 1`) is fetched with them: leaves are contiguous, so its presence proves `size`
    /// is within the log without another round trip; only on absence is the head consulted, to
    /// tell "beyond the log" from a corrupt store.
    async fn subtree_hashes(
        &self,
        size: u64,
        subtrees: &[Subtree],
    ) -> Result<Vec<Hash>, LedgerError> {
        let last_leaf = (0i64, size as i64 - 1);
        let mut wanted: Vec<(i64, i64)> = subtrees
            .iter()
            .flat_map(|s| s.nodes())
            .map(|(l, i)| (i64::from(l), i as i64))
            .collect();
        wanted.push(last_leaf);
        let found: std::collections::HashMap<(i64, i64), String> = self
            .db
            .ledger_nodes(&wanted)
            .await?
            .into_iter()
            .map(|(l, i, h)| ((l, i), h))
            .collect();
        if !found.contains_key(&last_leaf) {
            self.check_size(size).await?;
            return Err(LedgerError::Corrupt(format!(
                "leaf {} is missing",
                size - 1
            )));
        }
        subtrees
            .iter()
            .map(|s| {
                let hashes = s
                    .nodes()
                    .iter()
                    .map(|&(l, i)| {
                        let key = (i64::from(l), i as i64);
                        let text = found.get(&key).ok_or_else(|| {
                            LedgerError::Corrupt(format!("tree node {key:?} is missing"))
                        })?;
                        parse_hash(text, "a tree node")
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Subtree::fold(&hashes))
            })
            .collect()
    }

    async fn check_size(&self, size: u64) -> Result<(), LedgerError> {
        let current = self.size().await?;
        if size > current {
            return Err(LedgerError::OutOfRange(format!(
                "tree size {size} is beyond the log's {current} entries"
            )));
        }
        Ok(())
    }

    /// The root of the tree of the first `size` entries.
    pub async fn root_at(&self, size: u64) -> Result<Hash, LedgerError> {
        if size == 0 {
            self.check_size(size).await?;
            return Ok(merkle::empty_root());
        }
        let whole = Subtree {
            start: 0,
            end: size,
        };
        Ok(self.subtree_hashes(size, &[whole]).await?[0])
    }

    /// The inclusion proof of entry `index` in the tree of `size` entries (RFC 9162 §2.1.3).
    pub async fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, LedgerError> {
        if index >= size {
            return Err(LedgerError::OutOfRange(
                "index must be below tree_size".into(),
            ));
        }
        self.subtree_hashes(size, &merkle::inclusion_subtrees(index, size))
            .await
    }

    /// The consistency proof from the tree of `first` entries to that of `second` (RFC 9162
    /// §2.1.4).
    pub async fn consistency_proof(
        &self,
        first: u64,
        second: u64,
    ) -> Result<Vec<Hash>, LedgerError> {
        if first > second {
            return Err(LedgerError::OutOfRange(
                "first must not exceed second".into(),
            ));
        }
        if second == 0 {
            return Ok(Vec::new());
        }
        self.subtree_hashes(second, &merkle::consistency_subtrees(first, second))
            .await
    }
}
