//! The SHA-256 content address of an object, and the streaming hasher that produces it.

use std::fmt;

use base64::Engine as _;
use sha2::{Digest as _, Sha256};

/// A SHA-256 digest: the name of every stored object.
///
/// Parsed once at the edge (`from_hex`), printed as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha256Digest([u8; 32]);

/// The text given to [`Sha256Digest::from_hex`] is not 64 hex digits.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("a SHA-256 digest is 64 hexadecimal digits")]
pub struct InvalidDigest;

impl Sha256Digest {
    /// Parses 64 hex digits (either case).
    pub fn from_hex(text: &str) -> Result<Self, InvalidDigest> {
        if text.len() != 64 {
            return Err(InvalidDigest);
        }
        let mut out = [0u8; 32];
        hex::decode_to_slice(text, &mut out).map_err(|_| InvalidDigest)?;
        Ok(Self(out))
    }

    /// The digest of `bytes`, in one call.
    pub fn of(bytes: &[u8]) -> Self {
        Self(Sha256::digest(bytes).into())
    }

    /// The raw 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// 64 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Standard base64 with padding, as RFC 9530 `Repr-Digest` wants it.
    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.0)
    }
}

impl From<[u8; 32]> for Sha256Digest {
    fn from(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }
}

impl fmt::Display for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256Digest({})", self.to_hex())
    }
}

/// Incremental SHA-256 over a stream of chunks.
#[derive(Clone, Default)]
pub struct StreamingHasher {
    inner: Sha256,
    len: u64,
}

impl StreamingHasher {
    /// Feeds the next chunk.
    pub fn update(&mut self, chunk: &[u8]) {
        self.inner.update(chunk);
        self.len += chunk.len() as u64;
    }

    /// Bytes hashed so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether nothing has been hashed yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The digest of everything fed.
    pub fn finish(self) -> Sha256Digest {
        Sha256Digest(self.inner.finalize().into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_rejects_wrong_lengths() {
        let d = Sha256Digest::of(b"abc");
        assert_eq!(
            d.to_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(Sha256Digest::from_hex(&d.to_hex()), Ok(d));
        assert_eq!(Sha256Digest::from_hex("ab"), Err(InvalidDigest));
        assert_eq!(Sha256Digest::from_hex(&"zz".repeat(32)), Err(InvalidDigest));
    }

    #[test]
    fn streaming_equals_one_shot() {
        let mut h = StreamingHasher::default();
        h.update(b"a");
        h.update(b"bc");
        assert_eq!(h.len(), 3);
        assert_eq!(h.finish(), Sha256Digest::of(b"abc"));
    }
}
