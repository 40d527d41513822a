//! Interoperability: PDFs signed by pyHanko (installed by scripts/test.sh) with the test PKI's
//! keys verify in motcua with the signer's identity; a changed byte, a revoked signer, or content
//! changed in a later revision are never reported valid.

use motcua::pdf::changes::ChangeClass;
use motcua::signature::{Indication, SubIndication, VerifyOptions, pades};

const PKI: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/pki");
const PDF: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/pyhanko/pdf/minimal.pdf"
);

/// Signs `input` with pyHanko's CLI as `signer`, in a new field.
fn pyhanko_sign(input: &[u8], signer: &str, field: &str) -> Vec<u8> {
    pyhanko_sign_with(input, signer, field, &[])
}

fn pyhanko_sign_with(input: &[u8], signer: &str, field: &str, extra: &[&str]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let (inp, out) = (dir.path().join("in.pdf"), dir.path().join("out.pdf"));
    std::fs::write(&inp, input).unwrap();
    let result = std::process::Command::new("pyhanko")
        .args(["sign", "addsig", "--field", field])
        .args(extra)
        .arg("pemder")
        .arg("--key")
        .arg(format!("{PKI}/signer-{signer}.key.pem"))
        .arg("--cert")
        .arg(format!("{PKI}/signer-{signer}.pem"))
        .arg("--chain")
        .arg(format!("{PKI}/intermediate-ca.pem"))
        .arg("--no-pass")
        .arg(&inp)
        .arg(&out)
        .output()
        .expect("pyHanko is required for these tests: scripts/test.sh installs it");
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    std::fs::read(out).unwrap()
}

fn options() -> VerifyOptions {
    crate::support::test_pki_options()
}

#[test]
fn pdfs_signed_by_pyhanko_verify_with_the_signers_identity() {
    for (signer, tax_code) in [
        ("rsa", Some("0106869738")),
        ("ecdsa", Some("0106869738-012")),
        ("citizen", None),
    ] {
        let signed = pyhanko_sign(&std::fs::read(PDF).unwrap(), signer, "Sig1");
        let report = pades::verify(&signed, &options()).unwrap();
        assert_eq!(
            report.indication,
            Indication::TotalPassed,
            "{signer}: {report:#?}"
        );
        assert_eq!(
            report.signatures[0]
                .signer
                .as_ref()
                .unwrap()
                .tax_code
                .as_deref(),
            tax_code,
            "{signer}"
        );
    }
}

#[test]
fn a_revoked_signer_or_a_changed_byte_fails() {
    let signed = pyhanko_sign(&std::fs::read(PDF).unwrap(), "revoked", "Sig1");
    let report = pades::verify(&signed, &options()).unwrap();
    assert_eq!(
        (report.indication, report.sub_indication),
        (Indication::TotalFailed, Some(SubIndication::Revoked))
    );

    let mut flipped = pyhanko_sign(&std::fs::read(PDF).unwrap(), "rsa", "Sig1");
    flipped[12] ^= 0x01;
    let report = pades::verify(&flipped, &options()).unwrap();
    assert_eq!(
        (report.indication, report.sub_indication),
        (Indication::TotalFailed, Some(SubIndication::HashFailure))
    );
}

/// A later revision that replaces the first page's content, saved incrementally (lopdf).
fn change_page_content(signed: &[u8]) -> Vec<u8> {
    use lopdf::{Dictionary, IncrementalDocument, Object, Stream};
    let mut inc: IncrementalDocument = signed.try_into().unwrap();
    let page = *inc
        .get_prev_documents()
        .get_pages()
        .values()
        .next()
        .unwrap();
    inc.opt_clone_object_to_new_document(page).unwrap();
    let content = inc.new_document.add_object(Stream::new(
        Dictionary::new(),
        b"BT /F1 24 Tf 72 700 Td (PAID IN FULL) Tj ET".to_vec(),
    ));
    inc.new_document
        .get_object_mut(page)
        .unwrap()
        .as_dict_mut()
        .unwrap()
        .set("Contents", Object::Reference(content));
    let mut out = Vec::new();
    inc.save_to(&mut out).unwrap();
    out
}

#[test]
fn content_changed_after_signing_is_never_confirmed() {
    let signed = pyhanko_sign(&std::fs::read(PDF).unwrap(), "rsa", "Sig1");
    let changed = change_page_content(&signed);
    assert!(changed.len() > signed.len() && changed.starts_with(&signed));
    let report = pades::verify(&changed, &options()).unwrap();
    assert_eq!(
        (report.indication, report.sub_indication),
        (Indication::TotalFailed, Some(SubIndication::FormatFailure)),
        "{report:#?}"
    );
    assert_eq!(report.signatures[0].modifications, Some(ChangeClass::Other));
    assert!(
        report.signatures[0].errors[0].contains("no longer stands"),
        "{:?}",
        report.signatures[0].errors
    );
}

#[test]
fn a_second_signature_added_later_leaves_the_first_standing() {
    let first = pyhanko_sign(&std::fs::read(PDF).unwrap(), "rsa", "Sig1");
    let both = pyhanko_sign(&first, "ecdsa", "Sig2");
    let report = pades::verify(&both, &options()).unwrap();
    assert_eq!(report.indication, Indication::TotalPassed, "{report:#?}");
    assert_eq!(report.signatures.len(), 2);
    assert_eq!(report.signatures[0].covers_whole_file, Some(false));
    assert_eq!(
        report.signatures[0].modifications,
        Some(ChangeClass::SignaturesAndForms)
    );
    assert_eq!(report.signatures[1].modifications, Some(ChangeClass::None));
    // ... but content changed after both is caught for both.
    let changed = change_page_content(&both);
    let report = pades::verify(&changed, &options()).unwrap();
    assert!(
        report
            .signatures
            .iter()
            .all(|s| s.indication == Indication::TotalFailed),
        "{report:#?}"
    );
}

/// Applies `edit` to a copy of the document as a new incremental revision.
fn revise(signed: &[u8], edit: impl FnOnce(&mut lopdf::IncrementalDocument)) -> Vec<u8> {
    let mut inc: lopdf::IncrementalDocument = signed.try_into().unwrap();
    edit(&mut inc);
    let mut out = Vec::new();
    inc.save_to(&mut out).unwrap();
    out
}

/// A new revision adding the annotation that `make` creates (given the page's id) to the
/// first page's /Annots.
fn annotate_first_page(
    signed: &[u8],
    make: impl FnOnce(&mut lopdf::IncrementalDocument, lopdf::ObjectId) -> lopdf::ObjectId,
) -> Vec<u8> {
    revise(signed, |inc| {
        let page = *inc
            .get_prev_documents()
            .get_pages()
            .values()
            .next()
            .unwrap();
        let annotation = make(inc, page);
        inc.opt_clone_object_to_new_document(page).unwrap();
        let dict = inc
            .new_document
            .get_object_mut(page)
            .unwrap()
            .as_dict_mut()
            .unwrap();
        let mut annots = dict
            .get(b"Annots")
            .ok()
            .and_then(|a| a.as_array().ok().cloned())
            .unwrap_or_default();
        annots.push(lopdf::Object::Reference(annotation));
        dict.set("Annots", annots);
    })
}

#[test]
fn actions_pages_and_annotations_added_after_signing_are_caught() {
    use lopdf::{Object, dictionary};
    let signed = pyhanko_sign(&std::fs::read(PDF).unwrap(), "rsa", "Sig1");
    let root = |inc: &lopdf::IncrementalDocument| {
        inc.get_prev_documents()
            .trailer
            .get(b"Root")
            .unwrap()
            .as_reference()
            .unwrap()
    };

    let with_action = revise(&signed, |inc| {
        let id = root(inc);
        inc.opt_clone_object_to_new_document(id).unwrap();
        let action = inc.new_document.add_object(
            dictionary! { "S" => "JavaScript", "JS" => Object::string_literal("app.alert('x')") },
        );
        inc.new_document
            .get_object_mut(id)
            .unwrap()
            .as_dict_mut()
            .unwrap()
            .set("OpenAction", Object::Reference(action));
    });
    let with_page = revise(&signed, |inc| {
        let pages = inc
            .get_prev_documents()
            .catalog()
            .unwrap()
            .get(b"Pages")
            .unwrap()
            .as_reference()
            .unwrap();
        inc.opt_clone_object_to_new_document(pages).unwrap();
        let page = inc.new_document.add_object(dictionary! { "Type" => "Page", "Parent" => Object::Reference(pages), "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()] });
        let node = inc
            .new_document
            .get_object_mut(pages)
            .unwrap()
            .as_dict_mut()
            .unwrap();
        let mut kids = node.get(b"Kids").unwrap().as_array().unwrap().clone();
        kids.push(Object::Reference(page));
        node.set("Kids", kids);
        node.set("Count", 2);
    });
    let with_note = annotate_first_page(&signed, |inc, _| {
        inc.new_document.add_object(dictionary! { "Type" => "Annot", "Subtype" => "FreeText", "Rect" => vec![0.into(), 0.into(), 595.into(), 842.into()], "Contents" => Object::string_literal("VOID") })
    });
    for (name, bytes, class) in [
        ("open action", with_action, ChangeClass::Other),
        ("added page", with_page, ChangeClass::Other),
        ("free-text annotation", with_note, ChangeClass::Annotations),
    ] {
        let report = pades::verify(&bytes, &options()).unwrap();
        assert_ne!(
            report.indication,
            Indication::TotalPassed,
            "{name}: {report:#?}"
        );
        assert_eq!(
            report.signatures[0].modifications,
            Some(class),
            "{name}: {:?}",
            report.signatures[0].errors
        );
    }
}

/// The signature dictionary of a signed document.
fn signature_object(doc: &lopdf::Document) -> lopdf::ObjectId {
    *doc.objects
        .iter()
        .find(|(_, o)| o.as_dict().is_ok_and(|d| d.get(b"ByteRange").is_ok()))
        .unwrap()
        .0
}

#[test]
fn signature_dictionaries_rewritten_in_a_later_revision_are_refused() {
    use lopdf::Object;
    let signed = pyhanko_sign(&std::fs::read(PDF).unwrap(), "rsa", "Sig1");
    // Universal signature forgery: the signature's /Contents emptied in a later revision.
    let emptied = revise(&signed, |inc| {
        let id = signature_object(inc.get_prev_documents());
        inc.opt_clone_object_to_new_document(id).unwrap();
        inc.new_document
            .get_object_mut(id)
            .unwrap()
            .as_dict_mut()
            .unwrap()
            .set("Contents", Object::string_literal(""));
    });
    // Signature wrapping: the very same dictionary written again later, so that the /ByteRange
    // gap no longer is its /Contents.
    let moved = revise(&signed, |inc| {
        let id = signature_object(inc.get_prev_documents());
        inc.opt_clone_object_to_new_document(id).unwrap();
    });
    // A /ByteRange rewritten to cover less.
    let narrowed = revise(&signed, |inc| {
        let id = signature_object(inc.get_prev_documents());
        inc.opt_clone_object_to_new_document(id).unwrap();
        let d = inc
            .new_document
            .get_object_mut(id)
            .unwrap()
            .as_dict_mut()
            .unwrap();
        d.set("ByteRange", vec![0.into(), 10.into(), 20.into(), 30.into()]);
    });
    for (name, bytes) in [
        ("emptied /Contents", emptied),
        ("moved dictionary", moved),
        ("narrowed range", narrowed),
    ] {
        let report = pades::verify(&bytes, &options()).unwrap();
        assert_eq!(
            report.indication,
            Indication::TotalFailed,
            "{name}: {report:#?}"
        );
        assert_eq!(
            report.sub_indication,
            Some(SubIndication::FormatFailure),
            "{name}"
        );
    }
}

#[test]
fn a_certification_signature_limits_what_may_follow() {
    // Certified (DocMDP P=2): another signature may follow, an annotation may not.
    let certified = pyhanko_sign_with(&std::fs::read(PDF).unwrap(), "rsa", "Sig1", &["--certify"]);
    assert_eq!(
        motcua::pdf::signatures(&certified).unwrap()[0].docmdp,
        Some(2)
    );
    let signed_again = pyhanko_sign(&certified, "ecdsa", "Sig2");
    let report = pades::verify(&signed_again, &options()).unwrap();
    assert_eq!(report.indication, Indication::TotalPassed, "{report:#?}");

    let annotated = annotate_first_page(&certified, |inc, _| {
        inc.new_document.add_object(lopdf::dictionary! { "Type" => "Annot", "Subtype" => "Text", "Rect" => vec![0.into(), 0.into(), 10.into(), 10.into()] })
    });
    let report = pades::verify(&annotated, &options()).unwrap();
    assert_eq!(report.indication, Indication::TotalFailed, "{report:#?}");
    assert!(
        report.signatures[0].errors[0].contains("DocMDP"),
        "{:?}",
        report.signatures[0].errors
    );
}

#[test]
fn an_unsigned_signature_field_painted_over_the_page_is_caught() {
    use lopdf::{Dictionary, Object, Stream, dictionary};
    let signed = pyhanko_sign(&std::fs::read(PDF).unwrap(), "rsa", "Sig1");
    // The "sneaky signature" attack: a new signature field, no signature, an appearance that
    // covers the page.
    let sneaky = annotate_first_page(&signed, |inc, page| {
        let overlay = inc.new_document.add_object(Stream::new(
            dictionary! { "Type" => "XObject", "Subtype" => "Form", "BBox" => vec![0.into(), 0.into(), 595.into(), 842.into()] },
            b"1 1 1 rg 0 0 595 842 re f".to_vec(),
        ));
        inc.new_document.add_object(dictionary! {
            "Type" => "Annot", "Subtype" => "Widget", "FT" => "Sig", "T" => Object::string_literal("Sig9"),
            "Rect" => vec![0.into(), 0.into(), 595.into(), 842.into()], "P" => Object::Reference(page),
            "AP" => Dictionary::from_iter(vec![("N", Object::Reference(overlay))]),
        })
    });
    let report = pades::verify(&sneaky, &options()).unwrap();
    assert_ne!(report.indication, Indication::TotalPassed, "{report:#?}");
    assert_eq!(
        report.signatures[0].modifications,
        Some(ChangeClass::Annotations)
    );
}
