//! Scans to PDF (`motcua::pdf::image`): every fixture of tests/data/scans (made by its make.py,
//! see SOURCE.md) becomes a PDF that qpdf accepts, with the page count and page size poppler
//! reports, the image's size and colour `pdfimages -list` reports, and, for PNG and TIFF, the very
//! pixels of the source; a JPEG's bytes go in unchanged; `inspect` reads resolution and colour;
//! bad input gets a clear error, never a panic.

use std::path::{Path, PathBuf};

use motcua::pdf::image::{
    self, ASSUMED_DPI, Colour, ImageError, ImageFormat, MAX_PIXELS, ScanInfo, images_to_pdf,
    inspect,
};

use crate::signing::{assert_qpdf_accepts, run};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/scans");

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{DIR}/{name}")).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// A PDF made of fixtures, written to a temporary directory and checked by qpdf.
struct Converted {
    dir: tempfile::TempDir,
    path: PathBuf,
    bytes: Vec<u8>,
}

fn convert(names: &[&str]) -> Converted {
    let inputs: Vec<Vec<u8>> = names.iter().map(|n| fixture(n)).collect();
    let refs: Vec<&[u8]> = inputs.iter().map(Vec::as_slice).collect();
    let bytes = images_to_pdf(&refs).unwrap_or_else(|e| panic!("{names:?}: {e}"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scan.pdf");
    std::fs::write(&path, &bytes).unwrap();
    assert_qpdf_accepts(&path);
    Converted { dir, path, bytes }
}

fn tool(program: &str, args: &[&str], pdf: &Path) -> String {
    let mut all: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_ref()).collect();
    all.push(pdf.as_os_str());
    let (ok, text) = run(program, &all);
    assert!(ok, "{program} {args:?} failed on {pdf:?}:\n{text}");
    text
}

/// Page count and each page's size in points, from `pdfinfo`.
fn pages(pdf: &Path) -> Vec<(f64, f64)> {
    let text = tool("pdfinfo", &["-f", "1", "-l", "1000"], pdf);
    let count: usize = text
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no page count:\n{text}"));
    let sizes: Vec<(f64, f64)> = text
        .lines()
        .filter(|l| l.starts_with("Page ") && l.contains(" size: "))
        .map(|l| {
            let words: Vec<&str> = l
                .split(" size: ")
                .nth(1)
                .unwrap()
                .split_whitespace()
                .collect();
            (words[0].parse().unwrap(), words[2].parse().unwrap())
        })
        .collect();
    assert_eq!(sizes.len(), count, "{text}");
    sizes
}

fn assert_page_size(size: (f64, f64), expected: (f64, f64)) {
    assert!(
        (size.0 - expected.0).abs() < 1.0 && (size.1 - expected.1).abs() < 1.0,
        "page is {size:?} pt, expected {expected:?}"
    );
}

/// The expected page size of a scan: pixels / dpi × 72.
fn points(width: u32, height: u32, dpi: f64) -> (f64, f64) {
    (
        f64::from(width) / dpi * 72.0,
        f64::from(height) / dpi * 72.0,
    )
}

/// One row of `pdfimages -list`.
#[derive(Debug)]
struct Listed {
    page: u32,
    kind: String,
    width: u32,
    height: u32,
    colour: String,
    bpc: u32,
    encoding: String,
    x_ppi: u32,
}

fn listed(pdf: &Path) -> Vec<Listed> {
    tool("pdfimages", &["-list"], pdf)
        .lines()
        .skip(2)
        .map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            Listed {
                page: f[0].parse().unwrap(),
                kind: f[2].into(),
                width: f[3].parse().unwrap(),
                height: f[4].parse().unwrap(),
                colour: f[5].into(),
                bpc: f[7].parse().unwrap(),
                encoding: f[8].into(),
                x_ppi: f[12].parse().unwrap(),
            }
        })
        .collect()
}

/// An image decoded to 8-bit samples (palettes expanded, 16 bits stripped to the high byte).
struct Pixels {
    width: u32,
    height: u32,
    channels: usize,
    samples: Vec<u8>,
}

impl Pixels {
    fn at(&self, x: u32, y: u32) -> &[u8] {
        let i = (y as usize * self.width as usize + x as usize) * self.channels;
        &self.samples[i..i + self.channels]
    }
}

fn decode_png(bytes: &[u8]) -> Pixels {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().unwrap();
    let mut samples = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut samples).unwrap();
    Pixels {
        width: info.width,
        height: info.height,
        channels: info.color_type.samples(),
        samples,
    }
}

/// The images of a PDF as `pdfimages -png` extracts them (an /SMask is an image of its own).
fn extracted(converted: &Converted) -> Vec<Pixels> {
    let prefix = converted.dir.path().join("extracted");
    let (ok, text) = run(
        "pdfimages",
        &[
            "-png".as_ref(),
            converted.path.as_os_str(),
            prefix.as_os_str(),
        ],
    );
    assert!(ok, "pdfimages -png: {text}");
    let mut files: Vec<PathBuf> = std::fs::read_dir(converted.dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("extracted-")
        })
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| decode_png(&std::fs::read(f).unwrap()))
        .collect()
}

/// The fixtures' pattern (make.py `pattern_rgb`): r = 7x, g = 5y, b = x + y + shift.
fn pattern_rgb(x: u32, y: u32, shift: u32) -> [u8; 3] {
    [
        (x * 7 % 256) as u8,
        (y * 5 % 256) as u8,
        ((x + y + shift) % 256) as u8,
    ]
}

/// make.py `pattern_gray`: v = 3x + 2y.
fn pattern_gray(x: u32, y: u32) -> u8 {
    ((x * 3 + y * 2) % 256) as u8
}

fn assert_same_pixels(name: &str, got: &Pixels, want: &Pixels) {
    assert_eq!(
        (got.width, got.height, got.channels),
        (want.width, want.height, want.channels),
        "{name}: size or channels"
    );
    let differing = got
        .samples
        .iter()
        .zip(&want.samples)
        .filter(|(a, b)| a != b)
        .count();
    assert_eq!(differing, 0, "{name}: {differing} samples differ");
}

// ---------------------------------------------------------------------------------------------
// JPEG

#[test]
fn jpeg_scans_become_one_page_each_sized_by_their_300_dpi_density_with_their_bytes_unchanged() {
    for (name, colour, components) in [("rgb-300dpi.jpg", "rgb", 3), ("gray-300dpi.jpg", "gray", 1)]
    {
        let converted = convert(&[name]);
        let sizes = pages(&converted.path);
        assert_eq!(sizes.len(), 1, "{name}");
        assert_page_size(sizes[0], points(120, 160, 300.0));
        let images = listed(&converted.path);
        assert_eq!(images.len(), 1, "{name}: {images:?}");
        let image = &images[0];
        assert_eq!(
            (image.width, image.height, image.colour.as_str(), image.bpc),
            (120, 160, colour, 8),
            "{name}: {image:?}"
        );
        assert_eq!((image.encoding.as_str(), image.x_ppi), ("jpeg", 300));
        let jpeg = fixture(name);
        assert!(
            converted.bytes.windows(jpeg.len()).any(|w| w == jpeg),
            "{name}: the JPEG is not embedded byte for byte"
        );
        let info = inspect(&jpeg).unwrap();
        assert_eq!(
            info.colour,
            if components == 3 {
                Colour::Rgb
            } else {
                Colour::Gray
            }
        );
    }
}

#[test]
fn an_adobe_cmyk_jpeg_is_decoded_inverted_so_its_paper_stays_white() {
    let converted = convert(&["cmyk-adobe-150dpi.jpg"]);
    let image = &listed(&converted.path)[0];
    assert_eq!(
        (image.colour.as_str(), image.encoding.as_str()),
        ("cmyk", "jpeg")
    );
    let decode = b"/Decode [1 0 1 0 1 0 1 0]";
    assert!(
        converted.bytes.windows(decode.len()).any(|w| w == decode),
        "no inverting /Decode for Adobe CMYK"
    );
    // Rendered at the scan's own resolution: one pixel per pixel.
    let prefix = converted.dir.path().join("page");
    let (ok, text) = run(
        "pdftoppm",
        &[
            "-r".as_ref(),
            "150".as_ref(),
            "-png".as_ref(),
            "-singlefile".as_ref(),
            converted.path.as_os_str(),
            prefix.as_os_str(),
        ],
    );
    assert!(ok, "{text}");
    let page = decode_png(&std::fs::read(prefix.with_extension("png")).unwrap());
    assert_eq!((page.width, page.height), (64, 64));
    let paper = page.at(32, 8);
    assert!(
        paper.iter().all(|&v| v > 235),
        "no ink must render white: {paper:?}"
    );
    let cyan = page.at(32, 56);
    assert!(
        cyan[0] < 60 && cyan[1] > 120 && cyan[2] > 180,
        "cyan: {cyan:?}"
    );
}

#[test]
fn a_jpeg_without_density_is_inspected_as_such_and_drawn_at_200_dpi() {
    let jpeg = fixture("rgb-no-dpi.jpg");
    let info = inspect(&jpeg).unwrap();
    assert_eq!(info.dpi, None);
    let converted = convert(&["rgb-no-dpi.jpg"]);
    assert_page_size(
        pages(&converted.path)[0],
        points(160, 120, f64::from(ASSUMED_DPI)),
    );
    assert_eq!(listed(&converted.path)[0].x_ppi, 200);
}

// ---------------------------------------------------------------------------------------------
// PNG

#[test]
fn png_scans_keep_every_pixel_colour_and_bit_depth_and_get_their_page_size_from_phys() {
    // (fixture, width, height, dpi, pdfimages colour, bits per component in the PDF)
    for (name, width, height, dpi, colour, bpc) in [
        ("rgb-300dpi.png", 120, 90, 300.0, "rgb", 8),
        ("gray-200dpi.png", 100, 80, 200.0, "gray", 8),
        ("palette-no-dpi.png", 60, 40, 200.0, "index", 4),
        ("rgb16-300dpi.png", 32, 24, 300.0, "rgb", 8),
        ("a4-bilevel-300dpi.png", 2480, 3508, 300.0, "gray", 1),
    ] {
        let converted = convert(&[name]);
        let sizes = pages(&converted.path);
        assert_eq!(sizes.len(), 1, "{name}");
        assert_page_size(sizes[0], points(width, height, dpi));
        let images = listed(&converted.path);
        assert_eq!(images.len(), 1, "{name}: {images:?}");
        let image = &images[0];
        assert_eq!(
            (image.width, image.height, image.colour.as_str(), image.bpc),
            (width, height, colour, bpc),
            "{name}: {image:?}"
        );
        assert_eq!(image.encoding, "image", "{name}: Flate, not JPEG");
        let source = decode_png(&fixture(name));
        assert_same_pixels(name, &extracted(&converted)[0], &source);
    }
}

#[test]
fn an_a4_scan_at_300_dpi_fills_an_a4_page_pixel_for_pixel() {
    let converted = convert(&["a4-bilevel-300dpi.png"]);
    assert_page_size(pages(&converted.path)[0], (595.0, 842.0));
    let prefix = converted.dir.path().join("page");
    let (ok, text) = run(
        "pdftoppm",
        &[
            "-r".as_ref(),
            "300".as_ref(),
            "-gray".as_ref(),
            "-singlefile".as_ref(),
            converted.path.as_os_str(),
            prefix.as_os_str(),
        ],
    );
    assert!(ok, "{text}");
    // pdftoppm -gray writes a PGM: "P5\n<w> <h>\n255\n" then the samples.
    let pgm = std::fs::read(prefix.with_extension("pgm")).unwrap();
    let header: Vec<&[u8]> = pgm.splitn(4, |b| b.is_ascii_whitespace()).collect();
    let (w, h): (usize, usize) = (
        std::str::from_utf8(header[1]).unwrap().parse().unwrap(),
        std::str::from_utf8(header[2]).unwrap().parse().unwrap(),
    );
    assert_eq!((w, h), (2480, 3508));
    let samples = &pgm[pgm.len() - w * h..];
    let at = |x: usize, y: usize| samples[y * w + x];
    // make.py: a black box at (200..600, 300..500) and a frame 8 pixels wide from (100, 100).
    assert_eq!(at(400, 400), 0, "inside the black box");
    assert_eq!(at(104, 2000), 0, "on the frame");
    assert_eq!(at(1200, 1800), 255, "paper");
    assert_eq!(at(50, 50), 255, "margin outside the frame");
}

#[test]
fn png_transparency_goes_to_a_soft_mask_and_the_colour_is_kept() {
    let converted = convert(&["rgba-200dpi.png"]);
    assert_page_size(pages(&converted.path)[0], points(64, 48, 200.0));
    let images = listed(&converted.path);
    let kinds: Vec<(&str, &str)> = images
        .iter()
        .map(|i| (i.kind.as_str(), i.colour.as_str()))
        .collect();
    assert_eq!(kinds, [("image", "rgb"), ("smask", "gray")]);
    assert!(!converted.bytes.windows(6).any(|w| w == b"/Group"));
    let source = decode_png(&fixture("rgba-200dpi.png"));
    assert_eq!(source.channels, 4);
    let pixels = extracted(&converted);
    let (colour, alpha) = (&pixels[0], &pixels[1]);
    for (x, y) in [(0, 0), (13, 7), (63, 47), (40, 20)] {
        let want = source.at(x, y);
        assert_eq!(colour.at(x, y), &want[..3], "colour at {x},{y}");
        assert_eq!(alpha.at(x, y), &want[3..], "alpha at {x},{y}");
    }
    assert_eq!(alpha.at(1, 0), [4], "make.py: alpha = 4x");
}

#[test]
fn a_16_bit_png_is_reduced_to_its_high_bytes() {
    let converted = convert(&["rgb16-300dpi.png"]);
    let pixels = &extracted(&converted)[0];
    for (x, y) in [(0, 0), (5, 3), (31, 23)] {
        assert_eq!(pixels.at(x, y), pattern_rgb(x, y, 0), "at {x},{y}");
    }
}

// ---------------------------------------------------------------------------------------------
// TIFF

#[test]
fn a_multi_page_lzw_tiff_becomes_one_page_per_image_with_its_pixels() {
    let converted = convert(&["multipage-lzw-rgb-200dpi.tif"]);
    let sizes = pages(&converted.path);
    // make.py: 32x24, 24x32 and 16x16 pixels at 200 dpi, pattern shifted by 0, 100, 200.
    let dims = [(32, 24, 0), (24, 32, 100), (16, 16, 200)];
    assert_eq!(sizes.len(), 3);
    for (size, (w, h, _)) in sizes.iter().zip(dims) {
        assert_page_size(*size, points(w, h, 200.0));
    }
    let images = listed(&converted.path);
    assert_eq!(images.len(), 3);
    for (i, (image, (w, h, _))) in images.iter().zip(dims).enumerate() {
        assert_eq!(
            (
                image.page,
                image.width,
                image.height,
                image.colour.as_str(),
                image.bpc
            ),
            (i as u32 + 1, w, h, "rgb", 8)
        );
        assert_eq!(image.x_ppi, 200);
    }
    for (pixels, (w, h, shift)) in extracted(&converted).iter().zip(dims) {
        for y in 0..h {
            for x in 0..w {
                assert_eq!(pixels.at(x, y), pattern_rgb(x, y, shift), "at {x},{y}");
            }
        }
    }
}

#[test]
fn packbits_deflate_and_uncompressed_tiffs_keep_their_pixels_and_resolution() {
    for (name, width, height, dpi, colour) in [
        ("gray-packbits-300dpi.tif", 50, 40, 300.0, "gray"),
        ("rgb-deflate-cm.tif", 30, 20, 300.0, "rgb"),
        ("rgb-raw-no-dpi.tif", 30, 20, 200.0, "rgb"),
    ] {
        let converted = convert(&[name]);
        assert_page_size(pages(&converted.path)[0], points(width, height, dpi));
        let image = &listed(&converted.path)[0];
        assert_eq!(
            (image.width, image.height, image.colour.as_str(), image.bpc),
            (width, height, colour, 8),
            "{name}"
        );
        let pixels = &extracted(&converted)[0];
        for (x, y) in [(0, 0), (7, 3), (width - 1, height - 1)] {
            let want: Vec<u8> = if colour == "gray" {
                vec![pattern_gray(x, y)]
            } else {
                pattern_rgb(x, y, 0).to_vec()
            };
            assert_eq!(pixels.at(x, y), want, "{name} at {x},{y}");
        }
    }
}

#[test]
fn a_ccitt_group_4_tiff_becomes_a_bilevel_a4_page_with_black_ink_on_white_paper() {
    let converted = convert(&["a4-g4-300dpi.tif"]);
    assert_page_size(pages(&converted.path)[0], (595.0, 842.0));
    let image = &listed(&converted.path)[0];
    assert_eq!(
        (image.width, image.height, image.colour.as_str(), image.bpc),
        (2480, 3508, "gray", 1)
    );
    let pixels = &extracted(&converted)[0];
    assert_eq!(pixels.at(400, 400), [0], "inside the black box");
    assert_eq!(pixels.at(104, 2000), [0], "on the frame");
    assert_eq!(pixels.at(1200, 1800), [255], "paper");
    // The same page as the PNG of the same drawing.
    let png = decode_png(&fixture("a4-bilevel-300dpi.png"));
    assert_same_pixels("a4-g4-300dpi.tif", pixels, &png);
}

// ---------------------------------------------------------------------------------------------
// Documents

#[test]
fn several_scans_make_one_pdf_with_their_pages_in_order() {
    let converted = convert(&[
        "rgb-300dpi.jpg",
        "multipage-lzw-rgb-200dpi.tif",
        "gray-200dpi.png",
    ]);
    let sizes = pages(&converted.path);
    let expected = [
        points(120, 160, 300.0),
        points(32, 24, 200.0),
        points(24, 32, 200.0),
        points(16, 16, 200.0),
        points(100, 80, 200.0),
    ];
    assert_eq!(sizes.len(), expected.len());
    for (size, want) in sizes.iter().zip(expected) {
        assert_page_size(*size, want);
    }
    let images = listed(&converted.path);
    let encodings: Vec<&str> = images.iter().map(|i| i.encoding.as_str()).collect();
    assert_eq!(encodings, ["jpeg", "image", "image", "image", "image"]);
}

#[test]
fn the_same_scans_always_give_the_same_pdf_and_other_scans_another_id() {
    let a = convert(&["rgb-300dpi.jpg", "rgba-200dpi.png"]).bytes;
    let b = convert(&["rgb-300dpi.jpg", "rgba-200dpi.png"]).bytes;
    assert!(a == b, "two conversions of the same scans differ");
    let c = convert(&["rgba-200dpi.png", "rgb-300dpi.jpg"]).bytes;
    let id = |pdf: &[u8]| {
        let at = pdf.windows(5).rposition(|w| w == b"/ID [").unwrap();
        pdf[at..at + 40].to_vec()
    };
    assert_ne!(id(&a), id(&c));
    assert!(a.starts_with(b"%PDF-1.7\n"));
    assert!(a.windows(5).any(|w| w == b"xref\n"), "a plain xref table");
}

// ---------------------------------------------------------------------------------------------
// inspect

#[test]
fn inspect_reports_each_fixtures_size_resolution_colour_and_pages() {
    use ImageFormat::{Jpeg, Png, Tiff};
    let expect = |format, width, height, dpi: Option<f32>, colour, bits, pages| ScanInfo {
        format,
        width,
        height,
        dpi: dpi.map(|d| (d, d)),
        colour,
        bits_per_component: bits,
        pages,
        largest_pixels: u64::from(width) * u64::from(height),
    };
    for (name, want) in [
        (
            "rgb-300dpi.jpg",
            expect(Jpeg, 120, 160, Some(300.0), Colour::Rgb, 8, 1),
        ),
        (
            "gray-300dpi.jpg",
            expect(Jpeg, 120, 160, Some(300.0), Colour::Gray, 8, 1),
        ),
        (
            "rgb-no-dpi.jpg",
            expect(Jpeg, 160, 120, None, Colour::Rgb, 8, 1),
        ),
        (
            "cmyk-adobe-150dpi.jpg",
            expect(Jpeg, 64, 64, Some(150.0), Colour::Cmyk, 8, 1),
        ),
        (
            "rgb-300dpi.png",
            expect(Png, 120, 90, Some(300.0), Colour::Rgb, 8, 1),
        ),
        (
            "rgba-200dpi.png",
            expect(Png, 64, 48, Some(200.0), Colour::Rgb, 8, 1),
        ),
        (
            "gray-200dpi.png",
            expect(Png, 100, 80, Some(200.0), Colour::Gray, 8, 1),
        ),
        (
            "palette-no-dpi.png",
            expect(Png, 60, 40, None, Colour::Indexed, 4, 1),
        ),
        (
            "rgb16-300dpi.png",
            expect(Png, 32, 24, Some(300.0), Colour::Rgb, 16, 1),
        ),
        (
            "a4-bilevel-300dpi.png",
            expect(Png, 2480, 3508, Some(300.0), Colour::Gray, 1, 1),
        ),
        (
            "multipage-lzw-rgb-200dpi.tif",
            expect(Tiff, 32, 24, Some(200.0), Colour::Rgb, 8, 3),
        ),
        (
            "gray-packbits-300dpi.tif",
            expect(Tiff, 50, 40, Some(300.0), Colour::Gray, 8, 1),
        ),
        (
            "rgb-deflate-cm.tif",
            expect(Tiff, 30, 20, Some(300.0), Colour::Rgb, 8, 1),
        ),
        (
            "rgb-raw-no-dpi.tif",
            expect(Tiff, 30, 20, None, Colour::Rgb, 8, 1),
        ),
        (
            "a4-g4-300dpi.tif",
            expect(Tiff, 2480, 3508, Some(300.0), Colour::Gray, 1, 1),
        ),
    ] {
        assert_eq!(inspect(&fixture(name)), Ok(want), "{name}");
    }
}

/// rgb-no-dpi.jpg (JFIF units 0) with an APP1 EXIF block added after its JFIF segment:
/// big-endian, XResolution = YResolution = `numerator`/`denominator`, ResolutionUnit = 2 (inch).
fn jpeg_with_exif_resolution(numerator: u32, denominator: u32) -> Vec<u8> {
    let jpeg = fixture("rgb-no-dpi.jpg");
    let jfif_end = 4 + usize::from(u16::from_be_bytes([jpeg[4], jpeg[5]]));
    let mut tiff = b"MM\0*\0\0\0\x08\0\x03".to_vec();
    for (tag, kind, value) in [
        (0x011Au16, 5u16, 50u32),
        (0x011B, 5, 50),
        (0x0128, 3, 2 << 16),
    ] {
        tiff.extend(tag.to_be_bytes());
        tiff.extend(kind.to_be_bytes());
        tiff.extend(1u32.to_be_bytes());
        tiff.extend(value.to_be_bytes());
    }
    tiff.extend(0u32.to_be_bytes());
    tiff.extend(numerator.to_be_bytes()); // the rational at offset 50
    tiff.extend(denominator.to_be_bytes());
    let mut app1 = vec![0xFF, 0xE1];
    app1.extend(u16::try_from(2 + 6 + tiff.len()).unwrap().to_be_bytes());
    app1.extend(b"Exif\0\0");
    app1.extend(&tiff);
    [&jpeg[..jfif_end], &app1, &jpeg[jfif_end..]].concat()
}

#[test]
fn a_jpeg_density_only_in_exif_is_read_when_jfif_gives_an_aspect_ratio_only() {
    let with_exif = jpeg_with_exif_resolution(400, 1);
    assert_eq!(inspect(&with_exif).unwrap().dpi, Some((400.0, 400.0)));
}

/// Such a JPEG was inspected at 0 dpi and became a page of /MediaBox [0 0 NaN NaN].
#[test]
fn an_exif_resolution_that_rounds_to_zero_is_no_resolution_and_the_page_is_drawn_at_200_dpi() {
    let with_exif = jpeg_with_exif_resolution(1, 1_000_000_000);
    assert_eq!(inspect(&with_exif).unwrap().dpi, None);
    let pdf = images_to_pdf(&[&with_exif]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scan.pdf");
    std::fs::write(&path, &pdf).unwrap();
    assert_qpdf_accepts(&path);
    assert_page_size(pages(&path)[0], points(160, 120, f64::from(ASSUMED_DPI)));
}

// ---------------------------------------------------------------------------------------------
// Bad input

#[test]
fn an_empty_list_is_refused() {
    assert_eq!(images_to_pdf(&[]), Err(ImageError::NoImages));
}

#[test]
fn a_gif_random_bytes_and_an_empty_file_are_refused_as_unsupported_formats() {
    let gif = fixture("not-accepted.gif");
    assert_eq!(inspect(&gif), Err(ImageError::UnsupportedFormat("GIF")));
    let err = images_to_pdf(&[&gif]).unwrap_err();
    assert_eq!(err.innermost(), &ImageError::UnsupportedFormat("GIF"));
    assert!(err.to_string().contains("GIF"), "{err}");
    assert!(err.to_string().contains("JPEG, PNG or TIFF"), "{err}");
    let random = noise(4096, 1);
    assert!(matches!(
        images_to_pdf(&[&random]).unwrap_err().innermost(),
        ImageError::UnsupportedFormat(_)
    ));
    assert!(matches!(
        inspect(&[]),
        Err(ImageError::UnsupportedFormat(_))
    ));
}

#[test]
fn a_png_claiming_100000_by_100000_pixels_is_refused_before_decoding() {
    let huge = fixture("huge-claim.png");
    let too_large = |e: &ImageError| {
        matches!(e.innermost(), ImageError::TooLarge { format: ImageFormat::Png, detail }
            if detail.contains("100000 x 100000") && detail.contains(&MAX_PIXELS.to_string()))
    };
    assert!(too_large(&inspect(&huge).unwrap_err()));
    let err = images_to_pdf(&[&fixture("rgb-300dpi.jpg"), &huge]).unwrap_err();
    assert!(too_large(&err), "{err:?}");
    assert!(
        matches!(err, ImageError::InImage { index: 1, .. }),
        "{err:?}"
    );
    assert!(
        err.to_string().starts_with("image 2 of the list: "),
        "{err}"
    );
}

#[test]
fn a_truncated_png_is_refused_as_corrupt() {
    let png = fixture("rgb-300dpi.png");
    for cut in [20, 40, png.len() / 2, png.len() - 30] {
        let err = images_to_pdf(&[&png[..cut]]).unwrap_err();
        assert!(
            matches!(
                err.innermost(),
                ImageError::Corrupt {
                    format: ImageFormat::Png,
                    ..
                }
            ),
            "cut at {cut}: {err:?}"
        );
    }
    assert!(matches!(
        inspect(&png[..20]),
        Err(ImageError::Corrupt {
            format: ImageFormat::Png,
            ..
        })
    ));
}

#[test]
fn truncated_jpegs_and_tiffs_are_refused_as_corrupt() {
    for name in [
        "rgb-300dpi.jpg",
        "gray-packbits-300dpi.tif",
        "multipage-lzw-rgb-200dpi.tif",
        "a4-g4-300dpi.tif",
    ] {
        let bytes = fixture(name);
        let err = images_to_pdf(&[&bytes[..bytes.len() / 2]]).unwrap_err();
        assert!(
            matches!(err.innermost(), ImageError::Corrupt { .. }),
            "{name}: {err:?}"
        );
    }
}

/// Deterministic noise (xorshift), for corrupting fixtures the same way every run.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

#[test]
fn cut_and_scrambled_scans_give_errors_or_valid_pdfs_but_never_a_panic() {
    let names = [
        "rgb-300dpi.jpg",
        "cmyk-adobe-150dpi.jpg",
        "rgb-300dpi.png",
        "rgba-200dpi.png",
        "palette-no-dpi.png",
        "rgb16-300dpi.png",
        "multipage-lzw-rgb-200dpi.tif",
        "gray-packbits-300dpi.tif",
        "rgb-deflate-cm.tif",
        "a4-g4-300dpi.tif",
    ];
    let mut refused = 0;
    for (n, name) in names.iter().enumerate() {
        let bytes = fixture(name);
        let mut variants: Vec<Vec<u8>> = (1..16)
            .map(|i| bytes[..bytes.len() * i / 16].to_vec())
            .collect();
        for round in 0..24u64 {
            let mut scrambled = bytes.clone();
            let hits = noise(8, n as u64 * 100 + round);
            for pair in hits.chunks(2) {
                let at = (usize::from(pair[0]) * 257 + usize::from(pair[1]) * 31) % bytes.len();
                scrambled[at] ^= pair[1] | 1;
            }
            variants.push(scrambled);
        }
        // Headers with nonsense after them.
        variants.push([&bytes[..8.min(bytes.len())], &noise(2048, n as u64)[..]].concat());
        for variant in &variants {
            let outcome = std::panic::catch_unwind(|| {
                let _ = inspect(variant);
                images_to_pdf(&[variant])
            });
            let Ok(result) = outcome else {
                panic!("{name}: a panic on a {}-byte variant", variant.len());
            };
            if result.is_err() {
                refused += 1;
            }
        }
    }
    assert!(
        refused > names.len() * 15,
        "only {refused} variants were refused"
    );
}

#[test]
fn a_seal_png_becomes_an_image_xobject_with_its_transparency() {
    let mut doc = lopdf::Document::with_version("1.7");
    let (id, width, height) = image::png_xobject(&mut doc, &fixture("rgba-200dpi.png")).unwrap();
    assert_eq!((width, height), (64, 48));
    let stream = doc.get_object(id).unwrap().as_stream().unwrap();
    let smask = stream.dict.get(b"SMask").unwrap().as_reference().unwrap();
    assert!(doc.get_object(smask).unwrap().as_stream().is_ok());
    assert!(matches!(
        image::png_xobject(&mut doc, &fixture("rgb-300dpi.jpg")),
        Err(ImageError::Unsupported {
            format: ImageFormat::Jpeg,
            ..
        })
    ));
}
