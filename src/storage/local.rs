//! The local-directory object store (the embedded default).
//!
//! Layout under the root: `objects/sha256/<2 hex>/<64 hex>` for finished objects and
//! `tmp/<uuid>.part` for uploads in progress. An upload is written to its temporary file by a
//! blocking writer thread (so hashing on the receiving side and writing overlap), fsync'd, renamed
//! onto its content address and the directory fsync'd: only then is it reported finished.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use bytes::Bytes;
use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::io::ReaderStream;

use super::{ByteStream, ObjectListing, Sha256Digest, StorageError, StoredObject, StreamingHasher};

/// Blocks queued between the receiving task and the writer thread: bounds memory per upload to
/// this many [`super::BLOCK_SIZE`] blocks.
const WRITE_QUEUE: usize = 4;

/// A content-addressed store in a local directory.
#[derive(Debug)]
pub struct LocalStore {
    root: PathBuf,
}

impl LocalStore {
    /// Opens (creating if needed) a store rooted at `root`.
    pub async fn open(root: impl Into<PathBuf>) -> Result<Self, StorageError> {
        let root = root.into();
        for dir in [root.join("objects/sha256"), root.join("tmp")] {
            tokio::fs::create_dir_all(&dir)
                .await
                .map_err(|e| StorageError::io(format!("creating {}", dir.display()), e))?;
        }
        Ok(Self { root })
    }

    /// The store's root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the object with this digest lives.
    pub fn object_path(&self, sha256: &Sha256Digest) -> PathBuf {
        let hex = sha256.to_hex();
        self.root.join("objects/sha256").join(&hex[..2]).join(hex)
    }

    pub(super) async fn begin_upload(&self) -> Result<LocalUpload, StorageError> {
        let tmp = self
            .root
            .join("tmp")
            .join(format!("{}.part", uuid::Uuid::new_v4()));
        let file = std::fs::File::create_new(&tmp)
            .map_err(|e| StorageError::io(format!("creating {}", tmp.display()), e))?;
        let (tx, mut rx) = mpsc::channel::<Bytes>(WRITE_QUEUE);
        let tmp_for_writer = tmp.clone();
        let writer = tokio::task::spawn_blocking(move || -> Result<(), StorageError> {
            let mut file = file;
            let mut write_behind = WriteBehind::default();
            while let Some(block) = rx.blocking_recv() {
                file.write_all(&block).map_err(|e| {
                    StorageError::io(format!("writing {}", tmp_for_writer.display()), e)
                })?;
                write_behind.wrote(&file, block.len() as u64);
            }
            file.sync_all()
                .map_err(|e| StorageError::io(format!("syncing {}", tmp_for_writer.display()), e))
        });
        Ok(LocalUpload {
            objects: self.root.join("objects/sha256"),
            tmp,
            hasher: StreamingHasher::default(),
            tx: Some(tx),
            writer,
        })
    }

    pub(super) async fn get(
        &self,
        sha256: &Sha256Digest,
        range: Option<std::ops::Range<u64>>,
    ) -> Result<ByteStream, StorageError> {
        let path = self.object_path(sha256);
        let mut file = match tokio::fs::File::open(&path).await {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(StorageError::NotFound(*sha256));
            }
            Err(e) => return Err(StorageError::io(format!("opening {}", path.display()), e)),
        };
        match range {
            None => Ok(Box::pin(ReaderStream::with_capacity(file, 256 * 1024))),
            Some(r) => {
                file.seek(std::io::SeekFrom::Start(r.start))
                    .await
                    .map_err(|e| StorageError::io(format!("seeking {}", path.display()), e))?;
                let limited = file.take(r.end.saturating_sub(r.start));
                Ok(Box::pin(ReaderStream::with_capacity(limited, 256 * 1024)))
            }
        }
    }

    pub(super) async fn size(&self, sha256: &Sha256Digest) -> Result<Option<u64>, StorageError> {
        let path = self.object_path(sha256);
        match tokio::fs::metadata(&path).await {
            Ok(m) => Ok(Some(m.len())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StorageError::io(format!("reading {}", path.display()), e)),
        }
    }

    pub(super) async fn modified(
        &self,
        sha256: &Sha256Digest,
    ) -> Result<Option<std::time::SystemTime>, StorageError> {
        let path = self.object_path(sha256);
        match tokio::fs::metadata(&path).await.and_then(|m| m.modified()) {
            Ok(t) => Ok(Some(t)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StorageError::io(format!("reading {}", path.display()), e)),
        }
    }

    pub(super) async fn delete(&self, sha256: &Sha256Digest) -> Result<(), StorageError> {
        let path = self.object_path(sha256);
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(StorageError::io(format!("deleting {}", path.display()), e)),
        }
    }

    pub(super) async fn list_older_than(
        &self,
        cutoff: SystemTime,
    ) -> Result<Vec<ObjectListing>, StorageError> {
        let root = self.root.join("objects/sha256");
        tokio::task::spawn_blocking(move || {
            let mut out = Vec::new();
            let shards = std::fs::read_dir(&root)
                .map_err(|e| StorageError::io(format!("listing {}", root.display()), e))?;
            for shard in shards.flatten() {
                let Ok(entries) = std::fs::read_dir(shard.path()) else {
                    continue;
                };
                for entry in entries.flatten() {
                    let name = entry.file_name();
                    let Some(sha256) = name.to_str().and_then(|n| Sha256Digest::from_hex(n).ok())
                    else {
                        continue;
                    };
                    let Ok(modified) = entry.metadata().and_then(|m| m.modified()) else {
                        continue;
                    };
                    if modified < cutoff {
                        out.push(ObjectListing { sha256, modified });
                    }
                }
            }
            Ok(out)
        })
        .await
        .map_err(|e| StorageError::io("listing objects", std::io::Error::other(e)))?
    }

    pub(super) async fn sweep_unfinished(&self, cutoff: SystemTime) -> Result<usize, StorageError> {
        let tmp = self.root.join("tmp");
        tokio::task::spawn_blocking(move || {
            let mut removed = 0;
            let entries = std::fs::read_dir(&tmp)
                .map_err(|e| StorageError::io(format!("listing {}", tmp.display()), e))?;
            for entry in entries.flatten() {
                let old = entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .is_ok_and(|m| m < cutoff);
                if old && std::fs::remove_file(entry.path()).is_ok() {
                    removed += 1;
                }
            }
            Ok(removed)
        })
        .await
        .map_err(|e| StorageError::io("sweeping tmp", std::io::Error::other(e)))?
    }

    pub(super) async fn check(&self) -> Result<(), StorageError> {
        let probe = self.root.join("tmp").join(".ready");
        tokio::fs::write(&probe, b"ok")
            .await
            .map_err(|e| StorageError::io(format!("writing {}", probe.display()), e))?;
        tokio::fs::remove_file(&probe)
            .await
            .map_err(|e| StorageError::io(format!("removing {}", probe.display()), e))
    }
}

/// An upload into a [`LocalStore`].
pub(super) struct LocalUpload {
    objects: PathBuf,
    tmp: PathBuf,
    hasher: StreamingHasher,
    tx: Option<mpsc::Sender<Bytes>>,
    writer: JoinHandle<Result<(), StorageError>>,
}

impl LocalUpload {
    pub(super) async fn write_block(&mut self, block: Bytes) -> Result<(), StorageError> {
        self.hasher.update(&block);
        let sent = match &self.tx {
            Some(tx) => tx.send(block).await.is_ok(),
            None => false,
        };
        if sent {
            return Ok(());
        }
        // The writer thread stopped: it holds the error.
        self.tx = None;
        let writer = std::mem::replace(&mut self.writer, tokio::spawn(async { Ok(()) }));
        Err(join_writer(writer).await.err().unwrap_or_else(|| {
            StorageError::io("writing", std::io::Error::other("writer stopped"))
        }))
    }

    pub(super) async fn finish(mut self) -> Result<StoredObject, StorageError> {
        self.tx = None;
        let writer = std::mem::replace(&mut self.writer, tokio::spawn(async { Ok(()) }));
        if let Err(e) = join_writer(writer).await {
            let _ = tokio::fs::remove_file(&self.tmp).await;
            return Err(e);
        }
        let size = self.hasher.len();
        let sha256 = std::mem::take(&mut self.hasher).finish();
        let hex = sha256.to_hex();
        let shard = self.objects.join(&hex[..2]);
        let target = shard.join(&hex);
        let tmp = self.tmp.clone();
        let objects = self.objects.clone();
        let placed = tokio::task::spawn_blocking(move || -> Result<(), StorageError> {
            let created = !shard.exists();
            std::fs::create_dir_all(&shard)
                .map_err(|e| StorageError::io(format!("creating {}", shard.display()), e))?;
            // Renaming over an existing object replaces identical bytes and refreshes its
            // modification time, which the orphan sweep relies on.
            std::fs::rename(&tmp, &target)
                .map_err(|e| StorageError::io(format!("placing {}", target.display()), e))?;
            sync_dir(&shard)?;
            if created {
                sync_dir(&objects)?;
            }
            Ok(())
        })
        .await
        .map_err(|e| StorageError::io("placing object", std::io::Error::other(e)))
        .and_then(|r| r);
        if let Err(e) = placed {
            let _ = tokio::fs::remove_file(&self.tmp).await;
            return Err(e);
        }
        Ok(StoredObject { sha256, size })
    }

    pub(super) async fn abort(mut self) {
        self.tx = None;
        let writer = std::mem::replace(&mut self.writer, tokio::spawn(async { Ok(()) }));
        let _ = join_writer(writer).await;
        let _ = tokio::fs::remove_file(&self.tmp).await;
    }
}

async fn join_writer(writer: JoinHandle<Result<(), StorageError>>) -> Result<(), StorageError> {
    writer
        .await
        .map_err(|e| StorageError::io("writer thread", std::io::Error::other(e)))?
}

/// Starts writing dirty pages to disk while the upload is still arriving, so that the final
/// fsync has little left to do and the disk works in parallel with the network and the hash.
/// Every [`WRITE_BEHIND_CHUNK`] bytes: start write-back of the chunk just written and wait for
/// the one before it, which also bounds the dirty pages one upload holds. Linux only
/// (sync_file_range(2)); elsewhere the final fsync does all the work. Durability still rests on
/// that fsync: this only moves work earlier.
#[derive(Default)]
struct WriteBehind {
    written: u64,
    kicked: u64,
}

const WRITE_BEHIND_CHUNK: u64 = 8 * 1024 * 1024;

impl WriteBehind {
    fn wrote(&mut self, file: &std::fs::File, len: u64) {
        self.written += len;
        while self.written - self.kicked >= WRITE_BEHIND_CHUNK {
            #[cfg(target_os = "linux")]
            {
                use std::os::fd::AsRawFd as _;
                let fd = file.as_raw_fd();
                // SAFETY: sync_file_range only reads its integer arguments; the descriptor is
                // open for the lifetime of `file`. Failures are harmless: the fsync at the end
                // is what makes the object durable.
                unsafe {
                    libc::sync_file_range(
                        fd,
                        self.kicked as libc::off64_t,
                        WRITE_BEHIND_CHUNK as libc::off64_t,
                        libc::SYNC_FILE_RANGE_WRITE,
                    );
                    if self.kicked >= WRITE_BEHIND_CHUNK {
                        libc::sync_file_range(
                            fd,
                            (self.kicked - WRITE_BEHIND_CHUNK) as libc::off64_t,
                            WRITE_BEHIND_CHUNK as libc::off64_t,
                            libc::SYNC_FILE_RANGE_WAIT_BEFORE
                                | libc::SYNC_FILE_RANGE_WRITE
                                | libc::SYNC_FILE_RANGE_WAIT_AFTER,
                        );
                    }
                }
            }
            #[cfg(not(target_os = "linux"))]
            let _ = file;
            self.kicked += WRITE_BEHIND_CHUNK;
        }
    }
}

fn sync_dir(dir: &Path) -> Result<(), StorageError> {
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StorageError::io(format!("syncing {}", dir.display()), e))
}
