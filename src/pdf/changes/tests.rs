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
                b"1 1 1 rg 140 760 200 30 re f BT /F1 14 Tf 140 770 Td (9.000.000) Tj ET".to_vec(),
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
        let dss = inc
            .new_document
            .add_object(dictionary! { "Type" => "DSS", "Certs" => vec![signed.content.into()] });
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
                o.as_dict()
                    .is_ok_and(|d| d.get(b"T").ok() == Some(&Object::string_literal("Signature2")))
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
