//! What later revisions changed after a signature (modification analysis): the signed revision
//! (the file cut at the end of its /ByteRange) is compared object by object with the final
//! document, and every difference is classified. Only what PAdES and form signing add is
//! permitted: new signatures and their fields and appearances, form values, the DSS and its
//! validation data. Anything else — page content, the page tree, catalog actions, annotations,
//! deleted objects — means the signature no longer stands for what is shown (this resists
//! incremental saving, shadow and evil-annotation attacks: they all need one).
//!
//! Changed objects are judged by what they are and which keys changed: a page may gain
//! annotations (in its /Annots, or in the array object that holds them), the form fields, a
//! field its value and appearance, the catalog its form, DSS, metadata, extensions and
//! version. What an object says it is (validation data, metadata, document information, file
//! structure) is believed only outside the signed content: what the signed catalog reaches,
//! except through /DSS and /Metadata.
//!
//! Added objects are judged by how they are reached, never by the /Type they give themselves
//! (anything may call itself a font): from the references a permitted change introduces, then
//! through added objects only — of a field or widget, what its appearance (/AP, /MK), value,
//! kids, lock and seed value hold; of anything else, all it refers to — each taking the class
//! of the change that brought it, or its own as a signature, field or annotation. An added
//! object reached no other way changes the signed content: nothing refers to it, or the signed
//! revision referred to it before it existed (a dangling reference: null when signed, filled
//! later). pyHanko follows the same rule (a new signature field's /AP dependencies, collected
//! through objects added since the signed revision) but lets added objects nothing refers to
//! pass.

use std::collections::{BTreeMap, BTreeSet};

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

/// Every reference inside `o` itself (its arrays, dictionaries and stream dictionary), without
/// following them; values under the keys in `skip` are left out.
fn references_skipping(o: &Object, skip: &[&[u8]], out: &mut Vec<ObjectId>) {
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
fn references(o: &Object) -> Vec<ObjectId> {
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
fn dss_objects(doc: &Document) -> BTreeSet<ObjectId> {
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
fn signed_content(before: &Document) -> BTreeSet<ObjectId> {
    let Ok(Object::Reference(root)) = before.trailer.get(b"Root") else {
        return BTreeSet::new();
    };
    reachable(before, vec![*root], &[b"DSS", b"Metadata"])
}

/// How an added object shows in a report: its /Type or /Subtype, else its shape.
fn kind_of(o: &Object) -> String {
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
struct Entry {
    id: ObjectId,
    class: ChangeClass,
    from: String,
}

/// Follows the added objects (`fresh`) from `entries`; each reached object gets the highest
/// class it is reached with (its own, if it is a signature, field or annotation) and what
/// brought it. Each object is taken up again only when its class rises, so the walk ends.
fn trace(
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
    let fresh: BTreeSet<ObjectId> = after
        .objects
        .keys()
        .filter(|id| !before.objects.contains_key(id))
        .copied()
        .collect();
    let root_before = before.trailer.get(b"Root").ok().cloned();
    let compared = Compared {
        before: &before,
        after: &after,
        dss: dss_objects(&after),
        content: signed_content(&before),
        root: after.trailer.get(b"Root").ok().cloned(),
    };
    let mut class = ChangeClass::None;
    let mut details = Vec::new();
    let mut note = |c: ChangeClass, d: String| {
        if c > ChangeClass::None && !d.is_empty() {
            details.push(d);
        }
        class = class.max(c);
    };
    if root_before != compared.root {
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
    // A reference to an object the signed revision did not contain read as null when it was
    // signed (ISO 32000-1 §7.3.10); an object supplied for it later changes what the signed
    // revision shows, whatever it calls itself.
    let filled: BTreeSet<ObjectId> = before
        .objects
        .values()
        .flat_map(references)
        .filter(|id| fresh.contains(id))
        .collect();
    for id in &filled {
        note(
            ChangeClass::Other,
            format!(
                "object {} was added where the signed revision refers to an object it did not \
                 contain",
                id.0
            ),
        );
    }
    let mut entries = Vec::new();
    for (&id, o) in &after.objects {
        match before.objects.get(&id) {
            Some(old) if old != o => {
                let (c, d) = classify_changed(id, old, o, &compared);
                note(c, d);
                // What a permitted change refers to anew is what it brings.
                if c != ChangeClass::Other {
                    entries.extend(references(o).into_iter().map(|new| Entry {
                        id: new,
                        class: c,
                        from: format!("object {}", id.0),
                    }));
                }
            }
            _ => {}
        }
    }
    // The document information dictionary describes the file; writers may replace it.
    if let Ok(Object::Reference(info)) = after.trailer.get(b"Info") {
        entries.push(Entry {
            id: *info,
            class: ChangeClass::None,
            from: "the document information".into(),
        });
    }
    let reached = trace(&after, &fresh, entries);
    for (id, o) in fresh
        .iter()
        .filter_map(|id| Some((id, after.objects.get(id)?)))
    {
        if filled.contains(id) {
            continue;
        }
        match reached.get(id) {
            Some((c, d)) => note(*c, d.clone()),
            // Cross-reference and object streams are the file's structure, not its content.
            None if matches!(kind_of(o).as_str(), "XRef" | "ObjStm") => {}
            None => note(
                ChangeClass::Other,
                format!(
                    "object {} ({}) was added, but no permitted change refers to it",
                    id.0,
                    kind_of(o)
                ),
            ),
        }
    }
    Ok(Changes { class, details })
}

/// The two revisions compared, and what is known of them.
struct Compared<'a> {
    before: &'a Document,
    after: &'a Document,
    /// Objects the final catalog's /DSS reaches.
    dss: BTreeSet<ObjectId>,
    /// What the signed revision shows ([`signed_content`]).
    content: BTreeSet<ObjectId>,
    /// The final trailer's /Root.
    root: Option<Object>,
}

/// Classifies one object of the signed revision that a later revision changed.
fn classify_changed(
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

/// Where `doc` refers to `id`: each (object, path of dictionary keys) whose value is the
/// reference itself; a reference inside an array counts as a use with no path, so it never
/// matches a permitted place.
fn uses_of(doc: &Document, id: ObjectId) -> Vec<(ObjectId, Vec<Vec<u8>>)> {
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

#[cfg(test)]
mod tests {
    //! Revisions built with lopdf, as a second signer or an attacker would write them. The
    //! analysis reads structure only, so the signature values here are placeholders.

    use lopdf::{Dictionary, Document, IncrementalDocument, Object, ObjectId, Stream, dictionary};

    use super::{ChangeClass, Changes, analyse};
    use crate::pdf::font::{Font, TextWriter};

    /// The object numbers of a signed revision made by [`signed`].
    struct Signed {
        bytes: Vec<u8>,
        catalog: ObjectId,
        page: ObjectId,
        content: ObjectId,
        resources: ObjectId,
    }

    /// How a signed document of [`signed_with`] differs from the plainest one.
    #[derive(Default)]
    struct Shape {
        /// A reference on the page's /Contents to an object the file does not contain.
        dangling: Option<ObjectId>,
        /// An unsigned signature field (Signature2) without an appearance, besides Signature1.
        empty_field: bool,
        /// The page's /Annots and /Contents and the form's /Fields in objects of their own.
        lists_apart: bool,
    }

    /// A signed one-page A4 document: page content in stream `content`, resources in their own
    /// object, one signed field (Signature1) in a direct AcroForm; as `shape` says otherwise.
    fn signed_with(shape: Shape) -> Signed {
        let mut doc = Document::with_version("1.7");
        let pages = doc.new_object_id();
        let page = doc.new_object_id();
        let font = doc.add_object(
            dictionary! { "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica" },
        );
        let resources = doc.add_object(dictionary! { "Font" => dictionary! { "F1" => font } });
        let content = doc.add_object(Stream::new(
            dictionary! {},
            b"BT /F1 14 Tf 72 770 Td (So tien: 1.000.000 dong) Tj ET".to_vec(),
        ));
        let signature = doc.add_object(dictionary! {
            "Type" => "Sig", "Filter" => "Adobe.PPKLite", "SubFilter" => "ETSI.CAdES.detached",
            "ByteRange" => vec![0.into(), 10.into(), 20.into(), 30.into()],
            "Contents" => Object::String(vec![0; 16], lopdf::StringFormat::Hexadecimal),
        });
        let mut fields = vec![Object::Reference(doc.add_object(dictionary! {
            "Type" => "Annot", "Subtype" => "Widget", "FT" => "Sig",
            "T" => Object::string_literal("Signature1"), "V" => signature, "F" => 132,
            "Rect" => vec![0.into(), 0.into(), 0.into(), 0.into()], "P" => page,
        }))];
        if shape.empty_field {
            fields.push(Object::Reference(doc.add_object(dictionary! {
                "Type" => "Annot", "Subtype" => "Widget", "FT" => "Sig",
                "T" => Object::string_literal("Signature2"), "F" => 132,
                "Rect" => vec![305.into(), 40.into(), 555.into(), 120.into()], "P" => page,
            })));
        }
        let mut contents = vec![Object::Reference(content)];
        contents.extend(shape.dangling.map(Object::Reference));
        let mut list = |items: Vec<Object>| {
            if shape.lists_apart {
                Object::Reference(doc.add_object(items))
            } else {
                Object::Array(items)
            }
        };
        let (annots, contents, fields) = (list(fields.clone()), list(contents), list(fields));
        doc.objects.insert(
            page,
            Object::Dictionary(dictionary! {
                "Type" => "Page", "Parent" => pages,
                "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
                "Resources" => resources, "Contents" => contents, "Annots" => annots,
            }),
        );
        doc.objects.insert(
            pages,
            Object::Dictionary(
                dictionary! { "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1 },
            ),
        );
        let catalog = doc.add_object(dictionary! {
            "Type" => "Catalog", "Pages" => pages,
            "AcroForm" => dictionary! { "Fields" => fields, "SigFlags" => 3 },
        });
        doc.trailer.set("Root", catalog);
        let mut bytes = Vec::new();
        doc.save_to(&mut bytes).unwrap();
        Signed {
            bytes,
            catalog,
            page,
            content,
            resources,
        }
    }

    fn signed() -> Signed {
        signed_with(Shape::default())
    }

    /// `edit` applied to `signed` as a later revision, and what the analysis makes of it.
    fn after(signed: &Signed, edit: impl FnOnce(&mut IncrementalDocument)) -> Changes {
        let mut inc: IncrementalDocument = signed.bytes.as_slice().try_into().unwrap();
        edit(&mut inc);
        let mut bytes = Vec::new();
        inc.save_to(&mut bytes).unwrap();
        analyse(&bytes, signed.bytes.len() as u64).unwrap()
    }

    fn dict_mut(inc: &mut IncrementalDocument, id: ObjectId) -> &mut Dictionary {
        inc.opt_clone_object_to_new_document(id).unwrap();
        inc.new_document
            .get_object_mut(id)
            .unwrap()
            .as_dict_mut()
            .unwrap()
    }

    /// A block as `motcua sign --visible` draws it: text in DejaVu Sans embedded as a Type0
    /// font (descendant CIDFont, descriptor, font file, ToUnicode map), a seal image with a soft
    /// mask, an ExtGState, all under a resource dictionary of its own.
    fn visible_block(doc: &mut Document) -> ObjectId {
        let mut text = TextWriter::new(Font::regular());
        let shown = text.encode("Kế toán trưởng");
        let font = text.embed(doc).unwrap();
        let image_dict = |colours: &str| {
            dictionary! {
                "Type" => "XObject", "Subtype" => "Image", "Width" => 1, "Height" => 1,
                "ColorSpace" => colours, "BitsPerComponent" => 8,
            }
        };
        let mask = doc.add_object(Stream::new(image_dict("DeviceGray"), vec![128]));
        let mut seal = image_dict("DeviceRGB");
        seal.set("SMask", mask);
        let seal = doc.add_object(Stream::new(seal, vec![200, 0, 0]));
        let state = doc.add_object(dictionary! { "Type" => "ExtGState", "ca" => 0.8 });
        let resources = doc.add_object(dictionary! {
            "Font" => dictionary! { "F1" => font },
            "XObject" => dictionary! { "Im1" => seal },
            "ExtGState" => dictionary! { "GS1" => state },
        });
        let mut ops = b"q /GS1 gs 60 0 0 60 4 10 cm /Im1 Do Q BT /F1 8 Tf 70 40 Td ".to_vec();
        ops.extend_from_slice(&shown);
        ops.extend_from_slice(b" Tj ET");
        doc.add_object(Stream::new(
            dictionary! {
                "Type" => "XObject", "Subtype" => "Form",
                "BBox" => vec![0.into(), 0.into(), 250.into(), 80.into()],
                "Resources" => resources,
            },
            ops,
        ))
    }

    /// A second signature in a new field Signature2 (visible when `appearance` makes one), as a
    /// second signer's software adds it: the widget on the page and in the form.
    fn co_sign(
        inc: &mut IncrementalDocument,
        signed: &Signed,
        appearance: Option<fn(&mut Document) -> ObjectId>,
    ) -> ObjectId {
        let signature = inc.new_document.add_object(dictionary! {
            "Type" => "Sig", "Filter" => "Adobe.PPKLite", "SubFilter" => "ETSI.CAdES.detached",
            "ByteRange" => vec![0.into(), 10.into(), 20.into(), 30.into()],
            "Contents" => Object::String(vec![0; 16], lopdf::StringFormat::Hexadecimal),
        });
        let mut widget = dictionary! {
            "Type" => "Annot", "Subtype" => "Widget", "FT" => "Sig",
            "T" => Object::string_literal("Signature2"), "V" => signature, "F" => 132,
            "Rect" => vec![305.into(), 40.into(), 555.into(), 120.into()], "P" => signed.page,
        };
        if let Some(make) = appearance {
            let form = make(&mut inc.new_document);
            widget.set("AP", dictionary! { "N" => form });
        }
        let widget = inc.new_document.add_object(widget);
        append(inc, signed.page, &[b"Annots"], widget);
        append(inc, signed.catalog, &[b"AcroForm", b"Fields"], widget);
        widget
    }

    /// Appends `item` to the array at `path` from object `holder`, in the array's own object
    /// when it has one (as signing software does).
    fn append(inc: &mut IncrementalDocument, holder: ObjectId, path: &[&[u8]], item: ObjectId) {
        let (last, within) = path.split_last().unwrap();
        let mut dict = dict_mut(inc, holder);
        for key in within {
            dict = dict.get_mut(key).unwrap().as_dict_mut().unwrap();
        }
        match dict.get_mut(last).unwrap() {
            Object::Array(items) => items.push(item.into()),
            Object::Reference(apart) => {
                let apart = *apart;
                inc.opt_clone_object_to_new_document(apart).unwrap();
                let items = inc.new_document.get_object_mut(apart).unwrap();
                items.as_array_mut().unwrap().push(item.into());
            }
            other => panic!("not a list: {other:?}"),
        }
    }

    /// Issue 13, finding 3: the font file and ToUnicode map of a second visible block (streams
    /// without /Type) made the first signature fail.
    #[test]
    fn a_second_visible_signature_brings_its_fonts_images_and_resources_with_it() {
        let signed = signed();
        let changes = after(&signed, |inc| {
            co_sign(inc, &signed, Some(visible_block));
        });
        assert_eq!(
            changes.class,
            ChangeClass::SignaturesAndForms,
            "{:?}",
            changes.details
        );
        // Each added object is accounted for: the field, the signature, and the dozen objects
        // of its appearance.
        assert!(changes.details.len() > 10, "{:?}", changes.details);
    }

    #[test]
    fn a_second_invisible_signature_is_a_signature_change() {
        let signed = signed();
        let changes = after(&signed, |inc| {
            co_sign(inc, &signed, None);
        });
        assert_eq!(changes.class, ChangeClass::SignaturesAndForms);
    }

    #[test]
    fn a_second_signature_added_to_annotation_and_field_lists_kept_apart_is_a_signature_change() {
        let signed = signed_with(Shape {
            lists_apart: true,
            ..Shape::default()
        });
        let changes = after(&signed, |inc| {
            co_sign(inc, &signed, Some(visible_block));
        });
        assert_eq!(
            changes.class,
            ChangeClass::SignaturesAndForms,
            "{:?}",
            changes.details
        );
        // The page's content list, kept apart too, gaining a stream that calls itself a
        // signature widget: it is drawn, whatever it calls itself.
        let drawn = after(&signed, |inc| {
            let widget = inc.new_document.add_object(Stream::new(
                dictionary! {
                    "Type" => "Annot", "Subtype" => "Widget", "FT" => "Sig",
                    "T" => Object::string_literal("Signature3"), "P" => signed.page,
                    "Rect" => vec![0.into(), 0.into(), 0.into(), 0.into()],
                },
                b"BT /F1 14 Tf 140 770 Td (9.000.000) Tj ET".to_vec(),
            ));
            append(inc, signed.page, &[b"Contents"], widget);
            append(inc, signed.page, &[b"Annots"], widget);
        });
        assert_eq!(drawn.class, ChangeClass::Other, "{:?}", drawn.details);
    }

    #[test]
    fn a_font_nothing_refers_to_changes_the_signed_content_whatever_comes_with_it() {
        let signed = signed();
        let changes = after(&signed, |inc| {
            co_sign(inc, &signed, Some(visible_block));
            inc.new_document.add_object(
                dictionary! { "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Courier" },
            );
        });
        assert_eq!(changes.class, ChangeClass::Other, "{:?}", changes.details);
        assert!(
            changes
                .details
                .iter()
                .any(|d| d.contains("(Font) was added, but no permitted change refers to it")),
            "{:?}",
            changes.details
        );
    }

    /// A shadow attack by a dangling reference: the signed page lists object 900 among its
    /// contents, which it does not contain (null when signed); a later revision supplies it as
    /// a content stream calling itself a font, and refers to it from a new signature's
    /// appearance too, as if it were that appearance's font.
    #[test]
    fn a_font_filling_a_reference_the_signed_page_left_dangling_changes_the_signed_content() {
        const DANGLING: ObjectId = (900, 0);
        fn block_using_the_filler(doc: &mut Document) -> ObjectId {
            doc.add_object(Stream::new(
                dictionary! {
                    "Type" => "XObject", "Subtype" => "Form",
                    "BBox" => vec![0.into(), 0.into(), 250.into(), 80.into()],
                    "Resources" => dictionary! { "Font" => dictionary! { "F9" => DANGLING } },
                },
                b"BT /F9 8 Tf 4 40 Td (x) Tj ET".to_vec(),
            ))
        }
        let signed = signed_with(Shape {
            dangling: Some(DANGLING),
            ..Shape::default()
        });
        let changes = after(&signed, |inc| {
            co_sign(inc, &signed, Some(block_using_the_filler));
            inc.new_document.objects.insert(
                DANGLING,
                Object::Stream(Stream::new(
                    dictionary! { "Type" => "Font", "Subtype" => "Type1" },
                    b"1 1 1 rg 140 760 200 30 re f BT /F1 14 Tf 140 770 Td (9.000.000) Tj ET"
                        .to_vec(),
                )),
            );
            inc.new_document.max_id = inc.new_document.max_id.max(DANGLING.0);
        });
        assert_eq!(changes.class, ChangeClass::Other, "{:?}", changes.details);
        assert!(
            changes
                .details
                .iter()
                .any(|d| d.contains("object 900 was added where the signed revision refers")),
            "{:?}",
            changes.details
        );
    }

    #[test]
    fn whatever_the_page_comes_to_draw_changes_the_signed_content() {
        // An image (calling itself a font) painted by a new content stream.
        let signed = signed();
        let painted = after(&signed, |inc| {
            co_sign(inc, &signed, Some(visible_block));
            let image = inc.new_document.add_object(Stream::new(
                dictionary! {
                    "Type" => "Font", "Subtype" => "Image", "Width" => 1, "Height" => 1,
                    "ColorSpace" => "DeviceGray", "BitsPerComponent" => 8,
                },
                vec![255],
            ));
            let paint = inc.new_document.add_object(Stream::new(
                dictionary! {},
                b"q 200 0 0 30 140 760 cm /Im9 Do Q".to_vec(),
            ));
            let page = dict_mut(inc, signed.page);
            let mut contents = page.get(b"Contents").unwrap().as_array().unwrap().clone();
            contents.push(paint.into());
            page.set("Contents", contents);
            let resources = dict_mut(inc, signed.resources);
            resources.set("XObject", dictionary! { "Im9" => image });
        });
        // The page's resources made to point at a new font (under the name its text uses).
        let font_swapped = after(&signed, |inc| {
            let font = inc.new_document.add_object(
                dictionary! { "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Symbol" },
            );
            dict_mut(inc, signed.resources).set("Font", dictionary! { "F1" => font });
        });
        // A new content stream in place of the page's.
        let replaced = after(&signed, |inc| {
            let content = inc.new_document.add_object(Stream::new(
                dictionary! { "Type" => "FontDescriptor" },
                b"BT /F1 14 Tf 72 770 Td (So tien: 9.000.000 dong) Tj ET".to_vec(),
            ));
            dict_mut(inc, signed.page).set("Contents", content);
        });
        // The page's content stream rewritten in place.
        let rewritten = after(&signed, |inc| {
            inc.opt_clone_object_to_new_document(signed.content)
                .unwrap();
            if let Ok(Object::Stream(s)) = inc.new_document.get_object_mut(signed.content) {
                s.set_plain_content(b"BT /F1 14 Tf 72 770 Td (9.000.000) Tj ET".to_vec());
            }
        });
        for (name, changes) in [
            ("an image painted by new content", painted),
            ("the page's font swapped", font_swapped),
            ("a new content stream", replaced),
            ("the content stream rewritten", rewritten),
        ] {
            assert_eq!(
                changes.class,
                ChangeClass::Other,
                "{name}: {:?}",
                changes.details
            );
        }
    }

    /// What an object says it is (validation data, XMP metadata, the document information) is
    /// no licence to change it when the signed page draws it.
    #[test]
    fn page_content_passed_off_as_validation_data_or_document_information_is_refused() {
        let signed = signed();
        let as_dss = after(&signed, |inc| {
            inc.opt_clone_object_to_new_document(signed.content)
                .unwrap();
            if let Ok(Object::Stream(s)) = inc.new_document.get_object_mut(signed.content) {
                s.set_plain_content(b"BT /F1 14 Tf 72 770 Td (9.000.000) Tj ET".to_vec());
            }
            let dss = inc.new_document.add_object(
                dictionary! { "Type" => "DSS", "Certs" => vec![signed.content.into()] },
            );
            dict_mut(inc, signed.catalog).set("DSS", dss);
        });
        let as_info = after(&signed, |inc| {
            dict_mut(inc, signed.resources).set(
                "Font",
                dictionary! { "F1" => dictionary! {
                    "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Symbol",
                } },
            );
            inc.new_document
                .trailer
                .set("Info", Object::Reference(signed.resources));
        });
        let as_metadata = after(&signed, |inc| {
            let resources = dict_mut(inc, signed.resources);
            resources.set("Type", "Metadata");
            resources.set(
                "Font",
                dictionary! { "F1" => dictionary! {
                    "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Symbol",
                } },
            );
        });
        for (name, changes) in [
            ("listed in a DSS", as_dss),
            ("named the document information", as_info),
            ("calling itself metadata", as_metadata),
        ] {
            assert_eq!(
                changes.class,
                ChangeClass::Other,
                "{name}: {:?}",
                changes.details
            );
        }
    }

    #[test]
    fn validation_data_added_later_is_an_ltv_addition() {
        let signed = signed();
        let changes = after(&signed, |inc| {
            let cert = inc.new_document.add_object(Stream::new(
                dictionary! {},
                vec![0x30, 0x03, 0x02, 0x01, 0x01],
            ));
            let dss = inc
                .new_document
                .add_object(dictionary! { "Type" => "DSS", "Certs" => vec![cert.into()] });
            dict_mut(inc, signed.catalog).set("DSS", dss);
        });
        assert_eq!(
            changes.class,
            ChangeClass::LtvAdditions,
            "{:?}",
            changes.details
        );
    }

    #[test]
    fn an_annotation_with_its_appearance_is_an_annotation_change() {
        fn stamp(doc: &mut Document) -> ObjectId {
            let mut text = TextWriter::new(Font::regular());
            let shown = text.encode("ĐÃ NHẬN");
            let font = text.embed(doc).unwrap();
            let mut ops = b"BT /F1 12 Tf 4 8 Td ".to_vec();
            ops.extend_from_slice(&shown);
            ops.extend_from_slice(b" Tj ET");
            doc.add_object(Stream::new(
                dictionary! {
                    "Type" => "XObject", "Subtype" => "Form",
                    "BBox" => vec![0.into(), 0.into(), 100.into(), 30.into()],
                    "Resources" => dictionary! { "Font" => dictionary! { "F1" => font } },
                },
                ops,
            ))
        }
        let signed = signed();
        let changes = after(&signed, |inc| {
            let appearance = stamp(&mut inc.new_document);
            let note = inc.new_document.add_object(dictionary! {
                "Type" => "Annot", "Subtype" => "Stamp",
                "Rect" => vec![400.into(), 700.into(), 500.into(), 730.into()],
                "AP" => dictionary! { "N" => appearance },
            });
            let page = dict_mut(inc, signed.page);
            let mut annots = page.get(b"Annots").unwrap().as_array().unwrap().clone();
            annots.push(note.into());
            page.set("Annots", annots);
        });
        assert_eq!(
            changes.class,
            ChangeClass::Annotations,
            "{:?}",
            changes.details
        );
    }

    /// The "sneaky signature" attack on a field that was there when signed.
    #[test]
    fn an_appearance_given_to_an_empty_signature_field_without_signing_it_is_an_annotation() {
        let signed = signed_with(Shape {
            empty_field: true,
            ..Shape::default()
        });
        let field = {
            let doc = Document::load_mem(&signed.bytes).unwrap();
            *doc.objects
                .iter()
                .find(|(_, o)| {
                    o.as_dict().is_ok_and(|d| {
                        d.get(b"T").ok() == Some(&Object::string_literal("Signature2"))
                    })
                })
                .unwrap()
                .0
        };
        let changes = after(&signed, |inc| {
            let overlay = visible_block(&mut inc.new_document);
            dict_mut(inc, field).set("AP", dictionary! { "N" => overlay });
        });
        assert_eq!(
            changes.class,
            ChangeClass::Annotations,
            "{:?}",
            changes.details
        );
    }
}
