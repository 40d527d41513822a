//! BagIt bags (RFC 8493, version 1.0) as motcua writes them: the payload under `data/`, the
//! SHA-256 payload and tag manifests, `bag-info.txt`, and tag files of our own (`proofs/`).
//!
//! A bag is planned first ([`BagBuilder`] → [`Bag`]): every file's path, size and SHA-256 are
//! known before a byte is written, because stored objects are named by their SHA-256. That lets
//! one plan be written either to a directory (the CLI) or as a tar stream (the API) without
//! holding any object in memory. While copying, each object is hashed again: an object that no
//! longer matches its name stops the export instead of landing in a bag that would then fail.
//!
//! Owns: bag layout, manifests, writing. Never reaches: SQL, the log (see `export`).

use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures_util::StreamExt as _;
use tokio::io::AsyncWriteExt as _;

use crate::storage::{ObjectStore, Sha256Digest, StorageError, StreamingHasher};

/// `bagit.txt`, the bag declaration.
pub const DECLARATION: &str = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n";

/// Why a bag could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BagError {
    /// Two files with one path, or a path that would leave the bag.
    #[error("bad bag path {0:?}")]
    BadPath(String),
    /// The destination exists.
    #[error("{0} already exists; choose a new destination")]
    Exists(String),
    /// The file system failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The object store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// A stored object no longer matches its name: the store was changed.
    #[error("stored object {expected} now hashes to {actual} ({size} bytes): not exported")]
    Altered {
        /// Its name.
        expected: Sha256Digest,
        /// What its bytes hash to.
        actual: Sha256Digest,
        /// How many bytes were read.
        size: u64,
    },
}

fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> BagError {
    let context = context.into();
    move |source| BagError::Io { context, source }
}

/// Where a file's bytes come from.
#[derive(Debug, Clone)]
pub enum Source {
    /// Made by the export (tag files, descriptions).
    Bytes(Bytes),
    /// A stored object.
    Object,
}

/// One file of a bag.
#[derive(Debug, Clone)]
pub struct BagFile {
    /// Its path inside the bag (`data/...`, `proofs/...`, `bag-info.txt`), `/`-separated.
    pub path: String,
    /// Bytes.
    pub size: u64,
    /// SHA-256 of the bytes (for an object: its name).
    pub sha256: Sha256Digest,
    /// The bytes.
    pub source: Source,
}

/// A planned bag: every file in the order it is written.
#[derive(Debug, Clone)]
pub struct Bag {
    /// Tag files first, then the payload.
    pub files: Vec<BagFile>,
    /// Payload bytes.
    pub payload_bytes: u64,
    /// Payload files.
    pub payload_files: u64,
}

/// Plans a bag.
#[derive(Debug, Default)]
pub struct BagBuilder {
    payload: Vec<BagFile>,
    tags: Vec<BagFile>,
    info: Vec<(String, String)>,
    paths: std::collections::HashSet<String>,
}

/// Percent-encodes what a manifest line cannot hold (RFC 8493 §2.1.3: CR, LF and `%`).
pub fn encode_manifest_path(path: &str) -> String {
    path.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// The inverse of [`encode_manifest_path`].
pub fn decode_manifest_path(path: &str) -> String {
    path.replace("%0D", "\r")
        .replace("%0d", "\r")
        .replace("%0A", "\n")
        .replace("%0a", "\n")
        .replace("%25", "%")
}

/// A file name fit for any file system and any tar: Vietnamese letters lose their marks
/// (`Giấy đề nghị.pdf` → `Giay de nghi.pdf`), anything else outside `[A-Za-z0-9 ._-]` becomes
/// `_`, and the name is cut to 80 characters keeping its extension.
pub fn portable_name(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization as _;
    let mut out: String = name
        .nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .map(|c| match c {
            'đ' => 'd',
            'Đ' => 'D',
            c if c.is_ascii_alphanumeric() || matches!(c, ' ' | '.' | '_' | '-') => c,
            _ => '_',
        })
        .collect();
    out = out.trim_matches(|c| c == ' ' || c == '.').to_owned();
    if out.is_empty() {
        out = "file".into();
    }
    if out.len() > 80 {
        let ext = out
            .rfind('.')
            .filter(|&i| out.len() - i <= 10)
            .map(|i| out[i..].to_owned())
            .unwrap_or_default();
        out.truncate(80 - ext.len());
        out.push_str(&ext);
    }
    out
}

fn check_path(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && !path.contains('\\')
        && !path.contains('\0')
        && path
            .split('/')
            .all(|p| !p.is_empty() && p != "." && p != "..")
}

impl BagBuilder {
    /// An empty plan.
    pub fn new() -> Self {
        Self::default()
    }

    fn claim(&mut self, path: &str) -> Result<(), BagError> {
        if !check_path(path) || !self.paths.insert(path.to_owned()) {
            return Err(BagError::BadPath(path.to_owned()));
        }
        Ok(())
    }

    /// Adds a payload file made by the export; `path` is relative to `data/`.
    pub fn payload_bytes(&mut self, path: &str, bytes: Bytes) -> Result<(), BagError> {
        let path = format!("data/{path}");
        self.claim(&path)?;
        self.payload.push(BagFile {
            path,
            size: bytes.len() as u64,
            sha256: Sha256Digest::of(&bytes),
            source: Source::Bytes(bytes),
        });
        Ok(())
    }

    /// Adds a stored object as a payload file; `path` is relative to `data/`.
    pub fn payload_object(
        &mut self,
        path: &str,
        sha256: Sha256Digest,
        size: u64,
    ) -> Result<(), BagError> {
        let path = format!("data/{path}");
        self.claim(&path)?;
        self.payload.push(BagFile {
            path,
            size,
            sha256,
            source: Source::Object,
        });
        Ok(())
    }

    /// Adds a tag file (outside `data/`, e.g. `proofs/...`).
    pub fn tag(&mut self, path: &str, bytes: Bytes) -> Result<(), BagError> {
        if path.starts_with("data/")
            || matches!(
                path,
                "bagit.txt" | "bag-info.txt" | "manifest-sha256.txt" | "tagmanifest-sha256.txt"
            )
        {
            return Err(BagError::BadPath(path.to_owned()));
        }
        self.claim(path)?;
        self.tags.push(BagFile {
            path: path.to_owned(),
            size: bytes.len() as u64,
            sha256: Sha256Digest::of(&bytes),
            source: Source::Bytes(bytes),
        });
        Ok(())
    }

    /// Adds a `bag-info.txt` line (labels may repeat, RFC 8493 §2.2.2). Line breaks in the
    /// value are folded into spaces.
    pub fn info(&mut self, label: &str, value: &str) {
        let value = value.replace(['\r', '\n'], " ");
        self.info.push((label.to_owned(), value));
    }

    /// The plan: bag declaration, bag-info (with Payload-Oxum and Bagging-Date), payload
    /// manifest, our tag files, tag manifest, then the payload.
    pub fn build(self, bagging_date: &str) -> Bag {
        let payload_bytes: u64 = self.payload.iter().map(|f| f.size).sum();
        let payload_files = self.payload.len() as u64;
        let file = |path: &str, text: String| {
            let bytes = Bytes::from(text);
            BagFile {
                path: path.to_owned(),
                size: bytes.len() as u64,
                sha256: Sha256Digest::of(&bytes),
                source: Source::Bytes(bytes),
            }
        };
        let mut info = String::new();
        for (label, value) in &self.info {
            info.push_str(&format!("{label}: {value}\n"));
        }
        info.push_str(&format!("Bagging-Date: {bagging_date}\n"));
        info.push_str(&format!("Payload-Oxum: {payload_bytes}.{payload_files}\n"));
        let manifest = |files: &[BagFile]| {
            files
                .iter()
                .map(|f| format!("{}  {}\n", f.sha256.to_hex(), encode_manifest_path(&f.path)))
                .collect::<String>()
        };
        let mut tags = vec![
            file("bagit.txt", DECLARATION.to_owned()),
            file("bag-info.txt", info),
            file("manifest-sha256.txt", manifest(&self.payload)),
        ];
        tags.extend(self.tags);
        let tagmanifest = file("tagmanifest-sha256.txt", manifest(&tags));
        tags.push(tagmanifest);
        tags.extend(self.payload);
        Bag {
            files: tags,
            payload_bytes,
            payload_files,
        }
    }
}

/// Told of progress while a bag is written: bytes and files done so far.
pub trait Progress: Send {
    /// After each chunk.
    fn advance(&mut self, bytes: u64, files_done: u64);
}

impl Progress for () {
    fn advance(&mut self, _: u64, _: u64) {}
}

impl Bag {
    /// Total bytes of all files.
    pub fn total_bytes(&self) -> u64 {
        self.files.iter().map(|f| f.size).sum()
    }

    /// Writes the bag as the directory `out`, which must not exist. It is written beside it
    /// under a temporary name and renamed into place when complete: a failed export leaves
    /// nothing behind that looks like a bag.
    pub async fn write_dir(
        &self,
        store: &ObjectStore,
        out: &Path,
        progress: &mut dyn Progress,
    ) -> Result<(), BagError> {
        if tokio::fs::symlink_metadata(out).await.is_ok() {
            return Err(BagError::Exists(out.display().to_string()));
        }
        let name = out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "bag".into());
        let parent = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let partial = parent.join(format!(".{name}.partial-{}", uuid::Uuid::new_v4()));
        let result = self.write_into(store, &partial, progress).await;
        if let Err(e) = result {
            let _ = tokio::fs::remove_dir_all(&partial).await;
            return Err(e);
        }
        if let Err(e) = tokio::fs::rename(&partial, out).await {
            let _ = tokio::fs::remove_dir_all(&partial).await;
            return Err(io(format!("moving the bag into {}", out.display()))(e));
        }
        Ok(())
    }

    async fn write_into(
        &self,
        store: &ObjectStore,
        dir: &Path,
        progress: &mut dyn Progress,
    ) -> Result<(), BagError> {
        let mut written = 0u64;
        for (n, f) in self.files.iter().enumerate() {
            let path = dir.join(&f.path);
            if let Some(parent) = path.parent() {
                tokio::fs::create_dir_all(parent)
                    .await
                    .map_err(io(format!("creating {}", parent.display())))?;
            }
            let mut file = tokio::fs::File::create(&path)
                .await
                .map_err(io(format!("creating {}", path.display())))?;
            let mut chunks = self.chunks(store, f).await?;
            while let Some(chunk) = chunks.next().await {
                let chunk = chunk?;
                file.write_all(&chunk)
                    .await
                    .map_err(io(format!("writing {}", path.display())))?;
                written += chunk.len() as u64;
                progress.advance(written, n as u64);
            }
            file.sync_all()
                .await
                .map_err(io(format!("writing {}", path.display())))?;
            progress.advance(written, n as u64 + 1);
        }
        Ok(())
    }

    /// The bytes of one file; an object's are hashed on the way and the last chunk is
    /// replaced by [`BagError::Altered`] when they no longer match its name.
    async fn chunks(
        &self,
        store: &ObjectStore,
        file: &BagFile,
    ) -> Result<futures_util::stream::BoxStream<'static, Result<Bytes, BagError>>, BagError> {
        match &file.source {
            Source::Bytes(b) => Ok(futures_util::stream::iter([Ok(b.clone())]).boxed()),
            Source::Object => {
                let stream = store.get(&file.sha256, None).await?;
                Ok(verified(stream, file.sha256, file.size))
            }
        }
    }

    /// The bag as a POSIX ustar archive under the folder `root/`, streamed: tag files from
    /// memory, objects from the store as they are read.
    pub fn tar_stream(
        self,
        store: ObjectStore,
        root: String,
    ) -> futures_util::stream::BoxStream<'static, Result<Bytes, BagError>> {
        let files = self.files;
        futures_util::stream::iter(files)
            .then(move |f| {
                let store = store.clone();
                let root = root.clone();
                async move {
                    let header = ustar_header(&format!("{root}/{}", f.path), f.size)?;
                    let body = match &f.source {
                        Source::Bytes(b) => futures_util::stream::iter([Ok(b.clone())]).boxed(),
                        Source::Object => {
                            verified(store.get(&f.sha256, None).await?, f.sha256, f.size)
                        }
                    };
                    let pad = (512 - (f.size % 512) as usize) % 512;
                    let tail = futures_util::stream::iter([Ok(Bytes::from(vec![0u8; pad]))]);
                    Ok::<_, BagError>(
                        futures_util::stream::iter([Ok(header)])
                            .chain(body)
                            .chain(tail)
                            .boxed(),
                    )
                }
            })
            .map(|r| match r {
                Ok(s) => s,
                Err(e) => futures_util::stream::iter([Err(e)]).boxed(),
            })
            .flatten()
            // The end of the archive: two zero blocks.
            .chain(futures_util::stream::iter([Ok(Bytes::from(vec![
                0u8;
                1024
            ]))]))
            .boxed()
    }
}

/// Passes an object's chunks on, hashing them; ends with an error instead of the last chunk's
/// success when the bytes do not match `sha256` and `size`.
fn verified(
    stream: crate::storage::ByteStream,
    sha256: Sha256Digest,
    size: u64,
) -> futures_util::stream::BoxStream<'static, Result<Bytes, BagError>> {
    let state = (stream, Some(StreamingHasher::default()));
    futures_util::stream::unfold(state, move |(mut stream, hasher)| async move {
        let mut hasher = hasher?;
        match stream.next().await {
            Some(Ok(chunk)) => {
                hasher.update(&chunk);
                Some((Ok(chunk), (stream, Some(hasher))))
            }
            Some(Err(e)) => Some((
                Err(BagError::Io {
                    context: format!("reading stored object {sha256}"),
                    source: e,
                }),
                (stream, None),
            )),
            None => {
                let len = hasher.len();
                let actual = hasher.finish();
                if actual == sha256 && len == size {
                    None
                } else {
                    Some((
                        Err(BagError::Altered {
                            expected: sha256,
                            actual,
                            size: len,
                        }),
                        (stream, None),
                    ))
                }
            }
        }
    })
    .boxed()
}

/// A ustar header for a regular file (mode 0644, mtime 0 for reproducible archives). Paths up
/// to 255 bytes, split into prefix and name at a `/`.
fn ustar_header(path: &str, size: u64) -> Result<Bytes, BagError> {
    let bytes = path.as_bytes();
    let (prefix, name) = if bytes.len() <= 100 {
        (&[][..], bytes)
    } else {
        // The split must leave a name of at most 100 bytes and a prefix of at most 155.
        let split = (0..bytes.len())
            .rev()
            .find(|&i| bytes[i] == b'/' && i <= 155 && bytes.len() - i - 1 <= 100)
            .ok_or_else(|| BagError::BadPath(path.to_owned()))?;
        (&bytes[..split], &bytes[split + 1..])
    };
    let mut h = [0u8; 512];
    h[..name.len()].copy_from_slice(name);
    let octal = |field: &mut [u8], value: u64| {
        let text = format!("{value:0width$o}\0", width = field.len() - 1);
        field.copy_from_slice(text.as_bytes());
    };
    octal(&mut h[100..108], 0o644);
    octal(&mut h[108..116], 0);
    octal(&mut h[116..124], 0);
    if size >= 8u64.pow(11) {
        return Err(BagError::BadPath(format!("{path}: larger than 8 GiB")));
    }
    octal(&mut h[124..136], size);
    octal(&mut h[136..148], 0);
    h[148..156].copy_from_slice(b"        ");
    h[156] = b'0';
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[345..345 + prefix.len()].copy_from_slice(prefix);
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    let text = format!("{sum:06o}\0 ");
    h[148..156].copy_from_slice(text.as_bytes());
    Ok(Bytes::copy_from_slice(&h))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_names_lose_their_marks_not_their_letters() {
        assert_eq!(portable_name("Giấy đề nghị.pdf"), "Giay de nghi.pdf");
        assert_eq!(portable_name("ĐƠN/../x.pdf"), "DON_.._x.pdf");
        assert_eq!(portable_name("..."), "file");
        let long = format!("{}.pdf", "a".repeat(200));
        let cut = portable_name(&long);
        assert_eq!(cut.len(), 80);
        assert!(cut.ends_with(".pdf"));
    }

    #[test]
    fn manifest_paths_round_trip_through_percent_encoding() {
        let odd = "data/a%b\nc\rd.txt";
        assert_eq!(encode_manifest_path(odd), "data/a%25b%0Ac%0Dd.txt");
        assert_eq!(decode_manifest_path(&encode_manifest_path(odd)), odd);
    }

    #[test]
    fn a_plan_refuses_duplicate_and_escaping_paths() {
        let mut b = BagBuilder::new();
        b.payload_bytes("x/a.txt", Bytes::from_static(b"a"))
            .unwrap();
        assert!(
            b.payload_bytes("x/a.txt", Bytes::from_static(b"b"))
                .is_err()
        );
        assert!(
            b.payload_bytes("../a.txt", Bytes::from_static(b"b"))
                .is_err()
        );
        assert!(b.tag("data/sneaky.txt", Bytes::new()).is_err());
        assert!(b.tag("bag-info.txt", Bytes::new()).is_err());
    }

    #[test]
    fn the_plan_lists_every_payload_file_in_the_manifest_and_every_tag_file_in_the_tag_manifest() {
        let mut b = BagBuilder::new();
        b.payload_bytes("d/a.txt", Bytes::from_static(b"hello"))
            .unwrap();
        b.tag("proofs/d/a.txt.json", Bytes::from_static(b"{}"))
            .unwrap();
        b.info("Source-Organization", "Demo");
        let bag = b.build("2026-11-28");
        let text = |p: &str| match &bag.files.iter().find(|f| f.path == p).unwrap().source {
            Source::Bytes(b) => String::from_utf8(b.to_vec()).unwrap(),
            Source::Object => unreachable!(),
        };
        assert_eq!(
            text("manifest-sha256.txt"),
            format!("{}  data/d/a.txt\n", Sha256Digest::of(b"hello").to_hex())
        );
        let tagmanifest = text("tagmanifest-sha256.txt");
        for p in [
            "bagit.txt",
            "bag-info.txt",
            "manifest-sha256.txt",
            "proofs/d/a.txt.json",
        ] {
            assert!(tagmanifest.contains(&format!("  {p}\n")), "{p} listed");
        }
        assert!(text("bag-info.txt").contains("Payload-Oxum: 5.1\n"));
        assert_eq!(bag.files.last().unwrap().path, "data/d/a.txt");
    }

    #[test]
    fn ustar_headers_checksum_and_split_long_paths() {
        let h = ustar_header("bag/data/x.txt", 5).unwrap();
        assert_eq!(&h[..14], b"bag/data/x.txt");
        assert_eq!(&h[124..136], b"00000000005\0");
        let sum: u32 = h
            .iter()
            .enumerate()
            .map(|(i, &b)| {
                if (148..156).contains(&i) {
                    32
                } else {
                    u32::from(b)
                }
            })
            .sum();
        let stored = u32::from_str_radix(std::str::from_utf8(&h[148..154]).unwrap(), 8).unwrap();
        assert_eq!(sum, stored);
        let long = format!("{}/{}", "p".repeat(120), "n".repeat(90));
        let h = ustar_header(&long, 0).unwrap();
        assert_eq!(&h[345..465], "p".repeat(120).as_bytes());
        assert_eq!(&h[..90], "n".repeat(90).as_bytes());
        assert!(ustar_header(&"x".repeat(300), 0).is_err());
    }
}
