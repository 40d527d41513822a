//! The image PDF's writer: PDF 1.7, one page per image, each page's objects written straight into
//! the output as the page comes (so only one decoded image is held at a time), then the page tree,
//! the catalog and a plain cross-reference table. A writer of its own beside lopdf: lopdf keeps
//! every object in its document until it saves them into a second buffer, while here each page's
//! compressed image is held once, in the output.
//!
//! Owns: the page size from pixels and resolution (within ISO 32000-1 Annex C.2's bounds), the
//! image XObjects (/DCTDecode for a JPEG as is, /FlateDecode with an /SMask for a raster), how
//! numbers are written, and the /ID.
//!
//! Never: writes a date or anything else that varies between runs (the same images always give
//! the same bytes); writes an object stream, a cross-reference stream or an incremental update.

use sha2::{Digest, Sha256};

use super::ASSUMED_DPI;

/// Page sides are kept within 3 and 14 400 default user-space units (ISO 32000-1 Annex C.2; the
/// same bounds apply in PDF/A-2): an absurd resolution changes the page size, never the pixels.
const MIN_PAGE_SIDE: f64 = 3.0;
const MAX_PAGE_SIDE: f64 = 14_400.0;

/// The colour space of an image XObject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Space {
    Gray,
    Rgb,
    Cmyk,
    /// An RGB palette, 3 bytes an entry.
    Indexed(Vec<u8>),
}

impl Space {
    pub(super) fn components(&self) -> usize {
        match self {
            Space::Gray | Space::Indexed(_) => 1,
            Space::Rgb => 3,
            Space::Cmyk => 4,
        }
    }

    pub(super) fn lopdf(&self) -> lopdf::Object {
        use lopdf::Object;
        let name = |n: &str| Object::Name(n.as_bytes().to_vec());
        match self {
            Space::Gray => name("DeviceGray"),
            Space::Rgb => name("DeviceRGB"),
            Space::Cmyk => name("DeviceCMYK"),
            Space::Indexed(palette) => Object::Array(vec![
                name("Indexed"),
                name("DeviceRGB"),
                Object::Integer(palette.len() as i64 / 3 - 1),
                Object::String(palette.clone(), lopdf::StringFormat::Hexadecimal),
            ]),
        }
    }

    pub(super) fn pdf(&self) -> String {
        match self {
            Space::Gray => "/DeviceGray".into(),
            Space::Rgb => "/DeviceRGB".into(),
            Space::Cmyk => "/DeviceCMYK".into(),
            Space::Indexed(palette) => format!(
                "[/Indexed /DeviceRGB {} <{}>]",
                palette.len() / 3 - 1,
                hex::encode_upper(palette)
            ),
        }
    }
}

/// A decoded image, compressed for /FlateDecode.
pub(super) struct Raster {
    pub(super) width: u32,
    pub(super) height: u32,
    pub(super) space: Space,
    pub(super) bits: u8,
    pub(super) data: Vec<u8>,
    /// The alpha channel, compressed, when not fully opaque.
    pub(super) mask: Option<Vec<u8>>,
    /// The colour is premultiplied by alpha over black (/Matte).
    pub(super) premultiplied: bool,
}

/// What one page shows.
pub(super) enum PageImage<'a> {
    Jpeg {
        bytes: &'a [u8],
        space: Space,
        invert: bool,
    },
    Raster(Raster),
}

/// The /ID: the first 16 bytes of SHA-256 over each image's length and bytes.
pub(super) fn document_id(images: &[&[u8]]) -> [u8; 16] {
    let mut hash = Sha256::new();
    for image in images {
        hash.update((image.len() as u64).to_be_bytes());
        hash.update(image);
    }
    let digest = hash.finalize();
    let mut id = [0; 16];
    id.copy_from_slice(&digest[..16]);
    id
}

/// A number as PDF writes reals: at most 4 decimals, no exponent, no trailing zeros.
fn real(value: f64) -> String {
    let text = format!("{value:.4}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text.is_empty() || text == "-" {
        "0".into()
    } else {
        text.into()
    }
}

/// The page size in points: pixels / dpi × 72, kept within the PDF page-size bounds.
fn page_size(width: u32, height: u32, dpi: Option<(f32, f32)>) -> (f64, f64) {
    let (dx, dy) = dpi.unwrap_or((ASSUMED_DPI, ASSUMED_DPI));
    let (mut w, mut h) = (
        f64::from(width) / f64::from(dx) * 72.0,
        f64::from(height) / f64::from(dy) * 72.0,
    );
    let largest = w.max(h);
    if largest > MAX_PAGE_SIDE {
        (w, h) = (w * MAX_PAGE_SIDE / largest, h * MAX_PAGE_SIDE / largest);
    }
    let smallest = w.min(h);
    if smallest < MIN_PAGE_SIDE {
        (w, h) = (w * MIN_PAGE_SIDE / smallest, h * MIN_PAGE_SIDE / smallest);
    }
    (
        w.clamp(MIN_PAGE_SIDE, MAX_PAGE_SIDE),
        h.clamp(MIN_PAGE_SIDE, MAX_PAGE_SIDE),
    )
}

/// Writes objects straight into the output as pages come, and the cross-reference table at the
/// end. Object 1 is the catalog, 2 the page tree, both written last.
pub(super) struct PdfWriter {
    out: Vec<u8>,
    /// Byte offset of object n at index n - 1.
    offsets: Vec<usize>,
    pages: Vec<usize>,
}

impl PdfWriter {
    pub(super) fn new() -> Self {
        // The comment of bytes above 127 marks the file as binary (ISO 19005-2 §6.1.2).
        let mut out = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
        out.reserve(64 * 1024);
        PdfWriter {
            out,
            offsets: vec![0, 0],
            pages: Vec::new(),
        }
    }

    fn begin(&mut self) -> usize {
        self.offsets.push(self.out.len());
        let id = self.offsets.len();
        self.out
            .extend_from_slice(format!("{id} 0 obj\n").as_bytes());
        id
    }

    fn object(&mut self, body: &str) -> usize {
        let id = self.begin();
        self.out
            .extend_from_slice(format!("{body}\nendobj\n").as_bytes());
        id
    }

    fn stream(&mut self, dict: &str, data: &[u8]) -> usize {
        let id = self.begin();
        self.out
            .extend_from_slice(format!("<<{dict} /Length {}>>\nstream\n", data.len()).as_bytes());
        self.out.extend_from_slice(data);
        self.out.extend_from_slice(b"\nendstream\nendobj\n");
        id
    }

    pub(super) fn add_page(
        &mut self,
        image: &PageImage<'_>,
        width: u32,
        height: u32,
        dpi: Option<(f32, f32)>,
    ) {
        let size = format!("/Width {width} /Height {height}");
        let image_id = match image {
            PageImage::Jpeg {
                bytes,
                space,
                invert,
            } => {
                let decode = if *invert {
                    " /Decode [1 0 1 0 1 0 1 0]"
                } else {
                    ""
                };
                self.stream(
                    &format!(
                        "/Type /XObject /Subtype /Image {size} /ColorSpace {} /BitsPerComponent 8 \
                         /Filter /DCTDecode{decode}",
                        space.pdf()
                    ),
                    bytes,
                )
            }
            PageImage::Raster(raster) => {
                let mask = raster.mask.as_ref().map(|mask| {
                    let matte = if raster.premultiplied {
                        format!(
                            " /Matte [{}]",
                            vec!["0"; raster.space.components()].join(" ")
                        )
                    } else {
                        String::new()
                    };
                    let dict = format!(
                        "/Type /XObject /Subtype /Image {size} /ColorSpace /DeviceGray \
                         /BitsPerComponent 8 /Filter /FlateDecode{matte}"
                    );
                    self.stream(&dict, mask)
                });
                let smask = mask.map_or(String::new(), |id| format!(" /SMask {id} 0 R"));
                debug_assert_eq!((raster.width, raster.height), (width, height));
                self.stream(
                    &format!(
                        "/Type /XObject /Subtype /Image {size} /ColorSpace {} \
                         /BitsPerComponent {} /Filter /FlateDecode{smask}",
                        raster.space.pdf(),
                        raster.bits
                    ),
                    &raster.data,
                )
            }
        };
        let (w, h) = page_size(width, height, dpi);
        let (w, h) = (real(w), real(h));
        let content = self.stream(
            "",
            format!("q\n{w} 0 0 {h} 0 0 cm\n/Im1 Do\nQ\n").as_bytes(),
        );
        let page = self.object(&format!(
            "<</Type /Page /Parent 2 0 R /MediaBox [0 0 {w} {h}] \
             /Resources <</XObject <</Im1 {image_id} 0 R>>>> /Contents {content} 0 R>>"
        ));
        self.pages.push(page);
    }

    pub(super) fn finish(mut self, id: &[u8; 16]) -> Vec<u8> {
        let kids: Vec<String> = self.pages.iter().map(|p| format!("{p} 0 R")).collect();
        self.offsets[1] = self.out.len();
        self.out.extend_from_slice(
            format!(
                "2 0 obj\n<</Type /Pages /Kids [{}] /Count {}>>\nendobj\n",
                kids.join(" "),
                self.pages.len()
            )
            .as_bytes(),
        );
        self.offsets[0] = self.out.len();
        self.out
            .extend_from_slice(b"1 0 obj\n<</Type /Catalog /Pages 2 0 R>>\nendobj\n");
        let xref = self.out.len();
        let mut table = format!("xref\n0 {}\n0000000000 65535 f \n", self.offsets.len() + 1);
        for offset in &self.offsets {
            table.push_str(&format!("{offset:010} 00000 n \n"));
        }
        let id = hex::encode_upper(id);
        table.push_str(&format!(
            "trailer\n<</Size {} /Root 1 0 R /ID [<{id}> <{id}>]>>\nstartxref\n{xref}\n%%EOF\n",
            self.offsets.len() + 1
        ));
        self.out.extend_from_slice(table.as_bytes());
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reals_are_written_without_exponent_or_trailing_zeros() {
        assert_eq!(real(595.2), "595.2");
        assert_eq!(real(72.0), "72");
        assert_eq!(real(841.9200000001), "841.92");
        assert_eq!(real(0.00001), "0");
    }

    #[test]
    fn page_sizes_follow_the_resolution_and_stay_within_pdf_bounds() {
        let (w, h) = page_size(2480, 3508, Some((300.0, 300.0)));
        assert!(
            (w - 595.2).abs() < 0.01 && (h - 841.92).abs() < 0.01,
            "{w} x {h}"
        );
        assert_eq!(page_size(200, 100, None), (72.0, 36.0));
        let (w, h) = page_size(100_000, 50_000, Some((1.0, 1.0)));
        assert_eq!((w, h), (MAX_PAGE_SIDE, MAX_PAGE_SIDE / 2.0));
        let (w, h) = page_size(1, 2, Some((300.0, 300.0)));
        assert_eq!((w, h), (MIN_PAGE_SIDE, 2.0 * MIN_PAGE_SIDE));
    }
}
