//! Visible signatures: the Decree 30/2020 block (agency, signing time with +07:00, optional seal
//! image) and the certified-copy stamp ("SAO Y") on a scanned original, both covered by the
//! signature they show and accepted by pyHanko, pdfsig, qpdf and motcua.

use crate::signing::{CERTS, assert_valid_everywhere, motcua, run};

const SCANS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/scans");

fn sign_args<'a>(key: &'a str, cert: &'a str) -> Vec<&'a std::ffi::OsStr> {
    vec![
        "sign".as_ref(),
        "--key".as_ref(),
        key.as_ref(),
        "--cert".as_ref(),
        cert.as_ref(),
    ]
}

fn demo_key() -> (String, String) {
    (
        format!("{CERTS}/demo-agency.key.pem"),
        format!("{CERTS}/demo-agency.pem"),
    )
}

/// The text pdftotext finds on page 1 inside the rectangle (x, y from the top left, in points).
fn text_in(pdf: &std::path::Path, x: u32, y: u32, w: u32, h: u32) -> String {
    let (x, y, w, h) = (x.to_string(), y.to_string(), w.to_string(), h.to_string());
    let (ok, text) = run(
        "pdftotext",
        &[
            "-f".as_ref(),
            "1".as_ref(),
            "-l".as_ref(),
            "1".as_ref(),
            "-x".as_ref(),
            x.as_ref(),
            "-y".as_ref(),
            y.as_ref(),
            "-W".as_ref(),
            w.as_ref(),
            "-H".as_ref(),
            h.as_ref(),
            pdf.as_os_str(),
            "-".as_ref(),
        ],
    );
    assert!(ok, "{text}");
    text
}

#[test]
fn a_visible_block_shows_the_agency_the_time_with_its_offset_and_the_seal() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("visible.pdf");
    let (key, cert) = demo_key();
    let input = format!(
        "{}/tests/data/pyhanko/pdf/empty-a4.pdf",
        env!("CARGO_MANIFEST_DIR")
    );
    let seal = format!("{SCANS}/rgba-200dpi.png");
    let mut args = sign_args(&key, &cert);
    args.extend::<[&std::ffi::OsStr; 8]>([
        "--visible".as_ref(),
        "Sở Tư pháp thành phố Hà Nội".as_ref(),
        "--rect".as_ref(),
        "300,40,580,120".as_ref(),
        "--seal".as_ref(),
        seal.as_ref(),
        input.as_ref(),
        out.as_os_str(),
    ]);
    let (code, text) = motcua(&args, &[]);
    assert_eq!(code, Some(0), "{text}");
    assert_valid_everywhere(&out, &[], "INTACT:TRUSTED,UNTOUCHED", true);

    // The block's text, inside its rectangle (the page is 595 x 842 points; y from the top).
    let shown = text_in(&out, 300, 842 - 120, 280, 80);
    assert!(
        shown.contains("Ký bởi: Sở Tư pháp thành phố Hà Nội"),
        "{shown}"
    );
    let time = shown
        .lines()
        .find_map(|l| l.strip_prefix("Thời gian ký: "))
        .unwrap_or_else(|| panic!("no signing time in {shown}"));
    // dd/mm/yyyy hh:mm:ss +07:00
    let b = time.trim().as_bytes();
    assert_eq!(b.len(), 26, "{time}");
    assert!(time.trim().ends_with(" +07:00"), "{time}");
    assert_eq!(
        (b[2], b[5], b[13], b[16]),
        (b'/', b'/', b':', b':'),
        "{time}"
    );

    // The seal is an image with a soft mask (its transparency).
    let (ok, list) = run("pdfimages", &["-list".as_ref(), out.as_os_str()]);
    assert!(ok, "{list}");
    assert!(list.contains("smask"), "{list}");
}

#[test]
fn the_signing_time_pattern_is_configurable_and_a_bad_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("iso.pdf");
    let (key, cert) = demo_key();
    let input = format!(
        "{}/tests/data/pyhanko/pdf/minimal.pdf",
        env!("CARGO_MANIFEST_DIR")
    );
    let iso =
        "[year]-[month]-[day]T[hour]:[minute]:[second][offset_hour sign:mandatory]:[offset_minute]";
    let mut args = sign_args(&key, &cert);
    args.extend::<[&std::ffi::OsStr; 6]>([
        "--visible".as_ref(),
        "UBND phường Láng Thượng".as_ref(),
        "--time-pattern".as_ref(),
        iso.as_ref(),
        input.as_ref(),
        out.as_os_str(),
    ]);
    let (code, text) = motcua(&args, &[]);
    assert_eq!(code, Some(0), "{text}");
    let (_, all) = run("pdftotext", &[out.as_os_str(), "-".as_ref()]);
    let time = all
        .lines()
        .find_map(|l| l.strip_prefix("Thời gian ký: "))
        .unwrap_or_else(|| panic!("no signing time in {all}"));
    let t = time.trim();
    assert_eq!(t.len(), 25, "{t}");
    assert_eq!(&t[10..11], "T");
    assert!(t.ends_with("+07:00"), "{t}");

    let bad = dir.path().join("bad.pdf");
    let mut args = sign_args(&key, &cert);
    args.extend::<[&std::ffi::OsStr; 6]>([
        "--visible".as_ref(),
        "X".as_ref(),
        "--time-pattern".as_ref(),
        "[hour".as_ref(),
        input.as_ref(),
        bad.as_os_str(),
    ]);
    let (code, text) = motcua(&args, &[]);
    assert_eq!(code, Some(3), "{text}");
    assert!(text.contains("time display pattern"), "{text}");
    assert!(!bad.exists());
}

#[test]
fn a_certified_copy_of_a_scan_is_stamped_sao_y_top_right_and_signed() {
    let (key, cert) = demo_key();
    for scan in [
        "a4-rgb-100dpi.jpg",
        "a4-g4-300dpi.tif",
        "a4-bilevel-300dpi.png",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("sao-y.pdf");
        let input = format!("{SCANS}/{scan}");
        let mut args = sign_args(&key, &cert);
        args.extend::<[&std::ffi::OsStr; 4]>([
            "--certified-copy".as_ref(),
            "UBND phường Láng Thượng".as_ref(),
            input.as_ref(),
            out.as_os_str(),
        ]);
        let (code, text) = motcua(&args, &[]);
        assert_eq!(code, Some(0), "{scan}: {text}");
        assert_valid_everywhere(&out, &[], "INTACT:TRUSTED,UNTOUCHED", true);
        // The stamp is in the top right corner of page 1.
        let (ok, info) = run("pdfinfo", &[out.as_os_str()]);
        assert!(ok, "{info}");
        let size = info
            .lines()
            .find_map(|l| l.strip_prefix("Page size:"))
            .unwrap();
        let width: f32 = size.split_whitespace().next().unwrap().parse().unwrap();
        let stamp = text_in(&out, (width * 0.5) as u32, 0, (width * 0.5) as u32, 90);
        for expected in [
            "SAO Y",
            "UBND phường Láng Thượng",
            "Thời gian ký:",
            "+07:00",
        ] {
            assert!(
                stamp.contains(expected),
                "{scan}: {expected:?} not in {stamp:?}"
            );
        }
    }
}

#[test]
fn a_certified_copy_refuses_what_is_not_a_scan_and_writes_nothing() {
    let (key, cert) = demo_key();
    let dir = tempfile::tempdir().unwrap();
    for scan in ["not-accepted.gif", "huge-claim.png"] {
        let out = dir.path().join("out.pdf");
        let input = format!("{SCANS}/{scan}");
        let mut args = sign_args(&key, &cert);
        args.extend::<[&std::ffi::OsStr; 4]>([
            "--certified-copy".as_ref(),
            "UBND".as_ref(),
            input.as_ref(),
            out.as_os_str(),
        ]);
        let (code, text) = motcua(&args, &[]);
        assert_eq!(code, Some(3), "{scan}: {text}");
        assert!(!out.exists(), "{scan}");
    }
}
