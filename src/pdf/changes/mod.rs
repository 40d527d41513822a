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
//!
//! Owns: the verdict ([`ChangeClass`], [`Changes`]) and [`analyse`], which loads both revisions,
//! notes what was replaced, deleted or filled in, and hands each changed object to `changed.rs`
//! and each added one to `added.rs`; `objects.rs` answers their questions about the object graph.
//! What a certification signature's DocMDP level permits of the verdict is decided in
//! `signature::pades`, not here.
//!
//! Never: reads a document other than through `pdf::load` and its budgets; lets an object pass
//! that no rule accounts for (what no rule names is `Other`).

mod added;
mod changed;
mod objects;

use std::collections::BTreeSet;

use lopdf::{Object, ObjectId};

use self::added::{Entry, trace};
use self::changed::{Compared, classify_changed};
use self::objects::{dss_objects, kind_of, references, signed_content};
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

#[cfg(test)]
mod tests;
