//! Scans to PDF: turns the scanned originals an officer hands in (JPEG, PNG or TIFF) into the PDF
//! that becomes the certified electronic copy (bản sao điện tử, "sao y"), one page per image, and
//! tells what a scan is (size, resolution, colour) so that callers can refuse a scan under 200 dpi
//! or not in colour.
//!
//! Owns: the public entry points ([`inspect`], [`images_to_pdf`], [`png_xobject`] for a seal or a
//! handwritten signature, [`inspect_pdf`] for a scan handed in as a PDF, [`working_set`]), the
//! budgets, the errors, and recognising the format. The work is done by the files beside this
//! one: `jpeg.rs` (JPEG headers) and `exif.rs` (its EXIF resolution), `decode.rs` (PNG and TIFF,
//! decoded and compressed again), `writer.rs` (the image PDF: PDF 1.7, plain cross-reference
//! table, deterministic), `scanned_pdf.rs` (the pages of a scanned PDF). Stamping and signing the
//! copy happen elsewhere, on the PDF returned here.
//!
//! Never: does I/O; re-encodes a JPEG (its bytes go into the PDF unchanged, as /DCTDecode, so the
//! copy loses nothing the scanner produced); allocates for a size a header claims before checking
//! it against the budgets below; panics on hostile bytes.

mod decode;
mod exif;
mod jpeg;
mod scanned_pdf;
mod writer;

use std::fmt;

pub use scanned_pdf::{PdfPageScan, inspect_pdf};

use decode::{
    inspect_png, inspect_tiff, open_tiff, png_header, png_raster, tiff_dpi, tiff_error, tiff_raster,
};
use jpeg::{inspect_jpeg, jpeg_header};
use writer::{PageImage, PdfWriter, Raster, Space, document_id};

/// Pixels per image at most. An A0 sheet scanned at 300 dpi is 140 megapixels, more than any
/// counter scanner produces; 200 megapixels bounds the decoded buffer to 800 MB of 8-bit RGBA.
pub const MAX_PIXELS: u64 = 200_000_000;
/// Bytes of decoded samples per image at most (a 200-megapixel 16-bit RGB TIFF is refused).
pub const MAX_DECODED_BYTES: u64 = 1 << 30;
/// Pages per PDF at most: a dossier's scans with ample room; it bounds the work that a TIFF of
/// many tiny pages can cause.
pub const MAX_PAGES: usize = 1000;
/// Pixels per PDF at most, all pages together: about 460 A4 pages scanned at 300 dpi.
pub const MAX_TOTAL_PIXELS: u64 = 4_000_000_000;
/// The resolution assumed for a scan that states none (no JFIF/EXIF density, no PNG pHYs, no
/// TIFF resolution, or one in unknown units): 200 dpi, the lowest the counters accept, so such a
/// page is never drawn smaller than a compliant scan of the same pixels would be.
pub const ASSUMED_DPI: f32 = 200.0;

/// A horizontal and vertical resolution in dots per inch.
type Dpi = (f32, f32);

/// An accepted image format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageFormat {
    /// JPEG (JFIF or EXIF), embedded as is.
    Jpeg,
    /// PNG, decoded and re-compressed.
    Png,
    /// TIFF (also multi-page), decoded and re-compressed.
    Tiff,
}

impl fmt::Display for ImageFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ImageFormat::Jpeg => "JPEG",
            ImageFormat::Png => "PNG",
            ImageFormat::Tiff => "TIFF",
        })
    }
}

/// The colour model of a scan, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Colour {
    /// Grayscale or bilevel (black and white), with or without alpha.
    Gray,
    /// RGB (a JPEG's YCbCr and a TIFF's YCbCr count as RGB), with or without alpha.
    Rgb,
    /// CMYK.
    Cmyk,
    /// Palette (indexed) colour: the palette itself may hold only grays.
    Indexed,
}

/// What a scan is, read from its headers.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanInfo {
    /// The file's format.
    pub format: ImageFormat,
    /// Width in pixels (of the first page, for a TIFF).
    pub width: u32,
    /// Height in pixels (of the first page, for a TIFF).
    pub height: u32,
    /// Horizontal and vertical resolution in dots per inch, rounded to 0.01 (so that 11 811 pixels
    /// per metre reads as 300 dpi), or `None` when the file states none in physical units.
    pub dpi: Option<(f32, f32)>,
    /// Colour model.
    pub colour: Colour,
    /// Bits per colour component as stored (1 for bilevel, 16 for a 16-bit PNG, the index size
    /// for a palette image).
    pub bits_per_component: u8,
    /// Pages (images in the TIFF's main chain of directories; 1 for JPEG and PNG).
    pub pages: u32,
    /// Pixels of the largest page (of a TIFF; the image's for JPEG and PNG).
    pub largest_pixels: u64,
}

/// The most memory [`images_to_pdf`] takes for `bytes`, beyond the bytes themselves: the
/// largest page's decoded samples (16 bits each at most, and an alpha channel) and their
/// compressed copy, plus the PDF (about the input's size for a JPEG). A file that cannot be
/// inspected costs nothing: the conversion refuses it before decoding.
pub fn working_set(bytes: &[u8]) -> u64 {
    match inspect(bytes) {
        Ok(info) => {
            let channels: u64 = match info.colour {
                Colour::Gray | Colour::Indexed => 2,
                Colour::Rgb => 4,
                Colour::Cmyk => 5,
            };
            let sample_bytes = u64::from(info.bits_per_component.div_ceil(8).max(1));
            let decoded = info.largest_pixels * channels * sample_bytes;
            2 * decoded + 2 * bytes.len() as u64
        }
        Err(_) => 0,
    }
}

/// Why a scan cannot be inspected or turned into a PDF.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ImageError {
    /// `images_to_pdf` was given no image.
    #[error("no image was given")]
    NoImages,
    /// Not JPEG, PNG or TIFF; names the format when it is recognised (GIF, PDF, ...).
    #[error("unsupported image format: {0}; scans must be JPEG, PNG or TIFF")]
    UnsupportedFormat(&'static str),
    /// The bytes do not follow the format (truncated, bad checksum, broken header, ...).
    #[error("corrupt {format} image: {detail}")]
    Corrupt {
        /// The format the file claims.
        format: ImageFormat,
        /// What is wrong.
        detail: String,
    },
    /// More pixels or decoded bytes than the budgets allow ([`MAX_PIXELS`],
    /// [`MAX_DECODED_BYTES`]); refused before allocating.
    #[error("the {format} image is too large: {detail}")]
    TooLarge {
        /// The format.
        format: ImageFormat,
        /// The size found and the limit.
        detail: String,
    },
    /// A bit depth the conversion does not handle (12-bit JPEG, 32-bit TIFF, ...).
    #[error("unsupported bit depth in the {format} image: {bits} bits per component")]
    UnsupportedBitDepth {
        /// The format.
        format: ImageFormat,
        /// Bits per component found.
        bits: u16,
    },
    /// A valid image using a feature the conversion does not handle (arithmetic-coded JPEG,
    /// JPEG-compressed or palette TIFF, CIELab, ...).
    #[error("unsupported {format} image: {detail}")]
    Unsupported {
        /// The format.
        format: ImageFormat,
        /// The feature.
        detail: String,
    },
    /// More than [`MAX_PAGES`] pages in all.
    #[error("more than {max} pages")]
    TooManyPages {
        /// [`MAX_PAGES`].
        max: usize,
    },
    /// More than [`MAX_TOTAL_PIXELS`] pixels in all.
    #[error("more than {max} pixels in all the images together")]
    TooManyPixels {
        /// [`MAX_TOTAL_PIXELS`].
        max: u64,
    },
    /// The compressor failed (it writes to memory: only out of memory can cause it).
    #[error("could not compress the image: {0}")]
    Compression(String),
    /// One image of the list given to `images_to_pdf` failed; `index` counts from 0.
    #[error("image {} of the list: {error}", index + 1)]
    InImage {
        /// Position in the list, from 0.
        index: usize,
        /// What is wrong with it.
        error: Box<ImageError>,
    },
}

impl ImageError {
    /// The error itself, unwrapped from [`ImageError::InImage`].
    pub fn innermost(&self) -> &ImageError {
        match self {
            ImageError::InImage { error, .. } => error.innermost(),
            other => other,
        }
    }
}

/// Reads the headers (no decoding of pixel data, except the walk over a TIFF's directories to
/// count its pages): size, resolution, colour. Applies the per-image size budget, so an `Ok`
/// promises the image is not refused as too large; it does not promise that the pixel data is
/// intact (a PNG's compressed data is only read by [`images_to_pdf`]).
pub fn inspect(bytes: &[u8]) -> Result<ScanInfo, ImageError> {
    match sniff(bytes)? {
        ImageFormat::Jpeg => inspect_jpeg(bytes),
        ImageFormat::Png => inspect_png(bytes),
        ImageFormat::Tiff => inspect_tiff(bytes),
    }
}

/// Makes one PDF of the images, one page per image (per page of a TIFF), in order.
///
/// Each page is as large as the scanned paper: pixels / dpi × 72 points, the resolution assumed
/// to be [`ASSUMED_DPI`] (200 dpi) when the file states none; the image fills the page.
///
/// - JPEG: embedded byte for byte with /DCTDecode as /DeviceGray, /DeviceRGB or /DeviceCMYK; an
///   Adobe (APP14) CMYK JPEG, stored inverted, gets /Decode [1 0 1 0 1 0 1 0]. Baseline,
///   extended and progressive Huffman-coded 8-bit JPEGs only. An EXIF orientation is not applied.
/// - PNG and TIFF: decoded and re-compressed with /FlateDecode; 16-bit samples reduced to 8 bits;
///   a PNG palette kept as /Indexed (or expanded, with transparency); an alpha channel or PNG
///   transparency moved to an /SMask (dropped when fully opaque; a TIFF's premultiplied alpha gets
///   /Matte). TIFF: uncompressed, LZW, Deflate, PackBits and CCITT Group 4, any number of pages;
///   not JPEG-compressed, Group 3, palette, YCbCr or CIELab TIFFs. Embedded ICC profiles are not
///   carried over.
///
/// The PDF is 1.7 with a plain cross-reference table and a binary comment, has an /ID from the
/// SHA-256 of the input and no dates, so the same images always give the same bytes. No
/// transparency group is used; an /SMask is allowed in PDF/A-2. It is not PDF/A-2b as it stands:
/// that also needs an output intent (ICC profile) and XMP metadata, for whoever finishes the copy.
///
/// Memory: one image is decoded at a time; besides the PDF being built, at most its decoded
/// samples and their compressed form are held.
pub fn images_to_pdf(images: &[&[u8]]) -> Result<Vec<u8>, ImageError> {
    if images.is_empty() {
        return Err(ImageError::NoImages);
    }
    let mut pdf = PdfWriter::new();
    let mut budget = Budget::default();
    for (index, bytes) in images.iter().enumerate() {
        add_image(&mut pdf, &mut budget, bytes).map_err(|error| ImageError::InImage {
            index,
            error: Box::new(error),
        })?;
    }
    Ok(pdf.finish(&document_id(images)))
}

/// Adds a PNG (an agency's seal or a handwritten signature, transparency kept) to `doc` as an
/// image XObject, its alpha as an /SMask; returns the image's object id, width and height in
/// pixels. The same decoding, budgets and errors as [`images_to_pdf`]; only PNG is accepted.
pub fn png_xobject(
    doc: &mut lopdf::Document,
    png: &[u8],
) -> Result<(lopdf::ObjectId, u32, u32), ImageError> {
    use lopdf::{Dictionary, Object, Stream};
    match sniff(png)? {
        ImageFormat::Png => {}
        other => {
            return Err(ImageError::Unsupported {
                format: other,
                detail: "only a PNG is accepted here".into(),
            });
        }
    }
    let Raster {
        width,
        height,
        space,
        bits,
        data,
        mask,
        ..
    } = png_raster(png)?;
    let image_dict = |space: Object, bits: u8| {
        let mut dict = Dictionary::new();
        dict.set("Type", Object::Name(b"XObject".to_vec()));
        dict.set("Subtype", Object::Name(b"Image".to_vec()));
        dict.set("Width", i64::from(width));
        dict.set("Height", i64::from(height));
        dict.set("ColorSpace", space);
        dict.set("BitsPerComponent", i64::from(bits));
        dict.set("Filter", Object::Name(b"FlateDecode".to_vec()));
        dict
    };
    let mut dict = image_dict(space.lopdf(), bits);
    if let Some(mask) = mask {
        let mask_dict = image_dict(Object::Name(b"DeviceGray".to_vec()), 8);
        let id = doc.add_object(Stream::new(mask_dict, mask).with_compression(false));
        dict.set("SMask", Object::Reference(id));
    }
    let id = doc.add_object(Stream::new(dict, data).with_compression(false));
    Ok((id, width, height))
}

// ---------------------------------------------------------------------------------------------
// Formats and budgets

fn sniff(bytes: &[u8]) -> Result<ImageFormat, ImageError> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Ok(ImageFormat::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Ok(ImageFormat::Png)
    } else if [b"II*\0", b"MM\0*", b"II+\0", b"MM\0+"]
        .iter()
        .any(|magic| bytes.starts_with(*magic))
    {
        Ok(ImageFormat::Tiff)
    } else {
        Err(ImageError::UnsupportedFormat(format_name(bytes)))
    }
}

/// A name for a format that is not accepted, for the error message.
fn format_name(bytes: &[u8]) -> &'static str {
    if bytes.is_empty() {
        "an empty file"
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        "GIF"
    } else if bytes.starts_with(b"%PDF-") {
        "PDF (already a PDF, not an image)"
    } else if bytes.starts_with(b"BM") {
        "BMP"
    } else if bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
        "WebP"
    } else if bytes.get(4..8) == Some(b"ftyp") {
        "HEIF/AVIF"
    } else if bytes.starts_with(&[0xFF, 0xD8]) {
        "a JPEG without a marker after its start"
    } else {
        "not recognised"
    }
}

fn check_size(format: ImageFormat, width: u32, height: u32) -> Result<(), ImageError> {
    if width == 0 || height == 0 {
        return Err(ImageError::Corrupt {
            format,
            detail: format!("the image is {width} x {height} pixels"),
        });
    }
    let pixels = u64::from(width) * u64::from(height);
    if pixels > MAX_PIXELS {
        return Err(ImageError::TooLarge {
            format,
            detail: format!("{width} x {height} pixels, more than the {MAX_PIXELS} allowed"),
        });
    }
    Ok(())
}

fn check_decoded_bytes(format: ImageFormat, bytes: u64) -> Result<(), ImageError> {
    if bytes > MAX_DECODED_BYTES {
        return Err(ImageError::TooLarge {
            format,
            detail: format!("{bytes} bytes decoded, more than the {MAX_DECODED_BYTES} allowed"),
        });
    }
    Ok(())
}

/// A zeroed buffer, or an error instead of an abort when memory is short.
fn zeroed(format: ImageFormat, len: usize) -> Result<Vec<u8>, ImageError> {
    check_decoded_bytes(format, len as u64)?;
    let mut buf = Vec::new();
    buf.try_reserve_exact(len)
        .map_err(|_| ImageError::TooLarge {
            format,
            detail: format!("no memory for {len} bytes of pixels"),
        })?;
    buf.resize(len, 0);
    Ok(buf)
}

/// What the pages of one PDF have used of [`MAX_PAGES`] and [`MAX_TOTAL_PIXELS`].
#[derive(Default)]
struct Budget {
    pages: usize,
    pixels: u64,
}

impl Budget {
    fn take(&mut self, width: u32, height: u32) -> Result<(), ImageError> {
        self.pages += 1;
        self.pixels += u64::from(width) * u64::from(height);
        if self.pages > MAX_PAGES {
            return Err(ImageError::TooManyPages { max: MAX_PAGES });
        }
        if self.pixels > MAX_TOTAL_PIXELS {
            return Err(ImageError::TooManyPixels {
                max: MAX_TOTAL_PIXELS,
            });
        }
        Ok(())
    }
}

/// Resolution in dpi from pixels per unit, where one inch is `units_per_inch` units; `None`
/// unless both, as rounded, are finite and positive. Rounded to 0.01 dpi: metric densities are
/// stored as integers (PNG: pixels per metre), and rounding gives back the dpi they were made
/// from. A resolution that rounds to 0 (an EXIF or TIFF rational such as 1/1 000 000 000) or
/// beyond `f32` (a TIFF double) is none at all: the page size divides by it.
fn dpi(x: f64, y: f64, units_per_inch: f64) -> Option<(f32, f32)> {
    let round = |v: f64| ((v * units_per_inch * 100.0).round() / 100.0) as f32;
    let (x, y) = (round(x), round(y));
    (x.is_finite() && y.is_finite() && x > 0.0 && y > 0.0).then_some((x, y))
}

fn add_image(pdf: &mut PdfWriter, budget: &mut Budget, bytes: &[u8]) -> Result<(), ImageError> {
    match sniff(bytes)? {
        ImageFormat::Jpeg => {
            let header = jpeg_header(bytes)?;
            let space = header.space()?;
            if header.precision != 8 {
                return Err(ImageError::UnsupportedBitDepth {
                    format: ImageFormat::Jpeg,
                    bits: header.precision.into(),
                });
            }
            check_size(ImageFormat::Jpeg, header.width, header.height)?;
            budget.take(header.width, header.height)?;
            pdf.add_page(
                &PageImage::Jpeg {
                    bytes,
                    invert: header.adobe && space == Space::Cmyk,
                    space,
                },
                header.width,
                header.height,
                header.dpi,
            );
        }
        ImageFormat::Png => {
            let (width, height, dpi) = png_header(bytes)?;
            budget.take(width, height)?;
            let raster = png_raster(bytes)?;
            pdf.add_page(&PageImage::Raster(raster), width, height, dpi);
        }
        ImageFormat::Tiff => {
            let mut decoder = open_tiff(bytes)?;
            loop {
                let (width, height) = decoder.dimensions().map_err(tiff_error)?;
                check_size(ImageFormat::Tiff, width, height)?;
                budget.take(width, height)?;
                let dpi = tiff_dpi(&mut decoder);
                let raster = tiff_raster(&mut decoder, width, height)?;
                pdf.add_page(&PageImage::Raster(raster), width, height, dpi);
                if !decoder.more_images() {
                    break;
                }
                decoder.next_image().map_err(tiff_error)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::dpi;

    #[test]
    fn metric_densities_round_back_to_the_dpi_they_were_made_from() {
        assert_eq!(dpi(11811.0, 7874.0, 0.0254), Some((300.0, 200.0)));
        assert_eq!(dpi(118.11, 118.11, 2.54), Some((300.0, 300.0)));
        assert_eq!(dpi(0.0, 300.0, 1.0), None);
        assert_eq!(dpi(f64::NAN, 300.0, 1.0), None);
    }

    /// A JPEG whose EXIF XResolution was 1/1 000 000 000 inch was inspected at 0 dpi and drawn
    /// on a page of /MediaBox [0 0 NaN NaN].
    #[test]
    fn a_resolution_that_rounds_to_zero_or_overflows_is_no_resolution() {
        assert_eq!(dpi(1.0 / 1_000_000_000.0, 300.0, 1.0), None);
        assert_eq!(dpi(300.0, 0.004, 1.0), None);
        assert_eq!(dpi(1e300, 300.0, 1.0), None);
        assert_eq!(dpi(0.005, 0.005, 1.0), Some((0.01, 0.01)));
    }
}
