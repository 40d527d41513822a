//! Co-signing (issue 13, finding 3): a PDF signed in one field and then again in another — a
//! result co-signed by a second agency, a form signed by a director and then by a chief
//! accountant — keeps its first signature, whoever made each signature (motcua or pyHanko) and
//! whether each shows a block on the page or not. Both signatures pass in motcua and in pyHanko.
//! A later revision that brings anything a new signature's appearance does not (an object
//! nothing refers to, an image painted into the page, an object filling a reference the signed
//! revision left dangling, page content listed as validation data) still fails every signature
//! before it.

use motcua::pdf::changes::ChangeClass;
use motcua::signature::{Indication, pades};

use crate::signing::{CERTS, PKI, motcua, run};

/// An empty A4 page: room for two blocks side by side.
const A4: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/pyhanko/pdf/empty-a4.pdf"
);

/// Who makes a signature.
#[derive(Debug, Clone, Copy)]
enum Tool {
    Motcua,
    PyHanko,
}

/// One signature to add: by which tool, and whether it shows a block on page 1.
#[derive(Debug, Clone, Copy)]
struct Signing {
    tool: Tool,
    visible: bool,
}

const fn by(tool: Tool, visible: bool) -> Signing {
    Signing { tool, visible }
}

/// Every way of making the second signature.
const EVERY_SECOND: [Signing; 4] = [
    by(Tool::Motcua, true),
    by(Tool::Motcua, false),
    by(Tool::PyHanko, true),
    by(Tool::PyHanko, false),
];

/// The signers (test PKI): a director signs first, the chief accountant second.
const SIGNERS: [&str; 2] = ["rsa", "ecdsa"];
/// What each one's block says (Vietnamese, so motcua embeds its font's subset).
const AGENCIES: [&str; 2] = ["Giám đốc Sở Tư pháp", "Kế toán trưởng"];
/// Where each one's block goes on the A4 page (points), side by side.
const RECTS: [&str; 2] = ["40,40,290,120", "305,40,555,120"];

/// The field the `nth` signature (0 or 1) goes into, by tool (each tool's own default style).
fn field(tool: Tool, nth: usize) -> String {
    match tool {
        Tool::Motcua => format!("Signature{}", nth + 1),
        Tool::PyHanko => format!("Sig{}", nth + 1),
    }
}

/// Adds the `nth` signature (0 or 1) to `input` as `how` says.
fn sign(input: &[u8], how: Signing, nth: usize) -> Vec<u8> {
    sign_at(input, how, nth, &field(how.tool, nth), RECTS[nth])
}

/// Adds a signature by the `nth` signer to `input` as `how` says, in field `name` (a new one,
/// or for pyHanko also an empty one the document has), its block (if visible) at `rect`.
fn sign_at(input: &[u8], how: Signing, nth: usize, name: &str, rect: &str) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let (inp, out) = (dir.path().join("in.pdf"), dir.path().join("out.pdf"));
    std::fs::write(&inp, input).unwrap();
    let key = format!("{PKI}/signer-{}.key.pem", SIGNERS[nth]);
    let cert = format!("{PKI}/signer-{}.pem", SIGNERS[nth]);
    let chain = format!("{PKI}/intermediate-ca.pem");
    match how.tool {
        Tool::Motcua => {
            let mut args: Vec<&std::ffi::OsStr> = vec![
                "sign".as_ref(),
                "--key".as_ref(),
                key.as_ref(),
                "--cert".as_ref(),
                cert.as_ref(),
                "--chain".as_ref(),
                chain.as_ref(),
                "--field".as_ref(),
                name.as_ref(),
            ];
            if how.visible {
                args.extend::<[&std::ffi::OsStr; 4]>([
                    "--visible".as_ref(),
                    AGENCIES[nth].as_ref(),
                    "--rect".as_ref(),
                    rect.as_ref(),
                ]);
            }
            args.extend([inp.as_os_str(), out.as_os_str()]);
            let (code, text) = motcua(&args, &[]);
            assert_eq!(code, Some(0), "motcua sign {how:?}: {text}");
        }
        Tool::PyHanko => {
            // pyHanko's visible fields are named PAGE/x1,y1,x2,y2/NAME.
            let spec = if how.visible {
                format!("1/{rect}/{name}")
            } else {
                name.to_owned()
            };
            let (ok, text) = run(
                "pyhanko",
                &[
                    "sign".as_ref(),
                    "addsig".as_ref(),
                    "--field".as_ref(),
                    spec.as_ref(),
                    "pemder".as_ref(),
                    "--key".as_ref(),
                    key.as_ref(),
                    "--cert".as_ref(),
                    cert.as_ref(),
                    "--chain".as_ref(),
                    chain.as_ref(),
                    "--no-pass".as_ref(),
                    inp.as_os_str(),
                    out.as_os_str(),
                ],
            );
            assert!(ok, "pyhanko sign {how:?}: {text}");
        }
    }
    let signed = std::fs::read(&out).unwrap();
    assert!(signed.starts_with(input), "{how:?}: an incremental update");
    signed
}

/// pyHanko's verdict on each signature of `pdf` (field name → status), trusting the test
/// root only.
fn pyhanko_verdicts(pdf: &[u8]) -> Vec<(String, String)> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("signed.pdf");
    std::fs::write(&path, pdf).unwrap();
    let root = format!("{PKI}/root-ca.pem");
    let (_, text) = run(
        "pyhanko",
        &[
            "sign".as_ref(),
            "validate".as_ref(),
            "--trust".as_ref(),
            root.as_ref(),
            "--trust-replace".as_ref(),
            "--no-revocation-check".as_ref(),
            path.as_os_str(),
        ],
    );
    // One line per signature: NAME:SHA-256 of the signature:STATUS.
    text.lines()
        .filter_map(|l| {
            let mut parts = l.splitn(3, ':');
            let (name, digest, status) = (parts.next()?, parts.next()?, parts.next()?);
            (digest.len() == 64 && digest.bytes().all(|b| b.is_ascii_hexdigit()))
                .then(|| (name.to_owned(), status.to_owned()))
        })
        .collect()
}

/// Signs an empty A4 page as `first`, then as `second`, and checks that both signatures pass
/// in motcua (the first with a later revision that only signs) and in pyHanko (the first with
/// acceptable modifications).
fn assert_both_stand(first: Signing, second: Signing) {
    let case = format!("{first:?} then {second:?}");
    let once = sign(&std::fs::read(A4).unwrap(), first, 0);
    let both = sign(&once, second, 1);

    let report = pades::verify(&both, &crate::support::test_pki_options()).unwrap();
    assert_eq!(
        report.indication,
        Indication::TotalPassed,
        "{case}: {report:#?}"
    );
    assert_eq!(report.signatures.len(), 2, "{case}");
    for s in &report.signatures {
        assert_eq!(s.indication, Indication::TotalPassed, "{case}: {s:#?}");
    }
    assert_eq!(
        report.signatures[0].covers_whole_file,
        Some(false),
        "{case}"
    );
    assert_eq!(
        report.signatures[0].modifications,
        Some(ChangeClass::SignaturesAndForms),
        "{case}: {:?}",
        report.signatures[0].warnings
    );
    assert_eq!(
        report.signatures[1].modifications,
        Some(ChangeClass::None),
        "{case}"
    );

    let verdicts = pyhanko_verdicts(&both);
    let verdict = |nth: usize, tool: Tool| {
        let name = field(tool, nth);
        verdicts
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("{case}: pyHanko said nothing of {name}: {verdicts:?}"))
    };
    let (v1, v2) = (verdict(0, first.tool), verdict(1, second.tool));
    assert!(
        v1.starts_with("INTACT:TRUSTED,") && v1.ends_with("ACCEPTABLE_MODIFICATIONS"),
        "{case}: pyHanko on the first signature: {v1}"
    );
    assert_eq!(
        v2, "INTACT:TRUSTED,UNTOUCHED",
        "{case}: pyHanko on the second"
    );
}

#[test]
fn a_second_visible_motcua_signature_leaves_a_visible_motcua_signature_standing() {
    // The case reported: `motcua verify` said TOTAL_FAILED / FORMAT_FAILURE of the first
    // signature, "object N (unknown) was added" (the new block's font file and ToUnicode map).
    assert_both_stand(by(Tool::Motcua, true), by(Tool::Motcua, true));

    // The command line says so too.
    let once = sign(&std::fs::read(A4).unwrap(), by(Tool::Motcua, true), 0);
    let both = sign(&once, by(Tool::Motcua, true), 1);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("co-signed.pdf");
    std::fs::write(&path, &both).unwrap();
    let (root, intermediate_crl, root_crl) = (
        format!("{PKI}/root-ca.pem"),
        format!("{PKI}/intermediate.crl.pem"),
        format!("{PKI}/root.crl.pem"),
    );
    let (code, text) = motcua(
        &[
            "verify".as_ref(),
            "--trust".as_ref(),
            root.as_ref(),
            "--crl".as_ref(),
            intermediate_crl.as_ref(),
            "--crl".as_ref(),
            root_crl.as_ref(),
            "--revocation".as_ref(),
            "require".as_ref(),
            "--json".as_ref(),
            path.as_os_str(),
        ],
        &[],
    );
    assert_eq!(code, Some(0), "{text}");
    let report: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(report["indication"], "TOTAL_PASSED", "{text}");
    let signatures = report["signatures"].as_array().unwrap();
    assert_eq!(signatures.len(), 2, "{text}");
    assert!(
        signatures.iter().all(|s| s["indication"] == "TOTAL_PASSED"),
        "{text}"
    );
}

#[test]
fn any_second_signature_leaves_a_visible_motcua_signature_standing() {
    for second in EVERY_SECOND {
        assert_both_stand(by(Tool::Motcua, true), second);
    }
}

#[test]
fn any_second_signature_leaves_an_invisible_motcua_signature_standing() {
    for second in EVERY_SECOND {
        assert_both_stand(by(Tool::Motcua, false), second);
    }
}

#[test]
fn any_second_signature_leaves_a_visible_pyhanko_signature_standing() {
    for second in EVERY_SECOND {
        assert_both_stand(by(Tool::PyHanko, true), second);
    }
}

#[test]
fn any_second_signature_leaves_an_invisible_pyhanko_signature_standing() {
    for second in EVERY_SECOND {
        assert_both_stand(by(Tool::PyHanko, false), second);
    }
}

/// pyHanko's sample whose page keeps its /Annots in an object of its own, with an empty
/// signature field: new fields go into that object (not into the page), and the empty field is
/// signed where it is.
#[test]
fn signatures_added_to_annotations_kept_apart_or_into_an_empty_field_stand() {
    let input = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/pyhanko/pdf/minimal-one-field-indir-annots.pdf"
    ))
    .unwrap();
    let once = sign_at(
        &input,
        by(Tool::Motcua, true),
        0,
        "Signature1",
        "10,10,140,60",
    );
    let twice = sign_at(&once, by(Tool::PyHanko, true), 1, "Sig2", "150,10,290,60");
    let thrice = sign_at(&twice, by(Tool::PyHanko, false), 0, "SigOld", "");

    let report = pades::verify(&thrice, &crate::support::test_pki_options()).unwrap();
    assert_eq!(report.signatures.len(), 3, "{report:#?}");
    for s in &report.signatures {
        assert_eq!(s.indication, Indication::TotalPassed, "{s:#?}");
    }
    let verdicts = pyhanko_verdicts(&thrice);
    assert_eq!(verdicts.len(), 3, "{verdicts:?}");
    for (name, verdict) in &verdicts {
        assert!(verdict.starts_with("INTACT:TRUSTED,"), "{name}: {verdict}");
    }
}

#[tokio::test]
async fn a_result_co_signed_by_a_second_agency_passes_the_public_check() {
    use motcua::auth::Role;
    use serde_json::{Value, json};

    use crate::support::{TestApp, business_dossier, form, pdf};

    let app = TestApp::spawn().await;
    let business = app.business_token("0101234565").await;
    let filed = app
        .submit_ok(
            &business,
            form(
                &business_dossier("0101234565"),
                vec![("giay-de-nghi.pdf", "application/pdf", pdf("de nghi"))],
            ),
        )
        .await;
    let officer = app.token(Role::Officer).await;
    let issued = app
        .client
        .post(app.url(&format!(
            "/api/v1/dossiers/{}/results",
            filed["id"].as_str().unwrap()
        )))
        .bearer_auth(&officer)
        .json(&json!({
            "kind": "business_registration",
            "fields": [["Tên doanh nghiệp", "CÔNG TY TNHH ÁNH DƯƠNG"]],
            "place": "Hà Nội"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(issued.status(), 201);
    let code = issued.json::<Value>().await.unwrap()["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let result = app
        .get(&officer, &format!("/api/v1/results/{code}/pdf"))
        .await
        .bytes()
        .await
        .unwrap();

    // A second agency (here the demo agency again, which the public page trusts) signs the
    // issued result with its own visible block, in its own embedded font.
    let dir = tempfile::tempdir().unwrap();
    let (inp, out) = (dir.path().join("kq.pdf"), dir.path().join("co-signed.pdf"));
    std::fs::write(&inp, &result).unwrap();
    let (key, cert) = (
        format!("{CERTS}/demo-agency.key.pem"),
        format!("{CERTS}/demo-agency.pem"),
    );
    let (status, text) = motcua(
        &[
            "sign".as_ref(),
            "--key".as_ref(),
            key.as_ref(),
            "--cert".as_ref(),
            cert.as_ref(),
            "--field".as_ref(),
            "DongKy".as_ref(),
            "--visible".as_ref(),
            "Sở Kế hoạch và Đầu tư".as_ref(),
            "--rect".as_ref(),
            "40,40,290,120".as_ref(),
            inp.as_os_str(),
            out.as_os_str(),
        ],
        &[],
    );
    assert_eq!(status, Some(0), "{text}");

    let upload = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(std::fs::read(&out).unwrap()).file_name("kq.pdf"),
    );
    let checked: Value = app
        .client
        .post(app.url("/verify"))
        .header("accept", "application/json")
        .multipart(upload)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // Not the bytes issued here (the verdict says so), but both signatures stand.
    assert_eq!(checked["report"]["indication"], "TOTAL_PASSED", "{checked}");
    let signatures = checked["report"]["signatures"].as_array().unwrap();
    assert_eq!(signatures.len(), 2, "{checked}");
    for s in signatures {
        assert_eq!(s["indication"], "TOTAL_PASSED", "{s}");
    }
    assert_eq!(signatures[0]["modifications"], "signatures_and_forms");
}

/// Applies `edit` to a copy of `pdf` as a new incremental revision (lopdf).
fn revise(pdf: &[u8], edit: impl FnOnce(&mut lopdf::IncrementalDocument)) -> Vec<u8> {
    let mut inc: lopdf::IncrementalDocument = pdf.try_into().unwrap();
    edit(&mut inc);
    let mut out = Vec::new();
    inc.save_to(&mut out).unwrap();
    out
}

/// The first page's object id.
fn first_page(inc: &lopdf::IncrementalDocument) -> lopdf::ObjectId {
    *inc.get_prev_documents()
        .get_pages()
        .values()
        .next()
        .unwrap()
}

/// The object a dangling reference of [`with_a_dangling_content_reference`] points to.
const DANGLING: lopdf::ObjectId = (900, 0);

/// An A4 page whose /Contents also lists object 900, which the file does not contain: it reads
/// as null, so the page shows only its first content stream — until a revision supplies 900.
fn with_a_dangling_content_reference() -> Vec<u8> {
    use lopdf::{Document, Object, Stream, dictionary};
    let mut doc = Document::with_version("1.7");
    let pages = doc.new_object_id();
    let font = doc.add_object(
        dictionary! { "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica" },
    );
    let content = doc.add_object(Stream::new(
        dictionary! {},
        b"BT /F1 14 Tf 72 770 Td (So tien: 1.000.000 dong) Tj ET".to_vec(),
    ));
    let page = doc.add_object(dictionary! {
        "Type" => "Page",
        "Parent" => pages,
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        "Resources" => dictionary! { "Font" => dictionary! { "F1" => font } },
        "Contents" => vec![Object::Reference(content), Object::Reference(DANGLING)],
    });
    doc.objects.insert(
        pages,
        Object::Dictionary(
            dictionary! { "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1 },
        ),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages });
    doc.trailer.set("Root", catalog);
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

#[test]
fn a_later_revision_that_brings_more_than_a_signature_fails_both_co_signatures() {
    use lopdf::{Object, Stream, dictionary};
    let prepared = with_a_dangling_content_reference();
    let once = sign(&prepared, by(Tool::Motcua, true), 0);
    let both = sign(&once, by(Tool::Motcua, true), 1);
    let report = pades::verify(&both, &crate::support::test_pki_options()).unwrap();
    assert_eq!(report.indication, Indication::TotalPassed, "{report:#?}");

    // A font, in name only, that nothing refers to.
    let orphan_font = revise(&both, |inc| {
        inc.new_document.add_object(
            dictionary! { "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica" },
        );
    });
    // The object the signed page refers to but did not contain: a content stream calling itself
    // a font.
    let filled = revise(&both, |inc| {
        inc.new_document.objects.insert(
            DANGLING,
            Object::Stream(Stream::new(
                dictionary! { "Type" => "Font" },
                b"1 1 1 rg 140 760 200 30 re f BT /F1 14 Tf 140 770 Td (9.000.000) Tj ET".to_vec(),
            )),
        );
        inc.new_document.max_id = inc.new_document.max_id.max(DANGLING.0);
    });
    // An image painted into the page by a new content stream.
    let painted = revise(&both, |inc| {
        let page = first_page(inc);
        let image = inc.new_document.add_object(Stream::new(
            dictionary! {
                "Type" => "XObject", "Subtype" => "Image", "Width" => 1, "Height" => 1,
                "ColorSpace" => "DeviceGray", "BitsPerComponent" => 8,
            },
            vec![0],
        ));
        let paint = inc.new_document.add_object(Stream::new(
            dictionary! {},
            b"q 200 0 0 30 140 760 cm /Im9 Do Q".to_vec(),
        ));
        inc.opt_clone_object_to_new_document(page).unwrap();
        let dict = inc
            .new_document
            .get_object_mut(page)
            .unwrap()
            .as_dict_mut()
            .unwrap();
        let mut contents = dict.get(b"Contents").unwrap().as_array().unwrap().clone();
        contents.push(Object::Reference(paint));
        dict.set("Contents", contents);
        let mut resources = dict.get(b"Resources").unwrap().as_dict().unwrap().clone();
        resources.set("XObject", dictionary! { "Im9" => image });
        dict.set("Resources", resources);
    });
    // The page's content stream listed as validation data, then changed.
    let listed_as_dss = revise(&both, |inc| {
        let page = first_page(inc);
        let prev = inc.get_prev_documents();
        let content = prev
            .get_dictionary(page)
            .unwrap()
            .get(b"Contents")
            .unwrap()
            .as_array()
            .unwrap()[0]
            .as_reference()
            .unwrap();
        let root = prev.trailer.get(b"Root").unwrap().as_reference().unwrap();
        inc.opt_clone_object_to_new_document(content).unwrap();
        if let Ok(Object::Stream(s)) = inc.new_document.get_object_mut(content) {
            s.set_plain_content(b"BT /F1 14 Tf 72 770 Td (So tien: 9.000.000 dong) Tj ET".to_vec());
        }
        let dss = inc.new_document.add_object(dictionary! {
            "Type" => "DSS", "Certs" => vec![Object::Reference(content)],
        });
        inc.opt_clone_object_to_new_document(root).unwrap();
        inc.new_document
            .get_object_mut(root)
            .unwrap()
            .as_dict_mut()
            .unwrap()
            .set("DSS", dss);
    });

    for (name, bytes) in [
        ("a font nothing refers to", orphan_font),
        ("a dangling reference filled", filled),
        ("an image painted into the page", painted),
        ("page content listed as validation data", listed_as_dss),
    ] {
        let report = pades::verify(&bytes, &crate::support::test_pki_options()).unwrap();
        assert_eq!(report.signatures.len(), 2, "{name}");
        for s in &report.signatures {
            assert_eq!(
                (s.indication, s.modifications),
                (Indication::TotalFailed, Some(ChangeClass::Other)),
                "{name}: {s:#?}"
            );
        }
    }
}
