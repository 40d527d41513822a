//! What later revisions changed after a signature (modification analysis): the signed revision
//! (the file cut at the end of its /ByteRange) is compared object by object with the final
//! document, and every difference is classified. Only additions that PAdES and form signing
//! make are permitted: new signatures and their fields and appearances, form values, the DSS
//! and its validation data. Anything else — page content, the page tree, catalog actions,
//! annotations, deleted objects — means the signature no longer stands for what is shown
//! (this resists incremental saving, shadow and evil-annotation attacks: they all need one).

use std::collections::BTreeSet;

use lopdf::{Dictionary, Document, Object, ObjectId};

use super::{PdfError, load};

/// The most permissive kind of change found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeClass {
    /// Nothing changed.
    None,
    /// Only long-term-validation data (DSS, VRI, document timestamps).
    LtvAdditions,
    /// Further signatures and form filling.
    SignaturesAndForms,
    /// Annotations were added or changed.
    Annotations,
    /// Anything else: the signed document is not the one shown.
    Other,
}

/// The analysis: the class and what was found.
#[derive(Debug, Clone)]
pub struct Changes {
    /// The class.
    pub class: ChangeClass,
    /// What decided it, for the report.
    pub details: Vec<String>,
}

fn name_of(d: &Dictionary, key: &[u8]) -> Option<String> {
    match d.get(key).ok()? {
        Object::Name(n) => Some(String::from_utf8_lossy(n).into_owned()),
        _ => None,
    }
}

fn dict_of(o: &Object) -> Option<&Dictionary> {
    match o {
        Object::Dictionary(d) => Some(d),
        Object::Stream(s) => Some(&s.dict),
        _ => None,
    }
}

/// Keys whose values differ between two dictionaries.
fn changed_keys(a: &Dictionary, b: &Dictionary) -> BTreeSet<String> {
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

fn is_signature_field(d: &Dictionary, doc: &Document) -> bool {
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
fn signed(d: &Dictionary, doc: &Document) -> bool {
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

fn is_form_field(d: &Dictionary) -> bool {
    d.get(b"FT").is_ok() || d.get(b"T").is_ok() && d.get(b"Kids").is_ok()
}

/// Classifies one new object of the final document.
fn classify_new(
    id: ObjectId,
    o: &Object,
    after: &Document,
    dss: &BTreeSet<ObjectId>,
) -> (ChangeClass, String) {
    if dss.contains(&id) {
        return (
            ChangeClass::LtvAdditions,
            format!("object {} is validation data (DSS)", id.0),
        );
    }
    let Some(d) = dict_of(o) else {
        return (
            ChangeClass::SignaturesAndForms,
            format!("object {} is a value", id.0),
        );
    };
    let kind = name_of(d, b"Type");
    let subtype = name_of(d, b"Subtype");
    match (kind.as_deref(), subtype.as_deref()) {
        (Some("XRef" | "ObjStm"), _) => (ChangeClass::None, String::new()),
        (Some("Metadata"), _) => (
            ChangeClass::SignaturesAndForms,
            format!("object {} is document metadata", id.0),
        ),
        (Some("DocTimeStamp"), _) => (
            ChangeClass::LtvAdditions,
            format!("object {} is a document timestamp", id.0),
        ),
        (Some("Sig"), _) => (
            ChangeClass::SignaturesAndForms,
            format!("object {} is a signature", id.0),
        ),
        // /Type is optional in a signature dictionary.
        (None, None) if d.get(b"ByteRange").is_ok() && d.get(b"Contents").is_ok() => (
            ChangeClass::SignaturesAndForms,
            format!("object {} is a signature", id.0),
        ),
        // A signature field added without a signature but with an appearance can paint over the
        // page (the "sneaky signature" attack): it counts as an annotation.
        (_, Some("Widget"))
            if is_signature_field(d, after) && d.get(b"AP").is_ok() && !signed(d, after) =>
        {
            (
                ChangeClass::Annotations,
                format!(
                    "object {} is an unsigned signature field with an appearance",
                    id.0
                ),
            )
        }
        (_, Some("Widget")) if is_signature_field(d, after) => (
            ChangeClass::SignaturesAndForms,
            format!("object {} is a signature field", id.0),
        ),
        (_, Some("Widget")) | (_, None) if is_form_field(d) => (
            ChangeClass::SignaturesAndForms,
            format!("object {} is a form field", id.0),
        ),
        (Some("XObject") | None, Some("Form")) => (
            ChangeClass::SignaturesAndForms,
            format!("object {} is an appearance stream", id.0),
        ),
        (Some("Font" | "FontDescriptor" | "Encoding" | "ExtGState"), _) => (
            ChangeClass::SignaturesAndForms,
            format!("object {} is an appearance resource", id.0),
        ),
        // An annotation has a rectangle on a page; other subtyped objects (images, fonts) are
        // resources of the appearances above.
        (Some("Annot") | None, Some(_)) if d.get(b"Rect").is_ok() => (
            ChangeClass::Annotations,
            format!("object {} is an annotation", id.0),
        ),
        (None, Some(_)) => (
            ChangeClass::SignaturesAndForms,
            format!("object {} is an appearance resource", id.0),
        ),
        (None, None) if d.is_empty() || d.get(b"Font").is_ok() || d.get(b"ProcSet").is_ok() => (
            ChangeClass::SignaturesAndForms,
            format!("object {} is a resource dictionary", id.0),
        ),
        _ => (
            ChangeClass::Other,
            format!(
                "object {} ({}) was added",
                id.0,
                kind.or(subtype).unwrap_or_else(|| "unknown".into())
            ),
        ),
    }
}

/// Every object reachable from the catalog's /DSS.
fn dss_objects(doc: &Document) -> BTreeSet<ObjectId> {
    let mut out = BTreeSet::new();
    let Ok(catalog) = doc.catalog() else {
        return out;
    };
    let mut todo: Vec<Object> = catalog.get(b"DSS").ok().cloned().into_iter().collect();
    while let Some(o) = todo.pop() {
        match o {
            Object::Reference(id) => {
                if out.len() < 100_000
                    && out.insert(id)
                    && let Ok(target) = doc.get_object(id)
                {
                    todo.push(target.clone());
                }
            }
            Object::Array(items) => todo.extend(items),
            Object::Dictionary(d) => todo.extend(d.iter().map(|(_, v)| v.clone())),
            Object::Stream(s) => todo.extend(s.dict.iter().map(|(_, v)| v.clone())),
            _ => {}
        }
    }
    out
}

/// Compares the signed revision (`bytes[..signed_end]`) with the whole file.
pub fn analyse(bytes: &[u8], signed_end: u64) -> Result<Changes, PdfError> {
    let end = usize::try_from(signed_end).map_err(|_| PdfError::Unreadable("bad range".into()))?;
    if end >= bytes.len() {
        return Ok(Changes {
            class: ChangeClass::None,
            details: Vec::new(),
        });
    }
    let before = load(&bytes[..end])?;
    let after = load(bytes)?;
    let dss = dss_objects(&after);
    let root_before = before.trailer.get(b"Root").ok().cloned();
    let root_after = after.trailer.get(b"Root").ok().cloned();
    let mut class = ChangeClass::None;
    let mut details = Vec::new();
    let mut note = |c: ChangeClass, d: String| {
        if c > ChangeClass::None && !d.is_empty() {
            details.push(d);
        }
        class = class.max(c);
    };
    if root_before != root_after {
        note(
            ChangeClass::Other,
            "the document catalog was replaced".into(),
        );
    }
    for id in before.objects.keys() {
        if !after.objects.contains_key(id) {
            note(ChangeClass::Other, format!("object {} was deleted", id.0));
        }
    }
    for (&id, o) in &after.objects {
        match before.objects.get(&id) {
            None => {
                let (c, d) = classify_new(id, o, &after, &dss);
                note(c, d);
            }
            Some(old) if old == o => {}
            Some(old) => {
                let (c, d) =
                    classify_changed(id, old, o, &before, &after, &dss, root_after.as_ref());
                note(c, d);
            }
        }
    }
    Ok(Changes { class, details })
}

fn classify_changed(
    id: ObjectId,
    old: &Object,
    new: &Object,
    before: &Document,
    after: &Document,
    dss: &BTreeSet<ObjectId>,
    root: Option<&Object>,
) -> (ChangeClass, String) {
    if dss.contains(&id) {
        return (
            ChangeClass::LtvAdditions,
            format!("object {} is validation data (DSS)", id.0),
        );
    }
    let (Some(a), Some(b)) = (dict_of(old), dict_of(new)) else {
        return (ChangeClass::Other, format!("object {} was changed", id.0));
    };
    // XMP metadata describes the document; signing software updates it.
    if name_of(b, b"Type").as_deref() == Some("Metadata") {
        return (
            ChangeClass::SignaturesAndForms,
            format!("the metadata {} was updated", id.0),
        );
    }
    if matches!(old, Object::Stream(_)) || matches!(new, Object::Stream(_)) {
        let same_content = match (old, new) {
            (Object::Stream(x), Object::Stream(y)) => x.content == y.content,
            _ => false,
        };
        if !same_content {
            return (
                ChangeClass::Other,
                format!("the content of stream {} was changed", id.0),
            );
        }
    }
    let keys = changed_keys(a, b);
    let only = |allowed: &[&str]| keys.iter().all(|k| allowed.contains(&k.as_str()));
    let kind = name_of(b, b"Type");
    if root == Some(&Object::Reference(id)) {
        // /Version and /Metadata describe the file, not what it shows.
        return if only(&["AcroForm", "DSS", "Extensions", "Version", "Metadata"]) {
            let ltv = only(&["DSS", "Extensions", "Version", "Metadata"]);
            (
                if ltv {
                    ChangeClass::LtvAdditions
                } else {
                    ChangeClass::SignaturesAndForms
                },
                format!(
                    "the catalog's {} changed",
                    keys.iter().cloned().collect::<Vec<_>>().join(", ")
                ),
            )
        } else {
            (
                ChangeClass::Other,
                format!(
                    "the catalog's {} changed",
                    keys.iter().cloned().collect::<Vec<_>>().join(", ")
                ),
            )
        };
    }
    if kind.as_deref() == Some("Page") {
        if !only(&["Annots"]) {
            return (
                ChangeClass::Other,
                format!(
                    "page object {} changed ({})",
                    id.0,
                    keys.iter().cloned().collect::<Vec<_>>().join(", ")
                ),
            );
        }
        // New annotations on the page: signature widgets are fine, others are annotations.
        let annots = |d: &Dictionary, doc: &Document| -> BTreeSet<ObjectId> {
            match d.get(b"Annots") {
                Ok(Object::Array(a)) => a.iter().filter_map(|o| o.as_reference().ok()).collect(),
                Ok(Object::Reference(r)) => match doc.get_object(*r) {
                    Ok(Object::Array(a)) => {
                        a.iter().filter_map(|o| o.as_reference().ok()).collect()
                    }
                    _ => BTreeSet::new(),
                },
                _ => BTreeSet::new(),
            }
        };
        let (was, now) = (annots(a, before), annots(b, after));
        if !was.is_subset(&now) {
            return (
                ChangeClass::Other,
                format!("annotations were removed from page object {}", id.0),
            );
        }
        let all_fields = now.difference(&was).all(|r| {
            after
                .get_object(*r)
                .ok()
                .and_then(dict_of)
                .is_some_and(|d| is_signature_field(d, after) || is_form_field(d))
        });
        return if all_fields {
            (
                ChangeClass::SignaturesAndForms,
                format!("page object {} gained form fields", id.0),
            )
        } else {
            (
                ChangeClass::Annotations,
                format!("page object {} gained annotations", id.0),
            )
        };
    }
    // The AcroForm dictionary, signature and form fields.
    if b.get(b"Fields").is_ok() && only(&["Fields", "SigFlags", "DR", "DA", "NeedAppearances"]) {
        return (
            ChangeClass::SignaturesAndForms,
            format!("the form dictionary {} changed", id.0),
        );
    }
    if is_signature_field(b, after) || is_form_field(b) {
        // Signing software also sets a signature widget's flags (/F, e.g. Print).
        let allowed: &[&str] = if is_signature_field(b, after) {
            &["V", "AP", "AS", "Kids", "MK", "F"]
        } else {
            &["V", "AP", "AS", "Kids", "MK"]
        };
        if only(allowed) {
            return (
                ChangeClass::SignaturesAndForms,
                format!("form field {} was filled or signed", id.0),
            );
        }
        return (
            ChangeClass::Other,
            format!(
                "form field {} changed ({})",
                id.0,
                keys.iter().cloned().collect::<Vec<_>>().join(", ")
            ),
        );
    }
    if kind.as_deref() == Some("XRef") || kind.as_deref() == Some("ObjStm") {
        return (ChangeClass::None, String::new());
    }
    // The document information dictionary is metadata, not what is shown.
    if after.trailer.get(b"Info").ok() == Some(&Object::Reference(id)) {
        return (ChangeClass::None, String::new());
    }
    (
        ChangeClass::Other,
        format!(
            "object {} changed ({})",
            id.0,
            keys.iter().cloned().collect::<Vec<_>>().join(", ")
        ),
    )
}
