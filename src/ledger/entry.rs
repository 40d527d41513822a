//! Log entries: what each event records, and its canonical bytes (RFC 8785, JSON
//! Canonicalization Scheme, for the subset we use: objects, arrays, strings, integers, booleans
//! and null). Entries hold ids, codes and digests, never personal data, so the log can be
//! published.

use std::collections::BTreeMap;

use serde_json::Value;

use super::merkle::Hash;

/// What happened. The stored name is the snake_case string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EntryKind {
    /// A dossier was filed (ids, code, procedure, and the hash of its stored record).
    DossierSubmitted,
    /// A document's bytes were stored (document and dossier ids, SHA-256, size, media type).
    DocumentStored,
    /// An archivist read a record (the reader's token id and the record's id).
    RecordRead,
    /// A signature was verified (the signature and signed documents, the report's SHA-256, the
    /// indication).
    SignatureVerified,
    /// A result was issued (result and dossier ids, code, the signed PDF's SHA-256 and size).
    ResultIssued,
    /// An issued result was revoked (result id, code, the SHA-256 of the reason).
    ResultRevoked,
    /// A dossier moved in its lifecycle (dossier id, the status before and after, the new
    /// version, the actor kind, the SHA-256 of the reason when one was given).
    DossierTransition,
    /// An officer compared a paper original with the dossier (dossier id, component, outcome,
    /// the SHA-256 of the note when there is one).
    OriginalChecked,
    /// An administrator published a procedure catalogue (its id and SHA-256).
    CataloguePublished,
    /// A fixity audit finished (its id, objects checked, bytes re-hashed, problems found).
    FixityAudited,
    /// A legal hold was placed on a dossier (dossier id, the SHA-256 of the reason).
    LegalHoldPlaced,
    /// A legal hold was lifted (dossier id, the SHA-256 of the reason).
    LegalHoldLifted,
    /// A record of an existing paper archive was imported (dossier id, the source's code, the
    /// day it closed, the import run).
    RecordImported,
    /// An archivist asked for a dossier's disposal (dossier id, the disposal decision's
    /// reference, the SHA-256 of the reason).
    DisposalRequested,
    /// A disposal request was withdrawn (dossier id, the SHA-256 of the reason).
    DisposalWithdrawn,
    /// An administrator approved a disposal and the dossier's objects were disposed of
    /// (dossier id, the decision, the objects deleted and those kept because another record
    /// still holds them, each as a count and the SHA-256 of their sorted list).
    DossierDisposed,
    /// An administrative unit was added (its code, level, parent, and the SHA-256 of its name).
    UnitAdded,
    /// A unit was renamed (its code, the SHA-256 of the new name).
    UnitRenamed,
}

impl EntryKind {
    /// The name in the entry's `kind` field.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DossierSubmitted => "dossier_submitted",
            Self::DocumentStored => "document_stored",
            Self::RecordRead => "record_read",
            Self::SignatureVerified => "signature_verified",
            Self::ResultIssued => "result_issued",
            Self::ResultRevoked => "result_revoked",
            Self::DossierTransition => "dossier_transition",
            Self::OriginalChecked => "original_checked",
            Self::CataloguePublished => "catalogue_published",
            Self::FixityAudited => "fixity_audited",
            Self::LegalHoldPlaced => "legal_hold_placed",
            Self::LegalHoldLifted => "legal_hold_lifted",
            Self::RecordImported => "record_imported",
            Self::DisposalRequested => "disposal_requested",
            Self::DisposalWithdrawn => "disposal_withdrawn",
            Self::DossierDisposed => "dossier_disposed",
            Self::UnitAdded => "unit_added",
            Self::UnitRenamed => "unit_renamed",
        }
    }
}

/// An entry before it has its place in the log: its kind and fields (ids and digests).
#[derive(Debug, Clone, PartialEq)]
pub struct EntryDraft {
    kind: EntryKind,
    fields: BTreeMap<&'static str, Value>,
}

impl EntryDraft {
    /// A draft of this kind.
    pub fn new(kind: EntryKind) -> Self {
        Self {
            kind,
            fields: BTreeMap::new(),
        }
    }

    /// Adds a text field (an id, a code, a hex digest).
    pub fn text(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.fields.insert(name, Value::String(value.into()));
        self
    }

    /// Adds an integer field (a size).
    pub fn number(mut self, name: &'static str, value: u64) -> Self {
        self.fields.insert(name, Value::from(value));
        self
    }

    /// The kind.
    pub fn kind(&self) -> EntryKind {
        self.kind
    }

    /// The entry's canonical bytes once placed at `index`, at `time` (RFC 3339 UTC), after the
    /// entry whose leaf hash is `prev` (none for entry 0).
    pub fn encode(&self, index: u64, time: &str, prev: Option<&Hash>) -> Vec<u8> {
        let mut object = serde_json::Map::new();
        for (k, v) in &self.fields {
            object.insert((*k).to_owned(), v.clone());
        }
        object.insert("index".into(), Value::from(index));
        object.insert("time".into(), Value::String(time.to_owned()));
        object.insert("kind".into(), Value::String(self.kind.as_str().to_owned()));
        object.insert(
            "prev".into(),
            prev.map_or(Value::Null, |p| Value::String(hex::encode(p))),
        );
        let mut out = Vec::with_capacity(256);
        canonical(&Value::Object(object), &mut out).expect("drafts hold only canonical values");
        out
    }
}

/// A value RFC 8785 would print differently than we can: a non-integer number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("only integers are allowed in log entries")]
pub struct NotCanonical;

/// Writes `value` in RFC 8785 form: no whitespace, object members sorted by key (UTF-16 code
/// units, §3.2.3), strings escaped as ECMAScript's JSON.stringify does (§3.2.2.2).
pub fn canonical(value: &Value, out: &mut Vec<u8>) -> Result<(), NotCanonical> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => out.extend_from_slice(u.to_string().as_bytes()),
            (None, Some(i)) => out.extend_from_slice(i.to_string().as_bytes()),
            _ => return Err(NotCanonical),
        },
        Value::String(s) => string(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                canonical(item, out)?;
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            members.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
            out.push(b'{');
            for (i, (k, v)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                string(k, out);
                out.push(b':');
                canonical(v, out)?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}

fn string(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    for c in s.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\u{08}' => out.extend_from_slice(b"\\b"),
            '\u{09}' => out.extend_from_slice(b"\\t"),
            '\u{0a}' => out.extend_from_slice(b"\\n"),
            '\u{0c}' => out.extend_from_slice(b"\\f"),
            '\u{0d}' => out.extend_from_slice(b"\\r"),
            c if (c as u32) < 0x20 => {
                out.extend_from_slice(format!("\\u{:04x}", c as u32).as_bytes())
            }
            c => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    out.push(b'"');
}

/// Parses entry bytes and checks they are canonical (re-encoding gives the same bytes).
pub fn parse_canonical(bytes: &[u8]) -> Result<Value, String> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))?;
    let mut again = Vec::with_capacity(bytes.len());
    canonical(&value, &mut again).map_err(|e| e.to_string())?;
    if again != bytes {
        return Err("not in canonical form (RFC 8785)".into());
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_canonical_json_with_sorted_keys() {
        let draft = EntryDraft::new(EntryKind::DocumentStored)
            .text("document", "d1")
            .text("sha256", "ab")
            .number("size", 42);
        let bytes = draft.encode(7, "2026-11-27T16:30:00.000000Z", Some(&[0x11; 32]));
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert_eq!(
            text,
            format!(
                "{{\"document\":\"d1\",\"index\":7,\"kind\":\"document_stored\",\"prev\":\"{}\",\
                 \"sha256\":\"ab\",\"size\":42,\"time\":\"2026-11-27T16:30:00.000000Z\"}}",
                "11".repeat(32)
            )
        );
        assert!(parse_canonical(&bytes).is_ok());
        let first = EntryDraft::new(EntryKind::DossierSubmitted).encode(0, "t", None);
        assert!(String::from_utf8(first).unwrap().contains("\"prev\":null"));
    }

    #[test]
    fn rfc_8785_string_escapes_and_key_order() {
        let v: Value =
            serde_json::from_str(r#"{"b":"\u0001\n\"é€","a":[1,true,null],"A":-3}"#).unwrap();
        let mut out = Vec::new();
        canonical(&v, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"A\":-3,\"a\":[1,true,null],\"b\":\"\\u0001\\n\\\"é€\"}"
        );
        assert!(canonical(&serde_json::json!(1.5), &mut Vec::new()).is_err());
    }

    #[test]
    fn non_canonical_bytes_are_refused() {
        assert!(parse_canonical(br#"{"b":1,"a":2}"#).is_err());
        assert!(parse_canonical(br#"{"a": 2}"#).is_err());
        assert!(parse_canonical(br#"{"a":2}"#).is_ok());
        assert!(parse_canonical(b"not json").is_err());
    }
}
