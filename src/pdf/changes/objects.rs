//! The object graph the change analysis reads: names and dictionaries, the references inside an
//! object, what a set of objects reaches, where an object is referred to from, and what a
//! dictionary is as a form field (a signature field, a filled signature, a form field).
//!
//! Owns: these questions, each asked of one document as lopdf loaded it.
//!
//! Never: judges a change (that is `changed.rs` and `added.rs`); follows a reference recursively
//! (every walk keeps its own list and its set of objects seen, so a cycle ends it).

use std::collections::BTreeSet;

use lopdf::{Dictionary, Document, Object, ObjectId};

pub(super) fn name_of(d: &Dictionary, key: &[u8]) -> Option<String> {
    match d.get(key).ok()? {
        Object::Name(n) => Some(String::from_utf8_lossy(n).into_owned()),
        _ => None,
    }
}

pub(super) fn dict_of(o: &Object) -> Option<&Dictionary> {
    match o {
        Object::Dictionary(d) => Some(d),
        Object::Stream(s) => Some(&s.dict),
        _ => None,
    }
}

/// Keys whose values differ between two dictionaries.
pub(super) fn changed_keys(a: &Dictionary, b: &Dictionary) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    for (k, v) in a.iter() {
        if b.get(k).ok() != Some(v) {
            keys.insert(String::from_utf8_lossy(k).into_owned());
        }
    }
    for (k, _) in b.iter() {
        if a.get(k).is_err() {
            keys.insert(String::from_utf8_lossy(k).into_owned());
        }
    }
    keys
}

pub(super) fn is_signature_field(d: &Dictionary, doc: &Document) -> bool {
    if name_of(d, b"FT").as_deref() == Some("Sig") {
        return true;
    }
    // A widget whose parent field is a signature field.
    match d.get(b"Parent") {
        Ok(Object::Reference(id)) => doc
            .get_object(*id)
            .ok()
            .and_then(dict_of)
            .is_some_and(|p| name_of(p, b"FT").as_deref() == Some("Sig")),
        _ => false,
    }
}

/// Whether a signature field (or its parent field) holds a signature value.
pub(super) fn signed(d: &Dictionary, doc: &Document) -> bool {
    if d.get(b"V").is_ok() {
        return true;
    }
    match d.get(b"Parent") {
        Ok(Object::Reference(id)) => doc
            .get_object(*id)
            .ok()
            .and_then(dict_of)
            .is_some_and(|p| p.get(b"V").is_ok()),
        _ => false,
    }
}

pub(super) fn is_form_field(d: &Dictionary) -> bool {
    d.get(b"FT").is_ok() || d.get(b"T").is_ok() && d.get(b"Kids").is_ok()
}

/// Every reference inside `o` itself (its arrays, dictionaries and stream dictionary), without
/// following them; values under the keys in `skip` are left out.
pub(super) fn references_skipping(o: &Object, skip: &[&[u8]], out: &mut Vec<ObjectId>) {
    let mut todo = vec![o];
    while let Some(o) = todo.pop() {
        let dict = match o {
            Object::Reference(id) => {
                out.push(*id);
                continue;
            }
            Object::Array(items) => {
                todo.extend(items);
                continue;
            }
            Object::Dictionary(d) => d,
            Object::Stream(s) => &s.dict,
            _ => continue,
        };
        todo.extend(
            dict.iter()
                .filter(|(k, _)| !skip.contains(&k.as_slice()))
                .map(|(_, v)| v),
        );
    }
}

/// Every reference inside `o` itself.
pub(super) fn references(o: &Object) -> Vec<ObjectId> {
    let mut out = Vec::new();
    references_skipping(o, &[], &mut out);
    out
}

/// Every object of `doc` reachable from `starts`, not through values under the keys in `skip`.
fn reachable(doc: &Document, starts: Vec<ObjectId>, skip: &[&[u8]]) -> BTreeSet<ObjectId> {
    let mut seen = BTreeSet::new();
    let mut todo = starts;
    while let Some(id) = todo.pop() {
        if let Some(o) = doc.objects.get(&id)
            && seen.insert(id)
        {
            references_skipping(o, skip, &mut todo);
        }
    }
    seen
}

/// Every object reachable from the catalog's /DSS.
pub(super) fn dss_objects(doc: &Document) -> BTreeSet<ObjectId> {
    let starts = doc
        .catalog()
        .ok()
        .and_then(|c| c.get(b"DSS").ok())
        .map(references)
        .unwrap_or_default();
    reachable(doc, starts, &[])
}

/// What the signed revision shows: its catalog and everything it reaches, except through
/// /DSS (validation data) and /Metadata (XMP descriptions), which show nothing.
pub(super) fn signed_content(before: &Document) -> BTreeSet<ObjectId> {
    let Ok(Object::Reference(root)) = before.trailer.get(b"Root") else {
        return BTreeSet::new();
    };
    reachable(before, vec![*root], &[b"DSS", b"Metadata"])
}

/// How an added object shows in a report: its /Type or /Subtype, else its shape.
pub(super) fn kind_of(o: &Object) -> String {
    match o {
        Object::Dictionary(_) | Object::Stream(_) => dict_of(o)
            .and_then(|d| name_of(d, b"Type").or_else(|| name_of(d, b"Subtype")))
            .unwrap_or_else(|| {
                if matches!(o, Object::Stream(_)) {
                    "stream".into()
                } else {
                    "dictionary".into()
                }
            }),
        Object::Array(_) => "array".into(),
        _ => "value".into(),
    }
}

/// Where `doc` refers to `id`: each (object, path of dictionary keys) whose value is the
/// reference itself; a reference inside an array counts as a use with no path, so it never
/// matches a permitted place.
pub(super) fn uses_of(doc: &Document, id: ObjectId) -> Vec<(ObjectId, Vec<Vec<u8>>)> {
    let mut uses = Vec::new();
    for (&holder, o) in &doc.objects {
        let mut todo: Vec<(&Object, Vec<Vec<u8>>)> = vec![(o, Vec::new())];
        while let Some((value, path)) = todo.pop() {
            match value {
                Object::Reference(r) if *r == id => uses.push((holder, path)),
                Object::Array(_) if references(value).contains(&id) => {
                    uses.push((holder, Vec::new()));
                }
                Object::Dictionary(_) | Object::Stream(_) => {
                    for (k, v) in dict_of(value).into_iter().flat_map(Dictionary::iter) {
                        let mut p = path.clone();
                        p.push(k.clone());
                        todo.push((v, p));
                    }
                }
                _ => {}
            }
        }
    }
    uses
}
