//! The S3-compatible object store (production): AWS S3, Garage, Ceph RGW, MinIO.
//!
//! Keys: `<prefix>objects/sha256/<64 hex>` for finished objects, `<prefix>tmp/<uuid>` for large
//! uploads in progress. Small objects (under one part) are hashed in memory and put straight under
//! their address. Larger ones go up as a multipart upload to a temporary key, one part uploading
//! while the next fills, and are then copied onto their address: the SHA-256 is only known at the
//! end. The SDK's own request checksums are computed only when an operation requires them: some
//! S3-compatible servers reject the CRC32 headers that recent SDKs add by default, and we keep the
//! SHA-256 ourselves.

use std::time::SystemTime;

use aws_sdk_s3::Client;
use aws_sdk_s3::config::{Region, RequestChecksumCalculation, ResponseChecksumValidation};
use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::primitives::ByteStream as SdkByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use bytes::{Bytes, BytesMut};
use tokio::task::JoinHandle;
use tokio_util::io::ReaderStream;

use super::{ByteStream, ObjectListing, Sha256Digest, StorageError, StoredObject, StreamingHasher};

/// S3 refuses a single CopyObject above 5 GiB (AWS S3 limits, "Copy an object").
const MAX_COPY_SIZE: u64 = 5 * 1024 * 1024 * 1024;
/// S3 parts are at least 5 MiB except the last (AWS S3 multipart upload limits).
const MIN_PART_SIZE: usize = 5 * 1024 * 1024;

/// Where and how to reach the bucket.
#[derive(Debug, Clone)]
pub struct S3Settings {
    /// Bucket name.
    pub bucket: String,
    /// Endpoint URL for S3-compatible services; `None` for AWS.
    pub endpoint: Option<String>,
    /// Region (`garage` for Garage, e.g. `ap-southeast-1` for AWS).
    pub region: String,
    /// Key prefix, e.g. `motcua/`; empty for the bucket's root.
    pub prefix: String,
    /// Path-style addressing (`endpoint/bucket/key`), which most S3-compatible servers need.
    pub path_style: bool,
    /// Multipart part size in bytes (at least 5 MiB).
    pub part_size: usize,
}

/// A content-addressed store in an S3 bucket.
pub struct S3Store {
    client: Client,
    settings: S3Settings,
    /// Whether the bucket has Object Lock on, once detected ([`S3Store::object_lock`]).
    lock_enabled: std::sync::OnceLock<bool>,
}

fn s3_error<E: std::error::Error + 'static>(operation: &'static str, e: E) -> StorageError {
    StorageError::S3 {
        operation,
        message: DisplayErrorContext(&e).to_string(),
    }
}

impl S3Store {
    /// Builds a client. Credentials come from the standard AWS sources (environment variables
    /// `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, profiles, instance metadata).
    pub async fn connect(mut settings: S3Settings) -> Result<Self, StorageError> {
        settings.part_size = settings.part_size.max(MIN_PART_SIZE);
        if !settings.prefix.is_empty() && !settings.prefix.ends_with('/') {
            settings.prefix.push('/');
        }
        let shared = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(Region::new(settings.region.clone()))
            .load()
            .await;
        let mut builder = aws_sdk_s3::config::Builder::from(&shared)
            .force_path_style(settings.path_style)
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired);
        if let Some(endpoint) = &settings.endpoint {
            builder = builder.endpoint_url(endpoint);
        }
        Ok(Self {
            client: Client::from_conf(builder.build()),
            settings,
            lock_enabled: std::sync::OnceLock::new(),
        })
    }

    /// `s3:<bucket>/<prefix>` at `<endpoint>`.
    pub fn describe(&self) -> String {
        format!(
            "s3:{}/{} at {}",
            self.settings.bucket,
            self.settings.prefix,
            self.settings.endpoint.as_deref().unwrap_or("AWS")
        )
    }

    fn objects_prefix(&self) -> String {
        format!("{}objects/sha256/", self.settings.prefix)
    }

    fn object_key(&self, sha256: &Sha256Digest) -> String {
        format!("{}{}", self.objects_prefix(), sha256.to_hex())
    }

    fn tmp_prefix(&self) -> String {
        format!("{}tmp/", self.settings.prefix)
    }

    pub(super) fn begin_upload(&self) -> S3Upload {
        S3Upload {
            client: self.client.clone(),
            bucket: self.settings.bucket.clone(),
            objects_prefix: self.objects_prefix(),
            tmp_key: format!("{}{}", self.tmp_prefix(), uuid::Uuid::new_v4()),
            part_size: self.settings.part_size,
            hasher: StreamingHasher::default(),
            part: BytesMut::new(),
            upload_id: None,
            next_part: 1,
            done: Vec::new(),
            in_flight: None,
        }
    }

    pub(super) async fn get(
        &self,
        sha256: &Sha256Digest,
        range: Option<std::ops::Range<u64>>,
    ) -> Result<ByteStream, StorageError> {
        let out = self
            .client
            .get_object()
            .bucket(&self.settings.bucket)
            .key(self.object_key(sha256))
            .set_range(range.map(|r| format!("bytes={}-{}", r.start, r.end.saturating_sub(1))))
            .send()
            .await
            .map_err(|e| {
                if e.as_service_error().is_some_and(|s| s.is_no_such_key()) {
                    StorageError::NotFound(*sha256)
                } else {
                    s3_error("GetObject", e)
                }
            })?;
        Ok(Box::pin(ReaderStream::with_capacity(
            out.body.into_async_read(),
            256 * 1024,
        )))
    }

    /// The object's metadata, or `None` when it is not stored.
    async fn head(
        &self,
        sha256: &Sha256Digest,
    ) -> Result<Option<aws_sdk_s3::operation::head_object::HeadObjectOutput>, StorageError> {
        match self
            .client
            .head_object()
            .bucket(&self.settings.bucket)
            .key(self.object_key(sha256))
            .send()
            .await
        {
            Ok(out) => Ok(Some(out)),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(None),
            Err(e) => Err(s3_error("HeadObject", e)),
        }
    }

    pub(super) async fn size(&self, sha256: &Sha256Digest) -> Result<Option<u64>, StorageError> {
        Ok(self
            .head(sha256)
            .await?
            .map(|h| h.content_length().unwrap_or(0).max(0) as u64))
    }

    pub(super) async fn modified(
        &self,
        sha256: &Sha256Digest,
    ) -> Result<Option<SystemTime>, StorageError> {
        Ok(self.head(sha256).await?.and_then(|h| {
            h.last_modified()
                .and_then(|t| SystemTime::try_from(*t).ok())
        }))
    }

    pub(super) async fn delete(&self, sha256: &Sha256Digest) -> Result<(), StorageError> {
        let key = self.object_key(sha256);
        if self.locks().await {
            // Object Lock implies versioning: a plain delete only hides the bytes behind a
            // delete marker. Each version is deleted (refused while its lock runs).
            return self.delete_versions(&key).await;
        }
        self.client
            .delete_object()
            .bucket(&self.settings.bucket)
            .key(&key)
            .send()
            .await
            .map_err(|e| s3_error("DeleteObject", e))?;
        Ok(())
    }

    async fn delete_versions(&self, key: &str) -> Result<(), StorageError> {
        let listing = self
            .client
            .list_object_versions()
            .bucket(&self.settings.bucket)
            .prefix(key)
            .send()
            .await
            .map_err(|e| s3_error("ListObjectVersions", e))?;
        let versions = listing
            .versions()
            .iter()
            .filter(|v| v.key() == Some(key))
            .filter_map(|v| v.version_id())
            .chain(
                listing
                    .delete_markers()
                    .iter()
                    .filter(|m| m.key() == Some(key))
                    .filter_map(|m| m.version_id()),
            );
        for version in versions {
            self.client
                .delete_object()
                .bucket(&self.settings.bucket)
                .key(key)
                .version_id(version)
                .send()
                .await
                .map_err(|e| s3_error("DeleteObject", e))?;
        }
        Ok(())
    }

    async fn list(
        &self,
        prefix: &str,
        cutoff: SystemTime,
    ) -> Result<Vec<(String, SystemTime)>, StorageError> {
        let mut out = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .client
                .list_objects_v2()
                .bucket(&self.settings.bucket)
                .prefix(prefix)
                .set_continuation_token(token)
                .send()
                .await
                .map_err(|e| s3_error("ListObjectsV2", e))?;
            for obj in page.contents() {
                let (Some(key), Some(modified)) = (obj.key(), obj.last_modified()) else {
                    continue;
                };
                let Ok(modified) = SystemTime::try_from(*modified) else {
                    continue;
                };
                if modified < cutoff {
                    out.push((key.to_owned(), modified));
                }
            }
            token = page.next_continuation_token().map(str::to_owned);
            if token.is_none() {
                return Ok(out);
            }
        }
    }

    pub(super) async fn list_older_than(
        &self,
        cutoff: SystemTime,
    ) -> Result<Vec<ObjectListing>, StorageError> {
        let prefix = self.objects_prefix();
        Ok(self
            .list(&prefix, cutoff)
            .await?
            .into_iter()
            .filter_map(|(key, modified)| {
                let sha256 = Sha256Digest::from_hex(key.strip_prefix(&prefix)?).ok()?;
                Some(ObjectListing { sha256, modified })
            })
            .collect())
    }

    pub(super) async fn sweep_unfinished(&self, cutoff: SystemTime) -> Result<usize, StorageError> {
        let prefix = self.tmp_prefix();
        let mut removed = 0;
        let uploads = self
            .client
            .list_multipart_uploads()
            .bucket(&self.settings.bucket)
            .prefix(&prefix)
            .send()
            .await
            .map_err(|e| s3_error("ListMultipartUploads", e))?;
        for upload in uploads.uploads() {
            let old = upload
                .initiated()
                .and_then(|t| SystemTime::try_from(*t).ok())
                .is_some_and(|t| t < cutoff);
            if let (true, Some(key), Some(id)) = (old, upload.key(), upload.upload_id()) {
                self.client
                    .abort_multipart_upload()
                    .bucket(&self.settings.bucket)
                    .key(key)
                    .upload_id(id)
                    .send()
                    .await
                    .map_err(|e| s3_error("AbortMultipartUpload", e))?;
                removed += 1;
            }
        }
        for (key, _) in self.list(&prefix, cutoff).await? {
            self.client
                .delete_object()
                .bucket(&self.settings.bucket)
                .key(key)
                .send()
                .await
                .map_err(|e| s3_error("DeleteObject", e))?;
            removed += 1;
        }
        Ok(removed)
    }

    /// The bucket's Object Lock capability, as the S3 service answers
    /// `GetObjectLockConfiguration` (Garage, for one, does not implement it).
    pub(super) async fn object_lock(&self) -> super::ObjectLock {
        let lock = self.detect_object_lock().await;
        let _ = self
            .lock_enabled
            .set(matches!(lock, super::ObjectLock::Enabled { .. }));
        lock
    }

    /// Whether the bucket locks objects (detected once, at the first need).
    pub(super) async fn locks(&self) -> bool {
        match self.lock_enabled.get() {
            Some(&on) => on,
            None => matches!(self.object_lock().await, super::ObjectLock::Enabled { .. }),
        }
    }

    /// Locks an object in COMPLIANCE mode until `until`, unless it is locked at least that long
    /// already (a retention is only ever extended).
    pub(super) async fn retain(
        &self,
        sha256: &Sha256Digest,
        until: time::OffsetDateTime,
    ) -> Result<super::Retained, StorageError> {
        use aws_sdk_s3::primitives::DateTime;
        use aws_sdk_s3::types::{ObjectLockRetention, ObjectLockRetentionMode};
        if !self.locks().await {
            return Ok(super::Retained::NotApplicable);
        }
        let head = self
            .head(sha256)
            .await?
            .ok_or(StorageError::NotFound(*sha256))?;
        let current = head
            .object_lock_retain_until_date()
            .and_then(|d| time::OffsetDateTime::from_unix_timestamp(d.secs()).ok());
        if let Some(current) = current
            && current >= until
        {
            return Ok(super::Retained::AlreadyUntil(current));
        }
        self.client
            .put_object_retention()
            .bucket(&self.settings.bucket)
            .key(self.object_key(sha256))
            .retention(
                ObjectLockRetention::builder()
                    .mode(ObjectLockRetentionMode::Compliance)
                    .retain_until_date(DateTime::from_secs(until.unix_timestamp()))
                    .build(),
            )
            .send()
            .await
            .map_err(|e| s3_error("PutObjectRetention", e))?;
        Ok(super::Retained::Until(until))
    }

    async fn detect_object_lock(&self) -> super::ObjectLock {
        use aws_sdk_s3::types::ObjectLockEnabled;
        match self
            .client
            .get_object_lock_configuration()
            .bucket(&self.settings.bucket)
            .send()
            .await
        {
            Ok(out) => {
                let config = out.object_lock_configuration();
                let enabled = config
                    .and_then(|c| c.object_lock_enabled())
                    .is_some_and(|e| *e == ObjectLockEnabled::Enabled);
                if !enabled {
                    return super::ObjectLock::Disabled;
                }
                let default = config
                    .and_then(|c| c.rule())
                    .and_then(|r| r.default_retention())
                    .map(|d| {
                        format!(
                            "{} {}",
                            d.mode().map_or("", |m| m.as_str()),
                            match (d.days(), d.years()) {
                                (Some(days), _) => format!("{days} days"),
                                (_, Some(years)) => format!("{years} years"),
                                _ => String::new(),
                            }
                        )
                        .trim()
                        .to_owned()
                    });
                super::ObjectLock::Enabled { default }
            }
            Err(e) => {
                let text = DisplayErrorContext(&e).to_string();
                if text.contains("ObjectLockConfigurationNotFound") {
                    super::ObjectLock::Disabled
                } else {
                    super::ObjectLock::Unsupported(
                        e.as_service_error()
                            .and_then(|s| {
                                use aws_sdk_s3::error::ProvideErrorMetadata as _;
                                s.code().map(str::to_owned)
                            })
                            .unwrap_or_else(|| "no answer".into()),
                    )
                }
            }
        }
    }

    pub(super) async fn check(&self) -> Result<(), StorageError> {
        self.client
            .head_bucket()
            .bucket(&self.settings.bucket)
            .send()
            .await
            .map_err(|e| s3_error("HeadBucket", e))?;
        Ok(())
    }
}

/// An upload into an [`S3Store`].
pub(super) struct S3Upload {
    client: Client,
    bucket: String,
    objects_prefix: String,
    tmp_key: String,
    part_size: usize,
    hasher: StreamingHasher,
    part: BytesMut,
    upload_id: Option<String>,
    next_part: i32,
    done: Vec<CompletedPart>,
    in_flight: Option<JoinHandle<Result<CompletedPart, StorageError>>>,
}

impl S3Upload {
    pub(super) async fn write_block(&mut self, block: Bytes) -> Result<(), StorageError> {
        if self.hasher.len() + block.len() as u64 > MAX_COPY_SIZE {
            return Err(StorageError::TooLarge {
                limit: MAX_COPY_SIZE,
            });
        }
        self.hasher.update(&block);
        self.part.extend_from_slice(&block);
        if self.part.len() >= self.part_size {
            self.send_part().await?;
        }
        Ok(())
    }

    async fn wait_in_flight(&mut self) -> Result<(), StorageError> {
        if let Some(handle) = self.in_flight.take() {
            let part = handle.await.map_err(|e| StorageError::S3 {
                operation: "UploadPart",
                message: e.to_string(),
            })??;
            self.done.push(part);
        }
        Ok(())
    }

    /// Starts uploading the filled part; at most one part is uploading while the next fills.
    async fn send_part(&mut self) -> Result<(), StorageError> {
        let upload_id = match &self.upload_id {
            Some(id) => id.clone(),
            None => {
                let created = self
                    .client
                    .create_multipart_upload()
                    .bucket(&self.bucket)
                    .key(&self.tmp_key)
                    .send()
                    .await
                    .map_err(|e| s3_error("CreateMultipartUpload", e))?;
                let id = created.upload_id().unwrap_or_default().to_owned();
                self.upload_id = Some(id.clone());
                id
            }
        };
        self.wait_in_flight().await?;
        let body = std::mem::take(&mut self.part).freeze();
        let number = self.next_part;
        self.next_part += 1;
        let request = self
            .client
            .upload_part()
            .bucket(&self.bucket)
            .key(&self.tmp_key)
            .upload_id(upload_id)
            .part_number(number)
            .content_length(body.len() as i64)
            .body(SdkByteStream::from(body));
        self.in_flight = Some(tokio::spawn(async move {
            let out = request
                .send()
                .await
                .map_err(|e| s3_error("UploadPart", e))?;
            Ok(CompletedPart::builder()
                .part_number(number)
                .set_e_tag(out.e_tag().map(str::to_owned))
                .build())
        }));
        Ok(())
    }

    pub(super) async fn finish(mut self) -> Result<StoredObject, StorageError> {
        match self.finish_inner().await {
            Ok(stored) => Ok(stored),
            Err(e) => {
                self.abort_inner().await;
                Err(e)
            }
        }
    }

    async fn finish_inner(&mut self) -> Result<StoredObject, StorageError> {
        let size = self.hasher.len();
        let sha256 = std::mem::take(&mut self.hasher).finish();
        let key = format!("{}{}", self.objects_prefix, sha256.to_hex());
        if self.upload_id.is_none() {
            let body = std::mem::take(&mut self.part).freeze();
            self.client
                .put_object()
                .bucket(&self.bucket)
                .key(&key)
                .content_length(body.len() as i64)
                .body(SdkByteStream::from(body))
                .send()
                .await
                .map_err(|e| s3_error("PutObject", e))?;
            return Ok(StoredObject { sha256, size });
        }
        if !self.part.is_empty() {
            self.send_part().await?;
        }
        self.wait_in_flight().await?;
        let upload_id = self.upload_id.clone().unwrap_or_default();
        self.client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(&self.tmp_key)
            .upload_id(&upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(std::mem::take(&mut self.done)))
                    .build(),
            )
            .send()
            .await
            .map_err(|e| s3_error("CompleteMultipartUpload", e))?;
        self.upload_id = None;
        let source = format!(
            "{}/{}",
            self.bucket,
            percent_encoding::utf8_percent_encode(
                &self.tmp_key,
                percent_encoding::NON_ALPHANUMERIC
            )
        );
        let copied = self
            .client
            .copy_object()
            .bucket(&self.bucket)
            .key(&key)
            .copy_source(source)
            .send()
            .await
            .map_err(|e| s3_error("CopyObject", e));
        let _ = self
            .client
            .delete_object()
            .bucket(&self.bucket)
            .key(&self.tmp_key)
            .send()
            .await;
        copied?;
        Ok(StoredObject { sha256, size })
    }

    async fn abort_inner(&mut self) {
        if let Some(handle) = self.in_flight.take() {
            handle.abort();
        }
        if let Some(id) = self.upload_id.take() {
            let _ = self
                .client
                .abort_multipart_upload()
                .bucket(&self.bucket)
                .key(&self.tmp_key)
                .upload_id(id)
                .send()
                .await;
        }
    }

    pub(super) async fn abort(mut self) {
        self.abort_inner().await;
    }
}
