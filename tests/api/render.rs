//! Result documents rendered to PDF, checked with independent tools: qpdf for the syntax,
//! poppler (pdffonts, pdftotext, pdftoppm) for fonts and text, zbarimg for the QR code.

use std::path::{Path, PathBuf};

use lopdf::{Document, Object};
use motcua::pdf::font::{Font, TextWriter, wrap};
use motcua::pdf::render::{RenderError, ResultDocument, ResultKind, render, signature_area};
use time::macros::{date, datetime};

use crate::signing::{assert_qpdf_accepts, run};

const AGENCY: &str = "Sở Kế hoạch và Đầu tư Thành phố Hà Nội";
const ADDRESS: &str = "Nguyễn Thị Hồng Nhung, phường Láng Thượng, quận Đống Đa";
const URL: &str = "https://motcua.hanoi.gov.vn/xac-thuc/HN-261128-0001-KQ1?h=3f9a2c";

/// Every precomposed letter of Vietnamese, lower and upper case.
const VIETNAMESE: &str = "aàáảãạăằắẳẵặâầấẩẫậeèéẻẽẹêềếểễệiìíỉĩịoòóỏõọôồốổỗộơờớởỡợuùúủũụưừứửữựyỳýỷỹỵđ\
                          AÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬEÈÉẺẼẸÊỀẾỂỄỆIÌÍỈĨỊOÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢUÙÚỦŨỤƯỪỨỬỮỰYỲÝỶỸỴĐ";

fn sample(kind: ResultKind) -> ResultDocument {
    ResultDocument {
        kind,
        result_code: "HN-261128-0001-KQ1".into(),
        dossier_code: "HN-261128-0001".into(),
        agency: AGENCY.into(),
        title: String::new(),
        fields: vec![
            (
                "Tên doanh nghiệp".into(),
                "Công ty TNHH Một Thành Viên Ánh Dương".into(),
            ),
            ("Người đại diện, địa chỉ".into(), ADDRESS.into()),
            ("Mã số doanh nghiệp".into(), "0109876532".into()),
        ],
        place: "Hà Nội".into(),
        issued_at: datetime!(2026-11-28 02:30:00 UTC),
        due_date: Some(date!(2026 - 12 - 05)),
        verify_url: URL.into(),
    }
}

/// Writes `pdf` into a fresh directory that lives as long as the returned guard.
fn write(pdf: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("result.pdf");
    std::fs::write(&path, pdf).unwrap();
    (dir, path)
}

/// The text poppler extracts, with every run of whitespace made one space.
fn extracted_text(pdf: &Path) -> String {
    let (ok, text) = run(
        "pdftotext",
        &[
            "-enc".as_ref(),
            "UTF-8".as_ref(),
            pdf.as_os_str(),
            "-".as_ref(),
        ],
    );
    assert!(ok, "pdftotext failed: {text}");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every word poppler finds, with its box `[x_min, y_min, x_max, y_max]` in points from the
/// top-left corner.
fn words(pdf: &Path) -> Vec<(String, [f32; 4])> {
    let (ok, html) = run(
        "pdftotext",
        &[
            "-bbox".as_ref(),
            "-enc".as_ref(),
            "UTF-8".as_ref(),
            pdf.as_os_str(),
            "-".as_ref(),
        ],
    );
    assert!(ok, "pdftotext -bbox failed: {html}");
    let attr = |line: &str, name: &str| -> f32 {
        let start = line.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        line[start..][..line[start..].find('"').unwrap()]
            .parse()
            .unwrap()
    };
    html.lines()
        .filter(|l| l.trim_start().starts_with("<word "))
        .map(|l| {
            let text = l[l.find('>').unwrap() + 1..l.rfind("</word>").unwrap()].to_string();
            let b = [
                attr(l, "xMin"),
                attr(l, "yMin"),
                attr(l, "xMax"),
                attr(l, "yMax"),
            ];
            (text, b)
        })
        .collect()
}

fn page_size(pdf: &Path) -> [f32; 2] {
    let (ok, info) = run("pdfinfo", &[pdf.as_os_str()]);
    assert!(ok, "{info}");
    let line = info.lines().find(|l| l.starts_with("Page size:")).unwrap();
    let numbers: Vec<f32> = line
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    [numbers[0], numbers[1]]
}

#[test]
fn every_kind_renders_a_pdf_that_qpdf_accepts() {
    for kind in ResultKind::ALL {
        let pdf = render(&sample(kind)).unwrap();
        assert!(pdf.starts_with(b"%PDF-1.7"), "{kind:?}");
        let (_dir, path) = write(&pdf);
        assert_qpdf_accepts(&path);
        let size = page_size(&path);
        assert!(
            (size[0] - 595.28).abs() < 0.1 && (size[1] - 841.89).abs() < 0.1,
            "{kind:?} is not A4 portrait: {size:?}"
        );
        let (ok, info) = run("pdfinfo", &[path.as_os_str()]);
        let pages = info.lines().find(|l| l.starts_with("Pages:"));
        assert_eq!(
            pages.map(|l| l.split_whitespace().nth(1)),
            Some(Some("1")),
            "{info}"
        );
        assert!(ok);
    }
}

#[test]
fn both_fonts_are_embedded_as_subsets_with_a_to_unicode_map() {
    let (_dir, path) = write(&render(&sample(ResultKind::BusinessRegistration)).unwrap());
    let (ok, table) = run("pdffonts", &[path.as_os_str()]);
    assert!(ok, "{table}");
    let fonts: Vec<&str> = table.lines().skip(2).collect();
    assert_eq!(fonts.len(), 2, "{table}");
    for font in fonts {
        let columns: Vec<&str> = font.split_whitespace().collect();
        // name type encoding emb sub uni object ID
        let tag = &columns[0][..7];
        assert!(
            tag.ends_with('+') && tag[..6].chars().all(|c| c.is_ascii_uppercase()),
            "{font}"
        );
        assert_eq!(columns[1..4], ["CID", "TrueType", "Identity-H"], "{font}");
        assert_eq!(columns[4..7], ["yes", "yes", "yes"], "{font}");
    }
    assert!(table.contains("+DejaVuSans "), "{table}");
    assert!(table.contains("+DejaVuSans-Bold "), "{table}");
}

#[test]
fn pdftotext_gives_back_the_exact_vietnamese_text() {
    let (_dir, path) = write(&render(&sample(ResultKind::BusinessRegistration)).unwrap());
    let text = extracted_text(&path);
    for expected in [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "SỞ KẾ HOẠCH VÀ ĐẦU TƯ THÀNH PHỐ HÀ NỘI",
        "GIẤY CHỨNG NHẬN ĐĂNG KÝ DOANH NGHIỆP",
        "Số: HN-261128-0001-KQ1",
        "Mã hồ sơ: HN-261128-0001",
        "Công ty TNHH Một Thành Viên Ánh Dương",
        ADDRESS,
        "Hà Nội, ngày 28 tháng 11 năm 2026",
        URL,
    ] {
        assert!(text.contains(expected), "{expected:?} not in {text:?}");
    }
}

#[test]
fn decomposed_input_prints_and_extracts_as_precomposed_text() {
    use unicode_normalization::UnicodeNormalization;
    let mut doc = sample(ResultKind::BirthRegistration);
    let nfd_address: String = ADDRESS.nfd().collect();
    assert_ne!(
        nfd_address, ADDRESS,
        "the test input must really be decomposed"
    );
    doc.fields = vec![("Họ, chữ đệm, tên".nfd().collect(), nfd_address)];
    doc.agency = AGENCY.nfd().collect();

    let nfd = render(&doc).unwrap();
    let (_dir, path) = write(&nfd);
    let text = extracted_text(&path);
    assert!(text.contains(ADDRESS), "{text:?}");
    assert!(text.contains("Họ, chữ đệm, tên:"), "{text:?}");
    assert!(text.contains("SỞ KẾ HOẠCH VÀ ĐẦU TƯ"), "{text:?}");

    // Same glyphs as the precomposed input: the page content is identical.
    doc.fields = vec![("Họ, chữ đệm, tên".into(), ADDRESS.into())];
    doc.agency = AGENCY.into();
    assert_eq!(render(&doc).unwrap(), nfd);
}

#[test]
fn the_built_in_fonts_cover_every_vietnamese_letter() {
    for font in [Font::regular(), Font::bold()] {
        assert_eq!(
            font.missing_chars(VIETNAMESE),
            Vec::<char>::new(),
            "{}",
            font.postscript_name()
        );
        // The test string is complete: 12 vowels (a ă â e ê i o ô ơ u ư y) × 6 tones + đ, both
        // cases.
        assert_eq!(VIETNAMESE.chars().count(), 2 * (12 * 6 + 1));
    }
}

#[test]
fn every_vietnamese_letter_survives_the_round_trip_through_the_pdf() {
    let mut doc = sample(ResultKind::BirthRegistration);
    let (lower, upper) = VIETNAMESE.split_at(VIETNAMESE.find('A').unwrap());
    doc.fields = vec![
        ("Chữ thường".into(), lower.into()),
        ("Chữ hoa".into(), upper.into()),
    ];
    let (_dir, path) = write(&render(&doc).unwrap());
    let text = extracted_text(&path).replace(' ', "");
    assert!(text.contains(lower), "{text:?}");
    assert!(text.contains(upper), "{text:?}");
}

/// Each embedded font of `pdf`: its /FontName, the raw (compressed) /FontFile2 bytes and the
/// length of the decompressed program.
fn font_programs(pdf: &[u8]) -> Vec<(String, Vec<u8>, usize)> {
    let doc = Document::load_mem(pdf).unwrap();
    let mut programs = Vec::new();
    for object in doc.objects.values() {
        let Ok(descriptor) = object.as_dict() else {
            continue;
        };
        let Ok(file) = descriptor.get(b"FontFile2") else {
            continue;
        };
        let name = descriptor.get(b"FontName").unwrap().as_name().unwrap();
        let stream = doc
            .get_object(file.as_reference().unwrap())
            .unwrap()
            .as_stream()
            .unwrap();
        assert_eq!(
            stream.dict.get(b"Filter").unwrap().as_name().unwrap(),
            b"FlateDecode"
        );
        let program = stream.decompressed_content().unwrap();
        assert_eq!(
            stream.dict.get(b"Length1").unwrap().as_i64().unwrap(),
            program.len() as i64
        );
        programs.push((
            String::from_utf8(name.to_vec()).unwrap(),
            stream.content.clone(),
            program.len(),
        ));
    }
    programs.sort();
    programs
}

#[test]
fn documents_in_vietnamese_share_one_font_subset_per_face_much_smaller_than_the_font() {
    let receipt = font_programs(&render(&sample(ResultKind::DossierReceipt)).unwrap());
    let mut other = sample(ResultKind::BirthRegistration);
    other.fields = vec![("Chữ".into(), VIETNAMESE.into())];
    other.place = "Thành phố Hồ Chí Minh".into();
    let other = font_programs(&render(&other).unwrap());
    assert_eq!(receipt.len(), 2);
    for (name, _, len) in &receipt {
        // The whole DejaVu Sans is about 740 KiB; the Vietnamese repertoire is a few hundred
        // glyphs.
        assert!(
            len * 10 < Font::regular().program_len(),
            "the {len} byte program of {name} is not a subset"
        );
    }
    // Different text within the repertoire: the same subsets, byte for byte, and names.
    assert_eq!(receipt, other);
}

#[test]
fn text_outside_the_vietnamese_repertoire_still_embeds_extracts_and_measures_exactly() {
    let mut doc = sample(ResultKind::BusinessRegistration);
    let outside = "Ωμέγα Straße Ωμέγα ĳ Łódź";
    doc.fields = vec![
        ("Tên nước ngoài".into(), outside.into()),
        ("Tên".into(), "Đường Láng".into()),
    ];
    let pdf = render(&doc).unwrap();
    assert_eq!(render(&doc).unwrap(), pdf, "not deterministic");
    let (_dir, path) = write(&pdf);
    assert_qpdf_accepts(&path);
    let text = extracted_text(&path);
    for expected in [
        "Ωμέγα Straße Ωμέγα",
        "Łódź",
        "Đường Láng",
        "Tên nước ngoài:",
    ] {
        assert!(text.contains(expected), "{expected:?} not in {text:?}");
    }
    // Values are bold: each word is exactly as wide as the layout measured it.
    let bold = Font::bold();
    let words = words(&path);
    for word in ["Ωμέγα", "Straße", "Łódź", "Đường", "Láng"] {
        let (_, [x0, _, x1, _]) = words.iter().find(|(w, _)| w == word).unwrap();
        let expected = bold.text_width(word, 11.0);
        assert!(
            (x1 - x0 - expected).abs() < 0.05,
            "{word}: {} wide, laid out as {expected}",
            x1 - x0
        );
    }
    // The bold face has its own subset (repertoire and extra glyphs) with its own name; the
    // regular face, used only for Vietnamese, keeps the shared one.
    let fonts = font_programs(&pdf);
    let shared = font_programs(&render(&sample(ResultKind::BusinessRegistration)).unwrap());
    assert_eq!(fonts.len(), 2);
    let regular = |f: &[(String, Vec<u8>, usize)]| {
        f.iter()
            .find(|(n, _, _)| n.ends_with("+DejaVuSans"))
            .unwrap()
            .clone()
    };
    let bold_of = |f: &[(String, Vec<u8>, usize)]| {
        f.iter()
            .find(|(n, _, _)| n.ends_with("+DejaVuSans-Bold"))
            .unwrap()
            .clone()
    };
    assert_eq!(regular(&fonts), regular(&shared));
    let (extended, shared) = (bold_of(&fonts), bold_of(&shared));
    assert_ne!(extended.0, shared.0, "two different subsets share a name");
    assert!(extended.2 > shared.2, "the extra glyphs are missing");
}

#[test]
fn repertoire_glyphs_have_fixed_codes_and_other_glyphs_follow_in_order_of_use() {
    let mut writer = TextWriter::new(Font::regular());
    // The space is the repertoire's first character, "A" its 34th.
    assert_eq!(writer.encode(" A"), b"<00010022>");
    let omega = writer.encode("Ω");
    let straße = writer.encode("ß");
    // U+1EF9 "ỹ" is the repertoire's last character.
    let last = TextWriter::new(Font::regular()).encode("ỹ");
    assert!(omega > last, "{omega:?} is not after {last:?}");
    assert!(straße > omega, "{straße:?} is not after {omega:?}");
    // Codes handed out stay: the same text encodes the same way later on.
    assert_eq!(
        writer.encode("A Ωß"),
        [&b"<00220001"[..], &omega[1..5], &straße[1..]].concat()
    );
    assert_eq!(TextWriter::new(Font::regular()).encode(" A"), b"<00010022>");
}

#[test]
fn the_qr_code_decodes_to_the_verify_url() {
    let (dir, path) = write(&render(&sample(ResultKind::BusinessRegistration)).unwrap());
    let png = dir.path().join("page");
    let (ok, out) = run(
        "pdftoppm",
        &[
            "-r".as_ref(),
            "150".as_ref(),
            "-png".as_ref(),
            "-singlefile".as_ref(),
            path.as_os_str(),
            png.as_os_str(),
        ],
    );
    assert!(ok, "{out}");
    let image = dir.path().join("page.png");
    let (ok, decoded) = run(
        "zbarimg",
        &["--quiet".as_ref(), "--raw".as_ref(), image.as_os_str()],
    );
    assert!(ok, "zbarimg found no code: {decoded}");
    // zbarimg may add complaints about D-Bus on stderr after the decoded text.
    assert_eq!(decoded.lines().next(), Some(URL), "{decoded}");
}

#[test]
fn the_same_input_renders_to_the_same_bytes() {
    for kind in [ResultKind::BusinessRegistration, ResultKind::DossierReceipt] {
        let first = render(&sample(kind)).unwrap();
        let second = render(&sample(kind)).unwrap();
        assert!(first == second, "{kind:?} rendered differently twice");
    }
    // ... and different input to a different /ID.
    let mut other = sample(ResultKind::BusinessRegistration);
    other.result_code = "HN-261128-0001-KQ2".into();
    let id = |pdf: &[u8]| {
        Document::load_mem(pdf)
            .unwrap()
            .trailer
            .get(b"ID")
            .unwrap()
            .clone()
    };
    assert_ne!(
        id(&render(&other).unwrap()),
        id(&render(&sample(ResultKind::BusinessRegistration)).unwrap())
    );
}

#[test]
fn long_values_wrap_inside_the_right_margin() {
    let mut doc = sample(ResultKind::BusinessRegistration);
    let long = format!("{ADDRESS}, {ADDRESS}, {ADDRESS}, {ADDRESS}");
    doc.fields
        .push(("Địa chỉ trụ sở chính".into(), long.clone()));
    doc.fields.push((
        "Mã không có dấu cách".into(),
        "X".repeat(120), // one word wider than the column: broken between characters
    ));
    doc.agency = "Ủy ban nhân dân phường Láng Thượng, quận Đống Đa, Thành phố Hà Nội".into();
    let (_dir, path) = write(&render(&doc).unwrap());
    let [width, _] = page_size(&path);
    let right_margin = width - 15.0 * 72.0 / 25.4;
    let words = words(&path);
    assert!(words.len() > 50, "{words:?}");
    for (word, [x0, _, x1, _]) in &words {
        assert!(
            *x0 >= 30.0 * 72.0 / 25.4 - 0.5,
            "{word} starts in the left margin"
        );
        assert!(
            *x1 <= right_margin + 0.5,
            "{word} ends at {x1} > {right_margin}"
        );
    }
    // The long value is all there, over several lines.
    let text = extracted_text(&path);
    assert!(text.contains(&long), "{text:?}");
    assert!(text.replace(' ', "").contains(&"X".repeat(120)), "{text:?}");
    let lines_with_address = words.iter().filter(|(w, _)| w == "Nhung,").count();
    assert_eq!(lines_with_address, 5);
}

#[test]
fn nothing_is_printed_in_the_signature_area() {
    let [x0, y0, x1, y1] = signature_area();
    // About 80 × 35 mm at the bottom right, inside the margins.
    assert!(((x1 - x0) / 72.0 * 25.4 - 80.0).abs() < 1.0);
    assert!(((y1 - y0) / 72.0 * 25.4 - 35.0).abs() < 1.0);
    assert!(x1 <= 595.28 - 15.0 * 72.0 / 25.4 + 0.01 && y0 >= 20.0 * 72.0 / 25.4 - 0.01);

    let (_dir, path) = write(&render(&sample(ResultKind::DossierReceipt)).unwrap());
    let [_, height] = page_size(&path);
    for (word, [wx0, wy0, wx1, wy1]) in words(&path) {
        // pdftotext measures y from the top.
        let (bottom, top) = (height - wy1, height - wy0);
        let overlaps = wx0 < x1 && wx1 > x0 && bottom < y1 && top > y0;
        assert!(!overlaps, "{word} is printed in the signature area");
    }
}

#[test]
fn the_place_and_date_line_is_in_vietnam_time_with_leading_zeros() {
    let mut doc = sample(ResultKind::BirthRegistration);
    // 20:00 UTC on 4 January is 03:00 on 5 January in Vietnam.
    doc.issued_at = datetime!(2026-01-04 20:00:00 UTC);
    doc.place = "Thành phố Hồ Chí Minh".into();
    let (_dir, path) = write(&render(&doc).unwrap());
    let text = extracted_text(&path);
    assert!(
        text.contains("Thành phố Hồ Chí Minh, ngày 05 tháng 01 năm 2026"),
        "{text:?}"
    );
}

#[test]
fn receipts_print_the_due_date_and_other_kinds_do_not() {
    let (_dir, receipt) = write(&render(&sample(ResultKind::DossierReceipt)).unwrap());
    let text = extracted_text(&receipt);
    assert!(
        text.contains("GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"),
        "{text:?}"
    );
    assert!(
        text.contains("Ngày hẹn trả kết quả: 05/12/2026"),
        "{text:?}"
    );

    let (_dir, certificate) = write(&render(&sample(ResultKind::BirthRegistration)).unwrap());
    let text = extracted_text(&certificate);
    assert!(text.contains("GIẤY KHAI SINH"), "{text:?}");
    assert!(!text.contains("Ngày hẹn trả kết quả"), "{text:?}");
}

#[test]
fn a_given_title_replaces_the_kinds_default_title() {
    let mut doc = sample(ResultKind::BusinessRegistration);
    doc.title = "GIẤY XÁC NHẬN VỀ VIỆC THAY ĐỔI NỘI DUNG ĐĂNG KÝ DOANH NGHIỆP".into();
    let (_dir, path) = write(&render(&doc).unwrap());
    let text = extracted_text(&path);
    assert!(text.contains(&doc.title), "{text:?}");
    assert!(
        !text.contains("GIẤY CHỨNG NHẬN ĐĂNG KÝ DOANH NGHIỆP"),
        "{text:?}"
    );
}

#[test]
fn the_file_carries_pdfa_2b_metadata_an_output_intent_and_an_id() {
    let pdf = render(&sample(ResultKind::BusinessRegistration)).unwrap();
    // A plain cross-reference table, no object streams, no encryption.
    assert!(pdf.windows(6).any(|w| w == b"\nxref\n"));
    assert!(!pdf.windows(7).any(|w| w == b"/ObjStm"));
    let doc = Document::load_mem(&pdf).unwrap();
    assert!(doc.trailer.get(b"Encrypt").is_err());
    let Object::Array(id) = doc.trailer.get(b"ID").unwrap() else {
        panic!("no /ID array");
    };
    assert_eq!(id.len(), 2);
    assert_eq!(id[0].as_str().unwrap().len(), 16);

    let catalog = doc.catalog().unwrap();
    let metadata = doc
        .get_object(catalog.get(b"Metadata").unwrap().as_reference().unwrap())
        .unwrap()
        .as_stream()
        .unwrap();
    assert!(
        metadata.dict.get(b"Filter").is_err(),
        "XMP must stay readable"
    );
    let xmp = String::from_utf8(metadata.content.clone()).unwrap();
    for expected in [
        "<pdfaid:part>2</pdfaid:part>",
        "<pdfaid:conformance>B</pdfaid:conformance>",
        "<rdf:li xml:lang=\"x-default\">GIẤY CHỨNG NHẬN ĐĂNG KÝ DOANH NGHIỆP</rdf:li>",
        // 02:30 UTC is 09:30 in Vietnam.
        "<xmp:CreateDate>2026-11-28T09:30:00+07:00</xmp:CreateDate>",
    ] {
        assert!(xmp.contains(expected), "{expected} not in {xmp}");
    }
    let info = doc
        .get_object(doc.trailer.get(b"Info").unwrap().as_reference().unwrap())
        .unwrap()
        .as_dict()
        .unwrap();
    assert_eq!(
        info.get(b"CreationDate").unwrap().as_str().unwrap(),
        b"D:20261128093000+07'00'"
    );

    let Object::Array(intents) = catalog.get(b"OutputIntents").unwrap() else {
        panic!("no /OutputIntents");
    };
    let intent = intents[0].as_dict().unwrap();
    assert_eq!(intent.get(b"S").unwrap().as_name().unwrap(), b"GTS_PDFA1");
    let profile = doc
        .get_object(
            intent
                .get(b"DestOutputProfile")
                .unwrap()
                .as_reference()
                .unwrap(),
        )
        .unwrap()
        .as_stream()
        .unwrap();
    assert_eq!(profile.dict.get(b"N").unwrap().as_i64().unwrap(), 3);
    let icc = profile.decompressed_content().unwrap();
    assert_eq!(&icc[36..40], b"acsp", "not an ICC profile");
    assert_eq!(&icc[16..20], b"RGB ", "not an RGB profile");
}

#[test]
fn a_document_too_long_for_one_page_is_refused() {
    let mut doc = sample(ResultKind::BusinessRegistration);
    doc.fields = (0..60)
        .map(|i| (format!("Thành viên {i}"), ADDRESS.to_string()))
        .collect();
    assert!(matches!(render(&doc), Err(RenderError::TooLong(_))));
}

#[test]
fn a_character_the_font_cannot_print_is_refused_not_replaced() {
    let mut doc = sample(ResultKind::BusinessRegistration);
    doc.fields
        .push(("Tên tiếng Trung".into(), "阳光公司".into()));
    assert_eq!(
        render(&doc),
        Err(RenderError::UnsupportedCharacter {
            field: "fields[3]".into(),
            character: '阳'
        })
    );
}

#[test]
fn an_empty_result_code_is_refused() {
    let mut doc = sample(ResultKind::DossierReceipt);
    doc.result_code = "  ".into();
    assert_eq!(render(&doc), Err(RenderError::MissingField("result_code")));
}

#[test]
fn wrap_keeps_every_line_within_the_width_and_loses_no_word() {
    let font = Font::bold();
    let text = format!("{ADDRESS} {ADDRESS}\n{AGENCY}");
    let lines = wrap(font, &text, 11.0, 150.0);
    assert!(lines.len() >= 4, "{lines:?}");
    for line in &lines {
        assert!(font.text_width(line, 11.0) <= 150.0, "{line:?} is too wide");
    }
    assert_eq!(
        lines.join(" "),
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    );
    // The line break in the text starts a new line.
    assert!(lines.iter().any(|l| l.starts_with("Sở Kế")), "{lines:?}");
    assert_eq!(wrap(font, "  ", 11.0, 150.0), Vec::<String>::new());
}

#[test]
fn text_width_is_the_sum_of_the_glyph_advances_and_scales_with_size() {
    let font = Font::regular();
    let one = font.text_width("Đống Đa", 10.0);
    assert!(one > 20.0 && one < 60.0, "{one}");
    assert!((font.text_width("Đống Đa", 20.0) - 2.0 * one).abs() < 1e-3);
    assert_eq!(
        font.text_width("Đống", 10.0) + font.text_width(" Đa", 10.0),
        one
    );
    assert!(font.ascent(10.0) > 7.0 && font.descent(10.0) < -2.0);
}

/// What signing does to draw a visible signature: a second revision that embeds the font again
/// (its own font objects) through `TextWriter` into `IncrementalDocument::new_document`.
#[test]
fn text_writer_embeds_a_font_into_an_incremental_update() {
    let original = render(&sample(ResultKind::BusinessRegistration)).unwrap();
    let prev = Document::load_mem(&original).unwrap();
    let mut update = lopdf::IncrementalDocument::create_from(original.clone(), prev);
    let page_id = *update.get_prev_documents().get_pages().get(&1).unwrap();

    let signer = "Ký bởi: Lê Thị Phượng";
    let mut writer = TextWriter::new(Font::bold());
    let [x0, y0, _, _] = signature_area();
    let mut ops = format!("BT\n/FSig 10 Tf\n1 0 0 1 {} {} Tm\n", x0 + 4.0, y0 + 20.0).into_bytes();
    ops.extend_from_slice(&writer.encode(signer));
    ops.extend_from_slice(b" Tj\nET\n");
    let font_id = writer.embed(&mut update.new_document).unwrap();
    let stream_id = update
        .new_document
        .add_object(lopdf::Stream::new(lopdf::Dictionary::new(), ops));

    update.opt_clone_object_to_new_document(page_id).unwrap();
    let page = update
        .new_document
        .get_object_mut(page_id)
        .unwrap()
        .as_dict_mut()
        .unwrap();
    let old_contents = page.get(b"Contents").unwrap().clone();
    page.set(
        "Contents",
        Object::Array(vec![old_contents, Object::Reference(stream_id)]),
    );
    let fonts = page
        .get_mut(b"Resources")
        .unwrap()
        .as_dict_mut()
        .unwrap()
        .get_mut(b"Font")
        .unwrap()
        .as_dict_mut()
        .unwrap();
    fonts.set("FSig", Object::Reference(font_id));

    let mut signed = Vec::new();
    update.save_to(&mut signed).unwrap();
    assert!(signed.starts_with(&original), "not an incremental update");
    let (_dir, path) = write(&signed);
    assert_qpdf_accepts(&path);
    assert!(extracted_text(&path).contains(signer));
    let (ok, table) = run("pdffonts", &[path.as_os_str()]);
    assert!(ok, "{table}");
    let names: Vec<&str> = table
        .lines()
        .skip(2)
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(names.len(), 3, "{table}");
    let bold: Vec<&&str> = names.iter().filter(|n| n.ends_with("-Bold")).collect();
    assert_eq!(bold.len(), 2, "{table}");
    // The page and the signer's line keep to the Vietnamese repertoire: both embed its one
    // subset, under its one name.
    assert_eq!(bold[0], bold[1], "{table}");
    assert!(
        table.lines().skip(2).all(|l| l.contains(" yes yes yes ")),
        "{table}"
    );
}

#[test]
fn the_qr_modules_are_exactly_the_symbol_of_the_qrcode_crate() {
    let mut inputs: Vec<String> = [
        URL,
        "HELLO WORLD 0123456789",
        "Đường Láng, Hà Nội",
        &format!("{URL}&{}", "x".repeat(600)),
    ]
    .map(String::from)
    .into();
    // Result codes as the verification URLs carry them: each symbol's own mask.
    inputs.extend((0..300).map(|n| {
        let host = ["motcua.example.gov.vn", "dichvucong.hanoi.gov.vn", "mc.vn"][n % 3];
        format!(
            "https://{host}/verify/HN-2611{:02}-{n:04}-KQ{}",
            n % 28 + 1,
            n % 7 + 1
        )
    }));
    for data in &inputs {
        let (width, modules) = motcua::pdf::qr::qr_modules(data).unwrap();
        let code = qrcode::QrCode::with_error_correction_level(data.as_bytes(), qrcode::EcLevel::M)
            .unwrap();
        assert_eq!(width, code.width(), "{data}");
        let expected: Vec<bool> = code
            .to_colors()
            .into_iter()
            .map(|c| c == qrcode::Color::Dark)
            .collect();
        assert_eq!(modules, expected, "{data}");
    }
}

#[test]
fn the_qr_operators_fill_one_path_inside_the_requested_square() {
    let ops = motcua::pdf::qr::qr_ops(URL, 100.0, 200.0, 85.0).unwrap();
    let ops = String::from_utf8(ops).unwrap();
    assert!(
        ops.starts_with("q\n0 g\n") && ops.ends_with("f\nQ\n"),
        "{ops}"
    );
    assert_eq!(ops.matches("\nf\n").count(), 1);
    let numbers = |line: &str| -> Vec<f32> {
        line.split_whitespace()
            .filter_map(|n| n.parse().ok())
            .collect()
    };
    // One matrix maps module units (rows downwards) to the page.
    let cm: Vec<&str> = ops.lines().filter(|l| l.ends_with(" cm")).collect();
    assert_eq!(cm.len(), 1, "{ops}");
    let [a, b, c, d, e, f] = numbers(cm[0])[..] else {
        panic!("{}", cm[0])
    };
    let page = |u: f32, v: f32| (a * u + c * v + e, b * u + d * v + f);
    let rects: Vec<&str> = ops.lines().filter(|l| l.ends_with(" re")).collect();
    assert!(rects.len() > 100, "{ops}");
    // Nothing in the 4-module quiet zone (module ≥ 85 / (177 + 8)).
    let quiet = 4.0 * 85.0 / 185.0;
    for line in rects {
        let v = numbers(line);
        for (u, w) in [(v[0], v[1]), (v[0] + v[2], v[1] + v[3])] {
            let (px, py) = page(u, w);
            assert!(
                (100.0 + quiet - 1e-3..=185.0 - quiet + 1e-3).contains(&px),
                "{line} → x {px}"
            );
            assert!(
                (200.0 + quiet - 1e-3..=285.0 - quiet + 1e-3).contains(&py),
                "{line} → y {py}"
            );
        }
    }
    assert!(motcua::pdf::qr::qr_ops(URL, 0.0, 0.0, 0.0).is_err());
    assert!(motcua::pdf::qr::qr_ops(&"x".repeat(5000), 0.0, 0.0, 85.0).is_err());
}

#[test]
fn a_signed_result_s_block_uses_the_page_fonts_unless_its_text_needs_other_glyphs() {
    let mut issuer = motcua::result::Issuer::demo().unwrap();
    let document = sample(ResultKind::BusinessRegistration);
    let rendered = render(&document).unwrap();

    // The agency's name keeps to the Vietnamese repertoire: the block shows it in the page's
    // own two fonts, and the signature adds little more than its reserved /Contents.
    issuer.agency = AGENCY.into();
    let signed = motcua::result::render_and_sign(&issuer, &document).unwrap();
    assert!(signed.starts_with(&rendered), "not an incremental update");
    assert_eq!(font_programs(&signed), font_programs(&rendered));
    let added = signed.len() - rendered.len();
    assert!(
        added < 2 * 16 * 1024 + 8 * 1024,
        "the signature added {added} bytes"
    );
    let (_dir, path) = write(&signed);
    crate::signing::assert_valid_everywhere(&path, &[], "INTACT:TRUSTED,UNTOUCHED", true);
    let (ok, text) = run("pdftotext", &[path.as_os_str(), "-".as_ref()]);
    assert!(ok && text.contains(&format!("Ký bởi: {AGENCY}")), "{text}");

    // A name with a glyph outside the repertoire (Greek): the block embeds its own subset.
    issuer.agency = "Cơ quan Ω".into();
    let signed = motcua::result::render_and_sign(&issuer, &document).unwrap();
    assert_eq!(font_programs(&signed).len(), 3);
    let (_dir, path) = write(&signed);
    crate::signing::assert_valid_everywhere(&path, &[], "INTACT:TRUSTED,UNTOUCHED", true);
    let (ok, text) = run("pdftotext", &[path.as_os_str(), "-".as_ref()]);
    assert!(ok && text.contains("Ký bởi: Cơ quan Ω"), "{text}");
}
