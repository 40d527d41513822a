//! Changed objects: an object of the signed revision that a later revision changed, judged by
//! what it is and which keys changed. A page may gain annotations (in its /Annots, or in the
//! array object that holds them), the form its fields, a field its value and appearance, the
//! catalog its form, DSS, metadata, extensions and version; anything else is `Other`.
//!
//! Owns: which keys each kind of object may change, and when an array object kept apart is a
//! page's annotations or the form's fields.
//!
//! Never: believes what an object says it is (validation data, metadata, document information,
//! file structure) when the signed content reaches it; lets a change take anything away.

use std::collections::BTreeSet;

use lopdf::{Dictionary, Document, Object, ObjectId};

use super::ChangeClass;
use super::objects::{
    changed_keys, dict_of, is_form_field, is_signature_field, name_of, references, signed, uses_of,
};

/// The two revisions compared, and what is known of them.
pub(super) struct Compared<'a> {
    pub(super) before: &'a Document,
    pub(super) after: &'a Document,
    /// Objects the final catalog's /DSS reaches.
    pub(super) dss: BTreeSet<ObjectId>,
    /// What the signed revision shows ([`signed_content`]).
    pub(super) content: BTreeSet<ObjectId>,
    /// The final trailer's /Root.
    pub(super) root: Option<Object>,
}

/// Classifies one object of the signed revision that a later revision changed.
pub(super) fn classify_changed(
    id: ObjectId,
    old: &Object,
    new: &Object,
    at: &Compared,
) -> (ChangeClass, String) {
    let Compared {
        before,
        after,
        dss,
        content,
        root,
    } = at;
    // What an object says it is (validation data, metadata, document information, file
    // structure) is believed only outside the signed content: a page's content stream may
    // also be listed in a DSS or call itself metadata.
    let outside_content = !content.contains(&id);
    if dss.contains(&id) && outside_content {
        return (
            ChangeClass::LtvAdditions,
            format!("object {} is validation data (DSS)", id.0),
        );
    }
    if let (Object::Array(_), Object::Array(_)) = (old, new) {
        return classify_changed_array(id, old, new, at);
    }
    let (Some(a), Some(b)) = (dict_of(old), dict_of(new)) else {
        return (ChangeClass::Other, format!("object {} was changed", id.0));
    };
    // XMP metadata describes the document; signing software updates it.
    if name_of(b, b"Type").as_deref() == Some("Metadata") && outside_content {
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
    if root.as_ref() == Some(&Object::Reference(id)) {
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
        let annots = |d: &Dictionary, doc: &Document| match d.get(b"Annots") {
            Ok(Object::Reference(r)) => doc.get_object(*r).map_or_else(|_| Vec::new(), references),
            Ok(direct) => references(direct),
            Err(_) => Vec::new(),
        };
        return annotations_added(
            &format!("page object {}", id.0),
            &annots(a, before),
            &annots(b, after),
            after,
        );
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
        // An appearance given to a signature field without signing it paints over the page,
        // as an added unsigned field with an appearance does.
        if is_signature_field(b, after) && keys.contains("AP") && !signed(b, after) {
            return (
                ChangeClass::Annotations,
                format!(
                    "signature field {} was given an appearance without a signature",
                    id.0
                ),
            );
        }
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
    if matches!(kind.as_deref(), Some("XRef" | "ObjStm")) && outside_content {
        return (ChangeClass::None, String::new());
    }
    // The document information dictionary is metadata, not what is shown.
    if after.trailer.get(b"Info").ok() == Some(&Object::Reference(id)) && outside_content {
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

/// What adding to a list of annotations (`was` → `now`) amounts to: signature and form fields
/// are signing, anything else annotating; taking one away changes the signed content.
fn annotations_added(
    whose: &str,
    was: &[ObjectId],
    now: &[ObjectId],
    after: &Document,
) -> (ChangeClass, String) {
    let now: BTreeSet<ObjectId> = now.iter().copied().collect();
    if !was.iter().all(|r| now.contains(r)) {
        return (
            ChangeClass::Other,
            format!("annotations were removed from {whose}"),
        );
    }
    let all_fields = now.iter().filter(|r| !was.contains(r)).all(|r| {
        after
            .get_object(*r)
            .ok()
            .and_then(dict_of)
            .is_some_and(|d| is_signature_field(d, after) || is_form_field(d))
    });
    if all_fields {
        (
            ChangeClass::SignaturesAndForms,
            format!("{whose} gained form fields"),
        )
    } else {
        (
            ChangeClass::Annotations,
            format!("{whose} gained annotations"),
        )
    }
}

/// A changed array object: permitted only as a page's /Annots or the form's /Fields kept in an
/// object of its own (writers then add a new field there, not in the page or the form), and
/// only when the signed revision used it for nothing else.
fn classify_changed_array(
    id: ObjectId,
    old: &Object,
    new: &Object,
    at: &Compared,
) -> (ChangeClass, String) {
    let changed = (ChangeClass::Other, format!("object {} was changed", id.0));
    // The one place of the signed revision that refers to the array.
    let mut uses = uses_of(at.before, id);
    let Some((holder, path)) = uses.pop().filter(|_| uses.is_empty()) else {
        return changed;
    };
    let at_path = |doc: &Document| {
        let mut value = doc.get_object(holder).ok()?;
        for key in &path {
            value = dict_of(value)?.get(key).ok()?;
        }
        Some(value.clone())
    };
    if at_path(at.after) != Some(Object::Reference(id)) {
        return changed;
    }
    let (was, now) = (references(old), references(new));
    let holder_type = at
        .before
        .get_object(holder)
        .ok()
        .and_then(dict_of)
        .and_then(|d| name_of(d, b"Type"));
    let root = at.root.as_ref().and_then(|r| r.as_reference().ok());
    let form = at
        .before
        .catalog()
        .ok()
        .and_then(|c| c.get(b"AcroForm").ok())
        .and_then(|f| f.as_reference().ok());
    let path: Vec<&[u8]> = path.iter().map(Vec::as_slice).collect();
    match path.as_slice() {
        [b"Annots"] if holder_type.as_deref() == Some("Page") => annotations_added(
            &format!("the annotations {} of page object {}", id.0, holder.0),
            &was,
            &now,
            at.after,
        ),
        [b"Fields"] if Some(holder) == form => fields_added(id, &was, &now, at.after),
        [b"AcroForm", b"Fields"] if Some(holder) == root => fields_added(id, &was, &now, at.after),
        _ => changed,
    }
}

/// Fields added to the form's field list `id` (`was` → `now`): signing or form filling, as
/// long as nothing else is added and nothing removed.
fn fields_added(
    id: ObjectId,
    was: &[ObjectId],
    now: &[ObjectId],
    after: &Document,
) -> (ChangeClass, String) {
    match annotations_added(&format!("the form's fields {}", id.0), was, now, after) {
        (ChangeClass::SignaturesAndForms, detail) => (ChangeClass::SignaturesAndForms, detail),
        _ => (
            ChangeClass::Other,
            format!("the form's fields {} changed", id.0),
        ),
    }
}
