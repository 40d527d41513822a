//! Content-addressed, immutable object storage.
//!
//! Owns: the local-directory store (embedded default) and the S3-compatible store (production),
//! streaming SHA-256 while bytes arrive, durability before an upload is reported finished, and the
//! sweep that removes orphans. An object's name is the SHA-256 of its bytes, so the same bytes are
//! stored once and an object never changes.
//!
//! Never reaches: the database, HTTP, the ledger. Whether an object is still referenced is the
//! caller's question (see [`ObjectStore::sweep`]).

mod digest;
mod local;
mod s3;

use std::pin::Pin;
use std::time::{Duration, SystemTime};

use bytes::{Bytes, BytesMut};
use futures_util::Stream;

pub use digest::{InvalidDigest, Sha256Digest, StreamingHasher};
pub use local::LocalStore;
pub use s3::{S3Settings, S3Store};

/// Bytes are handed to the backends in blocks of this size: large enough that per-block costs
/// (a thread hop, a syscall) vanish, small enough that an upload holds a few MiB at most.
pub const BLOCK_SIZE: usize = 1024 * 1024;

/// A stream of object bytes.
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, std::io::Error>> + Send>>;

/// What can go wrong in the object store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// No object with this digest is stored.
    #[error("object {0} is not in the store")]
    NotFound(Sha256Digest),
    /// The local file system failed.
    #[error("local store: {context}: {source}")]
    Io {
        /// What the store was doing.
        context: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The S3 service failed or refused.
    #[error("S3 {operation} failed: {message}")]
    S3 {
        /// The S3 operation (`PutObject`, `UploadPart`, ...).
        operation: &'static str,
        /// The service's or the SDK's explanation.
        message: String,
    },
    /// The object would be larger than this store accepts.
    #[error("objects larger than {limit} bytes cannot be stored here")]
    TooLarge {
        /// The store's limit in bytes.
        limit: u64,
    },
}

impl StorageError {
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }
}

/// A stored object's address and size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredObject {
    /// SHA-256 of the bytes.
    pub sha256: Sha256Digest,
    /// Length in bytes.
    pub size: u64,
}

/// An object that is in the store and older than a sweep's grace period.
#[derive(Debug, Clone)]
pub struct ObjectListing {
    /// The object's address.
    pub sha256: Sha256Digest,
    /// When it was last written.
    pub modified: SystemTime,
}

/// The object store: one interface, two implementations.
#[derive(Clone)]
pub enum ObjectStore {
    /// A directory on a local file system (embedded default).
    Local(std::sync::Arc<LocalStore>),
    /// An S3-compatible bucket (production).
    S3(std::sync::Arc<S3Store>),
}

impl ObjectStore {
    /// Starts a streamed upload. Feed it with [`Upload::write`], then [`Upload::finish`].
    pub async fn begin_upload(&self) -> Result<Upload, StorageError> {
        let backend = match self {
            Self::Local(s) => Backend::Local(s.begin_upload().await?),
            Self::S3(s) => Backend::S3(s.begin_upload()),
        };
        Ok(Upload {
            backend,
            block: BytesMut::with_capacity(BLOCK_SIZE),
            size: 0,
        })
    }

    /// Stores `bytes` in one call (for small objects the service makes itself).
    pub async fn put_bytes(&self, bytes: Bytes) -> Result<StoredObject, StorageError> {
        let mut upload = self.begin_upload().await?;
        if let Err(e) = upload.write(bytes).await {
            upload.abort().await;
            return Err(e);
        }
        upload.finish().await
    }

    /// Streams the object's bytes, or the byte range `start..end` (end exclusive) of them.
    pub async fn get(
        &self,
        sha256: &Sha256Digest,
        range: Option<std::ops::Range<u64>>,
    ) -> Result<ByteStream, StorageError> {
        match self {
            Self::Local(s) => s.get(sha256, range).await,
            Self::S3(s) => s.get(sha256, range).await,
        }
    }

    /// The object's size, or `None` when it is not stored.
    pub async fn size(&self, sha256: &Sha256Digest) -> Result<Option<u64>, StorageError> {
        match self {
            Self::Local(s) => s.size(sha256).await,
            Self::S3(s) => s.size(sha256).await,
        }
    }

    /// When the object was last written, or `None` when it is not stored.
    pub async fn modified(
        &self,
        sha256: &Sha256Digest,
    ) -> Result<Option<SystemTime>, StorageError> {
        match self {
            Self::Local(s) => s.modified(sha256).await,
            Self::S3(s) => s.modified(sha256).await,
        }
    }

    /// Deletes an object. Deleting what is absent is not an error.
    pub async fn delete(&self, sha256: &Sha256Digest) -> Result<(), StorageError> {
        match self {
            Self::Local(s) => s.delete(sha256).await,
            Self::S3(s) => s.delete(sha256).await,
        }
    }

    /// Objects last written before `cutoff`.
    pub async fn list_older_than(
        &self,
        cutoff: SystemTime,
    ) -> Result<Vec<ObjectListing>, StorageError> {
        match self {
            Self::Local(s) => s.list_older_than(cutoff).await,
            Self::S3(s) => s.list_older_than(cutoff).await,
        }
    }

    /// Removes unfinished uploads (temporary files, S3 multipart uploads) started before `cutoff`.
    /// Returns how many were removed.
    pub async fn sweep_unfinished(&self, cutoff: SystemTime) -> Result<usize, StorageError> {
        match self {
            Self::Local(s) => s.sweep_unfinished(cutoff).await,
            Self::S3(s) => s.sweep_unfinished(cutoff).await,
        }
    }

    /// Deletes orphans: unfinished uploads, and finished objects for which `is_referenced` says
    /// no, provided both are older than `grace`.
    ///
    /// Why the grace period is safe: every finished upload rewrites its object (same bytes), which
    /// refreshes its modification time, and the caller commits the record that refers to it well
    /// within the grace period. So an object that a request is about to reference is never older
    /// than the grace period, even when the same bytes were stored and orphaned long before.
    pub async fn sweep<F, Fut, E>(
        &self,
        grace: Duration,
        mut is_referenced: F,
    ) -> Result<SweepReport, SweepError<E>>
    where
        F: FnMut(Sha256Digest) -> Fut,
        Fut: std::future::Future<Output = Result<bool, E>>,
    {
        let cutoff = SystemTime::now()
            .checked_sub(grace)
            .unwrap_or(SystemTime::UNIX_EPOCH);
        let mut report = SweepReport {
            unfinished_removed: self.sweep_unfinished(cutoff).await?,
            ..SweepReport::default()
        };
        for listing in self.list_older_than(cutoff).await? {
            report.examined += 1;
            if !is_referenced(listing.sha256)
                .await
                .map_err(SweepError::Reference)?
            {
                self.delete(&listing.sha256).await?;
                report.orphans_removed += 1;
            }
        }
        Ok(report)
    }

    /// Checks that the store can be reached (for `/readyz`).
    pub async fn check(&self) -> Result<(), StorageError> {
        match self {
            Self::Local(s) => s.check().await,
            Self::S3(s) => s.check().await,
        }
    }

    /// Whether stored objects can be locked against deletion (S3 Object Lock), detected at start
    /// and shown in `/readyz`.
    pub async fn object_lock(&self) -> ObjectLock {
        match self {
            Self::Local(_) => ObjectLock::NotApplicable,
            Self::S3(s) => s.object_lock().await,
        }
    }

    /// Locks an object against deletion and change until `until` where the store can (an S3
    /// bucket with Object Lock: COMPLIANCE mode, which nobody can shorten). A lock is only
    /// ever extended. Elsewhere nothing happens ([`Retained::NotApplicable`]).
    pub async fn retain(
        &self,
        sha256: &Sha256Digest,
        until: time::OffsetDateTime,
    ) -> Result<Retained, StorageError> {
        match self {
            Self::Local(_) => Ok(Retained::NotApplicable),
            Self::S3(s) => s.retain(sha256, until).await,
        }
    }

    /// Whether objects can be locked here (a bucket with Object Lock on).
    pub async fn locks_objects(&self) -> bool {
        match self {
            Self::Local(_) => false,
            Self::S3(s) => s.locks().await,
        }
    }

    /// A short description for logs and `/readyz`: `local:/path` or `s3:bucket/prefix`.
    pub fn describe(&self) -> String {
        match self {
            Self::Local(s) => format!("local:{}", s.root().display()),
            Self::S3(s) => s.describe(),
        }
    }
}

/// What a [`ObjectStore::sweep`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SweepReport {
    /// Finished objects older than the grace period that were looked at.
    pub examined: usize,
    /// Of those, how many no record referred to, and were deleted.
    pub orphans_removed: usize,
    /// Unfinished uploads removed.
    pub unfinished_removed: usize,
}

/// A sweep failed in the store or while asking whether an object is referenced.
#[derive(Debug, thiserror::Error)]
pub enum SweepError<E> {
    /// The store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The reference check failed.
    #[error("checking references: {0}")]
    Reference(E),
}

enum Backend {
    Local(local::LocalUpload),
    S3(s3::S3Upload),
}

/// A streamed upload in progress. Bytes are hashed as they come; the object gets its address
/// only when [`finish`](Upload::finish) has made it durable. Dropping an upload without finishing
/// it leaves a temporary that [`ObjectStore::sweep`] removes; call [`abort`](Upload::abort) to
/// remove it at once.
pub struct Upload {
    backend: Backend,
    block: BytesMut,
    size: u64,
}

impl Upload {
    /// Appends bytes.
    pub async fn write(&mut self, mut chunk: Bytes) -> Result<(), StorageError> {
        self.size += chunk.len() as u64;
        while !chunk.is_empty() {
            let room = BLOCK_SIZE - self.block.len();
            let take = room.min(chunk.len());
            self.block.extend_from_slice(&chunk.split_to(take));
            if self.block.len() == BLOCK_SIZE {
                self.flush_block().await?;
            }
        }
        Ok(())
    }

    async fn flush_block(&mut self) -> Result<(), StorageError> {
        let block = std::mem::replace(&mut self.block, BytesMut::with_capacity(BLOCK_SIZE));
        let block = block.freeze();
        match &mut self.backend {
            Backend::Local(u) => u.write_block(block).await,
            Backend::S3(u) => u.write_block(block).await,
        }
    }

    /// Bytes written so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Makes the object durable under its SHA-256 and returns its address.
    pub async fn finish(mut self) -> Result<StoredObject, StorageError> {
        if !self.block.is_empty()
            && let Err(e) = self.flush_block().await
        {
            self.abort().await;
            return Err(e);
        }
        match self.backend {
            Backend::Local(u) => u.finish().await,
            Backend::S3(u) => u.finish().await,
        }
    }

    /// Gives up, removing what was written. Best effort: a leftover is swept later.
    pub async fn abort(self) {
        match self.backend {
            Backend::Local(u) => u.abort().await,
            Backend::S3(u) => u.abort().await,
        }
    }
}

/// Object Lock (WORM retention) of the object store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectLock {
    /// A local directory: no such thing.
    NotApplicable,
    /// The S3 service does not implement it (its error code).
    Unsupported(String),
    /// The bucket has it off.
    Disabled,
    /// The bucket has it on, with this default retention if any (e.g. `COMPLIANCE 3650 days`).
    Enabled {
        /// The default retention rule.
        default: Option<String>,
    },
}

impl std::fmt::Display for ObjectLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotApplicable => f.write_str("not applicable (local directory)"),
            Self::Unsupported(code) => write!(f, "unsupported by the S3 service ({code})"),
            Self::Disabled => f.write_str("disabled on the bucket"),
            Self::Enabled { default: None } => f.write_str("enabled"),
            Self::Enabled { default: Some(d) } => write!(f, "enabled, default retention {d}"),
        }
    }
}

/// What [`ObjectStore::retain`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retained {
    /// The store has no Object Lock (a local directory, or a bucket without it).
    NotApplicable,
    /// Locked until then.
    Until(time::OffsetDateTime),
    /// Locked at least until then already.
    AlreadyUntil(time::OffsetDateTime),
}

/// What re-hashing a stored object found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fixity {
    /// Its bytes hash to its name and it has the recorded size.
    Intact,
    /// The store does not have it.
    Missing,
    /// It could not be read.
    Unreadable(String),
    /// Its bytes now hash to this.
    Changed(Sha256Digest),
    /// It has this many bytes, not the recorded number.
    WrongSize(u64),
}

impl ObjectStore {
    /// Re-hashes an object, streaming, against its name and `size`; `on_bytes` is told of each
    /// chunk's length (for progress and rate limits).
    pub async fn fixity(
        &self,
        sha256: &Sha256Digest,
        size: u64,
        mut on_bytes: impl FnMut(u64),
    ) -> Fixity {
        use futures_util::StreamExt as _;
        let mut stream = match self.get(sha256, None).await {
            Ok(s) => s,
            Err(StorageError::NotFound(_)) => return Fixity::Missing,
            Err(e) => return Fixity::Unreadable(e.to_string()),
        };
        let mut hasher = StreamingHasher::default();
        while let Some(chunk) = stream.next().await {
            match chunk {
                Ok(bytes) => {
                    hasher.update(&bytes);
                    on_bytes(bytes.len() as u64);
                }
                Err(e) => return Fixity::Unreadable(e.to_string()),
            }
        }
        let len = hasher.len();
        let actual = hasher.finish();
        if actual != *sha256 {
            Fixity::Changed(actual)
        } else if len != size {
            Fixity::WrongSize(len)
        } else {
            Fixity::Intact
        }
    }
}
