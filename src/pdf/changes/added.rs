//! Added objects, judged by how they are reached: from the references a permitted change
//! introduces (or the trailer's /Info), then through added objects only. A signature, field or
//! annotation takes its own class; whatever only serves one (appearance streams, fonts, images,
//! resources, validation data) takes the class of the change that brought it.
//!
//! Owns: what an added object is by itself (`added_as`), which of its references bring further
//! objects (a field's or widget's appearance, value, kids, lock and seed value; anything else's
//! every reference), and the walk.
//!
//! Never: believes the /Type an added object gives itself for what it serves (anything may call
//! itself a font); follows a field's actions (/A, /AA); follows an object that was not added.

use std::collections::{BTreeMap, BTreeSet};

use lopdf::{Dictionary, Document, Object, ObjectId};

use super::ChangeClass;
use super::objects::{
    dict_of, is_form_field, is_signature_field, kind_of, name_of, references, references_skipping,
    signed,
};

/// What an added object is by itself, when it is one of the things a permitted change adds: a
/// signature, a document timestamp, a field or widget, an annotation. `None` for what only
/// serves one of them (appearance streams, fonts and their files, images, resource
/// dictionaries, validation data): those take the class of the change that brought them.
fn added_as(id: ObjectId, d: &Dictionary, after: &Document) -> Option<(ChangeClass, String)> {
    let kind = name_of(d, b"Type");
    let subtype = name_of(d, b"Subtype");
    Some(match (kind.as_deref(), subtype.as_deref()) {
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
        (Some("Annot") | None, Some(_)) if d.get(b"Rect").is_ok() => (
            ChangeClass::Annotations,
            format!("object {} is an annotation", id.0),
        ),
        _ => return None,
    })
}

/// The keys of a field or widget whose values signing or filling it brings (ISO 32000-1
/// §12.5.5 appearance streams, §12.5.6.19 appearance characteristics, §12.7.3 field /Kids and
/// /V, §12.7.4.5 /Lock and /SV). Its actions (/A, /AA) and anything else are not followed: an
/// added object only they hold is unexplained.
const FIELD_KEYS: &[&[u8]] = &[b"AP", b"MK", b"V", b"Kids", b"Lock", b"SV"];

/// The references through which an added object brings further added objects.
fn brought_by(o: &Object, after: &Document) -> Vec<ObjectId> {
    match dict_of(o) {
        Some(d)
            if name_of(d, b"Subtype").as_deref() == Some("Widget")
                || is_form_field(d)
                || is_signature_field(d, after) =>
        {
            let mut out = Vec::new();
            for key in FIELD_KEYS {
                if let Ok(v) = d.get(key) {
                    references_skipping(v, &[], &mut out);
                }
            }
            out
        }
        _ => references(o),
    }
}

/// An entry point into the added objects: an added object that a permitted change (or the
/// trailer's /Info) refers to, with that change's class and a name for it in the report.
pub(super) struct Entry {
    pub(super) id: ObjectId,
    pub(super) class: ChangeClass,
    pub(super) from: String,
}

/// Follows the added objects (`fresh`) from `entries`; each reached object gets the highest
/// class it is reached with (its own, if it is a signature, field or annotation) and what
/// brought it. Each object is taken up again only when its class rises, so the walk ends.
pub(super) fn trace(
    after: &Document,
    fresh: &BTreeSet<ObjectId>,
    entries: Vec<Entry>,
) -> BTreeMap<ObjectId, (ChangeClass, String)> {
    let mut reached: BTreeMap<ObjectId, (ChangeClass, String)> = BTreeMap::new();
    let mut todo = entries;
    while let Some(Entry { id, class, from }) = todo.pop() {
        let Some(o) = after.objects.get(&id).filter(|_| fresh.contains(&id)) else {
            continue;
        };
        let own = dict_of(o).and_then(|d| added_as(id, d, after));
        let class = class.max(own.as_ref().map_or(ChangeClass::None, |(c, _)| *c));
        if reached.get(&id).is_some_and(|(c, _)| *c >= class) {
            continue;
        }
        let (detail, from) = match own {
            Some((_, detail)) => (detail, format!("object {}", id.0)),
            None => (
                format!("object {} ({}) belongs to {from}", id.0, kind_of(o)),
                from,
            ),
        };
        reached.insert(id, (class, detail));
        todo.extend(brought_by(o, after).into_iter().map(|id| Entry {
            id,
            class,
            from: from.clone(),
        }));
    }
    reached
}
