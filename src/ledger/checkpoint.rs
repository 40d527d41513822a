//! Signed checkpoints in the C2SP tlog-checkpoint format, as signed notes (C2SP signed-note)
//! with Ed25519 keys:
//!
//! ```text
//! <origin>\n<tree size>\n<base64 root hash>\n\n— <key name> <base64(key id || signature)>\n
//! ```
//!
//! The key id is the first 4 bytes of SHA-256(key name || "\n" || 0x01 || public key); the
//! verifier key is `<name>+<hex key id>+<base64(0x01 || public key)>`. The private key never
//! leaves [`LogSigner`]; nothing here does I/O except [`LogSigner::load_or_create`].

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use openssl::pkey::{Id, PKey, Private, Public};
use openssl::sign::{Signer, Verifier};
use sha2::{Digest as _, Sha256};

use super::merkle::Hash;

/// The signature algorithm byte for Ed25519 in signed notes (C2SP signed-note).
const ALG_ED25519: u8 = 0x01;
/// The em dash that opens a signature line.
const SIG_PREFIX: &str = "\u{2014} ";

/// Problems with keys, notes and signatures.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckpointError {
    /// The note is not in the signed-note/checkpoint format.
    #[error("malformed checkpoint: {0}")]
    Malformed(String),
    /// No signature by the expected key, or a signature that does not verify.
    #[error("checkpoint signature: {0}")]
    BadSignature(String),
    /// A verifier key string is malformed.
    #[error("malformed verifier key: {0}")]
    BadKey(String),
    /// The key file could not be read, created or parsed.
    #[error("log key {path}: {message}")]
    KeyFile {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// OpenSSL failed.
    #[error("openssl: {0}")]
    OpenSsl(#[from] openssl::error::ErrorStack),
}

/// The checked content of a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's origin line.
    pub origin: String,
    /// Number of entries.
    pub size: u64,
    /// `MTH` over them.
    pub root: Hash,
}

impl Checkpoint {
    /// The note body (what is signed).
    pub fn body(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            B64.encode(self.root)
        )
    }
}

fn key_id(name: &str, public: &[u8]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([ALG_ED25519]);
    h.update(public);
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

fn check_name(name: &str) -> Result<(), CheckpointError> {
    if name.is_empty() || name.chars().any(|c| c.is_whitespace() || c == '+') {
        return Err(CheckpointError::BadKey(format!(
            "key name {name:?} must be non-empty, without spaces or '+'"
        )));
    }
    Ok(())
}

/// The public half: checks checkpoint signatures.
#[derive(Clone)]
pub struct VerifierKey {
    name: String,
    id: [u8; 4],
    public: PKey<Public>,
    raw: Vec<u8>,
}

impl std::fmt::Debug for VerifierKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_string())
    }
}

impl std::fmt::Display for VerifierKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut encoded = vec![ALG_ED25519];
        encoded.extend_from_slice(&self.raw);
        write!(
            f,
            "{}+{}+{}",
            self.name,
            hex::encode(self.id),
            B64.encode(encoded)
        )
    }
}

impl VerifierKey {
    /// Parses `<name>+<hex key id>+<base64(0x01 || public key)>`.
    pub fn parse(text: &str) -> Result<Self, CheckpointError> {
        let bad = |m: &str| CheckpointError::BadKey(m.to_owned());
        let text = text.trim();
        // The name has no '+' and the id is hex; the base64 key may itself contain '+'.
        let mut parts = text.splitn(3, '+');
        let (Some(name), Some(id_hex), Some(key)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(bad("expected name+id+key"));
        };
        check_name(name)?;
        let id: [u8; 4] = hex::decode(id_hex)
            .ok()
            .and_then(|v| v.try_into().ok())
            .ok_or_else(|| bad("the key id is 8 hex digits"))?;
        let decoded = B64.decode(key).map_err(|_| bad("the key is not base64"))?;
        if decoded.len() != 33 || decoded[0] != ALG_ED25519 {
            return Err(bad(
                "only Ed25519 keys (0x01 followed by 32 bytes) are supported",
            ));
        }
        let raw = decoded[1..].to_vec();
        if key_id(name, &raw) != id {
            return Err(bad("the key id does not match the name and key"));
        }
        Ok(Self {
            name: name.to_owned(),
            id,
            public: PKey::public_key_from_raw_bytes(&raw, Id::ED25519)?,
            raw,
        })
    }

    /// The key's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Verifies a signed checkpoint note and returns its content. Fails closed: the note must
    /// carry a valid signature by this key, and the body must be a well-formed checkpoint.
    pub fn verify(&self, note: &str) -> Result<Checkpoint, CheckpointError> {
        let malformed = |m: &str| CheckpointError::Malformed(m.to_owned());
        let (body, signatures) = note
            .split_once("\n\n")
            .ok_or_else(|| malformed("no blank line between text and signatures"))?;
        let body = format!("{body}\n");
        let mut verified = false;
        for line in signatures.lines().filter(|l| !l.is_empty()) {
            let rest = line
                .strip_prefix(SIG_PREFIX)
                .ok_or_else(|| malformed("a signature line must start with an em dash"))?;
            let (name, sig) = rest
                .split_once(' ')
                .ok_or_else(|| malformed("a signature line is '— name base64'"))?;
            if name != self.name {
                continue;
            }
            let sig = B64
                .decode(sig)
                .map_err(|_| malformed("the signature is not base64"))?;
            if sig.len() != 4 + 64 || sig[..4] != self.id {
                continue;
            }
            let mut v = Verifier::new_without_digest(&self.public)?;
            if v.verify_oneshot(&sig[4..], body.as_bytes())
                .unwrap_or(false)
            {
                verified = true;
            } else {
                return Err(CheckpointError::BadSignature(format!(
                    "the signature by {} does not verify",
                    self.name
                )));
            }
        }
        if !verified {
            return Err(CheckpointError::BadSignature(format!(
                "no signature by {}",
                self.name
            )));
        }
        parse_body(&body)
    }
}

fn parse_body(body: &str) -> Result<Checkpoint, CheckpointError> {
    let malformed = |m: &str| CheckpointError::Malformed(m.to_owned());
    let mut lines = body.lines();
    let origin = lines
        .next()
        .filter(|o| !o.is_empty())
        .ok_or_else(|| malformed("no origin line"))?;
    let size_text = lines.next().ok_or_else(|| malformed("no tree size line"))?;
    if size_text.is_empty()
        || !size_text.bytes().all(|b| b.is_ascii_digit())
        || (size_text.len() > 1 && size_text.starts_with('0'))
    {
        return Err(malformed(
            "the tree size is a decimal number without leading zeros",
        ));
    }
    let size = size_text
        .parse()
        .map_err(|_| malformed("the tree size is too large"))?;
    let root: Hash = B64
        .decode(lines.next().ok_or_else(|| malformed("no root hash line"))?)
        .ok()
        .and_then(|v| v.try_into().ok())
        .ok_or_else(|| malformed("the root hash is 32 bytes in base64"))?;
    Ok(Checkpoint {
        origin: origin.to_owned(),
        size,
        root,
    })
}

/// The log's signing key. Only this type holds the private key.
pub struct LogSigner {
    name: String,
    private: PKey<Private>,
    verifier: VerifierKey,
}

impl std::fmt::Debug for LogSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogSigner")
            .field("verifier", &self.verifier.to_string())
            .finish_non_exhaustive()
    }
}

impl LogSigner {
    /// Wraps an Ed25519 private key under a key name (the log's origin, by convention).
    pub fn new(name: &str, private: PKey<Private>) -> Result<Self, CheckpointError> {
        check_name(name)?;
        if private.id() != Id::ED25519 {
            return Err(CheckpointError::BadKey(
                "the log key must be Ed25519".into(),
            ));
        }
        let raw = private.raw_public_key()?;
        let verifier = VerifierKey {
            name: name.to_owned(),
            id: key_id(name, &raw),
            public: PKey::public_key_from_raw_bytes(&raw, Id::ED25519)?,
            raw,
        };
        Ok(Self {
            name: name.to_owned(),
            private,
            verifier,
        })
    }

    /// A fresh random key.
    pub fn generate(name: &str) -> Result<Self, CheckpointError> {
        Self::new(name, PKey::generate_ed25519()?)
    }

    /// Reads a PKCS#8 PEM Ed25519 key, creating it (mode 0600) when `create` and it is absent.
    pub fn load_or_create(path: &Path, name: &str, create: bool) -> Result<Self, CheckpointError> {
        let file_error = |message: String| CheckpointError::KeyFile {
            path: path.display().to_string(),
            message,
        };
        match std::fs::read(path) {
            Ok(pem) => {
                let key = PKey::private_key_from_pem(&pem)
                    .map_err(|e| file_error(format!("not a PEM private key: {e}")))?;
                Self::new(name, key)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
                let signer = Self::generate(name)?;
                let pem = signer.private.private_key_to_pem_pkcs8()?;
                write_private(path, &pem).map_err(|e| file_error(e.to_string()))?;
                Ok(signer)
            }
            Err(e) => Err(file_error(e.to_string())),
        }
    }

    /// The public verifier key.
    pub fn verifier(&self) -> &VerifierKey {
        &self.verifier
    }

    /// Signs a checkpoint, returning the note text.
    pub fn sign(&self, checkpoint: &Checkpoint) -> Result<String, CheckpointError> {
        let body = checkpoint.body();
        let mut signer = Signer::new_without_digest(&self.private)?;
        let sig = signer.sign_oneshot_to_vec(body.as_bytes())?;
        let mut blob = self.verifier.id.to_vec();
        blob.extend_from_slice(&sig);
        Ok(format!(
            "{body}\n{SIG_PREFIX}{} {}\n",
            self.name,
            B64.encode(blob)
        ))
    }
}

fn write_private(path: &Path, pem: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut f = options.open(path)?;
    f.write_all(pem)?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checkpoint() -> Checkpoint {
        Checkpoint {
            origin: "motcua.example/log".into(),
            size: 42,
            root: [7; 32],
        }
    }

    #[test]
    fn a_signed_checkpoint_verifies_and_round_trips() {
        let signer = LogSigner::generate("motcua.example/log").unwrap();
        let note = signer.sign(&checkpoint()).unwrap();
        assert!(note.starts_with("motcua.example/log\n42\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n\n\u{2014} motcua.example/log "));
        let vkey = VerifierKey::parse(&signer.verifier().to_string()).unwrap();
        assert_eq!(vkey.verify(&note).unwrap(), checkpoint());
    }

    #[test]
    fn any_change_to_a_note_or_the_wrong_key_fails() {
        let signer = LogSigner::generate("motcua.example/log").unwrap();
        let note = signer.sign(&checkpoint()).unwrap();
        let vkey = signer.verifier();
        assert!(vkey.verify(&note.replace("\n42\n", "\n43\n")).is_err());
        assert!(
            vkey.verify(&note.replace("motcua.example/log\n42", "other/log\n42"))
                .is_err()
        );
        assert!(vkey.verify(note.split("\n\n").next().unwrap()).is_err());
        let other = LogSigner::generate("motcua.example/log").unwrap();
        assert!(
            other.verifier().verify(&note).is_err(),
            "same name, different key"
        );
        let renamed = LogSigner::generate("someone.else/log").unwrap();
        assert!(renamed.verifier().verify(&note).is_err());
    }

    #[test]
    fn verifier_keys_are_checked_when_parsed() {
        let signer = LogSigner::generate("motcua.example/log").unwrap();
        let text = signer.verifier().to_string();
        assert!(text.starts_with("motcua.example/log+"));
        let mut parts = text.splitn(3, '+');
        let (name, _id, key) = (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        );
        assert!(VerifierKey::parse(&format!("{name}+00000000+{key}")).is_err());
        // Keys whose base64 holds a '+' parse too (a quarter of random keys do).
        for _ in 0..64 {
            let s = LogSigner::generate("a/log").unwrap();
            let t = s.verifier().to_string();
            assert_eq!(VerifierKey::parse(&t).unwrap().to_string(), t);
        }
        assert!(VerifierKey::parse("nonsense").is_err());
    }

    #[test]
    fn keys_persist_in_a_private_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.key");
        assert!(LogSigner::load_or_create(&path, "a/log", false).is_err());
        let first = LogSigner::load_or_create(&path, "a/log", true).unwrap();
        let again = LogSigner::load_or_create(&path, "a/log", true).unwrap();
        assert_eq!(first.verifier().to_string(), again.verifier().to_string());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
